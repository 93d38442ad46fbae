/*
 * writer_tests.c - the per-test table of a --tests profile (testtable.h) as JSON, CSV or
 * Markdown: one row per (process, test, phase), slowest first.
 */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "pyflame/testtable.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

enum table_kind { TABLE_JSON, TABLE_CSV, TABLE_MD };

/* Text made valid UTF-8 with control characters as spaces (a CSV or Markdown cell). */
static void add_cell_text(struct strbuf *sb, const char *s, size_t len, enum table_kind k)
{
	struct strbuf t = STRBUF_INIT;

	textenc__add_utf8(&t, s, len);
	for (size_t i = 0; i < t.len; i++) {
		char c = (unsigned char)t.buf[i] < 0x20 || t.buf[i] == 0x7f ? ' ' : t.buf[i];

		if (k == TABLE_CSV && c == '"')
			strbuf_addch(sb, '"');
		if (k == TABLE_MD && (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' ||
				      c == '[' || c == ']' || c == '<' || c == '>'))
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, c);
	}
	strbuf_release(&t);
}

static void add_text(struct strbuf *sb, const char *s, size_t len, enum table_kind k)
{
	if (k == TABLE_JSON) {
		textenc__add_json_string(sb, s, len);
	} else if (k == TABLE_CSV) {
		strbuf_addch(sb, '"');
		add_cell_text(sb, s, len, k);
		strbuf_addch(sb, '"');
	} else {
		add_cell_text(sb, s, len, k);
	}
}

static void add_str(struct strbuf *sb, const struct profile *p, uint32_t id, enum table_kind k)
{
	add_text(sb, strtab__get(p->strings, id), strtab__len(p->strings, id), k);
}

/* "name (file)" of an own frame, file shortened as in the flame graph. */
static void own_label(struct strbuf *sb, const struct profile *p, const struct test_own *o)
{
	strbuf_addstr(sb, strtab__get(p->strings, o->name));
	if (strtab__len(p->strings, o->file)) {
		strbuf_addstr(sb, " (");
		strbuf_addstr(sb, pf_short_file(strtab__get(p->strings, o->file)));
		strbuf_addch(sb, ')');
	}
}

static void add_where(struct strbuf *sb, const struct test_row *r, enum table_kind k)
{
	static const char *const names[TEST_WHERE__COUNT] = {
		[TEST_WHERE_TEST] = "test",
		[TEST_WHERE_COLLECTION] = "collection",
		[TEST_WHERE_SESSION_START] = "session start",
		[TEST_WHERE_SESSION_END] = "session end",
		[TEST_WHERE_OUTSIDE] = "outside tests",
	};

	add_text(sb, names[r->where], strlen(names[r->where]), k);
}

static void json_row(struct strbuf *sb, const struct profile *p, const struct test_row *r,
		     int merge)
{
	const struct pf_process *pr = &p->procs[r->proc];

	strbuf_addstr(sb, "    {\"process\": ");
	add_str(sb, p, pr->cmdline, TABLE_JSON);
	if (merge)
		strbuf_addstr(sb, ", \"pid\": null");
	else
		strbuf_addf(sb, ", \"pid\": %d", (int)pr->pid);
	strbuf_addstr(sb, ", \"where\": ");
	add_where(sb, r, TABLE_JSON);
	strbuf_addstr(sb, ", \"id\": ");
	if (r->id)
		add_text(sb, r->id, r->id_len, TABLE_JSON);
	else
		strbuf_addstr(sb, "null");
	strbuf_addstr(sb, ", \"phase\": ");
	if (r->phase != TEST_PHASE_NONE)
		add_text(sb, test_phase__name(r->phase), strlen(test_phase__name(r->phase)),
			 TABLE_JSON);
	else
		strbuf_addstr(sb, "null");
	strbuf_addf(sb, ", \"samples\": %" PRIu64 ", \"thread_samples\": %" PRIu64
		    ", \"seconds\": %.4f, \"cpu_samples\": %" PRIu64 ", \"idle_samples\": %"
		    PRIu64 ", \"top_own\": [", r->samples, r->thread_samples, r->seconds,
		    r->samples - r->idle, r->idle);
	for (size_t i = 0; i < r->ntop; i++) {
		strbuf_addstr(sb, i ? ", {\"function\": " : "{\"function\": ");
		add_str(sb, p, r->top[i].name, TABLE_JSON);
		strbuf_addstr(sb, ", \"file\": ");
		add_str(sb, p, r->top[i].file, TABLE_JSON);
		strbuf_addf(sb, ", \"samples\": %" PRIu64 "}", r->top[i].samples);
	}
	strbuf_addstr(sb, "]}");
}

static void cell_row(struct strbuf *sb, const struct profile *p, const struct test_row *r,
		     int merge, enum table_kind k)
{
	const struct pf_process *pr = &p->procs[r->proc];
	const char *sep = k == TABLE_CSV ? "," : " | ";
	struct strbuf own = STRBUF_INIT;

	if (k == TABLE_MD)
		strbuf_addstr(sb, "| ");
	if (merge)
		strbuf_addstr(sb, k == TABLE_CSV ? "" : "-");
	else
		strbuf_addf(sb, "%d", (int)pr->pid);
	strbuf_addstr(sb, sep);
	add_str(sb, p, pr->cmdline, k);
	strbuf_addstr(sb, sep);
	add_where(sb, r, k);
	strbuf_addstr(sb, sep);
	if (r->id)
		add_text(sb, r->id, r->id_len, k);
	strbuf_addstr(sb, sep);
	strbuf_addstr(sb, test_phase__name(r->phase));
	strbuf_addf(sb, "%s%" PRIu64 "%s%.3f%s%" PRIu64 "%s%" PRIu64 "%s", sep, r->samples, sep,
		    r->seconds, sep, r->samples - r->idle, sep, r->idle, sep);
	for (size_t i = 0; i < r->ntop; i++) {
		if (i)
			strbuf_addstr(&own, "; ");
		own_label(&own, p, &r->top[i]);
		strbuf_addf(&own, " %" PRIu64, r->top[i].samples);
	}
	add_text(sb, own.buf, own.len, k);
	strbuf_addstr(sb, k == TABLE_MD ? " |\n" : "\r\n");
	strbuf_release(&own);
}

static int write_table(const struct profile *p, const struct output_opts *o, FILE *out,
		       enum table_kind k)
{
	int merge = o && o->merge_processes;
	struct testtable *t = testtable__build(p, merge, o ? o->rawlog_path : NULL);
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	if (k == TABLE_JSON) {
		strbuf_addstr(&sb, "{\n  \"command\": ");
		textenc__add_json_string(&sb, p->meta.command ? p->meta.command : "",
					 p->meta.command ? strlen(p->meta.command) : 0);
		strbuf_addf(&sb, ",\n  \"mode\": ");
		textenc__add_json_string(&sb, p->meta.mode ? p->meta.mode : "",
					 p->meta.mode ? strlen(p->meta.mode) : 0);
		strbuf_addf(&sb, ",\n  \"period_s\": %.6g,\n  \"timed\": %s,\n  \"max_gap_s\": "
			    "%.6g,\n  \"merged\": %s,\n  \"samples\": %" PRIu64 ",\n  "
			    "\"test_samples\": %" PRIu64 ",\n  \"rows\": [\n", t->period_s,
			    t->timed ? "true" : "false", t->max_gap_s, merge ? "true" : "false",
			    p->total, t->samples);
	} else if (k == TABLE_CSV) {
		strbuf_addstr(&sb, "pid,process,where,id,phase,samples,seconds,cpu_samples,"
			      "idle_samples,top_own\r\n");
	} else {
		strbuf_addstr(&sb, "| pid | process | where | test | phase | samples | seconds "
			      "| cpu samples | idle samples | top own functions |\n"
			      "|---:|---|---|---|---|---:|---:|---:|---:|---|\n");
	}
	for (size_t i = 0; i < t->n; i++) {
		if (k == TABLE_JSON) {
			json_row(&sb, t->p, &t->rows[i], merge);
			strbuf_addstr(&sb, i + 1 < t->n ? ",\n" : "\n");
		} else {
			cell_row(&sb, t->p, &t->rows[i], merge, k);
		}
	}
	if (k == TABLE_JSON)
		strbuf_addstr(&sb, "  ]\n}\n");
	errno = 0;
	if (fwrite(sb.buf, 1, sb.len, out) != sb.len || fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
	strbuf_release(&sb);
	testtable__free(t);
	return ret;
}

int writer_tests_json__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	return write_table(p, o, out, TABLE_JSON);
}

int writer_tests_csv__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	return write_table(p, o, out, TABLE_CSV);
}

int writer_tests_md__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	return write_table(p, o, out, TABLE_MD);
}
