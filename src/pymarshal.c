/* pymarshal.c - Python marshal objects that 2.7 and 3.x both load (pymarshal.h). */
#include "pyflame/pymarshal.h"

#include <string.h>

#include "pyflame/textenc.h"
#include "pyflame/util.h"

static void put_le32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff, v >> 24 & 0xff };

	strbuf_add(sb, b, sizeof(b));
}

void pymarshal__dict_begin(struct strbuf *sb)
{
	strbuf_addch(sb, '{');
}

void pymarshal__dict_end(struct strbuf *sb)
{
	strbuf_addch(sb, '0');		/* TYPE_NULL ends a dict */
}

void pymarshal__tuple(struct strbuf *sb, uint32_t n)
{
	strbuf_addch(sb, '(');
	put_le32(sb, n);
}

void pymarshal__int(struct strbuf *sb, int64_t v)
{
	unsigned char digits[10][2];	/* 64 bits need at most 5 digits of 15 bits */
	uint64_t mag;
	int32_t n = 0;

	if (v >= INT32_MIN && v <= INT32_MAX) {
		strbuf_addch(sb, 'i');
		put_le32(sb, (uint32_t)(int32_t)v);
		return;
	}
	mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	while (mag) {
		digits[n][0] = mag & 0xff;
		digits[n][1] = mag >> 8 & 0x7f;
		mag >>= 15;
		n++;
	}
	strbuf_addch(sb, 'l');
	put_le32(sb, (uint32_t)(v < 0 ? -n : n));
	strbuf_add(sb, digits, (size_t)n * 2);
}

void pymarshal__float(struct strbuf *sb, double v)
{
	unsigned char b[8];
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	for (int i = 0; i < 8; i++)
		b[i] = u >> (8 * i) & 0xff;
	strbuf_addch(sb, 'g');
	strbuf_add(sb, b, sizeof(b));
}

void pymarshal__str(struct strbuf *sb, const char *s, size_t len)
{
	size_t at, n;

	strbuf_addch(sb, 't');
	at = sb->len;
	put_le32(sb, 0);
	textenc__add_utf8(sb, s, len);
	n = sb->len - at - 4;	/* names and paths: far below 2 GiB */
	for (int i = 0; i < 4; i++)
		sb->buf[at + i] = (char)(n >> (8 * i) & 0xff);
}
