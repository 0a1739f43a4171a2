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
 *
 * This file is the command table: the global options, each command's
 * name and the forms of its arguments; main() is in main.c.
 */

/* System library. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "cli.h"

#define DEFAULT_CONF	"/etc/embargo-milter/embargo-milter.conf"


/* The --help text. */
static const char usage_text[] =
	    "usage: embargoctl [-c FILE] [--json] COMMAND [ARGS]\n"
	    "  -c FILE   config file (default " DEFAULT_CONF ")\n"
	    "  --json    one JSON object (JSON lines for lists)\n"
	    "commands:\n"
	    "  check                       validate the config and keys; list every problem;\n"
	    "                              name each embargoed advisory's standard sections\n"
	    "                              that are its text alone, with the cure\n"
	    "  advisories                  id, state, embargo date, revision, copies sent/waiting\n"
	    "  advisory ID [--report [--html FILE]]\n"
	    "                              one advisory and its distribution report;\n"
	    "                              --report: the reviewer's whole record of it;\n"
	    "                              --html: as a page with a timeline (- : stdout)\n"
	    "  report --html DIR           a page per advisory and an index.html into DIR\n"
	    "  advisory ID participant add|drop NAME\n"
	    "                              name a participant block for one advisory\n"
	    "  outbox [retry [ID]]         copies and notices not yet delivered, and why;\n"
	    "                              retry: make them (or entry ID) due now, after\n"
	    "                              importing a key or mending a refusal\n"
	    "  keys                        each member's and participant's key or certificate:\n"
	    "                              OpenPGP or S/MIME, its pin, usable, expiry, days left\n"
	    "  hooks [retry ID | drop ID]  the release hooks' runs: pending, running, done,\n"
	    "                              failed; retry: run ID again; drop: never run it\n"
	    "  audit [--since WHEN] [--advisory ID]   the audit log, oldest first (JSON lines)\n"
	    "  audit verify [--tip SEQ:HASH]  check the audit log's hash chain end to end\n"
	    "                              (and that it still reaches a head kept elsewhere)\n"
	    "  embargo ID --until WHEN     set or move an embargo date (audited)\n"
	    "  embargo ID --now [--reason TEXT]  lift it at once: held postings go out\n"
	    "                              now; before the date an early release, TEXT\n"
	    "                              told to every member and audited\n"
	    "  held [show H | release H | drop H --why TEXT]   the hold queue\n"
	    "  upcoming [--ics]            advisory ids and public dates, nothing else;\n"
	    "                              --ics: as an iCalendar file (RFC 5545)\n"
	    "  timeline --reported WHEN [--discoverer-date WHEN]\n"
	    "                              the suggested disclosure timeline for a report\n"
	    "  members [--public]          the members: address, OpenPGP or S/MIME, pin, expiry;\n"
	    "                              --public: organisation names only\n"
	    "  member vet --name ORG --address ADDR (--key FILE | --certificate FILE)\n"
	    "                              check an applicant as a reload would, its OpenPGP\n"
	    "                              key or its S/MIME certificate (PEM or DER, one);\n"
	    "                              imports nothing; prints the block to paste\n"
	    "  record index FILE | record osv DIR --url PATTERN [--id-prefix P] |\n"
	    "  record csaf DIR --url PATTERN --base URL --publisher NAME --namespace URL\n"
	    "         --product NAME     as a release_hook: the advisory index (xsa.json), its\n"
	    "                              OSV record or its CSAF 2.0 document, from its text\n"
	    "  backup FILE|-|--dir [--secret-keys]\n"
	    "                              the whole state, taken while the daemon runs,\n"
	    "                              encrypted to backup.recipients (--dir: into\n"
	    "                              backup.dir, keeping backup.keep)\n"
	    "  restore FILE [--gnupg-home DIR] [--standby]\n"
	    "                              a backup into an empty state_dir (the daemon\n"
	    "                              stopped), decrypted with DIR's key, its audit\n"
	    "                              chain verified; --standby: a standby's state\n"
	    "  promote [--force]           a standby made active, once the primary answers\n"
	    "                              nowhere (--force: you say it is down)\n"
	    "  trace [FILE]                whose copy a leaked message or pasted text came\n"
	    "                              from (its copy id or Message-ID); exit 1: none\n"
	    "  public add FILE...          text already public (messages or mbox): its word\n"
	    "                              runs never count as a leak (audited)\n"
	    "  public list | public drop NAME\n"
	    "                              the public text loaded, by file name\n"
	    "  dry-run --from A --to B [--to C ...] [--explain] [FILE]\n"
	    "                              what the milter would do with this message\n"
	    "                              (exit 0 pass, 1 reject, 3 hold, 4 fan-out)\n"
	    "See embargoctl(8).\n";

/* usage - the --help text */

static void
usage(FILE *fp)
{
	(void)fputs(usage_text, fp);
}

/*
 * dispatch_advisory - "advisory ID" in its forms: the command's exit
 * status in *rc, or false when the arguments are none of them
 */
static bool
dispatch_advisory(struct opts *o, int argc, char **argv, int *rc)
{
	if (argc == 3 && strcmp(argv[2], "--report") == 0)
		*rc = cmd_advisory_report(o, argv[1]);
	else if (argc == 5 && strcmp(argv[2], "--report") == 0 &&
	    strcmp(argv[3], "--html") == 0)
		*rc = cmd_advisory_html(o, argv[1], argv[4]);
	else if (argc == 5 && strcmp(argv[2], "participant") == 0)
		*rc = cmd_participant(o, argv[1], argv[3], argv[4]);
	else if (argc == 2)
		*rc = cmd_advisory(o, argv[1]);
	else
		return false;
	return true;
}

/*
 * dispatch_outbox - "outbox" and "outbox retry [ID]": the command's exit
 * status in *rc, or false when the arguments are neither
 */
static bool
dispatch_outbox(struct opts *o, int argc, char **argv, int *rc)
{
	if (argc == 1)
		*rc = cmd_outbox(o, false, NULL);
	else if (argc <= 3 && strcmp(argv[1], "retry") == 0)
		*rc = cmd_outbox(o, true, argc == 3 ? argv[2] : NULL);
	else
		return false;
	return true;
}

/*
 * The commands that dispatch() tells apart by their arguments: when none
 * of a known command's forms matched, the forms are the cure, not
 * "unknown command".
 */
static const struct { const char *cmd, *forms; } cmd_forms[] = {
	{ "advisory", "advisory ID [--report [--html FILE]] | advisory ID "
	    "participant add|drop NAME" },
	{ "outbox", "outbox [retry [ID]]" },
	{ "upcoming", "upcoming [--ics]" },
	{ "report", "report --html DIR" },
	{ "trace", "trace [FILE]" },
	{ "record", "record index FILE | record osv DIR --url PATTERN ... | "
	    "record csaf DIR --url PATTERN --base URL ..." },
	{ "member", "member vet --name ORG --address ADDR (--key FILE | "
	    "--certificate FILE)" },
};

/* unmatched - a command none of whose forms matched, or no command */

static int
unmatched(const char *cmd)
{
	for (size_t i = 0; i < sizeof(cmd_forms) / sizeof(cmd_forms[0]); i++)
		if (strcmp(cmd, cmd_forms[i].cmd) == 0)
			return cli_usage(cmd_forms[i].forms);
	fprintf(stderr, "embargoctl: unknown command \"%s\"; see "
	    "embargoctl --help\n", cmd);
	return EXIT_USAGE;
}

/* dispatch - one command, by name, with its own arguments */

static int
dispatch(struct opts *o, const char *cmd, int argc, char **argv)
{
	int rc;

	/* Once, for every command that reads a message (policy_read()). */
	g_mime_init();
	if (strcmp(cmd, "check") == 0)
		return cmd_check(o);
	if (strcmp(cmd, "dry-run") == 0)
		return cmd_dry_run(o, argc, argv);
	cli_note_operator();
	if (strcmp(cmd, "embargo") == 0)
		return cmd_embargo(o, argc, argv);
	if (strcmp(cmd, "held") == 0)
		return cmd_held(o, argc, argv);
	if (strcmp(cmd, "trace") == 0 && argc <= 2)
		return cmd_trace(o, argc > 1 ? argv[1] : NULL);
	if (strcmp(cmd, "public") == 0)
		return cmd_public(o, argc, argv);
	if (strcmp(cmd, "upcoming") == 0 && argc == 2 &&
	    strcmp(argv[1], "--ics") == 0)
		return cmd_upcoming_ics(o);
	if (strcmp(cmd, "upcoming") == 0 && argc == 1)
		return cmd_upcoming(o);
	if (strcmp(cmd, "report") == 0 && argc == 3 &&
	    strcmp(argv[1], "--html") == 0)
		return cmd_report_html(o, argv[2]);
	if (strcmp(cmd, "timeline") == 0)
		return cmd_timeline(o, argc, argv);
	if (strcmp(cmd, "record") == 0)
		return cmd_record(o, argc, argv);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(o, argc, argv);
	if (strcmp(cmd, "restore") == 0)
		return cmd_restore(o, argc, argv);
	if (strcmp(cmd, "promote") == 0)
		return cmd_promote(o, argc, argv);
	if (strcmp(cmd, "members") == 0)
		return cmd_members(o, argc, argv);
	if (strcmp(cmd, "member") == 0 && argc > 1 && strcmp(argv[1], "vet") == 0)
		return cmd_member_vet(o, argc, argv);
	if (strcmp(cmd, "advisories") == 0)
		return cmd_advisories(o);
	if (strcmp(cmd, "advisory") == 0 &&
	    dispatch_advisory(o, argc, argv, &rc))
		return rc;
	if (strcmp(cmd, "outbox") == 0 && dispatch_outbox(o, argc, argv, &rc))
		return rc;
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(o);
	if (strcmp(cmd, "hooks") == 0)
		return cmd_hooks(o, argc, argv);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(o, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	return unmatched(cmd);
}

/*
 * embargoctl_run - global options, then the command: main()'s work
 * (cli/main.c), apart so that the tests run the table without a process
 * of its own.  Parses with getopt from optind; a caller that runs it
 * again sets optind to 0 first.
 */
int
embargoctl_run(int argc, char **argv)
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
	return dispatch(&o, cmd, argc, argv);
}
