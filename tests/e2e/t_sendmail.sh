#!/bin/bash
# t_sendmail - the same milter under sendmail's INPUT_MAIL_FILTER.
# Sendmail and Postfix do not install together, so Debian's sendmail-bin,
# sendmail-cf and libwrap0 are unpacked (dpkg-deb -x) into a private folder
# and sendmail runs from there on 127.0.0.1 with its own .cf and queue, in
# a mount namespace whose /etc/hosts and nsswitch.conf are the test's (so
# that it never asks a DNS server for its own name).  A plain mail passes;
# an embargoed advisory to an outsider is refused with the same 5.7.1
# text as under Postfix; the queue id macro heads the milter's log line;
# with the milter stopped, sendmail tempfails (F=T).
. "$(dirname "$0")/lib.sh"
skip() { echo "ok 1 - # skip sendmail: $*"; echo "# done (1 tests)"; exit 0; }
for tool in dpkg-deb m4 unshare apt-get; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
e2e_start
SMD=$TOP/build/sendmail	# the unpacked packages, kept between runs
if [ ! -x "$SMD/root/usr/libexec/sendmail/sendmail" ]; then
	rm -rf "$SMD"; mkdir -p "$SMD/debs" && chmod 0777 "$SMD/debs"
	(cd "$SMD/debs" && apt-get download -q sendmail-bin sendmail-cf libwrap0) > "$W/download.log" 2>&1 ||
	    { sed 's/^/#   /' "$W/download.log"; skip "apt-get download sendmail-bin failed"; }
	for d in "$SMD"/debs/*.deb; do dpkg-deb -x "$d" "$SMD/root"; done
	# Not set-group-id here: the loader would ignore LD_LIBRARY_PATH.
	chmod g-s "$SMD/root/usr/libexec/sendmail/sendmail"
fi
SM=$SMD/root/usr/libexec/sendmail/sendmail
CF=$SMD/root/usr/share/sendmail/cf
P=$W/sendmail
mkdir -p -m 0700 "$P" "$P/queue"
SM_PORT=$(free_port)
printf '127.0.0.1 localhost %s mx.test.example\n' "$(hostname)" > "$P/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' > "$P/nsswitch.conf"
printf 'hosts files\naliases files\n' > "$P/service.switch"
cat > "$P/test.mc" <<MC
divert(-1)
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.test.example')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$P/service.switch')dnl
define(\`confHOSTS_FILE', \`$P/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`QUEUE_DIR', \`$P/queue')dnl
define(\`confPID_FILE', \`$P/sendmail.pid')dnl
define(\`STATUS_FILE', \`$P/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT,Addr=127.0.0.1,Name=MTA')dnl
INPUT_MAIL_FILTER(\`embargo', \`S=inet:$MILTER_PORT@127.0.0.1, F=T, T=S:10s;R:60s;E:5m')dnl
MAILER(\`smtp')dnl
MC
m4 -D_CF_DIR_="$CF/" "$CF/m4/cf.m4" "$P/test.mc" > "$P/test.cf" 2>"$P/m4.log"
check "a sendmail.cf with INPUT_MAIL_FILTER for the milter (m4, sendmail-cf)" grep -q '^O InputMailFilters=embargo' "$P/test.cf"
unshare -m sh -c "mount --bind '$P/hosts' /etc/hosts && mount --bind '$P/nsswitch.conf' /etc/nsswitch.conf &&
    exec env LD_LIBRARY_PATH='$SMD/root/usr/lib/x86_64-linux-gnu' '$SM' -C '$P/test.cf' -bD" > "$P/sendmail.out" 2>&1 &
echo $! > "$P/pid"
sm_stop() { kill "$(cat "$P/pid")" 2>/dev/null; }
trap 'sm_stop; e2e_cleanup' EXIT
check "sendmail listens on 127.0.0.1:$SM_PORT (and nowhere else of its own)" \
    bash -c "$(declare -f wait_port); wait_port $SM_PORT 20 && ! ss -Hltnp | grep 'pid=$(cat "$P/pid"),' | grep -v '127.0.0.1:$SM_PORT '"

printf 'From: alice@vendor.example\r\nTo: bob@outsider.example\r\nSubject: lunch\r\n\r\nPlain text, nothing embargoed.\r\n' > "$W/msg"
m=$(wc -l < "$W/milter.log")
send --port "$SM_PORT" alice@vendor.example bob@outsider.example
check "under sendmail, a plain mail passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
qid=$(grep -oE 'queued as [A-Za-z0-9]+|Ok: [A-Za-z0-9]+ Message accepted' "$W/swaks.log" | grep -oE '[0-9A-Za-z]{8,}' | head -n 1)
qid=${qid:-$(sed -n 's/.* \([0-9A-Za-z]\{14\}\) Message accepted.*/\1/p' "$W/swaks.log" | head -n 1)}
tail -n +"$((m + 1))" "$W/milter.log" | sed 's/^/#   /'
check "... and the milter's log line starts with sendmail's queue id ${qid:-?}" \
    bash -c "[ -n '$qid' ] && tail -n +$((m + 1)) '$W/milter.log' | grep -q 'embargo-milter: $qid: .*pass'"
when=$(utc_in 86400)
forwarded_advisory "$when"
send --port "$SM_PORT" dev@vendor.example friend@outsider.example
check "an embargoed advisory to an outsider is refused as under Postfix: $(reply)" \
    test "$(reply)" = "550 5.7.1 XSA-400 is under embargo until $when; not sent to <friend@outsider.example>"
milter_stop
printf 'From: alice@vendor.example\r\nTo: bob@outsider.example\r\nSubject: lunch\r\n\r\nPlain text.\r\n' > "$W/msg"
send --port "$SM_PORT" alice@vendor.example bob@outsider.example
check "with the milter stopped, sendmail tempfails (F=T): $(reply)" grep -q '^4[0-9][0-9] 4\.' <<<"$(reply)"
e2e_finish
