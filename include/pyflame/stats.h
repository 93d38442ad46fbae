/*
 * stats.h - is a change between two sets of runs more than noise?
 *
 * Each run j of a side gives a count c_j (samples in which a function ran) and an
 * exposure e_j (the run's samples, to compare shares; or its samples per second, to
 * compare time: c_j / e_j seconds).  The counts are modelled as quasi-Poisson:
 * E[c_j] = mu * e_j, Var[c_j] = phi * mu * e_j, with mu the side's rate and phi >= 1 the
 * dispersion: 1 when the only noise is sampling, more when runs differ among themselves
 * (a loaded machine, caches, GC).  phi is estimated from the runs (Pearson's chi-square
 * over n_base + n_new - 2 degrees of freedom, floored at 1), and the log rate ratio is
 * tested with Student's t on those degrees of freedom (a z-test when there is one run
 * per side and no spread to measure).
 *
 * A handful of runs gives each function's phi only a few degrees of freedom, and a t
 * test on 4 of them can hardly reject anything.  So the dispersions of all functions of a
 * report are also pooled (sum of chi-squares over sum of degrees of freedom): a function
 * is tested with phi = max(1, pooled, its own) on the pooled degrees of freedom.  Taking
 * the larger keeps a function noisier than the rest from looking significant.
 * stats__holm() then keeps the chance of any false alarm in a whole report at alpha
 * (Holm's step-down Bonferroni).
 */
#ifndef PYFLAME_STATS_H
#define PYFLAME_STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats_side {
	const double *count;	/* per run */
	const double *exposure;	/* per run, > 0 */
	size_t n;
};

struct stats_test {
	double base, now;	/* each side's rate: sum(count) / sum(exposure) */
	double change_pct;	/* 100 * (now / base - 1); +inf when base is 0 */
	double dispersion;	/* phi used (>= 1) */
	double x2, x2_df;	/* this comparison's own Pearson chi-square and its df */
	double df;		/* degrees of freedom of the t-test; 0: a z-test */
	double stat;		/* t (or z) of the log rate ratio */
	double p;		/* two-sided p-value */
};

/* Dispersion pooled over several comparisons (from their x2 and x2_df). */
struct stats_pool {
	double phi;
	double df;
};

/*
 * Compare two sides; pool (may be NULL) is the pooled dispersion to test with.  0, or
 * -EINVAL when a side has no run or no exposure.
 */
int stats__compare(const struct stats_side *base, const struct stats_side *now,
		   const struct stats_pool *pool, struct stats_test *t);

/* Two-sided p-value of t with df degrees of freedom (df <= 0: standard normal). */
double stats__p_two_sided(double t, double df);

/*
 * Holm's step-down procedure over p[0..n): sig[i] = 1 for each hypothesis rejected with
 * the family-wise error rate kept at alpha.
 */
void stats__holm(const double *p, size_t n, double alpha, uint8_t *sig);

#endif
