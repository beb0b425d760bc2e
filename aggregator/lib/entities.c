/* entities.c — HTML character references and UTF-8 encoding (see entities.h). */
#include "entities.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "swar.h"

#include <libxml/HTMLparser.h>

/* What U+0080..U+009F mean in practice: windows-1252's characters for those bytes. */
static const uint16_t c1_map[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

size_t utf8_encode(uint32_t cp, char out[UTF8_MAX]) {
  if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0xD800 && cp <= 0xDFFF) ||
      cp == 0xFFFE || cp == 0xFFFF || cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Longest entity name in the HTML 4 table is 8 bytes ("thetasym"); anything longer is not one. */
#define ENTITY_NAME_MAX 16

uint32_t entity_lookup(const char *name, size_t len) {
  if (len == 0 || len >= ENTITY_NAME_MAX)
    return 0;
  char z[ENTITY_NAME_MAX];
  memcpy(z, name, len);
  z[len] = '\0';
  /* the names escaped HTML is made of, before the table's linear search */
  switch (z[0]) {
  case 'a':
    if (strcmp(z, "amp") == 0)
      return '&';
    if (strcmp(z, "apos") == 0) /* XML's, missing from HTML 4 but common in feeds */
      return '\'';
    break;
  case 'l':
    if (strcmp(z, "lt") == 0)
      return '<';
    break;
  case 'g':
    if (strcmp(z, "gt") == 0)
      return '>';
    break;
  case 'q':
    if (strcmp(z, "quot") == 0)
      return '"';
    break;
  case 'n':
    if (strcmp(z, "nbsp") == 0)
      return 0xA0;
    break;
  }
  const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)z);
  return e ? e->value : 0;
}

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t entity_decode(const char *s, size_t len, char out[UTF8_MAX], size_t *ret_outlen) {
  if (len < 3 || s[0] != '&')
    return 0;
  size_t i = 1;
  uint32_t cp = 0;
  if (s[1] == '#') {
    i = 2;
    int hex = 0;
    if (i < len && (s[i] == 'x' || s[i] == 'X')) {
      hex = 1;
      i++;
    }
    size_t start = i;
    while (i < len && i - start < 8) {
      char c = s[i];
      uint32_t d;
      if (c >= '0' && c <= '9')
        d = (uint32_t)(c - '0');
      else if (hex && c >= 'a' && c <= 'f')
        d = (uint32_t)(c - 'a' + 10);
      else if (hex && c >= 'A' && c <= 'F')
        d = (uint32_t)(c - 'A' + 10);
      else
        break;
      cp = cp * (hex ? 16 : 10) + d;
      i++;
    }
    if (i == start || i >= len || s[i] != ';')
      return 0;
    if (cp >= 0x80 && cp <= 0x9F)
      cp = c1_map[cp - 0x80]; /* as HTML5 does */
    if (cp == 0)
      cp = 0xFFFD;
  } else {
    while (i < len && i < ENTITY_NAME_MAX && is_alnum(s[i]))
      i++;
    if (i >= len || s[i] != ';')
      return 0;
    cp = entity_lookup(s + 1, i - 1);
    if (cp == 0)
      return 0;
  }
  *ret_outlen = utf8_encode(cp, out);
  return i + 1;
}

char *c1_to_cp1252(const char *s, size_t len) {
  char *out = malloc(len / 2 * 3 + len % 2 + 1); /* each 2-byte C1 becomes at most 3 bytes */
  if (!out)
    return NULL;
  size_t j = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
        (unsigned char)s[i + 1] <= 0x9F) {
      uint32_t cp = c1_map[(unsigned char)s[i + 1] - 0x80];
      if (cp >= 0x100) {
        j += utf8_encode(cp, out + j);
        i++;
        continue;
      }
    }
    out[j++] = (char)c;
  }
  out[j] = '\0';
  return out;
}

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0 if it is not one. */
static size_t utf8_valid_seq(const unsigned char *s) {
  unsigned char b = s[0];
  if (b >= 0xC2 && b <= 0xDF)
    return (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

size_t utf8_cut(const char *s, size_t len, size_t max) {
  if (len <= max)
    return len;
  size_t n = max;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--; /* s[n] is where the cut falls: never inside a sequence */
  return n;
}

int utf8_make_valid(char **sp) {
  const unsigned char *s = (const unsigned char *)*sp;
  if (!s)
    return 0;
  size_t len = strlen((const char *)s), i = 0;
  while (i < len) {
    if (i + 8 <= len && !swar_has_high(swar_load(s + i))) {
      i += 8;
      continue;
    }
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_valid_seq(s + i); /* reads past a short tail only up to the NUL */
    if (!n)
      break;
    i += n;
  }
  if (i >= len)
    return 0;
  char *out = malloc(len * 3 + 1), *o = out;
  if (!out)
    return -ENOMEM;
  memcpy(o, s, i);
  o += i;
  while (i < len) {
    size_t n = s[i] < 0x80 ? 1 : utf8_valid_seq(s + i);
    if (n) {
      memcpy(o, s + i, n);
      o += n;
      i += n;
    } else {
      memcpy(o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  *o = '\0';
  free(*sp);
  *sp = out;
  return 0;
}
