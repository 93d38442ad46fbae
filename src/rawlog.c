/* rawlog.c - write and replay the raw sample log (format in rawlog.h). */
#include "pyflame/rawlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/util.h"

enum {
	REC_STRING = 1,
	REC_FRAME,
	REC_STACK,
	REC_PROCESS,
	REC_THREAD,
	REC_SAMPLE,
	REC_META,
	REC_END,
};

#define RAWLOG_BUF (64 * 1024)
#define FLUSH_NS 1000000000ull
#define MAX_FIELD (1u << 20)		/* strings and stacks in a log, when reading */

struct rawlog {
	int fd;
	int err;
	unsigned char *buf;
	size_t len;
	uint64_t last_flush_ns;
	uint64_t last_t_ns;
	/* what has been written so far */
	size_t nstrings, nframes, nstacks, nprocs, nthreads;
	/* a process's cmdline/version can change (exec): remember what was written */
	uint32_t *proc_cmd, *proc_ver;
	size_t proc_alloc;
};

static void put_raw(struct rawlog *l, const void *p, size_t n);

static void put_u(struct rawlog *l, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	put_raw(l, b, n);
}

static void put_bytes(struct rawlog *l, const char *s, size_t n)
{
	put_u(l, n);
	put_raw(l, s, n);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void drain(struct rawlog *l)
{
	if (l->len && !l->err)
		l->err = write_all(l->fd, l->buf, l->len);
	l->len = 0;
}

static void put_raw(struct rawlog *l, const void *p, size_t n)
{
	if (l->len + n > RAWLOG_BUF)
		drain(l);
	if (n > RAWLOG_BUF) {
		if (!l->err)
			l->err = write_all(l->fd, p, n);
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
}

struct rawlog *rawlog__new(int fd, uint64_t start_ns)
{
	struct rawlog *l = xcalloc(1, sizeof(*l));

	l->fd = fd;
	l->last_t_ns = start_ns;
	l->buf = xmalloc(RAWLOG_BUF);
	put_raw(l, RAWLOG_MAGIC, 8);
	l->last_flush_ns = pf_now_ns();
	drain(l);
	if (l->err) {
		errno = -l->err;
		free(l->buf);
		free(l);
		return NULL;
	}
	return l;
}

static void put_meta(struct rawlog *l, const char *key, const char *val)
{
	put_u(l, REC_META);
	put_bytes(l, key, strlen(key));
	put_bytes(l, val, strlen(val));
}

void rawlog__meta(struct rawlog *l, const struct pf_meta *m)
{
	char num[32];

	if (m->command)
		put_meta(l, "command", m->command);
	if (m->mode)
		put_meta(l, "mode", m->mode);
	snprintf(num, sizeof(num), "%.6g", m->rate_hz);
	put_meta(l, "rate_hz", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->start_unix_ns);
	put_meta(l, "start_unix_ns", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->duration_ns);
	put_meta(l, "duration_ns", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->ticks);
	put_meta(l, "ticks", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->ticks_missed);
	put_meta(l, "ticks_missed", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->dropped);
	put_meta(l, "dropped", num);
}

/* Write what the profile interned since the last sync, in dependency order. */
static void sync_new(struct rawlog *l, const struct profile *p)
{
	size_t nstr = strtab__count(p->strings);

	for (; l->nstrings < nstr; l->nstrings++) {
		put_u(l, REC_STRING);
		put_bytes(l, strtab__get(p->strings, (uint32_t)l->nstrings),
			  strtab__len(p->strings, (uint32_t)l->nstrings));
	}
	for (; l->nframes < p->nframes; l->nframes++) {
		const struct pf_frame *f = &p->frames[l->nframes];

		put_u(l, REC_FRAME);
		put_u(l, f->name);
		put_u(l, f->file);
		put_u(l, ((uint64_t)(int64_t)f->line << 1) ^ (uint64_t)((int64_t)f->line >> 63));
	}
	for (; l->nstacks < p->nstacks; l->nstacks++) {
		const uint32_t *fr = p->stack_data + p->stack_off[l->nstacks];
		uint32_t n = p->stack_len[l->nstacks];

		put_u(l, REC_STACK);
		put_u(l, n);
		for (uint32_t i = 0; i < n; i++)
			put_u(l, fr[i]);
	}
	if (p->nprocs + 1 > l->proc_alloc) {
		xgrow((void **)&l->proc_cmd, &l->proc_alloc, p->nprocs + 1, sizeof(*l->proc_cmd));
		l->proc_ver = xrealloc(l->proc_ver, l->proc_alloc * sizeof(*l->proc_ver));
	}
	for (size_t i = 0; i < p->nprocs; i++) {
		const struct pf_process *pr = &p->procs[i];

		if (i < l->nprocs && l->proc_cmd[i] == pr->cmdline && l->proc_ver[i] == pr->version)
			continue;
		put_u(l, REC_PROCESS);
		put_u(l, i);
		put_u(l, (uint64_t)pr->pid);
		put_u(l, pr->cmdline);
		put_u(l, pr->version);
		l->proc_cmd[i] = pr->cmdline;
		l->proc_ver[i] = pr->version;
	}
	l->nprocs = p->nprocs;
	for (; l->nthreads < p->nthreads; l->nthreads++) {
		const struct pf_thread *t = &p->threads[l->nthreads];

		put_u(l, REC_THREAD);
		put_u(l, l->nthreads);
		put_u(l, t->proc);
		put_u(l, (uint64_t)t->tid);
		put_u(l, t->name);
	}
}

void rawlog__sample(struct rawlog *l, const struct profile *p, uint64_t t_ns, uint32_t thread,
		    uint32_t stack, uint32_t flags)
{
	/* whole microseconds, carrying the remainder so times do not drift */
	uint64_t dt = t_ns > l->last_t_ns ? (t_ns - l->last_t_ns) / 1000 : 0;

	l->last_t_ns += dt * 1000;
	sync_new(l, p);
	put_u(l, REC_SAMPLE);
	put_u(l, thread);
	put_u(l, stack);
	put_u(l, flags);
	put_u(l, dt);
}

int rawlog__flush(struct rawlog *l, uint64_t now_ns, int force)
{
	if (force || now_ns - l->last_flush_ns >= FLUSH_NS || l->len > RAWLOG_BUF / 2) {
		drain(l);
		l->last_flush_ns = now_ns;
	}
	return l->err;
}

int rawlog__close(struct rawlog *l, const struct pf_meta *m)
{
	int err;

	if (!l)
		return 0;
	if (m)
		rawlog__meta(l, m);
	put_u(l, REC_END);
	drain(l);
	err = l->err;
	if (close(l->fd) < 0 && !err)
		err = -errno;
	free(l->buf);
	free(l->proc_cmd);
	free(l->proc_ver);
	free(l);
	return err;
}

/* --- reading: every byte is untrusted ---------------------------------------------- */

struct reader {
	FILE *in;
	int bad;	/* EOF or malformed: stop */
};

static uint64_t get_u(struct reader *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		int c = getc(r->in);

		if (c == EOF) {
			r->bad = 1;
			return 0;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

/* A length-prefixed string into sb; bounded. */
static void get_bytes(struct reader *r, struct strbuf *sb)
{
	uint64_t n = get_u(r);

	strbuf_reset(sb);
	if (r->bad || n > MAX_FIELD) {
		r->bad = 1;
		return;
	}
	strbuf_grow(sb, (size_t)n);
	if (n && fread(sb->buf, 1, (size_t)n, r->in) != n) {
		r->bad = 1;
		return;
	}
	sb->len = (size_t)n;
	sb->buf[n] = '\0';
}

struct idmap {
	uint32_t *v;
	size_t n, alloc;
};

static void idmap_push(struct idmap *m, uint32_t id)
{
	xgrow((void **)&m->v, &m->alloc, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = id;
}

/* sb = the C string of strtab entry id, in storage of its own. */
static void copy_str(struct strbuf *sb, const struct strtab *st, uint32_t id)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, strtab__get(st, id));
}

static void apply_meta(struct profile *p, const char *k, const char *v)
{
	struct pf_meta *m = &p->meta;

	if (!strcmp(k, "command")) {
		free(m->command);
		m->command = xstrdup(v);
	} else if (!strcmp(k, "mode")) {
		free(m->mode);
		m->mode = xstrdup(v);
	} else if (!strcmp(k, "rate_hz")) {
		m->rate_hz = strtod(v, NULL);
	} else if (!strcmp(k, "start_unix_ns")) {
		m->start_unix_ns = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "duration_ns")) {
		m->duration_ns = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "ticks")) {
		m->ticks = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "ticks_missed")) {
		m->ticks_missed = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "dropped")) {
		m->dropped = strtoull(v, NULL, 10);
	}
}

int rawlog__read(FILE *in, struct profile *p, rawlog_sample_fn each, void *arg,
		 struct rawlog_info *info)
{
	char magic[8];
	struct reader r = { in, 0 };
	struct idmap strs = { 0 }, frames = { 0 }, stacks = { 0 }, procs = { 0 }, threads = { 0 };
	struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	uint32_t *fbuf = NULL;
	size_t fbuf_alloc = 0;
	uint64_t t_ns = 0;

	memset(info, 0, sizeof(*info));
	if (fread(magic, 1, 8, in) != 8 || memcmp(magic, RAWLOG_MAGIC, 8))
		return -EINVAL;
	while (!r.bad) {
		int type = getc(in);
		uint64_t a, b, c, d;

		if (type == EOF)
			break;
		switch (type) {
		case REC_STRING:
			get_bytes(&r, &sb);
			if (!r.bad)
				idmap_push(&strs, strtab__intern(p->strings, sb.buf, sb.len));
			break;
		case REC_FRAME: {
			struct pf_frame f;

			a = get_u(&r);
			b = get_u(&r);
			c = get_u(&r);
			if (r.bad || a >= strs.n || b >= strs.n) {
				r.bad = 1;
				break;
			}
			f.name = strs.v[a];
			f.file = strs.v[b];
			f.line = (int32_t)((int64_t)(c >> 1) ^ -(int64_t)(c & 1));
			idmap_push(&frames, profile__frame(p, &f));
			break;
		}
		case REC_STACK:
			a = get_u(&r);
			if (r.bad || a > MAX_FIELD) {
				r.bad = 1;
				break;
			}
			xgrow((void **)&fbuf, &fbuf_alloc, (size_t)a + 1, sizeof(*fbuf));
			for (uint64_t i = 0; i < a && !r.bad; i++) {
				b = get_u(&r);
				if (b >= frames.n)
					r.bad = 1;
				else
					fbuf[i] = frames.v[b];
			}
			if (!r.bad)
				idmap_push(&stacks, profile__stack(p, fbuf, (size_t)a));
			break;
		case REC_PROCESS:
			a = get_u(&r);
			b = get_u(&r);
			c = get_u(&r);
			d = get_u(&r);
			if (r.bad || a > procs.n || c >= strs.n || d >= strs.n || b > INT32_MAX) {
				r.bad = 1;
				break;
			}
			{
				uint32_t idx;

				/*
				 * Copies: profile__process() interns into p->strings, which may
				 * move what strtab__get() points to (a string with a NUL in it
				 * interns anew as its shorter C string).
				 */
				copy_str(&sb, p->strings, strs.v[c]);
				copy_str(&sb2, p->strings, strs.v[d]);
				idx = profile__process(p, (pid_t)b, sb.buf, sb2.buf);
				if (a == procs.n)
					idmap_push(&procs, idx);
				else
					procs.v[a] = idx;	/* re-recorded: later samples go there */
			}
			break;
		case REC_THREAD:
			a = get_u(&r);
			b = get_u(&r);
			c = get_u(&r);
			d = get_u(&r);
			if (r.bad || a != threads.n || b >= procs.n || d >= strs.n || c > INT32_MAX) {
				r.bad = 1;
				break;
			}
			copy_str(&sb, p->strings, strs.v[d]);	/* as for processes */
			idmap_push(&threads, profile__thread(p, procs.v[b], (pid_t)c, sb.buf));
			break;
		case REC_SAMPLE:
			a = get_u(&r);
			b = get_u(&r);
			c = get_u(&r);
			d = get_u(&r);
			if (r.bad || a >= threads.n || b >= stacks.n || c > 0xffff) {
				r.bad = 1;
				break;
			}
			t_ns += d * 1000;
			profile__add(p, threads.v[a], stacks.v[b], (uint32_t)c, 1);
			if (each)
				each(arg, t_ns, threads.v[a], stacks.v[b], (uint32_t)c);
			info->samples++;
			break;
		case REC_META:
			get_bytes(&r, &sb);
			get_bytes(&r, &sb2);
			if (!r.bad)
				apply_meta(p, sb.buf, sb2.buf);
			break;
		case REC_END:
			info->complete = 1;
			r.bad = 0;
			goto done;
		default:
			r.bad = 1;
			break;
		}
	}
done:
	info->truncated = r.bad;
	free(strs.v);
	free(frames.v);
	free(stacks.v);
	free(procs.v);
	free(threads.v);
	free(fbuf);
	strbuf_release(&sb);
	strbuf_release(&sb2);
	return 0;
}
