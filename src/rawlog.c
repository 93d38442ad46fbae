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

void rawlog__repeat(struct rawlog *l, pid_t pid, unsigned repeat)
{
	char num[48];

	snprintf(num, sizeof(num), "%u %d", repeat, (int)pid);
	put_meta(l, RAWLOG_META_REPEAT, num);
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

/*
 * A damaged log (a disk error, a copy cut and pasted together) is read past its damage:
 * a record that does not parse, or names an id not defined yet, starts a search for the
 * next offset where RESYNC_RUN records in a row parse and are consistent with what was
 * read so far; reading goes on there.  Ids are implicit, so a string, frame or stack lost
 * in the damage can shift later names: the caller says the log was damaged.
 */
#define RESYNC_RUN 3
#define READ_MAX (1ull << 32)	/* a log larger than this is read up to here */

/* How many of each kind were defined so far: what a record may refer to. */
struct counts {
	uint64_t strs, frames, stacks, procs, threads;
};

/* One parsed record; strings point into the log's bytes. */
struct rec {
	int type;
	uint64_t a, b, c, d;
	const unsigned char *s1, *s2;
	size_t n1, n2;
	const unsigned char *frames, *frames_end;	/* REC_STACK: a LEB128 frame ids */
};

struct cursor {
	const unsigned char *p, *end;
	int eof;	/* ran out of bytes: a truncated record, not damage */
};

static uint64_t get_u(struct cursor *c, int *bad)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end) {
			c->eof = 1;
			*bad = 1;
			return 0;
		}
		v |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80))
			return v;
	}
	*bad = 1;
	return 0;
}

static const unsigned char *get_bytes(struct cursor *c, size_t *n, int *bad)
{
	uint64_t len = get_u(c, bad);
	const unsigned char *s = c->p;

	if (*bad || len > MAX_FIELD) {
		*bad = 1;
		return NULL;
	}
	if (len > (uint64_t)(c->end - c->p)) {
		c->eof = 1;
		*bad = 1;
		return NULL;
	}
	c->p += len;
	*n = (size_t)len;
	return s;
}

/*
 * Parse the record at *c against what is defined (k), without side effects.  1 and c
 * advanced past it; 0 when it is malformed or refers to what is not defined (c->eof: the
 * bytes ran out first).
 */
static int parse_rec(struct cursor *c, const struct counts *k, struct rec *r)
{
	int bad = 0;

	memset(r, 0, sizeof(*r));
	if (c->p >= c->end) {
		c->eof = 1;
		return 0;
	}
	r->type = *c->p++;
	switch (r->type) {
	case REC_STRING:
		r->s1 = get_bytes(c, &r->n1, &bad);
		return !bad;
	case REC_FRAME:
		r->a = get_u(c, &bad);
		r->b = get_u(c, &bad);
		r->c = get_u(c, &bad);
		return !bad && r->a < k->strs && r->b < k->strs;
	case REC_STACK:
		r->a = get_u(c, &bad);
		if (bad || r->a > MAX_FIELD)
			return 0;
		r->frames = c->p;
		for (uint64_t i = 0; i < r->a && !bad; i++)
			if (get_u(c, &bad) >= k->frames)
				bad = 1;
		r->frames_end = c->p;
		return !bad;
	case REC_PROCESS:
		r->a = get_u(c, &bad);
		r->b = get_u(c, &bad);
		r->c = get_u(c, &bad);
		r->d = get_u(c, &bad);
		return !bad && r->a <= k->procs && r->c < k->strs && r->d < k->strs &&
		       r->b <= INT32_MAX;
	case REC_THREAD:
		r->a = get_u(c, &bad);
		r->b = get_u(c, &bad);
		r->c = get_u(c, &bad);
		r->d = get_u(c, &bad);
		return !bad && r->a == k->threads && r->b < k->procs && r->d < k->strs &&
		       r->c <= INT32_MAX;
	case REC_SAMPLE:
		r->a = get_u(c, &bad);
		r->b = get_u(c, &bad);
		r->c = get_u(c, &bad);
		r->d = get_u(c, &bad);
		return !bad && r->a < k->threads && r->b < k->stacks && r->c <= 0xffff &&
		       r->d <= UINT64_MAX / 1000;
	case REC_META:
		r->s1 = get_bytes(c, &r->n1, &bad);
		if (!bad)
			r->s2 = get_bytes(c, &r->n2, &bad);
		return !bad;
	case REC_END:
		return 1;
	default:
		return 0;
	}
}

/* What defining r adds. */
static void count_rec(struct counts *k, const struct rec *r)
{
	switch (r->type) {
	case REC_STRING: k->strs++; break;
	case REC_FRAME: k->frames++; break;
	case REC_STACK: k->stacks++; break;
	case REC_PROCESS: k->procs += r->a == k->procs; break;
	case REC_THREAD: k->threads++; break;
	default: break;
	}
}

/* Do RESYNC_RUN records in a row parse from p on (or fewer, then the end record)? */
static int plausible(const unsigned char *p, const unsigned char *end, const struct counts *k0)
{
	struct cursor c = { p, end, 0 };
	struct counts k = *k0;
	struct rec r;

	for (int i = 0; i < RESYNC_RUN; i++) {
		if (!parse_rec(&c, &k, &r))
			return 0;
		if (r.type == REC_END)
			return c.p == c.end;
		count_rec(&k, &r);
	}
	return 1;
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

struct replay {
	struct profile *p;
	rawlog_sample_fn each;
	void *arg;
	struct rawlog_info *info;
	struct idmap strs, frames, stacks, procs, threads;
	struct strbuf sb, sb2;
	uint32_t *fbuf;
	size_t fbuf_alloc;
	uint64_t t_ns;
	unsigned only;			/* 0: every sample; k: those of repeat k only */
	struct pid_repeat { pid_t pid; unsigned k; } *pr;	/* from "repeat" records */
	size_t npr, pr_alloc;
	unsigned *thread_rep;		/* per raw-log thread: its repeat (0: none) */
	size_t thread_rep_alloc;
};

/* The repeat a process of this pid belongs to now: the latest "repeat" record for it. */
static unsigned repeat_of(const struct replay *x, pid_t pid)
{
	for (size_t i = x->npr; i-- > 0;)
		if (x->pr[i].pid == pid)
			return x->pr[i].k;
	return 0;
}

/* A "repeat" record's value, "K PID"; bad ones are ignored. */
static void note_repeat(struct replay *x, const char *v)
{
	unsigned long k;
	long pid;
	char *end;

	errno = 0;
	k = strtoul(v, &end, 10);
	if (errno || end == v || *end != ' ' || k == 0 || k > RAWLOG_MAX_REPEATS)
		return;
	pid = strtol(end + 1, &end, 10);
	if (errno || *end || pid <= 0 || pid > INT32_MAX)
		return;
	xgrow((void **)&x->pr, &x->pr_alloc, x->npr + 1, sizeof(*x->pr));
	x->pr[x->npr].pid = (pid_t)pid;
	x->pr[x->npr++].k = (unsigned)k;
	if (k > x->info->repeats)
		x->info->repeats = (unsigned)k;
}

static void counts_of(const struct replay *x, struct counts *k)
{
	k->strs = x->strs.n;
	k->frames = x->frames.n;
	k->stacks = x->stacks.n;
	k->procs = x->procs.n;
	k->threads = x->threads.n;
}

/* Add a parsed, checked record to the profile. */
static void apply_rec(struct replay *x, const struct rec *r)
{
	struct profile *p = x->p;

	switch (r->type) {
	case REC_STRING:
		idmap_push(&x->strs, strtab__intern(p->strings, (const char *)r->s1, r->n1));
		break;
	case REC_FRAME: {
		struct pf_frame f;

		f.name = x->strs.v[r->a];
		f.file = x->strs.v[r->b];
		f.line = (int32_t)((int64_t)(r->c >> 1) ^ -(int64_t)(r->c & 1));
		idmap_push(&x->frames, profile__frame(p, &f));
		break;
	}
	case REC_STACK: {
		struct cursor c = { r->frames, r->frames_end, 0 };
		int bad = 0;

		xgrow((void **)&x->fbuf, &x->fbuf_alloc, (size_t)r->a + 1, sizeof(*x->fbuf));
		for (uint64_t i = 0; i < r->a; i++)
			x->fbuf[i] = x->frames.v[get_u(&c, &bad)];	/* checked by parse_rec */
		idmap_push(&x->stacks, profile__stack(p, x->fbuf, (size_t)r->a));
		break;
	}
	case REC_PROCESS: {
		uint32_t idx;

		/*
		 * Copies: profile__process() interns into p->strings, which may move what
		 * strtab__get() points to (a string with a NUL in it interns anew as its
		 * shorter C string).
		 */
		copy_str(&x->sb, p->strings, x->strs.v[r->c]);
		copy_str(&x->sb2, p->strings, x->strs.v[r->d]);
		idx = profile__process(p, (pid_t)r->b, x->sb.buf, x->sb2.buf);
		if (r->a == x->procs.n)
			idmap_push(&x->procs, idx);
		else
			x->procs.v[r->a] = idx;	/* re-recorded: later samples go there */
		break;
	}
	case REC_THREAD:
		copy_str(&x->sb, p->strings, x->strs.v[r->d]);	/* as for processes */
		xgrow((void **)&x->thread_rep, &x->thread_rep_alloc, x->threads.n + 1,
		      sizeof(*x->thread_rep));
		x->thread_rep[x->threads.n] = repeat_of(x, p->procs[x->procs.v[r->b]].pid);
		idmap_push(&x->threads, profile__thread(p, x->procs.v[r->b], (pid_t)r->c,
							x->sb.buf));
		break;
	case REC_SAMPLE:
		x->t_ns += r->d * 1000;
		if (x->only && x->thread_rep[r->a] != x->only)
			break;		/* another repeat's */
		profile__add(p, x->threads.v[r->a], x->stacks.v[r->b], (uint32_t)r->c, 1);
		if (x->each)
			x->each(x->arg, x->t_ns, x->threads.v[r->a], x->stacks.v[r->b],
				(uint32_t)r->c);
		x->info->samples++;
		break;
	case REC_META:
		strbuf_reset(&x->sb);
		strbuf_add(&x->sb, r->s1, r->n1);
		strbuf_reset(&x->sb2);
		strbuf_add(&x->sb2, r->s2, r->n2);
		if (!strcmp(x->sb.buf, RAWLOG_META_REPEAT))
			note_repeat(x, x->sb2.buf);
		else
			apply_meta(p, x->sb.buf, x->sb2.buf);
		break;
	default:
		break;
	}
}

/* The whole log into sb (bounded by READ_MAX); 0 or -errno. */
static int slurp(FILE *in, struct strbuf *sb)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0 && sb->len < READ_MAX)
		strbuf_add(sb, buf, n);
	return ferror(in) ? -EIO : 0;
}

int rawlog__read(FILE *in, struct profile *p, rawlog_sample_fn each, void *arg,
		 struct rawlog_info *info)
{
	return rawlog__read_repeat(in, p, each, arg, info, 0);
}

int rawlog__read_repeat(FILE *in, struct profile *p, rawlog_sample_fn each, void *arg,
			struct rawlog_info *info, unsigned repeat)
{
	struct replay x = { .p = p, .each = each, .arg = arg, .info = info,
			    .sb = STRBUF_INIT, .sb2 = STRBUF_INIT, .only = repeat };
	struct strbuf all = STRBUF_INIT;
	struct cursor c;
	int ret, cut;

	memset(info, 0, sizeof(*info));
	ret = slurp(in, &all);
	if (ret)
		goto out;
	if (all.len < 8 || memcmp(all.buf, RAWLOG_MAGIC, 8)) {
		ret = -EINVAL;
		goto out;
	}
	c.p = (const unsigned char *)all.buf + 8;
	c.end = (const unsigned char *)all.buf + all.len;
	c.eof = 0;
	while (c.p < c.end) {
		const unsigned char *at = c.p;
		struct counts k;
		struct rec r;

		counts_of(&x, &k);
		if (parse_rec(&c, &k, &r) && (r.type != REC_END || c.p == c.end)) {
			if (r.type == REC_END) {
				info->complete = 1;
				break;
			}
			apply_rec(&x, &r);
			continue;
		}
		/* damage, or a last record cut short: find where records make sense again */
		cut = c.eof;
		c.p = at + 1;
		c.eof = 0;
		while (c.p < c.end && !plausible(c.p, c.end, &k))
			c.p++;
		if (c.p >= c.end && cut) {
			info->truncated = 1;	/* the run was killed while writing it */
			break;
		}
		info->damaged++;
		info->skipped_bytes += (uint64_t)(c.p - at);
	}
out:
	free(x.strs.v);
	free(x.frames.v);
	free(x.stacks.v);
	free(x.procs.v);
	free(x.threads.v);
	free(x.fbuf);
	free(x.pr);
	free(x.thread_rep);
	strbuf_release(&x.sb);
	strbuf_release(&x.sb2);
	strbuf_release(&all);
	return ret;
}
