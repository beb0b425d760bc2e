/* gzip.c — whole-buffer gzip compression with zlib. See gzip.h. */
#include "gzip.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <zlib.h>

/* zlib's default trade-off: most of level 9's ratio at a fraction of its time. */
#define GZIP_LEVEL 6
/* windowBits 15 plus 16 asks zlib for a gzip wrapper instead of a zlib one. */
#define GZIP_WINDOW_BITS (15 + 16)
/* Output is produced in chunks of this many bytes, then appended to the caller's buf. */
#define GZIP_CHUNK_BYTES 16384

int gzip_compress(const void *data, size_t len, struct buf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return -ENOMEM;
  size_t start = out->len;
  const unsigned char *in = data;
  unsigned char chunk[GZIP_CHUNK_BYTES];
  int r = 0, zr = Z_OK;
  while (r == 0 && zr != Z_STREAM_END) {
    if (z.avail_in == 0 && len > 0) {
      /* avail_in is a uInt: hand large inputs over in slices. */
      size_t slice = len > UINT32_MAX / 2 ? UINT32_MAX / 2 : len;
      z.next_in = (Bytef *)(uintptr_t)in;
      z.avail_in = (uInt)slice;
      in += slice;
      len -= slice;
    }
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    zr = deflate(&z, len == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
      r = -EIO;
    else
      r = buf_append(out, chunk, sizeof chunk - z.avail_out);
  }
  deflateEnd(&z);
  if (r < 0 && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return r;
}
