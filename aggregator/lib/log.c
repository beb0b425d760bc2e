/* log.c — the line logger. See log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One log line is at most this many bytes; longer ones are cut, never split. */
#define LOG_LINE_MAX 4096

/* systemd sets JOURNAL_STREAM=DEV:INODE for the stream it connected to stderr; if our
 * stderr is still that stream, the journal reads our priority prefixes. */
static bool stderr_is_journal(void) {
  const char *js = getenv("JOURNAL_STREAM");
  if (!js)
    return false;
  unsigned long long dev, ino;
  if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
    return false;
  struct stat st;
  if (fstat(STDERR_FILENO, &st) < 0)
    return false;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void logger_init(struct logger *lg) {
  lg->max_level = LOG_LEVEL_INFO;
  lg->journal = stderr_is_journal();
  lg->fd = STDERR_FILENO;
}

int log_level_parse(const char *name, int *ret_level) {
  static const struct {
    const char *name;
    int level;
  } names[] = {{"err", LOG_LEVEL_ERR},       {"error", LOG_LEVEL_ERR},
               {"warning", LOG_LEVEL_WARNING}, {"warn", LOG_LEVEL_WARNING},
               {"notice", LOG_LEVEL_NOTICE},   {"info", LOG_LEVEL_INFO},
               {"debug", LOG_LEVEL_DEBUG}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i].name) == 0) {
      *ret_level = names[i].level;
      return 0;
    }
  if (name[0] >= '3' && name[0] <= '7' && name[1] == '\0') {
    *ret_level = name[0] - '0';
    return 0;
  }
  return -EINVAL;
}

static const char *level_name(int level) {
  switch (level) {
  case LOG_LEVEL_ERR: return "error";
  case LOG_LEVEL_WARNING: return "warning";
  case LOG_LEVEL_NOTICE: return "notice";
  case LOG_LEVEL_INFO: return "info";
  default: return "debug";
  }
}

static __attribute__((format(printf, 4, 0))) void log_eventv(const struct logger *lg, int level,
                                                               const char *event,
                                                               const char *fmt, va_list ap) {
  if (!log_enabled(lg, level))
    return;
  char line[LOG_LINE_MAX];
  int n;
  if (lg->journal) {
    n = snprintf(line, sizeof line, "<%d>%s ", level, event);
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02dZ %s %s ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, level_name(level),
                 event);
  }
  if (n < 0)
    return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  int m = vsnprintf(line + len, sizeof line - len, fmt, ap);
  if (m > 0)
    len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
  while (len > 0 && line[len - 1] == ' ')
    len--;
  line[len++] = '\n';
  /* One write per line: the journal and `tail` see whole lines, even from several
   * processes. A failed log write has nowhere to be reported, so it is dropped. */
  ssize_t w;
  do
    w = write(lg->fd, line, len);
  while (w < 0 && errno == EINTR);
}

void log_event(const struct logger *lg, int level, const char *event, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_eventv(lg, level, event, fmt, ap);
  va_end(ap);
}

/* The escaped form of one byte, as log_value writes it; returns its length. */
static size_t escape_byte(unsigned char c, char esc[5]) {
  if (c == '"' || c == '\\') {
    esc[0] = '\\';
    esc[1] = (char)c;
    return 2;
  }
  if (c == '\n') {
    memcpy(esc, "\\n", 2);
    return 2;
  }
  if (c < 0x20 || c == 0x7f) {
    snprintf(esc, 5, "\\x%02x", c);
    return 4;
  }
  esc[0] = (char)c;
  return 1;
}

const char *log_value(char *out, size_t size, const char *value) {
  if (size == 0)
    return out;
  if (!value)
    value = "";
  bool quote = value[0] == '\0';
  size_t full = 0;
  char esc[5];
  for (const char *p = value; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f)
      quote = true;
    full += escape_byte(c, esc);
  }
  size_t room = size - 1 - (quote ? 2 : 0); /* bytes for the value itself */
  if (size < 1 + (quote ? 2u : 0u))
    room = 0, quote = false;
  bool cut = full > room;
  size_t limit = cut ? (room >= 3 ? room - 3 : 0) : room;
  size_t o = 0;
  if (quote)
    out[o++] = '"';
  size_t used = 0;
  for (const char *p = value; *p; p++) {
    size_t n = escape_byte((unsigned char)*p, esc);
    if (used + n > limit)
      break;
    memcpy(out + o, esc, n);
    o += n;
    used += n;
  }
  if (cut)
    for (int dots = 0; dots < 3 && used < room; dots++, used++)
      out[o++] = '.';
  if (quote)
    out[o++] = '"';
  out[o] = '\0';
  return out;
}
