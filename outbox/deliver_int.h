/*
 * deliver_int.h - between the delivery workers' files (outbox/ alone):
 * the workers (deliver.c) take an entry one step further with what
 * outcome.c commits, build.c builds and warm.c keeps in memory
 *
 * What it owns: the seams a unit test gives its own of:
 * the send and the clock the workers use, smtp_send() and time() in the
 * daemon.  Every function returns 0 or a negative EM_E* code with the
 * reason in *err, unless it says otherwise.
 */
#ifndef DELIVER_INT_H
#define DELIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "outbox.h"

/* What the workers send through and read the time from. */
struct deliver_io {
	int	(*send)(const char *host, int port, const char *from,
		    const char *rcpt, const char *data, size_t len,
		    char *queue_id, size_t qsz, bool *permanent,
		    struct em_err *err);
	time_t	(*clock)(time_t *);
};

/* deliver.c: one entry one step further (built, sent, or what became of
 * it recorded); a failure to read or record is returned. */
int	deliver_process(const struct config *cfg, uint64_t id,
	    const struct deliver_io *io, struct em_err *err);

/* outcome.c: one entry's change, committed through the group commit
 * before it returns (a change that fails leaves the entry as it was). */
int	outcome_built(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, const struct buf *copy,
	    struct em_err *err);
int	outcome_waiting(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, const char *why, struct em_err *err);
int	outcome_retry(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, const char *why, struct em_err *err);
int	outcome_attempt(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, struct em_err *err);
/* What the listener said of one send (rc, permanent, its queue id or
 * its reply) recorded: sent, refused for good, or tried again. */
int	outcome_answer(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, int rc, bool permanent,
	    const char *qid, const char *reply, struct em_err *err);
/* 0: the entry may leave; 1: it waits for its hold's date (recorded);
 * < 0: its hold or advisory cannot be read, so it is not sent now. */
int	outcome_held_back(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, struct em_err *err);

/* build.c: a queued copy built and committed as built, into data (EM_OK),
 * or the failure to build recorded (1); EM_E* when nothing could be. */
int	build_copy(const struct deliver_io *io, const struct config *cfg,
	    const struct store_outbox *ob, struct buf *data, struct em_err *err);
/* The members' TLP:AMBER CSAF document a copy carries, if any (csaf.c). */
int	csaf_attachment(const struct config *cfg, const struct store_outbox *ob,
	    const struct store_post *p, bool discuss, struct buf *doc,
	    char *name, size_t namesz, struct em_err *err);
/* The calling worker's kept post wiped and freed (it ends). */
void	build_thread_done(void);

/* warm.c: a prepared release's sealed bytes in data, decrypted. */
int	warm_unseal_release(const struct store_outbox *ob, struct buf *data,
	    struct em_err *err);
/* The calling worker's kept posting freed (it ends). */
void	warm_thread_done(void);
/* Every warm posting wiped and freed (the workers have ended). */
void	warm_clear(void);

#endif
