/*
 * verdict.c - one decision, one mapping to the MTA
 *
 * policy_decide() returns one verdict; this switch maps it to SMFIS_*.
 * verdict_internal() turns a failure and on_error into a reply with an RFC
 * 3463 code.  An unknown case is a tempfail, never an accept.
 */

/* System library. */
#include <stdio.h>
#include <string.h>

/* Application-specific. */
#include "milter.h"
#include "../util/log.h"

/* set_reply - smfi_setreply with text made safe for an SMTP line */

static void
set_reply(SMFICTX *ctx, const char *rcode, const char *xcode, const char *text)
{
	char safe[512];
	size_t n = 0;

	/* libmilter gives '%' a meaning; SMTP wants printable ASCII. */
	for (const char *p = text; *p && n + 1 < sizeof(safe); p++)
		safe[n++] = (char)((*p >= 0x20 && *p < 0x7f && *p != '%') ? *p : '?');
	safe[n] = '\0';
	if (smfi_setreply(ctx, (char *)rcode, (char *)xcode, safe) != MI_SUCCESS)
		log_msg(LOG_WARNING, NULL, "smfi_setreply failed for %s %s",
		    rcode, xcode);
}

/* verdict_fail - refuse (5xx) or defer (4xx) with a reason */

sfsistat
verdict_fail(SMFICTX *ctx, const struct msg_ctx *m, int code,
    const char *rcode, const char *xcode, const char *reason)
{
	(void)code;
	log_msg(rcode[0] == '5' ? LOG_NOTICE : LOG_WARNING,
	    m ? m->qid : NULL, "%s %s %s", rcode, xcode, reason);
	set_reply(ctx, rcode, xcode, reason);
	return rcode[0] == '5' ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/* verdict_internal - an internal failure, as on_error says */

sfsistat
verdict_internal(SMFICTX *ctx, const struct msg_ctx *m, const char *reason)
{
	if (m != NULL && m->cfg != NULL &&
	    m->cfg->on_error == CONF_ON_ERROR_ACCEPT) {
		log_msg(LOG_ERR, m->qid, "internal error, accepted as on_error "
		    "= accept says: %s", reason);
		return SMFIS_ACCEPT;
	}
	return verdict_fail(ctx, m, EM_EIO, "451", "4.3.0", reason);
}

/* verdict_apply - map a policy decision to the MTA */

sfsistat
verdict_apply(SMFICTX *ctx, const struct msg_ctx *m,
    const struct policy_decision *d)
{
	switch (d->verdict) {
	case POLICY_PASS:
		log_msg(LOG_INFO, m->qid, "from=<%s> nrcpt=%zu id=%s: pass (%s)",
		    m->sender, m->rcpts.n, d->advisory_id[0] ? d->advisory_id :
		    "-", d->reason);
		return SMFIS_ACCEPT;
	case POLICY_REJECT:
		log_msg(LOG_NOTICE, m->qid, "from=<%s> nrcpt=%zu id=%s: reject "
		    "(%s)", m->sender, m->rcpts.n, d->advisory_id[0] ?
		    d->advisory_id : "-", d->reason);
		set_reply(ctx, d->rcode, d->xcode, d->reply);
		return SMFIS_REJECT;
	case POLICY_TEMPFAIL:
		/* The reply goes to the sender and stays general; the log
		 * says what failed (the database, the record) and its cure
		 * (SPEC 7: a fault is logged with its cure). */
		if (d->reason[0] != '\0' && strcmp(d->reason, d->reply) != 0) {
			log_msg(LOG_WARNING, m->qid, "451 4.3.0 %s (%s)",
			    d->reply, d->reason);
			set_reply(ctx, "451", "4.3.0", d->reply);
			return SMFIS_TEMPFAIL;
		}
		return verdict_fail(ctx, m, EM_EIO, "451", "4.3.0", d->reply);
	case POLICY_FANOUT:
	case POLICY_HOLD:
	case POLICY_DISCUSS:
		/* Reached only when the caller has no store: fail closed. */
		return verdict_internal(ctx, m, "this message must be stored "
		    "and the state store is not available");
	}
	return verdict_internal(ctx, m, "unknown policy verdict");
}
