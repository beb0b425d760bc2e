/* fuzz_config.c — libFuzzer target: the three files a user hands braid, read from memory.
 *
 * Input: byte 0 picks the reader (braid.conf via config_parse, a feeds.d/NAME.feed via
 * feed_def_parse, an OPML subscription list via opml_read_memory); the rest is the file.
 * Properties: no crash, leak or UB; every error message names the file (and so tells the user
 * where to look); what is accepted is usable: positive intervals and limits, feed URLs that
 * feed_url_valid accepts, no control characters in values that reach logs and paths, OPML
 * entries with a valid UTF-8 URL.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "ini_read.h"
#include "opml.h"

#define CONF_PATH "/etc/braid/braid.conf"
#define FEED_PATH "/etc/braid/feeds.d/fuzz.feed"
#define OPML_PATH "subscriptions.opml"

static void check_errors(const struct msg_list *errors, const char *path) {
  for (size_t i = 0; i < errors->n; i++)
    FUZZ_CHECK(strncmp(errors->items[i], path, strlen(path)) == 0,
               "every config error names its file");
}

static void check_no_control(const char *s, const char *what) {
  FUZZ_CHECK(!s || !text_has_control(s), what);
}

static void fuzz_conf(const char *text, size_t len) {
  struct braid_config *c = NULL;
  struct msg_list errors = {0};
  int rc = config_parse(text, len, CONF_PATH, &c, &errors);
  check_errors(&errors, CONF_PATH);
  if (rc == 0) {
    FUZZ_CHECK(c != NULL, "a result on success");
    FUZZ_CHECK(c->poll_interval_s > 0 && c->poll_timeout_s > 0 && c->poll_concurrency > 0 &&
                   c->poll_per_host > 0 && c->poll_max_bytes > 0,
               "accepted limits are positive");
    check_no_control(c->store_path, "store path");
    check_no_control(c->feeds_dir, "feeds dir");
    check_no_control(c->output_dir, "output dir");
    check_no_control(c->user_agent, "user agent (sent in every request)");
    check_no_control(c->http_listen, "listen address");
    config_free(c);
  } else {
    FUZZ_CHECK(c == NULL && (errors.n > 0 || rc == -ENOMEM), "a refusal says why");
  }
  msg_list_clear(&errors);
}

static void fuzz_feed(const char *text, size_t len) {
  struct feed_def d = {0};
  struct msg_list errors = {0};
  int rc = feed_def_parse(text, len, FEED_PATH, "fuzz", &d, &errors);
  check_errors(&errors, FEED_PATH);
  if (rc == 0) {
    FUZZ_CHECK(d.url && feed_url_valid(d.url), "an accepted feed has a valid URL");
    FUZZ_CHECK(d.interval_s >= 0, "interval is 0 (default) or positive");
    check_no_control(d.url, "feed url");
    check_no_control(d.title, "feed title");
    check_no_control(d.timezone, "feed timezone");
    struct feed_def copy;
    if (feed_def_copy(&copy, &d) == 0) {
      FUZZ_CHECK(feed_def_equal(&copy, &d), "a copy says the same thing");
      feed_def_clear(&copy);
    }
    feed_def_clear(&d);
  } else {
    FUZZ_CHECK(errors.n > 0 || rc == -ENOMEM, "a refusal says why");
  }
  msg_list_clear(&errors);
}

static void fuzz_opml(const char *text, size_t len) {
  struct opml_list l = {0};
  char err[512] = "";
  int rc = opml_read_memory(text, len, OPML_PATH, &l, err, sizeof err);
  if (rc == 0) {
    for (size_t i = 0; i < l.n; i++) {
      FUZZ_CHECK(l.items[i].url && fuzz_utf8_valid(l.items[i].url), "an OPML feed has a URL");
      FUZZ_CHECK(!l.items[i].title || fuzz_utf8_valid(l.items[i].title), "UTF-8 title");
    }
    opml_list_clear(&l);
  } else {
    FUZZ_CHECK(strncmp(err, OPML_PATH, strlen(OPML_PATH)) == 0, "an OPML error names its file");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 3) {
  case 0:
    fuzz_conf(text, len);
    break;
  case 1:
    fuzz_feed(text, len);
    break;
  default:
    fuzz_opml(text, len);
    break;
  }
  return 0;
}
