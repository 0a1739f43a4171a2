/*
 * deliver.c - the delivery workers: build due copies, send them and the
 * notices to the reinjection listener, record what became of each
 *
 * Exactly once, but for one window: an entry's attempt is committed
 * before it is sent, and its 250 after.  A crash between the two leaves
 * an entry whose next send is a resend; it carries the same Message-ID
 * (fixed when queued) and the audit says "resend".  A crash anywhere else
 * loses nothing and doubles nothing: an entry is QUEUED (built again
 * after a restart), BUILT (sent again) or SENT.
 *
 * Workers claim entries in memory, so two never take the same one.  With
 * nothing due they sleep until kicked, or two seconds (so that entries
 * put back by "embargoctl outbox retry" are seen).
 */

/* System library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "smtp.h"
#include "../keys/keys.h"

#define BATCH		8	/* entries a worker claims at once */
#define IDLE_WAIT	2	/* seconds between scans when idle */
#define MAX_BACKOFF	300	/* seconds */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool stopping;
/*
 * Kicks, counted: each worker compares with the count it saw before it
 * looked for work.  (A flag that the first worker to wake cleared sent
 * the others back to sleep, so one worker sent a whole fan-out.)
 */
static unsigned long kicks;
static pthread_t *threads;
static int nthreads;
static uint64_t *claimed;
static size_t n_claimed;

/* is_claimed - under lock */

static bool
is_claimed(uint64_t id)
{
	for (size_t i = 0; i < n_claimed; i++)
		if (claimed[i] == id)
			return true;
	return false;
}

/* unclaim - give an entry back */

static void
unclaim(uint64_t id)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_claimed; i++)
		if (claimed[i] == id) {
			claimed[i] = claimed[--n_claimed];
			break;
		}
	pthread_mutex_unlock(&lock);
}

struct due {
	time_t	now;
	uint64_t ids[BATCH];
	size_t	n;
};

/* due_cb - collect due, unclaimed entries (called under lock) */

static int
due_cb(const struct store_outbox *ob, void *ctx)
{
	struct due *d = ctx;

	/* A hook run is the hook runner's (hook.c), never mail. */
	if ((ob->state != STORE_OB_QUEUED && ob->state != STORE_OB_BUILT) ||
	    ob->kind == STORE_OB_HOOK || ob->next_try > d->now ||
	    is_claimed(ob->id))
		return 0;
	d->ids[d->n++] = ob->id;
	return d->n == BATCH;
}

/* claim_due - up to BATCH due entries, claimed */

static size_t
claim_due(struct due *d)
{
	struct store_txn *t;
	struct em_err err;

	d->now = time(NULL);
	d->n = 0;
	if (store_begin(state_store(), false, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "the outbox cannot be read: %s", err.msg);
		return 0;
	}
	pthread_mutex_lock(&lock);
	if (store_ob_each_pending(t, due_cb, d, &err) < 0)
		log_msg(LOG_ERR, NULL, "the outbox cannot be read whole (%zu due "
		    "entries found before): %s", d->n, err.msg);
	claimed = xrealloc(claimed, (n_claimed + d->n + 1) * sizeof(*claimed));
	for (size_t i = 0; i < d->n; i++)
		claimed[n_claimed++] = d->ids[i];
	pthread_mutex_unlock(&lock);
	store_abort(t);
	return d->n;
}

/* audit_entry - an audit record about one outbox entry, in t */

static int
audit_entry(struct store_txn *t, const struct config *cfg,
    const struct store_outbox *ob, const char *event, const char *reason,
    struct em_err *err)
{
	struct store_audit a = { 0 };
	char why[400];

	/* A copy's records name its copy id, for embargoctl trace. */
	if (ob->copy_id[0] != '\0') {
		(void)snprintf(why, sizeof(why), "%s; copy id %s", reason,
		    ob->copy_id);
		reason = why;
	}
	a.time = time(NULL);
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
	return store_audit_append(t, &a, err);
}

/* A change to one entry, made in the transaction t; 0 or EM_E*. */
typedef int (*update_fn)(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, struct em_err *err);

struct update_work {
	uint64_t id;
	const struct config *cfg;
	update_fn fn;
	void   *arg;
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
	if ((rc = u->fn(t, u->cfg, &ob, u->arg, err)) < 0)
		return rc;
	return ledger_ob_put(t, &ob, err);
}

/*
 * update - change one entry, committed (with whatever other workers
 * commit at the same moment, each in its own nested transaction) before
 * this returns; a change that fails leaves the entry as it was
 */
static int
update(uint64_t id, const struct config *cfg, update_fn fn, void *arg,
    struct em_err *err)
{
	struct update_work u = { id, cfg, fn, arg };

	return txq_run(update_in, &u, err);
}

/* prepared_hold - the hold an entry was prepared for ahead of its date, or 0 */

static uint64_t
prepared_hold(const struct store_outbox *ob)
{
	return ob->hold;
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
	uint64_t id = prepared_hold(ob);
	struct store_hold h;
	int rc;

	*when = now;
	if (id == 0)
		return EM_OK;
	if ((rc = prepared_of(t, id, &h, err)) < 0 ||
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
	uint64_t id = prepared_hold(ob);
	struct store_hold h;
	struct store_advisory a;
	int rc;

	*why = NULL;
	if (id == 0)
		return EM_OK;
	if ((rc = prepared_of(t, id, &h, err)) < 0)
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
    void *arg, struct em_err *err)
{
	const struct buf *copy = arg;
	int rc;

	(void)cfg;
	if (ob->state != STORE_OB_QUEUED)
		return EM_OK;	/* "embargoctl outbox" moved it meanwhile */
	time_t nb;

	if ((rc = store_blob_put(t, STORE_BLOB_COPY, ob->id, copy->data,
	    copy->len, err)) < 0 ||
	    (rc = not_before(t, ob, time(NULL), &nb, err)) < 0 ||
	    (rc = ledger_ob_step(ob, LEDGER_OB_BUILT, nb, NULL, err)) < 0)
		return rc;
	if (ob->next_try <= time(NULL))
		ob->attempts++;	/* counted before the send: see the header */
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
    const char *body, struct em_err *err)
{
	int rc;

	if ((rc = ledger_ob_step(ob, ev, 0, why, err)) < 0 ||
	    (rc = audit_entry(t, cfg, ob, ledger_ob_row(ev)->audit, why,
	    err)) < 0)
		return rc;
	if (ob->kind != STORE_OB_NOTICE && cfg->team_addresses.n > 0) {
		struct notice_spec n = { cfg->team_addresses.v[0], ob->advisory,
		    ob->revision, subject, body, time(NULL) };

		return notice_queue(t, cfg, &n, err);
	}
	return EM_OK;
}

/* set_waiting - the member's key is not usable: the copy waits for one */

static int
set_waiting(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, struct em_err *err)
{
	const char *why = arg;
	char body[1024], subject[256];

	(void)snprintf(subject, sizeof(subject), "Waiting for a key: %s copy "
	    "for %s", ob->advisory, ob->member);
	(void)snprintf(body, sizeof(body),
	    "The copy of %s revision %d for %s <%s> is waiting:\n\n  %s\n\n"
	    "Import a valid key with that fingerprint into the list's keyring,\n"
	    "then run 'embargoctl outbox retry'.  The other members' copies are "
	    "not held up.\n", ob->advisory, ob->revision, ob->member, ob->rcpt,
	    why);
	return park(t, cfg, ob, LEDGER_OB_NO_KEY, why, subject, body, err);
}

/* set_retry - a failure that may pass: tried again after a backoff */

static int
set_retry(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, struct em_err *err)
{
	const char *why = arg;
	long backoff = 1L << (ob->attempts < 8 ? ob->attempts : 8);

	if (backoff > MAX_BACKOFF)
		backoff = MAX_BACKOFF;
	int rc;

	if ((rc = ledger_ob_step(ob, LEDGER_OB_DEFERRED, time(NULL) + backoff,
	    why, err)) < 0)
		return rc;
	return audit_entry(t, cfg, ob, "copy-failed", why, err);
}

/*
 * set_failed - the listener refused the entry for good (5xx): it is not
 * tried again until "embargoctl outbox retry ID"
 */
static int
set_failed(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, struct em_err *err)
{
	const char *why = arg;
	char body[1536], subject[400];

	(void)snprintf(subject, sizeof(subject), "Not delivered: %s %s for <%s>",
	    ob->advisory, store_ob_kind(ob->kind)->word, ob->rcpt);
	(void)snprintf(body, sizeof(body),
	    "The reinjection listener refused outbox entry %llu (%s revision %d "
	    "to <%s>) for good:\n\n  %s\n\nIt is kept and not tried again. "
	    "Mend the cause (the listener's\nrestrictions, the address), then "
	    "run 'embargoctl outbox retry %llu'.\n",
	    (unsigned long long)ob->id, ob->advisory, ob->revision, ob->rcpt,
	    why, (unsigned long long)ob->id);
	return park(t, cfg, ob, LEDGER_OB_REFUSED, why, subject, body, err);
}

/* set_wait - a prepared entry waits for its hold's date */

static int
set_wait(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, struct em_err *err)
{
	const char *why;
	char said[240];
	time_t nb;
	int rc;

	(void)cfg;
	if ((rc = cancelled(t, ob, &why, err)) < 0)
		return rc;
	if (why != NULL) {	/* never sent, and never by outbox retry */
		(void)snprintf(said, sizeof(said), "not sent: %s", why);
		return ledger_ob_step(ob, LEDGER_OB_CANCELLED, 0, said, err);
	}
	if ((rc = not_before(t, ob, *(const time_t *)arg, &nb, err)) < 0)
		return rc;
	return ledger_ob_step(ob, LEDGER_OB_WAIT, nb, NULL, err);
}

/*
 * held_back - is this entry prepared for a hold whose date has not come?
 * Then it waits (its next try set to the date) and is not sent: the
 * guard behind the not-before time, whatever moved meanwhile.  0: it
 * may leave; 1: held back; < 0: its hold or advisory cannot be read, so
 * it is not sent now (the worker backs off and tries again)
 */
static int
held_back(const struct config *cfg, const struct store_outbox *ob,
    struct em_err *err)
{
	struct store_txn *t;
	time_t now = time(NULL), nb;
	const char *why;
	int rc;

	if (prepared_hold(ob) == 0)
		return 0;
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = cancelled(t, ob, &why, err)) == EM_OK) {
		if (why != NULL)
			nb = now + 1;
		else
			rc = not_before(t, ob, now, &nb, err);
	}
	store_abort(t);
	if (rc < 0)
		return rc;
	if (nb <= now)
		return 0;
	if ((rc = update(ob->id, cfg, set_wait, &now, err)) < 0)
		return rc;
	return 1;
}

/* set_attempt - a built entry is about to be sent (again) */

static int
set_attempt(struct store_txn *t, const struct config *cfg,
    struct store_outbox *ob, void *arg, struct em_err *err)
{
	(void)t;
	(void)cfg;
	(void)arg;
	(void)err;
	ob->attempts++;
	return EM_OK;
}

/* set_sent - the listener took it: its queue id kept, its bytes dropped */

static int
set_sent(struct store_txn *t, const struct config *cfg, struct store_outbox *ob,
    void *arg, struct em_err *err)
{
	const char *qid = arg;
	int rc;

	if ((rc = ledger_ob_step(ob, LEDGER_OB_SENT, 0, "", err)) < 0 ||
	    (rc = em_copy(ob->queue_id, sizeof(ob->queue_id), qid,
	    "the listener's queue id", err)) < 0)
		return rc;
	ob->sent_at = time(NULL);
	rc = store_blob_del(t, store_ob_kind(ob->kind)->blob, ob->id, err);
	if (rc < 0 && rc != EM_ENOTFOUND)
		return rc;
	return audit_entry(t, cfg, ob, store_ob_kind(ob->kind)->delivered,
	    ob->attempts > 1 ? "resend: an earlier send may have been accepted "
	    "before a restart (same Message-ID)" :
	    (ob->kind == STORE_OB_NOTICE ? "notice" : ob->member), err);
}

/*
 * unsealed_post - the post an entry is built from, decrypted.  A fan-out
 * builds many copies of one post in a row, so each worker keeps the last
 * one it unsealed (in memory only: nothing plain reaches the disk).
 */
static _Thread_local uint64_t cached_id;
static _Thread_local struct buf cached;

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

/* build - one member's copy from the sealed post */

static int
build(const struct config *cfg, const struct store_outbox *ob,
    struct buf *copy, struct em_err *err)
{
	struct buf post, note;
	struct keys_copy_spec sp;
	struct post p;
	char outer[256];
	int rc;

	buf_init(&post);
	buf_init(&note);
	memset(&p, 0, sizeof(p));
	if ((rc = unsealed_post(ob, &post, err)) == EM_OK &&
	    (rc = post_unpack(&post, &p)) < 0)
		(void)em_fail(err, rc, "the stored post is damaged");
	if (rc == EM_OK) {
		bool discuss = ob->from[0] != '\0' &&
		    cfg->discussion_address != NULL &&
		    strcmp(ob->from, cfg->discussion_address) == 0;

		memset(&sp, 0, sizeof(sp));
		if (discuss)
			(void)snprintf(outer, sizeof(outer), "Members' discussion%s%s",
			    ob->advisory[0] ? " " : "", ob->advisory);
		else if (p.field[POST_NOTICE][0] != '\0')
			(void)snprintf(outer, sizeof(outer), "Embargo date notice %s",
			    ob->advisory);
		else
			(void)snprintf(outer, sizeof(outer), "%s %s",
			    cfg->list_outer_subject, ob->advisory);
		post_note(cfg, &p, ob, &note);
		sp.entity = p.entity;
		sp.entity_len = p.entity_len;
		sp.subject = p.field[POST_SUBJECT];
		sp.orig_from = p.field[POST_FROM][0] ? p.field[POST_FROM] : NULL;
		sp.orig_date = p.field[POST_DATE][0] ? p.field[POST_DATE] : NULL;
		/* A discussion copy is signed whole by the discussion list. */
		sp.list_fpr = discuss ? cfg->discussion_key : cfg->list_key;
		sp.list_address = discuss ? cfg->discussion_address :
		    cfg->list_address;
		sp.member_fpr = ob->key;
		sp.member_address = ob->rcpt;
		sp.outer_subject = outer;
		sp.message_id = ob->message_id;
		sp.reply_to = discuss ? cfg->discussion_address :
		    cfg->team_addresses.n > 0 ? cfg->team_addresses.v[0] : NULL;
		sp.note = note.data;
		sp.copy_id = ob->copy_id;
		rc = keys_build_copy(&sp, copy, err);
	}
	post_free(&p);
	buf_free(&note);
	buf_free(&post);
	return rc;
}

/*
 * build_copy - a queued copy built and committed as built, into data; a
 * member key that cannot be used parks the copy, any other failure is
 * tried again later.  Returns EM_OK when data is ready to send, 1 when
 * the failure to build is recorded, EM_E* when nothing could be recorded.
 */
static int
build_copy(const struct config *cfg, const struct store_outbox *ob,
    struct buf *data, struct em_err *err)
{
	struct keys_health h;
	struct em_err uerr;
	int rc;

	if (build(cfg, ob, data, err) == EM_OK)
		return update(ob->id, cfg, set_built, data, err);
	if (keys_health(ob->key, KEYS_USE_ENCRYPT, time(NULL), &h) == 0 &&
	    !h.usable) {
		log_msg(LOG_WARNING, NULL, "%s copy for %s waits for a key: %s",
		    ob->advisory, ob->rcpt, h.problem);
		if ((rc = update(ob->id, cfg, set_waiting, h.problem, &uerr)) < 0)
			return em_fail(err, rc, "%s", uerr.msg);
		return 1;
	}
	log_msg(LOG_WARNING, NULL, "%s copy for %s not built: %s; tried again "
	    "after a backoff", ob->advisory, ob->rcpt, err->msg);
	if ((rc = update(ob->id, cfg, set_retry, err->msg, &uerr)) < 0)
		return em_fail(err, rc, "%s", uerr.msg);
	return 1;
}

/*
 * The warm postings: the release timer unseals each prepared hold a few
 * seconds before its date (deliver_warm), so that at the date no worker
 * waits for gpg.  In memory only, like every decrypted text here; each
 * is dropped a while after its date.
 */
#define WARM_MAX	64
#define WARM_KEEP	120	/* seconds after the date */

static pthread_mutex_t warm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct warm { uint64_t hold; time_t until; struct buf plain; }
    warm[WARM_MAX];

/* warm_drop - a kept posting wiped and freed (under lock) */

static void
warm_drop(struct warm *w)
{
	if (w->plain.data != NULL)
		explicit_bzero(w->plain.data, w->plain.len);
	buf_free(&w->plain);
	w->hold = 0;
}

/* warm_find - the slot of hold, or of a free one with hold 0 (under lock) */

static struct warm *
warm_find(uint64_t hold, time_t now)
{
	for (size_t i = 0; i < WARM_MAX; i++) {
		if (warm[i].hold != 0 && warm[i].until < now)
			warm_drop(&warm[i]);
		if (warm[i].hold == hold)
			return &warm[i];
	}
	return NULL;
}

/* deliver_warm_has - is hold's posting unsealed and kept? */

bool
deliver_warm_has(uint64_t hold)
{
	bool have;

	pthread_mutex_lock(&warm_lock);
	have = warm_find(hold, time(NULL)) != NULL;
	pthread_mutex_unlock(&warm_lock);
	return have;
}

/* deliver_warm - keep hold's unsealed posting until its date + WARM_KEEP */

void
deliver_warm(uint64_t hold, time_t date, const struct buf *plain)
{
	struct warm *w;

	pthread_mutex_lock(&warm_lock);
	if (warm_find(hold, time(NULL)) == NULL &&
	    (w = warm_find(0, time(NULL))) != NULL) {
		w->hold = hold;
		w->until = date + WARM_KEEP;
		buf_init(&w->plain);
		buf_append(&w->plain, plain->data, plain->len);
	}
	pthread_mutex_unlock(&warm_lock);
}

/* warm_get - hold's kept posting into out; false if none */

static bool
warm_get(uint64_t hold, struct buf *out)
{
	struct warm *w;
	bool have;

	pthread_mutex_lock(&warm_lock);
	if ((have = hold != 0 && (w = warm_find(hold, time(NULL))) != NULL)) {
		buf_reset(out);
		buf_append(out, w->plain.data, w->plain.len);
	}
	pthread_mutex_unlock(&warm_lock);
	return have;
}

/*
 * unsealed_release - a prepared release's sealed bytes, decrypted into
 * data; each worker keeps the last posting it unsealed (in memory only),
 * as the entries of one hold come one after another; a warm one is
 * taken as it is
 */
static _Thread_local uint64_t rel_hold;
static _Thread_local struct buf rel_plain;

static int
unsealed_release(const struct store_outbox *ob, struct buf *data,
    struct em_err *err)
{
	int rc = EM_OK;

	if (warm_get(prepared_hold(ob), data))
		return EM_OK;
	if (rel_hold != ob->hold) {
		rel_hold = 0;
		buf_reset(&rel_plain);
		if ((rc = keys_unseal(data->data, data->len, &rel_plain, err)) < 0)
			return rc;
		rel_hold = ob->hold;
	}
	buf_reset(data);
	buf_append(data, rel_plain.data, rel_plain.len);
	return rc;
}

/* built_bytes - a built entry's bytes, its attempt committed first */

static int
built_bytes(const struct config *cfg, const struct store_outbox *ob,
    struct buf *data, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = update(ob->id, cfg, set_attempt, NULL, err)) < 0 ||
	    (rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	rc = store_blob_get(t, store_ob_kind(ob->kind)->blob, ob->id, data, err);
	store_abort(t);
	if (rc < 0)
		return em_fail(err, rc == EM_ENOTFOUND ? EM_ESTORE : rc,
		    "outbox entry %llu is built but its bytes cannot be read: "
		    "%.400s", (unsigned long long)ob->id, err->msg);
	/* A release prepared before its date rests sealed (SPEC 5, at rest). */
	if (ob->kind == STORE_OB_RELEASE && ob->sealed)
		return unsealed_release(ob, data, err);
	return EM_OK;
}

/* sent_or_not - record what the listener said of one send */

static int
sent_or_not(const struct config *cfg, const struct store_outbox *ob, int rc,
    bool permanent, const char *qid, const char *reply, struct em_err *err)
{
	char why[sizeof(err->msg)];

	(void)snprintf(why, sizeof(why), "%s", reply);
	if (rc == EM_OK) {
		if ((rc = update(ob->id, cfg, set_sent, (void *)qid, err)) < 0)
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
		return update(ob->id, cfg, set_failed, why, err);
	}
	log_msg(LOG_WARNING, NULL, "outbox %llu to <%s>: %s; kept, and tried "
	    "again after a backoff (embargoctl outbox shows it)",
	    (unsigned long long)ob->id, ob->rcpt, why);
	return update(ob->id, cfg, set_retry, why, err);
}

/*
 * process - take one entry one step further: build it if it is a queued
 * copy, send it if it is built.  An entry in any other state (sent,
 * parked, moved by embargoctl meanwhile) is left alone.  A failure to
 * read or record is returned, and the worker logs it.
 */
static int
process(const struct config *cfg, uint64_t id, struct em_err *err)
{
	struct store_outbox ob;
	struct store_txn *t;
	struct buf data;
	char qid[32] = "";
	bool permanent = false;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	rc = store_ob_get(t, id, &ob, err);
	store_abort(t);
	if (rc < 0)
		return rc;
	buf_init(&data);
	/* A final copy is built as soon as it can be; what was prepared for
	 * a hold leaves at its date, not before. */
	if (ob.kind == STORE_OB_COPY && ob.state == STORE_OB_QUEUED) {
		rc = build_copy(cfg, &ob, &data, err);
		if (rc == EM_OK)
			rc = held_back(cfg, &ob, err);
	} else if (ob.state == STORE_OB_BUILT) {
		if ((rc = held_back(cfg, &ob, err)) == 0)
			rc = built_bytes(cfg, &ob, &data, err);
	} else {
		rc = 1;		/* nothing to do */
	}
	if (rc == EM_OK) {
		struct em_err serr;

		em_err_clear(&serr);
		rc = smtp_send(cfg->reinject_host, cfg->reinject_port,
		    ob.kind == STORE_OB_RELEASE ? ob.from :
		    ob.kind == STORE_OB_COPY && cfg->team_addresses.n ?
		    cfg->team_addresses.v[0] : "", ob.rcpt, data.data, data.len,
		    qid, sizeof(qid), &permanent, &serr);
		rc = sent_or_not(cfg, &ob, rc, permanent, qid, serr.msg, err);
	}
	buf_free(&data);
	return rc < 0 ? rc : EM_OK;
}

/* worker - claim, process, sleep */

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		const struct config *cfg;
		struct due d;
		unsigned long seen;
		bool failed = false;

		pthread_mutex_lock(&lock);
		if (stopping) {
			pthread_mutex_unlock(&lock);
			buf_free(&cached);
			buf_free(&rel_plain);
			keys_thread_done();
			smtp_idle();
			return NULL;
		}
		seen = kicks;
		pthread_mutex_unlock(&lock);
		if (claim_due(&d) == 0) {
			struct timespec ts;

			smtp_idle();	/* a kept connection ends with the burst */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += IDLE_WAIT;
			pthread_mutex_lock(&lock);
			while (!stopping && kicks == seen &&
			    pthread_cond_timedwait(&cond, &lock, &ts) == 0)
				;
			pthread_mutex_unlock(&lock);
			continue;
		}
		cfg = state_config_acquire();
		for (size_t i = 0; i < d.n; i++) {
			struct em_err err;

			em_err_clear(&err);
			if (process(cfg, d.ids[i], &err) < 0) {
				log_msg(LOG_ERR, NULL, "outbox %llu: %s",
				    (unsigned long long)d.ids[i], err.msg);
				failed = true;
			}
			unclaim(d.ids[i]);
		}
		state_config_release(cfg);
		/* The store failed: wait before trying the same entries. */
		if (failed)
			(void)sleep(IDLE_WAIT);
	}
}

/* deliver_kick - something was queued */

void
deliver_kick(void)
{
	pthread_mutex_lock(&lock);
	kicks++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* deliver_start - the workers */

int
deliver_start(int n)
{
	threads = xcalloc((size_t)n, sizeof(*threads));
	for (nthreads = 0; nthreads < n; nthreads++)
		if (state_thread_start(&threads[nthreads], worker, NULL) < 0)
			break;
	return nthreads == n ? EM_OK : EM_EIO;
}

/* deliver_stop - finish the entries in hand, then join */

void
deliver_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nthreads; i++)
		(void)pthread_join(threads[i], NULL);
	free(threads);
	free(claimed);
	for (size_t i = 0; i < WARM_MAX; i++)
		warm_drop(&warm[i]);
}
