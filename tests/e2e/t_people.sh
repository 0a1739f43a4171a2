#!/bin/bash
# t_people - the people around an embargo (SPEC 3, 5): a discoverer named
# on Cc of the team's list post gets each revision and the final copy,
# encrypted to its key alone, and reads it in mutt; mail quoting that
# advisory passes between it, the members and the team, and a participant
# of one advisory quoting another is refused; an address on Cc with no
# participant block refuses the post, naming the fix; embargoctl advisory
# ID participant add/drop; the members' discussion list (a member's signed
# post reaches every member and the team, signed whole by the discussion
# list, readable in mutt; an outsider's or an unsigned post is refused);
# and the deployment line of copies of real advisories with each wording
# (XSA-355 permitted, XSA-405 not permitted, XSA-399 restricted).
. "$(dirname "$0")/lib.sh"
e2e_start --keys 2

DISC_ADDR=reporter@university.example
DISC_HOME=$W/discoverer-gnupg
DISC_FPR=$(gen_key "$DISC_HOME" "A. Reporter <$DISC_ADDR>")
PROJ_ADDR=security@otherproject.example
PROJ_HOME=$W/otherproject-gnupg
PROJ_FPR=$(gen_key "$PROJ_HOME" "Other Project Security <$PROJ_ADDR>")
for h in "$DISC_HOME" "$PROJ_HOME"; do
	gpg --homedir "$h" --export | list_gpg --import 2>/dev/null
	list_gpg --export "$LIST_FPR" | gpg --homedir "$h" --batch -q --import 2>/dev/null
done
as_nobody gpg --homedir "$W/state/gnupg" --batch -q --pinentry-mode loopback \
    --passphrase '' --quick-gen-key "Members' discussion <discuss@lists.example.org>" \
    future-default default never 2>/dev/null
DISCUSS_FPR=$(list_gpg --with-colons --list-keys discuss@lists.example.org 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
for h in "${MEMBER_HOME[1]}" "${MEMBER_HOME[2]}" "$TEAM_HOME"; do
	list_gpg --export "$DISCUSS_FPR" | gpg --homedir "$h" --batch -q --import 2>/dev/null
done
for i in 1 2; do
	gpg --homedir "${MEMBER_HOME[$i]}" --export "${MEMBER_FPR[$i]}" |
	    gpg --homedir "$TEAM_HOME" --batch -q --import 2>/dev/null
done
cat >> "$W/milter.conf" <<CONF
participant "Discoverer of XSA-405" {
  address = "$DISC_ADDR"   # a person: discoverers are people
  key = "$DISC_FPR"
}
participant "Other Project" {
  address = "$PROJ_ADDR"
  key = "$PROJ_FPR"
}
discussion {
  address = "discuss@lists.example.org"
  key = "$DISCUSS_FPR"
}
CONF
check "the config with participants and a discussion list passes -t" \
    "$MILTER_BIN" -t -c "$W/milter.conf"
milter_stop
milter_start
ctl() { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
newest() { find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2; }
# revision SRC N OUT: the real advisory SRC as its version N
revision() { sed -e "s/^\( *\)version [0-9]*\$/\1version $2/" -e "s/^\(Subject: .*\) v[0-9]* /\1 v$2 /" "$1" > "$3"; }
when=$(utc_in 3600)

# 1. The team's signed post of a real advisory (XSA-405), its discoverer on Cc.
revision "$TOP/tests/data/xsa405.eml" 1 "$W/x405v1.eml"
real_post "$W/x405v1.eml" "$when" "$W/msg"
sed -i "s/^To: .*/&\nCc: A. Reporter <$DISC_ADDR>/" "$W/msg"
send security@example.org predisclosure@lists.example.org "$DISC_ADDR"
check "XSA-405 with its discoverer on Cc is accepted (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
check "the discoverer got its copy" wait_delivered "$DISC_ADDR" 1 20
for i in 1 2; do
	check "member $i got its copy" wait_delivered "${MEMBER_ADDR[$i]}" 1 20
done
d1=$(newest "$DISC_ADDR")
check "the discoverer's copy is encrypted (RFC 3156), not the team's post" mailpy payload "$d1" > "$W/d1.asc"
check "... decrypts with the discoverer's key, signed whole by the list" mailpy decrypt "$d1" "$DISC_HOME" "$W/d1"
check "... to one key alone" test "$(gpg --homedir "$DISC_HOME" --list-packets "$W/d1.asc" 2>/dev/null | grep -c '^:pubkey enc packet')" = 1
check "... which no member can open" bash -c "! gpg --homedir '${MEMBER_HOME[1]}' --batch -q -o /dev/null -d '$W/d1.asc' 2>/dev/null"
mailpy text "$W/d1.inner" 0 > "$W/d1.note"
check "its note's first line: deployment not permitted" \
    grep -qx 'Deployment during embargo: not permitted.' <(head -n 1 "$W/d1.note")
check "its note keeps the section's first sentence" grep -q '"Deployment of patches or mitigations is NOT permitted' "$W/d1.note"
check "its note names it a participant of this advisory alone" \
    grep -q '^was made for Discoverer of XSA-405,' "$W/d1.note"
mutt_read "$W/dscreen" "$(maildir "$DISC_ADDR")" "$DISC_HOME"
check "mutt (the discoverer's keyring) decrypts it" grep -q -- '-- End of PGP/MIME' "$W/dscreen"
check "mutt shows a good signature by the list key" grep -q 'Good signature from: Pre-disclosure list' "$W/dscreen"
check "mutt shows the advisory's text" grep -q 'Deployment of patches or mitigations is NOT permitted' "$W/dscreen"
echo "# the discoverer's copy as mutt shows it:"
sed -e 's/[[:space:]]*$//' -e '/^$/d' -e 's/^/#   | /' "$W/dscreen" | head -n 60
rcpt=$(mailpy header "$(newest_with security@example.org "Receipt: XSA-405 revision 1")" Subject)
mailpy text "$(newest_with security@example.org "Receipt: XSA-405 revision 1")" > "$W/receipt1"
check "the receipt ($rcpt) lists the participant" grep -q "Discoverer of XSA-405 <$DISC_ADDR>" "$W/receipt1"
check "the receipt says deployment is not permitted" grep -q '^Deployment: not permitted during the embargo' "$W/receipt1"
ctl advisory XSA-405 > "$W/adv405"
check "embargoctl advisory lists the participant" grep -q "^participant: Discoverer of XSA-405 <$DISC_ADDR>" "$W/adv405"
check "... and the deployment state" grep -q '^deployment: not permitted ' "$W/adv405"
check "the audit records who named it" bash -c "ctl() { '$CTL_BIN' -c '$W/milter.conf' \"\$@\"; }; ctl audit --advisory XSA-405 | grep -q '\"event\":\"participant-added\".*security@example.org'"

# 2. Revision 2, to the list alone: the discoverer gets it too; the
#    deployment section changed, and the note says so.
revision "$TOP/tests/data/xsa405.eml" 2 "$W/x405v2.eml"
sed -i 's/^Deployment of patches or mitigations is NOT permitted (except/Deployment of patches or mitigations is permitted (except/' "$W/x405v2.eml"
real_post "$W/x405v2.eml" "$when" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "revision 2 to the list alone is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the discoverer got revision 2 as well" wait_delivered "$DISC_ADDR" 2 20
mailpy decrypt "$(newest "$DISC_ADDR")" "$DISC_HOME" "$W/d2" >/dev/null
check "revision 2's note: restricted, and changed from not permitted" \
    grep -qx 'Deployment during embargo: restricted. (Changed in this revision: it was not permitted.)' <(mailpy text "$W/d2.inner" 0 | head -n 1)

# 3. Between the people of XSA-405 its text passes; to anyone else it is refused.
sed -n '/^ISSUE DESCRIPTION/,/^IMPACT/p' "$W/msg.txt" > "$W/desc405"
{ echo "Subject: question"; echo; echo "About this:"; cat "$W/desc405"; } > "$W/msg"
send "$DISC_ADDR" "${MEMBER_ADDR[1]}"
check "the discoverer quoting XSA-405 to a member passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
send "${MEMBER_ADDR[2]}" "$DISC_ADDR"
check "a member quoting XSA-405 to its discoverer passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
send "$DISC_ADDR" "$PROJ_ADDR"
check "the discoverer quoting XSA-405 to a participant of nothing: refused ($(reply))" \
    grep -q "^550 5.7.1 XSA-405 is under embargo until .*; not sent to <$PROJ_ADDR>" <<<"$(reply)"
send "$DISC_ADDR" friend@outsider.example
check "... and to an outsider: refused" grep -q '^550 5.7.1 XSA-405 is under embargo' <<<"$(reply)"

# 4. Another advisory (XSA-399): its participants are its own.
revision "$TOP/tests/data/xsa399.eml" 1 "$W/x399.eml"
real_post "$W/x399.eml" "$when" "$W/msg"
cp "$W/msg.txt" "$W/x399.txt"
note_secret "$W/x399.txt"	# msg.txt is the next post's by the end
send security@example.org predisclosure@lists.example.org
check "XSA-399 fanned out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "member 1 got XSA-399" wait_delivered "${MEMBER_ADDR[1]}" 4 20
mailpy decrypt "$(newest "${MEMBER_ADDR[1]}")" "${MEMBER_HOME[1]}" "$W/m399" >/dev/null
check "XSA-399's note: deployment restricted (patches yes, mitigation no)" \
    grep -qx 'Deployment during embargo: restricted.' <(mailpy text "$W/m399.inner" 0 | head -n 1)
check "... with the sentence that forbids" grep -q 'HOWEVER, deployment of the mitigation is NOT permitted' <(mailpy text "$W/m399.inner" 0)
sed -n '/^ISSUE DESCRIPTION/,/^IMPACT/p' "$W/x399.txt" > "$W/desc399"
{ echo "Subject: also this"; echo; cat "$W/desc399"; } > "$W/msg"
send "$DISC_ADDR" "${MEMBER_ADDR[1]}" "$PROJ_ADDR"
check "a participant of XSA-405 quoting XSA-399 to a non-participant of it: refused ($(reply))" \
    grep -q "^550 5.7.1 XSA-399 is under embargo until .*; not sent to <$PROJ_ADDR>" <<<"$(reply)"
ctl advisory XSA-399 participant add "Other Project" > "$W/padd" 2>&1
check "embargoctl advisory XSA-399 participant add: $(cat "$W/padd")" grep -q 'participant "Other Project" <security@otherproject.example> added to XSA-399 by' "$W/padd"
send "${MEMBER_ADDR[1]}" "$PROJ_ADDR"
check "now a member quoting XSA-399 to Other Project passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
ctl advisory XSA-399 participant drop "Other Project" > "$W/pdrop" 2>&1
send "${MEMBER_ADDR[1]}" "$PROJ_ADDR"
check "after drop it is refused again ($(reply))" grep -q '^550 5.7.1 XSA-399 is under embargo' <<<"$(reply)"
ctl advisory XSA-399 participant add "Nobody Known" > "$W/pbad" 2>&1
check "adding a name with no block fails, naming the fix (exit $?)" grep -q 'add a block participant "Nobody Known"' "$W/pbad"
check "the audit records the add and the drop" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-399 | grep -c 'participant-\(added\|dropped\)' | grep -qx 2"

# 5. An address on Cc with no participant block refuses the post whole.
real_post "$W/x399.eml" "$when" "$W/msg"
sed -i "s/^To: .*/&\nCc: someone@unknown.example/" "$W/msg"
n1=$(delivered "${MEMBER_ADDR[1]}")
send security@example.org predisclosure@lists.example.org someone@unknown.example
check "a list post with an unknown Cc is refused ($(reply | cut -c1-60)...)" grep -q '^550 5.7.1 XSA-399 is under embargo until .*; not sent to <someone@unknown.example>' <<<"$(reply)"
check "... and the reply names the fix (a participant block)" grep -q 'participant block' <<<"$(reply)"
ctl dry-run --from security@example.org --to predisclosure@lists.example.org --to "$DISC_ADDR" < "$W/msg" > "$W/dry1"
check "dry-run: the same post with the discoverer on Cc would fan out (exit $?)" grep -q 'fan-out' "$W/dry1"

# 6. The members' discussion list.
cat > "$W/dpost" <<POST
From: ${MEMBER_ADDR[1]}
To: discuss@lists.example.org
Subject: XSA-405 backport to 5.10

Our backport of the netfront fix to 5.10 is below; has anyone seen the
same with blkfront?

$(cat "$W/desc405")
POST
mutt_post "$W/dpost.eml" "$W/dpost" none "" "${MEMBER_HOME[1]}"
cp "$W/dpost.eml" "$W/msg"
send "${MEMBER_ADDR[1]}" discuss@lists.example.org
check "a member's signed post to the discussion list is accepted (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
check "member 2 got it" wait_delivered "${MEMBER_ADDR[2]}" 4 20
for who in 1 2 team; do
	if [ $who = team ]; then a=security@example.org h=$TEAM_HOME; else a=${MEMBER_ADDR[$who]} h=${MEMBER_HOME[$who]}; fi
	f=""
	for _ in $(seq 1 100); do
		f=$(mailpy select From discuss@lists.example.org $(find "$(maildir "$a")/new" -type f) 2>/dev/null | head -n 1)
		[ -n "$f" ] && break; sleep 0.1
	done
	check "$a got the discussion copy" test -n "$f"
	check "... it decrypts with its own key, signed whole" mailpy decrypt "$f" "$h" "$W/disc-$who"
	check "... by the discussion list's key" grep -q "VALIDSIG.* $DISCUSS_FPR\$" "$W/disc-$who.status"
	check "... Reply-To the discussion list" test "$(mailpy header "$f" Reply-To)" = discuss@lists.example.org
	check "... its note names the poster" grep -q 'by Member 1' <(mailpy text "$W/disc-$who.inner" 0)
done
mutt_read "$W/discscreen" "$(maildir "${MEMBER_ADDR[2]}")" "${MEMBER_HOME[2]}"
check "mutt (member 2) decrypts the discussion copy" grep -q -- '-- End of PGP/MIME' "$W/discscreen"
check "mutt shows a good signature by the discussion list" grep -q "Good signature from: Members' discussion" "$W/discscreen"
check "mutt shows the member's text" grep -q 'has anyone seen the' "$W/discscreen"
{ echo "Subject: hello"; echo; echo "Can I join?"; } > "$W/msg"
send friend@outsider.example discuss@lists.example.org
check "an outsider's unsigned post to the discussion list: refused ($(reply | cut -c1-70)...)" grep -q '^550 5.7.1 posts to discuss@lists.example.org must carry a valid OpenPGP signature' <<<"$(reply)"
mutt_post "$W/mpost.eml" "$W/dpost" none "" "$W/other-gnupg"
cp "$W/mpost.eml" "$W/msg"
send security@example.org discuss@lists.example.org
check "a post signed by a key that is no member's: refused" grep -q '^550 5.7.1 posts to discuss@lists.example.org' <<<"$(reply)"

# 7. XSA-355's deployment wording: permitted (its "Distribution ... is
#    prohibited" is about distribution).
real_post "$TOP/tests/data/xsa355.eml" "$when" "$W/msg"
cp "$W/msg.txt" "$W/x355.txt"
note_secret "$W/x355.txt"
n1=$(delivered "${MEMBER_ADDR[2]}")
send security@example.org predisclosure@lists.example.org
check "XSA-355 fanned out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "member 2 got it" wait_delivered "${MEMBER_ADDR[2]}" $((n1 + 1)) 20
mailpy decrypt "$(newest "${MEMBER_ADDR[2]}")" "${MEMBER_HOME[2]}" "$W/m355" >/dev/null
check "XSA-355's note: deployment permitted" \
    grep -qx 'Deployment during embargo: permitted.' <(mailpy text "$W/m355.inner" 0 | head -n 1)
ctl advisories > "$W/advs"
check "embargoctl advisories shows each deployment state" \
    bash -c "grep -q '^XSA-355 .* permitted\$' '$W/advs' && grep -q '^XSA-399 .* restricted\$' '$W/advs' && grep -q '^XSA-405 .* 1  restricted\$' '$W/advs'"
ctl advisory XSA-405 --report > "$W/rep405"
check "the report names the deployment state" grep -q '^deployment during embargo: restricted' "$W/rep405"

# 8. The final copy: revision 3 held for the public list, released now;
#    the discoverer gets it like the members.
revision "$TOP/tests/data/xsa405.eml" 3 "$W/x405v3.eml"
real_post "$W/x405v3.eml" - "$W/msg" announce@lists.example.org
send security@example.org announce@lists.example.org
check "revision 3 to the public list is held (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
# 5. Every date told (SPEC 6): a date moved with embargoctl reaches each
#    member and participant, signed whole by the list, to each key alone.
later=$(utc_in 7200)
ctl upcoming --ics > "$W/before.ics"
ctl embargo XSA-405 --until "$later" >/dev/null
ctl upcoming --ics > "$W/after.ics"
# The calendar as a calendar reads it (python3-icalendar, not our code).
check "upcoming --ics: RFC 5545 as python3-icalendar reads it; XSA-405 keeps its UID, SEQUENCE rises by one, DTSTART is the new date" \
    /usr/bin/python3 - "$W/before.ics" "$W/after.ics" "$later" <<'PY'
import sys, datetime, icalendar
def events(f):
    raw = open(f, "rb").read()
    assert all(l.endswith(b"\r") and len(l) <= 76 for l in raw.split(b"\n")[:-1]), "CRLF lines of 75 octets"
    cal = icalendar.Calendar.from_ical(raw)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    out = {}
    for ev in cal.walk("VEVENT"):
        # ids and dates only
        assert set(ev.keys()) <= {"UID", "DTSTAMP", "DTSTART", "SEQUENCE", "SUMMARY", "DESCRIPTION", "TRANSP", "STATUS"}, ev.keys()
        out[str(ev["SUMMARY"]).split()[0]] = ev
    return out
b, a = events(sys.argv[1]), events(sys.argv[2])
assert set(b) == set(a) == {"XSA-355", "XSA-399", "XSA-405"}, (set(b), set(a))
assert str(b["XSA-405"]["UID"]) == str(a["XSA-405"]["UID"])
assert int(a["XSA-405"]["SEQUENCE"]) == int(b["XSA-405"]["SEQUENCE"]) + 1
assert int(a["XSA-355"]["SEQUENCE"]) == int(b["XSA-355"]["SEQUENCE"])
want = datetime.datetime.strptime(sys.argv[3], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=datetime.timezone.utc)
assert a["XSA-405"].decoded("DTSTART") == want, (a["XSA-405"].decoded("DTSTART"), want)
PY
dn() { mailpy select Subject "Embargo date notice XSA-405" $(find "$(maildir "$1")/new" -type f) 2>/dev/null; }
for _ in $(seq 1 300); do
	[ -n "$(dn "$DISC_ADDR")" ] && [ -n "$(dn "${MEMBER_ADDR[1]}")" ] && [ -n "$(dn "${MEMBER_ADDR[2]}")" ] && break
	sleep 0.1
done
for who in disc 1 2; do
	if [ "$who" = disc ]; then a=$DISC_ADDR h=$DISC_HOME; else a=${MEMBER_ADDR[$who]} h=${MEMBER_HOME[$who]}; fi
	f=$(dn "$a" | head -n 1)
	check "$a is told the moved date: it decrypts with its own key, signed whole by the list" \
	    mailpy decrypt "$f" "$h" "$W/dn-$who"
	check "... encrypted to that key alone (one recipient packet)" \
	    test "$(gpg --homedir "$h" --batch --list-packets "$W/dn-$who.asc" 2>/dev/null | grep -c '^:pubkey enc packet')" = 1
	mailpy text "$W/dn-$who.inner" 1 > "$W/dn-$who.txt"
	check "... it says the id, the old and the new date in UTC, and who moved it" \
	    bash -c "grep -qx 'Advisory:  XSA-405' '$W/dn-$who.txt' && grep -q '^Was:       20.* UTC\$' '$W/dn-$who.txt' && grep -qx 'Now:       $later' '$W/dn-$who.txt' && grep -q '^Moved by:  embargoctl by ' '$W/dn-$who.txt'"
done
check "the audit records each notice (3 date-notice records)" \
    test "$(ctl audit --advisory XSA-405 | grep -c '"event":"date-notice"')" = 3
ctl embargo XSA-405 --now --reason "the CVE text was published by a CNA before the date" >/dev/null
check "the early release is audited with who and why" \
    bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-405 | grep '\"event\":\"embargo-changed\"' | tail -n 1 | grep -q 'by .* (early release: the CVE text was published by a CNA before the date)'"
copies405() { mailpy select Subject "Embargoed security advisory XSA-405" $(find "$(maildir "$DISC_ADDR")/new" -type f) 2>/dev/null; }
for _ in $(seq 1 300); do [ "$(copies405 | wc -l)" -ge 3 ] && break; sleep 0.1; done
check "the discoverer got the final copy: 3 copies of XSA-405, one per revision" test "$(copies405 | wc -l)" = 3
fin=""
for f in $(copies405); do
	mailpy decrypt "$f" "$DISC_HOME" "$W/d3" >/dev/null && grep -q 'version 3' <(mailpy text "$W/d3.inner") && fin=$f
done
check "the final copy is revision 3, encrypted to the discoverer" test -n "$fin"
# The final copy was built before the date moved: the lift is told too.
for _ in $(seq 1 200); do [ "$(dn "$DISC_ADDR" | wc -l)" -ge 2 ] && break; sleep 0.1; done
f=""
for g in $(dn "$DISC_ADDR"); do mailpy decrypt "$g" "$DISC_HOME" "$W/dn-l" >/dev/null && grep -q '^Public:    since ' <(mailpy text "$W/dn-l.inner" 1) && f=$g; done
check "lifting it with --now is told to the discoverer too: 'Public: since ...'" test -n "$f"
[ -n "$f" ] && mailpy decrypt "$f" "$DISC_HOME" "$W/dn-early" >/dev/null && mailpy text "$W/dn-early.inner" 1 > "$W/dn-early.txt"
check "... as an early release, and why" \
    bash -c "grep -q '^The embargo date of XSA-405 has been lifted before it came' '$W/dn-early.txt' && grep -qx 'Why:       the CVE text was published by a CNA before the date' '$W/dn-early.txt'"
# Made public, it stays in the calendar as the same event cancelled, so a
# calendar that imported it updates (python3-icalendar reads it).
ctl upcoming --ics > "$W/public.ics"
check "upcoming --ics after --now: XSA-405 cancelled (same UID, STATUS:CANCELLED, SEQUENCE raised, at the moment it became public); the others as they were" \
    /usr/bin/python3 - "$W/after.ics" "$W/public.ics" <<'PY'
import sys, datetime, icalendar
def events(f):
    cal = icalendar.Calendar.from_ical(open(f, "rb").read())
    return {str(ev["SUMMARY"]).split()[0]: ev for ev in cal.walk("VEVENT")}
a, p = events(sys.argv[1]), events(sys.argv[2])
assert set(p) == {"XSA-355", "XSA-399", "XSA-405"}, set(p)
x = p["XSA-405"]
assert str(x["UID"]) == str(a["XSA-405"]["UID"])
assert str(x.get("STATUS")) == "CANCELLED", x.get("STATUS")
assert int(x["SEQUENCE"]) > int(a["XSA-405"]["SEQUENCE"]), (x["SEQUENCE"], a["XSA-405"]["SEQUENCE"])
now = datetime.datetime.now(datetime.timezone.utc)
assert abs((x.decoded("DTSTART") - now).total_seconds()) < 600, x.decoded("DTSTART")
assert "became public" in str(x["DESCRIPTION"])
for k in ("XSA-355", "XSA-399"):
    assert "STATUS" not in p[k] and int(p[k]["SEQUENCE"]) == int(a[k]["SEQUENCE"])
PY

# 9. The reviewer's pages (SPEC 7), read in a real browser: the page of
#    XSA-405 (3 revisions, 2 members and its discoverer, a hold, two date
#    moves, refusals) and the whole report with its index.
ctl advisory XSA-405 --report --html "$W/r405.html"
check "advisory --report --html writes the page (exit $?)" test -s "$W/r405.html"
check "the page stands alone: no script, nothing fetched (no src, no external link, no url())" \
    bash -c "! grep -qiE '<script|<link|src=|href=\"[a-z]+:|@import|url\\(' '$W/r405.html'"
ctl --json advisory XSA-405 --report > "$W/r405.json"
ctl audit --advisory XSA-405 > "$W/a405.jsonl"
browser --dump-dom "file://$W/r405.html" > "$W/r405.dom"
while IFS= read -r line; do
	check "Chromium's DOM of the page: ${line#*: }" test "${line%%:*}" = ok
done < <(/usr/bin/python3 "$TOP/tests/e2e/report_dom.py" "$W/r405.dom" "$W/r405.json" "$W/a405.jsonl")
check "the reviewer's page says first that it was an early release, and why" \
    grep -q 'Early release.*the CVE text was published by a CNA before the date' "$W/r405.dom"
shots=$TOP/build/e2e-output/t_people
mkdir -p "$shots"
browser --window-size=1280,1000 --screenshot="$shots/report-xsa405.png" "file://$W/r405.html" >/dev/null
tesseract "$shots/report-xsa405.png" - 2>/dev/null > "$W/r405.ocr"
check "the screenshot shows the page: its title, the timeline's rows and the embargo date line's label (OCR)" \
    bash -c "grep -q 'Embargo record: XSA-405' '$W/r405.ocr' && grep -q 'Discoverer of XSA-405' '$W/r405.ocr' && grep -q 'embargo date' '$W/r405.ocr'"
echo "# screenshot: $shots/report-xsa405.png ($(identify -format '%wx%h' "$shots/report-xsa405.png" 2>/dev/null))"
ctl report --html "$W/pages" > "$W/pages.out"
check "report --html DIR: $(cat "$W/pages.out")" \
    bash -c "test -s '$W/pages/index.html' && test -s '$W/pages/XSA-405.html' && test -s '$W/pages/XSA-399.html'"
browser --dump-dom "file://$W/pages/index.html" > "$W/index.dom"
check "the index links each advisory's page" \
    bash -c "grep -q 'href=\"XSA-405.html\"' '$W/index.dom' && grep -q 'href=\"XSA-355.html\"' '$W/index.dom'"

e2e_finish
