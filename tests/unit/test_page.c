/* test_page.c — a live blog's page to its updates (page.h): JSON-LD in its shapes, the
 * splitter fallback, links against the page URL, and the caps. */
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
#include "page.h"

#define PAGE_URL "https://news.example/2026/live/storm?ref=feed"

static struct page_updates *read_page(const char *html, const char *url) {
  struct page_options opt = {.page_url = url, .split = {.mode = LIVEBLOG_AUTO}};
  struct page_updates *p = NULL;
  char err[160];
  int r = page_read(html, strlen(html), &opt, &p, err, sizeof err);
  if (r != 0)
    fail_msg("page_read = %d (%s)", r, err);
  return p;
}

static const char *jsonld_page =
    "<html><head><title>Storm live</title>"
    "<script type=\"application/ld+json\">{\"@type\":\"BreadcrumbList\"}</script>"
    "<script type=\"application/ld+json\">{ broken json </script>"
    "<script type='application/LD+JSON'>{\"@context\":\"https://schema.org\",\"@graph\":["
    "{\"@type\":\"WebPage\"},"
    "{\"@type\":\"LiveBlogPosting\",\"headline\":\"Storm Ada: live\","
    " \"coverageEndTime\":\"2026-12-04T00:00:00Z\",\"liveBlogUpdate\":["
    "  {\"@type\":\"BlogPosting\",\"headline\":\"Bridge closed\",\"datePublished\":"
    "   \"2026-12-03T10:20:00+01:00\",\"articleBody\":\"The bridge is shut.\\nTraffic diverted.\","
    "   \"url\":\"#post-2\"},"
    "  {\"@type\":\"BlogPosting\",\"datePublished\":\"2026-12-03T08:05:00Z\","
    "   \"articleBody\":\"<p>See <a href=\\\"/maps/ada\\\">the map</a>.</p>\"},"
    "  {\"@type\":\"BlogPosting\",\"headline\":\"no date, left out\"}"
    "]}]}</script></head><body><p>nothing here</p></body></html>";

static void test_jsonld_graph(void **state) {
  (void)state;
  struct page_updates *p = read_page(jsonld_page, PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_JSONLD);
  assert_int_equal(p->n, 2);
  assert_true(p->has_coverage_end);
  assert_int_equal(p->coverage_end, 1796342400);
  assert_string_equal(p->title, "Storm Ada: live");
  /* Oldest first. */
  assert_int_equal(p->updates[0].time, 1796285100);
  assert_null(p->updates[0].headline);
  assert_null(p->updates[0].url);
  /* A relative link in the update resolves against the page, not a feed. */
  assert_non_null(strstr(p->updates[0].html, "href=\"https://news.example/maps/ada\""));
  assert_string_equal(p->updates[0].text, "See the map.");
  assert_int_equal(p->updates[1].time, 1796289600);
  assert_string_equal(p->updates[1].headline, "Bridge closed");
  assert_string_equal(p->updates[1].stamp, "2026-12-03T10:20:00+01:00");
  assert_string_equal(p->updates[1].url, PAGE_URL "#post-2");
  assert_string_equal(p->updates[1].anchor, "post-2");
  assert_string_equal(p->updates[1].html, "<p>The bridge is shut.</p><p>Traffic diverted.</p>");
  page_updates_free(p);
}

static void test_jsonld_newsarticle_array(void **state) {
  (void)state;
  const char *html =
      "<script type=\"application/ld+json\">[{\"@type\":\"Organization\"},"
      "{\"@type\":\"NewsArticle\",\"liveBlogUpdate\":{\"datePublished\":\"2026-12-03T09:00Z\","
      "\"headline\":\"Only one\",\"url\":\"https://news.example/u/1\"}}]</script>";
  struct page_updates *p = read_page(html, PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_JSONLD);
  assert_int_equal(p->n, 1);
  assert_false(p->has_coverage_end);
  assert_string_equal(p->updates[0].headline, "Only one");
  assert_string_equal(p->updates[0].text, "Only one");
  assert_string_equal(p->updates[0].url, "https://news.example/u/1");
  page_updates_free(p);
}

static void test_time_blocks(void **state) {
  (void)state;
  const char *html =
      "<html><body><h1>Storm live</h1>"
      "<article id=\"b3\"><time datetime=\"2026-12-03T12:00:00Z\">12:00</time>"
      "<p>Third: <a href=\"#b1\">see first</a>.</p></article>"
      "<article id=\"b2\"><time datetime=\"2026-12-03T11:00:00Z\">11:00</time>"
      "<p>Second update text.</p></article>"
      "<article id=\"b1\"><time datetime=\"2026-12-03T10:00:00Z\">10:00</time>"
      "<p>First update text.</p></article></body></html>";
  struct page_updates *p = read_page(html, "https://news.example/live");
  assert_int_equal(p->source, PAGE_SOURCE_BLOCKS);
  assert_int_equal(p->n, 3);
  assert_int_equal(p->updates[0].time, 1796292000);
  assert_string_equal(p->updates[0].anchor, "b1");
  assert_string_equal(p->updates[0].url, "https://news.example/live#b1");
  assert_non_null(strstr(p->updates[2].html, "href=\"https://news.example/live#b1\""));
  page_updates_free(p);
}

static void test_no_updates(void **state) {
  (void)state;
  struct page_updates *p = read_page("<html><body><p>An article.</p></body></html>", PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_NONE);
  assert_int_equal(p->n, 0);
  page_updates_free(p);
}

/* Deep nesting is walked no further than BRAID_PAGE_MAX_JSON_DEPTH, and updates beyond
 * BRAID_PAGE_MAX_UPDATES are dropped, not an error. */
static void test_caps(void **state) {
  (void)state;
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(buf_append_str(&b, "<script type=\"application/ld+json\">"), 0);
  for (int i = 0; i < BRAID_PAGE_MAX_JSON_DEPTH + 4; i++)
    assert_int_equal(buf_append_str(&b, "["), 0);
  assert_int_equal(buf_append_str(&b, "{\"liveBlogUpdate\":{\"datePublished\":\"2026-12-03\","
                                      "\"headline\":\"deep\"}}"),
                   0);
  for (int i = 0; i < BRAID_PAGE_MAX_JSON_DEPTH + 4; i++)
    assert_int_equal(buf_append_str(&b, "]"), 0);
  assert_int_equal(buf_append_str(&b, "</script><script type=\"application/ld+json\">"
                                      "{\"liveBlogUpdate\":["),
                   0);
  for (int i = 0; i < BRAID_PAGE_MAX_UPDATES + 10; i++)
    assert_int_equal(buf_printf(&b, "%s{\"datePublished\":\"2026-12-03T10:00:%02dZ\","
                                    "\"headline\":\"u%d\"}",
                                i ? "," : "", i % 60, i),
                     0);
  assert_int_equal(buf_append_str(&b, "]}</script>"), 0);
  struct page_updates *p = read_page(buf_str(&b), PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_JSONLD);
  assert_int_equal(p->n, BRAID_PAGE_MAX_UPDATES);
  assert_string_not_equal(p->updates[0].headline, "deep");
  page_updates_free(p);
  buf_clear(&b);
}

/* JSON-LD that lists only some of the page's updates: the blocks add the rest; an update
 * both hold keeps JSON-LD's words and takes its block's anchor when JSON-LD gives no url. */
static void test_jsonld_partial(void **state) {
  (void)state;
  struct page_updates *p = read_page(
      "<html><head><script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\","
      "\"liveBlogUpdate\":[{\"@type\":\"BlogPosting\",\"headline\":\"Warning issued\","
      "\"datePublished\":\"2026-12-03T09:00:00Z\",\"articleBody\":\"Red warning.\"}]}"
      "</script></head><body>"
      "<div id=\"p3\"><p><time datetime=\"2026-12-03T11:30:00Z\">11:30</time></p><p>Trains stop.</p></div>"
      "<div id=\"p2\"><p><time datetime=\"2026-12-03T10:15:00Z\">10:15</time></p><p>Bridge shut.</p></div>"
      "<div id=\"p1\"><p><time datetime=\"2026-12-03T09:00:30Z\">09:00</time></p><p>A warning.</p></div>"
      "</body></html>",
      PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_JSONLD);
  assert_int_equal(p->n, 3);
  assert_string_equal(p->updates[0].headline, "Warning issued");
  assert_string_equal(p->updates[0].text, "Red warning.");
  assert_string_equal(p->updates[0].url, "https://news.example/2026/live/storm?ref=feed#p1");
  assert_null(p->updates[1].headline);
  assert_string_equal(p->updates[1].text, "Bridge shut.");
  assert_string_equal(p->updates[1].url, "https://news.example/2026/live/storm?ref=feed#p2");
  assert_string_equal(p->updates[2].text, "Trains stop.");
  page_updates_free(p);

  /* Updates dated dateCreated only, their words in `text` (both schema.org CreativeWork). */
  p = read_page("<script type=\"application/ld+json\">{\"@type\":[\"LiveBlogPosting\",\"NewsArticle\"],"
                "\"liveBlogUpdate\":[{\"dateCreated\":\"2026-12-03T09:00:00Z\",\"text\":\"Gates shut.\"},"
                "{\"dateCreated\":\"2026-12-03T10:00:00Z\",\"text\":\"Gates open.\"}]}</script>",
                PAGE_URL);
  assert_int_equal(p->source, PAGE_SOURCE_JSONLD);
  assert_int_equal(p->n, 2);
  assert_string_equal(p->updates[0].text, "Gates shut.");
  assert_string_equal(p->updates[0].stamp, "2026-12-03T09:00:00Z");
  assert_string_equal(p->updates[1].text, "Gates open.");
  page_updates_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jsonld_graph),
      cmocka_unit_test(test_jsonld_newsarticle_array),
      cmocka_unit_test(test_jsonld_partial),
      cmocka_unit_test(test_time_blocks),
      cmocka_unit_test(test_no_updates),
      cmocka_unit_test(test_caps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
