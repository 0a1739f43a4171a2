#!/bin/bash
# t_hostile - hostile input through the real Postfix, under ASan and UBSan:
# each a clear 4xx/5xx, or a pass where the spec says so, never a crash or
# a hang; and a replayed old team post never moves a date unaudited.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 2
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
alive() { kill -0 "$(cat "$W/milter.pid")" 2>/dev/null; }

# hostile NAME WANT(pass|CODE): $W/msg from an outsider to an outsider.
# What passes is the sender's hostile mail, delivered as it came: the
# independent reader's sweep (which checks what the list writes) skips it.
MAIL_SWEEP_SKIP=hostile@outsider.example
hostile() {
	local t0=$SECONDS r
	send dev@vendor.example hostile@outsider.example
	r=$(reply)
	if [ "$2" = pass ]; then
		check "$1: passes (rc $SWAKS_RC${r:+: $r})" test "$SWAKS_RC" = 0
	else
		check "$1: $r" grep -q "^$2" <<<"$r"
	fi
	check "$1: the milter is alive, answered in $((SECONDS - t0)) s" \
	    bash -c "kill -0 \$(cat '$W/milter.pid') && [ $((SECONDS - t0)) -lt 60 ]"
}

/usr/bin/python3 - "$W" <<'PY'
import sys, os
W = sys.argv[1]
def w(name, text):
    open(os.path.join(W, name), 'wb').write(text if isinstance(text, bytes) else text.encode())
hdr = 'From: dev@vendor.example\r\nTo: friend@outsider.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n'
# 10,000 parts
parts = ''.join('--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n' % i for i in range(10000))
w('parts', hdr + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + '--b--\r\n')
# nesting 1000 deep
deep = hdr + 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
for i in range(1, 1000):
    deep += '--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i - 1, i)
deep += '--b999\r\nContent-Type: text/plain\r\n\r\ndeep\r\n'
for i in range(999, -1, -1):
    deep += '--b%d--\r\n' % i
w('deep', deep)
# a 1 MB header line
w('longhdr', hdr + 'X-Long: ' + 'a' * (1 << 20) + '\r\n\r\nbody\r\n')
# broken base64 and quoted-printable, an unknown charset, NUL bytes
w('broken', hdr + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
  '--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  '!!!!not*base64###\r\nQUJD=\r\n===\r\n'
  '--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
  'broken =ZZ soft=\r\nbreak =\r\n'
  '--b\r\nContent-Type: text/plain; charset=x-no-such-charset-2026\r\n\r\nunknown charset text\r\n'
  '--b--\r\n')
w('nul', (hdr + 'Content-Type: text/plain\r\n\r\nbefore\x00after\x00\x00\r\n').encode())
# PGP/MIME whose encrypted part is garbage packets
w('garbage', hdr + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n'
  '--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n'
  '--b\r\nContent-Type: application/octet-stream\r\n\r\n'
  '-----BEGIN PGP MESSAGE-----\r\n\r\nhQIOA////////xAI/////wAAAAAAAAAAAAAA\r\n=AAAA\r\n-----END PGP MESSAGE-----\r\n'
  '--b--\r\n')
PY
cp "$W/parts" "$W/msg"; hostile "10,000 MIME parts" "554 5.6.0"
cp "$W/deep" "$W/msg"; hostile "MIME nested 1000 deep" "554 5.6.0"
cp "$W/longhdr" "$W/msg"; hostile "a 1 MB header line (Postfix ends the header at its header_size_limit)" pass
cp "$W/broken" "$W/msg"; hostile "broken base64 and QP, an unknown charset" pass
cp "$W/nul" "$W/msg"; hostile "NUL bytes in the body" pass
cp "$W/garbage" "$W/msg"; hostile "PGP/MIME of garbage packets between outsiders" pass
{ printf 'From: dev@vendor.example\r\nSubject: big\r\n\r\n'; head -c $((30 * 1024 * 1024)) /dev/zero | tr '\0' 'a' | fold -w 76; } > "$W/msg"
hostile "a 30 MB message (over max_message_size)" "552 5.3.4"

# A replayed old team post (the same message again, after a later
# revision moved the date): it moves nothing, and the audit says so.
E1=$(utc_in 3600); E2=$(utc_in 7200)
post() {	# post REV WHEN
	{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
	  echo "Subject: Xen Security Advisory 950 v$1"; echo
	  echo "Xen Security Advisory XSA-950"; echo "version $1"; echo
	  echo "*** EMBARGOED UNTIL $2 ***"; echo; echo "Replay trial."; } > "$W/d950.$1"
	mutt_post "$W/p950.$1.eml" "$W/d950.$1" "$LIST_FPR"
}
post 1 "$E1"; post 2 "$E2"
cp "$W/p950.1.eml" "$W/msg"; send security@example.org predisclosure@lists.example.org
cp "$W/p950.2.eml" "$W/msg"; send security@example.org predisclosure@lists.example.org
check "revision 2 moved the date later ($E2)" bash -c "'$CTL_BIN' -c '$W/milter.conf' advisories | grep -q '^XSA-950 .*${E2% UTC}'"
cp "$W/p950.1.eml" "$W/msg"; send security@example.org predisclosure@lists.example.org
check "the replayed revision 1 is answered 250 (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "... and moved nothing: still $E2" bash -c "'$CTL_BIN' -c '$W/milter.conf' advisories | grep -q '^XSA-950 .*${E2% UTC}'"
check "... and the audit names it a resend" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-950 | grep -q 'a resend of a message already fanned out'"
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
