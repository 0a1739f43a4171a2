/*
 * post.c - what the post a fan-out keeps sealed says, and the note a
 * copy carries
 *
 * A post's fields are the headers a copy protects (Subject, From, Date)
 * and what the copy's note says about the team's signature and the
 * advisory's deployment state; the entity members get follows them.
 * fanout.c packs, the workers read them back; the framing of the packed
 * bytes is store/post.c's (store_post_pack(), store_post_unpack()), so
 * that "embargoctl check" reads a post as the daemon does.  The packed
 * post is sealed to the list key before it reaches the store.
 *
 * How it fails: it cannot; a damaged post is store_post_unpack()'s.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

/* post_pack - the fields and the entity, from the facts of a post */

void
post_pack(const struct facts *f, time_t verified, const char *deploy_was,
    struct buf *out)
{
	char when[32], deploy[700];
	const char *fields[STORE_POST_NFIELDS];

	(void)snprintf(when, sizeof(when), "%lld", (long long)verified);
	fields[STORE_POST_SUBJECT] = f->subject;
	fields[STORE_POST_FROM] = f->from ? f->from : "";
	fields[STORE_POST_DATE] = f->date ? f->date : "";
	fields[STORE_POST_SIGNER] = f->signer;
	fields[STORE_POST_VERIFIED] = f->signer[0] ? when : "";
	fields[STORE_POST_INSIDE] = f->signer_inside ? "1" : "";
	(void)snprintf(deploy, sizeof(deploy), "%s\n%s",
	    policy_deploy_name(f->deploy.state), f->deploy.sentence);
	fields[STORE_POST_DEPLOY] = deploy;
	fields[STORE_POST_DEPLOY_WAS] = deploy_was ? deploy_was : "";
	fields[STORE_POST_NOTICE] = "";
	store_post_pack(fields, f->forward.data, f->forward.len, out);
}

/* post_pack_notice - a notice of the list's own, packed as a post */

void
post_pack_notice(const char *subject, const char *from, time_t now,
    const char *entity, struct buf *out)
{
	const char *fields[STORE_POST_NFIELDS];
	char date[64];
	struct tm tm;

	(void)gmtime_r(&now, &tm);
	(void)strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	for (int i = 0; i < STORE_POST_NFIELDS; i++)
		fields[i] = "";
	fields[STORE_POST_SUBJECT] = subject;
	fields[STORE_POST_FROM] = from;
	fields[STORE_POST_DATE] = date;
	fields[STORE_POST_NOTICE] = "1";
	store_post_pack(fields, entity, strlen(entity), out);
}

/*
 * deploy_line - the note's first line: what the advisory says about
 * deployment during the embargo, and whether this revision changed it
 */
static void
deploy_line(const struct store_post *p, struct buf *out)
{
	const char *d = p->field[STORE_POST_DEPLOY];
	const char *nl = strchr(d, '\n');
	const char *state = d[0] && nl != d ? d : "not stated";
	int slen = nl ? (int)(nl - d) : (int)strlen(d);

	if (d[0] == '\0' || nl == d)
		slen = (int)strlen(state);
	buf_appendf(out, "Deployment during embargo: %.*s.", slen, state);
	if (p->field[STORE_POST_DEPLOY_WAS][0] != '\0')
		buf_appendf(out, " (Changed in this revision: it was %s.)",
		    p->field[STORE_POST_DEPLOY_WAS]);
	if (nl != NULL && nl[1] != '\0') {
		char *q = xasprintf("\"%s\"", nl + 1);

		buf_append(out, "\n", 1);
		buf_append_wrapped(out, q, 72);
		free(q);
	}
	buf_appends(out, "\n\n");
}

/* pin_kind - what the copy is encrypted to, in words */

static const char *
pin_kind(const struct store_outbox *ob)
{
	return keys_pin_is_cert(ob->key) ? "certificate" : "key";
}

/*
 * other_note - the note of a copy that is not an advisory's: a post to
 * the members' discussion list, or a notice of the list's own; false
 * for an advisory's copy
 */
static bool
other_note(const struct config *cfg, const struct store_post *p,
    const struct store_outbox *ob, struct buf *out)
{
	char ts[EM_TIME_BUFSZ];
	const char *signer = p->field[STORE_POST_SIGNER];
	const struct conf_member *poster;

	if (cfg->discussion_address != NULL && ob->from[0] != '\0' &&
	    strcmp(ob->from, cfg->discussion_address) == 0) {
		poster = conf_member_by_key(cfg, signer);
		buf_appendf(out, "Copy id %s: a post to the members' discussion "
		    "list <%s>\nby %s (%s), made for %s and encrypted to that "
		    "%s alone.\nIts signature, key %s, was verified by the "
		    "list on %s;\nthis copy carries the discussion list's "
		    "signature.\n\nReplies reach the discussion list <%s>: "
		    "every member and the team.\n", ob->copy_id,
		    cfg->discussion_address, poster ? poster->name :
		    "the security team", p->field[STORE_POST_FROM][0] ?
		    p->field[STORE_POST_FROM] : "no From", ob->member,
		    pin_kind(ob), signer,
		    em_time_format((time_t)strtoll(
		    p->field[STORE_POST_VERIFIED], NULL, 10), ts),
		    cfg->discussion_address);
		return true;
	}
	if (p->field[STORE_POST_NOTICE][0] != '\0') {
		buf_appendf(out, "Copy id %s: a notice from the pre-disclosure list "
		    "<%s> about %s,\nmade for %s, encrypted to that %s alone and "
		    "signed by the list.\n", ob->copy_id, cfg->list_address,
		    ob->advisory, ob->member, pin_kind(ob));
		return true;
	}
	return false;
}

/*
 * post_note - the text part beside the entity in one member's copy: who
 * it was made for, and who signed the original.  mutt and Thunderbird
 * sign and encrypt in one OpenPGP message, so the team's signature ends
 * with the list's decryption: the note names the key the list verified.
 */
void
post_note(const struct config *cfg, const struct store_post *p,
    const struct store_outbox *ob, struct buf *out)
{
	char ts[EM_TIME_BUFSZ];
	const char *signer = p->field[STORE_POST_SIGNER];

	if (other_note(cfg, p, ob, out))
		return;
	deploy_line(p, out);
	if (conf_participant_by_addr(cfg, ob->rcpt) != NULL)
		buf_appendf(out, "Copy id %s: this copy of %s revision %d\nwas "
		    "made for %s,\na participant the security team named for "
		    "this advisory alone,\nby the pre-disclosure list <%s>,\n"
		    "encrypted to that participant's %s alone.  Keep it to "
		    "yourself until\nthe embargo ends.\n\n", ob->copy_id,
		    ob->advisory, ob->revision, ob->member, cfg->list_address,
		    pin_kind(ob));
	else
		buf_appendf(out, "Copy id %s: this copy of %s revision %d was made "
		    "for %s\nby the pre-disclosure list <%s>, encrypted to that "
		    "member's %s alone.\n\n", ob->copy_id, ob->advisory,
		    ob->revision, ob->member, cfg->list_address, pin_kind(ob));
	if (signer[0] != '\0') {
		time_t when = (time_t)strtoll(p->field[STORE_POST_VERIFIED],
		    NULL, 10);

		buf_appendf(out, "The security team's signature was verified by the "
		    "list on %s,\n%s %s.\n", em_time_format(when, ts),
		    keys_pin_is_cert(signer) ? "certificate" : "key", signer);
		if (p->field[STORE_POST_INSIDE][0] != '\0')
			buf_appends(out, "That signature travels with the "
			    "advisory below, unchanged: your\nmail client can "
			    "verify it too.\n");
		else
			buf_appends(out, "The team signed inside its encryption "
			    "to the list, so this copy carries\nthe list's "
			    "signature instead.\n");
	} else {
		buf_appends(out, "The post carried no signature by a team key "
		    "(require_signed = false):\nthe list accepted it from the "
		    "team's address.\n");
	}
	if (cfg->team_addresses.n > 0)
		buf_appendf(out, "\nReplies reach the security team <%s>.\n",
		    cfg->team_addresses.v[0]);
}
