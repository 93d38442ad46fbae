/*
 * sandbox.c - a seccomp allow-list for the sampler, built with libseccomp.
 *
 * The sampler parses memory of programs it does not trust; if a bug in that parsing were
 * ever exploited, the process it runs in can do little: no exec, no sockets, no file opened
 * for writing, created, renamed, linked, removed or given a mode (the keeper puts outputs
 * in place), no ptrace request that writes to a tracee or traces a new task, and signals
 * only to itself and the command.  Refused calls raise SIGSYS;
 * our handler records the call and makes it return -EPERM, so pyflame can carry on (the
 * command is never hurt by a sandbox refusal) and name the call in one line afterwards.
 */
#include "pyflame/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "pyflame/arch.h"

static volatile sig_atomic_t denied_nr = -1;
static int tty_fd = -1;		/* sandbox__allow_tty */
static volatile unsigned long denied_count;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if (denied_nr < 0)
		denied_nr = si->si_syscall;
	denied_count++;
	arch__set_syscall_return(ctx, -EPERM);
}

int sandbox__denied(unsigned long *count)
{
	if (count)
		*count = denied_count;
	return denied_nr;
}

void sandbox__syscall_name(int nr, char *buf, size_t size)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "syscall %d", nr);
	free(name);
}

/* Calls allowed with any arguments, each with the reason it is needed. */
static const struct {
	const char *name;
	const char *why;
} allowed[] = {
	{ "read", "signalfd and /proc files" },
	{ "pread64", "/proc/PID/task/TID/stat and /proc/PID/mem, ELF files" },
	{ "readv", "stdio" },
	{ "write", "profiles and messages, to descriptors opened before the sandbox; the keeper" },
	{ "writev", "stdio" },
	{ "lseek", "stdio" },
	{ "close", "descriptors of /proc files" },
	{ "fstat", "stdio, ELF file sizes" },
	{ "newfstatat", "fstat via glibc" },
	{ "statx", "fstat via glibc" },
	{ "readlink", "/proc/PID/exe" },
	{ "readlinkat", "/proc/PID/exe" },
	{ "getxattr", "does /proc/PID/exe have file capabilities (privileges a traced exec lost)" },
	{ "getdents64", "listing /proc/PID/task" },
	{ "access", "does /proc/PID/task/TID exist" },
	{ "faccessat", "does /proc/PID/task/TID exist" },
	{ "faccessat2", "does /proc/PID/task/TID exist" },
	{ "fcntl", "descriptor flags (cannot open files)" },
	{ "process_vm_readv", "reading the target's memory" },
	{ "wait4", "ptrace stops and exits of the traced tasks" },
	{ "waitid", "ptrace stops and exits of the traced tasks" },
	{ "getpid", "raise(), messages" },
	{ "gettid", "raise()" },
	{ "getpgrp", "job-control mirroring" },
	{ "poll", "the event loop" },
	{ "ppoll", "the event loop; its timeout is the next sampling deadline" },
	{ "clock_gettime", "timestamps" },
	{ "clock_nanosleep", "bounded waits while detaching" },
	{ "nanosleep", "bounded waits while detaching" },
	{ "gettimeofday", "timestamps" },
	{ "getrandom", "deadline jitter" },
	{ "munmap", "memory allocation, ELF files" },
	{ "mremap", "memory allocation" },
	{ "brk", "memory allocation" },
	{ "madvise", "memory allocation" },
	{ "futex", "stdio locks" },
	{ "rt_sigaction", "restoring default dispositions before ending like the command" },
	{ "rt_sigprocmask", "unblocking the command's fatal signal at the end" },
	{ "rt_sigreturn", "returning from the SIGSYS handler" },
	{ "rt_sigtimedwait", "sleeping until a task stops while one is held (tracer__hold)" },
	{ "restart_syscall", "interrupted sleeps" },
	{ "sched_yield", "allocator" },
	{ "sysinfo", "glibc's qsort() asks how much memory there is" },
	{ "exit", "exiting" },
	{ "exit_group", "exiting" },
};

/*
 * ptrace requests the tracer uses; none of them writes to a tracee, and each works only on
 * a task already traced.  No PTRACE_SEIZE or PTRACE_ATTACH: every task is seized before
 * the sandbox, and the ones the command starts later are traced by the kernel itself
 * (PTRACE_O_TRACEFORK & co.), so a confined sampler traces its own tree and nothing else.
 */
static const long ptrace_requests[] = {
	PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_CONT, PTRACE_DETACH, PTRACE_GETEVENTMSG,
	PTRACE_GETSIGINFO,
	PTRACE_GETREGSET,	/* --native: a held thread's registers, to unwind its C stack */
	PTRACE_INTERRUPT, PTRACE_LISTEN,
	PTRACE_SETOPTIONS,	/* which events a tracee reports (exec: tracer__exec_events) */
};

/* An argument comparison with every field set (libseccomp's SCMP_An() macros leave
 * datum_b out, which clang's -Wmissing-field-initializers rejects). */
static struct scmp_arg_cmp cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

static int add(scmp_filter_ctx ctx, const char *name, unsigned n, const struct scmp_arg_cmp *c)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not on this architecture */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, c);
}

/*
 * Signals: to the command's own pid (forwarding SIGTERM & co.), to ourselves (stopping with
 * the command's job, dying like it), and signal 0 (is a process there) to anyone.
 */
static int add_signals(scmp_filter_ctx ctx, pid_t command)
{
	struct scmp_arg_cmp c = cmp(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0);
	int ret = add(ctx, "kill", 1, &c);

	if (!ret)
		ret = add(ctx, "tgkill", 1, &c);	/* raise() */
	c = cmp(1, SCMP_CMP_EQ, 0, 0);
	if (!ret)
		ret = add(ctx, "kill", 1, &c);
	c = cmp(0, SCMP_CMP_EQ, (scmp_datum_t)command, 0);
	if (!ret && command > 0)
		ret = add(ctx, "kill", 1, &c);
	return ret;
}

static int build(scmp_filter_ctx ctx, pid_t command)
{
	/* flags that would make an open create or write a file (O_TMPFILE includes the
	 * O_DIRECTORY bit, which opendir() sets: only its own bit counts) */
	const scmp_datum_t wflags = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
				    (O_TMPFILE & ~O_DIRECTORY);
	int ret = 0;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !ret; i++)
		ret = add(ctx, allowed[i].name, 0, NULL);
	if (!ret)
		ret = add_signals(ctx, command);
	for (size_t i = 0; i < sizeof(ptrace_requests) / sizeof(ptrace_requests[0]) && !ret; i++) {
		struct scmp_arg_cmp c = cmp(0, SCMP_CMP_EQ, (scmp_datum_t)ptrace_requests[i], 0);

		ret = add(ctx, "ptrace", 1, &c);
	}
	if (!ret) {	/* read-only opens: /proc files and ELF files */
		struct scmp_arg_cmp c = cmp(2, SCMP_CMP_MASKED_EQ, wflags, O_RDONLY);

		ret = add(ctx, "openat", 1, &c);
	}
	if (!ret) {
		struct scmp_arg_cmp c = cmp(1, SCMP_CMP_MASKED_EQ, wflags, O_RDONLY);

		ret = add(ctx, "open", 1, &c);
	}
	if (!ret) {	/* memory that can never become code */
		struct scmp_arg_cmp c = cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);

		ret = add(ctx, "mmap", 1, &c);
		if (!ret)
			ret = add(ctx, "mprotect", 1, &c);
	}
	if (!ret) {	/* isatty() and tcgetpgrp() only */
		struct scmp_arg_cmp c = cmp(1, SCMP_CMP_EQ, TCGETS, 0);

		ret = add(ctx, "ioctl", 1, &c);
		c = cmp(1, SCMP_CMP_EQ, TIOCGPGRP, 0);
		if (!ret)
			ret = add(ctx, "ioctl", 1, &c);
	}
	if (tty_fd >= 0) {	/* the --live view's terminal: its modes and size */
		static const unsigned long reqs[] = { TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ };

		for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]) && !ret; i++) {
			struct scmp_arg_cmp c[2] = { cmp(0, SCMP_CMP_EQ, (scmp_datum_t)tty_fd, 0),
						     cmp(1, SCMP_CMP_EQ, reqs[i], 0) };

			ret = add(ctx, "ioctl", 2, c);
		}
	}
	if (!ret) {	/* only to drop our own core limit before dying like the command */
		struct scmp_arg_cmp c[2] = { cmp(0, SCMP_CMP_EQ, 0, 0), cmp(1, SCMP_CMP_EQ, RLIMIT_CORE, 0) };

		ret = add(ctx, "prlimit64", 2, c);
	}
	return ret;
}

void sandbox__allow_tty(int fd)
{
	tty_fd = fd;
}

int sandbox__apply(pid_t command)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	ret = build(ctx, command);
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}
