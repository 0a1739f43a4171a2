#!/bin/bash
# t_package - the path an administrator takes: the Debian package, built
# with dpkg-buildpackage from a clean copy of the tree, lintian clean,
# unpacked with dpkg-deb -x into a private root; its daemon runs as an
# unprivileged user (as the unit's User= has it) for a private Postfix
# whose smtpd keeps Debian's chroot (y), the socket where the package puts
# it (embargo-milter/ in the queue directory, unix:/embargo-milter/... as
# the chrooted smtpd sees it): a plain mail passes and an embargoed
# advisory to an outsider is refused.
. "$(dirname "$0")/lib.sh"
for tool in dpkg-buildpackage dpkg-deb dh lintian; do
	if ! command -v "$tool" >/dev/null; then
		echo "ok 1 - # skip the Debian package: $tool is not installed (make deps)"
		echo "# done (1 tests)"
		exit 0
	fi
done
e2e_start
milter_stop

# The package, from what git tracks (the tree as committed, plus changes).
mkdir -p "$W/pkg/src"
(cd "$TOP" && git ls-files -co --exclude-standard | cpio -pdm --quiet "$W/pkg/src")
(cd "$W/pkg/src" && dpkg-buildpackage -us -uc -b) > "$W/pkg/build.log" 2>&1
deb=$(ls "$W/pkg"/embargo-milter_*_*.deb 2>/dev/null | head -n 1)
check "dpkg-buildpackage -us -uc -b builds ${deb##*/}" test -n "$deb"
[ -n "$deb" ] || { tail -n 20 "$W/pkg/build.log" | sed 's/^/#   /'; e2e_finish; exit 1; }
lintian "${deb%.deb}"*.changes > "$W/lintian.out" 2>&1
grep -E '^[EW]:' "$W/lintian.out" | sed 's/^/#   /'
check "lintian: no error, no warning" bash -c "! grep -qE '^[EW]:' '$W/lintian.out'"
dpkg-deb -x "$deb" "$W/root"
conf=$W/root/etc/embargo-milter/embargo-milter.conf
check "the package holds the daemon, embargoctl, the man pages, the unit and the config (0640)" \
    bash -c "test -x '$W/root/usr/sbin/embargo-milter' -a -x '$W/root/usr/sbin/embargoctl' \
        -a -f '$W/root/usr/share/man/man8/embargo-milter.8.gz' \
        -a -f '$W/root/lib/systemd/system/embargo-milter.service' && \
        [ \$(stat -c %a '$conf') = 640 ]"
dpkg-deb -I "$deb" conffiles > "$W/conffiles"
check "the config is a conffile (an edited one is never overwritten)" \
    grep -qx /etc/embargo-milter/embargo-milter.conf "$W/conffiles"
check "the package's config puts the socket in Postfix's chroot" \
    grep -q '^socket *= "unix:/var/spool/postfix/embargo-milter/milter.sock"' "$conf"

# The stock chroot: smtpd chrooted to the private queue directory, the
# socket folder in it (setgid postfix: the socket is the daemon's user's,
# group postfix, mode 0660), the daemon started as that user.
Q=$W/pf/queue
install -d -o nobody -g postfix -m 2750 "$Q/embargo-milter"
mkdir -p "$Q/etc"
cp /etc/services /etc/hosts /etc/localtime /etc/nsswitch.conf "$Q/etc/" 2>/dev/null
sed -i "s|^127.0.0.1:$SMTP_PORT inet n - n - - smtpd|127.0.0.1:$SMTP_PORT inet n - y - - smtpd|" "$W/pf/master.cf"
postconf -c "$W/pf" -e "smtpd_milters = unix:/embargo-milter/milter.sock"
sed -i "s|^socket .*|socket = \"unix:$Q/embargo-milter/milter.sock\"|" "$W/milter.conf"
postfix -c "$W/pf" reload >/dev/null 2>&1
check "master.cf keeps the chroot column y for the smtpd" \
    grep -q "^127.0.0.1:$SMTP_PORT inet n - y - - smtpd" "$W/pf/master.cf"
runuser -u nobody -- "$W/root/usr/sbin/embargo-milter" -t -c "$W/milter.conf" > "$W/t.out" 2>&1
check "the packaged embargo-milter -t, as the daemon's user: $(tail -n 1 "$W/t.out")" grep -q 'configuration ok' "$W/t.out"
runuser -u nobody -- "$W/root/usr/sbin/embargo-milter" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
echo $! > "$W/milter.pid"
for _ in $(seq 1 100); do [ -S "$Q/embargo-milter/milter.sock" ] && break; sleep 0.1; done
check "the socket is the daemon user's, group postfix, 0660: $(stat -c '%U:%G %a' "$Q/embargo-milter/milter.sock" 2>/dev/null)" \
    test "$(stat -c '%U:%G %a' "$Q/embargo-milter/milter.sock" 2>/dev/null)" = "nobody:postfix 660"
sleep 1	# Postfix rereads master.cf
cat > "$W/msg" <<MSG
From: alice@vendor.example
To: bob@outsider.example
Subject: lunch

Plain text, nothing embargoed.
MSG
send alice@vendor.example bob@outsider.example
check "through the chrooted smtpd, a plain mail passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "... and is delivered" wait_delivered bob@outsider.example 1 20
when=$(utc_in 86400)
forwarded_advisory "$when"
send dev@vendor.example friend@outsider.example
check "... and an embargoed advisory to an outsider is refused: $(reply)" \
    test "$(reply)" = "550 5.7.1 XSA-400 is under embargo until $when; not sent to <friend@outsider.example>"
chrooted() {	# the smtpd that served these sessions runs in the queue directory
	local p
	for p in $(pgrep -f "smtpd -n 127.0.0.1:$SMTP_PORT "); do
		[ "$(readlink "/proc/$p/root")" = "$Q" ] && return 0
	done
	return 1
}
check "the smtpd that asked the milter runs chrooted in $Q" chrooted
e2e_finish
