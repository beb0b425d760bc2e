/* buf.h — a growable byte buffer with a hard size cap.
 *
 * Promise: the contents are always NUL-terminated (so text can be handed to C string
 * functions), growth is geometric, and no append ever takes the buffer past `cap` bytes:
 * it fails with -E2BIG instead, leaving the buffer as it was. Zero-initialise a struct buf
 * (or call buf_init) before use; buf_clear releases the memory and leaves an empty buffer.
 */
#ifndef BRAID_BUF_H
#define BRAID_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
  char *data;  /* NUL-terminated contents, or NULL while nothing was ever appended */
  size_t len;  /* bytes used, not counting the terminating NUL */
  size_t alloc;/* bytes allocated */
  size_t cap;  /* the most `len` may ever be; 0 means SIZE_MAX/2 */
};

void buf_init(struct buf *b, size_t cap);
void buf_clear(struct buf *b);
/* Empties the buffer but keeps its memory for reuse. */
void buf_reset(struct buf *b);
/* 0, -ENOMEM, or -E2BIG when the cap would be exceeded. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the contents to the caller (who frees them) and leaves the buffer empty.
 * Never NULL on success: an empty buffer yields an allocated "". NULL on -ENOMEM. */
char *buf_steal(struct buf *b);
/* The contents as a C string; "" for a buffer that holds nothing. */
const char *buf_str(const struct buf *b);

#endif
