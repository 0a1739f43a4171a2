/*
 * test_verdict - milter/verdict.c: a decision mapped to the MTA's answer
 * and the log line.  A registry fault (SPEC 7) is answered 451 4.3.0 with
 * a general reply for the sender, and logged naming the database, the
 * record and the cure: the reason policy_decide() wrote is never dropped.
 * libmilter is not linked: smfi_setreply() is a stand-in that keeps the
 * reply, and the log (stderr, as with -f) is read back from a file.
 */
#include "testutil.h"
#include "../../milter/milter.h"
#include "../../util/log.h"

#define NOW	((time_t)1795000000)	/* 2026-11-18 */
/* What store/store.c says of a record of another layout. */
#define LAYOUT_FAULT "state store: a record in database 'adv' has 184 " \
	"bytes and layout version 99, where this build reads 184 bytes of " \
	"version 1: the state in state_dir was written by another version of " \
	"embargo-milter (an older layout is migrated when the daemon starts: " \
	"start it once); else run that version, or restore state_dir from " \
	"its backup"

static struct config *cfg;
static char set_rcode[8], set_xcode[16], set_text[600];
static int n_set;

/* smfi_setreply - the stand-in: the reply kept */
int
smfi_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *message)
{
	(void)ctx;
	(void)snprintf(set_rcode, sizeof(set_rcode), "%s", rcode);
	(void)snprintf(set_xcode, sizeof(set_xcode), "%s", xcode);
	(void)snprintf(set_text, sizeof(set_text), "%s", message);
	n_set++;
	return MI_SUCCESS;
}

static int
setup(void **st)
{
	struct conf_report rep = { 0 };

	(void)st;
	cfg = test_conf_with("", &rep);
	conf_report_free(&rep);
	log_init("test_verdict", true);
	return cfg == NULL;
}

static int
teardown(void **st)
{
	(void)st;
	conf_free(cfg);
	return 0;
}

/* The registry of another layout: every lookup fails as the store does. */
static int
bad_lookup(void *ctx, const char *id, const struct policy_advisory **out,
    struct em_err *err)
{
	(void)ctx;
	(void)id;
	*out = NULL;
	return em_fail(err, EM_ESTORE, "%s", LAYOUT_FAULT);
}

static int
no_participant(void *ctx, const char *id, const char *name, bool *yes,
    struct em_err *err)
{
	(void)ctx;
	(void)id;
	(void)name;
	(void)err;
	*yes = false;
	return EM_OK;
}

static const struct policy_view faulty = { .lookup = bad_lookup,
    .has_participant = no_participant };

/* applied - verdict_apply() on d, its log lines into log (the caller frees) */
static sfsistat
applied(const struct policy_decision *d, char **log)
{
	char path[] = "/tmp/em-verdict-XXXXXX";
	struct msg_ctx m;
	struct buf b;
	sfsistat r;
	int fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.sender = (char *)"security@example.org";
	(void)snprintf(m.qid, sizeof(m.qid), "4F00TESTQ");
	n_set = 0;
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	r = verdict_apply(NULL, &m, d);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	test_read_file(path, &b);
	(void)unlink(path);
	buf_append(&b, "", 1);
	*log = b.data;
	return r;
}

/* count - the lines of log holding needle */
static int
count(const char *log, const char *needle)
{
	int n = 0;

	for (const char *p = log; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);

		n += strstr(line, needle) != NULL;
		free(line);
		p += len + (nl != NULL);
	}
	return n;
}

/*
 * The team's next revision without its banner, its advisory's record of
 * another layout: policy_decide() defers it; the MTA gets 451 4.3.0 and
 * the general reply, and one log line says which database and record
 * failed and what to do, beside that reply.
 */
static void
t_registry_fault_logged(void **st)
{
	const char *to[] = { "predisclosure@lists.example.org" };
	struct policy_envelope env = { "security@example.org", to, 1 };
	struct policy_decision d;
	struct facts f;
	char *log;
	int n[5];

	(void)st;
	facts_init(&f);
	free(f.subject);
	f.subject = xstrdup("Xen Security Advisory XSA-900 v2");
	buf_appends(&f.text, "Xen Security Advisory XSA-900\nversion 2\n\n"
	    "Revised text.\n");
	(void)snprintf(f.signer, sizeof(f.signer), "%s", TEST_FPR_TEAM);
	policy_classify(cfg, &f);
	policy_decide(cfg, &f, &env, &faulty, NOW, &d);
	facts_free(&f);
	assert_int_equal(d.verdict, POLICY_TEMPFAIL);

	assert_int_equal(applied(&d, &log), SMFIS_TEMPFAIL);
	assert_int_equal(n_set, 1);
	assert_string_equal(set_rcode, "451");
	assert_string_equal(set_xcode, "4.3.0");
	assert_string_equal(set_text, d.reply);
	/* The sender is told nothing of the state's inside. */
	assert_null(strstr(set_text, "database"));
	assert_null(strstr(set_text, "state_dir"));
	/* One line: the reply, the database and record, the cure. */
	n[0] = count(log, "451 4.3.0");
	n[1] = count(log, "4F00TESTQ");
	n[2] = count(log, d.reply);
	n[3] = count(log, "database 'adv' has 184 bytes and layout version 99");
	n[4] = count(log, "restore state_dir from its backup");
	free(log);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		assert_int_equal(n[i], 1);
}

/* A message that cannot be read now (policy_unreadable: the reason is the
 * reply): one line, the reason not said twice. */
static void
t_unreadable_once(void **st)
{
	struct policy_decision d;
	char *log;
	int n[2];

	(void)st;
	policy_unreadable(EM_EKEY, "a part encrypted to the list key cannot "
	    "be decrypted now: check that gnupg_home is readable", &d);
	assert_int_equal(d.verdict, POLICY_TEMPFAIL);
	assert_int_equal(applied(&d, &log), SMFIS_TEMPFAIL);
	assert_string_equal(set_rcode, "451");
	assert_string_equal(set_text, d.reply);
	n[0] = count(log, "451 4.3.0");
	n[1] = count(log, "gnupg_home is readable (");
	free(log);
	assert_int_equal(n[0], 1);
	assert_int_equal(n[1], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_registry_fault_logged),
		cmocka_unit_test(t_unreadable_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
