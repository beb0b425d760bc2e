/* test_uptitle.c — an update's title from its headline or first sentence (uptitle.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "uptitle.h"

static void want(const char *headline, const char *html, const char *text, const char *expect) {
  char *t = NULL;
  assert_int_equal(uptitle(headline, html, text, &t), 0);
  if (expect == NULL ? t != NULL : t == NULL || strcmp(t, expect) != 0)
    fail_msg("uptitle(%s, %s, %s) = \"%s\", want \"%s\"", headline ? headline : "NULL",
             html ? html : "NULL", text ? text : "NULL", t ? t : "NULL",
             expect ? expect : "NULL");
  free(t);
}

static size_t chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void test_headline_first(void **state) {
  (void)state;
  want("  Bridge \n closed ", "<h2>Other</h2><p>x</p>", "x", "Bridge closed");
  want(NULL, "<div>\n <h3 class=\"t\">Power back in <em>Leeds</em></h3><p>Body.</p></div>",
       "Power back in Leeds Body.", "Power back in Leeds");
  want(NULL, "<article id=\"b1\"><time datetime=\"2026-12-03T10:00Z\">10:00</time>"
       "<h3>After the stamp</h3><p>Text.</p></article>", NULL, "After the stamp");
  want(NULL, "<p><strong>Schools shut</strong> All schools in the county close.</p>", NULL,
       "Schools shut");
  /* A label is not a headline; a headline after text is not leading. */
  want(NULL, "<p><strong>Update:</strong> Winds ease. More later.</p>", NULL, "Update: Winds ease");
  want(NULL, "<p>Rain. <h2>Late</h2></p>", "Rain. Late", "Rain");
  want("", NULL, "", NULL);
  want(NULL, NULL, NULL, NULL);
}

static void test_first_sentence(void **state) {
  (void)state;
  want(NULL, NULL, "Mr. Smith and Dr. Jones met at 3.30 in St. Ives. Then they left.",
       "Mr. Smith and Dr. Jones met at 3.30 in St. Ives");
  want(NULL, NULL, "Is the bridge open? Not yet.", "Is the bridge open?");
  want(NULL, NULL, "No stop at all", "No stop at all");
}

static void test_cut(void **state) {
  (void)state;
  const char *longer =
      "Emergency services across the region say that the clean-up after the storm will take "
      "weeks, and that roads remain closed. Next.";
  char *t = NULL;
  assert_int_equal(uptitle(NULL, NULL, longer, &t), 0);
  assert_true(chars(t) <= BRAID_UPTITLE_MAX_CHARS);
  assert_string_equal(t, "Emergency services across the region say that the clean-up after "
                         "the storm will take weeks, and\xe2\x80\xa6");
  free(t);
  /* Multi-byte letters are counted as characters and never split. */
  char many[400] = "";
  for (int i = 0; i < 60; i++)
    strcat(many, "\xc3\xa9t\xc3\xa9 ");
  assert_int_equal(uptitle(NULL, NULL, many, &t), 0);
  assert_true(chars(t) <= BRAID_UPTITLE_MAX_CHARS);
  assert_non_null(strstr(t, "\xc3\xa9t\xc3\xa9\xe2\x80\xa6"));
  free(t);
  /* One word longer than the cap is cut inside it. */
  char word[300];
  memset(word, 'a', 250);
  word[250] = '\0';
  assert_int_equal(uptitle(word, NULL, NULL, &t), 0);
  assert_int_equal(chars(t), BRAID_UPTITLE_MAX_CHARS);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_headline_first),
      cmocka_unit_test(test_first_sentence),
      cmocka_unit_test(test_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
