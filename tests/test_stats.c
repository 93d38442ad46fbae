/* test_stats.c - the quasi-Poisson comparison and Holm's procedure. */
#include "testutil.h"

#include <errno.h>
#include <math.h>

#include "pyflame/stats.h"

static void p_two_sided__known_quantiles(void **state)
{
	(void)state;
	assert_true(fabs(stats__p_two_sided(1.959964, 0) - 0.05) < 1e-5);
	assert_true(fabs(stats__p_two_sided(2.306004, 8) - 0.05) < 1e-5);
	assert_true(fabs(stats__p_two_sided(-3.355387, 8) - 0.01) < 1e-5);
	assert_true(fabs(stats__p_two_sided(0, 4) - 1) < 1e-9);
	assert_true(stats__p_two_sided(40, 100) < 1e-30);
}

static void compare__equal_sides__p_one(void **state)
{
	double c[] = { 100, 100 }, e[] = { 1, 1 };
	struct stats_side s = { c, e, 2 };
	struct stats_test t;

	(void)state;
	assert_int_equal(stats__compare(&s, &s, NULL, &t), 0);
	assert_true(fabs(t.p - 1) < 1e-9);
	assert_true(fabs(t.change_pct) < 1e-9);
	assert_true(t.dispersion == 1);
}

static void compare__one_run_a_side__poisson_z(void **state)
{
	double cb[] = { 1000 }, cn[] = { 1300 }, e[] = { 1 };
	struct stats_side b = { cb, e, 1 }, n = { cn, e, 1 };
	struct stats_test t;
	double z = log(1300.5 / 1000.5) / sqrt(1 / 1000.5 + 1 / 1300.5);

	(void)state;
	assert_int_equal(stats__compare(&b, &n, NULL, &t), 0);
	assert_true(fabs(t.change_pct - 30) < 1e-9);
	assert_true(t.df == 0 && t.dispersion == 1);
	assert_true(fabs(t.stat - z) < 1e-9);
	assert_true(t.p < 1e-8);
}

static void compare__spread_runs__dispersion_hides_the_change(void **state)
{
	/* the same 30% change, but runs that differ by far more than sampling noise */
	double cb[] = { 500, 1500, 700, 1300 }, cn[] = { 700, 1900, 1000, 1600 };
	double e[] = { 1, 1, 1, 1 };
	struct stats_side b = { cb, e, 4 }, n = { cn, e, 4 };
	struct stats_test t;

	(void)state;
	assert_int_equal(stats__compare(&b, &n, NULL, &t), 0);
	assert_true(t.dispersion > 50);
	assert_true(t.df == 6);
	assert_true(t.p > 0.05);
	/* a pooled dispersion never lowers a function's own */
	{
		struct stats_pool pool = { 1, 1000 };
		struct stats_test u;

		stats__compare(&b, &n, &pool, &u);
		assert_true(u.dispersion == t.dispersion && u.df == 1000);
	}
}

static void compare__exposure__compares_rates(void **state)
{
	/* twice the samples over twice the exposure: the same rate */
	double cb[] = { 100 }, cn[] = { 200 }, eb[] = { 1 }, en[] = { 2 };
	struct stats_side b = { cb, eb, 1 }, n = { cn, en, 1 };
	struct stats_test t;

	(void)state;
	stats__compare(&b, &n, NULL, &t);
	assert_true(fabs(t.change_pct) < 1e-9);
	assert_true(t.p > 0.9);
	assert_int_equal(stats__compare(&b, &(struct stats_side){ cn, en, 0 }, NULL, &t), -EINVAL);
}

static void holm__steps_down(void **state)
{
	double p[] = { 0.004, 0.03, 0.006, 0.5 };
	uint8_t sig[4];

	(void)state;
	/* alpha 0.05: 0.004 <= 0.05/4, 0.006 <= 0.05/3, 0.03 > 0.05/2 stops */
	stats__holm(p, 4, 0.05, sig);
	assert_true(sig[0] && !sig[1] && sig[2] && !sig[3]);
	stats__holm(p, 4, 0.01, sig);
	assert_true(!sig[0] && !sig[1] && !sig[2] && !sig[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p_two_sided__known_quantiles),
		cmocka_unit_test(compare__equal_sides__p_one),
		cmocka_unit_test(compare__one_run_a_side__poisson_z),
		cmocka_unit_test(compare__spread_runs__dispersion_hides_the_change),
		cmocka_unit_test(compare__exposure__compares_rates),
		cmocka_unit_test(holm__steps_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
