/* test_profile.c - aggregation, interning, labels and fold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "pyflame/profile.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"
#include "profile_build.h"

static char *fold_text(const struct profile *p, const struct output_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	struct pf_folded *f = profile__fold(p, o, &n);

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s %llu\n", f[i].path, (unsigned long long)f[i].count);
	pf_folded__free(f, n);
	return strbuf_detach(&sb, NULL);
}

/*
 * The collapsed writer sorts label sequences without joining them; its lines must come
 * in exactly the order strcmp() gives the joined texts, where one label is a prefix of
 * another too ("f (a.py)" before "f (a.py)x (a.py)", which sorts after ";" but
 * "f (a.py)! (a.py)" before it).
 */
static void writer_collapsed__prefix_labels__same_order_as_joined_texts(void **state)
{
	static const char *const names[] = { "f", "f (a.py)x", "f (a.py)!", "g", "f (a.py)" };
	struct profile *p = profile__new();
	uint32_t proc = profile__process(p, 10, "py", "3.12.0");
	uint32_t th = profile__thread(p, proc, 10, "main");
	struct output_opts o = { .line_numbers = 0 };
	char *buf = NULL, *want;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	unsigned seed = 7;

	(void)state;
	assert_non_null(out);
	for (int k = 0; k < 400; k++) {
		const char *spec[4];
		char text[4][32];
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 4;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			snprintf(text[i], sizeof(text[i]), "%s@a.py", names[(seed >> 16) % 5]);
			spec[i] = text[i];
		}
		pb_add(p, th, 0, 1 + k % 3, spec, n);
	}
	assert_int_equal(writer_collapsed__write(p, &o, out), 0);
	fclose(out);
	want = fold_text(p, &o);
	assert_string_equal(buf, want);
	free(want);
	free(buf);
	profile__free(p);
}

static void profile_frame__equal_frames__same_index(void **state)
{
	struct profile *p = profile__new();
	struct pf_frame a = { strtab__intern_str(p->strings, "f"),
			      strtab__intern_str(p->strings, "a.py"), 3 };
	struct pf_frame b = a, c = a;
	uint32_t ia, ib, ic;

	(void)state;
	c.line = 4;
	ia = profile__frame(p, &a);
	ib = profile__frame(p, &b);
	ic = profile__frame(p, &c);
	assert_int_equal(ia, ib);
	assert_int_not_equal(ia, ic);
	assert_int_equal(p->nframes, 2);
	assert_int_equal(p->frames[ic].line, 4);
	profile__free(p);
}

static void profile_stack__many_stacks__interned_once_across_rehash(void **state)
{
	struct profile *p = profile__new();
	uint32_t ids[5000];

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t fr[3] = { i, i / 7, i % 11 };

		ids[i] = profile__stack(p, fr, 1 + i % 3);
	}
	assert_int_equal(p->nstacks, 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t fr[3] = { i, i / 7, i % 11 };

		assert_int_equal(profile__stack(p, fr, 1 + i % 3), ids[i]);
		assert_int_equal(p->stack_len[ids[i]], 1 + i % 3);
		assert_int_equal(p->stack_data[p->stack_off[ids[i]]], i);
	}
	assert_int_equal(p->nstacks, 5000);
	/* The empty stack is a stack too (a thread with no Python frames). */
	assert_int_equal(profile__stack(p, NULL, 0), profile__stack(p, NULL, 0));
	assert_int_equal(p->nstacks, 5001);
	profile__free(p);
}

static void profile_add__same_key__sums_rows_and_totals(void **state)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 10, "python3 a.py", "3.12.1");
	uint32_t t1 = profile__thread(p, pr, 10, "MainThread");
	uint32_t t2 = profile__thread(p, pr, 11, "worker");

	(void)state;
	PB_ADD(p, t1, 0, 2, "main@a.py:1", "f@a.py:2");
	PB_ADD(p, t1, 0, 3, "main@a.py:1", "f@a.py:2");
	PB_ADD(p, t1, PF_SAMPLE_GIL, 4, "main@a.py:1", "f@a.py:2");
	PB_ADD(p, t2, 0, 5, "main@a.py:1", "f@a.py:2");
	assert_int_equal(p->nrows, 3);
	assert_int_equal(p->rows[0].count, 5);
	assert_int_equal(p->rows[1].count, 4);
	assert_int_equal(p->rows[1].flags, PF_SAMPLE_GIL);
	assert_int_equal(p->rows[2].count, 5);
	assert_int_equal(p->total, 14);
	assert_int_equal(p->threads[t1].samples, 9);
	assert_int_equal(p->threads[t2].samples, 5);
	assert_int_equal(p->procs[pr].samples, 14);
	assert_int_equal(p->nstacks, 1);
	assert_int_equal(p->nframes, 2);
	/* Bad ids and zero counts are ignored, not stored. */
	profile__add(p, 99, 0, 0, 1);
	profile__add(p, t1, 99, 0, 1);
	profile__add(p, t1, 0, 0, 0);
	assert_int_equal(p->nrows, 3);
	assert_int_equal(p->total, 14);
	profile__free(p);
}

static void profile_process__same_pid__one_entry_per_image(void **state)
{
	struct profile *p = profile__new();
	uint32_t a = profile__process(p, 42, "python3 app.py", "3.11.2");
	uint32_t a2 = profile__process(p, 42, "python3 app.py", "3.11.2");
	/* the same pid after an exec: another entry, the first keeps its command */
	uint32_t b = profile__process(p, 42, "python3 other.py", "3.12.1");
	uint32_t b2 = profile__process(p, 42, NULL, NULL);	/* the newest of pid 42 */
	uint32_t c = profile__process(p, 43, NULL, NULL);
	uint32_t t1, t2;

	(void)state;
	assert_int_equal(a, a2);
	assert_int_not_equal(a, b);
	assert_int_equal(b, b2);
	assert_int_not_equal(a, c);
	assert_int_equal(p->nprocs, 3);
	assert_string_equal(strtab__get(p->strings, p->procs[a].cmdline), "python3 app.py");
	assert_string_equal(strtab__get(p->strings, p->procs[a].version), "3.11.2");
	assert_string_equal(strtab__get(p->strings, p->procs[b].cmdline), "python3 other.py");
	assert_string_equal(strtab__get(p->strings, p->procs[c].cmdline), "");
	t1 = profile__thread(p, a, 42, NULL);
	t2 = profile__thread(p, a, 42, "MainThread");
	assert_int_equal(t1, t2);
	assert_string_equal(strtab__get(p->strings, p->threads[t1].name), "MainThread");
	/* Same tid in another process is another thread. */
	assert_int_not_equal(profile__thread(p, c, 42, NULL), t1);
	assert_int_equal(p->nthreads, 2);
	profile__free(p);
	profile__free(NULL);
}

static void pf_short_file__known_layouts__shortened(void **state)
{
	(void)state;
	assert_string_equal(pf_short_file("/usr/lib/python3.11/json/decoder.py"), "json/decoder.py");
	assert_string_equal(pf_short_file("/root/.pyenv/versions/3.12.1/lib/python3.12/threading.py"),
			    "threading.py");
	assert_string_equal(pf_short_file("/usr/lib64/python2.7/os.py"), "os.py");
	assert_string_equal(pf_short_file("/opt/py/lib/python3.13t/asyncio/events.py"),
			    "asyncio/events.py");
	assert_string_equal(pf_short_file("/venv/lib/python3.12/site-packages/requests/api.py"),
			    "requests/api.py");
	assert_string_equal(pf_short_file("/usr/lib/python3/dist-packages/yaml/main.py"),
			    "yaml/main.py");
	/* The last site-packages wins (a venv inside a site-packages tree). */
	assert_string_equal(pf_short_file("/a/site-packages/x/site-packages/y.py"), "y.py");
	/* User code keeps its path: the user needs it to find the file. */
	assert_string_equal(pf_short_file("/home/me/proj/app.py"), "/home/me/proj/app.py");
	assert_string_equal(pf_short_file("app/models.py"), "app/models.py");
	assert_string_equal(pf_short_file("/home/me/python3.11/app.py"), "/home/me/python3.11/app.py");
	assert_string_equal(pf_short_file("/home/me/lib/python3.x/app.py"),
			    "/home/me/lib/python3.x/app.py");
	assert_string_equal(pf_short_file("<frozen importlib._bootstrap>"),
			    "<frozen importlib._bootstrap>");
	assert_string_equal(pf_short_file(""), "");
}

static void profile_frame_label__lines_and_truncation(void **state)
{
	struct profile *p = profile__new();
	struct pf_frame f = { strtab__intern_str(p->strings, "Cls.meth"),
			      strtab__intern_str(p->strings, "/usr/lib/python3.11/json/decoder.py"),
			      337 };
	struct pf_frame g = { strtab__intern_str(p->strings, "mod"),
			      strtab__intern_str(p->strings, "x.py"), -1 };
	uint32_t i = profile__frame(p, &f), j = profile__frame(p, &g);
	char buf[64];

	(void)state;
	profile__frame_label(p, i, 1, buf, sizeof(buf));
	assert_string_equal(buf, "Cls.meth (json/decoder.py:337)");
	profile__frame_label(p, i, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Cls.meth (json/decoder.py)");
	profile__frame_label(p, j, 1, buf, sizeof(buf));
	assert_string_equal(buf, "mod (x.py)");
	profile__frame_label(p, i, 1, buf, 9);
	assert_string_equal(buf, "Cls.meth");
	g.file = strtab__intern_str(p->strings, "");
	j = profile__frame(p, &g);
	profile__frame_label(p, j, 1, buf, sizeof(buf));
	assert_string_equal(buf, "mod");
	profile__free(p);
}

static struct profile *two_threads(void)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 4242, "python3 app.py", "3.12.1");
	uint32_t main_t = profile__thread(p, pr, 4242, "MainThread");
	uint32_t work_t = profile__thread(p, pr, 4243, "worker");

	PB_ADD(p, main_t, 0, 5, "<module>@app.py:30", "main@app.py:20", "compute@app.py:10");
	PB_ADD(p, main_t, PF_SAMPLE_GIL, 2, "<module>@app.py:30", "main@app.py:20", "compute@app.py:10");
	PB_ADD(p, main_t, 0, 1, "<module>@app.py:30", "main@app.py:21");
	PB_ADD(p, work_t, PF_SAMPLE_IDLE, 7, "run@/usr/lib/python3.12/threading.py:1010",
	    "sleep@app.py:40");
	return p;
}

static void profile_fold__default__process_root_then_frames_sorted(void **state)
{
	struct profile *p = two_threads();
	struct output_opts o = { .line_numbers = 1 };
	char *s = fold_text(p, &o);

	(void)state;
	assert_string_equal(s,
		"python3 app.py [pid 4242];<module> (app.py:30);main (app.py:20);compute (app.py:10) 7\n"
		"python3 app.py [pid 4242];<module> (app.py:30);main (app.py:21) 1\n"
		"python3 app.py [pid 4242];run (threading.py:1010);sleep (app.py:40);<idle> 7\n");
	free(s);
	profile__free(p);
}

static void profile_fold__threads__thread_frame_after_process(void **state)
{
	struct profile *p = two_threads();
	struct output_opts o = { .line_numbers = 1, .threads = 1 };
	char *s = fold_text(p, &o);

	(void)state;
	assert_string_equal(s,
		"python3 app.py [pid 4242];thread 4242 (MainThread);<module> (app.py:30);main (app.py:20);compute (app.py:10) 7\n"
		"python3 app.py [pid 4242];thread 4242 (MainThread);<module> (app.py:30);main (app.py:21) 1\n"
		"python3 app.py [pid 4242];thread 4243 (worker);run (threading.py:1010);sleep (app.py:40);<idle> 7\n");
	free(s);
	profile__free(p);
}

static void profile_fold__no_line_numbers__lines_merge(void **state)
{
	struct profile *p = two_threads();
	struct output_opts o = { .line_numbers = 0 };
	char *s = fold_text(p, &o);

	(void)state;
	assert_string_equal(s,
		"python3 app.py [pid 4242];<module> (app.py);main (app.py) 1\n"
		"python3 app.py [pid 4242];<module> (app.py);main (app.py);compute (app.py) 7\n"
		"python3 app.py [pid 4242];run (threading.py);sleep (app.py);<idle> 7\n");
	free(s);
	profile__free(p);
}

static void profile_fold__truncated__marker_after_thread_frame(void **state)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 7, "python3 deep.py", "3.11.2");
	uint32_t t = profile__thread(p, pr, 8, "");
	struct output_opts o = { .line_numbers = 1, .threads = 1 };
	char *s;

	(void)state;
	PB_ADD(p, t, PF_SAMPLE_TRUNCATED | PF_SAMPLE_IDLE, 3, "rec@deep.py:4", "rec@deep.py:4");
	s = fold_text(p, &o);
	assert_string_equal(s,
		"python3 deep.py [pid 7];thread 8;<truncated>;rec (deep.py:4);rec (deep.py:4);<idle> 3\n");
	free(s);
	profile__free(p);
}

static void profile_fold__merge_processes__equal_cmdlines_sum(void **state)
{
	struct profile *p = profile__new();
	uint32_t a = profile__thread(p, profile__process(p, 100, "python3 w.py", ""), 100, "");
	uint32_t b = profile__thread(p, profile__process(p, 200, "python3 w.py", ""), 200, "");
	uint32_t c = profile__thread(p, profile__process(p, 300, "python3 other.py", ""), 300, "");
	struct output_opts split = { .line_numbers = 1 };
	struct output_opts merged = { .line_numbers = 1, .merge_processes = 1 };
	char *s;

	(void)state;
	PB_ADD(p, a, 0, 2, "job@w.py:1");
	PB_ADD(p, b, 0, 3, "job@w.py:1");
	PB_ADD(p, c, 0, 1, "job@w.py:1");
	s = fold_text(p, &split);
	assert_string_equal(s,
		"python3 other.py [pid 300];job (w.py:1) 1\n"
		"python3 w.py [pid 100];job (w.py:1) 2\n"
		"python3 w.py [pid 200];job (w.py:1) 3\n");
	free(s);
	s = fold_text(p, &merged);
	assert_string_equal(s,
		"python3 other.py;job (w.py:1) 1\n"
		"python3 w.py;job (w.py:1) 5\n");
	free(s);
	profile__free(p);
}

static void profile_fold__separators_in_names__replaced(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 1, "sh -c a;b", ""), 1, "we;ird\nname");
	struct output_opts o = { .line_numbers = 1, .threads = 1 };
	char *s;

	(void)state;
	PB_ADD(p, t, 0, 1, "a;b\nc@we;ird.py:2");
	s = fold_text(p, &o);
	assert_string_equal(s, "sh -c a:b [pid 1];thread 1 (we:ird name);a:b c (we:ird.py:2) 1\n");
	free(s);
	profile__free(p);
}

static void profile_fold__empty_profile__no_paths(void **state)
{
	struct profile *p = profile__new();
	size_t n = 99;
	struct pf_folded *f = profile__fold(p, NULL, &n);

	(void)state;
	assert_int_equal(n, 0);
	pf_folded__free(f, n);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(profile_frame__equal_frames__same_index),
		cmocka_unit_test(profile_stack__many_stacks__interned_once_across_rehash),
		cmocka_unit_test(profile_add__same_key__sums_rows_and_totals),
		cmocka_unit_test(profile_process__same_pid__one_entry_per_image),
		cmocka_unit_test(pf_short_file__known_layouts__shortened),
		cmocka_unit_test(profile_frame_label__lines_and_truncation),
		cmocka_unit_test(profile_fold__default__process_root_then_frames_sorted),
		cmocka_unit_test(profile_fold__threads__thread_frame_after_process),
		cmocka_unit_test(profile_fold__no_line_numbers__lines_merge),
		cmocka_unit_test(profile_fold__truncated__marker_after_thread_frame),
		cmocka_unit_test(profile_fold__merge_processes__equal_cmdlines_sum),
		cmocka_unit_test(profile_fold__separators_in_names__replaced),
		cmocka_unit_test(profile_fold__empty_profile__no_paths),
		cmocka_unit_test(writer_collapsed__prefix_labels__same_order_as_joined_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
