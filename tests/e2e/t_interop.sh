#!/bin/bash
# t_interop - every copy reads in every member's client, whatever made the
# member's key (SPEC 5, "What members' tools read"): four members whose
# keys four tools made (tests/data/keys: Debian's gpg 2.2, Debian's gpg
# 2.4, an upstream GnuPG 2.4 whose key advertises AEAD, Sequoia's sq as a
# v4 key) get one advisory each; each copy's outer packets are read by a
# parser of our own (one version 3 PKESK, one version 1 SEIPD: nothing a
# reader might not know), and the copy is decrypted and its list
# signature verified by gpg, by Sequoia's sq and by Thunderbird, all as
# this Debian release ships them.  Run on bookworm by make check and on
# trixie by make trixie; the last lines are the matrix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/thunderbird.sh"
KINDS=(gpg22 gpg24 aead sq)
declare -A KFPR KADDR KHOME MATRIX
KEYDIR=$TOP/tests/data/keys

# The members' keys, from the files their tools wrote: each member's own
# keyring holds its secret key; the list is given the public part.
interop_keys() {
	local k
	for k in "${KINDS[@]}"; do
		KHOME[$k]=$W/m-$k
		mkdir -p -m 0700 "${KHOME[$k]}"
		GNUPG_HOMES+=("${KHOME[$k]}")
		gpg --homedir "${KHOME[$k]}" --batch -q --import "$KEYDIR/member-$k.key" 2>/dev/null
		KFPR[$k]=$(gpg --homedir "${KHOME[$k]}" --with-colons -K | awk -F: '/^fpr/ { print $10; exit }')
		KADDR[$k]=security@$k.example
		gpg --homedir "${KHOME[$k]}" --export "${KFPR[$k]}" | list_gpg --import 2>/dev/null
		EXTRA_MEMBERS+="member \"$k\" {
  address = \"${KADDR[$k]}\"
  key = \"${KFPR[$k]}\"
}
"
	done
}
KEYS_HOOK=interop_keys
e2e_start --keys 0
for k in "${KINDS[@]}"; do
	list_gpg --export "$LIST_FPR" | gpg --homedir "${KHOME[$k]}" --batch -q --import 2>/dev/null
	check "member $k: key ${KFPR[$k]} taken by the list" test -n "${KFPR[$k]}"
done
gpg_v=$(gpg --version | head -n 1 | awk '{ print $3 }')
sq_v=$({ sq version 2>&1 || sq --version; } | awk '/^sq / { print $2; exit }')
tb_v=$(thunderbird --version 2>/dev/null | awk '{ print $NF }')
echo "# Debian $(cat /etc/debian_version): gpg $gpg_v, sq $sq_v, Thunderbird $tb_v"

# One advisory, posted as the team posts: signed, encrypted to the list.
when=$(utc_in 86400)
subject='Xen Security Advisory 410 v1 - grant table leak'
cat > "$W/d1" <<ADV
From: security@example.org
To: predisclosure@lists.example.org
Subject: $subject

            Xen Security Advisory CVE-2026-41001 / XSA-410
                               version 1

                        grant table leak

*** EMBARGOED UNTIL $when ***

ISSUE DESCRIPTION
=================

A grant table entry is released twice when a mapping fails half way;
a guest can make the hypervisor use freed memory.
ADV
mutt_post "$W/post.eml" "$W/d1" "$LIST_FPR"
cp "$W/post.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "the post is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0

mark() { MATRIX[$1,$2]=$3; }
for k in "${KINDS[@]}"; do
	check "member $k got its copy" wait_delivered "${KADDR[$k]}" 1 30
	f=$(find "$(maildir "${KADDR[$k]}")/new" -type f | head -n 1)
	cp "$f" "$W/$k.eml" 2>/dev/null
	mailpy payload "$W/$k.eml" > "$W/$k.asc"
	/usr/bin/python3 "$TOP/tests/e2e/packets.py" "$W/$k.asc" > "$W/$k.packets"
	check "member $k: the copy is PKESK v3 + SEIPD v1 ($(paste -sd, "$W/$k.packets"))" \
	    /usr/bin/python3 "$TOP/tests/e2e/packets.py" "$W/$k.asc"
	# gpg: decrypts, the list's signature covers the whole, no defect.
	if mailpy decrypt "$W/$k.eml" "${KHOME[$k]}" "$W/$k-gpg" >/dev/null &&
	    grep -q "VALIDSIG.* $LIST_FPR\$" "$W/$k-gpg.status" &&
	    mailpy text "$W/$k-gpg.inner" | grep -q 'A grant table entry is released twice'; then
		mark "$k" gpg ok; ok "member $k: gpg $gpg_v decrypts, good list signature"
	else
		mark "$k" gpg FAIL; not_ok "member $k: gpg $gpg_v decrypts, good list signature"
	fi
	# Sequoia: the member's secret key and the list's certificate as files.
	gpg --homedir "${KHOME[$k]}" --batch --armor --export-secret-keys "${KFPR[$k]}" > "$W/$k.sec"
	gpg --homedir "${KHOME[$k]}" --armor --export "$LIST_FPR" > "$W/list.pub"
	case $sq_v in
	0.*) sqa=(--recipient-key "$W/$k.sec" --signer-cert "$W/list.pub") ;;
	*)   sqa=(--recipient-file "$W/$k.sec" --signer-file "$W/list.pub") ;;
	esac
	if SEQUOIA_HOME=$W/sq-home sq decrypt "${sqa[@]}" --output "$W/$k-sq.inner" "$W/$k.asc" \
	    > "$W/$k-sq.log" 2>&1 && mailpy check "$W/$k-sq.inner" >/dev/null &&
	    mailpy text "$W/$k-sq.inner" | grep -q 'A grant table entry is released twice'; then
		mark "$k" sq ok; ok "member $k: sq $sq_v decrypts, good list signature"
	else
		mark "$k" sq FAIL; not_ok "member $k: sq $sq_v decrypts, good list signature"
		sed 's/^/#   sq: /' "$W/$k-sq.log" | head -n 5
	fi
done

# Thunderbird: one profile holding every member's secret key (RNP decrypts
# with whichever the copy names), each copy opened, its panel read.
trap 'tb_cleanup; e2e_cleanup' EXIT
list_kid=${LIST_FPR: -16}
tb_home=$W/tb-keys
mkdir -p -m 0700 "$tb_home"
GNUPG_HOMES+=("$tb_home")
for k in "${KINDS[@]}"; do
	gpg --homedir "$tb_home" --batch -q --import "$W/$k.sec" 2>/dev/null
done
gpg --homedir "$tb_home" --batch -q --import "$W/list.pub" 2>/dev/null
gpg --homedir "$TEAM_HOME" --export "$TEAM_FPR" | gpg --homedir "$tb_home" --batch -q --import 2>/dev/null
MEMBER_HOME[1]=$tb_home MEMBER_FPR[1]=${KFPR[gpg22]} MEMBER_ADDR[1]=${KADDR[gpg22]}
check "Xvfb runs for Thunderbird" tb_x
TB_MORE_KEYS="${KFPR[gpg24]} ${KFPR[aead]} ${KFPR[sq]}" \
    check "a Thunderbird profile with the four members' keys (first start repaired)" tb_profile 1 "$W/tb"
for k in "${KINDS[@]}"; do
	tb_read "$W/tb" "$W/$k.eml" "$W/tb-$k"
	echo "# Thunderbird, member $k: title '$(cat "$W/tb-$k.title" 2>/dev/null)'; panel:"
	grep -E 'Signature|Encrypted|Signer key|no OpenPGP' "$W/tb-$k.txt" 2>/dev/null | sed 's/^/#   | /'
	if grep -q 'Good Digital Signature' "$W/tb-$k.txt" 2>/dev/null &&
	    grep -q 'Message Is Encrypted' "$W/tb-$k.txt" &&
	    tb_signer_is "$W/tb-$k.txt" "$list_kid" "${TEAM_FPR: -16}" &&
	    [ "$(cat "$W/tb-$k.title")" = "$subject" ]; then
		mark "$k" tb ok; ok "member $k: Thunderbird $tb_v decrypts, Good Digital Signature by the list, the real Subject"
	else
		mark "$k" tb FAIL; not_ok "member $k: Thunderbird $tb_v decrypts, Good Digital Signature by the list, the real Subject"
	fi
done
tb_cleanup

echo "# matrix on Debian $(cat /etc/debian_version) (the list's gpg $gpg_v writes):"
printf '#   %-8s %-12s %-10s %-16s\n' key "gpg $gpg_v" "sq $sq_v" "Thunderbird $tb_v"
for k in "${KINDS[@]}"; do
	printf '#   %-8s %-12s %-10s %-16s\n' "$k" "${MATRIX[$k,gpg]}" "${MATRIX[$k,sq]}" "${MATRIX[$k,tb]}"
done
check "audit chain verifies" as_nobody "$CTL_BIN" -c "$W/milter.conf" audit verify
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
e2e_finish
