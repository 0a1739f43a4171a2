/*
 * fuzz.h - what the libFuzzer targets share: the config they run with
 * (EM_FUZZ_CONF, else the example config, read from the top of the tree)
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "../../util/em.h"
#include "../../conf/conf.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* fuzz_config - the config every input is judged with, loaded once (and
 * GMime initialised, which every target but the config loader's needs) */
static inline struct config *
fuzz_config(void)
{
	struct conf_report rep = { 0 };
	const char *path = getenv("EM_FUZZ_CONF");
	struct config *cfg = NULL;

	g_mime_init();
	if (path == NULL)
		path = "conf/embargo-milter.conf";
	if (conf_load(path, &cfg, &rep) != EM_OK) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "%s\n", rep.v[i].text);
		fprintf(stderr, "fuzz: cannot load %s (set EM_FUZZ_CONF)\n", path);
		exit(2);
	}
	conf_report_free(&rep);
	return cfg;
}

#endif
