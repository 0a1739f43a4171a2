/*
 * mime.c - read a message with GMime into struct facts
 *
 * Every leaf is decoded (transfer encoding, and a text part's charset)
 * and its bytes decide what it is, never its declared type: an archive is
 * unpacked, text/html is read as the text a reader sees, and every other
 * leaf (a patch, an advisory attached as application/octet-stream) is
 * read as text, since an attached patch or advisory is advisory text.  Forwarded messages (message/rfc822) are walked like any
 * other part: a forward is the commonest leak.  Encrypted and signed
 * entities are kept whole for keys/, which policy/ never calls.
 *
 * Every input is bounded: nesting depth, part count, header block size.
 */

/* System library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "policy.h"
#include "policy_int.h"

struct walk {
	const struct policy_limits *lim;
	struct facts *f;
	struct em_err *err;
	struct policy_archive arc;	/* the archives attached so far */
	size_t	nest;			/* mail read inside archives, deep */
	GPtrArray *partials;		/* message/partial parts met (refs) */
};

/* facts_init - an empty set of facts */

void
facts_init(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->text);
	buf_init(&f->forward);
	f->subject = xstrdup("");
	f->revision = 1;
}

/* facts_free - release what the facts hold */

void
facts_free(struct facts *f)
{
	free(f->subject);
	free(f->message_id);
	free(f->from);
	free(f->date);
	buf_free(&f->forward);
	buf_free(&f->text);
	for (size_t i = 0; i < f->n_crypt; i++)
		buf_free(&f->crypt[i].data);
	free(f->crypt);
	memset(f, 0, sizeof(*f));
}

static int walk(GMimeObject *obj, size_t depth, struct walk *w);
static int walk_message(GMimeMessage *m, size_t depth, struct walk *w);
static size_t header_len(const char *msg, size_t len);
static GMimeParser *parser_for(const char *p, size_t n);

/*
 * looks_like_mail - bytes that begin with a mail's header block (a saved
 * .eml, an mbox): a first line "Name: value" or "From ", a blank line
 * ending the block within max_header, and a field every mail has
 */
static bool
looks_like_mail(const char *p, size_t n, const struct policy_limits *lim)
{
	static const char *const fields[] = { "\nfrom:", "\nsubject:",
	    "\nmessage-id:", "\nmime-version:", "\ncontent-type:",
	    "\nreceived:", "\ndate:" };
	size_t i = 0, hl = header_len(p, n);
	gchar *low;
	bool mail = false;

	if (hl >= n || hl > lim->max_header)
		return false;
	if (!(n > 5 && memcmp(p, "From ", 5) == 0)) {
		while (i < hl && g_ascii_isgraph(p[i]) && p[i] != ':')
			i++;
		if (i == 0 || i >= hl || p[i] != ':')
			return false;
	}
	low = g_ascii_strdown(p, (gssize)hl);
	for (size_t k = 0; k < G_N_ELEMENTS(fields) && !mail; k++)
		mail = strstr(low, fields[k]) != NULL ||
		    strncmp(low, fields[k] + 1, strlen(fields[k]) - 1) == 0;
	g_free(low);
	return mail;
}

/*
 * archive_member - policy_archive_read() work: a member read as a leaf
 * of no text type is; a saved mail (looks_like_mail) walked as a
 * forwarded one too, its body's encodings undone, within the nesting
 * ceiling of archives
 */
static int
archive_member(void *ctx, const char *p, size_t n)
{
	struct walk *w = ctx;
	GMimeParser *ps;
	GMimeMessage *m;
	int rc;

	policy_read_bytes(p, n, w->f);
	if (policy_is_pdf(p, n) &&
	    (rc = policy_pdf_read(p, n, &w->arc, w->f, w->err)) < 0)
		return rc;
	if (!looks_like_mail(p, n, w->lim))
		return EM_OK;
	if (w->nest >= POLICY_ARCHIVE_DEPTH)
		return em_fail(w->err, EM_ELIMIT, "mail and archives nested "
		    "deeper than %d levels", POLICY_ARCHIVE_DEPTH);
	ps = parser_for(p, n);
	if (n > 5 && memcmp(p, "From ", 5) == 0)
		g_mime_parser_set_format(ps, GMIME_FORMAT_MBOX);
	m = g_mime_parser_construct_message(ps, NULL);
	g_object_unref(ps);
	if (m == NULL)
		return EM_OK;	/* its bytes were read above */
	w->nest++;
	rc = walk_message(m, 1, w);
	w->nest--;
	g_object_unref(m);
	return rc;
}

/* leaf_bytes - an attachment's bytes (or a block's in a body): a PDF's
 * pages read, an archive unpacked, anything else read as a leaf of no
 * text type (a PDF's bytes too) */

static int
leaf_bytes(void *ctx, const char *p, size_t n)
{
	struct walk *w = ctx;
	int rc;

	w->arc.lim = w->lim;
	if (policy_is_pdf(p, n) &&
	    (rc = policy_pdf_read(p, n, &w->arc, w->f, w->err)) < 0)
		return rc;
	if (!policy_is_archive(p, n)) {
		policy_read_bytes(p, n, w->f);
		return EM_OK;
	}
	w->arc.text = archive_member;
	w->arc.ctx = w;
	return policy_archive_read(p, n, 1, &w->arc, w->err);
}

/*
 * read_leaf - one leaf part into the facts.  Its bytes decide, never its
 * declared type or name: an archive or compressed file is unpacked
 * whatever it calls itself (a tar.gz sent as text/plain is still one),
 * a PDF's pages are read whatever it calls itself (pdf.c);
 * a text part is read as text; any other leaf is read as text too
 * (policy_read_bytes(): a patch, an advisory sent as application/octet-stream,
 * the text runs among a binary's bytes), since a reader can save and
 * read it.
 */
static int
read_leaf(GMimePart *part, struct walk *w)
{
	GMimeStream *s;
	GByteArray *ba;
	const char *p;
	int rc = EM_OK;

	if (g_mime_part_get_content(part) == NULL)
		return EM_OK;
	s = policy_part_decoded(part);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	p = (const char *)ba->data;
	if (ba->len > 0 && (policy_is_archive(p, ba->len) ||
	    !GMIME_IS_TEXT_PART(part))) {
		rc = leaf_bytes(w, p, ba->len);
	} else if (GMIME_IS_TEXT_PART(part)) {
		policy_read_text_part(part, ba, w->f);
		if (policy_is_pdf(p, ba->len)) {
			w->arc.lim = w->lim;
			rc = policy_pdf_read(p, ba->len, &w->arc, w->f, w->err);
		}
	}
	/* A file uuencoded (or yEnc) in it, read as an attachment is. */
	if (rc == EM_OK && ba->len > 0 && !policy_is_archive(p, ba->len))
		rc = policy_uu_each(p, ba->len, leaf_bytes, w);
	g_object_unref(s);
	return rc;
}


/* keep_entity - serialise an entity whole for keys/ */

static void
keep_entity(GMimeObject *obj, enum policy_crypt_kind kind, struct facts *f)
{
	char *s = g_mime_object_to_string(obj, NULL);

	policy_crypt_add(f, kind, s, strlen(s));
	g_free(s);
}

/* walk_children - every part of a multipart */

static int
walk_children(GMimeMultipart *mp, size_t depth, struct walk *w)
{
	int n = g_mime_multipart_get_count(mp);

	for (int i = 0; i < n; i++) {
		int rc = walk(g_mime_multipart_get_part(mp, i), depth + 1, w);

		if (rc < 0)
			return rc;
	}
	return EM_OK;
}

/* walk - one entity, bounded by depth and part count */

static int
walk(GMimeObject *obj, size_t depth, struct walk *w)
{
	struct facts *f = w->f;

	if (obj == NULL)
		return EM_OK;
	if (depth > w->lim->max_depth)
		return em_fail(w->err, EM_ELIMIT, "MIME structure nested deeper "
		    "than %zu levels", w->lim->max_depth);
	if (++f->parts > w->lim->max_parts)
		return em_fail(w->err, EM_ELIMIT, "more than %zu MIME parts",
		    w->lim->max_parts);
	if (depth > f->depth)
		f->depth = depth;

	if (GMIME_IS_MULTIPART_ENCRYPTED(obj)) {
		keep_entity(obj, POLICY_CRYPT_PGPMIME_ENCRYPTED, f);
		return EM_OK;
	}
	if (GMIME_IS_MULTIPART_SIGNED(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		keep_entity(obj, POLICY_CRYPT_PGPMIME_SIGNED, f);
		/* The signed content is readable: classify it too. */
		return walk(g_mime_multipart_get_part(mp, GMIME_MULTIPART_SIGNED_CONTENT),
		    depth + 1, w);
	}
	/* S/MIME, enveloped or signed inside its own data: keys/ opens it. */
	if (GMIME_IS_APPLICATION_PKCS7_MIME(obj)) {
		keep_entity(obj, POLICY_CRYPT_SMIME, f);
		return EM_OK;
	}
	if (GMIME_IS_MULTIPART(obj))
		return walk_children(GMIME_MULTIPART(obj), depth, w);
	if (GMIME_IS_MESSAGE_PART(obj))
		return walk_message(g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj)), depth, w);
	if (GMIME_IS_MESSAGE_PARTIAL(obj) && w->partials->len <
	    w->lim->max_parts)	/* put together once the walk is done */
		g_ptr_array_add(w->partials, g_object_ref(obj));
	if (GMIME_IS_PART(obj))
		return read_leaf(GMIME_PART(obj), w);
	return EM_OK;
}

/* walk_message - a forwarded (or saved) message: its Subject, which is
 * part of what it says, then its parts one level deeper */

static int
walk_message(GMimeMessage *m, size_t depth, struct walk *w)
{
	const char *subj;

	if (m == NULL)
		return EM_OK;
	if ((subj = g_mime_message_get_subject(m)) != NULL) {
		buf_appends(&w->f->text, "Subject: ");
		policy_text_add(w->f, subj, strlen(subj));
	}
	return walk(g_mime_message_get_mime_part(m), depth + 1, w);
}

/*
 * partial_set - the parts of w->partials with the id of part i, taken out
 * into set (their number of them in *n); the set's total
 */
static int
partial_set(struct walk *w, guint i, GMimeMessagePartial **set, size_t *n)
{
	GMimeMessagePartial *first = g_ptr_array_index(w->partials, i);
	const char *id = g_mime_message_partial_get_id(first);
	int total = g_mime_message_partial_get_total(first);

	*n = 0;
	for (guint k = i; k < w->partials->len;) {
		GMimeMessagePartial *p = g_ptr_array_index(w->partials, k);
		const char *pid = g_mime_message_partial_get_id(p);

		if (id != NULL && pid != NULL && strcmp(id, pid) == 0) {
			set[(*n)++] = p;
			(void)g_ptr_array_steal_index(w->partials, k);
		} else {
			k++;
		}
	}
	return total;
}

/*
 * partials_done - SPEC 4: each message/partial set whose parts (1 to its
 * total, each once) are all in this message put together and walked as a
 * forwarded message; a set that is not whole counted (partial_missing),
 * for policy_decide(); rounds for sets found inside those, within the
 * archives' nesting ceiling
 */
static int
partials_done(struct walk *w)
{
	int rc = EM_OK;

	for (size_t round = 0; rc == EM_OK && w->partials->len > 0; round++) {
		GMimeMessagePartial **set = g_new0(GMimeMessagePartial *,
		    w->partials->len);
		size_t n;
		int total = partial_set(w, 0, set, &n);
		GMimeMessage *m = NULL;

		if (round < (size_t)POLICY_ARCHIVE_DEPTH * 4 && total > 0 &&
		    (size_t)total == n)
			m = g_mime_message_partial_reconstruct_message(set, n);
		if (m == NULL)
			w->f->partial_missing++;
		else
			rc = walk_message(m, 1, w);
		if (m != NULL)
			g_object_unref(m);
		for (size_t k = 0; k < n; k++)
			g_object_unref(set[k]);
		g_free(set);
	}
	return rc;
}

/* parser_for - a GMime parser over a copy of the bytes (caller unrefs) */

static GMimeParser *
parser_for(const char *p, size_t n)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(p, n);
	GMimeParser *parser = g_mime_parser_new_with_stream(s);

	g_object_unref(s);
	return parser;
}

/*
 * construct - the message GMime reads in the bytes.  Bytes that open with
 * no header field at all (a digest's text saved alone, say) are read as
 * an MTA hands them on: an empty header block and every line body
 * (Postfix ends the block at the first line that is no field; the
 * milter's copy opens with its Received header), so that embargoctl
 * dry-run reads such a file as the milter reads it mailed.
 */
static GMimeMessage *
construct(const char *msg, size_t len)
{
	GMimeParser *p = parser_for(msg, len);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	char *b;

	g_object_unref(p);
	if (m != NULL)
		return m;
	b = xmalloc(len + 1);
	b[0] = '\n';
	memcpy(b + 1, msg, len);
	p = parser_for(b, len + 1);
	free(b);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	return m;
}

/* header_len - bytes before the blank line that ends the header block */

static size_t
header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (msg[i + 1] == '\n')
			return i + 1;
		if (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* policy_read - parse a whole message */

int
policy_read(const char *msg, size_t len, const struct policy_limits *lim,
    struct facts *f, struct em_err *err)
{
	struct walk w = { lim, f, err, { 0 }, 0, NULL };
	GMimeMessage *m;
	GMimeObject *body;
	const char *v;
	int rc;

	if (header_len(msg, len) > lim->max_header)
		return em_fail(err, EM_ELIMIT, "header block larger than %zu "
		    "bytes", lim->max_header);
	if ((m = construct(msg, len)) == NULL)
		return em_fail(err, EM_EPARSE, "the message cannot be parsed "
		    "as RFC 5322");
	if ((v = g_mime_message_get_subject(m)) != NULL) {
		free(f->subject);
		f->subject = xstrdup(v);
	}
	if ((v = g_mime_message_get_message_id(m)) != NULL)
		f->message_id = xstrdup(v);
	if ((v = g_mime_object_get_header(GMIME_OBJECT(m), "From")) != NULL)
		f->from = xstrdup(v);
	if ((v = g_mime_object_get_header(GMIME_OBJECT(m), "Date")) != NULL)
		f->date = xstrdup(v);
	body = g_mime_message_get_mime_part(m);
	if (body != NULL) {
		/* What a member's copy carries, unless keys/ decrypts it. */
		char *s = g_mime_object_to_string(body, NULL);

		buf_append(&f->forward, s, strlen(s));
		g_free(s);
		f->top_encrypted = GMIME_IS_MULTIPART_ENCRYPTED(body) ||
		    (GMIME_IS_APPLICATION_PKCS7_MIME(body) &&
		    g_mime_application_pkcs7_mime_get_smime_type(
		    GMIME_APPLICATION_PKCS7_MIME(body)) ==
		    GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA);
	}
	w.partials = g_ptr_array_new_with_free_func(g_object_unref);
	if ((rc = walk(body, 1, &w)) == EM_OK)
		rc = partials_done(&w);
	g_ptr_array_free(w.partials, TRUE);
	f->sealed += (unsigned)w.arc.sealed;
	g_object_unref(m);
	return rc;
}

/* high_bytes - whether any byte of (p, n) is not ASCII, eight at a time */

static bool
high_bytes(const char *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & EM_BYTES(0x80)) != 0;
}

/*
 * quick_body - the body of a message with a simple header block, as the
 * full read would have its text: identity transfer encoding, text/plain
 * in US-ASCII or valid UTF-8, no NUL, no OpenPGP armor, no uuencoded
 * block, no PDF (one may be all ASCII).  NULL otherwise.
 */
static const char *
quick_body(GMimeObject *o, const char *body, size_t n)
{
	GMimeContentType *ct;
	GMimeParamList *pl;
	const char *cs = NULL;
	bool ascii;

	if (o == NULL || !GMIME_IS_TEXT_PART(o))
		return NULL;
	switch (g_mime_part_get_content_encoding(GMIME_PART(o))) {
	case GMIME_CONTENT_ENCODING_DEFAULT:
		/* One GMime did not know ("base64;"): the full read's. */
		if (g_mime_object_get_header(o, "Content-Transfer-Encoding"))
			return NULL;
		break;
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
		break;
	default:
		return NULL;
	}
	ct = g_mime_object_get_content_type(o);
	if (ct == NULL || !g_mime_content_type_is_type(ct, "text", "plain"))
		return NULL;
	pl = g_mime_content_type_get_parameters(ct);
	for (int i = 0; pl != NULL && i < g_mime_param_list_length(pl); i++) {
		GMimeParam *prm = g_mime_param_list_get_parameter_at(pl, i);
		const char *name = g_mime_param_get_name(prm);

		if (g_ascii_strcasecmp(name, "charset") == 0)
			cs = g_mime_param_get_value(prm);
		else if (g_ascii_strcasecmp(name, "format") != 0 &&
		    g_ascii_strcasecmp(name, "delsp") != 0)
			return NULL;
	}
	if (cs != NULL && g_ascii_strcasecmp(cs, "us-ascii") != 0 &&
	    g_ascii_strcasecmp(cs, "utf-8") != 0)
		return NULL;
	if (memchr(body, '\0', n) != NULL)
		return NULL;
	ascii = !high_bytes(body, n);
	if (!ascii && (cs == NULL || g_ascii_strcasecmp(cs, "utf-8") != 0 ||
	    !g_utf8_validate_len(body, n, NULL)))
		return NULL;
	if (em_memmem(body, n, "-----BEGIN PGP", 14) != NULL ||
	    policy_uu_has(body, n) || policy_is_pdf(body, n))
		return NULL;
	return body;
}

/*
 * policy_read_quick - the facts of a plain text message (the commonest
 * mail) without building its MIME tree: the header block is parsed by
 * GMime, the body taken as it is when quick_body() says the full read
 * would give the same text.  Returns EM_OK with subject, Message-ID and
 * text filled (not from, date or forward: enough to classify and decide
 * a pass, nothing more), 1 when the message needs policy_read(), or an
 * error as policy_read() would give.
 */
int
policy_read_quick(const char *msg, size_t len, const struct policy_limits *lim,
    struct facts *f, struct em_err *err)
{
	size_t hl = header_len(msg, len), bstart;
	GMimeParser *p;
	GMimeMessage *m;
	const char *v, *body;

	if (hl > lim->max_header)
		return em_fail(err, EM_ELIMIT, "header block larger than %zu "
		    "bytes", lim->max_header);
	/* Encoded words are charsets: the confined reader's (reader.h). */
	if (hl >= len || memmem(msg, hl, "=?", 2) != NULL)
		return 1;
	bstart = hl + (msg[hl] == '\r' ? 2 : 1);
	p = parser_for(msg, hl);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (m == NULL)
		return 1;
	body = quick_body(g_mime_message_get_mime_part(m), msg + bstart,
	    len - bstart);
	if (body != NULL) {
		if ((v = g_mime_message_get_subject(m)) != NULL) {
			free(f->subject);
			f->subject = xstrdup(v);
		}
		if ((v = g_mime_message_get_message_id(m)) != NULL)
			f->message_id = xstrdup(v);
		f->parts = f->depth = 1;
		f->has_first_text = true;
		f->first_text = 0;
		policy_text_add(f, body, len - bstart);
	}
	g_object_unref(m);
	return body != NULL ? EM_OK : 1;
}

/* take_header - replace *dst with a header of o, if o has it */

static void
take_header(GMimeObject *o, const char *name, char **dst)
{
	const char *v = g_mime_object_get_header(o, name);

	if (v == NULL)
		return;
	free(*dst);
	*dst = xstrdup(v);
}

/* policy_limits_of - the ceilings the configuration sets, in one place */

struct policy_limits
policy_limits_of(const struct config *cfg)
{
	struct policy_limits lim = { cfg->mime_max_depth, cfg->mime_max_parts,
	    cfg->max_header_size, cfg->max_decrypted_size };

	return lim;
}

/* policy_read_more - parse one decrypted entity into the same facts */

int
policy_read_more(const char *entity, size_t len, const struct policy_limits *lim,
    bool payload, struct facts *f, struct em_err *err)
{
	struct walk w = { lim, f, err, { 0 }, 0, NULL };
	GMimeParser *p;
	GMimeObject *o;
	const char *subj;
	int rc;

	p = parser_for(entity, len);
	o = g_mime_parser_construct_part(p, NULL);
	g_object_unref(p);
	if (o == NULL)
		return em_fail(err, EM_EPARSE, "the decrypted part cannot be "
		    "parsed as MIME");
	/* A protected Subject header (RFC "protected-headers") counts. */
	if ((subj = g_mime_object_get_header(o, "Subject")) != NULL) {
		buf_appends(&f->text, "Subject: ");
		policy_text_add(f, subj, strlen(subj));
	}
	if (payload) {
		/* GMime hands header values decoded (RFC 2047). */
		take_header(o, "Subject", &f->subject);
		take_header(o, "From", &f->from);
		take_header(o, "Date", &f->date);
	}
	w.partials = g_ptr_array_new_with_free_func(g_object_unref);
	if ((rc = walk(o, f->depth + 1, &w)) == EM_OK)
		rc = partials_done(&w);
	g_ptr_array_free(w.partials, TRUE);
	f->sealed += (unsigned)w.arc.sealed;
	g_object_unref(o);
	return rc;
}

struct parts_walk {
	int	(*cb)(const char *name, const char *data, size_t n, void *ctx);
	void   *ctx;
	bool	have_text;
	unsigned n;
	struct em_err *err;
};

/* parts_leaf - one leaf: the advisory's text (the first inline text/plain
 * part), an attachment, or a signature (skipped: it is not content) */

static int
parts_leaf(GMimePart *part, struct parts_walk *w)
{
	GMimeObject *o = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *disp = g_mime_object_get_disposition(o);
	GMimeStream *s;
	GByteArray *ba;
	int rc;

	if (ct != NULL && g_mime_content_type_is_type(ct, "application",
	    "pgp-signature"))
		return EM_OK;
	s = policy_part_decoded(part);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	if (!w->have_text && ct != NULL && g_mime_content_type_is_type(ct,
	    "text", "plain") && (disp == NULL || g_ascii_strcasecmp(disp,
	    "attachment") != 0)) {
		GMimeStream *u = policy_to_utf8(part, ba);
		GByteArray *ub = g_mime_stream_mem_get_byte_array(
		    GMIME_STREAM_MEM(u));

		w->have_text = true;
		rc = w->cb(NULL, (const char *)ub->data, ub->len, w->ctx);
		g_object_unref(u);
	} else {
		w->n++;
		rc = w->cb(g_mime_part_get_filename(part) ?
		    g_mime_part_get_filename(part) : "", (const char *)ba->data,
		    ba->len, w->ctx);
	}
	g_object_unref(s);
	return rc;
}

/* parts_walk - an entity's leaves in order, bounded like policy_read() */

static int
parts_walk(GMimeObject *obj, size_t depth, const struct policy_limits *lim,
    struct parts_walk *w)
{
	if (depth > lim->max_depth || w->n > lim->max_parts)
		return em_fail(w->err, EM_ELIMIT, "the post nests deeper than %zu "
		    "levels or has more than %zu parts", lim->max_depth,
		    lim->max_parts);
	if (GMIME_IS_MULTIPART_SIGNED(obj))
		return parts_walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj),
		    GMIME_MULTIPART_SIGNED_CONTENT), depth + 1, lim, w);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			int rc = parts_walk(g_mime_multipart_get_part(mp, i),
			    depth + 1, lim, w);

			if (rc < 0)
				return rc;
		}
		return EM_OK;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {	/* a forwarded mail, whole */
		char *s = g_mime_object_to_string(obj, NULL);
		int rc;

		w->n++;
		rc = w->cb("message.eml", s, strlen(s), w->ctx);
		g_free(s);
		return rc;
	}
	return GMIME_IS_PART(obj) ? parts_leaf(GMIME_PART(obj), w) : EM_OK;
}

/* policy_parts - the text and the attachments of a readable entity */

int
policy_parts(const char *entity, size_t len, const struct policy_limits *lim,
    int (*cb)(const char *name, const char *data, size_t n, void *ctx),
    void *ctx, struct em_err *err)
{
	struct parts_walk w = { cb, ctx, false, 0, err };
	GMimeParser *p = parser_for(entity, len);
	GMimeObject *o = g_mime_parser_construct_part(p, NULL);
	int rc;

	g_object_unref(p);
	if (o == NULL)
		return em_fail(err, EM_EPARSE, "the post cannot be parsed as MIME");
	rc = parts_walk(o, 0, lim, &w);
	g_object_unref(o);
	return rc;
}
