#!/bin/bash
# t_refused - no failure lost, none repeated for ever: a copy that the
# reinjection listener refuses for good (550) fails once (one copy-failed
# record, the team told, "embargoctl outbox" shows it failed with the
# listener's reply) and is not tried again; "outbox retry ID" after the
# cause is mended sends it, once.  The other members are not held up.
. "$(dirname "$0")/lib.sh"
NMEMBERS=2
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }

# The listener refuses member 2's address for good.
echo "${MEMBER_ADDR[2]} 550 5.1.1 not accepted here" > "$W/refuse"
sed -i "s|^\(127.0.0.1:$REINJECT_PORT inet .*\)$|\1 -o smtpd_recipient_restrictions=check_recipient_access,texthash:$W/refuse,permit_mynetworks,reject|" \
    "$W/pf/master.cf"
check "Postfix reloaded with the refusing listener" pf_reload

{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
  echo "Subject: Xen Security Advisory 530 v1"; echo
  echo "            Xen Security Advisory XSA-530"; echo "                               version 1"; echo
  echo "*** EMBARGOED UNTIL $(utc_in 86400) ***"; echo; echo "Details of XSA-530."; } > "$W/d530"
mutt_post "$W/post530.eml" "$W/d530" none && cp "$W/post530.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the post is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "member 1 got its copy" wait_delivered "${MEMBER_ADDR[1]}" 1 20
refused() { ctl outbox --json | grep -F "\"rcpt\":\"${MEMBER_ADDR[2]}\"" | grep -q '"state":"failed"'; }
wait_for "$WAIT_MAX" refused
failed_at=$(date +%s)	# no earlier than the failure
check "member 2's copy is failed in the outbox" refused
ctl outbox > "$W/outbox.out"
sed 's/^/#   /' "$W/outbox.out"
check "embargoctl outbox shows it failed, with the listener's reply" \
    grep -qE "XSA-530 .*${MEMBER_ADDR[2]} +failed .* - +reinjection listener .*: 5[0-9][0-9] 5\.1\.1 " "$W/outbox.out"
# Nothing else is queued and the queue has delivered (the team's notice):
settled
# then a retry that does not come leaves no event to wait for: the time
# for several under the old backoff (1, 2, 4, 8 s), counted from when the
# failure was seen, is waited for on the clock.
past() { [ "$(date +%s)" -ge "$1" ]; }
wait_for 60 past $((failed_at + 9))
n=$(ctl audit --advisory XSA-530 | grep '"event":"copy-failed"' | grep -c "${MEMBER_ADDR[2]}")
check "one copy-failed record, not one per retry ($n)" test "$n" = 1
check "the listener saw one attempt for member 2" \
    test "$(grep -c "reject: RCPT from .*<${MEMBER_ADDR[2]}>" "$W/pf/maillog")" = 1
notice() {
	local g
	for g in $(find "$(maildir security@example.org)/new" -type f); do
		case $(mailpy header "$g" Subject) in "Not delivered: XSA-530 copy for <${MEMBER_ADDR[2]}>") return 0 ;; esac
	done
	return 1
}
for _ in $(seq 1 20); do notice && break; sleep 0.5; done
check "the team is told, naming the entry and the retry" notice
check "member 2 got nothing" test "$(delivered "${MEMBER_ADDR[2]}")" = 0

# The cause mended: outbox retry ID sends it, once.
: > "$W/refuse"
check "Postfix reloaded with the listener mended" pf_reload
id=$(ctl outbox --json | grep -F "\"rcpt\":\"${MEMBER_ADDR[2]}\"" | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
ctl outbox retry "$id" > "$W/retry.out"
check "outbox retry $id: $(cat "$W/retry.out")" grep -q 'due again' "$W/retry.out"
check "member 2 got its copy after the retry" wait_delivered "${MEMBER_ADDR[2]}" 1 20
settled	# its entry sent, nothing queued again, the queue delivered
check "... once" test "$(delivered "${MEMBER_ADDR[2]}")" = 1
check "decrypted with its key, signed whole by the list" \
    mailpy decrypt "$(find "$(maildir "${MEMBER_ADDR[2]}")/new" -type f | head -n 1)" "${MEMBER_HOME[2]}" "$W/c2"
ctl outbox retry 99999 > "$W/retry2.out" 2>&1
rc=$?
check "outbox retry of an entry that is not there: exit $rc, said" \
    bash -c "[ $rc = 1 ] && grep -q 'no undelivered outbox entry 99999' '$W/retry2.out'"
check "audit chain verifies" ctl audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
