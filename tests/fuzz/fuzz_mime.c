/*
 * fuzz_mime - whole messages through policy_read(), policy_classify() and
 * policy_decide() (libFuzzer): nothing may crash, leak past the
 * sanitizers, or hang, whatever the bytes
 */
#include <gmime/gmime.h>

#include "fuzz.h"
#include "../../policy/policy.h"

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
	static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };
	const char *rcpts[] = { "someone@outsider.example",
	    "predisclosure@lists.example.org" };
	struct policy_envelope env = { "security@example.org", rcpts, 2 };
	struct policy_decision d;
	struct em_err err;
	struct facts f;

	facts_init(&f);
	if (policy_read((const char *)data, len, &lim, &f, &err) == EM_OK) {
		policy_classify(cfg, &f);
		policy_decide(cfg, &f, &env, NULL, 1795000000, &d);
	}
	facts_free(&f);
	return 0;
}
