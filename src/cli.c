/* cli.c - command-line parsing, help text and subcommand dispatch. */
#include "pyflame/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyflame/cmd_diff.h"
#include "pyflame/cmd_doctor.h"
#include "pyflame/cmd_report.h"
#include "pyflame/cmd_run.h"
#include "pyflame/util.h"
#include "pyflame/version.h"

#define RATE_MIN_HZ 1.0
#define RATE_MAX_HZ 100000.0
#define DEPTH_DEFAULT 2048u
#define DEPTH_MAX 65536u
#define BUSY_POLL_MAX_US 100000u	/* 0.1 s: beyond that it is just a spinning CPU */
#define BUSY_POLL_AUTO_US 1000u		/* covers the gaps between a shell loop's stops */
#define GRACE_DEFAULT_S 5.0

static const char usage_main[] =
"usage: pyflame run [OPTIONS] [--] COMMAND [ARGS...]\n"
"       pyflame attach -p PID [OPTIONS]\n"
"       pyflame dump -p PID [--json]\n"
"       pyflame report [OPTIONS] INPUT...\n"
"       pyflame diff [OPTIONS] BASE NEW | --base BASE... [--new] NEW...\n"
"       pyflame doctor\n"
"       pyflame --help | --version\n"
"\n"
"Sample the Python stacks of COMMAND and every Python process it starts, and write a\n"
"flame graph when it exits.  COMMAND runs exactly as it would without pyflame: same\n"
"input, output, signals and exit status.  No root or CAP_SYS_PTRACE is needed.\n"
"\n"
"Commands:\n"
"  run      launch COMMAND under the profiler (see 'pyflame run --help')\n"
"  attach   sample a running process for a while (see 'pyflame attach --help')\n"
"  dump     print a running process's Python stacks once (see 'pyflame dump --help')\n"
"  report   turn raw logs into profiles, merging several runs (see 'pyflame report --help')\n"
"  diff     compare profiles: which functions changed, significantly (see 'pyflame diff --help')\n"
"  doctor   check what profiling needs on this machine, and say how to fix it\n";

static const char usage_run[] =
"usage: pyflame run [OPTIONS] [--] COMMAND [ARGS...]\n"
"\n"
"Sampling:\n"
"  -r, --rate HZ          samples per second per thread (default 100; 1k, 1khz, 250hz\n"
"                         accepted; 1 Hz to 100 kHz)\n"
"      --duration SECS    stop sampling after SECS; the command runs on\n"
"      --mode MODE        wall (default): every thread at every tick, idle ones marked;\n"
"                         cpu: only threads that are running; gil: only the GIL holder\n"
"  -x, --exclude-idle     same as --mode cpu (Pyflame compatible)\n"
"      --max-depth N      keep at most N frames per stack (default 2048); deeper stacks\n"
"                         keep their innermost frames under a <truncated> frame\n"
"      --no-follow        profile COMMAND's own process only, not its children\n"
"      --blocking         stop each process while its stacks are read (consistent\n"
"                         samples, at a cost to the program; default: never stop it)\n"
"      --busy-poll USEC   after a ptrace stop, stay awake USEC microseconds for the\n"
"                         next one instead of sleeping; 'auto' (default): up to 1000,\n"
"                         only while stops come that close together (a fork storm);\n"
"                         0: never.  Fork-heavy commands slow down less where waking\n"
"                         up is slow (VMs), for up to one CPU (yielded to anything\n"
"                         runnable) while processes keep starting\n"
"      --reader KIND      how to read memory: auto (default), vm, mem, peek\n"
"      --no-sandbox       do not confine the sampler with seccomp (it is on by default;\n"
"                         -v says so)\n"
"\n"
"Output:\n"
"  -o, --output FILE      write a profile to FILE; repeatable, all from the same\n"
"                         samples; the format comes from the extension: .svg flame\n"
"                         graph, .txt .folded .collapsed collapsed stacks,\n"
"                         .speedscope.json speedscope, .pb.gz .pprof pprof,\n"
"                         .trace.json .perfetto.json timeline (Perfetto, Firefox\n"
"                         Profiler), .raw the raw sample log; '-' writes to standard\n"
"                         output (default: pyflame-COMMAND-PID.svg here)\n"
"  -f, --format FMT       force the format of the outputs that follow: svg, collapsed,\n"
"                         speedscope, pprof, timeline\n"
"  -n, --no-line-numbers  aggregate by function, not by line\n"
"      --threads          add a frame per thread (TID and name) under each process\n"
"      --merge            merge processes that run the same command line\n"
"      --title TEXT       flame graph title (default: the command line)\n"
"\n"
"Stacks on demand:\n"
"      --dump-on-timeout SECS  if COMMAND still runs after SECS, print every Python\n"
"                         stack to standard error once (for hung CI jobs)\n"
"      --no-crash-stacks  do not print the Python stack of a process that is killed by\n"
"                         SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT (printed by default)\n"
"  kill -USR1 <pyflame's pid> prints every Python stack to standard error at once;\n"
"  recording goes on.\n"
"\n"
"Ending:\n"
"      --grace SECS       after forwarding SIGTERM & co., wait this long for COMMAND to\n"
"                         end (default 5; 0 = forever), then write the profiles, leave\n"
"                         COMMAND running and die by that signal\n"
"\n"
"Other:\n"
"  -q, --quiet            no summary on standard error\n"
"      --no-step-summary  do not append the summary, as Markdown, to the file named by\n"
"                         $GITHUB_STEP_SUMMARY (GitHub Actions' job summary)\n"
"  -v, --verbose          say what pyflame is doing\n"
"  -h, --help             this help\n"
"\n"
"Exit status: COMMAND's own status; if COMMAND is killed by a signal, pyflame writes\n"
"its profiles and ends itself by the same signal.  pyflame's own failures:\n"
"  2 usage error, 125 pyflame failed, 126 COMMAND not executable, 127 COMMAND not found.\n"
"\n"
"Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to pyflame are forwarded to COMMAND\n"
"(once: signals from the terminal already reach it).  Ctrl-Z and fg work as usual.\n"
"Samples are streamed to a raw log (prof.svg -> prof.raw) while pyflame runs; it is\n"
"removed when the profiles are written, so a run killed with SIGKILL leaves it behind:\n"
"'pyflame report prof.raw -o prof.svg' turns it into any format.\n";

static const char *subcommand = "run";	/* for the hint after a usage error */

static int usage_error(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, fmt, arg);
	pf_error(0, "%s", sb.buf);
	pf_hint("see 'pyflame %s --help'", subcommand);
	strbuf_release(&sb);
	return PF_EXIT_USAGE;
}

/* "100", "1k", "1khz", "2.5kHz", "250hz" -> Hz; -1 if malformed. */
static double parse_rate(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	if (!strncasecmp(end, "k", 1)) {
		v *= 1000;
		end++;
	}
	if (!strcasecmp(end, "hz"))
		end += 2;
	return *end ? -1 : v;
}

/* Seconds: a finite number > 0 (or >= 0 with allow_zero), at most about four months. */
static int parse_seconds(const char *s, int allow_zero, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || (!allow_zero && v == 0) ||
	    v > 1e7)
		return -1;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* One -o: the format from -f if given, else from the extension. */
static int add_output(struct run_output **v, size_t *n, const char *path, enum pf_format forced)
{
	enum pf_format f = forced;

	if (f == PF_FORMAT_NONE && strcmp(path, "-")) {
		f = pf_format__from_path(path);
		if (f == PF_FORMAT_NONE)
			return usage_error("cannot tell the format of '%s' from its extension "
					   "(use .svg, .txt, .speedscope.json, .pb.gz, .trace.json, .raw, or -f)", path);
	}
	if (f == PF_FORMAT_NONE)
		f = PF_FORMAT_COLLAPSED;	/* '-': text is what a terminal or pipe wants */
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].path = (char *)path;
	(*v)[*n].format = f;
	(*n)++;
	return 0;
}

/* The output options run, attach and report share. */
struct output_args {
	struct run_output *outputs;
	size_t noutputs;
	enum pf_format forced;		/* -f: applies to the -o options after it */
	enum pf_format default_format;	/* -f without -o */
	int line_numbers;
	int threads;
	int merge;
	const char *title;
};

/*
 * Handle c if it is an output option: 1 handled, 0 not one of them, -1 a usage error
 * (already reported).
 */
static int output_option(int c, const char *arg, struct output_args *a, int allow_raw);

static const char usage_report[] =
"usage: pyflame report [OPTIONS] INPUT...\n"
"\n"
"Turn a raw log (written by every pyflame run, kept when the run was cut short or\n"
"when asked for with -o FILE.raw) into profiles.  Several inputs (raw logs or\n"
"collapsed stacks, mixed: shards or repeats of one job) are merged into one profile:\n"
"processes match by command line, and the metadata names every input.\n"
"\n"
"  -o, --output FILE      as for run (default: the first INPUT with .svg); repeatable\n"
"  -f, --format FMT       force the format of the outputs that follow\n"
"  -n, --no-line-numbers  aggregate by function, not by line\n"
"      --threads          a frame per thread under each process\n"
"      --merge            merge processes that run the same command line\n"
"      --title TEXT       flame graph title (default: the recorded command line)\n"
"      --strip-prefix DIR remove DIR from the start of file paths, so runs from\n"
"                         different checkouts match; repeatable; 'auto': per input,\n"
"                         the deepest directory holding all of its own files\n"
"  -q, --quiet            no summary on standard error\n";

enum {
	OPT_DURATION = 256,
	OPT_MODE,
	OPT_MAX_DEPTH,
	OPT_NO_FOLLOW,
	OPT_READER,
	OPT_THREADS,
	OPT_MERGE,
	OPT_TITLE,
	OPT_NO_SANDBOX,
	OPT_BLOCKING,
	OPT_BUSY_POLL,
	OPT_GRACE,
	OPT_NO_CRASH_STACKS,
	OPT_DUMP_ON_TIMEOUT,
	OPT_NO_STEP_SUMMARY,
	OPT_STRIP_PREFIX,
};

static const struct option run_longopts[] = {
	{ "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "exclude-idle", no_argument, NULL, 'x' },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "reader", required_argument, NULL, OPT_READER },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "no-line-numbers", no_argument, NULL, 'n' },
	{ "threads", no_argument, NULL, OPT_THREADS },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "blocking", no_argument, NULL, OPT_BLOCKING },
	{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "no-crash-stacks", no_argument, NULL, OPT_NO_CRASH_STACKS },
	{ "dump-on-timeout", required_argument, NULL, OPT_DUMP_ON_TIMEOUT },
	{ "no-step-summary", no_argument, NULL, OPT_NO_STEP_SUMMARY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "pid", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_attach[] =
"usage: pyflame attach -p PID [OPTIONS]\n"
"\n"
"Attach to a running Python process with PTRACE_SEIZE, sample it until it exits,\n"
"--duration ends or Ctrl-C, then detach, leaving it exactly as it was (never stopped,\n"
"never killed).  Takes the sampling and output options of 'pyflame run' (see\n"
"'pyflame run --help'); its threads and future children are traced too unless\n"
"--no-follow.\n"
"\n"
"  -p, --pid PID          the process\n"
"\n"
"Attaching needs permission: the same user and Yama ptrace_scope 0, or CAP_SYS_PTRACE\n"
"(sudo setcap cap_sys_ptrace+ep $(command -v pyflame)); pyflame keeps that capability\n"
"only until it has attached.  When refused, pyflame says exactly why.\n";

static int parse_pid(const char *s, pid_t *out)
{
	unsigned long v;

	if (parse_uint(s, 0x3fffffff, &v) || v == 0)
		return usage_error("invalid process id '%s'", s);
	*out = (pid_t)v;
	return 0;
}

static int output_option(int c, const char *arg, struct output_args *a, int allow_raw)
{
	switch (c) {
	case 'o':
		return add_output(&a->outputs, &a->noutputs, arg, a->forced) ? -1 : 1;
	case 'f':
		a->forced = pf_format__from_name(arg);
		if (a->forced == PF_FORMAT_NONE || (!allow_raw && a->forced == PF_FORMAT_RAW)) {
			usage_error("unknown format '%s' (want svg, collapsed, speedscope, pprof or "
				    "timeline)", arg);
			return -1;
		}
		a->default_format = a->forced;
		return 1;
	case 'n':
		a->line_numbers = 0;
		return 1;
	case OPT_THREADS:
		a->threads = 1;
		return 1;
	case OPT_MERGE:
		a->merge = 1;
		return 1;
	case OPT_TITLE:
		a->title = arg;
		return 1;
	}
	return 0;
}

/* run and attach share their options; attach takes -p PID instead of a command. */
static int cli_run(int argc, char **argv, int attach)
{
	struct run_opts o = {
		.rate_hz = 100,
		.line_numbers = 1,
		.max_depth = DEPTH_DEFAULT,
		.mode = PF_MODE_WALL,
		.follow = 1,
		.reader = REMOTE_AUTO,
		.sandbox = 1,
		.grace_s = GRACE_DEFAULT_S,
		.busy_poll_us = BUSY_POLL_AUTO_US,
		.crash_stacks = 1,
		.step_summary = 1,
	};
	struct output_args oa = { .line_numbers = 1 };
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, attach ? ":p:r:xo:f:nqvh" : "+:r:xo:f:nqvh",
				run_longopts, NULL)) != -1) {
		unsigned long ul;

		ret = output_option(c, optarg, &oa, 1);
		if (ret < 0)
			goto out_usage;
		if (ret)
			continue;
		switch (c) {
		case 'r':
			o.rate_hz = parse_rate(optarg);
			if (o.rate_hz < 0)
				return usage_error("invalid rate '%s' (want e.g. 100, 1k, 1khz)", optarg);
			if (o.rate_hz < RATE_MIN_HZ || o.rate_hz > RATE_MAX_HZ)
				return usage_error("rate '%s' out of range (1 Hz to 100 kHz)", optarg);
			break;
		case OPT_DURATION:
			if (parse_seconds(optarg, 0, &o.duration_s))
				return usage_error("invalid duration '%s' (want seconds > 0)", optarg);
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "wall"))
				o.mode = PF_MODE_WALL;
			else if (!strcmp(optarg, "cpu"))
				o.mode = PF_MODE_CPU;
			else if (!strcmp(optarg, "gil"))
				o.mode = PF_MODE_GIL;
			else
				return usage_error("unknown mode '%s' (want wall, cpu or gil)", optarg);
			break;
		case 'x':
			o.mode = PF_MODE_CPU;
			break;
		case OPT_MAX_DEPTH:
			if (parse_uint(optarg, DEPTH_MAX, &ul) || ul == 0)
				return usage_error("invalid max depth '%s' (want 1 to 65536)", optarg);
			o.max_depth = (unsigned)ul;
			break;
		case OPT_NO_FOLLOW:
			o.follow = 0;
			break;
		case OPT_READER:
			if (remote_kind__parse(optarg, &o.reader))
				return usage_error("unknown reader '%s' (want auto, vm, mem or peek)", optarg);
			break;
		case OPT_NO_SANDBOX:
			o.sandbox = 0;
			break;
		case OPT_BLOCKING:
			o.blocking = 1;
			break;
		case OPT_BUSY_POLL:
			if (!strcmp(optarg, "auto")) {
				o.busy_poll_us = BUSY_POLL_AUTO_US;
				o.busy_poll_fixed = 0;
				break;
			}
			if (parse_uint(optarg, BUSY_POLL_MAX_US, &ul))
				return usage_error("invalid busy-poll time '%s' (want auto, or 0 to "
						   "100000 microseconds)", optarg);
			o.busy_poll_us = (unsigned)ul;
			o.busy_poll_fixed = 1;
			break;
		case OPT_NO_STEP_SUMMARY:
			o.step_summary = 0;
			break;
		case OPT_NO_CRASH_STACKS:
			o.crash_stacks = 0;
			break;
		case OPT_DUMP_ON_TIMEOUT:
			if (parse_seconds(optarg, 0, &o.dump_timeout_s))
				return usage_error("invalid timeout '%s' (want seconds > 0)", optarg);
			break;
		case OPT_GRACE:
			if (parse_seconds(optarg, 1, &o.grace_s))
				return usage_error("invalid grace period '%s' (want seconds >= 0)", optarg);
			break;
		case 'q':
			pf_quiet = 1;
			break;
		case 'v':
			pf_verbose++;
			break;
		case 'p':
			if (parse_pid(optarg, &o.attach_pid))
				goto out_usage;
			break;
		case 'h':
			fputs(attach ? usage_attach : usage_run, stdout);
			free(oa.outputs);
			return 0;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
			goto out_usage;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			goto out_usage;
		}
	}
	o.outputs = oa.outputs;
	o.noutputs = oa.noutputs;
	o.default_format = oa.default_format;
	o.line_numbers = oa.line_numbers;
	o.threads = oa.threads;
	o.merge = oa.merge;
	o.title = oa.title;
	if (attach) {
		if (!o.attach_pid)
			return usage_error("%s", "no process given: pyflame attach -p PID [OPTIONS]");
		if (optind < argc)
			return usage_error("unexpected argument '%s' (attach takes -p PID)", argv[optind]);
		ret = cmd_attach(&o);
		free(o.outputs);
		return ret;
	}
	if (optind >= argc)
		return usage_error("%s", "no command given: pyflame run [OPTIONS] -- COMMAND [ARGS...]");
	o.argv = argv + optind;
	ret = cmd_run(&o);
	free(o.outputs);
	return ret;

out_usage:
	free(oa.outputs);
	return PF_EXIT_USAGE;
}

static const char usage_dump[] =
"usage: pyflame dump -p PID [--json]\n"
"\n"
"Print every thread's current Python stack once, most recent call last, with its\n"
"thread id and name, the GIL holder and idle threads marked.  The process is stopped\n"
"for a moment for a consistent snapshot and then let go.\n"
"\n"
"  -p, --pid PID          the process\n"
"      --json             one JSON object: pid, command, python, threads[] with tid,\n"
"                         name, gil, idle, truncated and frames[] (outermost first)\n";

static const struct option dump_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "reader", required_argument, NULL, OPT_READER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cli_dump(int argc, char **argv)
{
	struct run_opts o = { .max_depth = DEPTH_DEFAULT, .reader = REMOTE_AUTO, .rate_hz = 1 };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:vh", dump_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid(optarg, &o.attach_pid))
				return PF_EXIT_USAGE;
			break;
		case 'j':
			o.json = 1;
			break;
		case OPT_READER:
			if (remote_kind__parse(optarg, &o.reader))
				return usage_error("unknown reader '%s' (want auto, vm, mem or peek)", optarg);
			break;
		case 'v':
			pf_verbose++;
			break;
		case 'h':
			fputs(usage_dump, stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o.attach_pid)
		return usage_error("%s", "no process given: pyflame dump -p PID");
	if (optind < argc)
		return usage_error("unexpected argument '%s' (dump takes -p PID)", argv[optind]);
	return cmd_dump(&o);
}

static const struct option report_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "no-line-numbers", no_argument, NULL, 'n' },
	{ "threads", no_argument, NULL, OPT_THREADS },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "strip-prefix", required_argument, NULL, OPT_STRIP_PREFIX },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cli_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	const char **prefixes = xcalloc((size_t)argc, sizeof(*prefixes));
	struct output_args oa = { .line_numbers = 1 };
	int c, ret = PF_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:f:nqvh", report_longopts, NULL)) != -1) {
		int handled = output_option(c, optarg, &oa, 0);

		if (handled < 0)
			goto out;
		if (handled)
			continue;
		switch (c) {
		case OPT_STRIP_PREFIX:
			prefixes[o.nprefixes++] = optarg;
			break;
		case 'q':
			pf_quiet = 1;
			break;
		case 'v':
			pf_verbose++;
			break;
		case 'h':
			fputs(usage_report, stdout);
			ret = 0;
			goto out;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
			goto out;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	o.outputs = oa.outputs;
	o.noutputs = oa.noutputs;
	o.default_format = oa.default_format;
	o.line_numbers = oa.line_numbers;
	o.threads = oa.threads;
	o.merge = oa.merge;
	o.title = oa.title;
	if (optind >= argc) {
		usage_error("%s", "want a raw log: pyflame report [OPTIONS] INPUT...");
		goto out;
	}
	for (size_t i = 0; i < o.noutputs; i++) {
		if (o.outputs[i].format == PF_FORMAT_RAW) {
			usage_error("'%s': report writes profiles, not raw logs", o.outputs[i].path);
			goto out;
		}
	}
	o.raw = argv[optind];
	o.inputs = (const char *const *)argv + optind;
	o.ninputs = (size_t)(argc - optind);
	o.prefixes = prefixes;
	ret = cmd_report(&o);
out:
	free(oa.outputs);
	free(prefixes);
	return ret;
}

int cli__main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return PF_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("pyflame %s\n", PYFLAME_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cli_run(argc - 1, argv + 1, 0);
	if (!strcmp(cmd, "attach")) {
		subcommand = "attach";
		return cli_run(argc - 1, argv + 1, 1);
	}
	if (!strcmp(cmd, "dump")) {
		subcommand = "dump";
		return cli_dump(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "diff"))
		return cmd_diff_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "report")) {
		subcommand = "report";
		return cli_report(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "doctor")) {
		if (argc > 2) {
			pf_error(0, "doctor takes no arguments");
			return PF_EXIT_USAGE;
		}
		return cmd_doctor();
	}
	pf_error(0, "unknown command '%s'", cmd);
	pf_hint("see 'pyflame --help'");
	return PF_EXIT_USAGE;
}
