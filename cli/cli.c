/*
 * cli.c - what every embargoctl command shares: loading the config (as the
 * daemon's user), opening the store, reading input, the operator's name
 * for the audit, and JSON output through json-glib
 *
 * The command files (cmd_*.c) use these and nothing of each other;
 * embargoctl.c is main() and the command table.
 */

/* System library. */
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Utility library. */
#include <json-glib/json-glib.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"
#include "../util/emtime.h"
#include "../util/priv.h"

/* load - the config, with every problem printed */

/*
 * become_user - as root, act as the daemon's user: the keyring's
 * gpg-agent and the state's files must stay that user's
 */
static int
become_user(const struct config *cfg, struct conf_report *rep)
{
	struct em_err err;

	if (em_become_user(cfg->user, &err) < 0) {
		conf_report_add(rep, false, "%s; or run embargoctl as the "
		    "daemon's user", err.msg);
		return -1;
	}
	return 0;
}

/*
 * cli_load_report - the config, its problems into rep; NULL when it has
 * errors
 */
struct config *
cli_load_report(const struct opts *o, struct conf_report *rep, bool check_keys)
{
	struct config *cfg = NULL;
	struct em_err err;

	if (conf_load(o->conf, &cfg, rep) != EM_OK)
		return NULL;
	if (become_user(cfg, rep) < 0) {
		conf_free(cfg);
		return NULL;
	}
	if (keys_init(cfg->gnupg_home, &err) < 0)
		conf_report_add(rep, false, "%s", err.msg);
	else if (check_keys)
		keys_check_config(cfg, rep, time(NULL));
	if (rep->errors > 0) {
		conf_free(cfg);
		return NULL;
	}
	return cfg;
}

static char operator_name[64] = "unknown";

/* cli_operator - who runs this, noted before privileges change */

const char *
cli_operator(void)
{
	return operator_name;
}

/* cli_note_operator - SUDO_USER, else the real user's name */

void
cli_note_operator(void)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s == NULL || *s == '\0')
		s = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : NULL;
	if (s != NULL)
		(void)snprintf(operator_name, sizeof(operator_name), "%s", s);
}

/*
 * cli_load - the config for a command, problems on stderr.  The keys are
 * not checked here: a command that shows the state (outbox, audit) is
 * needed most when a member's key has expired; "check" checks them.
 */
struct config *
cli_load(const struct opts *o)
{
	struct conf_report rep = { 0 };
	struct config *cfg = cli_load_report(o, &rep, false);

	for (size_t i = 0; i < rep.n; i++)
		if (cfg == NULL || !rep.v[i].warning)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
	conf_report_free(&rep);
	return cfg;
}

/* cli_load_here - the config as cli_load() reads it, but as the caller
 * (a backup's file, a restore's administrator keyring are the caller's) */

struct config *
cli_load_here(const struct opts *o)
{
	struct conf_report rep = { 0 };
	struct config *cfg = NULL;

	if (conf_load(o->conf, &cfg, &rep) != EM_OK)
		cfg = NULL;
	for (size_t i = 0; i < rep.n; i++)
		if (cfg == NULL || !rep.v[i].warning)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
	conf_report_free(&rep);
	return cfg;
}

/* cli_store - open the state, or say why not */

struct store *
cli_store(const struct config *cfg)
{
	struct store *s;
	struct em_err err;

	if (store_open(cfg->state_dir, cfg->state_map_size, &s, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		return NULL;
	}
	return s;
}

/* cli_open - the config and the store, or say why not */

int
cli_open(const struct opts *o, struct config **cfg, struct store **s)
{
	*s = NULL;
	if ((*cfg = cli_load(o)) == NULL)
		return -1;
	if ((*s = cli_store(*cfg)) == NULL) {
		conf_free(*cfg);
		*cfg = NULL;
		return -1;
	}
	return 0;
}

/* cli_close - what cli_open() opened */

void
cli_close(struct config *cfg, struct store *s)
{
	store_close(s);
	conf_free(cfg);
}

/*
 * cli_time_arg - a time given on the command line, whole, in one of the
 * forms markers use; else -1, with the forms it takes printed
 */
int
cli_time_arg(const char *s, time_t *out)
{
	size_t used;

	if (em_time_parse(s, strlen(s), out, &used) == EM_OK && used == strlen(s))
		return 0;
	fprintf(stderr, "embargoctl: cannot read \"%s\"; write YYYY-MM-DD "
	    "HH:MM UTC, YYYY-MM-DDTHH:MMZ or with a numeric offset\n", s);
	return -1;
}

/* cli_usage - a command given in none of its forms: the forms, exit 2 */

int
cli_usage(const char *forms)
{
	fprintf(stderr, "embargoctl: usage: embargoctl %s (see embargoctl "
	    "--help)\n", forms);
	return EXIT_USAGE;
}

/*
 * cli_finish - the end of a write transaction: committed when rc is
 * EM_OK, else aborted; a failure (rc's, or the commit's) printed from err
 */
int
cli_finish(struct store_txn *t, int rc, struct em_err *err)
{
	if (rc < 0)
		store_abort(t);
	else
		rc = store_commit(t, err);	/* t is gone either way */
	if (rc < 0) {
		fprintf(stderr, "embargoctl: %s\n", err->msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * cli_read_all - a whole file (or stdin) into b, at most max bytes:
 * EM_EIO (it cannot be read) or EM_ETOOBIG (larger), the reason in err
 */
int
cli_read_all(const char *path, size_t max, struct buf *b, struct em_err *err)
{
	bool in = path == NULL || strcmp(path, "-") == 0;
	FILE *fp = in ? stdin : fopen(path, "rb");
	const char *name = in ? "standard input" : path;
	char chunk[65536];
	size_t n;
	int rc = EM_OK;

	if (fp == NULL)
		return em_fail(err, EM_EIO, "cannot read %s: %s", name,
		    strerror(errno));
	while (rc == EM_OK && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (n > max - b->len)
			rc = em_fail(err, EM_ETOOBIG, "%s is larger than %zu "
			    "bytes", name, max);
		else
			buf_append(b, chunk, n);
	}
	if (rc == EM_OK && ferror(fp))
		rc = em_fail(err, EM_EIO, "cannot read %s: %s", name,
		    strerror(errno));
	if (fp != stdin)
		(void)fclose(fp);
	return rc;
}

/* cli_daemon_pid - the pid state_dir's pid file names, 0 if none */

long
cli_daemon_pid(const struct config *cfg)
{
	char *path = xasprintf("%s/embargo-milter.pid", cfg->state_dir);
	FILE *fp = fopen(path, "r");
	char line[32];
	long pid = 0;

	if (fp != NULL) {
		if (fgets(line, sizeof(line), fp) != NULL)
			pid = strtol(line, NULL, 10);
		fclose(fp);
	}
	free(path);
	return pid > 1 ? pid : 0;
}

/* cli_audit - one audit record of an embargoctl change, by the operator */

int
cli_audit(struct store_txn *t, const char *event, const char *id,
    time_t embargo, const char *reason, struct em_err *err)
{
	struct store_audit a = { 0 };

	a.time = time(NULL);
	a.event = event;
	a.sender = cli_operator();
	a.advisory = id;
	a.embargo = embargo;
	a.decision = event;
	a.reason = reason;
	return store_audit_append(t, &a, err);
}

/* cli_read_all_fd - what fd gives until its end, at most max bytes */

int
cli_read_all_fd(int fd, size_t max, struct buf *b, struct em_err *err)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return em_fail(err, EM_EIO, "cannot read a pipe: %s",
			    strerror(errno));
		if (n == 0)
			return EM_OK;
		if ((size_t)n > max - b->len)
			return em_fail(err, EM_ETOOBIG, "a pipe gave more than %zu "
			    "bytes", max);
		buf_append(b, chunk, (size_t)n);
	}
}

/*
 * JSON output: one object per command, or one per line for lists, built
 * with json-glib so that every string is escaped as JSON wants.
 */
struct cli_json {
	JsonBuilder *b;
};

/* cj_new - a new object (the root of one line of output) */

struct cli_json *
cj_new(void)
{
	struct cli_json *j = xcalloc(1, sizeof(*j));

	j->b = json_builder_new();
	json_builder_begin_object(j->b);
	return j;
}

/* cj_str - a string member; NULL or "" is null */

void
cj_str(struct cli_json *j, const char *key, const char *v)
{
	if (key != NULL)
		json_builder_set_member_name(j->b, key);
	if (v == NULL || *v == '\0')
		json_builder_add_null_value(j->b);
	else
		json_builder_add_string_value(j->b, v);
}

/* cj_int - a number member */

void
cj_int(struct cli_json *j, const char *key, long long v)
{
	json_builder_set_member_name(j->b, key);
	json_builder_add_int_value(j->b, v);
}

/* cj_bool - a boolean member */

void
cj_bool(struct cli_json *j, const char *key, bool v)
{
	json_builder_set_member_name(j->b, key);
	json_builder_add_boolean_value(j->b, v);
}

/* cj_time - a UTC time member, ISO 8601; 0 is null */

void
cj_time(struct cli_json *j, const char *key, time_t t)
{
	char ts[EM_TIME_BUFSZ];

	cj_str(j, key, t != 0 ? em_time_format_iso(t, ts) : NULL);
}

/* cj_array / cj_array_end - an array member; cj_item / cj_item_end an
 * object inside it */

void
cj_array(struct cli_json *j, const char *key)
{
	json_builder_set_member_name(j->b, key);
	json_builder_begin_array(j->b);
}

void
cj_array_end(struct cli_json *j)
{
	json_builder_end_array(j->b);
}

/* cj_item - begin one object of the current array */

void
cj_item(struct cli_json *j)
{
	json_builder_begin_object(j->b);
}

/* cj_item_end - end that object */

void
cj_item_end(struct cli_json *j)
{
	json_builder_end_object(j->b);
}

/* cj_print - end the object, print it as one line, free it */

void
cj_print(struct cli_json *j)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root;
	gchar *s;

	json_builder_end_object(j->b);
	root = json_builder_get_root(j->b);
	json_generator_set_root(g, root);
	s = json_generator_to_data(g, NULL);
	puts(s);
	g_free(s);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(j->b);
	free(j);
}

/* cli_say - one line of result, as text or as a JSON object */

void
cli_say(const struct opts *o, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_bool(j, "ok", true);
		cj_str(j, "message", text);
		cj_print(j);
	} else {
		printf("%s\n", text);
	}
	free(text);
}

/* cli_fail - a finding, on stderr and (with --json) as a JSON object */

void
cli_fail(const struct opts *o, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "embargoctl: %s\n", text);
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_bool(j, "ok", false);
		cj_str(j, "error", text);
		cj_print(j);
	}
	free(text);
}
