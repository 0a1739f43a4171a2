/*
 * view.h - the registry as policy_decide() sees it: a read transaction,
 * advisory lookups and the leak guard's fingerprint tally.  The milter
 * and "embargoctl dry-run" use the same view, so they decide alike.
 */
#ifndef VIEW_H
#define VIEW_H

#include "store.h"
#include "../policy/policy.h"

struct store_view {
	struct store_txn *t;
	const unsigned char *key;	/* the fingerprint key, 32 bytes */
	struct store_advisory a;
	struct policy_advisory pa;
	time_t	now;
	char	quoted[64];
};

int	store_view_open(struct store_view *v, struct policy_view *pv,
	    struct store *s, const unsigned char *key, time_t now,
	    struct em_err *err);
void	store_view_close(struct store_view *v);

#endif
