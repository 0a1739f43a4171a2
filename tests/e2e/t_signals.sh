#!/bin/bash
# t_signals - reload and stop: SIGHUP with a changed config takes effect
# for the next message, even with signals in a burst; SIGTERM finishes the
# message in hand (its sender gets its answer), the delivery workers stop
# without losing an outbox entry, and a restart sends what was left, once.
. "$(dirname "$0")/lib.sh"
NMEMBERS=12
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
pid=$(cat "$W/milter.pid")

# 1. A burst of 100 SIGHUPs with a changed config: the daemon lives, the
#    milter still listens, and the new limit holds for the next message.
echo "max_message_size = 20000" >> "$W/milter.conf"
m=$(log_mark)
for _ in $(seq 1 100); do kill -HUP "$pid"; done
# The changed file is in force once a reload after the burst says so (the
# burst may be read as one reload or several: each reads the new file).
check "100 SIGHUPs in a burst: a reload says the changed file is in force" wait_log 'config reloaded from ' "$m"
check "100 SIGHUPs in a burst: the daemon lives" kill -0 "$pid"
check "... the milter still listens" bash -c "ss -Hltn 'sport = :$MILTER_PORT' | grep -q ."
{ printf 'From: dev@vendor.example\r\nSubject: big\r\n\r\n'; head -c 30000 /dev/zero | tr '\0' 'a' | fold -w 76; } > "$W/msg"
send dev@vendor.example friend@outsider.example
check "... and the reloaded limit holds: $(reply)" grep -q '^552 5.3.4 ' <<<"$(reply)"
sed -i '/^max_message_size = 20000$/d' "$W/milter.conf"
m=$(log_mark)
kill -HUP "$pid"
check "a reload after the limit is taken out says so" wait_log 'config reloaded from ' "$m"

# 2. SIGTERM while a message is in hand, and while copies are being sent.
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
  echo "Subject: Xen Security Advisory 970 v1"; echo
  echo "Xen Security Advisory XSA-970"; echo "version 1"; echo
  echo "*** EMBARGOED UNTIL $(utc_in 86400) ***"; echo; echo "Stop trial."; } > "$W/d970"
mutt_post "$W/p970.eml" "$W/d970" "$LIST_FPR"
printf 'From: alice@vendor.example\r\nTo: bob@outsider.example\r\nSubject: slow\r\n\r\nA message still arriving when the daemon is told to stop.\r\n' > "$W/slow.eml"
# The slow sender: DATA begun, its end held back until the daemon has its SIGTERM.
/usr/bin/python3 - "$SMTP_PORT" "$W/slow.eml" "$W/slow.go" > "$W/slow.out" 2>&1 <<'PY' &
import os, smtplib, sys, time
port, path, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=120)
s.ehlo("slow.example")
s.mail("alice@vendor.example")
s.rcpt("bob@outsider.example")
s.putcmd("data")
s.getreply()
s.send(open(path, "rb").read())
open(go + ".ready", "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
s.send(b".\r\n")
print(s.getreply()[0])
PY
slow=$!
# The message is in hand once DATA was answered 354 and its text sent.
wait_for "$WAIT_MAX" test -e "$W/slow.go.ready"
m=$(wc -l < "$W/milter.log")
cp "$W/p970.eml" "$W/msg"; send security@example.org predisclosure@lists.example.org
check "the post is taken (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
kill -TERM "$pid"
touch "$W/slow.go"
wait "$slow"
check "SIGTERM: the message in hand is answered 250 ($(cat "$W/slow.out"))" grep -qx 250 "$W/slow.out"
for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "... the daemon stops" bash -c "! kill -0 $pid 2>/dev/null"
check "... having said so" bash -c "tail -n +$((m + 1)) '$W/milter.log' | grep -q ': stopped$'"
sent=$(tail -n +"$((m + 1))" "$W/milter.log" | grep -c 'copy of XSA-970 .*delivered to the reinjection listener')
echo "# $sent of $NMEMBERS copies had left when the daemon stopped"
rm -f "$W/milter.pid"
milter_start || exit 1
copies() {	# every member holds one copy of XSA-970, by one Message-ID
	local i f n
	for i in $(seq 1 $NMEMBERS); do
		n=$(for f in $(mailpy select Subject "Embargoed security advisory XSA-970" \
		    $(find "$(maildir "${MEMBER_ADDR[$i]}")/new" -type f 2>/dev/null)); do
			mailpy header "$f" Message-ID; done | sort -u | wc -l)
		[ "$n" = 1 ] || return 1
	done
}
for _ in $(seq 1 60); do copies && break; sleep 1; done
check "after a restart every member holds its copy of XSA-970, once" copies
check "... and the outbox is empty" bash -c "[ -z \"\$(runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' --json outbox)\" ]"
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
