/* test_fetch.c — the fetcher against tests/integration/feedserver.py on 127.0.0.1: real
 * transfers on a real uv loop, every fault the server injects, and a clean loop close. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "fetch.h"
#include "fetchconf.h"
#include "fetch_internal.h"

static pid_t server_pid;
static int server_port;
static char fixtures[1024];

/* Where the sources are: $BRAID_FIXTURES (set by CTest) or this file's own location. */
static void find_paths(char *script, size_t size) {
  const char *fx = getenv("BRAID_FIXTURES");
  if (fx && *fx) {
    snprintf(fixtures, sizeof fixtures, "%s", fx);
  } else {
    snprintf(fixtures, sizeof fixtures, "%s", __FILE__);
    char *slash = strrchr(fixtures, '/');
    if (slash)
      *slash = '\0';
    strncat(fixtures, "/../fixtures", sizeof fixtures - strlen(fixtures) - 1);
  }
  snprintf(script, size, "%s/../integration/feedserver.py", fixtures);
}

/* Starts feedserver.py with extra arguments (NULL-terminated); its pid and port. */
static int spawn_server(const char *const *extra, pid_t *ret_pid, int *ret_port) {
  char script[1200];
  find_paths(script, sizeof script);
  int fds[2];
  if (pipe(fds) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    char fxdir[1200];
    snprintf(fxdir, sizeof fxdir, "%s/net", fixtures);
    const char *argv[12] = {"python3", script, "--fixtures", fxdir};
    int n = 4;
    for (; extra && *extra && n < 11; extra++)
      argv[n++] = *extra;
    argv[n] = NULL;
    execvp("python3", (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  char line[32] = {0};
  size_t got = 0;
  while (got < sizeof line - 1) {
    ssize_t n = read(fds[0], line + got, 1);
    if (n <= 0 || line[got] == '\n')
      break;
    got++;
  }
  close(fds[0]);
  *ret_pid = pid;
  *ret_port = atoi(line);
  if (*ret_port <= 0) {
    fprintf(stderr, "feedserver.py did not start (%s)\n", script);
    return -1;
  }
  return 0;
}

static pid_t tls_pid;
static int tls_port;
static char tls_dir[64];
static char tls_cert[128];

/* A plain server for most tests, and an HTTPS one with a certificate made for this run. */
static int start_server(void **state) {
  (void)state;
  if (spawn_server(NULL, &server_pid, &server_port) < 0)
    return -1;
  snprintf(tls_dir, sizeof tls_dir, "/tmp/braid-test-tls-XXXXXX");
  if (!mkdtemp(tls_dir))
    return -1;
  snprintf(tls_cert, sizeof tls_cert, "%s/cert.pem", tls_dir);
  char key[128], cmd[600];
  snprintf(key, sizeof key, "%s/key.pem", tls_dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
           key, tls_cert);
  if (system(cmd) != 0) {
    fprintf(stderr, "openssl could not make a test certificate\n");
    return -1;
  }
  const char *extra[] = {"--tls", tls_cert, key, NULL};
  return spawn_server(extra, &tls_pid, &tls_port);
}

static pid_t hosts_pid; /* test_redirect_into_private_space's, stopped here if it failed */

static int stop_server(void **state) {
  (void)state;
  pid_t pids[3] = {server_pid, tls_pid, hosts_pid};
  for (int i = 0; i < 3; i++)
    if (pids[i] > 0) {
      kill(pids[i], SIGTERM);
      waitpid(pids[i], NULL, 0);
    }
  if (tls_dir[0]) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tls_dir);
    if (system(cmd) != 0)
      return -1;
  }
  return 0;
}

static char *url(const char *path) {
  static char out[8][512];
  static int slot;
  char *o = out[slot++ % 8];
  snprintf(o, 512, "http://127.0.0.1:%d%s", server_port, path);
  return o;
}

/* What one job saw. */
struct got {
  int headers_calls, done_calls;
  long header_status;
  char etag[256], last_modified[256], content_type[128], charset[64];
  char effective_url[512], permanent_url[512];
  bool permanent;
  unsigned redirects;
  int64_t retry_after, max_age, expires;
  struct buf body;
  size_t max_chunk;
  uint64_t delivered;
  enum fetch_outcome outcome;
  long status;
  uint64_t body_bytes;
  char error[256];
  /* behaviour switches */
  struct fetch_job **cancel_other; /* cancelled from this job's on_data */
  struct fetch_job **forget_on_done; /* set to NULL when this job ends */
  bool cancel_in_headers;
  bool abort_in_data;
  unsigned busy_in_headers_ms; /* on_headers keeps the loop busy this long */
  int64_t elapsed_ms;
  struct fetch_job *job;
};

static void copy(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

static int on_headers(void *ud, long status, const struct fetch_headers *h) {
  struct got *g = ud;
  g->headers_calls++;
  g->header_status = status;
  copy(g->etag, sizeof g->etag, h->etag);
  copy(g->last_modified, sizeof g->last_modified, h->last_modified);
  copy(g->content_type, sizeof g->content_type, h->content_type);
  copy(g->charset, sizeof g->charset, h->charset);
  g->retry_after = h->retry_after;
  g->max_age = h->max_age_s;
  g->expires = h->expires;
  if (g->cancel_in_headers)
    fetcher_cancel(g->job);
  if (g->busy_in_headers_ms) {
    struct timespec ts = {.tv_sec = g->busy_in_headers_ms / 1000,
                          .tv_nsec = (long)(g->busy_in_headers_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
      ;
  }
  return 0;
}

static int on_data(void *ud, const char *data, size_t len) {
  struct got *g = ud;
  if (len > g->max_chunk)
    g->max_chunk = len;
  g->delivered += len;
  if (g->body.len + len <= 65536)
    buf_append(&g->body, data, len);
  if (g->cancel_other && *g->cancel_other) {
    fetcher_cancel(*g->cancel_other);
    *g->cancel_other = NULL;
  }
  return g->abort_in_data ? 1 : 0;
}

static void on_done(void *ud, const struct fetch_result *r) {
  struct got *g = ud;
  g->done_calls++;
  if (g->forget_on_done)
    *g->forget_on_done = NULL;
  g->outcome = r->outcome;
  g->status = r->status;
  g->body_bytes = r->body_bytes;
  g->elapsed_ms = r->elapsed_ms;
  copy(g->error, sizeof g->error, r->error);
  copy(g->effective_url, sizeof g->effective_url, r->headers->effective_url);
  copy(g->permanent_url, sizeof g->permanent_url, r->headers->permanent_url);
  g->permanent = r->headers->permanent_redirect;
  g->redirects = r->headers->redirects;
  g->retry_after = r->headers->retry_after;
}

static const struct fetch_callbacks cbs = {on_headers, on_data, on_done};

static const struct fetch_limits test_limits = {
    .connect_timeout_ms = 3000,
    .total_timeout_ms = 15000,
    .low_speed_limit = 10,
    .low_speed_time_s = 2,
    .max_bytes = 256 * 1024,
    .max_redirects = 3,
    .max_total_connections = 8,
    .max_host_connections = 4,
    .user_agent = NULL,
};

struct env {
  uv_loop_t loop;
  struct fetcher *f;
};

static void env_open(struct env *e, const struct fetch_limits *lim) {
  assert_int_equal(uv_loop_init(&e->loop), 0);
  assert_int_equal(fetcher_new(&e->loop, lim, &e->f), 0);
}

/* Frees the fetcher and checks that nothing is left on the loop. */
static void env_close(struct env *e) {
  fetcher_free(e->f);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
}

static void fetch_into(struct env *e, const char *u, const char *etag, const char *lm,
                       struct got *g) {
  buf_init(&g->body, 0);
  struct fetch_request req = {.url = u, .etag = etag, .last_modified = lm};
  assert_int_equal(fetcher_start(e->f, &req, &cbs, g, &g->job), 0);
}

/* Runs one request to completion on a fresh loop. */
static void fetch_one(const struct fetch_limits *lim, const char *u, const char *etag,
                      const char *lm, struct got *g) {
  struct env e;
  env_open(&e, lim);
  fetch_into(&e, u, etag, lm, g);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  if (g->done_calls != 1)
    fail_msg("%s: on_done ran %d times, want 1", u, g->done_calls);
  env_close(&e);
}

static void expect_outcome(const struct got *g, enum fetch_outcome want, const char *what) {
  if (g->outcome != want)
    fail_msg("%s: outcome %s (%s), want %s", what, fetch_outcome_name(g->outcome), g->error,
             fetch_outcome_name(want));
}

static char *read_fixture(const char *name, size_t *ret_len) {
  char path[1300];
  snprintf(path, sizeof path, "%s/net/%s", fixtures, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char data[65536];
  *ret_len = fread(data, 1, sizeof data, f);
  fclose(f);
  return data;
}

/* The server's request record, as a JSON array (caller decrefs). */
static json_t *server_log(bool clear) {
  struct got g = {0};
  fetch_one(&test_limits, url(clear ? "/_requests?clear=1" : "/_requests"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, "/_requests");
  json_error_t err;
  json_t *j = json_loadb(g.body.data, g.body.len, 0, &err);
  buf_clear(&g.body);
  assert_non_null(j);
  return j;
}

/* The headers of the last recorded request for path. */
static const char *logged_header(json_t *log, const char *path, const char *name) {
  const char *found = NULL;
  size_t i;
  json_t *item;
  json_array_foreach(log, i, item) {
    if (strcmp(json_string_value(json_object_get(item, "path")), path) == 0)
      found = json_string_value(json_object_get(json_object_get(item, "headers"), name));
  }
  return found;
}

static void test_ok_body_and_headers(void **state) {
  (void)state;
  struct got g = {0};
  fetch_one(&test_limits, url("/feeds/basic.rss"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, "basic.rss");
  size_t len;
  const char *want = read_fixture("basic.rss", &len);
  assert_int_equal(g.status, 200);
  assert_int_equal(g.headers_calls, 1);
  assert_int_equal(g.body.len, len);
  assert_memory_equal(g.body.data, want, len);
  assert_int_equal(g.body_bytes, len);
  assert_string_equal(g.content_type, "application/rss+xml");
  assert_string_equal(g.charset, "utf-8");
  assert_true(g.etag[0] == '"');
  assert_true(g.last_modified[0] != '\0');
  assert_string_equal(g.effective_url, url("/feeds/basic.rss"));
  assert_false(g.permanent);
  buf_clear(&g.body);
  /* The server saw a gzip-capable request naming braid. */
  json_t *log = server_log(true);
  const char *ua = logged_header(log, "/feeds/basic.rss", "user-agent");
  assert_non_null(ua);
  assert_string_equal(ua, "braid/" BRAID_VERSION " (+https://github.com/braid-feeds/braid)");
  const char *ae = logged_header(log, "/feeds/basic.rss", "accept-encoding");
  assert_non_null(ae);
  assert_non_null(strstr(ae, "gzip"));
  json_decref(log);
}

/* elapsed_ms is the time the job took, even when the loop was busy for part of it: here the
 * response comes in one read, so headers, body and the end all run in one loop iteration,
 * after on_headers has kept the loop busy for 300 ms. */
static void test_elapsed_counts_a_busy_loop(void **state) {
  (void)state;
  struct got g = {.busy_in_headers_ms = 300};
  fetch_one(&test_limits, url("/feeds/basic.rss"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, "basic.rss");
  if (g.elapsed_ms < 300)
    fail_msg("elapsed_ms %lld, but on_headers alone took 300 ms", (long long)g.elapsed_ms);
  buf_clear(&g.body);
}

static void test_cache_headers_and_charset(void **state) {
  (void)state;
  struct got g = {0}, c = {0}, x = {0};
  int64_t before = (int64_t)time(NULL);
  fetch_one(&test_limits, url("/feeds/basic.rss?cc=300&expires=600"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, "cache headers");
  assert_int_equal(g.max_age, 300);
  /* Expires is measured against the server's Date, then placed on our clock. */
  assert_in_range(g.expires, before + 598, (int64_t)time(NULL) + 602);
  buf_clear(&g.body);
  /* The declared charset is reported as sent, even when the body says otherwise. */
  fetch_one(&test_limits, url("/charset"), NULL, NULL, &c);
  expect_outcome(&c, FETCH_OK, "charset");
  assert_string_equal(c.charset, "iso-8859-1");
  assert_non_null(memmem(c.body.data, c.body.len, "Caf\xc3\xa9", 5));
  buf_clear(&c.body);
  /* Not well-formed XML is still a successful transfer: judging it is the parser's job. */
  fetch_one(&test_limits, url("/invalid"), NULL, NULL, &x);
  expect_outcome(&x, FETCH_OK, "invalid XML");
  assert_true(x.body.len > 0);
  buf_clear(&x.body);
}

static void test_conditional_get(void **state) {
  (void)state;
  struct got first = {0}, second = {0}, third = {0};
  fetch_one(&test_limits, url("/feeds/basic.atom"), NULL, NULL, &first);
  expect_outcome(&first, FETCH_OK, "first fetch");
  buf_clear(&first.body);
  json_decref(server_log(true));
  fetch_one(&test_limits, url("/feeds/basic.atom"), first.etag, first.last_modified, &second);
  expect_outcome(&second, FETCH_NOT_MODIFIED, "ETag revalidation");
  assert_int_equal(second.status, 304);
  assert_int_equal(second.delivered, 0);
  assert_int_equal(second.headers_calls, 1);
  buf_clear(&second.body);
  json_t *log = server_log(true);
  const char *inm = logged_header(log, "/feeds/basic.atom", "if-none-match");
  const char *ims = logged_header(log, "/feeds/basic.atom", "if-modified-since");
  assert_non_null(inm);
  assert_string_equal(inm, first.etag);
  assert_non_null(ims);
  assert_string_equal(ims, first.last_modified);
  json_decref(log);
  /* Last-Modified alone revalidates too. */
  fetch_one(&test_limits, url("/feeds/basic.atom"), NULL, first.last_modified, &third);
  expect_outcome(&third, FETCH_NOT_MODIFIED, "Last-Modified revalidation");
  buf_clear(&third.body);
}

/* Issue 14 item 6: validators with control bytes are neither kept nor sent, whatever the
 * store holds, and none go to a URL other than the one that gave them. */
static void test_validators_not_echoed(void **state) {
  (void)state;
  struct got bad = {0}, raw = {0}, fmt = {0}, hop = {0};
  fetch_one(&test_limits, url("/badvalidators"), NULL, NULL, &bad);
  expect_outcome(&bad, FETCH_OK, "bad validators");
  assert_string_equal(bad.etag, "");
  assert_string_equal(bad.last_modified, "");
  buf_clear(&bad.body);
  /* A store written before this check may hold raw values: they are not sent either. */
  json_decref(server_log(true));
  fetch_one(&test_limits, url("/feeds/basic.rss"), "\"v1\"\rHost: injected.example",
            "Tue, 01 Jan 2030 00:00:00 GMT\rAuthorization: Basic eDp5", &raw);
  buf_clear(&raw.body);
  json_t *log = server_log(true);
  assert_null(logged_header(log, "/feeds/basic.rss", "if-none-match"));
  assert_null(logged_header(log, "/feeds/basic.rss", "if-modified-since"));
  assert_null(logged_header(log, "/feeds/basic.rss", "authorization"));
  json_decref(log);
  /* A date in another format goes out re-formatted. */
  fetch_one(&test_limits, url("/feeds/basic.rss"), NULL, "Sunday, 06-Nov-94 08:49:37 GMT", &fmt);
  buf_clear(&fmt.body);
  log = server_log(true);
  const char *ims = logged_header(log, "/feeds/basic.rss", "if-modified-since");
  assert_non_null(ims);
  assert_string_equal(ims, "Sun, 06 Nov 1994 08:49:37 GMT");
  json_decref(log);
  /* After a temporary redirect, the target gets no validators and none are reported. */
  fetch_one(&test_limits, url("/redirect/302/1"), "\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT",
            &hop);
  expect_outcome(&hop, FETCH_OK, "302 with validators");
  assert_string_equal(hop.etag, "");
  assert_string_equal(hop.last_modified, "");
  buf_clear(&hop.body);
  log = server_log(true);
  assert_non_null(logged_header(log, "/redirect/302/1", "if-none-match"));
  assert_null(logged_header(log, "/feeds/basic.rss", "if-none-match"));
  assert_null(logged_header(log, "/feeds/basic.rss", "if-modified-since"));
  json_decref(log);
  assert_true(fetch_etag_valid("W/\"x\"", 5));
  assert_false(fetch_etag_valid("x", 1));
  assert_false(fetch_etag_valid("\"a\"b\"", 5));
}

static void test_retry_after(void **state) {
  (void)state;
  struct got g = {0}, d = {0};
  int64_t before = (int64_t)time(NULL);
  fetch_one(&test_limits, url("/status/429?retry_after=120"), NULL, NULL, &g);
  int64_t after = (int64_t)time(NULL);
  expect_outcome(&g, FETCH_HTTP_ERROR, "429");
  assert_int_equal(g.status, 429);
  assert_int_equal(g.delivered, 0);
  /* Whole seconds: counted from the end of the second the answer came in, so that no
   * request can come before the 120 s the server asked for. */
  assert_in_range(g.retry_after, before + 121, after + 121);
  buf_clear(&g.body);
  fetch_one(&test_limits, url("/status/503?retry_date=3600"), NULL, NULL, &d);
  expect_outcome(&d, FETCH_HTTP_ERROR, "503");
  assert_int_equal(d.status, 503);
  /* An HTTP date has one-second resolution. */
  assert_in_range(d.retry_after, before + 3599, (int64_t)time(NULL) + 3601);
  buf_clear(&d.body);
}

static void test_http_errors(void **state) {
  (void)state;
  static const long codes[] = {404, 410, 500};
  for (size_t i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof path, "/status/%ld", codes[i]);
    struct got g = {0};
    fetch_one(&test_limits, url(path), NULL, NULL, &g);
    expect_outcome(&g, FETCH_HTTP_ERROR, path);
    assert_int_equal(g.status, codes[i]);
    assert_int_equal(g.delivered, 0);
    assert_int_equal(g.retry_after, -1);
    buf_clear(&g.body);
  }
}

static void test_redirects(void **state) {
  (void)state;
  struct got p = {0}, t = {0}, m = {0};
  fetch_one(&test_limits, url("/redirect/301/2"), NULL, NULL, &p);
  expect_outcome(&p, FETCH_OK, "301 chain");
  assert_true(p.permanent);
  assert_int_equal(p.redirects, 2);
  assert_string_equal(p.permanent_url, url("/feeds/basic.rss"));
  assert_string_equal(p.effective_url, url("/feeds/basic.rss"));
  assert_true(p.body.len > 0);
  buf_clear(&p.body);

  fetch_one(&test_limits, url("/redirect/302/1"), NULL, NULL, &t);
  expect_outcome(&t, FETCH_OK, "302");
  assert_false(t.permanent);
  assert_string_equal(t.permanent_url, "");
  assert_string_equal(t.effective_url, url("/feeds/basic.rss"));
  buf_clear(&t.body);

  /* 308 then 302: store the 308's target, not the temporary one's. */
  fetch_one(&test_limits, url("/redirect/308/1?to=%2Fredirect%2F302%2F1"), NULL, NULL, &m);
  expect_outcome(&m, FETCH_OK, "308 then 302");
  assert_false(m.permanent);
  assert_int_equal(m.redirects, 2);
  assert_string_equal(m.permanent_url, url("/redirect/302/1"));
  buf_clear(&m.body);
}

/* Issue 14 item 9: a feed on a public address may not redirect braid into loopback (or
 * private, link-local, unspecified) space. No public address is reachable here, so the
 * test-only BRAID_TEST_PUBLIC_NETS declares 127.0.0.2 public: the "feed on the Internet" is
 * 127.0.0.2, the internal service 127.0.0.1. */
static void test_redirect_into_private_space(void **state) {
  (void)state;
  const char *const extra[] = {"--hosts", "2", NULL};
  pid_t pid;
  int port;
  assert_int_equal(spawn_server(extra, &pid, &port), 0);
  hosts_pid = pid;
  char u[512], spelled[512], dec[512];
  snprintf(u, sizeof u, "http://127.0.0.2:%d/redirect/301/1?to=http%%3A%%2F%%2F127.0.0.1%%3A%d"
           "%%2Ffeeds%%2Fbasic.rss", port, port);
  /* Another spelling of 127.0.0.1: the check is on the address connected to. */
  snprintf(spelled, sizeof spelled, "http://127.0.0.2:%d/redirect/302/1?to=http%%3A%%2F%%2F"
           "2130706433%%3A%d%%2Ffeeds%%2Fbasic.rss", port, port);
  snprintf(dec, sizeof dec, "http://127.0.0.2:%d/redirect/302/1", port);
  setenv("BRAID_TEST_PUBLIC_NETS", "127.0.0.2/32", 1);
  struct got a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
  fetch_one(&test_limits, u, NULL, NULL, &a);
  expect_outcome(&a, FETCH_REDIRECT_REFUSED, "public to loopback");
  assert_non_null(strstr(a.error, "to loopback address 127.0.0.1"));
  assert_string_equal(a.permanent_url, ""); /* a refused 301 is not remembered */
  assert_false(a.permanent);
  assert_int_equal(a.body.len, 0);
  buf_clear(&a.body);
  fetch_one(&test_limits, spelled, NULL, NULL, &b);
  expect_outcome(&b, FETCH_REDIRECT_REFUSED, "public to 2130706433");
  buf_clear(&b.body);
  /* Within one class (public to public) a redirect is followed. */
  fetch_one(&test_limits, dec, NULL, NULL, &c);
  expect_outcome(&c, FETCH_OK, "public to public");
  buf_clear(&c.body);
  /* The operator's key lets it through. */
  struct fetch_limits allow = test_limits;
  allow.allow_private_redirects = true;
  fetch_one(&allow, u, NULL, NULL, &d);
  expect_outcome(&d, FETCH_OK, "allow_private_redirects");
  buf_clear(&d.body);
  unsetenv("BRAID_TEST_PUBLIC_NETS");
  /* A feed the operator put on loopback keeps redirecting within loopback. */
  fetch_one(&test_limits, u, NULL, NULL, &e);
  expect_outcome(&e, FETCH_OK, "loopback to loopback");
  assert_true(e.permanent);
  buf_clear(&e.body);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  hosts_pid = 0;
}

static void test_addr_classes(void **state) {
  (void)state;
  struct fetch_public_nets none = {0}, pub;
  assert_int_equal(fetch_addr_classify("8.8.8.8", &none), FETCH_ADDR_PUBLIC);
  assert_int_equal(fetch_addr_classify("10.1.2.3", &none), FETCH_ADDR_PRIVATE);
  assert_int_equal(fetch_addr_classify("172.31.0.1", &none), FETCH_ADDR_PRIVATE);
  assert_int_equal(fetch_addr_classify("172.32.0.1", &none), FETCH_ADDR_PUBLIC);
  assert_int_equal(fetch_addr_classify("192.168.0.1", &none), FETCH_ADDR_PRIVATE);
  assert_int_equal(fetch_addr_classify("169.254.169.254", &none), FETCH_ADDR_LINK_LOCAL);
  assert_int_equal(fetch_addr_classify("127.0.0.1", &none), FETCH_ADDR_LOOPBACK);
  assert_int_equal(fetch_addr_classify("0.0.0.0", &none), FETCH_ADDR_UNSPECIFIED);
  assert_int_equal(fetch_addr_classify("::1", &none), FETCH_ADDR_LOOPBACK);
  assert_int_equal(fetch_addr_classify("::", &none), FETCH_ADDR_UNSPECIFIED);
  assert_int_equal(fetch_addr_classify("::ffff:127.0.0.1", &none), FETCH_ADDR_LOOPBACK);
  assert_int_equal(fetch_addr_classify("fe80::1", &none), FETCH_ADDR_LINK_LOCAL);
  assert_int_equal(fetch_addr_classify("fd00::1", &none), FETCH_ADDR_PRIVATE);
  assert_int_equal(fetch_addr_classify("2001:db8::1", &none), FETCH_ADDR_PUBLIC);
  assert_int_equal(fetch_public_nets_parse("127.0.0.2/32,10.0.0.0/8", &pub), 0);
  assert_int_equal(fetch_addr_classify("127.0.0.2", &pub), FETCH_ADDR_PUBLIC);
  assert_int_equal(fetch_addr_classify("127.0.0.3", &pub), FETCH_ADDR_LOOPBACK);
  assert_int_equal(fetch_public_nets_parse("127.0.0.2/33", &pub), -EINVAL);
  assert_int_equal(fetch_public_nets_parse("nonsense", &pub), -EINVAL);
}

static void test_redirect_limits(void **state) {
  (void)state;
  struct got loop = {0}, chain = {0}, file = {0};
  fetch_one(&test_limits, url("/loop/a"), NULL, NULL, &loop);
  expect_outcome(&loop, FETCH_REDIRECT_LOOP, "loop");
  buf_clear(&loop.body);
  fetch_one(&test_limits, url("/redirect/302/5"), NULL, NULL, &chain);
  expect_outcome(&chain, FETCH_LIMIT_MAX_REDIRECTS, "5 redirects, max 3");
  assert_int_equal(chain.redirects, 3);
  buf_clear(&chain.body);
  fetch_one(&test_limits, url("/redirect-file"), NULL, NULL, &file);
  expect_outcome(&file, FETCH_REDIRECT_REFUSED, "redirect to file://");
  assert_int_equal(file.delivered, 0);
  buf_clear(&file.body);
}

static void test_low_speed(void **state) {
  (void)state;
  struct got g = {0}, h = {0};
  fetch_one(&test_limits, url("/drip?bytes=60&interval=1"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_LIMIT_LOW_SPEED, "drip");
  buf_clear(&g.body);
  fetch_one(&test_limits, url("/slowheaders?delay=30"), NULL, NULL, &h);
  expect_outcome(&h, FETCH_LIMIT_LOW_SPEED, "slow headers");
  assert_int_equal(h.headers_calls, 0);
  buf_clear(&h.body);
}

static void test_total_timeout(void **state) {
  (void)state;
  struct fetch_limits lim = test_limits;
  lim.total_timeout_ms = 1500;
  lim.low_speed_time_s = 60;
  struct got g = {0};
  fetch_one(&lim, url("/drip?bytes=60&interval=0.2"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_LIMIT_TIMEOUT, "drip with 1.5 s total");
  buf_clear(&g.body);
}

static void test_max_bytes(void **state) {
  (void)state;
  struct got g = {0}, b = {0};
  fetch_one(&test_limits, url("/endless"), NULL, NULL, &g);
  expect_outcome(&g, FETCH_LIMIT_MAX_BYTES, "endless");
  assert_true(g.delivered <= test_limits.max_bytes);
  assert_true(g.delivered > 0);
  buf_clear(&g.body);
  fetch_one(&test_limits, url("/gzipbomb"), NULL, NULL, &b);
  expect_outcome(&b, FETCH_LIMIT_MAX_BYTES, "gzip bomb");
  /* Inflated bytes are counted and handed over chunk by chunk, never collected. */
  assert_true(b.delivered <= test_limits.max_bytes);
  assert_true(b.max_chunk <= CURL_MAX_WRITE_SIZE);
  assert_non_null(strstr(b.error, "max_bytes"));
  buf_clear(&b.body);
}

static void test_network_errors(void **state) {
  (void)state;
  struct got r = {0}, c = {0}, m = {0};
  fetch_one(&test_limits, url("/reset"), NULL, NULL, &r);
  expect_outcome(&r, FETCH_NETWORK_ERROR, "reset");
  buf_clear(&r.body);
  /* Nothing listens on port 1. */
  fetch_one(&test_limits, "http://127.0.0.1:1/feed", NULL, NULL, &c);
  expect_outcome(&c, FETCH_NETWORK_ERROR, "connection refused");
  assert_int_equal(c.status, 0);
  assert_true(c.error[0] != '\0');
  buf_clear(&c.body);
  fetch_one(&test_limits, "file:///nonexistent/braid/feed.xml", NULL, NULL, &m);
  expect_outcome(&m, FETCH_NETWORK_ERROR, "missing file");
  buf_clear(&m.body);
}

static void test_file_url(void **state) {
  (void)state;
  char u[1400];
  char *abs = realpath(fixtures, NULL);
  assert_non_null(abs);
  snprintf(u, sizeof u, "file://%s/net/basic.rss", abs);
  free(abs);
  struct got g = {0};
  fetch_one(&test_limits, u, NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, u);
  assert_int_equal(g.status, 200);
  assert_int_equal(g.headers_calls, 1);
  size_t len;
  const char *want = read_fixture("basic.rss", &len);
  assert_int_equal(g.body.len, len);
  assert_memory_equal(g.body.data, want, len);
  assert_true(g.last_modified[0] != '\0');
  buf_clear(&g.body);
  /* Local feeds revalidate too: an unchanged file is "not modified". */
  struct got again = {0};
  fetch_one(&test_limits, u, NULL, g.last_modified, &again);
  expect_outcome(&again, FETCH_NOT_MODIFIED, "unchanged file");
  assert_int_equal(again.status, 304);
  assert_int_equal(again.delivered, 0);
  buf_clear(&again.body);
}

/* Issue 14 item 11: a file:// URL naming a FIFO (or a device) fails at once, naming the file,
 * instead of blocking the loop in open() until a writer comes. */
static void test_file_not_regular(void **state) {
  (void)state;
  char dir[] = "/tmp/braid-fetch-fifo-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char fifo[128], u[160];
  snprintf(fifo, sizeof fifo, "%s/feed.xml", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  snprintf(u, sizeof u, "file://%s", fifo);
  struct got g = {0}, d = {0};
  uint64_t t0 = uv_hrtime();
  fetch_one(&test_limits, u, NULL, NULL, &g);
  expect_outcome(&g, FETCH_NETWORK_ERROR, "FIFO");
  assert_non_null(strstr(g.error, "not a regular file"));
  assert_non_null(strstr(g.error, fifo));
  assert_true(uv_hrtime() - t0 < 2000000000ull);
  buf_clear(&g.body);
  fetch_one(&test_limits, "file:///dev/zero", NULL, NULL, &d);
  expect_outcome(&d, FETCH_NETWORK_ERROR, "/dev/zero");
  assert_int_equal(d.body.len, 0);
  buf_clear(&d.body);
  unlink(fifo);
  rmdir(dir);
}

/* A file written in the same second it is read could change again unseen within that
 * second: such a file gets no Last-Modified, so the next poll reads it whole. */
static void test_file_written_just_now(void **state) {
  (void)state;
  char path[] = "/tmp/braid-fetch-racy-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  static const char doc[] = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
  assert_int_equal(write(fd, doc, sizeof doc - 1), (ssize_t)(sizeof doc - 1));
  close(fd);
  char u[PATH_MAX + 8];
  snprintf(u, sizeof u, "file://%s", path);
  struct got g = {0};
  fetch_one(&test_limits, u, NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, u);
  assert_string_equal(g.last_modified, "");
  buf_clear(&g.body);
  unlink(path);
}

static void test_bad_requests(void **state) {
  (void)state;
  struct env e;
  env_open(&e, &test_limits);
  struct got g = {0};
  struct fetch_request req = {.url = "gopher://example.org/"};
  assert_int_equal(fetcher_start(e.f, &req, &cbs, &g, NULL), -EINVAL);
  req.url = "not a url";
  assert_int_equal(fetcher_start(e.f, &req, &cbs, &g, NULL), -EINVAL);
  assert_int_equal(g.done_calls, 0);
  env_close(&e);
}

#define MANY 40
static void test_many_concurrent(void **state) {
  (void)state;
  struct env e;
  env_open(&e, &test_limits);
  static struct got g[MANY];
  memset(g, 0, sizeof g);
  for (int i = 0; i < MANY; i++) {
    char path[64];
    snprintf(path, sizeof path, "/feeds/basic.rss?n=%d", i);
    fetch_into(&e, url(path), NULL, NULL, &g[i]);
  }
  assert_int_equal(fetcher_active(e.f), MANY);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  size_t len;
  read_fixture("basic.rss", &len);
  for (int i = 0; i < MANY; i++) {
    assert_int_equal(g[i].done_calls, 1);
    expect_outcome(&g[i], FETCH_OK, "concurrent job");
    assert_int_equal(g[i].body.len, len);
    buf_clear(&g[i].body);
  }
  assert_int_equal(fetcher_active(e.f), 0);
  env_close(&e);
}

static void cancel_timer(uv_timer_t *t) { fetcher_cancel(t->data); uv_close((uv_handle_t *)t, NULL); }

static void test_cancel(void **state) {
  (void)state;
  struct env e;
  env_open(&e, &test_limits);
  struct got slow = {0}, inh = {0}, abrt = {0}, other = {0}, canceller = {0};
  fetch_into(&e, url("/slowheaders?delay=30"), NULL, NULL, &slow);
  fetch_into(&e, url("/slowheaders?delay=29"), NULL, NULL, &other);
  struct fetch_job *other_job = other.job;
  other.forget_on_done = &other_job;
  canceller.cancel_other = &other_job;
  fetch_into(&e, url("/feeds/basic.rss?c=3"), NULL, NULL, &canceller);
  inh.cancel_in_headers = true;
  fetch_into(&e, url("/feeds/basic.rss?c=1"), NULL, NULL, &inh);
  abrt.abort_in_data = true;
  fetch_into(&e, url("/feeds/basic.rss?c=2"), NULL, NULL, &abrt);
  uv_timer_t t;
  uv_timer_init(&e.loop, &t);
  t.data = slow.job;
  uv_timer_start(&t, cancel_timer, 300, 0);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  assert_int_equal(slow.done_calls, 1);
  expect_outcome(&slow, FETCH_CANCELLED, "cancel from a timer");
  assert_int_equal(inh.done_calls, 1);
  expect_outcome(&inh, FETCH_CANCELLED, "cancel from on_headers");
  assert_int_equal(inh.delivered, 0);
  assert_int_equal(abrt.done_calls, 1);
  expect_outcome(&abrt, FETCH_ABORTED, "on_data returned 1");
  assert_int_equal(other.done_calls, 1);
  expect_outcome(&other, FETCH_CANCELLED, "cancel from another job's on_data");
  expect_outcome(&canceller, FETCH_OK, "the job that cancelled another");
  buf_clear(&other.body);
  buf_clear(&canceller.body);
  buf_clear(&slow.body);
  buf_clear(&inh.body);
  buf_clear(&abrt.body);
  env_close(&e);
}

static void free_timer(uv_timer_t *t) {
  struct env *e = t->data;
  fetcher_free(e->f);
  uv_close((uv_handle_t *)t, NULL);
}

static void test_free_in_flight(void **state) {
  (void)state;
  struct env e;
  env_open(&e, &test_limits);
  struct got a = {0}, b = {0};
  fetch_into(&e, url("/drip?bytes=20&interval=0.5"), NULL, NULL, &a);
  fetch_into(&e, url("/slowheaders?delay=30"), NULL, NULL, &b);
  uv_timer_t t;
  uv_timer_init(&e.loop, &t);
  t.data = &e;
  uv_timer_start(&t, free_timer, 300, 0);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  assert_int_equal(a.done_calls, 1);
  expect_outcome(&a, FETCH_CANCELLED, "drip at fetcher_free");
  assert_int_equal(b.done_calls, 1);
  expect_outcome(&b, FETCH_CANCELLED, "slow headers at fetcher_free");
  buf_clear(&a.body);
  buf_clear(&b.body);
  assert_int_equal(uv_loop_close(&e.loop), 0);
}

/* A listening socket whose accept queue is full: the kernel drops further SYNs, so a
 * connection attempt hangs until the connect timeout. */
static void test_connect_timeout(void **state) {
  (void)state;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(ls >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
  assert_int_equal(listen(ls, 0), 0);
  int fillers[4];
  for (int i = 0; i < 4; i++) {
    fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fillers[i], (struct sockaddr *)&a, sizeof a);
  }
  struct fetch_limits lim = test_limits;
  lim.connect_timeout_ms = 1000;
  char u[64];
  snprintf(u, sizeof u, "http://127.0.0.1:%d/feed", ntohs(a.sin_port));
  struct got g = {0};
  fetch_one(&lim, u, NULL, NULL, &g);
  expect_outcome(&g, FETCH_LIMIT_CONNECT_TIMEOUT, "full accept queue");
  buf_clear(&g.body);
  for (int i = 0; i < 4; i++)
    close(fillers[i]);
  close(ls);
}

/* on_done may free the whole fetcher: the other job ends cancelled, the loop closes. */
static int freeing_jobs_left;
static struct env *freeing_env;
static void on_done_free(void *ud, const struct fetch_result *r) {
  on_done(ud, r);
  if (freeing_env) {
    struct env *e = freeing_env;
    freeing_env = NULL;
    fetcher_free(e->f);
  }
  freeing_jobs_left--;
}

static void test_free_from_on_done(void **state) {
  (void)state;
  struct env e;
  env_open(&e, &test_limits);
  static const struct fetch_callbacks freeing = {on_headers, on_data, on_done_free};
  struct got fast = {0}, slow = {0};
  buf_init(&fast.body, 0);
  buf_init(&slow.body, 0);
  struct fetch_request r1 = {.url = url("/status/404")}, r2 = {.url = url("/slowheaders?delay=30")};
  assert_int_equal(fetcher_start(e.f, &r1, &freeing, &fast, NULL), 0);
  assert_int_equal(fetcher_start(e.f, &r2, &freeing, &slow, NULL), 0);
  freeing_env = &e;
  freeing_jobs_left = 2;
  uv_run(&e.loop, UV_RUN_DEFAULT);
  assert_int_equal(freeing_jobs_left, 0);
  expect_outcome(&fast, FETCH_HTTP_ERROR, "first job");
  expect_outcome(&slow, FETCH_CANCELLED, "job in flight when on_done freed the fetcher");
  assert_int_equal(uv_loop_close(&e.loop), 0);
  buf_clear(&fast.body);
  buf_clear(&slow.body);
}

static void test_https(void **state) {
  (void)state;
  struct fetch_limits lim = test_limits;
  lim.ca_file = tls_cert;
  char u[128];
  snprintf(u, sizeof u, "https://127.0.0.1:%d/feeds/basic.rss", tls_port);
  struct got g = {0}, r = {0}, untrusted = {0};
  fetch_one(&lim, u, NULL, NULL, &g);
  expect_outcome(&g, FETCH_OK, "https");
  size_t len;
  const char *want = read_fixture("basic.rss", &len);
  assert_int_equal(g.body.len, len);
  assert_memory_equal(g.body.data, want, len);
  buf_clear(&g.body);
  /* Redirects over TLS keep the scheme and count as usual. */
  snprintf(u, sizeof u, "https://127.0.0.1:%d/redirect/301/1", tls_port);
  fetch_one(&lim, u, NULL, NULL, &r);
  expect_outcome(&r, FETCH_OK, "https redirect");
  assert_true(r.permanent);
  buf_clear(&r.body);
  /* A certificate nobody vouches for is a network error, not a silent success. */
  snprintf(u, sizeof u, "https://127.0.0.1:%d/feeds/basic.rss", tls_port);
  fetch_one(&test_limits, u, NULL, NULL, &untrusted);
  expect_outcome(&untrusted, FETCH_NETWORK_ERROR, "untrusted certificate");
  assert_int_equal(untrusted.delivered, 0);
  buf_clear(&untrusted.body);
}

static void test_limits_from_config(void **state) {
  (void)state;
  struct braid_config *c;
  assert_int_equal(config_defaults("/etc/braid/braid.conf", &c), 0);
  c->poll_connect_timeout_s = 7;
  c->poll_max_redirects = 0;
  struct fetch_limits l;
  fetch_limits_from_config(&l, c);
  assert_int_equal(l.connect_timeout_ms, 7000);
  assert_int_equal(l.total_timeout_ms, 60000);
  assert_int_equal(l.low_speed_limit, 64);
  assert_int_equal(l.low_speed_time_s, 30);
  assert_int_equal(l.max_bytes, 10 * 1024 * 1024);
  assert_int_equal(l.max_redirects, 0);
  assert_int_equal(l.max_total_connections, 8);
  assert_int_equal(l.max_host_connections, 2);
  assert_string_equal(l.user_agent, c->user_agent);
  config_free(c);
}

static void test_header_parsers(void **state) {
  (void)state;
  assert_int_equal(fetch_parse_retry_after("120", 1000), 1120);
  assert_int_equal(fetch_parse_retry_after(" 0 ", 1000), 1000);
  assert_int_equal(fetch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 0), 1445412480);
  assert_int_equal(fetch_parse_retry_after("soon", 1000), -1);
  assert_int_equal(fetch_parse_retry_after("-5", 1000), -1);
  assert_int_equal(fetch_parse_retry_after("99999999999", 0), 7 * 24 * 3600);
  assert_int_equal(fetch_parse_max_age("public, max-age=300"), 300);
  assert_int_equal(fetch_parse_max_age("s-maxage=10, max-age=60"), 60);
  assert_int_equal(fetch_parse_max_age("no-cache"), -1);
  assert_int_equal(fetch_parse_max_age("max-age=abc"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_parsers),
      cmocka_unit_test(test_limits_from_config),
      cmocka_unit_test(test_ok_body_and_headers),
      cmocka_unit_test(test_elapsed_counts_a_busy_loop),
      cmocka_unit_test(test_cache_headers_and_charset),
      cmocka_unit_test(test_conditional_get),
      cmocka_unit_test(test_validators_not_echoed),
      cmocka_unit_test(test_retry_after),
      cmocka_unit_test(test_http_errors),
      cmocka_unit_test(test_redirects),
      cmocka_unit_test(test_redirect_into_private_space),
      cmocka_unit_test(test_addr_classes),
      cmocka_unit_test(test_redirect_limits),
      cmocka_unit_test(test_low_speed),
      cmocka_unit_test(test_total_timeout),
      cmocka_unit_test(test_max_bytes),
      cmocka_unit_test(test_network_errors),
      cmocka_unit_test(test_file_url),
      cmocka_unit_test(test_file_not_regular),
      cmocka_unit_test(test_file_written_just_now),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_many_concurrent),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_free_in_flight),
      cmocka_unit_test(test_free_from_on_done),
      cmocka_unit_test(test_connect_timeout),
      cmocka_unit_test(test_https),
  };
  return cmocka_run_group_tests(tests, start_server, stop_server);
}
