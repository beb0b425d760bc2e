/* feeddef.c — feeds.d: one NAME.feed per feed; loading, reloading, comparing (API in config.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "grow.h"
#include "ini_read.h"
#include "tz.h"

bool feed_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > BRAID_FEED_NAME_MAX_BYTES || name[0] == '.')
    return false;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

void feed_def_clear(struct feed_def *d) {
  free(d->name);
  free(d->url);
  free(d->title);
  free(d->timezone);
  free(d->categories);
  free(d->source);
  memset(d, 0, sizeof *d);
}

void feed_list_clear(struct feed_list *l) {
  for (size_t i = 0; i < l->n; i++)
    feed_def_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

const struct feed_def *feed_list_find(const struct feed_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0)
      return &l->items[i];
  return NULL;
}

static bool str_eq(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

bool feed_def_equal(const struct feed_def *a, const struct feed_def *b) {
  return str_eq(a->name, b->name) && str_eq(a->url, b->url) && str_eq(a->title, b->title) &&
         a->interval_s == b->interval_s && a->liveblog == b->liveblog &&
         a->liveblog_page == b->liveblog_page && str_eq(a->timezone, b->timezone) &&
         str_eq(a->categories, b->categories);
}

struct feed_parse {
  struct feed_def *d;
  int line_url, line_title, line_interval, line_liveblog, line_liveblog_page, line_timezone,
      line_categories;
};

static int feed_kv(struct ini_read *r, const char *section, const char *key, const char *value) {
  struct feed_parse *p = r->user;
  int *line;
  if (strcmp(key, "url") == 0)
    line = &p->line_url;
  else if (strcmp(key, "title") == 0)
    line = &p->line_title;
  else if (strcmp(key, "interval") == 0)
    line = &p->line_interval;
  else if (strcmp(key, "liveblog") == 0)
    line = &p->line_liveblog;
  else if (strcmp(key, "liveblog_page") == 0)
    line = &p->line_liveblog_page;
  else if (strcmp(key, "timezone") == 0)
    line = &p->line_timezone;
  else if (strcmp(key, "categories") == 0)
    line = &p->line_categories;
  else {
    ini_read_error(r, "unknown key '%s'", key);
    return 0;
  }
  if (*line) {
    ini_read_error(r, "duplicate key '%s' (first on line %d)", key, *line);
    return 0;
  }
  *line = r->lineno;
  if (!*value) {
    ini_read_error(r, "empty value for '%s'", key);
    return 0;
  }
  struct feed_def *d = p->d;
  if (line == &p->line_url) {
    if (!feed_url_valid(value)) {
      ini_read_error(r, "url: '%s' is not an http, https or file URL", value);
      return 0;
    }
    d->url = strdup(value);
    return d->url ? 0 : -ENOMEM;
  }
  if (line == &p->line_title) {
    if (text_has_control(value)) {
      ini_read_error(r, "title: control character in value");
      return 0;
    }
    d->title = strdup(value);
    return d->title ? 0 : -ENOMEM;
  }
  if (line == &p->line_categories) {
    if (text_has_control(value)) {
      ini_read_error(r, "categories: control character in value");
      return 0;
    }
    d->categories = strdup(value);
    return d->categories ? 0 : -ENOMEM;
  }
  if (line == &p->line_interval) {
    int64_t v;
    if (config_parse_duration(value, &v) < 0 || v < 1 || v > BRAID_POLL_INTERVAL_MAX_S) {
      ini_read_error(r, "interval: '%s' is not a duration from 1s to 30d (like 30s, 5m, 2h)",
                     value);
      return 0;
    }
    d->interval_s = v;
    return 0;
  }
  if (line == &p->line_liveblog || line == &p->line_liveblog_page) {
    enum liveblog_mode *mode = line == &p->line_liveblog ? &d->liveblog : &d->liveblog_page;
    if (liveblog_mode_parse(value, mode) < 0)
      ini_read_error(r, "%s: '%s' is not auto, always or never", key, value);
    return 0;
  }
  if (!tz_name_known(value)) {
    ini_read_error(r, "timezone: unknown zone '%s' (an IANA name such as Europe/London, an abbreviation such as ET or BST, or an offset such as +05:30)", value);
    return 0;
  }
  d->timezone = strdup(value);
  return d->timezone ? 0 : -ENOMEM;
}

int feed_def_parse(const char *text, size_t len, const char *file, const char *name,
                   struct feed_def *ret, struct msg_list *errors) {
  memset(ret, 0, sizeof *ret);
  struct feed_parse p = {.d = ret};
  struct ini_read r = {.file = file, .errors = errors, .on_kv = feed_kv, .user = &p};
  int rc = ini_read_run(&r, text, len);
  if (rc == 0 && !ret->url) {
    r.lineno = 0;
    msg_list_addf(errors, "%s: missing 'url'", file);
    rc = -EINVAL;
  }
  if (rc == 0) {
    ret->name = strdup(name);
    ret->source = strdup(file);
    if (!ret->name || !ret->source)
      rc = -ENOMEM;
  }
  if (rc < 0)
    feed_def_clear(ret);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int feed_cmp(const void *a, const void *b) {
  return strcmp(((const struct feed_def *)a)->name, ((const struct feed_def *)b)->name);
}

int feed_def_copy(struct feed_def *dst, const struct feed_def *src) {
  *dst = *src;
  dst->name = strdup(src->name);
  dst->url = strdup(src->url);
  dst->title = src->title ? strdup(src->title) : NULL;
  dst->timezone = src->timezone ? strdup(src->timezone) : NULL;
  dst->categories = src->categories ? strdup(src->categories) : NULL;
  dst->source = src->source ? strdup(src->source) : NULL;
  if (!dst->name || !dst->url || (src->title && !dst->title) ||
      (src->categories && !dst->categories) ||
      (src->timezone && !dst->timezone) || (src->source && !dst->source)) {
    feed_def_clear(dst);
    return -ENOMEM;
  }
  return 0;
}

/* The *.feed names in dir, sorted. */
static int list_feed_files(const char *dir, char ***ret, size_t *ret_n, struct msg_list *errors) {
  DIR *d = opendir(dir);
  if (!d) {
    int rc = -errno;
    msg_list_addf(errors, "%s: %s", dir, strerror(errno));
    return rc;
  }
  char **names = NULL;
  size_t n = 0, alloc = 0;
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".feed") != 0)
      continue;
    if (n == BRAID_CONFIG_MAX_FEEDS) {
      msg_list_addf(errors, "%s: more than %d feeds (BRAID_CONFIG_MAX_FEEDS); the rest ignored",
                    dir, BRAID_CONFIG_MAX_FEEDS);
      rc = -EINVAL;
      break;
    }
    if (n == alloc) {
      char **v = grow_array(names, &alloc, sizeof *v, 16);
      if (!v) {
        rc = -ENOMEM;
        break;
      }
      names = v;
    }
    names[n] = strndup(de->d_name, len - 5);
    if (!names[n]) {
      rc = -ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (rc == -ENOMEM) {
    for (size_t i = 0; i < n; i++)
      free(names[i]);
    free(names);
    return rc;
  }
  if (n)
    qsort(names, n, sizeof *names, cmp_str);
  *ret = names;
  *ret_n = n;
  return rc;
}

/* A *.feed symlink may point at another file of the feeds directory, not out of it: a link to
 * /etc/passwd would otherwise have its lines quoted in error messages. 0, or -EPERM (said in
 * errors), or -ENOMEM. */
static int feed_file_inside(const char *dir, const char *path, struct msg_list *errors) {
  struct stat st;
  if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
    return 0; /* not a link (or gone): read_small_file reports what it finds */
  char *real_dir = realpath(dir, NULL);
  char *real = realpath(path, NULL);
  int rc = 0;
  size_t n = real_dir ? strlen(real_dir) : 0;
  if (!real_dir || !real || strncmp(real, real_dir, n) != 0 || real[n] != '/' ||
      strchr(real + n + 1, '/')) {
    rc = msg_list_addf(errors, "%s: a symlink that leads out of the feeds directory is not "
                       "read", path) < 0 ? -ENOMEM : -EPERM;
  }
  free(real_dir);
  free(real);
  return rc;
}

int feeds_reload(const char *dir, const struct feed_list *old, struct feed_list *ret,
                 struct msg_list *errors) {
  ret->items = NULL;
  ret->n = 0;
  char **names = NULL;
  size_t n = 0;
  int rc = list_feed_files(dir, &names, &n, errors);
  if (rc < 0 && rc != -EINVAL)
    return rc;
  bool bad = rc == -EINVAL;
  rc = 0;
  if (n) {
    ret->items = calloc(n, sizeof *ret->items);
    if (!ret->items)
      rc = -ENOMEM;
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    char *path = NULL;
    if (asprintf(&path, "%s/%s.feed", dir, names[i]) < 0) {
      rc = -ENOMEM;
      break;
    }
    struct feed_def *d = &ret->items[ret->n];
    int frc;
    if (!feed_name_valid(names[i])) {
      msg_list_addf(errors, "%s: '%s' is not a valid feed name (letters, digits, '.', '_', '-')",
                    path, names[i]);
      frc = -EINVAL;
    } else {
      char *text = NULL;
      size_t len = 0;
      frc = feed_file_inside(dir, path, errors);
      bool said = frc < 0;
      if (frc == 0)
        frc = read_small_file(path, BRAID_CONFIG_MAX_FILE_BYTES, &text, &len);
      if (said || frc == 0)
        ;
      else if (frc == -EINVAL)
        msg_list_addf(errors, "%s: not a regular file (a FIFO, device or socket is never read)",
                      path);
      else if (frc == -EFBIG)
        msg_list_addf(errors, "%s: larger than %d bytes (BRAID_CONFIG_MAX_FILE_BYTES)", path,
                      BRAID_CONFIG_MAX_FILE_BYTES);
      else if (frc < 0 && frc != -ENOMEM)
        msg_list_addf(errors, "%s: %s", path, strerror(-frc));
      if (frc == 0)
        frc = feed_def_parse(text, len, path, names[i], d, errors);
      free(text);
    }
    if (frc == -ENOMEM) {
      rc = frc;
    } else if (frc == 0) {
      ret->n++;
    } else {
      bad = true;
      const struct feed_def *prev = old ? feed_list_find(old, names[i]) : NULL;
      if (prev) {
        rc = feed_def_copy(d, prev);
        if (rc == 0)
          ret->n++;
      }
    }
    free(path);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  if (rc < 0) {
    feed_list_clear(ret);
    return rc;
  }
  if (ret->n > 0) /* qsort's pointer must be valid even for 0 items */
    qsort(ret->items, ret->n, sizeof *ret->items, feed_cmp);
  return bad ? -EINVAL : 0;
}

int feeds_load(const char *dir, struct feed_list *ret, struct msg_list *errors) {
  return feeds_reload(dir, NULL, ret, errors);
}

int feeds_diff(const struct feed_list *old_list, const struct feed_list *new_list,
               struct feed_diff **ret, size_t *ret_n) {
  size_t cap = old_list->n + new_list->n;
  struct feed_diff *v = calloc(cap ? cap : 1, sizeof *v);
  if (!v)
    return -ENOMEM;
  size_t i = 0, j = 0, n = 0;
  /* Both lists are sorted by name: merge them. */
  while (i < old_list->n || j < new_list->n) {
    const struct feed_def *a = i < old_list->n ? &old_list->items[i] : NULL;
    const struct feed_def *b = j < new_list->n ? &new_list->items[j] : NULL;
    int c = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
    if (c < 0) {
      v[n++] = (struct feed_diff){FEED_REMOVED, a, NULL};
      i++;
    } else if (c > 0) {
      v[n++] = (struct feed_diff){FEED_ADDED, NULL, b};
      j++;
    } else {
      v[n++] = (struct feed_diff){feed_def_equal(a, b) ? FEED_UNCHANGED : FEED_CHANGED, a, b};
      i++;
      j++;
    }
  }
  *ret = v;
  *ret_n = n;
  return 0;
}
