#!/bin/bash
# throughput.sh - make bench (second part): Postfix throughput of
# pass-through mail with each milter, side by side in one run.
#
# One Postfix, one listener per path, all to a discard transport:
#   none      no milter
#   null      tests/bench/null_milter: negotiates the protocol steps ours
#             does, keeps the message, accepts everything (the ceiling)
#   parse     the same plus a GMime parse of every message
#   ours      embargo-milter
#   opendkim  Debian's opendkim in verify mode (the milter people run)
# Three messages (smtp-source -F, 10 sessions): 4 KB plain text, 20 KB
# multipart with a base64 attachment, 200 KB plain text; and, asked for
# in BENCH_MSG_KINDS, patch2m: a 2 MB patch series (the machine's Python
# library added as new files, as a unified diff), and patch2matt: the same
# attached (a plain text message is read in the daemon; a MIME one in the
# confined reader, whose cost the in-process stage shows); public text from
# the machine's own documentation.  Rounds alternate the paths; ours runs
# first with 0 advisories, then with BENCH_ADVISORIES (200) under embargo
# and BENCH_RUNS (50000) public-text word runs loaded.  Every round checks
# that Postfix took every message.  CPU per message: utime+stime of the
# milter's process over its rounds (from /proc).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=$TOP/build/embargo-milter
CTL_BIN=$TOP/build/embargoctl
NULL_BIN=$TOP/build/bench/null_milter
. "$TOP/tests/e2e/lib.sh"
ROUNDS=${BENCH_ROUNDS:-3}
NADV=${BENCH_ADVISORIES:-200}
NRUNS=${BENCH_RUNS:-50000}
KINDS=${BENCH_MSG_KINDS:-plain4k multi20k plain200k}
PATHS=${BENCH_PATHS:-none null parse ours opendkim}
declare -A COUNT=([plain4k]=${BENCH_MSGS:-3000} [multi20k]=2000 [plain200k]=300 [patch2m]=40 [patch2matt]=40)
[ -x "$NULL_BIN" ] || { echo "bench: $NULL_BIN is missing: run make bench"; exit 1; }
command -v opendkim >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends opendkim >/dev/null
e2e_start --keys 0
milter_stop
# Unix sockets for every milter.
sed -i "s|^socket = .*|socket = \"unix:$W/ours.sock\"|" "$W/milter.conf"
postconf -c "$W/pf" -e "smtpd_milters = unix:$W/ours.sock"
declare -A PORT SOCK PIDF
p=$(free_port)
PORT[none]=$p; PORT[null]=$((p + 1)); PORT[parse]=$((p + 2)); PORT[opendkim]=$((p + 3))
PORT[ours]=$SMTP_PORT
SOCK[null]=$W/null.sock; SOCK[parse]=$W/parse.sock; SOCK[opendkim]=$W/odk/odk.sock
cat >> "$W/pf/master.cf" <<MASTER
127.0.0.1:${PORT[none]} inet n - n - - smtpd -o smtpd_milters=
127.0.0.1:${PORT[null]} inet n - n - - smtpd -o smtpd_milters=unix:${SOCK[null]}
127.0.0.1:${PORT[parse]} inet n - n - - smtpd -o smtpd_milters=unix:${SOCK[parse]}
127.0.0.1:${PORT[opendkim]} inet n - n - - smtpd -o smtpd_milters=unix:${SOCK[opendkim]}
MASTER
postconf -c "$W/pf" -e 'default_transport = discard:' 'relay_transport = discard:' \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0'
postfix -c "$W/pf" reload >/dev/null 2>&1
cat > "$W/opendkim.conf" <<ODK
Mode v
Socket local:${SOCK[opendkim]}
UMask 000
Syslog no
UserID opendkim
PidFile $W/opendkim.pid
ODK
mkdir -p "$W/odk" && chown opendkim "$W/odk"
opendkim -x "$W/opendkim.conf" -f > "$W/opendkim.log" 2>&1 &
echo $! > "$W/odk.pid"; PIDF[opendkim]=$W/odk.pid
"$NULL_BIN" -s "unix:${SOCK[null]}" > "$W/null.log" 2>&1 &
echo $! > "$W/null.pid"; PIDF[null]=$W/null.pid
"$NULL_BIN" -p -s "unix:${SOCK[parse]}" > "$W/parse.log" 2>&1 &
echo $! > "$W/parse.pid"; PIDF[parse]=$W/parse.pid
"$MILTER_BIN" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
echo $! > "$W/milter.pid"; PIDF[ours]=$W/milter.pid
trap 'for f in "$W/odk.pid" "$W/null.pid" "$W/parse.pid"; do kill "$(cat "$f")" 2>/dev/null; done; e2e_cleanup' EXIT
for s in "$W/ours.sock" "${SOCK[null]}" "${SOCK[parse]}" "${SOCK[opendkim]}"; do
	for _ in $(seq 1 100); do [ -S "$s" ] && break; sleep 0.1; done
	[ -S "$s" ] || { echo "bench: no milter socket $s (see $W/*.log)"; exit 1; }
	chmod 0666 "$s"	# the bench's Postfix user is not in the milters' groups
done
for path in $PATHS; do
	wait_port "${PORT[$path]}" 10 || { echo "bench: listener for $path did not start"; exit 1; }
done

# The messages: real text from the machine's documentation, composed by
# Python's email package (not our MIME code).
python3 - "$W" <<'PY'
import glob, gzip, os, sys
from email.message import EmailMessage
w = sys.argv[1]
text = ""
for f in sorted(glob.glob("/usr/share/doc/*/changelog.Debian.gz")):
    text += gzip.open(f, "rt", errors="replace").read()
    if len(text) > 400000:
        break
text = "".join(c if ord(c) < 128 else "?" for c in text)
def plain(name, size):
    m = EmailMessage()
    m["From"] = "dev@vendor.example"; m["To"] = "rcpt@sink.bench.example"
    m["Subject"] = "Release notes, part %s" % name
    m["Message-ID"] = "<%s@vendor.example>" % name
    body = text[:size]
    m.set_content(body[:body.rfind("\n") + 1], cte="7bit")
    open(os.path.join(w, name + ".eml"), "w").write(m.as_string())
plain("plain4k", 3600)
plain("plain200k", 200000)
m = EmailMessage()
m["From"] = "dev@vendor.example"; m["To"] = "rcpt@sink.bench.example"
m["Subject"] = "Build log attached"; m["Message-ID"] = "<multi20k@vendor.example>"
m.set_content(text[:2000])
blob = open("/usr/share/common-licenses/GPL-3", "rb").read()[:13000]
m.add_attachment(gzip.compress(blob) + blob[:13000 - len(gzip.compress(blob))],
    maintype="application", subtype="octet-stream", filename="build.log.gz")
open(os.path.join(w, "multi20k.eml"), "w").write(m.as_string())
# A patch series: real code (the machine's Python library), each file a
# new file in a unified diff, about 2 MB.
diff = ""
for f in sorted(glob.glob("/usr/lib/python3*/*.py")):
    lines = open(f, errors="replace").read().splitlines()
    name = os.path.basename(f)
    diff += "diff --git a/Lib/%s b/Lib/%s\nnew file mode 100644\n--- /dev/null\n+++ b/Lib/%s\n@@ -0,0 +1,%d @@\n" % (name, name, name, len(lines))
    diff += "".join("+" + l[:900] + "\n" for l in lines)
    if len(diff) > 2000000:
        break
diff = "".join(c if ord(c) < 128 else "?" for c in diff)
m = EmailMessage()
m["From"] = "dev@vendor.example"; m["To"] = "rcpt@sink.bench.example"
m["Subject"] = "[PATCH 0/40] Lib: the standard library"; m["Message-ID"] = "<patch2m@vendor.example>"
m.set_content(diff, cte="7bit")
open(os.path.join(w, "patch2m.eml"), "w").write(m.as_string())
# The same series attached (text/x-patch, base64): read by the reader.
m = EmailMessage()
m["From"] = "dev@vendor.example"; m["To"] = "rcpt@sink.bench.example"
m["Subject"] = "[PATCH] Lib: the standard library, attached"; m["Message-ID"] = "<patch2matt@vendor.example>"
m.set_content("The series is attached.\n")
m.add_attachment(diff.encode(), maintype="text", subtype="x-patch", filename="lib.patch")
open(os.path.join(w, "patch2matt.eml"), "w").write(m.as_string())
PY
for k in $KINDS; do echo "# $k: $(wc -c < "$W/$k.eml") bytes"; done

# CPU of a path's process; ours adds its confined readers (their own and
# their children's: each message is read in a child a reader waits for).
cpu() {
	local pid t r
	pid=$(cat "${PIDF[$1]}")
	t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	for r in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$r/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# restart_ours MODE: our milter again with reader = MODE (confined or
# in-process), the same state
restart_ours() {
	local at
	milter_stop
	sed -i '/^reader = /d' "$W/milter.conf"
	echo "reader = $1" >> "$W/milter.conf"
	rm -f "$W/ours.sock"
	at=$(stat -c %s "$W/milter.log")
	"$MILTER_BIN" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
	echo $! > "$W/milter.pid"
	for _ in $(seq 1 100); do [ -S "$W/ours.sock" ] && break; sleep 0.1; done
	chmod 0666 "$W/ours.sock"
	# The filter is built from the stored posts after start: its cost is
	# the start's, not the messages' (it would be counted in the first
	# round's CPU).
	for _ in $(seq 1 600); do
		tail -c +$((at + 1)) "$W/milter.log" | grep -q 'leak guard: filter of' && return
		sleep 0.1
	done
	echo "bench: our milter built no filter after its restart (see $W/milter.log)" >&2
	exit 1
}
LOGPOS=0
run() {	# run PATH KIND: messages per second; every message must be accepted
	local n=${COUNT[$2]} t0 t1 got=0
	LOGPOS=$(stat -c %s "$W/pf/maillog")
	t0=$(date +%s.%N)
	smtp-source -s 10 -m "$n" -F "$W/$2.eml" -f dev@vendor.example \
	    -t rcpt@sink.bench.example "127.0.0.1:${PORT[$1]}" >/dev/null 2>&1
	t1=$(date +%s.%N)
	for _ in $(seq 1 150); do
		got=$(tail -c +$((LOGPOS + 1)) "$W/pf/maillog" | grep -c 'status=sent')
		[ "$got" -ge "$n" ] && break
		sleep 0.2
	done
	if [ "$got" -lt "$n" ] || tail -c +$((LOGPOS + 1)) "$W/pf/maillog" | grep -q 'milter-reject'; then
		echo "bench: $1 did not accept all $n $2 messages ($got); see $W/pf/maillog" >&2
		exit 1
	fi
	awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }'
}
load_public() {	# public text of the machine's documentation: NRUNS word runs or more
	# About one word run per 44 bytes of changelog text (measured).
	python3 - "$W/public.mbox" "$NRUNS" <<'PY'
import glob, gzip, sys, mailbox, email.message
box = mailbox.mbox(sys.argv[1])
budget = int(sys.argv[2]) * 44
for f in sorted(glob.glob("/usr/share/doc/*/changelog.Debian.gz"))[::-1]:
    if budget <= 0:
        break
    m = email.message.EmailMessage()
    m["From"] = "changelog@debian.example"; m["Subject"] = f
    text = gzip.open(f, "rt", errors="replace").read()[:min(60000, budget)]
    budget -= len(text)
    m.set_content(text)
    box.add(m)
box.flush()
PY
	runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" public add "$W/public.mbox" 2>&1 | tail -n 1
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

declare -A RATE CPUT
rounds() {	# rounds STAGE: ROUNDS alternating rounds of every path, every kind
	local r k path c0 c1 rate
	for r in $(seq 1 "$ROUNDS"); do
		for k in $KINDS; do
			for path in $PATHS; do
				c0=0; [ -n "${PIDF[$path]:-}" ] && c0=$(cpu "$path")
				rate=$(run "$path" "$k") || exit 1
				c1=0; [ -n "${PIDF[$path]:-}" ] && c1=$(cpu "$path")
				RATE[$1,$k,$path]="${RATE[$1,$k,$path]:-} $rate"
				CPUT[$1,$k,$path]=$(( ${CPUT[$1,$k,$path]:-0} + c1 - c0 ))
				echo "# $1 round $r: $k $path $rate msg/s"
			done
		done
	done
}
rounds 0
# The same with the reader in the daemon: what confinement costs.
restart_ours in-process
rounds "0-in-process"
restart_ours confined
load_public
register_advisories "$NADV"
echo "# registered $("$CTL_BIN" -c "$W/milter.conf" advisories 2>/dev/null | grep -c embargoed) advisories under embargo"
rounds "$NADV"
if [ -n "${BENCH_INPROC_ALL:-}" ]; then
	restart_ours in-process
	rounds "$NADV-in-process"
fi
hz=$(getconf CLK_TCK)
med() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
label() {
	case $1 in
	none) echo "no milter" ;; null) echo "null milter (ceiling)" ;;
	parse) echo "parse-only milter" ;; opendkim) echo "opendkim (verify)" ;;
	ours) echo "**embargo-milter**" ;;
	esac
}
out=$TOP/build/bench-throughput.md
{
echo "unix sockets, 10 sessions, $ROUNDS rounds per stage, median msg/s; ratios of medians"
for stage in 0 0-in-process "$NADV" ${BENCH_INPROC_ALL:+"$NADV-in-process"}; do
	for k in $KINDS; do
		echo
		echo "$k ($(wc -c < "$W/$k.eml") bytes, ${COUNT[$k]} per round), stage: ${stage%%-*} advisories under embargo$([ "${stage%%-*}" != 0 ] && echo ", public text loaded"), reader $([ "$stage" = "${stage%-in-process}" ] && echo confined || echo in-process)"
		echo
		echo "| path | msg/s | of no milter | of null milter | milter CPU ms/msg |"
		echo "| --- | ---: | ---: | ---: | ---: |"
		# A run without the no-milter or null path (BENCH_PATHS) has no ratio.
		none=$(echo "${RATE[$stage,$k,none]:-}" | med)
		null=$(echo "${RATE[$stage,$k,null]:-}" | med)
		for path in $PATHS; do
			m=$(echo "${RATE[$stage,$k,$path]}" | med)
			c="-"
			[ -n "${PIDF[$path]:-}" ] && c=$(awk -v t="${CPUT[$stage,$k,$path]}" -v hz="$hz" \
			    -v n="$(( ${COUNT[$k]} * ROUNDS ))" 'BEGIN { printf "%.3f", t * 1000 / hz / n }')
			printf '| %s | %s | %s | %s | %s |\n' "$(label "$path")" "$m" \
			    "$(awk -v a="$m" -v b="$none" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
			    "$(awk -v a="$m" -v b="$null" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" "$c"
		done
	done
done
} | tee "$out"
# The daemon's own reading of each plain message, apart from the MTA
# (tests/bench/guard_time.c), with none and NADV advisories under embargo.
GT=$TOP/build/bench/guard_time
if [ -x "$GT" ]; then
	{ echo; echo "The daemon's reading alone (guard_time, CPU time of one thread):"; echo
	  for k in $KINDS; do
		case $k in plain*) for a in 0 "$NADV"; do "$GT" "$W/$k.eml" "$a" 300 || exit 1; done ;; esac
	  done; } | tee -a "$out"
fi
echo "# table written to $out"
