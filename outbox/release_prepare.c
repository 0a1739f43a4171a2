/*
 * release_prepare.c - a hold made ready ahead of its date: its final
 * copies and release entries built and waiting (prepare_hold), and its
 * posting unsealed in memory just before the date (warm_hold), so that at
 * the date the workers only send
 *
 * How it fails: it logs why and does nothing else; a hold not prepared is
 * tried again at the next scan, or released the slow way at its date; a
 * hold not warmed is unsealed by the workers at the date.
 */

/* System library. */
#include <stdint.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"
#include "../keys/keys.h"

/*
 * release_prepare_hold - SPEC 5: a hold's release made ahead of its date: the
 * final copies queued (built by the workers now, each waiting for the
 * date), one release entry per recipient with the sealed posting, due at
 * the date; recorded (meta "prepared:hold N") so that it is done once.
 * At the date the release only marks the hold released: the workers send.
 */
int
release_prepare_hold(const struct config *cfg, uint64_t id)
{
	struct store_hold h0 = { 0 }, h;
	struct store_txn *t;
	struct buf plain, sealed;
	struct em_err err;
	char tag[32];
	int revision = 0, rc;

	buf_init(&plain);
	buf_init(&sealed);
	release_hold_tag(id, tag, sizeof(tag));
	if ((rc = release_unsealed_hold(id, &h0, &plain, &err)) == EM_OK)
		rc = release_final_copy(cfg, &h0, &plain, id, &revision, &err);
	buf_free(&plain);
	if (rc == EM_OK && (rc = store_begin(state_store(), true, &t, &err)) ==
	    EM_OK) {
		time_t now = time(NULL), due;
		int was = -1;

		if ((rc = store_hold_get(t, id, &h, &err)) == EM_OK &&
		    h.state == STORE_HOLD_HELD &&
		    (rc = release_prepared(t, id, &was, &err)) == EM_OK && was < 0 &&
		    (rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed,
		    &err)) == EM_OK &&
		    (rc = store_hold_due(t, &h, now, &due, &err)) == EM_OK &&
		    (rc = release_queue(t, cfg, &h, &sealed, revision, now,
		    due, &err)) == EM_OK &&
		    (rc = store_adv_num_put(t, "prepared", tag, revision, &err)) ==
		    EM_OK)
			rc = store_commit(t, &err);
		else
			store_abort(t);
	}
	buf_free(&sealed);
	if (rc < 0)
		log_msg(LOG_ERR, NULL, "hold %llu not prepared for its date: %s; "
		    "tried again, or released the slow way at it",
		    (unsigned long long)id, rc == EM_ENOTFOUND ? "gone" : err.msg);
	else
		log_msg(LOG_INFO, h0.queue_id, "hold %llu prepared for its date: "
		    "revision %d, its messages built and waiting", (unsigned long
		    long)id, revision);
	return rc < 0 ? rc : EM_OK;
}

/*
 * release_warm_hold - a prepared hold due within WARM_AHEAD: its posting unsealed
 * now and kept in memory for the workers (deliver_warm), so that at the
 * date they do no gpg work.  A failure only means they unseal it then.
 */
void
release_warm_hold(uint64_t id, time_t due)
{
	struct store_txn *t;
	struct buf sealed, plain;
	struct em_err err;
	int rc;

	buf_init(&sealed);
	buf_init(&plain);
	if ((rc = store_begin(state_store(), false, &t, &err)) == EM_OK) {
		rc = store_blob_get(t, STORE_BLOB_HOLD, id, &sealed, &err);
		store_abort(t);
	}
	if (rc == EM_OK && (rc = keys_unseal(sealed.data, sealed.len, &plain,
	    &err)) == EM_OK)
		deliver_warm(id, due, &plain);
	if (rc < 0)
		log_msg(LOG_WARNING, NULL, "hold %llu not unsealed ahead of its "
		    "date: %s; unsealed at it instead", (unsigned long long)id,
		    err.msg);
	buf_free(&plain);
	buf_free(&sealed);
}
