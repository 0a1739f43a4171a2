/*
 * timeline.c - the suggested disclosure timeline for a discoverer (SPEC 6):
 * Xen's default, one working week from the report to the pre-disclosure
 * advisory, then two working weeks to the public release at public_time,
 * the embargo capped by max_embargo; a date the discoverer asks for is
 * honoured when earlier, and when later only within max_embargo.
 *
 * Pure: every time is an argument.
 */

/* System library. */
#include <stdio.h>
#include <string.h>

/* Application-specific. */
#include "policy.h"
#include "../util/emtime.h"

#define REPORT_TO_LIST	5	/* working days: report to pre-disclosure */
#define LIST_TO_PUBLIC	10	/* working days: pre-disclosure to public */

/* policy_public_default - the public release the default schedule gives
 * an advisory sent to the list at predisclosure */

time_t
policy_public_default(const struct config *cfg, time_t predisclosure)
{
	time_t at = em_at_time_of_day(em_working_days_after(predisclosure,
	    LIST_TO_PUBLIC), cfg->public_time);

	/* An embargo never runs past max_embargo: the last release time
	 * of day before it. */
	while (at - predisclosure > cfg->max_embargo)
		at -= 86400;
	return at > predisclosure ? at : predisclosure;
}

/* policy_timeline - the schedule for a report, honouring asked (0: none) */

void
policy_timeline(const struct config *cfg, time_t reported, time_t asked,
    struct policy_timeline *t)
{
	char d[EM_TIME_BUFSZ];

	memset(t, 0, sizeof(*t));
	t->reported = reported;
	t->predisclosure = em_working_days_after(reported, REPORT_TO_LIST);
	t->public_at = policy_public_default(cfg, t->predisclosure);
	t->asked = asked;
	if (asked == 0) {
		(void)snprintf(t->note, sizeof(t->note), "the default schedule");
		return;
	}
	if (asked <= t->public_at) {
		/* Earlier is always honoured, the list's time shortened. */
		t->public_at = asked;
		if (t->predisclosure > asked)
			t->predisclosure = asked > reported ? reported : asked;
		(void)snprintf(t->note, sizeof(t->note), "the discoverer's date "
		    "%s, earlier than the default: honoured",
		    em_time_format(asked, d));
	} else if (asked - t->predisclosure <= cfg->max_embargo) {
		t->public_at = asked;
		(void)snprintf(t->note, sizeof(t->note), "the discoverer's date "
		    "%s, later than the default: honoured, within max_embargo "
		    "(%ld days)", em_time_format(asked, d),
		    cfg->max_embargo / 86400);
	} else {
		t->public_at = t->predisclosure + cfg->max_embargo;
		(void)snprintf(t->note, sizeof(t->note), "the discoverer's date "
		    "%s is more than max_embargo (%ld days) after the "
		    "pre-disclosure: capped there", em_time_format(asked, d),
		    cfg->max_embargo / 86400);
	}
}
