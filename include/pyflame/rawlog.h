/*
 * rawlog.h - the crash-safe sample stream.
 *
 * While it samples, pyflame appends every sample to a raw log: new strings, frames,
 * stacks, processes and threads are written once, the first time a sample uses them, and
 * each sample is a few bytes (thread, stack, flags, time delta).  The log is flushed at
 * least once a second, so a run killed with SIGKILL leaves a log that `pyflame report`
 * turns into any output format; it is also where the timeline's per-sample times come
 * from.  A truncated last record is ignored; a damaged stretch is skipped.
 *
 * Format: the 8-byte magic "PYFLRAW\x01", then records: a type byte and LEB128 fields.
 *   1 string  len, bytes                       (ids implicit, in order)
 *   2 frame   name, file, zigzag(line)         (ids implicit)
 *   3 stack   n, frame * n                      (ids implicit, frames root first)
 *   4 process index, pid, cmdline, version      (index == count: new; else an update)
 *   5 thread  index, process, tid, name
 *   6 sample  thread, stack, flags, dt          (dt: microseconds since the previous sample)
 *   7 meta    key (string bytes), value (string bytes)
 *   8 end
 * `pyflame run --repeat N` marks each process of repeat K with a meta record "repeat" =
 * "K PID", written when the process starts (before any of its samples), so the repeats
 * can be read apart (rawlog__read_repeat) and compared run by run (`pyflame diff`).
 */
#ifndef PYFLAME_RAWLOG_H
#define PYFLAME_RAWLOG_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pyflame/profile.h"

#define RAWLOG_MAGIC "PYFLRAW\x01"
#define RAWLOG_META_REPEAT "repeat"
#define RAWLOG_MAX_REPEATS 10000u	/* run --repeat's bound, and the reader's */

struct rawlog;

/*
 * Start a log on fd (ownership passes to the log); sample times are written relative to
 * start_ns (monotonic).  NULL with errno on failure.
 */
struct rawlog *rawlog__new(int fd, uint64_t start_ns);
/* Write the run's facts (command, mode, rate, start, duration, ...). */
void rawlog__meta(struct rawlog *l, const struct pf_meta *m);
/* Process pid (just started) belongs to repeat k (1-based) of run --repeat. */
void rawlog__repeat(struct rawlog *l, pid_t pid, unsigned k);
/* Append one sample; first writes whatever p interned since the last call. */
void rawlog__sample(struct rawlog *l, const struct profile *p, uint64_t t_ns, uint32_t thread,
		    uint32_t stack, uint32_t flags);
/* Write buffered records if a second has passed since the last flush (or force). */
int rawlog__flush(struct rawlog *l, uint64_t now_ns, int force);
/* Final meta, the end record, flush, close.  0 or the first write error. */
int rawlog__close(struct rawlog *l, const struct pf_meta *m);

/* Called for each sample while reading, in order, with its time since the start. */
typedef void (*rawlog_sample_fn)(void *arg, uint64_t t_ns, uint32_t thread, uint32_t stack,
				 uint32_t flags);

struct rawlog_info {
	uint64_t samples;
	int complete;		/* the end record was there (the run was not cut short) */
	int truncated;		/* a partial last record was left out */
	uint64_t damaged;	/* stretches that did not parse, read past */
	uint64_t skipped_bytes;	/* their bytes */
	unsigned repeats;	/* run --repeat: how many repeats the log marks (0: none) */
};

/*
 * Replay a log into p (a new profile; its meta is filled from the log's meta records).
 * each, if not NULL, sees every sample with its time.  A stretch that does not parse is
 * skipped up to the next place where several records in a row do (counted in info); ids
 * are implicit, so names after damage may be wrong.  0, -EINVAL (not a raw log), or -errno.
 */
int rawlog__read(FILE *in, struct profile *p, rawlog_sample_fn each, void *arg,
		 struct rawlog_info *info);
/* The same, keeping only the samples of repeat k (1-based; 0: all, as rawlog__read). */
int rawlog__read_repeat(FILE *in, struct profile *p, rawlog_sample_fn each, void *arg,
			struct rawlog_info *info, unsigned k);

#endif
