/*
 * html.h - what the reviewer's pages (cmd_html.c) and their timeline
 * picture (html_svg.c) share, and nothing else sees: the picture itself,
 * and the helpers both draw with, which html_svg.c defines so that the
 * two files never use each other.  Every function writes into a page
 * being made in memory; none fails (a write error shows at fclose).
 */
#ifndef HTML_H
#define HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "book.h"

/* A page's audit records, copies and holds, by index. */
#define EV(p, i)	(&g_array_index((p)->ev, struct book_ev, (i)))
#define COPY(p, i)	(&g_array_index((p)->copies, struct book_copy, (i)))
#define HOLD(p, i)	(&g_array_index((p)->holds, struct store_hold, (i)))

/* Text into the page, the arguments escaped for HTML. */
void	html_out(FILE *f, const char *fmt, ...);
/* t as the page writes it into buf (EM_TIME_BUFSZ bytes): "-" for 0. */
const char *html_when(time_t t, char *buf);

/* The kinds of audit record a page shows apart. */
bool	html_is_move(const struct book_ev *e);
bool	html_is_notice(const struct book_ev *e);
bool	html_is_hook(const struct book_ev *e);
bool	html_is_refusal(const struct book_ev *e);
/* How many of a page's records are of a kind; how many copies were sent. */
size_t	html_count(const struct book_page *p,
	    bool (*is)(const struct book_ev *));
size_t	html_sent(const struct book_page *p);

/* The timeline of page p of b, an inline SVG in a figure. */
void	html_svg(FILE *f, const struct book *b, const struct book_page *p);

#endif
