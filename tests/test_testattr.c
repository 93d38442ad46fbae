/* test_testattr.c - telling a sample's test: PYTEST_CURRENT_TEST, the environ reader, frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "fakemem.h"
#include "pyflame/testattr.h"
#include "pyflame/util.h"

static int parse(const char *v, char *id, enum test_phase *ph)
{
	size_t n;
	int ret = testattr__parse_pytest(v, strlen(v), &n, ph);

	if (!ret) {
		memcpy(id, v, n);
		id[n] = '\0';
	}
	return ret;
}

static void parse_pytest__plain_ids__id_and_phase(void **state)
{
	char id[TESTENV_VALUE_MAX];
	enum test_phase ph;
	(void)state;

	assert_int_equal(parse("tests/test_x.py::test_y (call)", id, &ph), 0);
	assert_string_equal(id, "tests/test_x.py::test_y");
	assert_int_equal(ph, TEST_PHASE_CALL);
	assert_int_equal(parse("t.py::TestK::test_y[param-1] (setup)", id, &ph), 0);
	assert_string_equal(id, "t.py::TestK::test_y[param-1]");
	assert_int_equal(ph, TEST_PHASE_SETUP);
	assert_int_equal(parse("t.py::k (teardown)", id, &ph), 0);
	assert_int_equal(ph, TEST_PHASE_TEARDOWN);
}

static void parse_pytest__parens_in_id__splits_on_last(void **state)
{
	char id[TESTENV_VALUE_MAX];
	enum test_phase ph;
	(void)state;

	assert_int_equal(parse("t.py::test[a (call) b] (teardown)", id, &ph), 0);
	assert_string_equal(id, "t.py::test[a (call) b]");
	assert_int_equal(ph, TEST_PHASE_TEARDOWN);
	assert_int_equal(parse("t.py::test[a/b-1.5] (call)", id, &ph), 0);
	assert_string_equal(id, "t.py::test[a/b-1.5]");
	assert_int_equal(parse("t.py::test[\xc3\xa9t\xc3\xa9] (call)", id, &ph), 0);
	assert_string_equal(id, "t.py::test[\xc3\xa9t\xc3\xa9]");
}

static void parse_pytest__hostile__einval(void **state)
{
	static const char *const bad[] = {
		"", "(call)", " (call)", "x (lunch)", "x (call", "x(call)", "x (call) ",
		"x (Call)", "x ()", "x (call))", "x (setup)(call)", ")", " (", "x (teardown",
	};
	char id[TESTENV_VALUE_MAX], big[TESTENV_VALUE_MAX + 16];
	enum test_phase ph;
	size_t n;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(parse(bad[i], id, &ph), -EINVAL);
	/* a NUL inside */
	assert_int_equal(testattr__parse_pytest("a\0b (call)", 10, &n, &ph), -EINVAL);
	assert_int_equal(testattr__parse_pytest(NULL, 0, &n, &ph), -EINVAL);
	/* longer than the bound */
	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 8, " (call)", 8);
	assert_int_equal(parse(big, id, &ph), -EINVAL);
}

static void parse_label__round_trip(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	enum test_where w;
	enum test_phase ph;
	const char *id;
	size_t n;
	(void)state;

	testattr__label(&sb, "t.py::x[a [b] c]", 16, TEST_PHASE_SETUP);
	assert_string_equal(sb.buf, "test t.py::x[a [b] c] [setup]");
	assert_int_equal(testattr__parse_label(sb.buf, sb.len, &w, &id, &n, &ph), 0);
	assert_int_equal(w, TEST_WHERE_TEST);
	assert_int_equal(n, 16);
	assert_memory_equal(id, "t.py::x[a [b] c]", 16);
	assert_int_equal(ph, TEST_PHASE_SETUP);
	assert_int_equal(testattr__parse_label("<collection>", 12, &w, &id, &n, &ph), 0);
	assert_int_equal(w, TEST_WHERE_COLLECTION);
	assert_null(id);
	assert_int_equal(testattr__parse_label("<session end>", 13, &w, &id, &n, &ph), 0);
	assert_int_equal(w, TEST_WHERE_SESSION_END);
	assert_int_equal(testattr__parse_label("test x", 6, &w, &id, &n, &ph), -EINVAL);
	assert_int_equal(testattr__parse_label("test  [call]", 12, &w, &id, &n, &ph), -EINVAL);
	assert_int_equal(testattr__parse_label("test x [nap]", 12, &w, &id, &n, &ph), -EINVAL);
	assert_int_equal(testattr__parse_label("main (app.py)", 13, &w, &id, &n, &ph), -EINVAL);
	strbuf_release(&sb);
}

static void frame_class__runner_frames(void **state)
{
	const char *rt = "/usr/lib/python3/dist-packages/_pytest/runner.py";
	(void)state;

	assert_true(testattr__frame_class("pytest_runtest_setup", rt) & TF_PT_SETUP);
	assert_true(testattr__frame_class("pytest_runtest_call", rt) & TF_PT_CALL);
	assert_true(testattr__frame_class("pytest_runtest_teardown", rt) & TF_PT_TEARDOWN);
	assert_true(testattr__frame_class("pytest_runtest_call", rt) & TF_PYTEST);
	/* the same name in another plugin is a wrapper, not the phase */
	assert_false(testattr__frame_class("pytest_runtest_call",
					   "/x/_pytest/logging.py") & TF_PT_CALL);
	assert_true(testattr__frame_class("Session.perform_collect", "/x/_pytest/main.py") &
		    TF_COLLECT);
	assert_true(testattr__frame_class("pytest_pyfunc_call", "/x/_pytest/python.py") &
		    TF_PT_PYFUNC);
	assert_true(testattr__frame_class("run", "/usr/lib/python2.7/unittest/case.py") &
		    TF_UT_RUN);
	assert_true(testattr__frame_class("TestK.setUp", "/p/tests/test_k.py") & TF_UT_SETUP);
	assert_true(testattr__frame_class("doCleanups", "/usr/lib/python3.12/unittest/case.py") &
		    TF_UT_TEARDOWN);
	assert_true(testattr__frame_class("f", "/p/test_k.py") & TF_TESTFILE);
	assert_true(testattr__frame_class("f", "/p/k_test.py") & TF_TESTFILE);
	assert_false(testattr__frame_class("f", "/p/test_k.pyc") & TF_TESTFILE);
	assert_false(testattr__frame_class("f", "/p/my_pytest_helpers/x.py") & TF_PYTEST);
	assert_int_equal(testattr__frame_class("", ""), TF_KNOWN);
}

static void stack__pytest_call__names_the_test_frame(void **state)
{
	uint16_t cls[] = { TF_PYTEST | TF_LOOP, TF_PYTEST | TF_PT_CALL, TF_PYTEST,
			   TF_PYTEST | TF_PT_PYFUNC, TF_TESTFILE, 0 };
	struct test_stack ts;
	(void)state;

	testattr__stack(cls, ARRAY_SIZE(cls), &ts);
	assert_int_equal(ts.where, TEST_WHERE_TEST);
	assert_int_equal(ts.phase, TEST_PHASE_CALL);
	assert_int_equal(ts.test_frame, 4);
	assert_int_equal(ts.runner, TF_PYTEST);
	assert_false(ts.unittest);
	/* in setup, a fixture in the test file is not the test */
	cls[1] = TF_PYTEST | TF_PT_SETUP;
	testattr__stack(cls, ARRAY_SIZE(cls), &ts);
	assert_int_equal(ts.phase, TEST_PHASE_SETUP);
	assert_int_equal(ts.test_frame, -1);
	/* pytest_pyfunc_call as the innermost frame: nothing after it */
	cls[1] = TF_PYTEST | TF_PT_CALL;
	testattr__stack(cls, 4, &ts);
	assert_int_equal(ts.test_frame, -1);
}

static void stack__unittest__phase_and_method(void **state)
{
	uint16_t cls[] = { TF_UNITTEST | TF_LOOP, TF_UNITTEST | TF_UT_CASE | TF_UT_RUN,
			   TF_UNITTEST | TF_UT_CASE | TF_UT_SETUP, TF_UT_SETUP | TF_TESTFILE, 0 };
	struct test_stack ts;
	(void)state;

	testattr__stack(cls, ARRAY_SIZE(cls), &ts);
	assert_int_equal(ts.where, TEST_WHERE_TEST);
	assert_true(ts.unittest);
	assert_int_equal(ts.phase, TEST_PHASE_SETUP);
	assert_int_equal(ts.test_frame, 3);
	/* 2.7: run calls the method itself */
	cls[2] = TF_TESTFILE;
	testattr__stack(cls, 3, &ts);
	assert_int_equal(ts.phase, TEST_PHASE_CALL);
	assert_int_equal(ts.test_frame, 2);
	/* run reporting the outcome (runner.py, result.py): no test's */
	cls[2] = TF_UNITTEST | TF_LOOP;
	cls[3] = TF_UNITTEST;
	testattr__stack(cls, 4, &ts);
	assert_int_equal(ts.where, TEST_WHERE_OUTSIDE);
	assert_int_equal(ts.test_frame, -1);
	/* run between phases, in its own code */
	testattr__stack(cls, 2, &ts);
	assert_int_equal(ts.where, TEST_WHERE_OUTSIDE);
	/* the loader, the suite, nothing */
	cls[0] = TF_UNITTEST | TF_COLLECT;
	testattr__stack(cls, 1, &ts);
	assert_int_equal(ts.where, TEST_WHERE_COLLECTION);
	cls[0] = TF_UNITTEST | TF_LOOP;
	testattr__stack(cls, 1, &ts);
	assert_int_equal(ts.where, TEST_WHERE_OUTSIDE);
	testattr__stack(cls, 0, &ts);
	assert_int_equal(ts.where, TEST_WHERE_SESSION_START);
	assert_int_equal(ts.runner, 0);
}

static void frame_id__pytest_and_unittest(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	testattr__frame_id(&sb, "TestK.test_y", "/p/tests/test_x.py", "/p", 0, TEST_PHASE_CALL);
	assert_string_equal(sb.buf, "tests/test_x.py::TestK.test_y");
	strbuf_reset(&sb);
	testattr__frame_id(&sb, "test_y", "/elsewhere/test_x.py", "/p", 0, TEST_PHASE_CALL);
	assert_string_equal(sb.buf, "/elsewhere/test_x.py::test_y");
	strbuf_reset(&sb);
	testattr__frame_id(&sb, "TestK.test_y", "/p/tests/test_x.py", "/p", 1, TEST_PHASE_CALL);
	assert_string_equal(sb.buf, "tests.test_x.TestK.test_y");
	strbuf_reset(&sb);
	testattr__frame_id(&sb, "TestK.setUp", "/p/tests/test_x.py", "/p", 1, TEST_PHASE_SETUP);
	assert_string_equal(sb.buf, "tests.test_x.TestK");
	strbuf_reset(&sb);
	testattr__frame_id(&sb, "setUp", "/q/test_x.py", "/p", 1, TEST_PHASE_SETUP);
	assert_string_equal(sb.buf, "test_x");
	strbuf_release(&sb);
}

/* --- the environ reader on a fake image --------------------------------------------- */

/*
 * A process's memory is mapped by pages: everything up to the end of the image reads, as
 * it would in a real one (allocations go through env_alloc, which keeps the top apart).
 */
struct envimg {
	size_t top;
	struct fakemem m;
	struct remote r;
	uint64_t environ_var, arr;
	struct testenv te;
};

static uint64_t env_alloc(struct envimg *e, size_t len)
{
	uint64_t a;

	e->m.used = e->top;
	a = fakemem_alloc(&e->m, len);
	e->top = e->m.used;
	e->m.used = e->m.size;
	return a;
}

static uint64_t put_str(struct envimg *e, const char *s)
{
	uint64_t a = env_alloc(e, strlen(s) + 1);

	fakemem_wbytes(&e->m, a, s, strlen(s) + 1);
	return a;
}

/* environ -> an array of the strings in vars, NULL-ended. */
static void env_setup(struct envimg *e, const char *const *vars, size_t n)
{
	fakemem_init(&e->m, 1 << 20);
	fakemem_remote(&e->m, &e->r, 42);
	e->top = 0;
	e->environ_var = env_alloc(e, 8);
	e->arr = env_alloc(e, (n + 1) * 8);
	for (size_t i = 0; i < n; i++)
		fakemem_w64(&e->m, e->arr + i * 8, put_str(e, vars[i]));
	fakemem_w64(&e->m, e->arr + n * 8, 0);
	fakemem_w64(&e->m, e->environ_var, e->arr);
	memset(&e->te, 0, sizeof(e->te));
	e->te.environ_addr = e->environ_var;
}

static void env_release(struct envimg *e)
{
	testenv__release(&e->te);
	fakemem_release(&e->m);
}

/*
 * The steady state's three ranges read by someone else (the unwinder's batch): plan,
 * read them with one remote__readv of our own here, finish: the same value, no read of
 * testenv's own.  Not read (res NULL) or failed: finish falls back to reading itself.
 */
static void testenv_plan_finish__ridden_read__same_value_no_read_of_its_own(void **state)
{
	static const char *const vars[] = { "HOME=/root", "PYTEST_CURRENT_TEST=t.py::a (call)" };
	struct envimg e;
	struct remote_iov iov[3];
	int res[3];
	char buf[TESTENV_VALUE_MAX];
	size_t len, n;
	unsigned long readvs, reads;
	(void)state;

	env_setup(&e, vars, ARRAY_SIZE(vars));
	assert_int_equal(testenv__plan(&e.te, iov), 0);		/* no slot known yet */
	assert_int_equal(testenv__finish(&e.te, &e.r, NULL, buf, &len), 1);
	assert_string_equal(buf, "t.py::a (call)");
	n = testenv__plan(&e.te, iov);
	assert_int_equal(n, 3);
	assert_int_equal(remote__readv(&e.r, iov, n, res), 0);
	readvs = e.m.readvs;
	reads = e.m.reads;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(testenv__finish(&e.te, &e.r, res, buf, &len), 1);
	assert_string_equal(buf, "t.py::a (call)");
	assert_int_equal(e.m.readvs, readvs);
	assert_int_equal(e.m.reads, reads);
	/* the value changed after the ride: finish sees what the ride read */
	n = testenv__plan(&e.te, iov);
	assert_int_equal(remote__readv(&e.r, iov, n, res), 0);
	fakemem_w64(&e.m, e.arr + 8, put_str(&e, "PYTEST_CURRENT_TEST=t.py::b (call)"));
	assert_int_equal(testenv__finish(&e.te, &e.r, res, buf, &len), 1);
	assert_string_equal(buf, "t.py::a (call)");
	/* a ride that failed: unreadable, never a stale value */
	n = testenv__plan(&e.te, iov);
	res[0] = -EFAULT;
	assert_int_equal(testenv__finish(&e.te, &e.r, res, buf, &len), -EFAULT);
	/* the slot moved on: finish rescans and finds the new one */
	n = testenv__plan(&e.te, iov);
	assert_int_equal(remote__readv(&e.r, iov, n, res), 0);
	assert_int_equal(testenv__finish(&e.te, &e.r, res, buf, &len), 1);
	assert_string_equal(buf, "t.py::b (call)");
	env_release(&e);
}

static void testenv_read__finds_and_follows_the_value(void **state)
{
	static const char *const vars[] = { "HOME=/root", "PATH=/bin",
					    "PYTEST_CURRENT_TEST=t.py::a (setup)", "X=1" };
	struct envimg e;
	char buf[TESTENV_VALUE_MAX];
	size_t len;
	unsigned long readvs;
	(void)state;

	env_setup(&e, vars, ARRAY_SIZE(vars));
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "t.py::a (setup)");
	assert_int_equal(len, 15);
	/* the steady state is one batched read */
	readvs = e.m.readvs;
	e.m.reads = 0;
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_int_equal(e.m.readvs, readvs + 1);
	assert_int_equal(e.m.reads, 0);
	/* setenv: a new string in the same slot */
	fakemem_w64(&e.m, e.arr + 2 * 8, put_str(&e, "PYTEST_CURRENT_TEST=t.py::a (call)"));
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "t.py::a (call)");
	/* unsetenv: the entries after it move down */
	{
		uint64_t x;

		memcpy(&x, fakemem_ptr(&e.m, e.arr + 3 * 8, 8), 8);
		fakemem_w64(&e.m, e.arr + 2 * 8, x);
		fakemem_w64(&e.m, e.arr + 3 * 8, 0);
	}
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 0);
	/* nothing changed since: the entries are not read again */
	readvs = e.m.readvs;
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 0);
	assert_int_equal(e.m.readvs, readvs);
	/* a new array (setenv grew it) */
	{
		static const char *const more[] = { "A=1", "PYTEST_CURRENT_TEST=t.py::b (call)" };
		uint64_t arr = env_alloc(&e, 3 * 8);

		fakemem_w64(&e.m, arr, put_str(&e, more[0]));
		fakemem_w64(&e.m, arr + 8, put_str(&e, more[1]));
		fakemem_w64(&e.m, arr + 16, 0);
		fakemem_w64(&e.m, e.environ_var, arr);
	}
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "t.py::b (call)");
	/* clearenv(): environ is NULL */
	fakemem_w64(&e.m, e.environ_var, 0);
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 0);
	env_release(&e);
}

static void testenv_read__hostile__no_crash(void **state)
{
	static const char *const vars[] = { "A=1", "PYTEST_CURRENT_TEST=x (call)" };
	struct envimg e;
	char buf[TESTENV_VALUE_MAX], big[TESTENV_VALUE_MAX + 64];
	size_t len;
	(void)state;

	env_setup(&e, vars, ARRAY_SIZE(vars));
	/* a bogus pointer in the array, before the entry */
	fakemem_w64(&e.m, e.arr, 0xdeadbeef);
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "x (call)");
	/* environ itself bogus, or misaligned */
	fakemem_w64(&e.m, e.environ_var, 0x10);
	assert_true(testenv__read(&e.te, &e.r, buf, &len) < 0);
	fakemem_w64(&e.m, e.environ_var, e.arr + 3);
	assert_true(testenv__read(&e.te, &e.r, buf, &len) < 0);
	/* a value with no end within the bound */
	memset(big, 'y', sizeof(big));
	memcpy(big, "PYTEST_CURRENT_TEST=", 20);
	big[sizeof(big) - 1] = '\0';
	fakemem_w64(&e.m, e.arr + 8, put_str(&e, big));
	fakemem_w64(&e.m, e.environ_var, e.arr);
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), -EFAULT);
	/* the process is gone */
	e.m.gone = 1;
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), -ESRCH);
	/* no environ symbol */
	e.m.gone = 0;
	e.te.environ_addr = 0;
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), -EFAULT);
	env_release(&e);
}

static void testenv_read__no_terminator__bounded(void **state)
{
	struct envimg e;
	char buf[TESTENV_VALUE_MAX];
	size_t len;
	uint64_t arr, s;
	(void)state;

	env_setup(&e, NULL, 0);
	/* more entries than the bound, none of them ours, no NULL */
	s = put_str(&e, "A=1");
	arr = env_alloc(&e, (TESTENV_SCAN_MAX + 8) * 8);
	for (size_t i = 0; i < TESTENV_SCAN_MAX + 8; i++)
		fakemem_w64(&e.m, arr + i * 8, s);
	fakemem_w64(&e.m, e.environ_var, arr);
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 0);
	/* random bytes as the array */
	srand(16);
	for (size_t i = 0; i < (TESTENV_SCAN_MAX + 8) * 8; i++)
		fakemem_w8(&e.m, arr + i, (uint8_t)rand());
	for (int k = 0; k < 8; k++) {
		int ret = testenv__read(&e.te, &e.r, buf, &len);

		assert_true(ret == 0 || ret == -EFAULT);
	}
	env_release(&e);
}

/* A string that ends just before an unmapped page reads; one that runs into it does not. */
static void testenv_read__string_at_page_end__reads(void **state)
{
	static const char val[] = "PYTEST_CURRENT_TEST=t.py::edge (call)";
	struct envimg e;
	char buf[TESTENV_VALUE_MAX];
	size_t len;
	uint64_t pad, at;
	(void)state;

	env_setup(&e, NULL, 0);
	pad = env_alloc(&e, 3 * 4096);
	at = ((pad + 4096) & ~4095ull) + 4096 - sizeof(val);
	fakemem_wbytes(&e.m, at, val, sizeof(val));
	e.m.hole_lo = at + sizeof(val);
	e.m.hole_hi = e.m.hole_lo + 4096;
	e.arr = env_alloc(&e, 16);
	fakemem_w64(&e.m, e.arr, at);
	fakemem_w64(&e.m, e.arr + 8, 0);
	fakemem_w64(&e.m, e.environ_var, e.arr);
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "t.py::edge (call)");
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), 1);
	assert_string_equal(buf, "t.py::edge (call)");
	/* its NUL overwritten: it runs into the hole */
	fakemem_w8(&e.m, at + sizeof(val) - 1, 'x');
	assert_int_equal(testenv__read(&e.te, &e.r, buf, &len), -EFAULT);
	env_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_pytest__plain_ids__id_and_phase),
		cmocka_unit_test(parse_pytest__parens_in_id__splits_on_last),
		cmocka_unit_test(parse_pytest__hostile__einval),
		cmocka_unit_test(parse_label__round_trip),
		cmocka_unit_test(frame_class__runner_frames),
		cmocka_unit_test(stack__pytest_call__names_the_test_frame),
		cmocka_unit_test(stack__unittest__phase_and_method),
		cmocka_unit_test(frame_id__pytest_and_unittest),
		cmocka_unit_test(testenv_read__finds_and_follows_the_value),
		cmocka_unit_test(testenv_plan_finish__ridden_read__same_value_no_read_of_its_own),
		cmocka_unit_test(testenv_read__hostile__no_crash),
		cmocka_unit_test(testenv_read__no_terminator__bounded),
		cmocka_unit_test(testenv_read__string_at_page_end__reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
