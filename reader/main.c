/*
 * main.c - embargo-reader: reads outsiders' mail for the daemon, one child
 * per message, confined (see reader.h)
 *
 * Started by the daemon (or embargoctl) with its socket as descriptor 3.
 * It loads what it will need, confines itself, then passes each request
 * to its child over a pipe: a child that confines itself further, reads
 * each message with policy_read() or policy_read_more() and writes its
 * answer into a second pipe.  The reader watches it (its CPU clock
 * against the message's ceiling, the clock against six times that),
 * tells the daemon what became of the reading, and after reader_max_use
 * messages (or when the child's peak memory reaches half its ceiling)
 * lets it end and forks the next one at once.  EOF on the socket ends the
 * reader, EOF on its pipe the child.
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "reader_int.h"

#define SOCK_FD		3

#define BIG_ROOM	((size_t)4 << 20)
#define SLICE_MS	200		/* how often a busy child's CPU is read */

/* The child reading now, and what it has read. */
struct kid {
	pid_t	pid;			/* 0: none */
	int	req;			/* the reader writes requests here */
	int	ans;			/* and reads answers here */
	clockid_t cpu;			/* the child's CPU clock */
	uint64_t memory;		/* the ceiling it was started under */
	uint32_t served;		/* messages it has answered */
};

/* read_request - one request and its bytes from fd; -1 at EOF or a
 * broken one */

static int
read_request(int fd, struct reader_req *rq, struct buf *facts,
    struct buf *msg)
{
	if (em_read_all(fd, rq, sizeof(*rq)) < 0 ||
	    rq->magic != READER_MAGIC || rq->facts_len > READER_WIRE_MAX ||
	    rq->msg_len > READER_WIRE_MAX)
		return -1;
	buf_reset(facts);
	buf_reset(msg);
	if (buf_room(facts, (size_t)rq->facts_len) == NULL ||
	    buf_room(msg, (size_t)rq->msg_len) == NULL)
		return -1;
	if (em_read_all(fd, facts->data, (size_t)rq->facts_len) < 0 ||
	    em_read_all(fd, msg->data, (size_t)rq->msg_len) < 0)
		return -1;
	facts->len = (size_t)rq->facts_len;
	msg->len = (size_t)rq->msg_len;
	facts->data[facts->len] = msg->data[msg->len] = '\0';
	return 0;
}

#ifdef READER_TEST_FAULTS
/* test_faults - the test build only (tests/unit/test_reader.c): a
 * parser's faults on demand, inside the confined child */

static void
test_faults(const struct buf *msg, unsigned served)
{
	/* A child worn by what it read before: fine when fresh. */
	if (memmem(msg->data, msg->len, "X-Reader-Test: worn", 19) != NULL &&
	    served > 0)
		(void)raise(SIGSEGV);
	if (memmem(msg->data, msg->len, "X-Reader-Test: segv", 19) != NULL)
		(void)raise(SIGSEGV);
	if (memmem(msg->data, msg->len, "X-Reader-Test: spin", 19) != NULL)
		for (volatile unsigned long i = 0;; i++)
			;
	if (memmem(msg->data, msg->len, "X-Reader-Test: open", 19) != NULL)
		_exit(open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES ?
		    41 : 40);
	if (memmem(msg->data, msg->len, "X-Reader-Test: kill", 19) != NULL)
		_exit(kill(getppid(), SIGKILL) < 0 && errno == EPERM ? 43 : 42);
	if (memmem(msg->data, msg->len, "X-Reader-Test: socket", 21) != NULL)
		_exit(socket(AF_INET, SOCK_STREAM, 0) < 0 ? 44 : 45);
}
#endif

/* child - reads the messages sent on req, each answer on ans, until EOF;
 * never returns */

static void
child(int req, int ans, uint64_t memory)
{
	struct reader_req rq;
	struct buf fb, msg, out;
	unsigned served = 0;

	if (reader_confine_child(memory) < 0)
		_exit(3);
	buf_init(&fb);
	buf_init(&msg);
	buf_init(&out);
	while (read_request(req, &rq, &fb, &msg) == 0) {
		struct policy_limits lim = reader_limits_get(&rq);
		struct reader_kid_rep kr = { 0, 0 };
		struct rusage ru;
		struct facts f;
		struct em_err err;
		int rc;

#ifdef READER_TEST_FAULTS
		test_faults(&msg, served);
#endif
		facts_init(&f);
		em_err_clear(&err);
		buf_reset(&out);
		if (rq.op == READER_OP_MORE) {
			if (reader_get_facts(fb.data, fb.len, &lim, &f,
			    &err) < 0)
				_exit(4);
			rc = policy_read_more(msg.data, msg.len, &lim,
			    rq.payload != 0, &f, &err);
		} else {
			rc = policy_read(msg.data, msg.len, &lim, &f, &err);
		}
		reader_put_answer(&out, rc, &err, &f);
		facts_free(&f);
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			kr.maxrss_kb = (uint64_t)ru.ru_maxrss;
		kr.len = out.len;
		if (em_write_all(ans, &kr, sizeof(kr)) < 0 ||
		    em_write_all(ans, out.data ? out.data : "", out.len) < 0)
			_exit(5);
		served++;
	}
	_exit(0);
}

/* kid_start - a child forked and waiting for requests; -1 when none */

static int
kid_start(struct kid *k, uint64_t memory)
{
	int rq[2], an[2];

	if (pipe2(rq, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(an, O_CLOEXEC) < 0) {
		close(rq[0]);
		close(rq[1]);
		return -1;
	}
	/* Fewer wakeups for a large message; the default where refused. */
	(void)fcntl(rq[1], F_SETPIPE_SZ, 1 << 20);
	if ((k->pid = fork()) < 0) {
		k->pid = 0;
		close(rq[0]);
		close(rq[1]);
		close(an[0]);
		close(an[1]);
		return -1;
	}
	if (k->pid == 0) {
		close(SOCK_FD);
		close(rq[1]);
		close(an[0]);
		child(rq[0], an[1], memory);
	}
	close(rq[0]);
	close(an[1]);
	k->req = rq[1];
	k->ans = an[0];
	k->memory = memory;
	k->served = 0;
	(void)fcntl(k->req, F_SETFL, O_NONBLOCK);
	if (clock_getcpuclockid(k->pid, &k->cpu) != 0)
		k->cpu = (clockid_t)-1;
	return 0;
}

/* kid_end - the child told to end (EOF), or killed; reaped: its status
 * and usage */

static void
kid_end(struct kid *k, bool kill_it, int *status, struct rusage *ru)
{
	if (k->pid == 0)
		return;
	close(k->req);
	close(k->ans);
	if (kill_it)
		(void)kill(k->pid, SIGKILL);
	while (wait4(k->pid, status, 0, ru) < 0 && errno == EINTR)
		;
	k->pid = 0;
}

/* cpu_usec - the child's CPU time so far */

static uint64_t
cpu_usec(const struct kid *k)
{
	struct timespec ts;

	if (k->cpu == (clockid_t)-1 || clock_gettime(k->cpu, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* cpu_since - the child's CPU time since mark; 0 where its clock cannot
 * be read (never a wrapped-round figure that reads as over the ceiling) */

static uint64_t
cpu_since(const struct kid *k, uint64_t mark)
{
	uint64_t now = cpu_usec(k);

	return now > mark ? now - mark : 0;
}

/* The bounds of one message's reading. */
struct watch {
	struct timespec t0;		/* when it was sent */
	long	clock_ms;		/* on the clock at most */
	uint64_t cpu0;			/* the child's CPU before it */
	uint64_t cpu_max;		/* its CPU for it at most */
};

/* wait_fd - fd ready for events within w; READER_RAN when it is */

static enum reader_end
wait_fd(const struct kid *k, const struct watch *w, int fd, short events)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		struct timespec now;
		long left;
		int n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = w->clock_ms - ((now.tv_sec - w->t0.tv_sec) * 1000L +
		    (now.tv_nsec - w->t0.tv_nsec) / 1000000L);
		if (left <= 0)
			return READER_CLOCK;
		if (cpu_since(k, w->cpu0) >= w->cpu_max)
			return READER_CPU;
		n = poll(&p, 1, left < SLICE_MS ? (int)left : SLICE_MS);
		if (n > 0)
			return READER_RAN;
		if (n < 0 && errno != EINTR)
			return READER_EXIT;
	}
}

/* put - n bytes to the child within w; READER_EXIT when it is gone */

static enum reader_end
put(const struct kid *k, const struct watch *w, const void *p, size_t n)
{
	const char *c = p;
	enum reader_end e;

	while (n > 0) {
		ssize_t r = write(k->req, c, n);

		if (r > 0) {
			c += r;
			n -= (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			if ((e = wait_fd(k, w, k->req, POLLOUT)) != READER_RAN)
				return e;
		} else if (r < 0 && errno != EINTR) {
			return READER_EXIT;
		}
	}
	return READER_RAN;
}

/* get - n bytes from the child within w; READER_EXIT at its EOF */

static enum reader_end
get(const struct kid *k, const struct watch *w, void *p, size_t n)
{
	char *c = p;
	enum reader_end e;

	while (n > 0) {
		ssize_t r;

		if ((e = wait_fd(k, w, k->ans, POLLIN)) != READER_RAN)
			return e;
		r = read(k->ans, c, n);
		if (r > 0) {
			c += r;
			n -= (size_t)r;
		} else if (r == 0 || errno != EINTR) {
			return READER_EXIT;
		}
	}
	return READER_RAN;
}

/* exchange - one request to the child and its answer into ans */

static enum reader_end
exchange(const struct kid *k, const struct watch *w,
    const struct reader_req *rq, const struct buf *fb, const struct buf *msg,
    struct buf *ans, uint64_t *maxrss_kb)
{
	struct reader_kid_rep kr;
	enum reader_end e;

	buf_reset(ans);
	if ((e = put(k, w, rq, sizeof(*rq))) != READER_RAN ||
	    (e = put(k, w, fb->data, fb->len)) != READER_RAN ||
	    (e = put(k, w, msg->data, msg->len)) != READER_RAN ||
	    (e = get(k, w, &kr, sizeof(kr))) != READER_RAN)
		return e;
	if (kr.len > READER_WIRE_MAX)
		return READER_ANSWER;
	if (buf_room(ans, (size_t)kr.len) == NULL)
		return READER_ANSWER;
	if ((e = get(k, w, ans->data, (size_t)kr.len)) != READER_RAN)
		return e;
	ans->len = (size_t)kr.len;
	*maxrss_kb = kr.maxrss_kb;
	return READER_RAN;
}

/* answer - what became of the reading, and its answer when it ran */

static int
answer(enum reader_end end, uint32_t detail, uint64_t cpu, uint64_t maxrss_kb,
    const struct buf *ans)
{
	struct reader_rep rp = { READER_MAGIC, (uint32_t)end, detail, 0,
	    cpu, maxrss_kb, 0 };

	rp.len = rp.end == READER_RAN ? ans->len : 0;
	if (em_write_all(SOCK_FD, &rp, sizeof(rp)) < 0 ||
	    em_write_all(SOCK_FD, ans->data ? ans->data : "", rp.len) < 0)
		return -1;
	return 0;
}

/* worn - whether a child that has answered should make way for a new
 * one: its messages used up, or its memory grown to half its ceiling */

static bool
worn(const struct kid *k, const struct reader_req *rq, uint64_t maxrss_kb)
{
	uint64_t half = (k->memory > 0 ? k->memory : (uint64_t)1 << 30) / 2;

	return k->served >= rq->max_use || maxrss_kb * 1024u >= half;
}

/* one - one request read by the child, and its end told to the daemon.
 * A child that ends (a crash, an exit) reading a message after it has
 * read others is not taken at its word: the message is read again by a
 * new child, and only that reading's end is the message's. */

static int
one(struct kid *k, const struct reader_req *rq, const struct buf *fb,
    const struct buf *msg, struct buf *ans)
{
	for (;;) {
		struct watch w;
		struct rusage ru;
		uint64_t maxrss = 0, used;
		uint32_t detail = 0;
		enum reader_end end;
		bool fresh;
		int status = 0;

		if (k->pid != 0 && k->memory != rq->memory)
			kid_end(k, true, &status, &ru);
		if (k->pid == 0 && kid_start(k, rq->memory) < 0)
			return answer(READER_FORK, 0, 0, 0, ans);
		fresh = k->served == 0;
		clock_gettime(CLOCK_MONOTONIC, &w.t0);
		w.clock_ms = (long)rq->cpu_seconds * 6000L;
		w.cpu0 = cpu_usec(k);
		w.cpu_max = (uint64_t)rq->cpu_seconds * 1000000u;
		end = exchange(k, &w, rq, fb, msg, ans, &maxrss);
		if (end == READER_RAN) {
			k->served++;
			used = cpu_since(k, w.cpu0);
			if (worn(k, rq, maxrss)) {
				/* The next one forked now, off the next
				 * message's path. */
				kid_end(k, false, &status, &ru);
				(void)kid_start(k, rq->memory);
			}
			return answer(READER_RAN, 0, used, maxrss, ans);
		}
		memset(&ru, 0, sizeof(ru));
		kid_end(k, true, &status, &ru);
		used = (uint64_t)ru.ru_utime.tv_sec * 1000000u +
		    (uint64_t)ru.ru_utime.tv_usec +
		    (uint64_t)ru.ru_stime.tv_sec * 1000000u +
		    (uint64_t)ru.ru_stime.tv_usec;
		used = used > w.cpu0 ? used - w.cpu0 : 0;
		maxrss = (uint64_t)ru.ru_maxrss;
		if (end == READER_EXIT && WIFSIGNALED(status)) {
			end = READER_SIGNAL;
			detail = (uint32_t)WTERMSIG(status);
		} else if (end == READER_EXIT && WIFEXITED(status)) {
			detail = (uint32_t)WEXITSTATUS(status);
		}
		if ((end == READER_SIGNAL || end == READER_EXIT ||
		    end == READER_ANSWER) && !fresh)
			continue;	/* read again by a new child */
		return answer(end, detail, used, maxrss, ans);
	}
}

/* main - load, confine, then serve requests until EOF */

int
main(int argc, char **argv)
{
	struct reader_req rq;
	struct buf fb, msg, ans;
	struct kid k = { 0, -1, -1, (clockid_t)-1, 0, 0 };
	struct rusage ru;
	int status;

	(void)argc;
	(void)argv;
	/* Nothing of its parent's but the socket and stderr: a descriptor
	 * the parent left open without close-on-exec is closed here. */
	(void)close_range(SOCK_FD + 1, ~0U, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	g_mime_init();
	reader_preload();
	if (reader_confine_self() < 0) {
		(void)fprintf(stderr, "embargo-reader: cannot confine itself "
		    "(seccomp): %s\n", strerror(errno));
		_exit(2);
	}
	buf_init(&fb);
	buf_init(&msg);
	buf_init(&ans);
	while (read_request(SOCK_FD, &rq, &fb, &msg) == 0) {
		if (one(&k, &rq, &fb, &msg, &ans) < 0)
			break;
		/* A large message's room given back: a child forked later
		 * would hold it in its address space too. */
		if (msg.cap > BIG_ROOM) {
			buf_free(&msg);
			buf_init(&msg);
		}
		if (ans.cap > BIG_ROOM) {
			buf_free(&ans);
			buf_init(&ans);
		}
	}
	kid_end(&k, false, &status, &ru);
	_exit(0);
}
