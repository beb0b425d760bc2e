/* test_pgredact.c — connection strings rendered for the log never carry a password.
 *
 * No server needed: pgconn_conninfo_redact only parses. Each case gives a string as an operator
 * might write `[store] url`, and checks what is kept and that the secret is nowhere in the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pgconn.h"

static void redacts(const char *conninfo, const char *want) {
  char out[512];
  assert_int_equal(pgconn_conninfo_redact(conninfo, out, sizeof out), 0);
  assert_string_equal(out, want);
  assert_null(strstr(out, "s3cret"));
}

static void test_uri_password_in_userinfo(void **state) {
  redacts("postgresql://braid:s3cret@db.example:5433/news",
          "user=braid dbname=news host=db.example port=5433");
}

static void test_uri_password_in_query(void **state) {
  redacts("postgresql://braid@db/news?password=s3cret&connect_timeout=5",
          "user=braid connect_timeout=5 dbname=news host=db");
}

static void test_keywords(void **state) {
  redacts("host=10.0.0.5 port=5432 dbname=braid user=braid password=s3cret sslmode=require",
          "user=braid dbname=braid host=10.0.0.5 port=5432 sslmode=require");
  redacts("host=db password='s3cret with spaces' sslpassword=s3cret", "host=db");
}

/* Options come out in libpq's own order, whatever order they were written in. */
static void test_values_quoted(void **state) {
  redacts("host='/run/post gres' application_name='a\\'b'",
          "host='/run/post gres' application_name='a\\'b'");
}

static void test_unparsable_is_not_echoed(void **state) {
  char out[128];
  /* An unterminated quote: libpq refuses it; the text may be a secret typed in the wrong place. */
  assert_int_equal(pgconn_conninfo_redact("host=db password='s3cret", out, sizeof out), -EINVAL);
  assert_null(strstr(out, "s3cret"));
  assert_string_equal(out, "(unparsable connection string)");
  assert_int_equal(pgconn_conninfo_redact("postgresql://braid:s3cret@[::1/db", out, sizeof out),
                   -EINVAL);
  assert_null(strstr(out, "s3cret"));
}

static void test_cut_to_size(void **state) {
  char out[16];
  assert_int_equal(pgconn_conninfo_redact("host=averyveryverylonghostname password=s3cret",
                                          out, sizeof out),
                   -E2BIG);
  assert_int_equal(strlen(out), sizeof out - 1);
  assert_string_equal(out, "host=averyve...");
  char one[1];
  assert_int_equal(pgconn_conninfo_redact("host=db", one, sizeof one), -E2BIG);
  assert_string_equal(one, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_uri_password_in_userinfo),
      cmocka_unit_test(test_uri_password_in_query),
      cmocka_unit_test(test_keywords),
      cmocka_unit_test(test_values_quoted),
      cmocka_unit_test(test_unparsable_is_not_echoed),
      cmocka_unit_test(test_cut_to_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
