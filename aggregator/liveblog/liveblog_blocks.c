/* liveblog_blocks.c — the HTML walk behind the splitter. See liveblog_blocks.h. */
#include "liveblog_blocks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLtree.h>

#include "bounds.h"

enum el_kind { EL_INLINE, EL_BLOCK, EL_CONTAINER, EL_SKIP };

/* Sorted for bsearch. Containers are blocks that may hold one update each. */
static const struct el {
  const char *name;
  enum el_kind kind;
} ELEMENTS[] = {
    {"address", EL_BLOCK},     {"article", EL_CONTAINER}, {"aside", EL_CONTAINER},
    {"blockquote", EL_BLOCK},  {"body", EL_BLOCK},        {"button", EL_SKIP},
    {"center", EL_BLOCK},      {"dd", EL_BLOCK},          {"details", EL_BLOCK},
    {"div", EL_CONTAINER},     {"dl", EL_BLOCK},          {"dt", EL_BLOCK},
    {"fieldset", EL_BLOCK},    {"figcaption", EL_BLOCK},  {"figure", EL_BLOCK},
    {"footer", EL_BLOCK},      {"form", EL_BLOCK},        {"h1", EL_BLOCK},
    {"h2", EL_BLOCK},          {"h3", EL_BLOCK},          {"h4", EL_BLOCK},
    {"h5", EL_BLOCK},          {"h6", EL_BLOCK},          {"head", EL_SKIP},
    {"header", EL_BLOCK},      {"hr", EL_BLOCK},          {"html", EL_BLOCK},
    {"iframe", EL_SKIP},       {"li", EL_CONTAINER},      {"main", EL_BLOCK},
    {"math", EL_SKIP},         {"nav", EL_BLOCK},         {"noscript", EL_SKIP},
    {"object", EL_SKIP},       {"ol", EL_BLOCK},          {"p", EL_BLOCK},
    {"pre", EL_BLOCK},         {"script", EL_SKIP},       {"section", EL_CONTAINER},
    {"select", EL_SKIP},       {"style", EL_SKIP},        {"summary", EL_BLOCK},
    {"svg", EL_SKIP},          {"table", EL_BLOCK},       {"tbody", EL_BLOCK},
    {"td", EL_BLOCK},          {"template", EL_SKIP},     {"textarea", EL_SKIP},
    {"tfoot", EL_BLOCK},       {"th", EL_BLOCK},          {"thead", EL_BLOCK},
    {"title", EL_SKIP},        {"tr", EL_BLOCK},          {"ul", EL_BLOCK},
};

static int el_cmp(const void *key, const void *e) {
  return strcasecmp(key, ((const struct el *)e)->name);
}

static enum el_kind kind_of(xmlNodePtr n) {
  if (n->type != XML_ELEMENT_NODE || !n->name)
    return EL_INLINE;
  const struct el *e = bsearch(n->name, ELEMENTS, sizeof ELEMENTS / sizeof ELEMENTS[0],
                               sizeof ELEMENTS[0], el_cmp);
  return e ? e->kind : EL_INLINE;
}

static bool named(xmlNodePtr n, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* An attribute's value as it sits in the tree (no copy), or NULL. */
static const char *attr(xmlNodePtr n, const char *name) {
  for (xmlAttrPtr a = n->properties; a; a = a->next)
    if (a->name && strcasecmp((const char *)a->name, name) == 0 && a->children &&
        a->children->type == XML_TEXT_NODE && a->children->content && a->children->content[0])
      return (const char *)a->children->content;
  return NULL;
}

/* ---- collapsing white space ------------------------------------------------------------ */

struct collapse {
  struct buf *out;
  size_t start;  /* where this piece of text began in out */
  bool pending;  /* a space is owed before the next visible character */
};

/* Length of the white space sequence at s (ASCII space, NBSP, thin and narrow spaces). */
static size_t space_len(const unsigned char *s, size_t n) {
  if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\f')
    return 1;
  if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
    return 2;
  if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
      (s[2] == 0x89 || s[2] == 0xAF || s[2] == 0x8A || s[2] == 0x8B || s[2] == 0x82 || s[2] == 0x83))
    return 3;
  return 0;
}

static int collapse_add(struct collapse *c, const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < n) {
    size_t k = space_len(s + i, n - i);
    if (k) {
      c->pending = true;
      i += k;
      continue;
    }
    /* Copy words and the single spaces between them in one piece. */
    size_t j = i;
    while (j < n) {
      if (!space_len(s + j, n - j))
        j++;
      else if (s[j] == ' ' && j + 1 < n && !space_len(s + j + 1, n - j - 1))
        j += 2;
      else
        break;
    }
    int r;
    if (c->pending && c->out->len > c->start && (r = buf_append_char(c->out, ' ')) < 0)
      return r;
    if ((r = buf_append(c->out, text + i, j - i)) < 0)
      return r;
    c->pending = false;
    i = j;
  }
  return 0;
}

static bool has_visible(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < n;) {
    size_t k = space_len(s + i, n - i);
    if (!k)
      return true;
    i += k;
  }
  return false;
}

int blocks_node_text(xmlNodePtr node, struct buf *out) {
  struct collapse c = {out, out->len, false};
  xmlNodePtr cur = node->children;
  int depth = 0;
  while (cur && cur != node) {
    if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) && cur->content) {
      int r = collapse_add(&c, (const char *)cur->content, strlen((const char *)cur->content));
      if (r < 0)
        return r;
    }
    if (cur->type == XML_ELEMENT_NODE && cur->children && depth < BRAID_SPLIT_MAX_DEPTH &&
        kind_of(cur) != EL_SKIP) {
      cur = cur->children;
      depth++;
      continue;
    }
    while (cur && cur != node && !cur->next) {
      cur = cur->parent;
      depth--;
    }
    if (cur && cur != node)
      cur = cur->next;
  }
  return 0;
}

/* ---- the walk -------------------------------------------------------------------------- */

struct frame {
  xmlNodePtr node;
  enum el_kind kind;
  size_t blocks_at_entry;
  int container;      /* the container this element opened, or -1 */
  bool run_was_empty; /* no text was pending when the element opened */
};

struct walk {
  struct blocks *b;
  struct collapse text;
  bool run_open;          /* text has been seen since the last block ended */
  xmlNodePtr run_start;   /* where the run's markup starts */
  xmlNodePtr pending;     /* outermost inline element entered before the run's first text */
  xmlNodePtr time;
  xmlNodePtr epoch_node;  /* an element with data-timestamp= the run opens with */
  const char *anchor;
  bool soft_next;         /* the next run follows a single <br>, not a paragraph break */
  bool run_soft;          /* the open run did */
  struct frame stack[BRAID_SPLIT_MAX_DEPTH];
  int depth;
  int container;
  int quotes;
  int asides;                /* depth of <aside> and <nav> */
  int aside_count;           /* outermost ones entered so far */
  char *err;
  size_t errlen;
};

static int end_run(struct walk *w) {
  w->soft_next = false;
  w->pending = NULL;
  if (!w->run_open)
    return 0;
  struct blocks *b = w->b;
  if (b->n >= BRAID_SPLIT_MAX_BLOCKS) {
    if (w->err)
      snprintf(w->err, w->errlen, "body has more than BRAID_SPLIT_MAX_BLOCKS (%d) blocks",
               BRAID_SPLIT_MAX_BLOCKS);
    return -E2BIG;
  }
  void *v = b->v;
  int r = grow_array(&v, &b->alloc, b->n, sizeof *b->v);
  b->v = v;
  if (r < 0)
    return r;
  struct block *bl = &b->v[b->n++];
  bl->text_off = w->text.start;
  bl->text_len = b->text.len - w->text.start;
  bl->start = w->run_start;
  bl->time = w->time;
  bl->epoch = 0;
  if (w->epoch_node) {
    const char *ts = attr(w->epoch_node, "data-timestamp");
    if (!ts)
      ts = attr(w->epoch_node, "data-time");
    bl->epoch = strtoll(ts, NULL, 10) / (strlen(ts) == 13 ? 1000 : 1);
  }
  bl->anchor = w->anchor;
  bl->container = w->container;
  bl->in_quote = w->quotes > 0;
  bl->aside = w->asides > 0 ? w->aside_count - 1 : -1;
  bl->heading = 0;
  bl->soft = w->run_soft;
  w->run_open = false;
  w->time = NULL;
  w->epoch_node = NULL;
  w->anchor = NULL;
  w->run_start = NULL;
  /* Keep blocks NUL-separated so each one's text can be read as a C string. */
  r = buf_append_char(&b->text, '\0');
  if (r < 0)
    return r;
  w->text.start = b->text.len;
  w->text.pending = false;
  return 0;
}

static int add_text(struct walk *w, xmlNodePtr node) {
  const char *s = (const char *)node->content;
  if (!s)
    return 0;
  size_t n = strlen(s);
  if (!has_visible(s, n)) {
    if (w->run_open)
      w->text.pending = true;
    return 0;
  }
  if (!w->run_open) {
    w->run_open = true;
    w->run_soft = w->soft_next;
    w->soft_next = false;
    w->run_start = w->pending ? w->pending : node;
    w->text.start = w->b->text.len;
    w->text.pending = false;
  }
  return collapse_add(&w->text, s, n);
}

static int add_container(struct walk *w, xmlNodePtr node) {
  struct blocks *b = w->b;
  if (b->ncontainers >= BRAID_SPLIT_MAX_BLOCKS)
    return -1; /* past the cap, elements just stop counting as containers */
  void *v = b->containers;
  int r = grow_array(&v, &b->containers_alloc, b->ncontainers, sizeof *b->containers);
  b->containers = v;
  if (r < 0)
    return r;
  struct container *c = &b->containers[b->ncontainers];
  c->node = node;
  c->first = b->n;
  c->last = b->n;
  c->id = attr(node, "id");
  c->parent = w->container;
  return (int)b->ncontainers++;
}

/* Entering an element that has children to walk. */
static int enter(struct walk *w, xmlNodePtr node, enum el_kind kind) {
  int r;
  struct frame *f = &w->stack[w->depth++];
  f->node = node;
  f->kind = kind;
  f->container = -1;
  f->run_was_empty = !w->run_open;
  if (kind == EL_INLINE) {
    if (!w->run_open) {
      if (!w->pending)
        w->pending = node;
      if (!w->time && named(node, "time"))
        w->time = node;
      const char *ts = attr(node, "data-timestamp");
      if (!w->epoch_node && (ts || (ts = attr(node, "data-time"))) && strspn(ts, "0123456789") == strlen(ts) &&
          (strlen(ts) == 10 || strlen(ts) == 13))
        w->epoch_node = node;
      const char *id = attr(node, "id");
      if (!id && named(node, "a"))
        id = attr(node, "name");
      if (!w->anchor && id)
        w->anchor = id;
    }
    return 0;
  }
  if ((r = end_run(w)) < 0)
    return r;
  f->blocks_at_entry = w->b->n;
  if (kind == EL_CONTAINER) {
    if ((r = add_container(w, node)) < -1)
      return r;
    f->container = w->container;       /* remember the outer one */
    if (r >= 0)
      w->container = r;
    else
      f->container = -2;               /* nothing to restore */
  }
  if (named(node, "blockquote"))
    w->quotes++;
  if ((named(node, "aside") || named(node, "nav")) && w->asides++ == 0)
    w->aside_count++;
  return 0;
}

static int leave(struct walk *w) {
  struct frame *f = &w->stack[--w->depth];
  if (f->kind == EL_INLINE) {
    if (named(f->node, "br")) /* never has children, but be safe */
      return 0;
    if (w->pending == f->node && !w->run_open)
      w->pending = NULL;
    return 0;
  }
  int r = end_run(w);
  if (r < 0)
    return r;
  struct blocks *b = w->b;
  if (b->n == f->blocks_at_entry + 1) {
    /* The element holds exactly one block: cut the body at the element itself. */
    struct block *bl = &b->v[b->n - 1];
    bl->start = f->node;
    if (!bl->anchor)
      bl->anchor = attr(f->node, "id");
    const char *nm = (const char *)f->node->name;
    if (nm && (nm[0] == 'h' || nm[0] == 'H') && nm[1] >= '1' && nm[1] <= '6' && !nm[2])
      bl->heading = nm[1] - '0';
  }
  if (f->kind == EL_CONTAINER && f->container != -2) {
    struct container *c = &b->containers[w->container];
    if (b->n == c->first) {
      c->first = 1; /* holds no block: an empty range */
      c->last = 0;
    } else {
      c->last = b->n - 1;
    }
    w->container = f->container;
  }
  if (named(f->node, "blockquote"))
    w->quotes--;
  if (named(f->node, "aside") || named(f->node, "nav"))
    w->asides--;
  return 0;
}

static int visit_leaf(struct walk *w, xmlNodePtr node, enum el_kind kind) {
  if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE)
    return add_text(w, node);
  if (node->type != XML_ELEMENT_NODE || kind == EL_SKIP)
    return 0;
  if (named(node, "br")) {
    /* Every <br> ends a block, so that a line opening with a stamp can start an update;
     * a single one marks the next block as the same paragraph's next line, two or more
     * as a new paragraph. */
    if (!w->run_open) {
      w->soft_next = false;
      return 0;
    }
    int r = end_run(w);
    w->soft_next = true;
    return r;
  }
  if (kind != EL_INLINE)
    return end_run(w); /* an empty block (<hr>, <div></div>) still separates runs */
  if (!w->run_open && !w->anchor && named(node, "a") && (attr(node, "name") || attr(node, "id")))
    w->anchor = attr(node, "name") ? attr(node, "name") : attr(node, "id");
  return 0;
}

int blocks_build(struct blocks *b, const char *html, size_t len, char *err, size_t errlen) {
  buf_init(&b->text, len * 2 + 1024);
  if (len > BRAID_SPLIT_MAX_BODY_BYTES) {
    if (err)
      snprintf(err, errlen, "body of %zu bytes is over BRAID_SPLIT_MAX_BODY_BYTES (%d)", len,
               BRAID_SPLIT_MAX_BODY_BYTES);
    return -E2BIG;
  }
  b->doc = htmlReadMemory(len ? html : " ", len ? (int)len : 1, NULL, "UTF-8",
                          HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                              HTML_PARSE_NONET | HTML_PARSE_COMPACT);
  if (!b->doc)
    return 0; /* nothing parseable: no blocks */
  xmlNodePtr root = xmlDocGetRootElement(b->doc);
  if (!root)
    return 0;
  struct walk *w = calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  w->b = b;
  w->text.out = &b->text;
  w->container = -1;
  w->err = err;
  w->errlen = errlen;
  int r = 0;
  xmlNodePtr cur = root;
  while (cur && r == 0) {
    enum el_kind kind = kind_of(cur);
    if (cur->type == XML_ELEMENT_NODE && kind != EL_SKIP && cur->children &&
        w->depth < BRAID_SPLIT_MAX_DEPTH) {
      r = enter(w, cur, kind);
      cur = cur->children;
      continue;
    }
    r = visit_leaf(w, cur, kind);
    while (r == 0 && cur && !cur->next) {
      cur = cur->parent;
      if (!cur || cur->type != XML_ELEMENT_NODE || w->depth == 0) {
        cur = NULL;
        break;
      }
      r = leave(w);
      if (cur == root) {
        cur = NULL;
        break;
      }
    }
    if (cur)
      cur = cur->next;
  }
  while (r == 0 && w->depth > 0)
    r = leave(w);
  if (r == 0)
    r = end_run(w);
  free(w);
  return r;
}

void blocks_clear(struct blocks *b) {
  if (!b)
    return;
  if (b->doc)
    xmlFreeDoc(b->doc);
  if (b->scratch)
    xmlBufferFree(b->scratch);
  free(b->v);
  free(b->containers);
  buf_clear(&b->text);
  memset(b, 0, sizeof *b);
}

/* ---- writing markup back out ----------------------------------------------------------- */

static bool is_ancestor_or_self(xmlNodePtr const *chain, size_t n, xmlNodePtr node) {
  for (size_t i = 0; i < n; i++)
    if (chain[i] == node)
      return true;
  return false;
}

int blocks_html(struct blocks *b, xmlNodePtr from, xmlNodePtr stop, xmlNodePtr only,
                struct buf *out) {
  xmlNodePtr chain[BRAID_SPLIT_MAX_DEPTH + 8];
  size_t nchain = 0;
  /* stop (an element or a text node) and every element above it */
  for (xmlNodePtr p = stop; p && nchain < sizeof chain / sizeof chain[0] &&
                            (p == stop || p->type == XML_ELEMENT_NODE);
       p = p->parent)
    chain[nchain++] = p;
  if (!b->scratch && !(b->scratch = xmlBufferCreate()))
    return -ENOMEM;
  xmlBufferPtr xb = b->scratch;
  int r = 0;
  size_t base = out->len;
  xmlNodePtr cur = from;
  while (cur && r == 0) {
    if (cur == stop)
      break;
    if (cur->children && is_ancestor_or_self(chain, nchain, cur)) {
      cur = cur->children;
      continue;
    }
    xmlBufferEmpty(xb);
    if (htmlNodeDump(xb, b->doc, cur) < 0) {
      r = -ENOMEM;
      break;
    }
    r = buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
    if (cur == only)
      break;
    while (cur && !cur->next) {
      cur = cur->parent;
      if (!cur || cur == only || cur->type != XML_ELEMENT_NODE)
        cur = NULL;
    }
    if (cur)
      cur = cur->next;
  }
  if (r < 0)
    return r;
  /* Leading and trailing white space and <br>s were separators between updates. */
  size_t lead = base;
  while (lead < out->len && (out->data[lead] == '\n' || out->data[lead] == ' '))
    lead++;
  if (lead > base) {
    memmove(out->data + base, out->data + lead, out->len - lead + 1);
    out->len -= lead - base;
  }
  for (;;) {
    while (out->len > base && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' '))
      out->data[--out->len] = '\0';
    if (out->len >= base + 4 && strncasecmp(out->data + out->len - 4, "<br>", 4) == 0)
      out->len -= 4, out->data[out->len] = '\0';
    else
      break;
  }
  return 0;
}
