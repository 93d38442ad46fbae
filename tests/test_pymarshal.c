/*
 * test_pymarshal.c - the marshal objects a pstats file is made of, byte for byte, and
 * the smallest pstats file the writer makes.
 */
#include "testutil.h"

#include <stdio.h>

#include "pyflame/pymarshal.h"
#include "pyflame/util.h"
#include "pyflame/writers.h"
#include "profile_build.h"

#define EXPECT(sb, lit)								\
	do {									\
		assert_int_equal((sb)->len, sizeof(lit) - 1);			\
		assert_memory_equal((sb)->buf, lit, sizeof(lit) - 1);		\
		strbuf_reset(sb);						\
	} while (0)

static void pymarshal__int__small_as_i_large_as_l(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	pymarshal__int(&sb, 0);
	EXPECT(&sb, "i\0\0\0\0");
	pymarshal__int(&sb, 258);
	EXPECT(&sb, "i\x02\x01\0\0");
	pymarshal__int(&sb, -1);
	EXPECT(&sb, "i\xff\xff\xff\xff");
	pymarshal__int(&sb, 2147483647);
	EXPECT(&sb, "i\xff\xff\xff\x7f");
	/* 2^31 = 2 * 2^30: digits (15 bits) 0, 0, 2 */
	pymarshal__int(&sb, 2147483648ll);
	EXPECT(&sb, "l\x03\0\0\0" "\0\0" "\0\0" "\x02\0");
	pymarshal__int(&sb, -2147483649ll);
	EXPECT(&sb, "l\xfd\xff\xff\xff" "\x01\0" "\0\0" "\x02\0");
	pymarshal__int(&sb, INT64_MAX);	/* 63 bits: 5 digits, 3 bits in the last */
	EXPECT(&sb, "l\x05\0\0\0" "\xff\x7f" "\xff\x7f" "\xff\x7f" "\xff\x7f" "\x07\0");
	strbuf_release(&sb);
}

static void pymarshal__float__binary_little_endian(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	pymarshal__float(&sb, 1.5);
	EXPECT(&sb, "g\0\0\0\0\0\0\xf8\x3f");
	pymarshal__float(&sb, 0.0);
	EXPECT(&sb, "g\0\0\0\0\0\0\0\0");
	strbuf_release(&sb);
}

static void pymarshal__str__interned_utf8_invalid_bytes_replaced(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	pymarshal__str(&sb, "", 0);
	EXPECT(&sb, "t\0\0\0\0");
	pymarshal__str(&sb, "a.py", 4);
	EXPECT(&sb, "t\x04\0\0\0a.py");
	/* a lone 0xff becomes U+FFFD (3 bytes): the length counts the bytes written */
	pymarshal__str(&sb, "x\xffy", 3);
	EXPECT(&sb, "t\x05\0\0\0x\xef\xbf\xbdy");
	pymarshal__str(&sb, "\xc3\xa9", 2);
	EXPECT(&sb, "t\x02\0\0\0\xc3\xa9");
	strbuf_release(&sb);
}

static void pymarshal__containers__tuple_count_dict_null_end(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	pymarshal__dict_begin(&sb);
	pymarshal__tuple(&sb, 2);
	pymarshal__int(&sb, 1);
	pymarshal__str(&sb, "k", 1);
	pymarshal__tuple(&sb, 0);
	pymarshal__dict_end(&sb);
	EXPECT(&sb, "{(\x02\0\0\0i\x01\0\0\0t\x01\0\0\0k(\0\0\0\0" "0");
	strbuf_release(&sb);
}

/*
 * One sample of main -> f at 10 ms a sample: two functions, f called by main.
 *   {(file, line, name): (cc, nc, tt, ct, {caller: (nc, cc, tt, ct)})}
 */
static void writer_pstats__one_stack__exact_bytes(void **state)
{
	struct profile *p = profile__new();
	uint32_t t = profile__thread(p, profile__process(p, 7, "python3 a.py", "3.12.1"), 7, "M");
	struct output_opts o = { .line_numbers = 1 };
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
#define T3(file, line, name) "(\x03\0\0\0" "t" file "i" line "t" name
#define F001 "g\x7b\x14\xae\x47\xe1\x7a\x84\x3f"	/* 0.01 */
#define F0 "g\0\0\0\0\0\0\0\0"
#define I1 "i\x01\0\0\0"
	static const char want[] =
		"{"
		T3("\x04\0\0\0a.py", "\x03\0\0\0", "\x04\0\0\0main")	/* main: line 3 */
		"(\x05\0\0\0" I1 I1 F0 F001 "{0"
		T3("\x04\0\0\0a.py", "\x09\0\0\0", "\x01\0\0\0f")		/* f: line 9 */
		"(\x05\0\0\0" I1 I1 F001 F001
		"{" T3("\x04\0\0\0a.py", "\x03\0\0\0", "\x04\0\0\0main")
		"(\x04\0\0\0" I1 I1 F001 F001 "0"
		"0";

	(void)state;
	p->meta.rate_hz = 100;
	p->meta.duration_ns = 1000000000;
	p->meta.ticks = 100;
	PB_ADD(p, t, 0, 1, "main@a.py:3", "f@a.py:9");
	assert_non_null(m);
	assert_int_equal(pf_write(PF_FORMAT_PSTATS, p, &o, m), 0);
	assert_int_equal(fclose(m), 0);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	free(buf);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pymarshal__int__small_as_i_large_as_l),
		cmocka_unit_test(pymarshal__float__binary_little_endian),
		cmocka_unit_test(pymarshal__str__interned_utf8_invalid_bytes_replaced),
		cmocka_unit_test(pymarshal__containers__tuple_count_dict_null_end),
		cmocka_unit_test(writer_pstats__one_stack__exact_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
