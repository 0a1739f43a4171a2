/*
 * read.c - reading a post's OpenPGP parts: PGP/MIME through GMime's gpg
 * context, inline PGP through gpgme; decryption bounded by
 * max_decrypted_size
 *
 * GMime knows the canonical form a PGP/MIME signature covers, so
 * verification goes through it rather than through bytes we would have to
 * canonicalise ourselves.  Inline PGP goes to gpgme directly.
 */

/* System library. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"
#include "../reader/reader.h"

/*
 * take_signer - keep a valid signer; a team key wins over any other.
 * inside: the signature travels in the entity members get (multipart/signed
 * or inline), so they can verify it themselves; else it was consumed with
 * the encryption to the list and the copy says who signed (SPEC 5).
 */
static void
take_signer(const struct config *cfg, const char *fpr, bool inside,
    struct facts *f)
{
	char primary[65];
	struct em_err err;

	/* An OpenPGP (sub)key's primary, or an S/MIME certificate's pin. */
	if (fpr == NULL || (keys_primary_fpr(fpr, primary) != EM_OK &&
	    keys_cert_pin(fpr, primary, &err) != EM_OK))
		return;
	if (f->signer[0] == '\0' || (conf_is_team_key(cfg, primary) &&
	    !conf_is_team_key(cfg, f->signer))) {
		(void)snprintf(f->signer, sizeof(f->signer), "%s", primary);
		f->signer_inside = inside;
	}
}

/* take_gmime_sigs - the valid signatures of a GMime list */

static void
take_gmime_sigs(const struct config *cfg, GMimeSignatureList *sl, bool inside,
    struct facts *f)
{
	int n = sl ? g_mime_signature_list_length(sl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeSignature *sig = g_mime_signature_list_get_signature(sl, i);
		GMimeSignatureStatus st = g_mime_signature_get_status(sig);
		GMimeCertificate *cert = g_mime_signature_get_certificate(sig);

		/*
		 * A good signature by a key whose owner trust gpg does not
		 * know has neither GREEN nor VALID: the trust here is the
		 * fingerprint pinned in the config, checked by the caller.
		 * Bad (RED) or any error bit (key missing, revoked,
		 * expired, ...) never counts.
		 */
		if ((st & GMIME_SIGNATURE_STATUS_RED) ||
		    (st & GMIME_SIGNATURE_STATUS_ERROR_MASK) || cert == NULL)
			continue;
		take_signer(cfg, g_mime_certificate_get_fingerprint(cert), inside,
		    f);
	}
}

/* keys_parse_entity - a MIME entity from bytes, NULL if not MIME */

GMimeObject *
keys_parse_entity(const char *p, size_t n)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(p, n);
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeObject *o = g_mime_parser_construct_part(parser, NULL);

	g_object_unref(parser);
	g_object_unref(s);
	return o;
}

/*
 * not_for_us - a part we could not decrypt.  If the list's own secret key
 * is usable, the part is encrypted to a key we do not hold: it is
 * classified on its headers alone.  If it is not (keyring or gpg-agent
 * trouble), nothing can be read now: an internal error, so the MTA is
 * told to try again (451) rather than the sender being refused for good.
 */
static int
not_for_us(const struct config *cfg, struct facts *f, struct em_err *err)
{
	gpgme_key_t key = keys_lookup(cfg->list_key, 1);

	if (key == NULL)
		return em_fail(err, EM_EKEY, "the list key %s cannot decrypt now "
		    "(secret key or gpg-agent unavailable)", cfg->list_key);
	gpgme_key_unref(key);
	f->unreadable++;
	return EM_OK;
}

/* part_bytes - the decoded content of a leaf part */

static void
part_bytes(GMimeObject *o, struct buf *out)
{
	GMimeStream *mem;
	GByteArray *ba;

	if (o == NULL || !GMIME_IS_PART(o) ||
	    g_mime_part_get_content(GMIME_PART(o)) == NULL)
		return;
	mem = g_mime_stream_mem_new();
	(void)g_mime_data_wrapper_write_to_stream(
	    g_mime_part_get_content(GMIME_PART(o)), mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	buf_append(out, ba->data, ba->len);
	g_object_unref(mem);
}

/*
 * addressed - SPEC 4: whom the OpenPGP message is for, from its packets,
 * before any decryption.  A part for someone else is read on its headers
 * alone, whatever the state of our keyring; one for us that cannot be
 * decrypted now is our fault, so a temporary failure.
 */
static int
addressed(const struct config *cfg, const char *p, size_t n, struct em_err *err)
{
	int to = keys_addressed_to(cfg->list_key, p, n);

	/* A post to the discussion list may be encrypted to its key. */
	if (to == KEYS_NOT_TO_US && cfg->discussion_key != NULL &&
	    cfg->discussion_key[0] != '\0') {
		int dk = keys_addressed_to(cfg->discussion_key, p, n);

		if (dk > 0)
			to = dk;
	}
	if (to < 0)
		return em_fail(err, EM_EKEY, "the list key %s cannot be read "
		    "from the keyring, so whom an encrypted part is for is "
		    "unknown: check that gnupg_home %s is readable by the "
		    "daemon's user", cfg->list_key, cfg->gnupg_home);
	return to;
}

/* take_gpgme_sigs - the valid signatures of a gpgme verify result */

static void
take_gpgme_sigs(const struct config *cfg, gpgme_ctx_t ctx, bool inside,
    struct facts *f)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);

	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s; s = s->next)
		if (gpg_err_code(s->status) == GPG_ERR_NO_ERROR &&
		    !(s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED |
		    GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED)))
			take_signer(cfg, s->fpr, inside, f);
}

/*
 * Decryption has a ceiling (max_decrypted_size): OpenPGP compresses, so a
 * few megabytes can decompress to gigabytes.  gpgme writes the plaintext
 * through sink_write(), which refuses what would pass the ceiling; gpg is
 * then stopped, and nothing of the partial plaintext is used.
 */
struct sink {
	struct buf *out;
	size_t	n;		/* written so far, never above max */
	size_t	max;
	bool	over;
};

/* sink_write - gpgme's write callback: append, or refuse past the ceiling */

static ssize_t
sink_write(void *handle, const void *p, size_t n)
{
	struct sink *s = handle;

	if (n > s->max - s->n) {
		s->over = true;
		errno = EFBIG;
		return -1;
	}
	buf_append(s->out, p, n);
	s->n += n;
	return (ssize_t)n;
}

/* sink_new - a gpgme data object that appends to out, up to max bytes */

static gpgme_error_t
sink_new(struct sink *s, struct buf *out, size_t max, gpgme_data_t *d)
{
	static struct gpgme_data_cbs cbs = { NULL, sink_write, NULL, NULL };

	s->out = out;
	s->n = 0;
	s->max = max;
	s->over = false;
	return gpgme_data_new_from_cbs(d, &cbs, s);
}

/* had_session_key - gpg held the secret key for some recipient */

static bool
had_session_key(gpgme_ctx_t ctx)
{
	gpgme_decrypt_result_t r = gpgme_op_decrypt_result(ctx);

	for (gpgme_recipient_t p = r ? r->recipients : NULL; p; p = p->next)
		if (gpg_err_code(p->status) == GPG_ERR_NO_ERROR)
			return true;
	return false;
}

/* no_secret_key - gpg or gpgsm holds no secret key for the message: gpgsm
 * 2.4 asks for a smartcard then, and says there is none */

static bool
no_secret_key(gpgme_error_t e)
{
	gpgme_err_code_t c = gpg_err_code(e);

	return c == GPG_ERR_NO_SECKEY || c == GPG_ERR_NO_SCDAEMON ||
	    c == GPG_ERR_CARD_NOT_PRESENT || c == GPG_ERR_CARD_REMOVED;
}

/*
 * decrypt_bounded - decrypt and verify p, appended to out (signatures in
 * ctx; on failure out is as it was):
 * EM_ETOOBIG past lim->max_decrypted; EM_EINTEGRITY when the list's key
 * opened the message but its data cannot be read (no integrity protection,
 * altered in transit, a corrupt or undecompressable packet), which no
 * retry mends; EM_EKEY for the rest (the secret key or gpg-agent not
 * available now), which a retry may
 */
static int
decrypt_bounded(const struct config *cfg, const struct policy_limits *lim,
    gpgme_ctx_t ctx, const char *p, size_t n, struct buf *out,
    struct em_err *err)
{
	size_t start = out->len;
	struct sink s = { 0 };
	gpgme_data_t in = NULL, sink = NULL;
	gpgme_error_t e;
	int rc;

	e = gpgme_data_new_from_mem(&in, p, n, 0);
	if (e == 0)
		e = sink_new(&s, out, lim->max_decrypted, &sink);
	if (e == 0)
		e = gpgme_op_decrypt_verify(ctx, in, sink);
	gpgme_data_release(in);
	gpgme_data_release(sink);
	if (e == 0)
		return EM_OK;
	/* Nothing of a failed decryption is used. */
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	if (s.over)
		rc = em_fail(err, EM_ETOOBIG, "a part encrypted to the list key "
		    "decrypts to more than max_decrypted_size (%zu bytes): "
		    "decryption stopped there", lim->max_decrypted);
	else if (!no_secret_key(e) && had_session_key(ctx))
		rc = em_fail(err, EM_EINTEGRITY, "a part encrypted to the list "
		    "key cannot be read (%s): it has no integrity protection, "
		    "was altered on the way, or is corrupt; send it again, "
		    "encrypted by a current OpenPGP client", gpgme_strerror(e));
	else
		rc = em_fail(err, EM_EKEY, "a part encrypted to the list key %s "
		    "cannot be decrypted now (%s): check that gnupg_home %s is "
		    "readable by the daemon's user, holds that secret key, and "
		    "that gpg-agent can start there", cfg->list_key,
		    gpgme_strerror(e), cfg->gnupg_home);
	return rc;
}

/* read_pgpmime_encrypted - decrypt with the list key; read what is inside */

static int
read_pgpmime_encrypted(const struct config *cfg, const struct policy_limits *lim,
    const struct buf *data, bool first, struct facts *f, struct em_err *err)
{
	GMimeObject *o = keys_parse_entity(data->data, data->len);
	gpgme_ctx_t ctx;
	struct buf ct, plain;
	int rc, to;

	if (o == NULL || !GMIME_IS_MULTIPART_ENCRYPTED(o)) {
		if (o)
			g_object_unref(o);
		f->unreadable++;
		return EM_OK;
	}
	buf_init(&ct);
	part_bytes(g_mime_multipart_get_part(GMIME_MULTIPART(o),
	    GMIME_MULTIPART_ENCRYPTED_CONTENT), &ct);
	g_object_unref(o);
	to = addressed(cfg, ct.data ? ct.data : "", ct.len, err);
	if (to < 0 || to == KEYS_NOT_TO_US) {
		buf_free(&ct);
		if (to < 0)
			return to;
		f->unreadable++;
		return EM_OK;
	}
	if ((ctx = keys_ctx_new()) == NULL) {
		buf_free(&ct);
		return em_fail(err, EM_ECRYPTO, "gpgme: no context");
	}
	buf_init(&plain);
	rc = decrypt_bounded(cfg, lim, ctx, ct.data ? ct.data : "", ct.len,
	    &plain, err);
	buf_free(&ct);
	if (rc == EM_EKEY && to != KEYS_TO_US) {
		/* Perhaps not for us after all: read on its headers alone. */
		rc = not_for_us(cfg, f, err);
	} else if (rc == EM_OK) {
		take_gpgme_sigs(cfg, ctx, false, f);
		if (first && f->top_encrypted) {
			buf_reset(&f->forward);
			buf_append(&f->forward, plain.data, plain.len);
		}
		/* The message's whole payload: its headers are protected. */
		rc = reader_read_more(plain.data ? plain.data : "", plain.len,
		    lim, first && f->top_encrypted, f, err);
	}
	buf_free(&plain);
	gpgme_release(ctx);
	return rc;
}

/* read_pgpmime_signed - verify a multipart/signed entity */

static void
read_pgpmime_signed(const struct config *cfg, const struct buf *data,
    struct facts *f)
{
	GMimeObject *o = keys_parse_entity(data->data, data->len);
	GMimeSignatureList *sl;
	GError *gerr = NULL;

	if (o == NULL)
		return;
	if (GMIME_IS_MULTIPART_SIGNED(o)) {
		sl = g_mime_multipart_signed_verify(GMIME_MULTIPART_SIGNED(o),
		    GMIME_VERIFY_NONE, &gerr);
		if (sl != NULL) {
			take_gmime_sigs(cfg, sl, true, f);
			g_object_unref(sl);
		}
		if (gerr)
			g_error_free(gerr);
	}
	g_object_unref(o);
}

/* read_inline - inline PGP: decrypt and/or verify with gpgme */

static int
read_inline(const struct config *cfg, const struct policy_limits *lim,
    const struct policy_crypt *c, struct facts *f, struct em_err *err)
{
	static const char hdr[] = "Content-Type: text/plain; charset=utf-8\r\n\r\n";
	gpgme_ctx_t ctx;
	gpgme_data_t in = NULL;
	gpgme_error_t e;
	struct buf plain;
	int rc = EM_OK, to;

	if ((ctx = keys_ctx_new()) == NULL)
		return em_fail(err, EM_ECRYPTO, "gpgme: no context");
	if (c->kind != POLICY_CRYPT_INLINE_ENCRYPTED) {
		/* Clearsigned text stays whole: only the signature is read,
		 * its plaintext going to a sink with the same ceiling. */
		struct sink sk = { 0 };
		gpgme_data_t out = NULL;

		buf_init(&plain);
		e = gpgme_data_new_from_mem(&in, c->data.data, c->data.len, 0);
		if (e == 0)
			e = sink_new(&sk, &plain, lim->max_decrypted, &out);
		if (e == 0 && gpgme_op_verify(ctx, in, NULL, out) == 0)
			take_gpgme_sigs(cfg, ctx, true, f);
		gpgme_data_release(in);
		gpgme_data_release(out);
		gpgme_release(ctx);
		buf_free(&plain);
		return EM_OK;
	}
	if ((to = addressed(cfg, c->data.data, c->data.len, err)) < 0 ||
	    to == KEYS_NOT_TO_US) {
		gpgme_release(ctx);
		if (to < 0)
			return to;
		f->unreadable++;
		return EM_OK;
	}
	buf_init(&plain);
	buf_appends(&plain, hdr);
	rc = decrypt_bounded(cfg, lim, ctx, c->data.data, c->data.len, &plain,
	    err);
	if (rc == EM_EKEY && to != KEYS_TO_US) {
		rc = not_for_us(cfg, f, err);
	} else if (rc == EM_OK) {
		/* Inline-encrypted and signed: members get the plaintext,
		 * without the signature. */
		take_gpgme_sigs(cfg, ctx, false, f);
		/* A single inline-encrypted text: members get it clear. */
		if (f->parts == 1) {
			buf_reset(&f->forward);
			buf_append(&f->forward, plain.data, plain.len);
		}
		rc = reader_read_more(plain.data, plain.len, lim, false, f, err);
	}
	buf_free(&plain);
	gpgme_release(ctx);
	return rc;
}

/* smime_not_for_us - an enveloped part the list's certificate does not
 * open: read on its headers alone, unless the list's own secret key is
 * what is missing (a temporary failure) */

static int
smime_not_for_us(const struct config *cfg, struct facts *f,
    struct em_err *err)
{
	gpgme_key_t key = cfg->list_cert ? keys_cert_lookup(cfg->list_cert, 1) :
	    NULL;

	if (cfg->list_cert != NULL && key == NULL)
		return em_fail(err, EM_EKEY, "the list's certificate %s cannot "
		    "decrypt now (its secret key or gpg-agent unavailable)",
		    cfg->list_cert);
	if (key != NULL)
		gpgme_key_unref(key);
	f->unreadable++;
	return EM_OK;
}

/* smime_verify_bounded - an opaque signed part's content into out
 * (signatures in ctx), bounded as decryption is */

static int
smime_verify_bounded(const struct policy_limits *lim, gpgme_ctx_t ctx,
    const struct buf *der, struct buf *out, struct em_err *err)
{
	struct sink s = { 0 };
	gpgme_data_t in = NULL, sink = NULL;
	gpgme_error_t e;

	e = gpgme_data_new_from_mem(&in, der->data ? der->data : "", der->len,
	    0);
	if (e == 0)
		e = sink_new(&s, out, lim->max_decrypted, &sink);
	if (e == 0)
		e = gpgme_op_verify(ctx, in, NULL, sink);
	gpgme_data_release(in);
	gpgme_data_release(sink);
	if (s.over)
		return em_fail(err, EM_ETOOBIG, "an S/MIME signed part holds "
		    "more than max_decrypted_size (%zu bytes)",
		    lim->max_decrypted);
	/* Its content is anyone's to read: one we cannot read is refused,
	 * never passed as unreadable. */
	if (e != 0 || out->len == 0)
		return em_fail(err, EM_EPARSE, "an S/MIME signed part "
		    "(application/pkcs7-mime; smime-type=signed-data) cannot be "
		    "read: %s; send it as multipart/signed", e ? gpgme_strerror(e) :
		    "no content");
	return EM_OK;
}

/*
 * read_smime - an application/pkcs7-mime part: enveloped data decrypted
 * with the list's certificate, opaque signed data verified; what is
 * inside read as the entity it is
 */
static int
read_smime(const struct config *cfg, const struct policy_limits *lim,
    const struct buf *data, bool first, struct facts *f, struct em_err *err)
{
	GMimeObject *o = keys_parse_entity(data->data, data->len);
	GMimeSecureMimeType type = GMIME_SECURE_MIME_TYPE_UNKNOWN;
	gpgme_ctx_t ctx = NULL;
	struct buf der, plain;
	int rc;

	buf_init(&der);
	if (o != NULL && GMIME_IS_APPLICATION_PKCS7_MIME(o)) {
		type = g_mime_application_pkcs7_mime_get_smime_type(
		    GMIME_APPLICATION_PKCS7_MIME(o));
		part_bytes(o, &der);
	}
	if (o != NULL)
		g_object_unref(o);
	if (type == GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA && cfg->list_cert ==
	    NULL) {
		buf_free(&der);
		return smime_not_for_us(cfg, f, err);
	}
	if ((type != GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA &&
	    type != GMIME_SECURE_MIME_TYPE_SIGNED_DATA) ||
	    (ctx = keys_cms_ctx_new()) == NULL) {
		buf_free(&der);
		return em_fail(err, ctx ? EM_EPARSE : EM_ECRYPTO, "an S/MIME "
		    "part of a kind not read (compressed or certificates only), "
		    "or gpgsm not installed: refused");
	}
	buf_init(&plain);
	if (type == GMIME_SECURE_MIME_TYPE_SIGNED_DATA)
		rc = smime_verify_bounded(lim, ctx, &der, &plain, err);
	else if ((rc = decrypt_bounded(cfg, lim, ctx, der.data ? der.data : "",
	    der.len, &plain, err)) == EM_EKEY)
		rc = smime_not_for_us(cfg, f, err);
	else if (rc == EM_OK && first && f->top_encrypted) {
		buf_reset(&f->forward);
		buf_append(&f->forward, plain.data, plain.len);
	}
	if (rc == EM_OK && plain.len > 0) {
		take_gpgme_sigs(cfg, ctx, type == GMIME_SECURE_MIME_TYPE_SIGNED_DATA,
		    f);
		rc = reader_read_more(plain.data, plain.len, lim,
		    first && f->top_encrypted, f, err);
	}
	buf_free(&plain);
	buf_free(&der);
	gpgme_release(ctx);
	return rc;
}

/* keys_read_crypt - every part policy_read() could not read itself */

int
keys_read_crypt(const struct config *cfg, const struct policy_limits *lim,
    struct facts *f, struct em_err *err)
{
	bool first_encrypted = true;

	/* Reading a decrypted part may add entries: f->n_crypt grows. */
	for (size_t i = 0; i < f->n_crypt; i++) {
		struct policy_crypt c = f->crypt[i];	/* f->crypt may move */
		int rc = EM_OK;

		switch (c.kind) {
		case POLICY_CRYPT_PGPMIME_ENCRYPTED:
			rc = read_pgpmime_encrypted(cfg, lim, &f->crypt[i].data,
			    first_encrypted, f, err);
			first_encrypted = false;
			break;
		case POLICY_CRYPT_PGPMIME_SIGNED:
			read_pgpmime_signed(cfg, &c.data, f);
			break;
		case POLICY_CRYPT_INLINE_ENCRYPTED:
		case POLICY_CRYPT_INLINE_SIGNED:
			rc = read_inline(cfg, lim, &c, f, err);
			break;
		case POLICY_CRYPT_SMIME:
			rc = read_smime(cfg, lim, &f->crypt[i].data,
			    first_encrypted, f, err);
			first_encrypted = false;
			break;
		}
		if (rc < 0)
			return rc;
	}
	return EM_OK;
}
