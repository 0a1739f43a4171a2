/*
 * leaf.c - one leaf part's bytes read as text into struct facts: a text
 * part with its charset undone (unlabelled UTF-16 and UTF-32 too,
 * unicode.c), HTML as the text a reader sees, any other leaf or archive
 * member as text when it mostly is, else as strings(1) reads a binary;
 * and the OpenPGP armour found in what was read, kept for keys/
 *
 * mime.c walks the MIME tree and hands each leaf here; archive.c hands
 * each member.  Every text added goes through policy_text_add(), within
 * the facts' text ceiling.
 */

/* System library. */
#include <stdint.h>
#include <string.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

/* policy_crypt_add - keep an entity for keys/ */

void
policy_crypt_add(struct facts *f, enum policy_crypt_kind kind, const char *p, size_t n)
{
	struct policy_crypt *c;

	f->crypt = xrealloc(f->crypt, (f->n_crypt + 1) * sizeof(*f->crypt));
	c = &f->crypt[f->n_crypt++];
	c->kind = kind;
	buf_init(&c->data);
	buf_append(&c->data, p, n);
}

/*
 * policy_text_add - append text, without carriage returns, a NUL byte read as a
 * line's end (what follows a NUL is text a reader can see, and a C string
 * would end there), ending in a newline
 */
void
policy_text_add(struct facts *f, const char *p, size_t n)
{
	char *o = buf_room(&f->text, n + 1), *o0 = o;
	size_t i = 0;

	if (o == NULL)
		return;		/* at the text's ceiling: buf_over() says so */
	/* Eight bytes at a time, copied whole; o and i then moved to the
	 * first CR or NUL among them (the lowest byte the test finds is
	 * always one), which is left out or made a newline. */
	while (i + 8 <= n) {
		uint64_t w, m;
		size_t j;

		w = em_load8(p + i);
		em_store8(o, w);	/* room: o is at most o0 + i */
		m = em_zero_bytes(w) | em_zero_bytes(w ^ EM_BYTES('\r'));
		if (m == 0) {
			o += 8;
			i += 8;
			continue;
		}
		j = (size_t)__builtin_ctzll(m) / 8;
		o += j;
		i += j;
		if (p[i++] == '\0')
			*o++ = '\n';
	}
	for (; i < n; i++) {
		if (p[i] == '\r')
			continue;
		if (p[i] == '\0')
			*o++ = '\n';
		else
			*o++ = p[i];
	}
	f->text.len += (size_t)(o - o0);
	if (f->text.len > 0 && f->text.data[f->text.len - 1] != '\n')
		f->text.data[f->text.len++] = '\n';
	f->text.data[f->text.len] = '\0';
}

/* armor_scan - find an armored block "-----BEGIN what-----" .. END line */

static void
armor_scan(struct facts *f, const char *text, size_t len)
{
	static const struct {
		const char *begin, *end;
		enum policy_crypt_kind kind;
	} armors[] = {
		{ "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----",
		  POLICY_CRYPT_INLINE_ENCRYPTED },
		{ "-----BEGIN PGP SIGNED MESSAGE-----",
		  "-----END PGP SIGNATURE-----", POLICY_CRYPT_INLINE_SIGNED },
	};

	for (size_t i = 0; i < sizeof(armors) / sizeof(armors[0]); i++) {
		const char *b = em_memmem(text, len, armors[i].begin,
		    strlen(armors[i].begin));
		const char *e;

		if (b == NULL)
			continue;
		e = em_memmem(b, len - (size_t)(b - text), armors[i].end,
		    strlen(armors[i].end));
		if (e == NULL)
			continue;
		e += strlen(armors[i].end);
		policy_crypt_add(f, armors[i].kind, b, (size_t)(e - b));
	}
}

/*
 * lenient_encoding - a Content-Transfer-Encoding GMime did not know, read
 * as mutt and Thunderbird read it: its first word, case aside, by its
 * start ("base64;", "Base64 (as sent)", "quoted-printablex"), or the
 * uuencode names; DEFAULT when it names none
 */
static GMimeContentEncoding
lenient_encoding(const char *h)
{
	static const struct { const char *name; GMimeContentEncoding e; } k[] = {
		{ "base64", GMIME_CONTENT_ENCODING_BASE64 },
		{ "quoted-printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE },
		{ "x-uuencode", GMIME_CONTENT_ENCODING_UUENCODE },
		{ "x-uue", GMIME_CONTENT_ENCODING_UUENCODE },
		{ "uuencode", GMIME_CONTENT_ENCODING_UUENCODE },
	};

	while (*h == ' ' || *h == '\t' || *h == '"' || *h == '\'')
		h++;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (g_ascii_strncasecmp(h, k[i].name, strlen(k[i].name)) == 0)
			return k[i].e;
	return GMIME_CONTENT_ENCODING_DEFAULT;
}

/* policy_part_decoded - a leaf part's content, transfer encoding undone */

GMimeStream *
policy_part_decoded(GMimePart *part)
{
	GMimeStream *s = g_mime_stream_mem_new();
	GMimeDataWrapper *c = g_mime_part_get_content(part);
	const char *h = g_mime_object_get_header(GMIME_OBJECT(part),
	    "Content-Transfer-Encoding");
	GMimeContentEncoding e;

	if (h != NULL && g_mime_data_wrapper_get_encoding(c) ==
	    GMIME_CONTENT_ENCODING_DEFAULT &&
	    (e = lenient_encoding(h)) != GMIME_CONTENT_ENCODING_DEFAULT)
		g_mime_data_wrapper_set_encoding(c, e);
	(void)g_mime_data_wrapper_write_to_stream(c, s);
	return s;
}


/*
 * policy_to_utf8 - a text part's decoded bytes in UTF-8, as
 * g_mime_text_part_get_text() converts them, but whole: a NUL byte does
 * not end the text.  A charset nobody knows leaves the bytes as they are.
 */
GMimeStream *
policy_to_utf8(GMimePart *part, GByteArray *ba)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") :
	    NULL;
	GMimeFilter *filter = cs ? g_mime_filter_charset_new(cs, "utf-8") : NULL;
	GMimeStream *out = g_mime_stream_mem_new(), *fs;

	if (ba->len == 0) {		/* nothing to convert */
		if (filter != NULL)
			g_object_unref(filter);
		return out;
	}
	if (filter == NULL || (g_ascii_strncasecmp(cs, "utf-16", 6) != 0 &&
	    g_ascii_strncasecmp(cs, "utf-32", 6) != 0)) {
		struct buf u;	/* UTF-16 or -32 labelled as none or other */

		buf_init(&u);
		if (policy_unicode_text((const char *)ba->data, ba->len, &u)) {
			buf_append(&u, "\n", 1);
			(void)g_mime_stream_write(out, u.data, u.len);
		}
		buf_free(&u);	/* then the bytes too: text among them counts */
	}
	if (filter == NULL) {
		(void)g_mime_stream_write(out, (const char *)ba->data, ba->len);
		return out;
	}
	fs = g_mime_stream_filter_new(out);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), filter);
	g_object_unref(filter);
	(void)g_mime_stream_write(fs, (const char *)ba->data, ba->len);
	(void)g_mime_stream_flush(fs);
	g_object_unref(fs);
	return out;
}

/*
 * text_char - the length of the printable character at p (ASCII, a tab or
 * line end, or a well-formed UTF-8 sequence), or 0
 */
static size_t
text_char(const unsigned char *p, const unsigned char *end)
{
	size_t n, need;

	if (*p == '\t' || *p == '\n' || *p == '\r' || (*p >= 0x20 && *p < 0x7f))
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		need = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		need = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		need = 4;
	else
		return 0;
	if ((size_t)(end - p) < need)
		return 0;
	for (n = 1; n < need; n++)
		if ((p[n] & 0xc0) != 0x80)
			return 0;
	return need;
}

#define RUN_MIN	20	/* characters: a significant line (SPEC 4) */

/*
 * policy_read_bytes - a leaf of no text type, as text.  Mostly text (nine bytes
 * in ten printable: a patch or an advisory sent as octet-stream, text with
 * a NUL put in) is read whole; anything else, a binary, is read as
 * strings(1) reads it: every run of RUN_MIN printable characters or more,
 * a line each.  A binary of random bytes yields next to nothing, so the
 * leak guard does not pay for it, yet text hidden among its bytes counts.
 */
void
policy_read_bytes(const char *data, size_t len, struct facts *f)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	size_t good = 0;
	struct buf u;

	buf_init(&u);
	if (policy_unicode_text(data, len, &u)) {	/* UTF-16 or -32 */
		armor_scan(f, u.data, u.len);
		policy_text_add(f, u.data, u.len);	/* then the bytes as below */
	}
	buf_free(&u);
	for (const unsigned char *q = p; q < end;) {
		size_t k = text_char(q, end);

		good += k;
		q += k ? k : 1;
	}
	if (good >= len - len / 10) {
		armor_scan(f, data, len);
		policy_text_add(f, data, len);
		return;
	}
	while (p < end) {
		const unsigned char *run = p;
		size_t chars = 0, k;

		while (p < end && (k = text_char(p, end)) > 0 && *p != '\n') {
			p += k;
			chars++;
		}
		if (chars >= RUN_MIN)
			policy_text_add(f, (const char *)run, (size_t)(p - run));
		if (p < end) {
			k = text_char(p, end);	/* the line end, or a byte */
			p += k ? k : 1;
		}
	}
}

/* policy_read_text_part - a text part's text, charset undone, into the facts */

void
policy_read_text_part(GMimePart *part, GByteArray *decoded, struct facts *f)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	GMimeStream *s = policy_to_utf8(part, decoded);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	const char *t = ba->len ? (const char *)ba->data : "";
	size_t n_crypt = f->n_crypt;

	armor_scan(f, t, ba->len);
	/*
	 * Where the first text part starts: its first lines are the
	 * advisory's title block (SPEC 4).  Ciphertext is no title;
	 * its plaintext, read later, may be.
	 */
	if (!f->has_first_text && (f->n_crypt == n_crypt ||
	    f->crypt[n_crypt].kind != POLICY_CRYPT_INLINE_ENCRYPTED)) {
		f->has_first_text = true;
		f->first_text = f->text.len;
	}
	if (ct != NULL && g_mime_content_type_is_type(ct, "text", "html")) {
		struct buf plain;

		buf_init(&plain);
		policy_html_to_text(t, ba->len, &plain);
		policy_text_add(f, plain.data ? plain.data : "", plain.len);
		buf_free(&plain);
	} else {
		policy_text_add(f, t, ba->len);
	}
	g_object_unref(s);
}
