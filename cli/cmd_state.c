/*
 * cmd_state.c - embargoctl's views of the state: advisories, the outbox,
 * the keys, the audit log
 */

/* System library. */
#include <getopt.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "cli.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

/* ts - a time for tables ("-" for none) */

static const char *
ts(time_t t, char *buf)
{
	if (t == 0) {
		(void)snprintf(buf, EM_TIME_BUFSZ, "-");
		return buf;
	}
	return em_time_format(t, buf);
}

struct counts { const char *id; unsigned sent, waiting; };

/* count_cb - count one advisory's copies, sent and waiting */

static int
count_cb(const struct store_outbox *ob, void *ctx)
{
	struct counts *c = ctx;

	if (ob->kind != STORE_OB_COPY || strcmp(ob->advisory, c->id) != 0)
		return 0;
	if (ob->state == STORE_OB_SENT)
		c->sent++;
	else
		c->waiting++;
	return 0;
}

struct adv_list { const struct opts *o; struct store_txn *t;
    struct em_err *err; };

/* adv_cb - one line (or JSON object) of embargoctl advisories */

static int
adv_cb(const struct store_advisory *a, void *ctx)
{
	struct adv_list *l = ctx;
	struct counts c = { a->id, 0, 0 };
	struct strv dep = { NULL, 0 }, parts = { NULL, 0 };
	char t[EM_TIME_BUFSZ];
	const char *state = a->state == STORE_ADV_EMBARGOED &&
	    a->embargo > time(NULL) ? "embargoed" : "public";

	if (store_ob_each(l->t, count_cb, &c, l->err) < 0 ||
	    store_adv_list_get(l->t, "deployment", a->id, &dep, l->err) < 0 ||
	    store_adv_list_get(l->t, "participants", a->id, &parts,
	    l->err) < 0) {
		strv_free(&dep);
		strv_free(&parts);
		return EM_ESTORE;
	}
	if (l->o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "id", a->id);
		cj_str(j, "state", state);
		cj_time(j, "embargo", a->embargo);
		cj_int(j, "revision", a->revision);
		cj_int(j, "copies_sent", c.sent);
		cj_int(j, "copies_waiting", c.waiting);
		cj_str(j, "deployment", dep.n ? dep.v[0] : "not stated");
		cj_int(j, "participants", (long long)parts.n);
		cj_print(j);
	} else {
		printf("%-20s %-10s %-24s %8d %5u %7u %5zu  %s\n", a->id, state,
		    ts(a->embargo, t), a->revision, c.sent, c.waiting, parts.n,
		    dep.n ? dep.v[0] : "not stated");
	}
	strv_free(&dep);
	strv_free(&parts);
	return 0;
}

/* cmd_advisories - the registry */

int
cmd_advisories(const struct opts *o)
{
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	struct adv_list l = { o, NULL, &err };
	int rc = EXIT_OK;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	em_err_clear(&err);
	if (store_begin(s, false, &t, &err) == EM_OK) {
		l.t = t;
		if (!o->json)
			printf("%-20s %-10s %-24s %8s %5s %7s %5s  %s\n", "ID",
			    "STATE", "EMBARGO", "REVISION", "SENT", "WAITING",
			    "PARTS", "DEPLOYMENT");
		if (store_adv_each(t, adv_cb, &l, &err) < 0)
			rc = EXIT_USAGE;
		store_abort(t);
	} else {
		rc = EXIT_USAGE;
	}
	if (rc != EXIT_OK)
		cli_fail(o, "advisories: %s", err.msg);
	cli_close(cfg, s);
	return rc;
}

struct ob_list { const struct opts *o; const char *advisory; bool all; };

/*
 * cli_ob_shown - is ob a line of "outbox" (advisory NULL: what has not
 * been sent, unless all) or of "advisory ID" (its members' copies)?
 * Hook runs are not mail: "hooks" lists them.
 */
bool
cli_ob_shown(const struct store_outbox *ob, const char *advisory, bool all)
{
	return ob->kind != STORE_OB_HOOK &&
	    (all || ob->state != STORE_OB_SENT) &&
	    (advisory == NULL || (strcmp(ob->advisory, advisory) == 0 &&
	    ob->kind == STORE_OB_COPY));
}

/* ob_print - one outbox entry as a table row or a JSON line */

static int
ob_print(const struct store_outbox *ob, void *ctx)
{
	struct ob_list *l = ctx;
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];

	if (!cli_ob_shown(ob, l->advisory, l->all))
		return 0;
	if (l->o->json) {
		struct cli_json *j = cj_new();

		cj_int(j, "id", (long long)ob->id);
		cj_str(j, "kind", store_ob_kind(ob->kind)->word);
		cj_str(j, "advisory", ob->advisory);
		cj_int(j, "revision", ob->revision);
		cj_str(j, "member", ob->member);
		cj_str(j, "rcpt", ob->rcpt);
		cj_str(j, "key", ob->key);
		cj_str(j, "state", ledger_ob_state_name(ob->state));
		cj_int(j, "attempts", ob->attempts);
		cj_time(j, "sent_at", ob->sent_at);
		cj_str(j, "message_id", ob->message_id);
		cj_str(j, "queue_id", ob->queue_id);
		cj_str(j, "copy_id", ob->copy_id);
		cj_str(j, "last_error", ob->last_error);
		cj_str(j, "cause", ledger_ob_cause_name(ob->cause));
		if (ob->hold != 0)
			cj_int(j, "hold", (long long)ob->hold);
		cj_print(j);
	} else if (l->advisory) {
		printf("%-24s %-32s r%-3d %-11s %-24s %-40s %-12s %s\n",
		    ob->member, ob->rcpt, ob->revision, ledger_ob_state_name(ob->state),
		    ts(ob->sent_at, t1), ob->key, ob->queue_id[0] ? ob->queue_id :
		    "-", ob->copy_id[0] ? ob->copy_id : "-");
	} else {
		printf("%-6llu %-7s %-16s r%-3d %-32s %-11s %3u %-24s %s\n",
		    (unsigned long long)ob->id, store_ob_kind(ob->kind)->word,
		    ob->advisory,
		    ob->revision, ob->rcpt, ledger_ob_state_name(ob->state), ob->attempts,
		    ob->state == STORE_OB_SENT ? ts(ob->sent_at, t2) :
		    ob->state == STORE_OB_QUEUED || ob->state == STORE_OB_BUILT ?
		    ts(ob->next_try, t2) : "-", ob->last_error);
	}
	return 0;
}

/* print_extras - an advisory's deployment state and its participants */

static void
print_extras(const struct config *cfg, struct store_txn *t, const char *id)
{
	struct strv v = { NULL, 0 };
	struct em_err err;

	if (store_adv_list_get(t, "deployment", id, &v, &err) < 0)
		printf("deployment: cannot be read: %s\n", err.msg);
	else
		printf("deployment: %s (the section's first sentence is in each "
		    "copy's note)\n", v.n ? v.v[0] : "not stated");
	strv_free(&v);
	if (store_adv_list_get(t, "participants", id, &v, &err) < 0)
		printf("participants: cannot be read: %s\n", err.msg);
	for (size_t i = 0; i < v.n; i++) {
		const struct conf_member *p =
		    conf_participant_by_name(cfg, v.v[i]);

		printf("participant: %s <%s>\n", v.v[i], p ? p->address :
		    "no block in the config: no copies");
	}
	strv_free(&v);
}

/* cmd_advisory - one advisory and its distribution report */

int
cmd_advisory(const struct opts *o, const char *id)
{
	struct config *cfg;
	struct store *s;
	struct ob_list l = { o, id, true };
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;
	char tb[EM_TIME_BUFSZ];
	int rc = EXIT_OK;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (store_begin(s, false, &t, &err) < 0) {
		cli_fail(o, "advisory: %s", err.msg);
		rc = EXIT_USAGE;
	} else if ((rc = store_adv_get(t, id, &a, &err)) != EM_OK) {
		if (rc == EM_ENOTFOUND) {
			cli_fail(o, "no advisory %s", id);
			rc = EXIT_FINDING;
		} else {
			cli_fail(o, "advisory %s: %s", id, err.msg);
			rc = EXIT_USAGE;
		}
		store_abort(t);
	} else {
		if (!o->json) {
			printf("advisory %s: revision %d, %s, embargo %s (set by "
			    "%s)\n", a.id, a.revision, a.state ==
			    STORE_ADV_EMBARGOED ? "embargoed" : "public",
			    ts(a.embargo, tb), a.embargo_set_by);
			print_extras(cfg, t, id);
			printf("\n%-24s %-32s %-4s %-11s %-24s %-40s %-12s %s\n",
			    "MEMBER", "ADDRESS", "REV", "STATE", "SENT", "KEY",
			    "QUEUE ID", "COPY ID");
		}
		if (store_ob_each(t, ob_print, &l, &err) < 0) {
			cli_fail(o, "advisory %s: %s", id, err.msg);
			rc = EXIT_USAGE;
		}
		store_abort(t);
	}
	cli_close(cfg, s);
	return rc;
}

struct retry { const struct config *cfg; struct store_txn *t; uint64_t id;
    unsigned n; struct em_err *err; };

/* retry_cb - put a waiting or failed entry back, with the member's key now */

static int
retry_cb(const struct store_outbox *ob, void *ctx)
{
	struct retry *r = ctx;
	struct store_outbox copy = *ob;
	int rc;

	if (ob->kind == STORE_OB_HOOK || (r->id != 0 && ob->id != r->id) ||
	    !ledger_ob_retryable(ob))
		return 0;	/* hook runs: embargoctl hooks retry; what a
				   dropped hold had prepared never leaves */
	if (ob->kind == STORE_OB_COPY) {
		const struct conf_member *m = conf_member_by_addr(r->cfg, ob->rcpt);

		if (m == NULL)
			m = conf_participant_by_addr(r->cfg, ob->rcpt);
		if (m == NULL && conf_addr_role(r->cfg, ob->rcpt) != CONF_ROLE_TEAM)
			return 0;	/* no longer a member: stays as it is */
		if (m != NULL && (rc = em_copy(copy.key, sizeof(copy.key),
		    m->key, "the member's key", r->err)) < 0)
			return rc;
	}
	/* Copies are built again (with the key now), others sent again. */
	if ((rc = ledger_ob_step(&copy, LEDGER_OB_RETRY, time(NULL), "",
	    r->err)) < 0 || (rc = ledger_ob_put(r->t, &copy, r->err)) < 0)
		return rc;
	r->n++;
	return 0;
}

/* cli_outbox_retry - everything not sent (or entry id) becomes due now */

int
cli_outbox_retry(const struct opts *o, const struct config *cfg, struct store *s,
    uint64_t id)
{
	struct store_audit a = { 0 };
	struct em_err err;
	struct retry r = { cfg, NULL, id, 0, &err };
	char why[64];

	em_err_clear(&err);
	if (store_begin(s, true, &r.t, &err) < 0) {
		cli_fail(o, "outbox retry: %s", err.msg);
		return EXIT_USAGE;
	}
	if (store_ob_each(r.t, retry_cb, &r, &err) < 0) {
		store_abort(r.t);
		cli_fail(o, "outbox retry: %s", err.msg);
		return EXIT_USAGE;
	}
	if (id != 0 && r.n == 0) {
		store_abort(r.t);
		cli_fail(o, "no undelivered outbox entry %llu",
		    (unsigned long long)id);
		return EXIT_FINDING;
	}
	if (id != 0)
		(void)snprintf(why, sizeof(why), "entry %llu due again",
		    (unsigned long long)id);
	else
		(void)snprintf(why, sizeof(why), "%u entries due again", r.n);
	a.time = time(NULL);
	a.event = "outbox-retry";
	a.decision = "retry";
	a.reason = why;
	if (cli_finish(r.t, store_audit_append(r.t, &a, &err), &err) != EXIT_OK)
		return EXIT_USAGE;
	cli_say(o, "%u outbox entries are due again; the daemon sends them "
	    "within seconds", r.n);
	return EXIT_OK;
}

/* cmd_outbox - what has not left yet, and why; or retry it */

int
cmd_outbox(const struct opts *o, bool retry, const char *id)
{
	struct config *cfg;
	struct store *s;
	unsigned long long n = 0;
	char *end = NULL;
	int rc = EXIT_OK;

	if (id != NULL && ((n = strtoull(id, &end, 10)) == 0 || *end != '\0')) {
		cli_fail(o, "outbox retry: %s is not an outbox entry id (the "
		    "ID column of embargoctl outbox)", id);
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (retry)
		rc = cli_outbox_retry(o, cfg, s, (uint64_t)n);
	else
		rc = cli_outbox_list(o, s);
	cli_close(cfg, s);
	return rc;
}

/* cli_outbox_list - what has not left yet, and why: a table or JSON lines */

int
cli_outbox_list(const struct opts *o, struct store *s)
{
	struct ob_list l = { o, NULL, false };
	struct store_txn *t;
	struct em_err err;
	int rc = EXIT_OK;

	if (store_begin(s, false, &t, &err) < 0) {
		cli_fail(o, "outbox: %s", err.msg);
		return EXIT_USAGE;
	}
	if (!o->json)
		printf("%-6s %-7s %-16s %-4s %-32s %-11s %3s %-24s %s\n", "ID",
		    "KIND", "ADVISORY", "REV", "RECIPIENT", "STATE", "TRY",
		    "NEXT TRY", "LAST ERROR");
	if (store_ob_each(t, ob_print, &l, &err) < 0) {
		cli_fail(o, "outbox: %s", err.msg);
		rc = EXIT_USAGE;
	}
	store_abort(t);
	return rc;
}

/* key_row - one recipient's key or certificate: what it reads, its pin,
 * usable, expiry and days left (or why not usable), as a table row or a
 * JSON line; false when it cannot be used */

static bool
key_row(const struct opts *o, const char *role, const struct conf_member *m,
    time_t now)
{
	struct keys_health h;
	char t[EM_TIME_BUFSZ], days[24];

	(void)keys_health(m->key, KEYS_USE_ENCRYPT, now, &h);
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "member", m->name);
		cj_str(j, "role", role);
		cj_str(j, "kind", m->smime ? "smime" : "openpgp");
		cj_str(j, "pin", m->key);
		cj_str(j, "key", m->key);	/* the pin's older name */
		cj_bool(j, "usable", h.usable);
		cj_time(j, "expires", h.expires);
		cj_int(j, "days_left", h.days_left);
		cj_str(j, "problem", h.problem);
		cj_print(j);
		return h.usable;
	}
	if (h.days_left < 0)
		(void)snprintf(days, sizeof(days), "-");
	else
		(void)snprintf(days, sizeof(days), "%ld", h.days_left);
	printf("%-24s %-11s %-7s %-64s %-6s %-24s %s\n", m->name, role,
	    m->smime ? "S/MIME" : "OpenPGP", m->key, h.usable ? "yes" : "NO",
	    !h.usable ? "-" : h.expires ? ts(h.expires, t) : "never",
	    h.usable ? days : h.problem);
	return h.usable;
}

/* cli_keys_list - each member's and participant's key or certificate */

int
cli_keys_list(const struct opts *o, const struct config *cfg, time_t now)
{
	int rc = EXIT_OK;

	if (!o->json)
		printf("%-24s %-11s %-7s %-64s %-6s %-24s %s\n", "NAME", "ROLE",
		    "KIND", "PIN", "USABLE", "EXPIRES", "DAYS LEFT");
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!key_row(o, "member", &cfg->members[i], now))
			rc = EXIT_FINDING;
	for (size_t i = 0; i < cfg->n_participants; i++)
		if (!key_row(o, "participant", &cfg->participants[i], now))
			rc = EXIT_FINDING;
	return rc;
}

/* cmd_keys - each member's and participant's key or certificate */

int
cmd_keys(const struct opts *o)
{
	struct config *cfg = cli_load(o);
	int rc;

	if (cfg == NULL)
		return EXIT_USAGE;
	rc = cli_keys_list(o, cfg, time(NULL));
	conf_free(cfg);
	return rc;
}

struct audit_list { const struct opts *o; time_t since; const char *adv; };

/* audit_cb - print one record if it matches the filters */

static int
audit_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct audit_list *l = ctx;
	char needle[96];

	(void)seq;
	if (l->adv != NULL) {
		(void)snprintf(needle, sizeof(needle), "\"advisory\":\"%s\"", l->adv);
		if (memmem(json, n, needle, strlen(needle)) == NULL)
			return 0;
	}
	if (l->since != 0 && n > 40) {
		const char *tp = memmem(json, n, "\"time\":\"", 8);
		time_t t;
		size_t used;

		if (tp && em_time_parse(tp + 8, 20, &t, &used) == EM_OK &&
		    t < l->since)
			return 0;
	}
	printf("%.*s\n", (int)n, json);
	return 0;
}

/*
 * verify_tip - SPEC 8: the chain must still reach a head kept elsewhere
 * (from a receipt, a notice or the syslog anchor).  A chain cut at its end
 * verifies on its own; against the head it does not.
 */
static int
verify_tip(struct store_txn *t, const char *tip, char *msg, size_t msz)
{
	char want[65], got[65], *end;
	unsigned long long seq = strtoull(tip, &end, 10);
	int rc;

	if (end == tip || *end != ':' || strlen(end + 1) != 64) {
		(void)snprintf(msg, msz, "--tip wants SEQ:SHA256, as receipts and "
		    "notices print it");
		return EXIT_USAGE;
	}
	(void)snprintf(want, sizeof(want), "%s", end + 1);
	for (char *p = want; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	rc = store_audit_hash_at(t, seq, got);
	if (rc == EM_ENOTFOUND) {
		(void)snprintf(msg, msz, "audit chain does NOT reach the head %s: "
		    "record %llu is missing (records removed from the end)", tip,
		    seq);
		return EXIT_FINDING;
	}
	if (rc < 0 || strcmp(got, want) != 0) {
		(void)snprintf(msg, msz, "audit chain does NOT reach the head %s: "
		    "record %llu differs", tip, seq);
		return EXIT_FINDING;
	}
	(void)snprintf(msg, msz, "audit chain reaches the head %llu:%s", seq,
	    want);
	return EXIT_OK;
}

/* audit_verify - the chain, and a head kept elsewhere; text or JSON */

static int
audit_verify(const struct opts *o, struct store_txn *t, const char *tip)
{
	uint64_t bad = 0, count = 0;
	bool ok = store_audit_verify(t, &bad, &count) == EM_OK;
	char msg[300] = "";
	int rc = ok ? EXIT_OK : EXIT_FINDING;

	if (ok && tip != NULL)
		rc = verify_tip(t, tip, msg, sizeof(msg));
	if (o->json) {
		struct cli_json *j = cj_new();

		cj_bool(j, "ok", rc == EXIT_OK);
		cj_bool(j, "chain_ok", ok);
		cj_int(j, "records", (long long)count);
		if (!ok)
			cj_int(j, "broken_at", (long long)bad);
		cj_str(j, "tip", tip);
		cj_str(j, "tip_result", msg);
		cj_print(j);
		return rc;
	}
	if (ok)
		printf("audit chain ok: %llu records\n", (unsigned long long)count);
	else
		printf("audit chain BROKEN at record %llu\n",
		    (unsigned long long)bad);
	if (msg[0] != '\0')
		printf("%s\n", msg);
	return rc;
}

#define AUDIT_FORMS	"audit [--since WHEN] [--advisory ID] | audit verify " \
	"[--tip SEQ:HASH]"

/* cmd_audit - the log, oldest first; or "verify" the chain */

int
cmd_audit(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "since", required_argument, NULL, 's' },
		{ "advisory", required_argument, NULL, 'a' },
		{ "tip", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct audit_list l = { o, 0, NULL };
	const char *tip = NULL;
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	bool verify = argc > 1 && strcmp(argv[1], "verify") == 0;
	int ch, rc = EXIT_OK;

	optind = verify ? 2 : 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'a')
			l.adv = optarg;
		else if (ch == 't' && verify)
			tip = optarg;
		else if (ch != 's')
			return cli_usage(AUDIT_FORMS);
		else if (cli_time_arg(optarg, &l.since) < 0)
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage(AUDIT_FORMS);
	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (store_begin(s, false, &t, &err) < 0) {
		cli_fail(o, "audit: %s", err.msg);
		rc = EXIT_USAGE;
	} else if (verify) {
		rc = audit_verify(o, t, tip);
		store_abort(t);
	} else {
		if (store_audit_each(t, audit_cb, &l, &err) < 0) {
			cli_fail(o, "audit: %s", err.msg);
			rc = EXIT_USAGE;
		}
		store_abort(t);
	}
	cli_close(cfg, s);
	return rc;
}
