#!/bin/bash
# t_leak - the leak guard on real mail (SPEC 4 and 5, rule 3), through a
# real Postfix, each message predicted by embargoctl dry-run first: real
# Xen advisories, two under embargo at once (XSA-355 and XSA-367, the
# latter with its real patch), three public (XSA-366 posted to the list,
# XSA-300 and XSA-376 loaded as public text); the world mails them as it
# does (a real reply quoting one, re-wrapped quotes, pasted patch lines,
# no-break and zero-width spaces); encrypted mail that is not ours passes
# whatever the state of the list's keyring; XSA-405 as the real tools
# write it (tests/data: 7-Zip, zstd, lzma, lzip, lz4, UTF-16 as Windows
# writes it), refused under embargo and passed once public.  dry-run and
# the milter give the same verdict on every message of tests/data.  Ends
# with the false-positive and false-negative counts over this real mail.
. "$(dirname "$0")/lib.sh"
NMEMBERS=2
e2e_start --keys $NMEMBERS
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
D=$TOP/tests/data
FP=0 FN=0 NPASS=0 NREFUSE=0

# verdict NAME FROM TO WANT: dry-run predicts, the milter decides, both
# must give WANT (pass | refuse ID); the real-mail tally is kept
verdict() {
	local name=$1 from=$2 to=$3 want=$4 id=${5:-} dry r
	ctl dry-run --from "$from" --to "$to" < "$W/msg" > "$W/dry.out"
	dry=$?
	send "$from" "$to"
	r=$(reply)
	if [ "$want" = pass ]; then
		NPASS=$((NPASS + 1))
		[ "$SWAKS_RC" = 0 ] || FP=$((FP + 1))
		check "$name: passes (rc $SWAKS_RC${r:+: $r})" test "$SWAKS_RC" = 0
		check "$name: dry-run agrees (exit $dry)" test "$dry" = 0
	else
		NREFUSE=$((NREFUSE + 1))
		grep -q "^550 5.7.1 $id is under embargo until .*; not sent to <$to>" <<<"$r" || FN=$((FN + 1))
		check "$name: refused: $r" grep -q "^550 5.7.1 $id is under embargo until .*; not sent to <$to>" <<<"$r"
		check "$name: dry-run agrees (exit $dry)" bash -c "[ $dry = 1 ] && grep -q 'reply:    550 5.7.1 $id is under embargo' '$W/dry.out'"
	fi
}

# 0. Before any public text is loaded, check says so, with the cure.
ctl check > /dev/null 2> "$W/check0"
check "embargoctl check warns while no public text is loaded" grep -q 'no public text is loaded.*embargoctl public add' "$W/check0"

# 1. The administrator loads past advisories as public text (an mbox).
for f in xsa300.eml xsa376.eml; do
	echo "From MAILER-DAEMON Thu Jan  1 00:00:00 1970"; cat "$D/$f"; echo
done > "$W/past-advisories.mbox"
chmod 0644 "$W/past-advisories.mbox"
ctl public add "$W/past-advisories.mbox" > "$W/public.out"
check "public add reads both messages of the mbox: $(cat "$W/public.out")" \
    grep -q 'past-advisories.mbox: 2 message(s), [0-9]* word runs' "$W/public.out"
ctl public list > "$W/plist.out"
check "public list names it" grep -q '^past-advisories.mbox ' "$W/plist.out"
check "the audit records it" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit | grep -q '\"event\":\"public-added\"'"
ctl check > /dev/null 2> "$W/check1"
check "... and check no longer warns" bash -c "! grep -q 'no public text' '$W/check1'"

# 2. The team posts three real advisories to the list: XSA-366 public,
#    XSA-355 and XSA-367 under embargo.
E1=$(utc_in 7200); E2=$(utc_in 10800)
real_post "$D/xsa366.eml" - "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-366 (public) fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
real_post "$D/xsa355.eml" "$E1" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-355 (embargoed, its patch attached) fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
real_post "$D/xsa367.eml" "$E2" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-367 (embargoed, its patch attached) fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
ctl advisories > "$W/adv.out"
check "two advisories under embargo at once, one public" \
    bash -c "grep -q '^XSA-355 *embargoed' '$W/adv.out' && grep -q '^XSA-367 *embargoed' '$W/adv.out' && grep -q '^XSA-366 *public' '$W/adv.out'"

# 2b. check names, for each advisory under embargo, its standard sections
#    that are its text alone (as its receipt did, read from its sealed
#    post), with the cure: XSA-355's DEPLOYMENT DURING EMBARGO, which no
#    loaded advisory carries.  Once the real XSA-399, which carries that
#    section in nearly the same words, is loaded too, it is named no more;
#    then XSA-399 is dropped again, so that step 3b sees it unloaded.
ctl check > "$W/check2.out" 2> "$W/check2"
rc2=$?
thin() { grep -o "the standard sections of $1 that are its text alone[^;]*;" "$2"; }
check "check names XSA-355's standard sections that are its text alone, DEPLOYMENT DURING EMBARGO among them (exit $rc2): $(thin XSA-355 "$W/check2")" \
    bash -c "[ $rc2 = 0 ] && grep -q '^embargoctl: the standard sections of XSA-355 that are its text alone (neither public text nor another advisory.s):.* DEPLOYMENT DURING EMBARGO (.*(embargoctl public add FILE, ' '$W/check2'"
check "... and says so as a warning, the configuration ok" grep -q 'configuration ok' "$W/check2.out"
has_receipt367() { newest_with security@example.org "Receipt: XSA-367 revision" > /dev/null; }
wait_for "$WAIT_MAX" has_receipt367
mailpy text "$(newest_with security@example.org "Receipt: XSA-367 revision")" | tr '\n' ' ' | sed 's/  */ /g' > "$W/receipt367"
check "check and XSA-367's receipt name the same sections: '$(thin XSA-367 "$W/check2")'" \
    test "$(thin XSA-367 "$W/check2")" = "$(thin XSA-367 "$W/receipt367")"
cp "$D/xsa399.eml" "$W/xsa399.eml"
chmod 0644 "$W/xsa399.eml"
ctl public add "$W/xsa399.eml" > /dev/null
ctl check > /dev/null 2> "$W/check3"
check "after public add of the real XSA-399, DEPLOYMENT DURING EMBARGO is no longer named: $(thin XSA-355 "$W/check3")" \
    bash -c "grep -q 'the standard sections of XSA-355 that are its text alone' '$W/check3' && ! grep -q 'DEPLOYMENT DURING EMBARGO' '$W/check3'"
ctl public drop xsa399.eml > /dev/null
check "... and once it is dropped again, named again" grep -q 'DEPLOYMENT DURING EMBARGO' <(ctl check 2>&1 >/dev/null)

# 3. The world mails public advisories: they pass, though every XSA carries
#    the same paragraphs as the embargoed ones.
for f in xsa366 xsa300 xsa376; do
	cp "$D/$f.eml" "$W/msg"
	verdict "an outsider mails the real public ${f^^} to oss-security" \
	    dev@vendor.example friend@outsider.example pass
done
# The team's own public posting of another (public) advisory: not held.
real_post "$D/xsa366.eml" - "$W/msg" announce@lists.example.org
before=$(delivered announce@lists.example.org)
verdict "the team posts public XSA-366 to announce" security@example.org announce@lists.example.org pass
check "... and it is delivered at once, not held" wait_delivered announce@lists.example.org $((before + 1)) 20

# 3b. Another real advisory the team publishes while two are embargoed
#     (XSA-399, never posted to the list here): Xen's boilerplate is
#     XSA-355's text too, yet the team's own public advisory goes out at
#     once, and its text becomes public.
real_post "$D/xsa399.eml" - "$W/msg" announce@lists.example.org
before=$(delivered announce@lists.example.org)
verdict "the team posts another real advisory, XSA-399, to announce" security@example.org announce@lists.example.org pass
check "... delivered at once, not held" wait_delivered announce@lists.example.org $((before + 1)) 20
cp "$D/xsa399.eml" "$W/msg"
verdict "an outsider forwards the real XSA-399 once the team published it" dev@vendor.example friend@outsider.example pass
# 3c. A real advisory neither posted nor loaded (XSA-405): with the past
#     advisories loaded as public text, only its own words are its own.
cp "$D/xsa405.eml" "$W/msg"
verdict "an outsider mails the real XSA-405, never seen here" dev@vendor.example friend@outsider.example pass
ctl dry-run --explain --from dev@vendor.example --to friend@outsider.example < "$W/msg" > "$W/explain405"
check "dry-run --explain says what cleared XSA-405's shared lines: $(grep -c 'public' "$W/explain405") lines public" \
    grep -q '^  line [0-9]*, public' "$W/explain405"

# 4. Quoting an embargoed advisory: refused.
cp "$D/reply-xsa355.eml" "$W/msg"
verdict "the real oss-security reply quoting XSA-355 (top-posted, Gmail quotes)" \
    dev@vendor.example friend@outsider.example refuse XSA-355
ctl dry-run --explain --from dev@vendor.example --to friend@outsider.example < "$W/msg" > "$W/explain355"
check "dry-run names the quoted advisory, not the Subject's XSA-346" grep -q '^advisory: XSA-355' "$W/explain355"
check "dry-run --explain shows the reply's own lines that count for XSA-355 ($(grep -c 'counts for XSA-355' "$W/explain355"))" \
    grep -q '^  line [0-9]*, counts for XSA-355: > ' "$W/explain355"
check "... and never a line the reply does not hold" bash -c "! grep -q 'counts for XSA-355: [^>]' '$W/explain355'"
check "the audit of the refusal says how many word runs matched" \
    bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-355 | grep -q 'word runs of the message match its text'"
mailpy text "$D/xsa355.eml" 0 | sed -n '/^ISSUE DESCRIPTION/,/^MITIGATION/p' > "$W/desc355"
{ echo "Subject: Re: stack corruption"; echo; echo "Looks nasty; see below."; echo
  fmt -w 50 "$W/desc355" | sed 's/^/> /'; } > "$W/msg"
verdict "a reply quoting XSA-355 re-wrapped to 50 columns" dev@vendor.example friend@outsider.example refuse XSA-355
cp "$W/msg" "$W/quote355.msg"

# 5. XSA-367's patch: the added lines are secret, the old code is not.
mailpy part "$D/xsa367.eml" xsa367-linux.patch | sed -n '/^--- a\/arch/,$p' > "$W/patch367"
grep '^+[^+]' "$W/patch367" | sed 's/^+//' > "$W/added367"
grep -E '^( |-[^-])' "$W/patch367" | sed 's/^[ -]//' > "$W/old367"
{ echo "Subject: how about this instead"; echo; echo "Untested:"; echo; cat "$W/added367"; } > "$W/msg"
verdict "the added lines of XSA-367's patch, pasted" dev@vendor.example friend@outsider.example refuse XSA-367
{ echo "Subject: [PATCH] xen/p2m: fix"; echo; cat "$W/patch367"; } > "$W/msg"
verdict "XSA-367's patch itself, pasted" dev@vendor.example friend@outsider.example refuse XSA-367
{ echo "Subject: Re: set_foreign_p2m_mapping"; echo; echo "This is the code as it is in Linus' tree today:"; echo
  sed 's/^/> /' "$W/old367"; echo; echo "Why is the return value ignored?"; } > "$W/msg"
verdict "the old code of the patched functions, quoted (xen-devel style)" dev@vendor.example friend@outsider.example pass

# 5b. A real patch that moves code (tests/data/vtd-cleanup.patch re-indents
#     a statement out of the block it removes), attached to an embargoed
#     advisory: the code it shows of the public tree stays public.
E3=$(utc_in 14400)
# team_post N TITLE TEXT ATTACHMENT: the team posts XSA-N, embargoed
# until E3, signed, with one attachment, to the list
team_post() {
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory XSA-$1 - $2"; echo
	  echo "                    Xen Security Advisory XSA-$1"; echo
	  echo "EMBARGOED UNTIL $E3"; echo; echo "$3"; } > "$W/d$1"
	mutt_post "$W/msg" "$W/d$1" none "$4"
	send security@example.org predisclosure@lists.example.org
	check "XSA-$1 (embargoed, $(basename "$4") attached) fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
}
team_post 902 "VT-d device mapping flags" \
    "A stale mapping flag lets a dying domain's device keep a context entry." "$D/vtd-cleanup.patch"
sed -n '/^@@/,$p' "$D/vtd-cleanup.patch" | grep -E '^( |-[^-])' | sed 's/^[ -]//' > "$W/old902"
{ echo "Subject: Re: domain_context_mapping"; echo; echo "The code in staging reads:"; echo
  sed 's/^/> /' "$W/old902"; echo; echo "Is MAP_SINGLE_DEVICE still needed?"; } > "$W/msg"
verdict "the old code around the moved statement, quoted" dev@vendor.example friend@outsider.example pass
{ echo "Subject: [PATCH] VT-d: cleanup"; echo; cat "$D/vtd-cleanup.patch"; } > "$W/msg"
verdict "XSA-902's patch itself, pasted" dev@vendor.example friend@outsider.example refuse XSA-902

# 5c. Archives: the advisory's text in a .tar.gz and in a .zip is read.
/usr/bin/python3 - "$W/desc355" "$W" <<'PY'
import io, sys, tarfile, zipfile
from email.message import EmailMessage
text = open(sys.argv[1], 'rb').read()
def msg(name, ctype, data, out):
    m = EmailMessage()
    m['Subject'] = 'notes'
    m.set_content('The notes, attached.')
    maintype, subtype = ctype.split('/')
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    open(out, 'wb').write(bytes(m))
b = io.BytesIO()
with tarfile.open(fileobj=b, mode='w:gz') as t:
    ti = tarfile.TarInfo('notes/desc.txt'); ti.size = len(text)
    t.addfile(ti, io.BytesIO(text))
msg('notes.tar.gz', 'application/gzip', b.getvalue(), sys.argv[2] + '/tgz.eml')
# The same bytes declared as text (a client that guesses the type wrong, or
# a sender who hopes the milter trusts the label), and the text behind a
# NUL byte in a text attachment.
m = EmailMessage()
m['Subject'] = 'notes'
m.set_content('The notes, attached.')
m.add_attachment(b.getvalue(), maintype='text', subtype='plain',
                 filename='notes.txt')
assert m.get_payload()[1]['Content-Transfer-Encoding'] == 'base64'
open(sys.argv[2] + '/tgz-as-text.eml', 'wb').write(bytes(m))
msg('notes.txt', 'text/plain', b'see below\0' + text,
    sys.argv[2] + '/nul.eml')
z = io.BytesIO()
with zipfile.ZipFile(z, 'w', zipfile.ZIP_DEFLATED) as f:
    f.writestr('notes/desc.txt', text)
msg('notes.zip', 'application/zip', z.getvalue(), sys.argv[2] + '/zip.eml')
b = io.BytesIO()
with tarfile.open(fileobj=b, mode='w:gz') as t:
    zeros = b'\0' * (200 << 20)
    ti = tarfile.TarInfo('zeros'); ti.size = len(zeros)
    t.addfile(ti, io.BytesIO(zeros))
msg('zeros.tar.gz', 'application/octet-stream', b.getvalue(), sys.argv[2] + '/bomb.eml')
PY
cp "$W/tgz.eml" "$W/msg"
verdict "XSA-355's description in a .tar.gz attachment" dev@vendor.example friend@outsider.example refuse XSA-355
cp "$W/tgz-as-text.eml" "$W/msg"
verdict "XSA-355's description in a .tar.gz sent as text/plain" dev@vendor.example friend@outsider.example refuse XSA-355
cp "$W/nul.eml" "$W/msg"
verdict "XSA-355's description after a NUL byte in an attachment" dev@vendor.example friend@outsider.example refuse XSA-355
cp "$W/zip.eml" "$W/msg"
verdict "XSA-355's description in a .zip attachment" dev@vendor.example friend@outsider.example refuse XSA-355
cp "$W/bomb.eml" "$W/msg"
ctl dry-run --from dev@vendor.example --to friend@outsider.example < "$W/msg" > "$W/dry.out"
dry=$?
send dev@vendor.example friend@outsider.example
check "a tar.gz of 200 MiB of zeros ($(stat -c %s "$W/bomb.eml") bytes of mail): 554 5.6.0: $(reply)" grep -q '^554 5.6.0' <<<"$(reply)"
check "dry-run says the same (exit $dry)" bash -c "[ $dry = 1 ] && grep -q 'reply:    554 5.6.0' '$W/dry.out'"

# The team's own post may carry its patches as a tarball: they are read,
# and their text is the advisory's (the real xsa405-linux.patch).
/usr/bin/python3 - "$D/xsa405-linux.patch" "$W/patches.tar.gz" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[2], 'w:gz') as t:
    t.add(sys.argv[1], arcname='xsa903/xsa903-linux.patch')
PY
team_post 903 "netfront frees retained SKBs" "The patches are in the attached tarball." \
    "$W/patches.tar.gz"
{ echo "Subject: netfront"; echo; echo "Heard this today:"; echo
  sed -n '/^The commit referenced/,/^$/p' "$D/xsa405-linux.patch"; } > "$W/msg"
verdict "the text of XSA-903's tarballed patch, pasted" dev@vendor.example friend@outsider.example refuse XSA-903

# 5d. Files made by the tools people use (tests/data/README): XSA-405's
#     text as p7zip, zstd, lzma, lzip and lz4 write it, and as Windows
#     writes UTF-16 (Notepad's "Unicode": a byte order mark, CRLF; and
#     the same with no mark), attached to an outsider's mail: refused
#     while XSA-405 is under embargo, passed once it is public.
TOOL_FILES=(xsa405.7z xsa405.tar.zst xsa405.tar.lzma xsa405.txt.lzma xsa405.txt.lz xsa405.txt.lz4
    xsa405-notepad-utf16le.txt xsa405-utf16le-nobom.txt)
E4=$(utc_in 18000)
real_post "$D/xsa405.eml" "$E4" "$W/post405"
cp "$W/post405" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-405 (embargoed) fans out (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
# tool_mail FILE...: $W/msg, each FILE attached as a mail client attaches
# it (an archive as application/octet-stream, a UTF-16 text file as
# text/plain with no charset: the bytes say what it is)
tool_mail() {
	/usr/bin/python3 - "$@" > "$W/msg" <<'PY'
import os, sys
from email.message import EmailMessage
m = EmailMessage()
m['From'] = 'dev@vendor.example'
m['To'] = 'friend@outsider.example'
m['Subject'] = 'netfront notes'
m.set_content('What we have on the netfront bug, attached.')
for path in sys.argv[1:]:
    name = os.path.basename(path)
    kind = ('text', 'plain') if name.endswith('.txt') else ('application', 'octet-stream')
    m.add_attachment(open(path, 'rb').read(), maintype=kind[0], subtype=kind[1], filename=name)
    assert 'charset' not in m.get_payload()[-1]['Content-Type']
sys.stdout.buffer.write(bytes(m))
PY
}
for f in "${TOOL_FILES[@]}"; do
	tool_mail "$D/$f"
	verdict "XSA-405 (under embargo) as $f ($(stat -c %s "$D/$f") bytes), attached" \
	    dev@vendor.example friend@outsider.example refuse XSA-405
done

# 5e. dry-run and the milter decide through one path (doc/ARCHITECTURE.md):
#     on every message of tests/data (the .eml files and the Python email
#     corpus), for the same outsider's envelope, while five advisories are
#     under embargo, embargoctl dry-run and the milter through Postfix
#     give the same verdict: accept, hold, fan-out, reject with its code
#     and reply, or tempfail with its code.  The recipient is in
#     discard.example: what passes is read and dropped, never delivered.
AGREE_TO=corpus@discard.example
mkdir -p "$W/corpus/python-email"
cp "$D"/*.eml "$W/corpus/"
cp "$D"/python-email/*.txt "$W/corpus/python-email/"
chmod -R a+rX "$W/corpus"	# read by embargoctl as the daemon's user
(cd "$W/corpus" && ls -- *.eml python-email/*.txt) > "$W/agree.files"
# dry-run on each beside the milter (it changes nothing), in two streams
# (a file and its JSON line, a tab between)
# shellcheck disable=SC2016 # the inner shell's own arguments
agree_dry() {
	awk -v k="$1" 'NR % 2 == k' "$W/agree.files" | as_nobody sh -c 'while IFS= read -r f; do
	out=$("$1" -c "$2" --json dry-run --from dev@vendor.example --to "$3" "$4/$f" 2>/dev/null | tr "\n" " ")
	printf "%s\t%s\n" "$f" "${out:-null}"
done' sh "$CTL_BIN" "$W/milter.conf" "$AGREE_TO" "$W/corpus" > "$W/agree.dry.$1"
}
agree_dry 0 & agree_dry0=$!
agree_dry 1 & agree_dry1=$!
# each sent as swaks sends it (a session of its own, lines ended CRLF),
# one Python process for all; one line each: the reply to its DATA
/usr/bin/python3 - "$SMTP_PORT" "$AGREE_TO" "$W/corpus" "$W/agree.files" > "$W/agree.smtp" <<'PY'
import re, smtplib, sys
port, rcpt, top = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for name in open(sys.argv[4]).read().split('\n'):
    if not name:
        continue
    data = re.sub(rb'(?:\r\n|\n|\r(?!\n))', b'\r\n', open(top + '/' + name, 'rb').read())
    try:
        s = smtplib.SMTP('127.0.0.1', port, 'client.test.example', timeout=120)
        s.mail('dev@vendor.example')
        s.rcpt(rcpt)
        code, text = s.data(data)
        s.quit()
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error
    except Exception as e:
        code, text = 0, repr(e).encode()
    print(code, ' '.join(text.decode('ascii', 'replace').split()))
PY
wait "$agree_dry0" "$agree_dry1"
cat "$W/agree.dry.0" "$W/agree.dry.1" > "$W/agree.dry"
# Both verdicts of each, one line each: dry-run's (its reply made
# SMTP-safe as the milter's set_reply() makes it) and the milter's (a
# refusal's reply; for a 250, "accept" when its log has "pass" for that
# queue id); each disagreement printed, then "N BAD PASSED REFUSED"
/usr/bin/python3 - "$W/agree.files" "$W/agree.dry" "$W/agree.smtp" "$W/milter.log" "$W/agree.refused" > "$W/agree.out" <<'PY'
import json, re, sys
files = [l for l in open(sys.argv[1]).read().split('\n') if l]
dry = dict(l.split('\t', 1) for l in open(sys.argv[2]).read().split('\n') if '\t' in l)
smtp = open(sys.argv[3]).read().split('\n')
passed = set(re.findall(r'embargo-milter: (\w+): from=<[^>]*> nrcpt=\d+ id=\S*: pass \(', open(sys.argv[4], errors='replace').read()))
def words(s):
    return ' '.join(s.split())
def dry_verdict(line):
    try:
        d = json.loads(line)
    except ValueError:
        return 'no answer from dry-run (%r)' % line[:80]
    if not isinstance(d, dict):
        return 'no answer from dry-run'
    v, code = d.get('decision'), d.get('code') or ''
    safe = ''.join(c if ' ' <= c < '\x7f' and c != '%' else '?' for c in d.get('reply') or '')[:511]
    return {'pass': 'accept', 'hold': 'hold', 'fanout': 'fan-out', 'discuss': 'fan-out',
            'reject': words('reject %s %s' % (code, safe)),
            'tempfail': 'tempfail %s' % code}.get(v, 'unknown decision %r' % v)
def milter_verdict(line):
    code, _, text = line.partition(' ')
    if code.startswith('5'):
        return words('reject %s %s' % (code, text))
    if code.startswith('4'):
        return 'tempfail %s %s' % (code, text.split(' ')[0])
    if code != '250':
        return 'no reply (%s)' % line
    m = re.search(r'queued as (\w+)', text)
    if m and m.group(1) in passed:
        return 'accept'
    return '250 with no pass logged (%s)' % text
bad = npass = nref = 0
with open(sys.argv[5], 'w') as refused:
    for i, name in enumerate(files):
        dv = dry_verdict(dry.get(name, ''))
        mv = milter_verdict(smtp[i] if i < len(smtp) else '')
        npass += mv == 'accept'
        if mv.startswith('reject'):
            nref += 1
            refused.write(name + '\n')
        if dv != mv:
            bad += 1
            print('# disagree: %s: dry-run: %s; milter: %s' % (name, dv, mv))
print(len(files), bad, npass, nref)
PY
grep '^# disagree' "$W/agree.out"
read -r AGREE_N AGREE_BAD AGREE_PASSED AGREE_REFUSED < <(tail -n 1 "$W/agree.out")
echo "# dry-run and the milter over tests/data: $AGREE_N messages, $((AGREE_N - AGREE_BAD)) agree ($AGREE_PASSED passed and $AGREE_REFUSED refused by the milter), $AGREE_BAD disagree"
check "dry-run and the milter agree on every message of tests/data ($AGREE_N, $AGREE_BAD disagree)" \
    test "$AGREE_BAD" = 0 -a "$AGREE_N" -ge 60
check "... on refusals and passes: the milter refused $AGREE_REFUSED ($(tr '\n' ' ' < "$W/agree.refused")), the real mail quoting XSA-355, XSA-367 and XSA-405 among them; passed $AGREE_PASSED" \
    bash -c "[ $AGREE_PASSED -ge 40 ] && for f in xsa355.eml xsa367.eml reply-xsa355.eml xsa405.eml; do grep -qxF \$f '$W/agree.refused' || exit 1; done"

# 5f. XSA-405 made public: the same files pass.
ctl embargo XSA-405 --now > /dev/null
ctl advisories > "$W/adv.out"
check "XSA-405 lifted with embargo --now: public" grep -q '^XSA-405 *public' "$W/adv.out"
# All eight in one mail: it passes only if none of them is refused.
tool_mail "${TOOL_FILES[@]/#/$D/}"
verdict "XSA-405 (public) as all ${#TOOL_FILES[@]} files, attached to one mail" dev@vendor.example friend@outsider.example pass

# 6. Text as rich-text and web clients write it.
for form in nbsp zwsp; do
	/usr/bin/python3 - "$W/desc355" "$form" > "$W/msg" <<'PY'
import sys
from email.message import EmailMessage
text = open(sys.argv[1]).read()
sp = '\u00a0' if sys.argv[2] == 'nbsp' else ' \u200b'
m = EmailMessage()
m['Subject'] = 'interesting'
m.set_content(text.replace(' ', sp), cte='quoted-printable')
sys.stdout.write(m.as_string())
PY
	verdict "XSA-355's description with ${form^^} for spaces" dev@vendor.example friend@outsider.example refuse XSA-355
done

# HTML laid out one word per table cell, as some clients lay out pasted text.
/usr/bin/python3 - "$W/desc355" > "$W/msg" <<'PY'
import html, sys
from email.message import EmailMessage
rows = ''.join('<tr>' + ''.join('<td>%s</td>' % html.escape(w) for w in line.split()) + '</tr>\n'
               for line in open(sys.argv[1]) if line.strip())
m = EmailMessage()
m['Subject'] = 'table'
m.set_content('see the HTML part')
m.add_alternative('<html><body><table>%s</table></body></html>' % rows, subtype='html')
sys.stdout.write(m.as_string())
PY
verdict "XSA-355's description as an HTML table, one word per cell" dev@vendor.example friend@outsider.example refuse XSA-355

# 6b. The leak guard's filter (SPEC 4), built again from the stored posts
#    at a start and at a reload: it covers both advisories under embargo,
#    with no warning, and the quotes are still refused.
milter_stop
m=$(wc -l < "$W/milter.log")
milter_start || exit 1
for _ in $(seq 1 100); do tail -n +$((m + 1)) "$W/milter.log" | grep -q 'leak guard: filter of' && break; sleep 0.1; done
built=$(tail -n +$((m + 1)) "$W/milter.log" | grep -o 'leak guard: filter of [0-9]* advisories' | head -n 1)
nemb=$(ctl advisories | grep -c embargoed)
check "restarted: the filter is built from the stored posts of the $nemb advisories under embargo ($built)" \
    test "$built" = "leak guard: filter of $nemb advisories" -a "$nemb" -ge 2
check "... with no warning" bash -c "! tail -n +$((m + 1)) '$W/milter.log' | grep -q 'leak guard: .*\(cannot\|no post\)'"
cp "$W/quote355.msg" "$W/msg"
verdict "after the restart, the re-wrapped quote of XSA-355 is still refused" dev@vendor.example friend@outsider.example refuse XSA-355
m=$(wc -l < "$W/milter.log")
kill -HUP "$(cat "$W/milter.pid")"
for _ in $(seq 1 100); do tail -n +$((m + 1)) "$W/milter.log" | grep -q 'leak guard: filter of' && break; sleep 0.1; done
check "a reload builds it again ($(tail -n +$((m + 1)) "$W/milter.log" | grep -o 'leak guard: filter of [0-9]* advisories' | head -n 1))" \
    bash -c "tail -n +$((m + 1)) '$W/milter.log' | grep -q 'leak guard: filter of $nemb advisories'"
cp "$W/quote355.msg" "$W/msg"
verdict "after the reload, the quote is still refused" dev@vendor.example friend@outsider.example refuse XSA-355

# 7. Encrypted mail that is not ours: read from its packets, so it passes
#    even when the list's secret key cannot be used (agent down, keys
#    unreadable); a post to the list that is ours then gets 451, never 5xx.
gpg --homedir "${MEMBER_HOME[1]}" --export "${MEMBER_FPR[1]}" | gpg --homedir "$TEAM_HOME" --batch -q --import 2>/dev/null
printf 'From: security@example.org\nTo: friend@outsider.example\nSubject: our notes\n\nPrivate notes between two people.\n' > "$W/d-enc"
mutt_post "$W/enc.eml" "$W/d-enc" "${MEMBER_FPR[1]}"
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"; echo "Subject: Xen Security Advisory 355 v3"
  echo; echo "Xen Security Advisory XSA-355"; echo; echo "version 3"; } > "$W/d-list"
mutt_post "$W/list-enc.eml" "$W/d-list" "$LIST_FPR"
mv "$W/state/gnupg/private-keys-v1.d" "$W/state/gnupg/private-keys.away"
as_nobody gpgconf --homedir "$W/state/gnupg" --kill gpg-agent 2>/dev/null
cp "$W/enc.eml" "$W/msg"
verdict "someone else's PGP/MIME mail, with the list's secret key unusable" dev@vendor.example friend@outsider.example pass
cp "$W/list-enc.eml" "$W/msg"
ctl dry-run --from security@example.org --to predisclosure@lists.example.org < "$W/msg" > "$W/dry.out"
dry=$?
send security@example.org predisclosure@lists.example.org
check "a post encrypted to the list key, secret key unusable: 451 4.3.0 ($(reply))" grep -q '^451 4.3.0' <<<"$(reply)"
check "dry-run says the same (exit $dry): $(grep reply: "$W/dry.out")" \
    bash -c "[ $dry = 2 ] && grep -q 'reply:    451 4.3.0' '$W/dry.out'"
mv "$W/state/gnupg/private-keys.away" "$W/state/gnupg/private-keys-v1.d"

# 8. public drop takes the corpus away, audited.
ctl public drop past-advisories.mbox > "$W/drop.out"
check "public drop: $(cat "$W/drop.out")" grep -q 'past-advisories.mbox: [0-9]* word runs dropped' "$W/drop.out"
check "public list no longer names it" bash -c "! '$CTL_BIN' -c '$W/milter.conf' public list | grep -q past-advisories"

echo "# real mail: $NPASS should pass, $FP refused (false positives); $NREFUSE should be refused, $FN passed (false negatives)"
check "no false positive, no false negative over the real mail" test "$FP$FN" = 00
check "audit chain verifies" ctl audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
