/*
 * main.c - embargo-milter: start-up, privileges, signals
 *
 * SYNOPSIS
 *	embargo-milter [-c FILE] [-f] [-t]
 *
 * Start-up errors are loud and final (exit 2); once running, a message's
 * errors become replies.  libmilter's own signal thread treats SIGHUP as
 * "stop", so smfi_main() runs in a thread of its own (whose signals
 * libmilter blocks) and the main thread keeps SIGHUP, SIGTERM and SIGINT
 * with ordinary handlers: Linux gives a process signal to the main thread
 * when it does not block it.  SIGHUP reloads (a bad file keeps the old
 * config); SIGTERM stops accepting, finishes the messages in hand, exits.
 */

/* System library. */
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>

/* Application-specific. */
#include "milter.h"
#include "../util/emtime.h"
#include "../util/log.h"
#include "../keys/keys.h"
#include "../reader/reader.h"
#include "../util/priv.h"
#include "../ledger/ledger.h"

#define DEFAULT_CONF	"/etc/embargo-milter/embargo-milter.conf"
#define STOP_GRACE	30	/* seconds to finish messages in hand */

static int sig_pipe[2] = { -1, -1 };

/* usage - the --help text */

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: embargo-milter [-c FILE] [-f] [-t]\n"
	    "  -c FILE  config file (default " DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -t       check the config and exit (0 ok, 2 problems)\n"
	    "  -h       this help\n"
	    "Signals: SIGHUP reloads the config, SIGTERM finishes the "
	    "messages in hand and exits.\n"
	    "See embargo-milter(8) and embargo-milter.conf(5).\n");
}

/* print_report - every problem on stderr */

static void
print_report(const struct conf_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		(void)fprintf(stderr, "embargo-milter: %s\n", rep->v[i].text);
}

/* log_report - every problem into the log (for a reload) */

static void
log_report(const struct conf_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		log_msg(rep->v[i].warning ? LOG_WARNING : LOG_ERR, NULL, "%s",
		    rep->v[i].text);
}

/* check_keys - the keyring and every key the config names */

static void
check_keys(const struct config *cfg, struct conf_report *rep)
{
	struct em_err err;

	if (keys_init(cfg->gnupg_home, &err) < 0)
		conf_report_add(rep, false, "%s", err.msg);
	else
		keys_check_config(cfg, rep, time(NULL));
}

/* socket_path - the file of a unix socket spec, or NULL */

static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/*
 * drop_privileges - become cfg->user when started as root, handing it
 * the socket and the state first
 */
static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	const char *sock = socket_path(cfg->socket);
	struct em_err err;

	/*
	 * The MTA reaches the socket through the group (socket_mode),
	 * whatever the umask (systemd's UMask=0027 would shut it out).
	 */
	if (sock != NULL && chmod(sock, cfg->socket_mode) < 0) {
		(void)fprintf(stderr, "embargo-milter: %s: %s\n", sock,
		    strerror(errno));
		return -1;
	}
	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL || pw->pw_uid == 0)
		goto become;	/* em_become_user() says why */
	if (sock != NULL && chown(sock, pw->pw_uid, pw->pw_gid) < 0) {
		(void)fprintf(stderr, "embargo-milter: %s: %s\n", sock,
		    strerror(errno));
		return -1;
	}
	/* The state was opened as root: hand its files to the user. */
	{
		static const char *const files[] = { "data.mdb", "lock.mdb",
		    "print.key", NULL };

		if (chown(cfg->state_dir, pw->pw_uid, pw->pw_gid) < 0) {
			(void)fprintf(stderr, "embargo-milter: cannot hand %s to "
			    "%s: %s%s\n", cfg->state_dir, cfg->user,
			    strerror(errno), store_hint(errno));
			return -1;
		}
		for (int i = 0; files[i] != NULL; i++) {
			char *p = xasprintf("%s/%s", cfg->state_dir, files[i]);
			int rc = chown(p, pw->pw_uid, pw->pw_gid);

			free(p);
			if (rc < 0 && errno != ENOENT) {
				(void)fprintf(stderr, "embargo-milter: cannot "
				    "hand %s to %s: %s%s\n", files[i], cfg->user,
				    strerror(errno), store_hint(errno));
				return -1;
			}
		}
	}
become:
	if (em_become_user(cfg->user, &err) < 0) {
		(void)fprintf(stderr, "embargo-milter: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * migrate - a state written by an older layout brought to this build's
 * at start, after a compacted copy of it is kept in state_dir
 * (before-migration-TIME); said in the log.  A failure stops the start,
 * naming the cure: nothing runs on a state it cannot read.
 */
static int
migrate(const struct config *cfg, struct store *st)
{
	char when[EM_TIME_BUFSZ], *aside;
	struct em_err err;
	size_t n;
	int rc;

	aside = xasprintf("%s/before-migration-%s", cfg->state_dir,
	    em_time_format_iso(time(NULL), when));
	if ((rc = store_migrate(st, aside, &n, &err)) < 0)
		log_msg(LOG_ERR, NULL, "the state in %s is of an older layout and "
		    "could not be migrated: %s; the daemon does not start.  Free "
		    "what the reason names and start it again, or run the "
		    "version that wrote it", cfg->state_dir, err.msg);
	else if (n > 0)
		log_msg(LOG_NOTICE, NULL, "the state in %s was migrated to this "
		    "version's layout: %zu outbox records (typed hold, sealed "
		    "and cause fields); a copy of it as it was is kept in %s",
		    cfg->state_dir, n, aside);
	free(aside);
	return rc;
}

/* read_mode - whether this host is a standby, from its store */

static int
read_mode(struct store *st)
{
	struct store_txn *t;
	struct em_err err;
	bool standby = false;
	int rc;

	if ((rc = store_begin(st, false, &t, &err)) == EM_OK) {
		rc = ledger_standby(t, &standby, &err);
		store_abort(t);
	}
	if (rc < 0) {
		log_msg(LOG_ERR, NULL, "whether this host is a standby cannot be "
		    "read: %s", err.msg);
		return -1;
	}
	state_set_standby(standby);
	if (standby)
		log_msg(LOG_WARNING, NULL, "this host is a standby (restored with "
		    "--standby): every message is deferred (451), nothing is "
		    "released, run or sent until embargoctl promote and a restart");
	return 0;
}

/*
 * open_state - the store and the fingerprint key; with probe, opened and
 * closed again (before daemon(), so that a failure reaches stderr)
 */
static int
open_state(const struct config *cfg, bool probe)
{
	struct em_err err;
	struct store *st = NULL;
	unsigned char key[32];

	if (store_open(cfg->state_dir, cfg->state_map_size, &st, &err) == 0 &&
	    store_print_key(cfg->state_dir, key, &err) < 0) {
		store_close(st);
		st = NULL;
	}
	if (st == NULL) {
		if (probe)
			(void)fprintf(stderr, "embargo-milter: %s\n", err.msg);
		else
			log_msg(LOG_ERR, NULL, "%s", err.msg);
		return -1;
	}
	if (probe) {
		store_close(st);
		return 0;
	}
	if (migrate(cfg, st) < 0) {
		store_close(st);
		return -1;
	}
	state_set_store(st);
	state_set_print_key(key);
	return read_mode(st);
}

/* write_pidfile - for embargoctl, which wakes the release timer (SIGUSR1) */

static void
write_pidfile(const char *state_dir)
{
	char *path = xasprintf("%s/embargo-milter.pid", state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;

	/* Nothing in state_dir is for others (SPEC 5, at rest). */
	if (fd >= 0 && fp == NULL)
		(void)close(fd);
	if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0)
		log_msg(LOG_WARNING, NULL, "cannot write %s: embargoctl cannot "
		    "wake the release timer (it wakes within a minute)", path);
	if (fp != NULL)
		(void)fclose(fp);
	free(path);
}

/* on_signal - tell the main loop, nothing else (async-signal-safe) */

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* A full pipe already holds a wake-up: nothing to do on failure. */
	if (write(sig_pipe[1], &c, 1) < 0)
		c = 0;
	errno = saved;
}

/* install_signals - handlers on the main thread */

static int
install_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/*
	 * libmilter's own thread sigwait()s for SIGHUP, SIGTERM and SIGINT
	 * (and stops the milter on SIGHUP).  Linux gives a signal sent to
	 * the process to the main thread whenever it does not block it, so
	 * the main thread never blocks them, not even in its handler
	 * (SA_NODEFER: the handler only writes a byte to a pipe).
	 */
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	if (sigaction(SIGHUP, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGUSR1, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static volatile int milter_done;

/* milter_thread - libmilter's accept loop */

static void *
milter_thread(void *arg)
{
	int *rc = arg;

	*rc = smfi_main();
	milter_done = 1;
	if (write(sig_pipe[1], "", 1) < 0)
		milter_done = 1;	/* the pipe is full: a wake-up waits */
	return NULL;
}

/* audit_config - the config-loaded event: which file, what it holds */

static void
audit_config(const struct config *cfg, const char *how)
{
	struct store_audit a = { 0 };
	struct em_err err;
	char why[256];

	(void)snprintf(why, sizeof(why), "%s %s: %zu members, %zu team keys, "
	    "%zu public lists", how, cfg->path, cfg->n_members,
	    cfg->team_keys.n, cfg->public_lists.n);
	a.time = time(NULL);
	a.event = "config-loaded";
	a.decision = "config-loaded";
	a.reason = why;
	a.keys = cfg->list_key;
	if (auditq_commit(&a, &err) < 0)
		log_msg(LOG_ERR, NULL, "audit: %s", err.msg);
}

/*
 * restart_only - what a reload cannot change: the store, the spool, the
 * socket and the keyring stay where the start opened them, and the user is
 * the one the start became; a change of them is an error naming the cure
 */
static void
restart_only(const struct config *old, const struct config *cfg,
    struct conf_report *rep)
{
	const struct { const char *key, *was, *is; } v[] = {
		{ "state_dir", old->state_dir, cfg->state_dir },
		{ "socket", old->socket, cfg->socket },
		{ "gnupg_home", old->gnupg_home, cfg->gnupg_home },
		{ "user", old->user, cfg->user },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(v[i].was, v[i].is) != 0)
			conf_report_add(rep, false, "%s: %s changed from \"%s\" to "
			    "\"%s\": a reload cannot change it (restart needed: "
			    "systemctl restart embargo-milter)", cfg->path, v[i].key,
			    v[i].was, v[i].is);
}

/* reload - SIGHUP: a new config, or the old one and the reasons */

static void
reload(const char *path)
{
	struct conf_report rep = { 0 };
	struct config *cfg;

	if (conf_load(path, &cfg, &rep) == EM_OK) {
		const struct config *old = state_config_acquire();

		restart_only(old, cfg, &rep);
		state_config_release(old);
		if (rep.errors == 0)
			keys_check_config(cfg, &rep, time(NULL));
		if (rep.errors > 0) {
			conf_free(cfg);
			cfg = NULL;
		}
	}
	if (cfg != NULL) {
		state_set_config(cfg);
		log_report(&rep);
		log_msg(LOG_INFO, NULL, "config reloaded from %s", path);
		audit_config(cfg, "reloaded");
	} else {
		log_report(&rep);
		log_msg(LOG_ERR, NULL, "reload of %s failed; the previous "
		    "config stays in force", path);
	}
	conf_report_free(&rep);
}

/* main_loop - wait for signals until stopped */

static void
main_loop(const char *path)
{
	for (;;) {
		struct pollfd pfd = { sig_pipe[0], POLLIN, 0 };
		unsigned char c[64];
		bool hup = false, term = false, usr1 = false;
		ssize_t n;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return;
		/* Every signal waiting, at once: a burst is one reload. */
		while ((n = read(sig_pipe[0], c, sizeof(c))) > 0)
			for (ssize_t i = 0; i < n; i++) {
				hup |= c[i] == SIGHUP;
				term |= c[i] == SIGTERM || c[i] == SIGINT;
				usr1 |= c[i] == SIGUSR1;
			}
		if (milter_done)
			return;
		if (term) {
			/*
			 * libmilter stops serving its sessions once told to
			 * stop, so the messages in hand are finished first;
			 * one begun meanwhile is deferred (451 4.3.2).
			 */
			log_msg(LOG_INFO, NULL, "stopping: finishing the "
			    "messages in hand");
			state_set_stopping();
			if (!state_wait_idle(STOP_GRACE))
				log_msg(LOG_WARNING, NULL, "messages still in "
				    "hand after %d s; the MTA will retry them",
				    STOP_GRACE);
			(void)smfi_stop();
			return;
		}
		if (hup) {
			reload(path);
			guard_rebuild();
		}
		if (hup || usr1)
			release_kick();	/* a date, a hold or the config changed */
	}
}

/* check_reader - "-t": the confined reader can be run, as a start needs */

static void
check_reader(const struct config *cfg, struct conf_report *rep)
{
	char path[4096];
	struct em_err err;

	if (!cfg->reader_confined)
		return;
	em_err_clear(&err);
	if (reader_program_path(cfg, path, sizeof(path), &err) < 0)
		conf_report_add(rep, false, "%s", err.msg);
	else if (access(path, X_OK) < 0)
		conf_report_add(rep, false, "the reader %s cannot be run: %s; "
		    "install it, or set reader_program", path, strerror(errno));
}

/*
 * test_config - "-t": load and check what a start checks, as the daemon's
 * user (the file's mode, then the keys: a start reads them after it drops
 * root), print the report; 0 when the configuration is good, else 2
 */
static int
test_config(const char *path)
{
	struct conf_report rep = { 0 };
	struct config *cfg;
	struct em_err err;
	int rc;

	if (conf_load(path, &cfg, &rep) == EM_OK) {
		if (em_become_user(cfg->user, &err) < 0) {
			conf_report_add(&rep, false, "%s", err.msg);
			conf_check_mode(path, &rep);
		} else {
			check_keys(cfg, &rep);	/* the mode too */
			check_reader(cfg, &rep);
			store_check_public(cfg, &rep);
		}
	}
	if (cfg != NULL && rep.errors > 0) {
		conf_free(cfg);
		cfg = NULL;
	}
	rc = cfg != NULL ? 0 : 2;

	print_report(&rep);
	if (cfg != NULL)
		(void)printf("%s: configuration ok (%zu members, %zu warnings)\n",
		    path, cfg->n_members, rep.warnings);
	conf_report_free(&rep);
	conf_free(cfg);
	return rc;
}

/*
 * load_for_start - the configuration, its file's mode (SPEC 9) checked
 * before anything is opened; NULL (the report printed) when it cannot
 * start
 */
static struct config *
load_for_start(const char *path)
{
	struct conf_report rep = { 0 };
	struct config *cfg;

	if (conf_load(path, &cfg, &rep) == EM_OK && rep.errors == 0)
		conf_check_mode(path, &rep);
	if (cfg != NULL && rep.errors > 0) {
		conf_free(cfg);
		cfg = NULL;
	}
	print_report(&rep);
	conf_report_free(&rep);
	return cfg;
}

/*
 * open_milter - as root: the libraries, the state (so that a fault
 * reaches stderr now), the milter socket; then the daemon's user, the
 * signals, and the keys as that user (its gpg-agent is its own)
 */
static int
open_milter(struct config *cfg)
{
	struct conf_report rep = { 0 };
	struct em_err err;

	g_mime_init();
	if (spool_lib_init(&err) < 0) {
		(void)fprintf(stderr, "embargo-milter: %s\n", err.msg);
		return -1;
	}
	if (open_state(cfg, true) < 0)
		return -1;
	if (smfi_setconn(cfg->socket) != MI_SUCCESS ||
	    smfi_register(milter_desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		(void)fprintf(stderr, "embargo-milter: cannot open the milter "
		    "socket %s; check that its folder exists and is writable\n",
		    cfg->socket);
		return -1;
	}
	if (drop_privileges(cfg) < 0 || install_signals() < 0)
		return -1;
	check_keys(cfg, &rep);
	print_report(&rep);
	conf_report_free(&rep);
	return rep.errors > 0 ? -1 : 0;
}

/* start_workers - the threads that release, run hooks, send and guard;
 * none on a standby */

static int
start_workers(const struct config *cfg)
{
	if (state_standby())
		return 0;
	return deliver_start(cfg->delivery_workers) < 0 || release_start() < 0 ||
	    hook_start() < 0 || guard_start() < 0 ? -1 : 0;
}

/* stop_workers - what start_workers() started */

static void
stop_workers(void)
{
	if (state_standby())
		return;
	release_stop();
	hook_stop();
	guard_stop();
	deliver_stop();
}

/*
 * run - in the process that stays (after daemon()): the signing helpers
 * before any thread, the state for good, the threads; until SIGTERM
 */
static int
run(const char *path, const struct config *cfg)
{
	struct em_err err;
	pthread_t tid;
	int rc = 0;

	/* Before any thread: a fork of a threaded daemon is dear. */
	if (keys_helpers_start(cfg->delivery_workers, &err) < 0)
		log_msg(LOG_WARNING, NULL, "signing helpers: %s; copies are "
		    "signed and encrypted in the daemon itself", err.msg);
	/*
	 * LMDB: an environment is used only by the process that opened it,
	 * never across fork() (lmdb.h): the child of daemon() would lose the
	 * lock file's locks, and the next embargoctl would reset the reader
	 * table.  So the state opens for good here, after every fork.
	 */
	if (reader_start(cfg, &err) < 0) {
		log_msg(LOG_ERR, NULL, "%s", err.msg);
		keys_helpers_stop();
		return 2;
	}
	if (open_state(cfg, false) < 0) {
		reader_stop();
		keys_helpers_stop();
		return 2;
	}
	log_msg(LOG_INFO, NULL, "started on %s", cfg->socket);
	write_pidfile(cfg->state_dir);
	if (auditq_start() < 0 || start_workers(cfg) < 0 ||
	    pthread_create(&tid, NULL, milter_thread, &rc) != 0) {
		log_msg(LOG_ERR, NULL, "cannot start the daemon's threads");
		return 2;
	}
	audit_config(cfg, "started with");
	main_loop(path);
	(void)pthread_join(tid, NULL);
	stop_workers();
	keys_helpers_stop();
	reader_stop();
	auditq_stop();
	store_close(state_store());
	log_msg(LOG_INFO, NULL, "stopped");
	g_mime_shutdown();
	return rc == MI_SUCCESS ? 0 : 1;
}

/* main - options, then a check (-t) or a start */

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_CONF;
	bool fg = false, test = false;
	struct config *cfg;
	int ch;

	/*
	 * Memory given back: a buffer of 1 MiB or more is mapped apart and
	 * unmapped when freed (glibc would otherwise raise the mmap
	 * threshold to the largest message seen and keep such buffers in
	 * its heaps), and a few arenas serve the many session threads.
	 * With 200 sessions of 1 MB at once this takes the peak RSS from
	 * 124 MiB to 36 MiB (make bench, BENCHMARKS.md).  Below 1 MiB a
	 * freed buffer stays in its arena for the next message, up to
	 * 2 MiB free at an arena's top: a buffer mapped afresh for each
	 * message costs a page fault every 4 KiB it is filled (0.7 ms for
	 * 200 KB on a virtual machine; the whole of a 200 KB message's
	 * reading costs less).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
	(void)mallopt(M_ARENA_MAX, 4);
	while ((ch = getopt_long(argc, argv, "c:fth", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': fg = true; break;
		case 't': test = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (test)
		return test_config(path);
	if ((cfg = load_for_start(path)) == NULL)
		return 2;
	log_init("embargo-milter", fg);
	if (open_milter(cfg) < 0)
		return 2;
	state_set_config(cfg);
	if (!fg && daemon(0, 0) < 0) {
		(void)fprintf(stderr, "embargo-milter: daemon: %s\n",
		    strerror(errno));
		return 2;
	}
	return run(path, cfg);
}
