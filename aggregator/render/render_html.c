/* render_html.c — the stream as one HTML5 page a person can read. See render.h.
 *
 * Entries are newest first. All updates of one live blog in the list form one group, written
 * where the blog's newest update falls among the other stories: the blog's title once, every
 * feed that carried it once, "N updates", then each update newest first with its stamp once
 * (taken out of the body's start when the body repeats it), its own headline when it has one,
 * and its body. Every other entry is an article with its time, source, title and body. Every string from a feed
 * is escaped (sanitize_text) and every body sanitised; the page links the feed formats with
 * <link rel="alternate">. No script, no external resource: a few lines of inline CSS.
 */
#include <errno.h>
#include <string.h>

#include "civil.h"
#include "render_priv.h"
#include "sanitize.h"

static const char page_css[] =
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:0 auto;padding:0 1em;"
    "color:#222;background:#fff}"
    "header.page{border-bottom:1px solid #ddd;margin-bottom:1em}"
    "form.search{margin:.5em 0}form.search input{width:min(30em,70%);font:inherit}"
    "article,section.live{border-bottom:1px solid #eee;padding:.5em 0 1em}"
    "h2{font-size:1.2em;margin:.3em 0}"
    ".meta{color:#666;font-size:.9em;margin:0}"
    ".live-badge{background:#c00;color:#fff;border-radius:3px;padding:0 .4em;font-size:.8em;"
    "margin-right:.4em}"
    "section.live article{border:0;border-left:3px solid #c00;padding:.2em 0 .2em .8em;"
    "margin:.6em 0}"
    ".stamp{font-weight:bold;color:#c00}"
    ".body img,.body iframe,.body video{max-width:100%;height:auto}"
    "a{color:#04c}";

struct page {
  struct buf *out;
  struct render_item it;
  int err;
};

/* Appends trusted markup (the page's own), remembering the first failure. */
static void put(struct page *p, const char *s) {
  if (!p->err)
    p->err = buf_append_str(p->out, s);
}

/* Escaped text; nothing for NULL. */
static void put_text(struct page *p, const char *s) {
  if (!p->err && s)
    p->err = sanitize_text(s, strlen(s), p->out);
}

/* <time datetime="RFC 3339">YYYY-MM-DD HH:MM UTC</time>. */
static void put_time(struct page *p, int64_t t) {
  char iso[CIVIL_UTC_LEN], shown[CIVIL_UTC_LEN];
  civil_format_utc(t, iso);
  memcpy(shown, iso, sizeof shown);
  shown[10] = ' ';
  shown[16] = '\0'; /* "2011-11-08 21:30" */
  put(p, "<time datetime=\"");
  put(p, iso);
  put(p, "\">");
  put(p, shown);
  put(p, " UTC</time>");
}

/* <a href="href">text</a>, or the text alone when there is no href. */
static void put_link(struct page *p, const char *href, const char *text) {
  if (href) {
    put(p, "<a href=\"");
    put_text(p, href);
    put(p, "\">");
  }
  put_text(p, text);
  if (href)
    put(p, "</a>");
}

/* " · Source, Other source", each linked to its site where that is a safe URL. */
static void put_sources(struct page *p, const struct stream_entry *e) {
  for (size_t i = 0; i < e->n_sources; i++) {
    const struct stream_source *s = &e->sources[i];
    put(p, i ? ", " : " \xc2\xb7 ");
    const char *site = render_link(s->site_url);
    put_link(p, site ? site : render_feed_public_url(s, p->it.feed_queries), render_source_name(s));
  }
}

/* The sanitised body, else the plain text as a paragraph. */
static void put_body(struct page *p, const struct stream_entry *e) {
  put(p, "<div class=\"body\">");
  if (*p->it.html) {
    put(p, p->it.html);
  } else if (e->text) {
    put(p, "<p>");
    put_text(p, e->text);
    put(p, "</p>");
  }
  put(p, "</div>\n");
}

/* An ordinary entry: title, time, sources, author, body. */
static void put_article(struct page *p, const struct stream_entry *e) {
  put(p, "<article>\n<h2>");
  put_link(p, p->it.link, p->it.title);
  put(p, "</h2>\n<p class=\"meta\">");
  put_time(p, p->it.published);
  put_sources(p, e);
  if (e->author) {
    put(p, " \xc2\xb7 by ");
    put_text(p, e->author);
  }
  put(p, "</p>\n");
  put_body(p, e);
  put(p, "</article>\n");
}

/* Whether the update's title is a headline of its own, not the blog's title (with its stamp,
 * as braid titles an update that has no headline). */
static bool has_own_headline(const struct stream_entry *e) {
  if (!e->title || !*e->title || (e->item_title && strcmp(e->title, e->item_title) == 0))
    return false;
  size_t tl = strlen(e->title), sl = e->stamp ? strlen(e->stamp) : 0;
  return !(e->item_title && sl && tl >= sl && strcmp(e->title + tl - sl, e->stamp) == 0 &&
           strncmp(e->title, e->item_title, strlen(e->item_title)) == 0);
}

/* Where the stamp starts in s if s's text begins with it (after tags and white space), else
 * NULL. The stamp is ASCII as the splitter wrote it; sanitised text escapes only & < > " '. */
static const char *leading_stamp(const char *s, const char *stamp) {
  size_t sl = strlen(stamp);
  for (;;) {
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
      s++;
    if (*s != '<')
      break;
    const char *end = strchr(s, '>');
    if (!end)
      return NULL;
    s = end + 1;
  }
  return sl && strncmp(s, stamp, sl) == 0 ? s : NULL;
}

/* The body with its leading stamp (and the ": " or " - " after it) taken out, so the page
 * prints the stamp once, in the update's meta line. End tags after the stamp are kept. */
static void put_update_body(struct page *p, const struct stream_entry *e) {
  const char *body = *p->it.html ? p->it.html : e->text;
  const char *at = body && e->stamp ? leading_stamp(body, e->stamp) : NULL;
  if (!at) {
    put_body(p, e);
    return;
  }
  bool html = *p->it.html;
  put(p, "<div class=\"body\">");
  if (!html)
    put(p, "<p>");
  if (!p->err)
    p->err = html ? buf_append(p->out, body, (size_t)(at - body))
                  : sanitize_text(body, (size_t)(at - body), p->out);
  const char *rest = at + strlen(e->stamp);
  for (;;) {
    if (strncmp(rest, "</", 2) == 0 && html) {
      const char *end = strchr(rest, '>');
      if (!end)
        break;
      if (!p->err)
        p->err = buf_append(p->out, rest, (size_t)(end + 1 - rest));
      rest = end + 1;
    } else if (*rest && strchr(" \t\r\n:-.,", *rest)) {
      rest++;
    } else if (strncmp(rest, "\xe2\x80\x93", 3) == 0 || strncmp(rest, "\xe2\x80\x94", 3) == 0) {
      rest += 3; /* an en or em dash */
    } else {
      break;
    }
  }
  if (html)
    put(p, rest);
  else
    put_text(p, rest);
  put(p, html ? "</div>\n" : "</p></div>\n");
}

/* One live-blog update inside its group: its stamp once (as the feed wrote it, the instant in
 * the <time> element's datetime), its headline, permalink, body. */
static void put_update(struct page *p, const struct stream_entry *e) {
  char iso[CIVIL_UTC_LEN];
  civil_format_utc(p->it.published, iso);
  put(p, "<article class=\"update\">\n<p class=\"meta\"><time class=\"stamp\" datetime=\"");
  put(p, iso);
  put(p, "\">");
  put_text(p, e->stamp);
  put(p, "</time>");
  if (p->it.link) {
    put(p, " \xc2\xb7 ");
    put_link(p, p->it.link, "link");
  }
  put(p, "</p>\n");
  if (has_own_headline(e)) {
    put(p, "<h3>");
    put_text(p, e->title);
    put(p, "</h3>\n");
  }
  put_update_body(p, e);
  put(p, "</article>\n");
}

/* A live blog's update: it has a stamp and the id of its live blog. */
static bool is_update(const struct stream_entry *e) { return e->stamp && e->item_id; }

/* Whether a and b are updates of one live blog (so one group on the page). */
static bool same_live_blog(const struct stream_entry *a, const struct stream_entry *b) {
  return is_update(a) && is_update(b) && strcmp(a->item_id, b->item_id) == 0;
}

/* Whether an update of e's live blog comes before entries[at] in the list: the group was
 * written there already. */
static bool group_written(const struct stream_list *l, size_t at) {
  for (size_t i = 0; i < at; i++)
    if (same_live_blog(&l->entries[i], &l->entries[at]))
      return true;
  return false;
}

/* " · Source, Other source" for every feed that carried any of the group's updates, each once. */
static void put_group_sources(struct page *p, const struct stream_list *l, size_t first) {
  size_t shown = 0;
  for (size_t i = first; !p->err && i < l->n; i++) {
    if (!same_live_blog(&l->entries[first], &l->entries[i]))
      continue;
    for (size_t k = 0; k < l->entries[i].n_sources; k++) {
      const struct stream_source *s = &l->entries[i].sources[k];
      bool seen = false;
      for (size_t j = first; !seen && j <= i; j++) {
        if (!same_live_blog(&l->entries[first], &l->entries[j]))
          continue;
        size_t nk = j == i ? k : l->entries[j].n_sources;
        for (size_t m = 0; !seen && m < nk; m++)
          seen = s->feed && l->entries[j].sources[m].feed &&
                 strcmp(s->feed, l->entries[j].sources[m].feed) == 0;
      }
      if (seen)
        continue;
      const char *site = render_link(s->site_url);
      put(p, shown++ ? ", " : " \xc2\xb7 ");
      put_link(p, site ? site : render_feed_public_url(s, p->it.feed_queries),
               render_source_name(s));
    }
  }
}

/* Every update of the live blog whose newest update is entries[first] (the list is newest
 * first, so the group stands where that update would), newest first, under the blog's title
 * once, its sources and how many updates it holds. */
static void put_live_blog(struct page *p, const struct stream_list *l, size_t first) {
  const struct stream_entry *e0 = &l->entries[first];
  size_t n = 0;
  for (size_t i = first; i < l->n; i++)
    n += same_live_blog(e0, &l->entries[i]);
  put(p, "<section class=\"live\">\n<h2><span class=\"live-badge\">Live</span>");
  put_text(p, e0->item_title ? e0->item_title : e0->title);
  put(p, "</h2>\n<p class=\"meta\"><span class=\"count\">");
  if (!p->err)
    p->err = n == 1 ? buf_append_str(p->out, "1 update") : buf_printf(p->out, "%zu updates", n);
  put(p, "</span>");
  put_group_sources(p, l, first);
  put(p, "</p>\n");
  for (size_t i = first; !p->err && i < l->n; i++) {
    if (!same_live_blog(e0, &l->entries[i]))
      continue;
    p->err = render_item_fill(&p->it, &l->entries[i]);
    if (!p->err)
      put_update(p, &l->entries[i]);
  }
  put(p, "</section>\n");
}

/* Doctype, head (title, alternates, CSS) and the page header. */
/* The search box: a GET form to this page's own address (the stream's root, or a named
 * stream's .html), so the CSP's form-action 'self' admits it and the answer is the same page
 * with ?q=. When the page answers a search it says so and links back to the whole stream. */
static void put_search(struct page *p, const struct render_doc *doc) {
  const char *base = doc->meta->base_url;
  const char *named = doc->meta->alternates_path;
  put(p, "<form class=\"search\" role=\"search\" method=\"get\" action=\"");
  put_text(p, base);
  if (named) {
    put_text(p, named);
    put(p, "html");
  }
  put(p, "\"><input type=\"search\" name=\"q\" aria-label=\"Search the stream\" "
         "placeholder=\"words, &quot;a phrase&quot;, OR, NOT\" maxlength=\"256\" value=\"");
  if (doc->meta->search)
    put_text(p, doc->meta->search);
  put(p, "\"> <button type=\"submit\">Search</button></form>\n");
  if (doc->meta->search) {
    put(p, "<p class=\"meta\">Entries matching \xe2\x80\x9c");
    put_text(p, doc->meta->search);
    put(p, "\xe2\x80\x9d, newest first \xc2\xb7 <a href=\"");
    put_text(p, base);
    if (named) {
      put_text(p, named);
      put(p, "html");
    }
    put(p, "\">the whole stream</a></p>\n");
  }
}

static void put_head(struct page *p, const struct render_doc *doc) {
  static const struct {
    const char *type, *name, *file;
  } alternates[] = {
      {"application/atom+xml", "Atom", "atom"},
      {"application/rss+xml", "RSS", "rss"},
      {"application/feed+json", "JSON Feed", "json"},
  };
  const char *base = doc->meta->base_url;
  const char *docs = doc->meta->alternates_path ? doc->meta->alternates_path : "feed.";
  const char *suffix = doc->meta->search_suffix ? doc->meta->search_suffix : "";
  put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"");
  put(p, render_html_csp(doc->meta->policy.remote_images, doc->meta->search_form));
  put(p, "\">\n"
         "<meta name=\"referrer\" content=\"no-referrer\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  put_text(p, doc->title);
  put(p, "</title>\n<meta name=\"generator\" content=\"braid ");
  put_text(p, doc->version);
  put(p, "\">\n");
  for (size_t i = 0; i < sizeof alternates / sizeof alternates[0]; i++) {
    put(p, "<link rel=\"alternate\" type=\"");
    put(p, alternates[i].type);
    put(p, "\" title=\"");
    put_text(p, doc->title);
    put(p, " (");
    put(p, alternates[i].name);
    put(p, ")\" href=\"");
    put_text(p, base);
    put_text(p, docs);
    put(p, alternates[i].file);
    put_text(p, suffix);
    put(p, "\">\n");
  }
  put(p, "<style>");
  put(p, page_css);
  put(p, "</style>\n</head>\n<body>\n<header class=\"page\">\n<h1>");
  put_text(p, doc->title);
  put(p, "</h1>\n<p class=\"meta\">Updated ");
  put_time(p, doc->updated);
  for (size_t i = 0; i < sizeof alternates / sizeof alternates[0]; i++) {
    put(p, " \xc2\xb7 <a href=\"");
    put_text(p, base);
    put_text(p, docs);
    put(p, alternates[i].file);
    put_text(p, suffix);
    put(p, "\">");
    put(p, alternates[i].name);
    put(p, "</a>");
  }
  put(p, "</p>\n");
  if (doc->meta->search_form)
    put_search(p, doc);
  /* Named streams: the page that lists them is where readers find their feeds. */
  for (size_t i = 0; i < doc->meta->n_nav; i++) {
    put(p, i ? " \xc2\xb7 " : "<nav class=\"meta\">Streams: ");
    put(p, "<a href=\"");
    put_text(p, base);
    put_text(p, doc->meta->nav[i].path);
    put(p, "\">");
    put_text(p, doc->meta->nav[i].title);
    put(p, "</a>");
  }
  if (doc->meta->n_nav)
    put(p, "</nav>\n");
  put(p, "</header>\n<main>\n");
}

int render_html(const struct render_doc *doc, struct buf *out) {
  struct page p = {.out = out};
  render_item_init(&p.it);
  p.it.feed_queries = doc->feed_queries;
  p.it.media_as_links = !doc->meta->policy.remote_images;
  put_head(&p, doc);
  const struct stream_list *l = doc->entries;
  if (l->n == 0)
    put(&p, "<p>Nothing in the stream yet.</p>\n");
  /* Quadratic in the entries of the page, which the server and exports bound (a few hundred):
   * simpler than sorting a copy, and no allocation. */
  for (size_t i = 0; !p.err && i < l->n; i++) {
    if (is_update(&l->entries[i])) {
      if (!group_written(l, i))
        put_live_blog(&p, l, i);
    } else {
      p.err = render_item_fill(&p.it, &l->entries[i]);
      if (!p.err)
        put_article(&p, &l->entries[i]);
    }
  }
  put(&p, "</main>\n<footer><p class=\"meta\">Braided by braid ");
  put_text(&p, doc->version);
  put(&p, "</p></footer>\n</body>\n</html>\n");
  render_item_clear(&p.it);
  return p.err;
}
