/*
 * tickclock.h - when to sample: jittered ticks at an exact average rate.
 *
 * Tick k falls at a random point of its period, [start + k P, start + (k + 1) P): the rate
 * is exact on average, does not drift, and sampling cannot lock onto work that repeats at
 * the sampling period (a 100 Hz timer loop sampled at 100 Hz would otherwise be seen
 * always, or never, at the same point of its cycle).  A tick serves its own period however
 * late it comes; only when a whole period went by without one (the sampler waited for a
 * CPU, or a tick took that long) are the periods in between skipped and counted as missed.
 *
 * The arithmetic (tickclock__next, tickclock__advance) is pure, for tests; the timerfd
 * (absolute CLOCK_MONOTONIC expiries) is what the tracer's poll loop waits on.
 */
#ifndef PYFLAME_TICKCLOCK_H
#define PYFLAME_TICKCLOCK_H

#include <stdint.h>

struct tickclock {
	uint64_t period_ns;
	uint64_t start_ns;	/* tick k falls in [start + k P, start + (k + 1) P) */
	uint64_t slot;		/* the period the next tick falls in */
	uint64_t rng;		/* xorshift64* state, never 0 */
	int fd;			/* the timerfd, -1 before start */
	int on;			/* armed: ticks are coming */
};

/* A clock of period_ns from start_ns; the first tick falls in period 1.  No timer yet. */
void tickclock__init(struct tickclock *c, uint64_t period_ns, uint64_t start_ns, uint64_t seed);
/* The absolute time of the next tick, at a random point of period c->slot. */
uint64_t tickclock__next(struct tickclock *c);
/*
 * A tick came at now_ns: move to the next period, skipping those that went by entirely
 * without a tick.  Returns how many were skipped (missed).
 */
uint64_t tickclock__advance(struct tickclock *c, uint64_t now_ns);

/* Create the timerfd and arm the first tick.  0 or -errno. */
int tickclock__start(struct tickclock *c);
/*
 * The timerfd is readable: consume it.  1 if a tick fired (then the caller samples,
 * advances and re-arms), 0 if not (a spurious wakeup).
 */
int tickclock__fired(struct tickclock *c);
/* Arm the timer for tickclock__next().  0 or -errno (then the clock is stopped). */
int tickclock__arm(struct tickclock *c);
/* No more ticks (the fd stays open until tickclock__close). */
void tickclock__stop(struct tickclock *c);
void tickclock__close(struct tickclock *c);

#endif
