/*
 * emtime.c - parse and format times and durations (see emtime.h)
 */

/* System library. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Utility library. */
#include "em.h"
#include "emtime.h"

/* digits - read exactly n decimal digits */

static int
digits(const char *s, size_t len, size_t pos, int n, int *val)
{
	int v = 0;

	if (pos + (size_t)n > len)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[pos + i]))
			return -1;
		v = v * 10 + (s[pos + i] - '0');
	}
	*val = v;
	return 0;
}

/* days_in_month - the calendar, with leap years */

static int
days_in_month(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* days_from_civil - days since 1970-01-01 (H. Hinnant's algorithm) */

static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* parse_offset - read (+|-)HH[[:]MM] at pos; seconds east of UTC */

static int
parse_offset(const char *s, size_t len, size_t *pos, long *off)
{
	int sign, hh, mm = 0;
	size_t p = *pos;

	if (p >= len || (s[p] != '+' && s[p] != '-'))
		return -1;
	sign = s[p] == '-' ? -1 : 1;
	p++;
	if (digits(s, len, p, 2, &hh) < 0 || hh > 23)
		return -1;
	p += 2;
	if (p < len && s[p] == ':') {
		if (digits(s, len, p + 1, 2, &mm) < 0)
			return -1;
		p += 3;
	} else if (digits(s, len, p, 2, &mm) == 0) {
		p += 2;
	}
	if (mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	*pos = p;
	return 0;
}

/* em_time_parse - parse one of the three accepted forms */

int
em_time_parse(const char *s, size_t len, time_t *out, size_t *used)
{
	int y, mo, d, h, mi, se = 0;
	size_t p = 0;
	long off = 0;
	char sep;

	if (digits(s, len, 0, 4, &y) < 0 || len < 16 || s[4] != '-' ||
	    digits(s, len, 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s, len, 8, 2, &d) < 0)
		return EM_EPARSE;
	sep = s[10];
	if ((sep != ' ' && sep != 'T' && sep != 't') ||
	    digits(s, len, 11, 2, &h) < 0 || s[13] != ':' ||
	    digits(s, len, 14, 2, &mi) < 0)
		return EM_EPARSE;
	p = 16;
	if (p < len && s[p] == ':') {
		if (digits(s, len, p + 1, 2, &se) < 0)
			return EM_EPARSE;
		p += 3;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return EM_EPARSE;
	/* The zone: "Z" right after, " UTC", or a numeric offset. */
	if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
		p++;
	} else if (p + 4 <= len && s[p] == ' ' &&
	    strncasecmp(s + p + 1, "UTC", 3) == 0) {
		p += 4;
	} else if (p < len && (s[p] == '+' || s[p] == '-')) {
		if (parse_offset(s, len, &p, &off) < 0)
			return EM_EPARSE;
	} else if (p + 1 < len && s[p] == ' ' &&
	    (s[p + 1] == '+' || s[p + 1] == '-')) {
		p++;
		if (parse_offset(s, len, &p, &off) < 0)
			return EM_EPARSE;
	} else {
		return EM_EPARSE;	/* no zone: never a guess */
	}
	/* A zone name glued to more letters ("UTCX", "Zulu") is not ours. */
	if (p < len && isalnum((unsigned char)s[p]))
		return EM_EPARSE;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L +
	    mi * 60L + se - off);
	*used = p;
	return EM_OK;
}

/* em_time_format - "YYYY-MM-DD HH:MM:SS UTC" */

const char *
em_time_format(time_t t, char *buf)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, EM_TIME_BUFSZ, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)snprintf(buf, EM_TIME_BUFSZ, "@%lld", (long long)t);
	return buf;
}

/* em_time_format_iso - "YYYY-MM-DDTHH:MM:SSZ" */

const char *
em_time_format_iso(time_t t, char *buf)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, EM_TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, EM_TIME_BUFSZ, "@%lld", (long long)t);
	return buf;
}

/* em_duration_parse - "21d", "24h", "1d12h", "90s", "0" */

int
em_duration_parse(const char *s, long *secs)
{
	long total = 0;

	if (s == NULL || *s == '\0')
		return EM_EPARSE;
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return EM_OK;
	}
	while (*s != '\0') {
		long n = 0, unit;

		if (!isdigit((unsigned char)*s))
			return EM_EPARSE;
		while (isdigit((unsigned char)*s)) {
			if (n > (LONG_MAX - 9) / 10)
				return EM_EPARSE;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7L * 86400; break;
		default: return EM_EPARSE;
		}
		if (n > (LONG_MAX - total) / unit)
			return EM_EPARSE;
		total += n * unit;
	}
	*secs = total;
	return EM_OK;
}

/* em_time_of_day_parse - "HH:MM", 00:00 to 23:59 */

int
em_time_of_day_parse(const char *s, long *secs)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return EM_EPARSE;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23 ||
	    (s[3] - '0') * 10 + (s[4] - '0') > 59)
		return EM_EPARSE;
	*secs = ((s[0] - '0') * 10L + (s[1] - '0')) * 3600 +
	    ((s[3] - '0') * 10L + (s[4] - '0')) * 60;
	return EM_OK;
}

/* weekday - 0 Sunday .. 6 Saturday, of a UTC time */

static int
weekday(time_t t)
{
	struct tm tm;

	(void)gmtime_r(&t, &tm);
	return tm.tm_wday;
}

/* em_working_days_after - n days on, Saturdays and Sundays not counted */

time_t
em_working_days_after(time_t t, int n)
{
	while (weekday(t) == 0 || weekday(t) == 6)
		t += 86400;
	while (n > 0) {
		t += 86400;
		if (weekday(t) != 0 && weekday(t) != 6)
			n--;
	}
	return t;
}

/* em_at_time_of_day - t's UTC day at secs past midnight */

time_t
em_at_time_of_day(time_t t, long secs)
{
	return t - t % 86400 + secs;
}
