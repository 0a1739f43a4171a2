#!/bin/bash
# demo.sh - make demo: a throwaway Postfix on 127.0.0.1 with embargo-milter
# and the example policy (conf/embargo-milter.conf); each step says what it
# shows. Everything started is stopped by PID at the end.
MILTER_BIN=${MILTER_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/embargo-milter}
CTL_BIN=${CTL_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/embargoctl}
. "$(dirname "$0")/lib.sh"
set -e
say()  { printf '\n== %s\n' "$*"; }
show() { sed 's/^/   | /' "$@"; }

say "Starting a private Postfix on 127.0.0.1 (one smtpd with the milter, one reinjection smtpd without) and embargo-milter"
e2e_start
echo "   Postfix on 127.0.0.1:$SMTP_PORT, reinjection listener on :$REINJECT_PORT, milter on :$MILTER_PORT"
echo "   Work folder: $W (removed at the end)"

say "The policy: example config, checked the way a reload checks it"
"$CTL_BIN" -c "$W/milter.conf" check | show

say "1. An ordinary mail passes untouched"
cat > "$W/msg" <<MSG
From: alice@vendor.example
To: bob@outsider.example
Subject: Lunch on Friday?

Nothing embargoed here.
MSG
set +e
send alice@vendor.example bob@outsider.example
set -e
echo "   swaks exit $SWAKS_RC (0 = accepted)"
wait_delivered bob@outsider.example 1 10
echo "   delivered to bob@outsider.example:"
show "$(find "$(maildir bob@outsider.example)/new" -type f | head -n 1)"

when=$(utc_in $((3 * 86400)))
say "2. Someone forwards an embargoed advisory (EMBARGOED UNTIL $when) to an outsider: refused"
cat > "$W/msg" <<MSG
From: dev@vendor.example
To: friend@outsider.example
Subject: Fwd: Xen Security Advisory 400 v1

            Xen Security Advisory CVE-2026-40001 / XSA-400
                               version 1

*** EMBARGOED UNTIL $when ***

A guest can crash the host via a malformed hypercall.
MSG
set +e
send dev@vendor.example friend@outsider.example
set -e
echo "   swaks exit $SWAKS_RC (26 = refused at end of data); the server said:"
echo "   $(reply)"
queue_settled
echo "   messages delivered to friend@outsider.example: $(delivered friend@outsider.example)"

say "3. embargoctl dry-run explains the same decision without sending anything"
set +e
"$CTL_BIN" -c "$W/milter.conf" dry-run --from dev@vendor.example --to friend@outsider.example "$W/msg" | show
set -e

say "4. The same advisory after its embargo date passes"
sed -i "s/$when/$(utc_in -60)/" "$W/msg"
set +e
send dev@vendor.example friend@outsider.example
set -e
echo "   swaks exit $SWAKS_RC"
wait_delivered friend@outsider.example 1 10
echo "   messages delivered to friend@outsider.example: $(delivered friend@outsider.example)"

say "5. The milter is stopped: Postfix (milter_default_action = tempfail) defers, nothing passes"
milter_stop
set +e
send alice@vendor.example bob@outsider.example
set -e
echo "   swaks exit $SWAKS_RC (23 = deferred at MAIL FROM): $(reply)"

say "The milter's log"
show "$W/milter.log"
say "Demo finished; stopping Postfix and removing $W"
