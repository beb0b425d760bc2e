/* test_fetch_date.c — fetch_http_date reads an IMF-fixdate itself and leaves every other
 * spelling to curl_getdate: its answer must be curl's for every input, valid or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fetch_internal.h"
#include "schedule.h" /* sched_prng: a seeded generator, as elsewhere in the tests */

static time_t curls(const char *v) {
  time_t t = curl_getdate(v, NULL);
  return t < 0 ? -1 : t;
}

static void fixdate(time_t t, char *out, size_t size) {
  struct tm tm;
  assert_non_null(gmtime_r(&t, &tm));
  assert_int_not_equal(strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm), 0);
}

/* Every month, leap days, the ends of days and years, far years: the time written, read back. */
static void test_fixdates_read_back(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 16);
  char v[64];
  for (int i = 0; i < 200000; i++) {
    /* 1970 to about 2400, and now and then up to 9999 */
    uint64_t span = i % 10 == 0 ? 253402300799ULL : 13600000000ULL;
    time_t t = (time_t)(sched_prng_next(&rng) % span);
    fixdate(t, v, sizeof v);
    assert_int_equal(fetch_http_date(v), t);
    assert_int_equal(curls(v), t);
  }
  time_t edges[] = {0, 59, 86399, 951782399, 951782400, 951868800, 4107542399, 4107542400};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    fixdate(edges[i], v, sizeof v);
    assert_int_equal(fetch_http_date(v), edges[i]);
  }
}

/* What the fast path refuses, and near misses of it, get curl's answer. */
static void test_other_spellings_are_curls(void **state) {
  (void)state;
  const char *cases[] = {
      "Sun, 06 Nov 1994 08:49:37 GMT",  "Mon, 06 Nov 1994 08:49:37 GMT", /* wrong weekday */
      "sun, 06 Nov 1994 08:49:37 GMT",  "Sun, 06 nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
      "Thu, 29 Feb 2001 00:00:00 GMT",  "Tue, 29 Feb 2000 00:00:00 GMT",
      "Wed, 31 Apr 2020 00:00:00 GMT",  "Tue, 31 Dec 1969 23:59:59 GMT",
      "Thu, 01 Jan 1970 00:00:00 GMT",  "Sat, 31 Dec 9999 23:59:59 GMT",
      "Thu, 01 Jan 1970 00:00:60 GMT",  "Thu, 01 Jan 1970 24:00:00 GMT",
      "Thu, 01 Jan 1970 00:60:00 GMT",  "Thu, 00 Jan 1970 00:00:00 GMT",
      "Thu, 01 Jan 1970 00:00:00 UTC",  "Thu, 01 Jan 1970 00:00:00 GMT ",
      "Thu,  1 Jan 1970 00:00:00 GMT",  "Thu, 01 Jxn 1970 00:00:00 GMT",
      "Thu, 01 anF 1970 00:00:00 GMT",  "Thu, 01 Jan 197O 00:00:00 GMT",
      "",                               "GMT",
      "Sun, 06 Nov 1994 08:49:37 +0100", "Sun, 06 Nov 1994 08:49:37",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (fetch_http_date(cases[i]) != curls(cases[i]))
      fail_msg("\"%s\": %lld, curl says %lld", cases[i], (long long)fetch_http_date(cases[i]),
               (long long)curls(cases[i]));
  }
}

/* A valid date with one character changed, thousands of times: still curl's answer. */
static void test_one_character_off_is_curls(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 61);
  const char alphabet[] = "0123456789 :,-+ABCDEFGJMNOSTUadehinoprtuvy";
  char v[64];
  for (int i = 0; i < 100000; i++) {
    fixdate((time_t)(sched_prng_next(&rng) % 4102444800ULL), v, sizeof v);
    size_t at = (size_t)(sched_prng_next(&rng) % 29);
    v[at] = alphabet[sched_prng_next(&rng) % (sizeof alphabet - 1)];
    if (fetch_http_date(v) != curls(v))
      fail_msg("\"%s\": %lld, curl says %lld", v, (long long)fetch_http_date(v),
               (long long)curls(v));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixdates_read_back),
      cmocka_unit_test(test_other_spellings_are_curls),
      cmocka_unit_test(test_one_character_off_is_curls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
