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
	PF_FORMAT_SPEEDSCOPE,	/* speedscope's JSON file format */
	PF_FORMAT_PPROF,	/* gzipped profile.proto (go tool pprof, Pyroscope, ...) */
	PF_FORMAT_TIMELINE,	/* Chrome Trace Event JSON (Perfetto UI, Firefox Profiler) */
};

/*
 * Format from a file name's extension; NONE if unknown.  Double extensions are looked at
 * first: .speedscope.json, .trace.json, .perfetto.json, .pb.gz; then .svg,
 * .txt/.folded/.collapsed, .raw, .json (speedscope), .pprof.
 */
enum pf_format pf_format__from_path(const char *path);
/*
 * From a -f argument ("svg", "collapsed", "folded", "txt", "speedscope", "pprof",
 * "timeline", "trace", "perfetto"); NONE if unknown.
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
int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out);

/* --- shared by the writers ------------------------------------------------------- */

struct strbuf;

/*
 * The time one sample stands for, in ns: the achieved tick interval (duration / ticks)
 * when both are known, else 1e9 / the requested rate, else 0 (unknown).
 */
double pf_meta__period_ns(const struct pf_meta *m);
/* Ticks per second actually achieved; 0 if unknown. */
double pf_meta__achieved_hz(const struct pf_meta *m);
/* The distinct Python versions of the profile's processes, "3.11.2, 3.12.1"; "" if none. */
void pf_meta__python_versions(const struct profile *p, struct strbuf *sb);

/* The end-of-run summary (stderr): top functions by own and total samples. */
struct pf_summary_extra {
	const char *const *files;	/* files written */
	size_t nfiles;
};
void summary__print(const struct profile *p, const struct pf_summary_extra *x, FILE *out);
/* The same as GitHub-flavoured Markdown (for $GITHUB_STEP_SUMMARY). */
void summary__print_markdown(const struct profile *p, const struct pf_summary_extra *x,
			     FILE *out);

#endif
