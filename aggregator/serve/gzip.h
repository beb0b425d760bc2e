/* gzip.h — one buffer compressed into the gzip format (RFC 1952) with zlib.
 *
 * Promise: the output depends only on the input (no time stamp or file name in the header),
 * so equal documents give equal compressed bytes and a stable ETag.
 */
#ifndef BRAID_GZIP_H
#define BRAID_GZIP_H

#include <stddef.h>

#include "buf.h"

/* Appends the gzip form of data[0..len) to out. 0, -E2BIG when out's cap is reached,
 * -ENOMEM, -EIO on an unexpected zlib failure. */
int gzip_compress(const void *data, size_t len, struct buf *out);

#endif
