/*
 * unicode.c - text in UTF-16 or UTF-32 that nothing labels, found by its
 * bytes and read as UTF-8 (SPEC 4)
 *
 * Windows Notepad ("Unicode"), PowerShell's redirection and many Windows
 * tools write UTF-16LE with a byte order mark; others write it without
 * one.  Sent as an attachment of no text type, as text/plain with no
 * charset, or inside an archive, such a file is read by the recipient's
 * editor as the text it is, so the leak guard reads it so too.  The
 * bytes decide, never a label: a byte order mark, else the pattern of
 * zero bytes that Latin-script text in UTF-16 or UTF-32 leaves (every
 * other byte, or three in four, zero).  Decoded here (a unit that is
 * no character becomes U+FFFD and the rest is read), within the input's
 * own ceilings: UTF-8 of UTF-16 is at most 1.5 times as long.
 */

/* System library. */
#include <stdint.h>
#include <string.h>

/* Utility library. */
#include <glib.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

#define SAMPLE	4096	/* bytes looked at for the zero-byte pattern */

/*
 * zero_pattern - the encoding whose zero bytes p shows: at least 3 in 4
 * of the code units in the sample have the zeros of ASCII-range text in
 * that form, and none is all zero (a binary's runs of zeros are not text)
 */
static const char *
zero_pattern(const unsigned char *p, size_t n)
{
	size_t m = n < SAMPLE ? n : SAMPLE, le16 = 0, be16 = 0, le32 = 0,
	    be32 = 0, units16 = m / 2, units32 = m / 4, nul16 = 0;

	for (size_t i = 0; i + 1 < m; i += 2) {
		le16 += p[i] != 0 && p[i + 1] == 0;
		be16 += p[i] == 0 && p[i + 1] != 0;
		nul16 += p[i] == 0 && p[i + 1] == 0;
	}
	for (size_t i = 0; i + 3 < m; i += 4) {
		le32 += p[i] != 0 && p[i + 1] == 0 && p[i + 2] == 0 &&
		    p[i + 3] == 0;
		be32 += p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 0 &&
		    p[i + 3] != 0;
	}
	if (units32 >= 8 && le32 * 4 >= units32 * 3)
		return "UTF-32LE";
	if (units32 >= 8 && be32 * 4 >= units32 * 3)
		return "UTF-32BE";
	if (units16 < 8 || nul16 * 8 > units16)
		return NULL;
	if (le16 * 4 >= units16 * 3)
		return "UTF-16LE";
	if (be16 * 4 >= units16 * 3)
		return "UTF-16BE";
	return NULL;
}

/* policy_unicode_form - the encoding of text the bytes show, or NULL;
 * *skip: the byte order mark's length */

const char *
policy_unicode_form(const char *data, size_t n, size_t *skip)
{
	const unsigned char *p = (const unsigned char *)data;

	*skip = 0;
	if (n >= 4 && memcmp(p, "\xff\xfe\0\0", 4) == 0)
		return *skip = 4, "UTF-32LE";
	if (n >= 4 && memcmp(p, "\0\0\xfe\xff", 4) == 0)
		return *skip = 4, "UTF-32BE";
	if (n >= 2 && memcmp(p, "\xff\xfe", 2) == 0)
		return *skip = 2, "UTF-16LE";
	if (n >= 2 && memcmp(p, "\xfe\xff", 2) == 0)
		return *skip = 2, "UTF-16BE";
	return zero_pattern(p, n);
}

/* unit - the code unit of w bytes at p, in the byte order big */

static uint32_t
unit(const unsigned char *p, size_t w, bool big)
{
	uint32_t u = 0;

	for (size_t k = 0; k < w; k++)
		u |= (uint32_t)p[big ? k : w - 1 - k] << (8 * (w - 1 - k));
	return u;
}

/* put - code point c as UTF-8 into out; one that is none, U+FFFD */

static void
put(struct buf *out, uint32_t c)
{
	char u8[8];
	gint n;

	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	n = g_unichar_to_utf8((gunichar)c, u8);
	buf_append(out, u8, (size_t)n);
}

/*
 * policy_unicode_text - bytes in UTF-16 or UTF-32 (policy_unicode_form)
 * as UTF-8 into out: true; false (out untouched) when they are in
 * neither.  A unit that is no character (a lone surrogate, a cut last
 * unit) is read as U+FFFD and the rest goes on, as an editor shows it.
 */
bool
policy_unicode_text(const char *data, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t skip, i;
	const char *form = policy_unicode_form(data, n, &skip);
	size_t w;
	bool big;

	if (form == NULL)
		return false;
	w = strncmp(form, "UTF-32", 6) == 0 ? 4 : 2;
	big = strcmp(form + 6, "BE") == 0;
	for (i = skip; i + w <= n; i += w) {
		uint32_t c = unit(p + i, w, big);

		if (w == 2 && c >= 0xd800 && c <= 0xdbff && i + 4 <= n) {
			uint32_t lo = unit(p + i + 2, 2, big);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		put(out, c);
	}
	if (i < n)
		put(out, 0xfffd);	/* a cut last unit */
	return true;
}
