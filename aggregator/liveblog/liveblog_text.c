/* liveblog_text.c — what in an update's blocks is furniture, not its words: labels and
 * flags before a stamp or headline, authors' lines, the page's own title repeated as a
 * heading. Shared by liveblog.c's cutting of updates; see liveblog_internal.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "liveblog_internal.h"

/* A post's meta line before a dated stamp that ends it ("Staff Thu 24 Jul 2014 01:12"): at
 * most this many capitalised words and no sentence in them is its author, and furniture. */
#define TRAILING_AUTHOR_MAX_WORDS 4

static bool only_names(const char *t, size_t n) {
  size_t words = 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i] == ' ')
      continue;
    if (!(t[i] >= 'A' && t[i] <= 'Z') || ++words > TRAILING_AUTHOR_MAX_WORDS)
      return false;
    while (i < n && t[i] != ' ') {
      if (strchr(".!?:;\"0123456789", t[i]))
        return false;
      i++;
    }
  }
  return words > 0;
}

/* What a block ending with a stamp says before it: its first n bytes, without the white space
 * before the stamp; nothing when it is only a byline ("by Name via twitter"). */
size_t liveblog_trailing_text(const char *t, size_t n) {
  while (n > 0 && t[n - 1] == ' ')
    n--;
  if (n <= TRAILING_BYLINE_MAX_BYTES &&
      (strncasecmp(t, "by ", 3) == 0 || strncasecmp(t, "posted by ", 10) == 0 ||
       strncasecmp(t, "von ", 4) == 0 || strncasecmp(t, "par ", 4) == 0 ||
       strncasecmp(t, "por ", 4) == 0 || strncasecmp(t, "door ", 5) == 0 ||
       only_names(t, n)))
    return 0;
  return n;
}

/* A label before the stamp in the update's box ("Timestamp:", "Posted:"): furniture. */
#define LABEL_MAX_BYTES 24

bool liveblog_is_label(const char *t, size_t n) {
  if (n == 0 || n > LABEL_MAX_BYTES || t[n - 1] != ':')
    return false;
  size_t spaces = 0;
  for (size_t i = 0; i < n; i++)
    spaces += t[i] == ' ';
  return spaces <= 1;
}

/* How many bytes a "BREAKING" / "Breaking:" flag takes at the head of an update's text, with
 * what separates it from the headline; a flag in its own element comes glued to the headline
 * ("BreakingCourt rules") from the text walk. A sentence that opens with the word ("Breaking
 * the deadlock, ...") keeps it: only capitals, a separator or the glue make it a flag. */
size_t liveblog_breaking_flag(const char *t, size_t n) {
  static const char *const FLAGS[] = {"breaking news", "breaking", "eilmeldung"};
  for (size_t f = 0; f < sizeof FLAGS / sizeof FLAGS[0]; f++) {
    size_t k = strlen(FLAGS[f]);
    if (n <= k + 1 || strncasecmp(t, FLAGS[f], k) != 0)
      continue;
    bool caps = t[1] >= 'A' && t[1] <= 'Z';
    bool glued = t[k] >= 'A' && t[k] <= 'Z' && !caps;
    bool sep = t[k] == ':' || t[k] == '|' || t[k] == '-' || t[k] == '\n' ||
               (caps && t[k] == ' ');
    if (!glued && !sep)
      continue;
    while (k < n && (t[k] == ' ' || t[k] == ':' || t[k] == '|' || t[k] == '-' || t[k] == '\n'))
      k++;
    return k < n ? k : 0;
  }
  return 0;
}

/* The text of the document's <title>, white space collapsed, into out (empty when none). */
void liveblog_doc_title(const struct split *s, char *out, size_t outlen) {
  out[0] = '\0';
  xmlNodePtr root = s->b.doc ? xmlDocGetRootElement(s->b.doc) : NULL;
  for (xmlNodePtr h = root ? root->children : NULL; h; h = h->next) {
    if (h->type != XML_ELEMENT_NODE || strcasecmp((const char *)h->name, "head") != 0)
      continue;
    for (xmlNodePtr t = h->children; t; t = t->next) {
      if (t->type != XML_ELEMENT_NODE || strcasecmp((const char *)t->name, "title") != 0)
        continue;
      struct buf b;
      buf_init(&b, TITLE_MAX_BYTES * 8);
      if (blocks_node_text(t, &b) == 0 && b.len > 0)
        snprintf(out, outlen, "%s", buf_str(&b));
      buf_clear(&b);
      return;
    }
  }
}

/* A heading that repeats the page's <title> ("<h3 class=post-title>" of a blog that holds
 * the whole live blog as one post) is the page's, not its first update's headline. */
bool liveblog_is_page_title(const struct split *s, size_t bi, const char *title) {
  size_t n = s->b.v[bi].text_len;
  return title[0] && n > 0 && strlen(title) >= n &&
         strncasecmp(block_text(&s->b, bi), title, n) == 0 &&
         (title[n] == '\0' || title[n] == ' ' || title[n] == '|');
}
