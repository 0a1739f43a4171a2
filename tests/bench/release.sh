#!/bin/bash
# release.sh - make bench (fourth part): the release burst.  BENCH_HELD (20)
# advisories, each fanned out as version 1 to BENCH_MEMBERS (5) members,
# all under embargo until the same second E; the team's public posting of
# each (version 2, to two public lists) is held.  At E every posting is
# released to both lists and, version 2 being new to the list, a final
# copy of it goes to every member.  Meanwhile 10 smtp-source sessions of
# pass-through mail run through the same Postfix and milter, from E-5 s
# to E+10 s.  The figure: for each posting, the time after E at which the
# listener had accepted the last of its messages (both lists and every
# member's final copy), read from the daemon's log (milliseconds).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=$TOP/build/embargo-milter
CTL_BIN=$TOP/build/embargoctl
. "$TOP/tests/e2e/lib.sh"
NHELD=${BENCH_HELD:-20}
NMEMBERS=${BENCH_MEMBERS:-5}
e2e_start --keys "$NMEMBERS"
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:' \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0'
postfix -c "$W/pf" reload >/dev/null 2>&1
LEAD=$(( 40 + NHELD * 2 ))
E=$(( $(date +%s) + LEAD ))
when=$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')
text() {	# text ID VERSION: an advisory, inline-signed by the team
	{ echo "            Xen Security Advisory XSA-$1"; echo "                version $2"; echo
	  echo "*** EMBARGOED UNTIL $when ***"; echo
	  for l in $(seq 1 15); do echo "Advisory $1 line $l: the hypervisor mishandles request $(( $1 * 100 + l )) in a way."; done
	} | gpg --homedir "$TEAM_HOME" --batch -q --clearsign 2>/dev/null
}
for i in $(seq 1 "$NHELD"); do
	id=$((900 + i))
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory $id v1"; echo; text "$id" 1; } > "$W/msg"
	send security@example.org predisclosure@lists.example.org
	[ "$SWAKS_RC" = 0 ] || { echo "bench: list post of XSA-$id refused: $(reply)"; exit 1; }
	{ echo "From: security@example.org"; echo "To: announce@lists.example.org, oss-security@lists.example.net"
	  echo "Subject: Xen Security Advisory $id v2"; echo; text "$id" 2; } > "$W/msg"
	send security@example.org announce@lists.example.org oss-security@lists.example.net
	[ "$SWAKS_RC" = 0 ] || { echo "bench: public posting of XSA-$id refused: $(reply)"; exit 1; }
done
held=$(as_nobody "$CTL_BIN" -c "$W/milter.conf" held | grep -c ' held ')
echo "# $held postings held until $when ($(( E - $(date +%s) )) s from now)"
[ "$held" = "$NHELD" ] || { echo "bench: $held of $NHELD postings held"; exit 1; }
while [ "$(date +%s)" -lt $(( E - 5 )) ]; do sleep 0.2; done
off=$(wc -l < "$W/milter.log")
offb=$(stat -c %s "$W/milter.log")
pf0=$(grep -c 'status=sent' "$W/pf/maillog")
smtp-source -s 10 -m 1000000 -l 4096 -f dev@vendor.example -t rcpt@sink.bench.example \
    "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1 &
src=$!
t0=$(date +%s.%N)
while [ "$(date +%s)" -lt $(( E + 10 )) ]; do sleep 0.2; done
kill "$src" 2>/dev/null; wait "$src" 2>/dev/null
t1=$(date +%s.%N)
want=$(( 2 + NMEMBERS ))	# both lists and every member's final copy
# Every message of every posting, however late (up to 5 minutes).
python3 "$TOP/tests/bench/wait_log.py" "$W/milter.log" "$offb" \
    '(copy of XSA-9[0-9]+ revision 2|released posting about XSA-9[0-9]+ revision [0-9]+) .*reinjection listener' \
    $(( NHELD * want )) 300 > /dev/null
passed=$(( $(grep -c 'status=sent' "$W/pf/maillog") - pf0 ))
tail -n +"$((off + 1))" "$W/milter.log" |
    grep -E '(copy of XSA-9[0-9]+ revision 2|released posting about XSA-9[0-9]+ revision [0-9]+) .*reinjection listener' |
    awk -v E="$E" -v want="$want" -v n="$NHELD" -v passed="$passed" -v secs="$(echo "$t1 - $t0" | awk '{ print $1 - $3 }')" '
    {
	ts = $1; sub(/Z$/, "", ts)
	split(ts, dt, "T"); split(dt[2], hms, ":")
	cmd = "date -u -d " dt[1] " +%s"; cmd | getline day; close(cmd)
	t = day + hms[1] * 3600 + hms[2] * 60 + hms[3]
	match($0, /XSA-[0-9]+/); id = substr($0, RSTART, RLENGTH)
	cnt[id]++
	if (!(id in last) || t > last[id]) last[id] = t
    }
    END {
	k = 0; missing = 0
	for (id in last) { lag[++k] = last[id] - E; if (cnt[id] < want) missing++ }
	for (i = 2; i <= k; i++) { v = lag[i]; j = i - 1; while (j > 0 && lag[j] > v) { lag[j + 1] = lag[j]; j-- } lag[j + 1] = v }
	p99 = lag[int(0.99 * k + 0.999)]; p50 = lag[int(0.5 * k + 0.5)]
	printf "| postings | messages each | complete | p50 lag (s) | p99 lag (s) | max lag (s) | pass-through during (msg/s) |\n"
	printf "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
	printf "| %d | %d | %d | %.3f | %.3f | %.3f | %.0f |\n", n, want, k - missing, p50, p99, lag[k], passed / secs
    }' | tee "$TOP/build/bench-release.md"
# The pass-through rate before the burst (E-4 s to E) beside its rate
# during it (E to the last message of the burst), from the daemon's
# "pass" lines.
tail -c +"$((offb + 1))" "$W/milter.log" | python3 -c '
import re, sys, datetime
E, n, want = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def t(line):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z", line)
    return datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp() if m else None
passes, burst = [], []
for line in sys.stdin:
    ts = t(line)
    if ts is None:
        continue
    if re.search(r": pass( |$)", line):
        passes.append(ts)
    elif re.search(r"(copy of XSA-9\d+ revision 2|released posting about XSA-9\d+ revision \d+) .*reinjection listener", line):
        burst.append(ts)
end = max(burst) if burst else E + 1
before = sum(1 for x in passes if E - 4 <= x < E) / 4.0
during = sum(1 for x in passes if E <= x <= end) / max(end - E, 0.001)
print("| pass-through before the burst (msg/s, E-4 s to E) | during it (msg/s, E to E+%.2f s) |" % (end - E))
print("| ---: | ---: |")
print("| %.0f | %.0f |" % (before, during))
' "$E" "$NHELD" "$want" | tee -a "$TOP/build/bench-release.md"
echo "(lag: from the embargo date to the listener's acceptance of the last message of that posting, from the daemon's log; $NMEMBERS members; 10 smtp-source sessions of 4 KB pass-through mail from E-5 s to E+10 s)"
