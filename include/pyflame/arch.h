/* arch.h - everything that depends on the CPU architecture, in one place. */
#ifndef PYFLAME_ARCH_H
#define PYFLAME_ARCH_H

#include <stdint.h>
#include <ucontext.h>

#if defined(__x86_64__)
/* The seccomp architecture pyflame filters (libseccomp's token). */
#define PF_ARCH_NAME "x86_64"
/* Make the system call a SIGSYS handler interrupted return ret (a negative errno). */
static inline void arch__set_syscall_return(ucontext_t *uc, long ret)
{
	uc->uc_mcontext.gregs[REG_RAX] = ret;
}
#else
#error "pyflame supports x86-64 Linux first; add this architecture's details to arch.h"
#endif

#endif
