/* cmd_parse.c — `braid parse FILE|-`: one feed document in, the contract JSON out.
 *
 * The file is read in 64 KiB chunks and pushed into the streaming parser; each entry is
 * written out as it is parsed (to a temporary file, since the contract puts "feed" and
 * "errors" — known only at the end — before "entries"), so memory stays bounded by the
 * largest item whatever the size of the feed.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <jansson.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "civil.h"
#include "commands.h"
#include "parse.h"
#include "swar.h"

#define CHUNK_BYTES (64 * 1024)

static void usage(FILE *f) {
  fprintf(f, "usage: braid parse FILE|-\n"
             "Parse one RSS, Atom or JSON Feed document and print it as JSON.\n"
             "Exit status: 0 parsed (a feed with no items too), 1 not a feed, unreadable or a cap\n"
             "was hit, 2 usage.\n");
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
  struct buf line; /* one entry's JSON, reused */
  size_t n;
  int err;
};

/* Entries are written by hand rather than through jansson: on big feeds, jansson's per-piece
 * dump callbacks were a third of braid parse's time. Strings are already valid UTF-8 (the
 * parser promises it), so only '"', '\\' and control characters need escaping. */
/* The first byte in [c, end) JSON must escape (a control character, '"' or '\\'), or end.
 * Summaries are HTML with a '"' every few dozen bytes: where SSE2 is there (every x86-64),
 * one 16-byte compare finds the byte itself; elsewhere eight bytes are tested at a time. */
static const unsigned char *next_escape(const unsigned char *c, const unsigned char *end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1F);
  while (end - c >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                               _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)); /* v <= 0x1F */
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m)
      return c + __builtin_ctz(m);
    c += 16;
  }
#else
  while (end - c >= 8) {
    uint64_t w = swar_load(c);
    if (swar_has_below(w, 0x20) || swar_has(w, '"') || swar_has(w, '\\'))
      break;
    c += 8;
  }
#endif
  while (c < end && *c >= 0x20 && *c != '"' && *c != '\\')
    c++;
  return c;
}

/* buf_append (and as it does, taking no more than the buffer's memory, so keeping its cap),
 * inline where the bytes fit: HTML needs an escape every few dozen bytes, two appends each. */
static inline void put_bytes(struct buf *b, const char *d, size_t n) {
  if (b->data && b->alloc - b->len > n) {
    memcpy(b->data + b->len, d, n);
    b->len += n;
    b->data[b->len] = '\0';
  } else {
    (void)buf_append(b, d, n);
  }
}

static void put_str(struct buf *b, const char *s) {
  if (!s) {
    put_bytes(b, "null", 4);
    return;
  }
  put_bytes(b, "\"", 1);
  const char *run = s;
  size_t len = strlen(s);
  const unsigned char *end = (const unsigned char *)s + len;
  for (const unsigned char *c = (const unsigned char *)s; c < end; c++) {
    c = next_escape(c, end);
    if (c >= end)
      break;
    put_bytes(b, run, (size_t)((const char *)c - run));
    switch (*c) {
    case '"': put_bytes(b, "\\\"", 2); break;
    case '\\': put_bytes(b, "\\\\", 2); break;
    case '\n': put_bytes(b, "\\n", 2); break;
    case '\t': put_bytes(b, "\\t", 2); break;
    case '\r': put_bytes(b, "\\r", 2); break;
    default: (void)buf_printf(b, "\\u%04x", *c); break;
    }
    run = (const char *)c + 1;
  }
  put_bytes(b, run, (size_t)((const char *)end - run));
  put_bytes(b, "\"", 1);
}

static void put_key(struct buf *b, const char *key, bool first) {
  if (!first)
    (void)buf_append(b, ", ", 2);
  (void)buf_append_char(b, '"');
  (void)buf_append_str(b, key);
  (void)buf_append(b, "\": ", 3);
}

static void put_date(struct buf *b, bool has, int64_t t) {
  char out[CIVIL_UTC_LEN];
  if (has)
    civil_format_utc(t, out);
  put_str(b, has ? out : NULL);
}

static int write_entry(void *userdata, const struct feed_item *it) {
  struct out *o = userdata;
  struct buf *b = &o->line;
  buf_reset(b);
  if (o->n > 0)
    (void)buf_append(b, ",\n", 2);
  (void)buf_append_char(b, '{');
  put_key(b, "id", true);
  put_str(b, it->id);
  put_key(b, "title", false);
  put_str(b, it->title);
  put_key(b, "link", false);
  put_str(b, it->link);
  put_key(b, "published", false);
  put_date(b, it->has_published, it->published);
  put_key(b, "updated", false);
  put_date(b, it->has_updated, it->updated);
  put_key(b, "author", false);
  put_str(b, it->author);
  put_key(b, "summary", false);
  put_str(b, it->summary);
  put_key(b, "content", false);
  put_str(b, it->content);
  put_key(b, "categories", false);
  (void)buf_append_char(b, '[');
  for (size_t i = 0; i < it->n_categories; i++) {
    if (i)
      (void)buf_append(b, ", ", 2);
    put_str(b, it->categories[i]);
  }
  (void)buf_append(b, "], \"enclosures\": [", 18);
  for (size_t i = 0; i < it->n_enclosures; i++) {
    const struct feed_enclosure *x = &it->enclosures[i];
    (void)buf_append_str(b, i ? ", {" : "{");
    put_key(b, "url", true);
    put_str(b, x->url);
    put_key(b, "type", false);
    put_str(b, x->type);
    put_key(b, "length", false);
    if (x->has_length)
      (void)buf_printf(b, "%lld", (long long)x->length);
    else
      (void)buf_append(b, "null", 4);
    (void)buf_append_char(b, '}');
  }
  if (buf_append(b, "]}", 2) < 0) /* buf never shrinks a failed append: check once, at the end */
    return o->err = -ENOMEM;
  o->n++;
  if (fwrite(b->data, 1, b->len, o->entries) != b->len)
    return o->err = -EIO;
  return 0;
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
  if (r == 0 && (fflush(stdout) != 0 || fflush(o->entries) != 0))
    r = -EIO;
  /* The spool goes to stdout inside the kernel where it can (sendfile), else by copying. */
  off_t off = 0, size = ftello(o->entries);
  while (r == 0 && off < size) {
    ssize_t sent = sendfile(STDOUT_FILENO, fileno(o->entries), &off, (size_t)(size - off));
    if (sent > 0)
      continue;
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent < 0 && (errno == EINVAL || errno == ENOSYS)) { /* stdout cannot take sendfile */
      char chunk[CHUNK_BYTES];
      size_t got;
      if (fseeko(o->entries, off, SEEK_SET) != 0)
        r = -EIO;
      while (r == 0 && (got = fread(chunk, 1, sizeof chunk, o->entries)) > 0)
        if (fwrite(chunk, 1, got, stdout) != got)
          r = -EIO;
      break;
    }
    r = -EIO;
  }
  if (r == 0 && (ferror(o->entries) || fputs("\n  ]\n}\n", stdout) == EOF || fflush(stdout) != 0))
    r = -EIO;
  return r;
}

/* "file://" + path, percent-encoded so that a path with spaces is still a URI links resolve
 * against. NULL on -ENOMEM. */
static char *file_url(const char *path) {
  struct buf b;
  buf_init(&b, 0);
  (void)buf_append_str(&b, "file://");
  for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
        strchr("/._~-", *c))
      (void)buf_append_char(&b, (char)*c);
    else
      (void)buf_printf(&b, "%%%02X", *c);
  }
  return buf_steal(&b);
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
  if (!is_stdin && realpath(name, abs))
    url = file_url(abs);
  struct out o = {.entries = tmpfile()};
  buf_init(&o.line, 0);
  static char spool_buf[1 << 20];
  if (o.entries)
    setvbuf(o.entries, spool_buf, _IOFBF, sizeof spool_buf);
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
  int finished = feed_parser_finish(p); /* also after a cap: it tidies the metadata */
  if (r == 0)
    r = finished;
  const struct feed_meta *m = feed_parser_meta(p);
  if (o.err) {
    fprintf(stderr, "braid parse: %s: writing entries: %s\n", name, strerror(-o.err));
    goto out;
  }
  /* A feed root (RSS, RDF, Atom, JSON Feed) makes a feed, even with no items and no title:
   * a new feed, or one between posts. Only a document that is no feed at all is refused. */
  if (!m->format) {
    size_t ne = feed_parser_error_count(p);
    fprintf(stderr, "braid parse: %s: nothing to read: not an RSS, Atom or JSON Feed document%s%s\n",
            name, ne ? "; " : "", ne ? feed_parser_error(p, 0) : "");
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
  buf_clear(&o.line);
  if (!is_stdin)
    fclose(in);
  free(url);
  return status;
}
