/* serve_streams.c — the named streams the server answers for (see serve_priv.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_priv.h"

void serve_streams_clear(struct serve_streams *t) {
  for (size_t i = 0; i < t->n; i++) {
    free((char *)(uintptr_t)t->items[i].name);
    free((char *)(uintptr_t)t->items[i].title);
    free(t->pages[i]);
  }
  free(t->items);
  free(t->pages);
  free(t->nav);
  memset(t, 0, sizeof *t);
}

int serve_streams_replace(struct serve_streams *t, const struct serve_stream *src, size_t n) {
  if (n > SERVE_MAX_STREAMS)
    return -E2BIG;
  for (size_t i = 0; i < n; i++)
    if (!src[i].name || !serve_feed_name_valid(src[i].name, strlen(src[i].name)))
      return -EINVAL;
  struct serve_streams fresh = {0};
  int r = 0;
  if (n && (!(fresh.items = calloc(n, sizeof *fresh.items)) ||
            !(fresh.pages = calloc(n, sizeof *fresh.pages)) ||
            !(fresh.nav = calloc(n, sizeof *fresh.nav))))
    r = -ENOMEM;
  for (size_t i = 0; r == 0 && i < n; i++) {
    fresh.n = i + 1; /* what serve_streams_clear must free if this one fails */
    fresh.items[i].name = strdup(src[i].name);
    fresh.items[i].title = strdup(src[i].title ? src[i].title : src[i].name);
    if (asprintf(&fresh.pages[i], "streams/%s.html", src[i].name) < 0)
      fresh.pages[i] = NULL;
    if (!fresh.items[i].name || !fresh.items[i].title || !fresh.pages[i])
      r = -ENOMEM;
    fresh.nav[i] = (struct render_nav){.title = fresh.items[i].title, .path = fresh.pages[i]};
  }
  if (r < 0) {
    serve_streams_clear(&fresh);
    return r;
  }
  serve_streams_clear(t);
  *t = fresh;
  return 0;
}

const struct serve_stream *serve_streams_find(const struct serve_streams *t, const char *name,
                                              size_t len) {
  for (size_t i = 0; i < t->n; i++)
    if (strlen(t->items[i].name) == len && memcmp(t->items[i].name, name, len) == 0)
      return &t->items[i];
  return NULL;
}
