#!/bin/bash
# t_backup - the list server dies (SPEC 8, "Backups, restore and a
# standby"): a live embargo with two members, a held posting due in a
# minute and copies in flight (the reinjection listener refusing) are
# backed up while the daemon runs, encrypted to an administrator's key;
# the state directory is wiped; the backup is restored into it with the
# administrator's own keyring; the daemon starts: the held posting goes
# out at its date once, each copy arrives (at most twice, one
# Message-ID), the audit chain verifies and says "restored".  A backup
# with its audit chain altered, or with the tip its manifest names
# changed, or a damaged file, is refused; a restore over a live store is
# refused.  A standby restored from the same backup answers 451 to list
# mail through its own Postfix listener and releases nothing while the
# primary runs; promote refuses while the primary answers.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 2
ctl() { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
sctl() { "$CTL_BIN" -c "$W/standby.conf" "$@"; }
SB_PID=
standby_stop() { [ -n "$SB_PID" ] && kill -TERM "$SB_PID" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$SB_PID" 2>/dev/null || break; sleep 0.05; done; [ -n "$SB_PID" ] && kill -9 "$SB_PID" 2>/dev/null; SB_PID=; }
trap 'standby_stop; e2e_cleanup' EXIT

# An administrator's key, in a keyring of its own; its public half in
# the daemon's keyring; the backup section names it.
A=$W/admin-gnupg
mkdir -m 0700 "$A"
GNUPG_HOMES+=("$A")
gpg --homedir "$A" --batch -q --passphrase '' --quick-gen-key 'Backup Admin <admin@example.org>' future-default default never 2>/dev/null
AFPR=$(gpg --homedir "$A" --batch --with-colons --list-keys admin@example.org 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
gpg --homedir "$A" --batch --export "$AFPR" | as_nobody gpg --homedir "$W/state/gnupg" --batch -q --import
DEAD=$(free_port)
cat >> "$W/milter.conf" <<EOF
backup {
  recipients = { "$AFPR" }
  dir  = "$W/backups"
  keep = 2
}
EOF
# Copies in flight: the daemon's reinjection port answers nothing.
sed -i "s|  port = $REINJECT_PORT|  port = $DEAD|" "$W/milter.conf"
mkdir -m 0700 "$W/backups" && chown nobody "$W/backups"
milter_stop
milter_start
check "embargoctl check accepts the backup section" bash -c "'$CTL_BIN' -c '$W/milter.conf' check >/dev/null 2>&1"
check "a backup section without recipients is refused, naming the cure" bash -c \
    "sed 's|  recipients = .*||' '$W/milter.conf' > '$W/bad.conf'; '$CTL_BIN' -c '$W/bad.conf' check 2>&1 | grep -q 'backup: no recipients'"

# 1. Under embargo: XSA-405 revision 2 to the two members (copies wait
#    for the listener), revision 3 to the public list held until E.
E=$(utc_in 100)
E_EPOCH=$(date -u -d "${E% UTC}" +%s)
sed -e 's/^\( *\)version 3$/\1version 2/' -e 's/^\(Subject: .*\) v3 /\1 v2 /' \
    "$TOP/tests/data/xsa405.eml" > "$W/x405v2.eml"
real_post "$W/x405v2.eml" "$E" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-405 revision 2 is registered under embargo (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
real_post "$TOP/tests/data/xsa405.eml" - "$W/msg" announce@lists.example.org
send security@example.org announce@lists.example.org
check "revision 3 to the public list is held (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
tried() { ctl outbox | grep -E 'copy .*(queued|built)' | grep -q .; }
check "the copies wait in the outbox (the listener refuses)" wait_for 30 tried

# 2. Backups while the daemon runs.
check "backup FILE --secret-keys (rc 0)" bash -c "'$CTL_BIN' -c '$W/milter.conf' backup '$W/b1.gpg' --secret-keys > '$W/b1.out' 2>&1"
sed 's/^/# /' "$W/b1.out"
check "the backup is OpenPGP encrypted to the administrator's key alone" bash -c \
    "gpg --homedir '$A' --batch --list-packets '$W/b1.gpg' 2>/dev/null | grep -c '^:pubkey enc packet' | grep -qx 1 && ! grep -aq 'XSA-405\|MANIFEST' '$W/b1.gpg'"
check "the backup file is 0600" test "$(stat -c %a "$W/b1.gpg")" = 600
for i in 1 2 3; do ctl backup --dir > "$W/dir$i.out" 2>&1 || break; done
check "backup --dir keeps the newest 2" test "$(ls "$W/backups" | grep -c '^embargo-backup-.*\.gpg$')" = 2
ctl backup - 2>/dev/null > "$W/b-stdout.gpg"
check "backup - writes the encrypted backup to standard output" bash -c "gpg --homedir '$A' --batch -q -d '$W/b-stdout.gpg' 2>/dev/null | tar -t 2>/dev/null | grep -qx state/data.mdb"
check "the audit says who made each backup" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --json | grep -c '\"event\":\"backup\"' | grep -qx 5"

# Tampered copies of b1: the audit chain altered inside the store, the
# manifest's tip changed, the file cut short.
/usr/bin/python3 - "$A" "$W/b1.gpg" "$W" "$AFPR" <<'PY'
import io, json, subprocess, sys, tarfile
home, src, w, fpr = sys.argv[1:]
plain = subprocess.run(["gpg", "--homedir", home, "--batch", "-q", "-d", src], capture_output=True, check=True).stdout
def rewrite(name, change):
    tin = tarfile.open(fileobj=io.BytesIO(plain))
    out = io.BytesIO()
    tout = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)
    for m in tin.getmembers():
        data = tin.extractfile(m).read()
        data = change(m.name, data)
        m.size = len(data)
        tout.addfile(m, io.BytesIO(data))
    tout.close()
    enc = subprocess.run(["gpg", "--homedir", home, "--batch", "-q", "--trust-model", "always", "-e", "-r", fpr],
                         input=out.getvalue(), capture_output=True, check=True).stdout
    open(name, "wb").write(enc)
def chain(n, d):
    if n != "state/data.mdb":
        return d
    assert b"predisclosure@lists.example.org" in d, "no audit text found in the store"
    return d.replace(b"predisclosure@lists.example.org", b"Predisclosure@lists.example.org")
def tip(n, d):
    if n != "MANIFEST.json":
        return d
    m = json.loads(d)
    m["audit_hash"] = "0" * 64
    return (json.dumps(m) + "\n").encode()
rewrite(w + "/bad-chain.gpg", chain)
rewrite(w + "/bad-tip.gpg", tip)
open(w + "/cut.gpg", "wb").write(open(src, "rb").read()[:-100])
PY

# 3. The host dies: the daemon stops, the state directory is wiped.
milter_stop
held_before=$(delivered announce@lists.example.org)
rm -rf "$W/state" && mkdir -m 0700 "$W/state" && chown nobody "$W/state"
sed -i "s|  port = $DEAD|  port = $REINJECT_PORT|" "$W/milter.conf"
for b in bad-chain bad-tip cut; do
	ctl restore "$W/$b.gpg" --gnupg-home "$A" > "$W/$b.out" 2>&1
	check "a restore of $b.gpg is refused (rc $?): $(tail -n 1 "$W/$b.out" | cut -c1-150)" \
	    bash -c "! test -s '$W/state/data.mdb' && grep -q 'restore:' '$W/$b.out'"
done
check "restore with the administrator's keyring (rc 0)" bash -c "'$CTL_BIN' -c '$W/milter.conf' restore '$W/b1.gpg' --gnupg-home '$A' > '$W/r1.out' 2>&1"
sed 's/^/# /' "$W/r1.out"
check "restore prints XSA-405 under embargo until its date" grep -qE "^  XSA-405 +r[0-9]+ +embargoed" "$W/r1.out"
check "the backup's config (the dead port) differs: written beside, never over" bash -c \
    "grep -q 'port = $DEAD' '$W/milter.conf.from-backup' && grep -q 'port = $REINJECT_PORT' '$W/milter.conf'"
check "a second restore over the live store is refused" bash -c \
    "! '$CTL_BIN' -c '$W/milter.conf' restore '$W/b1.gpg' --gnupg-home '$A' > '$W/r2.out' 2>&1 && grep -q 'holds a store' '$W/r2.out'"
check "the restored state is the daemon's user's, not others'" bash -c \
    "[ \$(stat -c %U '$W/state/data.mdb') = nobody ] && [ \$(stat -c %a '$W/state/data.mdb') = 600 ]"

# 4. The standby: the same backup, a state of its own, its own milter and
#    a Postfix listener that uses it.
SB_MILTER=$(free_port) SB_SMTP=
while [ -z "$SB_SMTP" ] || [ "$SB_SMTP" = "$SB_MILTER" ]; do SB_SMTP=$(free_port); done
sed -e "s|^socket = .*|socket = \"inet:$SB_MILTER@127.0.0.1\"|" \
    -e "s|^state_dir = .*|state_dir = \"$W/standby\"|" \
    -e "s|^gnupg_home = .*|gnupg_home = \"$W/standby/gnupg\"|" "$W/milter.conf" > "$W/standby.conf"
printf 'standby {\n  primary_milter = "inet:%s@127.0.0.1"\n  primary_reinject = "127.0.0.1:%s"\n}\n' "$MILTER_PORT" "$REINJECT_PORT" >> "$W/standby.conf"
chgrp "$(id -gn nobody)" "$W/standby.conf" && chmod 0640 "$W/standby.conf"
mkdir -m 0700 "$W/standby" && chown nobody "$W/standby"
check "restore --standby into the standby's state" bash -c "'$CTL_BIN' -c '$W/standby.conf' restore '$W/b1.gpg' --gnupg-home '$A' --standby > '$W/sb.out' 2>&1"
check "... it says the host is a standby" grep -q 'this host is a standby' "$W/sb.out"
check "a standby's own store may be replaced with --standby" bash -c "'$CTL_BIN' -c '$W/standby.conf' restore '$W/b1.gpg' --gnupg-home '$A' --standby > '$W/sb2.out' 2>&1"

milter_start
"$MILTER_BIN" -f -c "$W/standby.conf" >>"$W/standby.log" 2>&1 &
SB_PID=$!
check "the standby's milter listens" wait_port "$SB_MILTER" 10
echo "127.0.0.1:$SB_SMTP inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$SB_MILTER" >> "$W/pf/master.cf"
pf_reload
wait_port "$SB_SMTP" 10
printf 'From: security@example.org\nTo: predisclosure@lists.example.org\nSubject: hello\n\nA note for the list.\n' > "$W/msg"
send --port "$SB_SMTP" security@example.org predisclosure@lists.example.org
check "the standby answers list mail 451 (rc $SWAKS_RC: $(reply))" bash -c "[ '$SWAKS_RC' = 25 ] || [ '$SWAKS_RC' = 26 ] || [ '$SWAKS_RC' = 23 ]; grep -q '451 4.3.2 this host is the standby' '$W/swaks.log'"
check "promote refuses while the primary answers" bash -c "! '$CTL_BIN' -c '$W/standby.conf' promote > '$W/p1.out' 2>&1 && grep -q 'the primary still answers' '$W/p1.out'"

# 5. The restored primary: the copies arrive, the posting goes out at E.
copies_in() { mailpy select Subject 'Embargoed security advisory XSA-405' $(find "$(maildir "$1")/new" -type f 2>/dev/null) 2>/dev/null; }
both() { [ -n "$(copies_in "${MEMBER_ADDR[1]}")" ] && [ -n "$(copies_in "${MEMBER_ADDR[2]}")" ]; }
check "each member's copy in flight arrives after the restore" wait_for 60 both
for i in 1 2; do
	ids=$(for f in $(copies_in "${MEMBER_ADDR[$i]}"); do mailpy header "$f" Message-ID; done | sort -u | wc -l)
	n=$(copies_in "${MEMBER_ADDR[$i]}" | wc -l)
	check "member $i: $n copy/copies of revision 2, one Message-ID" bash -c "[ $n -ge 1 ] && [ $n -le 2 ] && [ $ids = 1 ]"
done
out() { [ "$(delivered announce@lists.example.org)" -gt "$held_before" ]; }
check "the held posting goes out" wait_for 150 out
settled
check "... at its date, not before ($(date -u +%s) >= $E_EPOCH)" bash -c "ls --time-style=+%s -l '$(maildir announce@lists.example.org)'/new/* | awk '{ print \$6 }' | sort -n | head -n 1 | awk -v e=$E_EPOCH '\$1 >= e { ok = 1 } END { exit !ok }'"
check "... once" test "$(delivered announce@lists.example.org)" = 1
check "the standby released nothing: its hold is still held" bash -c "'$CTL_BIN' -c '$W/standby.conf' held | grep -q 'announce@lists.example.org'"
check "the primary's audit chain verifies" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit verify | grep -q 'audit chain ok'"
check "the audit says restored, from when and by whom" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --json | grep '\"event\":\"restored\"' | grep -q 'restored from a backup taken at'"
check "promote --force makes the standby active, audited" bash -c "'$CTL_BIN' -c '$W/standby.conf' promote --force > '$W/p2.out' 2>&1 && '$CTL_BIN' -c '$W/standby.conf' audit --json | grep -q '\"event\":\"promoted\"'"
standby_stop
e2e_finish
