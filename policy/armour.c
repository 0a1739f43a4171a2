/*
 * armour.c - which lines of a text are OpenPGP armour, to the leak guard
 * (see prints.c)
 */

/* System library. */
#include <ctype.h>
#include <string.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/*
 * Armour, to the leak guard: an OpenPGP armour's BEGIN
 * and END lines, the armour headers after a BEGIN (Hash:, Version:, ...),
 * and a signature's radix-64 body are nobody's text (SPEC 4): every
 * clearsigned advisory carries the same ones.  Quote marks are skipped.
 * Only real armour is skipped (RFC 4880 6.2): the armour types and header
 * names it defines, radix-64 lines; any other line is text, so that
 * nobody hides an advisory's lines inside lines that look like armour.
 */

/* armour_type - "-----BEGIN|END <type>-----" with a type of RFC 4880 */

static bool
armour_type(const char *p, size_t n, bool *begin, bool *sig)
{
	static const char *const types[] = { "PGP MESSAGE", "PGP SIGNED MESSAGE",
	    "PGP SIGNATURE", "PGP PUBLIC KEY BLOCK", "PGP PRIVATE KEY BLOCK" };

	if (n < 20 || memcmp(p, "-----", 5) != 0 ||
	    memcmp(p + n - 5, "-----", 5) != 0)
		return false;
	p += 5;
	n -= 10;
	if (n > 6 && memcmp(p, "BEGIN ", 6) == 0)
		*begin = true, p += 6, n -= 6;
	else if (n > 4 && memcmp(p, "END ", 4) == 0)
		*begin = false, p += 4, n -= 4;
	else
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (n == strlen(types[i]) && memcmp(p, types[i], n) == 0) {
			*sig = i == 2;
			return true;
		}
	/* "PGP MESSAGE, PART X/Y" and "PGP MESSAGE, PART X" */
	if (n <= 18 || memcmp(p, "PGP MESSAGE, PART ", 18) != 0)
		return false;
	for (size_t i = 18; i < n; i++)
		if (!isdigit((unsigned char)p[i]) && p[i] != '/')
			return false;
	*sig = false;
	return true;
}

/* armour_header - "Name: value" with a header name of RFC 4880 6.2 */

static bool
armour_header(const char *p, size_t n)
{
	static const char *const names[] = { "Hash: ", "Version: ", "Comment: ",
	    "Charset: ", "MessageID: " };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n >= strlen(names[i]) &&
		    memcmp(p, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* radix64 - a line of radix-64 (or its "=" checksum): one word, no text */

static bool
radix64(const char *p, size_t n)
{
	if (n == 0 || n > 80)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '+' && p[i] != '/' &&
		    p[i] != '=')
			return false;
	return true;
}

/* policy_armour_line - is this line armour (skipped)? st follows the
 * armour */

bool
policy_armour_line(const char *p, size_t n, enum policy_armour *st)
{
	bool begin, sig;

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	/* In text (most lines) only an armour line is armour: it ends in
	 * "-----", and is 20 bytes or more once its start is trimmed too. */
	if (*st == POLICY_ARM_TEXT &&
	    (n < 20 || memcmp(p + n - 5, "-----", 5) != 0))
		return false;
	while (n > 0 && (*p == '>' || *p == ' ' || *p == '\t'))
		p++, n--;
	if (armour_type(p, n, &begin, &sig)) {
		*st = !begin ? POLICY_ARM_TEXT : sig ? POLICY_ARM_SIG :
		    POLICY_ARM_HEADERS;
		return true;
	}
	switch (*st) {
	case POLICY_ARM_HEADERS:
		if (n == 0 || armour_header(p, n)) {
			if (n == 0)
				/* the headers end at a blank */
				*st = POLICY_ARM_TEXT;
			return true;
		}
		*st = POLICY_ARM_TEXT;
		return false;
	case POLICY_ARM_SIG:
		if (n == 0 || armour_header(p, n) || radix64(p, n))
			return true;
		*st = POLICY_ARM_TEXT;		/* text, not a signature: it counts */
		return false;
	default:
		return false;
	}
}

