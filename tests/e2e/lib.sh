#!/bin/bash
# lib.sh - end-to-end harness: a private Postfix on 127.0.0.1 and the milter.
#
# e2e_start       make $W (work folder), start Postfix (two smtpd: $SMTP_PORT
#                 with the milter, $REINJECT_PORT without) and the milter.
# milter_start / milter_stop    by PID, from $W/milter.pid
# send FROM TO... [-- swaks args]   sends $W/msg; sets $SWAKS_RC and $W/swaks.log
# delivered ADDR  the number of messages in ADDR's maildir
# wait_delivered ADDR N SECONDS   ... and every new one read by an independent
#                 MIME parser (mail.py, Python's email package): a defect fails it
# mailpy CMD ...  that reader: check, header, tree, text, payload, decrypt
# ok / not_ok / check   TAP lines; "# done" at the end (e2e_finish), after
#                 every delivered message has been read by the independent parser.
# Nothing reads or writes the invoking user's home: HOME and GNUPGHOME point
# into the work folder.  Everything started is stopped by PID on exit.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MILTER_BIN=${MILTER_BIN:-$TOP/build/asan/embargo-milter}
CTL_BIN=${CTL_BIN:-$TOP/build/asan/embargoctl}
READER_BIN=${READER_BIN:-$(dirname "$MILTER_BIN")/embargo-reader}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TESTS_RUN=0

ok()     { TESTS_RUN=$((TESTS_RUN + 1)); echo "ok $TESTS_RUN - $*"; }
not_ok() { TESTS_RUN=$((TESTS_RUN + 1)); echo "not ok $TESTS_RUN - $*"; }
# check NAME COMMAND... : ok when the command succeeds
check()  { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }

# free_port - a TCP port that, with the three after it, no socket uses in
# any state, from a range keyed by our PID below the kernel's ephemeral
# ports (a client's connection there took a test's port: Postfix could
# not bind it)
free_port() {
	local low span p
	low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${low:-0}" -gt 21000 ] || low=32768
	span=$(( low - 20000 - 8 ))
	p=$(( 20000 + ($$ * 7 + RANDOM) % span ))
	while ss -Htan "( sport >= :$p and sport <= :$((p + 3)) )" 2>/dev/null | grep -q .; do
		p=$(( 20000 + (p - 20000 + 4) % span ))
	done
	echo "$p"
}

e2e_cleanup() {
	set +e
	milter_stop
	if [ -n "${W:-}" ] && [ -f "$W/pf/main.cf" ]; then
		postfix -c "$W/pf" stop >/dev/null 2>&1
		local pidf="$W/pfq/pid/master.pid" pid
		pid=$(tr -dc 0-9 < "$pidf" 2>/dev/null)
		for _ in $(seq 1 50); do
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	# Every keyring of the run has its agent stopped (gen_key runs in
	# a subshell, so the list of homes alone does not know them all).
	for h in "${GNUPG_HOMES[@]:-}" $(find "${W:-/nonexistent}" -maxdepth 4 \
	    -name 'S.gpg-agent' -printf '%h\n' 2>/dev/null); do
		[ -n "$h" ] && gpgconf --homedir "$h" --kill gpg-agent >/dev/null 2>&1
	done
	# A file system a test mounted in the work folder (t_faults: the
	# state on a small tmpfs), deepest first, before the folder goes.
	if [ -n "${W:-}" ]; then
		findmnt -rn -o TARGET 2>/dev/null | grep "^$W/" | sort -r |
		    while IFS= read -r m; do umount -l "$m"; done
	fi
	if [ -n "${W:-}" ] && [ -z "${E2E_KEEP:-}" ]; then rm -rf "$W"; fi
}
GNUPG_HOMES=()

# write_postfix - main.cf and master.cf of the private instance
write_postfix() {
	local pf=$W/pf
	# The queue and data directories beside the config directory, not in
	# it: Postfix 3.10's check wants every file there owned by root.
	mkdir -p "$pf" "$W/pfq" "$W/mail"
	chown nobody "$W/mail"
	# The delivery agent: one file per message under mail/RECIPIENT/new/.
	# A maildir (new, cur, tmp), so mutt opens it as one.
	cat > "$W/deliver.sh" <<'DELIVER'
#!/bin/sh
m="$1/$(printf '%s' "$2" | tr 'A-Z/' 'a-z_')"
f="$(date +%s.%N).$$"
mkdir -p "$m/cur" "$m/tmp" "$m/new" && cat > "$m/tmp/$f" && mv "$m/tmp/$f" "$m/new/$f"
DELIVER
	chmod 0755 "$W/deliver.sh"
	cat > "$pf/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $W/pfq
data_directory = $W/pfd
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
relay_domains =
alias_maps =
alias_database =
local_transport = error:no local delivery in tests
# Every recipient is delivered by the test's own agent; nothing leaves.
default_transport = deliver
relay_transport = deliver
# Load trials send to discard.example: read by the milter, then dropped.
transport_maps = inline:{discard.example=discard:}
default_process_limit = 250
deliver_destination_recipient_limit = 1
smtp_dns_support_level = disabled
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_content_timeout = 60s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maillog_file = $pf/maillog
maillog_file_prefixes = $W
biff = no
smtputf8_enable = no
message_size_limit = 52428800
MAIN
	cat > "$pf/master.cf" <<MASTER
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$REINJECT_PORT inet n - n - - smtpd -o smtpd_milters= -o non_smtpd_milters=
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
virtual   unix  - n n -  - virtual
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
deliver   unix  - n n -  - pipe flags= user=nobody argv=/bin/sh $W/deliver.sh $W/mail \${recipient}
MASTER
}

# write_milter_conf - the milter's config: the example policy, test ports
write_milter_conf() {
	sed -e "s|^socket .*|socket = \"inet:$MILTER_PORT@127.0.0.1\"|" \
	    -e "s|^state_dir .*|state_dir = \"$W/state\"|" \
	    -e "s|^gnupg_home .*|gnupg_home = \"$W/state/gnupg\"|" \
	    -e "s|^user .*|user = \"nobody\"|" \
	    -e "s|  port = 10026|  port = $REINJECT_PORT|" \
	    "$TOP/conf/embargo-milter.conf" > "$W/milter.conf"
	echo "reader_program = \"$W/embargo-reader\"" >> "$W/milter.conf"
	# Readable by the daemon's group after it drops privileges (reload).
	chgrp "$(id -gn nobody)" "$W/milter.conf"
	chmod 0640 "$W/milter.conf"
	mkdir -p -m 0700 "$W/state"	# as the README has it: never for others
	chown nobody "$W/state"
}

wait_port() {	# wait_port PORT SECONDS
	local i
	for i in $(seq 1 $(( $2 * 20 ))); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

milter_start() {
	"$MILTER_BIN" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
	echo $! > "$W/milter.pid"
	wait_port "$MILTER_PORT" 10 || { echo "# milter did not start:"; sed 's/^/#   /' "$W/milter.log"; return 1; }
}

milter_stop() {
	local pid
	[ -n "${W:-}" ] && [ -f "$W/milter.pid" ] || return 0
	pid=$(cat "$W/milter.pid")
	rm -f "$W/milter.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null
}

e2e_start() {
	W=$(mktemp -d /tmp/em-e2e.XXXXXX)
	chmod 0755 "$W"
	trap e2e_cleanup EXIT
	trap "exit 1" TERM INT HUP
	# A home of our own: nothing here depends on, or leaves anything in,
	# the invoking user's home (mutt's folders, gpg's default keyring).
	export HOME=$W/home GNUPGHOME=$W/home/.gnupg MAIL=$W/home/mbox
	mkdir -p -m 0700 "$HOME" "$GNUPGHOME"
	GNUPG_HOMES+=("$GNUPGHOME")
	SMTP_PORT=$(free_port)
	REINJECT_PORT=$((SMTP_PORT + 1))
	MILTER_PORT=$((SMTP_PORT + 2))
	for p in $REINJECT_PORT $MILTER_PORT; do
		ss -Hltn "sport = :$p" | grep -q . && { echo "# port $p busy"; exit 1; }
	done
	write_postfix
	write_milter_conf
	# The daemon's user runs embargoctl: the checkout may be private (0700).
	install -m 0755 "$CTL_BIN" "$W/embargoctl"
	install -m 0755 "$READER_BIN" "$W/embargo-reader"
	CTL_BIN=$W/embargoctl
	if [ "${1:-}" = --keys ]; then
		. "$TOP/tests/e2e/keys.sh"
		setup_keys "$2"
	fi
	if ! postfix -c "$W/pf" check >"$W/check.log" 2>&1; then
		echo "# postfix check failed:"; sed 's/^/#   /' "$W/check.log" "$W/pf/maillog" 2>/dev/null
		exit 1
	fi
	milter_start || exit 1
	postfix -c "$W/pf" start >/dev/null 2>&1
	wait_port "$SMTP_PORT" 10 && wait_port "$REINJECT_PORT" 10 || {
		echo "# postfix did not start:"; sed 's/^/#   /' "$W/pf/maillog"; exit 1; }
}

# mailpy CMD ARGS...: the independent reader (tests/e2e/mail.py)
mailpy() { /usr/bin/python3 "$TOP/tests/e2e/mail.py" "$@"; }
# browser ARGS... : headless Chromium (Debian's) on a file, its own profile
# in $W, no network at all (every name resolves to nothing), at most 90 s
browser() {
	HOME=$W/chromium-home timeout 90 chromium --headless --no-sandbox \
	    --disable-gpu --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-default-apps \
	    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$W/chromium" \
	    --hide-scrollbars "$@" 2>>"$W/chromium.log"
}

# mail_sweep [ADDR]: read every message not read before (in ADDR's maildir,
# or in all) with the independent parser; 1 if any has a defect
mail_sweep() {
	local d=$W/mail f rc=0
	[ -n "${1:-}" ] && d=$(maildir "$1")
	touch "$W/mail-read"
	while IFS= read -r f; do
		grep -qxF "$f" "$W/mail-read" && continue
		# MAIL_SWEEP_SKIP: a mailbox of hostile mail delivered as it came
		[ -n "${MAIL_SWEEP_SKIP:-}" ] && case $f in "$(maildir "$MAIL_SWEEP_SKIP")"/*) continue ;; esac
		echo "$f" >> "$W/mail-read"
		if ! mailpy check "$f"; then
			rc=1
			echo "$f" >> "$W/mail-defective"
		fi
	done < <(find "$d" -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2>/dev/null | sort)
	return $rc
}

# note_secret FILE: FILE holds an embargoed advisory's text the test posted
note_secret() { echo "$1" >> "$W/secret.list"; }

# at_rest: SPEC 5, nothing embargoed rests in plaintext in state_dir (its
# LMDB pages, free ones included); nothing there is readable by others.
# An advisory public by the end (released, lifted) is public text: a
# released posting may rest in plaintext until it is sent.
at_rest() {
	local bad=0 f id
	[ -s "$W/secret.list" ] || return 0
	runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" --json advisories 2>/dev/null |
	    /usr/bin/python3 -c 'import json, sys
for l in sys.stdin:
    a = json.loads(l)
    if a.get("state") == "embargoed": print(a["id"])' > "$W/still-embargoed"
	# Every significant line (20+ characters, mail headers aside) of the
	# posts whose advisory is still under embargo, but for the lines a
	# post public by then shares with them (an underline, a stock phrase).
	: > "$W/public.lines"
	sort -u "$W/secret.list" | while IFS= read -r f; do
		grep -oE '(XSA|CVE)-[0-9]+(-[0-9]+)?' "$f" | sort -u > "$W/ids-of-post"
		if [ -s "$W/still-embargoed" ] && grep -qxFf "$W/still-embargoed" "$W/ids-of-post"; then
			out=/dev/stdout
		else
			out=$W/public.lines
		fi
		sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$f" |
		    grep -vE '^(From|To|Cc|Subject|Date|Message-ID):' | awk 'length($0) >= 20' >> "$out"
	done | sort -u > "$W/secret.lines.all"
	sort -u "$W/public.lines" -o "$W/public.lines"
	comm -23 "$W/secret.lines.all" "$W/public.lines" > "$W/secret.lines"
	echo "# at rest: $(wc -l < "$W/secret.lines") significant lines of advisories still under embargo searched for in state_dir"
	if [ -s "$W/secret.lines" ] && grep -rlaF -f "$W/secret.lines" "$W/state" > "$W/at-rest.hits" 2>/dev/null; then
		echo "# embargoed text found at rest in: $(tr '\n' ' ' < "$W/at-rest.hits")"
		grep -rhaoF -f "$W/secret.lines" "$W/state" 2>/dev/null | sort | uniq -c | head -n 5 | sed 's/^/#   /'
		grep -lF -f "$W/secret.lines" $(sort -u "$W/secret.list") 2>/dev/null | head -n 5 | sed 's/^/#   from /' 
		bad=1
	fi
	find "$W/state" -maxdepth 1 -perm /o=rwx > "$W/at-rest.modes"
	find "$W/state/gnupg" -maxdepth 0 -perm /o=rwx >> "$W/at-rest.modes" 2>/dev/null
	if [ -s "$W/at-rest.modes" ]; then
		echo "# readable by others: $(tr '\n' ' ' < "$W/at-rest.modes")"
		bad=1
	fi
	return $bad
}

e2e_finish() {
	mail_sweep
	check "every delivered message ($(wc -l < "$W/mail-read")) reads with no MIME or header defect (Python email)" \
	    test ! -s "$W/mail-defective"
	if [ -s "$W/secret.list" ]; then
		check "at rest: no line of any post whose advisory is still under embargo in state_dir, nothing there readable by others" at_rest
	fi
	echo "# done ($TESTS_RUN tests)"
}

# send [--port P] FROM TO... : send $W/msg; SWAKS_RC, $W/swaks.log
send() {
	local port=$SMTP_PORT from to
	if [ "$1" = --port ]; then port=$2; shift 2; fi
	from=$1; shift
	to=$(IFS=,; echo "$*")
	timeout 60 swaks --server 127.0.0.1 --port "$port" --from "$from" --to "$to" \
	    --data "@$W/msg" --helo client.test.example >"$W/swaks.log" 2>&1
	SWAKS_RC=$?
}

# reply - the server's last error reply, as swaks printed it
reply() { grep -E '^ *<\*\* ' "$W/swaks.log" | tail -n 1 | sed 's/^ *<\*\* //'; }

maildir() { echo "$W/mail/$(printf '%s' "$1" | tr 'A-Z/' 'a-z_')"; }

# newest_with ADDR PREFIX: the newest message in ADDR's maildir whose
# Subject starts with PREFIX (the team's mail holds receipts, reminders
# and notices in whatever order they come)
newest_with() {
	local f
	for f in $(find "$(maildir "$1")/new" -type f -printf '%T@ %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2); do
		case $(mailpy header "$f" Subject) in "$2"*) echo "$f"; return 0 ;; esac
	done
	return 1
}

delivered() {	# delivered ADDR: messages in that maildir now
	local d; d=$(maildir "$1")
	find "$d/new" "$d/cur" -type f 2>/dev/null | wc -l
}

# wait_delivered ADDR N SECONDS: wait until ADDR holds N messages, each
# read by the independent parser with no defect
wait_delivered() {
	local i
	for i in $(seq 1 $(( $3 * 10 ))); do
		if [ "$(delivered "$1")" -ge "$2" ]; then
			sleep 0.05	# a file being moved into new/
			mail_sweep "$1"
			return
		fi
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds (0), or
# give up when SECONDS have passed (1, said in a comment line).  The wait
# of every test for an event: never a fixed sleep that is "long enough".
WAIT_MAX=${WAIT_MAX:-60}
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "# wait_for: gave up waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# log_mark: the milter log's length now (for log_since and wait_log)
log_mark() { wc -l < "$W/milter.log"; }
# log_since MARK: the lines of the milter log after MARK
log_since() { tail -n +"$(( $1 + 1 ))" "$W/milter.log"; }
# log_has PATTERN [MARK]: a line after MARK (default 0) matches the ERE
log_has() { log_since "${2:-0}" | grep -qE -- "$1"; }
# wait_log PATTERN [MARK [SECONDS]]: wait until log_has (at most WAIT_MAX s)
wait_log() { wait_for "${3:-$WAIT_MAX}" log_has "$1" "${2:-0}"; }

# maillog_mark / wait_maillog PATTERN MARK: the same for Postfix's log
# (a "reload" line: the master has read main.cf and master.cf again)
maillog_mark() { wc -l < "$W/pf/maillog" 2>/dev/null || echo 0; }
maillog_has() { tail -n +"$(( $2 + 1 ))" "$W/pf/maillog" 2>/dev/null | grep -qE -- "$1"; }
wait_maillog() { wait_for "${3:-$WAIT_MAX}" maillog_has "$1" "$2"; }
# pf_reload: postfix reload, returning once the master says it reloaded
pf_reload() {
	local m
	m=$(maillog_mark)
	postfix -c "$W/pf" reload >/dev/null 2>&1
	wait_maillog 'postfix/master\[[0-9]+\]: reload ' "$m"
}

# outbox_quiet [ID]: no outbox entry (of advisory ID) is queued to be sent:
# whatever the daemon had to send has been handed to the listener (held
# releases wait "built", failed and waiting-key entries wait for a person)
outbox_quiet() {
	local out
	out=$(runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" --json outbox) || return 1
	! grep -F "${1:+\"advisory\":\"$1\"}" <<<"$out" | grep -qF '"state":"queued"'
}
# settled [ID]: outbox_quiet, then the private Postfix has delivered what
# it was handed: the point after which nothing more arrives by itself
settled() { wait_for "$WAIT_MAX" outbox_quiet "${1:-}" && wait_for "$WAIT_MAX" queue_settled; }

# queue_settled: nothing waiting in the private Postfix
queue_settled() {
	local i
	for i in $(seq 1 100); do
		[ -z "$(find "$W/pfq/incoming" "$W/pfq/active" "$W/pfq/maildrop" -type f 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# json_lines FILE: every line of FILE parses as one JSON object (an empty
# list is no line at all)
json_lines() {
	/usr/bin/python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
for l in lines:
    assert isinstance(json.loads(l), dict), l' "$1" 2>/dev/null
}

# forwarded_advisory WHEN: $W/msg, XSA-400 (embargoed until WHEN) forwarded
# by dev@vendor.example to friend@outsider.example
forwarded_advisory() {
	cat > "$W/msg" <<MSG
From: dev@vendor.example
To: friend@outsider.example
Subject: Fwd: Xen Security Advisory 400

*** EMBARGOED UNTIL $1 ***
XSA-400: a guest can crash the host.
MSG
}

# body_of FILE: the body (after the first empty line), carriage returns removed
body_of() { tr -d '\r' < "$1" | sed '1,/^$/d'; }

utc_in() { date -u -d "@$(( $(date +%s) + $1 ))" '+%Y-%m-%d %H:%M:%S UTC'; }
