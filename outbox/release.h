/*
 * release.h - between the files of the release timer (inside outbox/
 * only): the scan of what is due and the jobs that act on it
 *
 *	release.c		the thread: scan, act, sleep until the next due time
 *	release_scan.c		what is due at a given time (struct scan)
 *	release_holds.c		the due holds released (worker threads)
 *	release_prepare.c	holds prepared and warmed ahead of their date
 *	release_copy.c		final copies, unsealed holds, release entries
 *	remind.c		reminders to the team before the date
 *	announce.c		pre-announcements of dates (pre_announce)
 *	publish.c		revisions become public: release hooks queued
 *	release_clock.c		the audit head anchored, clock steps said
 *	release_late.c		a release not out by its date and
 *				release_alarm said to the team, once
 *
 * How it fails: the scan returns < 0 with the reason in s->err, and then
 * nothing of it is acted on; each job logs its own failure and is found
 * due again by the next scan.
 */
#ifndef RELEASE_H
#define RELEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "outbox.h"

#define MAX_DUE		64
#define WARM_AHEAD	10	/* seconds before its date a prepared hold is
				 * unsealed for the workers (deliver_warm) */

/* What a scan found due at now, and when to look again. */
struct scan {
	struct store_txn *t;
	const struct config *cfg;
	time_t	now;
	time_t	next;
	uint64_t holds[MAX_DUE];
	char	hold_adv[MAX_DUE][64];	/* each hold's advisory, "" if none */
	size_t	n_holds;
	char	remind[MAX_DUE][64];
	size_t	n_remind;
	char	announce[MAX_DUE][64];	/* pre_announce due: a date not told */
	size_t	n_announce;
	char	publish[MAX_DUE][64];	/* a revision public, not yet recorded */
	size_t	n_publish;
	char	tell[MAX_DUE][64];	/* a moved date the members were not told */
	size_t	n_tell;
	uint64_t prepare[MAX_DUE];	/* holds not yet prepared for their date */
	size_t	n_prepare;
	uint64_t warm[MAX_DUE];		/* prepared holds due within WARM_AHEAD */
	time_t	warm_due[MAX_DUE];
	size_t	n_warm;
	uint64_t late[MAX_DUE];		/* holds not out by their date and
					   release_alarm, not yet said */
	time_t	late_due[MAX_DUE];	/* each one's date */
	size_t	n_late;
	const uint64_t *unsent;		/* during the scan: the holds with a
					   release entry still to send */
	size_t	n_unsent;
	struct em_err late_err;		/* why a late release could not be
					   looked for ("" when it was) */
	struct em_err err;		/* why a scan failed: nothing acted on */
};

/* release_scan.c: what is due at now (read in t, never the clock). */
int	release_scan(struct store_txn *t, const struct config *cfg, time_t now,
	    struct scan *s);
/* "hold N": how what was prepared for hold N names it. */
void	release_hold_tag(uint64_t id, char *out, size_t n);
/* The revision hold id was prepared with, or -1: not yet. */
int	release_prepared(struct store_txn *t, uint64_t id, int *rev,
	    struct em_err *err);
/* The date last pre-announced for id; EM_ENOTFOUND when never. */
int	release_announced(struct store_txn *t, const char *id, time_t *when,
	    struct em_err *err);
/* The revision of id last recorded as public, or -1: never. */
int	release_published(struct store_txn *t, const char *id, int *rev,
	    struct em_err *err);
/* Is a public at now (its date passed, or lifted)? */
bool	release_adv_public(const struct store_advisory *a, time_t now);
/* The date hold h was due at, seen at now: its advisory's (the moment it
 * was made public, when lifted), else its marker's; a released hold's no
 * later than its release. */
int	release_hold_date(struct store_txn *t, const struct store_hold *h,
	    time_t now, time_t *date, struct em_err *err);

/* release_copy.c: what a release sends. */
int	release_final_copy(const struct config *cfg, const struct store_hold *h,
	    const struct buf *plain, uint64_t ahead, int *revision,
	    struct em_err *err);
int	release_unsealed_hold(uint64_t id, struct store_hold *h,
	    struct buf *plain, struct em_err *err);
int	release_queue(struct store_txn *t, const struct config *cfg,
	    const struct store_hold *h, const struct buf *bytes, int revision,
	    time_t now, time_t due, struct em_err *err);

/*
 * The jobs: each logs its own failure with its reason and returns it
 * (< 0; release_due the number of holds that failed), so that the timer
 * backs off before trying again instead of scanning at once.
 */
/* release_prepare.c: ahead of the date; the warm-up cannot fail (a hold
 * not unsealed ahead is unsealed at its date). */
int	release_prepare_hold(const struct config *cfg, uint64_t id);
void	release_warm_hold(uint64_t id, time_t due);

/* release_holds.c: every due hold of s released; how many failed. */
size_t	release_due(const struct config *cfg, const struct scan *s);

/* remind.c, announce.c, publish.c: one advisory each; now is the time
 * the reminder and its audit record carry. */
int	release_remind(const struct config *cfg, const char *id, time_t now);
int	release_announce(const struct config *cfg, const char *id);
int	release_publish(const struct config *cfg, const char *id);
void	release_publish_init(void);

/* release_late.c: hold id, due at due and not out by due +
 * release_alarm, said to the team at now (the release timer started at
 * started: a later start means the daemon was not running at the date);
 * once per hold. */
int	release_late(const struct config *cfg, uint64_t id, time_t due,
	    time_t now, time_t started);

/* release_clock.c: the audit head in the log (every audit_anchor_every,
 * or now with force); a clock step said in the log, and returned:
 * RELEASE_CLOCK_BACK, RELEASE_CLOCK_FORWARD or RELEASE_CLOCK_SAME. */
void	release_anchor(const struct config *cfg, time_t now, bool force);
enum release_clock { RELEASE_CLOCK_SAME, RELEASE_CLOCK_BACK,
	RELEASE_CLOCK_FORWARD };
enum release_clock release_clock_watch(time_t now, time_t last,
	    time_t woke_for);

#endif
