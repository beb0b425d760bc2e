/* feedsdir.c — adding and removing feeds.d/NAME.feed files (see feedsdir.h). */
#include "feedsdir.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "config.h"
#include "ini_read.h"

/* Lower-cases s into out, mapping runs of anything but [a-z0-9._] to one '-'. */
static void slug_append(char *out, size_t size, const char *s, size_t n) {
  size_t len = strlen(out);
  for (size_t i = 0; i < n && len + 1 < size; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (!keep)
      c = '-';
    if (c == '-' && (len == 0 || out[len - 1] == '-'))
      continue;
    out[len++] = c;
  }
  out[len] = '\0';
}

/* Path words that say nothing about the feed. */
static bool generic_word(const char *w, size_t n) {
  static const char *const words[] = {"rss", "feed", "feeds", "atom", "index", "xml", "rss2",
                                      "news", "default", NULL};
  for (const char *const *p = words; *p; p++)
    if (strlen(*p) == n && strncasecmp(w, *p, n) == 0)
      return true;
  return false;
}

int feedsdir_name_from_url(const char *url, char *out, size_t size) {
  if (size < 2)
    return -EINVAL;
  out[0] = '\0';
  CURLU *u = curl_url();
  if (!u)
    return -ENOMEM;
  char *host = NULL, *path = NULL;
  int rc = -EINVAL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
    goto out;
  curl_url_get(u, CURLUPART_HOST, &host, 0);
  curl_url_get(u, CURLUPART_PATH, &path, 0);
  char tmp[BRAID_FEED_NAME_MAX_BYTES];
  tmp[0] = '\0';
  if (host && *host) {
    const char *h = strncasecmp(host, "www.", 4) == 0 ? host + 4 : host;
    slug_append(tmp, 48, h, strlen(h));
  }
  /* The last meaningful path word, without its extension. */
  const char *best = NULL;
  size_t best_n = 0;
  for (const char *p = path ? path : ""; *p;) {
    while (*p == '/')
      p++;
    const char *w = p;
    while (*p && *p != '/')
      p++;
    size_t n = (size_t)(p - w);
    const char *dot = memchr(w, '.', n);
    if (dot && dot > w)
      n = (size_t)(dot - w);
    if (n && !generic_word(w, n)) {
      best = w;
      best_n = n;
    }
  }
  if (best) {
    if (tmp[0])
      slug_append(tmp, sizeof tmp, "-", 1);
    slug_append(tmp, sizeof tmp, best, best_n > 40 ? 40 : best_n);
  }
  size_t len = strlen(tmp);
  while (len && (tmp[len - 1] == '-' || tmp[len - 1] == '.'))
    tmp[--len] = '\0';
  const char *start = tmp;
  while (*start == '-' || *start == '.')
    start++;
  if (*start && strlen(start) < size && feed_name_valid(start)) {
    snprintf(out, size, "%s", start);
    rc = 0;
  }
out:
  curl_free(host);
  curl_free(path);
  curl_url_cleanup(u);
  return rc;
}

static int mkdir_p(const char *dir) {
  char path[4096];
  if (strlen(dir) >= sizeof path)
    return -ENAMETOOLONG;
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(path, 0755) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* A title as inih will read it back: no control characters, and no ';' after white space
 * (which inih would take for a comment), so "A ; B" is written as "A; B". */
static int title_line(struct buf *b, const char *title) {
  int rc = buf_append_str(b, "title = ");
  size_t start = b->len;
  for (const char *p = title; *p && rc == 0; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return -EINVAL;
    if (*p == ';')
      while (b->len > start && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
        b->data[--b->len] = '\0';
    rc = buf_append_char(b, *p);
  }
  return rc < 0 ? rc : buf_append_char(b, '\n');
}

int feedsdir_add_categories(const char *dir, const char *name, const char *url,
                            const char *title, const char *categories) {
  if (!feed_name_valid(name) || !feed_url_valid(url))
    return -EINVAL;
  /* A ';' would start a comment in the file. */
  if (categories && (text_has_control(categories) || strchr(categories, ';')))
    return -EINVAL;
  struct buf b;
  buf_init(&b, BRAID_CONFIG_MAX_FILE_BYTES);
  int rc = buf_printf(&b, "url = %s\n", url);
  if (rc == 0 && title && *title)
    rc = title_line(&b, title);
  if (rc == 0 && categories && *categories)
    rc = buf_printf(&b, "categories = %s\n", categories);
  if (rc < 0) {
    buf_clear(&b);
    return rc == -E2BIG ? -EINVAL : rc;
  }
  rc = mkdir_p(dir);
  if (rc < 0) {
    buf_clear(&b);
    return rc;
  }
  char final[4096], tmp[4096];
  snprintf(final, sizeof final, "%s/%s.feed", dir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.feed.XXXXXX", dir, name);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = -errno;
    buf_clear(&b);
    return rc;
  }
  errno = 0;
  if (fchmod(fd, 0644) < 0 || write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0)
    rc = errno ? -errno : -EIO;
  if (close(fd) < 0 && rc == 0)
    rc = -errno;
  /* link() refuses to replace an existing file, so two writers cannot clobber each other. */
  if (rc == 0 && link(tmp, final) < 0)
    rc = -errno;
  unlink(tmp);
  buf_clear(&b);
  if (rc == 0) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  return rc;
}

int feedsdir_remove(const char *dir, const char *name) {
  if (!feed_name_valid(name))
    return -EINVAL;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.feed", dir, name);
  return unlink(path) < 0 ? -errno : 0;
}
