/* liveblog_detect.c — deciding whether the stamps found make a live blog: datelines that are
 * not updates, 12-hour clocks without am/pm, the evidence for a blog of one or two updates and
 * the counter-evidence of schedules and sports commentaries. See liveblog_internal.h. */
#include <string.h>
#include <strings.h>

#include "liveblog_internal.h"
#include "liveblog_signals.h"

void liveblog_drop_headers(struct split *s) {
  if (s->nc == 0)
    return;
  struct cand *c = &s->c[0];
  const struct block *bl = &s->b.v[c->block];
  if (c->has_abs || c->trailing || !c->st.month || !c->st.year || c->body < bl->text_len)
    return;
  bool headline_before = c->block > 0 && s->b.v[c->block - 1].heading >= 2;
  /* A page's "Nov. 4, 2020, 1:05 a.m. ET" over posts dated the same way has no words of its
   * own: the next stamp follows it at once. */
  bool wordless = s->nc > 2 && s->c[1].block == c->block + 1 && !s->c[1].trailing;
  if ((s->nc == 1 && !headline_before) || wordless ||
      (s->nc > 1 && !s->c[1].st.month && !s->c[1].has_abs && !s->c[1].has_local))
    c->drop = true;
  liveblog_compact(s);
}

void liveblog_mark_twelve(struct split *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->nc; i++) {
    const struct cand *c = &s->c[i];
    if (c->has_abs || c->has_local)
      continue;
    const struct stamp *st = &c->st;
    /* "09:05" is a 24-hour clock's way of writing the morning; "13:10" its afternoon */
    if (st->meridiem || (st->form != STAMP_COLON && st->form != STAMP_DOT) || st->hour < 1 ||
        st->hour > 12 || (st->padded && st->hour < 10))
      return;
    n++;
  }
  for (size_t i = 0; n && i < s->nc; i++)
    s->c[i].twelve = !s->c[i].has_abs && !s->c[i].has_local;
}

/* ---- counter-evidence ------------------------------------------------------------------ */

static int64_t pos_mod(int64_t a, int64_t m) { return ((a % m) + m) % m; }

/* A schedule lists what is to come: stamps oldest first, none dated, each a line of a few
 * words ("19:00 News", "20:30 Film"), not a sentence, with no paragraphs between, all later on the day the list
 * was posted, starting SCHEDULE_LEAD_SECS or more after it. A live blog's updates are
 * sentences, and the blog may well start hours after its feed's date. */
static bool is_schedule(const struct split *s) {
  if (!s->opt->has_post_date || s->newest_first || s->nc < 2)
    return false;
  int64_t prev = -1;
  for (size_t i = 0; i < s->nc; i++) {
    const struct cand *c = &s->c[i];
    if (c->has_abs || c->has_local || c->st.month || c->twelve)
      return false;
    const struct block *bl = &s->b.v[c->block];
    if (bl->text_len - c->body > SCHEDULE_LINE_MAX_BYTES ||
        (i + 1 < s->nc && s->c[i + 1].block != c->block + 1))
      return false;
    char last = bl->text_len ? block_text(&s->b, c->block)[bl->text_len - 1] : 0;
    if (last == '.' || last == '!' || last == '?')
      return false; /* a sentence: news, not a programme title */
    int64_t ref_tod = pos_mod(s->ref + zone_offset_at(&c->zone, s->ref), 86400);
    int64_t lead = pos_mod((int64_t)c->st.hour * 3600 + c->st.minute * 60 - ref_tod, 86400);
    if (lead < SCHEDULE_LEAD_SECS || lead > 20 * 3600 || lead < prev)
      return false;
    prev = lead;
  }
  return true;
}

/* Stamps that are whole table cells ("<td>07:15</td><td>Rathaus</td>"): a timetable. */
static bool in_table_cells(const struct split *s) {
  size_t cells = 0;
  for (size_t i = 0; i < s->nc; i++) {
    xmlNodePtr n = s->b.v[s->c[i].block].start;
    cells += n && n->type == XML_ELEMENT_NODE && n->name &&
             (strcasecmp((const char *)n->name, "td") == 0 ||
              strcasecmp((const char *)n->name, "th") == 0) &&
             s->c[i].body >= s->b.v[s->c[i].block].text_len;
  }
  return cells * 2 > s->nc;
}

static bool counter_evidence(const struct split *s) {
  if (s->match_clocks >= MATCH_CLOCKS_MIN)
    return true; /* "45+2'", "14.3": a match commentary */
  if (in_table_cells(s))
    return true;
  size_t ranges = 0;
  for (size_t i = 0; i < s->nc; i++)
    ranges += s->c[i].st.range;
  if (ranges * 3 >= s->nc && ranges > 0)
    return true; /* "19:00 – 20:30": a programme */
  return is_schedule(s);
}

/* ---- one or two updates ---------------------------------------------------------------- */

/* The container a candidate opens (its nearest article/section/li/div), or -1. */
static int container_of(const struct split *s, const struct cand *c) {
  return s->b.v[c->block].container;
}

/* Whether an element's class or id names a post of a live blog ("block", "post", "entry",
 * "update", "live", "event", "ticker"). */
static bool names_a_post(xmlNodePtr n) {
  static const char *const words[] = {"block", "post", "entry", "update", "live", "event",
                                      "ticker", "item"};
  static const char *const attrs[] = {"class", "id"};
  for (size_t a = 0; a < 2; a++) {
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attrs[a]);
    bool hit = false;
    for (size_t k = 0; v && !hit && k < sizeof words / sizeof words[0]; k++)
      hit = strcasestr((const char *)v, words[k]) != NULL;
    xmlFree(v);
    if (hit)
      return true;
  }
  return false;
}

static bool same_class(xmlNodePtr a, xmlNodePtr b) {
  if (strcasecmp((const char *)a->name, (const char *)b->name) != 0)
    return false;
  xmlChar *ca = xmlGetProp(a, (const xmlChar *)"class"), *cb = xmlGetProp(b, (const xmlChar *)"class");
  bool same = ca && cb && strcmp((const char *)ca, (const char *)cb) == 0;
  xmlFree(ca);
  xmlFree(cb);
  return same;
}

/* Whether the update opened by c has words: after its stamp in its block, or in the blocks
 * that follow it. */
static bool has_text(const struct split *s, size_t k) {
  const struct cand *c = &s->c[k];
  if (c->trailing)
    return c->st.start > 0;
  if (c->body < s->b.v[c->block].text_len)
    return true;
  size_t next = k + 1 < s->nc ? s->c[k + 1].block : s->b.n;
  return c->block + 1 < next;
}

/* A stamp in a form no article writes by chance: a zone it names itself ("1430 GMT:", "9:20pm
 * BST", "14:05 British Summer Time") with words after it, or a machine-readable instant
 * (<time datetime>, data-timestamp) in an element whose class names a post. */
static bool strong_form(const struct split *s, const struct cand *c) {
  if (c->trailing || c->st.lead_in || c->st.weak)
    return false;
  if (c->st.zone_len && c->body < s->b.v[c->block].text_len)
    return true;
  int ci = container_of(s, c);
  return (c->has_abs || c->has_local || c->st.zone_len) && ci >= 0 &&
         names_a_post(s->b.containers[ci].node);
}

/* Two updates in containers of the same element and class, each a post: the blog's own
 * repeated block structure. */
static bool repeated_structure(const struct split *s) {
  if (s->nc != 2)
    return false;
  int a = container_of(s, &s->c[0]), b = container_of(s, &s->c[1]);
  if (a < 0 || b < 0 || a == b)
    return false;
  xmlNodePtr na = s->b.containers[a].node, nb = s->b.containers[b].node;
  return same_class(na, nb) && names_a_post(na) && !s->c[0].trailing && !s->c[1].trailing;
}

bool liveblog_decide(struct split *s, size_t disorder, const char *html, size_t len) {
  if (s->opt->mode == LIVEBLOG_NEVER || s->nc == 0)
    return false;
  if (s->opt->mode == LIVEBLOG_ALWAYS)
    return true;
  if (disorder > s->nc / 5 || counter_evidence(s))
    return false;
  if (s->nc >= 3)
    return true;
  for (size_t k = 0; k < s->nc; k++)
    if (!has_text(s, k))
      return false;
  bool strong = true;
  for (size_t k = 0; k < s->nc && strong; k++)
    strong = strong_form(s, &s->c[k]);
  if (strong || repeated_structure(s))
    return true;
  return liveblog_signals(s->opt, s->b.doc, html, len);
}
