/* ini_read.h — inih driven over an in-memory file, with real line numbers and every error.
 *
 * Promise: the handler sees each `key = value` with the line it came from, even when the line
 * is longer than inih's compiled-in buffer (Debian builds inih with INI_MAX_LINE 200, which would
 * otherwise split long URLs into two bogus lines); malformed lines (no '=', an unterminated
 * [section], a line over BRAID_CONFIG_MAX_LINE_BYTES, a NUL byte) are reported one by one,
 * not just the first. Indented lines are ordinary lines (inih's multi-line continuation is
 * never triggered). Inline comments are inih's: ';' after white space.
 */
#ifndef BRAID_INI_READ_H
#define BRAID_INI_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "msglist.h"

struct ini_read;
/* Called per key; report problems with ini_read_error. Return 0, or -ENOMEM to stop. */
typedef int (*ini_read_kv)(struct ini_read *r, const char *section, const char *key,
                           const char *value);
/* Called per [section] line; non-NULL; return 0 or -ENOMEM. */
typedef int (*ini_read_section)(struct ini_read *r, const char *section);

struct ini_read {
  const char *file;          /* label for messages */
  struct msg_list *errors;
  ini_read_kv on_kv;
  ini_read_section on_section; /* NULL: sections are refused as errors */
  void *user;
  unsigned nerrors;          /* problems reported so far */
  int lineno;                /* line being handled */
  /* private */
  const char *text;
  size_t len, pos;
  const char *raw;
  size_t raw_len;
  bool truncated;
  int fatal;
};

/* Runs inih over text. 0 when no problem was reported, -EINVAL when some were (all in
 * r->errors), -ENOMEM. */
int ini_read_run(struct ini_read *r, const char *text, size_t len);
/* Appends "FILE:LINE: MESSAGE" to r->errors. */
void ini_read_error(struct ini_read *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* true when s holds a control character (a value braid would write back or log must not). */
bool text_has_control(const char *s);

/* Reads a whole regular file of at most max bytes; *ret is NUL-terminated, malloc'ed.
 * 0, -EFBIG, -EISDIR/-EINVAL (not a regular file), -errno. */
int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len);

#endif
