/* profile_check.h - a profile's ids must all resolve: what every writer takes for granted. */
#ifndef PYFLAME_FUZZ_PROFILE_CHECK_H
#define PYFLAME_FUZZ_PROFILE_CHECK_H

#include "fuzz.h"
#include "pyflame/profile.h"
#include "pyflame/strtab.h"

static inline void profile_check(const struct profile *p)
{
	size_t nstr = strtab__count(p->strings), n;
	uint64_t total = 0;
	struct pf_folded *f;

	for (size_t i = 0; i < p->nframes; i++)
		FUZZ_CHECK(p->frames[i].name < nstr && p->frames[i].file < nstr);
	for (size_t i = 0; i < p->nstacks; i++) {
		FUZZ_CHECK(p->stack_off[i] <= p->stack_data_len &&
			   p->stack_len[i] <= p->stack_data_len - p->stack_off[i]);
		for (uint32_t k = 0; k < p->stack_len[i]; k++)
			FUZZ_CHECK(p->stack_data[p->stack_off[i] + k] < p->nframes);
	}
	for (size_t i = 0; i < p->nprocs; i++)
		FUZZ_CHECK(p->procs[i].cmdline < nstr && p->procs[i].version < nstr);
	for (size_t i = 0; i < p->nthreads; i++)
		FUZZ_CHECK(p->threads[i].proc < p->nprocs && p->threads[i].name < nstr);
	for (size_t i = 0; i < p->nrows; i++) {
		FUZZ_CHECK(p->rows[i].thread < p->nthreads && p->rows[i].stack < p->nstacks);
		total += p->rows[i].count;
	}
	FUZZ_CHECK(total == p->total);
	/* What every text writer does with it. */
	f = profile__fold(p, NULL, &n);
	pf_folded__free(f, n);
}

#endif
