/* procmaps.h - parse /proc/PID/maps. */
#ifndef PYFLAME_PROCMAPS_H
#define PYFLAME_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCMAPS_R 1u
#define PROCMAPS_W 2u
#define PROCMAPS_X 4u
#define PROCMAPS_P 8u	/* private (p) rather than shared (s) */

struct procmaps_entry {
	uint64_t start, end, offset;
	uint64_t inode;
	unsigned perms;
	unsigned dev_major, dev_minor;
	const char *path;	/* "" for anonymous; " (deleted)" suffix stripped, see deleted */
	int deleted;
};

struct procmaps {
	struct procmaps_entry *v;
	size_t n;
	char *strings;		/* owns the path storage */
};

/* Parse maps text (untrusted: malformed lines are skipped).  NULL + errno on ENOMEM only. */
struct procmaps *procmaps__parse(const char *text, size_t len);
/* Read and parse /proc/PID/maps.  NULL with errno set (ESRCH when the process is gone). */
struct procmaps *procmaps__read(pid_t pid);
void procmaps__free(struct procmaps *m);

const struct procmaps_entry *procmaps__find_addr(const struct procmaps *m, uint64_t addr);
/* The lowest mapping of path with file offset 0 (where its ELF header is), or NULL. */
const struct procmaps_entry *procmaps__find_base(const struct procmaps *m, const char *path);

#endif
