/* config.h — braid.conf and feeds.d: reading, validating, reloading and comparing them.
 *
 * Promise: every setting has a default, so an empty (or, at the default path, absent)
 * braid.conf works; every path handed out is absolute (relative ones in a file are taken
 * relative to that file's directory); every problem found is reported — all of them, not just
 * the first — as a message that names the file and line ("feeds.d/bbc.feed:3: unknown key
 * 'intervall'"). Parsing uses inih; lines longer than inih's compiled-in line buffer are still
 * read whole. Nothing here logs or prints: callers get the messages in a struct msg_list.
 * Commands map a configuration error to exit status 2.
 */
#ifndef BRAID_CONFIG_H
#define BRAID_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defaults.h"
#include "feedurl.h"
#include "liveblog.h"
#include "msglist.h" /* every reader here reports problems into a msg_list */

#define BRAID_CONFIG_ENV "BRAID_CONFIG"


/* enum liveblog_mode (auto | always | never), its names and their parser: liveblog.h. */

struct feed_def;
struct feed_list;

/* Most [stream "NAME"] sections in braid.conf: each is four documents and a link on the page. */
#define BRAID_CONFIG_MAX_STREAMS 64
/* Longest stream name, in bytes (it is a path segment and a cache key). */
#define BRAID_CONFIG_MAX_STREAM_NAME_BYTES 64
/* Most names in one stream's feeds = or categories = list. */
#define BRAID_CONFIG_MAX_STREAM_LIST 256

/* One named stream, [stream "NAME"]: the entries that match every key it gives. Strings and
 * arrays owned by the struct (freed with config_free). */
struct stream_def {
  char *name;          /* NAME: [A-Za-z0-9._-]+, no leading dot (like a feed name) */
  char *title;         /* title =; NULL: "STREAM TITLE: NAME" */
  char *query;         /* query =: full-text search (store/search.h's subset); NULL: none */
  char **feeds;        /* feeds = a, b: feed names; NULL when the key is absent */
  size_t n_feeds;
  char **categories;   /* categories = x, y: a feed's category equal to one of these, or
                          under it ("News" takes "News/World"), case aside */
  size_t n_categories;
  int line;            /* line of the [stream "NAME"] header */
  int title_line, query_line, feeds_line, categories_line; /* 0: key absent */
};

/* Everything braid.conf can say, defaults (defaults.h) filled in. Strings are owned by the
 * struct. */
struct braid_config {
  char *path;                  /* absolute path of the configuration file (read or defaulted) */
  char *dir;                   /* its directory: the base of relative paths */
  char *store_path;            /* [store] path; default /var/lib/braid/braid.db */
  char *store_url;             /* [store] url: the shared PostgreSQL (libpq URI or keyword
                                  string, never a password), NULL: this node stands alone */
  int64_t store_lease_s;       /* [store] lease: how long a node holds a leased feed */
  char *http_listen;           /* [http] listen, "HOST:PORT"; default 127.0.0.1:8080 */
  char *http_base_url;         /* [http] base_url: the public URL of "/", NULL when unset */
  char *http_token_file;       /* [http] token_file: the access token's file, NULL when unset */
  bool http_publish_feed_queries; /* [http] publish_feed_queries: documents may name a feed by
                                     a URL with a query (tokens live there); default no */
  bool http_remote_images;     /* [http] remote_images: the HTML page loads images and media
                                  from feeds' hosts; default no (they are links) */
  int64_t poll_interval_s;     /* [poll] interval; default 15m, for feeds that set none */
  unsigned poll_concurrency;   /* [poll] concurrency: transfers at once; default 8 */
  unsigned poll_per_host;      /* [poll] per_host: transfers at once to one host; default 2 */
  int64_t poll_timeout_s;      /* [poll] timeout: whole transfer incl. redirects; default 60s */
  int64_t poll_connect_timeout_s; /* [poll] connect_timeout; default 15s */
  uint64_t poll_low_speed_limit;  /* [poll] low_speed_limit, bytes/s; default 64 */
  int64_t poll_low_speed_time_s;  /* [poll] low_speed_time: how long below it aborts; default 30s */
  uint64_t poll_max_bytes;     /* [poll] max_bytes: decoded body cap; default 10M */
  unsigned poll_max_redirects; /* [poll] max_redirects; default 5 */
  char *user_agent;            /* [poll] user_agent; default BRAID_DEFAULT_USER_AGENT */
  bool poll_allow_private_redirects; /* [poll] allow_private_redirects: a redirect may lead
                                  from a public address into private/loopback space; default no */
  unsigned stream_entries;     /* [stream] entries: how many the served stream holds; default 200 */
  int64_t stream_retention_s;  /* [stream] retention: how long entries are kept after braid
                                  first saw them; default 30d */
  char *stream_title;          /* [stream] title: the stream's title in every document;
                                  default "braid" */
  unsigned stream_per_feed;    /* [stream] per_feed: most entries kept per feed, 0 = no cap;
                                  default 1000 */
  char *feeds_dir;             /* [feeds] dir; default feeds.d beside the configuration file */
  char *output_dir;            /* [output] dir: static export directory, NULL when unset */
  int log_level;               /* [log] level as an enum log_level; default info */
  struct stream_def *streams;  /* [stream "NAME"] sections, in file order */
  size_t n_streams;
};

/* Which file to read: cli_path (from --config) if not NULL, else $BRAID_CONFIG if set and
 * non-empty, else BRAID_DEFAULT_CONFIG_PATH. *ret_explicit says whether the user named it (an
 * explicitly named file must exist; the default one may be absent). *ret_path is malloc'ed.
 * 0 or -ENOMEM. */
int config_choose_path(const char *cli_path, char **ret_path, bool *ret_explicit);

/* Reads braid.conf at path. When must_exist is false and the file does not exist, defaults
 * apply. Returns 0 with *ret set (caller frees with config_free); -EINVAL when the file had
 * errors (all appended to errors, *ret NULL); -ENOENT/-EACCES/... when it could not be read
 * (a message in errors too); -ENOMEM. */
int config_load(const char *path, bool must_exist, struct braid_config **ret,
                struct msg_list *errors);
/* Parses braid.conf text (len bytes, need not be NUL-terminated) as if read from path, which
 * names the file in errors and anchors relative paths. Same results as config_load. */
int config_parse(const char *text, size_t len, const char *path, struct braid_config **ret,
                 struct msg_list *errors);
/* The defaults alone, as if `path` were an empty file. */
int config_defaults(const char *path, struct braid_config **ret);
void config_free(struct braid_config *c);

/* The named stream called name, or NULL. */
const struct stream_def *config_stream_find(const struct braid_config *c, const char *name);
/* Checks what braid.conf alone cannot: each stream's feeds = names a feed of feeds, and its
 * query passes query_check (the search module's own rule, handed in by the caller; may be
 * NULL). Every problem is appended to errors as "FILE:LINE: [stream \"NAME\"] ...".
 * 0, or -EINVAL when there were problems. */
int config_streams_check(const struct braid_config *c, const struct feed_list *feeds,
                         int (*query_check)(const char *query, char *err, size_t errlen),
                         struct msg_list *errors);
/* Whether the feed d belongs to the stream sd by its feeds = and categories = (the query
 * aside). true for every feed when sd gives neither. */
bool stream_def_takes_feed(const struct stream_def *sd, const struct feed_def *d);
/* true when the streams of a and b say the same (names, titles, queries, lists, order). */
bool config_streams_equal(const struct braid_config *a, const struct braid_config *b);

/* "30s", "5m", "2h", "1d", "90" (bare seconds); 0 or -EINVAL (also for negative, overflow). */
int config_parse_duration(const char *s, int64_t *ret_seconds);
/* The shortest way config_parse_duration reads back: "90s", "5m", "2h", "1d". */
void config_format_duration(int64_t seconds, char *out, size_t size);
/* "10M", "512K", "1G", "4096" (bytes; K = 1024); 0 or -EINVAL. */
int config_parse_size(const char *s, uint64_t *ret_bytes);

/* One feeds.d/NAME.feed. Strings owned by the struct (freed by feed_list_clear). */
struct feed_def {
  char *name;                 /* file name without .feed: [A-Za-z0-9._-]+, no leading dot */
  char *url;                  /* http://, https:// or file:// */
  char *title;                /* NULL: use the feed's own title */
  int64_t interval_s;         /* 0: use [poll] interval */
  enum liveblog_mode liveblog;
  enum liveblog_mode liveblog_page; /* liveblog_page =: read a live blog's web page for its
                                       updates (auto: when the feed body gives few) */
  char *timezone;             /* IANA zone for stamps that name none; NULL: UTC */
  char *categories;           /* "News/World, Sport": comma-separated, '/' nests (an OPML
                                 folder path); NULL: none */
  char *source;               /* absolute path of the file it came from */
};

/* Feeds sorted by name (names are unique). Zero-initialise before use. */
struct feed_list {
  struct feed_def *items;
  size_t n;
};
/* Frees the definitions and leaves l empty (l itself is the caller's). */
void feed_list_clear(struct feed_list *l);
/* The feed called name, or NULL. */
const struct feed_def *feed_list_find(const struct feed_list *l, const char *name);
/* true when a and b say the same thing (every field but source). */
bool feed_def_equal(const struct feed_def *a, const struct feed_def *b);

/* true when name is a valid feed name (see struct feed_def). */
bool feed_name_valid(const char *name);

/* Parses one feed definition from text (file: the path used in messages and as source;
 * name: the feed's name). 0 with *ret filled (free its strings with feed_def_clear), or
 * -EINVAL with every problem appended to errors. */
int feed_def_parse(const char *text, size_t len, const char *file, const char *name,
                   struct feed_def *ret, struct msg_list *errors);
void feed_def_clear(struct feed_def *d);
/* Copies every field of src into a fresh dst (feed_def_clear it). 0 or -ENOMEM (dst then
 * holds nothing). */
int feed_def_copy(struct feed_def *dst, const struct feed_def *src);

/* Reads every *.feed in dir (other files are ignored; so are names starting with '.').
 * Files with errors are left out, their problems appended to errors. 0 when every file was
 * good; -EINVAL when some were not (*ret still holds the good ones); -ENOENT etc. when dir
 * itself cannot be read (*ret empty, a message in errors); -ENOMEM. */
int feeds_load(const char *dir, struct feed_list *ret, struct msg_list *errors);

/* Like feeds_load, but a feed whose file is now broken keeps its definition from old (by
 * name) — what SIGHUP does. A feed whose file was deleted is gone. Returns as feeds_load. */
int feeds_reload(const char *dir, const struct feed_list *old, struct feed_list *ret,
                 struct msg_list *errors);

enum feed_change {
  FEED_UNCHANGED = 0,
  FEED_ADDED,
  FEED_REMOVED,
  FEED_CHANGED,
};
struct feed_diff {
  enum feed_change change;
  const struct feed_def *old_def; /* NULL for FEED_ADDED; points into the old list */
  const struct feed_def *new_def; /* NULL for FEED_REMOVED; points into the new list */
};
/* One item per feed name in either list, sorted by name. *ret is malloc'ed (free()); the
 * pointers in it stay valid while both lists do. 0 or -ENOMEM. */
int feeds_diff(const struct feed_list *old_list, const struct feed_list *new_list,
               struct feed_diff **ret, size_t *ret_n);

#endif
