/*
 * mdb_rec - a test tool: one record of the state read or written straight
 * in LMDB, while the daemon runs, as another version of embargo-milter or a
 * damaged disk would leave it (t_unreadable.sh).  Each command is one
 * write transaction, so the daemon never sees half of it.
 *
 *   mdb_rec STATE_DIR DB KEY get          the record's bytes to stdout
 *   mdb_rec STATE_DIR DB KEY put          stdin becomes the record; the
 *                                         bytes it replaced to stdout
 *   mdb_rec STATE_DIR DB KEY layout N     the record's first four bytes (its
 *                                         layout version) set to N; the
 *                                         bytes it replaced to stdout
 *
 * Exit status: 0 done, 1 no such record or an LMDB error, 2 usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>

/* slurp - all of stdin */

static char *
slurp(size_t *n)
{
	size_t cap = 4096, len = 0, got;
	char *p = malloc(cap);

	while (p != NULL && (got = fread(p + len, 1, cap - len, stdin)) > 0) {
		len += got;
		if (len == cap) {
			char *q = realloc(p, cap *= 2);

			if (q == NULL)
				free(p);
			p = q;
		}
	}
	*n = len;
	return p;
}

/* fail - a failure said, exit status 1 */

static int
fail(char **argv, const char *why)
{
	fprintf(stderr, "mdb_rec: database '%s', record '%s': %s\n", argv[2],
	    argv[3], why);
	return 1;
}

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v, nv;
	char *buf = NULL;
	int rc, put;

	if (argc < 5 || (strcmp(argv[4], "get") != 0 && strcmp(argv[4],
	    "put") != 0 && !(strcmp(argv[4], "layout") == 0 && argc == 6))) {
		fprintf(stderr, "usage: mdb_rec STATE_DIR DB KEY get|put|layout N\n");
		return 2;
	}
	put = strcmp(argv[4], "get") != 0;
	k.mv_data = argv[3];
	k.mv_size = strlen(argv[3]);
	/* No map size set: the environment's own is used. */
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 16)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, put ? 0 : MDB_RDONLY, &txn)) != 0)
		return fail(argv, mdb_strerror(rc));
	if ((rc = mdb_dbi_open(txn, argv[2], 0, &dbi)) != 0 ||
	    (rc = mdb_get(txn, dbi, &k, &v)) != 0) {
		mdb_txn_abort(txn);
		return fail(argv, mdb_strerror(rc));
	}
	/* The old bytes written out before the transaction changes them. */
	if (fwrite(v.mv_data, 1, v.mv_size, stdout) != v.mv_size ||
	    fflush(stdout) != 0) {
		mdb_txn_abort(txn);
		return fail(argv, "cannot write stdout");
	}
	if (!put) {
		mdb_txn_abort(txn);
		mdb_env_close(env);
		return 0;
	}
	if (strcmp(argv[4], "put") == 0) {
		buf = slurp(&nv.mv_size);
	} else if (v.mv_size >= sizeof(uint32_t) &&
	    (buf = malloc(v.mv_size)) != NULL) {
		uint32_t layout = (uint32_t)strtoul(argv[5], NULL, 10);

		memcpy(buf, v.mv_data, v.mv_size);
		memcpy(buf, &layout, sizeof(layout));
		nv.mv_size = v.mv_size;
	}
	if (buf == NULL) {
		mdb_txn_abort(txn);
		return fail(argv, "out of memory, or a record under 4 bytes");
	}
	nv.mv_data = buf;
	if ((rc = mdb_put(txn, dbi, &k, &nv, 0)) != 0) {
		mdb_txn_abort(txn);
		return fail(argv, mdb_strerror(rc));
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return fail(argv, mdb_strerror(rc));
	free(buf);
	mdb_env_close(env);
	return 0;
}
