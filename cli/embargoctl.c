/*
 * embargoctl - the administrator's tool (SPEC section 7)
 *
 * SYNOPSIS
 *	embargoctl [-c FILE] [--json] COMMAND [ARGS]
 *
 * Exit status: 0 ok, 1 a finding (check failed, chain broken; for
 * dry-run: reject), 2 usage or config error; dry-run also 3 hold, 4
 * fan-out.  embargoctl never talks to the milter socket: it reads the
 * config, the keyring and the store directly.
 */

/* System library. */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "../util/em.h"
#include "../util/emtime.h"
#include "../conf/conf.h"
#include "../policy/policy.h"
#include "../keys/keys.h"
#include "../store/store.h"
#include "../store/view.h"
#include "cli.h"

#define DEFAULT_CONF	"/etc/embargo-milter/embargo-milter.conf"


/* usage - the --help text */

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: embargoctl [-c FILE] [--json] COMMAND [ARGS]\n"
	    "  -c FILE   config file (default " DEFAULT_CONF ")\n"
	    "  --json    one JSON object (JSON lines for lists)\n"
	    "commands:\n"
	    "  check                       validate the config and keys; list every problem\n"
	    "  advisories                  id, state, embargo date, revision, copies sent/waiting\n"
	    "  advisory ID [--report]      one advisory and its distribution report;\n"
	    "                              --report: the reviewer's whole record of it\n"
	    "  outbox [retry]              copies and notices not yet delivered, and why;\n"
	    "                              retry: make them due now (after importing a key)\n"
	    "  keys                        each member's key: usable, expiry, days left\n"
	    "  audit [--since WHEN] [--advisory ID]   the audit log, oldest first (JSON lines)\n"
	    "  audit verify [--tip SEQ:HASH]  check the audit log's hash chain end to end\n"
	    "                              (and that it still reaches a head kept elsewhere)\n"
	    "  embargo ID --until WHEN     set or move an embargo date (audited)\n"
	    "  embargo ID --now            lift it at once: held postings go out now\n"
	    "  held [show H | release H | drop H --why TEXT]   the hold queue\n"
	    "  upcoming                    advisory ids and public dates, nothing else\n"
	    "  members [--public]          the members; --public: organisation names only\n"
	    "  member vet --name ORG --address ADDR --key FILE\n"
	    "                              check an applicant as a reload would; imports nothing\n"
	    "  trace [FILE]                whose copy a leaked message or pasted text came\n"
	    "                              from (its copy id or Message-ID); exit 1: none\n"
	    "  public add FILE...          text already public (messages or mbox): its word\n"
	    "                              runs never count as a leak (audited)\n"
	    "  public list | public drop NAME\n"
	    "                              the public text loaded, by file name\n"
	    "  dry-run --from A --to B [--to C ...] [FILE]\n"
	    "                              what the milter would do with this message\n"
	    "                              (exit 0 pass, 1 reject, 3 hold, 4 fan-out)\n"
	    "See embargoctl(8).\n");
}

/* json_str - print a JSON string */

void
json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* load - the config, with every problem printed */

/*
 * become_user - as root, act as the daemon's user: the keyring's
 * gpg-agent and the state's files must stay that user's
 */
static int
become_user(const struct config *cfg, struct conf_report *rep)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		conf_report_add(rep, false, "user \"%s\" does not exist; create "
		    "it or run embargoctl as the daemon's user", cfg->user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		conf_report_add(rep, false, "cannot become %s", cfg->user);
		return -1;
	}
	return 0;
}

static struct config *
load_report(const struct opts *o, struct conf_report *rep, bool check_keys)
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

/* note_operator - SUDO_USER, else the real user's name */

static void
note_operator(void)
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
	struct config *cfg = load_report(o, &rep, false);

	for (size_t i = 0; i < rep.n; i++)
		if (cfg == NULL || !rep.v[i].warning)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
	conf_report_free(&rep);
	return cfg;
}

/* cmd_check - validate and list every problem */

static int
cmd_check(const struct opts *o)
{
	struct conf_report rep = { 0 };
	struct config *cfg = load_report(o, &rep, true);
	int rc = cfg ? EXIT_OK : EXIT_USAGE;

	if (o->json) {
		printf("{\"config\":");
		json_str(o->conf);
		printf(",\"ok\":%s,\"errors\":%zu,\"warnings\":%zu,\"problems\":[",
		    cfg ? "true" : "false", rep.errors, rep.warnings);
		for (size_t i = 0; i < rep.n; i++) {
			printf("%s{\"severity\":\"%s\",\"text\":", i ? "," : "",
			    rep.v[i].warning ? "warning" : "error");
			json_str(rep.v[i].text);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
		if (cfg)
			printf("%s: configuration ok (%zu members, %zu "
			    "warnings)\n", o->conf, cfg->n_members, rep.warnings);
		else
			fprintf(stderr, "embargoctl: %s: %zu error(s)\n",
			    o->conf, rep.errors);
	}
	conf_report_free(&rep);
	conf_free(cfg);
	return rc;
}

/* read_all - a whole file (or stdin) into a buffer */

int
cli_read_all(const char *path, struct buf *b)
{
	FILE *fp = path ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t n;

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(b, chunk, n);
	if (fp != stdin)
		(void)fclose(fp);
	return 0;
}

/* decide_with_view - policy_decide() on the registry, as the milter does */

static void
decide_with_view(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct policy_decision *d)
{
	struct store *s = cli_store(cfg);
	unsigned char key[32];
	struct store_view v;
	struct policy_view pv;
	struct em_err err;

	if (s == NULL || store_print_key(cfg->state_dir, key, &err) < 0 ||
	    store_view_open(&v, &pv, s, key, time(NULL), &err) < 0) {
		memset(d, 0, sizeof(*d));
		d->verdict = POLICY_TEMPFAIL;
		memcpy(d->rcode, "451", 4);
		memcpy(d->xcode, "4.3.0", 6);
		(void)snprintf(d->reply, sizeof(d->reply), "state store not "
		    "available");
		store_close(s);
		return;
	}
	policy_decide(cfg, f, env, &pv, v.now, d);
	store_view_close(&v);
	store_close(s);
}

/* dry_run_exit - the exit status of a verdict */

static int
dry_run_exit(enum policy_verdict v)
{
	switch (v) {
	case POLICY_PASS:	return EXIT_OK;
	case POLICY_REJECT:	return EXIT_FINDING;
	case POLICY_HOLD:	return EXIT_HOLD;
	case POLICY_FANOUT:	return EXIT_FANOUT;
	case POLICY_TEMPFAIL:	break;
	}
	return EXIT_USAGE;
}

/* cmd_dry_run - decide on a message without changing anything */

static int
cmd_dry_run(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf_report rep = { 0 };
	struct strv rcpts = { 0 };
	const char *from = NULL, *file = NULL;
	struct policy_decision d;
	struct policy_limits lim;
	struct policy_envelope env;
	struct config *cfg;
	struct em_err err;
	struct facts f;
	struct buf msg;
	char t[EM_TIME_BUFSZ];
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'f')
			from = optarg;
		else if (ch == 't')
			strv_push(&rcpts, optarg);
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		file = argv[optind];
	if (from == NULL || rcpts.n == 0) {
		fprintf(stderr, "embargoctl: dry-run needs --from ADDR and at "
		    "least one --to ADDR\n");
		strv_free(&rcpts);
		return EXIT_USAGE;
	}
	if ((cfg = load_report(o, &rep, false)) == NULL) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "embargoctl: %s\n", rep.v[i].text);
		conf_report_free(&rep);
		strv_free(&rcpts);
		return EXIT_USAGE;
	}
	conf_report_free(&rep);
	buf_init(&msg);
	if (cli_read_all(file, &msg) < 0) {
		fprintf(stderr, "embargoctl: cannot read %s\n", file);
		rc = EXIT_USAGE;
		goto out;
	}
	g_mime_init();
	lim.max_depth = cfg->mime_max_depth;
	lim.max_parts = cfg->mime_max_parts;
	lim.max_header = cfg->max_header_size;
	facts_init(&f);
	em_err_clear(&err);
	rc = policy_read(msg.data ? msg.data : "", msg.len, &lim, &f, &err);
	if (rc == EM_OK && f.n_crypt > 0)
		rc = keys_read_crypt(cfg, &lim, &f, &err);
	if (rc < 0) {
		/* As the milter answers: a ceiling is 554; any other
		 * failure (a key we cannot use now) is ours: 451. */
		memset(&d, 0, sizeof(d));
		d.verdict = rc == EM_ELIMIT ? POLICY_REJECT : POLICY_TEMPFAIL;
		memcpy(d.rcode, rc == EM_ELIMIT ? "554" : "451", 4);
		memcpy(d.xcode, rc == EM_ELIMIT ? "5.6.0" : "4.3.0", 6);
		(void)snprintf(d.reply, sizeof(d.reply), "%s", err.msg);
		(void)snprintf(d.reason, sizeof(d.reason), "%s", err.msg);
	} else {
		env.sender = from;
		env.rcpts = (const char *const *)rcpts.v;
		env.n_rcpts = rcpts.n;
		policy_classify(cfg, &f);
		decide_with_view(cfg, &f, &env, &d);
	}
	if (o->json) {
		printf("{\"decision\":\"%s\",\"reply\":",
		    policy_verdict_name(d.verdict));
		json_str(d.verdict == POLICY_REJECT || d.verdict == POLICY_TEMPFAIL ?
		    d.reply : "");
		printf(",\"code\":\"%s %s\",\"advisory\":", d.rcode, d.xcode);
		json_str(d.advisory_id);
		printf(",\"embargo\":");
		if (d.embargo)
			json_str(em_time_format_iso(d.embargo, t));
		else
			printf("null");
		printf(",\"reason\":");
		json_str(d.reason);
		printf("}\n");
	} else {
		printf("decision: %s\n", policy_verdict_name(d.verdict));
		if (d.verdict == POLICY_REJECT || d.verdict == POLICY_TEMPFAIL)
			printf("reply:    %s %s %s\n", d.rcode, d.xcode, d.reply);
		printf("advisory: %s\n", d.advisory_id[0] ? d.advisory_id : "-");
		if (d.embargo)
			printf("embargo:  %s\n", em_time_format(d.embargo, t));
		printf("why:      %s\n", d.reason);
	}
	rc = dry_run_exit(d.verdict);
	facts_free(&f);
out:
	buf_free(&msg);
	strv_free(&rcpts);
	conf_free(cfg);
	return rc;
}

/* main - global options, then the command */

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { DEFAULT_CONF, false };
	const char *cmd;
	int ch;

	/* "+": stop at the command, whose own options follow it. */
	while ((ch = getopt_long(argc, argv, "+c:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o.conf = optarg; break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	/* --json may also follow the command. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			o.json = true;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&o);
	if (strcmp(cmd, "dry-run") == 0)
		return cmd_dry_run(&o, argc, argv);
	note_operator();
	if (strcmp(cmd, "embargo") == 0)
		return cmd_embargo(&o, argc, argv);
	if (strcmp(cmd, "held") == 0)
		return cmd_held(&o, argc, argv);
	if (strcmp(cmd, "trace") == 0 && argc <= 2)
		return cmd_trace(&o, argc > 1 ? argv[1] : NULL);
	if (strcmp(cmd, "public") == 0)
		return cmd_public(&o, argc, argv);
	if (strcmp(cmd, "upcoming") == 0)
		return cmd_upcoming(&o);
	if (strcmp(cmd, "members") == 0)
		return cmd_members(&o, argc, argv);
	if (strcmp(cmd, "member") == 0 && argc > 1 && strcmp(argv[1], "vet") == 0)
		return cmd_member_vet(&o, argc, argv);
	if (strcmp(cmd, "advisories") == 0)
		return cmd_advisories(&o);
	if (strcmp(cmd, "advisory") == 0 && argc == 3 &&
	    strcmp(argv[2], "--report") == 0)
		return cmd_advisory_report(&o, argv[1]);
	if (strcmp(cmd, "advisory") == 0 && argc == 2)
		return cmd_advisory(&o, argv[1]);
	if (strcmp(cmd, "outbox") == 0 && argc <= 2)
		return argc == 1 ? cmd_outbox(&o, false) :
		    strcmp(argv[1], "retry") == 0 ? cmd_outbox(&o, true) : EXIT_USAGE;
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(&o);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(&o, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "embargoctl: unknown command \"%s\"; see "
	    "embargoctl --help\n", cmd);
	return EXIT_USAGE;
}
