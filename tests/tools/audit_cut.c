/*
 * audit_cut - a test tool: delete the last N records of the audit chain
 * directly in LMDB, as an attacker with write access to state_dir would,
 * to show that "embargoctl audit verify --tip" notices (t_trace.sh).
 *
 *   audit_cut STATE_DIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <lmdb.h>

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	int n, rc;

	if (argc != 3 || (n = (int)strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: audit_cut STATE_DIR N\n");
		return 2;
	}
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 16)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, (size_t)1 << 30)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "audit", 0, &dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		fprintf(stderr, "audit_cut: %s\n", mdb_strerror(rc));
		return 1;
	}
	while (n-- > 0 && (rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) == 0)
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	mdb_cursor_close(c);
	if ((rc = mdb_txn_commit(txn)) != 0) {
		fprintf(stderr, "audit_cut: %s\n", mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
