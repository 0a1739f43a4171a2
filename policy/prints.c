/*
 * prints.c - keyed fingerprints of text, for the leak guard (see policy.h)
 *
 * Pure: the key is an argument; no store is read here.
 */

/* System library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Utility library. */
#include <glib.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"
#include "../util/sha256.h"

/* lead - white space, ">" quote marks and "+" patch marks, in any mix */

static bool
lead(gunichar c)
{
	return c == '>' || c == '+' || g_unichar_isspace(c);
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
	size_t base = out->len;
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
			space = out->len > base;
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

/*
 * norm_line - one line, appended to out: quote marks off, lower case,
 * blanks collapsed.  The common case, ASCII, in one pass written in place
 * (isspace() and tolower() of the C locale, without its tables); a line
 * with any other byte starts again in norm_unicode().
 */
static void
norm_line(const char *p, size_t n, struct buf *out)
{
	char *o = buf_room(out, n), *o0 = o;
	bool space = false;
	size_t i = 0;

	if (o == NULL)
		return;		/* over the owner's ceiling: buf_over() says so */
	while (i < n && (unsigned char)p[i] < 0x80 && lead((unsigned char)p[i]))
		i++;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80) {
			norm_unicode(p, n, out);
			return;
		}
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			space = o > o0;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out->len += (size_t)(o - o0);
	out->data[out->len] = '\0';
}

/*
 * The word stream, walked in one pass: each significant line is
 * normalised onto the end of one buffer, joined to the line before by a
 * space, and its words taken where they lie.  A run's bytes, "w1 w2 w3
 * w4", are then one span of that buffer however many lines its words
 * come from.  Past WALK_KEEP bytes the buffer is cut back to the words a
 * run may still need (walk_compact()).
 */
#define RUNW	POLICY_SHINGLE_WORDS
#define WALK_KEEP	((size_t)16384)	/* stream bytes kept before a cut */

struct walk {
	struct buf all;
	struct { size_t off, n, line; } win[RUNW];
	size_t	nwords;
	size_t	unknown;	/* 1 + the last word not in w->words */
	size_t	*wst, wcap;	/* a plain line's word starts */
};

/* byte_step - one byte of norm_ascii(): c written to o (or left, a
 * space after a space), a word's start noted; *sp: c was a space */

static inline void
byte_step(unsigned c, char **o, const char *o0, size_t *wst, size_t *k,
    unsigned *sp)
{
	unsigned is = (c == ' ') | (c - '\t' < 5u);

	wst[*k] = (size_t)(*o - o0);
	*k += ~is & *sp & 1u;			/* a word starts here */
	**o = (char)(is ? ' ' : c | (unsigned)(c - 'A' < 26u) << 5);
	*o += ~(is & *sp) & 1u;			/* one space of a run kept */
	*sp = is;
}

/*
 * norm_ascii - norm_line() of a plain line (no byte NUL or above 0x7f)
 * into o (n bytes of room); the start of each word, as an offset in o,
 * into wst (n / 2 + 2 of room), their number into *nw.  What it writes is
 * what norm_line() writes, byte for byte: the prints stored at
 * registration are of norm_line()'s text.  Eight bytes at a time where no
 * two spaces meet (most text): lowered and copied whole, a space made
 * ' ', the words' starts read off the spaces' bits; one byte at a time
 * elsewhere.  Whether the line is plain is found on the way (*plain):
 * what it wrote for a line that is not is nothing (norm_line() serves).
 */
static size_t
norm_ascii(const char *p, size_t n, char *o0, size_t *wst, size_t *nw,
    bool *plain)
{
	const uint64_t ones = 0x0101010101010101u, highs = ones << 7;
	const unsigned char *s = (const unsigned char *)p, *e = s + n;
	char *o = o0;
	unsigned sp = 1;
	size_t k = 0;
	uint64_t bad = 0;	/* a NUL byte or one above 0x7f */

	/* lead() of an ASCII byte: '>', '+', and what glib calls a space */
	while (s < e && (*s == '>' || *s == '+' || *s == ' ' || *s == '\t' ||
	    *s == '\n' || *s == '\r' || *s == '\f'))
		s++;
	for (; e - s >= 8; s += 8) {
		uint64_t v, sps, up, w, before;

		v = em_load8(s);
		bad |= (v | ((v - ones) & ~v)) & highs;
		/* Each byte is below 0x80 (or the line is not plain, and what
		 * is written does not count): no sum carries into the next. */
		sps = ((~((v ^ (ones * ' ')) + ones * 0x7f) |
		    ((v + ones * (0x80 - '\t')) & ~(v + ones * (0x80 - '\r' - 1))))
		    & highs);
		before = sps << 8 | (uint64_t)sp << 7;	/* the byte before: a space */
		if (sps & before) {
			for (size_t i = 0; i < 8; i++)
				byte_step(s[i], &o, o0, wst, &k, &sp);
			continue;
		}
		up = (v + ones * (0x80 - 'A')) & ~(v + ones * (0x80 - 'Z' - 1)) &
		    highs;
		v = (v | up >> 2) & ~((sps >> 7) * 0xff);
		v |= (sps >> 7) * ' ';
		em_store8(o, v);
		for (w = ~sps & highs & before; w != 0; w &= w - 1)
			wst[k++] = (size_t)(o - o0) + (size_t)__builtin_ctzll(w) / 8;
		o += 8;
		sp = (unsigned)(sps >> 63);
	}
	for (; s < e; s++) {
		bad |= *s - 1u >= 0x7fu;
		byte_step(*s, &o, o0, wst, &k, &sp);
	}
	if (o > o0 && o[-1] == ' ')
		o--;
	*nw = k;
	*plain = bad == 0;
	return (size_t)(o - o0);
}

/*
 * word_hash - a word's hash under key: its bytes eight at a time, the
 * last ones alone (the rest of their eight zero); eight bytes from p on
 * may be read (the stream keeps eight bytes of room past its end)
 */
static inline uint64_t
word_hash(uint64_t key, const char *p, size_t n)
{
	uint64_t x = key ^ (uint64_t)n, v;

	for (; n > 8; p += 8, n -= 8) {
		v = em_load8(p);
		x = (x ^ v) * 0xbf58476d1ce4e5b9u;
		x ^= x >> 29;
	}
	v = em_load8(p);
	v &= n == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1;
	x = (x ^ v) * 0x94d049bb133111ebu;
	return x ^ x >> 32;
}

/* WORDS_BIT_AT - bit i (0, 1) of a word's hash h: POLICY_WORDS_LOG of
 * its top bits each */

#define WORDS_BIT_AT(h, i)	((size_t)((h) >> \
	(64 - POLICY_WORDS_LOG * ((i) + 1))) & (POLICY_WORDS_BITS - 1))

/* words_has - may the word at p be in wd? */

static inline bool
words_has(const struct policy_words *wd, const char *p, size_t n)
{
	uint64_t h = word_hash(wd->key, p, n);
	size_t a = WORDS_BIT_AT(h, 0), b = WORDS_BIT_AT(h, 1);

	return (wd->bits[a / 64] >> (a % 64) & wd->bits[b / 64] >> (b % 64) &
	    1) != 0;
}

/* words_set - a word's two bits set in wd */

static void
words_set(struct policy_words *wd, const char *p, size_t n)
{
	char small[72], *w = n + 8 <= sizeof(small) ? small : xmalloc(n + 8);
	uint64_t h;

	memset(w, 0, n + 8);	/* word_hash() reads eight bytes a step */
	memcpy(w, p, n);
	h = word_hash(wd->key, w, n);
	if (w != small)
		free(w);
	wd->bits[WORDS_BIT_AT(h, 0) / 64] |= (uint64_t)1 << (WORDS_BIT_AT(h, 0) % 64);
	wd->bits[WORDS_BIT_AT(h, 1) / 64] |= (uint64_t)1 << (WORDS_BIT_AT(h, 1) % 64);
}

/* policy_words_add - the words of a run into wd */

void
policy_words_add(struct policy_words *wd, const char *run, size_t n)
{
	const char *p = run, *end = run + n;

	for (;;) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		words_set(wd, p, (size_t)((sp != NULL ? sp : end) - p));
		if (sp == NULL)
			return;
		p = sp + 1;
	}
}

/* walk_word - one word: into the window, and a run once there are RUNW
 * (with w->words, and no word of it unknown there) */

static inline void
walk_word(struct walk *r, const struct policy_walker *w,
    size_t off, size_t n, size_t lineno)
{
	size_t slot = r->nwords++ % RUNW, first;

	r->win[slot].off = off;
	r->win[slot].n = n;
	r->win[slot].line = lineno;
	if (w->words != NULL && !words_has(w->words, r->all.data + off, n))
		r->unknown = r->nwords;
	if (r->nwords < RUNW || (r->unknown != 0 &&
	    r->unknown + RUNW > r->nwords))
		return;
	first = r->nwords % RUNW;
	w->run(r->win[first].line, r->all.data + r->win[first].off,
	    off + n - r->win[first].off, w->ctx);
}

/* line_end - the line just normalised from at, n bytes long: kept when
 * it is significant (true), taken back off the stream when not */

static bool
line_end(struct walk *r, size_t before, size_t at, size_t n)
{
	if (n < POLICY_SIGNIFICANT) {
		r->all.len = before;
		r->all.data[before] = '\0';
		return false;
	}
	r->all.len = at + n;
	r->all.data[at + n] = '\0';
	return true;
}

/* walk_plain - walk_line() of a plain line: normalised and split in one
 * pass (norm_ascii()); false, nothing walked, when it is not plain */

static bool
walk_plain(struct walk *r, const struct policy_walker *w,
    const char *q, size_t ln, size_t lineno, size_t before, size_t at)
{
	char *o = r->all.data + at;
	size_t n, k;
	bool plain;

	if (ln / 2 + 2 > r->wcap) {
		r->wcap = ln / 2 + 2;
		r->wst = xrealloc(r->wst, r->wcap * sizeof(*r->wst));
	}
	n = norm_ascii(q, ln, o, r->wst, &k, &plain);
	if (!plain)
		return false;
	if (!line_end(r, before, at, n))
		return true;
	r->wst[k] = n + 1;	/* the last word ends with the line */
	for (size_t i = 0; i < k; i++)
		walk_word(r, w, at + r->wst[i], r->wst[i + 1] - 1 - r->wst[i],
		    lineno);
	return true;
}

/* short_ascii - no byte of a short line above 0x7f: normalised, it is
 * no longer than it is (NFKC may make other characters longer) */

static inline bool
short_ascii(const char *q, size_t ln)
{
	unsigned char any = 0;

	for (size_t i = 0; i < ln; i++)
		any |= (unsigned char)q[i];
	return any < 0x80;
}

/*
 * walk_line - one line normalised onto the stream; its words walked.
 * A line shorter than POLICY_SIGNIFICANT once normalised is left out.
 */
static void
walk_line(struct walk *r, const struct policy_walker *w,
    const char *q, size_t ln, size_t lineno)
{
	size_t before = r->all.len, at = before + (before > 0), n;
	char *o;

	if (ln < POLICY_SIGNIFICANT && short_ascii(q, ln))
		return;		/* never significant: nothing to write */
	/* Room for the space that joins it to the line before, the line
	 * as norm_ascii() writes it, a NUL, and the eight bytes word_hash()
	 * may read past a word. */
	if ((o = buf_room(&r->all, ln + 2 + 8)) == NULL)
		return;		/* over the owner's ceiling: buf_over() says so */
	if (before > 0)
		*o = ' ';
	if (walk_plain(r, w, q, ln, lineno, before, at))
		return;
	r->all.len = at;	/* not plain: norm_line() writes it */
	norm_line(q, ln, &r->all);
	if (buf_room(&r->all, 8) == NULL)	/* word_hash()'s eight */
		return;
	n = r->all.len - at;
	/* A NUL ends the line's words (the text is a C string). */
	if (n >= POLICY_SIGNIFICANT)
		n = strnlen(r->all.data + at, n);
	if (!line_end(r, before, at, n))
		return;
	/* Normalised: words are split by one space exactly. */
	for (size_t q0 = at, e = at + n;;) {
		const char *sp = memchr(r->all.data + q0, ' ', e - q0);
		size_t end = sp ? (size_t)(sp - r->all.data) : e;

		walk_word(r, w, q0, end - q0, lineno);
		if (sp == NULL)
			break;
		q0 = end + 1;
	}
}

/*
 * walk_compact - the stream cut to the words a run may still need (the
 * last RUNW - 1), moved to its start, the window's offsets with them: the
 * stream stays a few KiB however long the text, in the processor's cache
 * (a whole 200 KB message normalised was 200 KB more written a message)
 */
static void
walk_compact(struct walk *r)
{
	size_t keep = r->nwords < RUNW - 1 ? r->nwords : RUNW - 1;
	size_t cut = keep == 0 ? r->all.len :
	    r->win[(r->nwords - keep) % RUNW].off;
	memmove(r->all.data, r->all.data + cut, r->all.len - cut + 1);
	r->all.len -= cut;
	for (size_t i = 0; i < RUNW; i++)
		r->win[i].off = r->win[i].off >= cut ? r->win[i].off - cut : 0;
}

/*
 * policy_walk - every run of POLICY_SHINGLE_WORDS words of the
 * significant lines of text, in order, to w (see policy.h)
 */
void
policy_walk(const char *text, size_t len, const struct policy_walker *w)
{
	const char *p = text, *end = text + len;
	struct walk r;
	size_t lineno = 0;
	enum policy_armour arm = POLICY_ARM_TEXT;

	memset(&r, 0, sizeof(r));
	buf_init(&r.all);
	for (; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = p;

		p = nl ? nl + 1 : end;
		if (r.all.len > WALK_KEEP)
			walk_compact(&r);
		if (!policy_armour_line(q, ln, &arm))
			walk_line(&r, w, q, ln, lineno);
	}
	buf_free(&r.all);
	free(r.wst);
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

/* The keyed hash of each run, in order (hash_runs' walk). */
struct hmac_walk {
	const void *key;
	size_t	keylen;
	unsigned char (*h)[8];
	size_t *lines;
	size_t	n, cap;
};

/* hmac_run - policy_walk() work: one run's HMAC, appended */

static void
hmac_run(size_t line, const char *run, size_t n, void *ctx)
{
	struct hmac_walk *hw = ctx;

	if (hw->n == hw->cap) {
		hw->cap = hw->cap ? hw->cap * 2 : 256;
		hw->h = xrealloc(hw->h, hw->cap * 8);
		hw->lines = xrealloc(hw->lines, hw->cap * sizeof(*hw->lines));
	}
	hmac_sha256_8(hw->key, hw->keylen, run, n, hw->h[hw->n]);
	hw->lines[hw->n++] = line;
}

/*
 * hash_runs - the keyed hash of every run of POLICY_SHINGLE_WORDS words,
 * in order, into h; lines (if not NULL) gets the line of each run's
 * first word.  Returns how many.
 */
static size_t
hash_runs(const char *text, size_t len, const void *key, size_t keylen,
    unsigned char (**h)[8], size_t **line_of)
{
	struct hmac_walk hw = { key, keylen, NULL, NULL, 0, 0 };
	struct policy_walker w = { hmac_run, &hw, NULL };

	policy_walk(text, len, &w);
	*h = hw.h;
	if (line_of != NULL)
		*line_of = hw.lines;
	else
		free(hw.lines);
	return hw.n;
}

/* policy_prints - the sorted, distinct keyed hashes of every word run */

void
policy_prints(const char *text, size_t len, const void *key, size_t keylen,
    struct policy_prints *out)
{
	policy_prints_finish(out, hash_runs(text, len, key, keylen, &out->h,
	    NULL));
}

/* policy_prints_finish - the n hashes in out->h sorted, made distinct */

void
policy_prints_finish(struct policy_prints *out, size_t n)
{
	out->n = 0;
	if (n == 0)
		return;
	sort8(out->h, n);
	for (size_t i = 0; i < n; i++)
		if (out->n == 0 || memcmp(out->h[out->n - 1], out->h[i], 8) != 0)
			memcpy(out->h[out->n++], out->h[i], 8);
}

/* policy_runs - every word run in order, with the line it starts on */

void
policy_runs(const char *text, size_t len, const void *key, size_t keylen,
    struct policy_run **out, size_t *n)
{
	unsigned char (*h)[8];
	size_t *lines;

	*n = hash_runs(text, len, key, keylen, &h, &lines);
	*out = xcalloc(*n + 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		memcpy((*out)[i].h, h[i], 8);
		(*out)[i].line = lines[i];
	}
	free(h);
	free(lines);
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

/* What one line of an advisory's text is, read as a unified diff. */
enum patch_line { PL_TEXT, PL_ADDED, PL_CONTEXT, PL_REMOVED, PL_SKIP };

/*
 * patch_each - every line of text with what it is: an added line (PL_ADDED,
 * without its "+"), a context line (PL_CONTEXT) or a removed one
 * (PL_REMOVED: both code already in the public tree), a file or hunk
 * header (PL_SKIP), or text (PL_TEXT)
 */
static void
patch_each(const char *text, size_t len,
    void (*cb)(enum patch_line, const char *, size_t, void *), void *ctx)
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
		if (n >= 3 && memcmp(p, "@@ ", 3) == 0) {
			hunk = true;
			cb(PL_SKIP, p, n, ctx);
		} else if (hunk && n > 0 && (p[0] == ' ' || p[0] == '-')) {
			cb(p[0] == ' ' ? PL_CONTEXT : PL_REMOVED, p + 1, n - 1,
			    ctx);
		} else if (hunk && n > 0 && p[0] == '\\') {
			cb(PL_SKIP, p, n, ctx);		/* "\ No newline" */
		} else if (hunk && n > 0 && p[0] == '+' &&
		    !(n >= 4 && memcmp(p, "+++ ", 4) == 0)) {
			cb(PL_ADDED, p + 1, n - 1, ctx);
		} else if (diff_header(p, n)) {
			hunk = false;
			cb(PL_SKIP, p, n, ctx);
		} else {
			if (n > 0)
				hunk = false;	/* a blank line may be context */
			cb(hunk ? PL_SKIP : PL_TEXT, p, n, ctx);
		}
		line = nl ? nl + 1 : end;
	}
}

/* secret_cb - patch_each() work: the text, and each hunk as the code
 * now reads (its context and added lines, in their order) */

static void
secret_cb(enum patch_line k, const char *p, size_t n, void *ctx)
{
	if (k == PL_REMOVED || k == PL_SKIP)
		return;
	buf_append(ctx, p, n);
	buf_append(ctx, "\n", 1);
}

/*
 * policy_secret_text - what of an advisory's text may be secret: its text,
 * and each hunk of a unified diff in it as the code reads after the fix
 * (context and added lines, in order, without their marks); its removed
 * lines and its file and hunk headers are left out.  What of that the
 * public tree already shows is policy_patch_public()'s: the runs of both
 * are public (policy_secret_prints()), so what stays secret is the new
 * text and the new order: a moved or re-indented line is public on its
 * own, the runs that join it to its new neighbours are not.
 */
void
policy_secret_text(const char *text, size_t len, struct buf *out)
{
	patch_each(text, len, secret_cb, out);
}

/* public_cb - patch_each() work: each hunk as the code read before the
 * fix (its context and removed lines, in their order) */

static void
public_cb(enum patch_line k, const char *p, size_t n, void *ctx)
{
	if (k != PL_CONTEXT && k != PL_REMOVED)
		return;
	buf_append(ctx, p, n);
	buf_append(ctx, "\n", 1);
}

/* policy_patch_public - what a patch in text shows of the public tree:
 * each hunk as the code read before it */

void
policy_patch_public(const char *text, size_t len, struct buf *out)
{
	patch_each(text, len, public_cb, out);
}

/* policy_prints_free - release the hashes */

void
policy_prints_free(struct policy_prints *p)
{
	free(p->h);
	p->h = NULL;
	p->n = 0;
}
