/* cmd_report.c - `pyflame report`: replay a raw log into any output format. */
#include "pyflame/cmd_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/cli.h"
#include "pyflame/merge.h"
#include "pyflame/outputs.h"
#include "pyflame/profile.h"
#include "pyflame/rawlog.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

/* run.raw -> run.svg */
static char *default_output(const char *raw, enum pf_format fmt)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(raw, '/'), *dot = strrchr(raw, '.');

	strbuf_addstr(&sb, raw);
	if (dot && (!slash || dot > slash + 1))
		sb.len = (size_t)(dot - raw);
	strbuf_addf(&sb, ".%s", pf_format__extension(fmt));
	return strbuf_detach(&sb, NULL);
}

/* Is the file at path a raw log (by its magic)?  A file that cannot be read is not. */
static int is_raw(const char *path)
{
	char magic[sizeof(RAWLOG_MAGIC) - 1];
	FILE *f = fopen(path, "rb");
	int ret;

	if (!f)
		return 0;
	ret = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	      !memcmp(magic, RAWLOG_MAGIC, sizeof(magic));
	fclose(f);
	return ret;
}

/*
 * Several inputs, collapsed input or --strip-prefix: every input into one profile, its
 * metadata naming each run.  Reports its own errors; NULL on a bad input.
 */
static struct profile *load_merged(const struct report_opts *o)
{
	struct merge_input *in = xcalloc(o->ninputs, sizeof(*in));
	struct merge_opts mo = { .prefixes = o->prefixes, .nprefixes = o->nprefixes };
	struct profile *p = profile__new();
	size_t i;
	int ret = 0;

	for (i = 0; i < o->ninputs && !ret; i++) {
		ret = merge__load(p, o->inputs[i], &mo, &in[i]);
		if (ret == -EINVAL || ret == -EOVERFLOW)
			pf_error(0, "'%s': %s", o->inputs[i], in[i].err);
		else if (ret)
			pf_error(ret, "cannot read '%s'", o->inputs[i]);
		else if (in[i].cut_short && !pf_quiet)
			pf_warn("'%s' was cut short (pyflame did not finish); using its %llu "
				"complete samples", o->inputs[i], (unsigned long long)in[i].samples);
		if (!ret && in[i].auto_prefix[0])
			pf_info("'%s': file paths relative to '%s'", o->inputs[i], in[i].auto_prefix);
	}
	if (!ret)
		merge__meta(p, in, o->inputs, o->ninputs);
	for (size_t k = 0; k < i; k++)
		merge_input__release(&in[k]);
	free(in);
	if (ret) {
		profile__free(p);
		return NULL;
	}
	return p;
}

int cmd_report(const struct report_opts *o)
{
	size_t nfiles = o->noutputs ? o->noutputs : 1;
	struct out_file *files = xcalloc(nfiles, sizeof(*files));
	const char **written = xcalloc(nfiles, sizeof(*written));
	struct output_opts oo = {
		.line_numbers = o->line_numbers,
		.threads = o->threads,
		.merge_processes = o->merge,
	};
	struct rawlog_info info;
	struct profile *p = NULL;
	size_t nwritten = 0;
	int status = PF_EXIT_USAGE;
	int merged = o->ninputs > 1 || o->nprefixes || !is_raw(o->raw);
	FILE *in;
	int ret;

	for (size_t i = 0; i < nfiles; i++)
		files[i].fd = files[i].dirfd = -1;
	for (size_t i = 0; i < nfiles && merged; i++) {
		enum pf_format f = o->noutputs ? o->outputs[i].format : o->default_format;

		if (f == PF_FORMAT_TIMELINE) {
			pf_error(0, "a timeline is made from one raw log, not from merged or "
				 "collapsed input");
			goto out;
		}
	}
	in = fopen(o->raw, "rb");
	if (!in) {
		pf_error(-errno, "cannot read '%s'", o->raw);
		goto out;
	}
	for (size_t i = 0; i < o->noutputs; i++)
		if (outputs__open(&files[i], o->outputs[i].path, o->outputs[i].format))
			goto out_close;
	if (!o->noutputs) {
		enum pf_format fmt = o->default_format ? o->default_format : PF_FORMAT_SVG;
		char *name = default_output(o->raw, fmt);

		ret = outputs__open(&files[0], name, fmt);
		free(name);
		if (ret)
			goto out_close;
	}
	if (merged) {
		p = load_merged(o);
		if (!p)
			goto out_close;
		oo.merge_processes |= o->ninputs > 1;	/* pids differ between runs */
		goto write;
	}
	p = profile__new();
	ret = rawlog__read(in, p, NULL, NULL, &info);
	if (ret == -EINVAL) {
		pf_error(0, "'%s' is not a pyflame raw log", o->raw);
		goto out_close;
	}
	if (!info.complete && !pf_quiet)
		pf_warn("'%s' was cut short (pyflame did not finish); using its %llu complete samples",
			o->raw, (unsigned long long)info.samples);
	if (info.damaged && !pf_quiet)
		pf_warn("'%s' is damaged: skipped %llu unreadable stretch%s (%llu bytes) and read on; "
			"names after the damage may be wrong", o->raw,
			(unsigned long long)info.damaged, info.damaged == 1 ? "" : "es",
			(unsigned long long)info.skipped_bytes);
	if (!p->total) {
		pf_error(0, "'%s' holds no samples; no profile written", o->raw);
		status = PF_EXIT_FAILURE;
		goto out_close;
	}
	oo.rawlog_path = o->raw;
write:
	oo.title = o->title ? o->title : p->meta.command ? p->meta.command : o->raw;
	status = outputs__write(files, nfiles, p, &oo, written, &nwritten, NULL, NULL) ?
		PF_EXIT_FAILURE : 0;
	if (!pf_quiet) {
		struct pf_summary_extra x = { written, nwritten, 0, o->merge, 0, 0, o->raw };

		summary__print(p, &x, stderr);
	}
out_close:
	if (in)
		fclose(in);
out:
	for (size_t i = 0; i < nfiles; i++)
		outputs__discard(&files[i]);
	profile__free(p);
	free(files);
	free(written);
	return status;
}
