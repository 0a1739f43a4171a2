#!/bin/bash
# t_smime - members, participants and team members who use S/MIME (issue
# 38; SPEC 3, 4 and 5), through the real Postfix:
#  1. a member pinned by its certificate's SHA-256 gets its copy signed by
#     the list's certificate and enveloped to its own alone, beside an
#     OpenPGP member; read by OpenSSL (its key opens it, another's does
#     not, the signature is the list's), Python's email package (no
#     defect), Thunderbird (its S/MIME panel, by OCR) and mutt/neomutt
#     through gpgsm;
#  3. a member's S/MIME reply encrypted to the list's certificate is read
#     by the leak guard (one encrypted to another's is not ours to read);
#     an opaque signed-data message is read;
#  4. a team post signed with a pinned team certificate is the team's;
#     one by an unpinned certificate is refused;
#  5. a certificate that ends under embargo: the copy waits, the team is
#     told, a renewed certificate and "outbox retry" send it once;
#  6. an S/MIME participant's copy, and date notices in S/MIME; a final
#     copy and the notice of an early release; the members' discussion
#     list signed by its own certificate;
#  7. -t and embargoctl check refuse an expired certificate, one not
#     issued to the address, a weak key, and ECDSA where gpgsm cannot
#     encrypt to it (GnuPG 2.2), naming the line and the cure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys.sh"
. "$(dirname "$0")/smime.sh"
. "$(dirname "$0")/thunderbird.sh"

smime_setup() {
	smime_ca
	smime_list
	VENDOR_CERT=$(smime_member vendor security@vendor.example)
	OTHER_CERT=$(smime_member other psirt@other.example)
	TEAM_CERT=$(smime_member team security@example.org)
	FINDER_CERT=$(smime_member finder finder@research.example)
	TEAM_EXTRA="certificates = { \"$TEAM_CERT\" }"
	# A member whose certificate ends 45 seconds from now (section 5).
	SOON_END=$(date -u -d "@$(( $(date +%s) + 45 ))" +%Y%m%d%H%M%SZ)
	SOON_CERT=$(smime_member soon security@soon.example rsa:2048 \
	    -startdate "$(date -u -d '@'$(( $(date +%s) - 60 )) +%Y%m%d%H%M%SZ)" \
	    -enddate "$SOON_END")
	LIST_EXTRA="  certificate = \"$(echo "$LIST_CERT" | sed 's/../&:/g; s/:$//')\""
	# The members' discussion list: its OpenPGP key and its certificate.
	as_nobody gpg --homedir "$W/state/gnupg" --batch -q --pinentry-mode loopback \
	    --passphrase '' --quick-gen-key "Members' discussion <discuss@lists.example.org>" \
	    future-default default never 2>/dev/null
	DISCUSS_FPR=$(as_nobody gpg --homedir "$W/state/gnupg" --with-colons --list-keys \
	    discuss@lists.example.org 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
	DISCUSS_CERT=$(smime_daemon_cert discuss "Members' discussion" discuss@lists.example.org)
	EXTRA_MEMBERS="member \"Vendor S/MIME\" {
  address = \"security@vendor.example\"
  certificate = \"$VENDOR_CERT\"
}
member \"Soon S/MIME\" {
  address = \"security@soon.example\"
  certificate = \"$SOON_CERT\"
}
participant \"Finder at a vendor\" {
  address = \"finder@research.example\"
  certificate = \"$FINDER_CERT\"
}
discussion {
  address = \"discuss@lists.example.org\"
  key = \"$DISCUSS_FPR\"
  certificate = \"$DISCUSS_CERT\"
}"
}
KEYS_HOOK=smime_setup
e2e_start --keys 1
trap 'tb_cleanup; e2e_cleanup' EXIT

check "the milter starts with an S/MIME member and the list's certificate (-t checked both)" \
    kill -0 "$(cat "$W/milter.pid")"

# 1. The team posts an embargoed advisory; each member gets its copy.
when=$(utc_in 86400)
subject='Xen Security Advisory 401 v1 - grant table race'
cat > "$W/d1" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: $subject

            Xen Security Advisory CVE-2026-40101 / XSA-401
                               version 1

                 grant table race releases mapped pages

*** EMBARGOED UNTIL $when ***

ISSUE DESCRIPTION
=================

A grant can be released while a backend still maps it; a guest can then
read or write a page the host has given to another guest.
ADV
mutt_post "$W/post.eml" "$W/d1" "$LIST_FPR"
cp "$W/post.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the post is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the OpenPGP member got its copy" wait_delivered "${MEMBER_ADDR[1]}" 1 30
check "the S/MIME member got its copy, no defect in its headers" wait_delivered security@vendor.example 1 30
f=$(newest_with security@vendor.example '')
check "the S/MIME copy is enveloped data (application/pkcs7-mime)" \
    bash -c "mail_ct=\$(/usr/bin/python3 -c 'import email,sys,email.policy; m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),policy=email.policy.default); print(m.get_content_type(), m.get_param(\"smime-type\"))' '$f'); [ \"\$mail_ct\" = 'application/pkcs7-mime enveloped-data' ]"
check "nothing of the advisory, the real Subject or the note is in the clear" \
    bash -c "! grep -q -e 'grant table race' -e 'ISSUE DESCRIPTION' -e 'This copy' '$f'"
check "the outer Subject is the list's, with the advisory id" \
    test "$(mailpy header "$f" Subject)" = "Embargoed security advisory XSA-401"
check "OpenSSL decrypts it with the member's key" \
    openssl cms -decrypt -in "$f" -recip "$W/ca/vendor.pem" -inkey "$W/ca/vendor.key" -out "$W/s.signed"
check "... and not with another member's key" \
    bash -c "! openssl cms -decrypt -in '$f' -recip '$W/ca/other.pem' -inkey '$W/ca/other.key' -out /dev/null 2>/dev/null"
check "the signature inside verifies against the CA" \
    openssl cms -verify -in "$W/s.signed" -CAfile "$W/ca/ca.pem" -signer "$W/s.signer" -out "$W/s.inner"
check "... and it is the list's certificate that signed" test "$(smime_pin "$W/s.signer")" = "$LIST_CERT"
check "the inside reads with no defect in Python's email package" mailpy check "$W/s.inner"
check "the protected Subject inside is the real one" \
    test "$(mailpy header "$W/s.inner" Subject)" = "$subject"
check "Reply-To is the team" test "$(mailpy header "$f" Reply-To)" = security@example.org
mailpy text "$W/s.inner" > "$W/s.text"
check "the advisory's text is inside" grep -q 'A grant can be released while a backend still maps it' "$W/s.text"
check "the note says whom it was made for, and that it is encrypted to that certificate alone" \
    bash -c "tr '\n' ' ' < '$W/s.text' | grep -q \"made for Vendor S/MIME by the pre-disclosure list <predisclosure@lists.example.org>, encrypted to that member's certificate alone\""
# Thunderbird, as most teams read: the member's key and certificate in its
# certificate store, the CA trusted; the panel behind the S/MIME button by
# OCR.  It reads no protected header in S/MIME: its title is the outer
# Subject.
check "Xvfb runs for Thunderbird" tb_x
check "a Thunderbird profile with the member's key and certificate, the CA trusted" \
    tb_profile_smime "$W/tb" "$W/ca/vendor.key" "$W/ca/vendor.pem" "$W/ca/ca.pem"
tb_read_smime "$W/tb" "$f" "$W/tbr"
check "Thunderbird decrypts the copy and shows its S/MIME button" test $? = 0
echo "# Thunderbird: title '$(cat "$W/tbr.title" 2>/dev/null)'; panel:"
grep -E 'Message|Signed|Email|issued|encrypted' "$W/tbr.txt" 2>/dev/null | sed 's/^/#   | /'
check "Thunderbird: Message Is Signed, with a valid digital signature" \
    bash -c "grep -q 'Message Is Signed' '$W/tbr.txt' && grep -q 'includes a valid digital signature' '$W/tbr.txt'"
check "Thunderbird: signed by the list (predisclosure@lists.example.org)" \
    grep -q 'Email address: predisclosure@lists.example.org' "$W/tbr.txt"
check "Thunderbird: Message Is Encrypted" grep -q 'Message Is Encrypted' "$W/tbr.txt"
check "Thunderbird shows the advisory's text" grep -q 'A grant can be released' "$W/tbr.head.txt"
check "Thunderbird's title is the outer Subject" \
    test "$(cat "$W/tbr.title" 2>/dev/null)" = "Embargoed security advisory XSA-401"
tb_cleanup
# mutt and neomutt (gpgme, gpgsm): the member's key and certificate in a
# gpgsm home of its own, from a PKCS#12 file as members keep them
# (-legacy: gpgsm 2.2 reads no PKCS#12 of OpenSSL 3's default ciphers).
MH=$W/vendor-gpgsm
mkdir -m 0700 "$MH"
GNUPG_HOMES+=("$MH")
echo disable-crl-checks > "$MH/gpgsm.conf"
echo no-allow-mark-trusted > "$MH/gpg-agent.conf"
gpgsm --homedir "$MH" --batch --import "$W/ca/ca.pem" >/dev/null 2>&1
gpgsm --homedir "$MH" --with-colons --list-keys 'Embargo Test CA' 2>/dev/null |
    awk -F: '/^fpr/ { print $10 " S relax"; exit }' > "$MH/trustlist.txt"
openssl pkcs12 -export -legacy -inkey "$W/ca/vendor.key" -in "$W/ca/vendor.pem" \
    -passout pass: -out "$W/vendor.p12"
gpgconf --homedir "$MH" --reload gpg-agent
gpgsm --homedir "$MH" --batch --pinentry-mode loopback --passphrase '' \
    --import "$W/vendor.p12" >/dev/null 2>&1
check "the member's key is in its gpgsm home" bash -c "gpgsm --homedir '$MH' --list-secret-keys 2>/dev/null | grep -q security@vendor.example"
for m in mutt neomutt; do
	command -v $m >/dev/null || continue
	MUTT=$m mutt_read "$W/screen-$m" "$(maildir security@vendor.example)" "$MH"
	check "$m decrypts the S/MIME copy" grep -q -- '-- End of S/MIME' "$W/screen-$m"
	check "$m shows the advisory's text" grep -q 'A grant can be released while a backend still maps it' "$W/screen-$m"
	check "$m shows a good signature by the list's certificate" \
	    bash -c "grep -q 'Good signature from' '$W/screen-$m' && grep -qi 'predisclosure@lists.example.org' '$W/screen-$m'"
done

check "the audit log records the S/MIME copy's certificate" \
    bash -c "'$CTL_BIN' -c '$W/milter.conf' audit 2>/dev/null | grep -q '$VENDOR_CERT'"

# 3. A member answers in S/MIME.  Encrypted to the list's certificate and
#    sent to a public list, its quote of the embargoed text is read (the
#    list's certificate opens it) and refused as a leak; encrypted to
#    someone else it is nobody's text here and passes; signed inside its
#    own data (opaque signed-data), its text is anyone's and is read.
smime_mail() {	# smime_mail OUT TO SUBJECT BODY-FILE OPENSSL-CMS-ARGS...
	local out=$1 to=$2 subj=$3 body=$4
	shift 4
	{ printf 'Content-Type: text/plain; charset=utf-8\n\n'; cat "$body"; } > "$out.inner"
	{ printf 'From: security@vendor.example\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@vendor.example>\n' \
	      "$to" "$subj" "$(date -R)" "$(basename "$out").$$"
	  openssl cms -in "$out.inner" "$@" 2>/dev/null; } > "$out"
}
{ echo "Is 4.17 affected too?"; echo; sed -n '/^ISSUE DESCRIPTION/,$p' "$W/d1" | sed 's/^/> /'; } > "$W/reply.txt"
smime_mail "$W/msg" oss-security@lists.example.net "Re: grant table race" "$W/reply.txt" \
    -encrypt -aes256 "$W/ca/list.pem"
check "an S/MIME message encrypted to the list's certificate is made (enveloped-data)" grep -q 'smime-type=enveloped-data' "$W/msg"
send security@vendor.example oss-security@lists.example.net
check "a member's S/MIME reply to the list's certificate, quoting the embargoed text to a public list: refused (rc $SWAKS_RC: $(reply))" \
    bash -c "[ '$SWAKS_RC' != 0 ] && grep -q '^550 5.7.1 XSA-401 is under embargo' <<<'$(reply)'"
smime_mail "$W/msg" oss-security@lists.example.net "Re: grant table race" "$W/reply.txt" \
    -encrypt -aes256 "$W/ca/other.pem"
send security@vendor.example oss-security@lists.example.net
check "the same encrypted to another's certificate (not the list's): not read, passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
smime_mail "$W/msg" oss-security@lists.example.net "Re: grant table race" "$W/reply.txt" \
    -sign -nodetach -signer "$W/ca/other.pem" -inkey "$W/ca/other.key"
check "an opaque S/MIME signed message is made (smime-type=signed-data)" grep -q 'smime-type=signed-data' "$W/msg"
send security@vendor.example oss-security@lists.example.net
check "its quote of the embargoed text to a public list: refused (rc $SWAKS_RC: $(reply))" \
    bash -c "[ '$SWAKS_RC' != 0 ] && grep -q '^550 5.7.1 XSA-401 is under embargo' <<<'$(reply)'"

# 4. A team member whose mail is S/MIME only posts an advisory signed with
#    the team certificate the config pins: taken as a team post.
subject2='Xen Security Advisory 402 v1 - event channel leak'
sed -e 's/40101 \/ XSA-401/40102 \/ XSA-402/' -e "s/^Subject: .*/Subject: $subject2/" \
    -e 's/grant table race releases mapped pages/event channel leak/' \
    -e '/^A grant can be released/,$d' "$W/d1" | sed '1,/^$/d' > "$W/d2"
echo "An event channel closed by one guest stays bound in another; the port
numbers it held are handed out again while their events still arrive." >> "$W/d2"
{ printf 'From: security@example.org\nTo: predisclosure@lists.example.org\nSubject: %s\nDate: %s\nMessage-ID: <team402.%s@example.org>\n' \
      "$subject2" "$(date -R)" "$$"
  printf 'Content-Type: text/plain; charset=utf-8\n\n' | cat - "$W/d2" > "$W/d2.inner"
  openssl cms -sign -in "$W/d2.inner" -signer "$W/ca/team.pem" -inkey "$W/ca/team.key" 2>/dev/null; } > "$W/msg"
check "the team's S/MIME post is multipart/signed" grep -q 'multipart/signed' "$W/msg"
n0=$(delivered security@vendor.example); n1=$(delivered "${MEMBER_ADDR[1]}")
send security@example.org predisclosure@lists.example.org
check "the team's S/MIME-signed post is accepted (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
check "the S/MIME member gets its copy" wait_delivered security@vendor.example $((n0 + 1)) 30
check "the OpenPGP member gets its copy" wait_delivered "${MEMBER_ADDR[1]}" $((n1 + 1)) 30
f2=$(newest_with security@vendor.example 'Embargoed security advisory XSA-402')
openssl cms -decrypt -in "$f2" -recip "$W/ca/vendor.pem" -inkey "$W/ca/vendor.key" 2>/dev/null |
    openssl cms -verify -CAfile "$W/ca/ca.pem" -out "$W/s2.inner" 2>/dev/null
mailpy text "$W/s2.inner" > "$W/s2.text"
check "its note names the team certificate the list verified" \
    bash -c "tr '\n' ' ' < '$W/s2.text' | grep -q 'verified by the list on .*, certificate $TEAM_CERT'"
{ printf 'From: security@example.org\nTo: predisclosure@lists.example.org\nSubject: %s\nDate: %s\nMessage-ID: <other402.%s@example.org>\n' \
      "$subject2" "$(date -R)" "$$"
  openssl cms -sign -in "$W/d2.inner" -signer "$W/ca/other.pem" -inkey "$W/ca/other.key" 2>/dev/null; } > "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the same signed by a certificate the config does not pin: refused (rc $SWAKS_RC: $(reply))" \
    bash -c "[ '$SWAKS_RC' != 0 ] && grep -q 'no valid team signature' <<<'$(reply)'"

# 5. A certificate that ends while an advisory is under embargo: that
#    member's copy of the next revision waits and the team is told, as
#    for an expired OpenPGP key; a renewed certificate (a new pin: the
#    config changed, reloaded) and "outbox retry" send it, once.
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
soon_ended() { ! openssl x509 -in "$W/ca/soon.pem" -noout -checkend 0 >/dev/null; }
check "the short-lived certificate has ended" wait_for 90 soon_ended
sed -e 's/^                               version 1/                               version 2/' \
    -e "s/^Subject: .*/Subject: ${subject/v1/v2}/" "$W/d1" > "$W/d1v2"
mutt_post "$W/post2.eml" "$W/d1v2" "$LIST_FPR"
cp "$W/post2.eml" "$W/msg"
n0=$(delivered security@vendor.example)
send security@example.org predisclosure@lists.example.org
check "revision 2 of XSA-401 is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the member with a valid certificate gets it" wait_delivered security@vendor.example $((n0 + 1)) 30
check "the team is told the member whose certificate ended waits" wait_for "$WAIT_MAX" bash -c \
    "grep -l 'Subject: Waiting for a key: XSA-401 copy for Soon S/MIME' \$(find '$(maildir security@example.org)/new' -type f) >/dev/null"
ctl outbox > "$W/outbox.out"
check "outbox shows its copy waiting-key" grep -q "XSA-401 .*security@soon.example *waiting-key" "$W/outbox.out"
ctl keys > "$W/keys.out"; rc=$?
sed 's/^/#   /' "$W/keys.out"
check "embargoctl keys (exit $rc: one cannot be used): the vendor's certificate S/MIME, its pin, usable" \
    bash -c "[ $rc = 1 ] && grep -qiE '^Vendor S/MIME +member +S/MIME +$VENDOR_CERT +yes ' '$W/keys.out'"
check "... the ended one not, and why; the S/MIME participant too" \
    bash -c "grep -qiE '^Soon S/MIME +member +S/MIME +$SOON_CERT +NO .*expired' '$W/keys.out' && grep -qiE '^Finder at a vendor +participant +S/MIME +$FINDER_CERT +yes' '$W/keys.out'"
ctl members > "$W/members.out"
check "embargoctl members: address, S/MIME, the pin and its expiry" \
    grep -qiE "^Vendor S/MIME +security@vendor.example +S/MIME +$VENDOR_CERT +[0-9]{4}-" "$W/members.out"
ctl members --public > "$W/public.out"
check "members --public: the organisations alone, whatever they read" \
    bash -c "grep -qx 'Vendor S/MIME' '$W/public.out' && ! grep -q '@\|S/MIME  \|[0-9A-F]\{64\}' '$W/public.out'"
r2_copies() {	# how many copies of XSA-401 revision 2 the member holds
	grep -l '^Message-I[dD]: <xsa-401\.r2\.' "$(maildir security@soon.example)"/new/* 2>/dev/null | wc -l
}
r2_came() { [ "$(r2_copies)" -ge 1 ]; }
NEW_SOON=$(smime_member soon2 security@soon.example)
sed -i "s|certificate = \"$SOON_CERT\"|certificate = \"$NEW_SOON\"|" "$W/milter.conf"
m=$(log_mark)
kill -HUP "$(cat "$W/milter.pid")"
check "the config with the renewed certificate is reloaded" wait_log 'config reloaded' "$m"
ctl outbox retry > "$W/retry.out"
check "outbox retry: $(cat "$W/retry.out")" grep -q 'are due again' "$W/retry.out"
check "the member gets revision 2 after its renewed certificate" wait_for 30 r2_came
f3=$(grep -l '^Message-I[dD]: <xsa-401\.r2\.' "$(maildir security@soon.example)"/new/* | head -n 1)
check "... which its new key opens" \
    openssl cms -decrypt -in "$f3" -recip "$W/ca/soon2.pem" -inkey "$W/ca/soon2.key" -out /dev/null
settled
check "... once" test "$(r2_copies)" = 1

# 6. A participant who reads S/MIME, named on Cc of the team's post, gets
#    its S/MIME copy; a moved date reaches S/MIME recipients as a notice
#    in S/MIME, signed by the list.
opens() {	# opens FILE NAME [PIN]: NAME's key opens it, the list (PIN) signed it
	openssl cms -decrypt -in "$1" -recip "$W/ca/$2.pem" -inkey "$W/ca/$2.key" 2>/dev/null |
	    openssl cms -verify -CAfile "$W/ca/ca.pem" -signer "$W/$2.signer" -out "$W/$2.opened" 2>/dev/null &&
	    [ "$(smime_pin "$W/$2.signer")" = "${3:-$LIST_CERT}" ] && mailpy check "$W/$2.opened" >/dev/null
}
sed -e 's/40101 \/ XSA-401/40103 \/ XSA-403/' -e 's/Advisory 401/Advisory 403/' \
    -e 's/grant table race releases mapped pages/page table walk overruns/' \
    -e '/^A grant can be released/,$d' "$W/d1" > "$W/d3"
echo "A guest's crafted page table makes the walk read past its end." >> "$W/d3"
mutt_post "$W/post3.eml" "$W/d3" "$LIST_FPR"
sed "s/^To: .*/&\nCc: finder@research.example/" "$W/post3.eml" > "$W/msg"
send security@example.org predisclosure@lists.example.org finder@research.example
check "XSA-403 with an S/MIME participant on Cc is accepted (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
check "the participant gets its copy" wait_delivered finder@research.example 1 30
check "... in S/MIME: its key opens it, signed by the list, no defect inside" \
    opens "$(newest_with finder@research.example 'Embargoed security advisory XSA-403')" finder
mailpy text "$W/finder.opened" | tr '\n' ' ' > "$W/finder.note"
check "... its note says it is a participant's, encrypted to its certificate" \
    grep -q "a participant the security team named for this advisory alone.*encrypted to that participant's certificate alone" "$W/finder.note"
ctl embargo XSA-403 --until "$(utc_in 172800)" > "$W/moved" 2>&1
check "the date of XSA-403 is moved: $(head -c 200 "$W/moved")" grep -q . "$W/moved"
notice() { newest_with "$1" 'Embargo date notice XSA-403' >/dev/null; }
for who in security@vendor.example finder@research.example; do
	check "$who is told the moved date" wait_for 30 notice "$who"
done
check "the member's notice opens with its key, signed by the list" \
    opens "$(newest_with security@vendor.example 'Embargo date notice XSA-403')" vendor
check "the participant's notice opens with its key, signed by the list" \
    opens "$(newest_with finder@research.example 'Embargo date notice XSA-403')" finder

# 6b. XSA-403's revision 2, posted to a public list, is held; lifted early
#     with a reason, the S/MIME participant gets the final copy and the
#     notice of the early release, each in S/MIME, signed by the list.
sed -e 's/^\( *\)version 1$/\1version 2/' -e '/EMBARGOED UNTIL/d' \
    -e 's/^To: .*/To: announce@lists.example.org/' "$W/d3" > "$W/d3v2"
mutt_post "$W/post3v2.eml" "$W/d3v2" none
cp "$W/post3v2.eml" "$W/msg"
send security@example.org announce@lists.example.org
check "revision 2 of XSA-403 to the public list is held (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
ctl embargo XSA-403 --now --reason "a vendor published the fix early" > "$W/lifted" 2>&1
check "XSA-403 lifted early: $(head -c 160 "$W/lifted")" grep -q 'early release: a vendor published the fix early' "$W/lifted"
final3() {	# the final copy (the notice of the early release shares its id's prefix)
	local g
	for g in $(grep -l '^Message-I[dD]: <xsa-403\.r2\.' "$(maildir finder@research.example)"/new/* 2>/dev/null); do
		[ "$(mailpy header "$g" Subject)" = "Embargoed security advisory XSA-403" ] && { echo "$g"; return; }
	done
}
has_final3() { [ -n "$(final3)" ]; }
check "the S/MIME participant gets the final copy (revision 2)" wait_for 30 has_final3
check "... in S/MIME: its key opens it, signed by the list, no defect inside" opens "$(final3)" finder
check "... it is revision 2" grep -q 'version 2' <(mailpy text "$W/finder.opened")
lifted_notice() {
	local g
	for g in $(find "$(maildir finder@research.example)/new" -type f); do
		[ "$(mailpy header "$g" Subject)" = "Embargo date notice XSA-403" ] || continue
		opens "$g" finder && grep -q '^Why:       a vendor published the fix early' <(mailpy text "$W/finder.opened") && return 0
	done
	return 1
}
check "... and the notice of the early release, in S/MIME, with the reason" wait_for 30 lifted_notice

# 6c. The members' discussion list: an OpenPGP member's signed post
#     reaches the S/MIME member signed by the discussion list's
#     certificate, enveloped to its own.
cat > "$W/dpost" <<POST
From: ${MEMBER_ADDR[1]}
To: discuss@lists.example.org
Subject: XSA-401 backport to 4.17

Has anyone backported the grant table fix to 4.17 yet?
POST
mutt_post "$W/dpost.eml" "$W/dpost" none "" "${MEMBER_HOME[1]}"
cp "$W/dpost.eml" "$W/msg"
send "${MEMBER_ADDR[1]}" discuss@lists.example.org
check "an OpenPGP member's signed post to the discussion list is accepted (rc $SWAKS_RC: $(reply))" test "$SWAKS_RC" = 0
dcopy() { mailpy select From discuss@lists.example.org $(find "$(maildir security@vendor.example)/new" -type f) 2>/dev/null | head -n 1; }
has_dcopy() { [ -n "$(dcopy)" ]; }
check "the S/MIME member gets the discussion copy" wait_for 30 has_dcopy
dc=$(dcopy)
check "... in S/MIME: its key opens it, signed by the discussion list's certificate, no defect inside" \
    opens "$dc" vendor "$DISCUSS_CERT"
check "... the member's words inside, Reply-To the discussion list" \
    bash -c "grep -q 'backported the grant table fix' <(/usr/bin/python3 '$TOP/tests/e2e/mail.py' text '$W/vendor.opened') && [ '$(mailpy header "$dc" Reply-To)' = discuss@lists.example.org ]"

# 7. What the checks refuse, each with its line and its cure.
checked() {	# checked NAME CERT: the config with the member pinned to CERT
	sed "s|certificate = \"$VENDOR_CERT\"|certificate = \"$2\"|" "$W/milter.conf" |
	    sed '/^member "Soon S\/MIME"/,/^}/d' > "$W/$1.conf"
	echo "$2" > "$W/$1.pin"
	chgrp "$(id -gn nobody)" "$W/$1.conf"
	chmod 0640 "$W/$1.conf"
	"$CTL_BIN" -c "$W/$1.conf" check > "$W/$1.out" 2>&1
	echo $? > "$W/$1.rc"
	"$MILTER_BIN" -t -c "$W/$1.conf" > "$W/$1.t" 2>&1
	echo $? > "$W/$1.trc"
}
refused() {	# refused NAME TEXT: both refused it, naming TEXT and the line
	local line
	line=$(grep -n "certificate = \"$(cat "$W/$1.pin")\"" "$W/$1.conf" | cut -d: -f1)
	[ "$(cat "$W/$1.rc")" != 0 ] && [ "$(cat "$W/$1.trc")" != 0 ] &&
	    grep -q "$1.conf:$line: member \"Vendor S/MIME\": .*$2" "$W/$1.out" &&
	    grep -q "$2" "$W/$1.t"
}
EXPIRED=$(smime_member expired security@vendor.example rsa:2048 -startdate 20200101000000Z -enddate 20210101000000Z)
checked expired "$EXPIRED"
check "an expired certificate is refused, naming the line and the cure" refused expired 'has expired; ask for a certificate that can'
MISMATCH=$(smime_member mismatch security@elsewhere.example)
checked mismatch "$MISMATCH"
check "a certificate not issued to the member's address is refused" refused mismatch 'is not for security@vendor.example'
WEAK=$(smime_member weak security@vendor.example rsa:1024)
checked weak "$WEAK"
check "a 1024-bit RSA certificate is refused as too weak" refused weak '1024-bit RSA key, too weak'
ECDSA=$(smime_member ecdsa security@vendor.example 'ec -pkeyopt ec_paramgen_curve:prime256v1')
checked ecdsa "$ECDSA"
if gpgsm --version | head -n 1 | grep -qE ' 2\.[0-2]\.'; then
	check "an ECDSA certificate is refused where gpgsm cannot encrypt to it, saying so" \
	    refused ecdsa 'EC key, which this gpgsm cannot encrypt to'
else
	check "an ECDSA certificate is accepted where gpgsm encrypts to it" \
	    test "$(cat "$W/ecdsa.rc")" = 0
fi
check "the good config still checks clean (exit 0)" bash -c "'$CTL_BIN' -c '$W/milter.conf' check > '$W/good.out' 2>&1"
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
[ -n "${KEEP:-}" ] && cp -r "$W" /tmp/smime-keep
e2e_finish
