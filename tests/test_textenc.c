/* test_textenc.c - UTF-8 validation with replacement, JSON and XML escaping on hostile input. */
#include "testutil.h"

#include <stdio.h>

#include "pyflame/textenc.h"
#include "pyflame/util.h"

#define R TEXTENC_REPLACEMENT

/* Run one encoder over a literal (embedded NULs included) and compare. */
#define CHECK(fn, in, want)							\
	do {									\
		struct strbuf sb_ = STRBUF_INIT;				\
										\
		fn(&sb_, in, sizeof(in) - 1);					\
		assert_int_equal(sb_.len, sizeof(want) - 1);			\
		assert_memory_equal(sb_.buf, want, sizeof(want) - 1);		\
		strbuf_release(&sb_);						\
	} while (0)

static void utf8_seq__each_malformation__rejected(void **state)
{
	static const struct {
		const char *s;
		size_t n, want;
		uint32_t cp;
	} cases[] = {
		{ "a", 1, 1, 'a' },
		{ "", 1, 1, 0 },			/* NUL is a character */
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac },
		{ "\xf0\x9f\x94\xa5", 4, 4, 0x1f525 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },	/* the last code point */
		{ "\x80", 1, 0, 0 },			/* stray continuation */
		{ "\xbf", 1, 0, 0 },
		{ "\xc0\x80", 2, 0, 0 },		/* overlong NUL */
		{ "\xc1\xbf", 2, 0, 0 },		/* overlong */
		{ "\xe0\x9f\xbf", 3, 0, 0 },		/* overlong 3-byte */
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },	/* overlong 4-byte */
		{ "\xed\xa0\x80", 3, 0, 0 },		/* surrogate D800 */
		{ "\xed\xbf\xbf", 3, 0, 0 },		/* surrogate DFFF */
		{ "\xf4\x90\x80\x80", 4, 0, 0 },	/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\xff", 1, 0, 0 },
		{ "\xe2\x82", 2, 0, 0 },		/* cut short */
		{ "\xe2\x82\xac", 2, 0, 0 },		/* cut short by n, not by the bytes */
		{ "\xe2\x28\xac", 3, 0, 0 },		/* bad continuation */
		{ "\xf0\x9f\x94\x41", 4, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t cp = 0xdeadbeef;
		size_t k = textenc__utf8_seq(cases[i].s, cases[i].n, &cp);

		if (k != cases[i].want)
			fail_msg("case %zu: length %zu, want %zu", i, k, cases[i].want);
		if (k)
			assert_int_equal(cp, cases[i].cp);
	}
	assert_int_equal(textenc__utf8_seq("a", 0, NULL), 0);
}

static void utf8_valid__mixed_strings__whole_string_judged(void **state)
{
	(void)state;
	assert_true(textenc__utf8_valid("", 0));
	assert_true(textenc__utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_true(textenc__utf8_valid("a\0b", 3));
	assert_false(textenc__utf8_valid("caf\xc3", 4));
	assert_false(textenc__utf8_valid("\xed\xa0\x80", 3));
	assert_false(textenc__utf8_valid("ok\xff", 3));
}

static void utf8_put__every_range_and_bad_code_points__round_trip(void **state)
{
	static const uint32_t cps[] = { 0, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff,
					0x10000, 0x10ffff };
	char buf[4];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cps); i++) {
		uint32_t back;
		size_t n = textenc__utf8_put(buf, cps[i]);

		assert_int_equal(textenc__utf8_seq(buf, n, &back), n);
		assert_int_equal(back, cps[i]);
	}
	assert_int_equal(textenc__utf8_put(buf, 0xd800), 3);
	assert_memory_equal(buf, R, 3);
	assert_int_equal(textenc__utf8_put(buf, 0x110000), 3);
	assert_memory_equal(buf, R, 3);
}

static void add_utf8__invalid_bytes__each_replaced_valid_kept(void **state)
{
	(void)state;
	CHECK(textenc__add_utf8, "plain", "plain");
	CHECK(textenc__add_utf8, "caf\xc3\xa9", "caf\xc3\xa9");
	/* each byte of a broken sequence is one replacement; what follows is kept */
	CHECK(textenc__add_utf8, "a\xff" "b", "a" R "b");
	CHECK(textenc__add_utf8, "\xed\xa0\x80z", R R R "z");
	CHECK(textenc__add_utf8, "\xe2\x82", R R);
	CHECK(textenc__add_utf8, "\xe2\x82\xc3\xa9", R R "\xc3\xa9");
	CHECK(textenc__add_utf8, "\xc0\x80", R R);
	/* controls are text as far as UTF-8 goes */
	CHECK(textenc__add_utf8, "a\0\n", "a\0\n");
}

static void add_json__quotes_controls_and_separators__escaped(void **state)
{
	(void)state;
	CHECK(textenc__add_json, "a\"b\\c", "a\\\"b\\\\c");
	CHECK(textenc__add_json, "\n\t\r\b\f", "\\n\\t\\u000d\\u0008\\u000c");
	CHECK(textenc__add_json, "\0\x01\x1f\x7f", "\\u0000\\u0001\\u001f\\u007f");
	CHECK(textenc__add_json, "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	CHECK(textenc__add_json, "/ '<>&", "/ '<>&");
	/* the case: a thread name with a Latin-1 byte */
	CHECK(textenc__add_json, "w\xf6rker", "w" R "rker");
	CHECK(textenc__add_json_string, "a\"\xff", "\"a\\\"" R "\"");
	CHECK(textenc__add_json_string, "", "\"\"");
	/* the escaping of '"' is not fooled by a broken sequence before it */
	CHECK(textenc__add_json, "\xc3\"", R "\\\"");
}

static void add_xml__markup_and_forbidden_characters__escaped(void **state)
{
	(void)state;
	CHECK(textenc__add_xml, "<a href=\"x\">&'</a>",
	      "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	CHECK(textenc__add_xml, "]]>", "]]&gt;");
	CHECK(textenc__add_xml, "\t\n\r", "\t\n\r");
	CHECK(textenc__add_xml, "\0\x01\x1b", R R R);
	CHECK(textenc__add_xml, "\xef\xbf\xbe\xef\xbf\xbf", R R);
	CHECK(textenc__add_xml, "\xff<", R "&lt;");
	CHECK(textenc__add_xml, "caf\xc3\xa9 \x7f", "caf\xc3\xa9 \x7f");
}

static void add_html__markup_cr_and_c1__escaped(void **state)
{
	(void)state;
	CHECK(textenc__add_html, "<script>&'\"", "&lt;script&gt;&amp;&apos;&quot;");
	CHECK(textenc__add_html, "a\rb\tc\n", "a&#13;b\tc\n");
	CHECK(textenc__add_html, "\x7f\xc2\x80\xc2\x9f\xc2\xa0", R R R "\xc2\xa0");
	CHECK(textenc__add_html, "\0\xff<!--", R R "&lt;!--");
}

/* Every output of every encoder over every 1- and 2-byte input is well-formed UTF-8. */
static void encoders__all_short_inputs__valid_utf8_no_raw_controls(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char in[3];

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b += (a < 0xc0 ? 255 : 1)) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0x80;
			for (size_t n = 1; n <= 3; n++) {
				strbuf_reset(&sb);
				textenc__add_json(&sb, in, n);
				assert_true(textenc__utf8_valid(sb.buf, sb.len));
				for (size_t i = 0; i < sb.len; i++)
					assert_true((unsigned char)sb.buf[i] >= 0x20 &&
						    sb.buf[i] != 0x7f);
				strbuf_reset(&sb);
				textenc__add_xml(&sb, in, n);
				assert_true(textenc__utf8_valid(sb.buf, sb.len));
				assert_null(memchr(sb.buf, '<', sb.len));
				strbuf_reset(&sb);
				textenc__add_html(&sb, in, n);
				assert_true(textenc__utf8_valid(sb.buf, sb.len));
				for (size_t i = 0; i < sb.len; i++)
					assert_true(sb.buf[i] != '<' && sb.buf[i] != '\r' &&
						    sb.buf[i] != 0x7f && sb.buf[i] != '\0');
				strbuf_reset(&sb);
				textenc__add_utf8(&sb, in, n);
				assert_true(textenc__utf8_valid(sb.buf, sb.len));
			}
		}
	}
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_seq__each_malformation__rejected),
		cmocka_unit_test(utf8_valid__mixed_strings__whole_string_judged),
		cmocka_unit_test(utf8_put__every_range_and_bad_code_points__round_trip),
		cmocka_unit_test(add_utf8__invalid_bytes__each_replaced_valid_kept),
		cmocka_unit_test(add_json__quotes_controls_and_separators__escaped),
		cmocka_unit_test(add_xml__markup_and_forbidden_characters__escaped),
		cmocka_unit_test(add_html__markup_cr_and_c1__escaped),
		cmocka_unit_test(encoders__all_short_inputs__valid_utf8_no_raw_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
