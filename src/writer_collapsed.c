/* writer_collapsed.c - Brendan Gregg's collapsed stacks: "root;...;leaf count" per line. */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>

int writer_collapsed__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	size_t n = 0;
	struct pf_folded *f = profile__fold(p, o, &n);
	int ret = 0;

	errno = 0;
	for (size_t i = 0; i < n; i++) {
		if (fprintf(out, "%s %" PRIu64 "\n", f[i].path, f[i].count) < 0) {
			ret = errno ? -errno : -EIO;
			goto out_free;
		}
	}
	if (fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
out_free:
	pf_folded__free(f, n);
	return ret;
}
