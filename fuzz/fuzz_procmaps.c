/*
 * fuzz_procmaps.c - procmaps__parse over arbitrary text, then every lookup.
 *
 * Checks what callers rely on: each entry has start < end, known permission bits, a
 * NUL-terminated path inside the parser's storage without the " (deleted)" suffix, and
 * the lookups find entries that really contain / match what was asked.
 */
#include "fuzz.h"
#include "pyflame/procmaps.h"

static void check_lookups(const struct procmaps *m, uint64_t probe)
{
	const struct procmaps_entry *e;

	for (size_t i = 0; i < m->n; i++) {
		const struct procmaps_entry *v = &m->v[i];

		FUZZ_CHECK(v->start < v->end);
		FUZZ_CHECK(!(v->perms & ~(PROCMAPS_R | PROCMAPS_W | PROCMAPS_X | PROCMAPS_P)));
		FUZZ_CHECK(v->path != NULL);
		FUZZ_CHECK(strlen(v->path) < 1u << 30);
		e = procmaps__find_addr(m, v->start);
		FUZZ_CHECK(e && v->start >= e->start && v->start < e->end);
		e = procmaps__find_addr(m, v->end - 1);
		FUZZ_CHECK(e && v->end - 1 >= e->start && v->end - 1 < e->end);
		e = procmaps__find_base(m, v->path);
		if (!v->offset)
			FUZZ_CHECK(e && !strcmp(e->path, v->path) && !e->offset &&
				   e->start <= v->start);
		else if (e)
			FUZZ_CHECK(!strcmp(e->path, v->path) && !e->offset);
	}
	e = procmaps__find_addr(m, probe);
	if (e)
		FUZZ_CHECK(probe >= e->start && probe < e->end);
	FUZZ_CHECK(!procmaps__find_base(m, "no\nsuch path"));	/* paths end at a newline */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procmaps *m;
	char *text;
	uint64_t probe = 0;

	if (size >= 8)
		memcpy(&probe, data + size - 8, 8);
	/* An exact-size copy without a terminating NUL: the parser must honour len. */
	text = malloc(size ? size : 1);
	if (size)
		memcpy(text, data, size);
	m = procmaps__parse(text, size);
	FUZZ_CHECK(m != NULL);
	check_lookups(m, probe);
	procmaps__free(m);
	free(text);
	return 0;
}
