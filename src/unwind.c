/* unwind.c - walk every thread's Python frames in a remote CPython, version by data. */
#include "pyflame/unwind.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/linetable.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define PEEK_STR 192		/* code_fetch(): bytes read ahead of a str ... */
#define PEEK_TABLE 768		/* ... and of a line table */
#define N PYOFF_NONE

#define UNWIND_MAX_INTERPS	64
#define UNWIND_MAX_THREADS	4096
#define UNWIND_MAX_CHARS	4096		/* names and file names */
#define UNWIND_MAX_TABLE	(64u << 10)	/* line tables */
#define UNWIND_CHUNK_WINDOW	(1u << 20)	/* biggest stack-chunk prefix copied at once */
#define UNWIND_PTHREAD_SCAN	2048		/* bytes of struct pthread searched for the TID */
#define UNWIND_TID_TRIES	8		/* samples that may try to find the TID offset */
#define UNWIND_SPAN_MAX		1024		/* read fields in one go when this close */
#define UNWIND_CODE_RECHECK_NS	10000000ull	/* 10 ms: see unwinder__set_code_recheck() */
#define UNWIND_CHUNK_SLACK	2048		/* planned beyond the top frame of a chunk */
#define SNAP_GAP		2048		/* plan ranges this close are read as one */
#define SNAP_KEEP		16		/* samples a range stays planned unused */
#define SNAP_MAX_SEGS		1024
#define SNAP_MAX_BYTES		(4u << 20)
#define SNAP_MAX_ADDS		4096
#define CODE_CACHE_MAX		(1u << 16)
/* Line tables cached at most: a hostile target could make each of the entries 64 KiB. */
#define CODE_CACHE_BYTES_MAX	(16u << 20)
#define STR_CACHE_MAX		(1u << 17)
#define TID_CACHE		256
#define UNWIND_MAX_TASKS	4096		/* --async=all: tasks of one thread's list */
#define UNWIND_MAX_AWAITERS	64		/* tasks awaiting tasks, leaf to root */
#define UNWIND_SET_SCAN		64		/* set entries looked at for an awaiter */
#define UNWIND_MAX_STACKTOP	(1 << 16)	/* 3.11-3.13: a coroutine frame's stack slots */
#define UNWIND_CLOSURE_MAX	16		/* cells of a done callback looked at (gather) */
#define TYPE_CACHE		16		/* type names of awaited futures */
#define LOOP_CACHE		16		/* threads' running-loop slots (3.11, 3.12) */
#define UNWIND_MAX_ACTS		1024		/* eval activations recorded per stack */
#define UNWIND_PLAN_CHARS	256		/* bytes of a planned str's characters */
#define UNWIND_MAX_RUNNING	16		/* 3.11-3.13 --async: running tasks (event
						   loops) looked for in each sample */
#define UNWIND_RUN_ENTRIES	64		/* ... entries of current_tasks read for them */
#define UNWIND_DICT_SCAN	16384		/* entries of a dict searched for a str key */
#define UNWIND_DICT_BATCH	256		/* ... read at once */

const char *unwind_drop__name(enum unwind_drop d)
{
	static const char *const names[] = {
		[UNWIND_DROP_READ] = "read",
		[UNWIND_DROP_BADCODE] = "badcode",
		[UNWIND_DROP_BADSTR] = "badstr",
		[UNWIND_DROP_CYCLE] = "cycle",
		[UNWIND_DROP_THREADS] = "threads",
		[UNWIND_DROP_TASKS] = "tasks",
	};

	return (unsigned)d < ARRAY_SIZE(names) ? names[d] : "unknown";
}

/* A cheap mix of an address, for open addressing. */
static inline size_t hash_addr(uint64_t a, uint64_t seed)
{
	a ^= seed;
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 29;
	return (size_t)a;
}

/* --- a set of addresses, cleared in O(1) by bumping a generation ------------------ */

struct addrset {
	uint64_t *keys;
	uint32_t *gen;
	size_t mask;
	uint32_t cur;
	size_t count, limit;
};

static void addrset__init(struct addrset *s, size_t limit)
{
	size_t cap = 16;

	while (cap < limit * 2)
		cap <<= 1;
	s->keys = xcalloc(cap, sizeof(*s->keys));
	s->gen = xcalloc(cap, sizeof(*s->gen));
	s->mask = cap - 1;
	s->cur = 1;
	s->count = 0;
	s->limit = limit;
}

static void addrset__release(struct addrset *s)
{
	free(s->keys);
	free(s->gen);
}

static void addrset__clear(struct addrset *s)
{
	if (++s->cur == 0) {
		memset(s->gen, 0, (s->mask + 1) * sizeof(*s->gen));
		s->cur = 1;
	}
	s->count = 0;
}

/* 1 if addr was already there, 0 if added, -1 if the set is full. */
static int addrset__add(struct addrset *s, uint64_t addr)
{
	size_t i = hash_addr(addr, 7) & s->mask;

	while (s->gen[i] == s->cur) {
		if (s->keys[i] == addr)
			return 1;
		i = (i + 1) & s->mask;
	}
	if (s->count >= s->limit)
		return -1;
	s->gen[i] = s->cur;
	s->keys[i] = addr;
	s->count++;
	return 0;
}

/*
 * --- the sample plan ----------------------------------------------------------------
 *
 * Walking stacks is a chain of dependent reads (runtime -> interpreter -> thread -> frame ->
 * code object), and each read is a system call costing microseconds.  But from one sample
 * to the next almost every read is at the same address: the same thread states, the same
 * stack chunk, the same code objects.  So the unwinder remembers the ranges it read (the
 * plan), merges those that lie close together, and at the start of each sample reads the
 * whole plan in one batched read (process_vm_readv with one remote iovec per segment).
 * The walk then reads as before, through rd(): a read that falls inside a planned segment
 * is a memcpy from that copy; any other read goes to the target and is added to the next
 * plan.  Nothing is taken from an earlier sample: a segment holds the target's bytes as
 * they were at the start of this sample, so thread lists, frame links and instruction
 * positions are as fresh as if each had been read one by one (and closer to a single
 * instant).  Only code objects are trusted between checks, see code_get().
 * A segment unused for SNAP_KEEP samples leaves the plan; one that fails to read too.
 * Ranges closer than SNAP_GAP (< one page) merge: the bytes between them lie on pages
 * that the two ranges themselves occupy, so merging never reaches an unmapped page.
 *
 * A reader that costs a system call per word (--reader peek) gains nothing from a batch
 * and pays for every byte of it: a plan of 20 KiB (a stack chunk, the C stack between
 * entry frames) is 2,500 PTRACE_PEEKDATA calls while the process is stopped, longer than
 * a tick at 200 Hz.  With such a reader there is no plan: each read is exactly the bytes
 * the walk needs (snap.off).
 */
struct snap_seg {
	uint64_t addr;
	size_t len;
	size_t off;			/* of its copy in snap.buf */
	uint32_t idle;			/* samples since last used */
	int ok;				/* read in this sample */
};

struct snap {
	struct snap_seg *seg;		/* sorted by addr, disjoint */
	size_t nseg, seg_alloc;
	struct snap_seg *add;		/* read outside the plan during this sample */
	size_t nadd, add_alloc;
	struct remote_iov *iov;
	int *res;
	size_t iov_alloc;
	uint8_t *buf;
	size_t buf_alloc;
	size_t last;			/* segment of the last hit */
	int bypass;			/* read live, not from this sample's copy (a retry) */
	int off;			/* no plan: the reader pays per word (peek) */
};

/* --- caches ---------------------------------------------------------------------- */

/* What we know about a code object; the fingerprint detects a reused address. */
struct code_entry {
	uint64_t addr;			/* 0 = empty slot */
	uint64_t name_addr, qualname_addr, file_addr, table_addr;
	int32_t firstlineno;
	int32_t firsttraceable;		/* 3.11+ */
	uint64_t tlbc;			/* 3.14t: _PyCodeArray * */
	uint64_t checked;		/* sample number of the last fingerprint check */
	uint64_t checked_ns;		/* and its time */
	uint64_t epoch;			/* 3.14: u->code_epoch when last checked */
	uint64_t units;			/* 3.11+: ob_size, bytecode length in code units */
	int recheck_planned;		/* its header is in the next sample's batch */
	uint32_t name, file;		/* strtab ids */
	uint8_t *table;
	uint32_t table_len;
	uint8_t *calls;			/* --native-markers: a bit per code unit, set on a call
					   opcode (NULL: not known) */
	uint64_t calls_units;		/* units the map covers */
	int64_t memo_addrq;		/* last lookup */
	int32_t memo_line;
};

struct str_entry {
	uint64_t addr;			/* 0 = empty slot */
	uint64_t type, len;
	uint64_t hash;			/* the object's cached hash (never -1 here) */
	uint32_t state;
	uint32_t id;
};

struct tid_entry {
	uint64_t pthread;
	pid_t tid;
};

/* --async=all: one task of a thread's list, as this sample read it */
struct task_info {
	uint64_t addr;
	uint64_t awaited_by, fut_waiter, coro, name;
	uint64_t loop, callback0;	/* 3.11-3.13 */
	int awaited_by_is_set;
	int parent;			/* index of the first task awaiting it, or -1 */
	int has_child;			/* a task awaits it: not a leaf */
	uint32_t mark;			/* awaiter walk that last passed here */
};

/* 3.11, 3.12 --async=all: where a thread dict keeps its running loop */
struct loop_entry {
	uint64_t dict, keys, slot;
};

/* 3.11-3.13 --async=all: a task waits on fut, a future that is not a task */
struct task_wait {
	uint64_t fut;
	int task;
};

struct type_entry {
	uint64_t type, tp_name;		/* tp_name: the char * that was read */
	uint32_t id;			/* "<awaiting NAME>" */
};

struct unwinder {
	const struct remote *r;
	const struct remote_iov *ride;	/* unwinder__ride(): read with the next plan */
	int *ride_res;
	size_t nride;
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct strtab *strings;
	unsigned max_depth;
	unsigned walk_max;		/* frame steps per thread, shims included */

	struct pf_frame *frames;
	uint32_t *acts;			/* frames per eval activation, innermost first */
	unsigned nacts;
	int acts_ok;			/* acts covers the whole stack walked */

	struct code_entry *code;
	size_t code_mask, code_count;
	size_t code_bytes;		/* line-table bytes the cache holds */
	struct str_entry *str;
	size_t str_mask, str_count;

	struct addrset seen_threads;

	/* scratch, sized once */
	uint8_t *tsbuf;			/* one PyThreadState */
	size_t tslen;
	uint8_t *cobuf;			/* one code object header */
	size_t colen;
	uint8_t fbuf[512];		/* one frame header */
	size_t flen;
	uint8_t *raw;			/* raw string bytes */
	uint8_t *peek;			/* code_fetch(): 2 * PEEK_STR + PEEK_TABLE */
	char *utf8;			/* decoded string */
	uint8_t *win;			/* copied stack chunk prefix */
	size_t win_alloc;

	/* <= 3.10: where glibc's struct pthread keeps the TID */
	int64_t tid_off;		/* -1 unknown */
	uint64_t lone_pthread;		/* while unknown: the only thread's pthread_self() */
	unsigned tid_tries;
	struct tid_entry tids[TID_CACHE];

	/* --async (3.14+): cut each running task's stack at its coroutine, under its name */
	struct py_async_offsets aio;
	int aio_on;
	int aio_all;			/* --async=all: waiting tasks too */
	uint32_t empty_id;		/* "" in strings: the task frame's file */
	struct task_info *tasks;	/* this thread's, sorted by addr (aio_all) */
	size_t ntasks;
	int tasks_ok;			/* the list was read whole */
	uint32_t task_mark;
	uint32_t sleep_id, ready_id, awaiting_sleep_id;
	struct type_entry types[TYPE_CACHE];
	uint8_t *cobj;			/* one coroutine: header and embedded frame */
	size_t cobj_len;
	/*
	 * 3.11-3.13 (aio.ts_running_task N): the running tasks are the values of _asyncio's
	 * current_tasks dict, one per event loop running; a thread runs the one whose
	 * coroutine frame is on its stack.
	 */
	uint64_t aio_dict;		/* current_tasks, once unwinder__find_asyncio() found it */
	uint64_t aio_looked_keys;	/* sys.modules as last searched in vain: its keys */
	uint64_t aio_looked_used;	/* ... and item count */
	uint64_t aio_sets[2];		/* --async=all: the WeakSet's data, _eager_tasks */
	uint64_t aio_task_type;		/* _asyncio.Task */
	struct loop_entry loop_cache[LOOP_CACHE];
	struct task_info *all;		/* this sample's tasks of every loop (aio_all) */
	size_t nall;
	uint64_t *task_addrs;		/* ... as the sets gave them */
	struct task_wait *waits;	/* the thread's tasks by what they wait on */
	size_t nwaits;
	int all_ok;			/* all was read whole */
	struct {
		uint64_t task, name, frame;
	} run[UNWIND_MAX_RUNNING];
	uint64_t run_frames[UNWIND_MAX_RUNNING];
	unsigned nrun;

	const uint8_t *call_ops;	/* --native-markers: the call opcodes (256 bits) */
	int want_exc;			/* --mode exception: read each thread's exception */
	uint8_t *tsbuf2;		/* ... and its thread state read again (exc_confirm) */
	size_t ts2len;
	uint64_t top;			/* the top frame walk_thread() started from */
	uint64_t top_code;		/* ... and the code that frame ran */
	uint64_t exc_none;		/* an immortal object seen not to be an exception */
	int leaf_call;			/* the innermost frame walked stands on a call */

	enum unwind_drop cause;		/* why the current thread is being dropped */
	uint64_t sample_no;

	struct snap snap;

	/*
	 * 3.14+: interp->_code_object_generation grows whenever a code object is freed.
	 * While it stands still no code address can have been reused, so a code object
	 * checked under the same generation needs no new check (GIL builds; free-threaded
	 * builds re-read the header anyway for the per-thread bytecode array).
	 */
	int gen_ok;			/* the layout has it and this sample read it */
	uint64_t recheck_ns;		/* see unwinder__set_code_recheck() */
	uint64_t now_ns;		/* start of this sample, when recheck_ns */
	uint64_t gen;			/* the generation when code_epoch was set */
	uint64_t code_epoch;		/* bumped whenever the generation moves */
};

static uint64_t ld_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int32_t ld_i32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t ld_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t max_end(size_t cur, int64_t off, size_t width)
{
	if (off == N)
		return cur;
	return (size_t)off + width > cur ? (size_t)off + width : cur;
}

struct unwinder *unwinder__new(const struct remote *r, const struct pyruntime_loc *loc,
			       const struct py_offsets *off, struct strtab *strings,
			       unsigned max_depth)
{
	struct unwinder *u;

	if (!r || !loc || !off || !strings || off->tstate.size <= 0 ||
	    off->tstate.size > (64 << 10) || off->code.size <= 0 || off->code.size > 4096) {
		errno = EINVAL;
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->r = r;
	u->loc = *loc;
	u->off = *off;
	u->strings = strings;
	u->max_depth = max_depth ? max_depth : 1024;
	u->walk_max = u->max_depth * 2 + 256;
	u->frames = xcalloc(u->max_depth, sizeof(*u->frames));
	u->acts = xcalloc(UNWIND_MAX_ACTS, sizeof(*u->acts));
	u->code_mask = 1023;
	u->code = xcalloc(u->code_mask + 1, sizeof(*u->code));
	u->str_mask = 1023;
	u->str = xcalloc(u->str_mask + 1, sizeof(*u->str));
	addrset__init(&u->seen_threads, UNWIND_MAX_THREADS);
	u->tslen = (size_t)off->tstate.size;
	u->tsbuf = xmalloc(u->tslen);
	u->colen = (size_t)off->code.size;
	u->cobuf = xmalloc(u->colen);
	if (off->frames == PY_FRAMES_OBJECT) {
		u->flen = max_end(0, off->frame.back, 8);
		u->flen = max_end(u->flen, off->frame.code, 8);
		u->flen = max_end(u->flen, off->frame.lasti, 4);
	} else {
		u->flen = off->iframe.size > 0 ? (size_t)off->iframe.size : 0;
		u->flen = max_end(u->flen, off->iframe.previous, 8);
		u->flen = max_end(u->flen, off->iframe.executable, 8);
		u->flen = max_end(u->flen, off->iframe.instr_ptr, 8);
		u->flen = max_end(u->flen, off->iframe.owner, 1);
		u->flen = max_end(u->flen, off->iframe.is_entry, 1);
		u->flen = max_end(u->flen, off->iframe.tlbc_index, 4);
	}
	if (u->flen == 0 || u->flen > sizeof(u->fbuf)) {
		unwinder__free(u);
		errno = EINVAL;
		return NULL;
	}
	u->raw = xmalloc(UNWIND_MAX_CHARS * 4);
	u->peek = xmalloc(2 * PEEK_STR + PEEK_TABLE);
	u->utf8 = xmalloc(UNWIND_MAX_CHARS * 4 + 1);
	u->tid_off = -1;
	u->recheck_ns = UNWIND_CODE_RECHECK_NS;
	return u;
}

static void code_cache__clear(struct unwinder *u)
{
	for (size_t i = 0; i <= u->code_mask; i++) {
		free(u->code[i].table);
		free(u->code[i].calls);
	}
	memset(u->code, 0, (u->code_mask + 1) * sizeof(*u->code));
	u->code_count = 0;
	u->code_bytes = 0;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	code_cache__clear(u);
	free(u->code);
	free(u->str);
	free(u->frames);
	free(u->acts);
	addrset__release(&u->seen_threads);
	free(u->tsbuf);
	free(u->tsbuf2);
	free(u->cobuf);
	free(u->raw);
	free(u->peek);
	free(u->utf8);
	free(u->win);
	free(u->snap.seg);
	free(u->snap.add);
	free(u->snap.iov);
	free(u->snap.res);
	free(u->snap.buf);
	free(u->tasks);
	free(u->all);
	free(u->task_addrs);
	free(u->waits);
	free(u->cobj);
	free(u);
}

/* --- the plan ---------------------------------------------------------------------- */

static int seg_cmp(const void *a, const void *b)
{
	const struct snap_seg *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Remember [addr, addr + len) for the next plan; idle SNAP_KEEP: for the next sample
 * only (unless it merges with a range that is used), 0: for as long as it is used.
 */
static void snap_add_idle(struct snap *s, uint64_t addr, size_t len, uint32_t idle)
{
	uint64_t end;

	if (s->off || !len || len > SNAP_MAX_BYTES || pf_add_overflows(addr, len, &end) ||
	    s->nadd >= SNAP_MAX_ADDS)
		return;
	xgrow((void **)&s->add, &s->add_alloc, s->nadd + 1, sizeof(*s->add));
	s->add[s->nadd].addr = addr;
	s->add[s->nadd].len = len;
	s->add[s->nadd].idle = idle;
	s->nadd++;
}

static void snap_add(struct snap *s, uint64_t addr, size_t len)
{
	snap_add_idle(s, addr, len, 0);
}

/* Age the plan, fold in what was read outside it last time, sort and merge. */
static void snap_replan(struct snap *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nseg; i++) {
		if (!s->seg[i].ok || s->seg[i].idle >= SNAP_KEEP)
			continue;
		s->seg[n] = s->seg[i];
		s->seg[n++].idle++;
	}
	s->nseg = n;
	if (!s->nadd)
		return;
	xgrow((void **)&s->seg, &s->seg_alloc, s->nseg + s->nadd, sizeof(*s->seg));
	memcpy(s->seg + s->nseg, s->add, s->nadd * sizeof(*s->add));
	s->nseg += s->nadd;
	s->nadd = 0;
	qsort(s->seg, s->nseg, sizeof(*s->seg), seg_cmp);
	for (i = 0, n = 0; i < s->nseg; i++) {
		struct snap_seg *last = n ? &s->seg[n - 1] : NULL;
		uint64_t end = s->seg[i].addr + s->seg[i].len;

		if (last && s->seg[i].addr - last->addr <= last->len + SNAP_GAP) {
			if (end > last->addr + last->len)
				last->len = (size_t)(end - last->addr);
			if (s->seg[i].idle < last->idle)
				last->idle = s->seg[i].idle;
			continue;
		}
		s->seg[n++] = s->seg[i];
	}
	s->nseg = n > SNAP_MAX_SEGS ? SNAP_MAX_SEGS : n;
}

/* Read the whole plan: one batched read.  0 or -ESRCH. */
static int snap_begin(struct unwinder *u)
{
	struct snap *s = &u->snap;
	size_t i, total = 0;
	int err;

	s->off = u->r->kind == REMOTE_PEEK;
	if (s->off)
		s->nseg = 0;
	snap_replan(s);
	for (i = 0; i < s->nseg; i++) {
		if (total + s->seg[i].len > SNAP_MAX_BYTES)
			break;
		s->seg[i].off = total;
		s->seg[i].ok = 0;
		total += s->seg[i].len;
	}
	s->nseg = i;
	if (!s->nseg && !u->nride)
		return 0;
	if (total > s->buf_alloc)
		xgrow((void **)&s->buf, &s->buf_alloc, total, 1);
	if (s->nseg + u->nride > s->iov_alloc) {
		size_t want = s->nseg + u->nride, alloc = s->iov_alloc;

		xgrow((void **)&s->iov, &s->iov_alloc, want, sizeof(*s->iov));
		xgrow((void **)&s->res, &alloc, want, sizeof(*s->res));
	}
	for (i = 0; i < s->nseg; i++) {
		s->iov[i].addr = s->seg[i].addr;
		s->iov[i].buf = s->buf + s->seg[i].off;
		s->iov[i].len = s->seg[i].len;
	}
	for (i = 0; i < u->nride; i++)		/* the caller's, after the plan */
		s->iov[s->nseg + i] = u->ride[i];
	err = remote__readv(u->r, s->iov, s->nseg + u->nride, s->res);
	for (i = 0; i < u->nride; i++)
		u->ride_res[i] = err ? (err == -ESRCH ? -ESRCH : -EFAULT) : s->res[s->nseg + i];
	u->nride = 0;
	if (err == -ESRCH)
		return err;
	for (i = 0; i < s->nseg; i++)
		s->seg[i].ok = !err && !s->res[i];
	return 0;
}

/*
 * This sample's copy of [addr, addr + len), or NULL when the plan does not hold it.
 * use: the segment counts as used (it stays planned).
 */
static const uint8_t *snap_lookup(struct snap *s, uint64_t addr, size_t len, int use)
{
	size_t lo = 0, hi = s->nseg;
	struct snap_seg *g;

	if (s->bypass || s->off)
		return NULL;
	/* Frames of one stack chunk come one after another from one segment. */
	if (s->last < s->nseg) {
		g = &s->seg[s->last];
		if (g->ok && addr >= g->addr && addr - g->addr <= g->len &&
		    len <= g->len - (addr - g->addr)) {
			if (use)
				g->idle = 0;
			return s->buf + g->off + (addr - g->addr);
		}
	}
	while (lo < hi) {		/* first segment starting after addr */
		size_t mid = lo + (hi - lo) / 2;

		if (s->seg[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	g = &s->seg[lo - 1];
	if (!g->ok || addr - g->addr > g->len || len > g->len - (addr - g->addr))
		return NULL;
	s->last = lo - 1;
	if (use)
		g->idle = 0;
	return s->buf + g->off + (addr - g->addr);
}

static const uint8_t *snap_find(struct snap *s, uint64_t addr, size_t len)
{
	return snap_lookup(s, addr, len, 1);
}

/* --- remote reads ----------------------------------------------------------------- */

/* A read for the current thread, from the plan when it can; on failure remember why. */
static int rd(struct unwinder *u, uint64_t addr, void *buf, size_t len)
{
	const uint8_t *p;
	int err;

	if (!addr) {
		u->cause = UNWIND_DROP_READ;
		return -EFAULT;
	}
	p = snap_find(&u->snap, addr, len);
	if (p) {
		memcpy(buf, p, len);
		return 0;
	}
	err = remote__read(u->r, addr, buf, len);
	if (err) {
		u->cause = UNWIND_DROP_READ;
		return err == -ESRCH ? -ESRCH : -EFAULT;
	}
	snap_add(&u->snap, addr, len);
	return 0;
}

/* A read not worth planning (strings and tables of a code object seen for the first time). */
static int rd_once(struct unwinder *u, uint64_t addr, void *buf, size_t len)
{
	int err;

	if (!addr) {
		u->cause = UNWIND_DROP_READ;
		return -EFAULT;
	}
	err = remote__read(u->r, addr, buf, len);
	if (err) {
		u->cause = UNWIND_DROP_READ;
		return err == -ESRCH ? -ESRCH : -EFAULT;
	}
	return 0;
}

static int rd_u64(struct unwinder *u, uint64_t addr, uint64_t *out)
{
	return rd(u, addr, out, sizeof(*out));
}

static int bad(struct unwinder *u, enum unwind_drop cause)
{
	u->cause = cause;
	return -EINVAL;
}

/* --- strings ---------------------------------------------------------------------- */

/* Convert n characters of the given kind (1, 2, 4 bytes) in u->raw into u->utf8. */
static size_t to_utf8(struct unwinder *u, size_t n, unsigned kind, int latin1_only)
{
	size_t o = 0;

	if (kind == 1 && (latin1_only == 0 && textenc__utf8_valid((const char *)u->raw, n))) {
		memcpy(u->utf8, u->raw, n);
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t c;

		if (kind == 1)
			c = u->raw[i];
		else if (kind == 2)
			c = (uint32_t)u->raw[2 * i] | (uint32_t)u->raw[2 * i + 1] << 8;
		else
			c = ld_u32(u->raw + 4 * i);
		o += textenc__utf8_put(u->utf8 + o, c);
	}
	return o;
}

static struct str_entry *str_slot(struct unwinder *u, uint64_t addr)
{
	size_t i = hash_addr(addr, 11) & u->str_mask;

	while (u->str[i].addr && u->str[i].addr != addr)
		i = (i + 1) & u->str_mask;
	return &u->str[i];
}

static void str_cache__grow(struct unwinder *u)
{
	struct str_entry *old = u->str;
	size_t oldn = u->str_mask + 1;

	if (u->str_count >= STR_CACHE_MAX) {
		memset(u->str, 0, oldn * sizeof(*u->str));
		u->str_count = 0;
		return;
	}
	u->str_mask = oldn * 2 - 1;
	u->str = xcalloc(oldn * 2, sizeof(*u->str));
	for (size_t i = 0; i < oldn; i++)
		if (old[i].addr)
			*str_slot(u, old[i].addr) = old[i];
	free(old);
}

/*
 * Read the str (3.x) or PyStringObject (2.7) at addr and intern it as UTF-8.  plan: a str
 * read in every sample (a task's name), whose header goes in the sample's batched read.
 */
/*
 * The str at addr as a string id.  pre: len bytes already read from addr (the batch of a
 * new code object, code_fetch()), or NULL; whatever it holds is not read again.
 */
static int read_str_pre(struct unwinder *u, uint64_t addr, uint32_t *id, int plan,
			const uint8_t *pre, size_t prelen)
{
	const struct py_offsets *o = &u->off;
	uint8_t hdr[128];
	size_t hlen = 0, n, outlen;
	uint64_t type, len, hash, data_addr;
	uint32_t state = 0;
	unsigned kind = 1;
	int latin1 = 0, err;
	struct str_entry *e;

	if (!addr)
		return bad(u, UNWIND_DROP_BADSTR);
	hlen = max_end(hlen, o->obj.ob_type, 8);
	/* the cached hash follows the length in every layout (2.7's ob_shash too) */
	hlen = max_end(hlen, o->obj.str_length + 8, 8);
	if (o->strings == PY_STR_PEP393)
		hlen = max_end(hlen, o->obj.str_state, 4);
	if (hlen > sizeof(hdr))
		return bad(u, UNWIND_DROP_BADSTR);
	if (pre && prelen >= hlen)
		memcpy(hdr, pre, hlen);
	else if ((err = plan ? rd(u, addr, hdr, hlen) : rd_once(u, addr, hdr, hlen)))
		return err;
	type = ld_u64(hdr + o->obj.ob_type);
	len = ld_u64(hdr + o->obj.str_length);
	hash = ld_u64(hdr + o->obj.str_length + 8);
	if (o->strings == PY_STR_PEP393)
		state = ld_u32(hdr + o->obj.str_state);
	if ((u->loc.str_type_addr && type != u->loc.str_type_addr) || len > UNWIND_MAX_CHARS)
		return bad(u, UNWIND_DROP_BADSTR);

	/*
	 * A string freed and another made at its address (a module's file name, then the
	 * next module's) can have the same type, length and state: its hash tells them
	 * apart.  One whose hash was never computed (-1) is read again each time.
	 */
	e = str_slot(u, addr);
	if (e->addr == addr && e->type == type && e->len == len && e->state == state &&
	    e->hash == hash && hash != UINT64_MAX) {
		*id = e->id;
		return 0;
	}

	n = (size_t)len;
	if (o->strings == PY_STR_27) {
		data_addr = addr + (uint64_t)o->obj.str_ascii_data;
	} else {
		int compact = (state >> o->obj.str_compact_bit) & 1;
		int ascii = (state >> o->obj.str_ascii_bit) & 1;

		kind = (state >> o->obj.str_kind_shift) & 7;
		if (kind != 1 && kind != 2 && kind != 4)
			return bad(u, UNWIND_DROP_BADSTR);
		latin1 = kind == 1 && !ascii;
		if (compact) {
			data_addr = addr + (uint64_t)(ascii ? o->obj.str_ascii_data :
							      o->obj.str_compact_data);
		} else {
			err = rd_once(u, addr + (uint64_t)o->obj.str_legacy_data, &data_addr,
				      sizeof(data_addr));
			if (err)
				return err;
			if (!data_addr)
				return bad(u, UNWIND_DROP_BADSTR);
		}
	}
	if (n && pre && data_addr >= addr && data_addr - addr <= prelen &&
	    n * kind <= prelen - (data_addr - addr)) {
		memcpy(u->raw, pre + (data_addr - addr), n * kind);
	} else if (n) {
		/*
		 * A planned str whose hash was never computed (a task's name on 3.11-3.13) is
		 * read in every sample: its characters ride the batched read too.
		 */
		if (plan && n * kind <= UNWIND_PLAN_CHARS)
			err = rd(u, data_addr, u->raw, n * kind);
		else
			err = rd_once(u, data_addr, u->raw, n * kind);
		if (err)
			return err;
	}
	outlen = to_utf8(u, n, kind, latin1);
	*id = strtab__intern(u->strings, u->utf8, outlen);

	if ((u->str_count + 1) * 2 > u->str_mask + 1) {
		str_cache__grow(u);
		e = str_slot(u, addr);
	}
	if (!e->addr)
		u->str_count++;
	e->addr = addr;
	e->type = type;
	e->len = len;
	e->hash = hash;
	e->state = state;
	e->id = *id;
	return 0;
}

static int read_str_hdr(struct unwinder *u, uint64_t addr, uint32_t *id, int plan)
{
	return read_str_pre(u, addr, id, plan, NULL, 0);
}

/* Read a bytes object (2.7: str) into a fresh buffer; pre as for read_str_pre(). */
static int read_bytes(struct unwinder *u, uint64_t addr, uint8_t **out, uint32_t *outlen,
		      const uint8_t *pre, size_t prelen)
{
	const struct py_offsets *o = &u->off;
	uint8_t hdr[128];
	size_t hlen = 0;
	uint64_t type, len;
	int err;

	*out = NULL;
	*outlen = 0;
	if (!addr)
		return 0;	/* no table: every line is co_firstlineno or -1 */
	hlen = max_end(hlen, o->obj.ob_type, 8);
	hlen = max_end(hlen, o->obj.bytes_size, 8);
	if (hlen > sizeof(hdr))
		return bad(u, UNWIND_DROP_BADCODE);
	if (pre && prelen >= hlen)
		memcpy(hdr, pre, hlen);
	else if ((err = rd_once(u, addr, hdr, hlen)))
		return err;
	type = ld_u64(hdr + o->obj.ob_type);
	len = ld_u64(hdr + o->obj.bytes_size);
	if ((u->loc.bytes_type_addr && type != u->loc.bytes_type_addr) || len > UNWIND_MAX_TABLE)
		return bad(u, UNWIND_DROP_BADCODE);
	*out = xmalloc(len ? len : 1);
	if (len && pre && (uint64_t)o->obj.bytes_data <= prelen &&
	    len <= prelen - (uint64_t)o->obj.bytes_data) {
		memcpy(*out, pre + o->obj.bytes_data, len);
	} else if (len) {
		err = rd_once(u, addr + (uint64_t)o->obj.bytes_data, *out, len);
		if (err) {
			free(*out);
			*out = NULL;
			return err;
		}
	}
	*outlen = (uint32_t)len;
	return 0;
}

/* --- code objects ----------------------------------------------------------------- */

/*
 * A new code object's name, file name and line table, in one read: each object's header
 * and the first bytes after it, where a compact str keeps its characters and a bytes
 * object its data, so most need no second read (a code object used to cost five to seven
 * reads, and a process starting up meets hundreds).  An entry that cannot be read whole
 * (an object near the end of a mapping) is read the usual way.
 */
static int code_fetch(struct unwinder *u, uint64_t name_addr, uint64_t file_addr,
		      uint64_t table_addr, struct code_entry *c)
{
	uint8_t *buf = u->peek;
	struct remote_iov iov[3] = {
		{ name_addr, buf, name_addr ? PEEK_STR : 0 },
		{ file_addr, buf + PEEK_STR, file_addr ? PEEK_STR : 0 },
		{ table_addr, buf + 2 * PEEK_STR, table_addr ? PEEK_TABLE : 0 },
	};
	int res[3] = { -EFAULT, -EFAULT, -EFAULT }, err;

	err = remote__readv(u->r, iov, 3, res);
	if (err) {
		u->cause = UNWIND_DROP_READ;
		return err == -ESRCH ? -ESRCH : -EFAULT;
	}
	err = read_str_pre(u, name_addr, &c->name, 0, res[0] ? NULL : buf, PEEK_STR);
	if (!err)
		err = read_str_pre(u, file_addr, &c->file, 0, res[1] ? NULL : buf + PEEK_STR,
				   PEEK_STR);
	if (!err)
		err = read_bytes(u, table_addr, &c->table, &c->table_len,
				 res[2] ? NULL : buf + 2 * PEEK_STR, PEEK_TABLE);
	return err;
}

static struct code_entry *code_slot(struct unwinder *u, uint64_t addr)
{
	size_t i = hash_addr(addr, 13) & u->code_mask;

	while (u->code[i].addr && u->code[i].addr != addr)
		i = (i + 1) & u->code_mask;
	return &u->code[i];
}

static void code_cache__grow(struct unwinder *u)
{
	struct code_entry *old = u->code;
	size_t oldn = u->code_mask + 1;

	if (u->code_count >= CODE_CACHE_MAX) {
		code_cache__clear(u);
		return;
	}
	u->code_mask = oldn * 2 - 1;
	u->code = xcalloc(oldn * 2, sizeof(*u->code));
	for (size_t i = 0; i < oldn; i++)
		if (old[i].addr)
			*code_slot(u, old[i].addr) = old[i];
	free(old);
}

/*
 * --native-markers: which code units of the code object at addr hold a call opcode (its
 * adaptive bytecode as it is now: specializing or instrumenting a call keeps it a call).
 * Too big a code object, or unreadable bytecode, gets no map (no marker): 0 either way,
 * or -ESRCH.
 */
static int call_map(struct unwinder *u, uint64_t addr, struct code_entry *e)
{
	uint64_t n = e->units;
	uint8_t *code;
	int err;

	if (!n || n > UNWIND_MAX_TABLE / 2)
		return 0;
	code = xmalloc((size_t)n * 2);
	err = rd_once(u, addr + (uint64_t)u->off.code.code_adaptive, code, (size_t)n * 2);
	if (!err) {
		e->calls = xcalloc((size_t)(n + 7) / 8, 1);
		e->calls_units = n;
		for (uint64_t i = 0; i < n; i++)
			if (u->call_ops[code[2 * i] >> 3] >> (code[2 * i] & 7) & 1)
				e->calls[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
	free(code);
	return err == -ESRCH ? err : 0;
}

/*
 * The code object at addr, read in one go into u->cobuf, checked against the cache
 * fingerprint and (re)decoded when new or changed.
 */
static int code_get(struct unwinder *u, uint64_t addr, int force, struct code_entry **out)
{
	const struct py_offsets *o = &u->off;
	uint64_t name_addr, qual_addr, file_addr, table_addr;
	int32_t first;
	struct code_entry *e, fresh;
	int err;

	const uint8_t *p;

	/*
	 * A known address needs no read when it was checked in this sample (recursion,
	 * shared frames) or, on 3.14, under the same code-object generation.  Otherwise its
	 * header is checked when this sample's batch holds it anyway (free), and at the
	 * latest recheck_ns after the last check; in between it is trusted, and a recheck
	 * is planned into the batch of the next sample once half of that time has passed.
	 */
	e = code_slot(u, addr);
	p = NULL;
	if (e->addr == addr && !force) {
		if (e->checked == u->sample_no || (u->gen_ok && e->epoch == u->code_epoch)) {
			*out = e;
			return 0;
		}
		p = snap_lookup(&u->snap, addr, u->colen, 0);
		if (!p && !u->gen_ok && u->now_ns - e->checked_ns < u->recheck_ns) {
			if (!e->recheck_planned && u->now_ns - e->checked_ns >= u->recheck_ns / 2) {
				snap_add_idle(&u->snap, addr, u->colen, SNAP_KEEP);
				e->recheck_planned = 1;
			}
			*out = e;
			return 0;
		}
	}
	if (p) {
		memcpy(u->cobuf, p, u->colen);
	} else {
		err = rd_once(u, addr, u->cobuf, u->colen);
		if (err)
			return err;
	}
	if (u->loc.code_type_addr && ld_u64(u->cobuf + o->obj.ob_type) != u->loc.code_type_addr)
		return bad(u, UNWIND_DROP_BADCODE);
	name_addr = ld_u64(u->cobuf + o->code.name);
	qual_addr = o->code.qualname != N ? ld_u64(u->cobuf + o->code.qualname) : 0;
	file_addr = ld_u64(u->cobuf + o->code.filename);
	table_addr = ld_u64(u->cobuf + o->code.linetable);
	first = ld_i32(u->cobuf + o->code.firstlineno);

	if (e->addr == addr && e->name_addr == name_addr && e->qualname_addr == qual_addr &&
	    e->file_addr == file_addr && e->table_addr == table_addr &&
	    e->firstlineno == first) {
		e->checked = u->sample_no;
		e->checked_ns = u->now_ns;
		e->recheck_planned = 0;
		e->epoch = u->code_epoch;
		if (o->frames == PY_FRAMES_INTERP)
			e->units = ld_u64(u->cobuf + o->obj.bytes_size);
		if (o->code.firsttraceable != N)
			e->firsttraceable = ld_i32(u->cobuf + o->code.firsttraceable);
		if (o->code.tlbc != N)
			e->tlbc = ld_u64(u->cobuf + o->code.tlbc);
		*out = e;
		return 0;
	}

	memset(&fresh, 0, sizeof(fresh));
	fresh.addr = addr;
	fresh.name_addr = name_addr;
	fresh.qualname_addr = qual_addr;
	fresh.file_addr = file_addr;
	fresh.table_addr = table_addr;
	fresh.firstlineno = first;
	fresh.memo_addrq = INT64_MIN;
	fresh.checked = u->sample_no;
	fresh.checked_ns = u->now_ns;
	fresh.epoch = u->code_epoch;
	if (o->frames == PY_FRAMES_INTERP)
		fresh.units = ld_u64(u->cobuf + o->obj.bytes_size);
	if (o->code.firsttraceable != N)
		fresh.firsttraceable = ld_i32(u->cobuf + o->code.firsttraceable);
	if (o->code.tlbc != N)
		fresh.tlbc = ld_u64(u->cobuf + o->code.tlbc);
	err = code_fetch(u, qual_addr ? qual_addr : name_addr, file_addr, table_addr, &fresh);
	if (!err && u->call_ops)
		err = call_map(u, addr, &fresh);
	if (err) {
		free(fresh.table);
		return err;
	}

	if (u->code_bytes + fresh.table_len + (fresh.calls_units + 7) / 8 > CODE_CACHE_BYTES_MAX) {
		code_cache__clear(u);		/* start over rather than grow without bound */
		e = code_slot(u, addr);
	}
	if (e->addr != addr && (u->code_count + 1) * 2 > u->code_mask + 1) {
		code_cache__grow(u);
		e = code_slot(u, addr);
	}
	if (!e->addr)
		u->code_count++;
	u->code_bytes -= e->table_len + (e->calls_units + 7) / 8;
	u->code_bytes += fresh.table_len + (fresh.calls_units + 7) / 8;
	free(e->table);
	free(e->calls);
	*e = fresh;
	*out = e;
	return 0;
}

static int32_t code_line(struct unwinder *u, struct code_entry *e, int64_t addrq)
{
	if (e->memo_addrq != addrq) {
		e->memo_line = linetable__line(u->off.linetable, e->table, e->table_len,
					       e->firstlineno, addrq);
		e->memo_addrq = addrq;
	}
	return e->memo_line;
}

/* --- thread identity (<= 3.10: TID inside glibc's struct pthread) --------------------- */

static int task_exists(pid_t pid, pid_t tid)
{
	char path[64];

	if (tid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tid);
	if (access(path, F_OK) == 0)
		return 1;
	return errno != ENOENT && errno != ENOTDIR;	/* can't tell (sandbox): trust it */
}

static int tid_in(const pid_t *v, size_t n, pid_t t)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == t)
			return 1;
	return 0;
}

/*
 * Find the TID's offset in struct pthread: the one offset where exactly one thread (the
 * main thread) holds the PID and every other thread holds a distinct live TID.
 */
static void find_tid_offset(struct unwinder *u, const uint64_t *pthreads, size_t n)
{
	pid_t pid = u->r->pid, *tasks = NULL, *vals;
	size_t ntasks = 0, tasks_alloc = 0;
	uint8_t *blob;
	size_t ok = 0;
	char path[64];
	DIR *d;

	if (!n || pid <= 0)
		return;
	blob = xmalloc(n * UNWIND_PTHREAD_SCAN);
	vals = xmalloc(n * sizeof(*vals));
	for (size_t i = 0; i < n; i++) {
		if (remote__read(u->r, pthreads[i], blob + i * UNWIND_PTHREAD_SCAN,
				 UNWIND_PTHREAD_SCAN))
			goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d)) && ntasks < 65536) {
			long t = strtol(de->d_name, NULL, 10);

			if (t <= 0)
				continue;
			xgrow((void **)&tasks, &tasks_alloc, ntasks + 1, sizeof(*tasks));
			tasks[ntasks++] = (pid_t)t;
		}
		closedir(d);
	}
	for (size_t off = 0; off + 4 <= UNWIND_PTHREAD_SCAN; off += 4) {
		size_t mains = 0;

		ok = 1;
		for (size_t i = 0; i < n; i++) {
			vals[i] = ld_i32(blob + i * UNWIND_PTHREAD_SCAN + off);
			if (vals[i] == pid)
				mains++;
		}
		if (mains != 1)
			continue;
		for (size_t i = 0; i < n && ok; i++) {
			if (vals[i] == pid)
				continue;
			if (vals[i] <= 0 || vals[i] > (1 << 22) || tid_in(vals, i, vals[i]) ||
			    (ntasks && !tid_in(tasks, ntasks, vals[i])))
				ok = 0;
		}
		if (ok) {
			u->tid_off = (int64_t)off;
			break;
		}
	}
out:
	free(tasks);
	free(vals);
	free(blob);
}

static pid_t tid_of_pthread(struct unwinder *u, uint64_t pthread)
{
	struct tid_entry *e;
	int32_t tid;

	if (!pthread)
		return 0;
	if (u->tid_off < 0)	/* not found yet: only a lone thread is known (the main one) */
		return pthread == u->lone_pthread ? u->r->pid : 0;
	if (rd(u, pthread + (uint64_t)u->tid_off, &tid, sizeof(tid)))
		return 0;
	e = &u->tids[hash_addr(pthread, 17) % TID_CACHE];
	if (e->pthread == pthread && e->tid == tid)
		return tid;
	if (!task_exists(u->r->pid, tid))
		return 0;
	e->pthread = pthread;
	e->tid = tid;
	return tid;
}

static int u64_in(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* Before the first sample of a <= 3.10 target: look at the first interpreter's threads. */
static void discover_tid_offset(struct unwinder *u, uint64_t interp)
{
	const struct py_offsets *o = &u->off;
	uint64_t pthreads[64], ts;
	size_t n = 0, steps = 0;

	if (rd_u64(u, interp + (uint64_t)o->interp.threads_head, &ts))
		return;
	/* steps: a looping list (of threads without a pthread, or repeating one) never
	 * fills pthreads[] */
	while (ts && n < ARRAY_SIZE(pthreads) && steps++ < UNWIND_MAX_THREADS) {
		uint64_t pt, next;

		if (rd_u64(u, ts + (uint64_t)o->tstate.thread_id, &pt) ||
		    rd_u64(u, ts + (uint64_t)o->tstate.next, &next))
			return;
		/*
		 * Distinct ones only: 2.7 prepares a new thread's state in the thread that
		 * starts it, with that thread's id, until the new thread runs.
		 */
		if (pt && !u64_in(pthreads, n, pt))
			pthreads[n++] = pt;
		if (next == ts)
			break;
		ts = next;
	}
	/*
	 * With one thread, every offset that happens to hold the PID would pass: wait for a
	 * second thread to tell them apart, and meanwhile know the lone one is the main one.
	 */
	u->lone_pthread = n == 1 ? pthreads[0] : 0;
	if (n < 2)
		return;
	u->tid_tries++;
	find_tid_offset(u, pthreads, n);
}

/* --- frames ----------------------------------------------------------------------- */

struct chunk_window {
	uint64_t chunk;		/* tstate->datastack_chunk, 0 if none */
	uint64_t lo;		/* copied range [lo, lo + len) in u->win */
	size_t len;
	int tried;
};

/* Copy the frame header at f into u->fbuf, from the chunk copy when it is there. */
static int frame_read(struct unwinder *u, struct chunk_window *w, uint64_t f)
{
	uint64_t end;

	const uint8_t *p;

	if (pf_add_overflows(f, u->flen, &end))
		return bad(u, UNWIND_DROP_READ);
	p = snap_find(&u->snap, f, u->flen);
	if (p) {
		memcpy(u->fbuf, p, u->flen);
		return 0;
	}
	if (w->len && f >= w->lo && end <= w->lo + w->len) {
		memcpy(u->fbuf, u->win + (f - w->lo), u->flen);
		return 0;
	}
	if (w->chunk && !w->tried && !u->snap.off && f > w->chunk && end - w->chunk <= UNWIND_CHUNK_WINDOW) {
		size_t want = (size_t)(end - w->chunk), plan = want + UNWIND_CHUNK_SLACK;

		w->tried = 1;
		if (want > u->win_alloc)
			xgrow((void **)&u->win, &u->win_alloc, want, 1);
		if (remote__read(u->r, w->chunk, u->win, want) == 0) {
			w->lo = w->chunk;
			w->len = want;
			memcpy(u->fbuf, u->win + (f - w->lo), u->flen);
			/*
			 * Plan the chunk up to a little beyond this frame (deeper calls come
			 * next), but never past the chunk's own size (_PyStackChunk.size,
			 * after the previous pointer): the pages beyond may be unmapped.
			 */
			if (want >= 16 && ld_u64(u->win + 8) < plan)
				plan = ld_u64(u->win + 8) > want ? (size_t)ld_u64(u->win + 8) : want;
			snap_add(&u->snap, w->chunk, plan);
			return 0;
		}
	}
	return rd(u, f, u->fbuf, u->flen);
}

/* One step of the walk: where the frame's code is, its offset, and the next frame. */
struct frame_info {
	uint64_t code;
	uint64_t instr;		/* 3.11+ instruction pointer */
	int64_t lasti;		/* <= 3.10 */
	int owner;
	uint64_t next;
	int skip;		/* shim: no code to look at */
	int entry;		/* 3.11: is_entry, the outermost frame of an eval activation */
};

static int frame_decode(struct unwinder *u, struct chunk_window *w, uint64_t f,
			struct frame_info *fi)
{
	const struct py_offsets *o = &u->off;
	int err = frame_read(u, w, f);

	if (err)
		return err;
	memset(fi, 0, sizeof(*fi));
	if (o->frames == PY_FRAMES_OBJECT) {
		fi->code = ld_u64(u->fbuf + o->frame.code);
		fi->lasti = ld_i32(u->fbuf + o->frame.lasti);
		fi->next = ld_u64(u->fbuf + o->frame.back);
		return 0;
	}
	fi->next = ld_u64(u->fbuf + o->iframe.previous);
	fi->owner = u->fbuf[o->iframe.owner];
	if (o->iframe.is_entry != N)
		fi->entry = u->fbuf[o->iframe.is_entry] != 0;
	if (o->iframe.shim_owner_min && fi->owner >= o->iframe.shim_owner_min) {
		fi->skip = 1;
		return 0;
	}
	fi->code = ld_u64(u->fbuf + o->iframe.executable) & ~o->iframe.tag_mask;
	fi->instr = ld_u64(u->fbuf + o->iframe.instr_ptr);
	return 0;
}

/* Start of the bytecode instr points into: co_code_adaptive, or 3.14t's private copy. */
static int bytecode_base(struct unwinder *u, uint64_t code, const struct code_entry *e,
			 uint64_t *base)
{
	const struct py_offsets *o = &u->off;
	uint64_t arr, size, entry;
	int32_t idx;
	int err;

	*base = code + (uint64_t)o->code.code_adaptive;
	if (o->code.tlbc == N || o->iframe.tlbc_index == N)
		return 0;
	idx = ld_i32(u->fbuf + o->iframe.tlbc_index);
	arr = e->tlbc;
	if (!arr || idx <= 0)
		return 0;	/* entries[0] is co_code_adaptive itself */
	err = rd_u64(u, arr, &size);
	if (err)
		return err;
	if ((uint64_t)idx >= size)
		return bad(u, UNWIND_DROP_BADCODE);
	err = rd_u64(u, arr + 8 + 8 * (uint64_t)idx, &entry);
	if (err)
		return err;
	if (entry)
		*base = entry;
	return 0;
}

/*
 * An eval activation ends after the frames counted since the last one (--native merges
 * each with the C frame of the evaluation loop that ran it).  A stack with more
 * activations than UNWIND_MAX_ACTS has none recorded.
 */
static void act_end(struct unwinder *u, unsigned *since, unsigned n)
{
	if (u->nacts == UNWIND_MAX_ACTS) {
		u->acts_ok = 0;
		return;
	}
	u->acts[u->nacts++] = n - *since;
	*since = n;
}

/*
 * Walk one thread's frames from f into u->frames; *depth and *truncated out.  When the walk
 * meets one of the nmarks frames at marks, *cut is the number of frames up to and
 * including the first met, *which its index.
 * The eval activations go to u->acts: on 3.12+ a shim frame ends one (the entry frame the
 * evaluation loop pushes when it is entered from C), on 3.11 a frame with is_entry, below
 * 3.11 every frame (one C call of the loop per frame).
 */
static int walk_frames(struct unwinder *u, uint64_t f, uint64_t chunk, const uint64_t *marks,
		       unsigned nmarks, unsigned *cut, unsigned *which, unsigned *depth,
		       int *truncated)
{
	const struct py_offsets *o = &u->off;
	struct chunk_window w = { .chunk = chunk };
	unsigned n = 0, steps = 0, power = 1, lam = 0;
	uint64_t tortoise = 0, last_code = 0;
	struct code_entry *last_e = NULL;
	unsigned since = 0;
	int err;

	*truncated = 0;
	u->nacts = 0;
	u->acts_ok = 1;
	u->leaf_call = 0;
	for (; f; steps++) {
		struct frame_info fi;
		struct code_entry *e;
		int64_t addrq;

		if (steps >= u->walk_max) {
			*truncated = 1;
			break;
		}
		/*
		 * Brent's cycle check: compare with a frame remembered at steps 1, 2, 4, ...;
		 * a loop is met within a few times its length, long before walk_max.
		 */
		if (f == tortoise)
			return bad(u, UNWIND_DROP_CYCLE);
		if (++lam == power) {
			tortoise = f;
			power <<= 1;
			lam = 0;
		}
		err = frame_decode(u, &w, f, &fi);
		if (err)
			return err;
		if (!steps)
			u->top_code = fi.code;
		if (fi.skip) {
			act_end(u, &since, n);
			f = fi.next;
			continue;
		}
		if (n == u->max_depth) {
			*truncated = 1;		/* a real frame beyond the limit */
			break;
		}
		if (!fi.code)
			return bad(u, UNWIND_DROP_BADCODE);
		/* Recursion: the frame below ran the same code, already looked at. */
		if (fi.code == last_code) {
			e = last_e;
		} else {
			err = code_get(u, fi.code, 0, &e);
			if (err)
				return err;
			last_code = fi.code;
			last_e = e;
		}
		if (o->frames == PY_FRAMES_OBJECT) {
			addrq = fi.lasti * o->frame.lasti_unit;
		} else {
			uint64_t base;

			err = bytecode_base(u, fi.code, e, &base);
			if (err)
				return err;
			addrq = (int64_t)(fi.instr - base);
			/*
			 * An instruction outside the bytecode of the code object we know
			 * (prev_instr may sit one unit before it): check it now.
			 */
			if (e->units && (addrq < -2 || (uint64_t)addrq > 2 * e->units) &&
			    e->checked != u->sample_no) {
				err = code_get(u, fi.code, 1, &e);
				if (!err)
					err = bytecode_base(u, fi.code, e, &base);
				if (err)
					return err;
				addrq = (int64_t)(fi.instr - base);
				last_e = e;
			}
			if (o->code.firsttraceable != N && fi.owner != o->iframe.owner_generator &&
			    addrq < 2 * (int64_t)e->firsttraceable) {
				if (fi.entry)
					act_end(u, &since, n);
				f = fi.next;	/* incomplete: hidden from tracebacks */
				continue;
			}
		}
		u->frames[n].name = e->name;
		u->frames[n].file = e->file;
		u->frames[n].line = code_line(u, e, addrq);
		if (!n && e->calls && addrq >= 0 && (uint64_t)addrq / 2 < e->calls_units)
			u->leaf_call = e->calls[addrq / 16] >> (addrq / 2 & 7) & 1;
		n++;
		if (fi.entry || o->frames == PY_FRAMES_OBJECT)
			act_end(u, &since, n);
		for (unsigned k = 0; k < nmarks && !*cut; k++) {
			if (f == marks[k]) {
				*cut = n;
				*which = k;
			}
		}
		f = fi.next;
	}
	if (n > since)
		act_end(u, &since, n);
	/* only the innermost activation can be empty (its frame not started): the rest are
	 * sentinels below the stack (a thread state's base frame) */
	while (u->nacts > 1 && !u->acts[u->nacts - 1])
		u->nacts--;
	if (*truncated)
		u->acts_ok = 0;
	*depth = n;
	return 0;
}

/* --- threads and interpreters ----------------------------------------------------- */

/* Read the u64s at base + offs[i], one read per cluster of offsets that lie close together. */
static int read_fields(struct unwinder *u, uint64_t base, const int64_t *offs, uint64_t *vals,
		       size_t n)
{
	uint8_t buf[UNWIND_SPAN_MAX + 8];
	unsigned done = 0;
	int err;

	for (size_t i = 0; i < n; i++) {
		vals[i] = 0;
		if (offs[i] == N)
			done |= 1u << i;
	}
	while (done != (1u << n) - 1) {
		int64_t lo = INT64_MAX, hi = -1;

		for (size_t i = 0; i < n; i++)
			if (!(done & (1u << i)) && offs[i] < lo)
				lo = offs[i];
		for (size_t i = 0; i < n; i++)
			if (!(done & (1u << i)) && offs[i] - lo <= UNWIND_SPAN_MAX && offs[i] > hi)
				hi = offs[i];
		err = rd(u, base + (uint64_t)lo, buf, (size_t)(hi - lo) + 8);
		if (err)
			return err;
		for (size_t i = 0; i < n; i++) {
			if (!(done & (1u << i)) && offs[i] >= lo && offs[i] <= hi) {
				vals[i] = ld_u64(buf + (offs[i] - lo));
				done |= 1u << i;
			}
		}
	}
	return 0;
}

/* The tstate holding the GIL this interpreter uses, or 0. */
static uint64_t gil_holder(struct unwinder *u, uint64_t interp, uint64_t ceval_gil)
{
	const struct py_offsets *o = &u->off;
	uint64_t v[2];
	int64_t offs[2];

	if (o->runtime.gil_locked != N && u->loc.runtime_addr) {
		offs[0] = o->runtime.gil_locked;
		offs[1] = o->runtime.gil_last_holder;
		if (read_fields(u, u->loc.runtime_addr, offs, v, 2))
			return 0;
		return (uint32_t)v[0] ? v[1] : 0;
	}
	if (o->interp.ceval_gil != N && o->gil.locked != N) {
		(void)interp;
		if (!ceval_gil)
			return 0;
		offs[0] = o->gil.locked;
		offs[1] = o->gil.last_holder;
		if (read_fields(u, ceval_gil, offs, v, 2))
			return 0;
		return (uint32_t)v[0] ? v[1] : 0;
	}
	if (u->loc.tstate_current_addr) {
		if (rd(u, u->loc.tstate_current_addr, v, 8))
			return 0;
		return v[0];
	}
	return 0;
}

static uint64_t top_frame(struct unwinder *u, int *err)
{
	const struct py_offsets *o = &u->off;
	uint64_t cf, f = 0;

	*err = 0;
	if (o->tstate.frame != N)
		return ld_u64(u->tsbuf + o->tstate.frame);
	if (o->tstate.current_frame != N)
		return ld_u64(u->tsbuf + o->tstate.current_frame);
	if (o->tstate.cframe == N)
		return 0;
	cf = ld_u64(u->tsbuf + o->tstate.cframe);
	if (cf)
		*err = rd_u64(u, cf + (uint64_t)o->tstate.cframe_current_frame, &f);
	return f;
}

/* The name of a task: its str, or "Task-n" for the int n that 3.14 keeps until asked. */
static int task_name(struct unwinder *u, uint64_t obj, uint32_t *id)
{
	const struct py_offsets *o = &u->off;
	uint64_t type, tag;
	uint32_t digit[2] = { 0, 0 };
	unsigned long long n;
	char buf[32];
	int err;

	err = rd_u64(u, obj + (uint64_t)o->obj.ob_type, &type);
	if (err)
		return err;
	if (type == u->loc.str_type_addr)
		return read_str_hdr(u, obj, id, 1);
	/* PyLongObject: lv_tag (digit count << 3 | sign) and 30-bit digits after ob_type */
	err = rd_u64(u, obj + (uint64_t)o->obj.ob_type + 8, &tag);
	if (!err && (tag >> 3) >= 1 && (tag >> 3) <= 2 && (tag & 3) == 0)
		err = rd(u, obj + (uint64_t)o->obj.ob_type + 16, digit, 4 * (size_t)(tag >> 3));
	else if (!err && tag != 1)		/* 1: zero */
		err = bad(u, UNWIND_DROP_BADSTR);
	if (err)
		return err;
	n = (unsigned long long)(digit[0] & 0x3fffffff) |
	    (unsigned long long)(digit[1] & 0x3fffffff) << 30;
	*id = strtab__intern(u->strings, buf, (size_t)snprintf(buf, sizeof(buf), "Task-%llu", n));
	return 0;
}

/* The running task's coroutine frame (where its stack starts) and its name. */
static int task_of(struct unwinder *u, uint64_t task, uint64_t *frame, uint32_t *name)
{
	int64_t offs[2] = { u->aio.task_coro, u->aio.task_name };
	uint64_t v[2];
	int err = read_fields(u, task, offs, v, 2);

	if (err)
		return err;
	if (!v[0] || !v[1])
		return bad(u, UNWIND_DROP_READ);
	err = task_name(u, v[1], name);
	if (!err)
		*frame = v[0] + (uint64_t)u->off.gen.iframe;
	return err;
}

/* --- asyncio before 3.14: _asyncio's current_tasks dict ---------------------------------- */

/*
 * The entries of the dict at dict (3.11-3.13 layouts): *entries where they start, *esize
 * bytes each, the key at +*key_at and the value at +*key_at + 8, *n of them (deleted ones
 * too: a NULL key), at most max.  0, -E2BIG (more than max), -EINVAL (a split table or an
 * implausible header), or the read's error.  once: reads not worth planning.
 */
static int keys_entries(struct unwinder *u, uint64_t keys, size_t max, int once,
			uint64_t *entries, size_t *esize, size_t *key_at, size_t *n)
{
	const struct py_async_offsets *a = &u->aio;
	uint8_t hdr[64];
	size_t hlen = 0;
	uint64_t nent;
	unsigned log2_size, log2_index, kind;
	int err;

	if (!keys)
		return bad(u, UNWIND_DROP_TASKS);
	hlen = max_end(hlen, a->keys_log2_size, 1);
	hlen = max_end(hlen, a->keys_log2_index_bytes, 1);
	hlen = max_end(hlen, a->keys_kind, 1);
	hlen = max_end(hlen, a->keys_nentries, 8);
	if (hlen > sizeof(hdr))
		return bad(u, UNWIND_DROP_TASKS);
	err = once ? rd_once(u, keys, hdr, hlen) : rd(u, keys, hdr, hlen);
	if (err)
		return err;
	log2_size = hdr[a->keys_log2_size];
	log2_index = hdr[a->keys_log2_index_bytes];
	kind = hdr[a->keys_kind];
	nent = ld_u64(hdr + a->keys_nentries);
	/* index entries of 1, 2, 4 or 8 bytes; no more entries than 2/3 of the slots */
	if (log2_size < 3 || log2_size > 30 || log2_index < log2_size ||
	    log2_index > log2_size + 3 || kind > 2 || nent > (2ull << log2_size) / 3)
		return bad(u, UNWIND_DROP_TASKS);
	if (nent > max)
		return -E2BIG;
	*entries = keys + (uint64_t)a->keys_indices + (1ull << log2_index);
	*esize = kind ? 16 : 24;	/* PyDictUnicodeEntry (key, value) or PyDictKeyEntry */
	*key_at = kind ? 0 : 8;		/* ... (hash, key, value) */
	*n = (size_t)nent;
	return 0;
}

static int dict_entries(struct unwinder *u, uint64_t dict, size_t max, int once,
			uint64_t *entries, size_t *esize, size_t *key_at, size_t *n)
{
	const struct py_async_offsets *a = &u->aio;
	int64_t offs[2] = { a->dict_keys, a->dict_values };
	uint64_t v[2];
	int err;

	err = read_fields(u, dict, offs, v, 2);
	if (err)
		return err;
	if (!v[0] || v[1])
		return bad(u, UNWIND_DROP_TASKS);	/* no table, or split (an instance dict) */
	return keys_entries(u, v[0], max, once, entries, esize, key_at, n);
}

/* Whether the object at addr is the str s (compact ASCII).  1, 0, or -ESRCH. */
static int str_is(struct unwinder *u, uint64_t addr, const char *s)
{
	const struct py_offsets *o = &u->off;
	size_t len = strlen(s), need = max_end(0, o->obj.str_ascii_data, len);
	uint8_t buf[128];
	uint32_t state;
	int err;

	need = max_end(need, o->obj.str_state, 4);
	need = max_end(need, o->obj.str_length, 8);
	if (o->strings != PY_STR_PEP393 || need > sizeof(buf))
		return 0;
	err = rd_once(u, addr, buf, need);
	if (err)			/* a shorter str at the end of a mapping: not s */
		return err == -ESRCH ? err : 0;
	state = ld_u32(buf + o->obj.str_state);
	if ((u->loc.str_type_addr && ld_u64(buf + o->obj.ob_type) != u->loc.str_type_addr) ||
	    ld_u64(buf + o->obj.str_length) != len || !(state >> o->obj.str_compact_bit & 1) ||
	    !(state >> o->obj.str_ascii_bit & 1))
		return 0;
	return memcmp(buf + o->obj.str_ascii_data, s, len) == 0;
}

/*
 * The entry of the str key in the keys object at keys (searched, not hashed): *ix its
 * index, *val its value (NULL in a split table's keys), *ix -1 if none.
 */
static int keys_find_str(struct unwinder *u, uint64_t keys, const char *key, int64_t *ix,
			 uint64_t *val)
{
	uint8_t buf[UNWIND_DICT_BATCH * 24];
	uint64_t entries;
	size_t esize, key_at, n;
	int err;

	*ix = -1;
	*val = 0;
	err = keys_entries(u, keys, UNWIND_DICT_SCAN, 1, &entries, &esize, &key_at, &n);
	for (size_t i = 0; !err && i < n; i += UNWIND_DICT_BATCH) {
		size_t m = n - i < UNWIND_DICT_BATCH ? n - i : UNWIND_DICT_BATCH;

		err = rd_once(u, entries + i * esize, buf, m * esize);
		for (size_t j = 0; !err && j < m; j++) {
			uint64_t k = ld_u64(buf + j * esize + key_at);

			if (!k || (err = str_is(u, k, key)) != 1)
				continue;
			*ix = (int64_t)(i + j);
			*val = ld_u64(buf + j * esize + key_at + 8);
			return 0;
		}
	}
	return err;
}

/*
 * The value under the str key in the dict at dict, or 0; a split table (an instance's
 * materialized dict) has it in its values array, at the key's index.
 */
static int dict_get_str(struct unwinder *u, uint64_t dict, const char *key, uint64_t *val)
{
	const struct py_async_offsets *a = &u->aio;
	int64_t offs[2] = { a->dict_keys, a->dict_values }, ix;
	uint64_t v[2];
	int err;

	*val = 0;
	err = read_fields(u, dict, offs, v, 2);
	if (!err)
		err = keys_find_str(u, v[0], key, &ix, val);
	if (err || ix < 0 || !v[1])
		return err;
	if (a->values_head == N)
		return bad(u, UNWIND_DROP_TASKS);
	return rd_u64(u, v[1] + (uint64_t)a->values_head + 8 * (uint64_t)ix, val);
}

/*
 * The str attribute key of the object at obj, a Python class's instance with a managed
 * dict (3.11-3.13): in its materialized dict, or else in its values array at the index
 * of key in the type's shared keys.  *val 0 if none.
 */
static int inst_attr(struct unwinder *u, uint64_t obj, const char *key, uint64_t *val)
{
	const struct py_async_offsets *a = &u->aio;
	uint64_t type, dict, values = 0, keys, basic;
	uint8_t hdr[8];
	int64_t ix;
	int err;

	*val = 0;
	err = rd_u64(u, obj + (uint64_t)u->off.obj.ob_type, &type);
	if (!err)
		err = rd_u64(u, obj + (uint64_t)a->obj_dict, &dict);
	if (err)
		return err;
	if (a->obj_values_tagged && (dict & 1)) {
		values = dict + 1;		/* 3.12: values - 1, odd */
		dict = 0;
	} else if (!dict && a->obj_values != N) {
		err = rd_u64(u, obj + (uint64_t)a->obj_values, &values);
	} else if (!dict && a->inline_values != N) {
		/* 3.13: inline after the object; valid until a dict took them over */
		err = rd_u64(u, type + (uint64_t)a->tp_basicsize, &basic);
		if (!err && (basic < 16 || basic > 4096))
			err = bad(u, UNWIND_DROP_TASKS);
		if (!err)
			err = rd(u, obj + basic, hdr, sizeof(hdr));
		if (!err && !hdr[3])
			err = bad(u, UNWIND_DROP_TASKS);
		values = obj + basic;
	}
	if (err)
		return err;
	if (dict)
		return dict_get_str(u, dict, key, val);
	if (!values)
		return bad(u, UNWIND_DROP_TASKS);
	err = rd_u64(u, type + (uint64_t)a->ht_cached_keys, &keys);
	if (!err)
		err = keys_find_str(u, keys, key, &ix, val);
	if (err || ix < 0)
		return err;
	return rd_u64(u, values + (uint64_t)a->values_head + 8 * (uint64_t)ix, val);
}

/*
 * --async=all: where every task is, in _asyncio's module dict md: the WeakSet (its data)
 * and the eager set, and the Task type.  0, -ENOENT (not there), or a read's error.
 */
static int find_task_sets(struct unwinder *u, uint64_t md)
{
	uint64_t ws = 0, data = 0, eager = 0, type = 0;
	int err;

	err = dict_get_str(u, md, u->off.version < PY_VER(3, 12) ? "_all_tasks" :
			   "_scheduled_tasks", &ws);
	if (!err && ws)
		err = inst_attr(u, ws, "data", &data);
	if (!err && u->off.version >= PY_VER(3, 12))
		err = dict_get_str(u, md, "_eager_tasks", &eager);
	if (!err)
		err = dict_get_str(u, md, "Task", &type);
	if (err)
		return err == -EINVAL ? -ENOENT : err;
	if (!data || !type)
		return -ENOENT;
	u->aio_sets[0] = data;
	u->aio_sets[1] = eager;
	u->aio_task_type = type;
	return 0;
}

int unwinder__find_asyncio(struct unwinder *u)
{
	const struct py_offsets *o = &u->off;
	const struct py_async_offsets *a = &u->aio;
	uint64_t head_addr, interp, next, modules, mod, md, ct, keys_used[2];
	int64_t offs[2] = { a->dict_keys, a->dict_used };
	int err;

	if (!u->aio_on || a->ts_running_task != N || o->interp.modules == N)
		return -ENOTSUP;
	if (u->aio_dict)
		return 0;
	if (o->runtime.interpreters_head == N || !u->loc.runtime_addr)
		return -ENOTSUP;
	head_addr = u->loc.runtime_addr + (uint64_t)o->runtime.interpreters_head;
	/* the main interpreter: the oldest, last of the list */
	err = rd_once(u, head_addr, &interp, 8);
	for (unsigned i = 0; !err && interp && i < UNWIND_MAX_INTERPS; i++) {
		err = rd_once(u, interp + (uint64_t)o->interp.next, &next, 8);
		if (!err && !next)
			break;
		interp = next;
	}
	if (!err && !interp)
		return -ENOENT;
	if (!err)
		err = rd_once(u, interp + (uint64_t)o->interp.modules, &modules, 8);
	if (err)
		return err;
	if (!modules)
		return -ENOENT;
	/* sys.modules as it was when searched in vain: no need to search it again */
	for (int i = 0; i < 2; i++) {
		err = rd_once(u, modules + (uint64_t)offs[i], &keys_used[i], 8);
		if (err)
			return err;
	}
	if (keys_used[0] == u->aio_looked_keys && keys_used[1] == u->aio_looked_used)
		return -ENOENT;
	err = dict_get_str(u, modules, "_asyncio", &mod);
	if (!err && mod)
		err = rd_once(u, mod + (uint64_t)a->md_dict, &md, 8);
	if (!err && mod && md)
		err = dict_get_str(u, md, "_current_tasks", &ct);
	if (!err && ct && u->aio_all)
		err = find_task_sets(u, md);
	if (err == -ENOENT)
		ct = 0;
	else if (err)
		return err == -ESRCH ? -ESRCH : -EFAULT;
	if (!mod || !md || !ct) {
		u->aio_looked_keys = keys_used[0];
		u->aio_looked_used = keys_used[1];
		return -ENOENT;
	}
	u->aio_dict = ct;
	return 0;
}

/*
 * The running tasks of this sample into u->run: the values of current_tasks, each with
 * its coroutine's frame, where a thread's stack is cut.  A dict that cannot be read
 * leaves none (the stacks as they are).  0 or -ESRCH.
 */
static int running_collect(struct unwinder *u)
{
	const struct py_async_offsets *a = &u->aio;
	uint8_t buf[UNWIND_RUN_ENTRIES * 24];
	int64_t offs[2] = { a->task_coro, a->task_name };
	uint64_t entries, v[2];
	size_t esize, key_at, n;
	int err;

	u->nrun = 0;
	if (!u->aio_dict)
		return 0;
	err = dict_entries(u, u->aio_dict, UNWIND_RUN_ENTRIES, 0, &entries, &esize, &key_at, &n);
	if (!err && n)
		err = rd(u, entries, buf, n * esize);
	for (size_t i = 0; !err && i < n && u->nrun < UNWIND_MAX_RUNNING; i++) {
		uint64_t task = ld_u64(buf + i * esize + key_at + 8);

		if (!ld_u64(buf + i * esize + key_at) || !task)
			continue;		/* a deleted entry */
		err = read_fields(u, task, offs, v, 2);
		if (err || !v[0] || !v[1]) {
			err = err == -ESRCH ? err : 0;
			continue;		/* this one task unread: no cut for it */
		}
		u->run[u->nrun].task = task;
		u->run[u->nrun].name = v[1];
		u->run[u->nrun].frame = v[0] + (uint64_t)u->off.gen.iframe;
		u->run_frames[u->nrun] = u->run[u->nrun].frame;
		u->nrun++;
	}
	if (err == -ESRCH)
		return err;
	if (err)
		u->nrun = 0;
	return 0;
}

/* --- asyncio tasks waiting (--async=all) ----------------------------------------------- */

static int task_cmp(const void *a, const void *b)
{
	const struct task_info *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The index of the task at addr in this thread's list, or -1. */
static int task_find(const struct unwinder *u, uint64_t addr)
{
	size_t lo = 0, hi = u->ntasks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->tasks[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return addr && lo < u->ntasks && u->tasks[lo].addr == addr ? (int)lo : -1;
}

/* The first task awaiting t (task_awaited_by: one object, or a set of them), or -1. */
static int task_parent(struct unwinder *u, const struct task_info *t)
{
	const struct py_offsets *o = &u->off;
	uint8_t buf[UNWIND_SET_SCAN * 16];
	int64_t offs[2] = { o->coro.set_mask, o->coro.set_table };
	uint64_t v[2], slots;

	if (!t->awaited_by)
		return -1;
	if (!t->awaited_by_is_set)
		return task_find(u, t->awaited_by);
	/* a set: the first entry (key, hash) whose key is a task of the list */
	if (o->coro.set_table == N || read_fields(u, t->awaited_by, offs, v, 2))
		return -1;
	slots = v[0] + 1 < UNWIND_SET_SCAN ? v[0] + 1 : UNWIND_SET_SCAN;
	if (!v[1] || rd(u, v[1], buf, (size_t)slots * 16))
		return -1;
	for (uint64_t i = 0; i < slots; i++) {
		int p = task_find(u, ld_u64(buf + 16 * i));

		if (p >= 0)
			return p;
	}
	return -1;
}

/* --- asyncio tasks before 3.14 (--async=all) -------------------------------------------- */

/*
 * The keys of the set at set (no dummies: a dummy entry's hash is -1), appended to out
 * from *n; weak: each key is a weakref, its referent taken instead (dead ones skipped).
 * More than max in all, or an implausible table: a drop.
 */
static int set_keys(struct unwinder *u, uint64_t set, int weak, uint64_t *out, size_t *n,
		    size_t max)
{
	const struct py_offsets *o = &u->off;
	int64_t offs[3] = { o->coro.set_used, o->coro.set_mask, o->coro.set_table };
	uint8_t buf[UNWIND_DICT_BATCH * 16];
	uint64_t v[3], slots;
	int err;

	err = read_fields(u, set, offs, v, 3);
	if (err)
		return err;
	slots = v[1] + 1;
	/* a power of two, at least used of them in use */
	if (!v[2] || slots < 8 || slots > 8 * (uint64_t)UNWIND_MAX_TASKS ||
	    (slots & (slots - 1)) || v[0] > slots || *n + v[0] > max)
		return bad(u, UNWIND_DROP_TASKS);
	for (uint64_t i = 0; i < slots; i += UNWIND_DICT_BATCH) {
		uint64_t m = slots - i < UNWIND_DICT_BATCH ? slots - i : UNWIND_DICT_BATCH;

		err = rd(u, v[2] + 16 * i, buf, (size_t)m * 16);
		if (err)
			return err;
		for (uint64_t j = 0; j < m; j++) {
			uint64_t key = ld_u64(buf + 16 * j);

			if (!key || (int64_t)ld_u64(buf + 16 * j + 8) == -1)
				continue;	/* empty, or a dummy */
			if (*n == max)
				return bad(u, UNWIND_DROP_TASKS);
			if (weak) {
				err = rd_u64(u, key + (uint64_t)u->aio.wr_object, &key);
				if (err)
					return err;
			}
			out[(*n)++] = key;
		}
	}
	return 0;
}

/* Whether the type at type is _asyncio.Task or derives from it (a few levels). */
static int is_task_type(struct unwinder *u, uint64_t type)
{
	for (int i = 0; i < 4 && type; i++) {
		if (type == u->aio_task_type)
			return 1;
		if (rd_u64(u, type + (uint64_t)u->aio.tp_base, &type))
			return 0;
	}
	return 0;
}

/*
 * 3.11-3.13: every pending task of the process into u->all, from _asyncio's sets.  A
 * set that cannot be read whole leaves none (u->all_ok 0).  0, -ESRCH, or a drop.
 */
static int all_collect(struct unwinder *u)
{
	const struct py_async_offsets *a = &u->aio;
	size_t n = 0, k = 0;
	int err = 0;

	u->nall = 0;
	u->all_ok = 0;
	if (!u->aio_sets[0])
		return 0;
	for (int i = 0; i < 2 && !err; i++)
		if (u->aio_sets[i])
			err = set_keys(u, u->aio_sets[i], i == 0, u->task_addrs, &n,
				       UNWIND_MAX_TASKS);
	for (size_t i = 0; !err && i < n; i++) {
		int64_t offs[7] = { u->off.obj.ob_type, a->task_state, a->task_loop,
				    a->task_fut_waiter, a->task_coro, a->task_name,
				    a->task_callback0 };
		struct task_info *t = &u->all[k];
		uint64_t v[7];

		err = read_fields(u, u->task_addrs[i], offs, v, 7);
		if (err == -ESRCH)
			return err;
		if (err) {
			err = 0;		/* freed since the set was read */
			continue;
		}
		/* pending tasks only (fut_state 0) */
		if (!is_task_type(u, v[0]) || (uint32_t)v[1] || !v[2] || !v[4])
			continue;
		memset(t, 0, sizeof(*t));
		t->addr = u->task_addrs[i];
		t->loop = v[2];
		t->fut_waiter = v[3];
		t->coro = v[4];
		t->name = v[5];
		t->callback0 = v[6];
		t->parent = -1;
		k++;
	}
	if (err)
		return err;
	u->nall = k;
	u->all_ok = 1;
	return 0;
}

/* The event loop the thread whose state is in u->tsbuf runs, or 0. */
static int thread_loop(struct unwinder *u, uint64_t *loop)
{
	const struct py_async_offsets *a = &u->aio;
	struct loop_entry *c;
	uint64_t dict, keys, entries;
	size_t esize, key_at, n;
	int err;

	*loop = 0;
	if (a->ts_loop != N) {
		*loop = ld_u64(u->tsbuf + a->ts_loop);
		return 0;
	}
	dict = ld_u64(u->tsbuf + a->ts_dict);
	if (!dict)
		return 0;
	/*
	 * Where the entry's value was, while the dict keeps its keys object: an entry is
	 * never reused for another key (a deleted one stays NULL), so one planned read
	 * instead of a search of the keys a sample.
	 */
	c = &u->loop_cache[hash_addr(dict, 23) % LOOP_CACHE];
	err = rd_u64(u, dict + (uint64_t)a->dict_keys, &keys);
	if (!err && keys && c->dict == dict && c->keys == keys) {
		err = rd_u64(u, c->slot, loop);
	} else if (!err) {
		int64_t ix;

		c->dict = 0;
		err = keys_find_str(u, keys, "__asyncio_running_event_loop__", &ix, loop);
		if (!err && ix >= 0 && *loop && keys_entries(u, keys, UNWIND_DICT_SCAN, 1, &entries,
							     &esize, &key_at, &n) == 0) {
			c->dict = dict;
			c->keys = keys;
			c->slot = entries + (uint64_t)ix * esize + key_at + 8;
		}
	}
	if (!err && *loop && a->holder_loop != N)
		err = rd_u64(u, *loop + (uint64_t)a->holder_loop, loop);
	return err;
}

/*
 * The task that awaits task t through a future it made for the purpose, as gather()
 * does: t's first done callback is a function whose closure holds the future another
 * task (of waiter, sorted by future) waits on.  -1 if none.
 */
static int closure_parent(struct unwinder *u, const struct task_info *t)
{
	const struct py_async_offsets *a = &u->aio;
	uint64_t tuple, size, cells[UNWIND_CLOSURE_MAX];

	if (!t->callback0 || rd_u64(u, t->callback0 + (uint64_t)a->func_closure, &tuple) ||
	    !tuple || rd_u64(u, tuple + 16, &size) || size > UNWIND_CLOSURE_MAX ||
	    (size && rd(u, tuple + 24, cells, (size_t)size * 8)))
		return -1;
	for (uint64_t i = 0; i < size; i++) {
		uint64_t ref;
		size_t lo = 0, hi = u->nwaits;

		if (!cells[i] || rd_u64(u, cells[i] + 16, &ref) || !ref)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (u->waits[mid].fut < ref)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < u->nwaits && u->waits[lo].fut == ref)
			return u->waits[lo].task;
	}
	return -1;
}

static int wait_cmp(const void *a, const void *b)
{
	const struct task_wait *x = a, *y = b;

	return x->fut < y->fut ? -1 : x->fut > y->fut;
}

/*
 * 3.11-3.13: the tasks of the loop the thread whose state is in u->tsbuf runs, from
 * u->all into u->tasks, sorted, with who awaits whom: a task waiting on a task (its
 * fut_waiter), or on a future the awaited task's done callback holds (gather()).
 */
static int tasks_select(struct unwinder *u)
{
	uint64_t loop;
	size_t n = 0;
	int err;

	u->ntasks = 0;
	u->tasks_ok = 0;
	if (!u->all_ok)
		return 0;
	err = thread_loop(u, &loop);
	if (err || !loop)
		return err == -ESRCH ? err : 0;
	for (size_t i = 0; i < u->nall; i++)
		if (u->all[i].loop == loop)
			u->tasks[n++] = u->all[i];
	qsort(u->tasks, n, sizeof(*u->tasks), task_cmp);
	for (size_t i = 1; i < n; i++)
		if (u->tasks[i].addr == u->tasks[i - 1].addr)
			return bad(u, UNWIND_DROP_TASKS);
	u->ntasks = n;
	for (size_t i = 0; i < n; i++) {
		int c = task_find(u, u->tasks[i].fut_waiter);

		if (c >= 0 && (size_t)c != i && u->tasks[c].parent < 0) {
			u->tasks[c].parent = (int)i;
			u->tasks[i].has_child = 1;
		}
	}
	/* the futures tasks wait on that are not tasks, for closure_parent() */
	u->nwaits = 0;
	for (size_t i = 0; i < n; i++) {
		if (u->tasks[i].fut_waiter && task_find(u, u->tasks[i].fut_waiter) < 0) {
			u->waits[u->nwaits].fut = u->tasks[i].fut_waiter;
			u->waits[u->nwaits++].task = (int)i;
		}
	}
	qsort(u->waits, u->nwaits, sizeof(*u->waits), wait_cmp);
	for (size_t i = 0; i < n; i++) {
		int p;

		if (u->tasks[i].parent >= 0 || !u->nwaits)
			continue;
		p = closure_parent(u, &u->tasks[i]);
		if (p >= 0 && (size_t)p != i) {
			u->tasks[i].parent = p;
			u->tasks[p].has_child = 1;
		}
	}
	u->tasks_ok = 1;
	return 0;
}

/*
 * Read the tasks of the thread whose state is in u->tsbuf (at ts) into u->tasks, sorted,
 * with who awaits whom.  0, -ESRCH, or a drop (u->cause).
 */
static int tasks_collect(struct unwinder *u, uint64_t ts)
{
	const struct py_async_offsets *a = &u->aio;
	uint64_t head = ts + (uint64_t)a->ts_tasks_head, node, tortoise = 0;
	unsigned power = 1, lam = 0;
	size_t n = 0;
	int err;

	u->ntasks = 0;
	u->tasks_ok = 0;
	node = ld_u64(u->tsbuf + a->ts_tasks_head);	/* head.next; 0: never set up */
	while (node && node != head) {
		int64_t offs[6] = { a->task_awaited_by, a->task_fut_waiter, a->task_coro,
				    a->task_name, a->task_node, a->task_awaited_by_is_set };
		struct task_info *t = &u->tasks[n];
		uint64_t v[6];

		if (n == UNWIND_MAX_TASKS || node == tortoise)
			return bad(u, UNWIND_DROP_TASKS);
		if (++lam == power) {
			tortoise = node;
			power <<= 1;
			lam = 0;
		}
		t->addr = node - (uint64_t)a->task_node;
		err = read_fields(u, t->addr, offs, v, 6);
		if (err)
			return err;
		t->awaited_by = v[0];
		t->fut_waiter = v[1];
		t->coro = v[2];
		t->name = v[3];
		t->awaited_by_is_set = (uint8_t)v[5] != 0;
		t->parent = -1;
		t->has_child = 0;
		t->mark = 0;
		node = v[4];			/* task_node.next */
		n++;
	}
	qsort(u->tasks, n, sizeof(*u->tasks), task_cmp);
	for (size_t i = 1; i < n; i++)
		if (u->tasks[i].addr == u->tasks[i - 1].addr)
			return bad(u, UNWIND_DROP_TASKS);
	u->ntasks = n;
	for (size_t i = 0; i < n; i++) {
		int p = task_parent(u, &u->tasks[i]);

		if (p >= 0 && (size_t)p != i) {
			u->tasks[i].parent = p;
			u->tasks[p].has_child = 1;
		}
	}
	u->tasks_ok = 1;
	return 0;
}

/*
 * The await chain from the coroutine coro, outermost first, into u->frames from *n: each
 * coroutine suspended in an await leads to the object it awaits, followed while that is
 * a coroutine of the same type.  *inner: the innermost coroutine's code (NULL if none);
 * *over: u->frames is full.
 */
static int coro_chain(struct unwinder *u, uint64_t coro, unsigned *n, int *over,
		      struct code_entry **inner)
{
	const struct py_offsets *o = &u->off;
	uint64_t type = 0, tortoise = 0;
	unsigned steps = 0, power = 1, lam = 0;
	int err;

	*inner = NULL;
	while (coro) {
		uint64_t code, base, sp, awaited, t;
		struct code_entry *e;

		if (coro == tortoise || steps++ >= u->walk_max)
			return bad(u, UNWIND_DROP_TASKS);
		if (++lam == power) {
			tortoise = coro;
			power <<= 1;
			lam = 0;
		}
		err = rd(u, coro, u->cobj, u->cobj_len);
		if (err)
			return err;
		t = ld_u64(u->cobj + o->obj.ob_type);
		if (type && t != type)
			break;		/* not a coroutine: what the chain waits on */
		type = t;
		if (*n >= u->max_depth) {
			*over = 1;
			break;
		}
		memcpy(u->fbuf, u->cobj + o->gen.iframe, u->flen);
		code = ld_u64(u->fbuf + o->iframe.executable) & ~o->iframe.tag_mask;
		err = code_get(u, code, 0, &e);
		if (!err)
			err = bytecode_base(u, code, e, &base);
		if (err)
			return err;
		u->frames[*n].name = e->name;
		u->frames[*n].file = e->file;
		u->frames[*n].line = code_line(u, e, (int64_t)(ld_u64(u->fbuf + o->iframe.instr_ptr) -
							      base));
		(*n)++;
		*inner = e;
		if ((int8_t)u->cobj[o->coro.frame_state] != o->coro.yield_from)
			break;
		if (o->coro.stackpointer != N) {
			sp = ld_u64(u->cobj + o->gen.iframe + o->coro.stackpointer);
		} else {
			/* 3.11-3.13: the stack's depth, in slots of the frame's localsplus */
			int32_t top = ld_i32(u->cobj + o->gen.iframe + o->coro.stacktop);

			if (top < o->coro.awaited_slot || top > UNWIND_MAX_STACKTOP)
				return bad(u, UNWIND_DROP_TASKS);
			sp = coro + (uint64_t)(o->gen.iframe + o->coro.localsplus) + 8 * (uint64_t)top;
		}
		err = rd_u64(u, sp - 8 * (uint64_t)o->coro.awaited_slot, &awaited);
		if (err)
			return err;
		coro = awaited & ~o->iframe.tag_mask;	/* a _PyStackRef */
	}
	return 0;
}

static void frames_reverse(struct pf_frame *f, unsigned len)
{
	for (unsigned i = 0; i < len / 2; i++) {
		struct pf_frame x = f[i];

		f[i] = f[len - 1 - i];
		f[len - 1 - i] = x;
	}
}

/*
 * Task i's part of a stack, appended at *n: its await chain innermost first, then a frame
 * named after it.  A part that does not fit is left out whole (*truncated).
 */
static int task_part(struct unwinder *u, int i, unsigned *n, int *truncated,
		     struct code_entry **inner)
{
	const struct task_info *t = &u->tasks[i];
	unsigned start = *n;
	uint32_t name;
	int over = 0, err;

	err = coro_chain(u, t->coro, n, &over, inner);
	if (!err)
		err = task_name(u, t->name, &name);
	if (err)
		return err;
	if (over || *n >= u->max_depth) {
		*n = start;
		*truncated = 1;
		return 0;
	}
	frames_reverse(u->frames + start, *n - start);
	u->frames[*n].name = name;
	u->frames[*n].file = u->empty_id;
	u->frames[*n].line = -1;
	(*n)++;
	return 0;
}

/* The tasks awaiting task i, nearest first, each a part appended at *n. */
static int task_awaiters(struct unwinder *u, int i, unsigned *n, int *truncated)
{
	uint32_t mark = ++u->task_mark ? u->task_mark : ++u->task_mark;
	unsigned k = 0;
	int err;

	u->tasks[i].mark = mark;
	for (int p = u->tasks[i].parent; p >= 0 && !*truncated; p = u->tasks[p].parent) {
		struct code_entry *inner;

		if (u->tasks[p].mark == mark || ++k > UNWIND_MAX_AWAITERS)
			return bad(u, UNWIND_DROP_TASKS);	/* tasks awaiting in a loop */
		u->tasks[p].mark = mark;
		err = task_part(u, p, n, truncated, &inner);
		if (err)
			return err;
	}
	return 0;
}

/*
 * "<awaiting WHAT>" interned; what: len bytes, control characters (and with ascii, any
 * byte that is not printable ASCII) made '?'.
 */
static uint32_t awaiting_label(struct unwinder *u, const char *what, size_t len, int ascii)
{
	char buf[160];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "<awaiting ");
	for (size_t i = 0; i < len && n < sizeof(buf) - 2; i++)
		buf[n++] = (uint8_t)what[i] >= 0x20 && what[i] != 0x7f &&
			   (!ascii || (uint8_t)what[i] < 0x80) ? what[i] : '?';
	buf[n++] = '>';
	return strtab__intern(u->strings, buf, n);
}

/* "<awaiting TYPE>" for a future: its type's name without the module (cached by type). */
static int type_label(struct unwinder *u, uint64_t obj, uint32_t *id)
{
	const struct py_offsets *o = &u->off;
	struct type_entry *c;
	uint64_t type, np;
	char name[72];
	size_t len, start = 0;
	int err;

	err = rd_u64(u, obj + (uint64_t)o->obj.ob_type, &type);
	if (!err)
		err = rd_u64(u, type + (uint64_t)o->coro.tp_name, &np);
	if (err)
		return err;
	c = &u->types[hash_addr(type, 19) % TYPE_CACHE];
	if (c->type == type && c->tp_name == np && c->id) {
		*id = c->id;
		return 0;
	}
	/* a C string: up to 64 bytes, not past its page (the next may be unmapped) */
	len = 4096 - (size_t)(np & 4095);
	if (len > 64)
		len = 64;
	err = rd_once(u, np, name, len);
	if (err)
		return err;
	name[len] = 0;
	len = strlen(name);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			start = i + 1;
	if (start == len)
		return bad(u, UNWIND_DROP_BADSTR);
	*id = awaiting_label(u, name + start, len - start, 1);
	c->type = type;
	c->tp_name = np;
	c->id = *id;
	return 0;
}

/* True for asyncio.sleep(): qualname "sleep" in a file ending in asyncio/tasks.py. */
static int is_asyncio_sleep(struct unwinder *u, const struct code_entry *e)
{
	static const char tail[] = "asyncio/tasks.py";
	const char *f;
	size_t len;

	if (!e || e->name != u->sleep_id)
		return 0;
	f = strtab__get(u->strings, e->file);
	len = f ? strlen(f) : 0;
	return len >= sizeof(tail) - 1 && !strcmp(f + len - (sizeof(tail) - 1), tail);
}

/* What the waiting task t waits on, as the leaf frame's name. */
static int task_label(struct unwinder *u, const struct task_info *t,
		      const struct code_entry *inner, uint32_t *id)
{
	int j, err;

	if (is_asyncio_sleep(u, inner)) {
		*id = u->awaiting_sleep_id;
		return 0;
	}
	if (!t->fut_waiter) {
		*id = u->ready_id;
		return 0;
	}
	j = task_find(u, t->fut_waiter);
	if (j < 0)
		return type_label(u, t->fut_waiter, id);
	err = task_name(u, u->tasks[j].name, id);
	if (!err) {
		const char *s = strtab__get(u->strings, *id);
		size_t len = s ? strlen(s) : 0;

		if (len > sizeof(u->fbuf) - 1)
			len = sizeof(u->fbuf) - 1;
		memcpy(u->fbuf, s, len);	/* interning may move s */
		*id = awaiting_label(u, (const char *)u->fbuf, len, 0);
	}
	return err;
}

/* The stack of the waiting task i: leaf frame, its part, its awaiters' parts. */
static int task_stack(struct unwinder *u, int i, unsigned *depth, int *truncated)
{
	struct code_entry *inner = NULL;
	unsigned n = 1;
	uint32_t label;
	int err;

	*truncated = 0;
	if (u->max_depth < 2)
		return bad(u, UNWIND_DROP_TASKS);
	err = task_part(u, i, &n, truncated, &inner);
	if (!err)
		err = task_label(u, &u->tasks[i], inner, &label);
	if (!err)
		err = task_awaiters(u, i, &n, truncated);
	if (err)
		return err;
	u->frames[0].name = label;
	u->frames[0].file = u->empty_id;
	u->frames[0].line = -1;
	*depth = n;
	return 0;
}

/* Emit every waiting leaf task of the thread just sampled (t, its state in u->tsbuf). */
static int emit_waiting(struct unwinder *u, const struct unwind_thread *thread,
			unwind_emit_fn emit, void *arg, struct unwind_stats *st)
{
	uint64_t running = 0;

	if (u->aio.ts_running_task != N)
		running = ld_u64(u->tsbuf + u->aio.ts_running_task);
	for (size_t i = 0; i < u->ntasks; i++) {
		struct unwind_thread t = *thread;
		int truncated, err, run = u->tasks[i].addr == running;

		/* 3.11-3.13: a task running on any thread */
		for (unsigned k = 0; k < u->nrun && !running; k++)
			run |= u->run[k].task == u->tasks[i].addr;
		if (u->tasks[i].has_child || run)
			continue;
		err = task_stack(u, (int)i, &t.depth, &truncated);
		if (err == -ESRCH)
			return err;
		if (err) {
			st->drops[u->cause]++;
			continue;
		}
		t.flags = truncated ? PF_SAMPLE_TRUNCATED : 0;
		t.in_gc = 0;
		t.task = 1;
		t.native_call = 0;
		t.frames = u->frames;
		t.acts = NULL;		/* a waiting task runs on no C stack */
		t.nacts = 0;
		st->tasks++;
		emit(arg, &t);
	}
	return 0;
}

/*
 * How many _PyErr_StackItem a thread's chain may hold: one per generator running on its
 * stack, and the thread's own.  A longer chain (or a cycle) is not believed.
 */
#define EXC_CHAIN_MAX 256
#define PY_TPFLAGS_BASE_EXC_SUBCLASS (1ull << 30)

/*
 * Whether the object at addr is an exception: its type has Py_TPFLAGS_BASE_EXC_SUBCLASS.
 * From 3.12 None (what a thread that handled one before holds) is immortal; an immortal
 * object found not to be an exception is remembered, so a thread that handles none costs
 * no read.  Immortal objects are never freed, and no exception is immortal.
 */
static int is_exception(struct unwinder *u, uint64_t addr)
{
	const struct py_offsets *o = &u->off;
	uint64_t head[2], flags;
	size_t type_at = (size_t)o->obj.ob_type;
	int err;

	if (addr == u->exc_none)
		return 0;
	if (type_at != 8)	/* not the usual { ob_refcnt; ob_type } head */
		err = rd_u64(u, addr + type_at, &head[1]);
	else
		err = rd(u, addr, head, sizeof(head));
	if (!err)
		err = rd_u64(u, head[1] + (uint64_t)o->exc.tp_flags, &flags);
	if (err)
		return err;
	if (flags & PY_TPFLAGS_BASE_EXC_SUBCLASS)
		return 1;
	if (type_at == 8 && o->version >= PY_VER(3, 12) && (int32_t)(uint32_t)head[0] < 0)
		u->exc_none = addr;
	return 0;
}

/*
 * --mode exception: whether the thread whose state is in u->tsbuf handles an exception,
 * the one sys.exc_info() would return: 1, 0, or -errno.  From 3.7 that is the first item of
 * the tstate->exc_info chain whose exc_value is set and not None (a generator that runs
 * puts its own item in front, empty unless it handles one itself).  The item is most often
 * the thread state's own exc_state, already in u->tsbuf.
 */
static int thread_exception(struct unwinder *u, uint64_t ts)
{
	const struct py_offsets *o = &u->off;
	uint64_t item, value;
	uint8_t buf[32];
	size_t len;

	if (o->exc.ts_value != N) {
		value = ld_u64(u->tsbuf + o->exc.ts_value);
		return value ? is_exception(u, value) : 0;
	}
	len = (size_t)(o->exc.item_value > o->exc.item_previous ? o->exc.item_value :
		       o->exc.item_previous) + 8;
	item = ld_u64(u->tsbuf + o->exc.ts_info);
	for (unsigned i = 0; item && i < EXC_CHAIN_MAX; i++) {
		const uint8_t *p = buf;
		int ret;

		if (item >= ts && u->tslen >= len && item - ts <= u->tslen - len) {
			p = u->tsbuf + (item - ts);
		} else {
			ret = rd(u, item, buf, len);
			if (ret)
				return ret;
		}
		value = ld_u64(p + o->exc.item_value);
		if (value) {
			ret = is_exception(u, value);
			if (ret)
				return ret;	/* an exception, or memory that cannot be read */
		}
		item = ld_u64(p + o->exc.item_previous);	/* empty, or None: the next */
	}
	return item ? -ELOOP : 0;
}

/*
 * A thread state copied while its thread ran can pair one moment's top frame with another
 * moment's exception (a generator yielding out of an except block between the copies of
 * the two fields).  A thread found handling one is read again, live: 1 if its top frame is
 * the same frame running the same code (a frame's address alone is not enough: the next
 * call from a generator reuses the slot its caller's callee had) and it still handles one,
 * 0 if not, -EAGAIN if the frame moved, or -errno.
 */
static int exc_confirm(struct unwinder *u, uint64_t ts)
{
	uint8_t *keep = u->tsbuf;
	int bypass = u->snap.bypass, err, ret = 0;
	struct chunk_window w = { .chunk = 0 };
	struct frame_info fi;
	uint64_t f;

	if (u->ts2len < u->tslen) {
		u->tsbuf2 = xrealloc(u->tsbuf2, u->tslen);
		u->ts2len = u->tslen;
	}
	u->snap.bypass = 1;
	u->tsbuf = u->tsbuf2;
	err = rd(u, ts, u->tsbuf, u->tslen);
	if (!err) {
		f = top_frame(u, &err);
		if (!err && f != u->top)
			ret = -EAGAIN;
		else if (!err && f && !(err = frame_decode(u, &w, f, &fi)) && fi.code != u->top_code)
			ret = -EAGAIN;
		else if (!err)
			ret = thread_exception(u, ts);
	}
	u->tsbuf = keep;
	u->snap.bypass = bypass;
	return err ? err : ret;
}

/* One thread's stack from its thread state in u->tsbuf: 0, -ESRCH, or a drop (u->cause). */
static int walk_thread(struct unwinder *u, struct unwind_thread *t, uint64_t holder,
		       int gc, int *truncated)
{
	const struct py_offsets *o = &u->off;
	uint64_t f, chunk = 0, mark = 0, task = 0;
	const uint64_t *marks = &mark;
	uint32_t name = 0;
	unsigned cut = 0, nmarks = 0, which = 0;
	int err;

	t->flags = 0;
	t->in_gc = 0;
	t->depth = 0;
	if (o->tstate.native_thread_id != N)
		t->tid = (pid_t)ld_u64(u->tsbuf + o->tstate.native_thread_id);
	else if (o->tstate.thread_id != N)
		t->tid = tid_of_pthread(u, ld_u64(u->tsbuf + o->tstate.thread_id));
	if (holder && holder == t->tstate_addr) {
		t->flags |= PF_SAMPLE_GIL;
		t->in_gc = gc;		/* the collector runs with the GIL held */
	}
	if (o->tstate.datastack_chunk != N)
		chunk = ld_u64(u->tsbuf + o->tstate.datastack_chunk);
	f = top_frame(u, &err);
	u->top = f;
	u->top_code = 0;
	if (!err && u->aio_on && u->aio.ts_running_task != N) {
		task = ld_u64(u->tsbuf + u->aio.ts_running_task);

		/* a task that cannot be read leaves the thread's own stack */
		if (task && task_of(u, task, &mark, &name) == -ESRCH)
			return -ESRCH;
		nmarks = mark != 0;
	} else if (!err && u->aio_on) {
		marks = u->run_frames;		/* 3.11-3.13: whichever runs here */
		nmarks = u->nrun;
	}
	if (!err)
		err = walk_frames(u, f, chunk, marks, nmarks, &cut, &which, &t->depth, truncated);
	if (!err && cut && u->aio.ts_running_task == N) {
		task = u->run[which].task;
		err = task_name(u, u->run[which].name, &name);
		if (err == -ESRCH)
			return err;
		if (err) {
			cut = 0;	/* a name that cannot be read: the stack as it is */
			err = 0;
		}
	}
	if (!err && cut) {
		/* the task's frames, under its name instead of the event loop's */
		*truncated = 0;
		u->acts_ok = 0;
		t->depth = cut;
		if (cut < u->max_depth) {
			u->frames[cut].name = name;
			u->frames[cut].file = u->empty_id;
			u->frames[cut].line = -1;
			t->depth++;
		} else {
			*truncated = 1;
		}
		/* then the tasks awaiting it (--async=all reads who awaits whom) */
		if (u->tasks_ok && task_find(u, task) >= 0)
			err = task_awaiters(u, task_find(u, task), &t->depth, truncated);
	}
	return err;
}

/* Sample the threads of one interpreter.  -ESRCH aborts the whole sample. */
static int sample_interp(struct unwinder *u, uint64_t interp, uint64_t threads_head,
			 int64_t interp_id, uint64_t holder, int gc, unwind_emit_fn emit,
			 void *arg, struct unwind_stats *st)
{
	const struct py_offsets *o = &u->off;
	uint64_t ts = threads_head;

	(void)interp;
	addrset__clear(&u->seen_threads);
	while (ts) {
		struct unwind_thread t;
		int truncated = 0, err, seen = addrset__add(&u->seen_threads, ts);

		if (seen != 0) {
			st->drops[UNWIND_DROP_THREADS]++;
			break;
		}
		err = rd(u, ts, u->tsbuf, u->tslen);
		if (err == -ESRCH)
			return err;
		if (err) {
			st->drops[UNWIND_DROP_READ]++;
			break;		/* next pointer unknown */
		}
		memset(&t, 0, sizeof(t));
		t.tstate_addr = ts;
		t.interp_id = interp_id;
		u->ntasks = 0;
		u->tasks_ok = 0;
		if (u->aio_all) {
			/* the thread's tasks: a list that cannot be read costs its waiting tasks */
			err = u->aio.ts_running_task != N ? tasks_collect(u, ts) : tasks_select(u);
			if (err == -ESRCH)
				return err;
			if (err)
				st->drops[u->cause]++;
		}
		err = walk_thread(u, &t, holder, gc, &truncated);
		if (err && err != -ESRCH) {
			/*
			 * A frame chain torn by the thread running on while it was read (a
			 * frame pushed or popped between the reads of this sample's copy):
			 * once more, read live, a few microseconds later.
			 */
			st->retries++;
			u->snap.bypass = 1;
			err = rd(u, ts, u->tsbuf, u->tslen);
			if (!err)
				err = walk_thread(u, &t, holder, gc, &truncated);
			u->snap.bypass = 0;
			if (!err)
				st->recovered++;
		}
		if (err == -ESRCH)
			return err;
		if (!err && u->want_exc && t.depth) {
			int exc = thread_exception(u, ts);

			if (exc > 0)
				exc = exc_confirm(u, ts);
			if (exc == -ESRCH)
				return exc;
			t.exception = exc > 0;
			if (exc < 0)
				st->exc_unknown++;
		}
		if (err) {
			st->drops[u->cause]++;
		} else {
			if (truncated)
				t.flags |= PF_SAMPLE_TRUNCATED;
			t.frames = u->frames;
			t.native_call = u->call_ops ? u->leaf_call : 0;
			if (u->acts_ok) {
				t.acts = u->acts;
				t.nacts = u->nacts;
			}
			st->threads++;
			emit(arg, &t);
		}
		if (err != -ESRCH && u->tasks_ok)
			err = emit_waiting(u, &t, emit, arg, st);
		if (err == -ESRCH)
			return err;
		ts = ld_u64(u->tsbuf + o->tstate.next);
	}
	return 0;
}

int unwinder__set_async(struct unwinder *u, const struct py_async_offsets *a, int all)
{
	const struct py_offsets *o = &u->off;
	size_t need;

	if (o->gen.iframe == N)
		return -ENOTSUP;
	if (a->ts_running_task == N) {
		/* 3.11-3.13: the running tasks from current_tasks, all from _asyncio's sets */
		if (a->dict_keys == N || a->dict_used == N || a->md_dict == N ||
		    a->keys_nentries == N ||
		    o->interp.modules == N || o->strings != PY_STR_PEP393)
			return -ENOTSUP;
		need = 0;
		if (all && (a->task_loop == N || a->task_state == N || a->wr_object == N ||
			    a->obj_dict == N || a->ht_cached_keys == N || a->tp_base == N ||
			    o->coro.stacktop == N || o->coro.set_table == N ||
			    o->coro.tp_name == N || o->coro.frame_state == N))
			return -ENOTSUP;
		if (all)
			need = (size_t)(a->ts_loop != N ? a->ts_loop : a->ts_dict) + 8;
	} else if (a->ts_running_task < 0 || a->ts_running_task > (64 << 10)) {
		return -ENOTSUP;
	} else {
		need = (size_t)a->ts_running_task + 8;
	}
	if (all && a->ts_running_task != N) {
		if (a->task_node == N || a->ts_tasks_head == N || o->coro.frame_state == N ||
		    a->ts_tasks_head > (64 << 10))
			return -ENOTSUP;
		if ((size_t)a->ts_tasks_head + 8 > need)
			need = (size_t)a->ts_tasks_head + 8;
	}
	if (all) {
		u->cobj_len = (size_t)o->gen.iframe + u->flen;
		if (o->coro.stackpointer != N)
			u->cobj_len = max_end(u->cobj_len, o->gen.iframe + o->coro.stackpointer, 8);
		else
			u->cobj_len = max_end(u->cobj_len, o->gen.iframe + o->coro.stacktop, 4);
		u->cobj_len = max_end(u->cobj_len, o->coro.frame_state, 1);
		u->cobj = xrealloc(u->cobj, u->cobj_len);
		if (!u->tasks)
			u->tasks = xcalloc(UNWIND_MAX_TASKS, sizeof(*u->tasks));
		if (a->ts_running_task == N && !u->all) {
			u->all = xcalloc(UNWIND_MAX_TASKS, sizeof(*u->all));
			u->task_addrs = xcalloc(UNWIND_MAX_TASKS, sizeof(*u->task_addrs));
			u->waits = xcalloc(UNWIND_MAX_TASKS, sizeof(*u->waits));
		}
		u->sleep_id = strtab__intern_str(u->strings, "sleep");
		u->ready_id = strtab__intern_str(u->strings, "<ready>");
		u->awaiting_sleep_id = strtab__intern_str(u->strings, "<awaiting sleep>");
	}
	if (need > u->tslen) {
		u->tsbuf = xrealloc(u->tsbuf, need);
		u->tslen = need;
	}
	u->aio = *a;
	u->aio_on = 1;
	u->aio_all = all;
	u->empty_id = strtab__intern(u->strings, "", 0);
	return 0;
}

int unwinder__want_exceptions(struct unwinder *u)
{
	const struct py_offsets *o = &u->off;

	if (o->exc.tp_flags == N || o->obj.ob_type == N)
		return -ENOTSUP;
	if (o->exc.ts_value != N) {
		if (o->exc.ts_value < 0 || (size_t)o->exc.ts_value + 8 > u->tslen)
			return -ENOTSUP;
	} else if (o->exc.ts_info == N || o->exc.ts_info < 0 ||
		   (size_t)o->exc.ts_info + 8 > u->tslen || o->exc.item_value < 0 ||
		   o->exc.item_value > 16 || o->exc.item_previous < 0 ||
		   o->exc.item_previous > 24) {
		return -ENOTSUP;
	}
	u->want_exc = 1;
	return 0;
}

int unwinder__set_native_markers(struct unwinder *u)
{
	const uint8_t *ops = py_offsets__call_ops(u->off.version);

	if (u->off.frames != PY_FRAMES_INTERP || u->off.code.code_adaptive == N || !ops)
		return -ENOTSUP;
	u->call_ops = ops;
	return 0;
}

void unwinder__set_code_recheck(struct unwinder *u, uint64_t ns)
{
	u->recheck_ns = ns;
}

void unwinder__ride(struct unwinder *u, const struct remote_iov *iov, size_t n, int *res)
{
	if (n > UNWIND_RIDE_MAX)
		n = UNWIND_RIDE_MAX;
	for (size_t i = 0; i < n; i++)
		res[i] = -EAGAIN;	/* until the sample's read */
	u->ride = iov;
	u->ride_res = res;
	u->nride = n;
}

int unwinder__sample(struct unwinder *u, unwind_emit_fn emit, void *arg, struct unwind_stats *st)
{
	const struct py_offsets *o = &u->off;
	uint64_t interps[UNWIND_MAX_INTERPS], interp, head_addr;
	size_t ninterps = 0;
	int32_t rt_gc = 0;
	int err;

	if (o->runtime.interpreters_head != N)
		head_addr = u->loc.runtime_addr + (uint64_t)o->runtime.interpreters_head;
	else
		head_addr = u->loc.interp_head_addr;
	u->sample_no++;
	u->now_ns = u->recheck_ns && o->code.tlbc == N ? pf_now_ns() : 0;
	err = snap_begin(u);
	if (err)
		return err;
	err = rd_u64(u, head_addr, &interp);
	if (err)
		return err == -ESRCH ? -ESRCH : -EFAULT;

	/* 3.11-3.13 --async: the running tasks, for every thread to look for on its stack */
	if (u->aio_on && u->aio.ts_running_task == N) {
		err = running_collect(u);
		if (!err && u->aio_all) {
			/* tasks that cannot be read cost this sample its waiting tasks */
			err = all_collect(u);
			if (err && err != -ESRCH) {
				st->drops[u->cause]++;
				err = 0;
			}
		}
		if (err)
			return err;
	}

	if (interp && u->tid_off < 0 && o->tstate.native_thread_id == N &&
	    o->tstate.thread_id != N && u->tid_tries < UNWIND_TID_TRIES)
		discover_tid_offset(u, interp);

	/* 3.7, 3.8: one GC for the whole runtime (and one GIL); a failed read is "not". */
	if (o->runtime.gc_collecting != N && u->loc.runtime_addr) {
		err = rd(u, u->loc.runtime_addr + (uint64_t)o->runtime.gc_collecting, &rt_gc,
			 sizeof(rt_gc));
		if (err == -ESRCH)
			return err;
		if (err)
			rt_gc = 0;
	}

	/* 3.14 GIL builds: code objects are re-checked only when a generation moved. */
	u->gen_ok = o->interp.code_object_generation != N && o->code.tlbc == N;
	while (interp) {
		int64_t offs[6] = { o->interp.next, o->interp.threads_head, o->interp.id,
				    o->interp.ceval_gil, o->interp.code_object_generation,
				    o->interp.gc_collecting };
		uint64_t v[6], holder;
		int gc;

		for (size_t i = 0; i < ninterps; i++)
			if (interps[i] == interp)
				return 0;	/* looping interpreter list */
		if (ninterps == ARRAY_SIZE(interps))
			return 0;
		interps[ninterps++] = interp;
		err = read_fields(u, interp, offs, v, 6);
		if (err == -ESRCH)
			return err;
		if (err) {
			st->drops[UNWIND_DROP_READ]++;
			return 0;
		}
		/* Only with one interpreter: each has its own generation. */
		if (ninterps > 1 || v[0])
			u->gen_ok = 0;
		if (u->gen_ok && (v[4] != u->gen || !u->code_epoch)) {
			u->gen = v[4];
			u->code_epoch++;
		}
		holder = gil_holder(u, interp, v[3]);
		gc = (uint32_t)v[5] != 0 || rt_gc != 0;	/* int gc.collecting */
		err = sample_interp(u, interp, v[1], o->interp.id != N ? (int64_t)v[2] : 0,
				    holder, gc, emit, arg, st);
		if (err)
			return err;
		interp = v[0];
	}
	return 0;
}
