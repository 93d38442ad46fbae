/* strtab.c - string interning, indexed by the one hash table (idtab.h). */
#include "pyflame/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "pyflame/idtab.h"
#include "pyflame/util.h"

struct strtab {
	char *data;		/* all strings, NUL-terminated, back to back */
	size_t data_len, data_alloc;
	uint64_t *off;		/* per id: offset into data */
	uint32_t *len;		/* per id: length */
	size_t n, alloc;
	struct idtab index;	/* by hash of the bytes */
};

struct strtab *strtab__new(void)
{
	return xcalloc(1, sizeof(struct strtab));
}

void strtab__free(struct strtab *st)
{
	if (!st)
		return;
	free(st->data);
	free(st->off);
	free(st->len);
	idtab__release(&st->index);
	free(st);
}

static uint64_t hash_of(const char *s, size_t len)
{
	return pf_hash64(s, len, 0x5eed);
}

uint32_t strtab__intern(struct strtab *st, const char *s, size_t len)
{
	uint64_t h = hash_of(s, len);
	size_t i;
	uint32_t id;

	for (i = idtab__first(&st->index, h); idtab__used(&st->index, i);
	     i = idtab__next(&st->index, i)) {
		id = idtab__id(&st->index, i);
		if (idtab__hash(&st->index, i) == h && st->len[id] == len &&
		    !memcmp(st->data + st->off[id], s, len))
			return id;
	}
	xgrow((void **)&st->data, &st->data_alloc, st->data_len + len + 1, 1);
	memcpy(st->data + st->data_len, s, len);
	st->data[st->data_len + len] = '\0';
	if (st->n + 1 > st->alloc) {
		xgrow((void **)&st->off, &st->alloc, st->n + 1, sizeof(*st->off));
		st->len = xrealloc(st->len, st->alloc * sizeof(*st->len));
	}
	id = (uint32_t)st->n++;
	st->off[id] = st->data_len;
	st->len[id] = (uint32_t)len;
	st->data_len += len + 1;
	idtab__set(&st->index, i, h, id);
	return id;
}

uint32_t strtab__intern_str(struct strtab *st, const char *s)
{
	return strtab__intern(st, s, strlen(s));
}

const char *strtab__get(const struct strtab *st, uint32_t id)
{
	return id < st->n ? st->data + st->off[id] : "";
}

size_t strtab__len(const struct strtab *st, uint32_t id)
{
	return id < st->n ? st->len[id] : 0;
}

size_t strtab__count(const struct strtab *st)
{
	return st->n;
}
