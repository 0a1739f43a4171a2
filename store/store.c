/*
 * store.c - LMDB: registry, outbox, blobs, meta, audit chain
 *
 * Records are fixed-layout structs with a version field (one machine, one
 * daemon); the audit log is JSON lines, each carrying the SHA-256 of the
 * previous one, so that a removed or edited record breaks the chain.
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Utility library. */
#include <lmdb.h>

/* Application-specific. */
#include "store.h"
#include "../util/emtime.h"
#include "../util/sha256.h"

/* The layout versions this build writes and reads (the version field). */
#define ADV_VERSION	1
#define OB_VERSION	2
#define HOLD_VERSION	1
#define EPOCH_KEY	"embargo-epoch"	/* meta: see store_embargo_epoch() */

struct store {
	MDB_env *env;
	MDB_dbi	adv, outbox, blob, audit, meta, hold, print, pending, pub, seen;
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
};

/*
 * store_hint - what an administrator does about an LMDB or system error: the
 * faults a running list server meets (a full map, a full or read-only
 * disk) each name their cure
 */
const char *
store_hint(int rc)
{
	switch (rc) {
	case MDB_MAP_FULL:
		return "; the state reached state_map_size: raise state_map_size "
		    "in the configuration and restart the daemon";
	case MDB_MAP_RESIZED:
		return "; another process (embargoctl with a larger "
		    "state_map_size) grew the state: restart the daemon";
	case ENOSPC:
	case EDQUOT:
		return "; the file system holding state_dir is full: free space "
		    "there";
	case EROFS:
		return "; state_dir is on a read-only file system: remount it "
		    "read-write";
	case EACCES:
	case EPERM:
		return "; state_dir is not writable by the daemon's user: give "
		    "it back to that user (chown -R, mode 0700)";
	case EIO:
		return "; writing to state_dir failed: the file system holding "
		    "it may be full (df) or failing (the kernel log)";
	default:
		return "";
	}
}

/* fail - an LMDB error as EM_ESTORE */

static int
fail(struct em_err *err, int rc, const char *what)
{
	return em_fail(err, EM_ESTORE, "state store: %s: %s%s", what,
	    mdb_strerror(rc), store_hint(rc));
}

/* store_open - open (or create) the environment and its databases */

int
store_open(const char *dir, size_t map_size, struct store **out,
    struct em_err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	MDB_txn *txn;
	int rc;

	*out = NULL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		free(s);
		return em_fail(err, EM_ESTORE, "state store: cannot create %s: "
		    "%s", dir, strerror(errno));
	}
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, 12)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map_size)) != 0 ||
	    (rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
		if (s->env)
			mdb_env_close(s->env);
		free(s);
		return em_fail(err, EM_ESTORE, "state store %s: %s%s", dir,
		    mdb_strerror(rc), *store_hint(rc) ? store_hint(rc) : "; check the "
		    "folder exists and belongs to the daemon's user");
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto bad;
	if ((rc = mdb_dbi_open(txn, "adv", MDB_CREATE, &s->adv)) != 0 ||
	    (rc = mdb_dbi_open(txn, "outbox", MDB_CREATE, &s->outbox)) != 0 ||
	    (rc = mdb_dbi_open(txn, "blob", MDB_CREATE, &s->blob)) != 0 ||
	    (rc = mdb_dbi_open(txn, "audit", MDB_CREATE, &s->audit)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "hold", MDB_CREATE, &s->hold)) != 0 ||
	    (rc = mdb_dbi_open(txn, "print", MDB_CREATE | MDB_DUPSORT,
	    &s->print)) != 0 ||
	    (rc = mdb_dbi_open(txn, "pending", MDB_CREATE, &s->pending)) != 0 ||
	    (rc = mdb_dbi_open(txn, "public", MDB_CREATE | MDB_DUPSORT,
	    &s->pub)) != 0 ||
	    (rc = mdb_dbi_open(txn, "seen", MDB_CREATE, &s->seen)) != 0) {
		mdb_txn_abort(txn);
		goto bad;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto bad;
	*out = s;
	return EM_OK;
bad:
	mdb_env_close(s->env);
	free(s);
	return fail(err, rc, "opening databases");
}

/* store_print_key - read the fingerprint key, making it the first time */

int
store_print_key(const char *dir, unsigned char key[32], struct em_err *err)
{
	char *path = xasprintf("%s/print.key", dir);
	FILE *fp = fopen(path, "rb");
	int rc = EM_OK;

	if (fp == NULL) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

		if (fd < 0 || getrandom(key, 32, 0) != 32 ||
		    write(fd, key, 32) != 32 || fsync(fd) < 0)
			rc = em_fail(err, EM_ESTORE, "cannot make %s: %s", path,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		if (fread(key, 1, 32, fp) != 32)
			rc = em_fail(err, EM_ESTORE, "%s is damaged", path);
		fclose(fp);
	}
	free(path);
	return rc;
}

/* store_close - close the environment */

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	free(s);
}

/* store_begin - a read or write transaction */

int
store_begin(struct store *s, bool write, struct store_txn **out,
    struct em_err *err)
{
	struct store_txn *t = xcalloc(1, sizeof(*t));
	int rc;

	t->s = s;
	if ((rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY,
	    &t->txn)) != 0) {
		free(t);
		*out = NULL;
		return fail(err, rc, "begin");
	}
	*out = t;
	return EM_OK;
}

/*
 * store_begin_nested - a write transaction inside the write transaction
 * parent: its commit folds it into parent, its abort undoes it alone
 */
int
store_begin_nested(struct store_txn *parent, struct store_txn **out,
    struct em_err *err)
{
	struct store_txn *t = xcalloc(1, sizeof(*t));
	int rc;

	t->s = parent->s;
	if ((rc = mdb_txn_begin(parent->s->env, parent->txn, 0, &t->txn)) != 0) {
		free(t);
		*out = NULL;
		return fail(err, rc, "begin (nested)");
	}
	*out = t;
	return EM_OK;
}

/* store_commit - make it durable (the MTA is answered after this) */

int
store_commit(struct store_txn *t, struct em_err *err)
{
	int rc = mdb_txn_commit(t->txn);

	free(t);
	return rc == 0 ? EM_OK : fail(err, rc, "commit");
}

/* store_abort - forget the transaction */

void
store_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

static int record(const MDB_val *v, void *out, size_t n, uint32_t version,
    const char *db, struct em_err *err);

/* put - one key and value */

static int
put(struct store_txn *t, MDB_dbi dbi, const void *k, size_t kn, const void *v,
    size_t vn, struct em_err *err)
{
	MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };
	int rc = mdb_put(t->txn, dbi, &key, &val, 0);

	return rc == 0 ? EM_OK : fail(err, rc, "put");
}

/*
 * get_fixed - one fixed-size record, copied out: EM_ENOTFOUND, or
 * EM_ESTORE when it cannot be read or its size or layout version (its
 * first four bytes, when version is not 0) is not this build's; either
 * with its reason in *err, naming the database and the record (what)
 */
static int
get_fixed(struct store_txn *t, MDB_dbi dbi, const char *db, const char *what,
    const void *k, size_t kn, void *out, size_t n, uint32_t version,
    struct em_err *err)
{
	MDB_val key = { kn, (void *)k }, val;
	int rc = mdb_get(t->txn, dbi, &key, &val);

	if (rc == MDB_NOTFOUND)
		return em_fail(err, EM_ENOTFOUND, "state store: database '%s' "
		    "has no record %s", db, what);
	if (rc != 0)
		return em_fail(err, EM_ESTORE, "state store: database '%s', "
		    "record %s: %s%s", db, what, mdb_strerror(rc),
		    store_hint(rc));
	if (version == 0) {
		if (val.mv_size != n)
			return em_fail(err, EM_ESTORE, "state store: database "
			    "'%s', record %s: %zu bytes where %zu are written",
			    db, what, val.mv_size, n);
		memcpy(out, val.mv_data, n);
		return EM_OK;
	}
	return record(&val, out, n, version, db, err);
}

/* be64 - a big-endian key, so that ids sort in order */

static void
be64(uint64_t v, unsigned char out[8])
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* from_be64 - a big-endian key back to its number */

static uint64_t
from_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * each - call cb for every value of a database, in key order.  cb returns
 * 0 to go on, > 0 to stop (not an error), < 0 an error (its reason in
 * err), which each() returns; so does a cursor that fails.
 */
static int
each(struct store_txn *t, MDB_dbi dbi, const char *db,
    int (*cb)(const MDB_val *, const MDB_val *, void *, struct em_err *),
    void *ctx, struct em_err *err)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc, crc = 0;

	if ((rc = mdb_cursor_open(t->txn, dbi, &c)) != 0)
		return fail(err, rc, db);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((crc = cb(&k, &v, ctx, err)) != 0)
			break;
	mdb_cursor_close(c);
	if (crc < 0)
		return crc;
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : fail(err, rc, db);
}

/*
 * record - a fixed-layout record copied out of v, or EM_ESTORE naming the
 * database when its size or layout version is not the one this build
 * writes (the state was written by another version of the daemon)
 */
static int
record(const MDB_val *v, void *out, size_t n, uint32_t version, const char *db,
    struct em_err *err)
{
	uint32_t have = 0;

	if (v->mv_size >= sizeof(have))
		memcpy(&have, v->mv_data, sizeof(have));
	if (v->mv_size != n || have != version)
		return em_fail(err, EM_ESTORE, "state store: a record in "
		    "database '%s' has %zu bytes and layout version %u, where "
		    "this build reads %zu bytes of version %u: the state in "
		    "state_dir was written by another version of embargo-milter; "
		    "run that version, or restore state_dir from its backup",
		    db, v->mv_size, (unsigned)have, n, (unsigned)version);
	memcpy(out, v->mv_data, n);
	return EM_OK;
}

/* passed - a reader's own failure, named if it did not name it */

static int
passed(int rc, const char *db, struct em_err *err)
{
	if (rc < 0 && err->msg[0] == '\0')
		(void)em_fail(err, rc, "reading database '%s' stopped: %s", db,
		    em_strerror(rc));
	return rc;
}

/* store_adv_get - one advisory by id */

int
store_adv_get(struct store_txn *t, const char *id, struct store_advisory *out,
    struct em_err *err)
{
	char what[80];

	(void)snprintf(what, sizeof(what), "'%.64s'", id);
	return get_fixed(t, t->s->adv, "adv", what, id, strlen(id), out,
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
		be64(e + 1, k);
		if ((rc = put(t, t->s->meta, EPOCH_KEY, strlen(EPOCH_KEY), k, 8,
		    err)) < 0)
			return rc;
	}
	return put(t, t->s->adv, a->id, strlen(a->id), &copy, sizeof(copy), err);
}

/* store_embargo_epoch - how many times an advisory was written as under
 * embargo (0: never) */

int
store_embargo_epoch(struct store_txn *t, uint64_t *e, struct em_err *err)
{
	unsigned char v[8];
	int rc;

	*e = 0;
	rc = get_fixed(t, t->s->meta, "meta", "'" EPOCH_KEY "'", EPOCH_KEY,
	    strlen(EPOCH_KEY), v, 8, 0, err);
	if (rc == EM_ENOTFOUND)
		return EM_OK;
	if (rc == EM_OK)
		*e = from_be64(v);
	return rc;
}

struct adv_each { int (*cb)(const struct store_advisory *, void *); void *ctx; };

/* adv_each_cb - each() for advisories: the record checked, then cb */

static int
adv_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct adv_each *e = ctx;
	struct store_advisory a;
	int rc;

	(void)k;
	if ((rc = record(v, &a, sizeof(a), ADV_VERSION, "adv", err)) < 0)
		return rc;
	return passed(e->cb(&a, e->ctx), "adv", err);
}

/* store_adv_each - every advisory, by id */

int
store_adv_each(struct store_txn *t,
    int (*cb)(const struct store_advisory *, void *), void *ctx,
    struct em_err *err)
{
	struct adv_each e = { cb, ctx };

	return each(t, t->s->adv, "adv", adv_each_cb, &e, err);
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
	if ((rc = get_fixed(t, t->s->meta, "meta", "'next_id'", k,
	    sizeof(k) - 1, v, 8, 0, err)) == EM_OK)
		n = from_be64(v);
	else if (rc != EM_ENOTFOUND)
		return rc;
	*id = n;
	be64(n + 1, v);
	return put(t, t->s->meta, k, sizeof(k) - 1, v, 8, err);
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
	be64(ob->id, k);
	if ((rc = put(t, t->s->outbox, k, 8, ob, sizeof(*ob), err)) < 0)
		return rc;
	/* The index of what the delivery workers may still have to do. */
	if (ob->state == STORE_OB_QUEUED || ob->state == STORE_OB_BUILT)
		return put(t, t->s->pending, k, 8, "", 0, err);
	{
		MDB_val key = { 8, k };

		rc = mdb_del(t->txn, t->s->pending, &key, NULL);
		return rc == 0 || rc == MDB_NOTFOUND ? EM_OK :
		    fail(err, rc, "pending");
	}
}

/* store_ob_get - one outbox entry */

int
store_ob_get(struct store_txn *t, uint64_t id, struct store_outbox *out,
    struct em_err *err)
{
	unsigned char k[8];
	char what[32];

	be64(id, k);
	(void)snprintf(what, sizeof(what), "%llu", (unsigned long long)id);
	return get_fixed(t, t->s->outbox, "outbox", what, k, 8, out,
	    sizeof(*out), OB_VERSION, err);
}

struct ob_each { int (*cb)(const struct store_outbox *, void *); void *ctx; };

/* ob_each_cb - each() for outbox entries: the record checked, then cb */

static int
ob_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct ob_each *e = ctx;
	struct store_outbox ob;
	int rc;

	(void)k;
	if ((rc = record(v, &ob, sizeof(ob), OB_VERSION, "outbox", err)) < 0)
		return rc;
	return passed(e->cb(&ob, e->ctx), "outbox", err);
}

/* store_ob_each - every outbox entry, oldest first */

int
store_ob_each(struct store_txn *t,
    int (*cb)(const struct store_outbox *, void *), void *ctx,
    struct em_err *err)
{
	struct ob_each e = { cb, ctx };

	return each(t, t->s->outbox, "outbox", ob_each_cb, &e, err);
}

struct pending_each { struct store_txn *t;
    int (*cb)(const struct store_outbox *, void *); void *ctx; };

/* pending_cb - each() for the pending index: its outbox entry, then cb */

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
	id = from_be64(k->mv_data);
	if ((rc = store_ob_get(e->t, id, &ob, err)) < 0)
		return em_fail(err, rc == EM_ENOTFOUND ? EM_ESTORE : rc,
		    "state store: pending entry %llu has no readable outbox "
		    "record: %.400s", (unsigned long long)id, err->msg);
	return passed(e->cb(&ob, e->ctx), "pending", err);
}

/* store_ob_each_pending - the queued and built entries only, oldest first */

int
store_ob_each_pending(struct store_txn *t,
    int (*cb)(const struct store_outbox *, void *), void *ctx,
    struct em_err *err)
{
	struct pending_each e = { t, cb, ctx };

	return each(t, t->s->pending, "pending", pending_cb, &e, err);
}

struct tagged { char tag[32]; uint64_t *ids; size_t n; };

/* tagged_cb - a pending entry prepared for the hold (see store.h) */

static int
tagged_cb(const struct store_outbox *ob, void *ctx)
{
	struct tagged *g = ctx;

	if ((ob->kind == STORE_OB_RELEASE && strcmp(ob->member, g->tag) == 0) ||
	    (ob->kind == STORE_OB_COPY && strcmp(ob->from, g->tag) == 0)) {
		g->ids = xrealloc(g->ids, (g->n + 1) * sizeof(*g->ids));
		g->ids[g->n++] = ob->id;
	}
	return 0;
}

/* store_hold_prepared - retime or cancel what was prepared for a hold */

int
store_hold_prepared(struct store_txn *t, uint64_t hold, time_t when,
    const char *cancel, struct em_err *err)
{
	struct tagged g = { "", NULL, 0 };
	int rc;

	(void)snprintf(g.tag, sizeof(g.tag), "hold %llu",
	    (unsigned long long)hold);
	/* Collected first: an update moves entries in the index walked. */
	if ((rc = store_ob_each_pending(t, tagged_cb, &g, err)) < 0) {
		free(g.ids);
		return rc;
	}
	for (size_t i = 0; i < g.n && rc == EM_OK; i++) {
		struct store_outbox ob;

		if ((rc = store_ob_get(t, g.ids[i], &ob, err)) < 0)
			break;
		if (cancel != NULL) {
			ob.state = STORE_OB_FAILED;
			(void)snprintf(ob.last_error, sizeof(ob.last_error), "%s",
			    cancel);
		} else if (ob.state == STORE_OB_BUILT) {
			ob.next_try = when;
		}
		rc = store_ob_put(t, &ob, err);
	}
	free(g.ids);
	return rc;
}

struct held_of { const char *advisory; uint64_t *ids; size_t n; };

/* held_of_cb - a hold still held for the advisory */

static int
held_of_cb(const struct store_hold *h, void *ctx)
{
	struct held_of *g = ctx;

	if (h->state == STORE_HOLD_HELD && strcmp(h->advisory, g->advisory) == 0) {
		g->ids = xrealloc(g->ids, (g->n + 1) * sizeof(*g->ids));
		g->ids[g->n++] = h->id;
	}
	return 0;
}

/* store_adv_retime - every hold of the advisory: its prepared entries due
 * at its due time as t now has it */

int
store_adv_retime(struct store_txn *t, const char *advisory, time_t now,
    struct em_err *err)
{
	struct held_of g = { advisory, NULL, 0 };
	int rc = store_hold_each(t, held_of_cb, &g, err);

	for (size_t i = 0; i < g.n && rc == EM_OK; i++) {
		struct store_hold h;
		time_t due;

		if ((rc = store_hold_get(t, g.ids[i], &h, err)) == EM_OK &&
		    (rc = store_hold_due(t, &h, now, &due, err)) == EM_OK)
			rc = store_hold_prepared(t, h.id, due, NULL, err);
	}
	free(g.ids);
	return rc;
}

/* blob_key - namespace byte and big-endian id */

static void
blob_key(char ns, uint64_t id, unsigned char k[9])
{
	k[0] = (unsigned char)ns;
	be64(id, k + 1);
}

/* store_blob_put - keep a (sealed) blob */

int
store_blob_put(struct store_txn *t, char ns, uint64_t id, const void *p,
    size_t n, struct em_err *err)
{
	unsigned char k[9];

	blob_key(ns, id, k);
	return put(t, t->s->blob, k, 9, p, n, err);
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
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : fail(err, rc, "del");
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
	return put(t, t->s->meta, key, strlen(key), p, n, err);
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
	be64(h->id, k);
	return put(t, t->s->hold, k, 8, h, sizeof(*h), err);
}

/* store_hold_get - one hold */

int
store_hold_get(struct store_txn *t, uint64_t id, struct store_hold *out,
    struct em_err *err)
{
	unsigned char k[8];
	char what[32];

	be64(id, k);
	(void)snprintf(what, sizeof(what), "%llu", (unsigned long long)id);
	return get_fixed(t, t->s->hold, "hold", what, k, 8, out, sizeof(*out),
	    HOLD_VERSION, err);
}

struct hold_each { int (*cb)(const struct store_hold *, void *); void *ctx; };

/* hold_each_cb - each() for holds: the record checked, then cb */

static int
hold_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct hold_each *e = ctx;
	struct store_hold h;
	int rc;

	(void)k;
	if ((rc = record(v, &h, sizeof(h), HOLD_VERSION, "hold", err)) < 0)
		return rc;
	return passed(e->cb(&h, e->ctx), "hold", err);
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

	return each(t, t->s->hold, "hold", hold_each_cb, &e, err);
}

/* store_print_add - file a fingerprint under an advisory */

int
store_print_add(struct store_txn *t, const unsigned char h[8],
    const char *advisory, struct em_err *err)
{
	MDB_val key = { 8, (void *)h }, val = { strlen(advisory), (void *)advisory };
	int rc = mdb_put(t->txn, t->s->print, &key, &val, MDB_NODUPDATA);

	return rc == 0 || rc == MDB_KEYEXIST ? EM_OK : fail(err, rc, "print");
}

/* store_print_lookup - every advisory a fingerprint is filed under */

int
store_print_lookup(struct store_txn *t, const unsigned char h[8],
    void (*cb)(const char *, void *), void *ctx, struct em_err *err)
{
	MDB_val key = { 8, (void *)h }, val;
	MDB_cursor *c;
	char id[64];
	int rc;

	/* Most runs match nothing: answer those without a cursor. */
	if ((rc = mdb_get(t->txn, t->s->print, &key, &val)) == MDB_NOTFOUND)
		return EM_OK;
	if (rc != 0 || (rc = mdb_cursor_open(t->txn, t->s->print, &c)) != 0)
		return fail(err, rc, "database 'print'");
	for (rc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY); rc == 0;
	    rc = mdb_cursor_get(c, &key, &val, MDB_NEXT_DUP)) {
		if (val.mv_size >= sizeof(id)) {
			mdb_cursor_close(c);
			return em_fail(err, EM_ESTORE, "state store: database "
			    "'print' files a run under an id of %zu bytes",
			    val.mv_size);
		}
		memcpy(id, val.mv_data, val.mv_size);
		id[val.mv_size] = '\0';
		cb(id, ctx);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? EM_OK : fail(err, rc, "database 'print'");
}

/* store_print_each - every fingerprint and the advisory it is filed under */

int
store_print_each(struct store_txn *t,
    int (*cb)(const unsigned char h[8], const char *, void *), void *ctx)
{
	MDB_val key, val;
	MDB_cursor *c;
	char id[65];
	int rc;

	if (mdb_cursor_open(t->txn, t->s->print, &c) != 0)
		return EM_ESTORE;
	for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != 8)
			continue;
		(void)snprintf(id, sizeof(id), "%.*s", (int)val.mv_size,
		    (const char *)val.mv_data);
		if (cb(key.mv_data, id, ctx) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : EM_ESTORE;
}

/* store_seen_put - a post or posting acted on, by its resend key */

int
store_seen_put(struct store_txn *t, const char *key, const char *what,
    struct em_err *err)
{
	return put(t, t->s->seen, key, strlen(key), what, strlen(what) + 1, err);
}

/* store_seen_get - what was done with it, if it was seen; EM_ENOTFOUND */

int
store_seen_get(struct store_txn *t, const char *key, char *what, size_t n,
    struct em_err *err)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(t->txn, t->s->seen, &k, &v);

	if (rc == MDB_NOTFOUND)
		return em_fail(err, EM_ENOTFOUND, "state store: not seen");
	if (rc != 0)
		return fail(err, rc, "database 'seen'");
	if (n == 0 || v.mv_size >= n)
		return em_fail(err, EM_ESTORE, "state store: database 'seen' "
		    "holds %zu bytes where %zu fit", v.mv_size, n);
	memcpy(what, v.mv_data, v.mv_size);
	what[v.mv_size] = '\0';
	return EM_OK;
}

/* store_public_add - a word run seen in public text, filed under its source */

int
store_public_add(struct store_txn *t, const unsigned char h[8],
    const char *source, struct em_err *err)
{
	MDB_val key = { 8, (void *)h }, val = { strlen(source), (void *)source };
	int rc = mdb_put(t->txn, t->s->pub, &key, &val, MDB_NODUPDATA);

	return rc == 0 || rc == MDB_KEYEXIST ? EM_OK : fail(err, rc, "public");
}

/* store_public_has - has this run been seen in public text */

int
store_public_has(struct store_txn *t, const unsigned char h[8], bool *has,
    struct em_err *err)
{
	MDB_val key = { 8, (void *)h }, val;
	int rc = mdb_get(t->txn, t->s->pub, &key, &val);

	*has = rc == 0;
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK :
	    fail(err, rc, "database 'public'");
}

/* store_public_any - is any public text loaded? */

bool
store_public_any(struct store_txn *t)
{
	MDB_cursor *c;
	MDB_val k, v;
	bool any;

	if (mdb_cursor_open(t->txn, t->s->pub, &c) != 0)
		return false;
	any = mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0;
	mdb_cursor_close(c);
	return any;
}

/*
 * store_public_sources - each source with its number of runs (a whole
 * scan: for embargoctl, never on the milter's path)
 */
int
store_public_sources(struct store_txn *t,
    int (*cb)(const char *source, size_t runs, void *), void *ctx)
{
	struct strv names = { NULL, 0 };
	size_t *counts = NULL;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if (mdb_cursor_open(t->txn, t->s->pub, &c) != 0)
		return EM_ESTORE;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		size_t i;

		for (i = 0; i < names.n; i++)
			if (strlen(names.v[i]) == v.mv_size &&
			    memcmp(names.v[i], v.mv_data, v.mv_size) == 0)
				break;
		if (i == names.n) {
			char *n = xstrndup(v.mv_data, v.mv_size);

			strv_push(&names, n);
			free(n);
			counts = xrealloc(counts, names.n * sizeof(*counts));
			counts[i] = 0;
		}
		counts[i]++;
	}
	mdb_cursor_close(c);
	for (size_t i = 0; i < names.n && (rc == MDB_NOTFOUND || rc == 0); i++)
		if (cb(names.v[i], counts[i], ctx) != 0)
			break;
	strv_free(&names);
	free(counts);
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : EM_ESTORE;
}

/*
 * store_public_drop - remove every run filed under source; *n how many.
 * The runs are found first and deleted after: deleting under a cursor
 * that walks a DUPSORT database with MDB_NEXT skipped some of them.
 */
int
store_public_drop(struct store_txn *t, const char *source, size_t *n,
    struct em_err *err)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t len = strlen(source), nkeys = 0;
	unsigned char (*keys)[8] = NULL;
	int rc;

	*n = 0;
	if ((rc = mdb_cursor_open(t->txn, t->s->pub, &c)) != 0)
		return fail(err, rc, "public");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size != len ||
		    memcmp(v.mv_data, source, len) != 0)
			continue;
		if ((nkeys & (nkeys - 1)) == 0)	/* 0, 1, 2, 4...: grow */
			keys = xrealloc(keys, (nkeys ? nkeys * 2 : 1) *
			    sizeof(*keys));
		memcpy(keys[nkeys++], k.mv_data, 8);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND) {
		free(keys);
		return fail(err, rc, "public");
	}
	for (size_t i = 0; i < nkeys; i++) {
		MDB_val key = { 8, keys[i] }, val = { len, (void *)source };

		if ((rc = mdb_del(t->txn, t->s->pub, &key, &val)) != 0 &&
		    rc != MDB_NOTFOUND)
			break;
		if (rc == 0)
			(*n)++;
		rc = 0;
	}
	free(keys);
	return rc == 0 ? EM_OK : fail(err, rc, "public");
}

/*
 * A record is one JSON line that ends with ,"hash":"<64 hex>"} where the
 * hash covers the line up to that field, closed with "}".  These two give
 * the hash and the length of what it covers; a line too short for that
 * ending is no record (AUDIT_TAIL bytes of ending, and "{}" at least).
 */
#define AUDIT_TAIL	(sizeof(",\"hash\":\"\"}") - 1 + 64)
#define AUDIT_HASH_AT(n)	((n) - 2 - 64)	/* the hex, before "} */

/* audit_hash_of - the hash a record line carries; false if it is too short */

static bool
audit_hash_of(const char *json, size_t n, char hash[SHA256_HEX])
{
	if (n < AUDIT_TAIL + 2)
		return false;
	memcpy(hash, json + AUDIT_HASH_AT(n), 64);
	hash[64] = '\0';
	return true;
}

/* audit_last - the last record's seq and hash ("" and 0 when empty) */

static int
audit_last(struct store_txn *t, uint64_t *seq, char hash[SHA256_HEX])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if (mdb_cursor_open(t->txn, t->s->audit, &c) != 0)
		return EM_ESTORE;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	/* A last record that is no record must not restart the chain. */
	if (rc == 0 && (k.mv_size != 8 ||
	    !audit_hash_of(v.mv_data, v.mv_size, hash)))
		rc = MDB_CORRUPTED;
	else if (rc == 0)
		*seq = from_be64(k.mv_data);
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : EM_ESTORE;
}

/* store_audit_head - the head of the chain, for notices and anchors */

int
store_audit_head(struct store_txn *t, uint64_t *seq, char hash[65])
{
	return audit_last(t, seq, hash);
}

/* store_audit_hash_at - the hash one record carries */

int
store_audit_hash_at(struct store_txn *t, uint64_t seq, char hash[65])
{
	unsigned char k[8];
	MDB_val key = { 8, k }, v;
	int rc;

	be64(seq, k);
	if ((rc = mdb_get(t->txn, t->s->audit, &key, &v)) == MDB_NOTFOUND)
		return EM_ENOTFOUND;
	if (rc != 0 || !audit_hash_of(v.mv_data, v.mv_size, hash))
		return EM_ESTORE;
	return EM_OK;
}

/* audit_time - a time as JSON */

static void
audit_time(struct buf *b, const char *name, time_t t)
{
	char ts[EM_TIME_BUFSZ];

	buf_appendf(b, ",\"%s\":", name);
	if (t == 0)
		buf_appends(b, "null");
	else
		buf_json_str(b, em_time_format_iso(t, ts));
}

/* audit_str - a string field as JSON */

static void
audit_str(struct buf *b, const char *name, const char *v)
{
	buf_appendf(b, ",\"%s\":", name);
	buf_json_str(b, v && *v ? v : NULL);
}

/* store_audit_append - one record at the end of the chain */

int
store_audit_append(struct store_txn *t, struct store_audit *a,
    struct em_err *err)
{
	char prev[SHA256_HEX], hash[SHA256_HEX], ts[EM_TIME_BUFSZ];
	unsigned char k[8];
	struct buf b;
	uint64_t seq;
	int rc;

	if (audit_last(t, &seq, prev) < 0)
		return em_fail(err, EM_ESTORE, "state store: audit read failed");
	a->seq = seq + 1;
	buf_init(&b);
	buf_appendf(&b, "{\"seq\":%llu,\"time\":", (unsigned long long)a->seq);
	buf_json_str(&b, em_time_format_iso(a->time, ts));
	audit_str(&b, "event", a->event);
	audit_str(&b, "queue_id", a->queue_id);
	audit_str(&b, "message_id", a->message_id);
	audit_str(&b, "sender", a->sender);
	audit_str(&b, "rcpts", a->rcpts);
	audit_str(&b, "advisory", a->advisory);
	buf_appendf(&b, ",\"revision\":%d", a->revision);
	audit_time(&b, "embargo", a->embargo);
	audit_str(&b, "decision", a->decision);
	audit_str(&b, "reason", a->reason);
	audit_str(&b, "keys", a->keys);
	audit_str(&b, "msg_sha256", a->msg_sha256);
	audit_str(&b, "prev", prev);
	/* The hash covers the record as it reads without its own hash. */
	buf_append(&b, "}", 1);
	sha256_hex(b.data, b.len, hash);
	b.len--;
	buf_appendf(&b, ",\"hash\":\"%s\"}", hash);
	be64(a->seq, k);
	rc = put(t, t->s->audit, k, 8, b.data, b.len, err);
	buf_free(&b);
	return rc;
}

struct audit_each { int (*cb)(uint64_t, const char *, size_t, void *); void *ctx; };

/* audit_each_cb - each() for the audit chain: seq and line, then cb */

static int
audit_each_cb(const MDB_val *k, const MDB_val *v, void *ctx, struct em_err *err)
{
	struct audit_each *e = ctx;

	if (k->mv_size != 8)
		return em_fail(err, EM_ESTORE, "state store: a key of %zu bytes "
		    "in database 'audit', where sequence numbers have 8",
		    k->mv_size);
	return passed(e->cb(from_be64(k->mv_data), v->mv_data, v->mv_size,
	    e->ctx), "audit", err);
}

/* store_audit_each - every record, oldest first */

int
store_audit_each(struct store_txn *t,
    int (*cb)(uint64_t, const char *, size_t, void *), void *ctx,
    struct em_err *err)
{
	struct audit_each e = { cb, ctx };

	return each(t, t->s->audit, "audit", audit_each_cb, &e, err);
}

struct verify { char prev[SHA256_HEX]; uint64_t expect, bad, count; };

/* verify_cb - one link of the chain */

static int
verify_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct verify *v = ctx;
	char want[SHA256_HEX], got[SHA256_HEX], *body, *prevf;
	size_t bn;
	bool ok;

	v->count++;
	if (seq != v->expect || !audit_hash_of(json, n, got)) {
		v->bad = v->expect;
		return 1;
	}
	bn = n - AUDIT_TAIL;
	body = xmalloc(bn + 2);
	memcpy(body, json, bn);
	body[bn] = '}';
	body[bn + 1] = '\0';
	sha256_hex(body, bn + 1, want);
	prevf = strstr(body, ",\"prev\":");
	ok = strcmp(want, got) == 0 && prevf != NULL &&
	    (v->prev[0] == '\0' ? strncmp(prevf, ",\"prev\":null", 12) == 0 :
	    strncmp(prevf + 9, v->prev, 64) == 0);
	free(body);
	if (!ok) {
		v->bad = seq;
		return 1;
	}
	memcpy(v->prev, got, SHA256_HEX);
	v->expect++;
	return 0;
}

/* store_audit_verify - walk the whole chain */

int
store_audit_verify(struct store_txn *t, uint64_t *bad, uint64_t *count)
{
	struct verify v = { "", 1, 0, 0 };

	struct em_err err;

	if (store_audit_each(t, verify_cb, &v, &err) < 0)
		return EM_ESTORE;
	*bad = v.bad;
	*count = v.count;
	return v.bad ? EM_EPARSE : EM_OK;
}
