/* liveblog_internal.h — what liveblog.c (finding and cutting updates) and liveblog_time.c
 * (placing their stamps in time) share, with liveblog_detect.c and liveblog_text.c (what is
 * furniture in an update's text). Not an API: only these files include it.
 */
#ifndef BRAID_LIVEBLOG_INTERNAL_H
#define BRAID_LIVEBLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "liveblog.h"
#include "liveblog_blocks.h"
#include "stamp.h"
#include "tz.h"

/* Styles of stamps taken from <time datetime> share one value above stamp_style's range. */
#define STYLE_TIME_ELEMENT 64u
#define STYLE_COUNT 128u
/* An update written against the blog's order is believed only this close to its neighbour;
 * further off, the order wins and the stamp moves to the next or previous day. */
#define DISORDER_TOLERANCE_SECS (3 * 3600)
/* How far the post's date may sit inside the run of its updates, for clock skew. */
#define REFERENCE_SLACK_SECS 3600
/* A container may open with a heading or byline before its stamp: at most this many blocks
 * and bytes of them. */
#define PREAMBLE_MAX_BLOCKS 3
#define PREAMBLE_MAX_BYTES 400
/* A post whose stamp closes it may hold this many blocks before it. */
#define TRAILING_STAMP_MAX_BLOCKS 60
/* A byline before a stamp that ends a post ("by Name via twitter 9/23/2013 3:16:06 PM") is
 * furniture up to this many bytes. */
#define TRAILING_BYLINE_MAX_BYTES 100
/* A body whose stamps run oldest first and begin this long after the post's own date lists
 * what is to come: a schedule, not a blog. */
#define SCHEDULE_LEAD_SECS (2 * 3600)
/* ... and whose entries are single lines of at most this many bytes after the stamp. */
#define SCHEDULE_LINE_MAX_BYTES 80
/* Blocks opening with match minutes ("45+2'") or cricket overs ("14.3") from this many on
 * make a sports commentary, which auto mode does not split. */
#define MATCH_CLOCKS_MIN 3

struct cand {
  size_t block;
  struct stamp st;
  char stamp[BRAID_SPLIT_MAX_STAMP_BYTES + 1]; /* as written */
  size_t body;             /* where the update's text starts in the block's text */
  unsigned style;
  bool has_abs;            /* <time datetime> with a zone, or data-timestamp: the instant */
  int64_t abs;
  bool has_local;          /* <time datetime> without a zone: a dated wall-clock time */
  int64_t local;
  struct zone_ref zone;
  size_t heading;          /* block of the last day heading before it, SIZE_MAX for none */
  int heading_ymd[3];      /* that heading's year (0 if none written), month, day */
  int64_t t;               /* the resolved instant */
  bool trailing;           /* the stamp ENDS its block (a byline): the update is what precedes */
  bool twelve;             /* a 12-hour clock written without am/pm: either half of the day */
  bool pinned;             /* "Pinned 13 hours ago (06:10 GMT)": kept on top out of order */
  bool drop;
};

struct split {
  const struct split_options *opt;
  struct blocks b;
  struct tzset *tzs;
  struct zone_ref zone0;   /* for stamps that name no zone */
  const struct tz *hint;   /* the feed's own region, for abbreviations */
  int64_t ref;             /* the instant stamps are resolved near */
  struct cand *c;
  size_t nc;
  bool newest_first;
  size_t match_clocks;     /* blocks opening with "45+2'" or "14.3" (stamp_is_match_clock) */
  char *err;
  size_t errlen;
};

/* Removes the candidates marked drop, keeping the order of the rest. */
void liveblog_compact(struct split *s);
/* A post's own dateline before its updates ("Tuesday, November 8, 2011 at 21:30", "Published
 * 14:52 GMT, 8 Nov 2011") dates the updates; it is not one. Drops it. */
void liveblog_drop_headers(struct split *s);
/* Marks the stamps of a blog written in a 12-hour clock without am/pm ("10:35", "9:58"). */
void liveblog_mark_twelve(struct split *s);
/* Whether the candidates left make a live blog (liveblog.h, enum liveblog_mode), given how
 * many pairs sit against the blog's order; html/len are the body, for its markup signals. */
bool liveblog_decide(struct split *s, size_t disorder, const char *html, size_t len);

/* Each stamp's zone: the one it names; else the feed's (--tz); else the one the nearest
 * stamp of the blog names ("9.40am GMT" ... "9.52am"); else the post's offset or UTC. */
void liveblog_resolve_zones(struct split *s);
/* Sets s->newest_first from the order the clocks run in. */
void liveblog_find_direction(struct split *s);
/* The post's date, else a date line near the top of the body, else now: into s->ref. */
void liveblog_find_reference(struct split *s);
/* Places every stamp (c[i].t); returns how many pairs sit against the blog's order. */
size_t liveblog_resolve_instants(struct split *s);
/* Places a pinned stamp that is no part of the run s->c: its clock on the latest day that
 * does not put it after the run's newest update (a summary pinned on top was written during
 * the run, however far down it belongs). */
void liveblog_place_pinned(const struct split *s, struct cand *pin);

/* ---- furniture (liveblog_text.c) ---- */

/* A page's <title> is compared with headings only up to this many bytes. */
#define TITLE_MAX_BYTES 512
/* What a block ending with a stamp says before the stamp (t[0..n)): n without the trailing
 * white space, or 0 when it is only a byline or an author's name. */
size_t liveblog_trailing_text(const char *t, size_t n);
/* A short label block before a stamp ("Timestamp:"). */
bool liveblog_is_label(const char *t, size_t n);
/* Bytes a "BREAKING"/"Breaking:" flag takes at the head of an update's text, else 0. */
size_t liveblog_breaking_flag(const char *t, size_t n);
/* The document's <title> text into out (TITLE_MAX_BYTES; empty when none). */
void liveblog_doc_title(const struct split *s, char *out, size_t outlen);
/* Whether block bi repeats title (the page's, not an update's headline). */
bool liveblog_is_page_title(const struct split *s, size_t bi, const char *title);

#endif
