/* cmd_feeds.c — `braid feeds [list|add|remove]`, `braid import FILE.opml`, `braid export-opml`:
 * managing feeds.d from the command line. Exit status: 0 done, 1 refused or failed (a feed
 * that already exists, no such feed, an unreadable OPML file), 2 usage or configuration error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "commands.h"
#include "config.h"
#include "discover.h"
#include "feedsdir.h"
#include "feedstate.h"
#include "fetch.h"
#include "fetchconf.h"
#include "opml.h"
#include "pollerlock.h"

struct opts {
  const char *config;
  const char *name;
  const char *title;
  const char *args[4]; /* positionals after the command word */
  int nargs;
  bool no_discover;     /* feeds add: take the URL as given, without fetching it */
  bool state;           /* feeds list: the poll state from the store, as a table */
  bool json;            /* feeds list: the poll state as JSON */
  bool allow_file;      /* import: file:// URLs from the OPML file are taken too */
};

static void usage(FILE *out, const char *cmd) {
  if (strcmp(cmd, "import") == 0)
    fprintf(out, "usage: braid import [--config FILE] [--allow-file] FILE.opml\n\n"
                 "Writes a feeds.d/NAME.feed for every feed in an OPML 1.0/2.0 file. Feeds whose\n"
                 "URL is already configured are skipped (each named on stderr); a name that is\n"
                 "taken by another URL gets a -2, -3... suffix. Only http and https URLs are\n"
                 "imported: an OPML file from elsewhere could name file:///etc/shadow. With\n"
                 "--allow-file, file:// URLs are imported too.\n");
  else if (strcmp(cmd, "export-opml") == 0)
    fprintf(out, "usage: braid export-opml [--config FILE]\n\n"
                 "Writes the feeds of feeds.d to stdout as an OPML 2.0 document.\n");
  else
    fprintf(out, "usage: braid feeds [--config FILE] [list [--state|--json]]\n"
                 "       braid feeds [--config FILE] add URL [--name NAME] [--title TITLE]\n"
                 "                                       [--no-discover]\n"
                 "       braid feeds [--config FILE] remove NAME\n\n"
                 "list prints NAME, URL, TITLE (- if none) and INTERVAL, tab-separated, one feed a\n"
                 "line. --state shows instead what the store says of each: NAME, STATE (ok,\n"
                 "not-modified, failing, retired, new), LAST POLL, NEXT, ENTRIES, LAST ERROR;\n"
                 "--json the same as a JSON array. Both work while braid runs.\n"
                 "add writes feeds.d/NAME.feed (NAME derived from the URL unless given) and\n"
                 "never overwrites; remove deletes it.\n\n"
                 "add fetches URL first: a feed is added as it is; a web page is searched for the\n"
                 "feeds it advertises (<link rel=\"alternate\">, else the common paths such as\n"
                 "/feed and /rss.xml) and the first that answers as a feed is added, the others\n"
                 "listed. A URL that cannot be fetched now is added as given, with a warning;\n"
                 "--no-discover skips the fetch.\n");
  fprintf(out, "\nThe configuration is --config FILE, else $BRAID_CONFIG, else "
               "/etc/braid/braid.conf;\nfeeds.d is beside it unless [feeds] dir says otherwise.\n"
               "Exit status: 0 done, 1 refused or failed, 2 usage or configuration error.\n");
}

/* 0, 1 for --help, 2 for a usage error (already reported). */
static int parse_args(int argc, char **argv, struct opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      return 1;
    if (strcmp(a, "--no-discover") == 0) {
      o->no_discover = true;
      continue;
    }
    if (strcmp(a, "--state") == 0 || strcmp(a, "--json") == 0) {
      *(a[2] == 's' ? &o->state : &o->json) = true;
      continue;
    }
    if (strcmp(a, "--allow-file") == 0) {
      o->allow_file = true;
      continue;
    }
    if (strcmp(a, "--config") == 0)
      slot = &o->config;
    else if (strcmp(a, "--name") == 0)
      slot = &o->name;
    else if (strcmp(a, "--title") == 0)
      slot = &o->title;
    if (slot) {
      if (i + 1 >= argc) {
        fprintf(stderr, "braid %s: %s needs a value\n", argv[0], a);
        return 2;
      }
      *slot = argv[++i];
      continue;
    }
    if (strncmp(a, "--config=", 9) == 0) {
      o->config = a + 9;
      continue;
    }
    if (strncmp(a, "--name=", 7) == 0) {
      o->name = a + 7;
      continue;
    }
    if (strncmp(a, "--title=", 8) == 0) {
      o->title = a + 8;
      continue;
    }
    if (a[0] == '-' && a[1]) {
      fprintf(stderr, "braid %s: unknown option '%s' (see braid %s --help)\n", argv[0], a, argv[0]);
      return 2;
    }
    if (o->nargs == 4) {
      fprintf(stderr, "braid %s: too many arguments\n", argv[0]);
      return 2;
    }
    o->args[o->nargs++] = a;
  }
  return 0;
}

static void print_errors(const struct msg_list *errs) {
  for (size_t i = 0; i < errs->n; i++)
    fprintf(stderr, "braid: %s\n", errs->items[i]);
}

static int load_config(const char *cli, struct braid_config **ret) {
  char *path;
  bool explicit_path;
  if (config_choose_path(cli, &path, &explicit_path) < 0) {
    fprintf(stderr, "braid: out of memory\n");
    return 1;
  }
  struct msg_list errs = {0};
  int rc = config_load(path, explicit_path, ret, &errs);
  print_errors(&errs);
  msg_list_clear(&errs);
  free(path);
  return rc < 0 ? 2 : 0;
}

/* Loads feeds.d; a missing directory is an empty list. Returns 0, or 2 if some file was bad
 * (the good ones are in *ret and the errors were printed). */
static int load_feeds(const struct braid_config *c, struct feed_list *ret) {
  struct msg_list errs = {0};
  int rc = feeds_load(c->feeds_dir, ret, &errs);
  if (rc == -ENOENT) {
    msg_list_clear(&errs);
    return 0;
  }
  print_errors(&errs);
  msg_list_clear(&errs);
  return rc < 0 ? 2 : 0;
}

static int feeds_list(const struct braid_config *c, const struct opts *o) {
  struct feed_list l = {0};
  int status = load_feeds(c, &l);
  if (o->state || o->json) {
    int rc = feeds_print_state(c, &l, o->json);
    feed_list_clear(&l);
    return rc ? rc : status;
  }
  for (size_t i = 0; i < l.n; i++) {
    const struct feed_def *d = &l.items[i];
    char iv[32];
    config_format_duration(d->interval_s ? d->interval_s : c->poll_interval_s, iv, sizeof iv);
    printf("%s\t%s\t%s\t%s\n", d->name, d->url, d->title ? d->title : "-", iv);
  }
  feed_list_clear(&l);
  return status;
}

/* The feed in l with this URL, or NULL. */
static const struct feed_def *find_url(const struct feed_list *l, const char *url) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].url, url) == 0)
      return &l->items[i];
  return NULL;
}

static int add_one(const struct braid_config *c, const char *name, const char *url,
                   const char *title, const char *categories) {
  int rc = feedsdir_add_categories(c->feeds_dir, name, url, title, categories);
  if (rc == 0) {
    printf("%s\t%s\n", name, url);
    return 0;
  }
  if (rc == -EEXIST)
    fprintf(stderr, "braid: %s/%s.feed already exists; not overwritten\n", c->feeds_dir, name);
  else if (rc == -EINVAL)
    fprintf(stderr, "braid: %s: title holds a control character\n", name);
  else
    fprintf(stderr, "braid: %s/%s.feed: %s\n", c->feeds_dir, name, strerror(-rc));
  return rc == -EINVAL ? 2 : 1;
}

/* Says on stderr whether a daemon will see a change to feeds.d: the one polling this store
 * watches the directory (the poller lock names it). */
static void say_pickup(const struct braid_config *c) {
  long pid = 0;
  int rc = poller_lock_holder(c->store_path, &pid);
  if (rc > 0)
    fprintf(stderr, "braid: a running braid (pid %ld) will pick it up within a second\n", pid);
  else if (rc == 0)
    fprintf(stderr, "braid: no braid is running on this store (%s); it takes effect at the "
                    "next start\n", c->store_path);
  else
    fprintf(stderr, "braid: cannot tell whether a braid is running (%s); one that is picks it "
                    "up within a second\n", strerror(-rc));
}

/* Prints a title from a page for a terminal: control characters become spaces. */
static void print_title(const char *t) {
  for (; *t; t++)
    fputc((unsigned char)*t < 0x20 || *t == 0x7f ? ' ' : *t, stderr);
}

/* Fetches url and says what it is (discover.h). 0 to go on adding (url itself, or d's pick);
 * 1 when url is a document that leads to no feed (said why). */
static int discover_and_report(const struct braid_config *c, const char *url,
                               struct discovery *d) {
  struct fetch_limits limits;
  fetch_limits_from_config(&limits, c);
  int rc = discover_feed(url, &limits, d);
  if (rc < 0) {
    fprintf(stderr, "braid feeds add: cannot look at %s: %s\n", url, strerror(-rc));
    return 1;
  }
  switch (d->verdict) {
  case DISCOVER_FEED:
    return 0;
  case DISCOVER_UNREACHED:
    fprintf(stderr, "braid feeds add: could not check %s (%s); added as given: braid polls it "
                    "and logs what it finds\n", url, d->error);
    return 0;
  case DISCOVER_NONE:
    fprintf(stderr, "braid feeds add: %s: %s; nothing added\n", url, d->error);
    return 1;
  case DISCOVER_FOUND:
    break;
  }
  const char *ct = d->content_type ? d->content_type : "no content type";
  if (d->feeds[d->picked].type[0] == '\0') {
    fprintf(stderr, "braid feeds add: %s is not a feed (%s) and names none; found one at %s\n",
            url, ct, d->feeds[d->picked].url);
    return 0;
  }
  fprintf(stderr, "braid feeds add: %s is not a feed (%s); it names %zu:\n", url, ct,
          d->n_feeds);
  for (size_t i = 0; i < d->n_feeds; i++) {
    const struct discovered_feed *f = &d->feeds[i];
    fprintf(stderr, "  %s %s  %s", i == d->picked ? "*" : " ", f->type, f->url);
    if (f->title) {
      fputs("  \"", stderr);
      print_title(f->title);
      fputc('"', stderr);
    }
    fputc('\n', stderr);
  }
  fprintf(stderr, "braid feeds add: adding %s (marked *)\n", d->feeds[d->picked].url);
  return 0;
}

static int add_feed_url(const struct braid_config *c, const char *url, const char *name,
                        const char *title);

static int feeds_add(const struct braid_config *c, const struct opts *o) {
  if (o->nargs != 2) {
    fprintf(stderr, "braid feeds add: give one URL (see braid feeds --help)\n");
    return 2;
  }
  const char *url = o->args[1];
  if (!feed_url_valid(url)) {
    fprintf(stderr, "braid feeds add: '%s' is not an http, https or file URL\n", url);
    return 2;
  }
  const char *name = o->name;
  if (name && !feed_name_valid(name)) {
    fprintf(stderr, "braid feeds add: '%s' is not a valid feed name (letters, digits, '.', '_', "
                    "'-'; not starting with '.')\n", name);
    return 2;
  }
  struct discovery d = {0};
  if (!o->no_discover) {
    int rc = discover_and_report(c, url, &d);
    if (rc != 0) {
      discovery_clear(&d);
      return rc;
    }
    if (d.verdict == DISCOVER_FOUND)
      url = d.feeds[d.picked].url;
  }
  int status = add_feed_url(c, url, name, o->title);
  discovery_clear(&d);
  if (status == 0)
    say_pickup(c);
  return status;
}

/* Writes feeds.d/NAME.feed for url unless that URL is configured already. */
static int add_feed_url(const struct braid_config *c, const char *url, const char *name,
                        const char *title) {
  char derived[BRAID_FEED_NAME_MAX_BYTES + 1];
  if (!name) {
    if (feedsdir_name_from_url(url, derived, sizeof derived) < 0) {
      fprintf(stderr, "braid feeds add: cannot derive a name from '%s'; give --name\n", url);
      return 2;
    }
    name = derived;
  }
  struct feed_list l = {0};
  load_feeds(c, &l); /* broken files elsewhere do not stop an add; they were reported */
  const struct feed_def *same = find_url(&l, url);
  int status;
  if (same) {
    fprintf(stderr, "braid: %s is already configured as '%s' (%s)\n", url, same->name, same->source);
    status = 1;
  } else {
    status = add_one(c, name, url, title, NULL);
  }
  feed_list_clear(&l);
  return status;
}

static int feeds_remove(const struct braid_config *c, const struct opts *o) {
  if (o->nargs != 2) {
    fprintf(stderr, "braid feeds remove: give one NAME (see braid feeds --help)\n");
    return 2;
  }
  const char *name = o->args[1];
  int rc = feedsdir_remove(c->feeds_dir, name);
  if (rc == 0) {
    printf("%s\n", name);
    say_pickup(c);
    return 0;
  }
  if (rc == -EINVAL) {
    fprintf(stderr, "braid feeds remove: '%s' is not a valid feed name\n", name);
    return 2;
  }
  if (rc == -ENOENT)
    fprintf(stderr, "braid feeds remove: no feed named '%s' in %s\n", name, c->feeds_dir);
  else
    fprintf(stderr, "braid feeds remove: %s/%s.feed: %s\n", c->feeds_dir, name, strerror(-rc));
  return 1;
}

/* A free name: base itself, else base-2, base-3... */
static int free_name(const struct feed_list *l, const char *base, char *out, size_t size) {
  for (int i = 1; i < 100; i++) {
    if (i == 1)
      snprintf(out, size, "%s", base);
    else
      snprintf(out, size, "%.*s-%d", BRAID_FEED_NAME_MAX_BYTES - 4, base, i);
    if (!feed_list_find(l, out))
      return 0;
  }
  return -EEXIST;
}

static int import_opml(const struct braid_config *c, const struct opts *o) {
  if (o->nargs != 1) {
    fprintf(stderr, "braid import: give one OPML file (see braid import --help)\n");
    return 2;
  }
  struct opml_list in = {0};
  char err[512];
  if (opml_read_file(o->args[0], &in, err, sizeof err) < 0) {
    fprintf(stderr, "braid import: %s\n", err);
    return 1;
  }
  struct feed_list have = {0};
  int status = load_feeds(c, &have) ? 1 : 0;
  size_t added = 0, skipped = 0;
  for (size_t i = 0; i < in.n; i++) {
    struct opml_feed *f = &in.items[i];
    char base[BRAID_FEED_NAME_MAX_BYTES + 1], name[BRAID_FEED_NAME_MAX_BYTES + 1];
    const struct feed_def *same = NULL;
    if (!feed_url_valid(f->url)) {
      fprintf(stderr, "braid import: skipped %s: not an http, https or file URL\n", f->url);
      skipped++;
      continue;
    }
    if (!o->allow_file && strncasecmp(f->url, "file:", 5) == 0) {
      fprintf(stderr, "braid import: skipped %s: a file URL (give --allow-file to import it)\n",
              f->url);
      skipped++;
      continue;
    }
    if ((same = find_url(&have, f->url))) {
      fprintf(stderr, "braid import: skipped %s: already configured as '%s'\n", f->url, same->name);
      skipped++;
      continue;
    }
    if (feedsdir_name_from_url(f->url, base, sizeof base) < 0 ||
        free_name(&have, base, name, sizeof name) < 0) {
      fprintf(stderr, "braid import: skipped %s: no free feed name for it\n", f->url);
      skipped++;
      continue;
    }
    /* OPML titles may hold line breaks (&#10;) that a one-line feed file cannot. */
    for (char *t = f->title; t && *t; t++)
      if ((unsigned char)*t < 0x20 || *t == 0x7f)
        *t = ' ';
    if (add_one(c, name, f->url, f->title, f->category) != 0) {
      status = 1; /* reported by add_one */
      continue;
    }
    added++;
    /* Remember it, so later duplicates in the same file are skipped too. */
    struct feed_def *v = realloc(have.items, (have.n + 1) * sizeof *v);
    char *vname = strdup(name), *vurl = strdup(f->url);
    if (!v || !vname || !vurl) {
      free(vname);
      free(vurl);
      if (v)
        have.items = v;
      fprintf(stderr, "braid import: out of memory\n");
      status = 1;
      break;
    }
    have.items = v;
    have.items[have.n++] = (struct feed_def){.name = vname, .url = vurl};
  }
  fprintf(stderr, "braid import: %zu added, %zu skipped\n", added, skipped);
  if (added)
    say_pickup(c);
  opml_list_clear(&in);
  feed_list_clear(&have);
  return status;
}

static int export_opml(const struct braid_config *c) {
  struct feed_list l = {0};
  int status = load_feeds(c, &l);
  if (opml_write(stdout, &l, "braid feeds") < 0 || fflush(stdout) != 0) {
    fprintf(stderr, "braid export-opml: cannot write the document\n");
    status = 1;
  }
  feed_list_clear(&l);
  return status;
}

int cmd_feeds(int argc, char **argv) {
  const char *cmd = argv[0];
  struct opts o;
  int rc = parse_args(argc, argv, &o);
  if (rc == 1) {
    usage(stdout, cmd);
    return 0;
  }
  if (rc)
    return rc;
  const char *sub = NULL;
  if (strcmp(cmd, "feeds") == 0) {
    sub = o.nargs ? o.args[0] : "list";
    if (strcmp(sub, "list") != 0 && strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0) {
      fprintf(stderr, "braid feeds: unknown subcommand '%s' (list, add or remove)\n", sub);
      return 2;
    }
    if ((o.name || o.title) && strcmp(sub, "add") != 0) {
      fprintf(stderr, "braid feeds %s: --name and --title go with add\n", sub);
      return 2;
    }
    if ((o.state || o.json) && strcmp(sub, "list") != 0) {
      fprintf(stderr, "braid feeds %s: --state and --json go with list\n", sub);
      return 2;
    }
    if (strcmp(sub, "list") == 0 && o.nargs > 1) {
      fprintf(stderr, "braid feeds list: takes no arguments\n");
      return 2;
    }
  } else if (o.name || o.title || o.state || o.json) {
    fprintf(stderr, "braid %s: --name, --title, --state and --json go with feeds\n", cmd);
    return 2;
  } else if (strcmp(cmd, "export-opml") == 0 && o.nargs) {
    fprintf(stderr, "braid export-opml: takes no arguments\n");
    return 2;
  }
  struct braid_config *c = NULL;
  rc = load_config(o.config, &c);
  if (rc)
    return rc;
  if (!sub)
    rc = strcmp(cmd, "import") == 0 ? import_opml(c, &o) : export_opml(c);
  else if (strcmp(sub, "add") == 0)
    rc = feeds_add(c, &o);
  else if (strcmp(sub, "remove") == 0)
    rc = feeds_remove(c, &o);
  else
    rc = feeds_list(c, &o);
  config_free(c);
  return rc;
}
