#!/bin/bash
# t_copies - what members receive, read the way members read it (SPEC 5,
# rule 1): each copy opened in mutt (and neomutt) with the member's own
# keyring, for an rsa3072 and a cv25519 member; the real Subject from a
# post whose Subject is protected as Thunderbird and mutt protect it; a real
# Xen advisory (XSA-355, inline clearsigned as Xen signs them) whose team
# signature still verifies in the member's copy; Reply reaches the team;
# and every copy opened in Thunderbird, whose OpenPGP panel must read "Good
# Digital Signature" by the list key and the protected Subject.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/thunderbird.sh"
NMEMBERS=2
e2e_start --keys $NMEMBERS
# Members hold the team's public key, as they would from its web page.
for i in 1 2; do
	gpg --homedir "$TEAM_HOME" --export "$TEAM_FPR" |
	    gpg --homedir "${MEMBER_HOME[$i]}" --batch -q --import 2>/dev/null
done

newest() {	# newest ADDR: the newest message in ADDR's maildir
	find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2
}

# 1. A post as Thunderbird writes it: signed and encrypted to the list in
#    one OpenPGP message, the real Subject only inside (protected header),
#    the outer one "...".  mutt with crypt_protected_headers_write does the same.
when=$(utc_in 86400)
subject='Xen Security Advisory 400 v1 - guest can crash the host'
cat > "$W/d1" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: $subject

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
MUTT_PROTECT=1 mutt_post "$W/post1.eml" "$W/d1" "$LIST_FPR" "$W/xsa400.patch"
check "mutt wrote the post with a protected Subject (outer: '$(mailpy header "$W/post1.eml" Subject)')" \
    test "$(mailpy header "$W/post1.eml" Subject)" = "..."
cp "$W/post1.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the post is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in 1 2; do
	check "member $i got its copy, and it reads with no defect" wait_delivered "${MEMBER_ADDR[$i]}" 1 20
done
check "the team's receipt reads with no defect" wait_delivered security@example.org 1 20
for i in 1 2; do
	f=$(newest "${MEMBER_ADDR[$i]}")
	check "member $i: decrypted with its key, the inner entity reads with no defect" \
	    mailpy decrypt "$f" "${MEMBER_HOME[$i]}" "$W/c$i"
	check "member $i: the protected Subject is the real one, not '...'" \
	    test "$(mailpy header "$W/c$i.inner" Subject)" = "$subject"
	check "member $i: Reply-To is the team" test "$(mailpy header "$f" Reply-To)" = security@example.org
	mailpy text "$W/c$i.inner" 0 | tr '\n' ' ' > "$W/c$i.note"
	check "member $i: the note names the team key that signed inside the encryption" \
	    grep -q "key $TEAM_FPR\. The team signed inside its encryption" "$W/c$i.note"
done

# 2. A real client opens each copy: mutt (gpgme), the member's keyring.
algo=([1]=rsa3072 [2]=cv25519)
for i in 1 2; do
	mutt_read "$W/screen$i" "$(maildir "${MEMBER_ADDR[$i]}")" "${MEMBER_HOME[$i]}"
	check "member $i (${algo[$i]}): mutt decrypts the copy" grep -q -- '-- End of PGP/MIME' "$W/screen$i"
	check "member $i: mutt shows the advisory's text in clear" grep -q 'A malformed argument to the memory_op hypercall' "$W/screen$i"
	check "member $i: mutt shows the real Subject" grep -qF "$subject" "$W/screen$i"
	check "member $i: mutt shows a good signature by the list key" grep -q 'Good signature from: Pre-disclosure list' "$W/screen$i"
	check "member $i: mutt shows the patch" grep -q 'return -EINVAL' "$W/screen$i"
done
if command -v neomutt >/dev/null; then
	MUTT=neomutt mutt_read "$W/nscreen" "$(maildir "${MEMBER_ADDR[2]}")" "${MEMBER_HOME[2]}"
	check "neomutt decrypts member 2's copy, shows the text and a good list signature" \
	    bash -c "grep -q 'A malformed argument' '$W/nscreen' && grep -q 'Good signature from: Pre-disclosure list' '$W/nscreen'"
fi
echo "# member 2's copy as mutt shows it:"
sed -e 's/[[:space:]]*$//' -e '/^$/d' -e 's/^/#   | /' "$W/screen2"

# 3. The member answers with Reply: it goes to the Reply-To, the team, and
#    passes (the team may read embargoed text).
to=$(mailpy header "$(newest "${MEMBER_ADDR[1]}")" Reply-To)
{ echo "From: ${MEMBER_ADDR[1]}"; echo "To: $to"; echo "Subject: Re: $subject"; echo
  echo "Is 4.17 affected too?"; echo; mailpy text "$W/c1.inner" 1 | sed 's/^/> /'; } > "$W/msg"
send "${MEMBER_ADDR[1]}" "$to"
check "a member's reply to the Reply-To address passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for _ in $(seq 1 200); do newest_with security@example.org "Re: $subject" >/dev/null && break; sleep 0.1; done
check "... and reaches the team" newest_with security@example.org "Re: $subject"

# 4. A real advisory, as Xen sends it: XSA-355 (tests/data/xsa355.eml), its
#    text inline clearsigned, its patch attached.  Re-signed here by the
#    team key, under embargo, posted to the list unencrypted.
real_post "$TOP/tests/data/xsa355.eml" "$(utc_in 7200)" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-355, inline clearsigned by the team, is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in 1 2; do
	check "member $i got XSA-355" wait_delivered "${MEMBER_ADDR[$i]}" 2 20
done
f=$(newest "${MEMBER_ADDR[2]}")
check "registered under the title block's id: '$(mailpy header "$f" Subject)'" \
    test "$(mailpy header "$f" Subject)" = 'Embargoed security advisory XSA-355'
check "member 2 decrypts XSA-355 with no defect" mailpy decrypt "$f" "${MEMBER_HOME[2]}" "$W/x2"
mailpy text "$W/x2.inner" 1 > "$W/x2.text"
gpg --homedir "${MEMBER_HOME[2]}" --batch --status-fd 1 --verify "$W/x2.text" > "$W/x2.verify" 2>/dev/null
check "the team's inline signature verifies on the text as the client shows it" \
    grep -q "VALIDSIG.* $TEAM_FPR\$" "$W/x2.verify"
check "the real Subject is the protected one" \
    test "$(mailpy header "$W/x2.inner" Subject)" = 'Xen Security Advisory 355 v2 - stack corruption from XSA-346 change'
mailpy text "$W/x2.inner" 0 | tr '\n' ' ' > "$W/x2.note"
check "the note says the signature travels unchanged" grep -q 'travels with the advisory below, unchanged' "$W/x2.note"
/usr/bin/python3 - "$W/x2.inner" > "$W/x2.sums" <<'PY'
import email, email.policy, hashlib, sys
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
for p in msg.walk():
    if p.get_filename():
        print(p.get_filename(), hashlib.sha256(p.get_content()).hexdigest())
PY
check "the real patch arrives intact (the SHA-256 XSA-355 publishes)" \
    grep -qx 'xsa355.patch dae633c11cf2eff3e304737265e18ab09213e8e4640458080a944ae7a40819a4' "$W/x2.sums"
rcpt=""
for g in $(find "$(maildir security@example.org)/new" -type f); do
	case $(mailpy header "$g" Subject) in "Receipt: XSA-355"*) rcpt=$g ;; esac
done
check "the receipt says the title block's id was chosen over the Subject's" \
    grep -q 'the Subject XSA-346: registered as XSA-355' <(mailpy text "$rcpt")

# 5. Thunderbird, the client most teams and members read with: each
#    member (rsa3072, cv25519) opens both copies; the panel behind the
#    OpenPGP button is read by OCR, the Subject from the window's title.
trap 'tb_cleanup; e2e_cleanup' EXIT
list_kid=${LIST_FPR: -16}
tb_good_signature() { grep -q 'Good Digital Signature' "$1" && tb_signer_is "$@"; }
check "Xvfb runs for Thunderbird" tb_x
for i in 1 2; do
	check "member $i: a Thunderbird profile with its key (first start repaired)" tb_profile "$i" "$W/tb$i"
	for copy in "XSA-400:$subject" "XSA-355:Xen Security Advisory 355 v2 - stack corruption from XSA-346 change"; do
		id=${copy%%:*} want=${copy#*:}
		f=$(mailpy select Subject "Embargoed security advisory $id" "$(maildir "${MEMBER_ADDR[$i]}")"/new/* | head -n 1)
		tb_read "$W/tb$i" "$f" "$W/tb$i-$id"
		echo "# Thunderbird, member $i (${algo[$i]}), $id: title '$(cat "$W/tb$i-$id.title" 2>/dev/null)'; panel:"
		grep -E 'Signature|Encrypted|Signer key|message|no OpenPGP' "$W/tb$i-$id.txt" 2>/dev/null | sed 's/^/#   | /'
		check "member $i, $id: Thunderbird shows the protected Subject" \
		    test "$(cat "$W/tb$i-$id.title" 2>/dev/null)" = "$want"
		# OCR misreads a glyph of the key id at times: tb_signer_is
		# allows two, and no nearer match to the team's or a member's.
		check "member $i, $id: Thunderbird: Good Digital Signature, signer key 0x$list_kid (the list)" \
		    tb_good_signature "$W/tb$i-$id.txt" "$list_kid" "${TEAM_FPR: -16}" "${MEMBER_FPR[1]: -16}" "${MEMBER_FPR[2]: -16}"
		check "member $i, $id: Thunderbird: Message Is Encrypted" grep -q 'Message Is Encrypted' "$W/tb$i-$id.txt"
	done
done
# The rule can fail: the form copies had before (the list's signature below
# the top, beside the note) carries no signature on the decryption itself,
# and Thunderbird shows only that one or a signature at the top of what
# it decrypts ("No Digital Signature" otherwise).  The rule is checked
# with the member's gpg: Thunderbird no longer opens that form reliably
# under Xvfb (a blank message, no OpenPGP button: 5 of the last 8 runs).
nested_copy "$W/nested.eml" 2 "$W/c2.inner"
mailpy payload "$W/nested.eml" > "$W/nested.asc"
gpg --homedir "${MEMBER_HOME[2]}" --batch --status-fd 1 --decrypt "$W/nested.asc" 2>/dev/null > "$W/nested.status"
check "a copy signed below its top: the member's decryption carries no signature (Thunderbird: No Digital Signature)" \
    bash -c "grep -q DECRYPTION_OKAY '$W/nested.status' && ! grep -q VALIDSIG '$W/nested.status'"
f=$(mailpy select Subject "Embargoed security advisory XSA-400" "$(maildir "${MEMBER_ADDR[2]}")"/new/* | head -n 1)
mailpy payload "$f" > "$W/real.asc"
gpg --homedir "${MEMBER_HOME[2]}" --batch --status-fd 1 --decrypt "$W/real.asc" 2>/dev/null > "$W/real.status"
check "... while a real copy's decryption carries the list's signature (what Thunderbird shows as Good)" \
    grep -q "VALIDSIG.* $LIST_FPR\$" "$W/real.status"
tb_cleanup

check "audit chain verifies" as_nobody "$CTL_BIN" -c "$W/milter.conf" audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
