/*
 * callbacks.c - the libmilter callbacks: collect, hand over, answer
 *
 * Callbacks stay thin.  The protocol is negotiated down to what the rules
 * need: no connect, HELO, DATA or unknown-command callbacks, and no reply
 * to MAIL, RCPT, header or body steps, so the MTA does not wait on us
 * for steps whose answer is always "go on".  Every decision is taken at
 * end of message, when the whole message is known.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "milter.h"
#include "../util/log.h"

/* conn_get - the connection context, made on first use */

static struct conn_ctx *
conn_get(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		spool_init(&c->msg.in);
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
	}
	return c;
}

/* cb_negotiate - ask only for the steps the rules use */

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	/* Removing the list and the members from the envelope is the one
	 * change made to a message in flight (rule 1). */
	unsigned long want_actions = SMFIF_DELRCPT;
	unsigned long skip = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
	    SMFIP_NR_EOH | SMFIP_NR_BODY;

	struct conn_ctx *c = conn_get(ctx);

	(void)f2;
	(void)f3;
	if (c == NULL || (f0 & SMFIF_DELRCPT) == 0)
		return SMFIS_REJECT;	/* we cannot work without it */
	*pf0 = f0 & want_actions;
	*pf1 = f1 & skip;
	c->proto = *pf1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* noreply - "go on", silently where the MTA agreed not to wait */

static sfsistat
noreply(SMFICTX *ctx, unsigned long flag)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	return c != NULL && (c->proto & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_envfrom - a new transaction: reset, take the current config */

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = conn_get(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_reset(&c->msg);
	c->msg.cfg = state_config_acquire();
	c->msg.late = state_stopping();
	c->msg.standby = state_standby();
	state_busy_inc();
	c->msg.sender = em_addr_norm(argv[0] ? argv[0] : "");
	return noreply(ctx, SMFIP_NR_MAIL);
}

/* cb_envrcpt - one recipient */

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c != NULL && argv[0] != NULL)
		strv_push(&c->msg.rcpts, argv[0]);
	return noreply(ctx, SMFIP_NR_RCPT);
}

/* cb_header - one header line, bounded by max_header_size */

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m;
	size_t n;

	if (c == NULL || c->msg.cfg == NULL)
		return noreply(ctx, SMFIP_NR_HDR);
	m = &c->msg;
	n = strlen(name) + strlen(value) + 4;
	m->header_bytes += n;
	if (m->header_bytes > m->cfg->max_header_size)
		m->header_too_big = true;
	else if (m->in.len + n > m->cfg->max_message_size)
		m->too_big = true;
	else {
		char *line = xasprintf("%s: %s\r\n", name, value);

		spool_add(&m->in, m->cfg->state_dir, line, strlen(line));
		free(line);
	}
	return noreply(ctx, SMFIP_NR_HDR);
}

/* cb_eoh - the blank line between header and body */

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c != NULL && c->msg.cfg != NULL)
		spool_add(&c->msg.in, c->msg.cfg->state_dir, "\r\n", 2);
	return noreply(ctx, SMFIP_NR_EOH);
}

/* cb_body - a body chunk, kept up to max_message_size */

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m;

	if (c == NULL || c->msg.cfg == NULL)
		return noreply(ctx, SMFIP_NR_BODY);
	m = &c->msg;
	if (m->too_big || m->in.len + len > m->cfg->max_message_size)
		m->too_big = true;
	else
		spool_add(&m->in, m->cfg->state_dir, chunk, len);
	return noreply(ctx, SMFIP_NR_BODY);
}

/* still_here - the MTA told, while a message waits for the spool's gate,
 * that the daemon is at work on it (SMFIR_PROGRESS: the MTA's timeout for
 * the end of message starts again); false when the MTA is gone */

static bool
still_here(void *ctx)
{
	return smfi_progress(ctx) == MI_SUCCESS;
}

/* cb_eom - the whole message is here: decide and answer */

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct em_err err;
	const char *qid;
	bool gated;
	sfsistat r;

	if (c == NULL || c->msg.cfg == NULL)
		return verdict_internal(ctx, NULL, "no message context");
	qid = smfi_getsymval(ctx, "i");
	(void)snprintf(c->msg.qid, sizeof(c->msg.qid), "%s", qid ? qid : "");
	if (c->msg.late || c->msg.standby) {
		r = verdict_fail(ctx, &c->msg, EM_EIO, "451", "4.3.2",
		    c->msg.standby ? "this host is the standby of the "
		    "pre-disclosure list; the active host takes the mail: try "
		    "again later" : "embargo-milter is stopping; try again later");
		msg_reset(&c->msg);
		return r;
	}
	/*
	 * A spooled (large) message is whole in memory only inside the
	 * gate, a few at a time; one over max_message_size is never read.
	 * While it waits its turn, the MTA is told every SPOOL_GATE_TICK s
	 * that the message is in hand: a queue of large messages is the
	 * daemon's own pacing, not a failure, and must not run out the MTA's
	 * end-of-message timeout (Postfix: 451 4.7.1 to the sender).
	 */
	gated = spool_large(&c->msg.in) && !c->msg.too_big;
	if (gated && !spool_gate_enter(still_here, ctx)) {
		/* The MTA stopped waiting: no one reads this answer. */
		r = verdict_fail(ctx, &c->msg, EM_EIO, "451", "4.3.2",
		    "the MTA stopped waiting while the message queued for "
		    "reading; try again later");
		msg_reset(&c->msg);
		return r;
	}
	if (!c->msg.too_big && spool_take(&c->msg.in, &c->msg.raw, &err) < 0)
		r = verdict_internal(ctx, &c->msg, err.msg);
	else
		r = eom_process(ctx, &c->msg);
	msg_reset(&c->msg);
	if (gated)
		spool_gate_leave();
	return r;
}

/* cb_abort - the transaction was abandoned */

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c != NULL)
		msg_reset(&c->msg);
	return SMFIS_CONTINUE;
}

/* cb_close - the connection ends */

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c != NULL) {
		msg_reset(&c->msg);
		free(c);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "embargo-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_DELRCPT,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
