/*
 * deny_vmread - run a command where process_vm_readv fails with EPERM, as under Docker's
 * default seccomp profile without SYS_PTRACE; with --mem, reads of /proc/PID/mem fail
 * too.  seccomp cannot see paths, so --mem refuses pread64/preadv at offsets of 4 MiB and
 * up: a /proc/PID/mem read's offset is the address it reads (every mapping of a process,
 * even a non-PIE executable's at 0x400000), while the dynamic loader and ordinary programs
 * read files at small offsets.  Like Docker's profile, the filter holds for every process
 * started under it.
 *
 *   deny_vmread [--mem] -- COMMAND [ARGS...]
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MEM_OFFSET_MIN 0x400000ull

int main(int argc, char **argv)
{
	/* every field set: libseccomp's SCMP_A3() leaves datum_b out, which clang rejects */
	const struct scmp_arg_cmp high_offset = {
		.arg = 3, .op = SCMP_CMP_GE, .datum_a = MEM_OFFSET_MIN, .datum_b = 0,
	};
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
	    (mem && seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pread64), 1,
					   &high_offset) < 0) ||
	    (mem && seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(preadv), 1,
					   &high_offset) < 0) ||
	    seccomp_load(ctx) < 0) {
		perror("deny_vmread: seccomp");
		return 125;
	}
	seccomp_release(ctx);
	execvp(argv[i], argv + i);
	fprintf(stderr, "deny_vmread: cannot run '%s': %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
