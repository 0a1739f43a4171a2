/*
 * pgpmime.c - RFC 3156 through GMime's gpg context: read the parts a post
 * carries, and build one member's copy
 *
 * GMime knows the canonical form a PGP/MIME signature covers, so
 * verification and building go through it rather than through bytes we
 * would have to canonicalise ourselves.  Inline PGP goes to gpgme directly.
 */

/* System library. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>
#include <gpgme.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

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
	char primary[41];

	if (fpr == NULL || keys_primary_fpr(fpr, primary) != EM_OK)
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

/* parse_entity - a MIME entity from bytes */

static GMimeObject *
parse_entity(const char *p, size_t n)
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
	else if (gpg_err_code(e) != GPG_ERR_NO_SECKEY && had_session_key(ctx))
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
	GMimeObject *o = parse_entity(data->data, data->len);
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
		rc = policy_read_more(plain.data ? plain.data : "", plain.len,
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
	GMimeObject *o = parse_entity(data->data, data->len);
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
		rc = policy_read_more(plain.data, plain.len, lim, false, f, err);
	}
	buf_free(&plain);
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
		}
		if (rc < 0)
			return rc;
	}
	return EM_OK;
}

/*
 * One gpg run per copy, signing and encrypting at once.  GMime's own
 * encrypt looks the signer and each
 * recipient up first (a gpg run each); here the signer key is looked up
 * once per thread and the recipient is named by its pinned fingerprint,
 * so gpg itself resolves it, and gpg runs once.  --no-encrypt-to keeps a
 * keyring's default recipients out: a copy is for one member alone.
 */
static _Thread_local gpgme_ctx_t copy_ctx;
static _Thread_local char copy_signer[41];

/* copy_context - this thread's context, signing with the list key */

static gpgme_ctx_t
copy_context(const char *list_fpr, struct em_err *err)
{
	gpgme_key_t key = NULL;

	if (copy_ctx != NULL && strcasecmp(copy_signer, list_fpr) == 0)
		return copy_ctx;
	if (copy_ctx == NULL) {
		if (gpgme_new(&copy_ctx) != 0) {
			copy_ctx = NULL;
			(void)em_fail(err, EM_ECRYPTO, "gpgme: no context");
			return NULL;
		}
		gpgme_set_armor(copy_ctx, 1);
		gpgme_set_offline(copy_ctx, 1);
	}
	gpgme_signers_clear(copy_ctx);
	copy_signer[0] = '\0';
	if (gpgme_get_key(copy_ctx, list_fpr, &key, 1) != 0 || key == NULL ||
	    strcasecmp(key->subkeys->fpr, list_fpr) != 0 ||
	    gpgme_signers_add(copy_ctx, key) != 0) {
		if (key)
			gpgme_key_unref(key);
		(void)em_fail(err, EM_EKEY, "the list key %s (secret) is not "
		    "usable for signing", list_fpr);
		return NULL;
	}
	gpgme_key_unref(key);
	(void)snprintf(copy_signer, sizeof(copy_signer), "%s", list_fpr);
	return copy_ctx;
}

/* canonical - an entity as bytes with CRLF line ends (RFC 3156) */

static void
canonical(GMimeObject *o, struct buf *out)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *f = g_mime_stream_filter_new(mem);
	GMimeFilter *crlf = g_mime_filter_unix2dos_new(FALSE);
	GByteArray *ba;

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), crlf);
	g_object_unref(crlf);
	(void)g_mime_object_write_to_stream(o, NULL, f);
	(void)g_mime_stream_flush(f);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	buf_append(out, ba->data, ba->len);
	g_object_unref(f);
	g_object_unref(mem);
}

/*
 * sign_encrypt_in - one OpenPGP message, armored, signed by ctx's signer
 * (the list key) and encrypted to one fingerprint, in one gpg run (RFC 3156
 * section 6.2, the combined form): the signature covers the whole entity a
 * member's client decrypts, which is where Thunderbird, mutt and gpg look
 */
static int
sign_encrypt_in(gpgme_ctx_t ctx, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t e;
	char rcpt[64];

	(void)snprintf(rcpt, sizeof(rcpt), "%s", member_fpr);
	e = gpgme_data_new_from_mem(&in, plain->data, plain->len, 0);
	if (e == 0)
		e = gpgme_data_new(&out);
	if (e == 0)
		e = gpgme_op_encrypt_sign_ext(ctx, NULL, rcpt,
		    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO, in, out);
	/* A run that encrypted but made no signature is no copy. */
	if (e == 0 && ((res = gpgme_op_sign_result(ctx)) == NULL ||
	    res->signatures == NULL || res->invalid_signers != NULL))
		e = gpg_error(GPG_ERR_NO_SECKEY);
	if (e == 0)
		keys_data_drain(out, armored);
	gpgme_data_release(in);
	gpgme_data_release(out);
	return e == 0 ? EM_OK : em_fail(err, EM_ECRYPTO, "signing with the list "
	    "key and encrypting to %s failed: %s", member_fpr, gpgme_strerror(e));
}

/*
 * Signing helpers.  gpgme runs gpg by fork and exec; a fork of the
 * daemon (large, many threads) costs more than the encryption: each copies
 * the page tables, and every thread's next writes fault and flush TLBs
 * (perf: the daemon's own CPU exceeded gpg's in a fan-out).  So the daemon
 * forks small helper processes at start, before any thread, one per
 * delivery worker; a worker hands a copy's plaintext, the member's and
 * the list's fingerprints to its helper over a socket pair and gets the
 * armored message back, signed by the list and encrypted to the member in
 * one gpg run.  Nothing touches the disk.  A helper that is gone is not
 * used again: the worker signs and encrypts in-process, as before.
 */
struct helper {
	int	fd;		/* -1: none, or gone */
	pid_t	pid;
};

static struct helper *helpers;
static int n_helpers;
static int next_helper;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int my_helper = -1;

/*
 * The helper protocol, on a socket pair.  Request: the member's
 * fingerprint and the list's (40 bytes each), a 4-byte length, the
 * plaintext.  Answer: a 4-byte status (0 ok), a 4-byte length, the armored
 * message or the error text.  No length may exceed KEYS_WIRE_MAX: the
 * side that reads one larger takes the other side as broken.
 */
#define KEYS_WIRE_MAX	(1U << 30)

/* wire_read - a length-prefixed body into b, within KEYS_WIRE_MAX */

static int
wire_read(int fd, uint32_t len, struct buf *b)
{
	if (len > KEYS_WIRE_MAX)
		return -1;
	buf_reset(b);
	b->data = xrealloc(b->data, (size_t)len + 1);
	b->cap = (size_t)len + 1;
	if (len > 0 && em_read_all(fd, b->data, len) < 0)
		return -1;
	b->len = len;
	b->data[len] = '\0';
	return 0;
}

/* helper_main - a helper's life: requests in, armored messages out */

static void
helper_main(int fd)
{
	for (;;) {
		char fpr[41], list[41];
		uint32_t len, st;
		struct buf plain, out;
		struct em_err err;
		gpgme_ctx_t ctx;

		if (em_read_all(fd, fpr, 40) < 0 || em_read_all(fd, list, 40) < 0 ||
		    em_read_all(fd, &len, 4) < 0)
			_exit(0);
		fpr[40] = list[40] = '\0';
		buf_init(&plain);
		buf_init(&out);
		em_err_clear(&err);
		if (wire_read(fd, len, &plain) < 0)
			_exit(0);
		st = 1;
		if ((ctx = copy_context(list, &err)) != NULL &&
		    sign_encrypt_in(ctx, fpr, &plain, &out, &err) == EM_OK)
			st = 0;
		if (st != 0 || out.len > KEYS_WIRE_MAX) {
			st = 1;
			buf_reset(&out);
			buf_appends(&out, err.msg[0] ? err.msg :
			    "the signed and encrypted copy is too large");
		}
		len = (uint32_t)out.len;
		if (em_write_all(fd, &st, 4) < 0 || em_write_all(fd, &len, 4) < 0 ||
		    em_write_all(fd, out.data ? out.data : "", out.len) < 0)
			_exit(0);
		buf_free(&plain);
		buf_free(&out);
	}
}

/* keys_helpers_start - n helper processes; before any thread starts */

int
keys_helpers_start(int n, struct em_err *err)
{
	helpers = xcalloc((size_t)n, sizeof(*helpers));
	for (n_helpers = 0; n_helpers < n; n_helpers++) {
		int sv[2];
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return em_fail(err, EM_EIO, "socketpair: %s",
			    strerror(errno));
		if ((pid = fork()) < 0) {
			close(sv[0]);
			close(sv[1]);
			return em_fail(err, EM_EIO, "fork: %s", strerror(errno));
		}
		if (pid == 0) {
			sigset_t all;

			/* The daemon's signals are for the daemon. */
			(void)signal(SIGHUP, SIG_IGN);
			(void)signal(SIGUSR1, SIG_IGN);
			(void)signal(SIGINT, SIG_IGN);
			(void)signal(SIGTERM, SIG_DFL);
			(void)signal(SIGPIPE, SIG_IGN);
			(void)sigemptyset(&all);
			(void)sigprocmask(SIG_SETMASK, &all, NULL);
			/*
			 * Nothing of the daemon's but stderr and this socket:
			 * a helper outliving a killed daemon by a moment must
			 * not hold its milter socket or state files open.
			 */
			if (dup2(sv[1], 3) < 0)
				_exit(1);
			(void)close_range(4, ~0U, 0);
			helper_main(3);
			_exit(0);
		}
		close(sv[1]);
		helpers[n_helpers].fd = sv[0];
		helpers[n_helpers].pid = pid;
	}
	return EM_OK;
}

/* keys_helpers_stop - after the workers: each helper sees EOF, ends, is reaped */

void
keys_helpers_stop(void)
{
	for (int i = 0; i < n_helpers; i++) {
		if (helpers[i].fd >= 0)
			close(helpers[i].fd);
		(void)waitpid(helpers[i].pid, NULL, 0);
	}
	free(helpers);
	helpers = NULL;
	n_helpers = 0;
}

/* helper_sign_encrypt - through this thread's helper: EM_OK, error, or 1 (none) */

static int
helper_sign_encrypt(const char *list_fpr, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	uint32_t len = (uint32_t)plain->len, st, n;
	int fd;
	struct buf reply;

	if (my_helper < 0) {
		pthread_mutex_lock(&helper_lock);
		if (next_helper < n_helpers)
			my_helper = next_helper++;
		pthread_mutex_unlock(&helper_lock);
	}
	if (my_helper < 0 || helpers[my_helper].fd < 0 ||
	    strlen(member_fpr) != 40 || strlen(list_fpr) != 40)
		return 1;
	if (plain->len > KEYS_WIRE_MAX)
		return em_fail(err, EM_ELIMIT, "a copy of %zu bytes is over the "
		    "helpers' ceiling of %u bytes", plain->len, KEYS_WIRE_MAX);
	fd = helpers[my_helper].fd;
	buf_init(&reply);
	if (em_write_all(fd, member_fpr, 40) < 0 ||
	    em_write_all(fd, list_fpr, 40) < 0 || em_write_all(fd, &len, 4) < 0 ||
	    em_write_all(fd, plain->data ? plain->data : "", plain->len) < 0 ||
	    em_read_all(fd, &st, 4) < 0 || em_read_all(fd, &n, 4) < 0 ||
	    wire_read(fd, n, &reply) < 0) {
		buf_free(&reply);
		close(fd);
		helpers[my_helper].fd = -1;
		return 1;
	}
	if (st == 0)
		buf_append(armored, reply.data, reply.len);
	else
		(void)em_fail(err, EM_ECRYPTO, "%s", reply.data);
	buf_free(&reply);
	return st == 0 ? EM_OK : EM_ECRYPTO;
}

/* sign_encrypt_to - signed by the list, to the member: by a helper, else here */

static int
sign_encrypt_to(const char *list_fpr, const char *member_fpr,
    const struct buf *plain, struct buf *armored, struct em_err *err)
{
	gpgme_ctx_t ctx;
	int rc = helper_sign_encrypt(list_fpr, member_fpr, plain, armored, err);

	if (rc <= 0)
		return rc;
	if ((ctx = copy_context(list_fpr, err)) == NULL)
		return EM_EKEY;
	return sign_encrypt_in(ctx, member_fpr, plain, armored, err);
}

/* mem_part - a leaf part of the given type holding bytes, 7bit */

static GMimePart *
mem_part(const char *type, const char *subtype, const char *p, size_t n)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(p, n);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s,
	    GMIME_CONTENT_ENCODING_7BIT);

	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_7BIT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	return part;
}

/* pgpmime_encrypted - the RFC 3156 multipart/encrypted around armor */

static GMimeMultipartEncrypted *
pgpmime_encrypted(const struct buf *armored)
{
	static const char version[] = "Version: 1\n";
	GMimeMultipartEncrypted *enc = g_mime_multipart_encrypted_new();
	GMimePart *v = mem_part("application", "pgp-encrypted", version,
	    sizeof(version) - 1);
	GMimePart *c = mem_part("application", "octet-stream", armored->data,
	    armored->len);

	g_mime_part_set_filename(c, "encrypted.asc");
	g_mime_multipart_add(GMIME_MULTIPART(enc), GMIME_OBJECT(v));
	g_mime_multipart_add(GMIME_MULTIPART(enc), GMIME_OBJECT(c));
	/*
	 * A multipart made here has no boundary until one is set: GMime
	 * then writes "--(null)" and no boundary parameter, which no mail
	 * client can read.  NULL asks GMime for a random one.
	 */
	g_mime_multipart_set_boundary(GMIME_MULTIPART(enc), NULL);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(enc), "protocol",
	    "application/pgp-encrypted");
	g_object_unref(v);
	g_object_unref(c);
	return enc;
}

/*
 * The original entity is the same for every member of one post, so each
 * thread keeps the last one it parsed: a fan-out to 500 members parses it
 * once, not 500 times.  Only the wrapper around it (the note naming the
 * member) is made per copy.
 */
static _Thread_local struct buf last_entity_bytes;
static _Thread_local GMimeObject *last_entity;

/* cached_entity - the parsed original entity, from the cache if the same */

static GMimeObject *
cached_entity(const char *p, size_t n)
{
	if (last_entity != NULL && last_entity_bytes.len == n &&
	    memcmp(last_entity_bytes.data, p, n) == 0)
		return last_entity;
	if (last_entity != NULL)
		g_object_unref(last_entity);
	buf_reset(&last_entity_bytes);
	if ((last_entity = parse_entity(p, n)) != NULL)
		buf_append(&last_entity_bytes, p, n);
	return last_entity;
}

/*
 * inner_plain - what is encrypted: a multipart/mixed carrying the protected
 * headers (v1), a text part with the note for this member, and the
 * original entity, untouched (a signature inside it still verifies)
 */
static int
inner_plain(const struct keys_copy_spec *sp, struct buf *plain, struct em_err *err)
{
	GMimeObject *entity = cached_entity(sp->entity, sp->entity_len);
	GMimeMultipart *mixed;
	GMimeTextPart *note;

	if (entity == NULL)
		return em_fail(err, EM_EPARSE, "the stored post is not MIME");
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_set_boundary(mixed, NULL);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(mixed),
	    "protected-headers", "v1");
	/* Protected headers: the real Subject travels inside. */
	g_mime_object_set_header(GMIME_OBJECT(mixed), "Subject", sp->subject,
	    NULL);
	if (sp->orig_from)
		g_mime_object_set_header(GMIME_OBJECT(mixed), "From",
		    sp->orig_from, NULL);
	if (sp->orig_date)
		g_mime_object_set_header(GMIME_OBJECT(mixed), "Date",
		    sp->orig_date, NULL);
	/* Inside the encryption: a forwarded copy names its member. */
	if (sp->copy_id != NULL && sp->copy_id[0] != '\0')
		g_mime_object_set_header(GMIME_OBJECT(mixed), "Embargo-Copy-Id",
		    sp->copy_id, NULL);
	note = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(note, sp->note ? sp->note : "");
	g_mime_object_set_disposition(GMIME_OBJECT(note), "inline");
	g_mime_multipart_add(mixed, GMIME_OBJECT(note));
	g_mime_multipart_add(mixed, entity);
	canonical(GMIME_OBJECT(mixed), plain);
	g_object_unref(note);
	g_object_unref(mixed);
	return EM_OK;
}

/* keys_build_copy - one member's copy, RFC 3156, protected Subject */

int
keys_build_copy(const struct keys_copy_spec *sp, struct buf *out,
    struct em_err *err)
{
	GMimeMultipartEncrypted *enc;
	GMimeMessage *msg;
	GDateTime *now;
	struct buf plain, armored;
	char *s;
	int rc;

	buf_init(&plain);
	buf_init(&armored);
	if ((rc = inner_plain(sp, &plain, err)) == EM_OK)
		rc = sign_encrypt_to(sp->list_fpr, sp->member_fpr, &plain,
		    &armored, err);
	buf_free(&plain);
	if (rc < 0) {
		buf_free(&armored);
		return rc;
	}
	enc = pgpmime_encrypted(&armored);
	buf_free(&armored);
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL,
	    sp->list_address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL,
	    sp->member_address);
	/* A member's Reply reaches the team, not the list (which refuses it). */
	if (sp->reply_to != NULL)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL,
		    sp->reply_to);
	g_mime_message_set_subject(msg, sp->outer_subject, NULL);
	g_mime_message_set_message_id(msg, sp->message_id);
	now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(enc));
	g_object_unref(enc);
	s = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	buf_append(out, s, strlen(s));
	g_free(s);
	g_object_unref(msg);
	return EM_OK;
}

/* keys_thread_done - free this thread's caches (a worker that ends) */

void
keys_thread_done(void)
{
	buf_free(&last_entity_bytes);
	if (last_entity != NULL) {
		g_object_unref(last_entity);
		last_entity = NULL;
	}
	if (copy_ctx != NULL) {
		gpgme_release(copy_ctx);
		copy_ctx = NULL;
	}
}
