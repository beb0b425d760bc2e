/* log.h — braid's one logger: one line per event, `key=value` fields that grep well.
 *
 * Promise: a line is formatted only if its level is enabled; each line is written with one
 * write() so lines from concurrent processes never interleave; under systemd (stderr is the
 * journal, as JOURNAL_STREAM tells) each line starts with the sd-daemon priority prefix
 * (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug) so journald files it at the right
 * priority; on a terminal or file it starts with a UTC timestamp and the level's name.
 * Only the daemon and the commands log; modules below them return error codes.
 */
#ifndef BRAID_LOG_H
#define BRAID_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
  LOG_LEVEL_ERR = 3,
  LOG_LEVEL_WARNING = 4,
  LOG_LEVEL_NOTICE = 5,
  LOG_LEVEL_INFO = 6,
  LOG_LEVEL_DEBUG = 7,
};

struct logger {
  int max_level; /* lines above this level (less important) are skipped unformatted */
  bool journal;  /* write sd-daemon <N> prefixes instead of timestamps */
  int fd;        /* where lines go; stderr by default */
};

/* Sets up a logger on stderr at info level, in journal mode when stderr is the journal. */
void logger_init(struct logger *lg);
/* "err"/"error", "warning", "notice", "info", "debug" or a digit 3..7; -EINVAL otherwise. */
int log_level_parse(const char *name, int *ret_level);
static inline bool log_enabled(const struct logger *lg, int level) {
  return level <= lg->max_level;
}
/* Writes `EVENT FIELDS\n`, FIELDS being printf-formatted `key=value` pairs. Values that
 * come from outside (titles, URLs, error text) must go through log_value first. */
void log_event(const struct logger *lg, int level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Makes an untrusted string safe as one field value: quoted with "..." when it holds spaces,
 * quotes, '=' or is empty; control characters and quotes escaped; cut to fit `size` bytes
 * (with "..." marking the cut). Returns out. */
const char *log_value(char *out, size_t size, const char *value);

#endif
