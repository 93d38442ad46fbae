/*
 * fakeimage.h - a target process image for fuzz_unwind, decoded from the fuzzer's input.
 *
 * Input layout (little-endian, short input reads as zeros):
 *
 *	u8  version		index into fakeimage_versions[] (mod its size)
 *	u8  flags		FAKEIMAGE_F_*
 *	u8  max_depth		1 + value % 16
 *	u8  samples		1 + value % 3: later samples run on warm caches
 *	u32 esrch_after		reads served before the process "exits" (0: never)
 *	u64 runtime_addr, interp_head_addr, tstate_current_addr,
 *	    code_type_addr, str_type_addr, bytes_type_addr	(struct pyruntime_loc)
 *	then regions until the input ends, at most FAKEIMAGE_MAX_REGIONS:
 *	u64 addr, u32 len	len & FAKEIMAGE_ZERO: (len & ~FAKEIMAGE_ZERO) zero bytes,
 *				capped at 1 MiB; else len bytes of data follow (clamped
 *				to what is left)
 *
 * A read succeeds when every byte of it lies in some region (adjacent regions join up;
 * where regions overlap the later one wins), else -EFAULT.  mkseed_unwind.c writes this
 * format from the unit tests' image builder.
 */
#ifndef PYFLAME_FUZZ_FAKEIMAGE_H
#define PYFLAME_FUZZ_FAKEIMAGE_H

#include "fuzz.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/remote.h"

#define FAKEIMAGE_MAX_REGIONS 256
#define FAKEIMAGE_ZERO 0x80000000u
#define FAKEIMAGE_ZERO_MAX (1u << 20)
#define FAKEIMAGE_F_PID 1u	/* remote pid = our pid: TID discovery reads /proc/self/task */
#define FAKEIMAGE_F_ASYNC 2u	/* 3.14+: --async on, with _asyncio's 3.14 task layout */
#define FAKEIMAGE_F_ASYNC_ALL 4u	/* with FAKEIMAGE_F_ASYNC: --async=all (task lists) */
#define FAKEIMAGE_F_EXC 8u	/* --mode exception: each thread's exception chain read */
#define FAKEIMAGE_HDR 56

static const unsigned fakeimage_versions[] = {
	PY_VER(2, 7), PY_VER(3, 6), PY_VER(3, 7), PY_VER(3, 8), PY_VER(3, 9), PY_VER(3, 10),
	PY_VER(3, 11), PY_VER(3, 12), PY_VER(3, 13), PY_VER(3, 14),
};

struct fakeimage_region {
	uint64_t addr, len;
	const uint8_t *data;	/* NULL: zeros */
};

struct fakeimage {
	struct fakeimage_region reg[FAKEIMAGE_MAX_REGIONS];
	size_t nreg;
	uint32_t esrch_after;
	uint64_t reads;
};

/* The last region holding addr, or NULL. */
static inline const struct fakeimage_region *fakeimage_find(const struct fakeimage *im,
							     uint64_t addr)
{
	for (size_t i = im->nreg; i-- > 0;) {
		const struct fakeimage_region *r = &im->reg[i];

		if (addr >= r->addr && addr - r->addr < r->len)
			return r;
	}
	return NULL;
}

static inline int fakeimage_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fakeimage *im = ctx;
	uint8_t *out = buf;

	if (im->esrch_after && im->reads >= im->esrch_after)
		return -ESRCH;
	im->reads++;
	if (addr + len < addr)
		return -EFAULT;
	while (len) {
		const struct fakeimage_region *r = fakeimage_find(im, addr);
		uint64_t at, n;

		if (!r)
			return -EFAULT;
		at = addr - r->addr;
		n = r->len - at < len ? r->len - at : len;
		if (r->data)
			memcpy(out, r->data + at, (size_t)n);
		else
			memset(out, 0, (size_t)n);
		out += n;
		addr += n;
		len -= (size_t)n;
	}
	return 0;
}

static const struct remote_ops fakeimage_ops = {
	.name = "fuzz",
	.read = fakeimage_read,
	.close = NULL,
};

static inline void fakeimage_parse_regions(struct fakeimage *im, struct fuzz_in *in)
{
	im->nreg = 0;
	while (in->left >= 12 && im->nreg < FAKEIMAGE_MAX_REGIONS) {
		struct fakeimage_region *r = &im->reg[im->nreg];
		uint32_t len;

		r->addr = fuzz_u64(in);
		len = fuzz_u32(in);
		if (len & FAKEIMAGE_ZERO) {
			len &= ~FAKEIMAGE_ZERO;
			r->len = len < FAKEIMAGE_ZERO_MAX ? len : FAKEIMAGE_ZERO_MAX;
			r->data = NULL;
		} else {
			r->len = len < in->left ? len : in->left;
			r->data = in->p;
			in->p += r->len;
			in->left -= r->len;
		}
		if (r->len && r->addr + r->len > r->addr)
			im->nreg++;
	}
}

#endif
