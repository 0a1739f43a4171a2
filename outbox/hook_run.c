/*
 * hook_run.c - one step of the release hooks' runner: the first due run
 * picked, committed as running, run once, and its outcome recorded
 *
 * A run never starts while its advisory is under embargo (a date moved
 * later after it was queued makes it wait for the new date), nor when
 * its advisory's record cannot be read: a fault counts as under embargo.
 * The attempt is committed (state "running") before the command starts
 * and the outcome after, so a crash in between runs it again after the
 * restart: at least once, never skipped.  A failure is audited
 * (hook-failed) and tried again after a backoff; the team is told at the
 * first failure and when the tries end.  A commit that fails is returned
 * to the runner, which backs off before it looks again.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "hook_int.h"
#include "../util/log.h"

struct pick {
	time_t	now, next;
	const struct strv *skip;	/* advisories that cannot be read */
	struct store_outbox ob;
	bool	found;
};

/* pick_cb - the first due hook run of an advisory not skipped; the
 * earliest later one into next */

static int
pick_cb(const struct store_outbox *ob, void *ctx)
{
	struct pick *p = ctx;

	if (ob->kind != STORE_OB_HOOK || strv_has(p->skip, ob->advisory))
		return 0;
	if (ob->next_try <= p->now) {
		p->ob = *ob;
		p->found = true;
		return 1;
	}
	if (p->next == 0 || ob->next_try < p->next)
		p->next = ob->next_try;
	return 0;
}

/*
 * hook_pick - 1 with the first due run and its advisory in r, 0 when none
 * is due, < 0 when the outbox cannot be read, or when every due run is of
 * an advisory whose record cannot be read (the first such fault in err).
 * Such an advisory counts as under embargo: none of its runs is taken,
 * and its fault is logged; the runs of other advisories go on in order.
 */
int
hook_pick(struct hook_run *r, time_t *next, struct em_err *err)
{
	struct strv skip = { NULL, 0 };
	struct pick p;
	struct store_txn *t;
	struct em_err aerr;
	int rc, fault = EM_OK;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	for (;;) {
		p = (struct pick){ r->clock(NULL), 0, &skip, { 0 }, false };
		if ((rc = store_ob_each_pending(t, pick_cb, &p, err)) < 0 ||
		    !p.found ||
		    (rc = store_adv_get(t, p.ob.advisory, &r->a, &aerr)) == EM_OK)
			break;
		log_msg(LOG_ERR, NULL, "release hooks of %s: not run: %s",
		    p.ob.advisory, aerr.msg);
		if (fault == EM_OK)
			fault = em_fail(err, rc, "%s", aerr.msg);
		strv_push(&skip, p.ob.advisory);
	}
	store_abort(t);
	strv_free(&skip);
	*next = p.next;
	r->ob = p.ob;
	if (rc < 0)
		return rc;
	return p.found ? 1 : fault < 0 ? fault : 0;
}

/* audit_run - an audit record about one run, in t */

static int
audit_run(struct store_txn *t, const struct hook_run *r, const char *event,
    const char *reason, struct em_err *err)
{
	struct store_audit au = { 0 };

	au.time = r->clock(NULL);
	au.event = event;
	au.advisory = r->ob.advisory;
	au.revision = r->ob.revision;
	au.embargo = r->a.embargo;
	au.decision = event;
	au.reason = reason;
	return store_audit_append(t, &au, err);
}

/* tell_team - a notice to the team about a run, in t */

static int
tell_team(struct store_txn *t, const struct hook_run *r, const char *subject,
    const char *body, struct em_err *err)
{
	struct notice_spec n = { 0 };

	if (r->cfg->team_addresses.n == 0)
		return EM_OK;
	n.to = r->cfg->team_addresses.v[0];
	n.advisory = r->ob.advisory;
	n.revision = r->ob.revision;
	n.subject = subject;
	n.body = body;
	n.now = r->clock(NULL);
	return notice_queue(t, r->cfg, &n, err);
}

/* What record() writes: the run's new state, and what is said of it. */
struct outcome {
	enum ledger_ob_event ev;	/* what happened (the ledger's table) */
	time_t	next_try;
	const char *event;		/* audit event, NULL: none */
	const char *subject;		/* notice to the team, NULL: none */
};

/* record_in - in t, the run's move, its audit record and any notice */

static int
record_in(struct store_txn *t, struct hook_run *r, const struct outcome *o,
    const char *why, const char *body, struct em_err *err)
{
	int rc;

	if (o->ev == LEDGER_OB_SENT)
		r->ob.sent_at = r->clock(NULL);
	if ((rc = ledger_ob_step(&r->ob, o->ev, o->next_try, o->ev ==
	    LEDGER_OB_RUNNING ? NULL : o->ev == LEDGER_OB_SENT ? "" : why,
	    err)) < 0 || (rc = ledger_ob_put(t, &r->ob, err)) < 0 ||
	    (o->event && (rc = audit_run(t, r, o->event, why, err)) < 0) ||
	    (o->subject && (rc = tell_team(t, r, o->subject, body, err)) < 0))
		return rc;
	return EM_OK;
}

/*
 * record - the run's new state, its audit record and any notice, in one
 * transaction; the run is re-read first, so that "embargoctl hooks drop"
 * meanwhile wins (1: dropped or ended meanwhile, nothing written)
 */
static int
record(struct hook_run *r, const struct outcome *o, const char *why,
    const char *body, struct em_err *err)
{
	struct store_txn *t;
	struct store_outbox cur;
	int rc;

	if ((rc = store_begin(state_store(), true, &t, err)) < 0)
		return rc;
	if ((rc = store_ob_get(t, r->ob.id, &cur, err)) < 0) {
		store_abort(t);
		return rc;
	}
	if (cur.state == STORE_OB_FAILED || cur.state == STORE_OB_SENT) {
		store_abort(t);
		return 1;	/* dropped or ended meanwhile */
	}
	if ((rc = record_in(t, r, o, why, body, err)) < 0) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

/* failure_text - the team's notice of a failed run: subject and body
 * (caller frees both) */

static void
failure_text(const struct hook_run *r, const char *why, bool last,
    char **subject, char **body)
{
	*subject = xasprintf("Release hook %s %s for %s", r->hook->name,
	    last ? "gave up" : "failed", r->ob.advisory);
	*body = xasprintf("The release hook \"%s\" for %s revision %d failed "
	    "(run %u of at most %d):\n\n  %s\n\n%s\n"
	    "'embargoctl hooks' lists the runs.  The mail is not held up "
	    "by a hook.\n", r->hook->name, r->ob.advisory, r->ob.revision,
	    r->ob.attempts, HOOK_TRIES, why, last ? "It is not tried "
	    "again.  Mend the cause, then run 'embargoctl hooks retry "
	    "ID'." : "It is tried again after a backoff.");
}

/*
 * settle - what one run's end writes: done (hook-run), or a failure
 * (hook-failed) tried again after a backoff, the team told at the first
 * failure and when the tries end
 */
static int
settle(struct hook_run *r)
{
	char why[1200], *subject = NULL, *body = NULL;
	long wait = (long)HOOK_BACKOFF << (r->ob.attempts < 8 ?
	    r->ob.attempts - 1 : 7);
	struct outcome o = { LEDGER_OB_SENT, 0, "hook-run", NULL };
	struct em_err err;
	int rc;

	hook_said(r, why, sizeof(why));
	if (!r->ok) {
		bool last = r->ob.attempts >= HOOK_TRIES;

		o.ev = last ? LEDGER_OB_REFUSED : LEDGER_OB_AGAIN;
		o.next_try = r->clock(NULL) + (wait > HOOK_MAX_WAIT ?
		    HOOK_MAX_WAIT : wait);
		o.event = "hook-failed";
		failure_text(r, why, last, &subject, &body);
		if (r->ob.attempts == 1 || last)
			o.subject = subject;
	}
	em_err_clear(&err);
	if ((rc = record(r, &o, why, body, &err)) < 0)
		log_msg(LOG_ERR, NULL, "release hook %s for %s: %s; not recorded: "
		    "%s (it runs again)", r->hook->name, r->ob.advisory, why,
		    err.msg);
	else
		log_msg(r->ok ? LOG_INFO : LOG_WARNING, NULL, "%s for %s revision "
		    "%d%s", why, r->ob.advisory, r->ob.revision, r->ok ? "" :
		    o.ev == LEDGER_OB_REFUSED ? ": given up" :
		    ": tried again after a backoff");
	free(subject);
	free(body);
	return rc < 0 ? rc : EM_OK;
}

/*
 * not_yet - the run's advisory is not public (never before the date):
 * it waits for the date; a state this build does not know counts as
 * under embargo and is said
 */
static int
not_yet(struct hook_run *r, struct em_err *err)
{
	struct outcome o = { LEDGER_OB_WAIT, 0, NULL, NULL };
	int rc;

	o.next_try = r->a.state == STORE_ADV_EMBARGOED ? r->a.embargo :
	    r->clock(NULL) + STATE_BACKOFF_MAX;
	if ((rc = record(r, &o, "", "", err)) < 0 ||
	    r->a.state != STORE_ADV_EMBARGOED)
		log_msg(LOG_ERR, NULL, "release hook %s for %s not "
		    "run: %s", r->ob.member, r->ob.advisory, rc < 0 ?
		    err->msg : "its advisory has a state this build does "
		    "not know");
	return rc < 0 ? rc : EM_OK;
}

/* gone - the run's hook left the config: it fails for good, audited */

static int
gone(struct hook_run *r, struct em_err *err)
{
	struct outcome o = { LEDGER_OB_GONE, 0, "hook-failed", NULL };
	char *why;
	int rc;

	why = xasprintf("release_hook \"%s\" is no longer in %s: not run",
	    r->ob.member, r->cfg->path);
	if ((rc = record(r, &o, why, "", err)) < 0)
		log_msg(LOG_ERR, NULL, "%s; not recorded: %s", why, err->msg);
	free(why);
	return rc < 0 ? rc : EM_OK;
}

/* mark_running - the attempt counted and committed before the command
 * starts (1: dropped meanwhile, not run) */

static int
mark_running(struct hook_run *r, struct em_err *err)
{
	struct outcome o = { LEDGER_OB_RUNNING, 0, NULL, NULL };
	int rc;

	r->ob.attempts++;
	o.next_try = r->clock(NULL);
	if ((rc = record(r, &o, "", "", err)) < 0)
		log_msg(LOG_ERR, NULL, "release hook %s for %s not started: "
		    "%s", r->hook->name, r->ob.advisory, err->msg);
	return rc;
}

/* run_command - the folder prepared, the command run, the folder removed */

static void
run_command(struct hook_run *r, struct em_err *err)
{
	if (hook_dir_prepare(r, err) < 0) {
		r->ok = false;
		(void)snprintf(r->status, sizeof(r->status), "not started: %s",
		    err->msg);	/* an em_err's msg: it fits */
		r->out_len = 0;
	} else {
		r->exec(r);
	}
	hook_dir_remove(r->dir);
}

/*
 * hook_run_one - one due run: waits if its advisory is under embargo
 * again, fails for good if its hook left the config; else its attempt
 * committed, its folder prepared, the command run, the outcome recorded.
 * < 0 when a commit failed: the runner backs off before the next pick.
 */
int
hook_run_one(const struct config *cfg, struct hook_run *r)
{
	struct em_err err;
	int rc;

	em_err_clear(&err);
	r->cfg = cfg;
	r->hook = NULL;
	for (size_t i = 0; i < cfg->n_hooks && r->hook == NULL; i++)
		if (strcmp(cfg->hooks[i].name, r->ob.member) == 0)
			r->hook = &cfg->hooks[i];
	if (r->a.state != STORE_ADV_PUBLIC && (r->a.state !=
	    STORE_ADV_EMBARGOED || r->a.embargo > r->clock(NULL)))
		return not_yet(r, &err);
	if (r->hook == NULL)
		return gone(r, &err);
	if ((rc = mark_running(r, &err)) != EM_OK)
		return rc < 0 ? rc : EM_OK;
	run_command(r, &err);
	if (!(*r->stop && !r->ok))	/* stopped: it runs again at start */
		return settle(r);
	return EM_OK;
}

/* hook_step - one look: the first due run taken (see hook_int.h) */

int
hook_step(const struct config *cfg, struct hook_run *r, time_t *next,
    int *backoff)
{
	struct em_err err;
	int found;

	em_err_clear(&err);
	if ((found = hook_pick(r, next, &err)) < 0)
		log_msg(LOG_ERR, NULL, "release hooks: nothing run: %s "
		    "(tried again in %d s)", err.msg, backoff_next(backoff));
	else if (found > 0 && hook_run_one(cfg, r) < 0)
		found = -1, (void)backoff_next(backoff);
	else
		*backoff = 0;
	return found;
}
