#!/bin/sh
# check-banned.sh - the house rules (DESIGN.md): no strcpy, strcat,
# sprintf, strtok, atoi in the sources.  Prints offenders, exits 1 if any.
cd "$(dirname "$0")/.." || exit 2
if grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|strtok|atoi)[[:space:]]*\(' \
    $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]'); then
	echo "banned call(s) above: see DESIGN.md (use snprintf, strtol, ...)" >&2
	exit 1
fi
