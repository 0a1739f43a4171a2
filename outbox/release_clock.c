/*
 * release_clock.c - the release timer's watch on time: the audit chain's
 * head anchored in the log (SPEC 8), and a step of the system clock said
 * in the log when a scan notices it
 *
 * How it fails: an audit head that cannot be read is logged as such; a
 * clock step is only said, never corrected (releases follow the clock).
 */

/* System library. */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Application-specific. */
#include "outbox.h"
#include "release.h"
#include "../util/log.h"
#include "../util/emtime.h"

/*
 * release_anchor - SPEC 8: the audit chain's head in a syslog line, every
 * audit_anchor_every and at shutdown, so that a copy of it leaves the
 * machine (remote syslog, the log rotation archive) where the state
 * cannot reach it.
 */
void
release_anchor(const struct config *cfg, time_t now, bool force)
{
	static time_t last;
	struct store_txn *t;
	struct em_err err;
	char hash[65];
	uint64_t seq;

	if (!force && last != 0 && now - last < cfg->audit_anchor_every)
		return;
	if (store_begin(state_store(), false, &t, &err) < 0)
		return;
	if (store_audit_head(t, &seq, hash) != EM_OK)
		log_msg(LOG_ERR, NULL, "audit head unreadable: the state store "
		    "failed; embargoctl audit verify says where the chain breaks");
	else if (seq == 0 || hash[0] == '\0')
		log_msg(LOG_INFO, NULL, "audit log empty: no head yet");
	else
		log_msg(LOG_INFO, NULL, "audit head %llu:%s (embargoctl audit "
		    "verify --tip checks the log still reaches it)",
		    (unsigned long long)seq, hash);
	store_abort(t);
	last = now;
}

/*
 * release_clock_watch - a step of the system clock, said in the log: releases
 * follow the clock (an embargo date is a wall-clock time), so a clock set
 * back an hour holds postings an hour longer and one set forward releases
 * them early; either is the administrator's to know at once.  "Back" is
 * any second earlier than the last look; "forward" is a wake more than
 * half a minute after the time slept for.  Which it was is returned
 * (RELEASE_CLOCK_SAME when neither, or at the first look: last 0).
 */
enum release_clock
release_clock_watch(time_t now, time_t last, time_t woke_for)
{
	char a[EM_TIME_BUFSZ], b[EM_TIME_BUFSZ];

	if (last == 0)
		return RELEASE_CLOCK_SAME;
	if (now + 1 < last) {
		em_time_format(last, a);
		em_time_format(now, b);
		log_msg(LOG_WARNING, NULL, "the system clock went back %lld s "
		    "(from %s to %s): held postings are released when the clock "
		    "reaches their date; check the time service (timedatectl, "
		    "chronyc tracking)", (long long)(last - now), a, b);
		return RELEASE_CLOCK_BACK;
	}
	if (woke_for != 0 && now > woke_for + 30) {
		em_time_format(woke_for, a);
		em_time_format(now, b);
		log_msg(LOG_WARNING, NULL, "the system clock went forward %lld s "
		    "(expected %s, now %s): whatever fell due meanwhile is "
		    "released now; check the time service (timedatectl, chronyc "
		    "tracking)", (long long)(now - woke_for), a, b);
		return RELEASE_CLOCK_FORWARD;
	}
	return RELEASE_CLOCK_SAME;
}
