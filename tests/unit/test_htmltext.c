/* test_htmltext.c — HTML to plain text, and HTML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
  buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tags_and_entities),
      cmocka_unit_test(test_blocks_and_space),
      cmocka_unit_test(test_cap),
      cmocka_unit_test(test_escape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
