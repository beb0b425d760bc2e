/* liveblog.h — split one HTML body into its time-stamped live-blog updates.
 *
 * Promise: given an item's HTML body (or plain text, whose blank lines are paragraphs), find
 * the blocks (p, div, li, h1-h6, article, section, table cells, lines between <br>s) that
 * start with a time stamp ("2120 GMT:", "9.20pm GMT", "Posted at 14:52", <time datetime=...>,
 * ...), decide whether the body is a live blog, and return one update per stamped block, each
 * at its own absolute UTC instant, oldest first. Stamps without a date take it from a day
 * heading before them, else the post's date (the run of updates placed after the post's first
 * publication or before its last edit, crossing midnight where the order demands it), else a
 * date line in the body, else now. Stamps without a zone take opt->tz, else the zone other
 * stamps of the blog name, else the post's own offset, else UTC. The body is parsed with
 * libxml2's HTML parser without network access; every size is capped by bounds.h
 * (BRAID_SPLIT_*, BRAID_TZ_*), and the work is linear in the body's size. No global state:
 * safe to call from the daemon's loop. Zones come from /usr/share/zoneinfo (tz.h).
 */
#ifndef BRAID_LIVEBLOG_H
#define BRAID_LIVEBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum liveblog_mode {
  LIVEBLOG_AUTO,   /* a live blog when >= 3 blocks start with stamps of one style, in order, or
                      1-2 in a strong form or with the item's or page's signals; never with
                      counter-evidence (schedules, match minutes, a lone byline) */
  LIVEBLOG_ALWAYS, /* split on whatever stamps there are (>= 1) */
  LIVEBLOG_NEVER,  /* never a live blog */
};

/* "auto", "always" or "never": the one spelling of a mode, for `split --mode`, a feed's
 * `liveblog` key and the logs. liveblog_mode_parse returns 0, or -EINVAL for any other name. */
const char *liveblog_mode_name(enum liveblog_mode m);
int liveblog_mode_parse(const char *name, enum liveblog_mode *ret);

struct split_options {
  int64_t post_date;    /* the item's published/updated instant, UTC seconds */
  bool has_post_date;
  int post_offset;      /* seconds east of UTC the post's date was written in (from "+01:00") */
  bool has_post_offset; /* zone-less stamps use it when tz is NULL */
  const char *tz;       /* the feed's `timezone =` (IANA name, abbreviation or offset) for
                           stamps that name none; NULL for none */
  enum liveblog_mode mode;
  /* The item's own signals that it is a live blog (all may be NULL / 0): its title ("... –
   * live", "Liveticker", "en direct"), its link ("/live/", "live-updates") and its categories.
   * The body's <title>, canonical URL and schema.org LiveBlogPosting markup count too. */
  const char *title;
  const char *link;
  const char *const *categories;
  size_t n_categories;
};

struct liveblog_update {
  int64_t time;  /* the update's instant, UTC seconds */
  char *stamp;   /* the stamp as written, without its trailing ":" or dash ("2120 GMT") */
  char *text;    /* plain text without the stamp; entities decoded, white space collapsed,
                    blocks separated by "\n\n" */
  char *html;    /* the update's markup, all its blocks, unsanitised */
  char *anchor;  /* id of the update's block or its container, or <a name>; NULL if none */
};

struct liveblog {
  bool is_liveblog;
  struct liveblog_update *updates; /* oldest first; NULL when n == 0 */
  size_t n;
};

/* Splits html (len bytes, any encoding libxml2 detects, UTF-8 assumed) according to opt.
 * On success *ret is a new struct liveblog the caller frees with liveblog_free; a body that is
 * not a live blog gives is_liveblog false and n 0. Returns 0, -EINVAL (bad opt->tz; err says
 * why), -E2BIG (a BRAID_SPLIT_* cap was hit; err names it) or -ENOMEM. err (errlen bytes) may be
 * NULL. */
int liveblog_split(const char *html, size_t len, const struct split_options *opt,
                   struct liveblog **ret, char *err, size_t errlen);
void liveblog_free(struct liveblog *lb);

#endif
