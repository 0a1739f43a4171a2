#!/bin/bash
# t_unreadable - SPEC 7 ("a record that cannot be read is never taken for
# one that is not there"), through the real daemon and Postfix: one
# advisory's registry record is rewritten in LMDB, while the daemon runs,
# with a layout this build does not read (tests/tools/mdb_rec: its layout
# version set to 99, as a newer embargo-milter or a damaged disk would
# leave it).  Under that fault the team's revision without its banner and
# an outsider's forward quoting the advisory are deferred (451), never
# passed; the embargo date passes and the held posting is not released, no
# release hook runs, the record is not rewritten, and the log names the
# database and the cure.  The record's bytes put back, everything goes on,
# once: the posting is released, each hook runs once, the forward passes.
# A second fault while the first hook runs: the hook runner runs nothing
# more until the record can be read again.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 1
ctl() { as_nobody "$CTL_BIN" -c "$W/milter.conf" "$@"; }
ID=XSA-950
# The tool, where the daemon's user can run it (the checkout may be 0700).
install -m 0755 "$TOP/build/asan/tests/mdb_rec" "$W/mdb_rec"
rec() { as_nobody "$W/mdb_rec" "$W/state" adv "$ID" "$@"; }
past() { [ "$(date +%s)" -ge "$1" ]; }

# Two release hooks, run one after another: "gate" says it started, then
# waits for the test to open it (the file open); "mark" says it ran.
H=$W/hooks
mkdir -p "$H" "$W/out"
cat > "$H/gate" <<'EOF'
#!/bin/sh
echo "$EMBARGO_ADVISORY $EMBARGO_REVISION" >> "$1/gate.log"
i=0
while [ ! -e "$1/open" ] && [ "$i" -lt 1500 ]; do sleep 0.1; i=$((i + 1)); done
EOF
printf '#!/bin/sh\necho "$EMBARGO_ADVISORY $EMBARGO_REVISION" >> "$1/mark.log"\n' > "$H/mark"
chmod 0755 "$H/gate" "$H/mark"
chown nobody "$W/out"
cat >> "$W/milter.conf" <<EOF
release_hook "gate" {
  command = { "$H/gate", "$W/out" }
  timeout = "200s"
}
release_hook "mark" {
  command = { "$H/mark", "$W/out" }
}
EOF
milter_stop
milter_start || exit 1

advisory() {	# advisory REVISION [WHEN]: the advisory's text, its banner if WHEN
	cat <<ADV
            Xen Security Advisory CVE-2026-950 / $ID
                               version $1

        event channel teardown race lets a guest free a live port

ADV
	[ -n "${2:-}" ] && printf '*** EMBARGOED UNTIL %s ***\n\n' "$2"
	cat <<'ADV'
ISSUE DESCRIPTION
=================

When a guest closes an event channel while another of its vCPUs binds
the same port to a virtual interrupt, the bucket holding the port is
released before the binding drops its reference, so the hypervisor keeps
a pointer into memory that the next allocation hands to someone else.

IMPACT
======

A malicious guest kernel can corrupt hypervisor memory, leading to a
crash of the host or to privilege escalation.
ADV
}
mkpost() {	# mkpost FILE TO SUBJECT REVISION [WHEN]: the team's draft
	{ echo "From: security@example.org"; echo "To: $2"; echo "Subject: $3"
	  echo; advisory "$4" "${5:-}"; } > "$1"
}

# 1. Registered under embargo (an hour ahead), the team's public posting
#    held and prepared; the two messages of the fault made now.
when=$(utc_in 3600)
mkpost "$W/d1" predisclosure@lists.example.org "Xen Security Advisory 950 v1" 1 "$when"
mutt_post "$W/p1.eml" "$W/d1" "$LIST_FPR" && cp "$W/p1.eml" "$W/msg" &&
    send security@example.org predisclosure@lists.example.org
check "$ID v1 is registered under embargo until $when (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
mkpost "$W/pub" announce@lists.example.org "Xen Security Advisory 950 v1" 1
mutt_post "$W/pp.eml" "$W/pub" none && cp "$W/pp.eml" "$W/msg" &&
    send security@example.org announce@lists.example.org
check "the team's public posting is held (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
prepared() { [ "$(ctl outbox | grep -cE "release +$ID .* built")" = 1 ]; }
check "... and prepared: its release waits built in the outbox" wait_for "$WAIT_MAX" prepared
# The team's revision 2 without its banner: with the record readable, a
# fan-out that keeps the date (dry-run 4).
mkpost "$W/d2" predisclosure@lists.example.org "Xen Security Advisory 950 v2" 2
mutt_post "$W/p2.eml" "$W/d2" "$LIST_FPR"
ctl dry-run --from security@example.org --to predisclosure@lists.example.org < "$W/p2.eml" > "$W/dry2.out" 2>&1
rc=$?
check "with the record readable, revision 2 without its banner would be fanned out (dry-run exit $rc)" test "$rc" = 4
advisory 1 | sed '1,/^$/d' > "$W/text"
{ echo "From: dev@vendor.example"; echo "To: friend@outsider.example"
  echo "Subject: Fwd: event channel issue"; echo
  echo "---------- Forwarded message ----------"; cat "$W/text"; } > "$W/fwd.eml"
ctl dry-run --from dev@vendor.example --to friend@outsider.example < "$W/fwd.eml" > /dev/null 2>&1
rc=$?
check "... and an outsider's forward of it refused (dry-run exit $rc)" test "$rc" = 1

# 2. The date moved 16 s ahead, then the record made unreadable at once.
E=$(( $(date +%s) + 16 ))
ctl embargo "$ID" --until "$(date -u -d "@$E" '+%Y-%m-%dT%H:%M:%SZ')" > "$W/emb.out" 2>&1
check "the date moved to $(date -u -d "@$E" '+%H:%M:%S') UTC: $(head -n 1 "$W/emb.out")" grep -q 'moved from' "$W/emb.out"
m=$(log_mark)
rec layout 99 > "$W/adv.orig"
check "the record of $ID rewritten with layout version 99 ($(stat -c %s "$W/adv.orig") bytes kept)" test -s "$W/adv.orig"
{ printf '\143\000\000\000'; tail -c +5 "$W/adv.orig"; } > "$W/adv.bad"
rec get > "$W/adv.now"
check "... the state holds it so (read back)" cmp -s "$W/adv.now" "$W/adv.bad"

# 3. Under the fault.
ctl advisory "$ID" > "$W/adv.out" 2>&1
rc=$?
check "embargoctl advisory $ID: exit 2, naming the database ($(head -c 90 "$W/adv.out"))" \
    bash -c "[ $rc = 2 ] && grep -q \"database 'adv'\" '$W/adv.out'"
ctl embargo "$ID" --now > "$W/now.out" 2>&1
rc=$?
check "embargoctl embargo $ID --now is refused (exit $rc), it lifts nothing" test "$rc" = 2
cp "$W/p2.eml" "$W/msg"
send security@example.org predisclosure@lists.example.org
r=$(reply)
check "the team's revision 2 without its banner is deferred: $r" grep -q '^451 4\.3\.0 .*registry' <<<"$r"
check "... and the log names the database and the cure for it" \
    log_has "451 4\\.3\\.0 .*database 'adv'.*restore state_dir from its backup" "$m"
cp "$W/fwd.eml" "$W/msg"
send dev@vendor.example friend@outsider.example
r=$(reply)
check "an outsider's forward quoting $ID is deferred, never passed (rc $SWAKS_RC): $r" \
    grep -q '^451 4\.3\.0 ' <<<"$r"
check "... and nothing reached the outsider" test "$(delivered friend@outsider.example)" = 0
# The date passes: the release timer scans after it, meets the fault and
# says so; then the clock is polled to 12 s past the date (a release, its
# hooks, its public text's filing would all have come by then: no event
# marks a release that rightly does not come).
wait_for 60 past "$E"
m2=$(log_mark)
check "after the date the release timer meets the fault and says so" \
    wait_log "release timer: the state cannot be read, nothing released or run: .*database 'adv'" "$m2" 40
wait_for 60 past $((E + 12))
queue_settled
check "12 s after the date the held posting is not released" test "$(delivered announce@lists.example.org)" = 0
check "... no release hook ran (no output)" test ! -e "$W/out/gate.log" -a ! -e "$W/out/mark.log"
# The prepared release waits, and the delivery workers back off on it
# (1 s doubling): a few lines in these 12 s, never one per worker per scan.
nw=$(log_since "$m2" | grep -c "outbox [0-9]*: .*database 'adv'.*tried again in [0-9]* s")
check "... the delivery workers say why the release waits, backing off ($nw lines in 12 s)" \
    test "$nw" -ge 1 -a "$nw" -le 6
ctl audit --advisory "$ID" > "$W/audit.1"
check "... the audit has no made-public, released or hook record" \
    bash -c "! grep -qE '\"event\":\"(made-public|public-unannounced|released|hook-[a-z]*)\"' '$W/audit.1'"
rec get > "$W/adv.now"
check "... the record is not rewritten (as public or anything else)" cmp -s "$W/adv.now" "$W/adv.bad"
log_since "$m" | grep -E "database 'adv'" | sort -u -t: -k4 | head -n 3 | cut -c1-300 | sed 's/^/#   log: /'
check "the log names the database, the layout and the cure" \
    log_has "release timer: .*database 'adv' has $(stat -c %s "$W/adv.bad") bytes and layout version 99.*restore state_dir from its backup" "$m"

# 4. The record's bytes back: everything goes on, once.
rec put < "$W/adv.orig" > "$W/adv.seen"
check "the record's bytes put back (what they replaced was still the fault's)" cmp -s "$W/adv.seen" "$W/adv.bad"
wait_delivered announce@lists.example.org 1 60
check "the held posting is released" test "$(delivered announce@lists.example.org)" = 1
rel=$(find "$(maildir announce@lists.example.org)/new" -type f | head -n 1)
check "... the team's posting, its Subject as written" \
    test "$(mailpy header "$rel" Subject 2>/dev/null)" = "$(mailpy header "$W/pp.eml" Subject)"
check "the first release hook runs" wait_for "$WAIT_MAX" test -s "$W/out/gate.log"
cp "$W/fwd.eml" "$W/msg"
send dev@vendor.example friend@outsider.example
check "an outsider's forward after the publication passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0

# 5. Unreadable again while the first hook runs: the hook runner runs
#    nothing more, and says why, until the record can be read.
m=$(log_mark)
rec layout 99 > "$W/adv.orig2"
{ printf '\143\000\000\000'; tail -c +5 "$W/adv.orig2"; } > "$W/adv.bad2"
touch "$W/out/open"
runner_faults() { [ "$(log_since "$m" | grep -c "release hooks: nothing run: .*database 'adv'")" -ge 2 ]; }
check "the hook runner meets the fault, says so, and backs off (twice)" wait_for 60 runner_faults
check "... the second hook has not run" test ! -e "$W/out/mark.log"
check "... the first ran once" test "$(wc -l < "$W/out/gate.log")" = 1
rec put < "$W/adv.orig2" > "$W/adv.seen2"
check "the record's bytes put back again (not rewritten meanwhile)" cmp -s "$W/adv.seen2" "$W/adv.bad2"
check "the second hook runs" wait_for 60 test -s "$W/out/mark.log"
settled
hooks_done() { [ "$(ctl hooks | grep -cE " $ID .* done ")" = 2 ]; }
wait_for "$WAIT_MAX" hooks_done
ctl hooks | sed 's/^/# /'
check "every release hook ran once: gate $(cat "$W/out/gate.log" | tr '\n' ' ')mark $(cat "$W/out/mark.log" | tr '\n' ' ')" \
    test "$(cat "$W/out/gate.log" "$W/out/mark.log")" = "$ID 1
$ID 1"
ctl audit --advisory "$ID" > "$W/audit.2"
check "the audit has one made-public, one released, and one hook-run per hook" \
    test "$(grep -cE '"event":"made-public"' "$W/audit.2") $(grep -cE '"event":"released"' "$W/audit.2") $(grep -c '"event":"hook-run"' "$W/audit.2")" = "1 1 2"
check "the posting reached the public list once" test "$(delivered announce@lists.example.org)" = 1
check "no sanitizer report in the milter log" bash -c "! grep -q 'Sanitizer' '$W/milter.log'"
check "audit verify passes" ctl audit verify
e2e_finish
