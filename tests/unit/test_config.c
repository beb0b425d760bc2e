/* test_config.c — braid.conf and feeds.d: defaults, every key, every kind of error with its
 * file and line, inih's quirks (inline comments, long lines, indentation), reload and diff. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_tmpdir.h"

#include "bounds.h"
#include "config.h"
#include "log.h"

static const char *write_file(const char *rel, const char *text) {
  static char path[8][512];
  static int slot;
  char *p = path[slot++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, rel);
  for (char *slash = strchr(p + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    mkdir(p, 0755);
    *slash = '/';
  }
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

/* Asserts that some message in l ends with suffix (messages start with the file path). */
static void expect_msg(const struct msg_list *l, const char *suffix) {
  size_t sl = strlen(suffix);
  for (size_t i = 0; i < l->n; i++) {
    size_t ml = strlen(l->items[i]);
    if (ml >= sl && strcmp(l->items[i] + ml - sl, suffix) == 0)
      return;
  }
  for (size_t i = 0; i < l->n; i++)
    fprintf(stderr, "  got: %s\n", l->items[i]);
  fail_msg("no message ending with \"%s\"", suffix);
}

static void test_durations_and_sizes(void **state) {
  (void)state;
  int64_t s;
  assert_int_equal(config_parse_duration("30s", &s), 0);
  assert_int_equal(s, 30);
  assert_int_equal(config_parse_duration("5m", &s), 0);
  assert_int_equal(s, 300);
  assert_int_equal(config_parse_duration("2h", &s), 0);
  assert_int_equal(s, 7200);
  assert_int_equal(config_parse_duration("1d", &s), 0);
  assert_int_equal(s, 86400);
  assert_int_equal(config_parse_duration("90", &s), 0);
  assert_int_equal(s, 90);
  assert_int_equal(config_parse_duration("-5m", &s), -EINVAL);
  assert_int_equal(config_parse_duration("5 m", &s), -EINVAL);
  assert_int_equal(config_parse_duration("5mm", &s), -EINVAL);
  assert_int_equal(config_parse_duration("m", &s), -EINVAL);
  assert_int_equal(config_parse_duration("", &s), -EINVAL);
  assert_int_equal(config_parse_duration("99999999999999999999d", &s), -EINVAL);
  char out[32];
  config_format_duration(90, out, sizeof out);
  assert_string_equal(out, "90s");
  config_format_duration(300, out, sizeof out);
  assert_string_equal(out, "5m");
  config_format_duration(7200, out, sizeof out);
  assert_string_equal(out, "2h");
  config_format_duration(3 * 86400, out, sizeof out);
  assert_string_equal(out, "3d");
  config_format_duration(0, out, sizeof out);
  assert_string_equal(out, "0s");
  uint64_t b;
  assert_int_equal(config_parse_size("10M", &b), 0);
  assert_int_equal(b, 10 * 1024 * 1024);
  assert_int_equal(config_parse_size("512K", &b), 0);
  assert_int_equal(b, 512 * 1024);
  assert_int_equal(config_parse_size("1G", &b), 0);
  assert_int_equal(b, 1024 * 1024 * 1024);
  assert_int_equal(config_parse_size("4096", &b), 0);
  assert_int_equal(b, 4096);
  assert_int_equal(config_parse_size("2MB", &b), 0);
  assert_int_equal(b, 2 * 1024 * 1024);
  assert_int_equal(config_parse_size("10X", &b), -EINVAL);
  assert_int_equal(config_parse_size("-1", &b), -EINVAL);
}

static void test_empty_file_gives_defaults(void **state) {
  (void)state;
  const char *path = write_file("empty/braid.conf", "");
  struct msg_list errs = {0};
  struct braid_config *c;
  assert_int_equal(config_load(path, true, &c, &errs), 0);
  assert_int_equal(errs.n, 0);
  assert_string_equal(c->path, path);
  char want[600];
  snprintf(want, sizeof want, "%s/empty/feeds.d", tmpdir);
  assert_string_equal(c->feeds_dir, want);
  assert_string_equal(c->http_listen, "127.0.0.1:8080");
  assert_string_equal(c->store_path, "/var/lib/braid/braid.db");
  assert_int_equal(c->poll_interval_s, 900);
  assert_int_equal(c->poll_concurrency, 8);
  assert_int_equal(c->poll_per_host, 2);
  assert_int_equal(c->poll_timeout_s, 60);
  assert_int_equal(c->poll_max_bytes, 10 * 1024 * 1024);
  assert_int_equal(c->poll_max_redirects, 5);
  assert_string_equal(c->user_agent, "braid/" BRAID_VERSION " (+https://github.com/braid-feeds/braid)");
  assert_null(c->output_dir);
  assert_int_equal(c->log_level, LOG_LEVEL_INFO);
  assert_string_equal(c->stream_title, "braid");
  assert_false(c->http_publish_feed_queries);
  assert_false(c->http_remote_images);
  config_free(c);
  config_free(NULL);
}

/* [stream] title and the [http] privacy switches (yes/no, true/false, anything else refused). */
static void test_title_and_privacy_keys(void **state) {
  (void)state;
  const char *path = write_file("privacy/braid.conf",
                                "[stream]\ntitle = Syria & more\n"
                                "[http]\npublish_feed_queries = yes\nremote_images = true\n");
  struct msg_list errs = {0};
  struct braid_config *c;
  assert_int_equal(config_load(path, true, &c, &errs), 0);
  assert_string_equal(c->stream_title, "Syria & more");
  assert_true(c->http_publish_feed_queries);
  assert_true(c->http_remote_images);
  config_free(c);
  path = write_file("privacy2/braid.conf", "[http]\nremote_images = no\npublish_feed_queries = 1\n");
  c = NULL;
  assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
  assert_null(c);
  expect_msg(&errs, "braid.conf:3: publish_feed_queries: '1' is not yes or no");
  assert_int_equal(errs.n, 1);
  msg_list_clear(&errs);
}

static void test_missing_file(void **state) {
  (void)state;
  char path[400];
  snprintf(path, sizeof path, "%s/nowhere/braid.conf", tmpdir);
  struct msg_list errs = {0};
  struct braid_config *c = NULL;
  /* The default path may be absent; a file the user named may not. */
  assert_int_equal(config_load(path, false, &c, &errs), 0);
  assert_int_equal(errs.n, 0);
  config_free(c);
  assert_int_equal(config_load(path, true, &c, &errs), -ENOENT);
  assert_null(c);
  expect_msg(&errs, "braid.conf: No such file or directory");
  msg_list_clear(&errs);
}

static void test_every_key(void **state) {
  (void)state;
  const char *path = write_file("full/braid.conf",
                                "; braid configuration\n"
                                "# hash comments too\n"
                                "[store]\n"
                                "path = data/braid.db\n"
                                "[http]\n"
                                "listen = 0.0.0.0:9090\n"
                                "[poll]\n"
                                "interval = 5m   ; inline comment\n"
                                "concurrency = 4\n"
                                "per_host = 1\n"
                                "timeout = 45s\n"
                                "connect_timeout = 5s\n"
                                "low_speed_limit = 1K\n"
                                "low_speed_time = 20s\n"
                                "max_bytes = 512K\n"
                                "max_redirects = 3\n"
                                "allow_private_redirects = yes\n"
                                "user_agent = braid-test/1.0;x (+mailto:a@b)\n"
                                "[stream]\n"
                                "entries = 50\n"
                                "retention = 7d\n"
                                "[feeds]\n"
                                "dir = /srv/feeds\n"
                                "[output]\n"
                                "dir = out\n"
                                "[log]\n"
                                "level = debug\n");
  struct msg_list errs = {0};
  struct braid_config *c;
  int rc = config_load(path, true, &c, &errs);
  if (rc)
    expect_msg(&errs, "(none)");
  char want[600];
  snprintf(want, sizeof want, "%s/full/data/braid.db", tmpdir);
  assert_string_equal(c->store_path, want);
  snprintf(want, sizeof want, "%s/full/out", tmpdir);
  assert_string_equal(c->output_dir, want);
  assert_string_equal(c->feeds_dir, "/srv/feeds");
  assert_string_equal(c->http_listen, "0.0.0.0:9090");
  assert_int_equal(c->poll_interval_s, 300);
  assert_int_equal(c->poll_concurrency, 4);
  assert_int_equal(c->poll_per_host, 1);
  assert_int_equal(c->poll_timeout_s, 45);
  assert_int_equal(c->poll_connect_timeout_s, 5);
  assert_int_equal(c->poll_low_speed_limit, 1024);
  assert_int_equal(c->poll_low_speed_time_s, 20);
  assert_int_equal(c->poll_max_bytes, 512 * 1024);
  assert_int_equal(c->poll_max_redirects, 3);
  assert_true(c->poll_allow_private_redirects);
  /* ';' without a space before it is part of the value. */
  assert_string_equal(c->user_agent, "braid-test/1.0;x (+mailto:a@b)");
  assert_int_equal(c->stream_entries, 50);
  assert_int_equal(c->stream_retention_s, 7 * 86400);
  assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
  config_free(c);
}

static void test_bool_key(void **state) {
  (void)state;
  const char *path = write_file("bool/braid.conf", "[poll]\nallow_private_redirects = maybe\n");
  struct msg_list errs = {0};
  struct braid_config *c = NULL;
  assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
  expect_msg(&errs, "braid.conf:2: allow_private_redirects: 'maybe' is not yes or no");
  msg_list_clear(&errs);
  path = write_file("bool2/braid.conf", "[poll]\n");
  assert_int_equal(config_load(path, true, &c, &errs), 0);
  assert_false(c->poll_allow_private_redirects);
  config_free(c);
}

/* [store] url: a libpq URI or keyword string, never one that holds a password (braid.conf is
 * often world-readable and its values reach the log); lease bounded. */
static void test_store_url(void **state) {
  (void)state;
  static const char *const good[] = {
      "postgresql://braid@db.example:5432/braid",
      "postgres://db.example/braid?sslmode=require",
      "host=db.example dbname=braid user=braid",
      "postgresql://braid@db/braid?application_name=passwordless",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "[store]\nurl = %s\nlease = 30s\n", good[i]);
    const char *path = write_file("pgurl/braid.conf", text);
    struct msg_list errs = {0};
    struct braid_config *c = NULL;
    if (config_load(path, true, &c, &errs) != 0)
      fail_msg("refused %s: %s", good[i], errs.n ? errs.items[0] : "?");
    assert_string_equal(c->store_url, good[i]);
    assert_int_equal(c->store_lease_s, 30);
    config_free(c);
  }
  static const char *const secret[] = {
      "postgresql://braid:hunter2@db/braid",
      "postgresql://db/braid?sslmode=require&password=hunter2",
      "postgres://db/braid?password=hunter2",
      "host=db password=hunter2 dbname=braid",
      "host=db sslpassword = hunter2",
      "password=hunter2",
  };
  for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "[store]\nurl = %s\n", secret[i]);
    const char *path = write_file("pgurl/braid.conf", text);
    struct msg_list errs = {0};
    struct braid_config *c = NULL;
    assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
    expect_msg(&errs, "braid.conf:2: url: holds a password; put it in PGPASSFILE or ~/.pgpass "
                      "instead");
    for (size_t k = 0; k < errs.n; k++)
      assert_null(strstr(errs.items[k], "hunter2"));
    msg_list_clear(&errs);
  }
  const char *path = write_file("pgurl/braid.conf", "[store]\nurl = db.example\nlease = 1s\n");
  struct msg_list errs = {0};
  struct braid_config *c = NULL;
  assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
  expect_msg(&errs, "braid.conf:2: url: neither a postgresql:// URI nor a libpq keyword string "
                    "(host=... dbname=...)");
  assert_int_equal(errs.n, 2); /* the lease below 5s too */
  msg_list_clear(&errs);
  path = write_file("pgurl/braid.conf", "[store]\n");
  assert_int_equal(config_load(path, true, &c, &errs), 0);
  assert_null(c->store_url);
  assert_int_equal(c->store_lease_s, 60);
  config_free(c);
}

static void test_empty_output_dir_means_unset(void **state) {
  (void)state;
  const char *path = write_file("outdir/braid.conf", "[output]\ndir =\n");
  struct msg_list errs = {0};
  struct braid_config *c;
  assert_int_equal(config_load(path, true, &c, &errs), 0);
  assert_null(c->output_dir);
  config_free(c);
}

static void test_all_errors_reported_with_lines(void **state) {
  (void)state;
  const char *path = write_file("bad/braid.conf",
                                "stray = 1\n"              /* 1 */
                                "[poll]\n"                 /* 2 */
                                "intervall = 5m\n"         /* 3 */
                                "interval = soon\n"        /* 4 */
                                "concurrency = 0\n"        /* 5 */
                                "timeout = 10s\n"          /* 6 */
                                "timeout = 20s\n"          /* 7 */
                                "just some words\n"        /* 8 */
                                "[pol\n"                   /* 9 */
                                "[nonsense]\n"             /* 10 */
                                "[http]\n"                 /* 11 */
                                "listen = localhost\n"     /* 12 */
                                "[log]\n"                  /* 13 */
                                "level = chatty\n"         /* 14 */
                                "[poll]\n"                 /* 15 */
                                "max_bytes =\n");          /* 16 */
  struct msg_list errs = {0};
  struct braid_config *c = NULL;
  assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
  assert_null(c);
  expect_msg(&errs, "braid.conf:1: key 'stray' outside any [section]");
  expect_msg(&errs, "braid.conf:3: unknown key 'intervall' in [poll]");
  expect_msg(&errs, "braid.conf:4: interval: 'soon' is not a duration (like 30s, 5m, 2h, 1d)");
  expect_msg(&errs, "braid.conf:5: concurrency: '0' is not a whole number in 1..1024");
  expect_msg(&errs, "braid.conf:7: duplicate key 'timeout' in [poll] (first on line 6)");
  expect_msg(&errs, "braid.conf:8: expected 'key = value'");
  expect_msg(&errs, "braid.conf:9: unterminated [section]");
  expect_msg(&errs, "braid.conf:10: unknown section [nonsense]");
  expect_msg(&errs, "braid.conf:12: listen: 'localhost' is not HOST:PORT");
  expect_msg(&errs, "braid.conf:14: level: 'chatty' is not err, warning, notice, info or debug");
  expect_msg(&errs, "braid.conf:16: empty value for 'max_bytes'");
  assert_int_equal(errs.n, 11);
  /* Messages name the file by the path it was read from. */
  assert_memory_equal(errs.items[0], path, strlen(path));
  msg_list_clear(&errs);
}

static void test_choose_path(void **state) {
  (void)state;
  char *p;
  bool explicit_path;
  unsetenv(BRAID_CONFIG_ENV);
  assert_int_equal(config_choose_path(NULL, &p, &explicit_path), 0);
  assert_string_equal(p, "/etc/braid/braid.conf");
  assert_false(explicit_path);
  free(p);
  setenv(BRAID_CONFIG_ENV, "/tmp/from-env.conf", 1);
  assert_int_equal(config_choose_path(NULL, &p, &explicit_path), 0);
  assert_string_equal(p, "/tmp/from-env.conf");
  assert_true(explicit_path);
  free(p);
  assert_int_equal(config_choose_path("cli.conf", &p, &explicit_path), 0);
  assert_string_equal(p, "cli.conf");
  assert_true(explicit_path);
  free(p);
  unsetenv(BRAID_CONFIG_ENV);
}

static int parse_feed(const char *text, struct feed_def *d, struct msg_list *errs) {
  return feed_def_parse(text, strlen(text), "feeds.d/bbc.feed", "bbc", d, errs);
}

static void test_feed_full(void **state) {
  (void)state;
  struct feed_def d;
  struct msg_list errs = {0};
  assert_int_equal(parse_feed("url = https://example.org/live.rss\n"
                              "title = Example live coverage      ; optional\n"
                              "  interval = 5m\n" /* indented lines are ordinary lines */
                              "liveblog = always\n"
                              "timezone = Europe/London\n",
                              &d, &errs),
                   0);
  assert_string_equal(d.name, "bbc");
  assert_string_equal(d.url, "https://example.org/live.rss");
  assert_string_equal(d.title, "Example live coverage");
  assert_int_equal(d.interval_s, 300);
  assert_int_equal(d.liveblog, LIVEBLOG_ALWAYS);
  assert_string_equal(d.timezone, "Europe/London");
  assert_string_equal(d.source, "feeds.d/bbc.feed");
  feed_def_clear(&d);
  /* '#' is a comment only at the start of a line; inside a value it is text. */
  assert_int_equal(parse_feed("# a comment\nurl = https://example.org/\ntitle = News # 1\n", &d, &errs), 0);
  assert_string_equal(d.title, "News # 1");
  feed_def_clear(&d);
  /* Only url is required. */
  assert_int_equal(parse_feed("\xEF\xBB\xBFurl = file:///srv/demo.xml\r\n", &d, &errs), 0);
  assert_string_equal(d.url, "file:///srv/demo.xml");
  assert_null(d.title);
  assert_int_equal(d.interval_s, 0);
  assert_int_equal(d.liveblog, LIVEBLOG_AUTO);
  assert_null(d.timezone);
  feed_def_clear(&d);
  /* A feed's timezone takes every name `braid split --tz` takes: one rule (tz_name_known). */
  static const char *const zones[] = {"ET", "BST", "+05:30", "UTC+1", "America/New_York"};
  for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
    char text[128];
    snprintf(text, sizeof text, "url = https://example.org/\ntimezone = %s\n", zones[i]);
    assert_int_equal(parse_feed(text, &d, &errs), 0);
    assert_string_equal(d.timezone, zones[i]);
    feed_def_clear(&d);
  }
  assert_int_equal(errs.n, 0);
}

static void test_feed_long_url(void **state) {
  (void)state;
  /* Longer than inih's 200-byte line buffer: must still be read whole. */
  char url[700], text[800];
  snprintf(url, sizeof url, "https://news.example.org/feeds/");
  while (strlen(url) < 600)
    strcat(url, "abcdefghij");
  strcat(url, "?q=1;x=2");
  snprintf(text, sizeof text, "url = %s ; trailing comment\ntitle = After\n", url);
  struct feed_def d;
  struct msg_list errs = {0};
  assert_int_equal(parse_feed(text, &d, &errs), 0);
  assert_string_equal(d.url, url);
  assert_string_equal(d.title, "After");
  feed_def_clear(&d);
}

static void test_feed_errors(void **state) {
  (void)state;
  struct feed_def d;
  struct msg_list errs = {0};
  assert_int_equal(parse_feed("url = https://example.org/a\n"
                              "title = T\n"
                              "intervall = 5m\n"
                              "interval = 0s\n"
                              "liveblog = sometimes\n"
                              "timezone = Mars/Olympus_Mons\n"
                              "url = https://example.org/b\n"
                              "[section]\n",
                              &d, &errs),
                   -EINVAL);
  expect_msg(&errs, "feeds.d/bbc.feed:3: unknown key 'intervall'");
  expect_msg(&errs, "feeds.d/bbc.feed:4: interval: '0s' is not a duration from 1s to 30d (like 30s, 5m, 2h)");
  expect_msg(&errs, "feeds.d/bbc.feed:5: liveblog: 'sometimes' is not auto, always or never");
  expect_msg(&errs, "feeds.d/bbc.feed:6: timezone: unknown zone 'Mars/Olympus_Mons' (an IANA "
                    "name such as Europe/London, an abbreviation such as ET or BST, or an offset "
                    "such as +05:30)");
  expect_msg(&errs, "feeds.d/bbc.feed:7: duplicate key 'url' (first on line 1)");
  expect_msg(&errs, "feeds.d/bbc.feed:8: this file takes no [sections]");
  assert_int_equal(errs.n, 6);
  assert_null(d.name);
  msg_list_clear(&errs);
  assert_int_equal(parse_feed("title = no url\n", &d, &errs), -EINVAL);
  expect_msg(&errs, "feeds.d/bbc.feed: missing 'url'");
  msg_list_clear(&errs);
  static const char *bad_urls[] = {"ftp://example.org/feed", "gopher://example.org/",
                                   "example.org/feed", "https://", "http://exa mple.org/"};
  for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
    char text[200];
    snprintf(text, sizeof text, "url = %s\n", bad_urls[i]);
    if (parse_feed(text, &d, &errs) != -EINVAL)
      fail_msg("url '%s' accepted", bad_urls[i]);
  }
  expect_msg(&errs, "feeds.d/bbc.feed:1: url: 'ftp://example.org/feed' is not an http, https or file URL");
  msg_list_clear(&errs);
}

static void test_file_caps(void **state) {
  (void)state;
  struct feed_def d;
  struct msg_list errs = {0};
  /* A line over BRAID_CONFIG_MAX_LINE_BYTES is refused by name; the lines around it still count. */
  size_t n = BRAID_CONFIG_MAX_LINE_BYTES + 100;
  char *text = malloc(n + 100);
  assert_non_null(text);
  strcpy(text, "title = ");
  memset(text + 8, 'x', n);
  strcpy(text + 8 + n, "\nurl = https://example.org/\nbogus = 1\n");
  assert_int_equal(feed_def_parse(text, strlen(text), "f.feed", "f", &d, &errs), -EINVAL);
  expect_msg(&errs, "f.feed:1: line longer than 8192 bytes (BRAID_CONFIG_MAX_LINE_BYTES)");
  expect_msg(&errs, "f.feed:3: unknown key 'bogus'");
  assert_int_equal(errs.n, 2);
  msg_list_clear(&errs);
  free(text);
  static const char nul[] = "url = https://example.org/\ntitle = a\0b\n";
  assert_int_equal(feed_def_parse(nul, sizeof nul - 1, "f.feed", "f", &d, &errs), -EINVAL);
  expect_msg(&errs, "f.feed:2: NUL byte in line");
  msg_list_clear(&errs);
  /* A file over BRAID_CONFIG_MAX_FILE_BYTES is refused whole. */
  char *big = malloc(BRAID_CONFIG_MAX_FILE_BYTES + 2);
  assert_non_null(big);
  memset(big, ';', BRAID_CONFIG_MAX_FILE_BYTES + 1);
  big[BRAID_CONFIG_MAX_FILE_BYTES + 1] = '\0';
  const char *path = write_file("big/braid.conf", big);
  free(big);
  struct braid_config *c = NULL;
  assert_int_equal(config_load(path, true, &c, &errs), -EINVAL);
  expect_msg(&errs, "braid.conf: larger than 65536 bytes (BRAID_CONFIG_MAX_FILE_BYTES)");
  msg_list_clear(&errs);
}

static void test_feed_names(void **state) {
  (void)state;
  assert_true(feed_name_valid("bbc"));
  assert_true(feed_name_valid("ea-worldview_2.0"));
  assert_false(feed_name_valid(".hidden"));
  assert_false(feed_name_valid(""));
  assert_false(feed_name_valid("a b"));
  assert_false(feed_name_valid("a/b"));
  assert_false(feed_name_valid("caf\xc3\xa9"));
  assert_true(feed_url_valid("http://example.org/"));
  assert_true(feed_url_valid("HTTPS://Example.org/x"));
  assert_true(feed_url_valid("file:///tmp/x.xml"));
  assert_false(feed_url_valid("javascript:alert(1)"));
}

static void test_feeds_dir_load_and_reload(void **state) {
  (void)state;
  write_file("fd/feeds.d/b.feed", "url = https://b.example/feed\n");
  write_file("fd/feeds.d/a.feed", "url = https://a.example/feed\ninterval = 1m\n");
  write_file("fd/feeds.d/c.feed", "url = https://c.example/feed\n");
  write_file("fd/feeds.d/README", "not a feed\n");
  write_file("fd/feeds.d/.hidden.feed", "garbage\n");
  write_file("fd/feeds.d/bad name.feed", "url = https://x.example/\n");
  char dir[400];
  snprintf(dir, sizeof dir, "%s/fd/feeds.d", tmpdir);
  struct feed_list old = {0}, cur = {0};
  struct msg_list errs = {0};
  assert_int_equal(feeds_load(dir, &old, &errs), -EINVAL);
  expect_msg(&errs, "bad name.feed: 'bad name' is not a valid feed name (letters, digits, '.', '_', '-')");
  assert_int_equal(errs.n, 1);
  msg_list_clear(&errs);
  assert_int_equal(old.n, 3);
  assert_string_equal(old.items[0].name, "a");
  assert_string_equal(old.items[1].name, "b");
  assert_string_equal(old.items[2].name, "c");
  assert_int_equal(old.items[0].interval_s, 60);
  unlink(write_file("fd/feeds.d/bad name.feed", ""));

  /* a breaks (keeps its old definition), b changes, c goes, d arrives. */
  write_file("fd/feeds.d/a.feed", "url = https://a.example/feed\ninterval = never\n");
  write_file("fd/feeds.d/b.feed", "url = https://b.example/feed\ntitle = Bee\n");
  unlink(write_file("fd/feeds.d/c.feed", ""));
  write_file("fd/feeds.d/d.feed", "url = https://d.example/feed\n");
  assert_int_equal(feeds_reload(dir, &old, &cur, &errs), -EINVAL);
  expect_msg(&errs, "a.feed:2: interval: 'never' is not a duration from 1s to 30d (like 30s, 5m, 2h)");
  assert_int_equal(cur.n, 3);
  const struct feed_def *a = feed_list_find(&cur, "a");
  assert_non_null(a);
  assert_int_equal(a->interval_s, 60);
  assert_null(feed_list_find(&cur, "c"));

  struct feed_diff *diff;
  size_t n;
  assert_int_equal(feeds_diff(&old, &cur, &diff, &n), 0);
  assert_int_equal(n, 4);
  assert_string_equal(diff[0].new_def->name, "a");
  assert_int_equal(diff[0].change, FEED_UNCHANGED);
  assert_int_equal(diff[1].change, FEED_CHANGED);
  assert_string_equal(diff[1].old_def->name, "b");
  assert_string_equal(diff[1].new_def->title, "Bee");
  assert_int_equal(diff[2].change, FEED_REMOVED);
  assert_string_equal(diff[2].old_def->name, "c");
  assert_null(diff[2].new_def);
  assert_int_equal(diff[3].change, FEED_ADDED);
  assert_null(diff[3].old_def);
  assert_string_equal(diff[3].new_def->name, "d");
  free(diff);
  msg_list_clear(&errs);
  feed_list_clear(&old);
  feed_list_clear(&cur);
}

static void test_feeds_dir_missing(void **state) {
  (void)state;
  char dir[400];
  snprintf(dir, sizeof dir, "%s/no/such/feeds.d", tmpdir);
  struct feed_list l = {0};
  struct msg_list errs = {0};
  assert_int_equal(feeds_load(dir, &l, &errs), -ENOENT);
  assert_int_equal(l.n, 0);
  expect_msg(&errs, "feeds.d: No such file or directory");
  msg_list_clear(&errs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_durations_and_sizes),
      cmocka_unit_test(test_empty_file_gives_defaults),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_store_url),
      cmocka_unit_test(test_every_key),
      cmocka_unit_test(test_bool_key),
      cmocka_unit_test(test_empty_output_dir_means_unset),
      cmocka_unit_test(test_title_and_privacy_keys),
      cmocka_unit_test(test_all_errors_reported_with_lines),
      cmocka_unit_test(test_choose_path),
      cmocka_unit_test(test_feed_full),
      cmocka_unit_test(test_feed_long_url),
      cmocka_unit_test(test_feed_errors),
      cmocka_unit_test(test_file_caps),
      cmocka_unit_test(test_feed_names),
      cmocka_unit_test(test_feeds_dir_load_and_reload),
      cmocka_unit_test(test_feeds_dir_missing),
  };
  return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
