#!/bin/sh
# rooms.sh - the arrows between the rooms (doc/ARCHITECTURE.md), kept by
# "make rooms" from the one table in the Makefile (ROOM_x, LIBS_x,
# NEVER_x, INC_lib).  Prints what crosses an arrow and exits 1.
#
#   rooms.sh link       ROOM OUT MAIN OWN ABOVE LDLIBS NEVER CC from the
#                       environment (the Makefile's $(B)/rooms/% rule)
#   rooms.sh includes   the table on stdin, one line a library or a room:
#                         lib NAME HEADER... (a prefix if it ends in /)
#                         room NAME ROOM... : LIB...
set -eu
cd "$(dirname "$0")/.." || exit 2

# link - the room's own objects, linked into a program that does nothing
# (MAIN) with stand-ins for what the rooms it may use define (ABOVE: their
# global symbols and nothing else, so what those rooms call is not asked)
# and with its own libraries (LDLIBS) only: anything else it calls is an
# undefined symbol.  Then what its row says it never calls (NEVER).
# shellcheck disable=SC2086 # OWN, ABOVE and LDLIBS are lists
link() {
	w=$OUT.d
	rm -rf "$w" "$OUT"
	mkdir -p "$w"
	# One object; the main() of milter/ and cli/ made local, MAIN's stands.
	ld -r -o "$w/own.o" $OWN
	objcopy --localize-symbol=main "$w/own.o"
	echo '.section .note.GNU-stack,"",@progbits' > "$w/above.s"
	[ -z "$ABOVE" ] || readelf -sW $ABOVE | awk '
	    $5 ~ /^(GLOBAL|WEAK)$/ && $7 != "UND" && NF >= 8 && !seen[$8]++ {
		if ($4 == "TLS")
			printf ".section .tbss,\"awT\",@nobits\n.globl %s\n" \
			    ".type %s, @tls_object\n.size %s, 8\n%s:\n.zero 8\n",
			    $8, $8, $8, $8
		else
			printf ".text\n.globl %s\n%s:\n", $8, $8
	    }' >> "$w/above.s"
	$CC -c -o "$w/above.o" "$w/above.s"
	if ! $CC -o "$OUT" "$MAIN" "$w/own.o" "$w/above.o" $LDLIBS \
	    2>"$w/log"; then
		sed 's/^/  /' "$w/log"
		echo "room $ROOM/ reaches past its arrows (doc/ARCHITECTURE.md):" \
		    "a room below or beside it, or a library not in LIBS_$ROOM"
		rm -f "$OUT"
		exit 1
	fi
	[ -n "$NEVER" ] || return 0
	bad=$(nm -A -u $OWN | awk -v never=" $NEVER " '
	    index(never, " " $NF " ") { sub(/:$/, "", $1); print "  " $1 ": " $NF }')
	if [ -n "$bad" ]; then
		echo "$bad"
		echo "room $ROOM/ calls what its row says never (NEVER_$ROOM in" \
		    "the Makefile; doc/ARCHITECTURE.md)"
		rm -f "$OUT"
		exit 1
	fi
}

# includes - every #include in a room's .c and .h files names a header of
# its own room, of a room in its row, of libc, or of a library in its row;
# a room's *_int.h is its own.
includes() {
	awk '
	function norm(path,    n, i, k, p, out) {
		n = split(path, p, "/"); k = 0
		for (i = 1; i <= n; i++) {
			if (p[i] == "." || p[i] == "") continue
			if (p[i] == "..") { if (k == 0) return ""; k--; continue }
			out[++k] = p[i]
		}
		path = out[1]
		for (i = 2; i <= k; i++) path = path "/" out[i]
		return path
	}
	function lib_has(lib, h,    n, i, P) {
		n = split(inc[lib], P, " ")
		for (i = 1; i <= n; i++)
			if (P[i] ~ /\/$/ ? index(h, P[i]) == 1 : h == P[i])
				return 1
		return 0
	}
	function fail(why) {
		printf "  %s:%d: %s\n    %s\n", FILENAME, FNR, $0, why
		bad = 1
	}
	BEGIN {
		while ((getline line < "/dev/stdin") > 0) {
			n = split(line, w, " ")
			if (w[1] == "lib") {
				known[w[2]] = 1
				for (i = 3; i <= n; i++) inc[w[2]] = inc[w[2]] " " w[i]
			} else if (w[1] == "room") {
				side = 0; rooms[w[2]] = 1; libs[w[2]] = "libc"
				for (i = 3; i <= n; i++)
					if (w[i] == ":") side = 1
					else if (side) libs[w[2]] = libs[w[2]] " " w[i]
					else may[w[2], w[i]] = 1
			}
		}
		for (r in rooms) {
			n = split(libs[r], L, " ")
			for (i = 1; i <= n; i++)
				if (!(L[i] in known)) {
					printf "  Makefile: LIBS_%s names %s, which has" \
					    " no INC_%s (its headers)\n", r, L[i], L[i]
					bad = 1
				}
		}
		for (i = 1; i < ARGC; i++) {
			split(ARGV[i], p, "/")
			if (!(p[1] in rooms)) {
				printf "  %s: not in a room of the table\n", ARGV[i]
				bad = 1
			}
		}
	}
	FNR == 1 { split(FILENAME, p, "/"); room = p[1]; dir = room }
	/^[ \t]*#[ \t]*include/ {
		if (match($0, /<[^>]*>/)) {
			h = substr($0, RSTART + 1, RLENGTH - 2)
			n = split(libs[room], L, " ")
			for (i = 1; i <= n; i++)
				if (lib_has(L[i], h)) break
			if (i > n)
				fail("<" h "> is a header of no library in LIBS_" \
				    room " (nor libc)")
		} else if (match($0, /"[^"]*"/)) {
			h = norm(dir "/" substr($0, RSTART + 1, RLENGTH - 2))
			split(h, p, "/")
			if (h == "" || (p[1] != room && !((room, p[1]) in may)))
				fail("\"" h "\" is not a header of " room \
				    "/ or of a room in ROOM_" room)
			else if (p[1] != room && h ~ /_int\.h$/)
				fail("\"" h "\" is the inside of " p[1] "/")
		} else
			fail("an #include this check cannot read")
	}
	END {
		if (bad) {
			print "an #include crosses an arrow (doc/ARCHITECTURE.md;" \
			    " the table is the Makefile'"'"'s ROOM_x, LIBS_x, INC_lib)"
			exit 1
		}
	}' "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
link)		link ;;
includes)	includes "$@" ;;
*)		echo "usage: rooms.sh link | includes FILE..." >&2; exit 2 ;;
esac
