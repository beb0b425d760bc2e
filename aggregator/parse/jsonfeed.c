/* jsonfeed.c — JSON Feed 1 and 1.1 (https://jsonfeed.org/version/1.1) read with jansson.
 *
 * The document is parsed whole (parse.c buffered it under BRAID_PARSE_MAX_JSON_BYTES);
 * items then go through the same delivery, caps and link resolution as RSS and Atom.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bounds.h"
#include "buf.h"
#include "date.h"
#include "htmllinks.h"
#include "htmltext.h"
#include "parse_core.h"

static const char *str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *field(struct feed_parser *p, size_t item, const char *name, const char *v) {
  return v && *v ? parse__field(p, item, name, v, strlen(v)) : NULL;
}

/* JSON Feed 1.1 "authors": [{"name"}], 1.0 "author": {"name"}. */
static char *author(struct feed_parser *p, size_t item, json_t *o) {
  json_t *as = json_object_get(o, "authors");
  json_t *a = json_is_array(as) ? json_array_get(as, 0) : json_object_get(o, "author");
  return json_is_object(a) ? field(p, item, "author", str(a, "name")) : NULL;
}

static int date_field(struct feed_parser *p, size_t item, const char *name, const char *v,
                      int64_t *ret, bool *has) {
  if (!v)
    return 0;
  char err[160];
  if (date_parse(v, ret, err, sizeof err) == 0)
    *has = true;
  else
    parse__error(p, "item %zu: %s: %s", item, name, err);
  return 0;
}

/* Plain text (summary, content_text) as HTML. */
static char *text_as_html(struct feed_parser *p, size_t item, const char *name, const char *v) {
  if (!v || !*v)
    return NULL;
  struct buf b;
  buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES);
  if (html_escape(&b, v, strlen(v)) < 0)
    parse__error(p, "item %zu: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut", item,
                 name, BRAID_PARSE_MAX_FIELD_BYTES);
  return buf_steal(&b);
}

static int read_item(struct feed_parser *p, json_t *o, size_t n, const char *base) {
  struct feed_item it;
  memset(&it, 0, sizeof it);
  json_t *id = json_object_get(o, "id");
  if (json_is_string(id))
    it.id = field(p, n, "id", json_string_value(id));
  else if (json_is_integer(id) && asprintf(&it.id, "%lld", (long long)json_integer_value(id)) < 0)
    it.id = NULL;
  const char *url = str(o, "url");
  if (!url)
    url = str(o, "external_url");
  it.link = url ? parse__resolve(url, base) : NULL;
  const char *title = str(o, "title");
  if (title && htmltext(title, strlen(title), 1, BRAID_PARSE_MAX_FIELD_BYTES, &it.title, NULL) < 0)
    return -ENOMEM;
  it.author = author(p, n, o);
  it.content = field(p, n, "content", str(o, "content_html"));
  char *fixed = NULL;
  if (it.content && html_resolve_links(it.content, strlen(it.content), base, &fixed) == 0 && fixed) {
    free(it.content);
    it.content = fixed;
  }
  if (!it.content)
    it.content = text_as_html(p, n, "content", str(o, "content_text"));
  it.summary = text_as_html(p, n, "summary", str(o, "summary"));
  date_field(p, n, "published", str(o, "date_published"), &it.published, &it.has_published);
  date_field(p, n, "updated", str(o, "date_modified"), &it.updated, &it.has_updated);
  json_t *tags = json_object_get(o, "tags"), *v;
  size_t i;
  json_array_foreach(tags, i, v) {
    if (json_is_string(v) && parse__add_category(p, &it, json_string_value(v)) < 0)
      return -ENOMEM;
  }
  json_t *atts = json_object_get(o, "attachments");
  json_array_foreach(atts, i, v) {
    const char *u = str(v, "url");
    if (!u)
      continue;
    char *abs = parse__resolve(u, base);
    char len[32] = "";
    json_t *sz = json_object_get(v, "size_in_bytes");
    if (json_is_integer(sz))
      snprintf(len, sizeof len, "%lld", (long long)json_integer_value(sz));
    int r = abs ? parse__add_enclosure(p, &it, abs, str(v, "mime_type"), len[0] ? len : NULL) : 0;
    free(abs);
    if (r < 0)
      return r;
  }
  return parse__deliver(p, &it);
}

int parse__jsonfeed(struct feed_parser *p, const char *data, size_t len) {
  json_error_t jerr;
  json_t *root = json_loadb(data, len, 0, &jerr);
  if (!root) {
    parse__not_wellformed(p);
    parse__error(p, "line %d: JSON: %s", jerr.line, jerr.text);
    return 0;
  }
  struct feed_meta *m = parse__meta_mut(p);
  const char *version = json_is_object(root) ? str(root, "version") : NULL;
  if (!version || strncmp(version, "https://jsonfeed.org/version/1", 30) != 0) {
    parse__error(p, "JSON document is not a JSON Feed (no \"version\": "
                 "\"https://jsonfeed.org/version/1...\")");
    json_decref(root);
    return 0;
  }
  m->format = "jsonfeed1";
  const char *title = str(root, "title");
  if (title && htmltext(title, strlen(title), 1, BRAID_PARSE_MAX_FIELD_BYTES, &m->title, NULL) < 0)
    goto oom;
  const char *doc = parse__doc_url(p);
  m->link = str(root, "home_page_url") ? parse__resolve(str(root, "home_page_url"), doc) : NULL;
  m->id = str(root, "feed_url") ? parse__resolve(str(root, "feed_url"), doc) : NULL;
  m->subtitle = field(p, 0, "subtitle", str(root, "description"));
  m->language = field(p, 0, "language", str(root, "language"));
  m->author = author(p, 0, root);
  const char *icon = str(root, "icon") ? str(root, "icon") : str(root, "favicon");
  const char *base = m->link ? m->link : doc;
  m->image = icon ? parse__resolve(icon, base) : NULL;
  json_t *items = json_object_get(root, "items"), *v;
  size_t i;
  int r = 0;
  json_array_foreach(items, i, v) {
    if (!json_is_object(v))
      continue;
    if ((r = read_item(p, v, feed_parser_item_count(p) + 1, base)) < 0)
      break;
  }
  json_decref(root);
  return r;
oom:
  json_decref(root);
  return -ENOMEM;
}
