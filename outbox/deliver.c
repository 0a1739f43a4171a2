/*
 * deliver.c - the delivery workers: claim due entries, take each one step
 * further (built by build.c, sent to the reinjection listener), and have
 * what became of it recorded (outcome.c)
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
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "deliver_int.h"
#include "../util/log.h"
#include "smtp.h"
#include "../keys/keys.h"

#define BATCH		8	/* entries a worker claims at once */
#define IDLE_WAIT	2	/* seconds between scans when idle */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool stopping;
/*
 * Kicks, counted: each worker compares with the count it saw before it
 * looked for work.  (A flag that the first worker to wake cleared sent
 * the others back to sleep, so one worker sent a whole fan-out.)
 */
static unsigned long kicks;
/* The daemon's: the listener through smtp.c, the wall clock. */
static const struct deliver_io daemon_io = { smtp_send, time };
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
claim_due(struct due *d, time_t now)
{
	struct store_txn *t;
	struct em_err err;

	d->now = now;
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

/* read_entry - one outbox entry as it is now, into *ob */

static int
read_entry(uint64_t id, struct store_outbox *ob, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	rc = store_ob_get(t, id, ob, err);
	store_abort(t);
	return rc;
}

/* built_bytes - a built entry's bytes, its attempt committed first */

static int
built_bytes(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, struct buf *data, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = outcome_attempt(io, cfg, ob, err)) < 0 ||
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
		return warm_unseal_release(ob, data, err);
	return EM_OK;
}

/*
 * ready - the entry's bytes to send into data (EM_OK), or 1 when there is
 * nothing to send now: a final copy is built as soon as it can be; what
 * was prepared for a hold leaves at its date, not before
 */
static int
ready(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, struct buf *data, struct em_err *err)
{
	int rc;

	if (ob->kind == STORE_OB_COPY && ob->state == STORE_OB_QUEUED) {
		rc = build_copy(io, cfg, ob, data, err);
		if (rc == EM_OK)
			rc = outcome_held_back(io, cfg, ob, err);
	} else if (ob->state == STORE_OB_BUILT) {
		if ((rc = outcome_held_back(io, cfg, ob, err)) == 0)
			rc = built_bytes(io, cfg, ob, data, err);
	} else {
		rc = 1;		/* nothing to do */
	}
	return rc;
}

/* send_entry - data sent to the listener, and what it said recorded */

static int
send_entry(const struct deliver_io *io, const struct config *cfg,
    const struct store_outbox *ob, const struct buf *data, struct em_err *err)
{
	struct em_err serr;
	char qid[32] = "";
	bool permanent = false;
	int rc;

	em_err_clear(&serr);
	rc = io->send(cfg->reinject_host, cfg->reinject_port,
	    ob->kind == STORE_OB_RELEASE ? ob->from :
	    ob->kind == STORE_OB_COPY && cfg->team_addresses.n ?
	    cfg->team_addresses.v[0] : "", ob->rcpt, data->data, data->len,
	    qid, sizeof(qid), &permanent, &serr);
	return outcome_answer(io, cfg, ob, rc, permanent, qid, serr.msg, err);
}

/*
 * deliver_process - take one entry one step further: build it if it is a
 * queued copy, send it if it is built.  An entry in any other state
 * (sent, parked, moved by embargoctl meanwhile) is left alone.  A failure
 * to read or record is returned, and the worker logs it.
 */
int
deliver_process(const struct config *cfg, uint64_t id,
    const struct deliver_io *io, struct em_err *err)
{
	struct store_outbox ob;
	struct buf data;
	int rc;

	if ((rc = read_entry(id, &ob, err)) < 0)
		return rc;
	buf_init(&data);
	if ((rc = ready(io, cfg, &ob, &data, err)) == EM_OK)
		rc = send_entry(io, cfg, &ob, &data, err);
	buf_free(&data);
	return rc < 0 ? rc : EM_OK;
}

/* worker_done - what the worker kept freed as it ends */

static void *
worker_done(void)
{
	build_thread_done();
	warm_thread_done();
	keys_thread_done();
	smtp_idle();
	return NULL;
}

/* idle_wait - nothing due: until kicked (since seen), or IDLE_WAIT */

static void
idle_wait(unsigned long seen)
{
	struct timespec ts;

	smtp_idle();	/* a kept connection ends with the burst */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += IDLE_WAIT;
	pthread_mutex_lock(&lock);
	while (!stopping && kicks == seen &&
	    pthread_cond_timedwait(&cond, &lock, &ts) == 0)
		;
	pthread_mutex_unlock(&lock);
}

/* process_claimed - each claimed entry processed and given back; true
 * when one failed (the store: the worker waits before the next claim) */

static bool
process_claimed(const struct due *d)
{
	const struct config *cfg = state_config_acquire();
	bool failed = false;

	for (size_t i = 0; i < d->n; i++) {
		struct em_err err;

		em_err_clear(&err);
		if (deliver_process(cfg, d->ids[i], &daemon_io, &err) < 0) {
			log_msg(LOG_ERR, NULL, "outbox %llu: %s",
			    (unsigned long long)d->ids[i], err.msg);
			failed = true;
		}
		unclaim(d->ids[i]);
	}
	state_config_release(cfg);
	return failed;
}

/* worker - claim, process, sleep */

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct due d;
		unsigned long seen;

		pthread_mutex_lock(&lock);
		if (stopping) {
			pthread_mutex_unlock(&lock);
			return worker_done();
		}
		seen = kicks;
		pthread_mutex_unlock(&lock);
		if (claim_due(&d, daemon_io.clock(NULL)) == 0) {
			idle_wait(seen);
			continue;
		}
		/* The store failed: wait before trying the same entries. */
		if (process_claimed(&d))
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
	warm_clear();
}
