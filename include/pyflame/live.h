/*
 * live.h - the --live view: a full-screen table of the hottest functions on the terminal,
 * redrawn about once a second while sampling, in plain ANSI (the alternate screen, cursor
 * moves, erase; no curses: the sampler is sandboxed and must not load terminfo files or
 * allocate on every tick, and these few sequences are the same on every terminal since
 * the VT100 and xterm).
 *
 * Keys (read without Enter; the terminal is in non-canonical mode, no echo, while the view
 * is up): q stop sampling (the command runs on; the view closes), p pause / resume
 * sampling (ticks take no samples meanwhile), z freeze / unfreeze the view (sampling goes
 * on), o sort by own samples, t by total samples, l by line instead of by function,
 * f show one process (cycles through them, then all), h one thread (likewise).
 */
#ifndef PYFLAME_LIVE_H
#define PYFLAME_LIVE_H

#include <stdint.h>

struct live;
struct profile;

/* What the view shows besides the profile. */
struct live_facts {
	const char *command;
	uint64_t elapsed_ns;
	uint64_t ticks, missed, dropped;
	uint64_t processes, threads;	/* Python processes and threads seen */
};

enum live_action { LIVE_NONE = 0, LIVE_QUIT };

/*
 * Open the controlling terminal (/dev/tty) for the view.  NULL with errno set when there
 * is none (ENXIO, ENOTTY): --live is then a usage error.  Nothing is drawn yet.
 */
struct live *live__open(void);
/* The terminal's descriptor: the sandbox lets exactly this one change its modes. */
int live__fd(const struct live *l);
/* Switch to the alternate screen and non-canonical input.  0 or -errno. */
int live__start(struct live *l);
/*
 * Called at every tick: reads the keys typed, redraws when a second has passed since the
 * last redraw (or a key changed the view).  LIVE_QUIT once, when q was typed (the view is
 * closed by then).
 */
enum live_action live__tick(struct live *l, const struct profile *p, uint64_t now_ns,
			    const struct live_facts *f);
/*
 * Leave the alternate screen, show the cursor, restore the terminal's modes.  Safe to call
 * more than once; also run at exit() while the view is up.
 */
void live__end(struct live *l);
/*
 * The job is stopped (Ctrl-Z): the terminal is the shell's again, as live__end leaves it;
 * live__resume, once continued, takes it back (its modes read anew: the shell may have
 * changed them) and redraws at once.  Both do nothing when the view is not up.
 */
void live__suspend(struct live *l);
void live__resume(struct live *l);
/* p was typed: the sampler takes no samples until it is typed again (or q). */
int live__paused(const struct live *l);
void live__free(struct live *l);

#endif
