/*
 * pymarshal.h - the few objects of Python's marshal format a pstats file needs, written
 * so that both Python 2.7 and every Python 3 read them back with marshal.load().
 *
 *   dict    '{' key value ... '0'
 *   tuple   '(' n:int32le items...            (not ')', the 3.4+ small tuple)
 *   int     'i' int32le, or 'l' n:int32le 15-bit digits:uint16le (sign in n) when larger
 *   float   'g' IEEE 754 double, little-endian (marshal version 2+)
 *   string  't' n:int32le UTF-8 bytes: an interned string, which 2.7 reads as its native
 *           str (bytes, as cProfile writes there) and 3.x as str (decoded from UTF-8).
 *           's' would be bytes on 3.x and 'u' unicode on 2.7.
 *
 * Everything is appended to a strbuf; nothing here fails.
 */
#ifndef PYFLAME_PYMARSHAL_H
#define PYFLAME_PYMARSHAL_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

void pymarshal__dict_begin(struct strbuf *sb);
void pymarshal__dict_end(struct strbuf *sb);
/* A tuple of n items: the n objects are appended next. */
void pymarshal__tuple(struct strbuf *sb, uint32_t n);
void pymarshal__int(struct strbuf *sb, int64_t v);
void pymarshal__float(struct strbuf *sb, double v);
/* s (any bytes) made well-formed UTF-8 (textenc.h) first. */
void pymarshal__str(struct strbuf *sb, const char *s, size_t len);

#endif
