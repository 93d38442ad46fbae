/* profile.c - aggregate samples: interned frames, stacks and (thread, stack, flags) rows. */
#include "pyflame/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/idtab.h"
#include "pyflame/testattr.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

struct profile_index {
	struct idtab procs, threads, frames, stacks, rows;
};

static struct profile_index *index_of(const struct profile *p)
{
	return p->index;
}

struct profile *profile__new(void)
{
	struct profile *p = xcalloc(1, sizeof(*p));

	p->strings = strtab__new();
	p->index = xcalloc(1, sizeof(struct profile_index));
	return p;
}

void profile__free(struct profile *p)
{
	struct profile_index *ix;

	if (!p)
		return;
	ix = index_of(p);
	idtab__release(&ix->procs);
	idtab__release(&ix->threads);
	idtab__release(&ix->frames);
	idtab__release(&ix->stacks);
	idtab__release(&ix->rows);
	free(ix);
	strtab__free(p->strings);
	free(p->frames);
	free(p->stack_data);
	free(p->stack_off);
	free(p->stack_len);
	free(p->rows);
	free(p->procs);
	free(p->threads);
	free(p->meta.command);
	free(p->meta.mode);
	free(p);
}

static uint64_t hash_u64s(const uint64_t *v, size_t n, uint64_t seed)
{
	return pf_hash64(v, n * sizeof(*v), seed);
}

uint32_t profile__process(struct profile *p, pid_t pid, const char *cmdline, const char *version)
{
	struct idtab *t = &index_of(p)->procs;
	uint64_t key = (uint64_t)(int64_t)pid;
	uint64_t h = hash_u64s(&key, 1, 1);
	uint32_t cmd_id = cmdline ? strtab__intern_str(p->strings, cmdline) : UINT32_MAX;
	uint32_t ver_id = version ? strtab__intern_str(p->strings, version) : UINT32_MAX;
	uint32_t found = UINT32_MAX;
	struct pf_process *pr;
	size_t i;
	uint32_t id;

	/*
	 * One entry per pid and image: a process that execs another program is another
	 * process to its user, and what it sampled before stays under the command it ran.
	 */
	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i)) {
		id = idtab__id(t, i);
		pr = &p->procs[id];
		if (idtab__hash(t, i) != h || pr->pid != pid)
			continue;
		if ((cmd_id == UINT32_MAX || pr->cmdline == cmd_id) &&
		    (ver_id == UINT32_MAX || pr->version == ver_id) &&
		    (found == UINT32_MAX || id > found))
			found = id;	/* the newest that fits */
	}
	if (found != UINT32_MAX)
		return found;
	xgrow((void **)&p->procs, &p->procs_alloc, p->nprocs + 1, sizeof(*p->procs));
	id = (uint32_t)p->nprocs++;
	pr = &p->procs[id];
	memset(pr, 0, sizeof(*pr));
	pr->pid = pid;
	pr->cmdline = cmd_id != UINT32_MAX ? cmd_id : strtab__intern_str(p->strings, "");
	pr->version = ver_id != UINT32_MAX ? ver_id : strtab__intern_str(p->strings, "");
	idtab__set(t, i, h, id);
	return id;
}

uint32_t profile__thread(struct profile *p, uint32_t proc, pid_t tid, const char *name)
{
	struct idtab *t = &index_of(p)->threads;
	uint64_t key[2] = { proc, (uint64_t)(int64_t)tid };
	uint64_t h = hash_u64s(key, 2, 2);
	struct pf_thread *th;
	size_t i;
	uint32_t id;

	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i)) {
		id = idtab__id(t, i);
		th = &p->threads[id];
		if (idtab__hash(t, i) == h && th->proc == proc && th->tid == tid) {
			if (name)
				th->name = strtab__intern_str(p->strings, name);
			return id;
		}
	}
	xgrow((void **)&p->threads, &p->threads_alloc, p->nthreads + 1, sizeof(*p->threads));
	id = (uint32_t)p->nthreads++;
	th = &p->threads[id];
	memset(th, 0, sizeof(*th));
	th->tid = tid;
	th->proc = proc;
	th->name = strtab__intern_str(p->strings, name ? name : "");
	idtab__set(t, i, h, id);
	return id;
}

uint32_t profile__frame(struct profile *p, const struct pf_frame *f)
{
	struct idtab *t = &index_of(p)->frames;
	uint64_t key[3] = { f->name, f->file, (uint64_t)(int64_t)f->line };
	uint64_t h = hash_u64s(key, 3, 3);
	size_t i;
	uint32_t id;

	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i)) {
		const struct pf_frame *g = &p->frames[idtab__id(t, i)];

		if (idtab__hash(t, i) == h && g->name == f->name && g->file == f->file &&
		    g->line == f->line)
			return idtab__id(t, i);
	}
	xgrow((void **)&p->frames, &p->frames_alloc, p->nframes + 1, sizeof(*p->frames));
	id = (uint32_t)p->nframes++;
	p->frames[id] = *f;
	idtab__set(t, i, h, id);
	return id;
}

uint32_t profile__stack(struct profile *p, const uint32_t *frames, size_t n)
{
	struct idtab *t = &index_of(p)->stacks;
	uint64_t h = pf_hash64(frames, n * sizeof(*frames), 4) ^ n;
	size_t i, old;
	uint32_t id;

	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i)) {
		id = idtab__id(t, i);
		if (idtab__hash(t, i) == h && p->stack_len[id] == n &&
		    (!n || !memcmp(p->stack_data + p->stack_off[id], frames, n * sizeof(*frames))))
			return id;
	}
	/* + 1: stack_data is never NULL once a stack exists, even an empty one, so
	 * readers may form stack_data + stack_off[i] (NULL + 0 is undefined). */
	xgrow((void **)&p->stack_data, &p->stack_data_alloc, p->stack_data_len + n + 1,
	      sizeof(*p->stack_data));
	if (n)
		memcpy(p->stack_data + p->stack_data_len, frames, n * sizeof(*frames));
	old = p->stacks_alloc;
	xgrow((void **)&p->stack_off, &p->stacks_alloc, p->nstacks + 1, sizeof(*p->stack_off));
	if (p->stacks_alloc != old)
		p->stack_len = xrealloc(p->stack_len, p->stacks_alloc * sizeof(*p->stack_len));
	id = (uint32_t)p->nstacks++;
	p->stack_off[id] = (uint32_t)p->stack_data_len;
	p->stack_len[id] = (uint32_t)n;
	p->stack_data_len += n;
	idtab__set(t, i, h, id);
	return id;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return pf_add_overflows(a, b, &r) ? UINT64_MAX : r;
}

void profile__add(struct profile *p, uint32_t thread, uint32_t stack, uint32_t flags, uint64_t count)
{
	struct idtab *t = &index_of(p)->rows;
	uint64_t key[3] = { thread, stack, flags };
	uint64_t h = hash_u64s(key, 3, 5);
	struct pf_row *r;
	size_t i;
	uint32_t id;

	if (thread >= p->nthreads || stack >= p->nstacks || !count)
		return;
	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i)) {
		r = &p->rows[idtab__id(t, i)];
		if (idtab__hash(t, i) == h && r->thread == thread && r->stack == stack &&
		    r->flags == flags)
			goto found;
	}
	xgrow((void **)&p->rows, &p->rows_alloc, p->nrows + 1, sizeof(*p->rows));
	id = (uint32_t)p->nrows++;
	r = &p->rows[id];
	r->thread = thread;
	r->stack = stack;
	r->flags = flags;
	r->count = 0;
	idtab__set(t, i, h, id);
found:
	r->count = sat_add(r->count, count);
	p->total = sat_add(p->total, count);
	p->threads[thread].samples = sat_add(p->threads[thread].samples, count);
	if (p->threads[thread].proc < p->nprocs) {
		struct pf_process *pr = &p->procs[p->threads[thread].proc];

		pr->samples = sat_add(pr->samples, count);
	}
}

/* --- labels ------------------------------------------------------------------------ */

/* "X.Y/" or "X.Yt/" at s (a Python version directory's tail); its length or 0. */
static size_t version_dir_len(const char *s)
{
	const char *q = s;

	if (*q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	if (*q++ != '.')
		return 0;
	if (*q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	if (*q == 't' || *q == 'd' || *q == 'm')	/* free-threaded / debug / pymalloc */
		q++;
	if (*q != '/')
		return 0;
	return (size_t)(q + 1 - s);
}

static const char *last_after(const char *path, const char *needle)
{
	const char *hit = NULL, *q = path;
	size_t n = strlen(needle);

	while ((q = strstr(q, needle))) {
		hit = q + n;
		q += n;
	}
	return hit;
}

const char *pf_short_file(const char *path)
{
	const char *a = last_after(path, "site-packages/");
	const char *b = last_after(path, "dist-packages/");
	const char *q, *best = NULL;

	if (a || b)
		return a > b ? a : b;
	/* The standard library: ".../lib/pythonX.Y/..." (also lib64). */
	for (q = path; (q = strstr(q, "python")); q++) {
		size_t v;

		if (q == path || q[-1] != '/')
			continue;
		if (!(q - path >= 4 && !memcmp(q - 4, "lib/", 4)) &&
		    !(q - path >= 6 && !memcmp(q - 6, "lib64/", 6)))
			continue;
		v = version_dir_len(q + 6);
		if (v && q[6 + v])
			best = q + 6 + v;
	}
	return best ? best : path;
}

/*
 * Append s, made safe for the joined formats: valid UTF-8 (textenc.h; a command line or
 * thread name from /proc may hold any bytes), ';' -> ':', control characters -> ' '.
 */
struct frame_key {
	uint32_t name, file, frame;
};

static int frame_key_cmp(const void *a, const void *b)
{
	const struct frame_key *x = a, *y = b;

	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return (x->frame > y->frame) - (x->frame < y->frame);
}

uint32_t *profile__functions(const struct profile *p, size_t *nfuncs, uint32_t **fn_frame)
{
	struct frame_key *keys = xcalloc(p->nframes + 1, sizeof(*keys));
	uint32_t *map = xcalloc(p->nframes + 1, sizeof(*map));
	uint32_t *first = xcalloc(p->nframes + 1, sizeof(*first));
	size_t n = 0;

	for (size_t i = 0; i < p->nframes; i++) {
		keys[i].name = p->frames[i].name;
		keys[i].file = p->frames[i].file;
		keys[i].frame = (uint32_t)i;
	}
	qsort(keys, p->nframes, sizeof(*keys), frame_key_cmp);
	for (size_t i = 0; i < p->nframes; i++) {
		if (!i || keys[i - 1].name != keys[i].name || keys[i - 1].file != keys[i].file)
			first[n++] = keys[i].frame;
		map[keys[i].frame] = (uint32_t)(n - 1);
	}
	free(keys);
	*nfuncs = n;
	if (fn_frame)
		*fn_frame = first;
	else
		free(first);
	return map;
}

static void add_clean(struct strbuf *sb, const char *s)
{
	size_t start = sb->len;

	textenc__add_utf8(sb, s, strlen(s));
	for (size_t i = start; i < sb->len; i++) {
		unsigned char c = (unsigned char)sb->buf[i];

		if (c == ';')
			sb->buf[i] = ':';
		else if (c < 0x20 || c == 0x7f)
			sb->buf[i] = ' ';
	}
}

void profile__frame_label_sb(const struct profile *p, uint32_t frame, int line_numbers,
			     struct strbuf *sb)
{
	const struct pf_frame *f;
	const char *name, *file;

	if (frame >= p->nframes) {
		strbuf_addstr(sb, "<bad frame>");
		return;
	}
	f = &p->frames[frame];
	name = strtab__get(p->strings, f->name);
	file = strtab__get(p->strings, f->file);
	add_clean(sb, *name ? name : "<unknown>");
	if (!*file)
		return;		/* nothing to point at: "name" alone */
	strbuf_addstr(sb, " (");
	add_clean(sb, pf_short_file(file));
	if (line_numbers && f->line >= 0)
		strbuf_addf(sb, ":%d", (int)f->line);
	strbuf_addch(sb, ')');
}

void profile__frame_label(const struct profile *p, uint32_t frame, int line_numbers,
			  char *buf, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	if (!size)
		return;
	profile__frame_label_sb(p, frame, line_numbers, &sb);
	n = sb.len < size - 1 ? sb.len : size - 1;
	memcpy(buf, sb.buf, n);
	buf[n] = '\0';
	strbuf_release(&sb);
}

/* --- paths ------------------------------------------------------------------------- */

uint32_t pf_paths__label(struct pf_paths *pp, const char *text, size_t len,
			enum pf_label_kind kind, uint32_t file)
{
	size_t before = strtab__count(pp->labels);
	uint32_t id = strtab__intern(pp->labels, text, len);

	if (strtab__count(pp->labels) != before) {
		size_t old = pp->labels_alloc;

		xgrow((void **)&pp->kind, &pp->labels_alloc, (size_t)id + 1, sizeof(*pp->kind));
		if (old != pp->labels_alloc)
			pp->file = xrealloc(pp->file, pp->labels_alloc * sizeof(*pp->file));
		pp->kind[id] = (uint8_t)kind;
		pp->file[id] = file;
	}
	return id;
}

void pf_paths__free(struct pf_paths *pp)
{
	if (!pp)
		return;
	strtab__free(pp->labels);
	free(pp->kind);
	free(pp->file);
	free(pp->data);
	free(pp->off);
	free(pp->len);
	free(pp->count);
	free(pp);
}

/* Label ids of the process and thread roots, computed once per fold. */
static void root_labels(const struct profile *p, const struct output_opts *o,
			struct pf_paths *pp, uint32_t *proc_label, uint32_t *thread_label)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < p->nprocs; i++) {
		const char *cmd = strtab__get(p->strings, p->procs[i].cmdline);

		strbuf_reset(&sb);
		if (o->merge_processes) {
			add_clean(&sb, *cmd ? cmd : "<unknown command>");
		} else {
			if (*cmd) {
				add_clean(&sb, cmd);
				strbuf_addch(&sb, ' ');
			}
			strbuf_addf(&sb, "[pid %d]", (int)p->procs[i].pid);
		}
		proc_label[i] = pf_paths__label(pp, sb.buf, sb.len, PF_LABEL_PROCESS, UINT32_MAX);
	}
	for (size_t i = 0; i < p->nthreads && thread_label; i++) {
		const char *name = strtab__get(p->strings, p->threads[i].name);

		strbuf_reset(&sb);
		strbuf_addf(&sb, "thread %d", (int)p->threads[i].tid);
		if (*name) {
			strbuf_addstr(&sb, " (");
			add_clean(&sb, name);
			strbuf_addch(&sb, ')');
		}
		thread_label[i] = pf_paths__label(pp, sb.buf, sb.len, PF_LABEL_THREAD, UINT32_MAX);
	}
	strbuf_release(&sb);
}

struct pf_paths *profile__paths(const struct profile *p, const struct output_opts *o)
{
	static const struct output_opts defaults = { .line_numbers = 1 };
	struct pf_paths *pp = xcalloc(1, sizeof(*pp));
	uint32_t *proc_label, *thread_label = NULL, *frame_label;
	uint32_t unknown_proc, bad_frame, idle, truncated;
	struct strbuf sb = STRBUF_INIT;
	struct idtab seen = { 0 };
	uint32_t *path = NULL;
	size_t path_alloc = 0;

	if (!o)
		o = &defaults;
	pp->labels = strtab__new();
	proc_label = xcalloc(p->nprocs + 1, sizeof(*proc_label));
	if (o->threads)
		thread_label = xcalloc(p->nthreads + 1, sizeof(*thread_label));
	root_labels(p, o, pp, proc_label, thread_label);
	unknown_proc = pf_paths__label(pp, "<unknown process>", 17, PF_LABEL_PROCESS, UINT32_MAX);
	bad_frame = pf_paths__label(pp, "<bad frame>", 11, PF_LABEL_FRAME, UINT32_MAX);
	idle = pf_paths__label(pp, PF_LABEL_IDLE_TEXT, strlen(PF_LABEL_IDLE_TEXT),
			    PF_LABEL_IDLE, UINT32_MAX);
	truncated = pf_paths__label(pp, PF_LABEL_TRUNCATED_TEXT, strlen(PF_LABEL_TRUNCATED_TEXT),
				 PF_LABEL_TRUNCATED, UINT32_MAX);

	/* Frames: label each once (many frames share a label without line numbers). */
	frame_label = xcalloc(p->nframes + 1, sizeof(*frame_label));
	for (size_t i = 0; i < p->nframes; i++) {
		strbuf_reset(&sb);
		profile__frame_label_sb(p, (uint32_t)i, o->line_numbers, &sb);
		frame_label[i] = pf_paths__label(pp, sb.buf, sb.len, PF_LABEL_FRAME,
					      p->frames[i].file);
	}

	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const struct pf_thread *th;
		const uint32_t *st;
		size_t n = 0, slen, i;
		uint64_t h;

		if (row->thread >= p->nthreads || row->stack >= p->nstacks || !row->count)
			continue;
		th = &p->threads[row->thread];
		st = p->stack_data + p->stack_off[row->stack];
		slen = p->stack_len[row->stack];
		xgrow((void **)&path, &path_alloc, slen + 4, sizeof(*path));
		path[n++] = th->proc < p->nprocs ? proc_label[th->proc] : unknown_proc;
		i = 0;
		/* a test's frame (--tests) groups every thread and stack of that test */
		if (slen && st[0] < p->nframes && p->frames[st[0]].line == PF_LINE_TEST)
			path[n++] = frame_label[st[i++]];
		if (thread_label)
			path[n++] = thread_label[row->thread];
		if (row->flags & PF_SAMPLE_TRUNCATED)
			path[n++] = truncated;
		for (; i < slen; i++)
			path[n++] = st[i] < p->nframes ? frame_label[st[i]] : bad_frame;
		if (row->flags & PF_SAMPLE_IDLE)
			path[n++] = idle;

		/* Merge with an equal path (rows differing only in GIL flag, threads merged...). */
		h = pf_hash64(path, n * sizeof(*path), 6) ^ n;
		for (i = idtab__first(&seen, h); idtab__used(&seen, i); i = idtab__next(&seen, i)) {
			uint32_t id = idtab__id(&seen, i);

			if (idtab__hash(&seen, i) == h && pp->len[id] == n &&
			    !memcmp(pp->data + pp->off[id], path, n * sizeof(*path))) {
				pp->count[id] = sat_add(pp->count[id], row->count);
				goto next;
			}
		}
		{
			size_t old = pp->alloc;
			uint32_t id;

			xgrow((void **)&pp->off, &pp->alloc, pp->n + 1, sizeof(*pp->off));
			if (old != pp->alloc) {
				pp->len = xrealloc(pp->len, pp->alloc * sizeof(*pp->len));
				pp->count = xrealloc(pp->count, pp->alloc * sizeof(*pp->count));
			}
			xgrow((void **)&pp->data, &pp->data_alloc, pp->data_len + n,
			      sizeof(*pp->data));
			memcpy(pp->data + pp->data_len, path, n * sizeof(*path));
			id = (uint32_t)pp->n++;
			pp->off[id] = pp->data_len;
			pp->len[id] = (uint32_t)n;
			pp->count[id] = row->count;
			pp->data_len += n;
			idtab__set(&seen, i, h, id);
		}
next:
		pp->total = sat_add(pp->total, row->count);
	}

	idtab__release(&seen);
	strbuf_release(&sb);
	free(path);
	free(frame_label);
	free(thread_label);
	free(proc_label);
	return pp;
}

/* --- fold -------------------------------------------------------------------------- */

/*
 * Paths a and b in the order strcmp() gives their joined texts ("label;label;...")
 * without building them: a profile of many deep stacks would need tens of MiB for the
 * texts alone.  Labels hold no ';' (add_clean), so where one label is a prefix of the
 * other, the longer one's next character decides against the other's ';' or its end.
 */
static int path_cmp(const struct pf_paths *pp, size_t a, size_t b)
{
	const uint32_t *la = pp->data + pp->off[a], *lb = pp->data + pp->off[b];
	uint32_t na = pp->len[a], nb = pp->len[b];

	for (uint32_t i = 0; i < na && i < nb; i++) {
		const unsigned char *ta, *tb;
		size_t ma, mb;
		int c;

		if (la[i] == lb[i])
			continue;	/* interned: one id per text */
		ta = (const unsigned char *)strtab__get(pp->labels, la[i]);
		tb = (const unsigned char *)strtab__get(pp->labels, lb[i]);
		ma = strtab__len(pp->labels, la[i]);
		mb = strtab__len(pp->labels, lb[i]);
		c = memcmp(ta, tb, ma < mb ? ma : mb);
		if (c)
			return c;
		if (ma < mb)
			return (i + 1 < na ? ';' : 0) - (int)tb[ma];
		if (ma > mb)
			return (int)ta[mb] - (i + 1 < nb ? ';' : 0);
	}
	return na < nb ? -1 : na > nb;
}

static const struct pf_paths *sort_paths;	/* qsort() has no context argument */

static int path_index_cmp(const void *a, const void *b)
{
	return path_cmp(sort_paths, *(const size_t *)a, *(const size_t *)b);
}

size_t *pf_paths__sorted(const struct pf_paths *pp)
{
	size_t *order = xcalloc(pp->n + 1, sizeof(*order));

	for (size_t i = 0; i < pp->n; i++)
		order[i] = i;
	sort_paths = pp;
	qsort(order, pp->n, sizeof(*order), path_index_cmp);
	sort_paths = NULL;
	return order;
}

int pf_paths__write_path(const struct pf_paths *pp, size_t i, FILE *out)
{
	const uint32_t *lab = pp->data + pp->off[i];

	for (uint32_t j = 0; j < pp->len[i]; j++) {
		if (j && putc(';', out) == EOF)
			return -1;
		if (fwrite(strtab__get(pp->labels, lab[j]), 1, strtab__len(pp->labels, lab[j]),
			   out) != strtab__len(pp->labels, lab[j]))
			return -1;
	}
	return 0;
}

static int folded_cmp(const void *a, const void *b)
{
	const struct pf_folded *x = a, *y = b;

	return strcmp(x->path, y->path);
}

struct pf_folded *profile__fold(const struct profile *p, const struct output_opts *o, size_t *n)
{
	struct pf_paths *pp = profile__paths(p, o);
	struct pf_folded *out = xcalloc(pp->n + 1, sizeof(*out));
	struct strbuf sb = STRBUF_INIT;
	size_t k = 0;

	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];

		strbuf_reset(&sb);
		for (uint32_t j = 0; j < pp->len[i]; j++) {
			if (j)
				strbuf_addch(&sb, ';');
			strbuf_add(&sb, strtab__get(pp->labels, lab[j]),
				   strtab__len(pp->labels, lab[j]));
		}
		out[i].path = strbuf_detach(&sb, NULL);
		out[i].count = pp->count[i];
	}
	qsort(out, pp->n, sizeof(*out), folded_cmp);
	/* Equal strings from different label sequences cannot happen, but stay exact. */
	for (size_t i = 0; i < pp->n; i++) {
		if (k && !strcmp(out[k - 1].path, out[i].path)) {
			out[k - 1].count = sat_add(out[k - 1].count, out[i].count);
			free(out[i].path);
			continue;
		}
		out[k++] = out[i];
	}
	strbuf_release(&sb);
	pf_paths__free(pp);
	*n = k;
	return out;
}

void pf_folded__free(struct pf_folded *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		free(f[i].path);
	free(f);
}
