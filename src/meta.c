/*
 * meta.c - the facts of a run that every output states (struct pf_meta, profile.h):
 * the period one sample stands for, the rate achieved, the Python versions seen.
 */
#include "pyflame/meta.h"

#include "pyflame/profile.h"
#include "pyflame/util.h"

double pf_meta__achieved_hz(const struct pf_meta *m)
{
	if (!m->ticks || !m->duration_ns)
		return 0;
	return (double)m->ticks * 1e9 / (double)m->duration_ns;
}

double pf_meta__period_ns(const struct pf_meta *m)
{
	if (m->ticks && m->duration_ns)
		return (double)m->duration_ns / (double)m->ticks;
	if (m->rate_hz > 0)
		return 1e9 / m->rate_hz;
	return 0;
}

void pf_meta__python_versions(const struct profile *p, struct strbuf *sb)
{
	int first = 1;

	for (size_t i = 0; i < p->nprocs; i++) {
		uint32_t v = p->procs[i].version;
		size_t j;

		if (!strtab__len(p->strings, v))
			continue;
		for (j = 0; j < i; j++)
			if (p->procs[j].version == v)
				break;
		if (j < i)
			continue;	/* already listed */
		if (!first)
			strbuf_addstr(sb, ", ");
		first = 0;
		strbuf_add(sb, strtab__get(p->strings, v), strtab__len(p->strings, v));
	}
}
