/* stamp_internal.h — what stamp.c (the grammar of a stamp) and stamp_words.c (the words around
 * it: month and weekday names, labels, relative times, bullets) share. Not an API: only these two
 * files include it.
 */
#ifndef BRAID_STAMP_INTERNAL_H
#define BRAID_STAMP_INTERNAL_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* A cursor over the block's text; every helper returns the new position or 0 for no match
 * (no grammar element can match at offset 0 of the text and end there). */
struct cur {
  const char *s;
  size_t n;
};

static inline bool is_alpha(const struct cur *c, size_t i) {
  return i < c->n && isalpha((unsigned char)c->s[i]);
}
static inline bool is_digit(const struct cur *c, size_t i) {
  return i < c->n && isdigit((unsigned char)c->s[i]);
}

static inline size_t skip_space(const struct cur *c, size_t i) {
  while (i < c->n && c->s[i] == ' ')
    i++;
  return i;
}

/* The word w (case-insensitive) at i, not followed by a letter. */
static inline size_t word(const struct cur *c, size_t i, const char *w) {
  size_t k = strlen(w);
  if (i + k > c->n || strncasecmp(c->s + i, w, k) != 0 || is_alpha(c, i + k))
    return 0;
  return i + k;
}

/* A dash, en dash or em dash at i. */
static inline size_t dash(const struct cur *c, size_t i) {
  if (i < c->n && c->s[i] == '-')
    return i + 1;
  if (i + 3 <= c->n && (unsigned char)c->s[i] == 0xE2 && (unsigned char)c->s[i + 1] == 0x80 &&
      ((unsigned char)c->s[i + 2] == 0x93 || (unsigned char)c->s[i + 2] == 0x94))
    return i + 3;
  return 0;
}

static inline size_t digits(const struct cur *c, size_t i, int max_digits, int *ret_value,
                     int *ret_count) {
  int v = 0, k = 0;
  while (is_digit(c, i) && k < max_digits) {
    v = v * 10 + (c->s[i] - '0');
    i++, k++;
  }
  if (k == 0 || is_digit(c, i))
    return 0;
  *ret_value = v;
  *ret_count = k;
  return i;
}

/* Month name ("Nov.", "März", "juillet") at i: the offset after it and *ret_month, or 0. */
size_t stamp__month_name(const struct cur *c, size_t i, int *ret_month);
/* Weekday name with its comma ("Tue,", "Dienstag,", "lundi") at i: the offset after it, or 0. */
size_t stamp__weekday(const struct cur *c, size_t i);
/* A middle dot or bullet separator at i: the offset after it, or 0. */
size_t stamp__middle_dot(const struct cur *c, size_t i);
/* A relative time ("5 minutes ago", "vor 5 Min.", "há 3 minutos") at i: the offset after it, or 0. */
size_t stamp__relative_time(const struct cur *c, size_t i);
/* A label before a stamp ("UPDATE", "Posted at"; *ret_weak for "Updated"): offset after, or 0. */
size_t stamp__label(const struct cur *c, size_t i, bool *ret_weak);
/* Bullets and brackets before a stamp: the offset after them (i when none). */
size_t stamp__bullets(const struct cur *c, size_t i);

#endif
