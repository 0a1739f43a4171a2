/*
 * record.h - the records machines read, built from an advisory's own
 * text: what embargoctl record (cli/) writes at the date, and the
 * TLP:AMBER CSAF document a member who asked for it finds in each
 * encrypted copy before the date (outbox/build.c)
 *
 * What it is for: one builder of the CSAF 2.0 document, so the copy a
 * member imports under embargo and the document published at the date
 * say the same things the same way (SPEC 5 and 6).  The facts come from
 * policy_record_read(); the times and the form (its TLP label, its
 * status, its history) from the caller.  Nothing here reads a file, a
 * socket or the clock: record_json.h's users (cli/) write the files.
 *
 * How it fails: it does not; a missing piece is left out or empty, as
 * policy_record_read() leaves it.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../policy/policy.h"

/* One revision of an advisory, and its text read. */
struct rec {
	const char *id;			/* XSA-405 */
	long	number;			/* 405 */
	int	revision;
	time_t	released;		/* public: the release second; under
					   embargo: when this revision was
					   posted to the list */
	time_t	now;
	struct policy_record r;
};

/* The CSAF options: the advisory's public URL pattern (%n the number,
 * %i the id), the publisher, its namespace, the product. */
struct rec_opts {
	const char *url, *prefix, *base, *publisher, *ns, *product;
};

/* The number an advisory's id ends in (XSA-405: 405); false if none. */
bool	record_number(const char *id, long *n);
/* The pattern with %n (the number), %i (the id), %% (caller frees). */
char   *rec_url(const char *pattern, const struct rec *x);
/* CSAF's file name of an id (5.1): lower case, anything but [+-a-z0-9]
 * an underscore (caller frees). */
char   *record_csaf_name(const char *id);

/* When a revision was posted to the list (the advisory's "posts"). */
struct record_rev {
	int	revision;
	time_t	when;
};

/*
 * The advisory's CSAF 2.0 document for the members, under embargo, as
 * pretty JSON text (caller frees): TLP:AMBER, status "interim", a note
 * and the distribution text naming the embargo date; the revision
 * history one entry per revision posted (revs, any order: the earliest
 * post of each; x->revision's at x->released).
 */
char   *record_csaf_amber(const struct rec *x, const struct rec_opts *ro,
	    const struct record_rev *revs, size_t n, time_t embargo);

#endif
