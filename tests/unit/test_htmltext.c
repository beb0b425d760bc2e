/* test_htmltext.c — HTML to plain text, and HTML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entities.h"
#include "htmllinks.h"
#include "htmltext.h"

static void want(const char *html, int single, size_t cap, const char *expect) {
  char *t = NULL;
  assert_int_equal(htmltext(html, strlen(html), single, cap, &t, NULL), 0);
  if (strcmp(t, expect) != 0)
    fail_msg("htmltext(\"%s\") = \"%s\", want \"%s\"", html, t, expect);
  free(t);
}

static void test_tags_and_entities(void **state) {
  (void)state;
  want("<p>Hello <b>world</b></p>", 0, 0, "Hello world");
  want("Caf&eacute; &amp; &lt;bar&gt; &#233;&#x263a; &mdash;", 1, 0, "Café & <bar> é☺ —");
  want("a &unknown; b &amp c", 1, 0, "a &unknown; b &amp c");
  want("1 < 2 and 3 > 2", 1, 0, "1 < 2 and 3 > 2");
  want("<a href=\"x>y\">link</a> text", 1, 0, "link text");
  want("x<!-- <p>comment</p> -->y", 1, 0, "xy");
  want("<script>var a = '<p>';</script><style>p{}</style>visible", 1, 0, "visible");
}

static void test_blocks_and_space(void **state) {
  (void)state;
  want("  <p>one\n  two</p><p>three</p><br>four<li>five</li>  ", 0, 0,
       "one two\nthree\nfour\nfive");
  want("<p>one</p><p>three</p>", 1, 0, "one three");
  want("a&nbsp;&nbsp;b", 1, 0, "a b");
  want("", 0, 0, "");
}

static void test_cap(void **state) {
  (void)state;
  char *t = NULL;
  int cut = 0;
  assert_int_equal(htmltext("<p>é é é é</p>", 19, 1, 4, &t, &cut), 0);
  assert_string_equal(t, "é"); /* "é " is 3 bytes, the next é would pass 4 */
  assert_int_equal(cut, 1);
  free(t);
}

static void test_escape(void **state) {
  (void)state;
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(html_escape(&b, "a<b>&\"c\"", 9), 0);
  assert_string_equal(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&quot;");
  buf_clear(&b);
}

static void links(const char *html, const char *want_html) {
  char *out = NULL;
  assert_int_equal(html_resolve_links(html, strlen(html), "http://ex.org/a/b.html", &out), 0);
  if (!want_html) {
    if (out)
      fail_msg("\"%s\" changed to \"%s\"", html, out);
    return;
  }
  if (!out || strcmp(out, want_html) != 0)
    fail_msg("\"%s\" -> \"%s\", want \"%s\"", html, out ? out : "(unchanged)", want_html);
  free(out);
}

static void test_links(void **state) {
  (void)state;
  links("<a href=\"x.html\">x</a>", "<a href=\"http://ex.org/a/x.html\">x</a>");
  links("<IMG SRC='/i.png' alt=\"href=y\">", "<IMG SRC='http://ex.org/i.png' alt=\"href=y\">");
  links("<a title=t href=../up>u</a>", "<a title=t href=http://ex.org/up>u</a>");
  links("<a href=\"http://other.example/\">abs</a> href=\"text.html\"", NULL);
  /* absolute ones (a scheme, then ':') are kept as written beside relative ones resolved */
  links("<a href=\"mailto:me@ex.org\">m</a><img src=\"y.png\"><a href='h+1.x-y:z'>s</a>",
        "<a href=\"mailto:me@ex.org\">m</a><img src=\"http://ex.org/a/y.png\"><a href='h+1.x-y:z'>s</a>");
  links("<a href=\"HTTPS://O.example/x?a=1&amp;b=2\">a</a> <a href=\"1x/y\">n</a>",
        "<a href=\"HTTPS://O.example/x?a=1&amp;b=2\">a</a> <a href=\"http://ex.org/a/1x/y\">n</a>");
  links("<!-- <a href=\"c.html\"> --><p>text</p>", NULL);
  links("a < b, <blockquote cite=\"q\">q</blockquote>",
        "a < b, <blockquote cite=\"http://ex.org/a/q\">q</blockquote>");
}

static void build(const char *ref, const char *base, const char *want_uri) {
  char *out = html_build_uri(ref, base);
  if (!want_uri ? out != NULL : !out || strcmp(out, want_uri) != 0)
    fail_msg("\"%s\" against \"%s\" -> \"%s\", want \"%s\"", ref, base, out ? out : "(NULL)",
             want_uri ? want_uri : "(NULL)");
  free(out);
}

/* IRIs: xmlBuildURI alone refuses bytes above 0x7F and left such links relative */
static void test_build_iri(void **state) {
  (void)state;
  build("\xc3\x80", "http://any.test/", "http://any.test/\xc3\x80");
  build("cr\xc3\xa8me.html?q=\xc3\xa9#\xc3\xa0", "http://ex.org/caf\xc3\xa9/x",
        "http://ex.org/caf\xc3\xa9/cr\xc3\xa8me.html?q=\xc3\xa9#\xc3\xa0");
  build("../b.html", "http://ex.org/\xc3\xa9t\xc3\xa9/a/", "http://ex.org/\xc3\xa9t\xc3\xa9/b.html");
  /* the reference's own escapes stay as written: ours cannot be told from them */
  build("%C3%A9/\xc3\xa0", "http://ex.org/", "http://ex.org/%C3%A9/%C3%A0");
  build("x.html", "http://ex.org/a/", "http://ex.org/a/x.html");
  links("<a href=\"\xc3\xa0.html\">\xc3\xa0</a>", "<a href=\"http://ex.org/a/\xc3\xa0.html\">\xc3\xa0</a>");
}

static void test_utf8_make_valid(void **state) {
  (void)state;
  char *s = strdup("valid caf\xc3\xa9 \xe2\x98\x83 long enough to use the fast path");
  char *before = s;
  assert_int_equal(utf8_make_valid(&s), 0);
  assert_ptr_equal(s, before); /* untouched when valid */
  free(s);
  s = strdup("a\xc3 b\xed\xa0\x80 c\xf0\x9f\x98");
  assert_int_equal(utf8_make_valid(&s), 0);
  assert_string_equal(s, "a\xef\xbf\xbd b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                         "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  free(s);
  s = NULL;
  assert_int_equal(utf8_make_valid(&s), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tags_and_entities),
      cmocka_unit_test(test_blocks_and_space),
      cmocka_unit_test(test_cap),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_links),
      cmocka_unit_test(test_build_iri),
      cmocka_unit_test(test_utf8_make_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
