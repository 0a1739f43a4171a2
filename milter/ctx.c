/*
 * ctx.c - the one reset of a message context
 *
 * Called from envfrom (a new transaction), eom, abort and close, so that
 * nothing from one message leaks into the next on the same connection.
 */

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include "milter.h"

/* msg_reset - forget the message; release its config and busy count */

void
msg_reset(struct msg_ctx *m)
{
	if (m->cfg != NULL) {
		state_config_release(m->cfg);
		state_busy_dec();
	}
	m->cfg = NULL;
	free(m->sender);
	m->sender = NULL;
	strv_free(&m->rcpts);
	spool_reset(&m->in);
	if (m->raw.data != NULL)
		explicit_bzero(m->raw.data, m->raw.len);
	buf_free(&m->raw);
	m->header_bytes = 0;
	m->too_big = false;
	m->header_too_big = false;
	m->late = false;
	m->standby = false;
	m->qid[0] = '\0';
	m->resend_key[0] = '\0';
}
