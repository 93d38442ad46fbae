/* writer_collapsed.c - Brendan Gregg's collapsed stacks: "root;...;leaf count" per line. */
#include "pyflame/writers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

/*
 * Sorted by text, written label by label: the joined lines are never held in memory
 * (tens of MiB for tens of thousands of deep stacks).
 */
int writer_collapsed__write(const struct profile *p, const struct output_opts *o, FILE *out)
{
	struct pf_paths *pp = profile__paths(p, o);
	size_t *order = pf_paths__sorted(pp);
	int ret = 0;

	errno = 0;
	for (size_t i = 0; i < pp->n; i++) {
		if (pf_paths__write_path(pp, order[i], out) ||
		    fprintf(out, " %" PRIu64 "\n", pp->count[order[i]]) < 0) {
			ret = errno ? -errno : -EIO;
			goto out_free;
		}
	}
	if (fflush(out) == EOF || ferror(out))
		ret = errno ? -errno : -EIO;
out_free:
	free(order);
	pf_paths__free(pp);
	return ret;
}
