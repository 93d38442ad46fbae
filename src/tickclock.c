/* tickclock.c - jittered sampling ticks at an exact average rate (see tickclock.h). */
#include "pyflame/tickclock.h"

#include <time.h>

#include "pyflame/util.h"

void tickclock__init(struct tickclock *c, uint64_t period_ns, uint64_t start_ns, uint64_t seed)
{
	c->period_ns = period_ns ? period_ns : 1;
	c->start_ns = start_ns;
	c->slot = 1;
	c->rng = seed | 1;	/* xorshift's one forbidden state is 0 */
	c->due_ns = 0;
	c->on = 0;
}

uint64_t tickclock__next(struct tickclock *c)
{
	uint64_t p = c->period_ns;

	return c->start_ns + c->slot * p + pf_random(&c->rng) % p;
}

uint64_t tickclock__advance(struct tickclock *c, uint64_t now_ns)
{
	uint64_t current = now_ns > c->start_ns ? (now_ns - c->start_ns) / c->period_ns : 0;
	uint64_t missed = 0;

	c->slot++;
	if (current > c->slot) {
		missed = current - c->slot;
		c->slot = current;
	}
	return missed;
}

void tickclock__arm(struct tickclock *c)
{
	c->due_ns = tickclock__next(c);
	c->on = 1;
}

int tickclock__fired(const struct tickclock *c, uint64_t now_ns)
{
	return c->on && now_ns >= c->due_ns;
}

uint64_t tickclock__left(const struct tickclock *c, uint64_t now_ns)
{
	if (!c->on)
		return UINT64_MAX;
	return now_ns < c->due_ns ? c->due_ns - now_ns : 0;
}

void tickclock__stop(struct tickclock *c)
{
	c->on = 0;
}
