/*
 * advisory.c - an advisory's life in the registry
 *
 *   (none) --registered by a post or embargoctl--> embargoed (a date)
 *                                                  or public (none)
 *   embargoed --date moved (post, embargoctl)----> embargoed, what was
 *                                                  prepared follows it
 *   embargoed --lifted (--now, a post with none)-> public
 *   public ----embargo set again (embargoctl)----> embargoed
 *   any -------revision, reminded; the list's revision never goes back
 *
 * The date passing needs no write: "public at now" is a reading of
 * (state, embargo, now).  What was told, announced and published is
 * kept beside it in meta lists by the code that told, announced or
 * queued the hooks, in the same transaction.
 */

/* System library. */
#include <string.h>

/* Application-specific. */
#include "ledger.h"
#include "../store/view.h"

/* ledger_adv_put - a's record written, checked against old (ledger.h) */

int
ledger_adv_put(struct store_txn *t, const struct store_advisory *old,
    struct store_advisory *a, time_t now, struct em_err *err)
{
	bool moved;
	int rc;

	if (a->state != STORE_ADV_EMBARGOED && a->state != STORE_ADV_PUBLIC)
		return em_fail(err, EM_ESTORE, "advisory %s: no such state %d",
		    a->id, a->state);
	if (a->state == STORE_ADV_EMBARGOED && a->embargo == 0)
		return em_fail(err, EM_ESTORE, "advisory %s: under embargo "
		    "without a date", a->id);
	if (old != NULL && strcmp(old->id, a->id) != 0)
		return em_fail(err, EM_ESTORE, "advisory %s written over %s",
		    a->id, old->id);
	/* The revisions the list had never go back (a final copy counts). */
	if (old != NULL && a->list_revision_sent < old->list_revision_sent)
		a->list_revision_sent = old->list_revision_sent;
	if (old == NULL)
		a->created = now;
	a->updated = now;
	moved = old != NULL && (old->embargo != a->embargo ||
	    old->state != a->state);
	if ((rc = store_adv_put(t, a, err)) < 0)
		return rc;
	/* What was prepared for the old date follows the new one. */
	return moved ? ledger_adv_retime(t, a->id, now, err) : EM_OK;
}

/* ledger_public_wanted - is one of the recipients a public list? */

bool
ledger_public_wanted(const struct config *cfg, const char *const *rcpts,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (conf_addr_role(cfg, rcpts[i]) == CONF_ROLE_PUBLIC)
			return true;
	return false;
}

/* ledger_public_file - a text's runs filed as public text, in t */

int
ledger_public_file(struct store_txn *t, const unsigned char *key,
    const char *text, size_t len, const char *source, struct em_err *err)
{
	return store_public_add_text(t, key, text, len, source, NULL, err);
}
