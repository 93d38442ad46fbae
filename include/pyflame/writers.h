/* writers.h - output formats.  Each writes the whole profile to an open stream. */
#ifndef PYFLAME_WRITERS_H
#define PYFLAME_WRITERS_H

#include <stdio.h>

#include "pyflame/profile.h"

enum pf_format {
	PF_FORMAT_NONE = 0,
	PF_FORMAT_SVG,
	PF_FORMAT_COLLAPSED,
	PF_FORMAT_RAW,		/* the raw sample log (rawlog.h): kept, not rendered */
};

/* Format from a file name's extension (.svg, .txt/.folded/.collapsed, .raw); NONE if unknown. */
enum pf_format pf_format__from_path(const char *path);
/* From a -f argument ("svg", "collapsed", "folded", "txt"); NONE if unknown. */
enum pf_format pf_format__from_name(const char *name);
const char *pf_format__name(enum pf_format f);

/* 0 or -errno (write errors). */
int writer_collapsed__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_svg__write(const struct profile *p, const struct output_opts *o, FILE *out);
int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out);

/* The end-of-run summary (stderr): top functions by own and total samples. */
struct pf_summary_extra {
	const char *const *files;	/* files written */
	size_t nfiles;
};
void summary__print(const struct profile *p, const struct pf_summary_extra *x, FILE *out);

#endif
