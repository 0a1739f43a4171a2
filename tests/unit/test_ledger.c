/*
 * test_ledger - ledger/: every row of the outbox entry's transition table,
 * every move it does not have refused (the record left as it was), a
 * hold's life, and a store written in layout 2 migrated with its typed
 * fields read from the old strings
 */
#include "testutil.h"
#include "testmdb.h"
#include "../../ledger/ledger.h"

static char dir[64];
static struct store *st;

static int
setup(void **state)
{
	struct em_err err;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-ledger-XXXXXX");
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

/*
 * Every (event, kind, state): the move happens exactly when the table's
 * row allows it, to its state and cause; otherwise EM_ESTORE naming the
 * entry and the record is untouched.  A cancelled entry is never retried.
 */
static void
t_every_row(void **s)
{
	unsigned moves = 0, refused = 0;

	(void)s;
	for (int ev = 0; ev < LEDGER_OB_EVENTS; ev++) {
		const struct ledger_ob_row *r = ledger_ob_row(ev);

		assert_non_null(r);
		assert_int_equal((int)r->event, ev);	/* indexed by event */
		for (int kind = STORE_OB_COPY; kind <= STORE_OB_HOOK; kind++)
			for (int state = STORE_OB_QUEUED;
			    state <= STORE_OB_WAITING_KEY; state++)
				for (int cause = 0; cause <= STORE_OB_CAUSE_GONE;
				    cause++) {
					struct store_outbox ob, was;
					struct em_err err;
					bool ok = (r->from & (1u << state)) &&
					    (r->kinds & (1u << kind)) &&
					    !(ev == LEDGER_OB_RETRY && cause ==
					    STORE_OB_CAUSE_CANCELLED);
					int rc;

					memset(&ob, 0, sizeof(ob));
					ob.id = 7;
					ob.kind = kind;
					ob.state = state;
					ob.cause = cause;
					ob.next_try = 100;
					was = ob;
					rc = ledger_ob_step(&ob, ev, 200, "why",
					    &err);
					if (!ok) {
						assert_int_equal(rc, EM_ESTORE);
						assert_non_null(strstr(err.msg,
						    "outbox entry 7"));
						assert_memory_equal(&ob, &was,
						    sizeof(ob));
						refused++;
						continue;
					}
					assert_int_equal(rc, EM_OK);
					moves++;
					assert_int_equal(ob.cause, r->cause);
					assert_int_equal(ob.next_try, 200);
					if (r->to > 0)
						assert_int_equal(ob.state, r->to);
					else if (r->to == 0)
						assert_int_equal(ob.state, state);
					else
						assert_int_equal(ob.state,
						    ledger_ob_retry_state(&was));
				}
	}
	assert_true(moves > 0);
	assert_true(refused > 0);
}

/* The moves that matter, by name: a sent copy is never sent again; a
 * failed copy is built again on retry, a failed notice sent again; what a
 * dropped hold had prepared never leaves; a long reason is cut with a
 * mark, never silently. */
static void
t_named_moves(void **s)
{
	struct store_outbox ob;
	struct em_err err;
	char why[400];

	(void)s;
	memset(&ob, 0, sizeof(ob));
	ob.kind = STORE_OB_COPY;
	ob.state = STORE_OB_SENT;
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_SENT, 0, "", &err),
	    EM_ESTORE);
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_RETRY, 0, "", &err),
	    EM_ESTORE);
	ob.state = STORE_OB_QUEUED;
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_REFUSED, 0, "550 no",
	    &err), EM_OK);
	assert_int_equal(ob.state, STORE_OB_FAILED);
	assert_true(ledger_ob_retryable(&ob));
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_RETRY, 5, "", &err),
	    EM_OK);
	assert_int_equal(ob.state, STORE_OB_QUEUED);
	assert_string_equal(ob.last_error, "");
	ob.kind = STORE_OB_NOTICE;
	ob.state = STORE_OB_FAILED;
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_RETRY, 5, "", &err),
	    EM_OK);
	assert_int_equal(ob.state, STORE_OB_BUILT);
	ob.kind = STORE_OB_RELEASE;
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_CANCELLED, 0,
	    "not sent: hold 3 dropped", &err), EM_OK);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_CANCELLED);
	assert_false(ledger_ob_retryable(&ob));
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_RETRY, 0, "", &err),
	    EM_ESTORE);
	memset(why, 'x', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	ob.state = STORE_OB_BUILT;
	assert_int_equal(ledger_ob_step(&ob, LEDGER_OB_DEFERRED, 9, why, &err),
	    EM_OK);
	assert_int_equal(strlen(ob.last_error), sizeof(ob.last_error) - 1);
	assert_non_null(strstr(ob.last_error, " [cut]"));
}

/* A hold's recipients are kept whole, or the hold is refused; a hold is
 * released once, and what was prepared for a dropped one is cancelled. */
static void
t_hold_life(void **s)
{
	static const struct config cfg0;
	struct store_hold h;
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	const char *many[200];
	const char *two[] = { "announce@lists.example.org",
	    "oss-security@lists.example.net" };
	struct ledger_ob_spec sp = { STORE_OB_RELEASE, "XSA-1", 1, NULL,
	    "announce@lists.example.org", NULL, "security@example.org", 0, 0,
	    true, NULL, 1000, 2000 };

	(void)s;
	for (size_t i = 0; i < 200; i++)
		many[i] = "someone-with-a-long-address@lists.example.org";
	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(ledger_hold_new(t, &h, "XSA-1", "security@example.org",
	    many, 200, "Q1", 2000, 1000, &err), EM_ELIMIT);
	assert_non_null(strstr(err.msg, "too many recipients"));
	assert_int_equal(ledger_hold_new(t, &h, "XSA-1", "security@example.org",
	    two, 2, "Q1", 2000, 1000, &err), EM_OK);
	assert_string_equal(h.rcpts, "announce@lists.example.org,"
	    "oss-security@lists.example.net");
	sp.hold = h.id;
	assert_int_equal(ledger_ob_new(t, &cfg0, &sp, &ob, &err), EM_OK);
	assert_int_equal(ob.state, STORE_OB_BUILT);
	assert_int_equal(ob.next_try, 2000);
	assert_int_equal(ledger_hold_change(t, &h, "withdrawn", "hold dropped",
	    1500, &err), EM_OK);
	assert_int_equal(h.state, STORE_HOLD_DROPPED);
	assert_int_equal(store_ob_get(t, ob.id, &ob, &err), EM_OK);
	assert_int_equal(ob.state, STORE_OB_FAILED);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_CANCELLED);
	assert_int_equal(ledger_hold_release(t, &h, 1, 1600, false, &err),
	    EM_ESTORE);
	store_abort(t);
}

/* The outbox record as layout 2 wrote it (store/migrate.c reads it). */
struct v2 {
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

/* put_v2 - another program (today's build before layout 3) writes one */

static void
put_v2(const struct v2 *r)
{
	unsigned char k[8];

	for (int i = 7, v = 0; i >= 0; i--, v++)
		k[i] = (unsigned char)(r->id >> (8 * v));
	test_mdb_put(dir, "outbox", k, 8, r, sizeof(*r));
}

/*
 * A state written in layout 2: migrated once, a compacted copy kept
 * aside; "hold N" in a release's member or a final copy's from becomes
 * the typed hold, key "sealed" the sealed flag, last_error's prefixes
 * the cause; a second run finds nothing to do.
 */
static void
t_migrate_layout2(void **s)
{
	struct v2 rel = { 2, 501, STORE_OB_RELEASE, STORE_OB_BUILT, "XSA-9", 1,
	    "hold 42", "announce@lists.example.org", "sealed", 0, 0, 1, 2, 0,
	    "m1", "", "", "security@example.org", "" };
	struct v2 fin = { 2, 502, STORE_OB_COPY, STORE_OB_FAILED, "XSA-9", 1,
	    "Cloud", "security@cloud.example", "AAAA", 7, 0, 1, 2, 0, "m2", "",
	    "not sent: hold 42 dropped by x", "hold 42", "emc-x" };
	struct v2 key = { 2, 503, STORE_OB_COPY, STORE_OB_WAITING_KEY, "XSA-9",
	    1, "Cloud", "security@cloud.example", "AAAA", 7, 0, 1, 2, 0, "m3",
	    "", "key expired", "", "emc-y" };
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	size_t n;
	char *aside = xasprintf("%s/before-migration", dir), *mdb;

	(void)s;
	store_close(st);
	put_v2(&rel);
	put_v2(&fin);
	put_v2(&key);
	assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	/* Unmigrated, it is an error naming the cure, never skipped. */
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_get(t, 501, &ob, &err), EM_ESTORE);
	assert_non_null(strstr(err.msg, "migrated when the daemon starts"));
	store_abort(t);
	assert_int_equal(store_migrate(st, aside, &n, &err), EM_OK);
	assert_int_equal(n, 3);
	mdb = xasprintf("%s/data.mdb", aside);
	assert_int_equal(access(mdb, R_OK), 0);
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_get(t, 501, &ob, &err), EM_OK);
	assert_int_equal(ob.hold, 42);
	assert_true(ob.sealed);
	assert_string_equal(ob.member, "");
	assert_string_equal(ob.key, "");
	assert_string_equal(ob.from, "security@example.org");
	assert_int_equal(ob.cause, STORE_OB_CAUSE_NONE);
	assert_int_equal(store_ob_get(t, 502, &ob, &err), EM_OK);
	assert_int_equal(ob.hold, 42);
	assert_string_equal(ob.from, "");
	assert_int_equal(ob.cause, STORE_OB_CAUSE_CANCELLED);
	assert_false(ledger_ob_retryable(&ob));
	assert_string_equal(ob.copy_id, "emc-x");
	assert_int_equal(store_ob_get(t, 503, &ob, &err), EM_OK);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_KEY);
	assert_true(ledger_ob_retryable(&ob));
	store_abort(t);
	assert_int_equal(store_migrate(st, aside, &n, &err), EM_OK);
	assert_int_equal(n, 0);
	free(mdb);
	free(aside);
}

/* The outbox record as layout 3 wrote it (a key of 40 digits at most). */
struct v3 {
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

/*
 * A state written in layout 3: migrated once, every field kept (the key
 * now in the field wide enough for a certificate's pin); a state of
 * layouts 2 and 3 at once is migrated in one run.
 */
static void
t_migrate_layout3(void **s)
{
	struct v3 cp = { 3, 601, STORE_OB_COPY, STORE_OB_WAITING_KEY,
	    STORE_OB_CAUSE_KEY, 0, false, "XSA-10", 2, "Cloud",
	    "security@cloud.example", TEST_FPR_A, 9, 3, 10, 20, 0, "m6", "q6",
	    "key expired", "", "emc-z" };
	struct v2 old = { 2, 602, STORE_OB_COPY, STORE_OB_SENT, "XSA-10", 1,
	    "Linux", "secalert@linux.example", TEST_FPR_B, 8, 1, 1, 2, 3, "m7",
	    "q7", "", "", "emc-w" };
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	unsigned char k[8];
	size_t n;
	char *aside = xasprintf("%s/before-migration-3", dir);

	(void)s;
	store_close(st);
	for (int i = 7, v = 0; i >= 0; i--, v++)
		k[i] = (unsigned char)(cp.id >> (8 * v));
	test_mdb_put(dir, "outbox", k, 8, &cp, sizeof(cp));
	put_v2(&old);
	assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	assert_int_equal(store_migrate(st, aside, &n, &err), EM_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_get(t, 601, &ob, &err), EM_OK);
	assert_int_equal(ob.state, STORE_OB_WAITING_KEY);
	assert_int_equal(ob.cause, STORE_OB_CAUSE_KEY);
	assert_int_equal(ob.revision, 2);
	assert_string_equal(ob.key, TEST_FPR_A);
	assert_string_equal(ob.rcpt, "security@cloud.example");
	assert_int_equal(ob.post_id, 9);
	assert_int_equal(ob.attempts, 3);
	assert_int_equal(ob.next_try, 20);
	assert_string_equal(ob.queue_id, "q6");
	assert_string_equal(ob.last_error, "key expired");
	assert_string_equal(ob.copy_id, "emc-z");
	assert_int_equal(store_ob_get(t, 602, &ob, &err), EM_OK);
	assert_int_equal(ob.state, STORE_OB_SENT);
	assert_string_equal(ob.key, TEST_FPR_B);
	assert_int_equal(ob.sent_at, 3);
	store_abort(t);
	free(aside);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_every_row),
		cmocka_unit_test(t_named_moves),
		cmocka_unit_test(t_hold_life),
		cmocka_unit_test(t_migrate_layout2),
		cmocka_unit_test(t_migrate_layout3),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
