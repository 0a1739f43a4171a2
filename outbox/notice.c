/*
 * notice.c - receipts and notices to the team go through the outbox too,
 * so that they survive a crash like any copy
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Application-specific. */
#include "outbox.h"

/* msgid_make - "<what>.<id>.<random>@<list domain>", fixed once made */

void
msgid_make(const struct config *cfg, const char *what, uint64_t id, char *out,
    size_t outsz)
{
	const char *dom = cfg->list_address ? strchr(cfg->list_address, '@') : NULL;
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	(void)snprintf(out, outsz, "%s.%llu.%02x%02x%02x%02x%02x%02x%02x%02x@%s",
	    what, (unsigned long long)id, r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], dom ? dom + 1 : "localhost");
}

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

	memset(&ob, 0, sizeof(ob));
	if ((rc = store_next_id(t, &ob.id, err)) < 0)
		return rc;
	ob.kind = STORE_OB_NOTICE;
	ob.state = STORE_OB_BUILT;
	ob.created = now;
	ob.next_try = now;
	ob.revision = revision;
	(void)snprintf(ob.advisory, sizeof(ob.advisory), "%s", advisory);
	(void)snprintf(ob.rcpt, sizeof(ob.rcpt), "%s", to);
	msgid_make(cfg, "notice", ob.id, ob.message_id, sizeof(ob.message_id));
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
	if (rc == EM_OK)
		rc = store_ob_put(t, &ob, err);
	return rc;
}
