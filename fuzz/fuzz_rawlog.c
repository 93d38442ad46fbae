/*
 * fuzz_rawlog.c - rawlog__read over arbitrary bytes into a profile.
 *
 * `pyflame report` reads a raw log it did not necessarily write: the reader must skip a
 * damaged stretch to the next place where records make sense again (resynchronisation),
 * count what it skipped, and leave a profile whose every id resolves and that the writers
 * can fold.
 */
#include "fuzz.h"
#include "profile_check.h"
#include "pyflame/rawlog.h"

struct seen {
	const struct profile *p;
	uint64_t n, last_t;
};

static void each(void *arg, uint64_t t_ns, uint32_t thread, uint32_t stack, uint32_t flags)
{
	struct seen *s = arg;

	FUZZ_CHECK(thread < s->p->nthreads && stack < s->p->nstacks && flags <= 0xffff);
	s->last_t = t_ns;
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = profile__new();
	struct rawlog_info info;
	struct seen s = { p, 0, 0 };
	FILE *in;
	int err;

	in = fmemopen((void *)data, size, "rb");
	if (!in) {			/* glibc refuses size 0 */
		profile__free(p);
		return 0;
	}
	err = rawlog__read(in, p, each, &s, &info);
	fclose(in);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (!err) {
		FUZZ_CHECK(info.samples == s.n);
		FUZZ_CHECK(!(info.complete && info.truncated));
		FUZZ_CHECK(info.skipped_bytes <= size && info.damaged <= info.skipped_bytes);
		FUZZ_CHECK(info.samples == p->total);
		profile_check(p);
	}
	profile__free(p);
	return 0;
}
