/*
 * loop.h - one thread loop for the engine's threads: start, kick, stop,
 * and the wait until the next due time or a kick, with the backoff after
 * a failure
 *
 * What it is for: every thread of outbox/ sleeps the same way (a mutex, a
 * condition, a stopping flag, pthread_cond_timedwait until the next due
 * time) and is woken, stopped and joined the same way.  That is written
 * once here; a thread keeps only its own work and its own due time.
 *
 * How to use it (the shape every thread takes):
 *
 *	static struct loop lp = LOOP_INIT;
 *
 *	static void *
 *	my_thread(void *arg)
 *	{
 *		unsigned long seen = 0;	(kicks before the start count)
 *		int backoff = 0;
 *
 *		for (;;) {
 *			time_t next = 0;
 *
 *			if (do_work(&next) < 0)		(a failure: logged)
 *				next = time(NULL) + loop_backoff(&backoff);
 *			else
 *				backoff = 0;
 *			if (loop_wait_until(&lp, &seen, loop_due(time(NULL),
 *			    next, MAX_SLEEP)) == LOOP_STOP)
 *				return NULL;
 *		}
 *	}
 *
 *	start: loop_start(&lp, 1, my_thread, NULL)   (n threads share lp)
 *	wake:  loop_kick(&lp)                         (from any thread)
 *	end:   loop_stop(&lp)                         (joins them all)
 *
 * A kick is counted, not a flag: *seen is the count a thread last saw,
 * so a kick that comes while the thread works (before it waits again)
 * ends its next wait at once, and with several threads on one loop each
 * sees every kick.  A thread that blocks elsewhere than in loop_wait
 * (poll on a descriptor) sets l->interrupt: loop_stop calls it after
 * setting the stop, to end that block.
 *
 * What it owns: the threads it started (joined by loop_stop, which may be
 * called when none was started).  The struct loop is the caller's,
 * usually static.
 *
 * How it fails: loop_start returns EM_EIO when a thread cannot start (the
 * ones started run and are joined by loop_stop); nothing else fails.
 * The backoff is backoff_next() of state.c: 1, 2, 4 ... up to
 * STATE_BACKOFF_MAX seconds.
 */
#ifndef LOOP_H
#define LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct loop {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool	stopping;		/* loop_stop called; reset by loop_start */
	unsigned long kicks;		/* loop_kick calls, ever */
	pthread_t *tids;		/* the threads started */
	int	n_tids;
	void	(*interrupt)(void);	/* NULL, or ends a block outside loop_wait */
};

#define LOOP_INIT { .mu = PTHREAD_MUTEX_INITIALIZER, \
	.cv = PTHREAD_COND_INITIALIZER }

/* What ended a wait: the due time came, a kick, or loop_stop (which wins). */
enum loop_woke { LOOP_DUE, LOOP_KICKED, LOOP_STOP };

/* n threads running fn(arg), the daemon's signals blocked (see
 * state_thread_start); EM_OK, or EM_EIO when one could not start. */
int	loop_start(struct loop *l, int n, void *(*fn)(void *), void *arg);
/* Wake the loop's waiting threads; a kick while one works ends its next
 * wait at once. */
void	loop_kick(struct loop *l);
/* Stop: the flag set, the waiters woken, l->interrupt called, every
 * thread joined.  Safe when nothing was started. */
void	loop_stop(struct loop *l);
/* Has loop_stop been called? */
bool	loop_stopping(struct loop *l);
/* Wait until the clock (CLOCK_REALTIME) reaches due, a kick beyond *seen
 * or the stop; *seen is then the kicks counted so far. */
enum loop_woke loop_wait(struct loop *l, unsigned long *seen,
	    const struct timespec *due);
/* The same, due in whole seconds (time_t). */
enum loop_woke loop_wait_until(struct loop *l, unsigned long *seen,
	    time_t due);
/* The time to wake: next if it comes before now + max_sleep (0: none). */
time_t	loop_due(time_t now, time_t next, int max_sleep);
/* After a failure: the seconds to wait (backoff_next(b)); the caller sets
 * *b to 0 after a success. */
int	loop_backoff(int *b);

#endif
