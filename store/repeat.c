/* repeat.c — finding a body that holds its text twice in a row (store_dedupe_repeated_body,
 * declared in store.h). Scrapers and syndication sometimes paste an article after itself;
 * seed 000 is such a body, title once, article twice, then site boilerplate. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"

/* The repeated block must be long enough not to be a refrain or a table row. */
#define REPEAT_MIN_BLOCK_BYTES 256
/* Bytes of the block's start searched for its second copy. */
#define REPEAT_PROBE_BYTES 64

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Candidate starts of a block: the start of the body, of a line, or of a tag (HTML bodies
 * are often one long line). */
static bool is_block_start(const char *body, size_t i) {
  return i == 0 || body[i - 1] == '\n' || (body[i] == '<' && !is_space(body[i - 1]));
}

int store_dedupe_repeated_body(const char *body, char **ret) {
  *ret = NULL;
  if (!body)
    return 0;
  size_t n = strlen(body);
  /* Two copies of a block of length L cover 2L >= n/2 of the body, so L >= n/4 and the
   * first copy starts before n - 2L. */
  size_t min_block = n / 4 > REPEAT_MIN_BLOCK_BYTES ? n / 4 : REPEAT_MIN_BLOCK_BYTES;
  if (n < 2 * min_block || n > BRAID_STORE_MAX_BODY_BYTES)
    return 0;
  size_t starts = 0;
  for (size_t i = 0; i + 2 * min_block <= n && starts < BRAID_STORE_REPEAT_MAX_STARTS; i++) {
    if (is_space(body[i]) || !is_block_start(body, i))
      continue;
    starts++;
    const char *probe = body + i;
    size_t probe_len = REPEAT_PROBE_BYTES;
    const char *from = body + i + min_block;
    while (from < body + n) {
      const char *j = memmem(from, (size_t)(body + n - from), probe, probe_len);
      if (!j)
        break;
      /* The first copy is body[i..j) without the white space that separates the copies. */
      size_t len = (size_t)(j - probe);
      while (len > 0 && is_space(probe[len - 1]))
        len--;
      if (len >= min_block && (size_t)(j - body) + len <= n && memcmp(probe, j, len) == 0 &&
          2 * len >= n / 2) {
        size_t tail = n - ((size_t)(j - body) + len);
        char *out = malloc(i + len + tail + 1);
        if (!out)
          return -ENOMEM;
        memcpy(out, body, i + len);
        memcpy(out + i + len, j + len, tail);
        out[i + len + tail] = '\0';
        *ret = out;
        return 0;
      }
      from = j + 1;
    }
  }
  return 0;
}
