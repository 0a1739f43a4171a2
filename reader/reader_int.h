/*
 * reader_int.h - what the files of reader/ share among themselves only:
 * the wire between the daemon and embargo-reader
 *
 * A request: struct reader_req, the current facts (read_more only) and
 * the message; the reader passes it to its child over a pipe.  The
 * child answers over another: struct reader_kid_rep, then rc, the
 * reason, the facts.  The reader answers the daemon: struct reader_rep
 * (what became of the reading) and, when it ran, the child's answer.
 * Integers are this machine's: both ends are one build.  Every length
 * is checked against what is left and against READER_WIRE_MAX: the
 * daemon reads the reader's answer as it reads any input.
 */
#ifndef READER_INT_H
#define READER_INT_H

#include <stdint.h>

#include "reader.h"

#define READER_MAGIC	0x31524d45u	/* "EMR1" */
#define READER_WIRE_MAX	((size_t)3 << 30)

enum reader_op { READER_OP_READ = 1, READER_OP_MORE = 2 };

struct reader_req {
	uint32_t magic;
	uint32_t op;			/* enum reader_op */
	uint32_t payload;		/* read_more's payload flag */
	uint32_t cpu_seconds;		/* the child's ceilings */
	uint64_t memory;		/* bytes; 0: none */
	uint32_t max_use;		/* messages a child reads at most */
	uint32_t pad;
	uint64_t limits[4];		/* struct policy_limits, in order */
	uint64_t facts_len;		/* then the facts (read_more) */
	uint64_t msg_len;		/* then the message */
};

enum reader_end {
	READER_RAN = 0,			/* the child answered and exited 0 */
	READER_SIGNAL = 1,		/* it ended on a signal (detail) */
	READER_EXIT = 2,		/* it exited (detail) without answering */
	READER_CLOCK = 3,		/* it ran out of time on the clock */
	READER_ANSWER = 4,		/* its answer was over READER_WIRE_MAX */
	READER_FORK = 5,		/* no child could be forked */
	READER_CPU = 6,			/* it ran over its CPU ceiling */
};

struct reader_rep {
	uint32_t magic;
	uint32_t end;			/* enum reader_end */
	uint32_t detail;		/* the signal or exit status */
	uint32_t pad;
	uint64_t cpu_usec;		/* the child's CPU time for it */
	uint64_t maxrss_kb;		/* and the child's peak memory */
	uint64_t len;			/* then the child's answer */
};

/* wire.c: the facts policy_read() fills, as bytes and back. */
void	reader_put_facts(struct buf *b, const struct facts *f, bool forward);
int	reader_get_facts(const char *p, size_t n, const struct policy_limits *lim,
	    struct facts *f, struct em_err *err);
/* The child's answer: rc, the reason, the facts. */
void	reader_put_answer(struct buf *b, int rc, const struct em_err *err,
	    const struct facts *f);
int	reader_get_answer(const char *p, size_t n,
	    const struct policy_limits *lim, struct facts *f, int *rc,
	    struct em_err *err);
/* The limits as the request carries them, and back. */
void	reader_limits_put(struct reader_req *rq, const struct policy_limits *lim);
struct policy_limits reader_limits_get(const struct reader_req *rq);

/* The child's answer to the reader: this, then len bytes of answer. */
struct reader_kid_rep {
	uint64_t len;
	uint64_t maxrss_kb;
};

/* confine.c, in embargo-reader only. */
int	reader_confine_self(void);
int	reader_confine_child(uint64_t memory);
void	reader_preload(void);

#endif
