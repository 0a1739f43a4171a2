#!/bin/bash
# t_announce - the public pre-announcement (SPEC 7, pre_announce), and a
# reminder that says nothing is held to announce at E.  An
# advisory registered under embargo, and each move of its date (embargoctl
# embargo --until, --now), is told to the announce list with its id and
# date only, signed by the list key and verified here with gpg, audited;
# embargoctl upcoming prints the same date.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 1
echo 'pre_announce = { "announce@lists.example.org" }' >> "$W/milter.conf"
milter_stop
milter_start
ctl() { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
notices() { find "$(maildir announce@lists.example.org)/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2; }
# told N: the Nth notice's text, its signature verified with the list key
told() {
	local f; f=$(notices | sed -n "${1}p")
	[ -n "$f" ] || return 1
	mailpy text "$f" > "$W/notice$1"
	gpg --homedir "$TEAM_HOME" --batch --status-fd 1 --verify "$W/notice$1" 2>/dev/null > "$W/notice$1.status"
}
when=$(utc_in 7200)
real_post "$TOP/tests/data/xsa405.eml" "$when" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-405 is registered under embargo (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the announce list is told" wait_delivered announce@lists.example.org 1 20
told 1
check "the notice: its id and date ($(grep -m1 'XSA-405' "$W/notice1"))" grep -qx "XSA-405 will be made public on $when." "$W/notice1"
check "... signed by the list key" grep -q "VALIDSIG.* $LIST_FPR\$" "$W/notice1.status"
sed -n '/^ISSUE DESCRIPTION/,$p' "$W/msg.txt" | awk 'length($0) >= 20' > "$W/adv.lines"
check "... and no line of the advisory" bash -c "! grep -qxFf '$W/adv.lines' '$W/notice1'"
# remind_before is 24 h: the team's reminder is due at once, and says
# first that nothing is held to announce.
rem=""
for _ in $(seq 1 100); do
	rem=$(mailpy select Subject "Reminder: XSA-405 goes public at $when" $(find "$(maildir security@example.org)/new" -type f) 2>/dev/null | head -n 1)
	[ -n "$rem" ] && break; sleep 0.1
done
check "the team is reminded" test -n "$rem"
check "... and told first that nothing will be announced at E" \
    grep -qx "Nothing will be announced at $when: no public posting is held for XSA-405 and no release hook is configured." <(mailpy text "$rem" | head -n 1)
ctl upcoming > "$W/upcoming"
check "embargoctl upcoming prints the same date" grep -q "XSA-405.*${when%% UTC}" "$W/upcoming"
later=$(utc_in 86400)
ctl embargo XSA-405 --until "$later" > /dev/null
check "a moved date is told" wait_delivered announce@lists.example.org 2 20
told 2
check "the second notice: the new date and the old ($(tr '\n' ' ' < "$W/notice2" | cut -c1-120))" \
    bash -c "grep -qx 'XSA-405 will be made public on $later.' '$W/notice2' && grep -qx 'The date was moved: it was $when.' '$W/notice2'"
ctl embargo XSA-405 --now > /dev/null
check "lifting it now is told" wait_delivered announce@lists.example.org 3 20
told 3
check "the third notice says it is public, signed" bash -c "grep -q '^XSA-405 was made public on ' '$W/notice3' && grep -q 'VALIDSIG.* $LIST_FPR\$' '$W/notice3.status'"
# The member is told each move too, signed whole and encrypted to it alone.
dn() { mailpy select Subject "Embargo date notice XSA-405" $(find "$(maildir "${MEMBER_ADDR[1]}")/new" -type f) 2>/dev/null; }
# Both date notices arrived, then nothing is queued and the queue has
# delivered: a third notice, or a fourth pre-announcement, would be here.
two_dn() { [ "$(dn | wc -l)" -ge 2 ]; }
wait_for "$WAIT_MAX" two_dn
settled
check "the member got two date notices (moved, lifted)" test "$(dn | wc -l)" = 2
lifted=""
for f in $(dn); do
	mailpy decrypt "$f" "${MEMBER_HOME[1]}" "$W/dn" >/dev/null && grep -q '^Public:    since ' <(mailpy text "$W/dn.inner" 1) && lifted=$f
done
check "... the lift says 'Public: since', and decrypts, signed whole by the list" test -n "$lifted"
check "each date is told once (3 notices)" test "$(notices | wc -l)" = 3
check "public with nothing held and no release_hook: audited as public-unannounced" \
    bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-405 | grep '\"event\":\"public-unannounced\"' | grep -q 'nothing to announce'"
check "... and logged as a warning" wait_log 'XSA-405 revision [0-9]* became public with nothing to announce'
check "the audit has one pre-announced record per date" test "$(ctl audit --advisory XSA-405 | grep -c '"event":"pre-announced"')" = 3
e2e_finish
