#!/bin/bash
# t_bomb - what decryption yields has a ceiling, and a post that can never
# be read is refused for good, never deferred for ever (a 451 has its
# sender retry for days): a compression bomb encrypted to the list's public
# key (1 GiB of zeros in about a megabyte) gets 554 5.6.0 naming
# max_decrypted_size, alone and ten at once, with the daemon's peak memory
# bounded (the -O2 build, as administrators run it) and a plain mail
# passing right after; a part without integrity protection (gpg --rfc2440)
# and one altered on the way get 550 5.7.1 saying why.
. "$(dirname "$0")/lib.sh"
MILTER_BIN=$TOP/build/embargo-milter
e2e_start --keys 1

# pgpmime ARMOR OUT: a PGP/MIME message to the list around an armored part
pgpmime() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from email.encoders import encode_7or8bit
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
armor = open(sys.argv[1], 'rb').read()
m = MIMEMultipart('encrypted', protocol='application/pgp-encrypted')
m['From'] = 'dev@vendor.example'
m['To'] = 'predisclosure@lists.example.org'
m['Subject'] = 'encrypted to the list'
v = MIMEApplication('Version: 1\n', 'pgp-encrypted', encode_7or8bit)
c = MIMEApplication(armor.decode('ascii'), 'octet-stream', encode_7or8bit)
m.attach(v)
m.attach(c)
open(sys.argv[2], 'wb').write(m.as_bytes())
PY
}
list_pub() { gpg --homedir "$W/pub-gnupg" --batch -q --trust-model always "$@"; }
mkdir -m 0700 "$W/pub-gnupg"
list_gpg --export "$LIST_FPR" | gpg --homedir "$W/pub-gnupg" --batch -q --import 2>/dev/null
GNUPG_HOMES+=("$W/pub-gnupg")

# 1. The bomb: a text part of 1 GiB of zeros, compressed, to the list key.
{ printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'; head -c 1073741824 /dev/zero; } |
    list_pub --compress-algo zlib -z 9 --armor -e -r "$LIST_FPR" > "$W/bomb.asc"
pgpmime "$W/bomb.asc" "$W/bomb.eml"
echo "# the bomb: $(wc -c < "$W/bomb.eml") bytes of mail, 1 GiB of plaintext"
pid=$(cat "$W/milter.pid")
hwm() { awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status"; }
cp "$W/bomb.eml" "$W/msg"
send dev@vendor.example predisclosure@lists.example.org
r=$(reply)
check "the bomb is refused for good: $r" \
    grep -q '^554 5.6.0 .*more than max_decrypted_size (52428800 bytes)' <<<"$r"
one=$(hwm)
senders=()
for i in $(seq 1 10); do
	timeout 120 swaks --server 127.0.0.1 --port "$SMTP_PORT" --from dev@vendor.example \
	    --to predisclosure@lists.example.org --data "@$W/bomb.eml" \
	    --helo client.test.example > "$W/bomb$i.log" 2>&1 &
	senders+=($!)
done
wait "${senders[@]}"	# these ten only (the milter runs in the background too)
n=0
for i in $(seq 1 10); do grep -q '<\*\* 554 5.6.0 ' "$W/bomb$i.log" && n=$((n + 1)); done
ten=$(hwm)
echo "# the daemon's peak RSS (VmHWM): ${one} MiB after one bomb, ${ten} MiB after ten at once"
check "ten bombs at once: all ten refused with 554 5.6.0 ($n)" test "$n" = 10
check "the daemon's peak RSS stays bounded: ${ten} MiB (under 256)" test "${ten:-999}" -lt 256
printf 'From: dev@vendor.example\r\nTo: friend@outsider.example\r\nSubject: plain\r\n\r\nNothing secret.\r\n' > "$W/msg"
send dev@vendor.example friend@outsider.example
check "a plain mail passes right after (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the log names the limit, not the keyring" \
    bash -c "grep -q 'max_decrypted_size' '$W/milter.log' && ! grep -q 'check that gnupg_home' '$W/milter.log'"

# 2. No integrity protection (an encrypted packet without MDC).
printf 'Content-Type: text/plain\r\n\r\nno integrity\r\n' |
    list_pub --rfc2440 --armor -e -r "$LIST_FPR" > "$W/nomdc.asc" 2>/dev/null
pgpmime "$W/nomdc.asc" "$W/msg"
send dev@vendor.example predisclosure@lists.example.org
r=$(reply)
check "a part without integrity protection is refused, 550 5.7.1, saying why: $r" \
    grep -q '^550 5.7.1 a part encrypted to the list key cannot be read (.*): it has no integrity protection' <<<"$r"

# 3. Altered on the way: one byte of the encrypted data flipped.
printf 'Content-Type: text/plain\r\n\r\naltered on the way\r\n' |
    list_pub -e -r "$LIST_FPR" > "$W/alt.gpg"
/usr/bin/python3 - "$W/alt.gpg" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[-10] ^= 0xff
open(sys.argv[1], 'wb').write(d)
PY
gpg --enarmor < "$W/alt.gpg" 2>/dev/null | sed 's/ARMORED FILE/MESSAGE/' > "$W/alt.asc"
pgpmime "$W/alt.asc" "$W/msg"
send dev@vendor.example predisclosure@lists.example.org
r=$(reply)
check "an altered part is refused, 550 5.7.1: $r" \
    grep -q '^550 5.7.1 a part encrypted to the list key cannot be read' <<<"$r"
# 4. Inline PGP (armour in a text/plain body) takes the same ceiling, and
#    what it decrypts to is read: a future marker inside is refused to an
#    outsider.
inline() {	# inline ARMOR OUT TO
	{ printf 'From: dev@vendor.example\r\nTo: %s\r\nSubject: inline\r\n' "$3"
	  printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'; sed 's/$/\r/' "$1"; } > "$2"
}
head -c 1073741824 /dev/zero | list_pub --compress-algo zlib -z 9 --armor -e -r "$LIST_FPR" > "$W/ibomb.asc"
inline "$W/ibomb.asc" "$W/msg" friend@outsider.example
send dev@vendor.example friend@outsider.example
r=$(reply)
check "an inline-encrypted bomb is refused for good too: $r" \
    grep -q '^554 5.6.0 .*more than max_decrypted_size' <<<"$r"
when=$(utc_in 86400)
printf 'Fwd:\n\n*** EMBARGOED UNTIL %s ***\n\nthe text\n' "$when" |
    list_pub --armor -e -r "$LIST_FPR" > "$W/imark.asc"
inline "$W/imark.asc" "$W/msg" friend@outsider.example
send dev@vendor.example friend@outsider.example
r=$(reply)
check "an inline-encrypted text is read: its future marker is refused to an outsider: $r" \
    grep -q "^550 5.7.1 .*under embargo until $when; not sent to <friend@outsider.example>" <<<"$r"
check "each refusal is in the audit log" \
    bash -c "[ \$(runuser -u nobody -- '$CTL_BIN' -c '$W/milter.conf' audit | grep -c '\"decision\":\"reject\"') -ge 15 ]"
e2e_finish
