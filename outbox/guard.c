/*
 * guard.c - the leak guard's filter, built (see store/view.h, filter.c),
 * and the text of prepared releases filed as public text
 *
 * One thread.  At start, at each reload, and whenever the filter finds
 * an advisory under embargo it does not cover, it reads every post of
 * every advisory under embargo again (each unsealed, its text read as
 * the fan-out read it), checks the result against the prints in the
 * store and puts it in use.  Until then, and for an advisory it could
 * not read, the full guard answers: slower, never weaker.
 */

/* System library. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../store/view.h"
#include "loop.h"

#define LOOK_EVERY	1	/* seconds between looks for a rebuild asked */
#define RETRY_FIRST	10	/* seconds before a failed build is tried again, */
#define RETRY_MAX	3600	/* doubled each time up to this */

static struct loop guard_loop = LOOP_INIT;	/* the thread (loop.h) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;	/* filings */
static atomic_bool now_please;		/* a reload: at once, whatever failed */

/*
 * file_public - SPEC 4: a hold released prepared (release_holds.c): its text
 * filed as public text, then its sealed copy dropped.  Off the path its
 * messages take; a crash in between leaves the sealed copy, and the next
 * start files it (file_left).
 */
static void
file_public(const struct config *cfg, uint64_t id)
{
	struct store_txn *t;
	struct store_hold h;
	struct buf sealed, plain;
	struct policy_limits lim = policy_limits_of(cfg);
	struct em_err err;
	struct facts f;
	int rc;

	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	if ((rc = store_begin(state_store(), false, &t, &err)) == EM_OK) {
		if ((rc = store_hold_get(t, id, &h, &err)) == EM_OK)
			rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed,
			    &err);
		store_abort(t);
	}
	if (rc == EM_OK && (keys_unseal(sealed.data, sealed.len, &plain,
	    &err) < 0 || policy_read(plain.data, plain.len, &lim, &f, &err) < 0 ||
	    (f.n_crypt > 0 && keys_read_crypt(cfg, &lim, &f, &err) < 0) ||
	    public_posting(cfg, &f, (const char *const *)cfg->public_lists.v,
	    cfg->public_lists.n, h.queue_id, &err) < 0))
		rc = EM_ECRYPTO;
	if (rc == EM_OK && (rc = store_begin(state_store(), true, &t,
	    &err)) == EM_OK) {
		if ((rc = store_blob_del(t, STORE_BLOB_HOLD, id, &err)) == EM_OK)
			rc = store_commit(t, &err);
		else
			store_abort(t);
	}
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "public text of hold %llu: %s; filed "
		    "again at the next start", (unsigned long long)id, err.msg);
	facts_free(&f);
	buf_free(&plain);
	buf_free(&sealed);
}

/*
 * The prepared holds released, their text still to be filed as public
 * text: filing is gpg work that would take the processor from the
 * workers at the second that counts, so it waits until the hold's
 * messages are out, FILE_WAIT seconds at most.  The release timer never
 * waits for it.
 */
#define FILE_WAIT	10

static struct filing { uint64_t hold; time_t until; } *filings;
static size_t n_filings;

/* guard_file_later - hold's text, filed once its messages are out */

void
guard_file_later(uint64_t hold)
{
	pthread_mutex_lock(&lock);
	filings = xrealloc(filings, (n_filings + 1) * sizeof(*filings));
	filings[n_filings++] = (struct filing){ hold, time(NULL) + FILE_WAIT };
	pthread_mutex_unlock(&lock);
}

/* hold_unsent - is an entry prepared for hold ctx (its typed hold) unsent? */

struct unsent { uint64_t hold; bool any; };

static int
hold_unsent(const struct store_outbox *ob, void *ctx)
{
	struct unsent *u = ctx;

	u->any = (ob->kind == STORE_OB_RELEASE || ob->kind == STORE_OB_COPY) &&
	    ob->hold == u->hold;
	return u->any;
}

/*
 * messages_out - are hold's prepared messages all sent (or given up)?
 * An outbox that cannot be read whole says no: the filing waits for its
 * time limit instead.
 */
static bool
messages_out(uint64_t hold)
{
	struct unsent u = { hold, false };
	struct store_txn *t;
	struct em_err err;
	int rc;

	if (store_begin(state_store(), false, &t, &err) < 0)
		return false;
	rc = store_ob_each_pending(t, hold_unsent, &u, &err);
	store_abort(t);
	return rc >= 0 && !u.any;
}

/* file_due - every filing whose hold's messages are out, or whose wait is over */

static void
file_due(const struct config *cfg)
{
	for (;;) {
		uint64_t hold = 0;

		pthread_mutex_lock(&lock);
		for (size_t i = 0; i < n_filings && hold == 0; i++)
			if (time(NULL) >= filings[i].until ||
			    messages_out(filings[i].hold)) {
				hold = filings[i].hold;
				filings[i] = filings[--n_filings];
			}
		pthread_mutex_unlock(&lock);
		if (hold == 0)
			return;
		file_public(cfg, hold);
	}
}

/* left_cb - the released holds' ids */

static int
left_cb(const struct store_hold *h, void *ctx)
{
	struct strv *ids = ctx;
	char n[32];

	if (h->state == STORE_HOLD_RELEASED) {
		(void)snprintf(n, sizeof(n), "%llu", (unsigned long long)h->id);
		strv_push(ids, n);
	}
	return 0;
}

/*
 * file_left - at start: a hold released with its text not yet filed as
 * public text (a stop between mark_prepared and file_public) is filed now
 */
static void
file_left(void)
{
	const struct config *cfg = state_config_acquire();
	struct store_txn *t;
	struct strv ids = { NULL, 0 };
	struct buf b;
	struct em_err err;

	if (store_begin(state_store(), false, &t, &err) < 0) {
		state_config_release(cfg);
		return;
	}
	if (store_hold_each(t, left_cb, &ids, &err) < 0)
		log_msg(LOG_ERR, NULL, "public text left unfiled: the holds "
		    "cannot be read: %s", err.msg);
	buf_init(&b);
	for (size_t i = 0; i < ids.n; i++) {
		uint64_t id = strtoull(ids.v[i], NULL, 10);
		int rc;

		buf_reset(&b);
		/* Filed already (its sealed copy dropped): nothing left. */
		if ((rc = store_blob_get(t, STORE_BLOB_HOLD, id, &b, &err)) < 0) {
			if (rc != EM_ENOTFOUND)
				log_msg(LOG_ERR, NULL, "public text of hold "
				    "%llu: %s; filed again at the next start",
				    (unsigned long long)id, err.msg);
			free(ids.v[i]);
			ids.v[i] = NULL;
		}
	}
	store_abort(t);
	buf_free(&b);
	for (size_t i = 0; i < ids.n; i++)
		if (ids.v[i] != NULL)
			file_public(cfg, strtoull(ids.v[i], NULL, 10));
	strv_free(&ids);
	state_config_release(cfg);
}

/* read_post - one sealed post's text into the filter; false if it cannot */

static bool
read_post(const struct config *cfg, struct store_txn *t, struct store_filter *fl,
    uint64_t post_id, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct buf sealed, plain;
	struct facts f;
	struct store_post p;
	bool ok = false;

	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	memset(&p, 0, sizeof(p));
	if (store_blob_get(t, STORE_BLOB_POST, post_id, &sealed, err) < 0)
		;	/* err says why */
	else if (keys_unseal(sealed.data, sealed.len, &plain, err) == EM_OK &&
	    store_post_unpack(plain.data, plain.len, &p) == EM_OK &&
	    policy_read(p.entity, p.entity_len, &lim, &f, err) == EM_OK &&
	    (f.n_crypt == 0 || keys_read_crypt(cfg, &lim, &f, err) == EM_OK)) {
		store_filter_build_text(fl, state_print_key(),
		    f.text.data ? f.text.data : "", f.text.len);
		ok = true;
	}
	store_post_free(&p);
	facts_free(&f);
	buf_free(&plain);
	buf_free(&sealed);
	return ok;
}

/* read_advisory - every post of one advisory; false if one cannot be read */

static bool
read_advisory(const struct config *cfg, struct store_txn *t,
    struct store_filter *fl, const char *id)
{
	struct strv posts = { NULL, 0 };
	struct em_err err;
	bool ok;

	em_err_clear(&err);
	ok = store_adv_list_get(t, "posts", id, &posts, &err) == EM_OK;
	for (size_t i = 0; ok && i < posts.n; i++) {
		const char *sp = strchr(posts.v[i], ' ');

		ok = sp != NULL && read_post(cfg, t, fl, strtoull(sp + 1, NULL,
		    10), &err);
	}
	if (!ok)
		log_msg(LOG_WARNING, NULL, "leak guard: the posts of %s cannot be "
		    "read into its filter (%s); the full guard reads every "
		    "message while %s is under embargo", id, err.msg[0] ?
		    err.msg : "its list of posts is unreadable", id);
	strv_free(&posts);
	return ok;
}

/*
 * build - the filter from every post of every advisory under embargo;
 * false when one could not be read (or is not covered after all)
 */
static bool
build(const struct config *cfg)
{
	struct store_filter *fl = store_filter_begin();
	struct strv ids = { NULL, 0 };
	struct store_txn *t;
	struct em_err err;
	struct timespec t0, t1;
	size_t covered = 0, uncovered = 0;
	char bad[65] = "";

	if (fl == NULL)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_begin(state_store(), false, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "leak guard: the filter cannot be built: %s; "
		    "tried again", err.msg);
		return false;
	}
	if (store_adv_embargoed(t, time(NULL), &ids, &err) < 0) {
		/* Not "these are all": never a filter from part of them. */
		log_msg(LOG_ERR, NULL, "leak guard: the filter cannot be built: "
		    "%s; tried again", err.msg);
		store_abort(t);
		strv_free(&ids);
		return false;
	}
	for (size_t i = 0; i < ids.n; i++)
		if (read_advisory(cfg, t, fl, ids.v[i])) {
			store_filter_build_covered(fl, ids.v[i]);
			covered++;
		}
	if (store_filter_finish(fl, t, &uncovered, bad, sizeof(bad)) < 0)
		log_msg(LOG_ERR, NULL, "leak guard: the stored prints cannot be "
		    "read to check the filter; the full guard answers");
	store_abort(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (uncovered > 0)
		log_msg(LOG_WARNING, NULL, "leak guard: %zu advisories (%s first) "
		    "have prints that no post of theirs gives; the full guard "
		    "reads every message while they are under embargo",
		    uncovered, bad);
	log_msg(LOG_INFO, NULL, "leak guard: filter of %zu advisories under "
	    "embargo built in %.0f ms", covered - uncovered,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	covered = covered == ids.n && uncovered == 0;
	strv_free(&ids);
	return covered;
}

/* guard_thread - build when asked, until stopped */

static void *
guard_thread(void *arg)
{
	time_t not_before = 0, wait = RETRY_FIRST;
	unsigned long seen = 0;

	(void)arg;
	file_left();
	for (;;) {
		struct timespec ts;

		/* Never kicked: it looks every LOOK_EVERY seconds. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LOOK_EVERY;
		if (loop_wait(&guard_loop, &seen, &ts) == LOOP_STOP) {
			keys_thread_done();
			return NULL;
		}
		{
			const struct config *cfg = state_config_acquire();

			file_due(cfg);
			state_config_release(cfg);
		}
		if (atomic_exchange(&now_please, false))
			not_before = 0, wait = RETRY_FIRST;
		/* A build that failed is tried again after a backoff (the
		 * full guard answers meantime), not at every message. */
		if (time(NULL) >= not_before && store_filter_wanted()) {
			const struct config *cfg = state_config_acquire();

			if (build(cfg)) {
				not_before = 0;
				wait = RETRY_FIRST;
			} else {
				not_before = time(NULL) + wait;
				wait = wait * 2 > RETRY_MAX ? RETRY_MAX : wait * 2;
				store_filter_rebuild();
			}
			state_config_release(cfg);
		}
	}
}

/* guard_start - the filter kept, its builder started */

int
guard_start(void)
{
	struct em_err err;

	/* Without a filter the thread still files the public text. */
	if (store_filter_enable(&err) < 0)
		log_msg(LOG_WARNING, NULL, "leak guard: no filter (%s); the full "
		    "guard reads every message", err.msg);
	return loop_start(&guard_loop, 1, guard_thread, NULL);
}

/* guard_rebuild - a reload: the filter built again at once */

void
guard_rebuild(void)
{
	atomic_store(&now_please, true);
	store_filter_rebuild();
}

/* guard_stop - the builder ended, the filter dropped */

void
guard_stop(void)
{
	loop_stop(&guard_loop);
	store_filter_disable();
	free(filings);
	filings = NULL;
	n_filings = 0;
}
