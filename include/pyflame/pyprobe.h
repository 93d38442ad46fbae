/* pyprobe.h - find a CPython runtime in a process and pick its layout. */
#ifndef PYFLAME_PYPROBE_H
#define PYFLAME_PYPROBE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyflame/pyoffsets.h"
#include "pyflame/remote.h"

/* Where the runtime lives, as found from the ELF files mapped in the process. */
struct pyruntime_loc {
	char binary[PATH_MAX];		/* exe or libpython file that holds the runtime */
	uint64_t load_bias;
	unsigned version;		/* PY_VER(major, minor) */
	uint32_t hexversion;		/* PY_VERSION_HEX when known (3.11+), else 0 */
	uint64_t runtime_addr;		/* _PyRuntime / .PyRuntime (3.7+), else 0 */
	uint64_t interp_head_addr;	/* &interp_head (2.7, 3.6), else 0 */
	uint64_t tstate_current_addr;	/* &_PyThreadState_Current (2.7, 3.6), else 0 */
	uint64_t code_type_addr;	/* &PyCode_Type */
	uint64_t str_type_addr;		/* &PyUnicode_Type (3.x) / &PyString_Type (2.7) */
	uint64_t bytes_type_addr;	/* &PyBytes_Type (3.x) / &PyString_Type (2.7) */
	int debug_build;		/* a Py_DEBUG build (python3.x-dbg, ABI flag d) */
};

/*
 * Locate the runtime of pid from /proc/PID/maps and the ELF files (opened through
 * /proc/PID/root when possible).  Reads no target memory.
 *   0         found; *loc filled
 *   -ENOENT   no CPython in this process (yet: a later dlopen can still bring one)
 *   -ENOTSUP  a CPython whose version pyflame does not support (loc->binary/version set)
 *   -ESRCH    the process is gone
 */
int pyprobe__locate(pid_t pid, struct pyruntime_loc *loc);

/*
 * What pyprobe__locate() would conclude from one ELF file alone, as if loaded at bias 0:
 * addresses are the file's own vaddrs.  name is the file name to take a version from
 * (NULL: path).  0, -ENOENT (no runtime in it), -ENOTSUP, or -errno from opening it.
 * For tests and diagnostics.
 */
int pyprobe__inspect_file(const char *path, const char *name, struct pyruntime_loc *loc);

/*
 * Where a data symbol lives in pid: the first of names defined by the executable (a copy
 * relocation puts a library's variable there), else by a mapped file whose basename
 * starts with one of libs (NULL-ended lists).  0 with *addr, -ENOENT, -ESRCH.  Reads no
 * target memory.
 */
int pyprobe__find_symbol(pid_t pid, const char *const *names, const char *const *libs,
			 uint64_t *addr);

/*
 * 3.14+: the address of _Py_AsyncioModuleDebugOffsets in pid, from the .AsyncioDebug
 * section of the _asyncio extension module (_asyncio.cpython-3XX*.so, mapped once asyncio
 * is imported) or, if binary is not NULL, of that file (the runtime's, where _asyncio is
 * built in: it need be looked at once).  Reads no target memory.
 * 0, -ENOENT (not loaded, or not there), -ESRCH.
 */
int pyprobe__locate_asyncio(pid_t pid, const char *binary, uint64_t *addr);

/*
 * Probing remembers what it found in each ELF file by the file's identity (device, inode,
 * size, times; see pyprobe.c), so a command that starts the same shell or interpreter many
 * times parses it once.  reads: files parsed; hits: answered from memory.
 */
struct pyprobe_memo_stats {
	uint64_t reads, hits;
};

void pyprobe__memo_stats(struct pyprobe_memo_stats *out);

/* Forget every file and zero the counts (tests). */
void pyprobe__memo_clear(void);

/* "3.12.1" style text for loc (from hexversion, else major.minor). */
void pyprobe__version_str(const struct pyruntime_loc *loc, char *buf, size_t size);

#endif
