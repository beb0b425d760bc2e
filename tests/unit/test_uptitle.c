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

/* Real page shapes (tests/fixtures/liveblog): a "headline" that is only the stamp or a
 * flag names nothing; the splitter's first block is a headline without a full stop. */
static void test_page_shapes(void **state) {
  (void)state;
  want(NULL, "<div><h4><strong>11:35 AM, November 7</strong></h4><p>Networks call it.</p></div>",
       "Networks call it.", "Networks call it");
  want("Breaking", "<p>Court rules.</p>", "Court rules.", "Court rules");
  want("10:15 GMT", NULL, "Ferries stop. More soon.", "Ferries stop");
  want(NULL, "<div><p><time datetime=\"2023-10-17T22:30Z\">23:30</time> <span>23:30</span></p>"
       "<h3>x</h3></div>", "Crossing to open at dawn\n\nOfficials say the gate opens at 7am.",
       "Crossing to open at dawn");
  /* A first block of one or two words is not taken for a headline. */
  want(NULL, NULL, "Syria\n\nProtests in the capital.", "Syria Protests in the capital");
  want(NULL, NULL, "The opposition is still peaceful:\n\nA quoted tweet", "The opposition is still peaceful");
}

static void distinct(const char *const *in, const char *const *texts, size_t n,
                     const char *const *expect) {
  char *t[8];
  for (size_t i = 0; i < n; i++)
    t[i] = in[i] ? strdup(in[i]) : NULL;
  assert_int_equal(uptitle_distinct(t, texts, n), 0);
  for (size_t i = 0; i < n; i++) {
    if (expect[i] == NULL)
      assert_null(t[i]);
    else
      assert_string_equal(t[i], expect[i]);
    free(t[i]);
  }
}

static void test_distinct(void **state) {
  (void)state;
  const char *in[] = {"Syria", "Egypt", "Syria", "Bridge closed", NULL};
  const char *texts[] = {"Syria. Protests in the capital. More.", "Egypt. A court rules.",
                         "Syria. Many marches. Later.", "Bridge closed\n\nTraffic diverted.", NULL};
  const char *expect[] = {"Syria. Protests in the capital", "Egypt. A court rules",
                          "Syria. Many marches", "Bridge closed", NULL};
  distinct(in, texts, 5, expect);
  /* Two updates with the same words stay as they are; a single title is left alone. */
  const char *same[] = {"Quiet night", "Quiet night"};
  const char *same_texts[] = {"Quiet night.", "Quiet night."};
  distinct(same, same_texts, 2, same);
  const char *one[] = {"Rain"};
  const char *one_text[] = {"Rain, then sun."};
  distinct(one, one_text, 1, one);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_headline_first),
      cmocka_unit_test(test_first_sentence),
      cmocka_unit_test(test_cut),
      cmocka_unit_test(test_page_shapes),
      cmocka_unit_test(test_distinct),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
