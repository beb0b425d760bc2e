/* serve_doc.c — rendered documents as ready-made MHD responses, and their bounded cache.
 * See serve_priv.h.
 *
 * A document is rendered once per stream version and kept as two refcounted MHD responses
 * (identity and gzip) with every header set; serving it from the cache is a lookup and
 * MHD_queue_response, with no copy of the body. The ETag is a hash of the identity body
 * (crc32 and adler32 of it, and its length), so equal documents get equal tags whoever
 * renders them.
 *
 * A document is bounded by construction: each entry's body is cut to
 * BRAID_SERVE_LISTING_ENTRY_BYTES, and when the document would still pass
 * BRAID_RENDER_MAX_BYTES it is rendered again with half the entries, so whatever the store
 * holds, the stream answers 200 with the newest entries that fit.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gzip.h"
#include "serve_priv.h"

/* "CRC32ADLER32-LENGTH" of the body: a strong validator that equal bodies share. */
static void doc_etag(const char *body, size_t len, char out[40]) {
  uLong crc = crc32(0L, Z_NULL, 0), adler = adler32(0L, Z_NULL, 0);
  /* zlib takes uInt lengths: feed it in slices. */
  for (size_t off = 0; off < len;) {
    uInt n = (uInt)(len - off > (1u << 30) ? (1u << 30) : len - off);
    crc = crc32(crc, (const Bytef *)body + off, n);
    adler = adler32(adler, (const Bytef *)body + off, n);
    off += n;
  }
  snprintf(out, 40, "\"%08lx%08lx-%zx\"", crc & 0xffffffffUL, adler & 0xffffffffUL, len);
}

/* Headers both encodings carry. */
static int add_common_headers(struct MHD_Response *resp, const struct serve_doc *d,
                              const struct serve_doc_request *rq, const char *etag) {
  char cache[48], modified[RENDER_RFC822_LEN];
  snprintf(cache, sizeof cache, "public, max-age=%u", rq->max_age);
  bool ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    render_content_type(rq->fmt)) == MHD_YES &&
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES &&
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache) == MHD_YES &&
            MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding") == MHD_YES &&
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
  if (ok && d->last_modified) {
    render_rfc822_date(d->last_modified, modified);
    ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, modified) == MHD_YES;
  }
  /* The HTML view shows feed content: even sanitised, it gets no script and no plug-ins. */
  if (ok && rq->fmt == RENDER_HTML)
    ok = MHD_add_response_header(resp, "Content-Security-Policy",
                                    render_html_csp(rq->policy.remote_images, true)) == MHD_YES &&
         MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES;
  return ok ? 0 : -ENOMEM;
}

/* An MHD response that owns body's memory from here on (also on failure). */
static struct MHD_Response *response_from(struct buf *body) {
  size_t len = body->len;
  char *data = buf_steal(body);
  if (!data)
    return NULL;
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  if (!resp)
    free(data);
  return resp;
}

/* Where to cut s to at most max bytes: at a UTF-8 character boundary and, for markup,
 * before the last tag that would be cut in two (the sanitiser closes what is left open). */
static size_t cut_point(const char *s, size_t max, bool markup) {
  size_t at = max;
  while (at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80)
    at--;
  if (markup) {
    size_t lt = at;
    while (lt > 0 && s[lt - 1] != '<' && s[lt - 1] != '>')
      lt--;
    if (lt > 0 && s[lt - 1] == '<')
      at = lt - 1;
  }
  return at;
}

/* Cuts a body longer than BRAID_SERVE_LISTING_ENTRY_BYTES, ending it with an ellipsis.
 * 0 or -ENOMEM. */
static int cut_body(char **body, bool markup) {
  static const char ellipsis[] = " \xe2\x80\xa6"; /* U+2026 */
  if (!*body || strlen(*body) <= BRAID_SERVE_LISTING_ENTRY_BYTES)
    return 0;
  size_t at = cut_point(*body, BRAID_SERVE_LISTING_ENTRY_BYTES, markup);
  char *cut = malloc(at + sizeof ellipsis);
  if (!cut)
    return -ENOMEM;
  memcpy(cut, *body, at);
  memcpy(cut + at, ellipsis, sizeof ellipsis);
  free(*body);
  *body = cut;
  return 0;
}

/* A listing shows each entry's beginning; the entry's link has the rest. */
static int cut_bodies(struct stream_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    int r = cut_body(&l->entries[i].html, true);
    if (r == 0)
      r = cut_body(&l->entries[i].text, false);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Renders list into body (capped at cap bytes), dropping the older half of the
 * entries each time the document does not fit. */
static int render_bounded(enum render_format fmt, const struct render_meta *meta,
                          struct stream_list *list, struct buf *body, size_t cap) {
  int r = cut_bodies(list);
  for (;;) {
    if (r < 0)
      return r;
    r = render_stream(fmt, meta, list, body);
    if (r != -E2BIG || list->n == 0)
      return r;
    buf_clear(body);
    buf_init(body, cap);
    size_t keep = list->n / 2;
    for (size_t i = keep; i < list->n; i++)
      stream_entry_clear(&list->entries[i]);
    list->n = keep;
    r = 0;
  }
}

/* The feed's own description among the entries' sources (a story it carried second has
 * another feed first). */
static const struct stream_source *find_source(const struct stream_list *l, const char *feed) {
  for (size_t i = 0; i < l->n; i++)
    for (size_t j = 0; j < l->entries[i].n_sources; j++)
      if (l->entries[i].sources[j].feed && strcmp(l->entries[i].sources[j].feed, feed) == 0)
        return &l->entries[i].sources[j];
  return NULL;
}

/* The entries rq asks for: a named stream's or a search's through get_query (a refused
 * query's reason into rq->err), else the stream or one feed's. */
static int read_list(const struct serve_provider *p, void *userdata,
                     const struct serve_doc_request *rq, struct stream_list *list) {
  if (!rq->stream && !rq->q)
    return p->get_stream(userdata, rq->feed, rq->n, rq->since, list);
  const struct serve_query q = {.feed = rq->feed, .stream = rq->stream, .q = rq->q,
                                .n = rq->n, .since = rq->since};
  char why[256] = "";
  int r = p->get_query ? p->get_query(userdata, &q, list, why, sizeof why) : -ENOENT;
  if (r == -EINVAL && rq->err)
    snprintf(rq->err, rq->errlen, "%s", why);
  return r;
}

/* The document's own URL. A search's documents name the search, so a reader that follows the
 * self link keeps it. */
static int self_url(const struct serve_doc_request *rq, struct buf *self) {
  int r = buf_printf(self, "%s%s", rq->base_url, rq->path);
  if (r == 0 && rq->q)
    r = buf_append_str(self, "?q=");
  if (r == 0 && rq->q)
    r = serve_query_escape(rq->q, self);
  return r;
}

/* "?q=" and the search escaped: the HTML page's feed links carry the search it answers. */
static int search_suffix(const char *q, struct buf *out) {
  int r = buf_append_str(out, "?q=");
  return r ? r : serve_query_escape(q, out);
}

int serve_doc_new(const struct serve_provider *p, void *userdata,
                  const struct serve_doc_request *rq, struct serve_doc **ret) {
  struct stream_list list = {0};
  struct buf body, gz, self, suffix;
  size_t cap = rq->max_bytes && rq->max_bytes < BRAID_RENDER_MAX_BYTES ? rq->max_bytes
                                                                      : BRAID_RENDER_MAX_BYTES;
  buf_init(&body, cap);
  buf_init(&gz, BRAID_RENDER_MAX_BYTES);
  buf_init(&self, 0);
  buf_init(&suffix, 0);
  struct serve_doc *d = calloc(1, sizeof *d);
  int r = d ? 0 : -ENOMEM;
  if (d)
    d->status = MHD_HTTP_OK;
  if (r == 0 && !(d->key = strdup(rq->key)))
    r = -ENOMEM;
  if (r == 0)
    r = read_list(p, userdata, rq, &list);
  if (r == 0)
    r = self_url(rq, &self);
  if (r == 0 && rq->q)
    r = search_suffix(rq->q, &suffix);
  if (r == 0) {
    /* One feed's document is named after that feed; a feed with no entries yet still has
     * its name. */
    struct stream_source named = {.feed = (char *)(uintptr_t)rq->feed};
    const struct stream_source *source = rq->feed ? find_source(&list, rq->feed) : NULL;
    if (rq->feed && !source)
      source = &named;
    struct render_meta meta = {
        .title = rq->feed ? NULL : rq->title,
        .self_url = buf_str(&self),
        .base_url = rq->base_url,
        .source = source,
        .policy = rq->policy,
        .alternates_path = rq->alternates_path,
        .home_url = rq->home_url,
        .nav = rq->nav,
        .n_nav = rq->n_nav,
        .search_form = true,
        .search = rq->q,
        .search_suffix = rq->q ? buf_str(&suffix) : NULL,
    };
    d->version = rq->version;
    d->last_modified = rq->last_modified;
    r = render_bounded(rq->fmt, &meta, &list, &body, cap);
    d->entries = list.n;
  }
  if (r == 0)
    r = gzip_compress(body.data, body.len, &gz);
  if (r == 0) {
    d->length = body.len;
    doc_etag(body.data, body.len, d->etag);
    snprintf(d->etag_gzip, sizeof d->etag_gzip, "%.*s-gz\"", (int)strlen(d->etag) - 1, d->etag);
    d->plain = response_from(&body);
    d->gzip = response_from(&gz);
    if (!d->plain || !d->gzip)
      r = -ENOMEM;
  }
  if (r == 0)
    r = add_common_headers(d->plain, d, rq, d->etag);
  if (r == 0)
    r = add_common_headers(d->gzip, d, rq, d->etag_gzip);
  if (r == 0 && MHD_add_response_header(d->gzip, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES)
    r = -ENOMEM;
  stream_list_clear(&list);
  buf_clear(&body);
  buf_clear(&gz);
  buf_clear(&self);
  buf_clear(&suffix);
  if (r < 0) {
    serve_doc_free(d);
    return r;
  }
  *ret = d;
  return 0;
}

int serve_doc_new_error(const char *key, int64_t version, const char *text,
                        struct serve_doc **ret) {
  struct serve_doc *d = calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  d->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
  d->version = version;
  d->key = strdup(key);
  d->plain = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
                                             MHD_RESPMEM_MUST_COPY);
  if (!d->key || !d->plain ||
      MHD_add_response_header(d->plain, MHD_HTTP_HEADER_CONTENT_TYPE,
                              "text/plain; charset=utf-8") != MHD_YES ||
      MHD_add_response_header(d->plain, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
    serve_doc_free(d);
    return -ENOMEM;
  }
  *ret = d;
  return 0;
}

void serve_doc_free(struct serve_doc *d) {
  if (!d)
    return;
  if (d->plain)
    MHD_destroy_response(d->plain);
  if (d->gzip)
    MHD_destroy_response(d->gzip);
  free(d->key);
  free(d);
}

struct serve_doc *serve_cache_get(struct serve_cache *c, const char *key, int64_t version) {
  for (size_t i = 0; i < BRAID_SERVE_CACHE_DOCUMENTS; i++) {
    struct serve_doc *d = c->docs[i];
    if (d && d->version == version && strcmp(d->key, key) == 0) {
      d->last_used = ++c->clock;
      c->hits++;
      return d;
    }
  }
  c->misses++;
  return NULL;
}

void serve_cache_put(struct serve_cache *c, struct serve_doc *d) {
  /* The same key (an older version) first, then an empty slot, then the least recently used. */
  size_t slot = BRAID_SERVE_CACHE_DOCUMENTS, empty = BRAID_SERVE_CACHE_DOCUMENTS, lru = 0;
  for (size_t i = 0; i < BRAID_SERVE_CACHE_DOCUMENTS && slot == BRAID_SERVE_CACHE_DOCUMENTS; i++) {
    struct serve_doc *o = c->docs[i];
    if (!o)
      empty = empty < i ? empty : i;
    else if (strcmp(o->key, d->key) == 0)
      slot = i;
    else if (c->docs[lru] == NULL || o->last_used < c->docs[lru]->last_used)
      lru = i;
  }
  if (slot == BRAID_SERVE_CACHE_DOCUMENTS)
    slot = empty < BRAID_SERVE_CACHE_DOCUMENTS ? empty : lru;
  serve_doc_free(c->docs[slot]);
  d->last_used = ++c->clock;
  c->docs[slot] = d;
}

void serve_cache_clear(struct serve_cache *c) {
  for (size_t i = 0; i < BRAID_SERVE_CACHE_DOCUMENTS; i++) {
    serve_doc_free(c->docs[i]);
    c->docs[i] = NULL;
  }
}
