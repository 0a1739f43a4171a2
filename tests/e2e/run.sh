#!/bin/bash
# run.sh OUT JOBS - every tests/e2e/t_*.sh, JOBS at a time (make check:
# 2, one per core: an end-to-end test mostly waits on Postfix, gpg and
# the events it waits for), the longest first so that the lanes end
# together.  Each test's output goes to OUT/NAME.log and its seconds to
# OUT/NAME.time; tests/run-all.sh prints and counts them in name order.
# Each test has its own work folder, ports and Postfix (lib.sh): two at
# once are two users' CI runs on one machine, which every test must bear.
set -u
cd "$(dirname "$0")/../.." || exit 2
out=$1
jobs=${2:-2}
# The slow ones first (their seconds in a run alone, most first).
first="t_faults t_copies t_delivery t_backup t_trials t_hostile t_hold t_unreadable
t_leak t_hooks t_package t_embargo t_people t_fanout t_bomb"
order=""
for n in $first; do [ -f "tests/e2e/$n.sh" ] && order="$order $n"; done
for t in tests/e2e/t_*.sh; do
	n=${t##*/}; n=${n%.sh}
	case " $order " in *" $n "*) ;; *) order="$order $n" ;; esac
done

# one NAME: the test, its output and its time kept
one() {
	local t0=$SECONDS
	bash "tests/e2e/$1.sh" > "$out/$1.log" 2>&1
	echo $((SECONDS - t0)) > "$out/$1.time"
	echo "# ended ${1}.sh: $((SECONDS - t0)) s"
}

running=0
for n in $order; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "# started $n.sh"
	one "$n" &
	running=$((running + 1))
done
wait
