/*
 * release.c - the release timer: held postings go out at their
 * advisory's embargo date, within a second, in the order they were held;
 * the team is reminded remind_before the date
 *
 * The thread sleeps until the next due release or reminder, not by
 * polling: a new hold, SIGUSR1 (sent by embargoctl after it moves a date
 * or releases a hold) or a reload wakes it to compute the next time
 * again.  Half a minute is the longest it sleeps, as a safety net.
 *
 * A release is one transaction per hold: the hold becomes "released" and
 * one outbox entry per recipient is queued, so a crash never sends a hold
 * twice nor loses it; the delivery workers send the entries.
 */

/* System library. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"
#include "loop.h"

#define MAX_SLEEP	30
#define MAX_DUE		64
#define WARM_AHEAD	10	/* seconds before its date a prepared hold is
				 * unsealed for the workers (deliver_warm) */

static struct loop release_loop = LOOP_INIT;	/* the thread (loop.h) */

struct scan {
	struct store_txn *t;
	const struct config *cfg;
	time_t	now;
	time_t	next;
	uint64_t holds[MAX_DUE];
	char	hold_adv[MAX_DUE][64];	/* each hold's advisory, "" if none */
	size_t	n_holds;
	char	remind[MAX_DUE][64];
	size_t	n_remind;
	char	announce[MAX_DUE][64];	/* pre_announce due: a date not told */
	size_t	n_announce;
	char	publish[MAX_DUE][64];	/* a revision public, not yet recorded */
	size_t	n_publish;
	char	tell[MAX_DUE][64];	/* a moved date the members were not told */
	size_t	n_tell;
	uint64_t prepare[MAX_DUE];	/* holds not yet prepared for their date */
	size_t	n_prepare;
	uint64_t warm[MAX_DUE];		/* prepared holds due within WARM_AHEAD */
	time_t	warm_due[MAX_DUE];
	size_t	n_warm;
	struct em_err err;		/* why a scan failed: nothing acted on */
};

/* hold_tag - "hold N": how what was prepared for hold N names it */

static void
hold_tag(uint64_t id, char *out, size_t n)
{
	(void)snprintf(out, n, "hold %llu", (unsigned long long)id);
}

/* prepared - the revision hold id was prepared with (*rev), or -1: not
 * yet; < 0 returned when that cannot be read */

static int
prepared(struct store_txn *t, uint64_t id, int *rev, struct em_err *err)
{
	char tag[32];
	long long n;
	int rc;

	hold_tag(id, tag, sizeof(tag));
	*rev = -1;
	if ((rc = store_adv_num_get(t, "prepared", tag, &n, err)) ==
	    EM_ENOTFOUND)
		return EM_OK;
	if (rc == EM_OK)
		*rev = (int)n;
	return rc;
}

/* scan_hold - a held hold: due now (collected), to be prepared or warmed,
 * or the next time to wake */

static int
scan_hold(const struct store_hold *h, void *ctx)
{
	struct scan *s = ctx;
	time_t when;
	int rc, rev;

	if (h->state != STORE_HOLD_HELD)
		return 0;
	/* An advisory that cannot be read: no due time, nothing released. */
	if ((rc = store_hold_due(s->t, h, s->now, &when, &s->err)) < 0)
		return rc;
	if (when <= s->now && s->n_holds < MAX_DUE) {
		(void)snprintf(s->hold_adv[s->n_holds], sizeof(s->hold_adv[0]),
		    "%s", h->advisory);
		s->holds[s->n_holds++] = h->id;
	}
	else if (when > s->now && (s->next == 0 || when < s->next))
		s->next = when;
	if (when <= s->now)
		return 0;
	if ((rc = prepared(s->t, h->id, &rev, &s->err)) < 0)
		return rc;
	if (rev < 0) {
		if (s->n_prepare < MAX_DUE)
			s->prepare[s->n_prepare++] = h->id;
	} else if (when - s->now > WARM_AHEAD) {
		if (s->next == 0 || when - WARM_AHEAD < s->next)
			s->next = when - WARM_AHEAD;
	} else if (s->n_warm < MAX_DUE && !deliver_warm_has(h->id)) {
		s->warm_due[s->n_warm] = when;
		s->warm[s->n_warm++] = h->id;
	}
	return 0;
}

/*
 * announced - the date pre_announce was last told for advisory id, into
 * *when; EM_ENOTFOUND when it never was
 */
static int
announced(struct store_txn *t, const char *id, time_t *when,
    struct em_err *err)
{
	long long n;
	int rc = store_adv_num_get(t, "announced", id, &n, err);

	*when = (time_t)n;
	return rc;
}

/*
 * scan_announce - SPEC 6: with pre_announce, an advisory under embargo
 * whose date was never told, or has moved since (lifted early too), is
 * due to be announced
 */
static int
scan_announce(struct scan *s, const struct store_advisory *a)
{
	time_t told;
	bool was;
	int rc;

	if (s->cfg->pre_announce.n == 0 || a->embargo == 0 ||
	    s->n_announce >= MAX_DUE)
		return EM_OK;
	if ((rc = announced(s->t, a->id, &told, &s->err)) < 0 &&
	    rc != EM_ENOTFOUND)
		return rc;
	was = rc == EM_OK;
	if ((was && told != a->embargo) || (!was && a->embargo > s->now &&
	    a->state == STORE_ADV_EMBARGOED))
		memcpy(s->announce[s->n_announce++], a->id, 64);
	return EM_OK;
}

/*
 * published - the revision of advisory id last recorded as public (the
 * release hooks queued for it) into *rev, or -1: never; < 0 returned
 * when it cannot be read
 */
static int
published(struct store_txn *t, const char *id, int *rev, struct em_err *err)
{
	long long n;
	int rc = store_adv_num_get(t, "published", id, &n, err);

	*rev = rc == EM_OK ? (int)n : -1;
	return rc == EM_ENOTFOUND ? EM_OK : rc;
}

/* adv_public - is a public at now (its date passed, or lifted)? */

static bool
adv_public(const struct store_advisory *a, time_t now)
{
	return a->state != STORE_ADV_EMBARGOED || a->embargo <= now;
}

/*
 * scan_publish - SPEC 6: a revision that is public and not yet recorded
 * as such is due (its release hooks, its "nothing to announce"); an
 * advisory still under embargo is a time to wake at
 */
static int
scan_publish(struct scan *s, const struct store_advisory *a)
{
	int rc, rev;

	if (!adv_public(a, s->now)) {
		if (s->next == 0 || a->embargo < s->next)
			s->next = a->embargo;
		return EM_OK;
	}
	if ((rc = published(s->t, a->id, &rev, &s->err)) < 0)
		return rc;
	if (rev < a->revision && s->n_publish < MAX_DUE)
		memcpy(s->publish[s->n_publish++], a->id, 64);
	return EM_OK;
}

/* scan_adv - an embargoed advisory: its reminder due now, or the next time */

static int
scan_adv(const struct store_advisory *a, void *ctx)
{
	struct scan *s = ctx;
	time_t at;
	int rc;

	if ((rc = scan_announce(s, a)) < 0 || (rc = scan_publish(s, a)) < 0)
		return rc;
	if ((rc = fanout_told(s->t, a->id, &at, &s->err)) < 0 &&
	    rc != EM_ENOTFOUND)
		return rc;
	if (rc == EM_OK && at != a->embargo && s->n_tell < MAX_DUE)
		memcpy(s->tell[s->n_tell++], a->id, 64);
	if (a->state != STORE_ADV_EMBARGOED || s->cfg->remind_before <= 0 ||
	    a->reminded_for == a->embargo || a->embargo <= s->now)
		return 0;
	at = a->embargo - s->cfg->remind_before;
	if (at <= s->now && s->n_remind < MAX_DUE)
		(void)snprintf(s->remind[s->n_remind++], 64, "%s", a->id);
	else if (at > s->now && (s->next == 0 || at < s->next))
		s->next = at;
	return 0;
}

/*
 * final_copy - SPEC 5: when an advisory becomes public, the list gets a
 * final copy of the released posting if that revision was not already
 * sent to it.  Done before the hold is marked released: after a crash in
 * between, the revision counts as sent, so it is not fanned out twice.
 * *revision: the posting's revision, for the release's audit record.
 * With ahead (hold N), made ahead of the date: the advisory keeps its
 * date, and the copies wait for it (see prepare_hold).  A failure is
 * returned: the hold is not released (or prepared) then, and the release
 * timer tries again after its backoff, like any copy.
 */
static int
final_copy(const struct config *cfg, const struct store_hold *h,
    const struct buf *plain, uint64_t ahead, int *revision,
    struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	const char *list = cfg->list_address;
	struct outbox_msg m = { cfg, h->sender, &list, 1, h->queue_id, "",
	    NULL, 0, ahead };
	struct store_advisory a;
	struct policy_decision d;
	struct store_txn *t;
	struct facts f;
	bool resent;
	int sent = 0, rc;

	if (h->advisory[0] == '\0' || list == NULL)
		return EM_OK;
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	memset(&a, 0, sizeof(a));
	/* Never registered: the list has had no revision of it. */
	if ((rc = store_adv_get(t, h->advisory, &a, err)) == EM_OK)
		sent = a.list_revision_sent;
	store_abort(t);
	if (rc < 0 && rc != EM_ENOTFOUND)
		return rc;
	facts_init(&f);
	if ((rc = policy_read(plain->data, plain->len, &lim, &f, err)) < 0 ||
	    (f.n_crypt > 0 && (rc = keys_read_crypt(cfg, &lim, &f, err)) < 0)) {
		facts_free(&f);
		return rc;
	}
	policy_classify(cfg, &f);
	*revision = f.revision;
	/* A released posting is public: its text is public text (SPEC 4);
	 * one prepared ahead is not, until its date. */
	if (ahead == 0 && (rc = public_posting(cfg, &f,
	    (const char *const *)cfg->public_lists.v, cfg->public_lists.n,
	    h->queue_id, err)) < 0) {
		facts_free(&f);
		return rc;
	}
	if (f.revision > sent) {
		memset(&d, 0, sizeof(d));
		d.verdict = POLICY_FANOUT;
		d.embargoed = ahead != 0 && a.state == STORE_ADV_EMBARGOED &&
		    a.embargo > time(NULL);
		d.embargo = d.embargoed ? a.embargo : 0;
		(void)snprintf(d.event, sizeof(d.event), "final-copy");
		(void)snprintf(d.advisory_id, sizeof(d.advisory_id), "%s",
		    h->advisory);
		(void)snprintf(d.reason, sizeof(d.reason), "final copy of "
		    "revision %d at release of hold %llu (the list had revision "
		    "%d)", f.revision, (unsigned long long)h->id, sent);
		/* No resend key: a final copy is made once, by the release
		 * (list_revision_sent, in the same commit, says it was). */
		rc = fanout_commit(&m, &f, &d, "", &resent, err);
	}
	facts_free(&f);
	return rc;
}

/* unsealed_hold - a hold still held, and its posting decrypted */

static int
unsealed_hold(uint64_t id, struct store_hold *h, struct buf *plain,
    struct em_err *err)
{
	struct store_txn *t;
	struct buf sealed;
	int rc;

	buf_init(&sealed);
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_hold_get(t, id, h, err)) == EM_OK) {
		if (h->state != STORE_HOLD_HELD)
			rc = em_fail(err, EM_ENOTFOUND, "hold %llu is no longer "
			    "held", (unsigned long long)id);
		else
			rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed,
			    err);
	}
	store_abort(t);
	if (rc == EM_OK)
		rc = keys_unseal(sealed.data, sealed.len, plain, err);
	buf_free(&sealed);
	return rc;
}

/*
 * queue_releases - in t, one built outbox entry per recipient of h: with
 * due, prepared ahead (its bytes the sealed posting, sent at due), else
 * the plain posting, sent now
 */
static int
queue_releases(struct store_txn *t, const struct config *cfg,
    const struct store_hold *h, const struct buf *bytes, int revision,
    time_t now, time_t due, struct em_err *err)
{
	char *rcpts = xstrdup(h->rcpts), *r, *next;
	int rc = EM_OK;

	for (r = rcpts; r != NULL && *r != '\0' && rc == EM_OK; r = next) {
		struct store_outbox ob;

		if ((next = strchr(r, ',')) != NULL)
			*next++ = '\0';
		/* Never the plain posting to the list: members get copies. */
		if (conf_addr_role(cfg, r) == CONF_ROLE_LIST)
			continue;
		{
			/* Prepared ahead (due): its bytes rest sealed, read
			 * by deliver.c's built_bytes(). */
			struct ledger_ob_spec s = { STORE_OB_RELEASE,
			    h->advisory, h->advisory[0] ? revision : 0, NULL, r,
			    NULL, h->sender, 0, h->id, due != 0, NULL, now,
			    due };

			if ((rc = ledger_ob_new(t, cfg, &s, &ob, err)) == EM_OK)
				rc = store_blob_put(t, STORE_BLOB_REL, ob.id,
				    bytes->data, bytes->len, err);
		}
	}
	free(rcpts);
	return rc;
}

/*
 * prepare_hold - SPEC 5: a hold's release made ahead of its date: the
 * final copies queued (built by the workers now, each waiting for the
 * date), one release entry per recipient with the sealed posting, due at
 * the date; recorded (meta "prepared:hold N") so that it is done once.
 * At the date the release only marks the hold released: the workers send.
 */
static void
prepare_hold(const struct config *cfg, uint64_t id)
{
	struct store_hold h0 = { 0 }, h;
	struct store_txn *t;
	struct buf plain, sealed;
	struct em_err err;
	char tag[32];
	int revision = 0, rc;

	buf_init(&plain);
	buf_init(&sealed);
	hold_tag(id, tag, sizeof(tag));
	if ((rc = unsealed_hold(id, &h0, &plain, &err)) == EM_OK)
		rc = final_copy(cfg, &h0, &plain, id, &revision, &err);
	buf_free(&plain);
	if (rc == EM_OK && (rc = store_begin(state_store(), true, &t, &err)) ==
	    EM_OK) {
		time_t now = time(NULL), due;
		int was = -1;

		if ((rc = store_hold_get(t, id, &h, &err)) == EM_OK &&
		    h.state == STORE_HOLD_HELD &&
		    (rc = prepared(t, id, &was, &err)) == EM_OK && was < 0 &&
		    (rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed,
		    &err)) == EM_OK &&
		    (rc = store_hold_due(t, &h, now, &due, &err)) == EM_OK &&
		    (rc = queue_releases(t, cfg, &h, &sealed, revision, now,
		    due, &err)) == EM_OK &&
		    (rc = store_adv_num_put(t, "prepared", tag, revision, &err)) ==
		    EM_OK)
			rc = store_commit(t, &err);
		else
			store_abort(t);
	}
	buf_free(&sealed);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "hold %llu not prepared for its date: %s; "
		    "tried again, or released the slow way at it",
		    (unsigned long long)id, rc == EM_ENOTFOUND ? "gone" : err.msg);
	else
		log_msg(LOG_INFO, h0.queue_id, "hold %llu prepared for its date: "
		    "revision %d, its messages built and waiting", (unsigned long
		    long)id, revision);
}

/*
 * mark_prepared - in t, a prepared hold at its date: marked released, its
 * prepared entries due at now (the workers send them; nothing is built
 * at the date).  Its sealed copy stays until the guard thread has filed
 * its text (guard_file_later).  1 when marked (*h the hold, *rev its revision), 0 when it is not
 * prepared or no longer held (then it is released the slow way, or not
 * at all).
 */
static int
mark_prepared(struct store_txn *t, uint64_t id, time_t now,
    struct store_hold *h, int *rev, struct em_err *err)
{
	int rc;

	if ((rc = prepared(t, id, rev, err)) < 0)
		return rc;
	if (*rev < 0)
		return 0;
	if ((rc = store_hold_get(t, id, h, err)) < 0)
		return rc == EM_ENOTFOUND ? 0 : rc;
	if (h->state != STORE_HOLD_HELD)
		return 0;
	if ((rc = ledger_hold_prepared(t, id, now, NULL, err)) < 0 ||
	    (rc = ledger_hold_release(t, h, *rev, now, true, err)) < 0)
		return rc;
	return 1;
}

/*
 * mark_batch - SPEC 5: prepared holds at their date, every one marked
 * released in one transaction, then the workers kicked: at the date they
 * only send.  marked[i] says which were (none, on a failure).
 */
static int
mark_batch(const uint64_t *ids, size_t n, bool *marked, struct em_err *err)
{
	struct store_txn *t;
	struct store_hold *h = xcalloc(n, sizeof(*h));
	int *rev = xcalloc(n, sizeof(*rev));
	time_t now = time(NULL);
	int rc;

	memset(marked, 0, n * sizeof(*marked));
	if ((rc = store_begin(state_store(), true, &t, err)) == EM_OK) {
		for (size_t i = 0; i < n && rc >= 0; i++)
			marked[i] = (rc = mark_prepared(t, ids[i], now, &h[i],
			    &rev[i], err)) > 0;
		if (rc >= 0)
			rc = store_commit(t, err);
		else
			store_abort(t);
	}
	if (rc < 0)
		memset(marked, 0, n * sizeof(*marked));
	else
		deliver_kick();
	for (size_t i = 0; i < n; i++)
		if (marked[i])
			log_msg(LOG_INFO, h[i].queue_id, "hold %llu about %s "
			    "revision %d released to %s (prepared)",
			    (unsigned long long)h[i].id, h[i].advisory[0] ?
			    h[i].advisory : "-", rev[i], h[i].rcpts);
	free(rev);
	free(h);
	return rc < 0 ? rc : EM_OK;
}

/*
 * release_one - one hold: the final copy to the list first (see
 * final_copy), then in one transaction one entry per recipient and the
 * hold marked released, audited
 */
static int
release_one(const struct config *cfg, uint64_t id, struct em_err *err)
{
	struct store_txn *t;
	struct store_hold h, h0 = { 0 };
	struct buf plain;
	time_t now = time(NULL);
	int revision = 0;
	bool marked;
	int rc;

	/* Prepared: only marked released (when release_due could not). */
	if ((rc = mark_batch(&id, 1, &marked, err)) < 0)
		return rc;
	if (marked) {
		guard_file_later(id);
		return EM_OK;
	}
	buf_init(&plain);
	if ((rc = unsealed_hold(id, &h0, &plain, err)) < 0) {
		buf_free(&plain);
		return rc;
	}
	if ((rc = final_copy(cfg, &h0, &plain, 0, &revision, err)) < 0 ||
	    (rc = store_begin(state_store(), true, &t, err)) < 0) {
		buf_free(&plain);
		return rc;
	}
	rc = store_hold_get(t, id, &h, err);
	if (rc < 0 && rc != EM_ENOTFOUND) {
		store_abort(t);
		buf_free(&plain);
		return rc;
	}
	if (rc == EM_ENOTFOUND || h.state != STORE_HOLD_HELD) {
		store_abort(t);
		buf_free(&plain);
		return EM_OK;	/* dropped or released meanwhile */
	}
	if ((rc = queue_releases(t, cfg, &h, &plain, revision, now, 0, err)) < 0 ||
	    (rc = ledger_hold_release(t, &h, revision, now, false, err)) < 0)
		store_abort(t);
	else
		rc = store_commit(t, err);
	buf_free(&plain);
	if (rc == EM_OK)
		log_msg(LOG_INFO, h.queue_id, "hold %llu about %s revision %d "
		    "released to %s", (unsigned long long)h.id,
		    h.advisory[0] ? h.advisory : "-", h.advisory[0] ? revision : 0,
		    h.rcpts);
	return rc;
}

/*
 * Holds prepared before their date (the usual case) are all marked
 * released in one transaction first (the guard thread files their public
 * text once their messages are out).  Any other hold due at that second is released side by
 * side: each is a gpg decryption, a signature check, a sealed final copy
 * and two commits, and twenty of them one after another took seconds.
 * Two holds of one
 * advisory are never released at once (the second must see that the
 * first already sent the list its final copy).  Each release kicks the
 * delivery workers as soon as it is committed.
 */
#define RELEASERS	4

struct rel_work {
	const struct config *cfg;
	const struct scan *s;
	bool	marked[MAX_DUE];	/* released at once by release_due */
	bool	taken[MAX_DUE];
	const char *busy[RELEASERS];	/* advisories being released */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* rel_pick - the next hold this releaser may take, or -1: none left */

static int
rel_pick(struct rel_work *w, int slot)
{
	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool left = false;

		for (size_t i = 0; i < w->s->n_holds; i++) {
			const char *adv = w->s->hold_adv[i];
			bool clash = false;

			if (w->taken[i])
				continue;
			left = true;
			for (int k = 0; k < RELEASERS && adv[0]; k++)
				clash |= w->busy[k] != NULL &&
				    strcmp(w->busy[k], adv) == 0;
			if (clash)
				continue;
			w->taken[i] = true;
			w->busy[slot] = adv;
			pthread_mutex_unlock(&w->mu);
			return (int)i;
		}
		if (!left) {
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
		pthread_cond_wait(&w->cv, &w->mu);
	}
}

struct releaser_arg { struct rel_work *w; int slot; };

/* releaser - one releasing thread: take holds until none is left */

static void *
releaser(void *arg)
{
	struct releaser_arg *a = arg;
	struct rel_work *w = a->w;
	int i;

	while ((i = rel_pick(w, a->slot)) >= 0) {
		struct em_err err;

		em_err_clear(&err);
		if (release_one(w->cfg, w->s->holds[i], &err) < 0)
			log_msg(LOG_ERR, NULL, "release of hold %llu: %s",
			    (unsigned long long)w->s->holds[i], err.msg);
		else
			deliver_kick();
		pthread_mutex_lock(&w->mu);
		w->busy[a->slot] = NULL;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

/* release_round - the holds not yet taken, by up to RELEASERS threads */

static void
release_round(struct rel_work *w)
{
	struct releaser_arg args[RELEASERS];
	pthread_t tids[RELEASERS];
	size_t left = 0;
	int n = 0;

	for (size_t i = 0; i < w->s->n_holds; i++)
		left += !w->taken[i];
	for (int k = 0; k < RELEASERS; k++)
		args[k] = (struct releaser_arg){ w, k };
	while (n + 1 < RELEASERS && (size_t)n + 1 < left &&
	    state_thread_start(&tids[n], releaser, &args[n + 1]) == 0)
		n++;
	(void)releaser(&args[0]);	/* this thread takes its share too */
	for (int i = 0; i < n; i++)
		(void)pthread_join(tids[i], NULL);
}

/*
 * release_due - every due hold: the prepared ones marked released at
 * once (their public text filed by the guard thread once their messages
 * are out), the others released by up to RELEASERS threads
 */
static void
release_due(const struct config *cfg, const struct scan *s)
{
	struct rel_work w;
	struct em_err err;

	if (s->n_holds == 0)
		return;
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.s = s;
	if (mark_batch(s->holds, s->n_holds, w.marked, &err) < 0)
		log_msg(LOG_ERR, NULL, "the prepared releases cannot be recorded "
		    "at once: %s; each is released on its own", err.msg);
	(void)pthread_mutex_init(&w.mu, NULL);
	(void)pthread_cond_init(&w.cv, NULL);
	for (size_t i = 0; i < s->n_holds; i++)
		if ((w.taken[i] = w.marked[i]))
			guard_file_later(s->holds[i]);
	release_round(&w);
	(void)pthread_mutex_destroy(&w.mu);
	(void)pthread_cond_destroy(&w.cv);
}

struct remind_ctx { struct store_txn *t; const struct config *cfg;
    const char *id; struct buf *body; unsigned n; };

/* remind_hold - one held posting of the advisory, named in the reminder */

static int
remind_hold(const struct store_hold *h, void *ctx)
{
	struct remind_ctx *r = ctx;
	struct buf sealed, plain;
	struct policy_limits lim = policy_limits_of(r->cfg);
	struct facts f;
	struct em_err err;
	int rc;

	if (h->state != STORE_HOLD_HELD || strcmp(h->advisory, r->id) != 0)
		return 0;
	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	em_err_clear(&err);
	if ((rc = store_blob_get(r->t, STORE_BLOB_HOLD, h->id, &sealed,
	    &err)) == EM_OK &&
	    (rc = keys_unseal(sealed.data, sealed.len, &plain, &err)) == EM_OK)
		rc = policy_read(plain.data, plain.len, &lim, &f, &err);
	/* The reminder names every hold: one it cannot read says so (the
	 * reason names no text). */
	if (rc < 0)
		buf_appendf(r->body, "  hold %llu to %s\n    (its posting "
		    "cannot be read now: %s)\n", (unsigned long long)h->id,
		    h->rcpts, em_strerror(rc));
	else
		buf_appendf(r->body, "  hold %llu to %s\n    Subject: %s\n",
		    (unsigned long long)h->id, h->rcpts, f.subject);
	facts_free(&f);
	buf_free(&sealed);
	buf_free(&plain);
	r->n++;
	return 0;
}

/* remind_waiting - one copy still waiting for a key, named in the reminder */

static int
remind_waiting(const struct store_outbox *ob, void *ctx)
{
	struct remind_ctx *r = ctx;

	if (ob->kind == STORE_OB_COPY && ob->state == STORE_OB_WAITING_KEY &&
	    strcmp(ob->advisory, r->id) == 0)
		buf_appendf(r->body, "  %s <%s>: %s\n", ob->member, ob->rcpt,
		    ob->last_error);
	return 0;
}

/* remind_body - what the reminder lists: the holds, the waiting copies */

static int
remind_body(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, struct buf *body, struct em_err *err)
{
	struct buf held;
	struct remind_ctx r = { t, cfg, a->id, &held, 0 };
	char ts[EM_TIME_BUFSZ];
	int rc;

	buf_init(&held);
	if ((rc = store_hold_each(t, remind_hold, &r, err)) < 0) {
		buf_free(&held);
		return rc;
	}
	/* Said first: a release with nothing to announce (SPEC 5). */
	if (r.n == 0 && cfg->n_hooks == 0)
		buf_appendf(body, "Nothing will be announced at %s: no public "
		    "posting is held for %s and no release hook is configured."
		    "\n\n", em_time_format(a->embargo, ts), a->id);
	else if (r.n == 0)
		buf_appendf(body, "No public posting is held for %s: at %s only "
		    "the release hooks run (%zu: %s%s).\n\n", a->id,
		    em_time_format(a->embargo, ts), cfg->n_hooks,
		    cfg->hooks[0].name, cfg->n_hooks > 1 ? ", ..." : "");
	buf_appendf(body, "%s becomes public at %s.\n\nThis is the last moment "
	    "to move the date (embargoctl embargo %s --until WHEN)\nor to fix a "
	    "held posting.\n\nHeld postings that will go out then:\n%s", a->id,
	    em_time_format(a->embargo, ts), a->id, r.n ? held.data : "  (none)\n");
	buf_free(&held);
	r.body = body;
	buf_appends(body, "\nMembers still waiting for a key:\n");
	return store_ob_each(t, remind_waiting, &r, err);
}

/* announce_text - what a pre-announcement says (was: the date told, or 0) */

static void
announce_text(const struct store_advisory *a, time_t was, time_t now,
    struct buf *text, char *subject, size_t n)
{
	char ts[EM_TIME_BUFSZ], was_s[EM_TIME_BUFSZ];

	buf_appendf(text, "%s %s made public on %s.\n", a->id,
	    a->embargo > now ? "will be" : "was", em_time_format(a->embargo, ts));
	if (was != 0)
		buf_appendf(text, "The date was moved: it was %s.\n",
		    em_time_format(was, was_s));
	(void)snprintf(subject, n, "%s: public %s %s", a->id,
	    a->embargo > now ? "on" : "since", ts);
}

/*
 * announce - the public pre-announcement of one advisory: its id and its
 * date, nothing else, signed by the list key, to each pre_announce
 * address; audited, and told once per date, in one transaction
 */
static void
announce(const struct config *cfg, const char *id)
{
	struct store_advisory a;
	struct store_audit au = { 0 };
	struct store_txn *t;
	struct em_err err;
	struct buf text, signed_text;
	char subject[160];
	time_t was, now = time(NULL);
	bool told;
	int rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id, err.msg);
		return;
	}
	if (store_adv_get(t, id, &a, &err) < 0 ||
	    ((rc = announced(t, id, &was, &err)) < 0 && rc != EM_ENOTFOUND)) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id,
		    err.msg);
		return;
	}
	told = rc == EM_OK;
	buf_init(&text);
	buf_init(&signed_text);
	announce_text(&a, told ? was : 0, now, &text, subject, sizeof(subject));
	rc = keys_clearsign(cfg->list_key, text.data, &signed_text, &err);
	for (size_t i = 0; rc == EM_OK && i < cfg->pre_announce.n; i++) {
		struct notice_spec n = { 0 };

		n.to = cfg->pre_announce.v[i];
		n.advisory = id;
		n.revision = a.revision;
		n.subject = subject;
		n.body = signed_text.data;
		n.now = now;
		rc = notice_queue(t, cfg, &n, &err);
	}
	au.time = now;
	au.event = "pre-announced";
	au.advisory = id;
	au.revision = a.revision;
	au.embargo = a.embargo;
	au.decision = "pre-announced";
	au.reason = cfg->pre_announce.v[0];
	if (rc == EM_OK &&
	    (rc = store_adv_num_put(t, "announced", id, a.embargo, &err)) ==
	    EM_OK &&
	    (rc = store_audit_append(t, &au, &err)) == EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id, err.msg);
	buf_free(&text);
	buf_free(&signed_text);
}

struct count_ctx { const char *id; unsigned n; };

/* count_hold - a hold of the advisory, held or released (not dropped) */

static int
count_hold(const struct store_hold *h, void *ctx)
{
	struct count_ctx *c = ctx;

	if (h->state != STORE_HOLD_DROPPED && strcmp(h->advisory, c->id) == 0)
		c->n++;
	return 0;
}

/* publish_audit - in t, "made-public" or "public-unannounced", logged */

static int
publish_audit(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, bool first, unsigned holds,
    struct em_err *err)
{
	struct store_audit au = { 0 };
	bool silent = first && a->embargo != 0 && holds == 0 && cfg->n_hooks == 0;
	char why[400];

	if (silent)
		(void)snprintf(why, sizeof(why), "%s revision %d became public with "
		    "nothing to announce: no public posting was held for it and "
		    "no release_hook is configured", a->id, a->revision);
	else
		(void)snprintf(why, sizeof(why), "%s revision %d public: %u held "
		    "posting%s, %zu release hook%s queued", a->id, a->revision,
		    holds, holds == 1 ? "" : "s", cfg->n_hooks,
		    cfg->n_hooks == 1 ? "" : "s");
	au.time = time(NULL);
	au.event = silent ? "public-unannounced" : "made-public";
	au.advisory = a->id;
	au.revision = a->revision;
	au.embargo = a->embargo;
	au.decision = au.event;
	au.reason = why;
	log_msg(silent ? LOG_WARNING : LOG_INFO, NULL, "%s", why);
	return store_audit_append(t, &au, err);
}

/*
 * publish - SPEC 6: an advisory's revision has become public: its release
 * hooks queued, the fact audited (with nothing to announce, said so), the
 * revision recorded, in one transaction: hooks run once per revision
 */
static void
publish(const struct config *cfg, const char *id)
{
	struct store_advisory a;
	struct store_txn *t;
	struct count_ctx c = { id, 0 };
	struct em_err err;
	int was, rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "%s public, hooks not queued: %s", id,
		    err.msg);
		return;
	}
	/* An advisory that cannot be read is under embargo: no hook. */
	if (store_adv_get(t, id, &a, &err) < 0 ||
	    published(t, id, &was, &err) < 0) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "%s: hooks not queued: %s (tried again)",
		    id, err.msg);
		return;
	}
	if (!adv_public(&a, time(NULL)) || was >= a.revision) {
		store_abort(t);
		return;
	}
	if ((rc = store_hold_each(t, count_hold, &c, &err)) == EM_OK &&
	    (rc = hook_queue(t, cfg, &a, time(NULL), &err)) == EM_OK &&
	    (rc = publish_audit(t, cfg, &a, was < 0, c.n, &err)) == EM_OK &&
	    (rc = store_adv_num_put(t, "published", id, a.revision, &err)) ==
	    EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "%s public, hooks not queued: %s (tried "
		    "again)", id, err.msg);
	else if (cfg->n_hooks > 0)
		hook_kick();
}

/* public_ids - store_adv_each() callback: the ids of public advisories */

static int
public_ids(const struct store_advisory *a, void *ctx)
{
	if (adv_public(a, time(NULL)))
		strv_push(ctx, a->id);
	return 0;
}

/*
 * publish_init - once per state: the advisories already public when this
 * version first runs count as published, so that a release_hook added
 * later never runs for the whole past
 */
static void
publish_init(void)
{
	static const char key[] = "published-since";
	struct store_txn *t;
	struct buf b;
	struct em_err err;
	struct strv ids = { NULL, 0 };
	int rc;

	buf_init(&b);
	if (store_begin(state_store(), true, &t, &err) < 0)
		return;
	if ((rc = store_meta_get(t, key, &b, &err)) != EM_ENOTFOUND) {
		store_abort(t);
		buf_free(&b);
		if (rc < 0)
			log_msg(LOG_ERR, NULL, "release hooks: %s", err.msg);
		return;
	}
	rc = store_adv_each(t, public_ids, &ids, &err);
	for (size_t i = 0; rc == EM_OK && i < ids.n; i++) {
		struct store_advisory a;

		if ((rc = store_adv_get(t, ids.v[i], &a, &err)) == EM_OK)
			rc = store_adv_num_put(t, "published", a.id, a.revision,
			    &err);
	}
	if (rc == EM_OK && (rc = store_meta_put(t, key, "1", 1, &err)) == EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "release hooks: the public advisories cannot "
		    "be recorded: %s", err.msg);
	strv_free(&ids);
	buf_free(&b);
}

/* remind - one advisory's reminder to the team, audited, once per date */

static void
remind(const struct config *cfg, const char *id)
{
	struct store_advisory a, old;
	struct store_audit au = { 0 };
	struct store_txn *t;
	struct em_err err;
	struct buf body;
	struct notice_spec n = { 0 };
	char subject[160], ts[EM_TIME_BUFSZ];
	int rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
		return;
	}
	if ((rc = store_adv_get(t, id, &a, &err)) < 0 ||
	    cfg->team_addresses.n == 0) {
		/* Gone meanwhile (embargoctl), or nobody to remind. */
		store_abort(t);
		if (rc < 0 && rc != EM_ENOTFOUND)
			log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id,
			    err.msg);
		return;
	}
	buf_init(&body);
	(void)snprintf(subject, sizeof(subject), "Reminder: %s goes public at %s",
	    id, em_time_format(a.embargo, ts));
	old = a;
	a.reminded_for = a.embargo;
	au.time = time(NULL);
	au.event = "reminder";
	au.advisory = id;
	au.revision = a.revision;
	au.embargo = a.embargo;
	au.decision = "reminded";
	au.reason = cfg->team_addresses.v[0];
	n.to = cfg->team_addresses.v[0];
	n.advisory = id;
	n.revision = a.revision;
	n.subject = subject;
	n.now = time(NULL);
	rc = remind_body(t, cfg, &a, &body, &err);
	n.body = body.data;
	if (rc < 0 || notice_queue(t, cfg, &n, &err) < 0 ||
	    ledger_adv_put(t, &old, &a, time(NULL), &err) < 0 ||
	    store_audit_append(t, &au, &err) < 0) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
	} else if (store_commit(t, &err) < 0) {	/* t is gone either way */
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
	} else {
		log_msg(LOG_INFO, NULL, "reminder for %s sent to the team", id);
	}
	buf_free(&body);
}

/*
 * anchor - SPEC 8: the audit chain's head in a syslog line, every
 * audit_anchor_every and at shutdown, so that a copy of it leaves the
 * machine (remote syslog, the log rotation archive) where the state
 * cannot reach it.
 */
static void
anchor(const struct config *cfg, time_t now, bool force)
{
	static time_t last;
	struct store_txn *t;
	struct em_err err;
	char hash[65];
	uint64_t seq;

	if (!force && last != 0 && now - last < cfg->audit_anchor_every)
		return;
	if (store_begin(state_store(), false, &t, &err) < 0)
		return;
	if (store_audit_head(t, &seq, hash) != EM_OK)
		log_msg(LOG_ERR, NULL, "audit head unreadable: the state store "
		    "failed; embargoctl audit verify says where the chain breaks");
	else if (seq == 0 || hash[0] == '\0')
		log_msg(LOG_INFO, NULL, "audit log empty: no head yet");
	else
		log_msg(LOG_INFO, NULL, "audit head %llu:%s (embargoctl audit "
		    "verify --tip checks the log still reaches it)",
		    (unsigned long long)seq, hash);
	store_abort(t);
	last = now;
}

/*
 * clock_watch - a step of the system clock, said in the log: releases
 * follow the clock (an embargo date is a wall-clock time), so a clock set
 * back an hour holds postings an hour longer and one set forward releases
 * them early; either is the administrator's to know at once.  "Back" is
 * any second earlier than the last look; "forward" is a wake more than
 * half a minute after the time slept for.
 */
static void
clock_watch(time_t now, time_t last, time_t woke_for)
{
	char a[EM_TIME_BUFSZ], b[EM_TIME_BUFSZ];

	if (last == 0)
		return;
	if (now + 1 < last) {
		em_time_format(last, a);
		em_time_format(now, b);
		log_msg(LOG_WARNING, NULL, "the system clock went back %lld s "
		    "(from %s to %s): held postings are released when the clock "
		    "reaches their date; check the time service (timedatectl, "
		    "chronyc tracking)", (long long)(last - now), a, b);
	} else if (woke_for != 0 && now > woke_for + 30) {
		em_time_format(woke_for, a);
		em_time_format(now, b);
		log_msg(LOG_WARNING, NULL, "the system clock went forward %lld s "
		    "(expected %s, now %s): whatever fell due meanwhile is "
		    "released now; check the time service (timedatectl, chronyc "
		    "tracking)", (long long)(now - woke_for), a, b);
	}
}

/*
 * warm_hold - a prepared hold due within WARM_AHEAD: its posting unsealed
 * now and kept in memory for the workers (deliver_warm), so that at the
 * date they do no gpg work.  A failure only means they unseal it then.
 */
static void
warm_hold(uint64_t id, time_t due)
{
	struct store_txn *t;
	struct buf sealed, plain;
	struct em_err err;
	int rc;

	buf_init(&sealed);
	buf_init(&plain);
	if ((rc = store_begin(state_store(), false, &t, &err)) == EM_OK) {
		rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed, &err);
		store_abort(t);
	}
	if (rc == EM_OK && (rc = keys_unseal(sealed.data, sealed.len, &plain,
	    &err)) == EM_OK)
		deliver_warm(id, due, &plain);
	if (rc < 0)
		log_msg(LOG_WARNING, NULL, "hold %llu not unsealed ahead of its "
		    "date: %s; unsealed at it instead", (unsigned long long)id,
		    err.msg);
	buf_free(&plain);
	buf_free(&sealed);
}

/* act - what a scan found due: hooks, releases, reminders, notices */

static void
act(const struct config *cfg, const struct scan *s)
{
	struct em_err err;

	/* The hooks first: they wait for nothing the releases do. */
	for (size_t i = 0; i < s->n_publish; i++)
		publish(cfg, s->publish[i]);
	release_due(cfg, s);
	for (size_t i = 0; i < s->n_prepare; i++)
		prepare_hold(cfg, s->prepare[i]);
	for (size_t i = 0; i < s->n_warm; i++)
		warm_hold(s->warm[i], s->warm_due[i]);
	for (size_t i = 0; i < s->n_remind; i++)
		remind(cfg, s->remind[i]);
	for (size_t i = 0; i < s->n_announce; i++)
		announce(cfg, s->announce[i]);
	for (size_t i = 0; i < s->n_tell; i++)
		if (fanout_date_notice(cfg, s->tell[i], &err) < 0)
			log_msg(LOG_ERR, NULL, "%s: the moved date is not told to "
			    "the members yet: %s (tried again)", s->tell[i],
			    err.msg);
	anchor(cfg, s->now, false);
}

/* release_thread - sleep until the next due time, then act */

static void *
release_thread(void *arg)
{
	time_t last = 0, woke_for = 0;
	unsigned long seen = 0;
	int backoff = 0;
	enum loop_woke w;

	(void)arg;
	publish_init();
	for (;;) {
		const struct config *cfg = state_config_acquire();
		struct scan s;

		memset(&s, 0, sizeof(s));
		s.cfg = cfg;
		s.now = time(NULL);
		clock_watch(s.now, last, woke_for);
		last = s.now;
		/* A store that cannot be read is logged and nothing is acted
		 * on (a due time read wrong is an early release): the scan is
		 * tried again after a backoff that doubles up to MAX_SLEEP. */
		if (store_begin(state_store(), false, &s.t, &s.err) < 0 ||
		    store_hold_each(s.t, scan_hold, &s, &s.err) < 0 ||
		    store_adv_each(s.t, scan_adv, &s, &s.err) < 0) {
			log_msg(LOG_ERR, NULL, "release timer: the state cannot be "
			    "read, nothing released or run: %s (tried again in "
			    "%d s)", s.err.msg, loop_backoff(&backoff));
			if (s.t != NULL)
				store_abort(s.t);
			memset(&s, 0, sizeof(s));
			s.next = time(NULL) + backoff;
		} else {
			store_abort(s.t);
			backoff = 0;
			act(cfg, &s);
		}
		if (s.n_holds || s.n_remind || s.n_announce)
			deliver_kick();
		if (s.n_holds || s.n_remind)
			loop_kick(&release_loop);	/* more may be due: scan again */
		/* The safety net counts from the clock as it is now: a step
		 * back while this scan worked must not stretch the sleep. */
		woke_for = loop_due(time(NULL), s.next, MAX_SLEEP);
		if ((w = loop_wait_until(&release_loop, &seen, woke_for)) !=
		    LOOP_DUE)
			woke_for = 0;	/* woken early: no measure of a step */
		if (w == LOOP_STOP) {
			anchor(cfg, time(NULL), true);
			state_config_release(cfg);
			return NULL;
		}
		state_config_release(cfg);
	}
}

/* release_kick - something changed: compute the next due time again */

void
release_kick(void)
{
	loop_kick(&release_loop);
}

/* release_start - the timer thread, with the daemon's signals blocked */

int
release_start(void)
{
	int rc;

	state_on_wake(WAKE_RELEASE, release_kick);
	rc = loop_start(&release_loop, 1, release_thread, NULL);

	/* Without the watcher a step is still seen at the next wake. */
	if (rc == EM_OK && clock_watch_start(release_kick) < 0)
		log_msg(LOG_WARNING, NULL, "a step of the system clock will be "
		    "noticed at the release timer's next wake only: %s",
		    strerror(errno));
	return rc;
}

/* release_stop - end the timer */

void
release_stop(void)
{
	clock_watch_stop();
	loop_stop(&release_loop);
}
