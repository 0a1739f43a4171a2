/*
 * hold.c - a held posting's life: new, prepared, retimed, released,
 * dropped; a release said late
 *
 *   held --release (at its date, or at once)--> released
 *   held --drop (embargoctl held drop)--------> dropped
 *   held --a date moved, release asked-------> held (what was prepared
 *                                               for it follows)
 *   held or released, not out by its date and release_alarm
 *        --said to the team, once-------------> the same (alarmed)
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "ledger.h"

/* ledger_hold_new - a new hold, its envelope whole or EM_ELIMIT */

int
ledger_hold_new(struct store_txn *t, struct store_hold *h,
    const char *advisory, const char *sender, const char *const *rcpts,
    size_t n_rcpts, const char *queue_id, time_t embargo, time_t now,
    struct em_err *err)
{
	size_t used = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	h->state = STORE_HOLD_HELD;
	h->held_at = now;
	h->embargo = embargo;
	if ((rc = em_copy(h->advisory, sizeof(h->advisory), advisory,
	    "the advisory id", err)) < 0 ||
	    (rc = em_copy(h->sender, sizeof(h->sender), sender,
	    "the envelope sender", err)) < 0 ||
	    (rc = em_copy(h->queue_id, sizeof(h->queue_id), queue_id,
	    "the queue id", err)) < 0)
		return rc;
	for (size_t i = 0; i < n_rcpts && rc == EM_OK; i++) {
		char *r = em_addr_norm(rcpts[i]);

		rc = em_fmt(h->rcpts + used, sizeof(h->rcpts) - used,
		    "recipients", err, "%s%s", i ? "," : "", r);
		used += strlen(h->rcpts + used);
		free(r);
	}
	if (rc < 0)
		return em_fail(err, EM_ELIMIT, "too many recipients for a held "
		    "posting: its %zu recipients do not fit in %zu bytes; send "
		    "it to fewer recipients at once (a list address reaches the "
		    "rest)", n_rcpts, sizeof(h->rcpts) - 1);
	return store_hold_put(t, h, err);
}

/* hold_audit - the audit record of something that happened to hold h */

static int
hold_audit(struct store_txn *t, const struct store_hold *h, int revision,
    const char *event, const char *decision, const char *why, time_t now,
    struct em_err *err)
{
	struct store_audit a = { 0 };

	a.time = now;
	a.event = event;
	a.queue_id = h->queue_id;
	a.sender = h->sender;
	a.rcpts = h->rcpts;
	a.advisory = h->advisory;
	a.revision = h->advisory[0] ? revision : 0;
	a.decision = decision;
	a.reason = why;
	return store_audit_append(t, &a, err);
}

/* ledger_hold_release - a held hold released, audited */

int
ledger_hold_release(struct store_txn *t, struct store_hold *h, int revision,
    time_t now, bool keep_sealed, struct em_err *err)
{
	char why[64];
	int rc;

	if (h->state != STORE_HOLD_HELD)
		return em_fail(err, EM_ESTORE, "hold %llu is not held: it cannot "
		    "be released", (unsigned long long)h->id);
	h->state = STORE_HOLD_RELEASED;
	h->released_at = now;
	(void)snprintf(why, sizeof(why), "hold %llu released",
	    (unsigned long long)h->id);
	if ((!keep_sealed &&
	    (rc = store_blob_del(t, STORE_BLOB_HOLD, h->id, err)) < 0) ||
	    (rc = store_hold_put(t, h, err)) < 0)
		return rc;
	return hold_audit(t, h, revision, "released", "released", why, now, err);
}

/* ledger_hold_change - dropped (why) or released now (why NULL) */

int
ledger_hold_change(struct store_txn *t, struct store_hold *h, const char *why,
    const char *said, time_t now, struct em_err *err)
{
	int rc;

	if (h->state != STORE_HOLD_HELD)
		return em_fail(err, EM_ESTORE, "hold %llu is not held",
		    (unsigned long long)h->id);
	if (why != NULL) {
		h->state = STORE_HOLD_DROPPED;
		if ((rc = em_copy(h->why, sizeof(h->why), why, "the reason",
		    err)) < 0)
			return rc;
		/* Its sealed posting goes with it (gone already is no error). */
		if ((rc = store_blob_del(t, STORE_BLOB_HOLD, h->id, err)) < 0)
			return rc;
	} else {
		h->release_now = true;
	}
	if ((rc = store_hold_put(t, h, err)) < 0)
		return rc;
	/* What was prepared for its date is cancelled, or due now. */
	return ledger_hold_prepared(t, h->id, now, why ? said : NULL, err);
}

struct tagged { uint64_t hold; uint64_t *ids; size_t n; };

/* tagged_cb - a pending entry prepared for the hold */

static int
tagged_cb(const struct store_outbox *ob, void *ctx)
{
	struct tagged *g = ctx;

	if (ob->hold == g->hold) {
		g->ids = xrealloc(g->ids, (g->n + 1) * sizeof(*g->ids));
		g->ids[g->n++] = ob->id;
	}
	return 0;
}

/* ledger_hold_prepared - retime or cancel what was prepared for a hold */

int
ledger_hold_prepared(struct store_txn *t, uint64_t hold, time_t when,
    const char *cancel, struct em_err *err)
{
	struct tagged g = { hold, NULL, 0 };
	int rc;

	/* Collected first: an update moves entries in the index walked. */
	if ((rc = store_ob_each_pending(t, tagged_cb, &g, err)) < 0) {
		free(g.ids);
		return rc;
	}
	for (size_t i = 0; i < g.n && rc == EM_OK; i++) {
		struct store_outbox ob;
		if ((rc = store_ob_get(t, g.ids[i], &ob, err)) < 0)
			break;
		if (cancel != NULL) {
			/* Whole here; last_error marks where it is cut. */
			char *why = xasprintf("not sent: %s", cancel);

			rc = ledger_ob_step(&ob, LEDGER_OB_CANCELLED, 0, why, err);
			free(why);
		} else if (ob.state == STORE_OB_BUILT) {
			rc = ledger_ob_step(&ob, LEDGER_OB_WAIT, when, NULL, err);
		} else {
			continue;	/* still to be built: set when built */
		}
		if (rc == EM_OK)
			rc = store_ob_put(t, &ob, err);
	}
	free(g.ids);
	return rc;
}

struct held_of { const char *advisory; uint64_t *ids; size_t n; };

/* held_of_cb - a hold still held for the advisory */

static int
held_of_cb(const struct store_hold *h, void *ctx)
{
	struct held_of *g = ctx;

	if (h->state == STORE_HOLD_HELD && strcmp(h->advisory, g->advisory) == 0) {
		g->ids = xrealloc(g->ids, (g->n + 1) * sizeof(*g->ids));
		g->ids[g->n++] = h->id;
	}
	return 0;
}

/* ledger_adv_retime - every hold of the advisory: its prepared entries due
 * at its due time as t now has it */

int
ledger_adv_retime(struct store_txn *t, const char *advisory, time_t now,
    struct em_err *err)
{
	struct held_of g = { advisory, NULL, 0 };
	int rc = store_hold_each(t, held_of_cb, &g, err);

	for (size_t i = 0; i < g.n && rc == EM_OK; i++) {
		struct store_hold h;
		time_t due;

		if ((rc = store_hold_get(t, g.ids[i], &h, err)) == EM_OK &&
		    (rc = store_hold_due(t, &h, now, &due, err)) == EM_OK)
			rc = ledger_hold_prepared(t, h.id, due, NULL, err);
	}
	free(g.ids);
	return rc;
}

/* late_tag - "hold N": the meta list "alarmed" keeps a hold under it, as
 * "prepared" does (outbox/release_scan.c, release_hold_tag) */

static void
late_tag(uint64_t id, char *out, size_t n)
{
	(void)snprintf(out, n, "hold %llu", (unsigned long long)id);
}

/* ledger_hold_alarmed - when hold id's late release was said */

int
ledger_hold_alarmed(struct store_txn *t, uint64_t id, time_t *when,
    struct em_err *err)
{
	char tag[32];

	late_tag(id, tag, sizeof(tag));
	return store_adv_time_get(t, "alarmed", tag, when, err);
}

/* ledger_hold_late - a late release said, once, audited */

int
ledger_hold_late(struct store_txn *t, const struct store_hold *h,
    int revision, const char *why, time_t now, struct em_err *err)
{
	char tag[32];
	time_t was;
	int rc;

	if ((rc = ledger_hold_alarmed(t, h->id, &was, err)) == EM_OK)
		return em_fail(err, EM_ESTORE, "hold %llu: its late release was "
		    "said already", (unsigned long long)h->id);
	if (rc != EM_ENOTFOUND)
		return rc;
	late_tag(h->id, tag, sizeof(tag));
	if ((rc = store_adv_num_put(t, "alarmed", tag, (long long)now,
	    err)) < 0)
		return rc;
	return hold_audit(t, h, revision, "release-late", "told", why, now, err);
}
