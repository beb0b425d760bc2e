/* cmd_export.c — `braid export`: the merged stream as a document on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "commands.h"
#include "cli.h"
#include "export.h"

static void usage(FILE *out) {
  fprintf(out, "usage: braid export [--format atom|rss|json|html] [-n N] [--config FILE]\n\n"
               "Writes the newest N entries of the merged stream (default: [stream] entries)\n"
               "to stdout as an Atom (default), RSS 2.0, JSON Feed 1.1 or HTML document.\n");
}

/* Reads export's options: 0, 1 after --help (exit 0), or -1 after a message (exit 2). */
static int read_options(int argc, char **argv, const char **format, long *n,
                        const char **config_path) {
  static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                          {"config", required_argument, NULL, 'c'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:n:c:h", options, NULL)) != -1) {
    switch (c) {
    case 'f':
      *format = optarg;
      break;
    case 'n': {
      char *end;
      errno = 0;
      *n = strtol(optarg, &end, 10);
      if (errno || *end || *n < 1 || *n > BRAID_EXPORT_MAX_ENTRIES) {
        fprintf(stderr, "braid export: -n: expected a number from 1 to %d, got '%s'\n",
                BRAID_EXPORT_MAX_ENTRIES, optarg);
        return -1;
      }
      break;
    }
    case 'c':
      *config_path = optarg;
      break;
    case 'h':
      usage(stdout);
      return 1;
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "braid export: unexpected argument '%s'\n", argv[optind]);
    return -1;
  }
  return 0;
}

int cmd_export(int argc, char **argv) {
  const char *config_path = NULL, *format = "atom";
  long n = 0;
  int opt = read_options(argc, argv, &format, &n, &config_path);
  if (opt != 0)
    return opt > 0 ? 0 : 2;
  enum render_format fmt;
  if (render_format_from_name(format, &fmt) < 0) {
    fprintf(stderr, "braid export: --format: expected atom, rss, json or html, got '%s'\n",
            format);
    return 2;
  }
  struct braid_config *cfg = NULL;
  if (cli_load_config("export", config_path, &cfg) < 0)
    return 2;

  struct store *store = NULL;
  char err[512];
  int rc = store_open(cfg->store_path, STORE_OPEN_READONLY, &store, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "braid export: %s\n", err);
    config_free(cfg);
    return 1;
  }
  char base[EXPORT_BASE_URL_BYTES];
  export_base_url(cfg->http_base_url, cfg->http_listen, base, sizeof base);
  struct buf out;
  buf_init(&out, BRAID_EXPORT_MAX_DOC_BYTES);
  const struct export_style style = {
      .title = cfg->stream_title,
      .policy = {.publish_feed_queries = cfg->http_publish_feed_queries,
                 .remote_images = cfg->http_remote_images}};
  rc = export_render(store, fmt, n > 0 ? (size_t)n : cfg->stream_entries, base, &style, &out,
                     err, sizeof err);
  int status = 0;
  if (rc < 0) {
    fprintf(stderr, "braid export: %s\n", err);
    status = 1;
  } else if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
    fprintf(stderr, "braid export: writing to stdout: %s\n", strerror(errno));
    status = 1;
  }
  buf_clear(&out);
  store_close(store);
  config_free(cfg);
  return status;
}
