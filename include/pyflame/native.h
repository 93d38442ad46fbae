/* native.h - the C frames of a stopped thread, and their merge with its Python frames. */
#ifndef PYFLAME_NATIVE_H
#define PYFLAME_NATIVE_H

#include <stdint.h>
#include <sys/types.h>

#include "pyflame/profile.h"
#include "pyflame/remote.h"
#include "pyflame/strtab.h"

/* pf_frame.line of a C frame: its file is the ELF file (library or executable) it is in. */
#define PF_LINE_NATIVE (-3)

#define NATIVE_MAX_FRAMES 256		/* C frames unwound per thread; deeper stacks: dropped */
#define NATIVE_STACK_COPY (64u << 10)	/* bytes of a thread's stack copied, from its sp up */
#define NATIVE_NREGS 17			/* x86-64 DWARF registers rax..r15, then rip */

/* What a C frame is to the merge. */
enum native_kind {
	NATIVE_C,		/* C code: kept */
	NATIVE_EVAL,		/* one run of the evaluation loop: replaced by its Python frames */
	NATIVE_FOLD,		/* a call trampoline of the interpreter: left out unless keep_all */
};

struct native_frame {
	struct pf_frame f;	/* name: the symbol, or "file+0xOFFSET"; file: the ELF file */
	enum native_kind kind;
	uint64_t pc;
	uint64_t func;		/* an unnamed frame: the start of its CFI entry (else 0) */
	int anon;		/* named by no symbol (file+0xOFFSET, or 0xADDRESS) */
};

/* Why a thread's --native sample was dropped: counted, shown in the summary. */
enum native_drop {
	NATIVE_DROP_NO_UNWINDER,	/* the process's files could not be read (yet) */
	NATIVE_DROP_NOT_STOPPED,	/* the thread was not held stopped (not traced, exiting) */
	NATIVE_DROP_REGS,		/* its registers did not read */
	NATIVE_DROP_UNWIND,		/* no C frame could be unwound */
	NATIVE_DROP_DEEP,		/* more than NATIVE_MAX_FRAMES C frames */
	NATIVE_DROP_NO_ACTS,		/* the Python stack was truncated or cut (--async) */
	NATIVE_DROP_SHORT,		/* fewer eval loops on the C stack than activations */
	NATIVE_DROP_MISMATCH,		/* eval loops on the C stack != Python activations */
	NATIVE_DROP_UNBOUNDED,		/* a frame's CFI has a backward branch (native.c) */
	NATIVE_DROP__COUNT,
};
const char *native_drop__name(enum native_drop d);

struct native_stats {
	uint64_t merged;			/* samples with their C frames */
	uint64_t drops[NATIVE_DROP__COUNT];
};

/*
 * A thread's registers and the top of its stack, taken while it was stopped: all that
 * native__unwind() needs of it, so the thread can run on meanwhile.  About 64 KiB.
 */
struct native_snap {
	pid_t tid;
	uint64_t regs[NATIVE_NREGS];	/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
	uint64_t stack_lo;		/* the copy covers [stack_lo, stack_lo + stack_len) */
	size_t stack_len;
	uint8_t stack[NATIVE_STACK_COPY];
};

struct native;

/*
 * A C-stack unwinder for process pid, whose interpreter is version (PY_VER()).  mem is
 * borrowed (reads of the stack beyond the copy, and of data CFI may ask for); names are
 * interned into strings.  Reads pid's maps now and again when a pc is in no known file.
 * NULL with errno set.
 */
struct native *native__new(pid_t pid, const struct remote *mem, struct strtab *strings,
			   unsigned version);
void native__free(struct native *n);

/*
 * Take tid's registers (PTRACE_GETREGSET) and a copy of the top of its stack (one batched
 * read, NATIVE_STACK_COPY bytes from its stack pointer, or up to the first page that does
 * not read) into s.  tid must be a ptrace-stopped thread of the process; it can be let go
 * as soon as this returns.  0, or a drop cause as -1 - enum native_drop.
 */
int native__capture(const struct native *n, pid_t tid, struct native_snap *s);

/*
 * Unwind the thread s was taken of, from the copy: CFI (.eh_frame, .debug_frame,
 * MiniDebugInfo, /usr/lib/debug) or frame pointers.  What lies beyond the copy (a stack
 * deeper than it, data a CFI expression asks for) is read live, at most 256 times (a
 * bound); once the thread runs again that can be torn, which the merge's checks catch as
 * a mismatch.  A thread's last unwind is given again, without unwinding, while its
 * registers and the bytes of the copy that unwind read are the same (a thread asleep in
 * the same call).  *frames (owned by n, valid until the next call) innermost first.  0,
 * or a drop cause as -1 - enum native_drop.
 */
int native__unwind(struct native *n, const struct native_snap *s,
		   const struct native_frame **frames, unsigned *nframes);

/*
 * Interleave: c[0..nc) C frames innermost first, py[0..npy) Python frames innermost first,
 * acts[0..nacts) how many of them each eval activation ran (unwind.h).  Each NATIVE_EVAL
 * frame is replaced by the next activation's Python frames (keep_all: followed by the
 * eval frame itself); NATIVE_FOLD frames are left out unless keep_all.  out[0..*nout)
 * innermost first.  0, -ENODATA when the C frames end before the activations (an unwind
 * that stopped early), -ERANGE when the eval frames and the activations otherwise do not
 * match, -E2BIG when out would hold more than max.
 */
int native__merge(const struct native_frame *c, unsigned nc, const struct pf_frame *py,
		  unsigned npy, const uint32_t *acts, unsigned nacts, int keep_all,
		  struct pf_frame *out, unsigned max, unsigned *nout);

/* The kind of a C function name for an interpreter of version (PY_VER()). */
enum native_kind native__classify(const char *name, unsigned version);

#endif
