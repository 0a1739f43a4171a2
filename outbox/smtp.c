/*
 * smtp.c - a small blocking SMTP client for the reinjection listener
 *
 * One message, one recipient per transaction.  Each thread keeps its
 * connection while it has work (a fan-out sends hundreds of copies in a
 * row): RSET before each next message, and a fresh connection whenever
 * RSET fails.  An idle thread closes it (smtp_idle()), so a listener that
 * was removed or reloaded is met anew.  Every read has a timeout; lines
 * are made CRLF and dot-stuffed on the way out.
 */

/* System library. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Application-specific. */
#include "smtp.h"

#define SMTP_TIMEOUT	60	/* seconds per read or write */

struct conn {
	int	fd;
	char	in[4096];
	size_t	inlen;
};

/* dial - connect to host:port with timeouts */

static int
dial(const char *host, int port, struct em_err *err)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = { SMTP_TIMEOUT, 0 };
	char pbuf[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(pbuf, sizeof(pbuf), "%d", port);
	if ((rc = getaddrinfo(host, pbuf, &hints, &res)) != 0)
		return em_fail(err, EM_EDELIVER, "reinject %s: %s", host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return em_fail(err, EM_EDELIVER, "reinjection listener %s:%d: "
		    "%s; is it running? (the reinject section of the "
		    "configuration, its line in Postfix's master.cf)", host, port,
		    strerror(errno));
	return fd;
}

/* reply_code - the three digits that open a reply line, or -1 */

static int
reply_code(const char *p, size_t n)
{
	if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* reply - read a whole (multi-line) reply; its code, last line in line */

static int
reply(struct conn *c, char *line, size_t lsz)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		ssize_t r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->in) + 1;
			bool more = n > 4 && c->in[3] == '-';
			int code = reply_code(c->in, n);

			(void)snprintf(line, lsz, "%.*s", (int)(n > 2 ? n - 2 : 0),
			    c->in);
			memmove(c->in, c->in + n, c->inlen - n);
			c->inlen -= n;
			if (!more)
				return code;
			continue;
		}
		if (c->inlen == sizeof(c->in))
			return -1;
		r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (r <= 0)
			return -1;
		c->inlen += (size_t)r;
	}
}

/* command - send a line, expect a reply class */

static int
command(struct conn *c, const char *cmd, int want, char *line, size_t lsz)
{
	int code;

	if (cmd != NULL && em_write_all(c->fd, cmd, strlen(cmd)) < 0)
		return -1;
	code = reply(c, line, lsz);
	return code / 100 == want ? 0 : code;
}

/* send_data - the message, CRLF lines, dot-stuffed, then "." */

static int
send_data(int fd, const char *p, size_t n)
{
	struct buf b;
	bool bol = true;
	int rc;

	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (bol && p[i] == '.')
			buf_append(&b, ".", 1);
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf_append(&b, "\r", 1);
		buf_append(&b, p + i, 1);
		bol = p[i] == '\n';
	}
	if (!bol)
		buf_append(&b, "\r\n", 2);
	buf_append(&b, ".\r\n", 3);
	rc = em_write_all(fd, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* The calling thread's connection, kept between messages. */
static _Thread_local struct conn kept = { -1, "", 0 };
static _Thread_local char kept_host[256];
static _Thread_local int kept_port;

/* smtp_idle - the calling thread has no more to send: QUIT, close */

void
smtp_idle(void)
{
	if (kept.fd < 0)
		return;
	(void)em_write_all(kept.fd, "QUIT\r\n", 6);
	close(kept.fd);
	kept.fd = -1;
	kept.inlen = 0;
}

/* session - the kept connection, reset; or a new one, greeted */

static int
session(const char *host, int port, char *line, size_t lsz, struct em_err *err)
{
	int rc;

	if (kept.fd >= 0 && (kept_port != port || strcmp(kept_host, host) != 0))
		smtp_idle();
	if (kept.fd >= 0 && command(&kept, "RSET\r\n", 2, line, lsz) == 0)
		return 0;
	if (kept.fd >= 0) {
		close(kept.fd);
		kept.fd = -1;
	}
	kept.inlen = 0;
	if ((kept.fd = dial(host, port, err)) < 0)
		return EM_EDELIVER;
	(void)snprintf(kept_host, sizeof(kept_host), "%s", host);
	kept_port = port;
	rc = command(&kept, NULL, 2, line, lsz);
	if (rc == 0)
		rc = command(&kept, "EHLO embargo-milter\r\n", 2, line, lsz);
	return rc;
}

/* smtp_send - one message to one recipient; the queue id of the 250 */

int
smtp_send(const char *host, int port, const char *from, const char *rcpt,
    const char *data, size_t len, char *queue_id, size_t qsz, bool *permanent,
    struct em_err *err)
{
	struct conn *c = &kept;
	char line[512], cmd[600];
	const char *q;
	int rc;

	*permanent = false;
	queue_id[0] = '\0';
	line[0] = '\0';
	if ((rc = session(host, port, line, sizeof(line), err)) == EM_EDELIVER)
		return EM_EDELIVER;
	(void)snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", from);
	if (rc == 0)
		rc = command(c, cmd, 2, line, sizeof(line));
	(void)snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt);
	if (rc == 0)
		rc = command(c, cmd, 2, line, sizeof(line));
	if (rc == 0)
		rc = command(c, "DATA\r\n", 3, line, sizeof(line));
	if (rc == 0)
		rc = send_data(c->fd, data, len) < 0 ? -1 :
		    command(c, NULL, 2, line, sizeof(line));
	if (rc == 0) {
		/* Postfix: "250 2.0.0 Ok: queued as 4Xyz..." */
		if ((q = strstr(line, "queued as ")) != NULL)
			(void)snprintf(queue_id, qsz, "%.*s",
			    (int)strcspn(q + 10, " \r\n"), q + 10);
		return EM_OK;
	}
	if (rc < 0 || rc == 421) {
		/* Broken, or closing: not to be used again. */
		close(c->fd);
		c->fd = -1;
		c->inlen = 0;
	}
	*permanent = rc >= 500 && rc < 600;
	return em_fail(err, EM_EDELIVER, "reinjection listener %s:%d: %s",
	    host, port, rc > 0 ? line : strerror(errno));
}
