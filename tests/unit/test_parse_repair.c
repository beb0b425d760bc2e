/* test_parse_repair.c — xmlrepair: broken '&', '<' and attributes mended, valid XML untouched,
 * whatever the push boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "xmlrepair.h"

/* Repairs doc pushed in pieces of `chunk` bytes (element text rewritten as CDATA if
 * cdata_text); returns the concatenated output. */
static char *repair(const char *doc, size_t chunk, bool cdata_text, size_t *ret_repairs) {
  struct xml_repair x;
  xml_repair_init(&x);
  x.cdata_text = cdata_text;
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

/* s with every CDATA section written as escaped text: what a SAX reader sees, whichever
 * sections a push boundary split or closed. */
static char *as_text(const char *s) {
  struct buf b;
  buf_init(&b, 0);
  while (*s) {
    if (strncmp(s, "<![CDATA[", 9) != 0) {
      assert_int_equal(buf_append_char(&b, *s++), 0);
      continue;
    }
    for (s += 9; *s && strncmp(s, "]]>", 3) != 0; s++) {
      const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;"
                    : *s == '"' ? "&quot;" : *s == '\'' ? "&apos;" : NULL;
      assert_int_equal(e ? buf_append_str(&b, e) : buf_append_char(&b, *s), 0);
    }
    s += *s ? 3 : 0;
  }
  return buf_steal(&b);
}

/* Pushed whole, in must come out as want; pushed in pieces of every size, the same text
 * (with cdata_text, a push boundary also closes braid's CDATA section). */
static void check_mode(const char *in, const char *want, size_t want_repairs, bool cdata_text) {
  char *want_text = as_text(want);
  for (size_t chunk = 1; chunk <= strlen(in) + 1; chunk++) {
    size_t repairs;
    char *out = repair(in, chunk, cdata_text, &repairs);
    char *out_text = as_text(out);
    bool exact = chunk > strlen(in) || !cdata_text;
    if (exact ? strcmp(out, want) != 0 : strcmp(out_text, want_text) != 0)
      fail_msg("chunk %zu: \"%s\" -> \"%s\", want \"%s\"", chunk, in, out, want);
    if (repairs != want_repairs)
      fail_msg("chunk %zu: \"%s\": %zu repairs, want %zu", chunk, in, repairs, want_repairs);
    free(out_text);
    free(out);
  }
  free(want_text);
}

static void check(const char *in, const char *want, size_t want_repairs) {
  check_mode(in, want, want_repairs, false);
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

/* The feed parser's mode: predefined entities in element text reach libxml2 as CDATA. */
static void test_cdata_text(void **state) {
  (void)state;
  /* a section holds the references and the text between them; the text after the last one
   * stays text, so libxml2 reads (and reports) it as it would have */
  check_mode("<a>x &lt;p&gt; y</a>", "<a>x <![CDATA[<p>]]> y</a>", 0, true);
  check_mode("<r>&lt;b&gt;x&lt;/b&gt;.</r>", "<r><![CDATA[<b>x</b>]]>.</r>", 0, true);
  /* a long run between two references goes on as text (libxml2 reads text faster) */
  check_mode("<r>&lt;p&gt;0123456789012345678901234567890123456789&lt;/p&gt;</r>",
             "<r><![CDATA[<p>]]>0123456789012345678901234567890123456789<![CDATA[</p>]]></r>", 0,
             true);
  check_mode("<r>&amp;&quot;&apos;</r>", "<r><![CDATA[&\"']]></r>", 0, true);
  /* not before the root element nor after it (libxml2 reports text there), nor in attributes,
   * comments, PIs or the document's own CDATA sections */
  check_mode("&lt;<r a=\"&lt;\"><!-- &lt; --><?p &lt;?><![CDATA[&lt;]]>&lt;</r>&lt;",
             "&lt;<r a=\"&lt;\"><!-- &lt; --><?p &lt;?><![CDATA[&lt;]]><![CDATA[<]]></r>&lt;",
             0, true);
  check_mode("<r><b/><c x='/'>&gt;</c></r>&gt;", "<r><b/><c x='/'><![CDATA[>]]></c></r>&gt;", 0,
             true);
  /* ']' and CR end a section: no "]]>" inside one, and CR is left to libxml2's line ends */
  check_mode("<r>&lt;]]&gt;x</r>", "<r><![CDATA[<]]>]]<![CDATA[>]]>x</r>", 0, true);
  check_mode("<r>&lt;\r\nx</r>", "<r><![CDATA[<]]>\r\nx</r>", 0, true);
  check_mode("<r>&lt;a]]>b&gt;</r>", "<r><![CDATA[<]]>a]]>b<![CDATA[>]]></r>", 0, true);
  /* other references stay references; a bare '&' is still mended */
  check_mode("<r>&lt;&#233;&nbsp;&amp;</r>", "<r><![CDATA[<]]>&#233;&nbsp;<![CDATA[&]]></r>", 0,
             true);
  check_mode("<r>&lt;AT&T</r>", "<r><![CDATA[<]]>AT&amp;T</r>", 1, true);
  /* after a tag broken off by '<', or "<!" in content, libxml2 recovers its own way: the rest
   * is left as it is */
  check_mode("<r>&lt;<a b=\"<c>&lt;</c></r>", "<r><![CDATA[<]]><a b=\"<c>&lt;</c></r>", 0, true);
  check_mode("<r><a <b>&lt;</b></r>", "<r><a <b>&lt;</b></r>", 0, true);
  check_mode("<r><!x>&lt;</r>", "<r><!x>&lt;</r>", 0, true);
  /* a document that ends inside the text still closes the section */
  check_mode("<r>&lt;abc", "<r><![CDATA[<]]>abc", 0, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wellformed_untouched),
      cmocka_unit_test(test_repairs),
      cmocka_unit_test(test_cdata_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
