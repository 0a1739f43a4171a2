#!/bin/bash
# t_delivery - SPEC 5 waiting-key and SPEC 6 exactly-once:
# a member whose key expired waits (the others are served, the team is
# told), then gets its copy once after a renewed key and "outbox retry";
# a kill -9 of the milter while 50 members are served loses and doubles
# nothing (a duplicate only from the one SMTP window, same Message-ID,
# recorded as a resend); started without -f (daemon()), the milter holds
# its store's locks itself and serves embargoctl and a fan-out.
. "$(dirname "$0")/lib.sh"
NMEMBERS=50
MEMBER2_EXPIRE=seconds=40
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }

post() {	# post ID: a signed advisory to the list, composed by mutt
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory $1 v1"; echo
	  echo "            Xen Security Advisory XSA-$1"; echo "                               version 1"; echo
	  echo "*** EMBARGOED UNTIL $(utc_in 86400) ***"; echo; echo "Details of XSA-$1."; } > "$W/d$1"
	mutt_post "$W/post$1.eml" "$W/d$1" none && cp "$W/post$1.eml" "$W/msg" &&
	    send security@example.org predisclosure@lists.example.org && [ "$SWAKS_RC" = 0 ]
}

copy_files() {	# copy_files ADDR ID: ADDR's copies of XSA-ID, as its client sees them
	mailpy select Subject "Embargoed security advisory XSA-$2" \
	    $(find "$(maildir "$1")/new" -type f 2>/dev/null)
}
copies() {	# copies ADDR ID: how many copies of XSA-ID ADDR received
	copy_files "$1" "$2" | wc -l
}
all_have() {	# all_have ID N SECONDS: every member (but $SKIP) has at least N copies
	local t i
	for t in $(seq 1 $(( $3 * 2 ))); do
		mailpy count "Embargoed security advisory XSA-$1" \
		    $(for i in $(seq 1 $NMEMBERS); do
			[ "$i" = "${SKIP:-0}" ] || maildir "${MEMBER_ADDR[$i]}"; done) > "$W/counts"
		awk -v n="$2" '$1 < n { bad++ } END { exit bad > 0 }' "$W/counts" && return 0
		sleep 0.5
	done
	return 1
}

# 1. Member 2's key expires; the others are served, the copy waits.
# expired: the list's keyring says member 2's key has expired (validity e)
expired() { list_gpg --with-colons --list-keys "${MEMBER_FPR[2]}" 2>/dev/null | grep -q '^pub:e:'; }
check "member 2's key has expired in the list's keyring" wait_for 90 expired
check "post of XSA-500 accepted" post 500
SKIP=2 check "the 49 others got XSA-500" all_have 500 1 60
# Nothing left to send (member 2's copy waits for its key, not queued) and
# the queue delivered: were member 2's copy to go, it would have by now.
settled
check "member 2 got nothing" test "$(copies "${MEMBER_ADDR[2]}" 500)" = 0
ctl outbox > "$W/outbox.out"
check "outbox shows member 2 waiting for its key" grep -q "XSA-500 .*security@member2.example *waiting-key" "$W/outbox.out"
check "the team got the notice naming member 2" wait_for "$WAIT_MAX" bash -c "grep -l 'Subject: Waiting for a key: XSA-500 copy for Member 2' \$(find '$(maildir security@example.org)/new' -type f) >/dev/null"
check "audit records key-missing" bash -c "as_nobody() { runuser -u nobody -- \"\$@\"; }; as_nobody '$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-500 | grep -q '\"event\":\"key-missing\"'"

# 2. A renewed key and "outbox retry": the copy arrives, once.
gpg --homedir "${MEMBER_HOME[2]}" --batch -q --pinentry-mode loopback --passphrase '' \
    --quick-set-expire "${MEMBER_FPR[2]}" 1y 2>/dev/null
gpg --homedir "${MEMBER_HOME[2]}" --batch -q --pinentry-mode loopback --passphrase '' \
    --quick-set-expire "${MEMBER_FPR[2]}" 1y '*' 2>/dev/null
gpg --homedir "${MEMBER_HOME[2]}" --export "${MEMBER_FPR[2]}" | list_gpg --import 2>/dev/null
ctl outbox retry > "$W/retry.out"
check "outbox retry: $(cat "$W/retry.out")" grep -q 'are due again' "$W/retry.out"
check "member 2 got XSA-500 after the renewed key" wait_delivered "${MEMBER_ADDR[2]}" 1 20
settled	# its entry sent, not queued again; the queue delivered
check "member 2 got it exactly once" test "$(copies "${MEMBER_ADDR[2]}" 500)" = 1
# The reviewer's page shows the wait as a gap on member 2's row alone.
ctl advisory XSA-500 --report --html - > "$W/r500.html"
check "the page of XSA-500 draws member 2's wait for its key as a gap, and no other" \
    /usr/bin/python3 - "$W/r500.html" <<'PY'
import sys, html.parser
class P(html.parser.HTMLParser):
    waits, marks, cur = [], {}, None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if a.get("class") == "key-wait":
            self.cur = "wait"
        if a.get("class") == "copy":
            self.marks[a["data-rcpt"]] = self.marks.get(a["data-rcpt"], 0) + 1
    def handle_data(self, d):
        if self.cur == "wait":
            self.waits.append(d)
            self.cur = None
p = P()
p.feed(open(sys.argv[1]).read())
assert len(p.waits) == 1 and p.waits[0].startswith("Member 2: revision 1 waited for a usable key"), p.waits
assert len(p.marks) == 50 and set(p.marks.values()) == {1}, p.marks
PY

# 3. kill -9 while 50 members are served, then restart.
off=$(wc -l < "$W/milter.log")
check "post of XSA-600 accepted" post 600
# Kill as soon as the milter has handed over the first few copies.
for _ in $(seq 1 2000); do
	n=$(tail -n +"$((off + 1))" "$W/milter.log" | grep -c 'copy of XSA-600 .*reinjection listener')
	[ "$n" -ge 3 ] && break
	sleep 0.01
done
pid=$(cat "$W/milter.pid")
kill -9 "$pid"; rm -f "$W/milter.pid"
n=$(tail -n +"$((off + 1))" "$W/milter.log" | grep -c 'copy of XSA-600 .*reinjection listener')
echo "# killed the milter (kill -9) after $n of $NMEMBERS copies were handed to the listener"
check "killed mid-way ($n delivered)" test "$n" -lt "$NMEMBERS"
milter_start
check "after the restart every member got XSA-600" all_have 600 1 90
settled	# every entry sent (none queued for a resend), the queue delivered
mailpy count "Embargoed security advisory XSA-600" \
    $(for i in $(seq 1 $NMEMBERS); do maildir "${MEMBER_ADDR[$i]}"; done) > "$W/counts"
bad=$(awk '$2 != 1 { n++ } END { print n + 0 }' "$W/counts")
dups=$(awk '$1 > 1 { n++ } END { print n + 0 }' "$W/counts")
check "every member has exactly one distinct Message-ID ($bad bad)" test "$bad" = 0
resends=$(ctl audit --advisory XSA-600 | grep '"event":"copy-delivered"' | grep -c '"reason":"resend')
check "each duplicate delivery is one the audit records as a resend ($dups dups, $resends resends)" test "$dups" -le "$resends"
check "the outbox is empty" bash -c "[ \$(runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' outbox --json | grep -c .) = 0 ]"

# 4. Started without -f: daemon() forks, and the store opens after it (an
#    LMDB environment never crosses a fork), so the daemon itself holds the
#    lock file's lock that tells embargoctl it is not alone.
milter_stop
rm -f "$W/state/embargo-milter.pid"	# the foreground one's, now stale
"$MILTER_BIN" -c "$W/milter.conf" >>"$W/milter.log" 2>&1
rc=$?
dpid=
for _ in $(seq 1 100); do
	dpid=$(tr -dc 0-9 < "$W/state/embargo-milter.pid" 2>/dev/null)
	[ -n "$dpid" ] && break
	sleep 0.1
done
[ -n "$dpid" ] && echo "$dpid" > "$W/milter.pid"	# milter_stop ends it by this PID
check "without -f the milter starts in the background (exit $rc, pid ${dpid:-none})" \
    bash -c "[ $rc = 0 ] && kill -0 '${dpid:-0}' 2>/dev/null"
wait_port "$MILTER_PORT" 10
ino=$(stat -c %i "$W/state/lock.mdb")
# LMDB's environment lock is byte 0 of lock.mdb (a reader's own mark sits
# at the offset of its PID): held by whoever opened the environment.
check "the daemon ($dpid) itself holds the environment lock of the store (lock.mdb, inode $ino, byte 0)" \
    grep -qE "POSIX +ADVISORY +(READ|WRITE) +$dpid +[0-9a-f]+:[0-9a-f]+:$ino 0 0\$" /proc/locks
ctl advisories > "$W/adv.out"
check "embargoctl reads the state beside it" grep -q '^XSA-600 ' "$W/adv.out"
check "post of XSA-601 accepted by the daemon" post 601
check "every member got XSA-601 from the daemon" all_have 601 1 90
ino2=$(stat -c %i "$W/state/lock.mdb")
check "... and it still holds it after embargoctl ran" \
    grep -qE "POSIX +ADVISORY +(READ|WRITE) +$dpid +[0-9a-f]+:[0-9a-f]+:$ino2 0 0\$" /proc/locks
dstopped() {	# SIGTERM to the daemon by its PID; gone within 10 s
	local p
	p=$(tr -dc 0-9 < "$W/state/embargo-milter.pid" 2>/dev/null)
	[ -n "$p" ] || return 1
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || return 0
		case $(ps -o stat= -p "$p" 2>/dev/null) in Z*) return 0 ;; esac
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	return 1
}
check "SIGTERM to the PID in state_dir stops the background daemon" dstopped
rm -f "$W/milter.pid"

check "audit chain verifies" ctl audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
