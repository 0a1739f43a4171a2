# smime.sh - S/MIME recipients for the end-to-end tests, made as an
# administrator and a member's employer would make them: a throwaway CA
# (OpenSSL's "ca" command), the list's signing key made in the daemon's
# GnuPG home by gpgsm as the daemon's user (no passphrase; only its
# certificate request leaves the home), members' keys and certificates
# made by OpenSSL.  Sourced after lib.sh and keys.sh, before e2e_start.
#
# smime_ca                    the CA in $W/ca (ca.pem, ca.key) and the
#                             daemon's home set to trust it, with no
#                             revocation lists to fetch
# smime_list                  the list's certificate; LIST_CERT: its SHA-256
# smime_member NAME ADDR [NEWKEY] [DATES]
#                             $W/ca/NAME.key and NAME.pem for ADDR (NEWKEY:
#                             an openssl -newkey argument, rsa:2048 unless
#                             given; DATES: "-days N" or "-startdate S
#                             -enddate E"), imported into the daemon's
#                             home; prints its SHA-256 pin
# smime_pin FILE              the SHA-256 pin of a certificate file

smime_gpgsm() { as_nobody gpgsm --homedir "$W/state/gnupg" --batch "$@"; }

smime_pin() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//; s/://g'
}

smime_ca() {
	local ca=$W/ca
	mkdir -p "$ca/db"
	: > "$ca/db/index.txt"
	echo 01 > "$ca/db/serial"
	cat > "$ca/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $ca/db/index.txt
serial = $ca/db/serial
new_certs_dir = $ca/db
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
CNF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/ca.key" \
	    -out "$ca/ca.pem" -days 365 -subj '/CN=Embargo Test CA' \
	    -addext 'basicConstraints=critical,CA:TRUE' \
	    -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
	chmod 0755 "$ca"
	echo disable-crl-checks | as_nobody tee "$W/state/gnupg/gpgsm.conf" >/dev/null
	smime_gpgsm --import "$ca/ca.pem" 2>/dev/null
	# The CA trusted for the list's own signatures (gpgsm checks the
	# signer's chain); members' certificates are pinned, not trusted.
	smime_gpgsm --with-colons --list-keys 'Embargo Test CA' 2>/dev/null |
	    awk -F: '/^fpr/ { print $10 " S relax"; exit }' |
	    as_nobody tee "$W/state/gnupg/trustlist.txt" >/dev/null
	as_nobody gpgconf --homedir "$W/state/gnupg" --reload gpg-agent
}

# smime_sign CSR OUT ADDR USAGE DATES... - the CA signs a request
smime_sign() {
	local csr=$1 out=$2 addr=$3 usage=$4
	shift 4
	printf 'subjectAltName=email:%s\nkeyUsage=critical,%s\nextendedKeyUsage=emailProtection\n' \
	    "$addr" "$usage" > "$out.ext"
	openssl ca -batch -config "$W/ca/ca.cnf" -cert "$W/ca/ca.pem" \
	    -keyfile "$W/ca/ca.key" -in "$csr" -out "$out" -extfile "$out.ext" \
	    -notext "$@" >/dev/null 2>&1
}

smime_list() { LIST_CERT=$(smime_daemon_cert list "Pre-disclosure list" predisclosure@lists.example.org); }

# smime_daemon_cert NAME CN ADDR: a certificate of the daemon's own (the
# list's, the discussion list's), its key made by gpgsm in the daemon's
# home as the daemon's user, without a passphrase, signed by the test CA
# ($W/ca/NAME.pem); prints its pin
smime_daemon_cert() {
	local name=$1 cn=$2 addr=$3
	printf 'Key-Type: RSA\nKey-Length: 2048\nKey-Usage: sign, encrypt\nName-DN: CN=%s\nName-Email: %s\n' \
	    "$cn" "$addr" > "$W/ca/$name.gen"
	chmod 0644 "$W/ca/$name.gen"
	smime_gpgsm --pinentry-mode loopback --passphrase '' --gen-key \
	    "$W/ca/$name.gen" 2>/dev/null > "$W/ca/$name.csr"
	openssl req -inform DER -in "$W/ca/$name.csr" -out "$W/ca/$name.csr.pem"
	smime_sign "$W/ca/$name.csr.pem" "$W/ca/$name.pem" \
	    "$addr" digitalSignature,keyEncipherment -days 365
	smime_gpgsm --import "$W/ca/$name.pem" 2>/dev/null
	smime_pin "$W/ca/$name.pem"
}

smime_member() {
	local name=$1 addr=$2 newkey=${3:-rsa:2048} usage=digitalSignature,keyEncipherment
	shift $(( $# < 3 ? $# : 3 ))
	[ $# = 0 ] && set -- -days 365
	case $newkey in ec*) usage=digitalSignature,keyAgreement ;; esac
	# shellcheck disable=SC2086 # newkey is an option and its arguments
	openssl req -new -newkey $newkey -nodes -keyout "$W/ca/$name.key" \
	    -subj "/CN=$name" -out "$W/ca/$name.csr" 2>/dev/null
	smime_sign "$W/ca/$name.csr" "$W/ca/$name.pem" "$addr" "$usage" "$@"
	smime_gpgsm --import "$W/ca/$name.pem" 2>/dev/null
	smime_pin "$W/ca/$name.pem"
}
