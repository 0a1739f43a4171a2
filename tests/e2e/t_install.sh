#!/bin/bash
# t_install - what an administrator installs: "make install" into a
# private root, the systemd unit confined (systemd-analyze security rates
# its exposure 2.5 or lower), and "embargo-milter -t" testing what a start
# needs, as "embargoctl check" does: a config everyone may read; a key
# missing, named with its file:line; a list key with a passphrase; a keyring
# file gpg left owned by root; each cure run as printed, then -t passes.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 1
ROOT=$W/root
make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/usr >"$W/install.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr" test -x "$ROOT/usr/sbin/embargo-milter" -a -x "$ROOT/usr/sbin/embargoctl"
unit=$ROOT/lib/systemd/system/embargo-milter.service
check "the unit runs the installed daemon as embargo, never as root" \
    bash -c "grep -qx 'ExecStart=/usr/sbin/embargo-milter -f -c /etc/embargo-milter/embargo-milter.conf' '$unit' && grep -qx 'User=embargo' '$unit'"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=true "$unit" > "$W/security.txt" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$W/security.txt")
	grep '^✗' "$W/security.txt" | sed 's/  */ /g; s/^/#   /'
	check "systemd-analyze security --offline=true: exposure ${level:-unknown} (2.5 or lower)" \
	    awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.5) }'
else
	ok "# skip the unit's exposure: systemd-analyze is not installed"
fi

# -t checks what a start checks: a config anyone may read is refused.
cp "$W/milter.conf" "$W/open.conf"
chmod 0644 "$W/open.conf"
"$MILTER_BIN" -t -c "$W/open.conf" > "$W/t.out" 2>&1
rc=$?
sed 's/^/#   /' "$W/t.out"
check "-t refuses a world-readable config (exit $rc), naming the mode and the fix" \
    bash -c "[ $rc = 2 ] && grep -q 'open.conf is readable by everyone (mode 0644); run chmod o-rwx' '$W/t.out'"
"$MILTER_BIN" -f -c "$W/open.conf" > "$W/f.out" 2>&1 &
pid=$!
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && kill "$pid"
wait "$pid"; rc=$?
check "... and so does a start (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'readable by everyone' '$W/f.out'"
"$CTL_BIN" -c "$W/open.conf" check > "$W/c.out" 2>&1
rc=$?
check "... and so does embargoctl check (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'open.conf is readable by everyone (mode 0644); run chmod o-rwx' '$W/c.out'"

# t_and_check CONF NAME: -t and embargoctl check, as root; both must agree
t_and_check() {
	"$MILTER_BIN" -t -c "$1" > "$W/$2.t" 2>&1
	T_RC=$?
	"$CTL_BIN" -c "$1" check > "$W/$2.c" 2>&1
	C_RC=$?
	sed 's/^/#   /' "$W/$2.t"
}
cure_of() {	# cure_of FILE: the command after the last "run " of the first error
	sed -n 's/.*; run \(.*\)$/\1/p' "$1" | head -n 1
}

# A member key not in the keyring: named at its key line, cured as printed.
NEW_FPR=$(gen_key "$W/new-gnupg" "New <security@new.example>")
gpg --homedir "$W/new-gnupg" --armor --export "$NEW_FPR" > "$W/new.asc"
chmod 0600 "$W/new.asc"		# a key file only root may read
sed "s/${MEMBER_FPR[1]}/$NEW_FPR/" "$W/milter.conf" > "$W/new.conf"
chgrp "$(id -gn nobody)" "$W/new.conf"; chmod 0640 "$W/new.conf"
line=$(grep -n "key = \"$NEW_FPR\"" "$W/new.conf" | cut -d: -f1)
t_and_check "$W/new.conf" new
check "a missing member key: -t and check exit 2 ($T_RC, $C_RC), at its key line $line" \
    bash -c "[ $T_RC$C_RC = 22 ] && grep -q 'new.conf:$line: member \"Member 1\": key $NEW_FPR not in the' '$W/new.t' && grep -q 'new.conf:$line: member' '$W/new.c'"
check "... with no warning that adds nothing" bash -c "! grep -q 'no user id of key $NEW_FPR' '$W/new.t'"
cure=$(sed -n 's/.*import a valid key with that fingerprint as the daemon.s user (\(.*\))$/\1/p' "$W/new.t" | head -n 1)
check "... and the cure runs the import as the daemon's user: $cure" \
    test "$cure" = "runuser -u nobody -- gpg --homedir $W/state/gnupg --import < FILE"
bash -c "${cure/FILE/$W/new.asc}" >/dev/null 2>&1
t_and_check "$W/new.conf" new2
check "... run as printed (FILE: a key only root may read), -t and check pass ($T_RC, $C_RC)" test "$T_RC$C_RC" = 00

# The list key's line, when the list key is not there.
ABSENT=0123456789ABCDEF0123456789ABCDEF01234567
sed "s/$LIST_FPR/$ABSENT/" "$W/milter.conf" > "$W/nolist.conf"
chgrp "$(id -gn nobody)" "$W/nolist.conf"; chmod 0640 "$W/nolist.conf"
line=$(grep -n "key = \"$ABSENT\"" "$W/nolist.conf" | cut -d: -f1)
t_and_check "$W/nolist.conf" nolist
check "a missing list key: named at its line $line by -t and check ($T_RC, $C_RC)" \
    bash -c "[ $T_RC$C_RC = 22 ] && grep -q 'nolist.conf:$line: list (signing, secret key): key $ABSENT not in' '$W/nolist.t' && grep -q 'nolist.conf:$line: list' '$W/nolist.c'"

# A list key with a passphrase: the daemon cannot sign unattended.
cp -a "$W/state/gnupg" "$W/pp-gnupg"
rm -f "$W/pp-gnupg"/S.* "$W/pp-gnupg"/*.lock
as_nobody gpg --homedir "$W/pp-gnupg" --batch -q --pinentry-mode loopback --passphrase secret --passwd "$LIST_FPR"
as_nobody gpgconf --homedir "$W/pp-gnupg" --kill gpg-agent
sed "s|^gnupg_home = .*|gnupg_home = \"$W/pp-gnupg\"|" "$W/milter.conf" > "$W/pp.conf"
chgrp "$(id -gn nobody)" "$W/pp.conf"; chmod 0640 "$W/pp.conf"
t_and_check "$W/pp.conf" pp
check "a list key with a passphrase: -t and check exit 2 ($T_RC, $C_RC), naming the passphrase" \
    bash -c "[ $T_RC$C_RC = 22 ] && grep -q 'list: signing and decrypting with key $LIST_FPR failed as nobody: .*without a passphrase' '$W/pp.t' && grep -q 'without a passphrase' '$W/pp.c'"

# gpg run as root in the daemon's keyring (an import as the README once had it).
cp -a "$W/state/gnupg" "$W/rt-gnupg"
rm -f "$W/rt-gnupg"/S.* "$W/rt-gnupg"/*.lock
ROOT_FPR=$(gen_key "$W/root-import-gnupg" "Other <security@other.example>")
gpg --homedir "$W/root-import-gnupg" --armor --export "$ROOT_FPR" |
    gpg --homedir "$W/rt-gnupg" --batch -q --import 2>/dev/null
sed "s|^gnupg_home = .*|gnupg_home = \"$W/rt-gnupg\"|" "$W/milter.conf" > "$W/rt.conf"
chgrp "$(id -gn nobody)" "$W/rt.conf"; chmod 0640 "$W/rt.conf"
t_and_check "$W/rt.conf" rt
check "keyring files left owned by root: -t and check exit 2 ($T_RC, $C_RC), naming the file" \
    bash -c "[ $T_RC$C_RC = 22 ] && grep -q 'keyring file $W/rt-gnupg/.* belongs to uid 0, not to nobody' '$W/rt.t' && grep -q 'belongs to uid 0' '$W/rt.c'"
cure=$(cure_of "$W/rt.t")
bash -c "$cure" >/dev/null 2>&1
t_and_check "$W/rt.conf" rt2
check "... and the cure run as printed ($cure) mends it: -t and check pass ($T_RC, $C_RC)" test "$T_RC$C_RC" = 00
# -t as root reads the keyring as the daemon's user: with the keyring's
# agent stopped, the one -t needs is the daemon's user's, never root's.
runuser -u nobody -- gpgconf --homedir "$W/state/gnupg" --kill gpg-agent
for _ in $(seq 1 50); do [ -e "$W/state/gnupg/S.gpg-agent" ] || break; sleep 0.1; done
"$MILTER_BIN" -t -c "$W/milter.conf" > "$W/t.out" 2>&1
check "-t passes the config the daemon runs with: $(tail -n 1 "$W/t.out")" grep -q 'configuration ok' "$W/t.out"
check "-t warns while no public text is loaded, naming embargoctl public add" \
    grep -q 'no public text is loaded.*embargoctl public add' "$W/t.out"
no_root_agent() { ! ps -u root -o comm=,args= | awk '$1 == "gpg-agent"' | grep -qF -- "--homedir $W/state/gnupg "; }
check "-t as root left no root-owned gpg-agent in the daemon's keyring" no_root_agent
e2e_finish
