/*
 * pool.c - the daemon's side of the confined reader: the readers, started
 * as needed, a request and its answer (see reader.h)
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Application-specific. */
#include "reader_int.h"

#ifndef READER_LIBEXEC
#define READER_LIBEXEC	"/usr/lib/embargo-milter/embargo-reader"
#endif
#define READERS_MAX	64

extern char **environ;

struct slot {
	pid_t	pid;			/* 0: not running */
	int	fd;
	bool	busy;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_free = PTHREAD_COND_INITIALIZER;
static struct slot slots[READERS_MAX];
static size_t n_slots;			/* 0: in process */
static char program[PATH_MAX];
static uint32_t cpu_seconds;
static uint64_t memory;
static uint32_t max_use;

/* reader_program_path - where embargo-reader is (see reader.h) */

int
reader_program_path(const struct config *cfg, char *out, size_t n,
    struct em_err *err)
{
	char self[PATH_MAX];
	ssize_t len;
	char *slash;

	if (cfg->reader_program != NULL && cfg->reader_program[0] != '\0')
		return em_copy(out, n, cfg->reader_program, "reader_program",
		    err);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (em_fmt(out, n, "reader_program", err,
			    "%s/embargo-reader", self) == EM_OK &&
			    access(out, X_OK) == 0)
				return EM_OK;
		}
	}
	return em_copy(out, n, READER_LIBEXEC, "reader_program", err);
}

/* spawn - a reader in slot s: embargo-reader with its socket as fd 3 */

static int
spawn(struct slot *s, struct em_err *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"embargo-reader", NULL };
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return em_fail(err, EM_EIO, "socketpair: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	/* dup2 clears close-on-exec on the copy; nothing else is kept. */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	rc = posix_spawn(&s->pid, program, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		s->pid = 0;
		return em_fail(err, EM_EIO, "cannot start the reader %s: %s; "
		    "install it, or set reader_program", program, strerror(rc));
	}
	s->fd = sv[0];
	return EM_OK;
}

/* retire - a reader that failed: its socket closed, the process reaped */

static void
retire(struct slot *s)
{
	if (s->pid == 0)
		return;
	close(s->fd);
	(void)kill(s->pid, SIGKILL);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
	s->fd = -1;
}

/* reader_start - the pool as cfg says, and one reader at once */

int
reader_start(const struct config *cfg, struct em_err *err)
{
	int rc;

	if (!cfg->reader_confined)
		return EM_OK;
	if ((rc = reader_program_path(cfg, program, sizeof(program), err)) < 0)
		return rc;
	if (access(program, X_OK) < 0)
		return em_fail(err, EM_EIO, "the reader %s cannot be run: %s; "
		    "install it, or set reader_program", program,
		    strerror(errno));
	cpu_seconds = (uint32_t)cfg->reader_cpu_seconds;
	memory = (uint64_t)cfg->reader_memory;
	max_use = (uint32_t)cfg->reader_max_use;
	n_slots = (size_t)cfg->readers;
	for (size_t i = 0; i < n_slots; i++)
		slots[i] = (struct slot){ 0, -1, false };
	if ((rc = spawn(&slots[0], err)) < 0)
		n_slots = 0;
	return rc;
}

/* reader_stop - each reader sees EOF, ends, is reaped */

void
reader_stop(void)
{
	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < n_slots; i++) {
		if (slots[i].pid == 0)
			continue;
		close(slots[i].fd);
		while (waitpid(slots[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		slots[i].pid = 0;
	}
	n_slots = 0;
	pthread_mutex_unlock(&pool_lock);
}

/* reader_confined - whether reads go to confined readers */

bool
reader_confined(void)
{
	return n_slots > 0;
}

/* reader_pids - the readers running now */

size_t
reader_pids(pid_t *out, size_t n)
{
	size_t k = 0;

	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < n_slots && k < n; i++)
		if (slots[i].pid != 0)
			out[k++] = slots[i].pid;
	pthread_mutex_unlock(&pool_lock);
	return k;
}

/* take - an idle slot, waiting while all are busy */

static struct slot *
take(void)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&pool_lock);
	while (s == NULL) {
		for (size_t i = 0; i < n_slots && s == NULL; i++)
			if (!slots[i].busy && slots[i].pid != 0)
				s = &slots[i];
		for (size_t i = 0; i < n_slots && s == NULL; i++)
			if (!slots[i].busy)
				s = &slots[i];
		if (s == NULL)
			pthread_cond_wait(&pool_free, &pool_lock);
	}
	s->busy = true;
	pthread_mutex_unlock(&pool_lock);
	return s;
}

/* give - the slot back */

static void
give(struct slot *s)
{
	pthread_mutex_lock(&pool_lock);
	s->busy = false;
	pthread_cond_signal(&pool_free);
	pthread_mutex_unlock(&pool_lock);
}

/* ask - one request through s and its answer; -1 when s is broken */

static int
ask(struct slot *s, const struct reader_req *rq, const struct buf *fb,
    const char *msg, struct reader_rep *rp, struct buf *ans)
{
	if (em_send_all(s->fd, rq, sizeof(*rq)) < 0 ||
	    em_send_all(s->fd, fb->data ? fb->data : "", fb->len) < 0 ||
	    em_send_all(s->fd, msg, (size_t)rq->msg_len) < 0 ||
	    em_read_all(s->fd, rp, sizeof(*rp)) < 0 ||
	    rp->magic != READER_MAGIC || rp->len > READER_WIRE_MAX)
		return -1;
	buf_reset(ans);
	if (rp->len > 0 && (buf_room(ans, (size_t)rp->len) == NULL ||
	    em_read_all(s->fd, ans->data, (size_t)rp->len) < 0))
		return -1;
	ans->len = (size_t)rp->len;
	return 0;
}

/* run - the request through a reader, started again once if it ends */

static int
run(const struct reader_req *rq, const struct buf *fb, const char *msg,
    struct reader_rep *rp, struct buf *ans, struct em_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct slot *s = take();
		int rc = EM_OK;

		if (s->pid == 0)
			rc = spawn(s, err);
		if (rc == EM_OK && ask(s, rq, fb, msg, rp, ans) == 0) {
			give(s);
			return EM_OK;
		}
		retire(s);
		give(s);
		if (rc < 0)
			return rc;
	}
	return em_fail(err, EM_EIO, "the reader ended twice while this "
	    "message was read");
}

/* ended - what became of a child that gave no answer, as an error */

static int
ended(const struct reader_rep *rp, struct em_err *err)
{
	unsigned long mib = (unsigned long)(rp->maxrss_kb / 1024u);

	switch (rp->end) {
	case READER_SIGNAL:
		if (rp->detail != SIGXCPU)
			return em_fail(err, EM_EREADER, "the reader stopped on "
			    "signal %u (%s) reading it, having used %lu MiB of "
			    "reader_memory = %lu MiB", rp->detail,
			    strsignal((int)rp->detail), mib,
			    (unsigned long)(memory >> 20));
		/* A CPU ceiling the system set: the same end. */
		/* FALLTHROUGH */
	case READER_CPU:
		return em_fail(err, EM_EREADER, "reading it took more than the "
		    "reader's CPU ceiling (reader_cpu_seconds = %u)",
		    cpu_seconds);
	case READER_EXIT:
		return em_fail(err, rp->detail == 3 ? EM_EIO : EM_EREADER,
		    "the reader exited with status %u reading it%s", rp->detail,
		    rp->detail == 3 ? " (it could not confine itself)" : "");
	case READER_CLOCK:
		return em_fail(err, EM_EIO, "the reader took more than %u s "
		    "on the clock (six times its CPU ceiling; the machine may "
		    "be busy)", cpu_seconds * 6);
	case READER_ANSWER:
		return em_fail(err, EM_EREADER, "the reader's answer was over "
		    "%zu bytes", READER_WIRE_MAX);
	case READER_FORK:
		return em_fail(err, EM_EIO, "the reader could not fork");
	default:
		return em_fail(err, EM_EIO, "the reader's answer is malformed");
	}
}

/* take_more - read_more's new facts into f: the read fields replaced,
 * the new encrypted parts added after f's (whose bytes keys/ holds) */

static void
take_more(struct facts *f, struct facts *nf)
{
	size_t old = f->n_crypt;

	free(f->subject);
	free(f->message_id);
	free(f->from);
	free(f->date);
	f->subject = nf->subject;
	f->message_id = nf->message_id;
	f->from = nf->from;
	f->date = nf->date;
	nf->subject = nf->message_id = nf->from = nf->date = NULL;
	buf_free(&f->text);
	f->text = nf->text;
	buf_init(&nf->text);
	f->top_encrypted = nf->top_encrypted;
	f->first_text = nf->first_text;
	f->has_first_text = nf->has_first_text;
	f->parts = nf->parts;
	f->depth = nf->depth;
	f->unreadable = nf->unreadable;
	f->sealed = nf->sealed;
	f->partial_missing = nf->partial_missing;
	for (size_t i = old; i < nf->n_crypt; i++) {
		f->crypt = xrealloc(f->crypt, (f->n_crypt + 1) *
		    sizeof(*f->crypt));
		f->crypt[f->n_crypt++] = nf->crypt[i];
		buf_init(&nf->crypt[i].data);
	}
}

/* answered - the child's answer into f: the facts and its rc */

static int
answered(enum reader_op op, const struct buf *ans,
    const struct policy_limits *lim, struct facts *f, struct em_err *err)
{
	struct facts nf;
	int rc, child_rc = EM_EIO;

	facts_init(&nf);
	rc = reader_get_answer(ans->data, ans->len, lim, &nf, &child_rc, err);
	if (rc == EM_OK && op == READER_OP_MORE && nf.n_crypt < f->n_crypt)
		rc = em_fail(err, EM_EIO, "the reader's answer is malformed "
		    "(parts lost)");
	if (rc == EM_OK && op == READER_OP_MORE) {
		take_more(f, &nf);
	} else if (rc == EM_OK) {
		facts_free(f);
		*f = nf;
		facts_init(&nf);
	}
	facts_free(&nf);
	return rc == EM_OK ? child_rc : rc;
}

/* call - one read through the pool: the facts into f, or why not */

static int
call(enum reader_op op, bool payload, const char *msg, size_t len,
    const struct policy_limits *lim, struct facts *f, struct em_err *err)
{
	struct reader_req rq = { READER_MAGIC, (uint32_t)op, payload,
	    cpu_seconds, memory, max_use, 0, { 0 }, 0, len };
	struct reader_rep rp = { 0 };
	struct buf fb, ans;
	int rc;

	reader_limits_put(&rq, lim);
	buf_init(&fb);
	buf_init(&ans);
	if (op == READER_OP_MORE)
		reader_put_facts(&fb, f, false);
	rq.facts_len = fb.len;
	if ((rc = run(&rq, &fb, msg, &rp, &ans, err)) == EM_OK)
		rc = rp.end != READER_RAN ? ended(&rp, err) :
		    answered(op, &ans, lim, f, err);
	buf_free(&fb);
	buf_free(&ans);
	return rc;
}

/* reader_read - policy_read() in a confined reader (or here: reader.h) */

int
reader_read(const char *msg, size_t len, const struct policy_limits *lim,
    struct facts *f, struct em_err *err)
{
	if (n_slots == 0)
		return policy_read(msg, len, lim, f, err);
	return call(READER_OP_READ, false, msg, len, lim, f, err);
}

/* reader_read_more - policy_read_more() likewise */

int
reader_read_more(const char *entity, size_t len,
    const struct policy_limits *lim, bool payload, struct facts *f,
    struct em_err *err)
{
	if (n_slots == 0)
		return policy_read_more(entity, len, lim, payload, f, err);
	return call(READER_OP_MORE, payload, entity, len, lim, f, err);
}
