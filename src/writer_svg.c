/*
 * writer_svg.c - a self-contained interactive flame graph.
 *
 * The labelled paths are merged into a tree (children keyed by label), frames narrower
 * than min_width_px are pruned with their subtrees, and the rest is laid out root at the
 * bottom, children sorted by label.  Each frame is a <g data-o data-s> (offset and width in
 * samples) holding a <title> (label, samples, percent), a <rect> and a <text>; a small
 * script does hover details, click-to-zoom, reset and regex search (Ctrl-F).
 *
 * The differential graph (pyflame diff) is the same document drawn from NEW's paths, with
 * BASE's samples walked through NEW's tree: its frames are coloured by the change in their
 * share of all samples (red grew, blue shrank) and carry data-base and data-change, and
 * their titles both counts.  Layout, pruning, escaping and the script are shared.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/diff.h"
#include "pyflame/idtab.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define SVG_WIDTH	1200
#define SVG_PAD		10
#define SVG_FRAME_H	16
#define SVG_FONT	12
#define SVG_CHAR_W	(SVG_FONT * 0.6)	/* monospace advance */
#define SVG_TOP		76		/* title, subtitle, controls */
#define SVG_LEGEND_H	20		/* the diff's legend line, between subtitle and controls */
#define SVG_BOTTOM	40		/* details line, notes */
#define SVG_FLUSH	(1u << 16)

struct node {
	uint32_t label;
	uint32_t parent;
	uint32_t depth;
	uint32_t first_child, next_sibling;	/* node id + 1, 0 = none */
	uint64_t count;
	uint64_t base;			/* diff: BASE's samples through this path */
	uint64_t subtree;		/* nodes in the subtree, this one included */
	uint64_t off;			/* offset in samples from the left edge */
};

struct tree {
	struct node *nodes;
	size_t n, alloc;
	struct idtab children;		/* nodes by hash of (parent, label) */
};

#define NO_NODE UINT32_MAX

/* The child of parent labelled label; created if create, else NO_NODE when absent. */
static uint32_t tree__child(struct tree *t, uint32_t parent, uint32_t label, int create)
{
	uint64_t key = ((uint64_t)parent << 32) | label;
	uint64_t h = pf_hash64(&key, sizeof(key), 7);
	size_t i;
	struct node *nd;
	uint32_t id;

	for (i = idtab__first(&t->children, h); idtab__used(&t->children, i);
	     i = idtab__next(&t->children, i)) {
		id = idtab__id(&t->children, i);
		if (idtab__hash(&t->children, i) == h && t->nodes[id].parent == parent &&
		    t->nodes[id].label == label)
			return id;
	}
	if (!create)
		return NO_NODE;
	xgrow((void **)&t->nodes, &t->alloc, t->n + 1, sizeof(*t->nodes));
	id = (uint32_t)t->n++;
	nd = &t->nodes[id];
	memset(nd, 0, sizeof(*nd));
	nd->label = label;
	nd->parent = parent;
	nd->depth = t->nodes[parent].depth + 1;
	nd->next_sibling = t->nodes[parent].first_child;
	t->nodes[parent].first_child = id + 1;
	idtab__set(&t->children, i, h, id);
	return id;
}

/*
 * Node 0 is the "all" root; its label is UINT32_MAX.  With base (a diff), the nodes are
 * NEW's paths (count > 0) and BASE's samples are added along each path as far as it exists
 * in NEW's tree; those of a path that leaves it are counted in *vanished.
 */
static void tree__build(struct tree *t, const struct pf_paths *pp, const uint64_t *base,
			uint64_t *vanished)
{
	memset(t, 0, sizeof(*t));
	xgrow((void **)&t->nodes, &t->alloc, 1, sizeof(*t->nodes));
	memset(&t->nodes[0], 0, sizeof(t->nodes[0]));
	t->nodes[0].label = UINT32_MAX;
	t->nodes[0].parent = NO_NODE;
	t->n = 1;

	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];
		uint32_t cur = 0;

		if (!pp->count[i])
			continue;
		t->nodes[0].count += pp->count[i];
		for (uint32_t j = 0; j < pp->len[i]; j++) {
			cur = tree__child(t, cur, lab[j], 1);
			t->nodes[cur].count += pp->count[i];
		}
	}
	/* Children are created after their parent, so one backward pass sums subtrees. */
	for (size_t i = t->n; i-- > 0;) {
		t->nodes[i].subtree += 1;
		if (i)
			t->nodes[t->nodes[i].parent].subtree += t->nodes[i].subtree;
	}
	if (!base)
		return;
	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];
		uint32_t cur = 0, j;

		if (!base[i])
			continue;
		t->nodes[0].base += base[i];
		for (j = 0; j < pp->len[i]; j++) {
			cur = tree__child(t, cur, lab[j], 0);
			if (cur == NO_NODE)
				break;
			t->nodes[cur].base += base[i];
		}
		if (j < pp->len[i])
			*vanished += base[i];
	}
}

static void tree__release(struct tree *t)
{
	free(t->nodes);
	idtab__release(&t->children);
}

/* --- output helpers --------------------------------------------------------------- */

struct svg_out {
	struct strbuf sb;
	FILE *f;
	int err;
};

static void out__flush(struct svg_out *o)
{
	if (o->sb.len && !o->err && fwrite(o->sb.buf, 1, o->sb.len, o->f) != o->sb.len)
		o->err = errno ? -errno : -EIO;
	strbuf_reset(&o->sb);
}

/* A string from the target as XML text (textenc.h: invalid UTF-8 becomes U+FFFD). */
static void add_text(struct strbuf *sb, const char *s, size_t n)
{
	textenc__add_xml(sb, s, n);
}

static void add_text_str(struct strbuf *sb, const char *s)
{
	add_text(sb, s, strlen(s));
}

/* Clip a label to what fits in width px: whole, cut with "..", or nothing. */
static void add_clipped(struct strbuf *sb, const char *s, size_t n, double width)
{
	double fit = (width - 6) / SVG_CHAR_W;
	size_t keep, chars = 0, i;

	if (fit < 3)
		return;
	/* Count characters, not bytes, so multi-byte names are not cut mid-sequence. */
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	if ((double)chars <= fit) {
		add_text(sb, s, n);
		return;
	}
	keep = (size_t)fit - 2;
	for (i = 0, chars = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == keep)
			break;
	}
	add_text(sb, s, i);
	strbuf_addstr(sb, "..");
}

static const char *frame_colour(const struct profile *p, const struct pf_paths *pp,
				uint32_t label, char buf[8])
{
	uint64_t h, v;

	if (label == UINT32_MAX)
		return "#bcc4cf";
	switch (pp->kind[label]) {
	case PF_LABEL_PROCESS:
	case PF_LABEL_THREAD:
		return "#a9b8c8";
	case PF_LABEL_IDLE:
		return "#b8b8b8";
	case PF_LABEL_TRUNCATED:
		return "#c9b3d6";
	default:
		break;
	}
	if (pp->file[label] != UINT32_MAX) {
		const char *file = pf_short_file(strtab__get(p->strings, pp->file[label]));

		h = pf_hash64(file, strlen(file), 0xf1a);
	} else {
		h = 0;
	}
	/*
	 * A warm palette: the file picks red and green (orange to yellow), so a module keeps
	 * its colour across graphs; the label nudges the shade so neighbours stay apart.
	 */
	v = pf_hash64(strtab__get(pp->labels, label), strtab__len(pp->labels, label), 3) % 24;
	snprintf(buf, 8, "#%02x%02x%02x", (unsigned)(205 + h % 45),
		 (unsigned)(70 + (h >> 8) % 130 + v), (unsigned)(20 + (h >> 16) % 40));
	return buf;
}

/*
 * The width a frame of w px is drawn with: a 1 px gap on its right (less when it is
 * narrower than 2 px) keeps neighbours of the same colour apart.  The script does the same.
 */
static double drawn_width(double w)
{
	return w >= 2 ? w - 1 : w / 2;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* --- the document ----------------------------------------------------------------- */

static const char svg_style[] =
	"<style type=\"text/css\"><![CDATA[\n"
	"text { font-family: monospace; font-size: " "12" "px; fill: #000; }\n"
	"#frames text { pointer-events: none; }\n"
	"#frames g { cursor: pointer; }\n"
	"#frames g:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	".title { font-size: 17px; text-anchor: middle; }\n"
	".sub { fill: #555; text-anchor: middle; }\n"
	".ctl { cursor: pointer; fill: #226; text-decoration: underline; }\n"
	".hide { display: none; }\n"
	"]]></style>\n";

static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"(function () {\n"
	"'use strict';\n"
	"var W = " "1200" ", PAD = " "10" ", CW = " "7.2" ";\n"
	"var svg = document.documentElement, frames = [], zoomed = null;\n"
	"var total = +svg.getAttribute('data-total');\n"
	"var details = document.getElementById('details');\n"
	"var matched = document.getElementById('matched');\n"
	"var reset = document.getElementById('reset');\n"
	"var clear = document.getElementById('clear');\n"
	"function fit(f, w) {\n"
	"	var n = Math.floor((w - 6) / CW), s = f.label;\n"
	"	if (n < 3) return '';\n"
	"	if (s.length <= n) return s;\n"
	"	return s.slice(0, n - 2) + '..';\n"
	"}\n"
	"function drawn(w) { return w >= 2 ? w - 1 : w / 2; }\n"
	"function place(f, x, w) {\n"
	"	f.g.classList.remove('hide');\n"
	"	f.r.setAttribute('x', x.toFixed(1));\n"
	"	f.r.setAttribute('width', drawn(w).toFixed(1));\n"
	"	f.t.setAttribute('x', (x + 3).toFixed(1));\n"
	"	f.t.textContent = fit(f, drawn(w));\n"
	"}\n"
	"function zoom(z) {\n"
	"	var scale = (W - 2 * PAD) / z.s;\n"
	"	zoomed = z;\n"
	"	frames.forEach(function (f) {\n"
	"		if (f.d <= z.d && f.o <= z.o && f.o + f.s >= z.o + z.s)\n"
	"			place(f, PAD, W - 2 * PAD);\n"
	"		else if (f.d > z.d && f.o >= z.o && f.o + f.s <= z.o + z.s)\n"
	"			place(f, PAD + (f.o - z.o) * scale, f.s * scale);\n"
	"		else\n"
	"			f.g.classList.add('hide');\n"
	"	});\n"
	"	reset.classList.remove('hide');\n"
	"}\n"
	"function unzoom() {\n"
	"	zoomed = null;\n"
	"	frames.forEach(function (f) {\n"
	"		f.g.classList.remove('hide');\n"
	"		f.r.setAttribute('x', f.x);\n"
	"		f.r.setAttribute('width', f.w);\n"
	"		f.t.setAttribute('x', f.tx);\n"
	"		f.t.textContent = f.text;\n"
	"	});\n"
	"	reset.classList.add('hide');\n"
	"}\n"
	"function search(term) {\n"
	"	var re, hits = [], end = -1, sum = 0;\n"
	"	if (term === undefined) {\n"
	"		term = window.prompt('Search frames (regular expression):', '');\n"
	"		if (term === null || term === '') return;\n"
	"	}\n"
	"	try { re = new RegExp(term); } catch (e) { window.alert('Bad expression: ' + e.message); return; }\n"
	"	frames.forEach(function (f) {\n"
	"		if (re.test(f.label)) { f.r.setAttribute('fill', '#e040e0'); hits.push(f); }\n"
	"		else f.r.setAttribute('fill', f.fill);\n"
	"	});\n"
	"	hits.sort(function (a, b) { return a.o - b.o || b.s - a.s; });\n"
	"	hits.forEach(function (f) { if (f.o >= end) { sum += f.s; end = f.o + f.s; } });\n"
	"	matched.textContent = 'Matched: ' + (total ? 100 * sum / total : 0).toFixed(1) + '% (' +\n"
	"		hits.length + (hits.length === 1 ? ' frame)' : ' frames)');\n"
	"	clear.classList.remove('hide');\n"
	"}\n"
	"function unsearch() {\n"
	"	frames.forEach(function (f) { f.r.setAttribute('fill', f.fill); });\n"
	"	matched.textContent = '';\n"
	"	clear.classList.add('hide');\n"
	"}\n"
	"Array.prototype.forEach.call(document.querySelectorAll('#frames > g'), function (g) {\n"
	"	var r = g.querySelector('rect'), t = g.querySelector('text');\n"
	"	var title = g.querySelector('title').textContent;\n"
	"	var f = { g: g, r: r, t: t, info: title.replace(/\\n/g, ' - '),\n"
	"		label: title.split('\\n')[0], o: +g.getAttribute('data-o'),\n"
	"		s: +g.getAttribute('data-s'), d: +g.getAttribute('data-d'),\n"
	"		x: r.getAttribute('x'), w: r.getAttribute('width'), fill: r.getAttribute('fill'),\n"
	"		tx: t.getAttribute('x'), text: t.textContent };\n"
	"	frames.push(f);\n"
	"	g.addEventListener('mouseover', function () { details.textContent = f.info; });\n"
	"	g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
	"	g.addEventListener('click', function () { zoom(f); });\n"
	"});\n"
	"reset.addEventListener('click', unzoom);\n"
	"clear.addEventListener('click', unsearch);\n"
	"document.getElementById('search').addEventListener('click', function () { search(); });\n"
	"window.addEventListener('keydown', function (e) {\n"
	"	if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); search(); }\n"
	"	else if (e.key === 'Escape') { unsearch(); if (zoomed) unzoom(); }\n"
	"});\n"
	"})();\n"
	"]]></script>\n";

static void add_subtitle(struct strbuf *sb, const struct profile *p)
{
	const struct pf_meta *m = &p->meta;
	size_t start = sb->len;

#define SEP (sb->len > start ? ", " : "")
	if (m->mode && *m->mode) {
		strbuf_addf(sb, "%smode ", SEP);
		add_text_str(sb, m->mode);
	}
	if (m->rate_hz > 0)
		strbuf_addf(sb, "%s%g Hz", SEP, m->rate_hz);
	strbuf_addf(sb, "%s%" PRIu64 " samples", SEP, p->total);
	if (m->dropped)
		strbuf_addf(sb, "%s%" PRIu64 " dropped", SEP, m->dropped);
	if (m->ticks_missed)
		strbuf_addf(sb, "%s%" PRIu64 " tick%s missed", SEP, m->ticks_missed,
			    m->ticks_missed == 1 ? "" : "s");
	if (m->duration_ns)
		strbuf_addf(sb, "%s%.1f s", SEP, (double)m->duration_ns / 1e9);
	strbuf_addf(sb, "%s%zu process%s, %zu thread%s", SEP, p->nprocs,
		    p->nprocs == 1 ? "" : "es", p->nthreads, p->nthreads == 1 ? "" : "s");
#undef SEP
}

static int children_cmp(const void *a, const void *b, void *arg)
{
	const struct pf_paths *pp = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return strcmp(strtab__get(pp->labels, x), strtab__get(pp->labels, y));
}

struct child_ref {
	uint32_t label;		/* first, so children_cmp can read it */
	uint32_t node;
};

/*
 * What differs between the flame graph and the diff: where colours and the subtitle come
 * from, and BASE's samples.  Everything else (tree, pruning, layout, script) is shared.
 */
struct svg_graph {
	const struct pf_paths *pp;
	const struct profile *p;	/* flame graph: colours by file, the run's facts */
	const uint64_t *base;		/* diff: BASE's samples per path; NULL for a flame graph */
	uint64_t base_total;
	const struct diff_svg_opts *diff;
	const char *title;
	double min_w;
};

/* The tree with its layout facts. */
struct svg_layout {
	struct tree t;
	uint64_t total, pruned, vanished;
	uint32_t max_depth;
	double scale;
	double saturation;		/* diff: full colour at this many points */
	double max_grew, max_shrank;
	uint32_t grew, shrank;		/* diff: node ids, NO_NODE if none */
};

static double node_change(const struct svg_graph *g, const struct svg_layout *l,
			  const struct node *nd)
{
	return pf_diff__change(nd->count, l->total, nd->base, g->base_total);
}

static void layout__build(struct svg_layout *l, const struct svg_graph *g)
{
	memset(l, 0, sizeof(*l));
	l->grew = l->shrank = NO_NODE;
	tree__build(&l->t, g->pp, g->base, &l->vanished);
	l->total = l->t.nodes[0].count;
	l->scale = l->total ? (double)(SVG_WIDTH - 2 * SVG_PAD) / (double)l->total : 0;

	/* Widths only shrink towards the leaves, so visibility is a per-node test. */
	for (size_t i = 0; i < l->t.n; i++) {
		const struct node *nd = &l->t.nodes[i];

		if ((double)nd->count * l->scale >= g->min_w) {
			if (nd->depth > l->max_depth)
				l->max_depth = nd->depth;
			if (g->base && i) {
				double c = node_change(g, l, nd);

				if (c > l->max_grew) {
					l->max_grew = c;
					l->grew = (uint32_t)i;
				}
				if (c < l->max_shrank) {
					l->max_shrank = c;
					l->shrank = (uint32_t)i;
				}
			}
		} else if (i && l->t.nodes[nd->parent].count * l->scale >= g->min_w) {
			l->pruned += nd->subtree;
		}
	}
	l->saturation = fmax(fmax(l->max_grew, -l->max_shrank), PF_DIFF_MIN_SATURATION);
}

/*
 * The diff's colours: light grey for no change, towards red for growth and blue for
 * shrinkage, in proportion to the change, full at the saturation.
 */
static const char *diff_colour(double change, double saturation, char buf[8])
{
	static const double grey[3] = { 238, 238, 238 };
	static const double red[3] = { 232, 64, 48 }, blue[3] = { 64, 112, 232 };
	const double *to = change >= 0 ? red : blue;
	double t = saturation > 0 ? fabs(change) / saturation : 0;
	unsigned c[3];

	if (!(t <= 1))		/* NaN too */
		t = 1;
	for (int k = 0; k < 3; k++)
		c[k] = (unsigned)lround(grey[k] + (to[k] - grey[k]) * t);
	snprintf(buf, 8, "#%02x%02x%02x", c[0] & 0xff, c[1] & 0xff, c[2] & 0xff);
	return buf;
}

/*
 * Did this path's time per run change beyond sampling noise?  Counts are Poisson; each
 * side's count times its unit is the path's time per run (diff_svg_opts).
 */
static int path_changed(const struct diff_svg_opts *so, const struct node *nd)
{
	double tb, tn, var;

	if (!so || !(so->base_unit > 0) || !(so->new_unit > 0))
		return 0;
	tb = (double)nd->base * so->base_unit;
	tn = (double)nd->count * so->new_unit;
	var = (double)nd->base * so->base_unit * so->base_unit +
	      (double)nd->count * so->new_unit * so->new_unit;
	return var > 0 && fabs(tn - tb) >= 3.29 * sqrt(var);
}

static void emit_frame(struct svg_out *o, const struct svg_graph *g, const struct svg_layout *l,
		       const struct node *nd, double x, double w, double y)
{
	const struct pf_paths *pp = g->pp;
	const char *label = nd->label == UINT32_MAX ? "all" : strtab__get(pp->labels, nd->label);
	size_t len = nd->label == UINT32_MAX ? 3 : strtab__len(pp->labels, nd->label);
	double change = 0;
	int neutral = g->diff && g->diff->neutral && nd->label < g->diff->nneutral &&
		      g->diff->neutral[nd->label] && !path_changed(g->diff, nd);
	char colour[8];

	strbuf_addf(&o->sb, "<g data-o=\"%" PRIu64 "\" data-s=\"%" PRIu64 "\" data-d=\"%u\"",
		    nd->off, nd->count, nd->depth);
	if (g->base) {
		change = node_change(g, l, nd);
		strbuf_addf(&o->sb, " data-base=\"%" PRIu64 "\" data-change=\"%+.4f\"%s", nd->base,
			    change, neutral ? " data-ns=\"1\"" : "");
	}
	strbuf_addstr(&o->sb, "><title>");
	add_text(&o->sb, label, len);
	if (g->base)
		strbuf_addf(&o->sb, "\nnew: %" PRIu64 " sample%s, %.2f%%\nbase: %" PRIu64
			    " sample%s, %.2f%%\nchange: %+.2f points%s</title>", nd->count,
			    nd->count == 1 ? "" : "s", pct(nd->count, l->total), nd->base,
			    nd->base == 1 ? "" : "s", pct(nd->base, g->base_total), change,
			    neutral ? " (not significant)" : "");
	else
		strbuf_addf(&o->sb, "\n%" PRIu64 " sample%s, %.2f%%</title>", nd->count,
			    nd->count == 1 ? "" : "s", pct(nd->count, l->total));
	strbuf_addf(&o->sb, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" "
		    "fill=\"%s\"/><text x=\"%.1f\" y=\"%.0f\">", x, y, drawn_width(w), SVG_FRAME_H - 1,
		    g->base ? diff_colour(neutral ? 0 : change, l->saturation, colour) :
		    frame_colour(g->p, pp, nd->label, colour), x + 3, y + SVG_FRAME_H - 4);
	add_clipped(&o->sb, label, len, drawn_width(w));
	strbuf_addstr(&o->sb, "</text></g>\n");
	if (o->sb.len > SVG_FLUSH)
		out__flush(o);
}

static void add_diff_subtitle(struct strbuf *sb, const struct svg_graph *g,
			      const struct svg_layout *l)
{
	const struct diff_svg_opts *d = g->diff;

	strbuf_addf(sb, "base %" PRIu64 " sample%s", g->base_total, g->base_total == 1 ? "" : "s");
	if (d->base_name) {
		strbuf_addstr(sb, " (");
		add_text_str(sb, d->base_name);
		strbuf_addch(sb, ')');
	}
	strbuf_addf(sb, ", new %" PRIu64 " sample%s", l->total, l->total == 1 ? "" : "s");
	if (d->new_name) {
		strbuf_addstr(sb, " (");
		add_text_str(sb, d->new_name);
		strbuf_addch(sb, ')');
	}
	strbuf_addstr(sb, "; widths are new's samples");
}

/* A colour scale from -saturation to +saturation, then what it means and what is missing. */
static void add_diff_legend(struct strbuf *sb, const struct svg_graph *g,
			    const struct svg_layout *l, double y)
{
	const int steps = 11, sw = 14;
	char colour[8];

	for (int i = 0; i < steps; i++) {
		double c = l->saturation * (2.0 * i / (steps - 1) - 1);

		strbuf_addf(sb, "<rect class=\"scale\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"12\" "
			    "fill=\"%s\"/>\n", SVG_PAD + i * sw, y - 10, sw - 1,
			    diff_colour(c, l->saturation, colour));
	}
	strbuf_addf(sb, "<text id=\"legend\" x=\"%d\" y=\"%.0f\">colour: change in share of all "
		    "samples, blue shrank, red grew, full at %.2f points; %.1f%% of base samples "
		    "are in stacks absent from new</text>\n", SVG_PAD + steps * sw + 6, y,
		    l->saturation, pct(l->vanished, g->base_total));
}

static int svg__render(const struct svg_graph *g, struct svg_layout *l, FILE *f)
{
	struct svg_out o = { STRBUF_INIT, f, 0 };
	struct tree *t = &l->t;
	uint32_t *todo = NULL;
	size_t ntodo = 0, todo_alloc = 0;
	struct child_ref *kids = NULL;
	size_t kids_alloc = 0;
	uint64_t shown = 0;
	double height, base, top = SVG_TOP + (g->base ? SVG_LEGEND_H : 0), ctl = top - 12;

	height = top + (double)(l->max_depth + 1) * SVG_FRAME_H + SVG_BOTTOM;
	base = top + (double)l->max_depth * SVG_FRAME_H;	/* y of the root frame */

	strbuf_addstr(&o.sb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	strbuf_addf(&o.sb, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" data-total=\"%" PRIu64 "\"",
		    SVG_WIDTH, height, SVG_WIDTH, height, l->total);
	if (g->base)
		strbuf_addf(&o.sb, " data-base-total=\"%" PRIu64 "\" data-base-vanished=\"%" PRIu64
			    "\" data-saturation=\"%.4f\"", g->base_total, l->vanished, l->saturation);
	strbuf_addstr(&o.sb, ">\n");
	strbuf_addf(&o.sb, "<!-- pyflame %s: %" PRIu64 " frames pruned "
		    "(narrower than %.2f px) -->\n", g->base ? "diff flame graph" : "flame graph",
		    l->pruned, g->min_w);
	strbuf_addstr(&o.sb, svg_style);
	strbuf_addf(&o.sb, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"#f8f6f2\"/>\n",
		    SVG_WIDTH, height);
	strbuf_addf(&o.sb, "<text id=\"title\" class=\"title\" x=\"%d\" y=\"24\">",
		    SVG_WIDTH / 2);
	add_text_str(&o.sb, g->title);
	strbuf_addf(&o.sb, "</text>\n<text id=\"subtitle\" class=\"sub\" x=\"%d\" y=\"44\">",
		    SVG_WIDTH / 2);
	if (g->base)
		add_diff_subtitle(&o.sb, g, l);
	else
		add_subtitle(&o.sb, g->p);
	strbuf_addstr(&o.sb, "</text>\n");
	if (g->base)
		add_diff_legend(&o.sb, g, l, 64);
	strbuf_addf(&o.sb, "<text id=\"reset\" class=\"ctl hide\" x=\"%d\" y=\"%.0f\">Reset Zoom</text>\n"
		    "<text id=\"search\" class=\"ctl\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\">Search</text>\n"
		    "<text id=\"clear\" class=\"ctl hide\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\">Clear</text>\n"
		    "<text id=\"matched\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\"></text>\n"
		    "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n",
		    SVG_PAD, ctl, SVG_WIDTH - SVG_PAD, ctl, SVG_WIDTH - SVG_PAD - 70, ctl,
		    SVG_WIDTH - SVG_PAD - 120, ctl, SVG_PAD, height - 22);
	if (l->pruned)
		strbuf_addf(&o.sb, "<text id=\"pruned\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\" "
			    "fill=\"#777\">%" PRIu64 " frame%s narrower than %.2f px not shown</text>\n",
			    SVG_WIDTH - SVG_PAD, height - 6, l->pruned, l->pruned == 1 ? "" : "s",
			    g->min_w);
	if (!l->total)
		strbuf_addf(&o.sb, "<text x=\"%d\" y=\"%.0f\" class=\"sub\">no samples</text>\n",
			    SVG_WIDTH / 2, base + SVG_FRAME_H / 2.0);
	strbuf_addstr(&o.sb, "<g id=\"frames\">\n");

	/* Pre-order walk; children sorted by label, each placed at its parent's offset. */
	if (l->total) {
		xgrow((void **)&todo, &todo_alloc, 1, sizeof(*todo));
		todo[ntodo++] = 0;
	}
	while (ntodo) {
		struct node *nd = &t->nodes[todo[--ntodo]];
		size_t nk = 0;
		uint64_t off;

		emit_frame(&o, g, l, nd, SVG_PAD + (double)nd->off * l->scale,
			   (double)nd->count * l->scale, base - (double)nd->depth * SVG_FRAME_H);
		shown++;
		for (uint32_t c = nd->first_child; c; c = t->nodes[c - 1].next_sibling) {
			if ((double)t->nodes[c - 1].count * l->scale < g->min_w)
				continue;
			xgrow((void **)&kids, &kids_alloc, nk + 1, sizeof(*kids));
			kids[nk].label = t->nodes[c - 1].label;
			kids[nk].node = c - 1;
			nk++;
		}
		if (!nk)
			continue;
		qsort_r(kids, nk, sizeof(*kids), children_cmp, (void *)g->pp);
		/* Pruned children leave their share as a gap at the right end. */
		off = nd->off;
		for (size_t k = 0; k < nk; k++) {
			t->nodes[kids[k].node].off = off;
			off += t->nodes[kids[k].node].count;
		}
		xgrow((void **)&todo, &todo_alloc, ntodo + nk, sizeof(*todo));
		for (size_t k = nk; k-- > 0;)
			todo[ntodo++] = kids[k].node;
	}
	strbuf_addstr(&o.sb, "</g>\n");
	strbuf_addf(&o.sb, "<!-- frames shown: %" PRIu64 ", pruned: %" PRIu64 " -->\n",
		    shown, l->pruned);
	strbuf_addstr(&o.sb, svg_script);
	strbuf_addstr(&o.sb, "</svg>\n");
	out__flush(&o);
	if (!o.err && (fflush(f) == EOF || ferror(f)))
		o.err = errno ? -errno : -EIO;

	strbuf_release(&o.sb);
	free(kids);
	free(todo);
	return o.err;
}

static double min_width(double px)
{
	return px > 0 ? px : 0.1;
}

int writer_svg__write(const struct profile *p, const struct output_opts *opts, FILE *f)
{
	static const struct output_opts defaults = { .line_numbers = 1 };
	struct svg_graph g = { .p = p };
	struct svg_layout l;
	struct pf_paths *pp;
	int ret;

	if (!opts)
		opts = &defaults;
	g.min_w = min_width(opts->min_width_px);
	g.title = opts->title && *opts->title ? opts->title :
		p->meta.command && *p->meta.command ? p->meta.command : "pyflame";
	errno = 0;
	pp = profile__paths(p, opts);
	g.pp = pp;
	layout__build(&l, &g);
	ret = svg__render(&g, &l, f);
	tree__release(&l.t);
	pf_paths__free(pp);
	return ret;
}

/* --- the differential flame graph ----------------------------------------------------- */

static void diff_graph(struct svg_graph *g, const struct pf_diff *d, const struct diff_svg_opts *o,
		       struct strbuf *title)
{
	memset(g, 0, sizeof(*g));
	g->pp = d->paths;
	g->base = d->base;
	g->base_total = d->base_total;
	g->diff = o;
	g->min_w = min_width(o->min_width_px);
	if (o->title && *o->title) {
		strbuf_addstr(title, o->title);
	} else {
		strbuf_addstr(title, "pyflame diff: ");
		strbuf_addstr(title, o->base_name ? o->base_name : "base");
		strbuf_addstr(title, " \xe2\x86\x92 ");	/* U+2192 RIGHTWARDS ARROW */
		strbuf_addstr(title, o->new_name ? o->new_name : "new");
	}
	g->title = title->buf;
}

static void diff_stats(const struct svg_graph *g, const struct svg_layout *l,
		       struct pf_diff_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->base_vanished = l->vanished;
	st->vanished_pct = pct(l->vanished, g->base_total);
	st->saturation = l->saturation;
	st->max_grew = l->max_grew;
	st->max_shrank = l->max_shrank;
	if (l->grew != NO_NODE)
		st->grew = strtab__get(g->pp->labels, l->t.nodes[l->grew].label);
	if (l->shrank != NO_NODE)
		st->shrank = strtab__get(g->pp->labels, l->t.nodes[l->shrank].label);
	st->pruned = l->pruned;
	for (size_t i = 0; i < l->t.n; i++)
		if ((double)l->t.nodes[i].count * l->scale >= g->min_w)
			st->shown++;
}

void writer_svg__diff_stats(const struct pf_diff *d, const struct diff_svg_opts *o,
			    struct pf_diff_stats *st)
{
	struct strbuf title = STRBUF_INIT;
	struct svg_graph g;
	struct svg_layout l;

	diff_graph(&g, d, o, &title);
	layout__build(&l, &g);
	diff_stats(&g, &l, st);
	tree__release(&l.t);
	strbuf_release(&title);
}

int writer_svg__write_diff(const struct pf_diff *d, const struct diff_svg_opts *o, FILE *f,
			   struct pf_diff_stats *st)
{
	struct strbuf title = STRBUF_INIT;
	struct svg_graph g;
	struct svg_layout l;
	int ret;

	diff_graph(&g, d, o, &title);
	layout__build(&l, &g);
	if (st)
		diff_stats(&g, &l, st);
	ret = svg__render(&g, &l, f);
	tree__release(&l.t);
	strbuf_release(&title);
	return ret;
}
