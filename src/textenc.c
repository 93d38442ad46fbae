/*
 * textenc.c - UTF-8 validation with replacement, JSON and XML escaping: the one copy
 * every writer, the unwinder's string decoding and the stack dump use.
 */
#include "pyflame/textenc.h"

#include "pyflame/util.h"

size_t textenc__utf8_seq(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;	/* the range of the second byte */
	uint32_t c;
	size_t want;

	if (!n)
		return 0;
	if (u[0] < 0x80) {
		if (cp)
			*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		want = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		want = 3;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;		/* below: overlong */
		else if (u[0] == 0xed)
			hi = 0x9f;		/* above: surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		want = 4;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;		/* below: overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f;		/* above: past U+10FFFF */
	} else {
		return 0;			/* continuation byte, 0xc0, 0xc1, 0xf5-0xff */
	}
	if (n < want || u[1] < lo || u[1] > hi)
		return 0;
	c = c << 6 | (u[1] & 0x3f);
	for (size_t i = 2; i < want; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (cp)
		*cp = c;
	return want;
}

int textenc__utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = textenc__utf8_seq(s + i, n - i, NULL);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

size_t textenc__utf8_put(char *out, uint32_t c)
{
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The walk the three encoders share.  Runs of bytes that need nothing are appended in
 * one go; escape() is asked about every character (cp, its bytes at s[0..k)) and
 * returns the text to put instead, or NULL to keep it.  Invalid bytes become U+FFFD.
 */
typedef const char *(*textenc_escape_fn)(uint32_t cp, char tmp[8]);

static void add_escaped(struct strbuf *sb, const char *s, size_t len, textenc_escape_fn escape)
{
	size_t run = 0, i = 0;

	while (i < len) {
		const char *rep;
		uint32_t cp;
		size_t k = textenc__utf8_seq(s + i, len - i, &cp);
		char tmp[8];

		if (!k) {
			rep = TEXTENC_REPLACEMENT;
			k = 1;
		} else {
			rep = escape(cp, tmp);
		}
		if (rep) {
			strbuf_add(sb, s + run, i - run);
			strbuf_addstr(sb, rep);
			run = i + k;
		}
		i += k;
	}
	strbuf_add(sb, s + run, len - run);
}

static const char *escape_none(uint32_t cp, char tmp[8])
{
	(void)cp;
	(void)tmp;
	return NULL;
}

static const char *escape_json(uint32_t cp, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case 0x2028:
		return "\\u2028";
	case 0x2029:
		return "\\u2029";
	}
	if (cp >= 0x20 && cp != 0x7f)
		return NULL;
	tmp[0] = '\\';
	tmp[1] = 'u';
	tmp[2] = '0';
	tmp[3] = '0';
	tmp[4] = hex[cp >> 4 & 0xf];
	tmp[5] = hex[cp & 0xf];
	tmp[6] = '\0';
	return tmp;
}

static const char *escape_xml(uint32_t cp, char tmp[8])
{
	(void)tmp;
	switch (cp) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&apos;";
	case '\t':
	case '\n':
	case '\r':
		return NULL;
	case 0xfffe:
	case 0xffff:
		return TEXTENC_REPLACEMENT;
	}
	return cp < 0x20 ? TEXTENC_REPLACEMENT : NULL;
}

void textenc__add_utf8(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_none);
}

void textenc__add_json(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_json);
}

void textenc__add_json_string(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_addch(sb, '"');
	add_escaped(sb, s, len, escape_json);
	strbuf_addch(sb, '"');
}

void textenc__add_xml(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_xml);
}

/*
 * HTML text: XML's escaping, and what HTML5 would change or flag: a CR (which the parser
 * turns into LF) as a reference, DEL and the C1 controls (parse errors) as U+FFFD.
 */
static const char *escape_html(uint32_t cp, char tmp[8])
{
	if (cp == '\r')
		return "&#13;";
	if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return TEXTENC_REPLACEMENT;
	return escape_xml(cp, tmp);
}

void textenc__add_html(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_html);
}
