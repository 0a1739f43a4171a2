#!/bin/sh
# run.sh - the libFuzzer targets
#
#   run.sh smoke            each target for a short run over its seeds and
#                           every kept regression input (make check)
#   run.sh long SECONDS     each target for SECONDS (make fuzz FUZZ_SECONDS=N);
#                           a crashing input is kept in tests/fuzz/regress/
#
# Prints one TAP line per target; the seeds are tests/fuzz/corpus/TARGET
# and the real mail in tests/data.  New corpus entries go to build/fuzz.
set -u
cd "$(dirname "$0")/../.." || exit 2
mode=${1:-smoke}
secs=${2:-60}
rc=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in mime marker conf pgp; do
	bin=build/fuzz/fuzz_$t
	work=build/fuzz/work-$t
	mkdir -p "$work" tests/fuzz/regress
	seeds=""
	[ -d "tests/fuzz/corpus/$t" ] && seeds="tests/fuzz/corpus/$t"
	case $t in mime|marker|pgp) seeds="$seeds tests/data" ;; esac
	log=build/fuzz/$t.log
	if [ "$mode" = smoke ]; then
		# The kept crashes first (each must pass now), then a short run.
		regress=$(find tests/fuzz/regress -name "$t-*" -type f | sort)
		if [ -n "$regress" ] && ! "$bin" $regress >"$log" 2>&1; then
			echo "not ok fuzz $t: a kept regression input fails again"
			tail -n 20 "$log" | sed 's/^/# /'
			rc=1
			continue
		fi
		set -- -max_total_time=8 -timeout=20
	else
		set -- -max_total_time="$secs" -timeout=20
	fi
	if "$bin" "$@" -dict=tests/fuzz/mime.dict -max_len=65536 \
	    -artifact_prefix=tests/fuzz/regress/$t- "$work" $seeds >"$log" 2>&1; then
		echo "ok fuzz $t: $(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1) runs, $(grep -o 'cov: [0-9]*' "$log" | tail -n 1), no crash"
	else
		echo "not ok fuzz $t: see $log"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 | sed 's/^/# /'
		rc=1
	fi
done
exit $rc
