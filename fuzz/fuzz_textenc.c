/*
 * fuzz_textenc.c - the text encoders (textenc.h) on any bytes: every output must be
 * well-formed UTF-8 by an independent check, JSON must parse back to the input's
 * characters, XML must hold no markup and no character XML 1.0 forbids.
 */
#include "fuzz.h"

#include "pyflame/textenc.h"
#include "pyflame/util.h"

/* Well-formed UTF-8 by the definition in Unicode's table 3-7, written apart from textenc.c. */
static int well_formed(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c < 0xc2 || c > 0xf4 || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += k;
	}
	return 1;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Undo textenc__add_json's escapes; the result must be add_utf8 of the same input. */
static void json_unescape(const struct strbuf *in, struct strbuf *out)
{
	for (size_t i = 0; i < in->len; i++) {
		char c = in->buf[i];
		uint32_t cp;
		char u[4];

		FUZZ_CHECK((unsigned char)c >= 0x20 && c != 0x7f && c != '"');
		if (c != '\\') {
			strbuf_addch(out, c);
			continue;
		}
		FUZZ_CHECK(i + 1 < in->len);
		c = in->buf[++i];
		if (c == 'n' || c == 't' || c == '"' || c == '\\') {
			strbuf_addch(out, c == 'n' ? '\n' : c == 't' ? '\t' : c);
			continue;
		}
		FUZZ_CHECK(c == 'u' && i + 4 < in->len);
		cp = 0;
		for (int j = 1; j <= 4; j++)
			cp = cp << 4 | (uint32_t)hexval(in->buf[i + j]);
		i += 4;
		strbuf_add(out, u, textenc__utf8_put(u, cp));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct strbuf utf8 = STRBUF_INIT, json = STRBUF_INIT, back = STRBUF_INIT,
		      xml = STRBUF_INIT, html = STRBUF_INIT;

	textenc__add_utf8(&utf8, s, size);
	FUZZ_CHECK(well_formed((const unsigned char *)utf8.buf, utf8.len));
	FUZZ_CHECK(textenc__utf8_valid(utf8.buf, utf8.len));
	FUZZ_CHECK(textenc__utf8_valid(s, size) == well_formed(data, size));
	if (well_formed(data, size))
		FUZZ_CHECK(utf8.len == size && !memcmp(utf8.buf, s, size));

	textenc__add_json(&json, s, size);
	FUZZ_CHECK(well_formed((const unsigned char *)json.buf, json.len));
	json_unescape(&json, &back);
	FUZZ_CHECK(back.len == utf8.len && !memcmp(back.buf, utf8.buf, utf8.len));

	textenc__add_xml(&xml, s, size);
	FUZZ_CHECK(well_formed((const unsigned char *)xml.buf, xml.len));
	for (size_t i = 0; i < xml.len; i++) {
		unsigned char c = (unsigned char)xml.buf[i];

		FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
		FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		if (c == 0xef && i + 2 < xml.len)
			FUZZ_CHECK(!((unsigned char)xml.buf[i + 1] == 0xbf &&
				     (unsigned char)xml.buf[i + 2] >= 0xbe));
	}

	textenc__add_html(&html, s, size);
	FUZZ_CHECK(well_formed((const unsigned char *)html.buf, html.len));
	for (size_t i = 0; i < html.len; i++) {
		unsigned char c = (unsigned char)html.buf[i];

		FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'' && c != '\r' && c != 0x7f);
		FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n');
		if (c == 0xc2 && i + 1 < html.len)	/* no C1 control */
			FUZZ_CHECK((unsigned char)html.buf[i + 1] >= 0xa0);
	}

	strbuf_release(&html);
	strbuf_release(&utf8);
	strbuf_release(&json);
	strbuf_release(&back);
	strbuf_release(&xml);
	return 0;
}
