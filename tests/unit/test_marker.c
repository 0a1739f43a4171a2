/* test_marker - embargo markers, advisory ids, revisions (SPEC section 4) */
#include "testutil.h"
#include <gmime/gmime.h>
#include "../../policy/policy.h"

#define T0 ((time_t)1796126400)	/* 2026-12-01 12:00:00 UTC */

static struct strv phrases;

static int
setup(void **st)
{
	(void)st;
	g_mime_init();
	strv_push(&phrases, "EMBARGOED UNTIL");
	strv_push(&phrases, "EMBARGO DATE:");
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	strv_free(&phrases);
	return 0;
}

static struct policy_marker
scan(const char *line)
{
	struct policy_marker m;

	memset(&m, 0, sizeof(m));
	(void)policy_marker_scan(&phrases, line, strlen(line), &m);
	return m;
}

static void
t_xen_form(void **st)
{
	struct policy_marker m = scan("*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_VALID);
	assert_int_equal(m.when, T0);
}

static void
t_case_insensitive(void **st)
{
	struct policy_marker m = scan("  embargoed until 2026-12-01T12:00:00Z");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_VALID);
	assert_int_equal(m.when, T0);
}

static void
t_embargo_date_colon_offset(void **st)
{
	struct policy_marker m = scan("Embargo date: 2026-12-01T14:00+02:00");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_VALID);
	assert_int_equal(m.when, T0);
}

static void
t_unparseable(void **st)
{
	struct policy_marker m = scan("This was embargoed until 16 April, 1pm PT.");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_BAD);
	assert_string_equal(m.line, "This was embargoed until 16 April, 1pm PT.");
}

static void
t_no_phrase(void **st)
{
	struct policy_marker m = scan("Public release: 2026-12-01 12:00 UTC");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_NONE);
}

static void
t_quoted_marker_still_found(void **st)
{
	struct policy_marker m = scan("> > *** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***");

	(void)st;
	assert_int_equal(m.kind, POLICY_MARKER_VALID);
}

static struct config *
cfg_load(void)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with("", &rep);

	assert_non_null(cfg);
	conf_report_free(&rep);
	return cfg;
}

static void
classify_text(const struct config *cfg, const char *subject, const char *text,
    struct facts *f)
{
	facts_init(f);
	free(f->subject);
	f->subject = xstrdup(subject);
	buf_appends(&f->text, text);
	f->has_first_text = true;
	policy_classify(cfg, f);
}

static void
t_id_order_subject_then_text(void **st)
{
	struct config *cfg = cfg_load();
	struct facts f;

	(void)st;
	classify_text(cfg, "Xen Security Advisory 390 v1 (CVE-2021-28710)",
	    "See XSA-390 for details.\n", &f);
	assert_string_equal(f.advisory_id, "XSA-390");
	facts_free(&f);
	classify_text(cfg, "Xen Security Advisory XSA-391", "CVE-2021-28711\n", &f);
	assert_string_equal(f.advisory_id, "XSA-391");
	facts_free(&f);
	classify_text(cfg, "an advisory", "only CVE-2021-28712 here\n", &f);
	assert_string_equal(f.advisory_id, "CVE-2021-28712");
	facts_free(&f);
	classify_text(cfg, "hello", "no ids at all\n", &f);
	assert_string_equal(f.advisory_id, "");
	facts_free(&f);
	conf_free(cfg);
}

/* SPEC 4: the title block names the advisory; the Subject may name another */
static void
t_id_title_block_first(void **st)
{
	struct config *cfg = cfg_load();
	struct facts f;

	(void)st;
	classify_text(cfg, "Xen Security Advisory 355 v2 - stack corruption from "
	    "XSA-346 change", "-----BEGIN PGP SIGNED MESSAGE-----\n"
	    "Hash: SHA256\n\n                    Xen Security Advisory XSA-355\n"
	    "                              version 2\n\n"
	    "                 stack corruption from XSA-346 change\n\n"
	    "One of the two changes for XSA-346 introduced an on-stack array.\n",
	    &f);
	assert_string_equal(f.advisory_id, "XSA-355");
	assert_non_null(strstr(f.id_note, "XSA-346"));
	assert_int_equal(f.revision, 2);
	facts_free(&f);
	/* The SPEC's second example: XSA before CVE, in the title block. */
	classify_text(cfg, "Xen Security Advisory 390 v1 (CVE-2021-28710)",
	    "            Xen Security Advisory CVE-2021-28710 / XSA-390\n"
	    "                               version 1\n\nbody\n", &f);
	assert_string_equal(f.advisory_id, "XSA-390");
	assert_string_equal(f.id_note, "");
	facts_free(&f);
	/* No id in the title block: the Subject's, before the body's. */
	classify_text(cfg, "Re: XSA-12 question", "Hello,\n\nabout XSA-99\n", &f);
	assert_string_equal(f.advisory_id, "XSA-12");
	facts_free(&f);
	conf_free(cfg);
}

/* The real XSA-355 mail, read and classified as the milter does */
static void
t_id_real_xsa355(void **st)
{
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };
	struct config *cfg = cfg_load();
	struct em_err err;
	struct facts f;
	struct buf raw;

	(void)st;
	test_read_file("tests/data/xsa355.eml", &raw);
	facts_init(&f);
	assert_int_equal(policy_read(raw.data, raw.len, &lim, &f, &err), EM_OK);
	policy_classify(cfg, &f);
	assert_string_equal(f.advisory_id, "XSA-355");
	assert_non_null(strstr(f.id_note, "the Subject XSA-346"));
	assert_int_equal(f.revision, 2);
	facts_free(&f);
	buf_free(&raw);
	conf_free(cfg);
}

/*
 * The DEPLOYMENT DURING EMBARGO section of real advisories: XSA-355
 * permits (its "Distribution ... is prohibited" is not about deployment),
 * XSA-405 forbids, XSA-399 permits the patches and not the mitigation;
 * XSA-300's text has no such section.
 */
static void
t_deployment_real(void **st)
{
	static const struct { const char *file; enum policy_deploy_state s;
	    const char *starts, *has; } k[] = {
		{ "tests/data/xsa355.eml", POLICY_DEPLOY_PERMITTED,
		  "Deployment of the patches and/or mitigations described above "
		  "(or others which are substantially similar) is permitted",
		  "untrusted guest users and administrators." },
		{ "tests/data/xsa405.eml", POLICY_DEPLOY_NOT_PERMITTED,
		  "Deployment of patches or mitigations is NOT permitted (except "
		  "where all", "Predisclosure List)." },
		{ "tests/data/xsa399.eml", POLICY_DEPLOY_RESTRICTED,
		  "Deployment of the patches described above",
		  "HOWEVER, deployment of the mitigation is NOT permitted" },
	};
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };
	struct config *cfg = cfg_load();

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct em_err err;
		struct facts f;
		struct buf raw;

		test_read_file(k[i].file, &raw);
		facts_init(&f);
		assert_int_equal(policy_read(raw.data, raw.len, &lim, &f, &err),
		    EM_OK);
		policy_classify(cfg, &f);
		print_message("%s: %s: %s\n", k[i].file,
		    policy_deploy_name(f.deploy.state), f.deploy.sentence);
		assert_int_equal(f.deploy.state, k[i].s);
		assert_true(strncmp(f.deploy.sentence, k[i].starts,
		    strlen(k[i].starts)) == 0);
		assert_non_null(strstr(f.deploy.sentence, k[i].has));
		facts_free(&f);
		buf_free(&raw);
	}
	{
		struct policy_deploy d;
		static const char none[] = "Xen Security Advisory XSA-1\n\n"
		    "ISSUE DESCRIPTION\n=================\n\nA bug.\n";

		policy_deployment(none, strlen(none), &d);
		assert_int_equal(d.state, POLICY_DEPLOY_NOT_STATED);
		assert_string_equal(policy_deploy_name(d.state), "not stated");
	}
	conf_free(cfg);
}

/*
 * t_cve_title_no_version - Xen's "Xen Security Advisory CVE-... / XSA-N"
 * title, with its version line and without, gives the advisory's own id
 * from its title block, whatever XSA its Subject or text names
 */
static void
t_cve_title_no_version(void **st)
{
	static const char *const files[] = { "tests/data/xsa399.eml",
	    "tests/data/xsa405.eml" };
	static const char *const ids[] = { "XSA-399", "XSA-405" };
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };
	struct config *cfg = cfg_load();

	(void)st;
	for (size_t i = 0; i < 2; i++)
		for (int drop = 0; drop < 2; drop++) {
			struct em_err err;
			struct facts f;
			struct buf raw;
			char *v;

			test_read_file(files[i], &raw);
			/* Without its version line: the title, then a blank. */
			if (drop && (v = strstr(raw.data, "version ")) != NULL) {
				char *nl = strchr(v, '\n');

				while (v > raw.data && v[-1] == ' ')
					v--;
				memmove(v, nl + 1, strlen(nl + 1) + 1);
				raw.len = strlen(raw.data);
			}
			facts_init(&f);
			assert_int_equal(policy_read(raw.data, raw.len, &lim, &f,
			    &err), EM_OK);
			policy_classify(cfg, &f);
			if (strcmp(f.advisory_id, ids[i]) != 0 || !f.id_in_title)
				fail_msg("%s (version line %s): id %s, in title %d",
				    files[i], drop ? "dropped" : "kept",
				    f.advisory_id, f.id_in_title);
			facts_free(&f);
			buf_free(&raw);
		}
	conf_free(cfg);
}

/* id_with - the advisory id of text under the advisory_id patterns
 * given (a config's list), into out */

static const char *
id_with(const char *patterns, const char *text, char *out, size_t n)
{
	struct conf_report rep = { 0 };
	char *set = xasprintf("advisory_id = { %s }", patterns);
	struct config *cfg = test_conf_with(set, &rep);
	struct facts f;

	free(set);
	assert_non_null(cfg);
	classify_text(cfg, "note", text, &f);
	(void)snprintf(out, n, "%s", f.advisory_id);
	facts_free(&f);
	conf_free(cfg);
	conf_report_free(&rep);
	return out;
}

/*
 * Alternatives are never skipped for a literal start ("OSS-" of the
 * second); a pattern with a literal start is read from that start's
 * first place (not the text before it), and still to the first that
 * matches.
 */
static void
t_id_patterns(void **st)
{
#define ALT	"\"XSA-[0-9]+|OSS-[0-9]+\", \"CVE-?[0-9]{4}\""
#define CVE	"\"CVE-[0-9]{4}-[0-9]{4,}\""
	static const char *const cases[][3] = {
		{ ALT, "see OSS-12 for details\n", "OSS-12" },
		{ ALT, "see CVE2026 for details\n", "CVE2026" },
		{ CVE, "a long line before it, and CVE-ABC, and CVE-1 junk\n"
		    "then CVE-2026-12345 and CVE-2026-99999\n", "CVE-2026-12345" },
		{ CVE, "CVE-2026-1234 is the first\n", "CVE-2026-1234" },
		{ CVE, "CVE- CVE-20 nothing whole\n", "" },
	};
#undef ALT
#undef CVE
	char id[64];

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(id_with(cases[i][0], cases[i][1], id,
		    sizeof(id)), cases[i][2]);
}

/* em_memmem() finds what memmem() finds, at every length and alignment
 * (its sixteen-byte steps, their tail, needles of one byte and more). */
static void
t_memmem_as_libc(void **st)
{
	static const char abc[] = "ab-P\n-";
	unsigned seed = 12345;
	char hay[300], needle[24];

	(void)st;
	for (int round = 0; round < 20000; round++) {
		size_t len = (seed = seed * 1103515245u + 12345u) % sizeof(hay);
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 20;

		for (size_t i = 0; i < len; i++)
			hay[i] = abc[(seed = seed * 1103515245u + 12345u) >> 16 & 3];
		for (size_t i = 0; i < n; i++)
			needle[i] = abc[(seed = seed * 1103515245u + 12345u) >> 16 & 3];
		if (round % 3 == 0 && len > n)	/* one that is there */
			memcpy(needle, hay + (seed >> 8) % (len - n + 1), n);
		assert_ptr_equal(em_memmem(hay, len, needle, n),
		    memmem(hay, len, needle, n));
	}
	assert_ptr_equal(em_memmem(hay, 0, "", 0), hay);
}

static void
t_marker_in_subject(void **st)
{
	struct config *cfg = cfg_load();
	struct facts f;

	(void)st;
	classify_text(cfg, "[EMBARGOED UNTIL 2026-12-01 12:00 UTC] XSA-1", "body\n", &f);
	assert_int_equal(f.marker.kind, POLICY_MARKER_VALID);
	assert_int_equal(f.marker.when, T0);
	facts_free(&f);
	conf_free(cfg);
}

static void
t_valid_after_bad(void **st)
{
	struct config *cfg = cfg_load();
	struct facts f;

	(void)st;
	classify_text(cfg, "XSA-1", "embargoed until further notice\n"
	    "*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***\n", &f);
	assert_int_equal(f.marker.kind, POLICY_MARKER_VALID);
	assert_int_equal(f.bad_marker.kind, POLICY_MARKER_BAD);
	facts_free(&f);
	conf_free(cfg);
}

/* line_by_line - the marker as each line alone gives it (the reference) */

static void
line_by_line(const char *text, struct policy_marker *valid,
    struct policy_marker *bad)
{
	const char *p = text;

	valid->kind = bad->kind = POLICY_MARKER_NONE;
	while (*p != '\0' && valid->kind == POLICY_MARKER_NONE) {
		size_t n = strcspn(p, "\n");
		struct policy_marker m;

		(void)policy_marker_scan(&phrases, p, n, &m);
		if (m.kind == POLICY_MARKER_VALID)
			*valid = m;
		else if (m.kind == POLICY_MARKER_BAD && bad->kind == POLICY_MARKER_NONE)
			*bad = m;
		p += n + (p[n] == '\n');
	}
}

/* The whole-text search finds what each line alone finds: the phrase at
 * every offset from the text's start and end (the sixteen-byte steps
 * and the tail), in either case, split by a line end, after bad markers. */
static void
t_scan_whole_text_as_lines(void **st)
{
	static const char *const marks[] = {
		"*** EMBARGOED UNTIL 2026-12-01 12:00 UTC ***",
		"embargo date: 2026-12-01T12:00:00Z",
		"Embargoed until further notice",
		"EMBARGOED\nUNTIL 2026-12-01 12:00 UTC",
		"eMbArGo DaTe:\n 2026-12-01T12:00:00Z",
		"EMBARGO DATE: soon\nEMBARGO DATE: 2026-12-01T12:00:00Z",
	};
	struct config *cfg = cfg_load();

	(void)st;
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
		for (size_t pad = 0; pad < 40; pad++)
			for (int tail = 0; tail < 2; tail++) {
				char text[512];
				struct policy_marker v, b;
				struct facts f;

				(void)snprintf(text, sizeof(text), "%.*s%s%s%.*s",
				    (int)pad, "xxxxxxx\nEMBARGo yy\nemxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				    pad % 3 == 0 ? "" : "\n", marks[k], tail ? (int)pad : 0,
				    "\nzz embargoed untI 1\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
				line_by_line(text, &v, &b);
				classify_text(cfg, "XSA-1", text, &f);
				assert_int_equal(f.marker.kind, v.kind);
				if (v.kind == POLICY_MARKER_VALID)
					assert_int_equal(f.marker.when, v.when);
				assert_int_equal(f.bad_marker.kind, b.kind);
				if (b.kind != POLICY_MARKER_NONE)
					assert_string_equal(f.bad_marker.line, b.line);
				facts_free(&f);
			}
	conf_free(cfg);
}

static void
t_revision(void **st)
{
	(void)st;
	assert_int_equal(policy_revision_find(
	    "            Xen Security Advisory CVE-2021-28710 / XSA-390\n"
	    "                               version 3\n\n text\n"), 3);
	assert_int_equal(policy_revision_find("Advisory\nVersion: 12\n"), 12);
	assert_int_equal(policy_revision_find("no version here\n"), 1);
	assert_int_equal(policy_revision_find("this version 2 is in a sentence\n"), 1);
}

/*
 * t_record_real - what the release's records take from real advisories:
 * the title paragraph, the title block's CVE ids (not the body's), the
 * version, ISSUE DESCRIPTION as written and what the version changed
 */
static void
t_record_real(void **st)
{
	static const struct {
		const char *file, *title, *cve, *details, *update;
		int version;
	} k[] = {
		{ "tests/data/xsa405.eml", "network backend may cause Linux "
		    "netfront to use freed SKBs", "CVE-2022-33743",
		    "While adding logic to support XDP (eXpress Data Path), a "
		    "code label was\nmoved", "Public release.", 3 },
		{ "tests/data/xsa355.eml", "stack corruption from XSA-346 change",
		    NULL, "One of the two changes for XSA-346", "Added metadata "
		    "file.", 2 },
	};
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };

	(void)st;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct policy_record r;
		struct em_err err;
		struct facts f;
		struct buf raw;

		test_read_file(k[i].file, &raw);
		facts_init(&f);
		assert_int_equal(policy_read(raw.data, raw.len, &lim, &f, &err),
		    EM_OK);
		policy_record_read(f.text.data + f.first_text,
		    f.text.len - f.first_text, &r);
		print_message("%s: \"%s\" v%d, %zu CVE, update \"%s\"\n",
		    k[i].file, r.title, r.version, r.n_cves, r.update);
		assert_string_equal(r.title, k[i].title);
		assert_int_equal(r.version, k[i].version);
		assert_int_equal(r.n_cves, k[i].cve != NULL ? 1 : 0);
		if (k[i].cve != NULL)
			assert_string_equal(r.cves[0], k[i].cve);
		assert_true(strncmp(r.details.data, k[i].details,
		    strlen(k[i].details)) == 0);
		assert_null(strstr(r.details.data, "IMPACT"));
		assert_string_equal(r.update, k[i].update);
		policy_record_free(&r);
		facts_free(&f);
		buf_free(&raw);
	}
	{
		/* Two CVEs and the id on the title line, dash-escaped lines,
		 * the signature ends the text; no version line, no title. */
		static const char t[] = "-----BEGIN PGP SIGNED MESSAGE-----\n"
		    "Hash: SHA256\n\n  Xen Security Advisory CVE-2023-1234,"
		    "CVE-2023-56789 / XSA-999\n\nISSUE DESCRIPTION\n"
		    "=================\n\nA bug in CVE-2020-0001 code.\n"
		    "- --- a/x.c\n\n-----BEGIN PGP SIGNATURE-----\nxx\n";
		struct policy_record r;

		policy_record_read(t, strlen(t), &r);
		assert_int_equal(r.n_cves, 2);
		assert_string_equal(r.cves[0], "CVE-2023-1234");
		assert_string_equal(r.cves[1], "CVE-2023-56789");
		assert_int_equal(r.version, 1);	/* none: 1, as the milter counts */
		assert_string_equal(r.title, "");
		assert_string_equal(r.details.data,
		    "A bug in CVE-2020-0001 code.\n--- a/x.c\n");
		policy_record_free(&r);
	}
	{
		/* Not clearsigned: a "- " bullet is the text's own. */
		static const char t[] = "Xen Security Advisory XSA-998\n\n"
		    "A title\n\nISSUE DESCRIPTION\n=================\n\n"
		    "- guests can crash the host\n";
		struct policy_record r;

		policy_record_read(t, strlen(t), &r);
		assert_string_equal(r.title, "A title");
		assert_string_equal(r.details.data,
		    "- guests can crash the host\n");
		policy_record_free(&r);
	}
	{
		/* A title over the ceiling is cut at a whole character. */
		GString *g = g_string_new("Xen Security Advisory XSA-997\n\n");
		struct policy_record r;

		for (int i = 0; i < 400; i++)
			g_string_append(g, "\xc3\xa9");	/* U+00E9, 2 bytes */
		g_string_append(g, "\n");
		policy_record_read(g->str, g->len, &r);
		assert_true(strlen(r.title) >= 500);
		assert_true(g_utf8_validate(r.title, -1, NULL));
		policy_record_free(&r);
		g_string_free(g, true);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_xen_form),
		cmocka_unit_test(t_case_insensitive),
		cmocka_unit_test(t_embargo_date_colon_offset),
		cmocka_unit_test(t_unparseable),
		cmocka_unit_test(t_no_phrase),
		cmocka_unit_test(t_quoted_marker_still_found),
		cmocka_unit_test(t_id_order_subject_then_text),
		cmocka_unit_test(t_marker_in_subject),
		cmocka_unit_test(t_id_title_block_first),
		cmocka_unit_test(t_id_real_xsa355),
		cmocka_unit_test(t_id_patterns),
		cmocka_unit_test(t_memmem_as_libc),
		cmocka_unit_test(t_valid_after_bad),
		cmocka_unit_test(t_scan_whole_text_as_lines),
		cmocka_unit_test(t_revision),
		cmocka_unit_test(t_cve_title_no_version),
		cmocka_unit_test(t_deployment_real),
		cmocka_unit_test(t_record_real),
	};

	return cmocka_run_group_tests_name("marker", tests, setup, teardown);
}
