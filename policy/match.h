/*
 * match.h - the leak guard's rule: what counts as quoting an advisory
 * under embargo (SPEC 4), and what it makes of each word run
 *
 * What it is for: policy_match() tells whether a text quotes an advisory
 * under embargo, which one, and with how many word runs; policy_decide()
 * asks it, and "embargoctl dry-run --explain" asks policy_match_explain()
 * the same question run by run.  policy_secret_prints() gives the runs an
 * advisory's own text files, the other half of the same rule.
 *
 * The rule: a text quotes an advisory when POLICY_LEAK_SHINGLES or more
 * of its distinct word runs are filed under that advisory alone and are
 * not public text, and the advisory is under embargo at now.  A run filed
 * under two or more advisories (the boilerplate every advisory carries,
 * text shared with one made public) or seen in public text never counts.
 * A pasted patch is read as it is and, besides, its added lines on their
 * own, as an advisory's patch is filed.  Every advisory the runs match is
 * counted, however many; of those over the threshold and under embargo
 * the text is named after the first in the order of its prints (sorted).
 *
 * Purity: the registry is read through the view's lookups alone (struct
 * policy_view: the fingerprints filed, public text, advisory records);
 * no store, no clock.
 *
 * How it fails: a lookup's fault is returned with its reason (naming the
 * database), never read as "quotes nothing"; so is an advisory the
 * fingerprints name that the registry does not hold, and an id longer
 * than POLICY_ID_MAX - 1 bytes (EM_ESTORE).  A view without the guard's
 * lookups is EM_EUSAGE.
 */
#ifndef POLICY_MATCH_H
#define POLICY_MATCH_H

#include "policy.h"

/* What a text quotes. */
struct policy_match {
	char	advisory[POLICY_ID_MAX];	/* "" when none */
	size_t	runs;			/* its runs the text holds, 0: none */
};

int	policy_match(const struct policy_view *v, const char *text, size_t len,
	    time_t now, struct policy_match *m, struct em_err *err);

/* What the rule makes of one word run (dry-run --explain). */
enum policy_run_kind {
	POLICY_RUN_SECRET,	/* filed under one advisory alone: counted */
	POLICY_RUN_SHARED,	/* under two or more advisories: public */
	POLICY_RUN_PUBLIC,	/* seen in public text */
};

/*
 * Each word run of text, in order, that the registry knows: cb gets the
 * line (0-based) the run starts on, its kind and the advisory (the first
 * it is filed under; "" for public text filed under none).  Runs filed
 * nowhere are not reported.
 */
int	policy_match_explain(const struct policy_view *v, const char *text,
	    size_t len, void (*cb)(size_t line, enum policy_run_kind kind,
	    const char *advisory, void *ctx), void *ctx, struct em_err *err);

/*
 * The prints an advisory's text files under it (sorted, distinct): the
 * runs of its secret part (policy_secret_text()) but those its patches
 * show of the public tree (policy_patch_public()).
 */
void	policy_secret_prints(const char *text, size_t len, const void *key,
	    size_t keylen, struct policy_prints *out);

/*
 * sections.c: an advisory's standard sections (SPEC 4), by their
 * headings (a line in capitals underlined with '='): those Xen writes in
 * its standard words, every known one but ISSUE DESCRIPTION (UPDATES IN
 * VERSION N, IMPACT, VULNERABLE SYSTEMS, MITIGATION, CREDITS,
 * RESOLUTION, DEPLOYMENT DURING EMBARGO, a NOTE about the embargo).
 */
#define POLICY_HEADING_MAX	64
bool	policy_standard_heading(const char *h);
/* Each section in order ("" heading: the text before the first), its
 * lines with its heading. */
/* Is the line at p a section heading (capitals, underlined with '=')?
 * Its text into h. */
bool	policy_heading_at(const char *p, const char *end,
	    char h[POLICY_HEADING_MAX]);
void	policy_sections_each(const char *text, size_t len,
	    void (*cb)(const char *heading, bool standard, const char *p,
	    size_t n, void *ctx), void *ctx);
/* text without its standard sections: what the leak guard reads of the
 * team's own public advisory. */
void	policy_specific_text(const char *text, size_t len, struct buf *out);

/* A standard section whose word runs are its advisory's own. */
struct policy_thin {
	char	heading[POLICY_HEADING_MAX];
	size_t	own;		/* runs neither public nor another's */
	size_t	runs;		/* its runs in all */
};
/*
 * The standard sections of advisory id's text that are its own text:
 * POLICY_LEAK_SHINGLES or more of their runs, and more than half, are
 * neither public text nor filed under another advisory (a quote of one
 * alone is refused as id's).  *out (caller frees): those, *n of them.
 * A lookup's fault is returned with its reason, *n then 0.
 */
int	policy_thin_sections(const struct policy_view *v, const char *id,
	    const char *text, size_t len, struct policy_thin **out, size_t *n,
	    struct em_err *err);
/* What the receipt and "embargoctl check" say of them, with the cure. */
void	policy_thin_note(const char *id, const struct policy_thin *th,
	    size_t n, struct buf *out);

#endif
