/* pgconn_redact.c — a connection string made fit for a log line (see pgconn.h).
 *
 * libpq parses the string (URI or keywords) so that a password hidden anywhere libpq would find
 * it — the URI's user info, its query, a keyword — is the one libpq reports as "password" and is
 * dropped; the rest is rendered back as keywords. An unparsable string is never echoed: it may
 * be a password typed in the wrong place. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "pgconn.h"

/* Appends s to out[*len], cutting with "..." at size; returns -E2BIG once cut. */
static int append(char *out, size_t size, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len + n < size) {
    memcpy(out + *len, s, n + 1);
    *len += n;
    return 0;
  }
  /* Leave room for "..." when there is any. */
  size_t keep = size - 1 - *len;
  memcpy(out + *len, s, keep);
  *len += keep;
  out[*len] = '\0';
  if (size >= 4)
    memcpy(out + size - 4, "...", 4);
  *len = size - 1;
  return -E2BIG;
}

/* True for options that hold secrets: password, sslpassword and any later *password*. */
static bool secret(const char *keyword) {
  return strstr(keyword, "password") != NULL;
}

/* Appends value quoted as libpq's keyword syntax reads it: bare when it is a plain word, else
 * in single quotes with ' and \ escaped. */
static int append_value(char *out, size_t size, size_t *len, const char *v) {
  bool plain = *v != '\0';
  for (const char *p = v; *p && plain; p++)
    plain = !(*p == ' ' || *p == '\'' || *p == '\\' || *p == '=' || (unsigned char)*p < 0x20);
  if (plain)
    return append(out, size, len, v);
  int rc = append(out, size, len, "'");
  char one[3] = {0};
  for (const char *p = v; *p && rc == 0; p++) {
    one[0] = (*p == '\'' || *p == '\\') ? '\\' : *p;
    one[1] = (*p == '\'' || *p == '\\') ? *p : '\0';
    rc = append(out, size, len, one);
  }
  return rc ? rc : append(out, size, len, "'");
}

int pgconn_conninfo_redact(const char *conninfo, char *out, size_t size) {
  if (size == 0)
    return -E2BIG;
  out[0] = '\0';
  size_t len = 0;
  if (!conninfo || strlen(conninfo) > BRAID_PG_MAX_CONNINFO_BYTES) {
    append(out, size, &len, "(connection string too long)");
    return -EINVAL;
  }
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
  if (!opts) {
    /* err is libpq's, and libpq quotes no part of the string in it; still, say only that. */
    PQfreemem(err);
    append(out, size, &len, "(unparsable connection string)");
    return -EINVAL;
  }
  int rc = 0;
  for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++) {
    if (!o->val || secret(o->keyword))
      continue;
    if (len > 0)
      rc = append(out, size, &len, " ");
    if (rc == 0)
      rc = append(out, size, &len, o->keyword);
    if (rc == 0)
      rc = append(out, size, &len, "=");
    if (rc == 0)
      rc = append_value(out, size, &len, o->val);
  }
  PQconninfoFree(opts);
  return rc;
}
