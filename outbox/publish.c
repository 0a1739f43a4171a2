/*
 * publish.c - SPEC 6: an advisory's revision become public: its release
 * hooks queued, the fact audited (and said when there is nothing to
 * announce), the revision recorded as published, in one transaction
 *
 * At the first start of a state, the advisories already public count as
 * published (release_publish_init), so that a release_hook added later never runs
 * for the whole past.
 *
 * How it fails: a publication that cannot be recorded is logged and the
 * next scan finds it due again; an advisory that cannot be read is under
 * embargo: no hook runs for it.
 */

/* System library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"

struct count_ctx { const char *id; unsigned n; };

/* count_hold - a hold of the advisory, held or released (not dropped) */

static int
count_hold(const struct store_hold *h, void *ctx)
{
	struct count_ctx *c = ctx;

	if (h->state != STORE_HOLD_DROPPED && strcmp(h->advisory, c->id) == 0)
		c->n++;
	return 0;
}

/* publish_audit - in t, "made-public" or "public-unannounced", logged */

static int
publish_audit(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, bool first, unsigned holds,
    struct em_err *err)
{
	bool silent = first && a->embargo != 0 && holds == 0 && cfg->n_hooks == 0;
	char why[400];

	if (silent)
		(void)snprintf(why, sizeof(why), "%s revision %d became public with "
		    "nothing to announce: no public posting was held for it and "
		    "no release_hook is configured", a->id, a->revision);
	else
		(void)snprintf(why, sizeof(why), "%s revision %d public: %u held "
		    "posting%s, %zu release hook%s queued", a->id, a->revision,
		    holds, holds == 1 ? "" : "s", cfg->n_hooks,
		    cfg->n_hooks == 1 ? "" : "s");
	const char *event = silent ? "public-unannounced" : "made-public";

	log_msg(silent ? LOG_WARNING : LOG_INFO, NULL, "%s", why);
	return audit_advisory(t, a, time(NULL), event, event, why, err);
}

/*
 * release_publish - SPEC 6: an advisory's revision has become public: its release
 * hooks queued, the fact audited (with nothing to announce, said so), the
 * revision recorded, in one transaction: hooks run once per revision
 */
int
release_publish(const struct config *cfg, const char *id)
{
	struct store_advisory a;
	struct store_txn *t;
	struct count_ctx c = { id, 0 };
	struct em_err err;
	int was, rc;

	if (store_begin(state_store(), true, &t, &err) < 0) {
		log_msg(LOG_ERR, NULL, "%s public, hooks not queued: %s", id,
		    err.msg);
		return EM_ESTORE;
	}
	/* An advisory that cannot be read is under embargo: no hook. */
	if (store_adv_get(t, id, &a, &err) < 0 ||
	    release_published(t, id, &was, &err) < 0) {
		store_abort(t);
		log_msg(LOG_ERR, NULL, "%s: hooks not queued: %s (tried again)",
		    id, err.msg);
		return EM_ESTORE;
	}
	if (!release_adv_public(&a, time(NULL)) || was >= a.revision) {
		store_abort(t);
		return EM_OK;
	}
	if ((rc = store_hold_each(t, count_hold, &c, &err)) == EM_OK &&
	    (rc = hook_queue(t, cfg, &a, time(NULL), &err)) == EM_OK &&
	    (rc = publish_audit(t, cfg, &a, was < 0, c.n, &err)) == EM_OK &&
	    (rc = store_adv_num_put(t, "published", id, a.revision, &err)) ==
	    EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "%s public, hooks not queued: %s (tried "
		    "again)", id, err.msg);
	else if (cfg->n_hooks > 0)
		hook_kick();
	return rc < 0 ? rc : EM_OK;
}

/* public_ids - store_adv_each() callback: the ids of public advisories */

static int
public_ids(const struct store_advisory *a, void *ctx)
{
	if (release_adv_public(a, time(NULL)))
		strv_push(ctx, a->id);
	return 0;
}

/*
 * release_publish_init - once per state: the advisories already public when this
 * version first runs count as published, so that a release_hook added
 * later never runs for the whole past
 */
void
release_publish_init(void)
{
	static const char key[] = "published-since";
	struct store_txn *t;
	struct buf b;
	struct em_err err;
	struct strv ids = { NULL, 0 };
	int rc;

	buf_init(&b);
	if (store_begin(state_store(), true, &t, &err) < 0)
		return;
	if ((rc = store_meta_get(t, key, &b, &err)) != EM_ENOTFOUND) {
		store_abort(t);
		buf_free(&b);
		if (rc < 0)
			log_msg(LOG_ERR, NULL, "release hooks: %s", err.msg);
		return;
	}
	rc = store_adv_each(t, public_ids, &ids, &err);
	for (size_t i = 0; rc == EM_OK && i < ids.n; i++) {
		struct store_advisory a;

		if ((rc = store_adv_get(t, ids.v[i], &a, &err)) == EM_OK)
			rc = store_adv_num_put(t, "published", a.id, a.revision,
			    &err);
	}
	if (rc == EM_OK && (rc = store_meta_put(t, key, "1", 1, &err)) == EM_OK)
		rc = store_commit(t, &err);
	else
		store_abort(t);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "release hooks: the public advisories cannot "
		    "be recorded: %s", err.msg);
	strv_free(&ids);
	buf_free(&b);
}
