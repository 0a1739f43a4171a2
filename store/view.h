/*
 * view.h - the registry as policy_decide() sees it: a read transaction,
 * advisory lookups and the leak guard's fingerprint tally.  The milter
 * and "embargoctl dry-run" use the same view, so they decide alike.
 */
#ifndef VIEW_H
#define VIEW_H

#include "store.h"
#include "../conf/conf.h"
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
/* What the leak guard makes of each word run of text (dry-run --explain). */
enum store_run_kind {
	STORE_RUN_SECRET,	/* filed under one advisory alone: counted */
	STORE_RUN_SHARED,	/* under two or more advisories: public */
	STORE_RUN_PUBLIC,	/* seen in public text */
};
int	store_view_explain(struct store_view *v, const char *text, size_t len,
	    void (*cb)(size_t line, enum store_run_kind kind,
	    const char *advisory, void *ctx), void *ctx);

/* A warning into rep while no public text is loaded (SPEC 4). */
void	store_check_public(const struct config *cfg, struct conf_report *rep);

/* Text made public (SPEC 4): file its word runs as public, under source;
 * *n (if not NULL) how many runs the text had. */
int	store_public_add_text(struct store_txn *t, const unsigned char *key,
	    const char *text, size_t len, const char *source, size_t *n,
	    struct em_err *err);
/* An advisory's word runs, of its secret part (a patch's added lines). */
int	store_print_add_text(struct store_txn *t, const unsigned char *key,
	    const char *text, size_t len, const char *advisory,
	    struct em_err *err);

#endif
