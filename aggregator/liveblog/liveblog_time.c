/* liveblog_time.c — placing live-blog stamps in time: their zones, the blog's direction, the
 * day each clock reading falls on, and the instant stamps are resolved near. See
 * liveblog_internal.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "liveblog_internal.h"

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* ---- zones and order ------------------------------------------------------------------- */

/* Each stamp's zone: the one it names; else the feed's (--tz); else the one the nearest
 * stamp of the blog names ("9.40am GMT" ... "9.52am"); else the post's offset or UTC. */
void liveblog_resolve_zones(struct split *s) {
  bool *named = calloc(s->nc ? s->nc : 1, sizeof *named);
  for (size_t i = 0; i < s->nc; i++) {
    struct cand *c = &s->c[i];
    c->zone = s->zone0;
    if (c->st.zone_len) {
      struct zone_ref z;
      const char *text = block_text(&s->b, c->block);
      if (tz_resolve(s->tzs, text + c->st.zone_off, c->st.zone_len, s->hint, s->ref, &z) == 0) {
        c->zone = z;
        if (named)
          named[i] = true;
      }
    }
  }
  if (named && !(s->opt->tz && *s->opt->tz)) {
    /* Two sweeps carry the nearest named zone forward, then backward to leading stamps. */
    const struct zone_ref *last = NULL;
    for (size_t i = 0; i < s->nc; i++) {
      if (named[i])
        last = &s->c[i].zone;
      else if (last && !s->c[i].has_abs)
        s->c[i].zone = *last, named[i] = true;
    }
    last = NULL;
    for (size_t i = s->nc; i-- > 0;) {
      if (named[i])
        last = &s->c[i].zone;
      else if (last && !s->c[i].has_abs)
        s->c[i].zone = *last;
    }
  }
  free(named);
}

static int tod(const struct cand *c) {
  if (c->has_abs)
    return (int)(((c->abs % 86400) + 86400) % 86400);
  int local = c->has_local ? (int)(((c->local % 86400) + 86400) % 86400)
                           : (c->twelve ? c->st.hour % 12 : c->st.hour) * 3600 + c->st.minute * 60;
  return local;
}

/* Seconds from a to b, both read as UTC times of day, in (-12h, 12h]. */
static int64_t circular_diff(const struct split *s, const struct cand *a, const struct cand *b) {
  int64_t ta = tod(a) - (a->has_abs ? 0 : zone_offset_at(&a->zone, s->ref));
  int64_t tb = tod(b) - (b->has_abs ? 0 : zone_offset_at(&b->zone, s->ref));
  /* A 12-hour clock without am/pm repeats every half day: so do its differences. */
  int64_t period = a->twelve && b->twelve ? 43200 : 86400;
  int64_t d = ((tb - ta) % period + period) % period;
  return d > period / 2 ? d - period : d;
}

void liveblog_find_direction(struct split *s) {
  size_t inc = 0, dec = 0;
  /* A post pinned on top says nothing of the order (liveblog_split reads the run without it). */
  for (size_t i = s->nc >= 3 && s->c[0].pinned ? 2 : 1; i < s->nc; i++) {
    int64_t d = circular_diff(s, &s->c[i - 1], &s->c[i]);
    if (d > 0)
      inc++;
    else if (d < 0)
      dec++;
  }
  s->newest_first = dec >= inc;
}

/* ---- instants -------------------------------------------------------------------------- */

/* The instant of c's clock in half `half` (0 or 1) of the local day: for a 12-hour clock
 * without am/pm, half 1 is the afternoon reading. */
static int64_t at_half(const struct cand *c, int64_t day, int half) {
  return zone_local_to_utc(&c->zone, day * 86400 + tod(c) + (c->twelve ? half * 43200 : 0));
}

static int64_t local_day(const struct zone_ref *z, int64_t t) {
  return floor_div(t + zone_offset_at(z, t), 86400);
}

/* The instant of c's clock time that follows prev in direction dir (+1 later, -1 earlier),
 * unless the clock reads a little against the order: then it stays near prev. *ret_against
 * says how the pair sits: ORDER_AGAINST when read against the order, ORDER_LONG_GAP when
 * more than half a day on (unusual, unless a day heading lies between), else ORDER_OK. */
enum order { ORDER_OK, ORDER_AGAINST, ORDER_LONG_GAP };

static int64_t place_after(const struct cand *c, int64_t prev, int dir, enum order *ret_against) {
  int64_t day = local_day(&c->zone, prev);
  int64_t fwd = 0, back = 0;
  bool have_fwd = false, have_back = false;
  for (int kh = -4; kh <= 5; kh++) {
    int k = kh >= 0 ? kh / 2 : -((-kh + 1) / 2), half = kh & 1;
    if (half && !c->twelve)
      continue;
    int64_t t = at_half(c, day + k, half);
    int64_t d = (t - prev) * dir;
    if (d >= 0 && (!have_fwd || d < (fwd - prev) * dir))
      fwd = t, have_fwd = true;
    if (d < 0 && (!have_back || -d < (prev - back) * dir))
      back = t, have_back = true;
  }
  if (have_back && (!have_fwd || (prev - back) * dir < (fwd - prev) * dir) &&
      (prev - back) * dir <= DISORDER_TOLERANCE_SECS) {
    *ret_against = ORDER_AGAINST;
    return back;
  }
  *ret_against = (fwd - prev) * dir > 43200 ? ORDER_LONG_GAP : ORDER_OK;
  return fwd;
}

/* A stamp that carries a date (or a <time datetime>) is an instant by itself. */
static bool fixed_instant(const struct split *s, const struct cand *c, int64_t *ret) {
  if (c->has_abs) {
    *ret = c->abs;
    return true;
  }
  if (c->has_local) {
    *ret = zone_local_to_utc(&c->zone, c->local);
    return true;
  }
  if (!c->st.month)
    return false;
  int y0, m0, d0;
  civil_ymd_from_days(local_day(&c->zone, s->ref), &y0, &m0, &d0);
  bool found = false;
  int64_t best = 0;
  for (int y = c->st.year ? c->st.year : y0 - 1; y <= (c->st.year ? c->st.year : y0 + 1); y++) {
    if (c->st.day > civil_days_in_month(y, c->st.month))
      continue;
    for (int half = 0; half <= (c->twelve ? 1 : 0); half++) {
      int64_t t = at_half(c, civil_days_from_ymd(y, c->st.month, c->st.day), half);
      if (!found || llabs(t - s->ref) < llabs(best - s->ref))
        best = t, found = true;
    }
  }
  if (found)
    *ret = best;
  return found;
}

/* Whether the run [lo, hi] lies after the post's date on the post's own local day, the post's
 * offset being the blog's zone's (see liveblog_resolve_instants). */
static bool same_local_day_after(const struct split *s, int64_t lo, int64_t hi) {
  const struct zone_ref *z = &s->c[0].zone;
  if (!s->opt->has_post_date || !s->opt->has_post_offset ||
      s->opt->post_offset != zone_offset_at(z, s->ref) || lo < s->ref)
    return false;
  int64_t day = local_day(z, s->ref);
  return local_day(z, lo) == day && local_day(z, hi) == day;
}

/* Whether adjacent stamps a < b count as out of order: a long gap is a new day when a day
 * heading stands between them. */
static bool out_of_order(const struct split *s, size_t a, size_t b, enum order o) {
  if (o == ORDER_LONG_GAP && s->c[b].heading != SIZE_MAX && s->c[b].heading > s->c[a].block)
    return false;
  return o != ORDER_OK;
}

/* Places every stamp; returns how many pairs sit against the blog's order. */
/* How much worse a post date inside the run of updates is than one the same distance outside
 * it (see liveblog_resolve_instants). */
#define INSIDE_WEIGHT 4

size_t liveblog_resolve_instants(struct split *s) {
  int dir = s->newest_first ? -1 : 1;
  enum order against;
  size_t disorder = 0;
  size_t first_fixed = s->nc;
  for (size_t i = 0; i < s->nc; i++) {
    int64_t t;
    if (fixed_instant(s, &s->c[i], &t)) {
      s->c[i].t = t;
      if (first_fixed == s->nc)
        first_fixed = i;
      else if ((t - s->c[i - 1].t) * dir < 0)
        disorder++; /* dated stamps may be days apart, but not out of order */
    } else if (first_fixed < i) {
      s->c[i].t = place_after(&s->c[i], s->c[i - 1].t, dir, &against);
      disorder += out_of_order(s, i - 1, i, against);
    }
  }
  if (first_fixed == s->nc) {
    /* No stamp names its day: try the days around the reference and keep the run of
     * updates that lies nearest to it. */
    int64_t day0 = local_day(&s->c[0].zone, s->ref);
    int64_t best_dist = INT64_MIN, best_base = 0;
    static const int order[] = {0, -1, 1, -2, 2};
    int best_half = 0;
    for (size_t kh = 0; kh < 2 * sizeof order / sizeof order[0]; kh++) {
      size_t k = kh / 2;
      int half = (int)(kh & 1);
      if (half && !s->c[0].twelve)
        continue;
      int64_t t = at_half(&s->c[0], day0 + order[k], half), lo = t, hi = t;
      for (size_t i = 1; i < s->nc; i++) {
        t = place_after(&s->c[i], t, dir, &against);
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
      }
      /* The post's date is its first publication (the run follows it) or its last update
       * (the run precedes it), give or take REFERENCE_SLACK_SECS of clock skew. A date just
       * inside the run fits either reading with a late edit or a little skew — and is what a
       * re-polled live blog shows, whose feed date stays put while updates keep coming, so
       * it must not push the whole run to another day. A date deep inside the run fits
       * neither: its distance to the nearer end counts INSIDE_WEIGHT times a gap outside. */
      int64_t dist;
      if (s->ref < lo)
        dist = lo - s->ref;
      else if (s->ref > hi)
        dist = s->ref - hi;
      else {
        int64_t in = s->ref - lo < hi - s->ref ? s->ref - lo : hi - s->ref;
        dist = in <= REFERENCE_SLACK_SECS ? 0 : in * INSIDE_WEIGHT;
      }
      /* A post dated in the blog's own local time ("07:00+01:00", stamps in Berlin time)
       * whose whole run fits later on that same local day is that day's blog, however near
       * the evening before ends to its morning date: a feed dates a live blog by its start. */
      if (same_local_day_after(s, lo, hi))
        dist = (lo - s->ref) - ((int64_t)1 << 40); /* before any other reading */
      if (best_dist == INT64_MIN || dist < best_dist)
        best_dist = dist, best_base = day0 + order[k], best_half = half;
    }
    s->c[0].t = at_half(&s->c[0], best_base, best_half);
    for (size_t i = 1; i < s->nc; i++) {
      s->c[i].t = place_after(&s->c[i], s->c[i - 1].t, dir, &against);
      disorder += out_of_order(s, i - 1, i, against);
    }
  } else {
    for (size_t i = first_fixed; i-- > 0;) {
      s->c[i].t = place_after(&s->c[i], s->c[i + 1].t, -dir, &against);
      disorder += out_of_order(s, i, i + 1, against);
    }
  }
  return disorder;
}

void liveblog_place_pinned(const struct split *s, struct cand *pin) {
  int64_t t;
  if (fixed_instant(s, pin, &t)) {
    pin->t = t;
    return;
  }
  int64_t newest = s->ref;
  for (size_t i = 0; i < s->nc; i++)
    newest = i == 0 || s->c[i].t > newest ? s->c[i].t : newest;
  int64_t day = local_day(&pin->zone, newest);
  pin->t = at_half(pin, day, pin->twelve && at_half(pin, day, 1) <= newest);
  if (pin->t > newest)
    pin->t = at_half(pin, day - 1, pin->twelve);
}

/* The post's date, else a date line near the top of the body, else now. */
void liveblog_find_reference(struct split *s) {
  if (s->opt->has_post_date) {
    s->ref = s->opt->post_date;
    return;
  }
  size_t limit = s->nc ? s->c[0].block : s->b.n;
  for (size_t i = 0; i < limit && i < 40; i++) {
    const char *text = block_text(&s->b, i);
    size_t len = s->b.v[i].text_len;
    struct stamp st;
    int y, m, d;
    if (stamp_parse(text, len, &st) == 0 && st.year) {
      struct zone_ref z = s->zone0;
      if (st.zone_len)
        tz_resolve(s->tzs, text + st.zone_off, st.zone_len, s->hint, 0, &z);
      if (z.kind == ZONE_NONE)
        z = s->zone0;
      s->ref = zone_local_to_utc(&z, civil_days_from_ymd(st.year, st.month, st.day) * 86400 +
                                         st.hour * 3600 + st.minute * 60);
      return;
    }
    if (stamp_parse_date_line(text, len, &y, &m, &d) == 0) {
      s->ref = zone_local_to_utc(&s->zone0, civil_days_from_ymd(y, m, d) * 86400 + 12 * 3600);
      return;
    }
  }
  s->ref = (int64_t)time(NULL);
}
