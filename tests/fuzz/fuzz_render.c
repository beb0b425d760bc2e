/* fuzz_render.c — libFuzzer target: the HTML sanitizer and every output format.
 *
 * Input: byte 0 even: the rest is feed HTML for sanitize_html, whose output must hold no
 * script element and must pass through the sanitizer a second time unchanged in safety (no
 * script either) — the mXSS check. Byte 0 odd: the rest is one entry's fields split on 0xfe
 * bytes (id, title, link, author, html, text, stamp, item id, item title, source name,
 * source title, site URL, feed URL), rendered as Atom, RSS, JSON Feed and HTML: Atom and RSS
 * must be well-formed XML, the JSON Feed must parse, the HTML page must hold no script.
 * Byte 0's bit 1 turns on SANITIZE_MEDIA_AS_LINKS (HTML) or render_policy.remote_images
 * (entry; off = the default), bit 2 publish_feed_queries: where media are links, nothing in
 * the output may load from another host (no img with an http(s) src, no video, audio,
 * source or iframe).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "fuzz.h"
#include "render.h"
#include "sanitize.h"

#define BASE "https://news.example/live/"

static bool has_script(const struct buf *b) {
  return b->data && memmem(b->data, b->len, "<script", 7) != NULL;
}

/* Whether b holds an element that would load from another host when shown. */
static bool loads_remote(const struct buf *b) {
  static const char *const tags[] = {"<img src=\"http", "<video", "<audio", "<source",
                                     "<iframe"};
  for (size_t i = 0; b->data && i < sizeof tags / sizeof tags[0]; i++)
    if (memmem(b->data, b->len, tags[i], strlen(tags[i])))
      return true;
  return false;
}

static void fuzz_sanitize(const char *html, size_t len, unsigned flags) {
  struct buf out, again;
  buf_init(&out, 0);
  buf_init(&again, 0);
  if (sanitize_html_flags(html, len, BASE, flags, &out) == 0) {
    FUZZ_CHECK(!has_script(&out), "no script element survives sanitizing");
    if (flags & SANITIZE_MEDIA_AS_LINKS)
      FUZZ_CHECK(!loads_remote(&out), "media are links: nothing loads from another host");
    FUZZ_CHECK(fuzz_utf8_valid(buf_str(&out)), "sanitized HTML is UTF-8");
    if (sanitize_html(out.data ? out.data : "", out.len, BASE, &again) == 0)
      FUZZ_CHECK(!has_script(&again), "no script element after a second pass (mXSS)");
  }
  buf_clear(&again);
  buf_clear(&out);
}

/* The next field: bytes up to the next 0xfe; NULL once the input is used up. */
static char *next_field(const uint8_t **p, const uint8_t *end) {
  if (*p >= end)
    return NULL;
  const uint8_t *q = memchr(*p, 0xfe, (size_t)(end - *p));
  if (!q)
    q = end;
  /* Not strndup: the input has no NUL, and ASan's strict_string_checks rightly reads
   * strndup's argument as a string. */
  size_t n = (size_t)(q - *p);
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, *p, n);
    s[n] = '\0';
  }
  *p = q < end ? q + 1 : end;
  return s;
}

static void check_rendered(enum render_format f, const struct buf *out) {
  if (f == RENDER_ATOM || f == RENDER_RSS) {
    xmlDocPtr d = xmlReadMemory(out->data, (int)out->len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    FUZZ_CHECK(d != NULL, "Atom and RSS output is well-formed XML");
    xmlFreeDoc(d);
  } else if (f == RENDER_JSON) {
    json_t *j = json_loadb(out->data, out->len, 0, NULL);
    FUZZ_CHECK(j != NULL, "JSON Feed output parses");
    json_decref(j);
  } else {
    FUZZ_CHECK(!has_script(out), "the HTML page holds no script element");
  }
}

static void fuzz_entry(const uint8_t *data, size_t size, struct render_policy policy) {
  const uint8_t *p = data, *end = data + size;
  struct stream_entry e = {.seq = 1, .time = 1320787200, .updated = 1320787260};
  e.id = next_field(&p, end);
  e.title = next_field(&p, end);
  e.link = next_field(&p, end);
  e.author = next_field(&p, end);
  e.html = next_field(&p, end);
  e.text = next_field(&p, end);
  e.stamp = next_field(&p, end);
  e.item_id = next_field(&p, end);
  e.item_title = next_field(&p, end);
  e.sources = calloc(1, sizeof *e.sources);
  if (!e.sources) {
    stream_entry_clear(&e);
    return;
  }
  e.n_sources = 1;
  e.sources[0].feed = next_field(&p, end);
  e.sources[0].title = next_field(&p, end);
  e.sources[0].site_url = next_field(&p, end);
  e.sources[0].feed_url = next_field(&p, end);
  struct stream_list l = {&e, 1};
  struct render_meta m = {.self_url = "http://127.0.0.1:8080/feed.atom",
                          .base_url = "http://127.0.0.1:8080/", .policy = policy};
  for (int f = RENDER_ATOM; f <= RENDER_HTML; f++) {
    struct buf out;
    buf_init(&out, 0);
    FUZZ_CHECK(render_stream((enum render_format)f, &m, &l, &out) == 0, "rendering succeeds");
    check_rendered((enum render_format)f, &out);
    if (f == RENDER_HTML && !policy.remote_images)
      FUZZ_CHECK(!loads_remote(&out), "the default page loads nothing from another host");
    buf_clear(&out);
  }
  stream_entry_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (data[0] % 2 == 0)
    fuzz_sanitize((const char *)data + 1, size - 1, data[0] & 2 ? SANITIZE_MEDIA_AS_LINKS : 0);
  else
    fuzz_entry(data + 1, size - 1, (struct render_policy){.remote_images = data[0] & 2,
                                                          .publish_feed_queries = data[0] & 4});
  return 0;
}
