/* liveblog.c — find the stamped blocks, decide, cut the body into updates.
 * See liveblog.h; the HTML walk is liveblog_blocks.c, the stamp grammar stamp.c, placing the
 * stamps in time liveblog_time.c. */
#include "liveblog.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "civil.h"
#include "entities.h"
#include "liveblog_internal.h"
#include "liveblog_signals.h"

/* ---- candidates ------------------------------------------------------------------------ */

static void copy_stamp(char *dst, const char *src, size_t n) {
  n = utf8_cut(src, n, BRAID_SPLIT_MAX_STAMP_BYTES);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* A block that opens with <time datetime="...">: the attribute gives the instant, the
 * element's text the stamp as written. false when the attribute holds no time of day. */
static bool time_element(struct split *s, size_t bi, struct cand *c, struct buf *tmp) {
  xmlNodePtr t = s->b.v[bi].time;
  xmlChar *dt = xmlGetProp(t, (const xmlChar *)"datetime");
  if (!dt)
    return false;
  int64_t v;
  bool had_zone;
  bool ok = strlen((const char *)dt) > 10 && civil_parse_iso8601((const char *)dt, &v, &had_zone) == 0;
  if (ok) {
    if (had_zone)
      c->has_abs = true, c->abs = v;
    else
      c->has_local = true, c->local = v;
    buf_reset(tmp);
    if (blocks_node_text(t, tmp) < 0 || tmp->len == 0)
      copy_stamp(c->stamp, (const char *)dt, strlen((const char *)dt));
    else
      copy_stamp(c->stamp, tmp->data, tmp->len);
  }
  xmlFree(dt);
  if (!ok)
    return false;
  const char *text = block_text(&s->b, bi);
  size_t len = s->b.v[bi].text_len;
  if (stamp_parse(text, len, &c->st) == 0) {
    c->body = c->st.body;
  } else {
    memset(&c->st, 0, sizeof c->st);
    size_t k = strlen(c->stamp);
    c->body = len >= k && memcmp(text, c->stamp, k) == 0 ? k : 0;
    while (c->body < len && strchr(" :|-", text[c->body]))
      c->body++;
  }
  c->style = STYLE_TIME_ELEMENT;
  return true;
}

/* Whether text opens with c's clock again (in either clock), as far as *ret_body. */
static bool same_clock_at(const char *text, size_t len, const struct cand *c, size_t *ret_body) {
  struct stamp again;
  if (c->st.len == 0 || len == 0 || stamp_parse(text, len, &again) < 0 || again.start != 0 ||
      again.minute != c->st.minute || again.hour % 12 != c->st.hour % 12)
    return false;
  *ret_body = again.body;
  return true;
}

/* A block that is only c's clock again. */
static bool same_clock(const char *text, size_t len, const struct cand *c) {
  size_t body;
  return same_clock_at(text, len, c, &body) && body >= len;
}

/* Templates that print a stamp twice, once per clock ("11.08am BST" then "11:08"), leave the
 * second at the head of the update's text: it is the same stamp, skipped with it. */
static void skip_repeated_stamp(const char *text, size_t len, struct cand *c) {
  size_t body;
  if (c->body < len && same_clock_at(text + c->body, len - c->body, c, &body))
    c->body += body;
}

static int find_candidates(struct split *s) {
  struct buf tmp;
  buf_init(&tmp, 4096);
  size_t alloc = 0;
  int r = 0;
  size_t heading = SIZE_MAX;
  int heading_ymd[3] = {0, 0, 0};
  for (size_t i = 0; i < s->b.n; i++) {
    if (s->b.v[i].in_quote)
      continue;
    struct cand c;
    memset(&c, 0, sizeof c);
    c.block = i;
    c.heading = heading;
    memcpy(c.heading_ymd, heading_ymd, sizeof heading_ymd);
    const char *text = block_text(&s->b, i);
    size_t len = s->b.v[i].text_len;
    if (!(s->b.v[i].time && time_element(s, i, &c, &tmp))) {
      if (stamp_parse(text, len, &c.st) < 0) {
        if (stamp_is_match_clock(text, len))
          s->match_clocks++;
        if (len <= 60 &&
            stamp_parse_day_heading(text, len, &heading_ymd[0], &heading_ymd[1], &heading_ymd[2]) == 0) {
          heading = i;
          continue;
        }
        if (stamp_parse_trailing(text, len, &c.st) < 0)
          continue;
        c.trailing = true;
      }
      copy_stamp(c.stamp, text + c.st.start, c.st.len);
      c.body = c.st.body;
      c.style = stamp_style(&c.st) | (c.trailing ? 16u : 0u);
      /* <span data-timestamp="1320787800">9:30 pm</span>: the attribute is the instant when
       * it agrees with the clock to the quarter hour (zones are whole quarters). */
      long long ep = s->b.v[i].epoch;
      if (ep > 0 && !c.st.word_clock && (ep / 60) % 15 == c.st.minute % 15) {
        c.has_abs = true;
        c.abs = ep;
      }
    }
    skip_repeated_stamp(text, len, &c);
    c.pinned = c.st.start > 0 && strncasecmp(text, "pinned", 6) == 0;
    if (s->nc >= BRAID_SPLIT_MAX_UPDATES) {
      if (s->err)
        snprintf(s->err, s->errlen, "body has more than BRAID_SPLIT_MAX_UPDATES (%d) stamps",
                 BRAID_SPLIT_MAX_UPDATES);
      r = -E2BIG;
      break;
    }
    void *v = s->c;
    r = grow_array(&v, &alloc, s->nc, sizeof *s->c);
    s->c = v;
    if (r < 0)
      break;
    s->c[s->nc++] = c;
  }
  buf_clear(&tmp);
  return r;
}

/* "<h2>Monday 7 November</h2>" between two updates of a multi-day blog dates the updates
 * after it, where they carry no date of their own. A heading before the first update is the
 * post's date line, which the post's own date overrides (find_reference). */
static void apply_day_headings(struct split *s) {
  for (size_t k = 1; k < s->nc; k++) {
    struct cand *c = &s->c[k];
    if (c->heading == SIZE_MAX || c->heading < s->c[k - 1].block || c->has_abs || c->has_local ||
        c->st.month)
      continue;
    c->st.year = c->heading_ymd[0];
    c->st.month = c->heading_ymd[1];
    c->st.day = c->heading_ymd[2];
  }
}

void liveblog_compact(struct split *s) {
  size_t k = 0;
  for (size_t i = 0; i < s->nc; i++)
    if (!s->c[i].drop)
      s->c[k++] = s->c[i];
  s->nc = k;
}

/* An <aside> or <nav> with two stamps or more is a sidebar's list of other stories ("Latest
 * news: 11:40 Ferry services cut ..."); one stamp in an <aside> is an update's own meta
 * (the WordPress liveblog plugin puts each entry's time there). */
static int aside_of(const struct split *s, size_t k) {
  return k < s->nc ? s->b.v[s->c[k].block].aside : -1;
}

static void drop_sidebars(struct split *s) {
  /* The blocks of one <aside> are contiguous, so are its candidates: compare neighbours. */
  for (size_t k = 0; k < s->nc; k++) {
    int a = aside_of(s, k);
    s->c[k].drop = a >= 0 && ((k > 0 && aside_of(s, k - 1) == a) || aside_of(s, k + 1) == a);
  }
  liveblog_compact(s);
}

/* "Updated at 10.32am" closing a post that already has its stamp is an edit note, and so is
 * a page's "Last updated 14:52 GMT" / "UPDATED: ..." line: in auto mode never an update. */
static void drop_edit_notes(struct split *s) {
  int last_container = -1;
  size_t strong = 0;
  for (size_t i = 0; i < s->nc; i++)
    strong += !s->c[i].st.weak;
  for (size_t i = 0; i < s->nc; i++) {
    int cont = s->b.v[s->c[i].block].container;
    if (s->c[i].st.weak && ((cont >= 0 && cont == last_container) ||
                            s->opt->mode == LIVEBLOG_AUTO || strong >= 3))
      s->c[i].drop = true;
    else
      last_container = cont;
  }
  liveblog_compact(s);
}

/* "2000 – elected", "2004: re-elected": a timeline of years reads like HHMM stamps. When every
 * zone-less four-digit stamp of the body could be a year (19xx, 20xx), they are years; a blog
 * of "1430:" stamps has times outside 19:00-20:59. */
static void drop_years(struct split *s) {
  size_t bare = 0, yearlike = 0;
  for (size_t i = 0; i < s->nc; i++) {
    const struct stamp *st = &s->c[i].st;
    if (st->form == STAMP_COMPACT && !st->zone_len && !st->month && s->c[i].style != STYLE_TIME_ELEMENT) {
      bare++;
      yearlike += st->hour == 19 || st->hour == 20;
    }
  }
  if (bare == 0 || yearlike < bare)
    return;
  for (size_t i = 0; i < s->nc; i++) {
    const struct stamp *st = &s->c[i].st;
    s->c[i].drop = st->form == STAMP_COMPACT && !st->zone_len && !st->month &&
                   s->c[i].style != STYLE_TIME_ELEMENT;
  }
  liveblog_compact(s);
}

/* An hour without minutes ("9 p.m.", "noon") fits any 12-hour style: AP writes "9 p.m." and
 * "9:30 p.m." in one blog. */
static bool fits_any_12h(unsigned style) {
  return (style & 7u) == STAMP_HOUR && (style & 8u);
}

/* A whole hour with its unit ("2 Uhr:") fits a 24-hour blog of "1.30 Uhr" and "23:50 Uhr". */
static bool fits_any_24h(unsigned style) {
  return (style & 7u) == STAMP_HOUR && !(style & 24u);
}

static bool in_list_item(const struct split *s, const struct cand *c) {
  int ci = s->b.v[c->block].container;
  return ci >= 0 && strcasecmp((const char *)s->b.containers[ci].node->name, "li") == 0;
}

static int stamp_cmp(const void *a, const void *b) {
  return strcmp(((const struct cand *const *)a)[0]->stamp, ((const struct cand *const *)b)[0]->stamp);
}

/* A "Key events" list (<li>10.15am GMT Convoy reaches the border</li>) repeats the stamps of
 * updates that follow as posts of their own: list items whose stamp a non-item also has are
 * the table of contents. */
static int drop_contents_list(struct split *s) {
  size_t items = 0;
  for (size_t i = 0; i < s->nc; i++)
    items += in_list_item(s, &s->c[i]);
  if (items == 0 || items == s->nc)
    return 0;
  const struct cand **v = malloc(s->nc * sizeof *v);
  if (!v)
    return -ENOMEM;
  for (size_t i = 0; i < s->nc; i++)
    v[i] = &s->c[i];
  qsort(v, s->nc, sizeof *v, stamp_cmp);
  for (size_t g = 0; g < s->nc;) {
    size_t e = g + 1, posts = !in_list_item(s, v[g]);
    while (e < s->nc && strcmp(v[e]->stamp, v[g]->stamp) == 0)
      posts += !in_list_item(s, v[e++]);
    for (size_t j = g; posts && j < e; j++)
      if (in_list_item(s, v[j]))
        s->c[v[j] - s->c].drop = true;
    g = e;
  }
  free(v);
  liveblog_compact(s);
  return 0;
}

/* Keeps the stamps of the most common style: a live blog writes its stamps one way, and a
 * paragraph that happens to open with "9pm" in a blog of "2120 GMT" stamps is prose. */
static void keep_main_style(struct split *s) {
  size_t count[STYLE_COUNT] = {0};
  size_t first[STYLE_COUNT];
  for (size_t i = s->nc; i-- > 0;) {
    count[s->c[i].style % STYLE_COUNT]++;
    first[s->c[i].style % STYLE_COUNT] = i;
  }
  unsigned best = 0;
  for (unsigned st = 1; st < STYLE_COUNT; st++)
    if (!fits_any_12h(st) && !fits_any_24h(st) &&
        (count[st] > count[best] || (count[st] == count[best] && count[st] && first[st] < first[best])))
      best = st;
  if (count[best] == 0)
    best = STAMP_HOUR | 8u; /* only bare hours: they are the style */
  for (size_t i = 0; i < s->nc; i++) {
    unsigned st = s->c[i].style % STYLE_COUNT;
    s->c[i].drop = !(st == best || (fits_any_12h(st) && (best & 8u)) ||
                     (fits_any_24h(st) && !(best & 24u) && best < STYLE_TIME_ELEMENT &&
                      ((best & 7u) == STAMP_COLON || (best & 7u) == STAMP_DOT)));
  }
  liveblog_compact(s);
}

static uint64_t fnv(const char *p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

/* A sort key and the index it belongs to; ties keep index order, which makes qsort stable. */
struct keyed {
  uint64_t key;
  size_t i;
};

static int keyed_cmp(const void *a, const void *b) {
  const struct keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* An update quoted word for word inside a later one (stamp and all) appears twice; the copy
 * is the one nearer the newest end of the blog. Keys of <time datetime> stamps are odd, of
 * text stamps even, so the two kinds never group together. */
static int drop_quoted_copies(struct split *s) {
  if (s->nc < 2)
    return 0;
  struct keyed *k = malloc(s->nc * sizeof *k);
  if (!k)
    return -ENOMEM;
  for (size_t i = 0; i < s->nc; i++) {
    const struct cand *c = &s->c[i];
    const char *text = block_text(&s->b, c->block) + c->body;
    size_t n = s->b.v[c->block].text_len - c->body;
    uint64_t h = fnv(c->stamp, strlen(c->stamp), 14695981039346656037ull);
    /* A <time datetime> repeated is a table of contents ("Key events") pointing at the
     * update: same instant, different words. */
    k[i].key = c->has_abs ? fnv((const char *)&c->abs, sizeof c->abs, h) ^ 1u
                          : fnv(text, n < 120 ? n : 120, h) & ~(uint64_t)1;
    k[i].i = i;
  }
  qsort(k, s->nc, sizeof *k, keyed_cmp);
  for (size_t g = 0; g < s->nc;) {
    size_t e = g + 1;
    while (e < s->nc && k[e].key == k[g].key)
      e++;
    if (e - g > 1) {
      bool toc = s->c[k[g].i].has_abs; /* the table of contents comes before the updates */
      size_t keep = s->newest_first || toc ? k[e - 1].i : k[g].i;
      for (size_t j = g; j < e; j++)
        if (k[j].i != keep)
          s->c[k[j].i].drop = true;
    }
    g = e;
  }
  free(k);
  liveblog_compact(s);
  return 0;
}

/* ---- cutting the body ------------------------------------------------------------------ */

/* Site furniture that ends a page after its last update ("Article originally appeared on
 * ..."): dropped from the last update only when every block after it is such furniture. */
static const char *const FURNITURE[] = {
    "article originally appeared", "see website for complete article", "this article originally",
    "originally published", "all rights reserved", "copyright", "\xc2\xa9", "recent videos",
    "share this", "follow us", "related:", "related articles", "read more:",
};

static bool is_furniture(const char *text, size_t len) {
  if (len > 300)
    return false;
  for (size_t i = 0; i < sizeof FURNITURE / sizeof FURNITURE[0]; i++)
    if (len >= strlen(FURNITURE[i]) && strncasecmp(text, FURNITURE[i], strlen(FURNITURE[i])) == 0)
      return true;
  return false;
}

static bool container_alone(const struct split *s, size_t k, int ci) {
  const struct container *c = &s->b.containers[ci];
  if (c->first > c->last || c->first > s->c[k].block || c->last < s->c[k].block)
    return false;
  if (k > 0 && s->c[k - 1].block >= c->first)
    return false;
  if (k + 1 < s->nc && s->c[k + 1].block <= c->last)
    return false;
  /* Some templates sign a post at its foot ("... <footer>Posted at 14:52</footer>"). */
  if (s->c[k].block == c->last && c->last - c->first <= TRAILING_STAMP_MAX_BLOCKS)
    return true;
  if (s->c[k].block - c->first > PREAMBLE_MAX_BLOCKS)
    return false;
  size_t bytes = 0;
  for (size_t i = c->first; i < s->c[k].block; i++)
    bytes += s->b.v[i].text_len;
  return bytes <= PREAMBLE_MAX_BYTES;
}

/* The outermost container that holds update k and nothing of another update, or -1. */
static int own_container(const struct split *s, size_t k) {
  int best = -1;
  for (int ci = s->b.v[s->c[k].block].container; ci >= 0; ci = s->b.containers[ci].parent) {
    if (!container_alone(s, k, ci))
      break;
    best = ci;
  }
  return best;
}

static char *dup_str(const char *p) {
  return strdup(p ? p : "");
}

/* Where each update's markup begins: its own container, else a subheading just before its
 * stamped block ("<h3>Convoy reaches the border</h3><p>11.02am GMT: ..."; a day heading
 * too, which opens the day's first update), else that block. An h1 is the page's title. */
struct cut {
  int own;          /* own_container(), or -1 */
  size_t first;     /* first block */
  xmlNodePtr from;  /* first node */
  size_t before;    /* where the update before it ends: first, or a day heading before it */
};

static void find_cuts(const struct split *s, struct cut *cut) {
  char title[TITLE_MAX_BYTES];
  liveblog_doc_title(s, title, sizeof title);
  for (size_t k = 0; k < s->nc; k++) {
    const struct cand *c = &s->c[k];
    cut[k].own = own_container(s, k);
    cut[k].first = c->block;
    cut[k].before = c->block;
    if (cut[k].own >= 0) {
      cut[k].first = cut[k].before = s->b.containers[cut[k].own].first;
      cut[k].from = s->b.containers[cut[k].own].node;
      continue;
    }
    if (c->trailing) {
      /* A stamp that ends its post: the post began after the previous one's stamp. */
      if (k > 0 && s->c[k - 1].trailing && cut[k - 1].own < 0)
        cut[k].first = s->c[k - 1].block + 1;
      cut[k].from = s->b.v[cut[k].first].start;
      continue;
    }
    size_t h = c->block - 1;
    if (c->block > 0 && c->heading == h && (k == 0 || h > s->c[k - 1].block))
      cut[k].before = h; /* the day heading belongs to neither update */
    /* A day heading ("Montag, 7. November") dates the updates after it; it is no headline. */
    if (c->block > 0 && s->b.v[h].heading >= 2 && !s->b.v[h].in_quote && s->b.v[h].text_len <= 200 &&
        c->heading != h && !liveblog_is_page_title(s, h, title) &&
        (k == 0 || (h > s->c[k - 1].block &&
                    (cut[k - 1].own < 0 || h > s->b.containers[cut[k - 1].own].last))))
      cut[k].first = cut[k].before = h;
    cut[k].from = s->b.v[cut[k].first].start;
  }
}

static int build_update(struct split *s, size_t k, const struct cut *cut,
                        struct liveblog_update *u, struct buf *tmp) {
  const struct cand *c = &s->c[k];
  size_t b0 = cut[k].first, b1;
  xmlNodePtr from = cut[k].from, only = NULL, stop = NULL;
  if (cut[k].own >= 0) {
    only = from;
    b1 = s->b.containers[cut[k].own].last + 1;
  } else if (c->trailing) {
    b1 = c->block + 1;
    stop = b1 < s->b.n ? s->b.v[b1].start : NULL;
  } else if (k + 1 < s->nc) {
    b1 = cut[k + 1].before;
    stop = b1 < cut[k + 1].first ? s->b.v[b1].start : cut[k + 1].from;
  } else {
    b1 = s->b.n;
    while (b1 > c->block + 1 && is_furniture(block_text(&s->b, b1 - 1), s->b.v[b1 - 1].text_len))
      b1--;
    if (b1 < s->b.n)
      stop = s->b.v[b1].start;
  }
  buf_reset(tmp);
  int r = blocks_html(&s->b, from, stop, only, tmp);
  if (r < 0)
    return r;
  u->html = strdup(buf_str(tmp));
  buf_reset(tmp);
  for (size_t i = b0; i < b1 && r == 0; i++) {
    const char *t = block_text(&s->b, i);
    size_t n = s->b.v[i].text_len;
    if (i == c->block && c->trailing)
      n = liveblog_trailing_text(t, c->st.start);
    else if (i == c->block)
      t += c->body, n -= c->body;
    else if (i < c->block && liveblog_is_label(t, n))
      continue;
    else if (i == c->block + 1 && c->body >= s->b.v[c->block].text_len && tmp->len == 0 &&
             same_clock(t, n, c))
      continue; /* "<p>3.40pm BST</p><p>15:40</p>": the stamp again, per clock */
    else if (i == c->block + 1 && tmp->len == 0 && s->b.v[i].heading == 0 && i + 1 < b1 &&
             s->b.v[i + 1].heading >= 2 && liveblog_trailing_text(t, n) == 0)
      continue; /* "<p>Nov 5, 9:12 PM EST</p><p>Network News</p><h3>…": the byline */
    if (tmp->len == 0) {
      size_t flag = liveblog_breaking_flag(t, n);
      t += flag, n -= flag;
    }
    if (n == 0)
      continue;
    if (tmp->len)
      r = buf_append_str(tmp, s->b.v[i].soft ? " " : "\n\n"); /* a <br> is a space */
    if (r == 0)
      r = buf_append(tmp, t, n);
  }
  if (r < 0)
    return r;
  u->text = strdup(buf_str(tmp));
  u->stamp = dup_str(c->stamp);
  u->time = c->t;
  const char *anchor = s->b.v[c->block].anchor;
  if (!anchor && cut[k].own >= 0)
    anchor = s->b.containers[cut[k].own].id;
  if (!anchor)
    anchor = s->b.v[b0].anchor;
  u->anchor = anchor ? strdup(anchor) : NULL;
  if (!u->html || !u->text || !u->stamp || (anchor && !u->anchor))
    return -ENOMEM;
  /* Text is sliced from the body as written, and a body may hold bytes that are not UTF-8;
   * what leaves the splitter is stored and printed as JSON, so it must be valid. */
  if (utf8_make_valid(&u->html) < 0 || utf8_make_valid(&u->text) < 0 ||
      utf8_make_valid(&u->stamp) < 0 || utf8_make_valid(&u->anchor) < 0)
    return -ENOMEM;
  /* Each invalid byte became a three-byte U+FFFD: the stamp may have grown past its cap. */
  u->stamp[utf8_cut(u->stamp, strlen(u->stamp), BRAID_SPLIT_MAX_STAMP_BYTES)] = '\0';
  return 0;
}

/* Oldest first; updates at the same minute keep their order in the blog. */
static int sort_stable(struct liveblog *lb) {
  struct keyed *o = malloc(lb->n * sizeof *o);
  struct liveblog_update *v = malloc(lb->n * sizeof *v);
  if (!o || !v) {
    free(o);
    free(v);
    return -ENOMEM;
  }
  for (size_t j = 0; j < lb->n; j++)
    o[j].key = (uint64_t)lb->updates[j].time ^ (UINT64_C(1) << 63), o[j].i = j; /* signed order */
  qsort(o, lb->n, sizeof *o, keyed_cmp);
  for (size_t j = 0; j < lb->n; j++)
    v[j] = lb->updates[o[j].i];
  free(lb->updates);
  lb->updates = v;
  free(o);
  return 0;
}

static int build_updates(struct split *s, struct liveblog *lb) {
  struct cut *cut = malloc(s->nc * sizeof *cut);
  lb->updates = calloc(s->nc, sizeof *lb->updates);
  if (!cut || !lb->updates) {
    free(cut);
    return -ENOMEM;
  }
  find_cuts(s, cut);
  struct buf tmp;
  buf_init(&tmp, BRAID_SPLIT_MAX_BODY_BYTES * 2);
  int r = 0;
  /* Walk the document from its oldest end, so that the list is oldest first already unless
   * some update was written out of order. */
  for (size_t j = 0; j < s->nc && r == 0; j++) {
    size_t k = s->newest_first ? s->nc - 1 - j : j;
    r = build_update(s, k, cut, &lb->updates[j], &tmp);
    lb->n = j + 1;
  }
  buf_clear(&tmp);
  free(cut);
  if (r < 0)
    return r;
  bool sorted = true;
  for (size_t j = 1; j < lb->n; j++)
    if (lb->updates[j].time < lb->updates[j - 1].time)
      sorted = false;
  return sorted ? 0 : sort_stable(lb);
}

/* ---- the entry point ------------------------------------------------------------------- */

/* A body without a single tag is plain text: its blank lines are its paragraphs. Written out
 * as <p>s (escaped) so that the HTML walk and the markup of each update work as for HTML. */
static int text_to_html(const char *text, size_t len, struct buf *out) {
  int r = buf_append_str(out, "<p>");
  for (size_t i = 0; i < len && r == 0; i++) {
    char ch = text[i];
    if (ch == '\n') {
      size_t j = i + 1;
      while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
        j++;
      if (j < len && text[j] == '\n') {
        while (j + 1 < len && (text[j + 1] == '\n' || text[j + 1] == '\r'))
          j++;
        r = buf_append_str(out, "</p>\n<p>");
        i = j;
        continue;
      }
    }
    r = ch == '<' ? buf_append_str(out, "&lt;") : ch == '&' ? buf_append_str(out, "&amp;")
                                                   : buf_append_char(out, ch);
  }
  return r == 0 ? buf_append_str(out, "</p>\n") : r;
}

static int set_default_zone(struct split *s) {
  const struct split_options *o = s->opt;
  if (o->tz && *o->tz) {
    int r = tz_resolve(s->tzs, o->tz, strlen(o->tz), NULL, o->has_post_date ? o->post_date : 0,
                       &s->zone0);
    if (r < 0 || s->zone0.kind == ZONE_NONE) {
      if (s->err)
        snprintf(s->err, s->errlen, "unknown time zone \"%.*s\"", 64, o->tz);
      return -EINVAL;
    }
    if (s->zone0.kind == ZONE_REGION)
      s->hint = s->zone0.region;
  } else if (o->has_post_offset) {
    s->zone0.kind = ZONE_FIXED;
    s->zone0.offset = o->post_offset;
  } else {
    s->zone0.kind = ZONE_FIXED;
    s->zone0.offset = 0;
  }
  return 0;
}

int liveblog_split(const char *html, size_t len, const struct split_options *opt,
                   struct liveblog **ret, char *err, size_t errlen) {
  struct split s;
  memset(&s, 0, sizeof s);
  s.opt = opt;
  s.err = err;
  s.errlen = errlen;
  if (err && errlen)
    err[0] = '\0';
  struct liveblog *lb = calloc(1, sizeof *lb);
  s.tzs = tzset_new();
  int r = lb && s.tzs ? 0 : -ENOMEM;
  if (r == 0)
    r = set_default_zone(&s);
  struct buf plain;
  buf_init(&plain, (size_t)BRAID_SPLIT_MAX_BODY_BYTES * 2);
  if (!html)
    html = "", len = 0;
  if (r == 0 && opt->mode != LIVEBLOG_NEVER && len > 0 && len <= BRAID_SPLIT_MAX_BODY_BYTES &&
      !memchr(html, '<', len)) {
    r = text_to_html(html, len, &plain);
    if (r == -E2BIG && err)
      snprintf(err, errlen, "body is over BRAID_SPLIT_MAX_BODY_BYTES (%d bytes) as HTML",
               BRAID_SPLIT_MAX_BODY_BYTES);
    if (r == 0)
      html = plain.data, len = plain.len;
  }
  if (r == 0 && opt->mode != LIVEBLOG_NEVER)
    r = blocks_build(&s.b, html, len, err, errlen);
  if (r == 0 && opt->mode != LIVEBLOG_NEVER)
    r = find_candidates(&s);
  if (r == 0 && s.nc > 0) {
    drop_sidebars(&s);
    drop_edit_notes(&s);
    drop_years(&s);
    r = drop_contents_list(&s);
    liveblog_drop_headers(&s);
    if (opt->mode == LIVEBLOG_AUTO)
      keep_main_style(&s);
    liveblog_mark_twelve(&s);
    liveblog_find_reference(&s);
    liveblog_resolve_zones(&s);
    liveblog_find_direction(&s);
    if (r == 0)
      r = drop_quoted_copies(&s);
    apply_day_headings(&s);
  }
  /* A post pinned on top stands outside the blog's order: the run is read without it. */
  bool pinned = s.nc >= 3 && s.c[0].pinned;
  if (pinned)
    s.c++, s.nc--;
  if (r == 0 && s.nc > 0) {
    size_t disorder = liveblog_resolve_instants(&s);
    if (pinned) {
      liveblog_place_pinned(&s, &s.c[-1]);
      s.c--, s.nc++;
      pinned = false;
    }
    if (liveblog_decide(&s, disorder, html, len)) {
      lb->is_liveblog = true;
      r = build_updates(&s, lb);
    }
  }
  if (pinned)
    s.c--, s.nc++;
  free(s.c);
  blocks_clear(&s.b);
  buf_clear(&plain);
  tzset_free(s.tzs);
  if (r < 0) {
    liveblog_free(lb);
    return r;
  }
  *ret = lb;
  return 0;
}

void liveblog_free(struct liveblog *lb) {
  if (!lb)
    return;
  for (size_t i = 0; i < lb->n; i++) {
    free(lb->updates[i].stamp);
    free(lb->updates[i].text);
    free(lb->updates[i].html);
    free(lb->updates[i].anchor);
  }
  free(lb->updates);
  free(lb);
}

const char *liveblog_mode_name(enum liveblog_mode m) {
  switch (m) {
  case LIVEBLOG_ALWAYS:
    return "always";
  case LIVEBLOG_NEVER:
    return "never";
  default:
    return "auto";
  }
}

int liveblog_mode_parse(const char *name, enum liveblog_mode *ret) {
  static const enum liveblog_mode modes[] = {LIVEBLOG_AUTO, LIVEBLOG_ALWAYS, LIVEBLOG_NEVER};
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (strcmp(name, liveblog_mode_name(modes[i])) == 0) {
      *ret = modes[i];
      return 0;
    }
  return -EINVAL;
}
