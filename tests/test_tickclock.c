/* test_tickclock.c - the tick arithmetic: one tick per period, jittered, misses counted. */
#include <poll.h>
#include <stdio.h>

#include "testutil.h"
#include "pyflame/tickclock.h"
#include "pyflame/util.h"

#define P 1000000ull	/* 1 ms */

/* Every deadline falls inside its own period; the offsets spread over the whole period. */
static void tickclock_next__inside_its_period__offsets_uniform(void **state)
{
	struct tickclock c;
	uint64_t sum = 0, lo = P, hi = 0, buckets[10] = { 0 };
	const unsigned n = 100000;

	(void)state;
	tickclock__init(&c, P, 5000, 42);
	for (unsigned k = 1; k <= n; k++) {
		uint64_t at = tickclock__next(&c), off;

		assert_int_equal(c.slot, k);
		assert_true(at >= 5000 + k * P && at < 5000 + (k + 1) * P);
		off = at - 5000 - k * P;
		sum += off;
		lo = off < lo ? off : lo;
		hi = off > hi ? off : hi;
		buckets[off * 10 / P]++;
		assert_int_equal(tickclock__advance(&c, at), 0);	/* on time: nothing missed */
	}
	/* mean offset within 1% of P/2; each tenth of the period within 5% of n/10 */
	assert_true(sum / n > P / 2 - P / 100 && sum / n < P / 2 + P / 100);
	assert_true(lo < P / 100 && hi > P - P / 100);
	for (int i = 0; i < 10; i++)
		assert_true(buckets[i] > n / 10 - n / 200 && buckets[i] < n / 10 + n / 200);
}

/* A late tick serves its own period; only periods that passed with no tick are missed. */
static void tickclock_advance__late_ticks__whole_periods_missed(void **state)
{
	struct tickclock c;

	(void)state;
	tickclock__init(&c, P, 0, 7);
	/* tick 1 comes late, inside period 1.9: nothing missed, the next is period 2 */
	assert_int_equal(tickclock__advance(&c, 1 * P + 900000), 0);
	assert_int_equal(c.slot, 2);
	/* tick 2 comes in period 3 (late but within one period): still nothing missed */
	assert_int_equal(tickclock__advance(&c, 3 * P + 10), 0);
	assert_int_equal(c.slot, 3);
	/* tick 3 comes in period 10: periods 4-9 went by without one */
	assert_int_equal(tickclock__advance(&c, 10 * P + 5), 6);
	assert_int_equal(c.slot, 10);
	/* the next deadline is inside period 10, already due: it fires at once, catching up */
	assert_true(tickclock__next(&c) >= 10 * P && tickclock__next(&c) < 11 * P);
	/* a clock before its start (never in use) misses nothing */
	tickclock__init(&c, P, 50 * P, 7);
	assert_int_equal(tickclock__advance(&c, 3), 0);
}

/* The timerfd fires, is consumed, and stays quiet once stopped. */
static void tickclock_timer__fires_and_stops(void **state)
{
	struct tickclock c;
	struct pollfd pfd;

	(void)state;
	tickclock__init(&c, P, pf_now_ns(), 1);
	assert_int_equal(tickclock__start(&c), 0);
	assert_true(c.on);
	pfd.fd = c.fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(tickclock__fired(&c));
	assert_false(tickclock__fired(&c));	/* consumed: no second expiry yet */
	tickclock__advance(&c, pf_now_ns());
	assert_int_equal(tickclock__arm(&c), 0);
	tickclock__stop(&c);
	assert_false(c.on);
	assert_int_equal(poll(&pfd, 1, 20), 0);
	tickclock__close(&c);
	assert_int_equal(c.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tickclock_next__inside_its_period__offsets_uniform),
		cmocka_unit_test(tickclock_advance__late_ticks__whole_periods_missed),
		cmocka_unit_test(tickclock_timer__fires_and_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
