/* fuzz_split.c — libFuzzer target: the live-blog splitter (liveblog.h) on any body.
 *
 * Input: byte 0 picks the mode (auto, always, never) and the feed's zone (none,
 * Europe/London, America/New_York, "+05:30", Asia/Jerusalem); byte 1 picks the post's date
 * (none, 2011-11-08 21:30 UTC with or without a +01:00 offset) and whether the item's title
 * and link say "live" (the signals for a blog of one or two updates). The rest is the body.
 * Properties: no crash, leak or UB; a body that is not a live blog has no updates; updates are
 * oldest first, within BRAID_SPLIT_MAX_UPDATES, each with a stamp no longer than
 * BRAID_SPLIT_MAX_STAMP_BYTES and valid UTF-8 stamp and text; a failure has a message.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "fuzz.h"
#include "liveblog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const zones[] = {NULL, "Europe/London", "America/New_York", "+05:30",
                                      "Asia/Jerusalem"};
  if (size < 2)
    return 0;
  struct split_options opt = {
      .mode = (enum liveblog_mode)(data[0] % 3),
      .tz = zones[(data[0] / 3) % 5],
      .has_post_date = (data[1] % 3) != 0,
      .post_date = 1320787800,
      .has_post_offset = (data[1] % 3) == 2,
      .post_offset = 3600,
      .title = (data[1] / 3) % 2 ? "Storm – live updates" : NULL,
      .link = (data[1] / 6) % 2 ? "https://example.org/live/2011/nov/08" : NULL,
  };
  struct liveblog *lb = NULL;
  char err[256] = "";
  int rc = liveblog_split((const char *)data + 2, size - 2, &opt, &lb, err, sizeof err);
  if (rc < 0) {
    FUZZ_CHECK(rc == -E2BIG || rc == -ENOMEM || rc == -EINVAL, "documented error codes");
    FUZZ_CHECK(err[0] != '\0', "a failure says why");
    FUZZ_CHECK(lb == NULL, "no result on failure");
    return 0;
  }
  FUZZ_CHECK(lb != NULL, "a result on success");
  FUZZ_CHECK(lb->is_liveblog || lb->n == 0, "no updates unless a live blog");
  FUZZ_CHECK(opt.mode != LIVEBLOG_NEVER || lb->n == 0, "mode never splits nothing");
  FUZZ_CHECK(lb->n <= BRAID_SPLIT_MAX_UPDATES, "update cap");
  for (size_t i = 0; i < lb->n; i++) {
    const struct liveblog_update *u = &lb->updates[i];
    FUZZ_CHECK(i == 0 || lb->updates[i - 1].time <= u->time, "updates oldest first");
    FUZZ_CHECK(u->stamp && u->text && u->html, "every update has stamp, text and html");
    FUZZ_CHECK(strlen(u->stamp) <= BRAID_SPLIT_MAX_STAMP_BYTES, "stamp cap");
    FUZZ_CHECK(fuzz_utf8_valid(u->stamp) && fuzz_utf8_valid(u->text), "UTF-8 stamp and text");
  }
  liveblog_free(lb);
  return 0;
}
