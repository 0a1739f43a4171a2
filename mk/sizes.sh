#!/bin/sh
# sizes.sh - short files and short functions ("make sizes"; DESIGN.md: a
# function longer than a screen is a smell).  Lists every .c file over
# FILE_MAX lines (800) and every function over FUNC_MAX lines (60), and
# exits 1 if there is any.
#
#   sizes.sh FILE.c...
#
# A function is read in the house style: its name at column 0 followed by
# "(" (the return type on the line before), then "{" at column 0, and it
# ends at the next "}" at column 0; its length counts from the name's line
# to that "}".  A name line followed by ";" before any "{" is a prototype.
FILE_MAX=${FILE_MAX:-800}
FUNC_MAX=${FUNC_MAX:-60}
cd "$(dirname "$0")/.." || exit 2
awk -v file_max="$FILE_MAX" -v func_max="$FUNC_MAX" '
function done_file() {
	if (FNR_last > file_max) {
		printf "%s: %d lines (over %d)\n", file, FNR_last, file_max
		bad++
	}
}
FNR == 1 { if (file != "") done_file(); file = FILENAME; fn = ""; body = 0 }
{ FNR_last = FNR }
!body && /^[A-Za-z_][A-Za-z0-9_]*\(/ {
	fn = $0; sub(/\(.*/, "", fn); start = FNR
}
fn != "" && !body && /^\{/ { body = 1; next }
fn != "" && !body && /;[ \t]*$/ { fn = "" }
body && /^}/ {
	n = FNR - start + 1
	if (n > func_max) {
		printf "%s:%d: %s() %d lines (over %d)\n", file, start, fn, n,
		    func_max
		bad++
	}
	fn = ""; body = 0
}
END {
	if (file != "") done_file()
	if (bad) {
		printf "%d over their size (DESIGN.md: short files, short " \
		    "functions)\n", bad
		exit 1
	}
}' "$@"
