/* urlnorm.c — link normalisation. See urlnorm.h. */
#include "urlnorm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"

/* Query parameters that say who sent the reader, not which page it is. Names ending in
 * '*' are prefixes. */
static const char *const tracking_params[] = {
    "utm_*", "mc_*",   "fbclid", "gclid",  "dclid",   "gclsrc", "msclkid", "yclid",
    "_ga",   "_gl",    "igshid", "mkt_tok", "ref_src", "ocid",   "cmpid",   "wt.mc_id",
    "__twitter_impression", "oly_anon_id", "oly_enc_id", "vero_id", "_hsenc", "_hsmi",
};

static bool is_tracking_param(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof tracking_params / sizeof tracking_params[0]; i++) {
    const char *p = tracking_params[i];
    size_t plen = strlen(p);
    if (p[plen - 1] == '*') {
      if (len >= plen - 1 && strncasecmp(name, p, plen - 1) == 0)
        return true;
    } else if (len == plen && strncasecmp(name, p, len) == 0) {
      return true;
    }
  }
  return false;
}

/* Appends s[0..len) with percent escapes in upper case, and white space and control
 * characters (never valid in a URL) escaped as browsers send them. */
static int append_escaped(struct buf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if ((unsigned char)c <= 0x20 || c == 0x7f) {
      int r = buf_printf(b, "%%%02X", (unsigned char)c);
      if (r < 0)
        return r;
      continue;
    }
    if (c == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
        isxdigit((unsigned char)s[i + 2])) {
      char esc[3] = {'%', (char)toupper((unsigned char)s[i + 1]),
                     (char)toupper((unsigned char)s[i + 2])};
      int r = buf_append(b, esc, 3);
      if (r < 0)
        return r;
      i += 2;
      continue;
    }
    int r = buf_append_char(b, c);
    if (r < 0)
      return r;
  }
  return 0;
}

static int normalise_query(struct buf *b, const char *q, size_t len) {
  bool first = true;
  size_t i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && q[end] != '&' && q[end] != ';')
      end++;
    size_t name_len = 0;
    while (i + name_len < end && q[i + name_len] != '=')
      name_len++;
    if (end > i && !is_tracking_param(q + i, name_len)) {
      int r = buf_append_char(b, first ? '?' : '&');
      if (r == 0)
        r = append_escaped(b, q + i, end - i);
      if (r < 0)
        return r;
      first = false;
    }
    i = end + 1;
  }
  return 0;
}

static int normalise_http(struct buf *b, const char *rest, bool https) {
  /* rest starts after "scheme://" */
  size_t auth_len = strcspn(rest, "/?#");
  const char *at = memchr(rest, '@', auth_len);
  const char *host = at ? at + 1 : rest;
  size_t host_len = auth_len - (size_t)(host - rest);
  const char *port = NULL;
  size_t port_len = 0;
  /* The port is after the last ':' unless that ':' is inside an IPv6 literal. */
  const char *colon = NULL;
  for (size_t i = 0; i < host_len; i++)
    if (host[i] == ':')
      colon = host + i;
    else if (host[i] == ']')
      colon = NULL;
  if (colon && strspn(colon + 1, "0123456789") == host_len - (size_t)(colon + 1 - host)) {
    port = colon + 1; /* only digits make a port; "host:" has an empty (default) one */
    port_len = host_len - (size_t)(port - host);
    host_len = (size_t)(colon - host);
  }
  /* "example.org." is example.org; repeated empty ports say nothing either */
  while (host_len > 0 && (host[host_len - 1] == '.' || host[host_len - 1] == ':'))
    host_len--;
  int r = buf_append_str(b, "https://");
  if (r == 0 && at)
    r = buf_append(b, rest, (size_t)(at - rest) + 1);
  for (size_t i = 0; r == 0 && i < host_len; i++) {
    unsigned char c = (unsigned char)host[i];
    /* the host is all lower case, escapes included, so a second pass changes nothing */
    r = c <= 0x20 || c == 0x7f ? buf_printf(b, "%%%02x", c) : buf_append_char(b, (char)tolower(c));
  }
  if (r < 0)
    return r;
  if (port_len > 0) {
    char pbuf[8] = "";
    if (port_len < sizeof pbuf)
      memcpy(pbuf, port, port_len);
    bool is_default = (strcmp(pbuf, "443") == 0 && https) || (strcmp(pbuf, "80") == 0 && !https);
    if (!is_default) {
      r = buf_append_char(b, ':');
      if (r == 0)
        r = buf_append(b, port, port_len);
      if (r < 0)
        return r;
    }
  }
  const char *path = rest + auth_len;
  size_t path_len = strcspn(path, "?#");
  if (path_len == 0) {
    r = buf_append_char(b, '/');
  } else {
    size_t keep = path_len;
    while (keep > 1 && path[keep - 1] == '/')
      keep--;
    r = append_escaped(b, path, keep);
  }
  if (r < 0)
    return r;
  if (path[path_len] == '?') {
    const char *q = path + path_len + 1;
    r = normalise_query(b, q, strcspn(q, "#"));
  }
  return r;
}

int url_normalise(const char *url, char **ret) {
  *ret = NULL;
  while (isspace((unsigned char)*url))
    url++;
  size_t len = strlen(url);
  while (len > 0 && isspace((unsigned char)url[len - 1]))
    len--;
  if (len == 0)
    return 0;
  if (len > BRAID_STORE_MAX_URL_BYTES)
    return -E2BIG;
  char *copy = strndup(url, len);
  if (!copy)
    return -ENOMEM;
  struct buf b;
  buf_init(&b, 2 * len + 16);
  int r;
  if (strncasecmp(copy, "http://", 7) == 0)
    r = normalise_http(&b, copy + 7, false);
  else if (strncasecmp(copy, "https://", 8) == 0)
    r = normalise_http(&b, copy + 8, true);
  else {
    size_t scheme = strcspn(copy, ":/?#");
    r = 0;
    for (size_t i = 0; r == 0 && i < len; i++)
      r = buf_append_char(&b, i < scheme ? (char)tolower((unsigned char)copy[i]) : copy[i]);
  }
  free(copy);
  if (r < 0) {
    buf_clear(&b);
    return r;
  }
  *ret = buf_steal(&b);
  return *ret ? 0 : -ENOMEM;
}

bool url_is_site_root(const char *n) {
  if (strncmp(n, "https://", 8) != 0)
    return false;
  const char *path = strchr(n + 8, '/');
  return path && strcmp(path, "/") == 0;
}
