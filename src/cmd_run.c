/*
 * cmd_run.c - `pyflame run` and `pyflame attach`: the session.  Open the outputs, launch
 * or attach under the tracer with the sampler listening, drop privileges and confine,
 * sample until the command ends, and write the profiles.  The sampler (sampler.c) does
 * the sampling; this file knows the order of things and what the user is told.
 */
#include "pyflame/cmd_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/exitcode.h"
#include "pyflame/keeper.h"
#include "pyflame/live.h"
#include "pyflame/outputs.h"
#include "pyflame/privs.h"
#include "pyflame/profile.h"
#include "pyflame/rawlog.h"
#include "pyflame/sampler.h"
#include "pyflame/sandbox.h"
#include "pyflame/session.h"
#include "pyflame/tracer.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

/* One session's state; the sampling state is the sampler's. */
struct run {
	const struct run_opts *o;
	pid_t attach;		/* attach: the process; run: 0 */
	enum remote_kind reader;	/* o->reader, or what attaching settled on */
	struct profile *prof;
	struct tracer *tr;
	struct sampler *sm;
	uint64_t start_ns;
	struct rawlog *raw;
	struct out_file rawf;	/* the raw log's file */
	const char *raw_path;	/* rawf.final, or NULL */
	int raw_keep;
	struct keeper *keeper;	/* puts the files in place once the sandbox is on */
	FILE *step_summary;	/* $GITHUB_STEP_SUMMARY, opened before the sandbox */
	struct live *live;	/* --live: the view (live.h) */
};

/* --- outputs --------------------------------------------------------------------------- */

static char *default_output(char *const argv[], pid_t pid, enum pf_format fmt)
{
	const char *slash = strrchr(argv[0], '/');
	const char *base = slash ? slash + 1 : argv[0];
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "pyflame-");
	for (const char *c = base; *c; c++)
		strbuf_addch(&sb, (*c == '/' || *c == ' ') ? '_' : *c);
	strbuf_addf(&sb, "-%d.%s", (int)pid, pf_format__extension(fmt));
	return strbuf_detach(&sb, NULL);
}

/* The command line as typed, for titles and metadata. */
static char *join_argv(char *const argv[])
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, argv[i]);
	}
	return strbuf_detach(&sb, NULL);
}


/* Process samples skipped because the process could not be stopped to be read. */
static void print_skips(const struct sampler_counts *c)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t total = 0;

	for (int i = 0; i < SKIP__COUNT; i++)
		total += c->skipped[i];
	if (!total)
		return;
	strbuf_addf(&sb, "skipped %llu process samples that needed a stopped process:",
		    (unsigned long long)total);
	for (int i = 0; i < SKIP__COUNT; i++)
		if (c->skipped[i])
			strbuf_addf(&sb, " %s %llu", sampler_skip__name(i),
				    (unsigned long long)c->skipped[i]);
	if (c->skipped[SKIP_DUTY])
		strbuf_addstr(&sb, " (a process is kept stopped for reads at most a quarter of"
			      " the time; its next sample counts for the ticks it skipped)");
	fprintf(stderr, "pyflame: %s\n", sb.buf);
	strbuf_release(&sb);
}

static void print_drops(const struct sampler_counts *c)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t total = 0;

	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		total += c->ustats.drops[i];
	print_skips(c);
	if (c->holds)
		pf_info("processes stopped to be read %llu times, %.0f us each on average, %.0f us "
			"at most", (unsigned long long)c->holds,
			(double)c->held_ns / (double)c->holds / 1e3, (double)c->held_max_ns / 1e3);
	if (c->ustats.retries)
		pf_info("%llu thread samples torn by the thread running on were read again, %llu "
			"of them cleanly", (unsigned long long)c->ustats.retries,
			(unsigned long long)c->ustats.recovered);
	if (c->state_reused)
		pf_info("thread states: %llu read, %llu taken as unchanged without a read (threads "
			"found waiting at the same stack)", (unsigned long long)c->state_reads,
			(unsigned long long)c->state_reused);
	if (c->ustats.exc_unknown)
		pf_info("%llu thread samples left out as their exception could not be read "
			"(--mode exception)", (unsigned long long)c->ustats.exc_unknown);
	if (c->ustats.tasks)
		pf_info("%llu samples of waiting asyncio tasks (--async=all), %llu of threads",
			(unsigned long long)c->ustats.tasks, (unsigned long long)c->ustats.threads);
	for (int i = 0; i < NATIVE_DROP__COUNT; i++)
		total += c->nstats.drops[i];
	if (!total)
		return;
	strbuf_addf(&sb, "dropped %llu thread samples:", (unsigned long long)total);
	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		if (c->ustats.drops[i])
			strbuf_addf(&sb, " %s %llu", unwind_drop__name(i),
				    (unsigned long long)c->ustats.drops[i]);
	for (int i = 0; i < NATIVE_DROP__COUNT; i++)
		if (c->nstats.drops[i])
			strbuf_addf(&sb, " %s %llu", native_drop__name(i),
				    (unsigned long long)c->nstats.drops[i]);
	fprintf(stderr, "pyflame: %s\n", sb.buf);
	strbuf_release(&sb);
}

/*
 * Processes of the tree still running when the command ended (daemons, a background job
 * left behind): pyflame stopped following them, and the profile ends here for them too.
 */
static void report_detached(const struct tracer_counts *c)
{
	struct strbuf sb = STRBUF_INIT;

	if (!c->detached)
		return;
	for (size_t i = 0; i < c->ndetached_pids; i++) {
		char path[64], comm[32] = "?";
		struct strbuf cs = STRBUF_INIT;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->detached_pids[i]);
		if (!pf_read_file(path, &cs, sizeof(comm) - 1) && cs.len) {
			cs.buf[strcspn(cs.buf, "\n")] = '\0';
			snprintf(comm, sizeof(comm), "%s", cs.buf);
		}
		strbuf_release(&cs);
		strbuf_addf(&sb, "%s%d (%s)", i ? ", " : "", (int)c->detached_pids[i], comm);
	}
	if (c->detached > c->ndetached_pids)
		strbuf_addstr(&sb, ", ...");
	if (c->detached == 1)
		pf_warn("1 process the command started was still running when it ended; it runs "
			"on, no longer profiled: %s", sb.buf);
	else
		pf_warn("%llu processes the command started were still running when it ended; "
			"they run on, no longer profiled: %s", (unsigned long long)c->detached,
			sb.buf);
	strbuf_release(&sb);
}

/* -v: what --busy-poll bought (stops found awake) and what it cost (time polling). */
static void report_busy_poll(const struct tracer_counts *c)
{
	if (c->woke_awake + c->woke_asleep)
		pf_info("ptrace stops: %llu wake-ups found them while busy-polling, %llu after "
			"sleeping; %.1f ms spent busy-polling", (unsigned long long)c->woke_awake,
			(unsigned long long)c->woke_asleep, (double)c->spun_ns / 1e6);
}

/* Die the way the command died, without leaving a core file of pyflame's own. */
static void die_like(int sig)
{
	struct rlimit rl = { 0, 0 };
	sigset_t s;

	setrlimit(RLIMIT_CORE, &rl);
	signal(sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
}

/* prof.svg -> prof.raw; "-" or no output -> pyflame-CMD-PID.raw */
static char *raw_path_for(const struct out_file *first, char *const argv[], pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash, *dot;

	if (!first || !first->final) {
		char *def = default_output(argv, pid, PF_FORMAT_SVG);

		strbuf_addstr(&sb, def);
		free(def);
	} else {
		strbuf_addstr(&sb, first->final);
	}
	slash = strrchr(sb.buf, '/');
	dot = strrchr(sb.buf, '.');
	if (dot && (!slash || dot > slash + 1))
		sb.len = (size_t)(dot - sb.buf);
	strbuf_addstr(&sb, ".raw");
	return strbuf_detach(&sb, NULL);
}

/*
 * The raw log: every sample as it is taken, flushed each second, so that a run cut short
 * (SIGKILL, a crash of pyflame) can still be reported.  Created under a name of its own
 * (outputs__open_raw: never someone else's file); removed once the profiles are written,
 * unless it was asked for (-o FILE.raw).
 */
static int open_rawlog(struct run *r, struct out_file *files, size_t nfiles,
		       char *const name_argv[], pid_t pid)
{
	char *path = NULL;
	int fd, ret;

	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].format == PF_FORMAT_RAW) {
			if (!files[i].final) {
				return pf_error(0, "the raw log cannot go to standard output");
			}
			path = xstrdup(files[i].final);
			r->raw_keep = 1;
			outputs__discard(&files[i]);
			files[i].final = xstrdup(path);	/* reported as written */
			files[i].format = PF_FORMAT_NONE;
			break;
		}
	}
	if (!path)
		path = raw_path_for(nfiles ? &files[0] : NULL, name_argv, pid);
	ret = outputs__open_raw(&r->rawf, path, r->raw_keep);
	free(path);
	if (ret)
		return ret;
	fd = fcntl(r->rawf.fd, F_DUPFD_CLOEXEC, 0);	/* the log's own; rawf.fd stays */
	r->raw = fd >= 0 ? rawlog__new(fd, r->start_ns) : NULL;
	if (!r->raw) {
		int e = -errno;

		if (fd >= 0)
			close(fd);
		outputs__discard(&r->rawf);
		return pf_error(e, "cannot write the raw log");
	}
	r->raw_path = r->rawf.final;
	pf_info("raw log: '%s'", r->raw_path);
	rawlog__meta(r->raw, &r->prof->meta);
	return 0;
}

/*
 * $GITHUB_STEP_SUMMARY, for appending: a regular file only (created if missing, as
 * before).  Opened while the command runs, so never one that could block (a FIFO, a
 * device).  NULL with errno.
 */
static FILE *open_step_summary(const char *path)
{
	struct stat st;
	FILE *fp;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0 || !(fp = fdopen(fd, "a"))) {
		int e = errno ? errno : EINVAL;

		if (!fstat(fd, &st) && !S_ISREG(st.st_mode))
			e = EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	return fp;
}

/* The keeper's outputs__commit(), for outputs__write(). */
static int commit_by_keeper(void *k, size_t i)
{
	return keeper__commit(k, i);
}

/* Keep the raw log (its final mode) or remove it; by the keeper once the sandbox is on. */
static int finish_rawlog(struct run *r, size_t nfiles, int keep)
{
	int ret = 0;

	if (!r->rawf.final)
		return 0;
	if (r->keeper)
		ret = keep ? keeper__commit(r->keeper, nfiles) : keeper__discard(r->keeper, nfiles);
	else if (keep)
		ret = outputs__commit(&r->rawf);
	else
		outputs__discard(&r->rawf);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * run --repeat: how many repeats ran, how long each took (the spread is what a single
 * run cannot show), and why it stopped early if it did.
 */
static void print_repeats(const struct run *r, const struct tracer_result *res)
{
	unsigned nreps;
	const struct sampler_repeat *reps = sampler__repeats(r->sm, &nreps);
	uint64_t *d;
	size_t n = 0;

	if (r->attach || r->o->repeat < 2)
		return;
	d = xcalloc(nreps + 1, sizeof(*d));
	for (unsigned i = 0; i < nreps; i++)
		if (reps[i].end_ns > reps[i].start_ns)
			d[n++] = reps[i].end_ns - reps[i].start_ns;
	qsort(d, n, sizeof(*d), cmp_u64);
	fprintf(stderr, "  repeats: %u of %u ran", nreps, r->o->repeat);
	if (n)
		fprintf(stderr, "; each %.3g s median [%.3g-%.3g]",
			(double)(d[(n - 1) / 2] + d[n / 2]) / 2e9,
			(double)d[0] / 1e9, (double)d[n - 1] / 1e9);
	if (nreps < r->o->repeat && res->exited && res->exit_code)
		fprintf(stderr, "; repeat %u failed (exit status %d), so the rest did not run",
			nreps, res->exit_code);
	else if (nreps < r->o->repeat && res->signaled)
		fprintf(stderr, "; stopped by %s", strsignal(res->term_sig));
	fprintf(stderr, "; 'pyflame diff' compares them run by run (keep them with -o FILE.raw)\n");
	free(d);
}

static void fill_meta(struct run *r)
{
	struct pf_meta *m = &r->prof->meta;

	const struct sampler_counts *c = sampler__counts(r->sm);

	m->duration_ns = pf_now_ns() - r->start_ns;
	m->ticks = c->ticks;
	m->ticks_missed = c->missed;
	m->dropped = 0;
	for (int i = 0; i < UNWIND_DROP__COUNT; i++)
		m->dropped += c->ustats.drops[i];
	for (int i = 0; i < NATIVE_DROP__COUNT; i++)
		m->dropped += c->nstats.drops[i];
}

/*
 * Before the command starts: a capability the real user was not given (a file capability
 * of this copy of pyflame) is dropped, so the kernel never lets a traced exec gain
 * privileges through it; and a program that would gain privileges at exec (set-user-ID,
 * set-group-ID, file capabilities) is named, as it runs without them under a tracer that
 * has none.
 */
static void spawn_checks(struct sampler *sm, char *const argv[])
{
	char path[PATH_MAX];
	int named = 0;

	if (getuid() != 0 && privs__any()) {
		int ret = privs__drop_caps();

		if (ret)
			pf_warn("cannot drop capabilities: %s", strerror(-ret));
	}
	/* also under -q, as check_gains: the command may fail for it */
	if (getuid() != 0 && privs__exec_gains(argv[0], path, sizeof(path))) {
		named = 1;
		pf_warn("'%s' is set-user-ID, set-group-ID or has file capabilities: traced, it runs "
			"without those privileges", path);
		pf_hint("profile it as root (sudo pyflame run ...) if it needs them");
	}
	/* and any program it runs later (check_gains) */
	sampler__set_gains_lost(sm, getuid() != 0 && !privs__any(), named ? path : NULL);
}

/*
 * --live draws on the terminal (/dev/tty): there must be one, and under run the command's
 * output, which it shares with pyflame, must not be on it.  0 or PF_EXIT_USAGE (said).
 */
static int live_open(struct run *r)
{
	if (!r->attach && (isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))) {
		pf_error(0, "--live draws on the terminal, where the command's output would mix "
			 "with it");
		pf_hint("send the command's output elsewhere: pyflame run --live -- COMMAND "
			">out.log 2>&1");
		return PF_EXIT_USAGE;
	}
	r->live = live__open();
	if (!r->live) {
		pf_error(-errno, "--live needs a terminal, and '/dev/tty' cannot be opened");
		return PF_EXIT_USAGE;
	}
	sandbox__allow_tty(live__fd(r->live));
	return 0;
}

/*
 * A profiling session, launched (run) or attached: outputs checked first, then the
 * tracer, privileges dropped and the sandbox installed, sampling until the end, profiles
 * written, and pyflame's exit status.
 */
static int session(const struct run_opts *o, pid_t attach)
{
	struct run r = { .o = o, .attach = attach, .reader = o->reader };
	struct sampler_opts sopts = {
		.mode = o->mode,
		.reader = o->reader,
		.max_depth = o->max_depth,
		.blocking = o->blocking,
		.tests = o->tests,
		.gc_frames = o->gc_frames,
		.async = o->async,
		.native = o->native,
		.native_markers = o->native_markers,
		.crash_stacks = o->crash_stacks,
		.dump_on_alarm = o->dump_timeout_s > 0,
		.repeat = attach ? 0 : o->repeat,
	};
	size_t nfiles = o->noutputs ? o->noutputs : 1;
	struct out_file *files = xcalloc(nfiles, sizeof(*files));
	const char **written = xcalloc(nfiles + 1, sizeof(*written));
	struct tracer_opts to = {
		.follow = o->follow,
		.period_ns = (uint64_t)llround(1e9 / o->rate_hz),
		.duration_ns = (uint64_t)llround(o->duration_s * 1e9),
		.grace_ns = (uint64_t)llround(o->grace_s * 1e9),
		.spin_ns = (uint64_t)o->busy_poll_us * 1000u,
		.spin_adaptive = !o->busy_poll_fixed,
		.repeat = attach ? 0 : o->repeat,
	};
	struct output_opts oo = {
		.line_numbers = o->line_numbers,
		.threads = o->threads,
		.merge_processes = o->merge,
	};
	struct tracer_result res = { 0 };
	char *attach_argv[2] = { NULL, NULL };
	char *const *name_argv = o->argv;
	size_t nwritten = 0;
	int status = PF_EXIT_FAILURE;
	int unwritten = 0;	/* a profile asked for was not written */
	struct timespec ts;
	pid_t pid;
	int ret;

	for (size_t i = 0; i < nfiles; i++)
		files[i].fd = files[i].dirfd = -1;
	r.rawf.fd = r.rawf.dirfd = -1;
	if (o->live && (status = live_open(&r)))
		goto out_files;
	status = PF_EXIT_FAILURE;
	/* Outputs are checked before the command starts: a typo must not cost a long run. */
	for (size_t i = 0; i < o->noutputs; i++) {
		if (outputs__open(&files[i], o->outputs[i].path, o->outputs[i].format)) {
			status = PF_EXIT_USAGE;
			goto out_files;
		}
	}
	if (!o->noutputs &&
	    outputs__open(&files[0], "pyflame-output.svg",
			  o->default_format ? o->default_format : PF_FORMAT_SVG)) {
		pf_hint("run pyflame in a writable directory, or name the output with -o");
		status = PF_EXIT_USAGE;
		goto out_files;
	}

	r.prof = profile__new();
	if (attach) {
		char path[64];
		struct strbuf sb = STRBUF_INIT;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)attach);
		if (pf_read_file(path, &sb, 64) || !sb.len) {
			pf_error(0, "no process %d", (int)attach);
			strbuf_release(&sb);
			status = PF_EXIT_USAGE;
			goto out_tracer;
		}
		sb.buf[strcspn(sb.buf, "\n")] = '\0';
		attach_argv[0] = strbuf_detach(&sb, NULL);
		name_argv = attach_argv;
		r.prof->meta.command = session__cmdline(attach);
	} else {
		r.prof->meta.command = join_argv(o->argv);
	}
	r.prof->meta.mode = xstrdup(pf_mode__name(o->mode));
	r.prof->meta.rate_hz = o->rate_hz;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.prof->meta.start_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	r.start_ns = pf_now_ns();
	r.sm = sampler__new(&sopts, r.prof, r.start_ns);
	r.tr = tracer__new(&to, &sampler__tracer_ops, r.sm);
	sampler__set_tracer(r.sm, r.tr);
	if (attach) {
		pid = attach;
		if (session__attach(r.tr, pid, &r.reader))
			goto out_tracer;
		/* attached with CAP_SYS_PTRACE (a file capability), its execs keep their gains */
		sampler__set_gains_lost(r.sm, getuid() != 0 && !privs__any(), NULL);
		sampler__set_reader(r.sm, r.reader);
		sampler__add(r.sm, pid, 1);
	} else {
		spawn_checks(r.sm, o->argv);
		pid = tracer__spawn(r.tr, o->argv);
		if (pid < 0) {
			pf_error(pid, "cannot start '%s'", o->argv[0]);
			goto out_tracer;
		}
		sampler__add(r.sm, pid, 0);
		sampler__set_repeat_driver(r.sm, pid);
	}
	if (!o->noutputs) {
		char *name = default_output(name_argv, pid, files[0].format);

		if (outputs__retarget(&files[0], name)) {
			outputs__discard(&files[0]);	/* said why; the raw log keeps the samples */
			unwritten = 1;
		}
		free(name);
	}
	if (open_rawlog(&r, files, nfiles, name_argv, pid)) {
		pf_warn("running without a raw log: a run cut short will leave no profile");
		unwritten |= r.raw_keep;	/* -o FILE.raw was asked for */
		r.raw_keep = 0;
	}
	sampler__set_rawlog(r.sm, r.raw);
	if (o->step_summary && getenv("GITHUB_STEP_SUMMARY") && *getenv("GITHUB_STEP_SUMMARY")) {
		r.step_summary = open_step_summary(getenv("GITHUB_STEP_SUMMARY"));
		if (!r.step_summary)
			pf_warn("cannot append to $GITHUB_STEP_SUMMARY ('%s'): %s",
				getenv("GITHUB_STEP_SUMMARY"), strerror(errno));
	}
	if (o->dump_timeout_s > 0) {
		struct itimerval it = { { 0, 0 }, { (time_t)o->dump_timeout_s,
			(suseconds_t)((o->dump_timeout_s - (double)(time_t)o->dump_timeout_s) * 1e6) } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	r.keeper = session__confine(o->sandbox, files, nfiles, r.rawf.final ? &r.rawf : NULL,
				    attach ? 0 : pid);
	if (r.live && (ret = live__start(r.live))) {
		pf_warn("cannot set up the terminal for --live: %s; sampling without the view",
			strerror(-ret));
		live__free(r.live);
		r.live = NULL;
	}
	sampler__set_live(r.sm, r.live);
	ret = tracer__run(r.tr, &res);
	sampler__set_live(r.sm, NULL);
	live__end(r.live);
	if (ret)
		pf_error(ret, "lost track of the command");
	sampler__finish(r.sm);
	fill_meta(&r);
	session__report_sandbox();
	if (res.exec_errno) {
		pf_error(-res.exec_errno, "cannot run '%s'", o->argv[0]);
		if (res.exec_errno == ENOENT && !strchr(o->argv[0], '/'))
			pf_hint("is '%s' installed and on PATH?", o->argv[0]);
		status = (res.exec_errno == ENOENT || res.exec_errno == ENOTDIR) ?
			 PF_EXIT_NOTFOUND : PF_EXIT_NOEXEC;
		goto out_tracer;
	}
	if (!attach && !pf_quiet)
		report_detached(tracer__counts(r.tr));
	report_busy_poll(tracer__counts(r.tr));
	if (res.abandoned_sig && !pf_quiet)
		pf_warn("the command did not end within %g s of %s; writing the profile and leaving "
			"it running", o->grace_s, strsignal(res.abandoned_sig));
	sampler__set_rawlog(r.sm, NULL);
	if (r.raw) {
		ret = rawlog__close(r.raw, &r.prof->meta);
		r.raw = NULL;
		if (ret) {
			pf_error(ret, "cannot write the raw log '%s'", r.raw_path);
			unwritten |= r.raw_keep;
			r.raw_keep = 0;
		}
	}
	if (r.prof->total == 0) {
		const struct sampler_counts *c = sampler__counts(r.sm);

		/* a Python found whose every sample was dropped or skipped: say why */
		if (!pf_quiet && c->python_found) {
			pf_warn("no sample of the %zu Python process%s found was kept; no profile "
				"written", c->python_found, c->python_found == 1 ? "" : "es");
			print_drops(c);
			if (o->mode != PF_MODE_WALL)
				pf_hint("--mode %s keeps only the samples of threads %s; --mode wall "
					"keeps them all", pf_mode__name(o->mode),
					o->mode == PF_MODE_CPU ? "running on a CPU" :
					o->mode == PF_MODE_GIL ? "holding the GIL" :
					"handling an exception");
		} else if (!pf_quiet) {
			pf_warn("no Python process was seen; no profile written");
		}
		r.raw_keep = 0;
		unwritten |= attach != 0;	/* attach was asked for a profile */
	} else {
		oo.title = o->title ? o->title : r.prof->meta.command;
		oo.rawlog_path = r.raw_path;	/* the timeline replays it for sample times */
		ret = outputs__write(files, nfiles, r.prof, &oo, written, &nwritten,
				     r.keeper ? commit_by_keeper : NULL, r.keeper);
		unwritten |= ret != 0;
		if (r.raw_keep && finish_rawlog(&r, nfiles, 1)) {
			pf_error(0, "cannot put the raw log '%s' in place", r.raw_path);
			unwritten = 1;
		} else if (r.raw_keep) {
			written[nwritten++] = r.raw_path;
		} else if ((ret || unwritten) && r.raw_path) {
			r.raw_keep = 1;		/* keep the samples: pyflame report can retry */
			finish_rawlog(&r, nfiles, 1);
		}
		const struct sampler_counts *c = sampler__counts(r.sm);
		struct pf_summary_extra x = { written, nwritten, tracer__counts(r.tr)->processes,
					      o->merge, c->tests_fallback, c->tests_unreadable,
					      r.raw_path };

		if (r.step_summary)
			summary__print_markdown(r.prof, &x, r.step_summary);
		if (!pf_quiet) {
			summary__print(r.prof, &x, stderr);
			print_drops(c);
			print_repeats(&r, &res);
			if (o->tests && !c->tests_runner_seen)
				pf_warn("--tests: no pytest or unittest run was seen; the profile is "
					"not organised by test");
			if (ret && r.raw_path)
				pf_hint("the samples are in '%s': pyflame report %s -o FILE", r.raw_path,
					r.raw_path);
		}
	}
	if (attach) {
		/* the process was never ours: its fate is not pyflame's exit status */
		status = 0;
	} else if (res.abandoned_sig) {
		status = 128 + res.abandoned_sig;
		res.signaled = 1;
		res.term_sig = res.abandoned_sig;
	} else {
		status = res.exited ? res.exit_code : 128 + res.term_sig;
	}
	/* a profile asked for and not written shows, unless the command's failure does */
	if (unwritten && status == 0)
		status = PF_EXIT_FAILURE;

out_tracer:
	if (r.step_summary)
		fclose(r.step_summary);
	if (r.raw)
		rawlog__close(r.raw, NULL);
	if (!r.raw_keep)
		finish_rawlog(&r, nfiles, 0);
	r.raw_path = NULL;
	outputs__close(&r.rawf);
	free(attach_argv[0]);
	tracer__free(r.tr);
	sampler__free(r.sm);
	profile__free(r.prof);
out_files:
	for (size_t i = 0; i < nfiles; i++) {
		if (r.keeper)
			outputs__close(&files[i]);	/* the keeper removes what is left */
		else
			outputs__discard(&files[i]);
	}
	keeper__free(r.keeper);
	live__free(r.live);
	free(files);
	free(written);
	if (!attach && res.signaled && !res.exec_errno)
		die_like(res.term_sig);
	return status;
}

int cmd_run(const struct run_opts *o)
{
	return session(o, 0);
}

int cmd_attach(const struct run_opts *o)
{
	return session(o, o->attach_pid);
}
