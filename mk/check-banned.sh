#!/bin/sh
# check-banned.sh - the house rules (DESIGN.md): no strcpy, strcat,
# sprintf, strtok, atoi in the sources.  Prints offenders, exits 1 if any.
cd "$(dirname "$0")/.." || exit 2
if grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|strtok|atoi)[[:space:]]*\(' \
    $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]'); then
	echo "banned call(s) above: see DESIGN.md (use snprintf, strtol, ...)" >&2
	exit 1
fi
# The rooms' headers (doc/ARCHITECTURE.md): libmilter is milter/'s alone,
# gpgme is keys/' alone; the linker checks the calls ("make rooms").
if grep -nE '#include <libmilter/' $(git ls-files '*.c' '*.h' | grep -v '^milter/\|^tests/bench/'); then
	echo "libmilter included outside milter/ (above)" >&2
	exit 1
fi
if grep -nE '#include <gpgme.h>' $(git ls-files '*.c' '*.h' | grep -v '^keys/\|^tests/'); then
	echo "gpgme included outside keys/ (above)" >&2
	exit 1
fi
# State changes in one place (doc/ARCHITECTURE.md): an advisory, a hold or
# an outbox entry is written by ledger/ alone (store/ itself, and tests
# that build a state, aside).
if grep -nE '(store_adv_put|store_hold_put|store_ob_put)[[:space:]]*\(' \
    $(git ls-files '*.c' '*.h' | grep -v '^ledger/\|^store/\|^tests/'); then
	echo "a state written outside ledger/ (above): go through the ledger" >&2
	exit 1
fi
