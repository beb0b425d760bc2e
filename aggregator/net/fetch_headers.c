/* fetch_headers.c — what braid keeps from a response's headers, and the capped body path. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "civil.h"
#include "fetch_internal.h"

void fetch_job_reset_response(struct fetch_job *j) {
  j->status = 0;
  j->headers_done = false;
  j->headers_delivered = false;
  j->is_redirect = false;
  j->has_location = false;
  j->body_bytes = 0;
  j->content_type[0] = j->charset[0] = j->etag[0] = j->last_modified[0] = '\0';
  j->max_age_s = -1;
  j->expires_raw = j->date_raw = j->retry_after = -1;
  j->received_at = 0;
  j->errbuf[0] = '\0';
}

static const char *or_null(const char *s) { return s[0] ? s : NULL; }

void fetch_job_fill_headers(struct fetch_job *j) {
  struct fetch_headers *h = &j->h;
  if (j->is_file && j->last_modified[0]) {
    /* Modification times compare by the second: a file written again within the second
     * it was read in would look unmodified next time. Like git's "racily clean" index
     * entries, a time that is not yet safely in the past is not handed out. */
    time_t mtime = fetch_http_date(j->last_modified);
    if (mtime < 0 || mtime >= time(NULL) - 1)
      j->last_modified[0] = '\0';
  }
  h->status = j->status;
  h->content_type = or_null(j->content_type);
  h->charset = or_null(j->charset);
  /* Validators go back only to the URL that sent them: the request URL, or the target of
   * an all-permanent chain, which is where the next request goes. After a temporary
   * redirect they belong to another URL (maybe another host), so none are reported. */
  bool own_url = j->hops == 0 || j->all_permanent;
  h->etag = own_url ? or_null(j->etag) : NULL;
  h->last_modified = own_url ? or_null(j->last_modified) : NULL;
  h->max_age_s = j->max_age_s;
  h->retry_after = j->retry_after;
  h->expires = -1;
  if (j->expires_raw >= 0) {
    /* Expires is in the server's clock; Date tells us how far off that clock is. */
    int64_t now = j->received_at ? j->received_at : (int64_t)time(NULL);
    h->expires = j->date_raw >= 0 ? now + (j->expires_raw - j->date_raw) : j->expires_raw;
  }
  h->effective_url = j->url;
  h->permanent_url = j->permanent_url;
  h->permanent_redirect = j->hops > 0 && j->all_permanent;
  h->redirects = j->hops;
}

int64_t fetch_parse_retry_after(const char *v, int64_t now) {
  while (*v == ' ' || *v == '\t')
    v++;
  if (!*v)
    return -1;
  if (isdigit((unsigned char)*v)) {
    char *end;
    errno = 0;
    unsigned long long s = strtoull(v, &end, 10);
    while (*end == ' ' || *end == '\t')
      end++;
    if (errno || *end)
      return -1;
    if (s > (unsigned long long)BRAID_SCHED_MAX_RETRY_AFTER_S)
      s = BRAID_SCHED_MAX_RETRY_AFTER_S;
    return now + (int64_t)s;
  }
  time_t t = fetch_http_date(v);
  return t < 0 ? -1 : (int64_t)t;
}

int64_t fetch_parse_max_age(const char *cc) {
  const char *p = cc;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *tok = p;
    while (*p && *p != ',')
      p++;
    size_t n = (size_t)(p - tok);
    if (n > 8 && strncasecmp(tok, "max-age=", 8) == 0) {
      const char *v = tok + 8;
      if (*v == '"')
        v++;
      if (!isdigit((unsigned char)*v))
        return -1;
      char *end;
      errno = 0;
      unsigned long long s = strtoull(v, &end, 10);
      if (errno || s > (unsigned long long)INT32_MAX)
        return INT32_MAX;
      return (int64_t)s;
    }
  }
  return -1;
}

/* RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E /
 * obs-text. Anything else (a CR, a bare token, a second quote) is not echoed back. */
bool fetch_etag_valid(const char *v, size_t n) {
  if (n >= 2 && v[0] == 'W' && v[1] == '/') {
    v += 2;
    n -= 2;
  }
  if (n < 2 || n >= BRAID_FETCH_MAX_HEADER_BYTES || v[0] != '"' || v[n - 1] != '"')
    return false;
  for (size_t i = 1; i + 1 < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c < 0x21 || c == '"' || c == 0x7f)
      return false;
  }
  return true;
}

/* The value of n digits at p, or -1 if one is not a digit. */
static int digits(const char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* An exact IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 5.6.7), its weekday true to
 * its date and its year from 1970: *ret and true. Anything else is left to curl_getdate. */
static bool imf_fixdate(const char *v, time_t *ret) {
  static const char wdays[] = "SunMonTueWedThuFriSat"; /* civil_weekday's order */
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (strlen(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
      v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25] != ' ' || memcmp(v + 26, "GMT", 3))
    return false;
  int day = digits(v + 5, 2), year = digits(v + 12, 4), hour = digits(v + 17, 2),
      min = digits(v + 20, 2), sec = digits(v + 23, 2);
  const char *m = strstr(months, (char[4]){v[8], v[9], v[10], '\0'});
  int64_t t;
  /* civil_to_utc checks the fields (a leap second it would fold is left to curl) */
  if (!m || (m - months) % 3 || year < 1970 || sec > 59 ||
      civil_to_utc(year, (int)(m - months) / 3 + 1, day, hour, min, sec, 0, &t) < 0)
    return false;
  if (memcmp(v, wdays + civil_weekday(t / 86400) * 3, 3) != 0)
    return false;
  *ret = (time_t)t;
  return true;
}

time_t fetch_http_date(const char *v) {
  time_t t;
  if (imf_fixdate(v, &t))
    return t;
  t = curl_getdate(v, NULL);
  return t < 0 ? -1 : t;
}

/* An HTTP-date re-written as an IMF-fixdate, so what goes back out is our bytes, never the
 * server's; 0, or -EINVAL when it does not parse (the value is then not kept). */
int fetch_http_date_normalize(const char *v, size_t n, char *out, size_t size) {
  char tmp[BRAID_FETCH_MAX_HEADER_BYTES];
  if (n >= sizeof tmp || size < 30)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
      return -EINVAL;
  memcpy(tmp, v, n);
  tmp[n] = '\0';
  time_t t = fetch_http_date(tmp);
  struct tm tm;
  if (t < 0 || !gmtime_r(&t, &tm) || strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
    return -EINVAL;
  return 0;
}

/* Copies a header value (trimmed) into a field, or leaves it empty if it is too long. */
static void keep(char *field, const char *v, size_t n) {
  if (n >= BRAID_FETCH_MAX_HEADER_BYTES) {
    field[0] = '\0';
    return;
  }
  memcpy(field, v, n);
  field[n] = '\0';
}

static void content_type(struct fetch_job *j, const char *v, size_t n) {
  const char *semi = memchr(v, ';', n);
  size_t tn = semi ? (size_t)(semi - v) : n;
  while (tn && (v[tn - 1] == ' ' || v[tn - 1] == '\t'))
    tn--;
  keep(j->content_type, v, tn);
  j->charset[0] = '\0';
  while (semi) {
    const char *p = semi + 1;
    const char *end = v + n;
    semi = memchr(p, ';', (size_t)(end - p));
    const char *pend = semi ? semi : end;
    while (p < pend && (*p == ' ' || *p == '\t'))
      p++;
    if (pend - p > 8 && strncasecmp(p, "charset=", 8) == 0) {
      p += 8;
      while (pend > p && (pend[-1] == ' ' || pend[-1] == '\t'))
        pend--;
      if (pend - p >= 2 && *p == '"' && pend[-1] == '"') {
        p++;
        pend--;
      }
      keep(j->charset, p, (size_t)(pend - p));
    }
  }
}

static void end_of_headers(struct fetch_job *j) {
  long status = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
  j->status = status;
  j->headers_done = true;
  j->received_at = (int64_t)time(NULL);
  /* curl resolves Location (CURLINFO_REDIRECT_URL) only once the response is done. */
  if ((status == 301 || status == 302 || status == 303 || status == 307 || status == 308) &&
      j->has_location)
    j->is_redirect = true;
}

size_t fetch_header_cb(char *data, size_t size, size_t nmemb, void *userdata) {
  struct fetch_job *j = userdata;
  size_t len = size * nmemb;
  if (j->cancel_requested)
    return 0;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    /* A new response begins (after a 1xx, or the first one). */
    fetch_job_reset_response(j);
    return len;
  }
  size_t n = len;
  while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
    n--;
  if (n == 0) {
    if (j->is_file)
      return len;
    end_of_headers(j);
    if (j->status >= 100 && j->status < 200) {
      j->headers_done = false; /* interim response: the real one follows */
      return len;
    }
    if (j->is_redirect)
      return len;
    return fetch_job_deliver_headers(j) ? 0 : len;
  }
  const char *colon = memchr(data, ':', n);
  if (!colon)
    return len;
  size_t name_len = (size_t)(colon - data);
  const char *v = colon + 1;
  const char *end = data + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  size_t vn = (size_t)(end - v);
  char tmp[BRAID_FETCH_MAX_HEADER_BYTES];
#define IS(name) (name_len == sizeof(name) - 1 && strncasecmp(data, name, name_len) == 0)
  if (IS("content-type"))
    content_type(j, v, vn);
  else if (IS("location"))
    j->has_location = vn > 0;
  else if (IS("etag")) {
    if (fetch_etag_valid(v, vn))
      keep(j->etag, v, vn);
    else
      j->etag[0] = '\0';
  } else if (IS("last-modified")) {
    if (fetch_http_date_normalize(v, vn, j->last_modified, sizeof j->last_modified) < 0)
      j->last_modified[0] = '\0';
  }
  else if (vn < sizeof tmp) {
    memcpy(tmp, v, vn);
    tmp[vn] = '\0';
    if (IS("cache-control"))
      j->max_age_s = fetch_parse_max_age(tmp);
    else if (IS("retry-after"))
      /* Seconds-granular clocks: "now" is somewhere inside this second, so count from its
       * end, or a request could come up to a second before the server asked. */
      j->retry_after = fetch_parse_retry_after(tmp, (int64_t)time(NULL) + 1);
    else if (IS("expires")) {
      time_t t = fetch_http_date(tmp);
      j->expires_raw = t < 0 ? -1 : (int64_t)t;
    } else if (IS("date")) {
      time_t t = fetch_http_date(tmp);
      j->date_raw = t < 0 ? -1 : (int64_t)t;
    }
  }
#undef IS
  return len;
}

size_t fetch_write_cb(char *data, size_t size, size_t nmemb, void *userdata) {
  struct fetch_job *j = userdata;
  size_t len = size * nmemb;
  if (j->cancel_requested || j->aborted)
    return 0;
  /* Counted after decoding, so a small compressed bomb stops at the cap too. */
  if (len > j->f_max_bytes - j->body_bytes || j->body_bytes > j->f_max_bytes) {
    j->cap_hit = true;
    return 0;
  }
  j->body_bytes += len;
  if (j->is_redirect)
    return len;
  if (j->is_file && !j->headers_delivered)
    j->status = 200;
  if (fetch_job_deliver_headers(j))
    return 0;
  if (j->status < 200 || j->status >= 300 || !j->cb.on_data)
    return len;
  fetch_job_set_state(j, JOB_IN_CALLBACK);
  int rc = j->cb.on_data(j->userdata, data, len);
  fetch_job_set_state(j, JOB_IN_MULTI);
  if (rc) {
    j->aborted = true;
    return 0;
  }
  return j->cancel_requested ? 0 : len;
}
