/* test_render.c — the four formats from one fixed stream (test_render_fixture.h): what a feed
 * reader depends on in each, sanitised bodies, fallbacks for missing fields, stable output.
 * With BRAID_RENDER_OUT set, also writes every document into that directory for
 * tests/integration/test_render.py to parse back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "render.h"
#include "test_render_fixture.h"

#define BASE "http://127.0.0.1:8080/"

struct doc {
  struct stream_list list;
  struct buf out;
};

static void render_doc(struct doc *d, enum render_format fmt, const char *self,
                       const struct stream_source *source) {
  memset(d, 0, sizeof *d);
  fixture_stream(&d->list);
  buf_init(&d->out, 0);
  struct render_meta meta = {.title = source ? NULL : "braid test stream", .self_url = self,
                             .base_url = BASE, .generator_version = "9.9.9", .source = source};
  int r = render_stream(fmt, &meta, &d->list, &d->out);
  if (r != 0)
    fail_msg("render_stream(%d) = %d, want 0", (int)fmt, r);
}

static void doc_free(struct doc *d) {
  stream_list_clear(&d->list);
  buf_clear(&d->out);
}

static void assert_has(const struct doc *d, const char *want) {
  if (!strstr(buf_str(&d->out), want))
    fail_msg("output lacks \"%s\":\n%s", want, buf_str(&d->out));
}

static void assert_lacks(const struct doc *d, const char *bad) {
  if (strstr(buf_str(&d->out), bad))
    fail_msg("output contains \"%s\":\n%s", bad, buf_str(&d->out));
}

/* Each string occurs, and in this order. */
static void assert_order(const struct doc *d, const char *const *wants, size_t n) {
  const char *from = buf_str(&d->out);
  for (size_t i = 0; i < n; i++) {
    const char *at = strstr(from, wants[i]);
    if (!at)
      fail_msg("\"%s\" missing or out of order", wants[i]);
    from = at + strlen(wants[i]);
  }
}

/* The hostile entry's vectors must not survive in any format. */
static void assert_no_vectors(const struct doc *d) {
  assert_lacks(d, "alert('x')");
  assert_lacks(d, "alert(2)");
  assert_lacks(d, "alert(3)");
  assert_lacks(d, "alert(4)"); /* a feed's site URL */
  assert_lacks(d, "alert(5)"); /* a feed's link for the story */
  assert_lacks(d, "javascript:");
  assert_lacks(d, "onerror");
  assert_lacks(d, "srcdoc");
}

static void write_out(const char *name, const struct buf *b) {
  const char *dir = getenv("BRAID_RENDER_OUT");
  if (!dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
    fail_msg("cannot write %s", path);
}

static void test_atom(void **state) {
  (void)state;
  struct doc d;
  render_doc(&d, RENDER_ATOM, BASE "feed.atom", NULL);
  write_out("feed.atom", &d.out);
  assert_has(&d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">");
  assert_has(&d, "<id>" BASE "feed.atom</id>");
  assert_has(&d, "<title>braid test stream</title>");
  assert_has(&d, "<updated>2011-11-08T21:21:00Z</updated>"); /* newest entry's updated */
  assert_has(&d, "<link rel=\"self\" href=\"" BASE "feed.atom\" type=\"application/atom+xml\"/>");
  assert_has(&d, "<generator version=\"9.9.9\">braid</generator>");
  static const char *const order[] = {
      "<id>tag:braid,2011:ea-worldview/syria-live/2120</id>",
      "<title type=\"text\">Syria live — 2120 GMT</title>",
      "<updated>2011-11-08T21:21:00Z</updated>",
      "<published>2011-11-08T21:20:00Z</published>",
      "<link rel=\"alternate\" href=\"https://ea.example/syria-live#u2120\" type=\"text/html\"/>",
      "<name>Scott Lucas</name>",
      "<category term=\"live\" label=\"Live blog update\"/>",
      "<content type=\"html\">&lt;p&gt;Activists report &lt;b&gt;shelling&lt;/b&gt; in Homs.&lt;/p&gt;</content>",
      "<source>", "<id>https://ea.example/feed/</id>", "<title>EA WorldView</title>",
      "<link rel=\"alternate\" href=\"https://ea.example/\" type=\"text/html\"/>",
      "<link rel=\"self\" href=\"https://ea.example/feed/\"/>", "</source>",
      "<id>tag:braid,2011:ea-worldview/syria-live/2105</id>",
      /* relative link in the body made absolute against the entry's link */
      "&lt;a href=&quot;https://ea.example/photos/1&quot; rel=&quot;noopener noreferrer&quot;&gt;photo&lt;/a&gt;",
      "<id>tag:braid,2011:bbc/café</id>",
      "<title type=\"text\">Café ünïcödé 日本 &amp; &lt;friends&gt;</title>",
      "<link rel=\"alternate\" href=\"https://bbc.example/news/cafe?a=1&amp;b=2\" type=\"text/html\"/>",
      "<link rel=\"via\" href=\"https://guardian.example/world/cafe\" title=\"The Guardian\"/>",
      "<name>José O'Brien</name>",
      "<id>https://bbc.example/rss.xml</id>",
      "<id>tag:braid,2011:hostile/1</id>",
      "<title type=\"text\">Hostile &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>",
      "<name>hostile</name>", /* no author: the source's name */
      "&lt;img src=&quot;https://hostile.example/post/pic.png&quot;&gt;&lt;a rel=&quot;noopener noreferrer&quot;&gt;click&lt;/a&gt;&lt;p&gt;safe text&lt;/p&gt;",
      "<id>urn:braid:entry:1</id>",
      "<title type=\"text\">Only text here, no title and no link.</title>",
      "<updated>2011-11-08T18:00:00Z</updated>",
      "<name>unknown</name>",
      "<content type=\"text\">Only text here, no title and no link.</content>",
      "</entry>\n</feed>\n",
  };
  assert_order(&d, order, sizeof order / sizeof order[0]);
  assert_no_vectors(&d);
  doc_free(&d);
}

static void test_atom_one_source(void **state) {
  (void)state;
  struct doc d;
  memset(&d, 0, sizeof d);
  fixture_stream(&d.list);
  /* Only the first two entries belong to ea-worldview. */
  stream_entry_clear(&d.list.entries[2]);
  stream_entry_clear(&d.list.entries[3]);
  stream_entry_clear(&d.list.entries[4]);
  d.list.n = 2;
  buf_init(&d.out, 0);
  struct render_meta meta = {.self_url = BASE "feeds/ea-worldview.atom", .base_url = BASE,
                             .source = &d.list.entries[0].sources[0]};
  assert_int_equal(render_stream(RENDER_ATOM, &meta, &d.list, &d.out), 0);
  write_out("ea-worldview.atom", &d.out);
  assert_has(&d, "<title>EA WorldView</title>");
  assert_has(&d, "<link rel=\"alternate\" href=\"https://ea.example/\" type=\"text/html\"/>");
  assert_has(&d, "<generator version=\"" BRAID_VERSION "\">braid</generator>");
  assert_lacks(&d, "bbc");
  doc_free(&d);
}

static void test_rss(void **state) {
  (void)state;
  struct doc d;
  render_doc(&d, RENDER_RSS, BASE "feed.rss", NULL);
  write_out("feed.rss", &d.out);
  assert_has(&d, "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
                 "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">");
  assert_has(&d, "<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"" BASE "feed.rss\"/>");
  assert_has(&d, "<link>" BASE "</link>");
  assert_has(&d, "<lastBuildDate>Tue, 08 Nov 2011 21:21:00 GMT</lastBuildDate>");
  assert_has(&d, "<generator>braid 9.9.9</generator>");
  static const char *const order[] = {
      "<title>Syria live — 2120 GMT</title>",
      "<link>https://ea.example/syria-live#u2120</link>",
      "<guid isPermaLink=\"false\">tag:braid,2011:ea-worldview/syria-live/2120</guid>",
      "<pubDate>Tue, 08 Nov 2011 21:20:00 GMT</pubDate>",
      "<dc:creator>Scott Lucas</dc:creator>",
      "<description>&lt;p&gt;Activists report &lt;b&gt;shelling&lt;/b&gt; in Homs.&lt;/p&gt;</description>",
      "<source url=\"https://ea.example/feed/\">EA WorldView</source>",
      "<guid isPermaLink=\"false\">tag:braid,2011:ea-worldview/syria-live/2105</guid>",
      "<guid isPermaLink=\"false\">tag:braid,2011:bbc/café</guid>",
      "<source url=\"https://bbc.example/rss.xml\">BBC News</source>",
      "<guid isPermaLink=\"false\">tag:braid,2011:hostile/1</guid>",
      "<source url=\"https://hostile.example/feed\">hostile</source>",
      "<title>Only text here, no title and no link.</title>",
      "<guid isPermaLink=\"false\">urn:braid:entry:1</guid>",
      "<pubDate>Tue, 08 Nov 2011 18:00:00 GMT</pubDate>",
      "<description>Only text here, no title and no link.</description>",
  };
  assert_order(&d, order, sizeof order / sizeof order[0]);
  assert_no_vectors(&d);
  doc_free(&d);
}

static const char *jstr(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v))
    fail_msg("\"%s\" is not a string", key);
  return json_string_value(v);
}

static void test_json(void **state) {
  (void)state;
  struct doc d;
  render_doc(&d, RENDER_JSON, BASE "feed.json", NULL);
  write_out("feed.json", &d.out);
  json_error_t err;
  json_t *feed = json_loadb(d.out.data, d.out.len, 0, &err);
  if (!feed)
    fail_msg("not JSON: %s", err.text);
  assert_string_equal(jstr(feed, "version"), "https://jsonfeed.org/version/1.1");
  assert_string_equal(jstr(feed, "title"), "braid test stream");
  assert_string_equal(jstr(feed, "home_page_url"), BASE);
  assert_string_equal(jstr(feed, "feed_url"), BASE "feed.json");
  json_t *items = json_object_get(feed, "items");
  assert_int_equal(json_array_size(items), 5);

  json_t *u = json_array_get(items, 0);
  assert_string_equal(jstr(u, "id"), "tag:braid,2011:ea-worldview/syria-live/2120");
  assert_string_equal(jstr(u, "url"), "https://ea.example/syria-live#u2120");
  assert_string_equal(jstr(u, "content_html"), "<p>Activists report <b>shelling</b> in Homs.</p>");
  assert_string_equal(jstr(u, "content_text"), "Activists report shelling in Homs.");
  assert_string_equal(jstr(u, "date_published"), "2011-11-08T21:20:00Z");
  assert_string_equal(jstr(u, "date_modified"), "2011-11-08T21:21:00Z");
  assert_string_equal(jstr(json_array_get(json_object_get(u, "authors"), 0), "name"), "Scott Lucas");
  json_t *ext = json_object_get(u, "_braid");
  assert_string_equal(jstr(ext, "stamp"), "2120 GMT");
  assert_string_equal(jstr(json_object_get(ext, "source"), "feed"), "ea-worldview");
  assert_string_equal(jstr(json_object_get(ext, "source"), "feed_url"), "https://ea.example/feed/");
  assert_string_equal(jstr(json_object_get(ext, "live_blog"), "title"), "Syria live");

  json_t *two = json_array_get(items, 2);
  assert_string_equal(jstr(two, "title"),
                      "Café ünïcödé 日本 & <friends>");
  json_t *others = json_object_get(json_object_get(two, "_braid"), "other_sources");
  assert_int_equal(json_array_size(others), 1);
  assert_string_equal(jstr(json_array_get(others, 0), "feed"), "guardian");
  assert_null(json_object_get(json_object_get(two, "_braid"), "stamp"));
  /* An ordinary story belongs to no live blog, though the store gives every entry an item. */
  assert_null(json_object_get(json_object_get(two, "_braid"), "live_blog"));

  json_t *bare = json_array_get(items, 4);
  assert_string_equal(jstr(bare, "id"), "urn:braid:entry:1");
  assert_null(json_object_get(bare, "url"));
  assert_null(json_object_get(bare, "content_html"));
  assert_string_equal(jstr(bare, "content_text"), "Only text here, no title and no link.");
  assert_null(json_object_get(bare, "authors"));
  json_decref(feed);
  assert_no_vectors(&d);
  doc_free(&d);
}

static void test_html(void **state) {
  (void)state;
  struct doc d;
  render_doc(&d, RENDER_HTML, BASE, NULL);
  write_out("index.html", &d.out);
  assert_has(&d, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">");
  assert_has(&d, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ");
  assert_has(&d, "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"braid test stream (Atom)\" href=\"" BASE "feed.atom\">");
  assert_has(&d, "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"braid test stream (RSS)\" href=\"" BASE "feed.rss\">");
  assert_has(&d, "<link rel=\"alternate\" type=\"application/feed+json\" title=\"braid test stream (JSON Feed)\" href=\"" BASE "feed.json\">");
  static const char *const order[] = {
      "<section class=\"live\">\n<h2><span class=\"live-badge\">Live</span>Syria live</h2>",
      "<span class=\"count\">2 updates</span> · <a href=\"https://ea.example/\">EA WorldView</a>",
      "<time class=\"stamp\" datetime=\"2011-11-08T21:20:00Z\">2120 GMT</time>",
      "<p>Activists report <b>shelling</b> in Homs.</p>",
      "<time class=\"stamp\" datetime=\"2011-11-08T21:05:00Z\">2105 GMT</time>",
      "</section>",
      "<h2><a href=\"https://bbc.example/news/cafe?a=1&amp;b=2\">Café ünïcödé 日本 &amp; &lt;friends&gt;</a></h2>",
      "<a href=\"https://bbc.example/\">BBC News</a>, <a href=\"https://guardian.example/\">The Guardian</a> · by José O&#39;Brien",
      "Hostile &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
      "<p>safe text</p>",
      "<h2>Only text here, no title and no link.</h2>",
      "<div class=\"body\"><p>Only text here, no title and no link.</p></div>",
      "</main>",
  };
  assert_order(&d, order, sizeof order / sizeof order[0]);
  assert_lacks(&d, "<script");
  assert_lacks(&d, "<iframe");
  assert_no_vectors(&d);
  doc_free(&d);
}

/* Equal input, equal bytes: what makes a hash of the body a stable ETag. */
static void test_stable(void **state) {
  (void)state;
  for (int fmt = RENDER_ATOM; fmt <= RENDER_HTML; fmt++) {
    struct doc a, b;
    render_doc(&a, (enum render_format)fmt, BASE "x", NULL);
    render_doc(&b, (enum render_format)fmt, BASE "x", NULL);
    if (a.out.len != b.out.len || memcmp(a.out.data, b.out.data, a.out.len) != 0)
      fail_msg("format %d renders differently twice", fmt);
    doc_free(&a);
    doc_free(&b);
  }
}

static void test_empty_stream(void **state) {
  (void)state;
  struct stream_list empty = {0};
  struct buf out;
  buf_init(&out, 0);
  struct render_meta meta = {.self_url = BASE "feed.atom", .base_url = BASE};
  assert_int_equal(render_stream(RENDER_ATOM, &meta, &empty, &out), 0);
  assert_non_null(strstr(buf_str(&out), "<updated>1970-01-01T00:00:00Z</updated>"));
  assert_null(strstr(buf_str(&out), "<entry>"));
  buf_reset(&out);
  assert_int_equal(render_stream(RENDER_HTML, &meta, &empty, &out), 0);
  assert_non_null(strstr(buf_str(&out), "<p>Nothing in the stream yet.</p>"));
  buf_clear(&out);
}

static void test_cap_and_arguments(void **state) {
  (void)state;
  struct stream_list l = {0};
  fixture_stream(&l);
  struct render_meta meta = {.self_url = BASE "feed.atom", .base_url = BASE};
  for (int fmt = RENDER_ATOM; fmt <= RENDER_HTML; fmt++) {
    struct buf out;
    buf_init(&out, 512);
    int r = render_stream((enum render_format)fmt, &meta, &l, &out);
    if (r != -E2BIG)
      fail_msg("format %d into a 512-byte cap = %d, want -E2BIG", fmt, r);
    buf_clear(&out);
  }
  struct buf out;
  buf_init(&out, 0);
  assert_int_equal(render_stream((enum render_format)42, &meta, &l, &out), -EINVAL);
  struct render_meta no_self = {.base_url = BASE};
  assert_int_equal(render_stream(RENDER_ATOM, &no_self, &l, &out), -EINVAL);
  buf_clear(&out);
  stream_list_clear(&l);
}

/* A body with invalid UTF-8 and control characters still gives well-formed output. */
static void test_bad_bytes(void **state) {
  (void)state;
  struct stream_list l = {0};
  fixture_stream(&l);
  free(l.entries[0].title);
  l.entries[0].title = fixture_dup("bad \xff\xfe byte\x01 and \xed\xa0\x80 surrogate");
  struct buf out;
  buf_init(&out, 0);
  struct render_meta meta = {.self_url = BASE "feed.atom", .base_url = BASE};
  assert_int_equal(render_stream(RENDER_ATOM, &meta, &l, &out), 0);
  assert_non_null(strstr(buf_str(&out),
                         "bad �� byte and ��� surrogate"));
  buf_reset(&out);
  assert_int_equal(render_stream(RENDER_JSON, &meta, &l, &out), 0);
  buf_clear(&out);
  stream_list_clear(&l);
}

static void test_names_and_dates(void **state) {
  (void)state;
  enum render_format f;
  assert_int_equal(render_format_from_name("rss", &f), 0);
  assert_int_equal(f, RENDER_RSS);
  assert_int_equal(render_format_from_name("html", &f), 0);
  assert_int_equal(f, RENDER_HTML);
  assert_int_equal(render_format_from_name("xml", &f), -EINVAL);
  assert_string_equal(render_content_type(RENDER_JSON), "application/feed+json; charset=utf-8");
  char s[RENDER_RFC822_LEN];
  render_rfc822_date(784111777, s);
  assert_string_equal(s, "Sun, 06 Nov 1994 08:49:37 GMT");
  render_rfc822_date(0, s);
  assert_string_equal(s, "Thu, 01 Jan 1970 00:00:00 GMT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_atom),        cmocka_unit_test(test_atom_one_source),
      cmocka_unit_test(test_rss),         cmocka_unit_test(test_json),
      cmocka_unit_test(test_html),        cmocka_unit_test(test_stable),
      cmocka_unit_test(test_empty_stream), cmocka_unit_test(test_cap_and_arguments),
      cmocka_unit_test(test_bad_bytes),   cmocka_unit_test(test_names_and_dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
