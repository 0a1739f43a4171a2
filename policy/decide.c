/*
 * decide.c - SPEC section 5: one message, one decision
 *
 * The rules are tried in the order of the SPEC; the first that applies
 * wins.  Every branch sets the verdict, the SMTP reply (RFC 3463 code) and
 * the reason for the audit.  policy_decide() reads no clock, no store and
 * no key: the caller passes now, the registry view and the signer.
 * Whether a message quotes an advisory under embargo is the leak guard's
 * rule, policy_match() (match.c).
 */

/* System library. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "policy.h"
#include "match.h"
#include "../util/emtime.h"

/*
 * The registry as the rules read it: the caller's view, and the first
 * fault met reading it.  A fault never reads as "not registered",
 * "public" or "quotes nothing": policy_decide() answers 451 4.3.0 with
 * its reason whatever the rules made of the missing answer (SPEC 9).
 */
struct lens {
	const struct policy_view *pv;
	int	rc;			/* 0, or the first fault's code */
	struct em_err err;		/* its reason */
};

/* faulted - note the first fault of l; true when rc is one */

static bool
faulted(struct lens *l, int rc, const struct em_err *err)
{
	if (rc >= 0)
		return false;
	if (l->rc == 0) {
		l->rc = rc;
		l->err = *err;
	}
	return true;
}

/* look - the registered advisory id, or NULL (not registered, or a fault
 * noted in l) */

static const struct policy_advisory *
look(struct lens *l, const char *id)
{
	const struct policy_advisory *a = NULL;
	struct em_err err;

	if (l == NULL || l->pv == NULL || l->pv->lookup == NULL || id == NULL ||
	    id[0] == '\0')
		return NULL;
	em_err_clear(&err);
	if (faulted(l, l->pv->lookup(l->pv->ctx, id, &a, &err), &err))
		return NULL;
	return a;
}

/* set - fill a decision */

static void
set(struct policy_decision *d, enum policy_verdict v, const char *rcode,
    const char *xcode, const char *event)
{
	d->verdict = v;
	(void)snprintf(d->rcode, sizeof(d->rcode), "%s", rcode);
	(void)snprintf(d->xcode, sizeof(d->xcode), "%s", xcode);
	(void)snprintf(d->event, sizeof(d->event), "%s", event);
}

static void refuse(struct policy_decision *d, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * refuse - every refusal of the rules: 550 5.7.1, the reply to the sender
 * from fmt, and the audit reason: the reply, after "what: " when what is
 * not NULL
 */
static void
refuse(struct policy_decision *d, const char *what, const char *fmt, ...)
{
	va_list ap;
	char *reply;

	set(d, POLICY_REJECT, "550", "5.7.1", "rejected");
	va_start(ap, fmt);
	reply = xvasprintf(fmt, ap);
	va_end(ap);
	(void)snprintf(d->reply, sizeof(d->reply), "%s", reply);
	free(reply);
	(void)snprintf(d->reason, sizeof(d->reason), "%s%s%s", what ? what : "",
	    what ? ": " : "", d->reply);
}

/*
 * policy_unreadable - a message that could not be read (rc from
 * policy_read() or keys_read_crypt(), why its reason): over a ceiling,
 * 554 5.6.0 (it never fits); a part that can never be decrypted, 550
 * 5.7.1; anything else is ours and passes (a key or agent we cannot use
 * now): tempfail, 451 4.3.0.  The milter and dry-run both answer so.
 */
void
policy_unreadable(int rc, const char *why, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (rc == EM_ELIMIT || rc == EM_ETOOBIG || rc == EM_EINTEGRITY ||
	    rc == EM_EREADER) {
		set(d, POLICY_REJECT, rc == EM_EINTEGRITY ? "550" : "554",
		    rc == EM_EINTEGRITY ? "5.7.1" : "5.6.0", "rejected");
		(void)snprintf(d->reply, sizeof(d->reply), "%s%s",
		    rc == EM_ELIMIT ? "message structure too complex to check: " :
		    rc == EM_EREADER ? "message cannot be read: " : "", why);
	} else {
		set(d, POLICY_TEMPFAIL, "451", "4.3.0", "tempfail");
		(void)snprintf(d->reply, sizeof(d->reply), "%s", why);
	}
	(void)snprintf(d->reason, sizeof(d->reason), "%s", d->reply);
}

/*
 * policy_oversize - a message, or its header block, larger than its
 * ceiling: 552 5.3.4 (RFC 3463: too big for the system), for good
 */
void
policy_oversize(bool header, size_t limit, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	set(d, POLICY_REJECT, "552", "5.3.4", "rejected");
	(void)snprintf(d->reply, sizeof(d->reply), header ?
	    "message header larger than max_header_size (%zu bytes)" :
	    "message larger than max_message_size (%zu bytes)", limit);
	(void)snprintf(d->reason, sizeof(d->reason), "%s", d->reply);
}

/* policy_verdict_name - for logs and dry-run */

const char *
policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_PASS:	return "pass";
	case POLICY_REJECT:	return "reject";
	case POLICY_TEMPFAIL:	return "tempfail";
	case POLICY_FANOUT:	return "fan-out";
	case POLICY_HOLD:	return "hold";
	case POLICY_DISCUSS:	return "discussion";
	}
	return "tempfail";
}

/* is_team - a valid team signature, or the envelope when unsigned is allowed */

static bool
is_team(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env)
{
	if (f->signer[0] != '\0' && conf_is_team_key(cfg, f->signer))
		return true;
	return !cfg->require_signed && env->sender != NULL &&
	    conf_addr_role(cfg, env->sender) == CONF_ROLE_TEAM;
}

/* sender_is_team_address - the envelope names a team address */

static bool
sender_is_team_address(const struct config *cfg,
    const struct policy_envelope *env)
{
	return env->sender != NULL &&
	    conf_addr_role(cfg, env->sender) == CONF_ROLE_TEAM;
}

/* has_role - does any recipient have this role */

static bool
has_role(const struct config *cfg, const struct policy_envelope *env,
    enum conf_role role)
{
	for (size_t i = 0; i < env->n_rcpts; i++)
		if (conf_addr_role(cfg, env->rcpts[i]) == role)
			return true;
	return false;
}

/*
 * inside - may this recipient see the embargoed text of advisory id?
 * The members, the team and the list may; so may the discussion list,
 * whose copies go to them alone.  A participant may see the advisories
 * the team named it for.  With id NULL (the team's own list post, which
 * names its participants by sending to them) any configured participant
 * may, and the discussion list is no place for the advisory itself.
 */
static bool
inside(const struct config *cfg, const char *rcpt, const char *id,
    struct lens *view)
{
	enum conf_role r = conf_addr_role(cfg, rcpt);
	const struct conf_member *p;

	if (r == CONF_ROLE_MEMBER || r == CONF_ROLE_TEAM || r == CONF_ROLE_LIST)
		return true;
	if (r == CONF_ROLE_DISCUSSION)
		return id != NULL;
	if (r != CONF_ROLE_PARTICIPANT ||
	    (p = conf_participant_by_addr(cfg, rcpt)) == NULL)
		return false;
	if (id == NULL)
		return true;
	if (view == NULL || view->pv == NULL ||
	    view->pv->has_participant == NULL)
		return false;
	{
		struct em_err err;
		bool yes = false;

		em_err_clear(&err);
		return !faulted(view, view->pv->has_participant(view->pv->ctx,
		    id, p->name, &yes, &err), &err) && yes;
	}
}

/*
 * outsiders - list the recipients that may not see advisory id's
 * embargoed text (see inside()) into out; returns how many there are.
 * The list is cut, with a count, to fit a reply.
 */
static size_t
outsiders(const struct config *cfg, const struct policy_envelope *env,
    const char *id, struct lens *view, char *out, size_t outsz)
{
	size_t n = 0, shown = 0, used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < env->n_rcpts; i++) {
		char *a;
		int w;

		if (inside(cfg, env->rcpts[i], id, view))
			continue;
		n++;
		a = em_addr_norm(env->rcpts[i]);
		w = snprintf(out + used, outsz - used, "%s<%s>",
		    shown ? ", " : "", a);
		free(a);
		if (w > 0 && (size_t)w < outsz - used - 24) {
			used += (size_t)w;
			shown++;
		}
	}
	if (n > shown && used < outsz)
		(void)snprintf(out + used, outsz - used, " and %zu more",
		    n - shown);
	return n;
}

/* reply_embargo - the leak refusal of rule 3 */

static void
reply_embargo(struct policy_decision *d, const char *id, time_t when,
    const char *who, size_t runs)
{
	char t[EM_TIME_BUFSZ];
	size_t n;

	refuse(d, "leak", "%s is under embargo until %s; not sent to %s",
	    id[0] ? id : "this message", em_time_format(when, t), who);
	/* For the audit: how much of it the message quotes (SPEC 8). */
	n = strlen(d->reason);
	if (runs > 0)
		(void)snprintf(d->reason + n, sizeof(d->reason) - n, " (%zu word "
		    "runs of the message match its text)", runs);
	else
		(void)snprintf(d->reason + n, sizeof(d->reason) - n, " (its "
		    "embargo marker)");
}

/* embargoed - an advisory the view says is under embargo */

static const struct policy_advisory *
embargoed(struct lens *view, const char *id, time_t now)
{
	const struct policy_advisory *a = look(view, id);

	return a != NULL && a->embargo > now ? a : NULL;
}

/*
 * own_advisory - is the message the team's own advisory, not under
 * embargo (a valid team signature, an advisory id that is not embargoed
 * or not registered)?  A fault reading its record is noted in view.
 */
static bool
own_advisory(const struct config *cfg, const struct facts *f,
    struct lens *view, time_t now)
{
	return f->signer[0] != '\0' && conf_is_team_key(cfg, f->signer) &&
	    f->advisory_id[0] != '\0' &&
	    embargoed(view, f->advisory_id, now) == NULL;
}

/*
 * quoting - the embargoed advisory whose text the message quotes, or NULL.
 * Of the team's own advisory that is not under embargo (own_advisory())
 * the guard reads all but its standard sections (every known heading but
 * ISSUE DESCRIPTION: policy_specific_text()): the standard words it
 * shares with an embargoed one are public whatever public text is loaded
 * (SPEC 4), so that the team can publish one advisory while another is
 * embargoed; its ISSUE DESCRIPTION, title and attachments still count,
 * and one that quotes an embargoed advisory's own text there is held
 * (rule 2) or refused (rule 3).
 * Outsiders cannot use this: it needs the team's signature.
 */
static const struct policy_advisory *
quoting(const struct config *cfg, const struct facts *f,
    struct lens *view, time_t now, size_t *runs)
{
	struct policy_match m;
	struct em_err err;
	struct buf own;
	bool mine;
	int rc;

	*runs = 0;
	if (view == NULL || view->pv == NULL || view->pv->print_filed == NULL ||
	    f->text.len == 0)
		return NULL;
	buf_init(&own);
	if ((mine = own_advisory(cfg, f, view, now)))
		policy_specific_text(f->text.data, f->text.len, &own);
	em_err_clear(&err);
	rc = mine ? policy_match(view->pv, own.data ? own.data : "", own.len,
	    now, &m, &err) : policy_match(view->pv, f->text.data, f->text.len,
	    now, &m, &err);
	buf_free(&own);
	if (faulted(view, rc, &err) || m.advisory[0] == '\0')
		return NULL;
	*runs = m.runs;
	return embargoed(view, m.advisory, now);
}

/*
 * marker_date - the date a future marker gives rules 2 and 3, or 0.  A
 * marker in mail that names a registered advisory follows the registry's
 * date for it, not the date written in the text (SPEC 4): none once it is
 * public (lifted early with --now, say), the moved date when it moved.
 */
static time_t
marker_date(const struct facts *f, const struct policy_marker *m,
    struct lens *view, time_t now)
{
	const struct policy_advisory *a;

	if (m->kind != POLICY_MARKER_VALID || m->when <= now)
		return 0;
	if ((a = look(view, f->advisory_id)) != NULL)
		return a->embargo > now ? a->embargo : 0;
	return m->when;
}

/*
 * list_post_date - rule 1's embargo: the marker's date, or, for an
 * advisory registered and under embargo, the date it has (nothing lifts
 * an embargo by omission).  False with d set when the post is refused.
 */
static bool
list_post_date(const struct config *cfg, const struct facts *f,
    struct lens *view, time_t now, struct policy_decision *d)
{
	const struct policy_advisory *reg = embargoed(view, f->advisory_id, now);
	char t[EM_TIME_BUFSZ], t2[EM_TIME_BUFSZ];

	if (f->marker.kind == POLICY_MARKER_VALID && f->marker.when > now) {
		d->embargoed = true;
		d->embargo = f->marker.when;
		if (f->marker.when - now <= cfg->max_embargo)
			return true;
		refuse(d, NULL, "%s: embargo date %s is more than max_embargo "
		    "(%ld days) ahead; choose an earlier date, or set it on "
		    "purpose with embargoctl embargo %s --until", f->advisory_id,
		    em_time_format(f->marker.when, t),
		    cfg->max_embargo / 86400, f->advisory_id);
		return false;
	}
	if (reg == NULL)
		return true;		/* a public advisory */
	if (f->marker.kind == POLICY_MARKER_VALID) {
		/* A date in the past: a mistyped year must not publish. */
		refuse(d, NULL, "%s is under embargo until %s, and this post's "
		    "embargo date %s has passed; to lift the embargo early run: "
		    "embargoctl embargo %s --now", f->advisory_id,
		    em_time_format(reg->embargo, t),
		    em_time_format(f->marker.when, t2), f->advisory_id);
		return false;
	}
	/* No marker: an embargoed revision, its date kept. */
	d->embargoed = true;
	d->embargo = reg->embargo;
	d->embargo_kept = true;
	return true;
}

/* rule_list_post - rule 1: a post to the pre-disclosure list */

static void
rule_list_post(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct lens *view,
    time_t now, struct policy_decision *d)
{
	char who[256], t[EM_TIME_BUFSZ];

	if (!d->is_team) {
		const char *what = "list post not from the team";

		if (f->unreadable > 0)
			refuse(d, what, "posts to %s must be encrypted to the "
			    "list key %s or sent in clear; this one is encrypted "
			    "to a key the list does not hold", cfg->list_address,
			    cfg->list_key);
		else if (cfg->require_signed)
			refuse(d, what, "posts to %s must carry a valid OpenPGP "
			    "signature by a team key; %s", cfg->list_address,
			    f->n_crypt > 0 ? "no valid team signature was found" :
			    "this one is not signed: sign it (PGP/MIME) with "
			    "your team key");
		else
			refuse(d, what, "only the team (%s) may post to %s",
			    cfg->team_addresses.n ? cfg->team_addresses.v[0] :
			    "team.addresses", cfg->list_address);
		return;
	}
	if (f->advisory_id[0] == '\0') {
		refuse(d, "list post without an advisory id", "a post to %s "
		    "must name its advisory id (e.g. XSA-123 or CVE-YYYY-NNNN) "
		    "in the Subject or text", cfg->list_address);
		return;
	}
	(void)snprintf(d->advisory_id, sizeof(d->advisory_id), "%s",
	    f->advisory_id);
	if (!list_post_date(cfg, f, view, now, d))
		return;
	if (d->embargoed && outsiders(cfg, env, NULL, view, who,
	    sizeof(who)) > 0) {
		refuse(d, NULL, "%s is under embargo until %s; not sent to %s: "
		    "an embargoed advisory goes to the list, the team and the "
		    "participants it names only; remove those recipients, or "
		    "give a discoverer or another affected project a "
		    "participant block (address and pinned key, see "
		    "embargo-milter.conf(5)) and send again", f->advisory_id,
		    em_time_format(d->embargo, t), who);
		return;
	}
	set(d, POLICY_FANOUT, "250", "2.0.0", "received");
	(void)snprintf(d->reply, sizeof(d->reply), "%s revision %d %s",
	    f->advisory_id, f->revision, d->embargoed ? "embargoed" : "public");
	(void)snprintf(d->reason, sizeof(d->reason), "list post by the team: "
	    "%s revision %d, %s%s", f->advisory_id, f->revision,
	    d->embargoed ? "embargoed" : "public", d->embargo_kept ?
	    " (no marker: the registered embargo date is kept)" : "");
}

/* rule_hold - rule 2: the team's public posting about an embargoed advisory */

static bool
rule_hold(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct lens *view,
    time_t now, struct policy_decision *d)
{
	const struct policy_advisory *a = embargoed(view, f->advisory_id, now);
	size_t runs;

	if (!d->is_team || !has_role(cfg, env, CONF_ROLE_PUBLIC))
		return false;
	if (a == NULL)
		a = quoting(cfg, f, view, now, &runs);
	if (a != NULL) {
		d->embargo = a->embargo;
		(void)snprintf(d->advisory_id, sizeof(d->advisory_id), "%s",
		    a->id);
	} else if ((d->embargo = marker_date(f, &f->marker, view, now)) ==
	    0) {
		return false;
	}
	set(d, POLICY_HOLD, "250", "2.0.0", "held");
	(void)snprintf(d->reply, sizeof(d->reply), "held until the embargo "
	    "date");
	(void)snprintf(d->reason, sizeof(d->reason), "team posting to a "
	    "public list about %s, held until its embargo date",
	    d->advisory_id[0] ? d->advisory_id : "an embargoed advisory");
	return true;
}

/* rule_leak - rule 3: embargoed text to someone who may not see it */

static bool
rule_leak(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct lens *view,
    time_t now, bool *seen, struct policy_decision *d)
{
	char who[256];
	const char *id = NULL;
	const struct policy_advisory *a = NULL;
	time_t when = 0;
	size_t runs = 0;

	if ((a = quoting(cfg, f, view, now, &runs)) != NULL) {
		id = a->id;
		when = a->embargo;
	} else if ((when = marker_date(f, &f->banner, view, now)) != 0) {
		/* A banner marks an advisory's text; a sentence that gives
		 * an id's date is what the process lets anyone say (SPEC 4). */
		id = f->advisory_id;
		runs = 0;
	} else {
		return false;
	}
	*seen = true;
	if (outsiders(cfg, env, id, view, who, sizeof(who)) == 0)
		return false;
	(void)snprintf(d->advisory_id, sizeof(d->advisory_id), "%s", id);
	d->embargo = when;
	reply_embargo(d, id, when, who, runs);
	return true;
}

/*
 * rule_discussion - a post to the members' discussion list: signed by a
 * member's or the team's pinned key, it goes to every member and the
 * team (the leak guard still guards its other recipients); anyone
 * else's, or an unsigned one, is refused
 */
static void
rule_discussion(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct lens *view,
    time_t now, struct policy_decision *d)
{
	const struct conf_member *mb = conf_member_by_key(cfg, f->signer);
	bool seen = false;

	if (mb == NULL && !conf_is_team_key(cfg, f->signer)) {
		refuse(d, "discussion post not from a member", "posts to %s "
		    "must carry a valid OpenPGP signature by a member's or the "
		    "team's pinned key; %s", cfg->discussion_address,
		    f->signer[0] ? "the key that signed this one is neither" :
		    "this one is not signed: sign it (PGP/MIME) with the key "
		    "your organisation gave the list");
		return;
	}
	if (rule_leak(cfg, f, env, view, now, &seen, d))
		return;
	set(d, POLICY_DISCUSS, "250", "2.0.0", "received");
	(void)snprintf(d->reply, sizeof(d->reply), "to the discussion list");
	(void)snprintf(d->reason, sizeof(d->reason), "discussion post by %s",
	    mb ? mb->name : "the team");
}

/* any_embargo - is any advisory under embargo at now?  Without the
 * view's filter, or after a fault (noted in view), it may be: yes */

static bool
any_embargo(struct lens *view, time_t now)
{
	struct em_err err;
	bool none = false;

	if (view->pv == NULL || view->pv->guard_begin == NULL)
		return true;
	em_err_clear(&err);
	if (faulted(view, view->pv->guard_begin(view->pv->ctx, now, &none,
	    &err), &err))
		return true;
	return !none;
}

/*
 * rule_partial - SPEC 4: a message/partial whose other parts are not in
 * the message cannot be read whole; while anything is under embargo it
 * never passes (554 5.6.0: it will not read better later)
 */
static bool
rule_partial(const struct facts *f, struct lens *view, time_t now,
    struct policy_decision *d)
{
	if (f->partial_missing == 0 || !any_embargo(view, now))
		return false;
	set(d, POLICY_REJECT, "554", "5.6.0", "rejected");
	(void)snprintf(d->reply, sizeof(d->reply), "a message/partial whose "
	    "other parts are not in this message cannot be read while "
	    "advisories are under embargo; send the message whole");
	(void)snprintf(d->reason, sizeof(d->reason), "message/partial "
	    "incomplete: %s", d->reply);
	return true;
}

/* rules - SPEC section 5, rules in order */

static void
rules(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, struct lens *view,
    time_t now, struct policy_decision *d)
{
	bool seen = false;

	memset(d, 0, sizeof(*d));
	d->is_team = is_team(cfg, f, env);
	(void)snprintf(d->advisory_id, sizeof(d->advisory_id), "%s",
	    f->advisory_id);

	/* SPEC 4: an unreadable date is an error for the team and the list. */
	if (f->bad_marker.kind == POLICY_MARKER_BAD &&
	    (d->is_team || sender_is_team_address(cfg, env) ||
	    has_role(cfg, env, CONF_ROLE_LIST))) {
		refuse(d, "unreadable embargo marker", "cannot read the embargo "
		    "date in \"%s\"; write it as YYYY-MM-DD HH:MM UTC, "
		    "YYYY-MM-DDTHH:MMZ or with a numeric offset",
		    f->bad_marker.line);
		return;
	}
	if (rule_partial(f, view, now, d))
		return;
	/* Rule 1: a post to the list, no public list among the recipients. */
	if (has_role(cfg, env, CONF_ROLE_LIST) &&
	    !has_role(cfg, env, CONF_ROLE_PUBLIC)) {
		rule_list_post(cfg, f, env, view, now, d);
		return;
	}
	if (has_role(cfg, env, CONF_ROLE_DISCUSSION)) {
		rule_discussion(cfg, f, env, view, now, d);
		return;
	}
	if (rule_hold(cfg, f, env, view, now, d))
		return;
	if (rule_leak(cfg, f, env, view, now, &seen, d))
		return;
	set(d, POLICY_PASS, "250", "2.0.0", "received");
	/* SPEC 5: a pass of mail that concerns no advisory needs no
	 * durable record before the answer. */
	d->plain = !d->is_team && !seen && view->pv != NULL &&
	    f->sealed == 0 &&	/* a sealed archive is audited as unread */
	    f->marker.kind == POLICY_MARKER_NONE &&
	    f->bad_marker.kind == POLICY_MARKER_NONE &&
	    (f->advisory_id[0] == '\0' ||
	    (view->pv->lookup != NULL && look(view, f->advisory_id) == NULL));
	(void)snprintf(d->reason, sizeof(d->reason), "%s",
	    f->bad_marker.kind == POLICY_MARKER_BAD ?
	    "pass; an embargo phrase without a readable date is not a marker "
	    "in this sender's mail" : "pass");
}

/*
 * policy_decide - the rules on a message; a registry that could not be
 * read at any step answers 451 4.3.0 with its reason (naming the
 * database), whatever the rules made of the missing answer (SPEC 9)
 */
void
policy_decide(const struct config *cfg, const struct facts *f,
    const struct policy_envelope *env, const struct policy_view *view,
    time_t now, struct policy_decision *d)
{
	struct lens l = { view, 0, { "" } };

	rules(cfg, f, env, &l, now, d);
	if (l.rc == 0)
		return;
	set(d, POLICY_TEMPFAIL, "451", "4.3.0", "tempfail");
	d->embargoed = d->embargo_kept = d->plain = false;
	(void)snprintf(d->reply, sizeof(d->reply), "the embargo registry "
	    "cannot be read; try again later");
	(void)snprintf(d->reason, sizeof(d->reason), "the registry cannot be "
	    "read, nothing decided: %s", l.err.msg);
}
