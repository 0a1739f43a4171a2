/*
 * html_svg.c - the timeline picture of a reviewer's page (cmd_html.c),
 * and the few helpers the page's tables draw with too: escaped output,
 * times, the kinds of audit record, the counts (see html.h)
 *
 * The picture is an inline SVG that runs from the advisory's first
 * record to its release: the revisions, one mark per copy per recipient
 * (a wait for a usable key drawn as a dashed gap), the date moves with
 * who moved them, holds, notices and reminders, release hooks and
 * refusals, and the embargo date as a line across.  Every mark carries a
 * text alternative (SVG title); the tables of the page give the same
 * facts.  Times in UTC.  The helpers live here, under the pages, so that
 * the two files never use each other.
 */

/* System library. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "html.h"
#include "../util/emtime.h"

/* The picture's geometry, in SVG user units. */
#define SVG_W		1100
#define SVG_LABEL	250	/* the rows' names, left of the plot */
#define SVG_RIGHT	30
#define SVG_TOP		70	/* the axis and the date's label */
#define SVG_ROW		30

/* html_out - text into the page, the arguments escaped for HTML */

void
html_out(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_markup_vprintf_escaped(fmt, ap);
	va_end(ap);
	(void)fputs(s, f);
	g_free(s);
}

/* html_when - t as the page writes it ("-" for none) */

const char *
html_when(time_t t, char *buf)
{
	if (t == 0) {
		(void)snprintf(buf, EM_TIME_BUFSZ, "-");
		return buf;
	}
	return em_time_format(t, buf);
}

/* html_is_move - a record that sets or moves the date, or makes it public */

bool
html_is_move(const struct book_ev *e)
{
	return strcmp(e->event, "embargo-set") == 0 ||
	    strcmp(e->event, "embargo-changed") == 0 ||
	    strcmp(e->event, "made-public") == 0 ||
	    strcmp(e->event, "public-unannounced") == 0;
}

/* html_is_notice - a reminder or a notice of the date */

bool
html_is_notice(const struct book_ev *e)
{
	return strcmp(e->event, "reminder") == 0 ||
	    strcmp(e->event, "date-notice") == 0 ||
	    strcmp(e->event, "pre-announced") == 0;
}

/* html_is_hook - a release hook's record */

bool
html_is_hook(const struct book_ev *e)
{
	return strncmp(e->event, "hook-", 5) == 0;
}

/* html_is_refusal - refused mail that named the advisory */

bool
html_is_refusal(const struct book_ev *e)
{
	return strcmp(e->event, "rejected") == 0;
}

/* date_of - the embargo date the line shows: the registered one, or for
 * a public advisory the last date it had (0: none ever) */

static time_t
date_of(const struct book_page *p)
{
	time_t date = p->known ? p->a.embargo : 0;

	for (guint i = p->ev->len; date == 0 && i > 0; i--)
		if (html_is_move(EV(p, i - 1)) && EV(p, i - 1)->embargo != 0)
			date = EV(p, i - 1)->embargo;
	return date;
}

/* html_count - the records of a kind */

size_t
html_count(const struct book_page *p, bool (*is)(const struct book_ev *))
{
	size_t n = 0;

	for (guint i = 0; i < p->ev->len; i++)
		n += is(EV(p, i));
	return n;
}

/* html_sent - the copies sent */

size_t
html_sent(const struct book_page *p)
{
	size_t n = 0;

	for (guint i = 0; i < p->copies->len; i++)
		n += COPY(p, i)->ob.sent_at != 0;
	return n;
}

/* The picture's time axis and rows. */
struct plot {
	time_t	t0, t1;
	GPtrArray *rcpt;		/* one row per recipient address */
	int	rows;
};

/* widen - the plot's span takes in t */

static void
widen(struct plot *pl, time_t t)
{
	if (t <= 0)
		return;
	if (pl->t0 == 0 || t < pl->t0)
		pl->t0 = t;
	if (t > pl->t1)
		pl->t1 = t;
}

/* plot_of - the span from the first record to the release, the rows */

static void
plot_of(const struct book *b, const struct book_page *p, struct plot *pl)
{
	time_t pad;

	memset(pl, 0, sizeof(*pl));
	pl->rcpt = g_ptr_array_new();
	/* Earlier dates widen nothing: the table lists them all. */
	widen(pl, p->known ? p->a.created : 0);
	widen(pl, date_of(p));
	for (guint i = 0; i < p->ev->len; i++)
		widen(pl, EV(p, i)->t);
	for (guint i = 0; i < p->copies->len; i++) {
		const struct store_outbox *ob = &COPY(p, i)->ob;
		bool seen = false;

		widen(pl, ob->created);
		widen(pl, ob->sent_at);
		for (guint k = 0; k < pl->rcpt->len && !seen; k++)
			seen = strcmp(g_ptr_array_index(pl->rcpt, k), ob->rcpt) == 0;
		if (!seen)
			g_ptr_array_add(pl->rcpt, (gpointer)ob->rcpt);
	}
	for (guint i = 0; i < p->holds->len; i++) {
		widen(pl, HOLD(p, i)->held_at);
		widen(pl, HOLD(p, i)->released_at);
	}
	if (pl->t0 == 0)
		pl->t0 = pl->t1 = b->now;
	if (pl->t1 - pl->t0 < 10)
		pl->t1 = pl->t0 + 10;
	pad = (pl->t1 - pl->t0) / 30 + 1;
	pl->t0 -= pad;
	pl->t1 += pad;
	/* Revisions, recipients, date, holds, notices, hooks, refusals. */
	pl->rows = 1 + (int)pl->rcpt->len + 5;
}

/* x_of - where t is on the plot */

static double
x_of(const struct plot *pl, time_t t)
{
	double w = SVG_W - SVG_LABEL - SVG_RIGHT;

	return SVG_LABEL + w * (double)(t - pl->t0) / (double)(pl->t1 - pl->t0);
}

/* y_of - the middle of row r */

static double
y_of(int r)
{
	return SVG_TOP + SVG_ROW * r + SVG_ROW / 2.0;
}

/* row_of - the row of a recipient's copies */

static int
row_of(const struct plot *pl, const char *rcpt)
{
	for (guint k = 0; k < pl->rcpt->len; k++)
		if (strcmp(g_ptr_array_index(pl->rcpt, k), rcpt) == 0)
			return 1 + (int)k;
	return 1;
}

/* svg_axis - five times across the top (within one day: the day once,
 * the ticks as times of day), a line down from each */

static void
svg_axis(FILE *f, const struct plot *pl, int bottom)
{
	struct tm a, b;
	bool day;
	char d[32];

	(void)gmtime_r(&pl->t0, &a);
	(void)gmtime_r(&pl->t1, &b);
	day = a.tm_year == b.tm_year && a.tm_yday == b.tm_yday;
	(void)strftime(d, sizeof(d), "%Y-%m-%d", &a);
	for (int k = 0; k <= 4; k++) {
		time_t t = pl->t0 + (pl->t1 - pl->t0) * k / 4;
		char ts[32];
		struct tm tm;

		(void)gmtime_r(&t, &tm);
		(void)strftime(ts, sizeof(ts), day ? "%H:%M:%S" : "%Y-%m-%d %H:%M",
		    &tm);
		html_out(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		    "y2=\"%d\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">"
		    "%s</text>\n", x_of(pl, t), SVG_TOP - 8, x_of(pl, t), bottom,
		    x_of(pl, t), SVG_TOP - 14, k == 0 ? "start" : k == 4 ? "end" :
		    "middle", ts);
	}
	html_out(f, "<text x=\"6\" y=\"%d\">Time (UTC%s%s)</text>\n", SVG_TOP - 14,
	    day ? ", " : "", day ? d : "");
}

/* svg_rows - the rows' names, their grid lines, the time axis */

static void
svg_rows(FILE *f, const struct book_page *p, const struct plot *pl)
{
	static const char *const tail[] = { "Date set and moved", "Holds",
	    "Notices and reminders", "Release hooks", "Refusals" };
	int bottom = SVG_TOP + SVG_ROW * pl->rows;

	for (int r = 0; r < pl->rows; r++) {
		const char *name = r == 0 ? "Revisions" :
		    r <= (int)pl->rcpt->len ? NULL : tail[r - 1 - pl->rcpt->len];
		char label[400];

		if (name == NULL) {
			const char *rc = g_ptr_array_index(pl->rcpt, r - 1);
			const char *org = rc;

			for (guint i = 0; i < p->copies->len; i++)
				if (strcmp(COPY(p, i)->ob.rcpt, rc) == 0)
					org = COPY(p, i)->ob.member;
			(void)snprintf(label, sizeof(label), "%.120s", org);
			name = label;
		}
		html_out(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		    "y2=\"%.1f\"/><text x=\"6\" y=\"%.1f\">%s</text>\n",
		    SVG_LABEL, y_of(r), SVG_W - SVG_RIGHT, y_of(r), y_of(r) + 4,
		    name);
	}
	svg_axis(f, pl, bottom);
}

/* svg_dates - the embargo date as a line across; earlier dates dashed */

static void
svg_dates(FILE *f, const struct book_page *p, const struct plot *pl)
{
	int bottom = SVG_TOP + SVG_ROW * pl->rows;
	char ts[EM_TIME_BUFSZ], iso[EM_TIME_BUFSZ];
	time_t date = date_of(p);

	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = EV(p, i);

		if (!html_is_move(e) || e->embargo == 0 || e->embargo == date ||
		    e->embargo < pl->t0 || e->embargo > pl->t1)
			continue;
		html_out(f, "<line class=\"embargo-was\" x1=\"%.1f\" y1=\"%d\" "
		    "x2=\"%.1f\" y2=\"%d\"><title>an earlier embargo date: %s"
		    "</title></line>\n", x_of(pl, e->embargo), SVG_TOP,
		    x_of(pl, e->embargo), bottom, html_when(e->embargo, ts));
	}
	if (date == 0)
		return;
	html_out(f, "<line class=\"embargo-line\" data-time=\"%s\" x1=\"%.1f\" "
	    "y1=\"%d\" x2=\"%.1f\" y2=\"%d\"><title>the embargo date: %s"
	    "</title></line>\n<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
	    "fill=\"#c00\">embargo date %s</text>\n",
	    em_time_format_iso(date, iso), x_of(pl, date), SVG_TOP - 4,
	    x_of(pl, date), bottom, html_when(date, ts), x_of(pl, date), SVG_TOP + 2
	    - 40, html_when(date, ts));
}

/* svg_copies - the revisions, and each copy on its recipient's row */

static void
svg_copies(FILE *f, const struct book_page *p, const struct plot *pl)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	int last = 0;

	for (guint i = 0; i < p->copies->len; i++)
		if (COPY(p, i)->ob.revision > last)
			last = COPY(p, i)->ob.revision;
	for (int rev = 1; rev <= last; rev++) {
		time_t first = 0;

		for (guint i = 0; i < p->copies->len; i++)
			if (COPY(p, i)->ob.revision == rev && (first == 0 ||
			    COPY(p, i)->ob.created < first))
				first = COPY(p, i)->ob.created;
		if (first == 0)
			continue;
		html_out(f, "<g class=\"revision\" data-revision=\"%d\"><title>"
		    "revision %d fanned out %s</title><polygon points=\"%.1f,%.1f "
		    "%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/><text x=\"%.1f\" y=\"%.1f\">"
		    "r%d</text></g>\n", rev, rev, html_when(first, t1),
		    x_of(pl, first), y_of(0) - 7, x_of(pl, first) + 7, y_of(0),
		    x_of(pl, first), y_of(0) + 7, x_of(pl, first) - 7, y_of(0),
		    x_of(pl, first) + 9, y_of(0) - 4, rev);
	}
	for (guint i = 0; i < p->copies->len; i++) {
		const struct book_copy *c = COPY(p, i);
		const struct store_outbox *ob = &c->ob;
		double y = y_of(row_of(pl, ob->rcpt));
		time_t end = ob->sent_at ? ob->sent_at : pl->t1;

		if (c->waited)
			html_out(f, "<line class=\"key-wait\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"><title>%s: revision %d waited "
			    "for a usable key from %s%s</title></line>\n",
			    x_of(pl, ob->created), y, x_of(pl, end), y, ob->member,
			    ob->revision, html_when(ob->created, t1), ob->sent_at ?
			    "" : "; still waiting");
		html_out(f, "<g class=\"%s\" data-member=\"%s\" data-rcpt=\"%s\" "
		    "data-revision=\"%d\" data-copy-id=\"%s\"><title>%s &lt;%s&gt;: "
		    "revision %d %s %s, key %s, copy id %s</title><circle cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"6\"/><text x=\"%.1f\" y=\"%.1f\">r%d</text>"
		    "</g>\n", ob->sent_at ? "copy" : "copy-unsent", ob->member,
		    ob->rcpt, ob->revision, ob->copy_id, ob->member, ob->rcpt,
		    ob->revision, ob->sent_at ? "sent" : "queued, not sent, since",
		    html_when(ob->sent_at ? ob->sent_at : ob->created, t2), ob->key,
		    ob->copy_id, x_of(pl, ob->sent_at ? ob->sent_at : ob->created), y,
		    x_of(pl, ob->sent_at ? ob->sent_at : ob->created) + 8, y - 8,
		    ob->revision);
	}
}

/* who_moved - who a date move names: the operator, or the post's sender */

static const char *
who_moved(const struct book_ev *e)
{
	return e->sender[0] != '\0' ? e->sender : "the release timer";
}

/* svg_events - date moves, holds, notices, hooks and refusals */

static void
svg_events(FILE *f, const struct book_page *p, const struct plot *pl)
{
	int base = 1 + (int)pl->rcpt->len;
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];

	for (guint i = 0; i < p->holds->len; i++) {
		const struct store_hold *h = HOLD(p, i);
		time_t end = h->released_at ? h->released_at : pl->t1;
		double x = x_of(pl, h->held_at), w = x_of(pl, end) - x;

		html_out(f, "<rect class=\"hold\" data-hold=\"%llu\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"12\"><title>hold %llu, %s: "
		    "held %s, out %s, to %s</title></rect>\n",
		    (unsigned long long)h->id, x, y_of(base + 1) - 6, w < 3 ? 3 : w,
		    (unsigned long long)h->id, h->state == STORE_HOLD_HELD ? "held" :
		    h->state == STORE_HOLD_RELEASED ? "released" : "dropped",
		    html_when(h->held_at, t1), html_when(h->released_at, t2), h->rcpts);
	}
	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = EV(p, i);
		double x = x_of(pl, e->t);

		if (html_is_move(e) && e->event[0] == 'e')
			html_out(f, "<g class=\"date-move\" data-by=\"%s\"><title>%s: the "
			    "date set to %s by %s at %s</title><polygon points=\"%.1f,"
			    "%.1f %.1f,%.1f %.1f,%.1f\"/><text x=\"%.1f\" y=\"%.1f\">"
			    "by %s</text></g>\n", who_moved(e), e->event,
			    html_when(e->embargo, t1), who_moved(e), html_when(e->t, t2), x,
			    y_of(base) - 7, x + 7, y_of(base) + 6, x - 7, y_of(base) + 6,
			    x + 9, y_of(base) + 4, who_moved(e));
		else if (html_is_move(e))
			html_out(f, "<rect class=\"made-public\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"10\" height=\"10\"><title>%s at %s</title></rect>\n",
			    x - 5, y_of(base) - 5, e->event, html_when(e->t, t1));
		else if (html_is_notice(e))
			html_out(f, "<rect class=\"notice\" data-event=\"%s\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"8\" height=\"8\"><title>%s at %s to %s"
			    "</title></rect>\n", e->event, x - 4, y_of(base + 2) - 4,
			    e->event, html_when(e->t, t1), e->rcpts);
		else if (html_is_hook(e))
			html_out(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\">"
			    "<title>%s at %s: %s</title></circle>\n",
			    strcmp(e->event, "hook-failed") == 0 ? "hook-failed" :
			    "hook", x, y_of(base + 3), e->event, html_when(e->t, t1),
			    e->reason);
		else if (html_is_refusal(e))
			html_out(f, "<path class=\"refusal\" "
			    "d=\"M%.1f %.1fl8 8m0 -8l-8 8\"><title>refused at %s: "
			    "from %s to %s</title></path>\n",
			    x - 4, y_of(base + 4) - 4, html_when(e->t, t1), e->sender,
			    e->rcpts);
	}
}

/* html_svg - the picture, with its text alternative */

void
html_svg(FILE *f, const struct book *b, const struct book_page *p)
{
	struct plot pl;
	char t0[EM_TIME_BUFSZ], t1[EM_TIME_BUFSZ];

	plot_of(b, p, &pl);
	html_out(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "role=\"img\" aria-labelledby=\"tl-title tl-desc\" "
	    "viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" data-t0=\"%lld\" data-t1=\"%lld\" "
	    "data-x0=\"%d\" data-x1=\"%d\"><title id=\"tl-title\">Timeline of "
	    "%s</title><desc id=\"tl-desc\">From %s to %s: %zu copies sent of "
	    "%u to %u recipients, %zu date moves, %u holds, %zu notices and "
	    "reminders, %zu release hook records, %zu refusals. The tables "
	    "below give every fact the picture shows.</desc>\n", SVG_W,
	    SVG_TOP + SVG_ROW * pl.rows + 10, SVG_W, SVG_TOP + SVG_ROW * pl.rows
	    + 10, (long long)pl.t0, (long long)pl.t1, SVG_LABEL,
	    SVG_W - SVG_RIGHT, p->id, html_when(pl.t0, t0), html_when(pl.t1, t1),
	    html_sent(p), p->copies->len, pl.rcpt->len,
	    html_count(p, html_is_move), p->holds->len,
	    html_count(p, html_is_notice), html_count(p, html_is_hook),
	    html_count(p, html_is_refusal));
	svg_rows(f, p, &pl);
	svg_dates(f, p, &pl);
	svg_copies(f, p, &pl);
	svg_events(f, p, &pl);
	html_out(f, "</svg><figcaption>Timeline of %s, times in UTC. Marks: "
	    "diamond, a revision fanned out; dot, a copy sent (hollow: not "
	    "sent); dashed orange, a wait for the recipient's key; triangle, "
	    "the date set or moved, with who; red line, the embargo date "
	    "(dashed: earlier dates); bar, a held posting until its release; "
	    "square, a notice or reminder; cross, a refusal.</figcaption>"
	    "</figure>\n", p->id);
	g_ptr_array_free(pl.rcpt, true);
}
