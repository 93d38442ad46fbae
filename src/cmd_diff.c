/*
 * cmd_diff.c - `pyflame diff BASE... NEW...`: read every run (raw logs or collapsed
 * stacks, through merge.c) into a struct pf_diff for the differential flame graph and
 * into per-run counts of each function, test each function's change between the sides
 * (stats.c), print the table, and gate on significant slowdowns.
 */
#include "pyflame/cmd_diff.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyflame/diff.h"
#include "pyflame/exitcode.h"
#include "pyflame/merge.h"
#include "pyflame/outputs.h"
#include "pyflame/stats.h"
#include "pyflame/strtab.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

#define DIFF_ALPHA_DEFAULT 0.01
#define DIFF_TOP_DEFAULT 15	/* rows of the table besides the significant ones */
#define DIFF_GREW_INSIDE 5	/* functions named under each slower one */
#define DIFF_EXIT_SLOWER 1
#define DIFF_MIN_SAMPLES 20	/* a function with fewer, over all runs, is not tested */

/* --- the command (its options and --help: cli.c) -------------------------------------- */

static int usage_error(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, fmt, arg);
	pf_error(0, "%s", sb.buf);
	pf_hint("see 'pyflame diff --help'");
	strbuf_release(&sb);
	return PF_EXIT_USAGE;
}

/* new.raw -> new.diff.svg */
static char *default_output(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	strbuf_addstr(&sb, path);
	if (dot && (!slash || dot > slash + 1))
		sb.len = (size_t)(dot - path);
	strbuf_addstr(&sb, ".diff.svg");
	return strbuf_detach(&sb, NULL);
}

/* --- the runs and their functions ---------------------------------------------------- */

enum diff_by { DIFF_BY_TIME, DIFF_BY_SHARE };
enum diff_table { DIFF_TABLE_TEXT, DIFF_TABLE_MD, DIFF_TABLE_JSON, DIFF_TABLE_NONE };

/*
 * What is tested, per function.  Per-test attribution (another issue) adds a kind here
 * whose counts are each test's samples; the test and the table take it as they are.
 */
enum diff_kind { DIFF_OWN, DIFF_TOTAL, DIFF_NKINDS };
static const char *const kind_name[DIFF_NKINDS] = { "own", "total" };

struct diff_run {
	const char *path;
	unsigned repeat;	/* one repeat of a run --repeat log (0: the whole file) */
	char *label;		/* path, or path#repeat */
	int side;
	double period_s;	/* seconds per tick; 0 when unknown (collapsed input) */
	uint64_t samples;
	uint64_t *count[DIFF_NKINDS];	/* per function label of struct diff_ctx.fn */
	size_t ncount;
};

struct diff_row {
	uint32_t label;		/* in fn->paths->labels */
	enum diff_kind kind;
	struct stats_test t;
	uint8_t tested;		/* enough samples to be tested (else p = 1, never significant) */
	uint8_t sig;
};

struct diff_ctx {
	struct pf_diff *graph;	/* the user's matching, for the graph and the text */
	struct pf_diff *fn;	/* by function, without process frames: the tests */
	struct diff_run *runs;
	size_t nruns;
	int has_time;		/* every run knows its sampling period */
	enum diff_by by;
	struct diff_row *rows;
	size_t nrows, ntested;
	double exposure[2];	/* per side: the sum of the runs' exposures */
};

static double run_exposure(const struct diff_ctx *c, const struct diff_run *r)
{
	if (c->by == DIFF_BY_SHARE)
		return (double)r->samples;
	return c->has_time ? 1 / r->period_s : 1;	/* samples per second, or per run */
}

/* Per-run own and total samples of each function of p. */
static void count_functions(struct diff_ctx *c, struct diff_run *r, const struct profile *p)
{
	struct output_opts oo = { .merge_processes = 1 };
	struct pf_paths *pp = profile__paths(p, &oo);
	size_t nl = strtab__count(pp->labels), need;
	uint32_t *map = xcalloc(nl + 1, sizeof(*map));
	uint64_t *seen;

	for (size_t i = 0; i < nl; i++)
		map[i] = pf_diff__label(c->fn, strtab__get(pp->labels, (uint32_t)i),
					strtab__len(pp->labels, (uint32_t)i), pp->kind[i]);
	need = strtab__count(c->fn->paths->labels);
	for (int k = 0; k < DIFF_NKINDS; k++)
		r->count[k] = xcalloc(need + 1, sizeof(*r->count[k]));
	r->ncount = need;
	seen = xcalloc(need + 1, sizeof(*seen));
	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];
		uint32_t leaf = UINT32_MAX;

		for (uint32_t j = 0; j < pp->len[i]; j++) {
			uint32_t id = map[lab[j]];

			if (pp->kind[lab[j]] != PF_LABEL_FRAME)
				continue;
			leaf = id;
			if (seen[id] != i + 1) {	/* recursion counts once */
				seen[id] = i + 1;
				r->count[DIFF_TOTAL][id] += pp->count[i];
			}
		}
		if (leaf != UINT32_MAX)
			r->count[DIFF_OWN][leaf] += pp->count[i];
	}
	free(seen);
	free(map);
	pf_paths__free(pp);
}

/* Read one run; reports its own errors.  0 or PF_EXIT_USAGE. */
static int load_run(struct diff_ctx *c, struct diff_run *r, const struct diff_opts *o,
		    const struct merge_opts *mo)
{
	const struct diff_opts fo = { .line_numbers = 0, .strip_process = 1 };
	struct profile *p = profile__new();
	struct merge_input in;
	struct merge_opts one = *mo;
	int ret;

	one.repeat = r->repeat;
	ret = merge__load(p, r->path, &one, &in);
	if (ret == -EINVAL || ret == -EOVERFLOW) {
		pf_error(0, "'%s': %s", r->label, in.err);
	} else if (ret) {
		pf_error(ret, "cannot read '%s'", r->path);
	} else if (pf_diff__add_profile(c->graph, r->side, p, o) ||
		   pf_diff__add_profile(c->fn, r->side, p, &fo)) {
		pf_error(0, "'%s': the sample counts add up to more than 2^64", r->label);
		ret = -EOVERFLOW;
	}
	if (ret)
		goto out;
	if (in.cut_short && !pf_quiet)
		pf_warn("'%s' was cut short (pyflame did not finish); using its %" PRIu64
			" complete samples", r->path, in.samples);
	r->samples = p->total;
	/*
	 * Wall mode samples every thread at every tick: the time per tick with a sample,
	 * from the first sample to the last, leaves out the start before Python ran.  In
	 * cpu and gil modes a tick may sample nothing, so only the run's own duration /
	 * ticks is right there.
	 */
	r->period_s = (in.meta.mode && strcmp(in.meta.mode, "wall") ? pf_meta__period_ns(&in.meta) :
		       in.tick_ns) / 1e9;
	count_functions(c, r, p);
out:
	merge_input__release(&in);
	profile__free(p);
	return ret ? PF_EXIT_USAGE : 0;
}

static uint64_t run_count(const struct diff_run *r, enum diff_kind k, uint32_t label)
{
	return label < r->ncount ? r->count[k][label] : 0;
}

/* Each side's per-run counts of one function into cnt[side]; their sum. */
static double gather(const struct diff_ctx *c, uint32_t label, enum diff_kind k, double *cnt[2])
{
	size_t m[2] = { 0, 0 };
	double sum = 0;

	for (size_t i = 0; i < c->nruns; i++) {
		int s = c->runs[i].side;

		cnt[s][m[s]] = (double)run_count(&c->runs[i], k, label);
		sum += cnt[s][m[s]++];
	}
	return sum;
}

/*
 * Test every function, own and total, and decide significance over the whole report.
 * Functions with fewer than DIFF_MIN_SAMPLES samples in all runs together are listed
 * but not tested: no change of theirs could be significant, and each test costs alpha.
 */
static void test_functions(struct diff_ctx *c, double alpha)
{
	const struct pf_paths *fp = c->fn->paths;
	size_t nl = strtab__count(fp->labels), n[2] = { 0, 0 }, ntested = 0;
	struct stats_pool pool = { 1, 0 };
	double *cnt[2], *exp[2], *p, x2 = 0;
	uint8_t *sig;

	for (int s = 0; s < 2; s++) {
		cnt[s] = xcalloc(c->nruns + 1, sizeof(double));
		exp[s] = xcalloc(c->nruns + 1, sizeof(double));
		c->exposure[s] = 0;
	}
	for (size_t i = 0; i < c->nruns; i++) {
		int s = c->runs[i].side;

		exp[s][n[s]++] = run_exposure(c, &c->runs[i]);
		c->exposure[s] += run_exposure(c, &c->runs[i]);
	}
	c->rows = xcalloc(nl * DIFF_NKINDS + 1, sizeof(*c->rows));
	for (uint32_t l = 0; l < nl; l++) {
		if (fp->kind[l] != PF_LABEL_FRAME)
			continue;
		for (int k = 0; k < DIFF_NKINDS; k++) {
			struct diff_row *row = &c->rows[c->nrows];
			struct stats_side sb = { cnt[0], exp[0], n[0] }, sn = { cnt[1], exp[1], n[1] };
			double sum = gather(c, l, (enum diff_kind)k, cnt);

			if (!sum)
				continue;	/* never a leaf: nothing to say */
			row->label = l;
			row->kind = (enum diff_kind)k;
			row->tested = sum >= DIFF_MIN_SAMPLES;
			stats__compare(&sb, &sn, NULL, &row->t);
			if (row->tested) {
				x2 += row->t.x2;
				pool.df += row->t.x2_df;
			}
			c->nrows++;
		}
	}
	if (pool.df > 0)
		pool.phi = fmax(1, x2 / pool.df);
	p = xcalloc(c->nrows + 1, sizeof(*p));
	sig = xcalloc(c->nrows + 1, 1);
	for (size_t i = 0; i < c->nrows; i++) {
		struct diff_row *row = &c->rows[i];
		struct stats_side sb = { cnt[0], exp[0], n[0] }, sn = { cnt[1], exp[1], n[1] };

		if (!row->tested)
			continue;
		gather(c, row->label, row->kind, cnt);
		stats__compare(&sb, &sn, &pool, &row->t);
		p[ntested++] = row->t.p;
	}
	stats__holm(p, ntested, alpha, sig);
	c->ntested = ntested;
	for (size_t i = 0, j = 0; i < c->nrows; i++)
		if (c->rows[i].tested)
			c->rows[i].sig = sig[j++];
	free(sig);
	free(p);
	for (int s = 0; s < 2; s++) {
		free(cnt[s]);
		free(exp[s]);
	}
}

/* --- the table ----------------------------------------------------------------------- */

static const char *fn_name(const struct diff_ctx *c, uint32_t label)
{
	return strtab__get(c->fn->paths->labels, label);
}

/* A rate as the table shows it: seconds, samples or percent per run. */
static void add_value(const struct diff_ctx *c, struct strbuf *sb, double v)
{
	if (c->by == DIFF_BY_SHARE)
		strbuf_addf(sb, "%.2f%%", 100 * v);
	else if (c->has_time)
		strbuf_addf(sb, "%.3f s", v);
	else
		strbuf_addf(sb, "%.1f", v);
}

static void add_change(struct strbuf *sb, double pct)
{
	if (isinf(pct))
		strbuf_addstr(sb, "new");
	else
		strbuf_addf(sb, "%+.1f%%", pct);
}

/* Significant rows first, by the size of the change; then the rest by size. */
static int row_cmp(const void *a, const void *b)
{
	const struct diff_row *x = a, *y = b;
	double dx = fabs(x->t.now - x->t.base), dy = fabs(y->t.now - y->t.base);
	double sx = fmax(x->t.now, x->t.base), sy = fmax(y->t.now, y->t.base);

	if (x->sig != y->sig)
		return x->sig ? -1 : 1;
	if (x->sig)
		return (dx < dy) - (dx > dy);
	return (sx < sy) - (sx > sy);
}

static const char *unit_name(const struct diff_ctx *c)
{
	if (c->by == DIFF_BY_SHARE)
		return "share of all samples";
	return c->has_time ? "estimated time per run" : "samples per run (no sampling rate in "
		"collapsed input)";
}

static void print_json(const struct diff_ctx *c, double alpha, size_t nsig, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t nb = 0, nn = 0;

	for (size_t i = 0; i < c->nruns; i++)
		*(c->runs[i].side ? &nn : &nb) += 1;
	strbuf_addf(&sb, "{\"by\":\"%s\",\"unit\":\"%s\",\"alpha\":%g,\"tests\":%zu,"
		    "\"significant\":%zu,\"runs\":{\"base\":[", c->by == DIFF_BY_SHARE ?
		    "share" : "time", c->by == DIFF_BY_SHARE ? "fraction" : c->has_time ?
		    "seconds" : "samples", alpha, c->ntested, nsig);
	for (int s = 0; s < 2; s++) {
		size_t k = 0;

		if (s)
			strbuf_addstr(&sb, "],\"new\":[");
		for (size_t i = 0; i < c->nruns; i++) {
			if (c->runs[i].side != s)
				continue;
			strbuf_addf(&sb, "%s{\"file\":", k++ ? "," : "");
			textenc__add_json_string(&sb, c->runs[i].label, strlen(c->runs[i].label));
			strbuf_addf(&sb, ",\"samples\":%" PRIu64 "}", c->runs[i].samples);
		}
	}
	strbuf_addstr(&sb, "]},\"functions\":[");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct diff_row *r = &c->rows[i];
		const char *name = fn_name(c, r->label);

		strbuf_addstr(&sb, i ? ",\n{\"function\":" : "\n{\"function\":");
		textenc__add_json_string(&sb, name, strlen(name));
		strbuf_addf(&sb, ",\"kind\":\"%s\",\"base\":%.9g,\"new\":%.9g,", kind_name[r->kind],
			    r->t.base, r->t.now);
		if (isinf(r->t.change_pct))
			strbuf_addstr(&sb, "\"change_pct\":null,");
		else
			strbuf_addf(&sb, "\"change_pct\":%.4f,", r->t.change_pct);
		strbuf_addf(&sb, "\"p\":%.6g,\"dispersion\":%.4g,\"df\":%g,\"tested\":%s,"
			    "\"significant\":%s}", r->t.p, r->t.dispersion, r->t.df,
			    r->tested ? "true" : "false", r->sig ? "true" : "false");
	}
	strbuf_addstr(&sb, "\n]}\n");
	fputs(sb.buf, out);
	strbuf_release(&sb);
}

static void print_table(const struct diff_ctx *c, enum diff_table fmt, double alpha,
			size_t top, FILE *out)
{
	struct strbuf sb = STRBUF_INIT, v1 = STRBUF_INIT, v2 = STRBUF_INIT, ch = STRBUF_INIT;
	size_t nsig = 0, nb = 0, nn = 0, shown = 0;
	int md = fmt == DIFF_TABLE_MD;

	for (size_t i = 0; i < c->nrows; i++)
		nsig += c->rows[i].sig;
	if (fmt == DIFF_TABLE_JSON) {
		print_json(c, alpha, nsig, out);
		return;
	}
	for (size_t i = 0; i < c->nruns; i++)
		*(c->runs[i].side ? &nn : &nb) += 1;
	fprintf(out, "%spyflame diff: %zu base run%s, %zu new run%s; %s; %zu of %zu changes "
		"significant at alpha %g (for the whole report)%s\n", md ? "### " : "", nb,
		nb == 1 ? "" : "s", nn, nn == 1 ? "" : "s", unit_name(c), nsig, c->ntested, alpha,
		md ? "\n" : "");
	if (md)
		fputs("| base | new | change | p | significant | kind | function |\n"
		      "|---:|---:|---:|---:|:-:|:-|:-|\n", out);
	else
		fprintf(out, "%12s %12s %8s %9s %3s %-5s  %s\n", "base", "new", "change", "p", "",
			"kind", "function");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct diff_row *r = &c->rows[i];

		if (!r->sig && shown >= top)
			break;
		shown += !r->sig;
		strbuf_reset(&v1);
		strbuf_reset(&v2);
		strbuf_reset(&ch);
		add_value(c, &v1, r->t.base);
		add_value(c, &v2, r->t.now);
		add_change(&ch, r->t.change_pct);
		strbuf_reset(&sb);
		if (md) {
			strbuf_addf(&sb, "| %s | %s | %s | %.2g | %s | %s | `", v1.buf, v2.buf, ch.buf,
				    r->t.p, r->sig ? "**yes**" : "no", kind_name[r->kind]);
			for (const char *s = fn_name(c, r->label); *s; s++)
				strbuf_addstr(&sb, *s == '`' ? "'" : *s == '|' ? "\\|" : (char[2]){ *s, 0 });
			strbuf_addstr(&sb, "` |");
		} else {
			strbuf_addf(&sb, "%12s %12s %8s %9.2g %3s %-5s  %s", v1.buf, v2.buf, ch.buf,
				    r->t.p, r->sig ? "*" : "", kind_name[r->kind], fn_name(c, r->label));
		}
		fprintf(out, "%s\n", sb.buf);
	}
	if (!md)
		fputs("(* significant; p: two-sided, before Holm's correction)\n", out);
	strbuf_release(&sb);
	strbuf_release(&v1);
	strbuf_release(&v2);
	strbuf_release(&ch);
}

/* --- the gate ------------------------------------------------------------------------ */

struct grew {
	uint32_t label;
	double delta;
};

static int grew_cmp(const void *a, const void *b)
{
	double x = ((const struct grew *)a)->delta, y = ((const struct grew *)b)->delta;

	return (x < y) - (x > y);
}

/* Name the functions whose own time under label grew most (stderr). */
static void print_grew_inside(const struct diff_ctx *c, uint32_t label)
{
	const struct pf_paths *fp = c->fn->paths;
	size_t nl = strtab__count(fp->labels), k = 0;
	double *b = xcalloc(nl + 1, sizeof(*b)), *n = xcalloc(nl + 1, sizeof(*n));
	struct grew *g = xcalloc(nl + 1, sizeof(*g));
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < fp->n; i++) {
		const uint32_t *lab = fp->data + fp->off[i];
		uint32_t leaf = UINT32_MAX;
		int inside = 0;

		for (uint32_t j = 0; j < fp->len[i]; j++) {
			if (lab[j] == label)
				inside = 1;
			else if (inside && fp->kind[lab[j]] == PF_LABEL_FRAME)
				leaf = lab[j];
		}
		if (leaf == UINT32_MAX)
			continue;
		b[leaf] += (double)c->fn->base[i];
		n[leaf] += (double)fp->count[i];
	}
	for (uint32_t l = 0; l < nl; l++) {
		double d = n[l] / c->exposure[1] - b[l] / c->exposure[0];

		if (d > 0)
			g[k++] = (struct grew){ l, d };
	}
	qsort(g, k, sizeof(*g), grew_cmp);
	for (size_t i = 0; i < k && i < DIFF_GREW_INSIDE; i++) {
		strbuf_reset(&sb);
		add_value(c, &sb, g[i].delta);
		fprintf(stderr, "    grew inside it: +%s  %s\n", sb.buf, fn_name(c, g[i].label));
	}
	strbuf_release(&sb);
	free(g);
	free(b);
	free(n);
}

/* The functions significantly slower by more than pct; 1 if any (named on stderr). */
static int gate(const struct diff_ctx *c, double pct)
{
	struct strbuf v1 = STRBUF_INIT, v2 = STRBUF_INIT;
	int slower = 0;

	for (size_t i = 0; i < c->nrows; i++) {
		const struct diff_row *r = &c->rows[i];

		if (!r->sig || !(r->t.change_pct > pct))
			continue;
		strbuf_reset(&v1);
		strbuf_reset(&v2);
		add_value(c, &v1, r->t.base);
		add_value(c, &v2, r->t.now);
		if (isinf(r->t.change_pct))
			pf_error(0, "slower: %s (%s time): new, %s per run (p = %.2g)",
				 fn_name(c, r->label), kind_name[r->kind], v2.buf, r->t.p);
		else
			pf_error(0, "slower: %s (%s time): %+.1f%%, %s -> %s per run (p = %.2g)",
				 fn_name(c, r->label), kind_name[r->kind], r->t.change_pct, v1.buf,
				 v2.buf, r->t.p);
		if (r->kind == DIFF_TOTAL)
			print_grew_inside(c, r->label);
		slower = 1;
	}
	if (slower)
		pf_hint("significant at alpha for the whole report; the threshold is "
			"--fail-if-slower %g%%", pct);
	strbuf_release(&v1);
	strbuf_release(&v2);
	return slower;
}

/* The graph's labels whose function has no significant total change: drawn grey. */
static uint8_t *neutral_labels(const struct diff_ctx *c, size_t *n)
{
	const struct pf_paths *gp = c->graph->paths;
	size_t nl = strtab__count(gp->labels), nfn = strtab__count(c->fn->paths->labels);
	uint8_t *sig_fn = xcalloc(nfn + 1, 1), *neutral = xcalloc(nl + 1, 1);
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].kind == DIFF_TOTAL && c->rows[i].sig)
			sig_fn[c->rows[i].label] = 1;
	for (uint32_t l = 0; l < nl; l++) {
		uint32_t id;

		if (gp->kind[l] != PF_LABEL_FRAME) {
			neutral[l] = gp->kind[l] != PF_LABEL_PROCESS;
			continue;
		}
		pf_diff__function_label(&sb, strtab__get(gp->labels, l), strtab__len(gp->labels, l));
		id = pf_diff__label(c->fn, sb.buf, sb.len, PF_LABEL_FRAME);
		neutral[l] = id >= nfn || !sig_fn[id];
	}
	strbuf_release(&sb);
	free(sig_fn);
	*n = nl;
	return neutral;
}

/* Write one prepared output and put it in place; reports its own error. */
static int write_output(struct out_file *f, const struct pf_diff *d,
			const struct diff_svg_opts *so)
{
	const char *what = f->final ? f->final : "standard output";
	FILE *fp = stdout;
	int err, fd;

	if (f->final) {
		/* a descriptor of its own for stdio: f->fd stays open for the commit */
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0 || !(fp = fdopen(fd, "w"))) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	err = f->format == PF_FORMAT_SVG ? writer_svg__write_diff(d, so, fp, NULL) :
		pf_diff__write_collapsed(d, fp);
	if (f->final) {
		if (fclose(fp) && !err)
			err = -errno;
		if (!err)
			err = outputs__commit(f);
	} else if (fflush(fp) && !err) {
		err = -errno;
	}
out:
	if (err == -EEXIST) {
		pf_error(0, "refusing to write '%s': it changed into something pyflame may not "
			 "replace", what);
		return err;
	}
	if (err) {
		pf_error(err, "cannot write '%s'", what);
		return err;
	}
	return 0;
}

/* "10", "10%", "2.5%" -> 10, 2.5; -1 if malformed. */
static double parse_pct(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0 || v > 1e6)
		return -1;
	if (*end == '%')
		end++;
	return *end ? -1 : v;
}

static void add_run(struct diff_ctx *c, const char *path, int side)
{
	c->runs = xrealloc(c->runs, (c->nruns + 1) * sizeof(*c->runs));
	memset(&c->runs[c->nruns], 0, sizeof(*c->runs));
	c->runs[c->nruns].path = path;
	c->runs[c->nruns].label = xstrdup(path);
	c->runs[c->nruns].side = side;
	c->nruns++;
}

/*
 * A raw log of `pyflame run --repeat N` is N runs of its side: each repeat becomes a run
 * of its own, so the spread between them counts as it does for separate files.
 */
static void expand_repeats(struct diff_ctx *c)
{
	struct diff_run *old = c->runs;
	size_t n = c->nruns;

	c->runs = NULL;
	c->nruns = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned reps = merge__repeats(old[i].path);

		if (reps <= 1) {
			c->runs = xrealloc(c->runs, (c->nruns + 1) * sizeof(*c->runs));
			c->runs[c->nruns++] = old[i];
			continue;
		}
		pf_info("'%s': %u repeats, compared one by one", old[i].path, reps);
		for (unsigned k = 1; k <= reps; k++) {
			struct strbuf sb = STRBUF_INIT;

			add_run(c, old[i].path, old[i].side);
			c->runs[c->nruns - 1].repeat = k;
			strbuf_addf(&sb, "%s#%u", old[i].path, k);
			free(c->runs[c->nruns - 1].label);
			c->runs[c->nruns - 1].label = strbuf_detach(&sb, NULL);
		}
		free(old[i].label);
	}
	free(old);
}

/* The runs of one side, for the graph's subtitle: "a.raw" or "a.raw + 2 more". */
static char *side_name(const struct diff_ctx *c, int side)
{
	struct strbuf sb = STRBUF_INIT;
	const char *first = NULL;
	size_t n = 0, files = 0;

	for (size_t i = 0; i < c->nruns; i++) {
		if (c->runs[i].side != side)
			continue;
		n++;
		if (!first) {
			first = c->runs[i].path;
			strbuf_addstr(&sb, first);
			files = 1;
		} else if (c->runs[i].path != c->runs[i - 1].path) {
			files++;	/* the repeats of one file are next to each other */
		}
	}
	if (files == 1 && n > 1)
		strbuf_addf(&sb, " (%zu repeats)", n);
	else if (files > 1)
		strbuf_addf(&sb, " + %zu more (%zu runs)", files - 1, n);
	return strbuf_detach(&sb, NULL);
}

int cmd_diff(const struct diff_cmd_opts *co)
{
	struct diff_opts o = co->diff;
	struct diff_svg_opts so = { .title = co->title };
	struct diff_ctx c = { .by = DIFF_BY_TIME };
	struct out_file *files = NULL;
	const char **paths = NULL, *const *prefixes = co->prefixes;
	size_t npaths = 0, nfiles = 0, nprefixes = co->nprefixes, top = DIFF_TOP_DEFAULT;
	size_t nb = co->nbase, nn = co->nnew;
	enum diff_table table = DIFF_TABLE_TEXT;
	double alpha = DIFF_ALPHA_DEFAULT, fail_pct = -1;
	int status = PF_EXIT_USAGE, by_given = co->by != NULL;
	char *dflt = NULL, *base_name = NULL, *new_name = NULL, *end;
	uint8_t *neutral = NULL, *written = NULL;

	if (co->alpha) {
		errno = 0;
		alpha = strtod(co->alpha, &end);
		if (errno || end == co->alpha || *end || !(alpha > 0 && alpha < 1)) {
			status = usage_error("invalid alpha '%s' (want a number between 0 and 1, "
					     "e.g. 0.01)", co->alpha);
			goto out;
		}
	}
	if (co->by && !strcmp(co->by, "share")) {
		c.by = DIFF_BY_SHARE;
	} else if (co->by && strcmp(co->by, "time")) {
		status = usage_error("unknown measure '%s' (want time or share)", co->by);
		goto out;
	}
	if (co->format && (!strcmp(co->format, "md") || !strcmp(co->format, "markdown"))) {
		table = DIFF_TABLE_MD;
	} else if (co->format && !strcmp(co->format, "json")) {
		table = DIFF_TABLE_JSON;
	} else if (co->format && strcmp(co->format, "text")) {
		status = usage_error("unknown table format '%s' (want text, md or json)",
				     co->format);
		goto out;
	}
	if (co->top) {
		unsigned long v;

		errno = 0;
		v = strtoul(co->top, &end, 10);
		if (errno || end == co->top || *end || co->top[0] == '-' || v > 100000) {
			status = usage_error("invalid row count '%s' (want 0 to 100000)", co->top);
			goto out;
		}
		top = v;
	}
	if (co->fail_if_slower) {
		fail_pct = parse_pct(co->fail_if_slower);
		if (fail_pct < 0) {
			status = usage_error("invalid threshold '%s' (want a percentage, e.g. "
					     "10%%)", co->fail_if_slower);
			goto out;
		}
	}
	for (size_t i = 0; i < co->nbase; i++)
		add_run(&c, co->base[i], PF_DIFF_BASE);
	for (size_t i = 0; i < co->nnew; i++)
		add_run(&c, co->new[i], PF_DIFF_NEW);
	if (!nb && !nn) {
		if (co->noperands != 2) {
			status = usage_error("%s", "want two profiles: pyflame diff [OPTIONS] BASE NEW "
					     "(or --base BASE... NEW...)");
			goto out;
		}
		add_run(&c, co->operands[0], PF_DIFF_BASE);
		add_run(&c, co->operands[1], PF_DIFF_NEW);
		nb = nn = 1;
	} else {
		/* operands are NEW runs after --base, BASE runs with --new alone */
		int side = nb ? PF_DIFF_NEW : PF_DIFF_BASE;

		for (size_t i = 0; i < co->noperands; i++) {
			add_run(&c, co->operands[i], side);
			*(side == PF_DIFF_NEW ? &nn : &nb) += 1;
		}
		if (!nb || !nn) {
			status = usage_error("%s", nb ? "no new run: pyflame diff --base BASE... NEW..." :
					     "no base run: pyflame diff --base BASE... NEW...");
			goto out;
		}
	}
	if (co->noutputs) {
		paths = xcalloc(co->noutputs, sizeof(*paths));
		memcpy(paths, co->outputs, co->noutputs * sizeof(*paths));
		npaths = co->noutputs;
	}
	expand_repeats(&c);
	if (fail_pct >= 0 && by_given && c.by == DIFF_BY_SHARE) {
		status = usage_error("%s", "--fail-if-slower compares time, not --by share");
		goto out;
	}
	for (size_t i = 0; i < npaths; i++)
		if (!strcmp(paths[i], "-"))
			table = DIFF_TABLE_NONE;	/* standard output holds the text */
	base_name = side_name(&c, PF_DIFF_BASE);
	new_name = side_name(&c, PF_DIFF_NEW);
	so.base_name = base_name;
	so.new_name = new_name;
	if (!npaths) {
		for (size_t i = 0; i < c.nruns && !dflt; i++)
			if (c.runs[i].side == PF_DIFF_NEW)
				dflt = default_output(c.runs[i].path);
		paths = xrealloc(paths, sizeof(*paths));
		paths[npaths++] = dflt;
	}
	/* Check every output before reading anything: a typo costs nothing. */
	for (size_t i = 0; i < npaths; i++) {
		enum pf_format f = strcmp(paths[i], "-") ? pf_format__from_path(paths[i]) :
			PF_FORMAT_COLLAPSED;

		if (f != PF_FORMAT_SVG && f != PF_FORMAT_COLLAPSED) {
			status = usage_error("cannot write a diff to '%s' (use .svg, or .txt "
					     ".folded .collapsed for the text)", paths[i]);
			goto out;
		}
	}
	files = xcalloc(npaths, sizeof(*files));
	written = xcalloc(npaths, 1);
	for (size_t i = 0; i < npaths; i++)
		files[i].fd = files[i].dirfd = -1;
	for (nfiles = 0; nfiles < npaths; nfiles++) {
		enum pf_format f = strcmp(paths[nfiles], "-") ? pf_format__from_path(paths[nfiles]) :
			PF_FORMAT_COLLAPSED;

		if (outputs__open(&files[nfiles], paths[nfiles], f))
			goto out;
	}

	c.graph = pf_diff__new();
	c.fn = pf_diff__new();
	{
		struct merge_opts mo = { .prefixes = prefixes, .nprefixes = nprefixes };

		c.has_time = 1;
		for (size_t i = 0; i < c.nruns; i++) {
			if (load_run(&c, &c.runs[i], &o, &mo))
				goto out;
			if (!(c.runs[i].period_s > 0))
				c.has_time = 0;
		}
	}
	test_functions(&c, alpha);
	qsort(c.rows, c.nrows, sizeof(*c.rows), row_cmp);
	neutral = neutral_labels(&c, &so.nneutral);
	so.neutral = neutral;
	if (c.has_time) {
		double sum[2] = { 0, 0 };
		size_t n[2] = { 0, 0 };

		for (size_t i = 0; i < c.nruns; i++) {
			int k = c.runs[i].side == PF_DIFF_NEW;

			sum[k] += c.runs[i].period_s;
			n[k]++;
		}
		if (n[0] && n[1]) {
			so.base_unit = sum[0] / (double)n[0] / (double)n[0];
			so.new_unit = sum[1] / (double)n[1] / (double)n[1];
		}
	}

	status = 0;
	for (size_t i = 0; i < nfiles; i++) {
		if (write_output(&files[i], c.graph, &so))
			status = PF_EXIT_FAILURE;
		else
			written[i] = 1;
	}
	if (table != DIFF_TABLE_NONE) {
		print_table(&c, table, alpha, top, stdout);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			pf_error(-errno, "cannot write the table to standard output");
			status = PF_EXIT_FAILURE;
		}
	}
	if (!pf_quiet) {
		struct pf_diff_stats st;

		writer_svg__diff_stats(c.graph, &so, &st);
		fprintf(stderr, "pyflame: diff: base %" PRIu64 " samples ('%s'), new %" PRIu64
			" samples ('%s'); %.1f%% of base samples are in stacks absent from new\n",
			c.graph->base_total, base_name, c.graph->paths->total, new_name,
			st.vanished_pct);
		if (st.grew)
			fprintf(stderr, "  grew most:   %+7.2f points  %s\n", st.max_grew, st.grew);
		if (st.shrank)
			fprintf(stderr, "  shrank most: %+7.2f points  %s\n", st.max_shrank, st.shrank);
		for (size_t i = 0; i < nfiles; i++)
			if (files[i].final && written[i])
				fprintf(stderr, "  wrote %s\n", files[i].final);
	}
	if (!status && fail_pct >= 0 && gate(&c, fail_pct))
		status = DIFF_EXIT_SLOWER;
out:
	for (size_t i = 0; i < nfiles; i++)
		outputs__discard(&files[i]);
	for (size_t i = 0; i < c.nruns; i++)
		for (int k = 0; k < DIFF_NKINDS; k++)
			free(c.runs[i].count[k]);
	for (size_t i = 0; i < c.nruns; i++)
		free(c.runs[i].label);
	free(c.runs);
	free(c.rows);
	pf_diff__free(c.graph);
	pf_diff__free(c.fn);
	free(neutral);
	free(written);
	free(files);
	free(paths);
	free(dflt);
	free(base_name);
	free(new_name);
	return status;
}
