/* parse_text.c — collecting one field of a feed or item (see parse_saxint.h).
 *
 * A field's text is collected as HTML in one capped buffer: HTML-typed text as it is, plain
 * text escaped, and child elements (xhtml content, raw markup in RSS descriptions)
 * serialised as tags. Plain fields (titles, authors) are then flattened with htmltext, so
 * every field goes through one path whatever its source type.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>

#include "date.h"
#include "entities.h"
#include "htmllinks.h"
#include "htmltext.h"
#include "parse_core.h"
#include "parse_saxint.h"

const char *const field_names[] = {
    "", "title", "link", "id", "summary", "content", "author", "author", "author",
    "published", "updated", "category", "language", "subtitle", "image", "image", "ttl"};

/* ---- collecting a field ----------------------------------------------------------------- */

size_t item_number(struct sax_state *s) {
  return s->item_depth ? feed_parser_item_count(s->p) + 1 : 0;
}

static void cap_overflow(struct sax_state *s) {
  if (s->cap_truncated)
    return;
  s->cap_truncated = true;
  if (s->cap_meta)
    parser_error(s->p, "feed: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
  else
    parser_error(s->p, "item %zu: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 item_number(s), field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
}

static void cap_raw(struct sax_state *s, const char *t, size_t n) {
  if (s->cap_truncated)
    return;
  struct buf *b = &s->cap;
  if (b->data && b->len + n < b->alloc && b->len + n <= BRAID_PARSE_MAX_FIELD_BYTES) {
    /* the common case, inline: text arrives in many small pieces */
    memcpy(b->data + b->len, t, n);
    b->len += n;
    b->data[b->len] = '\0';
    return;
  }
  if (buf_append(b, t, n) == 0)
    return;
  /* keep what fits, cut at a UTF-8 boundary */
  size_t room = BRAID_PARSE_MAX_FIELD_BYTES - s->cap.len;
  while (room > 0 && room < n && ((unsigned char)t[room] & 0xC0) == 0x80)
    room--;
  if (room < n)
    (void)buf_append(&s->cap, t, room);
  cap_overflow(s);
}

static void cap_text(struct sax_state *s, const char *t, size_t n) {
  if (s->cap_mode == TM_HTML) {
    cap_raw(s, t, n);
  } else if (!s->cap_truncated && html_escape(&s->cap, t, n) < 0) {
    cap_overflow(s);
  }
}

void on_characters(void *ctx, const xmlChar *ch, int len) {
  struct sax_state *s = ctx;
  s->events++;
  if (s->cap_field != F_NONE && len > 0)
    cap_text(s, (const char *)ch, (size_t)len);
}

enum textmode text_mode(struct sax_state *s, int na, const xmlChar **a, enum textmode dflt) {
  char *type = attr(s, na, a, "type", NS_NONE);
  char *mode = attr(s, na, a, "mode", NS_NONE);
  enum textmode m = dflt;
  if (type) {
    if (strstr(type, "xhtml"))
      m = TM_XHTML;
    else if (strstr(type, "html"))
      m = TM_HTML;
    else if (strcmp(type, "text") == 0 || strcmp(type, "text/plain") == 0)
      m = TM_TEXT;
  }
  if (mode && strcmp(mode, "escaped") == 0 && m == TM_TEXT && type && strstr(type, "plain") == NULL)
    m = TM_HTML;
  if (mode && strcmp(mode, "escaped") == 0 && !type)
    m = TM_HTML;
  if (mode && strcmp(mode, "base64") == 0) {
    s->next_base64 = true; /* Atom 0.3: decoded at the end, then read as `type` says */
    if (m == TM_XHTML)
      m = TM_HTML;
  }
  free(type);
  free(mode);
  return m;
}

void start_capture(struct sax_state *s, enum field f, enum textmode mode, bool meta) {
  s->cap_field = f;
  s->cap_depth = s->depth;
  s->cap_mode = mode;
  s->cap_meta = meta;
  s->cap_truncated = false;
  s->cap_wrapper_depth = 0;
  s->cap_base64 = s->next_base64;
  s->next_base64 = false;
  buf_reset(&s->cap);
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/* Atom 0.3 mode="base64": the collected text is base64 of the real content. Decodes it in
 * place of the buffer, as HTML (escaped if the content is plain text), valid UTF-8. */
static void decode_base64_capture(struct sax_state *s) {
  struct buf raw;
  buf_init(&raw, BRAID_PARSE_MAX_FIELD_BYTES);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < s->cap.len; i++) {
    int v = b64_value((unsigned char)s->cap.data[i]);
    if (v < 0)
      continue; /* white space, padding */
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (buf_append_char(&raw, (char)((acc >> bits) & 0xFF)) < 0)
        break;
    }
  }
  char *text = buf_steal(&raw);
  buf_free(&raw);
  if (!text || utf8_make_valid(&text) < 0) {
    free(text);
    return;
  }
  buf_reset(&s->cap);
  if (s->cap_mode == TM_HTML)
    (void)buf_append_str(&s->cap, text);
  else
    (void)html_escape(&s->cap, text, strlen(text));
  free(text);
}

static bool is_void(const xmlChar *name) {
  static const char *const v[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                  "link", "meta", "param", "source", "track", "wbr", NULL};
  for (size_t i = 0; v[i]; i++)
    if (eq(name, v[i]))
      return true;
  return false;
}

/* A child element inside a field: markup to keep (xhtml content, raw HTML in RSS). */
void cap_start_tag(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                          const xmlChar **a) {
  if (s->cap_mode == TM_TEXT)
    return;
  if (s->cap_mode == TM_XHTML && s->depth == s->cap_depth + 1 && ns == NS_XHTML &&
      eq(name, "div") && s->cap_wrapper_depth == 0) {
    s->cap_wrapper_depth = s->depth; /* Atom's required wrapper is not content */
    return;
  }
  cap_raw(s, "<", 1);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  for (int i = 0; i < na; i++) {
    char *v = attr_value(s, a, i);
    cap_raw(s, " ", 1);
    cap_raw(s, (const char *)a[i * 5], strlen((const char *)a[i * 5]));
    cap_raw(s, "=\"", 2);
    if (v && !s->cap_truncated && html_escape(&s->cap, v, strlen(v)) < 0)
      cap_overflow(s);
    cap_raw(s, "\"", 1);
    free(v);
  }
  cap_raw(s, ">", 1);
}

void cap_end_tag(struct sax_state *s, const xmlChar *name) {
  if (s->cap_mode == TM_TEXT || is_void(name))
    return;
  if (s->cap_wrapper_depth == s->depth) {
    s->cap_wrapper_depth = 0;
    return;
  }
  cap_raw(s, "</", 2);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  cap_raw(s, ">", 1);
}

/* The collected field, trimmed, as HTML. */
static char *cap_html(struct sax_state *s) {
  const char *t = buf_str(&s->cap);
  size_t n = s->cap.len;
  while (n > 0 && isspace((unsigned char)*t))
    t++, n--;
  while (n > 0 && isspace((unsigned char)t[n - 1]))
    n--;
  /* Double-escaped HTML ("&lt;p&gt;" after XML decoding, and no real tag): unescape once. */
  if (s->cap_mode == TM_HTML && !memchr(t, '<', n)) {
    const char *lt = memmem(t, n, "&lt;", 4);
    if (lt && lt + 4 < t + n && (isalpha((unsigned char)lt[4]) || lt[4] == '/')) {
      char *plain;
      /* htmltext would also drop the tags; decode entities only, keeping markup */
      struct buf b;
      buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES);
      for (size_t i = 0; i < n; i++) {
        char u[UTF8_MAX];
        size_t ulen, used = 0;
        if (t[i] == '&' && (n - i >= 4) &&
            (memcmp(t + i, "&lt;", 4) == 0 || memcmp(t + i, "&gt;", 4) == 0 ||
             (n - i >= 5 && memcmp(t + i, "&amp;", 5) == 0) ||
             (n - i >= 6 && memcmp(t + i, "&quot;", 6) == 0)))
          used = entity_decode(t + i, n - i, u, &ulen);
        if (used) {
          (void)buf_append(&b, u, ulen);
          i += used - 1;
        } else
          (void)buf_append_char(&b, t[i]);
      }
      plain = buf_steal(&b);
      return plain;
    }
  }
  return strndup(t, n);
}

/* Relative links in content resolve against the content's xml:base, else the document's
 * URL (as feedparser does). Takes html. */
static char *absolute_links(struct sax_state *s, char *html) {
  char *fixed = NULL;
  if (html && html_resolve_links(html, strlen(html), content_base(s), &fixed) == 0 && fixed) {
    free(html);
    return fixed;
  }
  return html;
}

static char *cap_plain(struct sax_state *s) {
  char *text = NULL;
  if (htmltext(buf_str(&s->cap), s->cap.len, 1, BRAID_PARSE_MAX_FIELD_BYTES, &text, NULL) < 0)
    return NULL;
  return text;
}

void set_once(char **dst, char *v) {
  if (!*dst && v && *v)
    *dst = v;
  else
    free(v);
}

static void set_date(struct sax_state *s, int64_t *dst, bool *has, const char *name) {
  char *text = cap_plain(s);
  if (!text)
    return;
  int64_t t;
  char err[160];
  if (*text && date_parse(text, &t, err, sizeof err) == 0) {
    if (!*has) {
      *dst = t;
      *has = true;
    }
  } else if (*text) {
    if (s->cap_meta)
      parser_error(s->p, "line %d: feed %s: %s", xmlSAX2GetLineNumber(s->ctxt), name, err);
    else
      parser_error(s->p, "line %d: item %zu: %s: %s", xmlSAX2GetLineNumber(s->ctxt),
                   item_number(s), name, err);
  }
  free(text);
}

/* C1 controls in text are windows-1252 mistakes ("&#150;", or bytes iconv let through). */
static void fix_c1(struct buf *b) {
  const char *t = buf_str(b);
  bool found = false;
  for (const char *c = memchr(t, 0xC2, b->len); c && !found;
       c = memchr(c + 1, 0xC2, b->len - (size_t)(c + 1 - t)))
    found = c + 1 < t + b->len && (unsigned char)c[1] >= 0x80 && (unsigned char)c[1] <= 0x9F;
  if (!found)
    return;
  char *fixed = c1_to_cp1252(t, b->len);
  if (!fixed)
    return;
  buf_reset(b);
  (void)buf_append_str(b, fixed);
  free(fixed);
}

/* RSS writes people as "joe@example.com (Joe Bloggs)" or "Joe Bloggs <joe@example.com>": keep
 * the name, as feedparser's author_detail does; a bare address stays as it is. Takes t. */
static char *person_name(char *t) {
  if (!t)
    return NULL;
  size_t n = strlen(t);
  char *at = strchr(t, '@');
  if (!at || n < 3)
    return t;
  const char *from = NULL;
  size_t len = 0;
  char *open = strchr(t, '(');
  if (open && t[n - 1] == ')' && at < open) { /* email (Name) */
    from = open + 1;
    len = (size_t)(t + n - 1 - from);
  } else if ((open = strchr(t, '<')) && t[n - 1] == '>' && at > open) { /* Name <email> */
    from = t;
    len = (size_t)(open - t);
  }
  while (from && len > 0 && isspace((unsigned char)*from))
    from++, len--;
  while (from && len > 0 && isspace((unsigned char)from[len - 1]))
    len--;
  if (!from || len == 0)
    return t;
  memmove(t, from, len);
  t[len] = '\0';
  return t;
}

void end_capture(struct sax_state *s) {
  struct feed_meta *m = parser_meta_mut(s->p);
  if (s->cap_base64)
    decode_base64_capture(s);
  fix_c1(&s->cap);
  struct feed_item *it = &s->item;
  bool meta = s->cap_meta;
  enum field f = s->cap_field;
  s->cap_field = F_NONE;
  switch (f) {
  case F_TITLE:
    set_once(meta ? &m->title : &it->title, cap_plain(s));
    break;
  case F_SUBTITLE:
    set_once(&m->subtitle, cap_plain(s));
    break;
  case F_LINK: {
    char *t = cap_plain(s);
    if (t && *t && (meta ? s->meta_link_rank : s->link_rank) < 3) {
      char *abs = parser_resolve(t, link_base(s, meta));
      if (abs) {
        char **dst = meta ? &m->link : &it->link;
        free(*dst);
        *dst = abs;
        *(meta ? &s->meta_link_rank : &s->link_rank) = 3;
      }
    }
    free(t);
    break;
  }
  case F_ID: {
    char *t = cap_plain(s);
    if (t && *t && !meta && s->cap_permalink && !s->guid_link &&
        (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0))
      s->guid_link = strdup(t);
    set_once(meta ? &m->id : &it->id, t);
    break;
  }
  case F_SUMMARY:
    set_once(&it->summary, absolute_links(s, cap_html(s)));
    break;
  case F_CONTENT:
    set_once(&it->content, absolute_links(s, cap_html(s)));
    break;
  case F_AUTHOR:
    set_once(meta ? &m->author : &it->author, person_name(cap_plain(s)));
    break;
  case F_AUTHOR_NAME:
    set_once(&s->author_name, cap_plain(s));
    break;
  case F_AUTHOR_EMAIL:
    set_once(&s->author_email, cap_plain(s));
    break;
  case F_PUBLISHED:
    if (meta)
      set_date(s, &s->meta_pub, &s->meta_has_pub, "published");
    else
      set_date(s, &it->published, &it->has_published, "published");
    break;
  case F_UPDATED:
    if (meta)
      set_date(s, &m->updated, &m->has_updated, "updated");
    else
      set_date(s, &it->updated, &it->has_updated, "updated");
    break;
  case F_CATEGORY: {
    char *t = cap_plain(s);
    if (t && item_add_category(s->p, it, t) < 0)
      parser_xml_stop(s->p, -ENOMEM);
    free(t);
    break;
  }
  case F_LANGUAGE:
    set_once(&m->language, cap_plain(s));
    break;
  case F_IMAGE:
  case F_ICON: {
    char *t = cap_plain(s);
    char *abs = t && *t ? parser_resolve(t, link_base(s, false)) : NULL;
    set_once(f == F_IMAGE ? &m->image : &s->meta_icon, abs);
    free(t);
    break;
  }
  case F_TTL: {
    char *t = cap_plain(s);
    char *end;
    long v = t ? strtol(t, &end, 10) : 0;
    if (t && end != t && *end == '\0' && v >= 0 && !m->has_ttl) {
      m->ttl = v;
      m->has_ttl = true;
    }
    free(t);
    break;
  }
  case F_NONE:
    break;
  }
}

