#!/bin/sh
# rooms.sh - the arrows between the rooms (doc/ARCHITECTURE.md), kept by
# "make rooms" from the one table in the Makefile (ROOM_x, LIBS_x).
# Prints what crosses an arrow and exits 1.
#
#   rooms.sh link       ROOM OUT MAIN OWN ABOVE LDLIBS CC from the
#                       environment (the Makefile's $(B)/rooms/% rule)
set -eu
cd "$(dirname "$0")/.." || exit 2

# link - the room's own objects, linked into a program that does nothing
# (MAIN) with stand-ins for what the rooms it may use define (ABOVE: their
# global symbols and nothing else, so what those rooms call is not asked)
# and with its own libraries (LDLIBS) only: anything else it calls is an
# undefined symbol.
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
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
link)		link ;;
*)		echo "usage: rooms.sh link" >&2; exit 2 ;;
esac
