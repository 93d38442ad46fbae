/* test_idtab.c - the one hash table: every id found again, through growth and collisions. */
#include "testutil.h"
#include "pyflame/idtab.h"
#include "pyflame/util.h"

/* Find key (ids are keys here) by hash h, or insert it: the probe loop every user writes. */
static uint32_t find_or_add(struct idtab *t, uint64_t h, uint32_t key, int *added)
{
	size_t i;

	for (i = idtab__first(t, h); idtab__used(t, i); i = idtab__next(t, i))
		if (idtab__hash(t, i) == h && idtab__id(t, i) == key)
			return key;
	idtab__set(t, i, h, key);
	*added = 1;
	return key;
}

static void idtab__many_keys__all_found_after_growth(void **state)
{
	struct idtab t = { 0 };
	int added;

	(void)state;
	for (uint32_t k = 0; k < 100000; k++) {
		added = 0;
		find_or_add(&t, pf_hash64(&k, sizeof(k), 1), k, &added);
		assert_true(added);
	}
	assert_int_equal(t.n, 100000);
	assert_true(t.nslots >= 100000 * 4 / 3 && (t.nslots & (t.nslots - 1)) == 0);
	for (uint32_t k = 0; k < 100000; k++) {
		added = 0;
		assert_int_equal(find_or_add(&t, pf_hash64(&k, sizeof(k), 1), k, &added), k);
		assert_false(added);
	}
	idtab__release(&t);
	assert_null(t.slots);
}

/* Keys whose hashes are all equal: the caller's key comparison tells them apart. */
static void idtab__equal_hashes__told_apart_by_the_key(void **state)
{
	struct idtab t = { 0 };
	int added;

	(void)state;
	for (uint32_t k = 0; k < 500; k++) {
		added = 0;
		find_or_add(&t, 42, k, &added);
		assert_true(added);
	}
	for (uint32_t k = 0; k < 500; k++) {
		added = 0;
		find_or_add(&t, 42, k, &added);
		assert_false(added);
	}
	assert_int_equal(t.n, 500);
	idtab__release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idtab__many_keys__all_found_after_growth),
		cmocka_unit_test(idtab__equal_hashes__told_apart_by_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
