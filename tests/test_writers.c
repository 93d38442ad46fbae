/* test_writers.c - format names, collapsed golden output, SVG structure and size, summary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "pyflame/util.h"
#include "pyflame/writers.h"
#include "profile_build.h"

/*
 * The known profile: 15 samples in one process, two threads.
 *   compute 6 own, fib 4 own (recursive: counted once in total), main 2 own,
 *   sleep 2 own (idle), a <lambda> in a file whose path has '&' in it 1 own.
 */
static struct profile *known_profile(void)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 4242, "python3 app.py", "3.12.1");
	uint32_t m = profile__thread(p, pr, 4242, "MainThread");
	uint32_t w = profile__thread(p, pr, 4243, "worker");

	p->meta.mode = xstrdup("wall");
	p->meta.command = xstrdup("python3 app.py --n 3");
	p->meta.rate_hz = 100;
	p->meta.duration_ns = 2500000000ull;
	p->meta.dropped = 3;
	PB_ADD(p, m, 0, 6, "<module>@app.py:30", "main@app.py:20", "compute@app.py:10");
	PB_ADD(p, m, 0, 2, "<module>@app.py:30", "main@app.py:21");
	PB_ADD(p, m, PF_SAMPLE_GIL, 4, "<module>@app.py:31", "fib@fib.py:1", "fib@fib.py:2",
	       "fib@fib.py:2");
	PB_ADD(p, m, 0, 1, "<module>@app.py:32", "<lambda>@/srv/R&D/tool.py:5");
	PB_ADD(p, w, PF_SAMPLE_IDLE, 2, "run@/usr/lib/python3.12/threading.py:1010",
	       "sleep@app.py:40");
	return p;
}

static const struct output_opts default_opts = { .line_numbers = 1 };

/* Run a writer into memory; returns the bytes (NUL-terminated), *len their count. */
/* open_memstream's buffer lives on the heap: gcc's dangling-pointer check cannot tell. */
struct membuf {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *membuf__open(struct membuf *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	return m->f;
}

static char *membuf__close(struct membuf *m, size_t *len)
{
	char *buf;

	assert_int_equal(fclose(m->f), 0);
	buf = m->buf;
	if (len)
		*len = m->len;
	free(m);
	return buf;
}

static char *render(enum pf_format f, const struct profile *p, const struct output_opts *o,
		    size_t *len)
{
	struct membuf *m = xcalloc(1, sizeof(*m));

	assert_int_equal(pf_write(f, p, o, membuf__open(m)), 0);
	return membuf__close(m, len);
}

static char *read_fixture(const char *name)
{
	char path[4096];
	struct strbuf sb = STRBUF_INIT;

	snprintf(path, sizeof(path), "%s/writers/%s", fixtures_dir(), name);
	assert_int_equal(pf_read_file(path, &sb, 1 << 20), 0);
	return strbuf_detach(&sb, NULL);
}

/* Write buf to a temporary file; returns its path (static storage). */
static const char *to_temp(const char *buf, size_t len, const char *suffix)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/pyflame-test-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	return path;
}

static int have_tool(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Check well-formedness with every XML parser on the machine; returns how many ran. */
static int check_xml(const char *buf, size_t len)
{
	const char *path = to_temp(buf, len, ".svg");
	char cmd[512];
	int ran = 0;

	if (have_tool("xmllint")) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
		assert_int_equal(system(cmd), 0);
		ran++;
	}
	if (have_tool("python3")) {
		snprintf(cmd, sizeof(cmd), "python3 -c 'import sys, xml.dom.minidom; "
			 "xml.dom.minidom.parse(sys.argv[1])' '%s'", path);
		assert_int_equal(system(cmd), 0);
		ran++;
	}
	unlink(path);
	return ran;
}

/* --- format names ------------------------------------------------------------------ */

static void pf_format__names_and_extensions__map_to_formats(void **state)
{
	(void)state;
	assert_int_equal(pf_format__from_path("out.svg"), PF_FORMAT_SVG);
	assert_int_equal(pf_format__from_path("/tmp/x.y/Profile.SVG"), PF_FORMAT_SVG);
	assert_int_equal(pf_format__from_path("p.txt"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_path("p.folded"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_path("p.collapsed"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_path("p.json"), PF_FORMAT_SPEEDSCOPE);
	assert_int_equal(pf_format__from_path("svg"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_path("/tmp/.svg"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_path("dir.svg/out"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_path(NULL), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_name("svg"), PF_FORMAT_SVG);
	assert_int_equal(pf_format__from_name("collapsed"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_name("folded"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_name("txt"), PF_FORMAT_COLLAPSED);
	assert_int_equal(pf_format__from_name("flamegraph"), PF_FORMAT_NONE);
	assert_string_equal(pf_format__name(PF_FORMAT_SVG), "svg");
	assert_string_equal(pf_format__name(PF_FORMAT_COLLAPSED), "collapsed");
}

static void pf_write__unknown_format__einval(void **state)
{
	struct profile *p = profile__new();

	(void)state;
	assert_int_equal(pf_write(PF_FORMAT_NONE, p, &default_opts, stdout), -EINVAL);
	profile__free(p);
}

/* --- collapsed --------------------------------------------------------------------- */

static void writer_collapsed__known_profile__matches_golden(void **state)
{
	struct profile *p = known_profile();
	struct output_opts threads = { .line_numbers = 1, .threads = 1 };
	char *got, *want;

	(void)state;
	got = render(PF_FORMAT_COLLAPSED, p, &default_opts, NULL);
	want = read_fixture("known.collapsed");
	assert_string_equal(got, want);
	free(got);
	free(want);
	got = render(PF_FORMAT_COLLAPSED, p, &threads, NULL);
	want = read_fixture("known-threads.collapsed");
	assert_string_equal(got, want);
	free(got);
	free(want);
	profile__free(p);
}

static void writer_collapsed__every_line__path_space_count(void **state)
{
	struct profile *p = known_profile();
	char *got = render(PF_FORMAT_COLLAPSED, p, &default_opts, NULL);
	unsigned long long sum = 0;

	(void)state;
	for (char *line = strtok(got, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strrchr(line, ' ');

		assert_non_null(sp);
		sum += strtoull(sp + 1, NULL, 10);
	}
	assert_int_equal(sum, p->total);
	free(got);
	profile__free(p);
}

/* A command line and a thread name from /proc can hold any bytes: the text is UTF-8. */
static void writer_collapsed__names_not_utf8__valid_utf8_no_controls(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 9, "py \xff\x01x;y", ""), 9,
				     "w\xf6rk\xc3");
	struct output_opts o = { .line_numbers = 1, .threads = 1 };
	char *got;

	(void)state;
	PB_ADD(p, t, 0, 3, "main@app.py:1");
	got = render(PF_FORMAT_COLLAPSED, p, &o, NULL);
	assert_string_equal(got, "py \xef\xbf\xbd x:y [pid 9];thread 9 (w\xef\xbf\xbdrk\xef\xbf\xbd);"
			    "main (app.py:1) 3\n");
	free(got);
	profile__free(p);
}

/* --- svg --------------------------------------------------------------------------- */

static void writer_svg__known_profile__well_formed_with_labels_counts_title(void **state)
{
	struct profile *p = known_profile();
	struct output_opts o = { .line_numbers = 1, .title = "python3 app.py --n 3" };
	size_t len;
	char *svg = render(PF_FORMAT_SVG, p, &o, &len);

	(void)state;
	if (!check_xml(svg, len))
		print_message("no XML checker found; structure checked by string only\n");
	assert_non_null(strstr(svg, "<svg "));
	assert_non_null(strstr(svg, "width=\"1200\""));
	assert_non_null(strstr(svg, ">python3 app.py --n 3</text>"));
	assert_non_null(strstr(svg, "mode wall, 100 Hz, 15 samples, 3 dropped, 2.5 s"));
	/* Every frame: label, samples and percent in its <title>, data in attributes. */
	assert_non_null(strstr(svg, "<title>compute (app.py:10)\n6 samples, 40.00%</title>"));
	assert_non_null(strstr(svg, "<title>main (app.py:20)\n6 samples, 40.00%</title>"));
	assert_non_null(strstr(svg, "<title>python3 app.py [pid 4242]\n15 samples, 100.00%</title>"));
	assert_non_null(strstr(svg, "<title>fib (fib.py:1)\n4 samples, 26.67%</title>"));
	assert_non_null(strstr(svg, "<title>run (threading.py:1010)\n2 samples, 13.33%</title>"));
	assert_non_null(strstr(svg, "<title>&lt;idle&gt;\n2 samples, 13.33%</title>"));
	assert_non_null(strstr(svg, "data-s=\"6\""));
	/* Escaping: a <lambda> and a path with '&' in it. */
	assert_non_null(strstr(svg, "<title>&lt;lambda&gt; (/srv/R&amp;D/tool.py:5)\n1 sample, 6.67%</title>"));
	assert_null(strstr(svg, "<lambda>"));
	assert_null(strstr(svg, "R&D"));
	/* Controls and script. */
	assert_non_null(strstr(svg, ">Reset Zoom</text>"));
	assert_non_null(strstr(svg, ">Search</text>"));
	assert_non_null(strstr(svg, "<![CDATA["));
	assert_non_null(strstr(svg, "ctrlKey"));
	assert_int_equal(count_of(svg, "<g data-o="), 15);
	assert_null(strstr(svg, "id=\"pruned\""));
	free(svg);
	profile__free(p);
}

static const char *fill_of(const char *svg, const char *title)
{
	const char *q = strstr(svg, title);

	assert_non_null(q);
	q = strstr(q, "fill=\"#");
	assert_non_null(q);
	assert_int_equal(strspn(q + 7, "0123456789abcdef"), 6);
	return q + 6;
}

static void writer_svg__same_file__same_colour_across_graphs(void **state)
{
	struct profile *a = known_profile(), *b = profile__new();
	uint32_t t = profile__thread(b, profile__process(b, 1, "x", ""), 1, "");
	char *sa, *sb_;

	(void)state;
	PB_ADD(b, t, 0, 1, "zzz@other.py:1", "fib@/venv/lib/python3.12/site-packages/fib.py:1");
	sa = render(PF_FORMAT_SVG, a, &default_opts, NULL);
	sb_ = render(PF_FORMAT_SVG, b, &default_opts, NULL);
	/* The colour comes from the (shortened) file: stable across graphs and installs. */
	assert_memory_equal(fill_of(sa, "<title>fib (fib.py:1)"),
			    fill_of(sb_, "<title>fib (fib.py:1)"), 7);
	/* Process roots share one neutral colour, idle frames are grey. */
	assert_memory_equal(fill_of(sa, "<title>python3 app.py [pid 4242]"), "#a9b8c8", 7);
	assert_memory_equal(fill_of(sa, "<title>&lt;idle&gt;"), "#b8b8b8", 7);
	free(sa);
	free(sb_);
	sa = render(PF_FORMAT_SVG, a, &default_opts, NULL);
	sb_ = render(PF_FORMAT_SVG, a, &default_opts, NULL);
	assert_string_equal(sa, sb_);	/* deterministic */
	free(sa);
	free(sb_);
	profile__free(a);
	profile__free(b);
}

/* The width attribute of the <rect> after the frame titled title. */
static double width_of(const char *svg, const char *title)
{
	const char *q = strstr(svg, title);

	assert_non_null(q);
	q = strstr(q, "width=\"");
	assert_non_null(q);
	return strtod(q + 7, NULL);
}

static void writer_svg__neighbours__drawn_with_a_gap(void **state)
{
	struct profile *p = known_profile();
	char *svg;

	(void)state;
	p->meta.ticks_missed = 1;
	svg = render(PF_FORMAT_SVG, p, &default_opts, NULL);
	/* 1180 px for 15 samples: a frame is its share less a 1 px gap on its right. */
	assert_true(width_of(svg, "<title>python3 app.py [pid 4242]\n") == 1179.0);
	assert_true(width_of(svg, "<title>compute (app.py:10)\n") == 471.0);
	assert_true(width_of(svg, "<title>fib (fib.py:1)\n") == 313.7);
	/* The gap is taken from the right: the root still starts at the left padding. */
	assert_non_null(strstr(svg, "<rect x=\"10.0\""));
	assert_non_null(strstr(svg, ", 1 tick missed, "));
	free(svg);
	profile__free(p);
}

static void writer_svg__invalid_utf8_and_controls__still_well_formed(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 1, "py\x01thon \xff", ""), 1, "t\xc3");
	struct output_opts o = { .line_numbers = 1, .threads = 1, .title = "bad \xc3\x28 title" };
	size_t len;
	char *svg;

	(void)state;
	PB_ADD(p, t, 0, 1, "f\xed\xa0\x80g@caf\xc3\xa9.py:1", "]]>@x.py:2");
	svg = render(PF_FORMAT_SVG, p, &o, &len);
	check_xml(svg, len);
	assert_non_null(strstr(svg, "caf\xc3\xa9.py:1"));	/* valid UTF-8 kept */
	assert_non_null(strstr(svg, "]]&gt; (x.py:2)"));
	free(svg);
	profile__free(p);
}

static void writer_svg__empty_profile__well_formed_no_samples(void **state)
{
	struct profile *p = profile__new();
	size_t len;
	char *svg = render(PF_FORMAT_SVG, p, NULL, &len);

	(void)state;
	check_xml(svg, len);
	assert_non_null(strstr(svg, ">no samples</text>"));
	assert_non_null(strstr(svg, ">pyflame</text>"));
	free(svg);
	profile__free(p);
}

/* 100k distinct stacks, one sample each, under a few shared hot paths. */
static void writer_svg__100k_stacks__pruned_noted_and_small(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 9, "python3 big.py", ""), 9, "");
	uint32_t frames[6];
	struct output_opts o = { .line_numbers = 1, .min_width_px = 0 };
	size_t len;
	char *svg, *note;
	const char *base[4] = { "<module>", "main", "handle", "work" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct pf_frame f = { strtab__intern_str(p->strings, base[i]),
				      strtab__intern_str(p->strings, "big.py"), 10 * i };

		frames[i] = profile__frame(p, &f);
	}
	for (uint32_t i = 0; i < 100000; i++) {
		char name[32];
		struct pf_frame f = { 0, strtab__intern_str(p->strings, "leafmod.py"), (int32_t)(i % 97) };
		struct pf_frame g = { 0, strtab__intern_str(p->strings, "deep.py"), 1 };

		snprintf(name, sizeof(name), "leaf_%u", i / 97);
		f.name = strtab__intern_str(p->strings, name);
		frames[4] = profile__frame(p, &f);
		snprintf(name, sizeof(name), "deep_%u", i);
		g.name = strtab__intern_str(p->strings, name);
		frames[5] = profile__frame(p, &g);
		profile__add(p, t, profile__stack(p, frames, 6), 0, 1 + (i % 100 == 0) * 500);
	}
	/* A few hot leaves so something is wide. */
	assert_int_equal(p->nstacks, 100000);
	svg = render(PF_FORMAT_SVG, p, &o, &len);
	assert_true(len < 5u * 1024 * 1024);
	check_xml(svg, len);
	note = strstr(svg, "id=\"pruned\"");
	assert_non_null(note);
	assert_non_null(strstr(note, " frames narrower than 0.10 px not shown</text>"));
	assert_non_null(strstr(svg, "<!-- pyflame flame graph: "));
	assert_non_null(strstr(svg, "<title>work (big.py:30)\n"));
	free(svg);
	profile__free(p);
}

static void writer_svg__embedded_script__zoom_and_search_work(void **state)
{
	struct profile *p = known_profile();
	char cmd[1024], line[256] = "";
	const char *path;
	size_t len;
	char *svg;
	FILE *f;

	(void)state;
	if (!have_tool("node")) {
		print_message("node not found; script behaviour not checked\n");
		skip();
	}
	svg = render(PF_FORMAT_SVG, p, &default_opts, &len);
	path = to_temp(svg, len, ".svg");
	snprintf(cmd, sizeof(cmd), "node '%s/writers/svg_script_check.js' '%s' "
		 "'^main \\(app.py:20' 'fib' 'Matched: 26.7%%' 2>&1", fixtures_dir(), path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strcmp(line, "ok\n"))
			print_message("%s", line);
	assert_int_equal(pclose(f), 0);
	assert_string_equal(line, "ok\n");
	unlink(path);
	free(svg);
	profile__free(p);
}

/* --- summary ----------------------------------------------------------------------- */

static char *summary_text(const struct profile *p, const struct pf_summary_extra *x)
{
	struct membuf *m = xcalloc(1, sizeof(*m));

	summary__print(p, x, membuf__open(m));
	return membuf__close(m, NULL);
}

static void summary__known_profile__top_functions_and_shares(void **state)
{
	struct profile *p = known_profile();
	const char *files[] = { "profile.svg", "profile.txt" };
	struct pf_summary_extra x = { files, 2, 40, 0, 0, 0, NULL };
	char *s = summary_text(p, &x);
	char *own, *tot;

	(void)state;
	assert_non_null(strstr(s, "pyflame: 15 samples from 1 Python process (40 processes in all), 2 threads "
			       "(wall, 100 Hz, 2.5 s, 3 dropped)\n"));
	assert_non_null(strstr(s, "  idle: 13.3% of samples (2), GIL held: 26.7%\n"
				  "  idle, waiting in: sleep (app.py) 13.3%\n"));
	own = strstr(s, "top functions by own samples (idle samples apart, above):\n");
	tot = strstr(s, "top functions by total samples (idle samples apart):\n");
	assert_non_null(own);
	assert_non_null(tot);
	assert_true(own < tot);
	/* First line of each table: the top function, with aligned counts and percents. */
	assert_non_null(strstr(own, "    own      %  total      %  function\n"
				    "      6  40.0%      6  40.0%  compute (app.py)\n"
				    "      4  26.7%      4  26.7%  fib (fib.py)\n"));
	assert_non_null(strstr(tot, "  total      %    own      %  function\n"
				    "     13  86.7%      0   0.0%  <module> (app.py)\n"
				    "      8  53.3%      2  13.3%  main (app.py)\n"));
	/* Recursion counts once per stack: fib total 4, not 12. */
	assert_non_null(strstr(tot, "      4  26.7%      4  26.7%  fib (fib.py)\n"));
	/* the idle thread's samples are on the idle line, not in the tables */
	assert_null(strstr(tot, "run (threading.py)"));
	assert_null(strstr(own, "sleep (app.py)"));
	/* <module> has no own samples, so it is not in the own table; <idle> is never ranked. */
	assert_true(strstr(own, "<module>") > tot);
	assert_null(strstr(s, "<idle>"));
	assert_non_null(strstr(s, "<lambda> (/srv/R&D/tool.py)"));
	assert_non_null(strstr(s, "wrote profile.svg\nwrote profile.txt\n"));
	free(s);
	profile__free(p);
}

/* An xdist run in wall mode: most samples are threads waiting, the hot code is the rest. */
static void summary__wall_mode_mostly_idle__waits_on_idle_line_working_code_ranked(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 7, "python3 -m pytest -n 2", ""), 7, "");
	struct membuf *m = xcalloc(1, sizeof(*m));
	char *s, *own;

	(void)state;
	p->meta.mode = xstrdup("wall");
	PB_ADD(p, t, PF_SAMPLE_IDLE, 51, "main@xdist.py:1", "Popen2IO.read@execnet.py:9");
	PB_ADD(p, t, PF_SAMPLE_IDLE, 19, "run@threading.py:2", "Condition.wait@threading.py:3");
	PB_ADD(p, t, 0, 20, "main@xdist.py:1", "test_hot@test_x.py:5");
	PB_ADD(p, t, 0, 10, "main@xdist.py:1", "collect@pytest.py:7");
	s = summary_text(p, NULL);
	assert_non_null(strstr(s, "  idle: 70.0% of samples (70)\n"
				  "  idle, waiting in: Popen2IO.read (execnet.py) 51.0%, "
				  "Condition.wait (threading.py) 19.0%\n"));
	own = strstr(s, "top functions by own samples (idle samples apart, above):\n");
	assert_non_null(own);
	/* the working samples lead, with their share of all samples */
	assert_non_null(strstr(own, "  function\n     20  20.0%     20  20.0%  test_hot (test_x.py)\n"
				    "     10  10.0%     10  10.0%  collect (pytest.py)\n"));
	assert_null(strstr(own, "Popen2IO.read"));
	assert_non_null(strstr(s, "     30  30.0%      0   0.0%  main (xdist.py)\n"));
	free(s);
	summary__print_markdown(p, NULL, membuf__open(m));
	s = membuf__close(m, NULL);
	assert_non_null(strstr(s, "idle, waiting in: `Popen2IO.read (execnet.py)` 51.0%, "));
	assert_non_null(strstr(s, "**Top functions by own samples** (idle samples apart, above)\n\n"
				  "| own | % | total | % | function |\n|---:|---:|---:|---:|---|\n"
				  "| 20 | 20.0% | 20 | 20.0% | `test_hot (test_x.py)` |\n"));
	free(s);
	profile__free(p);
}

static void summary__more_than_ten_functions__ten_rows(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 1, "python3 m.py", ""), 1, "");
	char *s, *own, *tot;
	char name[16];

	(void)state;
	for (int i = 0; i < 25; i++) {
		struct pf_frame f = { 0, strtab__intern_str(p->strings, "m.py"), i };
		uint32_t fr;

		snprintf(name, sizeof(name), "f%02d", i);
		f.name = strtab__intern_str(p->strings, name);
		fr = profile__frame(p, &f);
		profile__add(p, t, profile__stack(p, &fr, 1), 0, (uint64_t)(100 + i));
	}
	s = summary_text(p, NULL);
	own = strstr(s, "top functions by own samples:\n");
	tot = strstr(s, "top functions by total samples:\n");
	assert_non_null(own);
	assert_non_null(tot);
	*tot = '\0';
	assert_int_equal(count_of(own, "(m.py)\n"), 10);
	assert_non_null(strstr(own, "  124   4.4%    124   4.4%  f24 (m.py)\n"));
	assert_null(strstr(own, "f14 (m.py)"));
	assert_non_null(strstr(s, "  idle: 0.0% of samples (0)\n"));
	free(s);
	profile__free(p);
}

static void summary__empty_profile__says_no_samples(void **state)
{
	struct profile *p = profile__new();
	char *s = summary_text(p, NULL);

	(void)state;
	assert_string_equal(s, "pyflame: 0 samples from 0 Python processes, 0 threads\n");
	free(s);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pf_format__names_and_extensions__map_to_formats),
		cmocka_unit_test(pf_write__unknown_format__einval),
		cmocka_unit_test(writer_collapsed__known_profile__matches_golden),
		cmocka_unit_test(writer_collapsed__every_line__path_space_count),
		cmocka_unit_test(writer_collapsed__names_not_utf8__valid_utf8_no_controls),
		cmocka_unit_test(writer_svg__known_profile__well_formed_with_labels_counts_title),
		cmocka_unit_test(writer_svg__same_file__same_colour_across_graphs),
		cmocka_unit_test(writer_svg__neighbours__drawn_with_a_gap),
		cmocka_unit_test(writer_svg__invalid_utf8_and_controls__still_well_formed),
		cmocka_unit_test(writer_svg__empty_profile__well_formed_no_samples),
		cmocka_unit_test(writer_svg__100k_stacks__pruned_noted_and_small),
		cmocka_unit_test(writer_svg__embedded_script__zoom_and_search_work),
		cmocka_unit_test(summary__known_profile__top_functions_and_shares),
		cmocka_unit_test(summary__wall_mode_mostly_idle__waits_on_idle_line_working_code_ranked),
		cmocka_unit_test(summary__more_than_ten_functions__ten_rows),
		cmocka_unit_test(summary__empty_profile__says_no_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
