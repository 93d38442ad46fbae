/*
 * test_formats.c - speedscope, pprof and timeline writers: format names, structure checked
 * in C (a small protobuf decoder, zlib), and real consumers when present at test time
 * (python3's json, go tool pprof); each skips with a message when its tool is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

#include "pyflame/rawlog.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"
#include "profile_build.h"

/*
 * The known profile (as in test_writers.c): 15 samples, one process, two threads, at an
 * achieved 100 Hz (250 ticks in 2.5 s: 10 ms a sample).
 *   main thread: compute 6, main 2, fib 4 (GIL held), <lambda> 1 in a path with '&'
 *   worker: sleep 2, idle
 */
static struct profile *known_profile(void)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 4242, "python3 app.py", "3.12.1");
	uint32_t m = profile__thread(p, pr, 4242, "MainThread");
	uint32_t w = profile__thread(p, pr, 4243, "worker");

	p->meta.mode = xstrdup("wall");
	p->meta.command = xstrdup("python3 app.py --n 3");
	p->meta.rate_hz = 100;
	p->meta.duration_ns = 2500000000ull;
	p->meta.ticks = 250;
	p->meta.dropped = 3;
	p->meta.start_unix_ns = 1700000000123456789ull;
	PB_ADD(p, m, 0, 6, "<module>@app.py:30", "main@app.py:20", "compute@app.py:10");
	PB_ADD(p, m, 0, 2, "<module>@app.py:30", "main@app.py:21");
	PB_ADD(p, m, PF_SAMPLE_GIL, 4, "<module>@app.py:31", "fib@fib.py:1", "fib@fib.py:2",
	       "fib@fib.py:2");
	PB_ADD(p, m, 0, 1, "<module>@app.py:32", "<lambda>@/srv/R&D/tool.py:5");
	PB_ADD(p, w, PF_SAMPLE_IDLE, 2, "run@/usr/lib/python3.12/threading.py:1010",
	       "sleep@app.py:40");
	return p;
}

static const struct output_opts default_opts = { .line_numbers = 1 };

/* Run a writer into memory; returns the bytes (NUL-terminated), *len their count. */
static char *render(enum pf_format f, const struct profile *p, const struct output_opts *o,
		    size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	assert_non_null(m);
	assert_int_equal(pf_write(f, p, o, m), 0);
	assert_int_equal(fclose(m), 0);
	if (len)
		*len = n;
	return buf;
}

static int have_tool(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Write buf to a new temporary file named with suffix; path into out (64 bytes). */
static void to_temp(const void *buf, size_t len, const char *suffix, char *out)
{
	int fd;

	snprintf(out, 64, "/tmp/pyflame-fmt-XXXXXX%s", suffix);
	fd = mkstemps(out, (int)strlen(suffix));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/*
 * Run a python3 check on a file: script reads json from sys.argv[1] into d and asserts;
 * returns 1 if it ran (and passed), 0 if python3 is missing.
 */
static int python_check(const char *path, const char *script)
{
	char *cmd;
	int rc;

	if (!have_tool("python3")) {
		print_message("    (skipped: python3 not found)\n");
		return 0;
	}
	assert_true(asprintf(&cmd, "python3 -c 'import json, sys\n"
			     "d = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n%s' '%s'",
			     script, path) > 0);
	rc = system(cmd);
	free(cmd);
	assert_int_equal(rc, 0);
	return 1;
}

/* --- names ------------------------------------------------------------------------- */

static void pf_format__new_extensions_and_names__map_to_formats(void **state)
{
	(void)state;
	assert_int_equal(pf_format__from_path("x.speedscope.json"), PF_FORMAT_SPEEDSCOPE);
	assert_int_equal(pf_format__from_path("/a.b/X.SPEEDSCOPE.JSON"), PF_FORMAT_SPEEDSCOPE);
	assert_int_equal(pf_format__from_path("x.json"), PF_FORMAT_SPEEDSCOPE);
	assert_int_equal(pf_format__from_path("x.pb.gz"), PF_FORMAT_PPROF);
	assert_int_equal(pf_format__from_path("x.pprof"), PF_FORMAT_PPROF);
	assert_int_equal(pf_format__from_path("x.gz"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_path("x.trace.json"), PF_FORMAT_TIMELINE);
	assert_int_equal(pf_format__from_path("run.perfetto.json"), PF_FORMAT_TIMELINE);
	assert_int_equal(pf_format__from_path("dir.trace.json/x.svg"), PF_FORMAT_SVG);
	assert_int_equal(pf_format__from_path(".pb.gz"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_path("x.raw"), PF_FORMAT_RAW);
	assert_int_equal(pf_format__from_path("run.tests.json"), PF_FORMAT_TESTS_JSON);
	assert_int_equal(pf_format__from_path("run.tests.csv"), PF_FORMAT_TESTS_CSV);
	assert_int_equal(pf_format__from_path("run.TESTS.md"), PF_FORMAT_TESTS_MD);
	assert_int_equal(pf_format__from_path("run.md"), PF_FORMAT_NONE);
	assert_int_equal(pf_format__from_name("tests-json"), PF_FORMAT_TESTS_JSON);
	assert_int_equal(pf_format__from_name("speedscope"), PF_FORMAT_SPEEDSCOPE);
	assert_int_equal(pf_format__from_name("pprof"), PF_FORMAT_PPROF);
	assert_int_equal(pf_format__from_name("timeline"), PF_FORMAT_TIMELINE);
	assert_int_equal(pf_format__from_name("perfetto"), PF_FORMAT_TIMELINE);
	assert_int_equal(pf_format__from_name("json"), PF_FORMAT_NONE);
	assert_string_equal(pf_format__name(PF_FORMAT_PPROF), "pprof");
	assert_string_equal(pf_format__name(PF_FORMAT_TIMELINE), "timeline");
	/* what pyflame names a file of each format maps back to that format */
	for (int f = PF_FORMAT_SVG; f <= PF_FORMAT_TESTS_MD; f++) {
		char path[64];

		snprintf(path, sizeof(path), "out.%s", pf_format__extension((enum pf_format)f));
		assert_int_equal(pf_format__from_path(path), f);
	}
}

/* The format table: every format has one row; each of its names and extensions leads back. */
static void pf_format__info__every_row_names_and_extensions_map_back(void **state)
{
	(void)state;
	assert_null(pf_format__info(PF_FORMAT_NONE));
	for (int f = PF_FORMAT_SVG; f <= PF_FORMAT_TESTS_MD; f++) {
		const struct pf_format_info *fi = pf_format__info((enum pf_format)f);

		assert_non_null(fi);
		assert_int_equal(fi->format, f);
		assert_int_equal(pf_format__from_name(fi->name), f);
		for (const char *const *a = fi->aliases; *a; a++)
			assert_int_equal(pf_format__from_name(*a), f);
		for (const char *const *e = fi->extensions; *e; e++) {
			char path[64];

			assert_true((*e)[0] == '.');
			snprintf(path, sizeof(path), "dir/name%s", *e);
			assert_int_equal(pf_format__from_path(path), f);
		}
		/* the raw log is kept as sampled, never rendered */
		assert_true((fi->write == NULL) == (f == PF_FORMAT_RAW));
	}
}

/* --- speedscope -------------------------------------------------------------------- */

static void writer_speedscope__known_profile__frames_profiles_weights(void **state)
{
	struct profile *p = known_profile();
	char *out = render(PF_FORMAT_SPEEDSCOPE, p, &default_opts, NULL);
	char path[64];

	(void)state;
	assert_non_null(strstr(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
	assert_non_null(strstr(out, "\"exporter\":\"pyflame 0.1.0\""));
	assert_non_null(strstr(out, "\"name\":\"python3 app.py --n 3\""));
	assert_non_null(strstr(out, "\"name\":\"python3 app.py [pid 4242] thread 4242 (MainThread)\""));
	assert_non_null(strstr(out, "\"name\":\"python3 app.py [pid 4242] thread 4243 (worker)\""));
	assert_non_null(strstr(out, "{\"name\":\"compute\",\"file\":\"app.py\",\"line\":10}"));
	assert_non_null(strstr(out, "{\"name\":\"" PF_LABEL_IDLE_TEXT "\"}"));
	assert_null(strstr(out, PF_LABEL_TRUNCATED_TEXT));
	assert_non_null(strstr(out, "\"unit\":\"nanoseconds\""));
	assert_non_null(strstr(out, "\"python\":\"3.12.1\""));
	to_temp(out, strlen(out), ".json", path);
	python_check(path,
		"fr = d[\"shared\"][\"frames\"]\n"
		"names = [f[\"name\"] for f in fr]\n"
		"assert len(d[\"profiles\"]) == 2, d[\"profiles\"]\n"
		"m, w = d[\"profiles\"]\n"
		"assert m[\"type\"] == \"sampled\" and m[\"startValue\"] == 0\n"
		"assert sum(m[\"weights\"]) == m[\"endValue\"] == 13 * 10000000, m\n"
		"assert sum(w[\"weights\"]) == w[\"endValue\"] == 2 * 10000000, w\n"
		"st = {tuple(names[i] for i in s): x for s, x in zip(m[\"samples\"], m[\"weights\"])}\n"
		"assert st[(\"<module>\", \"main\", \"compute\")] == 60000000, st\n"
		"assert st[(\"<module>\", \"fib\", \"fib\", \"fib\")] == 40000000, st\n"
		"assert [names[i] for i in w[\"samples\"][0]] == [\"Thread.run\", \"sleep\", \"<idle>\"] or "
		"[names[i] for i in w[\"samples\"][0]][-1] == \"<idle>\", w\n"
		"assert d[\"activeProfileIndex\"] == 0\n"
		"assert d[\"pyflame\"][\"dropped\"] == 3 and d[\"pyflame\"][\"mode\"] == \"wall\"\n"
		"assert abs(d[\"pyflame\"][\"achieved_hz\"] - 100) < 1e-6\n");
	unlink(path);
	free(out);
	profile__free(p);
}

static void writer_speedscope__no_line_numbers__lines_merged(void **state)
{
	struct profile *p = known_profile();
	struct output_opts o = { .line_numbers = 0 };
	char *out = render(PF_FORMAT_SPEEDSCOPE, p, &o, NULL);

	(void)state;
	/* main@20 and main@21 are one frame; the two rows on <module>:30 stay apart (main vs compute) */
	assert_int_equal(count_of(out, "{\"name\":\"main\",\"file\":\"app.py\"}"), 1);
	assert_int_equal(count_of(out, "{\"name\":\"<module>\",\"file\":\"app.py\"}"), 1);
	assert_null(strstr(out, "\"line\":"));
	free(out);
	profile__free(p);
}

static void writer_speedscope__unknown_rate__unit_none_counts(void **state)
{
	struct profile *p = known_profile();
	char *out;

	(void)state;
	p->meta.rate_hz = 0;
	p->meta.ticks = 0;
	out = render(PF_FORMAT_SPEEDSCOPE, p, &default_opts, NULL);
	assert_non_null(strstr(out, "\"unit\":\"none\",\"startValue\":0,\"endValue\":13,"));
	free(out);
	profile__free(p);
}

static void writer_speedscope__hostile_strings__valid_json(void **state)
{
	struct profile *p = profile__new();
	uint32_t pr = profile__process(p, 7, "py\"th\xffon\n", "3.12.1");
	uint32_t t = profile__thread(p, pr, 7, "\x01name\\");
	char path[64];
	char *out;

	(void)state;
	PB_ADD(p, t, PF_SAMPLE_TRUNCATED, 1, "f\xc3\x28@/x/\"q\".py:1");
	out = render(PF_FORMAT_SPEEDSCOPE, p, &default_opts, NULL);
	assert_non_null(strstr(out, PF_LABEL_TRUNCATED_TEXT));
	to_temp(out, strlen(out), ".json", path);
	python_check(path,
		"assert d[\"shared\"][\"frames\"][0][\"file\"] == \"/x/\\\"q\\\".py\"\n"
		"assert d[\"profiles\"][0][\"name\"].startswith(\"py\\\"th\\ufffdon\")\n"
		"assert [d[\"shared\"][\"frames\"][i][\"name\"] for i in d[\"profiles\"][0][\"samples\"][0]]"
		" == [\"<truncated>\", \"f\\ufffd(\"]\n");
	unlink(path);
	free(out);
	profile__free(p);
}

/* --- pprof: a minimal decoder ------------------------------------------------------ */

struct pbr {
	const unsigned char *p, *end;
};

static uint64_t pbr_varint(struct pbr *r)
{
	uint64_t v = 0;

	for (unsigned s = 0; s < 64; s += 7) {
		assert_true(r->p < r->end);
		v |= (uint64_t)(*r->p & 0x7f) << s;
		if (!(*r->p++ & 0x80))
			return v;
	}
	fail_msg("varint too long");
	return 0;
}

/* Next field: its number, wire type, and for LEN fields the payload in *sub; 0 at the end. */
static unsigned pbr_next(struct pbr *r, unsigned *wire, uint64_t *v, struct pbr *sub)
{
	uint64_t key;

	if (r->p >= r->end)
		return 0;
	key = pbr_varint(r);
	*wire = key & 7;
	if (*wire == 0) {
		*v = pbr_varint(r);
	} else if (*wire == 2) {
		uint64_t n = pbr_varint(r);

		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
	} else {
		fail_msg("unexpected wire type %u", *wire);
	}
	return (unsigned)(key >> 3);
}

#define PP_MAX 256

struct pp_sample {
	uint64_t loc[64];
	size_t nloc;
	uint64_t val[2];
	size_t nval;
	struct { uint64_t key, str, num; } label[8];	/* string indices; num if str is 0 */
	size_t nlabels;
};

struct pp_profile {
	const char *str[PP_MAX * 4];
	size_t nstr;
	uint64_t sample_type[2][2];
	size_t ntypes;
	struct pp_sample sample[PP_MAX];
	size_t nsamples;
	struct { uint64_t id, func, line; } loc[PP_MAX];
	size_t nlocs;
	struct { uint64_t id, name, system_name, file, start; } func[PP_MAX];
	size_t nfuncs;
	uint64_t comment[32];
	size_t ncomments;
	uint64_t time, duration, period, default_type;
	uint64_t period_type[2];
	unsigned char *raw;
};

static void packed(struct pbr *sub, unsigned wire, uint64_t v, uint64_t *out, size_t *n, size_t max)
{
	if (wire == 0) {
		assert_true(*n < max);
		out[(*n)++] = v;
		return;
	}
	while (sub->p < sub->end) {
		assert_true(*n < max);
		out[(*n)++] = pbr_varint(sub);
	}
}

static void decode_sample(struct pp_profile *pp, struct pbr *r)
{
	struct pp_sample *s = &pp->sample[pp->nsamples++];
	struct pbr sub, lab;
	unsigned f, w;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	while ((f = pbr_next(r, &w, &v, &sub))) {
		if (f == 1) {
			packed(&sub, w, v, s->loc, &s->nloc, 64);
		} else if (f == 2) {
			packed(&sub, w, v, s->val, &s->nval, 2);
		} else if (f == 3) {
			struct pbr x;

			assert_true(s->nlabels < ARRAY_SIZE(s->label));
			lab = sub;
			while ((f = pbr_next(&lab, &w, &v, &x))) {
				if (f == 1)
					s->label[s->nlabels].key = v;
				else if (f == 2)
					s->label[s->nlabels].str = v;
				else if (f == 3)
					s->label[s->nlabels].num = v;
			}
			s->nlabels++;
		}
	}
}

static void decode_profile(struct pp_profile *pp, const unsigned char *gz, size_t gzlen)
{
	z_stream zs;
	size_t cap = 1 << 20;
	struct pbr r, sub, x;
	unsigned f, w;
	uint64_t v;

	memset(pp, 0, sizeof(*pp));
	/* gunzip: a gzip header is required (16 + 15 window bits means gzip only) */
	assert_true(gzlen > 2 && gz[0] == 0x1f && gz[1] == 0x8b);
	pp->raw = xmalloc(cap);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (unsigned char *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = pp->raw;
	zs.avail_out = (uInt)cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	r.p = pp->raw;
	r.end = pp->raw + zs.total_out;
	inflateEnd(&zs);

	while ((f = pbr_next(&r, &w, &v, &sub))) {
		switch (f) {
		case 1:
			assert_true(pp->ntypes < 2);
			while ((f = pbr_next(&sub, &w, &v, &x)))
				pp->sample_type[pp->ntypes][f - 1] = v;
			pp->ntypes++;
			break;
		case 2:
			assert_true(pp->nsamples < PP_MAX);
			decode_sample(pp, &sub);
			break;
		case 4:
			assert_true(pp->nlocs < PP_MAX);
			while ((f = pbr_next(&sub, &w, &v, &x))) {
				if (f == 1) {
					pp->loc[pp->nlocs].id = v;
				} else if (f == 4) {
					struct pbr ln = x, y;

					while ((f = pbr_next(&ln, &w, &v, &y))) {
						if (f == 1)
							pp->loc[pp->nlocs].func = v;
						else if (f == 2)
							pp->loc[pp->nlocs].line = v;
					}
				}
			}
			pp->nlocs++;
			break;
		case 5:
			assert_true(pp->nfuncs < PP_MAX);
			while ((f = pbr_next(&sub, &w, &v, &x))) {
				if (f == 1)
					pp->func[pp->nfuncs].id = v;
				else if (f == 2)
					pp->func[pp->nfuncs].name = v;
				else if (f == 3)
					pp->func[pp->nfuncs].system_name = v;
				else if (f == 4)
					pp->func[pp->nfuncs].file = v;
				else if (f == 5)
					pp->func[pp->nfuncs].start = v;
			}
			pp->nfuncs++;
			break;
		case 6:
			assert_true(pp->nstr < ARRAY_SIZE(pp->str));
			pp->str[pp->nstr++] = xstrndup((const char *)sub.p, (size_t)(sub.end - sub.p));
			break;
		case 9:
			pp->time = v;
			break;
		case 10:
			pp->duration = v;
			break;
		case 11:
			while ((f = pbr_next(&sub, &w, &v, &x)))
				pp->period_type[f - 1] = v;
			break;
		case 12:
			pp->period = v;
			break;
		case 13:
			assert_true(pp->ncomments < 32);
			pp->comment[pp->ncomments++] = v;
			break;
		case 14:
			pp->default_type = v;
			break;
		default:
			fail_msg("unexpected Profile field %u", f);
		}
	}
}

static void pp_free(struct pp_profile *pp)
{
	for (size_t i = 0; i < pp->nstr; i++)
		free((char *)pp->str[i]);
	free(pp->raw);
}

static const char *pp_s(const struct pp_profile *pp, uint64_t i)
{
	assert_true(i < pp->nstr);
	return pp->str[i];
}

/* The label of sample s with key, as its string or its number; NULL if absent. */
static const char *pp_label(const struct pp_profile *pp, const struct pp_sample *s,
			    const char *key, char *num)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		if (strcmp(pp_s(pp, s->label[i].key), key))
			continue;
		if (s->label[i].str)
			return pp_s(pp, s->label[i].str);
		sprintf(num, "%llu", (unsigned long long)s->label[i].num);
		return num;
	}
	return NULL;
}

/* The function name at location id. */
static const char *pp_loc_name(const struct pp_profile *pp, uint64_t id, uint64_t *line)
{
	for (size_t i = 0; i < pp->nlocs; i++) {
		if (pp->loc[i].id != id)
			continue;
		for (size_t j = 0; j < pp->nfuncs; j++) {
			if (pp->func[j].id == pp->loc[i].func) {
				if (line)
					*line = pp->loc[i].line;
				return pp_s(pp, pp->func[j].name);
			}
		}
	}
	fail_msg("location %llu not found", (unsigned long long)id);
	return NULL;
}

static int pp_has_comment(const struct pp_profile *pp, const char *text)
{
	for (size_t i = 0; i < pp->ncomments; i++)
		if (!strcmp(pp_s(pp, pp->comment[i]), text))
			return 1;
	return 0;
}

static void writer_pprof__known_profile__decodes_to_the_same_samples(void **state)
{
	struct profile *p = known_profile();
	size_t len;
	unsigned char *gz = (unsigned char *)render(PF_FORMAT_PPROF, p, &default_opts, &len);
	struct pp_profile *pp = xcalloc(1, sizeof(*pp));
	uint64_t total = 0, wall = 0, line;
	int seen_compute = 0, seen_idle = 0, seen_gil = 0;
	char num[32];

	(void)state;
	decode_profile(pp, gz, len);
	assert_string_equal(pp_s(pp, 0), "");
	assert_int_equal(pp->ntypes, 2);
	assert_string_equal(pp_s(pp, pp->sample_type[0][0]), "samples");
	assert_string_equal(pp_s(pp, pp->sample_type[0][1]), "count");
	assert_string_equal(pp_s(pp, pp->sample_type[1][0]), "wall");
	assert_string_equal(pp_s(pp, pp->sample_type[1][1]), "nanoseconds");
	assert_string_equal(pp_s(pp, pp->period_type[0]), "wall");
	assert_string_equal(pp_s(pp, pp->default_type), "wall");
	assert_int_equal(pp->period, 10000000);
	assert_int_equal(pp->time, 1700000000123456789ull);
	assert_int_equal(pp->duration, 2500000000ull);
	assert_int_equal(pp->nsamples, 5);

	for (size_t i = 0; i < pp->nsamples; i++) {
		const struct pp_sample *s = &pp->sample[i];
		const char *leaf;

		assert_int_equal(s->nval, 2);
		assert_int_equal(s->val[1], s->val[0] * 10000000);
		total += s->val[0];
		wall += s->val[1];
		assert_string_equal(pp_label(pp, s, "pid", num), "4242");
		assert_string_equal(pp_label(pp, s, "process", num), "python3 app.py");
		leaf = pp_loc_name(pp, s->loc[0], &line);
		/* root last: every stack starts at <module> or Thread.run */
		assert_true(!strcmp(pp_loc_name(pp, s->loc[s->nloc - 1], NULL), "<module>") ||
			    !strcmp(pp_loc_name(pp, s->loc[s->nloc - 1], NULL), "run"));
		if (!strcmp(leaf, "compute")) {
			seen_compute = 1;
			assert_int_equal(s->val[0], 6);
			assert_int_equal(line, 10);
			assert_int_equal(s->nloc, 3);
			assert_string_equal(pp_loc_name(pp, s->loc[1], &line), "main");
			assert_int_equal(line, 20);
			assert_string_equal(pp_label(pp, s, "tid", num), "4242");
			assert_string_equal(pp_label(pp, s, "thread_name", num), "MainThread");
			assert_null(pp_label(pp, s, "idle", num));
		}
		if (!strcmp(leaf, PF_LABEL_IDLE_TEXT)) {
			seen_idle = 1;
			assert_int_equal(s->val[0], 2);
			assert_string_equal(pp_loc_name(pp, s->loc[1], NULL), "sleep");
			assert_string_equal(pp_label(pp, s, "idle", num), "true");
			assert_string_equal(pp_label(pp, s, "tid", num), "4243");
			assert_string_equal(pp_label(pp, s, "thread_name", num), "worker");
		}
		if (pp_label(pp, s, "gil", num)) {
			seen_gil = 1;
			assert_string_equal(leaf, "fib");
		}
	}
	assert_true(seen_compute && seen_idle && seen_gil);
	assert_int_equal(total, 15);
	assert_int_equal(wall, 150000000);

	/* functions: one per (name, file), start_line the smallest line seen; no system_name */
	for (size_t i = 0; i < pp->nfuncs; i++) {
		assert_int_equal(pp->func[i].system_name, 0);
		if (!strcmp(pp_s(pp, pp->func[i].name), "fib")) {
			assert_int_equal(pp->func[i].start, 1);
			assert_string_equal(pp_s(pp, pp->func[i].file), "fib.py");
		}
		if (!strcmp(pp_s(pp, pp->func[i].name), "<lambda>"))
			assert_string_equal(pp_s(pp, pp->func[i].file), "/srv/R&D/tool.py");
	}
	assert_true(pp_has_comment(pp, "command: python3 app.py --n 3"));
	assert_true(pp_has_comment(pp, "python: 3.12.1"));
	assert_true(pp_has_comment(pp, "mode: wall"));
	assert_true(pp_has_comment(pp, "rate: 100 Hz requested, 100.0 Hz achieved"));
	assert_true(pp_has_comment(pp, "samples: 15, dropped: 3, ticks missed: 0"));
	pp_free(pp);
	free(pp);
	free(gz);
	profile__free(p);
}

static void writer_pprof__cpu_mode_unknown_rate__count_only(void **state)
{
	struct profile *p = known_profile();
	size_t len;
	unsigned char *gz;
	struct pp_profile *pp = xcalloc(1, sizeof(*pp));

	(void)state;
	p->meta.rate_hz = 0;
	p->meta.ticks = 0;
	gz = (unsigned char *)render(PF_FORMAT_PPROF, p, &default_opts, &len);
	decode_profile(pp, gz, len);
	assert_int_equal(pp->ntypes, 1);
	assert_int_equal(pp->period, 0);
	for (size_t i = 0; i < pp->nsamples; i++)
		assert_int_equal(pp->sample[i].nval, 1);
	pp_free(pp);
	free(gz);

	free(p->meta.mode);
	p->meta.mode = xstrdup("cpu");
	p->meta.rate_hz = 250;
	gz = (unsigned char *)render(PF_FORMAT_PPROF, p, &default_opts, &len);
	memset(pp, 0, sizeof(*pp));
	decode_profile(pp, gz, len);
	assert_int_equal(pp->ntypes, 2);
	assert_string_equal(pp_s(pp, pp->sample_type[1][0]), "cpu");
	assert_int_equal(pp->period, 4000000);
	pp_free(pp);
	free(pp);
	free(gz);
	profile__free(p);
}

/* go tool pprof, the reference consumer: the top function by flat time is compute. */
/*
 * pstats: Python's own pstats loads the file; recursion shows as nc > cc, idle samples
 * are an {idle} builtin under the function that waited, times are samples x 10 ms.
 */
static void writer_pstats__known_profile__pstats_loads_it(void **state)
{
	struct profile *p = known_profile();
	char path[64], *cmd;
	size_t len;
	char *out = render(PF_FORMAT_PSTATS, p, &default_opts, &len);

	(void)state;
	if (!have_tool("python3")) {
		print_message("    (skipped: python3 not found)\n");
		goto out_free;
	}
	to_temp(out, len, ".pstats", path);
	assert_true(asprintf(&cmd, "python3 -c '%s' %s",
		"import pstats, sys\n"
		"s = pstats.Stats(sys.argv[1]).stats\n"
		"near = lambda a, b: abs(a - b) < 1e-9\n"
		"fib = s[(\"fib.py\", 1, \"fib\")]\n"
		"assert fib[:2] == (4, 12) and near(fib[2], 0.04) and near(fib[3], 0.04), fib\n"
		"assert fib[4][(\"fib.py\", 1, \"fib\")][:2] == (8, 4), fib[4]\n"
		"idle = s[(\"~\", 0, \"<idle>\")]\n"
		"assert idle[:2] == (2, 2) and near(idle[2], 0.02), idle\n"
		"assert list(idle[4]) == [(\"app.py\", 40, \"sleep\")], idle\n"
		"sl = s[(\"app.py\", 40, \"sleep\")]\n"
		"assert near(sl[2], 0) and near(sl[3], 0.02), sl\n"
		"mod = s[(\"app.py\", 30, \"<module>\")]\n"
		"assert mod[:2] == (13, 13) and near(mod[3], 0.13) and mod[4] == {}, mod\n"
		"main = s[(\"app.py\", 20, \"main\")]\n"
		"assert near(main[2], 0.02) and near(main[3], 0.08), main\n"
		"assert len(s) == 8, sorted(s)\n", path) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	unlink(path);
out_free:
	free(out);
	profile__free(p);
}

/*
 * html: the known profile's lines with their counts; a path with '&' escaped; sources
 * that are not there listed, not fatal.
 */
static void writer_html__known_profile__counts_escaped_missing_listed(void **state)
{
	struct profile *p = known_profile();
	struct output_opts o = default_opts;
	char *out;

	(void)state;
	o.title = "t <b>&</b>";
	out = render(PF_FORMAT_HTML, p, &o, NULL);
	assert_non_null(strstr(out, "<title>pyflame: t &lt;b&gt;&amp;&lt;/b&gt;</title>"));
	/* compute: own 6, total 6; main:21 own 2; app.py:30 (<module>) own 0, total 8 */
	assert_non_null(strstr(out, "data-line=\"10\" data-own=\"6\" data-idle=\"0\" data-total=\"6\""));
	assert_non_null(strstr(out, "data-line=\"21\" data-own=\"2\" data-idle=\"0\" data-total=\"2\""));
	assert_non_null(strstr(out, "data-line=\"30\" data-own=\"0\" data-idle=\"0\" data-total=\"8\""));
	/* fib.py:2 twice on a stack counts once in total; sleep's 2 samples are idle */
	assert_non_null(strstr(out, "data-line=\"2\" data-own=\"4\" data-idle=\"0\" data-total=\"4\""));
	assert_non_null(strstr(out, "data-line=\"40\" data-own=\"0\" data-idle=\"2\" data-total=\"2\""));
	assert_non_null(strstr(out, "data-file=\"/srv/R&amp;D/tool.py\""));
	assert_null(strstr(out, "R&D"));
	assert_non_null(strstr(out, "<li>/srv/R&amp;D/tool.py: No such file or directory</li>"));
	assert_non_null(strstr(out, "</html>"));
	free(out);
	profile__free(p);
}

static void writer_pprof__go_tool_pprof__lists_top_function(void **state)
{
	struct profile *p = known_profile();
	char path[64], cmd[256], line[512];
	size_t len;
	char *gz;
	FILE *f;
	int found = 0, header = 0;

	(void)state;
	if (!have_tool("go")) {
		print_message("    (skipped: 'go' not found; apt-get install golang-go, or run "
			      "make check-consumers)\n");
		profile__free(p);
		skip();
	}
	gz = render(PF_FORMAT_PPROF, p, &default_opts, &len);
	to_temp(gz, len, ".pb.gz", path);
	snprintf(cmd, sizeof(cmd), "go tool pprof -top '%s' 2>&1", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "flat%") && strstr(line, "cum%")) {
			header = 1;
			continue;
		}
		/* the first row after the header: "60ms 40.00% 40.00% 60ms 40.00%  compute" */
		if (header == 1) {
			found = strstr(line, " compute\n") != NULL;
			if (!found)
				print_message("    go tool pprof's first row: %s", line);
			header = 2;
		}
		if (strstr(line, "command: python3 app.py --n 3"))
			found |= 2;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(found & 1, 1);
	unlink(path);
	free(gz);
	profile__free(p);
}

/* --- timeline ---------------------------------------------------------------------- */

#define MS 1000000ull
#define T0 (5000 * MS)		/* the log's start on the monotonic clock */

struct tl_fixture {
	struct profile *p;
	char path[64];
	struct rawlog *log;
	uint32_t main_t, worker_t;
};

static void tl_begin(struct tl_fixture *fx, const char *mode)
{
	int fd;
	uint32_t pr;

	fx->p = profile__new();
	pr = profile__process(fx->p, 42, "python3 app.py", "3.11.2");
	fx->main_t = profile__thread(fx->p, pr, 42, "MainThread");
	fx->worker_t = profile__thread(fx->p, pr, 43, "worker");
	fx->p->meta.command = xstrdup("python3 app.py");
	fx->p->meta.mode = xstrdup(mode);
	fx->p->meta.rate_hz = 100;
	snprintf(fx->path, sizeof(fx->path), "/tmp/pyflame-fmt-XXXXXX.raw");
	fd = mkstemps(fx->path, 4);
	assert_true(fd >= 0);
	fx->log = rawlog__new(fd, T0);
	assert_non_null(fx->log);
	rawlog__meta(fx->log, &fx->p->meta);
}

/* One sample at ms after the start: a stack given as frames "name@file:line", root first. */
static void tl_sample(struct tl_fixture *fx, uint64_t ms, uint32_t thread, uint32_t flags,
		      const char *const *spec, size_t n)
{
	uint32_t frames[16];
	uint32_t stack;

	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(spec[i], '@'), *colon = strrchr(spec[i], ':');
		struct pf_frame f = {
			.name = strtab__intern(fx->p->strings, spec[i], (size_t)(at - spec[i])),
			.file = strtab__intern(fx->p->strings, at + 1, (size_t)(colon - at - 1)),
			.line = atoi(colon + 1),
		};

		frames[i] = profile__frame(fx->p, &f);
	}
	stack = profile__stack(fx->p, frames, n);
	profile__add(fx->p, thread, stack, flags, 1);
	rawlog__sample(fx->log, fx->p, T0 + ms * MS, thread, stack, flags);
}

#define TL_SAMPLE(fx, ms, t, fl, ...) do { \
	static const char *const s_[] = { __VA_ARGS__ }; \
	tl_sample(fx, ms, t, fl, s_, ARRAY_SIZE(s_)); \
} while (0)

static char *tl_end(struct tl_fixture *fx, uint64_t ticks, uint64_t duration_ms)
{
	struct output_opts o = { .line_numbers = 1, .rawlog_path = fx->path };
	char *out;

	fx->p->meta.ticks = ticks;
	fx->p->meta.duration_ns = duration_ms * MS;
	assert_int_equal(rawlog__close(fx->log, &fx->p->meta), 0);
	out = render(PF_FORMAT_TIMELINE, fx->p, &o, NULL);
	unlink(fx->path);
	profile__free(fx->p);
	return out;
}

/* An X event, as the writer prints it (ts and dur in µs with three decimals). */
static int has_event(const char *out, const char *name, int tid, const char *ts, const char *dur)
{
	char want[256];

	snprintf(want, sizeof(want), "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":42,"
		 "\"tid\":%d,\"ts\":%s,\"dur\":%s", name, name[0] == '<' ? "idle" : "python",
		 tid, ts, dur);
	if (strstr(out, want))
		return 1;
	print_message("    missing: %s\n", want);
	return 0;
}

static void writer_timeline__wall_samples__merged_nested_events(void **state)
{
	struct tl_fixture fx;
	char *out, path[64];

	(void)state;
	tl_begin(&fx, "wall");
	/* main: A>B>C for 4 ticks (C's line changes: still one event), then A>B>D for 2 */
	for (int i = 0; i < 6; i++) {
		if (i < 4 && i % 2)
			TL_SAMPLE(&fx, i * 10, fx.main_t, 0, "A@a.py:1", "B@a.py:5", "C@a.py:9");
		else if (i < 4)
			TL_SAMPLE(&fx, i * 10, fx.main_t, 0, "A@a.py:1", "B@a.py:5", "C@a.py:10");
		else
			TL_SAMPLE(&fx, i * 10, fx.main_t, PF_SAMPLE_GIL, "A@a.py:1", "B@a.py:6",
				  "D@d.py:3");
		/* worker: asleep for the first three ticks, then gone */
		if (i < 3)
			TL_SAMPLE(&fx, i * 10, fx.worker_t, PF_SAMPLE_IDLE, "run@t.py:1",
				  "sleep@t.py:2");
	}
	out = tl_end(&fx, 6, 60);

	assert_true(has_event(out, "A", 42, "0.000", "60000.000"));
	assert_true(has_event(out, "B", 42, "0.000", "60000.000"));
	assert_true(has_event(out, "C", 42, "0.000", "40000.000"));
	assert_true(has_event(out, "D", 42, "40000.000", "20000.000"));
	/* the worker missed ticks 3 and 4 (wall mode: two in a row): its stack ends at tick 3 */
	assert_true(has_event(out, "run", 43, "0.000", "30000.000"));
	assert_true(has_event(out, "<idle>", 43, "0.000", "30000.000"));
	assert_int_equal(count_of(out, "\"ph\":\"X\""), 7);
	assert_non_null(strstr(out, "\"args\":{\"file\":\"a.py\",\"line\":10}"));
	assert_non_null(strstr(out, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":42,\"tid\":43,"
				    "\"args\":{\"name\":\"worker\"}}"));
	assert_non_null(strstr(out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":42,\"tid\":42,"
				    "\"args\":{\"name\":\"python3 app.py\"}}"));
	assert_non_null(strstr(out, "\"command\":\"python3 app.py\""));
	assert_non_null(strstr(out, "\"python\":\"3.11.2\""));
	to_temp(out, strlen(out), ".trace.json", path);
	python_check(path,
		"ev = d[\"traceEvents\"]\n"
		"assert d[\"otherData\"][\"mode\"] == \"wall\"\n"
		"names = {(e[\"pid\"], e[\"tid\"]): e[\"args\"][\"name\"] for e in ev "
		"if e[\"ph\"] == \"M\" and e[\"name\"] == \"thread_name\"}\n"
		"assert names == {(42, 42): \"MainThread\", (42, 43): \"worker\"}, names\n"
		"x = [e for e in ev if e[\"ph\"] == \"X\"]\n"
		"assert all((e[\"pid\"], e[\"tid\"]) in names for e in x)\n"
		"assert sorted(e[\"name\"] for e in x if e[\"tid\"] == 42) == [\"A\", \"B\", \"C\", \"D\"]\n");
	unlink(path);
	free(out);
}

static void writer_timeline__wall_one_missed_tick__bridged(void **state)
{
	struct tl_fixture fx;
	char *out;

	(void)state;
	tl_begin(&fx, "wall");
	for (int i = 0; i < 4; i++) {
		TL_SAMPLE(&fx, i * 10, fx.main_t, 0, "A@a.py:1");
		if (i != 1)	/* one dropped sample */
			TL_SAMPLE(&fx, i * 10, fx.worker_t, 0, "W@w.py:1");
	}
	/* a tick pyflame missed entirely (no samples at 40 ms) does not end anything */
	TL_SAMPLE(&fx, 50, fx.main_t, 0, "A@a.py:1");
	TL_SAMPLE(&fx, 50, fx.worker_t, 0, "W@w.py:1");
	/* 5 ticks in 60 ms: the last sample lasts the achieved interval, 12 ms */
	out = tl_end(&fx, 5, 60);
	assert_true(has_event(out, "A", 42, "0.000", "62000.000"));
	assert_true(has_event(out, "W", 43, "0.000", "62000.000"));
	assert_int_equal(count_of(out, "\"ph\":\"X\""), 2);
	free(out);
}

static void writer_timeline__cpu_mode_gaps__end_stacks(void **state)
{
	struct tl_fixture fx;
	char *out;

	(void)state;
	tl_begin(&fx, "cpu");
	TL_SAMPLE(&fx, 0, fx.main_t, 0, "A@a.py:1");
	TL_SAMPLE(&fx, 10, fx.main_t, 0, "A@a.py:1");
	TL_SAMPLE(&fx, 10, fx.worker_t, 0, "W@w.py:1");
	/* main absent from the tick at 20 ms: not running */
	TL_SAMPLE(&fx, 20, fx.worker_t, 0, "W@w.py:1");
	/* alone and 80 ms later: nothing ran between (the ticks left no samples) */
	TL_SAMPLE(&fx, 100, fx.main_t, 0, "A@a.py:1");
	out = tl_end(&fx, 11, 110);
	assert_true(has_event(out, "A", 42, "0.000", "20000.000"));
	assert_true(has_event(out, "W", 43, "10000.000", "20000.000"));
	assert_true(has_event(out, "A", 42, "100000.000", "10000.000"));
	assert_int_equal(count_of(out, "\"ph\":\"X\""), 3);
	free(out);
}

static void writer_timeline__no_rawlog__enoent_or_einval(void **state)
{
	struct profile *p = known_profile();
	struct output_opts o = { .line_numbers = 1 };
	char path[64];
	FILE *null = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(null);
	assert_int_equal(pf_write(PF_FORMAT_TIMELINE, p, &o, null), -ENOENT);
	assert_int_equal(pf_write(PF_FORMAT_TIMELINE, p, NULL, null), -ENOENT);
	o.rawlog_path = "/nonexistent/pyflame.raw";
	assert_int_equal(pf_write(PF_FORMAT_TIMELINE, p, &o, null), -ENOENT);
	to_temp("not a log", 9, ".raw", path);
	o.rawlog_path = path;
	assert_int_equal(pf_write(PF_FORMAT_TIMELINE, p, &o, null), -EINVAL);
	unlink(path);
	fclose(null);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pf_format__new_extensions_and_names__map_to_formats),
		cmocka_unit_test(pf_format__info__every_row_names_and_extensions_map_back),
		cmocka_unit_test(writer_speedscope__known_profile__frames_profiles_weights),
		cmocka_unit_test(writer_speedscope__no_line_numbers__lines_merged),
		cmocka_unit_test(writer_speedscope__unknown_rate__unit_none_counts),
		cmocka_unit_test(writer_speedscope__hostile_strings__valid_json),
		cmocka_unit_test(writer_pprof__known_profile__decodes_to_the_same_samples),
		cmocka_unit_test(writer_pprof__cpu_mode_unknown_rate__count_only),
		cmocka_unit_test(writer_pprof__go_tool_pprof__lists_top_function),
		cmocka_unit_test(writer_pstats__known_profile__pstats_loads_it),
		cmocka_unit_test(writer_html__known_profile__counts_escaped_missing_listed),
		cmocka_unit_test(writer_timeline__wall_samples__merged_nested_events),
		cmocka_unit_test(writer_timeline__wall_one_missed_tick__bridged),
		cmocka_unit_test(writer_timeline__cpu_mode_gaps__end_stacks),
		cmocka_unit_test(writer_timeline__no_rawlog__enoent_or_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
