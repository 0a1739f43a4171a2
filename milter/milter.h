/*
 * milter.h - the daemon's shared pieces: the running config, message
 * contexts, the eom pipeline and the verdict mapping
 *
 * What it owns: the current struct config (swapped whole on SIGHUP, each
 * message keeps the one it started with, by reference count), and the
 * count of messages in hand (so SIGTERM can finish them).
 *
 * How it fails: per-message errors become an SMTP reply, never an exit.
 */
#ifndef MILTER_H
#define MILTER_H

#include <pthread.h>
#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../policy/policy.h"
#include "../store/store.h"
#include "../store/view.h"
#include "spool.h"

/* The message context: everything one SMTP transaction collects. */
struct msg_ctx {
	const struct config *cfg;	/* held reference, NULL when idle */
	char   *sender;
	struct strv rcpts;
	struct spool in;		/* headers and body as they arrive */
	struct buf raw;			/* ... and whole, at end of message */
	size_t	header_bytes;
	bool	too_big;
	bool	header_too_big;
	bool	late;			/* begun after SIGTERM: deferred */
	char	qid[32];
	char	resend_key[72];		/* "r:" + SHA-256 of Message-ID and body */
};

/* The connection context, hung on the libmilter context. */
struct conn_ctx {
	unsigned long proto;		/* negotiated SMFIP_* flags */
	struct msg_ctx msg;
};

struct store;

/* state.c: the running config, the store, and the messages in hand. */
void	state_set_store(struct store *s);
struct store *state_store(void);
void	state_set_config(struct config *cfg);
const struct config *state_config_acquire(void);
void	state_config_release(const struct config *cfg);
/* SIGTERM: messages begun before it finish; those begun after are deferred. */
void	state_set_stopping(void);
bool	state_stopping(void);
void	state_busy_inc(void);
void	state_busy_dec(void);
bool	state_wait_idle(int seconds);

/* Start a thread with the daemon's signals blocked: only the main
 * thread takes SIGHUP, SIGTERM, SIGINT and SIGUSR1. */
int	state_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);

/* ctx.c */
void	msg_reset(struct msg_ctx *m);

/* callbacks.c */
extern struct smfiDesc milter_desc;

/* verdict.c: one mapping from a decision or a failure to SMFIS_*. */
sfsistat verdict_apply(SMFICTX *ctx, const struct msg_ctx *m,
	    const struct policy_decision *d);
sfsistat verdict_fail(SMFICTX *ctx, const struct msg_ctx *m, int code,
	    const char *rcode, const char *xcode, const char *reason);
sfsistat verdict_internal(SMFICTX *ctx, const struct msg_ctx *m,
	    const char *reason);

/* eom.c: classify and decide one collected message. */
sfsistat eom_process(SMFICTX *ctx, struct msg_ctx *m);
/* The team's posting to a public list: its text becomes public text. */
int	public_posting(const struct config *cfg, const struct facts *f,
	    const char *const *rcpts, size_t n, const char *what,
	    struct em_err *err);

/* audit.c: one audit record for a decision, in t; or, with t NULL,
 * committed through the group commit of auditq.c. */
int	audit_decision(struct store_txn *t, const struct msg_ctx *m,
	    const struct facts *f, const struct policy_decision *d,
	    const char *msg_sha, struct em_err *err);
/* A pass that concerns no advisory, under audit_passes = all: queued for
 * a later group commit, never awaited (SPEC 5). */
void	audit_pass_later(const struct msg_ctx *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha);

/* auditq.c: group commit of small write transactions. */
int	auditq_start(void);
void	auditq_stop(void);
int	txq_run(int (*fn)(struct store_txn *, void *, struct em_err *),
	    void *arg, struct em_err *err);
void	txq_post(int (*fn)(struct store_txn *, void *, struct em_err *),
	    void *arg, void (*release)(void *, int, const char *));
int	auditq_commit(struct store_audit *a, struct em_err *err);

/* fanout.c: rule 1, committed before the MTA is answered. */
int	fanout_commit(const struct msg_ctx *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha,
	    bool *resent, struct em_err *err);

/* hold.c: rule 2, committed before the MTA is answered. */
int	hold_commit(const struct msg_ctx *m, const struct facts *f,
	    const struct policy_decision *d, const char *msg_sha,
	    bool *resent, struct em_err *err);
/* audit.c: in t, was this message (m->resend_key) acted on before?  Then
 * *resent is set and the resend is audited; else it is marked as what. */
int	resend_check(struct store_txn *t, const struct msg_ctx *m,
	    const struct facts *f, const struct policy_decision *d,
	    const char *what, bool *resent, struct em_err *err);

/* post.c: the sealed post's format, and the note a copy carries. */
enum { POST_SUBJECT, POST_FROM, POST_DATE, POST_SIGNER, POST_VERIFIED,
	POST_INSIDE, POST_NFIELDS };
struct post {
	char   *field[POST_NFIELDS];	/* owned; "" when absent */
	const char *entity;		/* points into the unpacked buffer */
	size_t	entity_len;
};
void	post_pack(const struct facts *f, time_t verified, struct buf *out);
int	post_unpack(const struct buf *b, struct post *p);
void	post_free(struct post *p);
void	post_note(const struct config *cfg, const struct post *p,
	    const struct store_outbox *ob, struct buf *out);

/* release.c: the timer that releases holds and sends reminders. */
int	release_start(void);
void	release_stop(void);
void	release_kick(void);

/* state.c: the fingerprint key, loaded at start-up. */
void	state_set_print_key(const unsigned char key[32]);
const unsigned char *state_print_key(void);

/* deliver.c: the workers that build and send the outbox. */
int	deliver_start(int nthreads);
void	deliver_stop(void);
void	deliver_kick(void);

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
/* A Message-ID for something the list sends, without <>. */
void	msgid_make(const struct config *cfg, const char *what, uint64_t id,
	    char *out, size_t outsz);

#endif
