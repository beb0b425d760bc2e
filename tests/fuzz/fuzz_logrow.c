/* fuzz_logrow.c — libFuzzer target: a row of the shared PostgreSQL log, as a node replays it.
 *
 * The log is written by every node (and by `braid store copy`), so a node must survive any
 * row: the input (up to 64 KiB, as a C string) goes to pgitem_decode and, when it decodes, to
 * what pgreplay.c does with it (store_put_item, store_page_set, store_put_tombstone) inside a
 * transaction that is rolled back, on a store made once per run. Properties: no crash, UB or
 * leak; a refused row says why; the store answers every call with 0 or an error, never
 * anything else, and stays usable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "pgitem.h"
#include "store.h"

#define MAX_INPUT (64 * 1024)

static struct store *store;
static int64_t feed_id;
static char dir[] = "/tmp/braid-fuzz-logrow-XXXXXX";

/* The store's files go with the process. */
static void remove_store(void) {
  store_close(store);
  const char *files[] = {"replica.db", "replica.db-wal", "replica.db-shm"};
  char path[96];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char path[96];
  if (!mkdtemp(dir))
    abort();
  snprintf(path, sizeof path, "%s/replica.db", dir);
  if (store_open(path, 0, &store, NULL, 0) < 0 ||
      store_feed_ensure(store, "f", "http://news.test/f.xml", &feed_id) < 0)
    abort();
  atexit(remove_store);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT)
    return 0;
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  struct pgitem it;
  char err[256] = "";
  int rc = pgitem_decode(text, &it, err, sizeof err);
  FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "decode answers 0 or an error");
  FUZZ_CHECK(rc != -EINVAL || err[0], "a refused row says why");
  if (rc == 0) {
    FUZZ_CHECK(store_begin(store) == 0, "the store takes a transaction");
    int put = it.has_item ? store_put_item(store, feed_id, &it.item, 1700000000, NULL) : 0;
    FUZZ_CHECK(put <= 0, "store_put_item answers 0 or an error");
    if (it.has_page)
      FUZZ_CHECK(store_page_set(store, feed_id, &it.page) <= 0, "store_page_set answers");
    if (it.has_tomb)
      FUZZ_CHECK(store_put_tombstone(store, feed_id, &it.tomb) <= 0, "tombstone answers");
    store_rollback(store);
    pgitem_clear(&it);
  }
  free(text);
  return 0;
}
