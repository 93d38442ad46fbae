/* test_testtable.c - the per-test table (--tests) and its JSON, CSV and Markdown writers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "profile_build.h"
#include "pyflame/testattr.h"
#include "pyflame/testtable.h"
#include "pyflame/writers.h"

/* count samples on thread: the test frame label, then one Python frame (own). */
static void add(struct profile *p, uint32_t thread, uint32_t flags, uint64_t count,
		const char *label, const char *leaf)
{
	struct pf_frame tf = { strtab__intern_str(p->strings, label),
			       strtab__intern_str(p->strings, ""), PF_LINE_TEST };
	struct pf_frame lf = { strtab__intern_str(p->strings, leaf),
			       strtab__intern_str(p->strings, "/p/tests/test_x.py"), 3 };
	uint32_t st[2] = { profile__frame(p, &tf), profile__frame(p, &lf) };

	profile__add(p, thread, profile__stack(p, st, 2), flags, count);
}

/* Two xdist-like workers (one command line) and a controller. */
static struct profile *two_workers(void)
{
	struct profile *p = profile__new();
	uint32_t w1 = profile__process(p, 101, "python -c worker", "3.11.2");
	uint32_t w2 = profile__process(p, 102, "python -c worker", "3.11.2");
	uint32_t t1 = profile__thread(p, w1, 101, "python");
	uint32_t t1b = profile__thread(p, w1, 105, "bg");
	uint32_t t2 = profile__thread(p, w2, 102, "python");

	p->meta.ticks = 1000;
	p->meta.duration_ns = 10000000000ull;	/* 10 ms a sample */
	add(p, t1, 0, 40, "test t.py::a [call]", "spin");
	add(p, t1, PF_SAMPLE_IDLE, 10, "test t.py::a [call]", "sleep");
	add(p, t1b, PF_SAMPLE_IDLE, 50, "test t.py::a [call]", "wait");	/* a helper thread */
	add(p, t2, 0, 30, "test t.py::b[x\",y] [setup]", "fixture");
	add(p, t2, 0, 20, "<collection>", "import_it");
	add(p, t1, 0, 5, "<collection>", "import_it");
	{
		/* a sample outside --tests: no test frame */
		static const char *const plain[] = { "main@app.py:1" };

		pb_add(p, t1, 0, 7, plain, 1);
	}
	return p;
}

static void build__rows_seconds_from_busiest_thread(void **state)
{
	struct profile *p = two_workers();
	struct testtable *t = testtable__build(p, 0, NULL);
	const struct test_row *r;
	(void)state;

	assert_int_equal(t->n, 4);
	assert_int_equal(t->samples, 155);
	r = &t->rows[0];	/* t.py::a: 100 samples, its busiest thread 50 */
	assert_int_equal(r->where, TEST_WHERE_TEST);
	assert_int_equal(r->id_len, 7);
	assert_memory_equal(r->id, "t.py::a", 7);
	assert_int_equal(r->phase, TEST_PHASE_CALL);
	assert_int_equal(r->samples, 100);
	assert_int_equal(r->idle, 60);
	assert_int_equal(r->thread_samples, 50);
	assert_true(r->seconds > 0.499 && r->seconds < 0.501);
	/* working samples rank: the helper thread's wait does not lead */
	assert_int_equal(r->ntop, 1);
	assert_string_equal(strtab__get(p->strings, r->top[0].name), "spin");
	assert_int_equal(r->top[0].samples, 40);
	r = &t->rows[1];
	assert_int_equal(r->phase, TEST_PHASE_SETUP);
	assert_int_equal(r->samples, 30);
	/* collection: one row per process */
	assert_int_equal(t->rows[2].where, TEST_WHERE_COLLECTION);
	assert_int_equal(t->rows[2].samples, 20);
	assert_int_equal(t->rows[3].samples, 5);
	testtable__free(t);
	/* merged: equal command lines are one */
	t = testtable__build(p, 1, NULL);
	assert_int_equal(t->n, 3);
	assert_int_equal(t->rows[2].where, TEST_WHERE_COLLECTION);
	assert_int_equal(t->rows[2].samples, 25);
	assert_int_equal(t->rows[2].thread_samples, 20);
	testtable__free(t);
	profile__free(p);
}

static void build__no_test_frames__empty(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 1, "x", "3.12"), 1, "x");
	struct testtable *tt;
	(void)state;

	PB_ADD(p, t, 0, 3, "main@app.py:1", "test x [call]@:1");	/* named like one, not one */
	tt = testtable__build(p, 0, NULL);
	assert_int_equal(tt->n, 0);
	testtable__free(tt);
	profile__free(p);
}

static char *render(enum pf_format f, const struct profile *p, int merge)
{
	struct output_opts o = { .line_numbers = 1, .merge_processes = merge };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(pf_write(f, p, &o, out), 0);
	fclose(out);
	return buf;
}

static void writers__json_csv_md__rows_and_escaping(void **state)
{
	struct profile *p = two_workers();
	char *s;
	(void)state;

	s = render(PF_FORMAT_TESTS_JSON, p, 0);
	assert_non_null(strstr(s, "\"pid\": 101, \"where\": \"test\", \"id\": \"t.py::a\", "
			       "\"phase\": \"call\", \"samples\": 100, \"thread_samples\": 50, "
			       "\"seconds\": 0.5000, \"cpu_samples\": 40, \"idle_samples\": 60"));
	assert_non_null(strstr(s, "\"id\": \"t.py::b[x\\\",y]\""));
	assert_non_null(strstr(s, "\"where\": \"collection\", \"id\": null, \"phase\": null"));
	free(s);
	s = render(PF_FORMAT_TESTS_JSON, p, 1);
	assert_non_null(strstr(s, "\"merged\": true"));
	assert_non_null(strstr(s, "\"pid\": null"));
	free(s);
	s = render(PF_FORMAT_TESTS_CSV, p, 0);
	assert_true(!strncmp(s, "pid,process,where,id,phase,samples,seconds,", 43));
	assert_non_null(strstr(s, "102,\"python -c worker\",\"test\",\"t.py::b[x\"\",y]\",setup,30,"
			       "0.300,30,0,\"fixture (/p/tests/test_x.py) 30\"\r\n"));
	free(s);
	s = render(PF_FORMAT_TESTS_MD, p, 0);
	assert_non_null(strstr(s, "| 101 | python -c worker | test | t.py::a | call | 100 | "
			       "0.500 | 40 | 60 |"));
	assert_non_null(strstr(s, "t.py::b\\[x\",y\\]"));
	free(s);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build__rows_seconds_from_busiest_thread),
		cmocka_unit_test(build__no_test_frames__empty),
		cmocka_unit_test(writers__json_csv_md__rows_and_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
