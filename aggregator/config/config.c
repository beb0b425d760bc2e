/* config.c — braid.conf: defaults (from defaults.h), parsing, validation (API in config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include "bounds.h"
#include "defaults.h"
#include "config_internal.h"
#include "ini_read.h"
#include "listen.h"
#include "log.h"
#include "grow.h"

struct unit {
  char suffix;
  uint64_t scale;
};

/* A decimal number with an optional one-letter unit from units (and, for sizes, a trailing 'B'). */
static int parse_scaled(const char *s, const struct unit *units, bool allow_b, uint64_t *ret) {
  if (!s || *s < '0' || *s > '9')
    return -EINVAL;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno)
    return -EINVAL;
  uint64_t scale = 1;
  if (*end) {
    const struct unit *u = units;
    while (u->suffix && u->suffix != *end)
      u++;
    if (!u->suffix)
      return -EINVAL;
    scale = u->scale;
    if (end[1] && !(allow_b && end[1] == 'B' && !end[2]))
      return -EINVAL;
  }
  if (v > UINT64_MAX / scale)
    return -EINVAL;
  *ret = v * scale;
  return 0;
}

int config_parse_duration(const char *s, int64_t *ret_seconds) {
  static const struct unit units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {0, 0}};
  uint64_t v;
  if (parse_scaled(s, units, false, &v) < 0 || v > INT64_MAX)
    return -EINVAL;
  *ret_seconds = (int64_t)v;
  return 0;
}

void config_format_duration(int64_t s, char *out, size_t size) {
  if (s != 0 && s % 86400 == 0)
    snprintf(out, size, "%lldd", (long long)(s / 86400));
  else if (s != 0 && s % 3600 == 0)
    snprintf(out, size, "%lldh", (long long)(s / 3600));
  else if (s != 0 && s % 60 == 0)
    snprintf(out, size, "%lldm", (long long)(s / 60));
  else
    snprintf(out, size, "%llds", (long long)s);
}

int config_parse_size(const char *s, uint64_t *ret_bytes) {
  static const struct unit units[] = {
      {'K', 1024}, {'k', 1024}, {'M', 1024 * 1024}, {'G', 1024 * 1024 * 1024}, {0, 0}};
  return parse_scaled(s, units, true, ret_bytes);
}

int config_choose_path(const char *cli_path, char **ret_path, bool *ret_explicit) {
  const char *p = cli_path;
  bool explicit_path = true;
  if (!p) {
    p = getenv(BRAID_CONFIG_ENV);
    if (!p || !*p) {
      p = BRAID_DEFAULT_CONFIG_PATH;
      explicit_path = false;
    }
  }
  *ret_path = strdup(p);
  if (!*ret_path)
    return -ENOMEM;
  *ret_explicit = explicit_path;
  return 0;
}

/* base + "/" + rel, unless rel is absolute. */
static char *path_join(const char *base, const char *rel) {
  if (rel[0] == '/')
    return strdup(rel);
  char *out = NULL;
  if (asprintf(&out, "%s/%s", base, rel) < 0)
    return NULL;
  return out;
}

static char *absolute_path(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd))
    return NULL;
  return path_join(cwd, path);
}

static char *dir_of(const char *abs_path) {
  const char *slash = strrchr(abs_path, '/');
  if (slash == abs_path)
    return strdup("/");
  return strndup(abs_path, (size_t)(slash - abs_path));
}

void config_free(struct braid_config *c) {
  if (!c)
    return;
  free(c->path);
  free(c->dir);
  free(c->store_path);
  free(c->store_url);
  free(c->http_listen);
  free(c->http_base_url);
  free(c->http_token_file);
  free(c->stream_title);
  free(c->user_agent);
  free(c->feeds_dir);
  free(c->output_dir);
  config__streams_free(c);
  free(c);
}

int config_defaults(const char *path, struct braid_config **ret) {
  struct braid_config *c = calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  c->path = absolute_path(path);
  c->dir = c->path ? dir_of(c->path) : NULL;
  c->store_path = strdup(BRAID_DEFAULT_STORE_PATH);
  c->http_listen = strdup(BRAID_DEFAULT_LISTEN);
  c->user_agent = strdup(BRAID_DEFAULT_USER_AGENT);
  c->feeds_dir = c->dir ? path_join(c->dir, BRAID_DEFAULT_FEEDS_DIR) : NULL;
  c->poll_interval_s = BRAID_DEFAULT_POLL_INTERVAL_S;
  c->poll_concurrency = BRAID_DEFAULT_POLL_CONCURRENCY;
  c->poll_per_host = BRAID_DEFAULT_POLL_PER_HOST;
  c->poll_timeout_s = BRAID_DEFAULT_POLL_TIMEOUT_S;
  c->poll_connect_timeout_s = BRAID_DEFAULT_POLL_CONNECT_TIMEOUT_S;
  c->poll_low_speed_limit = BRAID_DEFAULT_POLL_LOW_SPEED_LIMIT;
  c->poll_low_speed_time_s = BRAID_DEFAULT_POLL_LOW_SPEED_TIME_S;
  c->poll_max_bytes = BRAID_DEFAULT_POLL_MAX_BYTES;
  c->poll_max_redirects = BRAID_DEFAULT_POLL_MAX_REDIRECTS;
  c->stream_entries = BRAID_DEFAULT_STREAM_ENTRIES;
  c->stream_retention_s = BRAID_DEFAULT_STREAM_RETENTION_S;
  c->stream_per_feed = BRAID_DEFAULT_STREAM_PER_FEED;
  c->stream_title = strdup(BRAID_DEFAULT_STREAM_TITLE);
  c->log_level = BRAID_DEFAULT_LOG_LEVEL;
  c->store_lease_s = BRAID_DEFAULT_STORE_LEASE_S;
  if (!c->path || !c->dir || !c->store_path || !c->http_listen || !c->user_agent ||
      !c->feeds_dir || !c->stream_title) {
    config_free(c);
    return -ENOMEM;
  }
  *ret = c;
  return 0;
}

enum key_kind {
  K_PATH, K_STRING, K_DURATION, K_SIZE, K_UINT, K_LISTEN, K_BASE_URL, K_LOGLEVEL, K_BOOL, K_PG_URL
};

struct key_spec {
  const char *section;
  const char *key;
  enum key_kind kind;
  size_t offset;
  int64_t min, max; /* for numbers: the accepted range */
};

#define OFF(field) offsetof(struct braid_config, field)
static const struct key_spec keys[] = {
    {"store", "path", K_PATH, OFF(store_path), 0, 0},
    {"store", "url", K_PG_URL, OFF(store_url), 0, 0},
    {"store", "lease", K_DURATION, OFF(store_lease_s), BRAID_PG_MIN_LEASE_S * 5,
     BRAID_PG_MAX_LEASE_S},
    {"http", "listen", K_LISTEN, OFF(http_listen), 0, 0},
    {"http", "base_url", K_BASE_URL, OFF(http_base_url), 0, 0},
    {"http", "token_file", K_PATH, OFF(http_token_file), 0, 0},
    {"http", "publish_feed_queries", K_BOOL, OFF(http_publish_feed_queries), 0, 0},
    {"http", "remote_images", K_BOOL, OFF(http_remote_images), 0, 0},
    {"poll", "interval", K_DURATION, OFF(poll_interval_s), 1, BRAID_POLL_INTERVAL_MAX_S},
    {"poll", "concurrency", K_UINT, OFF(poll_concurrency), 1, 1024},
    {"poll", "per_host", K_UINT, OFF(poll_per_host), 1, 64},
    {"poll", "timeout", K_DURATION, OFF(poll_timeout_s), 1, 3600},
    {"poll", "connect_timeout", K_DURATION, OFF(poll_connect_timeout_s), 1, 600},
    {"poll", "low_speed_limit", K_SIZE, OFF(poll_low_speed_limit), 1, 1 << 30},
    {"poll", "low_speed_time", K_DURATION, OFF(poll_low_speed_time_s), 1, 3600},
    {"poll", "max_bytes", K_SIZE, OFF(poll_max_bytes), 1024, 1LL << 30},
    {"poll", "max_redirects", K_UINT, OFF(poll_max_redirects), 0, BRAID_FETCH_MAX_REDIRECTS_CAP},
    {"poll", "user_agent", K_STRING, OFF(user_agent), 0, 0},
    {"poll", "allow_private_redirects", K_BOOL, OFF(poll_allow_private_redirects), 0, 0},
    {"stream", "entries", K_UINT, OFF(stream_entries), 1, 100000},
    {"stream", "retention", K_DURATION, OFF(stream_retention_s), 3600, 100LL * 365 * 86400},
    {"stream", "per_feed", K_UINT, OFF(stream_per_feed), 0, 10000000},
    {"stream", "title", K_STRING, OFF(stream_title), 0, 0},
    {"feeds", "dir", K_PATH, OFF(feeds_dir), 0, 0},
    {"output", "dir", K_PATH, OFF(output_dir), 0, 0},
    {"log", "level", K_LOGLEVEL, OFF(log_level), 0, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct conf_parse {
  struct braid_config *c;
  int line_of[NKEYS]; /* where each key was set, for duplicate reports */
  int stream;         /* the [stream "NAME"] being read (index into c->streams), or -1 */
};

static bool is_stream_section(const char *section) {
  return strncmp(section, "stream \"", 8) == 0;
}

/* The server binds what listen_parse reads; port 0 (any free port) is for tests only. */
static bool listen_valid(const char *v) {
  struct sockaddr_storage addr;
  socklen_t len;
  if (listen_parse(v, &addr, &len) < 0)
    return false;
  const struct sockaddr_in *in4 = (const struct sockaddr_in *)&addr;
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&addr;
  return (addr.ss_family == AF_INET6 ? in6->sin6_port : in4->sin_port) != 0;
}

static int set_string(struct ini_read *r, char **slot, char *value) {
  if (!value)
    return -ENOMEM;
  free(*slot);
  *slot = value;
  (void)r;
  return 0;
}

/* A number key: value read by the key's own parser, then held to k's range. */
static void set_number(struct ini_read *r, const struct key_spec *k, char *field,
                       const char *value) {
  switch (k->kind) {
  case K_DURATION: {
    int64_t v;
    if (config_parse_duration(value, &v) < 0)
      ini_read_error(r, "%s: '%s' is not a duration (like 30s, 5m, 2h, 1d)", k->key, value);
    else if (v < k->min || v > k->max)
      ini_read_error(r, "%s: %s is out of range (%llds..%llds)", k->key, value,
                     (long long)k->min, (long long)k->max);
    else
      *(int64_t *)field = v;
    return;
  }
  case K_SIZE: {
    uint64_t v;
    if (config_parse_size(value, &v) < 0)
      ini_read_error(r, "%s: '%s' is not a size (like 512K, 10M, 4096)", k->key, value);
    else if (v < (uint64_t)k->min || v > (uint64_t)k->max)
      ini_read_error(r, "%s: %s is out of range (%lld..%lld bytes)", k->key, value,
                     (long long)k->min, (long long)k->max);
    else
      *(uint64_t *)field = v;
    return;
  }
  default: { /* K_UINT */
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || *end || value[0] == '-' || value[0] == '+' || v < k->min || v > k->max)
      ini_read_error(r, "%s: '%s' is not a whole number in %lld..%lld", k->key, value,
                     (long long)k->min, (long long)k->max);
    else
      *(unsigned *)field = (unsigned)v;
    return;
  }
  }
}

/* Whether a libpq connection string names a password: a URI's user info "user:secret@" or
 * a password= in its query, or a (ssl)password key of a keyword string. A quoted value that
 * merely contains "password=" is refused too: the message says where the password goes. */
static bool pg_url_has_password(const char *v) {
  const char *rest = NULL;
  if (!strncmp(v, "postgresql://", 13))
    rest = v + 13;
  else if (!strncmp(v, "postgres://", 11))
    rest = v + 11;
  if (rest) {
    size_t auth = strcspn(rest, "/?");
    const char *at = memchr(rest, '@', auth);
    if (at && memchr(rest, ':', (size_t)(at - rest)))
      return true;
    const char *q = strchr(rest, '?');
    for (const char *p = q; p; p = strchr(p + 1, '&')) {
      const char *k = p + 1;
      if (!strncmp(k, "ssl", 3))
        k += 3;
      if (!strncmp(k, "password=", 9))
        return true;
    }
    return false;
  }
  for (const char *p = v; *p; p++) {
    if (p != v && !isspace((unsigned char)p[-1]))
      continue;
    const char *k = p;
    if (!strncmp(k, "ssl", 3))
      k += 3;
    if (strncmp(k, "password", 8))
      continue;
    k += 8;
    while (isspace((unsigned char)*k))
      k++;
    if (*k == '=')
      return true;
  }
  return false;
}

/* A URI, or a keyword string (at least one key=value); libpq checks the rest at start. */
static bool pg_url_plausible(const char *v) {
  return !strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11) || strchr(v, '=');
}

/* Stores value (non-empty, no control characters) into c's field for key k; a value k's
 * parser refuses is reported on r and leaves the default. 0 or -ENOMEM. */
static int set_value(struct ini_read *r, struct braid_config *c, const struct key_spec *k,
                     const char *value) {
  char *field = (char *)c + k->offset;
  switch (k->kind) {
  case K_PATH:
    return set_string(r, (char **)field, path_join(c->dir, value));
  case K_STRING:
    return set_string(r, (char **)field, strdup(value));
  case K_PG_URL:
    if (pg_url_has_password(value)) {
      /* braid.conf is often world-readable and its values reach the log: the password
       * belongs in PGPASSFILE or ~/.pgpass, which libpq reads itself. */
      ini_read_error(r, "url: holds a password; put it in PGPASSFILE or ~/.pgpass instead");
      return 0;
    }
    if (!pg_url_plausible(value)) {
      ini_read_error(r, "url: neither a postgresql:// URI nor a libpq keyword string "
                        "(host=... dbname=...)");
      return 0;
    }
    return set_string(r, (char **)field, strdup(value));
  case K_LISTEN:
    if (!listen_valid(value)) {
      /* The numeric host is the rule that a name such as example.org breaks. */
      ini_read_error(r, "listen: '%s' is not HOST:PORT", value);
      return 0;
    }
    return set_string(r, (char **)field, strdup(value));
  case K_BASE_URL:
    if (!listen_base_url_valid(value)) {
      ini_read_error(r, "base_url: '%s' is not an http:// or https:// URL (no spaces, quotes, "
                        "'<', '>' or '#')", value);
      return 0;
    }
    return set_string(r, (char **)field, strdup(value));
  case K_BOOL:
    if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0)
      *(bool *)field = true;
    else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "off") == 0)
      *(bool *)field = false;
    else
      ini_read_error(r, "%s: '%s' is not yes or no", k->key, value);
    return 0;
  case K_LOGLEVEL:
    if (log_level_parse(value, (int *)field) < 0)
      ini_read_error(r, "level: '%s' is not err, warning, notice, info or debug", value);
    return 0;
  case K_DURATION:
  case K_SIZE:
  case K_UINT:
    set_number(r, k, field, value);
    return 0;
  }
  return 0;
}

/* The spec of [section] key and its index in keys, or NULL when braid.conf has no such key. */
static const struct key_spec *find_key(const char *section, const char *key, size_t *ret_idx) {
  for (size_t i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0) {
      *ret_idx = i;
      return &keys[i];
    }
  return NULL;
}

static int conf_kv(struct ini_read *r, const char *section, const char *key, const char *value) {
  struct conf_parse *p = r->user;
  if (is_stream_section(section))
    return config__stream_kv(r, p->c, p->stream, key, value);
  size_t idx = 0;
  const struct key_spec *k = find_key(section, key, &idx);
  if (!k) {
    if (!*section)
      ini_read_error(r, "key '%s' outside any [section]", key);
    else
      ini_read_error(r, "unknown key '%s' in [%s]", key, section);
    return 0;
  }
  if (p->line_of[idx]) {
    ini_read_error(r, "duplicate key '%s' in [%s] (first on line %d)", key, section,
                   p->line_of[idx]);
    return 0;
  }
  p->line_of[idx] = r->lineno;
  if (!*value && k->offset == OFF(output_dir)) { /* "dir =" spells out the default: unset */
    free(p->c->output_dir);
    p->c->output_dir = NULL;
    return 0;
  }
  if (!*value) {
    ini_read_error(r, "empty value for '%s'", key);
    return 0;
  }
  /* Values end up in paths, request headers, the listen address and log lines. */
  if (text_has_control(value)) {
    ini_read_error(r, "%s: control character in value", key);
    return 0;
  }
  return set_value(r, p->c, k, value);
}

static int conf_section(struct ini_read *r, const char *section) {
  struct conf_parse *p = r->user;
  int rc = config__stream_section(r, p->c, section, &p->stream);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  for (size_t i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].section, section) == 0)
      return 0;
  ini_read_error(r, "unknown section [%s]", section);
  return 0;
}

int config_parse(const char *text, size_t len, const char *path, struct braid_config **ret,
                 struct msg_list *errors) {
  *ret = NULL;
  struct braid_config *c;
  int rc = config_defaults(path, &c);
  if (rc < 0)
    return rc;
  struct conf_parse p = {.c = c, .stream = -1};
  struct ini_read r = {.file = path, .errors = errors, .on_kv = conf_kv,
                       .on_section = conf_section, .user = &p};
  rc = ini_read_run(&r, text, len);
  if (rc != -ENOMEM) {
    unsigned before = r.nerrors;
    config__streams_finish(&r, c);
    if (r.nerrors > before)
      rc = -EINVAL;
  }
  if (rc < 0) {
    config_free(c);
    return rc;
  }
  *ret = c;
  return 0;
}

int config_load(const char *path, bool must_exist, struct braid_config **ret,
                struct msg_list *errors) {
  *ret = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = read_small_file(path, BRAID_CONFIG_MAX_FILE_BYTES, &text, &len);
  if (rc == -ENOENT && !must_exist)
    return config_defaults(path, ret);
  if (rc < 0) {
    if (rc == -EFBIG)
      msg_list_addf(errors, "%s: larger than %d bytes (BRAID_CONFIG_MAX_FILE_BYTES)", path,
                    BRAID_CONFIG_MAX_FILE_BYTES);
    else
      msg_list_addf(errors, "%s: %s", path, strerror(-rc));
    return rc == -ENOMEM ? rc : (rc == -EFBIG ? -EINVAL : rc);
  }
  rc = config_parse(text, len, path, ret, errors);
  free(text);
  return rc;
}
