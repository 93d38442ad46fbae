/* tickclock.c - jittered sampling ticks at an exact average rate (see tickclock.h). */
#include "pyflame/tickclock.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "pyflame/util.h"

void tickclock__init(struct tickclock *c, uint64_t period_ns, uint64_t start_ns, uint64_t seed)
{
	c->period_ns = period_ns ? period_ns : 1;
	c->start_ns = start_ns;
	c->slot = 1;
	c->rng = seed | 1;	/* xorshift's one forbidden state is 0 */
	c->fd = -1;
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

int tickclock__arm(struct tickclock *c)
{
	uint64_t at = tickclock__next(c);
	struct itimerspec its = {
		.it_value = { (time_t)(at / 1000000000ull), (long)(at % 1000000000ull) },
	};

	if (timerfd_settime(c->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		int e = -errno;

		tickclock__stop(c);
		return e;
	}
	c->on = 1;
	return 0;
}

int tickclock__start(struct tickclock *c)
{
	c->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->fd < 0)
		return -errno;
	return tickclock__arm(c);
}

int tickclock__fired(struct tickclock *c)
{
	uint64_t n = 0;

	return read(c->fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n;
}

void tickclock__stop(struct tickclock *c)
{
	struct itimerspec its = { 0 };

	if (!c->on)
		return;
	timerfd_settime(c->fd, 0, &its, NULL);
	c->on = 0;
}

void tickclock__close(struct tickclock *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->on = 0;
}
