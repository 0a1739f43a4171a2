/*
 * fuzz_mime - feed mutated messages to policy_read() and policy_classify()
 *
 * Built as a libFuzzer target when FUZZ_LIBFUZZER is defined; otherwise a
 * smoke run: a fixed-seed mutation loop over the seed messages given on
 * the command line, under ASan and UBSan, for make check.  The test is
 * that nothing crashes, leaks past the sanitizers, or hangs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gmime/gmime.h>

#include "../../util/em.h"
#include "../../conf/conf.h"
#include "../../policy/policy.h"

static struct config *cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct policy_limits lim = { 20, 500, 65536 };
	struct policy_envelope env;
	const char *rcpts[] = { "someone@outsider.example",
	    "predisclosure@lists.example.org" };
	struct policy_decision d;
	struct em_err err;
	struct facts f;

	facts_init(&f);
	if (policy_read((const char *)data, len, &lim, &f, &err) == EM_OK) {
		policy_classify(cfg, &f);
		env.sender = "security@example.org";
		env.rcpts = rcpts;
		env.n_rcpts = 2;
		policy_decide(cfg, &f, &env, NULL, 1795000000, &d);
	}
	facts_free(&f);
	return 0;
}

#ifndef FUZZ_LIBFUZZER
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
mutate(struct buf *b)
{
	static const char *tokens[] = { "\r\n", "--", "boundary=", "=?utf-8?B?",
	    "Content-Type: multipart/mixed; boundary=x\r\n", "=\r\n", "<", "&#",
	    "EMBARGOED UNTIL ", "2026-12-01 12:00 UTC", "\0", "\xff" };
	size_t pos = b->len ? next() % b->len : 0;

	switch (next() % 4) {
	case 0:
		if (b->len)
			b->data[pos] = (char)next();
		break;
	case 1: {
		const char *t = tokens[next() % (sizeof(tokens) / sizeof(*tokens))];
		size_t tl = strlen(t) ? strlen(t) : 1;
		struct buf nb;

		buf_init(&nb);
		buf_append(&nb, b->data, pos);
		buf_append(&nb, t, tl);
		buf_append(&nb, b->data + pos, b->len - pos);
		buf_free(b);
		*b = nb;
		break;
	}
	case 2:
		if (b->len > pos + 8)
			memmove(b->data + pos, b->data + pos + 8, b->len - pos - 8),
			    b->len -= 8;
		break;
	default:
		b->len = pos;
		break;
	}
}

int
main(int argc, char **argv)
{
	struct conf_report rep = { 0 };
	long iterations = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
	long runs = 0;

	if (iterations <= 0) {
		fprintf(stderr, "usage: fuzz_mime ITERATIONS CONF SEED...\n");
		return 2;
	}
	g_mime_init();
	if (conf_load(argv[2], &cfg, &rep) != EM_OK) {
		fprintf(stderr, "fuzz_mime: cannot load %s\n", argv[2]);
		return 2;
	}
	for (int s = 3; s < argc; s++) {
		FILE *fp = fopen(argv[s], "rb");
		struct buf seed;
		char chunk[4096];
		size_t n;

		if (fp == NULL)
			return 2;
		buf_init(&seed);
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			buf_append(&seed, chunk, n);
		fclose(fp);
		for (long i = 0; i < iterations; i++) {
			struct buf b;

			buf_init(&b);
			buf_append(&b, seed.data, seed.len);
			for (uint32_t k = next() % 8 + 1; k > 0; k--)
				mutate(&b);
			LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
			buf_free(&b);
			runs++;
		}
		buf_free(&seed);
	}
	printf("fuzz_mime: %ld inputs, no crash\n", runs);
	conf_free(cfg);
	conf_report_free(&rep);
	return 0;
}
#endif
