/*
 * fuzz_linetable.c - the four line-table decoders over arbitrary tables.
 *
 * Input: u8 kind, i32 firstlineno, i64 addrq, then the table.  Besides the fuzzer's addrq,
 * every decoder sees -1 and INT64_MIN (must give firstlineno), INT64_MAX, and 64 even
 * offsets spread up to the table's reach, so a table is walked as a whole.
 */
#include "fuzz.h"
#include "pyflame/linetable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	enum linetable_kind kind = (enum linetable_kind)(fuzz_u8(&in) % 4);
	int32_t first = (int32_t)fuzz_u32(&in);
	int64_t addrq = (int64_t)fuzz_u64(&in);
	uint8_t *tab;
	size_t len = in.left;

	/* An exact-size copy, so a read one byte past the table is caught. */
	tab = malloc(len ? len : 1);
	if (len)
		memcpy(tab, in.p, len);
	(void)linetable__line(kind, tab, len, first, addrq);
	FUZZ_CHECK(linetable__line(kind, tab, len, first, -1) == first);
	FUZZ_CHECK(linetable__line(kind, tab, len, first, INT64_MIN) == first);
	(void)linetable__line(kind, tab, len, first, INT64_MAX);
	/* 64 offsets spread over the table's reach (16 bytes of code per table byte at most). */
	for (int64_t q = 0, reach = (int64_t)len * 16 + 2; q <= reach; q += 2 + reach / 64 * 2)
		(void)linetable__line(kind, tab, len, first, q);
	/* No table at all. */
	FUZZ_CHECK(linetable__line(kind, NULL, len, first, -1) == first);
	(void)linetable__line(kind, NULL, 0, first, addrq);
	free(tab);
	return 0;
}
