/* summary.c - the end-of-run summary: totals and the functions that took the time. */
#include "pyflame/writers.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/testattr.h"
#include "pyflame/testtable.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define SUMMARY_TOP 10
#define SUMMARY_TOP_IDLE 3	/* the idle waits named on the idle line */
#define SUMMARY_TOP_TESTS 10	/* --tests: the slowest tests listed */

/* A function is a (name, file) pair: every line of it counts together. */
struct func {
	uint32_t name, file;
	uint64_t own, total;	/* working samples: idle ones are counted apart */
	uint64_t idle_own;	/* idle samples that ended in it (a wait) */
	size_t stamp;		/* last row (+1) that counted its total */
};

/* Ties are broken by name then file, so the summary is deterministic. */
static int func_name_cmp(const struct func *x, const struct func *y, const struct profile *p)
{
	int c = strcmp(strtab__get(p->strings, x->name), strtab__get(p->strings, y->name));

	if (c)
		return c;
	return strcmp(strtab__get(p->strings, x->file), strtab__get(p->strings, y->file));
}

static int by_own(const void *a, const void *b, void *p)
{
	const struct func *x = *(const struct func *const *)a, *y = *(const struct func *const *)b;

	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return func_name_cmp(x, y, p);
}

static int by_total(const void *a, const void *b, void *p)
{
	const struct func *x = *(const struct func *const *)a, *y = *(const struct func *const *)b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	return func_name_cmp(x, y, p);
}

static int by_idle_own(const void *a, const void *b, void *p)
{
	const struct func *x = *(const struct func *const *)a, *y = *(const struct func *const *)b;

	if (x->idle_own != y->idle_own)
		return x->idle_own > y->idle_own ? -1 : 1;
	return func_name_cmp(x, y, p);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Printable: valid UTF-8 (textenc.h), control characters (from a target) as spaces. */
static void add_printable(struct strbuf *sb, const char *s)
{
	size_t from = sb->len;

	textenc__add_utf8(sb, s, strlen(s));
	for (size_t i = from; i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < 0x20 || sb->buf[i] == 0x7f)
			sb->buf[i] = ' ';
}

/* "name (file)", control characters made printable; markdown escapes '|'. */
static void func_label(const struct profile *p, const struct func *f, int markdown,
		       struct strbuf *sb)
{
	struct strbuf raw = STRBUF_INIT;

	strbuf_reset(sb);
	add_printable(&raw, strtab__get(p->strings, f->name));
	if (strtab__len(p->strings, f->file)) {
		strbuf_addstr(&raw, " (");
		add_printable(&raw, pf_short_file(strtab__get(p->strings, f->file)));
		strbuf_addch(&raw, ')');
	}
	if (!markdown) {
		strbuf_add(sb, raw.buf, raw.len);
	} else {
		strbuf_addch(sb, '`');
		for (size_t i = 0; i < raw.len; i++) {
			if (raw.buf[i] == '|')
				strbuf_addch(sb, '\\');
			strbuf_addch(sb, raw.buf[i] == '`' ? '\'' : raw.buf[i]);
		}
		strbuf_addch(sb, '`');
	}
	strbuf_release(&raw);
}

static void print_table(const struct profile *p, struct func **order, size_t n,
			int own_first, int w, int markdown, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;

	if (markdown)
		fprintf(out, "| %s | %% | %s | %% | function |\n|---:|---:|---:|---:|---|\n",
			own_first ? "own" : "total", own_first ? "total" : "own");
	else
		fprintf(out, "  %*s %6s  %*s %6s  function\n", w, own_first ? "own" : "total", "%",
			w, own_first ? "total" : "own", "%");
	for (size_t i = 0; i < n; i++) {
		const struct func *f = order[i];
		uint64_t a = own_first ? f->own : f->total;
		uint64_t b = own_first ? f->total : f->own;

		if (!a)
			break;
		func_label(p, f, markdown, &sb);
		if (markdown)
			fprintf(out, "| %" PRIu64 " | %.1f%% | %" PRIu64 " | %.1f%% | %s |\n",
				a, pct(a, p->total), b, pct(b, p->total), sb.buf);
		else
			fprintf(out, "  %*" PRIu64 " %5.1f%%  %*" PRIu64 " %5.1f%%  %s\n",
				w, a, pct(a, p->total), w, b, pct(b, p->total), sb.buf);
	}
	strbuf_release(&sb);
}

/* "top functions by own samples NOTE:" (Markdown: bold, a blank line after). */
static void print_heading(const char *by, const char *note, int md, FILE *out)
{
	if (md)
		fprintf(out, "**Top functions by %s samples**%s\n\n", by, note);
	else
		fprintf(out, "top functions by %s samples%s:\n", by, note);
}

static void print_facts(const struct profile *p, FILE *out)
{
	const struct pf_meta *m = &p->meta;
	struct strbuf sb = STRBUF_INIT;

	if (m->mode && *m->mode)
		strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", m->mode);
	if (m->rate_hz > 0)
		strbuf_addf(&sb, "%s%g Hz", sb.len ? ", " : "", m->rate_hz);
	if (m->rate_hz > 0 && pf_meta__achieved_hz(m) > 0)
		strbuf_addf(&sb, " requested, %.4g Hz achieved", pf_meta__achieved_hz(m));
	if (m->duration_ns)
		strbuf_addf(&sb, "%s%.1f s", sb.len ? ", " : "", (double)m->duration_ns / 1e9);
	if (m->dropped)
		strbuf_addf(&sb, "%s%" PRIu64 " dropped", sb.len ? ", " : "", m->dropped);
	if (m->ticks_missed)
		strbuf_addf(&sb, "%s%" PRIu64 " ticks missed", sb.len ? ", " : "", m->ticks_missed);
	if (sb.len)
		fprintf(out, " (%s)", sb.buf);
	strbuf_release(&sb);
}

/* A test id or label cell: printable; Markdown gets it as code. */
static void test_cell(struct strbuf *sb, const char *s, size_t len, int md)
{
	struct strbuf raw = STRBUF_INIT;

	textenc__add_utf8(&raw, s, len);
	for (size_t i = 0; i < raw.len; i++)
		if ((unsigned char)raw.buf[i] < 0x20 || raw.buf[i] == 0x7f)
			raw.buf[i] = ' ';
	if (!md) {
		strbuf_add(sb, raw.buf, raw.len);
	} else {
		strbuf_addch(sb, '`');
		for (size_t i = 0; i < raw.len; i++) {
			if (raw.buf[i] == '|')
				strbuf_addch(sb, '\\');
			strbuf_addch(sb, raw.buf[i] == '`' ? '\'' : raw.buf[i]);
		}
		strbuf_addch(sb, '`');
	}
	strbuf_release(&raw);
}

/* --tests: the slowest tests, and the time by phase. */
static void print_tests(const struct profile *p, const struct pf_summary_extra *x, int md,
			FILE *out)
{
	struct testtable *t = testtable__build(p, x && x->merge, x ? x->rawlog_path : NULL);
	double by_phase[TEST_PHASE__COUNT] = { 0 }, by_where[TEST_WHERE__COUNT] = { 0 };
	struct strbuf sb = STRBUF_INIT, own = STRBUF_INIT;
	size_t shown = 0;

	if (!t->n)
		goto out;
	p = t->p;	/* the ids of its rows */
	if (md)
		fprintf(out, "**Slowest tests** (time on the test's busiest thread)\n\n"
			"| seconds | %% | phase | test | top own functions |\n"
			"|---:|---:|---|---|---|\n");
	else
		fprintf(out, "slowest tests (time on the test's busiest thread):\n"
			"  %8s %6s  %-8s  %s\n", "seconds", "%", "phase", "test  [top own functions]");
	for (size_t i = 0; i < t->n; i++) {
		const struct test_row *r = &t->rows[i];

		if (r->where == TEST_WHERE_TEST)
			by_phase[r->phase] += r->seconds;
		else
			by_where[r->where] += r->seconds;
		if (r->where != TEST_WHERE_TEST || shown >= SUMMARY_TOP_TESTS)
			continue;
		shown++;
		strbuf_reset(&sb);
		strbuf_reset(&own);
		test_cell(&sb, r->id, r->id_len, md);
		for (size_t j = 0; j < r->ntop; j++) {
			struct func f = { .name = r->top[j].name, .file = r->top[j].file };
			struct strbuf fl = STRBUF_INIT;

			func_label(p, &f, md, &fl);
			strbuf_addf(&own, "%s%s %.0f%%", j ? ", " : "", fl.buf,
				    pct(r->top[j].samples, r->samples));
			strbuf_release(&fl);
		}
		if (md)
			fprintf(out, "| %.3f | %.1f%% | %s | %s | %s |\n", r->seconds,
				pct(r->samples, p->total), test_phase__name(r->phase), sb.buf,
				own.buf);
		else
			fprintf(out, "  %8.3f %5.1f%%  %-8s  %s%s%s%s\n", r->seconds,
				pct(r->samples, p->total), test_phase__name(r->phase), sb.buf,
				own.len ? "  [" : "", own.buf, own.len ? "]" : "");
	}
	if (md)
		fputc('\n', out);
	fprintf(out, "%stime by phase: collection %.2f s, setup %.2f s, call %.2f s, teardown "
		"%.2f s; session start %.2f s, end %.2f s, outside tests %.2f s%s",
		md ? "" : "  ", by_where[TEST_WHERE_COLLECTION], by_phase[TEST_PHASE_SETUP],
		by_phase[TEST_PHASE_CALL], by_phase[TEST_PHASE_TEARDOWN],
		by_where[TEST_WHERE_SESSION_START], by_where[TEST_WHERE_SESSION_END],
		by_where[TEST_WHERE_OUTSIDE], md ? "\n\n" : "\n");
	if (x && x->tests_fallback)
		fprintf(out, "%s%" PRIu64 " test sample%s told from the stack (pytest's "
			"PYTEST_CURRENT_TEST %s)%s", md ? "" : "  ", x->tests_fallback,
			x->tests_fallback == 1 ? "" : "s",
			x->tests_unreadable ? "unreadable" : "not set", md ? "\n\n" : "\n");
out:
	strbuf_release(&sb);
	strbuf_release(&own);
	testtable__free(t);
}

/* The <GC> leaf that run and attach add while the cyclic GC runs. */
static int is_gc_frame(const struct profile *p, uint32_t frame)
{
	return frame < p->nframes && !strcmp(strtab__get(p->strings, p->frames[frame].name),
					     PF_GC_FRAME) &&
	       !*strtab__get(p->strings, p->frames[frame].file);
}

static void print_summary(const struct profile *p, const struct pf_summary_extra *x, int md,
			  FILE *out)
{
	uint64_t idle = 0, gil = 0, truncated = 0, gc = 0;
	struct func *funcs, **order;
	uint32_t *map, *fn_frame;
	size_t nfuncs, ntop;
	int w = 5;

	if (md) {
		struct strbuf sb = STRBUF_INIT;

		add_printable(&sb, p->meta.command ? p->meta.command : "");
		fprintf(out, "### pyflame: `%s`\n\n", sb.len ? sb.buf : "profile");
		strbuf_release(&sb);
	}
	fprintf(out, "%s%" PRIu64 " sample%s from %zu Python process%s", md ? "" : "pyflame: ",
		p->total, p->total == 1 ? "" : "s", p->nprocs, p->nprocs == 1 ? "" : "es");
	if (x && x->processes_seen > p->nprocs)
		fprintf(out, " (%" PRIu64 " processes in all)", x->processes_seen);
	fprintf(out, ", %zu thread%s", p->nthreads, p->nthreads == 1 ? "" : "s");
	print_facts(p, out);
	fputs(md ? "\n\n" : "\n", out);

	map = profile__functions(p, &nfuncs, &fn_frame);
	funcs = xcalloc(nfuncs + 1, sizeof(*funcs));
	for (size_t i = 0; i < nfuncs; i++) {
		funcs[i].name = p->frames[fn_frame[i]].name;
		funcs[i].file = p->frames[fn_frame[i]].file;
	}
	free(fn_frame);
	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const uint32_t *st;
		uint32_t len;

		if (row->stack >= p->nstacks)
			continue;
		if (row->flags & PF_SAMPLE_IDLE)
			idle += row->count;
		if (row->flags & PF_SAMPLE_GIL)
			gil += row->count;
		if (row->flags & PF_SAMPLE_TRUNCATED)
			truncated += row->count;
		st = p->stack_data + p->stack_off[row->stack];
		len = p->stack_len[row->stack];
		if (len && is_gc_frame(p, st[len - 1]))
			gc += row->count;
		/*
		 * Idle samples (wall mode: a thread waiting) are not ranked with the working
		 * ones: where users look for hot code, a wait would lead the table.  They get
		 * the idle line, by the function they wait in.
		 */
		if (row->flags & PF_SAMPLE_IDLE) {
			if (len && st[len - 1] < p->nframes)
				funcs[map[st[len - 1]]].idle_own += row->count;
			continue;
		}
		if (len && st[len - 1] < p->nframes)
			funcs[map[st[len - 1]]].own += row->count;
		for (uint32_t i = 0; i < len; i++) {
			struct func *f;

			if (st[i] >= p->nframes || p->frames[st[i]].line == PF_LINE_TEST)
				continue;	/* a test's frame (--tests) is no function */
			f = &funcs[map[st[i]]];
			if (f->stamp == r + 1)
				continue;	/* recursion: once per stack */
			f->stamp = r + 1;
			f->total += row->count;
		}
	}

	order = xcalloc(nfuncs + 1, sizeof(*order));
	for (size_t i = 0; i < nfuncs; i++)
		order[i] = &funcs[i];
	if (p->total) {
		fprintf(out, "%sidle: %.1f%% of samples (%" PRIu64 ")", md ? "" : "  ",
			pct(idle, p->total), idle);
		if (gil)
			fprintf(out, ", GIL held: %.1f%%", pct(gil, p->total));
		if (truncated)
			fprintf(out, ", truncated stacks: %.1f%%", pct(truncated, p->total));
		if (gc)
			fprintf(out, ", GC: %.1f%%", pct(gc, p->total));
		fputs(md ? "\n\n" : "\n", out);
	}
	if (idle && nfuncs) {
		struct strbuf sb = STRBUF_INIT;

		qsort_r(order, nfuncs, sizeof(*order), by_idle_own, (void *)p);
		fprintf(out, "%swaiting in:", md ? "idle, " : "  idle, ");
		for (size_t i = 0; i < nfuncs && i < SUMMARY_TOP_IDLE && order[i]->idle_own; i++) {
			func_label(p, order[i], md, &sb);
			fprintf(out, "%s %s %.1f%%", i ? "," : "", sb.buf,
				pct(order[i]->idle_own, p->total));
		}
		fputs(md ? "\n\n" : "\n", out);
		strbuf_release(&sb);
	}
	for (uint64_t t = p->total; t >= 100000; t /= 10)
		w++;

	ntop = nfuncs < SUMMARY_TOP ? nfuncs : SUMMARY_TOP;
	if (ntop) {
		qsort_r(order, nfuncs, sizeof(*order), by_own, (void *)p);
		if (order[0]->own) {
			print_heading("own", idle ? " (idle samples apart, above)" : "", md, out);
			print_table(p, order, ntop, 1, w, md, out);
			if (md)
				fputc('\n', out);
		}
		qsort_r(order, nfuncs, sizeof(*order), by_total, (void *)p);
		if (order[0]->total) {
			print_heading("total", idle ? " (idle samples apart)" : "", md, out);
			print_table(p, order, ntop, 0, w, md, out);
			if (md)
				fputc('\n', out);
		}
	}

	print_tests(p, x, md, out);

	for (size_t i = 0; x && i < x->nfiles; i++)
		fprintf(out, md ? "- wrote `%s`\n" : "wrote %s\n", x->files[i]);
	if (md)
		fputc('\n', out);

	free(order);
	free(map);
	free(funcs);
}

void summary__print(const struct profile *p, const struct pf_summary_extra *x, FILE *out)
{
	print_summary(p, x, 0, out);
}

void summary__print_markdown(const struct profile *p, const struct pf_summary_extra *x,
			     FILE *out)
{
	print_summary(p, x, 1, out);
}
