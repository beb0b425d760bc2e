/* streamread.c — the stream the HTTP server reads (see streamread.h). */
#include "streamread.h"

int stream_read(struct store *s, const char *feed, size_t n, int64_t since,
                struct stream_list *ret) {
  int rc = feed ? store_stream_feed(s, feed, n, ret) : store_stream_newest(s, n, ret);
  if (rc < 0 || since <= 0)
    return rc;
  size_t kept = 0;
  for (size_t i = 0; i < ret->n; i++) {
    if (ret->entries[i].time >= since)
      ret->entries[kept++] = ret->entries[i];
    else
      stream_entry_clear(&ret->entries[i]);
  }
  ret->n = kept;
  return 0;
}
