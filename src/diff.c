/*
 * diff.c - two profiles over one set of labelled paths, for `pyflame diff`.
 *
 * Each profile is a raw log (replayed by the caller into a struct profile) or collapsed
 * stacks (read here, as untrusted text).  Both are folded into one set of labelled paths
 * over one label table (struct pf_diff), matched the way the user asked: process frames
 * without their pid (by default) or without process frames at all, frames by line or by
 * function.  writer_svg.c draws NEW's tree coloured by the change in share; the text
 * output is the difffolded format, "path base new" per line.
 */
#include "pyflame/diff.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/idtab.h"
#include "pyflame/strtab.h"
#include "pyflame/util.h"

/* --- the model ----------------------------------------------------------------------- */

struct diff_index {
	struct idtab paths;	/* by hash of the label ids */
};

struct pf_diff *pf_diff__new(void)
{
	struct pf_diff *d = xcalloc(1, sizeof(*d));
	struct diff_index *ix = xcalloc(1, sizeof(*ix));

	d->paths = xcalloc(1, sizeof(*d->paths));
	d->paths->labels = strtab__new();
	d->index = ix;
	return d;
}

void pf_diff__free(struct pf_diff *d)
{
	struct diff_index *ix;

	if (!d)
		return;
	ix = d->index;
	if (ix) {
		idtab__release(&ix->paths);
		free(ix);
	}
	pf_paths__free(d->paths);
	free(d->base);
	free(d);
}

uint32_t pf_diff__label(struct pf_diff *d, const char *text, size_t len, enum pf_label_kind kind)
{
	return pf_paths__label(d->paths, text, len, kind, UINT32_MAX);
}

/* The id of the path labels[0..n), created with no samples if new. */
static uint32_t diff__path(struct pf_diff *d, const uint32_t *labels, size_t n)
{
	struct pf_paths *pp = d->paths;
	struct diff_index *ix = d->index;
	uint64_t h = (n ? pf_hash64(labels, n * sizeof(*labels), 0xd1ff) : 0) ^ n;
	size_t i, old = pp->alloc;
	uint32_t id;

	for (i = idtab__first(&ix->paths, h); idtab__used(&ix->paths, i);
	     i = idtab__next(&ix->paths, i)) {
		id = idtab__id(&ix->paths, i);
		if (idtab__hash(&ix->paths, i) == h && pp->len[id] == n &&
		    (!n || !memcmp(pp->data + pp->off[id], labels, n * sizeof(*labels))))
			return id;
	}
	xgrow((void **)&pp->off, &pp->alloc, pp->n + 1, sizeof(*pp->off));
	if (old != pp->alloc) {
		pp->len = xrealloc(pp->len, pp->alloc * sizeof(*pp->len));
		pp->count = xrealloc(pp->count, pp->alloc * sizeof(*pp->count));
		d->base = xrealloc(d->base, pp->alloc * sizeof(*d->base));
	}
	xgrow((void **)&pp->data, &pp->data_alloc, pp->data_len + n + 1, sizeof(*pp->data));
	if (n)
		memcpy(pp->data + pp->data_len, labels, n * sizeof(*labels));
	id = (uint32_t)pp->n++;
	pp->off[id] = pp->data_len;
	pp->len[id] = (uint32_t)n;
	pp->count[id] = 0;
	d->base[id] = 0;
	pp->data_len += n;
	idtab__set(&ix->paths, i, h, id);
	return id;
}

int pf_diff__add(struct pf_diff *d, int side, const uint32_t *labels, size_t n, uint64_t count)
{
	uint64_t *total = side == PF_DIFF_NEW ? &d->paths->total : &d->base_total;
	uint64_t sum, *slot;
	uint32_t id;

	if (!count)
		return 0;
	if (n > UINT32_MAX || pf_add_overflows(*total, count, &sum))
		return -EOVERFLOW;
	id = diff__path(d, labels, n);
	slot = side == PF_DIFF_NEW ? &d->paths->count[id] : &d->base[id];
	*slot += count;		/* no larger than the total, which did not overflow */
	*total = sum;
	return 0;
}

int pf_diff__add_profile(struct pf_diff *d, int side, const struct profile *p,
			 const struct diff_opts *o)
{
	struct output_opts oo = {
		.line_numbers = o->line_numbers,
		.merge_processes = !o->keep_pids,
	};
	struct pf_paths *pp = profile__paths(p, &oo);
	size_t nlabels = strtab__count(pp->labels);
	uint32_t *map = xcalloc(nlabels + 1, sizeof(*map));
	uint32_t *path = NULL;
	size_t path_alloc = 0;
	int ret = 0;

	for (size_t i = 0; i < nlabels; i++)
		map[i] = pf_diff__label(d, strtab__get(pp->labels, (uint32_t)i),
					strtab__len(pp->labels, (uint32_t)i), pp->kind[i]);
	for (size_t i = 0; i < pp->n && !ret; i++) {
		const uint32_t *lab = pp->data + pp->off[i];
		size_t n = 0;

		xgrow((void **)&path, &path_alloc, (size_t)pp->len[i] + 1, sizeof(*path));
		for (uint32_t j = 0; j < pp->len[i]; j++) {
			if (o->strip_process && pp->kind[lab[j]] == PF_LABEL_PROCESS)
				continue;
			path[n++] = map[lab[j]];
		}
		ret = pf_diff__add(d, side, path, n, pp->count[i]);
	}
	free(path);
	free(map);
	pf_paths__free(pp);
	return ret;
}

/* --- collapsed stacks ---------------------------------------------------------------- */

static int parse_error(struct diff_parse_error *err, size_t line, const char *fmt, ...)
	PF_PRINTF(3, 4);

static int parse_error(struct diff_parse_error *err, size_t line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * One line into sb, without its '\n'.  1 = a line, 0 = end of file, -EIO, or -E2BIG when
 * longer than max (the rest is not read).
 */
static int read_line(FILE *in, struct strbuf *sb, size_t max)
{
	int c = EOF;

	strbuf_reset(sb);
	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (sb->len >= max)
			return -E2BIG;
		strbuf_addch(sb, c);
	}
	if (c == EOF && ferror(in))
		return -EIO;
	return c == EOF && !sb->len ? 0 : 1;
}

/* "cmd [pid 42]" -> "cmd"; "[pid 42]" -> "<unknown command>"; else unchanged (0). */
static int strip_pid(const char *s, size_t *len, const char **text)
{
	size_t n = *len, i;

	if (n < 7 || s[n - 1] != ']')
		return 0;
	for (i = n - 1; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		;
	if (i == n - 1 || i < 5 || memcmp(s + i - 5, "[pid ", 5))
		return 0;
	i -= 5;
	if (!i) {
		*text = "<unknown command>";
		*len = strlen(*text);
		return 1;
	}
	if (s[i - 1] != ' ')
		return 0;
	*len = i - 1;
	return 1;
}

void pf_diff__function_label(struct strbuf *sb, const char *s, size_t n)
{
	size_t colon, open;

	strbuf_reset(sb);
	strbuf_add(sb, s, n);
	if (n < 5 || s[n - 1] != ')')
		return;
	for (colon = n - 1; colon > 0 && s[colon - 1] >= '0' && s[colon - 1] <= '9'; colon--)
		;
	if (colon == n - 1 || colon < 3 || s[colon - 1] != ':')
		return;
	colon--;
	for (open = colon; open > 1; open--)
		if (s[open - 1] == '(' && s[open - 2] == ' ')
			break;
	if (open <= 1)
		return;
	sb->len = colon;
	strbuf_addch(sb, ')');
}

static enum pf_label_kind kind_of(const char *s, size_t n)
{
	if (n == strlen(PF_LABEL_IDLE_TEXT) && !memcmp(s, PF_LABEL_IDLE_TEXT, n))
		return PF_LABEL_IDLE;
	if (n == strlen(PF_LABEL_TRUNCATED_TEXT) && !memcmp(s, PF_LABEL_TRUNCATED_TEXT, n))
		return PF_LABEL_TRUNCATED;
	return PF_LABEL_FRAME;
}

/* Show at most 24 bytes of untrusted text in a message, printable ASCII only. */
static const char *excerpt(const char *s, size_t n, char buf[32])
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < 24; i++)
		buf[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > 24) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

/* One non-blank line "frame;...;frame COUNT" (already without '\r' and trailing blanks). */
static int parse_stack_line(struct pf_diff *d, int side, char *s, size_t n, size_t lineno,
			    const struct diff_opts *o, uint32_t **path, size_t *path_alloc,
			    struct strbuf *tmp, uint64_t *samples, struct diff_parse_error *err)
{
	size_t sp, end, start, nf = 0, frame = 0;
	uint64_t count = 0;
	char ex[32];

	if (memchr(s, '\0', n))
		return parse_error(err, lineno, "NUL byte in the line");
	for (sp = n; sp > 0 && s[sp - 1] != ' ' && s[sp - 1] != '\t'; sp--)
		;
	if (!sp)
		return parse_error(err, lineno, "no sample count (want 'frame;frame;... COUNT')");
	for (size_t i = sp; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return parse_error(err, lineno, "invalid sample count '%s' (want a whole "
					   "number)", excerpt(s + sp, n - sp, ex));
		if (count > (PF_COLLAPSED_MAX_COUNT - (uint64_t)(s[i] - '0')) / 10)
			return parse_error(err, lineno, "sample count '%s' is too large (at most "
					   "2^53)", excerpt(s + sp, n - sp, ex));
		count = count * 10 + (uint64_t)(s[i] - '0');
	}
	for (end = sp; end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'); end--)
		;
	if (!end)
		return parse_error(err, lineno, "no frames before the count");
	for (size_t i = 0; i < end; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	for (start = 0; start <= end; frame++) {
		size_t stop = start, len;
		const char *text = s + start;

		while (stop < end && s[stop] != ';')
			stop++;
		len = stop - start;
		if (!len)
			return parse_error(err, lineno, "empty frame name (frame %zu)", frame + 1);
		if (frame >= PF_COLLAPSED_MAX_FRAMES)
			return parse_error(err, lineno, "more than %u frames", PF_COLLAPSED_MAX_FRAMES);
		start = stop + 1;
		if (!frame && !o->keep_pids)
			strip_pid(s, &len, &text);
		if (!frame && o->strip_process)
			continue;
		if (!o->line_numbers) {
			pf_diff__function_label(tmp, text, len);
			text = tmp->buf;
			len = tmp->len;
		}
		xgrow((void **)path, path_alloc, nf + 1, sizeof(**path));
		(*path)[nf++] = pf_diff__label(d, text, len, kind_of(text, len));
	}
	if (pf_diff__add(d, side, *path, nf, count))
		return parse_error(err, lineno, "the sample counts add up to more than 2^64");
	*samples += count;
	return 0;
}

int pf_diff__read_collapsed(struct pf_diff *d, int side, FILE *in, const struct diff_opts *o,
			    uint64_t *samples, struct diff_parse_error *err)
{
	struct strbuf line = STRBUF_INIT, tmp = STRBUF_INIT;
	uint32_t *path = NULL;
	size_t path_alloc = 0, lineno = 0;
	int ret;

	memset(err, 0, sizeof(*err));
	*samples = 0;
	flockfile(in);
	while ((ret = read_line(in, &line, PF_COLLAPSED_MAX_LINE)) > 0) {
		size_t n = line.len, i = 0;

		lineno++;
		while (n && (line.buf[n - 1] == '\r' || line.buf[n - 1] == ' ' ||
			     line.buf[n - 1] == '\t'))
			n--;
		while (i < n && (line.buf[i] == ' ' || line.buf[i] == '\t'))
			i++;
		if (i == n || line.buf[i] == '#')
			continue;
		ret = parse_stack_line(d, side, line.buf, n, lineno, o, &path, &path_alloc, &tmp,
				       samples, err);
		if (ret)
			break;
	}
	funlockfile(in);
	if (ret == -E2BIG)
		ret = parse_error(err, lineno + 1, "line longer than %u MiB",
				  PF_COLLAPSED_MAX_LINE >> 20);
	else if (ret == -EIO)
		parse_error(err, 0, "read error");
	strbuf_release(&line);
	strbuf_release(&tmp);
	free(path);
	return ret < 0 ? ret : 0;
}

/* --- the difffolded text ------------------------------------------------------------- */

struct diff_line {
	char *path;
	uint64_t base, now;
};

static int diff_line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct diff_line *)a)->path, ((const struct diff_line *)b)->path);
}

int pf_diff__write_collapsed(const struct pf_diff *d, FILE *out)
{
	const struct pf_paths *pp = d->paths;
	struct diff_line *lines = xcalloc(pp->n + 1, sizeof(*lines));
	struct strbuf sb = STRBUF_INIT;
	size_t k = 0;
	int ret = 0;

	for (size_t i = 0; i < pp->n; i++) {
		const uint32_t *lab = pp->data + pp->off[i];

		if (!pp->len[i] || (!pp->count[i] && !d->base[i]))
			continue;	/* nothing to name: a stack of only a stripped frame */
		strbuf_reset(&sb);
		for (uint32_t j = 0; j < pp->len[i]; j++) {
			if (j)
				strbuf_addch(&sb, ';');
			strbuf_add(&sb, strtab__get(pp->labels, lab[j]), strtab__len(pp->labels, lab[j]));
		}
		lines[k].path = strbuf_detach(&sb, NULL);
		lines[k].base = d->base[i];
		lines[k].now = pp->count[i];
		k++;
	}
	qsort(lines, k, sizeof(*lines), diff_line_cmp);
	for (size_t i = 0; i < k; i++) {
		if (!ret && fprintf(out, "%s %" PRIu64 " %" PRIu64 "\n", lines[i].path,
				    lines[i].base, lines[i].now) < 0)
			ret = errno ? -errno : -EIO;
		free(lines[i].path);
	}
	if (!ret && (fflush(out) == EOF || ferror(out)))
		ret = errno ? -errno : -EIO;
	free(lines);
	strbuf_release(&sb);
	return ret;
}

