/*
 * tracer.c - launch a command as a seized tracee and follow its process tree.
 *
 * The child waits on a pipe until pyflame has PTRACE_SEIZEd it, then execs.  SEIZE (not
 * TRACEME) is what makes job control work: group-stops are reported as
 * PTRACE_EVENT_STOP and parked with PTRACE_LISTEN, so Ctrl-Z, `fg` and SIGSTOP/SIGCONT
 * behave as without pyflame.  Every other stop is resumed at once, re-injecting the
 * signal that caused it.  Events come from a signalfd (SIGCHLD and the signals sent to
 * pyflame) and sampling deadlines from the tick clock (tickclock.h), in one poll loop.
 */
#include "pyflame/tracer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/exitcode.h"
#include "pyflame/privs.h"
#include "pyflame/procfs.h"
#include "pyflame/repeat.h"
#include "pyflame/tickclock.h"
#include "pyflame/util.h"

/* How long to wait before passing a signal on, to see whether the command got it too. */
#define FORWARD_DELAY_NS 50000000ull

#define TASK_STARTED   0x1u	/* initial auto-attach stop seen (or not expected) */
#define TASK_DETACHING 0x2u
#define TASK_EXEC      0x4u	/* its ptrace options include PTRACE_O_TRACEEXEC */
#define TASK_OPTS_SET  0x8u	/* its options were set at its first stop, not inherited */

/*
 * How long tracer__hold() waits for the threads it interrupted to stop.  A runnable
 * thread stops as soon as it gets a CPU; one that does not within this long is left alone
 * for this tick (a busy machine, or a task that cannot stop: see procfs__state_stoppable).
 */
#define HOLD_WAIT_NS 20000000ull

struct task {
	pid_t tid;		/* 0 empty, -1 deleted */
	pid_t tgid;
	unsigned flags;
};

/*
 * --busy-poll auto: how far apart recent wake-ups with a stop came, as a decayed histogram
 * of the gap since the stop before (buckets of doubling width from SPIN_EDGE0_NS; the
 * last one is everything longer), and their mean.  See choose_spin().
 */
#define SPIN_NBUCKETS 8

struct spin_gaps {
	uint32_t n[SPIN_NBUCKETS];	/* fixed point, SPIN_ONE per gap, decayed per gap */
	uint64_t sum_ns;		/* the gaps (each at most SPIN_GAP_CAP_NS), decayed alike */
};

enum notify_kind { NOTIFY_NEW, NOTIFY_EXEC, NOTIFY_EXIT };

struct notify {
	enum notify_kind kind;
	pid_t pid, parent;
	unsigned flags;
};

/* A task stopped by tracer__hold() and how to resume it. */
struct held {
	pid_t tid;
	int sig;		/* signal to deliver on resume */
	int listen;		/* it is in a group-stop: PTRACE_LISTEN, not CONT */
	char state;		/* its procfs_state just before we stopped it */
	int theirs;		/* stopped before the hold, resumed by whoever stopped it */
};

/* A stop that must wait until no hold is in force (it calls back into the user). */
struct later {
	pid_t tid;
	int status;
};

struct tracer {
	struct tracer_opts opts;
	const struct tracer_ops *ops;
	void *arg;

	pid_t child;
	int attached;			/* attach mode: child is not ours, signals end the session */
	int sigfd;
	int errfd;			/* child's exec errno arrives here */
	int ttyfd;			/* a terminal fd of ours, for job-control mirroring */
	sigset_t oldmask, handled;
	int mask_saved;

	struct task *tasks;
	size_t nslots, nlive, nused;

	struct tickclock ticks;		/* when to sample (tickclock.h) */
	uint64_t start_ns;
	uint64_t sig_seen_ns[NSIG];	/* when the command last had each signal delivered */
	uint64_t forward_at_ns[NSIG];	/* a signal to pass on to the command at this time */
	uint64_t forward_since_ns[NSIG];	/* ... unless it had it delivered since then */

	int done;
	struct tracer_result res;
	uint64_t last_event_ns;		/* the last stop or exit waited for */
	uint64_t spin_ns;		/* how long spin() waits now (<= opts.spin_ns) */
	struct spin_gaps gaps;		/* recent gaps between wake-ups with stops */

	uint64_t grace_deadline_ns;	/* give up on the command at this time (0: never) */
	int grace_sig;

	int deferring;			/* inside tracer__hold: queue callbacks */
	pid_t in_stop;			/* a task in the stop whose callback runs now (a crash) */
	struct notify *queue;
	size_t nqueue, queue_alloc;
	struct held *held;
	size_t nheld, held_alloc;
	unsigned hold_depth;		/* nested tracer__hold() calls for the same process */
	pid_t hold_pid;			/* the process held */
	struct later *later;		/* stops put off while a hold was in force */
	size_t nlater, later_alloc;
	struct tracer_counts counts;
	int counted_left;
};

static void notify(struct tracer *t, enum notify_kind kind, pid_t pid, pid_t parent,
		   unsigned flags)
{
	if (t->deferring) {
		xgrow((void **)&t->queue, &t->queue_alloc, t->nqueue + 1, sizeof(*t->queue));
		t->queue[t->nqueue++] = (struct notify){ kind, pid, parent, flags };
		return;
	}
	switch (kind) {
	case NOTIFY_NEW:
		if (t->ops->process_new)
			t->ops->process_new(t->arg, pid, parent, flags);
		break;
	case NOTIFY_EXEC:
		if (t->ops->process_exec)
			t->ops->process_exec(t->arg, pid);
		break;
	case NOTIFY_EXIT:
		if (t->ops->process_exit)
			t->ops->process_exit(t->arg, pid);
		break;
	}
}

static void flush_notifications(struct tracer *t)
{
	for (size_t i = 0; i < t->nqueue; i++)
		notify(t, t->queue[i].kind, t->queue[i].pid, t->queue[i].parent, t->queue[i].flags);
	t->nqueue = 0;
}

/* --- the task table: open addressing on tid ------------------------------------------ */

static size_t slot_of(const struct tracer *t, pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) & (t->nslots - 1);
}

static struct task *task_find(struct tracer *t, pid_t tid)
{
	for (size_t i = slot_of(t, tid), n = 0; n < t->nslots; i = (i + 1) & (t->nslots - 1), n++) {
		if (t->tasks[i].tid == tid)
			return &t->tasks[i];
		if (t->tasks[i].tid == 0)
			return NULL;
	}
	return NULL;
}

static struct task *task_add(struct tracer *t, pid_t tid, pid_t tgid, unsigned flags);

static void task_rehash(struct tracer *t, size_t nslots)
{
	struct task *old = t->tasks;
	size_t oldn = t->nslots;

	t->tasks = xcalloc(nslots, sizeof(*t->tasks));
	t->nslots = nslots;
	t->nlive = t->nused = 0;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].tid > 0)
			task_add(t, old[i].tid, old[i].tgid, old[i].flags);
	free(old);
}

static struct task *task_add(struct tracer *t, pid_t tid, pid_t tgid, unsigned flags)
{
	struct task *k = task_find(t, tid);
	size_t i;

	if (k)
		return k;
	if ((t->nused + 1) * 4 > t->nslots * 3)
		task_rehash(t, t->nlive * 4 > t->nslots ? t->nslots * 2 : t->nslots);
	for (i = slot_of(t, tid); t->tasks[i].tid > 0; i = (i + 1) & (t->nslots - 1))
		;
	if (t->tasks[i].tid == 0)
		t->nused++;
	t->tasks[i] = (struct task){ .tid = tid, .tgid = tgid, .flags = flags };
	t->nlive++;
	return &t->tasks[i];
}

static void task_del(struct tracer *t, struct task *k)
{
	k->tid = -1;
	t->nlive--;
}

/* --- set-up ---------------------------------------------------------------------------- */

struct tracer *tracer__new(const struct tracer_opts *o, const struct tracer_ops *ops, void *arg)
{
	struct tracer *t = xcalloc(1, sizeof(*t));

	t->opts = *o;
	t->ops = ops;
	t->arg = arg;
	t->sigfd = t->errfd = t->ttyfd = -1;
	t->nslots = 64;
	t->tasks = xcalloc(t->nslots, sizeof(*t->tasks));
	return t;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	if (t->sigfd >= 0)
		close(t->sigfd);
	if (t->errfd >= 0)
		close(t->errfd);
	if (t->mask_saved)
		sigprocmask(SIG_SETMASK, &t->oldmask, NULL);
	free(t->tasks);
	free(t->queue);
	free(t->held);
	free(t->later);
	free(t);
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Signals pyflame takes through its signalfd.  SIGPIPE is blocked too (a closed stdout
 * gives EPIPE instead of killing pyflame), but is never read.  The child gets the original
 * mask back before exec.
 */
static void handled_signals(sigset_t *s)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				    SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH };

	sigemptyset(s);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(s, sigs[i]);
}

static int find_tty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			return fd;
	return -1;
}

static int take_signals(struct tracer *t)
{
	sigset_t block;

	handled_signals(&t->handled);
	block = t->handled;
	sigaddset(&block, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &block, &t->oldmask) < 0)
		return -errno;
	t->mask_saved = 1;
	t->sigfd = signalfd(-1, &t->handled, SFD_CLOEXEC | SFD_NONBLOCK);
	return t->sigfd < 0 ? -errno : 0;
}

static int start_ticks(struct tracer *t)
{
	uint64_t seed;

	t->start_ns = pf_now_ns();
	if (!t->opts.period_ns)
		return 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = t->start_ns ^ ((uint64_t)getpid() << 32);
	tickclock__init(&t->ticks, t->opts.period_ns, t->start_ns, seed);
	tickclock__arm(&t->ticks);
	/*
	 * ppoll() may wake up to the timer slack late (50 us by default), a timerfd not: a
	 * slack of a hundredth of the period keeps ticks where they were drawn.  Set after
	 * the command was forked, so that it keeps its own.
	 */
	prctl(PR_SET_TIMERSLACK, (unsigned long)(t->opts.period_ns / 100 ? t->opts.period_ns / 100 : 1),
	      0L, 0L, 0L);
	return 0;
}

/*
 * Exec events are asked for per process, only where the user has studied the image (see
 * tracer__exec_events): each one is a stop, and a shell loop's short processes would pay
 * it for nothing.  Options are inherited: a fork or clone gets those of the task making it.
 */
static unsigned long seize_options(const struct tracer *t, int exec)
{
	unsigned long opts = exec ? PTRACE_O_TRACEEXEC : 0;

	if (t->opts.follow)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
	return opts;
}

/* Set k's exec-event option; k must be in a ptrace-stop. */
static int set_exec_option(struct tracer *t, struct task *k, int exec)
{
	if (ptrace(PTRACE_SETOPTIONS, k->tid, 0L, seize_options(t, exec)) < 0)
		return -errno;
	if (exec)
		k->flags |= TASK_EXEC;
	else
		k->flags &= ~TASK_EXEC;
	return 0;
}

pid_t tracer__spawn(struct tracer *t, char *const argv[])
{
	int sync[2], err[2];
	pid_t pid;
	char go = 1;
	int ret = take_signals(t);

	if (ret)
		return ret;
	if (pipe2(sync, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = -errno;

		close(sync[0]);
		close(sync[1]);
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sync[0]); close(sync[1]); close(err[0]); close(err[1]);
		return e;
	}
	if (pid == 0) {
		int e;

		close(sync[1]);
		close(err[0]);
		/* Wait until the parent has seized us; EOF means it gave up. */
		while (read(sync[0], &go, 1) < 0 && errno == EINTR)
			;
		if (go != 2)
			_exit(PF_EXIT_FAILURE);	/* pyflame gave up before the exec */
		sigprocmask(SIG_SETMASK, &t->oldmask, NULL);
		privs__child_drop();
		if (t->opts.repeat > 1)
			repeat__drive(argv, t->opts.repeat, err[1]);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0) {
			/* the parent reports 126/127 from our exit code anyway */
		}
		_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
	}
	close(sync[0]);
	close(err[1]);
	t->errfd = err[0];
	t->child = pid;
	if (ptrace(PTRACE_SEIZE, pid, 0L, seize_options(t, 0)) < 0) {
		int e = -errno;

		close(sync[1]);		/* the child sees EOF and exits */
		waitpid(pid, NULL, 0);
		t->child = 0;
		return e;
	}
	task_add(t, pid, pid, TASK_STARTED);
	t->counts.processes = 1;
	t->ttyfd = find_tty();
	go = 2;
	if (write(sync[1], &go, 1) != 1) {
		int e = -errno;

		close(sync[1]);
		return e;
	}
	close(sync[1]);
	ret = start_ticks(t);
	return ret ? ret : pid;
}

/* Seize every thread of pid, again until no new one appears (threads start meanwhile). */
static int seize_threads(struct tracer *t, pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	for (int round = 0; round < 16; round++) {
		DIR *d = opendir(path);
		struct dirent *de;
		int added = 0;

		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

			if (tid <= 0 || task_find(t, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0L, seize_options(t, 1)) == 0) {
				task_add(t, tid, pid, TASK_STARTED | TASK_EXEC);
				added++;
			}
		}
		closedir(d);
		if (!added)
			break;
	}
	return 0;
}

int tracer__attach(struct tracer *t, pid_t pid)
{
	int ret = take_signals(t);

	if (ret)
		return ret;
	/* the process is there to be read: its exec matters from the start */
	if (ptrace(PTRACE_SEIZE, pid, 0L, seize_options(t, 1)) < 0)
		return -errno;
	t->child = pid;
	t->attached = 1;
	task_add(t, pid, pid, TASK_STARTED | TASK_EXEC);
	t->counts.processes = 1;
	if (t->opts.follow)
		seize_threads(t, pid);
	return start_ticks(t);
}

static long proc_status_long(pid_t pid, const char *key)
{
	long v;

	return procfs__status_long(pid, key, &v) ? -1 : v;
}

void tracer__explain_eperm(pid_t pid)
{
	long tracer = proc_status_long(pid, "TracerPid");
	long uid = proc_status_long(pid, "Uid");
	long scope = -1;
	struct strbuf sb = STRBUF_INIT;

	if (!pf_read_file("/proc/sys/kernel/yama/ptrace_scope", &sb, 16) && sb.len)
		scope = strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	if (tracer > 0) {
		char comm[64] = "?";
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
		if (!pf_read_file(path, &sb, sizeof(comm) - 1) && sb.len) {
			sb.buf[strcspn(sb.buf, "\n")] = '\0';
			snprintf(comm, sizeof(comm), "%s", sb.buf);
		}
		strbuf_release(&sb);
		pf_error(0, "cannot attach to process %d: it is already traced by process %ld (%s)",
			 (int)pid, tracer, comm);
		pf_hint("a process has one tracer at a time: detach %s (gdb, strace, py-spy) first",
			comm);
	} else if (uid >= 0 && uid != (long)getuid() && getuid() != 0) {
		pf_error(0, "cannot attach to process %d: it belongs to uid %ld and you are uid %d",
			 (int)pid, uid, (int)getuid());
		pf_hint("run pyflame as that user, or as root (sudo pyflame ...); a setcap copy "
			"of pyflame reads only your own processes");
	} else if (scope == 1) {
		pf_error(0, "cannot attach to process %d: Yama ptrace_scope is 1, so only a parent "
			 "process may trace it", (int)pid);
		pf_hint("start it under 'pyflame run', or give pyflame CAP_SYS_PTRACE (sudo setcap "
			"cap_sys_ptrace+ep $(command -v pyflame)), or sudo sysctl "
			"kernel.yama.ptrace_scope=0");
	} else if (scope == 2) {
		pf_error(0, "cannot attach to process %d: Yama ptrace_scope is 2 (admin only)",
			 (int)pid);
		pf_hint("give pyflame CAP_SYS_PTRACE: sudo setcap cap_sys_ptrace+ep $(command -v pyflame)");
	} else if (scope == 3) {
		pf_error(0, "cannot attach to process %d: Yama ptrace_scope is 3 (ptrace disabled "
			 "until reboot)", (int)pid);
	} else {
		pf_error(0, "cannot attach to process %d: permission denied (it may be setuid or "
			 "not dumpable, or a seccomp profile forbids ptrace)", (int)pid);
		pf_hint("'pyflame doctor' checks what this machine allows");
	}
}

void tracer__stop_ticks(struct tracer *t)
{
	tickclock__stop(&t->ticks);
}

void tracer__end_sampling(struct tracer *t)
{
	tracer__stop_ticks(t);
	if (t->attached)
		t->done = 1;	/* attach: the session is over */
}

/* --- stops ----------------------------------------------------------------------------- */

static void resume(pid_t tid, int sig)
{
	/* ESRCH: it died meanwhile; its exit will be reported by wait. */
	ptrace(PTRACE_CONT, tid, 0L, (long)sig);
}

/*
 * The command stopped for job control while pyflame runs in the terminal's foreground: stop
 * pyflame too, so the shell sees the job stopped; SIGCONT (`fg`, `bg`) wakes both.
 */
static void mirror_stop(struct tracer *t)
{
	if (t->attached || t->ttyfd < 0 || tcgetpgrp(t->ttyfd) != getpgrp())
		return;
	if (t->ops->job_stop)
		t->ops->job_stop(t->arg, 1);
	kill(getpid(), SIGSTOP);	/* returns once continued */
	if (t->ops->job_stop)
		t->ops->job_stop(t->arg, 0);
}

static int is_fatal_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGABRT;
}

struct tracer_stop tracer__classify_stop(int status)
{
	struct tracer_stop st = { TRACER_STOP_OTHER, 0, 0 };

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		st.kind = TRACER_STOP_GONE;
		return st;
	}
	st.sig = WSTOPSIG(status);
	st.event = (unsigned)status >> 16;
	switch (st.event) {
	case 0:
		st.kind = TRACER_STOP_SIGNAL;
		break;
	case PTRACE_EVENT_STOP:
		st.kind = TRACER_STOP_EVENT;
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		st.kind = TRACER_STOP_NEW_TASK;
		break;
	case PTRACE_EVENT_EXEC:
		st.kind = TRACER_STOP_EXEC;
		break;
	default:
		break;
	}
	return st;
}

static void on_exit_status(struct tracer *t, pid_t tid, int status)
{
	struct task *k = task_find(t, tid);
	pid_t tgid = k ? k->tgid : tid;

	if (k)
		task_del(t, k);
	if (tid == t->child) {
		t->done = 1;
		if (WIFEXITED(status)) {
			t->res.exited = 1;
			t->res.exit_code = WEXITSTATUS(status);
		} else {
			t->res.signaled = 1;
			t->res.term_sig = WTERMSIG(status);
			t->res.core_dumped = WCOREDUMP(status) ? 1 : 0;
		}
		if (t->errfd >= 0) {
			int e = 0;

			if (read(t->errfd, &e, sizeof(e)) == (ssize_t)sizeof(e))
				t->res.exec_errno = e;
		}
	}
	if (tid == tgid)
		notify(t, NOTIFY_EXIT, tid, 0, 0);
}

/*
 * A fork, vfork or clone event of parent_tid.  The task table may grow here: no pointer
 * into it is held across task_add().
 */
static void on_new_task(struct tracer *t, pid_t parent_tid, int event)
{
	unsigned long msg = 0;
	struct task *parent, *k;
	unsigned parent_exec;
	pid_t child, tgid, parent_tgid;

	if (ptrace(PTRACE_GETEVENTMSG, parent_tid, 0L, &msg) < 0 || !msg)
		return;
	parent = task_find(t, parent_tid);
	if (!parent)
		return;
	parent_exec = parent->flags & TASK_EXEC;
	parent_tgid = parent->tgid;
	child = (pid_t)msg;
	tgid = event == PTRACE_EVENT_CLONE ? procfs__tgid(child) : child;
	k = task_add(t, child, tgid, 0);	/* parent may point anywhere now */
	k->tgid = tgid;
	/*
	 * The kernel copied the forking thread's options.  A task whose first stop came first
	 * had its options set then, to a value we know (on_first_stop): keep that.
	 */
	if (!(k->flags & TASK_OPTS_SET))
		k->flags = (k->flags & ~TASK_EXEC) | parent_exec;
	if (tgid == child) {
		/* a vfork child, or a clone() without CLONE_THREAD, may share its parent's memory */
		unsigned nflags = event == PTRACE_EVENT_FORK ? 0 : TRACER_NEW_SHARED_VM;

		t->counts.processes++;
		notify(t, NOTIFY_NEW, child, parent_tgid, nflags);
	}
}

/*
 * The first stop of a new task.  When its creator's event has not been seen yet, which
 * options it inherited is unknown (the kernel copies the creating thread's, and which
 * thread that was is not known yet): set them now, while it is stopped, so that whether
 * its exec is reported is known, not guessed.  A new process gets none (its image is
 * studied afresh); a new thread its leader's.
 */
static void on_first_stop(struct tracer *t, struct task *k, int creator_seen)
{
	struct task *leader;
	int exec = 0;

	k->flags |= TASK_STARTED;
	if (creator_seen)
		return;
	if (k->tgid != k->tid && (leader = task_find(t, k->tgid)))
		exec = !!(leader->flags & TASK_EXEC);
	if (!set_exec_option(t, k, exec))
		k->flags |= TASK_OPTS_SET;
}

/*
 * A thread starts with its creator's options.  When exec events were switched on for its
 * process while it was being created (between the clone and tracer__exec_events holding
 * every known thread), its creator may not have had them yet: make it match the leader.
 */
static void new_thread_options(struct tracer *t, struct task *k)
{
	struct task *leader;

	if (k->tgid == k->tid || !(leader = task_find(t, k->tgid)))
		return;
	if ((leader->flags & TASK_EXEC) && !(k->flags & TASK_EXEC))
		set_exec_option(t, k, 1);
}

/* The task of tid, added when its first stop comes before its creator's event. */
static struct task *task_of_stop(struct tracer *t, pid_t tid, int *creator_seen)
{
	struct task *k = task_find(t, tid);

	*creator_seen = k != NULL;
	if (!k)
		k = task_add(t, tid, procfs__tgid(tid), 0);
	return k;
}

static void on_stop(struct tracer *t, pid_t tid, int status)
{
	struct tracer_stop st = tracer__classify_stop(status);
	int creator_seen;
	struct task *k = task_of_stop(t, tid, &creator_seen);

	switch (st.kind) {
	case TRACER_STOP_EVENT:
		if (!(k->flags & TASK_STARTED)) {
			on_first_stop(t, k, creator_seen);
			new_thread_options(t, k);
			resume(tid, 0);
		} else if (is_stop_signal(st.sig)) {
			/* group-stop: stay stopped, but keep hearing about SIGCONT */
			ptrace(PTRACE_LISTEN, tid, 0L, 0L);
			if (tid == t->child)
				mirror_stop(t);
		} else {
			resume(tid, 0);		/* an interrupt of ours that came late */
		}
		break;
	case TRACER_STOP_NEW_TASK:
		on_new_task(t, tid, st.event);
		resume(tid, 0);
		break;
	case TRACER_STOP_EXEC: {
		unsigned long former = 0;

		/* A non-leader thread that execs takes over the leader's tid. */
		if (!ptrace(PTRACE_GETEVENTMSG, tid, 0L, &former) && (pid_t)former != tid) {
			struct task *f = task_find(t, (pid_t)former);

			if (f)
				task_del(t, f);
		}
		k->tgid = tid;
		/* a new image, not studied yet: its next exec is not worth a stop */
		set_exec_option(t, k, 0);
		notify(t, NOTIFY_EXEC, tid, 0, 0);
		resume(tid, 0);
		break;
	}
	case TRACER_STOP_SIGNAL:
		if (is_fatal_signal(st.sig) && t->ops->fatal_signal && t->deferring) {
			/* its callback reads the process: not while another one is held */
			xgrow((void **)&t->later, &t->later_alloc, t->nlater + 1, sizeof(*t->later));
			t->later[t->nlater++] = (struct later){ tid, status };
			break;
		}
		/* signal-delivery-stop: deliver exactly the signal that arrived */
		if (k->tgid == t->child && st.sig > 0 && st.sig < NSIG)
			t->sig_seen_ns[st.sig] = pf_now_ns();
		if (is_fatal_signal(st.sig) && t->ops->fatal_signal) {
			t->in_stop = tid;	/* a hold in the callback counts it as held */
			t->ops->fatal_signal(t->arg, k->tgid, tid, st.sig);
			t->in_stop = 0;
		}
		resume(tid, st.sig);
		break;
	case TRACER_STOP_GONE:
	case TRACER_STOP_OTHER:
		resume(tid, 0);
		break;
	}
}

/* The stops put off while a hold was in force, now that none is. */
static void flush_later(struct tracer *t)
{
	for (size_t i = 0; i < t->nlater && !t->deferring; ) {
		struct later l = t->later[i];

		memmove(&t->later[i], &t->later[i + 1], (t->nlater - i - 1) * sizeof(*t->later));
		t->nlater--;
		on_stop(t, l.tid, l.status);
	}
}

/* Any wait status: an exit or a stop. */
static void on_wait_status(struct tracer *t, pid_t tid, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status))
		on_exit_status(t, tid, status);
	else if (WIFSTOPPED(status))
		on_stop(t, tid, status);
}

/*
 * --busy-poll auto: how long to stay awake after a stop.  Spinning pays only for the
 * next stop it catches: one caught awake saves the stopped task a wake-up of pyflame
 * (~33 us here, see docs/PERFORMANCE.md); one that comes after the window was spun for
 * nothing.  In a fork storm the gaps are bimodal: a shell's SIGCHLD-to-next-fork comes
 * within ~50-300 us, a child's exec-to-exit takes milliseconds.  A fixed 1 ms window
 * spins through every long gap (about a CPU for a storm, or for a target that takes a
 * signal every 200 us) to catch a few per cent more stops than a 256 us one.
 *
 * So from the recent gaps (a histogram decayed over ~32 wake-ups) choose the window
 * edge by edge: a longer window is taken only while the spinning it adds per stop it
 * adds is at most SPIN_WORTH_NS, and the spinning expected per gap stays at most
 * 1/SPIN_SHARE of the mean gap (pyflame spins at most a quarter of a CPU on average).
 * With no close stops in the history the window is 0: a lone fork costs nothing.
 */
#define SPIN_EDGE0_NS 16000ull		/* bucket 0: gaps under 16 us; bucket k < 2^k * 16 us */
#define SPIN_ONE 65536u
#define SPIN_DECAY_SHIFT 5		/* each gap weighs 1/32 of the history */
#define SPIN_GAP_CAP_NS 100000000ull	/* a quiet second counts like 0.1 s in the mean */
#define SPIN_WORTH_NS 500000ull		/* spin per extra stop caught, at most */
#define SPIN_SHARE 4			/* expected spin per gap <= mean gap / 4 */

static void spin_gaps__add(struct spin_gaps *g, uint64_t gap)
{
	unsigned b = 0;
	uint64_t capped = gap < SPIN_GAP_CAP_NS ? gap : SPIN_GAP_CAP_NS;

	while (b + 1 < SPIN_NBUCKETS && gap >= SPIN_EDGE0_NS << b)
		b++;
	for (unsigned i = 0; i < SPIN_NBUCKETS; i++)
		g->n[i] -= g->n[i] >> SPIN_DECAY_SHIFT;
	g->n[b] += SPIN_ONE >> SPIN_DECAY_SHIFT;
	g->sum_ns = g->sum_ns - (g->sum_ns >> SPIN_DECAY_SHIFT) + (capped >> SPIN_DECAY_SHIFT);
}

/* The window for these gaps, at most max_ns (see above). */
static uint64_t spin_gaps__window(const struct spin_gaps *g, uint64_t max_ns)
{
	uint64_t total = 0, caught = 0, spun = 0;	/* spun: sum of n * mid of caught */
	uint64_t best = 0, best_caught = 0, best_cost = 0;

	for (unsigned i = 0; i < SPIN_NBUCKETS; i++)
		total += g->n[i];
	if (!total)
		return 0;
	for (unsigned k = 0; k + 1 < SPIN_NBUCKETS; k++) {
		uint64_t hi = SPIN_EDGE0_NS << k, lo = k ? hi / 2 : 0;
		uint64_t cost;

		if (lo >= max_ns)
			break;
		if (hi > max_ns)
			hi = max_ns;	/* the last window, counted as if it caught its bucket */
		caught += g->n[k];
		spun += g->n[k] * ((lo + hi) / 2);
		cost = spun + (total - caught) * hi;	/* spin per gap, times total */
		if (cost > g->sum_ns / SPIN_SHARE * SPIN_ONE)	/* mean gap = sum * ONE / total */
			break;
		if (caught > best_caught &&
		    cost - best_cost <= (caught - best_caught) * SPIN_WORTH_NS) {
			best = hi;
			best_caught = caught;
			best_cost = cost;
		}
	}
	return best;
}

/*
 * A wake-up found a stop (first: the first of its batch; the rest of a batch cost no
 * wake-up and say nothing about gaps).
 */
static void note_event(struct tracer *t, uint64_t now, int first)
{
	uint64_t gap = now - t->last_event_ns;

	t->last_event_ns = now;
	if (!t->opts.spin_adaptive) {
		t->spin_ns = t->opts.spin_ns;
	} else if (first) {
		spin_gaps__add(&t->gaps, gap);
		t->spin_ns = spin_gaps__window(&t->gaps, t->opts.spin_ns);
	}
}

/* Every stop and exit waiting; whether there was any. */
static int drain_waits(struct tracer *t)
{
	int first = 1;

	for (;; first = 0) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid <= 0)
			break;
		note_event(t, pf_now_ns(), first);
		on_wait_status(t, tid, status);
	}
	return !first;
}

/* Is sig pending for the command right now (queued by a group kill, say)? */
static int signal_pending_for(pid_t pid, int sig)
{
	static const char *const keys[] = { "ShdPnd", "SigPnd", NULL };

	return procfs__signal_in(pid, sig, keys);
}

/*
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to pyflame go to the command, once.  A signal the
 * terminal sent (Ctrl-C, Ctrl-\) already reached the command through the process group;
 * so did one sent to the whole group (timeout(1), a CI runner): those are not sent again.
 */
static void forward_signal(struct tracer *t, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (t->attached) {
		/* the process is not ours: a signal to pyflame ends the session */
		t->res.stopped_by = sig;
		t->done = 1;
		return;
	}
	if (t->done || si->ssi_code == SI_KERNEL)
		return;
	if (t->opts.grace_ns && !t->grace_deadline_ns) {
		t->grace_deadline_ns = pf_now_ns() + t->opts.grace_ns;
		t->grace_sig = sig;
	}
	/*
	 * Decide a little later: a signal sent to the whole group was queued to the command
	 * in the same kill(2), but between the command dequeuing it and its signal-delivery
	 * stop reaching us it is neither pending nor seen.
	 */
	if (!t->forward_at_ns[sig]) {
		t->forward_at_ns[sig] = pf_now_ns() + FORWARD_DELAY_NS;
		t->forward_since_ns[sig] = pf_now_ns() - FORWARD_DELAY_NS;
	}
}

/* Forward what is due, unless the command already has it or had it delivered since. */
static void forward_due(struct tracer *t, uint64_t now)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (!t->forward_at_ns[sig] || t->forward_at_ns[sig] > now)
			continue;
		t->forward_at_ns[sig] = 0;
		drain_waits(t);
		if (t->done)
			return;
		if (signal_pending_for(t->child, sig) ||
		    t->sig_seen_ns[sig] >= t->forward_since_ns[sig])
			continue;
		kill(t->child, sig);
	}
}

/* When the next forward is due, or 0. */
static uint64_t forward_next(const struct tracer *t)
{
	uint64_t next = 0;

	for (int sig = 1; sig < NSIG; sig++)
		if (t->forward_at_ns[sig] && (!next || t->forward_at_ns[sig] < next))
			next = t->forward_at_ns[sig];
	return next;
}

static void on_signal(struct tracer *t, const struct signalfd_siginfo *si)
{
	switch (si->ssi_signo) {
	case SIGCHLD:
		break;
	case SIGINT:
	case SIGTERM:
	case SIGHUP:
	case SIGQUIT:
		forward_signal(t, si);
		break;
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		/* job control follows the command's own stops (mirror_stop) */
		break;
	default:
		if (t->ops->signal)
			t->ops->signal(t->arg, si);
		break;
	}
}

/* Everything pending, a batch per read: a short read means there is no more. */
static void read_signals(struct tracer *t)
{
	struct signalfd_siginfo si[16];
	ssize_t n;

	do {
		n = read(t->sigfd, si, sizeof(si));
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(si[0]); i++)
			on_signal(t, &si[i]);
	} while (n == (ssize_t)sizeof(si));
}

/* A tick: sample (ops->tick), counting the periods missed (tickclock.h), and re-arm. */
static void on_tick(struct tracer *t, uint64_t now)
{
	uint64_t missed;

	if (t->opts.duration_ns && now - t->start_ns >= t->opts.duration_ns) {
		tracer__end_sampling(t);
		return;
	}
	missed = tickclock__advance(&t->ticks, now);
	if (t->ops->tick)
		t->ops->tick(t->arg, now, missed);
	if (t->ticks.on)
		tickclock__arm(&t->ticks);
}

/*
 * Busy-poll the loop's file descriptors until one is ready or until `until`, giving the
 * CPU away at each turn to anything else that wants it.  Right after a stop another one
 * often follows within a millisecond (a fork storm: the child's first stop, its exit,
 * the parent's SIGCHLD), and a task waits for pyflame at each.  Where an idle CPU sleeps
 * deeply - a virtual machine whose idle vCPU halts - waking pyflame for each costs tens of
 * microseconds of the task's time; staying awake briefly does not (what the kernel's
 * haltpoll governor does, when the machine has it).  1 when something is ready.
 */
static int spin(struct tracer *t, struct pollfd *pfd, uint64_t from, uint64_t until)
{
	uint64_t now;
	int n;

	do {
		n = poll(pfd, 1, 0);
		if (n != 0)
			break;
		sched_yield();
	} while ((now = pf_now_ns()) < until);
	t->counts.spun_ns += (n ? pf_now_ns() : now) - from;
	return n != 0;
}

/*
 * What the loop waits for besides its signalfd, the earliest first: the next tick, a
 * signal to forward, the end of the grace period.  ns from now, or UINT64_MAX for none.
 */
static uint64_t wait_ns(const struct tracer *t, uint64_t now)
{
	uint64_t at[2] = { forward_next(t), t->grace_deadline_ns };
	uint64_t left = tickclock__left(&t->ticks, now);

	for (size_t i = 0; i < 2; i++)
		if (at[i] && (at[i] <= now ? 0 : at[i] - now) < left)
			left = at[i] <= now ? 0 : at[i] - now;
	return left;
}

int tracer__run(struct tracer *t, struct tracer_result *res)
{
	/*
	 * Every stop after this raises SIGCHLD, which stays pending in the signalfd until
	 * read_signals() reads it (before the next drain_waits()): waiting is only ever
	 * needed after poll says so.
	 */
	drain_waits(t);
	while (!t->done) {
		struct pollfd pfd = { .fd = t->sigfd, .events = POLLIN };
		struct timespec ts;
		uint64_t now, left;
		int awake = 0;

		flush_later(t);
		flush_notifications(t);
		if (t->done)
			break;
		now = pf_now_ns();
		forward_due(t, now);
		if (t->done)
			break;
		if (t->grace_deadline_ns && now >= t->grace_deadline_ns) {
			t->res.abandoned_sig = t->grace_sig;
			break;
		}
		left = wait_ns(t, now);
		if (t->spin_ns && now - t->last_event_ns < t->spin_ns && left) {
			uint64_t until = t->last_event_ns + t->spin_ns;

			if (left < until - now)
				until = now + left;
			awake = spin(t, &pfd, now, until);
			left = awake ? 0 : wait_ns(t, pf_now_ns());
		}
		/* the one system call of a tick: the deadline is ppoll's timeout (tickclock.h) */
		ts = (struct timespec){ (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
		if (ppoll(&pfd, 1, left == UINT64_MAX ? NULL : &ts, NULL) < 0 && errno != EINTR) {
			int e = -errno;

			tracer__detach_all(t);
			return e;
		}
		if (pfd.revents & POLLIN) {
			read_signals(t);
			if (drain_waits(t))	/* a tick alone needs no wait4 */
				(*(awake ? &t->counts.woke_awake : &t->counts.woke_asleep))++;
		}
		if (!t->done && t->ticks.on && tickclock__fired(&t->ticks, now = pf_now_ns()))
			on_tick(t, now);
		flush_later(t);
		flush_notifications(t);
	}
	tracer__stop_ticks(t);
	tracer__detach_all(t);
	*res = t->res;
	return 0;
}

/* --- holding a process still for a read ----------------------------------------------- */

static void hold_push(struct tracer *t, pid_t tid, int sig, int listen, char state)
{
	xgrow((void **)&t->held, &t->held_alloc, t->nheld + 1, sizeof(*t->held));
	t->held[t->nheld++] = (struct held){ tid, sig, listen, state, 0 };
}

/* One of the tasks tracer__hold() interrupted. */
struct pending {
	pid_t tid;
	char state;		/* before the interrupt */
	int done;		/* 1 held, -1 gone or no longer worth holding */
};

/*
 * The stop of a task we interrupted.  Whatever stop comes first holds it still: our
 * interrupt, a signal (delivered on release), a fork event (handled now, callbacks
 * deferred).  An exec means there is nothing left to read of the old image.
 */
static int hold_stop(struct tracer *t, struct pending *pd, int status)
{
	struct tracer_stop st = tracer__classify_stop(status);
	int creator_seen;
	struct task *k;

	if (st.kind == TRACER_STOP_GONE) {
		on_exit_status(t, pd->tid, status);
		return -1;
	}
	k = task_of_stop(t, pd->tid, &creator_seen);
	switch (st.kind) {
	case TRACER_STOP_EVENT:
		if (!(k->flags & TASK_STARTED)) {
			on_first_stop(t, k, creator_seen);
			hold_push(t, pd->tid, 0, 0, pd->state);
		} else {
			hold_push(t, pd->tid, 0, is_stop_signal(st.sig), pd->state);
		}
		return 1;
	case TRACER_STOP_NEW_TASK:
		on_new_task(t, pd->tid, st.event);
		hold_push(t, pd->tid, 0, 0, pd->state);
		return 1;
	case TRACER_STOP_EXEC:
		on_stop(t, pd->tid, status);
		return -1;
	case TRACER_STOP_SIGNAL:
		if (is_fatal_signal(st.sig) && t->ops->fatal_signal) {
			/*
			 * A crash that came before our interrupt: held still, but its stop is
			 * the event loop's (after the hold: the callback, then its signal).
			 */
			xgrow((void **)&t->later, &t->later_alloc, t->nlater + 1, sizeof(*t->later));
			t->later[t->nlater++] = (struct later){ pd->tid, status };
			hold_push(t, pd->tid, 0, 0, pd->state);
			t->held[t->nheld - 1].theirs = 1;
			return 1;
		}
		if (k->tgid == t->child && st.sig > 0 && st.sig < NSIG)
			t->sig_seen_ns[st.sig] = pf_now_ns();
		hold_push(t, pd->tid, st.sig, 0, pd->state);
		return 1;
	default:
		hold_push(t, pd->tid, 0, 0, pd->state);
		return 1;
	}
}

/*
 * Wait until every pending task has stopped, or until the deadline.  Never a blocking
 * wait on one task: a task may not stop for a long time (a vfork parent waits for its
 * child, which may itself be waiting in a ptrace-stop for us), so any task's stop is
 * taken as it comes, and the others are handled as the event loop would.  The number of
 * tasks that did not stop in time.
 */
static size_t hold_collect(struct tracer *t, struct pending *pd, size_t n, uint64_t deadline)
{
	size_t left = n;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		int status;
		pid_t w = waitpid(-1, &status, __WALL | WNOHANG);
		uint64_t now;

		if (w > 0) {
			size_t i;

			for (i = 0; i < n && (pd[i].tid != w || pd[i].done); i++)
				;
			if (i < n) {
				pd[i].done = hold_stop(t, &pd[i], status);
				left--;
			} else {
				on_wait_status(t, w, status);
			}
			continue;
		}
		if (w < 0 && errno != EINTR)
			break;		/* ECHILD: nothing is traced any more */
		/*
		 * Leave only with nothing left to wait for: a SIGCHLD taken below may have
		 * announced stops of other tasks too, and no other one will.
		 */
		now = pf_now_ns();
		if (w == 0 && (!left || now >= deadline))
			break;
		if (w < 0)
			continue;	/* EINTR */
		/*
		 * Sleep until a task changes state.  The SIGCHLD taken here is one the event
		 * loop would have read from its signalfd: every stop it announced is waited
		 * for before this returns (the loop leaves only when waitpid finds nothing).
		 */
		{
			uint64_t ns = deadline - now;
			struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

			if (ns > 1000000ull)
				ts = (struct timespec){ 0, 1000000 };
			sigtimedwait(&chld, NULL, &ts);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!pd[i].done)
			pd[i].done = -1;	/* its interrupt surfaces later; on_stop resumes it */
	return left;
}

int tracer__hold(struct tracer *t, pid_t pid, int all_threads)
{
	struct task *leader = task_find(t, pid);
	struct pending *pd;
	size_t n = 0, late;
	int ret = 0;

	if (t->hold_depth) {
		if (t->hold_pid != pid)
			return -EBUSY;
		/* already held (a probe inside a dump): the outer hold covers it */
		t->hold_depth++;
		return 0;
	}
	if (!leader || !(leader->flags & TASK_STARTED))
		return -ESRCH;
	t->hold_depth = 1;
	t->hold_pid = pid;
	t->deferring = 1;
	/*
	 * First see that every task can stop (a vfork parent is in D until its child execs
	 * or exits; a zombie never stops): asking one that cannot would cost the whole wait.
	 * The table can grow while we wait (a fork event), so collect the tids first.
	 */
	pd = xcalloc(t->nlive + 1, sizeof(*pd));
	for (size_t i = 0; i < t->nslots && n <= t->nlive; i++) {
		struct task *k = &t->tasks[i];
		enum procfs_state s;

		if (k->tid <= 0 || k->tgid != pid || !(k->flags & TASK_STARTED))
			continue;
		if (!all_threads && k->tid != pid)
			continue;
		if (k->tid == t->in_stop) {
			/* in its signal stop already (a crash): held, resumed by on_stop */
			hold_push(t, k->tid, 0, 0, PROCFS_STATE_RUNNING);
			t->held[t->nheld - 1].theirs = 1;
			continue;
		}
		s = procfs__task_state(pid, k->tid);
		if (!procfs__state_stoppable(s)) {
			if (s == PROCFS_STATE_UNKNOWN && k->tid != pid)
				continue;	/* a thread that just exited */
			ret = s == PROCFS_STATE_DISK ? -EAGAIN : -ESRCH;
			goto out;
		}
		pd[n++] = (struct pending){ .tid = k->tid, .state = (char)s };
	}
	for (size_t i = 0; i < n; i++)
		if (ptrace(PTRACE_INTERRUPT, pd[i].tid, 0L, 0L) < 0)
			pd[i].done = -1;
	late = hold_collect(t, pd, n, pf_now_ns() +
			   (t->opts.hold_wait_ns ? t->opts.hold_wait_ns : HOLD_WAIT_NS));
	for (size_t i = 0; i < n; i++) {
		if (pd[i].done > 0)
			continue;
		if (pd[i].tid == pid || all_threads)
			ret = late ? -ETIMEDOUT : -ESRCH;
	}
	if (!t->nheld && !ret)
		ret = -ESRCH;
out:
	free(pd);
	return ret;
}

int tracer__held_state(const struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nheld; i++)
		if (t->held[i].tid == tid)
			return t->held[i].state;
	return PROCFS_STATE_UNKNOWN;
}

int tracer__exec_traced(struct tracer *t, pid_t pid)
{
	struct task *k = task_find(t, pid);

	return k && (k->flags & TASK_EXEC);
}

int tracer__exec_events(struct tracer *t, pid_t pid, int on)
{
	int ret, todo = 0;

	for (size_t i = 0; i < t->nslots; i++) {
		struct task *k = &t->tasks[i];

		if (k->tid > 0 && k->tgid == pid && !(k->flags & TASK_EXEC) != !on)
			todo = 1;
	}
	if (!todo)
		return 0;
	if (t->hold_depth)
		return -EBUSY;	/* a hold of the leader alone is in force */
	ret = tracer__hold(t, pid, 1);
	if (!ret) {
		for (size_t i = 0; i < t->nheld; i++) {
			struct task *k = task_find(t, t->held[i].tid);

			if (k && set_exec_option(t, k, on) && k->tid == pid)
				ret = -ESRCH;
		}
	}
	tracer__release(t);
	return ret;
}

void tracer__release(struct tracer *t)
{
	if (t->hold_depth > 1) {
		t->hold_depth--;
		return;
	}
	t->hold_depth = 0;
	for (size_t i = 0; i < t->nheld; i++) {
		struct held *h = &t->held[i];

		if (h->theirs)
			continue;
		if (h->listen)
			ptrace(PTRACE_LISTEN, h->tid, 0L, 0L);
		else
			resume(h->tid, h->sig);
	}
	t->nheld = 0;
	t->deferring = 0;
}

/* --- detaching ------------------------------------------------------------------------- */

/* Let tid go from the stop status says it is in (task_add may move the table). */
static void detach_stopped(struct tracer *t, pid_t tid, int status)
{
	struct tracer_stop st = tracer__classify_stop(status);
	int sig = st.kind == TRACER_STOP_SIGNAL ? st.sig : 0;
	struct task *k;

	if (st.kind == TRACER_STOP_NEW_TASK) {
		/* the new task is traced too and must be let go as well */
		unsigned long msg = 0;

		if (!ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) && msg) {
			struct task *c = task_add(t, (pid_t)msg, (pid_t)msg, 0);

			c->flags |= TASK_DETACHING;
			ptrace(PTRACE_INTERRUPT, (pid_t)msg, 0L, 0L);
		}
	}
	/* PTRACE_EVENT_STOP: ours, or a group-stop that detach keeps; other events: none */
	ptrace(PTRACE_DETACH, tid, 0L, (long)sig);
	k = task_find(t, tid);
	if (k)
		task_del(t, k);
}

/* Count (and name a few of) the processes other than the command that are still alive. */
static void count_left(struct tracer *t)
{
	pid_t *seen;
	size_t n = 0;

	if (t->counted_left)
		return;
	t->counted_left = 1;
	seen = xcalloc(t->nlive + 1, sizeof(*seen));

	for (size_t i = 0; i < t->nslots; i++) {
		const struct task *k = &t->tasks[i];
		size_t j;

		if (k->tid <= 0 || (k->tgid == t->child && !t->attached))
			continue;
		for (j = 0; j < n && seen[j] != k->tgid; j++)
			;
		if (j < n || kill(k->tgid, 0) < 0)
			continue;
		seen[n++] = k->tgid;
		if (t->counts.ndetached_pids < ARRAY_SIZE(t->counts.detached_pids))
			t->counts.detached_pids[t->counts.ndetached_pids++] = k->tgid;
	}
	t->counts.detached += n;
	free(seen);
}

void tracer__detach_all(struct tracer *t)
{
	uint64_t deadline = pf_now_ns() + 2000000000ull;

	count_left(t);
	for (size_t i = 0; i < t->nslots; i++) {
		struct task *k = &t->tasks[i];

		if (k->tid <= 0)
			continue;
		k->flags |= TASK_DETACHING;
		if (ptrace(PTRACE_INTERRUPT, k->tid, 0L, 0L) < 0 && errno == ESRCH)
			task_del(t, k);
	}
	while (t->nlive > 0 && pf_now_ns() < deadline) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid < 0)
			break;		/* ECHILD: nothing is traced any more */
		if (tid == 0) {
			struct timespec ts = { 0, 2000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			on_exit_status(t, tid, status);
			continue;
		}
		if (!task_find(t, tid)) {
			/* a task born during detach: its first stop */
			task_add(t, tid, tid, TASK_DETACHING);
		}
		detach_stopped(t, tid, status);
	}
	/* Whatever is left is detached by the kernel when pyflame exits. */
}

const struct tracer_counts *tracer__counts(const struct tracer *t)
{
	return &t->counts;
}
