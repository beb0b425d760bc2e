/* render.c — the renderer's entry point and what its formats share. See render.h.
 *
 * The formats themselves live in render_xml.c (Atom, RSS), render_json.c and render_html.c;
 * the fallbacks for missing fields are decided here once, so that every format says the same
 * thing about an entry.
 */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "render_priv.h"
#include "sanitize.h"

/* Characters of text used as a title when an entry has none. */
#define UNTITLED_TEXT_CHARS 80

static const char *const format_names[] = {
    [RENDER_ATOM] = "atom", [RENDER_RSS] = "rss", [RENDER_JSON] = "json", [RENDER_HTML] = "html"};

static const char *const content_types[] = {
    [RENDER_ATOM] = "application/atom+xml; charset=utf-8",
    [RENDER_RSS] = "application/rss+xml; charset=utf-8",
    [RENDER_JSON] = "application/feed+json; charset=utf-8",
    [RENDER_HTML] = "text/html; charset=utf-8",
};

const char *render_content_type(enum render_format fmt) {
  if ((unsigned)fmt >= sizeof content_types / sizeof content_types[0])
    return "application/octet-stream";
  return content_types[fmt];
}

int render_format_from_name(const char *name, enum render_format *ret_fmt) {
  for (size_t i = 0; name && i < sizeof format_names / sizeof format_names[0]; i++)
    if (strcmp(name, format_names[i]) == 0) {
      *ret_fmt = (enum render_format)i;
      return 0;
    }
  return -EINVAL;
}

void render_rfc822_date(int64_t utc, char out[RENDER_RFC822_LEN]) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t day = utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
  int64_t sec = utc - day * 86400;
  int y, m, d;
  civil_ymd_from_days(day, &y, &m, &d);
  snprintf(out, RENDER_RFC822_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT",
           days[civil_weekday(day)], d, months[m - 1], y % 10000, (int)(sec / 3600),
           (int)(sec / 60 % 60), (int)(sec % 60));
}

const char *render_link(const char *url) { return sanitize_link_ok(url) ? url : NULL; }

const char *render_html_csp(bool remote_images, bool search_form) {
  if (search_form)
    return remote_images ? RENDER_HTML_CSP_REMOTE_SEARCH : RENDER_HTML_CSP_SEARCH;
  return remote_images ? RENDER_HTML_CSP_REMOTE : RENDER_HTML_CSP;
}

bool render_feed_url_public(const struct stream_source *s, bool allow_query) {
  /* sanitize_link_ok admits only http(s): file:// paths and other schemes stop here. */
  if (!s || !render_link(s->feed_url))
    return false;
  const char *authority = strstr(s->feed_url, "://") + 3;
  size_t alen = strcspn(authority, "/?#");
  if (memchr(authority, '@', alen)) /* user:password@host */
    return false;
  size_t before_fragment = strcspn(s->feed_url, "#");
  return allow_query || !memchr(s->feed_url, '?', before_fragment);
}

const char *render_feed_public_url(const struct stream_source *s, bool allow_query) {
  if (render_feed_url_public(s, allow_query))
    return s->feed_url;
  return s ? render_link(s->site_url) : NULL;
}

const char *render_source_name(const struct stream_source *s) {
  if (!s)
    return "";
  if (s->title && *s->title)
    return s->title;
  return s->feed ? s->feed : "";
}

void render_item_init(struct render_item *it) {
  memset(it, 0, sizeof *it);
  buf_init(&it->id_buf, 0);
  buf_init(&it->title_buf, 0);
  buf_init(&it->html_buf, 0);
}

void render_item_clear(struct render_item *it) {
  buf_clear(&it->id_buf);
  buf_clear(&it->title_buf);
  buf_clear(&it->html_buf);
}

/* The first UNTITLED_TEXT_CHARS characters of text, cut at a character boundary, with the
 * white space folded, for an entry that has no title. */
static int title_from_text(const char *text, struct buf *out) {
  size_t chars = 0;
  bool space = false;
  int r;
  for (const char *p = text; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = out->len > 0;
      continue;
    }
    if ((c & 0xc0) != 0x80) { /* a new character starts */
      if (chars == UNTITLED_TEXT_CHARS)
        return buf_append_str(out, "\xe2\x80\xa6");
      if (space && (r = buf_append_char(out, ' ')) < 0)
        return r;
      space = false;
      chars++;
    }
    if ((r = buf_append_char(out, (char)c)) < 0)
      return r;
  }
  return 0;
}

int render_item_fill(struct render_item *it, const struct stream_entry *e) {
  int r;
  buf_reset(&it->id_buf);
  buf_reset(&it->title_buf);
  buf_reset(&it->html_buf);
  it->source = e->n_sources ? &e->sources[0] : NULL;
  it->link = render_link(e->link);
  if (e->id && *e->id) {
    it->id = e->id;
  } else {
    if ((r = buf_printf(&it->id_buf, "urn:braid:entry:%" PRId64, e->seq)) < 0)
      return r;
    it->id = buf_str(&it->id_buf);
  }
  if (e->title && *e->title) {
    it->title = e->title;
  } else {
    if (e->text && (r = title_from_text(e->text, &it->title_buf)) < 0)
      return r;
    it->title = it->title_buf.len ? buf_str(&it->title_buf) : "(untitled)";
  }
  it->author = e->author && *e->author ? e->author
               : it->source && *render_source_name(it->source) ? render_source_name(it->source)
                                                                : NULL;
  it->published = e->time;
  /* Never before its own time: a stamp can name a moment after the update was first seen. */
  it->updated = e->updated > e->time ? e->updated : e->time;
  /* Relative links in a body are relative to the page it came from. */
  const char *base = it->link ? it->link : it->source ? render_link(it->source->site_url) : NULL;
  if (e->html && *e->html) {
    r = sanitize_html_flags(e->html, strlen(e->html), base,
                            it->media_as_links ? SANITIZE_MEDIA_AS_LINKS : 0, &it->html_buf);
    if (r == -E2BIG && it->html_buf.cap == 0) {
      buf_reset(&it->html_buf); /* too big to parse: fall back to the plain text */
      r = 0;
    } else if (r < 0) {
      return r;
    }
  }
  it->html = buf_str(&it->html_buf);
  return 0;
}

int64_t render_stream_updated(const struct stream_list *entries) {
  int64_t newest = 0;
  for (size_t i = 0; i < entries->n; i++) {
    const struct stream_entry *e = &entries->entries[i];
    int64_t u = e->updated > e->time ? e->updated : e->time;
    if (u > newest)
      newest = u;
  }
  return newest;
}

int render_stream(enum render_format fmt, const struct render_meta *meta,
                  const struct stream_list *entries, struct buf *out) {
  if (!meta || !meta->self_url || !meta->base_url || !entries)
    return -EINVAL;
  struct render_doc doc = {.meta = meta, .entries = entries};
  doc.title = meta->title ? meta->title
              : meta->source && *render_source_name(meta->source) ? render_source_name(meta->source)
                                                                   : "braid";
  doc.version = meta->generator_version ? meta->generator_version : BRAID_VERSION;
  doc.updated = meta->updated ? meta->updated : render_stream_updated(entries);
  doc.home_url = meta->home_url ? meta->home_url
                 : meta->source && render_link(meta->source->site_url) ? meta->source->site_url
                                                                       : meta->base_url;
  doc.feed_queries = meta->policy.publish_feed_queries;
  doc.description = meta->description ? meta->description
                    : meta->source   ? "One feed of the braid stream"
                                     : "Every feed and live-blog update, braided into one stream";
  switch (fmt) {
  case RENDER_ATOM: return render_atom(&doc, out);
  case RENDER_RSS: return render_rss(&doc, out);
  case RENDER_JSON: return render_json(&doc, out);
  case RENDER_HTML: return render_html(&doc, out);
  }
  return -EINVAL;
}
