/*
 * cmd_html.c - the reviewer's pages: embargoctl advisory ID --report
 * --html FILE, embargoctl report --html DIR (SPEC 7)
 *
 * A page is self-contained static HTML: inline CSS and an inline SVG
 * timeline (html_svg.c), no script, no network, no font but the
 * reader's.  After the picture the same facts follow as tables: the
 * copies, the date moves, the holds, the notices, the release hooks, the
 * refusals and every audit record naming the advisory.  Times in UTC.
 * The page is written aside and renamed into place: a reader never sees
 * half of it.
 */

/* System library. */
#include <errno.h>
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
#include "html.h"
#include "../util/emtime.h"

/* The pages' style, inline. */
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

/* table_head - a table's start: its id, caption and column heads
 * ("|" between them) */

static void
table_head(FILE *f, const char *id, const char *caption, const char *cols)
{
	char **v = g_strsplit(cols, "|", -1);

	html_out(f, "<table id=\"%s\"><caption>%s</caption><tr>", id, caption);
	for (char **c = v; *c != NULL; c++)
		html_out(f, "<th scope=\"col\">%s</th>", *c);
	html_out(f, "</tr>\n");
	g_strfreev(v);
}

/* table_copies - every copy, as a table */

static void
table_copies(FILE *f, const struct book_page *p)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ], cap[64];

	(void)snprintf(cap, sizeof(cap), "Copies (%zu sent of %u)", html_sent(p),
	    p->copies->len);
	table_head(f, "copies", cap, "Recipient|Address|Revision|Queued|Sent|"
	    "Waited for key|Key|Copy id|Queue id");
	for (guint i = 0; i < p->copies->len; i++) {
		const struct book_copy *c = COPY(p, i);

		html_out(f, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td>"
		    "<td>%s</td><td>%s</td><td><code>%s</code></td><td><code>%s"
		    "</code></td><td>%s</td></tr>\n", c->ob.member, c->ob.rcpt,
		    c->ob.revision, html_when(c->ob.created, t1), c->ob.sent_at ?
		    html_when(c->ob.sent_at, t2) : "not sent", c->waited ? "yes" : "no",
		    c->ob.key, c->ob.copy_id, c->ob.queue_id[0] ? c->ob.queue_id :
		    "-");
	}
	html_out(f, "</table>\n");
}

/* table_events - the records of one kind (all: is NULL), as a table */

static void
table_events(FILE *f, const struct book_page *p, const char *id,
    const char *caption, bool (*is)(const struct book_ev *))
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	size_t n = is != NULL ? html_count(p, is) : p->ev->len;
	char cap[128];

	(void)snprintf(cap, sizeof(cap), "%s (%zu)", caption, n);
	table_head(f, id, cap, "Seq|Time|Event|Revision|Date|By or from|To|"
	    "Reason");
	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = EV(p, i);

		if (is != NULL && !is(e))
			continue;
		html_out(f, "<tr><td>%llu</td><td>%s</td><td>%s</td><td>%d</td>"
		    "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		    (unsigned long long)e->seq, html_when(e->t, t1), e->event,
		    e->revision, html_when(e->embargo, t2), e->sender, e->rcpts,
		    e->reason);
	}
	html_out(f, "</table>\n");
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

		html_out(f, "<tr><td>%llu</td><td>%s</td><td>%s</td><td>%s</td>"
		    "<td>%s</td><td>%s</td></tr>\n", (unsigned long long)h->id,
		    h->state == STORE_HOLD_HELD ? "held" : h->state ==
		    STORE_HOLD_RELEASED ? "released" : "dropped",
		    html_when(h->held_at, t1), html_when(h->released_at, t2), h->sender,
		    h->rcpts);
	}
	html_out(f, "</table>\n");
}

/* refusals - how many, the first and the last */

static void
refusals(FILE *f, const struct book_page *p)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	time_t first = 0, last = 0;
	size_t n = html_count(p, html_is_refusal);

	for (guint i = 0; i < p->ev->len; i++)
		if (html_is_refusal(EV(p, i))) {
			if (first == 0)
				first = EV(p, i)->t;
			last = EV(p, i)->t;
		}
	html_out(f, "<p id=\"refused\">Refused mail that named %s: %zu", p->id, n);
	if (n > 0)
		html_out(f, ", the first at %s, the last at %s", html_when(first, t1),
		    html_when(last, t2));
	html_out(f, ".</p>\n");
}

/* chain - the audit head and what audit verify says of the chain */

static void
chain(FILE *f, const struct book *b)
{
	if (b->unreadable > 0)
		html_out(f, "<p id=\"unreadable\" class=\"broken\">%zu audit records "
		    "could not be read and are not on this page: see embargoctl "
		    "audit.</p>\n", b->unreadable);
	if (b->chain_ok)
		html_out(f, "<p id=\"chain\" class=\"ok\">Audit chain: verified end to "
		    "end, %llu records, head <code>%llu:%s</code>.</p>\n",
		    (unsigned long long)b->count, (unsigned long long)b->seq,
		    b->hash);
	else
		html_out(f, "<p id=\"chain\" class=\"broken\">Audit chain: BROKEN at "
		    "record %llu (%llu records, head <code>%llu:%s</code>): this "
		    "record cannot be trusted.</p>\n", (unsigned long long)b->bad,
		    (unsigned long long)b->count, (unsigned long long)b->seq,
		    b->hash);
}

/* head - the document's start */

static void
head(FILE *f, const char *title)
{
	html_out(f, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>%s</title><style>", title);
	(void)fputs(css, f);
	(void)fputs("</style></head><body>\n", f);
}

/* early - an early release (embargoctl embargo --now before the date),
 * said first: when, by whom and why, as the audit has it */

static void
early(FILE *f, const struct book_page *p)
{
	char t[EM_TIME_BUFSZ], *why;

	for (guint i = 0; i < p->ev->len; i++) {
		const struct book_ev *e = &g_array_index(p->ev, struct book_ev, i);
		const char *r = strstr(e->reason, "(early release: ");

		if (strcmp(e->event, "embargo-changed") != 0 || r == NULL)
			continue;
		r += strlen("(early release: ");
		/* The reason without the ")" that closes it in the audit. */
		why = g_strndup(r, strlen(r) - (strlen(r) > 0 &&
		    r[strlen(r) - 1] == ')'));
		html_out(f, "<p id=\"early\"><strong>Early release</strong>: made "
		    "public at %s by %s, before its date. Why: %s</p>\n",
		    html_when(e->t, t), e->sender[0] ? e->sender : "-", why);
		g_free(why);
	}
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
		html_out(f, "<p><a href=\"index.html\">All advisories</a></p>\n");
	html_out(f, "<h1>%s</h1>\n<p>Generated %s. Every time on this page is UTC."
	    "</p>\n<table id=\"summary\"><caption>Summary</caption>", title,
	    html_when(b->now, t1));
	html_out(f, "<tr><th scope=\"row\">State</th><td>%s</td></tr><tr><th "
	    "scope=\"row\">Embargo date</th><td>%s</td></tr><tr><th "
	    "scope=\"row\">Revision</th><td>%d</td></tr><tr><th scope=\"row\">"
	    "Date set by</th><td>%s</td></tr><tr><th scope=\"row\">Deployment "
	    "during embargo</th><td>%s</td></tr></table>\n", !p->known ?
	    "not registered" : p->a.state == STORE_ADV_EMBARGOED ? "embargoed" :
	    "public", p->known ? html_when(p->a.embargo, t2) : "-",
	    p->known ? p->a.revision : 0, p->known ? p->a.embargo_set_by : "-",
	    p->deployment);
	early(f, p);
	chain(f, b);
	html_out(f, "<h2>Timeline</h2>\n");
	html_svg(f, b, p);
	html_out(f, "<h2>The facts</h2>\n");
	table_copies(f, p);
	table_events(f, p, "moves", "Date set, moved, made public", html_is_move);
	table_holds(f, p);
	table_events(f, p, "notices", "Notices and reminders", html_is_notice);
	table_events(f, p, "hooks", "Release hooks", html_is_hook);
	refusals(f, p);
	table_events(f, p, "refusals", "Refusals", html_is_refusal);
	table_events(f, p, "audit", "Every audit record naming it", NULL);
	html_out(f, "</body></html>\n");
}

/* index_page - the list of advisories, each linked to its page */

static void
index_page(FILE *f, const struct book *b, char **files)
{
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ], cap[64];

	head(f, "Embargo records");
	html_out(f, "<h1>Embargo records</h1>\n<p>Generated %s. Every time on this "
	    "page is UTC.</p>\n", html_when(b->now, t1));
	chain(f, b);
	(void)snprintf(cap, sizeof(cap), "Advisories (%u)", b->order->len);
	table_head(f, "advisories", cap, "Advisory|State|Embargo date|Revision|"
	    "Copies sent|Refusals");
	for (guint i = 0; i < b->order->len; i++) {
		const struct book_page *p = g_ptr_array_index(b->order, i);

		html_out(f, "<tr><td><a href=\"%s\">%s</a></td><td>%s</td><td>%s</td>"
		    "<td>%d</td><td>%zu of %u</td><td>%zu</td></tr>\n", files[i],
		    p->id, !p->known ? "not registered" : p->a.state ==
		    STORE_ADV_EMBARGOED ? "embargoed" : "public",
		    p->known ? html_when(p->a.embargo, t2) : "-", p->a.revision,
		    html_sent(p), p->copies->len, html_count(p, html_is_refusal));
	}
	html_out(f, "</table>\n</body></html>\n");
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
