/* util.h - allocation, error reporting, string buffers, hashing. */
#ifndef PYFLAME_UTIL_H
#define PYFLAME_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PF_UNUSED __attribute__((unused))
#define PF_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Out of memory is fatal: these never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (an array of *alloc elements of size elem) to hold at least want elements. */
void xgrow(void **p, size_t *alloc, size_t want, size_t elem);

/*
 * Messages as git writes them: "pyflame: <message>: <strerror>".  pf_error() returns
 * err (a negative errno) so a caller can write "return pf_error(-errno, ...)";
 * err == 0 omits the strerror part.  pf_hint() prints "hint: ..." on its own line.
 */
int pf_error(int err, const char *fmt, ...) PF_PRINTF(2, 3);
void pf_warn(const char *fmt, ...) PF_PRINTF(1, 2);
void pf_hint(const char *fmt, ...) PF_PRINTF(1, 2);
void pf_info(const char *fmt, ...) PF_PRINTF(1, 2);	/* only when pf_verbose > 0 */
extern int pf_verbose;
extern int pf_quiet;

/*
 * A growable, always NUL-terminated byte buffer (git's strbuf).  buf is never NULL: an
 * empty strbuf (STRBUF_INIT, strbuf_init, after strbuf_release) points at a shared ""
 * that must not be written, so sb.buf can be read as a string at any time.  alloc == 0
 * says the buffer is not yet owned.  A strbuf must be initialised, not zero-filled.
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
extern char strbuf_slopbuf[];
#define STRBUF_INIT { strbuf_slopbuf, 0, 0 }
void strbuf_init(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) PF_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Give the buffer to the caller (never NULL); sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

uint64_t pf_hash64(const void *data, size_t len, uint64_t seed);
/*
 * xorshift64*: cheap pseudo-random numbers, for jitter and draws that need to be unrelated
 * to the program's rhythm, no more.  *state must not be 0.
 */
uint64_t pf_random(uint64_t *state);

/* Monotonic clock in nanoseconds. */
uint64_t pf_now_ns(void);

/* Read a whole small file (e.g. under /proc) into sb; 0 or -errno. max bounds the size. */
int pf_read_file(const char *path, struct strbuf *sb, size_t max);

/* Checked arithmetic helpers for untrusted sizes. */
static inline int pf_add_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out);
}

#endif
