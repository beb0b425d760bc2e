/* uptitle.c — an update's title from its own words. See uptitle.h.
 *
 * A list of updates titled "Blog — 0510 GMT" reads as ten identical rows in a feed reader;
 * the update's headline, or the sentence it opens with, is what tells them apart.
 */
#include "uptitle.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "htmltext.h"
#include "stamp.h"

/* Wrapper elements that may open an update's markup before its headline, at most this
 * many: beyond it the markup is not a headline-led update. */
#define UPTITLE_MAX_WRAPPERS 8

/* s with white space runs collapsed to one space and trimmed: a new string, NULL on
 * -ENOMEM. */
static char *collapse(const char *s) {
  char *out = malloc(strlen(s) + 1);
  if (!out)
    return NULL;
  size_t n = 0;
  bool space = false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isspace(*p)) {
      space = n > 0;
      continue;
    }
    if (space)
      out[n++] = ' ';
    space = false;
    out[n++] = (char)*p;
  }
  out[n] = '\0';
  return out;
}

static bool utf8_lead(unsigned char c) { return (c & 0xC0) != 0x80; }

/* s cut to at most max characters at a word boundary, "…" counted among them; s itself
 * when it fits. s is modified or replaced; NULL on -ENOMEM. */
static char *cut_words(char *s, size_t max) {
  size_t chars = 0, pos = 0, len = strlen(s);
  for (size_t i = 0; i < len; i++)
    if (utf8_lead((unsigned char)s[i])) {
      if (chars == max - 1)
        pos = i; /* the byte where character max (the "…") would go */
      chars++;
    }
  if (chars <= max)
    return s;
  size_t end = pos;
  while (end > 0 && s[end] != ' ')
    end--;
  if (end < pos / 2)
    end = pos; /* one long word: cut inside it, at a character boundary */
  /* A word boundary after a comma or a dash reads better without them. */
  while (end > 0 && strchr(" ,;:-", s[end - 1]))
    end--;
  char *out = malloc(end + sizeof "\xe2\x80\xa6");
  if (!out) {
    free(s);
    return NULL;
  }
  memcpy(out, s, end);
  memcpy(out + end, "\xe2\x80\xa6", sizeof "\xe2\x80\xa6");
  free(s);
  return out;
}

/* Whether the word ending at s[dot] (a ".") is an abbreviation or an initial, which does not
 * end a sentence. */
static bool abbreviation(const char *s, size_t dot) {
  static const char *const abbr[] = {"Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Prof", "Gen",
                                     "Sen", "Rep", "Gov", "Lt", "Col", "Capt", "No", "vs"};
  size_t start = dot;
  while (start > 0 && s[start - 1] != ' ')
    start--;
  size_t n = dot - start;
  if (n == 1 && isupper((unsigned char)s[start]))
    return true;
  for (size_t i = 0; i < sizeof abbr / sizeof abbr[0]; i++)
    if (strlen(abbr[i]) == n && strncmp(s + start, abbr[i], n) == 0)
      return true;
  return false;
}

/* A first block shorter than this many words is no headline ("Syria.") but the text's start. */
#define UPTITLE_MIN_WORDS 3

static size_t count_words(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    w += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
  return w;
}

/* The first sentence of collapsed text (the first `sentences` of them), its closing "."
 * dropped; s is modified. */
static void first_sentence(char *s, int sentences) {
  for (size_t i = 0; s[i]; i++) {
    if (!strchr(".!?", s[i]) || (s[i + 1] != ' ' && s[i + 1] != '\0'))
      continue;
    if (s[i] == '.' && abbreviation(s, i))
      continue;
    if (--sentences > 0)
      continue;
    s[s[i] == '.' ? i : i + 1] = '\0';
    return;
  }
  size_t n = strlen(s);
  if (n && s[n - 1] == '.')
    s[n - 1] = '\0';
}

/* Case-insensitive strstr. */
static const char *find_ci(const char *s, const char *needle);

static const char *skip_space(const char *p) {
  while (isspace((unsigned char)*p))
    p++;
  return p;
}

/* Case-insensitive strstr. */
static const char *find_ci(const char *s, const char *needle) {
  size_t n = strlen(needle);
  for (; *s; s++)
    if (strncasecmp(s, needle, n) == 0)
      return s;
  return NULL;
}

/* A "headline" that is only the update's stamp ("<h4>11:35 AM, November 7</h4>") or a flag
 * ("Breaking", "Updated", "Pinned") names no update: the title comes from its words. */
static bool names_nothing(const char *c) {
  static const char *const flags[] = {"breaking", "breaking news", "update", "updated", "pinned",
                                      "live", "key event", "just in", "latest"};
  size_t len = strlen(c);
  while (len > 0 && strchr(" :.!-|", c[len - 1]))
    len--;
  if (len == 0)
    return true;
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    if (strlen(flags[i]) == len && strncasecmp(c, flags[i], len) == 0)
      return true;
  struct stamp st;
  if (stamp_parse(c, len, &st) < 0)
    return false;
  size_t b = st.body;
  while (b < len && strchr(" :.,-|", c[b]))
    b++;
  return b >= len;
}

int uptitle_html_headline(const char *html, char **ret) {
  static const char *const wrappers[] = {"p", "div", "article", "section", "header", "span"};
  static const char *const heads[] = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b"};
  *ret = NULL;
  const char *p = html ? html : "";
  for (int depth = 0; depth <= UPTITLE_MAX_WRAPPERS; depth++) {
    p = skip_space(p);
    if (strncmp(p, "<!--", 4) == 0) {
      const char *end = strstr(p, "-->");
      if (!end)
        return 0;
      p = end + 3;
      continue;
    }
    if (*p != '<' || !isalpha((unsigned char)p[1]))
      return 0;
    char name[8];
    size_t n = 0;
    for (const char *q = p + 1; isalnum((unsigned char)*q); q++) {
      if (n + 1 >= sizeof name)
        return 0;
      name[n++] = (char)tolower((unsigned char)*q);
    }
    name[n] = '\0';
    const char *gt = strchr(p, '>');
    if (!gt)
      return 0;
    bool is_wrapper = false;
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
      is_wrapper |= strcmp(name, wrappers[i]) == 0;
    if (is_wrapper) {
      p = gt + 1;
      continue;
    }
    if (strcmp(name, "time") == 0) {
      /* The update's stamp, which the entry carries apart: the headline may follow it. */
      const char *end = find_ci(gt + 1, "</time>");
      if (!end)
        return 0;
      p = end + 7;
      continue;
    }
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
      if (strcmp(name, heads[i]) != 0)
        continue;
      char close[12] = "</";
      strcat(close, name);
      const char *end = find_ci(gt + 1, close);
      if (!end)
        return 0;
      char *text = NULL;
      if (htmltext(gt + 1, (size_t)(end - gt - 1), 1, 0, &text, NULL) < 0)
        return -ENOMEM;
      char *c = collapse(text);
      free(text);
      if (!c)
        return -ENOMEM;
      /* "<strong>Update:</strong>" is a label, not a headline. */
      size_t len = strlen(c);
      if (len == 0 || (len < 16 && c[len - 1] == ':') || names_nothing(c)) {
        free(c);
        return 0;
      }
      *ret = c;
      return 0;
    }
    return 0;
  }
  return 0;
}

int uptitle(const char *headline, const char *html, const char *text, char **ret) {
  *ret = NULL;
  char *t = NULL;
  if (headline) {
    if (!(t = collapse(headline)))
      return -ENOMEM;
    if (!*t || names_nothing(t)) {
      free(t);
      t = NULL;
    }
  }
  if (!t && html) {
    int r = uptitle_html_headline(html, &t);
    if (r < 0)
      return r;
  }
  if (!t) {
    char *plain = NULL;
    if (!text && html) {
      if (htmltext(html, strlen(html), 1, 0, &plain, NULL) < 0)
        return -ENOMEM;
      text = plain;
    }
    /* The splitter's text parts its blocks with a blank line: a headline block that ends
     * without a full stop ends there all the same. */
    const char *para = text ? strstr(text, "\n\n") : NULL;
    if (para && count_words(text, (size_t)(para - text)) >= UPTITLE_MIN_WORDS) {
      char *first = strndup(text, (size_t)(para - text));
      t = first ? collapse(first) : NULL;
      free(first);
      if (!t) {
        free(plain);
        return -ENOMEM;
      }
    } else if (text && !(t = collapse(text))) {
      free(plain);
      return -ENOMEM;
    }
    free(plain);
    if (!t)
      return 0;
    first_sentence(t, 1);
    if (!*t) {
      free(t);
      return 0;
    }
  }
  /* "... still peaceful:" led into a quote or a list: the title ends at the words. */
  size_t n = strlen(t);
  while (n > 1 && strchr(" :;,-", t[n - 1]))
    t[--n] = '\0';
  *ret = cut_words(t, BRAID_UPTITLE_MAX_CHARS);
  return *ret ? 0 : -ENOMEM;
}

struct titled {
  const char *title;
  size_t i;
};

static int titled_cmp(const void *a, const void *b) {
  const struct titled *x = a, *y = b;
  int c = strcmp(x->title ? x->title : "", y->title ? y->title : "");
  return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* order[] becomes the indexes of titles in the titles' sorted order. 0 or -ENOMEM. */
static int sort_titles(char **titles, size_t *order, size_t n) {
  struct titled *v = malloc((n ? n : 1) * sizeof *v);
  if (!v)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    v[i] = (struct titled){titles[i], i};
  qsort(v, n, sizeof *v, titled_cmp);
  for (size_t i = 0; i < n; i++)
    order[i] = v[i].i;
  free(v);
  return 0;
}

/* A one-word first sentence that opens the text ("Syria. The opposition ...") tags the
 * update's topic, which its neighbours share: it tells a reader nothing. */
static bool topic_tag(const char *title, const char *text) {
  size_t n = strlen(title);
  return count_words(title, n) == 1 && strncmp(text, title, n) == 0 && text[n] == '.' &&
         text[n + 1] == ' ';
}

/* Two titles alike within one blog ("Syria" four times over where every update opens with
 * its country's name), or a lone topic tag, run on to their second sentence. */
int uptitle_distinct(char **titles, const char *const *texts, size_t n) {
  /* One blog's updates are capped by BRAID_STORE_MAX_UPDATES but may be thousands: sort
   * rather than compare every pair. */
  bool *dup = calloc(n ? n : 1, sizeof *dup);
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!dup || !order || sort_titles(titles, order, n) < 0) {
    free(dup);
    free(order);
    return -ENOMEM;
  }
  for (size_t k = 1; k < n; k++)
    if (titles[order[k]] && titles[order[k - 1]] &&
        strcmp(titles[order[k]], titles[order[k - 1]]) == 0)
      dup[order[k]] = dup[order[k - 1]] = true;
  free(order);
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++) {
    if (!texts[i] || !titles[i] || !(dup[i] || topic_tag(titles[i], texts[i])))
      continue;
    char *t = collapse(texts[i]);
    if (!t) {
      r = -ENOMEM;
      break;
    }
    first_sentence(t, 2);
    t = cut_words(t, BRAID_UPTITLE_MAX_CHARS);
    if (!t) {
      r = -ENOMEM;
      break;
    }
    if (*t && strlen(t) > strlen(titles[i])) {
      free(titles[i]);
      titles[i] = t;
    } else {
      free(t);
    }
  }
  free(dup);
  return r;
}
