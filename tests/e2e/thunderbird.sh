# thunderbird.sh - a member reads a copy in Thunderbird (Debian's), under
# Xvfb, and the test reads what Thunderbird shows: its window title (the
# Subject it shows) and, by OCR of a screenshot (tesseract), the text of
# its OpenPGP "Message Security" panel.  Sourced by tests after lib.sh.
#
# tb_x                        start Xvfb on a free display (DISPLAY set)
# tb_profile I DIR            a fresh profile for member I: its key as
#                             personal, the list's and the team's verified;
#                             the first start's "automatic repair" of the
#                             unprotected secret key clicked once;
#                             TB_MORE_KEYS (fingerprints in that member's
#                             keyring): more secret keys in the profile
# tb_read DIR EML OUT         open EML in that profile; OUT.title (the
#                             window's title), OUT.png (the panel open),
#                             OUT.txt (the panel's text, OCR); 1 on failure
# tb_profile_smime DIR KEY CERT CA
#                             a fresh S/MIME profile for the member whose
#                             certificate is CERT (PEM; its e-mail address
#                             is the identity's) and private key KEY: both
#                             in the profile's NSS store (no password), the
#                             CA (PEM) trusted for e-mail, CERT the
#                             identity's encryption and signing certificate
# tb_read_smime DIR EML OUT   tb_read for an S/MIME copy (the "S/MIME"
#                             button): OUT.title, OUT.head.png and
#                             OUT.head.txt (the message as shown, before
#                             the panel: headers and body, OCR), OUT.png and
#                             OUT.txt (the panel open: "Message Is Signed",
#                             "Signed by:", "Email address:", "Message Is
#                             Encrypted"); 1 when no button shows: OUT.txt
#                             is then the screen's text ("Thunderbird
#                             cannot decrypt this message" for a copy to
#                             another member's certificate)
#
# Every process is started in a group of its own and ended by its PID.

TB_PIDS=()

tb_cleanup() {
	local p
	for p in "${TB_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -TERM -- "-$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${TB_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -KILL -- "-$p" 2>/dev/null
	done
	TB_PIDS=()
}

tb_x() {
	local n
	setsid Xvfb -displayfd 3 -screen 0 1400x1000x24 -nolisten tcp \
	    3>"$W/xvfb.display" >"$W/xvfb.log" 2>&1 &
	TB_PIDS+=($!)
	for _ in $(seq 1 100); do
		n=$(tr -dc 0-9 < "$W/xvfb.display" 2>/dev/null)
		[ -n "$n" ] && break
		sleep 0.1
	done
	[ -n "$n" ] || return 1
	export DISPLAY=":$n"
}

# tb_ocr PNG: the text of a screenshot (scaled up, grey: tesseract reads
# Thunderbird's small type far better so); tb_ocr_tsv PNG: words with boxes
tb_ocr() {
	convert "$1" -resize 200% -colorspace Gray "$1.big.png" &&
	    tesseract "$1.big.png" - 2>/dev/null
}
tb_ocr_tsv() {
	convert "$1" -resize 200% -colorspace Gray "$1.big.png" &&
	    tesseract "$1.big.png" - tsv 2>/dev/null
}
# tb_find PNG WORD [MINY]: "X Y" (screen pixels) of the centre of the first
# word WORD at or below MINY, or nothing
tb_find() {
	tb_ocr_tsv "$1" | awk -F'\t' -v w="$2" -v miny="${3:-0}" \
	    '$12 == w && $8 / 2 >= miny { printf "%d %d\n", ($7 + $9 / 2) / 2, ($8 + $10 / 2) / 2; exit }'
}

# tb_run DIR [FILE]: Thunderbird on that profile (its own group), PID in TB_PID
tb_run() {
	HOME=$W/tb-home setsid thunderbird --no-remote --profile "$1" ${2:+"$2"} \
	    >>"$W/thunderbird.log" 2>&1 &
	TB_PID=$!
	TB_PIDS+=("$TB_PID")
}
tb_stop() {
	kill -TERM -- "-$TB_PID" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$TB_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-$TB_PID" 2>/dev/null
	wait "$TB_PID" 2>/dev/null
	return 0
}
# tb_window NAME SECONDS: the id of a window whose title contains NAME
tb_window() {
	local id
	for _ in $(seq 1 $(( $2 * 4 ))); do
		id=$(xdotool search --name "$1" 2>/dev/null | head -n 1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.25
	done
	return 1
}

# tb_prefs: the preferences every test profile shares (one local account,
# one identity, no first-run pages, no updates, no network lookups)
tb_prefs() {
	cat <<'JS'
user_pref("mail.accountmanager.accounts", "account1");
user_pref("mail.accountmanager.defaultaccount", "account1");
user_pref("mail.accountmanager.localfoldersserver", "server1");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.identity.id1.valid", true);
user_pref("mail.server.server1.type", "none");
user_pref("mail.server.server1.hostname", "Local Folders");
user_pref("mail.server.server1.name", "Local Folders");
user_pref("mail.server.server1.userName", "nobody");
user_pref("mail.shell.checkDefaultClient", false);
user_pref("mailnews.start_page.enabled", false);
user_pref("app.update.auto", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("mail.provider.suppress_dialog_on_startup", true);
user_pref("mail.rights.version", 1);
user_pref("mailnews.auto_config.fetchFromISP.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("network.dns.disableIPv6", true);
JS
}

tb_profile() {
	local i=$1 p=$2 h=${MEMBER_HOME[$1]} f xy
	mkdir -p "$p" "$W/tb-home"
	# shellcheck disable=SC2086
	gpg --homedir "$h" --export "${MEMBER_FPR[$i]}" ${TB_MORE_KEYS:-} "$LIST_FPR" "$TEAM_FPR" > "$p/pubring.gpg"
	# shellcheck disable=SC2086
	gpg --homedir "$h" --batch --export-secret-keys "${MEMBER_FPR[$i]}" ${TB_MORE_KEYS:-} > "$p/secring.gpg"
	/usr/bin/python3 - "$p/openpgp.sqlite" "${MEMBER_FPR[$i]}" "${MEMBER_ADDR[$i]}" \
	    "$LIST_FPR" predisclosure@lists.example.org "$TEAM_FPR" security@example.org <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('create table if not exists acceptance_email '
           '(fpr text not null, email text not null, unique(fpr, email))')
db.execute('create table if not exists acceptance_decision '
           '(fpr text not null, decision text not null, unique(fpr))')
args = sys.argv[2:]
for n, (fpr, addr) in enumerate(zip(args[0::2], args[1::2])):
    decision = 'personal' if n == 0 else 'verified'
    db.execute('insert or replace into acceptance_decision values (?, ?)',
               (fpr.lower(), decision))
    db.execute('insert or replace into acceptance_email values (?, ?)',
               (fpr.lower(), addr))
db.commit()
PY
	f=${MEMBER_FPR[$i]}
	{ tb_prefs; cat <<JS
user_pref("mail.identity.id1.useremail", "${MEMBER_ADDR[$i]}");
user_pref("mail.identity.id1.fullName", "Member $i");
user_pref("mail.identity.id1.openpgp_key_id", "${f: -16}");
user_pref("mail.openpgp.fetch_pubkeys_from_armored_sig", false);
JS
	} > "$p/user.js"
	# The first start offers to repair the unprotected secret key.
	tb_run "$p"
	tb_window 'OpenPGP corruption detected' 60 >/dev/null || { tb_stop; return 1; }
	sleep 1
	import -window root "$p.repair.png"
	xy=$(tb_find "$p.repair.png" repair.)
	if [ -z "$xy" ]; then
		# What was on the screen instead, for the log.
		tb_ocr "$out.head.png" 2>/dev/null | sed 's/^/(no OpenPGP button) /' > "$out.txt"
		tb_stop
		return 1
	fi
	# shellcheck disable=SC2086
	xdotool mousemove $xy click 1
	for _ in $(seq 1 80); do
		[ -s "$p/encrypted-openpgp-passphrase.txt" ] && break
		sleep 0.25
	done
	sleep 1
	tb_stop
	[ -s "$p/encrypted-openpgp-passphrase.txt" ]
}

# tb_signer_is FILE WANT OTHER...: the "Signer key ID: 0x..." OCR read in
# FILE is the key id WANT: O, S, I and L (never in a key id) read as the
# digits OCR mistook for them, then at most two characters off (a doubled
# or misread glyph) and nearer WANT than any OTHER id (the team's, a
# member's), so a wrong signer can never pass for it.
tb_signer_is() {
	python3 - "$@" <<'PY'
import re, sys
text, want, others = open(sys.argv[1]).read(), sys.argv[2].upper(), [o.upper() for o in sys.argv[3:]]
# The "0x" may come out doubled or misread ("0Ox", "Ox"), or apart
# from the id ("0x 1SDB...").
m = re.search(r'Signer key ID:\s*[0O]{1,2}\s?x\s?(\S+)', text)
if not m:
    sys.exit(1)
# Letters no key id has are OCR's misreadings of digits: read them back.
got = m.group(1).upper().translate(str.maketrans('OSIL', '0511'))
def dist(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        p, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            p, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, p + (ca != cb))
    return d[len(b)]
near = dist(got, want)
sys.exit(0 if near <= 2 and all(dist(got, o) > near for o in others) else 1)
PY
}

tb_read() {
	local p=$1 eml=$2 out=$3 xy= title=
	# Thunderbird opens a message file by its name: FILE.eml.
	cp "$eml" "$out.eml" || return 1
	tb_run "$p" "$out.eml"
	# Decrypted and verified when the OpenPGP button shows at the end of
	# the Subject line (the first "OpenPGP" below the menu bar).
	# A loaded machine (make check on two cores) starts it slowly.
	for _ in $(seq 1 60); do
		sleep 1
		import -window root "$out.head.png" 2>/dev/null || continue
		xy=$(tb_find "$out.head.png" OpenPGP 100)
		[ -n "$xy" ] && break
	done
	# The message window's title is the Subject Thunderbird shows.
	title=$(xdotool search --name ' - Mozilla Thunderbird$' getwindowname %@ 2>/dev/null |
	    grep -v -e '^Local Folders - ' -e '^Home - ' | head -n 1)
	printf '%s\n' "${title% - Mozilla Thunderbird}" > "$out.title"
	if [ -z "$xy" ]; then
		# What was on the screen instead, for the log.
		tb_ocr "$out.head.png" 2>/dev/null | sed 's/^/(no OpenPGP button) /' > "$out.txt"
		tb_stop
		return 1
	fi
	# shellcheck disable=SC2086
	xdotool mousemove $xy click 1
	sleep 2
	import -window root "$out.png"
	tb_ocr "$out.png" > "$out.txt"
	tb_stop
}

# tb_smime_dbkey CERT: the "dbKey" by which Thunderbird names a certificate
# in an identity's prefs (base64 of: 4 and 4 zero bytes, the lengths of the
# serial number and of the issuer's DER name, 4 bytes each, big-endian, then
# the serial number's and the issuer's DER bytes)
tb_smime_dbkey() {
	openssl x509 -in "$1" -outform DER | /usr/bin/python3 -c '
import base64, struct, sys
der = sys.stdin.buffer.read()
def tlv(i):	# (start of the contents, end) of the DER element at i
    n = der[i + 1]
    i += 2
    if n & 0x80:
        k, n = n & 0x7f, int.from_bytes(der[i:i + (n & 0x7f)], "big")
        i += k
    return i, i + n
i, _ = tlv(0)			# Certificate
i, _ = tlv(i)			# tbsCertificate
s, e = tlv(i)
if der[i] == 0xa0:		# [0] version
    i = e
    s, e = tlv(i)
serial = der[s:e]
_, e = tlv(e)			# signature algorithm
_, end = tlv(e)			# issuer
issuer = der[e:end]
sys.stdout.write(base64.b64encode(struct.pack(">IIII", 0, 0, len(serial),
    len(issuer)) + serial + issuer).decode() + "\n")
'
}

tb_profile_smime() {
	local p=$1 key=$2 cert=$3 ca=$4 addr dbkey
	addr=$(openssl x509 -in "$cert" -noout -email | head -n 1)
	dbkey=$(tb_smime_dbkey "$cert")
	[ -n "$addr" ] && [ -n "$dbkey" ] || return 1
	mkdir -p "$p" "$W/tb-home"
	# The profile's own NSS store (cert9.db, key4.db), no password: the
	# member's key and certificate as Thunderbird imports a .p12 backup.
	certutil -N -d "sql:$p" --empty-password >/dev/null 2>&1 || return 1
	openssl pkcs12 -export -inkey "$key" -in "$cert" -name member \
	    -passout pass: -out "$p.p12" || return 1
	pk12util -i "$p.p12" -d "sql:$p" -W '' >/dev/null || return 1
	rm -f "$p.p12"
	certutil -A -n ca -t 'C,C,C' -i "$ca" -d "sql:$p" || return 1
	{ tb_prefs; cat <<JS
user_pref("mail.identity.id1.useremail", "$addr");
user_pref("mail.identity.id1.fullName", "Member");
user_pref("mail.identity.id1.encryption_cert_name", "member");
user_pref("mail.identity.id1.encryption_cert_dbkey", "$dbkey");
user_pref("mail.identity.id1.signing_cert_name", "member");
user_pref("mail.identity.id1.signing_cert_dbkey", "$dbkey");
user_pref("security.OCSP.enabled", 0);
JS
	} > "$p/user.js"
}

# tb_tsv_find TSV WORD [MINY], tb_tsv_text TSV: tb_find on, and the text
# (a line per OCR line) of, a saved tb_ocr_tsv (one OCR for both)
tb_tsv_find() {
	awk -F'\t' -v w="$2" -v miny="${3:-0}" \
	    '$12 == w && $8 / 2 >= miny { printf "%d %d\n", ($7 + $9 / 2) / 2, ($8 + $10 / 2) / 2; exit }' "$1"
}
tb_tsv_text() {
	awk -F'\t' '$1 == 5 && $12 ~ /[^ ]/ {
		k = $3 "." $4 "." $5
		if (n++ && k != last) printf "\n"
		printf "%s%s", (k == last ? " " : ""), $12
		last = k
	} END { if (n) printf "\n" }' "$1"
}
# tb_msg_title: the Subject the message window shows (its title), or nothing
tb_msg_title() {
	local t
	t=$(xdotool search --name ' - Mozilla Thunderbird$' getwindowname %@ 2>/dev/null |
	    grep -v -e '^Local Folders - ' -e '^Home - ' | head -n 1)
	[ -n "$t" ] && printf '%s\n' "${t% - Mozilla Thunderbird}"
}

tb_read_smime() {
	local p=$1 eml=$2 out=$3 xy="" end
	cp "$eml" "$out.eml" || return 1
	: > "$out.head.txt"
	tb_run "$p" "$out.eml"
	# The message window first (its title: cheap), then OCR until the
	# S/MIME button shows on the Subject line (decrypted; the signature
	# checked) or Thunderbird says it cannot decrypt (no header then).
	# A loaded machine (make check on two cores) starts it slowly.
	end=$((SECONDS + 90))
	while [ "$SECONDS" -lt "$end" ]; do
		sleep 1
		[ -n "$(tb_msg_title)" ] || continue
		import -window root "$out.head.png" 2>/dev/null || continue
		tb_ocr_tsv "$out.head.png" > "$out.head.tsv"
		tb_tsv_text "$out.head.tsv" > "$out.head.txt"
		xy=$(tb_tsv_find "$out.head.tsv" S/MIME 100)
		[ -n "$xy" ] && break
		grep -q 'cannot decrypt' "$out.head.txt" && break
	done
	tb_msg_title > "$out.title"
	if [ -z "$xy" ]; then
		# What was on the screen instead, for the log.
		sed 's/^/(no S\/MIME button) /' "$out.head.txt" > "$out.txt"
		tb_stop
		return 1
	fi
	# shellcheck disable=SC2086
	xdotool mousemove $xy click 1
	for _ in 1 2 3; do
		sleep 2
		import -window root "$out.png"
		tb_ocr "$out.png" > "$out.txt"
		grep -q 'Message Security' "$out.txt" && break
	done
	tb_stop
}
