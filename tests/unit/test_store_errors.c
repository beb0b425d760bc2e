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

static void newer_store_is_refused_and_left_byte_for_byte(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  make_store(sc.db);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  size_t len_before, len_after;
  char *before = slurp(sc.db, &len_before);
  for (int ro = 0; ro < 2; ro++) {
    struct store *s = (struct store *)1;
    char err[512];
    int r = store_open(sc.db, ro ? STORE_OPEN_READONLY : 0, &s, err, sizeof err);
    assert_int_equal(r, -EPROTO);
    assert_null(s);
    assert_non_null(strstr(err, sc.db));
    assert_non_null(strstr(err, "written by a newer braid (schema version 99"));
  }
  char *after = slurp(sc.db, &len_after);
  assert_int_equal(len_after, len_before);
  assert_memory_equal(after, before, len_before);
  free(before);
  free(after);
  scratch_remove(&sc);
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
  size_t n1, n2;
  char *before = slurp(sc.db, &n1);
  struct store *s;
  char err[512];
  assert_int_equal(store_open(sc.db, 0, &s, err, sizeof err), -EIO);
  assert_non_null(strstr(err, sc.db));
  assert_non_null(strstr(err, "not a braid store"));
  char *after = slurp(sc.db, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(before, after, n1);
  free(before);
  free(after);
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
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pipefd[0]);
    if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
      _exit(3);
    struct store *s;
    char err[512] = "";
    int r = store_open(sc.db, 0, &s, err, sizeof err);
    if (write(pipefd[1], err, strlen(err)) < 0)
      _exit(4);
    _exit(r == -EROFS ? 0 : 1);
  }
  close(pipefd[1]);
  char msg[512] = "";
  ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(pipefd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("opening a read-only store: exit %d, message \"%s\"", WEXITSTATUS(status), msg);
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

static void file_size_limit_fails_the_poll_and_keeps_the_store(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  int64_t fid = make_store(sc.db);
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pipefd[0]);
    signal(SIGXFSZ, SIG_IGN);
    struct stat st;
    if (stat(sc.db, &st) < 0)
      _exit(3);
    struct rlimit lim = {(rlim_t)st.st_size + 64 * 1024, (rlim_t)st.st_size + 64 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
      _exit(3);
    struct store *s = open_store(sc.db);
    int r;
    char msg[512];
    big_poll(s, fid, &r, msg, sizeof msg);
    struct stream_list l;
    int r2 = store_stream_newest(s, 10, &l);
    size_t n = l.n;
    stream_list_clear(&l);
    store_close(s);
    if (write(pipefd[1], msg, strlen(msg)) < 0)
      _exit(4);
    _exit(r == -EFBIG && r2 == 0 && n == 3 ? 0 : 1);
  }
  close(pipefd[1]);
  char msg[512] = "";
  ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(pipefd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("writing past RLIMIT_FSIZE: exit %d, message \"%s\"", WEXITSTATUS(status), msg);
  assert_non_null(strstr(msg, sc.db));
  assert_non_null(strstr(msg, "file size limit reached while saving feed ea-worldview"));
  assert_store_intact(sc.db, 3);
  scratch_remove(&sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(newer_store_is_refused_and_left_byte_for_byte),
      cmocka_unit_test(missing_store_is_enoent_for_readers),
      cmocka_unit_test(foreign_file_is_refused_and_left_alone),
      cmocka_unit_test(readonly_file_is_refused_with_a_clear_message),
      cmocka_unit_test(full_disk_fails_the_poll_and_keeps_the_store),
      cmocka_unit_test(file_size_limit_fails_the_poll_and_keeps_the_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
