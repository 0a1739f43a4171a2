/*
 * main.c - embargo-reader: reads outsiders' mail for the daemon, one child
 * per message, confined (see reader.h)
 *
 * Started by the daemon (or embargoctl) with its socket as descriptor 3.
 * It loads what it will need, confines itself, then for each request
 * forks a child that confines itself further, reads the message with
 * policy_read() or policy_read_more(), writes its answer into a pipe and
 * exits; the reader waits for it (on the clock too), and tells the daemon
 * what became of it.  EOF on the socket ends the reader.
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

/* read_request - one request and its bytes; -1 at EOF or a broken one */

static int
read_request(struct reader_req *rq, struct buf *facts, struct buf *msg)
{
	if (em_read_all(SOCK_FD, rq, sizeof(*rq)) < 0 ||
	    rq->magic != READER_MAGIC || rq->facts_len > READER_WIRE_MAX ||
	    rq->msg_len > READER_WIRE_MAX)
		return -1;
	buf_reset(facts);
	buf_reset(msg);
	if (buf_room(facts, (size_t)rq->facts_len) == NULL ||
	    buf_room(msg, (size_t)rq->msg_len) == NULL)
		return -1;
	if (em_read_all(SOCK_FD, facts->data, (size_t)rq->facts_len) < 0 ||
	    em_read_all(SOCK_FD, msg->data, (size_t)rq->msg_len) < 0)
		return -1;
	facts->len = (size_t)rq->facts_len;
	msg->len = (size_t)rq->msg_len;
	facts->data[facts->len] = msg->data[msg->len] = '\0';
	return 0;
}

/* child - one message read, its answer into fd; never returns */

static void
child(int fd, const struct reader_req *rq, const struct buf *fb,
    const struct buf *msg)
{
	struct policy_limits lim = reader_limits_get(rq);
	struct facts f;
	struct em_err err;
	struct buf out;
	int rc;

	if (reader_confine_child(rq->cpu_seconds, rq->memory) < 0)
		_exit(3);
#ifdef READER_TEST_FAULTS
	/* The test build only (tests/unit/test_reader.c): a parser's faults
	 * on demand, inside the confined child. */
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
#endif
	facts_init(&f);
	em_err_clear(&err);
	buf_init(&out);
	if (rq->op == READER_OP_MORE) {
		if (reader_get_facts(fb->data, fb->len, &lim, &f, &err) < 0)
			_exit(4);
		rc = policy_read_more(msg->data, msg->len, &lim,
		    rq->payload != 0, &f, &err);
	} else {
		rc = policy_read(msg->data, msg->len, &lim, &f, &err);
	}
	reader_put_answer(&out, rc, &err, &f);
	if (em_write_all(fd, out.data, out.len) < 0)
		_exit(5);
	_exit(0);
}

/* collect - the child's answer from fd until EOF, within the clock */

static enum reader_end
collect(int fd, pid_t pid, uint32_t cpu_seconds, struct buf *ans)
{
	struct timespec t0, now;
	long limit_ms = (long)cpu_seconds * 6000L;

	buf_reset(ans);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long left;
		char *room;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = limit_ms - ((now.tv_sec - t0.tv_sec) * 1000L +
		    (now.tv_nsec - t0.tv_nsec) / 1000000L);
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			(void)kill(pid, SIGKILL);
			return READER_CLOCK;
		}
		if ((room = buf_room(ans, 65536)) == NULL ||
		    ans->len > READER_WIRE_MAX) {
			(void)kill(pid, SIGKILL);
			return READER_ANSWER;
		}
		r = read(fd, room, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return READER_RAN;
		ans->len += (size_t)r;
	}
}

/* answer - what became of the child, and its answer when it ran */

static int
answer(enum reader_end end, int status, const struct rusage *ru,
    const struct buf *ans)
{
	struct reader_rep rp = { READER_MAGIC, (uint32_t)end, 0, 0, 0, 0, 0 };

	if (end == READER_RAN && WIFSIGNALED(status)) {
		rp.end = READER_SIGNAL;
		rp.detail = (uint32_t)WTERMSIG(status);
	} else if (end == READER_RAN && WIFEXITED(status) &&
	    WEXITSTATUS(status) != 0) {
		rp.end = READER_EXIT;
		rp.detail = (uint32_t)WEXITSTATUS(status);
	}
	rp.cpu_usec = (uint64_t)ru->ru_utime.tv_sec * 1000000u +
	    (uint64_t)ru->ru_utime.tv_usec +
	    (uint64_t)ru->ru_stime.tv_sec * 1000000u +
	    (uint64_t)ru->ru_stime.tv_usec;
	rp.maxrss_kb = (uint64_t)ru->ru_maxrss;
	rp.len = rp.end == READER_RAN ? ans->len : 0;
	if (em_write_all(SOCK_FD, &rp, sizeof(rp)) < 0 ||
	    em_write_all(SOCK_FD, ans->data ? ans->data : "", rp.len) < 0)
		return -1;
	return 0;
}

/* one - one request: a child for it, its end told to the daemon */

static int
one(const struct reader_req *rq, const struct buf *fb, const struct buf *msg,
    struct buf *ans)
{
	struct rusage ru;
	int pfd[2], status = 0;
	enum reader_end end;
	pid_t pid;

	memset(&ru, 0, sizeof(ru));
	buf_reset(ans);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return answer(READER_FORK, 0, &ru, ans);
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return answer(READER_FORK, 0, &ru, ans);
	}
	if (pid == 0) {
		close(pfd[0]);
		close(SOCK_FD);
		child(pfd[1], rq, fb, msg);
	}
	close(pfd[1]);
	end = collect(pfd[0], pid, rq->cpu_seconds, ans);
	close(pfd[0]);
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	return answer(end, status, &ru, ans);
}

/* main - load, confine, then serve requests until EOF */

int
main(int argc, char **argv)
{
	struct reader_req rq;
	struct buf fb, msg, ans;

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
	while (read_request(&rq, &fb, &msg) == 0)
		if (one(&rq, &fb, &msg, &ans) < 0)
			break;
	_exit(0);
}
