/* idtab.c - the one open-addressing hash table of ids (see idtab.h). */
#include "pyflame/idtab.h"

#include <stdlib.h>

#include "pyflame/util.h"

#define IDTAB_FIRST_SLOTS 64

void idtab__release(struct idtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = t->n = 0;
}

static void resize(struct idtab *t, size_t nslots)
{
	struct idslot *slots = xcalloc(nslots, sizeof(*slots));

	for (size_t i = 0; i < t->nslots; i++) {
		size_t j;

		if (!t->slots[i].id1)
			continue;
		j = t->slots[i].hash & (nslots - 1);
		while (slots[j].id1)
			j = (j + 1) & (nslots - 1);
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
}

size_t idtab__first(struct idtab *t, uint64_t hash)
{
	if (!t->nslots)
		resize(t, IDTAB_FIRST_SLOTS);
	return hash & (t->nslots - 1);
}

void idtab__set(struct idtab *t, size_t i, uint64_t hash, uint32_t id)
{
	t->slots[i].hash = hash;
	t->slots[i].id1 = id + 1;
	t->n++;
	if (t->n * 4 > t->nslots * 3)
		resize(t, t->nslots * 2);
}
