#!/bin/bash
# certs.sh - sourced by run.sh (after lib.sh, keys.sh and tests/e2e/smime.sh,
# once e2e_start has made the daemon's GnuPG home): S/MIME members for the
# fan-out bench.
#
# bench_certs N   the test CA and the list's signing certificate
#                 (tests/e2e/smime.sh: LIST_CERT, its SHA-256), then N
#                 member certificates, security@mI.bench.example in the
#                 subjectAltName of the I-th (the daemon's start-up check
#                 refuses a certificate that does not carry the member's
#                 address), all on one RSA 2048 key, as the OpenPGP kinds
#                 use one key for all members: one key made, N certificates
#                 signed by the CA (two at a time), imported into the
#                 daemon's home in one gpgsm run.  Sets CERT_PIN[I] (the
#                 SHA-256 the config pins), CERT_NAME[I] (gpgsm's SHA-1
#                 name, for the floor) and LIST_CERT_NAME.
bench_certs() {
	local n=$1 d=$W/ca/bench t0 t1 t2 i
	t0=$(date +%s.%N)
	smime_ca
	smime_list
	mkdir -p "$d"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$d/member.key" \
	    -subj '/CN=Bench member' -out "$d/member.csr" 2>/dev/null || return 1
	for i in $(seq 1 "$n"); do
		printf 'subjectAltName=email:security@m%d.bench.example\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' \
		    "$i" > "$d/m$i.ext"
	done
	# Distinct serials: distinct certificates, distinct pins.
	seq 1 "$n" | xargs -P 2 -I{} openssl x509 -req -in "$d/member.csr" \
	    -CA "$W/ca/ca.pem" -CAkey "$W/ca/ca.key" -set_serial '1{}' -days 365 \
	    -extfile "$d/m{}.ext" -out "$d/m{}.pem" 2>/dev/null
	for i in $(seq 1 "$n"); do cat "$d/m$i.pem"; done > "$d/members.pem"
	t1=$(date +%s.%N)
	smime_gpgsm --import "$d/members.pem" 2> "$d/import.log"
	t2=$(date +%s.%N)
	# Both digests of each certificate's DER, in one process.
	/usr/bin/python3 - "$d/members.pem" "$W/ca/list.pem" > "$d/pins" <<'PY'
import base64, hashlib, re, sys
for path in sys.argv[1:]:
    for b64 in re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----',
                          open(path).read(), re.S):
        der = base64.b64decode(''.join(b64.split()))
        print(hashlib.sha256(der).hexdigest().upper(), hashlib.sha1(der).hexdigest().upper())
PY
	CERT_PIN=(); CERT_NAME=()
	i=0
	while read -r pin name; do
		i=$((i + 1))
		CERT_PIN[$i]=$pin
		CERT_NAME[$i]=$name
	done < "$d/pins"
	[ "$i" = $((n + 1)) ] && [ "${CERT_PIN[$i]}" = "$LIST_CERT" ] || {
		echo "bench: S/MIME: $((i - 1)) of $n member certificates made"; return 1; }
	LIST_CERT_NAME=${CERT_NAME[$i]}
	unset "CERT_PIN[$i]" "CERT_NAME[$i]"
	grep -q "imported: $n\$" "$d/import.log" || {
		echo "bench: S/MIME: gpgsm did not import $n certificates:"
		sed 's/^/#   /' "$d/import.log"; return 1; }
	awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "# S/MIME: CA, list certificate and %d member certificates (one RSA 2048 key) made in %.1f s, imported in one gpgsm run in %.1f s\n", n, b - a, c - b }'
}

# bench_smime_floor N ENTITY: the same N copies made by plain gpgsm, two
# at a time, as the daemon's user in its home: signed by the list's
# certificate, then enveloped to member I's certificate (two gpgsm runs a
# copy, as the daemon makes it)
bench_smime_floor() {
	local n=$1 entity=$2
	printf '%s\n' "${CERT_NAME[@]:0:$n}" |
	    as_nobody xargs -P 2 -I{} bash -c 'set -o pipefail
	        gpgsm --homedir "$1" --batch -q -u "0x$2" --sign "$3" |
	        gpgsm --homedir "$1" --batch -q -r "0x$4" --encrypt -o /dev/null' \
	        bash "$W/state/gnupg" "$LIST_CERT_NAME" "$entity" {} 2> "$W/floor-smime.log" || {
		echo "bench: gpgsm floor failed:"; grep -v -e DBG -e 'signature created' \
		    "$W/floor-smime.log" | head -n 5 | sed 's/^/#   /'; return 1; }
}
