/*
 * null_milter.c - the reference rows of make bench: the ceiling a milter
 * can reach
 *
 * Negotiates exactly the protocol steps and actions embargo-milter does
 * (milter/callbacks.c), so the MTA sends it the same header and body
 * steps and waits on the same replies; keeps the message as ours does and
 * accepts everything.  With -p it also parses every message with GMime
 * (the parse-only row).
 *
 *	null_milter [-p] -s unix:/path/to.sock
 */

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Utility library. */
#include <gmime/gmime.h>
#include <libmilter/mfapi.h>

static int parse;

struct msg { char *p; size_t n, cap; };

static void
add(SMFICTX *ctx, const void *p, size_t n)
{
	struct msg *m = smfi_getpriv(ctx);

	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return;
		(void)smfi_setpriv(ctx, m);
	}
	if (m->n + n > m->cap) {
		size_t cap = m->cap ? m->cap : 8192;
		char *q;

		while (cap < m->n + n)
			cap *= 2;
		if ((q = realloc(m->p, cap)) == NULL)
			return;
		m->p = q, m->cap = cap;
	}
	memcpy(m->p + m->n, p, n);
	m->n += n;
}

static sfsistat
negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx, (void)f2, (void)f3;
	*pf0 = f0 & (SMFIF_DELRCPT | SMFIF_ADDHDRS | SMFIF_CHGHDRS |
	    SMFIF_ADDRCPT);
	*pf1 = f1 & (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
	    SMFIP_NR_EOH | SMFIP_NR_BODY);
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
envfrom(SMFICTX *ctx, char **argv)
{
	struct msg *m = smfi_getpriv(ctx);

	(void)argv;
	if (m != NULL)
		m->n = 0;
	return SMFIS_NOREPLY;
}

static sfsistat
envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx, (void)argv;
	return SMFIS_NOREPLY;
}

static sfsistat
header(SMFICTX *ctx, char *name, char *value)
{
	add(ctx, name, strlen(name));
	add(ctx, ": ", 2);
	add(ctx, value, strlen(value));
	add(ctx, "\r\n", 2);
	return SMFIS_NOREPLY;
}

static sfsistat
eoh(SMFICTX *ctx)
{
	add(ctx, "\r\n", 2);
	return SMFIS_NOREPLY;
}

static sfsistat
body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	add(ctx, p, n);
	return SMFIS_NOREPLY;
}

static sfsistat
eom(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);

	if (parse && m != NULL) {
		GMimeStream *s = g_mime_stream_mem_new_with_buffer(m->p, m->n);
		GMimeParser *p = g_mime_parser_new_with_stream(s);
		GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);

		if (msg != NULL)
			g_object_unref(msg);
		g_object_unref(p);
		g_object_unref(s);
	}
	return SMFIS_ACCEPT;
}

static sfsistat
close_cb(SMFICTX *ctx)
{
	struct msg *m = smfi_getpriv(ctx);

	if (m != NULL) {
		free(m->p);
		free(m);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc d = {
		"null-milter", SMFI_VERSION, SMFIF_DELRCPT | SMFIF_ADDHDRS |
		    SMFIF_CHGHDRS | SMFIF_ADDRCPT,
		NULL, NULL, envfrom, envrcpt, header, eoh, body, eom, NULL,
		close_cb, NULL, NULL, negotiate
	};
	const char *sock = NULL;
	int c;

	while ((c = getopt(argc, argv, "ps:")) != -1) {
		if (c == 'p')
			parse = 1;
		else if (c == 's')
			sock = optarg;
		else
			return 2;
	}
	if (sock == NULL) {
		fprintf(stderr, "usage: null_milter [-p] -s unix:/path\n");
		return 2;
	}
	g_mime_init();
	if (strncmp(sock, "unix:", 5) == 0)
		(void)unlink(sock + 5);
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(d) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot set up %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
