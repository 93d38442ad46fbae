/* elf.h - a bounds-checked reader for ELF64 files (symbols, sections, load segments). */
#ifndef PYFLAME_ELF_H
#define PYFLAME_ELF_H

#include <stddef.h>
#include <stdint.h>

struct elf;

/*
 * Open path read-only (mmap).  Every header, table and string is bounds-checked against
 * the file size; a malformed file gives NULL with errno = EINVAL (ENOEXEC for not ELF64
 * little-endian), never a crash.
 */
struct elf *elf__open(const char *path);
/* Same, over a caller buffer that must outlive the struct (tests, fuzzing). */
struct elf *elf__from_memory(const void *buf, size_t len);
void elf__free(struct elf *e);
/*
 * The guarded open behind elf__open: path read-only, non-blocking, close-on-exec, and only
 * if it is a regular file.  A descriptor, or -errno (-ENOEXEC: not a regular file).
 */
int elf__open_fd(const char *path);
/*
 * The same for a path a target named (its maps, its exe link), resolved under root (NULL:
 * "/"; a target's "/proc/PID/root") without following any symbolic link: -ELOOP when one is
 * on the way.  Such paths are the kernel's resolved names; a link in one was put there later.
 */
int elf__open_fd_nofollow(const char *root, const char *path);
/* elf__open over a descriptor from the two above (fd < 0: NULL, errno = -fd); closes fd. */
struct elf *elf__from_fd(int fd);

int elf__type(const struct elf *e);	/* ET_EXEC, ET_DYN, ... */

/* Look name up in .dynsym then .symtab: 0 with *value (st_value) and *size, or -ENOENT. */
int elf__symbol(const struct elf *e, const char *name, uint64_t *value, uint64_t *size);
/* A section by name: 0 with its sh_addr and sh_size, or -ENOENT. */
int elf__section(const struct elf *e, const char *name, uint64_t *addr, uint64_t *size);
/* align_down(p_vaddr, p_align) of the first PT_LOAD: load bias = map start - this. */
int elf__first_load_vaddr(const struct elf *e, uint64_t *vaddr);
/*
 * Copy len bytes of the file image at virtual address vaddr (from a PT_LOAD segment's file
 * bytes): lets us read initialised data such as Py_Version without touching the target.
 * -ENOENT if not backed by file bytes.
 */
int elf__read_vaddr(const struct elf *e, uint64_t vaddr, void *buf, size_t len);
/* Does DT_NEEDED name a library whose basename starts with prefix?  1/0. */
int elf__needs(const struct elf *e, const char *prefix);

#endif
