/* fuzz_page.c — libFuzzer target: a live blog's page (page.h) and update titles (uptitle.h).
 *
 * Input: byte 0 picks the page URL (none, an https page with a query, a file:// page) and the
 * splitter's mode (auto, always); the rest is the page. Properties: no crash, leak or UB;
 * updates oldest first, within BRAID_PAGE_MAX_UPDATES; each update has text or a headline;
 * its title (uptitle) is non-empty, valid UTF-8 and at most BRAID_UPTITLE_MAX_CHARS
 * characters; a JSON-LD page's updates have a stamp; a failure has a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "fuzz.h"
#include "page.h"
#include "uptitle.h"

static size_t chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const urls[] = {NULL, "https://news.example/live/storm?x=1",
                                     "file:///usr/share/braid/demo/storm-live.html"};
  if (size < 1)
    return 0;
  struct page_options opt = {.page_url = urls[data[0] % 3],
                             .split = {.mode = (data[0] / 3) % 2 ? LIVEBLOG_ALWAYS
                                                                 : LIVEBLOG_AUTO}};
  struct page_updates *p = NULL;
  char err[256] = "";
  int rc = page_read((const char *)data + 1, size - 1, &opt, &p, err, sizeof err);
  if (rc < 0) {
    FUZZ_CHECK(rc == -E2BIG || rc == -ENOMEM || rc == -EINVAL, "documented error codes");
    FUZZ_CHECK(err[0] != '\0' || rc == -ENOMEM, "a failure says why");
    FUZZ_CHECK(p == NULL, "no result on failure");
    return 0;
  }
  FUZZ_CHECK(p != NULL, "a result on success");
  FUZZ_CHECK(p->n <= BRAID_PAGE_MAX_UPDATES, "update cap");
  FUZZ_CHECK((p->n == 0) == (p->source == PAGE_SOURCE_NONE), "a source exactly when updates");
  for (size_t i = 0; i < p->n; i++) {
    const struct page_update *u = &p->updates[i];
    FUZZ_CHECK(i == 0 || p->updates[i - 1].time <= u->time, "updates oldest first");
    FUZZ_CHECK(u->text || u->headline, "every update has words");
    FUZZ_CHECK(p->source != PAGE_SOURCE_JSONLD || u->stamp, "a JSON-LD update has a stamp");
    char *title = NULL;
    FUZZ_CHECK(uptitle(u->headline, u->html, u->text, &title) == 0, "uptitle succeeds");
    if (title) {
      FUZZ_CHECK(*title, "a title is never empty");
      FUZZ_CHECK(chars(title) <= BRAID_UPTITLE_MAX_CHARS, "title cap");
      FUZZ_CHECK(fuzz_utf8_valid(title) || !fuzz_utf8_valid(u->text ? u->text : ""),
                 "a title of valid text is valid UTF-8");
    }
    free(title);
  }
  page_updates_free(p);
  return 0;
}
