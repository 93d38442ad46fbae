/* cmd_diff.h - `pyflame diff BASE... NEW...`: compare runs, per function, with a test. */
#ifndef PYFLAME_CMD_DIFF_H
#define PYFLAME_CMD_DIFF_H

#include <stddef.h>

#include "pyflame/diff.h"

/*
 * What the command line asked (cli.c fills it, cmd_diff() checks the values: a bad one
 * is a usage error named there).  Strings are argv's.
 */
struct diff_cmd_opts {
	struct diff_opts diff;		/* how the graph's frames are matched */
	const char *title;		/* NULL: 'pyflame diff: BASE → NEW' */
	const char **outputs;		/* none: the first NEW with .diff.svg */
	size_t noutputs;
	const char **base, **new;	/* --base FILE, --new FILE, in order */
	size_t nbase, nnew;
	char **operands;		/* BASE NEW, or more NEW runs (BASE runs with --new alone) */
	size_t noperands;
	const char **prefixes;		/* --strip-prefix DIR ('auto' allowed) */
	size_t nprefixes;
	const char *alpha;		/* --alpha A (NULL: 0.01) */
	const char *by;			/* --by time|share (NULL: time) */
	const char *format;		/* --format text|md|json (NULL: text) */
	const char *top;		/* --top N (NULL: 15) */
	const char *fail_if_slower;	/* --fail-if-slower PCT (NULL: no gate) */
};

/* Returns pyflame's exit status. */
int cmd_diff(const struct diff_cmd_opts *o);

#endif
