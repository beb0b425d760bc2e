/* bench_store.c — how fast the store takes poll results and answers the newest-N query.
 *
 * usage: bench_store STORE_PATH [ENTRIES [ITEMS_PER_POLL [FEEDS]]]
 * Writes ENTRIES ordinary items (default 1,000,000), ITEMS_PER_POLL (default 20) per poll,
 * round-robin over FEEDS feeds (default 100), each with a distinct ~60-word
 * text (so every one is fingerprinted and looked up for near-duplicates) and a time 30 s
 * apart (a year of stream for a million entries). Polls are grouped into transactions the
 * way the daemon groups a burst of them (poll.c: each poll a savepoint of a store_group_*
 * transaction, committed after GROUP_MAX_POLLS polls or GROUP_MAX_ENTRIES entries, the
 * bounds of daemon/loopctx.h); BENCH_GROUP=0 in the environment writes one transaction per
 * poll instead. Then re-stores the last poll unchanged
 * 1000 times, and times store_stream_newest(100) on a freshly opened store. Also prints the
 * rate of the first RATE_BLOCK entries beside that of the last RATE_BLOCK (issue 16: ingest
 * at a million stored entries within 20 % of the rate at ten thousand), and the bytes the
 * process wrote per entry in each block (/proc/self/io: the WAL's pages and the checkpoints'
 * copies, a figure that other work on the machine does not move). Built and run by run.sh. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <time.h>

#include "benchstore.h"
#include "store.h"

static void die(struct store *s, const char *what) {
  fprintf(stderr, "bench_store: %s: %s\n", what, s ? store_errmsg(s) : "");
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_store STORE_PATH [ENTRIES [ITEMS_PER_POLL [FEEDS]]]\n");
    return 2;
  }
  const char *path = argv[1];
  long entries = argc > 2 ? atol(argv[2]) : 1000000;
  int per_poll = argc > 3 ? atoi(argv[3]) : 20;
  int feeds = argc > 4 ? atoi(argv[4]) : 100;
  const char *group_env = getenv("BENCH_GROUP");
  bool grouped = !group_env || strcmp(group_env, "0") != 0;
  int64_t *feed_ids;
  struct store *s = bench_open_with_feeds("bench_store", path, feeds, &feed_ids);
  if (!s)
    return 1;
  char err[512];
  int64_t t0 = 1700000000 - (int64_t)entries * 30;
  /* the items of the poll being written: the last one is re-stored unchanged afterwards */
  struct store_item *items = calloc((size_t)per_poll, sizeof *items);
  char(*text)[1024] = calloc((size_t)per_poll, sizeof *text);
  char(*html)[1100] = calloc((size_t)per_poll, sizeof *html);
  char(*guid)[32] = calloc((size_t)per_poll, sizeof *guid);
  char(*link)[96] = calloc((size_t)per_poll, sizeof *link);
  int last_n = 0, last_feed = 0;
  struct store_put_stats st = {0};
  double start = now_s(), last = start, cpu_start = cpu_s();
  double block_wall = start, block_cpu = cpu_start, block_written = written_bytes();
  double first_block_wall = 0, first_block_cpu = 0, last_block_wall = 0, last_block_cpu = 0;
  double first_block_written = 0, last_block_written = 0;
  long done = 0, group_entries = 0, transactions = 0;
  int group_polls = 0;
  for (long poll = 0; done < entries; poll++) {
    int f = (int)(poll % feeds);
    if (grouped && !store_group_open(s) && store_group_begin(s) < 0)
      die(s, "group begin");
    if (store_begin(s) < 0)
      die(s, "begin");
    int i;
    for (i = 0; i < per_poll && done < entries; i++, done++) {
      make_text(text[i], sizeof text[i], 60);
      snprintf(html[i], sizeof html[i], "<p>%s</p>", text[i]);
      snprintf(guid[i], sizeof guid[i], "e%ld", done);
      snprintf(link[i], sizeof link[i], "https://feed%03d.example/story/%ld", f, done);
      items[i] = (struct store_item){.guid = guid[i], .link = link[i], .title = guid[i],
                                     .html = html[i], .text = text[i],
                                     .published = t0 + done * 30, .has_published = true};
      if (store_put_item(s, feed_ids[f], &items[i], t0 + done * 30, &st) < 0)
        die(s, "put");
    }
    last_n = i;
    last_feed = f;
    if (store_commit(s) < 0)
      die(s, "commit");
    group_polls++;
    group_entries += i;
    /* The rate blocks end on a commit: a group also closes where a block ends. */
    bool block_end = done == RATE_BLOCK || done == entries - RATE_BLOCK || done == entries;
    if (!grouped || group_polls >= GROUP_MAX_POLLS || group_entries >= GROUP_MAX_ENTRIES ||
        block_end) {
      if (grouped && store_group_commit(s) < 0)
        die(s, "group commit");
      group_polls = 0;
      group_entries = 0;
      transactions++;
    }
    /* the first block, and the block that ends with the last entry */
    if (done == RATE_BLOCK || (entries >= 2 * RATE_BLOCK && done == entries - RATE_BLOCK)) {
      if (done == RATE_BLOCK) {
        first_block_wall = now_s() - block_wall;
        first_block_cpu = cpu_s() - block_cpu;
        first_block_written = written_bytes() - block_written;
      }
      block_wall = now_s();
      block_cpu = cpu_s();
      block_written = written_bytes();
    }
    if (entries >= 2 * RATE_BLOCK && done == entries) {
      last_block_wall = now_s() - block_wall;
      last_block_cpu = cpu_s() - block_cpu;
      last_block_written = written_bytes() - block_written;
    }
    if (done % 100000 == 0 || done == entries) {
      double t = now_s();
      fprintf(stderr, "%8ld entries  %.0f entries/s (last block)\n", done,
              (done % 100000 ? done % 100000 : 100000) / (t - last));
      last = t;
    }
  }
  double insert_s = now_s() - start, insert_cpu_s = cpu_s() - cpu_start;
  if (st.new_entries != entries)
    fprintf(stderr, "bench_store: %d new entries, %d merged (expected %ld new)\n",
            st.new_entries, st.merged_duplicates, entries);

  /* Polls that bring nothing new, the common case for a daemon: no writes at all. */
  int unchanged_polls = 1000;
  struct store_put_stats ust = {0};
  double unchanged_start = now_s();
  for (int p = 0; p < unchanged_polls; p++)
    for (int i = 0; i < last_n; i++)
      if (store_put_item(s, feed_ids[last_feed], &items[i], 1700000000, &ust) < 0)
        die(s, "put unchanged");
  double unchanged_s = now_s() - unchanged_start;
  if (ust.unchanged != unchanged_polls * last_n)
    fprintf(stderr, "bench_store: %d of %d re-stored items unchanged\n", ust.unchanged,
            unchanged_polls * last_n);
  store_close(s);

  if (store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err) < 0) {
    fprintf(stderr, "bench_store: %s\n", err);
    return 1;
  }
  struct stream_list l;
  double q0 = now_s();
  if (store_stream_newest(s, 100, &l) < 0)
    die(s, "newest");
  double first_ms = (now_s() - q0) * 1000;
  stream_list_clear(&l);
  int reps = 200;
  q0 = now_s();
  for (int i = 0; i < reps; i++) {
    if (store_stream_newest(s, 100, &l) < 0)
      die(s, "newest");
    stream_list_clear(&l);
  }
  double avg_ms = (now_s() - q0) * 1000 / reps;
  store_close(s);
  struct stat sb;
  stat(path, &sb);
  printf("SQLite:               %s\n", sqlite3_libversion());
  printf("entries stored:       %ld in %d-item polls over %d feeds\n", entries, per_poll, feeds);
  printf("transactions:         %ld (%s)\n", transactions,
         grouped ? "polls grouped as the daemon groups them: <= 64 polls, <= 400 entries"
                 : "one per poll: BENCH_GROUP=0");
  printf("insert rate:          %.0f entries/s (%.1f s)\n", entries / insert_s, insert_s);
  printf("insert rate, CPU:     %.0f entries/s (%.1f s user+sys)\n", entries / insert_cpu_s,
         insert_cpu_s);
  if (last_block_cpu > 0 && first_block_cpu > 0) {
    double first = RATE_BLOCK / first_block_cpu, lastr = RATE_BLOCK / last_block_cpu;
    printf("first %d, CPU:     %.0f entries/s (%.0f/s wall)\n", RATE_BLOCK, first,
           RATE_BLOCK / first_block_wall);
    printf("last %d, CPU:      %.0f entries/s (%.0f/s wall) at %ld stored\n", RATE_BLOCK, lastr,
           RATE_BLOCK / last_block_wall, entries);
    printf("flat ratio:           %.2f (last block's CPU rate / first block's; goal >= 0.80)\n",
           lastr / first);
    printf("written per entry:    %.1f KB in the first %d, %.1f KB in the last %d\n",
           first_block_written / RATE_BLOCK / 1024, RATE_BLOCK,
           last_block_written / RATE_BLOCK / 1024, RATE_BLOCK);
  }
  printf("unchanged items:      %.0f items/s (re-polls with nothing new)\n",
         unchanged_polls * last_n / unchanged_s);
  printf("newest 100, first:    %.2f ms (freshly opened store)\n", first_ms);
  printf("newest 100, average:  %.2f ms over %d queries\n", avg_ms, reps);
  printf("store file:           %.0f MB\n", (double)sb.st_size / 1e6);
  /* issue 16's goals, as ratios (>= 1 meets the goal): 50,000 entries per CPU second,
   * 30,000 per wall second, newest 100 under 5 ms */
  printf("goal ratios:          CPU %.2f (of 50000/s), wall %.2f (of 30000/s), newest-100 %.2f "
         "(of 5 ms)\n", entries / insert_cpu_s / 50000, entries / insert_s / 30000,
         first_ms > 0 ? 5 / first_ms : 0.0);
  free(feed_ids);
  free(items);
  free(text);
  free(html);
  free(guid);
  free(link);
  return 0;
}
