#!/bin/bash
# throughput.sh - make bench (second part): Postfix throughput with the
# milter against the same Postfix without it, side by side in one run, and
# Debian's opendkim (verify mode) as the milter people already run.
#
# smtp-source, 10 sessions, BENCH_MSGS (3000) messages of 4 KB to a
# discard transport, BENCH_ROUNDS (3) alternating rounds of: no milter,
# embargo-milter with 0 advisories, opendkim, embargo-milter with 200
# advisories under embargo.  Also the milter's own CPU time per message
# (utime+stime from /proc), less noisy than throughput.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=$TOP/build/embargo-milter
CTL_BIN=$TOP/build/embargoctl
. "$TOP/tests/e2e/lib.sh"
MSGS=${BENCH_MSGS:-3000}
ROUNDS=${BENCH_ROUNDS:-3}
NADV=${BENCH_ADVISORIES:-200}
command -v opendkim >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends opendkim >/dev/null
e2e_start --keys 0
# No members: the 200 advisories are registered, their copies go nowhere.
milter_stop
# Unix sockets for both milters (over TCP both lose far more: see the note).
SOCK=$W/milter.sock
if [ "${BENCH_TCP:-}" != 1 ]; then
	sed -i "s|^socket = .*|socket = \"unix:$SOCK\"|" "$W/milter.conf"
	postconf -c "$W/pf" -e "smtpd_milters = unix:$SOCK"
fi
NOMILTER_PORT=$(free_port); ODK_PORT=$((NOMILTER_PORT + 1)); ODK_MILTER=$((NOMILTER_PORT + 2))
cat >> "$W/pf/master.cf" <<MASTER
127.0.0.1:$NOMILTER_PORT inet n - n - - smtpd -o smtpd_milters=
127.0.0.1:$ODK_PORT inet n - n - - smtpd -o smtpd_milters=$([ "${BENCH_TCP:-}" = 1 ] && echo "inet:127.0.0.1:$ODK_MILTER" || echo "unix:$W/odk/odk.sock")
MASTER
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:' \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0'
postfix -c "$W/pf" reload >/dev/null 2>&1
cat > "$W/opendkim.conf" <<ODK
Mode v
Socket $([ "${BENCH_TCP:-}" = 1 ] && echo "inet:$ODK_MILTER@127.0.0.1" || echo "local:$W/odk/odk.sock")
UMask 000
Syslog no
UserID opendkim
PidFile $W/opendkim.pid
ODK
mkdir -p "$W/odk" && chown opendkim "$W/odk"
opendkim -x "$W/opendkim.conf" -f > "$W/opendkim.log" 2>&1 &
echo $! > "$W/odk.pid"
if [ "${BENCH_TCP:-}" = 1 ]; then
	milter_start
else
	"$MILTER_BIN" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
	echo $! > "$W/milter.pid"
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
	sleep 0.5
	chmod 0666 "$SOCK"	# the bench's Postfix user is not in the daemon's group
	for _ in $(seq 1 100); do [ -S "$W/odk/odk.sock" ] && break; sleep 0.1; done
fi
wait_port "$NOMILTER_PORT" 10 && wait_port "$ODK_PORT" 10 ||
    { echo "bench: listeners did not start"; exit 1; }
trap 'kill "$(cat "$W/odk.pid")" 2>/dev/null; e2e_cleanup' EXIT

cpu() { awk '{ print $14 + $15 }' "/proc/$(cat "$W/milter.pid")/stat"; }
run() {	# run PORT: messages per second; every message must be accepted
	local t0 t1 before after
	before=$(grep -c 'status=sent' "$W/pf/maillog")
	t0=$(date +%s.%N)
	smtp-source -s 10 -m "$MSGS" -l 4096 -f sender@bench.example \
	    -t rcpt@sink.bench.example "127.0.0.1:$1" >/dev/null 2>&1
	t1=$(date +%s.%N)
	for _ in $(seq 1 100); do
		after=$(grep -c 'status=sent' "$W/pf/maillog")
		[ $((after - before)) -ge "$MSGS" ] && break
		sleep 0.2
	done
	if [ $((after - before)) -lt "$MSGS" ] || grep -q 'milter-reject' "$W/pf/maillog"; then
		echo "bench: port $1 did not accept all $MSGS messages ($((after - before))); see $W/pf/maillog" >&2
		exit 1
	fi
	awk -v a="$t0" -v b="$t1" -v n="$MSGS" 'BEGIN { printf "%.0f", n / (b - a) }'
}
register_advisories() {	# N inline-signed posts, each registers an embargoed advisory
	local i when
	when=$(utc_in 604800)
	for i in $(seq 1 "$1"); do
		{ echo "            Xen Security Advisory XSA-$((5000 + i))"; echo "                version 1"; echo
		  echo "*** EMBARGOED UNTIL $when ***"; echo
		  for l in $(seq 1 15); do echo "Advisory $i line $l: the hypervisor mishandles request $((i * 100 + l)) in a way."; done
		} | gpg --homedir "$TEAM_HOME" --batch -q --clearsign 2>/dev/null > "$W/body"
		{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
		  echo "Subject: Xen Security Advisory $((5000 + i)) v1"; echo; cat "$W/body"; } > "$W/msg"
		send security@example.org predisclosure@lists.example.org
	done
}

declare -A SUM CPU
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
rounds() {	# rounds LABEL: ROUNDS alternating rounds of none, ours (LABEL), opendkim
	local r kind port c0 c1 rate
	for r in $(seq 1 "$ROUNDS"); do
		for kind in none "$1" opendkim; do
			case $kind in
			none) port=$NOMILTER_PORT ;; opendkim) port=$ODK_PORT ;; *) port=$SMTP_PORT ;;
			esac
			c0=$(cpu); rate=$(run "$port"); c1=$(cpu)
			SUM[$kind]="${SUM[$kind]:-} $rate"
			[ "$kind" = "$1" ] && CPU[$kind]="${CPU[$kind]:-} $(( c1 - c0 ))"
			echo "# round $r: $kind $rate msg/s"
		done
	done
}
rounds milter0
register_advisories "$NADV"
echo "# registered $("$CTL_BIN" -c "$W/milter.conf" advisories 2>/dev/null | grep -c embargoed) advisories under embargo"
rounds "milter$NADV"
hz=$(getconf CLK_TCK)
med() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
none=$(echo "${SUM[none]}" | med)
out=$TOP/build/bench-throughput.md
{
echo "socket: $([ "${BENCH_TCP:-}" = 1 ] && echo TCP || echo unix), $MSGS messages of 4 KB, 10 sessions"
echo
echo "| path | msg/s (median of $ROUNDS+$ROUNDS rounds; none: of all) | ratio to no milter | milter CPU ms/msg |"
echo "| --- | ---: | ---: | ---: |"
row "no milter" "$none" "1.00 | -"
for kind in milter0 "milter$NADV" opendkim; do
	m=$(echo "${SUM[$kind]}" | med)
	cpu_ms="-"
	[ -n "${CPU[$kind]:-}" ] && cpu_ms=$(echo "${CPU[$kind]}" | tr ' ' '\n' | grep . |
	    awk -v hz="$hz" -v n="$MSGS" '{ s += $1; k++ } END { printf "%.3f", s * 1000 / hz / (n * k) }')
	row "$kind" "$m" "$(awk -v a="$m" -v b="$none" 'BEGIN { printf "%.2f", a / b }') | $cpu_ms"
done
} | tee "$out"
echo "# table written to $out"
