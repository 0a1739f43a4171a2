/*
 * test_match - the leak guard's rule (policy/match.c) against a fake
 * registry: the threshold, runs shared by two advisories or seen in
 * public text never counting, which advisory a message is named after,
 * every advisory tallied however many, a pasted patch, what
 * --explain says of each run, and every fault of a lookup returned with
 * its reason, never "quotes nothing".
 */
#include "testutil.h"
#include "../../policy/match.h"

#define NOW	((time_t)1795000000)

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* One fingerprint filed under one advisory. */
struct filing {
	unsigned char h[8];
	char	id[128];
};

/* One advisory's record. */
struct record {
	char	id[POLICY_ID_MAX];
	time_t	embargo;		/* 0: public */
};

/* The fake registry: what each lookup answers, and what it was asked. */
static struct registry {
	struct filing *filed;
	size_t	n_filed;
	struct policy_prints pub;	/* public text, unsorted */
	struct record *adv;
	size_t	n_adv;
	struct policy_advisory pa;
	struct policy_prints given;	/* guard_prints' answer */
	bool	give;			/* guard_prints answers */
	bool	none;			/* guard_begin: nothing under embargo */
	int	fail;			/* FAIL_* */
	size_t	asked_filed, asked_public, asked_adv;
} r;

enum { FAIL_FILED = 1, FAIL_PUBLIC = 2, FAIL_ADV = 4, FAIL_BEGIN = 8 };

/* fake_begin - guard_begin */

static int
fake_begin(void *ctx, time_t now, bool *none, struct em_err *err)
{
	(void)ctx;
	(void)now;
	*none = r.none;
	if (r.fail & FAIL_BEGIN)
		return em_fail(err, EM_ESTORE, "state store: no transaction");
	return EM_OK;
}

/* fake_prints - guard_prints: the prints set in r.given, or none */

static int
fake_prints(void *ctx, const char *text, size_t len, time_t now,
    struct policy_prints *out)
{
	(void)ctx;
	(void)text;
	(void)len;
	(void)now;
	out->h = NULL;
	out->n = 0;
	if (!r.give)
		return EM_ENOTFOUND;
	out->h = xmalloc(r.given.n * 8 + 1);
	memcpy(out->h, r.given.h, r.given.n * 8);
	policy_prints_finish(out, r.given.n);
	return EM_OK;
}

/* fake_filed - print_filed */

static int
fake_filed(void *ctx, const unsigned char h[8],
    void (*cb)(const char *id, void *cbctx), void *cbctx, struct em_err *err)
{
	(void)ctx;
	r.asked_filed++;
	if (r.fail & FAIL_FILED)
		return em_fail(err, EM_ESTORE, "state store: database 'print': "
		    "MDB_CORRUPTED");
	for (size_t i = 0; i < r.n_filed; i++)
		if (memcmp(r.filed[i].h, h, 8) == 0)
			cb(r.filed[i].id, cbctx);
	return EM_OK;
}

/* fake_public - print_public */

static int
fake_public(void *ctx, const unsigned char h[8], bool *yes,
    struct em_err *err)
{
	(void)ctx;
	r.asked_public++;
	*yes = false;
	if (r.fail & FAIL_PUBLIC)
		return em_fail(err, EM_ESTORE, "state store: database 'public': "
		    "MDB_CORRUPTED");
	for (size_t i = 0; i < r.pub.n; i++)
		if (memcmp(r.pub.h[i], h, 8) == 0)
			*yes = true;
	return EM_OK;
}

/* fake_lookup - lookup: NULL when never registered */

static int
fake_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	(void)ctx;
	r.asked_adv++;
	*out = NULL;
	if (r.fail & FAIL_ADV)
		return em_fail(err, EM_ESTORE, "state store: database 'adv', "
		    "record '%s': 3 bytes", id);
	for (size_t i = 0; i < r.n_adv; i++)
		if (strcmp(r.adv[i].id, id) == 0) {
			r.pa.id = r.adv[i].id;
			r.pa.embargo = r.adv[i].embargo;
			r.pa.revision = 1;
			*out = &r.pa;
		}
	return EM_OK;
}

static const struct policy_view view = { .lookup = fake_lookup,
    .print_key = key, .print_key_len = sizeof(key),
    .guard_begin = fake_begin, .guard_prints = fake_prints,
    .print_filed = fake_filed, .print_public = fake_public };

static int
reset(void **st)
{
	(void)st;
	free(r.filed);
	free(r.adv);
	policy_prints_free(&r.pub);
	policy_prints_free(&r.given);
	memset(&r, 0, sizeof(r));
	return 0;
}

/* advisory - a record: under embargo for a day, or public */

static void
advisory(const char *id, bool embargoed)
{
	r.adv = xrealloc(r.adv, (r.n_adv + 1) * sizeof(*r.adv));
	(void)snprintf(r.adv[r.n_adv].id, sizeof(r.adv[r.n_adv].id), "%s", id);
	r.adv[r.n_adv++].embargo = embargoed ? NOW + 86400 : 0;
}

/* file - print h filed under id */

static void
file(const unsigned char h[8], const char *id)
{
	r.filed = xrealloc(r.filed, (r.n_filed + 1) * sizeof(*r.filed));
	memcpy(r.filed[r.n_filed].h, h, 8);
	(void)snprintf(r.filed[r.n_filed].id, sizeof(r.filed[r.n_filed].id),
	    "%s", id);
	r.n_filed++;
}

/* print_of - a made-up print: big-endian n after a one-byte tag, so
 * that the prints sort by tag, then n */

static void
print_of(unsigned char tag, unsigned n, unsigned char h[8])
{
	memset(h, 0, 8);
	h[0] = tag;
	h[4] = (unsigned char)(n >> 24);
	h[5] = (unsigned char)(n >> 16);
	h[6] = (unsigned char)(n >> 8);
	h[7] = (unsigned char)n;
}

/* given - the message holds runs tag 0..n-1 (what the filter hits) */

static void
given(unsigned char tag, unsigned n)
{
	r.give = true;
	r.given.h = xrealloc(r.given.h, (r.given.n + n) * 8 + 1);
	for (unsigned i = 0; i < n; i++)
		print_of(tag, i, r.given.h[r.given.n++]);
}

/* file_runs - runs tag 0..n-1 filed under id */

static void
file_runs(unsigned char tag, unsigned n, const char *id)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned char h[8];

		print_of(tag, i, h);
		file(h, id);
	}
}

/* match - policy_match() on text (the filter's prints when given) */

static int
match(const char *text, struct policy_match *m, struct em_err *err)
{
	em_err_clear(err);
	return policy_match(&view, text, strlen(text), NOW, m, err);
}

static void
t_threshold(void **st)
{
	struct policy_match m;
	struct em_err err;

	(void)st;
	advisory("XSA-1", true);
	file_runs('a', POLICY_LEAK_SHINGLES, "XSA-1");
	given('a', POLICY_LEAK_SHINGLES - 1);
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "");
	assert_int_equal(m.runs, 0);
	/* Below the threshold its record is never read. */
	assert_int_equal(r.asked_adv, 0);
	policy_prints_free(&r.given);
	given('a', POLICY_LEAK_SHINGLES);
	given('z', 50);			/* runs filed nowhere */
	r.asked_public = 0;
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-1");
	assert_int_equal(m.runs, POLICY_LEAK_SHINGLES);
	/* Runs filed nowhere are never asked about public text. */
	assert_int_equal(r.asked_public, POLICY_LEAK_SHINGLES);
}

static void
t_shared_and_public_never_count(void **st)
{
	struct policy_match m;
	struct em_err err;
	unsigned char h[8];

	(void)st;
	advisory("XSA-1", true);
	advisory("XSA-2", true);
	file_runs('a', POLICY_LEAK_SHINGLES + 1, "XSA-1");
	given('a', POLICY_LEAK_SHINGLES + 1);
	print_of('a', 0, h);
	file(h, "XSA-2");		/* boilerplate of two advisories */
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-1");
	assert_int_equal(m.runs, POLICY_LEAK_SHINGLES);
	print_of('a', 1, h);
	r.pub.h = xmalloc(8);
	memcpy(r.pub.h[0], h, 8);
	r.pub.n = 1;			/* seen in public text */
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "");
}

/*
 * Which advisory a message is named after: the first over the threshold,
 * in the order of its prints, that is under embargo; a public one over
 * it never hides one under embargo behind it.
 */
static void
t_named_after(void **st)
{
	struct policy_match m;
	struct em_err err;

	(void)st;
	advisory("XSA-1", false);
	advisory("XSA-2", true);
	advisory("XSA-3", true);
	file_runs('a', 10, "XSA-1");
	file_runs('b', 9, "XSA-2");
	file_runs('c', 12, "XSA-3");
	given('a', 10);
	given('b', 9);
	given('c', 12);
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-2");
	assert_int_equal(m.runs, 9);
	r.adv[1].embargo = NOW;		/* lifted at now: not under embargo */
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-3");
	assert_int_equal(m.runs, 12);
}

/* Every advisory the runs match is tallied, however many: never cut. */
static void
t_every_advisory_tallied(void **st)
{
	struct policy_match m;
	struct em_err err;
	char id[32];

	(void)st;
	for (unsigned i = 0; i < 3000; i++) {
		unsigned char h[8];

		(void)snprintf(id, sizeof(id), "XSA-%u", 1000 + i);
		print_of('a', i, h);
		file(h, id);
	}
	advisory("XSA-9", true);
	file_runs('b', POLICY_LEAK_SHINGLES, "XSA-9");
	given('a', 3000);
	given('b', POLICY_LEAK_SHINGLES);
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-9");
	assert_int_equal(m.runs, POLICY_LEAK_SHINGLES);
}

/* Nothing under embargo, known at once: no text read, nothing asked. */
static void
t_nothing_under_embargo(void **st)
{
	struct policy_match m;
	struct em_err err;

	(void)st;
	advisory("XSA-1", true);
	file_runs('a', 20, "XSA-1");
	given('a', 20);
	r.none = true;
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "");
	assert_int_equal(r.asked_filed + r.asked_public + r.asked_adv, 0);
}

/*
 * Every fault of a lookup is returned with its reason, and nothing is
 * found: the print lookup, public text, the advisory's record, the view
 * itself; an advisory the prints name that the registry does not hold,
 * and an id too long to name, are faults too.
 */
static void
t_faults(void **st)
{
	static const struct { int fail; const char *why; } c[] = {
		{ FAIL_FILED, "database 'print'" },
		{ FAIL_PUBLIC, "database 'public'" },
		{ FAIL_ADV, "database 'adv'" },
		{ FAIL_BEGIN, "no transaction" },
	};
	struct policy_match m;
	struct em_err err;
	char longid[101];

	(void)st;
	advisory("XSA-1", true);
	file_runs('a', 10, "XSA-1");
	given('a', 10);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r.fail = c[i].fail;
		assert_int_equal(match("x", &m, &err), EM_ESTORE);
		assert_string_equal(m.advisory, "");
		assert_non_null(strstr(err.msg, c[i].why));
	}
	r.fail = 0;
	assert_int_equal(match("x", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-1");
	r.n_adv = 0;			/* filed under an advisory not held */
	assert_int_equal(match("x", &m, &err), EM_ESTORE);
	assert_string_equal(m.advisory, "");
	assert_non_null(strstr(err.msg, "database 'adv' does not hold"));
	memset(longid, 'X', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	given('l', 1);
	file_runs('l', 1, longid);
	assert_int_equal(match("x", &m, &err), EM_ESTORE);
	assert_non_null(strstr(err.msg, "id of 100 bytes"));
	assert_int_equal(policy_match(&(struct policy_view){ .lookup =
	    fake_lookup }, "x", 1, NOW, &m, &err), EM_EUSAGE);
}

/* file_text - an advisory's text filed as the store files it */

static void
file_text(const char *text, const char *id)
{
	struct policy_prints pr;

	policy_secret_prints(text, strlen(text), key, sizeof(key), &pr);
	for (size_t i = 0; i < pr.n; i++)
		file(pr.h[i], id);
	policy_prints_free(&pr);
}

#define ADVISORY \
	"Xen Security Advisory XSA-9\n\n" \
	"A guest can crash the host through the grant table interface\n" \
	"when a mapping is released while another vCPU still uses it.\n" \
	"Malicious guest administrators can cause a denial of service,\n" \
	"and privilege escalation cannot be ruled out entirely.\n" \
	"All versions of Xen from 4.0 onwards are vulnerable here.\n"

/* The full guard (no filter): real text, quoted, re-wrapped or not. */
static void
t_real_text(void **st)
{
	struct policy_match m;
	struct em_err err;

	(void)st;
	advisory("XSA-9", true);
	file_text(ADVISORY, "XSA-9");
	assert_int_equal(match("> A guest can crash the host through the grant "
	    "table interface\n> when a mapping is released while another vCPU "
	    "still uses it.\n> Malicious guest administrators can cause a "
	    "denial of service,\n", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-9");
	assert_true(m.runs >= POLICY_LEAK_SHINGLES);
	/* Its id and date alone are never a leak. */
	assert_int_equal(match("XSA-9 is due on 2026-12-01 12:00 UTC, "
	    "what is it about?\n", &m, &err), EM_OK);
	assert_string_equal(m.advisory, "");
}

/* Its added lines have three words each: no run of four inside one. */
#define PATCH \
	"--- a/xen/common/grant_table.c\n" \
	"+++ b/xen/common/grant_table.c\n" \
	"@@ -10,6 +10,11 @@\n" \
	" static int gnttab_release_mapping(struct domain *d)\n" \
	"+    spin_lock_irqsave(&gt->lock_mapping, flags, depth);\n" \
	" unsigned long frame_number_of_the_mapping = 0;\n" \
	"+    check_mapping_unused(gt->mapping, handle_ref, depth);\n" \
	" struct grant_table *gt_of_the_domain = d->gt;\n" \
	"+    release_mapping_now(gt->mapping, handle_ref, flags);\n" \
	" int rc_of_the_release_operation = 0;\n" \
	"+    spin_unlock_irqrestore(&gt->lock_mapping, flags, depth);\n" \
	" return rc_of_the_release_operation;\n" \
	"+    mapping_released_counter_increment(gt_ref, handle_ref, rc);\n"

/*
 * A pasted patch is read as it is and, besides, as the code now reads,
 * as the advisory's patch was filed: its new lines between context lines
 * count.  The same lines without a hunk are that code too; the old code
 * alone (the context lines) is public.
 */
static void
t_pasted_patch(void **st)
{
	static const char old_code[] =
	    "static int gnttab_release_mapping(struct domain *d)\n"
	    "unsigned long frame_number_of_the_mapping = 0;\n"
	    "struct grant_table *gt_of_the_domain = d->gt;\n"
	    "int rc_of_the_release_operation = 0;\n"
	    "return rc_of_the_release_operation;\n";
	struct policy_match m;
	struct em_err err;
	const char *body = strstr(PATCH, "@@ -10,6 +10,11 @@\n") +
	    strlen("@@ -10,6 +10,11 @@\n");

	(void)st;
	advisory("XSA-9", true);
	file_text(PATCH, "XSA-9");
	assert_int_equal(match(PATCH, &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-9");
	assert_true(m.runs >= POLICY_LEAK_SHINGLES);
	assert_int_equal(match(body, &m, &err), EM_OK);
	assert_string_equal(m.advisory, "XSA-9");
	assert_int_equal(match(old_code, &m, &err), EM_OK);
	assert_string_equal(m.advisory, "");
}

/* The runs a patch shows of the public tree are never filed. */
static void
t_secret_prints(void **st)
{
	struct policy_prints all, secret, tree;
	struct buf shown;

	(void)st;
	policy_secret_prints(ADVISORY, strlen(ADVISORY), key, sizeof(key),
	    &secret);
	policy_prints(ADVISORY, strlen(ADVISORY), key, sizeof(key), &all);
	assert_int_equal(secret.n, all.n);
	assert_memory_equal(secret.h, all.h, all.n * 8);
	policy_prints_free(&secret);
	policy_prints_free(&all);
	policy_secret_prints(PATCH, strlen(PATCH), key, sizeof(key), &secret);
	buf_init(&shown);
	policy_patch_public(PATCH, strlen(PATCH), &shown);
	policy_prints(shown.data, shown.len, key, sizeof(key), &tree);
	assert_true(secret.n > 0 && tree.n > 0);
	for (size_t i = 0; i < secret.n; i++)
		for (size_t k = 0; k < tree.n; k++)
			assert_memory_not_equal(secret.h[i], tree.h[k], 8);
	policy_prints_free(&secret);
	policy_prints_free(&tree);
	buf_free(&shown);
}

struct seen { size_t line[16]; enum policy_run_kind kind[16];
    char id[16][POLICY_ID_MAX]; size_t n; };

/* seen_cb - policy_match_explain() work: the first run of each line */

static void
seen_cb(size_t line, enum policy_run_kind kind, const char *id, void *ctx)
{
	struct seen *s = ctx;

	if ((s->n > 0 && s->line[s->n - 1] == line) || s->n == 16)
		return;
	s->line[s->n] = line;
	s->kind[s->n] = kind;
	(void)snprintf(s->id[s->n++], POLICY_ID_MAX, "%s", id);
}

/* No four words in a row twice: each run is one line's. */
#define EXPLAINED \
	"alpha bravo charlie delta echo foxtrot golf hotel\n" \
	"india juliet kilo lima mike november oscar papa\n" \
	"quebec romeo sierra tango uniform victor whiskey\n" \
	"xray yankee zulu amber bronze copper dimmer ember\n"

/* --explain: each run as the rule counts it, by the line it starts on. */
static void
t_explain(void **st)
{
	struct policy_run *runs;
	struct seen s = { .n = 0 };
	struct em_err err;
	size_t n;

	(void)st;
	policy_runs(EXPLAINED, strlen(EXPLAINED), key, sizeof(key), &runs, &n);
	r.pub.h = xmalloc(n * 8 + 1);
	for (size_t i = 0; i < n; i++) {
		if (runs[i].line <= 1)
			file(runs[i].h, "XSA-1");
		if (runs[i].line == 1)
			file(runs[i].h, "XSA-2");
		if (runs[i].line == 2)
			memcpy(r.pub.h[r.pub.n++], runs[i].h, 8);
	}
	free(runs);
	assert_int_equal(policy_match_explain(&view, EXPLAINED,
	    strlen(EXPLAINED), seen_cb, &s, &err), EM_OK);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.line[0], 0);
	assert_int_equal(s.kind[0], POLICY_RUN_SECRET);
	assert_string_equal(s.id[0], "XSA-1");
	assert_int_equal(s.line[1], 1);
	assert_int_equal(s.kind[1], POLICY_RUN_SHARED);
	assert_string_equal(s.id[1], "XSA-1");
	assert_int_equal(s.line[2], 2);
	assert_int_equal(s.kind[2], POLICY_RUN_PUBLIC);
	assert_string_equal(s.id[2], "");
	r.fail = FAIL_PUBLIC;
	em_err_clear(&err);
	assert_int_equal(policy_match_explain(&view, EXPLAINED,
	    strlen(EXPLAINED), seen_cb, &s, &err), EM_ESTORE);
	assert_non_null(strstr(err.msg, "database 'public'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_threshold, reset, reset),
		cmocka_unit_test_setup_teardown(t_shared_and_public_never_count,
		    reset, reset),
		cmocka_unit_test_setup_teardown(t_named_after, reset, reset),
		cmocka_unit_test_setup_teardown(t_every_advisory_tallied, reset,
		    reset),
		cmocka_unit_test_setup_teardown(t_nothing_under_embargo, reset,
		    reset),
		cmocka_unit_test_setup_teardown(t_faults, reset, reset),
		cmocka_unit_test_setup_teardown(t_real_text, reset, reset),
		cmocka_unit_test_setup_teardown(t_pasted_patch, reset, reset),
		cmocka_unit_test_setup_teardown(t_secret_prints, reset, reset),
		cmocka_unit_test_setup_teardown(t_explain, reset, reset),
	};

	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
