/*
 * release_late.c - a late release said at once (SPEC 5, release_alarm):
 * a hold due at its date whose postings have not all gone out by the
 * date and release_alarm (the daemon was not running at the date, the
 * reinjection listener refused, a restore) is said to the team in one
 * notice naming the advisory, each held posting, when it was due, how
 * late it is and why; logged as a warning and audited ("release-late"),
 * once per hold
 *
 * release_scan.c decides which holds are late; this file reads what
 * became of each one's release entries, writes the notice, and records
 * in the transaction that queues it that it was said
 * (ledger_hold_late(), meta "alarmed:hold N"), so that it is never said
 * twice.  A hold whose postings all went out by its alarm meanwhile is
 * not said.  The notice is signed by the list key (clearsigned, as a
 * pre-announcement is), so that the team can trust an alarm; one the key
 * cannot sign goes unsigned, saying why, rather than not at all.  It
 * carries ids, dates, addresses, a posting's Subject and Message-ID and
 * the listener's replies, all public by the date: never the posting's
 * text.
 *
 * How it fails: a notice that cannot be queued is logged and returned;
 * the hold stays unsaid, so the next scan finds it late again.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"
#include "../util/emtime.h"
#include "../keys/keys.h"

/* One late hold as the store has it: its release entries, its posting. */
struct late {
	struct store_hold h;
	struct store_outbox *ob;	/* its release entries, oldest first */
	size_t	n;
	struct buf posting;		/* its bytes, as kept (sealed or not) */
	bool	sealed;
	time_t	due;			/* its date */
	time_t	alarm;			/* due + release_alarm */
};

/* late_entry_cb - store_ob_each(): a release entry of the hold, kept */

static int
late_entry_cb(const struct store_outbox *ob, void *ctx)
{
	struct late *l = ctx;

	if (ob->kind != STORE_OB_RELEASE || ob->hold != l->h.id)
		return 0;
	l->ob = xrealloc(l->ob, (l->n + 1) * sizeof(*l->ob));
	l->ob[l->n++] = *ob;
	return 0;
}

/*
 * late_read - hold id, its release entries (every one: one refused for
 * good is named too) and its posting's bytes (its sealed copy while
 * kept, else the first entry's), in one read transaction.  EM_ENOTFOUND
 * when the hold is gone.
 */
static int
late_read(uint64_t id, struct late *l, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_hold_get(t, id, &l->h, err)) == EM_OK)
		rc = store_ob_each(t, late_entry_cb, l, err);
	if (rc == EM_OK) {
		struct em_err none;

		l->sealed = true;
		if (store_blob_get(t, STORE_BLOB_HOLD, id, &l->posting,
		    &none) < 0 && l->n > 0) {
			l->sealed = l->ob[0].sealed;
			(void)store_blob_get(t, STORE_BLOB_REL, l->ob[0].id,
			    &l->posting, &none);
		}
	}
	store_abort(t);
	return rc;
}

/*
 * late_out - did every posting of the hold go out by its alarm after
 * all (released, each entry sent by then; one cancelled never leaves)?
 */
static bool
late_out(const struct late *l)
{
	if (l->h.state != STORE_HOLD_RELEASED)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (l->ob[i].cause != STORE_OB_CAUSE_CANCELLED &&
		    (l->ob[i].state != STORE_OB_SENT ||
		    l->ob[i].sent_at > l->alarm))
			return false;
	return true;
}

/*
 * late_posting - the held posting named as the reminder names it: its
 * Subject and Message-ID (one that cannot be read says so, naming no
 * text)
 */
static void
late_posting(const struct config *cfg, const struct late *l, struct buf *b)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct buf plain;
	struct facts f;
	struct em_err err;
	int rc = EM_ENOTFOUND;

	buf_init(&plain);
	facts_init(&f);
	if (l->posting.len > 0) {
		if (!l->sealed)
			buf_append(&plain, l->posting.data, l->posting.len);
		if (!l->sealed || (rc = keys_unseal(l->posting.data,
		    l->posting.len, &plain, &err)) == EM_OK)
			rc = policy_read(plain.data, plain.len, &lim, &f, &err);
	}
	if (rc < 0)
		buf_appendf(b, "    (its posting cannot be read now: %s)\n",
		    em_strerror(rc));
	else
		buf_appendf(b, "    Subject: %s\n    Message-ID: %s%s%s\n",
		    f.subject, f.message_id ? "<" : "", f.message_id ?
		    f.message_id : "(none)", f.message_id ? ">" : "");
	facts_free(&f);
	buf_free(&plain);
}

/* late_entry - what became of one release entry, in a line */

static void
late_entry(const struct late *l, const struct store_outbox *ob, struct buf *b)
{
	char ts[EM_TIME_BUFSZ];

	buf_appendf(b, "  %s: ", ob->rcpt);
	if (ob->state == STORE_OB_SENT)
		buf_appendf(b, "sent at %s (the listener's queue id %s)\n",
		    em_time_format(ob->sent_at, ts), ob->queue_id);
	else if (ob->state == STORE_OB_FAILED &&
	    ob->cause == STORE_OB_CAUSE_CANCELLED)
		buf_appendf(b, "never sent: %s\n", ob->last_error);
	else if (ob->state == STORE_OB_FAILED)
		buf_appendf(b, "refused by the reinjection listener: %s "
		    "('embargoctl outbox retry %llu' sends it again)\n",
		    ob->last_error, (unsigned long long)ob->id);
	else if (l->h.state == STORE_HOLD_HELD)
		buf_appends(b, "made ahead, waits for the hold's release\n");
	else if (ob->last_error[0] != '\0')
		buf_appendf(b, "not yet accepted by the reinjection listener: "
		    "%s (%u attempt%s; tried again at %s)\n", ob->last_error,
		    ob->attempts, ob->attempts == 1 ? "" : "s",
		    em_time_format(ob->next_try, ts));
	else
		buf_appendf(b, "not yet sent (%u attempt%s so far)\n",
		    ob->attempts, ob->attempts == 1 ? "" : "s");
}

/* late_unsent - the first release entry still to send, or NULL */

static const struct store_outbox *
late_unsent(const struct late *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ob[i].state == STORE_OB_QUEUED ||
		    l->ob[i].state == STORE_OB_BUILT ||
		    (l->ob[i].state == STORE_OB_FAILED &&
		    l->ob[i].cause != STORE_OB_CAUSE_CANCELLED))
			return &l->ob[i];
	return NULL;
}

/*
 * late_why - why it is late, in one line (the notice's Why: and the
 * audit's reason): the daemon not running at the date (the timer
 * started after it), a release that has not happened yet or happened
 * late, a posting the listener has not accepted (its last error)
 */
static void
late_why(const struct late *l, time_t started, struct buf *b)
{
	const struct store_outbox *ob = late_unsent(l);
	char ts[EM_TIME_BUFSZ];

	if (started > l->due)
		buf_appendf(b, "the daemon was not running at the date (it "
		    "started at %s); ", em_time_format(started, ts));
	if (l->h.state == STORE_HOLD_HELD)
		buf_appends(b, "not released yet: its release has failed so far "
		    "(the log says why) and is tried again");
	else if (l->h.released_at > l->due)
		buf_appendf(b, "released at %s",
		    em_time_format(l->h.released_at, ts));
	else
		buf_appendf(b, "released at its date");
	if (l->h.state == STORE_HOLD_HELD)
		return;
	if (ob == NULL) {
		buf_appends(b, "; its postings went out after the alarm only");
		return;
	}
	buf_appendf(b, "; %s: %s", ob->rcpt, ob->state == STORE_OB_FAILED ?
	    "refused by the reinjection listener" :
	    "not yet accepted by the reinjection listener");
	if (ob->last_error[0] != '\0')
		buf_appendf(b, ": %s", ob->last_error);
	else
		buf_appends(b, " (no answer recorded yet)");
}

/* late_body - the notice's text: the advisory, the hold, when, why, and
 * each held posting with what became of it */

static void
late_body(const struct config *cfg, const struct late *l, const char *why,
    time_t now, struct buf *b)
{
	const char *adv = l->h.advisory[0] ? l->h.advisory : "(no advisory id)";
	char due[EM_TIME_BUFSZ], alarm[EM_TIME_BUFSZ], at[EM_TIME_BUFSZ];

	buf_appendf(b, "A release is late: a posting held for %s was due at\n%s "
	    "and has not all gone out by %s\n(release_alarm %ld s).\n\n",
	    adv, em_time_format(l->due, due), em_time_format(l->alarm, alarm),
	    cfg->release_alarm);
	buf_appendf(b, "  Advisory:  %s\n  Hold:      %llu (queue id %s, "
	    "from %s)\n  Due at:    %s\n  Late by:   %lld s (at %s)\n"
	    "  Why:       %s\n\n", adv, (unsigned long long)l->h.id,
	    l->h.queue_id[0] ? l->h.queue_id : "-", l->h.sender, due,
	    (long long)(now - l->due), em_time_format(now, at), why);
	buf_appendf(b, "The held posting, to %s:\n", l->h.rcpts);
	late_posting(cfg, l, b);
	buf_appends(b, "\nWhat became of it:\n");
	for (size_t i = 0; i < l->n; i++)
		late_entry(l, &l->ob[i], b);
	if (l->n == 0)
		buf_appends(b, "  nothing is made for it yet\n");
	buf_appends(b, "\nThe delivery workers keep trying; 'embargoctl outbox' "
	    "shows what has not\nleft and 'embargoctl held' the hold queue.  "
	    "This is said once for this hold.\n");
}

/*
 * late_sign - the notice's text signed by the list key into out; unsigned
 * when it cannot be (logged), saying so first: an alarm never waits for
 * the keyring
 */
static void
late_sign(const struct config *cfg, uint64_t id, const char *text,
    struct buf *out)
{
	struct em_err err;
	int rc = EM_EKEY;

	em_err_clear(&err);
	if (cfg->list_key == NULL)
		(void)em_fail(&err, EM_EKEY, "the list has no OpenPGP key");
	else
		rc = keys_clearsign(cfg->list_key, text, out, &err);
	if (rc == EM_OK)
		return;
	buf_reset(out);
	log_msg(LOG_WARNING, NULL, "the late release notice of hold %llu goes "
	    "unsigned: %s", (unsigned long long)id, err.msg);
	buf_appendf(out, "(Not signed: the list key could not sign this notice: "
	    "%s.)\n\n%s", err.msg, text);
}

/*
 * late_commit - in one transaction: the notice to the team queued, the
 * alarm kept as said and audited; 1 (nothing done) when it was said
 * already
 */
static int
late_commit(const struct config *cfg, const struct late *l, const char *why,
    const char *body, time_t now, struct em_err *err)
{
	struct notice_spec n = { 0 };
	struct store_txn *t;
	char subject[200], ts[EM_TIME_BUFSZ];
	time_t said;
	int rc;

	(void)snprintf(subject, sizeof(subject), "Late release: %s, hold %llu, "
	    "due at %s", l->h.advisory[0] ? l->h.advisory : "no advisory id",
	    (unsigned long long)l->h.id, em_time_format(l->due, ts));
	n.advisory = l->h.advisory;
	n.revision = l->n > 0 ? l->ob[0].revision : 0;
	n.subject = subject;
	n.body = body;
	n.now = now;
	if ((rc = store_begin(state_store(), true, &t, err)) < 0)
		return rc;
	if ((rc = ledger_hold_alarmed(t, l->h.id, &said, err)) !=
	    EM_ENOTFOUND) {
		store_abort(t);
		return rc == EM_OK ? 1 : rc;
	}
	/* Audited first: the head the notice carries includes its record.
	 * Nobody to tell: still logged and audited, once. */
	rc = ledger_hold_late(t, &l->h, n.revision, why, now, err);
	if (rc == EM_OK && cfg->team_addresses.n > 0) {
		n.to = cfg->team_addresses.v[0];
		rc = notice_queue(t, cfg, &n, err);
	}
	if (rc < 0) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

/*
 * release_late - hold id, due at due, not out by due + release_alarm:
 * the team told once, the log warned, the audit says it
 */
int
release_late(const struct config *cfg, uint64_t id, time_t due, time_t now,
    time_t started)
{
	struct late l = { .due = due, .alarm = due + cfg->release_alarm };
	struct buf why, body, sig;
	struct em_err err;
	int rc;

	buf_init(&l.posting);
	buf_init(&why);
	buf_init(&body);
	buf_init(&sig);
	em_err_clear(&err);
	if ((rc = late_read(id, &l, &err)) == EM_OK &&
	    l.h.state != STORE_HOLD_DROPPED && !late_out(&l)) {
		late_why(&l, started, &why);
		late_body(cfg, &l, why.data, now, &body);
		late_sign(cfg, id, body.data, &sig);
		rc = late_commit(cfg, &l, why.data, sig.data, now, &err);
		if (rc == 0)
			log_msg(LOG_WARNING, l.h.queue_id, "late release: hold "
			    "%llu about %s to %s was due %lld s ago and is not "
			    "all out: %s; the team is told",
			    (unsigned long long)id, l.h.advisory[0] ?
			    l.h.advisory : "-", l.h.rcpts,
			    (long long)(now - due), why.data);
	}
	if (rc < 0 && rc != EM_ENOTFOUND)
		log_msg(LOG_ERR, NULL, "the late release of hold %llu is not said "
		    "yet: %s (tried again)", (unsigned long long)id, err.msg);
	free(l.ob);
	buf_free(&l.posting);
	buf_free(&why);
	buf_free(&body);
	buf_free(&sig);
	return rc < 0 && rc != EM_ENOTFOUND ? rc : EM_OK;
}
