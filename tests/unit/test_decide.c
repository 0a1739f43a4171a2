/* test_decide - SPEC section 5 as a table of cases */
#include "testutil.h"
#include <gmime/gmime.h>
#include "../../policy/policy.h"
#include "../../policy/match.h"
#include "../../policy/policy_int.h"
#include "../../util/emtime.h"

#define NOW	((time_t)1795000000)	/* 2026-11-18 */
#define FUTURE	"2026-12-01 12:00 UTC"	/* NOW + ~13 days */
#define FAR	"2027-03-01 12:00 UTC"	/* beyond 21 days */
#define PAST	"2026-11-01 12:00 UTC"

static struct config *cfg;

static int
setup(void **st)
{
	struct conf_report rep = { 0 };

	(void)st;
	g_mime_init();
	cfg = test_conf_with("participant \"Discoverer\" {\n"
	    "  address = \"reporter@university.example\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n}\n"
	    "participant \"Other Project\" {\n"
	    "  address = \"security@otherproject.example\"\n"
	    "  key = \"DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD\"\n}\n"
	    "discussion {\n  address = \"discuss@lists.example.org\"\n"
	    "  key = \"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE\"\n}\n", &rep);
	conf_report_free(&rep);
	return cfg == NULL;
}

static int
teardown(void **st)
{
	(void)st;
	conf_free(cfg);
	return 0;
}

struct dcase {
	const char *subject;
	const char *text;
	const char *signer;
	const char *from;
	const char *to[4];
	enum policy_verdict want;
	const char *reply_has;		/* NULL: not checked */
};

/* The registry view run() decides with (NULL: none). */
static const struct policy_view *run_view;

static void
run(const struct dcase *c, struct policy_decision *d)
{
	struct policy_envelope env;
	struct facts f;
	size_t n = 0;

	while (n < 4 && c->to[n] != NULL)
		n++;
	facts_init(&f);
	free(f.subject);
	f.subject = xstrdup(c->subject);
	buf_appends(&f.text, c->text);
	if (c->signer)
		(void)snprintf(f.signer, sizeof(f.signer), "%s", c->signer);
	policy_classify(cfg, &f);
	env.sender = c->from;
	env.rcpts = c->to;
	env.n_rcpts = n;
	policy_decide(cfg, &f, &env, run_view, NOW, d);
	facts_free(&f);
}

static void
check(const struct dcase *c)
{
	struct policy_decision d;

	run(c, &d);
	if (d.verdict != c->want)
		fail_msg("%s: got %s (%s), want %s", c->subject,
		    policy_verdict_name(d.verdict), d.reply,
		    policy_verdict_name(c->want));
	if (c->reply_has != NULL && strstr(d.reply, c->reply_has) == NULL)
		fail_msg("%s: reply \"%s\" lacks \"%s\"", c->subject, d.reply,
		    c->reply_has);
	if (d.verdict == POLICY_REJECT) {
		assert_string_equal(d.rcode, "550");
		assert_string_equal(d.xcode, "5.7.1");
	}
}

#define MARK(w) "*** EMBARGOED UNTIL " w " ***\n"

static void
t_plain_passes(void **st)
{
	const struct dcase c = { "hello", "just a note\n", NULL,
	    "a@b.example", { "c@d.example" }, POLICY_PASS, NULL };

	(void)st;
	check(&c);
}

static void
t_future_marker_to_outsider(void **st)
{
	const struct dcase c = { "XSA-400 draft", MARK(FUTURE) "text\n", NULL,
	    "x@vendor.example", { "security@cloud.example", "Friend@Outsider.example" },
	    POLICY_REJECT, "XSA-400 is under embargo until 2026-12-01 12:00:00 UTC; "
	    "not sent to <friend@outsider.example>" };

	(void)st;
	check(&c);
}

static void
t_future_marker_names_all_outsiders(void **st)
{
	const struct dcase c = { "fwd", MARK(FUTURE), NULL, "x@vendor.example",
	    { "a@one.example", "security@cloud.example", "b@two.example" },
	    POLICY_REJECT, "this message is under embargo until 2026-12-01 "
	    "12:00:00 UTC; not sent to <a@one.example>, <b@two.example>" };

	(void)st;
	check(&c);
}

/*
 * t_date_in_a_sentence_passes - SPEC 4: an advisory's id, its date and
 * the fact of an embargo, said in a sentence, pass from anyone to anyone
 * (Xen's policy lets members say so); the banner still marks, quoted too
 */
static void
t_date_in_a_sentence_passes(void **st)
{
	static const char *const said[] = {
		"Hi,\n\nXSA-400 is embargoed until " FUTURE ". We will "
		"update then.\n",
		"XSA-400 embargo date: " FUTURE ", so the fix waits.\n",
		"The advisory is EMBARGOED UNTIL " FUTURE "; ask us again.\n",
	};
	static const char *const marked[] = {
		MARK(FUTURE),
		"> > " MARK(FUTURE),
		"EMBARGOED UNTIL " FUTURE ": the text follows\n",
		"note\n  Embargo date: " FUTURE "\n",
	};

	(void)st;
	for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
		const struct dcase c = { "Re: your question", said[i], NULL,
		    "security@cloud.example", { "customer@outsider.example" },
		    POLICY_PASS, NULL };

		check(&c);
	}
	for (size_t i = 0; i < sizeof(marked) / sizeof(marked[0]); i++) {
		const struct dcase c = { "Re: your question", marked[i], NULL,
		    "security@cloud.example", { "customer@outsider.example" },
		    POLICY_REJECT, "under embargo until 2026-12-01 12:00:00 UTC" };

		check(&c);
	}
}

/* t_subject_forms - a Subject banner marks, after Re:/Fwd: and a list's
 * tag too; a Subject that says the date in a sentence does not */
static void
t_subject_forms(void **st)
{
	static const char *const marks[] = {
		"[EMBARGOED UNTIL " FUTURE "] XSA-400",
		"Re: Fwd: [EMBARGOED UNTIL " FUTURE "] XSA-400",
		"[xen-security] EMBARGOED UNTIL " FUTURE,
	};
	const struct dcase said = { "Re: XSA-400 embargoed until " FUTURE "?",
	    "yes\n", NULL, "security@cloud.example",
	    { "customer@outsider.example" }, POLICY_PASS, NULL };

	(void)st;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		const struct dcase c = { marks[i], "text\n", NULL,
		    "security@cloud.example", { "customer@outsider.example" },
		    POLICY_REJECT, "under embargo until 2026-12-01 12:00:00 UTC" };

		check(&c);
	}
	check(&said);
}

/* begin_none, begin_some - a view's guard_begin: nothing under embargo,
 * or something */

static int
begin_none(void *ctx, time_t now, bool *none, struct em_err *err)
{
	(void)ctx;
	(void)now;
	(void)err;
	*none = true;
	return EM_OK;
}

static int
begin_some(void *ctx, time_t now, bool *none, struct em_err *err)
{
	(void)ctx;
	(void)now;
	(void)err;
	*none = false;
	return EM_OK;
}

/*
 * t_partial_missing - SPEC 4: a message/partial whose other parts are
 * not in the message is refused 554 5.6.0 while anything is under
 * embargo (it cannot be read whole), and passes when nothing is
 */
static void
t_partial_missing(void **st)
{
	const struct policy_view none = { .guard_begin = begin_none };
	const struct policy_view some = { .guard_begin = begin_some };
	const char *to[] = { "friend@outsider.example" };
	struct policy_envelope env = { "a@b.example", to, 1 };
	struct policy_decision d;
	struct facts f;

	(void)st;
	facts_init(&f);
	buf_appends(&f.text, "Subject: the fix\n");
	policy_classify(cfg, &f);
	f.partial_missing = 1;
	policy_decide(cfg, &f, &env, &some, NOW, &d);
	assert_int_equal(d.verdict, POLICY_REJECT);
	assert_string_equal(d.rcode, "554");
	assert_string_equal(d.xcode, "5.6.0");
	assert_non_null(strstr(d.reply, "message/partial"));
	policy_decide(cfg, &f, &env, &none, NOW, &d);
	assert_int_equal(d.verdict, POLICY_PASS);
	facts_free(&f);
}

static void
t_future_marker_to_member_passes(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), NULL, "x@vendor.example",
	    { "security@cloud.example", "security@example.org" }, POLICY_PASS, NULL };

	(void)st;
	check(&c);
}

static void
t_past_marker_passes(void **st)
{
	const struct dcase c = { "XSA-300", MARK(PAST), NULL, "x@vendor.example",
	    { "someone@outsider.example" }, POLICY_PASS, NULL };

	(void)st;
	check(&c);
}

static void
t_bad_marker_from_team_address(void **st)
{
	const struct dcase c = { "XSA-400", "*** EMBARGOED UNTIL next Tuesday ***\n",
	    NULL, "security@example.org", { "announce@lists.example.org" },
	    POLICY_REJECT, "cannot read the embargo date in \"*** EMBARGOED "
	    "UNTIL next Tuesday ***\"" };

	(void)st;
	check(&c);
}

static void
t_bad_marker_from_others_passes(void **st)
{
	struct policy_decision d;
	const struct dcase c = { "changelog", "fix embargoed until 16 April, 1pm PT\n",
	    NULL, "dev@vendor.example", { "someone@outsider.example" },
	    POLICY_PASS, NULL };

	(void)st;
	check(&c);
	run(&c, &d);
	assert_non_null(strstr(d.reason, "not a marker"));
}

static void
t_bad_marker_to_list(void **st)
{
	const struct dcase c = { "XSA-400", "Embargo date: soon\n", TEST_FPR_TEAM,
	    "security@example.org", { "predisclosure@lists.example.org" },
	    POLICY_REJECT, "cannot read the embargo date" };

	(void)st;
	check(&c);
}

static void
t_list_post_unsigned_refused(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), NULL,
	    "security@example.org", { "predisclosure@lists.example.org" },
	    POLICY_REJECT, "must carry a valid OpenPGP signature by a team key" };

	(void)st;
	check(&c);
}

static void
t_list_post_wrong_signer_refused(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), TEST_FPR_A,
	    "security@example.org", { "predisclosure@lists.example.org" },
	    POLICY_REJECT, "team key" };

	(void)st;
	check(&c);
}

static void
t_list_post_without_id(void **st)
{
	const struct dcase c = { "advisory", MARK(FUTURE), TEST_FPR_TEAM,
	    "security@example.org", { "predisclosure@lists.example.org" },
	    POLICY_REJECT, "must name its advisory id" };

	(void)st;
	check(&c);
}

static void
t_list_post_embargoed_fans_out(void **st)
{
	struct policy_decision d;
	const struct dcase c = { "XSA-400 v2", MARK(FUTURE) "version 2\n",
	    TEST_FPR_TEAM, "security@example.org",
	    { "predisclosure@lists.example.org", "security@cloud.example" },
	    POLICY_FANOUT, NULL };

	(void)st;
	check(&c);
	run(&c, &d);
	assert_true(d.embargoed);
	assert_string_equal(d.advisory_id, "XSA-400");
	assert_int_equal(d.embargo, (time_t)1796126400);
}

static void
t_list_post_embargoed_with_outsider(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), TEST_FPR_TEAM,
	    "security@example.org",
	    { "predisclosure@lists.example.org", "journalist@news.example" },
	    POLICY_REJECT, "not sent to <journalist@news.example>" };

	(void)st;
	check(&c);
}

static void
t_list_post_beyond_max_embargo(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FAR), TEST_FPR_TEAM,
	    "security@example.org", { "predisclosure@lists.example.org" },
	    POLICY_REJECT, "more than max_embargo (21 days)" };

	(void)st;
	check(&c);
}

static void
t_list_post_public_fans_out(void **st)
{
	struct policy_decision d;
	const struct dcase c = { "XSA-300 (public)", "no marker here\n",
	    TEST_FPR_TEAM, "security@example.org",
	    { "predisclosure@lists.example.org", "other@outsider.example" },
	    POLICY_FANOUT, NULL };

	(void)st;
	check(&c);
	run(&c, &d);
	assert_false(d.embargoed);
}

static void
t_team_public_post_future_marker_held(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), TEST_FPR_TEAM,
	    "security@example.org", { "announce@lists.example.org" },
	    POLICY_HOLD, NULL };

	(void)st;
	check(&c);
}

static void
t_non_team_public_post_future_marker_refused(void **st)
{
	const struct dcase c = { "XSA-400", MARK(FUTURE), NULL,
	    "security@example.org", { "announce@lists.example.org" },
	    POLICY_REJECT, "not sent to <announce@lists.example.org>" };

	(void)st;
	check(&c);
}

/* A registry with one advisory, XSA-900, and a text that quotes it. */
static struct policy_advisory reg = { "XSA-900", 0, 1 };

static int
fake_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	(void)ctx;
	(void)err;
	*out = strcmp(id, reg.id) == 0 ? &reg : NULL;
	return EM_OK;
}

/*
 * The leak guard's lookups for it (the rule itself is policy_match()'s,
 * test_match.c): a text saying QUOTED has nine runs the filter holds
 * (prints 'Q' 0..8), each filed under XSA-900 alone; nothing is public.
 */
static const unsigned char fake_key[32];

static int
fake_prints(void *ctx, const char *text, size_t len, time_t now,
    struct policy_prints *out)
{
	(void)ctx;
	(void)now;
	out->h = NULL;
	out->n = 0;
	if (memmem(text, len, "QUOTED", 6) == NULL)
		return EM_OK;
	out->h = xcalloc(9, sizeof(*out->h));
	for (size_t i = 0; i < 9; i++) {
		out->h[i][0] = 'Q';
		out->h[i][1] = (unsigned char)i;
	}
	out->n = 9;
	return EM_OK;
}

static int
fake_filed(void *ctx, const unsigned char h[8],
    void (*cb)(const char *id, void *cbctx), void *cbctx, struct em_err *err)
{
	(void)ctx;
	(void)err;
	if (h[0] == 'Q')
		cb(reg.id, cbctx);
	return EM_OK;
}

static int
fake_public(void *ctx, const unsigned char h[8], bool *yes,
    struct em_err *err)
{
	(void)ctx;
	(void)h;
	(void)err;
	*yes = false;
	return EM_OK;
}

#define FAKE_RUNS	.print_key = fake_key, .print_key_len = 32, \
	.guard_prints = fake_prints, .print_public = fake_public
#define FAKE_GUARD	FAKE_RUNS, .print_filed = fake_filed

static enum policy_verdict
decide_view(const char *subject, const char *text, const char *signer,
    const char *to, time_t embargo, struct policy_decision *d)
{
	const char *rcpts[] = { to };
	struct policy_view view = { .lookup = fake_lookup, FAKE_GUARD };
	struct policy_envelope env = { "security@example.org", rcpts, 1 };
	struct facts f;

	reg.embargo = embargo;
	facts_init(&f);
	free(f.subject);
	f.subject = xstrdup(subject);
	buf_appends(&f.text, text);
	f.has_first_text = true;
	if (signer)
		(void)snprintf(f.signer, sizeof(f.signer), "%s", signer);
	policy_classify(cfg, &f);
	policy_decide(cfg, &f, &env, &view, NOW, d);
	facts_free(&f);
	return d->verdict;
}

/* The team names XSA-900's discoverer for it: it alone of the two. */
static int
fake_participant(void *ctx, const char *id, const char *name, bool *yes,
    struct em_err *err)
{
	(void)ctx;
	(void)err;
	*yes = strcmp(id, "XSA-900") == 0 && strcmp(name, "Discoverer") == 0;
	return EM_OK;
}

/* The registry view of the participant and discussion cases. */
static const struct policy_view people_view = { .lookup = fake_lookup,
    .has_participant = fake_participant, FAKE_GUARD };

/*
 * Participants: a configured one on Cc of the team's embargoed post is
 * inside, an unknown address refuses it naming the fix; the text of an
 * advisory passes to its own participant only; the discussion list is no
 * place for the advisory post itself.
 */
static void
t_participants(void **st)
{
	static const struct dcase c[] = {
		{ "XSA-400 v1", MARK(FUTURE), TEST_FPR_TEAM, "security@example.org",
		  { "predisclosure@lists.example.org",
		    "reporter@university.example" }, POLICY_FANOUT, NULL },
		{ "XSA-400 v1", MARK(FUTURE), TEST_FPR_TEAM, "security@example.org",
		  { "predisclosure@lists.example.org", "someone@unknown.example" },
		  POLICY_REJECT, "participant block" },
		{ "XSA-400 v1", MARK(FUTURE), TEST_FPR_TEAM, "security@example.org",
		  { "predisclosure@lists.example.org", "discuss@lists.example.org" },
		  POLICY_REJECT, "not sent to <discuss@lists.example.org>" },
		{ "Re: it", "> QUOTED\n", NULL, "security@cloud.example",
		  { "reporter@university.example" }, POLICY_PASS, NULL },
		{ "Re: it", "> QUOTED\n", NULL, "reporter@university.example",
		  { "security@cloud.example", "security@example.org" },
		  POLICY_PASS, NULL },
		{ "Re: it", "> QUOTED\n", NULL, "reporter@university.example",
		  { "security@otherproject.example" }, POLICY_REJECT,
		  "not sent to <security@otherproject.example>" },
	};

	(void)st;
	reg.embargo = NOW + 3600;
	run_view = &people_view;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		check(&c[i]);
	run_view = NULL;
}

/* A registry that cannot be read: every lookup fails (an LMDB error, a
 * record of another layout), with fault_on choosing which. */
enum { FAULT_LOOKUP = 1, FAULT_PRINT = 2, FAULT_PARTICIPANT = 4 };
static int fault_on;

static int
bad_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	if (fault_on & FAULT_LOOKUP)
		return em_fail(err, EM_ESTORE, "state store: database 'adv', "
		    "record '%s': 3 bytes", id);
	return fake_lookup(ctx, id, out, err);
}

static int
bad_filed(void *ctx, const unsigned char h[8],
    void (*cb)(const char *id, void *cbctx), void *cbctx, struct em_err *err)
{
	if (fault_on & FAULT_PRINT)
		return em_fail(err, EM_ESTORE, "state store: database 'print': "
		    "MDB_CORRUPTED");
	return fake_filed(ctx, h, cb, cbctx, err);
}

static int
bad_participant(void *ctx, const char *id, const char *name, bool *yes,
    struct em_err *err)
{
	if (fault_on & FAULT_PARTICIPANT)
		return em_fail(err, EM_ESTORE, "state store: database 'meta', "
		    "record 'participants:%s': MDB_CORRUPTED", id);
	return fake_participant(ctx, id, name, yes, err);
}

static const struct policy_view faulty_view = { .lookup = bad_lookup,
    .has_participant = bad_participant, FAKE_RUNS,
    .print_filed = bad_filed };

/*
 * A fault is never "not registered", "public" or "quotes nothing"
 * (SPEC 9): with any one of the view's answers failing, every message
 * that needs it is 451 4.3.0 naming the database, the team's marker-less
 * revision and an outsider's forward of embargoed text first; with no
 * fault the same cases decide as before (the control).
 */
static void
t_fault_is_tempfail(void **st)
{
	static const struct { struct dcase c; int fault; const char *db; }
	    c[] = {
		/* The team's next revision without its banner, to the list. */
		{ { "XSA-900 v2", "Revised text.\n", TEST_FPR_TEAM,
		  "security@example.org", { "predisclosure@lists.example.org" },
		  POLICY_TEMPFAIL, NULL }, FAULT_LOOKUP, "database 'adv'" },
		/* ... and without a marker, to a public list. */
		{ { "XSA-900 public", "Text.\n", TEST_FPR_TEAM,
		  "security@example.org", { "announce@lists.example.org" },
		  POLICY_TEMPFAIL, NULL }, FAULT_LOOKUP, "database 'adv'" },
		/* An outsider forwarding its embargoed text. */
		{ { "Fwd: it", "> QUOTED\n", NULL, "friend@outsider.example",
		  { "press@news.example" }, POLICY_TEMPFAIL, NULL },
		  FAULT_PRINT, "database 'print'" },
		{ { "Fwd: it", "> QUOTED\n", NULL, "friend@outsider.example",
		  { "press@news.example" }, POLICY_TEMPFAIL, NULL },
		  FAULT_LOOKUP, "database 'adv'" },
		/* A mail naming the advisory, with no text of it. */
		{ { "about XSA-900", "when?\n", NULL, "friend@outsider.example",
		  { "press@news.example" }, POLICY_TEMPFAIL, NULL },
		  FAULT_LOOKUP, "database 'adv'" },
		/* Its text to a participant whose list cannot be read. */
		{ { "Re: it", "> QUOTED\n", NULL, "security@cloud.example",
		  { "reporter@university.example" }, POLICY_TEMPFAIL, NULL },
		  FAULT_PARTICIPANT, "database 'meta'" },
	};
	static const enum policy_verdict control[] = { POLICY_FANOUT,
	    POLICY_HOLD, POLICY_REJECT, POLICY_REJECT, POLICY_PASS, POLICY_PASS };

	(void)st;
	reg.embargo = NOW + 3600;
	run_view = &faulty_view;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct policy_decision d;
		struct dcase ok = c[i].c;

		fault_on = c[i].fault;
		run(&c[i].c, &d);
		assert_int_equal(d.verdict, POLICY_TEMPFAIL);
		assert_string_equal(d.rcode, "451");
		assert_string_equal(d.xcode, "4.3.0");
		assert_false(d.plain);
		assert_false(d.embargoed);
		assert_non_null(strstr(d.reason, c[i].db));
		fault_on = 0;
		ok.want = control[i];
		run(&ok, &d);
		assert_int_equal(d.verdict, control[i]);
	}
	run_view = NULL;
}

/*
 * The discussion list: a member's or the team's signed post is one; an
 * unsigned one, or one signed by another key, is refused; it is inside
 * for the leak guard, its other recipients are guarded.
 */
static void
t_discussion(void **st)
{
	static const struct dcase c[] = {
		{ "backport", "> QUOTED\n", TEST_FPR_A, "security@cloud.example",
		  { "discuss@lists.example.org" }, POLICY_DISCUSS, NULL },
		{ "note", "hello\n", TEST_FPR_TEAM, "security@example.org",
		  { "discuss@lists.example.org" }, POLICY_DISCUSS, NULL },
		{ "hello", "hello\n", NULL, "friend@outsider.example",
		  { "discuss@lists.example.org" }, POLICY_REJECT,
		  "must carry a valid OpenPGP signature" },
		{ "hello", "hello\n", "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
		  "reporter@university.example", { "discuss@lists.example.org" },
		  POLICY_REJECT, "neither" },
		{ "backport", "> QUOTED\n", TEST_FPR_A, "security@cloud.example",
		  { "discuss@lists.example.org", "friend@outsider.example" },
		  POLICY_REJECT, "not sent to <friend@outsider.example>" },
	};

	(void)st;
	reg.embargo = NOW + 3600;
	run_view = &people_view;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		check(&c[i]);
	run_view = NULL;
	assert_string_equal(policy_verdict_name(POLICY_DISCUSS), "discussion");
}

static void
t_hold_by_registered_id(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Xen Security Advisory XSA-900", "text\n",
	    TEST_FPR_TEAM, "announce@lists.example.org", NOW + 3600, &d), POLICY_HOLD);
	assert_int_equal(d.embargo, NOW + 3600);
	assert_string_equal(d.advisory_id, "XSA-900");
}

static void
t_public_advisory_posting_passes(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Xen Security Advisory XSA-900", "text\n",
	    TEST_FPR_TEAM, "announce@lists.example.org", 0, &d), POLICY_PASS);
}

static void
t_quoted_text_to_outsider_refused(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Re: hello", "> QUOTED text\n", NULL,
	    "friend@outsider.example", NOW + 60, &d), POLICY_REJECT);
	assert_non_null(strstr(d.reply, "XSA-900 is under embargo until "));
	assert_non_null(strstr(d.reply, "not sent to <friend@outsider.example>"));
}

static void
t_quoted_text_after_embargo_passes(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Re: hello", "> QUOTED text\n", NULL,
	    "friend@outsider.example", NOW - 60, &d), POLICY_PASS);
}

static void
t_quoted_text_to_member_passes(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Re: hello", "> QUOTED text\n", NULL,
	    "security@cloud.example", NOW + 60, &d), POLICY_PASS);
}

/* SPEC 4: the team's own public advisory may share text with an embargoed
 * one; an outsider's forward of the same text may not. */
static void
t_team_publishes_another_advisory(void **st)
{
	static const char other[] = "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256\n\n    Xen Security Advisory XSA-901\n\n"
	    "RESOLUTION\n==========\n\nQUOTED boilerplate both advisories "
	    "carry\n";
	static const char specific[] = "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256\n\n    Xen Security Advisory XSA-901\n\n"
	    "ISSUE DESCRIPTION\n=================\n\nQUOTED text of XSA-900 "
	    "alone\n";
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Xen Security Advisory 901", other,
	    TEST_FPR_TEAM, "announce@lists.example.org", NOW + 3600, &d),
	    POLICY_PASS);
	assert_int_equal(decide_view("Fwd: Xen Security Advisory 901", other,
	    NULL, "friend@outsider.example", NOW + 3600, &d), POLICY_REJECT);
	assert_non_null(strstr(d.reason, "(9 word runs of the message match"));
	/* Its own section quoting XSA-900's own text: held to a public
	 * list, refused to anyone else. */
	assert_int_equal(decide_view("Xen Security Advisory 901", specific,
	    TEST_FPR_TEAM, "announce@lists.example.org", NOW + 3600, &d),
	    POLICY_HOLD);
	assert_string_equal(d.advisory_id, "XSA-900");
	assert_int_equal(decide_view("Xen Security Advisory 901", specific,
	    TEST_FPR_TEAM, "friend@outsider.example", NOW + 3600, &d),
	    POLICY_REJECT);
	/* Signed by the team but naming the embargoed one: held. */
	assert_int_equal(decide_view("Xen Security Advisory XSA-900",
	    "Xen Security Advisory XSA-900\n\nQUOTED\n", TEST_FPR_TEAM,
	    "announce@lists.example.org", NOW + 3600, &d), POLICY_HOLD);
}

/* A reply is named by the advisory it quotes, not by the Subject's id. */
static void
t_reply_named_by_quoted_title(void **st)
{
	struct facts f;

	(void)st;
	facts_init(&f);
	free(f.subject);
	f.subject = xstrdup("Re: [oss-security] Xen Security Advisory 355 v2 - "
	    "stack corruption from XSA-346 change");
	buf_appends(&f.text, "Can this have a CVE?\n\nOn Tue someone wrote:\n"
	    "> -----BEGIN PGP SIGNED MESSAGE-----\n> Hash: SHA256\n>\n"
	    ">             Xen Security Advisory CVE-2020-29040 / XSA-355\n"
	    ">                               version 2\n>\n> ISSUE\n");
	f.has_first_text = true;
	policy_classify(cfg, &f);
	assert_string_equal(f.advisory_id, "XSA-355");
	assert_true(f.id_in_title);
	facts_free(&f);
}

/* ts - a test time, or fail */
static time_t
ts(const char *s)
{
	time_t t;
	size_t used;

	assert_int_equal(em_time_parse(s, strlen(s), &t, &used), EM_OK);
	return t;
}

/* The suggested timeline: one working week, two working weeks, capped. */
static void
t_timeline(void **st)
{
	struct policy_timeline t;

	(void)st;
	/* Reported on a Tuesday: the list the Tuesday after, public two
	 * working weeks later at public_time (12:00). */
	policy_timeline(cfg, ts("2026-12-01 10:00 UTC"), 0, &t);
	assert_int_equal(t.predisclosure, ts("2026-12-08 10:00 UTC"));
	assert_int_equal(t.public_at, ts("2026-12-22 12:00 UTC"));
	/* Reported on a Saturday: counted from the Monday. */
	policy_timeline(cfg, ts("2026-12-05 09:00 UTC"), 0, &t);
	assert_int_equal(t.predisclosure, ts("2026-12-14 09:00 UTC"));
	/* Earlier: honoured. */
	policy_timeline(cfg, ts("2026-12-01 10:00 UTC"),
	    ts("2026-12-15 12:00 UTC"), &t);
	assert_int_equal(t.public_at, ts("2026-12-15 12:00 UTC"));
	assert_non_null(strstr(t.note, "earlier than the default: honoured"));
	/* Later, within max_embargo (21 days) of the list: honoured. */
	policy_timeline(cfg, ts("2026-12-01 10:00 UTC"),
	    ts("2026-12-28 12:00 UTC"), &t);
	assert_int_equal(t.public_at, ts("2026-12-28 12:00 UTC"));
	/* Later than that: capped at max_embargo, saying so. */
	policy_timeline(cfg, ts("2026-12-01 10:00 UTC"),
	    ts("2027-01-15 12:00 UTC"), &t);
	assert_int_equal(t.public_at, ts("2026-12-29 10:00 UTC"));
	assert_non_null(strstr(t.note, "capped"));
}

/* SPEC 5 rule 1: nothing lifts an embargo by omission */
static void
t_list_post_without_marker_keeps_embargo(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Xen Security Advisory XSA-900 v2",
	    "Xen Security Advisory XSA-900\nversion 2\n\nno banner line\n",
	    TEST_FPR_TEAM, "predisclosure@lists.example.org", NOW + 3600, &d),
	    POLICY_FANOUT);
	assert_true(d.embargoed);
	assert_true(d.embargo_kept);
	assert_int_equal(d.embargo, NOW + 3600);
}

static void
t_list_post_past_marker_refused_when_embargoed(void **st)
{
	struct policy_decision d;

	(void)st;
	/* A mistyped year: 2025 for 2026. */
	assert_int_equal(decide_view("Xen Security Advisory XSA-900 v2",
	    "XSA-900\n" MARK("2025-12-01 12:00 UTC"), TEST_FPR_TEAM,
	    "predisclosure@lists.example.org", NOW + 3600, &d), POLICY_REJECT);
	assert_string_equal(d.xcode, "5.7.1");
	assert_non_null(strstr(d.reply, "embargoctl embargo XSA-900 --now"));
}

static void
t_list_post_moves_date_later(void **st)
{
	struct policy_decision d;

	(void)st;
	assert_int_equal(decide_view("Xen Security Advisory XSA-900 v2",
	    "XSA-900\n" MARK(FUTURE), TEST_FPR_TEAM,
	    "predisclosure@lists.example.org", NOW + 3600, &d), POLICY_FANOUT);
	assert_true(d.embargoed);
	assert_false(d.embargo_kept);
	assert_int_equal(d.embargo, (time_t)1796126400);
}

static void
t_list_post_public_stays_public(void **st)
{
	struct policy_decision d;

	(void)st;
	/* Registered and public already: a revision with an old banner. */
	assert_int_equal(decide_view("Xen Security Advisory XSA-900 v3",
	    "XSA-900\n" MARK(PAST), TEST_FPR_TEAM,
	    "predisclosure@lists.example.org", 0, &d), POLICY_FANOUT);
	assert_false(d.embargoed);
}

/* SPEC 4: a marker naming a registered advisory follows the registry. */
static void
t_marker_of_public_advisory_forwards(void **st)
{
	struct policy_decision d;

	(void)st;
	/* Lifted early with --now: the text still says "until FUTURE". */
	assert_int_equal(decide_view("Fwd: Xen Security Advisory XSA-900",
	    "Xen Security Advisory XSA-900\n" MARK(FUTURE), NULL,
	    "friend@outsider.example", 0, &d), POLICY_PASS);
	assert_int_equal(decide_view("Xen Security Advisory XSA-900",
	    "Xen Security Advisory XSA-900\n" MARK(FUTURE), TEST_FPR_TEAM,
	    "announce@lists.example.org", 0, &d), POLICY_PASS);
}

static void
t_marker_follows_moved_date(void **st)
{
	struct policy_decision d;

	(void)st;
	/* Moved earlier than the text says: the reply names the real date. */
	assert_int_equal(decide_view("Fwd: Xen Security Advisory XSA-900",
	    "Xen Security Advisory XSA-900\n" MARK(FUTURE), NULL,
	    "friend@outsider.example", NOW + 3600, &d), POLICY_REJECT);
	assert_int_equal(d.embargo, NOW + 3600);
	assert_null(strstr(d.reply, "2026-12-01 12:00"));
	/* An id nobody registered keeps the text's own date. */
	assert_int_equal(decide_view("Fwd: XSA-901",
	    "Xen Security Advisory XSA-901\n" MARK(FUTURE), NULL,
	    "friend@outsider.example", 0, &d), POLICY_REJECT);
	assert_non_null(strstr(d.reply, "XSA-901 is under embargo until "
	    "2026-12-01 12:00:00 UTC"));
}

/*
 * Real advisories (tests/data): a registry whose runs are filed as a
 * fan-out files them (policy_secret_prints()), public text loaded as
 * "embargoctl public add" loads it, every run looked up (no filter).
 */
static struct real {
	struct { unsigned char h[8]; char id[16]; } *filed;
	size_t	n_filed;
	unsigned char (*pub)[8];
	size_t	n_pub;
	struct policy_advisory adv[4];
	char	ids[4][16];
	size_t	n_adv;
} real;

static const unsigned char real_key[32] = "real advisories, real key 0123!";

static int
real_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	(void)ctx;
	(void)err;
	*out = NULL;
	for (size_t i = 0; i < real.n_adv; i++)
		if (strcmp(real.adv[i].id, id) == 0)
			*out = &real.adv[i];
	return EM_OK;
}

static int
real_filed(void *ctx, const unsigned char h[8],
    void (*cb)(const char *id, void *cbctx), void *cbctx, struct em_err *err)
{
	(void)ctx;
	(void)err;
	for (size_t i = 0; i < real.n_filed; i++)
		if (memcmp(real.filed[i].h, h, 8) == 0)
			cb(real.filed[i].id, cbctx);
	return EM_OK;
}

static int
real_public(void *ctx, const unsigned char h[8], bool *yes,
    struct em_err *err)
{
	(void)ctx;
	(void)err;
	*yes = false;
	for (size_t i = 0; i < real.n_pub && !*yes; i++)
		*yes = memcmp(real.pub[i], h, 8) == 0;
	return EM_OK;
}

static const struct policy_view real_view = { .lookup = real_lookup,
    .print_key = real_key, .print_key_len = sizeof(real_key),
    .print_filed = real_filed, .print_public = real_public };

/*
 * real_facts - tests/data/NAME read as the milter reads it, its
 * "version N" line taken out when bare, paste added to its text (after
 * its title block), the Subject replaced when subject is not NULL
 */
static void
real_facts(const char *name, const char *subject, bool bare,
    const char *paste, const char *signer, struct facts *f)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct buf raw;
	struct em_err err;
	char path[256], *v;

	(void)snprintf(path, sizeof(path), "tests/data/%s", name);
	test_read_file(path, &raw);
	buf_append(&raw, "", 1);
	if (bare && (v = strstr(raw.data, "version ")) != NULL) {
		char *s = v, *e = strchr(v, '\n');

		while (s > raw.data && s[-1] == ' ')
			s--;
		memmove(s, e + 1, strlen(e + 1) + 1);
	}
	if (paste != NULL && (v = strstr(raw.data, "\n\nISSUE DESCRIPTION")) !=
	    NULL) {
		struct buf b;

		buf_init(&b);
		buf_append(&b, raw.data, (size_t)(v - raw.data) + 2);
		buf_appends(&b, paste);
		buf_appends(&b, v + 2);
		buf_append(&b, "", 1);
		buf_free(&raw);
		raw = b;
	}
	facts_init(f);
	assert_int_equal(policy_read(raw.data, strlen(raw.data), &lim, f, &err),
	    EM_OK);
	buf_free(&raw);
	if (subject != NULL) {
		free(f->subject);
		f->subject = xstrdup(subject);
	}
	if (signer != NULL)
		(void)snprintf(f->signer, sizeof(f->signer), "%s", signer);
	policy_classify(cfg, f);
}

/* real_register - advisory id (embargoed or public) filed from NAME */

static void
real_register(const char *name, const char *id, time_t embargo)
{
	struct policy_prints pr;
	struct facts f;

	real_facts(name, NULL, false, NULL, NULL, &f);
	policy_secret_prints(f.text.data, f.text.len, real_key,
	    sizeof(real_key), &pr);
	real.filed = xrealloc(real.filed, (real.n_filed + pr.n) *
	    sizeof(*real.filed));
	for (size_t i = 0; i < pr.n; i++, real.n_filed++) {
		memcpy(real.filed[real.n_filed].h, pr.h[i], 8);
		(void)snprintf(real.filed[real.n_filed].id, 16, "%s", id);
	}
	(void)snprintf(real.ids[real.n_adv], 16, "%s", id);
	real.adv[real.n_adv].id = real.ids[real.n_adv];
	real.adv[real.n_adv].embargo = embargo;
	real.adv[real.n_adv++].revision = 1;
	policy_prints_free(&pr);
	facts_free(&f);
}

/* real_public_add - NAME loaded as public text */

static void
real_public_add(const char *name)
{
	struct policy_prints pr;
	struct facts f;

	real_facts(name, NULL, false, NULL, NULL, &f);
	policy_prints(f.text.data, f.text.len, real_key, sizeof(real_key), &pr);
	real.pub = xrealloc(real.pub, (real.n_pub + pr.n) * 8);
	memcpy(real.pub[real.n_pub], pr.h, pr.n * 8);
	real.n_pub += pr.n;
	policy_prints_free(&pr);
	facts_free(&f);
}

/* real_reset - XSA-355 and XSA-367 under embargo; nothing public */

static void
real_reset(void)
{
	free(real.filed);
	free(real.pub);
	memset(&real, 0, sizeof(real));
	real_register("xsa355.eml", "XSA-355", NOW + 86400);
	real_register("xsa367.eml", "XSA-367", NOW + 2 * 86400);
}

/* real_decide - the facts of NAME (see real_facts()) decided, sent to to */

static enum policy_verdict
real_decide(const char *name, const char *subject, bool bare,
    const char *paste, const char *signer, const char *from, const char *to,
    struct policy_decision *d)
{
	const char *rcpts[] = { to };
	struct policy_envelope env = { from, rcpts, 1 };
	struct facts f;

	real_facts(name, subject, bare, paste, signer, &f);
	policy_decide(cfg, &f, &env, &real_view, NOW, d);
	facts_free(&f);
	return d->verdict;
}

/*
 * t_team_posts_third_real_advisory - two real advisories under embargo
 * (XSA-355, XSA-367); the team's signed posting of a third (XSA-399,
 * XSA-405: "CVE-... / XSA-N" titles), its version line kept or not,
 * under each Subject form Xen uses, goes out unheld, with no public text
 * loaded and with a thin corpus (two past advisories); an outsider's
 * re-send of it is what the corpus decides (here: XSA-355's standard
 * words, its DEPLOYMENT DURING EMBARGO paragraph among them, which
 * neither XSA-367 nor the corpus carries, are XSA-355's text alone)
 */
static void
t_team_posts_third_real_advisory(void **st)
{
	static const char *const subjects[] = {
		NULL,		/* its own */
		"Xen Security Advisory 399 v2 - race in VT-d domain ID cleanup",
		"[Xen-devel] Xen Security Advisory 399 v2 (CVE-2022-26357) - "
		    "race in VT-d domain ID cleanup",
		"Xen Security Advisory 355 v2 - stack corruption from XSA-346 "
		    "change",
	};
	static const char *const third[] = { "xsa399.eml", "xsa405.eml" };
	struct policy_decision d;

	(void)st;
	for (int corpus = 0; corpus < 2; corpus++) {
		real_reset();
		if (corpus) {
			real_public_add("xsa300.eml");
			real_public_add("xsa376.eml");
		}
		for (size_t i = 0; i < 2; i++)
			for (size_t s = 0; s < 4; s++)
				for (int bare = 0; bare < 2; bare++) {
					if (real_decide(third[i], subjects[s],
					    bare, NULL, TEST_FPR_TEAM,
					    "security@example.org",
					    "announce@lists.example.org", &d) !=
					    POLICY_PASS)
						fail_msg("%s, corpus %d, Subject "
						    "%zu, bare %d: %s (%s)",
						    third[i], corpus, s, bare,
						    policy_verdict_name(d.verdict),
						    d.reason);
				}
		/* The thin corpus clears none of XSA-355's deployment
		 * paragraph: an outsider's re-send is refused as XSA-355. */
		assert_int_equal(real_decide("xsa399.eml", NULL, false, NULL,
		    NULL, "dev@vendor.example", "friend@outsider.example", &d),
		    POLICY_REJECT);
		assert_string_equal(d.advisory_id, "XSA-355");
	}
}

/* XSA-355's own description, as the team might paste it by mistake. */
#define DESC355 \
	"ISSUE DESCRIPTION\n=================\n\n" \
	"The fix for XSA-346 introduced an issue dealing with updating of\n" \
	"IOMMU mappings for guests.  There are two levels of page tables\n" \
	"involved, and updates of these may not have been carried out in\n" \
	"a proper order.\n\n"

/*
 * t_team_quoting_embargoed_text - the team's signed posting of XSA-399
 * that quotes XSA-355's own text (not the boilerplate): held until
 * XSA-355's date on a public list, refused to an outsider
 */
static void
t_team_quoting_embargoed_text(void **st)
{
	struct policy_decision d;
	struct buf desc;
	char *paste, *p, *q;

	(void)st;
	real_reset();
	test_read_file("tests/data/xsa355.eml", &desc);
	buf_append(&desc, "", 1);
	assert_non_null(p = strstr(desc.data, "ISSUE DESCRIPTION"));
	assert_non_null(q = strstr(p, "\nIMPACT"));
	paste = xstrndup(p, (size_t)(q - p + 1));
	buf_free(&desc);
	assert_int_equal(real_decide("xsa399.eml", NULL, true, paste,
	    TEST_FPR_TEAM, "security@example.org",
	    "announce@lists.example.org", &d), POLICY_HOLD);
	assert_string_equal(d.advisory_id, "XSA-355");
	assert_int_equal(d.embargo, NOW + 86400);
	assert_int_equal(real_decide("xsa399.eml", NULL, true, paste,
	    TEST_FPR_TEAM, "security@example.org", "friend@outsider.example",
	    &d), POLICY_REJECT);
	assert_string_equal(d.advisory_id, "XSA-355");
	/* Unsigned, the same posting is anyone's: refused. */
	assert_int_equal(real_decide("xsa399.eml", NULL, true, NULL, NULL,
	    "security@example.org", "announce@lists.example.org", &d),
	    POLICY_REJECT);
	free(paste);
}

/*
 * t_thin_sections - policy_thin_sections(): with nothing public, XSA-355's
 * RESOLUTION and DEPLOYMENT DURING EMBARGO are its own text (XSA-367
 * carries neither as it does); loaded as public text (a past advisory
 * that carries them), neither is named
 */
static void
t_thin_sections(void **st)
{
	struct policy_thin *th;
	struct facts f;
	struct em_err err;
	size_t n;
	bool dep = false;

	(void)st;
	real_reset();
	real_facts("xsa355.eml", NULL, false, NULL, NULL, &f);
	assert_int_equal(policy_thin_sections(&real_view, "XSA-355",
	    f.text.data, f.text.len, &th, &n, &err), EM_OK);
	for (size_t i = 0; i < n; i++) {
		assert_true(policy_standard_heading(th[i].heading));
		assert_true(th[i].own >= POLICY_LEAK_SHINGLES);
		dep |= strcmp(th[i].heading, "DEPLOYMENT DURING EMBARGO") == 0;
	}
	assert_true(dep);
	free(th);
	real_public_add("xsa399.eml");
	assert_int_equal(policy_thin_sections(&real_view, "XSA-355",
	    f.text.data, f.text.len, &th, &n, &err), EM_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(th[i].heading, "DEPLOYMENT DURING EMBARGO") == 0 ||
		    strcmp(th[i].heading, "RESOLUTION") == 0)
			fail_msg("%s still named (%zu of %zu runs)",
			    th[i].heading, th[i].own, th[i].runs);
	free(th);
	/* No registry to read: an error, never "nothing thin". */
	{
		const struct policy_view none = { .lookup = real_lookup };

		assert_int_equal(policy_thin_sections(&none, "XSA-355",
		    f.text.data, f.text.len, &th, &n, &err), EM_EUSAGE);
		assert_int_equal(n, 0);
	}
	facts_free(&f);
	free(real.filed);
	free(real.pub);
	memset(&real, 0, sizeof(real));
}

/*
 * t_pdf_of_embargoed_advisory - SPEC 4: real XSA-405 under embargo (with
 * XSA-355 and XSA-367), an outsider's mail carrying it as a PDF written
 * by Ghostscript (its text in compressed streams), attached as
 * application/octet-stream under another name: refused, as the text
 * would be; read as strings(1) alone, it would have passed
 */
static void
t_pdf_of_embargoed_advisory(void **st)
{
	struct policy_limits lim = policy_limits_of(cfg);
	const char *rcpts[] = { "friend@outsider.example" };
	struct policy_envelope env = { "dev@vendor.example", rcpts, 1 };
	struct policy_decision d;
	struct buf pdf;
	struct facts f;
	struct em_err err;
	gchar *b64;
	char *msg;

	(void)st;
	real_reset();
	real_register("xsa405.eml", "XSA-405", NOW + 3 * 86400);
	test_read_file("tests/data/xsa405-ghostscript.pdf", &pdf);
	b64 = g_base64_encode((const guchar *)pdf.data, pdf.len);
	msg = xasprintf("From: dev@vendor.example\r\nSubject: notes\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	    "The notes from the call.\r\n--b\r\nContent-Type: "
	    "application/octet-stream; name=\"notes.bin\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n", b64);
	facts_init(&f);
	assert_int_equal(policy_read(msg, strlen(msg), &lim, &f, &err), EM_OK);
	policy_classify(cfg, &f);
	policy_decide(cfg, &f, &env, &real_view, NOW, &d);
	assert_int_equal(d.verdict, POLICY_REJECT);
	assert_non_null(strstr(d.reply, "XSA-405 is under embargo"));
	facts_free(&f);
	facts_init(&f);		/* the PDF's bytes alone, as strings(1) */
	policy_read_bytes(pdf.data, pdf.len, &f);
	policy_classify(cfg, &f);
	policy_decide(cfg, &f, &env, &real_view, NOW, &d);
	assert_int_equal(d.verdict, POLICY_PASS);
	facts_free(&f);
	free(msg);
	g_free(b64);
	buf_free(&pdf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_plain_passes),
		cmocka_unit_test(t_marker_of_public_advisory_forwards),
		cmocka_unit_test(t_marker_follows_moved_date),
		cmocka_unit_test(t_future_marker_to_outsider),
		cmocka_unit_test(t_future_marker_names_all_outsiders),
		cmocka_unit_test(t_date_in_a_sentence_passes),
		cmocka_unit_test(t_subject_forms),
		cmocka_unit_test(t_partial_missing),
		cmocka_unit_test(t_future_marker_to_member_passes),
		cmocka_unit_test(t_past_marker_passes),
		cmocka_unit_test(t_bad_marker_from_team_address),
		cmocka_unit_test(t_bad_marker_from_others_passes),
		cmocka_unit_test(t_bad_marker_to_list),
		cmocka_unit_test(t_list_post_unsigned_refused),
		cmocka_unit_test(t_list_post_wrong_signer_refused),
		cmocka_unit_test(t_list_post_without_id),
		cmocka_unit_test(t_list_post_embargoed_fans_out),
		cmocka_unit_test(t_list_post_embargoed_with_outsider),
		cmocka_unit_test(t_list_post_beyond_max_embargo),
		cmocka_unit_test(t_list_post_public_fans_out),
		cmocka_unit_test(t_team_public_post_future_marker_held),
		cmocka_unit_test(t_non_team_public_post_future_marker_refused),
		cmocka_unit_test(t_participants),
		cmocka_unit_test(t_discussion),
		cmocka_unit_test(t_fault_is_tempfail),
		cmocka_unit_test(t_hold_by_registered_id),
		cmocka_unit_test(t_list_post_without_marker_keeps_embargo),
		cmocka_unit_test(t_list_post_past_marker_refused_when_embargoed),
		cmocka_unit_test(t_list_post_moves_date_later),
		cmocka_unit_test(t_list_post_public_stays_public),
		cmocka_unit_test(t_public_advisory_posting_passes),
		cmocka_unit_test(t_quoted_text_to_outsider_refused),
		cmocka_unit_test(t_quoted_text_after_embargo_passes),
		cmocka_unit_test(t_quoted_text_to_member_passes),
		cmocka_unit_test(t_team_publishes_another_advisory),
		cmocka_unit_test(t_reply_named_by_quoted_title),
		cmocka_unit_test(t_timeline),
		cmocka_unit_test(t_team_posts_third_real_advisory),
		cmocka_unit_test(t_pdf_of_embargoed_advisory),
		cmocka_unit_test(t_team_quoting_embargoed_text),
		cmocka_unit_test(t_thin_sections),
	};

	return cmocka_run_group_tests_name("decide", tests, setup, teardown);
}
