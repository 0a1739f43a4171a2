/*
 * text.c - the leak guard's prints, public text, and the resend keys
 */

/* System library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "store_int.h"

/* store_print_add - file a fingerprint under an advisory */

int
store_print_add(struct store_txn *t, const unsigned char h[8],
    const char *advisory, struct em_err *err)
{
	MDB_val key = { 8, (void *)h }, val = { strlen(advisory), (void *)advisory };
	int rc = mdb_put(t->txn, t->s->print, &key, &val, MDB_NODUPDATA);

	return rc == 0 || rc == MDB_KEYEXIST ? EM_OK : st_fail(err, rc, "print");
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
		return st_fail(err, rc, "database 'print'");
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
	return rc == MDB_NOTFOUND ? EM_OK : st_fail(err, rc, "database 'print'");
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
	return st_put(t, t->s->seen, key, strlen(key), what, strlen(what) + 1, err);
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
		return st_fail(err, rc, "database 'seen'");
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

	return rc == 0 || rc == MDB_KEYEXIST ? EM_OK : st_fail(err, rc, "public");
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
	    st_fail(err, rc, "database 'public'");
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
		return st_fail(err, rc, "public");
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
		return st_fail(err, rc, "public");
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
	return rc == 0 ? EM_OK : st_fail(err, rc, "public");
}
