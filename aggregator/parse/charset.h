/* charset.h — decide a feed's character encoding and turn its bytes into clean UTF-8.
 *
 * Promise: whatever comes in, what comes out is valid UTF-8 that XML accepts: no C0 controls
 * but tab/LF/CR, no U+FFFE/U+FFFF, no surrogates. In a document read as UTF-8, a stray byte
 * that cannot start or continue a sequence is taken as windows-1252 (the usual cause: a
 * latin-1 or cp1252 word pasted into a UTF-8 feed), so "caf\xe9" reads "café"; a broken
 * multi-byte sequence and bytes windows-1252 leaves undefined become U+FFFD. iso-8859-1 and
 * us-ascii are read as windows-1252, as browsers do. Other charsets go through iconv.
 * Sequences split across pushes are carried over. Memory is a small multiple of one push.
 */
#ifndef BRAID_CHARSET_H
#define BRAID_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#define CHARSET_LABEL_MAX 40

/* Decides the encoding from the first bytes of a document: a byte-order mark wins, then the
 * HTTP charset (http_charset, may be NULL), then the XML declaration's encoding, then UTF-16
 * detected from "<?" with NULs, then UTF-8. Writes the lower-case label into label and the
 * length of the byte-order mark (to skip) into *ret_bom_len. */
void charset_sniff(const char *data, size_t len, const char *http_charset,
                   char label[CHARSET_LABEL_MAX], size_t *ret_bom_len);

struct charset_decoder;

/* A decoder for label. An unknown label yields a UTF-8 decoder and *ret_known = false.
 * 0 or -ENOMEM. */
int charset_decoder_new(const char *label, struct charset_decoder **ret, bool *ret_known);
void charset_decoder_free(struct charset_decoder *d);

/* Decodes the next len bytes. *ret_data and *ret_len receive the UTF-8 to hand on: either `in`
 * itself (clean UTF-8, the common case, no copy) or the decoder's own buffer, valid until the
 * next call. final: the document ends here (an unfinished sequence becomes U+FFFD).
 * 0 or -ENOMEM. */
int charset_decode(struct charset_decoder *d, const char *in, size_t len, bool final,
                   const char **ret_data, size_t *ret_len);

#endif
