/*
 * notice.c - receipts and notices to the team go through the outbox too,
 * so that they survive a crash like any copy
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "outbox.h"

/* notice_queue - build a notice and put it in the outbox, ready to send */

int
notice_queue(struct store_txn *t, const struct config *cfg,
    const struct notice_spec *ns, struct em_err *err)
{
	const char *to = ns->to, *advisory = ns->advisory;
	const char *subject = ns->subject, *body = ns->body;
	int revision = ns->revision;
	time_t now = ns->now;
	struct store_outbox ob;
	struct policy_notice n;
	struct buf msg;
	char hash[65], head[96];
	uint64_t seq;
	int rc;
	struct ledger_ob_spec sp = { STORE_OB_NOTICE, advisory, revision, NULL,
	    to, NULL, NULL, 0, 0, false, "notice", now, 0 };

	if ((rc = ledger_ob_new(t, cfg, &sp, &ob, err)) < 0)
		return rc;
	n.from = cfg->list_address;
	n.to = to;
	n.subject = subject;
	n.message_id = ob.message_id;
	n.date = now;
	n.body = body;
	/* The head as this transaction leaves it, its own records included. */
	if ((rc = store_audit_head(t, &seq, hash)) < 0)
		return em_fail(err, rc, "state store: audit head unreadable");
	(void)snprintf(head, sizeof(head), "%llu:%s", (unsigned long long)seq,
	    hash);
	n.audit_head = head;
	buf_init(&msg);
	policy_build_notice(&n, &msg);
	rc = store_blob_put(t, STORE_BLOB_NOTE, ob.id, msg.data, msg.len, err);
	buf_free(&msg);
	return rc;
}
