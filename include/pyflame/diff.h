/*
 * diff.h - two profiles over one set of labelled paths, and their differential flame graph.
 *
 * Both profiles (raw logs or collapsed stacks) are read into one set of labelled paths
 * (struct pf_diff).  The graph is NEW's flame graph (frame widths are NEW's samples); each
 * frame is coloured by the change in its share of all samples, NEW's share minus BASE's
 * for the same path from the root, in percentage points.
 */
#ifndef PYFLAME_DIFF_H
#define PYFLAME_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pyflame/profile.h"

/* How stacks of the two profiles are matched. */
struct diff_opts {
	int line_numbers;	/* 0: frames "name (file)": matched by function */
	int keep_pids;		/* process frames keep their "[pid N]" (default: stripped) */
	int strip_process;	/* drop process frames: compare the Python stacks only */
};

enum { PF_DIFF_BASE = 0, PF_DIFF_NEW = 1 };

/*
 * Both profiles' stacks over one label table.  paths->count[i] is NEW's samples of path i
 * and base[i] BASE's (0 where one side lacks the path); paths->total is NEW's total.
 * Equal label sequences are one path.
 */
struct pf_diff {
	struct pf_paths *paths;
	uint64_t *base;
	uint64_t base_total;
	void *index;		/* private: path hash table */
};

struct pf_diff *pf_diff__new(void);
void pf_diff__free(struct pf_diff *d);
/* Intern a label (text need not be NUL-terminated). */
uint32_t pf_diff__label(struct pf_diff *d, const char *text, size_t len, enum pf_label_kind kind);
/* Add count samples of the path labels[0..n) (root first) to one side.  0 or -EOVERFLOW. */
int pf_diff__add(struct pf_diff *d, int side, const uint32_t *labels, size_t n, uint64_t count);
/* Add every stack of a profile (read from a raw log) to one side.  0 or -EOVERFLOW. */
int pf_diff__add_profile(struct pf_diff *d, int side, const struct profile *p,
			 const struct diff_opts *o);

/* Limits of the collapsed-stacks reader. */
#define PF_COLLAPSED_MAX_LINE   (4u << 20)	/* bytes per line */
#define PF_COLLAPSED_MAX_FRAMES 65536u		/* frames per line */
#define PF_COLLAPSED_MAX_COUNT  (UINT64_C(1) << 53)	/* per line; sums are checked too */

/* Where and why a collapsed file was refused. */
struct diff_parse_error {
	size_t line;		/* 1-based; 0 if not about a line (read error) */
	char msg[128];
};

/*
 * Read Brendan Gregg's collapsed stacks ("frame;frame;... COUNT" per line, root first)
 * into one side.  Blank lines and lines starting with '#' are skipped; CRLF is accepted;
 * control characters in frames become spaces.  A line without a count, an empty frame, a
 * NUL byte, a line longer than PF_COLLAPSED_MAX_LINE, too many frames or a count too large
 * is refused: -EINVAL with err filled (nothing of the file is kept then; the caller gives
 * up).  -EIO on a read error.  Returns the number of samples read through *samples.
 */
int pf_diff__read_collapsed(struct pf_diff *d, int side, FILE *in, const struct diff_opts *o,
			    uint64_t *samples, struct diff_parse_error *err);

struct strbuf;
/* sb = the label without its line: "name (file:12)" -> "name (file)", as pyflame writes it. */
void pf_diff__function_label(struct strbuf *sb, const char *s, size_t n);

/* The difffolded text: "path base new" per path, sorted bytewise.  0 or -errno. */
int pf_diff__write_collapsed(const struct pf_diff *d, FILE *out);

/* Change in a share of all samples, in percentage points: 100 * (n/n_total - b/b_total). */
static inline double pf_diff__change(uint64_t n, uint64_t n_total, uint64_t b, uint64_t b_total)
{
	double sn = n_total ? (double)n / (double)n_total : 0.0;
	double sb = b_total ? (double)b / (double)b_total : 0.0;

	return 100.0 * (sn - sb);
}

/* --- the differential flame graph (writer_svg.c) -------------------------------------- */

/* Full colour is reached at the largest change in the graph, but never below this. */
#define PF_DIFF_MIN_SATURATION 1.0	/* percentage points */

struct diff_svg_opts {
	const char *title;		/* default "pyflame diff: BASE → NEW" */
	const char *base_name, *new_name;	/* for the title and subtitle */
	double min_width_px;		/* as output_opts.min_width_px */
	/*
	 * Per label id of the diff (may be NULL): 1 draws the frame neutral (grey), as for a
	 * change that is not significant; its hover text says so.
	 */
	const uint8_t *neutral;
	size_t nneutral;
	/*
	 * Seconds of one run that a sample stands for, per side (the mean sampling period over
	 * the side's run count), 0 when unknown.  With both, a frame whose function is not
	 * significant is still coloured when its own path's time per run changed beyond
	 * sampling noise (z >= 3.29, Poisson counts): a function can keep its total while a
	 * path through it grows (spin() called from beta() instead of alpha()).
	 */
	double base_unit, new_unit;
};

struct pf_diff_stats {
	uint64_t base_vanished;		/* BASE samples whose path has no frame in NEW */
	double vanished_pct;		/* the same as a percentage of BASE's total */
	double saturation;		/* points at which the colour is full */
	double max_grew, max_shrank;	/* the largest changes of a shown frame (points) */
	const char *grew, *shrank;	/* their labels (borrowed from d->paths), or NULL */
	uint64_t shown, pruned;		/* frames */
};

/* Compute the figures the graph shows without writing it. */
void writer_svg__diff_stats(const struct pf_diff *d, const struct diff_svg_opts *o,
			    struct pf_diff_stats *st);
/* 0 or -errno (write errors); st (may be NULL) receives the figures shown. */
int writer_svg__write_diff(const struct pf_diff *d, const struct diff_svg_opts *o, FILE *out,
			   struct pf_diff_stats *st);

#endif
