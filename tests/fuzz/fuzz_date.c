/* fuzz_date.c — libFuzzer target: every reader of dates, times and zones feeds carry.
 *
 * The input (up to 512 bytes) goes to date_parse (as a C string, the way the parser calls it),
 * to the three stamp readers (stamp.h) and to tz_resolve with and without a feed zone.
 * Properties: no crash or UB; a date that is read is a real instant in the years braid accepts
 * (BRAID_YEAR_MIN..BRAID_YEAR_MAX, give or take the day a zone offset can move it),
 * and a refused one has a message; a stamp's offsets lie inside the text and its clock and
 * date are in range; a zone name tz_name_is_safe accepts can never leave the zone directory;
 * a resolved zone's offset is within +-26 hours; fetch_http_date (net: an HTTP-date, with its
 * own reader of the IMF-fixdate) gives curl_getdate's answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "date.h"
#include "fetch_internal.h"
#include "fuzz.h"
#include "stamp.h"
#include "tz.h"

static struct tzset *zones;
static const struct tz *london;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  zones = tzset_new();
  if (!zones || tzset_get(zones, "Europe/London", &london) < 0)
    abort();
  return 0;
}

/* Seconds since the epoch at 1 January of year y, 00:00 UTC (proleptic Gregorian). */
static int64_t year_start(int y) {
  int64_t days = 0;
  for (int k = 1970; k < y; k++)
    days += (k % 4 == 0 && (k % 100 != 0 || k % 400 == 0)) ? 366 : 365;
  return days * 86400;
}

static void check_date_fields(int year, int month, int day, const char *what) {
  FUZZ_CHECK(year >= BRAID_YEAR_MIN && year <= BRAID_YEAR_MAX, what);
  FUZZ_CHECK(month >= 1 && month <= 12, what);
  FUZZ_CHECK(day >= 1 && day <= 31, what);
}

static void check_stamp(const char *text, size_t len) {
  struct stamp st;
  if (stamp_parse(text, len, &st) == 0) {
    FUZZ_CHECK(st.start + st.len <= len && st.body <= len, "stamp offsets inside the text");
    FUZZ_CHECK(st.len > 0, "a stamp is not empty");
    FUZZ_CHECK(st.hour >= 0 && st.hour <= 23 && st.minute >= 0 && st.minute <= 59,
               "stamp clock in range");
    FUZZ_CHECK(st.zone_len == 0 || st.zone_off + st.zone_len <= len, "zone inside the text");
    if (st.month || st.day) {
      FUZZ_CHECK(st.month >= 1 && st.month <= 12 && st.day >= 1 && st.day <= 31,
                 "stamp date in range");
    }
    (void)stamp_style(&st);
    if (st.zone_len) {
      struct zone_ref z;
      if (tz_resolve(zones, text + st.zone_off, st.zone_len, london, 1320787200, &z) == 0 &&
          z.kind != ZONE_NONE) {
        int off = zone_offset_at(&z, 1320787200);
        FUZZ_CHECK(off > -26 * 3600 && off < 26 * 3600, "zone offset in range");
      }
    }
  }
  int y, m, d;
  if (stamp_parse_date_line(text, len, &y, &m, &d) == 0)
    check_date_fields(y, m, d, "date line in range");
  if (stamp_parse_day_heading(text, len, &y, &m, &d) == 0) {
    /* 0 = the heading names no year; the post's year applies. */
    FUZZ_CHECK(y == 0 || (y >= BRAID_YEAR_MIN && y <= BRAID_YEAR_MAX), "day heading year");
    FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31, "day heading date in range");
  }
}

static void check_zone_name(const char *s) {
  if (!tz_name_is_safe(s))
    return;
  FUZZ_CHECK(s[0] != '/' && !strstr(s, ".."), "a safe zone name stays in the zone directory");
  const struct tz *z;
  /* Loading may fail (no such zone, not TZif); it must not crash or escape. The set is capped
   * (BRAID_TZ_MAX_ZONES), so a long run cannot make it grow without bound. */
  if (tzset_get(zones, s, &z) == 0) {
    int off = tz_offset_at(z, 1320787200);
    FUZZ_CHECK(off > -26 * 3600 && off < 26 * 3600, "zone file offset in range");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 512)
    return 0;
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';

  int64_t utc;
  char err[160] = "";
  int rc = date_parse(s, &utc, err, sizeof err);
  if (rc == 0) {
    FUZZ_CHECK(utc >= year_start(BRAID_YEAR_MIN) - 86400 &&
                   utc < year_start(BRAID_YEAR_MAX + 1) + 86400,
               "a date read lies in BRAID_YEAR_MIN..BRAID_YEAR_MAX");
  } else {
    FUZZ_CHECK(rc == -EINVAL || rc == -ERANGE, "date_parse returns -EINVAL or -ERANGE");
    FUZZ_CHECK(err[0] != '\0', "a refused date has a message");
  }

  check_stamp(s, size);
  struct zone_ref z;
  if (tz_resolve(zones, s, size, NULL, 1320787200, &z) == 0 && z.kind != ZONE_NONE) {
    int off = zone_offset_at(&z, 1320787200);
    FUZZ_CHECK(off > -26 * 3600 && off < 26 * 3600, "zone offset in range");
  }
  check_zone_name(s);
  time_t curl_t = curl_getdate(s, NULL);
  FUZZ_CHECK(fetch_http_date(s) == (curl_t < 0 ? -1 : curl_t),
             "fetch_http_date agrees with curl_getdate");
  free(s);
  return 0;
}
