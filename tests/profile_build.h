/* profile_build.h - build small profiles in tests from "name@file:line" strings. */
#ifndef PYFLAME_TESTS_PROFILE_BUILD_H
#define PYFLAME_TESTS_PROFILE_BUILD_H

#include <stdlib.h>
#include <string.h>

#include "pyflame/profile.h"
#include "pyflame/util.h"

/* Add count samples of a stack, root first; each frame "name@file:line" or "name@file". */
static inline void pb_add(struct profile *p, uint32_t thread, uint32_t flags, uint64_t count,
			  const char *const *spec, size_t n)
{
	uint32_t frames[64];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(spec[i], '@'), *colon = strrchr(spec[i], ':');
		struct pf_frame f;

		assert_non_null(at);
		f.name = strtab__intern(p->strings, spec[i], (size_t)(at - spec[i]));
		if (colon && colon > at && colon[1] >= '0' && colon[1] <= '9') {
			f.file = strtab__intern(p->strings, at + 1, (size_t)(colon - at - 1));
			f.line = atoi(colon + 1);
		} else {
			f.file = strtab__intern_str(p->strings, at + 1);
			f.line = -1;
		}
		frames[i] = profile__frame(p, &f);
	}
	profile__add(p, thread, profile__stack(p, frames, n), flags, count);
}

#define PB_ADD(p, t, fl, c, ...) do { \
	static const char *const s_[] = { __VA_ARGS__ }; \
	pb_add(p, t, fl, c, s_, ARRAY_SIZE(s_)); \
} while (0)

#endif
