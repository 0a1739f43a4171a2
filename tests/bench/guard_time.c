/*
 * guard_time - make bench: what the daemon spends on one plain message
 * apart from the MTA, phase by phase.
 *
 *   guard_time MESSAGE [ADVISORIES [REPEATS]]
 *
 * A fresh store in a temporary folder, ADVISORIES (200) registered under
 * embargo with texts in the form tests/bench/throughput.sh posts (15
 * numbered lines each); then MESSAGE read REPEATS (300) times as the
 * daemon reads a plain message (milter/eom.c: policy_read_quick() and
 * policy_classify(), then policy_decide() in a view of the store, the
 * leak guard's filter in use).  Each phase's time a message is the
 * thread's CPU time, the best of five batches (the machine is shared);
 * the last line says whether the guard's answer was the same in every
 * batch (the exit status is 1 when not).
 */
#include "../unit/testutil.h"
#include <gmime/gmime.h>
#include <time.h>
#include "../../store/view.h"
#include "../../policy/policy.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* now_us - this thread's CPU time, in microseconds */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* reg - advisory i under embargo, its post's text in the bench's form */

static int
reg(struct store *st, int i)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;
	struct strv v = { NULL, 0 };
	struct buf text;

	buf_init(&text);
	buf_appendf(&text, "            Xen Security Advisory XSA-%d\n"
	    "                version 1\n\n*** EMBARGOED UNTIL 2027-01-01 "
	    "12:00 UTC ***\n\n", 5000 + i);
	for (int l = 1; l <= 15; l++)
		buf_appendf(&text, "Advisory %d line %d: the hypervisor "
		    "mishandles request %d in a way.\n", i, l, i * 100 + l);
	memset(&a, 0, sizeof(a));
	(void)snprintf(a.id, sizeof(a.id), "XSA-%d", 5000 + i);
	a.state = STORE_ADV_EMBARGOED;
	a.embargo = time(NULL) + 7 * 86400;
	strv_push(&v, "1 7");
	if (store_begin(st, true, &t, &err) < 0 ||
	    store_adv_put(t, &a, &err) < 0 ||
	    store_adv_list_put(t, "posts", a.id, &v, &err) < 0 ||
	    store_print_add_text(t, key, text.data, text.len, a.id, &err) < 0 ||
	    store_commit(t, &err) < 0) {
		fprintf(stderr, "guard_time: %s\n", err.msg);
		return -1;
	}
	strv_free(&v);
	buf_free(&text);
	return 0;
}

/* filter_ready - the daemon's filter, built over the store as it is */

static int
filter_ready(struct store *st)
{
	struct store_filter *fl = store_filter_begin();
	struct store_txn *t;
	struct em_err err;
	size_t unc;
	char bad[65];

	if (fl == NULL || store_begin(st, false, &t, &err) < 0)
		return -1;
	if (store_filter_finish(fl, t, &unc, bad, sizeof(bad)) < 0) {
		store_abort(t);
		return -1;
	}
	store_abort(t);
	return unc == 0 ? 0 : -1;
}

/* filter_answers - does the filter answer for the store (not the full
 * guard)? */

static bool
filter_answers(struct store *st)
{
	struct store_txn *t;
	struct em_err err;
	struct policy_prints pr;
	int rc;

	if (store_begin(st, false, &t, &err) < 0)
		return false;
	rc = store_filter_prints(t, key, time(NULL), "a b c d e", 9, &pr);
	store_abort(t);
	policy_prints_free(&pr);
	return rc == EM_OK;
}

/*
 * evict - with GUARD_TIME_EVICT=MB, that many MiB written and read
 * between two messages (not timed), as the MTA's processes on the same
 * processor push the daemon's data out of its caches
 */
static void
evict(void)
{
	static unsigned char *junk;
	static size_t n;
	static bool asked;
	volatile unsigned char sink = 0;

	if (!asked) {
		const char *e = getenv("GUARD_TIME_EVICT");

		asked = true;
		n = e != NULL ? (size_t)strtoul(e, NULL, 10) << 20 : 0;
		junk = n > 0 ? xcalloc(1, n) : NULL;
	}
	for (size_t i = 0; i < n; i += 64) {
		junk[i]++;
		sink ^= junk[i];
	}
	(void)sink;
}

/* one - read and decide msg once; the phases' times added to us[] */

static int
one(const struct config *cfg, struct store *st, const struct buf *msg,
    double us[2], struct policy_decision *d)
{
	const char *rcpt[] = { "rcpt@sink.bench.example" };
	struct policy_envelope env = { "dev@vendor.example", rcpt, 1 };
	struct policy_limits lim = policy_limits_of(cfg);
	struct store_view vc;
	struct policy_view view;
	struct facts f;
	struct em_err err;
	double t0 = now_us(), t1;
	int rc;

	facts_init(&f);
	rc = policy_read_quick(msg->data, msg->len, &lim, &f, &err);
	if (rc == EM_OK)
		policy_classify(cfg, &f);
	t1 = now_us();
	us[0] += t1 - t0;
	if (rc != EM_OK || store_view_open(&vc, &view, st, key, time(NULL),
	    &err) < 0) {
		fprintf(stderr, "guard_time: not a plain message, or no view "
		    "(%d)\n", rc);
		facts_free(&f);
		return -1;
	}
	policy_decide(cfg, &f, &env, &view, vc.now, d);
	store_view_close(&vc);
	us[1] += now_us() - t1;
	facts_free(&f);
	return 0;
}

int
main(int argc, char **argv)
{
	int nadv = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 200;
	int reps = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 300;
	char dir[] = "/tmp/em-guard-time-XXXXXX", *cmd;
	double best[2] = { 1e18, 1e18 };
	struct conf_report rep = { 0 };
	struct config *cfg;
	struct store *st;
	struct em_err err;
	struct buf msg;
	char first[600] = "";
	bool same = true;

	if (argc < 2) {
		fprintf(stderr, "usage: guard_time MESSAGE [ADVISORIES [REPEATS]]\n");
		return 2;
	}
	g_mime_init();
	test_read_file(argv[1], &msg);
	cfg = test_conf_with("", &rep);
	conf_report_free(&rep);
	if (cfg == NULL || mkdtemp(dir) == NULL ||
	    store_open(dir, (size_t)1 << 30, &st, &err) < 0 ||
	    store_filter_enable(&err) < 0) {
		fprintf(stderr, "guard_time: cannot set up in %s\n", dir);
		return 1;
	}
	/* The filter as the daemon's builder makes it at start (empty);
	 * each post's runs go into it as they are registered. */
	if (filter_ready(st) < 0) {
		fprintf(stderr, "guard_time: no filter\n");
		return 1;
	}
	for (int i = 1; i <= nadv; i++)
		if (reg(st, i) < 0)
			return 1;
	if (!filter_answers(st)) {
		fprintf(stderr, "guard_time: the filter does not cover them\n");
		return 1;
	}
	for (int b = 0; b < 5; b++) {
		double us[2] = { 0, 0 };

		for (int r = 0; r < reps; r++) {
			struct policy_decision d;

			evict();

			if (one(cfg, st, &msg, us, &d) < 0)
				return 1;
			if (b == 0 && r == 0)
				(void)snprintf(first, sizeof(first), "%d %s",
				    (int)d.verdict, d.reply);
			else if (strtol(first, NULL, 10) != (long)d.verdict ||
			    strcmp(strchr(first, ' ') + 1, d.reply) != 0)
				same = false;
		}
		for (int k = 0; k < 2; k++)
			if (us[k] / reps < best[k])
				best[k] = us[k] / reps;
	}
	printf("%s (%zu bytes), %d advisories under embargo, best of 5 x %d:\n"
	    "  read and classify  %8.1f us\n  decide (guard)     %8.1f us\n"
	    "  the same answer every time: %s (verdict %s)\n", argv[1], msg.len,
	    nadv, reps, best[0], best[1], same ? "yes" : "no", first);
	store_filter_disable();
	store_close(st);
	conf_free(cfg);
	buf_free(&msg);
	cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return same ? 0 : 1;
}
