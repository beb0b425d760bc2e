/* notify.c — the sd_notify protocol, through libsystemd or by hand. See notify.h. */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef BRAID_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

int notify_send_plain(const char *message) {
  const char *where = getenv("NOTIFY_SOCKET");
  /* Empty counts as unset: some launchers clear the variable by emptying it. */
  if (!where || !*where)
    return 0;
  /* Only the two forms systemd hands to services it starts; vsock (systemd 254+, for VMs)
   * never reaches a service on the host. */
  if (where[0] != '/' && where[0] != '@')
    return -EAFNOSUPPORT;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t len = strlen(where);
  bool abstract = where[0] == '@';
  /* A path needs room for its NUL; an abstract name is counted by length alone. */
  if (len > sizeof sa.sun_path - (abstract ? 0 : 1) || len < 2)
    return -EINVAL;
  memcpy(sa.sun_path, where, len);
  if (abstract)
    sa.sun_path[0] = '\0';
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  size_t mlen = strlen(message);
  ssize_t n = sendto(fd, message, mlen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
  int r = n < 0 ? -errno : (size_t)n != mlen ? -EIO : 0;
  close(fd);
  return r;
}

/* Decimal digits only, no sign, no spaces, no overflow: what systemd itself writes. */
static int parse_u64(const char *s, uint64_t *ret) {
  if (!*s)
    return -EINVAL;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -EINVAL;
    unsigned digit = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return -EINVAL;
    v = v * 10 + digit;
  }
  *ret = v;
  return 0;
}

int notify_watchdog_interval_plain(uint64_t *ret_usec) {
  *ret_usec = 0;
  const char *usec_text = getenv("WATCHDOG_USEC");
  if (!usec_text)
    return 0;
  uint64_t usec;
  /* 0 and UINT64_MAX (systemd's "infinity") are not intervals anyone can ping at. */
  if (parse_u64(usec_text, &usec) < 0 || usec == 0 || usec == UINT64_MAX)
    return -EINVAL;
  /* WATCHDOG_PID names the process the watchdog is for; a child that inherited the
   * environment (a hook braid spawns) must not ping on the daemon's behalf. */
  const char *pid_text = getenv("WATCHDOG_PID");
  if (pid_text) {
    uint64_t pid;
    if (parse_u64(pid_text, &pid) < 0 || pid == 0 || pid > INT32_MAX)
      return -EINVAL;
    if ((pid_t)pid != getpid())
      return 0;
  }
  *ret_usec = usec;
  return 0;
}

static int send_message(const char *message) {
#ifdef BRAID_HAVE_SYSTEMD
  const char *where = getenv("NOTIFY_SOCKET");
  if (!where || !*where) /* as notify_send_plain, where sd_notify would say -EINVAL */
    return 0;
  int r = sd_notify(0, message);
  return r < 0 ? r : 0;
#else
  return notify_send_plain(message);
#endif
}

int notify_ready(void) {
  return send_message("READY=1");
}

int notify_stopping(void) {
  return send_message("STOPPING=1");
}

int notify_watchdog(void) {
  return send_message("WATCHDOG=1");
}

int notify_reloading(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
    return -errno;
  uint64_t usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
  char message[64];
  snprintf(message, sizeof message, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, usec);
  return send_message(message);
}

int notify_status(const char *fmt, ...) {
  static const char prefix[] = "STATUS=";
  /* One byte beyond the cap shows whether the cut falls inside a UTF-8 sequence. */
  char message[sizeof prefix - 1 + NOTIFY_STATUS_MAX_BYTES + 2];
  memcpy(message, prefix, sizeof prefix - 1);
  char *text = message + sizeof prefix - 1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, NOTIFY_STATUS_MAX_BYTES + 2, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -EINVAL;
  if (n > NOTIFY_STATUS_MAX_BYTES) {
    size_t cut = NOTIFY_STATUS_MAX_BYTES;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
      cut--;
    text[cut] = '\0';
  }
  /* The protocol is newline-separated assignments: a newline in the text would start one. */
  for (char *p = text; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return send_message(message);
}

int notify_watchdog_interval_usec(uint64_t *ret_usec) {
#ifdef BRAID_HAVE_SYSTEMD
  uint64_t usec = 0;
  int r = sd_watchdog_enabled(0, &usec);
  if (r < 0)
    return r;
  *ret_usec = r > 0 ? usec : 0;
  return 0;
#else
  return notify_watchdog_interval_plain(ret_usec);
#endif
}
