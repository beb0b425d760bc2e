/* htmllinks.c — absolute links inside HTML fragments (see htmllinks.h). */
#include "htmllinks.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>
#include <libxml/xmlversion.h>

#include "buf.h"

static const char *const url_attrs[] = {"href",   "src",      "cite",       "action",
                                        "poster", "longdesc", "background", NULL};

static bool is_url_attr(const char *name, size_t n) {
  for (size_t i = 0; url_attrs[i]; i++)
    if (strlen(url_attrs[i]) == n && strncasecmp(name, url_attrs[i], n) == 0)
      return true;
  return false;
}

static bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/* True when v starts with a URI scheme and ':' (RFC 3986: ALPHA *(ALPHA / DIGIT / "+" / "-" /
 * "."). Up to libxml2 2.13 xmlBuildURI hands such a reference back as written (parsed with its
 * scheme: copied; not parsable: NULL, also kept as written), so it needs no parsing; later
 * versions remove dot segments from it, so there every reference goes through xmlBuildURI. */
static bool kept_as_written(const char *v, size_t n) {
#if LIBXML_VERSION < 21400
  if (n == 0 || !alpha(v[0]))
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = v[i];
    if (c == ':')
      return true;
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
      return false;
  }
#else
  (void)v;
  (void)n;
#endif
  return false;
}

static bool has_high(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80)
      return true;
  return false;
}

/* True when s holds a percent-escape of a byte above 0x7F: then decoding ours again after
 * xmlBuildURI could not tell them from the reference's own. */
static bool has_high_escape(const char *s) {
  for (; *s; s++)
    if (s[0] == '%' && s[1] && strchr("89abcdefABCDEF", s[1]) && isxdigit((unsigned char)s[2]))
      return true;
  return false;
}

static char *escape_high(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1), *o = out;
  if (!out)
    return NULL;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x80) {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    } else
      *o++ = (char)c;
  }
  *o = '\0';
  return out;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

char *html_build_uri(const char *ref, const char *base) {
  if (!has_high(ref) && !has_high(base)) {
    xmlChar *abs = xmlBuildURI((const xmlChar *)ref, (const xmlChar *)base);
    char *out = abs ? strdup((const char *)abs) : NULL;
    xmlFree(abs);
    return out;
  }
  char *r = escape_high(ref), *b = escape_high(base);
  xmlChar *abs = r && b ? xmlBuildURI((const xmlChar *)r, (const xmlChar *)b) : NULL;
  bool decode = !has_high_escape(ref) && !has_high_escape(base);
  free(r);
  free(b);
  if (!abs)
    return NULL;
  char *out = strdup((const char *)abs);
  xmlFree(abs);
  if (!out || !decode)
    return out;
  char *o = out;
  for (const char *c = out; *c; c++) {
    if (c[0] == '%' && c[1] && strchr("89ABCDEF", c[1]) && c[2] &&
        strchr("0123456789ABCDEF", c[2])) {
      *o++ = (char)(hexval(c[1]) << 4 | hexval(c[2]));
      c += 2;
    } else
      *o++ = *c;
  }
  *o = '\0';
  return out;
}

/* Appends value resolved against base; 1 if it changed, 0 if not, -ENOMEM. */
static int put_resolved(struct buf *out, const char *v, size_t n, const char *base) {
  if (kept_as_written(v, n)) /* most links in feeds: absolute already, and this is hot */
    return buf_append(out, v, n) < 0 ? -ENOMEM : 0;
  char *raw = strndup(v, n);
  if (!raw)
    return -ENOMEM;
  char *abs = html_build_uri(raw, base);
  int changed = abs && strcmp(abs, raw) != 0;
  int r = buf_append_str(out, changed ? abs : raw);
  free(abs);
  free(raw);
  return r < 0 ? r : changed;
}

int html_resolve_links(const char *html, size_t len, const char *base, char **ret_html) {
  *ret_html = NULL;
  if (!base || !*base || !memchr(html, '<', len))
    return 0;
  struct buf out;
  buf_init(&out, 0);
  size_t i = 0, copied = 0;
  bool changed = false;
  int r = 0;
  while (i < len && r >= 0) {
    const char *lt = memchr(html + i, '<', len - i);
    if (!lt)
      break;
    i = (size_t)(lt - html) + 1;
    if (i + 2 < len && html[i] == '!' && html[i + 1] == '-' && html[i + 2] == '-') {
      const char *end = memmem(html + i, len - i, "-->", 3);
      i = end ? (size_t)(end - html) + 3 : len;
      continue;
    }
    if (i >= len || !alpha(html[i]))
      continue;
    while (i < len && !space(html[i]) && html[i] != '>' && html[i] != '/')
      i++;
    /* attributes, up to the end of the tag */
    while (i < len && html[i] != '>' && r >= 0) {
      if (space(html[i]) || html[i] == '/') {
        i++;
        continue;
      }
      size_t name = i;
      while (i < len && !space(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/')
        i++;
      size_t name_len = i - name;
      while (i < len && space(html[i]))
        i++;
      if (i >= len || html[i] != '=')
        continue;
      i++;
      while (i < len && space(html[i]))
        i++;
      size_t v = i, vlen;
      if (i < len && (html[i] == '"' || html[i] == '\'')) {
        char q = html[i];
        const char *end = memchr(html + i + 1, q, len - i - 1);
        v = i + 1;
        vlen = end ? (size_t)(end - html) - v : len - v;
        i = v + vlen + (end ? 1 : 0);
      } else {
        while (i < len && !space(html[i]) && html[i] != '>')
          i++;
        vlen = i - v;
      }
      if (vlen == 0 || !is_url_attr(html + name, name_len))
        continue;
      if ((r = buf_append(&out, html + copied, v - copied)) < 0)
        break;
      r = put_resolved(&out, html + v, vlen, base);
      changed |= r > 0;
      copied = v + vlen;
    }
  }
  if (r >= 0 && changed && (r = buf_append(&out, html + copied, len - copied)) >= 0) {
    *ret_html = buf_steal(&out);
    if (!*ret_html)
      r = -ENOMEM;
  }
  buf_clear(&out);
  return r < 0 ? r : 0;
}
