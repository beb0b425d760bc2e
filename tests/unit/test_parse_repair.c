/* test_parse_repair.c — xmlrepair: broken '&', '<' and attributes mended, valid XML untouched,
 * whatever the push boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "xmlrepair.h"

/* Repairs doc pushed in pieces of `chunk` bytes; returns the concatenated output. */
static char *repair(const char *doc, size_t chunk, size_t *ret_repairs) {
  struct xml_repair x;
  xml_repair_init(&x);
  struct buf all;
  buf_init(&all, 0);
  size_t len = strlen(doc);
  for (size_t i = 0; i <= len; i += chunk) {
    size_t n = len - i < chunk ? len - i : chunk;
    const char *out;
    size_t outlen;
    assert_int_equal(xml_repair(&x, doc + i, n, i + n >= len, &out, &outlen), 0);
    assert_int_equal(buf_append(&all, out, outlen), 0);
    if (i + n >= len)
      break;
  }
  if (ret_repairs)
    *ret_repairs = x.repairs;
  xml_repair_clear(&x);
  return buf_steal(&all);
}

static void check(const char *in, const char *want, size_t want_repairs) {
  for (size_t chunk = 1; chunk <= strlen(in) + 1; chunk++) {
    size_t repairs;
    char *out = repair(in, chunk, &repairs);
    if (strcmp(out, want) != 0)
      fail_msg("chunk %zu: \"%s\" -> \"%s\", want \"%s\"", chunk, in, out, want);
    if (repairs != want_repairs)
      fail_msg("chunk %zu: \"%s\": %zu repairs, want %zu", chunk, in, repairs, want_repairs);
    free(out);
  }
}

static void test_wellformed_untouched(void **state) {
  (void)state;
  const char *docs[] = {
      "<?xml version=\"1.0\"?><rss><title>a &amp; b &#233; &#x263A; &nbsp; &lt;</title></rss>",
      "<a><![CDATA[AT&T < 3 & <b> ]]> ]] ]>]]></a>",
      "<a><!-- AT&T < 3 -- > --></a><?pi a & b < c ?>",
      "<!DOCTYPE rss [ <!ENTITY x \"a & ] > b\"> <!ENTITY y 'c'> ]><rss>&x;</rss>",
      "<a href=\"x?a=1&amp;b=2\" t='it&apos;s'>&#10;</a>",
      "<\xc3\xa9l\xc3\xa9ment attr=\"v\"/>",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    check(docs[i], docs[i], 0);
}

static void test_repairs(void **state) {
  (void)state;
  check("<t>AT&T & co</t>", "<t>AT&amp;T &amp; co</t>", 2);
  check("<t>a < b, <3, x<=y</t>", "<t>a &lt; b, &lt;3, x&lt;=y</t>", 3);
  check("<l>http://x/?a=1&b=2</l>", "<l>http://x/?a=1&amp;b=2</l>", 1);
  check("<a href=\"?a=1&b=2\">", "<a href=\"?a=1&amp;b=2\">", 1);
  check("<a href=x/y.html title=t>", "<a href=\"x/y.html\" title=\"t\">", 4);
  check("<img src=i.png/>", "<img src=\"i.png\"/>", 2);
  check("<t>&#xZZ; &#; &</t>", "<t>&amp;#xZZ; &amp;#; &amp;</t>", 3);
  check("<t>end <", "<t>end &lt;", 1);
  /* an unclosed quote ends at the next tag: what follows is still read as markup */
  check("<a href=\"x><b>AT&T</b><![CDATA[&]]>", "<a href=\"x><b>AT&amp;T</b><![CDATA[&]]>", 1);
  check("<a href=x<b>", "<a href=\"x\"<b>", 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wellformed_untouched),
      cmocka_unit_test(test_repairs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
