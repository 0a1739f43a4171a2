/* test_emtime - the three time forms, UTC storage, durations */
#include "testutil.h"
#include "../../util/emtime.h"

/* 2026-12-01 12:00:00 UTC */
#define T0 ((time_t)1796126400)

static time_t
parse_ok(const char *s)
{
	time_t t = 0;
	size_t used = 0;

	assert_int_equal(em_time_parse(s, strlen(s), &t, &used), EM_OK);
	return t;
}

static void
parse_bad(const char *s)
{
	time_t t = 0;
	size_t used = 0;

	assert_int_equal(em_time_parse(s, strlen(s), &t, &used), EM_EPARSE);
}

static void t_utc_form(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01 12:00 UTC"), T0); }
static void t_utc_seconds(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01 12:00:07 UTC"), T0 + 7); }
static void t_z_form(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01T12:00Z"), T0); }
static void t_z_seconds(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01T12:00:30Z"), T0 + 30); }
static void t_offset_plus(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01T13:00+01:00"), T0); }
static void t_offset_minus_compact(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01T07:00:00-0500"), T0); }
static void t_offset_hours_only(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-01T17:00+05"), T0); }
static void t_day_rollover(void **st) { (void)st; assert_int_equal(parse_ok("2026-12-02T00:30+12:30"), T0); }
static void t_leap_day(void **st) { (void)st; assert_int_equal(parse_ok("2028-02-29 00:00 UTC"), (time_t)1835395200); }
static void t_no_zone(void **st) { (void)st; parse_bad("2026-12-01 12:00"); }
static void t_bad_month(void **st) { (void)st; parse_bad("2026-13-01 12:00 UTC"); }
static void t_bad_feb29(void **st) { (void)st; parse_bad("2027-02-29 12:00 UTC"); }
static void t_bad_hour(void **st) { (void)st; parse_bad("2026-12-01 24:00 UTC"); }
static void t_zone_glued(void **st) { (void)st; parse_bad("2026-12-01 12:00 UTCX"); }
static void t_words(void **st) { (void)st; parse_bad("16 April, 1pm PT"); }

static void
t_used_stops_after_zone(void **st)
{
	const char *s = "2026-12-01 12:00 UTC ***";
	time_t t;
	size_t used;

	(void)st;
	assert_int_equal(em_time_parse(s, strlen(s), &t, &used), EM_OK);
	assert_int_equal(used, strlen("2026-12-01 12:00 UTC"));
}

static void
t_format(void **st)
{
	char b[EM_TIME_BUFSZ];

	(void)st;
	assert_string_equal(em_time_format(T0 + 5, b), "2026-12-01 12:00:05 UTC");
	assert_string_equal(em_time_format_iso(T0, b), "2026-12-01T12:00:00Z");
}

static void
t_durations(void **st)
{
	long s;

	(void)st;
	assert_int_equal(em_duration_parse("21d", &s), EM_OK);
	assert_int_equal(s, 21 * 86400);
	assert_int_equal(em_duration_parse("1d12h", &s), EM_OK);
	assert_int_equal(s, 36 * 3600);
	assert_int_equal(em_duration_parse("0", &s), EM_OK);
	assert_int_equal(s, 0);
	assert_int_equal(em_duration_parse("90s", &s), EM_OK);
	assert_int_equal(s, 90);
	assert_int_equal(em_duration_parse("3 days", &s), EM_EPARSE);
	assert_int_equal(em_duration_parse("", &s), EM_EPARSE);
	assert_int_equal(em_duration_parse("12", &s), EM_EPARSE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_utc_form), cmocka_unit_test(t_utc_seconds),
		cmocka_unit_test(t_z_form), cmocka_unit_test(t_z_seconds),
		cmocka_unit_test(t_offset_plus),
		cmocka_unit_test(t_offset_minus_compact),
		cmocka_unit_test(t_offset_hours_only),
		cmocka_unit_test(t_day_rollover), cmocka_unit_test(t_leap_day),
		cmocka_unit_test(t_no_zone), cmocka_unit_test(t_bad_month),
		cmocka_unit_test(t_bad_feb29), cmocka_unit_test(t_bad_hour),
		cmocka_unit_test(t_zone_glued), cmocka_unit_test(t_words),
		cmocka_unit_test(t_used_stops_after_zone),
		cmocka_unit_test(t_format), cmocka_unit_test(t_durations),
	};

	return cmocka_run_group_tests_name("emtime", tests, NULL, NULL);
}
