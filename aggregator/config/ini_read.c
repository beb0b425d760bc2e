/* ini_read.c — inih over a buffer with a line-counting reader (see ini_read.h). */
#include "ini_read.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"

void ini_read_error(struct ini_read *r, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->nerrors++;
  if (msg_list_addf(r->errors, "%s:%d: %s", r->file, r->lineno, msg) < 0)
    r->fatal = -ENOMEM;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Where an inline comment starts (';' after white space, as inih sees it), or end. */
static const char *comment_start(const char *s, const char *end) {
  for (const char *p = s; p < end; p++)
    if (*p == ';' && p > s && is_blank(p[-1]))
      return p;
  return end;
}

/* A "[name]" line in s..cend (comment cut off): reported and 1 when it is bad, else handed
 * to on_section (its result: 0, or negative to stop). */
static int check_section(struct ini_read *r, const char *s, const char *cend, size_t room) {
  const char *close = memchr(s, ']', (size_t)(cend - s));
  if (!close) {
    ini_read_error(r, "unterminated [section]");
    return 1;
  }
  if ((size_t)(close - s) >= room) {
    ini_read_error(r, "section name too long");
    return 1;
  }
  if (!r->on_section) {
    ini_read_error(r, "this file takes no [sections]");
    return 1;
  }
  const char *a = s + 1, *z = close;
  while (a < z && is_blank(*a))
    a++;
  while (z > a && is_blank(z[-1]))
    z--;
  char name[256];
  snprintf(name, sizeof name, "%.*s", (int)(z - a), a);
  int rc = r->on_section(r, name);
  return rc < 0 ? rc : 0;
}

/* A "key = value" line: reported and 1 when it has no separator or inih cannot hold its key. */
static int check_key(struct ini_read *r, const char *s, const char *cend, size_t room) {
  const char *sep = s;
  while (sep < cend && *sep != '=' && *sep != ':')
    sep++;
  if (sep == cend) {
    ini_read_error(r, "expected 'key = value'");
    return 1;
  }
  if ((size_t)(sep - s) >= room) {
    ini_read_error(r, "key too long");
    return 1;
  }
  return 0;
}

/* The fgets-like reader inih calls: hands it one checked, left-trimmed line at a time. */
static char *reader(char *str, int num, void *stream) {
  struct ini_read *r = stream;
  for (;;) {
    if (r->pos >= r->len || r->fatal)
      return NULL;
    const char *line = r->text + r->pos;
    const char *nl = memchr(line, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - line) : r->len - r->pos;
    r->pos += n + (nl ? 1 : 0);
    r->lineno++;
    if (n > 0 && line[n - 1] == '\r')
      n--;
    if (r->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
      line += 3;
      n -= 3;
    }
    const char *s = line, *end = line + n;
    while (s < end && is_blank(*s))
      s++;
    r->raw = s;
    r->raw_len = (size_t)(end - s);
    r->truncated = false;
    if (s == end || *s == ';' || *s == '#')
      continue;
    if (memchr(s, '\0', r->raw_len)) {
      ini_read_error(r, "NUL byte in line");
      continue;
    }
    if (n > BRAID_CONFIG_MAX_LINE_BYTES) {
      ini_read_error(r, "line longer than %d bytes (BRAID_CONFIG_MAX_LINE_BYTES)",
                     BRAID_CONFIG_MAX_LINE_BYTES);
      continue;
    }
    const char *cend = comment_start(s, end);
    size_t room = (size_t)num - 2; /* inih's buffer keeps a '\n' and a NUL */
    int rc = *s == '[' ? check_section(r, s, cend, room) : check_key(r, s, cend, room);
    if (rc < 0) {
      r->fatal = rc;
      return NULL;
    }
    if (rc > 0)
      continue;
    size_t give = r->raw_len;
    if (give > room) {
      give = room;
      r->truncated = true;
    }
    memcpy(str, s, give);
    str[give] = '\n';
    str[give + 1] = '\0';
    return str;
  }
}

/* The whole value of the current line, for lines inih only saw the start of. */
static char *full_value(const struct ini_read *r) {
  const char *s = r->raw, *end = r->raw + r->raw_len;
  end = comment_start(s, end);
  while (s < end && *s != '=' && *s != ':')
    s++;
  if (s < end)
    s++;
  while (s < end && is_blank(*s))
    s++;
  while (end > s && (is_blank(end[-1]) || end[-1] == '\r'))
    end--;
  return strndup(s, (size_t)(end - s));
}

static int handler(void *user, const char *section, const char *name, const char *value) {
  struct ini_read *r = user;
  if (r->fatal)
    return 0;
  int rc;
  if (!name) /* INI_CALL_HANDLER_ON_NEW_SECTION builds */
    return 1;
  if (r->truncated) {
    char *v = full_value(r);
    if (!v) {
      r->fatal = -ENOMEM;
      return 0;
    }
    rc = r->on_kv(r, section, name, v);
    free(v);
  } else {
    rc = r->on_kv(r, section, name, value);
  }
  if (rc < 0)
    r->fatal = rc;
  return rc < 0 ? 0 : 1;
}

int ini_read_run(struct ini_read *r, const char *text, size_t len) {
  r->text = text;
  r->len = len;
  r->pos = 0;
  r->lineno = 0;
  r->nerrors = 0;
  r->fatal = 0;
  int rc = ini_parse_stream(reader, r, handler, r);
  if (r->fatal)
    return r->fatal;
  if (rc == -2)
    return -ENOMEM;
  if (rc > 0 && r->nerrors == 0) { /* a line inih refused that the reader let through */
    r->lineno = rc;
    ini_read_error(r, "malformed line");
  }
  return r->nerrors ? -EINVAL : 0;
}

bool text_has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return true;
  return false;
}

int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return -errno;
  struct stat st;
  int rc = 0;
  struct buf b;
  buf_init(&b, max);
  if (fstat(fd, &st) < 0) {
    rc = -errno;
    goto out;
  }
  if (S_ISDIR(st.st_mode)) {
    rc = -EISDIR;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    goto out;
  }
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      rc = -errno;
      goto out;
    }
    if (n == 0)
      break;
    rc = buf_append(&b, chunk, (size_t)n);
    if (rc == -E2BIG)
      rc = -EFBIG;
    if (rc < 0)
      goto out;
  }
  *ret_len = b.len;
  *ret = buf_steal(&b);
  if (!*ret)
    rc = -ENOMEM;
out:
  close(fd);
  buf_clear(&b);
  return rc;
}
