/*
 * state.c - the running configuration, the store and the fingerprint key
 *
 * A reload builds a whole new struct config and swaps the pointer; a
 * message keeps a reference to the one it started with, so a config never
 * changes under a message.  The old one is freed when its last message
 * ends.
 */

/* System library. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "outbox.h"

struct held_config {
	struct config *cfg;
	unsigned refs;			/* messages using it, +1 while current */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct held_config *held;	/* every config still referenced */
static size_t n_held;
static struct config *current;
static struct store *the_store;
static unsigned char print_key[32];

/* state_set_print_key - the fingerprint key, once at start-up */

void
state_set_print_key(const unsigned char key[32])
{
	memcpy(print_key, key, sizeof(print_key));
}

/* state_print_key - the fingerprint key (32 bytes) */

const unsigned char *
state_print_key(void)
{
	return print_key;
}

/* state_set_store - the store, opened once at start-up */

void
state_set_store(struct store *s)
{
	the_store = s;
}

/* state_store - the store (never NULL once running) */

struct store *
state_store(void)
{
	return the_store;
}

/* drop_ref - release one reference; free the config at zero */

static void
drop_ref(const struct config *cfg)
{
	for (size_t i = 0; i < n_held; i++) {
		if (held[i].cfg != cfg)
			continue;
		if (--held[i].refs == 0) {
			conf_free(held[i].cfg);
			held[i] = held[--n_held];
		}
		return;
	}
}

/* state_set_config - make cfg current (the state takes ownership) */

void
state_set_config(struct config *cfg)
{
	pthread_mutex_lock(&lock);
	held = xrealloc(held, (n_held + 1) * sizeof(*held));
	held[n_held].cfg = cfg;
	held[n_held].refs = 1;
	n_held++;
	if (current != NULL)
		drop_ref(current);
	current = cfg;
	pthread_mutex_unlock(&lock);
}

/* state_config_acquire - the current config, referenced for one message */

const struct config *
state_config_acquire(void)
{
	const struct config *c;

	pthread_mutex_lock(&lock);
	c = current;
	for (size_t i = 0; i < n_held; i++)
		if (held[i].cfg == current)
			held[i].refs++;
	pthread_mutex_unlock(&lock);
	return c;
}

/* state_config_release - a message is done with its config */

void
state_config_release(const struct config *cfg)
{
	if (cfg == NULL)
		return;
	pthread_mutex_lock(&lock);
	drop_ref(cfg);
	pthread_mutex_unlock(&lock);
}

static void (*wakers[WAKE_N])(void);

/* state_on_wake - the function that wakes thread w (set at its start) */

void
state_on_wake(enum state_wake w, void (*fn)(void))
{
	wakers[w] = fn;
}

/* state_wake - wake thread w, if it runs */

void
state_wake(enum state_wake w)
{
	if (wakers[w] != NULL)
		wakers[w]();
}

/* backoff_next - the next wait after a failure: doubled, at most the max */

int
backoff_next(int *b)
{
	*b = *b <= 0 ? 1 : *b >= STATE_BACKOFF_MAX / 2 ? STATE_BACKOFF_MAX :
	    *b * 2;
	return *b;
}

/* state_thread_start - a worker thread that never takes the daemon's signals */

int
state_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	rc = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? EM_OK : EM_EIO;
}
