/* test_store_dedupe.c — one story, one entry: link normalisation, SimHash on the seed
 * documents, a body that holds its text twice (seed 000), and the seeds carried by two
 * feeds with different boilerplate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <time.h>

#include "bounds.h"
#include "civil.h"
#include "simhash.h"
#include "store.h"
#include "store_internal.h"
#include "test_store_util.h"
#include "urlnorm.h"

static void links_normalise_to_one_key(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"HTTP://Example.ORG:80/a/b/", "https://example.org/a/b"},
      {"https://example.org:443", "https://example.org/"},
      {"https://example.org:8443/x", "https://example.org:8443/x"},
      {"http://example.org:443/x", "https://example.org:443/x"},
      {"https://example.org/a?utm_source=rss&id=7&utm_medium=feed", "https://example.org/a?id=7"},
      {"https://example.org/a?fbclid=XYZ&gclid=1&mc_cid=2&mc_eid=3", "https://example.org/a"},
      {"https://example.org/a?id=7&UTM_Campaign=x#comments", "https://example.org/a?id=7"},
      {"https://example.org/%7euser/%c3%a9t%C3%A9", "https://example.org/%7Euser/%C3%A9t%C3%A9"},
      {"  https://user@Example.org./p  ", "https://user@example.org/p"},
      {"https://[2001:DB8::1]:443/p", "https://[2001:db8::1]/p"},
      {"https://example.org/a;b?x=1;y=2", "https://example.org/a;b?x=1&y=2"},
      {"Mailto:someone@example.org", "mailto:someone@example.org"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out;
    assert_int_equal(url_normalise(cases[i][0], &out), 0);
    if (strcmp(out, cases[i][1]) != 0)
      fail_msg("url_normalise(%s) = %s, want %s", cases[i][0], out, cases[i][1]);
    free(out);
  }
  char *out = (char *)1;
  assert_int_equal(url_normalise("   ", &out), 0);
  assert_null(out);
  assert_true(url_is_site_root("https://example.org/"));
  assert_false(url_is_site_root("https://example.org/news"));
}

/* Seed 002, the wire story, as a second publisher would carry it: its own page chrome
 * before and its own footer after (about a tenth of the text). */
static char *with_boilerplate(const char *text) {
  char *out;
  if (asprintf(&out,
               "Skip to main content. Menu Home News World Politics Business Opinion Sport.\n\n"
               "%s\n\nShare this: Twitter Facebook WhatsApp Email. Related: What next for "
               "Syria. \xc2\xa9 2024 Example Media Group. All rights reserved. Click here to "
               "subscribe to our daily morning email newsletter.\n",
               text) < 0)
    abort();
  return out;
}

static uint64_t fingerprint_any(const char *text) {
  uint64_t fp;
  size_t shingles;
  simhash_text(text, &fp, &shingles);
  return fp;
}

static uint64_t fingerprint(const char *text) {
  uint64_t fp;
  size_t shingles;
  simhash_text(text, &fp, &shingles);
  assert_true(shingles >= SIMHASH_MIN_SHINGLES);
  return fp;
}

static void same_story_with_boilerplate_is_near_and_other_stories_far(void **state) {
  (void)state;
  char *seeds[5];
  uint64_t fp[5];
  for (int i = 0; i < 5; i++) {
    seeds[i] = seed_text(i);
    fp[i] = fingerprint(seeds[i]);
  }
  char *copy = with_boilerplate(seeds[2]);
  int near = simhash_distance(fp[2], fingerprint(copy));
  if (near > SIMHASH_MAX_DISTANCE)
    fail_msg("seed 002 with boilerplate is %d bits away, over the threshold %d", near,
             SIMHASH_MAX_DISTANCE);
  /* The Homs stories share vocabulary (Homs, Assad, Baba Amr, shelling) but not phrases. */
  for (int i = 0; i < 5; i++)
    for (int j = i + 1; j < 5; j++) {
      int d = simhash_distance(fp[i], fp[j]);
      if (d <= SIMHASH_MAX_DISTANCE)
        fail_msg("seeds %d and %d are only %d bits apart", i, j, d);
    }
  /* case, punctuation and spacing do not matter */
  uint64_t plain = fingerprint_any("The Syrian army fled Homs on Saturday, after less than a "
                                   "day of fighting; rebels said the regime is near its end.");
  uint64_t messy = fingerprint_any("the syrian ARMY fled homs on saturday after less than a "
                                   "day of   fighting rebels said the regime is near its end");
  assert_int_equal(simhash_distance(plain, messy), 0);
  free(copy);
  for (int i = 0; i < 5; i++)
    free(seeds[i]);
}

/* A fingerprint match is confirmed on the texts: a republished story shares its phrases,
 * different stories about the same city hardly any. */
static void shared_phrases_confirm_the_same_story_only(void **state) {
  (void)state;
  char *seeds[5];
  for (int i = 0; i < 5; i++)
    seeds[i] = seed_text(i);
  char *copy = with_boilerplate(seeds[2]);
  double share;
  assert_int_equal(simhash_containment(seeds[2], copy, &share), 0);
  assert_true(share == 1.0);
  for (int i = 0; i < 5; i++)
    for (int j = i + 1; j < 5; j++) {
      assert_int_equal(simhash_containment(seeds[i], seeds[j], &share), 0);
      if (share >= SIMHASH_MIN_CONTAINMENT / 5)
        fail_msg("seeds %d and %d share %.2f of their phrases", i, j, share);
    }
  free(copy);
  for (int i = 0; i < 5; i++)
    free(seeds[i]);
}

static void seed_000_body_is_kept_once(void **state) {
  (void)state;
  char *t = seed_text(0);
  const char *first = strstr(t, "It is estimated");
  assert_non_null(first);
  const char *second = strstr(first + 1, "It is estimated");
  assert_non_null(second);
  char *out;
  assert_int_equal(store_dedupe_repeated_body(t, &out), 0);
  assert_non_null(out);
  /* the title, the article once, and the trailing "RECENT VIDEOS" */
  size_t head = (size_t)(first - t);
  assert_int_equal(strlen(out), head + strlen(second));
  assert_memory_equal(out, t, head);
  assert_string_equal(out + head, second);
  assert_non_null(strstr(out, "RECENT VIDEOS"));
  free(out);
  free(t);
}

static void bodies_without_a_repeat_are_left_alone(void **state) {
  (void)state;
  for (int i = 1; i < 5; i++) {
    char *t = seed_text(i);
    char *out = (char *)1;
    assert_int_equal(store_dedupe_repeated_body(t, &out), 0);
    if (out)
      fail_msg("seed %d was taken for a repeated body", i);
    free(t);
  }
  /* a refrain repeated inside a longer text is not the whole body twice */
  char *refrain;
  char *t1 = seed_text(1);
  if (asprintf(&refrain, "%s\nStay safe.\nStay safe.\n", t1) < 0)
    abort();
  char *out = (char *)1;
  assert_int_equal(store_dedupe_repeated_body(refrain, &out), 0);
  assert_null(out);
  free(refrain);
  free(t1);
}

static void repeated_html_on_one_line_is_kept_once(void **state) {
  (void)state;
  char para[400];
  memset(para, 'a', sizeof para - 1);
  para[sizeof para - 1] = '\0';
  char *body, *want;
  if (asprintf(&body, "<h1>T</h1><p>%s</p><p>end one</p><p>%s</p><p>end one</p><div>more</div>",
               para, para) < 0 ||
      asprintf(&want, "<h1>T</h1><p>%s</p><p>end one</p><div>more</div>", para) < 0)
    abort();
  char *out;
  assert_int_equal(store_dedupe_repeated_body(body, &out), 0);
  assert_non_null(out);
  assert_string_equal(out, want);
  free(out);
  free(body);
  free(want);
}

/* A hostile body (a megabyte of tag starts, none repeating) is looked at a bounded number
 * of times (BRAID_STORE_REPEAT_MAX_STARTS) and left alone; a body over the cap is not read. */
static void hostile_bodies_are_left_alone(void **state) {
  (void)state;
  size_t n = 1 << 20, len = 0;
  char *body = malloc(n + 16);
  for (unsigned i = 0; len < n; i++)
    len += (size_t)sprintf(body + len, "<%u>", i * 2654435761u);
  char *out = (char *)1;
  assert_int_equal(store_dedupe_repeated_body(body, &out), 0);
  assert_null(out);
  free(body);
  n = BRAID_STORE_MAX_BODY_BYTES + 2;
  body = malloc(n + 1);
  memset(body, 'x', n);
  body[n] = '\0';
  out = (char *)1;
  assert_int_equal(store_dedupe_repeated_body(body, &out), 0); /* xx...x is a repeat, but too big */
  assert_null(out);
  free(body);
}

/* CPU seconds a 2 MB body may cost: well under a second, and under a sanitizer (which checks
 * every load and each memmem call's range) a few times that; a quadratic search costs
 * seconds to minutes either way. */
#if defined(__SANITIZE_ADDRESS__)
#define REPEAT_MAX_CPU_S 3.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPEAT_MAX_CPU_S 3.0
#endif
#endif
#ifndef REPEAT_MAX_CPU_S
#define REPEAT_MAX_CPU_S 0.5
#endif

/* CPU seconds of this process so far. */
static double cpu_seconds(void) {
  struct timespec ts;
  assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills body (n bytes and a NUL) with `share` of it a paragraph said again and again, then
 * paragraphs that never repeat: every line start finds its first 64 bytes again further on
 * and matches for a long way before differing, but no block is there twice in a row over
 * half the body. Each candidate used to cost a memcmp as long as the match: quadratic. */
static void make_near_periodic(char *body, size_t n, double share, const char *para) {
  size_t len = 0, periodic = (size_t)((double)n * share);
  while (len + strlen(para) < periodic)
    len += (size_t)sprintf(body + len, "%s", para);
  for (unsigned i = 0; len + 64 < n; i++)
    len += (size_t)sprintf(body + len, "<p>paragraph %u says %u.</p>\n", i, i * 2654435761u);
  memset(body + len, 'z', n - len);
  body[n] = '\0';
}

/* The red-team body: 2 MB whose repeat check used to cost over a minute of CPU, with the
 * loop answering nothing meanwhile. Each shape must take well under a second. */
static void near_repeats_cost_linear_time(void **state) {
  (void)state;
  static const char *const paras[] = {
      "<p>The same paragraph of text again, as a feed may say it in every section.</p>\n",
      "a\n", /* the probe matches at every other byte */
  };
  static const double shares[] = {0.45, 0.3};
  size_t n = 2u << 20;
  char *body = malloc(n + 1);
  assert_non_null(body);
  for (size_t p = 0; p < sizeof paras / sizeof paras[0]; p++)
    for (size_t k = 0; k < sizeof shares / sizeof shares[0]; k++) {
      make_near_periodic(body, n, shares[k], paras[p]);
      double t0 = cpu_seconds();
      char *out = (char *)1;
      assert_int_equal(store_dedupe_repeated_body(body, &out), 0);
      double took = cpu_seconds() - t0;
      assert_null(out);
      print_message("near repeats, paragraph %zu, share %.2f: %.3f s\n", p, shares[k], took);
      if (took > REPEAT_MAX_CPU_S)
        fail_msg("a 2 MB body with near repeats (paragraph %zu, share %.2f) took %.2f s of CPU",
                 p, shares[k], took);
    }
  /* A true repeat of the same size is still found, as fast. */
  make_near_periodic(body, n / 2, 0.45, paras[0]);
  memcpy(body + n / 2, body, n / 2);
  body[n] = '\0';
  double t0 = cpu_seconds();
  char *out;
  assert_int_equal(store_dedupe_repeated_body(body, &out), 0);
  double took = cpu_seconds() - t0;
  assert_non_null(out);
  assert_int_equal(strlen(out), n / 2);
  assert_memory_equal(out, body, n / 2);
  print_message("a true repeat: %.3f s\n", took);
  if (took > REPEAT_MAX_CPU_S)
    fail_msg("a 2 MB body holding its text twice took %.2f s of CPU", took);
  free(out);
  free(body);
}

/* Arbitrary bytes (feeds are hostile) go through the text helpers without harm: this is for
 * the sanitizer builds, which fail on any out-of-bounds read. Each result is checked for
 * what it must always be. */
static void arbitrary_bytes_are_handled(void **state) {
  (void)state;
  static const char alphabet[] = "htps:/?#&=%[]@.:;_-~<>aZ09 \n\t\xc3\xa9\xff";
  uint64_t x = 0x2545f4914f6cdd1dULL;
  char buf[600];
  for (int round = 0; round < 3000; round++) {
    size_t len = (size_t)(round % 599);
    for (size_t i = 0; i < len; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      buf[i] = alphabet[x % (sizeof alphabet - 1)];
    }
    buf[len] = '\0';
    if (round % 3 == 0)
      memcpy(buf, "http://", len >= 7 ? 7 : len);
    char *norm;
    assert_int_equal(url_normalise(buf, &norm), 0);
    if (norm) {
      char *again;
      assert_int_equal(url_normalise(norm, &again), 0);
      if (strcmp(norm, again) != 0) /* a normal form is its own normal form */
        fail_msg("url_normalise is not idempotent on \"%s\": \"%s\" then \"%s\"", buf, norm,
                 again);
      free(again);
      free(norm);
    }
    /* A fingerprint is a function of the text: the same bytes, the same answer; and a text
     * of len bytes cannot hold more than len shingles. */
    uint64_t fp, fp_again;
    size_t shingles, shingles_again;
    simhash_text(buf, &fp, &shingles);
    simhash_text(buf, &fp_again, &shingles_again);
    if (fp != fp_again || shingles != shingles_again)
      fail_msg("simhash_text is not deterministic on \"%s\"", buf);
    if (shingles > len)
      fail_msg("%zu shingles from %zu bytes", shingles, len);
    /* The one-pass form the store uses for a new entry gives both answers unchanged: the
     * stored text keys and fingerprints of older entries stay comparable. */
    uint64_t fp_keyed, key_keyed;
    size_t shingles_keyed;
    simhash_text_keyed(buf, &fp_keyed, &shingles_keyed, &key_keyed);
    if (fp_keyed != fp || shingles_keyed != shingles || key_keyed != simhash_text_key(buf))
      fail_msg("simhash_text_keyed differs from simhash_text and simhash_text_key on \"%s\"", buf);
    char *out;
    assert_int_equal(store_dedupe_repeated_body(buf, &out), 0);
    if (out && strlen(out) >= len)
      fail_msg("a repeat was found but nothing removed");
    free(out);
  }
}

/* The seeds' own dates (tests/fixtures/seeds/README.md). */
static int64_t seed_date(int i) {
  static const int ymdhm[5][5] = {{2012, 2, 6, 12, 0},  {2012, 2, 23, 12, 0}, {2024, 12, 7, 12, 0},
                                  {2012, 3, 3, 12, 0},  {2011, 11, 8, 21, 30}};
  int64_t t;
  assert_int_equal(civil_to_utc(ymdhm[i][0], ymdhm[i][1], ymdhm[i][2], ymdhm[i][3],
                                ymdhm[i][4], 0, 0, &t),
                   0);
  return t;
}

static void seeds_carried_by_two_feeds_are_one_entry_each(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t fa, fb;
  assert_int_equal(store_feed_ensure(s, "homs-blog", "https://blog.example/feed", &fa), 0);
  assert_int_equal(store_feed_ensure(s, "syndicator", "https://synd.example/rss", &fb), 0);
  char *texts[5], *copies[5];
  char guid_a[5][64], guid_b[5][64], link_a[5][64], link_b[5][64];
  assert_int_equal(store_begin(s), 0);
  for (int i = 0; i < 5; i++) {
    texts[i] = seed_text(i);
    copies[i] = with_boilerplate(texts[i]);
    snprintf(guid_a[i], 64, "blog-%d", i);
    snprintf(link_a[i], 64, "https://blog.example/posts/%d", i);
    struct store_item it = plain_item(guid_a[i], link_a[i], "seed", texts[i], seed_date(i));
    assert_int_equal(store_put_item(s, fa, &it, 1000000000, NULL), 0);
  }
  assert_int_equal(store_commit(s), 0);
  struct store_put_stats st = {0};
  assert_int_equal(store_begin(s), 0);
  for (int i = 0; i < 5; i++) {
    /* another publisher: its own guid and link, a few hours later */
    snprintf(guid_b[i], 64, "urn:synd:%d", 100 + i);
    snprintf(link_b[i], 64, "https://synd.example/world/%d.html", 500 + i);
    struct store_item it = plain_item(guid_b[i], link_b[i], "copy", copies[i],
                                      seed_date(i) + 3 * 3600);
    assert_int_equal(store_put_item(s, fb, &it, 1000000100, &st), 0);
  }
  assert_int_equal(store_commit(s), 0);
  assert_int_equal(st.merged_duplicates, 5);
  assert_int_equal(st.new_entries, 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 100, &l), 0);
  assert_int_equal(l.n, 5);
  static const int newest_first[5] = {2, 3, 1, 0, 4};
  for (size_t k = 0; k < l.n; k++) {
    struct stream_entry *e = &l.entries[k];
    assert_int_equal(e->time, seed_date(newest_first[k]));
    assert_int_equal(e->n_sources, 2);
    assert_string_equal(e->sources[0].feed, "homs-blog");
    assert_string_equal(e->sources[1].feed, "syndicator");
    assert_string_equal(e->sources[1].link, link_b[newest_first[k]]);
  }
  /* seed 000's doubled body is stored once */
  const char *t0 = l.entries[3].text;
  const char *p = strstr(t0, "It is estimated");
  assert_non_null(p);
  assert_null(strstr(p + 1, "It is estimated"));
  assert_null(strstr(strstr(l.entries[3].html, "It is estimated") + 1, "It is estimated"));
  stream_list_clear(&l);
  for (int i = 0; i < 5; i++) {
    free(texts[i]);
    free(copies[i]);
  }
  store_close(s);
  scratch_remove(&sc);
}

static void different_stories_at_the_same_time_stay_apart(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t feeds[5];
  char name[16], url[64];
  int64_t when = seed_date(1);
  struct store_put_stats st = {0};
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "feed%d", i);
    snprintf(url, sizeof url, "https://f%d.example/rss", i);
    assert_int_equal(store_feed_ensure(s, name, url, &feeds[i]), 0);
    char *text = seed_text(i);
    struct store_item it = plain_item(name, NULL, "story", text, when + i);
    assert_int_equal(store_put_item(s, feeds[i], &it, 1000000000, &st), 0);
    free(text);
  }
  assert_int_equal(st.new_entries, 5);
  assert_int_equal(st.merged_duplicates, 0);
  store_close(s);
  scratch_remove(&sc);
}

/* The same short summary under two titles is two stories (a site's boilerplate for every
 * live blog); under the same title, from another feed, one. */
static void short_boilerplate_under_other_titles_stays_apart(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t fa, fb, fc;
  assert_int_equal(store_feed_ensure(s, "paper", "https://paper.example/rss", &fa), 0);
  assert_int_equal(store_feed_ensure(s, "other", "https://other.example/rss", &fb), 0);
  assert_int_equal(store_feed_ensure(s, "wire", "https://wire.example/rss", &fc), 0);
  const int64_t t = 1733572800;
  const char *summary = "Follow our coverage as it happens: the latest below.";
  struct store_item a = plain_item("a1", "https://paper.example/live/floods", "Floods - live",
                                   summary, t);
  struct store_item b = plain_item("b1", "https://other.example/live/vote", "Vote count - live",
                                   summary, t + 30);
  struct store_item c = plain_item("c1", "https://wire.example/x/floods", "FLOODS: live",
                                   summary, t + 60);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fa, &a, 1733600000, &st), 0);
  assert_int_equal(store_put_item(s, fb, &b, 1733600000, &st), 0);
  assert_int_equal(st.new_entries, 2);
  assert_int_equal(st.merged_duplicates, 0);
  assert_int_equal(store_put_item(s, fc, &c, 1733600000, &st), 0);
  assert_int_equal(st.new_entries, 2);
  assert_int_equal(st.merged_duplicates, 1);
  store_close(s);
  scratch_remove(&sc);
}

/* A live blog of short updates, two of them in one minute, as feed NAME links it. */
static struct store_item short_blog(const char *guid, const char *link, struct store_update *u,
                                    const char *const *texts, const int64_t *times, size_t n) {
  for (size_t i = 0; i < n; i++)
    u[i] = (struct store_update){.time = times[i], .html = texts[i], .text = texts[i]};
  struct store_item it = plain_item(guid, link, "Live: the vote", "blog", times[0]);
  it.is_liveblog = true;
  it.updates = u;
  it.n_updates = n;
  return it;
}

/* Short updates (too short for a fingerprint before) carried by two feeds with different
 * links are one entry each with both sources, the same-minute pair included; a re-poll,
 * changed or not, never splits them again. */
static void short_updates_of_two_feeds_merge_and_stay_merged(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t fa, fb;
  assert_int_equal(store_feed_ensure(s, "paper", "https://paper.example/rss", &fa), 0);
  assert_int_equal(store_feed_ensure(s, "wire", "https://wire.example/rss", &fb), 0);
  const int64_t t = 1733572800;
  static const char *const a_texts[4] = {
      "Polls have closed in the capital.",
      "Turnout was 61 percent, the commission says.",
      "The first results are expected before midnight tonight, officials said.",
      "Crowds gather outside the party headquarters on Main Street."};
  /* the wire's copies: other case and punctuation, and one with a word added */
  static const char *const b_texts[4] = {
      "POLLS HAVE CLOSED in the capital",
      "Turnout was 61 percent - the commission says",
      "The first results are expected before midnight tonight, officials said on Sunday.",
      "Crowds gather outside the party headquarters on Main Street!"};
  const int64_t a_times[4] = {t, t + 60, t + 60, t + 300};   /* two in one minute */
  const int64_t b_times[4] = {t + 30, t + 60, t + 90, t + 300}; /* stamps a little off */
  struct store_update ua[4], ub[4];
  struct store_item a = short_blog("a1", "https://paper.example/live/vote", ua, a_texts,
                                   a_times, 4);
  struct store_item b = short_blog("b1", "https://wire.example/2024/vote-live", ub, b_texts,
                                   b_times, 4);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fa, &a, 1733600000, &st), 0);
  assert_int_equal(store_put_item(s, fb, &b, 1733600010, &st), 0);
  assert_int_equal(st.new_entries, 4);
  assert_int_equal(st.merged_duplicates, 4);
  /* re-polls: unchanged, then the wire edits its item (a fifth update) */
  assert_int_equal(store_put_item(s, fb, &b, 1733600100, &st), 0);
  const char *const b5[5] = {b_texts[0], b_texts[1], b_texts[2], b_texts[3],
                                    "Police close the bridge to traffic for the night."};
  const int64_t b5_times[5] = {b_times[0], b_times[1], b_times[2], b_times[3], t + 900};
  struct store_update ub5[5];
  struct store_item b2 = short_blog("b1", "https://wire.example/2024/vote-live", ub5, b5,
                                    b5_times, 5);
  assert_int_equal(store_put_item(s, fb, &b2, 1733600200, &st), 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 100, &l), 0);
  assert_int_equal(l.n, 5);
  for (size_t k = 1; k < l.n; k++) { /* the wire's own fifth update comes first */
    assert_int_equal(l.entries[k].n_sources, 2);
    assert_string_equal(l.entries[k].sources[0].feed, "paper");
    assert_string_equal(l.entries[k].sources[1].feed, "wire");
  }
  assert_int_equal(l.entries[0].n_sources, 1);
  assert_string_equal(l.entries[0].sources[0].feed, "wire");
  stream_list_clear(&l);
  store_close(s);
  scratch_remove(&sc);
}

/* Two different updates of one blog in the same minute stay two entries, even when a second
 * feed carries only one of them, and a short text never joins a long story that quotes it. */
static void same_minute_updates_and_quotes_stay_apart(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t fa, fb;
  assert_int_equal(store_feed_ensure(s, "paper", "https://paper.example/rss", &fa), 0);
  assert_int_equal(store_feed_ensure(s, "wire", "https://wire.example/rss", &fb), 0);
  const int64_t t = 1733572800;
  static const char *const a_texts[2] = {"Police say three people were hurt in the blast.",
                                         "Police say four people were hurt in the blast."};
  const int64_t a_times[2] = {t, t};
  static const char *const b_texts[1] = {"Police say four people were hurt in the blast."};
  const int64_t b_times[1] = {t + 20};
  struct store_update ua[2], ub[1];
  struct store_item a = short_blog("a1", "https://paper.example/live/blast", ua, a_texts,
                                   a_times, 2);
  struct store_item b = short_blog("b1", "https://wire.example/live/blast", ub, b_texts,
                                   b_times, 1);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fa, &a, 1733600000, &st), 0);
  assert_int_equal(store_put_item(s, fb, &b, 1733600010, &st), 0);
  assert_int_equal(st.new_entries, 2);
  assert_int_equal(st.merged_duplicates, 1);
  /* a long story at the same time that quotes the short update is its own entry */
  char *text = seed_text(1);
  char *quoting = NULL;
  assert_true(asprintf(&quoting, "%s %s", a_texts[0], text) > 0);
  int64_t fc;
  assert_int_equal(store_feed_ensure(s, "daily", "https://daily.example/rss", &fc), 0);
  struct store_item c = plain_item("c1", "https://daily.example/blast", "Blast", quoting, t);
  assert_int_equal(store_put_item(s, fc, &c, 1733600020, &st), 0);
  assert_int_equal(st.new_entries, 3);
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 100, &l), 0);
  assert_int_equal(l.n, 3);
  int with_two = 0;
  for (size_t k = 0; k < l.n; k++) {
    with_two += l.entries[k].n_sources == 2;
    if (l.entries[k].n_sources == 2)
      assert_string_equal(l.entries[k].text, a_texts[1]);
  }
  assert_int_equal(with_two, 1);
  stream_list_clear(&l);
  free(quoting);
  free(text);
  store_close(s);
  scratch_remove(&sc);
}

/* The seq STMT_ENTRY_BY_TEXT answers for text key `key` around time `at`, asked for feed
 * `feed` (0: no match). */
static long long text_key_match(const char *db_path, long long key, int64_t feed, int64_t at) {
  sqlite3 *db;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, store_stmt_sql(STMT_ENTRY_BY_TEXT), -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_int64(st, 1, key);
  sqlite3_bind_int64(st, 2, feed);
  sqlite3_bind_int64(st, 3, at - SIMHASH_SHORT_WINDOW_SECONDS);
  sqlite3_bind_int64(st, 4, at + SIMHASH_SHORT_WINDOW_SECONDS);
  sqlite3_bind_int64(st, 5, at);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long seq = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return seq;
}

/* The text-key index files entries by 256-second buckets of their time (schema version 10):
 * the lookup finds the same words on either side of a bucket's edge, and nothing outside
 * the window or carried by the asking feed. */
static void same_words_are_found_across_a_time_bucket_edge(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t fa, fb;
  assert_int_equal(store_feed_ensure(s, "paper", "https://paper.example/rss", &fa), 0);
  assert_int_equal(store_feed_ensure(s, "wire", "https://wire.example/rss", &fb), 0);
  const int64_t edge = 6771770LL * 256; /* a bucket starts here */
  const int64_t t = edge - 6;
  struct store_item a = plain_item("a1", NULL, "Vote", "Polls have closed in the capital.", t);
  assert_int_equal(store_put_item(s, fa, &a, t + 1000, NULL), 0);
  store_close(s);
  long long key = sql_int(sc.db, "SELECT text_key FROM entries");
  assert_true(key != 0);
  const int w = SIMHASH_SHORT_WINDOW_SECONDS;
  assert_int_equal(text_key_match(sc.db, key, fb, t), 1);
  assert_int_equal(text_key_match(sc.db, key, fb, t + w), 1);     /* from the next bucket */
  assert_int_equal(text_key_match(sc.db, key, fb, t - w), 1);     /* from the one before */
  assert_int_equal(text_key_match(sc.db, key, fb, t + w + 1), 0); /* outside the window */
  assert_int_equal(text_key_match(sc.db, key, fb, t - w - 1), 0);
  assert_int_equal(text_key_match(sc.db, key, fa, t), 0);         /* its own feed's */
  assert_int_equal(text_key_match(sc.db, key + 1, fb, t), 0);
  scratch_remove(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(links_normalise_to_one_key),
      cmocka_unit_test(same_story_with_boilerplate_is_near_and_other_stories_far),
      cmocka_unit_test(shared_phrases_confirm_the_same_story_only),
      cmocka_unit_test(seed_000_body_is_kept_once),
      cmocka_unit_test(bodies_without_a_repeat_are_left_alone),
      cmocka_unit_test(repeated_html_on_one_line_is_kept_once),
      cmocka_unit_test(hostile_bodies_are_left_alone),
      cmocka_unit_test(near_repeats_cost_linear_time),
      cmocka_unit_test(arbitrary_bytes_are_handled),
      cmocka_unit_test(seeds_carried_by_two_feeds_are_one_entry_each),
      cmocka_unit_test(different_stories_at_the_same_time_stay_apart),
      cmocka_unit_test(short_boilerplate_under_other_titles_stays_apart),
      cmocka_unit_test(short_updates_of_two_feeds_merge_and_stay_merged),
      cmocka_unit_test(same_minute_updates_and_quotes_stay_apart),
      cmocka_unit_test(same_words_are_found_across_a_time_bucket_edge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
