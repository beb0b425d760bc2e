/* htmltext.c — HTML fragment to plain text (see htmltext.h).
 *
 * A single forward scan with no backtracking beyond the current tag, so the cost is linear
 * in the input. Tags are recognised the way browsers tokenise them ('<' then a letter, '/'
 * or '!'); a lone '<' ("a < b") stays text.
 */
#include "htmltext.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entities.h"

/* Elements after which text starts on a new line. */
static const char *const block_tags[] = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tr", "ul", "td", "th", "caption", "tbody", "thead",
    NULL};

static bool is_block(const char *name) {
  for (size_t i = 0; block_tags[i]; i++)
    if (strcmp(name, block_tags[i]) == 0)
      return true;
  return false;
}

struct out {
  char *s;
  size_t len, cap;
  bool truncated;
  int pending;          /* 0 none, 1 a space, 2 a line break is owed before the next text */
  bool single_line;
};

static void put(struct out *o, const char *s, size_t n) {
  if (o->truncated)
    return;
  if (o->pending && o->len > 0) {
    char sep = (o->pending == 2 && !o->single_line) ? '\n' : ' ';
    if (o->len + 1 > o->cap) {
      o->truncated = true;
      return;
    }
    o->s[o->len++] = sep;
  }
  o->pending = 0;
  if (o->len + n > o->cap) {
    /* cut at a UTF-8 boundary */
    size_t room = o->cap - o->len;
    while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
      room--;
    n = room;
    o->truncated = true;
  }
  memcpy(o->s + o->len, s, n);
  o->len += n;
}

static void space(struct out *o, int kind) {
  if (kind > o->pending)
    o->pending = kind;
}

/* Reads the tag name at s[i] (after '<' or '</'), lower-cased into name. */
static size_t tag_name(const char *s, size_t len, size_t i, char name[16]) {
  size_t n = 0;
  while (i < len) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == ':'))
      break;
    if (n < 15)
      name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    i++;
  }
  name[n] = '\0';
  return i;
}

/* Index just past the '>' that ends the tag begun at s[i], honouring quoted attributes. */
static size_t tag_end(const char *s, size_t len, size_t i) {
  char quote = 0;
  for (; i < len; i++) {
    char c = s[i];
    if (quote) {
      if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'')
      quote = c;
    else if (c == '>')
      return i + 1;
  }
  return len;
}

static bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* A decoded entity: white space (and &nbsp;) separates words, anything else is text. */
static void put_decoded(struct out *o, const char *u, size_t ulen) {
  if (ulen == 1 && (u[0] == ' ' || u[0] == '\n' || u[0] == '\t' || u[0] == '\r'))
    space(o, 1);
  else if (ulen == 2 && (unsigned char)u[0] == 0xC2 && (unsigned char)u[1] == 0xA0)
    space(o, 1); /* &nbsp; is a space in plain text */
  else
    put(o, u, ulen);
}

/* Markup starting at html[i] == '<': skips a comment, a tag, or a script/style/head/title
 * element whole, notes the separator a block or cell tag makes; returns the index after. */
static size_t markup(struct out *o, const char *html, size_t len, size_t i) {
  if (html[i + 1] == '!' && i + 3 < len && html[i + 2] == '-' && html[i + 3] == '-') {
    const char *e = memmem(html + i + 4, len - i - 4, "-->", 3);
    return e ? (size_t)(e - html) + 3 : len;
  }
  bool closing = html[i + 1] == '/';
  char name[16];
  size_t after = tag_name(html, len, i + (closing ? 2 : 1), name);
  i = tag_end(html, len, after);
  if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
                   strcmp(name, "head") == 0 || strcmp(name, "title") == 0)) {
    /* skip to the matching end tag: its content is not text */
    char endtag[20] = "</";
    strcat(endtag, name);
    size_t el = strlen(endtag);
    size_t j = i;
    while (j + el <= len && strncasecmp(html + j, endtag, el) != 0) {
      const char *lt = memchr(html + j + 1, '<', len - j - 1);
      j = lt ? (size_t)(lt - html) : len;
    }
    return j < len ? tag_end(html, len, j) : len;
  }
  if (is_block(name))
    space(o, 2);
  else if (strcmp(name, "img") == 0 || strcmp(name, "td") == 0)
    space(o, 1);
  return i;
}

int htmltext(const char *html, size_t len, int single_line, size_t cap, char **ret_text,
             int *ret_truncated) {
  struct out o = {.cap = cap ? cap : len, .single_line = single_line != 0};
  if (cap && o.cap > len * 4 + 16)
    o.cap = len * 4 + 16; /* never more than the input could decode to */
  if (!cap && o.cap < 16)
    o.cap = 16;
  o.s = malloc(o.cap + 1);
  if (!o.s)
    return -ENOMEM;
  size_t i = 0, run = 0; /* run: start of pending literal text */
  bool in_run = false;
#define FLUSH()                                                                                  \
  do {                                                                                           \
    if (in_run) {                                                                                \
      put(&o, html + run, i - run);                                                              \
      in_run = false;                                                                            \
    }                                                                                            \
  } while (0)
  while (i < len) {
    unsigned char c = (unsigned char)html[i];
    if (c == '<' && i + 1 < len && (alpha(html[i + 1]) || html[i + 1] == '/' ||
                                    html[i + 1] == '!' || html[i + 1] == '?')) {
      FLUSH();
      i = markup(&o, html, len, i);
      continue;
    }
    if (c == '&') {
      char u[UTF8_MAX];
      size_t ulen;
      size_t used = entity_decode(html + i, len - i, u, &ulen);
      if (used) {
        FLUSH();
        put_decoded(&o, u, ulen);
        i += used;
        continue;
      }
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      FLUSH();
      space(&o, 1);
      i++;
      continue;
    }
    if (!in_run) {
      run = i;
      in_run = true;
    }
    i++;
  }
  FLUSH();
#undef FLUSH
  while (o.len > 0 && (o.s[o.len - 1] == ' ' || o.s[o.len - 1] == '\n'))
    o.len--; /* a separator a cut left at the end */
  o.s[o.len] = '\0';
  *ret_text = o.s;
  if (ret_truncated)
    *ret_truncated = o.truncated;
  return 0;
}

int html_escape(struct buf *out, const char *s, size_t len) {
  size_t run = 0;
  int r;
  for (size_t i = 0; i < len; i++) {
    const char *rep;
    switch (s[i]) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    default: continue;
    }
    if ((r = buf_append(out, s + run, i - run)) < 0 || (r = buf_append_str(out, rep)) < 0)
      return r;
    run = i + 1;
  }
  return buf_append(out, s + run, len - run);
}
