/* main.c - the entry point; everything else lives in libpyflame.a. */
#include "pyflame/cli.h"

int main(int argc, char **argv)
{
	return cli__main(argc, argv);
}
