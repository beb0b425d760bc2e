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

void opml_list_free(struct opml_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].url);
    free(l->items[i].title);
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
  l->items[l->n++] = (struct opml_feed){url, title};
  return 0;
}

int opml_read_memory(const char *data, size_t len, const char *name, struct opml_list *ret,
                     char *err, size_t err_size) {
  static const char *const url_names[] = {"xmlUrl", "xmlURL", "xmlurl", NULL};
  static const char *const title_names[] = {"title", "text", NULL};
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
    char *url = attr(r, url_names);
    if (!url)
      continue; /* a folder, or an outline of another kind */
    rc = add_feed(ret, &alloc, url, attr(r, title_names));
    if (rc < 0) {
      free(url);
      break;
    }
  }
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
    opml_list_free(ret);
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
  for (size_t i = 0; i < feeds->n; i++) {
    const struct feed_def *d = &feeds->items[i];
    const char *text = d->title ? d->title : d->name;
    W(xmlTextWriterStartElement(w, (const xmlChar *)"outline"));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"type", (const xmlChar *)"rss"));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"text", (const xmlChar *)text));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"title", (const xmlChar *)text));
    W(xmlTextWriterWriteAttribute(w, (const xmlChar *)"xmlUrl", (const xmlChar *)d->url));
    W(xmlTextWriterEndElement(w));
  }
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
