/* testtable.c - one row per (process, test, phase) of a --tests profile (testtable.h). */
#include "pyflame/testtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/meta.h"
#include "pyflame/rawlog.h"
#include "pyflame/util.h"

/*
 * In wall mode every thread is read at every tick, so a sample of a thread that was also
 * read at the tick before stands for the time since that tick: ticks the sampler missed
 * (a loaded machine) count where they were missed.  A thread new or back from a stretch
 * without Python gets one mean period.  A gap longer than this is no tick gap.
 */
#define GAP_MAX_NS 10000000000ull

/* Time per (thread, test frame), from the raw log's sample times: an open hash. */
struct timed {
	uint64_t *key;		/* (thread + 1) << 32 | frame; 0 = empty */
	uint64_t *ns;
	size_t cap, n;
	uint64_t *last_ns;	/* per thread: its previous sample (+1; 0 = none yet) */
	size_t nthreads_alloc;
	uint64_t tick_ns, prev_tick_ns;	/* (+1; 0 = none yet) the latest tick, the one before */
	uint64_t max_gap_ns;	/* the longest time between two ticks */
	uint64_t period_ns;
	const struct profile *p;
};

static uint64_t *timed_slot(struct timed *tm, uint64_t key, int add)
{
	size_t i;

	if (add && 2 * (tm->n + 1) > tm->cap) {
		struct timed old = *tm;

		tm->cap = tm->cap ? 2 * tm->cap : 256;
		tm->key = xcalloc(tm->cap, sizeof(*tm->key));
		tm->ns = xcalloc(tm->cap, sizeof(*tm->ns));
		tm->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.key[i])
				*timed_slot(tm, old.key[i], 1) = old.ns[i];
		free(old.key);
		free(old.ns);
	}
	if (!tm->cap)
		return NULL;
	for (i = pf_hash64(&key, sizeof(key), 0) & (tm->cap - 1);; i = (i + 1) & (tm->cap - 1)) {
		if (tm->key[i] == key)
			return &tm->ns[i];
		if (!tm->key[i]) {
			if (!add)
				return NULL;
			tm->key[i] = key;
			tm->n++;
			return &tm->ns[i];
		}
	}
}

static void timed_sample(void *arg, uint64_t t_ns, uint32_t thread, uint32_t stack,
			 uint32_t flags)
{
	struct timed *tm = arg;
	const struct profile *p = tm->p;
	uint64_t gap = tm->period_ns, *slot;
	uint32_t root;

	(void)flags;
	if (thread >= p->nthreads || stack >= p->nstacks || !p->stack_len[stack])
		return;
	if (thread >= tm->nthreads_alloc) {
		size_t old = tm->nthreads_alloc;

		xgrow((void **)&tm->last_ns, &tm->nthreads_alloc, (size_t)thread + 1,
		      sizeof(*tm->last_ns));
		memset(tm->last_ns + old, 0, (tm->nthreads_alloc - old) * sizeof(*tm->last_ns));
	}
	if (t_ns + 1 > tm->tick_ns) {
		tm->prev_tick_ns = tm->tick_ns;
		tm->tick_ns = t_ns + 1;
		if (tm->prev_tick_ns && tm->tick_ns - tm->prev_tick_ns > tm->max_gap_ns)
			tm->max_gap_ns = tm->tick_ns - tm->prev_tick_ns;
	}
	/* (a sample held back and counted later comes out of order: one period) */
	if (t_ns + 1 == tm->tick_ns && tm->prev_tick_ns &&
	    tm->last_ns[thread] == tm->prev_tick_ns && t_ns + 1 - tm->prev_tick_ns <= GAP_MAX_NS)
		gap = t_ns + 1 - tm->prev_tick_ns;
	if (t_ns + 1 > tm->last_ns[thread])
		tm->last_ns[thread] = t_ns + 1;
	root = p->stack_data[p->stack_off[stack]];
	if (root >= p->nframes || p->frames[root].line != PF_LINE_TEST)
		return;
	slot = timed_slot(tm, ((uint64_t)thread + 1) << 32 | root, 1);
	*slot += gap;
}

/* Replay the raw log: its profile (owned by the caller) with tm filled, or NULL. */
static struct profile *replay(const char *path, uint64_t period_ns, struct timed *tm)
{
	struct rawlog_info info;
	struct profile *sp;
	FILE *in = fopen(path, "rb");

	if (!in)
		return NULL;
	sp = profile__new();
	tm->p = sp;
	tm->period_ns = period_ns;
	if (rawlog__read(in, sp, timed_sample, tm, &info)) {
		profile__free(sp);
		sp = NULL;
	}
	fclose(in);
	return sp;
}

/* One profile row seen through its test frame. */
struct entry {
	uint32_t key;		/* process index, or its command line's string id when merged */
	uint32_t label;		/* string id of the test frame's name */
	uint32_t frame;		/* the test frame (one per label) */
	uint32_t thread;
	uint32_t proc;
	uint32_t leaf_name, leaf_file;	/* UINT32_MAX: the stack is the test frame alone */
	uint64_t count;
	int idle;
};

static int cmp_u32(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

static int by_key_thread(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	int c = cmp_u32(x->key, y->key);

	if (!c)
		c = cmp_u32(x->label, y->label);
	return c ? c : cmp_u32(x->thread, y->thread);
}

static int by_key_leaf(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	int c = cmp_u32(x->key, y->key);

	if (!c)
		c = cmp_u32(x->label, y->label);
	if (!c)
		c = cmp_u32(x->leaf_name, y->leaf_name);
	return c ? c : cmp_u32(x->leaf_file, y->leaf_file);
}

static int row_cmp(const void *a, const void *b, void *ctx)
{
	const struct test_row *x = a, *y = b;
	const struct profile *p = ctx;
	int c;

	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	c = strcmp(strtab__get(p->strings, x->label), strtab__get(p->strings, y->label));
	return c ? c : cmp_u32(x->proc, y->proc);
}

/* The row of (key, label), made if new: rows are found by binary search on the order. */
static struct test_row *row_of(struct testtable *t, const uint32_t *keys, uint32_t key,
			       uint32_t label)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_u32(keys[mid], key);

		if (!c)
			c = cmp_u32(t->rows[mid].label, label);

		if (!c)
			return &t->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Keep the TESTTABLE_TOP biggest own frames. */
static void add_own(struct test_row *r, uint32_t name, uint32_t file, uint64_t n)
{
	size_t i;

	if (name == UINT32_MAX || !n)
		return;
	if (r->ntop == TESTTABLE_TOP && r->top[TESTTABLE_TOP - 1].samples >= n)
		return;
	i = r->ntop < TESTTABLE_TOP ? r->ntop++ : TESTTABLE_TOP - 1;
	for (; i > 0 && r->top[i - 1].samples < n; i--)
		r->top[i] = r->top[i - 1];
	r->top[i] = (struct test_own){ name, file, n };
}

struct testtable *testtable__build(const struct profile *p, int merge, const char *rawlog_path)
{
	struct testtable *t = xcalloc(1, sizeof(*t));
	struct timed tm = { 0 };
	struct entry *e;
	uint32_t *keys;
	size_t n = 0, i, j;
	double period = pf_meta__period_ns(&p->meta);

	t->period_s = period > 0 ? period / 1e9 : 0;
	if (rawlog_path && period >= 1 && p->meta.mode && !strcmp(p->meta.mode, "wall")) {
		t->own = replay(rawlog_path, (uint64_t)period, &tm);
		if (t->own && t->own->total == p->total)
			p = t->own;	/* the same samples, with their times */
		t->timed = p == t->own;
		if (t->timed)
			t->max_gap_s = (double)tm.max_gap_ns / 1e9;
	}
	t->p = p;
	e = xcalloc(p->nrows + 1, sizeof(*e));
	for (i = 0; i < p->nrows; i++) {
		const struct pf_row *row = &p->rows[i];
		const uint32_t *st;
		uint32_t len, proc;

		if (row->thread >= p->nthreads || row->stack >= p->nstacks || !row->count)
			continue;
		st = p->stack_data + p->stack_off[row->stack];
		len = p->stack_len[row->stack];
		if (!len || st[0] >= p->nframes || p->frames[st[0]].line != PF_LINE_TEST)
			continue;
		proc = p->threads[row->thread].proc;
		if (proc >= p->nprocs)
			continue;
		e[n] = (struct entry){
			.key = merge ? p->procs[proc].cmdline : proc,
			.label = p->frames[st[0]].name,
			.frame = st[0],
			.thread = row->thread,
			.proc = proc,
			.leaf_name = UINT32_MAX,
			.leaf_file = UINT32_MAX,
			.count = row->count,
			.idle = !!(row->flags & PF_SAMPLE_IDLE),
		};
		if (len > 1 && st[len - 1] < p->nframes) {
			e[n].leaf_name = p->frames[st[len - 1]].name;
			e[n].leaf_file = p->frames[st[len - 1]].file;
		}
		n++;
	}

	/* rows, and each row's busiest thread */
	qsort(e, n, sizeof(*e), by_key_thread);
	t->rows = xcalloc(n + 1, sizeof(*t->rows));
	keys = xcalloc(n + 1, sizeof(*keys));
	for (i = 0; i < n; i = j) {
		struct test_row *r = &t->rows[t->n];
		uint64_t thread_sum = 0;
		const char *name = strtab__get(p->strings, e[i].label);

		memset(r, 0, sizeof(*r));
		r->proc = e[i].proc;
		r->label = e[i].label;
		if (testattr__parse_label(name, strtab__len(p->strings, e[i].label), &r->where,
					  &r->id, &r->id_len, &r->phase)) {
			r->where = TEST_WHERE_OUTSIDE;	/* not ours: a frame named like one */
			r->id = NULL;
		}
		for (j = i; j < n && e[j].key == e[i].key && e[j].label == e[i].label; j++) {
			if (j > i && e[j].thread != e[j - 1].thread)
				thread_sum = 0;
			thread_sum += e[j].count;
			if (thread_sum > r->thread_samples) {
				r->thread_samples = thread_sum;
				r->thread = e[j].thread;
			}
			r->samples += e[j].count;
			if (e[j].idle)
				r->idle += e[j].count;
			if (e[j].proc < r->proc)
				r->proc = e[j].proc;
		}
		r->seconds = (double)r->thread_samples * t->period_s;
		if (t->timed) {
			/* the busiest thread's time between its samples */
			uint64_t *ns = timed_slot(&tm, ((uint64_t)r->thread + 1) << 32 | e[i].frame, 0);

			r->seconds = ns ? (double)*ns / 1e9 : 0;
		}
		t->samples += r->samples;
		keys[t->n] = e[i].key;
		t->n++;
	}

	/* the own frames of each row */
	qsort(e, n, sizeof(*e), by_key_leaf);
	for (i = 0; i < n; i = j) {
		struct test_row *r = row_of(t, keys, e[i].key, e[i].label);
		uint64_t cpu = 0, idle = 0;

		for (j = i; j < n && e[j].key == e[i].key && e[j].label == e[i].label &&
			    e[j].leaf_name == e[i].leaf_name && e[j].leaf_file == e[i].leaf_file; j++)
			*(e[j].idle ? &idle : &cpu) += e[j].count;
		/*
		 * Working samples rank, as in the summary: a helper thread's wait (xdist's
		 * I/O thread) would lead every row.  A row that only waited shows its waits.
		 */
		if (r)
			add_own(r, e[i].leaf_name, e[i].leaf_file, r->samples > r->idle ? cpu : idle);
	}
	qsort_r(t->rows, t->n, sizeof(*t->rows), row_cmp, (void *)p);
	free(keys);
	free(e);
	free(tm.key);
	free(tm.ns);
	free(tm.last_ns);
	return t;
}

void testtable__free(struct testtable *t)
{
	if (!t)
		return;
	free(t->rows);
	profile__free(t->own);
	free(t);
}
