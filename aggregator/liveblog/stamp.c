/* stamp.c — the grammar of live-blog time stamps. See stamp.h. */
#include "stamp.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "stamp_internal.h"
#include "tz.h"

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

/* A year of two digits ("25.02.22", "8/30/13") is this century's. */
static size_t short_or_long_year(const struct cur *c, size_t i, int *ret_year) {
  int v, k;
  size_t e = digits(c, i, 4, &v, &k);
  if (!e || (k != 2 && k != 4))
    return 0;
  if (k == 2)
    v += 2000;
  if (v < BRAID_YEAR_MIN || v > BRAID_YEAR_MAX)
    return 0;
  *ret_year = v;
  return e;
}

/* Numeric dates: "25.02.22", "25.02.2022", "23.06." (day first, with dots), "6/24/2022",
 * "8/30/13" (month first when the second number cannot be a month, or a year is written: US
 * style), "23/06" (day first without a year: European). "14.05" alone is a clock, not a date. */
static size_t numeric_date(const struct cur *c, size_t i, int *y, int *m, int *d) {
  int a, b, ka, kb;
  size_t e = digits(c, i, 2, &a, &ka);
  if (!e || e >= c->n || (c->s[e] != '.' && c->s[e] != '/'))
    return 0;
  char sep = c->s[e];
  size_t f = digits(c, e + 1, 2, &b, &kb);
  if (!f)
    return 0;
  int yy = 0;
  size_t g = f;
  if (f < c->n && c->s[f] == sep) {
    size_t h = short_or_long_year(c, f + 1, &yy);
    if (h)
      g = h;
    else if (sep == '.')
      g = f + 1; /* "23.06." */
    else
      return 0;
  } else if (sep == '.') {
    return 0;
  }
  int day = a, month = b;
  if (sep == '/' && b <= 31 && (a <= 12 && (b > 12 || yy)))
    day = b, month = a;
  if (month < 1 || month > 12 || day < 1 || day > (yy ? civil_days_in_month(yy, month)
                                                     : civil_days_in_month(2012, month)))
    return 0;
  if (is_digit(c, g) || is_alpha(c, g))
    return 0;
  *y = yy, *m = month, *d = day;
  return g;
}

/* [weekday] (D[.] [de] Month | Month D) [[,] [de] YYYY], YYYY-MM-DD, or a numeric date. */
static size_t read_date(const struct cur *c, size_t i, int *y, int *m, int *d) {
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
  size_t e = stamp__weekday(c, i);
  if (e)
    i = skip_space(c, e);
  if ((e = numeric_date(c, i, y, m, d)))
    return e;
  size_t after;
  if ((e = day_number(c, i, d))) {
    size_t j = e < c->n && c->s[e] == '.' ? e + 1 : e; /* "23. Juni" */
    j = skip_space(c, j);
    size_t de = word(c, j, "de");                     /* "23 de junio" */
    if (de)
      j = skip_space(c, de);
    after = stamp__month_name(c, j, m);
    if (!after)
      return 0;
    e = after;
  } else if ((e = stamp__month_name(c, i, m)) && (after = day_number(c, skip_space(c, e), d))) {
    e = after;
  } else {
    return 0;
  }
  /* An optional year: "8 Nov 2011", "Nov. 8, 2011", "23 de junio de 2022". The caller
   * backtracks if it was a time. */
  size_t j = e;
  if (j < c->n && c->s[j] == ',')
    j++;
  j = skip_space(c, j);
  size_t de = word(c, j, "de");
  if (de)
    j = skip_space(c, de);
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
  /* "11:42 pmTom Reed": the next element (a byline) glued on by the text walk */
  if (is_alpha(c, j) && !(islower((unsigned char)c->s[i]) && isupper((unsigned char)c->s[j])))
    return 0;
  *ret_pm = a == 'p';
  return j;
}

/* The clock: 2120 | 21:20[:SS] | 21.20 | 14h20 | 9pm, with am/pm. */
static size_t read_clock(const struct cur *c, size_t i, struct stamp *st) {
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
  st->padded = k >= 2;
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
  } else if (h > 23) {
    return 0;
  } else if (st->form == STAMP_HOUR) {
    /* "2 Uhr:", "14 Uhr": German writes whole hours with their unit */
    size_t w = word(c, skip_space(c, e), "uhr");
    if (!w)
      return 0;
    e = w;
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
  size_t z0 = j, e = 0, spelled;
  if ((spelled = tz_spelled_len(c->s + j, c->n - j)) > 0) {
    e = j + spelled; /* "British Summer Time", "heure de Paris" */
  } else if (j < c->n && (c->s[j] == '+' || c->s[j] == '-') && is_digit(c, j + 1)) {
    int v, k;
    size_t d = digits(c, j + 1, 4, &v, &k);
    if (d && (k == 4 || (k <= 2 && d < c->n && c->s[d] == ':' && digits(c, d + 1, 2, &v, &k) && k == 2)))
      e = k == 2 && c->s[d] == ':' ? d + 3 : d;
  } else if (is_alpha(c, j)) {
    size_t w = j;
    while (is_alpha(c, w))
      w++;
    if (w < c->n && c->s[w] == '/' && isupper((unsigned char)c->s[j]) && is_alpha(c, w + 1)) {
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

/* Words, relative times and bullets that may come before a stamp. */
static size_t prefix(const struct cur *c, size_t i, bool *ret_weak, bool *ret_relative) {
  size_t e;
  for (int rounds = 0; rounds < 4; rounds++) {
    i = stamp__bullets(c, i);
    if ((e = stamp__relative_time(c, i))) {
      *ret_relative = true;
      i = skip_space(c, e);
      if (i < c->n && (c->s[i] == '/' || c->s[i] == '|' || c->s[i] == ','))
        i++;
      else if (stamp__middle_dot(c, i))
        i = stamp__middle_dot(c, i);
      continue;
    }
    if (!(e = stamp__label(c, i, ret_weak)))
      break;
    e = skip_space(c, e);
    if (e < c->n && (c->s[e] == ':' || c->s[e] == ',' || c->s[e] == '|'))
      e++;
    else if (dash(c, e))
      e = dash(c, e);
    i = e;
  }
  i = skip_space(c, i);
  /* "Le 23/06 à 06:04", "Am 23. Juni": an article before a numeric date */
  if (((e = word(c, i, "le")) || (e = word(c, i, "am")) || (e = word(c, i, "el")) ||
       (e = word(c, i, "il"))) &&
      is_digit(c, skip_space(c, e)))
    i = skip_space(c, e);
  return i;
}

/* A lead-in that is not a stamp's own word: a numbered line ("3. 14:05", "12) 9:30am") or a
 * short place or section name and a bar ("Region | 11:45 am", "Kyiv · 21:05"). The offset
 * after it, or 0. */
static size_t lead_in(const struct cur *c) {
  size_t i = skip_space(c, 0);
  int v, k;
  size_t d = digits(c, i, 3, &v, &k);
  if (d && d + 1 < c->n && (c->s[d] == '.' || c->s[d] == ')') && c->s[d + 1] == ' ' &&
      is_digit(c, skip_space(c, d + 1)))
    return skip_space(c, d + 1);
  size_t words = 0;
  for (size_t j = i; j < c->n && j < i + 40; j++) {
    unsigned char ch = (unsigned char)c->s[j];
    if (isdigit(ch) || ch == '.' || ch == ':' || ch == '!' || ch == '?')
      return 0;
    if (ch == ' ')
      words++;
    if (words > 4)
      return 0;
    if (j > i && (ch == '|' || (ch == 0xC2 && j + 1 < c->n && (unsigned char)c->s[j + 1] == 0xB7)))
      return skip_space(c, j + (ch == '|' ? 1 : 2));
  }
  return 0;
}

/* A connector between a date and its clock: ",", "|", a dash, "at", "à", "um", "alle", "om",
 * "a las", "às", "-". */
static size_t connector(const struct cur *c, size_t j) {
  for (int rounds = 0; rounds < 2; rounds++) {
    j = skip_space(c, j);
    size_t e;
    if (j < c->n && (c->s[j] == ',' || c->s[j] == '|'))
      e = j + 1;
    else if (stamp__middle_dot(c, j))
      e = stamp__middle_dot(c, j);
    else if (dash(c, j))
      e = dash(c, j);
    else if (!(e = word(c, j, "at")) && !(e = word(c, j, "\xc3\xa0")) && !(e = word(c, j, "um")) &&
             !(e = word(c, j, "alle")) && !(e = word(c, j, "ore")) && !(e = word(c, j, "om")) &&
             !(e = word(c, j, "a las")) && !(e = word(c, j, "a la")) && !(e = word(c, j, "\xc3\xa0s")))
      break;
    j = e;
  }
  return skip_space(c, j);
}

/* A second clock right after the stamp: "/12.48pm ET" or "(7:15pm EST)" — another zone's
 * reading of the same instant, furniture of the stamp. */
static size_t second_clock(const struct cur *c, size_t e) {
  size_t j = skip_space(c, e);
  bool paren = j < c->n && c->s[j] == '(';
  if (j >= c->n || (c->s[j] != '/' && !paren))
    return 0;
  struct stamp probe;
  memset(&probe, 0, sizeof probe);
  size_t k = read_clock(c, skip_space(c, j + 1), &probe);
  if (!k)
    return 0;
  size_t z = zone(c, k, &probe);
  if (!z)
    return 0;
  if (paren) {
    z = skip_space(c, z);
    if (z >= c->n || c->s[z] != ')')
      return 0;
    z++;
  }
  return z;
}

/* The rest of a block after "03:42 ," that is only an author's name: two to four words, each
 * capitalised, nothing else. A single word after a stamp is a headline ("21:05 Tanks"). */
static bool only_a_name(const struct cur *c, size_t j) {
  if (j >= c->n || c->n - j > 40)
    return false;
  size_t words = 0;
  for (size_t i = j; i < c->n;) {
    if (!isupper((unsigned char)c->s[i]))
      return false;
    words++;
    while (i < c->n && c->s[i] != ' ') {
      unsigned char ch = (unsigned char)c->s[i];
      if (isdigit(ch) || ch == '.' || ch == ',' || ch == ':' || ch == '!' || ch == '?' || ch == '"')
        return false;
      i++;
    }
    i = skip_space(c, i);
  }
  return words >= 2 && words <= 4;
}

/* The stamp itself: [prefix] [date [connector]] clock [zone] [second clock] [", date"].
 * Fills *st from scratch and returns the offset where the stamp ends, or 0 when there is
 * none at from. */
static size_t read_when(const struct cur *c, size_t from, struct stamp *st) {
  memset(st, 0, sizeof *st);
  size_t i = prefix(c, from, &st->weak, &st->relative);
  st->start = i;
  size_t e = 0;
  int y, m, d;
  size_t de = read_date(c, i, &y, &m, &d);
  if (de) {
    size_t j = connector(c, de);
    if (j < c->n && c->s[j] == 'T' && y)
      j++;
    e = read_clock(c, j, st);
    if (!e && y) {
      /* "Nov 8, 2120 GMT": the "year" was the clock, which a zone must then confirm
       * ("Tuesday, November 8, 2011" alone is a date, not 20:11). */
      size_t k = de;
      while (k > i && is_digit(c, k - 1))
        k--;
      e = read_clock(c, k, st);
      struct stamp probe = *st;
      if (e && zone(c, e, &probe))
        y = 0;
      else
        e = 0;
    }
    if (!e)
      return 0;
    st->year = y, st->month = m, st->day = d;
  } else {
    e = read_clock(c, i, st);
    if (!e)
      return 0;
  }
  size_t ze = zone(c, e, st);
  if (ze)
    e = ze;
  else
    st->zone_off = st->zone_len = 0;
  size_t dual = second_clock(c, e);
  if (dual)
    e = dual;
  if (!st->month) {
    /* "14:52 GMT, 8 Nov" / "14:52 on Tuesday 8 November 2011" */
    size_t j = e;
    if (j < c->n && c->s[j] == ',')
      j++;
    j = skip_space(c, j);
    if (word(c, j, "on"))
      j = skip_space(c, j + 2);
    if (j > e && (de = read_date(c, j, &y, &m, &d))) {
      st->year = y, st->month = m, st->day = d;
      e = de;
    }
  }
  if (st->month && st->year && st->day > civil_days_in_month(st->year, st->month))
    return 0;
  return e;
}

/* What follows the stamp decides whether a bare number was a stamp at all: a range, a
 * relative time, a separator, a sentence, a byline. Sets the flags and st->body; -EINVAL
 * when the context says this was a number, not a time. */
static int read_context(const struct cur *c, size_t e, struct stamp *st) {
  size_t j = skip_space(c, e);
  while (j < c->n && (c->s[j] == ']' || c->s[j] == ')'))
    j = skip_space(c, j + 1);
  /* "19:00 – 20:30", "19.00 bis 20.30 Uhr": a slot in a schedule */
  size_t r = dash(c, j);
  if (!r)
    r = word(c, j, "to") ? j + 2 : word(c, j, "bis") ? j + 3 : 0;
  if (r) {
    struct stamp probe;
    memset(&probe, 0, sizeof probe);
    if (read_clock(c, skip_space(c, r), &probe))
      st->range = true;
  }
  size_t rel = stamp__relative_time(c, j); /* "17:35 2h ago" */
  if (rel) {
    st->relative = true;
    j = skip_space(c, rel);
  }
  size_t after = j;
  bool end = j >= c->n, sep = false, comma = false;
  if (!end && c->s[j] == ':' && !is_digit(c, j + 1)) {
    sep = true;
    j++;
  } else if (!end && (c->s[j] == '|' || c->s[j] == '/')) {
    sep = true;
    j++;
  } else if (!end && dash(c, j) && !is_digit(c, dash(c, j))) {
    sep = true;
    j = dash(c, j);
  } else if (!end && c->s[j] == ',') {
    comma = true;
    j++;
  }
  j = skip_space(c, j);
  while (j < c->n && c->s[j] == '+') /* "+++ 20:34 Headline +++" */
    j++;
  j = skip_space(c, j);
  bool strong = st->zone_len > 0 || st->meridiem || st->month || st->zone_off > 0;
  if (st->word_clock && !st->zone_len && !sep && !end)
    return -EINVAL;
  unsigned char next = end ? 0 : (unsigned char)c->s[j];
  bool sentence = !end && j == after && (isupper(next) || next == '"' || next >= 0x80);
  /* "21:50 una hora más": a two-digit colon clock and a lower-case word ("14.05 million" is
   * a number, "9:05 the polls" a sentence about a time) */
  bool lower = !end && j == after && islower(next) && st->padded && st->form == STAMP_COLON;
  switch (st->form) {
  case STAMP_COMPACT:
    /* "2011 was a year" is not 20:11; "2011:" or "2120 GMT" is. */
    if (!strong && !sep && !end)
      return -EINVAL;
    break;
  case STAMP_COLON:
  case STAMP_DOT:
  case STAMP_HOUR:
    if (!strong && !sep && !end && !comma && !sentence && !lower)
      return -EINVAL;
    if (!strong && comma && st->form != STAMP_COLON)
      return -EINVAL;
    break;
  }
  /* A name glued to the stamp came from the element after it: a byline, not a sentence. */
  bool glued = !end && j == after && j == e && e > 0 && is_alpha(c, e - 1) && isupper(next);
  if ((comma || glued) && only_a_name(c, j)) {
    st->byline = true; /* "03:42 , Name": the author is furniture */
    j = c->n;
  }
  st->body = j;
  return 0;
}

static int parse_at(const struct cur *c, size_t from, struct stamp *ret) {
  struct stamp st;
  size_t e = read_when(c, from, &st);
  if (!e)
    return -EINVAL;
  st.len = e - st.start;
  if (st.len > BRAID_SPLIT_MAX_STAMP_BYTES || read_context(c, e, &st) < 0)
    return -EINVAL;
  *ret = st;
  return 0;
}

/* A post's byline before its stamp: "By Jane Roe, CNN 4:05 p.m. ET, December 2, 2026",
 * "by Ann Lee | 21:05", glued or not ("CNN4:05": the text walk joins a byline element and a
 * <time>). Tries each word of at most BYLINE_MAX_WORDS after "By" (a capitalised name, an
 * outlet) as the stamp's start: 0 and *ret there, or -EINVAL. A sentence ends the search, so
 * "By noon, 300 had fled." stays prose. Whether such a stamp is an update is the detector's call: one
 * dated byline over an article is a dateline. */
#define BYLINE_MAX_WORDS 8

/* Whether the word at i can be part of a byline's name or outlet: capitalised and not a day
 * or month, or a particle of a name ("de", "van") or of an outlet ("the", "for"). */
static bool name_word(const struct cur *c, size_t i) {
  static const char *const particles[] = {"and", "of", "the", "de", "da", "del", "la", "le",
                                          "du", "di", "der", "den", "van", "von", "bin", "al",
                                          "for", "at", "in", "on"};
  int month;
  if (isupper((unsigned char)c->s[i]) || (unsigned char)c->s[i] >= 0x80)
    return !stamp__weekday(c, i) && !stamp__month_name(c, i, &month);
  for (size_t k = 0; k < sizeof particles / sizeof particles[0]; k++)
    if (word(c, i, particles[k]))
      return true;
  return false;
}

static int byline_stamp(const struct cur *c, struct stamp *ret) {
  size_t e = word(c, skip_space(c, 0), "by");
  if (!e || e >= c->n || c->s[e] != ' ')
    return -EINVAL;
  size_t name = skip_space(c, e), words = 1;
  struct stamp probe;
  if (name >= c->n || !isupper((unsigned char)c->s[name]) || !name_word(c, name) ||
      parse_at(c, name, &probe) == 0)
    return -EINVAL; /* "By Monday 4pm, the roads…", "By 9 p.m.": a sentence about a time */
  for (size_t j = name; j < c->n && j - name < 2 * BRAID_SPLIT_MAX_STAMP_BYTES; j++) {
    unsigned char ch = (unsigned char)c->s[j], prev = (unsigned char)c->s[j - 1];
    bool start = j > name && ch != ' ' &&
                 (prev == ' ' || prev == ',' || prev == '|' || (isdigit(ch) && isalpha(prev)));
    if (start && parse_at(c, j, ret) == 0)
      return 0;
    if (start && (isalpha(ch) || ch >= 0x80) && !name_word(c, j))
      return -EINVAL; /* "By Monday 6am, the river…", "By then 300 had fled" */
    if (ch == '!' || ch == '?' || ch == ':' || ch == ';')
      return -EINVAL;
    /* "J. Smith" has an initial; "fled. Then" ends a sentence */
    if (ch == '.' && !(isupper(prev) && (j < 2 || !isalpha((unsigned char)c->s[j - 2]))))
      return -EINVAL;
    if (ch == ' ' && ++words > BYLINE_MAX_WORDS)
      return -EINVAL;
  }
  return -EINVAL;
}

int stamp_parse(const char *text, size_t len, struct stamp *ret) {
  struct cur c = {text, len};
  if (len == 0)
    return -EINVAL;
  if (parse_at(&c, 0, ret) == 0)
    return 0;
  size_t li = lead_in(&c);
  if ((li && parse_at(&c, li, ret) == 0) || byline_stamp(&c, ret) == 0) {
    ret->lead_in = true;
    return 0;
  }
  return -EINVAL;
}

int stamp_parse_trailing(const char *text, size_t len, struct stamp *ret) {
  struct cur c = {text, len};
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == ')' || text[len - 1] == ']'))
    len--;
  if (len < 6)
    return -EINVAL;
  size_t lo = len > BRAID_SPLIT_MAX_STAMP_BYTES ? len - BRAID_SPLIT_MAX_STAMP_BYTES : 0;
  /* The earliest start that reads to the end is the whole stamp ("9/23/2013 3:16:06 PM",
   * not "3:16:06 PM"). A start glued to a letter or a full stop is fine: "mayor.6/24/2022". */
  for (size_t i = lo; i < len; i++) {
    if (!isdigit((unsigned char)text[i]) || (i > 0 && isdigit((unsigned char)text[i - 1])))
      continue;
    struct cur t = {text + i, len - i};
    struct stamp st;
    memset(&st, 0, sizeof st);
    int y, m, d;
    size_t de = read_date(&t, 0, &y, &m, &d);
    if (!de)
      continue;
    size_t k = connector(&t, de);
    size_t e = read_clock(&t, k, &st);
    if (!e)
      continue;
    size_t ze = zone(&t, e, &st);
    if (ze)
      e = ze;
    else
      st.zone_off = st.zone_len = 0;
    if (skip_space(&t, e) != t.n)
      continue;
    if (y && d > civil_days_in_month(y, m))
      continue;
    st.year = y, st.month = m, st.day = d;
    st.start = i;
    st.len = e;
    st.zone_off += i;
    st.body = c.n;
    *ret = st;
    return 0;
  }
  return -EINVAL;
}

bool stamp_is_match_clock(const char *text, size_t len) {
  struct cur c = {text, len};
  size_t i = skip_space(&c, 0);
  int v, k;
  size_t e = digits(&c, i, 3, &v, &k);
  if (!e || v > 130)
    return false;
  if (e < c.n && c.s[e] == '+') { /* 45+2' */
    int w;
    e = digits(&c, e + 1, 2, &w, &k);
    if (!e)
      return false;
  }
  if (e < c.n && c.s[e] == '\'')
    return true;
  if (e + 3 <= c.n && memcmp(c.s + e, "\xe2\x80\x99", 3) == 0) /* 45’ */
    return true;
  /* a cricket over and ball, "14.3" (balls 1 to 6, one digit), followed by a name */
  if (e + 2 < c.n && c.s[e] == '.' && c.s[e + 1] >= '1' && c.s[e + 1] <= '6' && c.s[e + 2] == ' ')
    return true;
  return false;
}

int stamp_parse_date_line(const char *text, size_t len, int *ret_year, int *ret_month,
                          int *ret_day) {
  struct cur c = {text, len};
  size_t i = skip_space(&c, 0);
  int y, m, d;
  if (!read_date(&c, i, &y, &m, &d) || !y || d > civil_days_in_month(y, m))
    return -EINVAL;
  *ret_year = y, *ret_month = m, *ret_day = d;
  return 0;
}

int stamp_parse_day_heading(const char *text, size_t len, int *ret_year, int *ret_month,
                            int *ret_day) {
  struct cur c = {text, len};
  int y, m, d;
  size_t e = read_date(&c, skip_space(&c, 0), &y, &m, &d);
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
