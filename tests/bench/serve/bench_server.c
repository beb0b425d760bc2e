/* bench_server.c — braid's HTTP server with a fixed stream of N entries, for run.sh.
 *
 * Usage: bench_server LISTEN [ENTRIES]. Serves the synthetic stream until SIGINT/SIGTERM,
 * then frees the server and closes the loop. Not part of the build: run.sh compiles it
 * against build/gcc/libbraidcore.a.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "entry.h"
#include "serve.h"

static char *dup_or_die(const char *s) {
  char *d = strdup(s);
  if (!d)
    abort();
  return d;
}

/* Entries that look like a live blog's: a paragraph or three of HTML with a link and an image. */
static int synthetic_stream(void *userdata, const char *feed, size_t n, int64_t since,
                            struct stream_list *ret) {
  size_t total = *(size_t *)userdata;
  (void)since;
  if (feed && strcmp(feed, "bench") != 0)
    return -ENOENT;
  if (n > total)
    n = total;
  ret->entries = calloc(n, sizeof *ret->entries);
  if (!ret->entries)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    struct stream_entry *e = &ret->entries[i];
    char buf[2048];
    e->seq = (int64_t)(total - i);
    e->time = 1700000000 - (int64_t)i * 300;
    e->updated = e->time;
    snprintf(buf, sizeof buf, "tag:braid,2023:bench/live/%zu", total - i);
    e->id = dup_or_die(buf);
    snprintf(buf, sizeof buf, "Live coverage \xe2\x80\x94 update %zu", total - i);
    e->title = dup_or_die(buf);
    snprintf(buf, sizeof buf, "https://news.example/live#u%zu", total - i);
    e->link = dup_or_die(buf);
    e->author = dup_or_die("Newsroom");
    snprintf(buf, sizeof buf,
             "<p>Update %zu: officials said the situation was <b>developing</b> and more "
             "details would follow. <a href=\"/story/%zu\">Read more</a>.</p>"
             "<p>Witnesses described crowds gathering near the square; reporters on the "
             "ground counted several hundred people by early evening.</p>"
             "<figure><img src=\"/img/%zu.jpg\" alt=\"Scene\"><figcaption>The square at "
             "dusk</figcaption></figure>",
             total - i, total - i, total - i);
    e->html = dup_or_die(buf);
    e->sources = calloc(1, sizeof *e->sources);
    if (!e->sources)
      return -ENOMEM;
    e->n_sources = 1;
    e->sources[0].feed = dup_or_die("bench");
    e->sources[0].title = dup_or_die("Bench News");
    e->sources[0].site_url = dup_or_die("https://news.example/");
    e->sources[0].feed_url = dup_or_die("https://news.example/feed.xml");
    ret->n++;
  }
  return 0;
}

static int64_t fixed_version(void *userdata) {
  (void)userdata;
  return 1;
}

struct bench {
  struct server *server;
  uv_signal_t sigint, sigterm;
};

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  struct bench *b = h->data;
  serve_free(b->server);
  uv_close((uv_handle_t *)&b->sigint, NULL);
  uv_close((uv_handle_t *)&b->sigterm, NULL);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LISTEN [ENTRIES]\n", argv[0]);
    return 2;
  }
  size_t entries = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100;
  static const struct serve_provider provider = {.get_stream = synthetic_stream,
                                                 .get_version = fixed_version};
  struct serve_options opts = {.listen = argv[1], .entries = (unsigned)entries};
  struct bench b = {0};
  char err[256];
  uv_loop_t *loop = uv_default_loop();
  if (serve_new(loop, &opts, &provider, &entries, &b.server, err, sizeof err) != 0) {
    fprintf(stderr, "bench_server: %s\n", err);
    return 1;
  }
  uv_signal_init(loop, &b.sigint);
  uv_signal_init(loop, &b.sigterm);
  b.sigint.data = b.sigterm.data = &b;
  uv_signal_start(&b.sigint, on_signal, SIGINT);
  uv_signal_start(&b.sigterm, on_signal, SIGTERM);
  printf("listening on port %u\n", serve_port(b.server));
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
