/* buf.c — growable, capped byte buffer. See buf.h. */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap) {
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
  b->cap = cap;
}

void buf_clear(struct buf *b) {
  if (!b)
    return;
  free(b->data);
  buf_init(b, b->cap);
}

void buf_reset(struct buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

static size_t buf_limit(const struct buf *b) { return b->cap ? b->cap : SIZE_MAX / 2; }

/* Makes room for `extra` more bytes plus the NUL. */
static int buf_reserve(struct buf *b, size_t extra) {
  if (extra > buf_limit(b) - b->len)
    return -E2BIG;
  size_t need = b->len + extra + 1;
  if (need <= b->alloc)
    return 0;
  size_t n = b->alloc ? b->alloc : 64;
  while (n < need)
    n = n > SIZE_MAX / 4 ? need : n * 2;
  if (n > buf_limit(b) + 1)
    n = buf_limit(b) + 1;
  char *p = realloc(b->data, n);
  if (!p)
    return -ENOMEM;
  b->data = p;
  b->alloc = n;
  return 0;
}

int buf_append(struct buf *b, const void *data, size_t len) {
  int r = buf_reserve(b, len);
  if (r < 0)
    return r;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int buf_append_str(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_append_char(struct buf *b, char c) { return buf_append(b, &c, 1); }

static __attribute__((format(printf, 2, 0))) int buf_vprintf(struct buf *b, const char *fmt,
                                                              va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return -EINVAL;
  int r = buf_reserve(b, (size_t)n);
  if (r < 0)
    return r;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return r;
}

char *buf_steal(struct buf *b) {
  char *p = b->data;
  if (!p)
    p = strdup("");
  buf_init(b, b->cap);
  return p;
}

const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }
