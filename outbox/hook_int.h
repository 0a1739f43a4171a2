/*
 * hook_int.h - between the release hooks' files (outbox/ alone): the
 * runner thread (hook.c) takes one step at a time (hook_run.c: a due run
 * picked, committed as running, run, its outcome recorded), in a folder
 * hook_dir.c prepares, through a process hook_exec.c starts
 *
 * What it owns: struct hook_run, the run in hand, and the seams the unit
 * tests use (tests/unit/test_hook.c): the process runner, the clock and
 * the stop flag, hook_execute(), time() and the runner's own in the
 * daemon.  Functions return 0 or a negative EM_E* code with the reason in
 * *err, unless they say otherwise.
 */
#ifndef HOOK_INT_H
#define HOOK_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "outbox.h"

#define HOOK_TRIES	8	/* runs before a failed hook waits for a person */
#define HOOK_BACKOFF	2	/* seconds before the first retry, doubled */
#define HOOK_MAX_WAIT	300	/* the longest backoff, seconds */
#define HOOK_IDLE	2	/* seconds between looks when nothing is due */
#define HOOK_OUT_KEEP	4096	/* bytes of output kept, the last ones */

/* The run in hand, as the runner prepares, runs and records it. */
struct hook_run {
	const struct config *cfg;
	const struct conf_hook *hook;
	struct store_outbox ob;
	struct store_advisory a;
	char	dir[4096];		/* state_dir/hooks/ID */
	char	out[HOOK_OUT_KEEP + 1];	/* the output's last bytes */
	size_t	out_len;
	char	status[600];		/* "exit 0", "exit 3", "killed ..." */
	bool	ok;
	/* The seams: the command run to its end in dir (r->ok, r->status,
	 * r->out set), the clock, and the daemon's stop. */
	void	(*exec)(struct hook_run *r);
	time_t	(*clock)(time_t *);
	const atomic_bool *stop;
};

/* hook_run.c: one look at the outbox; 1 when a run was taken (its
 * outcome recorded), 0 when none was due (*next: the next one's time, 0:
 * none), < 0 after a failure (logged; *backoff grown, else 0). */
int	hook_step(const struct config *cfg, struct hook_run *r, time_t *next,
	    int *backoff);
/* The two halves of hook_step(): 1 with the first due run and its
 * advisory in r, passing over the runs of an advisory that cannot be
 * read (logged; 0: none due, < 0: the outbox cannot be read, or every
 * due run's advisory cannot: nothing runs); then that run taken (< 0: a
 * commit failed). */
int	hook_pick(struct hook_run *r, time_t *next, struct em_err *err);
int	hook_run_one(const struct config *cfg, struct hook_run *r);

/* hook.c: when the runner looks again after hook_step() said found (with its
 * backoff and next) at now: after a failure, the backoff, never at once. */
time_t	hook_wake_at(int found, int backoff, time_t next, time_t now);

/* hook_dir.c: the run's folder state_dir/hooks/ID (r->dir) with
 * advisory.txt and attachments/, from the post; removed after. */
int	hook_dir_prepare(struct hook_run *r, struct em_err *err);
void	hook_dir_remove(const char *dir);

/* hook_exec.c: the command as a process, run to its end (the exec seam
 * in the daemon); "release_hook "NAME": STATUS; output: ..." into out. */
void	hook_execute(struct hook_run *r);
void	hook_said(const struct hook_run *r, char *out, size_t n);

#endif
