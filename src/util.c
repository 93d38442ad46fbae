/* util.c - allocation, messages, strbuf, hashing, small file reads. */
#include "pyflame/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int pf_verbose;
int pf_quiet;

static void die_oom(size_t n)
{
	fprintf(stderr, "pyflame: out of memory allocating %zu bytes\n", n);
	exit(125);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die_oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die_oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void xgrow(void **p, size_t *alloc, size_t want, size_t elem)
{
	size_t n = *alloc ? *alloc : 16;

	if (want <= *alloc)
		return;
	while (n < want) {
		if (n > SIZE_MAX / 2 / elem)
			die_oom(SIZE_MAX);
		n *= 2;
	}
	*p = xrealloc(*p, n * elem);
	*alloc = n;
}

static void vmsg(const char *prefix, int err, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	if (err)
		strbuf_addf(&sb, ": %s", strerror(err < 0 ? -err : err));
	strbuf_addch(&sb, '\n');
	/* One write, so lines from pyflame and its command do not interleave mid-line. */
	if (write(STDERR_FILENO, sb.buf, sb.len) < 0) {
		/* nothing sensible to do */
	}
	strbuf_release(&sb);
}

int pf_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("pyflame: ", err, fmt, ap);
	va_end(ap);
	return err;
}

void pf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("pyflame: warning: ", 0, fmt, ap);
	va_end(ap);
}

void pf_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint: ", 0, fmt, ap);
	va_end(ap);
}

void pf_info(const char *fmt, ...)
{
	va_list ap;

	if (pf_verbose <= 0)
		return;
	va_start(ap, fmt);
	vmsg("pyflame: ", 0, fmt, ap);
	va_end(ap);
}

/* What an empty strbuf points at: buf is never NULL (git's rule); never written but "". */
char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_slopbuf;
	sb->len = sb->alloc = 0;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	int fresh = !sb->alloc;

	if (want < sb->len)
		die_oom(SIZE_MAX);
	if (fresh)
		sb->buf = NULL;		/* the slop buffer is not ours to realloc */
	xgrow((void **)&sb->buf, &sb->alloc, want, 1);
	if (fresh)
		sb->buf[0] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	strbuf_add(sb, &ch, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	strbuf_grow(sb, 0);
	p = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb);
	return p;
}

/*
 * Eight bytes a step: each word is xored in and mixed by a multiply and a shift (one
 * dependent multiply per word, where a byte-wise FNV-1a takes eight), then a 64-bit
 * finaliser (splitmix) spreads the result to the low bits the tables index by.  Stacks
 * of 100 frames hash a 400-byte key on every sample.  Not a hash for hostile keys: the
 * tables hold what pyflame itself derived (ids, addresses) or probe linearly.
 */
uint64_t pf_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull), w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

uint64_t pf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pf_read_file(const char *path, struct strbuf *sb, size_t max)
{
	/* never blocks on a FIFO (a read of one gives EAGAIN): only files are read here */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	strbuf_reset(sb);
	while (sb->len < max) {
		size_t want = max - sb->len < 4096 ? max - sb->len : 4096;
		ssize_t n;

		strbuf_grow(sb, want);
		n = read(fd, sb->buf + sb->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	close(fd);
	return ret;
}

uint64_t pf_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ull;
}
