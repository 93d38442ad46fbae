/*
 * stackdump.c - the current stacks of a process, as Python prints a traceback: outermost
 * call first, one "File ..., line N, in NAME" line per frame.  Used by `pyflame dump`,
 * SIGUSR1 during a run, --dump-on-timeout, and the stack of a crashing process.
 */
#include "pyflame/stackdump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/native.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

struct dumped_thread {
	pid_t tid;
	unsigned flags;
	int idle;
	unsigned depth;
	struct pf_frame *frames;	/* innermost first, as the unwinder gives them */
	char name[32];
	const char *no_native;		/* --native: why its C frames are not shown */
};

struct collect {
	pid_t pid;
	const struct stackdump_opts *o;
	struct dumped_thread *v;
	size_t n, alloc;
};

static void thread_info(pid_t pid, struct dumped_thread *d)
{
	char path[96], buf[512];
	struct strbuf sb = STRBUF_INIT;
	int fd;

	d->name[0] = '\0';
	if (d->tid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)d->tid);
	if (!pf_read_file(path, &sb, sizeof(d->name) - 1) && sb.len) {
		if (sb.buf[sb.len - 1] == '\n')
			sb.buf[--sb.len] = '\0';
		snprintf(d->name, sizeof(d->name), "%s", sb.buf);
	}
	strbuf_release(&sb);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)d->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		char *paren;

		if (n > 0) {
			buf[n] = '\0';
			paren = strrchr(buf, ')');
			/* 't' is a ptrace stop (ours, or the crash being reported): not idle */
			d->idle = paren && paren[1] == ' ' && paren[2] != 'R' && paren[2] != 't';
		}
		close(fd);
	}
}

static void on_thread(void *arg, const struct unwind_thread *t)
{
	struct collect *c = arg;
	struct dumped_thread *d;
	const struct pf_frame *frames = t->frames;
	unsigned n = t->depth;

	xgrow((void **)&c->v, &c->alloc, c->n + 1, sizeof(*c->v));
	d = &c->v[c->n++];
	memset(d, 0, sizeof(*d));
	if (c->o->frames_of && !t->task && t->depth &&
	    c->o->frames_of(c->o->frames_arg, t, &frames, &n, &d->no_native)) {
		frames = t->frames;
		n = t->depth;
	}
	d->tid = t->tid;
	d->flags = t->flags;
	d->depth = n;
	d->frames = xcalloc(n + 1, sizeof(*d->frames));
	memcpy(d->frames, frames, n * sizeof(*d->frames));
	thread_info(c->pid, d);
	if (c->o->idle_tids) {
		d->idle = 0;
		for (size_t i = 0; i < c->o->nidle_tids; i++)
			if (c->o->idle_tids[i] == d->tid)
				d->idle = 1;
	}
}

/* A drop cause's name without its "native: " prefix, which the summary needs. */
static const char *native_reason(const char *name)
{
	return strncmp(name, "native: ", 8) ? name : name + 8;
}

static void print_text_thread(const struct dumped_thread *d, const struct strtab *s, int brief,
			      FILE *out)
{
	fprintf(out, "Thread %d", (int)d->tid);
	if (d->name[0])
		fprintf(out, " \"%s\"", d->name);
	if (d->flags & PF_SAMPLE_GIL)
		fputs(" (holds the GIL)", out);
	if (d->idle)
		fputs(" (idle)", out);
	fputs(":\n", out);
	if (!d->depth)
		fputs("  (no Python frames)\n", out);
	if (d->flags & PF_SAMPLE_TRUNCATED)
		fputs("  ... (older frames cut at --max-depth)\n", out);
	if (d->no_native)
		fprintf(out, "  (no C frames: %s)\n", native_reason(d->no_native));
	for (unsigned i = brief && d->depth ? d->depth - 1 : 0; i < d->depth; i++) {
		const struct pf_frame *f = &d->frames[d->depth - 1 - i];

		if (f->line == PF_LINE_NATIVE)	/* a C frame: function (ELF file) */
			fprintf(out, "  [C] %s (%s)\n", strtab__get(s, f->name),
				strtab__get(s, f->file));
		else if (f->line >= 0)
			fprintf(out, "  File \"%s\", line %d, in %s\n", strtab__get(s, f->file),
				f->line, strtab__get(s, f->name));
		else
			fprintf(out, "  File \"%s\", in %s\n", strtab__get(s, f->file),
				strtab__get(s, f->name));
	}
}

static void json_str(FILE *out, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	textenc__add_json_string(&sb, s, strlen(s));
	fputs(sb.buf, out);
	strbuf_release(&sb);
}

static void print_json(const struct collect *c, const struct strtab *s, const char *cmdline,
		       const char *version, FILE *out)
{
	fprintf(out, "{\"pid\":%d,\"command\":", (int)c->pid);
	json_str(out, cmdline ? cmdline : "");
	fputs(",\"python\":", out);
	json_str(out, version ? version : "");
	fputs(",\"threads\":[", out);
	for (size_t i = 0; i < c->n; i++) {
		const struct dumped_thread *d = &c->v[i];

		fprintf(out, "%s{\"tid\":%d,\"name\":", i ? "," : "", (int)d->tid);
		json_str(out, d->name);
		fprintf(out, ",\"gil\":%s,\"idle\":%s,\"truncated\":%s,\"frames\":[",
			d->flags & PF_SAMPLE_GIL ? "true" : "false", d->idle ? "true" : "false",
			d->flags & PF_SAMPLE_TRUNCATED ? "true" : "false");
		if (d->no_native) {
			fputs(",\"no_native\":", out);
			json_str(out, native_reason(d->no_native));
		}
		for (unsigned j = 0; j < d->depth; j++) {
			const struct pf_frame *f = &d->frames[d->depth - 1 - j];

			fputs(j ? ",{\"name\":" : "{\"name\":", out);
			json_str(out, strtab__get(s, f->name));
			fputs(",\"file\":", out);
			json_str(out, strtab__get(s, f->file));
			if (f->line == PF_LINE_NATIVE)
				fputs(",\"line\":null,\"native\":true}", out);
			else
				fprintf(out, ",\"line\":%d}", f->line);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

int stackdump__print(struct unwinder *u, const struct strtab *strings, pid_t pid,
		     const char *cmdline, const char *version, const struct stackdump_opts *o,
		     FILE *out)
{
	struct collect c = { .pid = pid, .o = o };
	struct unwind_stats st = { 0 };
	int ret;

	/* sampling interns new strings, which may move what strtab__get() returned */
	cmdline = cmdline ? xstrdup(cmdline) : NULL;
	version = version ? xstrdup(version) : NULL;
	ret = unwinder__sample(u, on_thread, &c, &st);

	if (ret)
		goto out;
	if (o->json) {
		print_json(&c, strings, cmdline, version, out);
		goto out;
	}
	if (o->heading)
		fprintf(out, "%s\n", o->heading);
	fprintf(out, "Process %d: %s (CPython %s), most recent call last:\n", (int)pid,
		cmdline ? cmdline : "?", version ? version : "?");
	for (size_t i = 0; i < c.n; i++)
		if (o->first_tid && c.v[i].tid == o->first_tid)
			print_text_thread(&c.v[i], strings, 0, out);
	for (size_t i = 0; i < c.n; i++)
		if (!o->first_tid || c.v[i].tid != o->first_tid)
			print_text_thread(&c.v[i], strings, o->others_brief, out);
	if (!c.n)
		fputs("  (no thread could be read)\n", out);
out:
	fflush(out);
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].frames);
	free(c.v);
	free((char *)cmdline);
	free((char *)version);
	return ret;
}
