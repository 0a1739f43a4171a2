#!/bin/bash
# t_trace - leak attribution and an audit log that cannot lose its end
# (SPEC 5, 7, 8), through a real Postfix, posts composed by mutt: each
# member's copy carries its copy id inside the encryption; embargoctl trace
# names the member for a forwarded copy, a quoted copy-id line, a base64
# re-encoding and a copy forwarded still encrypted, and nobody for another
# list's copy; removing the last audit records passes plain "audit verify"
# but not "audit verify --tip" with the head the last receipt carried.
. "$(dirname "$0")/lib.sh"
NMEMBERS=2
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
for i in 1 2; do
	gpg --homedir "$TEAM_HOME" --export "$TEAM_FPR" |
	    gpg --homedir "${MEMBER_HOME[$i]}" --batch -q --import 2>/dev/null
done
newest() { find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2; }

# 1. The team's post, signed only (PGP/MIME, multipart/signed): the team's
#    signature travels inside every copy and must still verify there.
cat > "$W/d1" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: Xen Security Advisory 420 v1 - event channel port reuse

            Xen Security Advisory CVE-2026-42001 / XSA-420
                               version 1

*** EMBARGOED UNTIL $(utc_in 86400) ***

Closing an interdomain event channel while the remote end re-binds it
lets a guest keep a port that now belongs to another domain's device.
ADV
mutt_post "$W/post.eml" "$W/d1" none
cp "$W/post.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the signed post is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in 1 2; do
	check "member $i got its copy" wait_delivered "${MEMBER_ADDR[$i]}" 1 20
	mailpy decrypt "$(newest "${MEMBER_ADDR[$i]}")" "${MEMBER_HOME[$i]}" "$W/c$i" >/dev/null
	CID[$i]=$(mailpy header "$W/c$i.inner" Embargo-Copy-Id)
	check "member $i: a copy id in a protected header (${CID[$i]})" grep -qE '^emc-[a-z2-7]{24}$' <<<"${CID[$i]}"
	check "member $i: ... and in the note part, naming Member $i" \
	    grep -q "Copy id ${CID[$i]}: this copy of XSA-420 revision 1 was made for Member $i" <(mailpy text "$W/c$i.inner" 0 | tr '\n' ' ' | sed 's/  */ /g')
done
check "each member's copy id is its own" test "${CID[1]}" != "${CID[2]}"
ctl advisory XSA-420 > "$W/report"
check "the distribution report lists each copy id" bash -c "grep -q '${CID[1]}' '$W/report' && grep -q '${CID[2]}' '$W/report'"
check "the audit records each copy id" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-420 | grep -q 'copy id ${CID[1]}'"
mutt_read "$W/screen" "$(maildir "${MEMBER_ADDR[1]}")" "${MEMBER_HOME[1]}"
check "mutt shows the copy id part" grep -q "Copy id ${CID[1]}" "$W/screen"
check "mutt verifies the team's signature on the inner entity" grep -q 'Good signature from: Security Team' "$W/screen"

# 2. embargoctl trace, on leaks as they would be found.
trace_is() {	# trace_is NAME MEMBER-INDEX|none FILE
	ctl trace "$3" > "$W/trace.out"
	local rc=$?
	if [ "$2" = none ]; then
		check "$1: no member named (exit $rc): $(head -n 1 "$W/trace.out")" test "$rc" = 1
	else
		check "$1: Member $2 named (exit $rc)" bash -c "[ $rc = 0 ] && grep -q 'member: *Member $2 <${MEMBER_ADDR[$2]}>' '$W/trace.out' && grep -q 'key: *${MEMBER_FPR[$2]}' '$W/trace.out'"
	fi
}
# A forward, as the member's client would write one: the decrypted text inline.
{ echo "From: someone@member1.example"; echo "To: journalist@news.example"; echo "Subject: Fwd: XSA-420"
  echo; echo "---------- Forwarded message ----------"; mailpy text "$W/c1.inner"; } > "$W/leak1"
chmod 0644 "$W/leak1"
trace_is "a forwarded copy" 1 "$W/leak1"
{ echo "> $(mailpy text "$W/c2.inner" 0 | grep -m 1 '^Copy id')"; } > "$W/leak2"
chmod 0644 "$W/leak2"
trace_is "a '> '-quoted paste of the copy-id line" 2 "$W/leak2"
/usr/bin/python3 - "$W/c1.inner" > "$W/leak3" <<'PY'
import sys
from email.message import EmailMessage
import email, email.policy
inner = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
text = ''.join(p.get_content() for p in inner.walk() if p.get_content_type() == 'text/plain')
m = EmailMessage()
m['Subject'] = 'see attached'
m.set_content(text, cte='base64')
sys.stdout.write(m.as_string())
PY
chmod 0644 "$W/leak3"
trace_is "the copy re-encoded in base64" 1 "$W/leak3"
cp "$(newest "${MEMBER_ADDR[2]}")" "$W/leak4"; chmod 0644 "$W/leak4"
trace_is "the encrypted copy forwarded as it is (its Message-ID)" 2 "$W/leak4"
sed "s/${CID[1]}/emc-aaaabbbbccccddddeeeeffff/" "$W/leak1" > "$W/leak5"; chmod 0644 "$W/leak5"
sed -i '/^Message-I[dD]:/d' "$W/leak5"
trace_is "a copy made for another list" none "$W/leak5"

# The reviewer's report agrees with what the mailboxes hold.
ctl advisory XSA-420 --report > "$W/review.txt"
rc=$?
check "advisory --report (exit $rc) says the chain verified" bash -c "[ $rc = 0 ] && grep -q '^audit chain: verified' '$W/review.txt'"
for i in 1 2; do
	qid=$(ctl advisory XSA-420 --report --json 2>/dev/null | /usr/bin/python3 -c "import json,sys
r = json.load(sys.stdin)
print(' '.join(c['copy_id'] + ':' + c['queue_id'] for c in r['copies'] if c['address'] == '${MEMBER_ADDR[$i]}'))")
	got=$(mailpy header "$(newest "${MEMBER_ADDR[$i]}")" Received | sed -n 's/.* with ESMTP id \([0-9A-F]*\).*/\1/p')
	check "the report's copy for member $i ($qid) is the one in its mailbox (copy id ${CID[$i]}, queue id $got)" \
	    test "$qid" = "${CID[$i]}:$got"
done
check "the report's timeline has the post and each delivery" \
    bash -c "grep -q ' received ' '$W/review.txt' && [ \$(grep -c ' copy-delivered ' '$W/review.txt') = 2 ]"

# 3. The audit head leaves the machine in every receipt; cutting the end of
#    the chain passes plain verify, not verify against that head.
rcpt=$(newest_with security@example.org "Receipt: ")
head=$(mailpy header "$rcpt" Embargo-Audit-Head)
check "the receipt carries the audit head in a header ($head)" grep -qE '^[0-9]+:[0-9a-f]{64}$' <<<"$head"
check "... and in its text" grep -q "Audit head: $head" <(mailpy text "$rcpt")
check "verify --tip with that head passes" ctl audit verify --tip "$head"
milter_stop
check "the milter wrote the audit head to its log at shutdown" grep -q 'audit head [0-9]*:[0-9a-f]\{64\}' "$W/milter.log"
anchor=$(sed -n 's/.*audit head \([0-9]*:[0-9a-f]\{64\}\).*/\1/p' "$W/milter.log" | tail -n 1)
total=$(ctl audit | wc -l)
check "the shutdown anchor is the chain's last record ($anchor)" test "${anchor%%:*}" = "$total"
# As root, as an intruder would (the checkout may be private to root).
check "the last two audit records cut out of LMDB" "$TOP/build/asan/tests/audit_cut" "$W/state" 2
check "with the last two records removed, plain verify still passes" ctl audit verify
ctl audit verify --tip "$anchor" > "$W/tip.out"
rc=$?
check "verify --tip with the shutdown anchor fails (exit $rc): $(tail -n 1 "$W/tip.out")" \
    bash -c "[ $rc = 1 ] && grep -q 'record ${anchor%%:*} is missing' '$W/tip.out'"
# Records up to the receipt's head, and one more, removed: its head catches it.
check "the chain cut back past the receipt's head" \
    "$TOP/build/asan/tests/audit_cut" "$W/state" $(( total - 2 - ${head%%:*} + 2 ))
check "with the chain cut back past the receipt's head, plain verify still passes" ctl audit verify
ctl audit verify --tip "$head" > "$W/tip.out"
rc=$?
check "verify --tip with the receipt's head fails (exit $rc): $(tail -n 1 "$W/tip.out")" \
    bash -c "[ $rc = 1 ] && grep -q 'record ${head%%:*} is missing' '$W/tip.out'"
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
