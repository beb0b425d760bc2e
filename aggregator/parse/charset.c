/* charset.c — encoding sniffing and decoding to clean UTF-8 (see charset.h). */
#include "charset.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "entities.h"
#include "swar.h"

enum decoder_kind { DEC_UTF8, DEC_CP1252, DEC_ICONV };

struct charset_decoder {
  enum decoder_kind kind;
  iconv_t cd;           /* DEC_ICONV only */
  char pending[8];      /* bytes of a sequence cut by the end of the last push */
  size_t pending_len;
  struct buf join;      /* pending + the next push, when something was pending */
  struct buf out;       /* decoded output when `in` cannot be handed on as it is */
  struct buf conv;      /* iconv's raw output, before control characters are cleaned */
};

/* windows-1252's 0x80..0x9F; the five bytes it leaves undefined map to U+FFFD. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

static uint32_t cp1252_to_cp(unsigned char b) {
  return (b >= 0x80 && b <= 0x9F) ? cp1252_c1[b - 0x80] : b;
}

/* ASCII bytes XML accepts as they are. */
static bool ascii_ok(unsigned char b) {
  return (b >= 0x20 && b < 0x80) || b == '\n' || b == '\t' || b == '\r';
}

/* Index of the first byte at or after i that is not printable ASCII (0x20..0x7F), eight
 * bytes at a time: this loop sees every byte of every feed. */
static size_t skip_printable(const unsigned char *s, size_t i, size_t len) {
  while (i + 8 <= len) {
    uint64_t w = swar_load(s + i);
    if (swar_has_high(w) || swar_has_below(w, 0x20))
      break;
    i += 8;
  }
  while (i < len && s[i] >= 0x20 && s[i] < 0x80)
    i++;
  return i;
}

static void copy_label(char label[CHARSET_LABEL_MAX], const char *s, size_t n) {
  size_t j = 0;
  for (size_t i = 0; i < n && j + 1 < CHARSET_LABEL_MAX; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')
      label[j++] = (char)tolower(c);
  }
  label[j] = '\0';
}

/* Finds encoding="..." inside an XML declaration at the start of data. */
static bool xml_decl_encoding(const char *data, size_t len, char label[CHARSET_LABEL_MAX]) {
  size_t i = 0;
  while (i < len && isspace((unsigned char)data[i]))
    i++;
  if (len - i < 6 || memcmp(data + i, "<?xml", 5) != 0)
    return false;
  const char *end = memmem(data + i, len - i, "?>", 2);
  size_t dlen = end ? (size_t)(end - (data + i)) : len - i;
  const char *decl = data + i;
  const char *e = memmem(decl, dlen, "encoding", 8);
  if (!e)
    return false;
  const char *p = e + 8, *stop = decl + dlen;
  while (p < stop && isspace((unsigned char)*p))
    p++;
  if (p >= stop || *p++ != '=')
    return false;
  while (p < stop && isspace((unsigned char)*p))
    p++;
  if (p >= stop || (*p != '"' && *p != '\''))
    return false;
  char q = *p++;
  const char *v = p;
  while (p < stop && *p != q)
    p++;
  if (p >= stop || p == v)
    return false;
  copy_label(label, v, (size_t)(p - v));
  return label[0] != '\0';
}

static bool is_wide_label(const char *l) {
  return strncmp(l, "utf-16", 6) == 0 || strncmp(l, "utf-32", 6) == 0 ||
         strncmp(l, "ucs-2", 5) == 0 || strncmp(l, "ucs-4", 5) == 0 || strcmp(l, "utf16") == 0;
}

void charset_sniff(const char *data, size_t len, const char *http_charset,
                   char label[CHARSET_LABEL_MAX], size_t *ret_bom_len) {
  const unsigned char *u = (const unsigned char *)data;
  *ret_bom_len = 0;
  if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
    *ret_bom_len = 3;
    strcpy(label, "utf-8");
    return;
  }
  if (len >= 4 && u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) {
    *ret_bom_len = 4;
    strcpy(label, "utf-32le");
    return;
  }
  if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
    *ret_bom_len = 4;
    strcpy(label, "utf-32be");
    return;
  }
  if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
    *ret_bom_len = 2;
    strcpy(label, "utf-16le");
    return;
  }
  if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
    *ret_bom_len = 2;
    strcpy(label, "utf-16be");
    return;
  }
  /* No BOM: which of the first four bytes are zero says the width and the byte order of the
   * ASCII characters a document starts with (XML 1.0 appendix F), whatever it declares. */
  static const struct {
    unsigned char nonzero[4];
    const char *label;
  } wide[] = {{{0, 0, 0, 1}, "utf-32be"}, {{1, 0, 0, 0}, "utf-32le"},
              {{0, 1, 0, 1}, "utf-16be"}, {{1, 0, 1, 0}, "utf-16le"}};
  for (size_t i = 0; len >= 4 && i < sizeof wide / sizeof wide[0]; i++)
    if ((u[0] != 0) == wide[i].nonzero[0] && (u[1] != 0) == wide[i].nonzero[1] &&
        (u[2] != 0) == wide[i].nonzero[2] && (u[3] != 0) == wide[i].nonzero[3]) {
      strcpy(label, wide[i].label);
      return;
    }
  /* A label for a 16- or 32-bit encoding cannot be right when the bytes read as ASCII. */
  if (http_charset && *http_charset) {
    copy_label(label, http_charset, strlen(http_charset));
    if (label[0] && !is_wide_label(label))
      return;
  }
  if (xml_decl_encoding(data, len, label) && !is_wide_label(label))
    return;
  strcpy(label, "utf-8");
}

static const char *const cp1252_labels[] = {
    "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",
    "latin-1", "l1", "cp819", "ibm819", "iso-ir-100", "us-ascii", "ascii", "ansi_x3.4-1968",
    "iso-8859-15", "iso8859-15", "latin-9", NULL};

int charset_decoder_new(const char *label, struct charset_decoder **ret, bool *ret_known) {
  struct charset_decoder *d = calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  d->kind = DEC_UTF8;
  d->cd = (iconv_t)-1;
  *ret_known = true;
  if (strcmp(label, "utf-8") == 0 || strcmp(label, "utf8") == 0) {
    /* the common case */
  } else {
    bool cp = false;
    for (size_t i = 0; cp1252_labels[i]; i++)
      if (strcmp(label, cp1252_labels[i]) == 0)
        cp = true;
    /* iso-8859-15 differs from windows-1252 in eight letters; iconv knows it exactly. */
    if (cp && strstr(label, "15") == NULL && strcmp(label, "latin-9") != 0) {
      d->kind = DEC_CP1252;
    } else {
      d->cd = iconv_open("UTF-8", label);
      if (d->cd == (iconv_t)-1)
        *ret_known = false;
      else
        d->kind = DEC_ICONV;
    }
  }
  *ret = d;
  return 0;
}

void charset_decoder_free(struct charset_decoder *d) {
  if (!d)
    return;
  if (d->cd != (iconv_t)-1)
    iconv_close(d->cd);
  buf_clear(&d->join);
  buf_clear(&d->out);
  buf_clear(&d->conv);
  free(d);
}

static int put_cp(struct buf *out, uint32_t cp) {
  char tmp[UTF8_MAX];
  size_t n = utf8_encode(cp, tmp);
  return buf_append(out, tmp, n);
}

/* Length of the valid UTF-8 sequence at s[0..len) with lead byte s[0] >= 0x80:
 *  > 0  valid, that many bytes;
 *  0    the lead byte is stray (no valid continuation follows): read it as windows-1252;
 * -k    a sequence broken after k valid bytes: one U+FFFD for those k bytes;
 * INCOMPLETE  the input ends inside a sequence that could still be valid. */
#define INCOMPLETE (-100)
static int utf8_seq(const unsigned char *s, size_t len) {
  unsigned char b = s[0];
  int need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF)
    need = 1;
  else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0)
      lo = 0xA0;
    else if (b == 0xED)
      hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0)
      lo = 0x90;
    else if (b == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  for (int k = 1; k <= need; k++) {
    if ((size_t)k >= len)
      return INCOMPLETE;
    unsigned char c = s[k];
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF))
      return k == 1 ? 0 : -k;
  }
  /* U+FFFE and U+FFFF are not XML characters. */
  if (b == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
    return -3;
  return need + 1;
}

/* Cleans src as UTF-8. Sets *ret_clean when src needs no change (nothing written to out);
 * otherwise out holds the cleaned text. An unfinished sequence at the end goes to pending
 * unless final. */
static int utf8_clean(struct charset_decoder *d, const char *src, size_t len, bool final,
                      struct buf *out, bool *ret_clean) {
  const unsigned char *s = (const unsigned char *)src;
  size_t i = 0, copied = 0;
  bool dirty = false;
  int r;
  while (i < len) {
    /* Hot loop: runs of plain ASCII. */
    for (;;) {
      i = skip_printable(s, i, len);
      if (i < len && (s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
        i++;
      else
        break;
    }
    if (i >= len)
      break;
    if (s[i] < 0x80) { /* a control character XML refuses */
      if (!dirty) {
        buf_reset(out);
        dirty = true;
      }
      if ((r = buf_append(out, src + copied, i - copied)) < 0 || (r = put_cp(out, 0xFFFD)) < 0)
        return r;
      copied = ++i;
      continue;
    }
    int n = utf8_seq(s + i, len - i);
    if (n > 0) {
      i += (size_t)n;
      continue;
    }
    if (n == INCOMPLETE && !final) {
      if (!dirty) {
        buf_reset(out);
        dirty = true;
      }
      if ((r = buf_append(out, src + copied, i - copied)) < 0)
        return r;
      d->pending_len = len - i;
      memcpy(d->pending, src + i, d->pending_len);
      copied = i = len;
      break;
    }
    if (!dirty) {
      buf_reset(out);
      dirty = true;
    }
    if ((r = buf_append(out, src + copied, i - copied)) < 0)
      return r;
    if (n == 0 || n == INCOMPLETE) { /* stray byte, or a final unfinished sequence's lead */
      r = put_cp(out, n == 0 ? cp1252_to_cp(s[i]) : 0xFFFD);
      i += n == 0 ? 1 : len - i;
    } else {
      r = put_cp(out, 0xFFFD);
      i += (size_t)(-n);
    }
    if (r < 0)
      return r;
    copied = i;
  }
  if (dirty && copied < len && (r = buf_append(out, src + copied, len - copied)) < 0)
    return r;
  *ret_clean = !dirty;
  return 0;
}

static int decode_iconv(struct charset_decoder *d, const char *src, size_t len, bool final) {
  buf_reset(&d->conv);
  char *inp = (char *)src;
  size_t inleft = len;
  int r;
  char tmp[4096];
  while (inleft > 0) {
    char *outp = tmp;
    size_t outleft = sizeof tmp;
    size_t rc = iconv(d->cd, &inp, &inleft, &outp, &outleft);
    if ((r = buf_append(&d->conv, tmp, sizeof tmp - outleft)) < 0)
      return r;
    if (rc != (size_t)-1)
      continue;
    if (errno == E2BIG)
      continue;
    if (errno == EINVAL && !final && inleft <= sizeof d->pending) {
      memcpy(d->pending, inp, inleft);
      d->pending_len = inleft;
      break;
    }
    /* EILSEQ, or a final unfinished sequence: one U+FFFD, then go on after the byte. */
    if ((r = put_cp(&d->conv, 0xFFFD)) < 0)
      return r;
    inp++;
    inleft--;
  }
  bool clean;
  if ((r = utf8_clean(d, d->conv.data ? d->conv.data : "", d->conv.len, true, &d->out, &clean)) < 0)
    return r;
  if (clean) {
    buf_reset(&d->out);
    if ((r = buf_append(&d->out, d->conv.data ? d->conv.data : "", d->conv.len)) < 0)
      return r;
  }
  return 0;
}

int charset_decode(struct charset_decoder *d, const char *in, size_t len, bool final,
                   const char **ret_data, size_t *ret_len) {
  int r;
  const char *src = in;
  size_t slen = len;
  if (d->pending_len > 0) {
    buf_reset(&d->join);
    if ((r = buf_append(&d->join, d->pending, d->pending_len)) < 0 ||
        (r = buf_append(&d->join, in, len)) < 0)
      return r;
    d->pending_len = 0;
    src = d->join.data;
    slen = d->join.len;
  }
  buf_reset(&d->out);
  switch (d->kind) {
  case DEC_UTF8: {
    bool clean;
    if ((r = utf8_clean(d, src, slen, final, &d->out, &clean)) < 0)
      return r;
    if (clean) {
      *ret_data = src;
      *ret_len = slen;
      return 0;
    }
    break;
  }
  case DEC_CP1252:
    for (size_t i = 0; i < slen; i++) {
      unsigned char b = (unsigned char)src[i];
      r = ascii_ok(b) ? buf_append_char(&d->out, (char)b)
                      : put_cp(&d->out, b < 0x80 ? 0xFFFD : cp1252_to_cp(b));
      if (r < 0)
        return r;
    }
    break;
  case DEC_ICONV:
    if ((r = decode_iconv(d, src, slen, final)) < 0)
      return r;
    break;
  }
  *ret_data = d->out.data ? d->out.data : "";
  *ret_len = d->out.len;
  return 0;
}
