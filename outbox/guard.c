/*
 * guard.c - the leak guard's filter, built (see store/view.h, filter.c)
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

#define LOOK_EVERY	1	/* seconds between looks for a rebuild asked */
#define RETRY_FIRST	10	/* seconds before a failed build is tried again, */
#define RETRY_MAX	3600	/* doubled each time up to this */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool stopping, started;
static pthread_t tid;
static atomic_bool now_please;		/* a reload: at once, whatever failed */

/* embargoed_ids - advisory ids under embargo at now */

struct ids { struct strv v; time_t now; };

static int
embargoed_ids(const struct store_advisory *a, void *ctx)
{
	struct ids *x = ctx;

	if (a->state == STORE_ADV_EMBARGOED && a->embargo > x->now)
		strv_push(&x->v, a->id);
	return 0;
}

/* read_post - one sealed post's text into the filter; false if it cannot */

static bool
read_post(const struct config *cfg, struct store_txn *t, struct store_filter *fl,
    uint64_t post_id, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct buf sealed, plain;
	struct facts f;
	struct post p;
	bool ok = false;

	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	memset(&p, 0, sizeof(p));
	if (store_blob_get(t, STORE_BLOB_POST, post_id, &sealed) != EM_OK)
		(void)em_fail(err, EM_ENOTFOUND, "post %llu is missing",
		    (unsigned long long)post_id);
	else if (keys_unseal(sealed.data, sealed.len, &plain, err) == EM_OK &&
	    post_unpack(&plain, &p) == EM_OK &&
	    policy_read(p.entity, p.entity_len, &lim, &f, err) == EM_OK &&
	    (f.n_crypt == 0 || keys_read_crypt(cfg, &lim, &f, err) == EM_OK)) {
		store_filter_build_text(fl, state_print_key(),
		    f.text.data ? f.text.data : "", f.text.len);
		ok = true;
	}
	post_free(&p);
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
	bool ok = store_adv_list_get(t, "posts", id, &posts) == EM_OK;

	em_err_clear(&err);
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
	struct ids x = { { NULL, 0 }, time(NULL) };
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
	(void)store_adv_each(t, embargoed_ids, &x, &err);
	for (size_t i = 0; i < x.v.n; i++)
		if (read_advisory(cfg, t, fl, x.v.v[i])) {
			store_filter_build_covered(fl, x.v.v[i]);
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
	covered = covered == x.v.n && uncovered == 0;
	strv_free(&x.v);
	return covered;
}

/* guard_thread - build when asked, until stopped */

static void *
guard_thread(void *arg)
{
	time_t not_before = 0, wait = RETRY_FIRST;

	(void)arg;
	for (;;) {
		struct timespec ts;

		pthread_mutex_lock(&lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LOOK_EVERY;
		while (!stopping && pthread_cond_timedwait(&cond, &lock, &ts) == 0)
			;
		if (stopping) {
			pthread_mutex_unlock(&lock);
			keys_thread_done();
			return NULL;
		}
		pthread_mutex_unlock(&lock);
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

	if (store_filter_enable(&err) < 0) {
		log_msg(LOG_WARNING, NULL, "leak guard: no filter (%s); the full "
		    "guard reads every message", err.msg);
		return EM_OK;
	}
	if (state_thread_start(&tid, guard_thread, NULL) < 0)
		return EM_EIO;
	started = true;
	return EM_OK;
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
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	if (started)
		(void)pthread_join(tid, NULL);
	store_filter_disable();
}
