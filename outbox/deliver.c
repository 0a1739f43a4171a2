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
 * put back by "embargoctl outbox retry" are seen).  An entry whose step
 * failed is benched in memory with a doubling wait (see struct bench).
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
#include "loop.h"
#include "../keys/keys.h"

#define BATCH		8	/* entries a worker claims at once */
#define IDLE_WAIT	2	/* seconds between scans when idle */

/* The workers' loop: their start, kicks, waits and stop (loop.h). */
static struct loop lp = LOOP_INIT;
/* The daemon's: the listener through smtp.c, the wall clock. */
static const struct deliver_io daemon_io = { smtp_send, time };
/* Under lock: the entries a worker holds, and those benched. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *claimed;
static size_t n_claimed;
/*
 * An entry whose step failed (its record, its hold or the store could
 * not be read or written) is benched: no worker takes it before until,
 * and each failure doubles the wait (1 s to STATE_BACKOFF_MAX), so one
 * unreadable record is neither retried by every worker at once nor in
 * the way of the entries behind it.  In memory: a restart tries it at
 * once, which is what a restart is for.
 */
struct bench {
	uint64_t id;
	time_t	until;
	int	backoff;
};
static struct bench *benched;
static size_t n_benched;

/* is_claimed - under lock */

static bool
is_claimed(uint64_t id)
{
	for (size_t i = 0; i < n_claimed; i++)
		if (claimed[i] == id)
			return true;
	return false;
}

/* bench_find - the bench of id, or NULL (under lock) */

static struct bench *
bench_find(uint64_t id)
{
	for (size_t i = 0; i < n_benched; i++)
		if (benched[i].id == id)
			return &benched[i];
	return NULL;
}

/*
 * bench_next - the earliest time to come (after now) a benched entry may
 * be taken, or 0.  One whose time passed and that no worker took is no
 * longer due (dropped, retimed, sent by a retry): it leaves the bench
 * after STATE_BACKOFF_MAX more, and never makes a worker wake at once.
 */
static time_t
bench_next(time_t now)
{
	time_t at = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_benched;) {
		if (benched[i].until + STATE_BACKOFF_MAX < now) {
			benched[i] = benched[--n_benched];
			continue;
		}
		if (benched[i].until > now && (at == 0 || benched[i].until < at))
			at = benched[i].until;
		i++;
	}
	pthread_mutex_unlock(&lock);
	return at;
}

/*
 * unclaim - give an entry back: benched after a failure (returns the
 * seconds it waits), off the bench after a success (returns 0)
 */
static int
unclaim(uint64_t id, bool failed, time_t now)
{
	struct bench *b;
	int wait = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_claimed; i++)
		if (claimed[i] == id) {
			claimed[i] = claimed[--n_claimed];
			break;
		}
	b = bench_find(id);
	if (failed) {
		if (b == NULL) {
			benched = xrealloc(benched, (n_benched + 1) *
			    sizeof(*benched));
			b = &benched[n_benched++];
			b->id = id;
			b->backoff = 0;
		}
		wait = backoff_next(&b->backoff);
		b->until = now + wait;
	} else if (b != NULL) {
		*b = benched[--n_benched];
	}
	pthread_mutex_unlock(&lock);
	return wait;
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
	const struct bench *b;

	if ((ob->state != STORE_OB_QUEUED && ob->state != STORE_OB_BUILT) ||
	    ob->kind == STORE_OB_HOOK || ob->next_try > d->now ||
	    is_claimed(ob->id) ||
	    ((b = bench_find(ob->id)) != NULL && b->until > d->now))
		return 0;
	d->ids[d->n++] = ob->id;
	return d->n == BATCH;
}

/*
 * claim_due - up to BATCH due entries, claimed: their number, or -1 when
 * the outbox could not be read (logged; what was found before it is
 * claimed and taken all the same)
 */
static int
claim_due(struct due *d, time_t now)
{
	struct store_txn *t;
	struct em_err err;
	bool whole = true;

	d->now = now;
	d->n = 0;
	if (store_begin(state_store(), false, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "the outbox cannot be read: %s", err.msg);
		return -1;
	}
	pthread_mutex_lock(&lock);
	if (store_ob_each_pending(t, due_cb, d, &err) < 0) {
		log_msg(LOG_ERR, NULL, "the outbox cannot be read whole (%zu due "
		    "entries found before): %s", d->n, err.msg);
		whole = false;
	}
	claimed = xrealloc(claimed, (n_claimed + d->n + 1) * sizeof(*claimed));
	for (size_t i = 0; i < d->n; i++)
		claimed[n_claimed++] = d->ids[i];
	pthread_mutex_unlock(&lock);
	store_abort(t);
	return whole || d->n > 0 ? (int)d->n : -1;
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

/* process_claimed - each claimed entry processed and given back: one
 * that failed is logged and benched (unclaim) */

static void
process_claimed(const struct due *d)
{
	const struct config *cfg = state_config_acquire();

	for (size_t i = 0; i < d->n; i++) {
		struct em_err err;
		bool failed;
		int wait;

		em_err_clear(&err);
		failed = deliver_process(cfg, d->ids[i], &daemon_io, &err) < 0;
		wait = unclaim(d->ids[i], failed, daemon_io.clock(NULL));
		if (failed)
			log_msg(LOG_ERR, NULL, "outbox %llu: %s; tried again in "
			    "%d s", (unsigned long long)d->ids[i], err.msg, wait);
	}
	state_config_release(cfg);
}

/*
 * worker - claim, process; with nothing due, wait for a kick, the next
 * benched entry or IDLE_WAIT (entries put back by "embargoctl outbox
 * retry" are seen then); after a failure to read the outbox, a backoff
 */
static void *
worker(void *arg)
{
	unsigned long seen = 0;
	int backoff = 0;

	(void)arg;
	while (!loop_stopping(&lp)) {
		struct due d;
		time_t now = daemon_io.clock(NULL), due;
		int n = claim_due(&d, now);

		if (n > 0) {	/* then look again: a failed one is benched */
			backoff = 0;
			process_claimed(&d);
			continue;
		}
		if (n < 0) {
			due = now + loop_backoff(&backoff);
		} else {
			backoff = 0;
			due = loop_due(now, bench_next(now), IDLE_WAIT);
		}
		smtp_idle();	/* a kept connection ends with the burst */
		if (loop_wait_until(&lp, &seen, due) == LOOP_STOP)
			break;
	}
	return worker_done();
}

/* deliver_kick - something was queued */

void
deliver_kick(void)
{
	loop_kick(&lp);
}

/* deliver_start - the workers */

int
deliver_start(int n)
{
	return loop_start(&lp, n, worker, NULL);
}

/* deliver_stop - finish the entries in hand, then join */

void
deliver_stop(void)
{
	loop_stop(&lp);
	pthread_mutex_lock(&lock);
	free(claimed);
	claimed = NULL;
	n_claimed = 0;
	free(benched);
	benched = NULL;
	n_benched = 0;
	pthread_mutex_unlock(&lock);
	warm_clear();
}
