/*
 * textenc.h - text from a target made safe for each output: well-formed UTF-8, JSON
 * string contents, XML 1.0 text.  Strings come from another process's memory, its
 * /proc files or a raw log: any byte may appear, and every writer goes through here.
 */
#ifndef PYFLAME_TEXTENC_H
#define PYFLAME_TEXTENC_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8: what every byte that is not text becomes. */
#define TEXTENC_REPLACEMENT "\xef\xbf\xbd"

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at s, n > 0 bytes left; 0 if s does
 * not start one: a stray continuation byte, an overlong form, a surrogate, a code point
 * past U+10FFFF, or a sequence cut short.  The code point goes to *cp unless cp is NULL.
 */
size_t textenc__utf8_seq(const char *s, size_t n, uint32_t *cp);
/* 1 if all n bytes of s are well-formed UTF-8 (NUL is a character), else 0. */
int textenc__utf8_valid(const char *s, size_t n);
/* Encode cp at out (room for 4 bytes); surrogates and cp > U+10FFFF give U+FFFD.  Bytes written. */
size_t textenc__utf8_put(char *out, uint32_t cp);

/* Append s as well-formed UTF-8: each byte that starts no sequence becomes U+FFFD. */
void textenc__add_utf8(struct strbuf *sb, const char *s, size_t len);
/*
 * Append s as the inside of a JSON string (RFC 8259): well-formed UTF-8 as above; '"' and
 * '\\' escaped; every control character (U+0000-U+001F, U+007F) escaped, \n and \t by
 * name, the others as \u00XX; U+2028 and U+2029 escaped too, for JavaScript readers.
 */
void textenc__add_json(struct strbuf *sb, const char *s, size_t len);
/* The same between double quotes: a whole JSON string value. */
void textenc__add_json_string(struct strbuf *sb, const char *s, size_t len);
/*
 * Append s as XML 1.0 character data or attribute value: well-formed UTF-8 as above;
 * & < > " ' as entities; the characters XML 1.0 forbids even as references (C0 controls
 * but tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD.
 */
void textenc__add_xml(struct strbuf *sb, const char *s, size_t len);
/*
 * Append s as HTML text or a double-quoted attribute value: the XML escaping above, which
 * HTML5 parses back to the same text (&apos; is an HTML5 entity; no raw '<' or '&' is
 * left for a tag, comment or character reference to start at), plus CR as &#13; (the
 * parser would make it LF) and DEL and U+0080-U+009F as U+FFFD (parse errors in HTML5).
 * Not for inside <script> or <style>, nor unquoted attributes.
 */
void textenc__add_html(struct strbuf *sb, const char *s, size_t len);

#endif
