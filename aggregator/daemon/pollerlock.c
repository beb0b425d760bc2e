/* pollerlock.c — one poller per store: flock on STORE.lock. See pollerlock.h. */
#include "pollerlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Bytes of the holder's pid line and of its command line read for the message. */
#define POLLER_LOCK_PID_BYTES 32
#define POLLER_LOCK_CMD_BYTES 200

/* The holder's command line from /proc, arguments joined by spaces, into out ("" if gone). */
static void holder_command(long pid, char *out, size_t size) {
  out[0] = '\0';
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, out, size - 1);
  close(fd);
  if (n <= 0)
    return;
  out[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if (out[i] == '\0' || (unsigned char)out[i] < 0x20)
      out[i] = ' ';
  while (n > 0 && out[n - 1] == ' ')
    out[--n] = '\0';
}

/* What the lock file says of its holder: "pid N (COMMAND)", or a plain "another process". */
static void describe_holder(int fd, char *out, size_t size) {
  char buf[POLLER_LOCK_PID_BYTES];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  char *end;
  long pid = strtol(buf, &end, 10);
  if (end == buf || pid <= 0) {
    snprintf(out, size, "another process");
    return;
  }
  char cmd[POLLER_LOCK_CMD_BYTES];
  holder_command(pid, cmd, sizeof cmd);
  if (cmd[0])
    snprintf(out, size, "pid %ld (%s)", pid, cmd);
  else
    snprintf(out, size, "pid %ld", pid);
}

int poller_lock_take(const char *store_path, int *ret_fd, char *err, size_t errlen) {
  *ret_fd = -1;
  char *path;
  if (asprintf(&path, "%s.lock", store_path) < 0) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "cannot open the poller lock %s: %s", path, strerror(e));
    free(path);
    return -e;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    char who[POLLER_LOCK_CMD_BYTES + 64];
    if (e == EWOULDBLOCK) {
      describe_holder(fd, who, sizeof who);
      snprintf(err, errlen, "another braid is polling this store: %s holds %s; one poller per "
               "store (braid tail, export and the server read it without a lock)", who, path);
    } else {
      snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
    }
    close(fd);
    free(path);
    return -e;
  }
  free(path);
  char pid[POLLER_LOCK_PID_BYTES];
  int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  /* The pid is only for the message of whoever is refused: a failure to write it does not
   * weaken the lock. */
  if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
    pid[0] = '\0';
  *ret_fd = fd;
  return 0;
}

/* The most lines of /proc/locks read: one per lock on the machine, so bounded. */
#define POLLER_LOCK_PROC_LINES 100000

int poller_lock_holder(const char *store_path, long *ret_pid) {
  *ret_pid = 0;
  char *path;
  if (asprintf(&path, "%s.lock", store_path) < 0)
    return -ENOMEM;
  struct stat sb;
  int rc = stat(path, &sb);
  free(path);
  if (rc < 0)
    return errno == ENOENT ? 0 : -errno;
  FILE *f = fopen("/proc/locks", "re");
  if (!f)
    return -errno;
  /* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
  char line[256];
  int found = 0;
  for (int n = 0; n < POLLER_LOCK_PROC_LINES && fgets(line, sizeof line, f); n++) {
    char kind[16];
    long pid;
    unsigned maj, min;
    unsigned long long ino;
    if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &maj, &min, &ino) != 5)
      continue;
    if (strcmp(kind, "FLOCK") == 0 && ino == (unsigned long long)sb.st_ino &&
        maj == major(sb.st_dev) && min == minor(sb.st_dev)) {
      *ret_pid = pid;
      found = 1;
      break;
    }
  }
  fclose(f);
  return found;
}

void poller_lock_release(int fd) {
  if (fd >= 0)
    close(fd); /* closing the last descriptor drops the flock */
}
