/*
 * cmd_doctor.c - `pyflame doctor`: check, on this machine and as this user, each thing
 * profiling depends on, by trying it on a child process of our own, and say how to fix
 * what fails.
 */
#include "pyflame/cmd_doctor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyflame/remote.h"
#include "pyflame/sandbox.h"
#include "pyflame/util.h"

static int problems;

static void finding(const char *what, const char *status, const char *detail)
{
	printf("  %-22s %-8s %s\n", what, status, detail);
}

static void fix(const char *fmt, const char *arg)
{
	printf("  %-22s %-8s fix: ", "", "");
	printf(fmt, arg);
	putchar('\n');
}

static int read_int_file(const char *path, long *out)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = pf_read_file(path, &sb, 64);

	if (!ret)
		*out = sb.len ? strtol(sb.buf, NULL, 10) : 0;
	strbuf_release(&sb);
	return ret;
}

static void check_yama(void)
{
	long scope;

	if (read_int_file("/proc/sys/kernel/yama/ptrace_scope", &scope)) {
		finding("yama ptrace_scope", "ok", "Yama is not enabled: only uid checks apply");
		return;
	}
	switch (scope) {
	case 0:
		finding("yama ptrace_scope", "ok", "0 (classic): run and attach to own processes");
		break;
	case 1:
		finding("yama ptrace_scope", "ok", "1 (restricted): run works; attach needs "
			"CAP_SYS_PTRACE or scope 0");
		break;
	case 2:
		finding("yama ptrace_scope", "FAIL", "2 (admin-only): every ptrace use needs "
			"CAP_SYS_PTRACE");
		fix("%s", "sudo sysctl kernel.yama.ptrace_scope=1, or "
		    "sudo setcap cap_sys_ptrace+ep $(command -v pyflame)");
		problems++;
		break;
	default:
		finding("yama ptrace_scope", "FAIL", "3 (no attach): ptrace is disabled until reboot");
		fix("%s", "reboot without kernel.yama.ptrace_scope=3");
		problems++;
		break;
	}
}

static void check_caps(void)
{
	cap_t caps = cap_get_proc();
	char *text = caps ? cap_to_text(caps, NULL) : NULL;
	cap_flag_value_t v = CAP_CLEAR;

	if (caps)
		cap_get_flag(caps, CAP_SYS_PTRACE, CAP_PERMITTED, &v);
	finding("capabilities", "info", text && strcmp(text, "=") ? text : "none (none needed to run)");
	if (v == CAP_SET)
		finding("", "", "CAP_SYS_PTRACE is permitted: attach works on other users' processes");
	cap_free(text);
	cap_free(caps);
}

static void check_seccomp_and_container(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	long mode = -1;
	int container = !access("/.dockerenv", F_OK) || !access("/run/.containerenv", F_OK);

	if (!pf_read_file("/proc/self/status", &sb, 16384) &&
	    (p = strstr(sb.buf, "\nSeccomp:")))
		mode = strtol(p + 9, NULL, 10);
	finding("seccomp (pyflame)", "info", mode == 2 ? "filtered: a container runtime or a "
		"service manager confines this shell" : mode == 1 ? "strict" : "none");
	if (!pf_read_file("/proc/1/cgroup", &sb, 16384) &&
	    (strstr(sb.buf, "docker") || strstr(sb.buf, "kubepods") || strstr(sb.buf, "containerd") ||
	     strstr(sb.buf, "lxc")))
		container = 1;
	finding("container", "info", container ? "yes: Docker's default profile refuses "
		"process_vm_readv without SYS_PTRACE; pyflame falls back by itself" : "no sign of one");
	strbuf_release(&sb);
}

static volatile uint64_t probe_word = 0x70796672616d65ull;	/* "pyframe": same in the child */

/* Start a child, seize it and stop it: the situation pyflame run is in. */
static pid_t stopped_child(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (ptrace(PTRACE_SEIZE, pid, 0L, 0L) < 0) {
		int e = -errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return e;
	}
	ptrace(PTRACE_INTERRUPT, pid, 0L, 0L);
	waitpid(pid, &status, __WALL);
	return pid;
}

static void check_readers(void)
{
	static const enum remote_kind kinds[] = { REMOTE_VM, REMOTE_MEM, REMOTE_PEEK };
	pid_t pid = stopped_child();
	int any = 0;

	if (pid < 0) {
		finding("ptrace a child", "FAIL", strerror(-pid));
		fix("%s", "see yama ptrace_scope above; in a container, allow ptrace in its "
		    "seccomp profile");
		problems++;
		return;
	}
	finding("ptrace a child", "ok", "PTRACE_SEIZE works on a child of pyflame");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct remote r;
		uint64_t v = 0;
		char what[40];
		int ret = remote__open(&r, pid, kinds[i], (uint64_t)(uintptr_t)&probe_word);

		if (!ret) {
			ret = remote__read_u64(&r, (uint64_t)(uintptr_t)&probe_word, &v);
			if (!ret && v != probe_word)
				ret = -EIO;
			remote__close(&r);
		}
		snprintf(what, sizeof(what), "reader %s", remote_kind__name(kinds[i]));
		finding(what, ret ? "no" : "ok", ret ? strerror(-ret) : "reads a child's memory");
		any |= !ret;
	}
	if (!any) {
		problems++;
		fix("%s", "no memory reader works: check the seccomp profile and Yama scope");
	}
	kill(pid, SIGKILL);
	ptrace(PTRACE_DETACH, pid, 0L, 0L);
	waitpid(pid, NULL, __WALL);
}

static void check_sandbox(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
			_exit(2);
		_exit(sandbox__apply(0) ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		finding("seccomp sandbox", "no", "cannot be installed here; pyflame samples without "
			"it and says so");
		fix("%s", "allow seccomp(2) in the container's profile, or use --no-sandbox to "
		    "silence the warning");
		return;
	}
	finding("seccomp sandbox", "ok", "the sampler's allow-list can be installed");
}

int cmd_doctor(void)
{
	printf("pyflame doctor: what matters for profiling here (uid %d)\n", (int)getuid());
	check_yama();
	check_caps();
	check_seccomp_and_container();
	check_readers();
	check_sandbox();
	if (problems)
		printf("\n%d problem(s): pyflame run will not work until fixed\n", problems);
	else
		printf("\npyflame run works here\n");
	return problems ? 1 : 0;
}
