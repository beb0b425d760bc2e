/* xmlrepair.c — mend bare '&', stray '<' and unquoted attributes; element text with
 * predefined entities as CDATA (see xmlrepair.h). */
#include "xmlrepair.h"

#include <errno.h>
#include <string.h>

#include "swar.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { ST_TEXT, ST_TAG, ST_COMMENT, ST_CDATA, ST_PI, ST_DECL };

/* Longest CDATA section braid writes before it closes one and opens the next. libxml2's push
 * parser hands on an unterminated CDATA section 300 bytes per xmlParseChunk call and buffers
 * the rest, so every section braid opens also ends within the same push. */
#define REWRITE_SECTION_MAX (16 * 1024)

/* Longest run of text between two references that stays inside a CDATA section; a longer
 * one goes on as text between two sections. libxml2 reads text faster than CDATA (whose
 * every byte it also checks, and steps over one at a time), but each section costs a
 * state change and a callback: 16 to 64 bytes were equally fast on escaped HTML. */
#define REWRITE_TEXT_RUN_MAX 32

/* Longest entity name looked for before a '&' is called bare. */
#define REF_NAME_MAX 64

void xml_repair_init(struct xml_repair *x) {
  memset(x, 0, sizeof *x);
  buf_init(&x->carry, 0);
  buf_init(&x->out, 0);
}

void xml_repair_clear(struct xml_repair *x) {
  buf_clear(&x->carry);
  buf_clear(&x->out);
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

/* The first '&' or '<' in [p, e) (also ']' and CR when `section`: they end a CDATA section
 * braid opened), or e. Escaped HTML puts one every few bytes, so where SSE2 is there (every
 * x86-64) one 16-byte compare finds the byte itself, with no byte loop after. */
static const unsigned char *next_markup(const unsigned char *p, const unsigned char *e,
                                        bool section) {
#ifdef __SSE2__
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
  const __m128i rb = _mm_set1_epi8(section ? ']' : '<'), cr = _mm_set1_epi8(section ? '\r' : '<');
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, rb), _mm_cmpeq_epi8(v, cr)));
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m)
      return p + __builtin_ctz(m);
    p += 16;
  }
#else
  while (e - p >= 8) {
    uint64_t w = swar_load(p);
    if (swar_has(w, '&') || swar_has(w, '<') ||
        (section && (swar_has(w, ']') || swar_has(w, '\r'))))
      break;
    p += 8;
  }
#endif
  while (p < e && *p != '&' && *p != '<' && !(section && (*p == ']' || *p == '\r')))
    p++;
  return p;
}

/* Appends to x->out (which has no cap), inline where it fits: the CDATA rewrite appends a
 * few bytes per entity, and escaped HTML has one every few bytes. */
static inline int out_put(struct xml_repair *x, const void *d, size_t n) {
  struct buf *b = &x->out;
  if (b->data && b->alloc - b->len > n) {
    memcpy(b->data + b->len, d, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
  }
  return buf_append(b, d, n);
}

static int emit(struct xml_repair *x, const unsigned char *s, size_t from, size_t to) {
  return to > from ? out_put(x, s + from, to - from) : 0;
}

/* Where one push's scan stands: the input, the next byte to look at (i) and the start of the
 * bytes read but not yet copied to x->out (run). */
struct cursor {
  const unsigned char *s;
  size_t n, i, run;
  bool final; /* no more input follows: decide what would otherwise wait */
};

/* What a step tells the scan loop: go on, or stop until more input comes (negative: error). */
enum { STEP_ON = 0, STEP_WAIT = 1 };

/* Copies the pending run, then text in place of s[i] (the caller moves i and run on). */
static int fix(struct xml_repair *x, struct cursor *c, const char *text) {
  int r;
  if ((r = emit(x, c->s, c->run, c->i)) < 0 || (r = buf_append_str(&x->out, text)) < 0)
    return r;
  x->repairs++;
  x->edits++;
  return 0;
}

/* The character the predefined entity reference at s[0] == '&' (n bytes available) stands
 * for, its length in *ret_len; 0 if it is none or cannot be told yet. */
static inline char predefined(const unsigned char *s, size_t n, int *ret_len) {
  if (n >= 4 && s[2] == 't' && s[3] == ';' && (s[1] == 'l' || s[1] == 'g')) {
    *ret_len = 4;
    return s[1] == 'l' ? '<' : '>';
  }
  if (n >= 5 && memcmp(s + 1, "amp;", 4) == 0) {
    *ret_len = 5;
    return '&';
  }
  if (n >= 6 && s[5] == ';' && (memcmp(s + 1, "quot", 4) == 0 || memcmp(s + 1, "apos", 4) == 0)) {
    *ret_len = 6;
    return s[1] == 'q' ? '"' : '\'';
  }
  return 0;
}

/* Ends the CDATA section braid opened where the last reference it decoded ended: the text
 * since (the pending run) goes on as text, so libxml2 reads it as it would have without the
 * rewrite, with the same errors where it is broken ("]]>" in text). */
static int close_cdata(struct xml_repair *x) {
  int r = out_put(x, "]]>", 3);
  x->in_cdata = false;
  x->edits++;
  return r;
}

/* Puts the character ch of the reference at s[i] (ref bytes) into a CDATA section. */
static inline int put_decoded(struct xml_repair *x, struct cursor *c, char ch, int ref) {
  int r;
  if (x->in_cdata && c->i - c->run > REWRITE_TEXT_RUN_MAX && (r = close_cdata(x)) < 0)
    return r;
  if ((r = emit(x, c->s, c->run, c->i)) < 0)
    return r;
  if (!x->in_cdata) {
    if ((r = out_put(x, "<![CDATA[", 9)) < 0)
      return r;
    x->section_at = x->out.len;
  }
  if ((r = out_put(x, &ch, 1)) < 0)
    return r;
  x->in_cdata = true;
  x->edits++;
  c->i += (size_t)ref;
  c->run = c->i;
  return STEP_ON;
}

/* s[i] == '&', in text or in an attribute value: a reference, or a bare '&' to mend. */
static int step_ampersand(struct xml_repair *x, struct cursor *c) {
  int ref = is_reference(c->s + c->i, c->n - c->i);
  if (ref < 0 && !c->final)
    return STEP_WAIT;
  int r;
  if (x->in_cdata && (r = close_cdata(x)) < 0)
    return r; /* a reference other than the predefined five stays libxml2's */
  if (ref <= 0) {
    r = fix(x, c, "&amp;");
    c->run = ++c->i;
    return r;
  }
  c->i += (size_t)ref; /* a reference holds no '&', '<' or quote: skip it whole */
  return STEP_ON;
}

/* Enters state st after an opener of len bytes. */
static void open_section(struct xml_repair *x, struct cursor *c, int st, size_t len) {
  x->state = st;
  x->section_bytes = 0;
  x->subset_depth = 0;
  x->quote = 0;
  x->unquoted = false;
  c->i += len;
}

/* s[i] == '<' in text: which markup it opens, or a stray '<' to mend. */
static int step_open(struct xml_repair *x, struct cursor *c) {
  const unsigned char *s = c->s;
  size_t i = c->i, n = c->n;
  int r;
  if (n - i < 9 && !c->final) {
    /* "<![CDATA[" is the longest opener to tell apart */
    const char *cd = "<![CDATA[";
    if (memcmp(s + i, cd, n - i) == 0 || memcmp(s + i, "<!--", n - i < 4 ? n - i : 4) == 0)
      return STEP_WAIT;
  }
  if (i + 1 >= n) {
    if (!c->final)
      return STEP_WAIT;
    r = fix(x, c, "&lt;");
    c->run = ++c->i;
    return r;
  }
  if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
    open_section(x, c, ST_COMMENT, 4);
  } else if (n - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0) {
    open_section(x, c, ST_CDATA, 9);
  } else if (s[i + 1] == '?') {
    open_section(x, c, ST_PI, 2);
  } else if (s[i + 1] == '!') {
    open_section(x, c, ST_DECL, 2);
    x->lost |= x->depth > 0; /* no DOCTYPE in content: libxml2 recovers its own way */
  } else if (name_start(s[i + 1]) || s[i + 1] == '/') {
    open_section(x, c, ST_TAG, 2);
    x->end_tag = s[i + 1] == '/';
    x->slash = false;
  } else {
    r = fix(x, c, "&lt;");
    c->run = ++c->i;
    return r;
  }
  return STEP_ON;
}

/* The hot loop: plain text up to the next '&' or '<' (or what ends braid's CDATA); the
 * predefined entities of element text decoded into CDATA on the way. */
static int step_text(struct xml_repair *x, struct cursor *c) {
  const unsigned char *p;
  bool rewrite = x->cdata_text && x->depth > 0 && !x->lost;
  for (;;) {
    p = next_markup(c->s + c->i, c->s + c->n, x->in_cdata);
    c->i = (size_t)(p - c->s);
    if (c->i >= c->n)
      return STEP_ON;
    int len;
    char ch;
    if (*p != '&' || !rewrite || !(ch = predefined(p, c->n - c->i, &len)))
      break;
    int r = put_decoded(x, c, ch, len);
    if (r == 0 && x->out.len - x->section_at > REWRITE_SECTION_MAX)
      r = close_cdata(x);
    if (r < 0)
      return r;
  }
  if (*p == '&')
    return step_ampersand(x, c);
  if (x->in_cdata) {
    int r = close_cdata(x);
    if (r < 0 || *p != '<')
      return r; /* ']' or CR: plain text again, scanned on by the next step */
  }
  return step_open(x, c);
}

/* Inside an attribute value, quoted or one braid opened a quote for. */
static int step_value(struct xml_repair *x, struct cursor *c) {
  if (!x->unquoted) { /* most of a quoted value is nothing to look at */
    const unsigned char *p = c->s + c->i, *e = c->s + c->n;
    while (p < e && *p != (unsigned char)x->quote && *p != '&' && *p != '<')
      p++;
    c->i = (size_t)(p - c->s);
    if (p >= e)
      return STEP_ON;
  }
  unsigned char ch = c->s[c->i];
  int r;
  if (x->unquoted) {
    /* a value braid opened a quote for ends at white space or the tag's end */
    if (space(ch) || ch == '>' || (ch == '/' && c->i + 1 < c->n && c->s[c->i + 1] == '>')) {
      r = fix(x, c, "\"");
      c->run = c->i;
      x->unquoted = false;
      return r;
    }
    if (ch == '/' && c->i + 1 >= c->n && !c->final)
      return STEP_WAIT;
    if (ch == '"') {
      r = fix(x, c, "&quot;");
      c->run = ++c->i;
      return r;
    }
  }
  if (ch == x->quote && !x->unquoted) {
    x->quote = 0;
    c->i++;
    return STEP_ON;
  }
  if (ch == '&')
    return step_ampersand(x, c);
  if (ch == '<') {
    /* '<' cannot be in an attribute value: the quote was never closed. Give the tag up here
     * rather than read the rest of the document as one value. */
    r = 0;
    if (x->unquoted) {
      r = fix(x, c, "\"");
      c->run = c->i;
    }
    x->quote = 0;
    x->unquoted = false;
    x->state = ST_TEXT;
    x->lost = true;
    return r;
  }
  c->i++;
  return STEP_ON;
}

/* Inside a tag, between attribute values: '=' not followed by a quote gets one. */
static int step_tag(struct xml_repair *x, struct cursor *c) {
  if (x->quote || x->unquoted)
    return step_value(x, c);
  const unsigned char *s = c->s;
  size_t i = c->i, n = c->n;
  /* names and white space: nothing to do but step over them */
  while (i < n && s[i] != '"' && s[i] != '\'' && s[i] != '>' && s[i] != '=' && s[i] != '<' &&
         s[i] != '/')
    i++;
  if (i > c->i) {
    x->slash = false;
    c->i = i;
    if (i >= n)
      return STEP_ON;
  }
  unsigned char ch = s[i];
  if (ch == '"' || ch == '\'') {
    x->quote = (char)ch;
  } else if (ch == '<') {
    x->lost = true; /* a tag broken off: libxml2 reads on from here its own way */
  } else if (ch == '>') {
    x->state = ST_TEXT;
    if (x->end_tag)
      x->depth -= x->depth > 0;
    else if (!x->slash)
      x->depth++;
  } else if (ch == '=') {
    size_t j = i + 1;
    while (j < n && j - i < REF_NAME_MAX && space(s[j]))
      j++;
    if (j >= n && !c->final)
      return STEP_WAIT;
    if (j < n && s[j] != '"' && s[j] != '\'' && s[j] != '>') {
      c->i = j;
      int r = fix(x, c, "\"");
      c->run = c->i;
      x->unquoted = true;
      return r;
    }
  }
  x->slash = ch == '/';
  c->i++;
  return STEP_ON;
}

/* Inside a comment, CDATA section or PI: only its terminator matters. */
static int step_section(struct xml_repair *x, struct cursor *c) {
  const char *end = x->state == ST_COMMENT ? "-->" : x->state == ST_CDATA ? "]]>" : "?>";
  size_t e = find_end(c->s, c->i, c->n, end);
  if (e) {
    c->i = e;
    x->state = ST_TEXT;
    x->section_bytes = 0;
    return STEP_ON;
  }
  /* keep the last bytes: the terminator may be split across pushes */
  size_t keep = strlen(end) - 1;
  if (c->final)
    c->i = c->n;
  else if (c->n - c->i > keep) {
    x->section_bytes += c->n - keep - c->i;
    c->i = c->n - keep;
  }
  return STEP_WAIT;
}

/* Inside <!...>, internal subset included: quotes and brackets until the closing '>'. */
static int step_decl(struct xml_repair *x, struct cursor *c) {
  unsigned char ch = c->s[c->i];
  if (x->quote) {
    if (ch == x->quote)
      x->quote = 0;
  } else if (ch == '"' || ch == '\'') {
    x->quote = (char)ch;
  } else if (ch == '[') {
    x->subset_depth++;
  } else if (ch == ']') {
    x->subset_depth--;
  } else if (ch == '>' && x->subset_depth <= 0) {
    x->state = ST_TEXT;
  }
  c->i++;
  return STEP_ON;
}

/* Scans s[0..n); writes the repaired text to x->out; returns how many bytes it consumed
 * (the rest must wait for more data) or -ENOMEM. */
static long scan(struct xml_repair *x, const unsigned char *s, size_t n, bool final) {
  struct cursor c = {.s = s, .n = n, .final = final};
  size_t edits_before = x->edits;
  int r = STEP_ON;
  while (c.i < n && r == STEP_ON) {
    switch (x->state) {
    case ST_TEXT:
      r = step_text(x, &c);
      break;
    case ST_TAG:
      r = step_tag(x, &c);
      break;
    case ST_COMMENT:
    case ST_CDATA:
    case ST_PI:
      r = step_section(x, &c);
      break;
    default: /* ST_DECL */
      r = step_decl(x, &c);
      break;
    }
  }
  if (r < 0)
    return r;
  if (x->in_cdata && (r = close_cdata(x)) < 0)
    return r; /* see REWRITE_SECTION_MAX */
  /* Nothing changed in this push: the caller hands on the input itself, uncopied. */
  if (x->edits != edits_before && (r = emit(x, s, c.run, c.i)) < 0)
    return r;
  return (long)c.i;
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
  size_t edits_before = x->edits;
  long used = scan(x, s, n, final);
  if (used < 0)
    return (int)used;
  bool pass_through = x->edits == edits_before;
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
