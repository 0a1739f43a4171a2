/*
 * book.h - the reviewer's record of every advisory (book.c), read from
 * the state in one read transaction, for the HTML pages (cmd_html.c)
 * and the calendar (embargoctl upcoming --ics).
 */
#ifndef BOOK_H
#define BOOK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "../util/em.h"
#include "../store/store.h"

/* One audit record naming the advisory (strings never NULL). */
struct book_ev {
	uint64_t seq;
	time_t	t;
	time_t	embargo;		/* 0: none in the record */
	int	revision;
	char   *event;
	char   *sender;
	char   *rcpts;
	char   *reason;
};

/* One member's or participant's copy. */
struct book_copy {
	struct store_outbox ob;
	bool	waited;			/* its key was missing a while */
};

struct book_page {
	char	id[64];
	bool	known;			/* registered; else named in the log */
	struct store_advisory a;
	char	deployment[200];
	GArray *ev;			/* struct book_ev, in the log's order */
	GArray *copies;			/* struct book_copy */
	GArray *holds;			/* struct store_hold */
};

struct book {
	const char *only;		/* one advisory, or NULL: all */
	time_t	now;
	GHashTable *pages;		/* id -> struct book_page */
	GPtrArray *order;		/* the pages, registry order first */
	size_t	unreadable;		/* audit records that do not parse */
	bool	chain_ok;
	uint64_t bad, count, seq;	/* first broken record; records; head */
	char	hash[65];
};

/* Read it all (only: that advisory's page alone, made when unknown). */
int	book_read(struct store *s, const char *only, struct book *b,
	    struct em_err *err);
void	book_free(struct book *b);

#endif
