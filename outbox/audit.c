/*
 * audit.c - one audit record for one decision
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../util/sha256.h"

/*
 * A record whose strings it owns: built on the caller's thread, committed
 * on the writer's when nobody waits for it.
 */
struct audit_rec {
	struct store_audit a;
	char   *strs[5];		/* what a's pointers point into */
	char	keys[128];
	char	event[24];
	char	advisory[POLICY_ID_MAX];
	char	decision[16];
	char	sha[SHA256_HEX];
};

/* audit_build - the record of SPEC section 8 for a message's decision */

static void
audit_build(struct audit_rec *r, const struct outbox_msg *m,
    const struct facts *f, const struct policy_decision *d,
    const char *msg_sha)
{
	struct buf rcpts;

	memset(r, 0, sizeof(*r));
	buf_init(&rcpts);
	for (size_t i = 0; i < m->n_rcpts; i++) {
		char *addr = em_addr_norm(m->rcpts[i]);

		buf_appendf(&rcpts, "%s%s", i ? "," : "", addr);
		free(addr);
	}
	(void)snprintf(r->keys, sizeof(r->keys), "%s%s",
	    f->signer[0] ? "signer=" : "", f->signer);
	(void)snprintf(r->event, sizeof(r->event), "%s", d->event);
	(void)snprintf(r->advisory, sizeof(r->advisory), "%s", d->advisory_id);
	(void)snprintf(r->decision, sizeof(r->decision), "%s",
	    policy_verdict_name(d->verdict));
	r->strs[4] = f->unreadable ? xstrdup("encrypted to a key the list "
	    "does not hold: classified on its headers alone") :
	    f->sealed ? xasprintf("%s; %u archive member%s sealed by a "
	    "password none of the known ones opens: not read", d->reason,
	    f->sealed, f->sealed == 1 ? "" : "s") : xstrdup(d->reason);
	(void)snprintf(r->sha, sizeof(r->sha), "%s", msg_sha);
	r->strs[0] = xstrdup(m->qid);
	r->strs[1] = f->message_id ? xstrdup(f->message_id) : NULL;
	r->strs[2] = xstrdup(m->sender ? m->sender : "");
	r->strs[3] = xstrdup(rcpts.data ? rcpts.data : "");
	buf_free(&rcpts);
	r->a.time = time(NULL);
	r->a.event = r->event;
	r->a.queue_id = r->strs[0];
	r->a.message_id = r->strs[1];
	r->a.sender = r->strs[2];
	r->a.rcpts = r->strs[3];
	r->a.advisory = r->advisory;
	r->a.revision = f->advisory_id[0] ? f->revision : 0;
	r->a.embargo = d->embargo;
	r->a.decision = r->decision;
	r->a.reason = r->strs[4];
	r->a.keys = r->keys;
	r->a.msg_sha256 = r->sha;
}

/* audit_rec_free - what audit_build() allocated */

static void
audit_rec_free(struct audit_rec *r)
{
	for (size_t i = 0; i < sizeof(r->strs) / sizeof(r->strs[0]); i++)
		free(r->strs[i]);
}

/* audit_decision - the record for a decision, committed before returning */

int
audit_decision(struct store_txn *t, const struct outbox_msg *m,
    const struct facts *f, const struct policy_decision *d,
    const char *msg_sha, struct em_err *err)
{
	struct audit_rec r;
	int rc;

	audit_build(&r, m, f, d, msg_sha);
	rc = t != NULL ? store_audit_append(t, &r.a, err) :
	    auditq_commit(&r.a, err);
	audit_rec_free(&r);
	return rc;
}

/* audit_advisory - in t, the record of an event of one advisory */

int
audit_advisory(struct store_txn *t, const struct store_advisory *a,
    time_t now, const char *event, const char *decision, const char *reason,
    struct em_err *err)
{
	struct store_audit au = { 0 };

	au.time = now;
	au.event = event;
	au.advisory = a->id;
	au.revision = a->revision;
	au.embargo = a->embargo;
	au.decision = decision;
	au.reason = reason;
	return store_audit_append(t, &au, err);
}

/* append_later - txq_post() work: the queued record */

static int
append_later(struct store_txn *t, void *arg, struct em_err *err)
{
	return store_audit_append(t, &((struct audit_rec *)arg)->a, err);
}

/* release_later - after its commit: log a failure, free the record */

static void
release_later(void *arg, int rc, const char *why)
{
	struct audit_rec *r = arg;

	if (rc < 0)
		log_msg(LOG_ERR, r->a.queue_id, "the audit record of a pass "
		    "(audit_passes = all) was not committed: %s", why);
	audit_rec_free(r);
	free(r);
}

/*
 * audit_pass_later - SPEC 5: a plain pass of mail that concerns no
 * advisory, recorded in a later group commit that nobody waits for
 */
void
audit_pass_later(const struct outbox_msg *m, const struct facts *f,
    const struct policy_decision *d, const char *msg_sha)
{
	struct audit_rec *r = xcalloc(1, sizeof(*r));

	audit_build(r, m, f, d, msg_sha);
	txq_post(append_later, r, release_later);
}

/*
 * resend_check - a sender's MTA that got no answer (the milter restarted
 * between its commit and its answer) sends the same message again: it is
 * answered as before and nothing is done twice.  The resend is audited.
 */
int
resend_check(struct store_txn *t, const struct outbox_msg *m,
    const struct facts *f, const struct policy_decision *d, const char *what,
    bool *resent, struct em_err *err)
{
	struct policy_decision again;
	char before[128];
	int rc;

	*resent = false;
	if (m->resend_key == NULL || m->resend_key[0] == '\0')
		return EM_OK;
	if ((rc = store_seen_get(t, m->resend_key, before, sizeof(before),
	    err)) == EM_ENOTFOUND)
		return store_seen_put(t, m->resend_key, what, err);
	if (rc < 0)
		return rc;
	*resent = true;
	again = *d;
	(void)snprintf(again.reason, sizeof(again.reason), "a resend of a "
	    "message already %s (same Message-ID and body): nothing done again",
	    before);
	return audit_decision(t, m, f, &again, "", err);
}
