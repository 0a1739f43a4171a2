/*
 * spool.h - a message as it arrives, with a bounded part in memory
 *
 * What it is for: a list server takes many large messages at once, and
 * each one kept whole in memory from its first byte would let anyone
 * exhaust the daemon's memory.  The first SPOOL_MEM bytes of a message
 * stay in memory, and the rest too while the messages in memory past
 * their first SPOOL_MEM bytes hold less than SPOOL_BUDGET in all (the
 * usual day: a file costs a 200 KB message a fifth of its time); past
 * that, the rest goes to a file without a name in state_dir,
 * encrypted (ChaCha20, libgcrypt) with a key made for that message and
 * held in memory alone, so that nothing plain rests on disk (SPEC 5) and
 * nothing is left behind by a crash.  At end of message, spool_take()
 * gives the whole message back; spool_gate_enter() lets only a few
 * large messages (past SPOOL_MEM) be read at one time.
 *
 * How it fails: a write that fails (a full disk) is kept in the spool,
 * and spool_take() returns it (EM_EIO, the reason in *err), so that the
 * message is deferred, never passed unread.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/em.h"

#define SPOOL_MEM	((size_t)64 * 1024)	/* bytes kept in memory */
#define SPOOL_BUDGET	((size_t)8 * 1024 * 1024)	/* all messages' bytes
					 * past SPOOL_MEM kept in memory */
#define SPOOL_PARSERS	2		/* large messages read at once */

struct spool {
	struct buf mem;		/* the bytes, while in memory */
	size_t	counted;	/* of them, taken from SPOOL_BUDGET */
	int	fd;		/* the file, -1 while in memory */
	size_t	len;		/* bytes added in all */
	void   *cipher;		/* gcry_cipher_hd_t of the file */
	unsigned char key[32];
	unsigned char nonce[12];
	char	error[256];	/* the first failure, "" while none */
};

/* Once, before any thread: the cipher library. */
int	spool_lib_init(struct em_err *err);

void	spool_init(struct spool *sp);
/* Add n bytes; dir is where a spool file goes (state_dir). */
void	spool_add(struct spool *sp, const char *dir, const void *p, size_t n);
bool	spool_on_disk(const struct spool *sp);
/* Past SPOOL_MEM (read inside the gate)? */
bool	spool_large(const struct spool *sp);
/* The whole message into out (appended); EM_EIO on any failure. */
int	spool_take(struct spool *sp, struct buf *out, struct em_err *err);
/* Forget the message: the file closed (it has no name), the key wiped. */
void	spool_reset(struct spool *sp);

/*
 * At most SPOOL_PARSERS callers between enter and leave.  A caller that
 * waits calls alive(arg) every SPOOL_GATE_TICK seconds (the daemon tells
 * the MTA it is still at work on the message, so that the MTA's timeout
 * for the end of message does not run out while it queues); false when
 * alive() said the MTA is gone: then the caller has not entered.
 */
#define SPOOL_GATE_TICK	10
bool	spool_gate_enter(bool (*alive)(void *), void *arg);
void	spool_gate_leave(void);

#endif
