/*
 * copy.c - one member's copy (RFC 3156): the protected headers, the note
 * and the original entity inside, signed by the list and encrypted to the
 * member alone (helper.c), wrapped in multipart/encrypted by GMime; or,
 * for a member who reads S/MIME (RFC 8551), the same inside signed by
 * the list's certificate and then enveloped to the member's alone, both
 * by GMime's CMS context (gpgsm, in the daemon's GnuPG home)
 */

/* System library. */
#include <string.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "keys.h"
#include "keys_int.h"

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
	if ((last_entity = keys_parse_entity(p, n)) != NULL)
		buf_append(&last_entity_bytes, p, n);
	return last_entity;
}

/* add_attachment - the spec's attachment, base64, after the entity */

static void
add_attachment(GMimeMultipart *mixed, const struct keys_copy_spec *sp)
{
	GMimePart *part = g_mime_part_new_with_type("application", "json");
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(sp->attach,
	    sp->attach_len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, w);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_filename(part, sp->attach_name);
	g_mime_multipart_add(mixed, GMIME_OBJECT(part));
	g_object_unref(part);
	g_object_unref(w);
	g_object_unref(s);
}

/*
 * inner_entity - what is encrypted: a multipart/mixed carrying the
 * protected headers (v1), a text part with the note for this member, and
 * the original entity, untouched (a signature inside it still verifies),
 * then the attachment the spec names (the members' CSAF document);
 * NULL when the stored post is not MIME.  Fresh: the entity parsed for
 * this copy alone, not the thread's cached one (signing in GMime may
 * re-encode a part for 7 bits, which must not reach other copies).
 */
static GMimeObject *
inner_entity(const struct keys_copy_spec *sp, bool fresh)
{
	GMimeObject *entity = fresh ? keys_parse_entity(sp->entity,
	    sp->entity_len) : cached_entity(sp->entity, sp->entity_len);
	GMimeMultipart *mixed;
	GMimeTextPart *note;

	if (entity == NULL)
		return NULL;
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
	g_object_unref(note);
	if (sp->attach != NULL)
		add_attachment(mixed, sp);
	if (fresh)
		g_object_unref(entity);
	return GMIME_OBJECT(mixed);
}

/* pgp_body - the OpenPGP copy's body: the inner entity signed and
 * encrypted (helper.c), in multipart/encrypted, into *body */

static int
pgp_body(const struct keys_copy_spec *sp, GMimeObject *inner,
    GMimeObject **body, struct em_err *err)
{
	GMimeMultipartEncrypted *enc;
	struct buf plain, armored;
	int rc;

	buf_init(&plain);
	buf_init(&armored);
	canonical(inner, &plain);
	rc = keys_sign_encrypt(sp->list_fpr, sp->member_fpr, &plain, &armored,
	    err);
	buf_free(&plain);
	if (rc < 0) {
		buf_free(&armored);
		return rc;
	}
	enc = pgpmime_encrypted(&armored);
	buf_free(&armored);
	*body = GMIME_OBJECT(enc);
	return EM_OK;
}

/*
 * smime_body - the S/MIME copy's body: the inner entity in
 * multipart/signed by the list's certificate, then enveloped to the
 * member's certificate alone (pinned: gpgsm is not asked to trust it;
 * never unsigned: the envelope's CBC has no integrity of its own), into
 * *body
 */
static int
smime_body(const struct keys_copy_spec *sp, GMimeObject *inner,
    GMimeObject **body, struct em_err *err)
{
	GMimeCryptoContext *ctx;
	GMimeMultipartSigned *signed_part;
	GMimeApplicationPkcs7Mime *env = NULL;
	GPtrArray *rcpt;
	GError *ge = NULL;
	char signer[41], member[41];
	int rc;

	/* The pins are SHA-256; gpgsm knows its certificates by SHA-1. */
	if ((rc = keys_cert_name(sp->list_cert, signer, err)) < 0 ||
	    (rc = keys_cert_name(sp->member_cert, member, err)) < 0)
		return rc == EM_ENOTFOUND ? EM_EKEY : rc;
	ctx = g_mime_pkcs7_context_new();
	rcpt = g_ptr_array_new();
	signed_part = g_mime_multipart_signed_sign(ctx, inner, signer, &ge);
	if (signed_part == NULL) {
		(void)em_fail(err, EM_ECRYPTO, "signing with the list's "
		    "certificate %s failed: %s", sp->list_cert,
		    ge ? ge->message : "no reason given");
	} else {
		g_ptr_array_add(rcpt, member);
		env = g_mime_application_pkcs7_mime_encrypt(
		    GMIME_OBJECT(signed_part), GMIME_ENCRYPT_ALWAYS_TRUST, rcpt,
		    &ge);
		if (env == NULL)
			(void)em_fail(err, EM_ECRYPTO, "encrypting to the "
			    "certificate %s failed: %s", sp->member_cert,
			    ge ? ge->message : "no reason given");
		g_object_unref(signed_part);
	}
	if (ge != NULL)
		g_error_free(ge);
	g_ptr_array_free(rcpt, TRUE);
	g_object_unref(ctx);
	if (env == NULL)
		return EM_ECRYPTO;
	*body = GMIME_OBJECT(env);
	return EM_OK;
}

/* keys_build_copy - one member's copy: RFC 3156 (or S/MIME), protected
 * Subject */

int
keys_build_copy(const struct keys_copy_spec *sp, struct buf *out,
    struct em_err *err)
{
	bool smime = sp->member_cert != NULL;
	GMimeObject *inner = inner_entity(sp, smime), *body = NULL;
	GMimeMessage *msg;
	GDateTime *now;
	char *s;
	int rc;

	if (inner == NULL)
		return em_fail(err, EM_EPARSE, "the stored post is not MIME");
	rc = smime ? smime_body(sp, inner, &body, err) :
	    pgp_body(sp, inner, &body, err);
	g_object_unref(inner);
	if (rc < 0)
		return rc;
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
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
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
	keys_helper_thread_done();
}
