/*
 * testattr.h - which test a sample belongs to (`--tests`): pytest's PYTEST_CURRENT_TEST
 * read from the target's C environment, else the test runner's own frames.
 *
 * A sample taken while a test runs gets a synthetic root frame "test <id> [<phase>]";
 * one outside any test "<collection>", "<session start>", "<session end>" or
 * "<outside tests>".  Such a frame has no file and line PF_LINE_TEST, so it survives
 * the raw log and every writer sees it as the first frame of the stack.
 */
#ifndef PYFLAME_TESTATTR_H
#define PYFLAME_TESTATTR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyflame/remote.h"

struct strbuf;

#define PF_LINE_TEST (-2)	/* pf_frame.line of a synthetic test frame */

enum test_phase {
	TEST_PHASE_NONE = 0,
	TEST_PHASE_SETUP,
	TEST_PHASE_CALL,
	TEST_PHASE_TEARDOWN,
	TEST_PHASE__COUNT,
};
const char *test_phase__name(enum test_phase ph);	/* "setup", ...; "" for NONE */

/* What a synthetic frame says. */
enum test_where {
	TEST_WHERE_TEST = 0,		/* "test <id> [<phase>]" */
	TEST_WHERE_COLLECTION,		/* "<collection>" */
	TEST_WHERE_SESSION_START,	/* "<session start>" */
	TEST_WHERE_SESSION_END,		/* "<session end>" */
	TEST_WHERE_OUTSIDE,		/* "<outside tests>" */
	TEST_WHERE__COUNT,
};
/* The label of a frame that is not a test: "<collection>" ... */
const char *test_where__label(enum test_where w);

/*
 * Split a PYTEST_CURRENT_TEST value "<nodeid> (<phase>)" on its last " (": 0 with
 * *id_len (the id is value[0 .. *id_len)) and *phase, or -EINVAL (no known phase, an
 * empty id, a NUL inside, or len > TESTENV_VALUE_MAX).
 */
int testattr__parse_pytest(const char *value, size_t len, size_t *id_len,
			   enum test_phase *phase);

/* Append "test <id> [<phase>]". */
void testattr__label(struct strbuf *sb, const char *id, size_t id_len, enum test_phase ph);

/*
 * Parse a synthetic frame's name back: 0 with *where and, for a test, id (borrowed from
 * name), *id_len and *phase; -EINVAL if name is no such label.
 */
int testattr__parse_label(const char *name, size_t len, enum test_where *where,
			  const char **id, size_t *id_len, enum test_phase *phase);

/* --- the C environment of the target ------------------------------------------------- */

#define TESTENV_VALUE_MAX 512	/* bytes of a PYTEST_CURRENT_TEST value read, NUL included */
#define TESTENV_SCAN_MAX 4096	/* environment entries looked at */

/* Per process: where `environ` is and what was found there last. */
struct testenv {
	uint64_t environ_addr;	/* &environ in the target; 0: none found */
	uint64_t arr_addr;	/* the array environ pointed to when slot was found */
	uint64_t str_addr;	/* the string in that slot then */
	uint32_t slot;
	int have_slot;
	uint64_t none_hash;	/* the array, hashed, when a scan found no such entry */
	int have_none;
	char *scan;		/* scratch: TESTENV_SCAN_MAX pointers */
	/* testenv__plan()'s buffers, filled by whoever reads its ranges */
	uint64_t got_arr, got_slot;
	char got_raw[TESTENV_VALUE_MAX + 32];	/* "PYTEST_CURRENT_TEST=value" */
};

/*
 * Find `environ` for pid: the executable first (a copy relocation puts it there: Debian's
 * python3), then a mapped libc.  0, or -ENOENT (a static binary without dynsym, musl
 * without the symbol, ...), -ESRCH.  Reads no target memory.
 */
int testenv__locate(pid_t pid, uint64_t *environ_addr);

/*
 * Read PYTEST_CURRENT_TEST's value into buf (TESTENV_VALUE_MAX bytes, NUL-terminated):
 * 1 with *len, 0 when it is not set, -EFAULT when the environment does not read
 * (bogus pointers, a string longer than the bound), -ESRCH.  In the steady state one
 * system call: the environ pointer, the cached slot and its string in one readv.
 */
int testenv__read(struct testenv *te, const struct remote *r, char *buf, size_t *len);
/*
 * The same in two steps, for a caller that reads the steady state's three ranges in a
 * batched read of its own (the unwinder's, unwinder__ride): testenv__plan() fills
 * iov[0..3) (into te's buffers) and returns 3, or 0 when there is no cached slot yet;
 * testenv__finish() then takes res[i] as remote__readv() set them (0 read, else failed),
 * or res NULL when they were not read, and does what testenv__read() would from there.
 */
size_t testenv__plan(struct testenv *te, struct remote_iov iov[3]);
int testenv__finish(struct testenv *te, const struct remote *r, const int *res, char *buf,
		    size_t *len);
void testenv__release(struct testenv *te);

/* --- the runner's frames -------------------------------------------------------------- */

/* What a frame says about the test runner (bits). */
#define TF_PYTEST        0x0001u	/* a frame of pytest itself: the process runs pytest */
#define TF_COLLECT       0x0002u	/* pytest collecting, or unittest's loader */
#define TF_LOOP          0x0004u	/* the run loop: pytest_runtestloop, a unittest suite */
#define TF_PT_SETUP      0x0008u	/* pytest_runtest_setup in _pytest/runner.py */
#define TF_PT_CALL       0x0010u
#define TF_PT_TEARDOWN   0x0020u
#define TF_PT_PYFUNC     0x0040u	/* pytest_pyfunc_call: it calls the test function */
#define TF_UNITTEST      0x0080u	/* a frame of unittest itself */
#define TF_UT_RUN        0x0100u	/* TestCase.run in unittest/case.py */
#define TF_UT_CASE       0x0200u	/* any frame of unittest/case.py (or contextlib.py) */
#define TF_UT_SETUP      0x0400u	/* setUp, _callSetUp, setUpClass ... */
#define TF_UT_TEARDOWN   0x0800u	/* tearDown, _callTearDown, doCleanups, _callCleanup */
#define TF_TESTFILE      0x1000u	/* a file named test_*.py or *_test.py */
#define TF_KNOWN         0x8000u	/* classified (a cache marker) */

unsigned testattr__frame_class(const char *name, const char *file);

/* What a stack (root first) says. */
struct test_stack {
	unsigned runner;	/* TF_PYTEST and/or TF_UNITTEST if any frame is theirs */
	enum test_where where;	/* TEST, COLLECTION, OUTSIDE, or SESSION_START (none) */
	enum test_phase phase;	/* for TEST */
	int test_frame;		/* index of the frame naming the test, -1 if none */
	int unittest;		/* the test is a unittest TestCase method, not pytest's */
};
void testattr__stack(const uint16_t *cls, size_t n, struct test_stack *out);

/*
 * An id from a frame, for tests the environment does not name: pytest's
 * "path::qualname" with path made relative to cwd, or unittest's "module.qualname"
 * (module from the path relative to cwd, dots for slashes).  For unittest setup and
 * teardown, the method name (setUp) is dropped: "module.Class" on 3.11+, "module" before.
 */
void testattr__frame_id(struct strbuf *sb, const char *qualname, const char *file,
			const char *cwd, int unittest, enum test_phase ph);

#endif
