/* civil.c — UTC calendar arithmetic and ISO 8601 dates. See civil.h.
 * The day-count algorithms are Howard Hinnant's (public domain), exact for all years. */
#include "civil.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "bounds.h"

static bool civil_is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int civil_days_in_month(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12)
    return 0;
  return m == 2 && civil_is_leap(y) ? 29 : days[m - 1];
}

int64_t civil_days_from_ymd(int y, int m, int d) {
  int64_t yy = (int64_t)y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_ymd_from_days(int64_t z, int *ret_y, int *ret_m, int *ret_d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *ret_y = (int)(yoe + era * 400 + (m <= 2));
  *ret_m = m;
  *ret_d = d;
}

int civil_weekday(int64_t days) {
  int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
  return (int)(w < 0 ? w + 7 : w);
}

int civil_to_utc(int y, int mo, int d, int h, int mi, int s, int offset, int64_t *ret_utc) {
  if (y < BRAID_YEAR_MIN - 1 || y > BRAID_YEAR_MAX)
    return -ERANGE;
  if (mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month(y, mo))
    return -ERANGE;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
    return -ERANGE;
  if (offset < -18 * 3600 || offset > 18 * 3600)
    return -ERANGE;
  int64_t t = civil_days_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  /* 1969-12-31 is allowed above so that a zone east of UTC can still reach 1970. */
  if (t < 0)
    return -ERANGE;
  *ret_utc = t;
  return 0;
}

/* Writes v as exactly n decimal digits. */
static void put_digits(char *out, unsigned v, int n) {
  for (int i = n - 1; i >= 0; i--, v /= 10)
    out[i] = (char)('0' + v % 10);
}

void civil_format_utc(int64_t t, char out[CIVIL_UTC_LEN]) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  unsigned secs = (unsigned)(t - days * 86400);
  int y, m, d;
  civil_ymd_from_days(days, &y, &m, &d);
  memcpy(out, "0000-00-00T00:00:00Z", CIVIL_UTC_LEN);
  put_digits(out, (unsigned)(y < 0 ? 0 : y % 10000), 4);
  put_digits(out + 5, (unsigned)m, 2);
  put_digits(out + 8, (unsigned)d, 2);
  put_digits(out + 11, secs / 3600, 2);
  put_digits(out + 14, secs / 60 % 60, 2);
  put_digits(out + 17, secs % 60, 2);
}

/* Reads exactly n digits; -1 if they are not there. */
static int read_digits(const char **p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  return v;
}

int civil_parse_iso8601(const char *s, int64_t *ret_utc, bool *ret_had_zone) {
  return civil_parse_iso8601_zone(s, ret_utc, ret_had_zone, NULL);
}

int civil_parse_iso8601_zone(const char *s, int64_t *ret_utc, bool *ret_had_zone,
                             int *ret_offset) {
  const char *p = s;
  while (isspace((unsigned char)*p))
    p++;
  int y = read_digits(&p, 4);
  if (y < 0 || *p++ != '-')
    return -EINVAL;
  int mo = read_digits(&p, 2);
  if (mo < 0 || *p++ != '-')
    return -EINVAL;
  int d = read_digits(&p, 2);
  if (d < 0)
    return -EINVAL;
  int h = 0, mi = 0, sec = 0, offset = 0;
  bool had_zone = false;
  if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
    p++;
    h = read_digits(&p, 2);
    if (h < 0 || *p++ != ':')
      return -EINVAL;
    mi = read_digits(&p, 2);
    if (mi < 0)
      return -EINVAL;
    if (*p == ':') {
      p++;
      sec = read_digits(&p, 2);
      if (sec < 0)
        return -EINVAL;
      if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
          return -EINVAL;
        while (isdigit((unsigned char)*p))
          p++;
      }
    }
    while (*p == ' ')
      p++;
    if (*p == 'Z' || *p == 'z') {
      p++;
      had_zone = true;
    } else if (*p == '+' || *p == '-') {
      int sign = *p++ == '-' ? -1 : 1;
      int oh = read_digits(&p, 2);
      if (oh < 0)
        return -EINVAL;
      if (*p == ':')
        p++;
      int om = 0;
      if (isdigit((unsigned char)*p)) {
        om = read_digits(&p, 2);
        if (om < 0)
          return -EINVAL;
      }
      if (oh > 18 || om > 59)
        return -ERANGE;
      offset = sign * (oh * 3600 + om * 60);
      had_zone = true;
    }
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p)
    return -EINVAL;
  int r = civil_to_utc(y, mo, d, h, mi, sec, offset, ret_utc);
  if (r < 0)
    return r;
  if (ret_had_zone)
    *ret_had_zone = had_zone;
  if (ret_offset)
    *ret_offset = offset;
  return 0;
}
