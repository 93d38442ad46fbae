/*
 * sampler.c - the processes of a traced tree and their samples (see sampler.h).
 *
 * A process is probed until it is known to run a CPython we read (or known not to), then
 * sampled at every tick; an exec starts it over, a fork child starts from its parent's
 * findings.  Threads get a slot each (their /proc files kept open), stacks go through the
 * profile's interning, and --tests, --async and <GC> add their frames here.
 */
#include "pyflame/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/live.h"
#include "pyflame/native.h"
#include "pyflame/privs.h"
#include "pyflame/procfs.h"
#include "pyflame/profile.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/pyprobe.h"
#include "pyflame/rawlog.h"
#include "pyflame/testattr.h"
#include "pyflame/util.h"

#define PROBE_BACKOFF_MIN_NS   5000000ull	/* 5 ms: libpython is mapped within ms */
#define PROBE_BACKOFF_MAX_NS 2000000000ull	/* a dlopen() can still bring Python later */
/*
 * A new process is first looked at this long after it appeared: no interpreter gets
 * to run Python code sooner, and most of a shell loop's processes are gone by then
 * (probing them would keep pyflame busy while their stops wait).
 */
#define FIRST_LOOK_NS          3000000ull
#define EXEC_CHECK_MIN_NS      2000000ull	/* look for an unreported exec this often ... */
#define EXEC_CHECK_MAX_NS    100000000ull	/* ... backing off to this in a quiet process */
#define THREAD_STALE_TICKS 64			/* forget a thread unseen for this many ticks */
#define QUIET_MAX_NS  20000000ull	/* the longest a quiet thread goes without a state read */
#define QUIET_MIXED_READS 256		/* reads finding a mixed stack waiting (thread_quiet) */
#define RUNTIME_CARRY_MAX_NS 10000000ull	/* the kernel's lag in counting CPU time, at HZ=100 */
#define QUIET_BUSY_PART 32		/* "busy": on a CPU this part of the time between reads */
#define HOLD_DUTY 4			/* a process is held for reads <= 1/4 of the time, */
#define HOLD_BURST_NS 50000000ull	/* but for a burst of this much (hold_allowed) */
/*
 * A runtime location that does not read (EFAULT) in a process that neither exec'd nor
 * exited is looked for again this many times before the process is given up on: a read
 * can fail while the image changes under it (an exec between our look and the read).
 */
#define STALE_RETRIES 3
/*
 * A fork child holds a copy of its parent's thread states until it runs Python of its
 * own, and one about to exec (subprocess without vfork) never does: what is read from it
 * before its exec is its parent's, at the fork.  Its samples are held back this long and
 * dropped if it execs meanwhile; kept if it does not (a multiprocessing worker) or exits.
 */
#define PROVISIONAL_NS 200000000ull
/*
 * --native: making a process's C unwinder reads its maps and the files they name, which
 * can fail while the image changes (a fork child about to exec).  Tried at this many ticks
 * before the process is said to have no C stacks; its samples are dropped meanwhile.
 */
#define NATIVE_TRIES 3
/*
 * --native: thread samples whose C stacks wait for their process to be let go, at most
 * (each holds a 64 KiB copy of its stack); a process with more Python threads has the
 * others unwound while it is held.
 */
#define NATIVE_DEFER_MAX 64

/*
 * --native: a thread sample taken while its process was held, its C stack unwound once
 * the process runs again.  Its Python frames are copied (the unwinder's are reused).
 */
struct nat_pending {
	struct native_snap *snap;	/* made once, reused */
	size_t slot;			/* index in proc.threads */
	unsigned flags;
	int in_gc;
	struct pf_frame *frames;	/* innermost first */
	unsigned depth;
	size_t frames_alloc;
	uint32_t *acts;
	unsigned nacts;
	size_t acts_alloc;
};

/* A sample held back (see PROVISIONAL_NS). */
struct prov_sample {
	uint64_t t_ns;
	size_t slot;		/* index in proc.threads (not pruned while provisional) */
	uint32_t stack;
	unsigned flags;
	uint32_t weight;
};

static const char *const skip_names[SKIP__COUNT] = {
	[SKIP_UNINTERRUPTIBLE] = "uninterruptible (vfork)",
	[SKIP_TIMEOUT] = "not stopped in time",
	[SKIP_DUTY] = "held too long by the last reads",
};

const char *sampler_skip__name(enum sampler_skip why)
{
	return (unsigned)why < SKIP__COUNT ? skip_names[why] : "?";
}

enum proc_state {
	PROC_PROBING,		/* not known to be Python yet */
	PROC_PYTHON,		/* sampling */
	PROC_UNSUPPORTED,	/* a CPython we cannot read (said once) */
	PROC_FAILED,		/* memory unreadable (said once) */
};

struct thread_slot {
	pid_t tid;		/* 0 = empty */
	int stat_fd;		/* /proc/PID/task/TID/stat, kept open */
	int sched_fd;		/* /proc/PID/task/TID/schedstat, kept open (not gil mode) */
	uint64_t runtime_ns;	/* its CPU time at the previous read ... */
	uint64_t runtime_at_ns;	/* ... read at this time ... */
	int runtime_known;	/* ... once read */
	uint64_t waited_ns;	/* ... its time waiting for a CPU, then */
	uint64_t runtime_carry_ns;	/* CPU time read but not yet sampled (thread_idle) */
	/*
	 * A thread found off CPU at two reads in a row with the same Python stack is taken
	 * as still off CPU, without a read, until quiet_until_ns (see thread_idle).
	 */
	uint64_t quiet_sig;	/* its stack at the last read that found it off CPU; 0 none */
	uint64_t quiet_read_ns;	/* that read's time */
	uint64_t quiet_step_ns;	/* how long the last stretch without reads was */
	uint64_t quiet_until_ns;
	uint64_t mixed_sig;	/* the last stack it was found running at ... */
	unsigned mixed_left;	/* ... and the reads left before it counts as quiet again */
	uint32_t prof_thread;	/* valid when has_prof_thread: made at its first sample */
	int has_prof_thread;
	uint64_t last_tick;
	char name[64];
	/*
	 * Its previous sample's frames, root first, and their ids: a thread's stack mostly
	 * shares its root side with the one before, so only the frames past that prefix are
	 * looked up in the profile (a hash each).
	 */
	struct pf_frame *prev;
	uint32_t *prev_id;
	unsigned nprev, prev_alloc;
};

struct proc {
	pid_t pid;
	enum proc_state state;
	int located;		/* loc is valid; waiting for the interpreter to initialise */
	int gain_checked;	/* its image was checked for privileges lost (check_gains) */
	uint64_t next_probe_ns, backoff_ns;
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct remote mem;
	int mem_open;
	struct unwinder *uw;
	struct native *nat;	/* --native: its C stacks */
	unsigned nat_tries;	/* --native: times making nat failed (see NATIVE_TRIES) */
	int64_t hold_credit_ns;	/* stopped time it may still take (HOLD_DUTY) ... */
	uint64_t hold_credit_at;	/* ... as of then (0: never held) */
	uint32_t duty_skipped;	/* ticks skipped for it since its last sample ... */
	uint32_t weight;	/* ... which this tick's samples count for, with their own */
	uint32_t prof_proc;	/* valid when has_prof_proc: made at its first sample */
	int has_prof_proc;
	char cmd[128];		/* its command line at its first sample ("" before) */
	uint64_t provisional_until;	/* see PROVISIONAL_NS; 0: its samples count at once */
	struct prov_sample *prov;
	size_t nprov, prov_alloc;
	char version[32];
	struct thread_slot *threads;
	size_t nthreads_alloc;
	int crash_dumped;
	/*
	 * A vfork child shares its parent's memory until it execs: what is read from it is
	 * its parent's.  It is not probed while its image is still shared_image.
	 */
	int shared_vm;
	uint64_t shared_image;
	unsigned stale_tries;	/* see STALE_RETRIES; kept across proc_reset() */
	/*
	 * An exec is reported by the tracer only once this process is sampled (exec_events);
	 * before that, one is noticed from /proc/PID/stat changing its image (image_id).
	 */
	int exec_events;
	int exec_arm_failed;	/* asking for them failed: image_id watches instead */
	unsigned exec_arm_tries;	/* tries put off because a thread could not stop */
	uint64_t exec_arm_next_ns;
	int stat_fd;
	uint64_t image;
	uint64_t next_exec_check_ns, exec_check_ns;
	/* --tests (see testattr.h): reset with the image */
	struct testenv tenv;
	int tenv_located;
	int tenv_ret;		/* this tick: 1 a test runs (tval), 0 none, < 0 unreadable */
	struct remote_iov tenv_iov[3];	/* riding in the tick's unwinder read ... */
	int tenv_res[3];
	size_t tenv_n;
	int tenv_due;		/* ... and tenv_ret is to be worked out from them */
	size_t tlen;
	char tval[TESTENV_VALUE_MAX];
	unsigned runner;	/* TF_PYTEST / TF_UNITTEST once it is known to run tests */
	int seen_work;		/* collected or ran a test: what follows is the session's end */
	int tframe_valid;	/* tframe is the frame of the label tlast */
	uint32_t tframe;
	size_t tlast_len;
	char tlast[TESTENV_VALUE_MAX + 32];
	unsigned repeat;	/* run --repeat: the repeat it belongs to (0: none) */
	int aio_state;		/* --async: 0 looking for asyncio, 1 on, -1 not here */
	uint64_t aio_next_ns;
};

struct sampler {
	struct sampler_opts o;
	struct profile *prof;
	struct tracer *tr;
	struct rawlog *raw;	/* every sample also goes here, or NULL */
	struct live *live;	/* --live: the view (live.h), fed at every tick */
	struct proc **procs;
	size_t nprocs, procs_alloc;
	struct sampler_counts c;
	uint64_t tick_no, start_ns, now_ns;
	unsigned crashes;	/* crash stacks printed (see CRASH_STACKS_FULL) */
	uint32_t *stackbuf;	/* a test frame, stack_max frames, <GC> */
	unsigned stack_max;	/* frames a stack can have: max_depth, + C frames (--native) */
	struct pf_frame *nbuf;	/* --native: one merged stack, innermost first */
	struct nat_pending *pend;	/* --native: this tick's samples of the held process */
	size_t npend, pend_alloc;	/* (pend_alloc <= NATIVE_DEFER_MAX + 1: one spare) */
	int reader_said;
	pid_t driver;		/* run --repeat: the process that runs the repeats (repeat.h) */
	struct sampler_repeat *reps;	/* o.repeat of them; nreps started */
	unsigned nreps;
	uint64_t rng;		/* --mode cpu's draws (thread_idle) */
	/* --tests */
	uint16_t *fclass;	/* per profile frame: testattr__frame_class(), 0 = not yet */
	size_t fclass_alloc;
	uint16_t *stackcls;	/* scratch: the classes of one stack */
	struct strbuf tlabel, tid;
	uint32_t empty_str;
	char cwd[4096];		/* pyflame's: test files are named relative to it */
	uint32_t gc_frame;	/* the <GC> frame's id, once has_gc_frame */
	int has_gc_frame;
	uint32_t native_frame;	/* the <native> frame's id, once has_native_frame */
	int has_native_frame;
	/* check_gains: the tracer's user, and the programs named (hashes of their paths) */
	int gains_lost;
	uid_t uid;
	gid_t gid;
	uint64_t gains_said[16];
	unsigned ngains_said;
	unsigned gains_hinted;
};

const char *pf_mode__name(enum pf_mode m)
{
	switch (m) {
	case PF_MODE_WALL: return "wall";
	case PF_MODE_CPU: return "cpu";
	case PF_MODE_GIL: return "gil";
	case PF_MODE_EXCEPTION: return "exception";
	}
	return "?";
}

/* --- processes ------------------------------------------------------------------------ */

static struct proc *proc_find(struct sampler *sm, pid_t pid)
{
	for (size_t i = 0; i < sm->nprocs; i++)
		if (sm->procs[i]->pid == pid)
			return sm->procs[i];
	return NULL;
}

static void slot_clear(struct thread_slot *s)
{
	if (s->tid && s->stat_fd >= 0)
		close(s->stat_fd);
	if (s->tid && s->sched_fd >= 0)
		close(s->sched_fd);
	free(s->prev);
	free(s->prev_id);
	memset(s, 0, sizeof(*s));
}

static void proc_reset(struct proc *p)
{
	unwinder__free(p->uw);
	p->uw = NULL;
	native__free(p->nat);
	p->nat = NULL;
	p->nat_tries = 0;
	if (p->mem_open)
		remote__close(&p->mem);
	p->mem_open = 0;
	for (size_t i = 0; i < p->nthreads_alloc; i++)
		slot_clear(&p->threads[i]);
	free(p->threads);
	p->threads = NULL;
	p->nthreads_alloc = 0;
	p->state = PROC_PROBING;
	p->located = 0;
	p->gain_checked = 0;
	p->next_probe_ns = 0;
	p->backoff_ns = PROBE_BACKOFF_MIN_NS;
	p->exec_events = 0;
	p->exec_arm_failed = 0;
	p->exec_arm_tries = 0;
	p->aio_state = 0;
	p->aio_next_ns = 0;
	p->exec_arm_next_ns = 0;
	p->image = 0;
	p->next_exec_check_ns = 0;
	p->exec_check_ns = EXEC_CHECK_MIN_NS;
	p->shared_vm = 0;
	p->shared_image = 0;
	p->has_prof_proc = 0;
	p->cmd[0] = '\0';
	testenv__release(&p->tenv);
	p->tenv_located = 0;
	p->tenv_ret = 0;
	p->tenv_n = 0;
	p->tenv_due = 0;
	p->runner = 0;
	p->seen_work = 0;
	p->tframe_valid = 0;
}

/* p runs a new image: what it held back was its parent's (see PROVISIONAL_NS). */
static void proc_new_image(struct proc *p)
{
	proc_reset(p);
	p->provisional_until = 0;
	free(p->prov);
	p->prov = NULL;
	p->nprov = p->prov_alloc = 0;
}

/* What identifies the image p runs (procfs__parse_image); 0 when unreadable. */
static uint64_t image_id(struct proc *p)
{
	char path[64];
	uint64_t id;
	int ret;

	if (p->stat_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
		p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->stat_fd < 0)
			return 0;
	}
	ret = procfs__image_fd(p->stat_fd, &id);
	if (ret) {
		/* a thread other than the leader exec'd: the leader's stat is another task now */
		close(p->stat_fd);
		p->stat_fd = -1;
	}
	return ret ? 0 : id;
}

/*
 * Has pid exec'd without the tracer telling (it reports execs only of processes being
 * sampled)?  Checked at most every exec_check_ns, which backs off in a process that
 * keeps its image.  A change resets what was known of the process.
 */
static void check_exec(struct proc *p, uint64_t now)
{
	uint64_t id;

	if (p->exec_events || (now < p->next_exec_check_ns && !p->provisional_until))
		return;
	id = image_id(p);
	if (p->image && id && id != p->image) {
		proc_new_image(p);
		pf_info("process %d exec'd", p->pid);
	} else if (p->exec_check_ns < EXEC_CHECK_MAX_NS) {
		p->exec_check_ns *= 2;
	}
	if (id)
		p->image = id;
	p->next_exec_check_ns = now + p->exec_check_ns;
}

static struct proc *proc_add(struct sampler *sm, pid_t pid)
{
	struct proc *p = proc_find(sm, pid);

	if (p) {
		proc_new_image(p);
		p->stale_tries = 0;
		return p;
	}
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->backoff_ns = PROBE_BACKOFF_MIN_NS;
	p->stat_fd = -1;
	p->exec_check_ns = EXEC_CHECK_MIN_NS;
	xgrow((void **)&sm->procs, &sm->procs_alloc, sm->nprocs + 1, sizeof(*sm->procs));
	sm->procs[sm->nprocs++] = p;
	return p;
}

/* A process (or image) that has just appeared: see FIRST_LOOK_NS. */
static void proc_young(struct proc *p)
{
	uint64_t now = pf_now_ns();

	p->next_probe_ns = now + FIRST_LOOK_NS;
	p->next_exec_check_ns = now + FIRST_LOOK_NS;
}

static void commit_provisional(struct sampler *sm, struct proc *p);

static void proc_del(struct sampler *sm, pid_t pid)
{
	for (size_t i = 0; i < sm->nprocs; i++) {
		struct proc *p = sm->procs[i];

		if (p->pid != pid)
			continue;
		if (p->provisional_until)
			commit_provisional(sm, p);
		proc_reset(p);
		if (p->stat_fd >= 0)
			close(p->stat_fd);
		free(p);
		sm->procs[i] = sm->procs[--sm->nprocs];
		return;
	}
}

/* Append s with every run of white space or control characters folded to one space. */
static void add_folded(struct strbuf *out, const char *s)
{
	int space = 0;

	for (; *s; s++) {
		if ((unsigned char)*s <= ' ') {
			space = 1;
			continue;
		}
		if (space && out->len && out->buf[out->len - 1] != ' ')
			strbuf_addch(out, ' ');
		space = 0;
		strbuf_addch(out, *s);
	}
}

/*
 * "python3 app.py --flag" from /proc/PID/cmdline: argv[0] shortened to its basename,
 * white space folded (a `python -c` program is many lines), at most about 80 bytes.
 */
static void read_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (!pf_read_file(path, &sb, 4096) && sb.len) {
		const char *a0 = sb.buf, *slash = strrchr(a0, '/');

		add_folded(&out, slash ? slash + 1 : a0);
		for (size_t i = strlen(a0) + 1; i < sb.len; i += strlen(sb.buf + i) + 1) {
			strbuf_addch(&out, ' ');
			add_folded(&out, sb.buf + i);
			if (out.len > 80)
				break;
		}
	}
	if (out.len > 80) {
		out.len = 77;
		strbuf_addstr(&out, "...");
	}
	snprintf(buf, size, "%s", out.len ? out.buf : "?");
	strbuf_release(&sb);
	strbuf_release(&out);
}

static int probe_memory(struct sampler *sm, struct proc *p, uint64_t now);

/*
 * p's process in the profile: the command line it runs now, so that what it sampled
 * before an exec stays under the command it ran then.
 */
static uint32_t proc_profile_id(struct sampler *sm, struct proc *p)
{
	if (p->has_prof_proc)
		return p->prof_proc;
	if (!p->cmd[0])
		read_cmdline(p->pid, p->cmd, sizeof(p->cmd));
	p->prof_proc = profile__process(sm->prof, p->pid, p->cmd, p->version);
	p->has_prof_proc = 1;
	sm->c.python_procs++;
	return p->prof_proc;
}

/* An error that says a reader is not allowed here (not that the address is wrong). */
static int reader_refused(int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOSYS;
}

/*
 * What was found of p does not read: the process exec'd or is exiting (say nothing, look
 * again), or the location is wrong for another reason (look again a few times, then say
 * so once).  Never a reason to change readers.  1 when p was given up on.
 */
static int proc_stale(struct proc *p, uint64_t now, int err, const char *what)
{
	uint64_t before = p->image, id;

	if (err == -ESRCH)
		return 0;	/* gone: its exit is on its way */
	id = image_id(p);
	if (!id || (before && id != before))
		proc_new_image(p);
	else
		proc_reset(p);
	p->image = id;
	if (!id || (before && id != before)) {
		pf_info("process %d exec'd or exited while being probed", p->pid);
		proc_young(p);
		return 0;
	}
	if (++p->stale_tries < STALE_RETRIES) {
		p->next_probe_ns = now + PROBE_BACKOFF_MIN_NS * p->stale_tries;
		return 0;
	}
	pf_warn("process %d: %s (%s); not sampling it", p->pid, what, strerror(-err));
	p->state = PROC_FAILED;
	return 1;
}

/* A vfork child still runs in its parent's memory: nothing of its own to read yet. */
static int still_shared(struct proc *p)
{
	uint64_t id;

	if (!p->shared_vm)
		return 0;
	id = image_id(p);
	if (id && id == p->shared_image)
		return 1;
	p->shared_vm = 0;
	return 0;
}

/*
 * A program that would gain privileges at exec (set-user-ID or set-group-ID to another
 * user, file capabilities: sudo, ping, fusermount, newuidmap) gains none when its tracer
 * lacks CAP_SYS_PTRACE: the kernel runs it with the caller's own.  pyflame learns of an
 * exec once it is done, too late to step aside, so it names each such program once, also
 * under -q: the command may fail because of it, and nothing else would say why.
 */
static void check_gains(struct sampler *sm, struct proc *p)
{
	char path[PATH_MAX];
	uint64_t h;
	int gain;

	if (!sm->gains_lost || p->gain_checked)
		return;
	p->gain_checked = 1;
	gain = privs__image_gains(p->pid, sm->uid, sm->gid, path, sizeof(path));
	if (gain == PRIVS_GAIN_NONE)
		return;
	h = pf_hash64(path, strlen(path), 0x9a1);
	for (unsigned i = 0; i < sm->ngains_said; i++)
		if (sm->gains_said[i] == h)
			return;
	if (sm->ngains_said == ARRAY_SIZE(sm->gains_said))
		return;
	sm->gains_said[sm->ngains_said++] = h;
	pf_warn("process %d runs '%s', which is %s: traced, it runs without those privileges",
		p->pid, path, privs__gain_name(gain));
	if (!sm->gains_hinted++)
		pf_hint("the kernel grants none to a program traced by an unprivileged tracer; if "
			"the command needs them, use --no-follow (the processes it starts are not "
			"traced) or run pyflame as root");
}

static void proc_probe(struct sampler *sm, struct proc *p, uint64_t now)
{
	int ret, held;

	if (now != UINT64_MAX && now < p->next_probe_ns)
		return;
	if (now == UINT64_MAX)
		now = pf_now_ns();	/* asked for now, whatever the back-off says */
	if (still_shared(p)) {
		p->next_probe_ns = now + p->backoff_ns;
		if (p->backoff_ns < PROBE_BACKOFF_MAX_NS)
			p->backoff_ns *= 2;
		return;
	}
	check_gains(sm, p);
	if (!p->located) {
		if (!p->exec_events && !p->image)
			p->image = image_id(p);	/* what an exec would change, seen before */
		ret = pyprobe__locate(p->pid, &p->loc);
		if (ret == -ENOTSUP) {
			char v[32];

			pyprobe__version_str(&p->loc, v, sizeof(v));
			if (p->loc.version > py_offsets__newest())
				pf_warn("process %d ('%s'): CPython %s is newer than this pyflame, "
					"which knows up to %u.%u: pyflame needs an update to sample it",
					p->pid, p->loc.binary, v, PY_VER_MAJOR(py_offsets__newest()),
					PY_VER_MINOR(py_offsets__newest()));
			else if (p->loc.debug_build)
				pf_warn("process %d ('%s'): CPython %s debug build (Py_DEBUG) is not "
					"supported; not sampling it", p->pid, p->loc.binary, v);
			else
				pf_warn("process %d ('%s'): CPython %s is not supported; not sampling it",
					p->pid, p->loc.binary, v);
			p->state = PROC_UNSUPPORTED;
			return;
		}
		if (ret) {
			p->next_probe_ns = now + p->backoff_ns;
			if (p->backoff_ns < PROBE_BACKOFF_MAX_NS)
				p->backoff_ns *= 2;
			return;
		}
		p->located = 1;
		p->backoff_ns = PROBE_BACKOFF_MIN_NS;
	}
	/*
	 * Only the peek reader needs a stopped task, and stopping one is not free: on a busy
	 * machine the task may wait long to be scheduled and take the stop.  So auto tries
	 * the readers that work on a running task first, and falls back only when they are
	 * refused here, never because an address did not read.
	 */
	held = sm->o.reader == REMOTE_PEEK ||
	       (p->mem_open && p->mem.kind == REMOTE_PEEK);
	if (!p->mem_open && sm->o.reader == REMOTE_AUTO) {
		uint64_t addr = p->loc.runtime_addr ? p->loc.runtime_addr : p->loc.interp_head_addr;

		ret = remote__open(&p->mem, p->pid, REMOTE_VM, addr);
		if (reader_refused(ret))
			ret = remote__open(&p->mem, p->pid, REMOTE_MEM, addr);
		if (ret && !reader_refused(ret)) {
			proc_stale(p, now, ret, "cannot read the CPython runtime it maps");
			return;
		}
		p->mem_open = !ret;
		held = ret != 0;	/* auto falls back to peek */
	}
	if (held && tracer__hold(sm->tr, p->pid, 0)) {
		tracer__release(sm->tr);
		return;
	}
	ret = probe_memory(sm, p, now);
	if (held)
		tracer__release(sm->tr);
	if (ret)
		return;
	p->uw = unwinder__new(&p->mem, &p->loc, &p->off, sm->prof->strings, sm->o.max_depth);
	if (!p->uw) {
		p->state = PROC_FAILED;
		return;
	}
	pyprobe__version_str(&p->loc, p->version, sizeof(p->version));
	/* real C frames (--native) say more than a marker: they win */
	if (sm->o.native_markers && !sm->o.native && unwinder__set_native_markers(p->uw))
		pf_warn("process %d: --native-markers needs Python 3.11 or later, not %s: "
			"no <native> frames", p->pid, p->version);
	if (sm->o.mode == PF_MODE_EXCEPTION && unwinder__want_exceptions(p->uw))
		pf_warn("process %d: --mode exception does not know where %s%s keeps a "
			"thread's exception: none of its threads is sampled", p->pid, p->version,
			p->off.free_threaded ? " (free-threaded)" : "");
	p->state = PROC_PYTHON;
	p->stale_tries = 0;
	sm->c.python_found++;
	pf_info("process %d: CPython %s in '%s', reading memory with %s", p->pid,
		p->version, p->loc.binary, p->mem.ops->name);
	if (!sm->reader_said && sm->o.reader == REMOTE_AUTO && p->mem.kind != REMOTE_VM) {
		sm->reader_said = 1;
		if (!pf_quiet)
			pf_warn("process_vm_readv is refused here; reading memory with '%s' instead",
				p->mem.ops->name);
	}
}

/* Open a memory reader and read the layout; 0 when ready to sample. */
static int probe_memory(struct sampler *sm, struct proc *p, uint64_t now)
{
	uint64_t probe_addr;
	int ret;

	if (!p->mem_open) {
		probe_addr = p->loc.runtime_addr ? p->loc.runtime_addr : p->loc.interp_head_addr;
		ret = remote__open(&p->mem, p->pid, sm->o.reader, probe_addr);
		if (ret && !reader_refused(ret)) {
			proc_stale(p, now, ret, "cannot read the CPython runtime it maps");
			return -1;
		}
		if (ret) {
			pf_error(ret, "process %d: cannot read its memory with %s reader",
				 p->pid, remote_kind__name(sm->o.reader));
			if (sm->o.reader != REMOTE_AUTO)
				pf_hint("try --reader auto");
			p->state = PROC_FAILED;
			return -1;
		}
		p->mem_open = 1;
	}
	ret = py_offsets__resolve(&p->mem, &p->loc, &p->off);
	if (ret == -EAGAIN || ret == -EFAULT) {
		/* not initialised yet: the interpreter is still starting */
		p->next_probe_ns = now + p->backoff_ns;
		if (p->backoff_ns < PROBE_BACKOFF_MAX_NS / 8)
			p->backoff_ns *= 2;
		return -1;
	}
	if (ret == -ESRCH)
		return -1;
	if (ret) {
		char v[32], what[160];

		pyprobe__version_str(&p->loc, v, sizeof(v));
		snprintf(what, sizeof(what), "cannot read the layout of CPython %s in '%s'", v,
			 p->loc.binary);
		proc_stale(p, now, ret, what);
		return -1;
	}
	return 0;
}

/* --- threads --------------------------------------------------------------------------- */

static struct thread_slot *thread_slot(const struct sampler *sm, struct proc *p, pid_t tid)
{
	size_t i, free_i = SIZE_MAX;

	for (i = 0; i < p->nthreads_alloc; i++) {
		if (p->threads[i].tid == tid)
			return &p->threads[i];
		if (!p->threads[i].tid && free_i == SIZE_MAX)
			free_i = i;
	}
	if (free_i == SIZE_MAX) {
		size_t old = p->nthreads_alloc;

		xgrow((void **)&p->threads, &p->nthreads_alloc, old + 1, sizeof(*p->threads));
		memset(p->threads + old, 0, (p->nthreads_alloc - old) * sizeof(*p->threads));
		free_i = old;
	}
	{
		struct thread_slot *s = &p->threads[free_i];
		char path[96];
		struct strbuf sb = STRBUF_INIT;

		s->stat_fd = s->sched_fd = -1;
		if (tid > 0) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", p->pid, tid);
			s->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
			if (s->stat_fd < 0 && errno == ENOENT) {
				/*
				 * Not a thread of this process: a child just forked still
				 * has its parent's thread id until Python fixes it up.
				 */
				return NULL;
			}
			if (sm->o.mode != PF_MODE_GIL) {
				snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", p->pid,
					 tid);
				s->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
			}
			snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", p->pid, tid);
			if (!pf_read_file(path, &sb, sizeof(s->name) - 1) && sb.len) {
				if (sb.buf[sb.len - 1] == '\n')
					sb.buf[--sb.len] = '\0';
				snprintf(s->name, sizeof(s->name), "%s", sb.buf);
			}
			strbuf_release(&sb);
		}
		s->tid = tid;
		return s;
	}
}

/* What a thread's state read may be skipped on: its Python stack as the unwinder gave it. */
static uint64_t stack_sig(const struct unwind_thread *t)
{
	return (pf_hash64(t->frames, t->depth * sizeof(*t->frames), 0x51e) ^
		((uint64_t)t->depth << 2) ^ ((uint64_t)!!t->in_gc << 1)) | 1;
}

/*
 * A state read of a thread at stack sig (ran: it was running, or had run since the read
 * before).  The first read finding it off CPU at a stack only notes it; each next one at
 * the same stack lets the following ticks take the thread as still off CPU without a
 * read, for twice as long as last time: from the time between the two reads up to
 * QUIET_MAX_NS.  Any CPU time since the read before (ran) starts that doubling over.  A
 * stack the thread was found busy at (on a CPU for a real part of the time since the read
 * before), without the GIL (on_thread asks only then), is one where it runs C code as
 * well as waits (a hash or a compression with the GIL released, between waits for the
 * GIL): no read is skipped there until QUIET_MIXED_READS reads in a row have found it off
 * CPU.  A thread that only woke up and went back to the same wait (a sleep in a loop, a
 * poll timing out) ran a few microseconds: that starts the stretch over but is not
 * "busy".
 */
static void thread_quiet(struct sampler *sm, struct thread_slot *s, uint64_t sig, int ran,
			 int busy)
{
	if (busy) {
		s->mixed_sig = sig;
		s->mixed_left = QUIET_MIXED_READS;
	} else if (sig == s->mixed_sig && s->mixed_left) {
		s->mixed_left--;
	}
	if (busy || sig != s->quiet_sig || (sig == s->mixed_sig && s->mixed_left)) {
		s->quiet_sig = busy ? 0 : sig;
		s->quiet_step_ns = 0;
	} else {
		uint64_t gap = sm->now_ns - s->quiet_read_ns;

		s->quiet_step_ns = s->quiet_step_ns && !ran ? 2 * s->quiet_step_ns : gap;
		if (s->quiet_step_ns > QUIET_MAX_NS)
			s->quiet_step_ns = QUIET_MAX_NS;
		s->quiet_until_ns = sm->now_ns + s->quiet_step_ns;
	}
	s->quiet_read_ns = sm->now_ns;
}

/*
 * Is the thread off CPU?  A thread we hold stopped (--blocking, the peek reader) is
 * judged by the state it was in just before we stopped it; any other by its state now.
 * Unknown counts as running.
 *
 * --mode cpu asks more: how much did the thread run since the last tick?  Its state says
 * R also while it waits on a run queue behind other work (a busy CI machine), and a
 * thread that ran a little in each period looks running at every tick: both would count
 * time it did not get.  Its CPU time (schedstat, ns) since the previous tick, over the
 * time between them, is the share of that period it ran; the sample is kept with that
 * probability, so the expected samples are its CPU time over the period, however the
 * scheduler sliced it.  The first tick of a thread, and where schedstat is missing, fall
 * back to the state.
 *
 * Quiet threads.  A read is a system call on /proc per thread per tick, and in a process
 * of many threads most of them sit in a sleep, a join or a blocking read for long
 * stretches: their reads are most of what sampling it costs.  A thread found off CPU at
 * two reads in a row, its Python stack the same at both, is taken as still off CPU while
 * that stack stays the same, for a stretch that doubles with each read confirming it, up
 * to QUIET_MAX_NS (thread_quiet).  A read finding it running, or any change of its stack,
 * ends that.  What this could get wrong is a thread that, at the very stack where it was
 * found waiting, goes on to run C code with the GIL released (a hash between waits for
 * the GIL): once found running there, its reads at that stack are not skipped for a long
 * while (QUIET_MIXED_READS).  The GIL holder is never asked (see on_thread).
 */
static int thread_idle(struct sampler *sm, struct thread_slot *s, const struct unwind_thread *t)
{
	int held = tracer__held_state(sm->tr, s->tid);
	uint64_t sig = held ? 0 : stack_sig(t);	/* a held thread is always read */
	enum procfs_state st;
	uint64_t ns, waited;
	int idle;

	if (!held && s->quiet_step_ns && sig == s->quiet_sig && sm->now_ns < s->quiet_until_ns) {
		sm->c.state_reused++;
		return 1;
	}
	if (s->sched_fd >= 0 && !procfs__runtime_fd(s->sched_fd, &ns, &waited)) {
		int known = s->runtime_known;
		uint64_t ran = ns > s->runtime_ns ? ns - s->runtime_ns : 0;
		uint64_t span = sm->now_ns > s->runtime_at_ns ? sm->now_ns - s->runtime_at_ns : 0;
		uint64_t cpu = ran;

		sm->c.state_reads++;
		/* wall mode: waiting for a CPU is not idle */
		if (sm->o.mode != PF_MODE_CPU && waited > s->waited_ns)
			ran += waited - s->waited_ns;
		s->runtime_ns = ns;
		s->waited_ns = waited;
		s->runtime_at_ns = sm->now_ns;
		s->runtime_known = 1;
		if (known && span) {
			if (!held)
				thread_quiet(sm, s, sig, cpu != 0, cpu >= span / QUIET_BUSY_PART);
			/*
			 * The kernel adds a running thread's CPU time to its counter at a
			 * context switch or a scheduler tick, so what one read finds can be
			 * more than the span while the read before found too little: carry
			 * the excess to the next read instead of losing it (a thread running
			 * C code in bursts between waits was under-counted by half).
			 */
			ran += s->runtime_carry_ns;
			s->runtime_carry_ns = 0;
			if (ran >= span) {
				s->runtime_carry_ns = ran - span < RUNTIME_CARRY_MAX_NS ?
					ran - span : RUNTIME_CARRY_MAX_NS;
				return 0;
			}
			/* idle unless a uniform draw in [0, span) falls below ran */
			return pf_random(&sm->rng) % span >= ran;
		}
	}
	if (held)
		return held != PROCFS_STATE_RUNNING;
	if (s->stat_fd < 0)
		return 0;
	sm->c.state_reads++;
	st = procfs__state_fd(s->stat_fd);
	idle = st != PROCFS_STATE_UNKNOWN && st != PROCFS_STATE_RUNNING;
	if (s->sched_fd < 0)
		thread_quiet(sm, s, sig, !idle, !idle);
	return idle;
}

static void thread_prune(struct sampler *sm, struct proc *p)
{
	for (size_t i = 0; i < p->nthreads_alloc; i++) {
		struct thread_slot *s = &p->threads[i];

		if (s->tid && sm->tick_no - s->last_tick > THREAD_STALE_TICKS)
			slot_clear(s);
	}
}

struct emit_ctx {
	struct sampler *sm;
	struct proc *p;
};

/*
 * weight: the ticks this sample stands for, 1 but after ticks that skipped its process
 * to keep it running (hold_allowed): a deep stack is slow to read and would otherwise
 * be under-counted against the shallow ones read at every tick.
 */
static void add_sample(struct sampler *sm, struct proc *p, struct thread_slot *s, uint64_t t_ns,
		       uint32_t stack, unsigned flags, uint32_t weight)
{
	if (!s->has_prof_thread) {
		s->prof_thread = profile__thread(sm->prof, proc_profile_id(sm, p), s->tid, s->name);
		s->has_prof_thread = 1;
		sm->c.python_threads++;
	}
	if (!weight)
		weight = 1;
	profile__add(sm->prof, s->prof_thread, stack, flags, weight);
	for (uint32_t i = 0; sm->raw && i < weight; i++)
		rawlog__sample(sm->raw, sm->prof, t_ns, s->prof_thread, stack, flags);
}

/* --- tests (--tests) ------------------------------------------------------------------ */

static unsigned frame_class(struct sampler *sm, uint32_t id)
{
	if (id >= sm->fclass_alloc) {
		size_t old = sm->fclass_alloc;

		xgrow((void **)&sm->fclass, &sm->fclass_alloc, (size_t)id + 1, sizeof(*sm->fclass));
		memset(sm->fclass + old, 0, (sm->fclass_alloc - old) * sizeof(*sm->fclass));
	}
	if (!sm->fclass[id]) {
		const struct pf_frame *f = &sm->prof->frames[id];

		sm->fclass[id] = (uint16_t)testattr__frame_class(strtab__get(sm->prof->strings, f->name),
								strtab__get(sm->prof->strings, f->file));
	}
	return sm->fclass[id];
}

/* Does a command line name a test runner? */
static unsigned cmd_runner(const char *cmd)
{
	if (strstr(cmd, "pytest") || strstr(cmd, "py.test"))
		return TF_PYTEST;
	if (strstr(cmd, "unittest"))
		return TF_UNITTEST;
	return 0;
}

/*
 * Read PYTEST_CURRENT_TEST of p for this tick (the process's, not a thread's): its three
 * ranges ride in the unwinder's batched read of the tick (no call of their own), and
 * test_env_done() takes them before the first sample of the tick needs the value.
 */
static void test_env(struct sampler *sm, struct proc *p)
{
	if (!p->tenv_located) {
		int ret = testenv__locate(p->pid, &p->tenv.environ_addr);

		p->tenv_located = 1;
		if (ret)
			pf_info("process %d: no 'environ' symbol found (%s): tests are told from "
				"its stacks", p->pid, strerror(-ret));
	}
	p->tenv_n = testenv__plan(&p->tenv, p->tenv_iov);
	unwinder__ride(p->uw, p->tenv_iov, p->tenv_n, p->tenv_res);
	p->tenv_due = 1;
	(void)sm;
}

static void test_env_done(struct proc *p)
{
	int ridden = p->tenv_n && p->tenv_res[0] != -EAGAIN;

	if (!p->tenv_due)
		return;
	p->tenv_due = 0;
	p->tenv_ret = ridden ? testenv__finish(&p->tenv, &p->mem, p->tenv_res, p->tval, &p->tlen)
			     : testenv__read(&p->tenv, &p->mem, p->tval, &p->tlen);
}

/*
 * The synthetic root frame of a sample of p whose frames are st[0..n) (root first):
 * "test <id> [<phase>]" or "<collection>" etc.  0 when p is not known to run tests.
 */
static int test_frame(struct sampler *sm, struct proc *p, const uint32_t *st, unsigned n,
		      uint32_t *out)
{
	struct test_stack ts;
	size_t id_len;
	enum test_phase ph;

	test_env_done(p);
	for (unsigned i = 0; i < n; i++)
		sm->stackcls[i] = (uint16_t)frame_class(sm, st[i]);
	testattr__stack(sm->stackcls, n, &ts);
	if (!p->runner) {
		if (!p->cmd[0])
			read_cmdline(p->pid, p->cmd, sizeof(p->cmd));
		p->runner = ts.runner | (p->tenv_ret == 1 ? TF_PYTEST : 0) | cmd_runner(p->cmd);
		if (!p->runner)
			return 0;
		sm->c.tests_runner_seen = 1;
	}
	strbuf_reset(&sm->tlabel);
	if (p->tenv_ret == 1 && !testattr__parse_pytest(p->tval, p->tlen, &id_len, &ph)) {
		testattr__label(&sm->tlabel, p->tval, id_len, ph);
		p->seen_work = 1;
	} else if (ts.where == TEST_WHERE_TEST) {
		p->seen_work = 1;
		strbuf_reset(&sm->tid);
		if (ts.test_frame >= 0) {
			const struct pf_frame *f = &sm->prof->frames[st[ts.test_frame]];

			testattr__frame_id(&sm->tid, strtab__get(sm->prof->strings, f->name),
					   strtab__get(sm->prof->strings, f->file), sm->cwd,
					   ts.unittest, ts.phase);
		} else {
			strbuf_addch(&sm->tid, '?');
		}
		testattr__label(&sm->tlabel, sm->tid.buf, sm->tid.len, ts.phase);
		if (!ts.unittest) {
			sm->c.tests_fallback++;
			if (p->tenv_ret < 0)
				sm->c.tests_unreadable++;
		}
	} else {
		enum test_where w = ts.where;

		if (w == TEST_WHERE_COLLECTION)
			p->seen_work = 1;
		else if (w == TEST_WHERE_SESSION_START && p->seen_work)
			w = TEST_WHERE_SESSION_END;
		strbuf_addstr(&sm->tlabel, test_where__label(w));
	}
	if (p->tframe_valid && sm->tlabel.len == p->tlast_len &&
	    !memcmp(sm->tlabel.buf, p->tlast, p->tlast_len)) {
		*out = p->tframe;
		return 1;
	}
	{
		struct pf_frame f = {
			.name = strtab__intern(sm->prof->strings, sm->tlabel.buf, sm->tlabel.len),
			.file = sm->empty_str,
			.line = PF_LINE_TEST,
		};

		*out = profile__frame(sm->prof, &f);
	}
	p->tframe = *out;
	p->tframe_valid = sm->tlabel.len <= sizeof(p->tlast);
	if (p->tframe_valid) {
		memcpy(p->tlast, sm->tlabel.buf, sm->tlabel.len);
		p->tlast_len = sm->tlabel.len;
	}
	return 1;
}

#define ASYNC_LOOK_NS 200000000ull	/* --async: look for asyncio again after 200 ms */

/*
 * --async, 3.11-3.13: _asyncio's layout is a table; what waits for asyncio's import is
 * finding its current_tasks dict (and for --async=all, its task sets).
 */
static void proc_async_table(struct sampler *sm, struct proc *p, int first)
{
	struct py_async_offsets a;
	int err;

	if (first) {
		if (py_offsets__async_table(&p->off, &a) ||
		    unwinder__set_async(p->uw, &a, sm->o.async > 1)) {
			pf_warn("process %d: --async does not know _asyncio's layout in %s%s: its "
				"stacks are the event loop's", p->pid, p->version,
				p->off.free_threaded ? " (free-threaded)" : "");
			p->aio_state = -1;
			return;
		}
	}
	err = unwinder__find_asyncio(p->uw);
	if (err == -ENOTSUP) {
		p->aio_state = -1;
		return;
	}
	if (err)
		return;		/* asyncio not imported yet, or torn: look again later */
	pf_info("process %d: asyncio tasks found", p->pid);
	p->aio_state = 1;
}

/* --async: once the process has imported asyncio (3.11+), read _asyncio's task layout. */
static void proc_async(struct sampler *sm, struct proc *p, uint64_t now)
{
	uint8_t buf[PY_ASYNC_DEBUG_SIZE];
	struct py_async_offsets a;
	uint64_t addr;
	int first = !p->aio_next_ns;

	if (!sm->o.async || p->aio_state || now < p->aio_next_ns)
		return;
	if (p->off.version < PY_VER(3, 11)) {
		pf_warn("process %d: --async needs Python 3.11 or later, not %s: its stacks are "
			"the event loop's", p->pid, p->version);
		p->aio_state = -1;
		return;
	}
	p->aio_next_ns = now + ASYNC_LOOK_NS;
	if (p->off.version < PY_VER(3, 14)) {
		proc_async_table(sm, p, first);
		return;
	}
	/* built into the runtime's own file (there from the start), else the module */
	if (pyprobe__locate_asyncio(p->pid, first ? p->loc.binary : NULL, &addr) ||
	    remote__read(&p->mem, addr, buf, sizeof(buf)))
		return;		/* asyncio not imported yet */
	if (py_offsets__from_async_debug(buf, sizeof(buf), &p->off, &a) ||
	    unwinder__set_async(p->uw, &a, sm->o.async > 1)) {
		pf_warn("process %d: cannot make sense of _asyncio's debug offsets: its stacks "
			"are the event loop's", p->pid);
		p->aio_state = -1;
		return;
	}
	pf_info("process %d: asyncio tasks found", p->pid);
	p->aio_state = 1;
}

/* A marker frame of the profile: a name, no file, no line (id cached in *id). */
static uint32_t marker_frame(struct sampler *sm, const char *name, uint32_t *id, int *has)
{
	if (!*has) {
		struct pf_frame f = {
			.name = strtab__intern_str(sm->prof->strings, name),
			.file = strtab__intern_str(sm->prof->strings, ""),
			.line = -1,
		};

		*id = profile__frame(sm->prof, &f);
		*has = 1;
	}
	return *id;
}

/* The <GC> frame put on top of a stack the cyclic GC interrupted (--no-gc-frames: none). */
static uint32_t gc_frame(struct sampler *sm)
{
	return marker_frame(sm, PF_GC_FRAME, &sm->gc_frame, &sm->has_gc_frame);
}

/* The profile's ids of frames (innermost first, n of them) into sm->stackbuf[1..n], root first. */
static void frame_ids(struct sampler *sm, struct thread_slot *s, const struct pf_frame *frames,
		      unsigned n)
{
	uint32_t *ids = sm->stackbuf + 1;
	unsigned d;

	if (n > s->prev_alloc) {
		s->prev = xrealloc(s->prev, n * sizeof(*s->prev));
		s->prev_id = xrealloc(s->prev_id, n * sizeof(*s->prev_id));
		s->prev_alloc = n;
	}
	for (d = 0; d < n && d < s->nprev; d++) {
		const struct pf_frame *f = &frames[n - 1 - d], *g = &s->prev[d];

		if (f->name != g->name || f->file != g->file || f->line != g->line)
			break;
		ids[d] = s->prev_id[d];
	}
	for (; d < n; d++) {
		s->prev[d] = frames[n - 1 - d];
		s->prev_id[d] = ids[d] = profile__frame(sm->prof, &frames[n - 1 - d]);
	}
	s->nprev = n;
}

/* The stack of one thread sample into the profile (frames innermost first). */
static void emit(struct sampler *sm, struct proc *p, struct thread_slot *s,
		 const struct pf_frame *frames, unsigned n, int in_gc, int native_call,
		 unsigned flags)
{
	unsigned depth;
	uint32_t stack;

	frame_ids(sm, s, frames, n);
	depth = n;
	if (in_gc && sm->o.gc_frames)
		sm->stackbuf[1 + depth++] = gc_frame(sm);	/* stackbuf: stack_max + 3 */
	else if (native_call && sm->o.native_markers)
		sm->stackbuf[1 + depth++] = marker_frame(sm, PF_NATIVE_FRAME, &sm->native_frame,
							 &sm->has_native_frame);
	if (sm->o.tests && test_frame(sm, p, sm->stackbuf + 1, depth, &sm->stackbuf[0]))
		stack = profile__stack(sm->prof, sm->stackbuf, depth + 1);
	else
		stack = profile__stack(sm->prof, sm->stackbuf + 1, depth);
	if (!p->cmd[0])
		read_cmdline(p->pid, p->cmd, sizeof(p->cmd));
	if (p->provisional_until) {
		xgrow((void **)&p->prov, &p->prov_alloc, p->nprov + 1, sizeof(*p->prov));
		p->prov[p->nprov++] = (struct prov_sample){ sm->now_ns, (size_t)(s - p->threads),
							    stack, flags, p->weight };
		return;
	}
	add_sample(sm, p, s, sm->now_ns, stack, flags, p->weight);
}

/* --native: p's C unwinder, made at most NATIVE_TRIES times (the last failure said). */
static struct native *proc_native(struct sampler *sm, struct proc *p)
{
	if (!p->nat && p->nat_tries < NATIVE_TRIES) {
		p->nat = native__new(p->pid, &p->mem, sm->prof->strings, p->off.version);
		if (!p->nat && ++p->nat_tries == NATIVE_TRIES)
			pf_warn("process %d: cannot unwind its C stacks (%s): its samples are "
				"dropped", p->pid, strerror(errno));
	}
	return p->nat;
}

/*
 * --native: take t's registers and stack copy into pe (its process held), and its Python
 * frames.  0, or a drop cause as -1 - enum native_drop.
 */
static int native_take(struct sampler *sm, struct proc *p, const struct unwind_thread *t,
		       struct nat_pending *pe)
{
	int ret;

	if (!p->nat)
		return -1 - NATIVE_DROP_NO_UNWINDER;
	if (!t->tid || !tracer__held_state(sm->tr, t->tid))
		return -1 - NATIVE_DROP_NOT_STOPPED;
	if (!t->acts)
		return -1 - NATIVE_DROP_NO_ACTS;
	if (!pe->snap)
		pe->snap = xmalloc(sizeof(*pe->snap));
	ret = native__capture(p->nat, t->tid, pe->snap);
	if (ret)
		return ret;
	xgrow((void **)&pe->frames, &pe->frames_alloc, t->depth + 1, sizeof(*pe->frames));
	xgrow((void **)&pe->acts, &pe->acts_alloc, t->nacts + 1, sizeof(*pe->acts));
	memcpy(pe->frames, t->frames, t->depth * sizeof(*pe->frames));
	memcpy(pe->acts, t->acts, t->nacts * sizeof(*pe->acts));
	pe->depth = t->depth;
	pe->nacts = t->nacts;
	pe->in_gc = t->in_gc;
	return 0;
}

/* sm->pend[i], made if need be (i <= NATIVE_DEFER_MAX). */
static struct nat_pending *pend_slot(struct sampler *sm, size_t i)
{
	if (i >= sm->pend_alloc) {
		sm->pend = xrealloc(sm->pend, (i + 1) * sizeof(*sm->pend));
		memset(&sm->pend[sm->pend_alloc], 0, (i + 1 - sm->pend_alloc) * sizeof(*sm->pend));
		sm->pend_alloc = i + 1;
	}
	return &sm->pend[i];
}

/*
 * --native: pe's C stack, unwound from its copy, merged with its Python frames into
 * sm->nbuf (innermost first).  0, or a drop cause as -1 - enum native_drop.
 */
static int native_merged(struct sampler *sm, struct proc *p, const struct nat_pending *pe,
			 unsigned *n)
{
	const struct native_frame *c;
	unsigned nc;
	int ret = native__unwind(p->nat, pe->snap, &c, &nc);

	if (ret)
		return ret;
	ret = native__merge(c, nc, pe->frames, pe->depth, pe->acts, pe->nacts,
			    sm->o.native == 2, sm->nbuf, sm->stack_max, n);
	if (ret)
		ret = -1 - (ret == -E2BIG ? NATIVE_DROP_DEEP :
			    ret == -ENODATA ? NATIVE_DROP_SHORT : NATIVE_DROP_MISMATCH);
	return ret;
}

/* --native: the pending sample pe of p's thread slot pe->slot into the profile. */
static void native_emit(struct sampler *sm, struct proc *p, const struct nat_pending *pe)
{
	unsigned n;
	int ret = native_merged(sm, p, pe, &n);

	if (ret) {
		sm->c.nstats.drops[-1 - ret]++;
		return;
	}
	sm->c.nstats.merged++;
	emit(sm, p, &p->threads[pe->slot], sm->nbuf, n, pe->in_gc, 0, pe->flags);
}

/*
 * --native: t's C stack is taken now, while p is held, and unwound once p runs again
 * (native_flush); past NATIVE_DEFER_MAX threads, unwound now.
 */
static void native_defer(struct sampler *sm, struct proc *p, struct thread_slot *s,
			 const struct unwind_thread *t, unsigned flags)
{
	size_t i = sm->npend < NATIVE_DEFER_MAX ? sm->npend : NATIVE_DEFER_MAX;
	struct nat_pending *pe = pend_slot(sm, i);
	int ret = native_take(sm, p, t, pe);

	if (ret) {
		sm->c.nstats.drops[-1 - ret]++;
		return;
	}
	pe->slot = (size_t)(s - p->threads);
	pe->flags = flags;
	if (i == NATIVE_DEFER_MAX)
		native_emit(sm, p, pe);		/* the spare: p is still held */
	else
		sm->npend++;
}

/* --native: the samples native_defer() took of p, now that it runs again. */
static void native_flush(struct sampler *sm, struct proc *p)
{
	for (size_t i = 0; i < sm->npend; i++)
		native_emit(sm, p, &sm->pend[i]);
	sm->npend = 0;
}

static void on_thread(void *arg, const struct unwind_thread *t)
{
	struct emit_ctx *e = arg;
	struct sampler *sm = e->sm;
	struct thread_slot *s = thread_slot(sm, e->p, t->tid);
	unsigned flags = t->flags;

	if (!s)
		return;
	if (t->task) {
		/*
		 * --async=all: a task waiting on this thread's event loop, one sample per tick
		 * like each thread; it runs nowhere, so only wall mode keeps it, as idle.
		 */
		if (sm->o.mode != PF_MODE_WALL || !t->depth)
			return;
		flags |= PF_SAMPLE_IDLE;
	} else if (t->tid > 0 && s->last_tick == sm->tick_no) {
		/*
		 * One OS thread can hold a thread state in several interpreters (a
		 * subinterpreter runs on its caller's thread).  Interpreters are walked newest
		 * first, so the first state seen is the one the thread is running in; the
		 * others would count it twice.
		 */
		return;
	} else {
		s->last_tick = sm->tick_no;
		if (!t->depth)
			return;	/* no Python on this thread right now (starting, in C, exiting) */
		if (sm->o.mode == PF_MODE_EXCEPTION && !t->exception)
			return;	/* before its state is read: that costs a system call */
		/*
		 * Reading stat is a system call per thread per tick: skip it when its answer
		 * cannot matter (the GIL holder is never idle; gil mode keeps only the holder).
		 */
		if (sm->o.mode == PF_MODE_CPU ? thread_idle(sm, s, t) :
		    !(flags & PF_SAMPLE_GIL) && sm->o.mode != PF_MODE_GIL && thread_idle(sm, s, t))
			flags |= PF_SAMPLE_IDLE;	/* cpu mode: the GIL holder may wait for a CPU */
	}
	if (sm->o.mode == PF_MODE_CPU && (flags & PF_SAMPLE_IDLE))
		return;
	if (sm->o.mode == PF_MODE_GIL && !(flags & PF_SAMPLE_GIL))
		return;
	/* --async=all: a waiting task has no C stack; as it is */
	if (sm->o.native && !t->task)
		native_defer(sm, e->p, s, t, flags);
	else
		emit(sm, e->p, s, t->frames, t->depth, t->in_gc, t->native_call, flags);
}

/* What a fork child held back counts now: it ran on without exec'ing, or exited. */
static void commit_provisional(struct sampler *sm, struct proc *p)
{
	if (p->nprov)
		pf_info("process %d: its %zu held-back samples count (it did not exec)", p->pid,
			p->nprov);
	p->provisional_until = 0;
	for (size_t i = 0; i < p->nprov; i++) {
		const struct prov_sample *ps = &p->prov[i];

		if (ps->slot < p->nthreads_alloc && p->threads[ps->slot].tid)
			add_sample(sm, p, &p->threads[ps->slot], ps->t_ns, ps->stack, ps->flags,
				   ps->weight);
	}
	free(p->prov);
	p->prov = NULL;
	p->nprov = p->prov_alloc = 0;
}

/* --- tracer callbacks ------------------------------------------------------------------ */

/*
 * A fork is a copy of its parent: a Python parent's child has the same runtime at the
 * same addresses, so it starts from the parent's findings instead of probing the ELF
 * files again (a fork-heavy program makes hundreds of them).  Only its memory reader and
 * caches are its own.
 */
static void cb_process_new(void *arg, pid_t pid, pid_t parent, unsigned flags)
{
	struct sampler *sm = arg;
	struct proc *pp = proc_find(sm, parent);
	struct proc *p = proc_add(sm, pid);

	if (sm->driver && parent == sm->driver && sm->nreps < sm->o.repeat) {
		struct sampler_repeat *rep = &sm->reps[sm->nreps++];

		rep->pid = pid;
		rep->start_ns = pf_now_ns();
		p->repeat = sm->nreps;
	} else if (pp) {
		p->repeat = pp->repeat;		/* a process of the same repeat */
	}
	if (p->repeat && sm->raw)
		rawlog__repeat(sm->raw, pid, p->repeat);

	/* the findings hold until its exec, so only if that exec will be reported */
	p->exec_events = tracer__exec_traced(sm->tr, pid);
	if (flags & TRACER_NEW_SHARED_VM) {
		/*
		 * A vfork child (subprocess, posix_spawn) runs in its parent's memory until it
		 * execs, and its parent waits meanwhile: reading it would sample its parent
		 * again, under the child's pid.  Its parent's image marks it until then (the
		 * parent cannot exec while it waits).
		 */
		struct proc tmp = { .pid = parent, .stat_fd = -1 };

		p->shared_vm = 1;
		p->shared_image = image_id(&tmp);
		if (tmp.stat_fd >= 0)
			close(tmp.stat_fd);
		if (!p->shared_image)
			p->shared_vm = 0;
		proc_young(p);
	} else if (pp && pp->state == PROC_PYTHON && p->exec_events) {
		/*
		 * It holds a copy of its parent's thread states until it runs Python of its
		 * own or execs (subprocess without vfork: within a millisecond): read it no
		 * sooner than any new process, or it shows its parent's stacks for a tick.
		 */
		p->loc = pp->loc;
		p->located = 1;
		proc_young(p);
	} else {
		proc_young(p);
	}
	/* a fork child runs its parent's image until it execs: see PROVISIONAL_NS */
	if (!(flags & TRACER_NEW_SHARED_VM))
		p->provisional_until = pf_now_ns() + PROVISIONAL_NS;
}

static void cb_process_exec(void *arg, pid_t pid)
{
	struct proc *p = proc_add(arg, pid);

	check_gains(arg, p);	/* now, while it is stopped at its exec: it may not live long */
	proc_young(p);
}

static void cb_process_exit(void *arg, pid_t pid)
{
	struct sampler *sm = arg;

	for (unsigned i = sm->nreps; i-- > 0;) {
		if (sm->reps[i].pid == pid && !sm->reps[i].end_ns) {
			sm->reps[i].end_ns = pf_now_ns();
			break;
		}
	}
	proc_del(sm, pid);
}

/*
 * A process just found to be Python: from now on its exec must be reported, or its
 * findings would go stale unnoticed (its forks inherit them, and the setting).  Stops it
 * once; done here, between events, never while the tracer has a task stopped for us.
 */
static void arm_exec_events(struct sampler *sm, struct proc *p, uint64_t now)
{
	uint64_t before = p->image;
	int ret;

	if (now < p->exec_arm_next_ns)
		return;
	ret = tracer__exec_events(sm->tr, p->pid, 1);
	if ((ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EBUSY) && p->exec_arm_tries < 8) {
		/* a thread could not stop now (in vfork, or no CPU for it): try again later */
		p->exec_arm_next_ns = now + (PROBE_BACKOFF_MIN_NS << p->exec_arm_tries++);
		return;
	}
	if (ret) {
		/* gone, or refused: image_id keeps watching; never stop it for this again */
		pf_info("process %d: cannot ask for its exec events: %s", p->pid, strerror(-ret));
		p->exec_arm_failed = 1;
		return;
	}
	p->exec_events = 1;
	if (image_id(p) != before) {
		/* it exec'd between the probe and now */
		proc_new_image(p);
	}
}

/* --live: the view reads its keys and redraws once a second; q ends the sampling. */
static void live_tick(struct sampler *sm, uint64_t now)
{
	struct live_facts f = {
		.command = sm->prof->meta.command,
		.elapsed_ns = now - sm->start_ns,
		.ticks = sm->c.ticks,
		.missed = sm->c.missed,
		.processes = sm->c.python_procs,
		.threads = sm->c.python_threads,
	};

	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		f.dropped += sm->c.ustats.drops[i];
	for (int i = 0; i < NATIVE_DROP__COUNT; i++)
		f.dropped += sm->c.nstats.drops[i];
	if (live__tick(sm->live, sm->prof, now, &f) == LIVE_QUIT)
		tracer__end_sampling(sm->tr);
}

static void cb_job_stop(void *arg, int stopping)
{
	struct sampler *sm = arg;

	if (stopping)
		live__suspend(sm->live);
	else
		live__resume(sm->live);
}

/*
 * A process stopped for a read (--reader peek, --native, --blocking) does not run: were
 * the reads to take a tick period, the command would stand still (a livelock: nothing
 * hangs, nothing moves).  Each process has a budget of stopped time that grows at 1 /
 * HOLD_DUTY of the time passing, up to HOLD_BURST_NS; a hold spends what it took, and a
 * tick that finds the budget spent skips the process (counted; the summary says so).
 * A slow read now and then is paid from the burst and skips nothing; reads that take
 * more than a quarter of the time, sustained, are thinned to a quarter of it.
 */
static int hold_allowed(struct proc *p, uint64_t now)
{
	if (!p->hold_credit_at) {
		p->hold_credit_ns = HOLD_BURST_NS;
	} else if (now > p->hold_credit_at) {
		p->hold_credit_ns += (int64_t)((now - p->hold_credit_at) / HOLD_DUTY);
		if (p->hold_credit_ns > (int64_t)HOLD_BURST_NS)
			p->hold_credit_ns = HOLD_BURST_NS;
	}
	p->hold_credit_at = now;
	return p->hold_credit_ns > 0;
}

static void hold_done(struct sampler *sm, struct proc *p, uint64_t from)
{
	uint64_t now = pf_now_ns(), d = now > from ? now - from : 0;

	sm->c.held_ns += d;
	sm->c.holds++;
	if (d > sm->c.held_max_ns)
		sm->c.held_max_ns = d;
	if (d > HOLD_BURST_NS)
		d = HOLD_BURST_NS;	/* a hold is bounded by its wait; the clock is not */
	p->hold_credit_ns -= (int64_t)d;
}

static void cb_tick(void *arg, uint64_t now, uint64_t missed)
{
	struct sampler *sm = arg;
	uint64_t held_from;
	int hold, ret;

	if (live__paused(sm->live)) {
		live_tick(sm, now);	/* keys, the view: no sample while paused */
		return;
	}
	sm->c.ticks++;
	sm->tick_no++;
	sm->now_ns = now;
	sm->c.missed += missed;
	for (size_t i = 0; i < sm->nprocs; i++) {
		struct proc *p = sm->procs[i];
		struct emit_ctx e = { sm, p };

		check_exec(p, now);
		if (p->state == PROC_PROBING)
			proc_probe(sm, p, now);
		if (p->state != PROC_PYTHON)
			continue;
		if (!p->exec_events && !p->exec_arm_failed) {
			arm_exec_events(sm, p, now);
			if (p->state != PROC_PYTHON)
				continue;
		}
		/* --native: every thread stops while its registers and stack are copied */
		hold = sm->o.blocking || (sm->o.native && proc_native(sm, p)) ||
		       p->mem.kind == REMOTE_PEEK;
		if (hold && !hold_allowed(p, now)) {
			sm->c.skipped[SKIP_DUTY]++;
			p->duty_skipped++;
			continue;
		}
		held_from = hold ? pf_now_ns() : 0;
		if (hold && (ret = tracer__hold(sm->tr, p->pid, sm->o.blocking || p->nat))) {
			/* a process that cannot stop now is skipped, never waited for */
			tracer__release(sm->tr);
			if (ret == -EAGAIN)
				sm->c.skipped[SKIP_UNINTERRUPTIBLE]++;
			else if (ret == -ETIMEDOUT)
				sm->c.skipped[SKIP_TIMEOUT]++;
			hold_done(sm, p, held_from);
			continue;
		}
		p->weight = 1 + p->duty_skipped;
		p->duty_skipped = 0;
		if (sm->o.tests)
			test_env(sm, p);
		proc_async(sm, p, now);
		unwinder__sample(p->uw, on_thread, &e, &sm->c.ustats);
		if (hold) {
			tracer__release(sm->tr);
			hold_done(sm, p, held_from);
		}
		native_flush(sm, p);	/* --native: unwound while it runs */
		if (p->provisional_until && now >= p->provisional_until)
			commit_provisional(sm, p);
		if ((sm->tick_no & 63) == 0 && !p->provisional_until)
			thread_prune(sm, p);
	}
	if (sm->raw)
		rawlog__flush(sm->raw, now, 0);
	if (sm->live)
		live_tick(sm, now);
}

/* --- stacks on demand ------------------------------------------------------------------- */

static int print_stacks(struct sampler *sm, struct proc *p, const char *command,
			const struct stackdump_opts *so, FILE *out)
{
	uint32_t id = proc_profile_id(sm, p);	/* first: it may move sm->prof->procs */

	if (!command)
		command = strtab__get(sm->prof->strings, sm->prof->procs[id].cmdline);
	return stackdump__print(p->uw, sm->prof->strings, p->pid, command, p->version, so, out);
}

/* `dump --native`: a thread's stack with its C frames, read now (its process held). */
struct dump_native {
	struct sampler *sm;
	struct proc *p;
};

static int dump_frames(void *arg, const struct unwind_thread *t, const struct pf_frame **frames,
		       unsigned *n, const char **why)
{
	struct dump_native *d = arg;
	struct nat_pending *pe = pend_slot(d->sm, 0);
	int ret = native_take(d->sm, d->p, t, pe);

	if (!ret)
		ret = native_merged(d->sm, d->p, pe, n);
	if (ret) {
		*why = native_drop__name(-1 - ret);
		return ret;
	}
	*frames = d->sm->nbuf;
	return 0;
}

/*
 * dump --native, first pass: unwind every thread once, unprinted, so that an eval loop
 * learnt from one thread's stack (native.h: a stripped interpreter's) names it in all.
 */
static void dump_learn(void *arg, const struct unwind_thread *t)
{
	const struct pf_frame *frames;
	const char *why;
	unsigned n;

	if (!t->task && t->depth)
		dump_frames(arg, t, &frames, &n, &why);
}

/*
 * A process's stacks on stderr (SIGUSR1, --dump-on-timeout, a crash), stopping it if the
 * way it is read needs that.  With --native each thread's C frames are read while it is
 * held, and printed with its Python frames as `dump --native` prints them.
 */
static int dump_process(struct sampler *sm, struct proc *p, const struct stackdump_opts *so)
{
	int native = sm->o.native && proc_native(sm, p);
	int hold = sm->o.blocking || native || p->mem.kind == REMOTE_PEEK;
	struct stackdump_opts o = *so;
	struct dump_native d = { sm, p };
	struct unwind_stats st = { 0 };
	int ret;

	if (hold && tracer__hold(sm->tr, p->pid, sm->o.blocking || native)) {
		tracer__release(sm->tr);
		/*
		 * Not every thread stopped in time (one in a vfork, one that did not stop
		 * within the hold's wait): the Python stacks are still read as every tick
		 * reads them, without C frames, unless only a stopped process can be read.
		 */
		if (p->mem.kind == REMOTE_PEEK)
			return -ESRCH;
		hold = native = 0;
	}
	if (native) {
		unwinder__sample(p->uw, dump_learn, &d, &st);
		o.frames_of = dump_frames;
		o.frames_arg = &d;
	}
	ret = print_stacks(sm, p, NULL, &o, stderr);
	if (hold)
		tracer__release(sm->tr);
	return ret;
}

static void dump_all(struct sampler *sm, const char *why)
{
	struct stackdump_opts so = { 0 };
	char heading[160];
	size_t n = 0;

	snprintf(heading, sizeof(heading), "pyflame: Python stacks at %.1f s (%s):",
		 (double)(pf_now_ns() - sm->start_ns) / 1e9, why);
	so.heading = heading;
	for (size_t i = 0; i < sm->nprocs; i++) {
		struct proc *p = sm->procs[i];

		if (p->state == PROC_PROBING)
			proc_probe(sm, p, UINT64_MAX);
		if (p->state == PROC_PYTHON && !dump_process(sm, p, &so)) {
			n++;
			so.heading = NULL;
		}
	}
	if (!n)
		fprintf(stderr, "pyflame: no Python process to show (%s)\n", why);
}

static void cb_signal(void *arg, const struct signalfd_siginfo *si)
{
	struct sampler *sm = arg;

	if (si->ssi_signo == SIGUSR1)
		dump_all(sm, "SIGUSR1");
	else if (si->ssi_signo == SIGALRM && sm->o.dump_on_alarm)
		dump_all(sm, "--dump-on-timeout");
}

/* Will sig kill pid (default disposition), rather than run a handler or be ignored? */
static int signal_is_fatal_for(pid_t pid, int sig)
{
	static const char *const keys[] = { "SigCgt", "SigIgn", NULL };

	return !procfs__signal_in(pid, sig, keys);
}

/*
 * Crash stacks printed in full; later crashes get one line each.  A test suite that
 * checks crash handling (CPython's test_faulthandler) crashes dozens of processes on
 * purpose, and the job log is for its own output.
 */
#define CRASH_STACKS_FULL 3

static void cb_fatal_signal(void *arg, pid_t pid, pid_t tid, int sig)
{
	struct sampler *sm = arg;
	struct proc *p = proc_find(sm, pid);
	struct stackdump_opts so = { .first_tid = tid, .others_brief = 1 };
	char heading[160];

	if (!sm->o.crash_stacks || !p || p->crash_dumped || !signal_is_fatal_for(pid, sig))
		return;
	if (p->state == PROC_PROBING)
		proc_probe(sm, p, UINT64_MAX);
	if (p->state != PROC_PYTHON)
		return;
	p->crash_dumped = 1;
	if (++sm->crashes > CRASH_STACKS_FULL) {
		fprintf(stderr, "pyflame: process %d received SIG%s in thread %d%s\n", (int)pid,
			sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", (int)tid,
			sm->crashes == CRASH_STACKS_FULL + 1 ? " (more crashes: one line each; "
			"--no-crash-stacks turns these off)" : "");
		return;
	}
	snprintf(heading, sizeof(heading), "pyflame: process %d received SIG%s in thread %d; "
		 "its Python stacks:", (int)pid, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
		 (int)tid);
	so.heading = heading;
	dump_process(sm, p, &so);
}

const struct tracer_ops sampler__tracer_ops = {
	.signal = cb_signal,
	.fatal_signal = cb_fatal_signal,
	.process_new = cb_process_new,
	.process_exec = cb_process_exec,
	.process_exit = cb_process_exit,
	.tick = cb_tick,
	.job_stop = cb_job_stop,
};

/* --- the session's interface ------------------------------------------------------------ */

struct sampler *sampler__new(const struct sampler_opts *o, struct profile *prof,
			     uint64_t start_ns)
{
	struct sampler *sm = xcalloc(1, sizeof(*sm));

	sm->o = *o;
	sm->prof = prof;
	sm->start_ns = start_ns;
	sm->rng = (start_ns ^ ((uint64_t)getpid() << 32)) | 1;
	/* a merged stack holds C frames too */
	sm->stack_max = o->max_depth + (o->native ? NATIVE_MAX_FRAMES : 0);
	sm->stackbuf = xcalloc(sm->stack_max + 3, sizeof(*sm->stackbuf));
	if (o->native)
		sm->nbuf = xcalloc(sm->stack_max, sizeof(*sm->nbuf));
	strbuf_init(&sm->tlabel);
	strbuf_init(&sm->tid);
	if (o->tests) {
		sm->stackcls = xcalloc(sm->stack_max + 1, sizeof(*sm->stackcls));
		sm->empty_str = strtab__intern(prof->strings, "", 0);
		if (!getcwd(sm->cwd, sizeof(sm->cwd)))
			sm->cwd[0] = '\0';
	}
	return sm;
}

void sampler__set_tracer(struct sampler *sm, struct tracer *tr)
{
	sm->tr = tr;
}

void sampler__set_gains_lost(struct sampler *sm, int lost, const char *named)
{
	char real[PATH_MAX];

	sm->gains_lost = lost;
	sm->uid = getuid();
	sm->gid = getgid();
	/* as /proc/PID/exe will give it: absolute, links resolved ("./tool" is named once) */
	if (named && realpath(named, real))
		sm->gains_said[sm->ngains_said++] = pf_hash64(real, strlen(real), 0x9a1);
}

void sampler__set_reader(struct sampler *sm, enum remote_kind reader)
{
	sm->o.reader = reader;
}

void sampler__set_rawlog(struct sampler *sm, struct rawlog *raw)
{
	sm->raw = raw;
}

void sampler__set_live(struct sampler *sm, struct live *live)
{
	sm->live = live;
}

void sampler__set_repeat_driver(struct sampler *sm, pid_t driver)
{
	if (sm->o.repeat < 2)
		return;
	sm->driver = driver;
	free(sm->reps);
	sm->reps = xcalloc(sm->o.repeat, sizeof(*sm->reps));
	sm->nreps = 0;
}

void sampler__add(struct sampler *sm, pid_t pid, int probe_now)
{
	struct proc *p = proc_add(sm, pid);

	if (!probe_now)
		return;
	p->exec_events = tracer__exec_traced(sm->tr, pid);
	proc_probe(sm, p, UINT64_MAX);
}

int sampler__is_python(struct sampler *sm, pid_t pid)
{
	struct proc *p = proc_find(sm, pid);

	if (!p)
		return 0;
	if (p->state == PROC_PROBING)
		proc_probe(sm, p, UINT64_MAX);
	return p->state == PROC_PYTHON ? 1 : p->state == PROC_PROBING ? 0 : -1;
}

int sampler__print_stacks(struct sampler *sm, pid_t pid, const char *command,
			  const struct stackdump_opts *so, FILE *out)
{
	struct proc *p = proc_find(sm, pid);
	struct stackdump_opts o;
	struct dump_native d = { sm, p };
	struct unwind_stats st = { 0 };

	if (!p || p->state != PROC_PYTHON)
		return -ESRCH;
	if (!sm->o.native)
		return print_stacks(sm, p, command, so, out);
	o = *so;
	while (!proc_native(sm, p) && p->nat_tries < NATIVE_TRIES)
		;	/* a dump has one chance: all its tries now (the last one's failure said) */
	unwinder__sample(p->uw, dump_learn, &d, &st);
	o.frames_of = dump_frames;
	o.frames_arg = &d;
	return print_stacks(sm, p, command, &o, out);
}

void sampler__finish(struct sampler *sm)
{
	struct pyprobe_memo_stats ms;

	for (size_t i = 0; i < sm->nprocs; i++)
		if (sm->procs[i]->provisional_until)
			commit_provisional(sm, sm->procs[i]);
	pyprobe__memo_stats(&ms);
	if (ms.reads || ms.hits)
		pf_info("probing parsed %" PRIu64 " ELF files and answered %" PRIu64
			" more from memory", ms.reads, ms.hits);
}

const struct sampler_counts *sampler__counts(const struct sampler *sm)
{
	return &sm->c;
}

const struct sampler_repeat *sampler__repeats(const struct sampler *sm, unsigned *n)
{
	*n = sm->nreps;
	return sm->reps;
}

void sampler__free(struct sampler *sm)
{
	if (!sm)
		return;
	for (size_t i = 0; i < sm->nprocs; i++) {
		proc_new_image(sm->procs[i]);
		if (sm->procs[i]->stat_fd >= 0)
			close(sm->procs[i]->stat_fd);
		free(sm->procs[i]);
	}
	free(sm->procs);
	free(sm->reps);
	free(sm->stackbuf);
	free(sm->nbuf);
	for (size_t i = 0; i < sm->pend_alloc; i++) {
		free(sm->pend[i].snap);
		free(sm->pend[i].frames);
		free(sm->pend[i].acts);
	}
	free(sm->pend);
	free(sm->stackcls);
	free(sm->fclass);
	strbuf_release(&sm->tlabel);
	strbuf_release(&sm->tid);
	free(sm);
}
