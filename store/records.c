/*
 * records.c - the registry, the outbox (and its pending index), holds,
 * blobs, meta and the lists kept beside an advisory
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "store_int.h"

/* store_adv_get - one advisory by id */

int
store_adv_get(struct store_txn *t, const char *id, struct store_advisory *out,
    struct em_err *err)
{
	char what[80];

	(void)snprintf(what, sizeof(what), "'%.64s'", id);
	return st_get_fixed(t, t->s->adv, "adv", what, id, strlen(id), out,
	    sizeof(*out), ADV_VERSION, err);
}

/* store_adv_put - register or update an advisory */

int
store_adv_put(struct store_txn *t, const struct store_advisory *a,
    struct em_err *err)
{
	struct store_advisory copy = *a;
	int rc;

	copy.version = ADV_VERSION;
	/* An advisory written as under embargo moves the embargo epoch: the
	 * leak guard's filter (view.h) checks it covers every one again. */
	if (a->state == STORE_ADV_EMBARGOED) {
		uint64_t e;
		unsigned char k[8];

		if ((rc = store_embargo_epoch(t, &e, err)) < 0)
			return rc;
		st_be64(e + 1, k);
		if ((rc = st_put(t, t->s->meta, EPOCH_KEY, strlen(EPOCH_KEY), k, 8,
		    err)) < 0)
			return rc;
	}
	return st_put(t, t->s->adv, a->id, strlen(a->id), &copy, sizeof(copy), err);
}

/* store_embargo_epoch - how many times an advisory was written as under
 * embargo (0: never) */

int
store_embargo_epoch(struct store_txn *t, uint64_t *e, struct em_err *err)
{
	unsigned char v[8];
	int rc;

	*e = 0;
	rc = st_get_fixed(t, t->s->meta, "meta", "'" EPOCH_KEY "'", EPOCH_KEY,
	    strlen(EPOCH_KEY), v, 8, 0, err);
	if (rc == EM_ENOTFOUND)
		return EM_OK;
	if (rc == EM_OK)
		*e = st_from_be64(v);
	return rc;
}

struct adv_each { int (*cb)(const struct store_advisory *, void *); void *ctx; };

/* adv_each_cb - st_each() for advisories: the record checked, then cb */

static int
adv_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct adv_each *e = ctx;
	struct store_advisory a;
	int rc;

	(void)k;
	if ((rc = st_record(v, &a, sizeof(a), ADV_VERSION, "adv", err)) < 0)
		return rc;
	return st_passed(e->cb(&a, e->ctx), "adv", err);
}

/* store_adv_each - every advisory, by id */

int
store_adv_each(struct store_txn *t,
    int (*cb)(const struct store_advisory *, void *), void *ctx,
    struct em_err *err)
{
	struct adv_each e = { cb, ctx };

	return st_each(t, t->s->adv, "adv", adv_each_cb, &e, err);
}

/* The ids under embargo at now, for store_adv_embargoed(). */
struct embargoed {
	struct strv *ids;
	time_t	now;
};

/* embargoed_cb - store_adv_each() work: an advisory under embargo */

static int
embargoed_cb(const struct store_advisory *a, void *ctx)
{
	struct embargoed *x = ctx;

	if (a->state == STORE_ADV_EMBARGOED && a->embargo > x->now)
		strv_push(x->ids, a->id);
	return 0;
}

/* store_adv_embargoed - the ids of the advisories under embargo at now */

int
store_adv_embargoed(struct store_txn *t, time_t now, struct strv *ids,
    struct em_err *err)
{
	struct embargoed x = { ids, now };

	return store_adv_each(t, embargoed_cb, &x, err);
}

static const struct store_ob_kind_info ob_kinds[] = {
	{ STORE_OB_COPY, "copy", "copy of", "copy-delivered", STORE_BLOB_COPY },
	{ STORE_OB_RELEASE, "release", "released posting about",
	    "release-delivered", STORE_BLOB_REL },
	{ STORE_OB_NOTICE, "notice", "notice about", "notice-delivered",
	    STORE_BLOB_NOTE },
	{ STORE_OB_HOOK, "hook", "release hook of", "hook-run", '\0' },
};

/* store_ob_kind - the table row of an outbox kind */

const struct store_ob_kind_info *
store_ob_kind(int kind)
{
	for (size_t i = 0; i < sizeof(ob_kinds) / sizeof(ob_kinds[0]); i++)
		if (ob_kinds[i].kind == kind)
			return &ob_kinds[i];
	return &ob_kinds[2];
}

/* store_next_id - a fresh id from the meta counter */

int
store_next_id(struct store_txn *t, uint64_t *id, struct em_err *err)
{
	unsigned char k[] = "next_id", v[8];
	uint64_t n = 1;
	int rc;

	/* Never found: the first id.  Unreadable: never a reused id. */
	if ((rc = st_get_fixed(t, t->s->meta, "meta", "'next_id'", k,
	    sizeof(k) - 1, v, 8, 0, err)) == EM_OK)
		n = st_from_be64(v);
	else if (rc != EM_ENOTFOUND)
		return rc;
	*id = n;
	st_be64(n + 1, v);
	return st_put(t, t->s->meta, k, sizeof(k) - 1, v, 8, err);
}

/* store_ob_put - add or update an outbox entry (id 0: a new one) */

int
store_ob_put(struct store_txn *t, struct store_outbox *ob, struct em_err *err)
{
	unsigned char k[8];
	int rc;

	if (ob->id == 0 && (rc = store_next_id(t, &ob->id, err)) < 0)
		return rc;
	ob->version = OB_VERSION;
	st_be64(ob->id, k);
	if ((rc = st_put(t, t->s->outbox, k, 8, ob, sizeof(*ob), err)) < 0)
		return rc;
	/* The index of what the delivery workers may still have to do. */
	if (ob->state == STORE_OB_QUEUED || ob->state == STORE_OB_BUILT)
		return st_put(t, t->s->pending, k, 8, "", 0, err);
	{
		MDB_val key = { 8, k };

		rc = mdb_del(t->txn, t->s->pending, &key, NULL);
		return rc == 0 || rc == MDB_NOTFOUND ? EM_OK :
		    st_fail(err, rc, "pending");
	}
}

/* store_ob_get - one outbox entry */

int
store_ob_get(struct store_txn *t, uint64_t id, struct store_outbox *out,
    struct em_err *err)
{
	unsigned char k[8];
	char what[32];

	st_be64(id, k);
	(void)snprintf(what, sizeof(what), "%llu", (unsigned long long)id);
	return st_get_fixed(t, t->s->outbox, "outbox", what, k, 8, out,
	    sizeof(*out), OB_VERSION, err);
}

struct ob_each { int (*cb)(const struct store_outbox *, void *); void *ctx; };

/* ob_each_cb - st_each() for outbox entries: the record checked, then cb */

static int
ob_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct ob_each *e = ctx;
	struct store_outbox ob;
	int rc;

	(void)k;
	if ((rc = st_record(v, &ob, sizeof(ob), OB_VERSION, "outbox", err)) < 0)
		return rc;
	return st_passed(e->cb(&ob, e->ctx), "outbox", err);
}

/* store_ob_each - every outbox entry, oldest first */

int
store_ob_each(struct store_txn *t,
    int (*cb)(const struct store_outbox *, void *), void *ctx,
    struct em_err *err)
{
	struct ob_each e = { cb, ctx };

	return st_each(t, t->s->outbox, "outbox", ob_each_cb, &e, err);
}

struct pending_each { struct store_txn *t;
    int (*cb)(const struct store_outbox *, void *); void *ctx; };

/* pending_cb - st_each() for the pending index: its outbox entry, then cb */

static int
pending_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct pending_each *e = ctx;
	struct store_outbox ob;
	uint64_t id;
	int rc;

	(void)v;
	if (k->mv_size != 8)
		return em_fail(err, EM_ESTORE, "state store: a key of %zu bytes "
		    "in database 'pending', where ids have 8", k->mv_size);
	id = st_from_be64(k->mv_data);
	if ((rc = store_ob_get(e->t, id, &ob, err)) < 0)
		return em_fail(err, rc == EM_ENOTFOUND ? EM_ESTORE : rc,
		    "state store: pending entry %llu has no readable outbox "
		    "record: %.400s", (unsigned long long)id, err->msg);
	return st_passed(e->cb(&ob, e->ctx), "pending", err);
}

/* store_ob_each_pending - the queued and built entries only, oldest first */

int
store_ob_each_pending(struct store_txn *t,
    int (*cb)(const struct store_outbox *, void *), void *ctx,
    struct em_err *err)
{
	struct pending_each e = { t, cb, ctx };

	return st_each(t, t->s->pending, "pending", pending_cb, &e, err);
}

/* blob_key - namespace byte and big-endian id */

static void
blob_key(char ns, uint64_t id, unsigned char k[9])
{
	k[0] = (unsigned char)ns;
	st_be64(id, k + 1);
}

/* store_blob_put - keep a (sealed) blob */

int
store_blob_put(struct store_txn *t, char ns, uint64_t id, const void *p,
    size_t n, struct em_err *err)
{
	unsigned char k[9];

	blob_key(ns, id, k);
	return st_put(t, t->s->blob, k, 9, p, n, err);
}

/* store_blob_get - a copy of a blob */

int
store_blob_get(struct store_txn *t, char ns, uint64_t id, struct buf *out,
    struct em_err *err)
{
	unsigned char k[9];
	MDB_val key = { 9, k }, val;
	int rc;

	blob_key(ns, id, k);
	rc = mdb_get(t->txn, t->s->blob, &key, &val);
	if (rc == MDB_NOTFOUND)
		return em_fail(err, EM_ENOTFOUND, "state store: database 'blob' "
		    "has no record %c%llu", ns, (unsigned long long)id);
	if (rc != 0)
		return em_fail(err, EM_ESTORE, "state store: database 'blob', "
		    "record %c%llu: %s%s", ns, (unsigned long long)id,
		    mdb_strerror(rc), store_hint(rc));
	buf_append(out, val.mv_data, val.mv_size);
	return EM_OK;
}

/* store_blob_del - forget a blob */

int
store_blob_del(struct store_txn *t, char ns, uint64_t id, struct em_err *err)
{
	unsigned char k[9];
	MDB_val key = { 9, k };
	int rc;

	blob_key(ns, id, k);
	rc = mdb_del(t->txn, t->s->blob, &key, NULL);
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : st_fail(err, rc, "del");
}

/* store_meta_get - a meta value */

int
store_meta_get(struct store_txn *t, const char *key, struct buf *out,
    struct em_err *err)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(t->txn, t->s->meta, &k, &v);

	if (rc == MDB_NOTFOUND)
		return em_fail(err, EM_ENOTFOUND, "state store: database 'meta' "
		    "has no record '%.200s'", key);
	if (rc != 0)
		return em_fail(err, EM_ESTORE, "state store: database 'meta', "
		    "record '%.200s': %s%s", key, mdb_strerror(rc),
		    store_hint(rc));
	buf_append(out, v.mv_data, v.mv_size);
	return EM_OK;
}

/* store_meta_put - set a meta value */

int
store_meta_put(struct store_txn *t, const char *key, const void *p, size_t n,
    struct em_err *err)
{
	return st_put(t, t->s->meta, key, strlen(key), p, n, err);
}

/* store_adv_list_get - a list kept beside an advisory, empty when none */

int
store_adv_list_get(struct store_txn *t, const char *what, const char *id,
    struct strv *out, struct em_err *err)
{
	char *key = xasprintf("%s:%s", what, id);
	struct buf b;
	int rc;

	buf_init(&b);
	rc = store_meta_get(t, key, &b, err);
	free(key);
	for (size_t i = 0; rc == EM_OK && i < b.len;) {
		const char *nl = memchr(b.data + i, '\n', b.len - i);
		size_t n = nl ? (size_t)(nl - (b.data + i)) : b.len - i;
		char *e = xstrndup(b.data + i, n);

		strv_push(out, e);
		free(e);
		i += n + 1;
	}
	buf_free(&b);
	return rc == EM_ENOTFOUND ? EM_OK : rc;
}

/* store_adv_list_put - replace a list kept beside an advisory */

int
store_adv_list_put(struct store_txn *t, const char *what, const char *id,
    const struct strv *v, struct em_err *err)
{
	char *key = xasprintf("%s:%s", what, id);
	struct buf b;
	int rc;

	buf_init(&b);
	for (size_t i = 0; i < v->n; i++)
		buf_appendf(&b, "%s%s", i ? "\n" : "", v->v[i]);
	rc = store_meta_put(t, key, b.data ? b.data : "", b.len, err);
	buf_free(&b);
	free(key);
	return rc;
}

/* store_adv_time_get - store_adv_num_get() read as a time */

int
store_adv_time_get(struct store_txn *t, const char *what, const char *id,
    time_t *when, struct em_err *err)
{
	long long n;
	int rc = store_adv_num_get(t, what, id, &n, err);

	*when = (time_t)n;
	return rc;
}

/*
 * store_adv_num_get - a one-number list ("told", "published"): EM_OK,
 * EM_ENOTFOUND when never stored, or EM_ESTORE (unreadable, or not a
 * number)
 */
int
store_adv_num_get(struct store_txn *t, const char *what, const char *id,
    long long *n, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	char *end;
	int rc;

	*n = 0;
	if ((rc = store_adv_list_get(t, what, id, &v, err)) == EM_OK) {
		if (v.n == 0) {
			rc = em_fail(err, EM_ENOTFOUND, "state store: no %s "
			    "for %s", what, id);
		} else {
			errno = 0;
			*n = strtoll(v.v[0], &end, 10);
			if (errno != 0 || end == v.v[0] || *end != '\0')
				rc = em_fail(err, EM_ESTORE, "state store: "
				    "database 'meta', record '%s:%.64s' is not "
				    "a number", what, id);
		}
	}
	strv_free(&v);
	return rc;
}

/* store_adv_num_put - a one-number list, in t */

int
store_adv_num_put(struct store_txn *t, const char *what, const char *id,
    long long n, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	char s[32];
	int rc;

	(void)snprintf(s, sizeof(s), "%lld", n);
	strv_push(&v, s);
	rc = store_adv_list_put(t, what, id, &v, err);
	strv_free(&v);
	return rc;
}

/* store_hold_put - add or update a hold (id 0: a new one) */

int
store_hold_put(struct store_txn *t, struct store_hold *h, struct em_err *err)
{
	unsigned char k[8];
	int rc;

	if (h->id == 0 && (rc = store_next_id(t, &h->id, err)) < 0)
		return rc;
	h->version = HOLD_VERSION;
	st_be64(h->id, k);
	return st_put(t, t->s->hold, k, 8, h, sizeof(*h), err);
}

/* store_hold_get - one hold */

int
store_hold_get(struct store_txn *t, uint64_t id, struct store_hold *out,
    struct em_err *err)
{
	unsigned char k[8];
	char what[32];

	st_be64(id, k);
	(void)snprintf(what, sizeof(what), "%llu", (unsigned long long)id);
	return st_get_fixed(t, t->s->hold, "hold", what, k, 8, out, sizeof(*out),
	    HOLD_VERSION, err);
}

struct hold_each { int (*cb)(const struct store_hold *, void *); void *ctx; };

/* hold_each_cb - st_each() for holds: the record checked, then cb */

static int
hold_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct hold_each *e = ctx;
	struct store_hold h;
	int rc;

	(void)k;
	if ((rc = st_record(v, &h, sizeof(h), HOLD_VERSION, "hold", err)) < 0)
		return rc;
	return st_passed(e->cb(&h, e->ctx), "hold", err);
}

/*
 * store_hold_due - when a hold goes out: now if a release was asked for,
 * else its advisory's date as the registry has it now (a public advisory:
 * now), else the date of its own marker
 */
int
store_hold_due(struct store_txn *t, const struct store_hold *h, time_t now,
    time_t *due, struct em_err *err)
{
	struct store_advisory a;
	int rc;

	*due = h->embargo;
	if (h->release_now) {
		*due = now;
		return EM_OK;
	}
	if (h->advisory[0] == '\0')
		return EM_OK;
	if ((rc = store_adv_get(t, h->advisory, &a, err)) == EM_OK)
		*due = a.state == STORE_ADV_EMBARGOED ? a.embargo : now;
	else if (rc == EM_ENOTFOUND)
		rc = EM_OK;	/* never registered: its marker's date */
	return rc;
}

/* store_hold_each - every hold, in the order they were held */

int
store_hold_each(struct store_txn *t, int (*cb)(const struct store_hold *, void *),
    void *ctx, struct em_err *err)
{
	struct hold_each e = { cb, ctx };

	return st_each(t, t->s->hold, "hold", hold_each_cb, &e, err);
}
