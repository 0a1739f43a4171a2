/*
 * csaf.c - the members' CSAF document in a copy: a member whose block
 * says csaf = true finds, beside the advisory in each encrypted copy
 * under embargo, the advisory's CSAF 2.0 document marked TLP:AMBER
 * (record_csaf_amber(), record/), so its own tools can import it before
 * the date (SPEC 5)
 *
 * Built from the copy's own post (its text, policy_record_read()) and
 * the advisory's record (its date, its posts): inside the encryption
 * only, never kept, never anywhere else.  A post whose text has no
 * title (no advisory to describe) or a copy of an advisory already
 * public goes without it; the first is logged.
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Application-specific. */
#include "deliver_int.h"
#include "../util/log.h"
#include "../record/record.h"

/* wants - whether this copy carries the document: a member's (not a
 * participant's, a discussion's or a date notice's) who asked */

static bool
wants(const struct config *cfg, const struct store_outbox *ob,
    const struct store_post *p, bool discuss)
{
	const struct conf_member *m = conf_member_by_addr(cfg, ob->rcpt);

	return !discuss && m != NULL && m->csaf && m->key != NULL &&
	    strcasecmp(m->key, ob->key) == 0 &&
	    p->field[STORE_POST_NOTICE][0] == '\0';
}

/* text_cb - policy_parts() callback: the advisory's text, once */

static int
text_cb(const char *name, const char *data, size_t n, void *ctx)
{
	struct buf *text = ctx;

	if (name == NULL && text->len == 0)
		buf_append(text, data, n);
	return 0;
}

/* posted - when each revision was posted ("REVISION POST-ID TIME"; a
 * line of an older daemon has no time, and is left out), this copy's
 * post's time into *mine (else the copy's own) */

static size_t
posted(const struct strv *posts, const struct store_outbox *ob,
    struct record_rev *revs, time_t *mine)
{
	size_t n = 0;

	*mine = ob->created;
	for (size_t i = 0; i < posts->n; i++) {
		const char *s = posts->v[i];
		char *e;
		long rev = strtol(s, &e, 10);
		unsigned long long pid = e != s && *e == ' ' ?
		    strtoull(e + 1, &e, 10) : 0;
		long long when = pid != 0 && *e == ' ' ? strtoll(e + 1, &e, 10) :
		    -1;

		if (when < 0 || *e != '\0' || rev < 1 || rev > 1000000)
			continue;
		revs[n].revision = (int)rev;
		revs[n++].when = (time_t)when;
		if (pid == ob->post_id)
			*mine = (time_t)when;
	}
	return n;
}

/* advisory_state - the advisory's record and its posts, in one read */

static int
advisory_state(const struct store_outbox *ob, struct store_advisory *a,
    struct strv *posts, struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_adv_get(t, ob->advisory, a, err)) == EM_OK)
		rc = store_adv_list_get(t, "posts", ob->advisory, posts, err);
	store_abort(t);
	return rc;
}

/* amber - the document from the post's text; EM_OK with doc empty when
 * the text has no title */

static int
amber(const struct config *cfg, const struct store_outbox *ob,
    const struct store_post *p, const struct store_advisory *a,
    const struct strv *posts, struct buf *doc, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(cfg);
	struct rec_opts ro = { cfg->csaf_url, NULL, NULL, cfg->csaf_publisher,
	    cfg->csaf_namespace, cfg->csaf_product };
	struct record_rev *revs = xcalloc(posts->n + 1, sizeof(*revs));
	struct rec x;
	struct buf text;
	size_t n;
	int rc;

	memset(&x, 0, sizeof(x));
	x.id = ob->advisory;
	x.revision = ob->revision;
	buf_init(&text);
	rc = policy_parts(p->entity, p->entity_len, &lim, text_cb, &text, err);
	if (rc == EM_OK) {
		policy_record_read(text.data != NULL ? text.data : "", text.len,
		    &x.r);
		n = posted(posts, ob, revs, &x.released);
		(void)record_number(x.id, &x.number);
		if (x.r.title[0] != '\0') {
			char *s = record_csaf_amber(&x, &ro, revs, n, a->embargo);

			buf_appends(doc, s);
			free(s);
		}
		policy_record_free(&x.r);
	}
	buf_free(&text);
	free(revs);
	return rc;
}

/*
 * csaf_attachment - the members' document for this copy into doc and
 * its file name into name ("xsa-405.json"); doc stays empty when the
 * copy carries none.  An error when the advisory's record or the post
 * cannot be read: the copy is tried again, never sent without it.
 */
int
csaf_attachment(const struct config *cfg, const struct store_outbox *ob,
    const struct store_post *p, bool discuss, struct buf *doc, char *name,
    size_t namesz, struct em_err *err)
{
	struct store_advisory a;
	struct strv posts = { NULL, 0 };
	char *base;
	int rc;

	if (!wants(cfg, ob, p, discuss))
		return EM_OK;
	if ((rc = advisory_state(ob, &a, &posts, err)) == EM_OK &&
	    a.state == STORE_ADV_EMBARGOED && a.embargo != 0 &&
	    (rc = amber(cfg, ob, p, &a, &posts, doc, err)) == EM_OK &&
	    doc->len == 0)
		log_msg(LOG_WARNING, NULL, "%s copy for %s goes without its CSAF "
		    "document: the post's text has no title after its title "
		    "block", ob->advisory, ob->rcpt);
	strv_free(&posts);
	base = record_csaf_name(ob->advisory);
	(void)snprintf(name, namesz, "%.100s.json", base);
	free(base);
	return rc;
}
