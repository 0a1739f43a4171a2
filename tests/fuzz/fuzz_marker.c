/*
 * fuzz_marker - the hand-written text readers (libFuzzer): the embargo
 * marker and date parser, the title block, the secret part of a patch,
 * the word-run fingerprints with their Unicode normalisation, copy ids,
 * and HTML read as text
 */
#include <gmime/gmime.h>

#include "fuzz.h"
#include "../../policy/policy.h"
#include "../../util/emtime.h"

static struct config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg = fuzz_config();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const unsigned char key[32] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f";
	const char *p = (const char *)data, *end = p + len;
	char id[EM_COPY_ID_LEN + 1];
	struct policy_marker m;
	struct policy_prints pr;
	struct buf b;
	time_t when;
	size_t used;

	for (const char *line = p; line < end; ) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		(void)policy_marker_scan(&cfg->embargo_phrases, line, n, &m);
		(void)em_time_parse(line, n, &when, &used);
		line += n + 1;
	}
	buf_init(&b);
	policy_title_block(p, len, &b);
	buf_reset(&b);
	policy_secret_text(p, len, &b);
	buf_free(&b);
	policy_prints(p, len, key, sizeof(key), &pr);
	policy_prints_free(&pr);
	(void)em_copy_id_find(p, len, id);
	buf_init(&b);
	policy_html_to_text(p, len, &b);
	buf_free(&b);
	(void)policy_revision_find(len > 0 && p[len - 1] == '\0' ? p : "");
	return 0;
}
