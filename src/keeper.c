/* keeper.c - the process that owns a sandboxed session's output files (keeper.h). */
#include "pyflame/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyflame/util.h"

enum keeper_op {
	KEEPER_COMMIT = 1,
	KEEPER_DISCARD,
};

struct keeper_msg {
	uint32_t op;
	uint32_t index;
};

struct keeper {
	int sock;
};

static int kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

/*
 * Close every descriptor but the files and the socket: the keeper must not hold the
 * sampler's pipes, signalfd or /proc files, nor pyflame's standard streams (a shell
 * reading pyflame's output through a pipe would wait for the keeper too).
 */
static void close_others(struct out_file *files, size_t n, struct out_file *raw, int sock)
{
	int *keep = xcalloc(2 * n + 3, sizeof(*keep));
	size_t nkeep = 0;
	int max = sock, null;

	keep[nkeep++] = sock;
	for (size_t i = 0; i <= n; i++) {
		struct out_file *f = i < n ? &files[i] : raw;

		if (!f)
			continue;
		keep[nkeep++] = f->fd;
		keep[nkeep++] = f->dirfd;
		if (f->fd > max)
			max = f->fd;
		if (f->dirfd > max)
			max = f->dirfd;
	}
	for (int fd = 0; fd <= max; fd++)
		if (!kept(fd, keep, nkeep))
			close(fd);
	close_range((unsigned)max + 1, ~0u, 0);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd <= 2 && null >= 0; fd++)
		if (!kept(fd, keep, nkeep) && fd != null)
			dup2(null, fd);
	free(keep);
}

static void keeper_main(int sock, struct out_file *files, size_t n, struct out_file *raw)
{
	struct keeper_msg m;
	sigset_t none;
	ssize_t got;

	setsid();
	prctl(PR_SET_NAME, "pyflame-keeper", 0L, 0L, 0L);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	close_others(files, n, raw, sock);
	while ((got = read(sock, &m, sizeof(m))) == (ssize_t)sizeof(m) ||
	       (got < 0 && errno == EINTR)) {
		struct out_file *f;
		int32_t ret = -EINVAL;

		if (got < 0)
			continue;
		f = m.index < n ? &files[m.index] : m.index == n ? raw : NULL;
		if (f && m.op == KEEPER_COMMIT) {
			ret = outputs__commit(f);
		} else if (f && m.op == KEEPER_DISCARD) {
			outputs__discard(f);
			ret = 0;
		}
		if (write(sock, &ret, sizeof(ret)) != (ssize_t)sizeof(ret))
			break;
	}
	/* the sampler is done (or dead): what it did not put in place goes, but the raw log */
	for (size_t i = 0; i < n; i++)
		outputs__discard(&files[i]);
	_exit(0);
}

struct keeper *keeper__start(struct out_file *files, size_t n, struct out_file *raw)
{
	struct keeper *k;
	int sv[2], status, e;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	fflush(NULL);
	mid = fork();
	if (mid == 0) {
		/* twice, so the keeper is no child of the tracer, whose waits take any child */
		pid_t pid = fork();

		if (pid == 0) {
			close(sv[0]);
			keeper_main(sv[1], files, n, raw);
		}
		_exit(pid < 0 ? 1 : 0);
	}
	e = errno;
	close(sv[1]);
	if (mid < 0 || waitpid(mid, &status, 0) != mid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		close(sv[0]);
		errno = mid < 0 ? e : ECHILD;
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->sock = sv[0];
	return k;
}

static int ask(struct keeper *k, enum keeper_op op, size_t i)
{
	struct keeper_msg m = { .op = op, .index = (uint32_t)i };
	int32_t ret;

	if (write(k->sock, &m, sizeof(m)) != (ssize_t)sizeof(m))
		return -EPIPE;
	if (read(k->sock, &ret, sizeof(ret)) != (ssize_t)sizeof(ret))
		return -EPIPE;
	return ret;
}

int keeper__commit(struct keeper *k, size_t i)
{
	return ask(k, KEEPER_COMMIT, i);
}

int keeper__discard(struct keeper *k, size_t i)
{
	return ask(k, KEEPER_DISCARD, i);
}

void keeper__free(struct keeper *k)
{
	if (!k)
		return;
	close(k->sock);
	free(k);
}
