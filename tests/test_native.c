/*
 * test_native.c - --native: the merge of C and Python frames, the fold list, and real
 * unwinds of a ptrace-stopped child of this test (its functions are in our .symtab).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/native.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/remote.h"
#include "pyflame/strtab.h"

/* --- the merge ---------------------------------------------------------------------- */

#define C(id) { .f = { .name = (id), .file = 0, .line = PF_LINE_NATIVE }, .kind = NATIVE_C }
#define E(id) { .f = { .name = (id), .file = 0, .line = PF_LINE_NATIVE }, .kind = NATIVE_EVAL }
#define F(id) { .f = { .name = (id), .file = 0, .line = PF_LINE_NATIVE }, .kind = NATIVE_FOLD }
#define P(id) { .name = (id), .file = 1, .line = 1 }

/* qsort's shape, innermost first: py_compare <- eval <- fold <- closure <- qsort <- ... */
static const struct native_frame qsort_c[] = {
	E(100), F(101), C(102), C(103), C(104), F(105), E(100), F(106), C(107), C(108),
};
static const struct pf_frame qsort_py[] = { P(1), P(2), P(3), P(4) };

static void expect(const struct pf_frame *out, unsigned n, const uint32_t *names, unsigned len)
{
	assert_int_equal(n, len);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(out[i].name, names[i]);
}

static void native_merge__qsort_callback__python_replaces_each_eval(void **state)
{
	const uint32_t acts[] = { 1, 3 };	/* py_compare; py_caller, qsort_loop, <module> */
	const uint32_t want[] = { 1, 102, 103, 104, 2, 3, 4, 107, 108 };
	struct pf_frame out[32];
	unsigned n = 0;

	(void)state;
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, acts, 2, 0, out, 32, &n), 0);
	expect(out, n, want, sizeof(want) / sizeof(want[0]));
}

static void native_merge__keep_all__keeps_eval_and_fold_frames(void **state)
{
	const uint32_t acts[] = { 1, 3 };
	const uint32_t want[] = { 1, 100, 101, 102, 103, 104, 105, 2, 3, 4, 100, 106, 107, 108 };
	struct pf_frame out[32];
	unsigned n = 0;

	(void)state;
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, acts, 2, 1, out, 32, &n), 0);
	expect(out, n, want, sizeof(want) / sizeof(want[0]));
}

static void native_merge__counts_disagree__erange_or_enodata(void **state)
{
	const uint32_t three[] = { 1, 2, 1 }, short_py[] = { 1, 4 }, too_many[] = { 1, 2 };
	struct pf_frame out[32];
	unsigned n = 0;

	(void)state;
	/* more activations than eval frames: the C unwind ended early */
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, three, 3, 0, out, 32, &n),
			 -ENODATA);
	/* activations claim more frames than there are */
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, short_py, 2, 0, out, 32, &n),
			 -ERANGE);
	/* frames left over */
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, too_many, 2, 0, out, 32, &n),
			 -ERANGE);
	/* two eval frames more than activations */
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, (const uint32_t[]){ 4 }, 0, 0,
				       out, 32, &n), -ERANGE);
}

static void native_merge__innermost_eval_entering__runs_no_frame(void **state)
{
	const uint32_t acts[] = { 4 };		/* py_compare not pushed yet */
	const struct pf_frame py[] = { P(2), P(3), P(4), P(5) };
	const uint32_t want[] = { 102, 103, 104, 2, 3, 4, 5, 107, 108 };
	struct pf_frame out[32];
	unsigned n = 0;

	(void)state;
	assert_int_equal(native__merge(qsort_c, 10, py, 4, acts, 1, 0, out, 32, &n), 0);
	expect(out, n, want, sizeof(want) / sizeof(want[0]));
}

static void native_merge__out_too_small__e2big(void **state)
{
	const uint32_t acts[] = { 1, 3 };
	struct pf_frame out[4];
	unsigned n = 0;

	(void)state;
	assert_int_equal(native__merge(qsort_c, 10, qsort_py, 4, acts, 2, 0, out, 4, &n), -E2BIG);
}

static void native_classify__eval_and_trampolines__by_version(void **state)
{
	(void)state;
	assert_int_equal(native__classify("_PyEval_EvalFrameDefault", PY_VER(3, 11)), NATIVE_EVAL);
	assert_int_equal(native__classify("PyEval_EvalFrameEx", PY_VER(2, 7)), NATIVE_EVAL);
	assert_int_equal(native__classify("PyEval_EvalFrameEx", PY_VER(3, 9)), NATIVE_FOLD);
	assert_int_equal(native__classify("_PyFunction_Vectorcall", PY_VER(3, 12)), NATIVE_FOLD);
	assert_int_equal(native__classify("method_vectorcall_O", PY_VER(3, 12)), NATIVE_FOLD);
	assert_int_equal(native__classify("PyObject_Call", PY_VER(3, 12)), NATIVE_FOLD);
	assert_int_equal(native__classify("PyObject_CallX", PY_VER(3, 12)), NATIVE_C);
	assert_int_equal(native__classify("qsort", PY_VER(3, 12)), NATIVE_C);
	assert_int_equal(native__classify("", PY_VER(3, 12)), NATIVE_C);
}

/* --- real unwinds ------------------------------------------------------------------- */

/* Non-static and not inlined, so that each is a frame with a .symtab name. */
volatile int native_test_spin = 1;
int native_test_ready = -1;	/* the child writes a byte here once it spins */
__attribute__((noinline)) void native_test_leaf(void);
__attribute__((noinline)) void native_test_mid(int depth);

__attribute__((noinline)) void native_test_leaf(void)
{
	if (native_test_ready >= 0 && write(native_test_ready, "x", 1) != 1)
		_exit(1);
	while (native_test_spin)
		__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void native_test_mid(int depth)
{
	if (depth > 0)
		native_test_mid(depth - 1);
	else
		native_test_leaf();
	__asm__ volatile("" ::: "memory");	/* not a tail call */
}

/* Wait (however loaded the machine) until the child says it spins. */
static void wait_ready(int *fds)
{
	char c;

	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
}

/* A child spinning depth calls deep, seized and stopped by us. */
static pid_t stopped_child(int depth)
{
	int status, fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a failed test */
		native_test_ready = fds[1];
		native_test_mid(depth);
		_exit(0);
	}
	wait_ready(fds);
	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0L, 0L), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, pid, 0L, 0L), 0);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	return pid;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
}

/* Capture tid into a new snapshot and unwind it. */
static int capture_unwind(struct native *n, pid_t tid, struct native_snap **sp,
			  const struct native_frame **fr, unsigned *nf)
{
	struct native_snap *s = malloc(sizeof(*s));
	int ret;

	assert_non_null(s);
	*sp = s;
	ret = native__capture(n, tid, s);
	if (ret)
		return ret;
	return native__unwind(n, s, fr, nf);
}

/* The frames of a child stopped in native_test_mid(3): leaf, then its four callers. */
static void expect_child_frames(const struct strtab *st, const struct native_frame *fr,
				unsigned nf)
{
	unsigned mids = 0, leaf = 99, first_mid = 99;

	for (unsigned i = 0; i < nf; i++) {
		const char *name = strtab__get(st, fr[i].f.name);

		assert_int_equal(fr[i].f.line, PF_LINE_NATIVE);
		if (!strcmp(name, "native_test_leaf"))
			leaf = i;
		if (!strcmp(name, "native_test_mid")) {
			mids++;
			if (first_mid == 99)
				first_mid = i;
		}
	}
	/* innermost, or under the write() that said it is ready, if not returned yet */
	assert_true(leaf <= 3);
	assert_int_equal(first_mid, leaf + 1);
	assert_int_equal(mids, 4);
	assert_true(nf < NATIVE_MAX_FRAMES);
}

static void native_unwind__child__names_its_functions_in_order(void **state)
{
	struct strtab *st = strtab__new();
	pid_t pid = stopped_child(3);
	struct remote mem;
	struct native *n;
	struct native_snap *s;
	const struct native_frame *fr;
	unsigned nf = 0;

	(void)state;
	assert_int_equal(remote__open(&mem, pid, REMOTE_VM, 0), 0);
	n = native__new(pid, &mem, st, PY_VER(3, 12));
	assert_non_null(n);
	assert_int_equal(capture_unwind(n, pid, &s, &fr, &nf), 0);
	expect_child_frames(st, fr, nf);
	free(s);
	native__free(n);
	remote__close(&mem);
	end_child(pid);
	strtab__free(st);
}

static void native_unwind__deeper_than_max__bounded_drop(void **state)
{
	struct strtab *st = strtab__new();
	pid_t pid = stopped_child(NATIVE_MAX_FRAMES + 50);
	struct remote mem;
	struct native *n;
	struct native_snap *s;
	const struct native_frame *fr;
	unsigned nf = 0;

	(void)state;
	assert_int_equal(remote__open(&mem, pid, REMOTE_VM, 0), 0);
	n = native__new(pid, &mem, st, PY_VER(3, 12));
	assert_non_null(n);
	assert_int_equal(capture_unwind(n, pid, &s, &fr, &nf), -1 - NATIVE_DROP_DEEP);
	assert_int_equal(nf, NATIVE_MAX_FRAMES);
	free(s);
	native__free(n);
	remote__close(&mem);
	end_child(pid);
	strtab__free(st);
}

/* A child whose stack pointer points into a table of return addresses into itself. */
static uint64_t native_test_fake[8192];

static void native_unwind__garbage_stack__ends_bounded(void **state)
{
	struct strtab *st = strtab__new();
	struct remote mem;
	struct native *n;
	struct native_snap *s;
	const struct native_frame *fr;
	unsigned nf = 0;
	pid_t pid;
	int status, ret, fds[2];

	(void)state;
	for (size_t i = 0; i < 8192; i++)	/* every word a "return address" into the leaf */
		native_test_fake[i] = i % 3 ? (uint64_t)(uintptr_t)native_test_leaf + 4 :
			(uint64_t)(uintptr_t)&native_test_fake[i];
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		__asm__ volatile("mov %0, %%rsp\n1: jmp 1b" : : "r"(&native_test_fake[4096]));
		_exit(0);
	}
	wait_ready(fds);
	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0L, 0L), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, pid, 0L, 0L), 0);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_int_equal(remote__open(&mem, pid, REMOTE_VM, 0), 0);
	n = native__new(pid, &mem, st, PY_VER(3, 12));
	assert_non_null(n);
	ret = capture_unwind(n, pid, &s, &fr, &nf);
	assert_true(ret == 0 || ret == -1 - NATIVE_DROP_DEEP || ret == -1 - NATIVE_DROP_UNWIND);
	assert_true(nf <= NATIVE_MAX_FRAMES);
	free(s);
	native__free(n);
	remote__close(&mem);
	end_child(pid);
	strtab__free(st);
}

/* The thread may be gone by the time its copy is unwound: the copy is all it takes. */
static void native_unwind__thread_gone_after_capture__unwinds_the_copy(void **state)
{
	struct strtab *st = strtab__new();
	pid_t pid = stopped_child(3);
	struct remote mem;
	struct native *n;
	struct native_snap *s = malloc(sizeof(*s));
	const struct native_frame *fr;
	unsigned nf = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(remote__open(&mem, pid, REMOTE_VM, 0), 0);
	n = native__new(pid, &mem, st, PY_VER(3, 12));
	assert_non_null(n);
	assert_int_equal(native__capture(n, pid, s), 0);
	assert_int_equal(s->tid, pid);
	assert_true(s->stack_len >= 4096);
	end_child(pid);
	assert_int_equal(native__unwind(n, s, &fr, &nf), 0);
	expect_child_frames(st, fr, nf);
	free(s);
	native__free(n);
	remote__close(&mem);
	strtab__free(st);
}

/*
 * A thread's last unwind is given again only while its registers and the bytes it read
 * are the same: a copy whose stack was wiped unwinds anew, and the first copy still
 * gives what it gave.
 */
static void native_unwind__changed_copy__unwound_again(void **state)
{
	struct strtab *st = strtab__new();
	pid_t pid = stopped_child(3);
	struct remote mem;
	struct native *n;
	struct native_snap *s = malloc(sizeof(*s)), *wiped = malloc(sizeof(*wiped));
	const struct native_frame *fr;
	struct native_frame first[NATIVE_MAX_FRAMES];
	unsigned nf = 0, nfirst;

	(void)state;
	assert_non_null(s);
	assert_non_null(wiped);
	assert_int_equal(remote__open(&mem, pid, REMOTE_VM, 0), 0);
	n = native__new(pid, &mem, st, PY_VER(3, 12));
	assert_non_null(n);
	assert_int_equal(native__capture(n, pid, s), 0);
	end_child(pid);		/* nothing but the copies from here on */
	assert_int_equal(native__unwind(n, s, &fr, &nf), 0);
	expect_child_frames(st, fr, nf);
	memcpy(first, fr, nf * sizeof(*fr));
	nfirst = nf;
	/* the same copy again: the same frames */
	assert_int_equal(native__unwind(n, s, &fr, &nf), 0);
	assert_int_equal(nf, nfirst);
	assert_memory_equal(fr, first, nf * sizeof(*fr));
	/* the same registers over a zeroed stack: no return address, no caller */
	memcpy(wiped, s, sizeof(*s));
	memset(wiped->stack, 0, wiped->stack_len);
	native__unwind(n, wiped, &fr, &nf);
	assert_true(nf < nfirst);
	for (unsigned i = 0; i < nf; i++)
		assert_string_not_equal(strtab__get(st, fr[i].f.name), "native_test_mid");
	/* and the first copy still unwinds whole */
	assert_int_equal(native__unwind(n, s, &fr, &nf), 0);
	assert_int_equal(nf, nfirst);
	assert_memory_equal(fr, first, nf * sizeof(*fr));
	free(s);
	free(wiped);
	native__free(n);
	remote__close(&mem);
	strtab__free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_merge__qsort_callback__python_replaces_each_eval),
		cmocka_unit_test(native_merge__keep_all__keeps_eval_and_fold_frames),
		cmocka_unit_test(native_merge__counts_disagree__erange_or_enodata),
		cmocka_unit_test(native_merge__innermost_eval_entering__runs_no_frame),
		cmocka_unit_test(native_merge__out_too_small__e2big),
		cmocka_unit_test(native_classify__eval_and_trampolines__by_version),
		cmocka_unit_test(native_unwind__child__names_its_functions_in_order),
		cmocka_unit_test(native_unwind__deeper_than_max__bounded_drop),
		cmocka_unit_test(native_unwind__garbage_stack__ends_bounded),
		cmocka_unit_test(native_unwind__thread_gone_after_capture__unwinds_the_copy),
		cmocka_unit_test(native_unwind__changed_copy__unwound_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
