#!/bin/sh
# run-all.sh - every test suite; the last line sums them: "N passed, N
# failed", and ", N skipped" when a check was skipped (TAP "# skip": a skip
# is never a pass).  SUITES="lint unit e2e fuzz" by default; UNIT_TESTS
# names the unit-test binaries that must exist (a missing one fails).
# Runs from the top of the source tree.
set -u
cd "$(dirname "$0")/.." || exit 2
SUITES=${SUITES:-"lint unit e2e fuzz"}
passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {	# add the "ok"/"not ok" lines (TAP) of $log; "ok ... # skip" is a skip
	s=$(grep -ciE '^ok .*# skip' "$log")
	p=$(( $(grep -c '^ok ' "$log") - s ))
	f=$(grep -c '^not ok ' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

for suite in $SUITES; do
	case $suite in
	lint)
		if sh mk/check-banned.sh >"$log" 2>&1; then
			echo "ok house rules: no banned calls"
			passed=$((passed + 1))
		else
			cat "$log"
			echo "not ok house rules: banned calls"
			failed=$((failed + 1))
		fi
		sh mk/lint.sh >"$log" 2>&1
		cat "$log"
		count
		;;
	unit)
		names=${UNIT_TESTS:-$(cd build/asan/tests 2>/dev/null && ls test_* 2>/dev/null)}
		[ -n "$names" ] || { echo "not ok unit tests: none built (make asan)"; failed=$((failed + 1)); }
		for n in $names; do
			t=build/asan/tests/$n
			if [ ! -x "$t" ]; then
				echo "not ok unit test $n: $t is missing"
				failed=$((failed + 1))
				continue
			fi
			"$t" >"$log" 2>&1
			rc=$?
			cat "$log"
			p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
			f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
			p=${p:-0}
			f=${f:-0}
			# A crash or sanitizer abort counts as a failure.
			if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
			passed=$((passed + p))
			failed=$((failed + f))
		done
		;;
	e2e)
		# E2E_JOBS at a time (tests/e2e/run.sh), then each in name order.
		e2e_out=$(mktemp -d)
		t0=$(date +%s)
		bash tests/e2e/run.sh "$e2e_out" "${E2E_JOBS:-2}"
		echo "# end-to-end tests, ${E2E_JOBS:-2} at a time: $(( $(date +%s) - t0 )) s"
		for t in tests/e2e/t_*.sh; do
			n=${t##*/}
			n=${n%.sh}
			cat "$e2e_out/$n.log" > "$log" 2>/dev/null
			cat "$log"
			echo "# ${n}.sh: $(cat "$e2e_out/$n.time" 2>/dev/null || echo '?') s"
			count
			# A harness that died before reporting counts as one failure.
			grep -q '^# done' "$log" || failed=$((failed + 1))
		done
		rm -rf "$e2e_out"
		;;
	fuzz)
		sh tests/fuzz/run.sh smoke >"$log" 2>&1
		cat "$log"
		count
		;;
	esac
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
