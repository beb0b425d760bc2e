/* date.c — the dates feeds carry, read as UTC seconds (see date.h).
 *
 * RFC 3339 / ISO 8601 goes to civil_parse_iso8601. Everything else is read as a sequence of
 * words and numbers in any order (weekday, day, month name, year, time, am/pm, zone), which
 * covers RFC 822 and the forms people write by hand. curl_getdate is not used: it accepts
 * garbage, and reads impossible dates as other days.
 */
#include "date.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "civil.h"

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};
static const char *const day_names[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};

/* Named zones feeds use, in minutes east of UTC. IST is India (by far the most common
 * meaning in feeds); BST is British Summer Time. */
static const struct {
  const char *name;
  int minutes;
} zones[] = {
    {"ut", 0},        {"utc", 0},        {"gmt", 0},       {"z", 0},         {"wet", 0},
    {"west", 60},     {"bst", 60},       {"cet", 60},      {"met", 60},      {"mez", 60},
    {"cest", 120},    {"mest", 120},     {"mesz", 120},    {"eet", 120},     {"eest", 180},
    {"msk", 180},     {"msd", 240},      {"ist", 330},     {"pkt", 300},     {"ict", 420},
    {"wib", 420},     {"hkt", 480},      {"sgt", 480},     {"awst", 480},    {"pht", 480},
    {"jst", 540},     {"kst", 540},      {"acst", 570},    {"acdt", 630},    {"aest", 600},
    {"aedt", 660},    {"nzst", 720},     {"nzdt", 780},    {"sast", 120},    {"cat", 120},
    {"eat", 180},     {"wat", 60},       {"est", -300},    {"edt", -240},    {"cst", -360},
    {"cdt", -300},    {"mst", -420},     {"mdt", -360},    {"pst", -480},    {"pdt", -420},
    {"akst", -540},   {"akdt", -480},    {"hst", -600},    {"ast", -240},    {"adt", -180},
    {"nst", -210},    {"ndt", -150},     {"brt", -180},    {"art", -180},
    /* US zones without the S/D, as Disney's feeds wrote them: read as standard time */
    {"at", -240},     {"et", -300},      {"ct", -360},     {"mt", -420},     {"pt", -480},
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t n, const char *fmt,
                                                          ...) {
  if (!err || !n)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

/* Matches word (lower-cased) against names: a full name or a prefix of at least 3 letters
 * ("Tues", "Sept"). Index or -1. */
static int match_name(const char *w, size_t n, const char *const *names, int count) {
  if (n < 3)
    return -1;
  for (int i = 0; i < count; i++)
    if (strlen(names[i]) >= n && strncmp(names[i], w, n) == 0)
      return i;
  return -1;
}

struct fields {
  int year, month, day, hour, minute, second;
  int zone_minutes;
  bool have_year, have_month, have_day, have_time, have_zone, pm, am;
  int year_digits;
};

/* Reads "hh:mm[:ss[.fff]]" at *p. */
static bool read_time(const char **pp, struct fields *f) {
  const char *p = *pp;
  int v[3] = {0, 0, 0}, k = 0;
  while (k < 3) {
    if (!isdigit((unsigned char)*p))
      return false;
    int x = 0, digits = 0;
    while (isdigit((unsigned char)*p) && digits < 3) {
      x = x * 10 + (*p++ - '0');
      digits++;
    }
    if (digits > 2)
      return false;
    v[k++] = x;
    if (*p != ':')
      break;
    p++;
  }
  if (k < 2)
    return false;
  if (*p == '.' || *p == ',') { /* fractions of a second */
    p++;
    while (isdigit((unsigned char)*p))
      p++;
  }
  f->hour = v[0];
  f->minute = v[1];
  f->second = v[2];
  f->have_time = true;
  *pp = p;
  return true;
}

/* "+hhmm", "+hh:mm", "+hh", "-0500"; the sign at *pp. */
static bool read_offset(const char **pp, struct fields *f) {
  const char *p = *pp;
  int sign = *p == '-' ? -1 : 1;
  p++;
  int digits[4], n = 0;
  while (n < 4 && (isdigit((unsigned char)*p) || (*p == ':' && n == 2))) {
    if (*p != ':')
      digits[n++] = *p - '0';
    p++;
  }
  if (isdigit((unsigned char)*p))
    return false;
  int h, m = 0;
  if (n == 4) {
    h = digits[0] * 10 + digits[1];
    m = digits[2] * 10 + digits[3];
  } else if (n == 2) {
    h = digits[0] * 10 + digits[1];
  } else if (n == 1) {
    h = digits[0];
  } else
    return false;
  f->zone_minutes = sign * (h * 60 + m);
  f->have_zone = true;
  *pp = p;
  return h <= 18 && m <= 59;
}

/* A word at *pp: a month, weekday, am/pm, filler or zone name (with an offset after it). */
static int read_word(const char **pp, struct fields *f, char *err, size_t errn) {
  const char *p = *pp;
  char w[16];
  size_t n = 0;
  while (isalpha((unsigned char)*p)) {
    if (n < sizeof w - 1)
      w[n++] = (char)tolower((unsigned char)*p);
    p++;
  }
  w[n] = '\0';
  *pp = p;
  int i;
  if ((i = match_name(w, n, month_names, 12)) >= 0 && !f->have_month) {
    f->month = i + 1;
    f->have_month = true;
    return 0;
  }
  if (match_name(w, n, day_names, 7) >= 0)
    return 0; /* the weekday is ignored: feeds get it wrong often enough */
  if (strcmp(w, "am") == 0 || strcmp(w, "pm") == 0) {
    if (!f->have_time)
      return -EINVAL;
    *(w[0] == 'p' ? &f->pm : &f->am) = true;
    return 0;
  }
  if (strcmp(w, "at") == 0 || strcmp(w, "on") == 0 || strcmp(w, "th") == 0 ||
      strcmp(w, "st") == 0 || strcmp(w, "nd") == 0 || strcmp(w, "rd") == 0 ||
      strcmp(w, "t") == 0 || strcmp(w, "etc") == 0)
    return 0; /* filler: "at 21:30", "8th", the ISO 'T', "Etc/GMT" */
  bool found = false;
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
    if (strcmp(zones[z].name, w) == 0) {
      f->zone_minutes = zones[z].minutes;
      f->have_zone = found = true;
      break;
    }
  if (!found) {
    set_err(err, errn, "unknown word \"%s\" in date", w);
    return -EINVAL;
  }
  /* "GMT+0100": an offset right after the zone name adjusts it */
  if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
    int base = f->zone_minutes;
    if (!read_offset(pp, f))
      return -EINVAL;
    f->zone_minutes += base;
  }
  return 0;
}

/* Digits at *pp: a time (when a ':' follows), else a day or a year. */
static int read_number(const char **pp, struct fields *f) {
  const char *p = *pp, *q = p;
  int digits = 0;
  while (isdigit((unsigned char)*q))
    q++, digits++;
  if (*q == ':')
    return f->have_time || !read_time(pp, f) ? -EINVAL : 0;
  if (digits > 6)
    return -EINVAL;
  int v = 0;
  for (const char *d = p; d < q; d++)
    v = v * 10 + (*d - '0');
  *pp = q;
  if (digits >= 3 || (f->have_day && !f->have_year) || v > 31) {
    if (f->have_year)
      return -EINVAL;
    f->year = v;
    f->year_digits = digits;
    f->have_year = true;
  } else if (!f->have_day) {
    f->day = v;
    f->have_day = true;
  } else
    return -EINVAL;
  return 0;
}

static int parse_words(const char *s, struct fields *f, char *err, size_t errn) {
  const char *p = s;
  while (*p) {
    unsigned char c = (unsigned char)*p;
    int r;
    if (isspace(c) || c == ',' || c == '.' || c == '/' || (c == '-' && !f->have_time)) {
      p++;
      continue;
    }
    if (isalpha(c))
      r = read_word(&p, f, err, errn);
    else if ((c == '+' || c == '-') && isdigit((unsigned char)p[1]))
      r = read_offset(&p, f) ? 0 : -EINVAL;
    else if (isdigit(c))
      r = read_number(&p, f);
    else
      r = -EINVAL;
    if (r < 0)
      return r;
  }
  return 0;
}

/* -ERANGE with a message naming the first impossible field, else 0. */
static int check_fields(const struct fields *f, char *err, size_t n) {
  if (f->year < BRAID_YEAR_MIN || f->year > BRAID_YEAR_MAX) {
    set_err(err, n, "year %d out of range (%d..%d)", f->year, BRAID_YEAR_MIN,
            BRAID_YEAR_MAX);
    return -ERANGE;
  }
  if (f->month < 1 || f->month > 12) {
    set_err(err, n, "month %d out of range", f->month);
    return -ERANGE;
  }
  if (f->day < 1 || f->day > civil_days_in_month(f->year, f->month)) {
    set_err(err, n, "day %d out of range for %s %d", f->day, month_names[f->month - 1],
            f->year);
    return -ERANGE;
  }
  if (f->hour > 23) {
    set_err(err, n, "hour %d out of range", f->hour);
    return -ERANGE;
  }
  if (f->minute > 59) {
    set_err(err, n, "minute %d out of range", f->minute);
    return -ERANGE;
  }
  if (f->second > 60) {
    set_err(err, n, "second %d out of range", f->second);
    return -ERANGE;
  }
  return 0;
}

/* An RFC 3339 date civil refused as out of range: name the field in err. */
static int iso_range_error(const char *s, char *err, size_t err_size) {
  struct fields f;
  memset(&f, 0, sizeof f);
  /* civil says only "out of range"; find the field to name it. */
  sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d", &f.year, &f.month, &f.day, &f.hour, &f.minute,
         &f.second);
  if (check_fields(&f, err, err_size) == 0)
    set_err(err, err_size, "impossible date \"%s\"", s);
  return -ERANGE;
}

/* W3C-DTF's reduced forms: "2003-12" and "2003" mean the first day of that month or year.
 * 1 with *ret_utc (or err) set when s is one, 0 when it is not, else the error. */
static int reduced_form(const char *s, size_t len, int64_t *ret_utc, char *err,
                        size_t err_size) {
  int y, mo, used = 0;
  bool year_month = sscanf(s, "%4d-%2d%n", &y, &mo, &used) == 2 && used == 7 &&
                    (len == 7 || isspace((unsigned char)s[7]));
  bool year_only = !year_month && sscanf(s, "%4d%n", &y, &used) == 1 && used == 4 &&
                   (len == 4 || isspace((unsigned char)s[4]));
  if (!year_month && !year_only)
    return 0;
  if (year_only)
    mo = 1;
  struct fields f;
  memset(&f, 0, sizeof f);
  f.year = y;
  f.month = mo;
  f.day = 1;
  int r = check_fields(&f, err, err_size);
  if (r == 0)
    r = civil_to_utc(y, mo, 1, 0, 0, 0, 0, ret_utc);
  return r < 0 ? r : 1;
}

/* Fields read in words (a numeric date possibly before them) to UTC seconds. */
static int fields_to_utc(const char *s, struct fields *f, int64_t *ret_utc, char *err,
                         size_t err_size) {
  if (!f->have_year || !f->have_month || !f->have_day) {
    set_err(err, err_size, "not a date (no %s): \"%s\"",
            !f->have_year ? "year" : !f->have_month ? "month" : "day", s);
    return -EINVAL;
  }
  if (f->year_digits <= 2) /* RFC 2822 4.3: 00-49 is 20xx, 50-99 is 19xx */
    f->year += f->year < 50 ? 2000 : 1900;
  if (f->pm || f->am) {
    if (f->hour < 1 || f->hour > 12) {
      set_err(err, err_size, "hour %d out of range for am/pm", f->hour);
      return -ERANGE;
    }
    f->hour = f->hour % 12 + (f->pm ? 12 : 0);
  }
  int r = check_fields(f, err, err_size);
  if (r < 0)
    return r;
  r = civil_to_utc(f->year, f->month, f->day, f->hour, f->minute, f->second,
                   f->zone_minutes * 60, ret_utc);
  if (r < 0)
    set_err(err, err_size, "impossible date \"%s\"", s);
  return r;
}

int date_parse(const char *s, int64_t *ret_utc, char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!s)
    return -EINVAL;
  while (isspace((unsigned char)*s))
    s++;
  size_t len = strnlen(s, BRAID_DATE_MAX_BYTES + 1);
  if (len == 0 || len > BRAID_DATE_MAX_BYTES) {
    set_err(err, err_size, "date is empty or longer than BRAID_DATE_MAX_BYTES (%d)",
            BRAID_DATE_MAX_BYTES);
    return -EINVAL;
  }
  /* RFC 3339 / ISO 8601: four digits and a dash. */
  if (len >= 10 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) && s[4] == '-') {
    int r = civil_parse_iso8601(s, ret_utc, NULL);
    if (r == 0)
      return 0;
    if (r == -ERANGE)
      return iso_range_error(s, err, err_size);
    /* else fall through: "2011-11-08 9:30 PM EST" and friends */
  }
  int r = reduced_form(s, len, ret_utc, err, err_size);
  if (r != 0)
    return r < 0 ? r : 0;
  struct fields f;
  memset(&f, 0, sizeof f);
  const char *rest = s;
  int y, mo, d, used = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used >= 8) {
    /* a numeric date, then a time the ISO reader refused ("2011-11-08 9:30 PM EST") */
    f.year = y;
    f.month = mo;
    f.day = d;
    f.year_digits = 4;
    f.have_year = f.have_month = f.have_day = true;
    rest = s + used;
  }
  r = parse_words(rest, &f, err, err_size);
  if (r < 0) {
    if (err && err_size && !err[0])
      set_err(err, err_size, "not a date: \"%s\"", s);
    return r;
  }
  return fields_to_utc(s, &f, ret_utc, err, err_size);
}
