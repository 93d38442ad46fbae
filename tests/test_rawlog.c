/* test_rawlog.c - replaying raw logs that pyflame did not write: hostile bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "pyflame/profile.h"
#include "pyflame/rawlog.h"
#include "pyflame/util.h"

static void put_u(struct strbuf *sb, uint64_t v)
{
	do {
		strbuf_addch(sb, (int)((v & 0x7f) | (v >> 7 ? 0x80 : 0)));
		v >>= 7;
	} while (v);
}

static int replay(const struct strbuf *sb, struct profile *p, struct rawlog_info *info)
{
	FILE *in = fmemopen(sb->buf, sb->len, "rb");
	int err;

	assert_non_null(in);
	err = rawlog__read(in, p, NULL, NULL, info);
	fclose(in);
	return err;
}

/*
 * A string record may hold a NUL; a process's command line or a thread's name taken from
 * it interns anew as the shorter C string, which must not read the table it grows.
 */
static void rawlog_read__strings_with_nul__process_and_thread_names_cut_at_nul(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile *p = profile__new();
	struct rawlog_info info;
	char s[32];
	int n;

	(void)state;
	strbuf_add(&sb, RAWLOG_MAGIC, 8);
	for (unsigned i = 0; i < 2000; i++) {
		n = snprintf(s, sizeof(s), "cmd%u", i) + 1;	/* "cmdN\0x" */
		s[n++] = 'x';
		put_u(&sb, 1);		/* string */
		put_u(&sb, (uint64_t)n);
		strbuf_add(&sb, s, (size_t)n);
		put_u(&sb, 4);		/* process: index, pid, cmdline, version */
		put_u(&sb, i);
		put_u(&sb, 100 + i);
		put_u(&sb, i);
		put_u(&sb, i);
		put_u(&sb, 5);		/* thread: index, process, tid, name */
		put_u(&sb, i);
		put_u(&sb, i);
		put_u(&sb, 100 + i);
		put_u(&sb, i);
	}
	put_u(&sb, 8);
	assert_int_equal(replay(&sb, p, &info), 0);
	assert_true(info.complete);
	assert_false(info.truncated);
	assert_int_equal(p->nprocs, 2000);
	assert_int_equal(p->nthreads, 2000);
	assert_string_equal(strtab__get(p->strings, p->procs[1999].cmdline), "cmd1999");
	assert_string_equal(strtab__get(p->strings, p->threads[7].name), "cmd7");
	profile__free(p);
	strbuf_release(&sb);
}

static void rawlog_read__bad_magic_or_record__einval_or_truncated(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile *p = profile__new();
	struct rawlog_info info;

	(void)state;
	strbuf_add(&sb, "PYFLRAW\x02", 8);
	assert_int_equal(replay(&sb, p, &info), -EINVAL);
	strbuf_reset(&sb);
	strbuf_add(&sb, RAWLOG_MAGIC, 8);
	put_u(&sb, 2);		/* a frame naming strings that do not exist */
	put_u(&sb, 0);
	put_u(&sb, 0);
	put_u(&sb, 0);
	assert_int_equal(replay(&sb, p, &info), 0);
	assert_true(info.truncated);
	assert_false(info.complete);
	assert_int_equal(p->nframes, 0);
	profile__free(p);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rawlog_read__strings_with_nul__process_and_thread_names_cut_at_nul),
		cmocka_unit_test(rawlog_read__bad_magic_or_record__einval_or_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
