/*
 * view.h - the registry as policy_decide() sees it: a read transaction
 * and the lookups of struct policy_view (advisory records, participants,
 * each fingerprint's advisories, public text, the filter's hits).  The
 * rules that read them, the leak guard's among them (policy/match.c),
 * are policy/'s.  The milter and "embargoctl dry-run" use the same view,
 * so they decide alike.  A lookup that fails returns its error with the
 * reason naming the database; "not registered" is a NULL advisory.
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
	bool	full;			/* the full guard, never the filter */
};

int	store_view_open(struct store_view *v, struct policy_view *pv,
	    struct store *s, const unsigned char *key, time_t now,
	    struct em_err *err);
void	store_view_close(struct store_view *v);
/* The same view over the caller's transaction t (the full guard; not
 * closed: the caller ends t). */
void	store_view_over(struct store_view *v, struct policy_view *pv,
	    struct store_txn *t, const unsigned char *key, time_t now);
/*
 * SPEC 4: the note on advisory id's standard sections that are its text
 * alone (policy_thin_sections() through a view over t), with the cure,
 * appended to out; nothing when none is.  A lookup's fault: its error.
 */
int	store_thin_note(struct store_txn *t, const unsigned char *key,
	    const char *id, const char *text, size_t len, time_t now,
	    struct buf *out, struct em_err *err);

/*
 * The leak guard's filter (filter.c): in the daemon only, the word runs
 * of the advisories under embargo under a keyed hash whose key never
 * leaves memory.  store_filter_prints() gives the prints of the runs of
 * a text the filter holds, or EM_ENOTFOUND while it cannot answer (not
 * built yet, or an advisory under embargo it does not cover): the full
 * guard answers then.  store_print_add_text() adds each post's text;
 * outbox/guard.c builds it at start and reload (begin, build_text and
 * build_covered for each post of each advisory under embargo, finish)
 * and again whenever store_filter_wanted() says so.
 */
struct store_filter;
int	store_filter_enable(struct em_err *err);
void	store_filter_disable(void);
void	store_filter_add(const char *advisory, const char *text, size_t len,
	    bool first_post);
bool	store_filter_wanted(void);
void	store_filter_rebuild(void);
struct store_filter *store_filter_begin(void);
void	store_filter_build_text(struct store_filter *f,
	    const unsigned char *hkey, const char *text, size_t len);
void	store_filter_build_covered(struct store_filter *f, const char *advisory);
int	store_filter_finish(struct store_filter *f, struct store_txn *t,
	    size_t *uncovered, char *bad, size_t badsz);
bool	store_filter_none(struct store_txn *t, time_t now);
int	store_filter_prints(struct store_txn *t, const unsigned char *hkey,
	    time_t now, const char *text, size_t len, struct policy_prints *out);

/* A warning into rep while no public text is loaded (SPEC 4). */
void	store_check_public(const struct config *cfg, struct conf_report *rep);

/* Text made public (SPEC 4): file its word runs as public, under source;
 * *n (if not NULL) how many runs the text had. */
int	store_public_add_text(struct store_txn *t, const unsigned char *key,
	    const char *text, size_t len, const char *source, size_t *n,
	    struct em_err *err);
/* An advisory's word runs, of its secret part (a patch's added lines):
 * the prints policy_secret_prints() gives. */
int	store_print_add_text(struct store_txn *t, const unsigned char *key,
	    const char *text, size_t len, const char *advisory,
	    struct em_err *err);

#endif
