/*
 * cmd_run.c - `pyflame run`: open the outputs, launch the command under the tracer,
 * probe every process it becomes for a CPython runtime, sample at each tick, and write
 * the profiles when the command ends.  The only module that prints to the user.
 */
#include "pyflame/cmd_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/exitcode.h"
#include "pyflame/keeper.h"
#include "pyflame/live.h"
#include "pyflame/outputs.h"
#include "pyflame/privs.h"
#include "pyflame/procfs.h"
#include "pyflame/profile.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/pyprobe.h"
#include "pyflame/rawlog.h"
#include "pyflame/remote.h"
#include "pyflame/sandbox.h"
#include "pyflame/stackdump.h"
#include "pyflame/testattr.h"
#include "pyflame/tracer.h"
#include "pyflame/unwind.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

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

/* A sample held back (see PROVISIONAL_NS). */
struct prov_sample {
	uint64_t t_ns;
	size_t slot;		/* index in proc.threads (not pruned while provisional) */
	uint32_t stack;
	unsigned flags;
};

/* Why a process's sample was skipped at a tick (it could not be stopped to be read). */
enum skip_cause {
	SKIP_UNINTERRUPTIBLE,	/* a thread in D: a vfork parent waiting for its child */
	SKIP_TIMEOUT,		/* a thread did not stop within the hold's wait */
	SKIP__COUNT
};

static const char *const skip_cause_names[SKIP__COUNT] = {
	[SKIP_UNINTERRUPTIBLE] = "uninterruptible (vfork)",
	[SKIP_TIMEOUT] = "not stopped in time",
};

enum proc_state {
	PROC_PROBING,		/* not known to be Python yet */
	PROC_PYTHON,		/* sampling */
	PROC_UNSUPPORTED,	/* a CPython we cannot read (said once) */
	PROC_FAILED,		/* memory unreadable (said once) */
};

struct thread_slot {
	pid_t tid;		/* 0 = empty */
	int stat_fd;		/* /proc/PID/task/TID/stat, kept open */
	int sched_fd;		/* --mode cpu: /proc/PID/task/TID/schedstat, kept open */
	uint64_t runtime_ns;	/* --mode cpu: its CPU time at the previous tick ... */
	uint64_t runtime_at_ns;	/* ... read at this time ... */
	int runtime_known;	/* ... once read */
	uint32_t prof_thread;	/* valid when has_prof_thread: made at its first sample */
	int has_prof_thread;
	uint64_t last_tick;
	char name[64];
};

struct proc {
	pid_t pid;
	enum proc_state state;
	int located;		/* loc is valid; waiting for the interpreter to initialise */
	uint64_t next_probe_ns, backoff_ns;
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct remote mem;
	int mem_open;
	struct unwinder *uw;
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

/* One repeat of run --repeat: its first process, and when it ran. */
struct repeat_run {
	pid_t pid;
	uint64_t start_ns, end_ns;	/* end 0: still running (or not seen end) */
};

struct run {
	struct run_opts *o;
	struct profile *prof;
	struct tracer *tr;
	struct proc **procs;
	size_t nprocs, procs_alloc;
	struct unwind_stats ustats;
	uint64_t ticks, missed, tick_no;
	uint64_t start_ns, now_ns;
	size_t python_procs, python_threads;
	uint64_t skipped[SKIP__COUNT];	/* process samples skipped, by cause */
	unsigned crashes;		/* crash stacks printed (see CRASH_STACKS_FULL) */
	uint32_t *stackbuf;
	int reader_said;
	struct rawlog *raw;
	struct out_file rawf;	/* the raw log's file */
	const char *raw_path;	/* rawf.final, or NULL */
	int raw_keep;
	struct keeper *keeper;	/* puts the files in place once the sandbox is on */
	FILE *step_summary;	/* $GITHUB_STEP_SUMMARY, opened before the sandbox */
	pid_t driver;		/* run --repeat: the process that runs the repeats (repeat.h) */
	uint64_t rng;		/* --mode cpu's draws (thread_idle) */
	struct repeat_run *reps;	/* o->repeat of them; nreps started */
	unsigned nreps;
	struct live *live;	/* --live: the view (live.h), fed at every tick */
	/* --tests */
	uint16_t *fclass;	/* per profile frame: testattr__frame_class(), 0 = not yet */
	size_t fclass_alloc;
	uint16_t *stackcls;	/* scratch: the classes of one stack */
	struct strbuf tlabel, tid;
	uint32_t empty_str;
	char cwd[4096];		/* pyflame's: test files are named relative to it */
	int tests_runner_seen;
	uint64_t tests_fallback;	/* pytest samples attributed from the stack */
	uint64_t tests_unreadable;	/* of which the environment did not read */
	uint32_t gc_frame;		/* the <GC> frame's id, once has_gc_frame */
	int has_gc_frame;
};

const char *pf_mode__name(enum pf_mode m)
{
	switch (m) {
	case PF_MODE_WALL: return "wall";
	case PF_MODE_CPU: return "cpu";
	case PF_MODE_GIL: return "gil";
	}
	return "?";
}

/* --- processes ------------------------------------------------------------------------ */

static struct proc *proc_find(struct run *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->pid == pid)
			return r->procs[i];
	return NULL;
}

static void proc_reset(struct proc *p)
{
	unwinder__free(p->uw);
	p->uw = NULL;
	if (p->mem_open)
		remote__close(&p->mem);
	p->mem_open = 0;
	for (size_t i = 0; i < p->nthreads_alloc; i++) {
		if (p->threads[i].tid && p->threads[i].stat_fd >= 0)
			close(p->threads[i].stat_fd);
		if (p->threads[i].tid && p->threads[i].sched_fd >= 0)
			close(p->threads[i].sched_fd);
	}
	free(p->threads);
	p->threads = NULL;
	p->nthreads_alloc = 0;
	p->state = PROC_PROBING;
	p->located = 0;
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

/*
 * What identifies the image pid runs: its name and where its code and its stack begin
 * (fields 2, 26, 27 and 28 of /proc/PID/stat; an exec changes the stack's start, address
 * space randomisation or not, and usually the rest).  0 when unreadable.
 */
static uint64_t image_id(struct proc *p)
{
	char buf[1024], path[64];
	unsigned long long v[3];
	const char *q, *paren, *open_paren;
	ssize_t n;
	int field;

	if (p->stat_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
		p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->stat_fd < 0)
			return 0;
	}
	n = pread(p->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		/* a thread other than the leader exec'd: the leader's stat is another task now */
		close(p->stat_fd);
		p->stat_fd = -1;
		return 0;
	}
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (!paren)
		return 0;
	for (q = paren + 1, field = 2; *q && field < 26; q++)
		if (*q == ' ')
			field++;
	if (field != 26 || sscanf(q, "%llu %llu %llu", &v[0], &v[1], &v[2]) != 3)
		return 0;
	/* from the '(' on: the pid is not part of the image (a vfork child shares it) */
	open_paren = strchr(buf, '(');
	if (!open_paren || open_paren > paren)
		return 0;
	return pf_hash64(v, sizeof(v), pf_hash64(open_paren, (size_t)(paren - open_paren), 0)) | 1;
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

static struct proc *proc_add(struct run *r, pid_t pid)
{
	struct proc *p = proc_find(r, pid);

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
	xgrow((void **)&r->procs, &r->procs_alloc, r->nprocs + 1, sizeof(*r->procs));
	r->procs[r->nprocs++] = p;
	return p;
}

/* A process (or image) that has just appeared: see FIRST_LOOK_NS. */
static void proc_young(struct proc *p)
{
	uint64_t now = pf_now_ns();

	p->next_probe_ns = now + FIRST_LOOK_NS;
	p->next_exec_check_ns = now + FIRST_LOOK_NS;
}

static void commit_provisional(struct run *r, struct proc *p);

static void proc_del(struct run *r, pid_t pid)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];

		if (p->pid != pid)
			continue;
		if (p->provisional_until)
			commit_provisional(r, p);
		proc_reset(p);
		if (p->stat_fd >= 0)
			close(p->stat_fd);
		free(p);
		r->procs[i] = r->procs[--r->nprocs];
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

static int probe_memory(struct run *r, struct proc *p, uint64_t now);

/*
 * p's process in the profile: the command line it runs now, so that what it sampled
 * before an exec stays under the command it ran then.
 */
static uint32_t proc_profile_id(struct run *r, struct proc *p)
{
	if (p->has_prof_proc)
		return p->prof_proc;
	if (!p->cmd[0])
		read_cmdline(p->pid, p->cmd, sizeof(p->cmd));
	p->prof_proc = profile__process(r->prof, p->pid, p->cmd, p->version);
	p->has_prof_proc = 1;
	r->python_procs++;
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

static void proc_probe(struct run *r, struct proc *p, uint64_t now)
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
	held = r->o->reader == REMOTE_PEEK ||
	       (p->mem_open && p->mem.kind == REMOTE_PEEK);
	if (!p->mem_open && r->o->reader == REMOTE_AUTO) {
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
	if (held && tracer__hold(r->tr, p->pid, 0)) {
		tracer__release(r->tr);
		return;
	}
	ret = probe_memory(r, p, now);
	if (held)
		tracer__release(r->tr);
	if (ret)
		return;
	p->uw = unwinder__new(&p->mem, &p->loc, &p->off, r->prof->strings, r->o->max_depth);
	if (!p->uw) {
		p->state = PROC_FAILED;
		return;
	}
	pyprobe__version_str(&p->loc, p->version, sizeof(p->version));
	p->state = PROC_PYTHON;
	p->stale_tries = 0;
	pf_info("process %d: CPython %s in '%s', reading memory with %s", p->pid,
		p->version, p->loc.binary, p->mem.ops->name);
	if (!r->reader_said && r->o->reader == REMOTE_AUTO && p->mem.kind != REMOTE_VM) {
		r->reader_said = 1;
		if (!pf_quiet)
			pf_warn("process_vm_readv is refused here; reading memory with '%s' instead",
				p->mem.ops->name);
	}
}

/* Open a memory reader and read the layout; 0 when ready to sample. */
static int probe_memory(struct run *r, struct proc *p, uint64_t now)
{
	uint64_t probe_addr;
	int ret;

	if (!p->mem_open) {
		probe_addr = p->loc.runtime_addr ? p->loc.runtime_addr : p->loc.interp_head_addr;
		ret = remote__open(&p->mem, p->pid, r->o->reader, probe_addr);
		if (ret && !reader_refused(ret)) {
			proc_stale(p, now, ret, "cannot read the CPython runtime it maps");
			return -1;
		}
		if (ret) {
			pf_error(ret, "process %d: cannot read its memory with %s reader",
				 p->pid, remote_kind__name(r->o->reader));
			if (r->o->reader != REMOTE_AUTO)
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

static struct thread_slot *thread_slot(const struct run *r, struct proc *p, pid_t tid)
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
			if (r->o->mode == PF_MODE_CPU) {
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
 */
static int thread_idle(struct run *r, struct thread_slot *s)
{
	int held = tracer__held_state(r->tr, s->tid);
	enum procfs_state st;
	uint64_t ns;

	if (s->sched_fd >= 0 && !procfs__runtime_fd(s->sched_fd, &ns)) {
		int known = s->runtime_known;
		uint64_t ran = ns > s->runtime_ns ? ns - s->runtime_ns : 0;
		uint64_t span = r->now_ns > s->runtime_at_ns ? r->now_ns - s->runtime_at_ns : 0;

		s->runtime_ns = ns;
		s->runtime_at_ns = r->now_ns;
		s->runtime_known = 1;
		if (known && span) {
			if (ran >= span)
				return 0;
			/* idle unless a uniform draw in [0, span) falls below ran */
			return pf_random(&r->rng) % span >= ran;
		}
	}
	if (held)
		return held != PROCFS_STATE_RUNNING;
	if (s->stat_fd < 0)
		return 0;
	st = procfs__state_fd(s->stat_fd);
	return st != PROCFS_STATE_UNKNOWN && st != PROCFS_STATE_RUNNING;
}

static void thread_prune(struct run *r, struct proc *p)
{
	for (size_t i = 0; i < p->nthreads_alloc; i++) {
		struct thread_slot *s = &p->threads[i];

		if (s->tid && r->tick_no - s->last_tick > THREAD_STALE_TICKS) {
			if (s->stat_fd >= 0)
				close(s->stat_fd);
			if (s->sched_fd >= 0)
				close(s->sched_fd);
			memset(s, 0, sizeof(*s));
		}
	}
}

struct emit_ctx {
	struct run *r;
	struct proc *p;
};

static void add_sample(struct run *r, struct proc *p, struct thread_slot *s, uint64_t t_ns,
		       uint32_t stack, unsigned flags)
{
	if (!s->has_prof_thread) {
		s->prof_thread = profile__thread(r->prof, proc_profile_id(r, p), s->tid, s->name);
		s->has_prof_thread = 1;
		r->python_threads++;
	}
	profile__add(r->prof, s->prof_thread, stack, flags, 1);
	if (r->raw)
		rawlog__sample(r->raw, r->prof, t_ns, s->prof_thread, stack, flags);
}

/* --- tests (--tests) ------------------------------------------------------------------ */

static unsigned frame_class(struct run *r, uint32_t id)
{
	if (id >= r->fclass_alloc) {
		size_t old = r->fclass_alloc;

		xgrow((void **)&r->fclass, &r->fclass_alloc, (size_t)id + 1, sizeof(*r->fclass));
		memset(r->fclass + old, 0, (r->fclass_alloc - old) * sizeof(*r->fclass));
	}
	if (!r->fclass[id]) {
		const struct pf_frame *f = &r->prof->frames[id];

		r->fclass[id] = (uint16_t)testattr__frame_class(strtab__get(r->prof->strings, f->name),
								strtab__get(r->prof->strings, f->file));
	}
	return r->fclass[id];
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
static void test_env(struct run *r, struct proc *p)
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
	(void)r;
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
static int test_frame(struct run *r, struct proc *p, const uint32_t *st, unsigned n,
		      uint32_t *out)
{
	struct test_stack ts;
	size_t id_len;
	enum test_phase ph;

	test_env_done(p);
	for (unsigned i = 0; i < n; i++)
		r->stackcls[i] = (uint16_t)frame_class(r, st[i]);
	testattr__stack(r->stackcls, n, &ts);
	if (!p->runner) {
		if (!p->cmd[0])
			read_cmdline(p->pid, p->cmd, sizeof(p->cmd));
		p->runner = ts.runner | (p->tenv_ret == 1 ? TF_PYTEST : 0) | cmd_runner(p->cmd);
		if (!p->runner)
			return 0;
		r->tests_runner_seen = 1;
	}
	strbuf_reset(&r->tlabel);
	if (p->tenv_ret == 1 && !testattr__parse_pytest(p->tval, p->tlen, &id_len, &ph)) {
		testattr__label(&r->tlabel, p->tval, id_len, ph);
		p->seen_work = 1;
	} else if (ts.where == TEST_WHERE_TEST) {
		p->seen_work = 1;
		strbuf_reset(&r->tid);
		if (ts.test_frame >= 0) {
			const struct pf_frame *f = &r->prof->frames[st[ts.test_frame]];

			testattr__frame_id(&r->tid, strtab__get(r->prof->strings, f->name),
					   strtab__get(r->prof->strings, f->file), r->cwd,
					   ts.unittest, ts.phase);
		} else {
			strbuf_addch(&r->tid, '?');
		}
		testattr__label(&r->tlabel, r->tid.buf, r->tid.len, ts.phase);
		if (!ts.unittest) {
			r->tests_fallback++;
			if (p->tenv_ret < 0)
				r->tests_unreadable++;
		}
	} else {
		enum test_where w = ts.where;

		if (w == TEST_WHERE_COLLECTION)
			p->seen_work = 1;
		else if (w == TEST_WHERE_SESSION_START && p->seen_work)
			w = TEST_WHERE_SESSION_END;
		strbuf_addstr(&r->tlabel, test_where__label(w));
	}
	if (p->tframe_valid && r->tlabel.len == p->tlast_len &&
	    !memcmp(r->tlabel.buf, p->tlast, p->tlast_len)) {
		*out = p->tframe;
		return 1;
	}
	{
		struct pf_frame f = {
			.name = strtab__intern(r->prof->strings, r->tlabel.buf, r->tlabel.len),
			.file = r->empty_str,
			.line = PF_LINE_TEST,
		};

		*out = profile__frame(r->prof, &f);
	}
	p->tframe = *out;
	p->tframe_valid = r->tlabel.len <= sizeof(p->tlast);
	if (p->tframe_valid) {
		memcpy(p->tlast, r->tlabel.buf, r->tlabel.len);
		p->tlast_len = r->tlabel.len;
	}
	return 1;
}

#define ASYNC_LOOK_NS 200000000ull	/* --async: look for asyncio again after 200 ms */

/* --async: once the process has imported asyncio (3.14+), read _asyncio's task layout. */
static void proc_async(struct run *r, struct proc *p, uint64_t now)
{
	uint8_t buf[PY_ASYNC_DEBUG_SIZE];
	struct py_async_offsets a;
	uint64_t addr;
	int first = !p->aio_next_ns;

	if (!r->o->async || p->aio_state || now < p->aio_next_ns)
		return;
	if (p->off.version < PY_VER(3, 14)) {
		pf_warn("process %d: --async needs Python 3.14 or later, not %s: its stacks are "
			"the event loop's", p->pid, p->version);
		p->aio_state = -1;
		return;
	}
	p->aio_next_ns = now + ASYNC_LOOK_NS;
	/* built into the runtime's own file (there from the start), else the module */
	if (pyprobe__locate_asyncio(p->pid, first ? p->loc.binary : NULL, &addr) ||
	    remote__read(&p->mem, addr, buf, sizeof(buf)))
		return;		/* asyncio not imported yet */
	if (py_offsets__from_async_debug(buf, sizeof(buf), &p->off, &a) ||
	    unwinder__set_async(p->uw, &a)) {
		pf_warn("process %d: cannot make sense of _asyncio's debug offsets: its stacks "
			"are the event loop's", p->pid);
		p->aio_state = -1;
		return;
	}
	pf_info("process %d: asyncio tasks found", p->pid);
	p->aio_state = 1;
}

/* The <GC> frame put on top of a stack the cyclic GC interrupted (--no-gc-frames: none). */
static uint32_t gc_frame(struct run *r)
{
	if (!r->has_gc_frame) {
		struct pf_frame f = {
			.name = strtab__intern_str(r->prof->strings, PF_GC_FRAME),
			.file = strtab__intern_str(r->prof->strings, ""),
			.line = -1,
		};

		r->gc_frame = profile__frame(r->prof, &f);
		r->has_gc_frame = 1;
	}
	return r->gc_frame;
}

static void on_thread(void *arg, const struct unwind_thread *t)
{
	struct emit_ctx *e = arg;
	struct run *r = e->r;
	struct thread_slot *s = thread_slot(r, e->p, t->tid);
	unsigned flags = t->flags, depth;
	uint32_t stack;

	if (!s)
		return;
	/*
	 * One OS thread can hold a thread state in several interpreters (a subinterpreter
	 * runs on its caller's thread).  Interpreters are walked newest first, so the first
	 * state seen is the one the thread is running in; the others would count it twice.
	 */
	if (t->tid > 0 && s->last_tick == r->tick_no)
		return;
	s->last_tick = r->tick_no;
	if (!t->depth)
		return;		/* no Python on this thread right now (starting, in C, exiting) */
	/*
	 * Reading stat is a system call per thread per tick: skip it when its answer cannot
	 * matter (the GIL holder is never idle; gil mode keeps only the holder).
	 */
	if (r->o->mode == PF_MODE_CPU ? thread_idle(r, s) :
	    !(flags & PF_SAMPLE_GIL) && r->o->mode != PF_MODE_GIL && thread_idle(r, s))
		flags |= PF_SAMPLE_IDLE;	/* cpu mode: the GIL holder may be waiting for a CPU */
	if (r->o->mode == PF_MODE_CPU && (flags & PF_SAMPLE_IDLE))
		return;
	if (r->o->mode == PF_MODE_GIL && !(flags & PF_SAMPLE_GIL))
		return;
	for (depth = 0; depth < t->depth; depth++)
		r->stackbuf[depth + 1] = profile__frame(r->prof, &t->frames[t->depth - 1 - depth]);
	if (t->in_gc && r->o->gc_frames)
		r->stackbuf[1 + depth++] = gc_frame(r);	/* stackbuf: max_depth + 3 */
	if (r->o->tests && test_frame(r, e->p, r->stackbuf + 1, depth, &r->stackbuf[0]))
		stack = profile__stack(r->prof, r->stackbuf, depth + 1);
	else
		stack = profile__stack(r->prof, r->stackbuf + 1, depth);
	if (!e->p->cmd[0])
		read_cmdline(e->p->pid, e->p->cmd, sizeof(e->p->cmd));
	if (e->p->provisional_until) {
		struct proc *p = e->p;

		xgrow((void **)&p->prov, &p->prov_alloc, p->nprov + 1, sizeof(*p->prov));
		p->prov[p->nprov++] = (struct prov_sample){ r->now_ns, (size_t)(s - p->threads),
							    stack, flags };
		return;
	}
	add_sample(r, e->p, s, r->now_ns, stack, flags);
}

/* What a fork child held back counts now: it ran on without exec'ing, or exited. */
static void commit_provisional(struct run *r, struct proc *p)
{
	if (p->nprov)
		pf_info("process %d: its %zu held-back samples count (it did not exec)", p->pid,
			p->nprov);
	p->provisional_until = 0;
	for (size_t i = 0; i < p->nprov; i++) {
		const struct prov_sample *ps = &p->prov[i];

		if (ps->slot < p->nthreads_alloc && p->threads[ps->slot].tid)
			add_sample(r, p, &p->threads[ps->slot], ps->t_ns, ps->stack, ps->flags);
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
	struct run *r = arg;
	struct proc *pp = proc_find(r, parent);
	struct proc *p = proc_add(r, pid);

	if (r->driver && parent == r->driver && r->nreps < r->o->repeat) {
		struct repeat_run *rep = &r->reps[r->nreps++];

		rep->pid = pid;
		rep->start_ns = pf_now_ns();
		p->repeat = r->nreps;
	} else if (pp) {
		p->repeat = pp->repeat;		/* a process of the same repeat */
	}
	if (p->repeat && r->raw)
		rawlog__repeat(r->raw, pid, p->repeat);

	/* the findings hold until its exec, so only if that exec will be reported */
	p->exec_events = tracer__exec_traced(r->tr, pid);
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
	proc_young(proc_add(arg, pid));
}

static void cb_process_exit(void *arg, pid_t pid)
{
	struct run *r = arg;

	for (unsigned i = r->nreps; i-- > 0;) {
		if (r->reps[i].pid == pid && !r->reps[i].end_ns) {
			r->reps[i].end_ns = pf_now_ns();
			break;
		}
	}
	proc_del(r, pid);
}

/*
 * A process just found to be Python: from now on its exec must be reported, or its
 * findings would go stale unnoticed (its forks inherit them, and the setting).  Stops it
 * once; done here, between events, never while the tracer has a task stopped for us.
 */
static void arm_exec_events(struct run *r, struct proc *p, uint64_t now)
{
	uint64_t before = p->image;
	int ret;

	if (now < p->exec_arm_next_ns)
		return;
	ret = tracer__exec_events(r->tr, p->pid, 1);
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
static void live_tick(struct run *r, uint64_t now)
{
	struct live_facts f = {
		.command = r->prof->meta.command,
		.elapsed_ns = now - r->start_ns,
		.ticks = r->ticks,
		.missed = r->missed,
		.processes = r->python_procs,
		.threads = r->python_threads,
	};

	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		f.dropped += r->ustats.drops[i];
	if (live__tick(r->live, r->prof, now, &f) == LIVE_QUIT)
		tracer__end_sampling(r->tr);
}

/*
 * --live draws on the terminal (/dev/tty): there must be one, and under run the command's
 * output, which it shares with pyflame, must not be on it.  0 or PF_EXIT_USAGE (said).
 */
static int live_open(struct run *r)
{
	if (!r->o->attach_pid && (isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))) {
		pf_error(0, "--live draws on the terminal, where the command's output would mix "
			 "with it");
		pf_hint("send the command's output elsewhere: pyflame run --live -- COMMAND "
			">out.log 2>&1");
		return PF_EXIT_USAGE;
	}
	r->live = live__open();
	if (!r->live) {
		pf_error(-errno, "--live needs a terminal, and '/dev/tty' cannot be opened");
		return PF_EXIT_USAGE;
	}
	sandbox__allow_tty(live__fd(r->live));
	return 0;
}

static void cb_tick(void *arg, uint64_t now, uint64_t missed)
{
	struct run *r = arg;
	int hold, ret;

	if (live__paused(r->live)) {
		live_tick(r, now);	/* keys, the view: no sample while paused */
		return;
	}
	r->ticks++;
	r->tick_no++;
	r->now_ns = now;
	r->missed += missed;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];
		struct emit_ctx e = { r, p };

		check_exec(p, now);
		if (p->state == PROC_PROBING)
			proc_probe(r, p, now);
		if (p->state != PROC_PYTHON)
			continue;
		if (!p->exec_events && !p->exec_arm_failed) {
			arm_exec_events(r, p, now);
			if (p->state != PROC_PYTHON)
				continue;
		}
		hold = r->o->blocking || p->mem.kind == REMOTE_PEEK;
		if (hold && (ret = tracer__hold(r->tr, p->pid, r->o->blocking))) {
			/* a process that cannot stop now is skipped, never waited for */
			tracer__release(r->tr);
			if (ret == -EAGAIN)
				r->skipped[SKIP_UNINTERRUPTIBLE]++;
			else if (ret == -ETIMEDOUT)
				r->skipped[SKIP_TIMEOUT]++;
			continue;
		}
		if (r->o->tests)
			test_env(r, p);
		proc_async(r, p, now);
		unwinder__sample(p->uw, on_thread, &e, &r->ustats);
		if (hold)
			tracer__release(r->tr);
		if (p->provisional_until && now >= p->provisional_until)
			commit_provisional(r, p);
		if ((r->tick_no & 63) == 0 && !p->provisional_until)
			thread_prune(r, p);
	}
	if (r->raw)
		rawlog__flush(r->raw, now, 0);
	if (r->live)
		live_tick(r, now);
}

/* --- stacks on demand ------------------------------------------------------------------- */

static int dump_process(struct run *r, struct proc *p, const struct stackdump_opts *so)
{
	int hold = r->o->blocking || p->mem.kind == REMOTE_PEEK;
	uint32_t id = proc_profile_id(r, p);	/* first: it may move r->prof->procs */
	const struct pf_process *pp = &r->prof->procs[id];
	int ret;

	if (hold && tracer__hold(r->tr, p->pid, 0)) {
		tracer__release(r->tr);
		return -ESRCH;
	}
	ret = stackdump__print(p->uw, r->prof->strings, p->pid,
			       strtab__get(r->prof->strings, pp->cmdline), p->version, so, stderr);
	if (hold)
		tracer__release(r->tr);
	return ret;
}

static void dump_all(struct run *r, const char *why)
{
	struct stackdump_opts so = { 0 };
	char heading[160];
	size_t n = 0;

	snprintf(heading, sizeof(heading), "pyflame: Python stacks at %.1f s (%s):",
		 (double)(pf_now_ns() - r->start_ns) / 1e9, why);
	so.heading = heading;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];

		if (p->state == PROC_PROBING)
			proc_probe(r, p, UINT64_MAX);
		if (p->state == PROC_PYTHON && !dump_process(r, p, &so)) {
			n++;
			so.heading = NULL;
		}
	}
	if (!n)
		fprintf(stderr, "pyflame: no Python process to show (%s)\n", why);
}

static void cb_signal(void *arg, const struct signalfd_siginfo *si)
{
	struct run *r = arg;

	if (si->ssi_signo == SIGUSR1)
		dump_all(r, "SIGUSR1");
	else if (si->ssi_signo == SIGALRM && r->o->dump_timeout_s > 0)
		dump_all(r, "--dump-on-timeout");
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
	struct run *r = arg;
	struct proc *p = proc_find(r, pid);
	struct stackdump_opts so = { .first_tid = tid, .others_brief = 1 };
	char heading[160];

	if (!r->o->crash_stacks || !p || p->crash_dumped || !signal_is_fatal_for(pid, sig))
		return;
	if (p->state == PROC_PROBING)
		proc_probe(r, p, UINT64_MAX);
	if (p->state != PROC_PYTHON)
		return;
	p->crash_dumped = 1;
	if (++r->crashes > CRASH_STACKS_FULL) {
		fprintf(stderr, "pyflame: process %d received SIG%s in thread %d%s\n", (int)pid,
			sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", (int)tid,
			r->crashes == CRASH_STACKS_FULL + 1 ? " (more crashes: one line each; "
			"--no-crash-stacks turns these off)" : "");
		return;
	}
	snprintf(heading, sizeof(heading), "pyflame: process %d received SIG%s in thread %d; "
		 "its Python stacks:", (int)pid, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
		 (int)tid);
	so.heading = heading;
	dump_process(r, p, &so);
}

static const struct tracer_ops run_tracer_ops = {
	.signal = cb_signal,
	.fatal_signal = cb_fatal_signal,
	.process_new = cb_process_new,
	.process_exec = cb_process_exec,
	.process_exit = cb_process_exit,
	.tick = cb_tick,
};

/* --- outputs --------------------------------------------------------------------------- */

static char *default_output(char *const argv[], pid_t pid, enum pf_format fmt)
{
	const char *slash = strrchr(argv[0], '/');
	const char *base = slash ? slash + 1 : argv[0];
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "pyflame-");
	for (const char *c = base; *c; c++)
		strbuf_addch(&sb, (*c == '/' || *c == ' ') ? '_' : *c);
	strbuf_addf(&sb, "-%d.%s", (int)pid, pf_format__extension(fmt));
	return strbuf_detach(&sb, NULL);
}

/* The command line as typed, for titles and metadata. */
static char *join_argv(char *const argv[])
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, argv[i]);
	}
	return strbuf_detach(&sb, NULL);
}


/* Process samples skipped because the process could not be stopped to be read. */
static void print_skips(const struct run *r)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t total = 0;

	for (int i = 0; i < SKIP__COUNT; i++)
		total += r->skipped[i];
	if (!total)
		return;
	strbuf_addf(&sb, "skipped %llu process samples that needed a stopped process:",
		    (unsigned long long)total);
	for (int i = 0; i < SKIP__COUNT; i++)
		if (r->skipped[i])
			strbuf_addf(&sb, " %s %llu", skip_cause_names[i],
				    (unsigned long long)r->skipped[i]);
	fprintf(stderr, "pyflame: %s\n", sb.buf);
	strbuf_release(&sb);
}

static void print_drops(const struct run *r)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t total = 0;

	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		total += r->ustats.drops[i];
	print_skips(r);
	if (r->ustats.retries)
		pf_info("%llu thread samples torn by the thread running on were read again, %llu "
			"of them cleanly", (unsigned long long)r->ustats.retries,
			(unsigned long long)r->ustats.recovered);
	if (!total)
		return;
	strbuf_addf(&sb, "dropped %llu thread samples:", (unsigned long long)total);
	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		if (r->ustats.drops[i])
			strbuf_addf(&sb, " %s %llu", unwind_drop__name(i),
				    (unsigned long long)r->ustats.drops[i]);
	fprintf(stderr, "pyflame: %s\n", sb.buf);
	strbuf_release(&sb);
}

/*
 * The command is running, traced, and every output is open: from here on pyflame needs no
 * privilege (but CAP_SYS_PTRACE when run by root, see privs.h) and no new files.  The
 * keeper, started first, puts the files in place at the end (keeper.h).  command: the pid
 * the sandbox lets pyflame signal (0 for attach and dump).
 */
static void confine(struct run *r, struct out_file *files, size_t nfiles, pid_t command)
{
	const struct run_opts *o = r->o;
	int ret = privs__drop_all(getuid() == 0);

	if (ret)
		pf_warn("cannot drop capabilities: %s", strerror(-ret));
	if (!o->sandbox) {
		pf_info("sandbox: off (--no-sandbox)");
		return;
	}
	if (files) {
		r->keeper = keeper__start(files, nfiles, r->rawf.final ? &r->rawf : NULL);
		if (!r->keeper) {
			pf_warn("cannot start the keeper of the output files: %s; sampling without "
				"the sandbox", strerror(errno));
			return;
		}
	}
	ret = sandbox__apply(command);
	if (ret) {
		pf_warn("cannot install the seccomp sandbox: %s; sampling without it", strerror(-ret));
		return;
	}
	pf_info("sandbox: on (seccomp allow-list; --no-sandbox turns it off)");
}

static void report_sandbox(void)
{
	unsigned long n;
	int nr = sandbox__denied(&n);
	char name[64];

	if (nr < 0)
		return;
	sandbox__syscall_name(nr, name, sizeof(name));
	pf_error(0, "the sandbox refused system call '%s' (%lu refused calls in all); "
		 "this is a bug in pyflame", name, n);
	pf_hint("run with --no-sandbox to work around it, and report it");
}

/*
 * Processes of the tree still running when the command ended (daemons, a background job
 * left behind): pyflame stopped following them, and the profile ends here for them too.
 */
static void report_detached(const struct tracer_counts *c)
{
	struct strbuf sb = STRBUF_INIT;

	if (!c->detached)
		return;
	for (size_t i = 0; i < c->ndetached_pids; i++) {
		char path[64], comm[32] = "?";
		struct strbuf cs = STRBUF_INIT;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->detached_pids[i]);
		if (!pf_read_file(path, &cs, sizeof(comm) - 1) && cs.len) {
			cs.buf[strcspn(cs.buf, "\n")] = '\0';
			snprintf(comm, sizeof(comm), "%s", cs.buf);
		}
		strbuf_release(&cs);
		strbuf_addf(&sb, "%s%d (%s)", i ? ", " : "", (int)c->detached_pids[i], comm);
	}
	if (c->detached > c->ndetached_pids)
		strbuf_addstr(&sb, ", ...");
	if (c->detached == 1)
		pf_warn("1 process the command started was still running when it ended; it runs "
			"on, no longer profiled: %s", sb.buf);
	else
		pf_warn("%llu processes the command started were still running when it ended; "
			"they run on, no longer profiled: %s", (unsigned long long)c->detached,
			sb.buf);
	strbuf_release(&sb);
}

/* -v: what --busy-poll bought (stops found awake) and what it cost (time polling). */
static void report_busy_poll(const struct tracer_counts *c)
{
	if (c->woke_awake + c->woke_asleep)
		pf_info("ptrace stops: %llu wake-ups found them while busy-polling, %llu after "
			"sleeping; %.1f ms spent busy-polling", (unsigned long long)c->woke_awake,
			(unsigned long long)c->woke_asleep, (double)c->spun_ns / 1e6);
}

/* Die the way the command died, without leaving a core file of pyflame's own. */
static void die_like(int sig)
{
	struct rlimit rl = { 0, 0 };
	sigset_t s;

	setrlimit(RLIMIT_CORE, &rl);
	signal(sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
}

/* prof.svg -> prof.raw; "-" or no output -> pyflame-CMD-PID.raw */
static char *raw_path_for(const struct out_file *first, char *const argv[], pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash, *dot;

	if (!first || !first->final) {
		char *def = default_output(argv, pid, PF_FORMAT_SVG);

		strbuf_addstr(&sb, def);
		free(def);
	} else {
		strbuf_addstr(&sb, first->final);
	}
	slash = strrchr(sb.buf, '/');
	dot = strrchr(sb.buf, '.');
	if (dot && (!slash || dot > slash + 1))
		sb.len = (size_t)(dot - sb.buf);
	strbuf_addstr(&sb, ".raw");
	return strbuf_detach(&sb, NULL);
}

/*
 * The raw log: every sample as it is taken, flushed each second, so that a run cut short
 * (SIGKILL, a crash of pyflame) can still be reported.  Created under a name of its own
 * (outputs__open_raw: never someone else's file); removed once the profiles are written,
 * unless it was asked for (-o FILE.raw).
 */
static int open_rawlog(struct run *r, struct out_file *files, size_t nfiles,
		       char *const name_argv[], pid_t pid)
{
	char *path = NULL;
	int fd, ret;

	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].format == PF_FORMAT_RAW) {
			if (!files[i].final) {
				return pf_error(0, "the raw log cannot go to standard output");
			}
			path = xstrdup(files[i].final);
			r->raw_keep = 1;
			outputs__discard(&files[i]);
			files[i].final = xstrdup(path);	/* reported as written */
			files[i].format = PF_FORMAT_NONE;
			break;
		}
	}
	if (!path)
		path = raw_path_for(nfiles ? &files[0] : NULL, name_argv, pid);
	ret = outputs__open_raw(&r->rawf, path, r->raw_keep);
	free(path);
	if (ret)
		return ret;
	fd = fcntl(r->rawf.fd, F_DUPFD_CLOEXEC, 0);	/* the log's own; rawf.fd stays */
	r->raw = fd >= 0 ? rawlog__new(fd, r->start_ns) : NULL;
	if (!r->raw) {
		int e = -errno;

		if (fd >= 0)
			close(fd);
		outputs__discard(&r->rawf);
		return pf_error(e, "cannot write the raw log");
	}
	r->raw_path = r->rawf.final;
	pf_info("raw log: '%s'", r->raw_path);
	rawlog__meta(r->raw, &r->prof->meta);
	return 0;
}

/*
 * $GITHUB_STEP_SUMMARY, for appending: a regular file only (created if missing, as
 * before).  Opened while the command runs, so never one that could block (a FIFO, a
 * device).  NULL with errno.
 */
static FILE *open_step_summary(const char *path)
{
	struct stat st;
	FILE *fp;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0 || !(fp = fdopen(fd, "a"))) {
		int e = errno ? errno : EINVAL;

		if (!fstat(fd, &st) && !S_ISREG(st.st_mode))
			e = EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	return fp;
}

/* The keeper's outputs__commit(), for outputs__write(). */
static int commit_by_keeper(void *k, size_t i)
{
	return keeper__commit(k, i);
}

/* Keep the raw log (its final mode) or remove it; by the keeper once the sandbox is on. */
static int finish_rawlog(struct run *r, size_t nfiles, int keep)
{
	int ret = 0;

	if (!r->rawf.final)
		return 0;
	if (r->keeper)
		ret = keep ? keeper__commit(r->keeper, nfiles) : keeper__discard(r->keeper, nfiles);
	else if (keep)
		ret = outputs__commit(&r->rawf);
	else
		outputs__discard(&r->rawf);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * run --repeat: how many repeats ran, how long each took (the spread is what a single
 * run cannot show), and why it stopped early if it did.
 */
static void print_repeats(const struct run *r, const struct tracer_result *res)
{
	uint64_t *d;
	size_t n = 0;

	if (!r->driver)
		return;
	d = xcalloc(r->nreps + 1, sizeof(*d));
	for (unsigned i = 0; i < r->nreps; i++)
		if (r->reps[i].end_ns > r->reps[i].start_ns)
			d[n++] = r->reps[i].end_ns - r->reps[i].start_ns;
	qsort(d, n, sizeof(*d), cmp_u64);
	fprintf(stderr, "  repeats: %u of %u ran", r->nreps, r->o->repeat);
	if (n)
		fprintf(stderr, "; each %.3g s median [%.3g-%.3g]",
			(double)(d[(n - 1) / 2] + d[n / 2]) / 2e9,
			(double)d[0] / 1e9, (double)d[n - 1] / 1e9);
	if (r->nreps < r->o->repeat && res->exited && res->exit_code)
		fprintf(stderr, "; repeat %u failed (exit status %d), so the rest did not run",
			r->nreps, res->exit_code);
	else if (r->nreps < r->o->repeat && res->signaled)
		fprintf(stderr, "; stopped by %s", strsignal(res->term_sig));
	fprintf(stderr, "; 'pyflame diff' compares them run by run (keep them with -o FILE.raw)\n");
	free(d);
}

static void fill_meta(struct run *r)
{
	struct pf_meta *m = &r->prof->meta;

	m->duration_ns = pf_now_ns() - r->start_ns;
	m->ticks = r->ticks;
	m->ticks_missed = r->missed;
	m->dropped = 0;
	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		m->dropped += r->ustats.drops[i];
}

/*
 * A copy of pyflame with file capabilities (setcap cap_sys_ptrace+ep) lets whoever runs
 * it read their own processes where Yama or a container would refuse, and nothing more.
 */
static int refuse_foreign(pid_t pid, long uid)
{
	if (uid >= 0)
		pf_error(0, "refusing to read process %d: it runs as uid %ld, and this pyflame's "
			 "file capability (cap_sys_ptrace) serves only uid %d's own processes",
			 (int)pid, uid, (int)getuid());
	else
		pf_error(0, "refusing to read process %d: it runs with another group, and this "
			 "pyflame's file capability (cap_sys_ptrace) serves only your own "
			 "processes", (int)pid);
	pf_hint("run pyflame as the user who owns process %d, or as root (sudo pyflame ...)",
		(int)pid);
	return -EPERM;
}

/*
 * Attach to pid for attach and dump.  Run by root, pyflame keeps CAP_SYS_PTRACE alone and
 * reads any process (process_vm_readv needs only that capability; /proc/PID/mem of another
 * user's process would also need the DAC override pyflame dropped, so auto must not be
 * narrowed to it).  Run with a file capability, it reads only processes whose every uid
 * and gid is the caller's real one, checked again once attached (an exec of a setuid
 * program in between), and keeps the capability only until attached: its memory reader,
 * /proc/PID/mem, is opened by then.  Reports why not; 0 or -errno.
 */
static int attach_checked(struct tracer *tr, pid_t pid, struct run_opts *o)
{
	int setcap = getuid() != 0 && privs__any();
	long uid;
	int ret;

	if (setcap && privs__foreign(pid, &uid))
		return refuse_foreign(pid, uid);
	if (privs__any())
		privs__drop_all(1);
	ret = tracer__attach(tr, pid);
	if (ret == -EPERM) {
		tracer__explain_eperm(pid);
		return ret;
	}
	if (ret)
		return pf_error(ret, "cannot attach to process %d", (int)pid);
	if (setcap && privs__foreign(pid, &uid)) {
		tracer__detach_all(tr);
		return refuse_foreign(pid, uid);
	}
	if (setcap && o->reader == REMOTE_AUTO)
		o->reader = REMOTE_MEM;	/* opened now, it keeps working without the capability */
	return 0;
}

/*
 * Before the command starts: a capability the real user was not given (a file capability
 * of this copy of pyflame) is dropped, so the kernel never lets a traced exec gain
 * privileges through it; and a program that would gain privileges at exec (set-user-ID,
 * set-group-ID, file capabilities) is named, as it runs without them under a tracer that
 * has none.
 */
static void spawn_checks(char *const argv[])
{
	char path[PATH_MAX];

	if (getuid() != 0 && privs__any()) {
		int ret = privs__drop_caps();

		if (ret)
			pf_warn("cannot drop capabilities: %s", strerror(-ret));
	}
	if (getuid() != 0 && privs__exec_gains(argv[0], path, sizeof(path)) && !pf_quiet) {
		pf_warn("'%s' is set-user-ID, set-group-ID or has file capabilities: traced, it runs "
			"without those privileges", path);
		pf_hint("profile it as root (sudo pyflame run ...) if it needs them");
	}
}

/*
 * The command line of a running process, as typed (NUL separators become spaces), whole:
 * the bound is above what the kernel lets a command line be (ARG_MAX, stack / 4).
 */
static char *proc_cmdline(pid_t pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (pf_read_file(path, &sb, 64u << 20) || !sb.len) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "process %d", (int)pid);
	}
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\0')
			sb.buf[i] = ' ';
	while (sb.len && sb.buf[sb.len - 1] == ' ')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

/*
 * A profiling session, launched (run) or attached: outputs checked first, then the
 * tracer, privileges dropped and the sandbox installed, sampling until the end, profiles
 * written, and pyflame's exit status.
 */
static int session(struct run_opts *o)
{
	struct run r = { .o = o };
	size_t nfiles = o->noutputs ? o->noutputs : 1;
	struct out_file *files = xcalloc(nfiles, sizeof(*files));
	const char **written = xcalloc(nfiles + 1, sizeof(*written));
	struct tracer_opts to = {
		.follow = o->follow,
		.period_ns = (uint64_t)llround(1e9 / o->rate_hz),
		.duration_ns = (uint64_t)llround(o->duration_s * 1e9),
		.grace_ns = (uint64_t)llround(o->grace_s * 1e9),
		.spin_ns = (uint64_t)o->busy_poll_us * 1000u,
		.spin_adaptive = !o->busy_poll_fixed,
		.repeat = o->attach_pid ? 0 : o->repeat,
	};
	struct output_opts oo = {
		.line_numbers = o->line_numbers,
		.threads = o->threads,
		.merge_processes = o->merge,
	};
	struct tracer_result res = { 0 };
	char *attach_argv[2] = { NULL, NULL };
	char *const *name_argv = o->argv;
	size_t nwritten = 0;
	int status = PF_EXIT_FAILURE;
	int unwritten = 0;	/* a profile asked for was not written */
	struct timespec ts;
	pid_t pid;
	int ret;

	for (size_t i = 0; i < nfiles; i++)
		files[i].fd = files[i].dirfd = -1;
	r.rawf.fd = r.rawf.dirfd = -1;
	if (o->live && (status = live_open(&r)))
		goto out_files;
	status = PF_EXIT_FAILURE;
	/* Outputs are checked before the command starts: a typo must not cost a long run. */
	for (size_t i = 0; i < o->noutputs; i++) {
		if (outputs__open(&files[i], o->outputs[i].path, o->outputs[i].format)) {
			status = PF_EXIT_USAGE;
			goto out_files;
		}
	}
	if (!o->noutputs &&
	    outputs__open(&files[0], "pyflame-output.svg",
			  o->default_format ? o->default_format : PF_FORMAT_SVG)) {
		pf_hint("run pyflame in a writable directory, or name the output with -o");
		status = PF_EXIT_USAGE;
		goto out_files;
	}

	r.prof = profile__new();
	if (o->attach_pid) {
		char path[64];
		struct strbuf sb = STRBUF_INIT;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)o->attach_pid);
		if (pf_read_file(path, &sb, 64) || !sb.len) {
			pf_error(0, "no process %d", (int)o->attach_pid);
			strbuf_release(&sb);
			status = PF_EXIT_USAGE;
			goto out_tracer;
		}
		sb.buf[strcspn(sb.buf, "\n")] = '\0';
		attach_argv[0] = strbuf_detach(&sb, NULL);
		name_argv = attach_argv;
		r.prof->meta.command = proc_cmdline(o->attach_pid);
	} else {
		r.prof->meta.command = join_argv(o->argv);
	}
	r.prof->meta.mode = xstrdup(pf_mode__name(o->mode));
	r.prof->meta.rate_hz = o->rate_hz;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.prof->meta.start_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	r.stackbuf = xcalloc(o->max_depth + 3, sizeof(*r.stackbuf));	/* test, frames, <GC> */
	strbuf_init(&r.tlabel);
	strbuf_init(&r.tid);
	if (o->tests) {
		r.stackcls = xcalloc(o->max_depth + 1, sizeof(*r.stackcls));
		r.empty_str = strtab__intern(r.prof->strings, "", 0);
		if (!getcwd(r.cwd, sizeof(r.cwd)))
			r.cwd[0] = '\0';
	}
	r.tr = tracer__new(&to, &run_tracer_ops, &r);
	r.start_ns = pf_now_ns();
	r.rng = (r.start_ns ^ ((uint64_t)getpid() << 32)) | 1;
	if (o->attach_pid) {
		pid = o->attach_pid;
		if (attach_checked(r.tr, pid, o))
			goto out_tracer;
		struct proc *p = proc_add(&r, pid);

		p->exec_events = tracer__exec_traced(r.tr, pid);
		proc_probe(&r, p, UINT64_MAX);
	} else {
		spawn_checks(o->argv);
		pid = tracer__spawn(r.tr, o->argv);
		if (pid < 0) {
			pf_error(pid, "cannot start '%s'", o->argv[0]);
			goto out_tracer;
		}
		proc_add(&r, pid);
		if (o->repeat > 1) {
			r.driver = pid;
			r.reps = xcalloc(o->repeat, sizeof(*r.reps));
		}
	}
	if (!o->noutputs) {
		char *name = default_output(name_argv, pid, files[0].format);

		if (outputs__retarget(&files[0], name)) {
			outputs__discard(&files[0]);	/* said why; the raw log keeps the samples */
			unwritten = 1;
		}
		free(name);
	}
	if (open_rawlog(&r, files, nfiles, name_argv, pid)) {
		pf_warn("running without a raw log: a run cut short will leave no profile");
		unwritten |= r.raw_keep;	/* -o FILE.raw was asked for */
		r.raw_keep = 0;
	}
	if (o->step_summary && getenv("GITHUB_STEP_SUMMARY") && *getenv("GITHUB_STEP_SUMMARY")) {
		r.step_summary = open_step_summary(getenv("GITHUB_STEP_SUMMARY"));
		if (!r.step_summary)
			pf_warn("cannot append to $GITHUB_STEP_SUMMARY ('%s'): %s",
				getenv("GITHUB_STEP_SUMMARY"), strerror(errno));
	}
	if (o->dump_timeout_s > 0) {
		struct itimerval it = { { 0, 0 }, { (time_t)o->dump_timeout_s,
			(suseconds_t)((o->dump_timeout_s - (double)(time_t)o->dump_timeout_s) * 1e6) } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	confine(&r, files, nfiles, o->attach_pid ? 0 : pid);
	if (r.live && (ret = live__start(r.live))) {
		pf_warn("cannot set up the terminal for --live: %s; sampling without the view",
			strerror(-ret));
		live__free(r.live);
		r.live = NULL;
	}
	ret = tracer__run(r.tr, &res);
	live__end(r.live);
	if (ret)
		pf_error(ret, "lost track of the command");
	for (size_t i = 0; i < r.nprocs; i++)
		if (r.procs[i]->provisional_until)
			commit_provisional(&r, r.procs[i]);
	fill_meta(&r);
	report_sandbox();
	if (res.exec_errno) {
		pf_error(-res.exec_errno, "cannot run '%s'", o->argv[0]);
		if (res.exec_errno == ENOENT && !strchr(o->argv[0], '/'))
			pf_hint("is '%s' installed and on PATH?", o->argv[0]);
		status = (res.exec_errno == ENOENT || res.exec_errno == ENOTDIR) ?
			 PF_EXIT_NOTFOUND : PF_EXIT_NOEXEC;
		goto out_tracer;
	}
	if (!o->attach_pid && !pf_quiet)
		report_detached(tracer__counts(r.tr));
	report_busy_poll(tracer__counts(r.tr));
	if (res.abandoned_sig && !pf_quiet)
		pf_warn("the command did not end within %g s of %s; writing the profile and leaving "
			"it running", o->grace_s, strsignal(res.abandoned_sig));
	if (r.raw) {
		ret = rawlog__close(r.raw, &r.prof->meta);
		r.raw = NULL;
		if (ret) {
			pf_error(ret, "cannot write the raw log '%s'", r.raw_path);
			unwritten |= r.raw_keep;
			r.raw_keep = 0;
		}
	}
	if (r.prof->total == 0) {
		if (!pf_quiet)
			pf_warn(r.python_procs ? "no samples were taken; no profile written" :
				"no Python process was seen; no profile written");
		r.raw_keep = 0;
		unwritten |= o->attach_pid != 0;	/* attach was asked for a profile */
	} else {
		oo.title = o->title ? o->title : r.prof->meta.command;
		oo.rawlog_path = r.raw_path;	/* the timeline replays it for sample times */
		ret = outputs__write(files, nfiles, r.prof, &oo, written, &nwritten,
				     r.keeper ? commit_by_keeper : NULL, r.keeper);
		unwritten |= ret != 0;
		if (r.raw_keep && finish_rawlog(&r, nfiles, 1)) {
			pf_error(0, "cannot put the raw log '%s' in place", r.raw_path);
			unwritten = 1;
		} else if (r.raw_keep) {
			written[nwritten++] = r.raw_path;
		} else if ((ret || unwritten) && r.raw_path) {
			r.raw_keep = 1;		/* keep the samples: pyflame report can retry */
			finish_rawlog(&r, nfiles, 1);
		}
		if (r.step_summary) {
			struct pf_summary_extra x = { written, nwritten,
						      tracer__counts(r.tr)->processes, o->merge,
						      r.tests_fallback, r.tests_unreadable,
						      r.raw_path };

			summary__print_markdown(r.prof, &x, r.step_summary);
		}
		if (!pf_quiet) {
			struct pf_summary_extra x = { written, nwritten,
						      tracer__counts(r.tr)->processes, o->merge,
						      r.tests_fallback, r.tests_unreadable,
						      r.raw_path };

			summary__print(r.prof, &x, stderr);
			print_drops(&r);
			print_repeats(&r, &res);
			if (o->tests && !r.tests_runner_seen)
				pf_warn("--tests: no pytest or unittest run was seen; the profile is "
					"not organised by test");
			if (ret && r.raw_path)
				pf_hint("the samples are in '%s': pyflame report %s -o FILE", r.raw_path,
					r.raw_path);
		}
	}
	if (o->attach_pid) {
		/* the process was never ours: its fate is not pyflame's exit status */
		status = 0;
	} else if (res.abandoned_sig) {
		status = 128 + res.abandoned_sig;
		res.signaled = 1;
		res.term_sig = res.abandoned_sig;
	} else {
		status = res.exited ? res.exit_code : 128 + res.term_sig;
	}
	/* a profile asked for and not written shows, unless the command's failure does */
	if (unwritten && status == 0)
		status = PF_EXIT_FAILURE;

out_tracer:
	if (r.step_summary)
		fclose(r.step_summary);
	if (r.raw)
		rawlog__close(r.raw, NULL);
	if (!r.raw_keep)
		finish_rawlog(&r, nfiles, 0);
	r.raw_path = NULL;
	outputs__close(&r.rawf);
	free(attach_argv[0]);
	free(r.reps);
	tracer__free(r.tr);
	for (size_t i = 0; i < r.nprocs; i++) {
		proc_new_image(r.procs[i]);
		free(r.procs[i]);
	}
	free(r.procs);
	free(r.stackbuf);
	free(r.stackcls);
	free(r.fclass);
	strbuf_release(&r.tlabel);
	strbuf_release(&r.tid);
	profile__free(r.prof);
out_files:
	for (size_t i = 0; i < nfiles; i++) {
		if (r.keeper)
			outputs__close(&files[i]);	/* the keeper removes what is left */
		else
			outputs__discard(&files[i]);
	}
	keeper__free(r.keeper);
	live__free(r.live);
	free(files);
	free(written);
	if (!o->attach_pid && res.signaled && !res.exec_errno)
		die_like(res.term_sig);
	return status;
}

int cmd_run(struct run_opts *o)
{
	o->attach_pid = 0;
	return session(o);
}

int cmd_attach(struct run_opts *o)
{
	return session(o);
}

/* The threads of pid that are not running now (before we stop them). */
static pid_t *idle_threads(pid_t pid, size_t *n)
{
	char path[96];
	pid_t *v = NULL;
	size_t alloc = 0;
	DIR *d;
	struct dirent *de;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return xcalloc(1, sizeof(*v));
	while ((de = readdir(d)) && *n < 65536) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
		enum procfs_state st;

		if (tid <= 0)
			continue;
		st = procfs__task_state(pid, tid);
		if (st != PROCFS_STATE_UNKNOWN && st != PROCFS_STATE_RUNNING) {
			xgrow((void **)&v, &alloc, *n + 1, sizeof(*v));
			v[(*n)++] = tid;
		}
	}
	closedir(d);
	return v ? v : xcalloc(1, sizeof(*v));
}

/*
 * `pyflame dump -p PID`: seize every thread, stop them for a consistent snapshot, print,
 * and let go.  The process is never left stopped and never killed.
 */
int cmd_dump(struct run_opts *o)
{
	struct run r = { .o = o };
	/* a dump stops the process once: it may wait longer for a loaded machine than a tick */
	struct tracer_opts to = { .follow = 1, .hold_wait_ns = 2000000000ull };
	struct stackdump_opts so = { .json = o->json };
	pid_t pid = o->attach_pid;
	pid_t *idle = NULL;
	size_t nidle = 0;
	char *command = NULL;
	struct proc *p;
	uint32_t id;
	int status = PF_EXIT_FAILURE, ret;

	if (kill(pid, 0) < 0 && errno == ESRCH) {
		pf_error(0, "no process %d", (int)pid);
		return PF_EXIT_USAGE;
	}
	r.prof = profile__new();
	r.rawf.fd = r.rawf.dirfd = -1;
	r.tr = tracer__new(&to, &run_tracer_ops, &r);
	if (attach_checked(r.tr, pid, o))
		goto out;
	/* the memory it parses is the target's: confined like attach from here on (dump has
	 * no --no-sandbox: it makes no file, so nothing it needs is refused) */
	o->sandbox = 1;
	confine(&r, NULL, 0, 0);
	p = proc_add(&r, pid);
	idle = idle_threads(pid, &nidle);
	so.idle_tids = idle;
	so.nidle_tids = nidle;
	ret = tracer__hold(r.tr, pid, 1);
	if (ret == -ESRCH) {
		pf_error(0, "process %d went away", (int)pid);
		goto out_release;
	}
	if (ret)	/* a thread in vfork, say: read it running rather than wait */
		pf_warn("process %d: cannot stop every thread now (%s); its stacks are read "
			"while it runs", (int)pid, ret == -EAGAIN ? "one is in uninterruptible "
			"sleep, as a vfork parent is" : "one did not stop in time");
	proc_probe(&r, p, UINT64_MAX);
	if (p->state != PROC_PYTHON) {
		if (p->state == PROC_PROBING)
			pf_error(0, "process %d is not running Python (no CPython runtime in its "
				 "executable or libraries, or not initialised yet)", (int)pid);
		goto out_release;
	}
	/*
	 * JSON is for tools: the whole command line, not the profile's shortened one.  The
	 * profile's process is made first: profile__process() may move r.prof->procs.
	 */
	id = proc_profile_id(&r, p);
	if (o->json)
		command = proc_cmdline(pid);
	status = stackdump__print(p->uw, r.prof->strings, pid, command ? command :
				  strtab__get(r.prof->strings, r.prof->procs[id].cmdline),
				  p->version, &so, stdout) ? PF_EXIT_FAILURE : 0;
	if (status)
		pf_error(0, "could not read the stacks of process %d", (int)pid);
out_release:
	tracer__release(r.tr);
	tracer__detach_all(r.tr);
	report_sandbox();
out:
	tracer__free(r.tr);
	for (size_t i = 0; i < r.nprocs; i++) {
		proc_reset(r.procs[i]);
		free(r.procs[i]);
	}
	free(r.procs);
	free(idle);
	free(command);
	profile__free(r.prof);
	return status;
}
