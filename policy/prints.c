/*
 * prints.c - keyed fingerprints of text, for the leak guard (see policy.h)
 *
 * Pure: the key is an argument; no store is read here.
 */

/* System library. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <glib.h>

/* Application-specific. */
#include "policy.h"
#include "../util/sha256.h"

/* lead - white space, ">" quote marks and "+" patch marks, in any mix */

static bool
lead(gunichar c)
{
	return c == '>' || c == '+' || g_unichar_isspace(c);
}

/* norm_ascii - the common case: a line of ASCII */

static void
norm_ascii(const char *p, size_t n, struct buf *out)
{
	size_t i = 0, o;
	bool space = false;

	/* At most n bytes: room once, then written in place. */
	buf_append(out, p, n);
	out->len -= n;
	o = out->len;
	while (i < n && lead((unsigned char)p[i]))
		i++;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isspace(c)) {
			space = o > 0;
			continue;
		}
		if (space)
			out->data[o++] = ' ';
		space = false;
		out->data[o++] = (char)tolower(c);
	}
	out->len = o;
	out->data[o] = '\0';
}

/*
 * norm_unicode - a line with other characters: NFKC (so compatibility
 * forms and no-break spaces become what they stand for), every Unicode
 * space a space, format characters dropped (zero-width spaces and
 * joiners, soft hyphens, byte order marks: text copied from web pages
 * and rich-text composers carries them between letters), lower case.
 */
static void
norm_unicode(const char *p, size_t n, struct buf *out)
{
	gchar *valid = g_utf8_make_valid(p, (gssize)n);
	gchar *nf = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
	bool space = false, start = true;

	for (const gchar *q = nf; q != NULL && *q != '\0'; q = g_utf8_next_char(q)) {
		gunichar c = g_utf8_get_char(q);
		GUnicodeType t = g_unichar_type(c);
		char u[8];
		gint w;

		if (t == G_UNICODE_FORMAT)
			continue;
		if (start && lead(c))
			continue;
		start = false;
		if (g_unichar_isspace(c) || t == G_UNICODE_SPACE_SEPARATOR) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_append(out, " ", 1);
		space = false;
		w = g_unichar_to_utf8(g_unichar_tolower(c), u);
		buf_append(out, u, (size_t)w);
	}
	g_free(nf);
	g_free(valid);
}

/* norm_line - one line: quote marks off, lower case, blanks collapsed */

static void
norm_line(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80) {
			norm_unicode(p, n, out);
			return;
		}
	norm_ascii(p, n, out);
}

/*
 * words - the words of the significant lines, one space between each, in
 * one buffer; at[k] is where word k starts.  A run of words is then a
 * substring: "w1 w2 w3 w4" is hashed where it lies, nothing is copied.
 */
static size_t
words(const char *text, size_t len, struct buf *all, size_t **at)
{
	const char *p = text, *end = text + len;
	struct buf line;
	size_t n = 0, cap = 0;

	buf_init(&line);
	/* Sized once for the common case (ASCII text: never longer). */
	all->data = xrealloc(all->data, len + 1);
	all->cap = len + 1;
	all->data[all->len] = '\0';
	cap = len / 6 + 64;
	*at = xcalloc(cap, sizeof(**at));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);

		buf_reset(&line);
		norm_line(p, ln, &line);
		/* A NUL ends the line's words (the text is a C string). */
		if (line.len >= POLICY_SIGNIFICANT)
			line.len = strnlen(line.data, line.len);
		if (line.len >= POLICY_SIGNIFICANT) {
			size_t base;

			if (all->len > 0)
				buf_append(all, " ", 1);
			base = all->len;
			buf_append(all, line.data, line.len);
			for (size_t i = 0; i < line.len; i++) {
				if (i > 0 && line.data[i - 1] != ' ')
					continue;
				if (n == cap) {
					cap *= 2;
					*at = xrealloc(*at, cap * sizeof(**at));
				}
				(*at)[n++] = base + i;
			}
		}
		p = nl ? nl + 1 : end;
	}
	buf_free(&line);
	return n;
}

/*
 * sort8 - sort the 8-byte prints as memcmp() orders them: a radix sort of
 * their big-endian values (a 200 KB message has some 30,000 runs; qsort
 * with memcmp was a fifth of the leak guard's time)
 */
static void
sort8(unsigned char (*h)[8], size_t n)
{
	uint64_t *a = xcalloc(n, sizeof(*a)), *b = xcalloc(n, sizeof(*b)), *t;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;

		for (int k = 0; k < 8; k++)
			v = v << 8 | h[i][k];
		a[i] = v;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[((a[i] >> shift) & 0xff) + 1]++;
		for (int k = 0; k < 256; k++)
			count[k + 1] += count[k];
		for (size_t i = 0; i < n; i++)
			b[count[(a[i] >> shift) & 0xff]++] = a[i];
		t = a, a = b, b = t;
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 8; k++)
			h[i][k] = (unsigned char)(a[i] >> (56 - 8 * k));
	free(a);
	free(b);
}

/* policy_prints - the sorted, distinct keyed hashes of every word run */

void
policy_prints(const char *text, size_t len, const void *key, size_t keylen,
    struct policy_prints *out)
{
	struct buf all;
	size_t *at, nw, n = 0;

	out->h = NULL;
	out->n = 0;
	buf_init(&all);
	nw = words(text, len, &all, &at);
	if (nw < POLICY_SHINGLE_WORDS) {
		free(at);
		buf_free(&all);
		return;
	}
	out->h = xcalloc(nw, 8);
	for (size_t i = 0; i + POLICY_SHINGLE_WORDS <= nw; i++) {
		size_t last = i + POLICY_SHINGLE_WORDS - 1;
		const char *sp = memchr(all.data + at[last], ' ',
		    all.len - at[last]);
		size_t stop = sp ? (size_t)(sp - all.data) : all.len;

		hmac_sha256_8(key, keylen, all.data + at[i], stop - at[i],
		    out->h[n++]);
	}
	free(at);
	buf_free(&all);
	sort8(out->h, n);
	out->n = 0;
	for (size_t i = 0; i < n; i++)
		if (out->n == 0 || memcmp(out->h[out->n - 1], out->h[i], 8) != 0)
			memcpy(out->h[out->n++], out->h[i], 8);
}

/* diff_header - a line that names files or a hunk, not code */

static bool
diff_header(const char *p, size_t n)
{
	static const char *const heads[] = { "diff --git ", "index ", "--- ",
	    "+++ ", "@@ " };

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t k = strlen(heads[i]);

		if (n >= k && memcmp(p, heads[i], k) == 0)
			return true;
	}
	return false;
}

/*
 * policy_secret_text - what of an advisory's text is secret: in a
 * unified diff only the added lines are (without their "+"); its context
 * and removed lines are code already public in the source tree, and its
 * file and hunk headers name public files.  Everything else is kept.
 */
void
policy_secret_text(const char *text, size_t len, struct buf *out)
{
	const char *line = text, *end = text + len;
	bool hunk = false;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *p = line;
		size_t n;

		/* A quoted patch ("> +code") is a patch: quote marks off. */
		while (p < (nl ? nl : end) && *p == '>') {
			p++;
			if (p < (nl ? nl : end) && *p == ' ')
				p++;
		}
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n >= 3 && memcmp(p, "@@ ", 3) == 0)
			hunk = true;
		else if (hunk && n > 0 && (p[0] == ' ' || p[0] == '-' ||
		    p[0] == '\\'))
			;	/* context, removed, "\ No newline" */
		else if (hunk && n > 0 && p[0] == '+' &&
		    !(n >= 4 && memcmp(p, "+++ ", 4) == 0)) {
			buf_append(out, p + 1, n - 1);
			buf_append(out, "\n", 1);
		} else if (diff_header(p, n)) {
			hunk = false;
		} else {
			if (n > 0)
				hunk = false;	/* a blank line may be context */
			if (!hunk) {
				buf_append(out, p, n);
				buf_append(out, "\n", 1);
			}
		}
		line = nl ? nl + 1 : end;
	}
}

/* policy_prints_free - release the hashes */

void
policy_prints_free(struct policy_prints *p)
{
	free(p->h);
	p->h = NULL;
	p->n = 0;
}
