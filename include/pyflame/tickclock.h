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
 * The arithmetic (tickclock__next, tickclock__advance) is pure, for tests.  The clock
 * has no timer of its own: the tracer's loop sleeps in ppoll() until the deadline
 * (tickclock__left) and samples when it is past (tickclock__fired).  That is one system
 * call per tick; a timerfd cost three (poll, read, timerfd_settime to re-arm the next
 * jittered deadline).  Deadlines are CLOCK_MONOTONIC, as pf_now_ns() and ppoll's timeout.
 */
#ifndef PYFLAME_TICKCLOCK_H
#define PYFLAME_TICKCLOCK_H

#include <stdint.h>

struct tickclock {
	uint64_t period_ns;
	uint64_t start_ns;	/* tick k falls in [start + k P, start + (k + 1) P) */
	uint64_t slot;		/* the period the next tick falls in */
	uint64_t rng;		/* xorshift64* state, never 0 */
	uint64_t due_ns;	/* the deadline armed */
	int on;			/* armed: ticks are coming */
};

/* A clock of period_ns from start_ns; the first tick falls in period 1.  Not armed yet. */
void tickclock__init(struct tickclock *c, uint64_t period_ns, uint64_t start_ns, uint64_t seed);
/* The absolute time of the next tick, at a random point of period c->slot. */
uint64_t tickclock__next(struct tickclock *c);
/*
 * A tick came at now_ns: move to the next period, skipping those that went by entirely
 * without a tick.  Returns how many were skipped (missed).
 */
uint64_t tickclock__advance(struct tickclock *c, uint64_t now_ns);

/* Arm the next deadline, tickclock__next() (once per period: it draws the jitter). */
void tickclock__arm(struct tickclock *c);
/* Armed and due at now_ns: the caller samples, advances and re-arms. */
int tickclock__fired(const struct tickclock *c, uint64_t now_ns);
/* ns from now_ns to the deadline (0 when past), UINT64_MAX when not armed. */
uint64_t tickclock__left(const struct tickclock *c, uint64_t now_ns);
/* No more ticks. */
void tickclock__stop(struct tickclock *c);

#endif
