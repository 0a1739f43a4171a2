/*
 * milter.h - the libmilter side of the daemon: message contexts, the
 * callbacks, the end-of-message pipeline and the verdict mapping
 *
 * What it owns: the message contexts, and the count of messages in hand
 * (so SIGTERM can finish them).  What a decision changes and everything
 * sent later is the outbox's (outbox/outbox.h), which never sees
 * libmilter.
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
#include "../outbox/outbox.h"
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
	bool	standby;		/* this host is a standby: deferred */
	char	qid[32];
	char	resend_key[72];		/* "r:" + SHA-256 of Message-ID and body */
};

/* The connection context, hung on the libmilter context. */
struct conn_ctx {
	unsigned long proto;		/* negotiated SMFIP_* flags */
	struct msg_ctx msg;
};

/* state.c: SIGTERM: messages begun before it finish; those begun after
 * are deferred. */
void	state_set_stopping(void);
bool	state_stopping(void);
/* This host is a standby (its store says so, read at start): every
 * message is deferred, nothing is released or sent. */
void	state_set_standby(bool standby);
bool	state_standby(void);
void	state_busy_inc(void);
void	state_busy_dec(void);
bool	state_wait_idle(int seconds);

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

#endif
