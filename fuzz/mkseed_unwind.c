/*
 * mkseed_unwind.c - seeds for fuzz_unwind: the unit tests' fake process images
 * (tests/test_unwind.c's build(): a runtime, an interpreter, two threads with every kind
 * of frame and string), one per version, in the format of fakeimage.h.
 *
 *	mkseed_unwind OUTDIR
 *
 * Built and run by fuzz/seeds.sh; the seeds it writes are committed under fuzz/corpus/.
 */
#define main test_unwind_main
#include "../tests/test_unwind.c"
#undef main

#include "fakeimage.h"

static void put(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n)
		abort();
}

static void put_region(FILE *f, uint64_t addr, const uint8_t *data, uint32_t len)
{
	uint32_t l = data ? len : len | FAKEIMAGE_ZERO;

	put(f, &addr, 8);
	put(f, &l, 4);
	if (data)
		put(f, data, len);
}

/* The image's used bytes as adjacent regions, long zero runs as zero regions. */
static void put_image(FILE *f, const struct fakemem *m)
{
	size_t i = 0, start = 0;

	while (i < m->used) {
		size_t z = i;

		while (z < m->used && !m->buf[z])
			z++;
		if (z - i >= 64 || z == m->used) {
			if (i > start)
				put_region(f, m->base + start, m->buf + start, (uint32_t)(i - start));
			if (z > i)
				put_region(f, m->base + i, NULL, (uint32_t)(z - i));
			start = z;
		}
		i = z == i ? i + 1 : z;
	}
	if (m->used > start)
		put_region(f, m->base + start, m->buf + start, (uint32_t)(m->used - start));
}

static void write_seed(const char *dir, size_t vi, const char *tag, uint8_t flags,
		       uint8_t depth, uint8_t samples, uint32_t esrch_after)
{
	unsigned v = fakeimage_versions[vi];
	struct img im;
	char path[4200];
	uint8_t vb = (uint8_t)vi;
	FILE *f;

	build(&im, v);
	if (flags & FAKEIMAGE_F_ASYNC_ALL) {
		/* the tasks of the --async=all unit test, in the fuzzer's 3.14 task layout */
		uint8_t b[PY_ASYNC_DEBUG_SIZE];
		struct py_async_offsets a;
		struct aio_tasks x;

		aio_blob(b, aio314);
		if (py_offsets__from_async_debug(b, sizeof(b), &im.o, &a))
			abort();
		build_tasks(&im, &a, &x);
	}
	snprintf(path, sizeof(path), "%s/img-%u.%u%s", dir, PY_VER_MAJOR(v), PY_VER_MINOR(v), tag);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	put(f, &vb, 1);
	put(f, &flags, 1);
	put(f, &depth, 1);
	put(f, &samples, 1);
	put(f, &esrch_after, 4);
	put(f, &im.loc.runtime_addr, 8);
	put(f, &im.loc.interp_head_addr, 8);
	put(f, &im.loc.tstate_current_addr, 8);
	put(f, &im.loc.code_type_addr, 8);
	put(f, &im.loc.str_type_addr, 8);
	put(f, &im.loc.bytes_type_addr, 8);
	put_image(f, &im.m);
	if (fclose(f))
		abort();
	release(&im);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseed_unwind OUTDIR\n");
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fakeimage_versions); i++) {
		write_seed(argv[1], i, "", 0, 15, 1, 0);
		write_seed(argv[1], i, "-depth2-pid", FAKEIMAGE_F_PID, 1, 0, 0);
		if (fakeimage_versions[i] == PY_VER(3, 14))
			write_seed(argv[1], i, "-tasks", FAKEIMAGE_F_ASYNC | FAKEIMAGE_F_ASYNC_ALL,
				   15, 2, 0);
	}
	return 0;
}
