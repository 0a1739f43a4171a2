/*
 * cmd_embargo.c - embargoctl's commands that steer embargoes: embargo,
 * held (list, show, release, drop) and upcoming
 *
 * Every change is one audited transaction; then the daemon is woken
 * (SIGUSR1, through the pid file in state_dir) so that its release timer
 * follows at once.
 */

/* System library. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"
#include "../policy/policy.h"
#include "../util/emtime.h"

/* wake_daemon - SIGUSR1 to the running daemon, if there is one */

static void
wake_daemon(const struct config *cfg)
{
	long pid = cli_daemon_pid(cfg);

	if (pid == 0 || kill((pid_t)pid, SIGUSR1) < 0)
		fprintf(stderr, "embargoctl: the daemon was not woken (%s/"
		    "embargo-milter.pid); it follows within a minute\n",
		    cfg->state_dir);
}


/* change_why - the audit's and the operator's words for a change of
 * date: from what (a: NULL when new) to when, by whom, and for an early
 * release why */

static void
change_why(const struct config *cfg, const struct store_advisory *a,
    time_t when, time_t now, const char *early, char *why, size_t n)
{
	char was[EM_TIME_BUFSZ], now_s[EM_TIME_BUFSZ];

	(void)snprintf(why, n, "%s%s -> %s by %s%s%s%s%s",
	    a != NULL ? "moved from " : "set: ", a != NULL ? (a->embargo ?
	    em_time_format(a->embargo, was) : "public") : "",
	    em_time_format(when, now_s), cli_operator(),
	    when - now > cfg->max_embargo ? " (longer than max_embargo, on "
	    "purpose)" : "", early != NULL ? " (early release: " : "",
	    early != NULL ? early : "", early != NULL ? ")" : "");
}

/* set_by - who set a's date: this operator, whole or named in the audit */

static void
set_by(struct store_advisory *a)
{
	struct em_err err;

	if (em_fmt(a->embargo_set_by, sizeof(a->embargo_set_by),
	    "embargo_set_by", &err, "embargoctl by %s", cli_operator()) < 0)
		(void)snprintf(a->embargo_set_by, sizeof(a->embargo_set_by),
		    "embargoctl (its operator is in the audit)");
}

/* cli_set_embargo - the registry change and its audit, one transaction */

int
cli_set_embargo(const struct opts *o, const struct config *cfg,
    struct store *s, const char *id, time_t when, const char *reason)
{
	struct store_advisory a, old;
	struct store_txn *t;
	struct em_err err;
	struct strv rv = { NULL, 0 };
	char why[800];
	bool early, known;
	time_t now = time(NULL);
	int rc;

	if (store_begin(s, true, &t, &err) < 0) {
		cli_fail(o, "embargo %s: %s", id, err.msg);
		return EXIT_USAGE;
	}
	rc = store_adv_get(t, id, &a, &err);
	if (rc < 0 && rc != EM_ENOTFOUND) {
		store_abort(t);
		cli_fail(o, "embargo %s: the registry entry cannot be read: %s", id,
		    err.msg);
		return EXIT_USAGE;
	}
	known = rc == EM_OK;
	if (!known) {
		memset(&a, 0, sizeof(a));
		if (em_copy(a.id, sizeof(a.id), id, "the advisory id",
		    &err) < 0) {
			store_abort(t);
			cli_fail(o, "embargo: %s", err.msg);
			return EXIT_USAGE;
		}
	}
	old = a;
	/* Made public before its date: an early release, and why. */
	early = known && a.state == STORE_ADV_EMBARGOED && a.embargo > now &&
	    when <= now;
	change_why(cfg, known ? &a : NULL, when, now, early ? (reason != NULL ?
	    reason : "no reason given") : NULL, why, sizeof(why));
	/* An early release and why, for the members' later notice. */
	if (early)
		strv_push(&rv, reason != NULL ? reason : "no reason given");
	a.embargo = when;
	a.state = when > now ? STORE_ADV_EMBARGOED : STORE_ADV_PUBLIC;
	set_by(&a);
	/* Prepared releases follow the new date in the same transaction:
	 * none may leave at the old one. */
	if ((rc = ledger_adv_put(t, known ? &old : NULL, &a, now, &err)) ==
	    EM_OK && (rc = store_adv_list_put(t, "early-reason", id, &rv,
	    &err)) == EM_OK)
		rc = cli_audit(t, known ? "embargo-changed" : "embargo-set", id,
		    when, why, &err);
	strv_free(&rv);
	if (cli_finish(t, rc, &err) != EXIT_OK)
		return EXIT_USAGE;
	cli_say(o, "%s: %s", id, why);
	wake_daemon(cfg);
	return EXIT_OK;
}

/* without - names but name into kept (then name, with add); was it there? */

static bool
without(const struct strv *names, const char *name, bool add, struct strv *kept)
{
	bool had = false;

	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], name) == 0)
			had = true;
		else
			strv_push(kept, names->v[i]);
	if (add && !had)
		strv_push(kept, name);
	return had;
}

/*
 * participant_change - in t, put name (its block p, if any) on advisory
 * id's participants (add) or take it off, audited; the audit text in why
 * (whysz bytes), whether it was one already in *had.  EM_OK or an EM_*
 * code with the reason in err.
 */
static int
participant_change(struct store_txn *t, const char *id, const char *name,
    const struct conf_member *p, bool add, char *why, size_t whysz,
    bool *had, struct em_err *err)
{
	struct strv names = { NULL, 0 }, kept = { NULL, 0 };
	struct store_advisory a;
	int rc;

	if ((rc = store_adv_get(t, id, &a, err)) == EM_OK &&
	    (rc = store_adv_list_get(t, "participants", id, &names, err)) ==
	    EM_OK)
		*had = without(&names, name, add, &kept);
	(void)snprintf(why, whysz, "participant \"%s\"%s%s%s %s %s by %s",
	    name, p ? " <" : "", p ? p->address : "", p ? ">" : "",
	    add ? "added to" : "dropped from", id, cli_operator());
	if (rc == EM_ENOTFOUND)
		(void)em_fail(err, rc, "no advisory %s", id);
	else if (*had != add &&
	    (rc = store_adv_list_put(t, "participants", id, &kept, err)) == EM_OK)
		rc = cli_audit(t, add ? "participant-added" :
		    "participant-dropped", id, a.embargo, why, err);
	strv_free(&names);
	strv_free(&kept);
	return rc;
}

/*
 * cmd_participant - advisory ID participant add|drop NAME: the team names
 * a participant block for one advisory, or takes it off, audited with
 * who; it gets every revision fanned out from then on and the final copy
 */
int
cmd_participant(const struct opts *o, const char *id, const char *verb,
    const char *name)
{
	bool add = strcmp(verb, "add") == 0;
	const struct conf_member *p;
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	char why[400];
	bool had = false;
	int rc;

	if (!add && strcmp(verb, "drop") != 0) {
		fprintf(stderr, "embargoctl: advisory ID participant add|drop "
		    "NAME\n");
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if ((p = conf_participant_by_name(cfg, name)) == NULL && add) {
		cli_fail(o, "no participant \"%s\" in %s; add a block "
		    "participant \"%s\" { address = \"...\"; key = \"40 hex "
		    "digits\" } and reload", name, cfg->path, name);
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	if (store_begin(s, true, &t, &err) < 0) {
		cli_fail(o, "participant: %s", err.msg);
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	rc = participant_change(t, id, name, p, add, why, sizeof(why), &had,
	    &err);
	if (cli_finish(t, rc, &err) != EXIT_OK) {
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	if (had == add)
		cli_say(o, "%s: participant \"%s\" %s; nothing changed", id, name,
		    add ? "is one already" : "is not one");
	else
		cli_say(o, "%s: %s%s", id, why, add ? "; it gets each revision "
		    "sent from now on and the final copy at release" : "");
	cli_close(cfg, s);
	return EXIT_OK;
}

/* cmd_embargo - embargo ID --until WHEN | --now */

#define EMBARGO_FORMS	"embargo ID --until WHEN | --now [--reason TEXT]"

/* The longest reason an early release gives. */
#define REASON_MAX	300

/* reason_ok - one line of text, not too long; else said why */

static bool
reason_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > REASON_MAX) {
		fprintf(stderr, "embargoctl: embargo --reason: give one line of 1 "
		    "to %d bytes (it goes into the audit and to every "
		    "member)\n", REASON_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f) {
			fprintf(stderr, "embargoctl: embargo --reason: one line, "
			    "no control characters\n");
			return false;
		}
	return true;
}

int
cmd_embargo(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "until", required_argument, NULL, 'u' },
		{ "now", no_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *until = NULL, *reason = NULL;
	bool now = false;
	struct config *cfg;
	struct store *s;
	time_t when;
	int ch, rc;

	/* The options follow the ID: none to read without one (getopt
	 * reads past argv's end when optind is past argc). */
	optind = 2;
	while (argc >= 2 && (ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'u')
			until = optarg;
		else if (ch == 'n')
			now = true;
		else if (ch == 'r')
			reason = optarg;
		else
			return cli_usage(EMBARGO_FORMS);
	}
	if (argc < 2 || argv[1][0] == '-' || (until == NULL) == !now ||
	    (reason != NULL && !now)) {
		fprintf(stderr, "embargoctl: %s\n", EMBARGO_FORMS);
		return EXIT_USAGE;
	}
	if (reason != NULL && !reason_ok(reason))
		return EXIT_USAGE;
	if (now)
		when = time(NULL);
	else if (cli_time_arg(until, &when) < 0)
		return EXIT_USAGE;
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	rc = cli_set_embargo(o, cfg, s, argv[1], when, reason);
	cli_close(cfg, s);
	return rc;
}

/* hold_state - a hold's state as a word */

static const char *
hold_state(int st)
{
	return st == STORE_HOLD_HELD ? "held" : st == STORE_HOLD_RELEASED ?
	    "released" : "dropped";
}

struct held_list { const struct opts *o; struct store_txn *t;
    struct em_err *err; };

/* held_cb - one line (or JSON object) of embargoctl held */

static int
held_cb(const struct store_hold *h, void *ctx)
{
	struct held_list *l = ctx;
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	time_t rel = h->released_at;
	int rc;

	if (h->state == STORE_HOLD_HELD &&
	    (rc = store_hold_due(l->t, h, time(NULL), &rel, l->err)) < 0)
		return rc;

	if (l->o->json) {
		struct cli_json *j = cj_new();

		cj_int(j, "id", (long long)h->id);
		cj_str(j, "state", hold_state(h->state));
		cj_str(j, "advisory", h->advisory);
		cj_time(j, "held_at", h->held_at);
		cj_time(j, "release", rel);
		cj_str(j, "sender", h->sender);
		cj_str(j, "rcpts", h->rcpts);
		cj_str(j, "why", h->why);
		cj_print(j);
	} else {
		printf("%-6llu %-9s %-16s %-24s %-24s %s\n",
		    (unsigned long long)h->id, hold_state(h->state),
		    h->advisory[0] ? h->advisory : "-", em_time_format(h->held_at,
		    t1), rel ? em_time_format(rel, t2) : "-", h->rcpts);
	}
	return 0;
}

/* held_show - one hold, its headers read from the sealed copy */

static int
held_show(const struct opts *o, const struct config *cfg, struct store_txn *t,
    uint64_t id)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct em_err err;
	struct held_list l = { o, t, &err };
	struct store_hold h;
	struct buf sealed, plain;
	struct facts f;
	int rc;

	if ((rc = store_hold_get(t, id, &h, &err)) < 0) {
		if (rc != EM_ENOTFOUND) {
			cli_fail(o, "hold %llu: %s", (unsigned long long)id,
			    err.msg);
			return EXIT_USAGE;
		}
		cli_fail(o, "no hold %llu", (unsigned long long)id);
		return EXIT_FINDING;
	}
	if (held_cb(&h, &l) < 0) {
		cli_fail(o, "hold %llu: %s", (unsigned long long)id, err.msg);
		return EXIT_USAGE;
	}
	buf_init(&sealed);
	buf_init(&plain);
	facts_init(&f);
	em_err_clear(&err);
	if ((rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed, &err)) < 0)
		;	/* err says why */
	else if ((rc = keys_unseal(sealed.data, sealed.len, &plain, &err)) ==
	    EM_OK)
		rc = policy_read(plain.data, plain.len, &lim, &f, &err);
	if (rc == EM_OK && !o->json)
		printf("  Subject:    %s\n  Message-ID: %s\n  Size:       %zu "
		    "bytes\n", f.subject, f.message_id ? f.message_id : "-",
		    plain.len);
	facts_free(&f);
	buf_free(&sealed);
	buf_free(&plain);
	if (rc != EM_OK) {
		cli_fail(o, "hold %llu: cannot read the held posting: %s",
		    (unsigned long long)id, err.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* cli_held_change - release now (why NULL), or drop with a reason */

int
cli_held_change(const struct opts *o, const struct config *cfg,
    struct store *s, uint64_t id, const char *why)
{
	struct store_txn *t;
	struct store_hold h;
	struct em_err err;
	char reason[300];
	int rc;

	if (store_begin(s, true, &t, &err) < 0) {
		cli_fail(o, "held %llu: %s", (unsigned long long)id, err.msg);
		return EXIT_USAGE;
	}
	if ((rc = store_hold_get(t, id, &h, &err)) < 0 &&
	    rc != EM_ENOTFOUND) {
		store_abort(t);
		cli_fail(o, "hold %llu: %s", (unsigned long long)id, err.msg);
		return EXIT_USAGE;
	}
	if (rc == EM_ENOTFOUND || h.state != STORE_HOLD_HELD) {
		store_abort(t);
		cli_fail(o, "no hold %llu is held", (unsigned long long)id);
		return EXIT_FINDING;
	}
	(void)snprintf(reason, sizeof(reason), "hold %llu %s by %s%s%s",
	    (unsigned long long)id, why ? "dropped" : "released now",
	    cli_operator(), why ? ": " : "", why ? why : "");
	/* What was prepared for its date is cancelled, or due now. */
	if ((rc = ledger_hold_change(t, &h, why, reason, time(NULL), &err)) ==
	    EM_OK)
		rc = cli_audit(t, why ? "dropped" : "release-requested",
		    h.advisory, 0, reason, &err);
	if (cli_finish(t, rc, &err) != EXIT_OK)
		return EXIT_USAGE;
	cli_say(o, "%s", reason);
	wake_daemon(cfg);
	return EXIT_OK;
}

/* cmd_held - held | held show H | held release H | held drop H --why T */

int
cmd_held(const struct opts *o, int argc, char **argv)
{
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	const char *why = NULL;
	uint64_t id = 0;
	int rc = EXIT_OK;

	if (argc >= 3) {
		char *end;

		id = strtoull(argv[2], &end, 10);
		if (*end != '\0' || id == 0)
			return cli_usage("held [show H | release H | drop H "
			    "--why TEXT], H the HOLD column of embargoctl held");
	}
	if (argc >= 2 && strcmp(argv[1], "drop") == 0) {
		if (argc != 5 || strcmp(argv[3], "--why") != 0 || !*argv[4]) {
			fprintf(stderr, "embargoctl: held drop H --why TEXT\n");
			return EXIT_USAGE;
		}
		why = argv[4];
	} else if (argc >= 2 && ((strcmp(argv[1], "show") != 0 &&
	    strcmp(argv[1], "release") != 0) || argc != 3)) {
		fprintf(stderr, "embargoctl: held [show H | release H | drop H "
		    "--why TEXT]\n");
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (argc >= 2 && strcmp(argv[1], "show") != 0) {
		rc = cli_held_change(o, cfg, s, id, why);
	} else if (store_begin(s, false, &t, &err) == EM_OK) {
		if (argc >= 2) {
			rc = held_show(o, cfg, t, id);
		} else {
			struct held_list l = { o, t, &err };

			if (!o->json)
				printf("%-6s %-9s %-16s %-24s %-24s %s\n", "HOLD",
				    "STATE", "ADVISORY", "HELD AT", "RELEASE",
				    "RECIPIENTS");
			if (store_hold_each(t, held_cb, &l, &err) < 0) {
				cli_fail(o, "held: %s", err.msg);
				rc = EXIT_USAGE;
			}
		}
		store_abort(t);
	} else {
		cli_fail(o, "held: %s", err.msg);
		rc = EXIT_USAGE;
	}
	cli_close(cfg, s);
	return rc;
}

struct up { const struct opts *o; time_t now; };

/* up_cb - one advisory still under embargo: its id and date only */

static int
up_cb(const struct store_advisory *a, void *ctx)
{
	struct up *u = ctx;
	char t[EM_TIME_BUFSZ];

	if (a->state != STORE_ADV_EMBARGOED || a->embargo <= u->now)
		return 0;
	if (u->o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "id", a->id);
		cj_time(j, "public_at", a->embargo);
		cj_print(j);
	} else {
		printf("%-20s %s\n", a->id, em_time_format(a->embargo, t));
	}
	return 0;
}

/*
 * cli_upcoming_list - the advisories still under embargo at now: their
 * ids and dates, nothing else
 */
int
cli_upcoming_list(const struct opts *o, struct store *s, time_t now)
{
	struct up u = { o, now };
	struct store_txn *t;
	struct em_err err;

	if (store_begin(s, false, &t, &err) < 0) {
		cli_fail(o, "upcoming: %s", err.msg);
		return EXIT_USAGE;
	}
	if (store_adv_each(t, up_cb, &u, &err) < 0) {
		store_abort(t);
		cli_fail(o, "upcoming: %s", err.msg);
		return EXIT_USAGE;
	}
	store_abort(t);
	return EXIT_OK;
}

/* cmd_upcoming - the public pre-announcement: ids and dates, nothing else */

int
cmd_upcoming(const struct opts *o)
{
	struct config *cfg;
	struct store *s;
	int rc;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	rc = cli_upcoming_list(o, s, time(NULL));
	cli_close(cfg, s);
	return rc;
}

/*
 * cmd_timeline - the suggested disclosure timeline for a report, for the
 * team to propose to the discoverer (SPEC 6)
 */
int
cmd_timeline(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "reported", required_argument, NULL, 'r' },
		{ "discoverer-date", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	time_t reported = (time_t)-1, asked = 0;
	struct policy_timeline t;
	struct config *cfg;
	char a[EM_TIME_BUFSZ], b[EM_TIME_BUFSZ], c[EM_TIME_BUFSZ];
	int ch;

	optind = 1;
	bool bad = false;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'r')
			bad |= cli_time_arg(optarg, &reported) < 0;
		else if (ch == 'd')
			bad |= cli_time_arg(optarg, &asked) < 0;
		else
			bad = true;
	}
	if (bad || reported == (time_t)-1 || optind != argc) {
		fprintf(stderr, "embargoctl: timeline --reported WHEN "
		    "[--discoverer-date WHEN]\n");
		return EXIT_USAGE;
	}
	if ((cfg = cli_load(o)) == NULL)
		return EXIT_USAGE;
	policy_timeline(cfg, reported, asked, &t);
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_time(j, "reported", t.reported);
		cj_time(j, "predisclosure", t.predisclosure);
		cj_time(j, "public", t.public_at);
		cj_time(j, "discoverer_date", t.asked);
		cj_str(j, "note", t.note);
		cj_print(j);
	} else {
		printf("reported:       %s\n", em_time_format(t.reported, a));
		printf("pre-disclosure: %s  (the advisory to the list: one "
		    "working week on)\n", em_time_format(t.predisclosure, b));
		printf("public:         %s  (%s)\n", em_time_format(t.public_at, c),
		    t.note);
	}
	conf_free(cfg);
	return EXIT_OK;
}
