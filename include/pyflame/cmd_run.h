/* cmd_run.h - `pyflame run` and `attach`: the session, and the options of all three. */
#ifndef PYFLAME_CMD_RUN_H
#define PYFLAME_CMD_RUN_H

#include <stddef.h>
#include <sys/types.h>

#include "pyflame/remote.h"
#include "pyflame/sampler.h"
#include "pyflame/writers.h"


struct run_output {
	char *path;		/* "-" = stdout */
	enum pf_format format;
};

struct run_opts {
	char **argv;			/* the command (run) */
	pid_t attach_pid;		/* attach: the process (argv unused) */
	int json;			/* dump: JSON instead of text */
	double rate_hz;
	struct run_output *outputs;
	size_t noutputs;
	enum pf_format default_format;	/* -f without -o */
	int line_numbers;
	double duration_s;		/* 0 = until the command exits */
	double grace_s;			/* wait after forwarding SIGTERM & co. (0 = forever) */
	unsigned max_depth;
	int threads;
	int merge;
	int tests;			/* --tests: a root frame per test and phase */
	enum pf_mode mode;
	int follow;
	enum remote_kind reader;
	const char *title;
	int sandbox;			/* confine the sampler with seccomp */
	int blocking;			/* stop the process for every sample */
	unsigned busy_poll_us;		/* stay awake up to this long after a ptrace stop */
	int busy_poll_fixed;		/* always that long (0: only while stops come close) */
	int crash_stacks;		/* print the Python stack of a process that crashes */
	int gc_frames;			/* a <GC> leaf on samples taken while the GC runs */
	int native_markers;		/* a <native> leaf where a thread runs C it called */
	int async;			/* stacks per asyncio task (3.14+): 1 the running
					   one, 2 (=all) waiting ones too */
	int native;			/* C frames too: 1 merged, 2 all (--native=all) */
	double dump_timeout_s;		/* print every stack once after this long (0: never) */
	int step_summary;		/* append a Markdown summary to $GITHUB_STEP_SUMMARY */
	unsigned repeat;		/* run: the command this many times (0, 1: once) */
	int live;			/* --live: the view on the terminal (live.h) */
};

/* Run the command under the profiler (attach_pid unused); pyflame's exit status. */
int cmd_run(const struct run_opts *o);
/* Attach to o->attach_pid, sample until it exits, --duration ends or Ctrl-C; detach. */
int cmd_attach(const struct run_opts *o);

#endif
