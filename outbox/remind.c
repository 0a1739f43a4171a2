/*
 * remind.c - the team reminded remind_before an advisory's date: one
 * notice naming every posting held for it and every member still waiting
 * for a key, audited, once per date (reminded_for)
 *
 * How it fails: a reminder that cannot be queued is logged and the
 * advisory stays unreminded for its date, so the next scan tries again.
 */

/* System library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

struct remind_ctx { struct store_txn *t; const struct config *cfg;
    const char *id; struct buf *body; unsigned n; };

/* remind_hold - one held posting of the advisory, named in the reminder */

static int
remind_hold(const struct store_hold *h, void *ctx)
{
	struct remind_ctx *r = ctx;
	struct buf sealed, plain;
	struct policy_limits lim = policy_limits_of(r->cfg);
	struct facts f;
	struct em_err err;
	int rc;

	if (h->state != STORE_HOLD_HELD || strcmp(h->advisory, r->id) != 0)
		return 0;
	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	em_err_clear(&err);
	if ((rc = store_blob_get(r->t, STORE_BLOB_HOLD, h->id, &sealed,
	    &err)) == EM_OK &&
	    (rc = keys_unseal(sealed.data, sealed.len, &plain, &err)) == EM_OK)
		rc = policy_read(plain.data, plain.len, &lim, &f, &err);
	/* The reminder names every hold: one it cannot read says so (the
	 * reason names no text). */
	if (rc < 0)
		buf_appendf(r->body, "  hold %llu to %s\n    (its posting "
		    "cannot be read now: %s)\n", (unsigned long long)h->id,
		    h->rcpts, em_strerror(rc));
	else
		buf_appendf(r->body, "  hold %llu to %s\n    Subject: %s\n",
		    (unsigned long long)h->id, h->rcpts, f.subject);
	facts_free(&f);
	buf_free(&sealed);
	buf_free(&plain);
	r->n++;
	return 0;
}

/* remind_waiting - one copy still waiting for a key, named in the reminder */

static int
remind_waiting(const struct store_outbox *ob, void *ctx)
{
	struct remind_ctx *r = ctx;

	if (ob->kind == STORE_OB_COPY && ob->state == STORE_OB_WAITING_KEY &&
	    strcmp(ob->advisory, r->id) == 0)
		buf_appendf(r->body, "  %s <%s>: %s\n", ob->member, ob->rcpt,
		    ob->last_error);
	return 0;
}

/* remind_body - what the reminder lists: the holds, the waiting copies */

static int
remind_body(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, struct buf *body, struct em_err *err)
{
	struct buf held;
	struct remind_ctx r = { t, cfg, a->id, &held, 0 };
	char ts[EM_TIME_BUFSZ];
	int rc;

	buf_init(&held);
	if ((rc = store_hold_each(t, remind_hold, &r, err)) < 0) {
		buf_free(&held);
		return rc;
	}
	/* Said first: a release with nothing to announce (SPEC 5). */
	if (r.n == 0 && cfg->n_hooks == 0)
		buf_appendf(body, "Nothing will be announced at %s: no public "
		    "posting is held for %s and no release hook is configured."
		    "\n\n", em_time_format(a->embargo, ts), a->id);
	else if (r.n == 0)
		buf_appendf(body, "No public posting is held for %s: at %s only "
		    "the release hooks run (%zu: %s%s).\n\n", a->id,
		    em_time_format(a->embargo, ts), cfg->n_hooks,
		    cfg->hooks[0].name, cfg->n_hooks > 1 ? ", ..." : "");
	buf_appendf(body, "%s becomes public at %s.\n\nThis is the last moment "
	    "to move the date (embargoctl embargo %s --until WHEN)\nor to fix a "
	    "held posting.\n\nHeld postings that will go out then:\n%s", a->id,
	    em_time_format(a->embargo, ts), a->id, r.n ? held.data : "  (none)\n");
	buf_free(&held);
	r.body = body;
	buf_appends(body, "\nMembers still waiting for a key:\n");
	return store_ob_each(t, remind_waiting, &r, err);
}

/*
 * release_remind - one advisory's reminder to the team, audited, once
 * per date; now: the time its notice and audit record carry
 */
int
release_remind(const struct config *cfg, const char *id, time_t now)
{
	struct store_advisory a, old;
	struct store_txn *t;
	struct em_err err;
	struct buf body;
	struct notice_spec n = { 0 };
	char subject[160], ts[EM_TIME_BUFSZ];
	int rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
		return EM_ESTORE;
	}
	if ((rc = store_adv_get(t, id, &a, &err)) < 0 ||
	    cfg->team_addresses.n == 0) {
		/* Gone meanwhile (embargoctl), or nobody to remind. */
		store_abort(t);
		if (rc < 0 && rc != EM_ENOTFOUND) {
			log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id,
			    err.msg);
			return rc;
		}
		return EM_OK;
	}
	buf_init(&body);
	(void)snprintf(subject, sizeof(subject), "Reminder: %s goes public at %s",
	    id, em_time_format(a.embargo, ts));
	old = a;
	a.reminded_for = a.embargo;
	n.to = cfg->team_addresses.v[0];
	n.advisory = id;
	n.revision = a.revision;
	n.subject = subject;
	n.now = now;
	rc = remind_body(t, cfg, &a, &body, &err);
	n.body = body.data;
	if (rc < 0 || (rc = notice_queue(t, cfg, &n, &err)) < 0 ||
	    (rc = ledger_adv_put(t, &old, &a, now, &err)) < 0 ||
	    (rc = audit_advisory(t, &a, now, "reminder", "reminded",
	    cfg->team_addresses.v[0], &err)) < 0) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
	} else if ((rc = store_commit(t, &err)) < 0) {	/* t is gone */
		log_msg(LOG_ERR, NULL, "no reminder of %s: %s", id, err.msg);
	} else {
		log_msg(LOG_INFO, NULL, "reminder for %s sent to the team", id);
	}
	buf_free(&body);
	return rc < 0 ? rc : EM_OK;
}
