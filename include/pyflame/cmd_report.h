/* cmd_report.h - `pyflame report INPUT... -o FILE...`: profiles from raw logs, merged. */
#ifndef PYFLAME_CMD_REPORT_H
#define PYFLAME_CMD_REPORT_H

#include <stddef.h>

#include "pyflame/cmd_run.h"

struct report_opts {
	const char *raw;		/* the raw log to read (inputs[0]) */
	const char *const *inputs;	/* several: merged into one profile (merge.h) */
	size_t ninputs;
	const char *const *prefixes;	/* --strip-prefix: removed from file paths */
	size_t nprefixes;
	struct run_output *outputs;	/* none: RAW with .svg for .raw */
	size_t noutputs;
	enum pf_format default_format;
	int line_numbers;
	int threads;
	int merge;
	const char *title;
};

/* Returns pyflame's exit status. */
int cmd_report(const struct report_opts *o);

#endif
