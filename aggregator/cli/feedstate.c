/* feedstate.c — `braid feeds list --state|--json` (feedstate.h). */
#include "feedstate.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "store.h"

struct feed_view {
  const char *name;
  const char *state;        /* ok, not-modified, failing, retired, new */
  int64_t last_polled;      /* 0 never */
  int64_t next_due;         /* 0 unknown; INT64_MAX never (retired) */
  int64_t entries;
  char error[64];           /* "" when the last poll was fine */
  int errors_in_a_row;
};

static const struct store_feed_row *find_row(const struct store_feed_rows *r, const char *name) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(r->rows[mid].name, name);
    if (c == 0)
      return &r->rows[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static void view_of(const char *name, const struct store_feed_row *row, struct feed_view *v) {
  memset(v, 0, sizeof *v);
  v->name = name;
  v->state = "new";
  if (!row || row->last_polled == 0)
    return;
  v->last_polled = row->last_polled;
  v->next_due = row->retired ? INT64_MAX : row->next_due;
  v->entries = row->entries;
  v->errors_in_a_row = row->error_count;
  if (row->retired)
    v->state = "retired";
  else if (row->error_count > 0)
    v->state = "failing";
  else if (row->last_status == 304)
    v->state = "not-modified";
  else
    v->state = "ok";
  if (!row->retired && row->error_count == 0)
    return;
  if (row->last_status >= 300)
    snprintf(v->error, sizeof v->error, "HTTP %d", row->last_status);
  else if (row->last_status < 0)
    snprintf(v->error, sizeof v->error, "%s", fetch_outcome_name(-row->last_status));
  else
    snprintf(v->error, sizeof v->error, "not a usable feed (see the log)");
}

/* "42s", "7m", "3h", "2d": rounded down, short enough for a column. */
static void short_span(int64_t s, char *out, size_t size) {
  if (s < 120)
    snprintf(out, size, "%llds", (long long)s);
  else if (s < 120 * 60)
    snprintf(out, size, "%lldm", (long long)(s / 60));
  else if (s < 48 * 3600)
    snprintf(out, size, "%lldh", (long long)(s / 3600));
  else
    snprintf(out, size, "%lldd", (long long)(s / 86400));
}

static void print_row(const struct feed_view *v, int name_w, int64_t now) {
  char last[40] = "-", next[40] = "-", span[24];
  if (v->last_polled) {
    short_span(now > v->last_polled ? now - v->last_polled : 0, span, sizeof span);
    snprintf(last, sizeof last, "%s ago", span);
  }
  if (v->next_due == INT64_MAX) {
    snprintf(next, sizeof next, "never");
  } else if (v->next_due) {
    short_span(v->next_due > now ? v->next_due - now : 0, span, sizeof span);
    snprintf(next, sizeof next, v->next_due > now ? "in %s" : "due", span);
  }
  char err[96] = "-";
  if (v->error[0] && v->errors_in_a_row > 1)
    snprintf(err, sizeof err, "%s (%d in a row)", v->error, v->errors_in_a_row);
  else if (v->error[0])
    snprintf(err, sizeof err, "%s", v->error);
  printf("%-*s  %-12s  %-10s  %-10s  %7lld  %s\n", name_w, v->name, v->state, last, next,
         (long long)v->entries, err);
}

static void print_json(const struct feed_view *v, bool first) {
  /* Names are [A-Za-z0-9._-] and errors come from fixed words: nothing needs escaping. */
  printf("%s\n  {\"name\": \"%s\", \"state\": \"%s\", ", first ? "" : ",", v->name, v->state);
  if (v->last_polled)
    printf("\"last_poll\": %lld, ", (long long)v->last_polled);
  else
    printf("\"last_poll\": null, ");
  if (v->next_due && v->next_due != INT64_MAX)
    printf("\"next_poll\": %lld, ", (long long)v->next_due);
  else
    printf("\"next_poll\": null, ");
  printf("\"entries\": %lld, ", (long long)v->entries);
  if (v->error[0])
    printf("\"last_error\": \"%s\", ", v->error);
  else
    printf("\"last_error\": null, ");
  printf("\"errors_in_a_row\": %d}", v->errors_in_a_row);
}

int feeds_print_state(const struct braid_config *c, const struct feed_list *defs, bool json) {
  struct store *st = NULL;
  struct store_feed_rows rows = {0};
  char err[512];
  int rc = store_open(c->store_path, STORE_OPEN_READONLY, &st, err, sizeof err);
  if (rc == 0 && (rc = store_feed_rows(st, &rows)) < 0)
    snprintf(err, sizeof err, "%s", store_errmsg(st));
  store_close(st);
  if (rc < 0 && rc != -ENOENT) {
    fprintf(stderr, "braid feeds list: %s\n", err);
    return 1;
  }
  int name_w = 4;
  for (size_t i = 0; i < defs->n; i++) {
    int w = (int)strlen(defs->items[i].name);
    name_w = w > name_w ? w : name_w;
  }
  int64_t now = (int64_t)time(NULL);
  if (json)
    printf("[");
  else
    printf("%-*s  %-12s  %-10s  %-10s  %7s  %s\n", name_w, "NAME", "STATE", "LAST POLL", "NEXT",
           "ENTRIES", "LAST ERROR");
  for (size_t i = 0; i < defs->n; i++) {
    struct feed_view v;
    view_of(defs->items[i].name, find_row(&rows, defs->items[i].name), &v);
    if (json)
      print_json(&v, i == 0);
    else
      print_row(&v, name_w, now);
  }
  if (json)
    printf("%s]\n", defs->n ? "\n" : "");
  store_feed_rows_clear(&rows);
  return fflush(stdout) == 0 ? 0 : 1;
}
