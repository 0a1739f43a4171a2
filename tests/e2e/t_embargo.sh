#!/bin/bash
# t_embargo - the embargo date is fail-safe (SPEC 5, rule 1), through a real
# Postfix, each post predicted by embargoctl dry-run first: a revision with
# the banner line forgotten keeps the embargo and its date; a banner with a
# date already past (a mistyped year) is refused naming --now; a team post
# may move the date later (audited) or earlier, and the held announcement
# then goes out within a second of the new date; --now still lifts it.
. "$(dirname "$0")/lib.sh"
NMEMBERS=2
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }

advisory() {	# advisory ID REV [BANNER-DATE|-]: the text, no banner with "-"
	cat <<ADV
            Xen Security Advisory CVE-2026-$1 / XSA-$1
                               version $2

      x86 shadow paging mishandles a superpage split under memory pressure

ADV
	[ "$3" != - ] && printf '*** EMBARGOED UNTIL %s ***\n\n' "$3"
	cat <<'ADV'
ISSUE DESCRIPTION
=================

When the shadow pagetable code splits a superpage while the host is short
of memory, the error path frees the new level one table but leaves the
stale entry in the level two table, so a guest that keeps touching the
range can make Xen write through a freed page of its own choosing.
ADV
}
# post ID REV BANNER WANT: mutt composes and signs a post to the list;
# dry-run predicts (WANT: 4 fan-out, 1 reject), then the milter decides
post() {
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory $1 v$2 - shadow paging superpage split"; echo
	  advisory "$1" "$2" "$3"; } > "$W/d$1.$2"
	mutt_post "$W/p$1.$2.eml" "$W/d$1.$2" "$LIST_FPR" || return 1
	cp "$W/p$1.$2.eml" "$W/msg"
	ctl dry-run --from security@example.org --to predisclosure@lists.example.org \
	    < "$W/msg" > "$W/dry.out"
	DRY=$?
	send security@example.org predisclosure@lists.example.org
}
receipt_of() {	# receipt_of ID REV: the team's receipt for it, as read by its client
	local f
	for f in $(find "$(maildir security@example.org)/new" -type f); do
		[ "$(mailpy header "$f" Subject | cut -d, -f1)" = "Receipt: XSA-$1 revision $2" ] && echo "$f"
	done
}
state_of() { ctl advisories | awk -v id="XSA-$1" '$1 == id { print $2 }'; }
iso() { date -u -d "@$1" '+%Y-%m-%dT%H:%M:%SZ'; }
date_of() { ctl advisories --json | /usr/bin/python3 -c "import json,sys
for l in sys.stdin:
    a = json.loads(l)
    if a.get('id') == 'XSA-$1': print(a.get('embargo'))"; }
arrival() {	# arrival ADDR N DEADLINE: epoch seconds when ADDR holds N, or "none"
	while [ "$(date +%s)" -le "$3" ]; do
		[ "$(delivered "$1")" -ge "$2" ] && { date +%s.%N; return; }
		sleep 0.05
	done
	echo none
}
within() { awk -v a="$1" -v e="$2" 'BEGIN { exit !(a != "none" && a >= e && a < e + 1) }'; }
late() { awk -v a="$1" -v e="$2" 'BEGIN { printf "%+.2f", a - e }'; }

# 1. XSA-810 under embargo for an hour; the team's announcement is held.
E=$(( $(date +%s) + 3600 ))
when=$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')
post 810 1 "$when"
check "XSA-810 v1 fans out (rc $SWAKS_RC), dry-run predicted it ($DRY)" test "$SWAKS_RC$DRY" = 04
{ echo "From: security@example.org"; echo "To: announce@lists.example.org"
  echo "Subject: Xen Security Advisory 810 v1 - shadow paging superpage split"; echo
  advisory 810 1 "$when"; } > "$W/pub"
mutt_post "$W/pub.eml" "$W/pub" none && cp "$W/pub.eml" "$W/msg"
ctl dry-run --from security@example.org --to announce@lists.example.org < "$W/msg" >/dev/null
dry=$?
send security@example.org announce@lists.example.org
check "the announcement is held (rc $SWAKS_RC, dry-run $dry)" test "$SWAKS_RC$dry" = 03

# 2. Revision 2 with the banner line forgotten: still embargoed, same date.
post 810 2 -
check "v2 without a banner fans out (rc $SWAKS_RC), dry-run agreed ($DRY)" test "$SWAKS_RC$DRY" = 04
check "dry-run said the date is kept" grep -q 'registered embargo date is kept' "$W/dry.out"
check "XSA-810 is still embargoed" test "$(state_of 810)" = embargoed
check "... until the same date ($(date_of 810))" test "$(date_of 810)" = "$(iso "$E")"
for i in 1 2; do check "member $i got revision 2" wait_delivered "${MEMBER_ADDR[$i]}" 2 20; done
has_receipt() { [ -n "$(receipt_of "$1" "$2")" ]; }
wait_for "$WAIT_MAX" has_receipt 810 2
rc2=$(receipt_of 810 2)
check "the receipt says the registered date was kept" grep -q 'no embargo marker: the registered date is kept' <(mailpy text "$rc2")
check "the receipt still says the embargo date" grep -q "Embargo:   until $when" <(mailpy text "$rc2")
check "the announcement is still held" test "$(delivered announce@lists.example.org)" = 0
advisory 810 2 - | sed -n '/ISSUE DESCRIPTION/,$p' > "$W/text"
{ echo "Subject: Fwd: shadow paging"; echo; cat "$W/text"; } > "$W/msg"
send dev@vendor.example friend@outsider.example
check "its text to an outsider is still refused: $(reply)" grep -q "^550 5.7.1 XSA-810 is under embargo until $when" <<<"$(reply)"

# 3. Revision 3 with a mistyped year (the date has passed): refused, --now named.
past=$(date -u -d "@$((E - 366 * 86400))" '+%Y-%m-%d %H:%M:%S UTC')
before=$(( $(delivered "${MEMBER_ADDR[1]}") + $(delivered "${MEMBER_ADDR[2]}") ))
post 810 3 "$past"
r=$(reply)
check "a past banner date is refused: $r" grep -q "^550 5.7.1 XSA-810 is under embargo until $when, and this post's embargo date $past has passed; to lift the embargo early run: embargoctl embargo XSA-810 --now" <<<"$r"
check "dry-run agreed (exit $DRY) with the same reply" bash -c "[ $DRY = 1 ] && grep -qF 'embargoctl embargo XSA-810 --now' '$W/dry.out'"
check "XSA-810 is still embargoed until $when" test "$(state_of 810) $(date_of 810)" = "embargoed $(iso "$E")"
# Refused at end of message, nothing was queued for it: once nothing is
# queued and the queue has delivered, nothing more arrives.
settled
check "no member got revision 3" test "$(( $(delivered "${MEMBER_ADDR[1]}") + $(delivered "${MEMBER_ADDR[2]}") ))" = "$before"

# 4. Revision 4 moves the date later: allowed, audited as moved later.
E4=$((E + 3600))
when4=$(date -u -d "@$E4" '+%Y-%m-%d %H:%M:%S UTC')
post 810 4 "$when4"
check "v4 with a later date fans out (rc $SWAKS_RC, dry-run $DRY)" test "$SWAKS_RC$DRY" = 04
check "XSA-810 now until $when4" test "$(date_of 810)" = "$(iso "$E4")"
ctl audit --advisory XSA-810 > "$W/audit810"
check "the audit says the date moved later" grep -q '"event":"embargo-changed".*moved later' "$W/audit810"

# 5. Revision 5 moves it earlier, to a few seconds from now: the held
#    announcement follows within a second of the new date.
E5=$(( $(date +%s) + 12 ))
when5=$(date -u -d "@$E5" '+%Y-%m-%d %H:%M:%S UTC')
post 810 5 "$when5"
check "v5 with an earlier date fans out (rc $SWAKS_RC, dry-run $DRY)" test "$SWAKS_RC$DRY" = 04
check "the audit says the date moved earlier" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-810 | grep -q '\"event\":\"embargo-changed\".*moved earlier'"
check "nothing released before the new date" test "$(delivered announce@lists.example.org)" = 0
a=$(arrival announce@lists.example.org 1 $((E5 + 10)))
check "the announcement went out at $(late "$a" "$E5") s of the date a post moved earlier" within "$a" "$E5"
check "XSA-810 is public now" test "$(state_of 810)" = public

# 6. --now still lifts an embargo at once.
E6=$(( $(date +%s) + 3600 ))
when6=$(date -u -d "@$E6" '+%Y-%m-%d %H:%M:%S UTC')
post 811 1 "$when6"
check "XSA-811 fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
sed -e 's/810/811/g' "$W/pub" > "$W/pub811"
mutt_post "$W/pub811.eml" "$W/pub811" none && cp "$W/pub811.eml" "$W/msg"
send security@example.org announce@lists.example.org
check "its announcement is held (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
t0=$(date +%s.%N)
ctl embargo XSA-811 --now >/dev/null
a=$(arrival announce@lists.example.org 2 $(( $(date +%s) + 10 )))
check "--now released it (+$(awk -v a="$a" -v t="$t0" 'BEGIN { printf "%.2f", a - t }') s)" awk -v a="$a" -v t="$t0" 'BEGIN { exit !(a != "none" && a - t < 2) }'
# Its text still says "EMBARGOED UNTIL" an hour ahead; the registry says
# public, and a marker naming a registered advisory follows the registry.
{ echo "Subject: Fwd: Xen Security Advisory 811 v1 - shadow paging superpage split"; echo
  echo "---------- Forwarded message ----------"; advisory 811 1 "$when6"; } > "$W/msg"
ctl dry-run --from dev@vendor.example --to friend@outsider.example < "$W/msg" >/dev/null
DRY=$?
send dev@vendor.example friend@outsider.example
check "a forward of XSA-811 lifted with --now passes, its banner's date aside (rc $SWAKS_RC, dry-run $DRY): $(reply)" \
    test "$SWAKS_RC$DRY" = 00

# 6b. The timeline to suggest to a discoverer: one working week to the
#     list, two more to the public release at public_time (12:00 UTC).
ctl timeline --reported "2026-12-01 10:00 UTC" > "$W/tl"
check "timeline: the list a working week after the report: $(grep pre-disclosure "$W/tl")" \
    grep -q '^pre-disclosure: 2026-12-08 10:00:00 UTC' "$W/tl"
check "timeline: public two working weeks later at public_time: $(grep '^public' "$W/tl")" \
    grep -q '^public:  *2026-12-22 12:00:00 UTC  (the default schedule)' "$W/tl"
ctl timeline --reported "2026-12-01 10:00 UTC" --discoverer-date "2027-01-20T12:00Z" > "$W/tl2"
check "timeline: a discoverer's date past max_embargo is capped, saying so: $(grep '^public' "$W/tl2")" \
    grep -q '^public:  *2026-12-29 10:00:00 UTC  (.*capped' "$W/tl2"
ctl timeline --reported "yesterday" > /dev/null 2> "$W/tl3"
check "timeline: a date it cannot read is refused with the forms it takes" grep -q 'YYYY-MM-DD HH:MM UTC' "$W/tl3"

# 7. A state store that embargoctl cannot read whole is an error (exit 2,
#    the store's own words), never an empty answer: a copy of the state
#    with one record written by some other program.
mkdir -p "$W/state-copy"
mdb_copy "$W/state" "$W/state-copy"
cp "$W/state/print.key" "$W/state-copy/"
sed "s|^state_dir .*|state_dir = \"$W/state-copy\"|" "$W/milter.conf" > "$W/copy.conf"
chmod 0640 "$W/copy.conf"
printf 'ZZZ-1\nabc\n' | mdb_load -s adv -T "$W/state-copy"
chown -R --reference="$W/state" "$W/state-copy"
chmod --reference="$W/state" "$W/state-copy"
"$CTL_BIN" -c "$W/copy.conf" advisories > "$W/adv.out" 2> "$W/adv.err"
rc=$?
check "embargoctl advisories over a record of another layout exits 2 (rc $rc)" test "$rc" = 2
check "... saying which database and what to do: $(head -c 160 "$W/adv.err")" \
    grep -q "database 'adv' has 3 bytes.*another version of embargo-milter" "$W/adv.err"
"$CTL_BIN" -c "$W/copy.conf" upcoming > /dev/null 2> "$W/up.err"
rc=$?
check "embargoctl upcoming too (rc $rc)" test "$rc" = 2

check "audit chain verifies" ctl audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
