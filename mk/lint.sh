#!/bin/sh
# lint.sh - static analysis of the project's C: cppcheck and clang-tidy
# (bugprone, cert, clang-analyzer), both clean or the check fails.
#
# Left out on purpose, with why:
#   clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
#       asks for C11 Annex K (memcpy_s, ...), which glibc does not have;
#       every buffer here has a ceiling and snprintf is checked
#   cert-err33-c        the return of printf/fputs to stdout, not errors we act on
#   bugprone-easily-swappable-parameters, bugprone-reserved-identifier,
#   cert-dcl37-c, cert-dcl51-cpp   style, or about C++ and GLib's names
#   bugprone-assignment-in-if-condition   the house style, as Postfix's:
#       if ((rc = f()) < 0); new in clang-tidy 19 (Debian 13)
#   bugprone-casting-through-void, bugprone-multi-level-implicit-pointer-
#       conversion   GLib's gpointer and qsort's void * idioms; new in 19
#   clang-analyzer-optin.core.EnumCastOutOfRange   gpgme's flag enums are
#       or-ed (GPGME_ENCRYPT_ALWAYS_TRUST | ...); new in 19
#   clang-analyzer-unix.Stream   alpha in clang 14 (Debian 12): its model
#       flags the plain fread() loop; left out on both for one result
#   cppcheck's normalCheckLevelMaxBranches   cppcheck 2.17 (Debian 13)
#       saying it limits its branch analysis, as 2.10 does silently
set -u
cd "$(dirname "$0")/.." || exit 2
SRC=$(ls util/*.c conf/*.c policy/*.c reader/*.c keys/*.c store/*.c ledger/*.c record/*.c outbox/*.c milter/*.c cli/*.c)
FLAGS="-std=c11 -D_GNU_SOURCE $(pkg-config --cflags milter json-glib-1.0 \
    gmime-3.0 gpgme lmdb libconfuse libxml-2.0 libarchive poppler-glib libseccomp)"
CHECKS='-*,bugprone-*,cert-*,clang-analyzer-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-cert-err33-c,-bugprone-assignment-in-if-condition,-bugprone-casting-through-void,-bugprone-multi-level-implicit-pointer-conversion,-clang-analyzer-optin.core.EnumCastOutOfRange,-clang-analyzer-unix.Stream'
rc=0
# Two lanes, a core each: the first half of clang-tidy's files; cppcheck,
# then the second half (cppcheck's status through a file).
n=$(echo $SRC | wc -w)
A=$(echo $SRC | tr ' ' '\n' | head -n $((n / 2 + 8)))
B=$(echo $SRC | tr ' ' '\n' | tail -n +$((n / 2 + 9)))
( cppcheck --quiet --enable=warning,portability --error-exitcode=1 \
    --suppress=normalCheckLevelMaxBranches --inline-suppr --std=c11 -D_GNU_SOURCE $SRC >build/cppcheck.log 2>&1
  echo $? > build/cppcheck.rc
  # shellcheck disable=SC2086
  clang-tidy -quiet --checks="$CHECKS" $B -- $FLAGS >build/clang-tidy-b.log 2>/dev/null ) &
lane=$!
# shellcheck disable=SC2086
clang-tidy -quiet --checks="$CHECKS" $A -- $FLAGS >build/clang-tidy.log 2>/dev/null
wait "$lane"
cat build/clang-tidy-b.log >> build/clang-tidy.log
if [ "$(cat build/cppcheck.rc)" = 0 ]; then
	echo "ok static analysis: cppcheck clean"
else
	sed 's/^/# /' build/cppcheck.log
	echo "not ok static analysis: cppcheck"
	rc=1
fi
if grep -qE 'warning:|error:' build/clang-tidy.log; then
	grep -E 'warning:|error:' build/clang-tidy.log | sed 's/^/# /'
	echo "not ok static analysis: clang-tidy"
	rc=1
else
	echo "ok static analysis: clang-tidy (bugprone, cert, clang-analyzer) clean"
fi
exit $rc
