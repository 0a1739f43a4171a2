/*
 * test_release - the release timer's look at the state (release_scan(),
 * outbox/release.h) with the time given, on a private store: a hold is
 * due at its advisory's date to the second and follows a moved date; a
 * hold of an advisory never registered goes at its marker's date; a
 * prepared hold is warmed WARM_AHEAD before it; the reminder is due
 * remind_before the date and release_remind() sends it once per date;
 * an advisory whose record cannot be read counts as under embargo (the
 * scan fails naming the database: nothing released, prepared, reminded
 * or run for it); a release not out by its date and release_alarm is
 * said to the team once (release_late()): a hold released on time says
 * nothing, one found past its date at start is released and said, one
 * whose posting the listener has not accepted by then is said once,
 * signed by the list key
 */
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "testutil.h"
#include "testmdb.h"
#include "../../outbox/release.h"
#include "../../util/log.h"
#include "../../keys/keys.h"

#define T0	((time_t)1796126400)	/* 2026-12-01 12:00 UTC */
#define D	(T0 + 3 * 86400)	/* the embargo date of the tests */

#define HOOK_FIX \
	"release_hook \"publish-fix\" { command = { \"/bin/true\" } }\n"

static char dir[64];
static struct store *st;
static struct config *cfg;

/* setup - a fresh state, the store the daemon's, one release hook; an
 * empty GnuPG home of its own (nothing signs or unseals with the
 * caller's) */

static int
setup(void **state)
{
	struct conf_report rep = { 0 };
	struct em_err err;
	char home[96];

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-release-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	(void)snprintf(home, sizeof(home), "%s/gnupg", dir);
	if (mkdir(home, 0700) < 0 || keys_init(home, &err) != EM_OK)
		return 1;
	cfg = test_conf_with(HOOK_FIX, &rep);
	conf_report_free(&rep);
	if (cfg == NULL)
		return 1;
	free(cfg->state_dir);
	cfg->state_dir = xstrdup(dir);
	if (store_open(dir, (size_t)1 << 30, &st, &err) < 0)
		return 1;
	state_set_store(st);
	return 0;
}

/* teardown - the store closed, the config freed, the state removed */

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	store_close(st);
	state_set_store(NULL);
	conf_free(cfg);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return 0;
}

/* adv_set - advisory id written through the ledger at T0: under embargo
 * until embargo, or public (0) */

static void
adv_set(const char *id, time_t embargo)
{
	struct store_advisory a, old;
	struct store_txn *t;
	struct em_err err;
	int rc;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	rc = store_adv_get(t, id, &old, &err);
	assert_true(rc == EM_OK || rc == EM_ENOTFOUND);
	memset(&a, 0, sizeof(a));
	if (rc == EM_OK)
		a = old;
	(void)snprintf(a.id, sizeof(a.id), "%s", id);
	a.revision = 1;
	a.embargo = embargo;
	a.state = embargo ? STORE_ADV_EMBARGOED : STORE_ADV_PUBLIC;
	assert_int_equal(ledger_adv_put(t, rc == EM_OK ? &old : NULL, &a, T0,
	    &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

/* hold_new - a posting held for advisory id (its marker's date: marker);
 * its id */

static uint64_t
hold_new(const char *id, time_t marker)
{
	static const char *const rcpts[] = { "announce@lists.example.org" };
	struct store_hold h;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(ledger_hold_new(t, &h, id, "security@example.org",
	    rcpts, 1, "Q1", marker, T0, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	return h.id;
}

/* scan - release_scan() at now in a read transaction; its return */

static int
scan(time_t now, struct scan *s)
{
	struct store_txn *t;
	struct em_err err;
	int rc;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	rc = release_scan(t, cfg, now, s);
	store_abort(t);
	return rc;
}

/* has_hold - is hold id among the scan's due holds */

static bool
has_hold(const struct scan *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_holds; i++)
		if (s->holds[i] == id)
			return true;
	return false;
}

struct count { int kind; int n; time_t created; };

/* count_cb - store_ob_each(): one more entry of the kind, its time kept */

static int
count_cb(const struct store_outbox *ob, void *ctx)
{
	struct count *c = ctx;

	if (ob->kind == c->kind) {
		c->n++;
		c->created = ob->created;
	}
	return 0;
}

/* count_kind - how many outbox entries of kind the store has (*created:
 * the last one's time, when wanted) */

static int
count_kind(int kind, time_t *created)
{
	struct count c = { kind, 0, 0 };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_each(t, count_cb, &c, &err), EM_OK);
	store_abort(t);
	if (created != NULL)
		*created = c.created;
	return c.n;
}

/* adv_read - advisory id as the store has it now */

static struct store_advisory
adv_read(const char *id)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_adv_get(t, id, &a, &err), EM_OK);
	store_abort(t);
	return a;
}

/* reopen_with_junk - the store closed, advisory id's record replaced by
 * one of another layout (as another version would leave it), reopened */

static void
reopen_with_junk(const char *id)
{
	static const char junk[] = "a record of another layout";
	struct em_err err;

	store_close(st);
	test_mdb_put(dir, "adv", id, strlen(id), junk, sizeof(junk));
	assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	state_set_store(st);
}

/*
 * t_due_at_date - a hold is due at its advisory's date to the second: at
 * date - 1 it is to be prepared and the scan wakes at the date; at the
 * date every hold of it is due, in the order held, and its revision is
 * due to be recorded as public (its release hooks queued)
 */
static void
t_due_at_date(void **s0)
{
	struct scan s;
	uint64_t h1, h2;

	(void)s0;
	adv_set("XSA-1", D);
	h1 = hold_new("XSA-1", D);
	h2 = hold_new("XSA-1", D);
	assert_int_equal(scan(D - 1, &s), EM_OK);
	assert_int_equal(s.n_holds, 0);
	assert_int_equal(s.n_prepare, 2);
	assert_int_equal(s.prepare[0], h1);
	assert_int_equal(s.next, D);
	assert_int_equal(s.n_publish, 0);
	assert_int_equal(scan(D, &s), EM_OK);
	assert_int_equal(s.n_holds, 2);
	assert_int_equal(s.holds[0], h1);
	assert_int_equal(s.holds[1], h2);
	assert_string_equal(s.hold_adv[0], "XSA-1");
	assert_int_equal(s.n_prepare, 0);
	assert_int_equal(s.n_publish, 1);
	assert_string_equal(s.publish[0], "XSA-1");
}

/*
 * t_date_moved - a hold follows its advisory's date as the registry has
 * it now, never its marker's: moved later it waits for the new date,
 * moved earlier it goes at the new one, lifted it goes at once
 */
static void
t_date_moved(void **s0)
{
	struct scan s;
	uint64_t h;

	(void)s0;
	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	adv_set("XSA-1", D + 600);
	assert_int_equal(scan(D, &s), EM_OK);
	assert_false(has_hold(&s, h));
	assert_int_equal(s.next, D + 600);
	assert_int_equal(scan(D + 599, &s), EM_OK);
	assert_false(has_hold(&s, h));
	assert_int_equal(scan(D + 600, &s), EM_OK);
	assert_true(has_hold(&s, h));
	adv_set("XSA-1", D - 600);
	assert_int_equal(scan(D - 601, &s), EM_OK);
	assert_false(has_hold(&s, h));
	assert_int_equal(s.next, D - 600);
	assert_int_equal(scan(D - 600, &s), EM_OK);
	assert_true(has_hold(&s, h));
	adv_set("XSA-1", 0);
	assert_int_equal(scan(T0, &s), EM_OK);
	assert_true(has_hold(&s, h));
}

/* t_marker_date - a hold of an advisory never registered goes at its
 * own marker's date, to the second */

static void
t_marker_date(void **s0)
{
	struct scan s;
	uint64_t h;

	(void)s0;
	h = hold_new("XSA-7", D);
	assert_int_equal(scan(D - 1, &s), EM_OK);
	assert_false(has_hold(&s, h));
	assert_int_equal(s.next, D);
	assert_int_equal(scan(D, &s), EM_OK);
	assert_true(has_hold(&s, h));
	assert_string_equal(s.hold_adv[0], "XSA-7");
}

/*
 * t_warm - a hold prepared for its date is not prepared again; it is
 * warmed (unsealed into memory) from WARM_AHEAD seconds before its date,
 * with that date, and the scan wakes at that moment
 */
static void
t_warm(void **s0)
{
	struct scan s;
	struct store_txn *t;
	struct em_err err;
	char tag[32];
	uint64_t h;
	int rev;

	(void)s0;
	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	release_hold_tag(h, tag, sizeof(tag));
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_adv_num_put(t, "prepared", tag, 1, &err),
	    EM_OK);
	assert_int_equal(release_prepared(t, h, &rev, &err), EM_OK);
	assert_int_equal(rev, 1);
	assert_int_equal(store_commit(t, &err), EM_OK);
	assert_int_equal(scan(D - WARM_AHEAD - 1, &s), EM_OK);
	assert_int_equal(s.n_prepare, 0);
	assert_int_equal(s.n_warm, 0);
	assert_int_equal(s.next, D - WARM_AHEAD);
	assert_int_equal(scan(D - WARM_AHEAD, &s), EM_OK);
	assert_int_equal(s.n_warm, 1);
	assert_int_equal(s.warm[0], h);
	assert_int_equal(s.warm_due[0], D);
	assert_int_equal(s.n_holds, 0);
	assert_int_equal(s.next, D);
}

/*
 * t_remind - the reminder is due remind_before the date, to the second
 * (the scan wakes for it); release_remind() queues one notice to the
 * team carrying the time it is given, and the advisory is not due again
 * for that date; a moved date is reminded again, a date passed never
 */
static void
t_remind(void **s0)
{
	struct scan s;
	time_t r, created;

	(void)s0;
	assert_int_equal(cfg->remind_before, 86400);	/* the default, 24h */
	adv_set("XSA-1", D);
	r = D - cfg->remind_before;
	assert_int_equal(scan(r - 1, &s), EM_OK);
	assert_int_equal(s.n_remind, 0);
	assert_int_equal(s.next, r);
	assert_int_equal(scan(r, &s), EM_OK);
	assert_int_equal(s.n_remind, 1);
	assert_string_equal(s.remind[0], "XSA-1");
	release_remind(cfg, "XSA-1", r + 1);
	assert_int_equal(count_kind(STORE_OB_NOTICE, &created), 1);
	assert_int_equal(created, r + 1);
	assert_int_equal(adv_read("XSA-1").reminded_for, D);
	assert_int_equal(scan(r + 2, &s), EM_OK);
	assert_int_equal(s.n_remind, 0);
	adv_set("XSA-1", D + 3600);
	assert_int_equal(scan(r + 3599, &s), EM_OK);
	assert_int_equal(s.n_remind, 0);
	assert_int_equal(scan(r + 3600, &s), EM_OK);
	assert_int_equal(s.n_remind, 1);
	assert_int_equal(scan(D + 3600, &s), EM_OK);
	assert_int_equal(s.n_remind, 0);
}

/*
 * t_unreadable - SPEC "Delivery and durability": an advisory whose record
 * cannot be read counts as under embargo everywhere.  Past its date the
 * scan fails, naming the database (release.h: nothing of a failed scan
 * is acted on), and never lists its hold as due or to prepare;
 * store_hold_due() is an error, never "now"; no reminder goes and no
 * release hook is queued for it
 */
static void
t_unreadable(void **s0)
{
	struct store_hold hd;
	struct store_txn *t;
	struct em_err err;
	struct scan s;
	time_t due;
	uint64_t h;

	(void)s0;
	adv_set("XSA-2", D);
	h = hold_new("XSA-2", D);
	reopen_with_junk("XSA-2");
	assert_int_equal(scan(D + 1, &s), EM_ESTORE);
	assert_non_null(strstr(s.err.msg, "database 'adv'"));
	assert_false(has_hold(&s, h));
	for (size_t i = 0; i < s.n_prepare; i++)
		assert_int_not_equal(s.prepare[i], h);
	assert_int_equal(scan(D - 86400, &s), EM_ESTORE);
	assert_int_equal(s.n_remind, 0);
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_hold_get(t, h, &hd, &err), EM_OK);
	assert_int_equal(store_hold_due(t, &hd, D + 1, &due, &err), EM_ESTORE);
	store_abort(t);
	release_remind(cfg, "XSA-2", D - 3600);
	assert_int_equal(count_kind(STORE_OB_NOTICE, NULL), 0);
	release_publish(cfg, "XSA-2");
	assert_int_equal(count_kind(STORE_OB_HOOK, NULL), 0);
}

/* ---- Late releases (release_alarm) ---- */

#define POSTING \
	"From: security@example.org\r\nTo: announce@lists.example.org\r\n" \
	"Subject: XSA-1 is public\r\nMessage-ID: <xsa1.public@example.org>\r\n" \
	"\r\nThe advisory is public now.\r\n"

/* release_entries - in t, hold id's release entries: with due, made
 * ahead (their bytes stand for the sealed posting), else released at
 * now with the plain posting */

static void
release_entries(struct store_txn *t, uint64_t id, time_t now, time_t due)
{
	struct store_hold h;
	struct buf b;
	struct em_err err;

	buf_init(&b);
	buf_appends(&b, due ? "(the posting, sealed)" : POSTING);
	assert_int_equal(store_hold_get(t, id, &h, &err), EM_OK);
	assert_int_equal(release_queue(t, cfg, &h, &b, 1, now, due, &err),
	    EM_OK);
	buf_free(&b);
}

/* hold_released - hold id released at when, the slow way: its release
 * entry queued with the plain posting */

static void
hold_released(uint64_t id, time_t when)
{
	struct store_hold h;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	release_entries(t, id, when, 0);
	assert_int_equal(store_hold_get(t, id, &h, &err), EM_OK);
	assert_int_equal(ledger_hold_release(t, &h, 1, when, false, &err),
	    EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

struct step { uint64_t hold; enum ledger_ob_event ev; time_t at;
    const char *why; uint64_t ids[8]; size_t n; };

/* step_cb - the hold's release entries, collected */

static int
step_cb(const struct store_outbox *ob, void *ctx)
{
	struct step *p = ctx;

	if (ob->kind == STORE_OB_RELEASE && ob->hold == p->hold && p->n < 8)
		p->ids[p->n++] = ob->id;
	return 0;
}

/* entries_step - hold's release entries moved by ev through the ledger:
 * sent at at, or deferred until at with why (one attempt more) */

static void
entries_step(uint64_t hold, enum ledger_ob_event ev, time_t at, const char *why)
{
	struct step p = { hold, ev, at, why, { 0 }, 0 };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_ob_each(t, step_cb, &p, &err), EM_OK);
	assert_true(p.n > 0);
	for (size_t i = 0; i < p.n; i++) {
		struct store_outbox ob;

		assert_int_equal(store_ob_get(t, p.ids[i], &ob, &err), EM_OK);
		assert_int_equal(ledger_ob_step(&ob, ev, ev == LEDGER_OB_SENT ?
		    0 : at + 60, why, &err), EM_OK);
		ob.attempts++;
		if (ev == LEDGER_OB_SENT)
			ob.sent_at = at;
		assert_int_equal(ledger_ob_put(t, &ob, &err), EM_OK);
	}
	assert_int_equal(store_commit(t, &err), EM_OK);
}

struct note { char *text; int n; };

/* note_cb - the last notice to the team: its Subject and text, decoded */

static int
note_cb(const struct store_outbox *ob, void *ctx)
{
	struct note *w = ctx;

	if (ob->kind == STORE_OB_NOTICE) {
		w->n++;
		free(w->text);
		w->text = xasprintf("%llu", (unsigned long long)ob->id);
		assert_string_equal(ob->advisory, "XSA-1");
	}
	return 0;
}

/* mime_text - a notice's Subject, a blank line and its text, decoded */

static char *
mime_text(const struct buf *b)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(b->data, b->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimeObject *part;
	char *text, *out;

	assert_non_null(m);
	part = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_TEXT_PART(part));
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
	out = xasprintf("%s\n\n%s", g_mime_message_get_subject(m), text);
	g_free(text);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	return out;
}

/* last_notice - how many notices the outbox holds; the last one's text
 * (caller frees) into *text when wanted */

static int
last_notice(char **text)
{
	struct note w = { NULL, 0 };
	struct store_txn *t;
	struct em_err err;
	struct buf b;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_each(t, note_cb, &w, &err), EM_OK);
	buf_init(&b);
	if (w.n > 0 && text != NULL) {
		assert_int_equal(store_blob_get(t, STORE_BLOB_NOTE,
		    strtoull(w.text, NULL, 10), &b, &err), EM_OK);
		*text = mime_text(&b);
	}
	store_abort(t);
	buf_free(&b);
	free(w.text);
	return w.n;
}

struct audits { const char *event; int n; };

/* audit_cb - one more record of the event */

static int
audit_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct audits *a = ctx;
	char *needle = xasprintf("\"event\":\"%s\"", a->event);

	(void)seq;
	a->n += memmem(json, n, needle, strlen(needle)) != NULL;
	free(needle);
	return 0;
}

/* audit_count - how many audit records of event */

static int
audit_count(const char *event)
{
	struct audits a = { event, 0 };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_audit_each(t, audit_cb, &a, &err), EM_OK);
	store_abort(t);
	return a.n;
}

/*
 * t_late_on_time - a hold released at its date whose posting the
 * listener took within release_alarm is never said late: until the
 * alarm the scan wakes at date + release_alarm, after it nothing is due
 */
static void
t_late_on_time(void **s0)
{
	struct scan s;
	uint64_t h;

	(void)s0;
	assert_int_equal(cfg->release_alarm, 60);	/* the default */
	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	assert_int_equal(scan(D, &s), EM_OK);
	assert_true(has_hold(&s, h));
	assert_int_equal(s.n_late, 0);
	assert_int_equal(s.next, D + 60);
	hold_released(h, D);
	assert_int_equal(scan(D + 30, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(s.next, D + 60);	/* waits for the alarm */
	entries_step(h, LEDGER_OB_SENT, D + 2, NULL);
	assert_int_equal(scan(D + 60, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(s.next, 0);
	assert_int_equal(scan(D + 86400, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(last_notice(NULL), 0);
	assert_string_equal(s.late_err.msg, "");
}

/*
 * t_late_at_start - the daemon was down at the date: the first scan
 * after it (at start, an hour late) finds the prepared hold due and
 * late; released, then said in one notice naming the advisory, the
 * posting's recipient and why (the daemon was not running), audited
 * "release-late"; its posting still not sent, the next scans and a
 * second release_late() say nothing more
 */
static void
t_late_at_start(void **s0)
{
	struct store_hold hd;
	struct store_txn *t;
	struct em_err err;
	struct scan s;
	char tag[32], *text = NULL;
	uint64_t h;

	(void)s0;
	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	release_hold_tag(h, tag, sizeof(tag));
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	release_entries(t, h, T0, D);
	assert_int_equal(store_adv_num_put(t, "prepared", tag, 1, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);

	assert_int_equal(scan(D + 3600, &s), EM_OK);
	assert_true(has_hold(&s, h));
	assert_int_equal(s.n_late, 1);
	assert_int_equal(s.late[0], h);
	assert_int_equal(s.late_due[0], D);
	assert_int_equal(release_due(cfg, &s), 0);
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_hold_get(t, h, &hd, &err), EM_OK);
	store_abort(t);
	assert_int_equal(hd.state, STORE_HOLD_RELEASED);
	assert_int_equal(release_late(cfg, h, D, D + 3600, D + 3600), EM_OK);
	assert_int_equal(last_notice(&text), 1);
	assert_non_null(strstr(text, "Late release: XSA-1, hold "));
	assert_non_null(strstr(text, "Advisory:  XSA-1\n"));
	assert_non_null(strstr(text, "Due at:    2026-12-04 12:00:00 UTC\n"));
	assert_non_null(strstr(text, "Late by:   3600 s"));
	assert_non_null(strstr(text, "the daemon was not running at the date "
	    "(it started at 2026-12-04 13:00:00 UTC)"));
	assert_non_null(strstr(text, "  announce@lists.example.org: "));
	free(text);
	assert_int_equal(audit_count("release-late"), 1);

	assert_int_equal(scan(D + 3601, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(release_late(cfg, h, D, D + 3602, D + 3600), EM_OK);
	assert_int_equal(last_notice(NULL), 1);
	assert_int_equal(audit_count("release-late"), 1);
}

/*
 * t_late_unsent - a hold released at its date whose posting the
 * listener has not accepted by date + release_alarm (it answers 421):
 * late at that second, not before; one notice naming the posting by its
 * Subject and the listener's answer; the next scan finds nothing late
 */
static void
t_late_unsent(void **s0)
{
	struct scan s;
	char *text = NULL;
	uint64_t h;

	(void)s0;
	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	hold_released(h, D);
	entries_step(h, LEDGER_OB_DEFERRED, D + 1, "421 4.3.2 Service not "
	    "available, closing transmission channel");
	assert_int_equal(scan(D + 59, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(s.next, D + 60);
	assert_int_equal(scan(D + 60, &s), EM_OK);
	assert_int_equal(s.n_late, 1);
	assert_int_equal(s.late[0], h);
	assert_int_equal(s.late_due[0], D);
	assert_int_equal(release_late(cfg, h, D, D + 60, T0), EM_OK);
	assert_int_equal(last_notice(&text), 1);
	assert_non_null(strstr(text, "Late by:   60 s"));
	assert_non_null(strstr(text, "Subject: XSA-1 is public\n"));
	assert_non_null(strstr(text, "Message-ID: <xsa1.public@example.org>"));
	assert_non_null(strstr(text, "announce@lists.example.org: not yet "
	    "accepted by the reinjection listener: 421 4.3.2 Service not "
	    "available"));
	assert_null(strstr(text, "not running"));
	free(text);
	assert_int_equal(audit_count("release-late"), 1);
	assert_int_equal(scan(D + 61, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(s.next, 0);
	assert_int_equal(scan(D + 3600, &s), EM_OK);
	assert_int_equal(s.n_late, 0);
	assert_int_equal(last_notice(NULL), 1);
}

/*
 * t_late_signed - the late notice is signed by the list key: what it
 * says between its armour lines verifies with the list's public key
 * (gpg --verify), and it still names the advisory and why
 */
static void
t_late_signed(void **s0)
{
	char *home = xasprintf("%s/gnupg", dir), fpr[41] = "", *text = NULL;
	char *cmd, *b, *e;
	FILE *fp;
	uint64_t h;

	(void)s0;
	test_sh("gpg --homedir %s --batch --quiet --passphrase '' "
	    "--quick-gen-key 'The list <predisclosure@lists.example.org>' "
	    "future-default default never 2>/dev/null", home);
	cmd = xasprintf("gpg --homedir %s --with-colons --list-keys "
	    "predisclosure@lists.example.org 2>/dev/null | awk -F: '/^fpr/ "
	    "{ printf \"%%s\", $10; exit }'", home);
	test_fpr(cmd, fpr);
	free(cmd);
	free(cfg->list_key);
	cfg->list_key = xstrdup(fpr);

	adv_set("XSA-1", D);
	h = hold_new("XSA-1", D);
	hold_released(h, D);
	assert_int_equal(release_late(cfg, h, D, D + 600, T0), EM_OK);
	assert_int_equal(last_notice(&text), 1);
	assert_null(strstr(text, "Not signed"));
	assert_non_null(b = strstr(text, "-----BEGIN PGP SIGNED MESSAGE-----"));
	assert_non_null(e = strstr(b, "-----END PGP SIGNATURE-----\n"));
	assert_non_null(strstr(b, "Advisory:  XSA-1\n"));
	assert_non_null(strstr(b, "Late by:   600 s"));
	e[strlen("-----END PGP SIGNATURE-----\n")] = '\0';
	cmd = xasprintf("%s/notice.asc", dir);
	assert_non_null(fp = fopen(cmd, "w"));
	fputs(b, fp);
	fclose(fp);
	test_sh("gpg --homedir %s --batch --quiet --verify %s 2>/dev/null",
	    home, cmd);
	free(cmd);
	free(text);
	test_sh("gpgconf --homedir %s --kill gpg-agent 2>/dev/null", home);
	free(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_due_at_date, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_date_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(t_marker_date, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(t_remind, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(t_late_on_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_late_at_start, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_late_unsent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_late_signed, setup,
		    teardown),
	};

	log_init("test_release", true);
	g_mime_init();		/* the team's notices are built with GMime */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
