/* fuzz_parse.c — libFuzzer target: the streaming feed parser (parse.h) on any bytes.
 *
 * Input: byte 0 picks how the document arrives (low 6 bits: pushed in chunks of that many
 * bytes, 0 = in one push; bits 6-7: the HTTP charset label: none, iso-8859-1, utf-8,
 * windows-1251); byte 1 bit 0 gives a base URL. The rest is the document.
 * Properties: no crash, leak or UB; every string handed out is valid UTF-8 and within its
 * cap; every delivered enclosure has a URL; item and error counts stay within bounds.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "fuzz.h"
#include "parse.h"

static void check_text(const char *s, const char *field) {
  if (!s)
    return;
  FUZZ_CHECK(fuzz_utf8_valid(s), field);
  FUZZ_CHECK(strlen(s) <= BRAID_PARSE_MAX_FIELD_BYTES, field);
}

static int on_item(void *userdata, const struct feed_item *it) {
  size_t *count = userdata;
  (*count)++;
  FUZZ_CHECK(it->index == *count, "items are numbered in document order");
  check_text(it->id, "item id");
  check_text(it->title, "item title");
  check_text(it->link, "item link");
  check_text(it->author, "item author");
  check_text(it->summary, "item summary");
  check_text(it->content, "item content");
  FUZZ_CHECK(it->n_categories <= BRAID_PARSE_MAX_CATEGORIES, "category cap");
  for (size_t i = 0; i < it->n_categories; i++)
    check_text(it->categories[i], "category");
  FUZZ_CHECK(it->n_enclosures <= BRAID_PARSE_MAX_ENCLOSURES, "enclosure cap");
  for (size_t i = 0; i < it->n_enclosures; i++) {
    FUZZ_CHECK(it->enclosures[i].url != NULL, "an enclosure has a URL");
    check_text(it->enclosures[i].url, "enclosure url");
    check_text(it->enclosures[i].type, "enclosure type");
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const charsets[] = {NULL, "iso-8859-1", "utf-8", "windows-1251"};
  if (size < 2)
    return 0;
  size_t chunk = data[0] & 0x3f;
  struct parse_options opt = {.charset = charsets[data[0] >> 6],
                              .base_url = (data[1] & 1) ? "https://news.example/feeds/" : NULL};
  const char *doc = (const char *)data + 2;
  size_t len = size - 2, count = 0;
  struct feed_parser *p = feed_parser_new(&opt, on_item, &count);
  if (!p)
    return 0;
  int rc = 0;
  for (size_t off = 0; off < len && rc == 0;) {
    size_t n = chunk && chunk < len - off ? chunk : len - off;
    rc = feed_parser_push(p, doc + off, n);
    off += n;
  }
  int frc = feed_parser_finish(p);
  FUZZ_CHECK(rc == 0 || frc == rc, "a fatal error is sticky");
  FUZZ_CHECK(feed_parser_item_count(p) == count, "the item count matches the callbacks");
  FUZZ_CHECK(count <= BRAID_PARSE_MAX_ITEMS, "item cap");
  const struct feed_meta *m = feed_parser_meta(p);
  check_text(m->title, "feed title");
  check_text(m->link, "feed link");
  check_text(m->id, "feed id");
  check_text(m->subtitle, "feed subtitle");
  check_text(m->language, "feed language");
  check_text(m->author, "feed author");
  check_text(m->image, "feed image");
  size_t n_errors = feed_parser_error_count(p);
  FUZZ_CHECK(n_errors <= BRAID_PARSE_MAX_ERRORS, "error cap");
  for (size_t i = 0; i < n_errors; i++) {
    const char *e = feed_parser_error(p, i);
    FUZZ_CHECK(e && strlen(e) < BRAID_PARSE_MAX_ERROR_BYTES + 64, "error text");
    FUZZ_CHECK(fuzz_utf8_valid(e), "error text is UTF-8 (it is logged)");
  }
  feed_parser_free(p);
  return 0;
}
