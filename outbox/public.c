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
