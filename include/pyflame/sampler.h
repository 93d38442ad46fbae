/*
 * sampler.h - the processes of a traced tree and their samples.
 *
 * The sampler is the tracer's listener: it learns of every process the tracer sees
 * (new, exec'd, gone), probes each for a CPython runtime, and at every tick reads the
 * Python stacks of every thread of every Python process into the profile (and the raw
 * log, and the live view).  It also prints stacks on demand: SIGUSR1, --dump-on-timeout,
 * a process about to die of a signal, `pyflame dump`.
 *
 * It knows nothing of outputs, privileges or exit statuses: those are the session's
 * (cmd_run.c, cmd_dump.c).
 */
#ifndef PYFLAME_SAMPLER_H
#define PYFLAME_SAMPLER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pyflame/native.h"
#include "pyflame/remote.h"
#include "pyflame/stackdump.h"
#include "pyflame/tracer.h"
#include "pyflame/unwind.h"

struct live;
struct profile;
struct rawlog;

enum pf_mode {
	PF_MODE_WALL,		/* every thread, idle ones kept and marked */
	PF_MODE_CPU,		/* only threads the kernel reports running */
	PF_MODE_GIL,		/* only the thread holding the GIL */
	PF_MODE_EXCEPTION,	/* only threads handling an exception, idle ones marked */
};

const char *pf_mode__name(enum pf_mode m);

struct sampler_opts {
	enum pf_mode mode;
	enum remote_kind reader;
	unsigned max_depth;
	int blocking;		/* stop the process for every sample */
	int tests;		/* --tests: a root frame per test and phase (testattr.h) */
	int gc_frames;		/* a <GC> leaf on samples taken while the GC runs */
	int async;		/* stacks per asyncio task (3.14+): 1 the running one, 2
				   (=all) waiting ones too */
	int native;		/* C frames too: 1 merged, 2 all (--native=all) */
	int native_markers;	/* a <native> leaf where the thread runs C it called (3.11+) */
	int crash_stacks;	/* print the Python stack of a process about to die of a signal */
	int dump_on_alarm;	/* SIGALRM prints every stack (--dump-on-timeout) */
	unsigned repeat;	/* run --repeat: the driver's children are the repeats */
};

/* Why a process's sample was skipped at a tick (it could not be stopped to be read). */
enum sampler_skip {
	SKIP_UNINTERRUPTIBLE,	/* a thread in D: a vfork parent waiting for its child */
	SKIP_TIMEOUT,		/* a thread did not stop within the hold's wait */
	SKIP_DUTY,		/* the last holds took too long (see HOLD_DUTY) */
	SKIP__COUNT
};

const char *sampler_skip__name(enum sampler_skip why);

/* What the sampler counted; read at the end of a run. */
struct sampler_counts {
	uint64_t ticks, missed;
	size_t python_procs, python_threads;	/* that gave at least one sample */
	size_t python_found;			/* processes found running a CPython we read */
	uint64_t skipped[SKIP__COUNT];		/* process samples skipped, by cause */
	uint64_t holds, held_ns, held_max_ns;	/* processes stopped to be read, how long */
	struct unwind_stats ustats;		/* thread samples dropped, retried */
	struct native_stats nstats;		/* --native: merged, dropped by cause */
	int tests_runner_seen;			/* --tests: a pytest or unittest process */
	uint64_t tests_fallback;		/* pytest samples attributed from the stack */
	uint64_t tests_unreadable;		/* of which the environment did not read */
	uint64_t state_reads;			/* thread states read from /proc ... */
	uint64_t state_reused;			/* ... and taken as still quiet, unread */
};

/* One repeat of run --repeat: its first process, and when it ran. */
struct sampler_repeat {
	pid_t pid;
	uint64_t start_ns, end_ns;	/* end 0: still running (or its end not seen) */
};

/* The tracer's callbacks; their argument is the sampler. */
extern const struct tracer_ops sampler__tracer_ops;

/*
 * A sampler adding to prof, its clock started at start_ns (pf_now_ns()).  The tracer is
 * made next, with sampler__tracer_ops and this sampler, and given with set_tracer().
 */
struct sampler *sampler__new(const struct sampler_opts *o, struct profile *prof,
			     uint64_t start_ns);
void sampler__set_tracer(struct sampler *sm, struct tracer *tr);
/*
 * lost: the tracer lacked CAP_SYS_PTRACE when it took the command, so a program the
 * command runs gains no privileges at exec; each one that would have is then named once
 * (named: a program already named, the command itself, or NULL).
 */
void sampler__set_gains_lost(struct sampler *sm, int lost, const char *named);
/* Read memory with this reader (before any process is added; attach may narrow it). */
void sampler__set_reader(struct sampler *sm, enum remote_kind reader);
/* Samples go to the raw log too (NULL: no longer). */
void sampler__set_rawlog(struct sampler *sm, struct rawlog *raw);
/* The live view is fed at every tick; it may end the sampling (live.h). */
void sampler__set_live(struct sampler *sm, struct live *live);
/* run --repeat: driver is the process whose children are the repeats. */
void sampler__set_repeat_driver(struct sampler *sm, pid_t driver);
/*
 * Follow pid from now on: the command just spawned, or a process attached to (probed at
 * once, its exec reported when the tracer can report it).
 */
void sampler__add(struct sampler *sm, pid_t pid, int probe_now);
/*
 * Does pid run a CPython we read?  Probed first if not known yet.  1 yes, 0 no CPython
 * found (yet), -1 a CPython it cannot read or sample (said).
 */
int sampler__is_python(struct sampler *sm, pid_t pid);
/*
 * Print pid's stacks once to out (stackdump.h), with command as its command line (NULL:
 * the profile's).  The caller holds the process stopped if it must be (with --native,
 * every thread: each one's C frames are read too).  0 or -errno.
 */
int sampler__print_stacks(struct sampler *sm, pid_t pid, const char *command,
			  const struct stackdump_opts *so, FILE *out);
/* The command ended: what fork children held back counts now. */
void sampler__finish(struct sampler *sm);
const struct sampler_counts *sampler__counts(const struct sampler *sm);
/* run --repeat: the repeats started so far. */
const struct sampler_repeat *sampler__repeats(const struct sampler *sm, unsigned *n);
void sampler__free(struct sampler *sm);

#endif
