/* test_page_shapes.c — the page reader (page.h) over tests/fixtures/liveblog/: whole pages
 * written in the shapes of real live blogs (see that folder's README). expected.json gives,
 * per page, the post's date, the zone, the page URL and every update: its instant and the
 * opening words of its headline or text. Prints found/expected per page and overall; every
 * expected update must be found, nothing else may be, and a negative page gives none.
 * test_split_shapes.py runs `braid split` over the same pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "civil.h"
#include "page.h"
#include "uptitle.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  char *s = malloc(1 << 20);
  assert_non_null(s);
  *len = fread(s, 1, (1 << 20) - 1, f);
  s[*len] = '\0';
  fclose(f);
  return s;
}

/* "+01:00" at the end of an RFC 3339 date, as seconds east of UTC; false for "Z". */
static bool date_offset(const char *date, int *ret) {
  size_t n = strlen(date);
  if (n < 6 || (date[n - 6] != '+' && date[n - 6] != '-') || date[n - 3] != ':')
    return false;
  int off = ((date[n - 5] - '0') * 10 + (date[n - 4] - '0')) * 3600 +
            ((date[n - 2] - '0') * 10 + (date[n - 1] - '0')) * 60;
  *ret = date[n - 6] == '-' ? -off : off;
  return true;
}

static bool starts_with_words(const char *s, const char *words) {
  return s && strncmp(s, words, strlen(words)) == 0;
}

/* At most 100 characters (UTF-8 lead bytes), "…" included. */
static bool title_fits(const char *t) {
  size_t chars = 0;
  for (; *t; t++)
    chars += ((unsigned char)*t & 0xC0) != 0x80;
  return chars > 0 && chars <= 100;
}

/* Found updates of one page; *extra counts updates that were not expected, *bad_titles
 * titles that do not open with the update's words, run long or repeat another's. */
static size_t check_page(const char *dir, const char *name, json_t *e, size_t *expected,
                         size_t *extra, size_t *bad_titles) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len;
  char *html = slurp(path, &len);
  const char *date = json_string_value(json_object_get(e, "date"));
  struct page_options opt = {.page_url = json_string_value(json_object_get(e, "page_url")),
                             .split = {.mode = LIVEBLOG_AUTO,
                                       .tz = json_string_value(json_object_get(e, "tz"))}};
  assert_int_equal(civil_parse_iso8601(date, &opt.split.post_date, NULL), 0);
  opt.split.has_post_date = true;
  opt.split.has_post_offset = date_offset(date, &opt.split.post_offset);
  struct page_updates *p = NULL;
  char err[160] = "";
  int r = page_read(html, len, &opt, &p, err, sizeof err);
  free(html);
  if (r != 0)
    fail_msg("%s: page_read = %d (%s)", name, r, err);
  json_t *ups = json_object_get(e, "updates");
  bool used[256] = {false};
  /* Titled as the daemon titles them: uptitle, then uptitle_distinct over the blog. */
  char *titles[256] = {NULL};
  const char *texts[256];
  size_t n_titles = p->n < 256 ? p->n : 256;
  for (size_t k = 0; k < n_titles; k++) {
    assert_int_equal(uptitle(p->updates[k].headline, p->updates[k].html, p->updates[k].text,
                             &titles[k]), 0);
    texts[k] = p->updates[k].text;
  }
  assert_int_equal(uptitle_distinct(titles, texts, n_titles), 0);
  for (size_t k = 0; k < n_titles; k++)
    for (size_t j = 0; j < k; j++)
      if (titles[k] && titles[j] && strcmp(titles[k], titles[j]) == 0) {
        printf("  %s: title \"%s\" twice\n", name, titles[k]);
        (*bad_titles)++;
      }
  size_t found = 0, i;
  json_t *u;
  json_array_foreach(ups, i, u) {
    int64_t want;
    assert_int_equal(civil_parse_iso8601(json_string_value(json_array_get(u, 0)), &want, NULL), 0);
    const char *words = json_string_value(json_array_get(u, 1));
    size_t k;
    for (k = 0; k < p->n && k < 256; k++)
      if (!used[k] && p->updates[k].time == want &&
          (starts_with_words(p->updates[k].headline, words) ||
           starts_with_words(p->updates[k].text, words)))
        break;
    if (k < p->n && k < 256) {
      used[k] = true;
      found++;
      /* Its title (uptitle.h): its own words, headline first, never a stamp or a flag. */
      if (!starts_with_words(titles[k], words) || !title_fits(titles[k])) {
        printf("  %s: title \"%s\" does not open with \"%s\"\n", name,
               titles[k] ? titles[k] : "", words);
        (*bad_titles)++;
      }
    } else {
      char when[CIVIL_UTC_LEN];
      civil_format_utc(want, when);
      printf("  %s: missing %s \"%s\"\n", name, when, words);
    }
  }
  for (size_t k = 0; k < p->n && k < 256; k++)
    if (!used[k]) {
      char when[CIVIL_UTC_LEN];
      civil_format_utc(p->updates[k].time, when);
      printf("  %s: not expected %s \"%.40s\"\n", name, when,
             p->updates[k].headline ? p->updates[k].headline : p->updates[k].text);
      (*extra)++;
    }
  printf("%-32s %-8s %zu/%zu\n", name, page_source_name(p->source), found, json_array_size(ups));
  *expected += json_array_size(ups);
  for (size_t t = 0; t < n_titles; t++)
    free(titles[t]);
  page_updates_free(p);
  return found;
}

static void test_page_shapes(void **state) {
  (void)state;
  const char *fixtures = getenv("BRAID_FIXTURES");
  char dir[400], path[450];
  snprintf(dir, sizeof dir, "%s/liveblog", fixtures ? fixtures : "tests/fixtures");
  snprintf(path, sizeof path, "%s/expected.json", dir);
  json_error_t jerr;
  json_t *all = json_load_file(path, 0, &jerr);
  if (!all)
    fail_msg("%s: %s", path, jerr.text);
  size_t found = 0, expected = 0, extra = 0, bad_titles = 0;
  const char *name;
  json_t *e;
  json_object_foreach(all, name, e) found += check_page(dir, name, e, &expected, &extra, &bad_titles);
  printf("page reader: %zu pages, found %zu of %zu updates (%.1f %%), %zu not expected\n",
         json_object_size(all), found, expected, expected ? 100.0 * found / expected : 0.0,
         extra);
  json_decref(all);
  assert_int_equal(found, expected);
  assert_int_equal(extra, 0);
  assert_int_equal(bad_titles, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_page_shapes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
