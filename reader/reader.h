/*
 * reader.h - the confined reader: outsiders' mail parsed in a process that
 * holds no secret and can reach none
 *
 * What it is for: policy_read() and policy_read_more() (GMime, charsets,
 * HTML, archives, PDF: every parser of outsiders' content) run in
 * embargo-reader, a program of its own (reader/main.c), never in the
 * daemon that holds the store of embargoed texts and talks to the agent
 * that holds the list's key.  reader_read() and reader_read_more() have
 * the signatures of the two they stand for; the facts come back over a
 * socket (reader/wire.c) and are read with ceilings, as any input is.
 *
 * How it is confined (reader/confine.c): embargo-reader is started with
 * posix_spawn() (a fresh program: nothing of the daemon's memory), with
 * no descriptor but its socket and stderr; it loads what it will need
 * (the charset converters above all) and then a seccomp filter (Debian's
 * libseccomp) that answers every open with EACCES and ends it on a
 * socket, connect or exec: it cannot reach the store, the keyring, the
 * agent or the network.  Messages are read in a child of it that reads at
 * most reader_max_use of them (then a new one is forked at once), under a
 * CPU-time ceiling per message (reader_cpu_seconds, read by the reader
 * on the child's CPU clock), an address-space ceiling (reader_memory)
 * and a second filter that forbids signals to others, forks and raising
 * its ceilings; a parser that is taken over holds the messages its child
 * reads after it and nothing else (reader_max_use = 1: only its own).
 *
 * How it fails: a child that crashes or hits a ceiling gives
 * EM_EREADER with what happened ("stopped on signal 11", "over its CPU
 * ceiling of 10 s"; a child that had read others first is not taken at
 * its word: the message is read again by a new one): that message will
 * never read, and policy_unreadable()
 * answers 554 5.6.0.  A child that takes longer than six times its CPU
 * ceiling on the clock (a busy machine) is ended and gives EM_EIO (451).
 * The reader process itself ending (killed, say) is not the message's
 * fault: a new one is started and the message read again, once.  A
 * reader that cannot be started is EM_EIO.
 *
 * Threads: any thread may call reader_read(); each takes an idle reader
 * from the pool (at most "readers" of them, started as needed), waiting
 * when all are busy.  reader_start() and reader_stop() are the daemon's
 * (and embargoctl's); with reader = in-process, or before reader_start(),
 * the two stand-ins call policy/ in this process.
 */
#ifndef READER_H
#define READER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../util/em.h"
#include "../conf/conf.h"
#include "../policy/policy.h"

/* Start the pool as cfg says (reader, reader_program, the ceilings), and
 * one reader at once, so that a missing program is said at start. */
int	reader_start(const struct config *cfg, struct em_err *err);
void	reader_stop(void);
/* Whether reads go to confined readers now. */
bool	reader_confined(void);
/* The pids of the readers running now, for tests and logs: up to n. */
size_t	reader_pids(pid_t *out, size_t n);

int	reader_read(const char *msg, size_t len, const struct policy_limits *lim,
	    struct facts *f, struct em_err *err);
int	reader_read_more(const char *entity, size_t len,
	    const struct policy_limits *lim, bool payload, struct facts *f,
	    struct em_err *err);

/* The program's path: reader_program, else embargo-reader beside the
 * running program, else READER_LIBEXEC; into out. */
int	reader_program_path(const struct config *cfg, char *out, size_t n,
	    struct em_err *err);

#endif
