/* cmd_split.c — `braid split [--date T] [--tz Z] [--mode M] FILE|-`: one HTML body in, its
 * live-blog updates out as JSON (the contract in DESIGN.md: {"liveblog", "entries": [{"time",
 * "stamp", "text", "html"}]}, oldest first). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "civil.h"
#include "commands.h"
#include "liveblog.h"
#include "tz.h"

static void usage(FILE *f) {
  fputs("usage: braid split [--date T] [--tz ZONE] [--mode auto|always|never] FILE|-\n"
        "  Splits one HTML body into its time-stamped live-blog updates and prints them as JSON.\n"
        "  --date T     the post's own date (RFC 3339), for stamps that carry no date\n"
        "  --tz ZONE    zone for stamps that name none (IANA name, abbreviation or offset)\n"
        "  --mode M     auto (default): a live blog needs three stamps in order; always; never\n",
        f);
}

static int read_all(const char *path, struct buf *out) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f)
    return -errno;
  char chunk[65536];
  size_t n;
  int r = 0;
  errno = 0;
  while (r == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    r = buf_append(out, chunk, n);
  if (r == 0 && ferror(f))
    r = errno ? -errno : -EIO; /* EISDIR for a directory */
  if (f != stdin)
    fclose(f);
  return r;
}

/* A JSON string even from bytes that are not UTF-8 (each bad byte becomes U+FFFD). */
static json_t *json_text(const char *s) {
  json_t *j = json_string(s);
  if (j)
    return j;
  struct buf b;
  buf_init(&b, 0);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    size_t k = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
    bool ok = k > 0;
    for (size_t i = 1; ok && i < k; i++)
      ok = (p[i] & 0xC0) == 0x80;
    if (ok && k > 1) {
      json_t *one = json_stringn((const char *)p, k);
      ok = one != NULL;
      json_decref(one);
    }
    if (ok) {
      buf_append(&b, p, k);
      p += k;
    } else {
      buf_append_str(&b, "\xEF\xBF\xBD");
      p++;
    }
  }
  j = json_string(buf_str(&b));
  buf_clear(&b);
  return j;
}

/* Reads the options into *opt and *ret_path. -1 to go on, else the exit code (0 after --help,
 * 2 for a usage error, said on stderr). --date and --tz are checked here, as the config check
 * would: every error is a usage error before any input is read. */
static int read_options(int argc, char **argv, struct split_options *opt, const char **ret_path) {
  static const struct option longopts[] = {
      {"date", required_argument, NULL, 'd'}, {"tz", required_argument, NULL, 'z'},
      {"mode", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *date = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "d:z:m:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'd':
      date = optarg;
      break;
    case 'z':
      opt->tz = optarg;
      break;
    case 'm':
      if (liveblog_mode_parse(optarg, &opt->mode) < 0) {
        fprintf(stderr, "braid split: --mode: \"%s\" is not auto, always or never\n", optarg);
        return 2;
      }
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "braid split: expected one FILE or -\n");
    usage(stderr);
    return 2;
  }
  *ret_path = argv[optind];
  if (date) {
    bool had_zone = false;
    int r = civil_parse_iso8601_zone(date, &opt->post_date, &had_zone, &opt->post_offset);
    if (r < 0) {
      fprintf(stderr, "braid split: --date: \"%s\" is not an RFC 3339 date%s\n", date,
              r == -ERANGE ? " (out of range)" : "");
      return 2;
    }
    opt->has_post_date = true;
    opt->has_post_offset = had_zone;
  }
  if (opt->tz && !tz_name_known(opt->tz)) {
    fprintf(stderr, "braid split: --tz: unknown time zone \"%s\"\n", opt->tz);
    return 2;
  }
  return -1;
}

/* The contract's JSON, straight to stdout: a 10 MB live blog need not be held twice more in
 * memory. 0, or 1 when stdout fails (said on stderr). */
static int print_updates(const struct liveblog *lb) {
  json_t *root = json_object();
  json_t *entries = json_array();
  json_object_set_new(root, "liveblog", json_boolean(lb->is_liveblog));
  json_object_set_new(root, "entries", entries);
  for (size_t i = 0; i < lb->n; i++) {
    const struct liveblog_update *u = &lb->updates[i];
    char when[CIVIL_UTC_LEN];
    civil_format_utc(u->time, when);
    json_t *e = json_object();
    json_object_set_new(e, "time", json_string(when));
    json_object_set_new(e, "stamp", json_text(u->stamp));
    json_object_set_new(e, "text", json_text(u->text));
    json_object_set_new(e, "html", json_text(u->html));
    json_array_append_new(entries, e);
  }
  int w = json_dumpf(root, stdout, JSON_PRESERVE_ORDER);
  json_decref(root);
  if (w != 0 || putchar('\n') == EOF || fflush(stdout) != 0) {
    fprintf(stderr, "braid split: writing stdout failed\n");
    return 1;
  }
  return 0;
}

int cmd_split(int argc, char **argv) {
  struct split_options opt = {.mode = LIVEBLOG_AUTO};
  const char *path = NULL;
  int code = read_options(argc, argv, &opt, &path);
  if (code >= 0)
    return code;
  struct buf body;
  buf_init(&body, BRAID_SPLIT_MAX_BODY_BYTES);
  int r = read_all(path, &body);
  if (r == -E2BIG) {
    fprintf(stderr, "braid split: %s: body is over BRAID_SPLIT_MAX_BODY_BYTES (%d bytes)\n",
            path, BRAID_SPLIT_MAX_BODY_BYTES);
    buf_clear(&body);
    return 1;
  }
  if (r < 0) {
    fprintf(stderr, "braid split: %s: %s\n", path, strerror(-r));
    buf_clear(&body);
    return 1;
  }
  struct liveblog *lb = NULL;
  char err[256];
  r = liveblog_split(buf_str(&body), body.len, &opt, &lb, err, sizeof err);
  buf_clear(&body);
  if (r < 0) {
    fprintf(stderr, "braid split: %s: %s\n", path, err[0] ? err : strerror(-r));
    return r == -EINVAL ? 2 : 1;
  }
  code = print_updates(lb);
  liveblog_free(lb);
  return code;
}
