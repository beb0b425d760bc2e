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
  fprintf(out, "usage: braid export [--format atom|rss|json|html] [-n N] [--stream NAME]\n"
               "                    [--query SEARCH] [--config FILE]\n\n"
               "Writes the newest N entries of the merged stream (default: [stream] entries)\n"
               "to stdout as an Atom (default), RSS 2.0, JSON Feed 1.1 or HTML document.\n"
               "--stream: the named stream [stream \"NAME\"] of braid.conf instead;\n"
               "--query: only the entries matching SEARCH (the ?q= language).\n");
}

struct export_opts {
  const char *format, *config_path, *stream, *query;
  long n;
};

/* Reads export's options: 0, 1 after --help (exit 0), or -1 after a message (exit 2). */
static int read_options(int argc, char **argv, struct export_opts *o) {
  static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                          {"config", required_argument, NULL, 'c'},
                                          {"stream", required_argument, NULL, 's'},
                                          {"query", required_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "f:n:c:s:q:h", options, NULL)) != -1) {
    switch (c) {
    case 'f':
      o->format = optarg;
      break;
    case 's':
      o->stream = optarg;
      break;
    case 'q':
      o->query = optarg;
      break;
    case 'n': {
      char *end;
      errno = 0;
      o->n = strtol(optarg, &end, 10);
      if (errno || *end || o->n < 1 || o->n > BRAID_EXPORT_MAX_ENTRIES) {
        fprintf(stderr, "braid export: -n: expected a number from 1 to %d, got '%s'\n",
                BRAID_EXPORT_MAX_ENTRIES, optarg);
        return -1;
      }
      break;
    }
    case 'c':
      o->config_path = optarg;
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

/* Opens the store, renders the document (the whole stream, or st's) and writes it to
 * stdout. 0, or 1 after a message. */
static int export_stream_out(const struct braid_config *cfg, enum render_format fmt, long n,
                             const struct export_stream *st) {
  struct store *store = NULL;
  char err[512];
  int rc = store_open(cfg->store_path, STORE_OPEN_READONLY, &store, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "braid export: %s\n", err);
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
  rc = export_render(store, fmt, n > 0 ? (size_t)n : cfg->stream_entries, base, &style, st, &out,
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
  return status;
}

/* The filter --stream and --query ask for into *st (names, when the stream lists feeds or
 * categories, resolved against feeds.d into *names: free it). 0, or 2 after a message. */
static int stream_choice(const struct braid_config *cfg, const struct export_opts *o,
                         struct export_stream *st, struct feed_list *feeds, const char ***names,
                         char *title, size_t title_len) {
  *st = (struct export_stream){.filter = {.query = o->query}};
  char why[256];
  if (o->query && store_search_check(o->query, why, sizeof why) < 0) {
    fprintf(stderr, "braid export: --query: %s\n", why);
    return 2;
  }
  if (!o->stream)
    return 0;
  const struct stream_def *sd = config_stream_find(cfg, o->stream);
  if (!sd) {
    fprintf(stderr, "braid export: --stream: %s has no [stream \"%s\"]\n", cfg->path,
            o->stream);
    return 2;
  }
  st->name = sd->name;
  if (sd->title)
    snprintf(title, title_len, "%s", sd->title);
  else
    snprintf(title, title_len, "%s: %s", cfg->stream_title, sd->name);
  st->title = title;
  st->filter.query2 = sd->query;
  if (!sd->feeds_line && !sd->categories_line)
    return 0;
  struct msg_list errs = {0};
  int rc = feeds_load(cfg->feeds_dir, feeds, &errs);
  for (size_t i = 0; i < errs.n; i++)
    fprintf(stderr, "braid export: %s\n", errs.items[i]);
  msg_list_clear(&errs);
  if (rc < 0 && rc != -ENOENT && rc != -EINVAL) {
    fprintf(stderr, "braid export: %s: %s\n", cfg->feeds_dir, strerror(-rc));
    return 2;
  }
  *names = calloc(feeds->n ? feeds->n : 1, sizeof **names);
  if (!*names) {
    fprintf(stderr, "braid export: out of memory\n");
    return 2;
  }
  for (size_t i = 0; i < feeds->n; i++)
    if (stream_def_takes_feed(sd, &feeds->items[i]))
      (*names)[st->filter.n_feeds++] = feeds->items[i].name;
  st->filter.feeds = *names;
  st->filter.by_feeds = true;
  return 0;
}

int cmd_export(int argc, char **argv) {
  struct export_opts o = {.format = "atom"};
  int opt = read_options(argc, argv, &o);
  if (opt != 0)
    return opt > 0 ? 0 : 2;
  enum render_format fmt;
  if (render_format_from_name(o.format, &fmt) < 0) {
    fprintf(stderr, "braid export: --format: expected atom, rss, json or html, got '%s'\n",
            o.format);
    return 2;
  }
  struct braid_config *cfg = NULL;
  if (cli_load_config("export", o.config_path, &cfg) < 0)
    return 2;
  struct export_stream st;
  struct feed_list feeds = {0};
  const char **names = NULL;
  char title[512];
  int status = stream_choice(cfg, &o, &st, &feeds, &names, title, sizeof title);
  if (status == 0)
    status = export_stream_out(cfg, fmt, o.n, o.stream || o.query ? &st : NULL);
  free(names);
  feed_list_clear(&feeds);
  config_free(cfg);
  return status;
}
