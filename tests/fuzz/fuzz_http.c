/* fuzz_http.c — libFuzzer target: the HTTP request path of braid's server, end to end.
 *
 * A real server (serve.h: libmicrohttpd on a libuv loop, as `braid run` has it) listens on
 * 127.0.0.1 with a provider holding three entries. Each input is sent as raw bytes over a
 * fresh TCP connection, the client half-closes, and the loop runs until the server closes
 * the connection. So the fuzzer reaches request-line and header parsing, routing, query
 * parameters (?n, ?since), conditional requests, gzip negotiation and every renderer.
 * Properties: no crash, leak or UB; the server answers or closes within 5 s of the client's
 * half-close; any answer starts with an HTTP/1.x status line; no request makes it answer
 * 500 (the provider never fails here, so a 500 would be the server's own bug).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "fuzz.h"
#include "serve.h"

static uv_loop_t loop;
static struct server *server;
static uint16_t port;

static char *dup_str(const char *s) {
  char *p = strdup(s);
  if (!p)
    abort();
  return p;
}

static int get_stream(void *userdata, const char *feed, size_t n, int64_t since,
                      struct stream_list *ret) {
  (void)userdata;
  if (feed && strcmp(feed, "homs") != 0)
    return -ENOENT;
  static const struct {
    const char *stamp, *html;
    int64_t time;
  } updates[] = {
      {"2120 GMT", "<p>Shelling resumed in <a href=\"/baba-amr\">Baba Amr</a>.</p>", 1320787200},
      {"1815 GMT", "<p>Activists report <b>tanks</b> at the edge of the city.</p>", 1320776100},
      {NULL, "<p>Ordinary item <script>alert(1)</script> with an &amp; entity.</p>", 1320700000},
  };
  size_t count = sizeof updates / sizeof *updates;
  ret->entries = calloc(count, sizeof *ret->entries);
  if (!ret->entries)
    return -ENOMEM;
  for (size_t i = 0; i < count && ret->n < n; i++) {
    if (updates[i].time < since)
      continue;
    struct stream_entry *e = &ret->entries[ret->n++];
    char id[64];
    snprintf(id, sizeof id, "tag:braid.example,2011:%zu", i);
    e->seq = (int64_t)(count - i);
    e->id = dup_str(id);
    e->time = e->updated = updates[i].time;
    e->title = dup_str(updates[i].stamp ? updates[i].stamp : "Homs: a wire story");
    e->link = dup_str("https://news.example/live/homs#u1");
    e->html = dup_str(updates[i].html);
    e->text = dup_str("plain text");
    if (updates[i].stamp) {
      e->stamp = dup_str(updates[i].stamp);
      e->item_title = dup_str("Syria live");
      e->item_id = dup_str("https://news.example/live/homs");
    }
    e->sources = calloc(1, sizeof *e->sources);
    if (!e->sources)
      abort();
    e->n_sources = 1;
    e->sources[0].feed = dup_str("homs");
    e->sources[0].title = dup_str("Homs live");
    e->sources[0].site_url = dup_str("https://news.example/");
    e->sources[0].feed_url = dup_str("https://news.example/feed.rss");
  }
  return 0;
}

static int get_metrics(void *userdata, struct buf *out) {
  (void)userdata;
  return buf_append_str(out, "braid_feeds 1\n");
}

static int64_t get_version(void *userdata) {
  (void)userdata;
  return 1;
}

static const struct serve_provider provider = {
    .get_stream = get_stream, .get_metrics = get_metrics, .get_version = get_version};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char err[256];
  struct serve_options opts = {.listen = "127.0.0.1:0", .title = "braid fuzz"};
  if (uv_loop_init(&loop) != 0 || serve_new(&loop, &opts, &provider, NULL, &server, err,
                                            sizeof err) != 0) {
    fprintf(stderr, "fuzz_http: cannot start the server: %s\n", err);
    abort();
  }
  port = serve_port(server);
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    abort();
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    /* libFuzzer's -timeout alarm can interrupt connect; the connection then goes on in the
     * background and is done once the socket turns writable. */
    int err = errno;
    if (err == EINTR) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      socklen_t len = sizeof err;
      while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    }
    if (err != 0) {
      fprintf(stderr, "fuzz_http: connect: %s\n", strerror(err));
      abort();
    }
  }
  return fd;
}

/* Whether resp holds a whole header block (after any 1xx interim answers). */
static bool headers_complete(const char *resp, size_t len) {
  for (;;) {
    const char *end = memmem(resp, len, "\r\n\r\n", 4);
    if (!end)
      return false;
    size_t header_len = (size_t)(end - resp) + 4;
    if (len < 10 || resp[9] != '1')
      return true;
    resp += header_len; /* 100 Continue: the real answer follows */
    len -= header_len;
  }
}

/* Sends req on a fresh connection and reads until the answer is whole or the server closes.
 * Returns the bytes read; 0 means the server sent nothing: it closed, or it waits for more of
 * the request (then quiet_limit rounds of the loop passed without a byte). Loopback hands the
 * bytes over before send returns and the server does all its work inside uv_run, so an
 * answer that is coming comes within a round or two: counting rounds instead of sleeping
 * keeps this target fuzzing rather than waiting. An answer whose head has started must
 * finish it within 5 s. */
static size_t exchange(const uint8_t *req, size_t size, char *resp, size_t cap,
                       unsigned quiet_limit) {
  int fd = connect_server();
  /* The kernel's socket buffers hold 64 KB at once, so the write completes without the loop. */
  size_t off = 0;
  while (off < size) {
    ssize_t w = send(fd, req + off, size - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break; /* the server may refuse early and reset; that is an answer too */
    off += (size_t)w;
  }
  /* Half-close: a request cut short ends here, not at the server's idle timeout. */
  shutdown(fd, SHUT_WR);
  size_t total = 0;
  int64_t start = now_ms();
  unsigned quiet_rounds = 0;
  for (;;) {
    uv_run(&loop, UV_RUN_NOWAIT);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0) {
      ssize_t r = recv(fd, resp + total, cap - 1 - total, 0);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break; /* closed (or reset): the exchange is over */
      total += (size_t)r;
      quiet_rounds = 0;
      if (total == cap - 1)
        break;
    } else if (++quiet_rounds >= quiet_limit && (total == 0 || headers_complete(resp, total))) {
      /* Nothing more is coming now. Either a whole answer is in (its body, if any, is written
       * in the same round as its head; whether there is one depends on the method, which
       * the server may read differently from any guess here), or nothing at all: then
       * libmicrohttpd may not have seen the half-close of a request it is still reading and
       * waits for more bytes until its connection timeout, as it should for a slow client.
       * What must hold then is that it keeps serving others (the caller checks). */
      break;
    }
    FUZZ_CHECK(now_ms() - start < 5000, "an answer the server started finishes within 5 s");
  }
  /* Close with a reset, which the server always sees at once. A plain close after the
   * half-close sends nothing new, and libmicrohttpd 0.9.75 in epoll mode may not have seen
   * the FIN that came with a cut-short request: the slot would stay taken until the 30 s
   * connection timeout, and the fuzzer would soon fill the per-address limit. */
  struct linger reset = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
  /* Let the server notice the close before the next connection. */
  uv_run(&loop, UV_RUN_NOWAIT);
  resp[total] = '\0';
  return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  static char resp[1 << 20];
  size_t total = exchange(data, size, resp, sizeof resp, 16);
  if (total > 0) {
    FUZZ_CHECK(total >= 12 && (memcmp(resp, "HTTP/1.1 ", 9) == 0 ||
                               memcmp(resp, "HTTP/1.0 ", 9) == 0),
               "an answer starts with a status line");
    FUZZ_CHECK(memcmp(resp + 9, "500", 3) != 0, "no request makes the server fail (500)");
    return 0;
  }
  /* No answer: whatever the client did, the next client must still be served. */
  static const char probe[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  total = exchange((const uint8_t *)probe, sizeof probe - 1, resp, sizeof resp, 1000);
  FUZZ_CHECK(total >= 12 && memcmp(resp + 9, "200", 3) == 0,
             "the server still answers another client");
  return 0;
}
