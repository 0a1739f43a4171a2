/*
 * test_cli - embargoctl's decisions without a daemon: the command table's
 * answers to arguments it cannot take (exit 2 and the forms that cure it,
 * before any config is read), the time arguments, the JSON shape, the
 * outbox listing's filter, what "outbox retry" puts back (from the typed
 * kind and cause, never last_error's text), and the changes of "hooks",
 * "held" and "embargo", each made through the ledger on a private store
 * and read back from it
 */
#include <fcntl.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "testutil.h"
#include "../../cli/cli.h"
#include "../../cli/backup.h"
#include "../../keys/keys.h"
#include "../../store/view.h"
#include "../../util/emtime.h"

#define NO_CONF	"/nonexistent-em-test/embargo-milter.conf"
#define T0	((time_t)1796126400)	/* 2026-12-01 12:00 UTC */
#define T2099	((time_t)4070908800)	/* 2099-01-01 00:00 UTC */

static char dir[64];
static int saved_out = -1, saved_err = -1;	/* while output is taken */
static struct store *st;
static struct config *cfg;
static const struct opts text_o = { NO_CONF, false }, json_o = { NO_CONF,
    true };

static int
setup(void **state)
{
	struct conf_report rep = { 0 };
	struct em_err err;
	char *text;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-cli-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	/* The standard members, with the state here (no daemon's pid file:
	 * nothing is woken). */
	text = xasprintf(TEST_CONF_FMT, "");
	cfg = test_conf_load(text, &rep);
	free(text);
	conf_report_free(&rep);
	if (cfg == NULL)
		return 1;
	free(cfg->state_dir);
	cfg->state_dir = xstrdup(dir);
	return store_open(dir, (size_t)1 << 30, &st, &err);
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	if (saved_out >= 0) {		/* a test failed with its output taken */
		fflush(stdout);
		fflush(stderr);
		(void)dup2(saved_out, 1);
		(void)dup2(saved_err, 2);
		close(saved_out);
		close(saved_err);
		saved_out = saved_err = -1;
		print_message("%s/out and %s/err held the output\n", dir, dir);
	}
	store_close(st);
	conf_free(cfg);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return 0;
}

/* ---- Capturing what a command prints ---- */

/* cap_to - fd into a fresh file of the test's directory */

static int
cap_to(int fd, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int f = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600), was = dup(fd);

	assert_true(f >= 0 && was >= 0);
	assert_true(dup2(f, fd) >= 0);
	close(f);
	free(path);
	return was;
}

/* cap_begin - stdout and stderr into files until cap_end() */

static void
cap_begin(void)
{
	fflush(stdout);
	fflush(stderr);
	saved_out = cap_to(1, "out");
	saved_err = cap_to(2, "err");
}

/* cap_text - what went into one file */

static char *
cap_text(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct buf b;

	test_read_file(path, &b);
	buf_append(&b, "", 1);
	free(path);
	return b.data;
}

/* cap_end - stdout and stderr back; what each got (caller frees) */

static void
cap_end(char **out, char **err)
{
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_out, 1) >= 0 && dup2(saved_err, 2) >= 0);
	close(saved_out);
	close(saved_err);
	saved_out = saved_err = -1;
	*out = cap_text("out");
	*err = cap_text("err");
}

/* run - embargoctl with these arguments (NULL-ended); its exit status */

static int
run(char **out, char **err, ...)
{
	char *argv[16] = { "embargoctl", "-c", NO_CONF };
	int argc = 3, rc;
	va_list ap;

	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	optind = 0;
	cap_begin();
	rc = embargoctl_run(argc, argv);
	cap_end(out, err);
	return rc;
}

/* ---- The command table ---- */

/*
 * Each wrong form: exit 2 and a line naming the forms that work, before
 * the config is read (the config named does not exist: a command that
 * got as far would say so).
 */
static void
t_usage_errors(void **s)
{
	static const char *const cases[][12] = {
		{ "usage: embargoctl [-c FILE]", NULL },
		{ "unknown command \"frobnicate\"; see embargoctl --help",
		    "frobnicate", NULL },
		{ "usage: embargoctl [-c FILE]", "--bogus", "check", NULL },
		{ "embargoctl advisory ID [--report", "advisory", NULL },
		{ "embargoctl advisory ID [--report", "advisory", "XSA-1",
		    "--html", NULL },
		{ "advisory ID participant add|drop NAME", "advisory", "XSA-1",
		    "participant", "invite", "Cloud", NULL },
		{ "embargoctl outbox [retry [ID]]", "outbox", "flush", NULL },
		{ "x is not an outbox entry id (the ID column",
		    "outbox", "retry", "x", NULL },
		{ "0 is not an outbox entry id", "outbox", "retry", "0", NULL },
		{ "embargo ID --until WHEN | --now", "embargo", NULL },
		{ "embargo ID --until WHEN | --now", "embargo", "XSA-1", NULL },
		{ "embargo ID --until WHEN | --now", "embargo", "XSA-1", "--now",
		    "--until", "2026-12-01 12:00 UTC", NULL },
		{ "embargo ID --until WHEN | --now", "embargo", "XSA-1",
		    "--later", NULL },
		{ "write YYYY-MM-DD HH:MM UTC", "embargo", "XSA-1", "--until",
		    "2026-12-01 12:00 UTC or so", NULL },
		{ "held [show H | release H | drop H", "held", "show", NULL },
		{ "H the HOLD column of embargoctl held", "held", "show", "x",
		    NULL },
		{ "held drop H --why TEXT", "held", "drop", "3", NULL },
		{ "held drop H --why TEXT", "held", "drop", "3", "--why", "",
		    NULL },
		{ "hooks [retry ID | drop ID]", "hooks", "retry", NULL },
		{ "hooks [retry ID | drop ID]", "hooks", "rerun", "3", NULL },
		{ "embargoctl members [--public]", "members", "--all", NULL },
		{ "member vet --name ORG --address ADDR (--key FILE | "
		    "--certificate FILE)", "member", "vet", "--name", "Org", NULL },
		{ "member vet --name ORG --address ADDR (--key FILE | "
		    "--certificate FILE)", "member", "vet", "--name", "Org",
		    "--address", "security@org.example", "--key", "k.asc",
		    "--certificate", "c.pem", NULL },
		{ "embargoctl member vet --name ORG", "member", NULL },
		{ "dry-run needs --from ADDR and at least one --to ADDR",
		    "dry-run", "--from", "a@example.org", NULL },
		{ "embargoctl dry-run --from A --to B", "dry-run", "--frm", "a",
		    NULL },
		{ "public add FILE... | public list | public drop NAME",
		    "public", NULL },
		{ "timeline --reported WHEN", "timeline", NULL },
		{ "embargoctl upcoming [--ics]", "upcoming", "--ical", NULL },
		{ "embargoctl report --html DIR", "report", "--html", NULL },
		{ "embargoctl trace [FILE]", "trace", "a", "b", NULL },
		{ "embargoctl audit [--since WHEN]", "audit", "--tip", "1:ab",
		    NULL },
		{ "embargoctl audit [--since WHEN]", "audit", "everything", NULL },
		{ "write YYYY-MM-DD HH:MM UTC", "audit", "--since", "yesterday",
		    NULL },
	};

	(void)s;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *c = cases[i];
		char *out, *err;
		int rc = run(&out, &err, c[1], c[2], c[3], c[4], c[5], c[6],
		    c[7], c[8], c[9], c[10], c[11], NULL);

		if (strstr(err, c[0]) == NULL || rc != EXIT_USAGE)
			print_message("case %zu: exit %d, stderr: %s\n", i, rc,
			    err);
		assert_int_equal(rc, EXIT_USAGE);
		assert_non_null(strstr(err, c[0]));
		assert_null(strstr(err, NO_CONF));
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

/* A right form gets past the table to the config (which says why it
 * cannot be read); help is exit 0 on stdout; --json after the command
 * makes a finding a JSON object on stdout too. */
static void
t_table_forms(void **s)
{
	char *out, *err;
	JsonParser *p = json_parser_new();
	JsonObject *obj;

	(void)s;
	assert_int_equal(run(&out, &err, "outbox", "retry", "7", NULL),
	    EXIT_USAGE);
	assert_non_null(strstr(err, NO_CONF));
	free(out);
	free(err);
	assert_int_equal(run(&out, &err, "help", NULL), EXIT_OK);
	assert_non_null(strstr(out, "usage: embargoctl [-c FILE]"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	assert_int_equal(run(&out, &err, "outbox", "retry", "x", "--json",
	    NULL), EXIT_USAGE);
	assert_true(json_parser_load_from_data(p, out, -1, NULL));
	obj = json_node_get_object(json_parser_get_root(p));
	assert_false(json_object_get_boolean_member(obj, "ok"));
	assert_non_null(strstr(json_object_get_string_member(obj, "error"),
	    "x is not an outbox entry id"));
	assert_non_null(strstr(err, "x is not an outbox entry id"));
	g_object_unref(p);
	free(out);
	free(err);
}

/* A time argument is one of the three forms, whole; anything more or
 * less is refused with the forms named. */
static void
t_time_arg(void **s)
{
	static const char *const bad[] = { "2026-12-01 12:00 UTC tomorrow",
	    "2026-12-01", "2026-12-01 12:00", "next tuesday", "",
	    "2027-02-29 12:00 UTC" };
	time_t t = 0;
	char *out, *err;

	(void)s;
	assert_int_equal(cli_time_arg("2026-12-01 12:00 UTC", &t), 0);
	assert_true(t == T0);
	assert_int_equal(cli_time_arg("2026-12-01T12:00Z", &t), 0);
	assert_true(t == T0);
	assert_int_equal(cli_time_arg("2026-12-01T13:00+01:00", &t), 0);
	assert_true(t == T0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cap_begin();
		assert_int_equal(cli_time_arg(bad[i], &t), -1);
		cap_end(&out, &err);
		assert_non_null(strstr(err, "write YYYY-MM-DD HH:MM UTC, "
		    "YYYY-MM-DDTHH:MMZ or with a numeric offset"));
		free(out);
		free(err);
	}
}

/* ---- JSON ---- */

/* parse - one line of JSON output, an object */

static JsonObject *
parse(JsonParser *p, const char *line, size_t n)
{
	JsonNode *root;

	assert_true(json_parser_load_from_data(p, line, (gssize)n, NULL));
	root = json_parser_get_root(p);
	assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_node_get_object(root);
}

/* One object per line: "" and a time of 0 are null, a time is RFC 3339
 * UTC, strings are escaped; a finding and a result have their shapes. */
static void
t_json_shape(void **s)
{
	JsonParser *p = json_parser_new();
	JsonObject *o, *item;
	struct cli_json *j;
	char *out, *err;

	(void)s;
	cap_begin();
	j = cj_new();
	cj_str(j, "s", "a \"quoted\"\nline");
	cj_str(j, "empty", "");
	cj_str(j, "none", NULL);
	cj_int(j, "i", -5);
	cj_bool(j, "b", true);
	cj_time(j, "t", T0);
	cj_time(j, "t0", 0);
	cj_array(j, "a");
	cj_item(j);
	cj_int(j, "k", 1);
	cj_item_end(j);
	cj_array_end(j);
	cj_print(j);
	cap_end(&out, &err);
	assert_non_null(strchr(out, '\n'));
	assert_string_equal(strchr(out, '\n'), "\n");	/* one line */
	o = parse(p, out, strlen(out));
	assert_int_equal(json_object_get_size(o), 8);
	assert_string_equal(json_object_get_string_member(o, "s"),
	    "a \"quoted\"\nline");
	assert_true(json_object_get_null_member(o, "empty"));
	assert_true(json_object_get_null_member(o, "none"));
	assert_int_equal(json_object_get_int_member(o, "i"), -5);
	assert_true(json_object_get_boolean_member(o, "b"));
	assert_string_equal(json_object_get_string_member(o, "t"),
	    "2026-12-01T12:00:00Z");
	assert_true(json_object_get_null_member(o, "t0"));
	item = json_array_get_object_element(json_object_get_array_member(o,
	    "a"), 0);
	assert_int_equal(json_object_get_int_member(item, "k"), 1);
	free(out);
	free(err);
	cap_begin();
	cli_fail(&json_o, "no hold %d", 7);
	cli_fail(&text_o, "no hold %d", 8);
	cap_end(&out, &err);
	assert_string_equal(err, "embargoctl: no hold 7\nembargoctl: no hold 8\n");
	o = parse(p, out, strlen(out));
	assert_int_equal(json_object_get_size(o), 2);
	assert_false(json_object_get_boolean_member(o, "ok"));
	assert_string_equal(json_object_get_string_member(o, "error"),
	    "no hold 7");
	free(out);
	free(err);
	cap_begin();
	cli_say(&json_o, "%u due", 3u);
	cap_end(&out, &err);
	o = parse(p, out, strlen(out));
	assert_true(json_object_get_boolean_member(o, "ok"));
	assert_string_equal(json_object_get_string_member(o, "message"),
	    "3 due");
	assert_string_equal(err, "");
	free(out);
	free(err);
	g_object_unref(p);
}

/* ---- The outbox ---- */

/* ob_add - a new entry of kind to rcpt, moved by the events given (-1
 * ends them; the last one's reason why), as stored */

static struct store_outbox
ob_add(int kind, const char *rcpt, const char *key, uint64_t hold,
    const char *why, ...)
{
	struct ledger_ob_spec sp = { kind, "XSA-7", 2, "Example Cloud", rcpt,
	    key, kind == STORE_OB_RELEASE ? "security@example.org" : NULL, 0,
	    hold, hold != 0, NULL, 1000, 0 };
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	va_list ap;
	int ev;

	if (kind == STORE_OB_HOOK)
		sp.member = "publish-page";
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(ledger_ob_new(t, cfg, &sp, &ob, &err), EM_OK);
	va_start(ap, why);
	while ((ev = va_arg(ap, int)) >= 0)
		assert_int_equal(ledger_ob_step(&ob, ev, 0, why, &err), EM_OK);
	va_end(ap);
	assert_int_equal(ledger_ob_put(t, &ob, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	return ob;
}

/* ob_now - an entry as the store has it now */

static struct store_outbox
ob_now(uint64_t id)
{
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_get(t, id, &ob, &err), EM_OK);
	store_abort(t);
	return ob;
}

/* ob_same - the entry is in the store as it was */

static void
ob_same(const struct store_outbox *was)
{
	struct store_outbox ob = ob_now(was->id);

	assert_int_equal(ob.state, was->state);
	assert_int_equal(ob.cause, was->cause);
	assert_true(ob.next_try == was->next_try);
	assert_string_equal(ob.key, was->key);
	assert_string_equal(ob.last_error, was->last_error);
	assert_int_equal(ob.attempts, was->attempts);
}

struct audit_find { const char *text; bool found; };

/* audit_cb - one audit record: does it carry the text */

static int
audit_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct audit_find *f = ctx;

	(void)seq;
	if (memmem(json, n, f->text, strlen(f->text)) != NULL)
		f->found = true;
	return 0;
}

/* audit_has - does an audit record carry this text */

static bool
audit_has(const char *text)
{
	struct audit_find f = { text, false };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_audit_each(t, audit_cb, &f, &err), EM_OK);
	store_abort(t);
	return f.found;
}

#define OLD_KEY	"DEADDEADDEADDEADDEADDEADDEADDEADDEADDEAD"

/*
 * "outbox retry" reads the typed kind and cause: a refusal whose text
 * reads like a cancellation is retried, a cancelled entry whose text
 * reads like a refusal is not; a copy gets its member's key as the config
 * has it now; one for someone no longer a member, a hook run and a sent
 * copy stay as they are; one audit record says how many.
 */
static void
t_outbox_retry(void **s)
{
	struct store_outbox refused, cancelled, gone, hook, sent, notice, nokey,
	    ob;
	char *out, *err;

	(void)s;
	refused = ob_add(STORE_OB_COPY, "security@cloud.example", OLD_KEY, 0,
	    "not sent: hold 3 dropped by alice", LEDGER_OB_REFUSED, -1);
	cancelled = ob_add(STORE_OB_COPY, "secalert@linux.example", OLD_KEY, 0,
	    "550 5.1.1 refused; embargoctl outbox retry", LEDGER_OB_CANCELLED,
	    -1);
	gone = ob_add(STORE_OB_COPY, "former@member.example", OLD_KEY, 0,
	    "key expired", LEDGER_OB_NO_KEY, -1);
	hook = ob_add(STORE_OB_HOOK, "", NULL, 0, "exit 1",
	    LEDGER_OB_RUNNING, LEDGER_OB_REFUSED, -1);
	sent = ob_add(STORE_OB_COPY, "secalert@linux.example", OLD_KEY, 0, "",
	    LEDGER_OB_BUILT, LEDGER_OB_SENT, -1);
	notice = ob_add(STORE_OB_NOTICE, "security@example.org", NULL, 0,
	    "550 no", LEDGER_OB_REFUSED, -1);
	nokey = ob_add(STORE_OB_COPY, "security@cloud.example", OLD_KEY, 0,
	    "key expired", LEDGER_OB_NO_KEY, -1);
	cap_begin();
	assert_int_equal(cli_outbox_retry(&text_o, cfg, st, cancelled.id),
	    EXIT_FINDING);
	cap_end(&out, &err);
	assert_non_null(strstr(err, "no undelivered outbox entry"));
	free(out);
	free(err);
	cap_begin();
	assert_int_equal(cli_outbox_retry(&text_o, cfg, st, 0), EXIT_OK);
	cap_end(&out, &err);
	assert_string_equal(out, "3 outbox entries are due again; the daemon "
	    "sends them within seconds\n");
	free(out);
	free(err);
	ob = ob_now(refused.id);
	assert_int_equal(ob.state, STORE_OB_QUEUED);	/* built again */
	assert_int_equal(ob.cause, STORE_OB_CAUSE_NONE);
	assert_string_equal(ob.last_error, "");
	assert_string_equal(ob.key, TEST_FPR_A);
	ob = ob_now(nokey.id);
	assert_int_equal(ob.state, STORE_OB_QUEUED);
	assert_string_equal(ob.key, TEST_FPR_A);
	ob = ob_now(notice.id);
	assert_int_equal(ob.state, STORE_OB_BUILT);	/* sent again */
	ob_same(&cancelled);
	ob_same(&gone);
	ob_same(&hook);
	ob_same(&sent);
	assert_true(audit_has("\"event\":\"outbox-retry\""));
	assert_true(audit_has("3 entries due again"));
}

/* "outbox" lists what has not left (no hook runs, nothing sent), one
 * JSON object per entry with the same members each time ("hold" when
 * prepared for one); "advisory ID" lists its copies, sent or not. */
static void
t_outbox_list(void **s)
{
	static const char *const members[] = { "id", "kind", "advisory",
	    "revision", "member", "rcpt", "key", "state", "attempts", "sent_at",
	    "message_id", "queue_id", "copy_id", "last_error", "cause" };
	struct store_outbox failed, sent, hook, rel, notice;
	JsonParser *p = json_parser_new();
	char *out, *err, *line, *nl;
	size_t n = 0;

	(void)s;
	failed = ob_add(STORE_OB_COPY, "security@cloud.example", TEST_FPR_A, 0,
	    "550 5.7.1 no", LEDGER_OB_REFUSED, -1);
	sent = ob_add(STORE_OB_COPY, "secalert@linux.example", TEST_FPR_B, 0, "",
	    LEDGER_OB_BUILT, LEDGER_OB_SENT, -1);
	hook = ob_add(STORE_OB_HOOK, "", NULL, 0, "", -1);
	rel = ob_add(STORE_OB_RELEASE, "announce@lists.example.org", NULL, 5, "",
	    -1);
	notice = ob_add(STORE_OB_NOTICE, "security@example.org", NULL, 0, "",
	    -1);
	assert_false(cli_ob_shown(&sent, NULL, false));
	assert_true(cli_ob_shown(&sent, "XSA-7", true));
	assert_false(cli_ob_shown(&sent, "XSA-8", true));
	assert_false(cli_ob_shown(&hook, NULL, true));
	assert_false(cli_ob_shown(&rel, "XSA-7", true));	/* not a copy */
	assert_true(cli_ob_shown(&rel, NULL, false));
	cap_begin();
	assert_int_equal(cli_outbox_list(&json_o, st), EXIT_OK);
	cap_end(&out, &err);
	for (line = out; (nl = strchr(line, '\n')) != NULL; line = nl + 1, n++) {
		JsonObject *o = parse(p, line, (size_t)(nl - line));
		uint64_t id = (uint64_t)json_object_get_int_member(o, "id");
		const struct store_outbox *want = n == 0 ? &failed : n == 1 ?
		    &rel : &notice;

		assert_true(n < 3);
		assert_true(id == want->id);
		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]);
		    i++)
			assert_true(json_object_has_member(o, members[i]));
		assert_int_equal(json_object_get_size(o), 15 + (want->hold ?
		    1 : 0));
		assert_string_equal(json_object_get_string_member(o, "state"),
		    ledger_ob_state_name(want->state));
		assert_string_equal(json_object_get_string_member(o, "kind"),
		    store_ob_kind(want->kind)->word);
		assert_true(json_object_get_null_member(o, "sent_at"));
	}
	assert_int_equal(n, 3);
	assert_null(strstr(out, "publish-page"));
	assert_non_null(strstr(out, "\"last_error\":\"550 5.7.1 no\""));
	assert_non_null(strstr(out, "\"hold\":5"));
	free(out);
	free(err);
	cap_begin();
	assert_int_equal(cli_outbox_list(&text_o, st), EXIT_OK);
	cap_end(&out, &err);
	assert_int_equal(strncmp(out, "ID     KIND", 11), 0);
	for (n = 0, line = out; (line = strchr(line, '\n')) != NULL; line++)
		n++;
	assert_int_equal(n, 4);			/* the heading and three */
	assert_non_null(strstr(out, "550 5.7.1 no"));
	free(out);
	free(err);
	g_object_unref(p);
}

/* ---- Hooks, holds, embargoes ---- */

/* "hooks retry" makes a failed run due with its count started again;
 * "hooks drop" ends a pending one for good, and cannot end it twice;
 * neither touches what is not a hook run. */
static void
t_hooks_change(void **s)
{
	struct store_outbox run, copy, ob;
	char id[24], cid[24], *out, *err;

	(void)s;
	run = ob_add(STORE_OB_HOOK, "", NULL, 0, "exit 1", LEDGER_OB_RUNNING,
	    LEDGER_OB_REFUSED, -1);
	copy = ob_add(STORE_OB_COPY, "security@cloud.example", TEST_FPR_A, 0,
	    "550 no", LEDGER_OB_REFUSED, -1);
	(void)snprintf(id, sizeof(id), "%llu", (unsigned long long)run.id);
	(void)snprintf(cid, sizeof(cid), "%llu", (unsigned long long)copy.id);
	cap_begin();
	assert_int_equal(cli_hooks_change(&text_o, st, true, "abc"), EXIT_USAGE);
	assert_int_equal(cli_hooks_change(&text_o, st, true, cid), EXIT_FINDING);
	assert_int_equal(cli_hooks_change(&text_o, st, false, id), EXIT_FINDING);
	assert_int_equal(cli_hooks_change(&text_o, st, true, id), EXIT_OK);
	cap_end(&out, &err);
	assert_non_null(strstr(err, "abc is not a run id"));
	assert_non_null(strstr(err, "no pending or failed hook run"));
	assert_non_null(strstr(err, "no pending hook run"));
	assert_non_null(strstr(out, "due again"));
	free(out);
	free(err);
	ob_same(&copy);
	ob = ob_now(run.id);
	assert_int_equal(ob.state, STORE_OB_QUEUED);
	assert_int_equal(ob.attempts, 0);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_NONE);
	cap_begin();
	assert_int_equal(cli_hooks_change(&text_o, st, false, id), EXIT_OK);
	assert_int_equal(cli_hooks_change(&text_o, st, false, id), EXIT_FINDING);
	cap_end(&out, &err);
	free(out);
	free(err);
	ob = ob_now(run.id);
	assert_int_equal(ob.state, STORE_OB_FAILED);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_DROPPED);
	assert_true(audit_has("\"event\":\"hook-retry\""));
	assert_true(audit_has("\"event\":\"hook-dropped\""));
}

/* hold_add - a held posting of XSA-7 and one release prepared for it */

static void
hold_add(struct store_hold *h, struct store_outbox *ob)
{
	const char *rcpt[] = { "announce@lists.example.org" };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(ledger_hold_new(t, h, "XSA-7", "security@example.org",
	    rcpt, 1, "Q1", 2000, 1000, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	*ob = ob_add(STORE_OB_RELEASE, rcpt[0], NULL, h->id, "", -1);
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	ob->next_try = 2000;
	assert_int_equal(ledger_ob_put(t, ob, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

/* hold_now - a hold as the store has it now */

static struct store_hold
hold_now(uint64_t id)
{
	struct store_hold h;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_hold_get(t, id, &h, &err), EM_OK);
	store_abort(t);
	return h;
}

/* "held drop": the hold dropped with its reason, what was prepared for
 * it cancelled, audited; only once.  "held release": due now, its
 * prepared release too. */
static void
t_held_change(void **s)
{
	struct store_hold h1, h2, h;
	struct store_outbox r1, r2, ob;
	char *out, *err;

	(void)s;
	hold_add(&h1, &r1);
	hold_add(&h2, &r2);
	cap_begin();
	assert_int_equal(cli_held_change(&text_o, cfg, st, h1.id, "withdrawn"),
	    EXIT_OK);
	assert_int_equal(cli_held_change(&text_o, cfg, st, h1.id, "again"),
	    EXIT_FINDING);
	assert_int_equal(cli_held_change(&text_o, cfg, st, 999, NULL),
	    EXIT_FINDING);
	assert_int_equal(cli_held_change(&text_o, cfg, st, h2.id, NULL),
	    EXIT_OK);
	cap_end(&out, &err);
	assert_non_null(strstr(out, "dropped by"));
	assert_non_null(strstr(out, "released now by"));
	assert_non_null(strstr(err, "is held"));
	free(out);
	free(err);
	h = hold_now(h1.id);
	assert_int_equal(h.state, STORE_HOLD_DROPPED);
	assert_string_equal(h.why, "withdrawn");
	ob = ob_now(r1.id);
	assert_int_equal(ob.state, STORE_OB_FAILED);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_CANCELLED);
	h = hold_now(h2.id);
	assert_int_equal(h.state, STORE_HOLD_HELD);
	assert_true(h.release_now);
	ob = ob_now(r2.id);
	assert_int_equal(ob.state, STORE_OB_BUILT);
	assert_true(ob.next_try > 2000);		/* due now, not at 2000 */
	assert_true(audit_has("\"event\":\"dropped\""));
	assert_true(audit_has("\"event\":\"release-requested\""));
}

/* adv_now - an advisory as the store has it; EM_ENOTFOUND when none */

static int
adv_now(const char *id, struct store_advisory *a)
{
	struct store_txn *t;
	struct em_err err;
	int rc;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	rc = store_adv_get(t, id, a, &err);
	store_abort(t);
	return rc;
}

/* "embargo ID --until WHEN": set, moved (audited as such, the old date
 * named), and a date past makes the advisory public; an id that does not
 * fit is refused and nothing is written. */
static void
t_set_embargo(void **s)
{
	char *out, *err, *longid = xasprintf("XSA-%0100d", 1);
	struct store_advisory a;

	(void)s;
	cap_begin();
	assert_int_equal(cli_set_embargo(&text_o, cfg, st, "XSA-9", T2099, NULL),
	    EXIT_OK);
	assert_int_equal(cli_set_embargo(&text_o, cfg, st, "XSA-9",
	    T2099 + 86400, NULL), EXIT_OK);
	cap_end(&out, &err);
	assert_non_null(strstr(out, "moved from 2099-01-01 00:00:00 UTC -> "
	    "2099-01-02 00:00:00 UTC"));
	free(out);
	free(err);
	assert_int_equal(adv_now("XSA-9", &a), EM_OK);
	assert_true(a.embargo == T2099 + 86400);
	assert_int_equal(a.state, STORE_ADV_EMBARGOED);
	assert_int_equal(strncmp(a.embargo_set_by, "embargoctl by ", 14), 0);
	assert_true(audit_has("\"event\":\"embargo-set\""));
	assert_true(audit_has("\"event\":\"embargo-changed\""));
	cap_begin();
	assert_int_equal(cli_set_embargo(&text_o, cfg, st, "XSA-9", T0 -
	    (time_t)366 * 86400 * 20, NULL), EXIT_OK);
	assert_int_equal(cli_set_embargo(&text_o, cfg, st, longid, T2099, NULL),
	    EXIT_USAGE);
	cap_end(&out, &err);
	assert_non_null(strstr(err, "the advisory id"));
	free(out);
	free(err);
	assert_int_equal(adv_now("XSA-9", &a), EM_OK);
	assert_int_equal(a.state, STORE_ADV_PUBLIC);
	assert_int_equal(adv_now(longid, &a), EM_ENOTFOUND);
	free(longid);
}

/* adv_put - an advisory written as the registry has it */

static void
adv_put(const char *id, int state, time_t embargo)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "%s", id);
	a.state = state;
	a.embargo = embargo;
	a.revision = 1;
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(ledger_adv_put(t, NULL, &a, 1000, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

/* "upcoming" at a given time: what is still under embargo then, as an
 * id and a date and nothing else. */
static void
t_upcoming(void **s)
{
	JsonParser *p = json_parser_new();
	JsonObject *o;
	char *out, *err;

	(void)s;
	adv_put("XSA-1", STORE_ADV_EMBARGOED, T0 + 3600);
	adv_put("XSA-2", STORE_ADV_EMBARGOED, T0);	/* public at T0 */
	adv_put("XSA-3", STORE_ADV_PUBLIC, 0);
	cap_begin();
	assert_int_equal(cli_upcoming_list(&json_o, st, T0), EXIT_OK);
	cap_end(&out, &err);
	assert_non_null(strchr(out, '\n'));
	assert_null(strchr(strchr(out, '\n') + 1, '\n'));	/* one line */
	o = parse(p, out, strlen(out));
	assert_int_equal(json_object_get_size(o), 2);
	assert_string_equal(json_object_get_string_member(o, "id"), "XSA-1");
	assert_string_equal(json_object_get_string_member(o, "public_at"),
	    "2026-12-01T13:00:00Z");
	free(out);
	free(err);
	cap_begin();
	assert_int_equal(cli_upcoming_list(&text_o, st, T0 - 1), EXIT_OK);
	cap_end(&out, &err);
	assert_non_null(strstr(out, "XSA-1"));
	assert_non_null(strstr(out, "XSA-2"));
	assert_null(strstr(out, "XSA-3"));
	free(out);
	free(err);
	g_object_unref(p);
}

/* ---- check: the standard sections that are an advisory's text alone ---- */

/* list_key - a list key made in home (no passphrase), its fingerprint */

static void
list_key(const char *home, char fpr[41])
{
	char *cmd = xasprintf("gpg --homedir %s --batch --quiet --passphrase '' "
	    "--quick-gen-key 'List <predisclosure@lists.example.org>' "
	    "future-default default never 2>/dev/null && gpg --homedir %s "
	    "--with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ "
	    "{ print $10; exit }'", home, home);

	test_fpr(cmd, fpr);
	free(cmd);
}

/* real_text - tests/data/NAME read as the milter reads it */

static void
real_text(const char *name, struct facts *f)
{
	struct policy_limits lim = policy_limits_of(cfg);
	char *path = xasprintf("tests/data/%s", name);
	struct em_err err;
	struct buf raw;

	test_read_file(path, &raw);
	facts_init(f);
	assert_int_equal(policy_read(raw.data, raw.len, &lim, f, &err), EM_OK);
	buf_free(&raw);
	free(path);
}

/*
 * fan_out - what a fan-out keeps of advisory id posted as tests/data/NAME
 * (under embargo until T2099): its record, its secret runs and its post,
 * packed and sealed to the list key fpr, listed as its latest
 */
static void
fan_out(const char *id, const char *name, const char *fpr,
    const unsigned char *key)
{
	const char *fields[STORE_POST_NFIELDS];
	struct buf packed, sealed;
	struct store_txn *t;
	struct strv posts = { NULL, 0 };
	struct em_err err;
	struct facts f;
	uint64_t pid;
	char line[64];

	adv_put(id, STORE_ADV_EMBARGOED, T2099);
	real_text(name, &f);
	for (int i = 0; i < STORE_POST_NFIELDS; i++)
		fields[i] = "";
	fields[STORE_POST_SUBJECT] = f.subject;
	buf_init(&packed);
	buf_init(&sealed);
	store_post_pack(fields, f.forward.data, f.forward.len, &packed);
	assert_int_equal(keys_seal(fpr, packed.data, packed.len, &sealed, &err),
	    EM_OK);
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_print_add_text(t, key, f.text.data, f.text.len,
	    id, &err), EM_OK);
	assert_int_equal(store_next_id(t, &pid, &err), EM_OK);
	assert_int_equal(store_blob_put(t, STORE_BLOB_POST, pid, sealed.data,
	    sealed.len, &err), EM_OK);
	(void)snprintf(line, sizeof(line), "1 %llu", (unsigned long long)pid);
	strv_push(&posts, line);
	assert_int_equal(store_adv_list_put(t, "posts", id, &posts, &err),
	    EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	strv_free(&posts);
	buf_free(&packed);
	buf_free(&sealed);
	facts_free(&f);
}

/* public_add - tests/data/NAME's text loaded as public text */

static void
public_add(const char *name, const unsigned char *key)
{
	struct store_txn *t;
	struct em_err err;
	struct facts f;

	real_text(name, &f);
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_public_add_text(t, key, f.text.data, f.text.len,
	    name, NULL, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	facts_free(&f);
}

/* report_of - what cli_check_thin() says now, one problem a line, each
 * "warning: " or "error: " first (caller frees) */

static char *
report_of(void)
{
	struct conf_report rep = { 0 };
	struct buf b;

	cli_check_thin(cfg, st, T0, &rep);
	buf_init(&b);
	for (size_t i = 0; i < rep.n; i++)
		buf_appendf(&b, "%s: %s\n", rep.v[i].warning ? "warning" :
		    "error", rep.v[i].text);
	buf_append(&b, "", 1);
	conf_report_free(&rep);
	return b.data;
}

/*
 * "check" on a real advisory under embargo, XSA-355, its post sealed as a
 * fan-out keeps it: nothing while no public text is loaded (that warning
 * says it all); with XSA-300 loaded, its standard sections XSA-300 does
 * not carry are named, DEPLOYMENT DURING EMBARGO among them, with the
 * cure; once XSA-399, which carries that section in nearly the same
 * words, is loaded too, it is no longer named.  A post that cannot be read is an error naming the
 * advisory; one registered with embargoctl alone, or public, is not
 * checked.
 */
static void
t_check_thin(void **s)
{
	char *home = xasprintf("%s/gnupg", dir), fpr[41] = "", *r;
	unsigned char key[32];
	struct store_txn *t;
	struct strv posts = { NULL, 0 };
	struct em_err err;

	(void)s;
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(keys_init(home, &err), EM_OK);
	list_key(home, fpr);
	assert_int_equal(store_print_key(dir, key, &err), EM_OK);
	fan_out("XSA-355", "xsa355.eml", fpr, key);
	adv_put("XSA-1", STORE_ADV_EMBARGOED, T2099);	/* no post kept */
	adv_put("XSA-2", STORE_ADV_PUBLIC, 0);
	r = report_of();
	assert_string_equal(r, "");
	free(r);

	public_add("xsa300.eml", key);
	r = report_of();
	assert_non_null(strstr(r, "warning: the standard sections of XSA-355 "
	    "that are its text alone (neither public text nor another "
	    "advisory's): "));
	assert_non_null(strstr(r, " DEPLOYMENT DURING EMBARGO ("));
	assert_non_null(strstr(r, " RESOLUTION ("));
	assert_non_null(strstr(r, "(embargoctl public add FILE, "));
	assert_null(strstr(r, "XSA-1"));
	assert_null(strstr(r, "XSA-2"));
	assert_null(strchr(strchr(r, '\n') + 1, '\n'));	/* one problem */
	free(r);
	public_add("xsa399.eml", key);
	r = report_of();
	assert_non_null(strstr(r, "warning: the standard sections of XSA-355 "));
	assert_null(strstr(r, "DEPLOYMENT DURING EMBARGO"));
	assert_non_null(strstr(r, " NOTE CONCERNING SHORT EMBARGO ("));
	free(r);

	/* A post listed but gone: an error naming the advisory. */
	adv_put("XSA-3", STORE_ADV_EMBARGOED, T2099);
	strv_push(&posts, "1 999999");
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_adv_list_put(t, "posts", "XSA-3", &posts, &err),
	    EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
	r = report_of();
	assert_non_null(strstr(r, "warning: the standard sections of XSA-355 "));
	assert_non_null(strstr(r, "error: XSA-3 is under embargo, but its "
	    "standard sections cannot be checked: "));
	free(r);
	strv_free(&posts);
	{
		char *cmd = xasprintf("gpgconf --homedir %s --kill gpg-agent "
		    "2>/dev/null", home);

		assert_true(system(cmd) >= 0);
		free(cmd);
	}
	free(home);
}

/* ---- Keys and certificates: keys, members, member vet ---- */

static char home[96], ca[96];

/*
 * pki_setup - the daemon's home (dir/gnupg) as an administrator sets it
 * up for S/MIME (README): a test CA made by OpenSSL imported and trusted
 * for gpgsm, no revocation lists to fetch; the CA's files in dir/ca, with
 * a database for "openssl ca" (the certificates with chosen dates)
 */
static void
pki_setup(void)
{
	struct em_err err;

	(void)snprintf(home, sizeof(home), "%s/gnupg", dir);
	(void)snprintf(ca, sizeof(ca), "%s/ca", dir);
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(mkdir(ca, 0700), 0);
	test_sh("echo disable-crl-checks > %s/gpgsm.conf && cd %s && openssl req "
	    "-x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 400 "
	    "-subj '/CN=Embargo Test CA' -addext "
	    "'basicConstraints=critical,CA:TRUE' -addext "
	    "'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null && "
	    "gpgsm --homedir %s --batch --import ca.pem 2>/dev/null && "
	    "gpgsm --homedir %s --with-colons --list-keys 'Embargo Test CA' | "
	    "awk -F: '/^fpr/ { print $10 \" S relax\"; exit }' > "
	    "%s/trustlist.txt && gpgconf --homedir %s --reload gpg-agent && "
	    ": > index.txt && echo 01 > serial && printf '[ ca ]\\ndefault_ca = "
	    "t\\n[ t ]\\ndatabase = %s/index.txt\\nserial = %s/serial\\n"
	    "new_certs_dir = %s\\ndefault_md = sha256\\npolicy = any\\n"
	    "unique_subject = no\\n[ any ]\\ncommonName = supplied\\n' > ca.cnf",
	    home, ca, home, home, home, home, ca, ca, ca);
	assert_int_equal(keys_init(home, &err), EM_OK);
	free(cfg->gnupg_home);
	cfg->gnupg_home = xstrdup(home);
}

/* pki_teardown - the agents of the daemon's home stopped */

static void
pki_teardown(void)
{
	test_sh("gpgconf --homedir %s --kill all 2>/dev/null", home);
}

/*
 * cert_make - dir/ca/NAME.pem for addr, signed by the test CA: key is an
 * openssl -newkey argument, usage the key usage, dates "-days N" (openssl
 * x509 -req) or "-startdate S -enddate E" (openssl ca); its pin in pin
 */
static void
cert_make(const char *name, const char *addr, const char *key,
    const char *usage, const char *dates, char pin[65])
{
	char *cmd;

	test_sh("cd %s && openssl req -new -newkey %s -nodes -keyout %s.key "
	    "-subj '/CN=%s' -out %s.csr 2>/dev/null && printf "
	    "'subjectAltName=email:%s\\nkeyUsage=critical,%s\\n"
	    "extendedKeyUsage=emailProtection\\n' > %s.ext", ca, key, name,
	    name, name, addr, usage, name);
	if (strncmp(dates, "-days", 5) == 0)
		test_sh("cd %s && openssl x509 -req -in %s.csr -CA ca.pem -CAkey "
		    "ca.key -CAcreateserial %s -extfile %s.ext -out %s.pem "
		    "2>/dev/null", ca, name, dates, name, name);
	else
		test_sh("cd %s && openssl ca -batch -config ca.cnf -cert ca.pem "
		    "-keyfile ca.key -in %s.csr -out %s.pem -extfile %s.ext "
		    "-notext %s >/dev/null 2>&1", ca, name, name, name, dates);
	cmd = xasprintf("openssl x509 -noout -fingerprint -sha256 -in %s/%s.pem "
	    "| sed 's/.*=//; s/://g'", ca, name);
	test_pin(cmd, pin, 64);
	free(cmd);
}

/* key_make - an OpenPGP key for uid in the daemon's home; its fingerprint */

static void
key_make(const char *uid, char fpr[41])
{
	char *cmd = xasprintf("gpg --homedir %s --batch --quiet --passphrase '' "
	    "--quick-gen-key '%s' future-default default never 2>/dev/null && "
	    "gpg --homedir %s --with-colons --list-keys '%s' 2>/dev/null | "
	    "awk -F: '/^fpr/ { print $10; exit }'", home, uid, home, uid);

	test_fpr(cmd, fpr);
	free(cmd);
}

/* lines - how many lines text has */

static size_t
lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/*
 * keys and members on a config of an OpenPGP member, an S/MIME member
 * (pinned by its certificate's SHA-256) and a participant whose key is
 * missing: each row says what the recipient reads, its pin and when it
 * ends; a recipient that cannot be used makes keys exit 1; the public
 * list stays the organisations' names alone.
 */
static void
t_keys_members(void **s)
{
	char fpr[41], pin[65], t[EM_TIME_BUFSZ], *out, *err, *row;
	struct conf_report rep = { 0 };
	struct config *saved = cfg, *c;
	struct keys_health h;
	JsonParser *p = json_parser_new();
	JsonObject *o;

	(void)s;
	c = test_conf_with("participant \"Discoverer\" {\n  address = "
	    "\"reporter@university.example\"\n  key = \""
	    "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"\n}\n", &rep);
	conf_report_free(&rep);
	assert_non_null(c);
	cfg = c;
	pki_setup();
	key_make("Cloud <security@cloud.example>", fpr);
	cert_make("linux", "secalert@linux.example", "rsa:2048",
	    "digitalSignature,keyEncipherment", "-days 90", pin);
	test_sh("gpgsm --homedir %s --batch --import %s/linux.pem 2>/dev/null",
	    home, ca);
	free(c->members[0].key);
	c->members[0].key = xstrdup(fpr);
	free(c->members[1].key);
	c->members[1].key = xstrdup(pin);
	c->members[1].smime = true;
	assert_int_equal(keys_health(pin, KEYS_USE_ENCRYPT, time(NULL), &h),
	    EM_OK);
	assert_true(h.usable);
	(void)em_time_format(h.expires, t);

	cap_begin();
	assert_int_equal(cli_keys_list(&text_o, c, time(NULL)), EXIT_FINDING);
	cap_end(&out, &err);
	assert_int_equal(lines(out), 4);
	assert_non_null(strstr(out, "NAME "));
	assert_non_null(strstr(out, " KIND "));
	assert_non_null(strstr(out, " PIN "));
	assert_non_null(row = strstr(out, "Example Cloud "));
	assert_true(strncmp(row + 25, "member      OpenPGP ", 20) == 0);
	assert_true(strncmp(row + 45, fpr, 40) == 0);
	assert_non_null(strstr(row, " yes    never "));
	assert_non_null(row = strstr(out, "Example Linux "));
	assert_true(strncmp(row + 25, "member      S/MIME  ", 20) == 0);
	assert_true(strncmp(row + 45, pin, 64) == 0);
	assert_non_null(strstr(row, " yes    "));
	assert_non_null(strstr(row, t));
	assert_non_null(row = strstr(out, "Discoverer "));
	assert_true(strncmp(row + 25, "participant OpenPGP ", 20) == 0);
	assert_non_null(strstr(row, " NO     -  "));
	assert_non_null(strstr(row, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC not "
	    "in the keyring"));
	free(out);
	free(err);

	cap_begin();
	assert_int_equal(cli_keys_list(&json_o, c, time(NULL)), EXIT_FINDING);
	cap_end(&out, &err);
	assert_int_equal(lines(out), 3);
	o = parse(p, strchr(out, '\n') + 1, strcspn(strchr(out, '\n') + 1,
	    "\n"));
	assert_string_equal(json_object_get_string_member(o, "member"),
	    "Example Linux");
	assert_string_equal(json_object_get_string_member(o, "role"), "member");
	assert_string_equal(json_object_get_string_member(o, "kind"), "smime");
	assert_string_equal(json_object_get_string_member(o, "pin"), pin);
	assert_true(json_object_get_boolean_member(o, "usable"));
	assert_false(json_object_get_null_member(o, "expires"));
	assert_true(json_object_get_int_member(o, "days_left") >= 88);
	free(out);
	free(err);

	cap_begin();
	assert_int_equal(cli_members_list(&text_o, c, false, time(NULL)),
	    EXIT_OK);
	cap_end(&out, &err);
	assert_int_equal(lines(out), 3);
	assert_non_null(strstr(out, "ORGANISATION "));
	row = xasprintf("Example Linux                secalert@linux.example  "
	    "             S/MIME  %s %s\n", pin, t);
	assert_non_null(strstr(out, row));
	free(row);
	row = xasprintf("Example Cloud                security@cloud.example  "
	    "             OpenPGP %-64s never\n", fpr);
	assert_non_null(strstr(out, row));
	free(row);
	assert_null(strstr(out, "Discoverer"));
	free(out);
	free(err);

	cap_begin();
	assert_int_equal(cli_members_list(&json_o, c, false, time(NULL)),
	    EXIT_OK);
	cap_end(&out, &err);
	o = parse(p, strchr(out, '\n') + 1, strcspn(strchr(out, '\n') + 1,
	    "\n"));
	assert_string_equal(json_object_get_string_member(o, "kind"), "smime");
	assert_string_equal(json_object_get_string_member(o, "pin"), pin);
	assert_string_equal(json_object_get_string_member(o, "address"),
	    "secalert@linux.example");
	free(out);
	free(err);

	/* The public list: the names, nothing else, as before. */
	cap_begin();
	assert_int_equal(cli_members_list(&text_o, c, true, time(NULL)),
	    EXIT_OK);
	assert_int_equal(cli_members_list(&json_o, c, true, time(NULL)),
	    EXIT_OK);
	cap_end(&out, &err);
	assert_string_equal(out, "Example Cloud\nExample Linux\n"
	    "{\"name\":\"Example Cloud\"}\n{\"name\":\"Example Linux\"}\n");
	free(out);
	free(err);
	g_object_unref(p);
	pki_teardown();
	cfg = saved;
	conf_free(c);
}

/* vet - member vet of file (a key when key, else a certificate) for addr,
 * its exit status; what it printed in *out (caller frees) */

static int
vet(const char *file, bool key, const char *addr, bool json, char **out)
{
	struct cli_vet a = { "Example Vendor", addr, key ? file : NULL,
	    key ? NULL : file };
	char *err;
	int rc;

	cap_begin();
	rc = cli_member_vet(json ? &json_o : &text_o, cfg, &a);
	cap_end(out, &err);
	free(err);
	return rc;
}

/* vet_refuses - member vet of dir/ca/NAME.pem for addr: exit 1, no block,
 * and each of the texts (NULL-ended) in its problems */

static void
vet_refuses(const char *name, const char *addr, ...)
{
	char *file = xasprintf("%s/%s.pem", ca, name), *out;
	const char *want;
	va_list ap;

	if (vet(file, false, addr, false, &out) != EXIT_FINDING)
		fail_msg("%s was not refused: %s", name, out);
	va_start(ap, addr);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(out, want) == NULL)
			fail_msg("%s: no \"%s\" in: %s", name, want, out);
	va_end(ap);
	assert_null(strstr(out, "ok: "));
	assert_null(strstr(out, "certificate = "));
	free(out);
	free(file);
}

/*
 * member vet with a certificate (PEM or DER): a good one gives the block
 * with its SHA-256 pin and imports nothing into the daemon's home; each
 * refusal names the cure: another address, expired, not yet valid, no
 * key usage to encrypt, a weak key, under 30 days left, an issuer the
 * daemon's home does not hold or trust (the one trial encryption), a
 * chain, and an OpenPGP key given as a certificate and back.
 */
static void
t_member_vet_cert(void **s)
{
	char pin[65], other[65], *out, *file, *block;
	JsonParser *p = json_parser_new();
	JsonObject *o;

	(void)s;
	pki_setup();
	cert_make("good", "security@vendor.example", "rsa:2048",
	    "digitalSignature,keyEncipherment", "-days 365", pin);
	file = xasprintf("%s/good.pem", ca);
	assert_int_equal(vet(file, false, "Security@Vendor.example", false, &out),
	    EXIT_OK);
	block = xasprintf("member \"Example Vendor\" {\n  address     = "
	    "\"security@vendor.example\"\n  certificate = \"%s\"\n}\n", pin);
	assert_non_null(strstr(out, block));
	assert_null(strstr(out, "PROBLEM"));
	assert_non_null(strstr(out, "ok: import the certificate into "));
	assert_non_null(strstr(out, "gpgsm --homedir "));
	free(out);
	/* Nothing imported into the daemon's home (gpgsm's fp2: SHA-256). */
	test_sh_fails("gpgsm --homedir %s --with-colons --list-keys 2>/dev/null "
	    "| grep -q '^fp2:.*%s'", home, pin);
	test_sh("cd %s && openssl x509 -in good.pem -outform DER -out good.der",
	    ca);
	free(file);
	file = xasprintf("%s/good.der", ca);
	assert_int_equal(vet(file, false, "security@vendor.example", true, &out),
	    EXIT_OK);
	o = parse(p, out, strlen(out));
	assert_true(json_object_get_boolean_member(o, "ok"));
	assert_string_equal(json_object_get_string_member(o, "kind"), "smime");
	assert_string_equal(json_object_get_string_member(o, "pin"), pin);
	assert_string_equal(json_object_get_string_member(o, "block"), block);
	free(out);
	free(file);
	free(block);

	vet_refuses("good", "psirt@other.example", "certificate ", " is not for "
	    "psirt@other.example (neither its subject nor its subjectAltName "
	    "carries it; it names security@vendor.example); ask for a "
	    "certificate issued to that address", NULL);
	cert_make("old", "security@vendor.example", "rsa:2048",
	    "digitalSignature,keyEncipherment", "-startdate 20200101000000Z "
	    "-enddate 20210101000000Z", other);
	vet_refuses("old", "security@vendor.example", other, "has expired; ask "
	    "the applicant for a certificate that can (RSA of 2048 bits or "
	    "more, within its dates", NULL);
	cert_make("early", "security@vendor.example", "rsa:2048",
	    "digitalSignature,keyEncipherment", "-startdate 20990101000000Z "
	    "-enddate 20991231000000Z", other);
	vet_refuses("early", "security@vendor.example", "is not valid yet; ask "
	    "the applicant for a certificate that can", NULL);
	cert_make("signer", "security@vendor.example", "rsa:2048",
	    "digitalSignature", "-days 365", other);
	vet_refuses("signer", "security@vendor.example", "may not encrypt (its "
	    "key usage)", "its key usage allowing encryption", NULL);
	cert_make("weak", "security@vendor.example", "rsa:1024",
	    "digitalSignature,keyEncipherment", "-days 365", other);
	vet_refuses("weak", "security@vendor.example", "has a 1024-bit RSA key, "
	    "too weak (2048 bits at least)", NULL);
	cert_make("short", "security@vendor.example", "rsa:2048",
	    "digitalSignature,keyEncipherment", "-days 10", other);
	vet_refuses("short", "security@vendor.example", " expires in ",
	    " days; a member's certificate must be usable for 30 days or "
	    "more: ask for a new one", NULL);

	/* Another CA, unknown to the daemon's home: the trial names it. */
	test_sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
	    "ca2.key -out ca2.pem -days 400 -subj '/CN=Elsewhere CA' -addext "
	    "'basicConstraints=critical,CA:TRUE' -addext "
	    "'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null && openssl "
	    "req -new -newkey rsa:2048 -nodes -keyout stray.key -subj "
	    "'/CN=stray' -out stray.csr 2>/dev/null && openssl x509 -req -in "
	    "stray.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -days 365 "
	    "-extfile good.ext -out stray.pem 2>/dev/null", ca);
	vet_refuses("stray", "security@vendor.example", "encrypting to "
	    "certificate ", " failed as ", "Missing issuer certificate",
	    "trustlist.txt", "--import CA.pem", "--reload gpg-agent", NULL);
	/* Its CA imported but not trusted: the same cure. */
	test_sh("gpgsm --homedir %s --batch --import %s/ca2.pem 2>/dev/null",
	    home, ca);
	vet_refuses("stray", "security@vendor.example", "Not trusted",
	    "trustlist.txt", NULL);

	test_sh("cd %s && cat good.pem ca.pem > chain.pem", ca);
	vet_refuses("chain", "security@vendor.example", "chain.pem holds more "
	    "than one certificate (a chain?); give the member's own alone",
	    NULL);
	test_sh("gpg --homedir %s --batch --quiet --passphrase '' "
	    "--quick-gen-key 'V <security@vendor.example>' future-default "
	    "default never 2>/dev/null && gpg --homedir %s --armor --export "
	    "security@vendor.example > %s/vendor.pem 2>/dev/null", home, home,
	    ca);
	vet_refuses("vendor", "security@vendor.example", "vendor.pem is an "
	    "OpenPGP key, not an X.509 certificate: vet it with --key FILE",
	    NULL);
	file = xasprintf("%s/good.pem", ca);
	assert_int_equal(vet(file, true, "security@vendor.example", false, &out),
	    EXIT_FINDING);
	assert_non_null(strstr(out, "good.pem is an X.509 certificate, not an "
	    "OpenPGP key: vet it with --certificate "));
	free(out);
	free(file);
	g_object_unref(p);
	pki_teardown();
}

/* A backup's archive: built and read back whole; a name no backup has,
 * a member over its ceiling or a manifest of another format refused. */
static void
t_backup_archive(void **st)
{
	struct backup_files f = { NULL, 0 }, g = { NULL, 0 };
	struct backup_manifest m, r;
	struct buf tar;
	struct em_err err;
	char *mj;

	(void)st;
	memset(&m, 0, sizeof(m));
	m.format = BACKUP_FORMAT;
	m.taken = 1765000000;
	m.audit_seq = 812;
	memset(m.audit_hash, 'a', 64);
	m.advisories = 3;
	(void)snprintf(m.host, sizeof(m.host), "lists.example.org");
	mj = backup_manifest_json(&m);
	backup_files_add(&f, "MANIFEST.json", mj, strlen(mj), 0600);
	backup_files_add(&f, "state/data.mdb", "0123456789", 10, 0600);
	backup_files_add(&f, "gnupg/pubring.kbx", "", 0, 0600);
	buf_init(&tar);
	assert_int_equal(backup_tar(&f, &tar, &err), EM_OK);
	assert_int_equal(backup_untar(tar.data, tar.len, 1 << 20, &g, &err), EM_OK);
	assert_int_equal(g.n, 3);
	assert_memory_equal(backup_files_find(&g, "state/data.mdb")->data.data,
	    "0123456789", 10);
	assert_int_equal(backup_files_find(&g, "gnupg/pubring.kbx")->data.len, 0);
	assert_int_equal(backup_manifest_read(mj, strlen(mj), &r, &err), EM_OK);
	assert_int_equal(r.audit_seq, 812);
	assert_int_equal(r.taken, 1765000000);
	assert_string_equal(r.host, "lists.example.org");
	backup_files_free(&g);
	/* The store over the ceiling the caller gives. */
	assert_int_equal(backup_untar(tar.data, tar.len, 5, &g, &err), EM_ELIMIT);
	backup_files_free(&g);
	buf_free(&tar);
	/* A name that climbs out, or one no backup has. */
	backup_files_free(&f);
	backup_files_add(&f, "gnupg/../../etc/passwd", "x", 1, 0600);
	buf_init(&tar);
	assert_int_equal(backup_tar(&f, &tar, &err), EM_OK);
	assert_int_equal(backup_untar(tar.data, tar.len, 1 << 20, &g, &err),
	    EM_EPARSE);
	assert_non_null(strstr(err.msg, "which no backup holds"));
	backup_files_free(&g);
	backup_files_free(&f);
	buf_free(&tar);
	/* A program's settings in the GnuPG home are never restored. */
	backup_files_add(&f, "gnupg/gpg-agent.conf", "scdaemon-program /x\n", 20,
	    0600);
	buf_init(&tar);
	assert_int_equal(backup_tar(&f, &tar, &err), EM_OK);
	assert_int_equal(backup_untar(tar.data, tar.len, 1 << 20, &g, &err),
	    EM_EPARSE);
	backup_files_free(&g);
	backup_files_free(&f);
	buf_free(&tar);
	/* Another format. */
	free(mj);
	m.format = 2;
	mj = backup_manifest_json(&m);
	assert_int_equal(backup_manifest_read(mj, strlen(mj), &r, &err),
	    EM_EPARSE);
	assert_non_null(strstr(err.msg, "its format is 2"));
	free(mj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(t_table_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(t_time_arg, setup, teardown),
		cmocka_unit_test_setup_teardown(t_json_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(t_outbox_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(t_outbox_list, setup, teardown),
		cmocka_unit_test_setup_teardown(t_hooks_change, setup, teardown),
		cmocka_unit_test_setup_teardown(t_held_change, setup, teardown),
		cmocka_unit_test_setup_teardown(t_set_embargo, setup, teardown),
		cmocka_unit_test_setup_teardown(t_upcoming, setup, teardown),
		cmocka_unit_test_setup_teardown(t_check_thin, setup, teardown),
		cmocka_unit_test_setup_teardown(t_keys_members, setup, teardown),
		cmocka_unit_test_setup_teardown(t_member_vet_cert, setup,
		    teardown),
		cmocka_unit_test(t_backup_archive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
