/* writers.c - output format names and dispatch; helpers the writers share. */
#include "pyflame/writers.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "pyflame/util.h"

static const struct {
	const char *name;
	enum pf_format format;
} format_names[] = {
	{ "svg", PF_FORMAT_SVG },
	{ "collapsed", PF_FORMAT_COLLAPSED },
	{ "folded", PF_FORMAT_COLLAPSED },
	{ "txt", PF_FORMAT_COLLAPSED },
	{ "raw", PF_FORMAT_RAW },
	{ "speedscope", PF_FORMAT_SPEEDSCOPE },
	{ "pprof", PF_FORMAT_PPROF },
	{ "timeline", PF_FORMAT_TIMELINE },
	{ "trace", PF_FORMAT_TIMELINE },
	{ "perfetto", PF_FORMAT_TIMELINE },
};

/* Extensions, longest first: a double extension wins over its last part. */
static const struct {
	const char *ext;
	enum pf_format format;
} format_exts[] = {
	{ ".speedscope.json", PF_FORMAT_SPEEDSCOPE },
	{ ".perfetto.json", PF_FORMAT_TIMELINE },
	{ ".trace.json", PF_FORMAT_TIMELINE },
	{ ".collapsed", PF_FORMAT_COLLAPSED },
	{ ".folded", PF_FORMAT_COLLAPSED },
	{ ".pprof", PF_FORMAT_PPROF },
	{ ".pb.gz", PF_FORMAT_PPROF },
	{ ".json", PF_FORMAT_SPEEDSCOPE },
	{ ".svg", PF_FORMAT_SVG },
	{ ".txt", PF_FORMAT_COLLAPSED },
	{ ".raw", PF_FORMAT_RAW },
};

enum pf_format pf_format__from_name(const char *name)
{
	if (!name)
		return PF_FORMAT_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
		if (!strcasecmp(name, format_names[i].name))
			return format_names[i].format;
	return PF_FORMAT_NONE;
}

enum pf_format pf_format__from_path(const char *path)
{
	const char *base;
	size_t len;

	if (!path)
		return PF_FORMAT_NONE;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	len = strlen(base);
	for (size_t i = 0; i < ARRAY_SIZE(format_exts); i++) {
		size_t n = strlen(format_exts[i].ext);

		/* the extension must follow a name: ".svg" alone is a hidden file */
		if (len > n && !strcasecmp(base + len - n, format_exts[i].ext))
			return format_exts[i].format;
	}
	return PF_FORMAT_NONE;
}

const char *pf_format__name(enum pf_format f)
{
	switch (f) {
	case PF_FORMAT_SVG:
		return "svg";
	case PF_FORMAT_COLLAPSED:
		return "collapsed";
	case PF_FORMAT_RAW:
		return "raw";
	case PF_FORMAT_SPEEDSCOPE:
		return "speedscope";
	case PF_FORMAT_PPROF:
		return "pprof";
	case PF_FORMAT_TIMELINE:
		return "timeline";
	case PF_FORMAT_NONE:
		break;
	}
	return "none";
}

const char *pf_format__extension(enum pf_format f)
{
	switch (f) {
	case PF_FORMAT_SVG:
		return "svg";
	case PF_FORMAT_COLLAPSED:
		return "txt";
	case PF_FORMAT_RAW:
		return "raw";
	case PF_FORMAT_SPEEDSCOPE:
		return "speedscope.json";
	case PF_FORMAT_PPROF:
		return "pb.gz";
	case PF_FORMAT_TIMELINE:
		return "trace.json";
	case PF_FORMAT_NONE:
		break;
	}
	return "out";
}

int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out)
{
	switch (f) {
	case PF_FORMAT_SVG:
		return writer_svg__write(p, o, out);
	case PF_FORMAT_COLLAPSED:
		return writer_collapsed__write(p, o, out);
	case PF_FORMAT_SPEEDSCOPE:
		return writer_speedscope__write(p, o, out);
	case PF_FORMAT_PPROF:
		return writer_pprof__write(p, o, out);
	case PF_FORMAT_TIMELINE:
		return writer_timeline__write(p, o, out);
	case PF_FORMAT_RAW:
	case PF_FORMAT_NONE:
		break;
	}
	return -EINVAL;
}

/* --- run facts --------------------------------------------------------------------- */

double pf_meta__achieved_hz(const struct pf_meta *m)
{
	if (!m->ticks || !m->duration_ns)
		return 0;
	return (double)m->ticks * 1e9 / (double)m->duration_ns;
}

double pf_meta__period_ns(const struct pf_meta *m)
{
	if (m->ticks && m->duration_ns)
		return (double)m->duration_ns / (double)m->ticks;
	if (m->rate_hz > 0)
		return 1e9 / m->rate_hz;
	return 0;
}

void pf_meta__python_versions(const struct profile *p, struct strbuf *sb)
{
	int first = 1;

	for (size_t i = 0; i < p->nprocs; i++) {
		uint32_t v = p->procs[i].version;
		size_t j;

		if (!strtab__len(p->strings, v))
			continue;
		for (j = 0; j < i; j++)
			if (p->procs[j].version == v)
				break;
		if (j < i)
			continue;	/* already listed */
		if (!first)
			strbuf_addstr(sb, ", ");
		first = 0;
		strbuf_add(sb, strtab__get(p->strings, v), strtab__len(p->strings, v));
	}
}
