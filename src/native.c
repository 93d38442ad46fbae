/*
 * native.c - the C frames of a thread held stopped by the tracer (--native).
 *
 * native__capture() takes the thread's registers (PTRACE_GETREGSET) and copies the top of
 * its stack in one batched read while the thread is held; the thread can run on at once.
 * native__unwind() then has elfutils' libdwfl unwind from that copy with the CFI of each
 * mapped file (.eh_frame, .debug_frame, the .gnu_debugdata MiniDebugInfo, separate debug
 * files under /usr/lib/debug), falling back to frame pointers where a file has none.  The
 * files are opened through elf__open_fd_nofollow() (regular files only, never blocking, no
 * symbolic link followed in a name the target gave); debuginfod
 * is never asked (the sandbox allows no socket).
 *
 * Every unwind is bounded: NATIVE_MAX_FRAMES frames, the stack pointer must grow from frame
 * to frame (a loop ends it), at most NATIVE_MAX_READS reads outside the copy, and no CFI
 * expression with a backward branch is evaluated (libdw would loop on it; cfi_bounded).
 *
 * An unwind depends on the registers, the bytes of the copy it read, the files mapped and
 * nothing else when it read nothing outside the copy.  Such an unwind is kept per thread
 * (NATIVE_SEEN threads) and given again while those are the same: a thread asleep in one
 * call costs a compare instead of an unwind.
 */
#include "pyflame/native.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <elf.h>
#include <inttypes.h>
#include <unistd.h>

#include "pyflame/elf.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/util.h"

#define NATIVE_PAGE		4096u
#define NATIVE_MAX_READS	256		/* reads outside the copy per unwind */
#define NATIVE_SYM_CACHE	4096		/* pcs named, per process (cleared when full) */
#define NATIVE_REPORT_MIN_NS	2000000ull	/* re-read the maps at most this often, */
#define NATIVE_REPORT_MAX_NS	64000000ull	/* backing off to this while it does not help */
#define NATIVE_SEEN		64		/* threads whose last unwind is kept */
#define DWARF_REG_SP		7		/* x86-64 DWARF register number of rsp */
#define DEBUGDATA_MAX_IN	(16u << 20)	/* a .gnu_debugdata larger than this is not used, */
#define DEBUGDATA_MAX_OUT	(64u << 20)	/* nor one that decompresses to more, */
#define DEBUGDATA_MEMLIMIT	(64u << 20)	/* or whose xz stream needs more to decode */
#define DEBUGDATA_WARNINGS	8		/* sections named as such, per pyflame */
#define COMPRESSED_MAX_OUT	(128u << 20)	/* a file's compressed sections, decompressed */

struct sym_entry {
	uint64_t pc;		/* 0 empty */
	struct native_frame fr;
	int cfi_ok;		/* its CFI is safe to unwind from (cfi_bounded) */
};

/*
 * A stripped interpreter may not name its evaluation loop (3.14's python3 does not export
 * _PyEval_EvalFrameDefault).  It is then learnt from the first stack where PyEval_EvalCode
 * (exported) calls it: the first frame inward of PyEval_EvalCode that is not a call
 * trampoline.  From then on every pc in the same function (the same CFI entry) is an eval
 * frame, under this name.
 */
#define EVAL_ENTRY_NAME "PyEval_EvalCode"
#define EVAL_UNNAMED_LABEL "_PyEval_EvalFrameDefault"

#define NATIVE_MOD_INFO 64	/* files whose mod_info is kept */
#define SYMIDX_MAX (1u << 21)	/* symbols a file may have to be indexed; beyond, libdwfl names */

/* A function symbol of a file, at its runtime address: [lo, hi). */
struct sym_range {
	uint64_t lo, hi;
	const char *name;	/* libelf's: lives as long as the module */
	unsigned sized : 1;	/* it has a size (else it reaches the next symbol) */
	unsigned func : 1;	/* STT_FUNC or STT_GNU_IFUNC (else STT_NOTYPE) */
	unsigned bind : 2;	/* 2 global, 1 weak, 0 local */
};

/* A thread's last unwind, given again while what it read is unchanged (see the top). */
struct seen {
	pid_t tid;		/* 0 empty */
	uint64_t use;		/* native.uses at its last use: the least recent is replaced */
	uint64_t regs[NATIVE_NREGS];
	uint8_t *bytes;		/* the first len bytes of the copy, which the unwind read */
	size_t len, bytes_alloc;
	struct native_frame *frames;
	unsigned nframes;
	size_t frames_alloc;
	int ret;
};

/* What is looked up once per mapped file (mod_info()). */
struct mod_info {
	Dwfl_Module *mod;
	const uint8_t *tab;	/* .eh_frame_hdr: (int32 start, int32 fde) pairs, from base */
	uint32_t count;
	uint64_t base;		/* the runtime address of .eh_frame_hdr */
	int debug_frame;	/* the file itself has a .debug_frame */
	struct sym_range *syms;	/* its function symbols by address (symidx_build) */
	size_t nsyms;
	int syms_state;		/* 0 not built, 1 built, -1 libdwfl names (too many) */
};

struct native {
	pid_t pid;
	const struct remote *mem;
	struct strtab *strings;
	unsigned version;
	Dwfl *dwfl;
	Dwfl_Callbacks cbs;
	int attached;
	uint64_t reported_ns;
	uint64_t report_gap_ns;	/* see NATIVE_REPORT_MIN_NS */

	/* the thread being unwound */
	const struct native_snap *snap;
	size_t used;		/* bytes of the copy read, from its start */
	unsigned reads;
	uint64_t last_sp;
	unsigned nframes;
	int deep, looped;
	int unbounded;		/* a frame's CFI is not safe to evaluate (cfi_bounded) */
	int stale;		/* a pc in no known file: read the maps again after this unwind */
	uint64_t stale_pc;	/* the first such pc of this unwind */
	uint64_t unhelpful_pc;	/* the last one that reading the maps did not explain */
	struct native_frame frames[NATIVE_MAX_FRAMES];
	struct seen seen[NATIVE_SEEN];
	uint64_t uses;

	struct sym_entry *syms;
	size_t nsyms;
	uint64_t eval_func;	/* the learnt eval function's CFI entry start (0: not learnt) */
	int eval_named;		/* an eval frame was named by a symbol: nothing to learn */
	struct mod_info mods[NATIVE_MOD_INFO];
	size_t nmods;
	struct strbuf sb;
};

static const char *const drop_names[NATIVE_DROP__COUNT] = {
	[NATIVE_DROP_NO_UNWINDER] = "native: process files unreadable",
	[NATIVE_DROP_NOT_STOPPED] = "native: thread not stopped",
	[NATIVE_DROP_REGS] = "native: registers unreadable",
	[NATIVE_DROP_UNWIND] = "native: no C frame",
	[NATIVE_DROP_DEEP] = "native: C stack too deep",
	[NATIVE_DROP_NO_ACTS] = "native: Python stack truncated",
	[NATIVE_DROP_SHORT] = "native: C unwind stopped early",
	[NATIVE_DROP_MISMATCH] = "native: eval frames and Python frames disagree",
	[NATIVE_DROP_UNBOUNDED] = "native: CFI expression that may not end",
};

const char *native_drop__name(enum native_drop d)
{
	return d < NATIVE_DROP__COUNT ? drop_names[d] : "?";
}

/* --- which C functions are the interpreter's ------------------------------------------ */

/*
 * The interpreter's call machinery between one Python frame and the next, or between the
 * Python caller and the C function it calls: left out of merged stacks (--native=all keeps
 * them).  A row ending in '*' is a prefix.  Only names a stripped interpreter may still
 * have (its exported functions) or that its symbol table or debug file gives.
 */
static const char *const fold_names[] = {
	"PyEval_EvalCode", "PyEval_EvalCodeEx", "_PyEval_EvalCode*", "_PyEval_Vector",
	"_PyEval_EvalFrame", "PyEval_EvalFrame", "PyEval_EvalFrameEx", "PyEval_CallObject*",
	"_PyFunction_Vectorcall", "_PyFunction_FastCall*", "function_code_fastcall",
	"PyObject_Vectorcall*", "_PyObject_Vectorcall*", "PyObject_Call", "_PyObject_Call",
	"PyObject_CallObject", "PyObject_CallOneArg", "PyObject_CallNoArgs",
	"PyObject_CallFunction*", "PyObject_CallMethod*", "_PyObject_CallMethod*",
	"_PyObject_Call_Prepend", "_PyObject_FastCall*", "_PyObject_MakeTpCall",
	"PyVectorcall_Call", "_PyVectorcall_Call", "method_vectorcall*", "cfunction_call",
	"cfunction_vectorcall*", "call_function", "fast_function", "do_call_core",
	"slot_tp_call", "vectorcall_method", "call_unbound_noarg", "_PyObject_VectorcallTstate",
};

enum native_kind native__classify(const char *name, unsigned version)
{
	const char *eval = version >= PY_VER(3, 6) ? "_PyEval_EvalFrameDefault" :
			   "PyEval_EvalFrameEx";

	if (!strcmp(name, eval))
		return NATIVE_EVAL;
	for (size_t i = 0; i < sizeof(fold_names) / sizeof(fold_names[0]); i++) {
		const char *f = fold_names[i];
		size_t len = strlen(f);

		if (f[len - 1] == '*' ? !strncmp(name, f, len - 1) : !strcmp(name, f))
			return NATIVE_FOLD;
	}
	return NATIVE_C;
}

/* --- merging -------------------------------------------------------------------------- */

static int put(struct pf_frame *out, unsigned max, unsigned *n, const struct pf_frame *f)
{
	if (*n >= max)
		return -E2BIG;
	out[(*n)++] = *f;
	return 0;
}

int native__merge(const struct native_frame *c, unsigned nc, const struct pf_frame *py,
		  unsigned npy, const uint32_t *acts, unsigned nacts, int keep_all,
		  struct pf_frame *out, unsigned max, unsigned *nout)
{
	unsigned a = 0, p = 0, n = 0, evals = 0;
	int err = 0, empty;

	/*
	 * One eval call more than activations: the innermost one is entering or leaving, its
	 * frame not yet or no longer the thread's current frame.  It runs no Python frame.
	 */
	for (unsigned i = 0; i < nc; i++)
		evals += c[i].kind == NATIVE_EVAL;
	empty = evals == nacts + 1;
	for (unsigned i = 0; i < nc && !err; i++) {
		switch (c[i].kind) {
		case NATIVE_EVAL:
			if (empty) {
				empty = 0;
			} else {
				if (a == nacts || acts[a] > npy - p)
					return -ERANGE;
				for (uint32_t k = 0; k < acts[a] && !err; k++)
					err = put(out, max, &n, &py[p++]);
				a++;
			}
			if (keep_all && !err)
				err = put(out, max, &n, &c[i].f);
			break;
		case NATIVE_FOLD:
			if (keep_all)
				err = put(out, max, &n, &c[i].f);
			break;
		case NATIVE_C:
			err = put(out, max, &n, &c[i].f);
			break;
		}
	}
	if (err)
		return err;
	if (a < nacts)
		return -ENODATA;	/* the C stack ended first: its unwind stopped early */
	if (p != npy)
		return -ERANGE;
	*nout = n;
	return 0;
}

/* --- names ------------------------------------------------------------------------------ */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Does elf have a .debug_frame section (compressed or not)? */
static int elf_has_debug_frame(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame")))
			return 1;
	}
	return 0;
}

/*
 * The binary search table of the file's .eh_frame_hdr (PT_GNU_EH_FRAME) into t.  Only the
 * encoding every GNU linker writes (datarel sdata4 pairs) is read; count 0 for anything
 * else.
 */
static void read_eh_frame_hdr(struct mod_info *t, Elf *elf, Dwarf_Addr bias)
{
	size_t nph = 0;

	if (!elf || elf_getphdrnum(elf, &nph))
		return;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		const uint8_t *h;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		if (!d || d->d_size < 12)
			return;
		h = d->d_buf;
		/* version 1, eh_frame_ptr 4 bytes, fde_count udata4, table datarel sdata4 */
		if (h[0] != 1 || (h[1] & 0x0f) != 0x0b || h[2] != 0x03 || h[3] != 0x3b)
			return;
		memcpy(&t->count, h + 8, 4);
		if (t->count > (d->d_size - 12) / 8)
			t->count = 0;
		t->tab = h + 12;
		t->base = ph.p_vaddr + bias;
		return;
	}
}

/* What is known of mod's file, looked up at its first use; NULL past NATIVE_MOD_INFO files. */
static struct mod_info *mod_info(struct native *n, Dwfl_Module *mod)
{
	struct mod_info *t;
	Dwarf_Addr bias = 0;
	Elf *elf;

	for (size_t i = 0; i < n->nmods; i++)
		if (n->mods[i].mod == mod)
			return &n->mods[i];
	if (n->nmods == NATIVE_MOD_INFO)
		return NULL;
	t = &n->mods[n->nmods++];
	*t = (struct mod_info){ .mod = mod };
	elf = dwfl_module_getelf(mod, &bias);
	read_eh_frame_hdr(t, elf, bias);
	t->debug_frame = elf_has_debug_frame(elf);
	return t;
}

static void mods_clear(struct native *n)
{
	for (size_t i = 0; i < n->nmods; i++)
		free(n->mods[i].syms);
	n->nmods = 0;
}

/*
 * Which symbol names an address several share: a sized one before a sizeless one, then
 * the most public-looking name (fewest leading underscores: read, not __read; munmap, not
 * __GI___munmap), then a global before a weak before a local one, a function before
 * anything else, the longer name (readdir64 over its alias readdir) and, last, a fixed
 * order, so that a profile names a function the same way each run.
 */
static int sym_cmp(const void *a, const void *b)
{
	const struct sym_range *x = a, *y = b;
	size_t ux, uy, lx, ly;
	int c;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->sized != y->sized)
		return x->sized ? -1 : 1;		/* the better first */
	ux = strspn(x->name, "_");
	uy = strspn(y->name, "_");
	if (ux != uy)
		return ux < uy ? -1 : 1;
	if (x->bind != y->bind)
		return x->bind > y->bind ? -1 : 1;
	if (x->func != y->func)
		return x->func ? -1 : 1;
	lx = strcspn(x->name, "@");
	ly = strcspn(y->name, "@");
	if (lx != ly)
		return lx > ly ? -1 : 1;
	c = strcmp(x->name, y->name);
	return c > 0 ? -1 : c < 0;
}

/* Where the section shndx of elf ends, at runtime (0 when not known). */
static uint64_t section_end(Elf *elf, GElf_Word shndx, Dwarf_Addr bias)
{
	Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_addr + sh.sh_size < sh.sh_addr)
		return 0;
	return sh.sh_addr + sh.sh_size + bias;
}

/*
 * The file's code symbols sorted by address, so that naming a pc is a binary search rather
 * than libdwfl's pass over every symbol of the file at each new pc (the symbol tables
 * libdwfl found: .symtab, .dynsym, a MiniDebugInfo's, a separate debug file's).  One
 * address named by several keeps the best (sym_cmp); a sizeless symbol reaches the next
 * symbol or the end of its section.
 */
static void symidx_build(struct mod_info *t)
{
	int count = dwfl_module_getsymtab(t->mod);
	size_t n = 0, alloc = 0;

	t->syms_state = -1;
	if (count <= 0 || (unsigned)count > SYMIDX_MAX)
		return;
	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf = NULL;
		Dwarf_Addr bias = 0;
		const char *name = dwfl_module_getsym_info(t->mod, i, &sym, &addr, &shndx, &elf,
							   &bias);
		unsigned type = GELF_ST_TYPE(sym.st_info);
		struct sym_range *r;

		if (!name || !*name || !addr || shndx == SHN_UNDEF || shndx == SHN_ABS ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
			continue;
		xgrow((void **)&t->syms, &alloc, n + 1, sizeof(*t->syms));
		r = &t->syms[n++];
		r->lo = addr;
		r->name = name;
		r->sized = sym.st_size != 0;
		r->func = type != STT_NOTYPE;
		r->bind = GELF_ST_BIND(sym.st_info) == STB_GLOBAL ? 2u :
			  GELF_ST_BIND(sym.st_info) == STB_WEAK ? 1u : 0u;
		if (sym.st_size)
			r->hi = addr + sym.st_size < addr ? UINT64_MAX : addr + sym.st_size;
		else
			r->hi = section_end(elf, shndx, bias);
	}
	if (n)
		qsort(t->syms, n, sizeof(*t->syms), sym_cmp);
	/* one entry per address; a sizeless one ends where the next symbol starts */
	{
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (k && t->syms[k - 1].lo == t->syms[i].lo)
				continue;	/* sorted best first */
			t->syms[k++] = t->syms[i];
		}
		n = k;
	}
	for (size_t i = 0; i + 1 < n; i++)
		if (!t->syms[i].sized && (!t->syms[i].hi || t->syms[i].hi > t->syms[i + 1].lo))
			t->syms[i].hi = t->syms[i + 1].lo;
	t->nsyms = n;
	t->syms_state = 1;
}

/*
 * The name of the function symbol holding pc in mod, or NULL; *found says whether the
 * index answered (when not, libdwfl is asked).  The symbol with the greatest start not
 * above pc names it if pc is below its end; a symbol nested in a larger one (rare: a
 * local label given a size) is looked for among the few before.
 */
static const char *symidx_name(struct native *n, Dwfl_Module *mod, uint64_t pc, int *found)
{
	struct mod_info *t = mod_info(n, mod);
	size_t lo = 0, hi;

	*found = 0;
	if (!t)
		return NULL;
	if (!t->syms_state)
		symidx_build(t);
	if (t->syms_state != 1)
		return NULL;
	*found = 1;
	hi = t->nsyms;
	while (lo < hi) {		/* the first entry starting above pc */
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i-- > 0 && k < 4; k++)
		if (pc < t->syms[i].hi)
			return t->syms[i].name;
	return NULL;
}

/*
 * Start of the function (or of its hot or cold part) pc is in, from the .eh_frame_hdr
 * search table: the greatest initial location not above pc; 0 when not known.
 */
static uint64_t fde_start(struct native *n, Dwfl_Module *mod, uint64_t pc)
{
	const struct mod_info *t = mod_info(n, mod);
	int64_t want;
	uint32_t lo, hi;

	if (!t || !t->count)
		return 0;
	want = (int64_t)pc - (int64_t)t->base;	/* the text usually lies below the table */
	lo = 0;
	hi = t->count;
	while (hi - lo > 1) {		/* tab[lo].loc <= want < tab[hi].loc */
		uint32_t mid = lo + (hi - lo) / 2;
		int32_t loc;

		memcpy(&loc, t->tab + 8 * (size_t)mid, 4);
		if (loc <= want)
			lo = mid;
		else
			hi = mid;
	}
	{
		int32_t loc;

		memcpy(&loc, t->tab + 8 * (size_t)lo, 4);
		return loc <= want ? t->base + (uint64_t)(int64_t)loc : 0;
	}
}

/*
 * libdw evaluates a CFI expression (DW_CFA_def_cfa_expression, DW_CFA_expression,
 * DW_CFA_val_expression) with no bound on its branches: a DW_OP_skip to itself never
 * returns, and one back over a DW_OP_dup grows its stack until memory runs out.  An
 * expression whose branches all go forward runs each of its operations at most once.
 */
static int ops_bounded(const Dwarf_Op *ops, size_t nops)
{
	for (size_t i = 0; i < nops; i++)
		if ((ops[i].atom == DW_OP_skip || ops[i].atom == DW_OP_bra) &&
		    (int16_t)(uint16_t)ops[i].number < 0)
			return 0;
	return 1;
}

/* Is the CFI entry covering pc (file address) in cfi, if any, bounded (ops_bounded)? */
static int cfi_bounded(Dwarf_CFI *cfi, Dwarf_Addr pc)
{
	Dwarf_Frame *fr;
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int ok = 1;

	if (!cfi || dwarf_cfi_addrframe(cfi, pc, &fr))
		return 1;	/* nothing there to evaluate */
	if (!dwarf_frame_cfa(fr, &ops, &nops) && !ops_bounded(ops, nops))
		ok = 0;
	for (int r = 0; r < NATIVE_NREGS && ok; r++)
		if (!dwarf_frame_register(fr, r, mem, &ops, &nops) && ops && !ops_bounded(ops, nops))
			ok = 0;
	free(fr);
	return ok;
}

/*
 * libdwfl unwinds a frame with the .eh_frame CFI of its file, else with the .debug_frame
 * one: both must be bounded for pc.  The .debug_frame is checked only when the mapped
 * file has one.  Otherwise libdwfl can only take it from a separate debug file, which it
 * finds only under /usr/lib/debug (cb_find_debuginfo), where only root installs files;
 * loading all its DWARF just to check would cost more than every unwind (tens of MiB
 * for libc's).
 */
static int module_cfi_bounded(struct native *n, Dwfl_Module *mod, uint64_t pc)
{
	const struct mod_info *mi;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;

	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && !cfi_bounded(cfi, pc - bias))
		return 0;
	mi = mod_info(n, mod);
	if (mi ? !mi->debug_frame : !elf_has_debug_frame(dwfl_module_getelf(mod, &bias)))
		return 1;
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	return !cfi || cfi_bounded(cfi, pc - bias);
}

/*
 * The module pc lies in, or NULL.  dwfl_addrmodule() alone is not enough: after the maps
 * are read again, its lookup table can give, for a pc in a gap between the files it
 * knew (where a library was dlopen'd since), a module whose range does not hold pc
 * (elfutils 0.188: a ctypes library's pcs came back as libffi's with ld.so's range).
 * Such a pc is in no known file: the maps are read again (native__unwind).
 */
static Dwfl_Module *addr_module(struct native *n, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(n->dwfl, pc);
	Dwarf_Addr lo, hi;

	if (!mod || !dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL) || pc < lo ||
	    pc >= hi)
		return NULL;
	return mod;
}

/* The frame at pc (a return address less one, or the leaf's pc), named once. */
static const struct sym_entry *name_pc(struct native *n, uint64_t pc, uint64_t raw_pc)
{
	size_t mask = NATIVE_SYM_CACHE - 1, i = (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 40) & mask;
	struct sym_entry *e;
	Dwfl_Module *mod;
	const char *name = NULL, *file = "";

	for (;; i = (i + 1) & mask) {
		e = &n->syms[i];
		if (e->pc == pc)
			return e;
		if (!e->pc)
			break;
	}
	if (n->nsyms * 4 >= NATIVE_SYM_CACHE * 3) {
		memset(n->syms, 0, NATIVE_SYM_CACHE * sizeof(*n->syms));
		n->nsyms = 0;
		i = (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 40) & mask;
		e = &n->syms[i];
	}
	strbuf_reset(&n->sb);
	mod = addr_module(n, pc);
	if (mod) {
		GElf_Off off;
		GElf_Sym sym;
		const char *mainfile = NULL, *modname;
		Dwarf_Addr start, bias = 0;
		int indexed;

		modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, &mainfile, NULL);
		name = symidx_name(n, mod, pc, &indexed);
		if (!indexed)
			name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		file = mainfile ? mainfile : modname ? modname : "";
		e->fr.func = 0;
		if (!name && !n->eval_named) {
			e->fr.func = fde_start(n, mod, pc);
			if (n->eval_func && e->fr.func == n->eval_func)
				name = EVAL_UNNAMED_LABEL;
		}
		if (!name) {
			/*
			 * No symbol: named by the start of its FDE, so that one function is one
			 * frame whichever of its instructions was running (a pc as a last resort).
			 */
			uint64_t at = e->fr.func ? e->fr.func : fde_start(n, mod, pc);

			dwfl_module_getelf(mod, &bias);
			strbuf_addf(&n->sb, "%s+0x%" PRIx64, base_name(file),
				    (at && at <= pc ? at : pc) - bias);
		}
		e->cfi_ok = module_cfi_bounded(n, mod, pc);
	} else {
		e->fr.func = 0;
		e->cfi_ok = 1;	/* in no file: frame pointers, if anything */
		strbuf_addf(&n->sb, "0x%" PRIx64, raw_pc);
		file = "[unknown]";	/* as perf says it: a frame is still NAME (FILE) */
	}
	if (name)	/* without its symbol version: __libc_start_main@@GLIBC_2.34 */
		strbuf_add(&n->sb, name, strcspn(name, "@"));
	e->pc = pc;
	e->fr.pc = raw_pc;
	e->fr.kind = name ? native__classify(name, n->version) : NATIVE_C;
	e->fr.anon = !name;
	e->fr.f.name = strtab__intern(n->strings, n->sb.buf, n->sb.len);
	e->fr.f.file = strtab__intern_str(n->strings, file);
	e->fr.f.line = PF_LINE_NATIVE;
	n->nsyms++;
	return e;
}

/* --- libdwfl's view of the thread --------------------------------------------------------- */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct native *n = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = n;
	return n->snap->tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct native *n = arg;

	(void)dwfl;
	*thread_argp = n;
	return tid == n->snap->tid;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct native *n = arg;
	const struct native_snap *s = n->snap;
	uint64_t v;

	(void)dwfl;
	if (addr >= s->stack_lo && addr - s->stack_lo <= s->stack_len &&
	    s->stack_len - (addr - s->stack_lo) >= sizeof(v)) {
		size_t off = (size_t)(addr - s->stack_lo);

		memcpy(&v, s->stack + off, sizeof(v));
		if (off + sizeof(v) > n->used)
			n->used = off + sizeof(v);
		*result = v;
		return true;
	}
	/* live: the thread may run again by now (native.h says what that means) */
	if (++n->reads > NATIVE_MAX_READS || remote__read(n->mem, addr, &v, sizeof(v)))
		return false;
	*result = v;
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct native *n = arg;
	Dwarf_Word regs[NATIVE_NREGS];

	for (int i = 0; i < NATIVE_NREGS; i++)
		regs[i] = n->snap->regs[i];
	return dwfl_thread_state_registers(thread, 0, NATIVE_NREGS, regs);
}

static const Dwfl_Thread_Callbacks thread_cbs = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

/*
 * A separate debug file, by build id under /usr/lib/debug (Debian's -dbgsym packages),
 * opened as the files themselves are.  Not dwfl_standard_find_debuginfo: it would dlopen
 * libdebuginfod (mapping code, which the sandbox refuses) and could ask the network.
 */
static int cb_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name, const char *debuglink,
			     GElf_Word crc, char **debuginfo_file_name)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	char path[256];
	int len, fd, k;

	(void)userdata, (void)modname, (void)base, (void)file_name, (void)debuglink, (void)crc;
	len = dwfl_module_build_id(mod, &id, &vaddr);
	if (len < 2 || len > 64)
		return -1;
	k = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		k += snprintf(path + k, sizeof(path) - (size_t)k, "%02x", id[i]);
	snprintf(path + k, sizeof(path) - (size_t)k, ".debug");
	fd = elf__open_fd(path);
	if (fd < 0)
		return -1;
	*debuginfo_file_name = strdup(path);
	return fd;
}

/*
 * Why a .gnu_debugdata section (MiniDebugInfo: an xz-compressed ELF file with a symbol
 * table) may not be used, or NULL: libdwfl decompresses the section whole into memory,
 * however large it grows, so a small section in a target's library (156 KiB of xz
 * decompressing to 1 GiB) would take pyflame's memory with it.  Decoded here first into a
 * small buffer, bounded in what it may produce and in the decoder's own memory.
 */
static const char *debugdata_bad(const void *in, size_t len)	/* len <= DEBUGDATA_MAX_IN */
{
	lzma_stream z = LZMA_STREAM_INIT;
	uint8_t out[16384];
	uint64_t total = 0;
	const char *why = NULL;
	lzma_ret r;

	if (lzma_stream_decoder(&z, DEBUGDATA_MEMLIMIT, 0) != LZMA_OK)
		return "the xz decoder could not start";
	z.next_in = in;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = lzma_code(&z, LZMA_FINISH);
		total += sizeof(out) - z.avail_out;
		if (total > DEBUGDATA_MAX_OUT) {
			why = "it decompresses to more than 64 MiB";
			break;
		}
	} while (r == LZMA_OK);
	if (!why && r != LZMA_STREAM_END)
		why = r == LZMA_MEMLIMIT_ERROR ? "its xz stream needs more than 64 MiB to decode" :
			"it is not a whole xz stream";
	lzma_end(&z);
	return why;
}

/*
 * What a compressed debug section (SHF_COMPRESSED, or GNU's .zdebug_*) says it
 * decompresses to, UINT64_MAX when its header does not read.  libdw inflates every
 * compressed debug section of a file whole when it loads the file's DWARF (for a
 * .debug_frame), into a buffer of that size: the size declared is what it will take.
 */
static uint64_t compressed_size(Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	GElf_Chdr ch;
	Elf_Data *d;
	uint64_t size = 0;

	if (sh->sh_flags & SHF_COMPRESSED)
		return gelf_getchdr(scn, &ch) ? ch.ch_size : UINT64_MAX;
	if (strncmp(name, ".zdebug", 7))
		return 0;
	/* "ZLIB", then the size as 8 bytes big-endian */
	d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size < 12 || memcmp(d->d_buf, "ZLIB", 4))
		return UINT64_MAX;
	for (int i = 4; i < 12; i++)
		size = size << 8 | ((const uint8_t *)d->d_buf)[i];
	return size;
}

/*
 * Why section scn may not be used, or NULL: a .gnu_debugdata that does not decode in
 * bounds (debugdata_bad), a compressed section that would take the file's compressed
 * sections past COMPRESSED_MAX_OUT (*budget: what is left of it).
 */
static const char *section_bad(Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
			       uint64_t *budget)
{
	uint64_t size;
	Elf_Data *d;

	if (!strcmp(name, ".gnu_debugdata")) {
		if (sh->sh_size > DEBUGDATA_MAX_IN)
			return "it is larger than 16 MiB";
		if (!(d = elf_getdata(scn, NULL)) || !d->d_buf || d->d_size != sh->sh_size)
			return "it cannot be read";
		return debugdata_bad(d->d_buf, d->d_size);
	}
	size = compressed_size(scn, sh, name);
	if (size == UINT64_MAX)
		return "its compression header does not read";
	if (size > *budget)
		return "it decompresses to more than the 128 MiB allowed a file's compressed "
		       "sections";
	*budget -= size;
	return NULL;
}

/*
 * The file open as libdwfl will use it, every section libdwfl would decompress checked
 * (section_bad): one that may not be used is renamed "" in this copy-on-write view of
 * the file, so libdwfl never finds it; its other symbols and its CFI are used as ever.
 * NULL when the file is not an ELF file libelf reads: libdwfl then opens it and says why
 * not.
 */
static Elf *elf_checked(int fd, const char *path)
{
	static unsigned warned;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	uint64_t budget = COMPRESSED_MAX_OUT;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return NULL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name, *why;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    (strcmp(name, ".gnu_debugdata") && !(sh.sh_flags & SHF_COMPRESSED) &&
		     strncmp(name, ".zdebug", 7)))
			continue;
		why = section_bad(scn, &sh, name, &budget);
		if (!why)
			continue;
		if (warned++ < DEBUGDATA_WARNINGS)
			pf_warn("native: %s%s's %s %s not used: %s%s",
				strcmp(name, ".gnu_debugdata") ? "" : "the symbols of ", path, name,
				strcmp(name, ".gnu_debugdata") ? "is" : "are", why,
				warned == DEBUGDATA_WARNINGS ? " (further such files not named)" : "");
		sh.sh_name += (GElf_Word)strlen(name);	/* its terminating NUL: "" */
		if (!gelf_update_shdr(scn, &sh)) {
			elf_end(elf);	/* cannot hide it: libdwfl gets no symbols from this file */
			return NULL;
		}
	}
	return elf;
}

/* Files are opened by us: regular files only, never blocking (elf.h). */
static int cb_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	int fd;

	if (modname[0] != '/')	/* [vdso: PID] and the like: read from memory by libdwfl */
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	fd = elf__open_fd_nofollow(NULL, modname);	/* named by the target's maps */
	if (fd < 0)
		return -1;
	*file_name = strdup(modname);
	*elfp = elf_checked(fd, modname);
	return fd;
}

/* Forget every thread's last unwind: the files mapped, or the names given, changed. */
static void seen_clear(struct native *n)
{
	for (size_t i = 0; i < NATIVE_SEEN; i++)
		n->seen[i].tid = 0;
}

static int report(struct native *n)
{
	int ret;

	n->reported_ns = pf_now_ns();
	if (dwfl_report_begin(n->dwfl), (ret = dwfl_linux_proc_report(n->dwfl, n->pid)) != 0) {
		dwfl_report_end(n->dwfl, NULL, NULL);
		return ret > 0 ? -ret : -ESRCH;
	}
	if (dwfl_report_end(n->dwfl, NULL, NULL))
		return -EINVAL;
	memset(n->syms, 0, NATIVE_SYM_CACHE * sizeof(*n->syms));
	n->nsyms = 0;
	mods_clear(n);		/* the modules may be new */
	seen_clear(n);
	if (!n->attached) {
		if (!dwfl_attach_state(n->dwfl, NULL, n->pid, &thread_cbs, n))
			return -ENOTSUP;
		n->attached = 1;
	}
	return 0;
}

struct native *native__new(pid_t pid, const struct remote *mem, struct strtab *strings,
			   unsigned version)
{
	struct native *n = xcalloc(1, sizeof(*n));
	int ret;

	n->pid = pid;
	n->mem = mem;
	n->strings = strings;
	n->version = version;
	n->report_gap_ns = NATIVE_REPORT_MIN_NS;
	n->syms = xcalloc(NATIVE_SYM_CACHE, sizeof(*n->syms));
	strbuf_init(&n->sb);
	n->cbs.find_elf = cb_find_elf;
	n->cbs.find_debuginfo = cb_find_debuginfo;
	n->cbs.section_address = dwfl_offline_section_address;
	n->dwfl = dwfl_begin(&n->cbs);
	if (!n->dwfl) {
		native__free(n);
		errno = ENOMEM;
		return NULL;
	}
	ret = report(n);
	if (ret) {
		native__free(n);
		errno = -ret;
		return NULL;
	}
	return n;
}

void native__free(struct native *n)
{
	if (!n)
		return;
	if (n->dwfl)
		dwfl_end(n->dwfl);
	for (size_t i = 0; i < NATIVE_SEEN; i++) {
		free(n->seen[i].bytes);
		free(n->seen[i].frames);
	}
	free(n->syms);
	mods_clear(n);
	strbuf_release(&n->sb);
	free(n);
}

/* --- one unwind ----------------------------------------------------------------------------- */

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct native *n = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp;
	bool activation;
	uint64_t lookup;
	const struct sym_entry *e;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (dwfl_frame_reg(state, DWARF_REG_SP, &sp) == 0) {
		/* the stack grows down: each caller's frame lies above its callee's */
		if (n->nframes && sp <= n->last_sp) {
			n->looped = 1;
			return DWARF_CB_ABORT;
		}
		n->last_sp = sp;
	}
	if (n->nframes == NATIVE_MAX_FRAMES) {
		n->deep = 1;
		return DWARF_CB_ABORT;
	}
	if (!pc)
		return DWARF_CB_ABORT;
	/* a return address points after the call: its function is the one before it */
	lookup = activation ? pc : pc - 1;
	if (!addr_module(n, lookup) && !n->stale) {
		n->stale = 1;	/* a file mapped since (dlopen) */
		n->stale_pc = lookup;
	}
	e = name_pc(n, lookup, pc);
	n->frames[n->nframes++] = e->fr;
	if (!e->cfi_ok) {	/* libdwfl would evaluate it next: this frame is the last */
		n->unbounded = 1;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* See EVAL_ENTRY_NAME: learn the unnamed eval loop from this stack, if it shows it. */
static void learn_eval(struct native *n)
{
	for (unsigned i = 0; i < n->nframes; i++) {
		if (n->frames[i].kind == NATIVE_EVAL) {
			n->eval_named = !n->eval_func;
			return;
		}
	}
	if (n->eval_func)
		return;
	for (unsigned i = n->nframes; i-- > 1;) {
		unsigned j = i;

		if (strcmp(strtab__get(n->strings, n->frames[i].f.name), EVAL_ENTRY_NAME))
			continue;
		while (j-- > 0 && n->frames[j].kind == NATIVE_FOLD)
			;
		if (j >= i || !n->frames[j].func)
			return;
		n->eval_func = n->frames[j].func;
		/* name the frames seen so far again (this stack's too) */
		memset(n->syms, 0, NATIVE_SYM_CACHE * sizeof(*n->syms));
		n->nsyms = 0;
		seen_clear(n);
		for (unsigned k = 0; k < n->nframes; k++) {
			struct native_frame *f = &n->frames[k];
			uint64_t pc = f->pc;

			if (f->func == n->eval_func)
				*f = name_pc(n, k ? pc - 1 : pc, pc)->fr;
		}
		return;
	}
}

/*
 * Frames of the interpreter's own file that no symbol names, right outward of a run of the
 * evaluation loop, are the calls that led into it (a stripped interpreter, such as
 * Debian's 3.14 and 3.15, names neither _PyFunction_Vectorcall nor its kin): folded like
 * the named trampolines, so that a Python frame follows the Python or C frame that called
 * it (PyImport_ImportModuleLevelObject -> _find_and_load, Py_RunMain -> <module>).  The C
 * code inward of the innermost run (where the thread is) is kept, named or not.
 */
static void fold_anonymous(struct native *n)
{
	for (unsigned i = 0; i < n->nframes; i++) {
		uint32_t file = n->frames[i].f.file;

		if (n->frames[i].kind != NATIVE_EVAL)
			continue;
		for (unsigned j = i + 1; j < n->nframes; j++) {
			struct native_frame *f = &n->frames[j];

			if (f->kind == NATIVE_C && f->anon && f->f.file == file)
				f->kind = NATIVE_FOLD;
			else if (f->kind != NATIVE_FOLD)	/* through named trampolines too */
				break;
		}
	}
}

/* Copy the stack from sp up, a page at a time until one does not read. */
static void copy_stack(const struct native *n, struct native_snap *s, uint64_t sp)
{
	struct remote_iov iov[NATIVE_STACK_COPY / NATIVE_PAGE + 1];
	uint64_t a = sp;
	size_t k = 0, off = 0;
	int res[NATIVE_STACK_COPY / NATIVE_PAGE + 1];

	while (off < NATIVE_STACK_COPY) {
		size_t len = NATIVE_PAGE - (size_t)(a % NATIVE_PAGE);

		if (len > NATIVE_STACK_COPY - off)
			len = NATIVE_STACK_COPY - off;
		iov[k++] = (struct remote_iov){ .addr = a, .buf = s->stack + off, .len = len };
		a += len;
		off += len;
	}
	s->stack_lo = sp;
	s->stack_len = 0;
	if (remote__readv(n->mem, iov, k, res))
		return;
	for (size_t i = 0; i < k && !res[i]; i++)
		s->stack_len += iov[i].len;
}

int native__capture(const struct native *n, pid_t tid, struct native_snap *s)
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };

	s->tid = tid;
	s->stack_len = 0;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0)
		return -1 - (errno == ESRCH ? NATIVE_DROP_NOT_STOPPED : NATIVE_DROP_REGS);
	/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15, rip */
	s->regs[0] = r.rax;
	s->regs[1] = r.rdx;
	s->regs[2] = r.rcx;
	s->regs[3] = r.rbx;
	s->regs[4] = r.rsi;
	s->regs[5] = r.rdi;
	s->regs[6] = r.rbp;
	s->regs[7] = r.rsp;
	s->regs[8] = r.r8;
	s->regs[9] = r.r9;
	s->regs[10] = r.r10;
	s->regs[11] = r.r11;
	s->regs[12] = r.r12;
	s->regs[13] = r.r13;
	s->regs[14] = r.r14;
	s->regs[15] = r.r15;
	s->regs[16] = r.rip;
	copy_stack(n, s, r.rsp);
	return 0;
}

/* The last unwind of s's thread, if what it read is what s holds; else NULL. */
static const struct seen *seen_find(struct native *n, const struct native_snap *s)
{
	for (size_t i = 0; i < NATIVE_SEEN; i++) {
		struct seen *e = &n->seen[i];

		if (e->tid != s->tid)
			continue;
		if (memcmp(e->regs, s->regs, sizeof(e->regs)) || e->len > s->stack_len ||
		    memcmp(e->bytes, s->stack, e->len))
			return NULL;
		e->use = ++n->uses;
		return e;
	}
	return NULL;
}

/* Keep this unwind of s's thread (in its entry, or the least recently used one's). */
static void seen_keep(struct native *n, const struct native_snap *s, int ret)
{
	struct seen *e = NULL;

	for (size_t i = 0; i < NATIVE_SEEN && !e; i++)
		if (n->seen[i].tid == s->tid)
			e = &n->seen[i];
	for (size_t i = 0; i < NATIVE_SEEN && !e; i++)
		if (!n->seen[i].tid)
			e = &n->seen[i];
	if (!e) {
		e = &n->seen[0];
		for (size_t i = 1; i < NATIVE_SEEN; i++)
			if (n->seen[i].use < e->use)
				e = &n->seen[i];
	}
	xgrow((void **)&e->bytes, &e->bytes_alloc, n->used + 1, 1);	/* never NULL */
	xgrow((void **)&e->frames, &e->frames_alloc, n->nframes + 1, sizeof(*e->frames));
	e->tid = s->tid;
	e->use = ++n->uses;
	memcpy(e->regs, s->regs, sizeof(e->regs));
	memcpy(e->bytes, s->stack, n->used);
	e->len = n->used;
	memcpy(e->frames, n->frames, n->nframes * sizeof(*e->frames));
	e->nframes = n->nframes;
	e->ret = ret;
}

int native__unwind(struct native *n, const struct native_snap *s,
		   const struct native_frame **frames, unsigned *nframes)
{
	const struct seen *e = seen_find(n, s);
	int ret;

	if (e) {
		*frames = e->frames;
		*nframes = e->nframes;
		return e->ret;
	}
	*frames = n->frames;
	*nframes = 0;
	n->snap = s;
	for (int tries = 0;; tries++) {
		n->reads = 0;
		n->used = 0;
		n->nframes = 0;
		n->deep = n->looped = n->stale = n->unbounded = 0;
		n->last_sp = 0;
		/* the end of the stack is an error for some files: what was read counts */
		ret = dwfl_getthread_frames(n->dwfl, s->tid, on_frame, n);
		(void)ret;
		if (!n->stale) {
			if (tries)
				n->report_gap_ns = NATIVE_REPORT_MIN_NS;
			break;
		}
		/*
		 * A pc in a file mapped since the maps were read (dlopen): read them again,
		 * but not at every sample for code in no file (a JIT): the wait doubles while
		 * reading them does not help, up to NATIVE_REPORT_MAX_NS (a library loaded
		 * meanwhile is missed for no longer).  A pc far from the last one it did not
		 * help for (another 2 MiB) is likely in a new file: read them at once.
		 */
		if (tries) {
			n->unhelpful_pc = n->stale_pc;
			n->report_gap_ns = n->report_gap_ns * 2 > NATIVE_REPORT_MAX_NS ?
					   NATIVE_REPORT_MAX_NS : n->report_gap_ns * 2;
			break;
		}
		if ((n->stale_pc ^ n->unhelpful_pc) >> 21)
			n->report_gap_ns = NATIVE_REPORT_MIN_NS;
		if (pf_now_ns() - n->reported_ns < n->report_gap_ns || report(n))
			break;
	}
	if (!n->eval_named)
		learn_eval(n);
	fold_anonymous(n);
	*nframes = n->nframes;
	ret = n->deep ? -1 - NATIVE_DROP_DEEP : n->unbounded ? -1 - NATIVE_DROP_UNBOUNDED :
	      !n->nframes ? -1 - NATIVE_DROP_UNWIND : 0;
	if (!n->reads && !n->stale)
		seen_keep(n, s, ret);
	n->snap = NULL;
	return ret;
}
