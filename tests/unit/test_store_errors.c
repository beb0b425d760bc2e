/* test_store_errors.c — when the store cannot be used or cannot grow: a newer braid's
 * store, a missing or foreign file, a read-only file, a full disk and a file size limit.
 * Each gives a message naming the file and what failed, and what was stored before is
 * kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "store.h"
#include "store_internal.h"
#include "test_store_util.h"

/* A store with feed ea-worldview carrying 3 entries; returns its feed id. */
static int64_t make_store(const char *path) {
  struct store *s = open_store(path);
  int64_t fid;
  assert_int_equal(store_feed_ensure(s, "ea-worldview", "https://ea.example/feed", &fid), 0);
  for (int i = 0; i < 3; i++) {
    char guid[8];
    snprintf(guid, sizeof guid, "g%d", i);
    struct store_item it = plain_item(guid, NULL, guid, "<p>kept</p>", 1000 + i);
    assert_int_equal(store_put_item(s, fid, &it, 5000, NULL), 0);
  }
  store_close(s);
  return fid;
}

static void assert_store_intact(const char *path, long long entries) {
  char *ok = sql_text(path, "PRAGMA integrity_check");
  assert_string_equal(ok, "ok");
  free(ok);
  assert_int_equal(sql_int(path, "SELECT count(*) FROM entries"), entries);
}

/* Opening path (with flags) fails with want_err, a message naming the file and saying
 * `reason`, and leaves the file byte for byte as it was. */
static void assert_refused_untouched(const char *path, unsigned flags, int want_err,
                                     const char *reason) {
  size_t len_before, len_after;
  char *before = slurp(path, &len_before);
  struct store *s = (struct store *)1;
  char err[512];
  assert_int_equal(store_open(path, flags, &s, err, sizeof err), want_err);
  assert_null(s);
  assert_non_null(strstr(err, path));
  if (!strstr(err, reason))
    fail_msg("message \"%s\" does not say \"%s\"", err, reason);
  char *after = slurp(path, &len_after);
  assert_int_equal(len_after, len_before);
  assert_memory_equal(after, before, len_before);
  free(before);
  free(after);
}

/* Runs child(path) in a child process that reports a message through a pipe and its
 * verdict as its exit status (0 = as expected); returns that status, the message in msg. */
static int run_child(int (*child)(const char *path, char *msg, size_t msglen), const char *path,
                     char *msg, size_t msglen) {
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pipefd[0]);
    char m[512] = "";
    int verdict = child(path, m, sizeof m);
    if (write(pipefd[1], m, strlen(m)) < 0)
      _exit(4);
    _exit(verdict);
  }
  close(pipefd[1]);
  ssize_t n = read(pipefd[0], msg, msglen - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(pipefd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void newer_store_is_refused_and_left_byte_for_byte(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  make_store(sc.db);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  for (int ro = 0; ro < 2; ro++)
    assert_refused_untouched(sc.db, ro ? STORE_OPEN_READONLY : 0, -EPROTO,
                             "written by a newer braid (schema version 99");
  scratch_remove(&sc);
}

/* user_version is a signed 32-bit field anyone can set: a version below 0 is no braid's and
 * must not index the migrations (it used to read migrations[-1] and run stray SQL). */
static void negative_schema_version_is_refused_and_left_byte_for_byte(void **state) {
  (void)state;
  static const char *const versions[] = {"-1", "-2147483648"};
  for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
    struct scratch sc;
    scratch_make(&sc);
    make_store(sc.db);
    sqlite3 *db;
    char sql[64], reason[96];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %s", versions[v]);
    snprintf(reason, sizeof reason, "unknown schema version %s", versions[v]);
    assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    for (int ro = 0; ro < 2; ro++)
      assert_refused_untouched(sc.db, ro ? STORE_OPEN_READONLY : 0, -EPROTO, reason);
    scratch_remove(&sc);
  }
}

static void missing_store_is_enoent_for_readers(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s;
  char err[512];
  assert_int_equal(store_open(sc.db, STORE_OPEN_READONLY, &s, err, sizeof err), -ENOENT);
  assert_non_null(strstr(err, sc.db));
  assert_non_null(strstr(err, "No such file or directory"));
  assert_int_equal(access(sc.db, F_OK), -1); /* a reader never creates it */
  scratch_remove(&sc);
}

static void foreign_file_is_refused_and_left_alone(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  FILE *f = fopen(sc.db, "w");
  for (int i = 0; i < 200; i++)
    fputs("this is a text file, not a braid store\n", f);
  fclose(f);
  assert_refused_untouched(sc.db, 0, -EIO, "not a braid store");
  scratch_remove(&sc);
}

/* In a child: opens path read-write as an ordinary user; 0 if refused with -EROFS. */
static int open_as_user(const char *path, char *msg, size_t msglen) {
  if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
    return 3;
  struct store *s;
  int r = store_open(path, 0, &s, msg, msglen);
  return r == -EROFS ? 0 : 1;
}

static void another_programs_database_is_refused_and_left_alone(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"
                                    "INSERT INTO moz_places (url) VALUES ('https://a.example/')",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_refused_untouched(sc.db, 0, -EPROTO, "not a braid store (an SQLite database of another");
  scratch_remove(&sc);
}

static void readonly_file_is_refused_with_a_clear_message(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  make_store(sc.db);
  assert_int_equal(chmod(sc.db, 0444), 0);
  /* root writes any file: check as an ordinary user, which braid runs as */
  assert_int_equal(chmod(sc.dir, 0755), 0);
  char msg[512];
  int verdict = run_child(open_as_user, sc.db, msg, sizeof msg);
  if (verdict != 0)
    fail_msg("opening a read-only store: verdict %d, message \"%s\"", verdict, msg);
  assert_non_null(strstr(msg, sc.db));
  assert_non_null(strstr(msg, "read-only"));
  assert_store_intact(sc.db, 3);
  scratch_remove(&sc);
}

/* A poll that needs more room than there is: the item fails with the given error naming
 * the store, the feed and the reason, and the store keeps what it had. */
static void big_poll(struct store *s, int64_t fid, int *ret_err, char *msg, size_t msglen) {
  size_t len = 16 * 1024;
  char *body = malloc(len + 1);
  for (size_t i = 0; i < len; i++)
    body[i] = (char)('a' + (i * 7919) % 26);
  body[len] = '\0';
  int r = store_begin(s);
  for (int i = 0; r == 0 && i < 64; i++) {
    char guid[16];
    snprintf(guid, sizeof guid, "big%d", i);
    body[i] = 'Z';
    struct store_item it = plain_item(guid, NULL, guid, body, 2000 + i);
    r = store_put_item(s, fid, &it, 6000, NULL);
  }
  if (r == 0)
    r = store_commit(s);
  snprintf(msg, msglen, "%s", store_errmsg(s));
  store_rollback(s);
  *ret_err = r;
  free(body);
}

static void full_disk_fails_the_poll_and_keeps_the_store(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  int64_t fid = make_store(sc.db);
  struct store *s = open_store(sc.db);
  long long pages = sql_int(sc.db, "PRAGMA page_count");
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 4);
  assert_int_equal(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
  int r;
  char msg[512];
  big_poll(s, fid, &r, msg, sizeof msg);
  assert_int_equal(r, -ENOSPC);
  assert_non_null(strstr(msg, sc.db));
  assert_non_null(strstr(msg, "disk full while saving feed ea-worldview"));
  /* the connection goes on working with what it had */
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 10, &l), 0);
  assert_int_equal(l.n, 3);
  stream_list_clear(&l);
  store_close(s);
  assert_store_intact(sc.db, 3);
  scratch_remove(&sc);
}

/* In a child: a big poll under a file size limit 64 KiB above the store's size; 0 if it
 * fails with -EFBIG and the connection still reads the 3 entries it had. */
static int poll_past_size_limit(const char *path, char *msg, size_t msglen) {
  signal(SIGXFSZ, SIG_IGN);
  struct stat st;
  if (stat(path, &st) < 0)
    return 3;
  struct rlimit lim = {(rlim_t)st.st_size + 64 * 1024, (rlim_t)st.st_size + 64 * 1024};
  if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
    return 3;
  struct store *s = open_store(path);
  int r;
  big_poll(s, 1, &r, msg, msglen);
  struct stream_list l;
  int r2 = store_stream_newest(s, 10, &l);
  size_t n = l.n;
  stream_list_clear(&l);
  store_close(s);
  return r == -EFBIG && r2 == 0 && n == 3 ? 0 : 1;
}

static void file_size_limit_fails_the_poll_and_keeps_the_store(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  assert_int_equal(make_store(sc.db), 1); /* the feed id poll_past_size_limit uses */
  char msg[512];
  int verdict = run_child(poll_past_size_limit, sc.db, msg, sizeof msg);
  if (verdict != 0)
    fail_msg("writing past RLIMIT_FSIZE: verdict %d, message \"%s\"", verdict, msg);
  assert_non_null(strstr(msg, sc.db));
  assert_non_null(strstr(msg, "file size limit reached while saving feed ea-worldview"));
  assert_store_intact(sc.db, 3);
  scratch_remove(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(newer_store_is_refused_and_left_byte_for_byte),
      cmocka_unit_test(negative_schema_version_is_refused_and_left_byte_for_byte),
      cmocka_unit_test(missing_store_is_enoent_for_readers),
      cmocka_unit_test(foreign_file_is_refused_and_left_alone),
      cmocka_unit_test(another_programs_database_is_refused_and_left_alone),
      cmocka_unit_test(readonly_file_is_refused_with_a_clear_message),
      cmocka_unit_test(full_disk_fails_the_poll_and_keeps_the_store),
      cmocka_unit_test(file_size_limit_fails_the_poll_and_keeps_the_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
