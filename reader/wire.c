/*
 * wire.c - the facts policy_read() fills, as bytes and back (reader_int.h)
 *
 * Only what policy_read() and policy_read_more() write travels: what
 * keys/ and policy_classify() set later (the signer above all) is the
 * daemon's and never comes from the reader.  Reading checks each length
 * against what is left, a string for a NUL inside, and the count of
 * encrypted parts against mime_max_parts: an answer that breaks a rule
 * is malformed (EM_EIO), never half taken.
 */

/* System library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "reader_int.h"

#define NUL_STR		UINT64_MAX	/* a string that is NULL */

/* put_u64 - one number */

static void
put_u64(struct buf *b, uint64_t v)
{
	buf_append(b, &v, sizeof(v));
}

/* put_bytes - a length, then the bytes (NULL: NUL_STR and nothing) */

static void
put_bytes(struct buf *b, const char *p, size_t n)
{
	put_u64(b, p == NULL ? NUL_STR : (uint64_t)n);
	if (p != NULL && n > 0)
		buf_append(b, p, n);
}

/* reader_put_facts - what policy_read() and policy_read_more() fill
 * (the forwarded entity only with forward: read_more never reads it) */

void
reader_put_facts(struct buf *b, const struct facts *f, bool forward)
{
	put_bytes(b, f->subject, f->subject ? strlen(f->subject) : 0);
	put_bytes(b, f->message_id, f->message_id ? strlen(f->message_id) : 0);
	put_bytes(b, f->from, f->from ? strlen(f->from) : 0);
	put_bytes(b, f->date, f->date ? strlen(f->date) : 0);
	put_bytes(b, f->forward.data ? f->forward.data : "",
	    forward ? f->forward.len : 0);
	put_bytes(b, f->text.data ? f->text.data : "", f->text.len);
	put_u64(b, f->top_encrypted);
	put_u64(b, f->first_text);
	put_u64(b, f->has_first_text);
	put_u64(b, f->parts);
	put_u64(b, f->depth);
	put_u64(b, f->unreadable);
	put_u64(b, f->sealed);
	put_u64(b, f->partial_missing);
	put_u64(b, f->n_crypt);
	for (size_t i = 0; i < f->n_crypt; i++) {
		put_u64(b, (uint64_t)f->crypt[i].kind);
		put_bytes(b, f->crypt[i].data.data ? f->crypt[i].data.data : "",
		    f->crypt[i].data.len);
	}
}

/* The reading side: a cursor that turns bad at the first broken rule. */
struct cur {
	const char *p;
	size_t	n, off;
	bool	bad;
};

/* get_u64 - one number, or bad */

static uint64_t
get_u64(struct cur *c)
{
	uint64_t v = 0;

	if (c->bad || c->n - c->off < sizeof(v)) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p + c->off, sizeof(v));
	c->off += sizeof(v);
	return v;
}

/* get_bytes - a length and its bytes, in place: *isnull for NUL_STR */

static const char *
get_bytes(struct cur *c, size_t *n, bool *isnull)
{
	uint64_t len = get_u64(c);
	const char *s;

	*n = 0;
	*isnull = !c->bad && len == NUL_STR;
	if (c->bad || *isnull)
		return NULL;
	if (len > READER_WIRE_MAX || len > c->n - c->off) {
		c->bad = true;
		return NULL;
	}
	s = c->p + c->off;
	c->off += (size_t)len;
	*n = (size_t)len;
	return s;
}

/* get_str - a string with no NUL inside, as a new copy (or NULL) */

static char *
get_str(struct cur *c)
{
	size_t n;
	bool isnull;
	const char *s = get_bytes(c, &n, &isnull);

	if (s == NULL)
		return NULL;
	if (memchr(s, '\0', n) != NULL) {
		c->bad = true;
		return NULL;
	}
	return xstrndup(s, n);
}

/* get_buf - bytes into b, which is emptied first */

static void
get_buf(struct cur *c, struct buf *b)
{
	size_t n;
	bool isnull;
	const char *s = get_bytes(c, &n, &isnull);

	buf_reset(b);
	if (isnull)
		c->bad = true;
	if (s != NULL && n > 0)
		buf_append(b, s, n);
}

/* get_crypt - the encrypted and signed parts, at most mime_max_parts */

static void
get_crypt(struct cur *c, const struct policy_limits *lim, struct facts *f)
{
	uint64_t n = get_u64(c);

	if (c->bad || n > lim->max_parts) {
		c->bad = true;
		return;
	}
	f->crypt = n > 0 ? xcalloc((size_t)n, sizeof(*f->crypt)) : NULL;
	for (f->n_crypt = 0; f->n_crypt < n && !c->bad; f->n_crypt++) {
		uint64_t kind = get_u64(c);

		if (kind > POLICY_CRYPT_LAST)
			c->bad = true;
		f->crypt[f->n_crypt].kind = (enum policy_crypt_kind)kind;
		buf_init(&f->crypt[f->n_crypt].data);
		get_buf(c, &f->crypt[f->n_crypt].data);
	}
}

/*
 * reader_get_facts - the facts from p into f, whose read fields are
 * replaced (what keys/ set, the signer, stays); EM_EIO when malformed
 */
int
reader_get_facts(const char *p, size_t n, const struct policy_limits *lim,
    struct facts *f, struct em_err *err)
{
	struct cur c = { p, n, 0, false };
	char *subject = get_str(&c);

	free(f->subject);
	f->subject = subject != NULL ? subject : xstrdup("");
	free(f->message_id);
	f->message_id = get_str(&c);
	free(f->from);
	f->from = get_str(&c);
	free(f->date);
	f->date = get_str(&c);
	get_buf(&c, &f->forward);
	get_buf(&c, &f->text);
	f->top_encrypted = get_u64(&c) != 0;
	f->first_text = (size_t)get_u64(&c);
	f->has_first_text = get_u64(&c) != 0;
	f->parts = (size_t)get_u64(&c);
	f->depth = (size_t)get_u64(&c);
	f->unreadable = (unsigned)get_u64(&c);
	f->sealed = (unsigned)get_u64(&c);
	f->partial_missing = (unsigned)get_u64(&c);
	for (size_t i = 0; i < f->n_crypt; i++)
		buf_free(&f->crypt[i].data);
	free(f->crypt);
	f->crypt = NULL;
	f->n_crypt = 0;
	get_crypt(&c, lim, f);
	if (c.bad || c.off != c.n || f->first_text > f->text.len)
		return em_fail(err, EM_EIO, "the reader's answer is malformed "
		    "(at byte %zu of %zu)", c.off, c.n);
	return EM_OK;
}

/* reader_put_answer - the child's answer: rc, the reason, the facts */

void
reader_put_answer(struct buf *b, int rc, const struct em_err *err,
    const struct facts *f)
{
	put_u64(b, (uint64_t)(int64_t)rc);
	put_bytes(b, err->msg, strnlen(err->msg, sizeof(err->msg) - 1));
	reader_put_facts(b, f, true);
}

/*
 * reader_get_answer - the child's answer into f, err and *rc (its EM_E*
 * code, checked); EM_EIO, f untouched or half filled, when malformed
 */
int
reader_get_answer(const char *p, size_t n, const struct policy_limits *lim,
    struct facts *f, int *rc, struct em_err *err)
{
	struct cur c = { p, n, 0, false };
	int64_t code = (int64_t)get_u64(&c);
	size_t mlen;
	bool isnull;
	const char *msg = get_bytes(&c, &mlen, &isnull);
	int frc;

	if (c.bad || msg == NULL || mlen >= sizeof(err->msg) ||
	    memchr(msg, '\0', mlen) != NULL || code > 0 ||
	    code < EM_EINTEGRITY)
		return em_fail(err, EM_EIO, "the reader's answer is malformed");
	if ((frc = reader_get_facts(p + c.off, n - c.off, lim, f, err)) < 0)
		return frc;
	memcpy(err->msg, msg, mlen);
	err->msg[mlen] = '\0';
	*rc = (int)code;
	return EM_OK;
}

/* reader_limits_put - the ceilings into a request */

void
reader_limits_put(struct reader_req *rq, const struct policy_limits *lim)
{
	rq->limits[0] = lim->max_depth;
	rq->limits[1] = lim->max_parts;
	rq->limits[2] = lim->max_header;
	rq->limits[3] = lim->max_decrypted;
}

/* reader_limits_get - and back */

struct policy_limits
reader_limits_get(const struct reader_req *rq)
{
	struct policy_limits lim = { (size_t)rq->limits[0],
	    (size_t)rq->limits[1], (size_t)rq->limits[2],
	    (size_t)rq->limits[3] };

	return lim;
}
