/* entities.h — HTML character references and UTF-8 encoding, shared by the feed parser
 * (HTML entities in RSS where no DTD declares them) and htmltext.
 *
 * Promise: no allocation, no global state; the entity table is libxml2's HTML 4 table
 * (the 253 names feeds use: nbsp, eacute, mdash, hellip, rsquo, ...) plus &apos;.
 */
#ifndef BRAID_ENTITIES_H
#define BRAID_ENTITIES_H

#include <stddef.h>
#include <stdint.h>

/* Bytes out[] needs for one encoded code point. */
#define UTF8_MAX 4

/* Encodes cp as UTF-8 into out; code points that are not Unicode scalar values or not
 * allowed in XML (surrogates, C0 controls but tab/LF/CR, U+FFFE/U+FFFF, > U+10FFFF) become
 * U+FFFD. Returns the byte count (1..4). */
size_t utf8_encode(uint32_t cp, char out[UTF8_MAX]);

/* The code point of the named HTML entity name[0..len) (case-sensitive, no '&' or ';'),
 * or 0 if there is none. */
uint32_t entity_lookup(const char *name, size_t len);

/* Decodes a character reference starting at s[0] == '&' within s[0..len): "&name;",
 * "&#123;", "&#x7B;". On success returns the bytes consumed and writes the UTF-8 into
 * out (*ret_outlen bytes); 0 if s does not start a reference braid knows. */
size_t entity_decode(const char *s, size_t len, char out[UTF8_MAX], size_t *ret_outlen);

/* Makes *s valid UTF-8 in place of the old string if it is not: each invalid sequence
 * becomes U+FFFD. The parser's last line of defence for its promise that every string it
 * hands out is valid UTF-8, whatever path the bytes took. 0 or -ENOMEM (*s unchanged). */
int utf8_make_valid(char **s);

/* The longest prefix of s[0..len) no longer than max bytes that does not end inside a UTF-8
 * sequence: len itself when len <= max. s[max] must be readable when len > max. */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Replaces the C1 controls U+0080..U+009F in the UTF-8 string s[0..len) with the
 * windows-1252 characters they stand for in practice ("&#150;" means an en dash, as in HTML5).
 * Returns a new string (caller frees) or NULL on -ENOMEM; s itself is not changed. */
char *c1_to_cp1252(const char *s, size_t len);

#endif
