/*
 * ledger.h - every change of state: an advisory, a hold, an outbox entry
 *
 * What it is for: the one room that writes a state.  outbox/ (threads and
 * I/O), milter/ and embargoctl decide *that* something happened (a copy
 * was built, the listener said 250, a date moved, an operator dropped a
 * hold); the ledger says what that does to the record, in the caller's
 * write transaction: one constructor per record, one transition table per
 * record kind, and what the audit calls the change.  A move the table
 * does not have is refused (EM_ESTORE naming the record, its state and
 * the event), never written.
 *
 * Ownership: the caller owns the transaction and every struct it passes.
 *
 * How it fails: the store's errors, with their reasons in *err; EM_ELIMIT
 * when a value does not fit its field (never cut short, except a reason
 * for people, which is cut with a mark saying so).
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../conf/conf.h"
#include "../store/store.h"

/* ---- Outbox entries ---- */

/* What a new entry is (ledger_ob_new() fills the rest). */
struct ledger_ob_spec {
	int	kind;			/* STORE_OB_* */
	const char *advisory;		/* "" or NULL: none */
	int	revision;
	const char *member;		/* organisation (copies), hook name */
	const char *rcpt;
	const char *key;		/* copies: the key it is encrypted to */
	const char *from;		/* envelope sender (releases, discussion
					   copies) */
	uint64_t post_id;		/* the sealed post a copy is built from */
	uint64_t hold;			/* prepared ahead for this hold, 0: none */
	bool	sealed;			/* a release whose bytes rest sealed */
	const char *msgid;		/* the Message-ID's first word ("copy",
					   "notice", ...), NULL: none */
	time_t	now;
	time_t	next_try;		/* 0: now */
};

/*
 * One new entry in t, its first state by kind (copies and hook runs are
 * queued, notices and releases are built), its id, Message-ID and copy id
 * fixed now; *out as stored.
 */
int	ledger_ob_new(struct store_txn *t, const struct config *cfg,
	    const struct ledger_ob_spec *s, struct store_outbox *out,
	    struct em_err *err);

/* What happens to an entry: the columns of the transition table. */
enum ledger_ob_event {
	LEDGER_OB_BUILT,	/* its bytes are kept (a copy built) */
	LEDGER_OB_RUNNING,	/* a hook run is committed as started */
	LEDGER_OB_SENT,		/* the listener took it; a hook run ended well */
	LEDGER_OB_DEFERRED,	/* a failure that may pass: again at next_try */
	LEDGER_OB_AGAIN,	/* a hook run that failed: queued again */
	LEDGER_OB_WAIT,		/* waits for a time (a hook for its date, a
				   prepared entry for its hold's) */
	LEDGER_OB_REFUSED,	/* refused for good: a 5xx, a hook given up */
	LEDGER_OB_NO_KEY,	/* the member's key is not usable */
	LEDGER_OB_CANCELLED,	/* prepared for a hold dropped, or superseded */
	LEDGER_OB_DROPPED,	/* a hook run dropped by embargoctl */
	LEDGER_OB_GONE,		/* a hook run whose hook left the config */
	LEDGER_OB_RETRY,	/* embargoctl outbox|hooks retry */
	LEDGER_OB_EVENTS
};

/* One row: from which states (a mask of 1 << STORE_OB_*), for which kinds
 * (a mask of 1 << kind), to which state (0: the state it has) and cause. */
struct ledger_ob_row {
	enum ledger_ob_event event;
	const char *name;
	unsigned from;
	unsigned kinds;
	int	to;
	int	cause;			/* enum store_ob_cause */
	const char *audit;		/* its audit event; NULL: none or the
					   kind's (store_ob_kind()) */
	bool	tell;			/* the team is told (not of a notice) */
};

const struct ledger_ob_row *ledger_ob_row(enum ledger_ob_event ev);
/* The state a retry puts ob in: a failed or waiting copy is built again,
 * a hook run queued, others sent again; one still to do stays as it is. */
int	ledger_ob_retry_state(const struct store_outbox *ob);
/*
 * ob moved by ev in memory: from a state and kind the table allows, to
 * its state and cause, with next_try (0: unchanged) and why (the reason,
 * for people; NULL: unchanged, "" cleared).  EM_ESTORE when the table has
 * no such move.  The caller writes it with ledger_ob_put().
 */
int	ledger_ob_step(struct store_outbox *ob, enum ledger_ob_event ev,
	    time_t next_try, const char *why, struct em_err *err);
int	ledger_ob_put(struct store_txn *t, struct store_outbox *ob,
	    struct em_err *err);
/* Can "embargoctl outbox retry" put it back (a hook run: "hooks retry")? */
bool	ledger_ob_retryable(const struct store_outbox *ob);
/* The state's and the cause's words, for people and JSON. */
const char *ledger_ob_state_name(int state);
const char *ledger_ob_cause_name(int cause);

/* ---- Holds ---- */

/*
 * A new hold of a posting: its envelope kept whole or EM_ELIMIT (the
 * recipients joined by commas must fit the record: SPEC 5's ceiling);
 * stored in t, *h as stored.
 */
int	ledger_hold_new(struct store_txn *t, struct store_hold *h,
	    const char *advisory, const char *sender,
	    const char *const *rcpts, size_t n_rcpts, const char *queue_id,
	    time_t embargo, time_t now, struct em_err *err);
/* A held hold released at now, audited ("released"); its sealed copy
 * dropped unless keep_sealed (its public text is still to be filed). */
int	ledger_hold_release(struct store_txn *t, struct store_hold *h,
	    int revision, time_t now, bool keep_sealed, struct em_err *err);
/* A held hold dropped (why, kept in the hold) or released at once (why
 * NULL) by embargoctl, what was prepared for it cancelled (said: the
 * reason they carry) or made due. */
int	ledger_hold_change(struct store_txn *t, struct store_hold *h,
	    const char *why, const char *said, time_t now, struct em_err *err);
/* What was prepared for a hold: the built entries due at when, or, with
 * cancel, every one cancelled with that reason. */
int	ledger_hold_prepared(struct store_txn *t, uint64_t hold, time_t when,
	    const char *cancel, struct em_err *err);
/* Each held hold of advisory: its prepared entries retimed to its due
 * time as t has it (after a date moved in t). */
int	ledger_adv_retime(struct store_txn *t, const char *advisory, time_t now,
	    struct em_err *err);
/*
 * A late release (SPEC 5, release_alarm): h's postings not all out by
 * its date and the alarm; said to the team at now, in the transaction
 * that queues the notice: kept (meta "alarmed:hold N", the time it was
 * said) and audited ("release-late", why).  Once: a hold said already is
 * refused (EM_ESTORE).  ledger_hold_alarmed() reads when it was said:
 * EM_OK, EM_ENOTFOUND never, < 0 unreadable.
 */
int	ledger_hold_late(struct store_txn *t, const struct store_hold *h,
	    int revision, const char *why, time_t now, struct em_err *err);
int	ledger_hold_alarmed(struct store_txn *t, uint64_t id, time_t *when,
	    struct em_err *err);

/* ---- Public text (SPEC 4) ---- */

/* Does a posting to these recipients make the team's text public (one
 * of them a public list)? */
bool	ledger_public_wanted(const struct config *cfg, const char *const *rcpts,
	    size_t n);
/* The text's word runs filed as public text under source, in t. */
int	ledger_public_file(struct store_txn *t, const unsigned char *key,
	    const char *text, size_t len, const char *source,
	    struct em_err *err);

/* ---- Advisories ---- */

/*
 * a written in t as the registry's record of its id: old is what t had
 * (NULL: a new advisory).  The table: a new advisory is registered under
 * embargo (a date) or public (none); an embargo may move, be lifted or
 * set again; the revision never goes back.  A date moved is audited
 * "embargo-changed" by the caller that knows who moved it; what was
 * prepared for the old date follows the new one here.
 */
int	ledger_adv_put(struct store_txn *t, const struct store_advisory *old,
	    struct store_advisory *a, time_t now, struct em_err *err);

/* ---- The host (host.c) ---- */

/* Whether this store is a standby's (restore --standby; promote ends
 * it): a standby accepts no list mail, releases nothing, runs no hook
 * and sends no copy.  A store that never said is active. */
int	ledger_standby(struct store_txn *t, bool *standby, struct em_err *err);
int	ledger_set_standby(struct store_txn *t, bool standby,
	    struct em_err *err);

#endif
