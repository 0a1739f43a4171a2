/*
 * fuzz_conf - the config loader (libFuzzer): any file, read by libconfuse
 * and checked by every rule, gives a config or a report, never a crash
 */
#include <unistd.h>

#include "fuzz.h"

static char path[] = "/tmp/em-fuzz-conf-XXXXXX";
static char fdpath[64];
static int fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((fd = mkstemp(path)) < 0)
		exit(2);
	(void)unlink(path);	/* read through the open descriptor; gone at exit */
	(void)snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_report rep = { 0 };
	struct config *cfg = NULL;

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, len, 0) != (ssize_t)len)
		return 0;
	if (conf_load(fdpath, &cfg, &rep) == EM_OK)
		conf_free(cfg);
	conf_report_free(&rep);
	return 0;
}
