/* sanitize.c — allow-list rewriting of untrusted HTML. See sanitize.h.
 *
 * The tree libxml2's HTML parser builds is written back by hand rather than with libxml2's
 * serialiser: what reaches the output is exactly what the tables below name, every text and
 * attribute value is escaped here, and the output is balanced because it is written from a
 * tree. Browsers' own parsing quirks (mXSS) cannot revive anything, since no raw-text element
 * (script, style, xmp, textarea, svg, math, ...) is ever written.
 */
#include "sanitize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include "bounds.h"

/* What happens to an element. Unlisted elements are unwrapped: tags gone, content kept. */
enum action {
  ACT_UNWRAP,
  ACT_KEEP,   /* written with its allowed attributes */
  ACT_VOID,   /* written as a void element (no content, no end tag) */
  ACT_DROP,   /* dropped with everything inside */
  ACT_IFRAME, /* kept only as a sandboxed embed from an allowed host, else dropped */
};

struct element_rule {
  const char *name;
  enum action action;
  const char *const *attrs; /* allowed attributes beyond the global ones, NULL-terminated */
};

static const char *const no_attrs[] = {NULL};
static const char *const a_attrs[] = {"href", "hreflang", NULL};
static const char *const img_attrs[] = {"src", "srcset", "alt", "width", "height", NULL};
static const char *const cite_attrs[] = {"cite", NULL};
static const char *const del_attrs[] = {"cite", "datetime", NULL};
static const char *const cell_attrs[] = {"colspan", "rowspan", "headers", "scope", "abbr", NULL};
static const char *const col_attrs[] = {"span", NULL};
static const char *const ol_attrs[] = {"start", "reversed", "type", NULL};
static const char *const li_attrs[] = {"value", NULL};
static const char *const time_attrs[] = {"datetime", NULL};
static const char *const media_attrs[] = {"src", "poster", "controls", "width", "height",
                                          "preload", NULL};
static const char *const source_attrs[] = {"src", "srcset", "type", "media", NULL};
static const char *const iframe_attrs[] = {"src", "width", "height", "allowfullscreen", NULL};
static const char *const details_attrs[] = {"open", NULL};

/* Sorted by name for bsearch. */
static const struct element_rule element_rules[] = {
    {"a", ACT_KEEP, a_attrs},
    {"abbr", ACT_KEEP, no_attrs},
    {"acronym", ACT_KEEP, no_attrs},
    {"address", ACT_KEEP, no_attrs},
    {"applet", ACT_DROP, NULL},
    {"article", ACT_KEEP, no_attrs},
    {"aside", ACT_KEEP, no_attrs},
    {"audio", ACT_KEEP, media_attrs},
    {"b", ACT_KEEP, no_attrs},
    {"base", ACT_DROP, NULL},
    {"basefont", ACT_DROP, NULL},
    {"bdi", ACT_KEEP, no_attrs},
    {"bdo", ACT_KEEP, no_attrs},
    {"big", ACT_KEEP, no_attrs},
    {"blockquote", ACT_KEEP, cite_attrs},
    {"br", ACT_VOID, no_attrs},
    {"button", ACT_DROP, NULL},
    {"caption", ACT_KEEP, no_attrs},
    {"cite", ACT_KEEP, no_attrs},
    {"code", ACT_KEEP, no_attrs},
    {"col", ACT_VOID, col_attrs},
    {"colgroup", ACT_KEEP, col_attrs},
    {"datalist", ACT_DROP, NULL},
    {"dd", ACT_KEEP, no_attrs},
    {"del", ACT_KEEP, del_attrs},
    {"details", ACT_KEEP, details_attrs},
    {"dfn", ACT_KEEP, no_attrs},
    {"dialog", ACT_DROP, NULL},
    {"div", ACT_KEEP, no_attrs},
    {"dl", ACT_KEEP, no_attrs},
    {"dt", ACT_KEEP, no_attrs},
    {"em", ACT_KEEP, no_attrs},
    {"embed", ACT_DROP, NULL},
    {"figcaption", ACT_KEEP, no_attrs},
    {"figure", ACT_KEEP, no_attrs},
    {"footer", ACT_KEEP, no_attrs},
    {"frame", ACT_DROP, NULL},
    {"frameset", ACT_DROP, NULL},
    {"h1", ACT_KEEP, no_attrs},
    {"h2", ACT_KEEP, no_attrs},
    {"h3", ACT_KEEP, no_attrs},
    {"h4", ACT_KEEP, no_attrs},
    {"h5", ACT_KEEP, no_attrs},
    {"h6", ACT_KEEP, no_attrs},
    {"head", ACT_DROP, NULL},
    {"header", ACT_KEEP, no_attrs},
    {"hr", ACT_VOID, no_attrs},
    {"i", ACT_KEEP, no_attrs},
    {"iframe", ACT_IFRAME, iframe_attrs},
    {"img", ACT_VOID, img_attrs},
    {"input", ACT_DROP, NULL},
    {"ins", ACT_KEEP, del_attrs},
    {"isindex", ACT_DROP, NULL},
    {"kbd", ACT_KEEP, no_attrs},
    {"keygen", ACT_DROP, NULL},
    {"li", ACT_KEEP, li_attrs},
    {"link", ACT_DROP, NULL},
    {"main", ACT_KEEP, no_attrs},
    {"mark", ACT_KEEP, no_attrs},
    {"math", ACT_DROP, NULL},
    {"meta", ACT_DROP, NULL},
    {"noembed", ACT_DROP, NULL},
    {"noframes", ACT_DROP, NULL},
    {"object", ACT_DROP, NULL},
    {"ol", ACT_KEEP, ol_attrs},
    {"optgroup", ACT_DROP, NULL},
    {"option", ACT_DROP, NULL},
    {"p", ACT_KEEP, no_attrs},
    {"param", ACT_DROP, NULL},
    {"picture", ACT_KEEP, no_attrs},
    {"plaintext", ACT_DROP, NULL},
    {"pre", ACT_KEEP, no_attrs},
    {"q", ACT_KEEP, cite_attrs},
    {"rp", ACT_KEEP, no_attrs},
    {"rt", ACT_KEEP, no_attrs},
    {"ruby", ACT_KEEP, no_attrs},
    {"s", ACT_KEEP, no_attrs},
    {"samp", ACT_KEEP, no_attrs},
    {"script", ACT_DROP, NULL},
    {"section", ACT_KEEP, no_attrs},
    {"select", ACT_DROP, NULL},
    {"small", ACT_KEEP, no_attrs},
    {"source", ACT_VOID, source_attrs},
    {"span", ACT_KEEP, no_attrs},
    {"strike", ACT_KEEP, no_attrs},
    {"strong", ACT_KEEP, no_attrs},
    {"style", ACT_DROP, NULL},
    {"sub", ACT_KEEP, no_attrs},
    {"summary", ACT_KEEP, no_attrs},
    {"sup", ACT_KEEP, no_attrs},
    {"svg", ACT_DROP, NULL},
    {"table", ACT_KEEP, no_attrs},
    {"tbody", ACT_KEEP, no_attrs},
    {"td", ACT_KEEP, cell_attrs},
    {"template", ACT_DROP, NULL},
    {"textarea", ACT_DROP, NULL},
    {"tfoot", ACT_KEEP, no_attrs},
    {"th", ACT_KEEP, cell_attrs},
    {"thead", ACT_KEEP, no_attrs},
    {"time", ACT_KEEP, time_attrs},
    {"title", ACT_DROP, NULL},
    {"tr", ACT_KEEP, no_attrs},
    {"track", ACT_DROP, NULL},
    {"tt", ACT_KEEP, no_attrs},
    {"u", ACT_KEEP, no_attrs},
    {"ul", ACT_KEEP, no_attrs},
    {"var", ACT_KEEP, no_attrs},
    {"video", ACT_KEEP, media_attrs},
    {"wbr", ACT_VOID, no_attrs},
    {"xmp", ACT_DROP, NULL},
};

/* Allowed on every kept element. No id (DOM clobbering), class or style (the page's look). */
static const char *const global_attrs[] = {"title", "lang", "dir", NULL};

/* Hosts whose https iframes are kept: video players people embed in live blogs. */
static const char *const iframe_hosts[] = {
    "www.youtube.com",          "youtube.com",          "www.youtube-nocookie.com",
    "youtube-nocookie.com",     "player.vimeo.com",
};

/* Schemes a link or a resource may use; everything else (javascript:, vbscript:, data:,
 * file:, and any scheme not known to be inert) is dropped. */
static const char *const url_schemes[] = {"http", "https", "mailto", "ftp", "tel"};

/* Image types that cannot carry script, for data: URLs in img src. Not svg+xml. */
static const char *const data_image_types[] = {"data:image/png", "data:image/gif",
                                               "data:image/jpeg", "data:image/webp"};

/* bsearch comparison: element names are matched without regard to case. */
static int rule_cmp(const void *key, const void *elem) {
  return strcasecmp(key, ((const struct element_rule *)elem)->name);
}

/* The rule for an element name, or NULL for an unlisted element. */
static const struct element_rule *rule_for(const char *name) {
  return bsearch(name, element_rules, sizeof element_rules / sizeof element_rules[0],
                 sizeof element_rules[0], rule_cmp);
}

/* Whether name (any case) is in the NULL-terminated list. */
static bool in_list(const char *const *list, const char *name) {
  for (; list && *list; list++)
    if (strcasecmp(*list, name) == 0)
      return true;
  return false;
}

/* ---- UTF-8 ----------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0; /* overlong or beyond Unicode */
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
    return 0; /* surrogates and non-characters XML refuses */
  return n;
}

int sanitize_utf8(const char *s, size_t len, struct buf *out) {
  const unsigned char *p = (const unsigned char *)s;
  size_t start = 0, i = 0;
  int r;
  while (i < len) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      i++;
      continue;
    }
    size_t n;
    if (c == '\t' || c == '\n' || c == '\r')
      n = 1;
    else if (c < 0x20 || c == 0x7f)
      n = 0; /* a control character XML refuses: dropped */
    else
      n = utf8_seq_len(p + i, len - i);
    if (n) {
      i += n;
      continue;
    }
    if ((r = buf_append(out, s + start, i - start)) < 0)
      return r;
    if (c >= 0x80 && (r = buf_append_str(out, "\xef\xbf\xbd")) < 0)
      return r;
    i++;
    start = i;
  }
  return buf_append(out, s + start, len - start);
}

/* ---- escaping -------------------------------------------------------------------------- */

/* Quotes only need escaping inside attribute values; text keeps them readable. */
static int append_escaped(struct buf *out, const char *s, bool attribute) {
  const char *run = s;
  int r;
  for (; *s; s++) {
    const char *rep;
    switch (*s) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = attribute ? "&quot;" : NULL; break;
    case '\'': rep = attribute ? "&#39;" : NULL; break;
    default: rep = NULL;
    }
    if (!rep)
      continue;
    if ((r = buf_append(out, run, (size_t)(s - run))) < 0 || (r = buf_append_str(out, rep)) < 0)
      return r;
    run = s + 1;
  }
  return buf_append_str(out, run);
}

int sanitize_text(const char *s, size_t len, struct buf *out) {
  struct buf clean;
  buf_init(&clean, 0);
  int r = sanitize_utf8(s, len, &clean);
  if (r == 0)
    r = append_escaped(out, buf_str(&clean), true);
  buf_clear(&clean);
  return r;
}

/* ---- URLs ------------------------------------------------------------------------------ */

/* Length of the scheme at the start of url ("" -> 0 when it has none). */
static size_t scheme_len(const char *url) {
  size_t i = 0;
  if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
    return 0;
  while (url[i] && (((url[i] | 0x20) >= 'a' && (url[i] | 0x20) <= 'z') ||
                    (url[i] >= '0' && url[i] <= '9') || url[i] == '+' || url[i] == '-' ||
                    url[i] == '.'))
    i++;
  return url[i] == ':' ? i : 0;
}

/* Whether s starts with prefix, ignoring ASCII case. */
static bool has_prefix_ci(const char *s, const char *prefix) {
  return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether the scheme url[0..n) may be linked to; data_image admits the inert data:image types. */
static bool scheme_allowed(const char *url, size_t n, bool data_image) {
  for (size_t i = 0; i < sizeof url_schemes / sizeof url_schemes[0]; i++)
    if (strlen(url_schemes[i]) == n && strncasecmp(url, url_schemes[i], n) == 0)
      return true;
  if (!data_image)
    return false;
  for (size_t i = 0; i < sizeof data_image_types / sizeof data_image_types[0]; i++) {
    size_t m = strlen(data_image_types[i]);
    if (has_prefix_ci(url, data_image_types[i]) && (url[m] == ';' || url[m] == ','))
      return true;
  }
  return false;
}

/* Writes the safe, absolute form of raw into out (reset first). 1 if the URL is kept, 0 if
 * it must be dropped, negative on allocation failure. Browsers ignore tabs and newlines
 * anywhere in a URL and strip C0 controls and spaces at its ends, so "jav&#x09;ascript:" is
 * javascript:; the same is done here before the scheme is looked at. */
static int clean_url(const char *raw, const char *base, bool data_image, struct buf *out) {
  buf_reset(out);
  while (*raw && (unsigned char)*raw <= 0x20)
    raw++;
  size_t n = strlen(raw);
  while (n && (unsigned char)raw[n - 1] <= 0x20)
    n--;
  int r;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)raw[i];
    if (c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c < 0x20 || c == 0x7f)
      return 0;
    if ((r = buf_append_char(out, (char)c)) < 0)
      return r;
  }
  const char *url = buf_str(out);
  if (!*url)
    return 0;
  size_t sl = scheme_len(url);
  if (sl)
    return scheme_allowed(url, sl, data_image) ? 1 : 0;
  if (!base)
    return 1; /* relative, and with no base it stays so: it cannot name a scheme */
  xmlChar *abs = xmlBuildURI((const xmlChar *)url, (const xmlChar *)base);
  if (!abs) {
    /* libxml2 refuses references with spaces or non-ASCII bytes; escape and retry. */
    xmlChar *esc = xmlURIEscapeStr((const xmlChar *)url, (const xmlChar *)":/?#[]@!$&'()*+,;=%~");
    if (esc) {
      abs = xmlBuildURI(esc, (const xmlChar *)base);
      xmlFree(esc);
    }
  }
  if (!abs)
    return 0;
  buf_reset(out);
  r = buf_append_str(out, (const char *)abs);
  xmlFree(abs);
  if (r < 0)
    return r;
  url = buf_str(out);
  sl = scheme_len(url);
  return sl && scheme_allowed(url, sl, false) ? 1 : 0;
}

bool sanitize_link_ok(const char *url) {
  if (!url || !(has_prefix_ci(url, "http://") || has_prefix_ci(url, "https://")))
    return false;
  for (const unsigned char *p = (const unsigned char *)url; *p; p++)
    if (*p <= 0x20 || *p == 0x7f)
      return false;
  return true;
}

/* srcset: "url [descriptor], url [descriptor]"; each candidate's URL is cleaned, bad
 * candidates are dropped. 1 if any candidate remains. */
static int clean_srcset(const char *raw, const char *base, struct buf *tmp, struct buf *out) {
  buf_reset(out);
  bool any = false;
  int r;
  while (*raw) {
    while (*raw == ',' || *raw == ' ' || *raw == '\t' || *raw == '\n' || *raw == '\r')
      raw++;
    if (!*raw)
      break;
    size_t ul = strcspn(raw, " \t\n\r,");
    size_t dl = strcspn(raw + ul, ",");
    char *u = strndup(raw, ul);
    if (!u)
      return -ENOMEM;
    r = clean_url(u, base, false, tmp);
    free(u);
    if (r < 0)
      return r;
    if (r == 1) {
      if ((any && (r = buf_append_str(out, ", ")) < 0) ||
          (r = buf_append_str(out, buf_str(tmp))) < 0)
        return r;
      const char *d = raw + ul;
      size_t l = dl;
      while (l && (*d == ' ' || *d == '\t' || *d == '\n' || *d == '\r'))
        d++, l--;
      while (l && (d[l - 1] == ' ' || d[l - 1] == '\t' || d[l - 1] == '\n' || d[l - 1] == '\r'))
        l--;
      if (l && ((r = buf_append_char(out, ' ')) < 0 || (r = buf_append(out, d, l)) < 0))
        return r;
      any = true;
    }
    raw += ul + dl;
  }
  return any ? 1 : 0;
}

/* Attributes whose value is one URL (srcset, a list of them, is handled apart). */
static bool is_url_attr(const char *name) {
  return strcasecmp(name, "href") == 0 || strcasecmp(name, "src") == 0 ||
         strcasecmp(name, "cite") == 0 || strcasecmp(name, "poster") == 0;
}

/* ---- the walk -------------------------------------------------------------------------- */

struct sanitizer {
  const char *base;
  bool media_as_links; /* SANITIZE_MEDIA_AS_LINKS */
  struct buf *out;
  struct buf url;   /* scratch: one cleaned URL */
  struct buf attrs; /* scratch: a srcset */
};

/* An attribute's value with its entities decoded; free with xmlFree. */
static char *attr_value(xmlAttrPtr a) {
  return (char *)xmlNodeGetContent((xmlNodePtr)a);
}

/* The iframe's cleaned src in s->url if it is an https embed from an allowed host. */
static int iframe_allowed(struct sanitizer *s, xmlNodePtr n) {
  xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
  if (!src)
    return 0;
  int r = clean_url((const char *)src, s->base, false, &s->url);
  xmlFree(src);
  if (r <= 0)
    return r;
  if (!has_prefix_ci(buf_str(&s->url), "https://"))
    return 0;
  xmlURIPtr uri = xmlParseURI(buf_str(&s->url));
  if (!uri)
    return 0;
  bool ok = false;
  for (size_t i = 0; uri->server && i < sizeof iframe_hosts / sizeof iframe_hosts[0]; i++)
    ok = ok || strcasecmp(uri->server, iframe_hosts[i]) == 0;
  ok = ok && !uri->user && (uri->port == 0 || uri->port == 443);
  xmlFreeURI(uri);
  return ok ? 1 : 0;
}

/* Writes ` name="value"`, escaped. */
static int write_attr(struct sanitizer *s, const char *name, const char *value) {
  int r;
  if ((r = buf_printf(s->out, " %s=\"", name)) < 0 || (r = append_escaped(s->out, value, true)) < 0)
    return r;
  return buf_append_char(s->out, '"');
}

/* Writes n's attributes that rule and the global list allow, URLs cleaned. */
static int write_attrs(struct sanitizer *s, xmlNodePtr n, const struct element_rule *rule) {
  int r;
  for (xmlAttrPtr a = n->properties; a; a = a->next) {
    const char *name = (const char *)a->name;
    if (a->ns || !(in_list(global_attrs, name) || in_list(rule->attrs, name)))
      continue;
    if (s->media_as_links && strcasecmp(name, "srcset") == 0)
      continue; /* candidates from other hosts; the data: src alone is shown */
    char *v = attr_value(a);
    if (!v)
      return -ENOMEM;
    const char *write = v;
    if (strcasecmp(name, "srcset") == 0) {
      r = clean_srcset(v, s->base, &s->url, &s->attrs);
      write = buf_str(&s->attrs);
    } else if (is_url_attr(name)) {
      bool data_image = strcasecmp(name, "src") == 0 && strcasecmp(rule->name, "img") == 0;
      r = clean_url(v, s->base, data_image, &s->url);
      write = buf_str(&s->url);
    } else {
      r = 1;
    }
    if (r > 0) {
      char lower[32];
      size_t i = 0;
      for (; name[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
      lower[i] = '\0';
      r = write_attr(s, lower, write);
    }
    xmlFree(v);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Elements that load from their src when shown; with SANITIZE_MEDIA_AS_LINKS each becomes a
 * link labelled as here (an img by its alt text first). */
static const struct {
  const char *name, *label;
} media_links[] = {{"audio", "audio"}, {"iframe", "embed"}, {"img", "image"},
                   {"source", "media"}, {"video", "video"}};

/* The link label for rule's element if s turns it into a link, else NULL. */
static const char *media_link_label(const struct sanitizer *s, const struct element_rule *rule) {
  for (size_t i = 0; s->media_as_links && rule && i < sizeof media_links / sizeof media_links[0];
       i++)
    if (strcmp(rule->name, media_links[i].name) == 0)
      return media_links[i].label;
  return NULL;
}

/* Writes n (an element media_link_label names) as <a href=src>label</a>; nothing when its src
 * is missing or unsafe. *ret_as_img is set when the src is a data: image, which stays an img
 * (nothing remote is loaded). */
static int write_media_link(struct sanitizer *s, xmlNodePtr n, const struct element_rule *rule,
                            const char *label, bool *ret_as_img) {
  bool img = strcmp(rule->name, "img") == 0;
  *ret_as_img = false;
  xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
  if (!src)
    return 0;
  int r = clean_url((const char *)src, s->base, img, &s->url);
  xmlFree(src);
  if (r <= 0)
    return r;
  if (img && has_prefix_ci(buf_str(&s->url), "data:")) {
    *ret_as_img = true;
    return 0;
  }
  xmlChar *alt = img ? xmlGetProp(n, (const xmlChar *)"alt") : NULL;
  const char *text = alt && *alt ? (const char *)alt : label;
  if ((r = buf_append_str(s->out, "<a")) == 0 && (r = write_attr(s, "href", buf_str(&s->url))) == 0 &&
      (r = buf_append_str(s->out, " rel=\"noopener noreferrer\" class=\"media-link\">")) == 0 &&
      (r = append_escaped(s->out, text, false)) == 0)
    r = buf_append_str(s->out, "</a>");
  xmlFree(alt);
  return r;
}

/* What happens to element n at tree depth `depth`; the same answer on entering and leaving. */
static enum action action_for(xmlNodePtr n, int depth, const struct element_rule **ret_rule) {
  const struct element_rule *rule = rule_for((const char *)n->name);
  *ret_rule = rule;
  if (!rule)
    return ACT_UNWRAP;
  if (rule->action == ACT_KEEP && depth >= BRAID_SANITIZE_MAX_DEPTH)
    return ACT_UNWRAP;
  return rule->action;
}

/* Writes n's start tag if it is kept; *ret_descend says whether its children are walked. */
static int enter_element(struct sanitizer *s, xmlNodePtr n, int depth, bool *ret_descend) {
  const struct element_rule *rule;
  enum action act = action_for(n, depth, &rule);
  int r;
  *ret_descend = act == ACT_KEEP || act == ACT_UNWRAP;
  const char *label = act == ACT_DROP ? NULL : media_link_label(s, rule);
  if (label) {
    bool as_img;
    /* video and audio keep their fallback text; leave_element writes no end tag for them. */
    *ret_descend = act == ACT_KEEP;
    if ((r = write_media_link(s, n, rule, label, &as_img)) < 0 || !as_img)
      return r;
  }
  switch (act) {
  case ACT_UNWRAP:
  case ACT_DROP:
    return 0;
  case ACT_IFRAME:
    if ((r = iframe_allowed(s, n)) <= 0)
      return r;
    if ((r = buf_append_str(s->out, "<iframe")) < 0 || (r = write_attr(s, "src", buf_str(&s->url))) < 0)
      return r;
    for (const char *const *a = rule->attrs + 1; *a; a++) {
      xmlChar *v = xmlGetProp(n, (const xmlChar *)*a);
      r = v ? write_attr(s, *a, (const char *)v) : 0;
      xmlFree(v);
      if (r < 0)
        return r;
    }
    return buf_append_str(s->out, " sandbox=\"allow-scripts allow-same-origin allow-presentation\""
                                  " referrerpolicy=\"no-referrer\" loading=\"lazy\"></iframe>");
  case ACT_KEEP:
  case ACT_VOID:
    if ((r = buf_printf(s->out, "<%s", rule->name)) < 0 || (r = write_attrs(s, n, rule)) < 0)
      return r;
    if (strcmp(rule->name, "a") == 0 && (r = buf_append_str(s->out, " rel=\"noopener noreferrer\"")) < 0)
      return r;
    return buf_append_char(s->out, '>');
  }
  return 0;
}

/* Writes n's end tag if its start tag was written. */
static int leave_element(struct sanitizer *s, xmlNodePtr n, int depth) {
  const struct element_rule *rule;
  if (n->type != XML_ELEMENT_NODE || action_for(n, depth, &rule) != ACT_KEEP ||
      media_link_label(s, rule))
    return 0;
  return buf_printf(s->out, "</%s>", rule->name);
}

/* Walks the tree without recursion, so a deeply nested body cannot exhaust the stack. */
static int walk(struct sanitizer *s, xmlNodePtr n) {
  int depth = 0, r = 0;
  while (n) {
    bool descend = false;
    if (n->type == XML_TEXT_NODE && n->content)
      r = append_escaped(s->out, (const char *)n->content, false);
    else if (n->type == XML_ELEMENT_NODE)
      r = enter_element(s, n, depth, &descend);
    if (r < 0)
      return r;
    if (descend && n->children) {
      n = n->children;
      depth++;
      continue;
    }
    if (descend && (r = leave_element(s, n, depth)) < 0)
      return r;
    for (;;) {
      if (n->next) {
        n = n->next;
        break;
      }
      if (depth == 0) {
        n = NULL;
        break;
      }
      n = n->parent;
      depth--;
      if ((r = leave_element(s, n, depth)) < 0)
        return r;
    }
  }
  return 0;
}

int sanitize_html(const char *html, size_t len, const char *base_url, struct buf *out) {
  return sanitize_html_flags(html, len, base_url, 0, out);
}

int sanitize_html_flags(const char *html, size_t len, const char *base_url, unsigned flags,
                        struct buf *out) {
  if (len > BRAID_SANITIZE_MAX_INPUT_BYTES)
    return -E2BIG;
  if (len == 0)
    return 0;
  struct buf clean;
  buf_init(&clean, 0);
  /* The body's own root so that leading text is not wrapped in an implied <p>. */
  int r = buf_append_str(&clean, "<html><body>");
  if (r == 0)
    r = sanitize_utf8(html, len, &clean);
  if (r < 0) {
    buf_clear(&clean);
    return r;
  }
  /* IGNORE_ENC: a <meta charset> in the body must not switch the decoder away from UTF-8. */
  htmlDocPtr doc = htmlReadMemory(clean.data, (int)clean.len, NULL, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                      HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC |
                                      HTML_PARSE_NOIMPLIED);
  buf_clear(&clean);
  if (!doc)
    return 0; /* nothing recoverable: an empty fragment */
  struct sanitizer s = {.base = base_url, .out = out,
                       .media_as_links = (flags & SANITIZE_MEDIA_AS_LINKS) != 0};
  buf_init(&s.url, 0);
  buf_init(&s.attrs, 0);
  size_t mark = out->len;
  /* The whole tree, not just the body: text after a stray </body> lands beside it. html and
   * body are unwrapped, head dropped. */
  r = walk(&s, doc->children);
  buf_clear(&s.url);
  buf_clear(&s.attrs);
  xmlFreeDoc(doc);
  if (r < 0 && out->data) {
    out->len = mark;
    out->data[mark] = '\0';
  }
  return r;
}
