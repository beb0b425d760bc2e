/* test_serve_streams.c — the server's table of named streams (bounds, names, replacement
 * keeping the old table on failure) and the query-string escaping of a search's self link. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "serve_priv.h"

static void query_escape_keeps_unreserved_bytes_only(void **state) {
  (void)state;
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(serve_query_escape("Homs OR \"al-Assad\"*&x=1/é~._", &b), 0);
  assert_string_equal(buf_str(&b), "Homs%20OR%20%22al-Assad%22%2A%26x%3D1%2F%C3%A9~._");
  buf_clear(&b);
}

static void streams_are_copied_found_and_linked(void **state) {
  (void)state;
  struct serve_streams t = {0};
  char name[] = "syria", title[] = "Syria desk";
  const struct serve_stream src[] = {{.name = name, .title = title}, {.name = "sport"}};
  assert_int_equal(serve_streams_replace(&t, src, 2), 0);
  name[0] = 'X'; /* the table holds copies */
  title[0] = 'X';
  const struct serve_stream *sy = serve_streams_find(&t, "syria.atom", 5);
  assert_non_null(sy);
  assert_string_equal(sy->title, "Syria desk");
  assert_string_equal(serve_streams_find(&t, "sport", 5)->title, "sport");
  assert_null(serve_streams_find(&t, "syri", 4));
  assert_null(serve_streams_find(&t, "syrias", 6));
  assert_int_equal(t.n, 2);
  assert_string_equal(t.nav[0].path, "streams/syria.html");
  assert_string_equal(t.nav[0].title, "Syria desk");
  serve_streams_clear(&t);
  assert_int_equal(t.n, 0);
}

static void a_bad_table_leaves_the_old_one(void **state) {
  (void)state;
  struct serve_streams t = {0};
  const struct serve_stream one[] = {{.name = "one", .title = "One"}};
  assert_int_equal(serve_streams_replace(&t, one, 1), 0);
  const struct serve_stream bad[] = {{.name = "ok"}, {.name = "../etc"}};
  assert_int_equal(serve_streams_replace(&t, bad, 2), -EINVAL);
  const struct serve_stream unnamed[] = {{.title = "x"}};
  assert_int_equal(serve_streams_replace(&t, unnamed, 1), -EINVAL);
  struct serve_stream many[SERVE_MAX_STREAMS + 1];
  for (size_t i = 0; i < SERVE_MAX_STREAMS + 1; i++)
    many[i] = (struct serve_stream){.name = "s"};
  assert_int_equal(serve_streams_replace(&t, many, SERVE_MAX_STREAMS + 1), -E2BIG);
  assert_int_equal(t.n, 1);
  assert_non_null(serve_streams_find(&t, "one", 3));
  assert_int_equal(serve_streams_replace(&t, NULL, 0), 0); /* no streams at all */
  assert_int_equal(t.n, 0);
  serve_streams_clear(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(query_escape_keeps_unreserved_bytes_only),
      cmocka_unit_test(streams_are_copied_found_and_linked),
      cmocka_unit_test(a_bad_table_leaves_the_old_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
