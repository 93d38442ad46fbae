/* test_procmaps.c - parsing /proc/PID/maps text, fixtures and live. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/procmaps.h"
#include "pyflame/util.h"

static struct procmaps *parse_fixture(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char path[4096];
	struct procmaps *m;

	snprintf(path, sizeof(path), "%s/maps/%s", fixtures_dir(), name);
	assert_int_equal(pf_read_file(path, &sb, 1 << 20), 0);
	m = procmaps__parse(sb.buf, sb.len);
	strbuf_release(&sb);
	assert_non_null(m);
	return m;
}

static void procmaps_parse__basic_fixture__fields_and_paths(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	(void)state;

	assert_int_equal(m->n, 11);
	assert_int_equal(m->v[0].start, 0x400000);
	assert_int_equal(m->v[0].end, 0x41f000);
	assert_int_equal(m->v[0].perms, PROCMAPS_R | PROCMAPS_P);
	assert_int_equal(m->v[0].dev_major, 0xfe);
	assert_int_equal(m->v[0].dev_minor, 1);
	assert_int_equal(m->v[0].inode, 1835123);
	assert_string_equal(m->v[0].path, "/usr/bin/python3.11");
	assert_int_equal(m->v[1].perms, PROCMAPS_R | PROCMAPS_X | PROCMAPS_P);
	assert_int_equal(m->v[1].offset, 0x1f000);
	assert_string_equal(m->v[3].path, "[heap]");
	assert_int_equal(m->v[10].start, 0xffffffffff600000ull);
	assert_string_equal(m->v[10].path, "[vsyscall]");
	procmaps__free(m);
}

static void procmaps_parse__path_with_spaces__kept_whole(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	(void)state;

	assert_string_equal(m->v[4].path, "/opt/my libs/libpython3.13.so.1.0");
	assert_int_equal(m->v[4].deleted, 0);
	procmaps__free(m);
}

static void procmaps_parse__deleted_mapping__suffix_stripped(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	(void)state;

	assert_string_equal(m->v[7].path, "/dev/shm/ring buffer");
	assert_int_equal(m->v[7].deleted, 1);
	assert_int_equal(m->v[7].perms, PROCMAPS_R | PROCMAPS_W);	/* shared: no P */
	procmaps__free(m);
}

static void procmaps_parse__anonymous_mapping__empty_path(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	(void)state;

	assert_string_equal(m->v[8].path, "");
	assert_int_equal(m->v[8].perms, PROCMAPS_P);
	procmaps__free(m);
}

static void procmaps_parse__malformed_lines__skipped(void **state)
{
	struct procmaps *m = parse_fixture("malformed.txt");
	(void)state;

	assert_int_equal(m->n, 3);
	assert_string_equal(m->v[0].path, "/good/one");
	assert_string_equal(m->v[1].path, "/good/two");
	assert_string_equal(m->v[2].path, "/no/trailing/newline");
	assert_int_equal(m->v[2].start, 0xd00000);
	procmaps__free(m);
}

static void procmaps_parse__empty_text__no_entries(void **state)
{
	struct procmaps *m = procmaps__parse("", 0);
	(void)state;

	assert_non_null(m);
	assert_int_equal(m->n, 0);
	assert_null(procmaps__find_addr(m, 0x1000));
	assert_null(procmaps__find_base(m, "/x"));
	procmaps__free(m);
	procmaps__free(NULL);
}

static void procmaps_parse__embedded_nul__line_skipped(void **state)
{
	static const char text[] = "00400000-00401000 r-xp 00000000 08:01 1 /a\0b\n"
				   "00500000-00501000 r-xp 00000000 08:01 1 /ok\n";
	struct procmaps *m = procmaps__parse(text, sizeof(text) - 1);
	(void)state;

	assert_int_equal(m->n, 1);
	assert_string_equal(m->v[0].path, "/ok");
	procmaps__free(m);
}

/* Random bytes and mutated lines must never crash the parser (ASan checks the bounds). */
static void procmaps_parse__random_bytes__no_crash(void **state)
{
	static const char line[] = "7f80ada00000-7f80ada86000 r--p 00000000 fe:01 42  /l i b.so\n";
	uint64_t seed = 0x1234567;
	int iter;
	(void)state;

	for (iter = 0; iter < 2000; iter++) {
		size_t len = sizeof(line) - 1, i;
		char *buf = malloc(len);
		struct procmaps *m;

		memcpy(buf, line, len);
		for (i = 0; i < 3; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			buf[(seed >> 33) % len] = (char)(seed >> 17);
		}
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		len = iter % 2 ? len : (seed >> 33) % (len + 1);
		m = procmaps__parse(buf, len);
		assert_non_null(m);
		assert_true(m->n <= 1);
		if (m->n)
			assert_true(m->v[0].end > m->v[0].start);
		procmaps__free(m);
		free(buf);
	}
}

static void procmaps_find_addr__inside_and_outside(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	(void)state;

	assert_ptr_equal(procmaps__find_addr(m, 0x400000), &m->v[0]);
	assert_ptr_equal(procmaps__find_addr(m, 0x41efff), &m->v[0]);
	assert_ptr_equal(procmaps__find_addr(m, 0x41f000), &m->v[1]);
	assert_null(procmaps__find_addr(m, 0x3fffff));
	assert_null(procmaps__find_addr(m, 0x1000000));
	procmaps__free(m);
}

static void procmaps_find_base__offset_zero_lowest(void **state)
{
	struct procmaps *m = parse_fixture("basic.txt");
	const struct procmaps_entry *b;
	(void)state;

	/* the lower 7f80ad800000 mapping has offset 0x100000: not the base */
	b = procmaps__find_base(m, "/opt/my libs/libpython3.13.so.1.0");
	assert_non_null(b);
	assert_int_equal(b->start, 0x7f80ada00000ull);
	b = procmaps__find_base(m, "/usr/bin/python3.11");
	assert_int_equal(b->start, 0x400000);
	assert_null(procmaps__find_base(m, "/usr/bin/python3"));
	procmaps__free(m);
}

static int marker_variable = 42;

static void procmaps_read__self__finds_own_data(void **state)
{
	struct procmaps *m = procmaps__read(getpid());
	const struct procmaps_entry *e;
	char exe[4096];
	ssize_t n;
	(void)state;

	assert_non_null(m);
	e = procmaps__find_addr(m, (uint64_t)(uintptr_t)&marker_variable);
	assert_non_null(e);
	assert_true(e->perms & PROCMAPS_W);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(e->path, exe);
	assert_non_null(procmaps__find_base(m, exe));
	procmaps__free(m);
}

static void procmaps_read__dead_pid__esrch(void **state)
{
	pid_t pid = fork();
	(void)state;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	errno = 0;
	assert_null(procmaps__read(pid));
	assert_int_equal(errno, ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procmaps_parse__basic_fixture__fields_and_paths),
		cmocka_unit_test(procmaps_parse__path_with_spaces__kept_whole),
		cmocka_unit_test(procmaps_parse__deleted_mapping__suffix_stripped),
		cmocka_unit_test(procmaps_parse__anonymous_mapping__empty_path),
		cmocka_unit_test(procmaps_parse__malformed_lines__skipped),
		cmocka_unit_test(procmaps_parse__empty_text__no_entries),
		cmocka_unit_test(procmaps_parse__embedded_nul__line_skipped),
		cmocka_unit_test(procmaps_parse__random_bytes__no_crash),
		cmocka_unit_test(procmaps_find_addr__inside_and_outside),
		cmocka_unit_test(procmaps_find_base__offset_zero_lowest),
		cmocka_unit_test(procmaps_read__self__finds_own_data),
		cmocka_unit_test(procmaps_read__dead_pid__esrch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
