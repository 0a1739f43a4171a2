/*
 * host.c - what this host is: active (it accepts list mail, releases,
 * runs hooks, sends copies) or a standby (it does none of these), kept
 * in the store's meta "host-mode" so that a standby's store, restored
 * from a backup, says so itself (ledger.h)
 */

/* System library. */
#include <string.h>

/* Application-specific. */
#include "ledger.h"

#define MODE_KEY	"host-mode"

/* ledger_standby - is this store a standby's?  An error when the mode
 * cannot be read or is not one this build writes */

int
ledger_standby(struct store_txn *t, bool *standby, struct em_err *err)
{
	struct buf b;
	int rc;

	*standby = false;
	buf_init(&b);
	rc = store_meta_get(t, MODE_KEY, &b, err);
	if (rc == EM_ENOTFOUND)
		rc = EM_OK;
	else if (rc == EM_OK && b.len == 7 && memcmp(b.data, "standby", 7) == 0)
		*standby = true;
	else if (rc == EM_OK && !(b.len == 6 && memcmp(b.data, "active", 6) == 0))
		rc = em_fail(err, EM_ESTORE, "meta %s holds neither \"active\" "
		    "nor \"standby\"", MODE_KEY);
	buf_free(&b);
	return rc;
}

/* ledger_set_standby - this store's mode (restore --standby, promote) */

int
ledger_set_standby(struct store_txn *t, bool standby, struct em_err *err)
{
	const char *v = standby ? "standby" : "active";

	return store_meta_put(t, MODE_KEY, v, strlen(v), err);
}
