/*
 * elf.c - a bounds-checked reader for ELF64 little-endian files.
 *
 * The file is untrusted.  elf__open() checks the ELF header, the program header table, every
 * section header's file range and the symbol tables we use, so later lookups only have to
 * check what depends on their argument (a string offset, a symbol index, a vaddr range).
 * Nothing is read through a pointer into the image: headers are memcpy'd out, so a buffer
 * with any alignment works (elf__from_memory) and there is no unaligned access.
 *
 * Symbols: .dynsym first (it survives stripping; looked up through DT_GNU_HASH when the
 * file has a sane .gnu.hash, else linearly), then .symtab (linear).  Undefined symbols
 * (st_shndx == SHN_UNDEF) never match: an executable that imports PyCode_Type from
 * libpython does not define it.
 */
#include "pyflame/elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyflame/util.h"

#define ELF_MAX_SECTIONS 65536u	/* real files have < 100; this only bounds garbage */
#define ELF_MAX_SEGMENTS 4096u
#define ELF_MAX_DYN 65536u

struct elf_symtab {
	uint64_t off;		/* file offset of the Elf64_Sym array */
	uint64_t count;
	uint64_t str_off;	/* its string table */
	uint64_t str_size;
};

struct elf_gnuhash {
	uint32_t nbuckets, symoffset, bloom_size, bloom_shift;
	uint64_t bloom_off, buckets_off, chain_off;
	uint64_t chain_count;	/* entries in the chain array within the section */
};

struct elf {
	const unsigned char *data;
	size_t size;
	int mapped;		/* data is an mmap of size bytes we must unmap */
	Elf64_Ehdr eh;
	uint64_t shnum, shstrndx;
	uint64_t phnum;
	struct elf_symtab dynsym, symtab;	/* count 0 when absent */
	struct elf_gnuhash gnuhash;		/* nbuckets 0 when absent or unusable */
};

/* Is [off, off + len) inside the image? */
static int in_file(const struct elf *e, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !pf_add_overflows(off, len, &end) && end <= e->size;
}

static int get_shdr(const struct elf *e, uint64_t i, Elf64_Shdr *sh)
{
	if (i >= e->shnum) {
		memset(sh, 0, sizeof(*sh));
		return -EINVAL;
	}
	memcpy(sh, e->data + e->eh.e_shoff + i * sizeof(*sh), sizeof(*sh));
	return 0;
}

static void get_phdr(const struct elf *e, uint64_t i, Elf64_Phdr *ph)
{
	memcpy(ph, e->data + e->eh.e_phoff + i * sizeof(*ph), sizeof(*ph));
}

/* The NUL-terminated string at off in the table [tab, tab + size), or NULL. */
static const char *get_str(const struct elf *e, uint64_t tab, uint64_t size, uint64_t off)
{
	const char *s;

	if (off >= size)
		return NULL;
	s = (const char *)e->data + tab + off;
	return memchr(s, '\0', size - off) ? s : NULL;
}

static const char *section_name(const struct elf *e, const Elf64_Shdr *sh)
{
	Elf64_Shdr str;

	if (!e->shstrndx || get_shdr(e, e->shstrndx, &str) || str.sh_type == SHT_NOBITS)
		return NULL;
	return get_str(e, str.sh_offset, str.sh_size, sh->sh_name);
}

static int find_shdr(const struct elf *e, const char *name, Elf64_Shdr *out)
{
	uint64_t i;

	for (i = 1; i < e->shnum; i++) {
		const char *n;

		get_shdr(e, i, out);
		n = section_name(e, out);
		if (n && !strcmp(n, name))
			return 0;
	}
	return -ENOENT;
}

/* Fill *t from symbol table section sh.  Absent stays count 0; malformed is -EINVAL. */
static int load_symtab(const struct elf *e, const Elf64_Shdr *sh, struct elf_symtab *t)
{
	Elf64_Shdr str;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_type == SHT_NOBITS)
		return -EINVAL;
	if (get_shdr(e, sh->sh_link, &str) || str.sh_type != SHT_STRTAB)
		return -EINVAL;
	t->off = sh->sh_offset;
	t->count = sh->sh_size / sizeof(Elf64_Sym);
	t->str_off = str.sh_offset;
	t->str_size = str.sh_size;
	return 0;
}

/* Set up the GNU hash table of .dynsym; leave it unused (nbuckets 0) if anything is off. */
static void load_gnuhash(struct elf *e, const Elf64_Shdr *sh)
{
	struct elf_gnuhash h;
	uint32_t hdr[4];
	uint64_t off = sh->sh_offset, size = sh->sh_size, need;

	if (sh->sh_type == SHT_NOBITS || size < sizeof(hdr))
		return;
	memcpy(hdr, e->data + off, sizeof(hdr));
	h.nbuckets = hdr[0];
	h.symoffset = hdr[1];
	h.bloom_size = hdr[2];
	h.bloom_shift = hdr[3];
	/* bloom_shift shifts the 32-bit hash: 32 or more is garbage (and undefined in C). */
	if (!h.nbuckets || !h.bloom_size || h.bloom_shift >= 32)
		return;
	/* 16 + 8 * bloom + 4 * buckets: each term < 2^35, no overflow in 64 bits. */
	need = 16 + 8 * (uint64_t)h.bloom_size + 4 * (uint64_t)h.nbuckets;
	if (need > size)
		return;
	h.bloom_off = off + 16;
	h.buckets_off = h.bloom_off + 8 * (uint64_t)h.bloom_size;
	h.chain_off = h.buckets_off + 4 * (uint64_t)h.nbuckets;
	h.chain_count = (size - need) / 4;
	e->gnuhash = h;
}

static int elf_check(struct elf *e)
{
	const Elf64_Ehdr *eh = &e->eh;
	Elf64_Shdr sh, sh0;
	uint64_t i;
	int err;

	if (e->size < sizeof(*eh))
		return -ENOEXEC;
	memcpy(&e->eh, e->data, sizeof(e->eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (eh->e_ehsize < sizeof(*eh))
		return -EINVAL;

	e->phnum = eh->e_phnum;
	if (e->phnum && (eh->e_phentsize != sizeof(Elf64_Phdr) || e->phnum > ELF_MAX_SEGMENTS ||
			 !in_file(e, eh->e_phoff, e->phnum * sizeof(Elf64_Phdr))))
		return -EINVAL;

	/* Section headers; e_shnum 0 with a table means the count is in sh[0].sh_size. */
	e->shnum = 0;
	if (eh->e_shoff) {
		if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
		    !in_file(e, eh->e_shoff, sizeof(Elf64_Shdr)))
			return -EINVAL;
		memcpy(&sh0, e->data + eh->e_shoff, sizeof(sh0));
		e->shnum = eh->e_shnum ? eh->e_shnum : sh0.sh_size;
		if (e->shnum > ELF_MAX_SECTIONS ||
		    !in_file(e, eh->e_shoff, e->shnum * sizeof(Elf64_Shdr)))
			return -EINVAL;
		e->shstrndx = eh->e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh->e_shstrndx;
		if (e->shstrndx >= e->shnum)
			return -EINVAL;
	} else if (eh->e_shnum) {
		return -EINVAL;
	}

	/* From 0: an sh_link of 0 reaches section 0 too, so it must not lie either. */
	for (i = 0; i < e->shnum; i++) {
		get_shdr(e, i, &sh);
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !in_file(e, sh.sh_offset, sh.sh_size))
			return -EINVAL;
	}
	if (e->shstrndx) {
		get_shdr(e, e->shstrndx, &sh);
		if (sh.sh_type != SHT_STRTAB)
			return -EINVAL;
	}

	for (i = 1; i < e->shnum; i++) {
		get_shdr(e, i, &sh);
		if (sh.sh_type == SHT_DYNSYM && !e->dynsym.count)
			err = load_symtab(e, &sh, &e->dynsym);
		else if (sh.sh_type == SHT_SYMTAB && !e->symtab.count)
			err = load_symtab(e, &sh, &e->symtab);
		else
			err = 0;
		if (err)
			return err;
	}
	for (i = 1; i < e->shnum && e->dynsym.count; i++) {
		Elf64_Shdr ds;

		get_shdr(e, i, &sh);
		/* Use the hash only if it belongs to the .dynsym we loaded. */
		if (sh.sh_type == SHT_GNU_HASH && !get_shdr(e, sh.sh_link, &ds) &&
		    ds.sh_type == SHT_DYNSYM && ds.sh_offset == e->dynsym.off) {
			load_gnuhash(e, &sh);
			break;
		}
	}
	return 0;
}

static struct elf *elf_new(const void *buf, size_t len, int mapped)
{
	struct elf *e = xcalloc(1, sizeof(*e));
	int err;

	e->data = buf;
	e->size = len;
	e->mapped = mapped;
	err = elf_check(e);
	if (err) {
		e->mapped = 0;	/* the caller still owns buf on failure */
		elf__free(e);
		errno = -err;
		return NULL;
	}
	return e;
}

struct elf *elf__from_memory(const void *buf, size_t len)
{
	if (!buf && len) {
		errno = EINVAL;
		return NULL;
	}
	return elf_new(buf, len, 0);
}

/* fd if it is a regular file, else closed and -ENOEXEC (-EISDIR for a directory). */
static int check_regular(int fd)
{
	struct stat st;
	int err;

	if (fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? EISDIR : ENOEXEC;
	else
		return fd;
	close(fd);
	return -err;
}

int elf__open_fd(const char *path)
{
	int fd;

	/*
	 * O_NONBLOCK: a FIFO put where a file was must not block the sampler (and with it the
	 * traced command); it is refused as not a regular file.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return fd < 0 ? -errno : check_regular(fd);
}

/*
 * Open path, a file a target named, under the directory root (NULL: "/") without following
 * any symbolic link: each directory is opened O_PATH | O_NOFOLLOW from the one before, the
 * file itself O_NOFOLLOW.  The paths in /proc/PID/maps and /proc/PID/exe are the kernel's
 * own resolved names, with no link in them; a link met on the way was put there after the
 * mapping, by whoever owns that directory.  Followed, it could point a pyflame run by root
 * at a file the target's owner may not read (the profile would name its symbols).
 * Only openat(), which the sandbox already allows read-only: no openat2() (its flags are
 * behind a pointer seccomp cannot check).
 */
int elf__open_fd_nofollow(const char *root, const char *path)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *end;
	int dir, next, fd;
	size_t len;

	if (!path || path[0] != '/')
		return -EINVAL;
	dir = open(root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	for (;;) {
		while (*p == '/')
			p++;
		end = strchr(p, '/');
		if (!end)
			break;
		len = (size_t)(end - p);
		if (len > NAME_MAX || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			close(dir);
			return len > NAME_MAX ? -ENAMETOOLONG : -EINVAL;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		if (next < 0)	/* ENOTDIR: a link where a directory was */
			return errno == ENOTDIR ? -ELOOP : -errno;
		dir = next;
		p = end;
	}
	if (!*p || !strcmp(p, ".") || !strcmp(p, "..") || strlen(p) > NAME_MAX) {
		close(dir);
		return -EINVAL;
	}
	fd = openat(dir, p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	fd = fd < 0 ? -errno : check_regular(fd);
	close(dir);
	return fd;
}

struct elf *elf__from_fd(int fd)
{
	struct stat st;
	struct elf *e = NULL;
	void *map;
	int err;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out_close;
	}
	if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr)) {
		err = ENOEXEC;
		goto out_close;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = errno;
		goto out_close;
	}
	e = elf_new(map, (size_t)st.st_size, 1);
	err = e ? 0 : errno;
	if (!e)
		munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	if (err)
		errno = err;
	return e;
}

struct elf *elf__open(const char *path)
{
	return elf__from_fd(elf__open_fd(path));
}

void elf__free(struct elf *e)
{
	if (!e)
		return;
	if (e->mapped)
		munmap((void *)e->data, e->size);
	free(e);
}

int elf__type(const struct elf *e)
{
	return e->eh.e_type;
}

static int sym_at(const struct elf *e, const struct elf_symtab *t, uint64_t i, Elf64_Sym *s)
{
	if (i >= t->count)
		return -EINVAL;
	memcpy(s, e->data + t->off + i * sizeof(*s), sizeof(*s));
	return 0;
}

static int sym_matches(const struct elf *e, const struct elf_symtab *t, const Elf64_Sym *s,
		       const char *name)
{
	const char *n;

	if (s->st_shndx == SHN_UNDEF)
		return 0;
	n = get_str(e, t->str_off, t->str_size, s->st_name);
	return n && !strcmp(n, name);
}

static int lookup_linear(const struct elf *e, const struct elf_symtab *t, const char *name,
			 Elf64_Sym *out)
{
	uint64_t i;

	for (i = 1; i < t->count; i++) {
		sym_at(e, t, i, out);
		if (sym_matches(e, t, out, name))
			return 0;
	}
	return -ENOENT;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t u32_at(const struct elf *e, uint64_t off)
{
	uint32_t v;

	memcpy(&v, e->data + off, sizeof(v));
	return v;
}

/* DT_GNU_HASH lookup in .dynsym: 0, -ENOENT, or -EINVAL when the table is inconsistent. */
static int lookup_gnuhash(const struct elf *e, const char *name, Elf64_Sym *out)
{
	const struct elf_gnuhash *h = &e->gnuhash;
	uint32_t hash = gnu_hash(name), chain;
	uint64_t word, idx, n;

	memcpy(&word, e->data + h->bloom_off + 8 * ((hash / 64) % h->bloom_size), 8);
	if (!(word >> (hash % 64) & 1) || !(word >> ((hash >> h->bloom_shift) % 64) & 1))
		return -ENOENT;
	idx = u32_at(e, h->buckets_off + 4 * (uint64_t)(hash % h->nbuckets));
	if (!idx)
		return -ENOENT;
	if (idx < h->symoffset)
		return -EINVAL;
	/* Each step moves to the next symbol; the chain ends at a set low bit. */
	for (n = 0; n < e->dynsym.count; n++, idx++) {
		if (idx - h->symoffset >= h->chain_count || sym_at(e, &e->dynsym, idx, out))
			return -EINVAL;
		chain = u32_at(e, h->chain_off + 4 * (idx - h->symoffset));
		if ((chain | 1) == (hash | 1) && sym_matches(e, &e->dynsym, out, name))
			return 0;
		if (chain & 1)
			return -ENOENT;
	}
	return -EINVAL;
}

int elf__symbol(const struct elf *e, const char *name, uint64_t *value, uint64_t *size)
{
	Elf64_Sym s;
	int err = -ENOENT;

	if (e->dynsym.count) {
		err = e->gnuhash.nbuckets ? lookup_gnuhash(e, name, &s) : -EINVAL;
		if (err == -EINVAL)	/* no usable hash: fall back to a scan */
			err = lookup_linear(e, &e->dynsym, name, &s);
	}
	if (err && e->symtab.count)
		err = lookup_linear(e, &e->symtab, name, &s);
	if (err)
		return err;
	if (value)
		*value = s.st_value;
	if (size)
		*size = s.st_size;
	return 0;
}

int elf__section(const struct elf *e, const char *name, uint64_t *addr, uint64_t *size)
{
	Elf64_Shdr sh;

	if (find_shdr(e, name, &sh))
		return -ENOENT;
	if (addr)
		*addr = sh.sh_addr;
	if (size)
		*size = sh.sh_size;
	return 0;
}

int elf__first_load_vaddr(const struct elf *e, uint64_t *vaddr)
{
	Elf64_Phdr ph;
	uint64_t i;

	for (i = 0; i < e->phnum; i++) {
		get_phdr(e, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		*vaddr = ph.p_align > 1 ? ph.p_vaddr - ph.p_vaddr % ph.p_align : ph.p_vaddr;
		return 0;
	}
	return -ENOENT;
}

/* File offset of [vaddr, vaddr + len) if one PT_LOAD's file bytes hold all of it. */
static int vaddr_to_off(const struct elf *e, uint64_t vaddr, uint64_t len, uint64_t *off)
{
	Elf64_Phdr ph;
	uint64_t i, end, seg_end;

	if (pf_add_overflows(vaddr, len, &end))
		return -ENOENT;
	for (i = 0; i < e->phnum; i++) {
		get_phdr(e, i, &ph);
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    pf_add_overflows(ph.p_vaddr, ph.p_filesz, &seg_end) || end > seg_end)
			continue;
		*off = ph.p_offset + (vaddr - ph.p_vaddr);	/* ≤ p_offset + p_filesz */
		if (ph.p_offset > UINT64_MAX - ph.p_filesz || !in_file(e, *off, len))
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

int elf__read_vaddr(const struct elf *e, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;
	int err = vaddr_to_off(e, vaddr, len, &off);

	if (err)
		return err;
	memcpy(buf, e->data + off, len);
	return 0;
}

/* Locate the dynamic array and its string table: by section, else by PT_DYNAMIC. */
static int find_dynamic(const struct elf *e, uint64_t *off, uint64_t *count,
			uint64_t *str_off, uint64_t *str_size)
{
	Elf64_Shdr sh, str;
	Elf64_Phdr ph;
	Elf64_Dyn d;
	uint64_t i, strtab = 0, strsz = 0;

	for (i = 1; i < e->shnum; i++) {
		get_shdr(e, i, &sh);
		if (sh.sh_type != SHT_DYNAMIC)
			continue;
		if (get_shdr(e, sh.sh_link, &str) || str.sh_type != SHT_STRTAB)
			return -EINVAL;
		*off = sh.sh_offset;
		*count = sh.sh_size / sizeof(Elf64_Dyn);
		*str_off = str.sh_offset;
		*str_size = str.sh_size;
		return 0;
	}
	for (i = 0; i < e->phnum; i++) {
		get_phdr(e, i, &ph);
		if (ph.p_type == PT_DYNAMIC)
			break;
	}
	if (i == e->phnum)
		return -ENOENT;
	if (!in_file(e, ph.p_offset, ph.p_filesz))
		return -EINVAL;
	*off = ph.p_offset;
	*count = ph.p_filesz / sizeof(Elf64_Dyn);
	for (i = 0; i < *count && i < ELF_MAX_DYN; i++) {
		memcpy(&d, e->data + *off + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB)
			strtab = d.d_un.d_ptr;
		else if (d.d_tag == DT_STRSZ)
			strsz = d.d_un.d_val;
	}
	if (!strsz || vaddr_to_off(e, strtab, strsz, str_off))
		return -EINVAL;
	*str_size = strsz;
	return 0;
}

int elf__needs(const struct elf *e, const char *prefix)
{
	uint64_t off, count, str_off, str_size, i;
	size_t plen = strlen(prefix);
	Elf64_Dyn d;

	if (find_dynamic(e, &off, &count, &str_off, &str_size))
		return 0;
	for (i = 0; i < count && i < ELF_MAX_DYN; i++) {
		const char *name, *base;

		memcpy(&d, e->data + off + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED)
			continue;
		name = get_str(e, str_off, str_size, d.d_un.d_val);
		if (!name)
			continue;
		base = strrchr(name, '/');
		base = base ? base + 1 : name;
		if (!strncmp(base, prefix, plen))
			return 1;
	}
	return 0;
}
