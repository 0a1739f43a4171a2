/*
 * release_holds.c - the holds due at a scan released: the prepared ones
 * marked released at once in one transaction, the others released one
 * transaction each (final copy, one entry per recipient, the hold marked
 * released) by up to RELEASERS threads side by side
 *
 * A release is one transaction per hold, so a crash never sends a hold
 * twice nor loses it; the delivery workers send the entries.
 *
 * How it fails: a hold that cannot be released is logged and left held;
 * the next scan finds it due again.
 */

/* System library. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"

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

	if ((rc = release_prepared(t, id, rev, err)) < 0)
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
 * release_final_copy), then in one transaction one entry per recipient and the
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
	if ((rc = release_unsealed_hold(id, &h0, &plain, err)) < 0) {
		buf_free(&plain);
		return rc;
	}
	if ((rc = release_final_copy(cfg, &h0, &plain, 0, &revision, err)) < 0 ||
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
	if ((rc = release_queue(t, cfg, &h, &plain, revision, now, 0, err)) < 0 ||
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
 * text once their messages are out).  Any other hold due at that second
 * is released side by side: each is a gpg decryption, a signature check,
 * a sealed final copy and two commits, and twenty of them one after
 * another took seconds.  Two holds of one advisory are never released at
 * once (the second must see that the
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
	size_t	failed;			/* holds whose release failed */
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
		bool failed = release_one(w->cfg, w->s->holds[i], &err) < 0;

		if (failed)
			log_msg(LOG_ERR, NULL, "release of hold %llu: %s",
			    (unsigned long long)w->s->holds[i], err.msg);
		else
			deliver_kick();
		pthread_mutex_lock(&w->mu);
		w->failed += failed;
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
 * are out), the others released by up to RELEASERS threads; returns how
 * many failed (each logged)
 */
size_t
release_due(const struct config *cfg, const struct scan *s)
{
	struct rel_work w;
	struct em_err err;

	if (s->n_holds == 0)
		return 0;
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
	return w.failed;
}
