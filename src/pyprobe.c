/*
 * pyprobe.c - find the CPython runtime of a process from its ELF files alone.
 *
 * Candidates, in order: the executable, then every mapped file whose basename starts with
 * libpython[23].N (libpython3.12.so.1.0, libpython3.6m.so.1.0, libpython3.13t.so.1.0, ...;
 * never libpython3.so, the stable-ABI forwarder).  The first candidate that defines a runtime
 * symbol wins.  Its absolute addresses are load_bias + st_value, where load_bias is the start
 * of the file's offset-0 mapping minus its first PT_LOAD's aligned vaddr.
 *
 * Nothing here reads target memory.  The version comes, most reliable first, from
 *   1. Py_Version (3.11+): PY_VERSION_HEX as initialised data in the file,
 *   2. the _Py_DebugOffsets header at the start of .PyRuntime (3.13+), also file bytes,
 *   3. the file name: libpythonX.Y... or pythonX.Y...,
 *   4. a scan of .rodata and .data for the library directory name, a string "pythonX.Y" or
 *      ".../pythonX.Y" (getpath's "lib/python3.6", "python3.9"; 2.7 keeps "lib/python2.7" in
 *      .data).  The scan is only believed when every such string agrees and the version fits
 *      the symbols the file defines (see era_fits()).  Not PY_VERSION itself: the linker
 *      merges "3.9.18" into the tail of the install prefix string.
 */
#include "pyflame/pyprobe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/elf.h"
#include "pyflame/procmaps.h"
#include "pyflame/util.h"

#define SCAN_MAX_BYTES (64u << 20)	/* bound on the .rodata/.data scan */

/* Symbol values (unbiased) and facts about one candidate ELF file. */
struct pyelf {
	uint64_t runtime, interp_head, tstate_current;
	uint64_t code_type, str_type, bytes_type;
	int has_runtime_sym, has_runtime_section, has_py_version, has_string_type;
	int debug_build;
	unsigned version;
	uint32_t hexversion;
};

static int sym(const struct elf *e, const char *name, uint64_t *value)
{
	return elf__symbol(e, name, value, NULL) == 0;
}

/* "X.Y" at s (X one digit, Y one or two): PY_VER(X, Y), else 0. */
static unsigned parse_xy(const char *s)
{
	unsigned maj, min;

	if (s[0] < '0' || s[0] > '9' || s[1] != '.' || s[2] < '0' || s[2] > '9')
		return 0;
	maj = (unsigned)(s[0] - '0');
	min = (unsigned)(s[2] - '0');
	if (s[3] >= '0' && s[3] <= '9') {
		min = min * 10 + (unsigned)(s[3] - '0');
		if (s[4] >= '0' && s[4] <= '9')
			return 0;
	}
	return PY_VER(maj, min);
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* Is the basename libpython2.N... or libpython3.N...? */
static int is_libpython(const char *path)
{
	const char *b = basename_of(path);

	return !strncmp(b, "libpython", 9) && (b[9] == '2' || b[9] == '3') && b[10] == '.' &&
	       b[11] >= '0' && b[11] <= '9';
}

/* Version from a file name: libpythonX.Y... or pythonX.Y...; 0 when it does not say. */
static unsigned version_from_name(const char *path)
{
	const char *b = basename_of(path);

	if (!strncmp(b, "lib", 3))
		b += 3;
	if (strncmp(b, "python", 6))
		return 0;
	return parse_xy(b + 6);
}

/* Could a CPython of version v define the symbols p says this file defines? */
static int era_fits(const struct pyelf *p, unsigned v)
{
	int py2 = PY_VER_MAJOR(v) == 2;

	if (py2 != p->has_string_type)
		return 0;
	if ((p->has_runtime_sym || p->has_runtime_section) != (v >= PY_VER(3, 7)))
		return 0;
	if (p->has_runtime_section && v < PY_VER(3, 10))
		return 0;
	return !p->has_py_version || v >= PY_VER(3, 11);
}

/* Scan one section's file bytes for "pythonX.Y" strings; -1 on disagreement. */
static int scan_section(const struct elf *e, const char *name, unsigned *found)
{
	uint64_t addr, size;
	char *buf;
	size_t i, start;
	int ret = 0;

	if (elf__section(e, name, &addr, &size) || !size || size > SCAN_MAX_BYTES)
		return 0;
	buf = xmalloc((size_t)size + 1);
	if (elf__read_vaddr(e, addr, buf, (size_t)size))
		goto out_free;
	buf[size] = '\0';
	for (start = 0, i = 0; i <= size && ret == 0; i++) {
		const char *s = buf + start, *b;
		size_t n = i - start;
		unsigned v;

		if (buf[i])
			continue;
		start = i + 1;
		if (n < 9 || n > 4096)
			continue;
		/* the string is exactly "pythonX.Y" or ends in "/pythonX.Y" */
		b = strrchr(s, '/');
		b = b ? b + 1 : s;
		if (strncmp(b, "python", 6) || !(v = parse_xy(b + 6)) ||
		    strlen(b) != 6 + 3 + (PY_VER_MINOR(v) >= 10))
			continue;
		if (*found && *found != v)
			ret = -1;
		*found = v;
	}
out_free:
	free(buf);
	return ret;
}

static unsigned version_from_scan(const struct elf *e, const struct pyelf *p)
{
	unsigned v = 0;

	if (scan_section(e, ".rodata", &v) || scan_section(e, ".data", &v))
		return 0;
	return v && era_fits(p, v) ? v : 0;
}

/*
 * Fill *p from e (name: the file name as the process knows it).  0 if e holds a CPython
 * runtime (version possibly 0 = unknown), -ENOENT if it does not.
 */
static int inspect(const struct elf *e, const char *name, struct pyelf *p)
{
	uint64_t vaddr, size, hex = 0;
	unsigned char dbg[16];

	memset(p, 0, sizeof(*p));
	p->has_runtime_sym = sym(e, "_PyRuntime", &p->runtime);
	if (!elf__section(e, ".PyRuntime", &vaddr, &size) && size) {
		p->has_runtime_section = 1;
		if (!p->has_runtime_sym)
			p->runtime = vaddr;
	}
	if (!p->has_runtime_sym && !p->has_runtime_section) {
		sym(e, "interp_head", &p->interp_head);
		sym(e, "_PyThreadState_Current", &p->tstate_current);
		if (!p->interp_head && !p->tstate_current)
			return -ENOENT;
	}
	sym(e, "PyCode_Type", &p->code_type);
	{
		uint64_t unused;

		/* Py_REF_DEBUG (implied by Py_DEBUG) exports this in every version */
		p->debug_build = sym(e, "_Py_NegativeRefcount", &unused);
	}
	p->has_string_type = sym(e, "PyString_Type", &p->str_type);
	if (p->has_string_type) {
		p->bytes_type = p->str_type;
	} else {
		sym(e, "PyUnicode_Type", &p->str_type);
		sym(e, "PyBytes_Type", &p->bytes_type);
	}

	/* 1. Py_Version: a u32 PY_VERSION_HEX (an unsigned long, low half first). */
	if (!elf__symbol(e, "Py_Version", &vaddr, &size) && size >= 4) {
		uint32_t v;

		p->has_py_version = 1;
		if (!elf__read_vaddr(e, vaddr, &v, sizeof(v)))
			hex = v;
	}
	/* 2. _Py_DebugOffsets: "xdebugpy", then u64 PY_VERSION_HEX. */
	if (!hex && p->runtime && !elf__read_vaddr(e, p->runtime, dbg, sizeof(dbg)) &&
	    !memcmp(dbg, "xdebugpy", 8)) {
		memcpy(&hex, dbg + 8, sizeof(hex));
		if (hex >> 32)
			hex = 0;
	}
	if (hex >> 24 >= 2 && hex >> 24 <= 3) {
		p->hexversion = (uint32_t)hex;
		p->version = PY_VER((unsigned)(hex >> 24), (unsigned)(hex >> 16 & 0xff));
		return 0;
	}
	/* 3. The file name, then 4. a verified scan. */
	p->version = version_from_name(name);
	if (!p->version)
		p->version = version_from_scan(e, p);
	return 0;
}

/*
 * Release builds of every version; debug builds (Py_DEBUG) only where their layout is
 * known: 3.13+ describe themselves through _Py_DebugOffsets, and a 3.11 debug build has
 * the release layout (checked live against Debian's python3.11-dbg).  Older debug builds
 * change struct layouts (2.7-3.7 also add two pointers to every object header).
 */
static int supported(unsigned v, int debug_build)
{
	if (v != PY_VER(2, 7) && (v < PY_VER(3, 6) || v > py_offsets__newest()))
		return 0;
	return !debug_build || v == PY_VER(3, 11) || v >= PY_VER(3, 13);
}

static void fill_loc(struct pyruntime_loc *loc, const struct pyelf *p, const char *binary,
		     uint64_t bias)
{
#define BIAS(x) ((x) ? (x) + bias : 0)
	memset(loc, 0, sizeof(*loc));
	snprintf(loc->binary, sizeof(loc->binary), "%s", binary);
	loc->load_bias = bias;
	loc->version = p->version;
	loc->hexversion = p->hexversion;
	loc->runtime_addr = BIAS(p->runtime);
	loc->interp_head_addr = BIAS(p->interp_head);
	loc->tstate_current_addr = BIAS(p->tstate_current);
	loc->code_type_addr = BIAS(p->code_type);
	loc->str_type_addr = BIAS(p->str_type);
	loc->bytes_type_addr = BIAS(p->bytes_type);
	loc->debug_build = p->debug_build;
#undef BIAS
}

/*
 * What inspect() concluded about a file, remembered by the file's identity: device, inode,
 * size, modification and change times of the file as opened, and the name a version may
 * come from.  Every process a fork-heavy command starts is probed once (a shell, each
 * python), and parsing the same executable again costs 0.1-0.6 ms, most of it mapping it
 * and the TLB flush of unmapping it.  A file changed in place gets a new change time; one
 * replaced gets a new inode.
 *
 * Change times are as coarse as the kernel's clock tick, so a file rewritten twice within
 * one tick can keep its times (git's "racily clean" entries).  A file whose change time is
 * less than MEMO_SETTLE_NS before now is therefore read every time and not remembered.
 * The table is small and per process (pyflame's sampler is one thread).
 */
#define MEMO_SLOTS	16
#define MEMO_SETTLE_NS	2000000000LL

struct probed {
	int err;		/* inspect(): 0 or -ENOENT */
	int vaddr_err;		/* elf__first_load_vaddr() */
	uint64_t first_vaddr;
	struct pyelf p;
};

struct memo {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char *name;		/* NULL: a free slot */
	uint64_t used;		/* memo_clock when last found or stored */
	struct probed r;
};

static struct memo memo[MEMO_SLOTS];
static uint64_t memo_clock;
static struct pyprobe_memo_stats memo_stats;

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static struct memo *memo_find(const struct stat *st, const char *name)
{
	for (size_t i = 0; i < MEMO_SLOTS; i++) {
		struct memo *m = &memo[i];

		if (m->name && m->dev == st->st_dev && m->ino == st->st_ino &&
		    m->size == st->st_size && same_time(&m->mtime, &st->st_mtim) &&
		    same_time(&m->ctime, &st->st_ctim) && !strcmp(m->name, name))
			return m;
	}
	return NULL;
}

/* Has st's file kept its change time long enough to be told apart from its next one? */
static int memo_settled(const struct stat *st)
{
	struct timespec now;
	int64_t age;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	age = (int64_t)(now.tv_sec - st->st_ctim.tv_sec) * 1000000000LL +
	      (now.tv_nsec - st->st_ctim.tv_nsec);
	return age >= MEMO_SETTLE_NS;
}

static void memo_store(const struct stat *st, const char *name, const struct probed *r)
{
	struct memo *m = &memo[0];

	for (size_t i = 1; i < MEMO_SLOTS && m->name; i++)
		if (!memo[i].name || memo[i].used < m->used)
			m = &memo[i];
	free(m->name);
	m->name = strdup(name);
	if (!m->name)
		return;
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = st->st_size;
	m->mtime = st->st_mtim;
	m->ctime = st->st_ctim;
	m->used = ++memo_clock;
	m->r = *r;
}

/*
 * inspect() and elf__first_load_vaddr() of the file open as fd (closed here), from memory
 * when the same file was seen before.  0 with *r filled (r->err says what inspect() found),
 * or -errno when the file cannot be read as ELF.
 */
static int probe_fd(int fd, const char *name, struct probed *r)
{
	struct stat st;
	struct memo *m;
	struct elf *e;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	m = memo_find(&st, name);
	if (m) {
		close(fd);
		m->used = ++memo_clock;
		*r = m->r;
		memo_stats.hits++;
		return 0;
	}
	e = elf__from_fd(fd);
	if (!e)
		return -errno;
	memset(r, 0, sizeof(*r));
	r->vaddr_err = elf__first_load_vaddr(e, &r->first_vaddr);
	r->err = inspect(e, name, &r->p);
	elf__free(e);
	memo_stats.reads++;
	if (memo_settled(&st))
		memo_store(&st, name, r);
	return 0;
}

void pyprobe__memo_stats(struct pyprobe_memo_stats *out)
{
	*out = memo_stats;
}

void pyprobe__memo_clear(void)
{
	for (size_t i = 0; i < MEMO_SLOTS; i++) {
		free(memo[i].name);
		memo[i].name = NULL;
	}
	memset(&memo_stats, 0, sizeof(memo_stats));
}

int pyprobe__inspect_file(const char *path, const char *name, struct pyruntime_loc *loc)
{
	struct probed r;
	int err = probe_fd(elf__open_fd(path), name ? name : path, &r);

	if (err)
		return err;
	if (r.err)
		return r.err;
	fill_loc(loc, &r.p, path, 0);
	return supported(r.p.version, r.p.debug_build) ? 0 : -ENOTSUP;
}

/*
 * Open the file that base (a maps entry named path) maps: path under /proc/PID/root, then
 * path itself, both without following a link (elf__open_fd_nofollow: the target owns the
 * directories on the way); then extra or /proc/PID/map_files, links the kernel resolves to
 * the very file mapped.  Prefer a file whose inode matches the mapping (a replaced or
 * deleted file); fall back to the first that opens.  Each candidate is checked on the
 * descriptor it was opened as, not by a stat() of the name before.  A descriptor, or
 * -ENOENT.
 */
static int open_mapped_fd(pid_t pid, const char *path, const struct procmaps_entry *base,
			  const char *extra)
{
	char root[64], magic[PATH_MAX + 64];
	struct stat st;
	int fd, first = -ENOENT;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	if (extra)
		snprintf(magic, sizeof(magic), "%s", extra);
	else
		snprintf(magic, sizeof(magic), "/proc/%d/map_files/%llx-%llx", (int)pid,
			 (unsigned long long)base->start, (unsigned long long)base->end);
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			fd = elf__open_fd_nofollow(root, path);
		else if (i == 1)
			fd = base->deleted ? -ENOENT : elf__open_fd_nofollow(NULL, path);
		else
			fd = elf__open_fd(magic);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || (base->inode && st.st_ino != base->inode && first >= 0)) {
			close(fd);
			continue;
		}
		if (!base->inode || st.st_ino == base->inode) {
			if (first >= 0)
				close(first);
			return fd;
		}
		first = fd;
	}
	return first;
}

static struct elf *open_mapped(pid_t pid, const char *path, const struct procmaps_entry *base,
			       const char *extra)
{
	int fd = open_mapped_fd(pid, path, base, extra);

	return fd < 0 ? NULL : elf__from_fd(fd);
}

/* Try one candidate: 0 and *loc filled, -ENOENT (not python) or -ENOTSUP. */
static int try_candidate(pid_t pid, const struct procmaps *m, const char *path,
			 const char *extra, struct pyruntime_loc *loc)
{
	const struct procmaps_entry *base = procmaps__find_base(m, path);
	struct probed r;

	if (!base || probe_fd(open_mapped_fd(pid, path, base, extra), path, &r) ||
	    r.vaddr_err || r.err)
		return -ENOENT;
	fill_loc(loc, &r.p, path, base->start - r.first_vaddr);
	return supported(r.p.version, r.p.debug_build) ? 0 : -ENOTSUP;
}

/*
 * The executable of pid: link = "/proc/PID/exe" (it opens the file even when its path is
 * gone), exe = the path it points to without a " (deleted)" suffix.  1, or 0 if unreadable.
 */
static int exe_path(pid_t pid, char *link, size_t link_size, char *exe, size_t exe_size)
{
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;
	ssize_t n;

	snprintf(link, link_size, "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, exe_size - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if ((size_t)n > dl && !strcmp(exe + n - dl, deleted))
		exe[n - dl] = '\0';
	return 1;
}

int pyprobe__locate(pid_t pid, struct pyruntime_loc *loc)
{
	char link[64], exe[PATH_MAX];
	struct procmaps *m;
	size_t i, j;
	int err = -ENOENT, ret;

	memset(loc, 0, sizeof(*loc));
	m = procmaps__read(pid);
	if (!m)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;

	if (exe_path(pid, link, sizeof(link), exe, sizeof(exe)))
		err = try_candidate(pid, m, exe, link, loc);
	for (i = 0; i < m->n && err == -ENOENT; i++) {
		const char *path = m->v[i].path;

		if (!is_libpython(path))
			continue;
		for (j = 0; j < i && strcmp(m->v[j].path, path); j++)
			;
		if (j < i)	/* tried already */
			continue;
		err = try_candidate(pid, m, path, NULL, loc);
	}
	procmaps__free(m);
	ret = err;
	if (ret == -ENOENT && kill(pid, 0) < 0 && errno == ESRCH)
		ret = -ESRCH;
	if (ret == -ENOENT)
		memset(loc, 0, sizeof(*loc));
	return ret;
}

void pyprobe__version_str(const struct pyruntime_loc *loc, char *buf, size_t size)
{
	uint32_t h = loc->hexversion;
	static const char *const level[16] = { [0xa] = "a", [0xb] = "b", [0xc] = "rc" };

	if (!size)
		return;
	if (!h) {
		snprintf(buf, size, "%u.%u", PY_VER_MAJOR(loc->version),
			 PY_VER_MINOR(loc->version));
		return;
	}
	if ((h >> 4 & 0xf) != 0xf && level[h >> 4 & 0xf])
		snprintf(buf, size, "%u.%u.%u%s%u", h >> 24, h >> 16 & 0xff, h >> 8 & 0xff,
			 level[h >> 4 & 0xf], h & 0xf);
	else
		snprintf(buf, size, "%u.%u.%u", h >> 24, h >> 16 & 0xff, h >> 8 & 0xff);
}

/* Is path's basename one that starts with a prefix of libs? */
static int lib_matches(const char *path, const char *const *libs)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	for (; *libs; libs++)
		if (!strncmp(base, *libs, strlen(*libs)))
			return 1;
	return 0;
}

/* The first of names that path (mapped in pid) defines: 0 with *addr, else -ENOENT. */
static int symbol_in(pid_t pid, const struct procmaps *m, const char *path, const char *extra,
		     const char *const *names, uint64_t *addr)
{
	const struct procmaps_entry *base = procmaps__find_base(m, path);
	struct elf *e;
	uint64_t vaddr, value;
	int err = -ENOENT;

	if (!base)
		return -ENOENT;
	e = open_mapped(pid, path, base, extra);
	if (!e)
		return -ENOENT;
	if (!elf__first_load_vaddr(e, &vaddr)) {
		for (const char *const *n = names; *n && err; n++) {
			if (!sym(e, *n, &value) || !value)
				continue;
			*addr = base->start - vaddr + value;
			err = 0;
		}
	}
	elf__free(e);
	return err;
}

int pyprobe__find_symbol(pid_t pid, const char *const *names, const char *const *libs,
			 uint64_t *addr)
{
	char link[64], exe[PATH_MAX];
	struct procmaps *m;
	int err = -ENOENT;

	m = procmaps__read(pid);
	if (!m)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	if (exe_path(pid, link, sizeof(link), exe, sizeof(exe)))
		err = symbol_in(pid, m, exe, link, names, addr);
	for (size_t i = 0; i < m->n && err == -ENOENT; i++) {
		const char *path = m->v[i].path;
		size_t j;

		if (!lib_matches(path, libs))
			continue;
		for (j = 0; j < i && strcmp(m->v[j].path, path); j++)
			;
		if (j == i)
			err = symbol_in(pid, m, path, NULL, names, addr);
	}
	procmaps__free(m);
	return err;
}

/* The .AsyncioDebug section of the file mapped as path, as a runtime address. */
static int asyncio_section(pid_t pid, const struct procmaps *m, const char *path,
			   uint64_t *addr)
{
	const struct procmaps_entry *base = procmaps__find_base(m, path);
	uint64_t vaddr, first, size;
	struct elf *e;
	int err;

	if (!base)
		return -ENOENT;
	e = open_mapped(pid, path, base, NULL);
	if (!e)
		return -ENOENT;
	err = elf__first_load_vaddr(e, &first);
	if (!err)
		err = elf__section(e, ".AsyncioDebug", &vaddr, &size);
	elf__free(e);
	if (err || size < PY_ASYNC_DEBUG_SIZE)
		return -ENOENT;
	*addr = base->start - first + vaddr;
	return 0;
}

int pyprobe__locate_asyncio(pid_t pid, const char *binary, uint64_t *addr)
{
	struct procmaps *m;
	int err = -ENOENT;

	m = procmaps__read(pid);
	if (!m)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	for (size_t i = 0; i < m->n && err; i++) {
		const char *b = basename_of(m->v[i].path);

		if (!strncmp(b, "_asyncio.cpython-", 17))
			err = asyncio_section(pid, m, m->v[i].path, addr);
	}
	if (err && binary && binary[0])
		err = asyncio_section(pid, m, binary, addr);
	procmaps__free(m);
	return err;
}
