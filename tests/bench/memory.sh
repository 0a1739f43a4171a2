#!/bin/bash
# memory.sh - make bench (third part): the daemon's memory under many
# large messages at once.  smtp-source opens BENCH_SESSIONS (200) sessions
# at once, each sending one message of each size in BENCH_MB ("1 5") MB, to
# a discard transport through the -O2 daemon; the figure is the daemon's
# peak RSS (VmHWM from /proc) for each size, in a daemon started afresh,
# beside the bytes in flight.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=$TOP/build/embargo-milter
CTL_BIN=$TOP/build/embargoctl
. "$TOP/tests/e2e/lib.sh"
SESSIONS=${BENCH_SESSIONS:-200}
e2e_start --keys 0
# Postfix's default milter time-out (the harness's is 60 s): the last of
# 200 large messages waits for the ones before it to be read.
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:' \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0' \
    'milter_content_timeout = 300s'
postfix -c "$W/pf" reload >/dev/null 2>&1
echo "| message | sessions | in flight | peak RSS of the daemon | per session | time | taken |"
echo "|---|---|---|---|---|---|---|"
for mb in ${BENCH_MB:-1 5}; do
	milter_stop; milter_start || exit 1
	pid=$(cat "$W/milter.pid")
	base=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	before=$(grep -c 'status=sent' "$W/pf/maillog" 2>/dev/null)
	t0=$(date +%s.%N)
	if ! smtp-source -c -m "$SESSIONS" -s "$SESSIONS" -l $((mb * 1048576)) \
	    -f dev@vendor.example -t sink@discard.example "127.0.0.1:$SMTP_PORT" \
	    > "$W/source.log" 2>&1; then
		echo "bench: smtp-source failed for $mb MB:"; sed 's/^/  /' "$W/source.log" | tail -n 5
		continue
	fi
	t1=$(date +%s.%N)
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	queue_settled
	taken=$(( $(grep -c 'status=sent' "$W/pf/maillog") - before ))
	awk -v mb="$mb" -v s="$SESSIONS" -v base="$base" -v hwm="$hwm" -v t0="$t0" -v t1="$t1" -v n="$taken" 'BEGIN {
	    printf "| %d MB | %d | %d MiB | %.0f MiB (%.0f MiB at rest) | %.0f KiB | %.1f s | %d |\n",
	        mb, s, mb * s, hwm / 1024, base / 1024, (hwm - base) / s, t1 - t0, n }'
done
echo
echo "(${SESSIONS} sessions at once, smtp-source -c -m $SESSIONS -s $SESSIONS; -O2 build; $(nproc) cores)"
