/*
 * hook.c - release hooks (SPEC 6): the commands the administrator names
 * in release_hook blocks, run once an advisory's revision is public (the
 * fix pushed to the public trees, the web page written): their runs
 * queued, and the one runner thread that takes them
 *
 * A run is an outbox entry of kind "hook", queued by the release timer in
 * the transaction that records the revision as public (hook_queue()).
 * The runner takes due runs in queue order, one step at a time
 * (hook_run.c: committed as running before the command starts, its
 * outcome after: at least once, never skipped; a hook must be
 * idempotent), in a folder of the advisory's text (hook_dir.c), through a
 * process (hook_exec.c).  With nothing due it sleeps until kicked, the
 * next run's time or two seconds; after a failure, a backoff.  Mail
 * never waits for a hook.
 */

/* System library. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "hook_int.h"
#include "loop.h"
#include "../keys/keys.h"

/* The runner's loop: its start, kicks, waits and stop (loop.h). */
static struct loop lp = LOOP_INIT;
/* Set by the stop too, for the command in hand (hook_exec.c polls it). */
static atomic_bool stopping;

/* hook_queue - in t, one run of each release_hook for a's revision */

int
hook_queue(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, time_t now, struct em_err *err)
{
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		struct store_outbox ob;
		struct ledger_ob_spec s = { STORE_OB_HOOK, a->id, a->revision,
		    cfg->hooks[i].name, NULL, NULL, NULL, 0, 0, false, NULL,
		    now, 0 };
		char *why;
		int rc;

		if ((rc = ledger_ob_new(t, cfg, &s, &ob, err)) < 0)
			return rc;
		why = xasprintf("release_hook \"%s\" run %llu queued",
		    cfg->hooks[i].name, (unsigned long long)ob.id);
		rc = audit_advisory(t, a, now, "hook-queued", "queued", why,
		    err);
		free(why);
		if (rc < 0)
			return rc;
	}
	return EM_OK;
}

/* hook_wake_at - when the runner looks again (see hook_int.h): after a
 * failure its backoff, else HOOK_IDLE or the next run's time if sooner */

time_t
hook_wake_at(int found, int backoff, time_t next, time_t now)
{
	time_t at = now + (found < 0 ? backoff : HOOK_IDLE);

	if (found >= 0 && next != 0 && next < at)
		at = next;
	return at;
}

/* stop_command - the loop's interrupt: a command in hand is killed */

static void
stop_command(void)
{
	stopping = true;
}

/*
 * hook_thread - take due runs one after another; after a look that found
 * nothing or failed, sleep until kicked or hook_wake_at() (after a
 * failure its backoff: never the same run picked again at once)
 */
static void *
hook_thread(void *arg)
{
	static struct hook_run r;	/* one at a time: kept off the stack */
	unsigned long seen = 0;
	int backoff = 0;

	(void)arg;
	while (!loop_stopping(&lp)) {
		const struct config *cfg = state_config_acquire();
		time_t next = 0;
		int found;

		memset(&r, 0, sizeof(r));
		r.exec = hook_execute;
		r.clock = time;
		r.stop = &stopping;
		found = hook_step(cfg, &r, &next, &backoff);
		state_config_release(cfg);
		if (found > 0)
			continue;
		if (loop_wait_until(&lp, &seen, hook_wake_at(found, backoff,
		    next, time(NULL))) == LOOP_STOP)
			break;
	}
	keys_thread_done();
	return NULL;
}

/* hook_kick - a run was queued or put back */

void
hook_kick(void)
{
	loop_kick(&lp);
}

/* hook_start - the runner thread */

int
hook_start(void)
{
	stopping = false;
	lp.interrupt = stop_command;
	return loop_start(&lp, 1, hook_thread, NULL);
}

/* hook_stop - end the runner; a command in hand is killed (run again later) */

void
hook_stop(void)
{
	loop_stop(&lp);
}
