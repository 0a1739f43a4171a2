/*
 * outcome.c - what became of one outbox entry, committed: built, waiting
 * for a key, tried again after a backoff, refused for good, sent; and
 * the guard that holds back what was prepared for a hold until its date
 *
 * Each change re-reads the entry in the group commit's transaction
 * (auditq.c), applies one move of the ledger's table and writes it back
 * with its audit record, and any notice to the team, before the worker
 * goes on.  A change that fails leaves the entry as it was and is
 * returned to the worker, which logs it.  A prepared entry whose hold or
 * advisory cannot be read is never sent: a fault counts as "not yet".
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "deliver_int.h"
#include "../util/log.h"

#define MAX_BACKOFF	300	/* seconds */

/* audit_entry - an audit record about one outbox entry, in t */

static int
audit_entry(struct store_txn *t, const struct config *cfg,
    const struct store_outbox *ob, const char *event, const char *reason,
    time_t now, struct em_err *err)
{
	struct store_audit a = { 0 };
	char *why = NULL;
	int rc;

	/* A copy's records name its copy id, for embargoctl trace. */
	if (ob->copy_id[0] != '\0')
		reason = why = xasprintf("%s; copy id %s", reason, ob->copy_id);
	a.time = now;
	a.event = event;
	a.queue_id = ob->queue_id;
	a.message_id = ob->message_id;
	a.sender = cfg->list_address;
	a.rcpts = ob->rcpt;
	a.advisory = ob->advisory;
	a.revision = ob->revision;
	a.decision = event;
	a.reason = reason;
	a.keys = ob->key;
	rc = store_audit_append(t, &a, err);
	free(why);
	return rc;
}

/* A change to one entry, made in the transaction t at now; 0 or EM_E*. */
typedef int (*update_fn)(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, time_t now, struct em_err *err);

struct update_work {
	uint64_t id;
	const struct config *cfg;
	update_fn fn;
	void   *arg;
	const struct deliver_io *io;
};

/* update_in - txq_run() work: re-read the entry, apply fn, write it back */

static int
update_in(struct store_txn *t, void *arg, struct em_err *err)
{
	struct update_work *u = arg;
	struct store_outbox ob;
	int rc;

	if ((rc = store_ob_get(t, u->id, &ob, err)) < 0)
		return rc;
	if ((rc = u->fn(t, u->cfg, &ob, u->arg, u->io->clock(NULL), err)) < 0)
		return rc;
	return ledger_ob_put(t, &ob, err);
}

/*
 * update - change one entry, committed (with whatever other workers
 * commit at the same moment, each in its own nested transaction) before
 * this returns; a change that fails leaves the entry as it was
 */
static int
update(const struct deliver_io *io, uint64_t id, const struct config *cfg,
    update_fn fn, void *arg, struct em_err *err)
{
	struct update_work u = { id, cfg, fn, arg, io };

	return txq_run(update_in, &u, err);
}

/*
 * prepared_of - the hold a prepared entry waits for: a hold that cannot
 * be read (or is not there) is an error, so the entry never leaves
 * before its date on a fault
 */
static int
prepared_of(struct store_txn *t, uint64_t id, struct store_hold *h,
    struct em_err *err)
{
	int rc = store_hold_get(t, id, h, err);

	return rc == EM_ENOTFOUND ? em_fail(err, EM_ESTORE, "a prepared "
	    "entry's hold %llu is not in database 'hold'",
	    (unsigned long long)id) : rc;
}

/* not_before - when an entry may leave (*when): its hold's due time while
 * the hold is held (SPEC 5: never before the date), else now */

static int
not_before(struct store_txn *t, const struct store_outbox *ob, time_t now,
    time_t *when, struct em_err *err)
{
	struct store_hold h;
	int rc;

	*when = now;
	if (ob->hold == 0)
		return EM_OK;
	if ((rc = prepared_of(t, ob->hold, &h, err)) < 0 ||
	    h.state != STORE_HOLD_HELD)
		return rc;
	return store_hold_due(t, &h, now, when, err);
}

/*
 * cancelled - why a prepared entry must never leave (*why), or NULL: its
 * hold was dropped, or (a final copy) the list has had a later revision
 * since
 */
static int
cancelled(struct store_txn *t, const struct store_outbox *ob,
    const char **why, struct em_err *err)
{
	struct store_hold h;
	struct store_advisory a;
	int rc;

	*why = NULL;
	if (ob->hold == 0)
		return EM_OK;
	if ((rc = prepared_of(t, ob->hold, &h, err)) < 0)
		return rc;
	if (h.state == STORE_HOLD_DROPPED) {
		*why = "its hold was dropped";
		return EM_OK;
	}
	if (ob->kind != STORE_OB_COPY)
		return EM_OK;
	if ((rc = store_adv_get(t, ob->advisory, &a, err)) < 0)
		return rc;
	if (a.list_revision_sent > ob->revision)
		*why = "superseded: the list has had a later revision";
	return EM_OK;
}

/* set_built - the copy is built: its bytes kept, the send counted (a
 * final copy made before its date waits for it, its send not counted) */

static int
set_built(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, time_t now, struct em_err *err)
{
	const struct buf *copy = arg;
	time_t nb;
	int rc;

	(void)cfg;
	if (ob->state != STORE_OB_QUEUED)
		return EM_OK;	/* "embargoctl outbox" moved it meanwhile */
	if ((rc = store_blob_put(t, STORE_BLOB_COPY, ob->id, copy->data,
	    copy->len, err)) < 0 ||
	    (rc = not_before(t, ob, now, &nb, err)) < 0 ||
	    (rc = ledger_ob_step(ob, LEDGER_OB_BUILT, nb, NULL, err)) < 0)
		return rc;
	if (ob->next_try <= now)
		ob->attempts++;	/* counted before the send: see deliver.c */
	return EM_OK;
}

/*
 * park - an entry that waits for a person: its state and reason kept, one
 * audit record, and the team told in a notice (never about a notice to
 * the team itself: that would only make another)
 */
static int
park(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    enum ledger_ob_event ev, const char *why, const char *subject,
    const char *body, time_t now, struct em_err *err)
{
	int rc;

	if ((rc = ledger_ob_step(ob, ev, 0, why, err)) < 0 ||
	    (rc = audit_entry(t, cfg, ob, ledger_ob_row(ev)->audit, why, now,
	    err)) < 0)
		return rc;
	if (ob->kind != STORE_OB_NOTICE && cfg->team_addresses.n > 0) {
		struct notice_spec n = { cfg->team_addresses.v[0], ob->advisory,
		    ob->revision, subject, body, now };

		return notice_queue(t, cfg, &n, err);
	}
	return EM_OK;
}

/* set_waiting - the member's key is not usable: the copy waits for one */

static int
set_waiting(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, time_t now, struct em_err *err)
{
	const char *why = arg;
	char *subject, *body;
	int rc;

	subject = xasprintf("Waiting for a key: %s copy for %s", ob->advisory,
	    ob->member);
	body = xasprintf(
	    "The copy of %s revision %d for %s <%s> is waiting:\n\n  %s\n\n"
	    "Import a valid key with that fingerprint into the list's keyring\n"
	    "(or, when the reason above is the form gpg wrote the copy in, give\n"
	    "the list a gpg that writes a version 1 SEIPD, as Debian's does),\n"
	    "then run 'embargoctl outbox retry'.  The other members' copies are "
	    "not held up.\n", ob->advisory, ob->revision, ob->member, ob->rcpt,
	    why);
	rc = park(t, cfg, ob, LEDGER_OB_NO_KEY, why, subject, body, now, err);
	free(subject);
	free(body);
	return rc;
}

/*
 * set_retry - a failure that may pass: tried again after a backoff that
 * doubles with the sends tried or, for a copy never built (attempts
 * counts sends only), with the time since it was queued: either way each
 * wait is about as long as all the ones before, up to MAX_BACKOFF
 */
static int
set_retry(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, time_t now, struct em_err *err)
{
	const char *why = arg;
	long backoff = ob->state == STORE_OB_QUEUED ? (long)(now - ob->created) :
	    1L << (ob->attempts < 8 ? ob->attempts : 8);
	int rc;

	if (backoff < 1)
		backoff = 1;
	if (backoff > MAX_BACKOFF)
		backoff = MAX_BACKOFF;
	if ((rc = ledger_ob_step(ob, LEDGER_OB_DEFERRED, now + backoff, why,
	    err)) < 0)
		return rc;
	return audit_entry(t, cfg, ob, "copy-failed", why, now, err);
}

/*
 * set_failed - the listener refused the entry for good (5xx): it is not
 * tried again until "embargoctl outbox retry ID"
 */
static int
set_failed(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, time_t now, struct em_err *err)
{
	const char *why = arg;
	char *subject, *body;
	int rc;

	subject = xasprintf("Not delivered: %s %s for <%s>", ob->advisory,
	    store_ob_kind(ob->kind)->word, ob->rcpt);
	body = xasprintf(
	    "The reinjection listener refused outbox entry %llu (%s revision %d "
	    "to <%s>) for good:\n\n  %s\n\nIt is kept and not tried again. "
	    "Mend the cause (the listener's\nrestrictions, the address), then "
	    "run 'embargoctl outbox retry %llu'.\n",
	    (unsigned long long)ob->id, ob->advisory, ob->revision, ob->rcpt,
	    why, (unsigned long long)ob->id);
	rc = park(t, cfg, ob, LEDGER_OB_REFUSED, why, subject, body, now, err);
	free(subject);
	free(body);
	return rc;
}

/* set_wait - a prepared entry waits for its hold's date */

static int
set_wait(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, time_t now, struct em_err *err)
{
	const char *why;
	char *said;
	time_t nb;
	int rc;

	(void)cfg;
	(void)now;
	if ((rc = cancelled(t, ob, &why, err)) < 0)
		return rc;
	if (why != NULL) {	/* never sent, and never by outbox retry */
		said = xasprintf("not sent: %s", why);
		rc = ledger_ob_step(ob, LEDGER_OB_CANCELLED, 0, said, err);
		free(said);
		return rc;
	}
	if ((rc = not_before(t, ob, *(const time_t *)arg, &nb, err)) < 0)
		return rc;
	return ledger_ob_step(ob, LEDGER_OB_WAIT, nb, NULL, err);
}

/* leaves_at - when a prepared entry may leave (*nb), as t has it now: a
 * cancelled one "later" (set_wait() cancels it), else its hold's date */

static int
leaves_at(const struct store_outbox *ob, time_t now, time_t *nb,
    struct em_err *err)
{
	struct store_txn *t;
	const char *why;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = cancelled(t, ob, &why, err)) == EM_OK) {
		if (why != NULL)
			*nb = now + 1;
		else
			rc = not_before(t, ob, now, nb, err);
	}
	store_abort(t);
	return rc;
}

/*
 * outcome_held_back - is this entry prepared for a hold whose date has
 * not come?  Then it waits (its next try set to the date) and is not
 * sent: the guard behind the not-before time, whatever moved meanwhile.
 * 0: it may leave; 1: held back; < 0: its hold or advisory cannot be
 * read, so it is not sent now (the worker backs off and tries again)
 */
int
outcome_held_back(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, struct em_err *err)
{
	time_t now = io->clock(NULL), nb;
	int rc;

	if (ob->hold == 0)
		return 0;
	if ((rc = leaves_at(ob, now, &nb, err)) < 0)
		return rc;
	if (nb <= now)
		return 0;
	if ((rc = update(io, ob->id, cfg, set_wait, &now, err)) < 0)
		return rc;
	return 1;
}

/* set_attempt - a built entry is about to be sent (again) */

static int
set_attempt(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, time_t now, struct em_err *err)
{
	(void)t;
	(void)cfg;
	(void)arg;
	(void)now;
	(void)err;
	ob->attempts++;
	return EM_OK;
}

/* set_sent - the listener took it: its queue id kept, its bytes dropped */

static int
set_sent(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, time_t now, struct em_err *err)
{
	const char *qid = arg;
	int rc;

	if ((rc = ledger_ob_step(ob, LEDGER_OB_SENT, 0, "", err)) < 0 ||
	    (rc = em_copy(ob->queue_id, sizeof(ob->queue_id), qid,
	    "the listener's queue id", err)) < 0)
		return rc;
	ob->sent_at = now;
	rc = store_blob_del(t, store_ob_kind(ob->kind)->blob, ob->id, err);
	if (rc < 0 && rc != EM_ENOTFOUND)
		return rc;
	return audit_entry(t, cfg, ob, store_ob_kind(ob->kind)->delivered,
	    ob->attempts > 1 ? "resend: an earlier send may have been accepted "
	    "before a restart (same Message-ID)" :
	    (ob->kind == STORE_OB_NOTICE ? "notice" : ob->member), now, err);
}

/* outcome_built - a queued copy built: its bytes committed (see set_built) */

int
outcome_built(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, const struct buf *copy, struct em_err *err)
{
	return update(io, ob->id, cfg, set_built, (void *)copy, err);
}

/* outcome_waiting - the member's key is not usable: parked, the team told */

int
outcome_waiting(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, const char *why, struct em_err *err)
{
	return update(io, ob->id, cfg, set_waiting, (void *)why, err);
}

/* outcome_retry - a failure that may pass: audited, tried after a backoff */

int
outcome_retry(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, const char *why, struct em_err *err)
{
	return update(io, ob->id, cfg, set_retry, (void *)why, err);
}

/* outcome_attempt - a built entry's send counted before it is sent */

int
outcome_attempt(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, struct em_err *err)
{
	return update(io, ob->id, cfg, set_attempt, NULL, err);
}

/* outcome_answer - record what the listener said of one send */

int
outcome_answer(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, int rc, bool permanent, const char *qid,
    const char *reply, struct em_err *err)
{
	char why[sizeof(err->msg)];

	(void)snprintf(why, sizeof(why), "%s", reply);	/* an em_err's msg */
	if (rc == EM_OK) {
		if ((rc = update(io, ob->id, cfg, set_sent, (void *)qid,
		    err)) < 0)
			return em_fail(err, rc, "sent (queue id %s) but not "
			    "recorded: %s", qid, err->msg);
		log_msg(LOG_INFO, qid, "%s %s revision %d to <%s> delivered to "
		    "the reinjection listener", store_ob_kind(ob->kind)->about,
		    ob->advisory, ob->revision, ob->rcpt);
		return EM_OK;
	}
	if (permanent) {
		log_msg(LOG_ERR, NULL, "outbox %llu to <%s>: refused for good: "
		    "%s; kept, not tried again: mend the cause, then run "
		    "embargoctl outbox retry %llu", (unsigned long long)ob->id,
		    ob->rcpt, why, (unsigned long long)ob->id);
		return update(io, ob->id, cfg, set_failed, why, err);
	}
	log_msg(LOG_WARNING, NULL, "outbox %llu to <%s>: %s; kept, and tried "
	    "again after a backoff (embargoctl outbox shows it)",
	    (unsigned long long)ob->id, ob->rcpt, why);
	return update(io, ob->id, cfg, set_retry, why, err);
}
