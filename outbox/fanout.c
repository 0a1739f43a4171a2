/*
 * fanout.c - rule 1: register the advisory, keep the post sealed, queue
 * one copy per member and the sender's receipt, in one transaction,
 * committed before the MTA is answered
 *
 * The copies are built and sent afterwards by the delivery workers, so
 * the sender's wait does not grow with the number of members.  The post
 * is kept sealed to the list key with the headers the copies protect
 * (Subject, From, Date): the Subject of an advisory is advisory text.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"
#include "../store/view.h"

/* One fan-out's transaction: what every step of rule 1 reads and writes. */
struct fanout_txn {
	struct store_txn *t;
	const struct config *cfg;
	const struct outbox_msg *m;
	const struct facts *f;
	const struct policy_decision *d;
	time_t	now;
	uint64_t post_id;
	bool	fresh;			/* the advisory is new to the registry */
	char	moved[200];		/* "embargo date moved ...", or "" */
	const char *event;		/* each copy's audit event, NULL:
					   "copy-queued" */
};

/* embargo_text - "until <UTC>" or "none (public advisory)" */

static const char *
embargo_text(time_t when, char *buf, size_t n)
{
	char t[EM_TIME_BUFSZ];

	if (when == 0)
		(void)snprintf(buf, n, "none (public advisory)");
	else
		(void)snprintf(buf, n, "until %s", em_time_format(when, t));
	return buf;
}

/*
 * store_deploy - the post's deployment state, kept beside its advisory.
 * The state alone: the section's sentence is advisory text, and rests
 * only in the sealed post (each copy's note carries it).
 */
static int
store_deploy(struct fanout_txn *x, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	int rc;

	strv_push(&v, policy_deploy_name(x->f->deploy.state));
	rc = store_adv_list_put(x->t, "deployment", x->d->advisory_id, &v, err);
	strv_free(&v);
	return rc;
}

/*
 * deploy_before - the advisory's deployment state as registered, into
 * was, when this post changes it; "" when it does not, or is the first
 */
static int
deploy_before(const struct facts *f, const char *id, char *was, size_t n,
    struct em_err *err)
{
	struct strv v = { NULL, 0 };
	struct store_txn *t;
	int rc;

	was[0] = '\0';
	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_adv_list_get(t, "deployment", id, &v, err)) == EM_OK &&
	    v.n > 0 && strcmp(v.v[0], policy_deploy_name(f->deploy.state)) != 0)
		rc = em_copy(was, n, v.v[0], "deployment state", err);
	store_abort(t);
	strv_free(&v);
	return rc;
}

/*
 * fanout_told - the date the members were last told for id: by the copies
 * of a post (each carries its date) or by a date notice
 */
int
fanout_told(struct store_txn *t, const char *id, time_t *when,
    struct em_err *err)
{
	return store_adv_time_get(t, "told", id, when, err);
}

/* set_told - in t, the date the members now know for id */

static int
set_told(struct store_txn *t, const char *id, time_t when, struct em_err *err)
{
	return store_adv_num_put(t, "told", id, (long long)when, err);
}

/* audit_moved - in x's transaction, the post's move of the date, audited */

static int
audit_moved(struct fanout_txn *x, time_t newdate, struct em_err *err)
{
	struct store_audit au = { 0 };

	au.time = x->now;
	au.event = "embargo-changed";
	au.queue_id = x->m->qid;
	au.sender = x->m->sender;
	au.advisory = x->d->advisory_id;
	au.revision = x->f->revision;
	au.embargo = newdate;
	au.decision = "embargo-changed";
	au.reason = x->moved;
	au.keys = x->f->signer;
	return store_audit_append(x->t, &au, err);
}

/* register_advisory - new or updated registry entry; say what moved */

static int
register_advisory(struct fanout_txn *x, struct em_err *err)
{
	struct store_txn *t = x->t;
	const struct outbox_msg *m = x->m;
	const struct facts *f = x->f;
	const struct policy_decision *d = x->d;
	time_t now = x->now;
	char *moved = x->moved;
	size_t msz = sizeof(x->moved);
	struct store_advisory a, old;
	time_t newdate = d->embargoed ? d->embargo : 0;
	char was[64], now_s[64];
	int rc;

	moved[0] = '\0';
	/* Only a record that is not there is a new advisory: one that cannot
	 * be read is a fault (never rewritten, never made public). */
	if ((rc = store_adv_get(t, d->advisory_id, &a, err)) < 0 &&
	    rc != EM_ENOTFOUND)
		return rc;
	if (rc == EM_ENOTFOUND) {
		x->fresh = true;
		memset(&a, 0, sizeof(a));
		(void)snprintf(a.id, sizeof(a.id), "%s", d->advisory_id);
		a.created = now;
	} else if (m->prepared_for != 0) {
		/* A final copy made ahead moves no date: it reads the one
		 * registered now, in this transaction. */
		newdate = a.embargo;
	} else if (a.embargo != newdate) {
		(void)snprintf(moved, msz, "embargo date moved %s: was %s, now %s",
		    newdate == 0 || (a.embargo != 0 && newdate < a.embargo) ?
		    "earlier" : "later", embargo_text(a.embargo, was, sizeof(was)),
		    embargo_text(newdate, now_s, sizeof(now_s)));
		if ((rc = audit_moved(x, newdate, err)) < 0)
			return rc;
	}
	/* Copies tell their date; final copies made ahead go only at it. */
	if ((rc = store_deploy(x, err)) < 0 || (m->prepared_for == 0 &&
	    (rc = set_told(t, d->advisory_id, newdate, err)) < 0))
		return rc;
	old = a;
	a.revision = f->revision;
	if (m->prepared_for == 0 || x->fresh) {
		a.embargo = newdate;
		a.state = newdate ? STORE_ADV_EMBARGOED : STORE_ADV_PUBLIC;
	}
	if (a.list_revision_sent < f->revision)
		a.list_revision_sent = f->revision;
	/* Who set it, whole; the audit record of the post has the sender
	 * when it is longer than the field. */
	if (m->prepared_for == 0 && em_fmt(a.embargo_set_by,
	    sizeof(a.embargo_set_by), "embargo_set_by", err, "post by %s",
	    m->sender) < 0)
		(void)snprintf(a.embargo_set_by, sizeof(a.embargo_set_by),
		    "post (its sender is in the audit)");
	/* What was prepared for the old date follows the new one. */
	return ledger_adv_put(t, x->fresh ? NULL : &old, &a, now, err);
}

/* One recipient of a copy: a member, a participant, or the team. */
struct copy_rcpt {
	const char *name;		/* organisation, participant, "the team" */
	const char *address;
	const char *key;
};

/* queue_one - one copy's outbox entry, audited (from: the discussion list) */

static int
queue_one(struct fanout_txn *x, const struct copy_rcpt *r, const char *what,
    const char *from, struct em_err *err)
{
	struct store_txn *t = x->t;
	const struct config *cfg = x->cfg;
	const struct policy_decision *d = x->d;
	struct store_outbox ob;
	struct store_audit au = { 0 };
	/* A final copy made ahead is sent at its hold's date. */
	struct ledger_ob_spec s = { STORE_OB_COPY, d->advisory_id,
	    x->f->revision, r->name, r->address, r->key, from, x->post_id,
	    x->m->prepared_for, false, what, x->now, 0 };
	char why[300];
	int rc;

	if ((rc = ledger_ob_new(t, cfg, &s, &ob, err)) < 0)
		return rc;
	(void)snprintf(why, sizeof(why), "%.200s; copy id %s", r->name,
	    ob.copy_id);
	au.time = x->now;
	au.event = x->event ? x->event : "copy-queued";
	au.queue_id = x->m->qid;
	au.message_id = ob.message_id;
	au.sender = from ? from : cfg->list_address;
	au.rcpts = r->address;
	au.advisory = d->advisory_id;
	au.revision = x->f->revision;
	au.embargo = d->embargoed ? d->embargo : 0;
	au.decision = "queued";
	au.reason = why;
	au.keys = r->key;
	return store_audit_append(t, &au, err);
}

/*
 * add_participants - the participants a list post names in its envelope
 * join its advisory, each audited with who named it; *names: every
 * participant of the advisory after that
 */
static int
add_participants(struct fanout_txn *x, struct strv *names,
    struct em_err *err)
{
	const struct config *cfg = x->cfg;
	const char *id = x->d->advisory_id;
	bool changed = false;
	int rc;

	if ((rc = store_adv_list_get(x->t, "participants", id, names,
	    err)) < 0)
		return rc;
	for (size_t i = 0; i < x->m->n_rcpts; i++) {
		const struct conf_member *p =
		    conf_participant_by_addr(cfg, x->m->rcpts[i]);
		struct store_audit au = { 0 };
		char why[300];
		bool known = false;

		for (size_t j = 0; p != NULL && j < names->n && !known; j++)
			known = strcmp(names->v[j], p->name) == 0;
		if (p == NULL || known)
			continue;
		strv_push(names, p->name);
		changed = true;
		(void)snprintf(why, sizeof(why), "participant \"%s\" <%s> "
		    "added to %s by the post of %s", p->name, p->address, id,
		    x->m->sender);
		au.time = x->now;
		au.event = "participant-added";
		au.queue_id = x->m->qid;
		au.sender = x->m->sender;
		au.rcpts = p->address;
		au.advisory = id;
		au.revision = x->f->revision;
		au.decision = "participant-added";
		au.reason = why;
		au.keys = p->key;
		if ((rc = store_audit_append(x->t, &au, err)) < 0)
			return rc;
	}
	return changed ? store_adv_list_put(x->t, "participants", id, names,
	    err) : EM_OK;
}

/*
 * queue_copies - one outbox entry per member, then one per participant
 * of the advisory, each audited; *n: how many.  A participant whose block
 * left the config gets none, and the log says so.
 */
static int
queue_copies(struct fanout_txn *x, const struct strv *parts, size_t *n,
    struct em_err *err)
{
	const struct config *cfg = x->cfg;
	char what[96];
	int rc;

	(void)snprintf(what, sizeof(what), "%s.r%d", x->d->advisory_id,
	    x->f->revision);
	for (char *p = what; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	*n = 0;
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct conf_member *mb = &cfg->members[i];
		struct copy_rcpt r = { mb->name, mb->address, mb->key };

		if ((rc = queue_one(x, &r, what, NULL, err)) < 0)
			return rc;
		(*n)++;
	}
	for (size_t i = 0; i < parts->n; i++) {
		const struct conf_member *p =
		    conf_participant_by_name(cfg, parts->v[i]);
		struct copy_rcpt r;

		if (p == NULL) {
			log_msg(LOG_WARNING, x->m->qid, "%s: participant \"%s\" "
			    "has no participant block in %s any more: no copy "
			    "for it", x->d->advisory_id, parts->v[i], cfg->path);
			continue;
		}
		r.name = p->name;
		r.address = p->address;
		r.key = p->key;
		if ((rc = queue_one(x, &r, what, NULL, err)) < 0)
			return rc;
		(*n)++;
	}
	return EM_OK;
}

/*
 * receipt_names - the members' names one after another, lines kept short
 * (RFC 5322: 998 at most), and the participants' with their addresses
 */
static void
receipt_names(const struct config *cfg, const struct strv *parts,
    struct buf *names, struct buf *pnames)
{
	buf_init(names);
	for (size_t i = 0, col = 11; i < cfg->n_members; i++) {
		size_t w = strlen(cfg->members[i].name) + 2;

		if (i > 0 && col + w > 72) {
			buf_appends(names, ",\n           ");
			col = 11;
		} else if (i > 0) {
			buf_appends(names, ", ");
		}
		buf_appends(names, cfg->members[i].name);
		col += w;
	}
	buf_init(pnames);
	for (size_t i = 0; i < parts->n; i++) {
		const struct conf_member *p =
		    conf_participant_by_name(cfg, parts->v[i]);

		buf_appendf(pnames, "%s%s <%s>", i ? ",\n           " : "",
		    parts->v[i], p ? p->address : "no block in the config: no "
		    "copy");
	}
}

/* receipt_head - the receipt's lines about the advisory: its id,
 * revision, date and deployment, what the post moved or kept */

static void
receipt_head(const struct fanout_txn *x, struct buf *body)
{
	const struct facts *f = x->f;
	const struct policy_decision *d = x->d;
	const char *moved = x->moved;
	char emb[64], ts[EM_TIME_BUFSZ];

	buf_appendf(body,
	    "embargo-milter accepted your post to %s.\n\n"
	    "Advisory:  %s\n"
	    "%s%s%s"
	    "Revision:  %d\n"
	    "Embargo:   %s\n"
	    "Deployment: %s%s\n"
	    "%s%s%s"
	    "%s",
	    x->cfg->list_address, d->advisory_id,
	    f->id_note[0] ? "Id:        " : "", f->id_note,
	    f->id_note[0] ? "\n" : "", f->revision,
	    embargo_text(d->embargoed ? d->embargo : 0, emb, sizeof(emb)),
	    policy_deploy_name(f->deploy.state), f->deploy.state ==
	    POLICY_DEPLOY_NOT_STATED ? " (the advisory has no DEPLOYMENT "
	    "DURING EMBARGO section)" : " during the embargo",
	    moved[0] ? "Note:      " : "", moved, moved[0] ? "\n" : "",
	    d->embargo_kept ? "Note:      this post has no embargo marker: "
	    "the registered date is kept\n           (to lift the embargo "
	    "early: embargoctl embargo ID --now)\n" : "");
	/* A new advisory: the date the default schedule would give (SPEC 6). */
	if (x->fresh && d->embargoed)
		buf_appendf(body, "Default:   public at %s by the default "
		    "schedule (two working weeks\n           on, at "
		    "public_time)\n", em_time_format(policy_public_default(
		    x->cfg, x->now), ts));
}

/* receipt_copies - the receipt's lines about the copies: how many, to
 * whom */

static void
receipt_copies(const struct fanout_txn *x, const struct strv *parts,
    size_t copies, struct buf *body)
{
	struct buf names, pnames;

	receipt_names(x->cfg, parts, &names, &pnames);
	buf_appendf(body,
	    "Copies:    %zu queued, one per member%s, each encrypted to that "
	    "%s's key alone\n"
	    "Queue id:  %s\n\n"
	    "Members:   %s\n%s%s%s\n"
	    "A copy whose member key is missing, expired or revoked waits in "
	    "the outbox;\nyou will get a separate notice naming it.  "
	    "'embargoctl outbox' lists what\nhas not been delivered yet.\n",
	    copies, parts->n ? " and participant" : "",
	    parts->n ? "recipient" : "member", x->m->qid[0] ? x->m->qid : "-",
	    names.data ? names.data : "(none)",
	    parts->n ? "Participants: " : "", pnames.data ? pnames.data : "",
	    parts->n ? "\n" : "");
	buf_free(&names);
	buf_free(&pnames);
}

/* queue_receipt - the sender's receipt: ids, dates, counts */

static int
queue_receipt(struct fanout_txn *x, const struct strv *parts, size_t copies,
    struct em_err *err)
{
	struct notice_spec n;
	struct buf body;
	char *subject;
	int rc;

	buf_init(&body);
	receipt_head(x, &body);
	receipt_copies(x, parts, copies, &body);
	/* What to do when public text is missing (SPEC 4). */
	if ((rc = public_receipt_note(x->t, x->d->advisory_id,
	    x->d->embargoed, x->f, x->now, &body, err)) < 0) {
		buf_free(&body);
		return rc;
	}
	subject = xasprintf("Receipt: %s revision %d, %zu copies queued",
	    x->d->advisory_id, x->f->revision, copies);
	n.to = x->m->sender;
	n.advisory = x->d->advisory_id;
	n.revision = x->f->revision;
	n.subject = subject;
	n.body = body.data;
	n.now = x->now;
	rc = notice_queue(x->t, x->cfg, &n, err);
	free(subject);
	buf_free(&body);
	return rc;
}

/*
 * discussion_copies - a post to the members' discussion list: one copy
 * for each member and one for the team (its first address, encrypted to
 * its first key), From the discussion list
 */
static int
discussion_copies(struct fanout_txn *x, size_t *n, struct em_err *err)
{
	const struct config *cfg = x->cfg;
	int rc;

	*n = 0;
	for (size_t i = 0; i < cfg->n_members; i++) {
		const struct conf_member *mb = &cfg->members[i];
		struct copy_rcpt r = { mb->name, mb->address, mb->key };

		if ((rc = queue_one(x, &r, "discussion", cfg->discussion_address,
		    err)) < 0)
			return rc;
		(*n)++;
	}
	if (cfg->team_addresses.n > 0 && cfg->team_keys.n > 0) {
		struct copy_rcpt r = { "the security team",
		    cfg->team_addresses.v[0], cfg->team_keys.v[0] };

		if ((rc = queue_one(x, &r, "discussion", cfg->discussion_address,
		    err)) < 0)
			return rc;
		(*n)++;
	}
	return EM_OK;
}

/*
 * note_post - the sealed post of this revision, listed beside its
 * advisory ("REVISION POST-ID TIME" a line): what the release hooks read
 * once the advisory is public, and the members' CSAF history
 */
static int
note_post(struct fanout_txn *x, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	char line[64];
	int rc;

	if ((rc = store_adv_list_get(x->t, "posts", x->d->advisory_id, &v,
	    err)) < 0)
		return rc;
	(void)snprintf(line, sizeof(line), "%d %llu %lld", x->f->revision,
	    (unsigned long long)x->post_id, (long long)x->now);
	strv_push(&v, line);
	rc = store_adv_list_put(x->t, "posts", x->d->advisory_id, &v, err);
	strv_free(&v);
	return rc;
}

/* post_steps - in x's transaction: what a list or discussion post changes */

static int
post_steps(struct fanout_txn *x, const struct buf *sealed, const char *msg_sha,
    size_t *copies, struct em_err *err)
{
	const struct facts *f = x->f;
	struct strv parts = { NULL, 0 };
	int rc;

	if (x->d->verdict != POLICY_DISCUSS &&
	    (rc = register_advisory(x, err)) < 0)
		return rc;
	if ((rc = store_next_id(x->t, &x->post_id, err)) < 0 ||
	    (rc = store_blob_put(x->t, STORE_BLOB_POST, x->post_id, sealed->data,
	    sealed->len, err)) < 0 ||
	    (rc = audit_decision(x->t, x->m, f, x->d, msg_sha, err)) < 0)
		return rc;
	if (x->d->verdict == POLICY_DISCUSS)
		return discussion_copies(x, copies, err);
	if ((rc = note_post(x, err)) == EM_OK &&
	    (rc = store_print_add_text(x->t, state_print_key(),
	    f->text.data ? f->text.data : "", f->text.len, x->d->advisory_id,
	    err)) == EM_OK &&
	    (rc = add_participants(x, &parts, err)) == EM_OK &&
	    (rc = queue_copies(x, &parts, copies, err)) == EM_OK)
		rc = queue_receipt(x, &parts, *copies, err);
	strv_free(&parts);
	return rc;
}

/* seal_post - the post packed and sealed to the list key, into sealed:
 * first, so that the crypto stays outside the write lock */

static int
seal_post(const struct fanout_txn *x, struct buf *sealed, struct em_err *err)
{
	struct buf packed;
	char was[32] = "";
	int rc;

	if (x->d->verdict != POLICY_DISCUSS && (rc = deploy_before(x->f,
	    x->d->advisory_id, was, sizeof(was), err)) < 0)
		return rc;
	buf_init(&packed);
	post_pack(x->f, x->now, was[0] ? was : NULL, &packed);
	rc = keys_seal(x->cfg->list_key, packed.data, packed.len, sealed, err);
	buf_free(&packed);
	return rc;
}

/* commit_post - in one write transaction: a resend answered as before,
 * else what the post changes (post_steps()); *copies: how many */

static int
commit_post(struct fanout_txn *x, const struct buf *sealed,
    const char *msg_sha, bool *resent, size_t *copies, struct em_err *err)
{
	char *what;
	int rc;

	if ((rc = store_begin(state_store(), true, &x->t, err)) < 0)
		return rc;
	if (x->d->verdict == POLICY_DISCUSS)
		what = xasprintf("sent to the discussion list");
	else
		what = xasprintf("fanned out as %s revision %d",
		    x->d->advisory_id, x->f->revision);
	rc = resend_check(x->t, x->m, x->f, x->d, what, resent, err);
	free(what);
	if (rc == EM_OK && !*resent)
		rc = post_steps(x, sealed, msg_sha, copies, err);
	if (rc == EM_OK)
		return store_commit(x->t, err);
	store_abort(x->t);
	return rc;
}

/* fanout_done - a fan-out committed: logged, the workers kicked, and the
 * release timer woken when the date moved or is new */

static void
fanout_done(const struct fanout_txn *x, size_t copies)
{
	const struct outbox_msg *m = x->m;

	if (x->d->verdict == POLICY_DISCUSS)
		log_msg(LOG_INFO, m->qid, "from=<%s>: discussion post to "
		    "%zu members and the team queued", m->sender, copies);
	else
		log_msg(LOG_INFO, m->qid, "from=<%s> id=%s revision=%d: "
		    "fan-out to %zu members and participants queued%s%s",
		    m->sender, x->d->advisory_id, x->f->revision, copies,
		    x->moved[0] ? "; " : "", x->moved);
	deliver_kick();
	/* A date a post moved is a new release time for held postings;
	 * a new date is one to pre-announce. */
	if (x->moved[0] != '\0' || (x->fresh && x->d->embargoed))
		state_wake(WAKE_RELEASE);
}

/*
 * fanout_commit - everything rule 1 changes, or a post to the members'
 * discussion list (d->verdict POLICY_DISCUSS), in one transaction
 */
int
fanout_commit(const struct outbox_msg *m, const struct facts *f,
    const struct policy_decision *d, const char *msg_sha, bool *resent,
    struct em_err *err)
{
	struct fanout_txn x = { NULL, m->cfg, m, f, d, time(NULL), 0, false,
	    "", NULL };
	struct buf sealed;
	size_t copies = 0;
	int rc;

	buf_init(&sealed);
	if ((rc = seal_post(&x, &sealed, err)) == EM_OK)
		rc = commit_post(&x, &sealed, msg_sha, resent, &copies, err);
	buf_free(&sealed);
	if (rc == EM_OK && !*resent)
		fanout_done(&x, copies);
	return rc;
}

/* date_text - the notice of a moved date: ids, dates, who, and for an
 * early release (reason: what embargoctl recorded with it, else NULL)
 * why; no advisory text */

static void
date_text(const struct store_advisory *a, time_t was, time_t now,
    const char *reason, struct buf *body, char *subject, size_t n)
{
	char w[EM_TIME_BUFSZ], e[EM_TIME_BUFSZ], t[EM_TIME_BUFSZ];
	bool lifted = a->state != STORE_ADV_EMBARGOED || a->embargo <= now;
	bool early = lifted && reason != NULL;	/* embargoctl said so */

	(void)em_time_format(was, w);
	(void)em_time_format(a->embargo ? a->embargo : now, e);
	(void)em_time_format(now, t);
	if (lifted)
		(void)snprintf(subject, n, "%s: embargo lifted%s, public since %s",
		    a->id, early ? " early" : "", e);
	else
		(void)snprintf(subject, n, "%s: embargo date moved to %s", a->id, e);
	buf_appendf(body, "The embargo date of %s has %s.\n\n"
	    "Advisory:  %s\n"
	    "Was:       %s\n"
	    "%s%s\n"
	    "Moved by:  %s\n", a->id, !lifted ? "moved" : early ? "been lifted "
	    "before it came: it is public now" : "been lifted: it is public now",
	    a->id, w, lifted ? "Public:    since " : "Now:       ", e,
	    a->embargo_set_by[0] ? a->embargo_set_by : "the security team");
	if (early)
		buf_appendf(body, "Why:       %s\n", reason);
	buf_appendf(body, "Told at:   %s\n\n%s\n", t, lifted ? "The advisory "
	    "may be discussed in public from now on." : "Keep the advisory to "
	    "yourself until the new date; plan your updates for it.");
}

/*
 * notice_post - the notice sealed as a post, so that the delivery
 * workers build its copies as they build an advisory's
 */
static int
notice_post(const struct config *cfg, const struct store_advisory *a,
    time_t was, time_t now, const char *reason, struct buf *sealed,
    struct em_err *err)
{
	struct buf body, entity, packed;
	char subject[200];
	int rc;

	buf_init(&body);
	buf_init(&entity);
	buf_init(&packed);
	date_text(a, was, now, reason, &body, subject, sizeof(subject));
	policy_build_text(body.data, &entity);
	post_pack_notice(subject, cfg->list_address, now, entity.data, &packed);
	rc = keys_seal(cfg->list_key, packed.data, packed.len, sealed, err);
	buf_free(&body);
	buf_free(&entity);
	buf_free(&packed);
	return rc;
}

/* notice_copies - in x's transaction, one notice copy per member and participant */

static int
notice_copies(struct fanout_txn *x, const struct buf *sealed, size_t *n,
    struct em_err *err)
{
	struct strv parts = { NULL, 0 };
	int rc;

	if ((rc = store_next_id(x->t, &x->post_id, err)) < 0 ||
	    (rc = store_blob_put(x->t, STORE_BLOB_POST, x->post_id,
	    sealed->data, sealed->len, err)) < 0)
		return rc;
	if ((rc = store_adv_list_get(x->t, "participants", x->d->advisory_id,
	    &parts, err)) < 0)
		return rc;
	rc = queue_copies(x, &parts, n, err);
	strv_free(&parts);
	return rc;
}

/*
 * fanout_date_notice - SPEC 6: the date of id moved since the members
 * were told (embargoctl embargo --until or --now): each member and
 * participant gets a short notice, signed whole by the list key and
 * encrypted to that recipient alone, each audited (date-notice); the new
 * date is then the one told
 */
int
fanout_date_notice(const struct config *cfg, const char *id, struct em_err *err)
{
	struct store_advisory a;
	struct outbox_msg m = { cfg, cfg->list_address, NULL, 0, "", "", NULL,
	    0, 0 };
	struct facts f;
	struct policy_decision d;
	struct fanout_txn x = { NULL, cfg, &m, &f, &d, time(NULL), 0, false,
	    "", "date-notice" };
	struct strv why = { NULL, 0 };
	struct buf sealed;
	time_t was = 0;
	size_t n = 0;
	int rc;

	if ((rc = store_begin(state_store(), false, &x.t, err)) < 0)
		return rc;
	/* Never registered or never told: nothing to tell.  Unreadable: an
	 * error, tried again. */
	if ((rc = store_adv_get(x.t, id, &a, err)) == EM_OK &&
	    (rc = fanout_told(x.t, id, &was, err)) == EM_OK && was != a.embargo)
		rc = store_adv_list_get(x.t, "early-reason", id, &why, err);
	if (rc != EM_OK || was == a.embargo) {
		store_abort(x.t);
		strv_free(&why);
		return rc == EM_OK || rc == EM_ENOTFOUND ? EM_OK : rc;
	}
	store_abort(x.t);
	buf_init(&sealed);
	rc = notice_post(cfg, &a, was, x.now, why.n > 0 ? why.v[0] : NULL,
	    &sealed, err);
	strv_free(&why);
	if (rc < 0) {
		buf_free(&sealed);
		return rc;
	}
	memset(&f, 0, sizeof(f));
	f.revision = a.revision;
	memset(&d, 0, sizeof(d));
	(void)snprintf(d.advisory_id, sizeof(d.advisory_id), "%s", id);
	d.embargoed = a.state == STORE_ADV_EMBARGOED && a.embargo > x.now;
	d.embargo = a.embargo;
	if ((rc = store_begin(state_store(), true, &x.t, err)) == EM_OK) {
		if ((rc = notice_copies(&x, &sealed, &n, err)) == EM_OK &&
		    (rc = set_told(x.t, id, a.embargo, err)) == EM_OK)
			rc = store_commit(x.t, err);
		else
			store_abort(x.t);
	}
	buf_free(&sealed);
	if (rc == EM_OK) {
		log_msg(LOG_INFO, NULL, "%s: the moved date told to %zu members "
		    "and participants", id, n);
		deliver_kick();
	}
	return rc;
}
