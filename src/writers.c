/* writers.c - output format names and dispatch. */
#include "pyflame/writers.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum pf_format format;
} format_names[] = {
	{ "svg", PF_FORMAT_SVG },
	{ "collapsed", PF_FORMAT_COLLAPSED },
	{ "folded", PF_FORMAT_COLLAPSED },
	{ "txt", PF_FORMAT_COLLAPSED },
	{ "raw", PF_FORMAT_RAW },
};

enum pf_format pf_format__from_name(const char *name)
{
	if (!name)
		return PF_FORMAT_NONE;
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcasecmp(name, format_names[i].name))
			return format_names[i].format;
	return PF_FORMAT_NONE;
}

enum pf_format pf_format__from_path(const char *path)
{
	const char *slash, *dot;

	if (!path)
		return PF_FORMAT_NONE;
	slash = strrchr(path, '/');
	dot = strrchr(slash ? slash : path, '.');
	if (!dot || dot == path || (slash && dot == slash + 1))
		return PF_FORMAT_NONE;
	return pf_format__from_name(dot + 1);
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
	case PF_FORMAT_NONE:
		break;
	}
	return "none";
}

int pf_write(enum pf_format f, const struct profile *p, const struct output_opts *o, FILE *out)
{
	switch (f) {
	case PF_FORMAT_SVG:
		return writer_svg__write(p, o, out);
	case PF_FORMAT_COLLAPSED:
		return writer_collapsed__write(p, o, out);
	case PF_FORMAT_RAW:
	case PF_FORMAT_NONE:
		break;
	}
	return -EINVAL;
}
