/* test_tz.c — zone names, TZif reading, DST offsets and zone text resolution. */
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

#include "civil.h"
#include "tz.h"

static int64_t at(const char *iso) {
  int64_t t;
  if (civil_parse_iso8601(iso, &t, NULL) != 0)
    fail_msg("bad instant %s in the test", iso);
  return t;
}

static void test_names_that_could_escape_are_refused(void **state) {
  (void)state;
  assert_true(tz_name_is_safe("Europe/London"));
  assert_true(tz_name_is_safe("America/Argentina/Buenos_Aires"));
  assert_true(tz_name_is_safe("Etc/GMT+3"));
  assert_false(tz_name_is_safe("../../etc/passwd"));
  assert_false(tz_name_is_safe("Europe/../../etc/passwd"));
  assert_false(tz_name_is_safe("/etc/passwd"));
  assert_false(tz_name_is_safe("Europe//London"));
  assert_false(tz_name_is_safe("Europe/London/"));
  assert_false(tz_name_is_safe(".hidden"));
  assert_false(tz_name_is_safe("Europe/Lon don"));
  assert_false(tz_name_is_safe(""));
  struct tzset *s = tzset_new();
  const struct tz *z;
  assert_int_equal(tzset_get(s, "../../../../etc/passwd", &z), -EINVAL);
  assert_int_equal(tzset_get(s, "Mars/Olympus_Mons", &z), -ENOENT);
  assert_int_equal(tzset_get(s, "Mars/Olympus_Mons", &z), -ENOENT); /* remembered */
  /* A file in the zone directory that is not TZif is refused, and so is a directory. */
  if (access("/usr/share/zoneinfo/leapseconds", R_OK) == 0)
    assert_int_equal(tzset_get(s, "leapseconds", &z), -EINVAL);
  assert_int_equal(tzset_get(s, "Europe", &z), -EINVAL);
  tzset_free(s);
  s = tzset_new();
  /* A body naming ever new zones stops costing file look-ups at the cap. */
  char name[32];
  int r = 0;
  for (int i = 0; i < 40 && r != -E2BIG; i++) {
    snprintf(name, sizeof name, "Mars/Crater_%d", i);
    r = tzset_get(s, name, &z);
  }
  assert_int_equal(r, -E2BIG);
  tzset_free(s);
}

static void test_dst_offsets(void **state) {
  (void)state;
  struct tzset *s = tzset_new();
  const struct tz *london, *ny, *sydney, *kyiv;
  assert_int_equal(tzset_get(s, "Europe/London", &london), 0);
  assert_int_equal(tzset_get(s, "America/New_York", &ny), 0);
  assert_int_equal(tzset_get(s, "Australia/Sydney", &sydney), 0);
  assert_int_equal(tzset_get(s, "Europe/Kiev", &kyiv), 0);
  /* London: BST from 01:00 UTC on 27 March 2011 to 01:00 UTC on 30 October 2011. */
  assert_int_equal(tz_offset_at(london, at("2011-03-27T00:59:59Z")), 0);
  assert_int_equal(tz_offset_at(london, at("2011-03-27T01:00:00Z")), 3600);
  assert_int_equal(tz_offset_at(london, at("2011-10-30T00:59:59Z")), 3600);
  assert_int_equal(tz_offset_at(london, at("2011-10-30T01:00:00Z")), 0);
  /* New York: EDT until 06:00 UTC on 6 November 2011. */
  assert_int_equal(tz_offset_at(ny, at("2011-11-06T05:59:59Z")), -4 * 3600);
  assert_int_equal(tz_offset_at(ny, at("2011-11-06T06:00:00Z")), -5 * 3600);
  /* Beyond the file's transitions the POSIX rule in its footer applies. */
  assert_int_equal(tz_offset_at(ny, at("2150-07-01T12:00:00Z")), -4 * 3600);
  assert_int_equal(tz_offset_at(ny, at("2150-01-01T12:00:00Z")), -5 * 3600);
  /* Southern hemisphere: summer in January. */
  assert_int_equal(tz_offset_at(sydney, at("2020-01-10T00:00:00Z")), 11 * 3600);
  assert_int_equal(tz_offset_at(sydney, at("2020-07-10T00:00:00Z")), 10 * 3600);
  assert_int_equal(tz_offset_at(sydney, at("2160-01-10T00:00:00Z")), 11 * 3600);
  assert_int_equal(tz_offset_at(kyiv, at("2022-07-13T12:00:00Z")), 3 * 3600);
  /* Wall clock to instant, including the gap and the overlap. */
  assert_int_equal(tz_local_to_utc(london, at("2011-07-01T12:00:00Z")), at("2011-07-01T11:00:00Z"));
  assert_int_equal(tz_local_to_utc(london, at("2011-03-27T01:30:00Z")), at("2011-03-27T01:30:00Z"));
  assert_int_equal(tz_local_to_utc(ny, at("2011-11-06T01:30:00Z")), at("2011-11-06T05:30:00Z"));
  assert_int_equal(tz_local_to_utc(ny, at("2011-11-06T03:00:00Z")), at("2011-11-06T08:00:00Z"));
  tzset_free(s);
}

static void expect_fixed(struct tzset *s, const char *text, const struct tz *hint, int want) {
  struct zone_ref z;
  int r = tz_resolve(s, text, strlen(text), hint, at("2011-11-08T12:00:00Z"), &z);
  if (r != 0 || z.kind != ZONE_FIXED || z.offset != want)
    fail_msg("\"%s\": r=%d kind=%d offset=%d, want fixed %d", text, r, z.kind, z.offset, want);
}

static void expect_region(struct tzset *s, const char *text, int64_t when, int want) {
  struct zone_ref z;
  int r = tz_resolve(s, text, strlen(text), NULL, when, &z);
  if (r != 0 || z.kind != ZONE_REGION || zone_offset_at(&z, when) != want)
    fail_msg("\"%s\": r=%d kind=%d, want a region at offset %d", text, r, z.kind, want);
}

static void test_resolve_forms(void **state) {
  (void)state;
  struct tzset *s = tzset_new();
  expect_fixed(s, "GMT", NULL, 0);
  expect_fixed(s, "Z", NULL, 0);
  expect_fixed(s, "(BST)", NULL, 3600);
  expect_fixed(s, "+0100", NULL, 3600);
  expect_fixed(s, "+01:00", NULL, 3600);
  expect_fixed(s, "-0530", NULL, -19800);
  expect_fixed(s, "UTC+1", NULL, 3600);
  expect_fixed(s, "GMT+3", NULL, 10800);
  expect_fixed(s, "GMT +5:30", NULL, 19800);
  expect_fixed(s, "UTC-5", NULL, -18000);
  expect_fixed(s, "EDT", NULL, -14400);
  expect_fixed(s, "CEST", NULL, 7200);
  expect_fixed(s, "AEDT", NULL, 39600);
  expect_fixed(s, "IST", NULL, 19800);
  const struct tz *jerusalem;
  assert_int_equal(tzset_get(s, "Asia/Jerusalem", &jerusalem), 0);
  expect_fixed(s, "IST", jerusalem, 7200);
  expect_fixed(s, "IDT", jerusalem, 10800);
  expect_region(s, "ET", at("2011-07-01T12:00:00Z"), -14400);
  expect_region(s, "ET", at("2011-12-01T12:00:00Z"), -18000);
  expect_region(s, "PT", at("2011-12-01T12:00:00Z"), -28800);
  expect_region(s, "MSK", at("2011-11-08T12:00:00Z"), 14400);
  expect_region(s, "MSK", at("2020-11-08T12:00:00Z"), 10800);
  expect_region(s, "Kyiv time", at("2022-07-13T12:00:00Z"), 10800);
  expect_region(s, "Eastern", at("2011-07-01T12:00:00Z"), -14400);
  expect_region(s, "Central time", at("2011-12-01T12:00:00Z"), -21600);
  expect_region(s, "Europe/London", at("2011-07-01T12:00:00Z"), 3600);
  struct zone_ref z;
  assert_int_equal(tz_resolve(s, "Mars/Olympus", 12, NULL, 0, &z), -ENOENT);
  assert_int_equal(tz_resolve(s, "XYZT", 4, NULL, 0, &z), -EINVAL);
  assert_int_equal(z.kind, ZONE_NONE);
  assert_int_equal(tz_resolve(s, "+25:00", 6, NULL, 0, &z), -EINVAL);
  assert_int_equal(tz_resolve(s, "../etc/passwd", 13, NULL, 0, &z), -EINVAL);
  tzset_free(s);
}

/* Truncated and lying TZif files in a private zone directory fail cleanly. */
static void test_broken_tzif(void **state) {
  (void)state;
  char dir[] = "/tmp/braid-tz-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  static const unsigned char lying[44] = {'T', 'Z', 'i', 'f', '2', [20] = 0xff, 0xff, 0xff, 0xff,
                                          [32] = 0x7f, 0xff, 0xff, 0xff, [39] = 1};
  struct {
    const char *name;
    const void *data;
    size_t len;
  } files[] = {{"Empty", "", 0}, {"Short", "TZif2", 5}, {"Lying", lying, sizeof lying},
               {"Text", "not a zone file at all, just words and more words ....", 54}};
  struct tzset *s = tzset_new_at(dir);
  assert_non_null(s);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(files[i].data, 1, files[i].len, f);
    fclose(f);
    const struct tz *z;
    int r = tzset_get(s, files[i].name, &z);
    if (r != -EINVAL)
      fail_msg("%s: tzset_get = %d, want -EINVAL", files[i].name, r);
    unlink(path);
  }
  tzset_free(s);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_that_could_escape_are_refused),
      cmocka_unit_test(test_dst_offsets),
      cmocka_unit_test(test_resolve_forms),
      cmocka_unit_test(test_broken_tzif),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
