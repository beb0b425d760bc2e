/* serve_http.c — reading what an HTTP client sent: conditional and content-coding headers,
 * query parameters, feed names. Pure functions. See serve_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "civil.h"
#include "serve_priv.h"

/* Past optional white space (RFC 9110 OWS). */
static const char *skip_ows(const char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

bool serve_etag_matches(const char *if_none_match, const char *etag) {
  const char *p = skip_ows(if_none_match);
  if (*p == '*' && *skip_ows(p + 1) == '\0')
    return true;
  size_t etag_len = strlen(etag);
  while (*p) {
    p = skip_ows(p);
    if (strncmp(p, "W/", 2) == 0)
      p += 2;
    if (*p == '"') {
      const char *end = strchr(p + 1, '"');
      if (!end)
        return false;
      if ((size_t)(end + 1 - p) == etag_len && memcmp(p, etag, etag_len) == 0)
        return true;
      p = end + 1;
    }
    /* Skip to the next list member (also past anything malformed). */
    while (*p && *p != ',')
      p++;
    if (*p == ',')
      p++;
  }
  return false;
}

/* q of one Accept-Encoding member's parameters ("; q=0.5"), 1000ths; 1000 when absent. */
static int member_q(const char *params, size_t len) {
  const char *q = NULL;
  for (size_t i = 0; i + 1 < len; i++)
    if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
        (i == 0 || params[i - 1] == ';' || params[i - 1] == ' ' || params[i - 1] == '\t'))
      q = params + i + 2;
  if (!q)
    return 1000;
  if (*q == '1')
    return 1000;
  if (*q != '0')
    return 0; /* malformed: treat as not acceptable */
  int value = 0, scale = 100;
  for (q++, q += *q == '.'; *q >= '0' && *q <= '9' && scale; q++, scale /= 10)
    value += (*q - '0') * scale;
  return value;
}

bool serve_accepts_gzip(const char *accept_encoding) {
  int gzip_q = -1, star_q = -1;
  const char *p = accept_encoding;
  while (*p) {
    p = skip_ows(p);
    size_t len = strcspn(p, ",");
    size_t tok = strcspn(p, ",; \t");
    int q = member_q(p + tok, len - tok);
    if ((tok == 4 && strncasecmp(p, "gzip", 4) == 0) || (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0))
      gzip_q = q;
    else if (tok == 1 && *p == '*')
      star_q = q;
    p += len;
    if (*p == ',')
      p++;
  }
  return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

int serve_parse_n(const char *s, unsigned *ret_n) {
  unsigned long v = 0;
  if (!*s || strlen(s) > 9)
    return -EINVAL;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -EINVAL;
    v = v * 10 + (unsigned long)(*p - '0');
  }
  if (v < 1 || v > BRAID_SERVE_MAX_ENTRIES)
    return -EINVAL;
  *ret_n = (unsigned)v;
  return 0;
}

int serve_parse_since(const char *s, int64_t *ret_utc) {
  char copy[BRAID_DATE_MAX_BYTES];
  size_t len = strlen(s);
  if (len == 0 || len >= sizeof copy)
    return -EINVAL;
  memcpy(copy, s, len + 1);
  for (size_t i = 11; i < len; i++)
    if (copy[i] == ' ')
      copy[i] = '+';
  return civil_parse_iso8601(copy, ret_utc, NULL) == 0 ? 0 : -EINVAL;
}

bool serve_feed_name_valid(const char *s, size_t len) {
  if (len == 0 || len > BRAID_SERVE_MAX_FEED_NAME_BYTES)
    return false;
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

/* Shortest token accepted, in bytes: a guessable token is no access control. */
#define TOKEN_MIN_BYTES 16

int serve_token_read(const char *path, char **ret, char *err, size_t errlen) {
  /* O_NONBLOCK and fstat: a FIFO or a device named here must not hang the start. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int r = -errno;
    snprintf(err, errlen, "token_file %s: %s", path, strerror(-r));
    return r;
  }
  struct stat st;
  char text[BRAID_SERVE_TOKEN_MAX_BYTES + 64];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (off_t)sizeof text)
    n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n < 0) {
    snprintf(err, errlen, "token_file %s: not a regular file of at most %d bytes", path,
             BRAID_SERVE_TOKEN_MAX_BYTES);
    return -EINVAL;
  }
  text[n] = '\0';
  char *start = text;
  while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
    start++;
  size_t len = strlen(start);
  while (len && (start[len - 1] == ' ' || start[len - 1] == '\t' || start[len - 1] == '\n' ||
                 start[len - 1] == '\r'))
    start[--len] = '\0';
  bool printable = true;
  for (size_t i = 0; i < len; i++)
    printable &= start[i] > ' ' && start[i] < 0x7f && start[i] != '&' && start[i] != '#';
  if (!printable || len < TOKEN_MIN_BYTES || len > BRAID_SERVE_TOKEN_MAX_BYTES) {
    snprintf(err, errlen, "token_file %s: want one token of %d to %d printable bytes without "
             "spaces, '&' or '#'", path, TOKEN_MIN_BYTES, BRAID_SERVE_TOKEN_MAX_BYTES);
    return -EINVAL;
  }
  *ret = strdup(start);
  if (!*ret) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  return 0;
}

int serve_query_escape(const char *s, struct buf *out) {
  static const char hex[] = "0123456789ABCDEF";
  int r = 0;
  for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p; p++) {
    bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
    char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
    r = keep ? buf_append(out, (const char *)p, 1) : buf_append(out, esc, 3);
  }
  return r;
}

bool serve_token_matches(const char *given, const char *token) {
  size_t gl = strlen(given), tl = strlen(token);
  /* Time independent of where the first difference is: no byte-by-byte guessing. */
  unsigned char diff = gl != tl;
  for (size_t i = 0; i < tl; i++)
    diff |= (unsigned char)(token[i] ^ (i < gl ? given[i] : 0));
  return diff == 0;
}
