#!/bin/bash
# t_hold - SPEC 5 rules 2 and 3 and the release, through a real Postfix:
# the team's public posting is held and released within a second of the
# embargo date (across a restart), follows a moved date and --now; the
# reminder names the held posting; forwards, quoting replies and pasted
# patches of embargoed text are refused, and dry-run agrees.
. "$(dirname "$0")/lib.sh"
NMEMBERS=2
EXTRA_CONF='remind_before = "25s"'
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }

E=$(( $(date +%s) + 45 ))	# XSA-800's embargo: 45 s from now
when=$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')
advisory_text() {	# advisory_text ID WHEN: the advisory text
	cat <<ADV
            Xen Security Advisory CVE-2026-$1 / XSA-$1
                               version 1

          grant table mapping race lets a guest corrupt host memory

*** EMBARGOED UNTIL $2 ***

ISSUE DESCRIPTION
=================

When two vCPUs of one guest map the same grant reference at the same
time, the reference count in the shared frame table is incremented without
holding the grant table lock, so a racing unmap can release the page while
a mapping of it still exists in the second vCPU's page tables.

IMPACT
======

A malicious guest administrator can corrupt memory of the host, leading
to a crash or privilege escalation of the hypervisor.
ADV
}
advisory() { advisory_text "$@"; }
patch() {
	cat <<'PATCH'
--- a/xen/common/grant_table.c
+++ b/xen/common/grant_table.c
@@ -1021,8 +1021,10 @@ map_grant_ref(
+    grant_read_lock(rgt);
     refcnt = atomic_read(&frame_table[mfn].count_info);
-    if ( refcnt == 0 ) goto undo_out;
+    if ( refcnt == 0 || !get_page(pg, rd) )
+        goto unlock_out;
+    /* The frame stays referenced until the grant is unmapped. */
+    grant_read_unlock(rgt);
PATCH
}
post_list() {	# post_list ID WHEN: fan-out of XSA-ID, embargoed until WHEN
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory $1 v1 - grant table race"; echo; advisory "$1" "$2"; } > "$W/d$1"
	patch > "$W/xsa$1.patch"
	mutt_post "$W/p$1.eml" "$W/d$1" "$LIST_FPR" "$W/xsa$1.patch" && cp "$W/p$1.eml" "$W/msg" &&
	    send security@example.org predisclosure@lists.example.org && [ "$SWAKS_RC" = 0 ]
}
post_public() {	# post_public ID: the team's public posting to two lists (signed)
	{ echo "From: security@example.org"; echo "To: announce@lists.example.org, oss-security@lists.example.net"
	  echo "Subject: Xen Security Advisory $1 v1 - grant table race"; echo; advisory "$1" "$2"; } > "$W/pub$1"
	mutt_post "$W/pp$1.eml" "$W/pub$1" none && cp "$W/pp$1.eml" "$W/msg" &&
	    send security@example.org announce@lists.example.org oss-security@lists.example.net &&
	    [ "$SWAKS_RC" = 0 ]
}
arrival() {	# arrival ADDR N DEADLINE: epoch seconds (with fraction) when ADDR holds N, or "none"
	while [ "$(date +%s)" -le "$3" ]; do
		[ "$(delivered "$1")" -ge "$2" ] && { date +%s.%N; return; }
		sleep 0.05
	done
	echo none
}

# 1. The advisory goes to the list, embargoed 45 s; the public posting is held.
check "XSA-800 fanned out to the list" post_list 800 "$when"
check "the team's public posting is accepted (250) and held" post_public 800 "$when"
check "the receipt names the hold id and release time" wait_for "$WAIT_MAX" bash -c "grep -l 'Release:   $when' \$(find '$(maildir security@example.org)/new' -type f) >/dev/null 2>&1"
ctl held > "$W/held.out"
check "embargoctl held lists it" grep -q '^[0-9]* *held *XSA-800 ' "$W/held.out"
hid=$(awk '$3 == "XSA-800" { print $1; exit }' "$W/held.out")
ctl held show "$hid" > "$W/show.out" 2>&1
rc=$?
check "embargoctl held show $hid (exit $rc), as the hold notice says, names its Subject" \
    bash -c "[ $rc = 0 ] && grep -q 'Subject: *Xen Security Advisory 800 v1' '$W/show.out'"
ctl upcoming > "$W/up.out"
check "upcoming shows the id and date only: $(cat "$W/up.out")" test "$(cat "$W/up.out")" = "XSA-800              $when"

# 2. The leak guard, while XSA-800 is under embargo (no marker in these).
advisory 800 "$when" | sed '/EMBARGOED/d' > "$W/text"
leak() {	# leak NAME FROM TO WANT(0 pass|1 reject): milter and dry-run
	send "$2" "$3"
	local r; r=$(reply)
	if [ "$4" = 1 ]; then
		check "$1: refused: $r" grep -q "^550 5.7.1 XSA-800 is under embargo until $when; not sent to <$3>" <<<"$r"
	else
		check "$1: passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
	fi
	ctl dry-run --from "$2" --to "$3" < "$W/msg" >/dev/null
	check "$1: dry-run agrees" test $? = "$4"
}
{ echo "Subject: Fwd: grant table issue"; echo; echo "---------- Forwarded message ----------"; cat "$W/text"; } > "$W/msg"
leak "a forward to an outsider" dev@vendor.example friend@outsider.example 1
{ echo "Subject: Re: grant table issue"; echo; echo "Looks bad. Quoting:"; echo
  fmt -w 50 "$W/text" | sed 's/^/> /'; echo; echo "Thanks."; } > "$W/msg"
leak "a reply quoting it, re-wrapped with > " dev@vendor.example friend@outsider.example 1
{ echo "Subject: small fix"; echo; echo "Can you apply this?"; echo; patch; } > "$W/msg"
leak "the patch pasted into a message" dev@vendor.example friend@outsider.example 1
{ echo "Subject: XSA-800"; echo; echo "Is XSA-800 on your radar? It is announced for $when."; } > "$W/msg"
leak "a mail naming only the id" dev@vendor.example friend@outsider.example 0
{ echo "Subject: Fwd: grant table issue"; echo; cat "$W/text"; } > "$W/msg"
leak "the text sent to a member address" dev@vendor.example "${MEMBER_ADDR[1]}" 0

# 3. The reminder, remind_before (25 s) ahead, names the held posting.
reminder() {	# the team's reminder about XSA-800, as its client sees it
	local f
	for f in $(find "$(maildir security@example.org)/new" -type f); do
		case $(mailpy header "$f" Subject) in "Reminder: XSA-800 goes public"*) echo "$f"; return ;; esac
	done
}
rem=""
while [ -z "$rem" ] && [ "$(date +%s)" -lt "$E" ]; do rem=$(reminder); sleep 0.1; done
check "the reminder arrives before the date" test -n "$rem"
check "the reminder names the held posting" grep -q 'announce@lists.example.org,oss-security@lists.example.net' <(mailpy text "$rem")

# 4. Prepared ahead (SPEC 5): the release to each list waits built, sealed,
#    with the date as its next try.  A restart while held; nothing early;
#    both lists within 1 s after the date.
ctl outbox > "$W/outbox.pre"
check "before the date both releases wait built in the outbox, due at $when" \
    test "$(grep -cE "release +XSA-800 .* built .* ${when}" "$W/outbox.pre")" = 2
milter_stop
milter_start
check "nothing reached the lists before the embargo" test "$(delivered announce@lists.example.org)$(delivered oss-security@lists.example.net)" = 00
a1=$(arrival announce@lists.example.org 1 $((E + 10)))
a2=$(arrival oss-security@lists.example.net 1 $((E + 10)))
check "announce got it at +$(awk -v a="$a1" -v e="$E" 'BEGIN { printf "%.2f", a - e }') s" awk -v a="$a1" -v e="$E" 'BEGIN { exit !(a != "none" && a >= e && a < e + 1) }'
check "oss-security got it at +$(awk -v a="$a2" -v e="$E" 'BEGIN { printf "%.2f", a - e }') s" awk -v a="$a2" -v e="$E" 'BEGIN { exit !(a != "none" && a >= e && a < e + 1) }'
rel=$(find "$(maildir announce@lists.example.org)/new" -type f | head -n 1)
check "the released posting is the team's, signed (independent reader)" \
    test "$(mailpy tree "$rel" | head -n 1)" = multipart/signed
check "the released posting's Subject as the team wrote it" \
    test "$(mailpy header "$rel" Subject)" = "$(mailpy header "$W/pp800.eml" Subject)"

# 5. After the date the same text passes.
{ echo "Subject: Fwd: grant table issue"; echo; cat "$W/text"; } > "$W/msg"
leak "the text after the embargo" dev@vendor.example friend@outsider.example 0

# 6. A moved date moves the release; --now releases at once.
E2=$(( $(date +%s) + 3600 ))
when2=$(date -u -d "@$E2" '+%Y-%m-%d %H:%M:%S UTC')
check "XSA-801 fanned out" post_list 801 "$when2"
check "its public posting is held" post_public 801 "$when2"
E3=$(( $(date +%s) + 8 ))
"$CTL_BIN" -c "$W/milter.conf" embargo XSA-801 --until "$(date -u -d "@$E3" '+%Y-%m-%dT%H:%M:%SZ')" > "$W/emb.out"
check "embargo moved: $(cat "$W/emb.out")" grep -q 'moved from' "$W/emb.out"
a3=$(arrival announce@lists.example.org 2 $((E3 + 10)))
check "the release followed the earlier date (+$(awk -v a="$a3" -v e="$E3" 'BEGIN { printf "%.2f", a - e }') s)" awk -v a="$a3" -v e="$E3" 'BEGIN { exit !(a != "none" && a >= e && a < e + 1) }'
check "XSA-802 fanned out" post_list 802 "$when2"
# Its public posting is revision 2: the list never had it.
advisory() {	# as above, but revision 2 for XSA-802
	advisory_text "$@" | { [ "$1" = 802 ] && sed 's/version 1/version 2/' || cat; }
}
check "its public posting (revision 2) is held" post_public 802 "$when2"
t0=$(date +%s)
"$CTL_BIN" -c "$W/milter.conf" embargo XSA-802 --now >/dev/null
a4=$(arrival announce@lists.example.org 3 $(( $(date +%s) + WAIT_MAX )))
check "--now: the released posting reached the list" test "$a4" != none
# "At once" is the milter's: its hold released (the audit's whole second)
# in the second of the command or the next, whatever Postfix then took.
r4=$(ctl audit --advisory XSA-802 | python3 -c '
import json, sys, datetime
for line in sys.stdin:
    r = json.loads(line)
    if r.get("event") == "released":
        print(int(datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()))
        break
else:
    print("none")')
check "--now released it at once (the release recorded at +$(( ${r4/none/-1} - t0 )) s)" \
    awk -v r="$r4" -v t="$t0" 'BEGIN { exit !(r != "none" && r - t >= 0 && r - t <= 1) }'
copies_of() { mailpy select Subject "Embargoed security advisory XSA-$2" $(find "$(maildir "$1")/new" -type f) 2>/dev/null; }
copies802() { copies_of "$1" 802 | wc -l; }
for i in 1 2; do
	for _ in $(seq 1 100); do [ "$(copies802 "${MEMBER_ADDR[$i]}")" -ge 2 ] && break; sleep 0.1; done
	check "member $i got the final copy (revision 2) of XSA-802 at release" test "$(copies802 "${MEMBER_ADDR[$i]}")" = 2
done
# The final copy read as member 1's client reads it: revision 2 inside.
fin=""
for f in $(copies_of "${MEMBER_ADDR[1]}" 802); do
	mailpy decrypt "$f" "${MEMBER_HOME[1]}" "$W/fin" && grep -q 'version 2' <(mailpy text "$W/fin.inner") && fin=$f
done
check "the final copy decrypts, no defect, revision 2 inside" test -n "$fin"
mailpy decrypt "$fin" "${MEMBER_HOME[1]}" "$W/fin" >/dev/null
check "the final copy is signed by the list key" grep -q "VALIDSIG.* $LIST_FPR\$" "$W/fin.status"
copies800() { copies_of "$1" 800 | wc -l; }
check "XSA-800's release sent no second copy (revision 1 was sent)" test "$(copies800 "${MEMBER_ADDR[1]}")" = 1
ctl audit --advisory XSA-802 > "$W/audit802"
check "the audit says who lifted it" grep -q '"event":"embargo-changed".*by root' "$W/audit802"
check "every list got each posting once" test "$(delivered announce@lists.example.org)$(delivered oss-security@lists.example.net)" = 33
check "audit chain verifies" ctl audit verify

# 7. Every --json output parses (json-glib builds it), a line per object.
printf 'Subject: hi\n\nXSA-800 text\n' > "$W/dry.eml"
chmod 0644 "$W/dry.eml" "$W/applicant.asc" 2>/dev/null
gpg --homedir "${MEMBER_HOME[1]}" --armor --export "${MEMBER_FPR[1]}" > "$W/m1.asc"; chmod 0644 "$W/m1.asc"
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	ctl --json $cmd > "$W/json.out" 2>/dev/null
	check "embargoctl --json $cmd: every line parses as JSON" json_lines "$W/json.out"
done <<CMDS
check
advisories
advisory XSA-800
advisory XSA-800 --report
held
held show $(ctl --json held | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
outbox
keys
members
members --public
audit
audit verify
upcoming
public list
dry-run --from dev@vendor.example --to friend@outsider.example $W/dry.eml
trace $W/dry.eml
member vet --name New --address psirt@new.example --key $W/m1.asc
embargo XSA-999 --until 2099-01-01T00:00:00Z
held release 999
outbox retry
CMDS
# 8. A dropped hold takes what was prepared for it along: never sent.
when3=$(utc_in 3600)
check "XSA-803 fanned out" post_list 803 "$when3"
check "its public posting is held" post_public 803 "$when3"
for _ in $(seq 1 100); do [ "$(ctl outbox | grep -cE 'release +XSA-803 .* built')" = 2 ] && break; sleep 0.1; done
check "... and prepared (2 releases built)" test "$(ctl outbox | grep -cE 'release +XSA-803 .* built')" = 2
h803=$(ctl held | awk '/XSA-803/ { print $1; exit }')
ctl held drop "$h803" --why "withdrawn: wrong advisory" > /dev/null
check "held drop cancels them (failed, 'hold $h803 dropped by')" \
    test "$(ctl outbox | grep -cE "release +XSA-803 .* failed .*hold $h803 dropped by")" = 2
ctl outbox retry > /dev/null
settled	# were they due again, they would be queued, then sent
check "... and outbox retry leaves them: nothing reached the lists" \
    test "$(ctl outbox | grep -cE "release +XSA-803 .* failed")" = 2
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
