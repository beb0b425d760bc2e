/* test_render_privacy.c — what a document must not give away (issue 14, items 5 and 17): a
 * feed URL's credentials, tokens and local paths in every format, and a reader's visit to a
 * feed's image host on the HTML page, unless the operator's render_policy allows it.
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

#include "buf.h"
#include "render.h"
#include "sanitize.h"
#include "test_render_fixture.h"

#define BASE "http://127.0.0.1:8080/"

/* Three entries, one per way a feed URL leaks: credentials, a token query, a local path. */
static void private_stream(struct stream_list *l) {
  static const char *const urls[] = {
      "https://alice:hunter2@private.example/feed.xml",
      "https://news.example/feed?token=SECRET42",
      "file:///home/operator/feeds/secret.xml",
  };
  l->n = 3;
  l->entries = calloc(l->n, sizeof *l->entries);
  if (!l->entries)
    abort();
  for (size_t i = 0; i < l->n; i++) {
    struct stream_entry *e = &l->entries[i];
    char id[64];
    snprintf(id, sizeof id, "tag:test,2026:%zu", i);
    e->seq = (int64_t)(3 - i);
    e->id = fixture_dup(id);
    e->time = FIXTURE_T_2000 - (int64_t)i * 60;
    e->updated = e->time;
    e->title = fixture_dup("A story");
    e->link = fixture_dup("https://site.example/story");
    e->html = fixture_dup("<p>Body <img src=\"https://tracker.example/pixel.gif\" alt=\"a chart\">"
                          "<video src=\"https://cdn.example/v.mp4\">no video</video>"
                          "<iframe src=\"https://www.youtube.com/embed/abc\"></iframe>"
                          "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"inline\"></p>");
    e->n_sources = 2;
    e->sources = calloc(2, sizeof *e->sources);
    if (!e->sources)
      abort();
    fixture_source(&e->sources[0], "feed", "A feed", "https://site.example/", urls[i], NULL);
    /* The same story from another private feed: the `via` links and other_sources. */
    fixture_source(&e->sources[1], "other", "Other", NULL, urls[(i + 1) % 3], NULL);
  }
}

static char *render(enum render_format fmt, struct render_policy policy) {
  struct stream_list l = {0};
  private_stream(&l);
  struct buf out;
  buf_init(&out, 0);
  struct render_meta meta = {.title = "t", .self_url = BASE "x", .base_url = BASE,
                             .generator_version = "9", .policy = policy};
  int r = render_stream(fmt, &meta, &l, &out);
  if (r != 0)
    fail_msg("render_stream(%d) = %d", (int)fmt, r);
  stream_list_clear(&l);
  char *s = fixture_dup(buf_str(&out));
  buf_clear(&out);
  return s;
}

static void assert_has(const char *doc, const char *want) {
  if (!strstr(doc, want))
    fail_msg("output lacks \"%s\":\n%s", want, doc);
}

static void assert_lacks(const char *doc, const char *bad) {
  if (strstr(doc, bad))
    fail_msg("output contains \"%s\":\n%s", bad, doc);
}

static void test_no_credentials_anywhere(void **state) {
  (void)state;
  for (int allow = 0; allow <= 1; allow++)
    for (int fmt = RENDER_ATOM; fmt <= RENDER_HTML; fmt++) {
      char *doc = render((enum render_format)fmt, (struct render_policy){.publish_feed_queries = allow});
      assert_lacks(doc, "hunter2");
      assert_lacks(doc, "alice");
      assert_lacks(doc, "file:");
      assert_lacks(doc, "/home/operator");
      if (!allow)
        assert_lacks(doc, "SECRET42");
      free(doc);
    }
}

static void test_sources_fall_back_to_site(void **state) {
  (void)state;
  char *atom = render(RENDER_ATOM, (struct render_policy){0});
  assert_has(atom, "<source>\n      <id>https://site.example/</id>");
  assert_lacks(atom, "rel=\"self\" href=\"https://news");
  free(atom);
  char *rss = render(RENDER_RSS, (struct render_policy){0});
  assert_has(rss, "<source url=\"https://site.example/\">A feed</source>");
  free(rss);
  char *json = render(RENDER_JSON, (struct render_policy){0});
  assert_lacks(json, "\"feed_url\": \"https://news");
  free(json);
}

/* With publish_feed_queries the token URL is the source's id, self link and feed_url. */
static void test_queries_when_allowed(void **state) {
  (void)state;
  struct render_policy allow = {.publish_feed_queries = true};
  char *atom = render(RENDER_ATOM, allow);
  assert_has(atom, "<id>https://news.example/feed?token=SECRET42</id>");
  assert_has(atom, "<link rel=\"self\" href=\"https://news.example/feed?token=SECRET42\"/>");
  free(atom);
  char *json = render(RENDER_JSON, allow);
  assert_has(json, "\"feed_url\": \"https://news.example/feed?token=SECRET42\"");
  free(json);
}

static void test_public_url_rules(void **state) {
  (void)state;
  struct stream_source s = {.feed_url = "https://example.org/a@b/feed", .site_url = "https://s/"};
  assert_string_equal(render_feed_public_url(&s, false), "https://example.org/a@b/feed");
  s.feed_url = "http://u@example.org/feed";
  assert_string_equal(render_feed_public_url(&s, true), "https://s/");
  s.feed_url = "https://example.org/feed#x?y";
  assert_string_equal(render_feed_public_url(&s, false), "https://example.org/feed#x?y");
  s.feed_url = "https://example.org/feed?";
  assert_false(render_feed_url_public(&s, false));
  s.site_url = "javascript:alert(1)";
  assert_null(render_feed_public_url(&s, false));
  assert_null(render_feed_public_url(NULL, true));
}

static void test_html_loads_nothing_remote(void **state) {
  (void)state;
  char *html = render(RENDER_HTML, (struct render_policy){0});
  assert_has(html, "content=\"" RENDER_HTML_CSP "\"");
  assert_has(html, "img-src 'self' data:;");
  assert_lacks(html, "<form"); /* a document on its own has nowhere to send a search */
  assert_has(html, "<a href=\"https://tracker.example/pixel.gif\" rel=\"noopener noreferrer\" "
                   "class=\"media-link\">a chart</a>");
  assert_has(html, "<a href=\"https://cdn.example/v.mp4\" rel=\"noopener noreferrer\" "
                   "class=\"media-link\">video</a>no video");
  assert_has(html, "<a href=\"https://www.youtube.com/embed/abc\" rel=\"noopener noreferrer\" "
                   "class=\"media-link\">embed</a>");
  assert_has(html, "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"inline\">");
  assert_lacks(html, "<img src=\"https://");
  assert_lacks(html, "<video");
  assert_lacks(html, "</video>");
  assert_lacks(html, "<iframe");
  free(html);
  /* Feed readers choose for themselves: the feed formats keep the images. */
  char *atom = render(RENDER_ATOM, (struct render_policy){0});
  assert_has(atom, "&lt;img src=&quot;https://tracker.example/pixel.gif&quot;");
  free(atom);
}

static void test_html_remote_images_allowed(void **state) {
  (void)state;
  char *html = render(RENDER_HTML, (struct render_policy){.remote_images = true});
  assert_has(html, "content=\"" RENDER_HTML_CSP_REMOTE "\"");
  assert_has(html, "<img src=\"https://tracker.example/pixel.gif\" alt=\"a chart\">");
  assert_has(html, "<video src=\"https://cdn.example/v.mp4\">no video</video>");
  assert_lacks(html, "media-link");
  free(html);
  assert_string_equal(render_html_csp(false, false), RENDER_HTML_CSP);
  assert_string_equal(render_html_csp(true, false), RENDER_HTML_CSP_REMOTE);
  /* Only a page with a search box may submit a form, and only to its own server. */
  assert_string_equal(render_html_csp(false, true), RENDER_HTML_CSP_SEARCH);
  assert_string_equal(render_html_csp(true, true), RENDER_HTML_CSP_REMOTE_SEARCH);
  assert_has(RENDER_HTML_CSP, "form-action 'none'");
  assert_has(RENDER_HTML_CSP_REMOTE_SEARCH, "form-action 'self'");
}

/* The sanitiser alone: srcset candidates and <source> elements load nothing either. */
static void test_sanitize_media_links(void **state) {
  (void)state;
  static const char in[] =
      "<picture><source srcset=\"https://t.example/a.webp\"></picture><img src=\"/rel.png\" "
      "srcset=\"https://t.example/b.png 2x\">"
      "<audio controls><source src=\"https://t.example/a.mp3\" type=\"audio/mpeg\"></audio>"
      "<img alt=\"no src\"><img src=\"javascript:alert(1)\" alt=\"bad\">";
  struct buf out;
  buf_init(&out, 0);
  assert_int_equal(sanitize_html_flags(in, strlen(in), "https://site.example/p/",
                                       SANITIZE_MEDIA_AS_LINKS, &out), 0);
  const char *s = buf_str(&out);
  assert_lacks(s, "srcset");
  assert_lacks(s, "<img");
  assert_lacks(s, "<source");
  assert_lacks(s, "<audio");
  assert_lacks(s, "javascript");
  assert_has(s, "<a href=\"https://site.example/rel.png\" rel=\"noopener noreferrer\" "
                "class=\"media-link\">image</a>");
  assert_has(s, "<a href=\"https://t.example/a.mp3\" rel=\"noopener noreferrer\" "
                "class=\"media-link\">media</a>");
  buf_clear(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_credentials_anywhere),
      cmocka_unit_test(test_sources_fall_back_to_site),
      cmocka_unit_test(test_queries_when_allowed),
      cmocka_unit_test(test_public_url_rules),
      cmocka_unit_test(test_html_loads_nothing_remote),
      cmocka_unit_test(test_html_remote_images_allowed),
      cmocka_unit_test(test_sanitize_media_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
