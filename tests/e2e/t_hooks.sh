#!/bin/bash
# t_hooks - release hooks (SPEC 6, release_hook), with real git and the
# two hooks the README shows (conf/hooks/publish-fix, publish-page).
# Phase 1: the real XSA-355 under embargo; before its date the bare
# "public" repository lacks the fix commit, within 2 s after it has it;
# the page hook writes the advisory's text and its real patch; a hook
# that fails twice then succeeds leaves two hook-failed and one hook-run,
# and the team is told of the first failure.  Phase 2: a kill -9 of the
# daemon while a hook runs: the hook dies with it, and runs again whole
# after the restart (at least once).
. "$(dirname "$0")/lib.sh"
e2e_start --keys 1
ctl() { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
H=$W/hooks
mkdir -p "$H" "$W/www" "$W/flaky" "$W/out"
install -m 0755 "$TOP/conf/hooks/publish-fix" "$TOP/conf/hooks/publish-page" "$H/"
# flaky: fails on its first two runs, then succeeds (its count kept aside)
cat > "$H/flaky" <<'EOF'
#!/bin/sh
n=$(( $(cat "$1/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$1/count"
[ "$n" -gt 2 ] || { echo "flaky: run $n fails on purpose" >&2; exit 3; }
echo "flaky: run $n of $EMBARGO_ADVISORY succeeds"
EOF
# broken: always fails
printf '#!/bin/sh\necho "broken: no such remote" >&2\nexit 1\n' > "$H/broken"
# slow: takes 4 s, then says it ran to its end
cat > "$H/slow" <<'EOF'
#!/bin/sh
sleep 4
echo "$EMBARGO_ADVISORY $EMBARGO_REVISION $EMBARGO_DATE" >> "$1/slow.log"
EOF
chmod 0755 "$H/flaky" "$H/slow" "$H/broken"

# The team's private repository: a base commit public already, and the
# fix (the real xsa355.patch) on branch xsa355, tagged, not yet public.
G=$W/git
mkdir -p "$G"
git init -q -b main "$G/private"
gitc() { git -C "$G/private" -c user.name="Security Team" -c user.email=security@example.org "$@"; }
echo "base" > "$G/private/README"
gitc add README && gitc commit -q -m "base"
git clone -q --bare "$G/private" "$G/public.git"
gitc remote add public "$G/public.git"
gitc checkout -q -b xsa355
mailpy part "$TOP/tests/data/xsa355.eml" xsa355.patch > "$W/xsa355.patch"
cp "$W/xsa355.patch" "$G/private/"
gitc add xsa355.patch && gitc commit -q -m "x86: XSA-355 fix"
gitc tag xsa355
gitc checkout -q main
FIX=$(git -C "$G/private" rev-parse refs/heads/xsa355)
chown -R nobody "$G" "$W/www" "$W/flaky" "$W/out"

cat >> "$W/milter.conf" <<EOF
release_hook "publish-fix" {
  command = { "$H/publish-fix", "$G/private", "public" }
  timeout = "60s"
}
release_hook "publish-page" {
  command = { "$H/publish-page", "$W/www" }
}
release_hook "flaky" {
  command = { "$H/flaky", "$W/flaky" }
  timeout = "10s"
}
release_hook "broken" {
  command = { "$H/broken" }
}
EOF
check "embargoctl check accepts the release_hook blocks" bash -c "'$CTL_BIN' -c '$W/milter.conf' check > '$W/check.out' 2>&1"
milter_stop
milter_start

E=$(( $(date +%s) + 12 ))
when=$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')
real_post "$TOP/tests/data/xsa355.eml" "$when" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-355 is registered under embargo until $when (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "before the date, no hook has run (embargoctl hooks: none)" test "$(ctl hooks | wc -l)" = 1
# The repositories are the daemon's user's: root's git reads them too.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
rem=""
for _ in $(seq 1 50); do rem=$(newest_with security@example.org "Reminder: XSA-355") && break; sleep 0.1; done
check "the reminder says that at the date only the release hooks run" \
    grep -qx "No public posting is held for XSA-355: at $when only the release hooks run (4: publish-fix, ...)." <(mailpy text "$rem" 2>/dev/null | head -n 1)
pub() { git -C "$G/public.git" rev-parse -q --verify refs/heads/xsa355 2>/dev/null; }
while [ "$(date +%s)" -lt $((E - 1)) ]; do sleep 0.2; done
check "one second before the date, the public repository lacks the fix" bash -c "! git -C '$G/public.git' rev-parse -q --verify refs/heads/xsa355"
at=""
while [ "$(date +%s)" -lt $((E + 10)) ]; do
	if [ "$(pub)" = "$FIX" ]; then at=$(date +%s.%N); break; fi
	sleep 0.05
done
late=$(python3 -c "print('%.2f' % (${at:-0} - $E))")
echo "# the fix reached the public repository $late s after the date"
check "within 2 s after the date the public repository has the fix commit ($late s)" \
    python3 -c "import sys; sys.exit(0 if 0 <= ${at:-0} - $E <= 2 else 1)"
check "... and the tag" test "$(git -C "$G/public.git" rev-parse -q --verify refs/tags/xsa355)" = "$FIX"
for _ in $(seq 1 100); do [ -f "$W/www/xsa355/index.html" ] && break; sleep 0.1; done
check "the page hook wrote the advisory's page" test -f "$W/www/xsa355/index.html"
check "... its text is the advisory as posted (signed)" cmp -s "$W/www/xsa355/xsa355.txt" "$W/msg.asc"
check "... the real patch beside it, byte for byte" cmp -s "$W/www/xsa355/xsa355.patch" "$W/xsa355.patch"
check "... readable by the web server (mode 0644)" test "$(stat -c %a "$W/www/xsa355/xsa355.patch")" = 644
check "... linked from the page" grep -q '<a href="xsa355.patch">' "$W/www/xsa355/index.html"
check "... and the title line escaped in it" grep -q "XSA-355" "$W/www/xsa355/index.html"
# flaky: run 1 fails, backoff 2 s, run 2 fails, backoff 4 s, run 3 succeeds
for _ in $(seq 1 200); do ctl hooks | grep -q 'flaky .* done' && break; sleep 0.1; done
ctl hooks > "$W/hooks.1"
sed 's/^/# /' "$W/hooks.1"
check "embargoctl hooks: three runs done" test "$(grep -c ' done ' "$W/hooks.1")" = 3
ctl audit --advisory XSA-355 > "$W/audit.1"
seq_of() { grep '"event":"hook-' "$W/audit.1" | grep "release_hook \\\\\"$1\\\\\"" | sed 's/.*"event":"\([a-z-]*\)".*/\1/' | tr '\n' ' '; }
check "flaky: two hook-failed, then one hook-run ($(seq_of flaky))" test "$(seq_of flaky)" = "hook-queued hook-failed hook-failed hook-run "
check "... the failure's exit status and output in the audit" grep -q 'flaky\\": exit 3; output: flaky: run 1 fails on purpose' "$W/audit.1"
check "publish-fix: one hook-run ($(seq_of publish-fix))" test "$(seq_of publish-fix)" = "hook-queued hook-run "
check "the audit says XSA-355 became public with 4 hooks" grep -q '"event":"made-public".*4 release hooks queued' "$W/audit.1"
fail_note=$(newest_with security@example.org "Release hook flaky failed for XSA-355")
check "the team is told of the first failure" test -n "$fail_note"
check "... once (no notice for the second failure)" test "$(mailpy count "Release hook flaky failed for XSA-355" "$(maildir security@example.org)" | cut -d' ' -f1)" = 1
# "broken" is still retrying: its run's folder exists while it runs, so
# the folders are looked at between its runs.
hooks_empty() { test -z "$(ls -A "$W/state/hooks")"; }
check "the run folders are gone (state_dir/hooks is empty)" wait_for "$WAIT_MAX" hooks_empty
# broken: dropped after its second failure, then retried by hand
for _ in $(seq 1 100); do ctl hooks | grep -q 'broken .* retrying *[2-9] ' && break; sleep 0.1; done
bid=$(ctl hooks | awk '$2 == "broken" { print $1 }')
next_try=$(ctl --json hooks | /usr/bin/python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["hook"] == "broken": print(r["next_try"] or "")')
check "a hook that keeps failing is retried with backoff ($(ctl hooks | awk '$2 == "broken" { print $6 }') runs so far)" \
    bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks | grep -q 'broken .* retrying *[2-9] .*exit 1; output: broken: no such remote'"
check "embargoctl hooks drop ID" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks drop $bid | grep -q 'dropped by'"
runs=$(ctl hooks | awk '$2 == "broken" { print $6 }')
# A run that does not come leaves no event to wait for: wait on the clock
# until 2 s past the time the dropped run was next due (its next try,
# read before the drop), when it would have started.
if [ -n "$next_try" ]; then due=$(date -u -d "$next_try" +%s); else due=$(( $(date +%s) + 8 )); fi
past() { [ "$(date +%s)" -ge "$1" ]; }
wait_for 60 past $((due + 2))
check "... it is never run again (failed, still $runs runs)" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks | grep -q 'broken .* failed *$runs '"
check "embargoctl hooks retry ID runs it again" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks retry $bid >/dev/null"
for _ in $(seq 1 100); do ctl hooks | grep -q 'broken .* retrying *1 ' && break; sleep 0.1; done
check "... at once (1 run since the retry)" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks | grep -q 'broken .* retrying *1 '"
ctl hooks drop "$bid" > /dev/null
check "the audit has hook-dropped and hook-retry, with who" bash -c "'$CTL_BIN' -c '$W/milter.conf' audit --advisory XSA-355 | grep '\"event\":\"hook-retry\"' | grep -q 'due again by '"
check "embargoctl hooks retry ID runs a done run? no: only pending or failed ones" bash -c "! '$CTL_BIN' -c '$W/milter.conf' hooks retry $(awk '/publish-fix/ {print $1}' "$W/hooks.1") 2>/dev/null"

# Phase 2: kill -9 while a hook runs.
milter_stop
sed -i '/^release_hook/,$d' "$W/milter.conf"
cat >> "$W/milter.conf" <<EOF
release_hook "slow" {
  command = { "$H/slow", "$W/out" }
}
EOF
milter_start
E2=$(( $(date +%s) + 8 ))
when2=$(date -u -d "@$E2" '+%Y-%m-%d %H:%M:%S UTC')
real_post "$TOP/tests/data/xsa399.eml" "$when2" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-399 is registered under embargo until $when2 (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for _ in $(seq 1 200); do ctl hooks | grep -q 'slow .*XSA-399 .* running' && break; sleep 0.05; done
check "after the date the slow hook is running" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks | grep -q 'slow .*XSA-399 .* running'"
# The hook's process (its command line names the script), to see it go.
hook_seen() { pgrep -f -- "$H/slow" >/dev/null; }
wait_for "$WAIT_MAX" hook_seen
hook_pids=$(pgrep -f -- "$H/slow")
kill -9 "$(cat "$W/milter.pid")"
rm -f "$W/milter.pid"
# The hook is killed with the daemon (its parent-death signal): once its
# processes are gone it can no longer write its log.
hook_gone() { local p; for p in $hook_pids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
check "killed with the daemon: the hook's processes ($(echo $hook_pids)) are gone" wait_for "$WAIT_MAX" hook_gone
check "killed with the daemon: the hook never finished its first run" test ! -s "$W/out/slow.log"
milter_start
wait_for "$WAIT_MAX" test -s "$W/out/slow.log"
# Done: the run is recorded as finished, so no other run follows.
hook_done() { ctl hooks | grep -q 'slow .*XSA-399 .* done '; }
wait_for "$WAIT_MAX" hook_done
check "after the restart it ran again to its end, once ($(cat "$W/out/slow.log" 2>/dev/null))" test "$(wc -l < "$W/out/slow.log")" = 1
check "... with the advisory, its revision (2: XSA-399 v2) and the date in its environment" grep -qx "XSA-399 2 $(date -u -d "@$E2" '+%Y-%m-%dT%H:%M:%SZ')" "$W/out/slow.log"
check "embargoctl hooks: done after 2 runs" bash -c "'$CTL_BIN' -c '$W/milter.conf' hooks | grep -q 'slow .*XSA-399 .* done *2 '"
check "the audit has one hook-run for it" test "$(ctl audit --advisory XSA-399 | grep -c '"event":"hook-run"')" = 1
e2e_finish
