/* writers.h - output formats.  Each writes the whole profile to an open stream. */
#ifndef PYFLAME_WRITERS_H
#define PYFLAME_WRITERS_H

#include <stdio.h>

#include "pyflame/meta.h"
#include "pyflame/profile.h"

enum pf_format {
	PF_FORMAT_NONE = 0,
	PF_FORMAT_SVG,
	PF_FORMAT_COLLAPSED,
	PF_FORMAT_RAW,		/* the raw sample log (rawlog.h): kept, not rendered */
	PF_FORMAT_SPEEDSCOPE,	/* speedscope's JSON file format */
	PF_FORMAT_PPROF,	/* gzipped profile.proto (go tool pprof, Pyroscope, ...) */
	PF_FORMAT_TIMELINE,	/* Chrome Trace Event JSON (Perfetto UI, Firefox Profiler) */
	PF_FORMAT_PSTATS,	/* marshalled cProfile stats (pstats.Stats, snakeviz, gprof2dot) */
	PF_FORMAT_HTML,		/* annotated source: one self-contained page */
	PF_FORMAT_TESTS_JSON,	/* the per-test table (--tests), JSON */
	PF_FORMAT_TESTS_CSV,	/* ... CSV */
	PF_FORMAT_TESTS_MD,	/* ... Markdown */
};

/* One output format: what -f calls it, the extensions that mean it, its writer. */
struct pf_format_info {
	enum pf_format format;
	const char *name;			/* -f NAME, and how pyflame calls it */
	const char *aliases[4];			/* other -f names, NULL-ended */
	const char *extensions[4];		/* ".svg"; the first names new files; NULL-ended */
	/* Write the whole profile to out: 0 or -errno.  NULL: kept, not rendered (raw). */
	int (*write)(const struct profile *p, const struct output_opts *o, FILE *out);
};

/* The row of a format; NULL for PF_FORMAT_NONE. */
const struct pf_format_info *pf_format__info(enum pf_format f);

/*
 * Format from a file name's extension; NONE if unknown.  Double extensions are looked at
 * first: .speedscope.json, .trace.json, .perfetto.json, .pb.gz; then .svg,
 * .txt/.folded/.collapsed, .raw, .json (speedscope), .pprof, .pstats/.prof, .html/.htm.
 */
enum pf_format pf_format__from_path(const char *path);
/*
 * From a -f argument ("svg", "collapsed", "folded", "txt", "speedscope", "pprof",
 * "timeline", "trace", "perfetto", "pstats", "html"); NONE if unknown.
 */
enum pf_format pf_format__from_name(const char *name);
const char *pf_format__name(enum pf_format f);
/* The extension a file of this format gets when pyflame names it ("pb.gz"), no dot. */
const char *pf_format__extension(enum pf_format f);

/* 0 or -errno (write errors). */
int writer_collapsed__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_svg__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_speedscope__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_pprof__write(const struct profile *p, const struct output_opts *o, FILE *out);
/* Needs o->rawlog_path (the sample times): -ENOENT without it, -EINVAL if it is no raw log. */
int writer_timeline__write(const struct profile *p, const struct output_opts *o, FILE *out);
/* Loads with pstats.Stats(path) on Python 2.7 and 3.x (writer_pstats.c says what is in it). */
int writer_pstats__write(const struct profile *p, const struct output_opts *o, FILE *out);
/* Reads the profile's source files (bounded; unreadable ones are listed in the page). */
int writer_html__write(const struct profile *p, const struct output_opts *o, FILE *out);
/* The per-test table of a --tests profile (testtable.h); empty without test frames. */
int writer_tests_json__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_tests_csv__write(const struct profile *p, const struct output_opts *o, FILE *out);
int writer_tests_md__write(const struct profile *p, const struct output_opts *o, FILE *out);
int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out);

/* --- shared by the writers ------------------------------------------------------- */

/* The end-of-run summary (stderr): top functions by own and total samples. */
struct pf_summary_extra {
	const char *const *files;	/* files written */
	size_t nfiles;
	uint64_t processes_seen;	/* every process of the tree, Python or not (0: unknown) */
	int merge;			/* --merge: tests of equal command lines as one */
	uint64_t tests_fallback;	/* --tests: pytest samples attributed from the stack */
	uint64_t tests_unreadable;	/* of which the environment did not read */
	const char *rawlog_path;	/* the samples' times, for the tests' (NULL: none) */
};
void summary__print(const struct profile *p, const struct pf_summary_extra *x, FILE *out);
/* The same as GitHub-flavoured Markdown (for $GITHUB_STEP_SUMMARY). */
void summary__print_markdown(const struct profile *p, const struct pf_summary_extra *x,
			     FILE *out);

#endif
