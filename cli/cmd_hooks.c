/*
 * cmd_hooks.c - embargoctl hooks: the release hooks' runs (pending,
 * running, done, failed), and "hooks retry ID" / "hooks drop ID"
 *
 * A run is an outbox entry of kind "hook" (outbox/hook.c); the daemon's
 * hook runner looks for due runs every two seconds, so a retried run
 * starts within seconds.  Each change is one audited transaction.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "cli.h"
#include "../util/emtime.h"

/* run_state - a hook run's state in words */

static const char *
run_state(const struct store_outbox *ob)
{
	switch (ob->state) {
	case STORE_OB_QUEUED:	return ob->attempts ? "retrying" : "pending";
	case STORE_OB_BUILT:	return "running";
	case STORE_OB_SENT:	return "done";
	case STORE_OB_FAILED:	return "failed";
	default:		return "unknown";
	}
}

/* run_print - one run as a table row or a JSON line */

static int
run_print(const struct store_outbox *ob, void *ctx)
{
	const struct opts *o = ctx;
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];

	if (ob->kind != STORE_OB_HOOK)
		return 0;
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_int(j, "id", (long long)ob->id);
		cj_str(j, "hook", ob->member);
		cj_str(j, "advisory", ob->advisory);
		cj_int(j, "revision", ob->revision);
		cj_str(j, "state", run_state(ob));
		cj_int(j, "runs", ob->attempts);
		cj_time(j, "queued", ob->created);
		cj_time(j, "next_try", ob->state == STORE_OB_QUEUED ?
		    ob->next_try : 0);
		cj_time(j, "done_at", ob->sent_at);
		cj_str(j, "last_error", ob->last_error);
		cj_print(j);
		return 0;
	}
	printf("%-6llu %-20s %-16s r%-3d %-9s %4u %-24s %s\n",
	    (unsigned long long)ob->id, ob->member, ob->advisory, ob->revision,
	    run_state(ob), ob->attempts, ob->state == STORE_OB_SENT ?
	    em_time_format(ob->sent_at, t1) : ob->state == STORE_OB_QUEUED ?
	    em_time_format(ob->next_try, t2) : "-", ob->last_error[0] ?
	    ob->last_error : "-");
	return 0;
}

/* hooks_list - every run, oldest first */

static int
hooks_list(const struct opts *o, struct store *s)
{
	struct store_txn *t;
	struct em_err err;
	int rc = EXIT_OK;

	if (store_begin(s, false, &t, &err) < 0) {
		cli_fail(o, "hooks: %s", err.msg);
		return EXIT_USAGE;
	}
	if (!o->json)
		printf("%-6s %-20s %-16s %-4s %-9s %4s %-24s %s\n", "ID", "HOOK",
		    "ADVISORY", "REV", "STATE", "RUNS", "NEXT TRY / DONE",
		    "LAST ERROR");
	if (store_ob_each(t, run_print, (void *)o, &err) < 0) {
		cli_fail(o, "hooks: %s", err.msg);
		rc = EXIT_USAGE;
	}
	store_abort(t);
	return rc;
}

/*
 * hooks_step - in t, run ob due again now (retry, its count of runs
 * started again) or dropped, and the audit record saying why
 */
static int
hooks_step(struct store_txn *t, struct store_outbox *ob, bool retry,
    const char *why, struct em_err *err)
{
	struct store_audit a = { 0 };
	int rc;

	if (retry) {
		ob->attempts = 0;
		rc = ledger_ob_step(ob, LEDGER_OB_RETRY, time(NULL), "", err);
	} else {
		char said[160];

		(void)snprintf(said, sizeof(said), "dropped by %s",
		    cli_operator());
		rc = ledger_ob_step(ob, LEDGER_OB_DROPPED, 0, said, err);
	}
	a.time = time(NULL);
	a.event = retry ? "hook-retry" : "hook-dropped";
	a.sender = cli_operator();
	a.advisory = ob->advisory;
	a.revision = ob->revision;
	a.decision = a.event;
	a.reason = why;
	if (rc == EM_OK && (rc = ledger_ob_put(t, ob, err)) == EM_OK)
		rc = store_audit_append(t, &a, err);
	return rc;
}

/*
 * cli_hooks_change - retry (a failed or waiting run due now, its count of
 * runs started again) or drop (never run again) one run, audited
 */
int
cli_hooks_change(const struct opts *o, struct store *s, bool retry,
    const char *arg)
{
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	char why[400], *end = NULL;
	unsigned long long id = strtoull(arg, &end, 10);
	int rc;

	if (id == 0 || *end != '\0') {
		cli_fail(o, "hooks: %s is not a run id (the ID column of "
		    "embargoctl hooks)", arg);
		return EXIT_USAGE;
	}
	em_err_clear(&err);
	if (store_begin(s, true, &t, &err) < 0) {
		cli_fail(o, "hooks: %s", err.msg);
		return EXIT_USAGE;
	}
	if ((rc = store_ob_get(t, id, &ob, &err)) < 0 && rc != EM_ENOTFOUND) {
		store_abort(t);
		cli_fail(o, "hook run %llu: %s", id, err.msg);
		return EXIT_USAGE;
	}
	if (rc == EM_ENOTFOUND || ob.kind != STORE_OB_HOOK ||
	    ob.state == STORE_OB_SENT || (!retry && ob.state == STORE_OB_FAILED)) {
		store_abort(t);
		cli_fail(o, "no %s hook run %llu (embargoctl hooks lists them)",
		    retry ? "pending or failed" : "pending", id);
		return EXIT_FINDING;
	}
	(void)snprintf(why, sizeof(why), "release_hook \"%s\" run %llu for %s "
	    "revision %d %s by %s", ob.member, id, ob.advisory, ob.revision,
	    retry ? "due again" : "dropped", cli_operator());
	rc = hooks_step(t, &ob, retry, why, &err);
	if (cli_finish(t, rc, &err) != EXIT_OK)
		return EXIT_USAGE;
	cli_say(o, "%s%s", why, retry ? "; the daemon starts it within seconds"
	    : "");
	return EXIT_OK;
}

/* cmd_hooks - hooks | hooks retry ID | hooks drop ID */

int
cmd_hooks(const struct opts *o, int argc, char **argv)
{
	struct config *cfg;
	struct store *s;
	int rc;

	if (argc != 1 && !(argc == 3 && (strcmp(argv[1], "retry") == 0 ||
	    strcmp(argv[1], "drop") == 0))) {
		fprintf(stderr, "embargoctl: hooks [retry ID | drop ID]\n");
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (argc == 1)
		rc = hooks_list(o, s);
	else
		rc = cli_hooks_change(o, s, strcmp(argv[1], "retry") == 0, argv[2]);
	cli_close(cfg, s);
	return rc;
}
