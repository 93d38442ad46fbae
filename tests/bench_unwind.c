/*
 * bench_unwind.c - what one sample costs the sampler: unwinder__sample() against a live
 * CPython whose threads spin at a known stack depth, for every interpreter found.
 *
 *   make bench-unwind                       (builds build/bench_unwind and runs it)
 *   build/bench_unwind [-n SAMPLES] [-r HZ] [-d DEPTH,...] [-t THREADS,...] [-a MODE] [PYTHON...]
 *
 * Without PYTHON arguments it runs every $(pyenv root)/versions/X/bin/python and
 * /usr/bin/python3.  For each interpreter, depth and thread count it starts a target whose
 * threads all spin in a loop DEPTH Python frames deep, warms the unwinder's caches with 200
 * samples, then takes SAMPLES samples at HZ (0: back to back) in 5 rounds and prints the
 * median round (and the spread) of:
 *   cpu/sample   this process's CPU time (user+sys, CLOCK_PROCESS_CPUTIME_ID) per sample,
 *                less the cost of reading that clock (measured at start)
 *   cpu/thread   the same divided by the threads read in each sample
 *   calls        remote read system calls per sample (read + batched reads)
 *   ranges, KiB  remote ranges (iovecs) and KiB read per sample
 *   depth        mean frames per thread sample (what was really read)
 * -a plain|async|all (3.11+; all: 3.14+): the target is instead one asyncio event loop
 * whose running task spins DEPTH frames deep while THREADS - 1 other tasks (at least 1)
 * sleep three coroutines deep, sampled plainly, with --async or with --async=all ("thr" is
 * then the tasks, and cpu/thr is per emitted stack: threads and waiting tasks).
 * -e: --mode exception's reads too (each thread's handled exception; the target's threads
 * handle none, the common case).
 * Needs the right to read the target's memory (root, or ptrace_scope 0: the target is our
 * child).  Figures are this machine's: compare runs on one machine, not numbers across
 * machines.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/pyprobe.h"
#include "pyflame/remote.h"
#include "pyflame/strtab.h"
#include "pyflame/unwind.h"
#include "pyflame/util.h"

#define ROUNDS 5
#define WARMUP 200

/* Every thread spins DEPTH frames deep; "ready" once all of them are there. */
static const char target_src[] =
	"import sys, threading, time\n"
	"D = int(sys.argv[1]); T = int(sys.argv[2])\n"
	"started = []\n"
	"def leaf():\n"
	"    started.append(1)\n"
	"    x = 0\n"
	"    while True:\n"
	"        x += 1\n"
	"def descend(d):\n"
	"    if d <= 0:\n"
	"        leaf()\n"
	"    else:\n"
	"        descend(d - 1)\n"
	"def main(n):\n"
	"    descend(n)\n"
	"sys.setrecursionlimit(10000)\n"
	"for i in range(T - 1):\n"
	"    t = threading.Thread(target=main, args=(max(0, D - 6),))\n"
	"    t.daemon = True\n"
	"    t.start()\n"
	"def ready():\n"
	"    while len(started) < T:\n"
	"        time.sleep(0.01)\n"
	"    sys.stdout.write('ready\\n')\n"
	"    sys.stdout.flush()\n"
	"r = threading.Thread(target=ready)\n"
	"r.daemon = True\n"
	"r.start()\n"
	"main(max(0, D - 4))\n";

/* -a: one event loop; Task-1 spins DEPTH frames deep, N more tasks sleep in a 3-deep chain. */
static const char async_src[] =
	"import asyncio, sys\n"
	"D = int(sys.argv[1]); T = int(sys.argv[2])\n"
	"def leaf():\n"
	"    x = 0\n"
	"    while True:\n"
	"        x += 1\n"
	"def descend(d):\n"
	"    if d <= 0:\n"
	"        leaf()\n"
	"    else:\n"
	"        descend(d - 1)\n"
	"async def nap():\n"
	"    while True:\n"
	"        await asyncio.sleep(10)\n"
	"async def middle():\n"
	"    await nap()\n"
	"async def sleeper():\n"
	"    await middle()\n"
	"async def main():\n"
	"    ts = [asyncio.create_task(sleeper()) for _ in range(max(1, T - 1))]\n"
	"    await asyncio.sleep(0.2)\n"
	"    sys.stdout.write('ready\\n')\n"
	"    sys.stdout.flush()\n"
	"    descend(max(0, D - 8))\n"
	"sys.setrecursionlimit(10000)\n"
	"asyncio.run(main())\n";

static int exc_mode;			/* -e: unwinder__want_exceptions() */
static int async_mode = -1;		/* -a: -1 off, 0 plain, 1 --async, 2 --async=all */

/* A reader that counts the system calls it makes on behalf of the real one. */
struct counting {
	const struct remote_ops *real;
	void *real_ctx;
	unsigned long calls, iovs, bytes;
};

static int count_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct counting *c = ctx;

	c->calls++;
	c->iovs++;
	c->bytes += len;
	return c->real->read(c->real_ctx, addr, buf, len);
}

static int count_readv(void *ctx, const struct remote_iov *iov, size_t n)
{
	struct counting *c = ctx;

	c->calls++;
	c->iovs += n;
	for (size_t i = 0; i < n; i++)
		c->bytes += iov[i].len;
	return c->real->readv(c->real_ctx, iov, n);
}

static struct remote_ops counting_ops = { .name = "counting", .read = count_read };

static struct strtab *strings;
static double clock_cost;		/* of one cpu_us() pair, subtracted per sample */
static unsigned long emitted, frames;

static void on_thread(void *arg, const struct unwind_thread *t)
{
	(void)arg;
	emitted++;
	frames += t->depth;
}

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static pid_t start_target(const char *python, unsigned depth, unsigned threads, FILE **out)
{
	int fd[2];
	char d[16], t[16], line[64];
	pid_t pid;

	if (pipe(fd))
		return -1;
	snprintf(d, sizeof(d), "%u", depth);
	snprintf(t, sizeof(t), "%u", threads);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(python, python, "-c", async_mode >= 0 ? async_src : target_src, d, t,
		      (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	*out = fdopen(fd[0], "r");
	if (pid < 0 || !*out || !fgets(line, sizeof(line), *out) || strcmp(line, "ready\n")) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	return pid;
}

static void sleep_until(struct timespec *next, long period_ns)
{
	next->tv_nsec += period_ns;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static int bench_one(const char *python, unsigned depth, unsigned threads, unsigned n,
		     unsigned hz)
{
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct remote r, counted;
	struct counting c;
	struct unwinder *u = NULL;
	struct unwind_stats st = { 0 };
	double per[ROUNDS], per_thread[ROUNDS], calls[ROUNDS], dep[ROUNDS], iovs[ROUNDS];
	double kb[ROUNDS];
	char ver[32];
	FILE *out = NULL;
	pid_t pid;
	int err = -1;

	pid = start_target(python, depth, threads, &out);
	if (pid < 0) {
		fprintf(stderr, "%s: target did not start\n", python);
		goto out;
	}
	if (pyprobe__locate(pid, &loc) || remote__open(&r, pid, REMOTE_AUTO,
			loc.runtime_addr ? loc.runtime_addr : loc.interp_head_addr)) {
		fprintf(stderr, "%s: cannot read the target\n", python);
		goto out_kill;
	}
	if (py_offsets__resolve(&r, &loc, &off))
		goto out_close;
	c.real = r.ops;
	c.real_ctx = r.ctx;
	c.calls = c.iovs = c.bytes = 0;
	counting_ops.readv = r.ops->readv ? count_readv : NULL;
	counted = r;
	counted.ops = &counting_ops;
	counted.ctx = &c;
	u = unwinder__new(&counted, &loc, &off, strings, 2048);
	if (!u)
		goto out_close;
	if (exc_mode && unwinder__want_exceptions(u)) {
		fprintf(stderr, "%s: no exception layout\n", python);
		goto out_free;
	}
	if (async_mode > 0) {
		uint8_t buf[PY_ASYNC_DEBUG_SIZE];
		struct py_async_offsets a;
		uint64_t addr;

		int bad;

		if (off.version < PY_VER(3, 14))	/* 3.11-3.13: from _asyncio's dicts */
			bad = py_offsets__async_table(&off, &a) ||
			      unwinder__set_async(u, &a, async_mode > 1) ||
			      unwinder__find_asyncio(u);
		else
			bad = pyprobe__locate_asyncio(pid, loc.binary, &addr) ||
			      remote__read(&r, addr, buf, sizeof(buf)) ||
			      py_offsets__from_async_debug(buf, sizeof(buf), &off, &a) ||
			      unwinder__set_async(u, &a, async_mode > 1);
		if (bad) {
			fprintf(stderr, "%s: no asyncio task layout (3.11+)\n", python);
			goto out_free;
		}
	}
	for (unsigned i = 0; i < WARMUP; i++)
		unwinder__sample(u, on_thread, NULL, &st);
	for (unsigned k = 0; k < ROUNDS; k++) {
		unsigned m = n / ROUNDS ? n / ROUNDS : 1;
		unsigned long e0 = emitted, f0 = frames, c0 = c.calls, i0 = c.iovs, b0 = c.bytes;
		struct timespec next;
		double cpu = 0;

		clock_gettime(CLOCK_MONOTONIC, &next);
		for (unsigned i = 0; i < m; i++) {
			double t0;

			if (hz)
				sleep_until(&next, 1000000000L / hz);
			t0 = cpu_us();
			unwinder__sample(u, on_thread, NULL, &st);
			cpu += cpu_us() - t0;
		}
		cpu -= clock_cost * m;
		per[k] = cpu / m;
		per_thread[k] = emitted > e0 ? cpu / (double)(emitted - e0) : 0;
		calls[k] = (double)(c.calls - c0) / m;
		iovs[k] = (double)(c.iovs - i0) / m;
		kb[k] = (double)(c.bytes - b0) / m / 1024;
		dep[k] = emitted > e0 ? (double)(frames - f0) / (double)(emitted - e0) : 0;
	}
	{
		double sp[ROUNDS], spt[ROUNDS];

		memcpy(sp, per, sizeof(sp));
		memcpy(spt, per_thread, sizeof(spt));
		qsort(sp, ROUNDS, sizeof(double), cmp_double);
		qsort(spt, ROUNDS, sizeof(double), cmp_double);
		qsort(calls, ROUNDS, sizeof(double), cmp_double);
		qsort(dep, ROUNDS, sizeof(double), cmp_double);
		qsort(iovs, ROUNDS, sizeof(double), cmp_double);
		qsort(kb, ROUNDS, sizeof(double), cmp_double);
		pyprobe__version_str(&loc, ver, sizeof(ver));
		printf("%-8s %5u %7u %7.1f %8.2f [%6.2f-%6.2f] %8.2f %7.1f %6.1f %6.1f",
		       ver, threads, depth, dep[ROUNDS / 2], sp[ROUNDS / 2], sp[0],
		       sp[ROUNDS - 1], spt[ROUNDS / 2], calls[ROUNDS / 2], iovs[ROUNDS / 2],
		       kb[ROUNDS / 2]);
		for (int d = 0; d < UNWIND_DROP__COUNT; d++)
			if (st.drops[d])
				printf(" drop-%s=%llu", unwind_drop__name((enum unwind_drop)d),
				       (unsigned long long)st.drops[d]);
		printf("\n");
		fflush(stdout);
	}
	err = 0;
out_free:
	unwinder__free(u);
out_close:
	remote__close(&r);
out_kill:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out:
	if (out)
		fclose(out);
	return err;
}

static int parse_list(const char *s, unsigned *v, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		v[n++] = (unsigned)strtoul(s, &end, 10);
		if (*end != ',')
			break;
		s = end + 1;
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* $(pyenv root)/versions/X/bin/python, sorted, then /usr/bin/python3. */
static int find_pythons(char **v, int max)
{
	const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (root)
		snprintf(dir, sizeof(dir), "%s/versions", root);
	else
		snprintf(dir, sizeof(dir), "%s/.pyenv/versions", home ? home : "/root");
	d = opendir(dir);
	while (d && (de = readdir(d)) && n < max - 1) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/bin/python", dir, de->d_name);
		if (access(path, X_OK) == 0)
			v[n++] = xstrdup(path);
	}
	if (d)
		closedir(d);
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	if (access("/usr/bin/python3", X_OK) == 0 && n < max)
		v[n++] = xstrdup("/usr/bin/python3");
	return n;
}

int main(int argc, char **argv)
{
	unsigned depths[8] = { 10, 100 }, threads[8] = { 1 }, n = 1000, hz = 1000;
	int nd = 2, nt = 1, np, opt;
	char *pythons[64];

	while ((opt = getopt(argc, argv, "n:r:d:t:a:e")) != -1) {
		switch (opt) {
		case 'a':
			async_mode = !strcmp(optarg, "plain") ? 0 : !strcmp(optarg, "async") ? 1 :
				     !strcmp(optarg, "all") ? 2 : -2;
			if (async_mode == -2) {
				fprintf(stderr, "%s: -a plain, async or all\n", argv[0]);
				return 2;
			}
			break;
		case 'e':
			exc_mode = 1;
			break;
		case 'n':
			n = (unsigned)atoi(optarg);
			break;
		case 'r':
			hz = (unsigned)atoi(optarg);
			break;
		case 'd':
			nd = parse_list(optarg, depths, 8);
			break;
		case 't':
			nt = parse_list(optarg, threads, 8);
			break;
		default:
			fprintf(stderr, "usage: %s [-n SAMPLES] [-r HZ] [-d DEPTH,...] "
				"[-t THREADS,...] [-a plain|async|all] [-e] [PYTHON...]\n", argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		np = 0;
		for (int i = optind; i < argc && np < 64; i++)
			pythons[np++] = xstrdup(argv[i]);
	} else {
		np = find_pythons(pythons, 64);
	}
	{
		double d[1001];

		for (int i = 0; i < 1001; i++) {
			double t0 = cpu_us();

			d[i] = cpu_us() - t0;
		}
		qsort(d, 1001, sizeof(double), cmp_double);
		clock_cost = d[500];
	}
	strings = strtab__new();
	printf("# %u samples per cell at %u Hz (0 = back to back), median of %d rounds "
	       "[min-max]; cpu in us (%.2f us of clock reads subtracted per sample)\n",
	       n, hz, ROUNDS, clock_cost);
	printf("%-8s %5s %7s %7s %8s %17s %8s %7s %6s %6s\n", "python", "thr", "depth", "frames",
	       "cpu/smp", "[range]", "cpu/thr", "calls", "ranges", "KiB");
	for (int i = 0; i < np; i++)
		for (int t = 0; t < nt; t++)
			for (int d = 0; d < nd; d++)
				bench_one(pythons[i], depths[d], threads[t], n, hz);
	strtab__free(strings);
	for (int i = 0; i < np; i++)
		free(pythons[i]);
	return 0;
}
