/*
 * procfs.c - task state, status fields and signal masks from /proc.
 *
 * The tracer asks whether a task can stop before it waits for one (a vfork parent in
 * state D cannot until its child execs or exits), the sampler whether a thread is on a
 * CPU, the signal forwarder whether a signal is pending or caught.  One parser serves
 * them all, so that what "idle" or "stoppable" means is decided in one place.
 */
#include "pyflame/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/util.h"

/* /proc/PID/status is a few KiB; more than this is not a status file. */
#define STATUS_MAX 16384

enum procfs_state procfs__parse_state(const char *buf, size_t len)
{
	const char *paren = NULL;

	/* the command name may hold ')' and spaces: the state follows the last ')' */
	for (size_t i = len; i > 0; i--) {
		if (buf[i - 1] == ')') {
			paren = buf + i - 1;
			break;
		}
	}
	if (!paren || (size_t)(paren - buf) + 2 >= len || paren[1] != ' ')
		return PROCFS_STATE_UNKNOWN;
	switch (paren[2]) {
	case 'R': case 'S': case 'D': case 'T': case 't': case 'Z': case 'X':
		return (enum procfs_state)paren[2];
	case 'I': case 'P': case 'W': case 'K':
		return PROCFS_STATE_SLEEPING;	/* not on a CPU, and not one we trace */
	default:
		return PROCFS_STATE_UNKNOWN;
	}
}

enum procfs_state procfs__state_fd(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	return n > 0 ? procfs__parse_state(buf, (size_t)n) : PROCFS_STATE_UNKNOWN;
}

int procfs__parse_runtime(const char *buf, size_t len, uint64_t *ns, uint64_t *waited)
{
	uint64_t v[2] = { 0, 0 };
	size_t i = 0;

	for (int f = 0; f < (waited ? 2 : 1); f++) {
		size_t start = i;

		for (; i < len && i - start < 20 && buf[i] >= '0' && buf[i] <= '9'; i++)
			v[f] = v[f] * 10 + (uint64_t)(buf[i] - '0');	/* never past 2^64 - 1 */
		if (i == start || i - start == 20 || (i < len && buf[i] != ' ' && buf[i] != '\n'))
			return -EINVAL;
		if (f == 0 && waited && (i >= len || buf[i++] != ' '))
			return -EINVAL;
	}
	*ns = v[0];
	if (waited)
		*waited = v[1];
	return 0;
}

int procfs__runtime_fd(int fd, uint64_t *ns, uint64_t *waited)
{
	char buf[96];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	return procfs__parse_runtime(buf, (size_t)n, ns, waited);
}

/*
 * The image: the name, then fields 26, 27 and 28 (start of code, end of code, start of
 * stack).  The name is what lies between the first '(' and the last ')': a name may hold
 * either.  The pid before it is left out (a vfork child shares its parent's image).
 */
int procfs__parse_image(const char *buf, size_t len, uint64_t *id)
{
	const char *open_paren = memchr(buf, '(', len), *paren = NULL, *q, *end = buf + len;
	uint64_t v[3] = { 0, 0, 0 };
	int field = 2;

	for (q = buf + len; q > buf; q--)
		if (q[-1] == ')') {
			paren = q - 1;
			break;
		}
	if (!open_paren || !paren || open_paren > paren)
		return -EINVAL;
	for (q = paren + 1; q < end && field < 26; q++)
		if (*q == ' ')
			field++;
	for (int i = 0; i < 3; i++) {
		const char *start = q;

		for (; q < end && q - start < 20 && *q >= '0' && *q <= '9'; q++)
			v[i] = v[i] * 10 + (uint64_t)(*q - '0');
		if (field != 26 || q == start || q == end || *q != ' ')
			return -EINVAL;
		q++;
	}
	*id = pf_hash64(v, sizeof(v), pf_hash64(open_paren, (size_t)(paren - open_paren), 0)) | 1;
	return 0;
}

int procfs__image_fd(int fd, uint64_t *id)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	return procfs__parse_image(buf, (size_t)n, id);
}

enum procfs_state procfs__task_state(pid_t pid, pid_t tid)
{
	char path[64];
	enum procfs_state s;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PROCFS_STATE_UNKNOWN;
	s = procfs__state_fd(fd);
	close(fd);
	return s;
}

int procfs__state_stoppable(enum procfs_state s)
{
	switch (s) {
	case PROCFS_STATE_RUNNING:
	case PROCFS_STATE_SLEEPING:
	case PROCFS_STATE_STOPPED:
	case PROCFS_STATE_TRACED:
		return 1;
	default:
		return 0;
	}
}

/* The text after "\nKey:" in status (or at its start), white space skipped; NULL if none. */
static const char *status_value(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int procfs__parse_status_long(const char *status, const char *key, long *val)
{
	const char *v = status_value(status, key);
	char *end;
	long x;

	if (!v)
		return -ENOENT;
	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || errno)
		return -EINVAL;
	*val = x;
	return 0;
}

int procfs__parse_status_mask(const char *status, const char *key, uint64_t *mask)
{
	const char *v = status_value(status, key);
	char *end;
	unsigned long long x;

	if (!v)
		return -ENOENT;
	errno = 0;
	x = strtoull(v, &end, 16);
	if (end == v || errno)
		return -EINVAL;
	*mask = x;
	return 0;
}

static int read_status(pid_t pid, struct strbuf *sb)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ret = pf_read_file(path, sb, STATUS_MAX);
	if (!ret && !sb->len)
		ret = -ENOENT;
	return ret;
}

int procfs__status_long(pid_t pid, const char *key, long *val)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = read_status(pid, &sb);

	if (!ret)
		ret = procfs__parse_status_long(sb.buf, key, val);
	strbuf_release(&sb);
	return ret;
}

int procfs__signal_in(pid_t pid, int sig, const char *const keys[])
{
	struct strbuf sb = STRBUF_INIT;
	int in = 0;

	if (sig < 1 || sig > 64 || read_status(pid, &sb))
		goto out;
	for (size_t i = 0; keys[i]; i++) {
		uint64_t mask;

		if (!procfs__parse_status_mask(sb.buf, keys[i], &mask) && ((mask >> (sig - 1)) & 1))
			in = 1;
	}
out:
	strbuf_release(&sb);
	return in;
}

pid_t procfs__tgid(pid_t tid)
{
	long tgid;

	if (procfs__status_long(tid, "Tgid", &tgid) || tgid <= 0)
		return tid;
	return (pid_t)tgid;
}
