/* linetable.c - CPython line tables: 2.7/3.6-3.9 co_lnotab, 3.10 co_linetable, 3.11+ locations. */
#include "pyflame/linetable.h"

/* co_lnotab: (addr_incr u8, line_incr) pairs; line_incr unsigned in 2.7, int8 from 3.6. */
static int line_lnotab(const uint8_t *tab, size_t len, int firstlineno, int64_t addrq,
		       int is_signed)
{
	int64_t line = firstlineno, addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += tab[i];
		if (addr > addrq)
			break;
		line += is_signed ? (int8_t)tab[i + 1] : tab[i + 1];
	}
	return (int)line;
}

/* 3.10 (PEP 626): (sdelta u8, ldelta int8) pairs; ldelta -128 = no line. */
static int line_310(const uint8_t *tab, size_t len, int firstlineno, int64_t addrq)
{
	int64_t line = firstlineno, start, end = 0, ar_line;

	if (addrq < 0)
		return firstlineno;
	for (size_t i = 0; i + 1 < len; i += 2) {
		int8_t d = (int8_t)tab[i + 1];

		start = end;
		end += tab[i];
		if (d == -128) {
			ar_line = -1;
		} else {
			line += d;
			ar_line = line;
		}
		if (start <= addrq && addrq < end)
			return (int)ar_line;
	}
	return -1;
}

/*
 * 3.11+ varint: 6-bit little-endian chunks, 0x40 = more follow.  Stops at len (a
 * truncated varint yields what was read) and ignores bits beyond 32.
 */
static uint32_t read_varint(const uint8_t *tab, size_t len, size_t i)
{
	uint32_t val = 0;
	unsigned shift = 0;

	while (i < len) {
		uint8_t b = tab[i++];

		if (shift < 32)
			val |= (uint32_t)(b & 63) << shift;
		if (!(b & 64))
			break;
		shift += 6;
	}
	return val;
}

static int line_311(const uint8_t *tab, size_t len, int firstlineno, int64_t addrq)
{
	int64_t line = firstlineno, addr = 0;
	size_t i = 0;

	if (addrq < 0)
		return firstlineno;
	while (i < len) {
		uint8_t b = tab[i++];
		int code = (b >> 3) & 15;
		int64_t n = ((b & 7) + 1) * 2;

		if (code == 13 || code == 14) {
			uint32_t u = read_varint(tab, len, i);

			line += (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
		} else if (code >= 10 && code <= 12) {
			line += code - 10;
		}
		while (i < len && !(tab[i] & 0x80))
			i++;
		if (addr <= addrq && addrq < addr + n)
			return code == 15 ? -1 : (int)line;
		addr += n;
	}
	return -1;
}

int linetable__line(enum linetable_kind kind, const uint8_t *tab, size_t len,
		    int firstlineno, int64_t addrq)
{
	if (!tab)
		len = 0;
	switch (kind) {
	case LINETABLE_LNOTAB27:
		return line_lnotab(tab, len, firstlineno, addrq, 0);
	case LINETABLE_LNOTAB36:
		return line_lnotab(tab, len, firstlineno, addrq, 1);
	case LINETABLE_310:
		return line_310(tab, len, firstlineno, addrq);
	case LINETABLE_311:
		return line_311(tab, len, firstlineno, addrq);
	}
	return -1;
}
