/*
 * testattr.c - which test a sample belongs to (see testattr.h).
 *
 * pytest (3.2 and later) sets os.environ["PYTEST_CURRENT_TEST"] = "<nodeid> (<phase>)" at
 * the start of each phase of a test and deletes it after teardown.  os.environ assignment
 * calls putenv()/setenv(), so the C library's `environ` array in the process holds it: the
 * id exactly as pytest prints it, with no object layouts to know per CPython version.
 * Everything read from the target is untrusted: bounded, checked, dropped on failure.
 */
#include "pyflame/testattr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/pyprobe.h"
#include "pyflame/util.h"

#define KEY "PYTEST_CURRENT_TEST="
#define KEY_LEN (sizeof(KEY) - 1)
#define PAGE 4096u
#define RAW_MAX (KEY_LEN + TESTENV_VALUE_MAX)	/* "KEY=value" with its NUL */
_Static_assert(RAW_MAX <= sizeof(((struct testenv *)0)->got_raw), "testenv got_raw too small");

static const char *const phase_names[TEST_PHASE__COUNT] = {
	[TEST_PHASE_NONE] = "",
	[TEST_PHASE_SETUP] = "setup",
	[TEST_PHASE_CALL] = "call",
	[TEST_PHASE_TEARDOWN] = "teardown",
};

static const char *const where_labels[TEST_WHERE__COUNT] = {
	[TEST_WHERE_TEST] = "test",
	[TEST_WHERE_COLLECTION] = "<collection>",
	[TEST_WHERE_SESSION_START] = "<session start>",
	[TEST_WHERE_SESSION_END] = "<session end>",
	[TEST_WHERE_OUTSIDE] = "<outside tests>",
};

const char *test_phase__name(enum test_phase ph)
{
	return (unsigned)ph < TEST_PHASE__COUNT ? phase_names[ph] : "";
}

const char *test_where__label(enum test_where w)
{
	return (unsigned)w < TEST_WHERE__COUNT ? where_labels[w] : "";
}

/* The phase named by s[0..n), or NONE. */
static enum test_phase phase_of(const char *s, size_t n)
{
	for (unsigned i = TEST_PHASE_SETUP; i < TEST_PHASE__COUNT; i++)
		if (strlen(phase_names[i]) == n && !memcmp(s, phase_names[i], n))
			return (enum test_phase)i;
	return TEST_PHASE_NONE;
}

/* The last occurrence of the two bytes a, b in s[0..n), or NULL. */
static const char *last_pair(const char *s, size_t n, char a, char b)
{
	for (size_t i = n; i >= 2; i--)
		if (s[i - 2] == a && s[i - 1] == b)
			return s + i - 2;
	return NULL;
}

int testattr__parse_pytest(const char *value, size_t len, size_t *id_len,
			   enum test_phase *phase)
{
	const char *open;
	enum test_phase ph;

	if (!value || len < 4 || len >= TESTENV_VALUE_MAX || memchr(value, '\0', len) ||
	    value[len - 1] != ')')
		return -EINVAL;
	open = last_pair(value, len, ' ', '(');
	if (!open || open == value)
		return -EINVAL;
	ph = phase_of(open + 2, (size_t)(value + len - 1 - (open + 2)));
	if (ph == TEST_PHASE_NONE)
		return -EINVAL;
	*id_len = (size_t)(open - value);
	*phase = ph;
	return 0;
}

void testattr__label(struct strbuf *sb, const char *id, size_t id_len, enum test_phase ph)
{
	strbuf_addstr(sb, "test ");
	strbuf_add(sb, id, id_len);
	strbuf_addf(sb, " [%s]", test_phase__name(ph));
}

int testattr__parse_label(const char *name, size_t len, enum test_where *where,
			  const char **id, size_t *id_len, enum test_phase *phase)
{
	const char *open;
	enum test_phase ph;

	for (unsigned w = TEST_WHERE_COLLECTION; w < TEST_WHERE__COUNT; w++) {
		if (strlen(where_labels[w]) == len && !memcmp(name, where_labels[w], len)) {
			*where = (enum test_where)w;
			*id = NULL;
			*id_len = 0;
			*phase = TEST_PHASE_NONE;
			return 0;
		}
	}
	if (len < 5 + 1 + 3 || memcmp(name, "test ", 5) || name[len - 1] != ']')
		return -EINVAL;
	open = last_pair(name + 5, len - 5, ' ', '[');
	if (!open || open == name + 5)
		return -EINVAL;
	ph = phase_of(open + 2, (size_t)(name + len - 1 - (open + 2)));
	if (ph == TEST_PHASE_NONE)
		return -EINVAL;
	*where = TEST_WHERE_TEST;
	*id = name + 5;
	*id_len = (size_t)(open - (name + 5));
	*phase = ph;
	return 0;
}

/* --- the C environment ---------------------------------------------------------------- */

int testenv__locate(pid_t pid, uint64_t *environ_addr)
{
	static const char *const names[] = { "environ", "__environ", NULL };
	static const char *const libs[] = { "libc.so", "libc-", "ld-musl", NULL };

	return pyprobe__find_symbol(pid, names, libs, environ_addr);
}

void testenv__release(struct testenv *te)
{
	free(te->scan);
	memset(te, 0, sizeof(*te));
}

/* Bytes from addr to the end of its page: a read that stays in one page. */
static size_t page_room(uint64_t addr)
{
	return PAGE - (size_t)(addr & (PAGE - 1));
}

/*
 * The NUL-terminated string at addr into buf[0..max), of which the first have bytes are
 * read already: page by page, so a short string at the end of a mapping reads.  0 with
 * *len, -E2BIG (no NUL within max), -EFAULT, -ESRCH.
 */
static int read_cstr(const struct remote *r, uint64_t addr, char *buf, size_t max,
		     size_t have, size_t *len)
{
	size_t off = 0;

	for (;;) {
		const char *nul = memchr(buf + off, '\0', have - off);
		size_t chunk;
		int ret;

		if (nul) {
			*len = (size_t)(nul - buf);
			return 0;
		}
		off = have;
		if (have >= max)
			return -E2BIG;
		chunk = page_room(addr + have);
		if (chunk > max - have)
			chunk = max - have;
		ret = remote__read(r, addr + have, buf + have, chunk);
		if (ret)
			return ret;
		have += chunk;
	}
}

/* raw holds "KEY=value" (n bytes): copy the value out. */
static int take_value(const char *raw, size_t n, char *buf, size_t *len)
{
	if (n < KEY_LEN || memcmp(raw, KEY, KEY_LEN))
		return 0;
	*len = n - KEY_LEN;
	memcpy(buf, raw + KEY_LEN, *len);
	buf[*len] = '\0';
	return 1;
}

/*
 * Look through the array at arr for the entry: 1 (slot cached, value in buf), 0 (none),
 * or an error.  An array that is the same as when the last scan found none is not read
 * entry by entry again.
 */
static int scan(struct testenv *te, const struct remote *r, uint64_t arr, char *buf,
		size_t *len)
{
	uint64_t *ptrs;
	char *heads;
	int *res;
	size_t n = 0, i;
	uint64_t h;
	int ret;

	te->have_slot = 0;
	if (!arr)
		return 0;	/* no environment at all (clearenv()) */
	if (!te->scan)
		return -EFAULT;
	ptrs = (uint64_t *)te->scan;
	heads = te->scan + TESTENV_SCAN_MAX * sizeof(uint64_t);
	res = (int *)(heads + TESTENV_SCAN_MAX * KEY_LEN);
	/* the pointers up to the NULL, a page at a time */
	while (n < TESTENV_SCAN_MAX) {
		uint64_t at = arr + n * sizeof(uint64_t);
		size_t room = page_room(at) / sizeof(uint64_t), got;

		if (at & 7)
			return -EFAULT;
		if (room > TESTENV_SCAN_MAX - n)
			room = TESTENV_SCAN_MAX - n;
		ret = remote__read(r, at, ptrs + n, room * sizeof(uint64_t));
		if (ret)
			return ret;
		for (got = 0; got < room && ptrs[n + got]; got++)
			;
		n += got;
		if (got < room)
			break;
	}
	h = pf_hash64(ptrs, n * sizeof(uint64_t), arr) | 1;
	if (te->have_none && te->none_hash == h)
		return 0;
	/* the first KEY_LEN bytes of every entry, in as few calls as the reader can */
	for (i = 0; i < n; i += 64) {
		struct remote_iov iov[64];
		size_t k, cnt = n - i < 64 ? n - i : 64;

		for (k = 0; k < cnt; k++)
			iov[k] = (struct remote_iov){ ptrs[i + k], heads + (i + k) * KEY_LEN,
						      KEY_LEN };
		ret = remote__readv(r, iov, cnt, res + i);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		char raw[RAW_MAX];
		size_t rn;

		if (res[i] || memcmp(heads + i * KEY_LEN, KEY, KEY_LEN))
			continue;
		memcpy(raw, KEY, KEY_LEN);
		ret = read_cstr(r, ptrs[i], raw, RAW_MAX, KEY_LEN, &rn);
		if (ret)
			return ret == -ESRCH ? ret : -EFAULT;
		te->arr_addr = arr;
		te->slot = (uint32_t)i;
		te->str_addr = ptrs[i];
		te->have_slot = 1;
		te->have_none = 0;
		return take_value(raw, rn, buf, len);
	}
	te->have_none = 1;
	te->none_hash = h;
	return 0;
}

size_t testenv__plan(struct testenv *te, struct remote_iov iov[3])
{
	size_t first;

	if (!te->environ_addr || !te->have_slot)
		return 0;
	first = page_room(te->str_addr) < RAW_MAX ? page_room(te->str_addr) : RAW_MAX;
	iov[0] = (struct remote_iov){ te->environ_addr, &te->got_arr, sizeof(te->got_arr) };
	iov[1] = (struct remote_iov){ te->arr_addr + (uint64_t)te->slot * sizeof(uint64_t),
				      &te->got_slot, sizeof(te->got_slot) };
	iov[2] = (struct remote_iov){ te->str_addr, te->got_raw, first };
	return 3;
}

int testenv__finish(struct testenv *te, const struct remote *r, const int *res, char *buf,
		    size_t *len)
{
	uint64_t arr = 0;
	int ret;

	if (!te->environ_addr)
		return -EFAULT;
	if (!te->scan)
		te->scan = xmalloc(TESTENV_SCAN_MAX * (sizeof(uint64_t) + KEY_LEN + sizeof(int)));
	if (te->have_slot && res) {
		/* the steady state: environ, the slot, the string, read in one call */
		size_t first = page_room(te->str_addr) < RAW_MAX ? page_room(te->str_addr) : RAW_MAX;

		if (res[0])
			return res[0] == -ESRCH ? -ESRCH : -EFAULT;
		arr = te->got_arr;
		if (!res[1] && !res[2] && arr == te->arr_addr && te->got_slot == te->str_addr &&
		    !memcmp(te->got_raw, KEY, KEY_LEN)) {
			size_t rn;

			ret = read_cstr(r, te->str_addr, te->got_raw, RAW_MAX, first, &rn);
			if (ret)
				return ret == -ESRCH ? ret : -EFAULT;
			return take_value(te->got_raw, rn, buf, len);
		}
	} else {
		ret = remote__read_u64(r, te->environ_addr, &arr);
		if (ret)
			return ret;
	}
	return scan(te, r, arr, buf, len);
}

int testenv__read(struct testenv *te, const struct remote *r, char *buf, size_t *len)
{
	struct remote_iov iov[3];
	int res[3], ret;
	size_t n = testenv__plan(te, iov);

	if (n) {
		ret = remote__readv(r, iov, n, res);
		if (ret)
			return ret;
	}
	return testenv__finish(te, r, n ? res : NULL, buf, len);
}

/* --- the runner's frames -------------------------------------------------------------- */

/* Does path end with "/tail" (or equal tail)? */
static int ends_with(const char *path, const char *tail)
{
	size_t n = strlen(path), m = strlen(tail);

	if (n < m || strcmp(path + n - m, tail))
		return 0;
	return n == m || path[n - m - 1] == '/';
}

/* Is dir ("_pytest") a directory on path? */
static int in_dir(const char *path, const char *dir)
{
	size_t m = strlen(dir);
	const char *s = path;

	while ((s = strstr(s, dir))) {
		if ((s == path || s[-1] == '/') && s[m] == '/')
			return 1;
		s += m;
	}
	return 0;
}

static int name_is(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(name, *set))
			return 1;
	return 0;
}

unsigned testattr__frame_class(const char *name, const char *file)
{
	static const char *const setup_names[] = { "setUp", "setUpClass", "asyncSetUp",
						   "_callSetUp", NULL };
	static const char *const teardown_names[] = { "tearDown", "tearDownClass",
						      "asyncTearDown", "_callTearDown",
						      "doCleanups", "_callCleanup", NULL };
	static const char *const collect_names[] = { "pytest_collection", "perform_collect",
						     NULL };
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *method = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
	size_t bl = strlen(base);
	unsigned c = TF_KNOWN;

	if (in_dir(file, "_pytest") || in_dir(file, "xdist") || ends_with(file, "pytest/__main__.py")
	    || ends_with(file, "pytest.py")) {
		c |= TF_PYTEST;
		if (ends_with(file, "_pytest/main.py") && name_is(method, collect_names))
			c |= TF_COLLECT;
		if (!strcmp(method, "pytest_runtestloop"))
			c |= TF_LOOP;
		if (ends_with(file, "_pytest/runner.py")) {
			if (!strcmp(method, "pytest_runtest_setup"))
				c |= TF_PT_SETUP;
			else if (!strcmp(method, "pytest_runtest_call"))
				c |= TF_PT_CALL;
			else if (!strcmp(method, "pytest_runtest_teardown"))
				c |= TF_PT_TEARDOWN;
		}
		if (ends_with(file, "_pytest/python.py") && !strcmp(method, "pytest_pyfunc_call"))
			c |= TF_PT_PYFUNC;
	}
	if (in_dir(file, "unittest")) {
		c |= TF_UNITTEST;
		if (ends_with(file, "unittest/case.py")) {
			c |= TF_UT_CASE;
			if (!strcmp(method, "run"))
				c |= TF_UT_RUN;
		} else if (ends_with(file, "unittest/loader.py")) {
			c |= TF_COLLECT;
		} else if (ends_with(file, "unittest/suite.py") ||
			   ends_with(file, "unittest/runner.py")) {
			c |= TF_LOOP;
		}
	}
	if (ends_with(file, "contextlib.py"))
		c |= TF_UT_CASE;
	if (name_is(method, setup_names))
		c |= TF_UT_SETUP;
	else if (name_is(method, teardown_names))
		c |= TF_UT_TEARDOWN;
	if (bl > 3 && !strcmp(base + bl - 3, ".py") &&
	    (!strncmp(base, "test_", 5) || (bl > 8 && !strcmp(base + bl - 8, "_test.py"))))
		c |= TF_TESTFILE;
	return c;
}

void testattr__stack(const uint16_t *cls, size_t n, struct test_stack *out)
{
	unsigned all = 0;
	size_t i;
	int pt = -1, pyfunc = -1, ut = -1;

	memset(out, 0, sizeof(*out));
	out->test_frame = -1;
	for (i = 0; i < n; i++) {
		all |= cls[i];
		if (cls[i] & (TF_PT_SETUP | TF_PT_CALL | TF_PT_TEARDOWN))
			pt = (int)i;
		if (cls[i] & TF_PT_PYFUNC)
			pyfunc = (int)i;
		if (cls[i] & TF_UT_RUN)
			ut = (int)i;
	}
	out->runner = all & (TF_PYTEST | TF_UNITTEST);
	if (pt >= 0) {
		out->where = TEST_WHERE_TEST;
		out->phase = cls[pt] & TF_PT_SETUP ? TEST_PHASE_SETUP :
			     cls[pt] & TF_PT_CALL ? TEST_PHASE_CALL : TEST_PHASE_TEARDOWN;
		if (out->phase == TEST_PHASE_CALL && pyfunc > pt && (size_t)pyfunc + 1 < n)
			out->test_frame = pyfunc + 1;
		return;
	}
	if (ut >= 0) {
		/*
		 * The first frame after TestCase.run that is not unittest's own (its case.py,
		 * result.py, runner.py; contextlib) is the test's method.  Without one, run is
		 * doing its own bookkeeping (addSuccess, ...): not the test's.
		 */
		for (i = (size_t)ut + 1; i < n; i++) {
			if (!out->phase && (cls[i] & TF_UT_SETUP))
				out->phase = TEST_PHASE_SETUP;
			if (!out->phase && (cls[i] & TF_UT_TEARDOWN))
				out->phase = TEST_PHASE_TEARDOWN;
			if (!(cls[i] & (TF_UT_CASE | TF_UNITTEST))) {
				out->test_frame = (int)i;
				break;
			}
		}
		if (out->test_frame >= 0) {
			out->where = TEST_WHERE_TEST;
			out->unittest = 1;
			if (!out->phase)
				out->phase = TEST_PHASE_CALL;
			return;
		}
		out->phase = TEST_PHASE_NONE;
		out->where = TEST_WHERE_OUTSIDE;
		return;
	}
	if (all & TF_COLLECT)
		out->where = TEST_WHERE_COLLECTION;
	else if (all & TF_LOOP)
		out->where = TEST_WHERE_OUTSIDE;
	else
		out->where = TEST_WHERE_SESSION_START;
}

void testattr__frame_id(struct strbuf *sb, const char *qualname, const char *file,
			const char *cwd, int unittest, enum test_phase ph)
{
	size_t cl = cwd ? strlen(cwd) : 0;
	const char *rel = file;

	if (cl && !strncmp(file, cwd, cl) && file[cl] == '/')
		rel = file + cl + 1;
	if (!unittest) {
		strbuf_addstr(sb, rel);
		strbuf_addstr(sb, "::");
		strbuf_addstr(sb, qualname);
		return;
	}
	{
		size_t rl = strlen(rel), from = sb->len;
		const char *dot;

		if (rel[0] == '/')	/* not under cwd: the module's own name */
			rel = strrchr(rel, '/') + 1, rl = strlen(rel);
		if (rl > 3 && !strcmp(rel + rl - 3, ".py"))
			rl -= 3;
		strbuf_add(sb, rel, rl);
		for (size_t i = from; i < sb->len; i++)
			if (sb->buf[i] == '/')
				sb->buf[i] = '.';
		if (ph == TEST_PHASE_CALL) {
			strbuf_addch(sb, '.');
			strbuf_addstr(sb, qualname);
		} else if ((dot = strrchr(qualname, '.'))) {
			strbuf_addch(sb, '.');
			strbuf_add(sb, qualname, (size_t)(dot - qualname));
		}
	}
}
