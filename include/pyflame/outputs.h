/* outputs.h - profile files: checked up front, written in full, put in place atomically. */
#ifndef PYFLAME_OUTPUTS_H
#define PYFLAME_OUTPUTS_H

#include <stddef.h>

#include "pyflame/profile.h"
#include "pyflame/writers.h"

struct out_file {
	enum pf_format format;
	char *final;		/* where it ends up; NULL for standard output */
	char *tmp;		/* written here first, renamed over final at the end */
	int fd;
};

/*
 * Prepare an output: for a path, create a temporary file beside it (so an unwritable path
 * fails now, before any work, and a half-written profile never replaces a good one); for
 * "-", standard output.  Reports the error itself; 0 or -errno.
 */
int outputs__open(struct out_file *f, const char *path, enum pf_format format);
/* Change where a prepared output ends up (same directory as its temporary file). */
void outputs__retarget(struct out_file *f, const char *path);
/*
 * Write p to every prepared output and put each in place.  written[] collects the paths
 * written (borrowed from files).  Reports each failure; 0 or the last error.
 */
int outputs__write(struct out_file *files, size_t n, const struct profile *p,
		   const struct output_opts *oo, const char **written, size_t *nwritten);
/* Remove a prepared output that was not written. */
void outputs__discard(struct out_file *f);

#endif
