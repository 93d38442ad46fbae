/* tracer.h - launch a command under ptrace and follow its whole process tree. */
#ifndef PYFLAME_TRACER_H
#define PYFLAME_TRACER_H

#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

/*
 * What the tracer tells its user.  Every callback runs on the tracer's thread between
 * waits; none may block for long.  Task stops are resumed by the tracer itself.
 */
struct tracer_ops {
	/*
	 * A new process joined the tree (fork, vfork, clone without CLONE_THREAD).  flags:
	 * TRACER_NEW_SHARED_VM when it may share its parent's memory until it execs (vfork,
	 * posix_spawn): what is read from it then is its parent's.
	 */
	void (*process_new)(void *arg, pid_t pid, pid_t parent, unsigned flags);
	/* pid finished an execve: its image is new (probe it again).  Reported only for
	 * processes that asked for exec events (tracer__exec_events). */
	void (*process_exec)(void *arg, pid_t pid);
	/* pid is gone (its last thread exited or it was killed). */
	void (*process_exit)(void *arg, pid_t pid);
	/* A sampling deadline passed; missed counts deadlines skipped since the last tick. */
	void (*tick)(void *arg, uint64_t now_ns, uint64_t missed);
	/* pyflame itself received a signal it does not handle (SIGUSR1, ...). */
	void (*signal)(void *arg, const struct signalfd_siginfo *si);
	/* A traced thread is about to receive a fatal signal (SIGSEGV, ...); it is stopped. */
	void (*fatal_signal)(void *arg, pid_t pid, pid_t tid, int sig);
	/*
	 * pyflame is about to stop itself because the command stopped for job control
	 * (Ctrl-Z; stopping 1), or it was continued (fg, bg; stopping 0): what pyflame
	 * changed on the terminal is put back meanwhile.
	 */
	void (*job_stop)(void *arg, int stopping);
};

struct tracer_opts {
	int follow;		/* follow forks, vforks and clones of new processes */
	uint64_t period_ns;	/* sampling period; 0 = no ticks */
	uint64_t duration_ns;	/* stop ticking after this long; 0 = until the command exits */
	uint64_t spin_ns;	/* after a stop, busy-poll up to this long for the next one
				 * before sleeping (0: always sleep); see spin() in tracer.c */
	int spin_adaptive;	/* only as long as stops keep coming that close together */
	uint64_t hold_wait_ns;	/* how long tracer__hold waits for threads to stop (0: 20 ms,
				 * what a tick can spend; a one-off dump can wait longer) */
	uint64_t grace_ns;	/* after forwarding SIGTERM/INT/HUP/QUIT sent to pyflame, wait this
				 * long for the command to end, then give up on it (0 = forever) */
	unsigned repeat;	/* spawn: run the command this many times (repeat.h); 0, 1: once */
};

/* How the command ended. */
struct tracer_result {
	int exec_errno;		/* nonzero: the command could not be executed (errno of execvp) */
	int exited;		/* 1: exit_code is valid */
	int exit_code;
	int signaled;		/* 1: term_sig killed it */
	int term_sig;
	int core_dumped;
	int abandoned_sig;	/* nonzero: the command outlived the grace period after pyflame
				 * got this signal; it was detached and runs on */
	int stopped_by;		/* attach mode: the signal that ended the session */
};

#define TRACER_NEW_SHARED_VM 0x1u

/* What the tracer saw, for the summary. */
struct tracer_counts {
	uint64_t processes;		/* processes in the tree, the command's included */
	uint64_t detached;		/* processes still running when the session ended */
	pid_t detached_pids[8];		/* the first of them */
	size_t ndetached_pids;
	uint64_t woke_awake;		/* wake-ups with a stop found while busy-polling */
	uint64_t woke_asleep;		/* ... found after sleeping in poll */
	uint64_t spun_ns;		/* time spent busy-polling */
};

/*
 * What a wait status means, decided once for every place that waits (the event loop,
 * tracer__hold, detaching).
 */
enum tracer_stop_kind {
	TRACER_STOP_GONE,	/* exited or killed: the task is no more */
	TRACER_STOP_SIGNAL,	/* signal-delivery-stop: sig is to be delivered on resume */
	TRACER_STOP_EVENT,	/* PTRACE_EVENT_STOP: a first stop, an interrupt, a group-stop */
	TRACER_STOP_NEW_TASK,	/* fork, vfork or clone event: a new task to learn of */
	TRACER_STOP_EXEC,	/* exec event: a new image */
	TRACER_STOP_OTHER,	/* any other event: resume */
};

struct tracer_stop {
	enum tracer_stop_kind kind;
	int sig;		/* SIGNAL: the signal; EVENT: the stop signal */
	int event;		/* PTRACE_EVENT_* (0 for a signal-delivery-stop) */
};

struct tracer_stop tracer__classify_stop(int status);

struct tracer;

struct tracer *tracer__new(const struct tracer_opts *o, const struct tracer_ops *ops, void *arg);
void tracer__free(struct tracer *t);

/*
 * Fork and exec argv[0] (PATH search as a shell does) as a seized tracee.  The command keeps
 * pyflame's stdin/stdout/stderr, environment, working directory and process group.  Returns
 * the command's pid, or -errno when pyflame itself could not start it (fork, ptrace).
 */
pid_t tracer__spawn(struct tracer *t, char *const argv[]);

/*
 * Attach to a running process with PTRACE_SEIZE: its leader, or with opts->follow every
 * thread and (through fork/clone events) its future children.  The process is not
 * stopped.  In this mode SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pyflame end the session
 * (tracer__run returns with res->stopped_by) instead of being forwarded.  0 or -errno
 * (-EPERM: see tracer__explain_eperm).
 */
int tracer__attach(struct tracer *t, pid_t pid);

/* One line on why attaching to pid was refused, and a hint line with the fix. */
void tracer__explain_eperm(pid_t pid);

/*
 * Run the event loop until the command exits: resume every stop, re-inject every signal,
 * forward SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pyflame, call the ops.  On return every
 * other traced task has been detached and left running.  0 or -errno.
 */
int tracer__run(struct tracer *t, struct tracer_result *res);

/* Detach every remaining task (also called by tracer__run); safe to call more than once. */
void tracer__detach_all(struct tracer *t);

/*
 * Stop a traced process for reading: its leader only (PTRACE_PEEKDATA needs a stopped
 * task), or with all_threads every traced thread (a consistent snapshot, --blocking).
 * Never waits without bound: a task that cannot stop now (a vfork parent, a zombie) is
 * not asked, and one that does not stop within a few milliseconds is given up on for
 * this time.  Events that arrive meanwhile are handled, and their callbacks are deferred
 * until the current tick returns.  0 when stopped; -ESRCH the process is gone, exiting or
 * not traced; -EAGAIN a thread cannot stop now; -ETIMEDOUT one did not stop in time;
 * -EBUSY another process is held.  Always pair with tracer__release(), which resumes
 * exactly what was held.
 */
int tracer__hold(struct tracer *t, pid_t pid, int all_threads);
void tracer__release(struct tracer *t);

/*
 * The scheduler state (a procfs_state letter) a held thread was in just before
 * tracer__hold() stopped it, so that a stopped thread is not taken for an idle one;
 * PROCFS_STATE_UNKNOWN (0) for a thread not held.
 */
int tracer__held_state(const struct tracer *t, pid_t tid);

/* What the tracer saw so far (final once tracer__run returned). */
const struct tracer_counts *tracer__counts(const struct tracer *t);

/*
 * Exec events.  A traced process reports its exec only after this asked for it: an exec
 * is a stop, and the short processes of a shell loop would each pay one for nothing.  Ask
 * once a process's image has been studied (its findings would go stale on exec); forks and
 * threads it makes later inherit the setting, and every exec switches it off again (the
 * new image is not studied yet).  Switching it on stops every thread of pid once.
 * tracer__exec_traced() says whether pid reports its exec.  0 or -errno.
 */
int tracer__exec_events(struct tracer *t, pid_t pid, int on);
int tracer__exec_traced(struct tracer *t, pid_t pid);

/* Stop sampling ticks (e.g. --duration reached); the command runs on. */
void tracer__stop_ticks(struct tracer *t);
/*
 * Sampling is over, as when --duration ends: stop the ticks; run waits for the command,
 * attach ends its session (detaches) at the next turn of the loop.
 */
void tracer__end_sampling(struct tracer *t);

#endif
