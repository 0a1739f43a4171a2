/* test_prints - the leak guard's fingerprints: what matches, what does not */
#include "testutil.h"
#include "../../policy/policy.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static const char advisory[] =
	"When two vCPUs of one guest map the same grant reference at the same\n"
	"time, the reference count in the shared frame table is incremented without\n"
	"holding the grant table lock, so a racing unmap can release the page while\n"
	"a mapping of it still exists in the second vCPU's page tables.\n"
	"short line\n"
	"+    if ( refcnt == 0 || !get_page(pg, rd) )\n";

/* matches - distinct fingerprints of msg found among the advisory's */
static size_t
matches(const char *msg)
{
	struct policy_prints a, m;
	size_t n = 0;

	policy_prints(advisory, strlen(advisory), key, sizeof(key), &a);
	policy_prints(msg, strlen(msg), key, sizeof(key), &m);
	for (size_t i = 0; i < m.n; i++)
		for (size_t j = 0; j < a.n; j++)
			if (memcmp(m.h[i], a.h[j], 8) == 0)
				n++;
	policy_prints_free(&a);
	policy_prints_free(&m);
	return n;
}

static void
t_forward_matches(void **st)
{
	(void)st;
	assert_true(matches(advisory) >= POLICY_LEAK_SHINGLES);
}

static void
t_quoted_rewrapped_matches(void **st)
{
	(void)st;
	assert_true(matches(
	    "> > When two VCPUS of one guest map the same grant\n"
	    "> > reference at the same time, the reference count in\n"
	    "> > the shared frame table is incremented without holding the\n"
	    "> > grant table lock, so a racing unmap\n") >= POLICY_LEAK_SHINGLES);
}

static void
t_id_only_does_not_match(void **st)
{
	(void)st;
	assert_int_equal(matches("XSA-800 is announced for 2026-12-01 12:00 UTC.\n"), 0);
}

static void
t_unrelated_does_not_match(void **st)
{
	(void)st;
	assert_true(matches("We are planning the release of the next version of the\n"
	    "hypervisor for the second week of the month; please test it.\n") <
	    POLICY_LEAK_SHINGLES);
}

static void
t_two_lines_are_not_enough(void **st)
{
	(void)st;
	/* Short significant lines: fewer runs than three full lines give. */
	assert_true(matches("a mapping of it still exists in the second\n") <
	    POLICY_LEAK_SHINGLES);
}

static void
t_key_matters(void **st)
{
	const unsigned char other[32] = "ffffffffffffffffffffffffffffffff";
	struct policy_prints a, b;

	(void)st;
	policy_prints(advisory, strlen(advisory), key, sizeof(key), &a);
	policy_prints(advisory, strlen(advisory), other, sizeof(other), &b);
	assert_true(a.n > 0 && a.n == b.n);
	assert_memory_not_equal(a.h[0], b.h[0], 8);
	policy_prints_free(&a);
	policy_prints_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_forward_matches),
		cmocka_unit_test(t_quoted_rewrapped_matches),
		cmocka_unit_test(t_id_only_does_not_match),
		cmocka_unit_test(t_unrelated_does_not_match),
		cmocka_unit_test(t_two_lines_are_not_enough),
		cmocka_unit_test(t_key_matters),
	};

	return cmocka_run_group_tests_name("prints", tests, NULL, NULL);
}
