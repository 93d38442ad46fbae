/*
 * remote.c - the three real readers of another process's memory.
 *
 *   vm    process_vm_readv(2): one syscall per read, no fd; needs ptrace-attach permission.
 *   mem   pread(2) on /proc/PID/mem, the fd kept open; same permission, works where a
 *         seccomp policy or an old kernel refuses process_vm_readv.
 *   peek  PTRACE_PEEKDATA, one word per syscall; the task must be our ptrace-stopped tracee.
 *
 * Every reader copies exactly len bytes or fails: a short read is -EFAULT (the rest is
 * unmapped), a vanished process -ESRCH, a refusal by the kernel -EPERM (try another reader).
 */
#include "pyflame/remote.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pyflame/procmaps.h"
#include "pyflame/util.h"

struct remote_pid {
	pid_t pid;
	int fd;			/* /proc/PID/mem for the mem reader, else -1 */
	struct iovec *lv, *rv;	/* vm readv: REMOTE_IOV_MAX each, allocated on first use */
};

/*
 * Is the process still there (and not a zombie, which has no memory left)?  Used on failure
 * paths only, to tell a vanished task from an unmapped address.
 */
static int pid_alive(pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	const char *paren;
	int alive = 1;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pf_read_file(path, &sb, 4096) == -ENOENT) {
		alive = 0;
	} else if ((paren = strrchr(sb.buf, ')')) && paren[1] == ' ' &&
		   (paren[2] == 'Z' || paren[2] == 'X')) {
		alive = 0;	/* the comm may hold ')': the state follows the last one */
	}
	strbuf_release(&sb);
	return alive;
}

static int vm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct remote_pid *p = ctx;
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		return -EFAULT;
	switch (errno) {
	case ESRCH:
		return -ESRCH;
	case EPERM:
	case ENOSYS:
		return -EPERM;
	default:		/* EFAULT, EINVAL (addr + len wraps), ENOMEM */
		return -EFAULT;
	}
}

/*
 * Many remote ranges in one process_vm_readv.  The kernel copies the entries in order and
 * stops at the first page it cannot reach; the byte count says how far it got.  Local
 * buffers that follow each other are passed as one local iovec.
 */
static int vm_readv(void *ctx, const struct remote_iov *iov, size_t n)
{
	struct remote_pid *p = ctx;
	size_t nl = 0, nr = 0, i, done;
	ssize_t got;

	if (n > REMOTE_IOV_MAX)
		return -EINVAL;		/* remote__readv() never asks for more */
	if (!p->lv) {
		p->lv = xcalloc(REMOTE_IOV_MAX, sizeof(*p->lv));
		p->rv = xcalloc(REMOTE_IOV_MAX, sizeof(*p->rv));
	}
	for (i = 0; i < n; i++) {
		if (!iov[i].len)
			continue;
		if (nl && (char *)p->lv[nl - 1].iov_base + p->lv[nl - 1].iov_len ==
			  (char *)iov[i].buf) {
			p->lv[nl - 1].iov_len += iov[i].len;
		} else {
			p->lv[nl].iov_base = iov[i].buf;
			p->lv[nl++].iov_len = iov[i].len;
		}
		p->rv[nr].iov_base = (void *)(uintptr_t)iov[i].addr;
		p->rv[nr++].iov_len = iov[i].len;
	}
	if (!nr)
		return (int)n;
	got = process_vm_readv(p->pid, p->lv, nl, p->rv, nr, 0);
	if (got < 0) {
		switch (errno) {
		case ESRCH:
			return -ESRCH;
		case EPERM:
		case ENOSYS:
			return -EPERM;
		default:	/* the first entry is unreadable */
			got = 0;
		}
	}
	/* Count the entries copied whole. */
	for (i = 0, done = (size_t)got; i < n; i++) {
		if (iov[i].len > done)
			break;
		done -= iov[i].len;
	}
	return (int)i;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct remote_pid *p = ctx;
	size_t done = 0;
	ssize_t n;

	/* pread takes a signed off_t: addresses above 2^63 are kernel space anyway. */
	if (addr > INT64_MAX || len > (uint64_t)INT64_MAX - addr)
		return -EFAULT;
	while (done < len) {
		n = pread(p->fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPERM || errno == EACCES))
			return -EPERM;
		/* EOF or EIO: unmapped, unless the process itself went away. */
		return pid_alive(p->pid) ? -EFAULT : -ESRCH;
	}
	return 0;
}

static int peek_word(pid_t pid, uint64_t addr, long *out)
{
	errno = 0;
	*out = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)addr, NULL);
	if (!errno)
		return 0;
	switch (errno) {
	case ESRCH:		/* gone, or not our stopped tracee */
		return pid_alive(pid) ? -EPERM : -ESRCH;
	case EPERM:
		return -EPERM;
	default:		/* EIO, EFAULT */
		return -EFAULT;
	}
}

static int peek_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct remote_pid *p = ctx;
	const uint64_t ws = sizeof(long);
	uint64_t end, a;
	unsigned char *out = buf;
	long w;
	int err;

	if (!len)
		return 0;
	if (pf_add_overflows(addr, len, &end))
		return -EFAULT;
	/* Whole aligned words covering [addr, end); copy the part of each that we want. */
	for (a = addr & ~(ws - 1); a < end; a += ws) {
		uint64_t from = a < addr ? addr : a;
		uint64_t to = a + ws < end ? a + ws : end;

		err = peek_word(p->pid, a, &w);
		if (err)
			return err;
		memcpy(out + (from - addr), (unsigned char *)&w + (from - a), to - from);
	}
	return 0;
}

static void pid_close(void *ctx)
{
	struct remote_pid *p = ctx;

	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->lv);
	free(p->rv);
	free(p);
}

static const struct remote_ops vm_ops = { "vm", vm_read, pid_close, vm_readv };
static const struct remote_ops mem_ops = { "mem", mem_read, pid_close, NULL };
static const struct remote_ops peek_ops = { "peek", peek_read, pid_close, NULL };

/* Start of the first readable mapping of pid, the default probe address. */
static int first_readable(pid_t pid, uint64_t *addr)
{
	struct procmaps *m = procmaps__read(pid);
	size_t i;
	int err = -EFAULT;

	if (!m)
		return errno == ESRCH ? -ESRCH : -errno;
	for (i = 0; i < m->n; i++) {
		/* [vvar] is readable in maps but not through any of these readers. */
		if ((m->v[i].perms & PROCMAPS_R) && strcmp(m->v[i].path, "[vvar]") &&
		    strcmp(m->v[i].path, "[vsyscall]")) {
			*addr = m->v[i].start;
			err = 0;
			break;
		}
	}
	procmaps__free(m);
	return err;
}

/* Open one reader kind and check it with a real read at probe_addr. */
static int open_kind(struct remote *r, pid_t pid, enum remote_kind kind, uint64_t probe_addr)
{
	struct remote_pid *p = xcalloc(1, sizeof(*p));
	char path[64], byte;
	int err;

	p->pid = pid;
	p->fd = -1;
	switch (kind) {
	case REMOTE_VM:
		r->ops = &vm_ops;
		break;
	case REMOTE_MEM:
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		p->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0) {
			err = errno == ENOENT ? -ESRCH : errno == EACCES ? -EPERM : -errno;
			goto out_free;
		}
		r->ops = &mem_ops;
		break;
	case REMOTE_PEEK:
		r->ops = &peek_ops;
		break;
	default:
		err = -EINVAL;
		goto out_free;
	}
	r->ctx = p;
	r->pid = pid;
	r->kind = kind;
	err = r->ops->read(p, probe_addr, &byte, 1);
	if (!err)
		return 0;
out_free:
	pid_close(p);
	r->ops = NULL;
	r->ctx = NULL;
	return err;
}

int remote__open(struct remote *r, pid_t pid, enum remote_kind kind, uint64_t probe_addr)
{
	static const enum remote_kind order[] = { REMOTE_VM, REMOTE_MEM, REMOTE_PEEK };
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	if (pid <= 0)
		return -ESRCH;
	if (!probe_addr) {
		err = first_readable(pid, &probe_addr);
		if (err)
			return err;
	}
	if (kind != REMOTE_AUTO)
		return open_kind(r, pid, kind, probe_addr);
	/*
	 * The first reader that works wins.  Only a refusal moves on to the next: an address
	 * that does not read (the process exec'd, say) would not read with any of them.
	 */
	err = -EPERM;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		err = open_kind(r, pid, order[i], probe_addr);
		if (err != -EPERM && err != -EACCES && err != -ENOSYS)
			break;
	}
	return err;
}

void remote__close(struct remote *r)
{
	if (!r || !r->ops)
		return;
	if (r->ops->close)
		r->ops->close(r->ctx);
	r->ops = NULL;
	r->ctx = NULL;
}

int remote__readv(const struct remote *r, const struct remote_iov *iov, size_t n, int *res)
{
	size_t i = 0, m;
	int k;

	while (i < n) {
		if (!r->ops->readv) {
			k = r->ops->read(r->ctx, iov[i].addr, iov[i].buf, iov[i].len);
			if (k == -ESRCH || k == -EPERM)
				return k;
			res[i++] = k ? -EFAULT : 0;
			continue;
		}
		m = n - i < REMOTE_IOV_MAX ? n - i : REMOTE_IOV_MAX;
		k = r->ops->readv(r->ctx, iov + i, m);
		if (k == -ESRCH || k == -EPERM)
			return k;
		if (k < 0)
			k = 0;
		if ((size_t)k > m)
			k = (int)m;
		for (int j = 0; j < k; j++)
			res[i++] = 0;
		/* Entry i stopped the batch: it fails, the rest go in the next call. */
		if ((size_t)k < m)
			res[i++] = -EFAULT;
	}
	return 0;
}

int remote__read_u64(const struct remote *r, uint64_t addr, uint64_t *out)
{
	return remote__read(r, addr, out, sizeof(*out));
}

int remote__read_u32(const struct remote *r, uint64_t addr, uint32_t *out)
{
	return remote__read(r, addr, out, sizeof(*out));
}

static const char *const kind_names[] = {
	[REMOTE_AUTO] = "auto",
	[REMOTE_VM] = "vm",
	[REMOTE_MEM] = "mem",
	[REMOTE_PEEK] = "peek",
};

const char *remote_kind__name(enum remote_kind kind)
{
	if ((unsigned)kind >= ARRAY_SIZE(kind_names))
		return "?";
	return kind_names[kind];
}

int remote_kind__parse(const char *s, enum remote_kind *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kind_names); i++) {
		if (s && !strcmp(s, kind_names[i])) {
			*out = (enum remote_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}
