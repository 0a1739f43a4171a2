/*
 * test_filter - the leak guard's filter (store/filter.c) answers as the
 * full guard does: every message of tests/data read both ways against
 * advisories registered from tests/data, with the same advisory found and
 * the same number of runs; and the filter steps aside while an advisory
 * under embargo is one it does not cover.
 */
#include "testutil.h"
#include <dirent.h>
#include <sys/stat.h>
#include <glib.h>
#include <gmime/gmime.h>
#include "testmdb.h"
#include <time.h>
#include "../../store/view.h"
#include "../../policy/match.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const struct policy_limits lim = { 20, 500, 262144, 1 << 22 };
static char dir[64];
static struct store *st;
static struct strv files;	/* every message of tests/data */

/* collect - the files of one folder of tests/data */

static void
collect(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *f;

		struct stat st;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0)
			continue;
		/* Files only: python-email/ is read on its own, schemas/
		 * are JSON schemas, not mail. */
		f = xasprintf("%s/%s", path, e->d_name);
		if (stat(f, &st) == 0 && S_ISREG(st.st_mode))
			strv_push(&files, f);
		free(f);
	}
	closedir(d);
}

/* text_of - what the leak guard reads of a file: its facts' text */

static void
text_of(const char *path, struct buf *text)
{
	struct buf raw;
	struct facts f;
	struct em_err err;

	test_read_file(path, &raw);
	facts_init(&f);
	buf_init(text);
	if (policy_read(raw.data, raw.len, &lim, &f, &err) == EM_OK &&
	    f.text.len > 0)
		buf_append(text, f.text.data, f.text.len);
	else
		buf_append(text, raw.data, raw.len);	/* a patch, not mail */
	facts_free(&f);
	buf_free(&raw);
}

static int
setup(void **state)
{
	struct em_err err;
	struct store_txn *t;
	struct store_filter *fl;
	size_t unc;
	char bad[65];

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-filter-XXXXXX");
	if (mkdtemp(dir) == NULL ||
	    store_open(dir, (size_t)1 << 30, &st, &err) < 0 ||
	    store_filter_enable(&err) < 0)
		return 1;
	collect("tests/data");
	collect("tests/data/python-email");
	/* An empty filter, as the daemon's builder makes it at start. */
	if ((fl = store_filter_begin()) == NULL ||
	    store_begin(st, false, &t, &err) < 0)
		return 1;
	if (store_filter_finish(fl, t, &unc, bad, sizeof(bad)) < 0)
		return 1;
	store_abort(t);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	store_filter_disable();
	store_close(st);
	strv_free(&files);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return 0;
}

/* reg - advisory id under embargo, with the text of path as its post */

static void
reg(const char *id, const char *path, int posts)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;
	struct strv v = { NULL, 0 };
	struct buf text;

	text_of(path, &text);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "%s", id);
	a.state = STORE_ADV_EMBARGOED;
	a.embargo = time(NULL) + 86400;
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_adv_put(t, &a, &err), EM_OK);
	for (int i = 0; i < posts; i++)
		strv_push(&v, "1 7");
	assert_int_equal(store_adv_list_put(t, "posts", id, &v, &err), EM_OK);
	assert_int_equal(store_print_add_text(t, key, text.data, text.len, id,
	    &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	strv_free(&v);
	buf_free(&text);
}

/* quoted - the view's answer for text, full or through the filter */

static const char *
quoted(bool full, const struct buf *text, size_t *runs, char *out, size_t n)
{
	struct store_view v;
	struct policy_view pv;
	struct policy_match m;
	struct em_err err;

	assert_int_equal(store_view_open(&v, &pv, st, key, time(NULL), &err),
	    EM_OK);
	v.full = full;
	assert_int_equal(policy_match(&pv, text->data ? text->data : "",
	    text->len, time(NULL), &m, &err), EM_OK);
	*runs = m.runs;
	(void)snprintf(out, n, "%s", m.advisory);
	store_view_close(&v);
	return out[0] != '\0' ? out : NULL;
}

/* same_everywhere - every file read both ways gives the same answer;
 * how many were found quoting an advisory */

static size_t
same_everywhere(void)
{
	size_t found = 0;

	for (size_t i = 0; i < files.n; i++) {
		struct buf text;
		size_t r1 = 0, r2 = 0;
		char a[64], b[64];

		text_of(files.v[i], &text);
		(void)quoted(true, &text, &r1, a, sizeof(a));
		(void)quoted(false, &text, &r2, b, sizeof(b));
		if (strcmp(a, b) != 0 || r1 != r2)
			fail_msg("%s: full guard \"%s\" (%zu runs), filter \"%s\" "
			    "(%zu runs)", files.v[i], a, r1, b, r2);
		found += a[0] != '\0';
		buf_free(&text);
	}
	return found;
}

/* filter_answers - does the filter answer for the store as it is now? */

static bool
filter_answers(void)
{
	struct store_txn *t;
	struct em_err err;
	struct policy_prints pr;
	int rc;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	rc = store_filter_prints(t, key, time(NULL), "a b c d e", 9, &pr);
	store_abort(t);
	policy_prints_free(&pr);
	return rc == EM_OK;
}

static void
t_filter_answers_as_the_full_guard(void **s)
{
	(void)s;
	/* Nothing under embargo: nothing found, the filter answers. */
	assert_int_equal(same_everywhere(), 0);
	assert_true(filter_answers());
	reg("XSA-355", "tests/data/xsa355.eml", 1);
	reg("XSA-405", "tests/data/xsa405-linux.patch", 1);
	reg("XSA-376", "tests/data/xsa376.eml", 1);
	reg("XSA-399", "tests/data/xsa399.eml", 1);
	assert_true(filter_answers());
	/* The advisories themselves and the mail quoting them are found,
	 * the rest not, both ways alike. */
	assert_true(same_everywhere() >= 4);
}

static void
t_filter_steps_aside_for_what_it_does_not_cover(void **s)
{
	(void)s;
	/* A second post of an advisory it never read the first of (one the
	 * filter was not built with): the full guard answers. */
	reg("XSA-366", "tests/data/xsa366.eml", 2);
	assert_false(filter_answers());
	assert_true(store_filter_wanted());
	assert_true(same_everywhere() >= 5);
}

/*
 * A post whose transaction the rebuild's reading does not see (open when
 * the rebuild began) is still in the rebuilt filter: a new filter starts
 * with every run of the one in use.
 */
static void
t_rebuild_keeps_what_was_added(void **s)
{
	static const char *const read[][2] = {
		{ "XSA-355", "tests/data/xsa355.eml" },
		{ "XSA-405", "tests/data/xsa405-linux.patch" },
		{ "XSA-376", "tests/data/xsa376.eml" },
		{ "XSA-399", "tests/data/xsa399.eml" },
		{ "XSA-366", "tests/data/xsa366.eml" },
	};
	struct store_filter *fl;
	struct store_txn *t0;
	struct em_err err;
	size_t unc;
	char bad[65];

	(void)s;
	assert_int_equal(store_begin(st, false, &t0, &err), EM_OK);
	reg("XSA-777", "tests/data/xsa367.eml", 1);	/* after t0's view */
	assert_non_null(fl = store_filter_begin());
	for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++) {
		struct buf text;

		text_of(read[i][1], &text);
		store_filter_build_text(fl, key, text.data, text.len);
		store_filter_build_covered(fl, read[i][0]);
		buf_free(&text);
	}
	store_filter_build_covered(fl, "XSA-777");	/* its post came by add */
	assert_int_equal(store_filter_finish(fl, t0, &unc, bad, sizeof(bad)),
	    EM_OK);
	store_abort(t0);
	assert_int_equal(unc, 0);
	assert_true(filter_answers());
	assert_true(same_everywhere() >= 6);
}

/*
 * Words of every length (one byte to past a hundred: the words' set
 * reads eight bytes a step), lines of other characters (normalised
 * apart), quoted after more than the stream keeps (16 KiB of other text:
 * a cut) and re-wrapped in other case: found, and alike both ways.
 */
static void
t_words_of_every_length(void **s)
{
	char path[] = "/tmp/em-filter-words-XXXXXX";
	struct buf adv, msg;
	size_t r1 = 0, r2 = 0;
	char a[64], b[64];
	int fd;

	(void)s;
	buf_init(&adv);
	for (int line = 0; line < 12; line++) {
		for (int w = 1; w <= 9; w++) {
			size_t n = (size_t)((line * 9 + w) * 7 % 113 + 1);

			for (size_t i = 0; i < n; i++)
				buf_appendf(&adv, "%c", 'a' + (int)((i + w) % 26));
			buf_appendf(&adv, w < 9 ? " " : "\n");
		}
		if (line % 4 == 1)
			buf_appendf(&adv, "Caf\xc3\xa9 na\xc3\xafve \xef\xac\x81le "
			    "\xe2\x80\x8bzero width %d r\xc3\xa9sum\xc3\xa9\n", line);
	}
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, adv.data, adv.len) == (ssize_t)adv.len);
	close(fd);
	reg("XSA-901", path, 1);
	unlink(path);
	assert_true(filter_answers());	/* the filter, not the full guard */
	buf_init(&msg);
	while (msg.len < 20000)
		buf_appendf(&msg, "Some other text, line %zu, about nothing.\n",
		    msg.len);
	for (size_t i = 0; i < adv.len; i++) {	/* quoted, in capitals */
		if (i == 0 || adv.data[i - 1] == '\n')
			buf_append(&msg, "> ", 2);
		buf_appendf(&msg, "%c", adv.data[i] >= 'a' && adv.data[i] <= 'z' ?
		    adv.data[i] - 32 : adv.data[i]);
	}
	(void)quoted(true, &msg, &r1, a, sizeof(a));
	(void)quoted(false, &msg, &r2, b, sizeof(b));
	assert_string_equal(a, "XSA-901");
	assert_string_equal(b, a);
	assert_int_equal(r1, r2);
	assert_true(r1 >= POLICY_LEAK_SHINGLES);
	buf_free(&adv);
	buf_free(&msg);
}

/* break_record - another program writes a record of 3 bytes over an
 * advisory's (a layout this build does not read), with st closed */

static void
break_record(const char *path, const char *id)
{
	test_mdb_put(path, "adv", id, strlen(id), "bad", 3);
}

/*
 * An advisory under embargo whose registry record cannot be read: an
 * outsider's forward of its real text is 451 4.3.0 naming the database,
 * through the real store and view, never a pass (it was 250 when a fault
 * read as "not registered"); a lookup of an id never registered is no
 * fault.
 */
static void
t_unreadable_advisory_tempfails(void **s)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with("", &rep);
	const char *rcpts[] = { "press@news.example" };
	struct policy_envelope env = { "friend@outsider.example", rcpts, 1 };
	const struct policy_advisory *a;
	struct policy_decision d;
	struct store_view v;
	struct policy_view pv;
	struct em_err err;
	struct facts f;
	struct buf raw;
	struct policy_match m;
	char fresh[64];
	struct store *keep = st;

	(void)s;
	assert_non_null(cfg);
	(void)snprintf(fresh, sizeof(fresh), "/tmp/em-fault-XXXXXX");
	assert_non_null(mkdtemp(fresh));
	assert_int_equal(store_open(fresh, (size_t)1 << 30, &st, &err), EM_OK);
	reg("XSA-399", "tests/data/xsa399.eml", 1);
	test_read_file("tests/data/xsa399.eml", &raw);
	facts_init(&f);
	assert_int_equal(policy_read(raw.data, raw.len, &lim, &f, &err), EM_OK);
	policy_classify(cfg, &f);
	/* The control: readable, it is refused as a leak. */
	assert_int_equal(store_view_open(&v, &pv, st, key, time(NULL), &err),
	    EM_OK);
	v.full = true;
	policy_decide(cfg, &f, &env, &pv, time(NULL), &d);
	assert_int_equal(d.verdict, POLICY_REJECT);
	store_view_close(&v);
	store_close(st);
	break_record(fresh, "XSA-399");
	assert_int_equal(store_open(fresh, (size_t)1 << 30, &st, &err), EM_OK);
	assert_int_equal(store_view_open(&v, &pv, st, key, time(NULL), &err),
	    EM_OK);
	v.full = true;
	em_err_clear(&err);
	assert_int_equal(policy_match(&pv, f.text.data, f.text.len, time(NULL),
	    &m, &err), EM_ESTORE);
	assert_string_equal(m.advisory, "");
	assert_non_null(strstr(err.msg, "database 'adv'"));
	assert_int_equal(pv.lookup(pv.ctx, "XSA-399", &a, &err), EM_ESTORE);
	assert_int_equal(pv.lookup(pv.ctx, "XSA-1", &a, &err), EM_OK);
	assert_null(a);
	policy_decide(cfg, &f, &env, &pv, time(NULL), &d);
	assert_int_equal(d.verdict, POLICY_TEMPFAIL);
	assert_string_equal(d.rcode, "451");
	assert_string_equal(d.xcode, "4.3.0");
	assert_non_null(strstr(d.reason, "database 'adv'"));
	store_view_close(&v);
	store_close(st);
	st = keep;
	facts_free(&f);
	buf_free(&raw);
	conf_report_free(&rep);
	conf_free(cfg);
	{
		char *cmd = xasprintf("rm -rf %s", fresh);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_filter_answers_as_the_full_guard),
		cmocka_unit_test(t_filter_steps_aside_for_what_it_does_not_cover),
		cmocka_unit_test(t_rebuild_keeps_what_was_added),
		cmocka_unit_test(t_words_of_every_length),
		cmocka_unit_test(t_unreadable_advisory_tempfails),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
