/* streamread.h — the merged stream as the HTTP server reads it, one query per request.
 *
 * Promise: entries come newest first, at most n of them, from the store only (no rendering,
 * no files): the daemon's serve_provider.get_stream answers with this. Writing documents out
 * (`braid export`, the [output] dir) is export.h.
 */
#ifndef BRAID_STREAMREAD_H
#define BRAID_STREAMREAD_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "store.h"

/* The newest n entries of the whole stream (feed NULL) or of one feed, newest first, keeping
 * those whose time is at or after since (0: all). 0 or a negative store error; *ret is the
 * caller's (stream_list_clear). */
int stream_read(struct store *s, const char *feed, size_t n, int64_t since,
                struct stream_list *ret);

#endif
