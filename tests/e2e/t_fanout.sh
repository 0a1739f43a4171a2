#!/bin/bash
# t_fanout - SPEC 5 rule 1 through a real Postfix, posts composed by mutt:
# one encrypted copy per member, each to that member's key alone, signed by
# the list key, the original entity inside; refusals that name the fix;
# a public advisory; a member whose key expired waits, then gets it once.
. "$(dirname "$0")/lib.sh"
NMEMBERS=4
e2e_start --keys $NMEMBERS

when=$(utc_in 86400)
cat > "$W/advisory.txt" <<ADV
            Xen Security Advisory CVE-2026-40001 / XSA-400
                               version 1

          guest can crash the host via a malformed hypercall

*** EMBARGOED UNTIL $when ***

ISSUE DESCRIPTION
=================

A malformed argument to the memory_op hypercall is not checked before
it is used as an index; a guest can read beyond the array and crash the host.
ADV
printf -- '--- a/xen/common/memory.c\n+++ b/xen/common/memory.c\n@@ -1,3 +1,5 @@\n+    if ( idx >= ARRAY_SIZE(table) )\n+        return -EINVAL;\n     entry = table[idx];\n' > "$W/xsa400.patch"

draft() {	# draft FILE SUBJECT [EXTRA-HEADER]
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  [ -n "${3:-}" ] && echo "$3"
	  echo "Subject: $2"; echo; cat "$W/advisory.txt"; } > "$1"
}

copies_of() {	# copies_of ADDR: the delivered files, one per line
	find "$(maildir "$1")/new" -type f 2>/dev/null | sort
}


# 1. Signed and encrypted to the list key, by mutt: every member gets one copy.
draft "$W/d1" "Xen Security Advisory 400 v1 - guest can crash the host"
check "mutt composed the signed+encrypted post" mutt_post "$W/post1.eml" "$W/d1" "$LIST_FPR" "$W/xsa400.patch"
check "the post is PGP/MIME encrypted" grep -q 'multipart/encrypted' "$W/post1.eml"
cp "$W/post1.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "post accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in $(seq 1 $NMEMBERS); do
	check "member $i got its copy" wait_delivered "${MEMBER_ADDR[$i]}" 1 20
done
check "the team got a receipt" wait_delivered security@example.org 1 20
settled	# nothing queued to send again, the queue delivered: no second copy to come
for i in $(seq 1 $NMEMBERS); do
	f=$(copies_of "${MEMBER_ADDR[$i]}" | head -n 1)
	check "member $i: exactly one copy" test "$(copies_of "${MEMBER_ADDR[$i]}" | wc -l)" = 1
	check "member $i: outer Subject is outer_subject and the id only" \
	    test "$(mailpy header "$f" Subject)" = 'Embargoed security advisory XSA-400'
	check "member $i: Reply-To is the team" test "$(mailpy header "$f" Reply-To)" = security@example.org
	check "member $i: the real Subject is not outside" bash -c "! grep -q 'guest can crash' '$f'"
	check "member $i: RFC 3156 structure" test "$(mailpy tree "$f" | tr -d ' ' | paste -sd,)" = \
	    multipart/encrypted,application/pgp-encrypted,application/octet-stream
	check "member $i: decrypts with its key, the inner entity has no defect" \
	    mailpy decrypt "$f" "${MEMBER_HOME[$i]}" "$W/c$i"
	gpg --homedir "${MEMBER_HOME[$i]}" --list-packets "$W/c$i.asc" 2>/dev/null > "$W/c$i.pk"
	check "member $i: encrypted to one key alone" test "$(grep -c '^:pubkey enc packet' "$W/c$i.pk")" = 1
	sub=$(gpg --homedir "${MEMBER_HOME[$i]}" --with-colons -k "${MEMBER_FPR[$i]}" | awk -F: '/^sub/ { print $5; exit }')
	check "member $i: ... and that key is the member's ($sub)" grep -q "keyid $sub" "$W/c$i.pk"
	check "member $i: signed by the list key" grep -q "VALIDSIG.* $LIST_FPR\$" "$W/c$i.status"
	check "member $i: protected Subject inside" \
	    test "$(mailpy header "$W/c$i.inner" Subject)" = 'Xen Security Advisory 400 v1 - guest can crash the host'
	check "member $i: protected-headers=v1" grep -qx 'multipart/mixed protected-headers=v1' <(mailpy tree "$W/c$i.inner")
	mailpy text "$W/c$i.inner" 0 | tr '\n' ' ' > "$W/c$i.note"
	check "member $i: the note names the member and the team key" \
	    grep -q "made for Member $i .*key $TEAM_FPR" "$W/c$i.note"
done
# The inner entity equals the original: the post decrypted with the list key.
list_gpg --decrypt < <(mailpy payload "$W/post1.eml") > "$W/orig.inner" 2>/dev/null

# The rule the checks above apply fails a copy whose list signature sits
# below the top of what the member decrypts (Thunderbird then shows "No
# Digital Signature"): the form copies had before, a note and the protected
# headers beside a multipart/signed of the entity, made here by hand.
nested_copy "$W/old.eml" 1 "$W/orig.inner"
mailpy decrypt "$W/old.eml" "${MEMBER_HOME[1]}" "$W/old" > "$W/old.out"
check "a copy signed below its top fails the whole-signature rule" \
    grep -q 'no valid signature covers the whole decrypted entity' "$W/old.out"
check "... though its nested signature verifies (the rule, not the copy, failed it)" \
    grep -q "VALIDSIG.* $LIST_FPR\$" "$W/old.nested"
check "the advisory text inside equals the original's" cmp -s <(mailpy text "$W/orig.inner" 0) <(mailpy text "$W/c2.inner" 1)
check "the patch travels inside" grep -q 'return -EINVAL' <(mailpy text "$W/c2.inner")
# The receipt by its Subject: a reminder may reach the team first (the
# date is within remind_before).
rcpt=$(mailpy select Subject "Receipt: XSA-400 revision 1, $NMEMBERS copies queued" $(copies_of security@example.org) | head -n 1)
check "receipt names advisory, revision, date and copies" \
    bash -c "grep -q 'Advisory:  XSA-400' '$rcpt' && grep -q 'Revision:  1' '$rcpt' && grep -q 'Embargo:   until $when' '$rcpt' && grep -q 'Copies:    $NMEMBERS queued' '$rcpt'"
check "receipt holds no advisory text" bash -c "! grep -q 'malformed' '$rcpt'"
check "receipt of the new advisory names the default schedule's public date" \
    grep -q 'Default: *public at [0-9-]* 12:00:00 UTC by the default schedule' <(mailpy text "$rcpt" 0)
check "receipt warns that no public text is loaded, naming the cure" \
    grep -q 'no public text is loaded.*embargoctl public add' <(mailpy text "$rcpt" 0 | tr '\n' ' ')
check "nothing reached the list address itself" test "$(delivered predisclosure@lists.example.org)" = 0

# 2. Signed only (revision 2): again one copy each, the team's signature inside.
sed -i 's/version 1/version 2/' "$W/advisory.txt"
draft "$W/d2" "Xen Security Advisory 400 v2 - guest can crash the host"
check "mutt composed the signed-only post" mutt_post "$W/post2.eml" "$W/d2" none
check "the post is PGP/MIME signed" grep -q 'multipart/signed' "$W/post2.eml"
cp "$W/post2.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "signed-only post accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in $(seq 1 $NMEMBERS); do
	check "member $i got revision 2" wait_delivered "${MEMBER_ADDR[$i]}" 2 20
done

# 3. Refusals: 550 5.7.1 naming the fix; nothing delivered.
refused() {	# refused NAME PATTERN: the last send was refused so
	local r; r=$(reply)
	check "$1 refused (rc $SWAKS_RC): $r" grep -q "^550 5.7.1 .*$2" <<<"$r"
}
before=$(for i in $(seq 1 $NMEMBERS); do delivered "${MEMBER_ADDR[$i]}"; done | awk '{ s += $1 } END { print s }')
draft "$W/msg" "Xen Security Advisory 400 v3"
send security@example.org predisclosure@lists.example.org
refused "unsigned post" "valid OpenPGP signature by a team key"
draft "$W/d3" "Xen Security Advisory 400 v3"
mutt_post "$W/post3.eml" "$W/d3" none "" "$W/other-gnupg"
cp "$W/post3.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
refused "post signed by a key that is not the team's" "valid OpenPGP signature by a team key"
sed 's/guest can read beyond/guest can write beyond/' "$W/post2.eml" > "$W/msg"
send security@example.org predisclosure@lists.example.org
refused "bad signature (body altered after signing)" "valid OpenPGP signature by a team key"
draft "$W/d4" "Xen Security Advisory 400 v3" "Cc: journalist@news.example"
mutt_post "$W/post4.eml" "$W/d4" none
cp "$W/post4.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org journalist@news.example
refused "embargoed post with a Cc to an outsider" "not sent to <journalist@news.example>"
check "the outsider got nothing" test "$(delivered journalist@news.example)" = 0
sed 's/XSA-400/the issue/; s/CVE-2026-40001/the CVE/' "$W/advisory.txt" > "$W/noid.txt"
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"; echo "Subject: Security advisory"; echo; cat "$W/noid.txt"; } > "$W/d5"
mutt_post "$W/post5.eml" "$W/d5" none
cp "$W/post5.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
refused "post with no advisory id" "must name its advisory id"
draft "$W/d6" "Xen Security Advisory 400 v3"
gpg --homedir "${MEMBER_HOME[2]}" --export "${MEMBER_FPR[2]}" | gpg --homedir "$TEAM_HOME" --batch -q --import 2>/dev/null
mutt_post "$W/post6.eml" "$W/d6" "${MEMBER_FPR[2]}"
cp "$W/post6.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
refused "post encrypted to a key the list does not hold" "encrypted to a key the list does not hold"
settled	# nothing queued by the refused posts, the queue delivered
after=$(for i in $(seq 1 $NMEMBERS); do delivered "${MEMBER_ADDR[$i]}"; done | awk '{ s += $1 } END { print s }')
check "no refused post reached a member ($before -> $after)" test "$before" = "$after"

# 4. A public advisory (no marker): every member gets an encrypted copy.
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"; echo "Subject: Xen Security Advisory 301 (public)"; echo
  echo "XSA-301 was made public on its date; this revision adds a note."; } > "$W/d7"
mutt_post "$W/post7.eml" "$W/d7" none
cp "$W/post7.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "public advisory accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in $(seq 1 $NMEMBERS); do
	check "member $i got the public advisory" wait_delivered "${MEMBER_ADDR[$i]}" 3 20
done
"$CTL_BIN" -c "$W/milter.conf" advisories > "$W/adv.out" 2>&1
check "XSA-301 is recorded as public" grep -q '^XSA-301 *public' "$W/adv.out"
check "XSA-400 is recorded as embargoed" grep -q '^XSA-400 *embargoed' "$W/adv.out"

# 5. The members, the public list of organisations, vetting an applicant.
as_nobody "$CTL_BIN" -c "$W/milter.conf" members --public > "$W/pub.out"
check "members --public lists the organisations only" bash -c "[ \$(wc -l < '$W/pub.out') = $NMEMBERS ] && ! grep -q '@' '$W/pub.out'"
NEW_FPR=$(gen_key "$W/applicant-gnupg" "Applicant <psirt@applicant.example>")
gpg --homedir "$W/applicant-gnupg" --armor --export "$NEW_FPR" > "$W/applicant.asc"
chmod 0644 "$W/applicant.asc"
as_nobody "$CTL_BIN" -c "$W/milter.conf" member vet --name "Applicant Inc" --address psirt@applicant.example --key "$W/applicant.asc" > "$W/vet.out"
check "member vet accepts a role address with a good key" grep -q "key     = \"$NEW_FPR\"" "$W/vet.out"
as_nobody "$CTL_BIN" -c "$W/milter.conf" member vet --name "Jane" --address jane.doe@applicant.example --key "$W/applicant.asc" > "$W/vet2.out"
check "member vet refuses a person's address (exit $?)" grep -q 'PROBLEM: jane.doe@applicant.example is not a role address' "$W/vet2.out"
check "member vet imported nothing" bash -c "! runuser -u nobody -- gpg --homedir '$W/state/gnupg' --list-keys $NEW_FPR >/dev/null 2>&1"
check "the audit records config-loaded" bash -c "runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' audit | grep -q '\"event\":\"config-loaded\"'"

check "audit chain verifies" as_nobody "$CTL_BIN" -c "$W/milter.conf" audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
