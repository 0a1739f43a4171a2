/*
 * release_scan.c - the release timer's look at the state: which holds,
 * reminders, announcements, publications and date notices are due at a
 * given time, and when the next one is
 *
 * One read transaction, every hold and every advisory looked at once; the
 * result is a struct scan (release.h) that release.c acts on.  "now" is
 * an argument, never read from the clock here, so a test sets it.
 *
 * A late release is decided here too (SPEC 5, release_alarm): a hold
 * whose date and release_alarm have passed while it is still held, or
 * released with a release entry still to send (the pending index: not
 * yet accepted by the reinjection listener), and not yet said (ledger's
 * "alarmed"), is late; until then the scan wakes at that moment.
 *
 * How it fails: a record that cannot be read fails the whole scan (its
 * reason in s->err): a due time read wrong is an early release, so an
 * advisory that cannot be read counts as under embargo and nothing of the
 * scan is acted on.  What only the late check reads (the pending index,
 * "alarmed") blinds that check alone when it cannot be read (s->late_err):
 * releases never wait for it.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
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

/*
 * release_hold_date - the date hold h was due at, seen at now: as
 * store_hold_due() says, but for an advisory made public the moment it
 * was (not "now"); for a released hold no later than its release (an
 * early one, asked for)
 */
int
release_hold_date(struct store_txn *t, const struct store_hold *h,
    time_t now, time_t *date, struct em_err *err)
{
	struct store_advisory a;
	int rc;

	if ((rc = store_hold_due(t, h, now, date, err)) < 0)
		return rc;
	if (!h->release_now && h->advisory[0] != '\0') {
		if ((rc = store_adv_get(t, h->advisory, &a, err)) == EM_OK &&
		    a.state == STORE_ADV_PUBLIC && a.embargo != 0 &&
		    a.embargo < *date)
			*date = a.embargo;
		if (rc < 0 && rc != EM_ENOTFOUND)
			return rc;
	}
	if (h->state == STORE_HOLD_RELEASED && h->released_at != 0 &&
	    h->released_at < *date)
		*date = h->released_at;
	return EM_OK;
}

/*
 * scan_late - hold id, due at date: late (collected) once date +
 * release_alarm has passed and it was not said yet; else the scan wakes
 * then.  What cannot be read only blinds this check (s->late_err): a
 * release never waits for it.
 */
static void
scan_late(struct scan *s, uint64_t id, time_t date)
{
	time_t at = date + s->cfg->release_alarm, said;
	struct em_err err;
	int rc;

	if (at > s->now) {
		if (s->next == 0 || at < s->next)
			s->next = at;
		return;
	}
	rc = ledger_hold_alarmed(s->t, id, &said, &err);
	if (rc == EM_ENOTFOUND && s->n_late < MAX_DUE) {
		s->late_due[s->n_late] = date;
		s->late[s->n_late++] = id;
	} else if (rc < 0 && rc != EM_ENOTFOUND) {
		s->late_err = err;
	}
}

/*
 * scan_released - a released hold with a release entry still to send:
 * late when its date and release_alarm have passed.  Its advisory
 * unreadable, its release time stands for its date (a scan is never
 * failed for it: nothing of it is released again).
 */
static int
scan_released(struct scan *s, const struct store_hold *h)
{
	struct em_err err;
	time_t date;
	bool unsent = false;

	for (size_t i = 0; i < s->n_unsent && !unsent; i++)
		unsent = s->unsent[i] == h->id;
	if (!unsent)
		return EM_OK;
	if (release_hold_date(s->t, h, s->now, &date, &err) < 0)
		date = h->released_at;
	scan_late(s, h->id, date);
	return EM_OK;
}

/* scan_ahead - a hold due at when, ahead of now: to be prepared, to be
 * warmed, or the next time to wake */

static int
scan_ahead(struct scan *s, const struct store_hold *h, time_t when)
{
	int rc, rev;

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

/* scan_hold - a held hold: due now (collected), to be prepared or warmed,
 * or the next time to wake; late (scan_late); a released one late */

static int
scan_hold(const struct store_hold *h, void *ctx)
{
	struct scan *s = ctx;
	time_t when;
	int rc;

	if (h->state == STORE_HOLD_RELEASED)
		return scan_released(s, h);
	if (h->state != STORE_HOLD_HELD)
		return 0;
	/* An advisory that cannot be read: no due time, nothing released. */
	if ((rc = store_hold_due(s->t, h, s->now, &when, &s->err)) < 0)
		return rc;
	if (when > s->now && (s->next == 0 || when < s->next))
		s->next = when;
	if (when > s->now)
		return scan_ahead(s, h, when);
	if (s->n_holds >= MAX_DUE)
		return 0;	/* the next scan, at once, takes it */
	(void)snprintf(s->hold_adv[s->n_holds], sizeof(s->hold_adv[0]), "%s",
	    h->advisory);
	s->holds[s->n_holds++] = h->id;
	/* Due and still held: late too once its alarm has passed (the
	 * daemon was down at the date, or its release keeps failing). */
	if (release_hold_date(s->t, h, s->now, &when, &s->err) < 0)
		return EM_OK;	/* read once already: cannot fail here */
	scan_late(s, h->id, when);
	return EM_OK;
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

struct unsent { uint64_t *ids; size_t n; };

/* unsent_cb - a release entry still to send: its hold, once */

static int
unsent_cb(const struct store_outbox *ob, void *ctx)
{
	struct unsent *u = ctx;

	if (ob->kind != STORE_OB_RELEASE || ob->hold == 0)
		return 0;
	for (size_t i = 0; i < u->n; i++)
		if (u->ids[i] == ob->hold)
			return 0;
	u->ids = xrealloc(u->ids, (u->n + 1) * sizeof(*u->ids));
	u->ids[u->n++] = ob->hold;
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
	struct unsent u = { NULL, 0 };
	struct em_err err;
	int rc;

	memset(s, 0, sizeof(*s));
	s->t = t;
	s->cfg = cfg;
	s->now = now;
	/* The holds whose postings are not all out: what is still pending
	 * (queued, built, deferred) is not yet accepted by the listener. */
	if (store_ob_each_pending(t, unsent_cb, &u, &err) < 0) {
		s->late_err = err;
		u.n = 0;
	}
	s->unsent = u.ids;
	s->n_unsent = u.n;
	if ((rc = store_hold_each(t, scan_hold, s, &s->err)) == EM_OK)
		rc = store_adv_each(t, scan_adv, s, &s->err);
	s->unsent = NULL;
	s->n_unsent = 0;
	free(u.ids);
	return rc < 0 ? rc : EM_OK;
}
