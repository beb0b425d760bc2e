/* test_notify.c — the exact datagrams braid sends to the service manager.
 *
 * Each test binds a unix datagram socket where systemd would (a path in a temp dir, or an
 * abstract name), points NOTIFY_SOCKET at it, calls braid's notify functions and reads back
 * what arrived. The public functions go through sd_notify() in this build; the same checks run
 * against the plain-protocol sender that builds without libsystemd use.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

struct listener {
  char dir[64];
  char path[96];
  int fd;
};

static int bind_path_listener(void **state) {
  struct listener *l = calloc(1, sizeof *l);
  if (!l)
    return -1;
  snprintf(l->dir, sizeof l->dir, "/tmp/braid-notify-XXXXXX");
  if (!mkdtemp(l->dir)) {
    free(l);
    return -1;
  }
  snprintf(l->path, sizeof l->path, "%s/notify", l->dir);
  l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
  if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return -1;
  setenv("NOTIFY_SOCKET", l->path, 1);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  *state = l;
  return 0;
}

static int close_listener(void **state) {
  struct listener *l = *state;
  unsetenv("NOTIFY_SOCKET");
  if (!l)
    return 0;
  close(l->fd);
  if (l->path[0])
    unlink(l->path);
  if (l->dir[0])
    rmdir(l->dir);
  free(l);
  return 0;
}

/* Reads the one datagram a call should have sent and checks nothing else is queued. */
static void expect_datagram(const struct listener *l, const char *what, const char *want) {
  char got[1024];
  ssize_t n = recv(l->fd, got, sizeof got - 1, MSG_DONTWAIT);
  if (n < 0)
    fail_msg("%s: no datagram arrived (%s)", what, strerror(errno));
  got[n] = '\0';
  if (strcmp(got, want) != 0)
    fail_msg("%s sent \"%s\", want \"%s\"", what, got, want);
  char extra[16];
  if (recv(l->fd, extra, sizeof extra, MSG_DONTWAIT) >= 0)
    fail_msg("%s sent more than one datagram", what);
}

static void test_state_messages(void **state) {
  struct listener *l = *state;
  assert_int_equal(notify_ready(), 0);
  expect_datagram(l, "notify_ready", "READY=1");
  assert_int_equal(notify_stopping(), 0);
  expect_datagram(l, "notify_stopping", "STOPPING=1");
  assert_int_equal(notify_watchdog(), 0);
  expect_datagram(l, "notify_watchdog", "WATCHDOG=1");
  assert_int_equal(notify_status("polling feeds=%d due=%s", 12, "3"), 0);
  expect_datagram(l, "notify_status", "STATUS=polling feeds=12 due=3");
}

static uint64_t monotonic_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* systemd 253+ pairs RELOADING=1 with the reload it asked for by this timestamp. */
static void test_reloading_carries_monotonic_time(void **state) {
  struct listener *l = *state;
  uint64_t before = monotonic_usec();
  assert_int_equal(notify_reloading(), 0);
  uint64_t after = monotonic_usec();
  char got[256];
  ssize_t n = recv(l->fd, got, sizeof got - 1, MSG_DONTWAIT);
  assert_true(n > 0);
  got[n] = '\0';
  uint64_t stamp;
  int used = 0;
  if (sscanf(got, "RELOADING=1\nMONOTONIC_USEC=%" SCNu64 "%n", &stamp, &used) != 1 ||
      (size_t)used != strlen(got))
    fail_msg("notify_reloading sent \"%s\", want RELOADING=1\\nMONOTONIC_USEC=N", got);
  if (stamp < before || stamp > after)
    fail_msg("MONOTONIC_USEC=%" PRIu64 " is outside [%" PRIu64 ", %" PRIu64 "]", stamp, before,
             after);
}

/* A feed title in a status must not be able to send READY=1 or STOPPING=1 on its own. */
static void test_status_cannot_forge_fields(void **state) {
  struct listener *l = *state;
  assert_int_equal(notify_status("feed=%s", "evil\nSTOPPING=1\r\t"), 0);
  expect_datagram(l, "notify_status with newlines", "STATUS=feed=evil STOPPING=1  ");
}

static void test_status_cut_at_character_boundary(void **state) {
  struct listener *l = *state;
  char text[NOTIFY_STATUS_MAX_BYTES + 8];
  /* 255 ASCII bytes, then "é" (2 bytes) straddling the 256-byte cap, then more. */
  memset(text, 'a', NOTIFY_STATUS_MAX_BYTES - 1);
  strcpy(text + NOTIFY_STATUS_MAX_BYTES - 1, "\xc3\xa9zz");
  char want[NOTIFY_STATUS_MAX_BYTES + 16] = "STATUS=";
  memset(want + 7, 'a', NOTIFY_STATUS_MAX_BYTES - 1);
  want[7 + NOTIFY_STATUS_MAX_BYTES - 1] = '\0';
  assert_int_equal(notify_status("%s", text), 0);
  expect_datagram(l, "notify_status over the cap", want);

  /* Exactly at the cap nothing is cut. */
  memset(text, 'b', NOTIFY_STATUS_MAX_BYTES);
  text[NOTIFY_STATUS_MAX_BYTES] = '\0';
  snprintf(want, sizeof want, "STATUS=%s", text);
  assert_int_equal(notify_status("%s", text), 0);
  expect_datagram(l, "notify_status at the cap", want);
}

static void test_plain_protocol_path_socket(void **state) {
  struct listener *l = *state;
  assert_int_equal(notify_send_plain("READY=1"), 0);
  expect_datagram(l, "notify_send_plain", "READY=1");
  assert_int_equal(notify_send_plain("RELOADING=1\nMONOTONIC_USEC=42"), 0);
  expect_datagram(l, "notify_send_plain, two fields", "RELOADING=1\nMONOTONIC_USEC=42");
}

/* systemd's own socket is a path, but a container manager or `systemd-notify` test harness
 * may hand out an abstract one: "@name" means a leading NUL byte. */
static void test_abstract_socket(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "braid-notify-test-%ld", (long)getpid());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  memcpy(sa.sun_path + 1, name, strlen(name));
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
  if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
    fail_msg("cannot bind abstract socket: %s", strerror(errno));
  char env[80];
  snprintf(env, sizeof env, "@%s", name);
  setenv("NOTIFY_SOCKET", env, 1);

  struct listener l = {.fd = fd};
  assert_int_equal(notify_ready(), 0);
  expect_datagram(&l, "notify_ready to @socket", "READY=1");
  assert_int_equal(notify_send_plain("WATCHDOG=1"), 0);
  expect_datagram(&l, "notify_send_plain to @socket", "WATCHDOG=1");
  close(fd);
}

static void test_no_socket_is_a_no_op(void **state) {
  (void)state;
  unsetenv("NOTIFY_SOCKET");
  assert_int_equal(notify_ready(), 0);
  assert_int_equal(notify_status("x=%d", 1), 0);
  assert_int_equal(notify_reloading(), 0);
  assert_int_equal(notify_stopping(), 0);
  assert_int_equal(notify_watchdog(), 0);
  assert_int_equal(notify_send_plain("READY=1"), 0);
  setenv("NOTIFY_SOCKET", "", 1);
  assert_int_equal(notify_ready(), 0);
  assert_int_equal(notify_send_plain("READY=1"), 0);
  unsetenv("NOTIFY_SOCKET");
}

static void test_unreachable_socket_is_an_error(void **state) {
  (void)state;
  setenv("NOTIFY_SOCKET", "/nonexistent-braid-dir/notify", 1);
  assert_int_equal(notify_ready(), -ENOENT);
  assert_int_equal(notify_send_plain("READY=1"), -ENOENT);
  setenv("NOTIFY_SOCKET", "relative/notify", 1);
  assert_true(notify_ready() < 0);
  assert_int_equal(notify_send_plain("READY=1"), -EAFNOSUPPORT);
}

/* Both implementations must agree on every case. */
static void expect_interval(const char *usec, const char *pid, int want_r, uint64_t want_usec) {
  if (usec)
    setenv("WATCHDOG_USEC", usec, 1);
  else
    unsetenv("WATCHDOG_USEC");
  if (pid)
    setenv("WATCHDOG_PID", pid, 1);
  else
    unsetenv("WATCHDOG_PID");
  uint64_t got = 12345;
  int r = notify_watchdog_interval_usec(&got);
  if (r != want_r || (r == 0 && got != want_usec))
    fail_msg("WATCHDOG_USEC=%s WATCHDOG_PID=%s: notify_watchdog_interval_usec = %d, %" PRIu64
             "; want %d, %" PRIu64,
             usec ? usec : "(unset)", pid ? pid : "(unset)", r, got, want_r, want_usec);
  got = 12345;
  r = notify_watchdog_interval_plain(&got);
  if (r != want_r || (r == 0 && got != want_usec))
    fail_msg("WATCHDOG_USEC=%s WATCHDOG_PID=%s: notify_watchdog_interval_plain = %d, %" PRIu64
             "; want %d, %" PRIu64,
             usec ? usec : "(unset)", pid ? pid : "(unset)", r, got, want_r, want_usec);
}

static void test_watchdog_interval(void **state) {
  (void)state;
  char self[32], other[32];
  snprintf(self, sizeof self, "%ld", (long)getpid());
  snprintf(other, sizeof other, "%ld", (long)getpid() + 1);
  expect_interval(NULL, NULL, 0, 0);
  expect_interval("60000000", NULL, 0, 60000000);
  expect_interval("60000000", self, 0, 60000000);
  expect_interval("60000000", other, 0, 0);
  expect_interval("0", NULL, -EINVAL, 0);
  expect_interval("sixty", NULL, -EINVAL, 0);
  expect_interval("60000000", "me", -EINVAL, 0);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_state_messages, bind_path_listener, close_listener),
      cmocka_unit_test_setup_teardown(test_reloading_carries_monotonic_time, bind_path_listener,
                                      close_listener),
      cmocka_unit_test_setup_teardown(test_status_cannot_forge_fields, bind_path_listener,
                                      close_listener),
      cmocka_unit_test_setup_teardown(test_status_cut_at_character_boundary, bind_path_listener,
                                      close_listener),
      cmocka_unit_test_setup_teardown(test_plain_protocol_path_socket, bind_path_listener,
                                      close_listener),
      cmocka_unit_test_teardown(test_abstract_socket, close_listener),
      cmocka_unit_test(test_no_socket_is_a_no_op),
      cmocka_unit_test(test_unreachable_socket_is_an_error),
      cmocka_unit_test(test_watchdog_interval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
