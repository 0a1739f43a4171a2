/*
 * state.c - the messages in hand, and the stop that waits for them
 *
 * SIGTERM lets the messages begun before it finish and defers those begun
 * after; the count of messages in hand tells main() when it may stop.
 */

/* System library. */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

/* Application-specific. */
#include "milter.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned busy;

/* state_set_stopping / state_stopping - SIGTERM: finish, take nothing new */

static bool stopping;

void
state_set_stopping(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_mutex_unlock(&lock);
}

bool
state_stopping(void)
{
	bool b;

	pthread_mutex_lock(&lock);
	b = stopping;
	pthread_mutex_unlock(&lock);
	return b;
}

/* state_set_standby / state_standby - set once at start, before the
 * milter's threads */

static bool standby;

void
state_set_standby(bool b)
{
	pthread_mutex_lock(&lock);
	standby = b;
	pthread_mutex_unlock(&lock);
}

bool
state_standby(void)
{
	bool b;

	pthread_mutex_lock(&lock);
	b = standby;
	pthread_mutex_unlock(&lock);
	return b;
}

/* state_busy_inc - a message is in hand */

void
state_busy_inc(void)
{
	pthread_mutex_lock(&lock);
	busy++;
	pthread_mutex_unlock(&lock);
}

/* state_busy_dec - a message is finished */

void
state_busy_dec(void)
{
	pthread_mutex_lock(&lock);
	if (busy > 0)
		busy--;
	pthread_mutex_unlock(&lock);
}

/* state_wait_idle - wait until no message is in hand, at most seconds */

bool
state_wait_idle(int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		unsigned b;

		pthread_mutex_lock(&lock);
		b = busy;
		pthread_mutex_unlock(&lock);
		if (b == 0)
			return true;
		(void)usleep(100000);
	}
	return false;
}

