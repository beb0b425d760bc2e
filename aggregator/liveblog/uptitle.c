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

/* The first sentence of collapsed text, its closing "." dropped; s is modified. */
static void first_sentence(char *s) {
  for (size_t i = 0; s[i]; i++) {
    if (!strchr(".!?", s[i]) || (s[i + 1] != ' ' && s[i + 1] != '\0'))
      continue;
    if (s[i] == '.' && abbreviation(s, i))
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
      if (len == 0 || (len < 16 && c[len - 1] == ':')) {
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
    if (!*t) {
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
    if (text && !(t = collapse(text))) {
      free(plain);
      return -ENOMEM;
    }
    free(plain);
    if (!t)
      return 0;
    first_sentence(t);
    if (!*t) {
      free(t);
      return 0;
    }
  }
  *ret = cut_words(t, BRAID_UPTITLE_MAX_CHARS);
  return *ret ? 0 : -ENOMEM;
}
