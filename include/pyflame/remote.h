/* remote.h - reading another process's memory: the seam every remote read goes through. */
#ifndef PYFLAME_REMOTE_H
#define PYFLAME_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A reader is a vtable plus its state.  Unit tests supply their own ops that read a
 * fake memory image (see tests/fakemem.h); the sampler uses one of the real readers.
 *
 * read() copies exactly len bytes from addr into buf and returns 0, or:
 *   -EFAULT  some byte is unmapped / unreadable (a torn or bogus pointer)
 *   -ESRCH   the process is gone
 *   -EPERM   the kernel refuses this reader (seccomp, Yama): try another
 * A short read is a failure, never a partial success.
 *
 * readv() is optional (NULL: remote__readv() loops over read()): copy iov[0], iov[1], ...
 * in order, in as few system calls as the reader can, stopping at the first entry that
 * cannot be read whole.  It returns how many leading entries were read whole (n when all
 * were; an entry with len 0 always succeeds), or -ESRCH / -EPERM as read() does.
 * remote__readv() passes at most REMOTE_IOV_MAX entries at a time.
 */
struct remote_iov {
	uint64_t addr;		/* in the target */
	void *buf;		/* ours */
	size_t len;
};

struct remote_ops {
	const char *name;
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void (*close)(void *ctx);
	int (*readv)(void *ctx, const struct remote_iov *iov, size_t n);
};

enum remote_kind {
	REMOTE_AUTO = 0,	/* vm, then mem, then peek: the first that is not refused */
	REMOTE_VM,		/* process_vm_readv */
	REMOTE_MEM,		/* pread on /proc/PID/mem (fd kept open) */
	REMOTE_PEEK,		/* PTRACE_PEEKDATA; the task must be ptrace-stopped */
};

struct remote {
	const struct remote_ops *ops;
	void *ctx;
	pid_t pid;
	enum remote_kind kind;	/* the reader in use (never REMOTE_AUTO once open) */
};

/* Open a reader for pid.  REMOTE_AUTO probes each kind with a real read at probe_addr. */
int remote__open(struct remote *r, pid_t pid, enum remote_kind kind, uint64_t probe_addr);
void remote__close(struct remote *r);

static inline int remote__read(const struct remote *r, uint64_t addr, void *buf, size_t len)
{
	return r->ops->read(r->ctx, addr, buf, len);
}

/*
 * Read every entry of iov; res[i] is set to 0 or -EFAULT for each.  The vm reader does it
 * in one system call when every entry is readable (up to REMOTE_IOV_MAX entries), and one
 * more call for the rest after each entry that is not.  Returns 0 (whatever res says),
 * or -ESRCH (the process is gone) / -EPERM (the reader is refused).
 */
#define REMOTE_IOV_MAX 1024
int remote__readv(const struct remote *r, const struct remote_iov *iov, size_t n, int *res);

int remote__read_u64(const struct remote *r, uint64_t addr, uint64_t *out);
int remote__read_u32(const struct remote *r, uint64_t addr, uint32_t *out);

const char *remote_kind__name(enum remote_kind kind);
int remote_kind__parse(const char *s, enum remote_kind *out);

#endif
