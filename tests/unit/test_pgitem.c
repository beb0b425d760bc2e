/* test_pgitem.c — a poll's items through the shared log's JSON (daemon/pgitem.c) and into a
 * store give the entries the direct path gives: what a node replays is what the polling node
 * would have stored. Real feeds (the demo live blog, news, RDF) parsed and split as a poll
 * does; two real SQLite stores compared entry by entry. */
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
#include <jansson.h>
#include <sqlite3.h>

#include "bounds.h"
#include "ingest.h"
#include "parse.h"
#include "pgitem.h"
#include "store.h"

#define NOW 1700000000

static int on_item(void *userdata, const struct feed_item *it) {
  struct ingest_options opt = {.mode = LIVEBLOG_AUTO};
  return ingest_add(userdata, it, &opt) < 0 ? 1 : 0;
}

static void parse_file(const char *name, struct ingest_batch *b) {
  const char *fx = getenv("BRAID_FIXTURES");
  char path[1024];
  snprintf(path, sizeof path, "%s/feeds/%s", fx ? fx : "tests/fixtures", name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  struct parse_options po = {.base_url = "http://news.test/", .content_links_raw = true};
  struct feed_parser *p = feed_parser_new(&po, on_item, b);
  assert_non_null(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    assert_int_equal(feed_parser_push(p, buf, n), 0);
  fclose(f);
  feed_parser_finish(p);
  feed_parser_free(p);
  assert_true(b->n > 0);
}

static char *entries_of(const char *db_path) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "SELECT group_concat(uid || '|' || time || '|' ||"
                                      " coalesce(stamp,'') || '|' || coalesce(title,'') || '|' ||"
                                      " coalesce(link,'') || '|' || coalesce(html,'') || '|' ||"
                                      " coalesce(text,'') || '|' || first_seen, char(10))"
                                      " FROM (SELECT * FROM entries ORDER BY seq)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const char *t = (const char *)sqlite3_column_text(st, 0);
  char *out = strdup(t ? t : "");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

static struct store *open_store(const char *dir, const char *name, int64_t *feed_id) {
  char path[1024], err[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct store *s = NULL;
  assert_int_equal(store_open(path, 0, &s, err, sizeof err), 0);
  assert_int_equal(store_feed_ensure(s, "f", "http://news.test/feed", feed_id), 0);
  return s;
}

static void check_roundtrip(const char *fixture) {
  char dir[] = "/tmp/braid-pgitem-XXXXXX";
  assert_non_null(mkdtemp(dir));
  int64_t fa, fb;
  struct store *a = open_store(dir, "direct.db", &fa);
  struct store *b = open_store(dir, "replayed.db", &fb);
  struct ingest_batch direct = {0}, logged = {0};
  parse_file(fixture, &direct);
  parse_file(fixture, &logged);

  assert_int_equal(store_begin(a), 0);
  assert_int_equal(ingest_store(a, fa, &direct, NOW, NULL), 0);
  assert_int_equal(store_commit(a), 0);

  char *json = NULL;
  size_t cut = 99;
  assert_int_equal(pgitem_encode(&logged, NOW, "Feed title", "http://news.test/",
                                 "http://moved.test/feed.xml", &json, &cut),
                   0);
  assert_int_equal(cut, 0);
  /* The array's elements, as PostgreSQL hands them back one row each. */
  json_t *arr = json_loads(json, 0, NULL);
  assert_true(json_is_array(arr));
  assert_int_equal(json_array_size(arr), logged.n);
  assert_int_equal(store_begin(b), 0);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char *row = json_dumps(json_array_get(arr, i), JSON_COMPACT);
    struct pgitem it;
    char err[256];
    assert_int_equal(pgitem_decode(row, &it, err, sizeof err), 0);
    assert_string_equal(it.feed_title, "Feed title");
    assert_string_equal(it.site_url, "http://news.test/");
    assert_string_equal(it.feed_url, "http://moved.test/feed.xml");
    assert_int_equal(store_put_item(b, fb, &it.item, NOW, NULL), 0);
    pgitem_clear(&it);
    free(row);
  }
  assert_int_equal(store_commit(b), 0);
  json_decref(arr);
  free(json);

  char pa[1100], pb[1100];
  snprintf(pa, sizeof pa, "%s/direct.db", dir);
  snprintf(pb, sizeof pb, "%s/replayed.db", dir);
  store_close(a);
  store_close(b);
  char *ea = entries_of(pa), *eb = entries_of(pb);
  assert_true(strlen(ea) > 0);
  assert_string_equal(ea, eb);
  free(ea);
  free(eb);
  ingest_batch_clear(&direct);
  ingest_batch_clear(&logged);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_liveblog_roundtrip(void **state) { check_roundtrip("homs-liveblog.rss"); }
static void test_news_roundtrip(void **state) { check_roundtrip("homs-news.atom"); }
static void test_rdf_roundtrip(void **state) { check_roundtrip("homs-wire.rdf"); }

/* What a node cannot use is refused with a reason, never half-read. */
static void test_decode_refuses(void **state) {
  static const char *const bad[] = {"", "[]", "42", "{\"g\": \"x\", \"up\": 3}",
                                    "{\"up\": [1]}", "{\"g\": \"x\", \"g\": \"y\"}", "{"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct pgitem it;
    char err[256] = "";
    assert_int_equal(pgitem_decode(bad[i], &it, err, sizeof err), -EINVAL);
    assert_true(err[0] != '\0');
    assert_null(it.json);
  }
  /* More updates than the store keeps: refused here, before anything reaches the store. */
  size_t n = BRAID_STORE_MAX_UPDATES + 1;
  char *big = malloc(n * 3 + 32);
  size_t off = (size_t)sprintf(big, "{\"up\":[");
  for (size_t i = 0; i < n; i++)
    off += (size_t)sprintf(big + off, "%s{}", i ? "," : "");
  sprintf(big + off, "]}");
  struct pgitem it;
  char err[256];
  assert_int_equal(pgitem_decode(big, &it, err, sizeof err), -EINVAL);
  free(big);
}

/* A poll whose items cannot fit one statement keeps the items that fit, whole, in order. */
static void test_encode_cuts_to_the_statement(void **state) {
  struct ingest_batch b = {0};
  size_t body = 1536 * 1024; /* its html and its plain text: some 3 MiB an item */
  char *html = malloc(body + 1);
  memset(html, 'a', body);
  html[body] = '\0';
  for (int i = 0; i < 4; i++) {
    char guid[16];
    snprintf(guid, sizeof guid, "g%d", i);
    struct feed_item fi = {.id = guid, .title = guid, .content = html};
    struct ingest_options opt = {.mode = LIVEBLOG_NEVER};
    assert_int_equal(ingest_add(&b, &fi, &opt), 0);
  }
  char *json = NULL;
  size_t cut = 0;
  assert_int_equal(pgitem_encode(&b, NOW, NULL, NULL, NULL, &json, &cut), 0);
  assert_true(strlen(json) < BRAID_PG_MAX_QUERY_BYTES);
  assert_int_equal(cut, 2);
  json_t *arr = json_loads(json, 0, NULL);
  assert_int_equal(json_array_size(arr), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "g")), "g0");
  assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "g")), "g1");
  json_decref(arr);
  free(json);
  free(html);
  ingest_batch_clear(&b);
}

/* A live blog's page read travels as its state and, when it gave updates, their item. */
static void test_page_roundtrip(void **state) {
  struct store_page_state st = {.page_url = "http://news.test/live.html", .guid = "g1",
                                .title = "Live", .published = 1699990000, .etag = "\"e\"",
                                .live_until = 1700086400, .last_fetched = NOW, .updates = 2};
  struct store_update ups[2] = {{.stamp = "0900", .time = NOW - 60, .html = "<p>a</p>",
                                 .text = "a", .anchor = "u1"},
                                {.time = NOW, .html = "<p>b</p>", .text = "b", .link = "http://x/"}};
  struct store_item si = {.guid = "g1", .link = st.page_url, .title = "Live", .is_liveblog = true,
                          .updates = ups, .n_updates = 2};
  char *with = NULL, *without = NULL;
  assert_int_equal(pgitem_encode_page(&st, &si, &with), 0);
  assert_int_equal(pgitem_encode_page(&st, NULL, &without), 0);
  struct pgitem it;
  char err[256];
  assert_int_equal(pgitem_decode(with, &it, err, sizeof err), 0);
  assert_true(it.has_item && it.has_page);
  assert_string_equal(it.page.page_url, st.page_url);
  assert_string_equal(it.page.etag, "\"e\"");
  assert_null(it.page.last_modified);
  assert_int_equal(it.page.live_until, st.live_until);
  assert_int_equal(it.page.last_fetched, NOW);
  assert_int_equal(it.page.updates, 2);
  assert_int_equal(it.item.n_updates, 2);
  assert_true(it.item.is_liveblog);
  assert_string_equal(it.item.updates[0].anchor, "u1");
  assert_null(it.item.updates[1].stamp);
  assert_string_equal(it.item.updates[1].link, "http://x/");
  pgitem_clear(&it);
  assert_int_equal(pgitem_decode(without, &it, err, sizeof err), 0);
  assert_true(it.has_page);
  assert_false(it.has_item);
  assert_int_equal(it.page.published, 1699990000);
  pgitem_clear(&it);
  /* An element of a feed's item has no page. */
  assert_int_equal(pgitem_decode("{\"g\":\"x\"}", &it, err, sizeof err), 0);
  assert_true(it.has_item);
  assert_false(it.has_page);
  pgitem_clear(&it);
  assert_int_equal(pgitem_decode("{\"pg\":{\"g\":\"x\"}}", &it, err, sizeof err), -EINVAL);
  free(with);
  free(without);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_liveblog_roundtrip),
      cmocka_unit_test(test_news_roundtrip),
      cmocka_unit_test(test_rdf_roundtrip),
      cmocka_unit_test(test_decode_refuses),
      cmocka_unit_test(test_encode_cuts_to_the_statement),
      cmocka_unit_test(test_page_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
