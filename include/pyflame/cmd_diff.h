/* cmd_diff.h - `pyflame diff BASE NEW`: a differential flame graph of two profiles. */
#ifndef PYFLAME_CMD_DIFF_H
#define PYFLAME_CMD_DIFF_H

#include <stddef.h>

#include "pyflame/diff.h"

struct diff_cmd_opts {
	struct diff_opts diff;		/* how frames are matched */
	const char *title;		/* NULL: 'pyflame diff: BASE → NEW' */
	const char *base, *new;		/* the two profiles */
	const char **outputs;		/* none: NEW with .diff.svg */
	size_t noutputs;
};

/* Returns pyflame's exit status. */
int cmd_diff(const struct diff_cmd_opts *o);

#endif
