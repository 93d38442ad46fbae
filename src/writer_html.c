/*
 * writer_html.c - annotated source: one self-contained HTML page (no script, no link out)
 * with the hottest lines, the hottest functions and, for the hottest files, their source
 * with each line's own and total samples as a heat colour.
 *
 *   own    samples in which the line was the innermost frame and its thread running
 *   idle   samples in which it was the innermost frame of a waiting thread (wall mode)
 *   total  samples in which it was anywhere on the stack (once per stack)
 *
 * A line is (file, line number), whatever function it is in.  Sources are read when the
 * page is written (the end of the run, or `pyflame report`), from the paths in the
 * profile: regular files only, at most HTML_MAX_SOURCE bytes each; a file that cannot be
 * read is listed with the reason.  Files longer than HTML_FULL_LINES lines show only the
 * sampled lines with HTML_CONTEXT lines around them.  Every string (source text, names,
 * paths, the title) goes through textenc__add_html: the page is correct for any bytes.
 * Each sampled line's row carries data-line, data-own, data-idle and data-total, and each
 * file's section data-file, for tools and tests.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pyflame/meta.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define HTML_MAX_FILES	 20		/* files shown with their source */
#define HTML_MAX_SOURCE	 (1u << 20)	/* bytes read of one source file */
#define HTML_FULL_LINES	 500 		/* longer files show windows around sampled lines */
#define HTML_CONTEXT	 8		/* lines around a sampled line in a window */
#define HTML_TOP_LINES	 30		/* rows of the hot lines table */
#define HTML_TOP_FUNCS	 30		/* rows of the hot functions table */

struct source {
	struct strbuf text;
	const char **starts;		/* start of each line */
	size_t nlines;
	int err;			/* 0, or -errno: not read */
	int cut;			/* longer than HTML_MAX_SOURCE */
};

/* A sampled line: every frame at (file, line), whatever its function. */
struct hline {
	uint32_t file;
	int32_t line;
	uint64_t own, idle, total;
	size_t stamp;			/* last row (+1) that counted total */
	uint32_t func;			/* a function with a frame here (the first seen) */
};

struct hfile {
	uint32_t file;
	size_t first, n;		/* its lines: lines[first .. first + n), by line number */
	uint64_t own, idle, total;	/* own and idle summed; total: its hottest line's */
	uint64_t unknown;		/* own + idle samples of frames without a line */
};

struct hfunc {
	uint32_t name, file;
	int32_t line;			/* smallest sampled line, -1 none */
	uint64_t own, total;
	size_t stamp;
};

struct html {
	const struct profile *p;
	struct hline *lines;
	size_t nlines;
	uint32_t *line_of;		/* per frame: index into lines, UINT32_MAX (no line) */
	struct hfile *files;
	size_t nfiles;
	uint32_t *file_index;		/* per line: index into files */
	struct hfunc *funcs;
	size_t nfuncs;
	uint32_t *func_of;		/* per frame */
	uint64_t max_own, max_total;	/* over lines, for the colours */
	uint32_t *shown;		/* files[shown[i]] is the i-th hottest */
	struct source *src;		/* the source of shown file i */
};

static const struct profile *sort_profile;	/* qsort() has no context argument */

static int frame_by_file_line(const void *a, const void *b)
{
	const struct pf_frame *x = &sort_profile->frames[*(const uint32_t *)a];
	const struct pf_frame *y = &sort_profile->frames[*(const uint32_t *)b];

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* Lines: frames sorted by (file, line); equal pairs share one line. */
static void group_lines(struct html *h)
{
	const struct profile *p = h->p;
	uint32_t *order = xcalloc(p->nframes + 1, sizeof(*order));

	h->lines = xcalloc(p->nframes + 1, sizeof(*h->lines));
	h->line_of = xcalloc(p->nframes + 1, sizeof(*h->line_of));
	for (size_t i = 0; i < p->nframes; i++)
		order[i] = (uint32_t)i;
	sort_profile = p;
	qsort(order, p->nframes, sizeof(*order), frame_by_file_line);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct pf_frame *f = &p->frames[order[i]];
		struct hline *last = h->nlines ? &h->lines[h->nlines - 1] : NULL;

		if (f->line < 0) {
			h->line_of[order[i]] = UINT32_MAX;
			continue;
		}
		if (!last || last->file != f->file || last->line != f->line) {
			last = &h->lines[h->nlines++];
			last->file = f->file;
			last->line = f->line;
			last->func = h->func_of[order[i]];
		}
		h->line_of[order[i]] = (uint32_t)(last - h->lines);
	}
	free(order);
}

static void count_rows(struct html *h)
{
	const struct profile *p = h->p;

	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const uint32_t *st;
		uint32_t len, leaf;
		int idle = !!(row->flags & PF_SAMPLE_IDLE);

		if (row->stack >= p->nstacks || !row->count)
			continue;
		st = p->stack_data + p->stack_off[row->stack];
		len = p->stack_len[row->stack];
		for (uint32_t i = 0; i < len; i++) {
			uint32_t l;
			struct hfunc *fn;

			if (st[i] >= p->nframes)
				continue;
			fn = &h->funcs[h->func_of[st[i]]];
			if (fn->stamp != r + 1) {
				fn->stamp = r + 1;
				fn->total += row->count;
			}
			l = h->line_of[st[i]];
			if (l != UINT32_MAX && h->lines[l].stamp != r + 1) {
				h->lines[l].stamp = r + 1;
				h->lines[l].total += row->count;
			}
		}
		if (!len || st[len - 1] >= p->nframes)
			continue;
		leaf = h->line_of[st[len - 1]];
		if (!idle)
			h->funcs[h->func_of[st[len - 1]]].own += row->count;
		if (leaf == UINT32_MAX)
			continue;
		if (idle)
			h->lines[leaf].idle += row->count;
		else
			h->lines[leaf].own += row->count;
	}
}

/* Files: runs of lines with one file id; unknown-line samples counted apart. */
static void group_files(struct html *h)
{
	h->files = xcalloc(h->nlines + 1, sizeof(*h->files));
	h->file_index = xcalloc(h->nlines + 1, sizeof(*h->file_index));
	for (size_t i = 0; i < h->nlines; i++) {
		struct hline *l = &h->lines[i];
		struct hfile *f = h->nfiles ? &h->files[h->nfiles - 1] : NULL;

		if (!f || f->file != l->file) {
			f = &h->files[h->nfiles++];
			f->file = l->file;
			f->first = i;
		}
		f->n++;
		f->own += l->own;
		f->idle += l->idle;
		if (l->total > f->total)
			f->total = l->total;
		if (l->own > h->max_own)
			h->max_own = l->own;
		if (l->total > h->max_total)
			h->max_total = l->total;
		h->file_index[i] = (uint32_t)(f - h->files);
	}
}

static int file_by_heat(const void *a, const void *b)
{
	const struct hfile *x = a, *y = b;

	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(strtab__get(sort_profile->strings, x->file),
		      strtab__get(sort_profile->strings, y->file));
}

static int line_by_own(const void *a, const void *b)
{
	const struct hline *x = *(const struct hline *const *)a;
	const struct hline *y = *(const struct hline *const *)b;
	int c;

	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	c = strcmp(strtab__get(sort_profile->strings, x->file),
		   strtab__get(sort_profile->strings, y->file));
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int func_by_own(const void *a, const void *b)
{
	const struct hfunc *x = *(const struct hfunc *const *)a;
	const struct hfunc *y = *(const struct hfunc *const *)b;
	int c;

	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	c = strcmp(strtab__get(sort_profile->strings, x->name),
		   strtab__get(sort_profile->strings, y->name));
	return c ? c : strcmp(strtab__get(sort_profile->strings, x->file),
			      strtab__get(sort_profile->strings, y->file));
}

static void add_str(struct strbuf *sb, const struct profile *p, uint32_t id)
{
	textenc__add_html(sb, strtab__get(p->strings, id), strtab__len(p->strings, id));
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* The heat of a count against the largest: a background colour, transparent when 0. */
static void add_heat(struct strbuf *sb, uint64_t n, uint64_t max, int hue)
{
	double a = max ? (double)n / (double)max : 0;

	if (!n)
		return;
	strbuf_addf(sb, " style=\"background:hsla(%d,95%%,55%%,%.3f)\"", hue, 0.08 + 0.8 * a);
}

/* Where line l of a shown file is: "#fF-L", F its place among the shown files. */
static long shown_index(const struct html *h, uint32_t file)
{
	for (size_t i = 0; i < h->nfiles && i < HTML_MAX_FILES; i++)
		if (h->files[h->shown[i]].file == file)
			return (long)i;
	return -1;
}

/* own, %, total, % cells; own coloured against the hottest of its table (max) */
static void add_counts(struct strbuf *sb, const struct html *h, uint64_t own, uint64_t total,
		       uint64_t max)
{
	strbuf_addstr(sb, "<td class=\"n\"");
	add_heat(sb, own, max, 8);
	strbuf_addf(sb, ">%" PRIu64 "</td><td class=\"n\">%.1f%%</td>"
		    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%.1f%%</td>", own,
		    share(own, h->p->total), total, share(total, h->p->total));
}

static void add_head(struct strbuf *sb, const struct profile *p, const struct output_opts *o)
{
	const struct pf_meta *m = &p->meta;
	const char *title = o && o->title ? o->title : m->command ? m->command : "profile";
	struct strbuf v = STRBUF_INIT;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta name=\"generator\" content=\"pyflame\">\n<title>pyflame: ");
	textenc__add_html(sb, title, strlen(title));
	strbuf_addstr(sb, "</title>\n<style>\n"
		"body{font:14px system-ui,sans-serif;margin:1em 2em;color:#222}\n"
		"table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
		"td,th{padding:0 .6em;text-align:left;vertical-align:top}\n"
		"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
		"table.src td{padding:0 .5em}\n"
		"table.src td.ln{color:#888;text-align:right;border-right:1px solid #ccc}\n"
		"table.src td.ln a{color:inherit;text-decoration:none}\n"
		"td.code,code{font:13px ui-monospace,monospace;white-space:pre}\n"
		"tr.gap td{color:#888;font-style:italic}\n"
		"tr:target td{outline:2px solid #36c}\n"
		".facts{color:#555}\n"
		"</style></head>\n<body>\n<h1>");
	textenc__add_html(sb, title, strlen(title));
	strbuf_addstr(sb, "</h1>\n<p class=\"facts\">");
	strbuf_addf(sb, "%" PRIu64 " samples from %zu Python process%s, %zu thread%s", p->total,
		    p->nprocs, p->nprocs == 1 ? "" : "es", p->nthreads,
		    p->nthreads == 1 ? "" : "s");
	pf_meta__python_versions(p, &v);
	if (v.len) {
		strbuf_addstr(sb, "; Python ");
		textenc__add_html(sb, v.buf, v.len);
	}
	if (m->mode && *m->mode) {
		strbuf_addstr(sb, "; mode ");
		textenc__add_html(sb, m->mode, strlen(m->mode));
	}
	if (pf_meta__achieved_hz(m) > 0)
		strbuf_addf(sb, "; %.4g Hz achieved", pf_meta__achieved_hz(m));
	if (m->duration_ns)
		strbuf_addf(sb, "; %.1f s", (double)m->duration_ns / 1e9);
	if (m->dropped)
		strbuf_addf(sb, "; %" PRIu64 " dropped", m->dropped);
	strbuf_addstr(sb, ".  <b>own</b>: samples in which the line was running, innermost; "
		      "<b>total</b>: samples in which it was anywhere on the stack; "
		      "<b>idle</b>: innermost in a waiting thread.</p>\n");
	strbuf_release(&v);
}

static void add_line_link(struct strbuf *sb, const struct html *h, uint32_t file, int32_t line)
{
	long fi = shown_index(h, file);
	const char *path = strtab__get(h->p->strings, file);

	if (fi >= 0)
		strbuf_addf(sb, "<a href=\"#f%ld-%" PRId32 "\">", fi, line);
	textenc__add_html(sb, pf_short_file(path), strlen(pf_short_file(path)));
	if (line >= 0)
		strbuf_addf(sb, ":%" PRId32, line);
	if (fi >= 0)
		strbuf_addstr(sb, "</a>");
}

/* The text of line n (1-based) of src, or NULL past its end; *len its length. */
static const char *nth_line(const char *const *starts, size_t nstarts, const char *end,
			    int32_t n, size_t *len)
{
	const char *s, *e;

	if (n < 1 || (size_t)n > nstarts)
		return NULL;
	s = starts[n - 1];
	e = (size_t)n < nstarts ? starts[n] - 1 : end;	/* without its '\n' */
	if (e > s && e[-1] == '\r')
		e--;
	*len = (size_t)(e - s);
	return s;
}


static void source_read(struct source *s, const char *path)
{
	struct stat st;
	size_t alloc = 0;

	strbuf_init(&s->text);
	s->starts = NULL;
	s->nlines = 0;
	s->cut = 0;
	if (stat(path, &st) < 0) {
		s->err = -errno;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		s->err = -EINVAL;
		return;
	}
	s->err = pf_read_file(path, &s->text, HTML_MAX_SOURCE);
	if (s->err)
		return;
	s->cut = st.st_size > (off_t)HTML_MAX_SOURCE;
	for (size_t i = 0; i < s->text.len; i++) {
		if (i == 0 || s->text.buf[i - 1] == '\n') {
			xgrow((void **)&s->starts, &alloc, s->nlines + 1, sizeof(*s->starts));
			s->starts[s->nlines++] = s->text.buf + i;
		}
	}
}

static void source_free(struct source *s)
{
	strbuf_release(&s->text);
	free(s->starts);
}

static void add_code(struct strbuf *sb, const struct source *s, int32_t line)
{
	size_t len;
	const char *t = s->err ? NULL : nth_line(s->starts, s->nlines,
						  s->text.buf + s->text.len, line, &len);

	if (t)
		textenc__add_html(sb, t, len);
}

static void add_source_row(struct strbuf *sb, const struct html *h, size_t fi,
			   const struct source *s, int32_t n, const struct hline *l)
{
	strbuf_addf(sb, "<tr id=\"f%zu-%" PRId32 "\"", fi, n);
	if (l)
		strbuf_addf(sb, " data-line=\"%" PRId32 "\" data-own=\"%" PRIu64
			    "\" data-idle=\"%" PRIu64 "\" data-total=\"%" PRIu64 "\"",
			    n, l->own, l->idle, l->total);
	strbuf_addstr(sb, ">");
	if (l) {
		strbuf_addstr(sb, "<td class=\"n\"");
		add_heat(sb, l->own, h->max_own, 8);
		strbuf_addf(sb, ">%" PRIu64 "</td><td class=\"n\">", l->own);
		if (l->idle)
			strbuf_addf(sb, "%" PRIu64, l->idle);
		strbuf_addstr(sb, "</td><td class=\"n\"");
		add_heat(sb, l->total, h->max_total, 35);
		strbuf_addf(sb, ">%" PRIu64 "</td>", l->total);
	} else {
		strbuf_addstr(sb, "<td></td><td></td><td></td>");
	}
	strbuf_addf(sb, "<td class=\"ln\"><a href=\"#f%zu-%" PRId32 "\">%" PRId32 "</a></td>"
		    "<td class=\"code\"", fi, n, n);
	if (l)
		add_heat(sb, l->own, h->max_own, 8);
	strbuf_addstr(sb, ">");
	add_code(sb, s, n);
	strbuf_addstr(sb, "</td></tr>\n");
}

static void add_gap(struct strbuf *sb, int32_t from, int32_t to)
{
	strbuf_addf(sb, "<tr class=\"gap\"><td></td><td></td><td></td><td class=\"ln\"></td>"
		    "<td>lines %" PRId32 "&#8211;%" PRId32 " not shown</td></tr>\n", from, to);
}

/* One file's section: its source with every line, or windows around sampled lines. */
static void add_file(struct strbuf *sb, const struct html *h, size_t fi, struct strbuf *missing)
{
	const struct hfile *f = &h->files[h->shown[fi]];
	const struct hline *lines = h->lines + f->first;
	const struct source s = h->src[fi];
	int32_t last, shown_to = 0;
	size_t k = 0;

	strbuf_addf(sb, "<section id=\"f%zu\" data-file=\"", fi);
	add_str(sb, h->p, f->file);
	strbuf_addstr(sb, "\">\n<h3>");
	add_str(sb, h->p, f->file);
	strbuf_addf(sb, "</h3>\n<p class=\"facts\">own %" PRIu64 " (%.1f%%)", f->own,
		    share(f->own, h->p->total));
	if (f->idle)
		strbuf_addf(sb, ", idle %" PRIu64, f->idle);
	if (s.err) {
		strbuf_addf(sb, "; source not read: %s", strerror(-s.err));
		strbuf_addstr(missing, "<li>");
		add_str(missing, h->p, f->file);
		strbuf_addf(missing, ": %s</li>\n",
			    s.err == -EINVAL ? "not a regular file" : strerror(-s.err));
	} else if (s.cut) {
		strbuf_addf(sb, "; only the first %u KiB read", HTML_MAX_SOURCE >> 10);
	}
	strbuf_addstr(sb, "</p>\n<table class=\"src\"><thead><tr><th class=\"n\">own</th>"
		      "<th class=\"n\">idle</th><th class=\"n\">total</th><th class=\"n\">line</th>"
		      "<th>source</th></tr></thead><tbody>\n");
	last = (int32_t)s.nlines;
	if (f->n && lines[f->n - 1].line > last)
		last = lines[f->n - 1].line;	/* sampled lines past the end: still shown */
	for (int32_t n = 1; n <= last; n++) {
		const struct hline *l = NULL;

		while (k < f->n && lines[k].line < n)
			k++;
		if (k < f->n && lines[k].line == n)
			l = &lines[k];
		if (!s.err && s.nlines <= HTML_FULL_LINES) {
			add_source_row(sb, h, fi, &s, n, l);
			continue;
		}
		/* windows: within HTML_CONTEXT of a sampled line (no text: the line alone) */
		if (!l && (s.err || (!(k < f->n && lines[k].line - n <= HTML_CONTEXT) &&
				     !(k > 0 && n - lines[k - 1].line <= HTML_CONTEXT))))
			continue;
		if (n > shown_to + 1 && !s.err)
			add_gap(sb, shown_to + 1, n - 1);
		add_source_row(sb, h, fi, &s, n, l);
		shown_to = n;
	}
	if (shown_to && shown_to < (int32_t)s.nlines && (s.err || s.nlines > HTML_FULL_LINES))
		add_gap(sb, shown_to + 1, (int32_t)s.nlines);
	strbuf_addstr(sb, "</tbody></table>\n</section>\n");
}

int writer_html__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	struct html h = { .p = p };
	struct strbuf sb = STRBUF_INIT, missing = STRBUF_INIT;
	uint32_t *fn_frame;
	size_t nshown;
	const struct hline **hot;
	const struct hfunc **hotf;
	int ret = 0;

	h.func_of = profile__functions(p, &h.nfuncs, &fn_frame);
	h.funcs = xcalloc(h.nfuncs + 1, sizeof(*h.funcs));
	for (size_t i = 0; i < h.nfuncs; i++) {
		h.funcs[i].name = p->frames[fn_frame[i]].name;
		h.funcs[i].file = p->frames[fn_frame[i]].file;
		h.funcs[i].line = -1;
	}
	for (size_t i = 0; i < p->nframes; i++) {
		struct hfunc *f = &h.funcs[h.func_of[i]];

		if (p->frames[i].line >= 0 && (f->line < 0 || p->frames[i].line < f->line))
			f->line = p->frames[i].line;
	}
	group_lines(&h);
	count_rows(&h);
	group_files(&h);

	/* the files, hottest first; shown[i] = index into h.files */
	sort_profile = p;
	h.shown = xcalloc(h.nfiles + 1, sizeof(*h.shown));
	{
		struct hfile *sorted = xcalloc(h.nfiles + 1, sizeof(*sorted));

		memcpy(sorted, h.files, h.nfiles * sizeof(*sorted));
		qsort(sorted, h.nfiles, sizeof(*sorted), file_by_heat);
		for (size_t i = 0; i < h.nfiles; i++)
			h.shown[i] = h.file_index[sorted[i].first];
		free(sorted);
	}
	nshown = h.nfiles < HTML_MAX_FILES ? h.nfiles : HTML_MAX_FILES;
	h.src = xcalloc(nshown + 1, sizeof(*h.src));
	for (size_t i = 0; i < nshown; i++)
		source_read(&h.src[i], strtab__get(p->strings, h.files[h.shown[i]].file));

	add_head(&sb, p, o);

	/* hot lines */
	hot = xcalloc(h.nlines + 1, sizeof(*hot));
	for (size_t i = 0; i < h.nlines; i++)
		hot[i] = &h.lines[i];
	qsort(hot, h.nlines, sizeof(*hot), line_by_own);
	strbuf_addstr(&sb, "<h2>Hot lines</h2>\n<table class=\"hot\"><thead><tr>"
		      "<th class=\"n\">own</th><th class=\"n\">%</th><th class=\"n\">total</th>"
		      "<th class=\"n\">%</th><th>line</th><th>function</th><th>source</th></tr>"
		      "</thead><tbody>\n");
	for (size_t i = 0; i < h.nlines && i < HTML_TOP_LINES && hot[i]->own; i++) {
		strbuf_addstr(&sb, "<tr>");
		add_counts(&sb, &h, hot[i]->own, hot[i]->total, h.max_own);
		strbuf_addstr(&sb, "<td>");
		add_line_link(&sb, &h, hot[i]->file, hot[i]->line);
		strbuf_addstr(&sb, "</td><td><code>");
		add_str(&sb, p, h.funcs[hot[i]->func].name);
		strbuf_addstr(&sb, "</code></td><td class=\"code\">");
		{
			long fi = shown_index(&h, hot[i]->file);

			if (fi >= 0)
				add_code(&sb, &h.src[fi], hot[i]->line);
		}
		strbuf_addstr(&sb, "</td></tr>\n");
	}
	strbuf_addstr(&sb, "</tbody></table>\n");

	/* hot functions */
	hotf = xcalloc(h.nfuncs + 1, sizeof(*hotf));
	for (size_t i = 0; i < h.nfuncs; i++)
		hotf[i] = &h.funcs[i];
	qsort(hotf, h.nfuncs, sizeof(*hotf), func_by_own);
	strbuf_addstr(&sb, "<h2>Hot functions</h2>\n<table class=\"funcs\"><thead><tr>"
		      "<th class=\"n\">own</th><th class=\"n\">%</th><th class=\"n\">total</th>"
		      "<th class=\"n\">%</th><th>function</th><th>where</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < h.nfuncs && i < HTML_TOP_FUNCS && hotf[i]->total; i++) {
		long fi = shown_index(&h, hotf[i]->file);

		strbuf_addstr(&sb, "<tr>");
		add_counts(&sb, &h, hotf[i]->own, hotf[i]->total, hotf[0]->own);
		strbuf_addstr(&sb, "<td><code>");
		if (fi >= 0 && hotf[i]->line >= 0)
			strbuf_addf(&sb, "<a href=\"#f%ld-%" PRId32 "\">", fi, hotf[i]->line);
		add_str(&sb, p, hotf[i]->name);
		if (fi >= 0 && hotf[i]->line >= 0)
			strbuf_addstr(&sb, "</a>");
		strbuf_addstr(&sb, "</code></td><td>");
		add_line_link(&sb, &h, hotf[i]->file, hotf[i]->line);
		strbuf_addstr(&sb, "</td></tr>\n");
	}
	strbuf_addstr(&sb, "</tbody></table>\n");

	/* files */
	strbuf_addstr(&sb, "<h2>Files</h2>\n<ol>\n");
	for (size_t i = 0; i < h.nfiles && i < HTML_MAX_FILES; i++) {
		const struct hfile *f = &h.files[h.shown[i]];

		strbuf_addf(&sb, "<li><a href=\"#f%zu\">", i);
		add_str(&sb, p, f->file);
		strbuf_addf(&sb, "</a>: own %" PRIu64 " (%.1f%%)</li>\n", f->own,
			    share(f->own, p->total));
	}
	strbuf_addstr(&sb, "</ol>\n");
	if (h.nfiles > HTML_MAX_FILES)
		strbuf_addf(&sb, "<p class=\"facts\">%zu colder files not shown.</p>\n",
			    h.nfiles - HTML_MAX_FILES);
	{
		struct strbuf files = STRBUF_INIT;

		for (size_t i = 0; i < nshown; i++)
			add_file(&files, &h, i, &missing);
		if (missing.len) {
			strbuf_addstr(&sb, "<h2 id=\"missing\">Sources not read</h2>\n<ul "
				      "class=\"missing\">\n");
			strbuf_add(&sb, missing.buf, missing.len);
			strbuf_addstr(&sb, "</ul>\n");
		}
		strbuf_addstr(&sb, "<h2>Source</h2>\n");
		strbuf_add(&sb, files.buf, files.len);
		strbuf_release(&files);
	}
	strbuf_addstr(&sb, "</body></html>\n");

	errno = 0;
	if (fwrite(sb.buf, 1, sb.len, out) != sb.len || fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
	strbuf_release(&sb);
	strbuf_release(&missing);
	free(hot);
	free(hotf);
	for (size_t i = 0; i < nshown; i++)
		source_free(&h.src[i]);
	free(h.src);
	free(h.shown);
	free(fn_frame);
	free(h.func_of);
	free(h.funcs);
	free(h.lines);
	free(h.line_of);
	free(h.files);
	free(h.file_index);
	return ret;
}
