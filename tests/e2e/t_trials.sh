#!/bin/bash
# t_trials - crash trials (SPEC 6): an advisory fanned out to many members
# and five held postings released at its date, while the milter is killed
# with SIGKILL at random instants across the whole path (reading, deciding,
# inside the LMDB commit, between the commit and the MTA's answer, while
# copies are built and sent, at the release) and restarted each time.  The
# senders retry as their MTAs would (same message).  At the end: every
# member has its copy, two copies only under one Message-ID with the resend
# audited, every held posting went out once to each list (or resent under
# its Message-ID, audited), the outbox is empty and the audit chain holds.
#
# TRIAL_KILLS (default 30) and TRIAL_MEMBERS (default 50 in make check, to
# keep it under 20 minutes: a restart reads every member's key); make
# trials N=... runs N kills with 100 members.
. "$(dirname "$0")/lib.sh"
KILLS=${TRIAL_KILLS:-30}
NM=${TRIAL_MEMBERS:-50}
e2e_start --keys 0
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }

# Members: keys made in one keyring (fast), each pinned in the config.
MH=$W/members-gnupg
mkdir -p -m 0700 "$MH"
for i in $(seq 1 "$NM"); do
	gpg --homedir "$MH" --batch -q --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key "Member $i <security@m$i.example>" future-default default never 2>/dev/null
done
gpg --homedir "$MH" --with-colons --list-keys | awk -F: '/^fpr/ && !s { f = $10; s = 1 } /^uid/ && s { match($10, /<[^>]*>/); print f, substr($10, RSTART + 1, RLENGTH - 2); s = 0 }' > "$W/members.txt"
gpg --homedir "$MH" --export | list_gpg --import 2>/dev/null
while read -r fpr addr; do
	printf 'member "%s" {\n  address = "%s"\n  key = "%s"\n}\n' "$addr" "$addr" "$fpr"
done < "$W/members.txt" >> "$W/milter.conf"
check "$NM member keys made and pinned" test "$(wc -l < "$W/members.txt")" = "$NM"
milter_stop
milter_start || exit 1

# The posts, composed before the trials begin.
# The date leaves time for composing and posting under load.
T0=$(date +%s)
E=$((T0 + ${TRIAL_WINDOW:-60}))
when=$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')
{ echo "From: security@example.org"; echo "To: predisclosure@lists.example.org"
  echo "Subject: Xen Security Advisory 900 v1 - trial"; echo
  echo "            Xen Security Advisory XSA-900"; echo "                               version 1"; echo
  echo "*** EMBARGOED UNTIL $when ***"; echo
  echo "A crash trial advisory whose copies must all arrive exactly once."; } > "$W/d900"
mutt_post "$W/p900.eml" "$W/d900" "$LIST_FPR" || exit 1
for k in 1 2 3 4 5; do
	{ echo "From: security@example.org"; echo "To: announce@lists.example.org, oss-security@lists.example.net"
	  echo "Subject: Xen Security Advisory 900 - public posting $k"; echo
	  echo "XSA-900 posting $k goes public at $when."; } > "$W/pub$k"
	mutt_post "$W/pub$k.eml" "$W/pub$k" none || exit 1
done

# The killer: each kill comes a random 0.2 to 3 s after the milter is up
# again (a restart reads every member's key: seconds with 100 members),
# so every kill lands in work: reading a post, a commit, a fan-out, a
# release.  Each a SIGKILL, then a restart.
(
	for i in $(seq 1 "$KILLS"); do
		wait_port "$MILTER_PORT" 60
		sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + r % 2800 / 1000 }')"
		pid=$(cat "$W/milter.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && echo "kill $i at $(date +%s.%N)" >> "$W/kills"
		# Restarted as an init system would: until it runs (the port
		# may still be held by the dying process for a moment).
		for try in $(seq 1 20); do
			"$MILTER_BIN" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
			echo $! > "$W/milter.pid"
			sleep 0.3
			kill -0 "$(cat "$W/milter.pid")" 2>/dev/null && break
		done
	done
) &
KILLER=$!

# send_until_ok FILE FROM TO...: as the sender's MTA, retry until 250
send_until_ok() {
	local f=$1 i; shift
	for i in $(seq 1 600); do
		cp "$f" "$W/msg"
		send "$@"
		[ "$SWAKS_RC" = 0 ] && return 0
		sleep 0.5
	done
	return 1
}
check "the post reached the milter's 250, retried as an MTA would" \
    send_until_ok "$W/p900.eml" security@example.org predisclosure@lists.example.org
for k in 1 2 3 4 5; do
	check "public posting $k accepted (held)" send_until_ok "$W/pub$k.eml" security@example.org \
	    announce@lists.example.org oss-security@lists.example.net
done
wait "$KILLER"
check "the milter was killed $KILLS times ($(wc -l < "$W/kills" 2>/dev/null || echo 0) while running)" test -s "$W/kills"
kill -0 "$(cat "$W/milter.pid")" 2>/dev/null || milter_start

# Let everything settle: the outbox empties, the queue drains.
for i in $(seq 1 240); do
	[ "$(ctl --json outbox | wc -l)" = 0 ] && [ "$(date +%s)" -gt $((E + 2)) ] && break
	sleep 0.5
done
settled	# nothing queued (the loop above saw the outbox empty), the queue delivered
check "the outbox is empty" test "$(ctl --json outbox | wc -l)" = 0

# Every member: its copy, and any second one under the same Message-ID.
missing=0 split=0 dups=0
while read -r fpr addr; do
	files=$(find "$(maildir "$addr")/new" -type f 2>/dev/null)
	n=$(echo "$files" | grep -c .)
	[ "$n" -ge 1 ] || missing=$((missing + 1))
	ids=$(for f in $files; do mailpy header "$f" Message-ID; done | sort -u | wc -l)
	[ "$n" -ge 1 ] && [ "$ids" != 1 ] && split=$((split + 1))
	[ "$n" -gt 1 ] && dups=$((dups + n - 1))
done < "$W/members.txt"
resends=$(ctl audit --advisory XSA-900 | grep '"event":"copy-delivered"' | grep -c 'resend')
check "every one of the $NM members got its copy ($missing missing)" test "$missing" = 0
check "no member got two different copies ($split)" test "$split" = 0
check "duplicate copies ($dups) are no more than the audited resends ($resends)" test "$dups" -le "$resends"

# Every held posting: once on each list, at or after the date.
for l in announce@lists.example.org oss-security@lists.example.net; do
	n=$(delivered "$l")
	ids=$(for f in $(find "$(maildir "$l")/new" -type f); do mailpy header "$f" Subject; done | sort -u | wc -l)
	check "$l got the 5 postings ($ids distinct, $n delivered)" test "$ids" = 5
	first=$(find "$(maildir "$l")/new" -type f -printf '%T@\n' | sort -n | head -n 1)
	check "$l got nothing before the date" awk -v a="$first" -v e="$E" 'BEGIN { exit !(a != "" && a >= e) }'
done
[ "$(delivered announce@lists.example.org)" = 5 ] || { echo "# holds:"; ctl held | sed 's/^/#   /'; ctl advisories | sed 's/^/#   /'; }
rel_resends=$(ctl audit | grep '"event":"release-delivered"' | grep -c resend)
total=$(( $(delivered announce@lists.example.org) + $(delivered oss-security@lists.example.net) ))
check "released postings doubled ($((total - 10))) no more than audited resends ($rel_resends)" test $((total - 10)) -le "$rel_resends"
post_resends=$(ctl audit | grep -c 'a resend of a message already')
echo "# $(wc -l < "$W/kills") kills; $post_resends resends of a post or posting recognised; $resends copy and $rel_resends release resends from the SMTP window"
check "audit chain verifies after $(wc -l < "$W/kills") kills" ctl audit verify
e2e_finish
