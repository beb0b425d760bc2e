/* test_store_pages.c — what the store remembers of live blogs' pages (store.h, pagestate.c):
 * round trip, absence, the live list, and that it survives closing the store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "test_store_util.h"

static void set_page(struct store *s, int64_t feed, const char *url, int64_t live_until) {
  struct store_page_state st = {.page_url = (char *)url, .guid = (char *)"g1",
                                .title = (char *)"Storm - live", .published = 100,
                                .etag = (char *)"\"abc\"", .last_modified = NULL,
                                .live_until = live_until, .last_fetched = 50, .updates = 4};
  assert_int_equal(store_page_set(s, feed, &st), 0);
}

static void page_state_round_trip_and_live_list(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t a, b;
  assert_int_equal(store_feed_ensure(s, "a", "https://a.example/feed", &a), 0);
  assert_int_equal(store_feed_ensure(s, "b", "https://b.example/feed", &b), 0);
  struct store_page_state st;
  assert_int_equal(store_page_get(s, a, "https://a.example/live", &st), -ENOENT);
  set_page(s, a, "https://a.example/live", 1000);
  set_page(s, a, "https://a.example/over", 10);
  set_page(s, a, "https://a.example/later", 2000);
  set_page(s, b, "https://b.example/live", 5000);
  /* Replacing keeps one row per page. */
  set_page(s, a, "https://a.example/live", 1500);
  store_close(s);

  s = open_store(sc.db); /* validators and horizons survive a restart */
  assert_int_equal(store_page_get(s, a, "https://a.example/live", &st), 0);
  assert_string_equal(st.guid, "g1");
  assert_string_equal(st.title, "Storm - live");
  assert_string_equal(st.etag, "\"abc\"");
  assert_null(st.last_modified);
  assert_int_equal(st.live_until, 1500);
  assert_int_equal(st.published, 100);
  assert_int_equal(st.last_fetched, 50);
  assert_int_equal(st.updates, 4);
  store_page_state_clear(&st);

  struct store_page_list l;
  assert_int_equal(store_pages_live(s, a, 100, 10, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.pages[0].page_url, "https://a.example/later");
  assert_string_equal(l.pages[1].page_url, "https://a.example/live");
  store_page_list_clear(&l);
  assert_int_equal(store_pages_live(s, a, 100, 1, &l), 0);
  assert_int_equal(l.n, 1);
  store_page_list_clear(&l);
  assert_int_equal(store_pages_live(s, a, 3000, 10, &l), 0);
  assert_int_equal(l.n, 0);
  store_page_list_clear(&l);
  store_close(s);
  scratch_remove(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(page_state_round_trip_and_live_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
