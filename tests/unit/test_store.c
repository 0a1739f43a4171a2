/* test_store - the LMDB store: registry, outbox, holds, prints, audit chain */
#include "testutil.h"
#include "testmdb.h"
#include <sys/stat.h>
#include "../../store/store.h"

static char dir[64];
static struct store *st;

static int
setup(void **state)
{
	struct em_err err;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	return store_open(dir, (size_t)1 << 30, &st, &err);
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	store_close(st);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return 0;
}

static struct store_txn *
begin(bool write)
{
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, write, &t, &err), EM_OK);
	return t;
}

static void
commit(struct store_txn *t)
{
	struct em_err err;

	assert_int_equal(store_commit(t, &err), EM_OK);
}

static void
t_advisory_roundtrip(void **state)
{
	struct store_advisory a = { 0 }, b;
	struct store_txn *t = begin(true);
	struct em_err err;

	(void)state;
	(void)snprintf(a.id, sizeof(a.id), "XSA-1");
	a.revision = 2;
	a.embargo = 1796126400;
	a.state = STORE_ADV_EMBARGOED;
	assert_int_equal(store_adv_put(t, &a, &err), EM_OK);
	commit(t);
	t = begin(false);
	assert_int_equal(store_adv_get(t, "XSA-1", &b, &err), EM_OK);
	assert_int_equal(b.revision, 2);
	assert_int_equal(b.embargo, 1796126400);
	assert_int_equal(store_adv_get(t, "XSA-2", &b, &err), EM_ENOTFOUND);
	store_abort(t);
}

static void
t_abort_changes_nothing(void **state)
{
	struct store_advisory a = { 0 }, b;
	struct store_txn *t = begin(true);
	struct em_err err;

	(void)state;
	(void)snprintf(a.id, sizeof(a.id), "XSA-9");
	assert_int_equal(store_adv_put(t, &a, &err), EM_OK);
	store_abort(t);
	t = begin(false);
	assert_int_equal(store_adv_get(t, "XSA-9", &b, &err), EM_ENOTFOUND);
	store_abort(t);
}

static int
count_cb(const struct store_outbox *ob, void *ctx)
{
	unsigned *n = ctx;

	(void)ob;
	(*n)++;
	return 0;
}

static void
t_outbox_ids_and_order(void **state)
{
	struct store_outbox a = { 0 }, b = { 0 }, c;
	struct store_txn *t = begin(true);
	struct em_err err;
	unsigned n = 0;

	(void)state;
	a.kind = b.kind = STORE_OB_COPY;
	a.state = b.state = STORE_OB_QUEUED;
	(void)snprintf(a.rcpt, sizeof(a.rcpt), "security@a.example");
	(void)snprintf(b.rcpt, sizeof(b.rcpt), "security@b.example");
	assert_int_equal(store_ob_put(t, &a, &err), EM_OK);
	assert_int_equal(store_ob_put(t, &b, &err), EM_OK);
	assert_true(b.id > a.id);
	commit(t);
	t = begin(false);
	assert_int_equal(store_ob_get(t, b.id, &c, &err), EM_OK);
	assert_string_equal(c.rcpt, "security@b.example");
	assert_int_equal(store_ob_each(t, count_cb, &n, &err), EM_OK);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_ob_each_pending(t, count_cb, &n, &err), EM_OK);
	assert_int_equal(n, 2);
	store_abort(t);
	/* A sent entry leaves the pending index, and stays in the outbox. */
	t = begin(true);
	c.state = STORE_OB_SENT;
	assert_int_equal(store_ob_put(t, &c, &err), EM_OK);
	commit(t);
	t = begin(false);
	n = 0;
	assert_int_equal(store_ob_each_pending(t, count_cb, &n, &err), EM_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_ob_each(t, count_cb, &n, &err), EM_OK);
	assert_int_equal(n, 2);
	store_abort(t);
}

static void
t_blob_roundtrip(void **state)
{
	struct store_txn *t = begin(true);
	struct em_err err;
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(store_blob_put(t, STORE_BLOB_POST, 7, "sealed", 6, &err), EM_OK);
	commit(t);
	t = begin(true);
	assert_int_equal(store_blob_get(t, STORE_BLOB_POST, 7, &b, &err), EM_OK);
	assert_int_equal(b.len, 6);
	assert_int_equal(store_blob_get(t, STORE_BLOB_COPY, 7, &b, &err), EM_ENOTFOUND);
	assert_int_equal(store_blob_del(t, STORE_BLOB_POST, 7, &err), EM_OK);
	assert_int_equal(store_blob_get(t, STORE_BLOB_POST, 7, &b, &err), EM_ENOTFOUND);
	commit(t);
	buf_free(&b);
}

static void
seen(const char *id, void *ctx)
{
	struct strv *sv = ctx;

	strv_push(sv, id);
}

static void
t_prints_multi(void **state)
{
	const unsigned char h[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const unsigned char other[8] = { 9 };
	struct store_txn *t = begin(true);
	struct strv sv = { 0 };
	struct em_err err;

	(void)state;
	assert_int_equal(store_print_add(t, h, "XSA-1", &err), EM_OK);
	assert_int_equal(store_print_add(t, h, "XSA-2", &err), EM_OK);
	assert_int_equal(store_print_add(t, h, "XSA-1", &err), EM_OK);
	commit(t);
	t = begin(false);
	assert_int_equal(store_print_lookup(t, h, seen, &sv, &err), EM_OK);
	assert_int_equal(sv.n, 2);
	strv_free(&sv);
	assert_int_equal(store_print_lookup(t, other, seen, &sv, &err), EM_OK);
	assert_int_equal(sv.n, 0);
	store_abort(t);
}

static void
append(const char *event)
{
	struct store_audit a = { 0 };
	struct store_txn *t = begin(true);
	struct em_err err;

	a.time = 1796126400;
	a.event = event;
	a.reason = "a \"quoted\" reason";
	assert_int_equal(store_audit_append(t, &a, &err), EM_OK);
	commit(t);
}

static void
t_audit_chain_and_tamper(void **state)
{
	struct store_txn *t;
	uint64_t bad, count;
	MDB_env *env;
	MDB_txn *raw;
	MDB_dbi dbi;
	MDB_val k, v;
	unsigned char key[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	char *edited;

	(void)state;
	append("received");
	append("rejected");
	append("held");
	t = begin(false);
	assert_int_equal(store_audit_verify(t, &bad, &count), EM_OK);
	assert_int_equal(count, 3);
	store_abort(t);
	/* Edit record 2 behind the store's back: the chain must break there. */
	store_close(st);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &raw), 0);
	assert_int_equal(mdb_dbi_open(raw, "audit", 0, &dbi), 0);
	k.mv_size = 8;
	k.mv_data = key;
	assert_int_equal(mdb_get(raw, dbi, &k, &v), 0);
	edited = xstrndup(v.mv_data, v.mv_size);
	memcpy(strstr(edited, "rejected"), "accepted", 8);
	v.mv_data = edited;
	assert_int_equal(mdb_put(raw, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(raw), 0);
	mdb_env_close(env);
	free(edited);
	{
		struct em_err err;

		assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	}
	t = begin(false);
	assert_int_equal(store_audit_verify(t, &bad, &count), EM_EPARSE);
	assert_int_equal(bad, 2);
	store_abort(t);
}

static void
t_print_key_stable(void **state)
{
	unsigned char k1[32], k2[32];
	struct em_err err;
	struct stat sb;
	char *path = xasprintf("%s/print.key", dir);

	(void)state;
	assert_int_equal(store_print_key(dir, k1, &err), EM_OK);
	assert_int_equal(store_print_key(dir, k2, &err), EM_OK);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(path);
}

/*
 * public drop takes every run of one source, those it shares with another
 * source included (a DUPSORT key with two values), and nothing else
 */
static int
count_src(const char *source, size_t runs, void *ctx)
{
	size_t *n = ctx;

	if (strcmp(source, "a.mbox") == 0)
		n[0] += runs;
	else
		n[1] += runs;
	return 0;
}

static void
t_public_drop_all(void **state)
{
	struct store_txn *t = begin(true);
	struct em_err err;
	size_t n = 0, left[2] = { 0, 0 };
	unsigned char h[8];

	(void)state;
	for (unsigned i = 0; i < 3000; i++) {
		memset(h, 0, sizeof(h));
		memcpy(h, &i, sizeof(i));
		assert_int_equal(store_public_add(t, h, "a.mbox", &err), EM_OK);
		if (i % 3 == 0)
			assert_int_equal(store_public_add(t, h, "b.mbox", &err),
			    EM_OK);
	}
	commit(t);
	t = begin(true);
	assert_int_equal(store_public_drop(t, "a.mbox", &n, &err), EM_OK);
	commit(t);
	assert_int_equal(n, 3000);
	t = begin(false);
	assert_int_equal(store_public_sources(t, count_src, left), EM_OK);
	store_abort(t);
	assert_int_equal(left[0], 0);
	assert_int_equal(left[1], 1000);
}

static int
stop_at_first(const struct store_advisory *a, void *ctx)
{
	(void)a;
	(*(unsigned *)ctx)++;
	return 1;		/* stop: not an error */
}

static int
count_adv(const struct store_advisory *a, void *ctx)
{
	(void)a;
	(*(unsigned *)ctx)++;
	return 0;
}

/* A record of another layout is an error naming its database, never
 * skipped; a reader that stops early is no error. */
static void
t_wrong_record_is_an_error(void **state)
{
	struct store_advisory a = { 0 };
	struct store_txn *t = begin(true);
	struct em_err err;
	unsigned n = 0;

	(void)state;
	(void)snprintf(a.id, sizeof(a.id), "XSA-1");
	assert_int_equal(store_adv_put(t, &a, &err), EM_OK);
	(void)snprintf(a.id, sizeof(a.id), "XSA-2");
	assert_int_equal(store_adv_put(t, &a, &err), EM_OK);
	commit(t);
	t = begin(false);
	assert_int_equal(store_adv_each(t, stop_at_first, &n, &err), EM_OK);
	assert_int_equal(n, 1);
	store_abort(t);
	/* Another program writes a record of 3 bytes after them. */
	store_close(st);
	test_mdb_put(dir, "adv", "ZZZ1", 4, "abc", 3);
	assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	t = begin(false);
	n = 0;
	em_err_clear(&err);
	assert_int_equal(store_adv_each(t, count_adv, &n, &err), EM_ESTORE);
	assert_int_equal(n, 2);
	assert_non_null(strstr(err.msg, "database 'adv' has 3 bytes"));
	assert_int_equal(store_adv_get(t, "ZZZ1", &a, &err), EM_ESTORE);
	store_abort(t);
}

/*
 * A post's framing (post.c): the fields and the entity back as packed; a
 * post packed before the later fields were added reads them as ""; bytes
 * cut short or a length past the end are EM_EPARSE, nothing kept.
 */
static void
t_post_framing(void **state)
{
	const char *f[STORE_POST_NFIELDS];
	struct store_post p;
	struct buf b;
	const char *old = "3:Sub1:a1:d0:0:0:Content-Type: text/plain\n\nhi\n";

	(void)state;
	for (int i = 0; i < STORE_POST_NFIELDS; i++)
		f[i] = "";
	f[STORE_POST_SUBJECT] = "XSA-1 v1";
	f[STORE_POST_DEPLOY] = "permitted\nDeployment is permitted.";
	f[STORE_POST_NOTICE] = "1";
	buf_init(&b);
	store_post_pack(f, "Content-Type: text/plain\n\n12:34\n", 32, &b);
	assert_int_equal(store_post_unpack(b.data, b.len, &p), EM_OK);
	assert_string_equal(p.field[STORE_POST_SUBJECT], "XSA-1 v1");
	assert_string_equal(p.field[STORE_POST_DEPLOY],
	    "permitted\nDeployment is permitted.");
	assert_string_equal(p.field[STORE_POST_NOTICE], "1");
	assert_string_equal(p.field[STORE_POST_FROM], "");
	assert_int_equal(p.entity_len, 32);
	assert_memory_equal(p.entity, "Content-Type: text/plain\n\n12:34\n", 32);
	store_post_free(&p);
	assert_int_equal(store_post_unpack(old, strlen(old), &p), EM_OK);
	assert_string_equal(p.field[STORE_POST_SUBJECT], "Sub");
	assert_string_equal(p.field[STORE_POST_DEPLOY], "");
	assert_string_equal(p.entity, "Content-Type: text/plain\n\nhi\n");
	store_post_free(&p);
	assert_int_equal(store_post_unpack(b.data, 15, &p), EM_EPARSE);
	assert_null(p.field[0]);
	assert_int_equal(store_post_unpack("99:abc", 6, &p), EM_EPARSE);
	assert_int_equal(store_post_unpack(NULL, 0, &p), EM_EPARSE);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_advisory_roundtrip),
		cmocka_unit_test(t_abort_changes_nothing),
		cmocka_unit_test(t_outbox_ids_and_order),
		cmocka_unit_test(t_blob_roundtrip),
		cmocka_unit_test(t_prints_multi),
		cmocka_unit_test(t_audit_chain_and_tamper),
		cmocka_unit_test(t_print_key_stable),
		cmocka_unit_test(t_public_drop_all),
		cmocka_unit_test(t_wrong_record_is_an_error),
		cmocka_unit_test(t_post_framing),
	};

	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
