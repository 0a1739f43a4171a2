#!/bin/bash
# demo.sh - make demo: a throwaway Postfix on 127.0.0.1 with embargo-milter,
# demo keys made on the spot, and one advisory taken through every rule.
# Each step says what it shows and checks that it happened: the first
# outcome that is not what the step narrates stops the demo with a line
# naming the step, and a non-zero exit.  Everything started is stopped by
# PID; nothing is read from or left in the invoking user's home.
# MUTT=prog runs another mail client in mutt's place (MUTT=false shows how
# a failing step is reported).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MILTER_BIN=${MILTER_BIN:-$TOP/build/embargo-milter}
CTL_BIN=${CTL_BIN:-$TOP/build/embargoctl}
. "$TOP/tests/e2e/lib.sh"
STEP="setting up"
say()  { STEP=$1; printf '\n== %s\n' "$*"; }
show() { sed 's/^/   | /' "$@"; }
ctl()  { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
fail() { printf '\ndemo: FAILED in step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }
# expect WHAT COMMAND...: the step's outcome, checked; the demo stops if not
expect() { local what=$1; shift; "$@" || fail "$what"; echo "   ok: $what"; }
newest() { find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2; }
sent() { send "$@"; echo "   SMTP: swaks exit $SWAKS_RC${SWAKS_RC:+ }$( [ "$SWAKS_RC" != 0 ] && reply)"; }

say "Setting up: a private Postfix on 127.0.0.1 (one smtpd with the milter, one reinjection smtpd without), demo keys (team, list, 3 members), embargo-milter"
e2e_start --keys 3
echo "   work folder $W (removed at the end); Postfix on :$SMTP_PORT, reinjection :$REINJECT_PORT"
# The records machines read, written at the release by three hooks (as
# the daemon's user: lib.sh's copy of embargoctl in $W), and member 1
# asks for the TLP:AMBER CSAF document in its copies under embargo.
R=$W/records URL='https://xenbits.xen.org/xsa/advisory-%n.html'
mkdir -p "$R" && chown nobody "$R"
cat >> "$W/milter.conf" <<CONF
release_hook "xsa-index" { command = { "$W/embargoctl", "record", "index", "$R/xsa.json" } }
release_hook "osv" { command = { "$W/embargoctl", "record", "osv", "$R/osv", "--url", "$URL" } }
release_hook "csaf" {
  command = { "$W/embargoctl", "record", "csaf", "$R/csaf", "--url", "$URL",
              "--base", "https://xenbits.xen.org/.well-known/csaf", "--publisher",
              "Xen Project Security Team", "--namespace", "https://xenproject.org",
              "--product", "Xen" }
}
csaf {
  publisher = "Xen Project Security Team"
  namespace = "https://xenproject.org"
  product   = "Xen"
  url       = "$URL"
}
CONF
sed -i '/^member "Member 1" {/a\  csaf = true' "$W/milter.conf"
milter_stop
milter_start
ctl check | show
expect "embargoctl check finds the config and keys valid" ctl check >/dev/null

say "1. An ordinary mail passes untouched"
printf 'From: alice@vendor.example\nTo: bob@outsider.example\nSubject: Lunch?\n\nNothing embargoed here.\n' > "$W/msg"
sent alice@vendor.example bob@outsider.example
expect "accepted (250)" test "$SWAKS_RC" = 0
expect "delivered to bob, and it reads with no defect" wait_delivered bob@outsider.example 1 10

when=$(utc_in 3600)
say "2. The team posts XSA-400 to the pre-disclosure list, EMBARGOED UNTIL $when, signed and encrypted to the list key by mutt"
cat > "$W/draft" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: Xen Security Advisory 400 v1 - guest can crash the host

            Xen Security Advisory CVE-2026-40001 / XSA-400
                               version 1

                     guest can crash the host

*** EMBARGOED UNTIL $when ***

A malformed argument to the memory_op hypercall is not checked before
it is used as an index; a guest can read beyond the array and crash the
host. Applying the attached patch resolves this issue.
ADV
printf -- '--- a/xen/common/memory.c\n+++ b/xen/common/memory.c\n+    if ( idx >= ARRAY_SIZE(table) )\n+        return -EINVAL;\n' > "$W/xsa400.patch"
expect "$MUTT composed and handed over the signed, encrypted post" \
    mutt_post "$W/post.eml" "$W/draft" "$LIST_FPR" "$W/xsa400.patch"
cp "$W/post.eml" "$W/msg"
sent security@example.org predisclosure@lists.example.org
expect "the post is accepted (250)" test "$SWAKS_RC" = 0
echo "   each member gets its own copy:"
for i in 1 2 3; do
	expect "${MEMBER_ADDR[$i]} got a copy that reads with no defect" wait_delivered "${MEMBER_ADDR[$i]}" 1 20
	f=$(newest "${MEMBER_ADDR[$i]}")
	expect "the copy decrypts with ${MEMBER_ADDR[$i]}'s key" mailpy decrypt "$f" "${MEMBER_HOME[$i]}" "$W/c$i"
	n=$(gpg --homedir "${MEMBER_HOME[$i]}" --list-packets "$W/c$i.asc" 2>/dev/null | grep -c '^:pubkey enc packet')
	echo "   ${MEMBER_ADDR[$i]}: Subject \"$(mailpy header "$f" Subject)\", encrypted to $n key"
	expect "encrypted to that member's key alone" test "$n" = 1
	expect "the real Subject is inside, as a protected header" \
	    test "$(mailpy header "$W/c$i.inner" Subject)" = "Xen Security Advisory 400 v1 - guest can crash the host"
done
echo "   member 1 asked for the CSAF document: inside its copy's encryption only"
/usr/bin/python3 "$TOP/tests/e2e/records_check.py" amber "$W/c1.inner" xsa-400.json | show
expect "member 1's copy carries xsa-400.json, CSAF 2.0 (its schema) marked TLP:AMBER" \
    /usr/bin/python3 "$TOP/tests/e2e/records_check.py" amber "$W/c1.inner" xsa-400.json
expect "member 2's copy carries none" /usr/bin/python3 "$TOP/tests/e2e/records_check.py" none "$W/c2.inner"
echo "   member 1 opens its copy in $MUTT:"
expect "$MUTT shows member 1 the decrypted advisory" \
    mutt_read "$W/screen" "$(maildir "${MEMBER_ADDR[1]}")" "${MEMBER_HOME[1]}"
sed -e 's/[[:space:]]*$//' -e '/^$/d' "$W/screen" | show
expect "the team got its receipt" wait_delivered security@example.org 1 10
echo "   the team's receipt:"
mailpy text "$(newest_with security@example.org "Receipt: ")" | grep -A6 '^Advisory:' | show

say "3. The team's announcement to the public list is held until the embargo date"
sed -e 's/^To: .*/To: announce@lists.example.org/' "$W/draft" > "$W/pub"
expect "$MUTT composed and handed over the signed announcement" mutt_post "$W/pub.eml" "$W/pub" none
cp "$W/pub.eml" "$W/msg"
sent security@example.org announce@lists.example.org
expect "accepted (250), and held" test "$SWAKS_RC" = 0
queue_settled
expect "announce got nothing yet" test "$(delivered announce@lists.example.org)" = 0
ctl held | show
expect "embargoctl held lists it" bash -c "'$CTL_BIN' -c '$W/milter.conf' held | grep -q 'announce@lists.example.org'"

say "4. Someone forwards the advisory's text (no marker line) to an outsider: refused"
{ echo "Subject: Fwd: interesting"; echo; sed -n '/^A malformed/,$p' "$W/draft"; } > "$W/msg"
sent dev@vendor.example friend@outsider.example
expect "refused at end of data with 550 5.7.1 naming XSA-400" \
    bash -c "[ '$SWAKS_RC' = 26 ] && grep -q '^550 5.7.1 XSA-400 is under embargo' <<<'$(reply)'"
echo "   a mail naming only the id passes:"
printf 'Subject: XSA-400\n\nIs XSA-400 on your list?\n' > "$W/msg"
sent dev@vendor.example friend@outsider.example
expect "accepted (250)" test "$SWAKS_RC" = 0

say "5. The issue is exploited in the wild: the team lifts the embargo now, and says why"
ctl embargo XSA-400 --now --reason "a public exploit was posted" | show
expect "announce got the held posting, and it reads with no defect" wait_delivered announce@lists.example.org 1 10
hooks_done() { [ "$(ctl hooks | grep -c ' done ')" -ge 3 ]; }
expect "the three record hooks ran once each" wait_for 60 hooks_done
ctl hooks | show
(cd "$R" && find . -type f | sort) | show
rc_py() { /usr/bin/python3 "$TOP/tests/e2e/records_check.py" "$@"; }
rc_all() { rc_py osv "$R"/osv/*.json && rc_py csaf "$R"/csaf/white/*/*.json && rc_py provider "$R"/csaf/provider-metadata.json && rc_py index "$R"/xsa.json; }
rc_all 2>&1 | show
expect "the index, the OSV record and the CSAF document (TLP:WHITE) and its provider metadata pass their checks (OSV's and CSAF 2.0's official schemas)" rc_all >/dev/null
lifted() { newest_with "${MEMBER_ADDR[$1]}" 'Embargo date notice XSA-400' >/dev/null; }
for i in 1 2 3; do
	expect "${MEMBER_ADDR[$i]} is told it is public early" wait_for 30 lifted "$i"
done
mailpy decrypt "$(newest_with "${MEMBER_ADDR[1]}" 'Embargo date notice XSA-400')" "${MEMBER_HOME[1]}" "$W/early" >/dev/null
mailpy text "$W/early.inner" 1 | grep -E 'lifted|Why:' | show
expect "the notice says why" grep -q 'a public exploit was posted' "$W/early.inner"
expect "it is the team's signed posting" test "$(mailpy tree "$(newest announce@lists.example.org)" | head -n 1)" = multipart/signed
ctl upcoming | show
{ echo "Subject: Fwd: interesting"; echo; sed -n '/^A malformed/,$p' "$W/draft"; } > "$W/msg"
sent dev@vendor.example friend@outsider.example
expect "the same forward now passes" test "$SWAKS_RC" = 0

say "6. What a reviewer sees afterwards"
ctl advisory XSA-400 | show
expect "the distribution report names every member" \
    bash -c "r=\$('$CTL_BIN' -c '$W/milter.conf' advisory XSA-400); for a in ${MEMBER_ADDR[*]}; do grep -q \"\$a\" <<<\"\$r\" || exit 1; done"
ctl audit verify | show
expect "the audit chain verifies" ctl audit verify >/dev/null
pages=$TOP/build/demo-report
rm -rf "$pages"
ctl report --html "$pages" | show
expect "the reviewer's pages: $pages/index.html and XSA-400.html, with its timeline" \
    bash -c "grep -q 'href=\"XSA-400.html\"' '$pages/index.html' && grep -q 'class=\"embargo-line\"' '$pages/XSA-400.html'"
echo "   audit events: $(ctl audit --json | sed -n 's/.*"event":"\([^"]*\)".*/\1/p' | sort | uniq -c | tr -s ' ' | paste -sd, -)"
mail_sweep
expect "every delivered message ($(wc -l < "$W/mail-read")) reads with no defect (Python's email package)" test ! -s "$W/mail-defective"

say "7. The milter stops: Postfix (milter_default_action = tempfail) defers, nothing passes"
milter_stop
sent alice@vendor.example bob@outsider.example
expect "deferred at MAIL FROM (4xx)" bash -c "[ '$SWAKS_RC' = 23 ] && grep -q '^451' <<<'$(reply)'"
say "Demo finished: every step did what it said; stopping Postfix and removing $W"
