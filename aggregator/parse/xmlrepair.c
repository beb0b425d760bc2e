/* xmlrepair.c — mend bare '&', stray '<' and unquoted attributes (see xmlrepair.h). */
#include "xmlrepair.h"

#include <errno.h>
#include <string.h>

#include "swar.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { ST_TEXT, ST_TAG, ST_COMMENT, ST_CDATA, ST_PI, ST_DECL };

/* Longest entity name looked for before a '&' is called bare. */
#define REF_NAME_MAX 64

void xml_repair_init(struct xml_repair *x) {
  memset(x, 0, sizeof *x);
  buf_init(&x->carry, 0);
  buf_init(&x->out, 0);
}

void xml_repair_free(struct xml_repair *x) {
  buf_free(&x->carry);
  buf_free(&x->out);
}

static bool name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
static bool name_char(unsigned char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
static bool hexdig(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static bool space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Is s[0] == '&' a reference? Its length up to the ';' included if so, 0 if not, -1 if that
 * cannot be told before the data ends. */
static int is_reference(const unsigned char *s, size_t n) {
  size_t i = 1;
  if (i >= n)
    return -1;
  if (s[i] == '#') {
    i++;
    bool hex = i < n && (s[i] == 'x' || s[i] == 'X');
    if (hex)
      i++;
    size_t start = i;
    while (i < n && i - start < 10 && (hex ? hexdig(s[i]) : (s[i] >= '0' && s[i] <= '9')))
      i++;
    if (i >= n)
      return i - start < 10 ? -1 : 0;
    return i > start && s[i] == ';' ? (int)i + 1 : 0;
  }
  if (!name_start(s[i]))
    return 0;
  while (i < n && i < REF_NAME_MAX && name_char(s[i]))
    i++;
  if (i >= n)
    return i < REF_NAME_MAX ? -1 : 0;
  return s[i] == ';' ? (int)i + 1 : 0;
}

/* Looks for the terminator of a comment/CDATA/PI from i; index after it, or 0 if not here. */
static size_t find_end(const unsigned char *s, size_t i, size_t n, const char *end) {
  size_t el = strlen(end);
  const unsigned char *p = i < n ? memmem(s + i, n - i, end, el) : NULL;
  return p ? (size_t)(p - s) + el : 0;
}

/* The first '&' or '<' in [p, e), or e. Escaped HTML puts one every few bytes, so where SSE2
 * is there (every x86-64) one 16-byte compare finds the byte itself, with no byte loop after. */
static const unsigned char *next_markup(const unsigned char *p, const unsigned char *e) {
#ifdef __SSE2__
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, amp),
                                                          _mm_cmpeq_epi8(v, lt)));
    if (m)
      return p + __builtin_ctz(m);
    p += 16;
  }
#else
  while (e - p >= 8) {
    uint64_t w = swar_load(p);
    if (swar_has(w, '&') || swar_has(w, '<'))
      break;
    p += 8;
  }
#endif
  while (p < e && *p != '&' && *p != '<')
    p++;
  return p;
}

static int emit(struct xml_repair *x, const unsigned char *s, size_t from, size_t to) {
  return to > from ? buf_append(&x->out, s + from, to - from) : 0;
}

/* Scans s[0..n); writes the repaired text to x->out; returns how many bytes it consumed
 * (the rest must wait for more data) or -ENOMEM. */
static long scan(struct xml_repair *x, const unsigned char *s, size_t n, bool final) {
  size_t i = 0, run = 0, repairs_before = x->repairs;
  int r;
#define FIX(text)                                                                                \
  do {                                                                                           \
    if ((r = emit(x, s, run, i)) < 0 || (r = buf_append_str(&x->out, text)) < 0)                 \
      return r;                                                                                  \
    x->repairs++;                                                                                \
  } while (0)
  while (i < n) {
    unsigned char c = s[i];
    switch (x->state) {
    case ST_TEXT: {
      /* the hot loop: plain text up to the next '&' or '<' */
      const unsigned char *p = next_markup(s + i, s + n);
      i = (size_t)(p - s);
      if (i >= n)
        continue;
      c = *p;
    }
      if (c == '&') {
      ampersand: { /* in text or in an attribute value: a reference, or a bare '&' to mend */
        int ref = is_reference(s + i, n - i);
        if (ref < 0 && !final)
          goto wait;
        if (ref <= 0) {
          FIX("&amp;");
          run = ++i;
          continue;
        }
        i += (size_t)ref; /* a reference holds no '&', '<' or quote: skip it whole */
        continue;
      }
      }
      /* '<' */
      if (n - i < 9 && !final) {
        /* "<![CDATA[" is the longest opener to tell apart */
        const char *cd = "<![CDATA[";
        if (memcmp(s + i, cd, n - i) == 0 || memcmp(s + i, "<!--", n - i < 4 ? n - i : 4) == 0)
          goto wait;
      }
      if (i + 1 >= n) {
        if (!final)
          goto wait;
        FIX("&lt;");
        run = ++i;
        continue;
      }
      if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
        x->state = ST_COMMENT;
        x->section_bytes = 0;
        i += 4;
      } else if (n - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0) {
        x->state = ST_CDATA;
        x->section_bytes = 0;
        i += 9;
      } else if (s[i + 1] == '?') {
        x->state = ST_PI;
        x->section_bytes = 0;
        i += 2;
      } else if (s[i + 1] == '!') {
        x->state = ST_DECL;
        x->subset_depth = 0;
        x->quote = 0;
        i += 2;
      } else if (name_start(s[i + 1]) || s[i + 1] == '/') {
        x->state = ST_TAG;
        x->quote = 0;
        x->unquoted = false;
        i += 2;
      } else {
        FIX("&lt;");
        run = ++i;
      }
      continue;
    case ST_TAG:
      if (x->unquoted) {
        /* a value braid opened a quote for ends at white space or the tag's end */
        if (space(c) || c == '>' || (c == '/' && i + 1 < n && s[i + 1] == '>')) {
          FIX("\"");
          run = i;
          x->unquoted = false;
          continue;
        }
        if (c == '/' && i + 1 >= n && !final)
          goto wait;
        if (c == '"') {
          FIX("&quot;");
          run = ++i;
          continue;
        }
      }
      if (x->quote || x->unquoted) {
        if (c == x->quote && !x->unquoted) {
          x->quote = 0;
          i++;
          continue;
        }
        if (c == '&')
          goto ampersand;
        if (c == '<') {
          /* '<' cannot be in an attribute value: the quote was never closed. Give the tag up
           * here rather than read the rest of the document as one value. */
          if (x->unquoted) {
            FIX("\"");
            run = i;
          }
          x->quote = 0;
          x->unquoted = false;
          x->state = ST_TEXT;
          continue;
        }
        i++;
        continue;
      }
      if (c == '"' || c == '\'') {
        x->quote = (char)c;
      } else if (c == '>') {
        x->state = ST_TEXT;
      } else if (c == '=') {
        size_t j = i + 1;
        while (j < n && j - i < REF_NAME_MAX && space(s[j]))
          j++;
        if (j >= n && !final)
          goto wait;
        if (j < n && s[j] != '"' && s[j] != '\'' && s[j] != '>') {
          i = j;
          FIX("\"");
          run = i;
          x->unquoted = true;
          continue;
        }
      }
      i++;
      continue;
    case ST_COMMENT:
    case ST_CDATA:
    case ST_PI: {
      const char *end = x->state == ST_COMMENT ? "-->" : x->state == ST_CDATA ? "]]>" : "?>";
      size_t e = find_end(s, i, n, end);
      if (e) {
        i = e;
        x->state = ST_TEXT;
        x->section_bytes = 0;
        continue;
      }
      /* keep the last bytes: the terminator may be split across pushes */
      size_t keep = strlen(end) - 1;
      if (final || n - i <= keep) {
        if (final)
          i = n;
        goto wait;
      }
      x->section_bytes += n - keep - i;
      i = n - keep;
      goto wait;
    }
    case ST_DECL:
      if (x->quote) {
        if (c == x->quote)
          x->quote = 0;
      } else if (c == '"' || c == '\'') {
        x->quote = (char)c;
      } else if (c == '[') {
        x->subset_depth++;
      } else if (c == ']') {
        x->subset_depth--;
      } else if (c == '>' && x->subset_depth <= 0) {
        x->state = ST_TEXT;
      }
      i++;
      continue;
    }
  }
wait:
#undef FIX
  /* Nothing mended in this push: the caller hands on the input itself, uncopied. */
  if (x->repairs != repairs_before && (r = emit(x, s, run, i)) < 0)
    return r;
  return (long)i;
}

int xml_repair(struct xml_repair *x, const char *in, size_t len, bool final,
               const char **ret_data, size_t *ret_len) {
  const unsigned char *s = (const unsigned char *)in;
  size_t n = len;
  int r;
  if (x->carry.len > 0) {
    if ((r = buf_append(&x->carry, in, len)) < 0)
      return r;
    s = (const unsigned char *)x->carry.data;
    n = x->carry.len;
  }
  buf_reset(&x->out);
  size_t repairs_before = x->repairs;
  long used = scan(x, s, n, final);
  if (used < 0)
    return (int)used;
  bool pass_through = x->repairs == repairs_before;
  if (pass_through && x->carry.len > 0 && (r = buf_append(&x->out, s, (size_t)used)) < 0)
    return r; /* s is the carry buffer, about to be reused: copy out first */
  /* keep what could not be decided yet */
  size_t rest = n - (size_t)used;
  if (x->carry.len > 0) {
    memmove(x->carry.data, x->carry.data + used, rest);
    x->carry.len = rest;
    x->carry.data[rest] = '\0';
  } else if (rest > 0 && (r = buf_append(&x->carry, s + used, rest)) < 0) {
    return r;
  }
  if (pass_through && s == (const unsigned char *)in) {
    *ret_data = in;
    *ret_len = (size_t)used;
  } else {
    *ret_data = x->out.data ? x->out.data : "";
    *ret_len = x->out.len;
  }
  return 0;
}
