/* meta.h - the facts of a run that every output states (struct pf_meta: profile.h). */
#ifndef PYFLAME_META_H
#define PYFLAME_META_H

struct pf_meta;
struct profile;
struct strbuf;

/*
 * The time one sample stands for, in ns: the achieved tick interval (duration / ticks)
 * when both are known, else 1e9 / the requested rate, else 0 (unknown).
 */
double pf_meta__period_ns(const struct pf_meta *m);
/* Ticks per second actually achieved; 0 if unknown. */
double pf_meta__achieved_hz(const struct pf_meta *m);
/* The distinct Python versions of the profile's processes, "3.11.2, 3.12.1"; "" if none. */
void pf_meta__python_versions(const struct profile *p, struct strbuf *sb);

#endif
