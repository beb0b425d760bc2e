/* test_stamp.c — the stamp grammar itself: where the stamp as written begins and ends, where
 * the update's text begins, the clock, the zone text and the date; plus the splitter's caps
 * and its behaviour on hostile bodies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "liveblog.h"
#include "stamp.h"

struct row {
  const char *text;
  const char *stamp; /* NULL: not a stamp */
  const char *body;
  int hour, minute;
  const char *zone;
  int year, month, day;
};

static const struct row ROWS[] = {
    {"2120 GMT: Back from a break", "2120 GMT", "Back from a break", 21, 20, "GMT", 0, 0, 0},
    {"21:20 GMT Back", "21:20 GMT", "Back", 21, 20, "GMT", 0, 0, 0},
    {"9.20pm GMT: x", "9.20pm GMT", "x", 21, 20, "GMT", 0, 0, 0},
    {"9:20 p.m. ET: x", "9:20 p.m. ET", "x", 21, 20, "ET", 0, 0, 0},
    {"12:01 a.m. \xe2\x80\x94 Late news", "12:01 a.m.", "Late news", 0, 1, "", 0, 0, 0},
    {"Posted at 14:52", "14:52", "", 14, 52, "", 0, 0, 0},
    {"UPDATE: 2120 GMT - Back", "2120 GMT", "Back", 21, 20, "GMT", 0, 0, 0},
    {"Updated at 10.32am GMT", "10.32am GMT", "", 10, 32, "GMT", 0, 0, 0},
    {"[14:52] Tanks", "14:52", "Tanks", 14, 52, "", 0, 0, 0},
    {"14:52 (GMT+3) Tanks", "14:52 (GMT+3)", "Tanks", 14, 52, "GMT+3", 0, 0, 0},
    {"14:52 Europe/Kyiv: Tanks", "14:52 Europe/Kyiv", "Tanks", 14, 52, "Europe/Kyiv", 0, 0, 0},
    {"14:52 Kyiv time: Tanks", "14:52 Kyiv time", "Tanks", 14, 52, "Kyiv time", 0, 0, 0},
    {"14:52 local time: x", "14:52 local time", "x", 14, 52, "", 0, 0, 0},
    {"8 Nov 2011 14:52 - x", "8 Nov 2011 14:52", "x", 14, 52, "", 2011, 11, 8},
    {"Tue 8 Nov 14.52 GMT x", "Tue 8 Nov 14.52 GMT", "x", 14, 52, "GMT", 0, 11, 8},
    {"Nov. 8, 2:52 p.m.: x", "Nov. 8, 2:52 p.m.", "x", 14, 52, "", 0, 11, 8},
    {"November 8, 2011 2:52pm - x", "November 8, 2011 2:52pm", "x", 14, 52, "", 2011, 11, 8},
    {"Nov 8, 2120 GMT: x", "Nov 8, 2120 GMT", "x", 21, 20, "GMT", 0, 11, 8},
    {"14:52 GMT, 8 November 2011: x", "14:52 GMT, 8 November 2011", "x", 14, 52, "GMT", 2011, 11, 8},
    {"Tuesday, November 8, 2011 at 21:30", "Tuesday, November 8, 2011 at 21:30", "", 21, 30, "", 2011, 11, 8},
    {"2011-11-08 14:52 GMT: x", "2011-11-08 14:52 GMT", "x", 14, 52, "GMT", 2011, 11, 8},
    {"3 hours ago 10:02am AEDT", "10:02am AEDT", "", 10, 2, "AEDT", 0, 0, 0},
    {"2011: a year", "2011", "a year", 20, 11, "", 0, 0, 0},
    {"1430hrs: Curfew", "1430hrs", "Curfew", 14, 30, "", 0, 0, 0},
    {"14.30 Uhr: Ausgangssperre", "14.30 Uhr", "Ausgangssperre", 14, 30, "", 0, 0, 0},
    {"14:30 hrs IST - Curfew", "14:30 hrs IST", "Curfew", 14, 30, "IST", 0, 0, 0},
    {"2:52 p.m. Eastern: Polls", "2:52 p.m. Eastern", "Polls", 14, 52, "Eastern", 0, 0, 0},
    {"2h ago 14:52 GMT", "14:52 GMT", "", 14, 52, "GMT", 0, 0, 0},
    {"Today, 2:52 pm", "2:52 pm", "", 14, 52, "", 0, 0, 0},
    {"\xe2\x80\xa2 14:52 GMT: bullet", "14:52 GMT", "bullet", 14, 52, "GMT", 0, 0, 0},
    {"Noon ET: Polls open", "Noon ET", "Polls open", 12, 0, "ET", 0, 0, 0},
    {"midnight: Curfew", "midnight", "Curfew", 0, 0, "", 0, 0, 0},
    /* a post's byline before its stamp, glued by the text walk or not */
    {"By Jane Roe, CNN4:05 p.m. ET, December 2, 2026", "4:05 p.m. ET, December 2, 2026", "", 16, 5,
     "ET", 2026, 12, 2},
    {"By R. Okafor | 21:05 GMT Vote", "21:05 GMT", "Vote", 21, 5, "GMT", 0, 0, 0},
    {"by Ana de la Cruz, March 4, 2026 2:15 PM ET", "March 4, 2026 2:15 PM ET", "", 14, 15, "ET", 2026,
     3, 4},
    /* sentences that open with "By" and a time are prose */
    {"By Monday 6am, the river had crested", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"By 9 p.m. the chamber had voted", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"By then 300 people had fled by 9pm", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"By March 4, 2026 2:15 PM the roads had closed", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"By noon. Then at 4pm the rain", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"Midnight deadline passes", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"Nov 8, 2023, 2:52 PM ET", "Nov 8, 2023, 2:52 PM ET", "", 14, 52, "ET", 2023, 11, 8},
    {"2023-11-08T14:52:00Z Text", "2023-11-08T14:52:00Z", "Text", 14, 52, "Z", 2023, 11, 8},
    {"14:52 GMT 8 Nov 2023", "14:52 GMT 8 Nov 2023", "", 14, 52, "GMT", 2023, 11, 8},
    /* issue 12: the families outlets write */
    {"+++ 22.37 Uhr: Bahn streicht Z\xc3\xbcge +++", "22.37 Uhr", "Bahn streicht Z\xc3\xbcge +++", 22, 37, "", 0, 0, 0},
    {"Bengaluru | 11:45 am Counting", "11:45 am", "Counting", 11, 45, "", 0, 0, 0},
    {"3. 14:05 Headline", "14:05", "Headline", 14, 5, "", 0, 0, 0},
    {"ore 18:40 - Il convoglio", "18:40", "Il convoglio", 18, 40, "", 0, 0, 0},
    {"25.02.22 | 10:35 | Headline", "25.02.22 | 10:35", "Headline", 10, 35, "", 2022, 2, 25},
    {"23.06.2022 \xe2\x80\xa2 14:05 Uhr", "23.06.2022 \xe2\x80\xa2 14:05 Uhr", "", 14, 5, "", 2022, 6, 23},
    {"6/24/2022 6:26:49 PM", "6/24/2022 6:26:49 PM", "", 18, 26, "", 2022, 6, 24},
    {"8/30/13 4:20 PM ET Text", "8/30/13 4:20 PM ET", "Text", 16, 20, "ET", 2013, 8, 30},
    {"Le 23/06 \xc3\xa0 06:04 Texte", "23/06 \xc3\xa0 06:04", "Texte", 6, 4, "", 0, 6, 23},
    {"23. Juni, 14.05 Uhr: Text", "23. Juni, 14.05 Uhr", "Text", 14, 5, "", 0, 6, 23},
    {"23 de junio, 15:30", "23 de junio, 15:30", "", 15, 30, "", 0, 6, 23},
    {"8 outubro 2023, 18h20", "8 outubro 2023, 18h20", "", 18, 20, "", 2023, 10, 8},
    {"14:05, 23 giugno 2022 - Via", "14:05, 23 giugno 2022", "Via", 14, 5, "", 2022, 6, 23},
    {"published at 14:05 British Summer Time 5 September 2018",
     "14:05 British Summer Time 5 September 2018", "", 14, 5, "British Summer Time", 2018, 9, 5},
    {"10:05 p.m. Eastern Time: Georgia", "10:05 p.m. Eastern Time", "Georgia", 22, 5, "Eastern Time", 0, 0, 0},
    {"14:05 heure de Paris \xe2\x80\x93 Texte", "14:05 heure de Paris", "Texte", 14, 5, "heure de Paris", 0, 0, 0},
    {"18:20 Beirut Time: Shelling", "18:20 Beirut Time", "Shelling", 18, 20, "Beirut Time", 0, 0, 0},
    {"16.40 Uhr MESZ: Beschlossen", "16.40 Uhr MESZ", "Beschlossen", 16, 40, "MESZ", 0, 0, 0},
    {"2 Uhr: Das Ergebnis", "2 Uhr", "Das Ergebnis", 2, 0, "", 0, 0, 0},
    {"9am: Voters", "9am", "Voters", 9, 0, "", 0, 0, 0},
    {"4m ago 03.35 EDT", "03.35 EDT", "", 3, 35, "EDT", 0, 0, 0},
    {"33m ago / 6:17 AM UTC", "6:17 AM UTC", "", 6, 17, "UTC", 0, 0, 0},
    {"vor 5 Min. 14.52 Uhr", "14.52 Uhr", "", 14, 52, "", 0, 0, 0},
    {"Hace 8 minutos / 14:05 ET", "14:05 ET", "", 14, 5, "ET", 0, 0, 0},
    {"h\xc3\xa1 3 minutos \xc2\xb7 21:02", "21:02", "", 21, 2, "", 0, 0, 0},
    {"17:35 2h ago Headline", "17:35", "Headline", 17, 35, "", 0, 0, 0},
    {"5.48pm BST/12.48pm ET Protesters", "5.48pm BST/12.48pm ET", "Protesters", 17, 48, "BST", 0, 0, 0},
    {"1:15pm NZDT (7:15pm EST) First", "1:15pm NZDT (7:15pm EST)", "First", 13, 15, "NZDT", 0, 0, 0},
    {"21:50 una hora m\xc3\xa1s", "21:50", "una hora m\xc3\xa1s", 21, 50, "", 0, 0, 0},
    {"03:42 , Laura G\xc3\xb3mez", "03:42", "", 3, 42, "", 0, 0, 0},
    {"22h45 : Titre", "22h45", "Titre", 22, 45, "", 0, 0, 0},
    /* not stamps */
    {"9:05 the polls open", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"Out 5 of 10 voters", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"14.05 million voters", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"2011 was a year", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"2011, the year", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"At 1430 GMT the army", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"24:00 GMT: x", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"23:60 GMT: x", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"0:30pm: x", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"13pm: x", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"UPDATE 3-Syria", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"3.45 million fled", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"12 killed in Homs", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"30 Feb 2011 10:00 GMT: x", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"Tuesday, November 8, 2011", NULL, NULL, 0, 0, NULL, 0, 0, 0},
    {"", NULL, NULL, 0, 0, NULL, 0, 0, 0},
};

static void test_grammar(void **state) {
  (void)state;
  int failed = 0;
  for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
    const struct row *w = &ROWS[i];
    struct stamp st;
    int r = stamp_parse(w->text, strlen(w->text), &st);
    char got[160];
    if (r != 0) {
      snprintf(got, sizeof got, "no stamp");
    } else {
      snprintf(got, sizeof got, "[%.*s] body [%s] %02d:%02d zone [%.*s] %d-%d-%d", (int)st.len,
               w->text + st.start, w->text + st.body, st.hour, st.minute, (int)st.zone_len,
               w->text + st.zone_off, st.year, st.month, st.day);
    }
    char want[160];
    if (!w->stamp)
      snprintf(want, sizeof want, "no stamp");
    else
      snprintf(want, sizeof want, "[%s] body [%s] %02d:%02d zone [%s] %d-%d-%d", w->stamp, w->body,
               w->hour, w->minute, w->zone, w->year, w->month, w->day);
    if (strcmp(got, want) != 0) {
      print_error("\"%s\": got %s, want %s\n", w->text, got, want);
      failed++;
    }
  }
  if (failed)
    fail_msg("%d rows failed", failed);
}

static void test_date_line(void **state) {
  (void)state;
  int y, m, d;
  assert_int_equal(stamp_parse_date_line("Tuesday, November 8, 2011 at 21:30", 34, &y, &m, &d), 0);
  assert_int_equal(y * 10000 + m * 100 + d, 20111108);
  assert_int_equal(stamp_parse_date_line("Monday 6 February 2012", 22, &y, &m, &d), 0);
  assert_int_equal(y * 10000 + m * 100 + d, 20120206);
  assert_int_equal(stamp_parse_date_line("Issue No. 2293", 14, &y, &m, &d), -EINVAL);
  assert_int_equal(stamp_parse_date_line("8 November", 10, &y, &m, &d), -EINVAL);
  assert_int_equal(stamp_parse_day_heading("Monday 7 November", 17, &y, &m, &d), 0);
  assert_int_equal(y * 10000 + m * 100 + d, 1107);
  assert_int_equal(stamp_parse_day_heading("8 Nov 2011:", 11, &y, &m, &d), 0);
  assert_int_equal(y * 10000 + m * 100 + d, 20111108);
  assert_int_equal(stamp_parse_day_heading("8 November was quiet", 20, &y, &m, &d), -EINVAL);
}

static void test_body_cap_is_named(void **state) {
  (void)state;
  size_t len = (size_t)BRAID_SPLIT_MAX_BODY_BYTES + 1;
  char *big = malloc(len);
  assert_non_null(big);
  memset(big, 'a', len);
  struct split_options opt = {.mode = LIVEBLOG_AUTO};
  struct liveblog *lb = NULL;
  char err[200] = "";
  assert_int_equal(liveblog_split(big, len, &opt, &lb, err, sizeof err), -E2BIG);
  assert_null(lb);
  assert_non_null(strstr(err, "BRAID_SPLIT_MAX_BODY_BYTES"));
  free(big);
}

/* Bodies past the block and update caps are refused with the cap's name. */
static void test_block_and_update_caps_are_named(void **state) {
  (void)state;
  struct {
    const char *unit, *cap;
    size_t count;
  } cases[] = {{"<p>x</p>", "BRAID_SPLIT_MAX_BLOCKS", BRAID_SPLIT_MAX_BLOCKS + 1},
               {"<p>1200 GMT: x</p>", "BRAID_SPLIT_MAX_UPDATES", BRAID_SPLIT_MAX_UPDATES + 1}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    size_t unit = strlen(cases[k].unit), len = unit * cases[k].count;
    char *body = malloc(len);
    assert_non_null(body);
    for (size_t i = 0; i < cases[k].count; i++)
      memcpy(body + i * unit, cases[k].unit, unit);
    struct split_options opt = {.mode = LIVEBLOG_AUTO};
    struct liveblog *lb = NULL;
    char err[200] = "";
    assert_int_equal(liveblog_split(body, len, &opt, &lb, err, sizeof err), -E2BIG);
    if (!strstr(err, cases[k].cap))
      fail_msg("error \"%s\" does not name %s", err, cases[k].cap);
    free(body);
  }
}

static void test_bad_zone_is_refused(void **state) {
  (void)state;
  struct split_options opt = {.mode = LIVEBLOG_AUTO, .tz = "../../etc/passwd"};
  struct liveblog *lb = NULL;
  char err[200] = "";
  assert_int_equal(liveblog_split("<p>x</p>", 8, &opt, &lb, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "time zone"));
}

/* Deep nesting, unclosed tags, NULs, broken UTF-8 and empty bodies split without harm. */
static void test_hostile_bodies(void **state) {
  (void)state;
  struct split_options opt = {.mode = LIVEBLOG_ALWAYS, .has_post_date = true, .post_date = 1320787800};
  size_t n = 20000;
  char *deep = malloc(n * 5 + 64);
  assert_non_null(deep);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += (size_t)sprintf(deep + k, "<div>");
  k += (size_t)sprintf(deep + k, "<p>2120 GMT: deep</p>");
  const char *bodies[] = {"", "<", "<p>", "<p>2120 GMT:", "\xff\xfe<p>2120 GMT: \xc3(</p>",
                          "<table><tr><td>2120 GMT: a<td>1703 GMT: b</table>",
                          "<p>2120 GMT: a<br><br><br><br>1703 GMT: b</p>", deep};
  size_t lens[] = {0, 1, 3, 12, 22, 49, 45, k};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    struct liveblog *lb = NULL;
    char err[200];
    int r = liveblog_split(bodies[i], lens[i], &opt, &lb, err, sizeof err);
    if (r != 0)
      fail_msg("body %zu: liveblog_split = %d (%s)", i, r, err);
    liveblog_free(lb);
  }
  /* A NUL inside the body is just a byte. */
  static const char nul[] = "<p>2120 GMT: a</p>\0<p>1703 GMT: b</p>";
  struct liveblog *lb = NULL;
  assert_int_equal(liveblog_split(nul, sizeof nul - 1, &opt, &lb, NULL, 0), 0);
  liveblog_free(lb);
  lb = NULL;
  assert_int_equal(liveblog_split(NULL, 0, &opt, &lb, NULL, 0), 0);
  assert_false(lb->is_liveblog);
  liveblog_free(lb);
  liveblog_free(NULL);
  free(deep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grammar),
      cmocka_unit_test(test_date_line),
      cmocka_unit_test(test_body_cap_is_named),
      cmocka_unit_test(test_block_and_update_caps_are_named),
      cmocka_unit_test(test_bad_zone_is_refused),
      cmocka_unit_test(test_hostile_bodies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
