/*
 * test_hook - the release hooks' runner, one step at a time, through its
 * seams (outbox/hook_int.h): on a private store, with the clock and the
 * command stood in for, a due run is committed as running before its
 * command and its outcome after; a failure is tried again after the
 * backoff of SPEC "Release hooks" and given up after 8 runs, the team
 * told at the first and the last; a run waits for its advisory's date,
 * never runs when its record cannot be read (and the runner backs off,
 * never spins); a run a stop or crash left running runs again; a hook
 * gone from the config fails its runs
 */
#include <stdatomic.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "testutil.h"
#include "testmdb.h"
#include "../../outbox/hook_int.h"
#include "../../util/log.h"

#define T0	((time_t)1796126400)	/* 2026-12-01 12:00 UTC */

#define HOOK_FIX \
	"release_hook \"publish-fix\" { command = { \"/bin/true\" } }\n"
#define HOOK_PAGE \
	"release_hook \"publish-page\" { command = { \"/bin/true\" } }\n"

static char dir[64];
static struct store *st;
static struct config *cfg;
static time_t now;			/* the runner's clock */
static atomic_bool stop;

/* What the stand-in command saw and does. */
static struct {
	unsigned calls;
	bool	fail;			/* "exit 3" */
	bool	was_running;		/* committed as running when called */
	unsigned attempts;		/* the attempt the store had then */
	bool	had_dir;		/* its folder, with advisory.txt */
	char	path[4096];		/* that folder */
	char	hook[64];
} ex;

/* fake_clock - the injected clock: the test's now */

static time_t
fake_clock(time_t *p)
{
	if (p != NULL)
		*p = now;
	return now;
}

/* fake_exec - the command stand-in: notes what the store says, then ends */

static void
fake_exec(struct hook_run *r)
{
	struct store_outbox ob;
	struct store_txn *t;
	struct em_err err;
	struct stat sb;
	char *txt = xasprintf("%s/advisory.txt", r->dir);

	ex.calls++;
	assert_int_equal(store_begin(state_store(), false, &t, &err), EM_OK);
	assert_int_equal(store_ob_get(t, r->ob.id, &ob, &err), EM_OK);
	store_abort(t);
	ex.was_running = ob.state == STORE_OB_BUILT && ob.next_try == now;
	ex.attempts = ob.attempts;
	ex.had_dir = stat(txt, &sb) == 0;
	(void)snprintf(ex.path, sizeof(ex.path), "%s", r->dir);
	free(txt);
	(void)snprintf(ex.hook, sizeof(ex.hook), "%s", r->hook->name);
	r->ok = !ex.fail;
	(void)snprintf(r->status, sizeof(r->status), "%s", ex.fail ? "exit 3" :
	    "exit 0");
	r->out_len = (size_t)snprintf(r->out, sizeof(r->out), "%s\n",
	    ex.fail ? "push rejected" : "pushed");
}

/* conf_hooks - the standard config with these release hooks, state in dir */

static struct config *
conf_hooks(const char *hooks)
{
	struct conf_report rep = { 0 };
	struct config *c = test_conf_with(hooks, &rep);

	conf_report_free(&rep);
	assert_non_null(c);
	free(c->state_dir);
	c->state_dir = xstrdup(dir);
	return c;
}

/* open_state - a throwaway state dir, its store the runner's */

static int
open_state(const char *hooks)
{
	struct em_err err;

	(void)snprintf(dir, sizeof(dir), "/tmp/em-hook-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	cfg = conf_hooks(hooks);
	memset(&ex, 0, sizeof(ex));
	now = T0;
	stop = false;
	if (store_open(dir, (size_t)1 << 30, &st, &err) < 0)
		return 1;
	state_set_store(st);
	return 0;
}

/* setup_one - a fresh state, the config naming one release hook */

static int
setup_one(void **state)
{
	(void)state;
	return open_state(HOOK_FIX);
}

/* setup_two - a fresh state, the config naming two release hooks */

static int
setup_two(void **state)
{
	(void)state;
	return open_state(HOOK_FIX HOOK_PAGE);
}

/* teardown - the store closed, the config freed, the state removed */

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	store_close(st);
	state_set_store(NULL);
	conf_free(cfg);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	return 0;
}

/* adv_set - advisory id written through the ledger: public (embargo 0)
 * or under embargo until embargo */

static void
adv_set(const char *id, time_t embargo)
{
	struct store_advisory a, old;
	struct store_txn *t;
	struct em_err err;
	int rc;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	rc = store_adv_get(t, id, &old, &err);
	assert_true(rc == EM_OK || rc == EM_ENOTFOUND);
	memset(&a, 0, sizeof(a));
	if (rc == EM_OK)
		a = old;
	(void)snprintf(a.id, sizeof(a.id), "%s", id);
	a.revision = 1;
	a.embargo = embargo;
	a.state = embargo ? STORE_ADV_EMBARGOED : STORE_ADV_PUBLIC;
	assert_int_equal(ledger_adv_put(t, rc == EM_OK ? &old : NULL, &a, now,
	    &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

/* queue_runs - id's revision public: one run of each hook queued (as the
 * release timer's publish does), in one transaction */

static void
queue_runs(const char *id)
{
	struct store_advisory a;
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, true, &t, &err), EM_OK);
	assert_int_equal(store_adv_get(t, id, &a, &err), EM_OK);
	assert_int_equal(hook_queue(t, cfg, &a, now, &err), EM_OK);
	assert_int_equal(store_commit(t, &err), EM_OK);
}

/* step - one look of the runner at now, with the stand-ins */

static int
step(const struct config *c, time_t *next, int *backoff)
{
	static struct hook_run r;

	memset(&r, 0, sizeof(r));
	r.exec = fake_exec;
	r.clock = fake_clock;
	r.stop = &stop;
	return hook_step(c, &r, next, backoff);
}

struct runs { struct store_outbox v[16]; size_t n; int kind; };

/* runs_cb - store_ob_each(): the entries of one kind, in queue order */

static int
runs_cb(const struct store_outbox *ob, void *ctx)
{
	struct runs *rs = ctx;

	if (ob->kind == rs->kind && rs->n < 16)
		rs->v[rs->n++] = *ob;
	return 0;
}

/* entries - every outbox entry of kind, as the store has them now */

static struct runs
entries(int kind)
{
	struct runs rs = { .n = 0, .kind = kind };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_ob_each(t, runs_cb, &rs, &err), EM_OK);
	store_abort(t);
	return rs;
}

/* notice_has - does team notice i (in queue order) carry text */

static bool
notice_has(size_t i, const char *text)
{
	struct runs rs = entries(STORE_OB_NOTICE);
	struct store_txn *t;
	struct em_err err;
	struct buf b;
	bool has;

	assert_true(i < rs.n);
	buf_init(&b);
	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_blob_get(t, STORE_BLOB_NOTE, rs.v[i].id, &b,
	    &err), EM_OK);
	store_abort(t);
	buf_append(&b, "", 1);
	has = strstr(b.data, text) != NULL;
	buf_free(&b);
	return has;
}

struct audit_find { const char *text; unsigned n; };

/* audit_cb - store_audit_each(): count the records carrying the text */

static int
audit_cb(uint64_t seq, const char *json, size_t n, void *ctx)
{
	struct audit_find *f = ctx;

	(void)seq;
	if (memmem(json, n, f->text, strlen(f->text)) != NULL)
		f->n++;
	return 0;
}

/* audits - how many audit records carry text */

static unsigned
audits(const char *text)
{
	struct audit_find f = { text, 0 };
	struct store_txn *t;
	struct em_err err;

	assert_int_equal(store_begin(st, false, &t, &err), EM_OK);
	assert_int_equal(store_audit_each(t, audit_cb, &f, &err), EM_OK);
	store_abort(t);
	return f.n;
}

/*
 * t_run_ok - a due run committed as running before its command (called
 * once, in its folder) and done after; the hooks in the order written,
 * one run per step; then nothing due, and the runner idles
 */
static void
t_run_ok(void **s)
{
	struct runs rs;
	struct stat sb;
	time_t next = -1;
	int backoff = 5;

	(void)s;
	adv_set("XSA-1", 0);
	queue_runs("XSA-1");
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.v[0].member, "publish-fix");
	assert_string_equal(rs.v[1].member, "publish-page");
	assert_int_equal(rs.v[0].state, STORE_OB_QUEUED);
	assert_int_equal(audits("\"event\":\"hook-queued\""), 2);
	now = T0 + 5;
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(backoff, 0);
	assert_int_equal(ex.calls, 1);
	assert_true(ex.was_running);
	assert_int_equal(ex.attempts, 1);
	assert_true(ex.had_dir);
	assert_int_not_equal(stat(ex.path, &sb), 0);	/* removed after */
	assert_string_equal(ex.hook, "publish-fix");
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_SENT);
	assert_int_equal(rs.v[0].sent_at, T0 + 5);
	assert_int_equal(rs.v[0].attempts, 1);
	assert_int_equal(rs.v[1].state, STORE_OB_QUEUED);
	assert_int_equal(audits("\"event\":\"hook-run\""), 1);
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 2);
	assert_string_equal(ex.hook, "publish-page");
	assert_int_equal(step(cfg, &next, &backoff), 0);
	assert_int_equal(ex.calls, 2);
	assert_int_equal(next, 0);
	assert_int_equal(hook_wake_at(0, backoff, next, now), now + HOOK_IDLE);
	assert_int_equal(entries(STORE_OB_NOTICE).n, 0);
}

/*
 * t_fail_backoff - SPEC "Release hooks": a failing run is tried again
 * after 2 s, doubled (never before), 8 runs at most, then given up
 * (failed, never picked again); the team told at the first failure and
 * at the last, each failure audited
 */
static void
t_fail_backoff(void **s)
{
	static const time_t wait[HOOK_TRIES - 1] = {
		2, 4, 8, 16, 32, 64, 128
	};
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-1", 0);
	queue_runs("XSA-1");
	ex.fail = true;
	for (unsigned k = 1; k < HOOK_TRIES; k++) {
		assert_int_equal(step(cfg, &next, &backoff), 1);
		assert_int_equal(ex.calls, k);
		assert_int_equal(ex.attempts, k);
		rs = entries(STORE_OB_HOOK);
		assert_int_equal(rs.v[0].state, STORE_OB_QUEUED);
		assert_int_equal(rs.v[0].cause, STORE_OB_CAUSE_DEFERRED);
		assert_int_equal(rs.v[0].next_try, now + wait[k - 1]);
		assert_non_null(strstr(rs.v[0].last_error, "exit 3"));
		assert_int_equal(entries(STORE_OB_NOTICE).n, 1);
		now += wait[k - 1] - 1;			/* a second early */
		assert_int_equal(step(cfg, &next, &backoff), 0);
		assert_int_equal(next, now + 1);
		assert_int_equal(hook_wake_at(0, backoff, next, now), now + 1);
		now++;
	}
	assert_int_equal(step(cfg, &next, &backoff), 1);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_FAILED);
	assert_int_equal(rs.v[0].cause, STORE_OB_CAUSE_REFUSED);
	assert_int_equal(rs.v[0].attempts, HOOK_TRIES);
	assert_int_equal(entries(STORE_OB_NOTICE).n, 2);
	assert_true(notice_has(0, "Release hook publish-fix failed for "
	    "XSA-1"));
	assert_true(notice_has(1, "Release hook publish-fix gave up for "
	    "XSA-1"));
	assert_int_equal(audits("\"event\":\"hook-failed\""), HOOK_TRIES);
	now += 3600;
	assert_int_equal(step(cfg, &next, &backoff), 0);
	assert_int_equal(next, 0);
	assert_int_equal(ex.calls, HOOK_TRIES);
}

/* reopen_with_junk - the store closed, advisory id's record replaced by
 * one of another layout (as another version would leave it), reopened */

static void
reopen_with_junk(const char *id)
{
	static const char junk[] = "a record of another layout";
	struct em_err err;

	store_close(st);
	test_mdb_put(dir, "adv", id, strlen(id), junk, sizeof(junk));
	assert_int_equal(store_open(dir, (size_t)1 << 30, &st, &err), EM_OK);
	state_set_store(st);
}

/*
 * t_unreadable - SPEC "Delivery and durability": a run whose advisory's
 * record cannot be read is never run: hook_pick() says why (naming the
 * database), hook_step() returns < 0 and the runner backs off 1 s
 * doubling to 30 s (never at once); the run is left as it was
 */
static void
t_unreadable(void **s)
{
	static const int back[] = { 1, 2, 4, 8, 16, 30, 30 };
	static struct hook_run r;
	struct store_outbox was;
	struct em_err err;
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-9", 0);
	queue_runs("XSA-9");
	was = entries(STORE_OB_HOOK).v[0];
	reopen_with_junk("XSA-9");
	now = T0 + 60;
	r.clock = fake_clock;
	r.exec = fake_exec;
	r.stop = &stop;
	assert_int_equal(hook_pick(&r, &next, &err), EM_ESTORE);
	assert_non_null(strstr(err.msg, "database 'adv'"));
	for (size_t k = 0; k < sizeof(back) / sizeof(back[0]); k++) {
		assert_true(step(cfg, &next, &backoff) < 0);
		assert_int_equal(backoff, back[k]);
		assert_int_equal(hook_wake_at(-1, backoff, next, now),
		    now + back[k]);
	}
	assert_int_equal(ex.calls, 0);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_QUEUED);
	assert_int_equal(rs.v[0].attempts, 0);
	assert_int_equal(rs.v[0].next_try, was.next_try);
	assert_int_equal(audits("\"event\":\"hook-failed\""), 0);
}

/*
 * t_unreadable_other - one advisory whose record cannot be read stops
 * only its own runs: a later run of another advisory goes (picked past
 * it, its fault said), and the look fails again once only the
 * unreadable one's runs are left
 */
static void
t_unreadable_other(void **s)
{
	static struct hook_run r;
	struct em_err err;
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-9", 0);
	adv_set("XSA-10", 0);
	queue_runs("XSA-9");
	queue_runs("XSA-10");
	reopen_with_junk("XSA-9");
	now = T0 + 60;
	r.clock = fake_clock;
	r.exec = fake_exec;
	r.stop = &stop;
	assert_int_equal(hook_pick(&r, &next, &err), 1);
	assert_string_equal(r.ob.advisory, "XSA-10");
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 1);
	assert_int_equal(backoff, 0);
	assert_true(step(cfg, &next, &backoff) < 0);
	assert_int_equal(backoff, 1);
	assert_int_equal(ex.calls, 1);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.n, 2);
	for (size_t i = 0; i < rs.n; i++)
		assert_int_equal(rs.v[i].state,
		    strcmp(rs.v[i].advisory, "XSA-9") == 0 ? STORE_OB_QUEUED :
		    STORE_OB_SENT);
}

/*
 * t_embargo_again - a run whose advisory is put under embargo again
 * after it was queued waits for the new date: not run a second before
 * it, run at it
 */
static void
t_embargo_again(void **s)
{
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-1", 0);
	queue_runs("XSA-1");
	adv_set("XSA-1", T0 + 100);
	/* Taken, and made to wait for the new date. */
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 0);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_QUEUED);
	assert_int_equal(rs.v[0].next_try, T0 + 100);
	assert_int_equal(rs.v[0].attempts, 0);
	now = T0 + 99;
	assert_int_equal(step(cfg, &next, &backoff), 0);
	assert_int_equal(next, T0 + 100);
	assert_int_equal(hook_wake_at(0, backoff, next, now), T0 + 100);
	assert_int_equal(ex.calls, 0);
	now = T0 + 100;
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 1);
	assert_int_equal(entries(STORE_OB_HOOK).v[0].state, STORE_OB_SENT);
}

/*
 * t_left_running - a run the daemon's stop killed is left as committed
 * before its command (running, as a crash leaves it), with no outcome;
 * after the restart it is due and runs again, its attempt counted: at
 * least once
 */
static void
t_left_running(void **s)
{
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-1", 0);
	queue_runs("XSA-1");
	stop = true;
	ex.fail = true;				/* killed by the stop */
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 1);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_BUILT);
	assert_int_equal(rs.v[0].attempts, 1);
	assert_int_equal(rs.v[0].next_try, T0);
	assert_int_equal(audits("\"event\":\"hook-failed\""), 0);
	assert_int_equal(entries(STORE_OB_NOTICE).n, 0);
	stop = false;				/* the restart */
	ex.fail = false;
	now = T0 + 30;
	assert_int_equal(step(cfg, &next, &backoff), 1);
	assert_int_equal(ex.calls, 2);
	assert_true(ex.was_running);
	assert_int_equal(ex.attempts, 2);
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_SENT);
	assert_int_equal(audits("\"event\":\"hook-run\""), 1);
}

/* t_hook_gone - a run whose release_hook left the config fails for good
 * (cause "hook gone", audited), its command never run */

static void
t_hook_gone(void **s)
{
	struct config *one = conf_hooks(HOOK_FIX);
	struct runs rs;
	time_t next;
	int backoff = 0;

	(void)s;
	adv_set("XSA-1", 0);
	queue_runs("XSA-1");
	assert_int_equal(step(one, &next, &backoff), 1);
	assert_int_equal(step(one, &next, &backoff), 1);
	assert_int_equal(ex.calls, 1);
	assert_string_equal(ex.hook, "publish-fix");
	rs = entries(STORE_OB_HOOK);
	assert_int_equal(rs.v[0].state, STORE_OB_SENT);
	assert_int_equal(rs.v[1].state, STORE_OB_FAILED);
	assert_int_equal(rs.v[1].cause, STORE_OB_CAUSE_GONE);
	assert_non_null(strstr(rs.v[1].last_error, "no longer in"));
	assert_int_equal(audits("\"event\":\"hook-failed\""), 1);
	assert_int_equal(step(one, &next, &backoff), 0);
	conf_free(one);
}

/* t_wake_at - the runner's next look: after a failure its backoff, even
 * with a run due (never at once); else the next run's time or HOOK_IDLE,
 * whichever is sooner */

static void
t_wake_at(void **s)
{
	(void)s;
	assert_int_equal(hook_wake_at(-1, 1, 0, T0), T0 + 1);
	assert_int_equal(hook_wake_at(-1, 30, T0, T0), T0 + 30);
	assert_int_equal(hook_wake_at(-1, 4, T0 + 1, T0), T0 + 4);
	assert_int_equal(hook_wake_at(0, 0, 0, T0), T0 + HOOK_IDLE);
	assert_int_equal(hook_wake_at(0, 0, T0 + 1, T0), T0 + 1);
	assert_int_equal(hook_wake_at(0, 0, T0 + 60, T0), T0 + HOOK_IDLE);
	assert_int_equal(hook_wake_at(1, 0, 0, T0), T0 + HOOK_IDLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_run_ok, setup_two, teardown),
		cmocka_unit_test_setup_teardown(t_fail_backoff, setup_one,
		    teardown),
		cmocka_unit_test_setup_teardown(t_unreadable, setup_one,
		    teardown),
		cmocka_unit_test_setup_teardown(t_unreadable_other, setup_one,
		    teardown),
		cmocka_unit_test_setup_teardown(t_embargo_again, setup_one,
		    teardown),
		cmocka_unit_test_setup_teardown(t_left_running, setup_one,
		    teardown),
		cmocka_unit_test_setup_teardown(t_hook_gone, setup_two,
		    teardown),
		cmocka_unit_test(t_wake_at),
	};

	log_init("test_hook", true);	/* the runner's log to stderr */
	g_mime_init();		/* the team's notices are built with GMime */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
