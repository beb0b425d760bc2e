/* streamdef.c — braid.conf's [stream "NAME"] sections: read, checked against feeds.d, and
 * matched against feeds (API in config.h; config.c hands the sections over through
 * config_internal.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

void config__streams_free(struct braid_config *c) {
  for (size_t i = 0; i < c->n_streams; i++) {
    struct stream_def *sd = &c->streams[i];
    free(sd->name);
    free(sd->title);
    free(sd->query);
    for (size_t j = 0; j < sd->n_feeds; j++)
      free(sd->feeds[j]);
    free(sd->feeds);
    for (size_t j = 0; j < sd->n_categories; j++)
      free(sd->categories[j]);
    free(sd->categories);
  }
  free(c->streams);
  c->streams = NULL;
  c->n_streams = 0;
}

const struct stream_def *config_stream_find(const struct braid_config *c, const char *name) {
  for (size_t i = 0; i < c->n_streams; i++)
    if (strcmp(c->streams[i].name, name) == 0)
      return &c->streams[i];
  return NULL;
}

int config__stream_section(struct ini_read *r, struct braid_config *c, const char *section,
                           int *ret_current) {
  static const char prefix[] = "stream \"";
  size_t len = strlen(section);
  *ret_current = -1;
  if (strncmp(section, prefix, sizeof prefix - 1) != 0)
    return 0;
  if (len < sizeof prefix || section[len - 1] != '"') {
    ini_read_error(r, "[%s]: want [stream \"NAME\"]", section);
    return 1;
  }
  char name[BRAID_CONFIG_MAX_STREAM_NAME_BYTES + 1];
  size_t n = len - (sizeof prefix - 1) - 1;
  if (n == 0 || n > BRAID_CONFIG_MAX_STREAM_NAME_BYTES) {
    ini_read_error(r, "[%s]: a stream name has 1 to %d characters", section,
                   BRAID_CONFIG_MAX_STREAM_NAME_BYTES);
    return 1;
  }
  memcpy(name, section + sizeof prefix - 1, n);
  name[n] = '\0';
  /* The name is a URL path segment (/streams/NAME.atom): the feed names' rule fits. */
  if (!feed_name_valid(name)) {
    ini_read_error(r, "[%s]: a stream name is letters, digits, '.', '_' and '-', not starting "
                      "with '.'", section);
    return 1;
  }
  const struct stream_def *was = config_stream_find(c, name);
  if (was) {
    ini_read_error(r, "duplicate [stream \"%s\"] (first on line %d)", name, was->line);
    return 1;
  }
  if (c->n_streams == BRAID_CONFIG_MAX_STREAMS) {
    ini_read_error(r, "more than %d [stream \"NAME\"] sections", BRAID_CONFIG_MAX_STREAMS);
    return 1;
  }
  struct stream_def *v = realloc(c->streams, (c->n_streams + 1) * sizeof *v);
  if (!v)
    return -ENOMEM;
  c->streams = v;
  struct stream_def *sd = &c->streams[c->n_streams];
  memset(sd, 0, sizeof *sd);
  if (!(sd->name = strdup(name)))
    return -ENOMEM;
  sd->line = r->lineno;
  *ret_current = (int)c->n_streams++;
  return 1;
}

/* "a, b ,c" into its trimmed, non-empty items. 0, -EINVAL (reported) or -ENOMEM. */
static int split_list(struct ini_read *r, const char *key, const char *value, bool names,
                      char ***ret, size_t *ret_n) {
  char **items = NULL;
  size_t n = 0;
  int rc = 0;
  for (const char *p = value; rc == 0 && *p;) {
    const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
    const char *a = p, *z = end;
    while (a < z && (*a == ' ' || *a == '\t'))
      a++;
    while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
      z--;
    p = comma ? comma + 1 : end;
    if (a == z)
      continue;
    char *item = strndup(a, (size_t)(z - a));
    char **grown = item ? realloc(items, (n + 1) * sizeof *items) : NULL;
    if (!grown) {
      free(item);
      rc = -ENOMEM;
    } else if (n == BRAID_CONFIG_MAX_STREAM_LIST) {
      ini_read_error(r, "%s: more than %d names", key, BRAID_CONFIG_MAX_STREAM_LIST);
      items = grown;
      free(item);
      rc = -EINVAL;
    } else if (names && !feed_name_valid(item)) {
      ini_read_error(r, "%s: '%s' is not a feed name (the name of a feeds.d file without "
                        ".feed)", key, item);
      items = grown;
      free(item);
      rc = -EINVAL;
    } else {
      items = grown;
      items[n++] = item;
    }
  }
  if (rc == 0 && n == 0) {
    ini_read_error(r, "%s: no names given", key);
    rc = -EINVAL;
  }
  if (rc < 0) {
    for (size_t i = 0; i < n; i++)
      free(items[i]);
    free(items);
    return rc;
  }
  *ret = items;
  *ret_n = n;
  return 0;
}

int config__stream_kv(struct ini_read *r, struct braid_config *c, int current, const char *key,
                      const char *value) {
  if (current < 0)
    return 0; /* the section header was wrong, and said so */
  struct stream_def *sd = &c->streams[current];
  int *line = strcmp(key, "title") == 0        ? &sd->title_line
              : strcmp(key, "query") == 0      ? &sd->query_line
              : strcmp(key, "feeds") == 0      ? &sd->feeds_line
              : strcmp(key, "categories") == 0 ? &sd->categories_line
                                               : NULL;
  if (!line) {
    ini_read_error(r, "unknown key '%s' in [stream \"%s\"] (title, query, feeds, categories)",
                   key, sd->name);
    return 0;
  }
  if (*line) {
    ini_read_error(r, "duplicate key '%s' in [stream \"%s\"] (first on line %d)", key,
                   sd->name, *line);
    return 0;
  }
  *line = r->lineno;
  if (!*value) {
    ini_read_error(r, "empty value for '%s'", key);
    return 0;
  }
  if (text_has_control(value)) {
    ini_read_error(r, "%s: control character in value", key);
    return 0;
  }
  int rc = 0;
  if (line == &sd->title_line)
    rc = (sd->title = strdup(value)) ? 0 : -ENOMEM;
  else if (line == &sd->query_line)
    rc = (sd->query = strdup(value)) ? 0 : -ENOMEM;
  else if (line == &sd->feeds_line)
    rc = split_list(r, key, value, true, &sd->feeds, &sd->n_feeds);
  else
    rc = split_list(r, key, value, false, &sd->categories, &sd->n_categories);
  return rc == -ENOMEM ? rc : 0;
}

void config__streams_finish(struct ini_read *r, struct braid_config *c) {
  for (size_t i = 0; i < c->n_streams; i++) {
    const struct stream_def *sd = &c->streams[i];
    if (!sd->query_line && !sd->feeds_line && !sd->categories_line) {
      r->lineno = sd->line;
      ini_read_error(r, "[stream \"%s\"] selects nothing: give query, feeds or categories",
                     sd->name);
    }
  }
}

int config_streams_check(const struct braid_config *c, const struct feed_list *feeds,
                         int (*query_check)(const char *query, char *err, size_t errlen),
                         struct msg_list *errors) {
  size_t before = errors->n;
  for (size_t i = 0; i < c->n_streams; i++) {
    const struct stream_def *sd = &c->streams[i];
    for (size_t j = 0; j < sd->n_feeds; j++)
      if (!feed_list_find(feeds, sd->feeds[j]))
        msg_list_addf(errors, "%s:%d: [stream \"%s\"] feeds: unknown feed '%s' (no %s.feed "
                      "in %s)", c->path, sd->feeds_line, sd->name, sd->feeds[j], sd->feeds[j],
                      c->feeds_dir);
    char why[256];
    if (sd->query && query_check && query_check(sd->query, why, sizeof why) < 0)
      msg_list_addf(errors, "%s:%d: [stream \"%s\"] query: %s", c->path, sd->query_line,
                    sd->name, why);
  }
  return errors->n > before ? -EINVAL : 0;
}

/* Whether the feed category cat is want or lies under it ("News" takes "News/World"). */
static bool category_under(const char *cat, size_t len, const char *want) {
  size_t wl = strlen(want);
  return len >= wl && strncasecmp(cat, want, wl) == 0 && (len == wl || cat[wl] == '/');
}

static bool feed_in_category(const struct feed_def *d, const char *want) {
  for (const char *p = d->categories; p && *p;) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *end = p + strcspn(p, ","), *z = end;
    while (z > p && (z[-1] == ' ' || z[-1] == '\t'))
      z--;
    if (z > p && category_under(p, (size_t)(z - p), want))
      return true;
    p = end;
  }
  return false;
}

bool stream_def_takes_feed(const struct stream_def *sd, const struct feed_def *d) {
  bool named = !sd->feeds_line, in_category = !sd->categories_line;
  for (size_t i = 0; !named && i < sd->n_feeds; i++)
    named = strcmp(sd->feeds[i], d->name) == 0;
  for (size_t i = 0; !in_category && i < sd->n_categories; i++)
    in_category = feed_in_category(d, sd->categories[i]);
  return named && in_category;
}

static bool same_str(const char *a, const char *b) {
  return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool same_list(char **a, size_t na, char **b, size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

bool config_streams_equal(const struct braid_config *a, const struct braid_config *b) {
  if (a->n_streams != b->n_streams)
    return false;
  for (size_t i = 0; i < a->n_streams; i++) {
    const struct stream_def *x = &a->streams[i], *y = &b->streams[i];
    if (strcmp(x->name, y->name) != 0 || !same_str(x->title, y->title) ||
        !same_str(x->query, y->query) || !same_list(x->feeds, x->n_feeds, y->feeds, y->n_feeds) ||
        !same_list(x->categories, x->n_categories, y->categories, y->n_categories) ||
        (x->feeds_line == 0) != (y->feeds_line == 0) ||
        (x->categories_line == 0) != (y->categories_line == 0))
      return false;
  }
  return true;
}
