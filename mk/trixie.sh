#!/bin/bash
# trixie.sh - make trixie: the package built, linted, installed and
# tested on Debian 13 (trixie), in a root made by debootstrap from
# Debian's archive (not part of make check: it downloads and builds a
# system).  As root.  The root is kept in build/trixie (TRIXIE_ROOT) and
# reused; the source goes in fresh from git (HEAD).  Inside, in a mount
# namespace of its own (every mount goes when it ends): mk/deps.sh (the
# build and test packages, as on bookworm), dpkg-buildpackage, lintian,
# the package installed, then make check with an empty HOME.  Postfix
# runs there as the tests start it, without systemd.  The last lines of
# build/trixie.log are the figures: packages, lintian, checks.
# TRIXIE_CHECK=no stops after the package is installed.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
R=${TRIXIE_ROOT:-$TOP/build/trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOG=$TOP/build/trixie.log
[ "$(id -u)" = 0 ] || { echo "trixie: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }
mkdir -p "$TOP/build"
if [ ! -x "$R/usr/bin/apt-get" ]; then
	rm -rf "$R.part"
	echo "trixie: debootstrap trixie from $MIRROR into $R"
	debootstrap --variant=minbase --include=git,make,ca-certificates trixie \
	    "$R.part" "$MIRROR" > "$TOP/build/debootstrap.log" 2>&1 || {
		tail -n 20 "$TOP/build/debootstrap.log" >&2; exit 1; }
	mv "$R.part" "$R"
fi
# No service starts inside (Postfix's postinst asks): the tests start
# their own.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$R/etc/resolv.conf"
rm -rf "$R/src" && mkdir -p "$R/src"
# A clone, not an export: t_package builds the package from git.
git clone -q "$TOP" "$R/src/embargo-milter"
cat > "$R/src/run.sh" <<'IN'
set -u
cd /src/embargo-milter
export DEBIAN_FRONTEND=noninteractive
echo "== trixie: $(cat /etc/debian_version), $(uname -m)"
apt-get update -q > /dev/null
sh mk/deps.sh || exit 1
apt-get install -y -q --no-install-recommends dpkg-dev fakeroot > /dev/null || exit 1
echo "== versions: $(dpkg-query -W -f='${Package} ${Version}\n' gnupg gpgsm libgpgme11t64 libgmime-3.0-0t64 postfix liblmdb0 thunderbird 2>/dev/null | paste -sd, -)"
echo "== dpkg-buildpackage"
dpkg-buildpackage -b -us -uc > /src/build.log 2>&1 || { tail -n 30 /src/build.log; exit 1; }
echo "== lintian"
lintian --fail-on error /src/embargo-milter_*.deb; echo "lintian rc $?"
echo "== install"
apt-get install -y -q /src/embargo-milter_*.deb > /src/install.log 2>&1 || { tail -n 20 /src/install.log; exit 1; }
dpkg-query -W -f='${Package} ${Version} ${Depends}\n' embargo-milter
[ "${TRIXIE_CHECK:-yes}" = no ] && { echo "== make check not run (TRIXIE_CHECK=no)"; exit 0; }
echo "== make check"
HOME=$(mktemp -d) make check
IN
echo "trixie: building and testing inside (the log: $LOG)"
rc=0
unshare --mount --propagation private bash -c '
	R=$1
	# The root a mount point of its own: a test that makes a mount
	# namespace (t_sendmail: unshare -m) sets its propagation.
	mount --bind "$R" "$R" && mount -t proc proc "$R/proc" && mount --rbind /sys "$R/sys" &&
	    mount --rbind /dev "$R/dev" && mount -t tmpfs tmpfs "$R/tmp" &&
	    mount -t tmpfs tmpfs "$R/run" || exit 1
	exec chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 TERM=dumb TRIXIE_CHECK="$2" bash /src/run.sh' _ "$R" \
	    "${TRIXIE_CHECK:-yes}" > "$LOG" 2>&1 || rc=$?
grep -E '^== |lintian rc|^[EW]: |passed, [0-9]+ failed' "$LOG" | tail -n 40
exit $rc
