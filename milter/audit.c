/*
 * audit.c - one audit record for one decision
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Application-specific. */
#include "milter.h"

/* audit_decision - the record of SPEC section 8 for a message's decision */

int
audit_decision(struct store_txn *t, const struct msg_ctx *m,
    const struct facts *f, const struct policy_decision *d,
    const char *msg_sha, struct em_err *err)
{
	struct store_audit a = { 0 };
	struct buf rcpts;
	char keys[128];
	int rc;

	buf_init(&rcpts);
	for (size_t i = 0; i < m->rcpts.n; i++) {
		char *r = em_addr_norm(m->rcpts.v[i]);

		buf_appendf(&rcpts, "%s%s", i ? "," : "", r);
		free(r);
	}
	(void)snprintf(keys, sizeof(keys), "%s%s", f->signer[0] ? "signer=" : "",
	    f->signer);
	a.time = time(NULL);
	a.event = d->event;
	a.queue_id = m->qid;
	a.message_id = f->message_id;
	a.sender = m->sender;
	a.rcpts = rcpts.data;
	a.advisory = d->advisory_id;
	a.revision = f->advisory_id[0] ? f->revision : 0;
	a.embargo = d->embargo;
	a.decision = policy_verdict_name(d->verdict);
	a.reason = f->unreadable ? "encrypted to a key the list does not hold: "
	    "classified on its headers alone" : d->reason;
	a.keys = keys;
	a.msg_sha256 = msg_sha;
	rc = t != NULL ? store_audit_append(t, &a, err) : auditq_commit(&a, err);
	buf_free(&rcpts);
	return rc;
}

/*
 * resend_check - a sender's MTA that got no answer (the milter restarted
 * between its commit and its answer) sends the same message again: it is
 * answered as before and nothing is done twice.  The resend is audited.
 */
int
resend_check(struct store_txn *t, const struct msg_ctx *m,
    const struct facts *f, const struct policy_decision *d, const char *what,
    bool *resent, struct em_err *err)
{
	struct policy_decision again;
	char before[128];

	*resent = false;
	if (m->resend_key[0] == '\0')
		return EM_OK;
	if (store_seen_get(t, m->resend_key, before, sizeof(before)) != EM_OK)
		return store_seen_put(t, m->resend_key, what, err);
	*resent = true;
	again = *d;
	(void)snprintf(again.reason, sizeof(again.reason), "a resend of a "
	    "message already %s (same Message-ID and body): nothing done again",
	    before);
	return audit_decision(t, m, f, &again, "", err);
}
