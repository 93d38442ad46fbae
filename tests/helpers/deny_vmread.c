/*
 * deny_vmread - run a command where process_vm_readv fails with EPERM, as under Docker's
 * default seccomp profile without SYS_PTRACE; with --mem, reads of /proc/PID/mem fail
 * too (pread64/preadv are refused: the only way /proc/PID/mem is read).
 *
 *   deny_vmread [--mem] -- COMMAND [ARGS...]
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int mem = 0, i = 1;

	if (i < argc && !strcmp(argv[i], "--mem")) {
		mem = 1;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: deny_vmread [--mem] -- COMMAND [ARGS...]\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(process_vm_readv), 0) < 0 ||
	    (mem && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pread64), 0) < 0) ||
	    (mem && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(preadv), 0) < 0) ||
	    seccomp_load(ctx) < 0) {
		perror("deny_vmread: seccomp");
		return 125;
	}
	seccomp_release(ctx);
	execvp(argv[i], argv + i);
	fprintf(stderr, "deny_vmread: cannot run '%s': %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
