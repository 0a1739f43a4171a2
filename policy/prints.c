/*
 * prints.c - keyed fingerprints of text, for the leak guard (see policy.h)
 *
 * Pure: the key is an argument; no store is read here.
 */

/* System library. */
#include <ctype.h>
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
	size_t i = 0;
	bool space = false;

	while (i < n && lead((unsigned char)p[i]))
		i++;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isspace(c)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_append(out, " ", 1);
		space = false;
		c = (unsigned char)tolower(c);
		buf_append(out, &c, 1);
	}
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

/* words - the stream of words of the significant lines */

static void
words(const char *text, size_t len, struct strv *w)
{
	const char *p = text, *end = text + len;
	struct buf line;

	buf_init(&line);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		buf_reset(&line);
		norm_line(p, n, &line);
		if (line.len >= POLICY_SIGNIFICANT) {
			char *s = line.data, *sp;

			while ((sp = strchr(s, ' ')) != NULL) {
				*sp = '\0';
				strv_push(w, s);
				s = sp + 1;
			}
			strv_push(w, s);
		}
		p = nl ? nl + 1 : end;
	}
	buf_free(&line);
}

static int
cmp8(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

/* policy_prints - the sorted, distinct keyed hashes of every word run */

void
policy_prints(const char *text, size_t len, const void *key, size_t keylen,
    struct policy_prints *out)
{
	struct strv w = { NULL, 0 };
	struct buf run;
	size_t n = 0;

	out->h = NULL;
	out->n = 0;
	words(text, len, &w);
	if (w.n < POLICY_SHINGLE_WORDS) {
		strv_free(&w);
		return;
	}
	out->h = xcalloc(w.n, 8);
	buf_init(&run);
	for (size_t i = 0; i + POLICY_SHINGLE_WORDS <= w.n; i++) {
		buf_reset(&run);
		for (size_t k = 0; k < POLICY_SHINGLE_WORDS; k++)
			buf_appendf(&run, "%s%s", k ? " " : "", w.v[i + k]);
		hmac_sha256_8(key, keylen, run.data, run.len, out->h[n++]);
	}
	buf_free(&run);
	strv_free(&w);
	qsort(out->h, n, 8, cmp8);
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
