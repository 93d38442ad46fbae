/*
 * procmaps.c - parse /proc/PID/maps.
 *
 * A line looks like
 *
 *	7f80ada00000-7f80ada86000 r--p 00000000 fe:01 1234567    /path/with spaces/lib.so (deleted)
 *
 * The text is untrusted (it can come from a fixture or a hostile mount): a line that does not
 * have this shape is skipped, never half-parsed.  The path is everything after the inode and
 * its padding, up to the end of the line, so paths with spaces survive.
 */
#include "pyflame/procmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/util.h"

#define PROCMAPS_MAX_BYTES (64u << 20)	/* bigger than any sane maps file */
#define DELETED_SUFFIX " (deleted)"

/* Parse a hex number of at most 16 digits at *p; advance *p.  0 or -1. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (s < end) {
		int c = (unsigned char)*s, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (++n > 16)
			return -1;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (!n)
		return -1;
	*out = v;
	*p = s;
	return 0;
}

static int parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
		s++;
	}
	*out = v;
	*p = s;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/*
 * Parse one line [s, end) into *e; the path is returned as [*path, *path_len) inside the line.
 * 0, or -1 when malformed.
 */
static int parse_line(const char *s, const char *end, struct procmaps_entry *e,
		      const char **path, size_t *path_len)
{
	uint64_t maj, min;
	static const struct { char on; unsigned bit; } perm[4] = {
		{ 'r', PROCMAPS_R }, { 'w', PROCMAPS_W }, { 'x', PROCMAPS_X }, { 'p', PROCMAPS_P },
	};
	size_t i;

	memset(e, 0, sizeof(*e));
	if (parse_hex(&s, end, &e->start) || expect(&s, end, '-') ||
	    parse_hex(&s, end, &e->end) || expect(&s, end, ' '))
		return -1;
	if (e->end <= e->start || end - s < 4)
		return -1;
	for (i = 0; i < 4; i++, s++) {
		if (*s == perm[i].on)
			e->perms |= perm[i].bit;
		else if (!(*s == '-' || (i == 3 && *s == 's')))
			return -1;
	}
	if (expect(&s, end, ' ') || parse_hex(&s, end, &e->offset) || expect(&s, end, ' ') ||
	    parse_hex(&s, end, &maj) || expect(&s, end, ':') || parse_hex(&s, end, &min) ||
	    expect(&s, end, ' ') || parse_dec(&s, end, &e->inode))
		return -1;
	if (maj > 0xfffff || min > 0xfffff)
		return -1;
	e->dev_major = (unsigned)maj;
	e->dev_minor = (unsigned)min;
	if (s < end && *s != ' ' && *s != '\t')
		return -1;
	skip_spaces(&s, end);
	*path = s;
	*path_len = (size_t)(end - s);
	if (memchr(s, '\0', *path_len))
		return -1;
	if (*path_len >= sizeof(DELETED_SUFFIX) - 1 &&
	    !memcmp(end - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX,
		    sizeof(DELETED_SUFFIX) - 1)) {
		*path_len -= sizeof(DELETED_SUFFIX) - 1;
		e->deleted = 1;
	}
	return 0;
}

struct procmaps *procmaps__parse(const char *text, size_t len)
{
	struct procmaps *m = xcalloc(1, sizeof(*m));
	const char *p = text, *end = text + len;
	size_t alloc = 0, soff = 1, i;
	size_t *path_off = NULL;	/* offsets into m->strings, turned into pointers at the end */

	/*
	 * Each path and its NUL fit in the bytes of its own line (which has the address range
	 * in front), so len + 1 bytes hold them all after the shared "" at offset 0.
	 */
	m->strings = xmalloc(len + 1);
	m->strings[0] = '\0';
	while (p < end) {
		const char *line = p, *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct procmaps_entry e;
		const char *path;
		size_t plen, old = alloc;

		p = nl ? nl + 1 : end;
		if (parse_line(line, le, &e, &path, &plen))
			continue;
		xgrow((void **)&m->v, &alloc, m->n + 1, sizeof(*m->v));
		if (alloc != old)
			path_off = xrealloc(path_off, alloc * sizeof(*path_off));
		path_off[m->n] = plen ? soff : 0;
		memcpy(m->strings + soff, path, plen);
		soff += plen;
		if (plen)
			m->strings[soff++] = '\0';
		m->v[m->n++] = e;
	}
	for (i = 0; i < m->n; i++)
		m->v[i].path = m->strings + path_off[i];
	free(path_off);
	return m;
}

struct procmaps *procmaps__read(pid_t pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	struct procmaps *m;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = pf_read_file(path, &sb, PROCMAPS_MAX_BYTES);
	if (err) {
		strbuf_release(&sb);
		errno = err == -ENOENT ? ESRCH : -err;
		return NULL;
	}
	m = procmaps__parse(sb.buf, sb.len);
	strbuf_release(&sb);
	return m;
}

void procmaps__free(struct procmaps *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->strings);
	free(m);
}

const struct procmaps_entry *procmaps__find_addr(const struct procmaps *m, uint64_t addr)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return &m->v[i];
	return NULL;
}

const struct procmaps_entry *procmaps__find_base(const struct procmaps *m, const char *path)
{
	const struct procmaps_entry *best = NULL;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct procmaps_entry *e = &m->v[i];

		if (e->offset || strcmp(e->path, path))
			continue;
		if (!best || e->start < best->start)
			best = e;
	}
	return best;
}
