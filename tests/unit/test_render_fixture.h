/* test_render_fixture.h — one fixed stream for the renderer's and the server's tests.
 *
 * Newest first: two updates of one live blog, a story carried by two feeds (non-ASCII
 * text), an entry with hostile HTML, and an entry with nothing but text (no id, title,
 * link, author, HTML or source). Static functions: each test program includes it once.
 */
#ifndef BRAID_TEST_RENDER_FIXTURE_H
#define BRAID_TEST_RENDER_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "entry.h"

/* 2011-11-08T21:20:00Z and friends, as UTC seconds. */
#define FIXTURE_T_2120 1320787200
#define FIXTURE_T_2105 1320786300
#define FIXTURE_T_2000 1320782400
#define FIXTURE_T_1900 1320778800
#define FIXTURE_T_1800 1320775200

static char *fixture_dup(const char *s) {
  if (!s)
    return NULL;
  char *d = strdup(s);
  if (!d)
    abort();
  return d;
}

static void fixture_source(struct stream_source *s, const char *feed, const char *title,
                           const char *site, const char *feed_url, const char *link) {
  s->feed = fixture_dup(feed);
  s->title = fixture_dup(title);
  s->site_url = fixture_dup(site);
  s->feed_url = fixture_dup(feed_url);
  s->link = fixture_dup(link);
}

static void fixture_update(struct stream_entry *e, int64_t seq, const char *stamp, int64_t t,
                           const char *html, const char *text) {
  char buf[256];
  e->seq = seq;
  snprintf(buf, sizeof buf, "tag:braid,2011:ea-worldview/syria-live/%.4s", stamp);
  e->id = fixture_dup(buf);
  e->time = t;
  e->updated = t + 60;
  snprintf(buf, sizeof buf, "Syria live — %s", stamp);
  e->title = fixture_dup(buf);
  snprintf(buf, sizeof buf, "https://ea.example/syria-live#u%.4s", stamp);
  e->link = fixture_dup(buf);
  e->author = fixture_dup("Scott Lucas");
  e->html = fixture_dup(html);
  e->text = fixture_dup(text);
  e->stamp = fixture_dup(stamp);
  e->item_title = fixture_dup("Syria live");
  e->item_id = fixture_dup("https://ea.example/?p=1");
  e->sources = calloc(1, sizeof *e->sources);
  if (!e->sources)
    abort();
  e->n_sources = 1;
  fixture_source(&e->sources[0], "ea-worldview", "EA WorldView", "https://ea.example/",
                 "https://ea.example/feed/", "https://ea.example/syria-live");
}

/* An ordinary item: seq, id, time (= updated), title, link, with n_sources empty sources. */
static void fixture_item(struct stream_entry *e, int64_t seq, const char *id, int64_t t,
                         const char *title, const char *link, size_t n_sources) {
  e->seq = seq;
  e->id = fixture_dup(id);
  e->time = e->updated = t;
  e->title = fixture_dup(title);
  e->link = fixture_dup(link);
  e->sources = calloc(n_sources, sizeof *e->sources);
  if (!e->sources)
    abort();
  e->n_sources = n_sources;
}

/* Fills l with the five entries; free with stream_list_clear. */
/* Unused by tests that build their own entries with the helpers above. */
__attribute__((unused)) static void fixture_stream(struct stream_list *l) {
  l->n = 5;
  l->entries = calloc(l->n, sizeof *l->entries);
  if (!l->entries)
    abort();
  struct stream_entry *e = l->entries;
  fixture_update(&e[0], 5, "2120 GMT", FIXTURE_T_2120,
                 "<p>Activists report <b>shelling</b> in Homs.</p>",
                 "Activists report shelling in Homs.");
  fixture_update(&e[1], 4, "2105 GMT", FIXTURE_T_2105,
                 "<p>Second <a href=\"/photos/1\">photo</a> update.</p>", "Second photo update.");

  fixture_item(&e[2], 3, "tag:braid,2011:bbc/café", FIXTURE_T_2000, "Café ünïcödé 日本 & <friends>",
               "https://bbc.example/news/cafe?a=1&b=2", 2);
  e[2].item_id = fixture_dup("https://bbc.example/news/cafe"); /* as the store sets it */
  e[2].author = fixture_dup("José O'Brien");
  e[2].html = fixture_dup("<p>日本語 and café.</p>");
  e[2].text = fixture_dup("日本語 and café.");
  fixture_source(&e[2].sources[0], "bbc", "BBC News", "https://bbc.example/",
                 "https://bbc.example/rss.xml", "https://bbc.example/news/cafe?a=1&b=2");
  fixture_source(&e[2].sources[1], "guardian", "The Guardian", "https://guardian.example/",
                 "https://guardian.example/rss", "https://guardian.example/world/cafe");

  fixture_item(&e[3], 2, "tag:braid,2011:hostile/1", FIXTURE_T_1900,
               "Hostile </title><script>alert(1)</script>", "https://hostile.example/post/1", 1);
  e[3].html = fixture_dup("<script>alert('x')</script><img src=\"pic.png\" onerror=\"alert(2)\">"
                          "<a href=\"javascript:alert(3)\">click</a><p>safe text</p>"
                          "<iframe srcdoc=\"&lt;script&gt;\"></iframe>");
  fixture_source(&e[3].sources[0], "hostile", NULL, "javascript:alert(4)",
                 "https://hostile.example/feed", "javascript:alert(5)");

  e[4].seq = 1;
  e[4].time = FIXTURE_T_1800;
  e[4].text = fixture_dup("Only text here, no title and no link.");
}

#endif
