/* export.c — reading the stream for documents and writing them out. See export.h. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "defaults.h"
#include "listen.h"
#include "serve_priv.h"

void export_base_url(const char *base_url, const char *listen, char *out, size_t size) {
  /* The config check accepted both, so this fails only for an out too small. */
  const char *at = listen && *listen ? listen : BRAID_DEFAULT_LISTEN;
  if (listen_base_url(base_url, at, 0, out, size) < 0)
    snprintf(out, size, "http://" BRAID_DEFAULT_LISTEN "/");
}

static const struct {
  enum render_format fmt;
  const char *file;
} documents[] = {{RENDER_ATOM, "feed.atom"},
                 {RENDER_RSS, "feed.rss"},
                 {RENDER_JSON, "feed.json"},
                 {RENDER_HTML, "index.html"}};

static const char *document_name(enum render_format fmt) {
  for (size_t i = 0; i < sizeof documents / sizeof documents[0]; i++)
    if (documents[i].fmt == fmt)
      return documents[i].file;
  return "feed";
}

/* Renders l as fmt: the whole stream's document, or (st with a name) a named stream's; st's
 * title, when it has one, names either. */
static int render_list(enum render_format fmt, const struct stream_list *l, const char *base_url,
                       const struct export_style *style, const struct export_stream *st,
                       struct buf *out) {
  static const char *const ext[] = {[RENDER_ATOM] = "atom", [RENDER_RSS] = "rss",
                                    [RENDER_JSON] = "json", [RENDER_HTML] = "html"};
  char self[2048], alternates[256], home[1024];
  if (st && st->name) {
    snprintf(self, sizeof self, "%sstreams/%s.%s", base_url, st->name, ext[fmt]);
    snprintf(alternates, sizeof alternates, "streams/%s.", st->name);
    snprintf(home, sizeof home, "%sstreams/%s.html", base_url, st->name);
  } else {
    snprintf(self, sizeof self, "%s%s", base_url, document_name(fmt));
  }
  /* A search's documents name the search, as the server's do, so their links keep it. */
  struct buf suffix;
  buf_init(&suffix, 0);
  int r = 0;
  if (st && st->filter.query) {
    r = buf_append_str(&suffix, "?q=");
    if (r == 0)
      r = serve_query_escape(st->filter.query, &suffix);
    if (r == 0 && strlen(self) + suffix.len < sizeof self)
      strcat(self, buf_str(&suffix));
  }
  const char *title = style && style->title ? style->title : BRAID_DEFAULT_STREAM_TITLE;
  struct render_meta meta = {.title = title,
                             .self_url = self, .base_url = base_url,
                             .alternates_path = st && st->name ? alternates : NULL,
                             .home_url = st && st->name ? home : NULL};
  if (st && st->title)
    meta.title = st->title;
  if (style) {
    meta.policy = style->policy;
    meta.nav = style->nav;
    meta.n_nav = style->n_nav;
  }
  meta.search = st ? st->filter.query : NULL;
  meta.search_suffix = suffix.len ? buf_str(&suffix) : NULL;
  if (r == 0)
    r = render_stream(fmt, &meta, l, out);
  buf_clear(&suffix);
  return r;
}

int export_render(struct store *s, enum render_format fmt, size_t n, const char *base_url,
                  const struct export_style *style, const struct export_stream *st,
                  struct buf *out, char *err, size_t errlen) {
  struct stream_list l = {0};
  int rc = st ? store_stream_filter(s, &st->filter, n, &l) : store_stream_newest(s, n, &l);
  if (rc < 0) {
    snprintf(err, errlen, "%s", store_errmsg(s));
    return rc;
  }
  rc = render_list(fmt, &l, base_url, style, st, out);
  stream_list_clear(&l);
  if (rc < 0)
    snprintf(err, errlen, "rendering %s: %s", document_name(fmt), strerror(-rc));
  return rc;
}

/* Writes data to dir/name through a temporary file and a rename. */
static int write_atomically(const char *dir, const char *name, const struct buf *data, char *err,
                            size_t errlen) {
  char tmp[4096], final[4096];
  if (snprintf(final, sizeof final, "%s/%s", dir, name) >= (int)sizeof final ||
      snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp) {
    snprintf(err, errlen, "%s: path too long", dir);
    return -ENAMETOOLONG;
  }
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", tmp, strerror(e));
    return -e;
  }
  const char *p = buf_str(data);
  size_t left = data->len;
  int rc = 0;
  while (left > 0 && rc == 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      rc = -errno;
    else {
      p += w;
      left -= (size_t)w;
    }
  }
  /* World-readable like any published page; mkstemp made it 0600. */
  if (rc == 0 && fchmod(fd, 0644) < 0)
    rc = -errno;
  if (rc == 0 && fsync(fd) < 0)
    rc = -errno;
  if (close(fd) < 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, final) < 0)
    rc = -errno;
  if (rc < 0) {
    snprintf(err, errlen, "%s: %s", final, strerror(-rc));
    unlink(tmp);
  }
  return rc;
}

int export_write_dir(struct store *s, const char *dir, size_t n, const char *base_url,
                     const struct export_style *style, char *err, size_t errlen) {
  struct stream_list l = {0};
  int rc = store_stream_newest(s, n, &l);
  if (rc < 0) {
    snprintf(err, errlen, "%s", store_errmsg(s));
    return rc;
  }
  struct buf out;
  buf_init(&out, BRAID_EXPORT_MAX_DOC_BYTES);
  for (size_t i = 0; i < sizeof documents / sizeof documents[0] && rc == 0; i++) {
    buf_reset(&out);
    rc = render_list(documents[i].fmt, &l, base_url, style, NULL, &out);
    if (rc < 0)
      snprintf(err, errlen, "rendering %s: %s", documents[i].file, strerror(-rc));
    else
      rc = write_atomically(dir, documents[i].file, &out, err, errlen);
  }
  buf_clear(&out);
  stream_list_clear(&l);
  return rc;
}

int export_write_stream(struct store *s, const char *dir, const struct export_stream *st,
                        size_t n, const char *base_url, const struct export_style *style,
                        char *err, size_t errlen) {
  char sub[4096];
  if (snprintf(sub, sizeof sub, "%s/streams", dir) >= (int)sizeof sub) {
    snprintf(err, errlen, "%s: path too long", dir);
    return -ENAMETOOLONG;
  }
  if (mkdir(sub, 0755) < 0 && errno != EEXIST) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", sub, strerror(e));
    return -e;
  }
  struct stream_list l = {0};
  int rc = store_stream_filter(s, &st->filter, n, &l);
  if (rc < 0) {
    snprintf(err, errlen, "stream %s: %s", st->name, store_errmsg(s));
    return rc;
  }
  static const struct {
    enum render_format fmt;
    const char *ext;
  } files[] = {{RENDER_ATOM, "atom"}, {RENDER_RSS, "rss"}, {RENDER_JSON, "json"},
               {RENDER_HTML, "html"}};
  struct buf out;
  buf_init(&out, BRAID_EXPORT_MAX_DOC_BYTES);
  for (size_t i = 0; i < sizeof files / sizeof files[0] && rc == 0; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s.%s", st->name, files[i].ext);
    buf_reset(&out);
    rc = render_list(files[i].fmt, &l, base_url, style, st, &out);
    if (rc < 0)
      snprintf(err, errlen, "rendering streams/%s: %s", name, strerror(-rc));
    else
      rc = write_atomically(sub, name, &out, err, errlen);
  }
  buf_clear(&out);
  stream_list_clear(&l);
  return rc;
}
