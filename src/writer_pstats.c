/*
 * writer_pstats.c - the marshalled dict that pstats.Stats(path) loads (cProfile's
 * dump_stats format), on Python 2.7 and every 3.x:
 *
 *   {(file, firstlineno, name): (cc, nc, tt, ct, {(file, line, name): (nc, cc, tt, ct)})}
 *
 * (the callers' tuples put nc first: that is how cProfile writes them and how pstats
 * prints them).  A sampler knows no calls, so for a function:
 *
 *   tt  own time: the samples it was the innermost frame of, not waiting, x the period
 *   ct  total time: the samples it was anywhere on (once per stack under recursion)
 *   cc  those samples ("primitive calls": once per stack)
 *   nc  its frames on those samples (every level of a recursion): nc/cc shows recursion
 *       the way cProfile shows recursive calls
 *
 * and for an edge caller -> callee the same restricted to stacks where caller called
 * callee directly.  Idle samples (wall mode: the thread waited) go to a function of
 * their own, ('~', 0, '<idle>'), which pstats prints as {idle} like a builtin, called
 * by the function that waited: its cumulative time includes the wait, its own does not,
 * as cProfile's time.sleep does.  The period is the achieved tick interval
 * (pf_meta__period_ns); a profile with no rate (collapsed input) counts 1 per sample.
 * firstlineno is the smallest line sampled in the function (a sampler sees the current
 * line, not the def line), 0 with --no-line-numbers or when no line is known.  Every
 * process and thread goes into the one dict.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/meta.h"
#include "pyflame/pymarshal.h"
#include "pyflame/util.h"

#define IDLE_NAME "<idle>"

struct counts {
	uint64_t cc, nc;	/* samples (once per stack), frames */
	uint64_t own, total;	/* samples: innermost and working, anywhere */
	size_t stamp;		/* last row (+1) that counted cc and total */
};

struct pstats_func {
	uint32_t name, file;	/* profile string ids */
	int32_t line;		/* smallest line seen, -1 none */
	struct counts c;
};

/* caller -> callee, in an open-addressing table keyed by the pair */
struct pstats_edge {
	uint32_t caller, callee;	/* function indices; nfuncs is <idle> */
	struct counts c;
	int used;
};

struct edge_table {
	struct pstats_edge *slot;
	size_t nslots, n;
};

static size_t edge_hash(uint32_t a, uint32_t b, size_t nslots)
{
	uint64_t k = (uint64_t)a << 32 | b;

	return (size_t)(pf_hash64(&k, sizeof(k), 0x9e3779b97f4a7c15ull) & (nslots - 1));
}

static struct pstats_edge *edge_get(struct edge_table *t, uint32_t caller, uint32_t callee)
{
	size_t i;

	if ((t->n + 1) * 2 > t->nslots) {
		struct edge_table bigger = { xcalloc(t->nslots ? t->nslots * 2 : 64,
						     sizeof(*bigger.slot)),
					     t->nslots ? t->nslots * 2 : 64, t->n };

		for (size_t j = 0; j < t->nslots; j++) {
			if (!t->slot[j].used)
				continue;
			i = edge_hash(t->slot[j].caller, t->slot[j].callee, bigger.nslots);
			while (bigger.slot[i].used)
				i = (i + 1) & (bigger.nslots - 1);
			bigger.slot[i] = t->slot[j];
		}
		free(t->slot);
		*t = bigger;
	}
	i = edge_hash(caller, callee, t->nslots);
	while (t->slot[i].used) {
		if (t->slot[i].caller == caller && t->slot[i].callee == callee)
			return &t->slot[i];
		i = (i + 1) & (t->nslots - 1);
	}
	t->slot[i].used = 1;
	t->slot[i].caller = caller;
	t->slot[i].callee = callee;
	t->n++;
	return &t->slot[i];
}

static void count(struct counts *c, size_t row, uint64_t n)
{
	c->nc += n;
	if (c->stamp == row + 1)
		return;		/* recursion: once per stack */
	c->stamp = row + 1;
	c->cc += n;
	c->total += n;
}

static void add_key(struct strbuf *sb, const struct profile *p, const struct pstats_func *f,
		    int line_numbers)
{
	const char *file, *name;

	pymarshal__tuple(sb, 3);
	if (!f) {		/* <idle> */
		pymarshal__str(sb, "~", 1);
		pymarshal__int(sb, 0);
		pymarshal__str(sb, IDLE_NAME, strlen(IDLE_NAME));
		return;
	}
	file = strtab__get(p->strings, f->file);
	name = strtab__get(p->strings, f->name);
	pymarshal__str(sb, file, strtab__len(p->strings, f->file));
	pymarshal__int(sb, line_numbers && f->line > 0 ? f->line : 0);
	pymarshal__str(sb, name, strtab__len(p->strings, f->name));
}

static int by_callee(const void *a, const void *b)
{
	const struct pstats_edge *x = *(const struct pstats_edge *const *)a;
	const struct pstats_edge *y = *(const struct pstats_edge *const *)b;

	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	return (x->caller > y->caller) - (x->caller < y->caller);
}

int writer_pstats__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	double period = pf_meta__period_ns(&p->meta) / 1e9;
	int line_numbers = !o || o->line_numbers;
	struct edge_table edges = { NULL, 0, 0 };
	struct pstats_edge **sorted;
	struct pstats_func *funcs;
	struct strbuf sb = STRBUF_INIT;
	uint32_t *map, *fn_frame;
	size_t nfuncs, ne = 0, e = 0;
	struct counts idle = { 0 };
	int ret = 0;

	if (period <= 0)
		period = 1;
	map = profile__functions(p, &nfuncs, &fn_frame);
	funcs = xcalloc(nfuncs + 1, sizeof(*funcs));
	for (size_t i = 0; i < nfuncs; i++) {
		funcs[i].name = p->frames[fn_frame[i]].name;
		funcs[i].file = p->frames[fn_frame[i]].file;
		funcs[i].line = -1;
	}
	for (size_t i = 0; i < p->nframes; i++) {
		struct pstats_func *f = &funcs[map[i]];

		if (p->frames[i].line >= 0 && (f->line < 0 || p->frames[i].line < f->line))
			f->line = p->frames[i].line;
	}

	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const uint32_t *st;
		uint32_t len, prev = UINT32_MAX;

		if (row->stack >= p->nstacks || !row->count)
			continue;
		st = p->stack_data + p->stack_off[row->stack];
		len = p->stack_len[row->stack];
		for (uint32_t i = 0; i < len; i++) {
			uint32_t fn;

			if (st[i] >= p->nframes) {
				prev = UINT32_MAX;
				continue;
			}
			fn = map[st[i]];
			count(&funcs[fn].c, r, row->count);
			if (prev != UINT32_MAX)
				count(&edge_get(&edges, prev, fn)->c, r, row->count);
			prev = fn;
		}
		if (row->flags & PF_SAMPLE_IDLE) {
			count(&idle, r, row->count);
			idle.own += row->count;
			if (prev != UINT32_MAX) {
				struct pstats_edge *ed = edge_get(&edges, prev, (uint32_t)nfuncs);

				count(&ed->c, r, row->count);
				ed->c.own += row->count;
			}
		} else if (prev != UINT32_MAX) {
			funcs[prev].c.own += row->count;
			if (len >= 2 && st[len - 2] < p->nframes)
				edge_get(&edges, map[st[len - 2]], prev)->c.own += row->count;
		}
	}

	/* the edges grouped by callee, in function order: one callers dict each */
	sorted = xcalloc(edges.n + 1, sizeof(*sorted));
	for (size_t i = 0; i < edges.nslots; i++)
		if (edges.slot[i].used)
			sorted[ne++] = &edges.slot[i];
	qsort(sorted, ne, sizeof(*sorted), by_callee);

	pymarshal__dict_begin(&sb);
	for (size_t fn = 0; fn <= nfuncs; fn++) {
		const struct pstats_func *f = fn < nfuncs ? &funcs[fn] : NULL;
		const struct counts *c = f ? &f->c : &idle;

		if (!c->cc) {
			while (e < ne && sorted[e]->callee == fn)
				e++;
			continue;
		}
		add_key(&sb, p, f, line_numbers);
		pymarshal__tuple(&sb, 5);
		pymarshal__int(&sb, (int64_t)c->cc);
		pymarshal__int(&sb, (int64_t)c->nc);
		pymarshal__float(&sb, (double)c->own * period);
		pymarshal__float(&sb, (double)c->total * period);
		pymarshal__dict_begin(&sb);
		for (; e < ne && sorted[e]->callee == fn; e++) {
			const struct pstats_edge *ed = sorted[e];

			add_key(&sb, p, &funcs[ed->caller], line_numbers);
			pymarshal__tuple(&sb, 4);
			pymarshal__int(&sb, (int64_t)ed->c.nc);
			pymarshal__int(&sb, (int64_t)ed->c.cc);
			pymarshal__float(&sb, (double)ed->c.own * period);
			pymarshal__float(&sb, (double)ed->c.total * period);
		}
		pymarshal__dict_end(&sb);
	}
	pymarshal__dict_end(&sb);

	errno = 0;
	if (fwrite(sb.buf, 1, sb.len, out) != sb.len || fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
	strbuf_release(&sb);
	free(sorted);
	free(edges.slot);
	free(funcs);
	free(fn_frame);
	free(map);
	return ret;
}
