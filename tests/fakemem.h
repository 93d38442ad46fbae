/* fakemem.h - a fake target address space behind struct remote_ops, for unit tests. */
#ifndef PYFLAME_TEST_FAKEMEM_H
#define PYFLAME_TEST_FAKEMEM_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/remote.h"

/* One contiguous mapping at base; reads outside [base, base + used) fail with -EFAULT. */
struct fakemem {
	uint64_t base;
	uint8_t *buf;
	size_t size, used;
	int gone;		/* reads fail with -ESRCH */
	unsigned long reads;	/* single reads served */
	unsigned long readvs;	/* batched reads (calls) */
	uint64_t hole_lo, hole_hi;	/* reads touching [hole_lo, hole_hi) fail with -EFAULT */
};

static inline void fakemem_init(struct fakemem *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->base = 0x7f1200000000ULL;
	m->buf = calloc(1, size);
	m->size = size;
}

static inline void fakemem_release(struct fakemem *m)
{
	free(m->buf);
	m->buf = NULL;
}

/* A zeroed block of len bytes, 16-aligned, with a gap after it. */
static inline uint64_t fakemem_alloc(struct fakemem *m, size_t len)
{
	size_t at = (m->used + 15) & ~(size_t)15;

	if (at + len + 32 > m->size)
		abort();
	m->used = at + len + 32;
	return m->base + at;
}

static inline uint8_t *fakemem_ptr(struct fakemem *m, uint64_t addr, size_t len)
{
	if (addr < m->base || addr - m->base + len > m->used)
		abort();
	return m->buf + (addr - m->base);
}

static inline void fakemem_w64(struct fakemem *m, uint64_t addr, uint64_t v)
{
	memcpy(fakemem_ptr(m, addr, 8), &v, 8);
}

static inline void fakemem_w32(struct fakemem *m, uint64_t addr, uint32_t v)
{
	memcpy(fakemem_ptr(m, addr, 4), &v, 4);
}

static inline void fakemem_w8(struct fakemem *m, uint64_t addr, uint8_t v)
{
	*fakemem_ptr(m, addr, 1) = v;
}

static inline void fakemem_wbytes(struct fakemem *m, uint64_t addr, const void *p, size_t n)
{
	if (n)
		memcpy(fakemem_ptr(m, addr, n), p, n);
}

static inline int fakemem_copy(struct fakemem *m, uint64_t addr, void *buf, size_t len)
{
	if (m->gone)
		return -ESRCH;
	if (addr < m->base || addr - m->base > m->used || len > m->used - (addr - m->base))
		return -EFAULT;
	if (len && addr < m->hole_hi && addr + len > m->hole_lo)
		return -EFAULT;
	memcpy(buf, m->buf + (addr - m->base), len);
	return 0;
}

static inline int fakemem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fakemem *m = ctx;
	int err = fakemem_copy(m, addr, buf, len);

	if (!err)
		m->reads++;
	return err;
}

/* As process_vm_readv: entries in order, stopping at the first that fails. */
static inline int fakemem_readv(void *ctx, const struct remote_iov *iov, size_t n)
{
	struct fakemem *m = ctx;
	size_t i;

	if (m->gone)
		return -ESRCH;
	m->readvs++;
	for (i = 0; i < n; i++)
		if (fakemem_copy(m, iov[i].addr, iov[i].buf, iov[i].len))
			break;
	return (int)i;
}

static const struct remote_ops fakemem_ops = {
	.name = "fake",
	.read = fakemem_read,
	.close = NULL,
	.readv = fakemem_readv,
};

/* The same memory without a batched read: remote__readv() falls back to read(). */
static const struct remote_ops fakemem_ops_noreadv = {
	.name = "fake-noreadv",
	.read = fakemem_read,
	.close = NULL,
	.readv = NULL,
};

static inline void fakemem_remote(struct fakemem *m, struct remote *r, pid_t pid)
{
	r->ops = &fakemem_ops;
	r->ctx = m;
	r->pid = pid;
}

#endif
