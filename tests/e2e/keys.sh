#!/bin/bash
# keys.sh - OpenPGP keys made at test time, and a mail client (mutt) to post.
#
# gen_key HOME UID [ALGO] [EXPIRE]   make a key without passphrase; prints its fingerprint
# as_nobody CMD...                   run as the daemon's user (the list keyring is its own)
# list_gpg ARGS...                   gpg on the list keyring, as the daemon's user
# setup_keys N                       team, list and N members (member 1 rsa3072), and
#                                    $W/milter.conf naming them; sets TEAM_FPR LIST_FPR
#                                    MEMBER_FPR[i] MEMBER_ADDR[i] MEMBER_HOME[i]
# mutt_post OUT DRAFT [encrypt-to-fpr|none] [attachment] [sign-home]
#                                    compose and send DRAFT with mutt (PGP/MIME, signed by
#                                    the team key; encrypted unless "none"); the message
#                                    mutt hands to its sendmail lands in OUT.  With
#                                    MUTT_PROTECT=1 mutt protects the Subject as Thunderbird
#                                    does (outer Subject "...").  On a time-out the last
#                                    screen is printed as "#" lines.
# mutt_read OUT MAILDIR GNUPGHOME    open the newest message of MAILDIR in mutt (read-only,
#                                    gpgme, that keyring), as a member would; the pager's
#                                    screen text lands in OUT
# MUTT                               the mail client to run (default mutt)
# nested_copy OUT I ENTITY           a copy for member I with the list's signature
#                                    below the top (the form the tests' rule must fail)
# real_post SRC WHEN|- OUT [TO]      a real advisory mail (tests/data) as the team would post
#                                    it: its clearsigned text re-signed by the team key, an
#                                    EMBARGOED UNTIL WHEN line under the title ("-": none),
#                                    From the team, To TO (default the list); to OUT

as_nobody() { runuser -u nobody -- "$@"; }
list_gpg()  { as_nobody gpg --homedir "$W/state/gnupg" --batch -q "$@"; }

gen_key() {	# gen_key HOME UID [ALGO] [EXPIRE]
	local home=$1 uid=$2 algo=${3:-future-default} exp=${4:-never} usage=default
	mkdir -p -m 0700 "$home"
	GNUPG_HOMES+=("$home")
	# An RSA primary key only signs by default: let it encrypt too.
	case $algo in rsa*) usage=cert,sign,encr ;; esac
	gpg --homedir "$home" --batch -q --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key "$uid" "$algo" "$usage" "$exp" 2>/dev/null
	gpg --homedir "$home" --with-colons --list-keys "$uid" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'
}

setup_keys() {
	local n=$1 i members=""
	TEAM_HOME=$W/team-gnupg
	TEAM_FPR=$(gen_key "$TEAM_HOME" "Security Team <security@example.org>")
	OTHER_FPR=$(gen_key "$W/other-gnupg" "Mallory <security@example.org>")
	mkdir -p -m 0700 "$W/state/gnupg"
	chown nobody "$W/state" "$W/state/gnupg"
	GNUPG_HOMES+=("$W/state/gnupg")
	as_nobody gpg --homedir "$W/state/gnupg" --batch -q --pinentry-mode loopback \
	    --passphrase '' --quick-gen-key "Pre-disclosure list <predisclosure@lists.example.org>" \
	    future-default default never 2>/dev/null
	LIST_FPR=$(list_gpg --with-colons --list-keys predisclosure@lists.example.org 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
	gpg --homedir "$TEAM_HOME" --export "$TEAM_FPR" | list_gpg --import 2>/dev/null
	list_gpg --export "$LIST_FPR" | gpg --homedir "$TEAM_HOME" --batch -q --import 2>/dev/null
	gpg --homedir "$W/other-gnupg" --export "$OTHER_FPR" | list_gpg --import 2>/dev/null
	list_gpg --export "$LIST_FPR" | gpg --homedir "$W/other-gnupg" --batch -q --import 2>/dev/null
	MEMBER_FPR=(); MEMBER_ADDR=(); MEMBER_HOME=()
	for i in $(seq 1 "$n"); do
		MEMBER_ADDR[$i]="security@member$i.example"
		MEMBER_HOME[$i]=$W/member$i-gnupg
		MEMBER_FPR[$i]=$(gen_key "${MEMBER_HOME[$i]}" "Member $i <${MEMBER_ADDR[$i]}>" \
		    "$([ "$i" = 1 ] && echo rsa3072 || echo future-default)" \
		    "$([ "$i" = 2 ] && echo "${MEMBER2_EXPIRE:-never}" || echo never)")
		[ "$i" = 2 ] && MEMBER2_CREATED=$(date +%s)
		gpg --homedir "${MEMBER_HOME[$i]}" --export "${MEMBER_FPR[$i]}" | list_gpg --import 2>/dev/null
		list_gpg --export "$LIST_FPR" | gpg --homedir "${MEMBER_HOME[$i]}" --batch -q --import 2>/dev/null
		members+="member \"Member $i\" {
  address = \"${MEMBER_ADDR[$i]}\"
  key = \"${MEMBER_FPR[$i]}\"
}
"
	done
	# A test may add to the keyring and to the config first (smime.sh):
	# LIST_EXTRA lines in the list block, EXTRA_MEMBERS blocks.
	[ -z "${KEYS_HOOK:-}" ] || "$KEYS_HOOK"
	cat > "$W/milter.conf" <<CONF
socket = "inet:$MILTER_PORT@127.0.0.1"
state_dir = "$W/state"
gnupg_home = "$W/state/gnupg"
user = "nobody"
reader_program = "$W/embargo-reader"
reinject { host = "127.0.0.1"  port = $REINJECT_PORT }
team { addresses = { "security@example.org" }  keys = { "$TEAM_FPR" } ${TEAM_EXTRA:-} }
list predisclosure {
  address = "predisclosure@lists.example.org"
  key = "$LIST_FPR"
  outer_subject = "Embargoed security advisory"
${LIST_EXTRA:-}
}
$members
${EXTRA_MEMBERS:-}
public_lists = { "announce@lists.example.org", "oss-security@lists.example.net" }
${EXTRA_CONF:-}
CONF
	chgrp "$(id -gn nobody)" "$W/milter.conf"
	chmod 0640 "$W/milter.conf"
}

MUTT=${MUTT:-mutt}

# mutt_folders: muttrc lines that keep every folder mutt looks for inside
# the work folder, so that no "~/Mail does not exist. Create it?" prompt
# can appear, whatever the invoking user's home holds
mutt_folders() {
	mkdir -p "$W/mutt/Mail" "$W/mutt/tmp" "$W/mutt/hcache"
	touch "$W/mutt/inbox"
	cat <<MUTTRC
set folder="$W/mutt/Mail"
set spoolfile="$W/mutt/inbox"
set mbox="$W/mutt/mbox"
set record="$W/mutt/sent"
set postponed="$W/mutt/postponed"
set header_cache="$W/mutt/hcache"
set tmpdir="$W/mutt/tmp"
set alias_file="$W/mutt/aliases"
set history_file="$W/mutt/history"
MUTTRC
}

# screen_dump WHAT SCREEN: the last screen a driven program showed, as "#" lines
screen_dump() {
	echo "# $1; its last screen was:"
	sed -e 's/[[:space:]]*$//' -e '/^$/d' -e 's/^/#   | /' <<<"$2"
}

mutt_post() {	# mutt_post OUT DRAFT [ENCRYPT_FPR|none] [ATTACH] [SIGN_HOME]
	local out=$1 draft=$2 enc=${3:-$LIST_FPR} att=${4:-} home=${5:-$TEAM_HOME} sign_fpr
	grep -q 'EMBARGOED UNTIL' "$draft" && note_secret "$draft"
	sign_fpr=$(gpg --homedir "$home" --with-colons -K | awk -F: '/^fpr/ { print $10; exit }')
	rm -f "$out"
	printf '#!/bin/sh\ncat > "$1"\n' > "$W/capture.sh"
	chmod 0755 "$W/capture.sh"
	{ mutt_folders; cat <<MUTTRC
set crypt_use_gpgme=yes
set pgp_default_key=$sign_fpr
set pgp_sign_as=$sign_fpr
set crypt_autosign=yes
set crypt_autoencrypt=$([ "$enc" = none ] && echo no || echo yes)
set crypt_confirmhook=no
set pgp_self_encrypt=no
set copy=no
set editor="true"
set sendmail="$W/capture.sh $out"
set fast_reply=yes
set from="security@example.org"
set use_from=yes
set crypt_protected_headers_write=$([ "${MUTT_PROTECT:-0}" = 1 ] && echo yes || echo no)
crypt-hook . $([ "$enc" = none ] && echo "$LIST_FPR" || echo "$enc")
MUTTRC
	} > "$W/muttrc"
	local sock="em-mutt-$$"
	# A client that exits leaves its last words and its status on the screen.
	tmux -L "$sock" new-session -d -x 200 -y 50 \
	    "GNUPGHOME='$home' $MUTT -n -F '$W/muttrc' -H '$draft' ${att:+-a '$att'}; echo \"[$MUTT exited with status \$?]\"; sleep 60"
	# Answer the To: and Subject: prompts, then send from the compose screen.
	local screen sent=0
	for _ in $(seq 1 60); do
		[ -s "$out" ] && break
		screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null)
		grep -q "^\[$MUTT exited with status" <<<"$screen" && break
		if [ "$sent" = 0 ] && grep -q 'y:Send' <<<"$screen"; then
			tmux -L "$sock" send-keys y
			sent=1
		elif [ "$sent" = 0 ] && grep -qE '^(To|Subject): ' <<<"$screen"; then
			tmux -L "$sock" send-keys Enter
		fi
		sleep 0.25
	done
	screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null)
	sleep 0.3
	tmux -L "$sock" kill-server 2>/dev/null
	[ -s "$out" ] && return 0
	screen_dump "mutt_post: $MUTT handed over no message" "$screen"
	return 1
}

mutt_read() {	# mutt_read OUT MAILDIR GNUPGHOME (gpg, or gpgsm for S/MIME)
	local out=$1 dir=$2 home=$3 sock="em-mutt-read-$$" screen="" i
	{ mutt_folders; cat <<MUTTRC
set crypt_use_gpgme=yes
set crypt_verify_sig=yes
set crypt_protected_headers_read=yes
set pager_index_lines=0
set pager_stop=yes
set sort=date-received
set wait_key=no
set mark_old=no
set markers=no
set smart_wrap=no
ignore *
unignore from: to: reply-to: subject: date:
MUTTRC
	} > "$W/muttrc-read"
	tmux -L "$sock" new-session -d -x 120 -y 300 \
	    "GNUPGHOME='$home' $MUTT -n -R -F '$W/muttrc-read' -f '$dir'; echo \"[$MUTT exited with status \$?]\"; sleep 60"
	# The index first, then the newest message (the last line) opened.
	for i in $(seq 1 60); do
		screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null)
		grep -q -e 'q:Quit' -e "^\[$MUTT exited with status" <<<"$screen" && break
		sleep 0.25
	done
	tmux -L "$sock" send-keys End Enter
	for i in $(seq 1 80); do
		sleep 0.25
		screen=$(tmux -L "$sock" capture-pane -p -J 2>/dev/null)
		grep -q -e '-- End of PGP/MIME' -e '-- End of S/MIME' -e "^\[$MUTT exited with status" <<<"$screen" && break
		grep -q -- '(end)\|(all)' <<<"$screen" && [ "$i" -gt 8 ] && break
	done
	tmux -L "$sock" kill-server 2>/dev/null
	printf '%s\n' "$screen" > "$out"
	grep -q -e '-- End of PGP/MIME' -e '-- End of S/MIME' "$out" && return 0
	screen_dump "mutt_read: $MUTT showed no decrypted message" "$screen"
	return 1
}

real_post() {	# real_post SRC WHEN|- OUT [TO]
	local src=$1 when=$2 out=$3 to=${4:-predisclosure@lists.example.org}
	[ "$when" != - ] && note_secret "$out.txt"
	mailpy text "$src" 0 > "$out.signed"
	/usr/bin/python3 - "$out.signed" "$when" > "$out.txt" <<'PY'
import sys
text = open(sys.argv[1]).read()
body = text.split('\n\n', 1)[1].split('-----BEGIN PGP SIGNATURE-----')[0]
lines = [l[2:] if l.startswith('- ') else l for l in body.split('\n')]
out, blanks = [], 0
for l in lines:
    out.append(l)
    if l.strip() == '' and any(x.strip() for x in out[:-1]):
        blanks += 1
        # after the title block and the one-line title that follows it
        if blanks == 2 and sys.argv[2] != '-':
            out += ['*** EMBARGOED UNTIL %s ***' % sys.argv[2], '']
sys.stdout.write('\n'.join(out))
PY
	gpg --homedir "$TEAM_HOME" --batch -q --yes --clearsign -o "$out.asc" "$out.txt" 2>/dev/null
	/usr/bin/python3 - "$src" "$out.asc" "$to" > "$out" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
for h in ('To', 'CC', 'Cc', 'From'):
    del msg[h]
msg['From'] = 'Security Team <security@example.org>'
msg['To'] = sys.argv[3]
text = next(p for p in msg.walk() if p.get_content_type() == 'text/plain')
text.set_content(open(sys.argv[2]).read(), cte='7bit')
sys.stdout.buffer.write(msg.as_bytes(policy=email.policy.SMTP))
PY
}

# nested_copy OUT I ENTITY: a copy for member I in the form copies had
# before the list signed them whole: a note and protected headers beside a
# multipart/signed of ENTITY by the list key, encrypted to the member (a
# client such as Thunderbird shows no signature on it; the tests' rule
# must fail it too)
nested_copy() {
	local out=$1 i=$2 entity=$3
	sed 's/$/\r/' "$entity" > "$out.entity"
	list_gpg --armor --detach-sign < "$out.entity" > "$out.sig" 2>/dev/null
	{ printf 'Content-Type: multipart/mixed; boundary="m0"; protected-headers="v1"\r\n'
	  printf 'Subject: Xen Security Advisory 400 v1 - guest can crash the host\r\n\r\n'
	  printf -- '--m0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis copy was made for Member %s.\r\n' "$i"
	  printf -- '--m0\r\nContent-Type: multipart/signed; boundary="s0"; micalg=pgp-sha512;\r\n protocol="application/pgp-signature"\r\n\r\n'
	  printf -- '--s0\r\n'; cat "$out.entity"; printf '\r\n--s0\r\nContent-Type: application/pgp-signature\r\n\r\n'
	  sed 's/$/\r/' "$out.sig"; printf -- '--s0--\r\n--m0--\r\n'; } > "$out.inner"
	list_gpg --armor --trust-model always --encrypt -r "${MEMBER_FPR[$i]}" < "$out.inner" > "$out.asc" 2>/dev/null
	{ printf 'From: predisclosure@lists.example.org\nTo: %s\nSubject: Embargoed security advisory XSA-400\n' "${MEMBER_ADDR[$i]}"
	  printf 'MIME-Version: 1.0\nContent-Type: multipart/encrypted; boundary="e0";\n protocol="application/pgp-encrypted"\n\n'
	  printf -- '--e0\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e0\nContent-Type: application/octet-stream\n\n'
	  cat "$out.asc"; printf -- '\n--e0--\n'; } > "$out"
}
