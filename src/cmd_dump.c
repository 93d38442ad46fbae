/*
 * cmd_dump.c - `pyflame dump -p PID`: seize every thread, stop them for a consistent
 * snapshot, print, and let go.  The process is never left stopped and never killed.
 */
#include "pyflame/cmd_dump.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "pyflame/exitcode.h"
#include "pyflame/procfs.h"
#include "pyflame/profile.h"
#include "pyflame/sampler.h"
#include "pyflame/session.h"
#include "pyflame/tracer.h"
#include "pyflame/util.h"

/* The threads of pid that are not running now (before we stop them). */
static pid_t *idle_threads(pid_t pid, size_t *n)
{
	char path[96];
	pid_t *v = NULL;
	size_t alloc = 0;
	DIR *d;
	struct dirent *de;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return xcalloc(1, sizeof(*v));
	while ((de = readdir(d)) && *n < 65536) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
		enum procfs_state st;

		if (tid <= 0)
			continue;
		st = procfs__task_state(pid, tid);
		if (st != PROCFS_STATE_UNKNOWN && st != PROCFS_STATE_RUNNING) {
			xgrow((void **)&v, &alloc, *n + 1, sizeof(*v));
			v[(*n)++] = tid;
		}
	}
	closedir(d);
	return v ? v : xcalloc(1, sizeof(*v));
}

int cmd_dump(const struct run_opts *o)
{
	struct sampler_opts sopts = {
		.mode = o->mode,
		.reader = o->reader,
		.max_depth = o->max_depth,
		.gc_frames = o->gc_frames,
		.native = o->native,
	};
	/* a dump stops the process once: it may wait longer for a loaded machine than a tick */
	struct tracer_opts to = { .follow = 1, .hold_wait_ns = 2000000000ull };
	struct stackdump_opts so = { .json = o->json };
	pid_t pid = o->attach_pid;
	struct profile *prof;
	struct sampler *sm = NULL;
	struct tracer *tr;
	pid_t *idle = NULL;
	size_t nidle = 0;
	char *command = NULL;
	int status = PF_EXIT_FAILURE, ret;

	if (kill(pid, 0) < 0 && errno == ESRCH) {
		pf_error(0, "no process %d", (int)pid);
		return PF_EXIT_USAGE;
	}
	prof = profile__new();
	sm = sampler__new(&sopts, prof, pf_now_ns());
	tr = tracer__new(&to, &sampler__tracer_ops, sm);
	sampler__set_tracer(sm, tr);
	if (session__attach(tr, pid, &sopts.reader))
		goto out;
	sampler__set_reader(sm, sopts.reader);
	/* the memory it parses is the target's: confined like attach from here on (dump has
	 * no --no-sandbox: it makes no file, so nothing it needs is refused) */
	session__confine(1, NULL, 0, NULL, 0);
	sampler__add(sm, pid, 0);
	idle = idle_threads(pid, &nidle);
	so.idle_tids = idle;
	so.nidle_tids = nidle;
	ret = tracer__hold(tr, pid, 1);
	if (ret == -ESRCH) {
		pf_error(0, "process %d went away", (int)pid);
		goto out_release;
	}
	if (ret)	/* a thread in vfork, say: read it running rather than wait */
		pf_warn("process %d: cannot stop every thread now (%s); its stacks are read "
			"while it runs", (int)pid, ret == -EAGAIN ? "one is in uninterruptible "
			"sleep, as a vfork parent is" : "one did not stop in time");
	ret = sampler__is_python(sm, pid);
	if (ret <= 0) {
		if (!ret)	/* < 0: a CPython it cannot read, named already */
			pf_error(0, "process %d is not running Python (no CPython runtime in its "
				 "executable or libraries, or not initialised yet)", (int)pid);
		goto out_release;
	}
	/* JSON is for tools: the whole command line, not the profile's shortened one */
	if (o->json)
		command = session__cmdline(pid);
	status = sampler__print_stacks(sm, pid, command, &so, stdout) ? PF_EXIT_FAILURE : 0;
	if (status)
		pf_error(0, "could not read the stacks of process %d", (int)pid);
out_release:
	tracer__release(tr);
	tracer__detach_all(tr);
	session__report_sandbox();
out:
	tracer__free(tr);
	sampler__free(sm);
	free(idle);
	free(command);
	profile__free(prof);
	return status;
}
