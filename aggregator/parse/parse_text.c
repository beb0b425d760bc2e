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
#include <strings.h>

#include <libxml/SAX2.h>

#include "date.h"
#include "entities.h"
#include "htmllinks.h"
#include "htmltext.h"
#include "parse_core.h"
#include "parse_saxint.h"
#include "swar.h"

const char *const parse__field_names[] = {
    "", "title", "link", "id", "summary", "content", "author", "author", "author",
    "published", "updated", "category", "language", "subtitle", "image", "image", "ttl",
    "title", "summary"};

/* ---- collecting a field ----------------------------------------------------------------- */

size_t parse__item_number(struct sax_state *s) {
  return s->item_depth ? feed_parser_item_count(s->p) + 1 : 0;
}

static void cap_overflow(struct sax_state *s) {
  if (s->cap_truncated)
    return;
  s->cap_truncated = true;
  if (s->cap_meta)
    parse__error(s->p, "feed: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 parse__field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
  else
    parse__error(s->p, "item %zu: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 parse__item_number(s), parse__field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
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

void parse__on_characters(void *ctx, const xmlChar *ch, int len) {
  struct sax_state *s = ctx;
  s->events++;
  if (s->cap_field != F_NONE && len > 0)
    cap_text(s, (const char *)ch, (size_t)len);
}

enum textmode parse__text_mode(struct sax_state *s, int na, const xmlChar **a, enum textmode dflt) {
  char *type = parse__attr(s, na, a, "type", NS_NONE);
  char *mode = parse__attr(s, na, a, "mode", NS_NONE);
  enum textmode m = dflt;
  if (type) {
    /* Atom 1.0's type="xhtml" wraps its markup in a <div> that is not content; Atom 0.3's
     * "application/xhtml+xml" has no wrapper: its markup is read as is, like inline
     * markup in text. */
    if (strcmp(type, "xhtml") == 0)
      m = TM_XHTML;
    else if (strstr(type, "xhtml"))
      m = TM_TEXT;
    else if (strstr(type, "html"))
      m = TM_HTML;
    else if (strcmp(type, "text") == 0 || strncmp(type, "text/", 5) == 0)
      m = TM_TEXT;
    else if (*type && !strstr(type, "xml"))
      s->next_base64 = s->next_base64_raw = true; /* RFC 4287 4.1.3.3: other types are base64 */
  }
  if (mode && strcmp(mode, "escaped") == 0 && m == TM_TEXT && type && strstr(type, "plain") == NULL)
    m = TM_HTML;
  if (mode && strcmp(mode, "escaped") == 0 && !type)
    m = TM_HTML;
  if (mode && strcmp(mode, "base64") == 0) {
    s->next_base64 = true; /* Atom 0.3: decoded at the end, then read as `type` says */
    s->next_base64_raw |= !type;
    if (m == TM_XHTML)
      m = TM_HTML;
  }
  free(type);
  free(mode);
  return m;
}

void parse__start_capture(struct sax_state *s, enum field f, enum textmode mode, bool meta) {
  s->cap_field = f;
  s->cap_depth = s->depth;
  s->cap_mode = mode;
  s->cap_meta = meta;
  s->cap_truncated = false;
  s->cap_wrapper_depth = 0;
  s->cap_had_child = false;
  s->cap_base64 = s->next_base64;
  s->cap_base64_raw = s->next_base64_raw;
  s->next_base64 = s->next_base64_raw = false;
  s->cap_rank = 0;
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
  buf_clear(&raw);
  if (!text || utf8_make_valid(&text) < 0) {
    free(text);
    return;
  }
  buf_reset(&s->cap);
  /* Of untyped or binary base64, feedparser hands out the bytes as they are: markup in a
   * summary or content, text in a plain field. */
  bool as_is = s->cap_base64_raw && (s->cap_field == F_SUMMARY || s->cap_field == F_CONTENT);
  if (s->cap_mode == TM_HTML || as_is)
    (void)buf_append_str(&s->cap, text);
  else
    (void)html_escape(&s->cap, text, strlen(text));
  free(text);
}

static bool is_void(const xmlChar *name) {
  static const char *const v[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                  "link", "meta", "param", "source", "track", "wbr", NULL};
  for (size_t i = 0; v[i]; i++)
    if (parse__eq(name, v[i]))
      return true;
  return false;
}

/* Atom's xhtml <div> wrapper, which is not content. TypePad wrote it inside type="html" too
 * (escaped markup in an xhtml div): there it is a wrapper when it is all the field holds. */
static bool wrapper_div(const struct sax_state *s, const xmlChar *name, enum ns ns) {
  if (s->depth != s->cap_depth + 1 || ns != NS_XHTML || !parse__eq(name, "div") ||
      s->cap_wrapper_depth != 0)
    return false;
  if (s->cap_mode == TM_XHTML)
    return true;
  if (s->cap_mode != TM_HTML || !s->atom || s->cap_had_child)
    return false; /* the field's first element only: the scan below runs once a field */
  for (size_t i = 0; i < s->cap.len; i++)
    if (!isspace((unsigned char)s->cap.data[i]))
      return false;
  return true;
}

/* A child element inside a field: markup to keep (xhtml content, raw HTML in RSS). */
void parse__cap_start_tag(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                          const xmlChar **a) {
  /* Markup inside text (Atom's "naked markup") is kept as markup, its text escaped, as
   * feedparser does; plain fields drop it again when they are flattened. */
  bool wrapper = wrapper_div(s, name, ns);
  s->cap_had_child = true;
  if (wrapper) {
    s->cap_wrapper_depth = s->depth; /* Atom's required wrapper is not content */
    return;
  }
  cap_raw(s, "<", 1);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  for (int i = 0; i < na; i++) {
    char *v = parse__attr_value(s, a, i);
    cap_raw(s, " ", 1);
    if (a[i * 5 + 1]) { /* xlink:href in SVG and MathML keeps its prefix, as HTML reads it */
      cap_raw(s, (const char *)a[i * 5 + 1], strlen((const char *)a[i * 5 + 1]));
      cap_raw(s, ":", 1);
    }
    cap_raw(s, (const char *)a[i * 5], strlen((const char *)a[i * 5]));
    cap_raw(s, "=\"", 2);
    if (v && !s->cap_truncated && html_escape(&s->cap, v, strlen(v)) < 0)
      cap_overflow(s);
    cap_raw(s, "\"", 1);
    free(v);
  }
  cap_raw(s, ">", 1);
}

void parse__cap_end_tag(struct sax_state *s, const xmlChar *name) {
  if (is_void(name))
    return;
  if (s->cap_wrapper_depth == s->depth) {
    s->cap_wrapper_depth = 0;
    return;
  }
  cap_raw(s, "</", 2);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  cap_raw(s, ">", 1);
}

static char *cap_html_text(struct sax_state *s);

/* True when "<!" at t (n bytes on) opens what HTML reads as markup: a comment, CDATA or a
 * DOCTYPE. Anything else ("<!' ...") an HTML parser takes for a bogus comment that swallows
 * the text after it, up to the next '>'. */
static bool markup_decl(const char *t, size_t n) {
  return (n >= 4 && memcmp(t, "<!--", 4) == 0) || (n >= 9 && memcmp(t, "<![CDATA[", 9) == 0) ||
         (n >= 9 && strncasecmp(t, "<!DOCTYPE", 9) == 0);
}

/* html with each "<!" that opens no markup escaped ("&lt;!"), as feedparser gives it, so the
 * text after it is not lost to a bogus comment. Takes html. */
static char *escape_bogus_decl(char *html) {
  if (!html)
    return NULL;
  /* strchr for '!', rarer in HTML than '<' (not memmem: glibc's steps a byte at a time for a
   * two-byte needle), and this runs on every summary */
  const char *p = html;
  while ((p = strchr(p, '!')) != NULL &&
         (p == html || p[-1] != '<' || markup_decl(p - 1, strnlen(p - 1, 9))))
    p++;
  if (!p)
    return html;
  size_t n = strlen(html);
  struct buf b;
  buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES + 64);
  for (size_t i = 0; i < n; i++) {
    int r = html[i] == '<' && i + 1 < n && html[i + 1] == '!' && !markup_decl(html + i, n - i)
                ? buf_append_str(&b, "&lt;")
                : buf_append_char(&b, html[i]);
    if (r < 0) {
      buf_clear(&b);
      return html; /* out of memory or over the cap: the field as it was */
    }
  }
  free(html);
  return buf_steal(&b);
}

/* The collected field, trimmed, as HTML. */
static char *cap_html(struct sax_state *s) { return escape_bogus_decl(cap_html_text(s)); }

/* The collected field, trimmed, as HTML, before escape_bogus_decl. */
static char *cap_html_text(struct sax_state *s) {
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
 * URL (as feedparser does). Takes html. With content_links_raw they stay as written and the
 * item records the base instead (the content's wins over the summary's). */
static char *absolute_links(struct sax_state *s, char *html, bool content) {
  const char *base = parse__content_base(s);
  if (parse__content_links_raw(s->p) && html && base) {
    if (!content && s->item.content_base)
      return html;
    char *copy = strdup(base);
    if (copy) { /* else resolved here after all: out of memory must not leave links relative */
      free(s->item.content_base);
      s->item.content_base = copy;
      s->item.content_base_explicit = parse__content_base_explicit(s);
      return html;
    }
  }
  char *fixed = NULL;
  if (html && html_resolve_links(html, strlen(html), base, &fixed) == 0 && fixed) {
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

void parse__set_once(char **dst, char *v) {
  if (!*dst && v && *v)
    *dst = v;
  else
    free(v);
}

/* Stores the collected date in *dst unless one of a higher rank is there (see parse_vocab.c:
 * of equal rank, the last wins). */
static void set_date(struct sax_state *s, int64_t *dst, bool *has, int *rank, const char *name) {
  char *text = cap_plain(s);
  if (!text)
    return;
  int64_t t;
  char err[160];
  if (*text && date_parse(text, &t, err, sizeof err) == 0) {
    if (!*has || s->cap_rank >= *rank) {
      *dst = t;
      *has = true;
      *rank = s->cap_rank;
    }
  } else if (*text) {
    if (s->cap_meta)
      parse__error(s->p, "line %d: feed %s: %s", xmlSAX2GetLineNumber(s->ctxt), name, err);
    else
      parse__error(s->p, "line %d: item %zu: %s: %s", xmlSAX2GetLineNumber(s->ctxt),
                   parse__item_number(s), name, err);
  }
  free(text);
}

static bool valid_utf8(const unsigned char *t, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = t[i];
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || len > n - i)
      return false;
    for (size_t k = 1; k < len; k++)
      if ((t[i + k] & 0xC0) != 0x80)
        return false;
    if ((c == 0xE0 && t[i + 1] < 0xA0) || (c == 0xED && t[i + 1] > 0x9F) ||
        (c == 0xF0 && t[i + 1] < 0x90) || (c == 0xF4 && t[i + 1] > 0x8F))
      return false; /* overlong, surrogate, beyond U+10FFFF */
    i += len;
  }
  return true;
}

/* UTF-8 that went through latin-1 once more ("Ã©" for "é", "&#226;&#128;&#166;" for "…"):
 * when every character of a field is below U+0100, some above U+007F, and their values as
 * bytes are valid UTF-8, those bytes are the text. feedparser repairs it the same way, and
 * real text made only of latin-1 letters almost never forms valid UTF-8. */
static void fix_double_utf8(struct buf *b) {
  const unsigned char *t = (const unsigned char *)buf_str(b);
  size_t n = b->len;
  bool high = false;
  for (size_t i = 0; i < n; i++) {
    while (n - i >= 8 && !swar_has_high(swar_load(t + i)))
      i += 8; /* ASCII, eight bytes at a time: most fields are */
    if (i >= n)
      break;
    if (t[i] < 0x80)
      continue;
    if (t[i] != 0xC2 && t[i] != 0xC3)
      return; /* a character above U+00FF: real UTF-8 */
    if (!high) {
      /* The first such character must be a UTF-8 lead byte and the next one a continuation
       * byte (U+0080..U+00BF): real latin-1 text fails here, at once. */
      unsigned v = ((t[i] & 0x03u) << 6) | (t[i + 1] & 0x3Fu);
      if (v < 0xC2 || v > 0xF4 || i + 3 >= n || t[i + 2] != 0xC2 || t[i + 3] > 0xBF)
        return;
      high = true;
    }
    i++;
  }
  if (!high)
    return;
  char *bytes = malloc(n);
  if (!bytes)
    return;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i] < 0x80 || i + 1 == n) {
      bytes[m++] = (char)t[i];
    } else { /* U+0080..U+00FF, as the byte of the same value */
      bytes[m++] = (char)(((t[i] & 0x03) << 6) | (t[i + 1] & 0x3F));
      i++;
    }
  }
  if (valid_utf8((const unsigned char *)bytes, m)) {
    buf_reset(b);
    (void)buf_append(b, bytes, m);
  }
  free(bytes);
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
  } else if (open && t[n - 1] == ')' && at > open) { /* Name (email) */
    from = t;
    len = (size_t)(open - t);
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

/* <link>: the best-ranked link so far, resolved against the base. */
static void end_link(struct sax_state *s, struct feed_meta *m, bool meta) {
  char *t = cap_plain(s);
  if (t && *t && (meta ? s->meta_link_rank : s->link_rank) < 3) {
    char *abs = parse__resolve(t, parse__link_base(s, meta));
    if (abs) {
      char **dst = meta ? &m->link : &s->item.link;
      free(*dst);
      *dst = abs;
      *(meta ? &s->meta_link_rank : &s->link_rank) = 3;
    }
  }
  free(t);
}

/* <guid>/<id>: kept as the id; a permalink guid is also the item's link of last resort. */
static void end_id(struct sax_state *s, struct feed_meta *m, bool meta) {
  char *t = cap_plain(s);
  if (t && *t && !meta && s->cap_permalink && !s->guid_link &&
      (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0))
    s->guid_link = strdup(t);
  parse__set_once(meta ? &m->id : &s->item.id, t);
}

static void end_category(struct sax_state *s) {
  char *t = cap_plain(s);
  if (t && parse__add_category(s->p, &s->item, t) < 0)
    parse__xml_stop(s->p, -ENOMEM);
  free(t);
}

/* <image>/<icon>: an absolute URL, or nothing. */
static void end_image(struct sax_state *s, struct feed_meta *m, enum field f) {
  char *t = cap_plain(s);
  char *abs = t && *t ? parse__resolve(t, parse__link_base(s, false)) : NULL;
  parse__set_once(f == F_IMAGE ? &m->image : &s->meta_icon, abs);
  free(t);
}

/* <ttl>: minutes, a whole number; the first one counts. */
static void end_ttl(struct sax_state *s, struct feed_meta *m) {
  char *t = cap_plain(s);
  char *end;
  long v = t ? strtol(t, &end, 10) : 0;
  if (t && end != t && *end == '\0' && v >= 0 && !m->has_ttl) {
    m->ttl = v;
    m->has_ttl = true;
  }
  free(t);
}

void parse__end_capture(struct sax_state *s) {
  struct feed_meta *m = parse__meta_mut(s->p);
  if (s->cap_base64)
    decode_base64_capture(s);
  if (strcmp(m->encoding ? m->encoding : "utf-8", "utf-8") == 0)
    fix_double_utf8(&s->cap);
  fix_c1(&s->cap);
  struct feed_item *it = &s->item;
  bool meta = s->cap_meta;
  enum field f = s->cap_field;
  s->cap_field = F_NONE;
  switch (f) {
  case F_TITLE:
    parse__set_once(meta ? &m->title : &it->title, cap_plain(s));
    break;
  case F_SUBTITLE:
    parse__set_once(&m->subtitle, cap_plain(s));
    break;
  case F_LINK:
    end_link(s, m, meta);
    break;
  case F_ID:
    end_id(s, m, meta);
    break;
  case F_SUMMARY:
    parse__set_once(&it->summary, absolute_links(s, cap_html(s), false));
    break;
  case F_CONTENT:
    parse__set_once(&it->content, absolute_links(s, cap_html(s), true));
    break;
  case F_AUTHOR:
    parse__set_once(meta ? &m->author : &it->author, person_name(cap_plain(s)));
    break;
  case F_MEDIA_TITLE:
    parse__set_once(&s->media_title, cap_plain(s));
    break;
  case F_MEDIA_SUMMARY:
    parse__set_once(&s->media_summary, absolute_links(s, cap_html(s), false));
    break;
  case F_AUTHOR_NAME:
    parse__set_once(&s->author_name, cap_plain(s));
    break;
  case F_AUTHOR_EMAIL:
    parse__set_once(&s->author_email, cap_plain(s));
    break;
  case F_PUBLISHED:
    if (meta)
      set_date(s, &s->meta_pub, &s->meta_has_pub, &s->meta_pub_rank, "published");
    else
      set_date(s, &it->published, &it->has_published, &s->pub_rank, "published");
    break;
  case F_UPDATED:
    if (meta)
      set_date(s, &m->updated, &m->has_updated, &s->meta_upd_rank, "updated");
    else
      set_date(s, &it->updated, &it->has_updated, &s->upd_rank, "updated");
    break;
  case F_CATEGORY:
    end_category(s);
    break;
  case F_LANGUAGE:
    parse__set_once(&m->language, cap_plain(s));
    break;
  case F_IMAGE:
  case F_ICON:
    end_image(s, m, f);
    break;
  case F_TTL:
    end_ttl(s, m);
    break;
  case F_NONE:
    break;
  }
}

