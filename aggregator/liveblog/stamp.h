/* stamp.h — recognise a live-blog time stamp at the start of a block's text.
 *
 * Promise: given the plain text of a block (entities decoded, white space collapsed), says
 * whether it opens with a stamp — "2120 GMT:", "21:20 GMT", "21.20 GMT", "9.20pm GMT",
 * "9:20 p.m. ET", "9:20pm", "21:20" (followed by a separator, a new sentence or nothing),
 * with optional dates ("8 Nov 2011 14:52", "Tue 8 Nov 14.52 GMT", "Nov. 8, 2:52 p.m.",
 * "November 8, 2011 2:52pm", "2011-11-08 14:52", "14:52 GMT, 8 Nov"), after optional words
 * ("Update", "UPDATE:", "Posted at", "Updated at", "5 minutes ago") and brackets — and where the
 * stamp and the update's own text begin. It only reads syntax: zones are returned as written
 * for tz_resolve, dates as written (year 0 when absent). Hours 24 and above, minutes 60 and
 * above, "12" without am/pm as a 12-hour clock, and a year like "2011" without a zone or a
 * separator are not stamps. Pure functions, no allocation.
 */
#ifndef BRAID_STAMP_H
#define BRAID_STAMP_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"

/* How the clock is written; with the zone and am/pm flags it makes a stamp's "style". */
enum stamp_form {
  STAMP_COMPACT = 1, /* 2120 */
  STAMP_COLON = 2,   /* 21:20, 9:20pm */
  STAMP_DOT = 3,     /* 21.20, 9.20am, 14h20 */
  STAMP_HOUR = 4,    /* 9pm */
};

struct stamp {
  size_t start;      /* byte offset where the stamp as written begins (after "Update" etc.) */
  size_t len;        /* its length, without the trailing ":" or dash */
  size_t body;       /* offset where the update's own text begins */
  int hour, minute;  /* 24-hour wall clock */
  int year, month, day; /* the date written with it: all 0 when none; year 0 when absent */
  enum stamp_form form;
  bool meridiem;     /* written with am/pm */
  bool weak;         /* "Updated at ..." / "Last updated": an edit note, not a new update */
  bool word_clock;   /* written "noon" or "midnight" */
  size_t zone_off, zone_len; /* the zone as written (zone_len 0 for none) */
};

/* 0 and *ret filled when text (len bytes) opens with a stamp; -EINVAL otherwise. */
int stamp_parse(const char *text, size_t len, struct stamp *ret);

/* A date line ("Tuesday, November 8, 2011 at 21:30", "8 November 2011") at the start of text:
 * 0 with the date, -EINVAL when there is none. */
int stamp_parse_date_line(const char *text, size_t len, int *ret_year, int *ret_month,
                          int *ret_day);

/* A heading that is only a date ("Monday 7 November", "8 Nov 2011:"), year 0 when absent:
 * 0 with the date, -EINVAL for anything else. Multi-day blogs head each day with one. */
int stamp_parse_day_heading(const char *text, size_t len, int *ret_year, int *ret_month,
                            int *ret_day);

/* A small number identifying a stamp's style: stamps of one live blog share it. */
unsigned stamp_style(const struct stamp *st);

#endif
