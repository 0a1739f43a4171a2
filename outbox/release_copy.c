/*
 * release_copy.c - what a release sends: the final copy to the list (a
 * fan-out of the released posting), the held posting unsealed, and one
 * release entry per recipient of a hold
 *
 * Used by the release at the date (release_holds.c) and by the
 * preparation ahead of it (release_prepare.c).  Nothing here commits a
 * hold's state: the callers do, in their own transaction.
 *
 * How it fails: every function returns 0 or a negative EM_E* code with
 * the reason in err; the caller does not release (or prepare) the hold
 * then, and the release timer tries again after its backoff.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../keys/keys.h"

/* final_decision - the fan-out decision of a final copy of revision rev */

static void
final_decision(const struct store_advisory *a, const struct store_hold *h,
    uint64_t ahead, int rev, int sent, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = POLICY_FANOUT;
	d->embargoed = ahead != 0 && a->state == STORE_ADV_EMBARGOED &&
	    a->embargo > time(NULL);
	d->embargo = d->embargoed ? a->embargo : 0;
	(void)snprintf(d->event, sizeof(d->event), "final-copy");
	(void)snprintf(d->advisory_id, sizeof(d->advisory_id), "%s",
	    h->advisory);
	(void)snprintf(d->reason, sizeof(d->reason), "final copy of "
	    "revision %d at release of hold %llu (the list had revision "
	    "%d)", rev, (unsigned long long)h->id, sent);
}

/*
 * release_final_copy - SPEC 5: when an advisory becomes public, the list gets a
 * final copy of the released posting if that revision was not already
 * sent to it.  Done before the hold is marked released: after a crash in
 * between, the revision counts as sent, so it is not fanned out twice.
 * *revision: the posting's revision, for the release's audit record.
 * With ahead (hold N), made ahead of the date: the advisory keeps its
 * date, and the copies wait for it (see release_prepare_hold).  A failure is
 * returned: the hold is not released (or prepared) then, and the release
 * timer tries again after its backoff, like any copy.
 */
int
release_final_copy(const struct config *cfg, const struct store_hold *h,
    const struct buf *plain, uint64_t ahead, int *revision,
    struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	const char *list = cfg->list_address;
	struct outbox_msg m = { cfg, h->sender, &list, 1, h->queue_id, "",
	    NULL, 0, ahead };
	struct store_advisory a;
	struct policy_decision d;
	struct store_txn *t;
	struct facts f;
	bool resent;
	int sent = 0, rc;

	if (h->advisory[0] == '\0' || list == NULL)
		return EM_OK;
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	memset(&a, 0, sizeof(a));
	/* Never registered: the list has had no revision of it. */
	if ((rc = store_adv_get(t, h->advisory, &a, err)) == EM_OK)
		sent = a.list_revision_sent;
	store_abort(t);
	if (rc < 0 && rc != EM_ENOTFOUND)
		return rc;
	facts_init(&f);
	if ((rc = policy_read(plain->data, plain->len, &lim, &f, err)) < 0 ||
	    (f.n_crypt > 0 && (rc = keys_read_crypt(cfg, &lim, &f, err)) < 0)) {
		facts_free(&f);
		return rc;
	}
	policy_classify(cfg, &f);
	*revision = f.revision;
	/* A released posting is public: its text is public text (SPEC 4);
	 * one prepared ahead is not, until its date. */
	if (ahead == 0 && (rc = public_posting(cfg, &f,
	    (const char *const *)cfg->public_lists.v, cfg->public_lists.n,
	    h->queue_id, err)) < 0) {
		facts_free(&f);
		return rc;
	}
	if (f.revision > sent) {
		final_decision(&a, h, ahead, f.revision, sent, &d);
		/* No resend key: a final copy is made once, by the release
		 * (list_revision_sent, in the same commit, says it was). */
		rc = fanout_commit(&m, &f, &d, "", &resent, err);
	}
	facts_free(&f);
	return rc;
}

/* release_unsealed_hold - a hold still held, and its posting decrypted */

int
release_unsealed_hold(uint64_t id, struct store_hold *h, struct buf *plain,
    struct em_err *err)
{
	struct store_txn *t;
	struct buf sealed;
	int rc;

	buf_init(&sealed);
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_hold_get(t, id, h, err)) == EM_OK) {
		if (h->state != STORE_HOLD_HELD)
			rc = em_fail(err, EM_ENOTFOUND, "hold %llu is no longer "
			    "held", (unsigned long long)id);
		else
			rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed,
			    err);
	}
	store_abort(t);
	if (rc == EM_OK)
		rc = keys_unseal(sealed.data, sealed.len, plain, err);
	buf_free(&sealed);
	return rc;
}

/*
 * release_queue - in t, one built outbox entry per recipient of h: with
 * due, prepared ahead (its bytes the sealed posting, sent at due), else
 * the plain posting, sent now
 */
int
release_queue(struct store_txn *t, const struct config *cfg,
    const struct store_hold *h, const struct buf *bytes, int revision,
    time_t now, time_t due, struct em_err *err)
{
	char *rcpts = xstrdup(h->rcpts), *r, *next;
	int rc = EM_OK;

	for (r = rcpts; r != NULL && *r != '\0' && rc == EM_OK; r = next) {
		struct store_outbox ob;

		if ((next = strchr(r, ',')) != NULL)
			*next++ = '\0';
		/* Never the plain posting to the list: members get copies. */
		if (conf_addr_role(cfg, r) == CONF_ROLE_LIST)
			continue;
		{
			/* Prepared ahead (due): its bytes rest sealed, read
			 * by deliver.c's built_bytes(). */
			struct ledger_ob_spec s = { STORE_OB_RELEASE,
			    h->advisory, h->advisory[0] ? revision : 0, NULL, r,
			    NULL, h->sender, 0, h->id, due != 0, NULL, now,
			    due };

			if ((rc = ledger_ob_new(t, cfg, &s, &ob, err)) == EM_OK)
				rc = store_blob_put(t, STORE_BLOB_REL, ob.id,
				    bytes->data, bytes->len, err);
		}
	}
	free(rcpts);
	return rc;
}
