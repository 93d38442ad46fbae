/*
 * test_elf.c - the ELF reader on real local binaries and on truncated and corrupted copies.
 *
 * Corrupted images are handed to elf__from_memory() in a malloc'd buffer of exactly their
 * size, so under ASan any read past the end is caught.  The test parses the trusted
 * originals itself (with <elf.h>) to know where to corrupt.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/elf.h"
#include "pyflame/procmaps.h"
#include "pyflame/util.h"

/* Non-static so they land in this binary's .symtab. */
const char elf_test_marker[] = "pyflame elf test marker";
int elf_test_bss[64];

static char *read_all(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	if (pf_read_file(path, &sb, 256u << 20) || !sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, len);
}

static const char *pyenv_root(void)
{
	static char buf[4096];
	const char *r = getenv("PYENV_ROOT"), *home = getenv("HOME");

	if (r && *r)
		return r;
	snprintf(buf, sizeof(buf), "%s/.pyenv", home ? home : "/root");
	return buf;
}

/* $(pyenv root)/versions/<prefix>*\/lib/<lib>, or NULL. */
static char *pyenv_lib(const char *ver, const char *lib)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/versions/%s/lib/%s", pyenv_root(), ver, lib);
	return stat(path, &st) ? NULL : strdup(path);
}

static const char *find_pyenv_version(const char *minor, char *out, size_t size)
{
	static const char *known[] = { "2.7.18", "3.6.15", "3.7.16", "3.8.18", "3.9.18",
				       "3.10.13", "3.11.7", "3.12.1", "3.13.0" };
	size_t i, n = strlen(minor);

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strncmp(known[i], minor, n) && known[i][n] == '.') {
			snprintf(out, size, "%s", known[i]);
			return out;
		}
	return NULL;
}

static struct elf *open_pylib(const char *minor, const char *libname)
{
	char ver[32];
	char *path;
	struct elf *e;

	if (!find_pyenv_version(minor, ver, sizeof(ver)))
		return NULL;
	path = pyenv_lib(ver, libname);
	if (!path)
		return NULL;
	e = elf__open(path);
	free(path);
	return e;
}

/* Path of a mapped shared library of ours whose basename starts with prefix. */
static char *own_library(const char *prefix)
{
	struct procmaps *m = procmaps__read(getpid());
	char *ret = NULL;
	size_t i;

	for (i = 0; m && i < m->n && !ret; i++) {
		const char *b = strrchr(m->v[i].path, '/');

		if (b && !strncmp(b + 1, prefix, strlen(prefix)))
			ret = strdup(m->v[i].path);
	}
	procmaps__free(m);
	return ret;
}

/* --- test-side parsing of trusted originals --- */

static Elf64_Shdr *shdr_of_type(char *img, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	int i;

	for (i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == type)
			return &sh[i];
	return NULL;
}

static Elf64_Phdr *phdr_of_type(char *img, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	return NULL;
}

/* Call every accessor; results may be errors but must be sane and in bounds. */
static void exercise(const struct elf *e)
{
	static const char *names[] = { "main", "_start", "_cmocka_run_group_tests", "_PyRuntime",
				       "Py_Version", "interp_head", "nonexistent_symbol", "" };
	static const char *sections[] = { ".text", ".dynstr", ".rodata", ".PyRuntime", ".nope" };
	uint64_t v, sz, vaddr;
	char buf[64];
	size_t i;
	int r;

	(void)elf__type(e);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		r = elf__symbol(e, names[i], &v, &sz);
		assert_true(r == 0 || r == -ENOENT);
		if (!r && sz <= sizeof(buf))
			(void)elf__read_vaddr(e, v, buf, (size_t)sz);
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		r = elf__section(e, sections[i], &v, &sz);
		assert_true(r == 0 || r == -ENOENT);
		if (!r)
			(void)elf__read_vaddr(e, v, buf, sz < sizeof(buf) ? (size_t)sz : sizeof(buf));
	}
	if (!elf__first_load_vaddr(e, &vaddr)) {
		r = elf__read_vaddr(e, vaddr, buf, sizeof(buf));
		assert_true(r == 0 || r == -ENOENT || r == -EINVAL);
		r = elf__read_vaddr(e, UINT64_MAX - 4, buf, sizeof(buf));
		assert_true(r == -ENOENT || r == -EINVAL);
	}
	r = elf__needs(e, "libc");
	assert_true(r == 0 || r == 1);
}

/* Exactly-sized heap copy of img with mutate() applied, opened from memory. */
static int try_image(const char *img, size_t len, void (*mutate)(char *, size_t, uint64_t),
		     uint64_t arg)
{
	char *copy = malloc(len ? len : 1);
	struct elf *e;
	int ok;

	memcpy(copy, img, len);
	if (mutate)
		mutate(copy, len, arg);
	e = elf__from_memory(copy, len);
	ok = e != NULL;
	if (e)
		exercise(e);
	else
		assert_true(errno == EINVAL || errno == ENOEXEC);
	elf__free(e);
	free(copy);
	return ok;
}

/* Bases for corruption: a small library of ours with a GNU hash, and /bin/true. */
static char *load_base(int which, size_t *len)
{
	char *path = which ? strdup("/bin/true") : own_library("libcmocka");
	char *img = path ? read_all(path, len) : NULL;

	free(path);
	return img;
}

/* --- real binaries --- */

static void elf_symbol__self__matches_runtime_address(void **state)
{
	struct procmaps *m = procmaps__read(getpid());
	const struct procmaps_entry *base;
	struct elf *e = elf__open("/proc/self/exe");
	char exe[4096], buf[sizeof(elf_test_marker)];
	uint64_t v, sz, first, bias;
	ssize_t n;
	(void)state;

	assert_non_null(e);
	assert_non_null(m);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	base = procmaps__find_base(m, exe);
	assert_non_null(base);
	assert_int_equal(elf__first_load_vaddr(e, &first), 0);
	bias = base->start - first;

	assert_int_equal(elf__symbol(e, "elf_test_marker", &v, &sz), 0);
	assert_int_equal(v + bias, (uint64_t)(uintptr_t)elf_test_marker);
	assert_int_equal(sz, sizeof(elf_test_marker));
	assert_int_equal(elf__read_vaddr(e, v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, elf_test_marker);

	/* .bss has no file bytes */
	assert_int_equal(elf__symbol(e, "elf_test_bss", &v, &sz), 0);
	assert_int_equal(v + bias, (uint64_t)(uintptr_t)elf_test_bss);
	assert_int_equal(elf__read_vaddr(e, v, buf, 8), -ENOENT);

	assert_int_equal(elf__symbol(e, "no_such_symbol_anywhere", NULL, NULL), -ENOENT);
	/* imported, not defined here */
	assert_int_equal(elf__symbol(e, "_cmocka_run_group_tests", NULL, NULL), -ENOENT);
	assert_int_equal(elf__needs(e, "libcmocka"), 1);
	assert_int_equal(elf__needs(e, "libpython"), 0);
	procmaps__free(m);
	elf__free(e);
}

static void elf_open__not_elf__enoexec(void **state)
{
	char dir[] = "/tmp/pyflame-elf-XXXXXX", path[4096];
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/text", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho hello, this is not an ELF file at all, sorry\n"
			       "padding padding padding\n", 84), 84);
	close(fd);
	errno = 0;
	assert_null(elf__open(path));
	assert_int_equal(errno, ENOEXEC);
	errno = 0;
	assert_null(elf__open(dir));
	assert_int_equal(errno, EISDIR);
	errno = 0;
	assert_null(elf__open("/nonexistent/file"));
	assert_int_equal(errno, ENOENT);
	unlink(path);
	/* a FIFO where a mapped file was (a target can swap one in): refused, never waited on */
	assert_int_equal(mkfifo(path, 0600), 0);
	errno = 0;
	assert_null(elf__open(path));
	assert_int_equal(errno, ENOEXEC);
	unlink(path);
	rmdir(dir);
	elf__free(NULL);
}

/*
 * A name from a target's maps is opened without following links: a directory or the file
 * swapped for a link (to a file the target's owner could not read) is refused, the real
 * path still opens, under "/" or under a root directory as /proc/PID/root is used.
 */
static void elf_open_fd_nofollow__links_on_the_way__eloop(void **state)
{
	char dir[] = "/tmp/pyflame-elf-XXXXXX", p[4096], q[4096];
	struct stat a, b;
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/real", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/real/lib.so", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	snprintf(q, sizeof(q), "%s/real", dir);
	snprintf(p, sizeof(p), "%s/swapped", dir);
	assert_int_equal(symlink(q, p), 0);		/* swapped -> real */
	snprintf(q, sizeof(q), "%s/real/lib.so", dir);
	snprintf(p, sizeof(p), "%s/real/link.so", dir);
	assert_int_equal(symlink(q, p), 0);		/* link.so -> lib.so */

	/* the real path opens, and is the file open() gives */
	fd = elf__open_fd_nofollow(NULL, q);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	close(fd);
	assert_int_equal(stat(q, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	snprintf(p, sizeof(p), "/%s//real/./lib.so", dir + 1);	/* "." is refused, "//" is not */
	assert_int_equal(elf__open_fd_nofollow(NULL, p), -EINVAL);
	snprintf(p, sizeof(p), "%s//real/lib.so", dir);
	fd = elf__open_fd_nofollow(NULL, p);
	assert_true(fd >= 0);
	close(fd);
	/* a link as a directory, or as the file: refused; open() would have followed both */
	snprintf(p, sizeof(p), "%s/swapped/lib.so", dir);
	fd = elf__open_fd(p);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(elf__open_fd_nofollow(NULL, p), -ELOOP);
	snprintf(p, sizeof(p), "%s/real/link.so", dir);
	assert_int_equal(elf__open_fd_nofollow(NULL, p), -ELOOP);
	snprintf(p, sizeof(p), "%s/real/../real/lib.so", dir);
	assert_int_equal(elf__open_fd_nofollow(NULL, p), -EINVAL);
	assert_int_equal(elf__open_fd_nofollow(NULL, "relative/lib.so"), -EINVAL);
	/* not a regular file: as elf__open_fd */
	snprintf(p, sizeof(p), "%s/real/", dir);
	assert_int_equal(elf__open_fd_nofollow(NULL, p), -EINVAL);
	assert_int_equal(elf__open_fd_nofollow(NULL, dir), -EISDIR);
	/* under a root directory: the path is taken inside it */
	fd = elf__open_fd_nofollow(dir, "/real/lib.so");
	assert_true(fd >= 0);
	assert_null(elf__from_fd(fd));		/* one byte: not ELF, and fd is closed */
	assert_int_equal(errno, ENOEXEC);
	assert_int_equal(elf__open_fd_nofollow(dir, "/swapped/lib.so"), -ELOOP);
	assert_null(elf__from_fd(-ENOENT));
	assert_int_equal(errno, ENOENT);

	snprintf(p, sizeof(p), "%s/real/link.so", dir);
	unlink(p);
	unlink(q);
	snprintf(p, sizeof(p), "%s/swapped", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/real", dir);
	rmdir(p);
	rmdir(dir);
}

static void elf_symbol__stripped_binary__finds_dynsym(void **state)
{
	struct elf *e = elf__open("/usr/bin/python3");
	uint64_t v = 0, sz = 0, sec, secsz, first;
	uint32_t hex;
	(void)state;

	if (!e || elf__section(e, ".symtab", NULL, NULL) != -ENOENT ||
	    elf__symbol(e, "_PyRuntime", &v, &sz)) {
		elf__free(e);
		skip();
	}
	/* stripped: no .symtab, but the exported runtime is in .dynsym */
	assert_true(sz > 1000);
	if (!elf__section(e, ".PyRuntime", &sec, &secsz)) {
		assert_int_equal(v, sec);
	}
	assert_int_equal(elf__symbol(e, "interp_head", NULL, NULL), -ENOENT);
	assert_int_equal(elf__symbol(e, "Py_Version", &v, &sz), 0);
	assert_int_equal(elf__read_vaddr(e, v, &hex, 4), 0);
	assert_int_equal(hex >> 24, 3);
	assert_int_equal(elf__first_load_vaddr(e, &first), 0);
	if (elf__type(e) == ET_EXEC)
		assert_int_equal(first, 0x400000);
	assert_int_equal(elf__needs(e, "libpython"), 0);
	elf__free(e);
}

static void elf_section__libpython313__pyruntime_starts_with_debug_cookie(void **state)
{
	struct elf *e = open_pylib("3.13", "libpython3.13.so.1.0");
	uint64_t sec, secsz, v, first;
	char cookie[8];
	(void)state;

	if (!e)
		skip();
	assert_int_equal(elf__type(e), ET_DYN);
	assert_int_equal(elf__first_load_vaddr(e, &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(elf__section(e, ".PyRuntime", &sec, &secsz), 0);
	assert_int_equal(elf__symbol(e, "_PyRuntime", &v, NULL), 0);
	assert_int_equal(v, sec);
	assert_int_equal(elf__read_vaddr(e, sec, cookie, 8), 0);
	assert_memory_equal(cookie, "xdebugpy", 8);
	assert_int_equal(elf__needs(e, "libc.so"), 1);
	elf__free(e);
}

static void elf_read_vaddr__libpython312__py_version(void **state)
{
	struct elf *e = open_pylib("3.12", "libpython3.12.so.1.0");
	uint64_t v;
	uint32_t hex;
	(void)state;

	if (!e)
		skip();
	assert_int_equal(elf__symbol(e, "Py_Version", &v, NULL), 0);
	assert_int_equal(elf__read_vaddr(e, v, &hex, 4), 0);
	assert_int_equal(hex >> 16, 0x030c);
	elf__free(e);
}

static void elf_symbol__libpython27__local_interp_head_in_symtab(void **state)
{
	struct elf *e = open_pylib("2.7", "libpython2.7.so.1.0");
	uint64_t ih, tc;
	(void)state;

	if (!e)
		skip();
	assert_int_equal(elf__symbol(e, "interp_head", &ih, NULL), 0);
	assert_int_equal(elf__symbol(e, "_PyThreadState_Current", &tc, NULL), 0);
	assert_true(ih != tc && ih && tc);
	assert_int_equal(elf__symbol(e, "_PyRuntime", NULL, NULL), -ENOENT);
	assert_int_equal(elf__symbol(e, "PyString_Type", NULL, NULL), 0);
	elf__free(e);
}

static void elf_needs__pyenv_exe__names_libpython(void **state)
{
	char path[4096], ver[32];
	struct elf *e;
	(void)state;

	if (!find_pyenv_version("3.12", ver, sizeof(ver)))
		skip();
	snprintf(path, sizeof(path), "%s/versions/%s/bin/python3.12", pyenv_root(), ver);
	e = elf__open(path);
	if (!e)
		skip();
	assert_int_equal(elf__needs(e, "libpython3.12"), 1);
	assert_int_equal(elf__needs(e, "libpython3.11"), 0);
	/* imported from libpython: undefined here, so not found */
	assert_int_equal(elf__symbol(e, "_PyRuntime", NULL, NULL), -ENOENT);
	elf__free(e);
}

/* Every defined .dynsym name is found, and with the hash disabled gives the same answer. */
static void check_hash_agrees(const char *path)
{
	size_t len, i, n = 0;
	char *img = read_all(path, &len), *nohash;
	Elf64_Shdr *ds, *gh;
	struct elf *a, *b;

	assert_non_null(img);
	ds = shdr_of_type(img, SHT_DYNSYM);
	gh = shdr_of_type(img, SHT_GNU_HASH);
	if (!ds || !gh) {
		free(img);
		skip();
	}
	nohash = malloc(len);
	memcpy(nohash, img, len);
	shdr_of_type(nohash, SHT_GNU_HASH)->sh_type = SHT_PROGBITS;
	a = elf__from_memory(img, len);
	b = elf__from_memory(nohash, len);
	assert_non_null(a);
	assert_non_null(b);
	for (i = 1; i < ds->sh_size / sizeof(Elf64_Sym); i++) {
		Elf64_Sym *s = (Elf64_Sym *)(img + ds->sh_offset) + i;
		const char *name = img + ((Elf64_Shdr *)(img + ((Elf64_Ehdr *)img)->e_shoff) +
					  ds->sh_link)->sh_offset + s->st_name;
		uint64_t va, vb;

		if (s->st_shndx == SHN_UNDEF || !*name)
			continue;
		assert_int_equal(elf__symbol(a, name, &va, NULL), 0);
		assert_int_equal(elf__symbol(b, name, &vb, NULL), 0);
		assert_int_equal(va, vb);
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(elf__symbol(a, "surely_not_a_symbol_xyz", NULL, NULL), -ENOENT);
	elf__free(a);
	elf__free(b);
	free(nohash);
	free(img);
}

static void elf_symbol__gnu_hash_and_linear_scan__agree(void **state)
{
	char *path = own_library("libcmocka");
	(void)state;

	if (!path)
		skip();
	check_hash_agrees(path);
	free(path);
}

static void elf_symbol__gnu_hash_libpython__agrees_with_scan(void **state)
{
	char ver[32], *path = NULL;
	(void)state;

	if (!find_pyenv_version("3.12", ver, sizeof(ver)) ||
	    !(path = pyenv_lib(ver, "libpython3.12.so.1.0")))
		skip();
	check_hash_agrees(path);
	free(path);
}

/* --- truncated and corrupted copies --- */

static void elf_from_memory__truncated_at_every_length__no_overread(void **state)
{
	int which;
	(void)state;

	for (which = 0; which < 2; which++) {
		size_t len, cut, step;
		char *img = load_base(which, &len);

		if (!img)
			continue;
		assert_true(try_image(img, len, NULL, 0));
		for (cut = 0; cut < len; cut += step) {
			step = cut < 4096 ? 1 : len / 512 + 1;
			assert_false(try_image(img, cut, NULL, 0) && cut < 64);
		}
		/* the section header table is at the end: cuts there must fail */
		for (cut = len - 1; cut + 256 > len && cut > 0; cut--)
			assert_false(try_image(img, cut, NULL, 0));
		free(img);
	}
}

static void elf_open__truncated_files__error_or_sane(void **state)
{
	char dir[] = "/tmp/pyflame-elf-XXXXXX", path[4096];
	size_t len, i;
	char *img = load_base(1, &len);
	(void)state;

	if (!img)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cut", dir);
	for (i = 0; i <= 16; i++) {
		size_t cut = len * i / 16;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		struct elf *e;

		assert_true(fd >= 0);
		assert_int_equal(write(fd, img, cut), (ssize_t)cut);
		close(fd);
		errno = 0;
		e = elf__open(path);
		if (i < 16) {
			assert_null(e);
			assert_true(errno == EINVAL || errno == ENOEXEC);
		} else {
			assert_non_null(e);
			exercise(e);
		}
		elf__free(e);
	}
	unlink(path);
	rmdir(dir);
	free(img);
}

enum field {
	F_SHOFF_EOF, F_SHOFF_WRAP, F_SHNUM_HUGE, F_SHSTRNDX_BAD, F_SHENTSIZE, F_PHOFF_EOF,
	F_PHNUM_HUGE, F_CLASS32, F_BIGENDIAN, F_DYNSYM_LINK, F_DYNSYM_OFF_WRAP, F_DYNSYM_SIZE,
	F_DYNSYM_ENTSIZE, F_DYNSTR_UNTERMINATED, F_SHSTRTAB_UNTERMINATED, F_SHNAME_HUGE,
	F_GNUHASH_NBUCKETS, F_GNUHASH_GARBAGE, F_GNUHASH_SYMOFFSET, F_LOAD_FILESZ, F_LOAD_OFFSET,
	F_DYNAMIC_GARBAGE, F_SHNUM_ZERO, F_GNUHASH_SHIFT, F_SECTION0_STRTAB, F_COUNT,
};

static void mutate_field(char *img, size_t len, uint64_t f)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	Elf64_Shdr *ds = shdr_of_type(img, SHT_DYNSYM);
	Elf64_Shdr *gh = shdr_of_type(img, SHT_GNU_HASH);
	Elf64_Shdr *dyn = shdr_of_type(img, SHT_DYNAMIC);
	Elf64_Phdr *load = phdr_of_type(img, PT_LOAD);
	uint32_t *h;

	switch ((enum field)f) {
	case F_SHOFF_EOF:		eh->e_shoff = len + 8; break;
	case F_SHOFF_WRAP:		eh->e_shoff = UINT64_MAX - 16; break;
	case F_SHNUM_HUGE:		eh->e_shnum = 0xfff0; break;
	case F_SHSTRNDX_BAD:		eh->e_shstrndx = (uint16_t)(eh->e_shnum + 3); break;
	case F_SHENTSIZE:		eh->e_shentsize = 32; break;
	case F_PHOFF_EOF:		eh->e_phoff = len - 8; break;
	case F_PHNUM_HUGE:		eh->e_phnum = 0xffff; break;
	case F_CLASS32:			eh->e_ident[EI_CLASS] = ELFCLASS32; break;
	case F_BIGENDIAN:		eh->e_ident[EI_DATA] = ELFDATA2MSB; break;
	case F_DYNSYM_LINK:		ds->sh_link = 0xffff; break;
	case F_DYNSYM_OFF_WRAP:		ds->sh_offset = UINT64_MAX - 8; break;
	case F_DYNSYM_SIZE:		ds->sh_size = (uint64_t)1 << 62; break;
	case F_DYNSYM_ENTSIZE:		ds->sh_entsize = 1; break;
	case F_DYNSTR_UNTERMINATED:
		memset(img + sh[ds->sh_link].sh_offset, 'A', sh[ds->sh_link].sh_size);
		break;
	case F_SHSTRTAB_UNTERMINATED:
		memset(img + sh[eh->e_shstrndx].sh_offset, 'B', sh[eh->e_shstrndx].sh_size);
		break;
	case F_SHNAME_HUGE:
		for (int i = 0; i < eh->e_shnum; i++)
			sh[i].sh_name = 0xfffffff0u - (uint32_t)i;
		break;
	case F_GNUHASH_NBUCKETS:
		if (gh)
			((uint32_t *)(img + gh->sh_offset))[0] = 0xffffffffu;
		break;
	case F_GNUHASH_GARBAGE:
		if (gh) {
			h = (uint32_t *)(img + gh->sh_offset);
			for (size_t i = 4; i < gh->sh_size / 4; i++)
				h[i] = 0xdeadbeefu ^ (uint32_t)(i * 2654435761u);
		}
		break;
	case F_GNUHASH_SYMOFFSET:
		if (gh)
			((uint32_t *)(img + gh->sh_offset))[1] = 0x7fffffffu;
		break;
	case F_LOAD_FILESZ:		load->p_filesz = UINT64_MAX - 4; break;
	case F_LOAD_OFFSET:		load->p_offset = len + 4096; break;
	case F_DYNAMIC_GARBAGE:
		if (dyn)
			for (size_t i = 0; i < dyn->sh_size / 16; i++)
				((Elf64_Dyn *)(img + dyn->sh_offset))[i].d_un.d_val = UINT64_MAX - i;
		break;
	case F_SHNUM_ZERO:		eh->e_shnum = 0; break;
	case F_SECTION0_STRTAB:		/* a string table reached through sh_link 0 */
		sh[0].sh_type = SHT_STRTAB;
		sh[0].sh_offset = len + 4096;
		sh[0].sh_size = 4096;
		ds->sh_link = 0;
		break;
	case F_GNUHASH_SHIFT:		/* shifts a 32-bit hash: found by fuzz_elf */
		if (gh)
			((uint32_t *)(img + gh->sh_offset))[3] = 44;
		break;
	case F_COUNT:			break;
	}
}

static void elf_from_memory__corrupted_header_fields__error_or_sane(void **state)
{
	/* fields the reader must reject outright */
	static const enum field reject[] = {
		F_SHOFF_EOF, F_SHOFF_WRAP, F_SHNUM_HUGE, F_SHSTRNDX_BAD, F_SHENTSIZE, F_PHOFF_EOF,
		F_PHNUM_HUGE, F_CLASS32, F_BIGENDIAN, F_DYNSYM_LINK, F_DYNSYM_OFF_WRAP,
		F_DYNSYM_SIZE, F_DYNSYM_ENTSIZE, F_SECTION0_STRTAB,
	};
	int which;
	uint64_t f;
	size_t i;
	(void)state;

	for (which = 0; which < 2; which++) {
		size_t len;
		char *img = load_base(which, &len);

		if (!img)
			continue;
		for (f = 0; f < F_COUNT; f++)
			(void)try_image(img, len, mutate_field, f);
		for (i = 0; i < ARRAY_SIZE(reject); i++)
			assert_false(try_image(img, len, mutate_field, reject[i]));
		free(img);
	}
}

static struct elf *open_mutated(char *copy, const char *img, size_t len, enum field f)
{
	memcpy(copy, img, len);
	mutate_field(copy, len, f);
	return elf__from_memory(copy, len);
}

static void elf_symbol__unterminated_strtabs__not_found_no_overread(void **state)
{
	size_t len;
	char *img = load_base(0, &len), *copy;
	struct elf *e;
	(void)state;

	if (!img)
		skip();
	copy = malloc(len);
	e = open_mutated(copy, img, len, F_DYNSTR_UNTERMINATED);
	assert_non_null(e);
	assert_int_equal(elf__symbol(e, "_cmocka_run_group_tests", NULL, NULL), -ENOENT);
	assert_int_equal(elf__needs(e, "libc"), 0);
	elf__free(e);

	e = open_mutated(copy, img, len, F_SHSTRTAB_UNTERMINATED);
	assert_non_null(e);
	assert_int_equal(elf__section(e, ".text", NULL, NULL), -ENOENT);
	assert_int_equal(elf__symbol(e, "_cmocka_run_group_tests", NULL, NULL), 0);
	elf__free(e);

	/* a garbage hash table must not hide symbols: it is dropped for a scan */
	e = open_mutated(copy, img, len, F_GNUHASH_NBUCKETS);
	assert_non_null(e);
	assert_int_equal(elf__symbol(e, "_cmocka_run_group_tests", NULL, NULL), 0);
	elf__free(e);
	e = open_mutated(copy, img, len, F_GNUHASH_SYMOFFSET);
	assert_non_null(e);
	assert_int_equal(elf__symbol(e, "_cmocka_run_group_tests", NULL, NULL), 0);
	elf__free(e);
	free(copy);
	free(img);
}

static void elf_from_memory__random_byte_flips__error_or_sane(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int which, iter, k;
	(void)state;

	for (which = 0; which < 2; which++) {
		size_t len;
		char *img = load_base(which, &len), *copy;
		Elf64_Ehdr *eh;

		if (!img)
			continue;
		eh = (Elf64_Ehdr *)img;
		copy = malloc(len);
		for (iter = 0; iter < 1500; iter++) {
			struct elf *e;

			memcpy(copy, img, len);
			for (k = 0; k < 1 + iter % 4; k++) {
				size_t pos;

				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				/* headers, the section header table, or anywhere */
				switch ((seed >> 60) % 3) {
				case 0:
					pos = (seed >> 20) % (eh->e_phoff + 56 * eh->e_phnum);
					break;
				case 1:
					pos = eh->e_shoff + (seed >> 20) % (64u * eh->e_shnum);
					break;
				default:
					pos = (seed >> 20) % len;
				}
				if (pos < len)
					copy[pos] = (char)(seed >> 8);
			}
			e = elf__from_memory(copy, len);
			if (e)
				exercise(e);
			elf__free(e);
		}
		free(copy);
		free(img);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(elf_symbol__self__matches_runtime_address),
		cmocka_unit_test(elf_open__not_elf__enoexec),
		cmocka_unit_test(elf_open_fd_nofollow__links_on_the_way__eloop),
		cmocka_unit_test(elf_symbol__stripped_binary__finds_dynsym),
		cmocka_unit_test(elf_section__libpython313__pyruntime_starts_with_debug_cookie),
		cmocka_unit_test(elf_read_vaddr__libpython312__py_version),
		cmocka_unit_test(elf_symbol__libpython27__local_interp_head_in_symtab),
		cmocka_unit_test(elf_needs__pyenv_exe__names_libpython),
		cmocka_unit_test(elf_symbol__gnu_hash_and_linear_scan__agree),
		cmocka_unit_test(elf_symbol__gnu_hash_libpython__agrees_with_scan),
		cmocka_unit_test(elf_from_memory__truncated_at_every_length__no_overread),
		cmocka_unit_test(elf_open__truncated_files__error_or_sane),
		cmocka_unit_test(elf_from_memory__corrupted_header_fields__error_or_sane),
		cmocka_unit_test(elf_symbol__unterminated_strtabs__not_found_no_overread),
		cmocka_unit_test(elf_from_memory__random_byte_flips__error_or_sane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
