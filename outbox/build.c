/*
 * build.c - one member's copy built from the sealed post: the post
 * unsealed (once per worker for a run of copies of one post), the note,
 * the protected headers and the original entity, signed and encrypted in
 * one gpg run (keys_build_copy())
 *
 * Nothing decrypted reaches the disk: the post a worker keeps is in its
 * memory only, wiped when the worker ends.  A member key that cannot be
 * used, or one gpg encrypts to in a form not every member's client reads
 * (keys_copy_format()), parks the copy ("waiting-key", the team told); any
 * other failure to build is recorded and tried again after a backoff (outcome.c).
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "deliver_int.h"
#include "../util/log.h"
#include "../keys/keys.h"

/*
 * The post a worker unsealed last: a fan-out builds many copies of one
 * post in a row (in memory only: nothing plain reaches the disk).
 */
static _Thread_local uint64_t cached_id;
static _Thread_local struct buf cached;

/* unsealed_post - the post an entry is built from, decrypted, into out */

static int
unsealed_post(const struct store_outbox *ob, struct buf *out, struct em_err *err)
{
	struct store_txn *t;
	struct buf sealed;
	int rc;

	if (cached_id != ob->post_id) {
		buf_init(&sealed);
		if ((rc = store_begin(state_store(), false, &t, err)) < 0)
			return rc;
		rc = store_blob_get(t, STORE_BLOB_POST, ob->post_id, &sealed,
		    err);
		store_abort(t);
		if (rc < 0) {
			buf_free(&sealed);
			return em_fail(err, EM_ESTORE, "the post of %s cannot be "
			    "read: %.400s", ob->advisory, err->msg);
		}
		buf_reset(&cached);
		cached_id = 0;
		rc = keys_unseal(sealed.data, sealed.len, &cached, err);
		buf_free(&sealed);
		if (rc < 0)
			return rc;
		cached_id = ob->post_id;
	}
	buf_append(out, cached.data, cached.len);
	return EM_OK;
}

/* build_thread_done - the calling worker's kept post freed */

void
build_thread_done(void)
{
	buf_free(&cached);
}

/* outer_subject - the copy's outer Subject: the discussion's, a date
 * notice's or the list's (caller frees) */

static char *
outer_subject(const struct config *cfg, const struct store_outbox *ob,
    const struct store_post *p, bool discuss)
{
	if (discuss)
		return xasprintf("Members' discussion%s%s",
		    ob->advisory[0] ? " " : "", ob->advisory);
	if (p->field[STORE_POST_NOTICE][0] != '\0')
		return xasprintf("Embargo date notice %s", ob->advisory);
	return xasprintf("%s %s", cfg->list_outer_subject, ob->advisory);
}

/* copy_spec - what keys_build_copy() makes of one post for one member
 * (a discussion copy is signed whole by the discussion list) */

static void
copy_spec(const struct config *cfg, const struct store_outbox *ob,
    const struct store_post *p, bool discuss, struct keys_copy_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->entity = p->entity;
	sp->entity_len = p->entity_len;
	sp->subject = p->field[STORE_POST_SUBJECT];
	sp->orig_from = p->field[STORE_POST_FROM][0] ?
	    p->field[STORE_POST_FROM] : NULL;
	sp->orig_date = p->field[STORE_POST_DATE][0] ?
	    p->field[STORE_POST_DATE] : NULL;
	sp->list_fpr = discuss ? cfg->discussion_key : cfg->list_key;
	sp->list_address = discuss ? cfg->discussion_address :
	    cfg->list_address;
	sp->member_fpr = ob->key;
	/* A recipient pinned by a certificate reads S/MIME (keys.h). */
	if (keys_pin_is_cert(ob->key)) {
		sp->list_cert = discuss ? cfg->discussion_cert : cfg->list_cert;
		sp->member_cert = ob->key;
	}
	sp->member_address = ob->rcpt;
	sp->message_id = ob->message_id;
	sp->reply_to = discuss ? cfg->discussion_address :
	    cfg->team_addresses.n > 0 ? cfg->team_addresses.v[0] : NULL;
	sp->copy_id = ob->copy_id;
}

/* build - one member's copy from the sealed post */

static int
build(const struct config *cfg, const struct store_outbox *ob,
    struct buf *copy, struct em_err *err)
{
	struct buf post, note, doc;
	struct keys_copy_spec sp;
	char doc_name[128];
	struct store_post p;
	char *outer;
	bool discuss;
	int rc;

	buf_init(&post);
	buf_init(&note);
	buf_init(&doc);
	memset(&p, 0, sizeof(p));
	if ((rc = unsealed_post(ob, &post, err)) == EM_OK &&
	    (rc = store_post_unpack(post.data, post.len, &p)) < 0)
		(void)em_fail(err, rc, "the stored post is damaged");
	discuss = rc == EM_OK && ob->from[0] != '\0' &&
	    cfg->discussion_address != NULL &&
	    strcmp(ob->from, cfg->discussion_address) == 0;
	if (rc == EM_OK)
		rc = csaf_attachment(cfg, ob, &p, discuss, &doc, doc_name,
		    sizeof(doc_name), err);
	if (rc == EM_OK) {
		outer = outer_subject(cfg, ob, &p, discuss);
		post_note(cfg, &p, ob, &note);
		copy_spec(cfg, ob, &p, discuss, &sp);
		sp.outer_subject = outer;
		sp.note = note.data;
		if (doc.len > 0) {
			sp.attach = doc.data;
			sp.attach_len = doc.len;
			sp.attach_name = doc_name;
		}
		rc = keys_build_copy(&sp, copy, err);
		free(outer);
	}
	store_post_free(&p);
	buf_free(&note);
	buf_free(&doc);
	buf_free(&post);
	return rc;
}

/*
 * build_copy - a queued copy built and committed as built, into data; a
 * member key that cannot be used, or a copy in a form not every member's
 * client reads, parks the copy, any other failure is tried again later.  Returns EM_OK when data is ready to send, 1 when
 * the failure to build is recorded, EM_E* when nothing could be recorded.
 */
int
build_copy(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, struct buf *data, struct em_err *err)
{
	struct keys_health h;
	struct em_err uerr;
	const char *wait = NULL;
	int rc;

	if ((rc = build(cfg, ob, data, err)) == EM_OK)
		return outcome_built(io, cfg, ob, data, err);
	/* What will fail the same way every time waits: a copy gpg wrote in
	 * a form not every member's client reads, or a key not usable. */
	if (rc == EM_EFORMAT)
		wait = err->msg;
	else if (keys_health(ob->key, KEYS_USE_ENCRYPT, io->clock(NULL),
	    &h) == 0 && !h.usable)
		wait = h.problem;
	if (wait != NULL) {
		log_msg(LOG_WARNING, NULL, "%s copy for %s waits%s: %s",
		    ob->advisory, ob->rcpt, rc == EM_EFORMAT ? "" :
		    " for a key", wait);
		if ((rc = outcome_waiting(io, cfg, ob, wait, &uerr)) < 0)
			return em_fail(err, rc, "%s", uerr.msg);
		return 1;
	}
	log_msg(LOG_WARNING, NULL, "%s copy for %s not built: %s; tried again "
	    "after a backoff", ob->advisory, ob->rcpt, err->msg);
	if ((rc = outcome_retry(io, cfg, ob, err->msg, &uerr)) < 0)
		return em_fail(err, rc, "%s", uerr.msg);
	return 1;
}
