/*
 * cmd_html.c - the reviewer's pages: embargoctl advisory ID --report
 * --html FILE, embargoctl report --html DIR (SPEC 7)
 *
 * A page is self-contained static HTML: inline CSS and an inline SVG
 * timeline, no script, no network, no font but the reader's.  The
 * picture runs from the advisory's first record to its release: the
 * revisions, one mark per copy per recipient (a wait for a usable key
 * drawn as a dashed gap), the date moves with who moved them, holds,
 * notices and reminders, release hooks and refusals, and the embargo
 * date as a line across.  Every mark carries a text alternative (SVG
 * title); the same facts follow as tables.  Times in UTC.  The page is
 * written aside and renamed into place: a reader never sees half of it.
 */

/* System library. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "cli.h"
#include "book.h"
#include "../util/emtime.h"

/* The picture's geometry, in SVG user units. */
#define SVG_W		1100
#define SVG_LABEL	250	/* the rows' names, left of the plot */
#define SVG_RIGHT	30
#define SVG_TOP		70	/* the axis and the date's label */
#define SVG_ROW		30

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#111;max-width:72em}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.9em}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
    "vertical-align:top}th{background:#eee}#copies td{white-space:nowrap}caption{text-align:left;"
    "font-weight:bold;padding:.3em 0}code{font-size:.95em}"
    ".ok{color:#064}.broken{color:#a00;font-weight:bold}"
    "figure{margin:1em 0}svg{width:100%;height:auto;border:1px solid #ccc}"
    "svg text{font-family:sans-serif;font-size:12px;fill:#111}"
    "svg .axis{stroke:#888}svg .grid{stroke:#eee}"
    "svg .embargo-line{stroke:#c00;stroke-width:2}"
    "svg .embargo-was{stroke:#c99;stroke-width:1;stroke-dasharray:4 3}"
    "svg .copy{fill:#1a5fb4}svg .copy-unsent{fill:#fff;stroke:#1a5fb4;"
    "stroke-width:2}svg .key-wait{stroke:#e66100;stroke-width:2;"
    "stroke-dasharray:5 4}svg .revision{fill:#613583}"
    "svg .date-move{fill:#c00}svg .made-public{fill:#26a269}"
    "svg .hold{fill:#f6d32d;stroke:#9c7a00}svg .notice{fill:#5e5c64}"
    "svg .hook{fill:#26a269}svg .hook-failed{fill:#c00}"
    "svg .refusal{stroke:#a00;stroke-width:2}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "a{color:#000;text-decoration:none}svg{border:none}}";

/* out - text into the page, the arguments escaped for HTML */

static void
out(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_markup_vprintf_escaped(fmt, ap);
	va_end(ap);
	(void)fputs(s, f);
	g_free(s);
}

/* when - t as the page writes it ("-" for none) */

static const char *
when(time_t t, char *buf)
{
	if (t == 0) {
		(void)snprintf(buf, EM_TIME_BUFSZ, "-");
		return buf;
	}
	return em_time_format(t, buf);
}

/* is_move - a record that sets or moves the date, or makes it public */

static bool
is_move(const struct book_ev *e)
{
	return strcmp(e->event, "embargo-set") == 0 ||
	    strcmp(e->event, "embargo-changed") == 0 ||
	    strcmp(e->event, "made-public") == 0 ||
	    strcmp(e->event, "public-unannounced") == 0;
}

/* is_notice - a reminder or a notice of the date */

static bool
is_notice(const struct book_ev *e)
{
	return strcmp(e->event, "reminder") == 0 ||
	    strcmp(e->event, "date-notice") == 0 ||
	    strcmp(e->event, "pre-announced") == 0;
}

/* is_hook - a release hook's record */

static bool
is_hook(const struct book_ev *e)
{
	return strncmp(e->event, "hook-", 5) == 0;
}

/* is_refusal - refused mail that named the advisory */

static bool
is_refusal(const struct book_ev *e)
{
	return strcmp(e->event, "rejected") == 0;
}

#define EV(p, i)	(&g_array_index((p)->ev, struct book_ev, (i)))

/* date_of - the embargo date the line shows: the registered one, or for
 * a public advisory the last date it had (0: none ever) */

static time_t
date_of(const struct book_page *p)
{
	time_t date = p->known ? p->a.embargo : 0;

	for (guint i = p->ev->len; date == 0 && i > 0; i--)
		if (is_move(EV(p, i - 1)) && EV(p, i - 1)->embargo != 0)
			date = EV(p, i - 1)->embargo;
	return date;
}
#define COPY(p, i)	(&g_array_index((p)->copies, struct book_copy, (i)))
#define HOLD(p, i)	(&g_array_index((p)->holds, struct store_hold, (i)))

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
		out(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		    "y2=\"%d\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">"
		    "%s</text>\n", x_of(pl, t), SVG_TOP - 8, x_of(pl, t), bottom,
		    x_of(pl, t), SVG_TOP - 14, k == 0 ? "start" : k == 4 ? "end" :
		    "middle", ts);
	}
	out(f, "<text x=\"6\" y=\"%d\">Time (UTC%s%s)</text>\n", SVG_TOP - 14,
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
		out(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
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

		if (!is_move(e) || e->embargo == 0 || e->embargo == date ||
		    e->embargo < pl->t0 || e->embargo > pl->t1)
			continue;
		out(f, "<line class=\"embargo-was\" x1=\"%.1f\" y1=\"%d\" "
		    "x2=\"%.1f\" y2=\"%d\"><title>an earlier embargo date: %s"
		    "</title></line>\n", x_of(pl, e->embargo), SVG_TOP,
		    x_of(pl, e->embargo), bottom, when(e->embargo, ts));
	}
	if (date == 0)
		return;
	out(f, "<line class=\"embargo-line\" data-time=\"%s\" x1=\"%.1f\" "
	    "y1=\"%d\" x2=\"%.1f\" y2=\"%d\"><title>the embargo date: %s"
	    "</title></line>\n<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
	    "fill=\"#c00\">embargo date %s</text>\n",
	    em_time_format_iso(date, iso), x_of(pl, date), SVG_TOP - 4,
	    x_of(pl, date), bottom, when(date, ts), x_of(pl, date), SVG_TOP + 2
	    - 40, when(date, ts));
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
		out(f, "<g class=\"revision\" data-revision=\"%d\"><title>revision "
		    "%d fanned out %s</title><polygon points=\"%.1f,%.1f %.1f,%.1f "
		    "%.1f,%.1f %.1f,%.1f\"/><text x=\"%.1f\" y=\"%.1f\">r%d</text>"
		    "</g>\n", rev, rev, when(first, t1), x_of(pl, first), y_of(0) - 7,
		    x_of(pl, first) + 7, y_of(0), x_of(pl, first), y_of(0) + 7,
		    x_of(pl, first) - 7, y_of(0), x_of(pl, first) + 9, y_of(0) - 4,
		    rev);
	}
	for (guint i = 0; i < p->copies->len; i++) {
		const struct book_copy *c = COPY(p, i);
		const struct store_outbox *ob = &c->ob;
		double y = y_of(row_of(pl, ob->rcpt));
		time_t end = ob->sent_at ? ob->sent_at : pl->t1;

		if (c->waited)
			out(f, "<line class=\"key-wait\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"><title>%s: revision %d waited "
			    "for a usable key from %s%s</title></line>\n",
			    x_of(pl, ob->created), y, x_of(pl, end), y, ob->member,
			    ob->revision, when(ob->created, t1), ob->sent_at ?
			    "" : "; still waiting");
		out(f, "<g class=\"%s\" data-member=\"%s\" data-rcpt=\"%s\" "
		    "data-revision=\"%d\" data-copy-id=\"%s\"><title>%s &lt;%s&gt;: "
		    "revision %d %s %s, key %s, copy id %s</title><circle cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"6\"/><text x=\"%.1f\" y=\"%.1f\">r%d</text>"
		    "</g>\n", ob->sent_at ? "copy" : "copy-unsent", ob->member,
		    ob->rcpt, ob->revision, ob->copy_id, ob->member, ob->rcpt,
		    ob->revision, ob->sent_at ? "sent" : "queued, not sent, since",
		    when(ob->sent_at ? ob->sent_at : ob->created, t2), ob->key,
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

		out(f, "<rect class=\"hold\" data-hold=\"%llu\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"12\"><title>hold %llu, %s: "
		    "held %s, out %s, to %s</title></rect>\n",
		    (unsigned long long)h->id, x, y_of(base + 1) - 6, w < 3 ? 3 : w,
		    (unsigned long long)h->id, h->state == STORE_HOLD_HELD ? "held" :
		    h->state == STORE_HOLD_RELEASED ? "released" : "dropped",
		    when(h->held_at, t1), when(h->released_at, t2), h->rcpts);
	}
	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = EV(p, i);
		double x = x_of(pl, e->t);

		if (is_move(e) && e->event[0] == 'e')
			out(f, "<g class=\"date-move\" data-by=\"%s\"><title>%s: the "
			    "date set to %s by %s at %s</title><polygon points=\"%.1f,"
			    "%.1f %.1f,%.1f %.1f,%.1f\"/><text x=\"%.1f\" y=\"%.1f\">"
			    "by %s</text></g>\n", who_moved(e), e->event,
			    when(e->embargo, t1), who_moved(e), when(e->t, t2), x,
			    y_of(base) - 7, x + 7, y_of(base) + 6, x - 7, y_of(base) + 6,
			    x + 9, y_of(base) + 4, who_moved(e));
		else if (is_move(e))
			out(f, "<rect class=\"made-public\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"10\" height=\"10\"><title>%s at %s</title></rect>\n",
			    x - 5, y_of(base) - 5, e->event, when(e->t, t1));
		else if (is_notice(e))
			out(f, "<rect class=\"notice\" data-event=\"%s\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"8\" height=\"8\"><title>%s at %s to %s"
			    "</title></rect>\n", e->event, x - 4, y_of(base + 2) - 4,
			    e->event, when(e->t, t1), e->rcpts);
		else if (is_hook(e))
			out(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\">"
			    "<title>%s at %s: %s</title></circle>\n",
			    strcmp(e->event, "hook-failed") == 0 ? "hook-failed" :
			    "hook", x, y_of(base + 3), e->event, when(e->t, t1),
			    e->reason);
		else if (is_refusal(e))
			out(f, "<path class=\"refusal\" d=\"M%.1f %.1fl8 8m0 -8l-8 8\">"
			    "<title>refused at %s: from %s to %s</title></path>\n",
			    x - 4, y_of(base + 4) - 4, when(e->t, t1), e->sender,
			    e->rcpts);
	}
}

/* count - the records of a kind */

static size_t
count(const struct book_page *p, bool (*is)(const struct book_ev *))
{
	size_t n = 0;

	for (guint i = 0; i < p->ev->len; i++)
		n += is(EV(p, i));
	return n;
}

/* sent - the copies sent */

static size_t
sent(const struct book_page *p)
{
	size_t n = 0;

	for (guint i = 0; i < p->copies->len; i++)
		n += COPY(p, i)->ob.sent_at != 0;
	return n;
}

/* svg - the picture, with its text alternative */

static void
svg(FILE *f, const struct book *b, const struct book_page *p)
{
	struct plot pl;
	char t0[EM_TIME_BUFSZ], t1[EM_TIME_BUFSZ];

	plot_of(b, p, &pl);
	out(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
	    "aria-labelledby=\"tl-title tl-desc\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" data-t0=\"%lld\" data-t1=\"%lld\" "
	    "data-x0=\"%d\" data-x1=\"%d\"><title id=\"tl-title\">Timeline of "
	    "%s</title><desc id=\"tl-desc\">From %s to %s: %zu copies sent of "
	    "%u to %u recipients, %zu date moves, %u holds, %zu notices and "
	    "reminders, %zu release hook records, %zu refusals. The tables "
	    "below give every fact the picture shows.</desc>\n", SVG_W,
	    SVG_TOP + SVG_ROW * pl.rows + 10, SVG_W, SVG_TOP + SVG_ROW * pl.rows
	    + 10, (long long)pl.t0, (long long)pl.t1, SVG_LABEL,
	    SVG_W - SVG_RIGHT, p->id, when(pl.t0, t0), when(pl.t1, t1), sent(p),
	    p->copies->len, pl.rcpt->len, count(p, is_move), p->holds->len,
	    count(p, is_notice), count(p, is_hook), count(p, is_refusal));
	svg_rows(f, p, &pl);
	svg_dates(f, p, &pl);
	svg_copies(f, p, &pl);
	svg_events(f, p, &pl);
	out(f, "</svg><figcaption>Timeline of %s, times in UTC. Marks: "
	    "diamond, a revision fanned out; dot, a copy sent (hollow: not "
	    "sent); dashed orange, a wait for the recipient's key; triangle, "
	    "the date set or moved, with who; red line, the embargo date "
	    "(dashed: earlier dates); bar, a held posting until its release; "
	    "square, a notice or reminder; cross, a refusal.</figcaption>"
	    "</figure>\n", p->id);
	g_ptr_array_free(pl.rcpt, true);
}

/* table_head - a table's start: its id, caption and column heads
 * ("|" between them) */

static void
table_head(FILE *f, const char *id, const char *caption, const char *cols)
{
	char **v = g_strsplit(cols, "|", -1);

	out(f, "<table id=\"%s\"><caption>%s</caption><tr>", id, caption);
	for (char **c = v; *c != NULL; c++)
		out(f, "<th scope=\"col\">%s</th>", *c);
	out(f, "</tr>\n");
	g_strfreev(v);
}

/* table_copies - every copy, as a table */

static void
table_copies(FILE *f, const struct book_page *p)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ], cap[64];

	(void)snprintf(cap, sizeof(cap), "Copies (%zu sent of %u)", sent(p),
	    p->copies->len);
	table_head(f, "copies", cap, "Recipient|Address|Revision|Queued|Sent|"
	    "Waited for key|Key|Copy id|Queue id");
	for (guint i = 0; i < p->copies->len; i++) {
		const struct book_copy *c = COPY(p, i);

		out(f, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td>"
		    "<td>%s</td><td>%s</td><td><code>%s</code></td><td><code>%s"
		    "</code></td><td>%s</td></tr>\n", c->ob.member, c->ob.rcpt,
		    c->ob.revision, when(c->ob.created, t1), c->ob.sent_at ?
		    when(c->ob.sent_at, t2) : "not sent", c->waited ? "yes" : "no",
		    c->ob.key, c->ob.copy_id, c->ob.queue_id[0] ? c->ob.queue_id :
		    "-");
	}
	out(f, "</table>\n");
}

/* table_events - the records of one kind (all: is NULL), as a table */

static void
table_events(FILE *f, const struct book_page *p, const char *id,
    const char *caption, bool (*is)(const struct book_ev *))
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	size_t n = is != NULL ? count(p, is) : p->ev->len;
	char cap[128];

	(void)snprintf(cap, sizeof(cap), "%s (%zu)", caption, n);
	table_head(f, id, cap, "Seq|Time|Event|Revision|Date|By or from|To|"
	    "Reason");
	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = EV(p, i);

		if (is != NULL && !is(e))
			continue;
		out(f, "<tr><td>%llu</td><td>%s</td><td>%s</td><td>%d</td>"
		    "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		    (unsigned long long)e->seq, when(e->t, t1), e->event,
		    e->revision, when(e->embargo, t2), e->sender, e->rcpts,
		    e->reason);
	}
	out(f, "</table>\n");
}

/* table_holds - the held postings, as a table */

static void
table_holds(FILE *f, const struct book_page *p)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ], cap[64];

	(void)snprintf(cap, sizeof(cap), "Held postings (%u)", p->holds->len);
	table_head(f, "holds", cap, "Hold|State|Held|Released|From|To");
	for (guint i = 0; i < p->holds->len; i++) {
		const struct store_hold *h = HOLD(p, i);

		out(f, "<tr><td>%llu</td><td>%s</td><td>%s</td><td>%s</td>"
		    "<td>%s</td><td>%s</td></tr>\n", (unsigned long long)h->id,
		    h->state == STORE_HOLD_HELD ? "held" : h->state ==
		    STORE_HOLD_RELEASED ? "released" : "dropped",
		    when(h->held_at, t1), when(h->released_at, t2), h->sender,
		    h->rcpts);
	}
	out(f, "</table>\n");
}

/* refusals - how many, the first and the last */

static void
refusals(FILE *f, const struct book_page *p)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	time_t first = 0, last = 0;
	size_t n = count(p, is_refusal);

	for (guint i = 0; i < p->ev->len; i++)
		if (is_refusal(EV(p, i))) {
			if (first == 0)
				first = EV(p, i)->t;
			last = EV(p, i)->t;
		}
	out(f, "<p id=\"refused\">Refused mail that named %s: %zu", p->id, n);
	if (n > 0)
		out(f, ", the first at %s, the last at %s", when(first, t1),
		    when(last, t2));
	out(f, ".</p>\n");
}

/* chain - the audit head and what audit verify says of the chain */

static void
chain(FILE *f, const struct book *b)
{
	if (b->unreadable > 0)
		out(f, "<p id=\"unreadable\" class=\"broken\">%zu audit records "
		    "could not be read and are not on this page: see embargoctl "
		    "audit.</p>\n", b->unreadable);
	if (b->chain_ok)
		out(f, "<p id=\"chain\" class=\"ok\">Audit chain: verified end to "
		    "end, %llu records, head <code>%llu:%s</code>.</p>\n",
		    (unsigned long long)b->count, (unsigned long long)b->seq,
		    b->hash);
	else
		out(f, "<p id=\"chain\" class=\"broken\">Audit chain: BROKEN at "
		    "record %llu (%llu records, head <code>%llu:%s</code>): this "
		    "record cannot be trusted.</p>\n", (unsigned long long)b->bad,
		    (unsigned long long)b->count, (unsigned long long)b->seq,
		    b->hash);
}

/* head - the document's start */

static void
head(FILE *f, const char *title)
{
	out(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>%s</title><style>", title);
	(void)fputs(css, f);
	(void)fputs("</style></head><body>\n", f);
}

/* page - one advisory's page */

static void
page(FILE *f, const struct book *b, const struct book_page *p,
    bool linked)
{
	char title[128], t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];

	(void)snprintf(title, sizeof(title), "Embargo record: %s", p->id);
	head(f, title);
	if (linked)
		out(f, "<p><a href=\"index.html\">All advisories</a></p>\n");
	out(f, "<h1>%s</h1>\n<p>Generated %s. Every time on this page is UTC."
	    "</p>\n<table id=\"summary\"><caption>Summary</caption>", title,
	    when(b->now, t1));
	out(f, "<tr><th scope=\"row\">State</th><td>%s</td></tr><tr><th "
	    "scope=\"row\">Embargo date</th><td>%s</td></tr><tr><th "
	    "scope=\"row\">Revision</th><td>%d</td></tr><tr><th scope=\"row\">"
	    "Date set by</th><td>%s</td></tr><tr><th scope=\"row\">Deployment "
	    "during embargo</th><td>%s</td></tr></table>\n", !p->known ?
	    "not registered" : p->a.state == STORE_ADV_EMBARGOED ? "embargoed" :
	    "public", p->known ? when(p->a.embargo, t2) : "-",
	    p->known ? p->a.revision : 0, p->known ? p->a.embargo_set_by : "-",
	    p->deployment);
	chain(f, b);
	out(f, "<h2>Timeline</h2>\n");
	svg(f, b, p);
	out(f, "<h2>The facts</h2>\n");
	table_copies(f, p);
	table_events(f, p, "moves", "Date set, moved, made public", is_move);
	table_holds(f, p);
	table_events(f, p, "notices", "Notices and reminders", is_notice);
	table_events(f, p, "hooks", "Release hooks", is_hook);
	refusals(f, p);
	table_events(f, p, "refusals", "Refusals", is_refusal);
	table_events(f, p, "audit", "Every audit record naming it", NULL);
	out(f, "</body></html>\n");
}

/* index_page - the list of advisories, each linked to its page */

static void
index_page(FILE *f, const struct book *b, char **files)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ], cap[64];

	head(f, "Embargo records");
	out(f, "<h1>Embargo records</h1>\n<p>Generated %s. Every time on this "
	    "page is UTC.</p>\n", when(b->now, t1));
	chain(f, b);
	(void)snprintf(cap, sizeof(cap), "Advisories (%u)", b->order->len);
	table_head(f, "advisories", cap, "Advisory|State|Embargo date|Revision|"
	    "Copies sent|Refusals");
	for (guint i = 0; i < b->order->len; i++) {
		const struct book_page *p = g_ptr_array_index(b->order, i);

		out(f, "<tr><td><a href=\"%s\">%s</a></td><td>%s</td><td>%s</td>"
		    "<td>%d</td><td>%zu of %u</td><td>%zu</td></tr>\n", files[i],
		    p->id, !p->known ? "not registered" : p->a.state ==
		    STORE_ADV_EMBARGOED ? "embargoed" : "public",
		    p->known ? when(p->a.embargo, t2) : "-", p->a.revision, sent(p),
		    p->copies->len, count(p, is_refusal));
	}
	out(f, "</table>\n</body></html>\n");
}

/*
 * The pages are made by a child that runs as the daemon's user (it reads
 * the state) and handed to the parent, which keeps the invoking user's
 * rights to write them where it was asked: on a pipe, each page as
 * "NAME\nLENGTH\n" and its bytes.
 */
#define PAGE_MAX	((size_t)256 << 20)	/* a page larger is refused */

/* emit - one page, rendered, down the pipe; -1 (said) when it cannot be */

static int
emit(FILE *w, const char *name, const struct book *b,
    const struct book_page *p, char **files)
{
	char *data = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&data, &n);
	int rc = -1;

	if (f != NULL) {
		if (p != NULL)
			page(f, b, p, files != NULL);
		else
			index_page(f, b, files);
		if (fclose(f) == 0 && fprintf(w, "%s\n%zu\n", name, n) > 0 &&
		    fwrite(data, 1, n, w) == n)
			rc = 0;
	}
	if (rc < 0)
		fprintf(stderr, "embargoctl: page %s cannot be made: %s\n", name,
		    strerror(errno));
	free(data);
	return rc;
}

/* file_name - a page's file name: the id with anything but [A-Za-z0-9._-]
 * as "_", and ".html" */

static char *
file_name(const char *id)
{
	char *s = g_strdup_printf("%s.html", id[0] != '.' ? id : "_");

	for (char *q = s; q[5] != '\0'; q++)
		if (!g_ascii_isalnum(*q) && *q != '.' && *q != '-' && *q != '_')
			*q = '_';
	return s;
}

/* emit_all - every advisory's page, then the index; -1 at the first
 * that cannot be made */

static int
emit_all(FILE *w, const struct book *b)
{
	char **files = g_new0(char *, b->order->len + 1);
	int rc = 0;

	for (guint i = 0; i < b->order->len; i++)
		files[i] = file_name(((struct book_page *)
		    g_ptr_array_index(b->order, i))->id);
	for (guint i = 0; i < b->order->len && rc == 0; i++)
		rc = emit(w, files[i], b, g_ptr_array_index(b->order, i), files);
	if (rc == 0)
		rc = emit(w, "index.html", b, NULL, files);
	g_strfreev(files);
	return rc;
}

/* render - the child: read the state, the pages down w; the exit status */

static int
render(const struct opts *o, const char *id, FILE *w)
{
	struct config *cfg;
	struct store *s;
	struct book b;
	struct em_err err;
	const struct book_page *p;
	int rc;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	rc = book_read(s, id, &b, &err);
	cli_close(cfg, s);
	if (rc < 0) {
		cli_fail(o, "report%s%s: %s", id ? " " : "", id ? id : "", err.msg);
		book_free(&b);
		return EXIT_USAGE;
	}
	p = id != NULL ? g_hash_table_lookup(b.pages, id) : NULL;
	if ((id != NULL ? emit(w, "page", &b, p, NULL) : emit_all(w, &b)) < 0) {
		book_free(&b);
		return EXIT_USAGE;
	}
	if (p != NULL && !p->known)
		fprintf(stderr, "embargoctl: %s is not registered; the page shows "
		    "what the audit log says of it\n", id);
	if (!b.chain_ok)
		fprintf(stderr, "embargoctl: the audit chain is broken at record "
		    "%llu (the pages say so)\n", (unsigned long long)b.bad);
	rc = !b.chain_ok || (p != NULL && !p->known) ? EXIT_FINDING : EXIT_OK;
	book_free(&b);
	return rc;
}

/* save - one page to path ("-": standard output), aside then renamed */

static int
save(const char *path, const char *data, size_t n)
{
	char *tmp = g_strdup_printf("%s.tmp%ld", path, (long)getpid());
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdout : fopen(tmp, "w");
	bool bad;

	if (f == NULL) {
		fprintf(stderr, "embargoctl: cannot write %s: %s; give a file in "
		    "a folder you can write\n", path, strerror(errno));
		g_free(tmp);
		return -1;
	}
	bad = fwrite(data, 1, n, f) != n || fflush(f) != 0;
	if (!std)
		bad |= fclose(f) != 0 || rename(tmp, path) != 0;
	if (bad) {
		fprintf(stderr, "embargoctl: cannot write %s: %s\n", path,
		    strerror(errno));
		if (!std)
			(void)unlink(tmp);
	}
	g_free(tmp);
	return bad ? -1 : 0;
}

/* frame - one page off the pipe: 1 with name and data, 0 at the end,
 * -1 when the frame is unreadable */

static int
frame(FILE *r, char **name, char **data, size_t *n)
{
	size_t cap = 0;
	char len[32], *end;
	unsigned long long v;

	*name = NULL;
	*data = NULL;
	if (getline(name, &cap, r) < 0) {
		free(*name);
		*name = NULL;
		return 0;
	}
	(*name)[strcspn(*name, "\n")] = '\0';
	if (fgets(len, sizeof(len), r) == NULL)
		return -1;
	errno = 0;
	v = strtoull(len, &end, 10);
	if (errno != 0 || end == len || *end != '\n' || v > PAGE_MAX)
		return -1;
	*n = (size_t)v;
	*data = g_malloc(*n + 1);
	return fread(*data, 1, *n, r) == *n ? 1 : -1;
}

/* receive - the parent: each page into file, or into dir by its name */

static int
receive(int fd, const char *file, const char *dir)
{
	FILE *r = fdopen(fd, "r");
	char *name, *data;
	size_t n = 0, pages = 0;
	int rc = 0, got;

	if (r == NULL)
		return -1;
	while (rc == 0 && (got = frame(r, &name, &data, &n)) > 0) {
		bool ok = name[0] != '\0' && name[0] != '.' &&
		    strchr(name, '/') == NULL;
		char *path = file != NULL ? g_strdup(file) :
		    g_build_filename(dir, name, NULL);

		rc = ok ? save(path, data, n) : -1;
		pages++;
		g_free(path);
		free(name);
		g_free(data);
	}
	if (got < 0) {
		free(name);
		g_free(data);
		rc = -1;
	}
	(void)fclose(r);
	if (rc == 0 && dir != NULL && pages > 0)
		printf("%s: index.html and a page for each of %zu advisories\n", dir,
		    pages ? pages - 1 : 0);
	return rc;
}

/* split - render in a child as the daemon's user, write here */

static int
split(const struct opts *o, const char *id, const char *file,
    const char *dir)
{
	int fds[2], st = 0, rc;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "embargoctl: cannot start: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	if (pid == 0) {
		FILE *w;

		(void)close(fds[0]);
		w = fdopen(fds[1], "w");
		rc = w != NULL ? render(o, id, w) : EXIT_USAGE;
		if (w != NULL && fclose(w) != 0)
			rc = EXIT_USAGE;
		fflush(stdout);
		_exit(rc);
	}
	(void)close(fds[1]);
	rc = receive(fds[0], file, dir);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || !WIFEXITED(st))
		return EXIT_USAGE;
	return WEXITSTATUS(st);
}

/* cmd_advisory_html - one advisory's page into file */

int
cmd_advisory_html(const struct opts *o, const char *id, const char *file)
{
	return split(o, id, file, NULL);
}

/* cmd_report_html - every advisory's page and an index into dir */

int
cmd_report_html(const struct opts *o, const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "embargoctl: cannot make %s: %s\n", dir,
		    strerror(errno));
		return EXIT_USAGE;
	}
	return split(o, NULL, NULL, dir);
}
