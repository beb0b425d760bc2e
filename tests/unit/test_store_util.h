/* test_store_util.h — scratch directories, files and item builders shared by the store's
 * unit tests (tests/unit/test_store*.c). Header-only: each test is its own program. */
#ifndef BRAID_TEST_STORE_UTIL_H
#define BRAID_TEST_STORE_UTIL_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define UNUSED_HELPER __attribute__((unused))

struct scratch {
  char dir[PATH_MAX - 64];
  char db[PATH_MAX]; /* dir/braid.db */
};

UNUSED_HELPER static void scratch_make(struct scratch *sc) {
  const char *tmp = getenv("TMPDIR");
  snprintf(sc->dir, sizeof sc->dir, "%s/braid-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(sc->dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(sc->db, sizeof sc->db, "%s/braid.db", sc->dir);
}

static int scratch_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

UNUSED_HELPER static void scratch_remove(struct scratch *sc) {
  nftw(sc->dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole of a file, NUL-terminated (caller frees); aborts if unreadable. */
UNUSED_HELPER static char *slurp(const char *path, size_t *ret_len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    abort();
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *b = malloc((size_t)n + 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
    abort();
  b[n] = '\0';
  fclose(f);
  if (ret_len)
    *ret_len = (size_t)n;
  return b;
}

/* A seed document of tests/fixtures/seeds by its number (0..4). */
UNUSED_HELPER static char *seed_text(int number) {
  static const char *const names[] = {
      "000_f6656edf75e234ab.txt", "001_35252a5669b2457e.txt", "002_60ab972603afec2b.txt",
      "003_53086acb4445e94b.txt", "004_887b92821c214543.txt"};
  const char *fixtures = getenv("BRAID_FIXTURES");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/seeds/%s", fixtures ? fixtures : "tests/fixtures",
           names[number]);
  return slurp(path, NULL);
}

/* Opens the store read-write or aborts with its message. */
UNUSED_HELPER static struct store *open_store(const char *path) {
  struct store *s;
  char err[512];
  int r = store_open(path, 0, &s, err, sizeof err);
  if (r < 0) {
    fprintf(stderr, "store_open: %s\n", err);
    abort();
  }
  return s;
}

/* One integer from a query on a separate plain SQLite connection. */
UNUSED_HELPER static long long sql_int(const char *db_path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *st;
  long long v = -1;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    abort();
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    abort();
  }
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* One text value from a query on a separate connection (caller frees), NULL if none. */
UNUSED_HELPER static char *sql_text(const char *db_path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *st;
  char *v = NULL;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    abort();
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    abort();
  }
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    v = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* An ordinary item: guid, link, title, html=text=body, published at `published`. */
UNUSED_HELPER static struct store_item plain_item(const char *guid, const char *link,
                                                  const char *title, const char *body,
                                                  int64_t published) {
  struct store_item it = {.guid = guid, .link = link, .title = title, .html = body,
                          .text = body, .published = published, .has_published = true};
  return it;
}

#endif
