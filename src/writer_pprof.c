/*
 * writer_pprof.c - profile.proto (github.com/google/pprof/proto/profile.proto), gzipped.
 *
 * A hand-written encoder: the format needs varints and length-delimited fields only.
 *
 *   sample_type     samples/count, then wall/nanoseconds (cpu/ or gil/ in those modes):
 *                   count x the achieved tick interval (pf_meta__period_ns); the second
 *                   type is left out when the interval is unknown.  It is the default.
 *   sample          one per profile row (thread, stack, flags): location ids leaf first,
 *                   labels pid, tid (numbers), process, thread_name (strings), and
 *                   idle="true" / gil="true" when the row has that flag, and under --tests
 *                   test (the id, or "<collection>" ...) and phase (setup, call,
 *                   teardown) from the stack's test frame (-tagfocus).  An idle row also
 *                   has an "<idle>" leaf and a truncated one a "<truncated>" root, as in the
 *                   other formats.
 *   function        one per (name, file): filename = the full path, start_line = the
 *                   smallest line sampled in it (Python frames give the current line, not
 *                   the def line), 0 if none is known.  No system_name: pprof takes a name
 *                   equal to its system_name for a mangled one and, as the name has '<'
 *                   ('<module>', '<lambda>'), strips it as C++ template arguments.
 *   location        one per profile frame (a distinct function and line), one Line each;
 *                   no mappings, no addresses.
 *   comment         the run's facts: command, python versions, mode, rates, drops, ...
 *
 * Strings are made valid UTF-8; string_table[0] is "".
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pyflame/testattr.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"
#include "pyflame/version.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,

	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,

	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,

	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,

	LOCATION_ID = 1,
	LOCATION_LINE = 4,

	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,

	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* --- encoder ----------------------------------------------------------------------- */

struct pb {
	unsigned char *buf;
	size_t len, alloc;
};

static void pb_raw(struct pb *b, const void *p, size_t n)
{
	if (!n)
		return;
	xgrow((void **)&b->buf, &b->alloc, b->len + n, 1);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n] = v & 0x7f;
		v >>= 7;
		if (v)
			t[n] |= 0x80;
		n++;
	} while (v);
	pb_raw(b, t, n);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void pb_key(struct pb *b, unsigned field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field (uint64, or int64 as its two's complement); zero is the default: left out. */
static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, WIRE_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, unsigned field, const void *p, size_t n)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, n);
	pb_raw(b, p, n);
}

/* An embedded message, then m is emptied for reuse. */
static void pb_msg(struct pb *b, unsigned field, struct pb *m)
{
	pb_bytes(b, field, m->buf, m->len);
	m->len = 0;
}

static void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n)
{
	size_t size = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		size += varint_len(v[i]);
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, size);
	for (size_t i = 0; i < n; i++)
		pb_varint(b, v[i]);
}

/* --- the profile ------------------------------------------------------------------- */

struct pp {
	struct strtab *st;
	struct strbuf tmp;
	struct pb out, msg, sub;
};

/* The string table index of s (made valid UTF-8). */
static uint64_t pp_str(struct pp *pp, const char *s, size_t len)
{
	strbuf_reset(&pp->tmp);
	textenc__add_utf8(&pp->tmp, s, len);
	return strtab__intern(pp->st, pp->tmp.buf, pp->tmp.len);
}

static uint64_t pp_cstr(struct pp *pp, const char *s)
{
	return pp_str(pp, s, strlen(s));
}

static uint64_t pp_pstr(struct pp *pp, const struct profile *p, uint32_t id)
{
	return pp_str(pp, strtab__get(p->strings, id), strtab__len(p->strings, id));
}

static void pp_value_type(struct pp *pp, unsigned field, const char *type, const char *unit)
{
	pb_uint(&pp->msg, VALUETYPE_TYPE, pp_cstr(pp, type));
	pb_uint(&pp->msg, VALUETYPE_UNIT, pp_cstr(pp, unit));
	pb_msg(&pp->out, field, &pp->msg);
}

static void pp_function(struct pp *pp, uint64_t id, uint64_t name, uint64_t file, int64_t start)
{
	pb_uint(&pp->msg, FUNCTION_ID, id);
	pb_uint(&pp->msg, FUNCTION_NAME, name);
	pb_uint(&pp->msg, FUNCTION_FILENAME, file);
	pb_uint(&pp->msg, FUNCTION_START_LINE, (uint64_t)start);
	pb_msg(&pp->out, PROFILE_FUNCTION, &pp->msg);
}

static void pp_location(struct pp *pp, uint64_t id, uint64_t func, int64_t line)
{
	pb_uint(&pp->sub, LINE_FUNCTION_ID, func);
	pb_uint(&pp->sub, LINE_LINE, line > 0 ? (uint64_t)line : 0);
	pb_uint(&pp->msg, LOCATION_ID, id);
	pb_msg(&pp->msg, LOCATION_LINE, &pp->sub);
	pb_msg(&pp->out, PROFILE_LOCATION, &pp->msg);
}

static void pp_label_str(struct pp *pp, uint64_t key, uint64_t str)
{
	pb_uint(&pp->sub, LABEL_KEY, key);
	pb_uint(&pp->sub, LABEL_STR, str);
	pb_msg(&pp->msg, SAMPLE_LABEL, &pp->sub);
}

static void pp_label_num(struct pp *pp, uint64_t key, int64_t num)
{
	pb_uint(&pp->sub, LABEL_KEY, key);
	pb_uint(&pp->sub, LABEL_NUM, (uint64_t)num);
	pb_msg(&pp->msg, SAMPLE_LABEL, &pp->sub);
}

static void pp_comment(struct pp *pp, const char *fmt, ...) PF_PRINTF(2, 3);
static void pp_comment(struct pp *pp, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	pb_key(&pp->out, PROFILE_COMMENT, WIRE_VARINT);
	pb_varint(&pp->out, pp_str(pp, sb.buf, sb.len));
	strbuf_release(&sb);
}

static void pp_comments(struct pp *pp, const struct profile *p)
{
	const struct pf_meta *m = &p->meta;
	struct strbuf v = STRBUF_INIT;

	if (m->command)
		pp_comment(pp, "command: %s", m->command);
	pf_meta__python_versions(p, &v);
	if (v.len)
		pp_comment(pp, "python: %s", v.buf);
	if (m->mode)
		pp_comment(pp, "mode: %s", m->mode);
	if (m->rate_hz > 0 && pf_meta__achieved_hz(m) > 0)
		pp_comment(pp, "rate: %g Hz requested, %.1f Hz achieved", m->rate_hz,
			   pf_meta__achieved_hz(m));
	else if (m->rate_hz > 0)
		pp_comment(pp, "rate: %g Hz requested", m->rate_hz);
	if (m->duration_ns)
		pp_comment(pp, "duration: %.3f s", (double)m->duration_ns / 1e9);
	pp_comment(pp, "samples: %" PRIu64 ", dropped: %" PRIu64 ", ticks missed: %" PRIu64,
		   p->total, m->dropped, m->ticks_missed);
	pp_comment(pp, "exporter: pyflame " PYFLAME_VERSION);
	strbuf_release(&v);
}

struct fkey {
	uint32_t name, file, frame;
};

static int fkey_cmp(const void *a, const void *b)
{
	const struct fkey *x = a, *y = b;

	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return (x->frame > y->frame) - (x->frame < y->frame);
}

/* Functions (one per (name, file)) and their locations (one per frame). */
static void pp_functions(struct pp *pp, const struct profile *p, uint64_t *nfuncs)
{
	struct fkey *keys = xcalloc(p->nframes + 1, sizeof(*keys));
	uint64_t func = 0;

	for (size_t i = 0; i < p->nframes; i++) {
		keys[i].name = p->frames[i].name;
		keys[i].file = p->frames[i].file;
		keys[i].frame = (uint32_t)i;
	}
	qsort(keys, p->nframes, sizeof(*keys), fkey_cmp);
	for (size_t i = 0, j; i < p->nframes; i = j) {
		int32_t start = INT32_MAX;
		uint64_t name;

		for (j = i; j < p->nframes && keys[j].name == keys[i].name &&
			    keys[j].file == keys[i].file; j++) {
			int32_t line = p->frames[keys[j].frame].line;

			if (line > 0 && line < start)
				start = line;
		}
		func++;
		name = strtab__len(p->strings, keys[i].name) ? pp_pstr(pp, p, keys[i].name) :
			pp_cstr(pp, "<unknown>");
		pp_function(pp, func, name, pp_pstr(pp, p, keys[i].file),
			    start == INT32_MAX ? 0 : start);
		for (size_t k = i; k < j; k++)
			pp_location(pp, (uint64_t)keys[k].frame + 1, func,
				    p->frames[keys[k].frame].line);
	}
	free(keys);
	*nfuncs = func;
}

/* Deflate buf with a gzip header into out. */
static int gzip_to(const unsigned char *buf, size_t len, FILE *out)
{
	unsigned char chunk[1 << 16];
	z_stream zs;
	int zr, ret = 0;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (unsigned char *)buf;
	do {
		/* avail_in is 32-bit: feed at most 1 GiB at a time */
		size_t feed = len > (1u << 30) ? (1u << 30) : len;

		if (!zs.avail_in && feed) {
			zs.next_in = (unsigned char *)buf;
			zs.avail_in = (uInt)feed;
			buf += feed;
			len -= feed;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = deflate(&zs, len || zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			ret = -EIO;
			break;
		}
		if (fwrite(chunk, 1, sizeof(chunk) - zs.avail_out, out) !=
		    sizeof(chunk) - zs.avail_out) {
			ret = errno ? -errno : -EIO;
			break;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&zs);
	return ret;
}

int writer_pprof__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	struct pp pp = { .st = strtab__new(), .tmp = STRBUF_INIT };
	double period_ns = pf_meta__period_ns(&p->meta);
	uint64_t per = period_ns > 0 ? (uint64_t)llround(period_ns) : 0;
	const char *mode = p->meta.mode ? p->meta.mode : "wall";
	const char *time_type = !strcmp(mode, "cpu") ? "cpu" : !strcmp(mode, "gil") ? "gil" : "wall";
	uint64_t nfuncs, idle_loc, trunc_loc;
	uint64_t k_pid, k_tid, k_process, k_thread, k_idle, k_gil, v_true, k_test, k_phase;
	uint64_t *locs = NULL, vals[2];
	size_t locs_alloc = 0;
	int ret;

	(void)o;
	errno = 0;
	pp_cstr(&pp, "");		/* string_table[0] must be "" */

	pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "samples", "count");
	if (per) {
		pp_value_type(&pp, PROFILE_SAMPLE_TYPE, time_type, "nanoseconds");
		pp_value_type(&pp, PROFILE_PERIOD_TYPE, time_type, "nanoseconds");
		pb_uint(&pp.out, PROFILE_PERIOD, per);
		pb_uint(&pp.out, PROFILE_DEFAULT_SAMPLE_TYPE, pp_cstr(&pp, time_type));
	}
	pb_uint(&pp.out, PROFILE_TIME_NANOS, p->meta.start_unix_ns);
	pb_uint(&pp.out, PROFILE_DURATION_NANOS, p->meta.duration_ns);

	pp_functions(&pp, p, &nfuncs);
	/* The markers: a function and a location each, after the Python ones. */
	idle_loc = p->nframes + 1;
	trunc_loc = p->nframes + 2;
	pp_function(&pp, nfuncs + 1, pp_cstr(&pp, PF_LABEL_IDLE_TEXT), 0, 0);
	pp_location(&pp, idle_loc, nfuncs + 1, 0);
	pp_function(&pp, nfuncs + 2, pp_cstr(&pp, PF_LABEL_TRUNCATED_TEXT), 0, 0);
	pp_location(&pp, trunc_loc, nfuncs + 2, 0);

	k_pid = pp_cstr(&pp, "pid");
	k_tid = pp_cstr(&pp, "tid");
	k_process = pp_cstr(&pp, "process");
	k_thread = pp_cstr(&pp, "thread_name");
	k_idle = pp_cstr(&pp, "idle");
	k_gil = pp_cstr(&pp, "gil");
	v_true = pp_cstr(&pp, "true");
	k_test = pp_cstr(&pp, "test");
	k_phase = pp_cstr(&pp, "phase");
	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const struct pf_thread *t;
		const uint32_t *st;
		uint32_t n;
		size_t nl = 0;

		if (row->thread >= p->nthreads || row->stack >= p->nstacks || !row->count)
			continue;
		t = &p->threads[row->thread];
		st = p->stack_data + p->stack_off[row->stack];
		n = p->stack_len[row->stack];
		xgrow((void **)&locs, &locs_alloc, (size_t)n + 2, sizeof(*locs));
		if (row->flags & PF_SAMPLE_IDLE)
			locs[nl++] = idle_loc;
		for (uint32_t i = n; i-- > 0;)
			if (st[i] < p->nframes)
				locs[nl++] = (uint64_t)st[i] + 1;
		if (row->flags & PF_SAMPLE_TRUNCATED)
			locs[nl++] = trunc_loc;
		vals[0] = row->count;
		vals[1] = row->count * per;
		pb_packed(&pp.msg, SAMPLE_LOCATION_ID, locs, nl);
		pb_packed(&pp.msg, SAMPLE_VALUE, vals, per ? 2 : 1);
		if (t->proc < p->nprocs) {
			const struct pf_process *pr = &p->procs[t->proc];

			pp_label_num(&pp, k_pid, pr->pid);
			if (strtab__len(p->strings, pr->cmdline))
				pp_label_str(&pp, k_process, pp_pstr(&pp, p, pr->cmdline));
		}
		pp_label_num(&pp, k_tid, t->tid);
		if (strtab__len(p->strings, t->name))
			pp_label_str(&pp, k_thread, pp_pstr(&pp, p, t->name));
		if (row->flags & PF_SAMPLE_IDLE)
			pp_label_str(&pp, k_idle, v_true);
		if (row->flags & PF_SAMPLE_GIL)
			pp_label_str(&pp, k_gil, v_true);
		if (n && st[0] < p->nframes && p->frames[st[0]].line == PF_LINE_TEST) {
			uint32_t name = p->frames[st[0]].name;
			const char *text = strtab__get(p->strings, name), *id;
			size_t id_len;
			enum test_where w;
			enum test_phase ph;

			if (!testattr__parse_label(text, strtab__len(p->strings, name), &w, &id,
						   &id_len, &ph)) {
				if (w == TEST_WHERE_TEST) {
					pp_label_str(&pp, k_test, pp_str(&pp, id, id_len));
					pp_label_str(&pp, k_phase, pp_cstr(&pp, test_phase__name(ph)));
				} else {
					pp_label_str(&pp, k_test, pp_cstr(&pp, test_where__label(w)));
				}
			}
		}
		pb_msg(&pp.out, PROFILE_SAMPLE, &pp.msg);
	}
	pp_comments(&pp, p);

	/* Last, every string the fields above refer to. */
	for (size_t i = 0; i < strtab__count(pp.st); i++)
		pb_bytes(&pp.out, PROFILE_STRING_TABLE, strtab__get(pp.st, (uint32_t)i),
			 strtab__len(pp.st, (uint32_t)i));

	ret = gzip_to(pp.out.buf, pp.out.len, out);
	if (!ret && (fflush(out) == EOF || ferror(out)))
		ret = errno ? -errno : -EIO;
	free(locs);
	free(pp.out.buf);
	free(pp.msg.buf);
	free(pp.sub.buf);
	strbuf_release(&pp.tmp);
	strtab__free(pp.st);
	return ret;
}
