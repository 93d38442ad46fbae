/*
 * test_remote.c - the real readers against a forked child.
 *
 * The child is a fork of this process, so a buffer filled before the fork sits at the same
 * address in the child.  After the fork the parent overwrites its own copy, so a read that
 * returns the pattern really came from the child.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/remote.h"
#include "pyflame/util.h"

#define BUF_LEN 4096
static unsigned char pattern[BUF_LEN];
static unsigned char *edge_page;	/* a readable page followed by an unmapped one */
static long page;

static void fill_pattern(void)
{
	size_t i;

	for (i = 0; i < BUF_LEN; i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
	page = sysconf(_SC_PAGESIZE);
	edge_page = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(edge_page != MAP_FAILED);
	munmap(edge_page + page, (size_t)page);
	memset(edge_page, 0x5a, (size_t)page);
}

static unsigned char expected(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

/* A child that holds the pattern; traced = stop under PTRACE_TRACEME for peek. */
static pid_t spawn_child(int traced)
{
	pid_t pid;
	int status;

	fill_pattern();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (traced) {
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			raise(SIGSTOP);
		}
		for (;;)
			pause();
	}
	memset(pattern, 0, sizeof(pattern));	/* only the child has it now */
	memset(edge_page, 0, (size_t)page);
	if (traced) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSTOPPED(status));
	}
	return pid;
}

static void reap_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	munmap(edge_page, (size_t)page);
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void check_reader(enum remote_kind kind, int traced)
{
	pid_t pid = spawn_child(traced);
	struct remote r;
	unsigned char buf[BUF_LEN];
	size_t off, len, i;
	uint64_t u64;
	uint32_t u32;

	assert_int_equal(remote__open(&r, pid, kind, addr_of(pattern)), 0);
	assert_string_equal(r.ops->name, remote_kind__name(kind));
	assert_int_equal(r.pid, pid);

	assert_int_equal(remote__read(&r, addr_of(pattern), buf, BUF_LEN), 0);
	for (i = 0; i < BUF_LEN; i++)
		assert_int_equal(buf[i], expected(i));
	/* unaligned starts and ends */
	for (off = 0; off < 17; off++) {
		for (len = 1; len < 41; len += 3) {
			memset(buf, 0xee, len + 1);
			assert_int_equal(remote__read(&r, addr_of(pattern) + off, buf, len), 0);
			for (i = 0; i < len; i++)
				assert_int_equal(buf[i], expected(off + i));
			assert_int_equal(buf[len], 0xee);	/* no write past len */
		}
	}
	assert_int_equal(remote__read(&r, addr_of(pattern), buf, 0), 0);
	assert_int_equal(remote__read_u32(&r, addr_of(pattern) + 1, &u32), 0);
	assert_int_equal(u32, expected(1) | expected(2) << 8 | expected(3) << 16 |
			 (uint32_t)expected(4) << 24);
	assert_int_equal(remote__read_u64(&r, addr_of(pattern), &u64), 0);
	assert_int_equal(u64 & 0xff, expected(0));
	assert_int_equal(u64 >> 56, expected(7));

	/* unmapped: page zero, and a read that runs off the end of a mapping */
	assert_int_equal(remote__read(&r, 0, buf, 8), -EFAULT);
	assert_int_equal(remote__read(&r, 8, buf, 1), -EFAULT);
	assert_int_equal(remote__read(&r, addr_of(edge_page) + (uint64_t)page - 4, buf, 8),
			 -EFAULT);
	assert_int_equal(remote__read(&r, addr_of(edge_page) + (uint64_t)page - 4, buf, 4), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(remote__read(&r, UINT64_MAX - 3, buf, 8), -EFAULT);

	/* the process dies under an open reader */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(remote__read(&r, addr_of(pattern), buf, 8), -ESRCH);
	remote__close(&r);
	remote__close(&r);	/* twice is harmless */
	munmap(edge_page, (size_t)page);
}

static void remote_vm__child_buffer__reads_exact_bytes(void **state)
{
	(void)state;
	check_reader(REMOTE_VM, 0);
}

static void remote_mem__child_buffer__reads_exact_bytes(void **state)
{
	(void)state;
	check_reader(REMOTE_MEM, 0);
}

static void remote_peek__stopped_child__reads_unaligned_bytes(void **state)
{
	(void)state;
	check_reader(REMOTE_PEEK, 1);
}

static void remote_peek__untraced_child__eperm(void **state)
{
	pid_t pid = spawn_child(0);
	struct remote r;
	(void)state;

	assert_int_equal(remote__open(&r, pid, REMOTE_PEEK, addr_of(pattern)), -EPERM);
	assert_null(r.ops);
	reap_child(pid);
}

static void remote_open__auto_without_probe__picks_first_reader(void **state)
{
	pid_t pid = spawn_child(0);
	struct remote r;
	unsigned char buf[16];
	(void)state;

	assert_int_equal(remote__open(&r, pid, REMOTE_AUTO, 0), 0);
	assert_string_equal(r.ops->name, "vm");
	assert_int_equal(remote__read(&r, addr_of(pattern) + 100, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], expected(100));
	remote__close(&r);
	reap_child(pid);
}

static void remote_open__unmapped_probe__efault(void **state)
{
	pid_t pid = spawn_child(0);
	struct remote r;
	(void)state;

	assert_int_equal(remote__open(&r, pid, REMOTE_VM, 16), -EFAULT);
	assert_int_equal(remote__open(&r, pid, REMOTE_MEM, 16), -EFAULT);
	reap_child(pid);
}

static void remote_open__dead_pid__esrch(void **state)
{
	static const enum remote_kind kinds[] = { REMOTE_AUTO, REMOTE_VM, REMOTE_MEM, REMOTE_PEEK };
	struct remote r;
	size_t i;
	pid_t pid;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		assert_int_equal(remote__open(&r, pid, kinds[i], addr_of(pattern)), -ESRCH);
		assert_int_equal(remote__open(&r, pid, kinds[i], 0), -ESRCH);
	}
	assert_int_equal(remote__open(&r, 0, REMOTE_VM, 0), -ESRCH);
	remote__close(&r);
}

/*
 * Batched reads: every readable entry is filled (into buffers that follow each other and
 * into one apart), an unreadable one in the middle is marked and does not stop the rest.
 */
static void check_readv(enum remote_kind kind, int traced)
{
	pid_t pid = spawn_child(traced);
	struct remote r;
	unsigned char buf[600], lone[8];
	struct remote_iov iov[6];
	int res[6];
	size_t i;

	assert_int_equal(remote__open(&r, pid, kind, addr_of(pattern)), 0);
	memset(buf, 0xee, sizeof(buf));
	memset(res, 0x55, sizeof(res));
	iov[0] = (struct remote_iov){ addr_of(pattern) + 3, buf, 100 };
	iov[1] = (struct remote_iov){ addr_of(pattern) + 2000, buf + 100, 200 };
	iov[2] = (struct remote_iov){ addr_of(edge_page) + (uint64_t)page - 4, buf + 300, 8 };
	iov[3] = (struct remote_iov){ addr_of(pattern) + 7, buf + 308, 0 };
	iov[4] = (struct remote_iov){ addr_of(edge_page) + 10, buf + 308, 16 };
	iov[5] = (struct remote_iov){ addr_of(pattern) + 4000, lone, sizeof(lone) };
	assert_int_equal(remote__readv(&r, iov, 6, res), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], -EFAULT);	/* runs off the end of its mapping */
	assert_int_equal(res[3], 0);		/* nothing to read */
	assert_int_equal(res[4], 0);
	assert_int_equal(res[5], 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf[i], expected(3 + i));
	for (i = 0; i < 200; i++)
		assert_int_equal(buf[100 + i], expected(2000 + i));
	for (i = 0; i < 16; i++)
		assert_int_equal(buf[308 + i], 0x5a);
	assert_int_equal(buf[324], 0xee);	/* nothing written past the entries */
	for (i = 0; i < sizeof(lone); i++)
		assert_int_equal(lone[i], expected(4000 + i));
	/* only unreadable entries */
	iov[0] = (struct remote_iov){ 8, buf, 8 };
	assert_int_equal(remote__readv(&r, iov, 1, res), 0);
	assert_int_equal(res[0], -EFAULT);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(remote__readv(&r, iov + 1, 1, res), -ESRCH);
	remote__close(&r);
	munmap(edge_page, (size_t)page);
}

static void remote_readv__vm__fills_readable_marks_unreadable(void **state)
{
	(void)state;
	check_readv(REMOTE_VM, 0);
}

static void remote_readv__mem_without_batch__same_results(void **state)
{
	(void)state;
	check_readv(REMOTE_MEM, 0);
}

/* More entries than one process_vm_readv takes: split, every one read. */
static void remote_readv__more_than_iov_max__all_read(void **state)
{
	pid_t pid = spawn_child(0);
	size_t n = REMOTE_IOV_MAX * 2 + 5, i;
	struct remote_iov *iov = calloc(n, sizeof(*iov));
	unsigned char *buf = calloc(n, 1);
	int *res = calloc(n, sizeof(*res));
	struct remote r;
	(void)state;

	assert_int_equal(remote__open(&r, pid, REMOTE_VM, addr_of(pattern)), 0);
	for (i = 0; i < n; i++) {
		iov[i] = (struct remote_iov){ addr_of(pattern) + (i * 13) % BUF_LEN, buf + i, 1 };
		res[i] = 1;
	}
	assert_int_equal(remote__readv(&r, iov, n, res), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(res[i], 0);
		assert_int_equal(buf[i], expected((i * 13) % BUF_LEN));
	}
	remote__close(&r);
	free(iov);
	free(buf);
	free(res);
	reap_child(pid);
}

static void remote_kind__names__round_trip(void **state)
{
	static const enum remote_kind kinds[] = { REMOTE_AUTO, REMOTE_VM, REMOTE_MEM, REMOTE_PEEK };
	static const char *names[] = { "auto", "vm", "mem", "peek" };
	enum remote_kind k;
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		assert_string_equal(remote_kind__name(kinds[i]), names[i]);
		assert_int_equal(remote_kind__parse(names[i], &k), 0);
		assert_int_equal(k, kinds[i]);
	}
	assert_int_equal(remote_kind__parse("VM", &k), -EINVAL);
	assert_int_equal(remote_kind__parse("", &k), -EINVAL);
	assert_string_equal(remote_kind__name((enum remote_kind)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remote_vm__child_buffer__reads_exact_bytes),
		cmocka_unit_test(remote_mem__child_buffer__reads_exact_bytes),
		cmocka_unit_test(remote_peek__stopped_child__reads_unaligned_bytes),
		cmocka_unit_test(remote_peek__untraced_child__eperm),
		cmocka_unit_test(remote_open__auto_without_probe__picks_first_reader),
		cmocka_unit_test(remote_open__unmapped_probe__efault),
		cmocka_unit_test(remote_open__dead_pid__esrch),
		cmocka_unit_test(remote_kind__names__round_trip),
		cmocka_unit_test(remote_readv__vm__fills_readable_marks_unreadable),
		cmocka_unit_test(remote_readv__mem_without_batch__same_results),
		cmocka_unit_test(remote_readv__more_than_iov_max__all_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
