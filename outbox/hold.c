/*
 * hold.c - rule 2: the team's public posting about an embargoed advisory
 * is kept, sealed to the list key, until the advisory's embargo date
 *
 * The hold, its audit record and the sender's receipt are one
 * transaction, committed before the MTA is told to discard the message.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

/* hold_receipt - the sender learns the hold id and the release time */

static int
hold_receipt(struct store_txn *t, const struct outbox_msg *m,
    const struct store_hold *h, int revision, time_t when, time_t now,
    struct em_err *err)
{
	char subject[200], body[1600], ts[EM_TIME_BUFSZ];

	(void)snprintf(subject, sizeof(subject), "Held: your posting about %s "
	    "(hold %llu)", h->advisory[0] ? h->advisory : "an embargoed advisory",
	    (unsigned long long)h->id);
	(void)snprintf(body, sizeof(body),
	    "embargo-milter is holding your posting until the embargo date.\n\n"
	    "Hold id:   %llu\n"
	    "Advisory:  %s\n"
	    "Release:   %s (the advisory's embargo date; the hold follows any "
	    "change of date)\n"
	    "To:        %s\n\n"
	    "'embargoctl held show %llu' shows it; 'embargoctl held drop %llu "
	    "--why TEXT' withdraws it.\n",
	    (unsigned long long)h->id, h->advisory[0] ? h->advisory : "-",
	    em_time_format(when, ts), h->rcpts, (unsigned long long)h->id,
	    (unsigned long long)h->id);
	{
		struct notice_spec n = { m->sender, h->advisory,
		    h->advisory[0] ? revision : 0, subject, body, now };

		return notice_queue(t, m->cfg, &n, err);
	}
}

/* hold_commit - seal, record, audit, receipt: one transaction */

int
hold_commit(const struct outbox_msg *m, const struct facts *f,
    const struct policy_decision *d, const char *msg_sha, bool *resent,
    struct em_err *err)
{
	struct store_hold h;
	struct store_txn *t;
	struct buf sealed;
	time_t now = time(NULL);
	int rc;

	buf_init(&sealed);
	if ((rc = keys_seal(m->cfg->list_key, m->raw, m->raw_len, &sealed,
	    err)) < 0) {
		buf_free(&sealed);
		return rc;
	}
	if ((rc = store_begin(state_store(), true, &t, err)) < 0) {
		buf_free(&sealed);
		return rc;
	}
	if ((rc = resend_check(t, m, f, d, "held", resent, err)) < 0 ||
	    *resent) {
		if (rc == EM_OK)
			rc = store_commit(t, err);
		else
			store_abort(t);
		buf_free(&sealed);
		return rc;
	}
	/* Every recipient whole, or none held: EM_ELIMIT is refused 552
	 * 5.5.3 at the MTA (SPEC 5: the ceiling of a hold's recipients). */
	if ((rc = ledger_hold_new(t, &h, d->advisory_id, m->sender, m->rcpts,
	    m->n_rcpts, m->qid, d->embargo, now, err)) == EM_OK &&
	    (rc = store_blob_put(t, STORE_BLOB_HOLD, h.id, sealed.data,
	    sealed.len, err)) == EM_OK &&
	    (rc = audit_decision(t, m, f, d, msg_sha, err)) == EM_OK &&
	    (rc = hold_receipt(t, m, &h, f->revision, d->embargo, now,
	    err)) == EM_OK)
		rc = store_commit(t, err);
	else
		store_abort(t);
	buf_free(&sealed);
	if (rc == EM_OK) {
		log_msg(LOG_INFO, m->qid, "from=<%s> id=%s revision=%d: held as "
		    "hold %llu", m->sender, d->advisory_id[0] ? d->advisory_id :
		    "-", d->advisory_id[0] ? f->revision : 0,
		    (unsigned long long)h.id);
		state_wake(WAKE_RELEASE);
		deliver_kick();
	}
	return rc;
}
