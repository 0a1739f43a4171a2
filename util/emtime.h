/*
 * emtime.h - the one place where times are parsed and formatted
 *
 * What it is for: embargo dates are written by people in three forms
 * (SPEC section 4); internally every time is a time_t in UTC seconds, and
 * every time shown to a person is "YYYY-MM-DD HH:MM:SS UTC".  Durations in
 * the config ("21d", "24h", "1d12h", "0") are parsed here too.  Pure libc:
 * no clock is read.
 *
 * How it fails: the parsers return EM_EPARSE and leave *out untouched.
 */
#ifndef EMTIME_H
#define EMTIME_H

#include <stddef.h>
#include <time.h>

#define EM_TIME_BUFSZ	32

/*
 * Parse a time at s (at most len bytes) in one of the accepted forms:
 *   YYYY-MM-DD HH:MM[:SS] UTC
 *   YYYY-MM-DDTHH:MM[:SS]Z
 *   YYYY-MM-DD[T ]HH:MM[:SS](+|-)HH[[:]MM]
 * On success *out is the UTC time and *used the number of bytes read.
 */
int	em_time_parse(const char *s, size_t len, time_t *out, size_t *used);

/* Format t as "YYYY-MM-DD HH:MM:SS UTC" into buf (EM_TIME_BUFSZ bytes). */
const char *em_time_format(time_t t, char *buf);

/* Format t as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (for JSON). */
const char *em_time_format_iso(time_t t, char *buf);

/* Parse a duration: a sequence of <number><unit>, unit one of s m h d w,
 * or a bare "0".  *secs is the total. */
int	em_duration_parse(const char *s, long *secs);

/* Parse a time of day "HH:MM" (UTC): *secs past midnight. */
int	em_time_of_day_parse(const char *s, long *secs);
/* t moved on by n working days (Monday to Friday; a weekend day counts
 * from the Monday after it), the time of day kept. */
time_t	em_working_days_after(time_t t, int n);
/* The same UTC day as t, at secs past midnight. */
time_t	em_at_time_of_day(time_t t, long secs);

#endif
