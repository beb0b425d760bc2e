/* page.c — a live blog's page to its updates: JSON-LD first, the splitter after. See page.h.
 *
 * JSON-LD is trusted first because the publisher wrote it for machines: one object per
 * update with its own instant, headline and URL, none of which the HTML states as plainly.
 * The scripts are found with a byte scanner rather than an HTML parse. The splitter reads the
 * page's blocks as well: JSON-LD often lists only the newest updates, and the blocks fill in
 * the rest (add_block_updates).
 */
#include "page.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "buf.h"
#include "civil.h"
#include "htmllinks.h"
#include "htmltext.h"

#include <libxml/uri.h>

const char *page_source_name(enum page_source s) {
  switch (s) {
  case PAGE_SOURCE_JSONLD: return "json-ld";
  case PAGE_SOURCE_BLOCKS: return "blocks";
  default: return "none";
  }
}

static void page_update_clear(struct page_update *u) {
  free(u->headline);
  free(u->stamp);
  free(u->html);
  free(u->text);
  free(u->url);
  free(u->anchor);
  memset(u, 0, sizeof *u);
}

void page_updates_free(struct page_updates *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++)
    page_update_clear(&p->updates[i]);
  free(p->updates);
  free(p->title);
  free(p);
}

/* A new update slot at the end of p, zeroed; NULL on -ENOMEM or past the cap (*full set). */
static struct page_update *push_update(struct page_updates *p, size_t *alloc, bool *full) {
  if (p->n >= BRAID_PAGE_MAX_UPDATES) {
    *full = true;
    return NULL;
  }
  if (p->n == *alloc) {
    size_t n = *alloc ? *alloc * 2 : 16;
    struct page_update *u = realloc(p->updates, n * sizeof *u);
    if (!u)
      return NULL;
    p->updates = u;
    *alloc = n;
  }
  struct page_update *u = &p->updates[p->n++];
  memset(u, 0, sizeof *u);
  return u;
}

/* url made absolute against base: a new string, or NULL on -ENOMEM (*failed) or when it
 * cannot be resolved. */
static char *resolve_url(const char *url, const char *base, bool *failed) {
  if (!url || !*url)
    return NULL;
  xmlChar *abs = base && *base ? xmlBuildURI((const xmlChar *)url, (const xmlChar *)base)
                               : xmlStrdup((const xmlChar *)url);
  if (!abs)
    return NULL;
  char *r = strdup((const char *)abs);
  xmlFree(abs);
  if (!r)
    *failed = true;
  return r;
}

/* Replaces *html by a copy whose relative links point at base. 0 or -ENOMEM. */
static int resolve_html(char **html, const char *base) {
  if (!*html || !base)
    return 0;
  char *abs = NULL;
  int r = html_resolve_links(*html, strlen(*html), base, &abs);
  if (r < 0)
    return r;
  if (abs) {
    free(*html);
    *html = abs;
  }
  return 0;
}

static const char *json_str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (json_is_array(v) && json_array_size(v) > 0)
    v = json_array_get(v, 0); /* "url": ["..."] is valid schema.org */
  const char *s = json_string_value(v);
  return s && *s ? s : NULL;
}

static bool json_time(json_t *o, const char *key, int64_t *ret) {
  const char *s = json_str(o, key);
  return s && strlen(s) <= BRAID_DATE_MAX_BYTES && civil_parse_iso8601(s, ret, NULL) == 0;
}

/* articleBody is plain text by the schema, HTML on some sites: markup goes through as it is,
 * text becomes one paragraph per line. 0 or -ENOMEM. */
static int body_to_html(const char *body, char **ret_html, char **ret_text) {
  *ret_html = *ret_text = NULL;
  if (!body)
    return 0;
  size_t len = strlen(body);
  if (strchr(body, '<') && strchr(body, '>')) {
    if (!(*ret_html = strdup(body)))
      return -ENOMEM;
    return htmltext(body, len, 0, 0, ret_text, NULL) < 0 ? -ENOMEM : 0;
  }
  struct buf b;
  buf_init(&b, 0);
  int r = 0;
  for (const char *p = body; *p && r == 0;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    const char *q = p;
    size_t m = n;
    while (m && (*q == ' ' || *q == '\t' || *q == '\r'))
      q++, m--;
    while (m && (q[m - 1] == ' ' || q[m - 1] == '\t' || q[m - 1] == '\r'))
      m--;
    if (m) {
      r = buf_append_str(&b, "<p>");
      if (r == 0)
        r = html_escape(&b, q, m);
      if (r == 0)
        r = buf_append_str(&b, "</p>");
    }
    p = nl ? nl + 1 : p + n;
  }
  if (r == 0 && !(*ret_html = buf_steal(&b)))
    r = -ENOMEM;
  buf_clear(&b);
  if (r == 0)
    r = htmltext(*ret_html, strlen(*ret_html), 0, 0, ret_text, NULL) < 0 ? -ENOMEM : 0;
  return r < 0 ? -ENOMEM : 0;
}

/* One liveBlogUpdate object into p. An update without any date cannot be placed in the
 * stream and is left out. 0 or -ENOMEM. */
static int add_jsonld_update(struct page_updates *p, size_t *alloc, bool *full, json_t *o,
                             const char *base) {
  if (!json_is_object(o))
    return 0;
  int64_t published = 0, modified = 0;
  /* Some pages date their updates dateCreated only (a CreativeWork's date, schema.org). */
  const char *pub_key = json_str(o, "datePublished") ? "datePublished" : "dateCreated";
  bool has_pub = json_time(o, pub_key, &published);
  bool has_mod = json_time(o, "dateModified", &modified);
  if (!has_pub && !has_mod)
    return 0;
  const char *headline = json_str(o, "headline");
  const char *body = json_str(o, "articleBody");
  if (!body)
    body = json_str(o, "text");
  if (!body)
    body = json_str(o, "description");
  if (!headline && !body)
    return 0;
  struct page_update *u = push_update(p, alloc, full);
  if (!u)
    return *full ? 0 : -ENOMEM;
  u->time = has_pub ? published : modified;
  /* The date as the page wrote it stands for the stamp: it marks the entry as an update. */
  const char *written = json_str(o, has_pub ? pub_key : "dateModified");
  u->modified = has_mod ? modified : 0;
  bool failed = !(u->stamp = strdup(written));
  if (!failed && headline && !(u->headline = strdup(headline)))
    failed = true;
  if (!failed && body_to_html(body, &u->html, &u->text) < 0)
    failed = true;
  if (!failed && !u->html && headline) {
    /* A headline-only update: the headline is its text. */
    if (!(u->text = strdup(headline)))
      failed = true;
  }
  if (!failed && resolve_html(&u->html, base) < 0)
    failed = true;
  const char *url = json_str(o, "url");
  if (!url) {
    const char *id = json_str(o, "@id");
    url = id && strchr(id, '#') ? id : NULL;
  }
  if (!failed)
    u->url = resolve_url(url, base, &failed);
  if (!failed && u->url) {
    const char *hash = strchr(u->url, '#');
    if (hash && hash[1] && !(u->anchor = strdup(hash + 1)))
      failed = true;
  }
  return failed ? -ENOMEM : 0;
}

/* Looks through v (objects, arrays, @graph) for the first object with liveBlogUpdate and
 * takes its updates. *found is set once one was taken: later ones are the same blog again
 * (pages repeat their JSON-LD) or another blog the page links to. 0 or -ENOMEM. */
static int walk_jsonld(json_t *v, int depth, struct page_updates *p, size_t *alloc, bool *full,
                       const char *base, bool *found) {
  if (*found || depth > BRAID_PAGE_MAX_JSON_DEPTH)
    return 0;
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      int r = walk_jsonld(e, depth + 1, p, alloc, full, base, found);
      if (r < 0 || *found)
        return r;
    }
    return 0;
  }
  if (!json_is_object(v))
    return 0;
  json_t *lbu = json_object_get(v, "liveBlogUpdate");
  if (lbu) {
    *found = true;
    int64_t end;
    if (json_time(v, "coverageEndTime", &end)) {
      p->coverage_end = end;
      p->has_coverage_end = true;
    }
    const char *title = json_str(v, "headline");
    if (!title)
      title = json_str(v, "name");
    if (title && !(p->title = strdup(title)))
      return -ENOMEM;
    if (json_is_object(lbu))
      return add_jsonld_update(p, alloc, full, lbu, base);
    size_t i;
    json_t *e;
    json_array_foreach(lbu, i, e) {
      int r = add_jsonld_update(p, alloc, full, e, base);
      if (r < 0)
        return r;
      if (*full)
        break;
    }
    return 0;
  }
  json_t *graph = json_object_get(v, "@graph");
  if (graph)
    return walk_jsonld(graph, depth + 1, p, alloc, full, base, found);
  json_t *main = json_object_get(v, "mainEntity");
  return main ? walk_jsonld(main, depth + 1, p, alloc, full, base, found) : 0;
}

/* Case-insensitive search for needle in s[0..len). */
static const char *find_ci(const char *s, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++)
    if (strncasecmp(s + i, needle, n) == 0)
      return s + i;
  return NULL;
}

/* Finds the JSON-LD scripts of html and reads the first live blog among them. */
static int read_jsonld(const char *html, size_t len, const char *base, struct page_updates *p) {
  size_t alloc = 0, scripts = 0;
  bool full = false, found = false;
  const char *end = html + len;
  for (const char *s = html; s < end && !found && scripts < BRAID_PAGE_MAX_JSONLD_SCRIPTS;) {
    const char *open = find_ci(s, (size_t)(end - s), "<script");
    if (!open)
      break;
    const char *gt = memchr(open, '>', (size_t)(end - open));
    if (!gt)
      break;
    const char *close = find_ci(gt, (size_t)(end - gt), "</script");
    if (!close)
      break;
    s = close + 8;
    if (!find_ci(open, (size_t)(gt - open), "ld+json"))
      continue;
    scripts++;
    size_t n = (size_t)(close - gt - 1);
    if (n > BRAID_PAGE_MAX_JSONLD_BYTES)
      continue;
    json_t *root = json_loadb(gt + 1, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!root)
      continue; /* a broken script: pages carry them, the next may be fine */
    int r = walk_jsonld(root, 0, p, &alloc, &full, base, &found);
    json_decref(root);
    if (r < 0)
      return r;
  }
  return 0;
}

static int cmp_time(const void *a, const void *b) {
  const struct page_update *x = a, *y = b;
  return x->time < y->time ? -1 : x->time > y->time;
}

/* The splitter's reading of the page: <time datetime> blocks, else text stamps. */
static int read_blocks(const char *html, size_t len, const struct page_options *opt,
                       struct page_updates *p, char *err, size_t errlen) {
  struct liveblog *lb = NULL;
  int r = liveblog_split(html, len, &opt->split, &lb, err, errlen);
  if (r < 0)
    return r;
  if (!lb->is_liveblog || lb->n == 0) {
    liveblog_free(lb);
    return 0;
  }
  size_t n = lb->n < BRAID_PAGE_MAX_UPDATES ? lb->n : BRAID_PAGE_MAX_UPDATES;
  p->updates = calloc(n, sizeof *p->updates);
  if (!p->updates) {
    liveblog_free(lb);
    return -ENOMEM;
  }
  bool failed = false;
  for (size_t i = 0; i < n && !failed; i++) {
    struct liveblog_update *src = &lb->updates[i];
    struct page_update *u = &p->updates[p->n++];
    u->time = src->time;
    /* Taken over, not copied: the splitter's strings are the update's. */
    u->stamp = src->stamp, src->stamp = NULL;
    u->html = src->html, src->html = NULL;
    u->text = src->text, src->text = NULL;
    u->anchor = src->anchor, src->anchor = NULL;
    if (resolve_html(&u->html, opt->page_url) < 0)
      failed = true;
    if (!failed && u->anchor && opt->page_url) {
      const char *hash = strchr(opt->page_url, '#');
      int base_len = hash ? (int)(hash - opt->page_url) : (int)strlen(opt->page_url);
      if (asprintf(&u->url, "%.*s#%s", base_len, opt->page_url, u->anchor) < 0) {
        u->url = NULL;
        failed = true;
      }
    }
  }
  liveblog_free(lb);
  if (failed)
    return -ENOMEM;
  p->source = PAGE_SOURCE_BLOCKS;
  return 0;
}

/* JSON-LD and the page's blocks one minute apart or closer are the same update. */
#define SAME_UPDATE_SECS 60

static struct page_update *same_update(struct page_updates *p, int64_t t) {
  for (size_t i = 0; i < p->n; i++)
    if (p->updates[i].time - t <= SAME_UPDATE_SECS && t - p->updates[i].time <= SAME_UPDATE_SECS)
      return &p->updates[i];
  return NULL;
}

/* Many pages list only their newest updates in JSON-LD (search engines want few) while the
 * HTML holds them all. The blocks fill in what JSON-LD left out, and lend their anchors to
 * JSON-LD updates that carry no url; where both hold an update, JSON-LD's words stay. */
static int add_block_updates(const char *html, size_t len, const struct page_options *opt,
                             struct page_updates *p, char *err, size_t errlen) {
  struct page_updates q = {0};
  int r = read_blocks(html, len, opt, &q, err, errlen);
  if (r < 0 && r != -ENOMEM) {
    /* A splitter cap (too many stamps) leaves JSON-LD's reading standing. */
    if (err && errlen)
      err[0] = '\0';
    r = 0;
  }
  size_t extra = 0;
  for (size_t i = 0; r == 0 && i < q.n; i++) {
    struct page_update *same = same_update(p, q.updates[i].time);
    if (same && !same->url && q.updates[i].url)
      same->url = q.updates[i].url, q.updates[i].url = NULL;
    if (!same && p->n + extra < BRAID_PAGE_MAX_UPDATES) {
      if (extra != i) {
        /* Slot `extra` holds an update JSON-LD already had (skipped above): done with it. */
        page_update_clear(&q.updates[extra]);
        q.updates[extra] = q.updates[i];
        memset(&q.updates[i], 0, sizeof q.updates[i]);
      }
      extra++;
    }
  }
  if (r == 0 && extra > 0) {
    struct page_update *v = realloc(p->updates, (p->n + extra) * sizeof *v);
    if (!v) {
      r = -ENOMEM;
    } else {
      p->updates = v;
      memcpy(p->updates + p->n, q.updates, extra * sizeof *v);
      p->n += extra;
      memset(q.updates, 0, extra * sizeof *v);
    }
  }
  for (size_t i = 0; i < q.n; i++)
    page_update_clear(&q.updates[i]);
  free(q.updates);
  return r;
}

int page_read(const char *html, size_t len, const struct page_options *opt,
              struct page_updates **ret, char *err, size_t errlen) {
  *ret = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (len > BRAID_SPLIT_MAX_BODY_BYTES) {
    if (err)
      snprintf(err, errlen, "page of %zu bytes is over BRAID_SPLIT_MAX_BODY_BYTES (%d)", len,
               BRAID_SPLIT_MAX_BODY_BYTES);
    return -E2BIG;
  }
  struct page_updates *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  int r = read_jsonld(html, len, opt->page_url, p);
  if (r == 0 && p->n > 0) {
    p->source = PAGE_SOURCE_JSONLD;
    r = add_block_updates(html, len, opt, p, err, errlen);
  }
  if (r == 0 && p->n > 0) {
    qsort(p->updates, p->n, sizeof *p->updates, cmp_time);
  } else if (r == 0) {
    for (size_t i = 0; i < p->n; i++)
      page_update_clear(&p->updates[i]);
    free(p->updates);
    p->updates = NULL;
    p->n = 0;
    r = read_blocks(html, len, opt, p, err, errlen);
  }
  if (r < 0) {
    page_updates_free(p);
    return r;
  }
  *ret = p;
  return 0;
}
