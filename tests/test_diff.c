/* test_diff.c - pyflame diff: the collapsed-stacks reader, the diff model and its graph. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/diff.h"
#include "pyflame/profile.h"
#include "pyflame/strtab.h"
#include "pyflame/util.h"

static const struct diff_opts default_opts = { .line_numbers = 1 };

/* Read text (len bytes, may hold NULs) into one side; returns the reader's result. */
static int read_text(struct pf_diff *d, int side, const char *text, size_t len,
		     const struct diff_opts *o, uint64_t *samples, struct diff_parse_error *err)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	assert_non_null(f);
	ret = pf_diff__read_collapsed(d, side, f, o ? o : &default_opts, samples, err);
	fclose(f);
	return ret;
}

static struct pf_diff *diff_of(const char *base, const char *now, const struct diff_opts *o)
{
	struct pf_diff *d = pf_diff__new();
	struct diff_parse_error err;
	uint64_t n;

	assert_int_equal(read_text(d, PF_DIFF_BASE, base, strlen(base), o, &n, &err), 0);
	assert_int_equal(read_text(d, PF_DIFF_NEW, now, strlen(now), o, &n, &err), 0);
	return d;
}

/* The path's counts by its text "a;b;c"; returns 0 if the diff has no such path. */
static int find_path(const struct pf_diff *d, const char *text, uint64_t *base, uint64_t *now)
{
	const struct pf_paths *pp = d->paths;
	struct strbuf sb = STRBUF_INIT;
	int found = 0;

	for (size_t i = 0; i < pp->n && !found; i++) {
		strbuf_reset(&sb);
		for (uint32_t j = 0; j < pp->len[i]; j++) {
			uint32_t l = pp->data[pp->off[i] + j];

			if (j)
				strbuf_addch(&sb, ';');
			strbuf_add(&sb, strtab__get(pp->labels, l), strtab__len(pp->labels, l));
		}
		if (!strcmp(sb.buf, text)) {
			*base = d->base[i];
			*now = pp->count[i];
			found = 1;
		}
	}
	strbuf_release(&sb);
	return found;
}

static void assert_path(const struct pf_diff *d, const char *text, uint64_t base, uint64_t now)
{
	uint64_t b = 0, n = 0;

	if (!find_path(d, text, &b, &n))
		fail_msg("no path '%s'", text);
	assert_int_equal(b, base);
	assert_int_equal(n, now);
}

/* --- the collapsed-stacks reader ----------------------------------------------------- */

static void collapsed_read__good_input__paths_counts_and_totals(void **state)
{
	static const char text[] =
		"# a comment line\n"
		"python3 app.py [pid 42];main (app.py:3);work (app.py:9) 30\n"
		"\n"
		"python3 app.py [pid 42];main (app.py:3)   5\r\n"
		"   \t \n"
		"python3 app.py [pid 42];main (app.py:3);work (app.py:9)\t12  \n"
		"single 1";	/* no final newline */
	struct pf_diff *d = pf_diff__new();
	struct diff_parse_error err;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(read_text(d, PF_DIFF_BASE, text, strlen(text), NULL, &n, &err), 0);
	assert_int_equal(n, 48);
	assert_int_equal(d->base_total, 48);
	assert_int_equal(d->paths->total, 0);
	assert_int_equal(d->paths->n, 3);
	assert_path(d, "python3 app.py;main (app.py:3);work (app.py:9)", 42, 0);
	assert_path(d, "python3 app.py;main (app.py:3)", 5, 0);
	assert_path(d, "single", 1, 0);
	pf_diff__free(d);
}

static void collapsed_read__process_frames__pid_stripped_kept_or_dropped(void **state)
{
	static const char text[] =
		"python3 app.py [pid 42];main (app.py:3) 5\n"
		"python3 app.py [pid 43];main (app.py:3) 2\n"
		"[pid 7];main (app.py:3) 1\n"
		"tool [pid x];main (app.py:3) 1\n"
		"main (app.py:3);[pid 9] 1\n";
	struct diff_opts keep = { .line_numbers = 1, .keep_pids = 1 };
	struct diff_opts strip = { .line_numbers = 1, .strip_process = 1 };
	struct pf_diff *d = diff_of(text, "", NULL);

	(void)state;
	assert_path(d, "python3 app.py;main (app.py:3)", 7, 0);
	assert_path(d, "<unknown command>;main (app.py:3)", 1, 0);
	assert_path(d, "tool [pid x];main (app.py:3)", 1, 0);	/* not a pid */
	assert_path(d, "main (app.py:3);[pid 9]", 1, 0);		/* only the root frame */
	pf_diff__free(d);

	d = diff_of(text, "", &keep);
	assert_path(d, "python3 app.py [pid 42];main (app.py:3)", 5, 0);
	assert_path(d, "python3 app.py [pid 43];main (app.py:3)", 2, 0);
	assert_path(d, "[pid 7];main (app.py:3)", 1, 0);
	pf_diff__free(d);

	d = diff_of(text, "", &strip);
	assert_path(d, "main (app.py:3)", 9, 0);
	assert_path(d, "[pid 9]", 1, 0);
	pf_diff__free(d);
}

static void collapsed_read__no_line_numbers__frames_matched_by_function(void **state)
{
	static const char text[] =
		"p;main (app.py:3);work (app.py:9) 1\n"
		"p;main (app.py:4);work (app.py:11) 2\n"
		"p;main (app.py:4);<idle> 4\n"
		"p;odd (a:b);x (f.py:) 8\n"
		"p;f (dir (x):12) 16\n";
	struct diff_opts o = { .line_numbers = 0 };
	struct pf_diff *d = diff_of(text, "", &o);

	(void)state;
	assert_path(d, "p;main (app.py);work (app.py)", 3, 0);
	assert_path(d, "p;main (app.py);<idle>", 4, 0);
	assert_path(d, "p;odd (a:b);x (f.py:)", 8, 0);
	assert_path(d, "p;f (dir (x))", 16, 0);
	pf_diff__free(d);
}

static void collapsed_read__control_characters__become_spaces(void **state)
{
	static const char text[] = "p;we\x01ird\x7f (a.py:1) 3\n";
	struct pf_diff *d = diff_of(text, "", NULL);

	(void)state;
	assert_path(d, "p;we ird  (a.py:1)", 3, 0);
	pf_diff__free(d);
}

struct bad_case {
	const char *text;
	size_t len;		/* 0: strlen */
	size_t line;
	const char *msg;
};

static void collapsed_read__malformed_lines__refused_with_line_and_reason(void **state)
{
	static const struct bad_case cases[] = {
		{ "a;b\n", 0, 1, "no sample count" },
		{ "a;b 1\nmain (app.py:3)\n", 0, 2, "invalid sample count '(app.py:3)'" },
		{ "a;b x1\n", 0, 1, "invalid sample count 'x1'" },
		{ "a;b 12.5\n", 0, 1, "invalid sample count '12.5'" },
		{ "a;b -3\n", 0, 1, "invalid sample count '-3'" },
		{ "a;b 1\n\n# c\na;;b 1\n", 0, 4, "empty frame name (frame 2)" },
		{ ";a 1\n", 0, 1, "empty frame name (frame 1)" },
		{ "a; 1\n", 0, 1, "empty frame name (frame 2)" },
		{ "a;b; 1\n", 0, 1, "empty frame name (frame 3)" },
		{ "; 1\n", 0, 1, "empty frame name (frame 1)" },
		{ " 5\n", 0, 1, "no frames before the count" },
		{ "a\0b 1\n", 6, 1, "NUL byte" },
		{ "a;b 99999999999999999999999\n", 0, 1, "is too large" },
		{ "a;b 9007199254740993\n", 0, 1, "is too large" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pf_diff *d = pf_diff__new();
		struct diff_parse_error err;
		uint64_t n;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);

		assert_int_equal(read_text(d, PF_DIFF_NEW, cases[i].text, len, NULL, &n, &err),
				 -EINVAL);
		if (err.line != cases[i].line || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: line %zu '%s', want line %zu '%s'", i, err.line, err.msg,
				 cases[i].line, cases[i].msg);
		pf_diff__free(d);
	}
}

static void collapsed_read__huge_counts__exact_up_to_2_53_sums_checked(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct diff_parse_error err;
	struct pf_diff *d = pf_diff__new();
	uint64_t n;

	(void)state;
	strbuf_addstr(&sb, "a 9007199254740992\nb 9007199254740992\n");
	assert_int_equal(read_text(d, PF_DIFF_BASE, sb.buf, sb.len, NULL, &n, &err), 0);
	assert_true(n == UINT64_C(1) << 54);
	assert_true(d->base_total == UINT64_C(1) << 54);
	pf_diff__free(d);

	/* 2048 lines of 2^53 reach 2^64 on the last one. */
	strbuf_reset(&sb);
	for (int i = 0; i < 2048; i++)
		strbuf_addf(&sb, "f%d;g 9007199254740992\n", i % 7);
	d = pf_diff__new();
	assert_int_equal(read_text(d, PF_DIFF_BASE, sb.buf, sb.len, NULL, &n, &err), -EINVAL);
	assert_int_equal(err.line, 2048);
	assert_non_null(strstr(err.msg, "add up to more than 2^64"));
	pf_diff__free(d);
	strbuf_release(&sb);
}

static void collapsed_read__overlong_line_and_deep_stack__refused(void **state)
{
	size_t big = PF_COLLAPSED_MAX_LINE + 10;
	char *text = xmalloc(big + 16);
	struct diff_parse_error err;
	struct pf_diff *d = pf_diff__new();
	struct strbuf sb = STRBUF_INIT;
	uint64_t n;

	(void)state;
	/* Line 2 is longer than the limit (no newline needed to notice). */
	memcpy(text, "ok 1\n", 5);
	memset(text + 5, 'x', big);
	assert_int_equal(read_text(d, PF_DIFF_BASE, text, big + 5, NULL, &n, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "line longer than 4 MiB"));
	pf_diff__free(d);

	/* A line just under the limit is fine. */
	memset(text, 'y', PF_COLLAPSED_MAX_LINE - 2);
	memcpy(text + PF_COLLAPSED_MAX_LINE - 2, " 1\n", 3);
	d = pf_diff__new();
	assert_int_equal(read_text(d, PF_DIFF_BASE, text, PF_COLLAPSED_MAX_LINE + 1, NULL, &n,
				   &err), 0);
	assert_int_equal(d->base_total, 1);
	pf_diff__free(d);

	/* One frame more than the limit. */
	for (unsigned i = 0; i <= PF_COLLAPSED_MAX_FRAMES; i++)
		strbuf_addstr(&sb, i ? ";f" : "f");
	strbuf_addstr(&sb, " 1\n");
	d = pf_diff__new();
	assert_int_equal(read_text(d, PF_DIFF_BASE, sb.buf, sb.len, NULL, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "more than 65536 frames"));
	pf_diff__free(d);
	/* Exactly the limit is fine. */
	sb.len -= strlen(";f 1\n");
	strbuf_addstr(&sb, " 1\n");
	d = pf_diff__new();
	assert_int_equal(read_text(d, PF_DIFF_BASE, sb.buf, sb.len, NULL, &n, &err), 0);
	assert_int_equal(d->paths->len[0], PF_COLLAPSED_MAX_FRAMES);
	pf_diff__free(d);
	strbuf_release(&sb);
	free(text);
}

/* --- arithmetic ------------------------------------------------------------------------ */

static void diff_change__shares_normalised_by_each_total(void **state)
{
	(void)state;
	/* 30 of 100 is 30%, 10 of 50 is 20%: +10 points, though the counts tripled. */
	assert_true(fabs(pf_diff__change(30, 100, 10, 50) - 10.0) < 1e-9);
	/* The same share with more samples is no change. */
	assert_true(pf_diff__change(200, 1000, 20, 100) == 0.0);
	assert_true(pf_diff__change(0, 100, 25, 100) == -25.0);
	assert_true(pf_diff__change(5, 0, 0, 0) == 0.0);	/* empty sides: no division */
}

static char *render_diff(const struct pf_diff *d, struct pf_diff_stats *st, size_t *len)
{
	struct diff_svg_opts so = { .base_name = "base.txt", .new_name = "new.txt" };
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(writer_svg__write_diff(d, &so, f, st), 0);
	assert_int_equal(fclose(f), 0);
	if (len)
		*len = n;
	return buf;
}

/* The <g ...> opening tag of the frame whose title starts with title (then a newline). */
static const char *frame_tag(const char *svg, const char *title)
{
	struct strbuf sb = STRBUF_INIT;
	const char *t, *g;

	strbuf_addf(&sb, "<title>%s\n", title);
	t = strstr(svg, sb.buf);
	strbuf_release(&sb);
	if (!t)
		return NULL;
	for (g = t; g > svg && strncmp(g, "<g ", 3); g--)
		;
	return g;
}

static int frame_has(const char *svg, const char *title, const char *what)
{
	const char *g = frame_tag(svg, title), *end, *q;

	if (!g)
		return 0;
	end = strstr(g, "</g>");
	q = strstr(g, what);
	return q && q < end;
}

static void diff_svg__split_reversed__shares_changes_colours_and_titles(void **state)
{
	struct pf_diff *d = diff_of("p;main;a 75\np;main;b 25\n",
				    "p;main;a 50\np;main;b 150\n", NULL);
	struct pf_diff_stats st;
	char *svg;

	(void)state;
	svg = render_diff(d, &st, NULL);
	assert_non_null(strstr(svg, "data-total=\"200\" data-base-total=\"100\" "
			       "data-base-vanished=\"0\" data-saturation=\"50.0000\""));
	assert_true(frame_has(svg, "a", "data-s=\"50\" data-d=\"3\" data-base=\"75\" "
			      "data-change=\"-50.0000\""));
	assert_true(frame_has(svg, "a", "<title>a\nnew: 50 samples, 25.00%\n"
			      "base: 75 samples, 75.00%\nchange: -50.00 points</title>"));
	assert_true(frame_has(svg, "b", "data-base=\"25\" data-change=\"+50.0000\""));
	assert_true(frame_has(svg, "b", "change: +50.00 points"));
	/* Full colour at the largest change: a full blue, b full red; main is unchanged. */
	assert_true(frame_has(svg, "a", "fill=\"#4070e8\""));
	assert_true(frame_has(svg, "b", "fill=\"#e84030\""));
	assert_true(frame_has(svg, "main", "data-change=\"+0.0000\""));
	assert_true(frame_has(svg, "main", "fill=\"#eeeeee\""));
	assert_true(frame_has(svg, "all", "new: 200 samples, 100.00%\nbase: 100 samples, 100.00%"));
	/* Title, totals, legend. */
	assert_non_null(strstr(svg, ">pyflame diff: base.txt \xe2\x86\x92 new.txt</text>"));
	assert_non_null(strstr(svg, ">base 100 samples (base.txt), new 200 samples (new.txt); "));
	assert_non_null(strstr(svg, "full at 50.00 points; 0.0% of base samples are in stacks "
			       "absent from new</text>"));
	assert_string_equal(st.grew, "b");
	assert_string_equal(st.shrank, "a");
	assert_true(st.max_grew == 50.0 && st.max_shrank == -50.0 && st.saturation == 50.0);
	free(svg);
	pf_diff__free(d);
}

static void diff_svg__half_change__half_colour_widths_from_new(void **state)
{
	/* a: 50% -> 75% (+25), b: 50% -> 25% (-25), c: new only, 0 -> 0 (under 1 px? no). */
	struct pf_diff *d = diff_of("p;a 10\np;b 10\n", "p;a 300\np;b 100\n", NULL);
	struct pf_diff_stats st;
	char *svg;

	(void)state;
	svg = render_diff(d, &st, NULL);
	assert_true(st.saturation == 25.0);
	/* a is 3/4 of the width: (1200 - 20) * 0.75 = 885, drawn 1 px narrower. */
	assert_true(frame_has(svg, "a", "width=\"884.0\""));
	assert_true(frame_has(svg, "a", "fill=\"#e84030\""));
	pf_diff__free(d);
	free(svg);

	/* Small changes: never saturated below PF_DIFF_MIN_SATURATION. */
	d = diff_of("p;a 500\np;b 500\n", "p;a 502\np;b 498\n", NULL);
	svg = render_diff(d, &st, NULL);
	assert_true(st.saturation == PF_DIFF_MIN_SATURATION);
	/* +0.2 points of a 1-point scale: a fifth of the way from grey to red. */
	assert_true(frame_has(svg, "a", "data-change=\"+0.2000\""));
	assert_true(frame_has(svg, "a", "fill=\"#edcbc8\""));
	free(svg);
	pf_diff__free(d);
}

static void diff_svg__base_only_stacks__not_drawn_counted_as_vanished(void **state)
{
	struct pf_diff *d = diff_of("p;main;gone 30\np;main;a 50\np;main 10\np;old 10\n",
				    "p;main;a 10\np;main;x;y 10\n", NULL);
	struct pf_diff_stats st;
	char *svg;

	(void)state;
	svg = render_diff(d, &st, NULL);
	/* gone and old have no frame in new; main (base's own 10) does: 40 of 100 vanished. */
	assert_int_equal(st.base_vanished, 40);
	assert_true(st.vanished_pct == 40.0);
	assert_null(frame_tag(svg, "gone"));
	assert_null(frame_tag(svg, "old"));
	assert_non_null(strstr(svg, "; 40.0% of base samples are in stacks absent from new</text>"));
	assert_non_null(strstr(svg, "data-base-vanished=\"40\""));
	/* main holds base's 30 + 50 + 10 = 90%, new's 100%: +10. */
	assert_true(frame_has(svg, "main", "data-base=\"90\" data-change=\"+10.0000\""));
	/* x is new only: its whole share is growth. */
	assert_true(frame_has(svg, "x", "data-base=\"0\" data-change=\"+50.0000\""));
	assert_true(frame_has(svg, "a", "data-base=\"50\" data-change=\"+0.0000\""));
	free(svg);
	pf_diff__free(d);
}

static void diff_svg__hostile_labels__well_formed(void **state)
{
	struct pf_diff *d = diff_of("p;<b>&\"'x (a.py:1) 2\np;caf\xc3\xa9;\xff\xfe]]> 1\n",
				    "p;<b>&\"'x (a.py:1) 1\np;caf\xc3\xa9;\xff\xfe]]> 2\n", NULL);
	char path[] = "/tmp/pyflame-test-diff-XXXXXX.svg";
	char cmd[512];
	size_t len;
	char *svg;
	int fd;

	(void)state;
	svg = render_diff(d, NULL, &len);
	assert_non_null(strstr(svg, "<title>&lt;b&gt;&amp;&quot;&apos;x (a.py:1)\n"));
	assert_non_null(strstr(svg, "<title>caf\xc3\xa9\n"));
	/* bytes that are not UTF-8 become U+FFFD (textenc.h) */
	assert_non_null(strstr(svg, "<title>" "\xef\xbf\xbd\xef\xbf\xbd" "]]&gt;\n"));
	fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, len), (ssize_t)len);
	close(fd);
	if (system("command -v python3 >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "python3 -c 'import sys, xml.dom.minidom; "
			 "xml.dom.minidom.parse(sys.argv[1])' '%s'", path);
		assert_int_equal(system(cmd), 0);
	}
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
		assert_int_equal(system(cmd), 0);
	}
	unlink(path);
	free(svg);
	pf_diff__free(d);
}

static void diff_svg__embedded_script__zoom_search_hover_work(void **state)
{
	struct pf_diff *d = diff_of("p;main;a 75\np;main;b 25\np;main;b;c 5\n",
				    "p;main;a 50\np;main;b 150\np;main;b;c 20\n", NULL);
	char path[] = "/tmp/pyflame-test-diff-XXXXXX.svg";
	char cmd[1024], line[256] = "";
	size_t len;
	char *svg;
	FILE *f;
	int fd;

	(void)state;
	if (system("command -v node >/dev/null 2>&1") != 0) {
		print_message("node not found; script behaviour not checked\n");
		pf_diff__free(d);
		skip();
	}
	svg = render_diff(d, NULL, &len);
	fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, len), (ssize_t)len);
	close(fd);
	/* b and c: 170 of 220 new samples. */
	snprintf(cmd, sizeof(cmd), "node '%s/writers/svg_script_check.js' '%s' '^b$' '^(b|c)$' "
		 "'Matched: 77.3%%' 2>&1", fixtures_dir(), path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strcmp(line, "ok\n"))
			print_message("%s", line);
	assert_int_equal(pclose(f), 0);
	assert_string_equal(line, "ok\n");
	unlink(path);
	free(svg);
	pf_diff__free(d);
}

/* --- the difffolded text and raw-log profiles ------------------------------------------- */

static void diff_write_collapsed__both_counts_sorted_zeros_kept(void **state)
{
	struct pf_diff *d = diff_of("p;main;gone 3\np;main;a 5\n", "p;main;a 7\np;main;b 1\n", NULL);
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	(void)state;
	assert_int_equal(pf_diff__write_collapsed(d, f), 0);
	fclose(f);
	assert_string_equal(buf, "p;main;a 5 7\np;main;b 0 1\np;main;gone 3 0\n");
	free(buf);
	pf_diff__free(d);
}

/* Two runs of one command: pids 100 and 200, a's and b's shares reversed. */
static struct profile *run_profile(pid_t pid, uint64_t na, uint64_t nb)
{
	struct profile *p = profile__new();
	uint32_t proc = profile__process(p, pid, "python3 split.py", "3.12.1");
	uint32_t t = profile__thread(p, proc, pid, "MainThread");
	struct pf_frame fm = { strtab__intern_str(p->strings, "main"),
			       strtab__intern_str(p->strings, "split.py"), 20 };
	struct pf_frame fa = { strtab__intern_str(p->strings, "a"), fm.file, 10 };
	struct pf_frame fb = { strtab__intern_str(p->strings, "b"), fm.file, 15 };
	uint32_t st[2];

	st[0] = profile__frame(p, &fm);
	st[1] = profile__frame(p, &fa);
	profile__add(p, t, profile__stack(p, st, 2), 0, na);
	st[1] = profile__frame(p, &fb);
	profile__add(p, t, profile__stack(p, st, 2), PF_SAMPLE_GIL, nb);
	return p;
}

static void diff_add_profile__runs_of_one_command__matched_without_pids(void **state)
{
	struct profile *base = run_profile(100, 75, 25), *now = run_profile(200, 25, 75);
	struct diff_opts keep = { .line_numbers = 1, .keep_pids = 1 };
	struct diff_opts strip = { .line_numbers = 0, .strip_process = 1 };
	struct pf_diff *d = pf_diff__new();

	(void)state;
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_BASE, base, &default_opts), 0);
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_NEW, now, &default_opts), 0);
	assert_path(d, "python3 split.py;main (split.py:20);a (split.py:10)", 75, 25);
	assert_path(d, "python3 split.py;main (split.py:20);b (split.py:15)", 25, 75);
	assert_int_equal(d->base_total, 100);
	assert_int_equal(d->paths->total, 100);
	pf_diff__free(d);

	d = pf_diff__new();
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_BASE, base, &keep), 0);
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_NEW, now, &keep), 0);
	assert_path(d, "python3 split.py [pid 100];main (split.py:20);a (split.py:10)", 75, 0);
	assert_path(d, "python3 split.py [pid 200];main (split.py:20);a (split.py:10)", 0, 25);
	pf_diff__free(d);

	d = pf_diff__new();
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_BASE, base, &strip), 0);
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_NEW, now, &strip), 0);
	assert_path(d, "main (split.py);b (split.py)", 25, 75);
	assert_int_equal(d->paths->n, 2);
	pf_diff__free(d);
	profile__free(base);
	profile__free(now);
}

/* A raw-log profile and its collapsed text give the same paths. */
static void diff_add_profile__same_paths_as_its_collapsed_text(void **state)
{
	struct profile *p = run_profile(4242, 3, 4);
	struct pf_diff *d = pf_diff__new();
	struct diff_parse_error err;
	uint64_t n;
	static const char text[] =
		"python3 split.py [pid 4242];main (split.py:20);a (split.py:10) 3\n"
		"python3 split.py [pid 4242];main (split.py:20);b (split.py:15) 4\n";

	(void)state;
	assert_int_equal(pf_diff__add_profile(d, PF_DIFF_BASE, p, &default_opts), 0);
	assert_int_equal(read_text(d, PF_DIFF_NEW, text, strlen(text), NULL, &n, &err), 0);
	assert_int_equal(d->paths->n, 2);
	assert_path(d, "python3 split.py;main (split.py:20);a (split.py:10)", 3, 3);
	assert_path(d, "python3 split.py;main (split.py:20);b (split.py:15)", 4, 4);
	pf_diff__free(d);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collapsed_read__good_input__paths_counts_and_totals),
		cmocka_unit_test(collapsed_read__process_frames__pid_stripped_kept_or_dropped),
		cmocka_unit_test(collapsed_read__no_line_numbers__frames_matched_by_function),
		cmocka_unit_test(collapsed_read__control_characters__become_spaces),
		cmocka_unit_test(collapsed_read__malformed_lines__refused_with_line_and_reason),
		cmocka_unit_test(collapsed_read__huge_counts__exact_up_to_2_53_sums_checked),
		cmocka_unit_test(collapsed_read__overlong_line_and_deep_stack__refused),
		cmocka_unit_test(diff_change__shares_normalised_by_each_total),
		cmocka_unit_test(diff_svg__split_reversed__shares_changes_colours_and_titles),
		cmocka_unit_test(diff_svg__half_change__half_colour_widths_from_new),
		cmocka_unit_test(diff_svg__base_only_stacks__not_drawn_counted_as_vanished),
		cmocka_unit_test(diff_svg__hostile_labels__well_formed),
		cmocka_unit_test(diff_svg__embedded_script__zoom_search_hover_work),
		cmocka_unit_test(diff_write_collapsed__both_counts_sorted_zeros_kept),
		cmocka_unit_test(diff_add_profile__runs_of_one_command__matched_without_pids),
		cmocka_unit_test(diff_add_profile__same_paths_as_its_collapsed_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
