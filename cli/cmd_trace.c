/*
 * cmd_trace.c - embargoctl trace [FILE]: whose copy a leaked text came from
 *
 * Every pre-disclosure copy carries its copy id inside the encryption (a
 * protected header and a line of the note, SPEC 5), and its Message-ID
 * outside.  Given a leaked message or a pasted text (forwarded, quoted
 * with "> ", re-encoded in base64 or quoted-printable, or only the line
 * with the copy id), trace finds the id in the raw bytes or in the text
 * as a mail client would decode it, and names the member, advisory,
 * revision, time sent and key.  Exit 0 found, 1 nothing matches, 2 usage.
 */

/* System library. */
#include <stdio.h>
#include <string.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "cli.h"
#include "../reader/reader.h"
#include "../policy/policy.h"
#include "../util/emtime.h"

struct trace {
	const char *copy_id;		/* look for this copy id, or */
	const struct buf *raw;		/* a copy's Message-ID in these bytes */
	struct store_outbox found;
	bool	hit;
};

/* trace_cb - the copy with this id, or whose Message-ID the text names */

static int
trace_cb(const struct store_outbox *ob, void *ctx)
{
	struct trace *tr = ctx;
	char mid[200];

	if (ob->kind != STORE_OB_COPY)
		return 0;
	if (tr->copy_id != NULL) {
		if (strcmp(ob->copy_id, tr->copy_id) != 0)
			return 0;
	} else {
		(void)snprintf(mid, sizeof(mid), "<%s>", ob->message_id);
		if (ob->message_id[0] == '\0' || tr->raw->data == NULL ||
		    memmem(tr->raw->data, tr->raw->len, mid, strlen(mid)) == NULL)
			return 0;
	}
	tr->found = *ob;
	tr->hit = true;
	return 1;
}

/*
 * find_copy_id - in the bytes as they are, else in the text the confined
 * reader decodes: 1 found, 0 none, or the reader's fault (err says)
 */
static int
find_copy_id(const struct config *cfg, const struct buf *raw,
    char id[EM_COPY_ID_LEN + 1], struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct em_err perr;
	struct facts f;
	int rc;

	if (em_copy_id_find(raw->data ? raw->data : "", raw->len, id))
		return 1;
	if ((rc = reader_start(cfg, err)) < 0)
		return rc;
	em_err_clear(&perr);
	facts_init(&f);
	rc = reader_read(raw->data ? raw->data : "", raw->len, &lim, &f,
	    &perr);
	reader_stop();
	if (rc == EM_EIO)
		rc = em_fail(err, EM_EIO, "%s", perr.msg);
	else
		rc = rc == EM_OK && em_copy_id_find(f.text.data ?
		    f.text.data : "", f.text.len, id);
	facts_free(&f);
	return rc;
}

/* print_found - the member and the copy, as a table or one JSON object */

static void
print_found(const struct opts *o, const struct store_outbox *ob, bool by_id)
{
	char t[EM_TIME_BUFSZ];

	if (o->json) {
		struct cli_json *j = cj_new();

		cj_str(j, "member", ob->member);
		cj_str(j, "address", ob->rcpt);
		cj_str(j, "advisory", ob->advisory);
		cj_int(j, "revision", ob->revision);
		cj_time(j, "sent_at", ob->sent_at);
		cj_str(j, "key", ob->key);
		cj_str(j, "copy_id", ob->copy_id);
		cj_str(j, "message_id", ob->message_id);
		cj_str(j, "matched", by_id ? "copy id" : "message-id");
		cj_print(j);
		return;
	}
	printf("member:     %s <%s>\n", ob->member, ob->rcpt);
	printf("advisory:   %s revision %d\n", ob->advisory, ob->revision);
	printf("sent:       %s\n", ob->sent_at ? em_time_format(ob->sent_at, t) :
	    "not yet");
	printf("key:        %s\n", ob->key);
	printf("copy id:    %s\n", ob->copy_id);
	printf("message-id: <%s>\n", ob->message_id);
	printf("matched by: %s\n", by_id ? "copy id" : "Message-ID");
}

/* cmd_trace - name the member whose copy the text came from */

int
cmd_trace(const struct opts *o, const char *file)
{
	char id[EM_COPY_ID_LEN + 1];
	struct config *cfg;
	struct store *s;
	struct store_txn *t;
	struct em_err err;
	struct buf raw;
	struct trace tr;
	int rc;

	buf_init(&raw);
	/* The largest message any configuration lets through. */
	if (cli_read_all(file, (size_t)1 << 30, &raw, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		buf_free(&raw);
		return EXIT_USAGE;
	}
	if (cli_open(o, &cfg, &s) < 0) {
		buf_free(&raw);
		return EXIT_USAGE;
	}
	memset(&tr, 0, sizeof(tr));
	em_err_clear(&err);
	tr.raw = &raw;
	if ((rc = find_copy_id(cfg, &raw, id, &err)) > 0)
		tr.copy_id = id;
	if (rc < 0 || store_begin(s, false, &t, &err) < 0) {
		fprintf(stderr, "embargoctl: %s\n", err.msg);
		rc = EXIT_USAGE;
	} else {
		int each_rc = store_ob_each(t, trace_cb, &tr, &err);

		store_abort(t);
		if (each_rc < 0) {
			fprintf(stderr, "embargoctl: %s\n", err.msg);
			rc = EXIT_USAGE;
		} else if (tr.hit) {
			print_found(o, &tr.found, tr.copy_id != NULL);
			rc = EXIT_OK;
		} else {
			if (o->json) {
				struct cli_json *j = cj_new();

				cj_str(j, "member", NULL);
				cj_str(j, "copy_id", tr.copy_id);
				cj_print(j);
			} else {
				printf("no copy of this list matches%s%s\n",
				    tr.copy_id ? ": unknown copy id " : " (no copy "
				    "id, no Message-ID of a copy)", tr.copy_id ?
				    tr.copy_id : "");
			}
			rc = EXIT_FINDING;
		}
	}
	cli_close(cfg, s);
	buf_free(&raw);
	return rc;
}
