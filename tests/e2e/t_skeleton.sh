#!/bin/bash
# t_skeleton - the walking skeleton through a real Postfix:
# plain mail, future/past markers, unreadable markers, limits, reload,
# dry-run agreeing with the milter, and the milter down.
. "$(dirname "$0")/lib.sh"
e2e_start

# 1. Plain mail passes, its body byte-identical.
cat > "$W/msg" <<MSG
From: alice@vendor.example
To: bob@outsider.example
Subject: lunch
Message-ID: <plain-1@vendor.example>

Plain text, nothing embargoed.
  Indented line; trailing spaces   
Last line.
MSG
send alice@vendor.example bob@outsider.example
check "plain mail accepted (swaks rc $SWAKS_RC)" test "$SWAKS_RC" = 0
# The reference: the same message through the listener that runs no milter.
send --port "$REINJECT_PORT" alice@vendor.example ref@outsider.example
if wait_delivered bob@outsider.example 1 10 && wait_delivered ref@outsider.example 1 10; then
	f=$(find "$(maildir bob@outsider.example)/new" -type f | head -n 1)
	g=$(find "$(maildir ref@outsider.example)/new" -type f | head -n 1)
	check "plain mail body byte-identical to the no-milter path" cmp -s <(body_of "$g") <(body_of "$f")
	check "plain mail body holds the text as written" cmp -s <(body_of "$W/msg") <(body_of "$f" | head -n 3)
else
	not_ok "plain mail delivered"
fi

# 2. A future marker to an outsider: refused with the 5.7.1 text, nothing delivered.
when=$(utc_in 86400)
forwarded_advisory "$when"
send dev@vendor.example friend@outsider.example security@cloud.example
r=$(reply)
check "future marker to outsider refused at end of data (rc $SWAKS_RC)" test "$SWAKS_RC" = 26
check "refusal text: $r" test "$r" = "550 5.7.1 XSA-400 is under embargo until $when; not sent to <friend@outsider.example>"
queue_settled
check "nothing delivered to the outsider" test "$(delivered friend@outsider.example)" = 0
check "nothing delivered to the member either" test "$(delivered security@cloud.example)" = 0

# 3. The same text with a past date passes.
sed -i "s/$when/$(utc_in -3600)/" "$W/msg"
send dev@vendor.example friend@outsider.example
check "past marker accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "past marker delivered" wait_delivered friend@outsider.example 1 10
# SPEC 5: a pass that carries a marker is audited; plain mail that concerns
# no advisory is a log line only (audit_passes = advisory, the default).
audit_has() { runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" audit | grep -q "$1"; }
check "the pass with a marker is in the audit log" audit_has '"advisory":"XSA-400".*"decision":"pass"'
check "the plain pass is not in the audit log" bash -c "! runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' audit | grep -q 'plain-1@vendor.example'"
check "the plain pass is in the milter's log" grep -q 'from=<alice@vendor.example> nrcpt=1 id=-: pass' "$W/milter.log"

# 4. An unreadable marker: an error for the team, no marker for others.
cat > "$W/msg" <<MSG
From: security@example.org
To: announce@lists.example.org
Subject: Xen Security Advisory 401

*** EMBARGOED UNTIL next Tuesday noon ***
MSG
send security@example.org announce@lists.example.org
r=$(reply)
check "unreadable marker from team refused (rc $SWAKS_RC)" test "$SWAKS_RC" = 26
check "refusal quotes the line: $r" grep -q 'cannot read the embargo date in "\*\*\* EMBARGOED UNTIL next Tuesday noon \*\*\*"' <<<"$r"
check "refusal is 550 5.7.1" grep -q '^550 5.7.1 ' <<<"$r"
send dev@vendor.example someone@outsider.example
check "same text from someone else passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "and is delivered" wait_delivered someone@outsider.example 1 10

# 5. A post to the list that is not signed is refused (fail closed).
cat > "$W/msg" <<MSG
From: security@example.org
To: predisclosure@lists.example.org
Subject: Xen Security Advisory 402

*** EMBARGOED UNTIL $when ***
MSG
send security@example.org predisclosure@lists.example.org
r=$(reply)
check "unsigned list post refused: $r" grep -q '^550 5.7.1 .*must carry a valid OpenPGP signature' <<<"$r"

# 6. MIME nested deeper than mime_max_depth: a clear 5xx, the milter lives on.
{ echo "Subject: deep"; echo "MIME-Version: 1.0"
  for i in $(seq 1 30); do printf 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' "$i" "$i"; done
  printf 'Content-Type: text/plain\n\ndeep\n'
  for i in $(seq 30 -1 1); do printf -- '--b%d--\n' "$i"; done; } > "$W/msg"
send dev@vendor.example someone@outsider.example
r=$(reply)
check "too deep refused with 554 5.6.0: $r" grep -q '^554 5.6.0 message structure too complex' <<<"$r"
check "the refusal is in the audit log" bash -c "runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' audit | grep -q '\"decision\":\"reject\".*554 5.6.0 message structure too complex'"

# 6b. audit_passes = all: plain passes are recorded too, in a later commit.
echo 'audit_passes = all' >> "$W/milter.conf"
m=$(log_mark); kill -HUP "$(cat "$W/milter.pid")"
check "SIGHUP: the log says the config was reloaded" wait_log 'config reloaded from ' "$m"
printf 'From: carol@vendor.example\nSubject: minutes\nMessage-ID: <plain-2@vendor.example>\n\nThe minutes of the meeting.\n' > "$W/msg"
send carol@vendor.example dave@outsider.example
check "audit_passes = all: plain mail accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for _ in $(seq 1 20); do audit_has 'plain-2@vendor.example' && break; sleep 0.25; done
check "audit_passes = all: the plain pass is in the audit log" audit_has 'plain-2@vendor.example.*"decision":"pass"'
check "audit_passes = all: the chain verifies" runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" audit verify
sed -i '/^audit_passes/d' "$W/milter.conf"

# 7. Larger than max_message_size: 552 5.3.4.
sed -i 's/^max_message_size.*/max_message_size = 2048/' "$W/milter.conf"
m=$(log_mark); kill -HUP "$(cat "$W/milter.pid")"
wait_log 'config reloaded from ' "$m"
{ printf 'Subject: big\n\n'; for i in $(seq 1 100); do echo "line $i of a long message body"; done; } > "$W/msg"
send dev@vendor.example someone@outsider.example
r=$(reply)
check "after SIGHUP reload, oversize refused with 552 5.3.4: $r" grep -q '^552 5.3.4 ' <<<"$r"

# 8. A reload of a broken file keeps the running config.
echo 'bogus_key = 1' >> "$W/milter.conf"
m=$(log_mark); kill -HUP "$(cat "$W/milter.pid")"
check "broken reload is logged" wait_log 'reload of .* failed; the previous config stays in force' "$m"
send dev@vendor.example someone@outsider.example
check "old config still in force (552 again)" grep -q '^552 5.3.4 ' <<<"$(reply)"
sed -i '/^bogus_key/d' "$W/milter.conf"
# ... and so does one that moves what only a restart can move.
mkdir -p -m 0700 "$W/state2"; chown nobody "$W/state2"
sed -i "s|^state_dir .*|state_dir = \"$W/state2\"|" "$W/milter.conf"
off=$(wc -l < "$W/milter.log")
kill -HUP "$(cat "$W/milter.pid")"
wait_log 'reload of .* failed; the previous config stays in force' "$off"
check "a reload with a new state_dir is refused, naming the restart" \
    bash -c "tail -n +$((off + 1)) '$W/milter.log' | grep -q 'state_dir changed from \"$W/state\" to \"$W/state2\": a reload cannot change it (restart needed'"
send dev@vendor.example someone@outsider.example
check "... and the running config stays (552 again)" grep -q '^552 5.3.4 ' <<<"$(reply)"
check "... nothing written to the new state_dir" test -z "$(ls -A "$W/state2")"
sed -i "s|^state_dir .*|state_dir = \"$W/state\"|; s/^max_message_size.*/max_message_size = 26214400/" "$W/milter.conf"
m=$(log_mark); kill -HUP "$(cat "$W/milter.pid")"
wait_log 'config reloaded from ' "$m"

# 9. embargoctl dry-run agrees with the milter on the refused forward.
cat > "$W/msg" <<MSG
Subject: Fwd: XSA-400

*** EMBARGOED UNTIL $when ***
MSG
"$CTL_BIN" -c "$W/milter.conf" dry-run --from dev@vendor.example --to friend@outsider.example "$W/msg" > "$W/dry.out"
check "dry-run exit 1 (reject)" test $? = 1
check "dry-run reply equals the milter's" grep -qF "reply:    550 5.7.1 XSA-400 is under embargo until $when; not sent to <friend@outsider.example>" "$W/dry.out"
send dev@vendor.example friend@outsider.example
check "milter gives the same reply" test "$(reply)" = "550 5.7.1 XSA-400 is under embargo until $when; not sent to <friend@outsider.example>"

# 10. With the milter stopped, Postfix tempfails and nothing is delivered.
before=$(delivered someone@outsider.example)
milter_stop
printf 'Subject: while down\n\nhello\n' > "$W/msg"
send dev@vendor.example someone@outsider.example
r=$(reply)
check "milter down: tempfail at MAIL FROM (rc $SWAKS_RC: $r)" test "$SWAKS_RC" = 23
check "milter down: 451 4.7.1" grep -q '^451 4.7.1' <<<"$r"
queue_settled
check "milter down: nothing delivered" test "$(delivered someone@outsider.example)" = "$before"

check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
