/* unwind.h - read the Python stacks of every thread of one interpreter process. */
#ifndef PYFLAME_UNWIND_H
#define PYFLAME_UNWIND_H

#include <stdint.h>
#include <sys/types.h>

#include "pyflame/profile.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/pyprobe.h"
#include "pyflame/remote.h"
#include "pyflame/strtab.h"

/* Why a thread sample was dropped: counted, shown in the summary. */
enum unwind_drop {
	UNWIND_DROP_READ,	/* a remote read failed (memory changed under us) */
	UNWIND_DROP_BADCODE,	/* a frame's code pointer is not a code object */
	UNWIND_DROP_BADSTR,	/* a name or file name is not a sane string */
	UNWIND_DROP_CYCLE,	/* the frame chain loops */
	UNWIND_DROP_THREADS,	/* thread list too long or looping */
	UNWIND_DROP_TASKS,	/* --async=all: a task list or await chain too long or
				   looping, or a task that cannot be read (freed) */
	UNWIND_DROP__COUNT,
};
const char *unwind_drop__name(enum unwind_drop d);

struct unwind_stats {
	uint64_t threads;			/* thread samples emitted */
	uint64_t tasks;				/* --async=all: waiting-task samples emitted */
	uint64_t drops[UNWIND_DROP__COUNT];
	uint64_t retries;			/* stacks read again, live, after a torn read */
	uint64_t recovered;			/* ... and read cleanly the second time */
	uint64_t exc_unknown;			/* --mode exception: a thread's exception
						   that could not be read (not sampled) */
};

/* One thread's stack, innermost frame first; storage owned by the unwinder. */
struct unwind_thread {
	uint64_t tstate_addr;
	pid_t tid;			/* kernel TID, 0 if unknown */
	int64_t interp_id;
	unsigned flags;			/* PF_SAMPLE_GIL, PF_SAMPLE_TRUNCATED */
	int in_gc;			/* the cyclic GC runs on this thread: it holds the GIL
					   while its interpreter's gc.collecting is set (3.7+) */
	unsigned depth;
	const struct pf_frame *frames;
	int task;			/* --async=all: the stack of an asyncio task waiting on
					   this thread's event loop, not what the thread runs */
	int exception;			/* unwinder__want_exceptions(): the thread handles an
					   exception (sys.exc_info() is set) */
	int native_call;		/* --native-markers: the innermost frame stands on a
					   call opcode: the thread runs C code it called */
	/*
	 * The frames each run of the evaluation loop (one C call of _PyEval_EvalFrameDefault)
	 * runs: acts[0] frames from the innermost, then acts[1], ...; a count can be 0 (a
	 * frame not started yet).  NULL when not known (a truncated or async stack).
	 */
	const uint32_t *acts;
	unsigned nacts;
};

typedef void (*unwind_emit_fn)(void *arg, const struct unwind_thread *t);

struct unwinder;

/*
 * An unwinder for one process: r is borrowed and must outlive it; names and files are
 * interned into strings.  max_depth bounds each stack (deeper stacks keep the innermost
 * max_depth frames and are flagged PF_SAMPLE_TRUNCATED).
 */
struct unwinder *unwinder__new(const struct remote *r, const struct pyruntime_loc *loc,
			       const struct py_offsets *off, struct strtab *strings,
			       unsigned max_depth);
void unwinder__free(struct unwinder *u);

/*
 * Code objects are cached by address.  A cached one is checked again (its name, file,
 * first line and line table pointers compared with the target's) when it is new, when a
 * frame's instruction lies outside its bytecode (3.11+), when the interpreter's code-object
 * generation moved (3.14+: that happens whenever any code object is freed, so nothing is
 * trusted across it), and otherwise at least every ns nanoseconds (default 10 ms).  The
 * checks ride in the sample's single batched read, so they are almost free; between them
 * a freed code object whose address was reused at once by another could be reported
 * under the old name for at most ns (never on 3.14).  ns == 0: check every code object in
 * every sample (free-threaded 3.14 builds always do).
 */
void unwinder__set_code_recheck(struct unwinder *u, uint64_t ns);

/*
 * --async (3.14+, a from py_offsets__from_async_debug(); 3.11-3.13, from
 * py_offsets__async_table()): a thread running an asyncio task
 * reports the task's own frames, from its coroutine up, under a frame named after the task
 * (its name, or "Task-n"), in place of the event loop's frames; above it come the tasks
 * that await it (task_awaited_by, the first one that is a task; 3.11-3.13: the task whose
 * fut_waiter it is, or whose fut_waiter its first done callback's closure holds, as
 * gather() makes), each as its await chain
 * under its name, up to a task nobody awaits.  A thread running no task, or one whose
 * task cannot be read, reports its stack as it is.
 *
 * all: besides, every task of the thread's list (3.11-3.13: of _asyncio's task sets,
 * read each sample, whose loop the thread runs) that is waiting and awaited by no other
 * task (a leaf, as CPython's sampler picks them) is emitted as a stack of its own
 * (unwind_thread.task set): its await chain from the coroutine down, under its name and
 * its awaiters' as above, with a leaf frame saying what it waits on:
 *   <awaiting sleep>	its innermost coroutine is asyncio.sleep()
 *   <awaiting NAME>	another task, by name
 *   <awaiting TYPE>	a future, by its type's name (Future, _GatheringFuture, ...)
 *   <ready>		nothing: it is scheduled and waits for its turn on the loop
 * A list or chain that is too long or loops, or a task that cannot be read, drops that
 * task's stack (UNWIND_DROP_TASKS or the read's cause).  0, or -ENOTSUP (the layout has
 * no coroutine frame offset; for all, no task list or coroutine state either).
 */
int unwinder__set_async(struct unwinder *u, const struct py_async_offsets *a, int all);

/*
 * 3.11-3.13, after unwinder__set_async(): look for _asyncio's current_tasks dict (event
 * loop -> running task) as sys.modules['_asyncio'].__dict__['_current_tasks'] of the main
 * interpreter; once found, each sample reads it and cuts a thread's stack at the
 * coroutine frame of the task it finds there; with all, also its WeakSet of tasks (its
 * data set), its eager set and its Task type.  Bounded reads outside the sample's plan; a
 * sys.modules unchanged since the last search in vain is not searched again.
 * 0 (found, or found before), -ENOENT (_asyncio not imported yet), -ENOTSUP (not a
 * 3.11-3.13 layout), -EFAULT (unreadable, or torn: try again later), -ESRCH.
 */
int unwinder__find_asyncio(struct unwinder *u);

/*
 * --native-markers (3.11+): note in unwind_thread.native_call when a thread's innermost
 * Python frame stands on a call opcode (py_offsets__call_ops()).  A Python callee would
 * be a frame above it; so the thread runs what it called in C: a builtin, an extension's
 * function, a blocking system call.  Each code object's bytecode is read once, when first
 * seen, into a map of its call sites: no cost per sample.  A call that has pushed its
 * Python frame but not started it yet (hidden, incomplete) reads as a call too.
 * 0, or -ENOTSUP (before 3.11, or a version without an opcode list).
 */
int unwinder__set_native_markers(struct unwinder *u);

/*
 * --mode exception: say of each sampled thread whether it handles an exception (struct
 * unwind_thread.exception).  -ENOTSUP when the layout does not say where that is.
 */
int unwinder__want_exceptions(struct unwinder *u);

/*
 * Sample every thread of every interpreter once, calling emit for each thread whose stack
 * was read cleanly.  Does not allocate after warm-up (caches grow by doubling).  Returns 0,
 * or -ESRCH (process gone) / -EFAULT (the runtime itself is unreadable).
 */
int unwinder__sample(struct unwinder *u, unwind_emit_fn emit, void *arg, struct unwind_stats *st);

/*
 * Ranges of the caller's to read in the next unwinder__sample()'s batched read, in the
 * same system call as the sample's own (iov and res are borrowed until then, n at most
 * UNWIND_RIDE_MAX).  Before the first emit, res[i] is 0 for a range read whole, or
 * -EFAULT / -ESRCH; -EAGAIN when the sample ended before its read (the ranges were not
 * read).  testattr's PYTEST_CURRENT_TEST read rides this way: no call of its own.
 */
#define UNWIND_RIDE_MAX 8
void unwinder__ride(struct unwinder *u, const struct remote_iov *iov, size_t n, int *res);

#endif
