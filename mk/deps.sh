#!/bin/sh
# deps.sh - install the Debian packages embargo-milter needs, if any is missing.
# Idempotent and quick when nothing is missing (one dpkg-query call).
set -eu

PKGS="build-essential pkg-config libmilter-dev libgpgme-dev libgmime-3.0-dev
liblmdb-dev libconfuse-dev libgcrypt20-dev libcmocka-dev libxml2-dev libjson-glib-dev libarchive-dev libpoppler-glib-dev libxxhash-dev libseccomp-dev gnupg gpg-agent gpgsm swaks postfix openssl
miltertest lmdb-utils mutt neomutt tmux python3 ca-certificates iproute2
clang libclang-rt-dev clang-tidy cppcheck libfaketime debhelper lintian cpio
thunderbird xvfb xdotool imagemagick tesseract-ocr tesseract-ocr-eng libnss3-tools
chromium python3-icalendar python3-jsonschema sq"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing:$missing"
# postfix asks two questions at install time; answer them up front.
printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
	"postfix postfix/mailname string localhost" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
