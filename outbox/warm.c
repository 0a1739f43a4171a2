/*
 * warm.c - the decrypted postings of releases, kept in memory only: a
 * prepared hold's posting unsealed by the release timer a few seconds
 * before its date (deliver_warm()), so that at the date no worker waits
 * for gpg, and the last posting each worker unsealed itself
 *
 * Each warm posting is wiped and dropped a while after its date
 * (WARM_KEEP), and all of them when the workers stop; nothing plain
 * reaches the disk.  A posting that is not warm is unsealed by the
 * worker that sends it (warm_unseal_release()).
 */

/* System library. */
#include <pthread.h>
#include <string.h>
#include <time.h>

/* Application-specific. */
#include "deliver_int.h"
#include "../keys/keys.h"

#define WARM_MAX	64
#define WARM_KEEP	120	/* seconds after the date */

static pthread_mutex_t warm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct warm { uint64_t hold; time_t until; struct buf plain; }
    warm[WARM_MAX];

/* warm_drop - a kept posting wiped and freed (under lock) */

static void
warm_drop(struct warm *w)
{
	if (w->plain.data != NULL)
		explicit_bzero(w->plain.data, w->plain.len);
	buf_free(&w->plain);
	w->hold = 0;
}

/* warm_find - the slot of hold, or of a free one with hold 0 (under lock) */

static struct warm *
warm_find(uint64_t hold, time_t now)
{
	for (size_t i = 0; i < WARM_MAX; i++) {
		if (warm[i].hold != 0 && warm[i].until < now)
			warm_drop(&warm[i]);
		if (warm[i].hold == hold)
			return &warm[i];
	}
	return NULL;
}

/* deliver_warm_has - is hold's posting unsealed and kept? */

bool
deliver_warm_has(uint64_t hold)
{
	bool have;

	pthread_mutex_lock(&warm_lock);
	have = warm_find(hold, time(NULL)) != NULL;
	pthread_mutex_unlock(&warm_lock);
	return have;
}

/* deliver_warm - keep hold's unsealed posting until its date + WARM_KEEP */

void
deliver_warm(uint64_t hold, time_t date, const struct buf *plain)
{
	struct warm *w;

	pthread_mutex_lock(&warm_lock);
	if (warm_find(hold, time(NULL)) == NULL &&
	    (w = warm_find(0, time(NULL))) != NULL) {
		w->hold = hold;
		w->until = date + WARM_KEEP;
		buf_init(&w->plain);
		buf_append(&w->plain, plain->data, plain->len);
	}
	pthread_mutex_unlock(&warm_lock);
}

/* warm_get - hold's kept posting into out; false if none */

static bool
warm_get(uint64_t hold, struct buf *out)
{
	struct warm *w;
	bool have;

	pthread_mutex_lock(&warm_lock);
	if ((have = hold != 0 && (w = warm_find(hold, time(NULL))) != NULL)) {
		buf_reset(out);
		buf_append(out, w->plain.data, w->plain.len);
	}
	pthread_mutex_unlock(&warm_lock);
	return have;
}

/* warm_clear - every warm posting wiped and freed */

void
warm_clear(void)
{
	pthread_mutex_lock(&warm_lock);
	for (size_t i = 0; i < WARM_MAX; i++)
		warm_drop(&warm[i]);
	pthread_mutex_unlock(&warm_lock);
}

/*
 * The posting a worker unsealed last, as the entries of one hold come
 * one after another (in memory only).
 */
static _Thread_local uint64_t rel_hold;
static _Thread_local struct buf rel_plain;

/*
 * warm_unseal_release - a prepared release's sealed bytes, decrypted into
 * data: a warm posting taken as it is, else the one this worker kept,
 * else unsealed now
 */
int
warm_unseal_release(const struct store_outbox *ob, struct buf *data,
    struct em_err *err)
{
	int rc = EM_OK;

	if (warm_get(ob->hold, data))
		return EM_OK;
	if (rel_hold != ob->hold) {
		rel_hold = 0;
		buf_reset(&rel_plain);
		if ((rc = keys_unseal(data->data, data->len, &rel_plain, err)) < 0)
			return rc;
		rel_hold = ob->hold;
	}
	buf_reset(data);
	buf_append(data, rel_plain.data, rel_plain.len);
	return rc;
}

/* warm_thread_done - the calling worker's kept posting freed */

void
warm_thread_done(void)
{
	buf_free(&rel_plain);
}
