/*
 * release_scan.c - the release timer's look at the state: which holds,
 * reminders, announcements, publications and date notices are due at a
 * given time, and when the next one is
 *
 * One read transaction, every hold and every advisory looked at once; the
 * result is a struct scan (release.h) that release.c acts on.  "now" is
 * an argument, never read from the clock here, so a test sets it.
 *
 * How it fails: a record that cannot be read fails the whole scan (its
 * reason in s->err): a due time read wrong is an early release, so an
 * advisory that cannot be read counts as under embargo and nothing of the
 * scan is acted on.
 */

/* System library. */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"

/* release_hold_tag - "hold N": how what was prepared for hold N names it */

void
release_hold_tag(uint64_t id, char *out, size_t n)
{
	(void)snprintf(out, n, "hold %llu", (unsigned long long)id);
}

/* release_prepared - the revision hold id was prepared with (*rev), or -1: not
 * yet; < 0 returned when that cannot be read */

int
release_prepared(struct store_txn *t, uint64_t id, int *rev, struct em_err *err)
{
	char tag[32];
	long long n;
	int rc;

	release_hold_tag(id, tag, sizeof(tag));
	*rev = -1;
	if ((rc = store_adv_num_get(t, "prepared", tag, &n, err)) ==
	    EM_ENOTFOUND)
		return EM_OK;
	if (rc == EM_OK)
		*rev = (int)n;
	return rc;
}

/* scan_hold - a held hold: due now (collected), to be prepared or warmed,
 * or the next time to wake */

static int
scan_hold(const struct store_hold *h, void *ctx)
{
	struct scan *s = ctx;
	time_t when;
	int rc, rev;

	if (h->state != STORE_HOLD_HELD)
		return 0;
	/* An advisory that cannot be read: no due time, nothing released. */
	if ((rc = store_hold_due(s->t, h, s->now, &when, &s->err)) < 0)
		return rc;
	if (when <= s->now && s->n_holds < MAX_DUE) {
		(void)snprintf(s->hold_adv[s->n_holds], sizeof(s->hold_adv[0]),
		    "%s", h->advisory);
		s->holds[s->n_holds++] = h->id;
	}
	else if (when > s->now && (s->next == 0 || when < s->next))
		s->next = when;
	if (when <= s->now)
		return 0;
	if ((rc = release_prepared(s->t, h->id, &rev, &s->err)) < 0)
		return rc;
	if (rev < 0) {
		if (s->n_prepare < MAX_DUE)
			s->prepare[s->n_prepare++] = h->id;
	} else if (when - s->now > WARM_AHEAD) {
		if (s->next == 0 || when - WARM_AHEAD < s->next)
			s->next = when - WARM_AHEAD;
	} else if (s->n_warm < MAX_DUE && !deliver_warm_has(h->id)) {
		s->warm_due[s->n_warm] = when;
		s->warm[s->n_warm++] = h->id;
	}
	return 0;
}

/*
 * release_announced - the date pre_announce was last told for advisory id, into
 * *when; EM_ENOTFOUND when it never was
 */
int
release_announced(struct store_txn *t, const char *id, time_t *when,
    struct em_err *err)
{
	return store_adv_time_get(t, "announced", id, when, err);
}

/*
 * scan_announce - SPEC 6: with pre_announce, an advisory under embargo
 * whose date was never told, or has moved since (lifted early too), is
 * due to be announced
 */
static int
scan_announce(struct scan *s, const struct store_advisory *a)
{
	time_t told;
	bool was;
	int rc;

	if (s->cfg->pre_announce.n == 0 || a->embargo == 0 ||
	    s->n_announce >= MAX_DUE)
		return EM_OK;
	if ((rc = release_announced(s->t, a->id, &told, &s->err)) < 0 &&
	    rc != EM_ENOTFOUND)
		return rc;
	was = rc == EM_OK;
	if ((was && told != a->embargo) || (!was && a->embargo > s->now &&
	    a->state == STORE_ADV_EMBARGOED))
		memcpy(s->announce[s->n_announce++], a->id, 64);
	return EM_OK;
}

/*
 * release_published - the revision of advisory id last recorded as public (the
 * release hooks queued for it) into *rev, or -1: never; < 0 returned
 * when it cannot be read
 */
int
release_published(struct store_txn *t, const char *id, int *rev, struct em_err *err)
{
	long long n;
	int rc = store_adv_num_get(t, "published", id, &n, err);

	*rev = rc == EM_OK ? (int)n : -1;
	return rc == EM_ENOTFOUND ? EM_OK : rc;
}

/* release_adv_public - is a public at now (its date passed, or lifted)? */

bool
release_adv_public(const struct store_advisory *a, time_t now)
{
	return a->state != STORE_ADV_EMBARGOED || a->embargo <= now;
}

/*
 * scan_publish - SPEC 6: a revision that is public and not yet recorded
 * as such is due (its release hooks, its "nothing to announce"); an
 * advisory still under embargo is a time to wake at
 */
static int
scan_publish(struct scan *s, const struct store_advisory *a)
{
	int rc, rev;

	if (!release_adv_public(a, s->now)) {
		if (s->next == 0 || a->embargo < s->next)
			s->next = a->embargo;
		return EM_OK;
	}
	if ((rc = release_published(s->t, a->id, &rev, &s->err)) < 0)
		return rc;
	if (rev < a->revision && s->n_publish < MAX_DUE)
		memcpy(s->publish[s->n_publish++], a->id, 64);
	return EM_OK;
}

/* scan_adv - an embargoed advisory: its reminder due now, or the next time */

static int
scan_adv(const struct store_advisory *a, void *ctx)
{
	struct scan *s = ctx;
	time_t at;
	int rc;

	if ((rc = scan_announce(s, a)) < 0 || (rc = scan_publish(s, a)) < 0)
		return rc;
	if ((rc = fanout_told(s->t, a->id, &at, &s->err)) < 0 &&
	    rc != EM_ENOTFOUND)
		return rc;
	if (rc == EM_OK && at != a->embargo && s->n_tell < MAX_DUE)
		memcpy(s->tell[s->n_tell++], a->id, 64);
	if (a->state != STORE_ADV_EMBARGOED || s->cfg->remind_before <= 0 ||
	    a->reminded_for == a->embargo || a->embargo <= s->now)
		return 0;
	at = a->embargo - s->cfg->remind_before;
	if (at <= s->now && s->n_remind < MAX_DUE)
		(void)snprintf(s->remind[s->n_remind++], 64, "%s", a->id);
	else if (at > s->now && (s->next == 0 || at < s->next))
		s->next = at;
	return 0;
}

/*
 * release_scan - what is due at now, into s (cleared first; s->next the
 * next time to wake, 0 if none), in t; < 0 with s->err when the state
 * cannot be read, and then nothing of s may be acted on
 */
int
release_scan(struct store_txn *t, const struct config *cfg, time_t now,
    struct scan *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->cfg = cfg;
	s->now = now;
	if ((rc = store_hold_each(t, scan_hold, s, &s->err)) < 0 ||
	    (rc = store_adv_each(t, scan_adv, s, &s->err)) < 0)
		return rc;
	return EM_OK;
}
