/*
 * testtable.h - the per-test table of a profile made with --tests: one row per (process,
 * test, phase), or per (command line, test, phase) when processes are merged (xdist
 * workers).  Built from the synthetic root frames (testattr.h), so a raw log replayed
 * by `pyflame report` gives the same table.
 */
#ifndef PYFLAME_TESTTABLE_H
#define PYFLAME_TESTTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "pyflame/profile.h"
#include "pyflame/testattr.h"

#define TESTTABLE_TOP 3		/* own frames kept per row */

struct test_own {
	uint32_t name, file;	/* profile string ids */
	uint64_t samples;
};

struct test_row {
	uint32_t proc;		/* index into the profile's processes (the first, if merged) */
	uint32_t label;		/* string id of the frame's name */
	enum test_where where;
	const char *id;		/* TEST: borrowed from the label, id_len bytes */
	size_t id_len;
	enum test_phase phase;
	uint64_t samples;	/* every thread */
	uint64_t idle;		/* of which idle (wall mode: waiting) */
	uint64_t thread_samples;	/* of its busiest thread: what the time is taken from */
	uint32_t thread;		/* that thread (an index into the table's profile) */
	/*
	 * The busiest thread's time in it: in wall mode with the raw log, each of its samples
	 * counts the time since the tick before (when the thread was read there too), so
	 * ticks the sampler missed on a loaded machine count where they were missed; else
	 * thread_samples x the mean period.
	 */
	double seconds;
	struct test_own top[TESTTABLE_TOP];	/* own frames of working samples (of idle
						   ones if it only waited), most first */
	size_t ntop;
};

struct testtable {
	const struct profile *p;	/* what the ids refer to: the profile, or own */
	struct profile *own;	/* the raw log replayed, when it was */
	int timed;		/* seconds from sample times (the raw log) */
	double max_gap_s;	/* timed: the longest time between two ticks (a stalled sampler;
				   a phase boundary inside it is known to that much) */
	struct test_row *rows;	/* slowest first (seconds, then samples, then label) */
	size_t n;
	uint64_t samples;	/* samples under any test frame */
	double period_s;
};

/*
 * The table of p (an empty one when p has no test frames).  rawlog_path (may be NULL): the
 * raw log of the same samples, replayed for their times; the ids of the rows then refer
 * to t->p, its replay.  Unreadable, or not the same samples: p, samples x period.
 */
struct testtable *testtable__build(const struct profile *p, int merge, const char *rawlog_path);
void testtable__free(struct testtable *t);

#endif
