/*
 * outbox.h - the engine that records and sends: rule 1 and rule 2
 * committed, audit records, the group commit, the delivery workers, the
 * release timer, notices, the sealed post's format and the SMTP client
 *
 * What it is for: everything the list does with a message once it has
 * been decided, and everything it sends later, on its own threads.  It
 * never includes libmilter: a message reaches it as a struct outbox_msg
 * (what the MTA gave), from the milter's end of message or from a
 * release, so the same code serves both.
 *
 * What it owns: the running config (swapped whole on SIGHUP; each user
 * keeps the one it started with, by reference count), the store and the
 * fingerprint key of the running daemon (set once at start-up), and its
 * threads: the group-commit writer, and on the shared thread loop
 * (loop.h) the delivery workers, the release timer, the clock-step
 * watcher, the hook runner and the leak guard's thread.
 *
 * How it fails: every function returns 0 or a negative EM_E* code with the
 * reason in the caller's struct em_err; a thread that cannot act logs why
 * and tries again later, never silently.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "../ledger/ledger.h"

/* One message as the MTA gave it: what the outbox needs of it. */
struct outbox_msg {
	const struct config *cfg;
	const char *sender;
	const char *const *rcpts;
	size_t	n_rcpts;
	const char *qid;		/* the MTA's queue id, "" if none */
	const char *resend_key;		/* "" when a resend is not looked for */
	const char *raw;		/* the whole message (rule 2 keeps it) */
	size_t	raw_len;
	uint64_t prepared_for;		/* hold N (0: none): final copies made before
					   that hold's date, sent at it */
};

/* state.c: the running config, the store and the fingerprint key; the
 * threads' start, wake-up by name and backoff. */
void	state_set_store(struct store *s);
struct store *state_store(void);
void	state_set_config(struct config *cfg);
const struct config *state_config_acquire(void);
void	state_config_release(const struct config *cfg);
void	state_set_print_key(const unsigned char key[32]);
const unsigned char *state_print_key(void);
/* Start a thread with the daemon's signals blocked: only the main
 * thread takes SIGHUP, SIGTERM, SIGINT and SIGUSR1. */
int	state_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);
/* The threads to wake when something changed, by name: a file that
 * queues work wakes its thread without using the thread's file (no
 * circle between files). */
enum state_wake { WAKE_DELIVER, WAKE_RELEASE, WAKE_HOOKS, WAKE_N };
void	state_on_wake(enum state_wake w, void (*fn)(void));
void	state_wake(enum state_wake w);
/* The wait after a failure, in seconds: 1, 2, 4, ... up to STATE_BACKOFF_MAX
 * (*b is the last one, 0 after a success); every thread backs off so. */
#define STATE_BACKOFF_MAX 30
int	backoff_next(int *b);
/*
 * clockstep.c: a step of the system clock, noticed when it happens: a
 * thread waits on a timerfd armed with TFD_TIMER_CANCEL_ON_SET and calls
 * on_step() (the release timer's kick) at once.  clock_watch_stop() ends
 * it.
 */
int	clock_watch_start(void (*on_step)(void));
void	clock_watch_stop(void);

/* audit.c: one audit record for a decision, in t; or, with t NULL,
 * committed through the group commit of auditq.c. */
int	audit_decision(struct store_txn *t, const struct outbox_msg *m,
	    const struct facts *f, const struct policy_decision *d,
	    const char *msg_sha, struct em_err *err);
/* In t, one audit record of an event of advisory a's revision (its
 * date with it) at now: what was decided and why. */
int	audit_advisory(struct store_txn *t, const struct store_advisory *a,
	    time_t now, const char *event, const char *decision,
	    const char *reason, struct em_err *err);
/* A pass that concerns no advisory, under audit_passes = all: queued for
 * a later group commit, never awaited (SPEC 5). */
void	audit_pass_later(const struct outbox_msg *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha);
/* In t, was this message (m->resend_key) acted on before?  Then *resent
 * is set and the resend is audited; else it is marked as what. */
int	resend_check(struct store_txn *t, const struct outbox_msg *m,
	    const struct facts *f, const struct policy_decision *d,
	    const char *what, bool *resent, struct em_err *err);

/* auditq.c: group commit of small write transactions.  Each piece runs
 * in its own nested transaction: one that fails fails only its caller. */
int	auditq_start(void);
void	auditq_stop(void);
int	txq_run(int (*fn)(struct store_txn *, void *, struct em_err *),
	    void *arg, struct em_err *err);
void	txq_post(int (*fn)(struct store_txn *, void *, struct em_err *),
	    void *arg, void (*release)(void *, int, const char *));
int	auditq_commit(struct store_audit *a, struct em_err *err);

/* fanout.c: rule 1, committed before the MTA is answered. */
int	fanout_commit(const struct outbox_msg *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha,
	    bool *resent, struct em_err *err);
/* SPEC 6: a moved date told to every member and participant of id, each
 * copy signed whole by the list and encrypted to that recipient alone,
 * once per date (a post that moved it told them already). */
int	fanout_date_notice(const struct config *cfg, const char *id,
	    struct em_err *err);
/* The date the members were last told for id (by a copy or a notice),
 * into *when: EM_OK, EM_ENOTFOUND when never told, < 0 unreadable. */
int	fanout_told(struct store_txn *t, const char *id, time_t *when,
	    struct em_err *err);
/* public.c: the team's posting to a public list: its text becomes
 * public text. */
int	public_posting(const struct config *cfg, const struct facts *f,
	    const char *const *rcpts, size_t n, const char *what,
	    struct em_err *err);
/* The receipt's note on public text (SPEC 4): none loaded, or the
 * embargoed advisory id's standard sections that are its text alone. */
int	public_receipt_note(struct store_txn *t, const char *id,
	    bool embargoed, const struct facts *f, time_t now,
	    struct buf *body, struct em_err *err);

/* hold.c: rule 2, committed before the MTA is answered. */
int	hold_commit(const struct outbox_msg *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha,
	    bool *resent, struct em_err *err);

/* post.c: what a sealed post says (its framing: store_post_pack() and
 * store_post_unpack(), store.h), and the note a copy carries. */
/* deploy_was: the advisory's deployment state before this revision when
 * this one changes it, else NULL. */
void	post_pack(const struct facts *f, time_t verified, const char *deploy_was,
	    struct buf *out);
/* A notice of the list's own (a moved date): its text as the entity. */
void	post_pack_notice(const char *subject, const char *from, time_t now,
	    const char *entity, struct buf *out);
void	post_note(const struct config *cfg, const struct store_post *p,
	    const struct store_outbox *ob, struct buf *out);

/* release.c: the timer that releases holds and sends reminders (its
 * jobs in the files release.h lists). */
int	release_start(void);
void	release_stop(void);
void	release_kick(void);

/* hook.c: release hooks, run once an advisory's revision is public. */
int	hook_queue(struct store_txn *t, const struct config *cfg,
	    const struct store_advisory *a, time_t now, struct em_err *err);
int	hook_start(void);
void	hook_stop(void);
void	hook_kick(void);

/* deliver.c: the workers that build and send the outbox. */
int	deliver_start(int nthreads);
void	deliver_stop(void);
void	deliver_kick(void);
/* guard.c: the leak guard's filter, built at start and whenever asked. */
int	guard_start(void);
void	guard_rebuild(void);
/* A prepared hold released: its text filed as public text once its
 * messages are out (at most 10 s later), by the guard thread. */
void	guard_file_later(uint64_t hold);
void	guard_stop(void);
/* warm.c: a prepared hold's posting, unsealed ahead of its date (in
 * memory only). */
void	deliver_warm(uint64_t hold, time_t date, const struct buf *plain);
bool	deliver_warm_has(uint64_t hold);

/* notice.c: queue a notice mail to the team in an open transaction. */
struct notice_spec {
	const char *to;
	const char *advisory;		/* "" when none */
	int	revision;
	const char *subject;
	const char *body;		/* ids, dates, counts: never advisory text */
	time_t	now;
};
int	notice_queue(struct store_txn *t, const struct config *cfg,
	    const struct notice_spec *n, struct em_err *err);

#endif
