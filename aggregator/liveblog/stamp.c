/* stamp.c — the grammar of live-blog time stamps. See stamp.h. */
#include "stamp.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "tz.h"

/* A cursor over the block's text; every helper returns the new position or 0 for no match
 * (no grammar element can match at offset 0 of the text and end there). */
struct cur {
  const char *s;
  size_t n;
};

static const char *const MONTHS[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const MONTHS_LONG[] = {"january", "february", "march",     "april",
                                          "may",     "june",     "july",      "august",
                                          "september", "october", "november", "december"};
static const char *const WEEKDAYS[] = {"monday", "tuesday", "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};

static bool is_alpha(const struct cur *c, size_t i) {
  return i < c->n && isalpha((unsigned char)c->s[i]);
}
static bool is_digit(const struct cur *c, size_t i) {
  return i < c->n && isdigit((unsigned char)c->s[i]);
}

static size_t skip_space(const struct cur *c, size_t i) {
  while (i < c->n && c->s[i] == ' ')
    i++;
  return i;
}

/* The word w (case-insensitive) at i, not followed by a letter. */
static size_t word(const struct cur *c, size_t i, const char *w) {
  size_t k = strlen(w);
  if (i + k > c->n || strncasecmp(c->s + i, w, k) != 0 || is_alpha(c, i + k))
    return 0;
  return i + k;
}

/* A dash, en dash or em dash at i. */
static size_t dash(const struct cur *c, size_t i) {
  if (i < c->n && c->s[i] == '-')
    return i + 1;
  if (i + 3 <= c->n && (unsigned char)c->s[i] == 0xE2 && (unsigned char)c->s[i + 1] == 0x80 &&
      ((unsigned char)c->s[i + 2] == 0x93 || (unsigned char)c->s[i + 2] == 0x94))
    return i + 3;
  return 0;
}

static size_t digits(const struct cur *c, size_t i, int max_digits, int *ret_value,
                     int *ret_count) {
  int v = 0, k = 0;
  while (is_digit(c, i) && k < max_digits) {
    v = v * 10 + (c->s[i] - '0');
    i++, k++;
  }
  if (k == 0 || is_digit(c, i))
    return 0;
  *ret_value = v;
  *ret_count = k;
  return i;
}

static size_t month_name(const struct cur *c, size_t i, int *ret_month) {
  for (int m = 0; m < 12; m++) {
    size_t e = word(c, i, MONTHS_LONG[m]);
    if (!e && m == 8)
      e = word(c, i, "sept");
    if (!e)
      e = word(c, i, MONTHS[m]);
    if (e) {
      if (e < c->n && c->s[e] == '.')
        e++;
      *ret_month = m + 1;
      return e;
    }
  }
  return 0;
}

static size_t weekday(const struct cur *c, size_t i) {
  for (int d = 0; d < 7; d++) {
    size_t e = word(c, i, WEEKDAYS[d]);
    if (!e) {
      char ab[4] = {WEEKDAYS[d][0], WEEKDAYS[d][1], WEEKDAYS[d][2], 0};
      e = word(c, i, ab);
    }
    if (e) {
      if (e < c->n && (c->s[e] == '.' || c->s[e] == ','))
        e++;
      if (e < c->n && c->s[e] == ',')
        e++;
      return e;
    }
  }
  return 0;
}

static size_t day_number(const struct cur *c, size_t i, int *ret_day) {
  int v, k;
  size_t e = 0;
  for (size_t j = i; j < c->n && j < i + 2 && is_digit(c, j); j++)
    e = j + 1;
  if (!e)
    return 0;
  v = 0;
  for (size_t j = i; j < e; j++)
    v = v * 10 + (c->s[j] - '0');
  k = (int)(e - i);
  (void)k;
  if (v < 1 || v > 31)
    return 0;
  if (e + 2 <= c->n && (strncasecmp(c->s + e, "st", 2) == 0 || strncasecmp(c->s + e, "nd", 2) == 0 ||
                        strncasecmp(c->s + e, "rd", 2) == 0 || strncasecmp(c->s + e, "th", 2) == 0) &&
      !is_alpha(c, e + 2))
    e += 2;
  if (is_digit(c, e) || is_alpha(c, e))
    return 0;
  *ret_day = v;
  return e;
}

static size_t year_number(const struct cur *c, size_t i, int *ret_year) {
  int v, k;
  size_t e = digits(c, i, 4, &v, &k);
  if (!e || k != 4 || v < BRAID_YEAR_MIN || v > BRAID_YEAR_MAX)
    return 0;
  *ret_year = v;
  return e;
}

/* [weekday] (D Month | Month D) [[,] YYYY], or YYYY-MM-DD. */
static size_t date(const struct cur *c, size_t i, int *y, int *m, int *d) {
  *y = 0;
  if (is_digit(c, i) && i + 10 <= c->n && c->s[i + 4] == '-' && c->s[i + 7] == '-') {
    int yy, mm, dd, k;
    size_t e = year_number(c, i, &yy);
    if (e && digits(c, e + 1, 2, &mm, &k) && k == 2 && digits(c, e + 4, 2, &dd, &k) && k == 2 &&
        mm >= 1 && mm <= 12 && dd >= 1 && dd <= civil_days_in_month(yy, mm)) {
      *y = yy, *m = mm, *d = dd;
      return e + 6;
    }
    return 0;
  }
  size_t e = weekday(c, i);
  if (e)
    i = skip_space(c, e);
  size_t after;
  if ((e = day_number(c, i, d)) && (after = month_name(c, skip_space(c, e), m))) {
    e = after;
  } else if ((e = month_name(c, i, m)) && (after = day_number(c, skip_space(c, e), d))) {
    e = after;
  } else {
    return 0;
  }
  /* An optional year: "8 Nov 2011", "Nov. 8, 2011". The caller backtracks if it was a time. */
  size_t j = e;
  if (j < c->n && c->s[j] == ',')
    j++;
  j = skip_space(c, j);
  int yy;
  size_t ye = year_number(c, j, &yy);
  if (ye) {
    *y = yy;
    e = ye;
  }
  return e;
}

/* am/pm in its spellings: "am", "pm", "a.m.", "p.m.", "AM", "P.M". */
static size_t meridiem(const struct cur *c, size_t i, bool *ret_pm) {
  i = skip_space(c, i);
  if (i >= c->n)
    return 0;
  char a = (char)tolower((unsigned char)c->s[i]);
  if (a != 'a' && a != 'p')
    return 0;
  size_t j = i + 1;
  if (j < c->n && c->s[j] == '.')
    j++;
  if (j >= c->n || tolower((unsigned char)c->s[j]) != 'm')
    return 0;
  j++;
  if (j < c->n && c->s[j] == '.')
    j++;
  if (is_alpha(c, j))
    return 0;
  *ret_pm = a == 'p';
  return j;
}

/* The clock: 2120 | 21:20[:SS] | 21.20 | 14h20 | 9pm, with am/pm. */
static size_t clock(const struct cur *c, size_t i, struct stamp *st) {
  int v, k;
  size_t e;
  if ((e = word(c, i, "noon")) || (e = word(c, i, "midnight"))) {
    /* AP style writes these for 12 p.m. and 12 a.m.; as words they need a zone or a
     * separator to be a stamp ("Midnight deadline passes" is prose). */
    st->hour = c->s[i] == 'n' || c->s[i] == 'N' ? 12 : 0;
    st->minute = 0;
    st->form = STAMP_HOUR;
    st->meridiem = true;
    st->word_clock = true;
    return e;
  }
  e = digits(c, i, 4, &v, &k);
  if (!e)
    return 0;
  int h, m = 0;
  if (k == 4) {
    h = v / 100, m = v % 100;
    st->form = STAMP_COMPACT;
  } else if (k <= 2 && e + 2 < c->n + 0 && (c->s[e] == ':' || c->s[e] == '.' || c->s[e] == 'h') &&
             digits(c, e + 1, 2, &m, &k) && k == 2) {
    h = v;
    st->form = c->s[e] == ':' ? STAMP_COLON : STAMP_DOT;
    e += 3;
    int sec;
    if (st->form == STAMP_COLON && e < c->n && c->s[e] == ':' && digits(c, e + 1, 2, &sec, &k) &&
        k == 2 && sec < 60)
      e += 3;
  } else if (k <= 2) {
    h = v;
    st->form = STAMP_HOUR;
  } else {
    return 0;
  }
  if (m > 59)
    return 0;
  bool pm;
  size_t me = st->form == STAMP_COMPACT ? 0 : meridiem(c, e, &pm);
  if (me) {
    if (h < 1 || h > 12)
      return 0;
    h = h % 12 + (pm ? 12 : 0);
    st->meridiem = true;
    e = me;
  } else if (st->form == STAMP_HOUR || h > 23) {
    return 0;
  } else {
    /* "1430hrs", "14:30 hrs", "14.30 Uhr": the clock with its unit */
    size_t x = skip_space(c, e), w;
    if ((w = word(c, x, "hrs")) || (w = word(c, x, "hours")) || (w = word(c, x, "hr")) ||
        (w = word(c, x, "uhr")))
      e = w;
  }
  st->hour = h, st->minute = m;
  return e;
}

/* A zone right after the clock: "GMT", "(GMT)", "UTC+1", "GMT +03:00", "+0100", "Kyiv time",
 * "Europe/London". Sets zone_off/zone_len. */
static size_t zone(const struct cur *c, size_t i, struct stamp *st) {
  size_t j = skip_space(c, i);
  bool paren = j < c->n && c->s[j] == '(';
  if (paren)
    j++;
  size_t z0 = j, e = 0;
  if (j < c->n && (c->s[j] == '+' || c->s[j] == '-') && is_digit(c, j + 1)) {
    int v, k;
    size_t d = digits(c, j + 1, 4, &v, &k);
    if (d && (k == 4 || (k <= 2 && d < c->n && c->s[d] == ':' && digits(c, d + 1, 2, &v, &k) && k == 2)))
      e = k == 2 && c->s[d] == ':' ? d + 3 : d;
  } else if (is_alpha(c, j)) {
    size_t w = j;
    while (is_alpha(c, w))
      w++;
    if (w < c->n && c->s[w] == '/' && isupper((unsigned char)c->s[j])) {
      size_t x = w;
      while (x < c->n && (isalnum((unsigned char)c->s[x]) || c->s[x] == '/' || c->s[x] == '_'))
        x++;
      e = x;
    } else if (tz_is_abbrev(c->s + j, w - j)) {
      e = w;
      if ((word(c, j, "UTC") || word(c, j, "GMT")) && w < c->n) {
        size_t x = skip_space(c, w);
        int v, k;
        size_t d;
        if (x < c->n && (c->s[x] == '+' || c->s[x] == '-') && (d = digits(c, x + 1, 2, &v, &k))) {
          if (d + 2 < c->n && c->s[d] == ':' && digits(c, d + 1, 2, &v, &k) && k == 2)
            d += 3;
          e = d;
        }
      }
    } else {
      /* "<place> time", one or two words. */
      size_t w2 = w;
      if (w2 < c->n && c->s[w2] == ' ' && is_alpha(c, w2 + 1) && !word(c, w2 + 1, "time")) {
        w2++;
        while (is_alpha(c, w2))
          w2++;
      }
      size_t t = word(c, skip_space(c, w2), "time");
      if (t && tz_is_place(c->s + j, w2 - j))
        e = t;
      else if (isupper((unsigned char)c->s[j]) &&
               (word(c, j, "eastern") || word(c, j, "pacific") || word(c, j, "central") ||
                word(c, j, "mountain")))
        e = w; /* "2:52 p.m. Eastern" */
    }
  }
  if (!e)
    return 0;
  if (paren) {
    if (e >= c->n || c->s[e] != ')')
      return 0;
  }
  st->zone_off = z0;
  st->zone_len = e - z0;
  if (word(c, z0, "local"))
    st->zone_len = 0; /* "local time": the feed's zone */
  return paren ? e + 1 : e;
}

/* Words that may come before a stamp; *ret_weak for edit notes. */
static size_t prefix(const struct cur *c, size_t i, bool *ret_weak) {
  size_t e;
  for (int rounds = 0; rounds < 3; rounds++) {
    i = skip_space(c, i);
    while (i < c->n && (c->s[i] == '[' || c->s[i] == '(' || c->s[i] == '*'))
      i = skip_space(c, i + 1);
    /* list bullets: • ■ ▶ ► */
    while (i + 3 <= c->n && (unsigned char)c->s[i] == 0xE2 &&
           (((unsigned char)c->s[i + 1] == 0x80 && (unsigned char)c->s[i + 2] == 0xA2) ||
            ((unsigned char)c->s[i + 1] == 0x96 && ((unsigned char)c->s[i + 2] == 0xA0 ||
                                                    (unsigned char)c->s[i + 2] == 0xB6 ||
                                                    (unsigned char)c->s[i + 2] == 0xBA))))
      i = skip_space(c, i + 3);
    if ((e = word(c, i, "last updated")) || (e = word(c, i, "updated at")) ||
        (e = word(c, i, "update at"))) {
      *ret_weak = strncasecmp(c->s + i, "update at", 9) != 0;
    } else if (!(e = word(c, i, "posted at")) && !(e = word(c, i, "published at")) &&
               !(e = word(c, i, "updated")) && !(e = word(c, i, "update")) &&
               !(e = word(c, i, "posted")) && !(e = word(c, i, "breaking")) &&
               !(e = word(c, i, "today"))) {
      /* "5 minutes ago" / "2 hours ago" as relative times print before the clock */
      int v, k;
      size_t d = digits(c, i, 3, &v, &k);
      size_t u = d ? skip_space(c, d) : 0;
      size_t w = u;
      if (u && ((w = word(c, u, "minutes")) || (w = word(c, u, "minute")) || (w = word(c, u, "mins")) ||
                (w = word(c, u, "min")) || (w = word(c, u, "hours")) || (w = word(c, u, "hour")) ||
                (w = word(c, u, "hrs")) || (w = word(c, u, "days")) || (w = word(c, u, "day")) ||
                (w = word(c, u, "h")) || (w = word(c, u, "m")) || (w = word(c, u, "d"))) &&
          (e = word(c, skip_space(c, w), "ago"))) {
        i = e;
        continue;
      }
      return i;
    }
    e = skip_space(c, e);
    if (e < c->n && (c->s[e] == ':' || c->s[e] == ','))
      e++;
    else if (dash(c, e))
      e = dash(c, e);
    i = e;
  }
  return skip_space(c, i);
}

int stamp_parse(const char *text, size_t len, struct stamp *ret) {
  struct cur c = {text, len};
  struct stamp st;
  memset(&st, 0, sizeof st);
  if (len == 0)
    return -EINVAL;
  size_t i = prefix(&c, 0, &st.weak);
  st.start = i;
  size_t e = 0;
  int y, m, d;
  size_t de = date(&c, i, &y, &m, &d);
  if (de) {
    size_t j = skip_space(&c, de);
    if (j < c.n && c.s[j] == ',')
      j = skip_space(&c, j + 1);
    if (word(&c, j, "at"))
      j = skip_space(&c, j + 2);
    else if (dash(&c, j))
      j = skip_space(&c, dash(&c, j));
    if (j < c.n && c.s[j] == 'T' && y)
      j++;
    e = clock(&c, j, &st);
    if (!e && y) {
      /* "Nov 8, 2120 GMT": the "year" was the clock, which a zone must then confirm
       * ("Tuesday, November 8, 2011" alone is a date, not 20:11). */
      size_t k = de;
      while (k > i && is_digit(&c, k - 1))
        k--;
      e = clock(&c, k, &st);
      struct stamp probe = st;
      if (e && zone(&c, e, &probe))
        y = 0;
      else
        e = 0;
    }
    if (!e)
      return -EINVAL;
    st.year = y, st.month = m, st.day = d;
  } else {
    e = clock(&c, i, &st);
    if (!e)
      return -EINVAL;
  }
  size_t ze = zone(&c, e, &st);
  if (ze)
    e = ze;
  else
    st.zone_off = st.zone_len = 0;
  if (!st.month) {
    /* "14:52 GMT, 8 Nov" / "14:52 on Tuesday 8 November 2011" */
    size_t j = e;
    if (j < c.n && c.s[j] == ',')
      j++;
    j = skip_space(&c, j);
    if (word(&c, j, "on"))
      j = skip_space(&c, j + 2);
    if (j > e && (de = date(&c, j, &y, &m, &d))) {
      st.year = y, st.month = m, st.day = d;
      e = de;
    }
  }
  if (st.month && st.year && st.day > civil_days_in_month(st.year, st.month))
    return -EINVAL;
  st.len = e - st.start;
  if (st.len > BRAID_SPLIT_MAX_STAMP_BYTES)
    return -EINVAL;
  /* What follows decides whether a bare number was a stamp at all. */
  size_t j = skip_space(&c, e);
  while (j < c.n && (c.s[j] == ']' || c.s[j] == ')'))
    j = skip_space(&c, j + 1);
  size_t after = j;
  bool end = j >= c.n, sep = false, comma = false;
  if (!end && c.s[j] == ':' && !is_digit(&c, j + 1)) {
    sep = true;
    j++;
  } else if (!end && c.s[j] == '|') {
    sep = true;
    j++;
  } else if (!end && dash(&c, j) && !is_digit(&c, dash(&c, j))) {
    sep = true;
    j = dash(&c, j);
  } else if (!end && c.s[j] == ',') {
    comma = true;
    j++;
  }
  j = skip_space(&c, j);
  bool strong = st.zone_len > 0 || st.meridiem || st.month || st.zone_off > 0;
  if (st.word_clock && !st.zone_len && !sep && !end)
    return -EINVAL;
  bool sentence = !end && j == after &&
                  (isupper((unsigned char)c.s[j]) || c.s[j] == '"' || (unsigned char)c.s[j] >= 0x80);
  switch (st.form) {
  case STAMP_COMPACT:
    /* "2011 was a year" is not 20:11; "2011:" or "2120 GMT" is. */
    if (!strong && !sep && !end)
      return -EINVAL;
    break;
  case STAMP_COLON:
  case STAMP_DOT:
  case STAMP_HOUR:
    if (!strong && !sep && !end && !comma && !sentence)
      return -EINVAL;
    if (!strong && comma && st.form != STAMP_COLON)
      return -EINVAL;
    break;
  }
  st.body = j;
  *ret = st;
  return 0;
}

int stamp_parse_date_line(const char *text, size_t len, int *ret_year, int *ret_month,
                          int *ret_day) {
  struct cur c = {text, len};
  size_t i = skip_space(&c, 0);
  int y, m, d;
  if (!date(&c, i, &y, &m, &d) || !y || d > civil_days_in_month(y, m))
    return -EINVAL;
  *ret_year = y, *ret_month = m, *ret_day = d;
  return 0;
}

int stamp_parse_day_heading(const char *text, size_t len, int *ret_year, int *ret_month,
                            int *ret_day) {
  struct cur c = {text, len};
  int y, m, d;
  size_t e = date(&c, skip_space(&c, 0), &y, &m, &d);
  if (!e)
    return -EINVAL;
  e = skip_space(&c, e);
  while (e < c.n && (c.s[e] == ':' || c.s[e] == '.' || c.s[e] == ','))
    e = skip_space(&c, e + 1);
  if (e != c.n || (y && d > civil_days_in_month(y, m)) || d > civil_days_in_month(2012, m))
    return -EINVAL;
  *ret_year = y, *ret_month = m, *ret_day = d;
  return 0;
}

unsigned stamp_style(const struct stamp *st) {
  /* The zone is not part of the style: blogs name it on some stamps only ("9.40am GMT",
   * "9.52am"), and a bare "2011" must still match the blog's clock to count. */
  return (unsigned)st->form | (st->meridiem ? 8u : 0u);
}
