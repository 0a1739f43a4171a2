/*
 * clockstep.c - a step of the system clock, noticed when it happens
 *
 * One thread waits on a timerfd armed far ahead with
 * TFD_TIMER_CANCEL_ON_SET: its read fails with ECANCELED when the clock
 * is set (timerfd_create(2)), and the thread calls on_step() (the release
 * timer's kick) at once.  It runs on the shared thread loop (loop.h);
 * since it blocks in poll, not in loop_wait, the loop's interrupt writes
 * to a pipe it polls too.
 *
 * How it fails: clock_watch_start() returns EM_EIO when the timerfd, the
 * pipe or the thread cannot be had; the caller says so (a step is then
 * seen at the release timer's next wake only).  The thread ends when
 * the timerfd cannot be armed again.
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Application-specific. */
#include "outbox.h"
#include "loop.h"

static int step_fd = -1, step_stop[2] = { -1, -1 };
static struct loop step_loop = LOOP_INIT;
static void (*step_cb)(void);

/*
 * arm_step - the timerfd armed far in the future with
 * TFD_TIMER_CANCEL_ON_SET: its read fails with ECANCELED when the clock
 * is set (timerfd_create(2))
 */
static int
arm_step(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	its.it_value.tv_sec = time(NULL) + 10L * 365 * 86400;
	return timerfd_settime(step_fd, TFD_TIMER_ABSTIME |
	    TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

/* step_interrupt - loop_stop's way into the poll: a byte on the pipe */

static void
step_interrupt(void)
{
	(void)!write(step_stop[1], "x", 1);
}

/* step_thread - wait for a step of the clock, or the stop pipe */

static void *
step_thread(void *arg)
{
	struct pollfd p[2] = { { step_fd, POLLIN, 0 }, { step_stop[0], POLLIN,
	    0 } };

	(void)arg;
	for (;;) {
		uint64_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[1].revents || loop_stopping(&step_loop))
			return NULL;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(step_fd, &n, sizeof(n)) < 0 && errno == ECANCELED) {
			step_cb();
			if (arm_step() < 0)
				return NULL;
		}
	}
}

/* clock_watch_start - a thread that calls on_step at each clock step */

int
clock_watch_start(void (*on_step)(void))
{
	step_cb = on_step;
	step_loop.interrupt = step_interrupt;
	if ((step_fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC |
	    TFD_NONBLOCK)) >= 0 && arm_step() == 0 &&
	    pipe2(step_stop, O_CLOEXEC) == 0 &&
	    loop_start(&step_loop, 1, step_thread, NULL) == EM_OK)
		return EM_OK;
	if (step_fd >= 0)
		close(step_fd);
	if (step_stop[0] >= 0) {
		close(step_stop[0]);
		close(step_stop[1]);
	}
	step_fd = step_stop[0] = step_stop[1] = -1;
	return EM_EIO;
}

/* clock_watch_stop - end the watcher */

void
clock_watch_stop(void)
{
	if (step_stop[1] < 0)
		return;
	loop_stop(&step_loop);
	close(step_fd);
	close(step_stop[0]);
	close(step_stop[1]);
	step_fd = step_stop[0] = step_stop[1] = -1;
}
