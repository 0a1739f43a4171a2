/*
 * cmd_ics.c - embargoctl upcoming --ics: the public dates as an
 * iCalendar file (RFC 5545), for the public pre-announcement page and
 * distributors' calendars
 *
 * One VEVENT per advisory under embargo, at its public date: ids and
 * dates only, as embargoctl upcoming.  The UID is the advisory's id at
 * the list's domain, so a calendar that imports the file again updates
 * the event; SEQUENCE counts the date's moves (the audit log's
 * embargo-changed records), so it rises each time the date moves.
 * An advisory made public (at its date or early) stays in the file for
 * ICS_KEEP_PUBLIC as the same event cancelled (STATUS:CANCELLED, its
 * SEQUENCE one higher, at the moment it became public), so a calendar
 * that imported it updates instead of keeping a date that no longer
 * holds; one registered public never had an event and has none.
 * Lines end in CRLF and are folded at 75 octets (RFC 5545 3.1).
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "cli.h"
#include "book.h"
#include "../util/emtime.h"

/* How long an advisory made public stays in the file, cancelled. */
#define ICS_KEEP_PUBLIC	((time_t)90 * 86400)

/* line - one content line, folded at 75 octets, CRLF */

static void
line(struct buf *b, const char *s)
{
	size_t n = strlen(s), col = 0;

	for (size_t i = 0; i < n; i++) {
		/* Never split a UTF-8 sequence: fold before its lead byte. */
		bool lead = ((unsigned char)s[i] & 0xC0) != 0x80;

		if (col >= 74 && lead) {
			buf_append(b, "\r\n ", 3);
			col = 1;
		}
		buf_append(b, s + i, 1);
		col++;
	}
	buf_append(b, "\r\n", 2);
}

/* text - a TEXT value, escaped (RFC 5545 3.3.11) */

static char *
text(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == ';' || *s == ',')
			g_string_append_c(g, '\\');
		if (*s == '\n' || *s == '\r') {
			g_string_append(g, "\\n");
			continue;
		}
		g_string_append_c(g, *s);
	}
	return g_string_free(g, false);
}

/* stamp - t as a UTC DATE-TIME, 20261210T120000Z */

static const char *
stamp(time_t t, char *buf, size_t n)
{
	struct tm tm;

	(void)gmtime_r(&t, &tm);
	(void)strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm);
	return buf;
}

/* moves - how often the date of p moved since it was first set */

static int
moves(const struct book_page *p)
{
	int n = 0;

	for (guint i = 0; i < p->ev->len; i++)
		n += strcmp(g_array_index(p->ev, struct book_ev, i).event,
		    "embargo-changed") == 0;
	return n;
}

/* when - the date p has or last had: its record's, else the last one an
 * audit record of it carried (a later public revision clears the
 * record's); 0 when it never had one */

static time_t
when(const struct book_page *p)
{
	time_t last = 0;

	if (p->a.embargo != 0)
		return p->a.embargo;
	for (guint i = 0; i < p->ev->len; i++)
		if (g_array_index(p->ev, struct book_ev, i).embargo != 0)
			last = g_array_index(p->ev, struct book_ev, i).embargo;
	return last;
}

/* event - one advisory's VEVENT at date: its public date, or (cancelled)
 * the moment it became public */

static void
event(struct buf *b, const struct book_page *p, const char *domain,
    time_t now, time_t date, bool cancelled)
{
	char t1[32], t2[32], ts[EM_TIME_BUFSZ];
	char *id = text(p->id), *s;

	line(b, "BEGIN:VEVENT");
	s = g_strdup_printf("UID:%s@%s", id, domain);
	line(b, s);
	g_free(s);
	s = g_strdup_printf("DTSTAMP:%s", stamp(now, t1, sizeof(t1)));
	line(b, s);
	g_free(s);
	s = g_strdup_printf("DTSTART:%s", stamp(date, t2, sizeof(t2)));
	line(b, s);
	g_free(s);
	s = g_strdup_printf("SEQUENCE:%d", moves(p) + (cancelled ? 1 : 0));
	line(b, s);
	g_free(s);
	if (cancelled)
		line(b, "STATUS:CANCELLED");
	s = g_strdup_printf("SUMMARY:%s public", id);
	line(b, s);
	g_free(s);
	s = g_strdup_printf(cancelled ? "DESCRIPTION:%s became public at %s." :
	    "DESCRIPTION:%s becomes public at %s.", id,
	    em_time_format(date, ts));
	line(b, s);
	g_free(s);
	line(b, "TRANSP:TRANSPARENT");
	line(b, "END:VEVENT");
	g_free(id);
}

/* calendar - the whole file */

static void
calendar(struct buf *b, const struct book *bk, const char *domain)
{
	line(b, "BEGIN:VCALENDAR");
	line(b, "VERSION:2.0");
	line(b, "PRODID:-//embargo-milter//upcoming public dates//EN");
	line(b, "CALSCALE:GREGORIAN");
	line(b, "METHOD:PUBLISH");
	for (guint i = 0; i < bk->order->len; i++) {
		const struct book_page *p = g_ptr_array_index(bk->order, i);

		time_t date = p->known ? when(p) : 0;

		if (date == 0)
			continue;	/* never had a date: never an event */
		if (p->a.state == STORE_ADV_EMBARGOED && date > bk->now)
			event(b, p, domain, bk->now, date, false);
		else if (bk->now - date <= ICS_KEEP_PUBLIC)
			event(b, p, domain, bk->now, date, true);
	}
	line(b, "END:VCALENDAR");
}

/* cmd_upcoming_ics - the calendar on standard output */

int
cmd_upcoming_ics(const struct opts *o)
{
	struct config *cfg;
	struct store *s;
	struct book bk;
	struct em_err err;
	struct buf b;
	const char *at;
	char *domain;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	at = strrchr(cfg->list_address, '@');
	domain = text(at != NULL ? at + 1 : cfg->list_address);
	if (book_read(s, NULL, &bk, &err) < 0) {
		cli_close(cfg, s);
		cli_fail(o, "upcoming: %s", err.msg);
		book_free(&bk);
		g_free(domain);
		return EXIT_USAGE;
	}
	cli_close(cfg, s);
	buf_init(&b);
	calendar(&b, &bk, domain);
	(void)fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	book_free(&bk);
	g_free(domain);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "embargoctl: upcoming: cannot write: %s\n",
		    strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
