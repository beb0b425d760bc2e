/* test_split_stamps.c — stamp styles and date resolution, end to end through liveblog_split:
 * each row is a small HTML body, the post's date and zone, and the exact UTC instants its
 * updates must get (oldest first), or "" when it must not split at all. */
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
#include "civil.h"
#include "liveblog.h"

struct row {
  const char *what;
  const char *html;
  const char *date; /* RFC 3339, NULL for none */
  const char *tz;
  enum liveblog_mode mode;
  const char *want; /* comma-separated instants, oldest first */
};

#define A LIVEBLOG_ALWAYS
#define AUTO LIVEBLOG_AUTO
#define D "2011-11-08T21:30:00Z"

static const struct row ROWS[] = {
    /* the clock styles */
    {"HHMM GMT:", "<p>2120 GMT: Back from a break.</p>", D, NULL, A, "2011-11-08T21:20:00Z"},
    {"HH:MM GMT", "<p>21:20 GMT Back from a break.</p>", D, NULL, A, "2011-11-08T21:20:00Z"},
    {"HH.MM GMT:", "<p>21.20 GMT: Back.</p>", D, NULL, A, "2011-11-08T21:20:00Z"},
    {"h.MMpm GMT", "<p>9.20pm GMT: Back.</p>", D, NULL, A, "2011-11-08T21:20:00Z"},
    {"h:MM p.m. ET in November is EST", "<p>9:20 p.m. ET: Back.</p>", "2011-11-08T23:00:00Z",
     NULL, A, "2011-11-09T02:20:00Z"},
    {"h:MMpm with --tz Europe/London in summer", "<p>9:20pm: Back.</p>", "2011-07-01T22:00:00Z",
     "Europe/London", A, "2011-07-01T20:20:00Z"},
    {"h.MMam: without zone is UTC", "<p>9.20am: Back.</p>", "2011-11-08T10:00:00Z", NULL, A,
     "2011-11-08T09:20:00Z"},
    {"bare HH:MM before a sentence, --tz America/New_York", "<p>21:20 Protesters gather.</p>",
     "2011-11-09T03:00:00Z", "America/New_York", A, "2011-11-09T02:20:00Z"},
    {"bare HH:MM takes the post's own offset", "<p>21:20: Back.</p>",
     "2011-11-08T23:00:00+02:00", NULL, A, "2011-11-08T19:20:00Z"},
    {"12:05am is just after midnight", "<p>12:05am GMT: Late.</p>", "2011-11-08T01:00:00Z", NULL,
     A, "2011-11-08T00:05:00Z"},
    {"12:05pm is just after noon", "<p>12:05pm GMT: Lunch.</p>", "2011-11-08T13:00:00Z", NULL, A,
     "2011-11-08T12:05:00Z"},
    {"hour only with p.m.", "<p>9 p.m. ET: Curfew.</p>", "2011-11-08T23:00:00Z", NULL, A,
     "2011-11-09T02:00:00Z"},
    {"14h52", "<p>14h52 : Départ.</p>", D, NULL, A, "2011-11-08T14:52:00Z"},
    {"military Z", "<p>14:52Z Convoy seen.</p>", D, NULL, A, "2011-11-08T14:52:00Z"},
    {"seconds", "<p>14:52:30 GMT: Shots.</p>", D, NULL, A, "2011-11-08T14:52:00Z"},
    /* words and markup before the stamp */
    {"<strong> stamp", "<p><strong>2120 GMT:</strong> Back.</p>", D, NULL, A,
     "2011-11-08T21:20:00Z"},
    {"Posted at", "<p>Posted at 14:52</p><p>Text.</p>", D, NULL, A, "2011-11-08T14:52:00Z"},
    {"Update: ... -", "<p>Update: 2120 GMT - Back.</p>", D, NULL, A, "2011-11-08T21:20:00Z"},
    {"UPDATE, h:MM p.m.:", "<p>UPDATE, 2:52 p.m.: More.</p>", D, "UTC", A,
     "2011-11-08T14:52:00Z"},
    {"[HH:MM]", "<p>[14:52] Tanks.</p>", D, NULL, A, "2011-11-08T14:52:00Z"},
    {"relative time before the clock", "<p>5 minutes ago 14:52</p><p>Text.</p>", D, NULL, A,
     "2011-11-08T14:52:00Z"},
    {"<time datetime> with zone wins over its text",
     "<p><time datetime=\"2011-11-08T14:52:00+01:00\">14:52</time> Text.</p>", D, NULL, A,
     "2011-11-08T13:52:00Z"},
    {"data-timestamp agreeing with the clock gives the instant",
     "<p><span class=\"date\" data-timestamp=\"1696962600\">9:30 pm</span> x</p>",
     "2023-10-10T22:00:00Z", NULL, A, "2023-10-10T18:30:00Z"},
    {"data-timestamp in milliseconds",
     "<p><span data-timestamp=\"1696962600000\">9:30 pm</span> x</p>",
     "2023-10-10T22:00:00Z", NULL, A, "2023-10-10T18:30:00Z"},
    {"data-timestamp disagreeing with the clock is ignored",
     "<p><span data-timestamp=\"1696962600\">9:41 pm</span> x</p>",
     "2023-10-10T22:00:00Z", NULL, A, "2023-10-10T21:41:00Z"},
    /* zones */
    {"+0100", "<p>14:52 +0100: x</p>", D, NULL, A, "2011-11-08T13:52:00Z"},
    {"+01:00", "<p>14:52 +01:00: x</p>", D, NULL, A, "2011-11-08T13:52:00Z"},
    {"UTC+1", "<p>14:52 UTC+1: x</p>", D, NULL, A, "2011-11-08T13:52:00Z"},
    {"GMT+3", "<p>14:52 GMT+3: x</p>", D, NULL, A, "2011-11-08T11:52:00Z"},
    {"UTC-5", "<p>14:52 UTC-5: x</p>", D, NULL, A, "2011-11-08T19:52:00Z"},
    {"CEST", "<p>14:52 CEST: x</p>", D, NULL, A, "2011-11-08T12:52:00Z"},
    {"EET", "<p>14:52 EET: x</p>", D, NULL, A, "2011-11-08T12:52:00Z"},
    {"BST", "<p>14:52 BST: x</p>", D, NULL, A, "2011-11-08T13:52:00Z"},
    {"MSK in 2011 was +04", "<p>14:52 MSK: x</p>", D, NULL, A, "2011-11-08T10:52:00Z"},
    {"MSK in 2020 is +03", "<p>14:52 MSK: x</p>", "2020-11-08T21:30:00Z", NULL, A,
     "2020-11-08T11:52:00Z"},
    {"AEDT", "<p>2:52 PM AEDT: x</p>", "2020-01-10T05:00:00Z", NULL, A, "2020-01-10T03:52:00Z"},
    {"IST is India's by default", "<p>14:52 IST: x</p>", "2011-11-08T12:00:00Z", NULL, A,
     "2011-11-08T09:22:00Z"},
    {"IST is Israel's for a feed in Asia/Jerusalem", "<p>14:52 IST: x</p>", D, "Asia/Jerusalem",
     A, "2011-11-08T12:52:00Z"},
    {"an unknown region falls back to the feed's zone", "<p>14:52 Mars/Olympus: x</p>", D,
     "Europe/London", A, "2011-11-08T14:52:00Z"},
    {"Kyiv time", "<p>14:52 Kyiv time: x</p>", "2022-03-01T20:00:00Z", NULL, A,
     "2022-03-01T12:52:00Z"},
    {"PT in July is PDT", "<p>2:52 p.m. PT: x</p>", "2011-07-04T22:00:00Z", NULL, A,
     "2011-07-04T21:52:00Z"},
    /* DST edges */
    {"London: the day before clocks go forward", "<p>10:00: x</p>", "2011-03-26T12:00:00Z",
     "Europe/London", A, "2011-03-26T10:00:00Z"},
    {"London: the day clocks go forward", "<p>10:00: x</p>", "2011-03-27T12:00:00Z",
     "Europe/London", A, "2011-03-27T09:00:00Z"},
    {"New York: the day before DST", "<p>10:00 a.m. ET: x</p>", "2011-03-12T16:00:00Z", NULL, A,
     "2011-03-12T15:00:00Z"},
    {"New York: the day DST starts", "<p>10:00 a.m. ET: x</p>", "2011-03-13T16:00:00Z", NULL, A,
     "2011-03-13T14:00:00Z"},
    {"New York: DST ends, 1:30 a.m. read the first time", "<p>1:30 a.m.: x</p>",
     "2011-11-06T05:00:00Z", "America/New_York", A, "2011-11-06T05:30:00Z"},
    /* dates in the stamp */
    {"8 Nov 2011 14:52", "<p>8 Nov 2011 14:52 - x</p>", "2012-01-01T00:00:00Z", NULL, A,
     "2011-11-08T14:52:00Z"},
    {"Tue 8 Nov 14.52 GMT", "<p>Tue 8 Nov 14.52 GMT x</p>", "2011-11-10T00:00:00Z", NULL, A,
     "2011-11-08T14:52:00Z"},
    {"Nov. 8, 2:52 p.m.", "<p>Nov. 8, 2:52 p.m.: x</p>", "2011-11-09T00:00:00Z",
     "America/New_York", A, "2011-11-08T19:52:00Z"},
    {"November 8, 2011 2:52pm", "<p>November 8, 2011 2:52pm - x</p>", NULL, NULL, A,
     "2011-11-08T14:52:00Z"},
    {"year-less date near the turn of the year", "<p>31 Dec 23:50 GMT: x</p>",
     "2012-01-01T01:00:00Z", NULL, A, "2011-12-31T23:50:00Z"},
    {"ISO date and time", "<p>2011-11-08 14:52 GMT: x</p>", NULL, NULL, A,
     "2011-11-08T14:52:00Z"},
    /* not stamps */
    {"24:00 is not a time", "<p>24:00 GMT: x</p>", D, NULL, A, ""},
    {"25:00 is not a time", "<p>25:00 GMT: x</p>", D, NULL, A, ""},
    {"minute 61", "<p>13:61 GMT: x</p>", D, NULL, A, ""},
    {"13pm", "<p>13pm: x</p>", D, NULL, A, ""},
    {"a year at a block start", "<p>2011 was the year the uprising began.</p>", D, NULL, A, ""},
    {"a year with a comma", "<p>2011, the year of the uprising.</p>", D, NULL, A, ""},
    {"a timeline of years is not a live blog",
     "<ul><li>2000 - Elected.</li><li>2004 - Re-elected.</li><li>2008: Steps aside.</li>"
     "<li>2012 - Returns.</li></ul>",
     D, NULL, AUTO, ""},
    {"HHMM: stamps outside 19:00-20:59 make the blog's 2011: a time",
     "<p>2011: a</p><p>1430: b</p><p>0910: c</p>", D, NULL, AUTO,
     "2011-11-08T09:10:00Z,2011-11-08T14:30:00Z,2011-11-08T20:11:00Z"},
    {"a time mid-sentence", "<p>At 1430 GMT the army moved in.</p>", D, NULL, A, ""},
    {"a decimal", "<p>3.45 million people fled.</p>", D, NULL, A, ""},
    {"Reuters UPDATE 3-", "<p>UPDATE 3-Syrian army enters Homs</p>", D, NULL, A, ""},
    {"a stamp in a blockquote", "<blockquote><p>1430 GMT: quoted</p></blockquote>", D, NULL, A,
     ""},
    {"never mode", "<p>2120 GMT: a</p><p>1703 GMT: b</p><p>1615 GMT: c</p>", D, NULL,
     LIVEBLOG_NEVER, ""},
    /* whole blogs, auto-detected */
    {"newest first", "<p>2120 GMT: a</p><p>1703 GMT: b</p><p>1615 GMT: c</p>", D, NULL, AUTO,
     "2011-11-08T16:15:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    /* issue 12: a stamp naming its zone ("HHMM GMT:") is strong enough for one or two */
    {"two zoned stamps are a live blog", "<p>2120 GMT: a</p><p>1703 GMT: b</p>", D, NULL, AUTO,
     "2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    {"two bare clocks without signals are not a live blog",
     "<p>21:20 Protest.</p><p>17:03 March.</p>", D, NULL, AUTO, ""},
    {"newest first across midnight",
     "<p>0030 GMT: a</p><p>2350 GMT: b</p><p>2310 GMT: c</p>", "2011-11-09T00:40:00Z", NULL,
     AUTO, "2011-11-08T23:10:00Z,2011-11-08T23:50:00Z,2011-11-09T00:30:00Z"},
    {"a post dated the next morning (its last edit) holds the day before's updates",
     "<p>2120 GMT: a</p><p>1703 GMT: b</p><p>0510 GMT: c</p>", "2011-11-09T10:00:00Z", NULL,
     AUTO, "2011-11-08T05:10:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    {"a re-polled live blog keeps its day when an update comes after its feed date",
     "<p>2245 GMT: d</p><p>2120 GMT: a</p><p>1703 GMT: b</p><p>0510 GMT: c</p>",
     "2011-11-08T21:30:00Z", NULL, AUTO,
     "2011-11-08T05:10:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z,2011-11-08T22:45:00Z"},
    {"a post dated the evening before (first publication) holds the next day's updates",
     "<p>0900 GMT: c</p><p>0700 GMT: b</p><p>0030 GMT: a</p>", "2011-11-08T23:00:00Z", NULL,
     AUTO, "2011-11-09T00:30:00Z,2011-11-09T07:00:00Z,2011-11-09T09:00:00Z"},
    {"oldest first across midnight",
     "<p>2330 GMT: a</p><p>0015 GMT: b</p><p>0100 GMT: c</p>", "2011-11-08T23:20:00Z", NULL,
     AUTO, "2011-11-08T23:30:00Z,2011-11-09T00:15:00Z,2011-11-09T01:00:00Z"},
    {"oldest first, post dated before its updates",
     "<p>09:05 GMT: a</p><p>10:10 GMT: b</p><p>11:20 GMT: c</p>", "2011-11-08T09:00:00Z", NULL,
     AUTO, "2011-11-08T09:05:00Z,2011-11-08T10:10:00Z,2011-11-08T11:20:00Z"},
    {"a 03:24 post holds a 03:37 update",
     "<p>0600 GMT: c</p><p>0450 GMT: b</p><p>0337 GMT: a</p>", "2011-11-08T03:24:00Z", NULL,
     AUTO, "2011-11-08T03:37:00Z,2011-11-08T04:50:00Z,2011-11-08T06:00:00Z"},
    {"times in no order are not a live blog",
     "<p>10:00 GMT: a</p><p>14:00 GMT: b</p><p>09:00 GMT: c</p><p>15:00 GMT: d</p>", D, NULL,
     AUTO, ""},
    {"one prose paragraph opening with 9pm stays prose",
     "<p>2120 GMT: a</p><p>9pm: curfew starts.</p><p>1703 GMT: b</p><p>1615 GMT: c</p>", D,
     NULL, AUTO, "2011-11-08T16:15:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    {"AP writes 9 p.m. and noon among 9:30 p.m. stamps",
     "<p>9:30 p.m. ET: d</p><p>9 p.m. ET: c</p><p>12:15 p.m. ET: b</p><p>Noon ET: a</p>",
     "2011-07-05T02:00:00Z", NULL, AUTO,
     "2011-07-04T16:00:00Z,2011-07-04T16:15:00Z,2011-07-05T01:00:00Z,2011-07-05T01:30:00Z"},
    {"a quoted earlier update is not an update",
     "<p>1452 GMT: Lucas writes:</p><p>0510 GMT: This may be the moment.</p>"
     "<p>0900 GMT: middle</p><p>0510 GMT: This may be the moment.</p>",
     D, NULL, AUTO, "2011-11-08T05:10:00Z,2011-11-08T09:00:00Z,2011-11-08T14:52:00Z"},
    {"a key-events list repeating the posts' stamps is not a set of updates",
     "<ul><li><a href=\"#p3\">11.02am GMT Convoy arrives</a></li>"
     "<li><a href=\"#p1\">9.40am GMT Summary</a></li></ul>"
     "<div id=\"p3\"><p>11.02am GMT</p><p>c</p></div><div id=\"p2\"><p>10.15am GMT</p><p>b</p></div>"
     "<div id=\"p1\"><p>9.40am GMT</p><p>a</p></div>",
     "2011-11-08T12:00:00Z", NULL, AUTO,
     "2011-11-08T09:40:00Z,2011-11-08T10:15:00Z,2011-11-08T11:02:00Z"},
    {"day headings between updates of a multi-day blog",
     "<p>1000 GMT: d</p><p>0800 GMT: c</p><h2>Monday 7 November</h2>"
     "<p>1500 GMT: b</p><p>0900 GMT: a</p>",
     "2011-11-08T10:30:00Z", NULL, AUTO,
     "2011-11-07T09:00:00Z,2011-11-07T15:00:00Z,2011-11-08T08:00:00Z,2011-11-08T10:00:00Z"},
    {"dated stamps over two days",
     "<p>Wed 9 Nov 00:20 GMT: c</p><p>Tue 8 Nov 23:50 GMT: b</p><p>Tue 8 Nov 22:10 GMT: a</p>",
     "2011-11-10T12:00:00Z", NULL, AUTO,
     "2011-11-08T22:10:00Z,2011-11-08T23:50:00Z,2011-11-09T00:20:00Z"},
    {"date line in the body when there is no post date",
     "<p>Tuesday, November 8, 2011</p><p>2120 GMT: a</p><p>1703 GMT: b</p><p>1615 GMT: c</p>",
     NULL, NULL, AUTO, "2011-11-08T16:15:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    {"a zone named once holds for the stamps after it",
     "<p>11.02am: c</p><p>10.15am: b</p><p>9.40am BST: a</p>", "2011-07-01T12:00:00Z", NULL,
     AUTO, "2011-07-01T08:40:00Z,2011-07-01T09:15:00Z,2011-07-01T10:02:00Z"},
    {"--tz wins over a zone other stamps name",
     "<p>11:02: c</p><p>10:15: b</p><p>08:40 GMT: a</p>", "2011-07-01T12:00:00Z",
     "Europe/London", AUTO, "2011-07-01T08:40:00Z,2011-07-01T09:15:00Z,2011-07-01T10:02:00Z"},
    {"<br>-separated updates",
     "<p>2120 GMT: a<br>1703 GMT: b<br>still b<br>1615 GMT: c</p>", D, NULL, AUTO,
     "2011-11-08T16:15:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
    {"<br><br>-separated updates",
     "<div>2120 GMT: a<br><br>1703 GMT: b<br>still b<br><br>1615 GMT: c</div>", D, NULL, AUTO,
     "2011-11-08T16:15:00Z,2011-11-08T17:03:00Z,2011-11-08T21:20:00Z"},
};

static int run_row(const struct row *row) {
  struct split_options opt = {.tz = row->tz, .mode = row->mode};
  if (row->date) {
    if (civil_parse_iso8601(row->date, &opt.post_date, NULL) != 0)
      {
      print_error("%s: bad date in the table\n", row->what);
      return 1;
    }
    opt.has_post_date = true;
    const char *z = row->date + strlen(row->date) - 6;
    if (z[0] == '+' || z[0] == '-') {
      opt.has_post_offset = true;
      opt.post_offset = (z[0] == '-' ? -1 : 1) * (atoi(z + 1) * 3600 + atoi(z + 4) * 60);
    }
  }
  struct liveblog *lb = NULL;
  char err[200];
  int r = liveblog_split(row->html, strlen(row->html), &opt, &lb, err, sizeof err);
  if (r != 0) {
    print_error("%s: liveblog_split = %d (%s)\n", row->what, r, err);
    return 1;
  }
  struct buf got;
  buf_init(&got, 0);
  for (size_t i = 0; i < lb->n; i++) {
    char t[CIVIL_UTC_LEN];
    civil_format_utc(lb->updates[i].time, t);
    buf_printf(&got, "%s%s", i ? "," : "", t);
  }
  bool want_blog = row->want[0] != '\0';
  int bad = lb->is_liveblog != want_blog || strcmp(buf_str(&got), row->want) != 0;
  if (bad)
    print_error("%s: got liveblog=%d [%s], want [%s]\n", row->what, lb->is_liveblog,
                buf_str(&got), row->want);
  buf_clear(&got);
  liveblog_free(lb);
  return bad;
}

/* Every row runs and reports, so one run shows every style that is broken. */
static void test_rows(void **state) {
  (void)state;
  int failed = 0;
  for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
    failed += run_row(&ROWS[i]);
  if (failed)
    fail_msg("%d of %zu rows failed", failed, sizeof ROWS / sizeof ROWS[0]);
}

static struct liveblog *split_at(const char *html, const char *date) {
  struct split_options opt = {.mode = LIVEBLOG_AUTO, .has_post_date = true};
  assert_int_equal(civil_parse_iso8601(date, &opt.post_date, NULL), 0);
  struct liveblog *lb = NULL;
  assert_int_equal(liveblog_split(html, strlen(html), &opt, &lb, NULL, 0), 0);
  return lb;
}

/* What each update carries besides its time: stamp, text, markup and anchor. */
static void test_update_parts(void **state) {
  (void)state;
  struct liveblog *lb = split_at(
      "<div id=\"u3\" class=\"post\"><p><b>1615 GMT:</b> Third &amp; last.</p></div>"
      "<div id=\"u2\" class=\"post\"><p><a name=\"x2\"></a>1520 GMT - Second,</p><p>two  parts.</p></div>"
      "<div class=\"post\"><p>1435 GMT: First.</p></div>",
      "2011-11-08T17:00:00Z");
  assert_true(lb->is_liveblog);
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[0].stamp, "1435 GMT");
  assert_string_equal(lb->updates[0].text, "First.");
  assert_null(lb->updates[0].anchor);
  assert_string_equal(lb->updates[1].stamp, "1520 GMT");
  assert_string_equal(lb->updates[1].text, "Second,\n\ntwo parts.");
  assert_string_equal(lb->updates[1].anchor, "x2");
  assert_string_equal(lb->updates[2].text, "Third & last.");
  assert_string_equal(lb->updates[2].anchor, "u3");
  assert_string_equal(lb->updates[2].html,
                      "<div id=\"u3\" class=\"post\"><p><b>1615 GMT:</b> Third &amp; last.</p></div>");
  liveblog_free(lb);

  lb = split_at("<p>2120 GMT: a<br><br>1703 GMT: b<br>still b<br><br>1615 GMT: c</p><p>More c.</p>",
                "2011-11-08T21:30:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[1].html, "1703 GMT: b<br>still b");
  assert_string_equal(lb->updates[1].text, "b still b");
  assert_string_equal(lb->updates[0].html, "1615 GMT: c<p>More c.</p>");
  assert_string_equal(lb->updates[0].text, "c\n\nMore c.");
  liveblog_free(lb);

  /* The next update starts inside a paragraph that opens with this one's text. */
  lb = split_at("<p>2120 GMT: a</p><p>still a<br><br>1703 GMT: b</p><p>1615 GMT: c</p>",
                "2011-11-08T21:30:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].html, "<p>2120 GMT: a</p>\nstill a");
  assert_string_equal(lb->updates[2].text, "a\n\nstill a");
  assert_string_equal(lb->updates[1].html, "1703 GMT: b");
  liveblog_free(lb);

  /* Posts signed at their foot: each post is its own update. */
  lb = split_at("<article><h3>C</h3><p>Third.</p><p>More third.</p><footer>Posted at 16:15</footer></article>"
                "<article><h3>B</h3><p>Second.</p><footer>Posted at 15:20</footer></article>"
                "<article><h3>A</h3><p>First.</p><footer>Posted at 14:35</footer></article>",
                "2011-11-08T17:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[0].text, "A\n\nFirst.");
  assert_string_equal(lb->updates[2].text, "C\n\nThird.\n\nMore third.");
  assert_string_equal(lb->updates[2].stamp, "16:15");
  liveblog_free(lb);

  /* Flat blogs with a subheading over each stamped paragraph: the heading is the update's. */
  lb = split_at("<h1>Live: the storm</h1><p>Intro.</p>"
                "<h3>Power back</h3><p>16:15 GMT: Supply restored.</p>"
                "<h3>Schools shut</h3><p>15:20 GMT: All closed.</p><p>More on schools.</p>"
                "<h2>Monday 7 November</h2><p>14:35 GMT: Warning issued.</p>",
                "2011-11-08T17:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Power back\n\nSupply restored.");
  assert_string_equal(lb->updates[2].html, "<h3>Power back</h3>\n<p>16:15 GMT: Supply restored.</p>");
  assert_string_equal(lb->updates[1].text, "Schools shut\n\nAll closed.\n\nMore on schools.");
  /* issue 12: a day heading dates the update after it but is not its text */
  assert_string_equal(lb->updates[0].text, "Warning issued.");
  assert_string_equal(lb->updates[0].html, "<p>14:35 GMT: Warning issued.</p>");
  char when[CIVIL_UTC_LEN];
  civil_format_utc(lb->updates[0].time, when);
  assert_string_equal(when, "2011-11-07T14:35:00Z");
  liveblog_free(lb);

  lb = split_at("Title line\n\n2120 GMT: a &\n\n1703 GMT: b\n\nstill b\n\n1615 GMT: c\n",
                "2011-11-08T21:30:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[1].text, "b\n\nstill b");
  assert_string_equal(lb->updates[2].html, "<p>2120 GMT: a &amp;</p>");
  liveblog_free(lb);
}

/* The page shapes of tests/fixtures/liveblog, one rule each, with the prose each rule must
 * leave alone. */
static void test_page_furniture(void **state) {
  (void)state;
  /* A stamp printed twice ("11.08am BST" then "11:08") is skipped whole; a time the text
   * then speaks of is not. */
  struct liveblog *lb = split_at(
      "<div class=b><p>11.08am BST <span>11:08</span></p><p>Flats fall.</p></div>"
      "<div class=b><p>10.25am BST <span>10:25</span></p><p>Economists react.</p></div>"
      "<div class=b><p>9.40am BST</p><p>9:41 was the opening price.</p></div>",
      "2016-07-18T07:00:00+01:00");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Flats fall.");
  assert_string_equal(lb->updates[0].text, "9:41 was the opening price.");
  liveblog_free(lb);

  /* ... also when the second clock is a paragraph of its own. */
  lb = split_at("<div><p>3.40pm BST</p><p>15:40</p><h2>Wall Street flat</h2></div>"
                "<div><p>2.05pm BST</p><p>14:05</p><p>Oil slips.</p></div>"
                "<div><p>12.30pm BST</p><p>12:31</p><p>A different time opens this one.</p></div>",
                "2016-07-18T07:00:00+01:00");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Wall Street flat");
  assert_string_equal(lb->updates[1].text, "Oil slips.");
  assert_string_equal(lb->updates[0].text, "12:31\n\nA different time opens this one.");
  liveblog_free(lb);

  /* A page dateline written like the posts' stamps, with no words of its own, is none; a
   * post's meta line of author names before a dated stamp is furniture. */
  lb = split_at("<p>Nov. 4, 2020, 1:05 a.m. ET</p>"
                "<div><p>Nov. 4, 2020, 12:52 a.m. ET</p><h2>Too close to call</h2></div>"
                "<div><p>Nov. 3, 2020, 11:40 p.m. ET</p><h2>Polls close</h2></div>"
                "<div><p>Nov. 3, 2020, 9:15 p.m. ET</p><h2>First results</h2></div>",
                "2020-11-03T23:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Too close to call");
  liveblog_free(lb);
  lb = split_at("<ul><li><div>Ann Lee Thu 24 Jul 2014 01:12</div><p>Handing over.</p></li>"
                "<li><div>Staff Thu 24 Jul 2014 00:40</div><p>More video.</p></li>"
                "<li><div>Staff Wed 23 Jul 2014 23:55</div><p>A march.</p></li></ul>",
                "2014-07-23T12:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Handing over.");
  assert_string_equal(lb->updates[0].text, "A march.");
  liveblog_free(lb);

  /* A byline paragraph between the stamp and the headline is furniture; a short title-case
   * paragraph with no heading after it is the update's words. */
  lb = split_at("<div><p>Nov 5, 2024, 9:12 PM EST</p><p>Network News</p><h3>Polls close</h3></div>"
                "<div><p>Nov 5, 2024, 7:45 PM EST</p><p>By Ann Lee</p><h3>Long lines</h3></div>"
                "<div><p>Nov 5, 2024, 6:02 AM EST</p><p>First Polls Open</p><p>On time.</p></div>",
                "2024-11-05T10:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Polls close");
  assert_string_equal(lb->updates[1].text, "Long lines");
  assert_string_equal(lb->updates[0].text, "First Polls Open\n\nOn time.");
  liveblog_free(lb);

  /* A "BREAKING" flag or one glued on by the text walk is not the headline's; a sentence that
   * opens with the word keeps it. */
  lb = split_at("<div><p>22:05</p><h3><span>BREAKING</span> Gate opens</h3></div>"
                "<div><p>21:40</p><h3><span>Breaking</span><span>Talks end</span></h3></div>"
                "<div><p>21:10</p><p>Breaking the deadlock took a week.</p></div>",
                "2023-10-17T18:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Gate opens");
  assert_string_equal(lb->updates[1].text, "Talks end");
  assert_string_equal(lb->updates[0].text, "Breaking the deadlock took a week.");
  liveblog_free(lb);

  /* "Timestamp:" before the stamp is a label; the post title a blog repeats over its one
   * post of updates is the page's, not the first update's headline. */
  lb = split_at("<html><head><title>Shutdown - live</title></head><body>"
                "<ul><li><div>Timestamp:<br>11:59pm</div><p>Closing.</p></li>"
                "<li><div>Timestamp:<br>11:50pm</div><p>A clip.</p></li></ul>"
                "<h3>Shutdown - live</h3><div>6:52pm: Ambassador resigns.<br>"
                "6:46pm: Signal traced.<br></div></body></html>",
                "2011-02-21T17:00:00Z");
  assert_int_equal(lb->n, 4);
  assert_string_equal(lb->updates[0].text, "Signal traced.");
  assert_string_equal(lb->updates[1].text, "Ambassador resigns.");
  assert_string_equal(lb->updates[3].text, "Closing.");
  liveblog_free(lb);

  /* A sidebar listing other stories by time is not a live blog ... */
  lb = split_at("<p>The museum opened at 10am.</p><aside><ul><li>11:40 Ferry cut</li>"
                "<li>11:05 School award</li><li>10:31 Road closed</li></ul></aside>",
                "2026-12-03T09:12:00Z");
  assert_false(lb->is_liveblog);
  liveblog_free(lb);
  /* ... while one stamp in each entry's <aside> is the entry's own time. */
  lb = split_at("<div><aside>10:02am AEDT</aside><p>Crews hold the line.</p></div>"
                "<div><aside>8:47am AEDT</aside><p>Centres open.</p></div>"
                "<div><aside>7:30am AEDT</aside><p>Good morning.</p></div>",
                "2020-01-10T00:00:00Z");
  assert_int_equal(lb->n, 3);
  liveblog_free(lb);

  /* A pinned summary on top of a newest-first blog keeps its own day and leaves the rest in
   * theirs. */
  lb = split_at("<div><p>Pinned 13 hours ago (06:10 GMT)</p><p>What we know.</p></div>"
                "<div><p>10 minutes ago (18:55 GMT)</p><p>Convoy crosses.</p></div>"
                "<div><p>1 hour ago (17:40 GMT)</p><p>Girl rescued.</p></div>"
                "<div><p>3 hours ago (15:20 GMT)</p><p>Team sent.</p></div>",
                "2023-02-07T12:00:00Z");
  assert_int_equal(lb->n, 4);
  char when[CIVIL_UTC_LEN];
  civil_format_utc(lb->updates[0].time, when);
  assert_string_equal(when, "2023-02-07T06:10:00Z");
  assert_string_equal(lb->updates[0].text, "What we know.");
  civil_format_utc(lb->updates[1].time, when);
  assert_string_equal(when, "2023-02-07T15:20:00Z");
  assert_string_equal(lb->updates[1].text, "Team sent.");
  civil_format_utc(lb->updates[3].time, when);
  assert_string_equal(when, "2023-02-07T18:55:00Z");
  liveblog_free(lb);
  /* "11:42 pmTom Reed": a byline the text walk glued to the stamp. */
  lb = split_at("<div><header><span>11:42 pm</span><span>Tom Reed</span></header><p>Final ward.</p></div>"
                "<div><header><span>10:58 pm</span><span>Ana Cruz</span></header><p>Recount.</p></div>"
                "<div><header><span>10:15 pm</span><span>Tom Reed</span></header><p>Counting.</p></div>",
                "2025-05-01T20:00:00Z");
  assert_int_equal(lb->n, 3);
  assert_string_equal(lb->updates[2].text, "Final ward.");
  assert_string_equal(lb->updates[2].stamp, "11:42 pm");
  liveblog_free(lb);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows), cmocka_unit_test(test_update_parts),
                                     cmocka_unit_test(test_page_furniture)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
