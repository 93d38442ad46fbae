/*
 * live_dump.c - dev tool: sample a live Python process once and print every thread's
 * frames, to compare with the reference walker.  Not part of `make unit`:
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -o build/live_dump tests/live_dump.c build/libpyflame.a \
 *      $(pkg-config --libs libseccomp libcap zlib)
 *   build/live_dump PID [samples]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyflame/pyprobe.h"
#include "pyflame/remote.h"
#include "pyflame/strtab.h"
#include "pyflame/unwind.h"
#include "pyflame/util.h"

static struct strtab *strings;
static int quiet;

static void print_thread(void *arg, const struct unwind_thread *t)
{
	(void)arg;
	if (quiet)
		return;
	printf("thread tid=%d interp=%lld gil=%d truncated=%d depth=%u\n", (int)t->tid,
	       (long long)t->interp_id, !!(t->flags & PF_SAMPLE_GIL),
	       !!(t->flags & PF_SAMPLE_TRUNCATED), t->depth);
	for (unsigned i = 0; i < t->depth; i++)
		printf("    %s (%s:%d)\n", strtab__get(strings, t->frames[i].name),
		       strtab__get(strings, t->frames[i].file), t->frames[i].line);
}

int main(int argc, char **argv)
{
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct remote r;
	struct unwinder *u;
	struct unwind_stats st = { 0 };
	pid_t pid;
	int err, n = 1;
	uint64_t t0, t1;
	char ver[64];

	if (argc < 2)
		return 2;
	pid = atoi(argv[1]);
	if (argc > 2)
		n = atoi(argv[2]);
	err = pyprobe__locate(pid, &loc);
	if (err)
		return fprintf(stderr, "locate: %s\n", strerror(-err)), 1;
	pyprobe__version_str(&loc, ver, sizeof(ver));
	err = remote__open(&r, pid, REMOTE_AUTO, loc.runtime_addr ? loc.runtime_addr :
			   loc.interp_head_addr);
	if (err)
		return fprintf(stderr, "open: %s\n", strerror(-err)), 1;
	err = py_offsets__resolve(&r, &loc, &off);
	if (err)
		return fprintf(stderr, "resolve: %s\n", strerror(-err)), 1;
	printf("version %s binary %s reader %s\n", ver, loc.binary, r.ops->name);
	strings = strtab__new();
	u = unwinder__new(&r, &loc, &off, strings, 256);
	err = unwinder__sample(u, print_thread, NULL, &st);
	if (err)
		fprintf(stderr, "sample: %s\n", strerror(-err));
	quiet = 1;
	t0 = pf_now_ns();
	for (int i = 1; i < n; i++)
		unwinder__sample(u, print_thread, NULL, &st);
	t1 = pf_now_ns();
	if (n > 1)
		printf("%d samples, %.2f us/sample, threads=%llu\n", n - 1,
		       (double)(t1 - t0) / 1000.0 / (n - 1), (unsigned long long)st.threads);
	for (int d = 0; d < UNWIND_DROP__COUNT; d++)
		if (st.drops[d])
			printf("drops %s: %llu\n", unwind_drop__name((enum unwind_drop)d),
			       (unsigned long long)st.drops[d]);
	unwinder__free(u);
	strtab__free(strings);
	remote__close(&r);
	return 0;
}
