/* test_tickclock.c - the tick arithmetic: one tick per period, jittered, misses counted. */
#include <poll.h>
#include <time.h>
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

/*
 * Armed, the clock says how long to wait (a ppoll timeout that ends at the deadline), is
 * due from the deadline on and not before, and is quiet once stopped.
 */
static void tickclock_wait__sleeps_until_the_deadline_then_fires(void **state)
{
	struct tickclock c;
	struct timespec ts;
	uint64_t t0 = pf_now_ns(), now, left;

	(void)state;
	tickclock__init(&c, P, t0, 1);
	tickclock__arm(&c);
	assert_true(c.on);
	assert_true(c.due_ns >= t0 + P && c.due_ns < t0 + 2 * P);
	assert_false(tickclock__fired(&c, c.due_ns - 1));
	assert_true(tickclock__fired(&c, c.due_ns));
	assert_int_equal(tickclock__left(&c, c.due_ns - 1500), 1500);
	assert_int_equal(tickclock__left(&c, c.due_ns + 7), 0);	/* late: no wait */
	/* a real sleep of that length ends at or after the deadline */
	now = pf_now_ns();
	left = tickclock__left(&c, now);
	ts = (struct timespec){ (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
	assert_int_equal(ppoll(NULL, 0, &ts, NULL), 0);
	assert_true(tickclock__fired(&c, pf_now_ns()));
	tickclock__advance(&c, pf_now_ns());
	tickclock__arm(&c);
	tickclock__stop(&c);
	assert_false(c.on);
	assert_false(tickclock__fired(&c, UINT64_MAX));
	assert_true(tickclock__left(&c, now) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tickclock_next__inside_its_period__offsets_uniform),
		cmocka_unit_test(tickclock_advance__late_ticks__whole_periods_missed),
		cmocka_unit_test(tickclock_wait__sleeps_until_the_deadline_then_fires),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
