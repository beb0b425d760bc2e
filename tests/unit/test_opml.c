/* test_opml.c — OPML reading (1.0, 2.0, nesting, hostile documents) and writing, feed names
 * derived from URLs, and feeds.d files written atomically without overwriting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_tmpdir.h"

#include "config.h"
#include "feedsdir.h"
#include "bounds.h"
#include "opml.h"

static const char *fixture(const char *name) {
  static char path[1024];
  const char *fx = getenv("BRAID_FIXTURES");
  if (fx && *fx)
    snprintf(path, sizeof path, "%s/net/%s", fx, name);
  else
    snprintf(path, sizeof path, "%.*s/../fixtures/net/%s",
             (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, name);
  return path;
}

static int read_str(const char *text, struct opml_list *l, char *err, size_t size) {
  return opml_read_memory(text, strlen(text), "test.opml", l, err, size);
}

static void test_read_opml2_nested(void **state) {
  (void)state;
  struct opml_list l;
  char err[512];
  int rc = opml_read_file(fixture("subscriptions.opml"), &l, err, sizeof err);
  if (rc)
    fail_msg("%s", err);
  /* Every outline with an xmlUrl, at any depth, in document order; folders skipped. */
  assert_int_equal(l.n, 5);
  assert_string_equal(l.items[0].url, "https://feeds.bbci.co.uk/news/world/rss.xml");
  assert_string_equal(l.items[0].title, "BBC News - World"); /* title wins over text */
  assert_string_equal(l.items[1].url, "https://www.theguardian.com/world/live/rss");
  assert_string_equal(l.items[1].title, "Guardian live");
  assert_string_equal(l.items[2].url, "http://www.enduringamerica.com/feed/");
  assert_string_equal(l.items[2].title, "EA WorldView");
  assert_string_equal(l.items[3].title, "Duplicate of BBC");
  assert_string_equal(l.items[4].url, "gopher://example.org/feed");
  opml_list_clear(&l);
}

static void test_read_opml1(void **state) {
  (void)state;
  struct opml_list l;
  char err[512];
  int rc = opml_read_file(fixture("subscriptions-1.0.opml"), &l, err, sizeof err);
  if (rc)
    fail_msg("%s", err);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.items[0].title, "Caf\xc3\xa9 news");
  assert_string_equal(l.items[1].url, "http://scripting.example.com/rss.xml");
  opml_list_clear(&l);
}

static void test_read_attribute_spellings(void **state) {
  (void)state;
  struct opml_list l;
  char err[512];
  assert_int_equal(read_str("<opml version=\"1.1\"><body>"
                            "<outline xmlURL=\" http://a.example/feed \" text=\"  \"/>"
                            "<outline xmlurl=\"http://b.example/feed\"/>"
                            "</body></opml>",
                            &l, err, sizeof err),
                   0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.items[0].url, "http://a.example/feed");
  assert_null(l.items[0].title);
  assert_string_equal(l.items[1].url, "http://b.example/feed");
  opml_list_clear(&l);
}

static void test_read_refuses_external_entities(void **state) {
  (void)state;
  char secret[400];
  snprintf(secret, sizeof secret, "%s/secret.txt", tmpdir);
  FILE *f = fopen(secret, "w");
  assert_non_null(f);
  fputs("TOPSECRET", f);
  fclose(f);
  char doc[1200];
  snprintf(doc, sizeof doc,
           "<?xml version=\"1.0\"?>\n"
           "<!DOCTYPE opml [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
           "<opml version=\"2.0\"><body>"
           "<outline text=\"&xxe;\" xmlUrl=\"http://a.example/&xxe;\"/>"
           "</body></opml>",
           secret);
  struct opml_list l;
  char err[512];
  int rc = read_str(doc, &l, err, sizeof err);
  for (size_t i = 0; rc == 0 && i < l.n; i++) {
    if (strstr(l.items[i].url, "TOPSECRET") || (l.items[i].title && strstr(l.items[i].title, "TOPSECRET")))
      fail_msg("external entity was loaded");
  }
  if (rc == 0)
    opml_list_clear(&l);
}

static void test_read_errors(void **state) {
  (void)state;
  struct opml_list l;
  char err[512];
  assert_int_equal(read_str("<rss version=\"2.0\"><channel/></rss>", &l, err, sizeof err), -EINVAL);
  assert_string_equal(err, "test.opml:1: not an OPML document (root element <rss>)");
  assert_int_equal(read_str("<opml><body>\n<outline xmlUrl=\"http://a/\">\n</body></opml>", &l, err,
                            sizeof err),
                   -EINVAL);
  if (strncmp(err, "test.opml:3: ", 13) != 0)
    fail_msg("%s", err);
  assert_int_equal(read_str("", &l, err, sizeof err), -EINVAL);
  assert_int_equal(l.n, 0);
  /* Nesting deeper than the cap is refused, naming it. */
  char deep[4096] = "<opml><body>";
  for (int i = 0; i < 40; i++)
    strcat(deep, "<outline text=\"x\">");
  strcat(deep, "<outline xmlUrl=\"http://deep.example/\"/>");
  for (int i = 0; i < 40; i++)
    strcat(deep, "</outline>");
  strcat(deep, "</body></opml>");
  assert_int_equal(read_str(deep, &l, err, sizeof err), -E2BIG);
  assert_non_null(strstr(err, "BRAID_OPML_MAX_DEPTH"));
  assert_int_equal(opml_read_file("/nonexistent/x.opml", &l, err, sizeof err), -ENOENT);
  assert_string_equal(err, "/nonexistent/x.opml: No such file or directory");
}

/* Folders at the deepest nesting allowed fill every slot of the folder path, no more. */
static void test_read_folders_at_the_depth_cap(void **state) {
  (void)state;
  struct opml_list l;
  char err[512], deep[8192] = "<opml><body>";
  /* opml > body > outline at depth 2: BRAID_OPML_MAX_DEPTH outlines may enclose the feed. */
  for (int i = 0; i < BRAID_OPML_MAX_DEPTH; i++)
    strcat(deep, "<outline text=\"f\">");
  strcat(deep, "<outline xmlUrl=\"http://deep.example/\"/>");
  for (int i = 0; i < BRAID_OPML_MAX_DEPTH; i++)
    strcat(deep, "</outline>");
  strcat(deep, "<outline xmlUrl=\"http://top.example/\"/></body></opml>");
  int rc = read_str(deep, &l, err, sizeof err);
  if (rc)
    fail_msg("%s", err);
  assert_int_equal(l.n, 2);
  assert_int_equal(strlen(l.items[0].category), 2 * BRAID_OPML_MAX_DEPTH - 1); /* f/f/.../f */
  assert_null(l.items[1].category);
  opml_list_clear(&l);
}

static void test_write_round_trip(void **state) {
  (void)state;
  struct feed_def items[2] = {
      {.name = "a", .url = "http://a.example/feed?x=1&y=2", .title = "A & <B>"},
      {.name = "b", .url = "https://b.example/rss"},
  };
  struct feed_list fl = {items, 2};
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  assert_non_null(mem);
  assert_int_equal(opml_write(mem, &fl, "braid feeds"), 0);
  fclose(mem);
  assert_non_null(strstr(text, "<opml version=\"2.0\">"));
  assert_non_null(strstr(text, "<title>braid feeds</title>"));
  struct opml_list l;
  char err[512];
  assert_int_equal(opml_read_memory(text, len, "out.opml", &l, err, sizeof err), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.items[0].url, "http://a.example/feed?x=1&y=2");
  assert_string_equal(l.items[0].title, "A & <B>");
  assert_string_equal(l.items[1].url, "https://b.example/rss");
  assert_string_equal(l.items[1].title, "b"); /* no title: the name stands in */
  opml_list_clear(&l);
  free(text);
}

static void expect_name(const char *url, const char *want) {
  char out[200];
  int rc = feedsdir_name_from_url(url, out, sizeof out);
  if (rc != 0)
    fail_msg("%s: rc %d", url, rc);
  if (strcmp(out, want) != 0)
    fail_msg("%s -> '%s', want '%s'", url, out, want);
}

static void test_names_from_urls(void **state) {
  (void)state;
  expect_name("https://www.example.org/news/live.rss", "example.org-live");
  expect_name("https://feeds.bbci.co.uk/news/world/rss.xml", "feeds.bbci.co.uk-world");
  expect_name("http://www.enduringamerica.com/feed/", "enduringamerica.com");
  expect_name("https://WWW.Example.ORG/Some%20Blog/atom", "example.org-some-20blog");
  expect_name("file:///srv/demo/ea-worldview.xml", "ea-worldview");
  expect_name("http://127.0.0.1:8080/feeds/basic.rss", "127.0.0.1-basic");
  char out[8];
  assert_int_equal(feedsdir_name_from_url("not a url", out, sizeof out), -EINVAL);
}

static void test_add_and_remove(void **state) {
  (void)state;
  char dir[400];
  snprintf(dir, sizeof dir, "%s/conf/feeds.d", tmpdir);
  assert_int_equal(feedsdir_add_categories(dir, "live", "https://example.org/live.rss", "Live ; coverage", NULL), 0);
  assert_int_equal(feedsdir_add_categories(dir, "live", "https://example.org/other.rss", NULL, NULL), -EEXIST);
  assert_int_equal(feedsdir_add_categories(dir, ".dot", "https://example.org/", NULL, NULL), -EINVAL);
  assert_int_equal(feedsdir_add_categories(dir, "x", "ftp://example.org/", NULL, NULL), -EINVAL);
  assert_int_equal(feedsdir_add_categories(dir, "y", "https://example.org/", "two\nlines", NULL), -EINVAL);
  /* What was written reads back as the same feed, and nothing else was left behind. */
  struct feed_list l = {0};
  struct msg_list errs = {0};
  assert_int_equal(feeds_load(dir, &l, &errs), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.items[0].url, "https://example.org/live.rss");
  assert_string_equal(l.items[0].title, "Live; coverage");
  feed_list_clear(&l);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = live.feed", dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(feedsdir_remove(dir, "live"), 0);
  assert_int_equal(feedsdir_remove(dir, "live"), -ENOENT);
  assert_int_equal(feedsdir_remove(dir, "../etc"), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_opml2_nested),
      cmocka_unit_test(test_read_opml1),
      cmocka_unit_test(test_read_attribute_spellings),
      cmocka_unit_test(test_read_refuses_external_entities),
      cmocka_unit_test(test_read_errors),
      cmocka_unit_test(test_read_folders_at_the_depth_cap),
      cmocka_unit_test(test_write_round_trip),
      cmocka_unit_test(test_names_from_urls),
      cmocka_unit_test(test_add_and_remove),
  };
  return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
