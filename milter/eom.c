/*
 * eom.c - end of message: read, classify, decide, answer
 */

/* System library. */
#include <stdio.h>
#include <time.h>

/* Application-specific. */
#include "milter.h"
#include "log.h"

/* eom_process - the whole pipeline for one collected message */

sfsistat
eom_process(SMFICTX *ctx, struct msg_ctx *m)
{
	const struct config *cfg = m->cfg;
	struct policy_limits lim = { cfg->mime_max_depth, cfg->mime_max_parts,
	    cfg->max_header_size };
	struct policy_envelope env = { m->sender,
	    (const char *const *)m->rcpts.v, m->rcpts.n };
	struct policy_decision d;
	struct em_err err;
	struct facts f;
	char why[600];
	sfsistat r;
	int rc;

	em_err_clear(&err);
	if (m->header_too_big) {
		(void)snprintf(why, sizeof(why), "message header larger than "
		    "max_header_size (%zu bytes)", cfg->max_header_size);
		return verdict_fail(ctx, m, EM_ELIMIT, "552", "5.3.4", why);
	}
	if (m->too_big) {
		(void)snprintf(why, sizeof(why), "message larger than "
		    "max_message_size (%zu bytes)", cfg->max_message_size);
		return verdict_fail(ctx, m, EM_ELIMIT, "552", "5.3.4", why);
	}
	facts_init(&f);
	rc = policy_read(m->raw.data ? m->raw.data : "", m->raw.len, &lim, &f,
	    &err);
	if (rc == EM_ELIMIT) {
		facts_free(&f);
		(void)snprintf(why, sizeof(why), "message structure too complex "
		    "to check: %s", err.msg);
		return verdict_fail(ctx, m, rc, "554", "5.6.0", why);
	}
	if (rc < 0) {
		facts_free(&f);
		return verdict_internal(ctx, m, err.msg);
	}
	policy_classify(cfg, &f);
	policy_decide(cfg, &f, &env, NULL, time(NULL), &d);
	r = verdict_apply(ctx, m, &d);
	facts_free(&f);
	return r;
}
