/*
 * entry.c - outbox entries: one constructor, one transition table
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Application-specific. */
#include "ledger.h"

#define S(x)	(1u << (x))
#define K(x)	(1u << (x))
#define Q	S(STORE_OB_QUEUED)
#define B	S(STORE_OB_BUILT)
#define F	S(STORE_OB_FAILED)
#define W	S(STORE_OB_WAITING_KEY)
#define ANY_KIND (K(STORE_OB_COPY) | K(STORE_OB_NOTICE) | \
	K(STORE_OB_RELEASE) | K(STORE_OB_HOOK))
#define SENDS	(K(STORE_OB_COPY) | K(STORE_OB_NOTICE) | K(STORE_OB_RELEASE))
#define HOOK	K(STORE_OB_HOOK)

/*
 * The transition table of an outbox entry (doc/ARCHITECTURE.md shows it).
 * A hook run uses the same states: queued = pending, built = running,
 * sent = done, failed = given up (or dropped, or its hook gone).
 */
static const struct ledger_ob_row table[LEDGER_OB_EVENTS] = {
	{ LEDGER_OB_BUILT, "built", Q, K(STORE_OB_COPY), STORE_OB_BUILT,
	    STORE_OB_CAUSE_NONE, NULL, false },
	/* A run a stop or a crash left running runs again: at least once. */
	{ LEDGER_OB_RUNNING, "running", Q | B, HOOK, STORE_OB_BUILT,
	    STORE_OB_CAUSE_NONE, NULL, false },
	{ LEDGER_OB_SENT, "sent", B, ANY_KIND, STORE_OB_SENT,
	    STORE_OB_CAUSE_NONE, NULL, false },
	{ LEDGER_OB_DEFERRED, "deferred", Q | B, ANY_KIND, 0,
	    STORE_OB_CAUSE_DEFERRED, NULL, false },
	{ LEDGER_OB_AGAIN, "run again later", B, HOOK, STORE_OB_QUEUED,
	    STORE_OB_CAUSE_DEFERRED, "hook-failed", true },
	{ LEDGER_OB_WAIT, "waits", Q | B, ANY_KIND, 0, STORE_OB_CAUSE_NONE,
	    NULL, false },
	{ LEDGER_OB_REFUSED, "refused", Q | B, ANY_KIND, STORE_OB_FAILED,
	    STORE_OB_CAUSE_REFUSED, "copy-failed", true },
	{ LEDGER_OB_NO_KEY, "no usable key", Q, K(STORE_OB_COPY),
	    STORE_OB_WAITING_KEY, STORE_OB_CAUSE_KEY, "key-missing", true },
	{ LEDGER_OB_CANCELLED, "cancelled", Q | B | W, SENDS, STORE_OB_FAILED,
	    STORE_OB_CAUSE_CANCELLED, NULL, false },
	{ LEDGER_OB_DROPPED, "dropped", Q | B, HOOK, STORE_OB_FAILED,
	    STORE_OB_CAUSE_DROPPED, "hook-dropped", false },
	{ LEDGER_OB_GONE, "its hook is gone", Q | B, HOOK, STORE_OB_FAILED,
	    STORE_OB_CAUSE_GONE, "hook-failed", false },
	{ LEDGER_OB_RETRY, "retried", Q | B | F | W, ANY_KIND, -1,
	    STORE_OB_CAUSE_NONE, "outbox-retry", false },
};

/* ledger_ob_row - the row of an event (never NULL for a known event) */

const struct ledger_ob_row *
ledger_ob_row(enum ledger_ob_event ev)
{
	return ev < LEDGER_OB_EVENTS ? &table[ev] : NULL;
}

/* ledger_ob_state_name - a state in words */

const char *
ledger_ob_state_name(int state)
{
	static const char *const names[] = { "?", "queued", "built", "sent",
	    "failed", "waiting-key" };

	return state > 0 && state <= STORE_OB_WAITING_KEY ? names[state] : "?";
}

/* ledger_ob_cause_name - a cause in words */

const char *
ledger_ob_cause_name(int cause)
{
	static const char *const names[] = { "", "deferred", "refused",
	    "no usable key", "cancelled", "dropped", "hook gone" };

	return cause >= 0 && cause <= STORE_OB_CAUSE_GONE ? names[cause] : "?";
}

/* ledger_ob_retry_state - where a retry puts ob */

int
ledger_ob_retry_state(const struct store_outbox *ob)
{
	if (ob->kind == STORE_OB_HOOK)
		return STORE_OB_QUEUED;	/* run again from the start */
	if (ob->state == STORE_OB_QUEUED || ob->state == STORE_OB_BUILT)
		return ob->state;	/* due now, as it is */
	if (ob->kind == STORE_OB_COPY)
		return STORE_OB_QUEUED;	/* built again with the key now */
	return STORE_OB_BUILT;
}

/* ledger_ob_retryable - may "retry" put ob back? */

bool
ledger_ob_retryable(const struct store_outbox *ob)
{
	/* What a dropped or superseded hold had prepared never leaves. */
	return ob->cause != STORE_OB_CAUSE_CANCELLED &&
	    (ob->state == STORE_OB_FAILED || ob->state == STORE_OB_WAITING_KEY ||
	    ob->state == STORE_OB_QUEUED || ob->state == STORE_OB_BUILT);
}

/*
 * set_reason - the reason into last_error: it is for people, so one
 * longer than the field is cut with a mark that says so, never silently
 */
static void
set_reason(struct store_outbox *ob, const char *why)
{
	size_t n = strlen(why), room = sizeof(ob->last_error) - 1;

	if (n <= room) {
		memcpy(ob->last_error, why, n + 1);
		return;
	}
	memcpy(ob->last_error, why, room - 6);
	memcpy(ob->last_error + room - 6, " [cut]", 7);
}

/* ledger_ob_step - ob moved by ev, as the table says (see ledger.h) */

int
ledger_ob_step(struct store_outbox *ob, enum ledger_ob_event ev,
    time_t next_try, const char *why, struct em_err *err)
{
	const struct ledger_ob_row *r = ledger_ob_row(ev);

	if (r == NULL || ob->state <= 0 || ob->state > STORE_OB_WAITING_KEY ||
	    !(r->from & S(ob->state)) || ob->kind <= 0 ||
	    ob->kind > STORE_OB_HOOK || !(r->kinds & K(ob->kind)) ||
	    (ev == LEDGER_OB_RETRY && !ledger_ob_retryable(ob)))
		return em_fail(err, EM_ESTORE, "outbox entry %llu (%s, %s%s%s) "
		    "cannot be %s: not a move of the ledger's table",
		    (unsigned long long)ob->id, store_ob_kind(ob->kind)->word,
		    ledger_ob_state_name(ob->state), ob->cause ? ", " : "",
		    ledger_ob_cause_name(ob->cause), r ? r->name : "moved");
	if (r->to > 0)
		ob->state = r->to;
	else if (r->to < 0)
		ob->state = ledger_ob_retry_state(ob);
	ob->cause = r->cause;
	if (next_try != 0)
		ob->next_try = next_try;
	if (why != NULL)
		set_reason(ob, why);
	if (ev == LEDGER_OB_RETRY)
		ob->last_error[0] = '\0';
	return EM_OK;
}

/* ledger_ob_put - an entry written (the pending index follows its state) */

int
ledger_ob_put(struct store_txn *t, struct store_outbox *ob, struct em_err *err)
{
	return store_ob_put(t, ob, err);
}

/* msgid_make - "<what>.<id>.<random>@<list domain>", fixed once made */

static int
msgid_make(const struct config *cfg, const char *what, uint64_t id, char *out,
    size_t outsz, struct em_err *err)
{
	const char *dom = cfg->list_address ? strchr(cfg->list_address, '@') : NULL;
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return em_fail(err, EM_EIO, "no random bytes for a Message-ID");
	return em_fmt(out, outsz, "the Message-ID", err,
	    "%s.%llu.%02x%02x%02x%02x%02x%02x%02x%02x@%s", what,
	    (unsigned long long)id, r[0], r[1], r[2], r[3], r[4], r[5], r[6],
	    r[7], dom ? dom + 1 : "localhost");
}

/* field - a string into a field whole, or EM_ELIMIT naming it */

static int
field(char *out, size_t n, const char *s, const char *what, struct em_err *err)
{
	return em_copy(out, n, s ? s : "", what, err);
}

/* ledger_ob_new - one new entry (see ledger.h) */

int
ledger_ob_new(struct store_txn *t, const struct config *cfg,
    const struct ledger_ob_spec *s, struct store_outbox *ob,
    struct em_err *err)
{
	int rc;

	memset(ob, 0, sizeof(*ob));
	if (s->kind < STORE_OB_COPY || s->kind > STORE_OB_HOOK)
		return em_fail(err, EM_ESTORE, "an outbox entry of kind %d",
		    s->kind);
	if ((rc = field(ob->advisory, sizeof(ob->advisory), s->advisory,
	    "the advisory id", err)) < 0 ||
	    (rc = field(ob->member, sizeof(ob->member), s->member,
	    "the member's name", err)) < 0 ||
	    (rc = field(ob->rcpt, sizeof(ob->rcpt), s->rcpt, "the recipient",
	    err)) < 0 ||
	    (rc = field(ob->key, sizeof(ob->key), s->key, "the key", err)) < 0 ||
	    (rc = field(ob->from, sizeof(ob->from), s->from,
	    "the envelope sender", err)) < 0 ||
	    (rc = store_next_id(t, &ob->id, err)) < 0)
		return rc;
	ob->kind = s->kind;
	ob->state = s->kind == STORE_OB_COPY || s->kind == STORE_OB_HOOK ?
	    STORE_OB_QUEUED : STORE_OB_BUILT;
	ob->revision = s->revision;
	ob->post_id = s->post_id;
	ob->hold = s->hold;
	ob->sealed = s->sealed;
	ob->created = s->now;
	ob->next_try = s->next_try ? s->next_try : s->now;
	if (s->msgid != NULL && (rc = msgid_make(cfg, s->msgid, ob->id,
	    ob->message_id, sizeof(ob->message_id), err)) < 0)
		return rc;
	/* Fixed now, so a resend carries the same id (SPEC 5, 6). */
	if (s->kind == STORE_OB_COPY && em_copy_id(ob->copy_id) < 0)
		return em_fail(err, EM_EIO, "no random bytes for a copy id");
	return store_ob_put(t, ob, err);
}
