#!/bin/bash
# t_reader - the confined reader through the real Postfix: it is confined
# (seccomp), a reading that crashes or spins is that message's 554 5.6.0
# while the daemon and the next message go on, a reader killed on purpose
# is started again, and dry-run answers as the milter does.
#
# The reader here is the test build's (embargo-reader-faults: the same
# sources, and a parser's faults on demand through an X-Reader-Test
# header); its crash under AddressSanitizer writes a report to the log.
READER_BIN=$(cd "$(dirname "$0")/../.." && pwd)/build/asan/tests/embargo-reader-faults
. "$(dirname "$0")/lib.sh"
e2e_start
echo "reader_cpu_seconds = 1" >> "$W/milter.conf"
ctl() { runuser -u nobody -- "$CTL_BIN" -c "$W/milter.conf" "$@"; }
milter_pid=$(cat "$W/milter.pid")
# The readers are the daemon's children running embargo-reader.
readers() { ps -o pid=,comm= --ppid "$milter_pid" | awk '$2 == "embargo-reader" { print $1 }'; }

# mime FAULT: a multipart message (never read by the daemon's quick path)
# asking the reader's child for FAULT
mime() {
	cat > "$W/msg" <<MSG
From: dev@vendor.example
To: friend@outsider.example
Subject: reader test $1
Message-ID: <reader-$1-$RANDOM@vendor.example>
MIME-Version: 1.0
X-Reader-Test: $1
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=iso-8859-1

Nothing embargoed here.
--b--
MSG
}

# The configuration change above takes effect at a start: restart.
echo "# $SECONDS s"
milter_stop
milter_start || exit 1
milter_pid=$(cat "$W/milter.pid")

mime none
send dev@vendor.example friend@outsider.example
check "a multipart message passes through the reader (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
r1=$(readers | head -n 1)
check "a reader runs as the daemon's child (pid ${r1:-none})" test -n "$r1"
check "... confined by seccomp, with no way to new privileges" \
    bash -c "grep -q '^Seccomp:[[:space:]]*2' /proc/$r1/status && grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$r1/status"
check "... and holds no descriptor of the store (no data.mdb open)" \
    bash -c "! ls -l /proc/$r1/fd 2>/dev/null | grep -q 'data.mdb\|lock.mdb'"

mime segv
send dev@vendor.example friend@outsider.example
check "a reading that crashes: 554 5.6.0 ($(reply))" \
    grep -q '^554 5.6.0 .*message cannot be read: the reader' <<<"$(reply)"
ctl dry-run --from dev@vendor.example --to friend@outsider.example < "$W/msg" > "$W/dry.out" 2>&1
echo "# $SECONDS s"
check "dry-run says the same: $(grep reply: "$W/dry.out")" \
    grep -q 'reply:    554 5.6.0 message cannot be read: the reader' "$W/dry.out"
check "the daemon is alive" kill -0 "$milter_pid"
mime none
send dev@vendor.example friend@outsider.example
check "the next message passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "... read by the same reader (the crash was its child's)" \
    bash -c "readers() { ps -o pid=,comm= --ppid $milter_pid | awk '\$2 == \"embargo-reader\" { print \$1 }'; }; readers | grep -qx $r1"

echo "# $SECONDS s"
mime spin
send dev@vendor.example friend@outsider.example
check "a reading that spins past reader_cpu_seconds: 554 5.6.0 ($(reply))" \
    grep -q '^554 5.6.0 .*CPU ceiling' <<<"$(reply)"

# A reader killed on purpose: the next message is read by a new one.
kill -KILL "$r1"
mime none
send dev@vendor.example friend@outsider.example
check "after the reader is killed, the next message passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
r2=$(readers | head -n 1)
check "... read by a new reader (pid ${r2:-none}, was $r1)" \
    bash -c "[ -n '$r2' ] && [ '$r2' != '$r1' ]"
check "... and the killed one was reaped (no zombie)" \
    bash -c "! ps -o stat= -p $r1 2>/dev/null | grep -q Z"
check "the daemon is alive" kill -0 "$milter_pid"

echo "# $SECONDS s"
# A reader that cannot be started stops the start, naming the cure.
milter_stop
sed -i "s|^reader_program = .*|reader_program = \"$W/no-such-reader\"|" "$W/milter.conf"
"$MILTER_BIN" -f -c "$W/milter.conf" > "$W/noreader.out" 2>&1 &
np=$!
wait "$np"
rc=$?
check "a daemon whose reader is missing does not start (exit $rc): $(grep -ho '[^:]*install it, or set reader_program' "$W/noreader.out" "$W/milter.log" 2>/dev/null | tail -n 1)" \
    bash -c "[ $rc != 0 ] && grep -q 'install it, or set reader_program' '$W/noreader.out' '$W/milter.log' 2>/dev/null"
e2e_finish
