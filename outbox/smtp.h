/*
 * smtp.h - the SMTP client that hands copies and releases to the MTA's
 * reinjection listener (a listener that runs no milter)
 *
 * How it fails: EM_EDELIVER with the server's reply or the socket error
 * in *err; *permanent is set when the listener answered 5xx.
 */
#ifndef SMTP_H
#define SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/em.h"

int	smtp_send(const char *host, int port, const char *from, const char *rcpt,
	    const char *data, size_t len, char *queue_id, size_t qsz,
	    bool *permanent, struct em_err *err);
/* The calling thread has nothing more to send now: its connection ends. */
void	smtp_idle(void);

#endif
