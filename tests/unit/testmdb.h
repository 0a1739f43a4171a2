/*
 * testmdb.h - for the unit tests that play "another program": one record
 * written straight into a database of the state in dir (the store closed),
 * as another version of embargo-milter, or a damaged disk, would leave it
 */
#ifndef TESTMDB_H
#define TESTMDB_H

#include <lmdb.h>

#include "testutil.h"

/* test_mdb_put - key k (kn bytes) of database db in dir set to v (vn) */

static inline void
test_mdb_put(const char *dir, const char *db, const void *k, size_t kn,
    const void *v, size_t vn)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

#endif
