/*
 * release.c - the release timer's thread: held postings go out at their
 * advisory's embargo date, within a second, in the order they were held;
 * the team is reminded remind_before the date; a release not out by
 * its date and release_alarm (the daemon was down, the listener refused)
 * is said to the team at once
 *
 * The thread sleeps until the next due release or reminder, not by
 * polling: a new hold, SIGUSR1 (sent by embargoctl after it moves a date
 * or releases a hold) or a reload wakes it to compute the next time
 * again.  Half a minute is the longest it sleeps, as a safety net.  It
 * runs on the shared thread loop (loop.h).
 *
 * Each wake: a scan of what is due (release_scan.c), then each job acted
 * on by its own file (release.h lists them).  A release is one
 * transaction per hold: the hold becomes "released" and one outbox entry
 * per recipient is queued, so a crash never sends a hold twice nor loses
 * it; the delivery workers send the entries.
 *
 * How it fails: a state that cannot be read is logged and nothing is
 * acted on; the scan is tried again after a backoff (loop_backoff).  A
 * job that fails (a hold not released, a reminder not queued...) logs
 * its reason and is counted: the next scan comes after a backoff too,
 * never at once.
 */

/* System library. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "loop.h"
#include "../util/log.h"

#define MAX_SLEEP	30

static struct loop release_loop = LOOP_INIT;	/* the thread (loop.h) */
static time_t started;		/* when the timer started: a late release
				 * due before it was not seen at its date */

/* act - what a scan found due: hooks, releases, reminders, notices; the
 * number of jobs that failed (each logged with its reason) */

static size_t
act(const struct config *cfg, const struct scan *s)
{
	struct em_err err;
	size_t failed = 0;

	/* The hooks first: they wait for nothing the releases do. */
	for (size_t i = 0; i < s->n_publish; i++)
		failed += release_publish(cfg, s->publish[i]) < 0;
	failed += release_due(cfg, s);
	/* After the releases: a late one released now says so. */
	for (size_t i = 0; i < s->n_late; i++)
		failed += release_late(cfg, s->late[i], s->late_due[i],
		    time(NULL), started) < 0;
	if (s->late_err.msg[0] != '\0')
		log_msg(LOG_ERR, NULL, "release timer: whether a release is late "
		    "cannot be told now: %s (looked for again at the next scan)",
		    s->late_err.msg);
	for (size_t i = 0; i < s->n_prepare; i++)
		failed += release_prepare_hold(cfg, s->prepare[i]) < 0;
	for (size_t i = 0; i < s->n_warm; i++)
		release_warm_hold(s->warm[i], s->warm_due[i]);
	for (size_t i = 0; i < s->n_remind; i++)
		failed += release_remind(cfg, s->remind[i], time(NULL)) < 0;
	for (size_t i = 0; i < s->n_announce; i++)
		failed += release_announce(cfg, s->announce[i]) < 0;
	for (size_t i = 0; i < s->n_tell; i++)
		if (fanout_date_notice(cfg, s->tell[i], &err) < 0) {
			log_msg(LOG_ERR, NULL, "%s: the moved date is not told to "
			    "the members yet: %s (tried again)", s->tell[i],
			    err.msg);
			failed++;
		}
	release_anchor(cfg, s->now, false);
	return failed;
}

/*
 * acted - after act(): with a failure, no scan at once (it would fail
 * again as fast as it can) but after a backoff (*backoff, doubled up to
 * MAX_SLEEP; 0 again after a wake that failed nothing); the next wake
 */
static time_t
acted(size_t failed, const struct scan *s, int *backoff)
{
	time_t now = time(NULL);

	if (failed == 0) {
		*backoff = 0;
		/* More may be due: scan again at once. */
		if (s->n_holds || s->n_remind)
			loop_kick(&release_loop);
		return loop_due(now, s->next, MAX_SLEEP);
	}
	log_msg(LOG_ERR, NULL, "release timer: %zu job%s failed (each said "
	    "why above); tried again in %d s", failed, failed == 1 ? "" : "s",
	    loop_backoff(backoff));
	return loop_due(now, s->next, *backoff);
}

/*
 * look - one scan of the store at now, into s; false when the state
 * cannot be read: then it is logged, s holds nothing due (a due time
 * read wrong is an early release) and s->next is after the backoff,
 * which doubles up to MAX_SLEEP (*backoff; 0 again after a scan)
 */
static bool
look(struct store *st, const struct config *cfg, time_t now, struct scan *s,
    int *backoff)
{
	struct store_txn *t = NULL;
	struct em_err err;
	int rc;

	if ((rc = store_begin(st, false, &t, &err)) == EM_OK)
		rc = release_scan(t, cfg, now, s);
	else
		s->err = err;
	if (t != NULL)
		store_abort(t);
	if (rc == EM_OK) {
		*backoff = 0;
		return true;
	}
	log_msg(LOG_ERR, NULL, "release timer: the state cannot be read, "
	    "nothing released or run: %s (tried again in %d s)", s->err.msg,
	    loop_backoff(backoff));
	memset(s, 0, sizeof(*s));
	s->next = time(NULL) + *backoff;
	return false;
}

/* release_thread - sleep until the next due time, then act */

static void *
release_thread(void *arg)
{
	time_t last = 0, woke_for = 0, now;
	unsigned long seen = 0;
	int backoff = 0, act_backoff = 0;
	enum loop_woke w;

	(void)arg;
	started = time(NULL);
	release_publish_init();
	for (;;) {
		const struct config *cfg = state_config_acquire();
		struct scan s;

		now = time(NULL);
		(void)release_clock_watch(now, last, woke_for);
		last = now;
		/* The safety net counts from the clock as it is after the
		 * work: a step back meanwhile must not stretch the sleep. */
		if (look(state_store(), cfg, now, &s, &backoff))
			woke_for = acted(act(cfg, &s), &s, &act_backoff);
		else
			woke_for = loop_due(time(NULL), s.next, MAX_SLEEP);
		if (s.n_holds || s.n_remind || s.n_announce || s.n_late)
			deliver_kick();
		if ((w = loop_wait_until(&release_loop, &seen, woke_for)) !=
		    LOOP_DUE)
			woke_for = 0;	/* woken early: no measure of a step */
		if (w == LOOP_STOP) {
			release_anchor(cfg, time(NULL), true);
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
