#!/bin/bash
# t_install - what an administrator installs: "make install" into a
# private root, the systemd unit confined (systemd-analyze security rates
# its exposure 2.5 or lower), and "embargo-milter -t" refusing, naming
# the file and the mode, a config that everyone may read, as a start does.
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
# -t as root reads the keyring as the daemon's user: with the keyring's
# agent stopped, the one -t needs is the daemon's user's, never root's.
runuser -u nobody -- gpgconf --homedir "$W/state/gnupg" --kill gpg-agent
for _ in $(seq 1 50); do [ -e "$W/state/gnupg/S.gpg-agent" ] || break; sleep 0.1; done
"$MILTER_BIN" -t -c "$W/milter.conf" > "$W/t.out" 2>&1
check "-t passes the config the daemon runs with: $(tail -n 1 "$W/t.out")" grep -q 'configuration ok' "$W/t.out"
no_root_agent() { ! ps -u root -o comm=,args= | awk '$1 == "gpg-agent"' | grep -qF -- "--homedir $W/state/gnupg "; }
check "-t as root left no root-owned gpg-agent in the daemon's keyring" no_root_agent
e2e_finish
