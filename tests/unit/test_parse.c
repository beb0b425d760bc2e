/* test_parse.c — the streaming parser's API: chunking, callbacks, charsets, caps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "parse.h"

struct seen {
  size_t n;
  char titles[8][128];
  char links[8][128];
  size_t content_len;
  int stop_after; /* abort after this many items; 0 never */
};

static int collect(void *userdata, const struct feed_item *it) {
  struct seen *s = userdata;
  if (s->n < 8) {
    snprintf(s->titles[s->n], sizeof s->titles[0], "%s", it->title ? it->title : "(null)");
    snprintf(s->links[s->n], sizeof s->links[0], "%s", it->link ? it->link : "(null)");
  }
  if (it->content)
    s->content_len = strlen(it->content);
  s->n++;
  return s->stop_after && s->n >= (size_t)s->stop_after ? 1 : 0;
}

static const char rss[] =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
    "<link>http://example.com/</link>"
    "<item><title>Caf\xc3\xa9 one</title><link>a</link></item>"
    "<item><title>&eacute;t&eacute; two</title><link>b</link></item>"
    "</channel></rss>";

static struct feed_parser *run(const char *doc, size_t len, size_t chunk, const char *charset,
                               struct seen *s, int *ret) {
  struct parse_options opt = {.base_url = "http://doc.example/feed.xml", .charset = charset};
  struct feed_parser *p = feed_parser_new(&opt, collect, s);
  assert_non_null(p);
  int r = 0;
  for (size_t i = 0; i < len && r == 0; i += chunk)
    r = feed_parser_push(p, doc + i, len - i < chunk ? len - i : chunk);
  if (r == 0)
    r = feed_parser_finish(p);
  *ret = r;
  return p;
}

/* Byte-at-a-time pushes give exactly what one push gives: the daemon pushes whatever curl
 * hands it, splitting UTF-8 sequences and tags anywhere. */
static void test_chunking(void **state) {
  (void)state;
  for (size_t chunk = 1; chunk <= sizeof rss; chunk += chunk < 8 ? 1 : 97) {
    struct seen s = {0};
    int r;
    struct feed_parser *p = run(rss, sizeof rss - 1, chunk, NULL, &s, &r);
    assert_int_equal(r, 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.titles[0], "Caf\xc3\xa9 one");
    assert_string_equal(s.titles[1], "\xc3\xa9t\xc3\xa9 two");
    assert_string_equal(s.links[0], "http://example.com/a");
    assert_string_equal(feed_parser_meta(p)->title, "T");
    assert_string_equal(feed_parser_meta(p)->format, "rss2.0");
    assert_true(feed_parser_wellformed(p));
    feed_parser_free(p);
  }
}

static void test_callback_aborts(void **state) {
  (void)state;
  struct seen s = {.stop_after = 1};
  int r;
  struct feed_parser *p = run(rss, sizeof rss - 1, sizeof rss, NULL, &s, &r);
  assert_int_equal(r, -ECANCELED);
  assert_int_equal(s.n, 1);
  assert_int_equal(feed_parser_push(p, "x", 1), -ECANCELED); /* sticky */
  feed_parser_free(p);
}

/* The HTTP charset beats the XML declaration (RFC 3023, browsers); a BOM beats both. */
static void test_charset_precedence(void **state) {
  (void)state;
  const char doc[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
                     "<title>K\xf6ln</title></channel></rss>";
  struct seen s = {0};
  int r;
  struct feed_parser *p = run(doc, sizeof doc - 1, 7, "ISO-8859-1", &s, &r);
  assert_int_equal(r, 0);
  assert_string_equal(feed_parser_meta(p)->title, "K\xc3\xb6ln");
  assert_string_equal(feed_parser_meta(p)->encoding, "iso-8859-1");
  feed_parser_free(p);
  const char bom[] = "\xef\xbb\xbf<rss version=\"2.0\"><channel><title>K\xc3\xb6ln</title>"
                     "</channel></rss>";
  p = run(bom, sizeof bom - 1, 3, "iso-8859-1", &s, &r);
  assert_string_equal(feed_parser_meta(p)->title, "K\xc3\xb6ln");
  assert_string_equal(feed_parser_meta(p)->encoding, "utf-8");
  feed_parser_free(p);
}

/* A field past BRAID_PARSE_MAX_FIELD_BYTES is cut, named in an error, and the item survives. */
static void test_field_cap(void **state) {
  (void)state;
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(buf_append_str(&b, "<rss version=\"2.0\"><channel><title>T</title><item>"
                                      "<title>big</title><description>"), 0);
  for (size_t i = 0; i < BRAID_PARSE_MAX_FIELD_BYTES / 10 + 10; i++)
    assert_int_equal(buf_append_str(&b, "0123456789"), 0);
  assert_int_equal(buf_append_str(&b, "</description><content:encoded xmlns:content="
                                      "\"http://purl.org/rss/1.0/modules/content/\">small"
                                      "</content:encoded></item></channel></rss>"), 0);
  struct seen s = {0};
  int r;
  struct feed_parser *p = run(b.data, b.len, 65536, NULL, &s, &r);
  assert_int_equal(r, 0);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.titles[0], "big");
  assert_int_equal(s.content_len, 5);
  bool named = false;
  for (size_t i = 0; i < feed_parser_error_count(p); i++)
    named |= strstr(feed_parser_error(p, i),
                    "item 1: summary exceeds BRAID_PARSE_MAX_FIELD_BYTES") != NULL;
  assert_true(named);
  feed_parser_free(p);
  buf_clear(&b);
}

/* Split UTF-8 sequences and a stray windows-1252 byte at a push boundary. */
static void test_split_sequences(void **state) {
  (void)state;
  const char doc[] = "<rss version=\"2.0\"><channel><title>\xe2\x98\x83|\xe9|\xe2\x82</title>"
                     "</channel></rss>";
  for (size_t chunk = 1; chunk < 40; chunk++) {
    struct seen s = {0};
    int r;
    struct feed_parser *p = run(doc, sizeof doc - 1, chunk, NULL, &s, &r);
    assert_int_equal(r, 0);
    assert_string_equal(feed_parser_meta(p)->title, "\xe2\x98\x83|\xc3\xa9|\xef\xbf\xbd");
    feed_parser_free(p);
  }
}

static void test_empty_and_free_null(void **state) {
  (void)state;
  struct seen s = {0};
  int r;
  struct feed_parser *p = run("", 0, 1, NULL, &s, &r);
  assert_int_equal(r, 0);
  assert_false(feed_parser_wellformed(p));
  assert_string_equal(feed_parser_error(p, 0), "empty document");
  assert_null(feed_parser_error(p, 1));
  feed_parser_free(p);
  feed_parser_free(NULL);
}

/* Reads a fixture whole (they are small). */
static char *fixture(const char *name, size_t *ret_len) {
  const char *dir = getenv("BRAID_FIXTURES");
  char path[4096];
  snprintf(path, sizeof path, "%s/parse/%s", dir ? dir : "tests/fixtures", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  static char data[1 << 16];
  *ret_len = fread(data, 1, sizeof data, f);
  fclose(f);
  return data;
}

/* Multi-byte encodings through iconv, one byte per push: sequences (and UTF-16 surrogate
 * pairs) cut anywhere are carried over. */
static void test_iconv_byte_at_a_time(void **state) {
  (void)state;
  const struct {
    const char *file, *title, *encoding;
  } cases[] = {
      {"utf16-bom.xml", "Sixteen \xe2\x98\x83", "utf-16le"},
      {"koi8r.xml", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "koi8-r"},
      {"latin1-declared.xml", "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln", "iso-8859-1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    char *doc = fixture(cases[i].file, &len);
    struct seen s = {0};
    int r;
    struct feed_parser *p = run(doc, len, 1, NULL, &s, &r);
    assert_int_equal(r, 0);
    assert_string_equal(feed_parser_meta(p)->title, cases[i].title);
    assert_string_equal(feed_parser_meta(p)->encoding, cases[i].encoding);
    assert_int_equal(s.n, 1);
    feed_parser_free(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunking),           cmocka_unit_test(test_callback_aborts),
      cmocka_unit_test(test_charset_precedence), cmocka_unit_test(test_field_cap),
      cmocka_unit_test(test_split_sequences),    cmocka_unit_test(test_empty_and_free_null),
      cmocka_unit_test(test_iconv_byte_at_a_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
