/*
 * hostile.so - a compromised sampler, for bats/060-privs.bats.
 *
 * Preloaded into pyflame (LD_PRELOAD), it waits for the first ppoll() (or poll()) of the
 * event loop after pyflame has confined itself (Seccomp: 2 in /proc/self/status), then tries every
 * escape an exploited parser would try, and prints one line per attempt on stderr:
 *
 *   hostile: NAME refused (ERRNO TEXT)    or    hostile: NAME ALLOWED
 *
 * HOSTILE_FILE     a file it may want to move, link, chmod, remove or write
 * HOSTILE_DIR      a folder of root's it would like a file in (a stand-in for /etc/cron.d)
 * HOSTILE_SECRET   a root-only file it would like to read
 * HOSTILE_VICTIM   the pid of an unrelated process to signal, trace and read
 *
 * The command pyflame starts does not inherit it (LD_PRELOAD is removed at load).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int done;

static void say(const char *what, long ret)
{
	char line[256];
	int n;

	if (ret < 0)
		n = snprintf(line, sizeof(line), "hostile: %s refused (%s)\n", what, strerror(errno));
	else
		n = snprintf(line, sizeof(line), "hostile: %s ALLOWED\n", what);
	if (write(2, line, (size_t)n) < 0) {
		/* nothing to do */
	}
}

static int confined(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "\nSeccomp:\t2") != NULL;
}

/* The command: pyflame's first child (its tracee). */
static pid_t child_of_self(void)
{
	char path[64], buf[64] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n > 0 ? (pid_t)atoi(buf) : 0;
}

static void attack(void)
{
	const char *file = getenv("HOSTILE_FILE"), *dir = getenv("HOSTILE_DIR");
	const char *secret = getenv("HOSTILE_SECRET"), *victim_s = getenv("HOSTILE_VICTIM");
	pid_t victim = victim_s ? (pid_t)atoi(victim_s) : 0;
	char target[512], buf[64];
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };
	long ret;
	int fd;

	snprintf(target, sizeof(target), "%s/evil", dir ? dir : "/nonexistent");
	say("rename", rename(file, target));
	say("link", link(file, target));
	say("symlink", symlink(file, target));
	say("unlink", unlink(file));
	say("chmod", chmod(file, 04755));
	fd = -1;
	for (int i = 3; i < 64 && fd < 0; i++)	/* any descriptor will do: an output's */
		if (fchmod(i, 04755) == 0)
			fd = i;
	say("fchmod", fd >= 0 ? 0 : -1);
	fd = open(file, O_WRONLY);
	say("open-write", fd);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0755);
	say("open-create", fd);
	fd = open(dir ? dir : "/tmp", O_WRONLY | O_TMPFILE, 0600);
	say("open-tmpfile", fd);
	say("mkdir", mkdir(target, 0755));
	fd = open(secret, O_RDONLY);
	ret = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	say("read-secret", ret);
	say("kill", kill(victim, SIGKILL));
	say("kill-group", kill(-victim, SIGKILL));
	say("ptrace-seize", ptrace(PTRACE_SEIZE, victim, 0L, (void *)(long)PTRACE_O_EXITKILL));
	say("ptrace-attach", ptrace(PTRACE_ATTACH, victim, 0L, 0L));
	ret = process_vm_readv(victim, &l, 1, &r, 1, 0);
	say("process_vm_readv", ret < 0 && errno == EFAULT ? 0 : ret);	/* let in, bad address */
	say("ptrace-poke", ptrace(PTRACE_POKEDATA, child_of_self(), (void *)0x400000, 0L));
	say("execve", execl("/bin/sh", "sh", "-c", "true", (char *)NULL));
}

static void maybe_attack(void)
{
	if (!done && confined()) {
		done = 1;
		attack();
	}
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);

	if (!real)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	maybe_attack();
	return real(fds, n, timeout);
}

/* The event loop waits in ppoll(): its timeout is the next tick's deadline. */
int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
	static int (*real)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);

	if (!real)
		real = (int (*)(struct pollfd *, nfds_t, const struct timespec *,
				const sigset_t *))dlsym(RTLD_NEXT, "ppoll");
	maybe_attack();
	return real(fds, n, tmo, mask);
}

__attribute__((constructor)) static void init(void)
{
	unsetenv("LD_PRELOAD");
}
