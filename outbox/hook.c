/*
 * hook.c - release hooks (SPEC 6): the commands the administrator names
 * in release_hook blocks, run once an advisory's revision is public (the
 * fix pushed to the public trees, the web page written)
 *
 * A run is an outbox entry of kind "hook", queued by the release timer in
 * the transaction that records the revision as public (hook_queue()).
 * One runner thread takes due runs in queue order; it commits the attempt
 * (state "running") before the command starts and the outcome after, so
 * a crash or kill -9 in between runs the command again after the
 * restart: at least once, never skipped (a hook must be idempotent).  A
 * run never starts while its advisory is under embargo: a date moved
 * later after it was queued makes it wait for the new date.
 *
 * The command gets the advisory's text and attachments as files under
 * state_dir/hooks/RUN (mode 0700), removed when it ends; no shell, a
 * fixed PATH, its output read (the last lines go to the audit), killed
 * with its process group at the timeout.  A failure is audited
 * (hook-failed) and tried again after a backoff; the team is told at the
 * first failure and when the tries end.  Mail never waits for a hook.
 */

/* System library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "outbox.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../util/emtime.h"

#define HOOK_TRIES	8	/* runs before a failed hook waits for a person */
#define HOOK_BACKOFF	2	/* seconds before the first retry, doubled */
#define HOOK_MAX_WAIT	300	/* the longest backoff, seconds */
#define HOOK_IDLE	2	/* seconds between looks when nothing is due */
#define OUT_KEEP	4096	/* bytes of output kept, the last ones */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static atomic_bool stopping;
static bool kicked;
static pthread_t tid;

/* hook_queue - in t, one run of each release_hook for a's revision */

int
hook_queue(struct store_txn *t, const struct config *cfg,
    const struct store_advisory *a, time_t now, struct em_err *err)
{
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		struct store_outbox ob;
		struct store_audit au = { 0 };
		struct ledger_ob_spec s = { STORE_OB_HOOK, a->id, a->revision,
		    cfg->hooks[i].name, NULL, NULL, NULL, 0, 0, false, NULL,
		    now, 0 };
		char why[300];
		int rc;

		if ((rc = ledger_ob_new(t, cfg, &s, &ob, err)) < 0)
			return rc;
		(void)snprintf(why, sizeof(why), "release_hook \"%s\" run %llu "
		    "queued", cfg->hooks[i].name, (unsigned long long)ob.id);
		au.time = now;
		au.event = "hook-queued";
		au.advisory = a->id;
		au.revision = a->revision;
		au.embargo = a->embargo;
		au.decision = "queued";
		au.reason = why;
		if ((rc = store_audit_append(t, &au, err)) < 0)
			return rc;
	}
	return EM_OK;
}

/* The run in hand, as the runner prepares, runs and records it. */
struct run {
	const struct config *cfg;
	const struct conf_hook *hook;
	struct store_outbox ob;
	struct store_advisory a;
	char	dir[4096];		/* state_dir/hooks/ID */
	char	out[OUT_KEEP + 1];	/* the output's last bytes */
	size_t	out_len;
	char	status[600];		/* "exit 0", "exit 3", "killed ..." */
	bool	ok;
};

/* next_due - the first due run into r->ob, or false; *next: later ones */

struct pick { time_t now, next; struct store_outbox ob; bool found; };

static int
pick_cb(const struct store_outbox *ob, void *ctx)
{
	struct pick *p = ctx;

	if (ob->kind != STORE_OB_HOOK)
		return 0;
	if (ob->next_try <= p->now) {
		p->ob = *ob;
		p->found = true;
		return 1;
	}
	if (p->next == 0 || ob->next_try < p->next)
		p->next = ob->next_try;
	return 0;
}

/*
 * next_due - 1 with the first due run and its advisory in r, 0 when none
 * is due, < 0 when the outbox or the run's advisory cannot be read (then
 * nothing is run: an advisory that cannot be read counts as under
 * embargo)
 */
static int
next_due(struct run *r, time_t *next, struct em_err *err)
{
	struct pick p = { time(NULL), 0, { 0 }, false };
	struct store_txn *t;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_ob_each_pending(t, pick_cb, &p, err)) == EM_OK &&
	    p.found)
		rc = store_adv_get(t, p.ob.advisory, &r->a, err);
	store_abort(t);
	*next = p.next;
	r->ob = p.ob;
	return rc < 0 ? rc : p.found ? 1 : 0;
}

/* audit_run - an audit record about one run, in t */

static int
audit_run(struct store_txn *t, const struct run *r, const char *event,
    const char *reason, struct em_err *err)
{
	struct store_audit au = { 0 };

	au.time = time(NULL);
	au.event = event;
	au.advisory = r->ob.advisory;
	au.revision = r->ob.revision;
	au.embargo = r->a.embargo;
	au.decision = event;
	au.reason = reason;
	return store_audit_append(t, &au, err);
}

/* tell_team - a notice to the team about a run, in t */

static int
tell_team(struct store_txn *t, const struct run *r, const char *subject,
    const char *body, struct em_err *err)
{
	struct notice_spec n = { 0 };

	if (r->cfg->team_addresses.n == 0)
		return EM_OK;
	n.to = r->cfg->team_addresses.v[0];
	n.advisory = r->ob.advisory;
	n.revision = r->ob.revision;
	n.subject = subject;
	n.body = body;
	n.now = time(NULL);
	return notice_queue(t, r->cfg, &n, err);
}

/* What record() writes: the run's new state, and what is said of it. */
struct outcome {
	enum ledger_ob_event ev;	/* what happened (the ledger's table) */
	time_t	next_try;
	const char *event;		/* audit event, NULL: none */
	const char *subject;		/* notice to the team, NULL: none */
};

/*
 * record - the run's new state, its audit record and any notice, in one
 * transaction; the run is re-read first, so that "embargoctl hooks drop"
 * meanwhile wins
 */
static int
record(struct run *r, const struct outcome *o, const char *why,
    const char *body, struct em_err *err)
{
	struct store_txn *t;
	struct store_outbox cur;
	int rc;

	if ((rc = store_begin(state_store(), true, &t, err)) < 0)
		return rc;
	if ((rc = store_ob_get(t, r->ob.id, &cur, err)) < 0) {
		store_abort(t);
		return rc;
	}
	if (cur.state == STORE_OB_FAILED || cur.state == STORE_OB_SENT) {
		store_abort(t);
		return 1;	/* dropped or ended meanwhile */
	}
	if (o->ev == LEDGER_OB_SENT)
		r->ob.sent_at = time(NULL);
	if ((rc = ledger_ob_step(&r->ob, o->ev, o->next_try, o->ev ==
	    LEDGER_OB_RUNNING ? NULL : o->ev == LEDGER_OB_SENT ? "" : why,
	    err)) < 0 || (rc = ledger_ob_put(t, &r->ob, err)) < 0 ||
	    (o->event && (rc = audit_run(t, r, o->event, why, err)) < 0) ||
	    (o->subject && (rc = tell_team(t, r, o->subject, body, err)) < 0)) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

/*
 * safe_name - an attachment's file name as a plain base name (letters,
 * digits, . - _ +; others become _), "part-N" when it has none; with
 * clash set, "N-NAME", for a name a part before it took
 */
static void
safe_name(const char *name, unsigned n, bool clash, char *out, size_t outsz)
{
	const char *base = strrchr(name, '/');
	size_t j = 0;

	base = base ? base + 1 : name;
	while (*base == '.')
		base++;
	if (clash || *base == '\0')
		j = (size_t)snprintf(out, outsz, *base ? "%u-" : "part-%u", n);
	for (; *base && j + 1 < outsz && j < 100; base++) {
		char c = *base;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
		    c == '+';

		out[j++] = c;
		if (!plain)
			out[j - 1] = '_';
	}
	out[j] = '\0';
}

/* write_file - path with bytes, mode 0600, whole or an error */

static int
write_file(const char *path, const char *data, size_t n, struct em_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		int e = errno;

		(void)em_fail(err, EM_EIO, "%s: %s", path, strerror(e));
		errno = e;	/* EEXIST: the caller takes another name */
		return EM_EIO;
	}
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			(void)close(fd);
			return em_fail(err, EM_EIO, "%s: %s", path,
			    strerror(errno));
		}
		off += (size_t)w;
	}
	if (close(fd) < 0)
		return em_fail(err, EM_EIO, "%s: %s", path, strerror(errno));
	return EM_OK;
}

struct files { const char *dir; unsigned n; bool text; struct em_err *err; };

/* file_cb - policy_parts() callback: the text, or one attachment */

static int
file_cb(const char *name, const char *data, size_t n, void *ctx)
{
	struct files *f = ctx;
	char path[4400], base[128];
	int rc;

	if (name == NULL) {
		f->text = true;
		(void)snprintf(path, sizeof(path), "%s/advisory.txt", f->dir);
		return write_file(path, data, n, f->err);
	}
	f->n++;
	for (int clash = 0; clash < 2; clash++) {
		safe_name(name, f->n, clash, base, sizeof(base));
		(void)snprintf(path, sizeof(path), "%s/attachments/%s", f->dir,
		    base);
		if ((rc = write_file(path, data, n, f->err)) == EM_OK ||
		    errno != EEXIST)
			return rc;
	}
	return rc;
}

/* remove_tree - a run's folder and what is in it (one level of subfolder) */

static void
remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		/* A folder: Linux says EISDIR, POSIX allows EPERM. */
		if (unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
			remove_tree(p);
		free(p);
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

/* post_of - the sealed post of an advisory's revision (else its latest) */

static int
post_of(const struct run *r, struct buf *sealed, struct em_err *err)
{
	struct strv v = { NULL, 0 };
	struct store_txn *t;
	uint64_t id = 0, exact = 0;
	int rc;

	if ((rc = store_begin(state_store(), false, &t, err)) < 0)
		return rc;
	if ((rc = store_adv_list_get(t, "posts", r->ob.advisory, &v, err)) < 0) {
		store_abort(t);
		strv_free(&v);
		return rc;
	}
	for (size_t i = 0; i < v.n; i++) {
		const char *sp = strchr(v.v[i], ' ');
		uint64_t pid = sp ? strtoull(sp + 1, NULL, 10) : 0;

		if (pid != 0 && (int)strtol(v.v[i], NULL, 10) == r->ob.revision)
			exact = pid;
		if (pid != 0)
			id = pid;	/* the latest, when none is of its revision */
	}
	if (exact != 0)
		id = exact;
	strv_free(&v);
	rc = id ? store_blob_get(t, STORE_BLOB_POST, id, sealed, err) :
	    EM_ENOTFOUND;
	store_abort(t);
	if (rc == EM_ENOTFOUND)
		return em_fail(err, rc, "no post of %s revision %d is kept (was it "
		    "registered with embargoctl alone?)", r->ob.advisory,
		    r->ob.revision);
	return rc;
}

/*
 * prepare - the run's folder: advisory.txt and attachments/ from the
 * post, decrypted now that it is public.  An advisory with no kept post
 * (registered by embargoctl alone) gets an empty text and no attachment.
 */
static int
prepare(struct run *r, struct em_err *err)
{
	struct policy_limits lim = policy_limits_of(r->cfg);
	struct files f = { r->dir, 0, false, err };
	struct buf sealed, plain;
	struct post p;
	char sub[4200];
	int rc;

	(void)snprintf(r->dir, sizeof(r->dir), "%s/hooks/%llu",
	    r->cfg->state_dir, (unsigned long long)r->ob.id);
	remove_tree(r->dir);	/* what a crash left */
	(void)snprintf(sub, sizeof(sub), "%s/hooks", r->cfg->state_dir);
	(void)mkdir(sub, 0700);
	(void)snprintf(sub, sizeof(sub), "%s/attachments", r->dir);
	if (mkdir(r->dir, 0700) < 0 || mkdir(sub, 0700) < 0)
		return em_fail(err, EM_EIO, "%s: %s", sub, strerror(errno));
	buf_init(&sealed);
	buf_init(&plain);
	memset(&p, 0, sizeof(p));
	rc = post_of(r, &sealed, err);
	if (rc == EM_OK &&
	    (rc = keys_unseal(sealed.data, sealed.len, &plain, err)) == EM_OK &&
	    (rc = post_unpack(&plain, &p)) == EM_OK)
		rc = policy_parts(p.entity, p.entity_len, &lim, file_cb, &f, err);
	else if (rc == EM_EPARSE)
		(void)em_fail(err, rc, "the kept post is damaged");
	if (rc == EM_ENOTFOUND) {
		log_msg(LOG_WARNING, NULL, "release hook %s for %s: %s; it runs "
		    "with an empty text", r->hook->name, r->ob.advisory, err->msg);
		rc = EM_OK;
	}
	if (rc == EM_OK && !f.text)
		rc = file_cb(NULL, "", 0, &f);
	post_free(&p);
	buf_free(&sealed);
	buf_free(&plain);
	return rc;
}

/* hook_env - the command's whole environment (caller frees with strv) */

static void
hook_env(const struct run *r, struct strv *env)
{
	struct passwd *pw = getpwuid(getuid());
	char ts[EM_TIME_BUFSZ];
	char *s;

	strv_push(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin");
	strv_push(env, "LANG=C.UTF-8");
	s = xasprintf("HOME=%s", pw && pw->pw_dir ? pw->pw_dir : "/");
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_HOOK=%s", r->hook->name);
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_ADVISORY=%s", r->ob.advisory);
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_REVISION=%d", r->ob.revision);
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_DATE=%s", em_time_format_iso(r->a.embargo ?
	    r->a.embargo : r->a.updated, ts));
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_TEXT=%s/advisory.txt", r->dir);
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_ATTACHMENTS=%s/attachments", r->dir);
	strv_push(env, s);
	free(s);
	s = xasprintf("EMBARGO_ATTEMPT=%u", r->ob.attempts);
	strv_push(env, s);
	free(s);
}

/* keep_output - the output's last OUT_KEEP bytes (n: at most OUT_KEEP) */

static void
keep_output(struct run *r, const char *p, size_t n)
{
	if (r->out_len + n > OUT_KEEP) {
		size_t drop = r->out_len + n - OUT_KEEP;

		memmove(r->out, r->out + drop, r->out_len - drop);
		r->out_len -= drop;
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
}

/* start - fork and exec the command, its output on *fd; the pid, or -1 */

static pid_t
start(const struct run *r, char *const *argv, char *const *envp, int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		/* Only async-signal-safe calls from here to execve(). */
		int null = open("/dev/null", O_RDONLY);

		(void)setpgid(0, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
		    dup2(p[1], 2) < 0 || chdir(r->dir) < 0)
			_exit(126);
		closefrom(3);
		(void)execve(argv[0], argv, envp);
		_exit(127);
	}
	(void)close(p[1]);
	if (pid < 0) {
		(void)close(p[0]);
		return -1;
	}
	*fd = p[0];
	return pid;
}

/*
 * wait_for - read the output until the command ends or its time is up
 * (then its process group is killed); its status into r->status
 */
static void
wait_for(struct run *r, pid_t pid, int fd)
{
	time_t deadline = time(NULL) + r->hook->timeout;
	bool eof = false, killed = false;
	int st = 0;

	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		char b[1024];
		ssize_t n;

		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (!killed && (time(NULL) >= deadline || stopping)) {
			(void)kill(-pid, SIGKILL);
			killed = true;
		}
		if (eof || poll(&pf, 1, 200) <= 0) {
			if (eof)
				(void)usleep(50000);
			continue;
		}
		if ((n = read(fd, b, sizeof(b))) > 0)
			keep_output(r, b, (size_t)n);
		else if (n == 0 || errno != EINTR)
			eof = true;
	}
	(void)close(fd);
	r->ok = !killed && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (killed)
		(void)snprintf(r->status, sizeof(r->status), stopping ? "killed: "
		    "the daemon stopped" : "killed after its timeout of %ld s",
		    r->hook->timeout);
	else if (WIFSIGNALED(st))
		(void)snprintf(r->status, sizeof(r->status), "killed by signal %d",
		    WTERMSIG(st));
	else if (WEXITSTATUS(st) == 127)
		(void)snprintf(r->status, sizeof(r->status), "exit 127 (%s could "
		    "not be started)", r->hook->argv.v[0]);
	else
		(void)snprintf(r->status, sizeof(r->status), "exit %d",
		    WEXITSTATUS(st));
}

/* last_lines - "STATUS; output: L1 | L2 | L3", the output's last lines */

static void
last_lines(const struct run *r, char *out, size_t n)
{
	char tail[400];
	size_t j = 0, lines = 0, i = r->out_len;

	while (i > 0 && (r->out[i - 1] == '\n' || r->out[i - 1] == '\r'))
		i--;
	while (i > 0 && lines < 3) {
		if (r->out[i - 1] == '\n')
			lines++;
		if (lines < 3)
			i--;
	}
	for (; i < r->out_len && j + 4 < sizeof(tail); i++) {
		unsigned char c = (unsigned char)r->out[i];

		if (c == '\n') {
			if (i + 1 < r->out_len && j > 0)
				j += (size_t)snprintf(tail + j, sizeof(tail) - j,
				    " | ");
		} else if (c >= 0x20 && c != 0x7f) {
			tail[j++] = (char)c;
		}
	}
	tail[j] = '\0';
	(void)snprintf(out, n, "release_hook \"%s\": %s%s%s", r->hook->name,
	    r->status, j ? "; output: " : "", tail);
}

/* execute - the command, run to its end in its prepared folder */

static void
execute(struct run *r)
{
	struct strv env = { NULL, 0 }, argv = { NULL, 0 };
	int fd = -1;
	pid_t pid;

	hook_env(r, &env);
	for (size_t i = 0; i < r->hook->argv.n; i++)
		strv_push(&argv, r->hook->argv.v[i]);
	/* A strv ends with NULL: execve's vectors as they are. */
	r->out_len = 0;
	if (argv.n == 0) {		/* the config's check forbids it */
		(void)snprintf(r->status, sizeof(r->status), "no command");
		r->ok = false;
	} else if ((pid = start(r, argv.v, env.v, &fd)) < 0) {
		(void)snprintf(r->status, sizeof(r->status), "not started: %s",
		    strerror(errno));
		r->ok = false;
	} else {
		wait_for(r, pid, fd);
	}
	strv_free(&env);
	strv_free(&argv);
}

/*
 * settle - what one run's end writes: done (hook-run), or a failure
 * (hook-failed) tried again after a backoff, the team told at the first
 * failure and when the tries end
 */
static int
settle(struct run *r)
{
	char why[1200], subject[200], body[2000];
	long wait = (long)HOOK_BACKOFF << (r->ob.attempts < 8 ?
	    r->ob.attempts - 1 : 7);
	struct outcome o = { LEDGER_OB_SENT, 0, "hook-run", NULL };
	struct em_err err;
	int rc;

	last_lines(r, why, sizeof(why));
	if (!r->ok) {
		bool last = r->ob.attempts >= HOOK_TRIES;

		o.ev = last ? LEDGER_OB_REFUSED : LEDGER_OB_AGAIN;
		o.next_try = time(NULL) + (wait > HOOK_MAX_WAIT ? HOOK_MAX_WAIT :
		    wait);
		o.event = "hook-failed";
		if (r->ob.attempts == 1 || last)
			o.subject = subject;
		(void)snprintf(subject, sizeof(subject), "Release hook %s %s for "
		    "%s", r->hook->name, last ? "gave up" : "failed",
		    r->ob.advisory);
		(void)snprintf(body, sizeof(body), "The release hook \"%s\" for %s "
		    "revision %d failed (run %u of at most %d):\n\n  %s\n\n%s\n"
		    "'embargoctl hooks' lists the runs.  The mail is not held up "
		    "by a hook.\n", r->hook->name, r->ob.advisory, r->ob.revision,
		    r->ob.attempts, HOOK_TRIES, why, last ? "It is not tried "
		    "again.  Mend the cause, then run 'embargoctl hooks retry "
		    "ID'." : "It is tried again after a backoff.");
	}
	em_err_clear(&err);
	if ((rc = record(r, &o, why, body, &err)) < 0)
		log_msg(LOG_ERR, NULL, "release hook %s for %s: %s; not recorded: "
		    "%s (it runs again)", r->hook->name, r->ob.advisory, why,
		    err.msg);
	else
		log_msg(r->ok ? LOG_INFO : LOG_WARNING, NULL, "%s for %s revision "
		    "%d%s", why, r->ob.advisory, r->ob.revision, r->ok ? "" :
		    o.ev == LEDGER_OB_REFUSED ? ": given up" :
		    ": tried again after a backoff");
	return rc < 0 ? rc : EM_OK;
}

/*
 * run_one - one due run: waits if its advisory is under embargo again,
 * fails for good if its hook left the config; else its attempt
 * committed, its folder prepared, the command run, the outcome recorded.
 * < 0 when a commit failed: the runner backs off before the next pick.
 */
static int
run_one(const struct config *cfg, struct run *r)
{
	int rc;

	struct outcome o = { LEDGER_OB_WAIT, 0, NULL, NULL };
	struct em_err err;
	char why[300];

	em_err_clear(&err);
	r->cfg = cfg;
	r->hook = NULL;
	for (size_t i = 0; i < cfg->n_hooks && r->hook == NULL; i++)
		if (strcmp(cfg->hooks[i].name, r->ob.member) == 0)
			r->hook = &cfg->hooks[i];
	if (r->a.state != STORE_ADV_PUBLIC && (r->a.state !=
	    STORE_ADV_EMBARGOED || r->a.embargo > time(NULL))) {
		/* Never before the date; a state this build does not know
		 * counts as under embargo and is said. */
		o.next_try = r->a.state == STORE_ADV_EMBARGOED ? r->a.embargo :
		    time(NULL) + STATE_BACKOFF_MAX;
		if ((rc = record(r, &o, "", "", &err)) < 0 ||
		    r->a.state != STORE_ADV_EMBARGOED)
			log_msg(LOG_ERR, NULL, "release hook %s for %s not "
			    "run: %s", r->ob.member, r->ob.advisory, rc < 0 ?
			    err.msg : "its advisory has a state this build does "
			    "not know");
		return rc < 0 ? rc : EM_OK;
	}
	if (r->hook == NULL) {
		o.ev = LEDGER_OB_GONE;
		o.event = "hook-failed";
		(void)snprintf(why, sizeof(why), "release_hook \"%s\" is no longer "
		    "in %s: not run", r->ob.member, cfg->path);
		if ((rc = record(r, &o, why, "", &err)) < 0)
			log_msg(LOG_ERR, NULL, "%s; not recorded: %s", why, err.msg);
		return rc < 0 ? rc : EM_OK;
	}
	r->ob.attempts++;
	o.ev = LEDGER_OB_RUNNING;	/* committed before it starts */
	o.next_try = time(NULL);
	if ((rc = record(r, &o, "", "", &err)) != EM_OK) {
		if (rc < 0)
			log_msg(LOG_ERR, NULL, "release hook %s for %s not started: "
			    "%s", r->hook->name, r->ob.advisory, err.msg);
		return rc < 0 ? rc : EM_OK;
	}
	if (prepare(r, &err) < 0) {
		r->ok = false;
		(void)snprintf(r->status, sizeof(r->status), "not started: %s",
		    err.msg);
		r->out_len = 0;
	} else {
		execute(r);
	}
	remove_tree(r->dir);
	if (!(stopping && !r->ok))	/* stopped: it runs again at start */
		return settle(r);
	return EM_OK;
}

/* hook_thread - take due runs one after another; sleep until the next */

static void *
hook_thread(void *arg)
{
	static struct run r;	/* one at a time: kept off the stack */
	int backoff = 0;

	(void)arg;
	for (;;) {
		const struct config *cfg = state_config_acquire();
		struct timespec ts;
		struct em_err err;
		time_t next = 0;
		int found;

		memset(&r, 0, sizeof(r));
		em_err_clear(&err);
		if ((found = next_due(&r, &next, &err)) < 0)
			log_msg(LOG_ERR, NULL, "release hooks: nothing run: %s "
			    "(tried again in %d s)", err.msg,
			    backoff_next(&backoff));
		else if (found > 0 && run_one(cfg, &r) < 0)
			found = -1, (void)backoff_next(&backoff);
		else
			backoff = 0;
		state_config_release(cfg);
		pthread_mutex_lock(&lock);
		/* After a failure: wait, never pick the same run at once. */
		ts.tv_sec = time(NULL) + (found < 0 ? backoff : HOOK_IDLE);
		if (found >= 0 && next != 0 && next < ts.tv_sec)
			ts.tv_sec = next;
		ts.tv_nsec = 0;
		while (found <= 0 && !stopping && !kicked &&
		    pthread_cond_timedwait(&cond, &lock, &ts) == 0)
			;
		kicked = false;
		if (stopping) {
			pthread_mutex_unlock(&lock);
			keys_thread_done();
			return NULL;
		}
		pthread_mutex_unlock(&lock);
	}
}

/* hook_kick - a run was queued or put back */

void
hook_kick(void)
{
	pthread_mutex_lock(&lock);
	kicked = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* hook_start - the runner thread */

int
hook_start(void)
{
	return state_thread_start(&tid, hook_thread, NULL);
}

/* hook_stop - end the runner; a command in hand is killed (run again later) */

void
hook_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	(void)pthread_join(tid, NULL);
}
