/*
 * log.c - syslog or stderr, every line prefixed by the queue id
 */

/* System library. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Application-specific. */
#include "log.h"

static bool to_stderr;

/* log_init - choose the sink once, at start-up */

void
log_init(const char *ident, bool foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_msg - one line: "QUEUEID: text" (or "-: text" outside a message) */

void
log_msg(int prio, const char *qid, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): see util/em.c */
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_stderr) {
		char ts[32];
		struct timespec now;
		struct tm tm;

		/* Milliseconds: make bench times releases from this log. */
		(void)clock_gettime(CLOCK_REALTIME, &now);
		(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
		    gmtime_r(&now.tv_sec, &tm));
		(void)fprintf(stderr, "%s.%03ldZ embargo-milter: %s: %s\n", ts,
		    now.tv_nsec / 1000000,
		    qid && *qid ? qid : "-", line);
		return;
	}
	syslog(prio, "%s: %s", qid && *qid ? qid : "-", line);
}
