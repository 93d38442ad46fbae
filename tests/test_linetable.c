/* test_linetable.c - decode line tables that real interpreters generate at test time. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/linetable.h"
#include "pyflame/util.h"

static const char *gen_script(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/../gen_linetable.py", fixtures_dir());
	if (access(path, R_OK) == 0)
		return path;
	return "tests/gen_linetable.py";
}

/* Every interpreter we can find: pyenv builds, /usr/bin/python3, $PYFLAME_TEST_PYTHONS. */
static size_t find_pythons(char ***out)
{
	char **v = NULL;
	size_t n = 0, alloc = 0;
	char root[4096] = "";
	const char *env = getenv("PYFLAME_TEST_PYTHONS");
	FILE *p = popen("pyenv root 2>/dev/null", "r");

	if (p) {
		if (fgets(root, sizeof(root), p))
			root[strcspn(root, "\n")] = 0;
		pclose(p);
	}
	if (!root[0] && getenv("HOME"))
		snprintf(root, sizeof(root), "%s/.pyenv", getenv("HOME"));
	if (root[0]) {
		char pat[4200];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s/versions/*/bin/python", root);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				xgrow((void **)&v, &alloc, n + 1, sizeof(*v));
				v[n++] = xstrdup(g.gl_pathv[i]);
			}
		}
		globfree(&g);
	}
	if (access("/usr/bin/python3", X_OK) == 0) {
		xgrow((void **)&v, &alloc, n + 1, sizeof(*v));
		v[n++] = xstrdup("/usr/bin/python3");
	}
	if (env) {
		char *copy = xstrdup(env), *save = NULL;

		for (char *t = strtok_r(copy, ": ", &save); t; t = strtok_r(NULL, ": ", &save)) {
			xgrow((void **)&v, &alloc, n + 1, sizeof(*v));
			v[n++] = xstrdup(t);
		}
		free(copy);
	}
	*out = v;
	return n;
}

static size_t unhex(const char *s, uint8_t *buf, size_t max)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	while (s[0] && s[1] && n < max) {
		unsigned b;

		if (sscanf(s, "%2x", &b) != 1)
			break;
		buf[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

struct gen_result {
	int ran;
	unsigned long codes, offsets, mismatches;
};

/* Run the generator under python and check every offset it printed. */
static void check_python(const char *python, struct gen_result *res)
{
	char cmd[8192];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int major = 0, minor = 0, first = 0;
	enum linetable_kind kind = LINETABLE_311;
	static uint8_t tab[1 << 16];
	size_t tablen = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' '%s' 2>/dev/null", python, gen_script());
	p = popen(cmd, "r");
	if (!p)
		return;
	while ((len = getline(&line, &cap, p)) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "VERSION %d %d", &major, &minor) == 2) {
			res->ran = 1;
			if (major == 2)
				kind = LINETABLE_LNOTAB27;
			else if (minor <= 9)
				kind = LINETABLE_LNOTAB36;
			else if (minor == 10)
				kind = LINETABLE_310;
			else
				kind = LINETABLE_311;
		} else if (strncmp(line, "CODE ", 5) == 0) {
			char hex[1 << 17];
			unsigned long nbytes;

			if (sscanf(line, "CODE %d %131071s %lu", &first, hex, &nbytes) != 3)
				fail_msg("bad CODE line from %s", python);
			tablen = unhex(hex, tab, sizeof(tab));
			res->codes++;
		} else if (strncmp(line, "L", 1) == 0) {
			char *s = line + 1, *end;

			for (;;) {
				long off = strtol(s, &end, 10), want;

				if (end == s)
					break;
				s = end;
				want = strtol(s, &end, 10);
				if (end == s)
					break;
				s = end;
				int got = linetable__line(kind, tab, tablen, first, off);

				res->offsets++;
				if (got != want) {
					if (res->mismatches++ < 5)
						print_error("%s (%d.%d): first %d offset %ld: got %d want %ld\n",
							    python, major, minor, first, off, got, want);
				}
			}
		}
	}
	free(line);
	pclose(p);
}

static void linetable__every_local_python__matches_interpreter(void **state)
{
	char **py;
	size_t n = find_pythons(&py), tested = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct gen_result r = { 0 };

		check_python(py[i], &r);
		if (r.ran) {
			tested++;
			print_message("  %s: %lu code objects, %lu offsets\n", py[i], r.codes, r.offsets);
			assert_true(r.codes > 10);
			assert_true(r.offsets > 500);
			assert_int_equal(r.mismatches, 0);
		}
		free(py[i]);
	}
	free(py);
	if (!tested)
		skip();
}

/* Hand-made tables for the corners of each format. */
static void linetable__lnotab27__unsigned_increments(void **state)
{
	/* addr +6 line +200 (unsigned), addr +4 line +1 */
	const uint8_t t[] = { 6, 200, 4, 1 };

	(void)state;
	assert_int_equal(linetable__line(LINETABLE_LNOTAB27, t, sizeof(t), 10, 0), 10);
	assert_int_equal(linetable__line(LINETABLE_LNOTAB27, t, sizeof(t), 10, 6), 210);
	assert_int_equal(linetable__line(LINETABLE_LNOTAB27, t, sizeof(t), 10, 10), 211);
	assert_int_equal(linetable__line(LINETABLE_LNOTAB27, t, sizeof(t), 10, -1), 10);
}

static void linetable__lnotab36__signed_increments(void **state)
{
	const uint8_t t[] = { 6, 5, 4, 0xfe };	/* +5 then -2 */

	(void)state;
	assert_int_equal(linetable__line(LINETABLE_LNOTAB36, t, sizeof(t), 10, 6), 15);
	assert_int_equal(linetable__line(LINETABLE_LNOTAB36, t, sizeof(t), 10, 12), 13);
}

static void linetable__310__no_line_and_empty_ranges(void **state)
{
	/* [0,4) +1; empty range +3; [4,8) no line; [8,10) +2 */
	const uint8_t t[] = { 4, 1, 0, 3, 4, 0x80, 2, 2 };

	(void)state;
	assert_int_equal(linetable__line(LINETABLE_310, t, sizeof(t), 1, -2), 1);
	assert_int_equal(linetable__line(LINETABLE_310, t, sizeof(t), 1, 0), 2);
	assert_int_equal(linetable__line(LINETABLE_310, t, sizeof(t), 1, 5), -1);
	assert_int_equal(linetable__line(LINETABLE_310, t, sizeof(t), 1, 8), 7);
	assert_int_equal(linetable__line(LINETABLE_310, t, sizeof(t), 1, 10), -1);
}

static void linetable__311__every_entry_kind(void **state)
{
	const uint8_t t[] = {
		0x80 | (13 << 3) | 0, 0x04,		/* no columns, +2, 1 unit: [0,2) */
		0x80 | (0 << 3) | 1, 0x05,		/* short, 2 units: [2,6) */
		0x80 | (11 << 3) | 0, 3, 9,		/* one line +1: [6,8) */
		0x80 | (14 << 3) | 0, 0x41, 0x02, 0, 1, 2,	/* long, svarint 0x81 = -64 */
		0x80 | (15 << 3) | 2,			/* none, 3 units: [10,16) */
		0x80 | (12 << 3) | 0, 0, 1,		/* +2: [16,18) */
	};

	(void)state;
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, -2), 100);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 0), 102);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 4), 102);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 6), 103);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 8), 103 - 64);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 12), -1);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 16), 41);
	assert_int_equal(linetable__line(LINETABLE_311, t, sizeof(t), 100, 18), -1);
}

static void linetable__311__truncated_varint__stays_in_bounds(void **state)
{
	/* A long entry whose varint runs off the end: must stop at len. */
	uint8_t *t = xmalloc(3);

	(void)state;
	t[0] = 0x80 | (14 << 3);
	t[1] = 0x42;	/* more bit set, nothing follows */
	t[2] = 0x7f;
	assert_int_equal(linetable__line(LINETABLE_311, t, 2, 1, 0), 2);
	assert_int_equal(linetable__line(LINETABLE_311, t, 3, 1, 0), 1 + ((0x02 | (0x3f << 6)) >> 1));
	free(t);
}

/* Random and truncated tables of every kind: only run under ASan to catch overruns. */
static void linetable__random_tables__never_read_out_of_bounds(void **state)
{
	uint64_t seed = 0x1234567;

	(void)state;
	for (int iter = 0; iter < 4000; iter++) {
		size_t len = (size_t)(iter % 97);
		uint8_t *t = xmalloc(len ? len : 1);

		for (size_t i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t[i] = (uint8_t)(seed >> 56);
		}
		for (int k = LINETABLE_LNOTAB27; k <= LINETABLE_311; k++)
			for (int64_t a = -4; a < 300; a += 3)
				(void)linetable__line((enum linetable_kind)k, t, len, 7, a);
		free(t);
	}
	assert_int_equal(linetable__line(LINETABLE_311, NULL, 0, 5, 0), -1);
	assert_int_equal(linetable__line(LINETABLE_LNOTAB36, NULL, 0, 5, 0), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linetable__lnotab27__unsigned_increments),
		cmocka_unit_test(linetable__lnotab36__signed_increments),
		cmocka_unit_test(linetable__310__no_line_and_empty_ranges),
		cmocka_unit_test(linetable__311__every_entry_kind),
		cmocka_unit_test(linetable__311__truncated_varint__stays_in_bounds),
		cmocka_unit_test(linetable__random_tables__never_read_out_of_bounds),
		cmocka_unit_test(linetable__every_local_python__matches_interpreter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
