/*
 * store_int.h - what the files of store/ share, and nothing outside it
 * reads: the environment, a transaction, the record layouts and the
 * helpers every reader and writer uses (store.c)
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <lmdb.h>

#include "store.h"

#define ADV_VERSION	1
#define OB_VERSION	4
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

/* An LMDB error as EM_ESTORE, with what failed and its cure. */
int	st_fail(struct em_err *err, int rc, const char *what);
/* One key and value. */
int	st_put(struct store_txn *t, MDB_dbi dbi, const void *k, size_t kn,
	    const void *v, size_t vn, struct em_err *err);
/* One fixed-size record of database db copied out: EM_ENOTFOUND, or
 * EM_ESTORE naming db and what when it cannot be read or is not of
 * this layout (version 0: no version field). */
int	st_get_fixed(struct store_txn *t, MDB_dbi dbi, const char *db,
	    const char *what, const void *k, size_t kn, void *out, size_t n,
	    uint32_t version, struct em_err *err);
/* A fixed-layout record copied out of v, or EM_ESTORE naming db. */
int	st_record(const MDB_val *v, void *out, size_t n, uint32_t version,
	    const char *db, struct em_err *err);
/* cb for every value of a database, in key order (see store.h). */
int	st_each(struct store_txn *t, MDB_dbi dbi, const char *db,
	    int (*cb)(const MDB_val *, const MDB_val *, void *, struct em_err *),
	    void *ctx, struct em_err *err);
/* A reader's own failure, named if it did not name it. */
int	st_passed(int rc, const char *db, struct em_err *err);
/* Big-endian ids, so that they sort in order. */
void	st_be64(uint64_t v, unsigned char out[8]);
uint64_t st_from_be64(const unsigned char *p);

#endif
