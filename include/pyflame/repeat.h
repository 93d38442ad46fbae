/*
 * repeat.h - `pyflame run --repeat N`: the command run N times, one after another.
 *
 * The traced child of pyflame does not exec the command itself: it becomes a small
 * driver that runs it N times as its own children, the way `sh -c 'cmd && cmd && ...'`
 * would, so every repeat is followed through the fork events pyflame already traces and
 * nothing in the tracer changes.  The driver stops at the first repeat that fails and ends
 * like it (its exit status, or killed by its signal); that is what pyflame exits with.
 */
#ifndef PYFLAME_REPEAT_H
#define PYFLAME_REPEAT_H

/*
 * Run argv n times (n >= 1), in the process that calls it, and end like the last repeat
 * run.  errfd: where the first repeat's exec errno goes if it cannot be executed (then
 * the driver exits 126 or 127, as a plain command would); closed once it has started.
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the driver by a process (pyflame forwards
 * them there) go on to the running repeat, and no repeat starts after one of them.
 */
_Noreturn void repeat__drive(char *const argv[], unsigned n, int errfd);

#endif
