/*
 * cli.h - the command line: a table of commands, each with a table of its options from
 * which both the parser and its --help are made (git's parse-options), and dispatch.
 */
#ifndef PYFLAME_CLI_H
#define PYFLAME_CLI_H

#include "pyflame/exitcode.h"	/* TODO(issue 15): callers include it directly; then drop */

/* `pyflame ARGS...`: parse, run the command, return pyflame's exit status. */
int cli__main(int argc, char **argv);

#endif
