/*
 * stats.c - quasi-Poisson comparison of two sets of runs, and Holm's procedure (stats.h).
 *
 * Why this test: sampled counts are Poisson-like (each tick lands in a function or not),
 * so with one run per side the sampling noise alone is known from the counts.  Repeats
 * add run-to-run variance that no count-only test (binomial, Poisson, chi-square) sees:
 * on a loaded machine the same function's time varies by far more than sqrt(count), and
 * such a test would cry wolf on A/A pairs.  Letting the variance be phi times the Poisson
 * one, with phi measured from the spread of the runs, covers both, and the t
 * distribution pays for phi being an estimate.  The floor phi >= 1 keeps sampling noise
 * in even when a few runs happen to agree closely.
 */
#include "pyflame/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pyflame/util.h"

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-14;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 300; m++) {
		double aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), del;

		d = 1 + aa * d;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

/* The regularized incomplete beta function I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double stats__p_two_sided(double t, double df)
{
	if (isnan(t))
		return 1;
	if (df <= 0)
		return erfc(fabs(t) / sqrt(2.0));
	return beta_inc(df / 2, 0.5, df / (df + t * t));
}

static void side_sums(const struct stats_side *s, double *c, double *e)
{
	*c = *e = 0;
	for (size_t j = 0; j < s->n; j++) {
		*c += s->count[j];
		*e += s->exposure[j];
	}
}

/* Pearson's chi-square of one side's runs around its own rate. */
static double pearson(const struct stats_side *s, double rate)
{
	double x2 = 0;

	for (size_t j = 0; j < s->n; j++) {
		double m = rate * s->exposure[j];

		if (m > 0)
			x2 += (s->count[j] - m) * (s->count[j] - m) / m;
	}
	return x2;
}

int stats__compare(const struct stats_side *base, const struct stats_side *now,
		   const struct stats_pool *pool, struct stats_test *t)
{
	double cb, eb, cn, en, phi = 1, df, se;

	memset(t, 0, sizeof(*t));
	if (!base->n || !now->n)
		return -EINVAL;
	side_sums(base, &cb, &eb);
	side_sums(now, &cn, &en);
	if (eb <= 0 || en <= 0)
		return -EINVAL;
	t->base = cb / eb;
	t->now = cn / en;
	t->change_pct = cb > 0 ? 100 * (t->now / t->base - 1) : cn > 0 ? INFINITY : 0;
	df = (double)(base->n + now->n) - 2;
	if (df > 0) {
		t->x2 = pearson(base, t->base) + pearson(now, t->now);
		t->x2_df = df;
		phi = fmax(1, t->x2 / df);
	}
	if (pool && pool->df > df) {
		phi = fmax(phi, pool->phi);
		df = pool->df;
	}
	/* +0.5: a count of 0 on one side still gives a finite ratio and standard error */
	se = sqrt(phi * (1 / (cb + 0.5) + 1 / (cn + 0.5)));
	t->stat = (log((cn + 0.5) / en) - log((cb + 0.5) / eb)) / se;
	t->dispersion = phi;
	t->df = df;
	t->p = cb + cn > 0 ? stats__p_two_sided(t->stat, df) : 1;
	return 0;
}

struct holm_item {
	double p;
	size_t i;
};

static int holm_cmp(const void *a, const void *b)
{
	double x = ((const struct holm_item *)a)->p, y = ((const struct holm_item *)b)->p;

	return (x > y) - (x < y);
}

void stats__holm(const double *p, size_t n, double alpha, uint8_t *sig)
{
	struct holm_item *v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i].p = isnan(p[i]) ? 1 : p[i];
		v[i].i = i;
		sig[i] = 0;
	}
	qsort(v, n, sizeof(*v), holm_cmp);
	for (size_t k = 0; k < n; k++) {
		if (v[k].p > alpha / (double)(n - k))
			break;
		sig[v[k].i] = 1;
	}
	free(v);
}
