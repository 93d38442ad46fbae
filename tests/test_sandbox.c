/* test_sandbox.c - the seccomp allow-list, applied in a forked child. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "pyflame/sandbox.h"

/* Results the child reports through its exit code, one bit each. */
#define R_EXECVE_REFUSED   0x01
#define R_SOCKET_REFUSED   0x02
#define R_WRONLY_REFUSED   0x04
#define R_RDONLY_WORKS     0x08
#define R_VMREAD_WORKS     0x10
#define R_EXECMEM_REFUSED  0x20
#define R_DENIED_NAMED     0x40

static int child_body(void)
{
	int r = 0, fd;
	char *const argv[] = { "/bin/true", NULL };
	char buf[16] = "", src[16] = "sandboxed";
	struct iovec l = { buf, sizeof(buf) }, rv = { src, sizeof(src) };
	char name[64];
	void *p;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 || sandbox__apply() < 0)
		return 0x80;
	if (execve(argv[0], argv, NULL) < 0 && errno == EPERM)
		r |= R_EXECVE_REFUSED;
	sandbox__syscall_name(sandbox__denied(NULL), name, sizeof(name));
	if (!strcmp(name, "execve"))
		r |= R_DENIED_NAMED;
	if (socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EPERM)
		r |= R_SOCKET_REFUSED;
	fd = open("/tmp/pyflame-sandbox-test", O_WRONLY | O_CREAT, 0600);
	if (fd < 0 && errno == EPERM)
		r |= R_WRONLY_REFUSED;
	fd = open("/proc/self/status", O_RDONLY);
	if (fd >= 0 && read(fd, buf, 4) == 4)
		r |= R_RDONLY_WORKS;
	if (process_vm_readv(getpid(), &l, 1, &rv, 1, 0) == (ssize_t)sizeof(buf) &&
	    !strcmp(buf, "sandboxed"))
		r |= R_VMREAD_WORKS;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED && errno == EPERM)
		r |= R_EXECMEM_REFUSED;
	return r;
}

static void sandbox_apply__forbidden_calls_fail__allowed_calls_work(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_body());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status) & 0x80, 0);
	assert_true(WEXITSTATUS(status) & R_EXECVE_REFUSED);
	assert_true(WEXITSTATUS(status) & R_DENIED_NAMED);
	assert_true(WEXITSTATUS(status) & R_SOCKET_REFUSED);
	assert_true(WEXITSTATUS(status) & R_WRONLY_REFUSED);
	assert_true(WEXITSTATUS(status) & R_RDONLY_WORKS);
	assert_true(WEXITSTATUS(status) & R_VMREAD_WORKS);
	assert_true(WEXITSTATUS(status) & R_EXECMEM_REFUSED);
	assert_int_equal(access("/tmp/pyflame-sandbox-test", F_OK), -1);
}

static void sandbox_syscall_name__unknown_number__says_number(void **state)
{
	char buf[64];

	(void)state;
	sandbox__syscall_name(59, buf, sizeof(buf));
	assert_string_equal(buf, "execve");
	sandbox__syscall_name(99999, buf, sizeof(buf));
	assert_string_equal(buf, "syscall 99999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sandbox_apply__forbidden_calls_fail__allowed_calls_work),
		cmocka_unit_test(sandbox_syscall_name__unknown_number__says_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
