/* stackdump.h - print the current Python stacks of a process, like a traceback. */
#ifndef PYFLAME_STACKDUMP_H
#define PYFLAME_STACKDUMP_H

#include <stdio.h>
#include <sys/types.h>

#include "pyflame/strtab.h"
#include "pyflame/unwind.h"

typedef int (*stackdump_frames_fn)(void *arg, const struct unwind_thread *t,
				   const struct pf_frame **frames, unsigned *n, const char **why);

struct stackdump_opts {
	int json;		/* one JSON object instead of text */
	pid_t first_tid;	/* print this thread first, in full (the one that crashed) */
	int others_brief;	/* other threads: their innermost frame only */
	const char *heading;	/* text mode: the line before the stacks */
	/*
	 * Threads known to be idle, read before the process was stopped for the dump (a
	 * stopped thread reads as stopped, not as running or sleeping); NULL: read now.
	 */
	const pid_t *idle_tids;
	size_t nidle_tids;
	/*
	 * dump --native: the frames to print for t instead of its own (merged with its C
	 * frames, whose line is PF_LINE_NATIVE), innermost first, borrowed until the next
	 * call: 0; or < 0 with why set, and t's own frames are printed, with why.
	 */
	stackdump_frames_fn frames_of;
	void *frames_arg;
};

/*
 * Sample every thread of the process once through u and print the stacks to out, most
 * recent call last, marking the GIL holder and idle threads.  0, or the sampling error.
 */
int stackdump__print(struct unwinder *u, const struct strtab *strings, pid_t pid,
		     const char *cmdline, const char *version, const struct stackdump_opts *o,
		     FILE *out);

#endif
