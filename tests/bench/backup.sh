#!/bin/bash
# backup.sh - make bench (fifth part): the size and time of a backup of a
# store with BENCH_ADVISORIES (200) advisories, each posted to the list
# and fanned out to BENCH_MEMBERS (5) members, and at least
# BENCH_AUDIT (10000) audit records (the posts' own, then passes of
# ordinary mail with audit_passes = all); then the time of a restore of
# it into an empty state of a second config.  Three backups while the
# daemon runs; the table gives each size and time, the median, and the
# restore's time.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=$TOP/build/embargo-milter
CTL_BIN=$TOP/build/embargoctl
. "$TOP/tests/e2e/lib.sh"
NADV=${BENCH_ADVISORIES:-200}
NAUDIT=${BENCH_AUDIT:-10000}
e2e_start --keys "${BENCH_MEMBERS:-5}"
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:' \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0'
postfix -c "$W/pf" reload >/dev/null 2>&1
A=$W/admin-gnupg
mkdir -m 0700 "$A"
GNUPG_HOMES+=("$A")
gpg --homedir "$A" --batch -q --passphrase '' --quick-gen-key 'Backup Admin <admin@example.org>' future-default default never 2>/dev/null
AFPR=$(gpg --homedir "$A" --batch --with-colons --list-keys admin@example.org 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
gpg --homedir "$A" --batch --export "$AFPR" | as_nobody gpg --homedir "$W/state/gnupg" --batch -q --import 2>/dev/null
sed -i 's/^audit_passes .*//' "$W/milter.conf"
printf 'audit_passes = "all"\nbackup {\n  recipients = { "%s" }\n}\n' "$AFPR" >> "$W/milter.conf"
milter_stop
milter_start
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
when=$(utc_in 864000)
for i in $(seq 1 "$NADV"); do
	id=$((2000 + i))
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory $id v1"; echo
	  { echo "            Xen Security Advisory XSA-$id"; echo "                version 1"; echo
	    echo "*** EMBARGOED UNTIL $when ***"; echo
	    for l in $(seq 1 30); do echo "Advisory $id line $l: the hypervisor mishandles request $(( id * 100 + l )) badly."; done
	  } | gpg --homedir "$TEAM_HOME" --batch -q --clearsign 2>/dev/null; } > "$W/msg"
	send security@example.org predisclosure@lists.example.org
	[ "$SWAKS_RC" = 0 ] || { echo "bench: XSA-$id refused: $(reply)"; exit 1; }
done
settled
count() { ctl audit verify | sed -n 's/.*ok: \([0-9]*\) records.*/\1/p'; }
n=$(count)
if [ "${n:-0}" -lt "$NAUDIT" ]; then
	smtp-source -s 10 -m $(( NAUDIT - n + 100 )) -l 2048 -f dev@vendor.example \
	    -t rcpt@sink.bench.example "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1
	full() { [ "$(count)" -ge "$NAUDIT" ]; }
	wait_for 300 full || { echo "bench: the audit has $(count) records"; exit 1; }
fi
echo "# $(ctl advisories | grep -c '^XSA-') advisories, $(count) audit records, store $(du -k "$W/state/data.mdb" | cut -f1) KiB on disk"
printf '| backup | size (bytes) | time (s) |\n| ---: | ---: | ---: |\n'
for k in 1 2 3; do
	t0=$(date +%s.%N)
	"$CTL_BIN" -c "$W/milter.conf" backup "$W/b$k.gpg" --secret-keys > "$W/b$k.out" 2>&1 || { cat "$W/b$k.out"; exit 1; }
	t1=$(date +%s.%N)
	printf '| %d | %d | %.2f |\n' "$k" "$(stat -c %s "$W/b$k.gpg")" "$(echo "$t1 $t0" | awk '{ print $1 - $2 }')"
	echo "$t1 $t0" | awk '{ print $1 - $2 }' >> "$W/times"
done
echo "median backup time: $(sort -n "$W/times" | sed -n 2p) s (the embargoctl command whole, daemon running)"
sed -e "s|^state_dir = .*|state_dir = \"$W/other\"|" -e "s|^gnupg_home = .*|gnupg_home = \"$W/other/gnupg\"|" \
    "$W/milter.conf" > "$W/other.conf"
mkdir -m 0700 "$W/other" && chown nobody "$W/other"
t0=$(date +%s.%N)
"$CTL_BIN" -c "$W/other.conf" restore "$W/b1.gpg" --gnupg-home "$A" > "$W/r.out" 2>&1 || { cat "$W/r.out"; exit 1; }
t1=$(date +%s.%N)
echo "restore into an empty state: $(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }') s (decrypt, verify the chain of $(count) records, put in place)"
