/*
 * cli.c - the command line.  Options are data: each command owns a table of option rows
 * (grouped under headings), and the same rows make the getopt_long tables it is parsed
 * with and the --help it prints, so an option cannot be accepted without being
 * documented, nor documented without being accepted.  A command that does not list an
 * option rejects it (exit 2).
 *
 * To add an option: a row in the group of the commands that use it, a case in that
 * command's handler, the man page, the README and a bats test (bats/005-docs.bats checks
 * that --help and the parser agree, and that the man page and README name every option).
 */
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
#include "pyflame/rawlog.h"
#include "pyflame/cmd_dump.h"
#include "pyflame/cmd_run.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/util.h"
#include "pyflame/version.h"

#define RATE_MIN_HZ 1.0
#define RATE_MAX_HZ 100000.0
#define DEPTH_DEFAULT 2048u
#define DEPTH_MAX 65536u
#define BUSY_POLL_MAX_US 100000u	/* 0.1 s: beyond that it is just a spinning CPU */
#define BUSY_POLL_AUTO_US 1000u		/* covers the gaps between a shell loop's stops */
#define GRACE_DEFAULT_S 5.0

#define HELP_WIDTH 88			/* columns of --help */
#define HELP_TEXT_COL 25		/* where an option's description starts */
#define CLI_MAX_OPTIONS 64		/* options of one command, --help included */

/* --- the model ----------------------------------------------------------------------- */

/*
 * One option.  id is what the handler gets: the short letter when there is one, else
 * an OPT_ value.  arg names the argument in --help (NULL: the option takes none).  help
 * is wrapped to the terminal width by the help printer; "\n" starts a new line.
 */
struct cli_option {
	int id;
	char short_name;
	const char *long_name;
	const char *arg;
	const char *help;
};

#define OPT_ROW(c, name, a, h)	{ (c), (c), (name), (a), (h) }	/* -c, --name */
#define OPT_LONG(i, name, a, h)	{ (i), 0, (name), (a), (h) }	/* --name only */
/* An argument written "[=ARG]" is optional and must follow an '=' (--name=ARG). */
#define OPT_ARG_OPTIONAL(o)	((o)->arg && (o)->arg[0] == '[')
#define OPT_END			{ 0, 0, NULL, NULL, NULL }

/* Options under one heading of a command's --help; note is text printed after them. */
struct cli_group {
	const char *title;
	const struct cli_option *options;	/* ends with OPT_END */
	const char *note;
};

struct cli_command;
/* One option of the command (id, its argument or NULL): 0, or PF_EXIT_USAGE (reported). */
typedef int (*cli_option_fn)(void *ctx, int id, const char *arg);
/* The command itself, given its operands (argv after the options); pyflame's exit status. */
typedef int (*cli_run_fn)(void *ctx, int argc, char **argv);

struct cli_command {
	const char *name;
	const char *usage;		/* after "usage: pyflame " */
	const char *summary;		/* its line in `pyflame --help` */
	const char *intro;		/* the paragraph before its options */
	const struct cli_group *groups;	/* ends with a group without options */
	const char *epilogue;		/* after its options */
	int options_first;		/* options end at the first operand (run: the command's own) */
	size_t ctx_size;
	void (*init)(void *ctx);
	cli_option_fn option;
	cli_run_fn run;
	void (*release)(void *ctx);
};

static const struct cli_command *current;	/* for the hint after a usage error */

/* --- messages and values ------------------------------------------------------------- */

static int usage_error(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, fmt, arg);
	pf_error(0, "%s", sb.buf);
	if (current)
		pf_hint("see 'pyflame %s --help'", current->name);
	else
		pf_hint("see 'pyflame --help'");
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

static int parse_pid(const char *s, pid_t *out)
{
	unsigned long v;

	if (parse_uint(s, 0x3fffffff, &v) || v == 0)
		return usage_error("invalid process id '%s'", s);
	*out = (pid_t)v;
	return 0;
}

/* --native[=all]: 1 the merged stacks, 2 with the interpreter's frames kept. */
static int native_option(const char *arg, int *out)
{
	if (arg && strcmp(arg, "all"))
		return usage_error("unknown --native value '%s' (want --native or --native=all)",
				   arg);
	*out = arg ? 2 : 1;
	return 0;
}

/* --- option ids ---------------------------------------------------------------------- */

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
	OPT_JSON,
	OPT_KEEP_PIDS,
	OPT_STRIP_PROCESS,
	OPT_STRIP_PREFIX,
	OPT_BASE,
	OPT_NEW,
	OPT_ALPHA,
	OPT_BY,
	OPT_TABLE_FORMAT,
	OPT_TOP,
	OPT_FAIL_IF_SLOWER,
	OPT_REPEAT,
	OPT_LIVE,
	OPT_TESTS,
	OPT_NO_GC_FRAMES,
	OPT_ASYNC,
	OPT_NATIVE,
	OPT_NATIVE_MARKERS,
};

/* --- option rows, shared by the commands that take them ------------------------------ */

static const struct cli_option opts_pid[] = {
	OPT_ROW('p', "pid", "PID", "the process"),
	OPT_END,
};

#define ROW_READER OPT_LONG(OPT_READER, "reader", "KIND", \
	"how to read memory: auto (default: the first that works, said once when it is " \
	"not vm), vm, mem, peek (a word per system call, the process stopped)")
#define ROW_NATIVE OPT_LONG(OPT_NATIVE, "native", "[=all]", "show the C frames between " \
	"and under the Python frames: each thread is stopped for a moment while its registers " \
	"and the top of its stack are copied, and its C stack is unwound from the copy; the " \
	"interpreter's own evaluation and call frames are replaced by the Python frames they " \
	"run (=all: kept too)")
#define ROW_QUIET OPT_ROW('q', "quiet", NULL, "no summary on standard error")
#define ROW_VERBOSE OPT_ROW('v', "verbose", NULL, "say what pyflame is doing")
#define ROW_NO_LINES(what) OPT_ROW('n', "no-line-numbers", NULL, what)
#define ROW_TITLE(what) OPT_LONG(OPT_TITLE, "title", "TEXT", what)

static const struct cli_option opts_sampling[] = {
	OPT_ROW('r', "rate", "HZ", "samples per second per thread (default 100; 1k, 1khz, "
		"250hz accepted; 1 Hz to 100 kHz)"),
	OPT_LONG(OPT_DURATION, "duration", "SECS", "stop sampling after SECS; the command runs on"),
	OPT_LONG(OPT_MODE, "mode", "MODE", "wall (default): every thread at every tick, idle "
		 "ones marked (a thread without the GIL is running for the share of the time it ran "
		 "or waited for a CPU); cpu: threads by the CPU time they got since the last tick; "
		 "gil: only the GIL holder; exception: as wall, only threads handling an exception "
		 "(in an except block or called from one: sys.exc_info() is set)"),
	OPT_ROW('x', "exclude-idle", NULL, "same as --mode cpu (Pyflame compatible)"),
	OPT_LONG(OPT_MAX_DEPTH, "max-depth", "N", "keep at most N frames per stack (default "
		 "2048); deeper stacks keep their innermost frames under a <truncated> frame"),
	OPT_LONG(OPT_NO_FOLLOW, "no-follow", NULL, "profile the first process only, not the "
		 "processes it starts (left untraced, they keep set-user-ID privileges)"),
	OPT_LONG(OPT_LIVE, "live", NULL, "show the hottest functions on the terminal while "
		 "sampling, redrawn every second (keys: q stop sampling, p pause, o/t sort by "
		 "own/total); needs a terminal, and for run the command's stdout and stderr "
		 "sent elsewhere"),
	OPT_LONG(OPT_BLOCKING, "blocking", NULL, "stop each process while its stacks are read "
		 "(consistent samples, at a cost to the program; default: never stop it); "
		 "a process is kept stopped at most a quarter of the time"),
	OPT_LONG(OPT_BUSY_POLL, "busy-poll", "USEC", "after a ptrace stop, stay awake USEC "
		 "microseconds for the next one instead of sleeping; 'auto' (default): up to "
		 "1000, as long as the recent stops say it pays (a fork storm's close ones), "
		 "about a quarter of a CPU at most; 0: never.  Fork-heavy commands slow down "
		 "less where waking up is slow (VMs); the CPU is yielded to anything runnable"),
	OPT_LONG(OPT_TESTS, "tests", NULL, "organise the profile by test (pytest, unittest): a "
		 "root frame 'test ID [PHASE]' or <collection>, <session start>, <session end>, "
		 "<outside tests> under each process; the summary ranks the slowest tests; "
		 ".tests.json .tests.csv .tests.md outputs give one row per test and phase"),
	ROW_READER,
	OPT_LONG(OPT_NO_SANDBOX, "no-sandbox", NULL, "do not confine the sampler with seccomp "
		 "(it is on by default; -v says so)"),
	OPT_LONG(OPT_ASYNC, "async", "[=all]", "asyncio (CPython 3.11 and later): a thread "
		 "running a task shows the task's frames, from its coroutine, under a frame "
		 "named after the task instead of the event loop's; =all: every waiting task "
		 "too, one sample a tick each (wall mode, as idle), under the tasks awaiting it, "
		 "with a leaf frame saying what it waits on (<awaiting sleep>, <awaiting "
		 "TASK>, <awaiting Future>, <ready>)"),
	ROW_NATIVE,
	OPT_LONG(OPT_NATIVE_MARKERS, "native-markers", NULL, "put a <native> frame on top of "
		 "the Python frame whose call the thread is running in C code (a builtin, an "
		 "extension's function, a blocking system call); CPython 3.11 and later, from "
		 "the call opcode the innermost frame stands on; no C frames, and --native "
		 "shows them instead"),
	OPT_LONG(OPT_NO_GC_FRAMES, "no-gc-frames", NULL, "do not put a <GC> frame on top of "
		 "the stack of a thread sampled while the cyclic garbage collector runs (on by "
		 "default; CPython 3.7 and later)"),
	OPT_END,
};

/* The output options run, attach and report share. */
static const struct cli_option opts_output[] = {
	OPT_ROW('o', "output", "FILE", "write a profile to FILE; repeatable, all from the same "
		"samples, each FILE once; the format comes from the extension: .svg flame graph, "
		".txt .folded .collapsed collapsed stacks, .speedscope.json speedscope, .pb.gz "
		".pprof pprof, .trace.json .perfetto.json timeline (Perfetto, Firefox Profiler), "
		".pstats .prof pstats (python -m pstats, snakeviz, gprof2dot), .html .htm annotated "
		"source, .tests.json .tests.csv .tests.md the per-test table (--tests), "
		".raw the raw sample log; '-' writes to standard output"),
	OPT_ROW('f', "format", "FMT", "force the format of the outputs that follow: svg, "
		"collapsed, speedscope, pprof, timeline, pstats, html, tests-json, tests-csv, "
		"tests-md"),
	ROW_NO_LINES("aggregate by function, not by line"),
	OPT_LONG(OPT_THREADS, "threads", NULL, "add a frame per thread (TID and name) under "
		 "each process"),
	OPT_LONG(OPT_MERGE, "merge", NULL, "merge processes that run the same command line"),
	ROW_TITLE("flame graph title (default: the command line)"),
	OPT_END,
};

static const struct cli_option opts_on_demand[] = {
	OPT_LONG(OPT_DUMP_ON_TIMEOUT, "dump-on-timeout", "SECS", "if the process still runs "
		 "after SECS, print every Python stack to standard error once (for hung CI jobs; "
		 "with --native, with the C frames)"),
	OPT_LONG(OPT_NO_CRASH_STACKS, "no-crash-stacks", NULL, "do not print the Python stack "
		 "of a process that is killed by SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT "
		 "(printed by default)"),
	OPT_END,
};

static const struct cli_option opts_repeat[] = {
	OPT_LONG(OPT_REPEAT, "repeat", "N", "run COMMAND N times, one after another, into one "
		 "profile (1 to 10000); stop at the first run that fails and exit with its "
		 "status.  The raw log keeps the runs apart: 'pyflame diff' compares them run "
		 "by run, and the summary gives the spread of their times"),
	OPT_END,
};

static const struct cli_option opts_ending[] = {
	OPT_LONG(OPT_GRACE, "grace", "SECS", "after forwarding SIGTERM & co., wait this long "
		 "for COMMAND to end (default 5; 0 = forever), then write the profiles, leave "
		 "COMMAND running and die by that signal"),
	OPT_END,
};

static const struct cli_option opts_other[] = {
	ROW_QUIET,
	OPT_LONG(OPT_NO_STEP_SUMMARY, "no-step-summary", NULL, "do not append the summary, as "
		 "Markdown, to the file named by $GITHUB_STEP_SUMMARY (GitHub Actions' job "
		 "summary)"),
	ROW_VERBOSE,
	OPT_END,
};

static const char note_on_demand[] =
	"kill -USR1 <pyflame's pid> prints every Python stack to standard error at once; "
	"recording goes on.";

/* -h, --help: every command has it; the parser and the help printer add this row. */
static const struct cli_option opt_help = OPT_ROW('h', "help", NULL, "this help");

/* --- help ---------------------------------------------------------------------------- */

/*
 * Print text from column *col, wrapping at HELP_WIDTH to lines that start at indent;
 * "\n" in text starts a new line.  Leaves *col where the text ended.
 */
static void put_wrapped(FILE *out, const char *text, size_t indent, size_t *col)
{
	const char *p = text;
	size_t gap = 1;		/* spaces before the next word: two after a full stop */

	while (*p) {
		size_t word = strcspn(p, " \n"), spaces = 0;

		if (*col > indent && *col + gap + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			*col = indent;
		} else if (*col > indent) {
			fprintf(out, "%*s", (int)gap, "");
			*col += gap;
		}
		fwrite(p, 1, word, out);
		*col += word;
		p += word;
		while (*p == ' ') {
			p++;
			spaces++;
		}
		gap = spaces > 1 ? 2 : 1;
		if (*p == '\n') {
			fprintf(out, "\n%*s", (int)indent, "");
			*col = indent;
			p++;
		}
	}
}

static void print_option(FILE *out, const struct cli_option *o)
{
	struct strbuf head = STRBUF_INIT;
	size_t col;

	if (o->short_name)
		strbuf_addf(&head, "  -%c, --%s", o->short_name, o->long_name);
	else
		strbuf_addf(&head, "      --%s", o->long_name);
	if (o->arg)
		strbuf_addf(&head, OPT_ARG_OPTIONAL(o) ? "%s" : " %s", o->arg);
	fputs(head.buf, out);
	col = head.len;
	if (col + 2 <= HELP_TEXT_COL) {
		fprintf(out, "%*s", (int)(HELP_TEXT_COL - col), "");
		col = HELP_TEXT_COL;
	} else {
		fputs(" ", out);	/* put_wrapped adds the second space */
		col++;
	}
	put_wrapped(out, o->help, HELP_TEXT_COL, &col);
	fputc('\n', out);
	strbuf_release(&head);
}

static void put_paragraph(FILE *out, const char *text, size_t indent)
{
	size_t col = indent;

	fprintf(out, "%*s", (int)indent, "");
	put_wrapped(out, text, indent, &col);
	fputc('\n', out);
}

static void print_command_help(const struct cli_command *c, FILE *out)
{
	fprintf(out, "usage: pyflame %s\n", c->usage);
	if (c->intro) {
		fputc('\n', out);
		put_paragraph(out, c->intro, 0);
	}
	for (const struct cli_group *g = c->groups; g->options; g++) {
		fputc('\n', out);
		if (g->title)
			fprintf(out, "%s:\n", g->title);
		for (const struct cli_option *o = g->options; o->id; o++)
			print_option(out, o);
		if (g->note)
			put_paragraph(out, g->note, 2);
	}
	if (!c->groups->options)
		fputc('\n', out);
	print_option(out, &opt_help);
	if (c->epilogue) {
		fputc('\n', out);
		fputs(c->epilogue, out);
	}
}

/* --- parsing --------------------------------------------------------------------------- */

/* The getopt_long tables of a command, made from its rows. */
struct cli_getopt {
	struct option longopts[CLI_MAX_OPTIONS + 1];
	char shortopts[2 * CLI_MAX_OPTIONS + 3];
};

static void add_getopt_row(struct cli_getopt *t, size_t *nl, size_t *ns,
			   const struct cli_option *o)
{
	if (*nl >= CLI_MAX_OPTIONS)
		abort();	/* a programming error: raise CLI_MAX_OPTIONS */
	t->longopts[*nl].name = o->long_name;
	t->longopts[*nl].has_arg = OPT_ARG_OPTIONAL(o) ? optional_argument :
				   o->arg ? required_argument : no_argument;
	t->longopts[*nl].flag = NULL;
	t->longopts[*nl].val = o->id;
	(*nl)++;
	if (o->short_name) {
		t->shortopts[(*ns)++] = o->short_name;
		if (o->arg)
			t->shortopts[(*ns)++] = ':';
		if (OPT_ARG_OPTIONAL(o))
			t->shortopts[(*ns)++] = ':';
	}
}

static void build_getopt(const struct cli_command *c, struct cli_getopt *t)
{
	size_t nl = 0, ns = 0;

	memset(t, 0, sizeof(*t));
	if (c->options_first)
		t->shortopts[ns++] = '+';
	t->shortopts[ns++] = ':';
	for (const struct cli_group *g = c->groups; g->options; g++)
		for (const struct cli_option *o = g->options; o->id; o++)
			add_getopt_row(t, &nl, &ns, o);
	add_getopt_row(t, &nl, &ns, &opt_help);
}

#define CLI_NCOMMANDS 6
static const struct cli_command *const commands[CLI_NCOMMANDS + 1];	/* below, NULL-ended */

/* After "unknown option": name the commands that do take it. */
static void hint_other_commands(const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *name = arg + strspn(arg, "-");
	size_t len = strcspn(name, "=");

	if (arg[0] != '-' || arg[1] != '-' || !len)
		return;
	for (size_t i = 0; commands[i]; i++) {
		const struct cli_command *c = commands[i];
		int has = 0;

		for (const struct cli_group *g = c->groups; g->options && !has; g++)
			for (const struct cli_option *o = g->options; o->id; o++)
				if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
					has = 1;
		if (has)
			strbuf_addf(&sb, "%s'pyflame %s'", sb.len ? ", " : "", c->name);
	}
	if (sb.len)
		pf_hint("--%.*s is an option of %s", (int)len, name, sb.buf);
	strbuf_release(&sb);
}

/*
 * Parse argv (argv[0] is the command's name) with the command's rows, handing each option
 * to c->option.  0 with *operands the index of the first operand; 1 after printing
 * --help; PF_EXIT_USAGE after reporting a usage error.
 */
static int parse_options(const struct cli_command *c, int argc, char **argv, void *ctx,
			 int *operands)
{
	struct cli_getopt t;
	int id;

	build_getopt(c, &t);
	opterr = 0;
	optind = 1;
	while ((id = getopt_long(argc, argv, t.shortopts, t.longopts, NULL)) != -1) {
		switch (id) {
		case 'h':
			print_command_help(c, stdout);
			return 1;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?':
			if (optopt && !strncmp(argv[optind - 1], "--", 2))
				/* getopt_long names the option it knows: "--json=1" */
				return usage_error("option '%s' takes no value", argv[optind - 1]);
			if (optopt && optopt < 256 && argv[optind - 1][1] != '-') {
				char opt[3] = { '-', (char)optopt, '\0' };

				return usage_error("unknown option '%s'", opt);
			}
			usage_error("unknown option '%s'", argv[optind - 1]);
			hint_other_commands(argv[optind - 1]);
			return PF_EXIT_USAGE;
		default:
			if (c->option(ctx, id, optarg))
				return PF_EXIT_USAGE;
		}
	}
	*operands = optind;
	return 0;
}

/* --- output options (run, attach, report) ---------------------------------------------- */

struct output_args {
	struct run_output *outputs;
	size_t noutputs;
	enum pf_format forced;		/* -f: applies to the -o options after it */
	enum pf_format default_format;	/* -f without -o */
	int line_numbers;
	int threads;
	int merge;
	const char *title;
	int allow_raw;			/* -f raw / -o FILE.raw (not for report) */
};

/* One -o: the format from -f if given, else from the extension; each path once. */
static int add_output(struct output_args *a, const char *path)
{
	enum pf_format f = a->forced;

	for (size_t i = 0; i < a->noutputs; i++) {
		if (strcmp(a->outputs[i].path, path))
			continue;
		if (!strcmp(path, "-"))
			return usage_error("%s", "standard output is given twice (-o -): every "
					   "output must be a different file");
		return usage_error("'%s' is given twice with -o: every output must be a "
				   "different file", path);
	}
	if (f == PF_FORMAT_NONE && strcmp(path, "-")) {
		f = pf_format__from_path(path);
		if (f == PF_FORMAT_NONE)
			return usage_error("cannot tell the format of '%s' from its extension "
					   "(use .svg, .txt, .speedscope.json, .pb.gz, .trace.json, "
					   ".pstats, .html, .tests.json, .raw, or -f)", path);
	}
	if (f == PF_FORMAT_NONE)
		f = PF_FORMAT_COLLAPSED;	/* '-': text is what a terminal or pipe wants */
	a->outputs = xrealloc(a->outputs, (a->noutputs + 1) * sizeof(*a->outputs));
	a->outputs[a->noutputs].path = (char *)path;
	a->outputs[a->noutputs].format = f;
	a->noutputs++;
	return 0;
}

/* 1 handled, 0 not an output option, PF_EXIT_USAGE (reported). */
static int output_option(struct output_args *a, int id, const char *arg)
{
	switch (id) {
	case 'o':
		return add_output(a, arg) ? PF_EXIT_USAGE : 1;
	case 'f':
		a->forced = pf_format__from_name(arg);
		if (a->forced == PF_FORMAT_NONE || (!a->allow_raw && a->forced == PF_FORMAT_RAW))
			return usage_error("unknown format '%s' (want svg, collapsed, speedscope, "
					   "pprof, timeline, pstats, html, tests-json, tests-csv or "
					   "tests-md)", arg);
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

/* --- run and attach -------------------------------------------------------------------- */

struct run_args {
	struct run_opts o;
	struct output_args oa;
};

static void run_init(void *ctx)
{
	struct run_args *a = ctx;

	a->o = (struct run_opts){
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
		.gc_frames = 1,
		.step_summary = 1,
	};
	a->oa = (struct output_args){ .line_numbers = 1, .allow_raw = 1 };
}

static void run_release(void *ctx)
{
	struct run_args *a = ctx;

	free(a->oa.outputs);
}

static int run_option(void *ctx, int id, const char *arg)
{
	struct run_args *a = ctx;
	struct run_opts *o = &a->o;
	unsigned long ul;
	int ret = output_option(&a->oa, id, arg);

	if (ret)
		return ret == 1 ? 0 : ret;
	switch (id) {
	case 'r':
		o->rate_hz = parse_rate(arg);
		if (o->rate_hz < 0)
			return usage_error("invalid rate '%s' (want e.g. 100, 1k, 1khz)", arg);
		if (o->rate_hz < RATE_MIN_HZ || o->rate_hz > RATE_MAX_HZ)
			return usage_error("rate '%s' out of range (1 Hz to 100 kHz)", arg);
		break;
	case OPT_DURATION:
		if (parse_seconds(arg, 0, &o->duration_s))
			return usage_error("invalid duration '%s' (want seconds > 0)", arg);
		break;
	case OPT_MODE:
		if (!strcmp(arg, "wall"))
			o->mode = PF_MODE_WALL;
		else if (!strcmp(arg, "cpu"))
			o->mode = PF_MODE_CPU;
		else if (!strcmp(arg, "gil"))
			o->mode = PF_MODE_GIL;
		else if (!strcmp(arg, "exception"))
			o->mode = PF_MODE_EXCEPTION;
		else
			return usage_error("unknown mode '%s' (want wall, cpu, gil or exception)",
					   arg);
		break;
	case 'x':
		o->mode = PF_MODE_CPU;
		break;
	case OPT_MAX_DEPTH:
		if (parse_uint(arg, DEPTH_MAX, &ul) || ul == 0)
			return usage_error("invalid max depth '%s' (want 1 to 65536)", arg);
		o->max_depth = (unsigned)ul;
		break;
	case OPT_TESTS:
		o->tests = 1;
		break;
	case OPT_NO_FOLLOW:
		o->follow = 0;
		break;
	case OPT_LIVE:
		o->live = 1;
		break;
	case OPT_READER:
		if (remote_kind__parse(arg, &o->reader))
			return usage_error("unknown reader '%s' (want auto, vm, mem or peek)", arg);
		break;
	case OPT_NO_SANDBOX:
		o->sandbox = 0;
		break;
	case OPT_BLOCKING:
		o->blocking = 1;
		break;
	case OPT_BUSY_POLL:
		if (!strcmp(arg, "auto")) {
			o->busy_poll_us = BUSY_POLL_AUTO_US;
			o->busy_poll_fixed = 0;
			break;
		}
		if (parse_uint(arg, BUSY_POLL_MAX_US, &ul))
			return usage_error("invalid busy-poll time '%s' (want auto, or 0 to 100000 "
					   "microseconds)", arg);
		o->busy_poll_us = (unsigned)ul;
		o->busy_poll_fixed = 1;
		break;
	case OPT_NO_STEP_SUMMARY:
		o->step_summary = 0;
		break;
	case OPT_NO_CRASH_STACKS:
		o->crash_stacks = 0;
		break;
	case OPT_NATIVE_MARKERS:
		o->native_markers = 1;
		break;
	case OPT_NO_GC_FRAMES:
		o->gc_frames = 0;
		break;
	case OPT_ASYNC:
		if (arg && strcmp(arg, "all"))
			return usage_error("invalid --async '%s' (want --async or --async=all)",
					   arg);
		o->async = arg ? 2 : 1;
		break;
	case OPT_NATIVE:
		return native_option(arg, &o->native);
	case OPT_DUMP_ON_TIMEOUT:
		if (parse_seconds(arg, 0, &o->dump_timeout_s))
			return usage_error("invalid timeout '%s' (want seconds > 0)", arg);
		break;
	case OPT_REPEAT:
		if (parse_uint(arg, RAWLOG_MAX_REPEATS, &ul) || ul == 0)
			return usage_error("invalid repeat count '%s' (want 1 to 10000)", arg);
		o->repeat = (unsigned)ul;
		break;
	case OPT_GRACE:
		if (parse_seconds(arg, 1, &o->grace_s))
			return usage_error("invalid grace period '%s' (want seconds >= 0)", arg);
		break;
	case 'q':
		pf_quiet = 1;
		break;
	case 'v':
		pf_verbose++;
		break;
	case 'p':
		return parse_pid(arg, &o->attach_pid);
	}
	return 0;
}

static void run_take_outputs(struct run_args *a)
{
	a->o.outputs = a->oa.outputs;
	a->o.noutputs = a->oa.noutputs;
	a->o.default_format = a->oa.default_format;
	a->o.line_numbers = a->oa.line_numbers;
	a->o.threads = a->oa.threads;
	a->o.merge = a->oa.merge;
	a->o.title = a->oa.title;
}

static int run_run(void *ctx, int argc, char **argv)
{
	struct run_args *a = ctx;

	if (!argc)
		return usage_error("%s", "no command given: pyflame run [OPTIONS] -- COMMAND "
				   "[ARGS...]");
	if (a->o.repeat > 1 && !a->o.follow)
		return usage_error("%s", "--repeat runs COMMAND as children of pyflame's own: "
				   "they are followed, so it cannot go with --no-follow");
	run_take_outputs(a);
	a->o.argv = argv;
	return cmd_run(&a->o);
}

static int attach_run(void *ctx, int argc, char **argv)
{
	struct run_args *a = ctx;

	if (!a->o.attach_pid)
		return usage_error("%s", "no process given: pyflame attach -p PID [OPTIONS]");
	if (argc)
		return usage_error("unexpected argument '%s' (attach takes -p PID)", argv[0]);
	run_take_outputs(a);
	return cmd_attach(&a->o);
}

static const struct cli_group run_groups[] = {
	{ "Sampling", opts_sampling, NULL },
	{ "Output", opts_output, NULL },
	{ "Stacks on demand", opts_on_demand, note_on_demand },
	{ "Repeats", opts_repeat, NULL },
	{ "Ending", opts_ending, NULL },
	{ "Other", opts_other, NULL },
	{ NULL, NULL, NULL },
};

static const struct cli_command cmd_run_def = {
	.name = "run",
	.usage = "run [OPTIONS] [--] COMMAND [ARGS...]",
	.summary = "launch COMMAND under the profiler and write profiles when it exits",
	.intro = "Run COMMAND, sample the Python stacks of every thread of every CPython "
		 "process it starts, and write profiles when it exits (default: "
		 "pyflame-COMMAND-PID.svg here).  COMMAND's input, output, signals and exit "
		 "status are its own.",
	.groups = run_groups,
	.epilogue =
"Exit status: COMMAND's own status; if COMMAND is killed by a signal, pyflame writes\n"
"its profiles and ends itself by the same signal.  pyflame's own failures:\n"
"  2 usage error, 125 pyflame failed, 126 COMMAND not executable, 127 COMMAND not found.\n"
"  125 also when COMMAND succeeded but a profile asked for could not be written.\n"
"\n"
"Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to pyflame are forwarded to COMMAND\n"
"(once: signals from the terminal already reach it).  Ctrl-Z and fg work as usual.\n"
"Samples are streamed to a raw log (prof.svg -> prof.raw, or prof-XXXXXX.raw if that\n"
"name is taken: pyflame never writes over a file it did not create) while pyflame runs;\n"
"it is removed when the profiles are written, so a run killed with SIGKILL leaves it:\n"
"'pyflame report prof.raw -o prof.svg' turns it into any format.\n"
"\n"
"Traced, a program that would gain privileges at exec (sudo, ping: set-user-ID,\n"
"set-group-ID, file capabilities) runs without them, as under any unprivileged tracer;\n"
"pyflame names each one it sees.  --no-follow leaves the processes COMMAND starts\n"
"untraced; root's pyflame leaves them their privileges.\n",
	.options_first = 1,
	.ctx_size = sizeof(struct run_args),
	.init = run_init,
	.option = run_option,
	.run = run_run,
	.release = run_release,
};

/* attach: run's options but --grace (the process is not ours: a signal ends the session). */
static const struct cli_group attach_groups[] = {
	{ NULL, opts_pid, NULL },
	{ "Sampling", opts_sampling, NULL },
	{ "Output", opts_output, NULL },
	{ "Stacks on demand", opts_on_demand, note_on_demand },
	{ "Other", opts_other, NULL },
	{ NULL, NULL, NULL },
};

static const struct cli_command cmd_attach_def = {
	.name = "attach",
	.usage = "attach -p PID [OPTIONS]",
	.summary = "sample a running process for a while",
	.intro = "Attach to a running Python process with PTRACE_SEIZE, sample it until it "
		 "exits, --duration ends or Ctrl-C, then detach, leaving it exactly as it was "
		 "(never stopped, never killed).  Its threads and future children are traced "
		 "too unless --no-follow.",
	.groups = attach_groups,
	.epilogue =
"Attaching needs permission: the same user and Yama ptrace_scope 0, or CAP_SYS_PTRACE\n"
"(sudo setcap cap_sys_ptrace+ep $(command -v pyflame)); such a copy reads only its\n"
"user's own processes and keeps the capability only until it has attached.  Root reads\n"
"any process.  When refused, pyflame says exactly why (exit 125).\n",
	.ctx_size = sizeof(struct run_args),
	.init = run_init,
	.option = run_option,
	.run = attach_run,
	.release = run_release,
};

/* --- dump ------------------------------------------------------------------------------ */

static const struct cli_option opts_dump[] = {
	OPT_ROW('p', "pid", "PID", "the process"),
	OPT_LONG(OPT_JSON, "json", NULL, "one JSON object: pid, command (whole), python, "
		 "threads[] with tid, name, gil, idle, truncated and frames[] (outermost first)"),
	ROW_NATIVE,
	ROW_READER,
	ROW_VERBOSE,
	OPT_END,
};

static const struct cli_group dump_groups[] = {
	{ NULL, opts_dump, NULL },
	{ NULL, NULL, NULL },
};

static void dump_init(void *ctx)
{
	struct run_opts *o = ctx;

	*o = (struct run_opts){ .max_depth = DEPTH_DEFAULT, .reader = REMOTE_AUTO, .rate_hz = 1 };
}

static int dump_option(void *ctx, int id, const char *arg)
{
	struct run_opts *o = ctx;

	switch (id) {
	case 'p':
		return parse_pid(arg, &o->attach_pid);
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_NATIVE:
		return native_option(arg, &o->native);
	case OPT_READER:
		if (remote_kind__parse(arg, &o->reader))
			return usage_error("unknown reader '%s' (want auto, vm, mem or peek)", arg);
		break;
	case 'v':
		pf_verbose++;
		break;
	}
	return 0;
}

static int dump_run(void *ctx, int argc, char **argv)
{
	struct run_opts *o = ctx;

	if (!o->attach_pid)
		return usage_error("%s", "no process given: pyflame dump -p PID");
	if (argc)
		return usage_error("unexpected argument '%s' (dump takes -p PID)", argv[0]);
	return cmd_dump(o);
}

static const struct cli_command cmd_dump_def = {
	.name = "dump",
	.usage = "dump -p PID [--json] [OPTIONS]",
	.summary = "print a running process's Python stacks once",
	.intro = "Print every thread's current Python stack once, most recent call last, "
		 "with its thread id and name, the GIL holder and idle threads marked.  The "
		 "process is stopped for a moment for a consistent snapshot and then let go.",
	.groups = dump_groups,
	.epilogue =
"Root reads any user's process; a copy with file capabilities (setcap) reads only its\n"
"user's own.  While it reads, dump is confined like run and attach (seccomp; no\n"
"capability but CAP_SYS_PTRACE, and that for root only).\n"
"\n"
"Exit status: 0 when the stacks were printed; 2 usage error or no such process; 125\n"
"when the process could not be read (refused, not Python, gone), with the reason.\n",
	.ctx_size = sizeof(struct run_opts),
	.init = dump_init,
	.option = dump_option,
	.run = dump_run,
};

/* --- report ---------------------------------------------------------------------------- */

#define ROW_STRIP_PREFIX(what) OPT_LONG(OPT_STRIP_PREFIX, "strip-prefix", "DIR", what)

static const struct cli_option opts_report_other[] = {
	ROW_STRIP_PREFIX("remove DIR from the start of file paths, so runs from different "
			 "checkouts match; repeatable; 'auto': per input, the deepest directory "
			 "holding all of its own files"),
	ROW_QUIET,
	ROW_VERBOSE,
	OPT_END,
};

static const struct cli_group report_groups[] = {
	{ NULL, opts_output, NULL },
	{ NULL, opts_report_other, NULL },
	{ NULL, NULL, NULL },
};

struct report_args {
	struct output_args out;
	const char **prefixes;		/* --strip-prefix, in order */
	size_t nprefixes;
};

static void report_init(void *ctx)
{
	struct report_args *a = ctx;

	*a = (struct report_args){ .out = { .line_numbers = 1 } };
}

static void report_release(void *ctx)
{
	struct report_args *a = ctx;

	free(a->out.outputs);
	free(a->prefixes);
}

static int report_option(void *ctx, int id, const char *arg)
{
	struct report_args *a = ctx;
	int ret = output_option(&a->out, id, arg);

	if (ret)
		return ret == 1 ? 0 : ret;
	if (id == 'q') {
		pf_quiet = 1;
	} else if (id == 'v') {
		pf_verbose++;
	} else if (id == OPT_STRIP_PREFIX) {
		a->prefixes = xrealloc(a->prefixes, (a->nprefixes + 1) * sizeof(*a->prefixes));
		a->prefixes[a->nprefixes++] = arg;
	}
	return 0;
}

static int report_run(void *ctx, int argc, char **argv)
{
	struct report_args *a = ctx;
	struct report_opts o = {
		.outputs = a->out.outputs,
		.noutputs = a->out.noutputs,
		.default_format = a->out.default_format,
		.line_numbers = a->out.line_numbers,
		.threads = a->out.threads,
		.merge = a->out.merge,
		.title = a->out.title,
		.prefixes = a->prefixes,
		.nprefixes = a->nprefixes,
	};

	if (argc < 1)
		return usage_error("%s", "want a raw log: pyflame report [OPTIONS] INPUT...");
	for (size_t i = 0; i < o.noutputs; i++)
		if (o.outputs[i].format == PF_FORMAT_RAW)
			return usage_error("'%s': report writes profiles, not raw logs",
					   o.outputs[i].path);
	o.raw = argv[0];
	o.inputs = (const char *const *)argv;
	o.ninputs = (size_t)argc;
	return cmd_report(&o);
}

static const struct cli_command cmd_report_def = {
	.name = "report",
	.usage = "report [OPTIONS] INPUT...",
	.summary = "turn raw logs into profiles, merging several runs",
	.intro = "Turn a raw log (written by every pyflame run, kept when the run was cut "
		 "short or when asked for with -o FILE.raw) into profiles (default: the first "
		 "INPUT with .svg).  Several inputs (raw logs or collapsed stacks, mixed: shards "
		 "or repeats of one job) are merged into one profile: processes match by "
		 "command line, and the metadata names every input.",
	.groups = report_groups,
	.ctx_size = sizeof(struct report_args),
	.init = report_init,
	.option = report_option,
	.run = report_run,
	.release = report_release,
};

/* --- diff ------------------------------------------------------------------------------ */

static const struct cli_option opts_diff_runs[] = {
	OPT_LONG(OPT_BASE, "base", "FILE", "a run of the base side; repeatable"),
	OPT_LONG(OPT_NEW, "new", "FILE", "a run of the new side; repeatable"),
	ROW_STRIP_PREFIX("remove DIR from the start of file paths; repeatable; 'auto'"),
	OPT_END,
};

static const struct cli_option opts_diff_table[] = {
	OPT_LONG(OPT_ALPHA, "alpha", "A", "false-alarm rate of a whole report (default 0.01)"),
	OPT_LONG(OPT_BY, "by", "time|share", "compare each function's estimated time per run "
		 "(default) or its share of all samples"),
	OPT_LONG(OPT_TABLE_FORMAT, "format", "FMT", "the table: text (default), md (a PR "
		 "comment or step summary) or json (every function)"),
	OPT_LONG(OPT_TOP, "top", "N", "rows besides the significant ones (default 15; text "
		 "and md)"),
	OPT_LONG(OPT_FAIL_IF_SLOWER, "fail-if-slower", "PCT", "exit 1 if a function's own or "
		 "total time grew by more than PCT percent (10 or 10%) and significantly; each "
		 "is named on standard error with the functions that grew inside it"),
	OPT_END,
};

static const struct cli_option opts_diff[] = {
	OPT_ROW('o', "output", "FILE", ".svg: the graph; .txt .folded .collapsed: 'path base "
		"new' per line (difffolded); '-' that text to standard output instead of the "
		"table; repeatable, each FILE once (default: the first NEW with .diff.svg)"),
	ROW_NO_LINES("match the graph's frames by function, not by line"),
	OPT_LONG(OPT_KEEP_PIDS, "keep-pids", NULL, "match process frames with their pid (by "
		 "default '[pid N]' is dropped so two runs of one command match)"),
	OPT_LONG(OPT_STRIP_PROCESS, "strip-process", NULL, "drop process frames: compare the "
		 "Python stacks only"),
	ROW_TITLE("graph title (default: 'pyflame diff: BASE → NEW')"),
	ROW_QUIET,
	ROW_VERBOSE,
	OPT_END,
};

static const struct cli_group diff_groups[] = {
	{ "Runs", opts_diff_runs, NULL },
	{ "The table", opts_diff_table, NULL },
	{ "The graph and the rest", opts_diff, NULL },
	{ NULL, NULL, NULL },
};

static void diff_init(void *ctx)
{
	struct diff_cmd_opts *o = ctx;

	*o = (struct diff_cmd_opts){ .diff = { .line_numbers = 1 } };
}

static void diff_release(void *ctx)
{
	struct diff_cmd_opts *o = ctx;

	free(o->outputs);
	free(o->base);
	free(o->new);
	free(o->prefixes);
}

/* Append s to the list *v of *n strings. */
static void push_str(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static int diff_option(void *ctx, int id, const char *arg)
{
	struct diff_cmd_opts *o = ctx;

	switch (id) {
	case 'o':
		for (size_t i = 0; i < o->noutputs; i++)
			if (!strcmp(o->outputs[i], arg))
				return usage_error("'%s' is given twice with -o: every output must be "
						   "a different file", arg);
		push_str(&o->outputs, &o->noutputs, arg);
		break;
	case OPT_BASE:
		push_str(&o->base, &o->nbase, arg);
		break;
	case OPT_NEW:
		push_str(&o->new, &o->nnew, arg);
		break;
	case OPT_STRIP_PREFIX:
		push_str(&o->prefixes, &o->nprefixes, arg);
		break;
	case OPT_ALPHA:
		o->alpha = arg;
		break;
	case OPT_BY:
		o->by = arg;
		break;
	case OPT_TABLE_FORMAT:
		o->format = arg;
		break;
	case OPT_TOP:
		o->top = arg;
		break;
	case OPT_FAIL_IF_SLOWER:
		o->fail_if_slower = arg;
		break;
	case 'n':
		o->diff.line_numbers = 0;
		break;
	case OPT_KEEP_PIDS:
		o->diff.keep_pids = 1;
		break;
	case OPT_STRIP_PROCESS:
		o->diff.strip_process = 1;
		break;
	case OPT_TITLE:
		o->title = arg;
		break;
	case 'q':
		pf_quiet = 1;
		break;
	case 'v':
		pf_verbose++;
		break;
	}
	return 0;
}

static int diff_run(void *ctx, int argc, char **argv)
{
	struct diff_cmd_opts *o = ctx;

	o->operands = argv;
	o->noperands = (size_t)argc;
	return cmd_diff(o);
}

static const struct cli_command cmd_diff_def = {
	.name = "diff",
	.usage = "diff [OPTIONS] BASE NEW\n"
		 "       pyflame diff [OPTIONS] --base BASE [--base BASE...] [--new] NEW...",
	.summary = "compare profiles: which functions changed, significantly",
	.intro = "Compare profiles: for each function, its time (or share) per run on each "
		 "side, the change, and whether the change is significant at --alpha (a "
		 "quasi-Poisson test: the sampling noise of the counts and, with several runs "
		 "per side, the spread between runs; Holm's correction over every function of "
		 "the report).  The table goes to standard output; the differential flame graph "
		 "(NEW's stacks, each frame coloured by the change of its share: red grew, blue "
		 "shrank, grey not significant) to a file.  Inputs are raw logs (-o FILE.raw) or "
		 "collapsed stacks (.txt .folded .collapsed).  Several runs per side (repeats, or "
		 "runs of a benchmark): name each base run with --base and each new run with "
		 "--new or as an argument.",
	.groups = diff_groups,
	.epilogue =
"Exit status: 0; 1 when --fail-if-slower found a slower function; 2 for a usage error\n"
"or input that cannot be read or compared; 125 when an output cannot be written.\n",
	.ctx_size = sizeof(struct diff_cmd_opts),
	.init = diff_init,
	.option = diff_option,
	.run = diff_run,
	.release = diff_release,
};

/* --- doctor ---------------------------------------------------------------------------- */

static const struct cli_group doctor_groups[] = {
	{ NULL, NULL, NULL },
};

static int doctor_option(void *ctx, int id, const char *arg)
{
	(void)ctx;
	(void)id;
	(void)arg;
	return 0;	/* it has none but --help */
}

static int doctor_run(void *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc)
		return usage_error("unexpected argument '%s' (doctor takes no arguments)", argv[0]);
	return cmd_doctor();
}

static const struct cli_command cmd_doctor_def = {
	.name = "doctor",
	.usage = "doctor",
	.summary = "check what profiling needs on this machine, and say how to fix it",
	.intro = "Check, on this machine and as this user, each thing profiling depends on "
		 "(Yama, capabilities, seccomp, containers, the memory readers, the sandbox) by "
		 "trying it on a child process of its own, and say how to fix what fails.  Exit "
		 "status 0 if 'pyflame run' can work here, 1 if not.",
	.groups = doctor_groups,
	.option = doctor_option,
	.run = doctor_run,
};

/* --- dispatch -------------------------------------------------------------------------- */

static const struct cli_command *const commands[CLI_NCOMMANDS + 1] = {
	&cmd_run_def, &cmd_attach_def, &cmd_dump_def, &cmd_report_def, &cmd_diff_def,
	&cmd_doctor_def, NULL,
};

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_main_help(FILE *out)
{
	for (size_t i = 0; commands[i]; i++)
		fprintf(out, "%s pyflame %s\n", i ? "      " : "usage:", commands[i]->usage);
	fputs("       pyflame --help | --version | help COMMAND\n"
	      "\n"
	      "Sample the Python stacks of COMMAND and every Python process it starts, and write a\n"
	      "flame graph when it exits.  COMMAND runs exactly as it would without pyflame: same\n"
	      "input, output, signals and exit status.  No root or CAP_SYS_PTRACE is needed.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; commands[i]; i++)
		fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n"
	      "Before the command, -v (--verbose) and -q (--quiet) apply to it as if given after.\n"
	      "'pyflame COMMAND --help' lists the options of each.\n", out);
}

/*
 * --version: the release, the commit it was built from (the Makefile passes
 * PYFLAME_COMMIT to this file alone; "unknown" outside a git checkout) and the CPython
 * versions pyflame reads, from pyoffsets' own tables, consecutive minors as a range.
 */
#ifndef PYFLAME_COMMIT
#define PYFLAME_COMMIT "unknown"
#endif

static void print_version(FILE *out)
{
	unsigned v[PY_OFFSETS_MAX_VERSIONS];
	size_t n = py_offsets__versions(v, ARRAY_SIZE(v));

	fprintf(out, "pyflame %s\ncommit %s\nreads CPython", PYFLAME_VERSION, PYFLAME_COMMIT);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)	/* same major, next minor */
			j++;
		fprintf(out, "%s %u.%u", i ? "," : "", PY_VER_MAJOR(v[i]), PY_VER_MINOR(v[i]));
		if (j > i)
			fprintf(out, "-%u.%u", PY_VER_MAJOR(v[j]), PY_VER_MINOR(v[j]));
		i = j + 1;
	}
	fputc('\n', out);
}

static int run_command(const struct cli_command *c, int argc, char **argv)
{
	void *ctx = c->ctx_size ? xcalloc(1, c->ctx_size) : NULL;
	int operands, ret;

	current = c;
	if (c->init)
		c->init(ctx);
	ret = parse_options(c, argc, argv, ctx, &operands);
	if (ret == 1)
		ret = 0;		/* --help */
	else if (!ret)
		ret = c->run(ctx, argc - operands, argv + operands);
	if (c->release)
		c->release(ctx);
	free(ctx);
	return ret;
}

/* "pyflame python3 x.py": say how to profile it. */
static int unknown_command(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	const char *cmd = argv[0];

	pf_error(0, "unknown command '%s'", cmd);
	if (cmd[0] && cmd[0] != '-') {
		for (int i = 0; i < argc && sb.len < 200; i++)
			strbuf_addf(&sb, " %s", argv[i]);
		pf_hint("to profile a command: pyflame run --%s", sb.buf);
	}
	pf_hint("see 'pyflame --help'");
	strbuf_release(&sb);
	return PF_EXIT_USAGE;
}

int cli__main(int argc, char **argv)
{
	const struct cli_command *c;
	int i = 1;

	/* options of pyflame itself, before the command */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			pf_verbose++;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			pf_quiet = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_main_help(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			print_version(stdout);
			return 0;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	if (i >= argc) {
		print_main_help(stderr);
		return PF_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 >= argc) {
			print_main_help(stdout);
			return 0;
		}
		c = find_command(argv[i + 1]);
		if (!c)
			return unknown_command(argc - i - 1, argv + i + 1);
		print_command_help(c, stdout);
		return 0;
	}
	c = find_command(argv[i]);
	if (!c)
		return unknown_command(argc - i, argv + i);
	return run_command(c, argc - i, argv + i);
}
