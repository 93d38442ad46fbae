/* writers.c - the table of output formats: names, extensions, writer. */
#include "pyflame/writers.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "pyflame/util.h"

/*
 * The formats: one row each.  The first extension is the one pyflame gives a file it
 * names; a path's longest matching extension wins (.trace.json is a timeline, not the
 * speedscope .json).  To add a format: an enum value (writers.h), a row, its writer.
 */
static const struct pf_format_info formats[] = {
	{ PF_FORMAT_SVG, "svg", { NULL }, { ".svg", NULL }, writer_svg__write },
	{ PF_FORMAT_COLLAPSED, "collapsed", { "folded", "txt", NULL },
	  { ".txt", ".folded", ".collapsed", NULL }, writer_collapsed__write },
	{ PF_FORMAT_RAW, "raw", { NULL }, { ".raw", NULL }, NULL },
	{ PF_FORMAT_SPEEDSCOPE, "speedscope", { NULL }, { ".speedscope.json", ".json", NULL },
	  writer_speedscope__write },
	{ PF_FORMAT_PPROF, "pprof", { NULL }, { ".pb.gz", ".pprof", NULL }, writer_pprof__write },
	{ PF_FORMAT_TIMELINE, "timeline", { "trace", "perfetto", NULL },
	  { ".trace.json", ".perfetto.json", NULL }, writer_timeline__write },
	{ PF_FORMAT_PSTATS, "pstats", { NULL }, { ".pstats", ".prof", NULL }, writer_pstats__write },
	{ PF_FORMAT_HTML, "html", { NULL }, { ".html", ".htm", NULL }, writer_html__write },
	{ PF_FORMAT_TESTS_JSON, "tests-json", { NULL }, { ".tests.json", NULL },
	  writer_tests_json__write },
	{ PF_FORMAT_TESTS_CSV, "tests-csv", { NULL }, { ".tests.csv", NULL },
	  writer_tests_csv__write },
	{ PF_FORMAT_TESTS_MD, "tests-md", { NULL }, { ".tests.md", NULL },
	  writer_tests_md__write },
};

const struct pf_format_info *pf_format__info(enum pf_format f)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].format == f)
			return &formats[i];
	return NULL;
}

enum pf_format pf_format__from_name(const char *name)
{
	if (!name)
		return PF_FORMAT_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		if (!strcasecmp(name, formats[i].name))
			return formats[i].format;
		for (const char *const *a = formats[i].aliases; *a; a++)
			if (!strcasecmp(name, *a))
				return formats[i].format;
	}
	return PF_FORMAT_NONE;
}

enum pf_format pf_format__from_path(const char *path)
{
	enum pf_format best = PF_FORMAT_NONE;
	size_t best_len = 0, len;
	const char *base;

	if (!path)
		return PF_FORMAT_NONE;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	len = strlen(base);
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		for (const char *const *e = formats[i].extensions; *e; e++) {
			size_t n = strlen(*e);

			/* the extension must follow a name: ".svg" alone is a hidden file */
			if (len > n && n > best_len && !strcasecmp(base + len - n, *e)) {
				best = formats[i].format;
				best_len = n;
			}
		}
	}
	return best;
}

const char *pf_format__name(enum pf_format f)
{
	const struct pf_format_info *fi = pf_format__info(f);

	return fi ? fi->name : "none";
}

const char *pf_format__extension(enum pf_format f)
{
	const struct pf_format_info *fi = pf_format__info(f);

	return fi ? fi->extensions[0] + 1 : "out";
}

int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out)
{
	const struct pf_format_info *fi = pf_format__info(f);

	return fi && fi->write ? fi->write(p, o, out) : -EINVAL;
}
