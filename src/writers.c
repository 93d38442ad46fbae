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

/* --- text -------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t want;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		want = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		want = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		want = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < want || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < want; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return want;
}

void pf_utf8__add(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(u + i, len - i);

		if (!k) {
			strbuf_add(sb, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		strbuf_add(sb, s + i, k);
		i += k;
	}
}

void pf_json__add_string(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(u + i, len - i);

		if (!k) {
			strbuf_add(sb, "\xef\xbf\xbd", 3);
			i++;
		} else if (k > 1) {
			strbuf_add(sb, s + i, k);
			i += k;
		} else {
			unsigned char c = u[i++];

			if (c == '"' || c == '\\') {
				strbuf_addch(sb, '\\');
				strbuf_addch(sb, c);
			} else if (c == '\n') {
				strbuf_addstr(sb, "\\n");
			} else if (c == '\t') {
				strbuf_addstr(sb, "\\t");
			} else if (c < 0x20) {
				strbuf_addf(sb, "\\u%04x", c);
			} else {
				strbuf_addch(sb, c);
			}
		}
	}
	strbuf_addch(sb, '"');
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
