/* profile.h - aggregated samples: interned frames and stacks, per process and thread. */
#ifndef PYFLAME_PROFILE_H
#define PYFLAME_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pyflame/strtab.h"

/* One Python frame: ids into profile->strings, and a line (-1 = unknown). */
struct pf_frame {
	uint32_t name;		/* qualified name where the version has one */
	uint32_t file;
	int32_t line;
};

/* Sample flags. */
#define PF_SAMPLE_IDLE      0x1u	/* the thread was not running (wall mode keeps it) */
#define PF_SAMPLE_GIL       0x2u	/* the thread held the GIL */
#define PF_SAMPLE_TRUNCATED 0x4u	/* deeper than --max-depth: the root side was cut */

/* The name of the leaf frame a sample gets while the cyclic GC runs (no file, no line). */
#define PF_GC_FRAME "<GC>"
#define PF_NATIVE_FRAME "<native>"	/* --native-markers: the thread runs C it called */

struct pf_process {
	pid_t pid;
	uint32_t cmdline;	/* strtab id: shortened command line */
	uint32_t version;	/* strtab id: "3.12.1", or the empty string if not Python */
	uint64_t samples;
};

struct pf_thread {
	pid_t tid;
	uint32_t proc;		/* index into processes */
	uint32_t name;		/* strtab id: thread name (comm) */
	uint64_t samples;
};

/* One aggregated row: this stack was seen count times on this thread with these flags. */
struct pf_row {
	uint32_t thread;	/* index into threads */
	uint32_t stack;		/* index into stack_off */
	uint32_t flags;
	uint64_t count;
};

/*
 * Facts about the run that writers print where their format has room.  Zero / NULL means
 * "not known" and is left out.  The strings belong to the profile (set them with xstrdup);
 * profile__free() frees them.
 */
struct pf_meta {
	char *command;		/* the command line as the user typed it */
	char *mode;		/* "wall", "cpu", "gil" */
	double rate_hz;		/* requested */
	uint64_t start_unix_ns;	/* wall clock at start */
	uint64_t duration_ns;
	uint64_t ticks;		/* sampling ticks that ran */
	uint64_t ticks_missed;	/* deadlines that passed without a tick */
	uint64_t dropped;	/* thread samples dropped (torn reads etc.) */
};

struct profile {
	struct strtab *strings;

	struct pf_frame *frames;	/* interned frames; a stack holds indices into this */
	size_t nframes, frames_alloc;

	uint32_t *stack_data;		/* stacks: stack_data[stack_off[i] .. +stack_len[i]] */
	size_t stack_data_len, stack_data_alloc;	/* frame indices, root first */
	uint32_t *stack_off, *stack_len;
	size_t nstacks, stacks_alloc;

	struct pf_row *rows;
	size_t nrows, rows_alloc;

	struct pf_process *procs;
	size_t nprocs, procs_alloc;
	struct pf_thread *threads;
	size_t nthreads, threads_alloc;

	uint64_t total;			/* sum of every row's count */
	struct pf_meta meta;

	void *index;			/* private hash tables */
};

struct profile *profile__new(void);
void profile__free(struct profile *p);

/*
 * Register a process: one entry per pid, command line and version (a process that
 * exec'd is a new entry; what it sampled before stays where it was).  Idempotent; a NULL
 * cmdline or version matches the newest entry of pid, or makes one with "".
 */
uint32_t profile__process(struct profile *p, pid_t pid, const char *cmdline, const char *version);
/* Register a thread of process proc (idempotent per (proc, tid); updates a non-NULL name). */
uint32_t profile__thread(struct profile *p, uint32_t proc, pid_t tid, const char *name);
uint32_t profile__frame(struct profile *p, const struct pf_frame *f);
/* Intern a stack of frame indices, root first. */
uint32_t profile__stack(struct profile *p, const uint32_t *frames, size_t n);
/* Add count samples of stack on thread with flags. */
void profile__add(struct profile *p, uint32_t thread, uint32_t stack, uint32_t flags, uint64_t count);

/* --- shared by the writers ------------------------------------------------------- */

struct output_opts {
	int line_numbers;	/* label frames "name (file:line)"; 0 = "name (file)" */
	int threads;		/* a frame per thread under each process */
	int merge_processes;	/* one root per distinct command line instead of per pid */
	const char *title;	/* e.g. the command line */
	double min_width_px;	/* svg: prune frames narrower than this; <= 0 means 0.1 px */
	const char *rawlog_path;	/* timeline: the raw log to replay for sample times */
};

/*
 * Fold the profile into labelled stacks, the way every text format sees it: each path is
 * "process;[thread;][<truncated>;]frame;...;frame[;<idle>]" root first, with counts summed
 * over rows that fold to the same path (rows differing only in flags such as GIL, lines
 * under line_numbers = 0, equal command lines under merge_processes), sorted bytewise by
 * path (deterministic).  The process frame is "cmdline [pid N]" ("cmdline" when merged),
 * the thread frame "thread TID (name)".  Labels are freshly built strings.  o may be NULL
 * (line numbers on, nothing else).  It holds every joined line at once (about 1 KiB per
 * deep stack): the collapsed writer uses pf_paths__sorted() and writes label by label
 * instead; the tests keep this as the plain strcmp() reference that order is checked by.
 */
struct pf_folded {
	char *path;		/* frames joined by ';' */
	uint64_t count;
};
struct pf_folded *profile__fold(const struct profile *p, const struct output_opts *o, size_t *n);
void pf_folded__free(struct pf_folded *f, size_t n);

/*
 * "name (file:line)" or "name (file)"; file shortened to what follows site-packages/ etc.
 * ';' becomes ':' and control characters become ' ', so a label is safe in every format.
 * The buffer form truncates to size - 1 bytes.
 */
void profile__frame_label(const struct profile *p, uint32_t frame, int line_numbers,
			  char *buf, size_t size);
struct strbuf;
void profile__frame_label_sb(const struct profile *p, uint32_t frame, int line_numbers,
			     struct strbuf *sb);
/*
 * Group frames into functions, (name, file) pairs: every line of a function counts
 * together.  Returns map[frame] = function (numbered in the order of their (name, file)
 * string ids), *nfuncs, and in *fn_frame (unless NULL) one frame of each function, the
 * first by index, for its name and file.  The caller frees both arrays.
 */
uint32_t *profile__functions(const struct profile *p, size_t *nfuncs, uint32_t **fn_frame);
/* The part of a source path worth showing: "json/decoder.py", "requests/api.py", "app.py". */
const char *pf_short_file(const char *path);

/*
 * The labelled paths before they are joined into strings: what the SVG writer merges into
 * a tree.  Labels are interned (paths->labels), each with its kind and, for Python frames,
 * the profile string id of its file (for colouring).  Equal paths are merged; the order
 * of paths is unspecified.
 */
enum pf_label_kind {
	PF_LABEL_FRAME = 0,
	PF_LABEL_PROCESS,
	PF_LABEL_THREAD,
	PF_LABEL_TRUNCATED,
	PF_LABEL_IDLE,
};

#define PF_LABEL_IDLE_TEXT      "<idle>"
#define PF_LABEL_TRUNCATED_TEXT "<truncated>"

struct pf_paths {
	struct strtab *labels;
	uint8_t *kind;			/* per label: enum pf_label_kind */
	uint32_t *file;			/* per label: profile string id, UINT32_MAX if none */
	size_t labels_alloc;

	uint32_t *data;			/* label ids, root first */
	size_t data_len, data_alloc;
	size_t *off;			/* per path: start in data */
	uint32_t *len;			/* per path: number of labels */
	uint64_t *count;		/* per path: samples */
	size_t n, alloc;
	uint64_t total;
};
struct pf_paths *profile__paths(const struct profile *p, const struct output_opts *o);
void pf_paths__free(struct pf_paths *pp);
/* Path indices in the order of their joined texts (as profile__fold sorts), built lazily. */
size_t *pf_paths__sorted(const struct pf_paths *pp);
/* Write path i as "label;label;..." (no newline); 0 or -1 on a write error. */
int pf_paths__write_path(const struct pf_paths *pp, size_t i, FILE *out);
/*
 * Intern a label (text need not be NUL-terminated) with its kind and, for frames, the
 * file id it came from (UINT32_MAX: none).  Equal texts share one id.
 */
uint32_t pf_paths__label(struct pf_paths *pp, const char *text, size_t len,
			 enum pf_label_kind kind, uint32_t file);

#endif
