/* test_unwind.c - the walker against fake process images laid out from each version's offsets. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testutil.h"
#include "fakemem.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/pyprobe.h"
#include "pyflame/strtab.h"
#include "pyflame/unwind.h"
#include "pyflame/util.h"

#define N PYOFF_NONE

/* --- a real second thread, so its TID exists under /proc/self/task ------------------ */

static pid_t helper_tid;
static int helper_pipe[2];
static pthread_t helper;

static void *helper_main(void *arg)
{
	char c;

	(void)arg;
	__atomic_store_n(&helper_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (read(helper_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int start_helper(void **state)
{
	(void)state;
	if (pipe(helper_pipe) || pthread_create(&helper, NULL, helper_main, NULL))
		return -1;
	while (!__atomic_load_n(&helper_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	return 0;
}

static int stop_helper(void **state)
{
	(void)state;
	if (write(helper_pipe[1], "x", 1) != 1)
		return -1;
	pthread_join(helper, NULL);
	close(helper_pipe[0]);
	close(helper_pipe[1]);
	return 0;
}

/* --- _Py_DebugOffsets blobs ---------------------------------------------------------- */

struct kv {
	uint16_t at;
	uint64_t v;
};

/* 3.13.0 values as decoded from the real libpython3.13 (reference debugoffsets_313_from_elf.json). */
static const struct kv dbg313[] = {
	{ 8, 0x030d00f0 }, { 16, 0 }, { 24, 283320 }, { 32, 608 }, { 40, 632 },
	{ 48, 194968 }, { 56, 7272 }, { 64, 7264 }, { 72, 7344 }, { 80, 7400 }, { 88, 7656 },
	{ 96, 7640 }, { 104, 7648 }, { 112, 16 }, { 120, 7752 }, { 128, 0 }, { 136, 7768 },
	{ 144, 7760 }, { 152, 304 }, { 160, 0 }, { 168, 8 }, { 176, 16 }, { 184, 72 },
	{ 192, 152 }, { 200, 160 }, { 208, 232 }, { 216, 32 }, { 224, 80 }, { 232, 8 },
	{ 240, 0 }, { 248, 56 }, { 256, 72 }, { 264, 70 }, { 272, 208 }, { 280, 112 },
	{ 288, 120 }, { 296, 128 }, { 304, 136 }, { 312, 68 }, { 320, 52 }, { 328, 96 },
	{ 336, 104 }, { 344, 200 }, { 352, 16 }, { 360, 8 }, { 368, 416 }, { 376, 24 },
	{ 384, 88 }, { 392, 168 }, { 400, 32 }, { 408, 24 }, { 416, 16 }, { 424, 40 },
	{ 432, 24 }, { 440, 16 }, { 448, 48 }, { 456, 32 }, { 464, 40 }, { 472, 24 },
	{ 480, 16 }, { 488, 32 }, { 496, 16 }, { 504, 24 }, { 512, 40 }, { 520, 16 },
	{ 528, 32 }, { 536, 64 }, { 544, 32 }, { 552, 16 }, { 560, 40 }, { 568, 240 },
	{ 576, 200 },
};

/*
 * 3.14.0 default build (reference §7.3, computed from py-spy's bindings); the set_object and
 * gen_object groups (gi_iframe 72, gi_frame_state 67) from Debian's 3.14.10, which the
 * reference leaves uncomputed.
 */
static const struct kv dbg314[] = {
	{ 8, 0x030e00f0 }, { 16, 0 }, { 24, 316536 }, { 32, 784 }, { 40, 808 },
	{ 48, 225808 }, { 56, 7280 }, { 64, 7272 }, { 72, 7344 }, { 80, 7360 }, { 88, 7408 },
	{ 96, 7664 }, { 104, 7648 }, { 112, 7656 }, { 120, 16 }, { 128, 7760 }, { 136, 0 },
	{ 144, 7776 }, { 152, 7768 }, { 160, 7968 }, { 168, 0 }, { 176, 824 }, { 184, 0 },
	{ 192, 8 }, { 200, 16 }, { 208, 72 }, { 216, 152 }, { 224, 160 }, { 232, 232 },
	{ 240, 32 }, { 248, 88 }, { 256, 8 }, { 264, 0 }, { 272, 56 }, { 280, 80 },
	{ 288, 74 }, { 296, 64 }, { 304, 0 }, { 312, 216 }, { 320, 112 }, { 328, 120 },
	{ 336, 128 }, { 344, 136 }, { 352, 68 }, { 360, 52 }, { 368, 96 }, { 376, 104 },
	{ 384, 208 }, { 392, 0 }, { 400, 16 }, { 408, 8 }, { 416, 416 }, { 424, 24 },
	{ 432, 88 }, { 440, 168 }, { 448, 40 }, { 456, 32 }, { 464, 16 }, { 472, 40 },
	{ 480, 24 }, { 488, 16 }, { 496, 200 }, { 504, 24 }, { 512, 40 }, { 520, 32 }, { 528, 48 }, { 536, 32 }, { 544, 40 }, { 552, 24 },
	{ 560, 16 }, { 568, 32 }, { 576, 16 }, { 584, 24 }, { 592, 40 }, { 600, 16 },
	{ 608, 32 }, { 616, 64 }, { 624, 32 }, { 632, 16 }, { 640, 40 }, { 648, 240 },
	{ 656, 192 }, { 664, 160 }, { 672, 24 }, { 680, 72 }, { 688, 67 }, { 696, 0 }, { 704, 8 }, { 712, 24 }, { 720, 304 }, { 728, 8052 },
	{ 736, 0 }, { 744, 4 }, { 752, 512 },
};

/* 3.15.2 as Debian builds it: the bytes of python3.15's .PyRuntime (scripts/fetch-pythons.sh). */
static const struct kv dbg315[] = {
	{ 8, 0x030f02f0 }, { 16, 0 }, { 24, 346568 }, { 32, 912 }, { 40, 936 }, { 48, 226240 },
	{ 56, 7272 }, { 64, 7264 }, { 72, 7336 }, { 80, 7352 }, { 88, 7400 }, { 96, 7592 },
	{ 104, 7576 }, { 112, 7584 }, { 120, 16 }, { 128, 7736 }, { 136, 0 }, { 144, 7752 },
	{ 152, 7744 }, { 160, 7944 }, { 168, 0 }, { 176, 888 }, { 184, 0 }, { 192, 8 },
	{ 200, 16 }, { 208, 72 }, { 216, 80 }, { 224, 88 }, { 232, 96 }, { 240, 176 },
	{ 248, 184 }, { 256, 256 }, { 264, 32 }, { 272, 36 }, { 280, 40 }, { 288, 136 },
	{ 296, 288 }, { 304, 0 }, { 312, 88 }, { 320, 8 }, { 328, 0 }, { 336, 56 }, { 344, 80 },
	{ 352, 74 }, { 360, 64 }, { 368, 0 }, { 376, 216 }, { 384, 112 }, { 392, 120 },
	{ 400, 128 }, { 408, 136 }, { 416, 68 }, { 424, 52 }, { 432, 96 }, { 440, 104 },
	{ 448, 208 }, { 456, 0 }, { 464, 16 }, { 472, 8 }, { 480, 424 }, { 488, 24 }, { 496, 88 },
	{ 504, 168 }, { 512, 32 }, { 520, 288 }, { 528, 944 }, { 536, 888 }, { 544, 40 },
	{ 552, 32 }, { 560, 16 }, { 568, 40 }, { 576, 24 }, { 584, 16 }, { 592, 200 },
	{ 600, 24 }, { 608, 40 }, { 616, 32 }, { 624, 48 }, { 632, 32 }, { 640, 40 }, { 648, 24 },
	{ 656, 16 }, { 664, 32 }, { 672, 16 }, { 680, 24 }, { 688, 40 }, { 696, 16 }, { 704, 32 },
	{ 712, 64 }, { 720, 32 }, { 728, 16 }, { 736, 40 }, { 744, 56 }, { 752, 176 },
	{ 760, 112 }, { 768, 120 }, { 776, 1120 }, { 784, 104 }, { 792, 160 }, { 800, 24 },
	{ 808, 72 }, { 816, 67 }, { 824, 0 }, { 832, 8 }, { 840, 24 }, { 848, 344 },
	{ 856, 8028 }, { 864, 0 }, { 872, 4 }, { 880, 512 },
};

static void make_blob(uint8_t *buf, size_t len, const struct kv *kv, size_t n)
{
	memset(buf, 0, len);
	memcpy(buf, "xdebugpy", 8);
	for (size_t i = 0; i < n; i++)
		memcpy(buf + kv[i].at, &kv[i].v, 8);
}

static void blob_set(uint8_t *buf, uint16_t at, uint64_t v)
{
	memcpy(buf + at, &v, 8);
}

/* --- building a process image ---------------------------------------------------------- */

struct img {
	struct fakemem m;
	struct remote r;
	struct pyruntime_loc loc;
	struct py_offsets o;
	uint8_t blob[PY_DEBUG_OFFSETS_MAX];
	int has_blob;
	uint64_t interp, ts_worker, ts_main;
	uint64_t worker_frames[16];	/* root first, every frame incl. shims */
	size_t nworker_frames;
	uint64_t code_of[16];		/* worker frame -> code object (0 for shims) */
	uint64_t chunk;
	size_t chunk_used;
};

static int is27(const struct img *im)
{
	return im->o.strings == PY_STR_27;
}

/* A tiny UTF-8 decoder for the test's own literals. */
static size_t utf8_decode(const char *s, uint32_t *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p && n < max) {
		uint32_t c = *p;
		int k = 0;

		if (c >= 0xf0) {
			c &= 0x07;
			k = 3;
		} else if (c >= 0xe0) {
			c &= 0x0f;
			k = 2;
		} else if (c >= 0xc0) {
			c &= 0x1f;
			k = 1;
		}
		p++;
		while (k-- > 0)
			c = (c << 6) | (*p++ & 0x3f);
		out[n++] = c;
	}
	return n;
}

static uint64_t make_str(struct img *im, const char *s, int legacy)
{
	const struct py_offsets *o = &im->o;
	uint32_t cps[256], maxc = 0;
	size_t n, kind, i;
	uint64_t a, data;
	uint32_t state;
	int ascii;

	if (is27(im)) {
		n = strlen(s);
		a = fakemem_alloc(&im->m, 40 + n);
		fakemem_w64(&im->m, a + o->obj.ob_type, im->loc.str_type_addr);
		fakemem_w64(&im->m, a + o->obj.str_length, n);
		fakemem_wbytes(&im->m, a + o->obj.str_ascii_data, s, n);
		return a;
	}
	n = utf8_decode(s, cps, ARRAY_SIZE(cps));
	for (i = 0; i < n; i++)
		maxc = cps[i] > maxc ? cps[i] : maxc;
	ascii = maxc < 0x80;
	kind = maxc < 0x100 ? 1 : maxc < 0x10000 ? 2 : 4;
	state = (uint32_t)kind << o->obj.str_kind_shift | (uint32_t)!legacy << o->obj.str_compact_bit |
		(uint32_t)ascii << o->obj.str_ascii_bit;
	if (legacy) {
		a = fakemem_alloc(&im->m, (size_t)o->obj.str_legacy_data + 8);
		data = fakemem_alloc(&im->m, (n + 1) * kind);
		fakemem_w64(&im->m, a + o->obj.str_legacy_data, data);
	} else {
		size_t hdr = (size_t)(ascii ? o->obj.str_ascii_data : o->obj.str_compact_data);

		a = fakemem_alloc(&im->m, hdr + (n + 1) * kind);
		data = a + hdr;
	}
	fakemem_w64(&im->m, a + o->obj.ob_type, im->loc.str_type_addr);
	fakemem_w64(&im->m, a + o->obj.str_length, n);
	fakemem_w32(&im->m, a + o->obj.str_state, state);
	for (i = 0; i < n; i++) {
		if (kind == 1)
			fakemem_w8(&im->m, data + i, (uint8_t)cps[i]);
		else if (kind == 2) {
			fakemem_w8(&im->m, data + 2 * i, (uint8_t)cps[i]);
			fakemem_w8(&im->m, data + 2 * i + 1, (uint8_t)(cps[i] >> 8));
		} else {
			fakemem_w32(&im->m, data + 4 * i, cps[i]);
		}
	}
	return a;
}

/* A line table of the version's kind where line(addrq) = first + addrq / 4. */
static uint64_t make_linetable(struct img *im, unsigned entries)
{
	uint8_t t[512];
	size_t n = 0;
	uint64_t a;

	for (unsigned i = 0; i < entries && n + 2 <= sizeof(t); i++) {
		switch (im->o.linetable) {
		case LINETABLE_LNOTAB27:
		case LINETABLE_LNOTAB36:
			/* (addr +4, line +1): the increment applies from offset 4 on */
			t[n++] = 4;
			t[n++] = 1;
			break;
		case LINETABLE_310:
			t[n++] = 4;
			t[n++] = i ? 1 : 0;
			break;
		case LINETABLE_311:
			t[n++] = 0x80 | (13 << 3) | 1;	/* no columns, 2 code units */
			t[n++] = i ? 2 : 0;		/* svarint +1 / 0 */
			break;
		}
	}
	a = fakemem_alloc(&im->m, (size_t)im->o.obj.bytes_data + n + 1);
	fakemem_w64(&im->m, a + im->o.obj.ob_type, im->loc.bytes_type_addr);
	fakemem_w64(&im->m, a + im->o.obj.bytes_size, n);
	fakemem_wbytes(&im->m, a + im->o.obj.bytes_data, t, n);
	return a;
}

static uint64_t make_code(struct img *im, const char *name, const char *qual, const char *file,
			  int legacy_file, int first, int firsttraceable)
{
	const struct py_offsets *o = &im->o;
	uint64_t c = fakemem_alloc(&im->m, (size_t)o->code.size + 64);

	fakemem_w64(&im->m, c + o->obj.ob_type, im->loc.code_type_addr);
	fakemem_w64(&im->m, c + o->code.name, make_str(im, name, 0));
	if (o->code.qualname != N)
		fakemem_w64(&im->m, c + o->code.qualname, make_str(im, qual, 0));
	fakemem_w64(&im->m, c + o->code.filename, make_str(im, file, legacy_file));
	fakemem_w64(&im->m, c + o->code.linetable, make_linetable(im, 32));
	fakemem_w32(&im->m, c + o->code.firstlineno, (uint32_t)first);
	if (o->frames == PY_FRAMES_INTERP)	/* ob_size: bytecode length in code units */
		fakemem_w64(&im->m, c + o->obj.bytes_size, 32);
	if (o->code.firsttraceable != N)
		fakemem_w32(&im->m, c + o->code.firsttraceable, (uint32_t)firsttraceable);
	return c;
}

struct fspec {
	const char *name, *qual, *file;
	int legacy_file;
	int first, addrq;
	int shim_owner;		/* non-zero: a shim frame with this owner */
	int gen;		/* generator frame (owner 1), outside the stack chunk */
	int firsttraceable;
};

/* Frames root first; returns the innermost frame's address. */
static uint64_t make_frames(struct img *im, const struct fspec *fs, size_t n, uint64_t *addrs,
			    uint64_t *codes)
{
	const struct py_offsets *o = &im->o;
	uint64_t prev = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t f, c = 0;

		if (fs[i].shim_owner && (o->frames == PY_FRAMES_OBJECT || !o->iframe.shim_owner_min))
			continue;	/* no shims in this version */
		if (!fs[i].shim_owner)
			c = make_code(im, fs[i].name, fs[i].qual, fs[i].file, fs[i].legacy_file,
				      fs[i].first, fs[i].firsttraceable);
		if (o->frames == PY_FRAMES_OBJECT) {
			f = fakemem_alloc(&im->m, 400);
			fakemem_w64(&im->m, f + o->frame.back, prev);
			fakemem_w64(&im->m, f + o->frame.code, c);
			fakemem_w32(&im->m, f + o->frame.lasti,
				    (uint32_t)(fs[i].addrq / o->frame.lasti_unit));
		} else {
			size_t fsz = (size_t)o->iframe.size + 32;

			if (fs[i].gen) {
				f = fakemem_alloc(&im->m, fsz);
			} else {
				f = im->chunk + 24 + im->chunk_used;
				im->chunk_used += fsz;
				assert_true(im->chunk_used < 4000);
			}
			fakemem_w64(&im->m, f + o->iframe.previous, prev);
			if (fs[i].shim_owner) {
				/* never dereferenced: points nowhere */
				fakemem_w64(&im->m, f + o->iframe.executable, 0xdead0000ULL);
				fakemem_w8(&im->m, f + o->iframe.owner, (uint8_t)fs[i].shim_owner);
			} else {
				/* 3.14: a tagged (borrowed) reference */
				fakemem_w64(&im->m, f + o->iframe.executable,
					    c | (o->iframe.tag_mask & 1));
				fakemem_w64(&im->m, f + o->iframe.instr_ptr,
					    c + (uint64_t)o->code.code_adaptive +
					    (uint64_t)(int64_t)fs[i].addrq);
				fakemem_w8(&im->m, f + o->iframe.owner, fs[i].gen ? 1 : 0);
			}
		}
		if (addrs) {
			addrs[im->nworker_frames] = f;
			codes[im->nworker_frames++] = c;
		}
		prev = f;
	}
	return prev;
}

static uint64_t make_pthread(struct img *im, pid_t tid, pid_t pid)
{
	uint64_t p = fakemem_alloc(&im->m, 2304);

	fakemem_w32(&im->m, p + 0x2d0, (uint32_t)tid);
	fakemem_w32(&im->m, p + 0x100, (uint32_t)pid);	/* old glibc's pid field: a decoy */
	if (tid == pid)
		fakemem_w32(&im->m, p + 0x80, (uint32_t)pid);	/* another decoy */
	return p;
}

static uint64_t make_tstate(struct img *im, uint64_t top, pid_t tid)
{
	const struct py_offsets *o = &im->o;
	/* room for _PyThreadStateImpl's asyncio fields (3.14+) after PyThreadState */
	uint64_t ts = fakemem_alloc(&im->m, (size_t)o->tstate.size + 256);

	fakemem_w64(&im->m, ts + o->tstate.interp, im->interp);
	if (o->tstate.native_thread_id != N) {
		fakemem_w64(&im->m, ts + o->tstate.native_thread_id, (uint64_t)tid);
		fakemem_w64(&im->m, ts + o->tstate.thread_id, 0x7f0000001000ULL + (uint64_t)tid);
	} else {
		fakemem_w64(&im->m, ts + o->tstate.thread_id, make_pthread(im, tid, getpid()));
	}
	if (o->tstate.frame != N) {
		fakemem_w64(&im->m, ts + o->tstate.frame, top);
	} else if (o->tstate.current_frame != N) {
		fakemem_w64(&im->m, ts + o->tstate.current_frame, top);
	} else {
		uint64_t cf = fakemem_alloc(&im->m, 32);

		fakemem_w64(&im->m, cf + o->tstate.cframe_current_frame, top);
		fakemem_w64(&im->m, ts + o->tstate.cframe, cf);
	}
	if (o->tstate.datastack_chunk != N)
		fakemem_w64(&im->m, ts + o->tstate.datastack_chunk, im->chunk);
	return ts;
}

static size_t max_off(size_t cur, int64_t off)
{
	return off != N && (size_t)off + 8 > cur ? (size_t)off + 8 : cur;
}

#define SHIM3 { .shim_owner = 3 }
#define SHIM4 { .shim_owner = 4 }

static const char *file2(const struct img *im)
{
	return is27(im) ? "/tmp/caf\xe9.py" : "/tmp/日本語.py";	/* 2.7: raw latin-1 bytes */
}

/* Lay out a runtime, an interpreter, a worker thread and the main thread. */
static void build(struct img *im, unsigned version)
{
	const struct py_offsets *o;
	size_t isz = 64, rsz = 64;
	uint64_t rt = 0, top;

	memset(im, 0, sizeof(*im));
	fakemem_init(&im->m, 1 << 20);
	fakemem_remote(&im->m, &im->r, getpid());
	im->loc.version = version;
	if (version >= PY_VER(3, 13)) {
		if (version == PY_VER(3, 13))
			make_blob(im->blob, sizeof(im->blob), dbg313, ARRAY_SIZE(dbg313));
		else if (version == PY_VER(3, 14))
			make_blob(im->blob, sizeof(im->blob), dbg314, ARRAY_SIZE(dbg314));
		else
			make_blob(im->blob, sizeof(im->blob), dbg315, ARRAY_SIZE(dbg315));
		im->has_blob = 1;
		assert_int_equal(py_offsets__from_debug(im->blob, sizeof(im->blob), &im->o), 0);
	} else {
		assert_non_null(py_offsets__table(version));
		im->o = *py_offsets__table(version);
	}
	o = &im->o;
	im->loc.code_type_addr = fakemem_alloc(&im->m, 64);
	im->loc.str_type_addr = fakemem_alloc(&im->m, 64);
	im->loc.bytes_type_addr = is27(im) ? im->loc.str_type_addr : fakemem_alloc(&im->m, 64);

	/* runtime and interpreter */
	isz = max_off(isz, o->interp.next);
	isz = max_off(isz, o->interp.threads_head);
	isz = max_off(isz, o->interp.id);
	isz = max_off(isz, o->interp.ceval_gil);
	isz = max_off(isz, o->interp.code_object_generation);
	isz = max_off(isz, o->interp.gc_collecting);
	isz = max_off(isz, o->interp.modules);
	im->interp = fakemem_alloc(&im->m, isz);
	if (o->interp.id != N)
		fakemem_w64(&im->m, im->interp + o->interp.id, 0);
	if (o->runtime.interpreters_head != N) {
		rsz = max_off(rsz, o->runtime.interpreters_head);
		rsz = max_off(rsz, o->runtime.gil_locked);
		rsz = max_off(rsz, o->runtime.gil_last_holder);
		rsz = max_off(rsz, o->runtime.tstate_current);
		rsz = max_off(rsz, o->runtime.gc_collecting);
		rsz = rsz < sizeof(im->blob) ? sizeof(im->blob) : rsz;
		rt = fakemem_alloc(&im->m, rsz);
		im->loc.runtime_addr = rt;
		if (im->has_blob)
			fakemem_wbytes(&im->m, rt, im->blob, sizeof(im->blob));
		fakemem_w64(&im->m, rt + o->runtime.interpreters_head, im->interp);
	} else {
		im->loc.interp_head_addr = fakemem_alloc(&im->m, 8);
		fakemem_w64(&im->m, im->loc.interp_head_addr, im->interp);
		im->loc.tstate_current_addr = fakemem_alloc(&im->m, 8);
	}
	if (o->frames == PY_FRAMES_INTERP) {
		im->chunk = fakemem_alloc(&im->m, 4096);
		fakemem_w64(&im->m, im->chunk + 8, 4096);
	}

	/* the worker: every kind of name, a generator, shims in between */
	{
		const struct fspec w[] = {
			SHIM3,
			{ "main", "main", "app.py", 1, 10, 8, 0, 0, 0 },
			SHIM3,
			{ "gen", "Klass.gen", "app.py", 1, 20, 4, 0, 1, 0 },
			{ "日本語", "Klass.日本語", file2(im), 0, 30, 0, 0, 0, 0 },
			SHIM4,
			{ "f_𠀀", "f_𠀀", file2(im), 0, 40, 12, 0, 0, 0 },
			{ "naïve_f", "Klass.naïve_f", "app.py", 1, 50, 16, 0, 0, 0 },
		};

		top = make_frames(im, w, ARRAY_SIZE(w), im->worker_frames, im->code_of);
		im->ts_worker = make_tstate(im, top, helper_tid);
	}
	/* the main thread: holds the GIL; an incomplete frame on top (3.11+) */
	{
		const struct fspec mf[] = {
			SHIM3,
			{ "run", "run", "app.py", 1, 60, 4, 0, 0, 0 },
			{ "spin", "Spin.spin", "app.py", 1, 70, 8, 0, 0, 0 },
		};
		const struct fspec inc[] = {
			{ "__init__", "__init__", "__init__", 0, 80, 2, 0, 0, 4 },
		};

		top = make_frames(im, mf, ARRAY_SIZE(mf), NULL, NULL);
		if (o->code.firsttraceable != N) {
			uint64_t below = top;

			top = make_frames(im, inc, 1, NULL, NULL);
			fakemem_w64(&im->m, top + o->iframe.previous, below);
		}
		im->ts_main = make_tstate(im, top, getpid());
	}
	/* newest thread first, the main thread last */
	fakemem_w64(&im->m, im->interp + o->interp.threads_head, im->ts_worker);
	fakemem_w64(&im->m, im->ts_worker + o->tstate.next, im->ts_main);
	fakemem_w64(&im->m, im->ts_main + o->tstate.next, 0);

	/* the GIL: held by the main thread */
	if (o->runtime.gil_locked != N) {
		fakemem_w32(&im->m, rt + o->runtime.gil_locked, 1);
		fakemem_w64(&im->m, rt + o->runtime.gil_last_holder, im->ts_main);
	} else if (o->interp.ceval_gil != N) {
		uint64_t g = fakemem_alloc(&im->m, 208);

		fakemem_w64(&im->m, im->interp + o->interp.ceval_gil, g);
		fakemem_w32(&im->m, g + o->gil.locked, 1);
		fakemem_w64(&im->m, g + o->gil.last_holder, im->ts_main);
	} else {
		fakemem_w64(&im->m, im->loc.tstate_current_addr, im->ts_main);
	}
}

static void release(struct img *im)
{
	fakemem_release(&im->m);
}

/* --- collecting what the unwinder emits -------------------------------------------- */

struct got_frame {
	char name[256], file[64];
	int line;
};

struct got_thread {
	pid_t tid;
	unsigned flags, depth;
	int in_gc;
	int task;
	int native_call;
	int exception;
	struct got_frame f[16];
};

struct got {
	struct strtab *st;
	size_t n;
	struct got_thread t[8];
};

static void collect(void *arg, const struct unwind_thread *t)
{
	struct got *g = arg;
	struct got_thread *gt;

	assert_true(g->n < ARRAY_SIZE(g->t));
	gt = &g->t[g->n++];
	gt->tid = t->tid;
	gt->flags = t->flags;
	gt->in_gc = t->in_gc;
	gt->task = t->task;
	gt->native_call = t->native_call;
	gt->exception = t->exception;
	gt->depth = t->depth;
	for (unsigned i = 0; i < t->depth && i < ARRAY_SIZE(gt->f); i++) {
		snprintf(gt->f[i].name, sizeof(gt->f[i].name), "%s",
			 strtab__get(g->st, t->frames[i].name));
		snprintf(gt->f[i].file, sizeof(gt->f[i].file), "%s",
			 strtab__get(g->st, t->frames[i].file));
		gt->f[i].line = t->frames[i].line;
	}
}

static void expect_frame(const struct got_frame *f, const char *name, const char *file, int line)
{
	assert_string_equal(f->name, name);
	assert_string_equal(f->file, file);
	assert_int_equal(f->line, line);
}

/* What a test turns on in a new unwinder before its sample. */
typedef void (*setup_fn)(struct unwinder *u, void *arg);

/* One sample by a new unwinder keeping max_depth frames, set up by setup when not NULL. */
static int sample_with(struct img *im, unsigned max_depth, setup_fn setup, void *arg,
		       struct got *g, struct unwind_stats *st)
{
	struct unwinder *u;
	int err;

	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	g->st = strtab__new();
	u = unwinder__new(&im->r, &im->loc, &im->o, g->st, max_depth);
	assert_non_null(u);
	if (setup)
		setup(u, arg);
	err = unwinder__sample(u, collect, g, st);
	unwinder__free(u);
	return err;
}

static int sample(struct img *im, unsigned max_depth, struct got *g, struct unwind_stats *st)
{
	return sample_with(im, max_depth, NULL, NULL, g, st);
}

struct async_setup {
	const struct py_async_offsets *a;
	int all;
	int *found;
};

static void setup_async(struct unwinder *u, void *arg)
{
	const struct async_setup *s = arg;

	assert_int_equal(unwinder__set_async(u, s->a, s->all), 0);
	if (s->found)
		*s->found = unwinder__find_asyncio(u);
}

/*
 * One sample with --async on (all: =all) with the layout a; found not NULL: look for
 * current_tasks first (3.11-3.13), what unwinder__find_asyncio() said in *found.
 */
static int sample_async_found(struct img *im, const struct py_async_offsets *a, int all,
			      int *found, struct got *g, struct unwind_stats *st)
{
	struct async_setup s = { a, all, found };

	return sample_with(im, 64, setup_async, &s, g, st);
}

static int sample_async(struct img *im, const struct py_async_offsets *a, int all,
			struct got *g, struct unwind_stats *st)
{
	return sample_async_found(im, a, all, NULL, g, st);
}

static void got_release(struct got *g)
{
	strtab__free(g->st);
}

/* Names as the version reports them: qualified from 3.11. */
#define Q(im, plain, qual) ((im)->o.code.qualname != N ? (qual) : (plain))

static void check_full_sample(struct img *im, struct got *g)
{
	const char *f2 = is27(im) ? "/tmp/café.py" : "/tmp/日本語.py";
	struct got_thread *w, *m;

	assert_int_equal(g->n, 2);
	w = &g->t[0];
	m = &g->t[1];
	assert_int_equal(w->depth, 5);
	expect_frame(&w->f[0], Q(im, "naïve_f", "Klass.naïve_f"), "app.py", 54);
	expect_frame(&w->f[1], "f_𠀀", f2, 43);
	expect_frame(&w->f[2], Q(im, "日本語", "Klass.日本語"), f2, 30);
	expect_frame(&w->f[3], Q(im, "gen", "Klass.gen"), "app.py", 21);
	expect_frame(&w->f[4], "main", "app.py", 12);
	assert_int_equal(w->flags, 0);
	assert_int_equal(w->in_gc, 0);
	assert_int_equal(w->tid, helper_tid);

	assert_int_equal(m->depth, 2);
	expect_frame(&m->f[0], Q(im, "spin", "Spin.spin"), "app.py", 72);
	expect_frame(&m->f[1], "run", "app.py", 61);
	assert_int_equal(m->flags, PF_SAMPLE_GIL);
	assert_int_equal(m->in_gc, 0);		/* gc.collecting is 0 */
	assert_int_equal(m->tid, getpid());
}

static unsigned versions[] = {
	PY_VER(2, 7), PY_VER(3, 6), PY_VER(3, 7), PY_VER(3, 8), PY_VER(3, 9), PY_VER(3, 10),
	PY_VER(3, 11), PY_VER(3, 12), PY_VER(3, 13), PY_VER(3, 14), PY_VER(3, 15),
};

static void unwind_sample__every_version__exact_frames_gil_and_tids(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;

		print_message("  %u.%u\n", PY_VER_MAJOR(versions[i]), PY_VER_MINOR(versions[i]));
		build(&im, versions[i]);
		assert_int_equal(sample(&im, 64, &g, &st), 0);
		check_full_sample(&im, &g);
		assert_int_equal(st.threads, 2);
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		got_release(&g);
		release(&im);
	}
}

/* Set (1) or clear (0) the GC's collecting flag where the version keeps it; 0 if it has none. */
static int set_collecting(struct img *im, uint32_t v)
{
	if (im->o.interp.gc_collecting != N) {
		fakemem_w32(&im->m, im->interp + im->o.interp.gc_collecting, v);
		return 1;
	}
	if (im->o.runtime.gc_collecting != N) {
		fakemem_w32(&im->m, im->loc.runtime_addr + im->o.runtime.gc_collecting, v);
		return 1;
	}
	return 0;
}

/* 3.12+: the _gil_runtime_state the interpreter points to. */
static uint64_t gil_of(struct img *im)
{
	uint64_t g;

	memcpy(&g, fakemem_ptr(&im->m, im->interp + im->o.interp.ceval_gil, 8), 8);
	return g;
}

/* The GIL holder runs the collection: it alone is marked, with its frames unchanged. */
static void unwind_sample__gc_collecting__only_gil_holder_in_gc(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		int has;

		print_message("  %u.%u\n", PY_VER_MAJOR(versions[i]), PY_VER_MINOR(versions[i]));
		build(&im, versions[i]);
		has = set_collecting(&im, 1);
		/* 2.7 and 3.6 keep the flag in a static of gcmodule.c: none to read */
		assert_int_equal(has, versions[i] >= PY_VER(3, 7));
		assert_int_equal(sample(&im, 64, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].in_gc, 0);
		assert_int_equal(g.t[1].in_gc, has);
		assert_int_equal(g.t[1].depth, 2);
		expect_frame(&g.t[1].f[0], Q(&im, "spin", "Spin.spin"), "app.py", 72);
		assert_int_equal(g.t[1].flags, PF_SAMPLE_GIL);
		got_release(&g);

		/* the GIL released (a torn view: collecting, nobody holding it): nobody */
		if (im.o.runtime.gil_locked != N)
			fakemem_w32(&im.m, im.loc.runtime_addr + im.o.runtime.gil_locked, 0);
		else if (im.o.interp.ceval_gil != N)
			fakemem_w32(&im.m, gil_of(&im) + im.o.gil.locked, 0);
		else
			fakemem_w64(&im.m, im.loc.tstate_current_addr, 0);
		assert_int_equal(sample(&im, 64, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].in_gc, 0);
		assert_int_equal(g.t[1].in_gc, 0);
		got_release(&g);
		release(&im);
	}
}

/* _Py_AsyncioModuleDebugOffsets of Debian's 3.14.10 (_asyncio.so) and 3.15.2 (built in). */
static const uint64_t aio314[13] = {
	168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872, 880,
};
static const uint64_t aio315[13] = {
	168, 136, 96, 108, 109, 128, 152, 226240, 10856, 1104, 1024, 1032, 1048,
};

static void aio_blob(uint8_t *b, const uint64_t *v)
{
	memcpy(b, v, PY_ASYNC_DEBUG_SIZE);
}

/*
 * A thread running a task: its frames from the task's coroutine up, then the task's name
 * (an int n is "Task-n", a str itself) in place of what lies below (the event loop).
 */
static void unwind_sample__async_running_task__task_frames_under_its_name(void **state)
{
	static const unsigned vs[] = { PY_VER(3, 14), PY_VER(3, 15) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		uint8_t b[PY_ASYNC_DEBUG_SIZE];
		struct py_async_offsets a;
		struct img im;
		struct got g;
		struct unwind_stats st;
		uint64_t task, num;

		build(&im, vs[i]);
		aio_blob(b, vs[i] == PY_VER(3, 14) ? aio314 : aio315);
		assert_int_equal(py_offsets__from_async_debug(b, sizeof(b), &im.o, &a), 0);
		assert_int_equal(a.task_name, 136);
		assert_int_equal(a.task_coro, 128);
		assert_int_equal(a.ts_running_task, vs[i] == PY_VER(3, 14) ? 872 : 1032);

		/* task 7, unnamed: its name is the int 7 until someone asks for it */
		num = fakemem_alloc(&im.m, 32);
		fakemem_w64(&im.m, num + im.o.obj.ob_type, im.loc.code_type_addr);
		fakemem_w64(&im.m, num + im.o.obj.ob_type + 8, 1 << 3);
		fakemem_w32(&im.m, num + im.o.obj.ob_type + 16, 7);
		task = fakemem_alloc(&im.m, (size_t)a.task_size);
		fakemem_w64(&im.m, task + a.task_name, num);
		/* the coroutine whose frame is the worker's "gen" frame */
		fakemem_w64(&im.m, task + a.task_coro, im.worker_frames[3] - im.o.gen.iframe);
		fakemem_w64(&im.m, im.ts_worker + a.ts_running_task, task);

		assert_int_equal(sample_async(&im, &a, 0, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].depth, 5);
		expect_frame(&g.t[0].f[0], "Klass.naïve_f", "app.py", 54);
		expect_frame(&g.t[0].f[3], "Klass.gen", "app.py", 21);
		expect_frame(&g.t[0].f[4], "Task-7", "", -1);
		assert_int_equal(g.t[0].flags, 0);
		/* the main thread runs no task: its stack as it is */
		assert_int_equal(g.t[1].depth, 2);
		expect_frame(&g.t[1].f[1], "run", "app.py", 61);
		got_release(&g);

		/* a named task */
		fakemem_w64(&im.m, task + a.task_name, make_str(&im, "fetch-α", 0));
		assert_int_equal(sample_async(&im, &a, 0, &g, &st), 0);
		expect_frame(&g.t[0].f[4], "fetch-α", "", -1);
		got_release(&g);

		/* a coroutine not on the thread's stack (not resumed yet): the stack as it is */
		fakemem_w64(&im.m, task + a.task_coro, 0x1000);
		assert_int_equal(sample_async(&im, &a, 0, &g, &st), 0);
		assert_int_equal(g.t[0].depth, 5);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		got_release(&g);

		/* an unreadable task: the stack as it is, nothing dropped */
		fakemem_w64(&im.m, im.ts_worker + a.ts_running_task, 0x10);
		assert_int_equal(sample_async(&im, &a, 0, &g, &st), 0);
		assert_int_equal(g.n, 2);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		got_release(&g);
		release(&im);
	}
}

/* --- --async before 3.14: _asyncio's current_tasks dict ------------------------------- */

/*
 * A dict of n (key, value) pairs as 3.11-3.13 lay it out, 8 slots: str keys (kind 1,
 * 16-byte entries) or any (kind 0, 24-byte entries).  Returns the dict; *keys its table.
 */
static uint64_t make_dict(struct img *im, const struct py_async_offsets *a, int kind,
			  const uint64_t *kv, size_t n, uint64_t *keys)
{
	size_t es = kind ? 16 : 24, ko = kind ? 0 : 8;
	uint64_t d = fakemem_alloc(&im->m, 48), k = fakemem_alloc(&im->m, 40 + 8 * 24);

	fakemem_w64(&im->m, d + a->dict_used, n);
	fakemem_w64(&im->m, d + a->dict_keys, k);
	fakemem_w8(&im->m, k + a->keys_log2_size, 3);
	fakemem_w8(&im->m, k + a->keys_log2_index_bytes, 3);
	fakemem_w8(&im->m, k + a->keys_kind, (uint8_t)kind);
	fakemem_w64(&im->m, k + a->keys_nentries, n);
	for (size_t i = 0; i < n; i++) {
		fakemem_w64(&im->m, k + a->keys_indices + 8 + i * es + ko, kv[2 * i]);
		fakemem_w64(&im->m, k + a->keys_indices + 8 + i * es + ko + 8, kv[2 * i + 1]);
	}
	if (keys)
		*keys = k;
	return d;
}

/*
 * 3.11, 3.12: sys.modules['_asyncio'].__dict__['_current_tasks'] maps an event loop to the
 * task it runs; the thread with that task's coroutine frame on its stack shows the task.
 * A hostile dict (too many entries, a bad header, a split table) shows stacks as they are.
 */
static void unwind_sample__async_current_tasks__task_frames_under_its_name(void **state)
{
	static const unsigned vs[] = { PY_VER(3, 11), PY_VER(3, 12) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		struct py_async_offsets a;
		struct img im;
		struct got g;
		struct unwind_stats st;
		uint64_t task, loop, ct, ctkeys, md, mod, modules, mkeys, kv[6];
		int found;

		build(&im, vs[i]);
		assert_int_equal(py_offsets__async_table(&im.o, &a), 0);
		assert_int_equal(a.ts_running_task, N);
		task = fakemem_alloc(&im.m, (size_t)a.task_size);
		fakemem_w64(&im.m, task + a.task_name, make_str(&im, "fetch", 0));
		/* the worker's "gen" frame: the fourth from the root with shims, else second */
		assert_true(im.nworker_frames == 8 || im.nworker_frames == 5);
		fakemem_w64(&im.m, task + a.task_coro,
			    im.worker_frames[im.nworker_frames == 8 ? 3 : 1] - im.o.gen.iframe);
		loop = fakemem_alloc(&im.m, 64);
		/* a deleted entry first (no key), then the loop's */
		kv[0] = 0;
		kv[1] = 0;
		kv[2] = loop;
		kv[3] = task;
		ct = make_dict(&im, &a, 0, kv, 2, &ctkeys);
		kv[0] = make_str(&im, "_current_tasks", 0);
		kv[1] = ct;
		md = make_dict(&im, &a, 1, kv, 1, NULL);
		mod = fakemem_alloc(&im.m, 64);
		fakemem_w64(&im.m, mod + a.md_dict, md);
		/* sys.modules: "sys", "_asyncioX" (a longer name), then "_asyncio" */
		kv[0] = make_str(&im, "sys", 0);
		kv[1] = fakemem_alloc(&im.m, 64);
		kv[2] = make_str(&im, "_asyncioX", 0);
		kv[3] = fakemem_alloc(&im.m, 64);
		kv[4] = 0;
		kv[5] = mod;
		modules = make_dict(&im, &a, 1, kv, 3, &mkeys);
		fakemem_w64(&im.m, im.interp + im.o.interp.modules, modules);

		/* not imported yet: the stacks as they are */
		assert_int_equal(sample_async_found(&im, &a, 0, &found, &g, &st), 0);
		assert_int_equal(found, -ENOENT);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		got_release(&g);

		fakemem_w64(&im.m, mkeys + a.keys_indices + 8 + 2 * 16, make_str(&im, "_asyncio", 0));
		assert_int_equal(sample_async_found(&im, &a, 0, &found, &g, &st), 0);
		assert_int_equal(found, 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].depth, 5);
		expect_frame(&g.t[0].f[0], "Klass.naïve_f", "app.py", 54);
		expect_frame(&g.t[0].f[3], "Klass.gen", "app.py", 21);
		expect_frame(&g.t[0].f[4], "fetch", "", -1);
		/* the main thread runs no task: its stack as it is */
		assert_int_equal(g.t[1].depth, 2);
		got_release(&g);

		/* hostile tables: the stacks as they are, nothing dropped, no crash */
		for (int h = 0; h < 4; h++) {
			if (h == 0)
				fakemem_w64(&im.m, ctkeys + a.keys_nentries, 1u << 20);
			else if (h == 1)
				fakemem_w8(&im.m, ctkeys + a.keys_kind, 9);
			else if (h == 2)
				fakemem_w8(&im.m, ctkeys + a.keys_log2_index_bytes, 40);
			else
				fakemem_w64(&im.m, ct + a.dict_values, 0x1000);
			assert_int_equal(sample_async_found(&im, &a, 0, &found, &g, &st), 0);
			assert_int_equal(found, 0);
			assert_int_equal(g.n, 2);
			expect_frame(&g.t[0].f[4], "main", "app.py", 12);
			for (int d = 0; d < UNWIND_DROP__COUNT; d++)
				assert_int_equal(st.drops[d], 0);
			got_release(&g);
			/* put it back */
			fakemem_w64(&im.m, ctkeys + a.keys_nentries, 2);
			fakemem_w8(&im.m, ctkeys + a.keys_kind, 0);
			fakemem_w8(&im.m, ctkeys + a.keys_log2_index_bytes, 3);
			fakemem_w64(&im.m, ct + a.dict_values, 0);
		}
		/* a task whose coroutine is not on any stack: as it is */
		fakemem_w64(&im.m, task + a.task_coro, 0x1000);
		assert_int_equal(sample_async_found(&im, &a, 0, &found, &g, &st), 0);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		got_release(&g);
		release(&im);
	}
}

/* --- --native-markers --------------------------------------------------------------- */

static void setup_markers(struct unwinder *u, void *arg)
{
	(void)arg;
	assert_int_equal(unwinder__set_native_markers(u), 0);
}

/* One sample, with --native-markers on when markers. */
static int sample_markers(struct img *im, int markers, struct got *g, struct unwind_stats *st)
{
	return sample_with(im, 64, markers ? setup_markers : NULL, NULL, g, st);
}

/*
 * The worker's innermost frame stands on a call opcode of its version: it runs C code
 * it called (native_call); on any other opcode, or without the option, it does not.
 */
static void unwind_sample__native_markers__call_opcode_marks_innermost(void **state)
{
	static const unsigned vs[] = {
		PY_VER(3, 11), PY_VER(3, 12), PY_VER(3, 13), PY_VER(3, 14), PY_VER(3, 15),
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		const uint8_t *ops = py_offsets__call_ops(vs[i]);
		struct img im;
		struct got g;
		struct unwind_stats st;
		uint64_t c;
		int call = -1, other = -1;

		assert_non_null(ops);
		for (int op = 1; op < 256; op++) {
			int is = ops[op >> 3] >> (op & 7) & 1;

			if (is && call < 0)
				call = op;
			if (!is && other < 0)
				other = op;
		}
		assert_true(call > 0 && other > 0);
		build(&im, vs[i]);
		/* naïve_f, innermost, stands at byte 16 of its bytecode */
		c = im.code_of[im.nworker_frames - 1];
		fakemem_w8(&im.m, c + (uint64_t)im.o.code.code_adaptive + 16, (uint8_t)call);
		assert_int_equal(sample_markers(&im, 1, &g, &st), 0);
		expect_frame(&g.t[0].f[0], "Klass.naïve_f", "app.py", 54);
		assert_int_equal(g.t[0].native_call, 1);
		assert_int_equal(g.t[1].native_call, 0);
		got_release(&g);
		assert_int_equal(sample_markers(&im, 0, &g, &st), 0);
		assert_int_equal(g.t[0].native_call, 0);
		got_release(&g);
		release(&im);

		build(&im, vs[i]);
		c = im.code_of[im.nworker_frames - 1];
		fakemem_w8(&im.m, c + (uint64_t)im.o.code.code_adaptive + 16, (uint8_t)other);
		assert_int_equal(sample_markers(&im, 1, &g, &st), 0);
		assert_int_equal(g.t[0].native_call, 0);
		got_release(&g);
		release(&im);
	}
	/* before 3.11: not supported */
	{
		struct img im;
		struct unwinder *u;
		struct strtab *st = strtab__new();

		build(&im, PY_VER(3, 10));
		u = unwinder__new(&im.r, &im.loc, &im.o, st, 64);
		assert_non_null(u);
		assert_int_equal(unwinder__set_native_markers(u), -ENOTSUP);
		unwinder__free(u);
		strtab__free(st);
		release(&im);
	}
}

/* --- --mode exception ------------------------------------------------------------------ */

static void setup_exc(struct unwinder *u, void *arg)
{
	(void)arg;
	assert_int_equal(unwinder__want_exceptions(u), 0);
}

/* One sample asking for each thread's exception. */
static int sample_exc(struct img *im, struct got *g, struct unwind_stats *st)
{
	return sample_with(im, 64, setup_exc, NULL, g, st);
}

/* An object whose type has tp_flags flags. */
static uint64_t make_obj(struct img *im, uint64_t flags)
{
	uint64_t type = fakemem_alloc(&im->m, 256), obj = fakemem_alloc(&im->m, 64);

	fakemem_w64(&im->m, type + im->o.exc.tp_flags, flags);
	fakemem_w64(&im->m, obj + im->o.obj.ob_type, type);
	return obj;
}

/* A _PyErr_StackItem holding value, after previous. */
static uint64_t make_item(struct img *im, uint64_t value, uint64_t previous)
{
	uint64_t item = fakemem_alloc(&im->m, 64);

	fakemem_w64(&im->m, item + im->o.exc.item_value, value);
	fakemem_w64(&im->m, item + im->o.exc.item_previous, previous);
	return item;
}

/*
 * The worker handles an exception, the main thread does not; on 3.7+ the worker's is
 * behind a running generator's empty item and the main thread's item holds None, as
 * sys.exc_info() walks them.  A chain that loops, or points nowhere, is not believed.
 */
static void unwind_sample__exception__handled_one_marks_its_thread(void **state)
{
	static const unsigned vs[] = {
		PY_VER(2, 7), PY_VER(3, 6), PY_VER(3, 7), PY_VER(3, 10), PY_VER(3, 11),
		PY_VER(3, 12), PY_VER(3, 13), PY_VER(3, 14), PY_VER(3, 15),
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		uint64_t exc, none, loop;
		const struct py_offsets *o;

		build(&im, vs[i]);
		o = &im.o;
		exc = make_obj(&im, 1ull << 30 | 1ull << 9);
		none = make_obj(&im, 1ull << 9);
		if (o->exc.ts_value != N) {
			fakemem_w64(&im.m, im.ts_worker + o->exc.ts_value, exc);
			fakemem_w64(&im.m, im.ts_main + o->exc.ts_value, none);
		} else {
			fakemem_w64(&im.m, im.ts_worker + o->exc.ts_info,
				    make_item(&im, 0, make_item(&im, exc, 0)));
			fakemem_w64(&im.m, im.ts_main + o->exc.ts_info, make_item(&im, none, 0));
		}
		assert_int_equal(sample_exc(&im, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].exception, 1);
		assert_int_equal(g.t[1].exception, 0);
		assert_int_equal(st.exc_unknown, 0);
		assert_true(g.t[0].depth > 0 && g.t[1].depth > 0);
		got_release(&g);

		/* not asked: not read */
		assert_int_equal(sample(&im, 64, &g, &st), 0);
		assert_int_equal(g.t[0].exception, 0);
		got_release(&g);

		/* hostile: the worker's exception in unmapped memory; a looping chain */
		if (o->exc.ts_value != N) {
			fakemem_w64(&im.m, im.ts_worker + o->exc.ts_value, 0xdead0000ULL);
		} else {
			loop = make_item(&im, none, 0);
			fakemem_w64(&im.m, loop + o->exc.item_previous, loop);
			fakemem_w64(&im.m, im.ts_worker + o->exc.ts_info, loop);
			fakemem_w64(&im.m, im.ts_main + o->exc.ts_info,
				    make_item(&im, 0xdead0000ULL, 0));
		}
		assert_int_equal(sample_exc(&im, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].exception, 0);
		assert_int_equal(g.t[1].exception, 0);
		assert_int_equal(st.exc_unknown, o->exc.ts_value != N ? 1 : 2);
		got_release(&g);
		release(&im);
	}
}

/* --- --async=all: waiting tasks on synthetic images ---------------------------------- */

/* A coroutine suspended in code at addrq; yield_from: awaiting awaited (a _PyStackRef). */
static uint64_t make_coro(struct img *im, uint64_t type, uint64_t code, int addrq, int yield_from,
			  uint64_t awaited)
{
	const struct py_offsets *o = &im->o;
	uint64_t c = fakemem_alloc(&im->m, (size_t)(o->gen.iframe + o->iframe.size) + 64);
	uint64_t f = c + (uint64_t)o->gen.iframe, stack = fakemem_alloc(&im->m, 64);

	fakemem_w64(&im->m, c + o->obj.ob_type, type);
	fakemem_w8(&im->m, c + o->coro.frame_state,
		   (uint8_t)(yield_from ? o->coro.yield_from : o->coro.yield_from - 1));
	fakemem_w64(&im->m, f + o->iframe.executable, code | (o->iframe.tag_mask & 1));
	fakemem_w64(&im->m, f + o->iframe.instr_ptr,
		    code + (uint64_t)o->code.code_adaptive + (uint64_t)addrq);
	fakemem_w8(&im->m, f + o->iframe.owner, 1);
	if (o->coro.stackpointer == N) {
		/* 3.11-3.13: one slot deep in localsplus, the awaited object on top */
		fakemem_w32(&im->m, f + o->coro.stacktop, 1);
		fakemem_w64(&im->m, f + o->coro.localsplus, awaited);
		return c;
	}
	fakemem_w64(&im->m, f + o->coro.stackpointer, stack + 32);
	fakemem_w64(&im->m, stack + 32 - 8 * (uint64_t)o->coro.awaited_slot, awaited);
	return c;
}

static uint64_t make_task(struct img *im, const struct py_async_offsets *a, const char *name,
			  uint64_t coro, uint64_t fut_waiter)
{
	uint64_t t = fakemem_alloc(&im->m, (size_t)a->task_size);

	fakemem_w64(&im->m, t + a->task_name, make_str(im, name, 0));
	fakemem_w64(&im->m, t + a->task_coro, coro);
	fakemem_w64(&im->m, t + a->task_fut_waiter, fut_waiter);
	return t;
}

/* The worker thread's task list: head -> tasks[0] -> ... -> head. */
static void link_tasks(struct img *im, const struct py_async_offsets *a, const uint64_t *tasks,
		       size_t n)
{
	uint64_t head = im->ts_worker + (uint64_t)a->ts_tasks_head, prev = head;

	for (size_t i = 0; i < n; i++) {
		uint64_t node = tasks[i] + (uint64_t)a->task_node;

		fakemem_w64(&im->m, prev, node);
		fakemem_w64(&im->m, node + 8, prev);
		prev = node;
	}
	fakemem_w64(&im->m, prev, head);
}

/* The worker's tasks of the --async=all test (also a fuzz seed, fuzz/mkseed_unwind.c). */
struct aio_tasks {
	uint64_t parent, child, holder, ready;
	uint64_t c1, c2, fut;
};

static void build_tasks(struct img *pim, const struct py_async_offsets *pa, struct aio_tasks *x)
{
	uint64_t ctype, ftype, fname, fut, iter, sleep_co, c2, c1, p1, h1, r1;
	uint64_t parent, child, holder, ready, tasks[4];

	ctype = fakemem_alloc(&pim->m, 512);
	ftype = fakemem_alloc(&pim->m, 512);
	fname = fakemem_alloc(&pim->m, 32);
	fakemem_wbytes(&pim->m, fname, "_asyncio.Future", 16);
	fakemem_w64(&pim->m, ftype + pim->o.coro.tp_name, fname);
	fut = fakemem_alloc(&pim->m, 64);
	fakemem_w64(&pim->m, fut + pim->o.obj.ob_type, ftype);
	iter = fakemem_alloc(&pim->m, 64);	/* a FutureIter: not a coroutine */
	fakemem_w64(&pim->m, iter + pim->o.obj.ob_type, ftype + 256);

	sleep_co = make_coro(pim, ctype, make_code(pim, "sleep", "sleep",
			     "/usr/lib/python3.14/asyncio/tasks.py", 0, 700, 0), 16, 1, iter);
	c2 = make_coro(pim, ctype, make_code(pim, "c2", "c2", "app.py", 0, 200, 0), 8, 1,
		       sleep_co | (pim->o.iframe.tag_mask & 1));
	c1 = make_coro(pim, ctype, make_code(pim, "c1", "c1", "app.py", 0, 100, 0), 4, 1, c2);
	p1 = make_coro(pim, ctype, make_code(pim, "p1", "p1", "app.py", 0, 300, 0), 12, 1,
		       iter);
	h1 = make_coro(pim, ctype, make_code(pim, "h1", "h1", "app.py", 0, 400, 0), 0, 1,
		       iter);
	r1 = make_coro(pim, ctype, make_code(pim, "r1", "r1", "app.py", 0, 500, 0), 4, 0, 0);
	parent = make_task(pim, pa, "parent", p1, 0);
	child = make_task(pim, pa, "child", c1, fut);
	holder = make_task(pim, pa, "holder", h1, fut);
	ready = make_task(pim, pa, "ready", r1, 0);
	fakemem_w64(&pim->m, parent + pa->task_fut_waiter, child);
	fakemem_w64(&pim->m, child + pa->task_awaited_by, parent);
	tasks[0] = parent;
	tasks[1] = child;
	tasks[2] = holder;
	tasks[3] = ready;
	link_tasks(pim, pa, tasks, 4);
	x->parent = parent;
	x->child = child;
	x->holder = holder;
	x->ready = ready;
	x->c1 = c1;
	x->c2 = c2;
	x->fut = fut;
}

static const struct got_thread *got_task(const struct got *g, const char *leaf)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->t[i].task && g->t[i].depth && !strcmp(g->t[i].f[0].name, leaf))
			return &g->t[i];
	return NULL;
}

static size_t got_tasks(const struct got *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->t[i].task != 0;
	return n;
}

/*
 * 3.12 --async=all: _asyncio's _scheduled_tasks is a WeakSet (a Python object: its data set
 * is found through the type's shared keys and the tagged values pointer at obj - 24) of
 * weakrefs to the tasks; the worker runs the loop its thread dict names.  "child" waits in
 * asyncio.sleep() under "parent" (whose fut_waiter it is), "holder" on a future, "ready"
 * on nothing.  Then hostile memory: a looping await chain drops that task, counted; a
 * data set with a huge table or more used entries than slots drops the sample's waiting
 * tasks, counted, and leaves the threads' own stacks alone.
 */
static void unwind_sample__async_all_weakset__waiting_tasks_and_hostile_sets(void **state)
{
	struct py_async_offsets a;
	struct img im;
	struct got g;
	struct unwind_stats st;
	const struct got_thread *t;
	struct aio_tasks x;
	uint64_t ct, md, mod, ws, wstype, keys, values, data, table, kv[8], loop, ttype, tdict;
	uint64_t tasks[4];
	int found;

	(void)state;
	build(&im, PY_VER(3, 12));
	assert_int_equal(py_offsets__async_table(&im.o, &a), 0);
	kv[0] = fakemem_alloc(&im.m, 64);		/* a loop with no running task */
	kv[1] = 0;
	ct = make_dict(&im, &a, 0, kv, 0, NULL);
	/* the WeakSet: its type's shared keys say "data" is value 0 */
	wstype = fakemem_alloc(&im.m, 1024);
	kv[0] = make_str(&im, "data", 0);
	kv[1] = 0;
	make_dict(&im, &a, 2, kv, 1, &keys);
	fakemem_w64(&im.m, wstype + a.ht_cached_keys, keys);
	ws = fakemem_alloc(&im.m, 96) + 48;
	fakemem_w64(&im.m, ws + im.o.obj.ob_type, wstype);
	values = fakemem_alloc(&im.m, 16);
	fakemem_w64(&im.m, ws + a.obj_dict, values - 1);
	data = fakemem_alloc(&im.m, 64);
	fakemem_w64(&im.m, values, data);
	table = fakemem_alloc(&im.m, 8 * 16);
	fakemem_w64(&im.m, data + im.o.coro.set_table, table);
	fakemem_w64(&im.m, data + im.o.coro.set_mask, 7);
	kv[0] = make_str(&im, "_current_tasks", 0);
	kv[1] = ct;
	kv[2] = make_str(&im, "_scheduled_tasks", 0);
	kv[3] = ws;
	ttype = fakemem_alloc(&im.m, 512);
	kv[4] = make_str(&im, "Task", 0);
	kv[5] = ttype;
	md = make_dict(&im, &a, 1, kv, 3, NULL);
	mod = fakemem_alloc(&im.m, 64);
	fakemem_w64(&im.m, mod + a.md_dict, md);
	kv[0] = make_str(&im, "_asyncio", 0);
	kv[1] = mod;
	fakemem_w64(&im.m, im.interp + im.o.interp.modules, make_dict(&im, &a, 1, kv, 1, NULL));

	/* an empty set: found, nothing waiting, nothing dropped */
	assert_int_equal(sample_async_found(&im, &a, 1, &found, &g, &st), 0);
	assert_int_equal(found, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(st.drops[UNWIND_DROP_TASKS], 0);
	assert_int_equal(st.tasks, 0);
	got_release(&g);

	/* the tasks, on the loop the worker's thread dict names */
	build_tasks(&im, &a, &x);
	loop = fakemem_alloc(&im.m, 64);
	tasks[0] = x.parent;
	tasks[1] = x.child;
	tasks[2] = x.holder;
	tasks[3] = x.ready;
	for (int k = 0; k < 4; k++) {
		uint64_t ref = fakemem_alloc(&im.m, 64);

		fakemem_w64(&im.m, tasks[k] + im.o.obj.ob_type, ttype);
		fakemem_w64(&im.m, tasks[k] + a.task_loop, loop);
		fakemem_w64(&im.m, ref + a.wr_object, tasks[k]);
		fakemem_w64(&im.m, table + 16 * (uint64_t)(2 * k + 1), ref);
		fakemem_w64(&im.m, table + 16 * (uint64_t)(2 * k + 1) + 8, 77);
	}
	/* a dummy entry (hash -1): skipped */
	fakemem_w64(&im.m, table, 0x1000);
	fakemem_w64(&im.m, table + 8, (uint64_t)-1);
	fakemem_w64(&im.m, data + im.o.coro.set_used, 4);
	kv[0] = make_str(&im, "__asyncio_running_event_loop__", 0);
	kv[1] = loop;
	tdict = make_dict(&im, &a, 1, kv, 1, NULL);
	fakemem_w64(&im.m, im.ts_worker + a.ts_dict, tdict);
	assert_int_equal(sample_async_found(&im, &a, 1, &found, &g, &st), 0);
	assert_int_equal(found, 0);
	assert_int_equal(st.tasks, 3);
	assert_int_equal(got_tasks(&g), 3);
	t = got_task(&g, "<awaiting sleep>");
	assert_non_null(t);
	assert_int_equal(t->depth, 7);
	assert_string_equal(t->f[1].name, "sleep");
	assert_string_equal(t->f[2].name, "c2");
	assert_string_equal(t->f[3].name, "c1");
	assert_string_equal(t->f[4].name, "child");
	assert_string_equal(t->f[5].name, "p1");
	assert_string_equal(t->f[6].name, "parent");
	t = got_task(&g, "<awaiting Future>");
	assert_non_null(t);
	assert_string_equal(t->f[2].name, "holder");
	assert_non_null(got_task(&g, "<ready>"));
	assert_int_equal(st.drops[UNWIND_DROP_TASKS], 0);
	got_release(&g);

	/* c2 awaits c1 again: the child's chain loops, dropped; the others stay */
	fakemem_w64(&im.m, x.c2 + im.o.gen.iframe + im.o.coro.localsplus, x.c1);
	assert_int_equal(sample_async_found(&im, &a, 1, &found, &g, &st), 0);
	assert_int_equal(st.drops[UNWIND_DROP_TASKS], 1);
	assert_int_equal(got_tasks(&g), 2);
	assert_null(got_task(&g, "<awaiting sleep>"));
	got_release(&g);
	/* the thread runs another loop: none of these tasks is its */
	fakemem_w64(&im.m, tdict, 0);
	fakemem_w64(&im.m, im.ts_worker + a.ts_dict, 0);
	assert_int_equal(sample_async_found(&im, &a, 1, &found, &g, &st), 0);
	assert_int_equal(got_tasks(&g), 0);
	got_release(&g);

	for (int h = 0; h < 3; h++) {
		if (h == 0)
			fakemem_w64(&im.m, data + im.o.coro.set_mask, (1ull << 40) - 1);
		else if (h == 1)
			fakemem_w64(&im.m, data + im.o.coro.set_used, 9);
		else
			fakemem_w64(&im.m, data + im.o.coro.set_mask, 6);	/* not 2^n - 1 */
		assert_int_equal(sample_async_found(&im, &a, 1, &found, &g, &st), 0);
		assert_int_equal(found, 0);
		assert_int_equal(g.n, 2);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		assert_int_equal(st.drops[UNWIND_DROP_TASKS], 1);
		assert_int_equal(st.tasks, 0);
		got_release(&g);
		fakemem_w64(&im.m, data + im.o.coro.set_mask, 7);
		fakemem_w64(&im.m, data + im.o.coro.set_used, 4);
	}
	release(&im);
}

/*
 * "child", awaited by "parent", waits in asyncio.sleep(); "holder" on a future; "ready" on
 * nothing.  Each leaf is a stack of its own under its awaiters; "parent" is not a leaf.
 * Then hostile memory: a looping await chain, tasks awaiting each other in a loop, a task
 * list that never returns to its head, a freed task: each drops what it spoils, counted.
 */
static void unwind_sample__async_all__waiting_tasks_and_hostile_memory(void **state)
{
	static const unsigned vs[] = { PY_VER(3, 14), PY_VER(3, 15) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		uint8_t b[PY_ASYNC_DEBUG_SIZE];
		struct py_async_offsets a;
		struct img im;
		struct got g;
		struct unwind_stats st;
		const struct got_thread *t;
		struct aio_tasks x;
		uint64_t fut, c2, c1, parent, child, holder, ready;

		build(&im, vs[i]);
		aio_blob(b, vs[i] == PY_VER(3, 14) ? aio314 : aio315);
		assert_int_equal(py_offsets__from_async_debug(b, sizeof(b), &im.o, &a), 0);
		assert_int_equal(a.task_fut_waiter, 120);
		assert_int_equal(a.ts_tasks_head, vs[i] == PY_VER(3, 14) ? 880 : 1048);
		assert_int_equal(im.o.coro.awaited_slot, vs[i] == PY_VER(3, 14) ? 1 : 2);

		build_tasks(&im, &a, &x);
		parent = x.parent;
		child = x.child;
		holder = x.holder;
		ready = x.ready;
		c1 = x.c1;
		c2 = x.c2;
		fut = x.fut;

		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(g.n, 5);		/* two threads, three leaf tasks */
		assert_int_equal(st.tasks, 3);
		t = got_task(&g, "<awaiting sleep>");
		assert_non_null(t);
		assert_int_equal(t->tid, helper_tid);
		assert_int_equal(t->depth, 7);
		expect_frame(&t->f[1], "sleep", "/usr/lib/python3.14/asyncio/tasks.py", 704);
		expect_frame(&t->f[2], "c2", "app.py", 202);
		expect_frame(&t->f[3], "c1", "app.py", 101);
		expect_frame(&t->f[4], "child", "", -1);
		expect_frame(&t->f[5], "p1", "app.py", 303);
		expect_frame(&t->f[6], "parent", "", -1);
		t = got_task(&g, "<awaiting Future>");
		assert_non_null(t);
		assert_int_equal(t->depth, 3);
		expect_frame(&t->f[1], "h1", "app.py", 400);
		expect_frame(&t->f[2], "holder", "", -1);
		t = got_task(&g, "<ready>");
		assert_non_null(t);
		assert_int_equal(t->depth, 3);
		expect_frame(&t->f[1], "r1", "app.py", 501);
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		got_release(&g);

		/* the child no longer awaited: <awaiting child> ends the parent's own stack */
		fakemem_w64(&im.m, child + a.task_awaited_by, 0);
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(st.tasks, 4);
		t = got_task(&g, "<awaiting child>");
		assert_non_null(t);
		expect_frame(&t->f[2], "parent", "", -1);
		got_release(&g);
		/* awaited by a set whose second entry is the parent (the first is no task) */
		{
			uint64_t set = fakemem_alloc(&im.m, 64), table = fakemem_alloc(&im.m, 128);

			fakemem_w64(&im.m, set + im.o.coro.set_mask, 7);
			fakemem_w64(&im.m, set + im.o.coro.set_table, table);
			fakemem_w64(&im.m, table, fut);
			fakemem_w64(&im.m, table + 16, parent);
			fakemem_w64(&im.m, child + a.task_awaited_by, set);
			fakemem_w8(&im.m, child + a.task_awaited_by_is_set, 1);
		}
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(st.tasks, 3);
		assert_int_equal(got_task(&g, "<awaiting sleep>")->depth, 7);
		got_release(&g);

		/* an await chain that loops: the child's stack is dropped, the rest stays */
		{
			uint64_t sp;

			assert_int_equal(remote__read(&im.r, c2 + (uint64_t)im.o.gen.iframe +
						      (uint64_t)im.o.coro.stackpointer, &sp, 8), 0);
			fakemem_w64(&im.m, sp - 8 * (uint64_t)im.o.coro.awaited_slot, c1);
		}
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(st.drops[UNWIND_DROP_TASKS], 1);
		assert_null(got_task(&g, "<awaiting sleep>"));
		assert_non_null(got_task(&g, "<awaiting Future>"));
		assert_int_equal(st.tasks, 2);
		got_release(&g);

		/* tasks awaiting each other in a loop, above a leaf: that leaf is dropped */
		fakemem_w64(&im.m, holder + a.task_awaited_by, parent);
		fakemem_w64(&im.m, parent + a.task_awaited_by, child);
		fakemem_w64(&im.m, child + a.task_awaited_by_is_set, 0);
		fakemem_w64(&im.m, child + a.task_awaited_by, parent);
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_null(got_task(&g, "<awaiting Future>"));
		assert_non_null(got_task(&g, "<ready>"));
		assert_int_equal(st.drops[UNWIND_DROP_TASKS], 1);
		got_release(&g);

		/* a freed task in the list (its name unreadable): it alone is dropped */
		fakemem_w64(&im.m, ready + a.task_name, 0x10);
		fakemem_w64(&im.m, holder + a.task_awaited_by, 0);
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_null(got_task(&g, "<ready>"));
		assert_non_null(got_task(&g, "<awaiting Future>"));
		assert_int_equal(st.drops[UNWIND_DROP_READ], 1);
		got_release(&g);

		/* a list that never comes back to its head: no task, both threads still there */
		fakemem_w64(&im.m, ready + a.task_node, child + (uint64_t)a.task_node);
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(got_tasks(&g), 0);
		assert_int_equal(st.threads, 2);
		assert_int_equal(st.drops[UNWIND_DROP_TASKS], 1);
		got_release(&g);

		/* a node in unmapped memory: the same */
		fakemem_w64(&im.m, im.ts_worker + (uint64_t)a.ts_tasks_head, 0x7000);
		assert_int_equal(sample_async(&im, &a, 1, &g, &st), 0);
		assert_int_equal(got_tasks(&g), 0);
		assert_int_equal(st.threads, 2);
		assert_int_equal(st.drops[UNWIND_DROP_READ], 1);
		got_release(&g);
		release(&im);
	}
}

static void py_offsets_from_async_debug__bad_input__rejected(void **state)
{
	uint8_t b[PY_ASYNC_DEBUG_SIZE];
	struct py_async_offsets a;
	struct img im;

	(void)state;
	build(&im, PY_VER(3, 14));
	aio_blob(b, aio314);
	assert_int_equal(py_offsets__from_async_debug(b, sizeof(b) - 1, &im.o, &a), -EINVAL);
	b[88] = 8;		/* running task inside PyThreadState itself */
	b[89] = 0;
	assert_int_equal(py_offsets__from_async_debug(b, sizeof(b), &im.o, &a), -EINVAL);
	aio_blob(b, aio314);
	b[40] = 200;		/* task_coro past the task */
	assert_int_equal(py_offsets__from_async_debug(b, sizeof(b), &im.o, &a), -EINVAL);
	release(&im);
	/* before 3.14 there is no such struct */
	build(&im, PY_VER(3, 13));
	aio_blob(b, aio314);
	assert_int_equal(py_offsets__from_async_debug(b, sizeof(b), &im.o, &a), -ENOTSUP);
	release(&im);
}

static void unwind_sample__max_depth__keeps_innermost_and_flags_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;

		build(&im, versions[i]);
		assert_int_equal(sample(&im, 2, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].depth, 2);
		assert_int_equal(g.t[0].flags, PF_SAMPLE_TRUNCATED);
		expect_frame(&g.t[0].f[0], Q(&im, "naïve_f", "Klass.naïve_f"), "app.py", 54);
		assert_string_equal(g.t[0].f[1].name, "f_𠀀");
		/* exactly max_depth frames (then only a shim): not truncated */
		assert_int_equal(g.t[1].depth, 2);
		assert_int_equal(g.t[1].flags, PF_SAMPLE_GIL);
		got_release(&g);
		release(&im);
	}
}

static void unwind_sample__frame_cycle__drops_thread_as_cycle(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		uint64_t root, inner;
		int64_t back;

		build(&im, versions[i]);
		root = im.worker_frames[0];
		inner = im.worker_frames[im.nworker_frames - 1];
		back = im.o.frames == PY_FRAMES_OBJECT ? im.o.frame.back : im.o.iframe.previous;
		fakemem_w64(&im.m, root + (uint64_t)back, inner);
		assert_int_equal(sample(&im, 1000, &g, &st), 0);
		assert_int_equal(st.drops[UNWIND_DROP_CYCLE], 1);
		assert_int_equal(g.n, 1);	/* the main thread is still there */
		assert_int_equal(g.t[0].tid, getpid());
		got_release(&g);
		release(&im);
	}
}

static void unwind_sample__wrong_code_type__drops_thread_as_badcode(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		size_t k;

		build(&im, versions[i]);
		k = im.nworker_frames - 2;	/* f_𠀀 */
		fakemem_w64(&im.m, im.code_of[k] + im.o.obj.ob_type, im.loc.str_type_addr);
		assert_int_equal(sample(&im, 64, &g, &st), 0);
		assert_int_equal(st.drops[UNWIND_DROP_BADCODE], 1);
		assert_int_equal(st.threads, 1);
		got_release(&g);
		release(&im);
	}
}

static void unwind_sample__bad_string__drops_thread_as_badstr(void **state)
{
	struct img im;
	struct got g;
	struct unwind_stats st;
	uint64_t c, s;

	(void)state;
	build(&im, PY_VER(3, 12));
	c = im.code_of[im.nworker_frames - 1];
	memcpy(&s, fakemem_ptr(&im.m, c + im.o.code.qualname, 8), 8);
	fakemem_w64(&im.m, s + im.o.obj.str_length, 1u << 20);	/* absurd length */
	assert_int_equal(sample(&im, 64, &g, &st), 0);
	assert_int_equal(st.drops[UNWIND_DROP_BADSTR], 1);
	assert_int_equal(g.n, 1);
	got_release(&g);
	release(&im);
}

static void unwind_sample__code_address_reused__sees_new_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t c;
		unsigned long cold, warm;

		build(&im, versions[i]);
		memset(&g, 0, sizeof(g));
		memset(&st, 0, sizeof(st));
		g.st = strtab__new();
		u = unwinder__new(&im.r, &im.loc, &im.o, g.st, 64);
		assert_non_null(u);
		unwinder__set_code_recheck(u, 0);	/* every code object, every sample */
		im.m.reads = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		cold = im.m.reads;
		g.n = 0;
		im.m.reads = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		warm = im.m.reads;
		check_full_sample(&im, &g);
		assert_true(warm < cold);

		/*
		 * A different function now lives at the innermost code object's address (3.14:
		 * the old one was freed, which moved the interpreter's code generation).
		 */
		c = im.code_of[im.nworker_frames - 1];
		fakemem_w64(&im.m, c + im.o.code.name, make_str(&im, "other", 0));
		if (im.o.code.qualname != N)
			fakemem_w64(&im.m, c + im.o.code.qualname, make_str(&im, "Other.other", 0));
		if (im.o.interp.code_object_generation != N)
			fakemem_w64(&im.m, im.interp + im.o.interp.code_object_generation, 1);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_string_equal(g.t[0].f[0].name, Q(&im, "other", "Other.other"));
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/*
 * A file name string freed and another of the same length made at its address (the next
 * module's name): type, length and state all match the cached one; its hash does not.
 */
static void unwind_sample__string_address_reused__sees_new_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t c, str;

		build(&im, versions[i]);
		memset(&g, 0, sizeof(g));
		memset(&st, 0, sizeof(st));
		g.st = strtab__new();
		u = unwinder__new(&im.r, &im.loc, &im.o, g.st, 64);
		assert_non_null(u);
		unwinder__set_code_recheck(u, 0);	/* every code object, every sample */
		c = im.code_of[im.nworker_frames - 1];
		str = make_str(&im, "/tmp/aaaa.py", 0);
		fakemem_w64(&im.m, str + im.o.obj.str_length + 8, 0x1111);	/* its hash */
		fakemem_w64(&im.m, c + im.o.code.filename, str);
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_string_equal(g.t[0].f[0].file, "/tmp/aaaa.py");
		/*
		 * Freed with its code object; a new code object (another name) whose file name,
		 * of the same length, is at the old one's address.
		 */
		fakemem_wbytes(&im.m, str + im.o.obj.str_ascii_data, "/tmp/bbbb.py", 12);
		fakemem_w64(&im.m, str + im.o.obj.str_length + 8, 0x2222);
		fakemem_w64(&im.m, c + im.o.code.name, make_str(&im, "other", 0));
		if (im.o.code.qualname != N)
			fakemem_w64(&im.m, c + im.o.code.qualname, make_str(&im, "Other.other", 0));
		if (im.o.interp.code_object_generation != N)
			fakemem_w64(&im.m, im.interp + im.o.interp.code_object_generation, 1);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_string_equal(g.t[0].f[0].file, "/tmp/bbbb.py");
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/*
 * A new code object's name, file name and line table are read in one batch, each with
 * some bytes after its header: a name longer than that read-ahead needs a read of its
 * own, a file name at the very end of readable memory (its read-ahead fails) is read the
 * usual way; both come out exact.
 */
static void unwind_sample__new_code_read_ahead__long_and_last_strings_exact(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		char longname[201];
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t c, name;

		build(&im, versions[i]);
		memset(&g, 0, sizeof(g));
		memset(&st, 0, sizeof(st));
		g.st = strtab__new();
		memset(longname, 'f', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		c = im.code_of[im.nworker_frames - 1];
		name = make_str(&im, longname, 0);
		fakemem_w64(&im.m, c + im.o.code.name, name);
		if (im.o.code.qualname != N)
			fakemem_w64(&im.m, c + im.o.code.qualname, name);
		/* the last object in memory: 32 bytes of gap after it, then nothing */
		fakemem_w64(&im.m, c + im.o.code.filename, make_str(&im, "/tmp/the_last.py", 0));
		u = unwinder__new(&im.r, &im.loc, &im.o, g.st, 64);
		assert_non_null(u);
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_string_equal(g.t[0].f[0].name, longname);
		assert_string_equal(g.t[0].f[0].file, "/tmp/the_last.py");
		assert_int_equal(g.t[0].f[0].line, 54);
		/* the other frames (non-ASCII names, read ahead in full) are as the image says */
		assert_int_equal(g.t[0].depth, 5);
		expect_frame(&g.t[0].f[1], "f_𠀀", is27(&im) ? "/tmp/café.py" : "/tmp/日本語.py", 43);
		expect_frame(&g.t[0].f[4], "main", "app.py", 12);
		expect_frame(&g.t[1].f[0], Q(&im, "spin", "Spin.spin"), "app.py", 72);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/* The address of the top-frame pointer of a thread (through the cframe on 3.11/3.12). */
static uint64_t top_slot(struct img *im, uint64_t ts)
{
	const struct py_offsets *o = &im->o;
	uint64_t cf;

	if (o->tstate.frame != N)
		return ts + o->tstate.frame;
	if (o->tstate.current_frame != N)
		return ts + o->tstate.current_frame;
	memcpy(&cf, fakemem_ptr(&im->m, ts + o->tstate.cframe, 8), 8);
	return cf + o->tstate.cframe_current_frame;
}

/* Put frame f (a worker frame of code c) at bytecode offset addrq. */
static void set_addrq(struct img *im, uint64_t f, uint64_t c, int addrq)
{
	const struct py_offsets *o = &im->o;

	if (o->frames == PY_FRAMES_OBJECT)
		fakemem_w32(&im->m, f + o->frame.lasti, (uint32_t)(addrq / o->frame.lasti_unit));
	else
		fakemem_w64(&im->m, f + o->iframe.instr_ptr,
			    c + (uint64_t)o->code.code_adaptive + (uint64_t)(int64_t)addrq);
}

static struct unwinder *warm_unwinder(struct img *im, struct got *g, struct unwind_stats *st)
{
	struct unwinder *u;

	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	g->st = strtab__new();
	u = unwinder__new(&im->r, &im->loc, &im->o, g->st, 64);
	assert_non_null(u);
	for (int i = 0; i < 3; i++) {
		g->n = 0;
		assert_int_equal(unwinder__sample(u, collect, g, st), 0);
	}
	return u;
}

/* Once warm, a sample is one batched read, and what it reports is exact. */
static void unwind_sample__warm__one_batched_read_exact_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;

		build(&im, versions[i]);
		u = warm_unwinder(&im, &g, &st);
		for (int k = 0; k < 3; k++) {
			im.m.reads = im.m.readvs = 0;
			g.n = 0;
			assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
			assert_int_equal(im.m.readvs, 1);
			assert_int_equal(im.m.reads, 0);
			check_full_sample(&im, &g);
		}
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/*
 * A caller's ranges ride in the sample's batched read: still one call, their bytes and
 * results handed back before the sample returns; an unreadable one fails alone.
 */
static void unwind_ride__in_the_same_read__results_per_range(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t want, got = 0, bad = 0;
		struct remote_iov iov[2];
		int res[2];

		build(&im, versions[i]);
		u = warm_unwinder(&im, &g, &st);
		uint64_t mine = fakemem_alloc(&im.m, 8);

		want = 0x1122334455667788ull;
		fakemem_w64(&im.m, mine, want);
		iov[0] = (struct remote_iov){ mine, &got, sizeof(got) };
		unwinder__ride(u, iov, 1, res);
		assert_int_equal(res[0], -EAGAIN);	/* not read yet */
		im.m.reads = im.m.readvs = 0;
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(im.m.readvs, 1);
		assert_int_equal(im.m.reads, 0);
		assert_int_equal(res[0], 0);
		assert_true(got == want);
		check_full_sample(&im, &g);
		/* an unmapped range: it fails, the sample does not */
		iov[1] = (struct remote_iov){ 0x10, &bad, sizeof(bad) };
		unwinder__ride(u, iov, 2, res);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(res[0], 0);
		assert_int_equal(res[1], -EFAULT);
		check_full_sample(&im, &g);
		/* consumed: the next sample reads no ranges of the caller's */
		res[0] = res[1] = 7;
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(res[0], 7);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/* Without a batched read in the reader, the same samples (one read per planned range). */
static void unwind_sample__reader_without_readv__same_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;

		build(&im, versions[i]);
		im.r.ops = &fakemem_ops_noreadv;
		u = warm_unwinder(&im, &g, &st);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		check_full_sample(&im, &g);
		assert_int_equal(im.m.readvs, 0);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/* The plan is a list of addresses, not of values: a stack that moved is read fresh. */
static void unwind_sample__stack_changes_when_warm__fresh_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		size_t n;

		build(&im, versions[i]);
		u = warm_unwinder(&im, &g, &st);
		n = im.nworker_frames;
		/* naïve_f returned; f_𠀀 moved on from offset 12 (line 43) to 20 (line 45) */
		fakemem_w64(&im.m, top_slot(&im, im.ts_worker), im.worker_frames[n - 2]);
		set_addrq(&im, im.worker_frames[n - 2], im.code_of[n - 2], 20);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.t[0].depth, 4);
		assert_string_equal(g.t[0].f[0].name, "f_𠀀");
		assert_int_equal(g.t[0].f[0].line, 45);
		assert_int_equal(g.t[0].f[3].line, 12);
		/* and back: the frame above is there again, at a new offset (line 56) */
		fakemem_w64(&im.m, top_slot(&im, im.ts_worker), im.worker_frames[n - 1]);
		set_addrq(&im, im.worker_frames[n - 1], im.code_of[n - 1], 24);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_int_equal(g.t[0].depth, 5);
		expect_frame(&g.t[0].f[0], Q(&im, "naïve_f", "Klass.naïve_f"), "app.py", 56);
		assert_int_equal(g.t[0].f[1].line, 45);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/*
 * Between checks a cached code object is trusted (set_code_recheck's window), except
 * that a 3.11+ instruction outside its bytecode, or a moved 3.14 code-object generation,
 * makes it checked at once.
 */
static void unwind_sample__code_recheck_window__trusted_until_a_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t c;
		size_t n;

		build(&im, versions[i]);
		/*
		 * The innermost frame runs a code object alone on its pages, so that no other
		 * planned range brings its header into the batch for free.
		 */
		n = im.nworker_frames;
		fakemem_alloc(&im.m, 8192);
		c = make_code(&im, "naïve_f", "Klass.naïve_f", "app.py", 1, 50, 0);
		fakemem_alloc(&im.m, 8192);
		if (im.o.frames == PY_FRAMES_OBJECT)
			fakemem_w64(&im.m, im.worker_frames[n - 1] + im.o.frame.code, c);
		else
			fakemem_w64(&im.m, im.worker_frames[n - 1] + im.o.iframe.executable,
				    c | (im.o.iframe.tag_mask & 1));
		set_addrq(&im, im.worker_frames[n - 1], c, 16);
		u = warm_unwinder(&im, &g, &st);
		check_full_sample(&im, &g);
		unwinder__set_code_recheck(u, 3600ull * 1000000000ull);
		fakemem_w64(&im.m, c + im.o.code.name, make_str(&im, "other", 0));
		if (im.o.code.qualname != N)
			fakemem_w64(&im.m, c + im.o.code.qualname, make_str(&im, "Other.other", 0));
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_string_equal(g.t[0].f[0].name, Q(&im, "naïve_f", "Klass.naïve_f"));

		if (im.o.interp.code_object_generation != N)	/* a code object was freed */
			fakemem_w64(&im.m, im.interp + im.o.interp.code_object_generation, 7);
		else if (im.o.frames == PY_FRAMES_INTERP)	/* beyond 32 code units */
			set_addrq(&im, im.worker_frames[n - 1], c, 200);
		else
			unwinder__set_code_recheck(u, 0);
		g.n = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		assert_string_equal(g.t[0].f[0].name, Q(&im, "other", "Other.other"));
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

/*
 * A planned range that became unreadable (a thread state freed with its page) costs one
 * more call in one sample, leaves the sample exact, and leaves the plan.
 */
static void unwind_sample__planned_range_unmapped__exact_then_replanned(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct img im;
		struct got g;
		struct unwind_stats st;
		struct unwinder *u;
		uint64_t lo, extra;

		build(&im, versions[i]);
		memset(&g, 0, sizeof(g));
		memset(&st, 0, sizeof(st));
		g.st = strtab__new();
		u = unwinder__new(&im.r, &im.loc, &im.o, g.st, 64);
		assert_non_null(u);
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		/* a third thread, with no Python frame, alone on its pages */
		fakemem_alloc(&im.m, 8192);
		lo = im.m.base + im.m.used;
		extra = make_tstate(&im, 0, getpid());
		fakemem_alloc(&im.m, 8192);
		fakemem_w64(&im.m, extra + im.o.tstate.next, im.ts_worker);
		fakemem_w64(&im.m, im.interp + im.o.interp.threads_head, extra);
		for (int k = 0; k < 3; k++) {
			g.n = 0;
			assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
			assert_int_equal(g.n, 3);
		}
		/* it exits: out of the list, its memory gone */
		fakemem_w64(&im.m, im.interp + im.o.interp.threads_head, im.ts_worker);
		im.m.hole_lo = lo;
		im.m.hole_hi = lo + 8192;
		g.n = 0;
		im.m.reads = im.m.readvs = 0;
		assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
		check_full_sample(&im, &g);
		assert_true(im.m.readvs <= 2);	/* stopped at the hole, then the rest */
		for (int k = 0; k < 2; k++) {
			g.n = 0;
			im.m.reads = im.m.readvs = 0;
			assert_int_equal(unwinder__sample(u, collect, &g, &st), 0);
			check_full_sample(&im, &g);
			assert_int_equal(im.m.readvs, 1);
			assert_int_equal(im.m.reads, 0);
		}
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			assert_int_equal(st.drops[d], 0);
		unwinder__free(u);
		got_release(&g);
		release(&im);
	}
}

static void unwind_sample__process_gone__returns_esrch(void **state)
{
	struct img im;
	struct got g;
	struct unwind_stats st;

	(void)state;
	build(&im, PY_VER(3, 11));
	im.m.gone = 1;
	assert_int_equal(sample(&im, 64, &g, &st), -ESRCH);
	got_release(&g);
	release(&im);
}

static void unwind_sample__thread_list_loop__counts_threads_drop(void **state)
{
	struct img im;
	struct got g;
	struct unwind_stats st;

	(void)state;
	build(&im, PY_VER(3, 9));
	fakemem_w64(&im.m, im.ts_main + im.o.tstate.next, im.ts_worker);
	assert_int_equal(sample(&im, 64, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(st.drops[UNWIND_DROP_THREADS], 1);
	got_release(&g);
	release(&im);
}

/* Found by fuzz_unwind: looking for the TID's offset walked a loop of pthread-less threads forever. */
static void unwind_sample__thread_loop_without_pthreads__terminates(void **state)
{
	struct img im;
	struct got g;
	struct unwind_stats st;

	(void)state;
	build(&im, PY_VER(3, 9));
	fakemem_w64(&im.m, im.ts_main + im.o.tstate.next, im.ts_worker);
	fakemem_w64(&im.m, im.ts_main + im.o.tstate.thread_id, 0);
	fakemem_w64(&im.m, im.ts_worker + im.o.tstate.thread_id, 0);
	assert_int_equal(sample(&im, 64, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(st.drops[UNWIND_DROP_THREADS], 1);
	got_release(&g);
	release(&im);
}

static void unwind_drop__name__names_every_cause(void **state)
{
	(void)state;
	assert_string_equal(unwind_drop__name(UNWIND_DROP_CYCLE), "cycle");
	assert_string_equal(unwind_drop__name(UNWIND_DROP_BADCODE), "badcode");
	for (int d = 0; d < UNWIND_DROP__COUNT; d++)
		assert_string_not_equal(unwind_drop__name((enum unwind_drop)d), "unknown");
}

/* --- py_offsets ----------------------------------------------------------------------- */

static void py_offsets_table__every_builtin_version__present(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(versions) && versions[i] < PY_VER(3, 13); i++) {
		const struct py_offsets *o = py_offsets__table(versions[i]);

		assert_non_null(o);
		assert_int_equal(o->version, versions[i]);
	}
	assert_null(py_offsets__table(PY_VER(3, 13)));
	assert_null(py_offsets__table(PY_VER(3, 5)));
	assert_int_equal(py_offsets__table(PY_VER(3, 10))->frame.lasti_unit, 2);
	assert_int_equal(py_offsets__table(PY_VER(3, 12))->iframe.shim_owner_min, 3);
}

/* --version's list: every table, then every debug-offsets layout, ascending, no gaps. */
static void py_offsets_versions__tables_then_layouts__ascending(void **state)
{
	unsigned v[PY_OFFSETS_MAX_VERSIONS];
	size_t n = py_offsets__versions(v, ARRAY_SIZE(v));

	(void)state;
	assert_true(n >= 11);		/* 2.7, 3.6-3.15 */
	assert_int_equal(v[0], PY_VER(2, 7));
	assert_int_equal(v[1], PY_VER(3, 6));
	assert_int_equal(v[n - 1], py_offsets__newest());
	for (size_t i = 2; i < n; i++)
		assert_int_equal(v[i], v[i - 1] + 1);
	for (size_t i = 0; i < n && v[i] <= PY_VER(3, 12); i++)
		assert_non_null(py_offsets__table(v[i]));
	/* a short buffer is filled, not overrun */
	assert_int_equal(py_offsets__versions(v, 2), 2);
	assert_int_equal(v[1], PY_VER(3, 6));
}

static void py_offsets_from_debug__314_blob__tags_and_owners(void **state)
{
	uint8_t b[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;

	(void)state;
	make_blob(b, sizeof(b), dbg314, ARRAY_SIZE(dbg314));
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.version, PY_VER(3, 14));
	assert_int_equal(o.iframe.tag_mask, 3);
	assert_int_equal(o.iframe.owner, 74);
	assert_int_equal(o.iframe.size, 88);
	assert_int_equal(o.code.code_adaptive, 208);
	assert_int_equal(o.code.firsttraceable, 192);
	assert_int_equal(o.runtime.interpreters_head, 808);
	assert_int_equal(o.interp.next, 7272);
	assert_int_equal(o.interp.code_object_generation, 7968);
	assert_int_equal(o.interp.gc_collecting, 7408 + 192);
	assert_int_equal(o.runtime.gc_collecting, N);
	assert_int_equal(o.gil.locked, 16);
	assert_int_equal(o.gil.last_holder, 8);
	assert_int_equal(o.tstate.holds_gil, 36);
	assert_int_equal(o.obj.str_compact_data, 56);
	assert_int_equal(o.obj.str_kind_shift, 2);
	assert_int_equal(o.iframe.tlbc_index, N);

	/* 3.14t: tag bit 0 only, moved str state bits, thread-local bytecode */
	blob_set(b, 16, 1);
	blob_set(b, 304, 72);
	blob_set(b, 392, 224);
	blob_set(b, 384, 232);
	blob_set(b, 312, 240);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.free_threaded, 1);
	assert_int_equal(o.iframe.tag_mask, 1);
	assert_int_equal(o.obj.str_kind_shift, 8);
	assert_int_equal(o.obj.str_compact_bit, 11);
	assert_int_equal(o.obj.str_ascii_bit, 12);
	assert_int_equal(o.iframe.tlbc_index, 72);
	assert_int_equal(o.code.tlbc, 224);
	assert_int_equal(o.code.firsttraceable, 208);
}

/* 3.15: holds_gil and sizeof(PyCompactUnicodeObject) come from the struct itself. */
static void py_offsets_from_debug__315_blob__fields_moved_after_thread_state(void **state)
{
	uint8_t b[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;

	(void)state;
	make_blob(b, sizeof(b), dbg315, ARRAY_SIZE(dbg315));
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.version, PY_VER(3, 15));
	assert_int_equal(py_offsets__newest(), PY_VER(3, 15));
	assert_int_equal(o.runtime.interpreters_head, 936);
	assert_int_equal(o.interp.threads_head, 7336);
	assert_int_equal(o.interp.code_object_generation, 7944);
	assert_int_equal(o.interp.gc_collecting, 7400 + 112);	/* gc group moved to 752 */
	assert_int_equal(o.gil.locked, 7752 - 7736);
	assert_int_equal(o.gil.last_holder, 7744 - 7736);
	assert_int_equal(o.tstate.size, 888);
	assert_int_equal(o.tstate.current_frame, 72);
	assert_int_equal(o.tstate.thread_id, 176);
	assert_int_equal(o.tstate.native_thread_id, 184);
	assert_int_equal(o.tstate.datastack_chunk, 256);
	assert_int_equal(o.tstate.status, 32);
	assert_int_equal(o.tstate.holds_gil, 36);
	assert_int_equal(o.tstate.holds_gil_bit, -1);
	assert_int_equal(o.iframe.size, 88);
	assert_int_equal(o.iframe.owner, 74);
	assert_int_equal(o.iframe.tag_mask, 3);
	assert_int_equal(o.iframe.tlbc_index, N);
	assert_int_equal(o.code.code_adaptive, 208);
	assert_int_equal(o.code.firsttraceable, 192);
	assert_int_equal(o.obj.str_ascii_data, 40);
	assert_int_equal(o.obj.str_compact_data, 56);

	/* the compact size is checked like any other field */
	blob_set(b, 744, 32);		/* smaller than PyASCIIObject */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 744, 64);		/* data.any would lie past PyUnicodeObject */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 744, 56);
	blob_set(b, 272, 888 - 2);	/* holds_gil, an int, past the thread state */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 272, 36);

	/* gc.collecting outside the gc state: no <GC> frames, the process still profiled */
	blob_set(b, 760, 176 - 2);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.interp.gc_collecting, N);
	blob_set(b, 760, 112);
	blob_set(b, 88, 226240 - 100);	/* the gc state past the interpreter's end */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.interp.gc_collecting, N);
	blob_set(b, 88, 7400);

	/* a free-threaded 3.15 keeps the tag mask of 3 (Py_TAG_BITS in every build) */
	blob_set(b, 16, 1);
	blob_set(b, 368, 72);
	blob_set(b, 456, 224);
	blob_set(b, 448, 232);
	blob_set(b, 376, 240);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.iframe.tag_mask, 3);
	assert_int_equal(o.obj.str_kind_shift, 8);
	assert_int_equal(o.code.tlbc, 224);
	assert_int_equal(o.tstate.holds_gil, 36);
}

/*
 * A minor newer than every row is refused, even where the newest field list would read
 * it without complaint: 3.15's own bytes relabelled 3.16 pass every plausibility check,
 * which is why they are not to be trusted.
 */
static void py_offsets_from_debug__newer_minor__enotsup_not_guessed(void **state)
{
	uint8_t b[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;

	(void)state;
	make_blob(b, sizeof(b), dbg315, ARRAY_SIZE(dbg315));
	blob_set(b, 8, 0x031000f0);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -ENOTSUP);
	blob_set(b, 8, 0x031400a1);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -ENOTSUP);
}

static void py_offsets_from_debug__bad_input__rejected(void **state)
{
	uint8_t b[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;

	(void)state;
	make_blob(b, sizeof(b), dbg313, ARRAY_SIZE(dbg313));
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(py_offsets__from_debug(b, 300, &o), -EINVAL);	/* short */
	b[0] = 'y';
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	b[0] = 'x';
	blob_set(b, 264, 5000);		/* owner beyond the frame */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 264, 70);
	blob_set(b, 152, 1ULL << 40);	/* absurd tstate size */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 152, 304);
	blob_set(b, 8, 0x031000a0);	/* 3.16: layout unknown */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -ENOTSUP);
	blob_set(b, 8, 0x020700f0);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
}

/* Found by fuzz_unwind: each field must fit inside its struct, not only start there. */
static void py_offsets_from_debug__field_past_struct_end__rejected(void **state)
{
	uint8_t b[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;

	(void)state;
	make_blob(b, sizeof(b), dbg313, ARRAY_SIZE(dbg313));
	blob_set(b, 288, 208 - 4);	/* co_name: its last 4 bytes beyond the code object */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 288, 208 - 8);	/* the last 8 bytes: fine */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	blob_set(b, 288, 120);
	blob_set(b, 192, 304 - 1);	/* tstate thread_id */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 192, 152);
	blob_set(b, 544, 64 - 2);	/* str state, a u32 */
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);

	/* 3.14t: _co_firsttraceable sits 16 bytes before co_tlbc, inside the object */
	make_blob(b, sizeof(b), dbg314, ARRAY_SIZE(dbg314));
	blob_set(b, 16, 1);		/* as py_offsets_from_debug__314_blob__tags_and_owners */
	blob_set(b, 304, 72);
	blob_set(b, 384, 232);
	blob_set(b, 312, 240);
	blob_set(b, 392, 8);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), -EINVAL);
	blob_set(b, 392, 224);
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	assert_int_equal(o.code.firsttraceable, 208);
}

/* Minimal ELF64 reading: find section name's file bytes. */
static int elf_section_bytes(const char *path, const char *name, uint8_t *out, size_t len)
{
	int fd = open(path, O_RDONLY), ret = -1;
	uint8_t eh[64], sh[64];
	uint64_t shoff, stroff;
	uint16_t shentsize, shnum, shstrndx;

	if (fd < 0)
		return -1;
	if (pread(fd, eh, 64, 0) != 64 || memcmp(eh, "\177ELF", 4) || eh[4] != 2)
		goto out;
	memcpy(&shoff, eh + 40, 8);
	memcpy(&shentsize, eh + 58, 2);
	memcpy(&shnum, eh + 60, 2);
	memcpy(&shstrndx, eh + 62, 2);
	if (shentsize != 64 || pread(fd, sh, 64, (off_t)(shoff + 64ULL * shstrndx)) != 64)
		goto out;
	memcpy(&stroff, sh + 24, 8);
	for (unsigned i = 0; i < shnum; i++) {
		uint32_t nameoff;
		uint64_t off;
		char nm[32] = "";

		if (pread(fd, sh, 64, (off_t)(shoff + 64ULL * i)) != 64)
			goto out;
		memcpy(&nameoff, sh, 4);
		if (pread(fd, nm, sizeof(nm) - 1, (off_t)(stroff + nameoff)) <= 0)
			continue;
		if (strcmp(nm, name))
			continue;
		memcpy(&off, sh + 24, 8);
		ret = pread(fd, out, len, (off_t)off) == (ssize_t)len ? 0 : -1;
		break;
	}
out:
	close(fd);
	return ret;
}

static void py_offsets_from_debug__real_libpython313__matches_reference(void **state)
{
	char pat[4200], root[4096] = "";
	uint8_t b[584];
	struct py_offsets o;
	glob_t g;
	FILE *p = popen("pyenv root 2>/dev/null", "r");
	int found = 0;

	(void)state;
	if (p) {
		if (fgets(root, sizeof(root), p))
			root[strcspn(root, "\n")] = 0;
		pclose(p);
	}
	if (!root[0] && getenv("HOME"))
		snprintf(root, sizeof(root), "%s/.pyenv", getenv("HOME"));
	snprintf(pat, sizeof(pat), "%s/versions/3.13*/lib/libpython3.13.so.1.0", root);
	if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc &&
	    elf_section_bytes(g.gl_pathv[0], ".PyRuntime", b, sizeof(b)) == 0)
		found = 1;
	globfree(&g);
	if (!found)
		skip();
	assert_int_equal(py_offsets__from_debug(b, sizeof(b), &o), 0);
	/* the reference's values (debugoffsets_313_from_elf.json) */
	assert_int_equal(o.version, PY_VER(3, 13));
	assert_int_equal(o.free_threaded, 0);
	assert_int_equal(o.runtime.interpreters_head, 632);
	assert_int_equal(o.runtime.finalizing, 608);
	assert_int_equal(o.interp.next, 7264);
	assert_int_equal(o.interp.threads_head, 7344);
	assert_int_equal(o.interp.id, 7272);
	assert_int_equal(o.interp.ceval_gil, 16);
	assert_int_equal(o.gil.last_holder, 7760 - 7752);
	assert_int_equal(o.gil.locked, 7768 - 7752);
	assert_int_equal(o.tstate.size, 304);
	assert_int_equal(o.tstate.next, 8);
	assert_int_equal(o.tstate.current_frame, 72);
	assert_int_equal(o.tstate.thread_id, 152);
	assert_int_equal(o.tstate.native_thread_id, 160);
	assert_int_equal(o.tstate.datastack_chunk, 232);
	assert_int_equal(o.tstate.status, 32);
	assert_int_equal(o.tstate.holds_gil_bit, 5);
	assert_int_equal(o.iframe.size, 80);
	assert_int_equal(o.iframe.previous, 8);
	assert_int_equal(o.iframe.executable, 0);
	assert_int_equal(o.iframe.instr_ptr, 56);
	assert_int_equal(o.iframe.owner, 70);
	assert_int_equal(o.iframe.tag_mask, 0);
	assert_int_equal(o.code.size, 208);
	assert_int_equal(o.code.filename, 112);
	assert_int_equal(o.code.name, 120);
	assert_int_equal(o.code.qualname, 128);
	assert_int_equal(o.code.linetable, 136);
	assert_int_equal(o.code.firstlineno, 68);
	assert_int_equal(o.code.code_adaptive, 200);
	assert_int_equal(o.code.firsttraceable, 184);
	assert_int_equal(o.obj.ob_type, 8);
	assert_int_equal(o.obj.bytes_size, 16);
	assert_int_equal(o.obj.bytes_data, 32);
	assert_int_equal(o.obj.str_state, 32);
	assert_int_equal(o.obj.str_length, 16);
	assert_int_equal(o.obj.str_ascii_data, 40);
	assert_int_equal(o.obj.str_compact_data, 56);
}

static void py_offsets_resolve__debug_offsets_in_memory__decoded(void **state)
{
	unsigned vs[] = { PY_VER(3, 13), PY_VER(3, 14), PY_VER(3, 15) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		struct img im;
		struct py_offsets o;

		build(&im, vs[i]);
		assert_int_equal(py_offsets__resolve(&im.r, &im.loc, &o), 0);
		assert_memory_equal(&o, &im.o, sizeof(o));
		/* no interpreter yet */
		fakemem_w64(&im.m, im.loc.runtime_addr + (uint64_t)o.runtime.interpreters_head, 0);
		assert_int_equal(py_offsets__resolve(&im.r, &im.loc, &o), -EAGAIN);
		release(&im);
	}
}

static void py_offsets_resolve__table_versions__check_interpreter(void **state)
{
	unsigned vs[] = { PY_VER(2, 7), PY_VER(3, 9), PY_VER(3, 12) };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++) {
		struct img im;
		struct py_offsets o;

		build(&im, vs[i]);
		assert_int_equal(py_offsets__resolve(&im.r, &im.loc, &o), 0);
		assert_int_equal(o.version, vs[i]);
		if (im.loc.interp_head_addr)
			fakemem_w64(&im.m, im.loc.interp_head_addr, 0);
		else
			fakemem_w64(&im.m, im.loc.runtime_addr +
				    (uint64_t)o.runtime.interpreters_head, 0);
		assert_int_equal(py_offsets__resolve(&im.r, &im.loc, &o), -EAGAIN);
		release(&im);
	}
	{
		struct img im;
		struct py_offsets o;

		build(&im, PY_VER(3, 9));
		im.loc.version = PY_VER(3, 5);
		assert_int_equal(py_offsets__resolve(&im.r, &im.loc, &o), -ENOTSUP);
		release(&im);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unwind_sample__every_version__exact_frames_gil_and_tids),
		cmocka_unit_test(py_offsets_from_debug__315_blob__fields_moved_after_thread_state),
		cmocka_unit_test(py_offsets_from_debug__newer_minor__enotsup_not_guessed),
		cmocka_unit_test(unwind_sample__gc_collecting__only_gil_holder_in_gc),
		cmocka_unit_test(unwind_sample__async_running_task__task_frames_under_its_name),
		cmocka_unit_test(unwind_sample__async_current_tasks__task_frames_under_its_name),
		cmocka_unit_test(unwind_sample__async_all_weakset__waiting_tasks_and_hostile_sets),
		cmocka_unit_test(unwind_sample__native_markers__call_opcode_marks_innermost),
		cmocka_unit_test(unwind_sample__exception__handled_one_marks_its_thread),
		cmocka_unit_test(unwind_sample__async_all__waiting_tasks_and_hostile_memory),
		cmocka_unit_test(py_offsets_from_async_debug__bad_input__rejected),
		cmocka_unit_test(unwind_sample__max_depth__keeps_innermost_and_flags_truncated),
		cmocka_unit_test(unwind_sample__frame_cycle__drops_thread_as_cycle),
		cmocka_unit_test(unwind_sample__wrong_code_type__drops_thread_as_badcode),
		cmocka_unit_test(unwind_sample__bad_string__drops_thread_as_badstr),
		cmocka_unit_test(unwind_sample__code_address_reused__sees_new_name),
		cmocka_unit_test(unwind_sample__string_address_reused__sees_new_text),
		cmocka_unit_test(unwind_sample__new_code_read_ahead__long_and_last_strings_exact),
		cmocka_unit_test(unwind_sample__warm__one_batched_read_exact_frames),
		cmocka_unit_test(unwind_ride__in_the_same_read__results_per_range),
		cmocka_unit_test(unwind_sample__reader_without_readv__same_frames),
		cmocka_unit_test(unwind_sample__stack_changes_when_warm__fresh_frames),
		cmocka_unit_test(unwind_sample__code_recheck_window__trusted_until_a_reason),
		cmocka_unit_test(unwind_sample__planned_range_unmapped__exact_then_replanned),
		cmocka_unit_test(unwind_sample__process_gone__returns_esrch),
		cmocka_unit_test(unwind_sample__thread_list_loop__counts_threads_drop),
		cmocka_unit_test(unwind_sample__thread_loop_without_pthreads__terminates),
		cmocka_unit_test(unwind_drop__name__names_every_cause),
		cmocka_unit_test(py_offsets_table__every_builtin_version__present),
		cmocka_unit_test(py_offsets_from_debug__314_blob__tags_and_owners),
		cmocka_unit_test(py_offsets_versions__tables_then_layouts__ascending),
		cmocka_unit_test(py_offsets_from_debug__bad_input__rejected),
		cmocka_unit_test(py_offsets_from_debug__field_past_struct_end__rejected),
		cmocka_unit_test(py_offsets_from_debug__real_libpython313__matches_reference),
		cmocka_unit_test(py_offsets_resolve__debug_offsets_in_memory__decoded),
		cmocka_unit_test(py_offsets_resolve__table_versions__check_interpreter),
	};

	return cmocka_run_group_tests(tests, start_helper, stop_helper);
}
