/* strtab.c - string interning with an open-addressing hash table. */
#include "pyflame/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "pyflame/util.h"

struct strtab {
	char *data;		/* all strings, NUL-terminated, back to back */
	size_t data_len, data_alloc;
	uint64_t *off;		/* per id: offset into data */
	uint32_t *len;		/* per id: length */
	size_t n, alloc;
	uint32_t *slots;	/* id + 1, 0 = empty */
	size_t nslots;		/* power of two */
};

struct strtab *strtab__new(void)
{
	struct strtab *st = xcalloc(1, sizeof(*st));

	st->nslots = 256;
	st->slots = xcalloc(st->nslots, sizeof(*st->slots));
	return st;
}

void strtab__free(struct strtab *st)
{
	if (!st)
		return;
	free(st->data);
	free(st->off);
	free(st->len);
	free(st->slots);
	free(st);
}

static uint64_t hash_of(const char *s, size_t len)
{
	return pf_hash64(s, len, 0x5eed);
}

static void rehash(struct strtab *st)
{
	size_t nslots = st->nslots * 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));

	for (size_t id = 0; id < st->n; id++) {
		size_t i = hash_of(st->data + st->off[id], st->len[id]) & (nslots - 1);

		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(st->slots);
	st->slots = slots;
	st->nslots = nslots;
}

uint32_t strtab__intern(struct strtab *st, const char *s, size_t len)
{
	size_t i = hash_of(s, len) & (st->nslots - 1);
	uint32_t id;

	for (; st->slots[i]; i = (i + 1) & (st->nslots - 1)) {
		id = st->slots[i] - 1;
		if (st->len[id] == len && !memcmp(st->data + st->off[id], s, len))
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
	st->slots[i] = id + 1;
	if (st->n * 4 > st->nslots * 3)
		rehash(st);
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
