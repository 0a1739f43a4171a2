/*
 * hook_exec.c - a release hook's command as a process: no shell, a fixed
 * PATH and the run's EMBARGO_* variables, stdin /dev/null, its output
 * read (the last HOOK_OUT_KEEP bytes kept, the last lines for the
 * audit), killed with its process group at its timeout or when the
 * daemon stops
 *
 * The runner's process seam (struct hook_run's exec): the unit tests run
 * no process.  What became of the command is in r->ok and r->status.
 */

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Application-specific. */
#include "hook_int.h"
#include "../util/emtime.h"

/* hook_env - the command's whole environment (caller frees with strv) */

static void
hook_env(const struct hook_run *r, struct strv *env)
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

/* keep_output - the output's last HOOK_OUT_KEEP bytes (n: at most HOOK_OUT_KEEP) */

static void
keep_output(struct hook_run *r, const char *p, size_t n)
{
	if (r->out_len + n > HOOK_OUT_KEEP) {
		size_t drop = r->out_len + n - HOOK_OUT_KEEP;

		memmove(r->out, r->out + drop, r->out_len - drop);
		r->out_len -= drop;
	}
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
}

/* start - fork and exec the command, its output on *fd; the pid, or -1 */

static pid_t
start(const struct hook_run *r, char *const *argv, char *const *envp, int *fd)
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
wait_for(struct hook_run *r, pid_t pid, int fd)
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
		if (!killed && (time(NULL) >= deadline || *r->stop)) {
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
		(void)snprintf(r->status, sizeof(r->status), *r->stop ? "killed: "
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

/* hook_said - "release_hook "NAME": STATUS; output: L1 | L2 | L3", the
 * output's last lines */

void
hook_said(const struct hook_run *r, char *out, size_t n)
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

/* hook_execute - the command, run to its end in its prepared folder */

void
hook_execute(struct hook_run *r)
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

