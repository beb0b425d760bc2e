/* cmd_parse.c — `braid parse FILE|-`: one feed document in, the contract JSON out.
 *
 * The file is read in 64 KiB chunks and pushed into the streaming parser; each entry is
 * written out as it is parsed (to a temporary file, since the contract puts "feed" and
 * "errors" — known only at the end — before "entries"), so memory stays bounded by the
 * largest item whatever the size of the feed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "civil.h"
#include "commands.h"
#include "parse.h"

#define CHUNK_BYTES (64 * 1024)

static void usage(FILE *f) {
  fprintf(f, "usage: braid parse FILE|-\n"
             "Parse one RSS, Atom or JSON Feed document and print it as JSON.\n"
             "Exit status: 0 parsed, 1 nothing could be read (or a cap was hit), 2 usage.\n");
}

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *jdate(bool has, int64_t t) {
  if (!has)
    return json_null();
  char out[CIVIL_UTC_LEN];
  civil_format_utc(t, out);
  return json_string(out);
}

struct out {
  FILE *entries;
  size_t n;
  int err;
};

static int write_entry(void *userdata, const struct feed_item *it) {
  struct out *o = userdata;
  json_t *e = json_object();
  json_t *cats = json_array(), *encs = json_array();
  if (!e || !cats || !encs) {
    json_decref(e);
    json_decref(cats);
    json_decref(encs);
    return o->err = -ENOMEM;
  }
  json_object_set_new(e, "id", jstr(it->id));
  json_object_set_new(e, "title", jstr(it->title));
  json_object_set_new(e, "link", jstr(it->link));
  json_object_set_new(e, "published", jdate(it->has_published, it->published));
  json_object_set_new(e, "updated", jdate(it->has_updated, it->updated));
  json_object_set_new(e, "author", jstr(it->author));
  json_object_set_new(e, "summary", jstr(it->summary));
  json_object_set_new(e, "content", jstr(it->content));
  for (size_t i = 0; i < it->n_categories; i++)
    json_array_append_new(cats, json_string(it->categories[i]));
  json_object_set_new(e, "categories", cats);
  for (size_t i = 0; i < it->n_enclosures; i++) {
    const struct feed_enclosure *x = &it->enclosures[i];
    json_array_append_new(encs, json_pack("{s:o, s:o, s:o}", "url", jstr(x->url), "type",
                                          jstr(x->type), "length",
                                          x->has_length ? json_integer(x->length) : json_null()));
  }
  json_object_set_new(e, "enclosures", encs);
  int r = (o->n > 0 && fputs(",\n", o->entries) == EOF) ? -EIO : 0;
  if (r == 0 && json_dumpf(e, o->entries, 0) < 0)
    r = -EIO;
  json_decref(e);
  o->n++;
  return r < 0 ? (o->err = r) : 0;
}

static int print_document(const struct feed_parser *p, struct out *o) {
  const struct feed_meta *m = feed_parser_meta(p);
  json_t *errors = json_array();
  for (size_t i = 0; i < feed_parser_error_count(p); i++)
    json_array_append_new(errors, json_string(feed_parser_error(p, i)));
  json_t *feed = json_object();
  json_object_set_new(feed, "title", jstr(m->title));
  json_object_set_new(feed, "link", jstr(m->link));
  json_object_set_new(feed, "id", jstr(m->id));
  json_object_set_new(feed, "subtitle", jstr(m->subtitle));
  json_object_set_new(feed, "updated", jdate(m->has_updated, m->updated));
  json_object_set_new(feed, "language", jstr(m->language));
  json_object_set_new(feed, "author", jstr(m->author));
  json_object_set_new(feed, "image", jstr(m->image));
  json_object_set_new(feed, "ttl", m->has_ttl ? json_integer(m->ttl) : json_null());
  json_t *head = json_object();
  json_object_set_new(head, "format", jstr(m->format));
  json_object_set_new(head, "encoding", jstr(m->encoding ? m->encoding : "utf-8"));
  json_object_set_new(head, "wellformed", json_boolean(feed_parser_wellformed(p)));
  json_object_set_new(head, "errors", errors);
  json_object_set_new(head, "feed", feed);
  /* Print the head without its closing brace, then the entries streamed from the spool. */
  char *text = json_dumps(head, JSON_INDENT(2));
  json_decref(head);
  if (!text)
    return -ENOMEM;
  size_t n = strlen(text);
  while (n > 0 && text[n - 1] != '}')
    n--;
  if (n > 0)
    n--; /* the closing brace */
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
    n--;
  int r = 0;
  if (fwrite(text, 1, n, stdout) != n || fputs(",\n  \"entries\": [\n", stdout) == EOF)
    r = -EIO;
  free(text);
  rewind(o->entries);
  char chunk[CHUNK_BYTES];
  size_t got;
  while (r == 0 && (got = fread(chunk, 1, sizeof chunk, o->entries)) > 0)
    if (fwrite(chunk, 1, got, stdout) != got)
      r = -EIO;
  if (r == 0 && (ferror(o->entries) || fputs("\n  ]\n}\n", stdout) == EOF || fflush(stdout) != 0))
    r = -EIO;
  return r;
}

int cmd_parse(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  bool is_stdin = strcmp(name, "-") == 0;
  FILE *in = is_stdin ? stdin : fopen(name, "rb");
  if (!in) {
    fprintf(stderr, "braid parse: %s: %s\n", name, strerror(errno));
    return 1;
  }
  char *url = NULL;
  char abs[PATH_MAX];
  if (!is_stdin && realpath(name, abs) && asprintf(&url, "file://%s", abs) < 0)
    url = NULL;
  struct out o = {.entries = tmpfile()};
  struct parse_options opt = {.base_url = url, .charset = NULL};
  struct feed_parser *p = o.entries ? feed_parser_new(&opt, write_entry, &o) : NULL;
  int status = 1;
  if (!p) {
    fprintf(stderr, "braid parse: %s: %s\n", name, strerror(o.entries ? ENOMEM : errno));
    goto out;
  }
  static char chunk[CHUNK_BYTES];
  size_t got;
  int r = 0;
  while (r == 0 && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
    r = feed_parser_push(p, chunk, got);
  if (ferror(in)) {
    fprintf(stderr, "braid parse: %s: read error: %s\n", name, strerror(errno));
    goto out;
  }
  if (r == 0)
    r = feed_parser_finish(p);
  const struct feed_meta *m = feed_parser_meta(p);
  if (o.err) {
    fprintf(stderr, "braid parse: %s: writing entries: %s\n", name, strerror(-o.err));
    goto out;
  }
  if (feed_parser_item_count(p) == 0 && !m->title) {
    size_t ne = feed_parser_error_count(p);
    fprintf(stderr, "braid parse: %s: nothing to read: %s%s%s\n", name,
            m->format ? "a feed with no items and no title"
                      : "not an RSS, Atom or JSON Feed document",
            ne ? "; " : "", ne ? feed_parser_error(p, 0) : "");
    goto out;
  }
  if (print_document(p, &o) < 0) {
    fprintf(stderr, "braid parse: %s: writing output: %s\n", name, strerror(errno));
    goto out;
  }
  status = 0;
  if (r < 0) {
    /* a cap was hit: what was read is printed, the status says it is not all */
    size_t ne = feed_parser_error_count(p);
    fprintf(stderr, "braid parse: %s: %s\n", name, ne ? feed_parser_error(p, ne - 1)
                                                     : strerror(-r));
    status = 1;
  }
out:
  feed_parser_free(p);
  if (o.entries)
    fclose(o.entries);
  if (!is_stdin)
    fclose(in);
  free(url);
  return status;
}
