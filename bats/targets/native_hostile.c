/*
 * native_hostile.c - shared libraries whose code runs right but whose call frame
 * information is hostile, for bats/141-native-hostile.bats.  Each hf_* spins n times
 * (n >= 1) and returns n; only what an unwinder reads of it lies:
 *
 *   hf_honest     true CFI: the control, unwound through like any function
 *   hf_skip_self  CFA = an expression that branches to itself (DW_OP_skip -3): an
 *                 evaluator without a bound never returns
 *   hf_dup_grow   CFA = lit0, then dup and a branch back to the dup: the evaluator's
 *                 stack grows until memory runs out
 *   hf_same_sp    CFA = rsp: the caller's frame would have the same stack pointer
 *   hf_far_cfa    CFA = rsp + 1 GiB: the return address lies off the stack
 *
 * The test also builds gf_run (-DGARBAGE), a plain C function, and overwrites the
 * library's .eh_frame, .eh_frame_hdr or section headers with random bytes.
 */
#ifdef GARBAGE

__attribute__((noinline)) static long spin(long n)
{
	long k = 0;

	for (long i = 0; i < n; i++)
		__asm__ volatile("" : "+r"(k));
	return k + n;
}

long gf_run(long n)
{
	long r = spin(n);

	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return r - (r - n);
}

#else

/* A function that spins rdi times and returns its count, under the CFI given. */
#define HOSTILE(name, cfi)                                                               \
	__asm__(".text\n"                                                               \
		".globl " #name "\n"                                                    \
		".type " #name ", @function\n"                                          \
		#name ":\n"                                                             \
		".cfi_startproc\n"                                                      \
		cfi                                                                     \
		"\tmov %rdi, %rax\n"                                                    \
		"1:\tdec %rdi\n"                                                        \
		"\tjnz 1b\n"                                                            \
		"\tret\n"                                                               \
		".cfi_endproc\n"                                                        \
		".size " #name ", . - " #name "\n")

HOSTILE(hf_honest, "");
/* DW_CFA_def_cfa_expression, 3 bytes: DW_OP_skip -3 (to itself) */
HOSTILE(hf_skip_self, ".cfi_escape 0x0f, 0x03, 0x2f, 0xfd, 0xff\n");
/* DW_CFA_def_cfa_expression, 5 bytes: DW_OP_lit0; DW_OP_dup; DW_OP_skip -4 (to the dup) */
HOSTILE(hf_dup_grow, ".cfi_escape 0x0f, 0x05, 0x30, 0x12, 0x2f, 0xfc, 0xff\n");
HOSTILE(hf_same_sp, ".cfi_def_cfa %rsp, 0\n.cfi_offset %rip, 0\n");
HOSTILE(hf_far_cfa, ".cfi_def_cfa %rsp, 0x40000000\n");

#endif
