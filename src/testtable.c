/* testtable.c - one row per (process, test, phase) of a --tests profile (testtable.h). */
#include "pyflame/testtable.h"

#include <stdlib.h>
#include <string.h>

#include "pyflame/meta.h"
#include "pyflame/util.h"

/* One profile row seen through its test frame. */
struct entry {
	uint32_t key;		/* process index, or its command line's string id when merged */
	uint32_t label;		/* string id of the test frame's name */
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

	if (x->thread_samples != y->thread_samples)
		return x->thread_samples > y->thread_samples ? -1 : 1;
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

struct testtable *testtable__build(const struct profile *p, int merge)
{
	struct testtable *t = xcalloc(1, sizeof(*t));
	struct entry *e = xcalloc(p->nrows + 1, sizeof(*e));
	uint32_t *keys;
	size_t n = 0, i, j;
	double period = pf_meta__period_ns(&p->meta);

	t->period_s = period > 0 ? period / 1e9 : 0;
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
			if (thread_sum > r->thread_samples)
				r->thread_samples = thread_sum;
			r->samples += e[j].count;
			if (e[j].idle)
				r->idle += e[j].count;
			if (e[j].proc < r->proc)
				r->proc = e[j].proc;
		}
		r->seconds = (double)r->thread_samples * t->period_s;
		t->samples += r->samples;
		keys[t->n] = e[i].key;
		t->n++;
	}

	/* the own frames of each row */
	qsort(e, n, sizeof(*e), by_key_leaf);
	for (i = 0; i < n; i = j) {
		struct test_row *r = row_of(t, keys, e[i].key, e[i].label);
		uint64_t sum = 0;

		for (j = i; j < n && e[j].key == e[i].key && e[j].label == e[i].label &&
			    e[j].leaf_name == e[i].leaf_name && e[j].leaf_file == e[i].leaf_file; j++)
			sum += e[j].count;
		if (r)
			add_own(r, e[i].leaf_name, e[i].leaf_file, sum);
	}
	qsort_r(t->rows, t->n, sizeof(*t->rows), row_cmp, (void *)p);
	free(keys);
	free(e);
	return t;
}

void testtable__free(struct testtable *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}
