/*
 * prints.c - keyed fingerprints of text, for the leak guard (see policy.h)
 *
 * Pure: the key is an argument; no store is read here.
 */

/* System library. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "policy.h"
#include "../util/sha256.h"

/* norm_line - one line: quote marks off, lower case, blanks collapsed */

static void
norm_line(const char *p, size_t n, struct buf *out)
{
	size_t i = 0;
	bool space = false;

	/* Leading white space and ">" quote marks, in any mix. */
	while (i < n && (isspace((unsigned char)p[i]) || p[i] == '>'))
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

/* policy_prints_free - release the hashes */

void
policy_prints_free(struct policy_prints *p)
{
	free(p->h);
	p->h = NULL;
	p->n = 0;
}
