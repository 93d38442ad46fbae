/*
 * merge.h - several runs (raw logs or collapsed stacks) into one profile.
 *
 * `pyflame report A B ...` and `pyflame diff` read every input through merge__load(): a
 * raw log is replayed, collapsed stacks are read with diff.c's reader and turned back
 * into frames ("name (file:line)" -> name, file, line; the first frame of a line is the
 * process).  File paths can be made relative to a root (--strip-prefix) so that runs from
 * different checkouts match.  Inputs are untrusted: a bad one is refused whole, with a
 * message naming what is wrong, never half-merged.
 */
#ifndef PYFLAME_MERGE_H
#define PYFLAME_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "pyflame/profile.h"

/* "--strip-prefix auto": per input, the deepest directory holding all its own files. */
#define MERGE_PREFIX_AUTO "auto"

struct merge_opts {
	const char *const *prefixes;	/* removed from the start of file paths; "auto" */
	size_t nprefixes;
	unsigned repeat;		/* a raw log of run --repeat: only repeat k (0: all) */
};

/* What one input held, for messages and the merged metadata. */
struct merge_input {
	uint64_t samples;
	int raw;		/* 1: a raw log; 0: collapsed stacks */
	int cut_short;		/* a raw log without its end record */
	char auto_prefix[256];	/* what "auto" stripped ("" if nothing) */
	char err[160];		/* why it was refused */
	struct pf_meta meta;	/* a raw log's facts (owned: merge_input__release()) */
	/*
	 * A raw log's time per sampled tick: from its first to its last sample, over the
	 * ticks between that sampled something (0 if unknown).  Unlike duration / ticks it
	 * leaves out the start before Python ran, when a loaded machine misses most ticks.
	 */
	double tick_ns;
	unsigned repeats;	/* run --repeat: the repeats a raw log marks (0: none) */
};

void merge_input__release(struct merge_input *in);

/* How many repeats (run --repeat) the raw log at path marks; 0 if none or not a raw log. */
unsigned merge__repeats(const char *path);

/*
 * Add every sample of the file at path to dst.  0, or -EINVAL (in->err says why: not a
 * raw log, a malformed line, no samples, ...), -EOVERFLOW, or -errno (cannot read).
 * dst is unchanged on failure.  in is overwritten (release it first if reused).
 */
int merge__load(struct profile *dst, const char *path, const struct merge_opts *o,
		struct merge_input *in);

/*
 * The metadata of several runs, into dst->meta: "N runs: PATH (command), ..." as the
 * command, the summed duration, ticks and dropped samples, the earliest start, mode and
 * rate where all runs agree.  One input: its own facts.  Collapsed inputs have none.
 */
void merge__meta(struct profile *dst, const struct merge_input *in,
		 const char *const *paths, size_t n);

/* The path with the first matching prefix removed (and any '/' after it); borrowed. */
const char *merge__strip(const char *path, const char *const *prefixes, size_t n);

#endif
