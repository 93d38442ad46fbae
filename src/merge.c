/*
 * merge.c - several runs into one profile (merge.h).
 *
 * Each input is read into a profile of its own first, so a bad file changes nothing, and
 * then copied into the destination: processes by (pid, command line), threads by tid,
 * frames with their file paths stripped of the root the user named.  The writers fold
 * equal command lines into one root (output_opts.merge_processes), which is how runs
 * whose pids differ match.
 */
#include "pyflame/merge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/diff.h"
#include "pyflame/rawlog.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

const char *merge__strip(const char *path, const char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(prefixes[i]);

		while (len > 1 && prefixes[i][len - 1] == '/')
			len--;
		if (!len || strncmp(path, prefixes[i], len) ||
		    (path[len] != '/' && prefixes[i][len - 1] != '/'))
			continue;
		path += len;
		while (*path == '/')
			path++;
		return path;
	}
	return path;
}

/*
 * The deepest directory that holds every file of p that is the program's own (an
 * absolute path that pf_short_file() leaves whole: not the standard library or
 * site-packages), into buf ("" if none).
 */
static void auto_prefix(const struct profile *p, char *buf, size_t size)
{
	const char *first = NULL;
	size_t common = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nframes; i++) {
		const char *f = strtab__get(p->strings, p->frames[i].file);
		size_t k = 0;

		if (f[0] != '/' || pf_short_file(f) != f)
			continue;
		if (!first) {
			first = f;
			common = strlen(f);
			continue;
		}
		while (k < common && f[k] && f[k] == first[k])
			k++;
		common = k;
	}
	if (!first)
		return;
	while (common && first[common - 1] != '/')
		common--;	/* whole directories only */
	if (common <= 1 || common >= size)
		return;
	memcpy(buf, first, common);
	buf[common] = '\0';
}

/* Copy every sample of src into dst, stripping file prefixes. */
static void copy_profile(struct profile *dst, const struct profile *src,
			 const char *const *prefixes, size_t nprefixes)
{
	uint32_t *frame_map = xcalloc(src->nframes + 1, sizeof(*frame_map));
	uint32_t *thread_map = xcalloc(src->nthreads + 1, sizeof(*thread_map));
	uint32_t *stack_map = xcalloc(src->nstacks + 1, sizeof(*stack_map));
	uint8_t *stack_done = xcalloc(src->nstacks + 1, 1);
	uint32_t *buf = NULL;
	size_t buf_alloc = 0;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	for (size_t i = 0; i < src->nframes; i++) {
		const struct pf_frame *f = &src->frames[i];
		struct pf_frame g = { .line = f->line };

		strbuf_reset(&a);
		strbuf_addstr(&a, strtab__get(src->strings, f->name));
		strbuf_reset(&b);
		strbuf_addstr(&b, merge__strip(strtab__get(src->strings, f->file), prefixes,
					       nprefixes));
		g.name = strtab__intern(dst->strings, a.buf, a.len);
		g.file = strtab__intern(dst->strings, b.buf, b.len);
		frame_map[i] = profile__frame(dst, &g);
	}
	for (size_t i = 0; i < src->nthreads; i++) {
		const struct pf_thread *t = &src->threads[i];
		const struct pf_process *pr = &src->procs[t->proc];
		uint32_t proc;

		strbuf_reset(&a);
		strbuf_addstr(&a, strtab__get(src->strings, pr->cmdline));
		strbuf_reset(&b);
		strbuf_addstr(&b, strtab__get(src->strings, pr->version));
		proc = profile__process(dst, pr->pid, a.buf, b.buf);
		strbuf_reset(&a);
		strbuf_addstr(&a, strtab__get(src->strings, t->name));
		thread_map[i] = profile__thread(dst, proc, t->tid, a.buf);
	}
	for (size_t i = 0; i < src->nrows; i++) {
		const struct pf_row *r = &src->rows[i];

		if (!stack_done[r->stack]) {
			const uint32_t *fr = src->stack_data + src->stack_off[r->stack];
			uint32_t n = src->stack_len[r->stack];

			xgrow((void **)&buf, &buf_alloc, (size_t)n + 1, sizeof(*buf));
			for (uint32_t j = 0; j < n; j++)
				buf[j] = frame_map[fr[j]];
			stack_map[r->stack] = profile__stack(dst, buf, n);
			stack_done[r->stack] = 1;
		}
		profile__add(dst, thread_map[r->thread], stack_map[r->stack], r->flags, r->count);
	}
	strbuf_release(&a);
	strbuf_release(&b);
	free(buf);
	free(stack_done);
	free(stack_map);
	free(thread_map);
	free(frame_map);
}

/* "name (file:12)" -> name, file, 12; "name (file)" -> line -1; "name" -> no file. */
static void parse_label(const char *s, size_t n, struct strbuf *name, struct strbuf *file,
			int32_t *line)
{
	size_t open = 0, end;
	int64_t v = 0;

	*line = -1;
	strbuf_reset(name);
	strbuf_reset(file);
	if (n >= 4 && s[n - 1] == ')')
		for (size_t i = n - 1; i >= 2 && !open; i--)
			if (s[i - 1] == '(' && s[i - 2] == ' ')
				open = i;
	if (!open || open + 1 >= n) {
		strbuf_add(name, s, n);
		return;
	}
	strbuf_add(name, s, open - 2);
	end = n - 1;
	{
		size_t k = end;

		while (k > open && s[k - 1] >= '0' && s[k - 1] <= '9')
			k--;
		if (k < end && k > open + 1 && s[k - 1] == ':' && end - k <= 9) {
			for (size_t i = k; i < end; i++)
				v = v * 10 + (s[i] - '0');
			*line = (int32_t)v;
			end = k - 1;
		}
	}
	strbuf_add(file, s + open, end - open);
}

/* "cmd [pid 42]" -> 42 and the length of "cmd"; else 0 and n. */
static pid_t parse_process(const char *s, size_t n, size_t *cmd_len)
{
	size_t i = n;
	long v = 0;

	*cmd_len = n;
	if (n < 7 || s[n - 1] != ']')
		return 0;
	for (i = n - 1; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9' && n - i < 10; i--)
		;
	if (i == n - 1 || i < 5 || memcmp(s + i - 5, "[pid ", 5))
		return 0;
	for (size_t k = i; k < n - 1; k++)
		v = v * 10 + (s[k] - '0');
	i -= 5;
	*cmd_len = i && s[i - 1] == ' ' ? i - 1 : i;
	return (pid_t)v;
}

/* The paths read from collapsed stacks, as a profile: one thread per process. */
static void paths_to_profile(const struct pf_diff *d, struct profile *p)
{
	const struct pf_paths *pp = d->paths;
	struct strbuf name = STRBUF_INIT, file = STRBUF_INIT, cmd = STRBUF_INIT;
	uint32_t *buf = NULL;
	size_t buf_alloc = 0;

	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];
		uint32_t flags = 0, proc, thread;
		size_t nf = 0, cmd_len;
		pid_t pid;

		if (!pp->len[i] || !pp->count[i])
			continue;
		pid = parse_process(strtab__get(pp->labels, lab[0]), strtab__len(pp->labels, lab[0]),
				    &cmd_len);
		strbuf_reset(&cmd);
		strbuf_add(&cmd, strtab__get(pp->labels, lab[0]), cmd_len);
		proc = profile__process(p, pid, cmd.buf, "");
		thread = profile__thread(p, proc, pid, "");
		xgrow((void **)&buf, &buf_alloc, pp->len[i], sizeof(*buf));
		for (uint32_t j = 1; j < pp->len[i]; j++) {
			const char *s = strtab__get(pp->labels, lab[j]);
			size_t n = strtab__len(pp->labels, lab[j]);
			struct pf_frame f;

			if (pp->kind[lab[j]] == PF_LABEL_IDLE) {
				flags |= PF_SAMPLE_IDLE;
				continue;
			}
			if (pp->kind[lab[j]] == PF_LABEL_TRUNCATED) {
				flags |= PF_SAMPLE_TRUNCATED;
				continue;
			}
			parse_label(s, n, &name, &file, &f.line);
			f.name = strtab__intern(p->strings, name.buf ? name.buf : "", name.len);
			f.file = strtab__intern(p->strings, file.buf ? file.buf : "", file.len);
			buf[nf++] = profile__frame(p, &f);
		}
		profile__add(p, thread, profile__stack(p, buf, nf), flags, pp->count[i]);
	}
	free(buf);
	strbuf_release(&name);
	strbuf_release(&file);
	strbuf_release(&cmd);
}

static int refuse(struct merge_input *in, int ret, const char *msg)
{
	snprintf(in->err, sizeof(in->err), "%s", msg);
	return ret;
}

/* The first and last sample times of a raw log, and the ticks that sampled something. */
struct tick_span {
	uint64_t first, last, ticks;
	int any;
};

static void on_sample(void *arg, uint64_t t_ns, uint32_t thread, uint32_t stack,
		      uint32_t flags)
{
	struct tick_span *ts = arg;

	(void)thread, (void)stack, (void)flags;
	if (ts->any && t_ns == ts->last)
		return;		/* another thread of the same tick */
	if (!ts->any)
		ts->first = t_ns;
	ts->any = 1;
	ts->last = t_ns;
	ts->ticks++;
}

/* Read the file at path into tmp (a new profile). */
static int read_input(struct profile *tmp, const char *path, unsigned repeat,
		      struct merge_input *in)
{
	char magic[sizeof(RAWLOG_MAGIC) - 1];
	int ret = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	if (fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	    !memcmp(magic, RAWLOG_MAGIC, sizeof(magic))) {
		struct rawlog_info info;
		struct tick_span ts = { 0 };

		rewind(f);
		in->raw = 1;
		if (rawlog__read_repeat(f, tmp, on_sample, &ts, &info, repeat))
			ret = refuse(in, -EINVAL, "not a readable pyflame raw log");
		else if (repeat > info.repeats)
			ret = refuse(in, -EINVAL, "has fewer repeats than asked for");
		in->repeats = info.repeats;
		in->cut_short = !info.complete;
		if (ts.ticks > 1 && ts.last > ts.first)
			in->tick_ns = (double)(ts.last - ts.first) / (double)(ts.ticks - 1);
	} else if (ferror(f)) {
		ret = -EIO;
	} else if (pf_format__from_path(path) == PF_FORMAT_RAW) {
		ret = refuse(in, -EINVAL, "not a pyflame raw log");
	} else {
		const struct diff_opts o = { .line_numbers = 1, .keep_pids = 1 };
		struct pf_diff *d = pf_diff__new();
		struct diff_parse_error err;
		uint64_t samples;

		rewind(f);
		ret = pf_diff__read_collapsed(d, PF_DIFF_NEW, f, &o, &samples, &err);
		if (ret == -EINVAL)
			snprintf(in->err, sizeof(in->err), "line %zu: %s", err.line, err.msg);
		else if (!ret)
			paths_to_profile(d, tmp);
		pf_diff__free(d);
	}
	fclose(f);
	return ret;
}

unsigned merge__repeats(const char *path)
{
	struct profile *tmp = profile__new();
	struct merge_input in;
	unsigned n;

	memset(&in, 0, sizeof(in));
	n = read_input(tmp, path, 0, &in) ? 0 : in.repeats;
	merge_input__release(&in);
	profile__free(tmp);
	return n;
}

int merge__load(struct profile *dst, const char *path, const struct merge_opts *o,
		struct merge_input *in)
{
	struct profile *tmp = profile__new();
	const char **prefixes = xcalloc(o->nprefixes + 1, sizeof(*prefixes));
	size_t n = 0;
	uint64_t total;
	int ret;

	memset(in, 0, sizeof(*in));
	ret = read_input(tmp, path, o->repeat, in);
	if (ret)
		goto out;
	if (!tmp->nrows) {
		ret = refuse(in, -EINVAL, "holds no samples");
		goto out;
	}
	if (pf_add_overflows(dst->total, tmp->total, &total)) {
		ret = refuse(in, -EOVERFLOW, "the sample counts add up to more than 2^64");
		goto out;
	}
	for (size_t i = 0; i < o->nprefixes; i++) {
		if (strcmp(o->prefixes[i], MERGE_PREFIX_AUTO)) {
			prefixes[n++] = o->prefixes[i];
			continue;
		}
		auto_prefix(tmp, in->auto_prefix, sizeof(in->auto_prefix));
		if (in->auto_prefix[0])
			prefixes[n++] = in->auto_prefix;
	}
	in->samples = tmp->total;
	copy_profile(dst, tmp, prefixes, n);
	in->meta = tmp->meta;
	memset(&tmp->meta, 0, sizeof(tmp->meta));
out:
	free(prefixes);
	profile__free(tmp);
	return ret;
}

void merge_input__release(struct merge_input *in)
{
	free(in->meta.command);
	free(in->meta.mode);
	memset(&in->meta, 0, sizeof(in->meta));
}

void merge__meta(struct profile *dst, const struct merge_input *in,
		 const char *const *paths, size_t n)
{
	struct pf_meta *m = &dst->meta;
	struct strbuf sb = STRBUF_INIT;
	int same_mode = 1, same_rate = 1;

	if (n == 1) {
		const struct pf_meta *s = &in[0].meta;

		*m = *s;
		m->command = s->command ? xstrdup(s->command) : NULL;
		m->mode = s->mode ? xstrdup(s->mode) : NULL;
		return;
	}
	strbuf_addf(&sb, "%zu runs: ", n);
	for (size_t i = 0; i < n; i++) {
		const struct pf_meta *s = in[i].raw ? &in[i].meta : NULL;

		strbuf_addf(&sb, "%s%s", i ? "; " : "", paths[i]);
		if (s && s->command)
			strbuf_addf(&sb, " (%s)", s->command);
		if (!s) {
			same_mode = same_rate = 0;
			continue;
		}
		if (s->start_unix_ns && (!m->start_unix_ns || s->start_unix_ns < m->start_unix_ns))
			m->start_unix_ns = s->start_unix_ns;
		m->duration_ns += s->duration_ns;
		m->ticks += s->ticks;
		m->ticks_missed += s->ticks_missed;
		m->dropped += s->dropped;
		if (!i) {
			m->mode = s->mode ? xstrdup(s->mode) : NULL;
			m->rate_hz = s->rate_hz;
			continue;
		}
		if (!s->mode || !m->mode || strcmp(s->mode, m->mode))
			same_mode = 0;
		if (s->rate_hz != m->rate_hz)
			same_rate = 0;
	}
	if (!same_mode) {
		free(m->mode);
		m->mode = NULL;
	}
	if (!same_rate)
		m->rate_hz = 0;
	free(m->command);
	m->command = strbuf_detach(&sb, NULL);
}
