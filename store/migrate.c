/*
 * migrate.c - the state of an older layout brought to this build's, after
 * a compacted copy of it is kept aside (the daemon runs it at start)
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Application-specific. */
#include "store_int.h"

/* The outbox record as layout 2 wrote it (before the typed fields). */
struct store_outbox_v2 {
	uint32_t version;
	uint64_t id;
	int	kind, state;
	char	advisory[64];
	int	revision;
	char	member[128], rcpt[256], key[41];
	uint64_t post_id;
	unsigned attempts;
	time_t	created, next_try, sent_at;
	char	message_id[160], queue_id[32], last_error[200], from[256],
		copy_id[32];
};

/* The outbox record as layout 3 wrote it (before a certificate's
 * 64-digit pin could be its key). */
struct store_outbox_v3 {
	uint32_t version;
	uint64_t id;
	int	kind, state, cause;
	uint64_t hold;
	bool	sealed;
	char	advisory[64];
	int	revision;
	char	member[128], rcpt[256], key[41];
	uint64_t post_id;
	unsigned attempts;
	time_t	created, next_try, sent_at;
	char	message_id[160], queue_id[32], last_error[200], from[256],
		copy_id[32];
};

/* hold_of_tag - N of "hold N", or 0 */

static uint64_t
hold_of_tag(const char *tag)
{
	return strncmp(tag, "hold ", 5) == 0 ? strtoull(tag + 5, NULL, 10) : 0;
}

/* COPY_COMMON - the fields every layout has, from o into n (the key's
 * field is never narrower in a later layout) */
#define COPY_COMMON(n, o) do {						\
	(n)->id = (o)->id;						\
	(n)->kind = (o)->kind;						\
	(n)->state = (o)->state;					\
	memcpy((n)->advisory, (o)->advisory, sizeof((n)->advisory));	\
	(n)->revision = (o)->revision;					\
	memcpy((n)->member, (o)->member, sizeof((n)->member));		\
	memcpy((n)->rcpt, (o)->rcpt, sizeof((n)->rcpt));		\
	memcpy((n)->key, (o)->key, sizeof((o)->key));			\
	(n)->post_id = (o)->post_id;					\
	(n)->attempts = (o)->attempts;					\
	(n)->created = (o)->created;					\
	(n)->next_try = (o)->next_try;					\
	(n)->sent_at = (o)->sent_at;					\
	memcpy((n)->message_id, (o)->message_id, sizeof((n)->message_id)); \
	memcpy((n)->queue_id, (o)->queue_id, sizeof((n)->queue_id));	\
	memcpy((n)->last_error, (o)->last_error, sizeof((n)->last_error)); \
	memcpy((n)->from, (o)->from, sizeof((n)->from));		\
	memcpy((n)->copy_id, (o)->copy_id, sizeof((n)->copy_id));	\
} while (0)

/* from_v3 - a layout 3 outbox record in this build's layout: the same
 * fields, the key in a wider field */

static void
from_v3(const struct store_outbox_v3 *o, struct store_outbox *n)
{
	memset(n, 0, sizeof(*n));
	COPY_COMMON(n, o);
	n->cause = o->cause;
	n->hold = o->hold;
	n->sealed = o->sealed;
}

/*
 * from_v2 - a layout 2 outbox record in layout 3: "hold N" in member
 * (a release) or from (a final copy) becomes hold, key "sealed" becomes
 * sealed, and the cause is read, once and for all, from last_error's
 * prefixes as layout 2's readers did
 */
static void
from_v2(const struct store_outbox_v2 *o, struct store_outbox_v3 *n)
{
	const char *e = o->last_error;

	memset(n, 0, sizeof(*n));
	COPY_COMMON(n, o);
	if (o->kind == STORE_OB_RELEASE && (n->hold = hold_of_tag(o->member)))
		n->member[0] = '\0';
	if (o->kind == STORE_OB_COPY && (n->hold = hold_of_tag(o->from)))
		n->from[0] = '\0';
	if (strcmp(o->key, "sealed") == 0) {
		n->sealed = true;
		n->key[0] = '\0';
	}
	if (o->state == STORE_OB_WAITING_KEY)
		n->cause = STORE_OB_CAUSE_KEY;
	else if (o->state == STORE_OB_FAILED)
		n->cause = strncmp(e, "not sent: ", 10) == 0 ||
		    strncmp(e, "hold ", 5) == 0 ? STORE_OB_CAUSE_CANCELLED :
		    o->kind == STORE_OB_HOOK && strncmp(e, "dropped by", 10) ==
		    0 ? STORE_OB_CAUSE_DROPPED : o->kind == STORE_OB_HOOK &&
		    strstr(e, "is no longer in") != NULL ? STORE_OB_CAUSE_GONE :
		    STORE_OB_CAUSE_REFUSED;
	else if ((o->state == STORE_OB_QUEUED || o->state == STORE_OB_BUILT) &&
	    e[0] != '\0')
		n->cause = STORE_OB_CAUSE_DEFERRED;
}

struct old_ids { uint64_t *v; uint32_t *ver; size_t n; };

/* old_cb - st_each() for outbox: the ids of layout 2 and 3 records */

static int
old_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct old_ids *o = ctx;
	uint32_t ver = 0;

	(void)err;
	if (v->mv_size >= sizeof(ver))
		memcpy(&ver, v->mv_data, sizeof(ver));
	if (((ver == 2 && v->mv_size == sizeof(struct store_outbox_v2)) ||
	    (ver == 3 && v->mv_size == sizeof(struct store_outbox_v3))) &&
	    k->mv_size == 8) {
		o->v = xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
		o->ver = xrealloc(o->ver, (o->n + 1) * sizeof(*o->ver));
		o->ver[o->n] = ver;
		o->v[o->n++] = st_from_be64(k->mv_data);
	}
	return 0;
}

/* rewrite - the records o names brought to this build's layout in one
 * write transaction, after the compacted copy is written to aside */

static int
rewrite(struct store *s, const struct old_ids *o, const char *aside,
    struct em_err *err)
{
	struct store_txn *t;
	int rc;

	if (mkdir(aside, 0700) < 0)
		return em_fail(err, EM_ESTORE, "state store: cannot make %s for "
		    "the copy kept before migrating: %s", aside,
		    strerror(errno));
	if ((rc = mdb_env_copy2(s->env, aside, MDB_CP_COMPACT)) != 0)
		return st_fail(err, rc, "the copy kept before migrating");
	if ((rc = store_begin(s, true, &t, err)) < 0)
		return rc;
	for (size_t i = 0; i < o->n && rc == EM_OK; i++) {
		struct store_outbox_v2 old;
		struct store_outbox_v3 mid;
		struct store_outbox ob;
		unsigned char k[8];
		char what[32];

		st_be64(o->v[i], k);
		(void)snprintf(what, sizeof(what), "%llu",
		    (unsigned long long)o->v[i]);
		memset(&mid, 0, sizeof(mid));
		if (o->ver[i] == 2 && (rc = st_get_fixed(t, s->outbox, "outbox",
		    what, k, 8, &old, sizeof(old), 2, err)) == EM_OK)
			from_v2(&old, &mid);
		else if (o->ver[i] == 3)
			rc = st_get_fixed(t, s->outbox, "outbox", what, k, 8,
			    &mid, sizeof(mid), 3, err);
		if (rc == EM_OK) {
			from_v3(&mid, &ob);
			rc = store_ob_put(t, &ob, err);
		}
	}
	if (rc < 0) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

/*
 * store_migrate - records of an older layout brought to this build's in
 * one write transaction, after a compacted copy of the whole state is
 * written to aside (a folder made for it, which must not exist); *n: how
 * many (0: none, and no copy is made)
 */
int
store_migrate(struct store *s, const char *aside, size_t *n,
    struct em_err *err)
{
	struct old_ids o = { NULL, NULL, 0 };
	struct store_txn *t;
	int rc;

	*n = 0;
	if ((rc = store_begin(s, false, &t, err)) < 0)
		return rc;
	rc = st_each(t, s->outbox, "outbox", old_cb, &o, err);
	store_abort(t);
	if (rc == EM_OK && o.n > 0 && (rc = rewrite(s, &o, aside, err)) ==
	    EM_OK)
		*n = o.n;
	free(o.v);
	free(o.ver);
	return rc;
}
