/* stamp.h — recognise a live-blog time stamp at the start of a block's text.
 *
 * Promise: given the plain text of a block (entities decoded, white space collapsed), says
 * whether it opens with a stamp — "2120 GMT:", "21:20 GMT", "21.20 GMT", "9.20pm GMT",
 * "9:20 p.m. ET", "9:20pm", "21:20" (followed by a separator, a new sentence or nothing),
 * with optional dates ("8 Nov 2011 14:52", "Tue 8 Nov 14.52 GMT", "Nov. 8, 2:52 p.m.",
 * "November 8, 2011 2:52pm", "2011-11-08 14:52", "14:52 GMT, 8 Nov"), after optional words
 * ("Update", "UPDATE:", "Posted at", "Updated at", "5 minutes ago") and brackets — and where the
 * stamp and the update's own text begin. Month and weekday names in English, German, French,
 * Spanish, Italian, Portuguese and Dutch; numeric dates "25.02.22", "6/24/2022", "23/06". It only reads syntax: zones are returned as written
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
  bool padded;       /* the hour written with two digits ("09:05", "21:50") */
  bool range;        /* followed by a second clock ("19:00 – 20:30"): a schedule's slot */
  bool lead_in;      /* after a lead-in ("+++", "Region |", "3.", "Le"): not at the very start */
  bool relative;     /* with a relative time as furniture ("4m ago 03.35 EDT") */
  bool byline;       /* the rest of its block is an author's name ("03:42 , Name") */
};

/* 0 and *ret filled when text (len bytes) opens with a stamp; -EINVAL otherwise. */
int stamp_parse(const char *text, size_t len, struct stamp *ret);

/* A dated stamp that ENDS text, as bylines write them ("by X via twitter 9/23/2013 3:16:06
 * PM", "... said the mayor.6/24/2022 6:26:49 PM"): 0 with *ret (start is where the stamp
 * begins, body == len), -EINVAL otherwise. Only dated or seconds-precise stamps count; reads
 * at most the last BRAID_SPLIT_MAX_STAMP_BYTES bytes. */
int stamp_parse_trailing(const char *text, size_t len, struct stamp *ret);

/* Whether text opens with a sports-commentary minute ("45+2'", "90'") or a cricket over
 * ("14.3 Smith to Jones"): counter-evidence against a live blog. */
bool stamp_is_match_clock(const char *text, size_t len);

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
