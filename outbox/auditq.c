/*
 * auditq.c - group commit: small write transactions from many threads
 * share one LMDB commit
 *
 * LMDB has one writer at a time and each commit waits for the disk, so
 * threads that each commit a little (an audit record per passing
 * message; the delivery workers' "built" and "sent" marks) queue behind
 * each other's fsync.  Here one writer takes every piece of work waiting,
 * runs them all in one transaction, commits once, and wakes each caller,
 * which only then goes on (answers the MTA, sends the copy).  Ordering
 * holds for each caller: its work is on disk when txq_run() returns.
 * Each piece runs in its own nested transaction: a piece that fails is
 * undone alone and fails only its own caller, while the others commit.
 * A failed commit of the whole fails every caller in that batch; each
 * handles it as it would its own failed commit (451, or a retry later).
 */

/* System library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"

struct waiter {
	int	(*fn)(struct store_txn *, void *, struct em_err *);
	void   *arg;
	void	(*release)(void *, int, const char *);	/* txq_post: nobody waits */
	int	rc;
	bool	done;
	char	why[512];
	struct waiter *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct waiter *head, **tail = &head;
static bool stopping;
static pthread_t tid;

/* run_piece - one waiter's work in a nested transaction of t */

static void
run_piece(struct store_txn *t, struct waiter *w)
{
	struct store_txn *nt;
	struct em_err err;

	em_err_clear(&err);
	if ((w->rc = store_begin_nested(t, &nt, &err)) == EM_OK) {
		if ((w->rc = w->fn(nt, w->arg, &err)) == EM_OK)
			w->rc = store_commit(nt, &err);
		else
			store_abort(nt);
	}
	(void)snprintf(w->why, sizeof(w->why), "%s", w->rc < 0 ? err.msg : "");
}

/* commit_batch - one transaction for a batch; every waiter learns its result */

static void
commit_batch(struct waiter *batch)
{
	struct store_txn *t;
	struct waiter *detached = NULL;
	struct em_err err;
	int rc;

	em_err_clear(&err);
	rc = store_begin(state_store(), true, &t, &err);
	for (struct waiter *w = batch; rc == EM_OK && w != NULL; w = w->next)
		run_piece(t, w);
	if (rc == EM_OK)
		rc = store_commit(t, &err);
	pthread_mutex_lock(&lock);
	for (struct waiter *w = batch, *next; w != NULL; w = next) {
		next = w->next;
		/* The batch's failure is everyone's; else each has its own. */
		if (rc < 0) {
			w->rc = rc;
			(void)snprintf(w->why, sizeof(w->why), "%s", err.msg);
		}
		if (w->release != NULL) {	/* nobody waits: after the lock */
			w->next = detached;
			detached = w;
			continue;
		}
		w->done = true;
	}
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&lock);
	for (struct waiter *w = detached, *next; w != NULL; w = next) {
		next = w->next;
		w->release(w->arg, w->rc, w->why);
		free(w);
	}
}

/* writer - take everything waiting, commit it, repeat */

static void *
writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct waiter *batch;

		while (head == NULL && !stopping)
			pthread_cond_wait(&work, &lock);
		if (head == NULL && stopping)
			break;
		batch = head;
		head = NULL;
		tail = &head;
		pthread_mutex_unlock(&lock);
		commit_batch(batch);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* txq_run - run fn in a shared write transaction; return once committed */

int
txq_run(int (*fn)(struct store_txn *, void *, struct em_err *), void *arg,
    struct em_err *err)
{
	struct waiter w = { fn, arg, NULL, 0, false, "", NULL };

	pthread_mutex_lock(&lock);
	*tail = &w;
	tail = &w.next;
	pthread_cond_signal(&work);
	while (!w.done)
		pthread_cond_wait(&done, &lock);
	pthread_mutex_unlock(&lock);
	return w.rc < 0 ? em_fail(err, w.rc, "%s", w.why) : EM_OK;
}

/*
 * txq_post - queue fn for the next shared transaction and return at once;
 * release(arg, rc, why) runs after that commit (or its failure), on the
 * writer thread.  For records nobody waits for (SPEC 5: audit_passes = all).
 */
void
txq_post(int (*fn)(struct store_txn *, void *, struct em_err *), void *arg,
    void (*release)(void *, int, const char *))
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->fn = fn;
	w->arg = arg;
	w->release = release;
	pthread_mutex_lock(&lock);
	*tail = w;
	tail = &w->next;
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&lock);
}

/* append_audit - txq_run() work: one audit record */

static int
append_audit(struct store_txn *t, void *arg, struct em_err *err)
{
	return store_audit_append(t, arg, err);
}

/* auditq_commit - append an audit record; return once it is committed */

int
auditq_commit(struct store_audit *a, struct em_err *err)
{
	return txq_run(append_audit, a, err);
}

/* auditq_start - the writer thread, with the daemon's signals blocked */

int
auditq_start(void)
{
	return state_thread_start(&tid, writer, NULL);
}

/* auditq_stop - commit what is waiting, then end */

void
auditq_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&lock);
	(void)pthread_join(tid, NULL);
}
