#!/bin/bash
# execs.sh - sourced by run.sh when BENCH_EXECS=1: the programs the daemon
# and its descendants (signing helpers, gpgme's gpg and gpgsm runs) start,
# counted by name, at start-up and during the fan-out, from the kernel's
# fork and exec events (perf record -e sched:..., every CPU: cheap, a few
# events a process; the shell's own processes are not the daemon's).
#
# execs_start        before milter_start: the recording begins
# execs_mark         when the daemon says it has started (an exec of a
#                    program named bench-started-mark splits the two)
# execs_report PID N after the fan-out: the recording ends, one "#" line
#                    for the start-up and one for the N copies
execs_start() {
	ln -sf /bin/true "$W/bench-started-mark"
	perf record -q -e sched:sched_process_fork -e sched:sched_process_exec \
	    -a -o "$W/execs.data" -- sleep 3600 >/dev/null 2>&1 &
	execs_pid=$!
	sleep 1
}

execs_mark() { "$W/bench-started-mark"; }

execs_report() {
	local pid=$1 n=$2
	kill -INT "$execs_pid"
	wait "$execs_pid" 2>/dev/null
	perf script -i "$W/execs.data" -F event,trace 2>/dev/null |
	    /usr/bin/python3 -c '
import collections, os, re, sys
root, n = sys.argv[1], int(sys.argv[2])
tree, phase = {root}, 0
count = [collections.Counter(), collections.Counter()]
for line in sys.stdin:
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    if "sched_process_fork" in line:
        if f.get("pid") in tree:
            tree.add(f.get("child_pid"))
    elif "sched_process_exec" in line:
        name = os.path.basename(f.get("filename", "?"))
        if name == "bench-started-mark":
            phase = 1
        elif f.get("pid") in tree and f.get("pid") != root:
            count[phase][name] += 1
def show(c, per):
    return ", ".join("%s %d%s" % (k, v, " (%.2f a copy)" % (v / per) if per else "")
                     for k, v in c.most_common()) or "none"
print("# programs the daemon started: start-up: %s" % show(count[0], 0))
print("# programs the daemon started: %d copies: %s" % (n, show(count[1], n)))
' "$pid" "$n"
	rm -f "$W/execs.data"
}
