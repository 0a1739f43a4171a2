/*
 * cmd_report.c - embargoctl advisory ID --report: what a reviewer archives
 *
 * One self-contained text (or, with --json, one JSON object) about one
 * advisory, read from the state alone: its timeline (every audit record
 * naming it: registration, revisions, embargo moves and who moved them,
 * reminders, holds and releases), per member each revision sent with its
 * time, key, copy id and the reinjection queue id, the held postings, the
 * refused mail that quoted it, and the audit chain's head the report was
 * verified against.  Exit 1 when the advisory is unknown or the chain is
 * broken (the report is still printed: a reviewer must see both).
 */

/* System library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "cli.h"
#include "../util/emtime.h"

/* field - a string field of one audit JSON line, unescaped enough to show */

static void
field(const char *json, size_t n, const char *name, char *out, size_t outsz)
{
	char key[48];
	const char *p, *end = json + n;
	size_t k = 0;

	out[0] = '\0';
	(void)snprintf(key, sizeof(key), "\"%s\":\"", name);
	if ((p = memmem(json, n, key, strlen(key))) == NULL)
		return;
	for (p += strlen(key); p < end && *p != '"' && k + 1 < outsz; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		out[k++] = *p;
	}
	out[k] = '\0';
}

struct report {
	const struct opts *o;
	const char *id;
	struct cli_json *j;		/* --json: the one object */
	int	section;		/* 0 timeline, 1 refusals */
};

/* timeline_cb - one audit record about the advisory */

static int
timeline_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct report *r = ctx;
	char needle[96], when[40], event[40], reason[700], sender[300],
	    rcpts[600];
	bool refusal;

	(void)snprintf(needle, sizeof(needle), "\"advisory\":\"%s\"", r->id);
	if (memmem(json, n, needle, strlen(needle)) == NULL)
		return 0;
	field(json, n, "time", when, sizeof(when));
	field(json, n, "event", event, sizeof(event));
	field(json, n, "reason", reason, sizeof(reason));
	field(json, n, "sender", sender, sizeof(sender));
	field(json, n, "rcpts", rcpts, sizeof(rcpts));
	refusal = strcmp(event, "rejected") == 0;
	if ((r->section == 1) != refusal)
		return 0;
	if (r->j != NULL) {
		cj_item(r->j);
		cj_int(r->j, "seq", (long long)seq);
		cj_str(r->j, "time", when);
		cj_str(r->j, "event", event);
		cj_str(r->j, "sender", sender);
		cj_str(r->j, "rcpts", rcpts);
		cj_str(r->j, "reason", reason);
		cj_item_end(r->j);
	} else if (refusal) {
		printf("  %-20s from %s to %s\n", when, sender, rcpts);
	} else {
		printf("  %-20s %-18s %s\n", when, event, reason);
	}
	return 0;
}

/* copy_cb - one copy of the advisory */

static int
copy_cb(const struct store_outbox *ob, void *ctx)
{
	struct report *r = ctx;
	char t[EM_TIME_BUFSZ];

	if (ob->kind != STORE_OB_COPY || strcmp(ob->advisory, r->id) != 0)
		return 0;
	if (r->j != NULL) {
		cj_item(r->j);
		cj_str(r->j, "member", ob->member);
		cj_str(r->j, "address", ob->rcpt);
		cj_int(r->j, "revision", ob->revision);
		cj_str(r->j, "state", ob->state == STORE_OB_SENT ? "sent" :
		    "not sent");
		cj_time(r->j, "sent_at", ob->sent_at);
		cj_str(r->j, "key", ob->key);
		cj_str(r->j, "copy_id", ob->copy_id);
		cj_str(r->j, "queue_id", ob->queue_id);
		cj_str(r->j, "message_id", ob->message_id);
		cj_item_end(r->j);
	} else {
		printf("  %-20s r%-3d %-20s %-40s %-28s %s\n", ob->member,
		    ob->revision, ob->sent_at ? em_time_format_iso(ob->sent_at, t) :
		    "not sent", ob->key, ob->copy_id, ob->queue_id[0] ?
		    ob->queue_id : "-");
	}
	return 0;
}

/* hold_cb - one held posting about the advisory */

static int
hold_cb(const struct store_hold *h, void *ctx)
{
	struct report *r = ctx;
	char t1[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];
	const char *st = h->state == STORE_HOLD_HELD ? "held" :
	    h->state == STORE_HOLD_RELEASED ? "released" : "dropped";

	if (strcmp(h->advisory, r->id) != 0)
		return 0;
	if (r->j != NULL) {
		cj_item(r->j);
		cj_int(r->j, "hold", (long long)h->id);
		cj_str(r->j, "state", st);
		cj_time(r->j, "held_at", h->held_at);
		cj_time(r->j, "released_at", h->released_at);
		cj_str(r->j, "rcpts", h->rcpts);
		cj_item_end(r->j);
	} else {
		printf("  %-6llu %-9s held %-20s out %-20s to %s\n",
		    (unsigned long long)h->id, st,
		    em_time_format_iso(h->held_at, t1), h->released_at ?
		    em_time_format_iso(h->released_at, t2) : "-", h->rcpts);
	}
	return 0;
}

/* section - a heading (text) or a JSON array key */

static void
section(struct report *r, const char *text, const char *key)
{
	if (r->j != NULL) {
		cj_array_end(r->j);
		cj_array(r->j, key);
	} else {
		printf("\n%s\n", text);
	}
}

/* report_head - the report's first lines: the advisory and the chain */

static void
report_head(struct report *r, const struct strv *dep,
    const struct store_advisory *a, bool chain_ok, uint64_t bad,
    uint64_t count, uint64_t seq, const char *hash)
{
	char now_s[EM_TIME_BUFSZ], emb[EM_TIME_BUFSZ];
	const char *state = a == NULL ? "unknown" :
	    a->state == STORE_ADV_EMBARGOED ? "embargoed" : "public";
	const char *deploy = dep->n ? dep->v[0] : "not stated";

	(void)em_time_format_iso(time(NULL), now_s);
	if (r->o->json) {
		char head[96];

		(void)snprintf(head, sizeof(head), "%llu:%s",
		    (unsigned long long)seq, hash);
		r->j = cj_new();
		cj_str(r->j, "advisory", r->id);
		cj_bool(r->j, "known", a != NULL);
		cj_str(r->j, "state", state);
		cj_time(r->j, "embargo", a ? a->embargo : 0);
		cj_int(r->j, "revision", a ? a->revision : 0);
		cj_str(r->j, "deployment", deploy);
		cj_str(r->j, "generated", now_s);
		cj_bool(r->j, "chain_ok", chain_ok);
		cj_int(r->j, "chain_records", (long long)count);
		cj_str(r->j, "chain_head", head);
		cj_array(r->j, "timeline");
		return;
	}
	printf("Review report: %s\n", r->id);
	printf("generated %s; %s", now_s, a == NULL ? "not registered" : state);
	if (a != NULL)
		printf(", embargo %s, revision %d, date set by %s",
		    a->embargo ? em_time_format_iso(a->embargo, emb) : "none",
		    a->revision, a->embargo_set_by);
	printf("\ndeployment during embargo: %s", deploy);
	printf("\naudit chain: %s, %llu records, head %llu:%s\n",
	    chain_ok ? "verified" : "BROKEN", (unsigned long long)count,
	    (unsigned long long)seq, hash);
	if (!chain_ok)
		printf("  first broken record: %llu\n", (unsigned long long)bad);
	printf("\nTIMELINE\n");
}

/*
 * report_body - after the head: the timeline, the copies, the held
 * postings and the refused mail, in t; err says which read failed (empty
 * when none did)
 */
static void
report_body(struct report *r, struct store_txn *t, struct em_err *err)
{
	em_err_clear(err);
	if (store_audit_each(t, timeline_cb, r, err) == EM_OK) {
		section(r, "COPIES (member, revision, sent, key, copy id, "
		    "queue id)", "copies");
		if (store_ob_each(t, copy_cb, r, err) == EM_OK) {
			section(r, "HELD POSTINGS", "holds");
			if (store_hold_each(t, hold_cb, r, err) == EM_OK) {
				section(r, "REFUSED MAIL THAT QUOTED IT",
				    "refusals");
				r->section = 1;
				(void)store_audit_each(t, timeline_cb, r, err);
			}
		}
	}
	if (r->j != NULL) {
		cj_array_end(r->j);
		cj_print(r->j);
	}
}

/* cmd_advisory_report - the reviewer's report */

int
cmd_advisory_report(const struct opts *o, const char *id)
{
	struct report r = { o, id, NULL, 0 };
	struct strv dep = { NULL, 0 };
	struct store_advisory a;
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	uint64_t bad = 0, count = 0, seq = 0;
	char hash[65] = "";
	bool known, chain_ok;
	int rc;

	if (cli_open(o, &cfg, &s) < 0)
		return EXIT_USAGE;
	if (store_begin(s, false, &t, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	if ((rc = store_adv_get(t, id, &a, &err)) < 0 && rc != EM_ENOTFOUND) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		store_abort(t);
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	known = rc == EM_OK;
	if (store_adv_list_get(t, "deployment", id, &dep, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		store_abort(t);
		strv_free(&dep);
		cli_close(cfg, s);
		return EXIT_USAGE;
	}
	chain_ok = store_audit_verify(t, &bad, &count) == EM_OK;
	(void)store_audit_head(t, &seq, hash);
	report_head(&r, &dep, known ? &a : NULL, chain_ok, bad, count, seq,
	    hash);
	strv_free(&dep);
	report_body(&r, t, &err);
	store_abort(t);
	cli_close(cfg, s);
	if (err.msg[0] != '\0') {
		cli_fail(o, "report %s: the report is incomplete: %s", id, err.msg);
		return EXIT_USAGE;
	}
	return known && chain_ok ? EXIT_OK : EXIT_FINDING;
}
