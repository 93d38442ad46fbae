/*
 * fuzz_collapsed.c - pf_diff__read_collapsed over arbitrary bytes, as `pyflame diff` and
 * `pyflame report` (merge.c) read a collapsed file they did not write: refuse it whole
 * (-EINVAL with a line and a message) or keep paths whose counts add up to the total,
 * under every matching option, and write them back.
 */
#include "fuzz.h"
#include "pyflame/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diff_opts o = { .line_numbers = 1 };
	struct pf_diff *d;
	struct diff_parse_error err;
	uint64_t samples = 0, sum = 0;
	FILE *in, *out;
	int ret;

	if (size) {
		o.line_numbers = data[0] & 1;
		o.keep_pids = !!(data[0] & 2);
		o.strip_process = !!(data[0] & 4);
	}
	in = fmemopen((void *)data, size, "rb");
	if (!in)			/* glibc refuses size 0 */
		return 0;
	d = pf_diff__new();
	ret = pf_diff__read_collapsed(d, PF_DIFF_NEW, in, &o, &samples, &err);
	fclose(in);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(err.line > 0 && err.msg[0]);
	} else {
		for (size_t i = 0; i < d->paths->n; i++)
			sum += d->paths->count[i];
		FUZZ_CHECK(sum == d->paths->total && samples == sum);
		out = fopen("/dev/null", "w");
		if (out) {
			FUZZ_CHECK(pf_diff__write_collapsed(d, out) == 0);
			fclose(out);
		}
	}
	pf_diff__free(d);
	return 0;
}
