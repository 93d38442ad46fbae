/* test_rawlog.c - replaying raw logs that pyflame did not write: hostile bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static void rawlog_read__bad_magic_or_record__einval_or_damaged(void **state)
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
	assert_int_equal(info.damaged, 1);
	assert_int_equal(info.skipped_bytes, 4);
	assert_false(info.complete);
	assert_int_equal(p->nframes, 0);
	profile__free(p);
	strbuf_release(&sb);
}

/* A log of one thread and one stack, n samples: the records pyflame writes. */
static void small_log(struct strbuf *sb, unsigned n, size_t *damage_at)
{
	strbuf_add(sb, RAWLOG_MAGIC, 8);
	put_u(sb, 1);			/* string 0 */
	put_u(sb, 3);
	strbuf_add(sb, "f()", 3);
	put_u(sb, 2);			/* frame 0: f() at f():7 */
	put_u(sb, 0);
	put_u(sb, 0);
	put_u(sb, 14);
	put_u(sb, 3);			/* stack 0: frame 0 */
	put_u(sb, 1);
	put_u(sb, 0);
	put_u(sb, 4);			/* process 0 */
	put_u(sb, 0);
	put_u(sb, 42);
	put_u(sb, 0);
	put_u(sb, 0);
	put_u(sb, 5);			/* thread 0 */
	put_u(sb, 0);
	put_u(sb, 0);
	put_u(sb, 42);
	put_u(sb, 0);
	for (unsigned i = 0; i < n; i++) {
		if (i == n / 2)
			*damage_at = sb->len;
		put_u(sb, 6);		/* sample: thread 0, stack 0, flags 0, 1000 us */
		put_u(sb, 0);
		put_u(sb, 0);
		put_u(sb, 0);
		put_u(sb, 1000);
	}
	put_u(sb, 8);
}

/* A damaged stretch in the middle costs the samples in it, not every later one. */
static void rawlog_read__damage_in_the_middle__later_samples_kept_and_counted(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile *p = profile__new();
	struct rawlog_info info;
	size_t at = 0;

	(void)state;
	small_log(&sb, 100, &at);
	memset(sb.buf + at, 0xee, 12);	/* two samples and a bit of the third */
	assert_int_equal(replay(&sb, p, &info), 0);
	assert_true(info.complete);
	assert_int_equal(info.damaged, 1);
	assert_true(info.samples >= 97 && info.samples <= 98);
	assert_int_equal(p->total, info.samples);
	profile__free(p);
	strbuf_release(&sb);
}

/* A run killed while writing a record: the cut record is left out, nothing is damage. */
static void rawlog_read__cut_last_record__truncated_not_damaged(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile *p = profile__new();
	struct rawlog_info info;
	size_t at = 0;

	(void)state;
	small_log(&sb, 10, &at);
	sb.len -= 3;		/* the end record and the last sample's last two fields */
	assert_int_equal(replay(&sb, p, &info), 0);
	assert_false(info.complete);
	assert_true(info.truncated);
	assert_int_equal(info.damaged, 0);
	assert_int_equal(info.samples, 9);
	profile__free(p);
	strbuf_release(&sb);
}

/*
 * run --repeat: repeats 1 and 2 (two processes each, pid 300 reused by repeat 2) written
 * by the real writer; each reads back apart, and all together without a repeat asked.
 */
static void rawlog_read_repeat__repeats_read_apart__pid_reuse_follows_the_latest(void **state)
{
	struct profile *w = profile__new();
	struct pf_frame f = { 0 };
	FILE *tmp = tmpfile();
	uint32_t fr, st, th[4];
	struct rawlog *l;
	const pid_t pids[4] = { 100, 300, 200, 300 };	/* repeat 1: 100, 300; 2: 200, 300 */

	(void)state;
	assert_non_null(tmp);
	l = rawlog__new(dup(fileno(tmp)), 0);
	assert_non_null(l);
	f.name = strtab__intern(w->strings, "hot", 3);
	f.file = strtab__intern(w->strings, "x.py", 4);
	f.line = 3;
	fr = profile__frame(w, &f);
	st = profile__stack(w, &fr, 1);
	for (unsigned i = 0; i < 4; i++) {
		rawlog__repeat(l, pids[i], i / 2 + 1);
		th[i] = profile__thread(w, profile__process(w, pids[i], i < 2 ? "a" : "b", "3.11"),
					pids[i], "main");
		for (unsigned k = 0; k <= i; k++)	/* 1, 2, 3, 4 samples */
			rawlog__sample(l, w, 1000000ull * (i * 10 + k), th[i], st, 0);
	}
	assert_int_equal(rawlog__close(l, &w->meta), 0);
	for (unsigned rep = 0; rep <= 3; rep++) {
		struct profile *p = profile__new();
		struct rawlog_info info;
		static const uint64_t want[] = { 10, 3, 7, 0 };

		rewind(tmp);
		assert_int_equal(rawlog__read_repeat(tmp, p, NULL, NULL, &info, rep), 0);
		assert_int_equal(info.repeats, 2);
		assert_int_equal(p->total, want[rep]);
		assert_int_equal(info.samples, want[rep]);
		profile__free(p);
	}
	fclose(tmp);
	profile__free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rawlog_read__strings_with_nul__process_and_thread_names_cut_at_nul),
		cmocka_unit_test(rawlog_read__bad_magic_or_record__einval_or_damaged),
		cmocka_unit_test(rawlog_read__damage_in_the_middle__later_samples_kept_and_counted),
		cmocka_unit_test(rawlog_read__cut_last_record__truncated_not_damaged),
		cmocka_unit_test(rawlog_read_repeat__repeats_read_apart__pid_reuse_follows_the_latest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
