/*
 * public.c - the team's posting that reaches a public list makes its text
 * public (SPEC 4), filed through the group commit; the rule and the
 * filing are the ledger's (ledger_public_wanted, ledger_public_file)
 */

/* System library. */
#include <stdbool.h>
#include <stdlib.h>

/* Application-specific. */
#include "outbox.h"
#include "../store/view.h"

struct public_work { const struct facts *f; char *source; };

/* public_in - txq_run() work: the posting's text filed as public text */

static int
public_in(struct store_txn *t, void *arg, struct em_err *err)
{
	struct public_work *w = arg;

	return ledger_public_file(t, state_print_key(),
	    w->f->text.data ? w->f->text.data : "", w->f->text.len, w->source,
	    err);
}

/*
 * public_posting - the team's posting that reaches a public list makes its
 * text public (SPEC 4): its word runs never count as a leak again.  Only
 * the team's: anyone else's mail never makes text public, or a leak in
 * small pieces would wear the guard down.
 */
int
public_posting(const struct config *cfg, const struct facts *f,
    const char *const *rcpts, size_t n, const char *what, struct em_err *err)
{
	struct public_work w = { f, NULL };
	int rc;

	if (!ledger_public_wanted(cfg, rcpts, n) || f->text.len == 0)
		return EM_OK;
	w.source = xasprintf("posting %s", what);	/* whole, however long */
	rc = txq_run(public_in, &w, err);
	free(w.source);
	return rc;
}

/*
 * public_receipt_note - SPEC 4: the receipt's note on public text: none
 * loaded at all, or (an advisory under embargo) its standard sections
 * that are its text alone, with the cure; a lookup's fault is returned
 */
int
public_receipt_note(struct store_txn *t, const char *id, bool embargoed,
    const struct facts *f, time_t now, struct buf *body, struct em_err *err)
{
	struct buf note;
	int rc = EM_OK;

	if (!store_public_any(t)) {
		buf_appends(body, "\nNote: no public text is loaded. Until the "
		    "team's published advisories are\nloaded (embargoctl public "
		    "add FILE, an mbox or maildir of the public\nlist's archive), "
		    "the boilerplate every advisory carries counts as this\n"
		    "one's text, and outsiders' forwards of old advisories are "
		    "refused.\n");
		return EM_OK;
	}
	if (!embargoed)
		return EM_OK;
	buf_init(&note);
	rc = store_thin_note(t, state_print_key(), id, f->text.data ?
	    f->text.data : "", f->text.len, now, &note, err);
	if (rc == EM_OK && note.len > 0)
		buf_appendf(body, "\nNote: %.*s.\n", (int)note.len, note.data);
	buf_free(&note);
	return rc;
}
