/* opml.c — OPML in (libxml2 reader, nothing external loaded) and out (xmlTextWriter). */
#include "opml.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "ini_read.h"

void opml_list_clear(struct opml_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].url);
    free(l->items[i].title);
    free(l->items[i].category);
  }
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

/* Loads nothing: OPML never needs an external entity or DTD, and following one would let a
 * subscription file read local files or reach the network. */
static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
  (void)url;
  (void)id;
  (void)ctxt;
  return NULL;
}

struct reader_error {
  char msg[256];
  int line;
};

static void on_reader_error(void *arg, const char *msg, xmlParserSeverities severity,
                            xmlTextReaderLocatorPtr locator) {
  struct reader_error *e = arg;
  if (e->msg[0] || (severity != XML_PARSER_SEVERITY_ERROR && severity != XML_PARSER_SEVERITY_VALIDITY_ERROR))
    return;
  snprintf(e->msg, sizeof e->msg, "%s", msg);
  size_t n = strlen(e->msg);
  while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
    e->msg[--n] = '\0';
  e->line = xmlTextReaderLocatorLineNumber(locator);
}

/* The attribute, trying the spellings OPML files use in the wild (xmlUrl, xmlURL, xmlurl). */
static char *attr(xmlTextReaderPtr r, const char *const *names) {
  for (; *names; names++) {
    xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)*names);
    if (v) {
      char *s = strdup((const char *)v);
      xmlFree(v);
      return s;
    }
  }
  return NULL;
}

static void trim(char *s) {
  if (!s)
    return;
  char *a = s;
  while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
    a++;
  size_t n = strlen(a);
  while (n && (a[n - 1] == ' ' || a[n - 1] == '\t' || a[n - 1] == '\n' || a[n - 1] == '\r'))
    n--;
  memmove(s, a, n);
  s[n] = '\0';
}

/* The folders enclosing the outline being read: title and depth of each, outermost first. */
struct folders {
  char *title[BRAID_OPML_MAX_DEPTH + 1];
  int depth[BRAID_OPML_MAX_DEPTH + 1];
  int n;
};

static void folders_pop_to(struct folders *f, int depth) {
  while (f->n > 0 && f->depth[f->n - 1] >= depth)
    free(f->title[--f->n]);
}

/* "Outer/Inner", or NULL at top level (or on no memory: the feed is still imported). */
static char *folders_path(const struct folders *f) {
  size_t len = 0;
  for (int i = 0; i < f->n; i++)
    len += strlen(f->title[i]) + 1;
  if (!len)
    return NULL;
  char *out = malloc(len), *p = out;
  for (int i = 0; out && i < f->n; i++)
    p += sprintf(p, "%s%s", i ? "/" : "", f->title[i]);
  return out;
}

/* A folder title as one category word: trimmed, separators and controls made spaces. */
static char *folder_title(char *t) {
  if (!t)
    return NULL;
  for (char *p = t; *p; p++)
    if (*p == ',' || *p == '/' || *p == ';' || (unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  trim(t);
  if (!*t) {
    free(t);
    return NULL;
  }
  return t;
}

static int add_feed(struct opml_list *l, size_t *alloc, char *url, char *title) {
  if (l->n == *alloc) {
    size_t na = *alloc ? *alloc * 2 : 16;
    struct opml_feed *v = realloc(l->items, na * sizeof *v);
    if (!v)
      return -ENOMEM;
    l->items = v;
    *alloc = na;
  }
  trim(url);
  trim(title);
  if (title && !*title) {
    free(title);
    title = NULL;
  }
  l->items[l->n++] = (struct opml_feed){url, title, NULL};
  return 0;
}

/* The <outline> the reader is on, at depth: a feed (it has a URL; added to ret under the
 * open folders' path) or a folder (its title names the feeds inside). 0 or -ENOMEM. */
static int read_outline(xmlTextReaderPtr r, int depth, struct folders *folders,
                        struct opml_list *ret, size_t *alloc) {
  static const char *const url_names[] = {"xmlUrl", "xmlURL", "xmlurl", NULL};
  static const char *const title_names[] = {"title", "text", NULL};
  folders_pop_to(folders, depth);
  char *url = attr(r, url_names);
  if (!url) {
    char *t = xmlTextReaderIsEmptyElement(r) ? NULL : folder_title(attr(r, title_names));
    if (t && folders->n <= BRAID_OPML_MAX_DEPTH) {
      folders->title[folders->n] = t;
      folders->depth[folders->n++] = depth;
    } else {
      free(t);
    }
    return 0;
  }
  int rc = add_feed(ret, alloc, url, attr(r, title_names));
  if (rc < 0) {
    free(url);
    return rc;
  }
  ret->items[ret->n - 1].category = folders_path(folders);
  return 0;
}

int opml_read_memory(const char *data, size_t len, const char *name, struct opml_list *ret,
                     char *err, size_t err_size) {
  ret->items = NULL;
  ret->n = 0;
  err[0] = '\0';
  if (len > BRAID_OPML_MAX_FILE_BYTES || len > INT32_MAX) {
    snprintf(err, err_size, "%s: larger than %d bytes (BRAID_OPML_MAX_FILE_BYTES)", name,
             BRAID_OPML_MAX_FILE_BYTES);
    return -EFBIG;
  }
  xmlExternalEntityLoader saved = xmlGetExternalEntityLoader();
  xmlSetExternalEntityLoader(refuse_entity);
  xmlTextReaderPtr r = xmlReaderForMemory(data, (int)len, name, NULL,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  int rc = 0;
  if (!r) {
    xmlSetExternalEntityLoader(saved);
    snprintf(err, err_size, "%s: cannot start the XML reader", name);
    return -ENOMEM;
  }
  struct reader_error rerr = {{0}, 0};
  xmlTextReaderSetErrorHandler(r, on_reader_error, &rerr);
  size_t alloc = 0;
  struct folders folders = {.n = 0};
  bool saw_root = false;
  int st;
  while ((st = xmlTextReaderRead(r)) == 1) {
    if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
      continue;
    const char *el = (const char *)xmlTextReaderConstLocalName(r);
    int depth = xmlTextReaderDepth(r);
    if (!saw_root) {
      saw_root = true;
      if (!el || strcmp(el, "opml") != 0) {
        snprintf(err, err_size, "%s:%d: not an OPML document (root element <%s>)", name,
                 xmlTextReaderGetParserLineNumber(r), el ? el : "?");
        rc = -EINVAL;
        break;
      }
      continue;
    }
    if (!el || strcmp(el, "outline") != 0)
      continue;
    if (depth > BRAID_OPML_MAX_DEPTH + 2) { /* opml > body > outline... */
      snprintf(err, err_size, "%s:%d: outlines nested deeper than %d (BRAID_OPML_MAX_DEPTH)",
               name, xmlTextReaderGetParserLineNumber(r), BRAID_OPML_MAX_DEPTH);
      rc = -E2BIG;
      break;
    }
    rc = read_outline(r, depth, &folders, ret, &alloc);
    if (rc < 0)
      break;
  }
  folders_pop_to(&folders, 0);
  if (rc == 0 && st < 0) {
    /* The parser's own line: where it noticed the problem (the locator names the node's). */
    int line = xmlTextReaderGetParserLineNumber(r);
    snprintf(err, err_size, "%s:%d: %s", name, line > 0 ? line : rerr.line,
             rerr.msg[0] ? rerr.msg : "not well-formed XML");
    rc = -EINVAL;
  }
  if (rc == 0 && !saw_root) {
    snprintf(err, err_size, "%s: empty document", name);
    rc = -EINVAL;
  }
  xmlFreeTextReader(r);
  xmlSetExternalEntityLoader(saved);
  if (rc < 0)
    opml_list_clear(ret);
  return rc;
}

int opml_read_file(const char *path, struct opml_list *ret, char *err, size_t err_size) {
  char *data = NULL;
  size_t len = 0;
  int rc = read_small_file(path, BRAID_OPML_MAX_FILE_BYTES, &data, &len);
  if (rc < 0) {
    ret->items = NULL;
    ret->n = 0;
    if (rc == -EFBIG)
      snprintf(err, err_size, "%s: larger than %d bytes (BRAID_OPML_MAX_FILE_BYTES)", path,
               BRAID_OPML_MAX_FILE_BYTES);
    else
      snprintf(err, err_size, "%s: %s", path, strerror(-rc));
    return rc;
  }
  rc = opml_read_memory(data, len, path, ret, err, err_size);
  free(data);
  return rc;
}

/* The folder path of d: its first category, trimmed ("News/World"), in out; "" for none. */
static void first_category(const struct feed_def *d, char *out, size_t size) {
  out[0] = '\0';
  if (!d->categories)
    return;
  const char *s = d->categories;
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strcspn(s, ",");
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '/'))
    n--;
  snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), s);
}

/* Folder paths compared part by part, so "A/B" stays beside "A" whatever sorts between. */
static int cmp_path(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned char ca = *a == '/' ? 1 : (unsigned char)*a, cb = *b == '/' ? 1 : (unsigned char)*b;
    if (ca != cb || !ca)
      return ca - cb;
  }
}

struct placed {
  const struct feed_def *d;
  char path[512];
};

static int cmp_placed(const void *a, const void *b) {
  const struct placed *x = a, *y = b;
  int c = cmp_path(x->path, y->path);
  return c ? c : strcmp(x->d->name, y->d->name);
}

/* Parts of path a and path b in common (whole parts only). */
static int common_parts(const char *a, const char *b, int *ret_len) {
  int parts = 0, i = 0, len = 0;
  for (;; i++) {
    bool end_a = a[i] == '\0' || a[i] == '/', end_b = b[i] == '\0' || b[i] == '/';
    if (end_a && end_b && i > 0) {
      parts++;
      len = i;
      if (!a[i] || !b[i])
        break;
      continue;
    }
    if (a[i] != b[i] || !a[i])
      break;
  }
  *ret_len = len;
  return *a && *b ? parts : 0;
}

static int count_parts(const char *p) {
  if (!*p)
    return 0;
  int n = 1;
  for (; *p; p++)
    n += *p == '/';
  return n;
}

int opml_write(FILE *out, const struct feed_list *feeds, const char *title) {
  xmlBufferPtr b = xmlBufferCreate();
  if (!b)
    return -ENOMEM;
  xmlTextWriterPtr w = xmlNewTextWriterMemory(b, 0);
  if (!w) {
    xmlBufferFree(b);
    return -ENOMEM;
  }
  int ok = 1;
#define W(call)                                                                                \
  do {                                                                                         \
    if (ok && (call) < 0)                                                                      \
      ok = 0;                                                                                  \
  } while (0)
  xmlTextWriterSetIndent(w, 1);
  xmlTextWriterSetIndentString(w, (const xmlChar *)"  ");
  W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
  W(xmlTextWriterStartElement(w, (const xmlChar *)"opml"));
  W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"version", (const xmlChar *)"2.0"));
  W(xmlTextWriterStartElement(w, (const xmlChar *)"head"));
  W(xmlTextWriterWriteElement(w, (const xmlChar *)"title", (const xmlChar *)title));
  W(xmlTextWriterEndElement(w));
  W(xmlTextWriterStartElement(w, (const xmlChar *)"body"));
  struct placed *pl = feeds->n ? calloc(feeds->n, sizeof *pl) : NULL;
  if (feeds->n && !pl)
    ok = 0;
  for (size_t i = 0; ok && i < feeds->n; i++) {
    pl[i].d = &feeds->items[i];
    first_category(pl[i].d, pl[i].path, sizeof pl[i].path);
  }
  if (ok)
    qsort(pl, feeds->n, sizeof *pl, cmp_placed);
  const char *open_path = ""; /* the folders open now */
  int open_parts = 0;
  for (size_t i = 0; ok && i < feeds->n; i++) {
    const struct feed_def *d = pl[i].d;
    const char *path = pl[i].path;
    int keep_len, keep = common_parts(open_path, path, &keep_len);
    for (; open_parts > keep; open_parts--)
      W(xmlTextWriterEndElement(w));
    /* Open the folders of path past the ones kept. */
    const char *p = keep ? path + keep_len + 1 : path;
    while (ok && keep < count_parts(path)) {
      size_t n = strcspn(p, "/");
      char name[512];
      snprintf(name, sizeof name, "%.*s", (int)n, p);
      W(xmlTextWriterStartElement(w, (const xmlChar *)"outline"));
      W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"text", (const xmlChar *)name));
      W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"title", (const xmlChar *)name));
      keep++;
      open_parts++;
      p += n + (p[n] == '/');
    }
    open_path = path;
    const char *text = d->title ? d->title : d->name;
    W(xmlTextWriterStartElement(w, (const xmlChar *)"outline"));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"type", (const xmlChar *)"rss"));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"text", (const xmlChar *)text));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"title", (const xmlChar *)text));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"xmlUrl", (const xmlChar *)d->url));
    W(xmlTextWriterEndElement(w));
  }
  for (; open_parts > 0; open_parts--)
    W(xmlTextWriterEndElement(w));
  free(pl);
  W(xmlTextWriterEndElement(w));
  W(xmlTextWriterEndElement(w));
  W(xmlTextWriterEndDocument(w));
#undef W
  xmlFreeTextWriter(w);
  int rc = ok ? 0 : -ENOMEM;
  if (ok && fwrite(xmlBufferContent(b), 1, (size_t)xmlBufferLength(b), out) !=
                (size_t)xmlBufferLength(b))
    rc = -EIO;
  xmlBufferFree(b);
  return rc;
}
