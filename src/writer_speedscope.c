/*
 * writer_speedscope.c - speedscope's file format (https://www.speedscope.app/file-format-schema.json).
 *
 * shared.frames holds one frame per distinct (name, file, line) - (name, file) without line
 * numbers - plus "<truncated>" and "<idle>" when used.  Each thread that has samples is one
 * "sampled" profile named "cmdline [pid N] thread TID (name)"; its samples are the distinct
 * stacks (root first, sorted, so speedscope's time-order view reads like a flame graph; the
 * aggregated profile has no times), each weighted by the time its samples stand for: count
 * times the achieved tick interval (pf_meta__period_ns), in whole nanoseconds, unit
 * "nanoseconds".  When the interval is unknown the weights are sample counts, unit "none".
 * The run's facts go in an extra top-level "pyflame" object, which the schema allows and
 * speedscope ignores.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/textenc.h"
#include "pyflame/util.h"
#include "pyflame/version.h"

#define SS_FLUSH (1u << 16)
/* placeholders for the marker frames until their indices are known */
#define MARK_IDLE      UINT32_MAX
#define MARK_TRUNCATED (UINT32_MAX - 1)

struct ss_key {
	uint32_t name, file;
	int32_t line;
	uint32_t frame;
};

static int ss_key_cmp(const void *a, const void *b)
{
	const struct ss_key *x = a, *y = b;

	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->frame > y->frame) - (x->frame < y->frame);
}

/* A row's speedscope stack: seq[off .. off + len). */
struct ss_row {
	uint32_t thread;
	size_t off;
	uint32_t len;
	uint64_t count;
};

struct ss_ctx {
	const uint32_t *seq;
};

static int ss_row_cmp(const void *a, const void *b, void *arg)
{
	const struct ss_row *x = a, *y = b;
	const struct ss_ctx *c = arg;
	uint32_t n = x->len < y->len ? x->len : y->len;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t u = c->seq[x->off + i], v = c->seq[y->off + i];

		if (u != v)
			return u < v ? -1 : 1;
	}
	return (x->len > y->len) - (x->len < y->len);
}

static int ss_flush(struct strbuf *sb, FILE *out, int force)
{
	if (sb->len && (force || sb->len >= SS_FLUSH)) {
		if (fwrite(sb->buf, 1, sb->len, out) != sb->len)
			return errno ? -errno : -EIO;
		strbuf_reset(sb);
	}
	return 0;
}

static void add_str(struct strbuf *sb, const struct profile *p, uint32_t id)
{
	textenc__add_json_string(sb, strtab__get(p->strings, id), strtab__len(p->strings, id));
}

static void add_facts(struct strbuf *sb, const struct profile *p)
{
	const struct pf_meta *m = &p->meta;
	struct strbuf v = STRBUF_INIT;

	strbuf_addstr(sb, "{");
	if (m->command) {
		strbuf_addstr(sb, "\"command\":");
		textenc__add_json_string(sb, m->command, strlen(m->command));
		strbuf_addch(sb, ',');
	}
	pf_meta__python_versions(p, &v);
	if (v.len) {
		strbuf_addstr(sb, "\"python\":");
		textenc__add_json_string(sb, v.buf, v.len);
		strbuf_addch(sb, ',');
	}
	if (m->mode) {
		strbuf_addstr(sb, "\"mode\":");
		textenc__add_json_string(sb, m->mode, strlen(m->mode));
		strbuf_addch(sb, ',');
	}
	if (m->rate_hz > 0)
		strbuf_addf(sb, "\"rate_hz\":%.9g,", m->rate_hz);
	if (pf_meta__achieved_hz(m) > 0)
		strbuf_addf(sb, "\"achieved_hz\":%.6f,", pf_meta__achieved_hz(m));
	if (m->start_unix_ns)
		strbuf_addf(sb, "\"start_unix_ns\":%" PRIu64 ",", m->start_unix_ns);
	if (m->duration_ns)
		strbuf_addf(sb, "\"duration_ns\":%" PRIu64 ",", m->duration_ns);
	if (m->ticks)
		strbuf_addf(sb, "\"ticks\":%" PRIu64 ",", m->ticks);
	strbuf_addf(sb, "\"ticks_missed\":%" PRIu64 ",\"dropped\":%" PRIu64
		    ",\"samples\":%" PRIu64 "}", m->ticks_missed, m->dropped, p->total);
	strbuf_release(&v);
}

static void add_profile_name(struct strbuf *sb, const struct profile *p, const struct pf_thread *t)
{
	struct strbuf name = STRBUF_INIT;

	if (t->proc < p->nprocs) {
		const struct pf_process *pr = &p->procs[t->proc];

		if (strtab__len(p->strings, pr->cmdline))
			strbuf_addf(&name, "%s ", strtab__get(p->strings, pr->cmdline));
		strbuf_addf(&name, "[pid %d] ", (int)pr->pid);
	}
	strbuf_addf(&name, "thread %d", (int)t->tid);
	if (strtab__len(p->strings, t->name))
		strbuf_addf(&name, " (%s)", strtab__get(p->strings, t->name));
	textenc__add_json_string(sb, name.buf, name.len);
	strbuf_release(&name);
}

int writer_speedscope__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	int line_numbers = o ? o->line_numbers : 1;
	double period_ns = pf_meta__period_ns(&p->meta);
	uint64_t per = period_ns > 0 ? (uint64_t)llround(period_ns) : 0;
	struct ss_key *keys = xcalloc(p->nframes + 1, sizeof(*keys));
	uint32_t *map = xcalloc(p->nframes + 1, sizeof(*map));
	struct ss_row *rows = xcalloc(p->nrows + 1, sizeof(*rows));
	uint32_t *seq = NULL;
	size_t seq_len = 0, seq_alloc = 0, nrows = 0, nframes = 0;
	uint32_t idle = 0, truncated = 0;
	int has_idle = 0, has_truncated = 0;
	uint64_t *active = xcalloc(p->nthreads + 1, sizeof(*active));
	struct strbuf sb = STRBUF_INIT;
	struct ss_ctx ctx;
	size_t best = 0, nprof = 0;
	int ret = 0;

	errno = 0;
	/* Frames: dedup by (name, file, line), the line dropped without line numbers. */
	for (size_t i = 0; i < p->nframes; i++) {
		keys[i].name = p->frames[i].name;
		keys[i].file = p->frames[i].file;
		keys[i].line = line_numbers && p->frames[i].line >= 0 ? p->frames[i].line : -1;
		keys[i].frame = (uint32_t)i;
	}
	qsort(keys, p->nframes, sizeof(*keys), ss_key_cmp);

	strbuf_addstr(&sb, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
		      "\"shared\":{\"frames\":[");
	for (size_t i = 0; i < p->nframes; i++) {
		const struct ss_key *k = &keys[i];

		if (i && k->name == keys[i - 1].name && k->file == keys[i - 1].file &&
		    k->line == keys[i - 1].line) {
			map[k->frame] = (uint32_t)(nframes - 1);
			continue;
		}
		map[k->frame] = (uint32_t)nframes;
		if (nframes++)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, "{\"name\":");
		if (strtab__len(p->strings, k->name))
			add_str(&sb, p, k->name);
		else
			strbuf_addstr(&sb, "\"<unknown>\"");
		if (strtab__len(p->strings, k->file)) {
			strbuf_addstr(&sb, ",\"file\":");
			add_str(&sb, p, k->file);
		}
		if (k->line >= 0)
			strbuf_addf(&sb, ",\"line\":%d", (int)k->line);
		strbuf_addch(&sb, '}');
		if ((ret = ss_flush(&sb, out, 0)))
			goto out_free;
	}

	/* Each row's stack in speedscope frame indices, markers included. */
	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const uint32_t *st;
		uint32_t n;
		struct ss_row *s;

		if (row->thread >= p->nthreads || row->stack >= p->nstacks || !row->count)
			continue;
		st = p->stack_data + p->stack_off[row->stack];
		n = p->stack_len[row->stack];
		xgrow((void **)&seq, &seq_alloc, seq_len + n + 2, sizeof(*seq));
		s = &rows[nrows++];
		s->thread = row->thread;
		s->off = seq_len;
		s->count = row->count;
		if (row->flags & PF_SAMPLE_TRUNCATED) {
			has_truncated = 1;
			seq[seq_len++] = MARK_TRUNCATED;
		}
		for (uint32_t i = 0; i < n; i++)
			if (st[i] < p->nframes)
				seq[seq_len++] = map[st[i]];
		if (row->flags & PF_SAMPLE_IDLE) {
			has_idle = 1;
			seq[seq_len++] = MARK_IDLE;
		} else {
			active[row->thread] += row->count;
		}
		s->len = (uint32_t)(seq_len - s->off);
	}
	/* The markers are frames too, after the Python ones. */
	if (has_truncated) {
		truncated = (uint32_t)nframes;
		if (nframes++)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, "{\"name\":\"" PF_LABEL_TRUNCATED_TEXT "\"}");
	}
	if (has_idle) {
		idle = (uint32_t)nframes;
		if (nframes++)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, "{\"name\":\"" PF_LABEL_IDLE_TEXT "\"}");
	}
	for (size_t i = 0; i < seq_len; i++) {
		if (seq[i] == MARK_IDLE)
			seq[i] = idle;
		else if (seq[i] == MARK_TRUNCATED)
			seq[i] = truncated;
	}
	strbuf_addstr(&sb, "]},\"profiles\":[");

	ctx.seq = seq;
	qsort_r(rows, nrows, sizeof(*rows), ss_row_cmp, &ctx);
	for (size_t r = 0; r < nrows;) {
		const struct pf_thread *t = &p->threads[rows[r].thread];
		uint64_t total = 0;
		size_t end, k;

		for (end = r; end < nrows && rows[end].thread == rows[r].thread; end++)
			total += per ? rows[end].count * per : rows[end].count;
		if (active[rows[r].thread] > active[rows[best].thread])
			best = r;
		if (nprof++)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, "{\"type\":\"sampled\",\"name\":");
		add_profile_name(&sb, p, t);
		strbuf_addf(&sb, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRIu64
			    ",\"samples\":[", per ? "nanoseconds" : "none", total);
		/* Rows equal in speedscope terms (GIL flag, merged lines) become one sample. */
		for (k = r; k < end;) {
			size_t j = k + 1;

			while (j < end && !ss_row_cmp(&rows[k], &rows[j], &ctx)) {
				rows[k].count += rows[j].count;
				rows[j].count = 0;
				j++;
			}
			if (k > r)
				strbuf_addch(&sb, ',');
			strbuf_addch(&sb, '[');
			for (uint32_t i = 0; i < rows[k].len; i++)
				strbuf_addf(&sb, i ? ",%" PRIu32 : "%" PRIu32, seq[rows[k].off + i]);
			strbuf_addch(&sb, ']');
			if ((ret = ss_flush(&sb, out, 0)))
				goto out_free;
			k = j;
		}
		strbuf_addstr(&sb, "],\"weights\":[");
		for (k = r; k < end; k++) {
			if (!rows[k].count)
				continue;
			strbuf_addf(&sb, "%s%" PRIu64, k > r ? "," : "",
				    per ? rows[k].count * per : rows[k].count);
			if ((ret = ss_flush(&sb, out, 0)))
				goto out_free;
		}
		strbuf_addstr(&sb, "]}");
		r = end;
	}
	strbuf_addstr(&sb, "],\"name\":");
	if (p->meta.command)
		textenc__add_json_string(&sb, p->meta.command, strlen(p->meta.command));
	else if (o && o->title)
		textenc__add_json_string(&sb, o->title, strlen(o->title));
	else
		strbuf_addstr(&sb, "\"pyflame\"");
	/* the profile (in output order) of the thread that ran the most */
	{
		size_t idx = 0;

		for (size_t r = 0; r < nrows && r < best; r++)
			if (r == 0 || rows[r].thread != rows[r - 1].thread)
				idx++;
		strbuf_addf(&sb, ",\"activeProfileIndex\":%zu", nrows ? idx : 0);
	}
	strbuf_addstr(&sb, ",\"exporter\":\"pyflame " PYFLAME_VERSION "\",\"pyflame\":");
	add_facts(&sb, p);
	strbuf_addstr(&sb, "}\n");
	if ((ret = ss_flush(&sb, out, 1)))
		goto out_free;
	if (fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
out_free:
	strbuf_release(&sb);
	free(active);
	free(seq);
	free(rows);
	free(map);
	free(keys);
	return ret;
}
