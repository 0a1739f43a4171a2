#!/bin/bash
# run.sh - make bench: the fan-out benchmark.  Not a test: it prints a table
# (and writes build/bench-fanout.md) measured side by side in one run.
#
# For each key kind (BENCH_KINDS: cv25519 and rsa3072, OpenPGP; smime,
# members pinned by an RSA 2048 certificate each, tests/bench/certs.sh) and
# member count (BENCH_SIZES), a 20 KB advisory, signed and encrypted to the
# list key by mutt, is posted through the private Postfix; measured:
#   wait   end of DATA -> the sender's 250 (the sender's wait)
#   last   end of DATA -> the last copy accepted by the reinjection listener
#   floor  the same copies made by plain "gpg --sign --encrypt" (smime:
#          "gpgsm --sign", then "gpgsm --encrypt"), two at a time (both
#          cores): the cost of the crypto alone
# and, when Debian's schleuder is installed, schleuder fed the same
# advisory (tests/bench/schleuder.sh, the OpenPGP kinds).  The clock starts
# when the daemon says it has started (it checks every member's key or
# certificate first): that start-up is printed as a "#" line.
# BENCH_EXECS=1: the programs the daemon starts, counted (tests/bench/execs.sh).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=${BENCH_MILTER:-$TOP/build/embargo-milter}	# BENCH_MILTER: another build, side by side
CTL_BIN=$TOP/build/embargoctl
. "$TOP/tests/e2e/lib.sh"
SIZES=${BENCH_SIZES:-"10 100 500"}
KINDS=${BENCH_KINDS:-"cv25519 rsa3072 smime"}
e2e_start --keys 0
milter_stop
. "$TOP/tests/e2e/smime.sh"
. "$TOP/tests/bench/certs.sh"
. "$TOP/tests/bench/execs.sh"
MAXN=$(printf '%s\n' $SIZES | sort -n | tail -n 1)
case " $KINDS " in *" smime "*) bench_certs "$MAXN" || exit 1 ;; esac
# The copies are accepted and dropped: the listener's acceptance is the end.
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:'
postfix -c "$W/pf" reload >/dev/null 2>&1

declare -A KEY
KEY[cv25519]=$(gen_key "$W/bench-cv" "Bench <security@bench-cv.example>")
KEY[rsa3072]=$(gen_key "$W/bench-rsa" "Bench <security@bench-rsa.example>" rsa3072)
for k in cv25519 rsa3072; do
	gpg --homedir "$W/bench-${k%%[0-9]*}" --export "${KEY[$k]}" | list_gpg --import 2>/dev/null
done
list_gpg --export "$LIST_FPR" | gpg --homedir "$W/bench-cv" --batch -q --import 2>/dev/null

# A 20 KB advisory: header block, marker, description, patch.
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
  echo "Subject: Xen Security Advisory 700 v1 - benchmark"; echo
  echo "            Xen Security Advisory CVE-2026-70001 / XSA-700"
  echo "                               version 1"; echo
  echo "*** EMBARGOED UNTIL $(utc_in 7 * 86400 2>/dev/null || utc_in 604800) ***"; echo
  for i in $(seq 1 190); do echo "Line $i of the description of the issue, its impact and mitigation."; done
  for i in $(seq 1 120); do echo "+    fix_line_$i(ctx, idx); /* bounds checked */"; done; } > "$W/draft"
mutt_post "$W/post.eml" "$W/draft" "$LIST_FPR" >/dev/null || { echo "bench: mutt failed"; exit 1; }
list_gpg --decrypt < <(mailpy payload "$W/post.eml") \
    > "$W/entity" 2>/dev/null
chown nobody "$W/entity"
echo "# advisory: $(wc -c < "$W/draft") bytes of text; post $(wc -c < "$W/post.eml") bytes; entity $(wc -c < "$W/entity") bytes"

members_conf() {	# members_conf N KIND: the config with N members of that kind
	sed -n '1,/^list predisclosure/p' "$W/milter.conf.base" | sed '$d'
	if [ "$2" = smime ]; then	# the list signs S/MIME copies with its certificate
		sed -n '/^list predisclosure/,/^}/p' "$W/milter.conf.base" |
		    sed "\$i\\  certificate = \"$LIST_CERT\""
		for i in $(seq 1 "$1"); do
			printf 'member "Bench %d" {\n  address = "security@m%d.bench.example"\n  certificate = "%s"\n}\n' "$i" "$i" "${CERT_PIN[$i]}"
		done
		return
	fi
	sed -n '/^list predisclosure/,/^}/p' "$W/milter.conf.base"
	for i in $(seq 1 "$1"); do
		printf 'member "Bench %d" {\n  address = "security@m%d.bench.example"\n  key = "%s"\n}\n' "$i" "$i" "${KEY[$2]}"
	done
}
cp "$W/milter.conf" "$W/milter.conf.base"

now() { date +%s.%N; }
out=$TOP/build/bench-fanout.md
{ echo "| key | members | sender's wait (s) | last copy accepted (s) | per copy (ms) | gpg (smime: gpgsm) floor, 2 cores (s) | ratio to floor |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"; } > "$out"
for kind in $KINDS; do
	for n in $SIZES; do
		members_conf "$n" "$kind" > "$W/milter.conf"
		[ -n "${BENCH_WORKERS:-}" ] && echo "delivery_workers = $BENCH_WORKERS" >> "$W/milter.conf"
		[ "${BENCH_EXECS:-0}" = 1 ] && execs_start
		python3 "$TOP/tests/bench/wait_log.py" "$W/milter.log" "$(stat -c %s "$W/milter.log")" \
		    ': started on ' 1 1800 > "$W/started" &
		starter=$!
		s0=$(now)
		milter_start || exit 1
		# Its socket opens before it has checked every member's key:
		# the clock starts when it says it has started (one polling
		# process, as for the copies: a loop of tail and grep would
		# take a share of the cores the check runs on).
		while kill -0 "$starter" 2>/dev/null; do
			kill -0 "$(cat "$W/milter.pid")" 2>/dev/null || {
				kill "$starter"; wait "$starter" 2>/dev/null
				echo "bench: the daemon ended at start-up ($kind x $n):"
				tail -n 20 "$W/milter.log" | sed 's/^/#   /'; exit 1; }
			sleep 0.2
		done
		wait "$starter"
		read -r s1 up < "$W/started"
		[ "${BENCH_EXECS:-0}" = 1 ] && execs_mark
		awk -v k="$kind" -v n="$n" -v a="$s0" -v b="$s1" -v u="$up" \
		    'BEGIN { printf "# start-up, %s x %d: %.2f s from launch to \"started on\"%s\n", k, n, b - a, (u < 1 ? " (not seen: timed out)" : "") }'
		if [ -n "${BENCH_PERF:-}" ]; then	# CPU by process over the fan-out alone
			perf record -a -o "$W/perf.data" -- sleep 3600 >/dev/null 2>&1 &
			perf_pid=$!
			sleep 1
		fi
		# A Message-ID of its own: the same post again is a resend the
		# milter answers as before and does nothing for (SPEC 5).
		python3 - "$W/post.eml" "$W/post-$kind-$n.eml" "bench-$kind-$n-$$@example.org" <<'PY'
import sys
raw = open(sys.argv[1], 'rb').read()
head, sep, body = raw.partition(b'\n\n')
lines = [l for l in head.split(b'\n') if not l.lower().startswith(b'message-id:')]
lines.append(b'Message-ID: <' + sys.argv[3].encode() + b'>')
open(sys.argv[2], 'wb').write(b'\n'.join(lines) + sep + body)
PY
		python3 "$TOP/tests/bench/wait_log.py" "$W/milter.log" "$(stat -c %s "$W/milter.log")" \
		    'copy of XSA-700 .*reinjection listener' "$n" 600 > "$W/waited" &
		waiter=$!
		t0=$(now)
		wait250=$(python3 "$TOP/tests/bench/smtp_time.py" 127.0.0.1 "$SMTP_PORT" \
		    security@example.org predisclosure@lists.example.org "$W/post-$kind-$n.eml")
		wait "$waiter"
		read -r t1 got < "$W/waited"
		if [ -n "${BENCH_PERF:-}" ]; then
			kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null
			echo "# CPU by process during the $kind x $n fan-out (perf record -a):"
			perf report -i "$W/perf.data" --no-children --sort comm --stdio 2>/dev/null |
			    grep -E '^ +[0-9]' | head -n 8 | sed 's/^/#   /'
		fi
		[ "${BENCH_EXECS:-0}" = 1 ] && execs_report "$(cat "$W/milter.pid")" "$n"
		milter_stop
		f0=$(now)
		if [ "$kind" = smime ]; then
			bench_smime_floor "$n" "$W/entity"
		else
			seq 1 "$n" | as_nobody xargs -P 2 -I{} gpg --homedir "$W/state/gnupg" --batch -q \
			    --trust-model always -u "$LIST_FPR" -r "${KEY[$kind]}" --sign --encrypt \
			    -o /dev/null "$W/entity"
		fi || echo "bench: the $kind floor failed (xargs rc $?)"
		f1=$(now)
		last=$(echo "$t1 - $t0" | awk '{ printf "%.2f", $1 - $3 }')
		floor=$(echo "$f1 - $f0" | awk '{ printf "%.2f", $1 - $3 }')
		row=$(awk -v k="$kind" -v n="$n" -v w="${wait250%% *}" -v l="$last" -v f="$floor" -v g="$got" \
		    'BEGIN { printf "| %s | %d | %.3f | %.2f%s | %.1f | %.2f | %.2f |", k, n, w, l, (g < n ? " (only " g ")" : ""), l * 1000 / n, f, l / f }')
		echo "$row" | tee -a "$out"
	done
done
echo "# table written to $out"
# Schleuder reads OpenPGP alone: the OpenPGP kinds.
KINDS=$(printf '%s\n' $KINDS | grep -vx smime | tr '\n' ' ')
if [ "${BENCH_SCHLEUDER:-1}" = 1 ] && [ -n "${KINDS// /}" ]; then . "$TOP/tests/bench/schleuder.sh"; fi
