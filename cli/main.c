/*
 * main.c - embargoctl's main(): the command table is embargoctl.c
 * (embargoctl_run()), which the unit tests link without this file
 */

/* Application-specific. */
#include "cli.h"

/* main - embargoctl */

int
main(int argc, char **argv)
{
	return embargoctl_run(argc, argv);
}
