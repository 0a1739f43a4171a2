#!/bin/bash
# demo.sh - make demo: a throwaway Postfix on 127.0.0.1 with embargo-milter,
# demo keys made on the spot, and one advisory taken through every rule.
# Each step says what it shows.  Everything started is stopped by PID.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=${MILTER_BIN:-$TOP/build/embargo-milter}
CTL_BIN=${CTL_BIN:-$TOP/build/embargoctl}
. "$TOP/tests/e2e/lib.sh"
say()  { printf '\n== %s\n' "$*"; }
show() { sed 's/^/   | /' "$@"; }
ctl()  { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
newest() { find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2; }

say "Setting up: a private Postfix on 127.0.0.1 (one smtpd with the milter, one reinjection smtpd without), demo keys (team, list, 3 members), embargo-milter"
e2e_start --keys 3
echo "   work folder $W (removed at the end); Postfix on :$SMTP_PORT, reinjection :$REINJECT_PORT"
ctl check | show

say "1. An ordinary mail passes untouched"
printf 'From: alice@vendor.example\nTo: bob@outsider.example\nSubject: Lunch?\n\nNothing embargoed here.\n' > "$W/msg"
send alice@vendor.example bob@outsider.example
echo "   swaks exit $SWAKS_RC (0 = accepted); delivered to bob: $(wait_delivered bob@outsider.example 1 10 && delivered bob@outsider.example)"

when=$(utc_in 3600)
say "2. The team posts XSA-400 to the pre-disclosure list, EMBARGOED UNTIL $when, signed and encrypted to the list key by mutt"
cat > "$W/draft" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: Xen Security Advisory 400 v1 - guest can crash the host

            Xen Security Advisory CVE-2026-40001 / XSA-400
                               version 1

*** EMBARGOED UNTIL $when ***

A malformed argument to the memory_op hypercall is not checked before
it is used as an index; a guest can read beyond the array and crash the
host. Applying the attached patch resolves this issue.
ADV
printf -- '--- a/xen/common/memory.c\n+++ b/xen/common/memory.c\n+    if ( idx >= ARRAY_SIZE(table) )\n+        return -EINVAL;\n' > "$W/xsa400.patch"
mutt_post "$W/post.eml" "$W/draft" "$LIST_FPR" "$W/xsa400.patch"
cp "$W/post.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
echo "   swaks exit $SWAKS_RC; each member gets its own copy:"
for i in 1 2 3; do
	wait_delivered "${MEMBER_ADDR[$i]}" 1 20
	f=$(newest "${MEMBER_ADDR[$i]}")
	n=$(sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$f" | gpg --homedir "${MEMBER_HOME[$i]}" --list-packets 2>/dev/null | grep -c '^:pubkey enc packet')
	echo "   ${MEMBER_ADDR[$i]}: $(grep -m1 '^Subject:' "$f"), encrypted to $n key (its own)"
done
f=$(newest "${MEMBER_ADDR[1]}")
echo "   member 1 decrypts it with its key: the real Subject is inside (protected header):"
sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$f" | gpg --homedir "${MEMBER_HOME[1]}" --batch -q --decrypt 2>/dev/null | grep -m2 -E '^(Subject|Content-Type):' | show
wait_delivered security@example.org 1 10
echo "   the team's receipt:"
grep -A6 '^Advisory:' "$(newest security@example.org)" | show

say "3. The team's announcement to the public list is held until the embargo date"
sed -e 's/^To: .*/To: announce@lists.example.org/' "$W/draft" > "$W/pub"
mutt_post "$W/pub.eml" "$W/pub" none
cp "$W/pub.eml" "$W/msg"
send security@example.org announce@lists.example.org
echo "   swaks exit $SWAKS_RC (250: accepted, but held); announce got: $(delivered announce@lists.example.org)"
ctl held | show

say "4. Someone forwards the advisory's text (no marker line) to an outsider: refused"
{ echo "Subject: Fwd: interesting"; echo; sed -n '/^A malformed/,$p' "$W/draft"; } > "$W/msg"
send dev@vendor.example friend@outsider.example
echo "   swaks exit $SWAKS_RC: $(reply)"
echo "   a mail naming only the id passes:"
printf 'Subject: XSA-400\n\nIs XSA-400 on your list?\n' > "$W/msg"
send dev@vendor.example friend@outsider.example
echo "   swaks exit $SWAKS_RC"

say "5. The issue is exploited in the wild: the team lifts the embargo now"
ctl embargo XSA-400 --now | show
wait_delivered announce@lists.example.org 1 10
echo "   announce got the held posting: $(delivered announce@lists.example.org) message(s)"
ctl upcoming | show
{ echo "Subject: Fwd: interesting"; echo; sed -n '/^A malformed/,$p' "$W/draft"; } > "$W/msg"
send dev@vendor.example friend@outsider.example
echo "   the same forward now passes: swaks exit $SWAKS_RC"

say "6. What a reviewer sees afterwards"
ctl advisory XSA-400 | show
ctl audit verify | show
echo "   audit events: $(ctl audit | sed -n 's/.*"event":"\([^"]*\)".*/\1/p' | sort | uniq -c | tr -s ' ' | paste -sd, -)"

say "7. The milter stops: Postfix (milter_default_action = tempfail) defers, nothing passes"
milter_stop
send alice@vendor.example bob@outsider.example
echo "   swaks exit $SWAKS_RC (23 = deferred at MAIL FROM): $(reply)"
say "Demo finished; stopping Postfix and removing $W"
