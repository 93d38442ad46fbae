/* live.c - the --live view (live.h): top functions, redrawn once a second, in plain ANSI. */
#include "pyflame/live.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "pyflame/profile.h"
#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define LIVE_REFRESH_NS 1000000000ull
#define LIVE_HEADER_ROWS 5		/* title, facts, keys, blank, column names */

#define CSI "\x1b["
#define ALT_SCREEN_ON  CSI "?1049h" CSI "?25l"	/* alternate screen, cursor hidden */
#define ALT_SCREEN_OFF CSI "?25h" CSI "?1049l"

struct live_func {
	uint32_t name, file;
	int32_t line;			/* by line (key l); 0 otherwise */
	uint64_t own, total;
	size_t stamp;
};

struct live {
	int fd;
	int active;			/* the alternate screen is up */
	int suspended;			/* taken down for a job-control stop */
	int must_draw;			/* back from one: the screen is blank, frozen or not */
	struct termios saved;
	int paused;			/* p: sampling paused (live__paused) */
	int frozen;			/* z: the view is not redrawn; sampling goes on */
	int by_total, by_line, quit;
	long proc_filter;		/* f: an index into the profile's processes, or -1 */
	long thread_filter;		/* h: an index into its threads, or -1 */
	size_t nprocs, nthreads;	/* as last drawn: what f and h cycle through */
	uint64_t last_draw_ns;
	struct strbuf screen;		/* reused: a frame is written in one write() */
	struct live_func *funcs;
	struct live_func **order;
	size_t funcs_alloc, order_alloc;
};

static struct live *active_view;	/* for the exit() handler */

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void end_at_exit(void)
{
	if (active_view)
		live__end(active_view);
}

struct live *live__open(void)
{
	struct live *l;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (!isatty(fd)) {
		close(fd);
		errno = ENOTTY;
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->proc_filter = l->thread_filter = -1;
	strbuf_init(&l->screen);
	return l;
}

int live__fd(const struct live *l)
{
	return l ? l->fd : -1;
}

int live__start(struct live *l)
{
	static int registered;
	struct termios raw;

	if (tcgetattr(l->fd, &l->saved) < 0)
		return -errno;
	raw = l->saved;
	/* keys one by one, not echoed; Ctrl-C still signals (ISIG), output as usual */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(l->fd, TCSANOW, &raw) < 0)
		return -errno;
	if (!registered && !atexit(end_at_exit))
		registered = 1;
	active_view = l;
	l->active = 1;
	write_all(l->fd, ALT_SCREEN_ON, strlen(ALT_SCREEN_ON));
	return 0;
}

void live__end(struct live *l)
{
	if (!l || !l->active)
		return;
	l->active = 0;
	write_all(l->fd, ALT_SCREEN_OFF, strlen(ALT_SCREEN_OFF));
	tcsetattr(l->fd, TCSANOW, &l->saved);
	if (active_view == l)
		active_view = NULL;
}

void live__suspend(struct live *l)
{
	if (!l || !l->active)
		return;
	live__end(l);
	l->suspended = 1;
}

void live__resume(struct live *l)
{
	if (!l || !l->suspended)
		return;
	l->suspended = 0;
	if (!live__start(l))
		l->must_draw = 1;	/* at the next tick */
}

void live__free(struct live *l)
{
	if (!l)
		return;
	live__end(l);
	close(l->fd);
	strbuf_release(&l->screen);
	free(l->funcs);
	free(l->order);
	free(l);
}

int live__paused(const struct live *l)
{
	return l && l->active && l->paused && !l->quit;
}

/* The next filter index after cur among n (-1, 0, 1, ..., n - 1, -1, ...). */
static long cycle(long cur, size_t n)
{
	return cur + 1 < (long)n ? cur + 1 : -1;
}

/* Keys typed since the last tick; 1 if the view must be redrawn now. */
static int read_keys(struct live *l)
{
	char buf[64];
	ssize_t n;
	int redraw = 0;

	while ((n = read(l->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (buf[i]) {
			case 'q':
			case 'Q':
				l->quit = 1;
				break;
			case 'p':
			case 'P':
				l->paused = !l->paused;
				redraw = 1;
				break;
			case 'z':
			case 'Z':
				l->frozen = !l->frozen;
				redraw = 1;
				break;
			case 'l':
			case 'L':
				l->by_line = !l->by_line;
				redraw = 1;
				break;
			case 'f':
			case 'F':
				l->proc_filter = cycle(l->proc_filter, l->nprocs);
				l->thread_filter = -1;
				redraw = 1;
				break;
			case 'h':
			case 'H':
				l->thread_filter = cycle(l->thread_filter, l->nthreads);
				redraw = 1;
				break;
			case 'o':
			case 'O':
				l->by_total = 0;
				redraw = 1;
				break;
			case 't':
			case 'T':
				l->by_total = 1;
				redraw = 1;
				break;
			}
		}
	}
	return redraw;
}

static int by_own(const void *a, const void *b)
{
	const struct live_func *x = *(const struct live_func *const *)a;
	const struct live_func *y = *(const struct live_func *const *)b;

	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return (x->name > y->name) - (x->name < y->name);
}

static int by_total(const void *a, const void *b)
{
	const struct live_func *x = *(const struct live_func *const *)a;
	const struct live_func *y = *(const struct live_func *const *)b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	return (x->name > y->name) - (x->name < y->name);
}

/* Is the row's thread one the filters keep? */
static int row_kept(const struct live *l, const struct profile *p, const struct pf_row *row)
{
	if (row->thread >= p->nthreads)
		return 0;
	if (l->thread_filter >= 0)
		return row->thread == (uint32_t)l->thread_filter;
	if (l->proc_filter >= 0)
		return p->threads[row->thread].proc == (uint32_t)l->proc_filter;
	return 1;
}

/*
 * Functions (or, by line, frames) with their own and total working samples among the
 * rows the filters keep, idle ones apart: *idle gets those, *kept all kept samples.
 */
static size_t count_functions(struct live *l, const struct profile *p, uint64_t *idle,
			      uint64_t *kept)
{
	uint32_t *fn_frame = NULL, *map = NULL;
	size_t nfuncs;

	if (l->by_line) {
		nfuncs = p->nframes;
	} else {
		map = profile__functions(p, &nfuncs, &fn_frame);
	}
	xgrow((void **)&l->funcs, &l->funcs_alloc, nfuncs + 1, sizeof(*l->funcs));
	memset(l->funcs, 0, (nfuncs + 1) * sizeof(*l->funcs));
	for (size_t i = 0; i < nfuncs; i++) {
		const struct pf_frame *fr = &p->frames[map ? fn_frame[i] : i];

		l->funcs[i].name = fr->name;
		l->funcs[i].file = fr->file;
		l->funcs[i].line = map ? 0 : fr->line;
	}
	*idle = *kept = 0;
	for (size_t r = 0; r < p->nrows; r++) {
		const struct pf_row *row = &p->rows[r];
		const uint32_t *st;
		uint32_t len;

		if (row->stack >= p->nstacks || !row_kept(l, p, row))
			continue;
		*kept += row->count;
		if (row->flags & PF_SAMPLE_IDLE) {
			*idle += row->count;
			continue;
		}
		st = p->stack_data + p->stack_off[row->stack];
		len = p->stack_len[row->stack];
		if (len && st[len - 1] < p->nframes)
			l->funcs[map ? map[st[len - 1]] : st[len - 1]].own += row->count;
		for (uint32_t i = 0; i < len; i++) {
			struct live_func *f;

			if (st[i] >= p->nframes)
				continue;
			f = &l->funcs[map ? map[st[i]] : st[i]];
			if (f->stamp != r + 1) {
				f->stamp = r + 1;
				f->total += row->count;
			}
		}
	}
	free(map);
	free(fn_frame);
	return nfuncs;
}

/* Append s cut to width columns (a UTF-8 character counts as one), controls as spaces. */
static void add_cut(struct strbuf *sb, const char *s, size_t len, size_t width)
{
	struct strbuf clean = STRBUF_INIT;
	size_t cols = 0, i = 0;

	textenc__add_utf8(&clean, s, len);
	while (i < clean.len && cols < width) {
		uint32_t cp;
		size_t k = textenc__utf8_seq(clean.buf + i, clean.len - i, &cp);

		if (!k)
			k = 1;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			strbuf_addch(sb, ' ');
		else
			strbuf_add(sb, clean.buf + i, k);
		i += k;
		cols++;
	}
	strbuf_release(&clean);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void draw(struct live *l, const struct profile *p, const struct live_facts *f)
{
	struct strbuf *sb = &l->screen;
	struct strbuf line = STRBUF_INIT;
	struct winsize ws = { 0 };
	size_t rows = 24, cols = 80, nfuncs, shown;
	uint64_t idle, working, kept;
	double secs = (double)f->elapsed_ns / 1e9;

	if (ioctl(l->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	l->nprocs = p->nprocs;
	l->nthreads = p->nthreads;
	nfuncs = count_functions(l, p, &idle, &kept);
	working = kept - idle;
	xgrow((void **)&l->order, &l->order_alloc, nfuncs + 1, sizeof(*l->order));
	for (size_t i = 0; i < nfuncs; i++)
		l->order[i] = &l->funcs[i];
	qsort(l->order, nfuncs, sizeof(*l->order), l->by_total ? by_total : by_own);

	strbuf_reset(sb);
	strbuf_addstr(sb, CSI "H");
#define END_LINE() do { add_cut(sb, line.buf, line.len, cols); \
	strbuf_addstr(sb, CSI "K\r\n"); strbuf_reset(&line); } while (0)
	strbuf_addf(&line, "pyflame live: %s", f->command ? f->command : "");
	END_LINE();
	strbuf_addf(&line, "%.1f s  %" PRIu64 " samples (%" PRIu64 " idle)  %.1f Hz  "
		    "%" PRIu64 " dropped  %" PRIu64 " Python process%s, %" PRIu64 " thread%s%s",
		    secs, p->total, idle, secs > 0 ? (double)f->ticks / secs : 0.0, f->dropped,
		    f->processes, f->processes == 1 ? "" : "es", f->threads,
		    f->threads == 1 ? "" : "s", l->paused ? "  [sampling paused]" : "");
	END_LINE();
	strbuf_addstr(&line, "keys: q stop  p pause sampling  z freeze  o/t sort by own/total  "
		      "l by line  f process  h thread");
	strbuf_addf(&line, "  (now: %s%s)", l->by_total ? "total" : "own",
		    l->by_line ? ", by line" : "");
	END_LINE();
	if (l->thread_filter >= 0 && (size_t)l->thread_filter < p->nthreads) {
		const struct pf_thread *t = &p->threads[l->thread_filter];

		strbuf_addf(&line, "only thread %d (%s) of process %d", (int)t->tid,
			    strtab__get(p->strings, t->name),
			    t->proc < p->nprocs ? (int)p->procs[t->proc].pid : 0);
	} else if (l->proc_filter >= 0 && (size_t)l->proc_filter < p->nprocs) {
		const struct pf_process *pr = &p->procs[l->proc_filter];

		strbuf_addf(&line, "only process %d: %s", (int)pr->pid,
			    strtab__get(p->strings, pr->cmdline));
	}
	END_LINE();
	strbuf_addf(&line, "%8s %6s %8s %6s  %s", "own", "%", "total", "%", "function");
	END_LINE();
	shown = rows > LIVE_HEADER_ROWS + 1 ? rows - LIVE_HEADER_ROWS - 1 : 0;
	for (size_t i = 0; i < nfuncs && i < shown; i++) {
		const struct live_func *fn = l->order[i];
		const char *file = strtab__get(p->strings, fn->file);

		if (!(l->by_total ? fn->total : fn->own))
			break;
		strbuf_addf(&line, "%8" PRIu64 " %5.1f%% %8" PRIu64 " %5.1f%%  ", fn->own,
			    pct(fn->own, working), fn->total, pct(fn->total, working));
		strbuf_addstr(&line, strtab__get(p->strings, fn->name));
		if (*file && fn->line > 0)
			strbuf_addf(&line, " (%s:%d)", pf_short_file(file), (int)fn->line);
		else if (*file)
			strbuf_addf(&line, " (%s)", pf_short_file(file));
		END_LINE();
	}
#undef END_LINE
	strbuf_addstr(sb, CSI "J");
	write_all(l->fd, sb->buf, sb->len);
	strbuf_release(&line);
}

enum live_action live__tick(struct live *l, const struct profile *p, uint64_t now_ns,
			    const struct live_facts *f)
{
	int redraw;

	if (!l || !l->active)
		return LIVE_NONE;
	redraw = read_keys(l);
	if (l->quit) {
		static const char msg[] = "pyflame: sampling stopped (q); the command runs on\r\n";

		live__end(l);
		write_all(l->fd, msg, sizeof(msg) - 1);
		return LIVE_QUIT;
	}
	if (l->must_draw) {
		l->must_draw = 0;
		draw(l, p, f);
		l->last_draw_ns = now_ns;
		return LIVE_NONE;
	}
	if (l->frozen && !redraw)
		return LIVE_NONE;
	if (l->frozen && redraw) {
		/* a frozen view is not redrawn, but says it is frozen */
		static const char msg[] = CSI "4;1H" "[view frozen: z to go on]" CSI "K";

		write_all(l->fd, msg, sizeof(msg) - 1);
		return LIVE_NONE;
	}
	if (redraw || !l->last_draw_ns || now_ns - l->last_draw_ns >= LIVE_REFRESH_NS) {
		draw(l, p, f);
		l->last_draw_ns = now_ns;
	}
	return LIVE_NONE;
}
