/* liveblog_internal.h — what liveblog.c (finding and cutting updates) and liveblog_time.c
 * (placing their stamps in time) share. Not an API: only these two files include it.
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
  char *err;
  size_t errlen;
};

/* Each stamp's zone: the one it names; else the feed's (--tz); else the one the nearest
 * stamp of the blog names ("9.40am GMT" ... "9.52am"); else the post's offset or UTC. */
void liveblog_resolve_zones(struct split *s);
/* Sets s->newest_first from the order the clocks run in. */
void liveblog_find_direction(struct split *s);
/* The post's date, else a date line near the top of the body, else now: into s->ref. */
void liveblog_find_reference(struct split *s);
/* Places every stamp (c[i].t); returns how many pairs sit against the blog's order. */
size_t liveblog_resolve_instants(struct split *s);

#endif
