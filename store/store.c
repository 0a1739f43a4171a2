/*
 * store.c - LMDB: the environment, transactions, and the helpers every
 * file of store/ reads and writes records with
 *
 * Records are fixed-layout structs with a version field (one machine, one
 * daemon); records.c keeps the registry, the outbox, holds, blobs and
 * meta; text.c the leak guard's prints, public text and resends;
 * audit.c the audit chain; migrate.c brings an older layout to this one.
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

/* Application-specific. */
#include "store_int.h"

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

int
st_fail(struct em_err *err, int rc, const char *what)
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
	return st_fail(err, rc, "opening databases");
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

/* store_copy_fd - the environment, compacted, to fd (a backup) */

int
store_copy_fd(struct store *s, int fd, struct em_err *err)
{
	int rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);

	return rc == 0 ? EM_OK : st_fail(err, rc, "copy");
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
		return st_fail(err, rc, "begin");
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
		return st_fail(err, rc, "begin (nested)");
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
	return rc == 0 ? EM_OK : st_fail(err, rc, "commit");
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

/* put - one key and value */

int
st_put(struct store_txn *t, MDB_dbi dbi, const void *k, size_t kn, const void *v,
    size_t vn, struct em_err *err)
{
	MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };
	int rc = mdb_put(t->txn, dbi, &key, &val, 0);

	return rc == 0 ? EM_OK : st_fail(err, rc, "put");
}

/*
 * get_fixed - one fixed-size record, copied out: EM_ENOTFOUND, or
 * EM_ESTORE when it cannot be read or its size or layout version (its
 * first four bytes, when version is not 0) is not this build's; either
 * with its reason in *err, naming the database and the record (what)
 */
int
st_get_fixed(struct store_txn *t, MDB_dbi dbi, const char *db, const char *what,
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
	return st_record(&val, out, n, version, db, err);
}

/* be64 - a big-endian key, so that ids sort in order */

void
st_be64(uint64_t v, unsigned char out[8])
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* from_be64 - a big-endian key back to its number */

uint64_t
st_from_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * each - call cb for every value of a database, in key order.  cb returns
 * 0 to go on, > 0 to stop (not an error), < 0 an error (its reason in
 * err), which st_each() returns; so does a cursor that fails.
 */
int
st_each(struct store_txn *t, MDB_dbi dbi, const char *db,
    int (*cb)(const MDB_val *, const MDB_val *, void *, struct em_err *),
    void *ctx, struct em_err *err)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc, crc = 0;

	if ((rc = mdb_cursor_open(t->txn, dbi, &c)) != 0)
		return st_fail(err, rc, db);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((crc = cb(&k, &v, ctx, err)) != 0)
			break;
	mdb_cursor_close(c);
	if (crc < 0)
		return crc;
	return rc == 0 || rc == MDB_NOTFOUND ? EM_OK : st_fail(err, rc, db);
}

/*
 * record - a fixed-layout record copied out of v, or EM_ESTORE naming the
 * database when its size or layout version is not the one this build
 * writes (the state was written by another version of the daemon)
 */
int
st_record(const MDB_val *v, void *out, size_t n, uint32_t version, const char *db,
    struct em_err *err)
{
	uint32_t have = 0;

	if (v->mv_size >= sizeof(have))
		memcpy(&have, v->mv_data, sizeof(have));
	if (v->mv_size != n || have != version)
		return em_fail(err, EM_ESTORE, "state store: a record in "
		    "database '%s' has %zu bytes and layout version %u, where "
		    "this build reads %zu bytes of version %u: the state in "
		    "state_dir was written by another version of embargo-milter "
		    "(an older layout is migrated when the daemon starts: start "
		    "it once); else run that version, or restore state_dir from "
		    "its backup",
		    db, v->mv_size, (unsigned)have, n, (unsigned)version);
	memcpy(out, v->mv_data, n);
	return EM_OK;
}

/* passed - a reader's own failure, named if it did not name it */

int
st_passed(int rc, const char *db, struct em_err *err)
{
	if (rc < 0 && err->msg[0] == '\0')
		(void)em_fail(err, rc, "reading database '%s' stopped: %s", db,
		    em_strerror(rc));
	return rc;
}
