#!/bin/bash
# t_package - the path an administrator takes: the Debian package, built
# with dpkg-buildpackage from a clean copy of the tree, lintian clean,
# unpacked with dpkg-deb -x into a private root; its daemon runs as an
# unprivileged user (as the unit's User= has it) for a private Postfix
# whose smtpd and cleanup keep Debian's chroot (y), the socket where the
# package puts it (embargo-milter/ in the queue directory), and the main.cf
# and master.cf lines taken out of README.md itself, so that the two cannot
# drift apart: a plain mail passes, one submitted with sendmail passes, and
# an embargoed advisory to an outsider is refused.
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

# The maintainer script, run against a private prefix (its user nobody,
# the system commands it calls stubbed): the daemon's GnuPG home, which
# gpgsm shares, 0700 with gpgsm.conf and trustlist.txt 0600, the daemon
# user's; run again, an edited file is kept.
dpkg-deb -e "$deb" "$W/ctl"
P=$W/prefix
mkdir -p "$W/stub" "$P"
for c in adduser dpkg-statoverride deb-systemd-helper deb-systemd-invoke systemctl dpkg-maintscript-helper; do
	printf '#!/bin/sh\nexit 0\n' > "$W/stub/$c"; chmod +x "$W/stub/$c"
done
sed -e "s|/var/lib/embargo-milter|$P/var/lib/embargo-milter|g" -e "s|/var/spool/postfix|$P/spool|g" \
    -e "s|/etc/embargo-milter|$P/etc/embargo-milter|g" -e 's/-o embargo -g embargo/-o nobody -g nogroup/g' \
    -e 's/embargo:embargo/nobody:nogroup/g' -e 's/getent passwd embargo/true/' "$W/ctl/postinst" > "$W/postinst"
G=$P/var/lib/embargo-milter/gnupg
PATH=$W/stub:$PATH sh -e "$W/postinst" configure > "$W/postinst.log" 2>&1
rc=$?
sed 's/^/#   /' "$W/postinst.log"
check "postinst configure (rc $rc): the GnuPG home nobody's, 0700: $(stat -c '%U %a' "$G" 2>/dev/null)" \
    test "$rc:$(stat -c '%U %a' "$G" 2>/dev/null)" = "0:nobody 700"
check "... gpgsm.conf (no revocation-list fetches) and trustlist.txt, nobody's, 0600" \
    bash -c "[ \"\$(stat -c '%U %a' '$G/gpgsm.conf' '$G/trustlist.txt' | sort -u)\" = 'nobody 600' ] && grep -qx disable-crl-checks '$G/gpgsm.conf'"
runuser -u nobody -- gpgsm --homedir "$G" --batch --list-keys > "$W/gpgsm.list" 2>&1
rc=$?
check "... gpgsm, as that user, takes the home (rc $rc)" test "$rc" = 0
gpgconf --homedir "$G" --kill all 2>/dev/null
echo 'keyserver ldap://ca.example' >> "$G/gpgsm.conf"
PATH=$W/stub:$PATH sh -e "$W/postinst" configure >> "$W/postinst.log" 2>&1
rc=$?
check "... run again (rc $rc), an edited gpgsm.conf is kept" \
    bash -c "[ $rc = 0 ] && grep -q '^keyserver ldap://ca.example' '$G/gpgsm.conf'"
check "the package holds the confined reader where its daemon looks for it" \
    bash -c "[ -x '$W/root/usr/lib/embargo-milter/embargo-reader' ] && grep -qa /usr/lib/embargo-milter/embargo-reader '$W/root/usr/sbin/embargo-milter'"
sed -i "s|^reader_program = .*|reader_program = \"$W/root/usr/lib/embargo-milter/embargo-reader\"|" "$W/milter.conf"
conf=$W/root/etc/embargo-milter/embargo-milter.conf
check "the package holds the daemon, embargoctl, the man pages, the units (the daemon, the backup timer) and the config (0640)" \
    bash -c "test -x '$W/root/usr/sbin/embargo-milter' -a -x '$W/root/usr/sbin/embargoctl' \
        -a -f '$W/root/usr/share/man/man8/embargo-milter.8.gz' \
        -a -f \"\$(ls '$W'/root/{usr/,}lib/systemd/system/embargo-milter.service 2>/dev/null | head -n 1)\" \
        -a -f \"\$(ls '$W'/root/{usr/,}lib/systemd/system/embargo-milter-backup.timer 2>/dev/null | head -n 1)\" && \
        [ \$(stat -c %a '$conf') = 640 ]"
dpkg-deb -I "$deb" conffiles > "$W/conffiles"
check "the config is a conffile (an edited one is never overwritten)" \
    grep -qx /etc/embargo-milter/embargo-milter.conf "$W/conffiles"
check "the package's config puts the socket in Postfix's chroot" \
    grep -q '^socket *= "unix:/var/spool/postfix/embargo-milter/milter.sock"' "$conf"

# The stock chroot: smtpd chrooted to the private queue directory, the
# socket folder in it (setgid postfix: the socket is the daemon's user's,
# group postfix, mode 0660), the daemon started as that user.
Q=$W/pfq
install -d -o nobody -g postfix -m 2750 "$Q/embargo-milter"
mkdir -p "$Q/etc"
cp /etc/services /etc/hosts /etc/localtime /etc/nsswitch.conf "$Q/etc/" 2>/dev/null
sed -i -e "s|^127.0.0.1:$SMTP_PORT inet n - n - - smtpd|127.0.0.1:$SMTP_PORT inet n - y - - smtpd|" \
    -e 's|^cleanup   unix  n - n -  0 cleanup|cleanup   unix  n - y -  0 cleanup|' "$W/pf/master.cf"
# The README's lines, as an administrator pastes them (the listener on
# this test's port): main.cf through postconf, one line each; master.cf's
# listener in place of the test's own.
readme_block() {	# readme_block NAME: the fenced block after <!-- test: NAME -->
	python3 - "$TOP/README.md" "$1" <<'PY'
import sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
mark = '<!-- test: %s -->' % sys.argv[2]
i = lines.index(mark) + 1
assert lines[i].startswith('```'), 'no fenced block after ' + mark
j = lines.index('```', i + 1)
print('\n'.join(lines[i + 1:j]))
PY
}
readme_block main.cf > "$W/readme.main.cf"
readme_block master.cf | sed "s|^127.0.0.1:10026 |127.0.0.1:$REINJECT_PORT |" > "$W/readme.master.cf"
check "README.md holds the main.cf and master.cf lines" \
    bash -c "grep -q '^smtpd_milters' '$W/readme.main.cf' && grep -q '^127.0.0.1:$REINJECT_PORT ' '$W/readme.master.cf'"
grep -v '^#' "$W/readme.main.cf" | grep . | while IFS= read -r line; do
	postconf -c "$W/pf" -e "$line"
done
sed -i "/^127.0.0.1:$REINJECT_PORT inet/d" "$W/pf/master.cf"
cat "$W/readme.master.cf" >> "$W/pf/master.cf"
# Postfix 3.10 (Debian 13) says which files it copies into the chroot
# ("updating /etc/hosts => ..."): news, not complaints.
postfix -c "$W/pf" check 2>&1 | grep -v '^updating /etc/[a-z.]* => ' > "$W/pf.check"
check "postfix check accepts the README's lines: $(head -c 200 "$W/pf.check")" test ! -s "$W/pf.check"
check "milter_default_action is tempfail, nothing after it: $(postconf -c "$W/pf" -h milter_default_action)" \
    test "$(postconf -c "$W/pf" -h milter_default_action)" = tempfail
sed -i "s|^socket .*|socket = \"unix:$Q/embargo-milter/milter.sock\"|" "$W/milter.conf"
check "Postfix reloaded with the README's main.cf and master.cf lines" pf_reload
check "master.cf keeps the chroot column y for smtpd and cleanup" \
    bash -c "grep -q '^127.0.0.1:$SMTP_PORT inet n - y - - smtpd' '$W/pf/master.cf' && grep -q '^cleanup .* y .* cleanup' '$W/pf/master.cf'"
runuser -u nobody -- "$W/root/usr/sbin/embargo-milter" -t -c "$W/milter.conf" > "$W/t.out" 2>&1
check "the packaged embargo-milter -t, as the daemon's user: $(tail -n 1 "$W/t.out")" grep -q 'configuration ok' "$W/t.out"
runuser -u nobody -- "$W/root/usr/sbin/embargo-milter" -f -c "$W/milter.conf" >>"$W/milter.log" 2>&1 &
echo $! > "$W/milter.pid"
for _ in $(seq 1 100); do [ -S "$Q/embargo-milter/milter.sock" ] && break; sleep 0.1; done
check "the socket is the daemon user's, group postfix, 0660: $(stat -c '%U:%G %a' "$Q/embargo-milter/milter.sock" 2>/dev/null)" \
    test "$(stat -c '%U:%G %a' "$Q/embargo-milter/milter.sock" 2>/dev/null)" = "nobody:postfix 660"
cat > "$W/msg" <<MSG
From: alice@vendor.example
To: bob@outsider.example
Subject: lunch

Plain text, nothing embargoed.
MSG
send alice@vendor.example bob@outsider.example
check "through the chrooted smtpd, a plain mail passes (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "... and is delivered" wait_delivered bob@outsider.example 1 20
cat > "$W/msg2" <<MSG
From: alice@vendor.example
To: carol@outsider.example
Subject: submitted

Submitted with sendmail: pickup and a chrooted cleanup ask the milter.
MSG
timeout 30 /usr/sbin/sendmail -C "$W/pf" -f alice@vendor.example carol@outsider.example < "$W/msg2"
check "a mail submitted with /usr/sbin/sendmail is delivered" wait_delivered carol@outsider.example 1 30
check "... after the milter saw it (the chrooted cleanup reached the socket)" \
    bash -c "[ \$(grep -c 'from=<alice@vendor.example>' '$W/milter.log') -ge 2 ] && ! grep -q 'connect to Milter service' '$W/pf/maillog'"
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
