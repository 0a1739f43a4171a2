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

#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../policy/policy.h"

/* The message context: everything one SMTP transaction collects. */
struct msg_ctx {
	const struct config *cfg;	/* held reference, NULL when idle */
	char   *sender;
	struct strv rcpts;
	struct buf raw;			/* headers and body as received */
	size_t	header_bytes;
	bool	too_big;
	bool	header_too_big;
	char	qid[32];
};

/* The connection context, hung on the libmilter context. */
struct conn_ctx {
	unsigned long proto;		/* negotiated SMFIP_* flags */
	struct msg_ctx msg;
};

/* state.c: the running config and the messages in hand. */
void	state_set_config(struct config *cfg);
const struct config *state_config_acquire(void);
void	state_config_release(const struct config *cfg);
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
