/* liveblog_signals.c — live-coverage words in titles, URLs, categories and page markup. See
 * liveblog_signals.h. */
#include "liveblog_signals.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Phrases, lower case, matched between non-alphanumeric boundaries ("olive" is not "live";
 * in a URL "-" and "/" are boundaries, so "/live/" and "live-updates" count). */
static const char *const LIVE_WORDS[] = {
    "live",          "liveblog",     "live blog",      "live-blog",   "live updates",
    "latest updates", "as it happened", "liveticker",  "live-ticker", "live ticker",
    "newsticker",    "news-ticker",  "ticker",         "en direct",   "en-direct",
    "direct",        "en directo",   "directo",        "en vivo",     "en-vivo",
    "in diretta",    "diretta",      "ao vivo",        "minuto a minuto", "live-updates",
    "al minuto",     "live coverage", "latest-updates", "as-it-happened",
};

static bool boundary(const char *s, size_t n, size_t i) {
  return i >= n || !isalnum((unsigned char)s[i]);
}

bool liveblog_words_say_live(const char *text, size_t n) {
  if (!text)
    return false;
  if (n > LIVEBLOG_SIGNAL_MAX_BYTES)
    n = LIVEBLOG_SIGNAL_MAX_BYTES;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && isalnum((unsigned char)text[i - 1]))
      continue;
    for (size_t k = 0; k < sizeof LIVE_WORDS / sizeof LIVE_WORDS[0]; k++) {
      size_t w = strlen(LIVE_WORDS[k]);
      if (i + w <= n && strncasecmp(text + i, LIVE_WORDS[k], w) == 0 && boundary(text, n, i + w))
        return true;
    }
  }
  return false;
}

static bool prop_says_live(xmlNodePtr n, const char *name) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  bool live = v && liveblog_words_say_live((const char *)v, strlen((const char *)v));
  xmlFree(v);
  return live;
}

static bool prop_is(xmlNodePtr n, const char *name, const char *value) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  bool is = v && strcasecmp((const char *)v, value) == 0;
  xmlFree(v);
  return is;
}

/* <title>, <link rel="canonical" href>, <meta property="og:url|og:title" content>. */
static bool head_says_live(htmlDocPtr doc) {
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (!root)
    return false;
  size_t seen = 0;
  for (xmlNodePtr top = root->children; top && seen < LIVEBLOG_SIGNAL_MAX_NODES; top = top->next) {
    if (top->type != XML_ELEMENT_NODE || strcasecmp((const char *)top->name, "head") != 0)
      continue;
    for (xmlNodePtr n = top->children; n && seen < LIVEBLOG_SIGNAL_MAX_NODES; n = n->next, seen++) {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      const char *nm = (const char *)n->name;
      if (strcasecmp(nm, "title") == 0 && n->children && n->children->content &&
          liveblog_words_say_live((const char *)n->children->content,
                                  strlen((const char *)n->children->content)))
        return true;
      if (strcasecmp(nm, "link") == 0 && prop_is(n, "rel", "canonical") && prop_says_live(n, "href"))
        return true;
      if (strcasecmp(nm, "meta") == 0 &&
          (prop_is(n, "property", "og:url") || prop_is(n, "property", "og:title")) &&
          prop_says_live(n, "content"))
        return true;
    }
  }
  return false;
}

bool liveblog_signals(const struct split_options *opt, htmlDocPtr doc, const char *html,
                      size_t len) {
  if (opt->title && liveblog_words_say_live(opt->title, strlen(opt->title)))
    return true;
  if (opt->link && liveblog_words_say_live(opt->link, strlen(opt->link)))
    return true;
  for (size_t i = 0; i < opt->n_categories; i++)
    if (opt->categories[i] && liveblog_words_say_live(opt->categories[i], strlen(opt->categories[i])))
      return true;
  /* schema.org: itemtype="https://schema.org/LiveBlogPosting" or "@type": "LiveBlogPosting" */
  if (html && memmem(html, len, "LiveBlogPosting", 15))
    return true;
  return head_says_live(doc);
}
