/*
 * test_auditq.c - the group commit (outbox/auditq.c) against a real LMDB
 * store: one failing piece in a batch fails its own caller alone, and the
 * other pieces of that batch are committed
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../outbox/outbox.h"

#define NPIECES	5		/* after the one that holds the writer */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool go, first_running;
static int released;

struct piece {
	char	key[32];
	bool	fails;		/* writes, then fails: its write must vanish */
	bool	holds;		/* waits for go: the rest queue meanwhile */
	int	rc;
	char	why[128];
};

/* piece_fn - txq work: mark the key seen; fail or wait when told */

static int
piece_fn(struct store_txn *t, void *arg, struct em_err *err)
{
	struct piece *p = arg;
	int rc = store_seen_put(t, p->key, "test", err);

	if (p->holds) {
		pthread_mutex_lock(&lock);
		first_running = true;
		pthread_cond_broadcast(&cond);
		while (!go)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
	}
	if (rc == EM_OK && p->fails)
		return em_fail(err, EM_EIO, "this piece fails on purpose");
	return rc;
}

/* piece_done - txq release: record what the piece's caller learns */

static void
piece_done(void *arg, int rc, const char *why)
{
	struct piece *p = arg;

	pthread_mutex_lock(&lock);
	p->rc = rc;
	(void)snprintf(p->why, sizeof(p->why), "%s", why);
	released++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static bool
seen(struct store *st, const char *key)
{
	struct store_txn *t;
	struct em_err err;
	char what[32];
	bool found;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	found = store_seen_get(t, key, what, sizeof(what), &err) == EM_OK;
	store_abort(t);
	return found;
}

static void
t_failing_piece_fails_alone(void **state)
{
	char dir[] = "/tmp/test_auditq-XXXXXX";
	struct piece first = { "k-first", false, true, 1, "" };
	struct piece p[NPIECES];
	struct store *st;
	struct em_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, (size_t)1 << 26, &st, &err), EM_OK);
	state_set_store(st);
	assert_int_equal(auditq_start(), EM_OK);
	/* The writer takes the first piece and waits inside it ... */
	txq_post(piece_fn, &first, piece_done);
	pthread_mutex_lock(&lock);
	while (!first_running)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	/* ... so these five wait together and make the next batch. */
	for (int i = 0; i < NPIECES; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		(void)snprintf(p[i].key, sizeof(p[i].key), "k-%d", i);
		p[i].fails = i == 2;
		p[i].rc = 1;
		txq_post(piece_fn, &p[i], piece_done);
	}
	pthread_mutex_lock(&lock);
	go = true;
	pthread_cond_broadcast(&cond);
	while (released < NPIECES + 1)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	auditq_stop();

	assert_int_equal(first.rc, EM_OK);
	assert_true(seen(st, "k-first"));
	for (int i = 0; i < NPIECES; i++) {
		if (i == 2) {
			assert_int_equal(p[i].rc, EM_EIO);
			assert_non_null(strstr(p[i].why, "fails on purpose"));
			assert_false(seen(st, p[i].key));	/* undone */
		} else {
			assert_int_equal(p[i].rc, EM_OK);
			assert_string_equal(p[i].why, "");
			assert_true(seen(st, p[i].key));
		}
	}
	store_close(st);
	for (const char *const *f = (const char *const[]){ "data.mdb",
	    "lock.mdb", NULL }; *f != NULL; f++) {
		char path[64];

		(void)snprintf(path, sizeof(path), "%s/%s", dir, *f);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_failing_piece_fails_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
