/*
 * writer_timeline.c - a flame chart over time in the Chrome Trace Event Format (JSON object
 * form), which Perfetto UI, chrome://tracing and the Firefox Profiler import.
 *
 * The aggregated profile has no times, so the raw log (o->rawlog_path) is replayed into a
 * scratch profile and each sample is taken with its time.  Per thread, the stack of the
 * previous sample stays open: frames of a new sample that match the open ones by function
 * (name, file), from the root, carry on; the rest are closed at the new sample's time and
 * the new ones opened there.  So a function on the stack for 100 consecutive samples is one
 * complete event ("ph":"X") of 100 sample intervals, and the events of a thread nest
 * properly.
 *
 * When does a thread's stack end?  The samples of one tick share a time, so a tick is a
 * time with samples.  A thread absent from a tick that sampled other threads was not
 * running (cpu and gil modes) or lost its sample (a torn read): its events end at that
 * tick - in wall mode, where every thread is sampled at every tick, only after two ticks
 * in a row, so one dropped sample does not cut a long call in two.  In cpu and gil modes a
 * thread that comes back more than two sample intervals after its previous sample was not
 * running in between (ticks that found nothing running leave no trace in the log); its
 * events end one interval after that previous sample.  In wall mode a time gap is a tick
 * pyflame missed, and the events go on.  A thread's last sample lasts one interval.  The
 * interval is the achieved tick interval (pf_meta__period_ns), 10 ms if unknown.
 *
 * Event names are function names; args hold the file and the line when the event began.
 * The "<idle>" and "<truncated>" markers are events too, as in the other formats.  Times
 * ("ts", "dur") are microseconds since the start of the run.  Metadata events name every
 * process (its command line; process_labels: its Python version) and thread (its name,
 * with its TID as "tid").  otherData holds the run's facts, as strings.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/rawlog.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"
#include "pyflame/version.h"

#define TL_FLUSH (1u << 16)
#define TL_DEFAULT_PERIOD_NS 10000000ull
#define TL_MAX_DEPTH 4096		/* the replayed log is untrusted: bound the open stack */

/* Frame values for the markers (Python frames are profile frame indices). */
#define TL_IDLE      UINT32_MAX
#define TL_TRUNCATED (UINT32_MAX - 1)

struct tl_level {
	uint64_t key;		/* (name << 32 | file) for a frame; the marker value for markers */
	uint32_t frame;
	uint64_t start_ns;
};

struct tl_thread {
	struct tl_level *open;
	size_t n, alloc;
	uint64_t last_ns;	/* time of its last sample */
	uint64_t last_tick;	/* index of the tick of its last sample */
	uint64_t absent_ns;	/* time of the first tick after that it missed; 0 = none yet */
	int seen;
	int live;		/* listed in tl->live */
};

struct tl_event {
	uint32_t thread;
	uint32_t depth;
	uint32_t frame;
	uint64_t ts_ns, dur_ns;
};

struct tl {
	const struct profile *p;	/* the scratch profile being replayed */
	uint64_t period_ns;
	int wall;			/* every thread is sampled at every tick */
	uint64_t tick, tick_ns;		/* the current tick: index and time */
	int have_tick;
	struct tl_thread *threads;
	size_t nthreads_alloc;
	uint32_t *live;			/* threads that may have open events */
	size_t nlive, live_alloc;
	struct tl_event *ev;
	size_t nev, ev_alloc;
	struct tl_level *cur;		/* the sample being added */
	size_t cur_alloc;
};

static void tl_close(struct tl *tl, uint32_t thread, size_t keep, uint64_t end_ns)
{
	struct tl_thread *t = &tl->threads[thread];

	while (t->n > keep) {
		struct tl_level *l = &t->open[--t->n];
		struct tl_event *e;

		xgrow((void **)&tl->ev, &tl->ev_alloc, tl->nev + 1, sizeof(*tl->ev));
		e = &tl->ev[tl->nev++];
		e->thread = thread;
		e->depth = (uint32_t)t->n;
		e->frame = l->frame;
		e->ts_ns = l->start_ns;
		e->dur_ns = end_ns > l->start_ns ? end_ns - l->start_ns : 0;
	}
}

/* Tick tick (at tick_ns) is complete: end the stacks of the threads it did not see. */
static void tl_tick_done(struct tl *tl)
{
	uint64_t tolerance = tl->wall ? 1 : 0;
	size_t k = 0;

	for (size_t j = 0; j < tl->nlive; j++) {
		uint32_t i = tl->live[j];
		struct tl_thread *t = &tl->threads[i];

		if (t->n && t->last_tick < tl->tick) {
			if (!t->absent_ns)
				t->absent_ns = tl->tick_ns;
			if (tl->tick - t->last_tick > tolerance)
				tl_close(tl, i, 0, t->absent_ns);
		}
		if (t->n)
			tl->live[k++] = i;
		else
			t->live = 0;
	}
	tl->nlive = k;
}

static void tl_sample(void *arg, uint64_t t_ns, uint32_t thread, uint32_t stack, uint32_t flags)
{
	struct tl *tl = arg;
	const struct profile *p = tl->p;
	const uint32_t *st = p->stack_data + p->stack_off[stack];
	uint32_t len = p->stack_len[stack];
	struct tl_thread *t;
	size_t n = 0, k = 0;

	if (thread >= tl->nthreads_alloc) {
		size_t old = tl->nthreads_alloc;

		xgrow((void **)&tl->threads, &tl->nthreads_alloc, (size_t)thread + 1,
		      sizeof(*tl->threads));
		memset(tl->threads + old, 0, (tl->nthreads_alloc - old) * sizeof(*tl->threads));
	}
	if (!tl->have_tick || t_ns != tl->tick_ns) {
		if (tl->have_tick) {
			tl_tick_done(tl);
			tl->tick++;
		}
		tl->have_tick = 1;
		tl->tick_ns = t_ns;
	}
	t = &tl->threads[thread];
	if (len > TL_MAX_DEPTH)
		len = TL_MAX_DEPTH;
	xgrow((void **)&tl->cur, &tl->cur_alloc, (size_t)len + 2, sizeof(*tl->cur));
	if (flags & PF_SAMPLE_TRUNCATED)
		tl->cur[n++] = (struct tl_level){ TL_TRUNCATED, TL_TRUNCATED, t_ns };
	for (uint32_t i = 0; i < len; i++) {
		const struct pf_frame *f;

		if (st[i] >= p->nframes)
			continue;
		f = &p->frames[st[i]];
		tl->cur[n++] = (struct tl_level){ (uint64_t)f->name << 32 | f->file, st[i], t_ns };
	}
	if (flags & PF_SAMPLE_IDLE)
		tl->cur[n++] = (struct tl_level){ TL_IDLE, TL_IDLE, t_ns };

	if (t->seen && !tl->wall && t_ns - t->last_ns > 2 * tl->period_ns)
		tl_close(tl, thread, 0, t->last_ns + tl->period_ns);	/* it was not running */
	while (k < t->n && k < n && t->open[k].key == tl->cur[k].key)
		k++;
	tl_close(tl, thread, k, t_ns);
	xgrow((void **)&t->open, &t->alloc, n + 1, sizeof(*t->open));
	for (; k < n; k++)
		t->open[t->n++] = tl->cur[k];
	if (t->n && !t->live) {
		xgrow((void **)&tl->live, &tl->live_alloc, tl->nlive + 1, sizeof(*tl->live));
		tl->live[tl->nlive++] = thread;
		t->live = 1;
	}
	t->last_ns = t_ns;
	t->last_tick = tl->tick;
	t->absent_ns = 0;
	t->seen = 1;
}

static int tl_event_cmp(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return (x->depth > y->depth) - (x->depth < y->depth);	/* parents first */
}

static int tl_flush(struct strbuf *sb, FILE *out, int force)
{
	if (sb->len && (force || sb->len >= TL_FLUSH)) {
		if (fwrite(sb->buf, 1, sb->len, out) != sb->len)
			return errno ? -errno : -EIO;
		strbuf_reset(sb);
	}
	return 0;
}

static void add_us(struct strbuf *sb, uint64_t ns)
{
	strbuf_addf(sb, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void add_pstr(struct strbuf *sb, const struct profile *p, uint32_t id)
{
	textenc__add_json_string(sb, strtab__get(p->strings, id), strtab__len(p->strings, id));
}

/* "key":"value", with a leading comma unless first. */
static void add_fact(struct strbuf *sb, int *first, const char *key, const char *val)
{
	if (!*first)
		strbuf_addch(sb, ',');
	*first = 0;
	textenc__add_json_string(sb, key, strlen(key));
	strbuf_addch(sb, ':');
	textenc__add_json_string(sb, val, strlen(val));
}

static void add_facts(struct strbuf *sb, const struct profile *p)
{
	const struct pf_meta *m = &p->meta;
	struct strbuf v = STRBUF_INIT;
	int first = 1;

	strbuf_addstr(sb, "\"otherData\":{");
	add_fact(sb, &first, "exporter", "pyflame " PYFLAME_VERSION);
	if (m->command)
		add_fact(sb, &first, "command", m->command);
	pf_meta__python_versions(p, &v);
	if (v.len)
		add_fact(sb, &first, "python", v.buf);
	if (m->mode)
		add_fact(sb, &first, "mode", m->mode);
#define FACT(key, fmt, val) do { \
		strbuf_reset(&v); \
		strbuf_addf(&v, fmt, val); \
		add_fact(sb, &first, key, v.buf); \
	} while (0)
	if (m->rate_hz > 0)
		FACT("rate_hz", "%g", m->rate_hz);
	if (pf_meta__achieved_hz(m) > 0)
		FACT("achieved_hz", "%.1f", pf_meta__achieved_hz(m));
	if (m->start_unix_ns)
		FACT("start_unix_ns", "%" PRIu64, m->start_unix_ns);
	if (m->duration_ns)
		FACT("duration_ns", "%" PRIu64, m->duration_ns);
	FACT("samples", "%" PRIu64, p->total);
	FACT("dropped", "%" PRIu64, m->dropped);
	FACT("ticks_missed", "%" PRIu64, m->ticks_missed);
#undef FACT
	strbuf_addch(sb, '}');
	strbuf_release(&v);
}

/* Metadata events; each is followed by ",\n" only if something follows (*more). */
static void add_metadata(struct strbuf *sb, const struct profile *p, int more)
{
	size_t start = sb->len;

	for (size_t i = 0; i < p->nprocs; i++) {
		const struct pf_process *pr = &p->procs[i];

		if (!pr->samples)
			continue;
		strbuf_addf(sb, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":%d,"
			    "\"args\":{\"name\":", (int)pr->pid, (int)pr->pid);
		if (strtab__len(p->strings, pr->cmdline))
			add_pstr(sb, p, pr->cmdline);
		else
			strbuf_addf(sb, "\"pid %d\"", (int)pr->pid);
		strbuf_addstr(sb, "}},\n");
		if (strtab__len(p->strings, pr->version)) {
			struct strbuf v = STRBUF_INIT;

			strbuf_addf(&v, "Python %s", strtab__get(p->strings, pr->version));
			strbuf_addf(sb, "{\"ph\":\"M\",\"name\":\"process_labels\",\"pid\":%d,"
				    "\"tid\":%d,\"args\":{\"labels\":", (int)pr->pid, (int)pr->pid);
			textenc__add_json_string(sb, v.buf, v.len);
			strbuf_addstr(sb, "}},\n");
			strbuf_release(&v);
		}
	}
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct pf_thread *t = &p->threads[i];
		int pid = t->proc < p->nprocs ? (int)p->procs[t->proc].pid : 0;

		if (!t->samples)
			continue;
		strbuf_addf(sb, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
			    "\"args\":{\"name\":", pid, (int)t->tid);
		if (strtab__len(p->strings, t->name))
			add_pstr(sb, p, t->name);
		else
			strbuf_addf(sb, "\"thread %d\"", (int)t->tid);
		strbuf_addstr(sb, "}},\n");
		/* the main thread first */
		strbuf_addf(sb, "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%d,"
			    "\"args\":{\"sort_index\":%d}},\n", pid, (int)t->tid,
			    t->tid == pid ? 0 : 1);
	}
	if (!more && sb->len > start)
		sb->len -= 2;		/* the last ",\n" */
	sb->buf[sb->len] = '\0';
}

static void add_event(struct strbuf *sb, const struct profile *p, const struct tl_event *e,
		      int line_numbers)
{
	const struct pf_thread *t = &p->threads[e->thread];
	int pid = t->proc < p->nprocs ? (int)p->procs[t->proc].pid : 0;

	strbuf_addstr(sb, "{\"ph\":\"X\",\"name\":");
	if (e->frame == TL_IDLE) {
		strbuf_addstr(sb, "\"" PF_LABEL_IDLE_TEXT "\",\"cat\":\"idle\"");
	} else if (e->frame == TL_TRUNCATED) {
		strbuf_addstr(sb, "\"" PF_LABEL_TRUNCATED_TEXT "\",\"cat\":\"truncated\"");
	} else {
		const struct pf_frame *f = &p->frames[e->frame];

		if (strtab__len(p->strings, f->name))
			add_pstr(sb, p, f->name);
		else
			strbuf_addstr(sb, "\"<unknown>\"");
		strbuf_addstr(sb, ",\"cat\":\"python\"");
	}
	strbuf_addf(sb, ",\"pid\":%d,\"tid\":%d,\"ts\":", pid, (int)t->tid);
	add_us(sb, e->ts_ns);
	strbuf_addstr(sb, ",\"dur\":");
	add_us(sb, e->dur_ns);
	if (e->frame < p->nframes) {
		const struct pf_frame *f = &p->frames[e->frame];

		strbuf_addstr(sb, ",\"args\":{\"file\":");
		add_pstr(sb, p, f->file);
		if (line_numbers && f->line >= 0)
			strbuf_addf(sb, ",\"line\":%d", (int)f->line);
		strbuf_addch(sb, '}');
	}
	strbuf_addstr(sb, "}");
}

int writer_timeline__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	struct tl tl = { 0 };
	struct rawlog_info info;
	struct profile *scratch;
	const struct profile *facts;
	struct strbuf sb = STRBUF_INIT;
	const char *mode;
	double period;
	FILE *in;
	int ret;

	if (!o || !o->rawlog_path)
		return -ENOENT;
	in = fopen(o->rawlog_path, "rb");
	if (!in)
		return -errno;
	scratch = profile__new();
	tl.p = scratch;
	period = pf_meta__period_ns(&p->meta);
	mode = p->meta.mode;
	if (period < 1 || !mode) {
		/* The log's own facts are at its end: a first pass for them. */
		ret = rawlog__read(in, scratch, NULL, NULL, &info);
		if (ret)
			goto out_close;
		if (period < 1)
			period = pf_meta__period_ns(&scratch->meta);
		if (!mode && scratch->meta.mode)
			tl.wall = !strcmp(scratch->meta.mode, "wall");
		profile__free(scratch);
		scratch = profile__new();
		tl.p = scratch;
		rewind(in);
	}
	tl.period_ns = period >= 1 ? (uint64_t)period : TL_DEFAULT_PERIOD_NS;
	if (mode)
		tl.wall = !strcmp(mode, "wall");
	ret = rawlog__read(in, scratch, tl_sample, &tl, &info);
	if (ret)
		goto out_close;
	for (size_t i = 0; i < tl.nthreads_alloc; i++) {
		struct tl_thread *t = &tl.threads[i];

		if (t->n)
			tl_close(&tl, (uint32_t)i, 0, t->absent_ns ? t->absent_ns :
				 t->last_ns + tl.period_ns);
	}
	qsort(tl.ev, tl.nev, sizeof(*tl.ev), tl_event_cmp);

	/* Facts from the profile being written, or from the log if that one has none. */
	facts = p->meta.command || p->nprocs ? p : scratch;
	errno = 0;
	strbuf_addstr(&sb, "{\"displayTimeUnit\":\"ms\",");
	add_facts(&sb, facts);
	strbuf_addstr(&sb, ",\n\"traceEvents\":[\n");
	add_metadata(&sb, scratch, tl.nev > 0);
	for (size_t i = 0; i < tl.nev; i++) {
		if (i)
			strbuf_addstr(&sb, ",\n");
		add_event(&sb, scratch, &tl.ev[i], o->line_numbers);
		if ((ret = tl_flush(&sb, out, 0)))
			goto out_close;
	}
	strbuf_addstr(&sb, "\n]}\n");
	if ((ret = tl_flush(&sb, out, 1)))
		goto out_close;
	if (fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
out_close:
	fclose(in);
	for (size_t i = 0; i < tl.nthreads_alloc; i++)
		free(tl.threads[i].open);
	free(tl.threads);
	free(tl.live);
	free(tl.ev);
	free(tl.cur);
	strbuf_release(&sb);
	profile__free(scratch);
	return ret;
}
