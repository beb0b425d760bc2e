/* test_config_streams.c — braid.conf's [stream "NAME"] sections: what they hold, every error
 * with its file and line, the check against feeds.d, and which feeds a stream takes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "search.h"

static struct braid_config *parse(const char *text, struct msg_list *errs, int want) {
  struct braid_config *c = NULL;
  int rc = config_parse(text, strlen(text), "/etc/braid/braid.conf", &c, errs);
  if (rc != want) {
    for (size_t i = 0; i < errs->n; i++)
      fprintf(stderr, "  got: %s\n", errs->items[i]);
    fail_msg("config_parse: %d, want %d", rc, want);
  }
  return c;
}

static void expect_msg(const struct msg_list *l, const char *want) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i], want) == 0)
      return;
  for (size_t i = 0; i < l->n; i++)
    fprintf(stderr, "  got: %s\n", l->items[i]);
  fail_msg("no message \"%s\"", want);
}

static void sections_hold_their_keys(void **state) {
  (void)state;
  struct msg_list errs = {0};
  struct braid_config *c = parse("[stream]\ntitle = Desk\n"
                                 "[stream \"syria\"]\ntitle = Syria\nquery = Homs OR Aleppo\n"
                                 "feeds = bbc, dw ,  aljazeera\n"
                                 "[stream \"sport\"]\ncategories = Sport, News/Football\n",
                                 &errs, 0);
  assert_string_equal(c->stream_title, "Desk");
  assert_int_equal(c->n_streams, 2);
  const struct stream_def *sy = config_stream_find(c, "syria");
  assert_non_null(sy);
  assert_string_equal(sy->title, "Syria");
  assert_string_equal(sy->query, "Homs OR Aleppo");
  assert_int_equal(sy->n_feeds, 3);
  assert_string_equal(sy->feeds[1], "dw");
  assert_string_equal(sy->feeds[2], "aljazeera");
  assert_int_equal(sy->line, 3);
  assert_int_equal(sy->feeds_line, 6);
  const struct stream_def *sp = config_stream_find(c, "sport");
  assert_null(sp->title);
  assert_null(sp->query);
  assert_int_equal(sp->n_categories, 2);
  assert_string_equal(sp->categories[1], "News/Football");
  assert_null(config_stream_find(c, "nosuch"));
  config_free(c);
}

static void errors_name_file_and_line(void **state) {
  (void)state;
  struct msg_list errs = {0};
  parse("[stream \"a/b\"]\n"          /* 1 */
        "query = x\n"                 /* 2: ignored, the header was reported */
        "[stream \"ok\"]\n"           /* 3 */
        "colour = red\n"              /* 4 */
        "query = x\n"                 /* 5 */
        "query = y\n"                 /* 6 */
        "feeds = bbc, no/pe\n"        /* 7 */
        "[stream \"ok\"]\n"           /* 8 */
        "[stream \"empty\"]\n"        /* 9 */
        "title = Nothing\n"           /* 10 */
        "[stream \"\"]\n"             /* 11 */
        "[stream \"x\"]\n"            /* 12 */
        "categories = ,\n",           /* 13 */
        &errs, -EINVAL);
  const char *f = "/etc/braid/braid.conf";
  char want[256];
  snprintf(want, sizeof want, "%s:1: [stream \"a/b\"]: a stream name is letters, digits, '.', "
                              "'_' and '-', not starting with '.'", f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:4: unknown key 'colour' in [stream \"ok\"] (title, query, "
                              "feeds, categories)", f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:6: duplicate key 'query' in [stream \"ok\"] (first on line 5)",
           f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:7: feeds: 'no/pe' is not a feed name (the name of a feeds.d "
                              "file without .feed)", f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:8: duplicate [stream \"ok\"] (first on line 3)", f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:9: [stream \"empty\"] selects nothing: give query, feeds or "
                              "categories", f);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:11: [stream \"\"]: a stream name has 1 to %d characters", f,
           BRAID_CONFIG_MAX_STREAM_NAME_BYTES);
  expect_msg(&errs, want);
  snprintf(want, sizeof want, "%s:13: categories: no names given", f);
  expect_msg(&errs, want);
  assert_int_equal(errs.n, 8);
  msg_list_clear(&errs);
}

static void check_names_unknown_feeds_and_bad_queries(void **state) {
  (void)state;
  struct msg_list errs = {0};
  struct braid_config *c = parse("[feeds]\ndir = /srv/feeds.d\n"
                                 "[stream \"a\"]\nfeeds = bbc, gone\nquery = homs OR\n"
                                 "[stream \"b\"]\nfeeds = bbc\nquery = homs\n",
                                 &errs, 0);
  struct feed_def defs[] = {{.name = "bbc", .url = "https://bbc.example/rss"}};
  struct feed_list feeds = {.items = defs, .n = 1};
  assert_int_equal(config_streams_check(c, &feeds, store_search_check, &errs), -EINVAL);
  expect_msg(&errs, "/etc/braid/braid.conf:4: [stream \"a\"] feeds: unknown feed 'gone' (no "
                    "gone.feed in /srv/feeds.d)");
  expect_msg(&errs, "/etc/braid/braid.conf:5: [stream \"a\"] query: the query ends with an "
                    "operator: AND, OR and NOT need a term on each side");
  assert_int_equal(errs.n, 2);
  msg_list_clear(&errs);
  config_free(c);
}

static void streams_take_feeds_by_name_and_category(void **state) {
  (void)state;
  struct msg_list errs = {0};
  struct braid_config *c = parse("[stream \"news\"]\ncategories = news\n"
                                 "[stream \"bbcnews\"]\ncategories = News\nfeeds = bbc\n"
                                 "[stream \"q\"]\nquery = homs\n",
                                 &errs, 0);
  struct feed_def bbc = {.name = "bbc", .categories = "News/World, Sport"};
  struct feed_def dw = {.name = "dw", .categories = "Newsroom"};
  struct feed_def ft = {.name = "ft", .categories = " NEWS "};
  const struct stream_def *news = config_stream_find(c, "news");
  const struct stream_def *bbcnews = config_stream_find(c, "bbcnews");
  const struct stream_def *q = config_stream_find(c, "q");
  assert_true(stream_def_takes_feed(news, &bbc));
  assert_false(stream_def_takes_feed(news, &dw)); /* "Newsroom" is not under "news" */
  assert_true(stream_def_takes_feed(news, &ft));
  assert_true(stream_def_takes_feed(bbcnews, &bbc));
  assert_false(stream_def_takes_feed(bbcnews, &ft)); /* the right category, not a named feed */
  assert_true(stream_def_takes_feed(q, &dw));
  config_free(c);
}

static void equal_streams_compare_equal(void **state) {
  (void)state;
  struct msg_list errs = {0};
  const char *text = "[stream \"a\"]\nfeeds = x, y\n";
  struct braid_config *a = parse(text, &errs, 0), *b = parse(text, &errs, 0);
  struct braid_config *other = parse("[stream \"a\"]\nfeeds = x\n", &errs, 0);
  struct braid_config *none = parse("", &errs, 0);
  assert_true(config_streams_equal(a, b));
  assert_false(config_streams_equal(a, other));
  assert_false(config_streams_equal(a, none));
  config_free(a);
  config_free(b);
  config_free(other);
  config_free(none);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sections_hold_their_keys),
      cmocka_unit_test(errors_name_file_and_line),
      cmocka_unit_test(check_names_unknown_feeds_and_bad_queries),
      cmocka_unit_test(streams_take_feeds_by_name_and_category),
      cmocka_unit_test(equal_streams_compare_equal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
