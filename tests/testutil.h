/* testutil.h - what every cmocka test includes. */
#ifndef PYFLAME_TESTUTIL_H
#define PYFLAME_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Directory of tests/fixtures, from the environment (make sets it) or the source tree. */
static inline const char *fixtures_dir(void)
{
	const char *d = getenv("PYFLAME_FIXTURES");

	return d ? d : "tests/fixtures";
}

/* How many times needle occurs in hay (non-overlapping). */
static inline size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *q = hay; (q = strstr(q, needle)); q += strlen(needle))
		n++;
	return n;
}

#endif
