/*
 * loop.c - the thread loop every engine thread shares: start, kick,
 * stop, and the wait until the next due time or a kick (see loop.h)
 *
 * One mutex and one condition per loop.  The wait holds the mutex only
 * while it sleeps, so a kick never waits for a thread's work; a kick is
 * a count, so none is lost between a thread's work and its next wait.
 */

/* System library. */
#include <pthread.h>
#include <stdlib.h>

/* Application-specific. */
#include "outbox.h"
#include "loop.h"

/* loop_start - n threads on l, running fn(arg) */

int
loop_start(struct loop *l, int n, void *(*fn)(void *), void *arg)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = false;
	pthread_mutex_unlock(&l->mu);
	l->tids = xrealloc(l->tids, (size_t)(l->n_tids + n) * sizeof(*l->tids));
	for (int i = 0; i < n; i++) {
		if (state_thread_start(&l->tids[l->n_tids], fn, arg) < 0)
			return EM_EIO;
		l->n_tids++;
	}
	return EM_OK;
}

/* loop_kick - wake the waiting threads; counted for the working ones */

void
loop_kick(struct loop *l)
{
	pthread_mutex_lock(&l->mu);
	l->kicks++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* loop_stopping - has the stop been asked? */

bool
loop_stopping(struct loop *l)
{
	bool s;

	pthread_mutex_lock(&l->mu);
	s = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return s;
}

/* loop_stop - the stop set, the threads woken (interrupted) and joined */

void
loop_stop(struct loop *l)
{
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->interrupt != NULL && l->n_tids > 0)
		l->interrupt();
	for (int i = 0; i < l->n_tids; i++)
		(void)pthread_join(l->tids[i], NULL);
	free(l->tids);
	l->tids = NULL;
	l->n_tids = 0;
}

/* loop_wait - sleep until due, a kick beyond *seen, or the stop */

enum loop_woke
loop_wait(struct loop *l, unsigned long *seen, const struct timespec *due)
{
	enum loop_woke w;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping && l->kicks == *seen &&
	    pthread_cond_timedwait(&l->cv, &l->mu, due) == 0)
		;
	w = l->stopping ? LOOP_STOP : l->kicks != *seen ? LOOP_KICKED :
	    LOOP_DUE;
	*seen = l->kicks;
	pthread_mutex_unlock(&l->mu);
	return w;
}

/* loop_wait_until - loop_wait with a due time in whole seconds */

enum loop_woke
loop_wait_until(struct loop *l, unsigned long *seen, time_t due)
{
	struct timespec ts = { due, 0 };

	return loop_wait(l, seen, &ts);
}

/* loop_due - the time to wake: next, or now + max_sleep if that is sooner */

time_t
loop_due(time_t now, time_t next, int max_sleep)
{
	time_t at = now + max_sleep;

	return next != 0 && next < at ? next : at;
}

/* loop_backoff - the wait after a failure (state.c's backoff_next) */

int
loop_backoff(int *b)
{
	return backoff_next(b);
}
