/*
 * cmd_diff.c - `pyflame diff BASE NEW`: read both profiles (raw logs or collapsed stacks)
 * into a struct pf_diff (diff.c) and write the differential flame graph or the difffolded
 * text.
 */
#include "pyflame/cmd_diff.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyflame/diff.h"
#include "pyflame/exitcode.h"
#include "pyflame/outputs.h"
#include "pyflame/rawlog.h"
#include "pyflame/strtab.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"

/* --- the command (its options: cli.c) ---------------------------------------------- */

static int usage_error(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, fmt, arg);
	pf_error(0, "%s", sb.buf);
	pf_hint("see 'pyflame diff --help'");
	strbuf_release(&sb);
	return PF_EXIT_USAGE;
}

/* new.raw -> new.diff.svg */
static char *default_output(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	strbuf_addstr(&sb, path);
	if (dot && (!slash || dot > slash + 1))
		sb.len = (size_t)(dot - path);
	strbuf_addstr(&sb, ".diff.svg");
	return strbuf_detach(&sb, NULL);
}

/* Read one profile into a side; reports its own errors.  0 or PF_EXIT_USAGE. */
static int load(struct pf_diff *d, int side, const char *path, const struct diff_opts *o)
{
	char magic[sizeof(RAWLOG_MAGIC) - 1];
	struct diff_parse_error err;
	uint64_t samples = 0;
	size_t got;
	int ret = PF_EXIT_USAGE;
	FILE *in;

	in = fopen(path, "rb");
	if (!in) {
		pf_error(-errno, "cannot read '%s'", path);
		return PF_EXIT_USAGE;
	}
	got = fread(magic, 1, sizeof(magic), in);
	if (got == sizeof(magic) && !memcmp(magic, RAWLOG_MAGIC, sizeof(magic))) {
		struct profile *p = profile__new();
		struct rawlog_info info;

		rewind(in);
		if (rawlog__read(in, p, NULL, NULL, &info)) {
			pf_error(0, "'%s' is not a readable pyflame raw log", path);
		} else if (pf_diff__add_profile(d, side, p, o)) {
			pf_error(0, "'%s': the sample counts add up to more than 2^64", path);
		} else {
			if (!info.complete && !pf_quiet)
				pf_warn("'%s' was cut short (pyflame did not finish); using its "
					"%" PRIu64 " complete samples", path, info.samples);
			samples = p->total;
			ret = 0;
		}
		profile__free(p);
		goto out;
	}
	if (pf_format__from_path(path) == PF_FORMAT_RAW) {
		pf_error(0, "'%s' is not a pyflame raw log", path);
		goto out;
	}
	rewind(in);
	if (pf_diff__read_collapsed(d, side, in, o, &samples, &err)) {
		if (err.line)
			pf_error(0, "'%s' line %zu: %s", path, err.line, err.msg);
		else
			pf_error(-EIO, "cannot read '%s'", path);
		goto out;
	}
	ret = 0;
out:
	fclose(in);
	if (!ret && !samples) {
		pf_error(0, "'%s' holds no samples; nothing to compare", path);
		ret = PF_EXIT_USAGE;
	}
	return ret;
}

/* Write one prepared output and put it in place; reports its own error. */
static int write_output(struct out_file *f, const struct pf_diff *d,
			const struct diff_svg_opts *so)
{
	const char *what = f->final ? f->final : "standard output";
	FILE *fp = stdout;
	int err, fd;

	if (f->final) {
		/* a descriptor of its own for stdio: f->fd stays open for the commit */
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0 || !(fp = fdopen(fd, "w"))) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	err = f->format == PF_FORMAT_SVG ? writer_svg__write_diff(d, so, fp, NULL) :
		pf_diff__write_collapsed(d, fp);
	if (f->final) {
		if (fclose(fp) && !err)
			err = -errno;
		if (!err)
			err = outputs__commit(f);
	} else if (fflush(fp) && !err) {
		err = -errno;
	}
out:
	if (err == -EEXIST) {
		pf_error(0, "refusing to write '%s': it changed into something pyflame may not "
			 "replace", what);
		return err;
	}
	if (err) {
		pf_error(err, "cannot write '%s'", what);
		return err;
	}
	return 0;
}

int cmd_diff(const struct diff_cmd_opts *co)
{
	const struct diff_opts o = co->diff;
	struct diff_svg_opts so = { .title = co->title, .base_name = co->base,
				    .new_name = co->new };
	struct out_file *files = NULL;
	const char **paths = NULL;
	size_t npaths = co->noutputs, nfiles = 0;
	struct pf_diff *d = NULL;
	char *dflt = NULL;
	int status = PF_EXIT_USAGE;

	if (npaths) {
		paths = xcalloc(npaths, sizeof(*paths));
		memcpy(paths, co->outputs, npaths * sizeof(*paths));
	} else {
		dflt = default_output(so.new_name);
		paths = xcalloc(1, sizeof(*paths));
		paths[npaths++] = dflt;
	}
	/* Check every output before reading anything: a typo costs nothing. */
	for (size_t i = 0; i < npaths; i++) {
		enum pf_format f = strcmp(paths[i], "-") ? pf_format__from_path(paths[i]) :
			PF_FORMAT_COLLAPSED;

		if (f != PF_FORMAT_SVG && f != PF_FORMAT_COLLAPSED) {
			status = usage_error("cannot write a diff to '%s' (use .svg, or .txt "
					     ".folded .collapsed for the text)", paths[i]);
			goto out;
		}
	}
	files = xcalloc(npaths, sizeof(*files));
	for (size_t i = 0; i < npaths; i++)
		files[i].fd = files[i].dirfd = -1;
	for (nfiles = 0; nfiles < npaths; nfiles++) {
		enum pf_format f = strcmp(paths[nfiles], "-") ? pf_format__from_path(paths[nfiles]) :
			PF_FORMAT_COLLAPSED;

		if (outputs__open(&files[nfiles], paths[nfiles], f))
			goto out;
	}

	d = pf_diff__new();
	if (load(d, PF_DIFF_BASE, so.base_name, &o) || load(d, PF_DIFF_NEW, so.new_name, &o))
		goto out;

	status = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (write_output(&files[i], d, &so))
			status = PF_EXIT_FAILURE;
	if (!pf_quiet) {
		struct pf_diff_stats st;

		writer_svg__diff_stats(d, &so, &st);
		fprintf(stderr, "pyflame: diff: base %" PRIu64 " samples ('%s'), new %" PRIu64
			" samples ('%s'); %.1f%% of base samples are in stacks absent from new\n",
			d->base_total, so.base_name, d->paths->total, so.new_name, st.vanished_pct);
		if (st.grew)
			fprintf(stderr, "  grew most:   %+7.2f points  %s\n", st.max_grew, st.grew);
		if (st.shrank)
			fprintf(stderr, "  shrank most: %+7.2f points  %s\n", st.max_shrank, st.shrank);
		for (size_t i = 0; i < nfiles; i++)
			if (files[i].final && !files[i].tmp)
				fprintf(stderr, "  wrote %s\n", files[i].final);
	}
out:
	for (size_t i = 0; i < nfiles; i++)
		outputs__discard(&files[i]);
	pf_diff__free(d);
	free(files);
	free(paths);
	free(dflt);
	return status;
}
