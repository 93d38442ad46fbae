/*
 * idtab.h - the one open-addressing hash table: ids by hash, keys kept by the caller.
 *
 * Each slot keeps a key's 64-bit hash next to its id, so growing never needs the keys
 * again, and most mismatches are decided on the hash alone.  The caller owns the keys
 * (strings in strtab.c, frames and stacks in profile.c, paths in diff.c, tree nodes in
 * writer_svg.c) and compares them while probing:
 *
 *	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i))
 *		if (idtab__hash(t, i) == h && key_equal(idtab__id(t, i)))
 *			return idtab__id(t, i);
 *	id = new key ...;
 *	idtab__set(t, i, h, id);	// i: the empty slot the probe ended on
 *
 * Linear probing in a power-of-two table, grown at 3/4 full.  Zero-initialised is an
 * empty table.
 */
#ifndef PYFLAME_IDTAB_H
#define PYFLAME_IDTAB_H

#include <stddef.h>
#include <stdint.h>

struct idslot {
	uint64_t hash;
	uint32_t id1;		/* id + 1; 0 = empty */
};

struct idtab {
	struct idslot *slots;
	size_t nslots;		/* power of two, or 0 before first use */
	size_t n;
};

void idtab__release(struct idtab *t);
/* The first slot to probe for hash (allocates the table on first use). */
size_t idtab__first(struct idtab *t, uint64_t hash);
/* Fill the empty slot i the probe ended on; may grow the table (i is then stale). */
void idtab__set(struct idtab *t, size_t i, uint64_t hash, uint32_t id);

static inline size_t idtab__next(const struct idtab *t, size_t i)
{
	return (i + 1) & (t->nslots - 1);
}

static inline int idtab__used(const struct idtab *t, size_t i)
{
	return t->slots[i].id1 != 0;
}

static inline uint64_t idtab__hash(const struct idtab *t, size_t i)
{
	return t->slots[i].hash;
}

static inline uint32_t idtab__id(const struct idtab *t, size_t i)
{
	return t->slots[i].id1 - 1;
}

#endif
