/* test_render_page.c — the HTML page a person reads (issue 13, item 4): one group per live
 * blog wherever its updates fall in the list, newest first, titled once, with every source once
 * and "N updates"; the stamp printed once per update; the group standing where the blog's
 * newest update would, between the other stories.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "render.h"
#include "test_render_fixture.h"

#define BASE "http://127.0.0.1:8080/"

/* An update of blog (A or B) at t, carried by feed, titled title (NULL: "BLOG — stamp"). */
static void update(struct stream_entry *e, char blog, const char *stamp, int64_t t,
                   const char *feed, const char *title) {
  char buf[128];
  snprintf(buf, sizeof buf, "tag:t:%c:%s", blog, stamp);
  e->id = fixture_dup(buf);
  e->time = e->updated = t;
  snprintf(buf, sizeof buf, "Blog %c — %s", blog, stamp);
  e->title = fixture_dup(title ? title : buf);
  snprintf(buf, sizeof buf, "Blog %c", blog);
  e->item_title = fixture_dup(buf);
  snprintf(buf, sizeof buf, "https://%c.example/live", blog);
  e->item_id = fixture_dup(buf);
  e->stamp = fixture_dup(stamp);
  snprintf(buf, sizeof buf, "<p>update %c %.4s</p>", blog, stamp);
  e->html = fixture_dup(buf);
  e->n_sources = 1;
  e->sources = calloc(1, sizeof *e->sources);
  if (!e->sources)
    abort();
  snprintf(buf, sizeof buf, "https://%s.example/", feed);
  fixture_source(&e->sources[0], feed, feed, buf, NULL, NULL);
}

static void story(struct stream_entry *e, const char *title, int64_t t) {
  e->id = fixture_dup(title);
  e->time = e->updated = t;
  e->title = fixture_dup(title);
  e->text = fixture_dup("story text");
}

static void test_groups_interleaved(void **state) {
  (void)state;
  struct stream_list l = {.n = 6};
  l.entries = calloc(l.n, sizeof *l.entries);
  if (!l.entries)
    abort();
  update(&l.entries[0], 'A', "2120 GMT", FIXTURE_T_2120, "wire", NULL);
  story(&l.entries[1], "Story one", FIXTURE_T_2105 + 300);
  update(&l.entries[2], 'A', "2105 GMT", FIXTURE_T_2105, "wire", "Tanks enter Baba Amr");
  /* The body opens with the stamp, as live blogs write them: the page prints it once. */
  free(l.entries[2].html);
  l.entries[2].html = fixture_dup("<p><strong>2105 GMT</strong>: Tanks roll in.</p>");
  update(&l.entries[3], 'B', "2000 GMT", FIXTURE_T_2000, "desk", NULL);
  story(&l.entries[4], "Story two", FIXTURE_T_1900);
  update(&l.entries[5], 'A', "1800 GMT", FIXTURE_T_1800, "desk", NULL);
  struct buf out;
  buf_init(&out, 0);
  struct render_meta meta = {.title = "t", .self_url = BASE, .base_url = BASE};
  assert_int_equal(render_stream(RENDER_HTML, &meta, &l, &out), 0);
  const char *page = buf_str(&out);
  static const char *const order[] = {
      "<h2><span class=\"live-badge\">Live</span>Blog A</h2>",
      ("<span class=\"count\">3 updates</span> · <a href=\"https://wire.example/\">wire</a>, "
       "<a href=\"https://desk.example/\">desk</a></p>"),
      "<time class=\"stamp\" datetime=\"2011-11-08T21:20:00Z\">2120 GMT</time>",
      "update A 2120</p>",
      ">2105 GMT</time>",
      "<h3>Tanks enter Baba Amr</h3>",
      "<div class=\"body\"><p><strong></strong>Tanks roll in.</p></div>",
      ">1800 GMT</time>",
      "</section>",
      "Story one",
      "<h2><span class=\"live-badge\">Live</span>Blog B</h2>",
      "<span class=\"count\">1 update</span>",
      ">2000 GMT</time>",
      "</section>",
      "Story two",
      "</main>",
  };
  const char *from = page;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const char *at = strstr(from, order[i]);
    if (!at)
      fail_msg("\"%s\" missing or out of order:\n%s", order[i], page);
    from = at + strlen(order[i]);
  }
  /* Each blog once, each stamp once, the blog's title never repeated per update. */
  const char *once[] = {"Blog A</h2>", "Blog B</h2>", "2120 GMT", "2105 GMT", "1800 GMT", "2000 GMT"};
  for (size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
    const char *a = strstr(page, once[i]);
    if (!a || strstr(a + 1, once[i]))
      fail_msg("\"%s\" not exactly once:\n%s", once[i], page);
  }
  if (strstr(page, "Blog A —"))
    fail_msg("an update repeats the blog's title:\n%s", page);
  buf_clear(&out);
  stream_list_clear(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_groups_interleaved)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
