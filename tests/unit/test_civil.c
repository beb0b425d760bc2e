/* test_civil.c — calendar arithmetic, ISO 8601 parsing and the capped buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "civil.h"
#include "log.h"

static void assert_iso(const char *in, const char *want) {
  int64_t t;
  int r = civil_parse_iso8601(in, &t, NULL);
  if (r != 0)
    fail_msg("civil_parse_iso8601(\"%s\") = %d, want 0", in, r);
  char out[CIVIL_UTC_LEN];
  civil_format_utc(t, out);
  if (strcmp(out, want) != 0)
    fail_msg("\"%s\" -> %s, want %s", in, out, want);
}

static void test_iso8601_forms(void **state) {
  (void)state;
  assert_iso("2011-11-08T21:30:00Z", "2011-11-08T21:30:00Z");
  assert_iso("2011-11-08T21:30:00+01:00", "2011-11-08T20:30:00Z");
  assert_iso("2011-11-08T21:30:00-0500", "2011-11-09T02:30:00Z");
  assert_iso("2011-11-08 21:30", "2011-11-08T21:30:00Z");
  assert_iso("  2012-02-29T23:59:59.123Z ", "2012-02-29T23:59:59Z");
  assert_iso("2024-12-07", "2024-12-07T00:00:00Z");
  assert_iso("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z");
}

static void test_iso8601_zone_flag(void **state) {
  (void)state;
  int64_t t;
  bool had_zone = true;
  assert_int_equal(civil_parse_iso8601("2011-11-08T21:30", &t, &had_zone), 0);
  assert_false(had_zone);
  assert_int_equal(civil_parse_iso8601("2011-11-08T21:30Z", &t, &had_zone), 0);
  assert_true(had_zone);
}

static void test_iso8601_rejects(void **state) {
  (void)state;
  int64_t t;
  assert_int_equal(civil_parse_iso8601("2011-02-30T00:00:00Z", &t, NULL), -ERANGE);
  assert_int_equal(civil_parse_iso8601("2013-02-29", &t, NULL), -ERANGE);
  assert_int_equal(civil_parse_iso8601("2011-11-08T24:00:00Z", &t, NULL), -ERANGE);
  assert_int_equal(civil_parse_iso8601("9999-01-01T00:00:00Z", &t, NULL), -ERANGE);
  assert_int_equal(civil_parse_iso8601("1900-01-01T00:00:00Z", &t, NULL), -ERANGE);
  assert_int_equal(civil_parse_iso8601("2011-11-08T21:30:00Z junk", &t, NULL), -EINVAL);
  assert_int_equal(civil_parse_iso8601("Tue, 08 Nov 2011", &t, NULL), -EINVAL);
  assert_int_equal(civil_parse_iso8601("", &t, NULL), -EINVAL);
}

static void test_days_roundtrip(void **state) {
  (void)state;
  for (int64_t d = -800000; d < 800000; d += 97) {
    int y, m, dd;
    civil_ymd_from_days(d, &y, &m, &dd);
    assert_int_equal(civil_days_from_ymd(y, m, dd), d);
  }
  assert_int_equal(civil_weekday(civil_days_from_ymd(2011, 11, 8)), 2); /* a Tuesday */
}

static void test_buf_cap(void **state) {
  (void)state;
  struct buf b;
  buf_init(&b, 8);
  assert_int_equal(buf_append_str(&b, "12345"), 0);
  assert_int_equal(buf_append_str(&b, "6789"), -E2BIG);
  assert_string_equal(buf_str(&b), "12345"); /* a refused append leaves it as it was */
  assert_int_equal(buf_printf(&b, "%d", 678), 0);
  assert_int_equal(b.len, 8);
  assert_int_equal(buf_append_char(&b, 'x'), -E2BIG);
  char *s = buf_steal(&b);
  assert_string_equal(s, "12345678");
  free(s);
  assert_string_equal(buf_str(&b), "");
  buf_clear(&b);
}

static void test_log_value(void **state) {
  (void)state;
  char out[32];
  assert_string_equal(log_value(out, sizeof out, "ea-worldview"), "ea-worldview");
  assert_string_equal(log_value(out, sizeof out, "two words"), "\"two words\"");
  assert_string_equal(log_value(out, sizeof out, ""), "\"\"");
  assert_string_equal(log_value(out, sizeof out, "a\"b\nc"), "\"a\\\"b\\nc\"");
  char small[10];
  assert_string_equal(log_value(small, sizeof small, "abcdefghijklmnop"), "abcdef...");
  assert_string_equal(log_value(small, sizeof small, "a b c d e f g"), "\"a b ...\"");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_iso8601_forms),   cmocka_unit_test(test_iso8601_zone_flag),
      cmocka_unit_test(test_iso8601_rejects), cmocka_unit_test(test_days_roundtrip),
      cmocka_unit_test(test_buf_cap),         cmocka_unit_test(test_log_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
