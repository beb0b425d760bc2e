/* test_date.c — the date forms feeds carry, and the impossible ones refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "civil.h"
#include "date.h"

static void ok(const char *in, const char *want) {
  int64_t t;
  char err[160];
  int r = date_parse(in, &t, err, sizeof err);
  if (r != 0)
    fail_msg("date_parse(\"%s\") = %d (%s), want %s", in, r, err, want);
  char out[CIVIL_UTC_LEN];
  civil_format_utc(t, out);
  if (strcmp(out, want) != 0)
    fail_msg("\"%s\" -> %s, want %s", in, out, want);
}

static void bad(const char *in, int want_r, const char *want_in_err) {
  int64_t t;
  char err[160];
  int r = date_parse(in, &t, err, sizeof err);
  if (r != want_r)
    fail_msg("date_parse(\"%s\") = %d, want %d", in, r, want_r);
  if (want_in_err && !strstr(err, want_in_err))
    fail_msg("date_parse(\"%s\") error \"%s\" does not name \"%s\"", in, err, want_in_err);
}

static void test_rfc822(void **state) {
  (void)state;
  ok("Tue, 08 Nov 2011 21:30:00 GMT", "2011-11-08T21:30:00Z");
  ok("Tue, 08 Nov 2011 21:30:00 +0100", "2011-11-08T20:30:00Z");
  ok("Tue, 08 Nov 2011 21:30:00 -05:00", "2011-11-09T02:30:00Z");
  ok("Tue, 8 Nov 2011 21:30 EST", "2011-11-09T02:30:00Z");   /* no seconds, named zone */
  ok("08 Nov 2011 21:30:00", "2011-11-08T21:30:00Z");         /* no weekday, no zone */
  ok("Mon, 08 Nov 2011 21:30:00 GMT", "2011-11-08T21:30:00Z"); /* wrong weekday ignored */
  ok("tuesday, 08 november 2011 21:30:00 pdt", "2011-11-09T04:30:00Z");
  ok("Tue,  08   Nov  11  21:30:00  UT", "2011-11-08T21:30:00Z"); /* spaces, 2-digit year */
  ok("Fri, 01 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00Z");
  ok("Tuesday, November 8, 2011 at 21:30", "2011-11-08T21:30:00Z");
  ok("Nov 8 2011 9:30 pm CST", "2011-11-09T03:30:00Z");
  ok("Tue Nov  8 21:30:00 2011", "2011-11-08T21:30:00Z");      /* asctime */
  ok("Sat, 07 Dec 2024 12:00:00 Z", "2024-12-07T12:00:00Z");
  ok("Tue, 08 Nov 2011 21:30:00 GMT+0100", "2011-11-08T20:30:00Z");
  ok("Tue, 08 Nov 2011 21:30:00 +01", "2011-11-08T20:30:00Z");
  ok("08-Nov-2011 21:30", "2011-11-08T21:30:00Z");
  ok("Sept 8 2011", "2011-09-08T00:00:00Z");
  /* forms from Universal Feed Parser's date tests */
  ok("Thu, 30 Apr 2015 08:57:00 MET", "2015-04-30T07:57:00Z");
  ok("Thu, 30 Apr 2015 08:57:00 MEST", "2015-04-30T06:57:00Z");
  ok("Wed, 19 Aug 2009 18:28:00 Etc/GMT", "2009-08-19T18:28:00Z");
  ok("Wed, 19 Feb 2012 22:40:00 GMT-01:01", "2012-02-19T23:41:00Z");
  ok("Mon, 13 Feb, 2012 06:28:00 UTC", "2012-02-13T06:28:00Z");
  ok("Thu, 01 Jan 2004", "2004-01-01T00:00:00Z");
  ok("Mon, 26 January 2004 16:31:00 ET", "2004-01-26T21:31:00Z");
  ok("Mon, 26 January 2004 16:31:00 PT", "2004-01-27T00:31:00Z");
  ok("Thu Aug 30 2012 17:26:16 +0200", "2012-08-30T15:26:16Z");
  ok("Sun Jul 15 01:16:00 +0000 2012", "2012-07-15T01:16:00Z");
  ok("2004-07-08 23:56:58 -00:20", "2004-07-09T00:16:58Z");
  ok("2003-12", "2003-12-01T00:00:00Z");
  ok("2003", "2003-01-01T00:00:00Z");
}

static void test_named_zones(void **state) {
  (void)state;
  const struct {
    const char *zone;
    const char *want;
  } z[] = {{"EST", "17:00"}, {"EDT", "16:00"}, {"CST", "18:00"}, {"CDT", "17:00"},
           {"MST", "19:00"}, {"MDT", "18:00"}, {"PST", "20:00"}, {"PDT", "19:00"},
           {"GMT", "12:00"}, {"UT", "12:00"},  {"UTC", "12:00"}, {"Z", "12:00"},
           {"BST", "11:00"}, {"CET", "11:00"}, {"CEST", "10:00"}, {"EET", "10:00"},
           {"EEST", "09:00"}, {"MSK", "09:00"}, {"IST", "06:30"}, {"JST", "03:00"},
           {"AEST", "02:00"}, {"AEDT", "01:00"}};
  for (size_t i = 0; i < sizeof z / sizeof z[0]; i++) {
    char in[64], want[32];
    snprintf(in, sizeof in, "Wed, 07 Dec 2011 12:00:00 %s", z[i].zone);
    snprintf(want, sizeof want, "2011-12-07T%s:00Z", z[i].want);
    ok(in, want);
  }
}

static void test_iso8601(void **state) {
  (void)state;
  ok("2011-11-08T21:30:00Z", "2011-11-08T21:30:00Z");
  ok("2003-12-13T08:29:29-04:00", "2003-12-13T12:29:29Z");
  ok("2011-11-08T21:30:00.123+0100", "2011-11-08T20:30:00Z");
  ok("2011-11-08", "2011-11-08T00:00:00Z");
  ok("2011-11-08 9:30 PM EST", "2011-11-09T02:30:00Z");
}

static void test_impossible(void **state) {
  (void)state;
  bad("Fri, 31 Feb 2012 10:00:00 GMT", -ERANGE, "day 31");
  bad("2012-02-31T10:00:00Z", -ERANGE, "day 31");
  bad("Tue, 08 Nov 2011 25:30:00 GMT", -ERANGE, "hour 25");
  bad("2011-11-08T25:00:00Z", -ERANGE, "hour 25");
  bad("Tue, 08 Nov 2011 21:61:00 GMT", -ERANGE, "minute 61");
  bad("1 Jan 99999 00:00:00 GMT", -ERANGE, "year 99999");
  bad("Tue, 08 Nov 1969 21:30:00 GMT", -ERANGE, "year 1969");
}

static void test_garbage(void **state) {
  (void)state;
  bad("", -EINVAL, NULL);
  bad("yesterday", -EINVAL, "yesterday");
  bad("Tue, 08 Nov 21:30:00 GMT", -EINVAL, "year");
  bad("12345678", -EINVAL, NULL);
  bad("Tue, 08 Nov 2011 21:30:00 XYZ", -EINVAL, "xyz");
  bad("now 2011", -EINVAL, NULL);
  bad("Sun, 16 Dec 2012 1:2:3:4 GMT", -EINVAL, NULL);
  bad("Sun, 16 zzz 2012 11:47:32 GMT", -EINVAL, "zzz");
  bad("Sun, Dec x 2012 11:47:32 GMT", -EINVAL, NULL);
  bad("Sun, 16 Dec 2012 11:47:32 +zz:00", -EINVAL, NULL);
  bad("Sun, 99 Jun 2009 12:00:00 GMT", -EINVAL, NULL);
  bad("2013-01-28T11:30:00-06:00Textra", -EINVAL, NULL);
  bad("2013-01-27-01", -EINVAL, NULL);
  bad("2003-12-31T10:14:61Z", -ERANGE, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc822),     cmocka_unit_test(test_named_zones),
      cmocka_unit_test(test_iso8601),    cmocka_unit_test(test_impossible),
      cmocka_unit_test(test_garbage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
