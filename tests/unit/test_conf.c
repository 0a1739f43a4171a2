/* test_conf - config loading and the rules of SPEC section 3 */
#include "testutil.h"

static void
t_example_valid(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = NULL;

	(void)st;
	assert_int_equal(conf_load("conf/embargo-milter.conf", &cfg, &rep), EM_OK);
	assert_non_null(cfg);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(cfg->n_members, 2);
	assert_int_equal(cfg->max_embargo, 21 * 86400);
	assert_int_equal(cfg->remind_before, 24 * 3600);
	assert_int_equal(cfg->release_alarm, 60);
	assert_int_equal(cfg->reinject_port, 10026);
	assert_string_equal(cfg->list_address, "predisclosure@lists.example.org");
	assert_true(cfg->require_signed);
	conf_free(cfg);
	conf_report_free(&rep);
}

static void
t_person_refused_with_line(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Vendor\" {\n  address = \"jane.doe@vendor.example\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n}\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_int_equal(rep.errors, 1);
	assert_true(test_report_has(&rep, ":5: member \"Vendor\": address "
	    "jane.doe@vendor.example is not a role address"));
	assert_true(test_report_has(&rep, "role_attested"));
	conf_report_free(&rep);
}

static void
t_role_forms(void **st)
{
	struct strv roles = { 0 };

	(void)st;
	strv_push(&roles, "security");
	strv_push(&roles, "psirt");
	strv_push(&roles, "security-team");
	assert_true(conf_is_role_address(&roles, "security@x.example"));
	assert_true(conf_is_role_address(&roles, "Security@X.example"));
	assert_true(conf_is_role_address(&roles, "psirt+xen@x.example"));
	assert_true(conf_is_role_address(&roles, "security-team@x.example"));
	assert_true(conf_is_role_address(&roles, "psirt-emea@x.example"));
	assert_true(conf_is_role_address(&roles, "<security@x.example>"));
	assert_false(conf_is_role_address(&roles, "jane.doe@x.example"));
	assert_false(conf_is_role_address(&roles, "jdoe@x.example"));
	assert_false(conf_is_role_address(&roles, "securityjane@x.example"));
	assert_false(conf_is_role_address(&roles, "psirt-@x.example"));
	assert_false(conf_is_role_address(&roles, "jane+security@x.example"));
	assert_false(conf_is_role_address(&roles, "security"));
	strv_free(&roles);
}

static void
t_role_attested_allows(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Odd\" {\n  address = \"incident@odd.example\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n"
	    "  role_attested = \"2026-03-01 checked by phone\"\n}\n", &rep);

	(void)st;
	assert_non_null(cfg);
	assert_int_equal(conf_addr_role(cfg, "INCIDENT@odd.example"), CONF_ROLE_MEMBER);
	conf_free(cfg);
	conf_report_free(&rep);
}

static void
t_bad_fingerprint(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Short\" {\n  address = \"psirt@short.example\"\n"
	    "  key = \"0123 4567\"\n}\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, ":6: member \"Short\": key \"0123 4567\" "
	    "is not a fingerprint; write all 40 hex digits"));
	conf_report_free(&rep);
}

static void
t_fpr_syntax(void **st)
{
	(void)st;
	assert_true(conf_fpr_valid(TEST_FPR_A));
	assert_true(conf_fpr_valid("abcdef0123456789abcdef0123456789abcdef01"));
	assert_false(conf_fpr_valid("abcdef0123456789abcdef0123456789abcdef0"));
	assert_false(conf_fpr_valid("abcdef0123456789abcdef0123456789abcdef012"));
	assert_false(conf_fpr_valid("gbcdef0123456789abcdef0123456789abcdef01"));
	assert_false(conf_fpr_valid(""));
}

static void
t_address_in_two_roles(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Clash\" {\n  address = \"announce@lists.example.org\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n"
	    "  role_attested = \"x\"\n}\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, "announce@lists.example.org is a public "
	    "list and also a member address"));
	conf_report_free(&rep);
}

static void
t_list_address_is_member(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Loop\" {\n  address = \"Predisclosure@lists.example.org\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n"
	    "  role_attested = \"x\"\n}\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, "is a member address and also the list address"));
	conf_report_free(&rep);
}

static void
t_unknown_key(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with("# a comment\nmax_embargoo = \"3d\"", &rep);

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, ":5: no such option 'max_embargoo'"));
	conf_report_free(&rep);
}

static void
t_bad_regex_and_duration(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "advisory_id = { \"XSA-[0-9\" }\nmax_embargo = \"three weeks\"\n"
	    "on_error = maybe\naudit_passes = some\nrelease_alarm = \"0\"\n",
	    &rep);

	(void)st;
	assert_null(cfg);
	assert_int_equal(rep.errors, 5);
	assert_true(test_report_has(&rep, ":4: advisory_id \"XSA-[0-9\" is not a valid"));
	assert_true(test_report_has(&rep, ":5: max_embargo = \"three weeks\""));
	assert_true(test_report_has(&rep, ":6: on_error = maybe is unknown"));
	assert_true(test_report_has(&rep, ":7: audit_passes = some is unknown"));
	assert_true(test_report_has(&rep, ":8: release_alarm = \"0\" is not a "
	    "duration above 0"));
	conf_report_free(&rep);
}

/* Patterns that would make regcomp() eat memory (found by fuzz_conf). */
static void
t_costly_regex(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "advisory_id = { \"XSA-[0-9]+++++++++\", \"(a{100}){100}\", "
	    "\"CVE-[0-9]{4}-[0-9]{4,}\", \"[+*]+\" }\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_int_equal(rep.errors, 2);
	assert_true(test_report_has(&rep, "\"XSA-[0-9]+++++++++\" stacks one quantifier on another"));
	assert_true(test_report_has(&rep, "\"(a{100}){100}\" has a repeat count over 16"));
	conf_report_free(&rep);
}

static void
t_every_problem_listed(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"P1\" {\n  address = \"jdoe@a.example\"\n  key = \"x\"\n}\n"
	    "member \"P2\" {\n  address = \"bob@b.example\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n}\n", &rep);

	(void)st;
	assert_null(cfg);
	assert_int_equal(rep.errors, 3);
	conf_report_free(&rep);
}

static void
t_roles_lookup(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with("", &rep);

	(void)st;
	assert_non_null(cfg);
	assert_int_equal(conf_addr_role(cfg, "<predisclosure@LISTS.example.org>"), CONF_ROLE_LIST);
	assert_int_equal(conf_addr_role(cfg, "security@example.org"), CONF_ROLE_TEAM);
	assert_int_equal(conf_addr_role(cfg, "secalert@linux.example"), CONF_ROLE_MEMBER);
	assert_int_equal(conf_addr_role(cfg, "announce@lists.example.org"), CONF_ROLE_PUBLIC);
	assert_int_equal(conf_addr_role(cfg, "someone@outsider.example"), CONF_ROLE_NONE);
	assert_true(conf_is_team_key(cfg, "1111111111111111111111111111111111111111"));
	assert_false(conf_is_team_key(cfg, TEST_FPR_A));
	conf_free(cfg);
	conf_report_free(&rep);
}

/*
 * Participants (a person's address is allowed) and the discussion list:
 * their roles, the lookups, and the rules (one role per address, a key of
 * the discussion list's own, fingerprints checked)
 */
static void
t_participants_and_discussion(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "participant \"Discoverer of XSA-400\" {\n"
	    "  address = \"A.Reporter@University.example\"\n"
	    "  key = \"cccccccccccccccccccccccccccccccccccccccc\"\n}\n"
	    "discussion {\n  address = \"discuss@lists.example.org\"\n"
	    "  key = \"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE\"\n}\n", &rep);
	const struct conf_member *p;

	(void)st;
	assert_non_null(cfg);
	assert_int_equal(conf_addr_role(cfg, "<a.reporter@university.example>"),
	    CONF_ROLE_PARTICIPANT);
	assert_int_equal(conf_addr_role(cfg, "discuss@lists.example.org"),
	    CONF_ROLE_DISCUSSION);
	p = conf_participant_by_name(cfg, "Discoverer of XSA-400");
	assert_non_null(p);
	assert_string_equal(p->key, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC");
	assert_ptr_equal(conf_participant_by_addr(cfg, "A.REPORTER@university.example"), p);
	assert_ptr_equal(conf_member_by_key(cfg, TEST_FPR_B),
	    conf_member_by_addr(cfg, "secalert@linux.example"));
	assert_null(conf_member_by_key(cfg, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"));
	conf_free(cfg);
	conf_report_free(&rep);

	cfg = test_conf_with(
	    "participant \"Clash\" {\n  address = \"security@cloud.example\"\n"
	    "  key = \"nothex\"\n}\n"
	    "discussion {\n  address = \"discuss@lists.example.org\"\n"
	    "  key = \"" TEST_FPR_LIST "\"\n}\n", &rep);
	assert_null(cfg);
	assert_true(test_report_has(&rep, "security@cloud.example is a "
	    "participant address and also a member address"));
	assert_true(test_report_has(&rep, "participant \"Clash\": key \"NOTHEX\" "
	    "is not a fingerprint"));
	assert_true(test_report_has(&rep, "discussion: key " TEST_FPR_LIST
	    " is the list key"));
	conf_report_free(&rep);
}

static void
t_release_hooks(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "release_hook \"publish-fix\" {\n"
	    "  command = { \"/bin/true\", \"/srv/git/xen.git\", \"public\" }\n"
	    "  timeout = \"90s\"\n}\n"
	    "release_hook \"publish-page\" {\n"
	    "  command = { \"/bin/echo\" }\n}\n", &rep);

	(void)st;
	assert_non_null(cfg);
	assert_int_equal(cfg->n_hooks, 2);
	assert_string_equal(cfg->hooks[0].name, "publish-fix");
	assert_int_equal(cfg->hooks[0].argv.n, 3);
	assert_string_equal(cfg->hooks[0].argv.v[2], "public");
	assert_int_equal(cfg->hooks[0].timeout, 90);
	assert_int_equal(cfg->hooks[1].timeout, 120);	/* the default */
	conf_free(cfg);
	conf_report_free(&rep);

	cfg = test_conf_with(
	    "release_hook \"relative\" {\n  command = { \"publish-fix\" }\n}\n"
	    "release_hook \"missing\" {\n  command = { \"/nonexistent/hook\" }\n}\n"
	    "release_hook \"empty\" {\n  timeout = \"forever\"\n}\n", &rep);
	assert_null(cfg);
	assert_true(test_report_has(&rep, "release_hook \"relative\": command "
	    "\"publish-fix\" is not an absolute path"));
	assert_true(test_report_has(&rep, "release_hook \"missing\": "
	    "/nonexistent/hook cannot be run"));
	assert_true(test_report_has(&rep, "release_hook \"empty\": no command"));
	assert_true(test_report_has(&rep, "release_hook \"empty\": timeout "
	    "\"forever\" is not a duration"));
	conf_report_free(&rep);
}

static void
t_missing_file(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = NULL;

	(void)st;
	assert_int_equal(conf_load("/nonexistent/em.conf", &cfg, &rep), EM_ECONFIG);
	assert_true(test_report_has(&rep, "cannot read the file"));
	conf_report_free(&rep);
}

/* Every key of the schema is documented in embargo-milter.conf(5). */
static void
t_every_key_documented(void **st)
{
	FILE *fp = fopen("man/embargo-milter.conf.5", "r");
	struct buf man;
	char chunk[4096];
	size_t n;

	(void)st;
	assert_non_null(fp);
	buf_init(&man);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&man, chunk, n);
	fclose(fp);
	for (size_t i = 0; conf_key_names[i] != NULL; i++) {
		char *needle = xasprintf(".B %s\n", conf_key_names[i]);

		if (strstr(man.data, needle) == NULL)
			fail_msg("key %s is not documented in "
			    "man/embargo-milter.conf.5", conf_key_names[i]);
		free(needle);
	}
	buf_free(&man);
}

#define TEST_CERT_A \
	"53:F4:80:92:10:88:40:DE:33:58:2D:BA:60:94:5A:3B:" \
	"0F:CB:42:74:7D:EC:26:78:11:0B:4F:40:C4:8C:BE:9D"
#define TEST_CERT_LIST \
	"1111111111111111111111111111111111111111111111111111111111111111"

/* smime_conf - the standard config with a certificate in the list block
 * (list_cert, or none), extra before the members */

static struct config *
smime_conf(const char *list_cert, const char *extra, struct conf_report *rep)
{
	char *text = xasprintf(TEST_CONF_FMT, extra), *at, *with;
	const char *key = "  key = \"" TEST_FPR_LIST "\"\n";
	struct config *cfg;

	at = strstr(text, key) + strlen(key);
	with = xasprintf("%.*s%s%s%s%s", (int)(at - text), text,
	    list_cert ? "  certificate = \"" : "", list_cert ? list_cert : "",
	    list_cert ? "\"\n" : "", at);
	cfg = test_conf_load(with, rep);
	free(with);
	free(text);
	return cfg;
}

/* A member who reads S/MIME pins its certificate's SHA-256, colons
 * allowed; the list then needs a certificate of its own; a pin is a key
 * or a certificate, never both, and a certificate is 64 hex digits. */
static void
t_smime_member(void **st)
{
	struct conf_report rep = { 0 };
	const char *m = "member \"Vendor\" {\n  address = \"psirt@vendor.example\"\n"
	    "  certificate = \"" TEST_CERT_A "\"\n}\n";
	struct config *cfg = smime_conf(TEST_CERT_LIST, m, &rep);
	const struct conf_member *v;

	(void)st;
	assert_non_null(cfg);
	assert_non_null(v = conf_member_by_addr(cfg, "psirt@vendor.example"));
	assert_true(v->smime);
	assert_string_equal(v->key, "53F48092108840DE33582DBA60945A3B"
	    "0FCB42747DEC2678110B4F40C48CBE9D");
	assert_int_equal(v->key_line, 6);
	assert_string_equal(cfg->list_cert, TEST_CERT_LIST);
	assert_true(conf_has_smime(cfg));
	conf_free(cfg);
	conf_report_free(&rep);

	memset(&rep, 0, sizeof(rep));
	assert_null(smime_conf(NULL, m, &rep));
	assert_true(test_report_has(&rep, "list: no certificate while a member "
	    "or participant reads S/MIME"));
	conf_report_free(&rep);

	memset(&rep, 0, sizeof(rep));
	assert_null(smime_conf(TEST_CERT_LIST, "member \"Both\" {\n  address = "
	    "\"psirt@both.example\"\n  key = \"" TEST_FPR_B "\"\n"
	    "  certificate = \"" TEST_CERT_A "\"\n}\n", &rep));
	assert_true(test_report_has(&rep, "member \"Both\": both a key and a "
	    "certificate"));
	conf_report_free(&rep);

	memset(&rep, 0, sizeof(rep));
	assert_null(smime_conf(TEST_CERT_LIST, "member \"Short\" {\n  address = "
	    "\"psirt@short.example\"\n  certificate = \"" TEST_FPR_B "\"\n}\n",
	    &rep));
	assert_true(test_report_has(&rep, ":6: member \"Short\": certificate \""
	    TEST_FPR_B "\" is not a SHA-256 fingerprint; write its 64 hex "
	    "digits"));
	conf_report_free(&rep);

}

/* A 64-digit fingerprint pinned as a key: a v5 or v6 key, refused with
 * the cure. */
static void
t_v5_fingerprint(void **st)
{
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(
	    "member \"Five\" {\n  address = \"security@five.example\"\n"
	    "  key = \"3E302221BAB8B48B0D428802ABEF2845774362DD4DDAF001CA40FFF7692C0812\"\n}\n",
	    &rep);

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, "has 64 hex digits: the fingerprint of a "
	    "v5 (LibrePGP) or v6 (RFC 9580) key"));
	conf_report_free(&rep);
}

/* A member who asks for the CSAF document needs the csaf section, whole. */
static void
t_csaf_member(void **st)
{
	static const char member[] = "member \"Vendor\" {\n"
	    "  address = \"security@vendor.example\"\n"
	    "  key = \"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n  csaf = true\n}\n";
	struct conf_report rep = { 0 };
	struct config *cfg = test_conf_with(member, &rep);
	char *whole;

	(void)st;
	assert_null(cfg);
	assert_true(test_report_has(&rep, "member \"Vendor\": csaf = true but "
	    "there is no csaf section"));
	conf_report_free(&rep);
	memset(&rep, 0, sizeof(rep));
	whole = xasprintf("%scsaf {\n  publisher = \"Xen Project Security Team\"\n"
	    "  namespace = \"xenproject.org\"\n  product = \"Xen\"\n}\n", member);
	cfg = test_conf_with(whole, &rep);
	assert_null(cfg);
	assert_true(test_report_has(&rep, "csaf: no url;"));
	assert_true(test_report_has(&rep, "namespace \"xenproject.org\" is not a URL"));
	conf_report_free(&rep);
	free(whole);
	memset(&rep, 0, sizeof(rep));
	whole = xasprintf("%scsaf {\n  publisher = \"Xen Project Security Team\"\n"
	    "  namespace = \"https://xenproject.org\"\n  product = \"Xen\"\n"
	    "  url = \"https://xenbits.xen.org/xsa/advisory-%%n.html\"\n}\n", member);
	cfg = test_conf_with(whole, &rep);
	assert_non_null(cfg);
	for (size_t i = 0; i < cfg->n_members; i++)
		assert_int_equal(cfg->members[i].csaf,
		    strcmp(cfg->members[i].name, "Vendor") == 0);
	assert_non_null(conf_member_by_addr(cfg, "security@vendor.example"));
	assert_string_equal(cfg->csaf_product, "Xen");
	conf_free(cfg);
	conf_report_free(&rep);
	free(whole);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_example_valid),
		cmocka_unit_test(t_person_refused_with_line),
		cmocka_unit_test(t_role_forms),
		cmocka_unit_test(t_role_attested_allows),
		cmocka_unit_test(t_bad_fingerprint),
		cmocka_unit_test(t_fpr_syntax),
		cmocka_unit_test(t_address_in_two_roles),
		cmocka_unit_test(t_list_address_is_member),
		cmocka_unit_test(t_unknown_key),
		cmocka_unit_test(t_bad_regex_and_duration),
		cmocka_unit_test(t_costly_regex),
		cmocka_unit_test(t_every_problem_listed),
		cmocka_unit_test(t_roles_lookup),
		cmocka_unit_test(t_participants_and_discussion),
		cmocka_unit_test(t_release_hooks),
		cmocka_unit_test(t_smime_member),
		cmocka_unit_test(t_csaf_member),
		cmocka_unit_test(t_v5_fingerprint),
		cmocka_unit_test(t_missing_file),
		cmocka_unit_test(t_every_key_documented),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
