/*
 * eom.c - end of message: read, decrypt and verify, classify, decide,
 * commit, answer
 *
 * The order is the contract: whatever the decision changes (the audit
 * record at least) is committed before the MTA is answered; a failure to
 * commit is a failure (451 4.3.0 under on_error = tempfail).
 */

/* System library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "milter.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../reader/reader.h"
#include "../util/sha256.h"

/* outbox_msg_of - what the outbox needs of a collected message */

static struct outbox_msg
outbox_msg_of(const struct msg_ctx *m)
{
	struct outbox_msg o = { m->cfg, m->sender ? m->sender : "",
	    (const char *const *)m->rcpts.v, m->rcpts.n, m->qid, m->resend_key,
	    m->raw.data ? m->raw.data : "", m->raw.len, 0 };

	return o;
}

/*
 * refuse_limit - a message over a ceiling: refused, and, like every
 * decision, audited first (if the record cannot be committed, 451)
 */
static sfsistat
refuse_limit(SMFICTX *ctx, const struct msg_ctx *m, const char *rcode,
    const char *xcode, const char *why)
{
	struct outbox_msg om = outbox_msg_of(m);
	struct policy_decision d;
	struct facts f;
	struct em_err err;
	sfsistat r;

	memset(&d, 0, sizeof(d));
	d.verdict = POLICY_REJECT;
	(void)snprintf(d.event, sizeof(d.event), "rejected");
	(void)snprintf(d.reason, sizeof(d.reason), "%s %s %s", rcode, xcode, why);
	facts_init(&f);
	if (audit_decision(NULL, &om, &f, &d, "", &err) < 0)
		r = verdict_internal(ctx, m, err.msg);
	else
		r = verdict_fail(ctx, m, EM_ELIMIT, rcode, xcode, why);
	facts_free(&f);
	return r;
}

/* read_message - parse, decrypt, verify, classify */

static sfsistat
read_message(SMFICTX *ctx, struct msg_ctx *m, struct facts *f)
{
	const struct config *cfg = m->cfg;
	struct policy_limits lim = policy_limits_of(cfg);
	struct em_err err;
	int rc;

	em_err_clear(&err);
	rc = reader_read(m->raw.data ? m->raw.data : "", m->raw.len, &lim, f,
	    &err);
	if (rc == EM_OK && f->n_crypt > 0)
		rc = keys_read_crypt(cfg, &lim, f, &err);
	if (rc < 0) {
		struct policy_decision d;

		/* Never a 451 for what will never fit, nor ever decrypt. */
		policy_unreadable(rc, err.msg, &d);
		if (d.verdict == POLICY_REJECT)
			return refuse_limit(ctx, m, d.rcode, d.xcode, d.reply);
		return verdict_internal(ctx, m, err.msg);
	}
	policy_classify(cfg, f);
	return SMFIS_CONTINUE;
}

/*
 * edit_envelope - whoever gets a copy leaves the envelope: the list, the
 * members and the participants of a list post; for a discussion post
 * (discuss), the discussion list, the members and the team
 */
static sfsistat
edit_envelope(SMFICTX *ctx, const struct msg_ctx *m, bool discuss)
{
	size_t remaining = 0;

	for (size_t i = 0; i < m->rcpts.n; i++) {
		enum conf_role r = conf_addr_role(m->cfg, m->rcpts.v[i]);
		bool copied = r == CONF_ROLE_MEMBER || (discuss ?
		    r == CONF_ROLE_DISCUSSION || r == CONF_ROLE_TEAM :
		    r == CONF_ROLE_LIST || r == CONF_ROLE_PARTICIPANT);

		if (!copied) {
			remaining++;
			continue;
		}
		if (smfi_delrcpt(ctx, m->rcpts.v[i]) != MI_SUCCESS) {
			/* Committed already: the copies go out; the plain
			 * original must not reach a member. */
			return verdict_internal(ctx, m, "cannot remove a "
			    "recipient from the envelope");
		}
	}
	return remaining > 0 ? SMFIS_ACCEPT : SMFIS_DISCARD;
}

/*
 * resend_key - what a retry of this message by the sender's MTA has in
 * common with it: its Message-ID and its body (the MTA's own Received
 * header differs each time)
 */
static void
resend_key(struct msg_ctx *m, const struct facts *f)
{
	const char *raw = m->raw.data ? m->raw.data : "";
	const char *body = strstr(raw, "\r\n\r\n");
	struct buf k;
	char hex[SHA256_HEX];

	if (body == NULL)
		body = strstr(raw, "\n\n");
	buf_init(&k);
	buf_appendf(&k, "%s\n", f->message_id ? f->message_id : "");
	if (body != NULL)
		buf_append(&k, body, m->raw.len - (size_t)(body - raw));
	sha256_hex(k.data, k.len, hex);
	(void)snprintf(m->resend_key, sizeof(m->resend_key), "r:%s", hex);
	buf_free(&k);
}

/*
 * decide - the decision on the facts, in a read view of the state; with
 * quick, facts from policy_read_quick(), good only for a plain pass
 */
static int
decide(struct msg_ctx *m, struct facts *f, const struct policy_envelope *env,
    bool quick, struct policy_decision *d, struct em_err *err)
{
	struct store_view vc;
	struct policy_view view;

	if (quick) {
		struct policy_limits lim = policy_limits_of(m->cfg);

		if (policy_read_quick(m->raw.data ? m->raw.data : "",
		    m->raw.len, &lim, f, err) != EM_OK)
			return 1;
		policy_classify(m->cfg, f);
		/* A marker is never a plain pass: read it in full at once,
		 * rather than run the leak guard over it twice. */
		if (f->marker.kind != POLICY_MARKER_NONE ||
		    f->bad_marker.kind != POLICY_MARKER_NONE)
			return 1;
	}
	if (store_view_open(&vc, &view, state_store(), state_print_key(),
	    time(NULL), err) < 0)
		return EM_EIO;
	policy_decide(m->cfg, f, env, &view, vc.now, d);
	store_view_close(&vc);
	return quick && !d->plain ? 1 : EM_OK;
}

/*
 * act - what the decision changes, committed before the MTA is answered:
 * rule 1, rule 2, or the audit record of a pass or a refusal (the team's
 * posting to a public list makes its text public first)
 */
static sfsistat
act(SMFICTX *ctx, struct msg_ctx *m, const struct facts *f,
    const struct policy_decision *d)
{
	const struct config *cfg = m->cfg;
	struct outbox_msg om;
	struct em_err err;
	char sha[SHA256_HEX];
	bool resent = false;
	int rc;

	em_err_clear(&err);
	/* A plain pass is hashed only when it is audited (the common case
	 * costs nothing more than the reading). */
	if (d->plain && cfg->audit_passes != CONF_AUDIT_PASSES_ALL)
		return verdict_apply(ctx, m, d);
	sha256_hex(m->raw.data ? m->raw.data : "", m->raw.len, sha);
	if (d->plain) {
		om = outbox_msg_of(m);
		audit_pass_later(&om, f, d, sha);
		return verdict_apply(ctx, m, d);
	}
	resend_key(m, f);
	om = outbox_msg_of(m);
	switch (d->verdict) {
	case POLICY_FANOUT:
	case POLICY_DISCUSS:
		if (fanout_commit(&om, f, d, sha, &resent, &err) < 0)
			return verdict_internal(ctx, m, err.msg);
		return edit_envelope(ctx, m, d->verdict == POLICY_DISCUSS);
	case POLICY_HOLD:
		if ((rc = hold_commit(&om, f, d, sha, &resent, &err)) ==
		    EM_ELIMIT) {	/* never fits: refused, never retried */
			struct policy_decision r = *d;

			r.verdict = POLICY_REJECT;
			(void)snprintf(r.rcode, sizeof(r.rcode), "552");
			(void)snprintf(r.xcode, sizeof(r.xcode), "5.5.3");
			(void)snprintf(r.event, sizeof(r.event), "rejected");
			(void)snprintf(r.reply, sizeof(r.reply), "%s", err.msg);
			(void)snprintf(r.reason, sizeof(r.reason), "%s", err.msg);
			if (audit_decision(NULL, &om, f, &r, sha, &err) < 0)
				return verdict_internal(ctx, m, err.msg);
			return verdict_apply(ctx, m, &r);
		}
		if (rc < 0)
			return verdict_internal(ctx, m, err.msg);
		return SMFIS_DISCARD;
	case POLICY_PASS:
	case POLICY_REJECT:
		if ((d->verdict == POLICY_PASS && d->is_team &&
		    public_posting(cfg, f, om.rcpts, om.n_rcpts,
		    f->message_id ? f->message_id : m->qid, &err) < 0) ||
		    audit_decision(NULL, &om, f, d, sha, &err) < 0)
			return verdict_internal(ctx, m, err.msg);
		return verdict_apply(ctx, m, d);
	default:
		return verdict_apply(ctx, m, d);
	}
}

/* eom_process - the whole pipeline for one collected message */

sfsistat
eom_process(SMFICTX *ctx, struct msg_ctx *m)
{
	const struct config *cfg = m->cfg;
	struct policy_envelope env = { m->sender,
	    (const char *const *)m->rcpts.v, m->rcpts.n };
	struct policy_decision d;
	struct em_err err;
	struct facts f;
	sfsistat r;
	int rc;

	em_err_clear(&err);
	if (m->header_too_big || m->too_big) {
		policy_oversize(m->header_too_big, m->header_too_big ?
		    cfg->max_header_size : cfg->max_message_size, &d);
		return refuse_limit(ctx, m, d.rcode, d.xcode, d.reply);
	}
	/*
	 * Plain text mail is read first without its MIME tree: if that
	 * decides a plain pass, it is one; anything else is read in full.
	 */
	facts_init(&f);
	if ((rc = decide(m, &f, &env, true, &d, &err)) > 0) {
		facts_free(&f);
		facts_init(&f);
		em_err_clear(&err);
		if ((r = read_message(ctx, m, &f)) != SMFIS_CONTINUE) {
			facts_free(&f);
			return r;
		}
		rc = decide(m, &f, &env, false, &d, &err);
	}
	r = rc < 0 ? verdict_internal(ctx, m, err.msg) : act(ctx, m, &f, &d);
	facts_free(&f);
	return r;
}
