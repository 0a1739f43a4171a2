/*
 * announce.c - SPEC 6, pre_announce: an advisory's id and date (and the
 * date it was, when it moved), signed by the list key, sent to each
 * pre_announce address; audited and recorded once per date
 *
 * How it fails: an announcement that cannot be queued is logged and not
 * recorded, so the next scan finds it due again.
 */

/* System library. */
#include <stdio.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

/* announce_text - what a pre-announcement says (was: the date told, or 0) */

static void
announce_text(const struct store_advisory *a, time_t was, time_t now,
    struct buf *text, char *subject, size_t n)
{
	char ts[EM_TIME_BUFSZ], was_s[EM_TIME_BUFSZ];

	buf_appendf(text, "%s %s made public on %s.\n", a->id,
	    a->embargo > now ? "will be" : "was", em_time_format(a->embargo, ts));
	if (was != 0)
		buf_appendf(text, "The date was moved: it was %s.\n",
		    em_time_format(was, was_s));
	(void)snprintf(subject, n, "%s: public %s %s", a->id,
	    a->embargo > now ? "on" : "since", ts);
}

/*
 * release_announce - the public pre-announcement of one advisory: its id and its
 * date, nothing else, signed by the list key, to each pre_announce
 * address; audited, and told once per date, in one transaction
 */
int
release_announce(const struct config *cfg, const char *id)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;
	struct buf text, signed_text;
	char subject[160];
	time_t was, now = time(NULL);
	bool told;
	int rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id, err.msg);
		return EM_ESTORE;
	}
	if (store_adv_get(t, id, &a, &err) < 0 ||
	    ((rc = release_announced(t, id, &was, &err)) < 0 && rc != EM_ENOTFOUND)) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id,
		    err.msg);
		return EM_ESTORE;
	}
	told = rc == EM_OK;
	buf_init(&text);
	buf_init(&signed_text);
	announce_text(&a, told ? was : 0, now, &text, subject, sizeof(subject));
	rc = keys_clearsign(cfg->list_key, text.data, &signed_text, &err);
	for (size_t i = 0; rc == EM_OK && i < cfg->pre_announce.n; i++) {
		struct notice_spec n = { 0 };

		n.to = cfg->pre_announce.v[i];
		n.advisory = id;
		n.revision = a.revision;
		n.subject = subject;
		n.body = signed_text.data;
		n.now = now;
		rc = notice_queue(t, cfg, &n, &err);
	}
	if (rc == EM_OK &&
	    (rc = store_adv_num_put(t, "announced", id, a.embargo, &err)) ==
	    EM_OK &&
	    (rc = audit_advisory(t, &a, now, "pre-announced", "pre-announced",
	    cfg->pre_announce.v[0], &err)) == EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "no pre-announcement of %s: %s", id, err.msg);
	buf_free(&text);
	buf_free(&signed_text);
	return rc < 0 ? rc : EM_OK;
}
