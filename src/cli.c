/* cli.c - placeholder until the launcher lands. */
#include "pyflame/cli.h"

#include <stdio.h>

int cli__main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("pyflame: not built yet\n", stderr);
	return PF_EXIT_FAILURE;
}
