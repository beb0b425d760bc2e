/* test_store.c — the store on real SQLite files: feeds, every upsert case, live-blog
 * re-polls, the stream queries and their indexes, pruning, and change detection. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "civil.h"
#include "store.h"
#include "store_internal.h"
#include "test_store_util.h"

static int64_t utc(int y, int mo, int d, int h, int mi) {
  int64_t t;
  assert_int_equal(civil_to_utc(y, mo, d, h, mi, 0, 0, &t), 0);
  return t;
}

struct fx {
  struct scratch sc;
  struct store *s;
  int64_t feed_a, feed_b;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  scratch_make(&f->sc);
  f->s = open_store(f->sc.db);
  assert_int_equal(
      store_feed_ensure(f->s, "ea-worldview", "https://ea.example/feed", &f->feed_a), 0);
  assert_int_equal(store_feed_ensure(f->s, "wire", "https://wire.example/rss", &f->feed_b), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  store_close(f->s);
  scratch_remove(&f->sc);
  free(f);
  return 0;
}

static size_t count_entries(struct store *s) {
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 1000, &l), 0);
  size_t n = l.n;
  stream_list_clear(&l);
  return n;
}

/* ---- opening ---------------------------------------------------------------------------- */

static void open_sets_up_wal_incremental_vacuum_and_schema(void **state) {
  struct fx *f = *state;
  char *mode = sql_text(f->sc.db, "PRAGMA journal_mode");
  assert_string_equal(mode, "wal");
  free(mode);
  assert_int_equal(sql_int(f->sc.db, "PRAGMA auto_vacuum"), 2); /* INCREMENTAL */
  assert_int_equal(sql_int(f->sc.db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
  /* the writer's savepoint journals stay in memory (store.c, set_writer_pragmas) */
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(f->s->db, "PRAGMA temp_store", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 2); /* MEMORY */
  sqlite3_finalize(st);
}

/* Open temporary files of SQLite's (etilqs_*, unlinked at once) in this process. */
static int sqlite_temp_files(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    char link[300], target[512];
    snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len > 0) {
      target[len] = '\0';
      n += strstr(target, "etilqs_") != NULL;
    }
  }
  closedir(d);
  return n;
}

/* A poll that edits 300 stored items changes hundreds of existing pages: its savepoint
 * journal holds their old images. It stays in memory (SQLite's default writes it to a
 * temporary file past 64 KiB: once 40 KB per entry), and the poll still rolls back whole. */
static void a_polls_savepoint_journal_stays_in_memory(void **state) {
  struct fx *f = *state;
  enum { N = 300 };
  static char guids[N][16], bodies[N][96];
  assert_int_equal(store_begin(f->s), 0);
  for (int i = 0; i < N; i++) {
    snprintf(guids[i], sizeof guids[i], "j%d", i);
    snprintf(bodies[i], sizeof bodies[i], "<p>first telling of story %d, word by word</p>", i);
    struct store_item it = plain_item(guids[i], NULL, guids[i], bodies[i], 1000 + 60 * i);
    assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  }
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(store_group_begin(f->s), 0);
  assert_int_equal(store_begin(f->s), 0);
  for (int i = 0; i < N; i++) {
    snprintf(bodies[i], sizeof bodies[i], "<p>second telling of story %d, other words</p>", i);
    struct store_item it = plain_item(guids[i], NULL, guids[i], bodies[i], 1000 + 60 * i);
    struct store_put_stats st = {0};
    assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
    assert_int_equal(st.updated_entries, 1);
  }
  assert_int_equal(sqlite_temp_files(), 0);
  store_rollback(f->s); /* the poll fails: its edits go, the group goes on */
  assert_int_equal(store_group_commit(f->s), 0);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries WHERE html LIKE '<p>first%'"), N);
}

/* ---- feeds ------------------------------------------------------------------------------ */

static void feed_ensure_is_idempotent_and_url_change_forgets_validators(void **state) {
  struct fx *f = *state;
  int64_t id;
  assert_int_equal(store_feed_ensure(f->s, "ea-worldview", "https://ea.example/feed", &id), 0);
  assert_int_equal(id, f->feed_a);
  struct store_feed_state st = {.etag = "\"abc\"", .last_modified = "Tue, 08 Nov 2011 21:30:00 GMT",
                                .effective_url = "https://ea2.example/feed", .title = "EA",
                                .site_url = "https://ea.example/", .next_due = 1000,
                                .last_polled = 900, .error_count = 2, .last_status = 503};
  assert_int_equal(store_feed_set_state(f->s, "ea-worldview", &st), 0);
  struct store_feed_state got;
  assert_int_equal(store_feed_get_state(f->s, "ea-worldview", &got), 0);
  assert_string_equal(got.url, "https://ea.example/feed");
  assert_string_equal(got.etag, "\"abc\"");
  assert_string_equal(got.last_modified, "Tue, 08 Nov 2011 21:30:00 GMT");
  assert_string_equal(got.effective_url, "https://ea2.example/feed");
  assert_string_equal(got.title, "EA");
  assert_string_equal(got.site_url, "https://ea.example/");
  assert_int_equal(got.next_due, 1000);
  assert_int_equal(got.last_polled, 900);
  assert_int_equal(got.error_count, 2);
  assert_int_equal(got.last_status, 503);
  assert_false(got.retired);
  store_feed_state_clear(&got);

  assert_int_equal(store_feed_ensure(f->s, "ea-worldview", "https://moved.example/feed", &id), 0);
  assert_int_equal(id, f->feed_a);
  assert_int_equal(store_feed_get_state(f->s, "ea-worldview", &got), 0);
  assert_string_equal(got.url, "https://moved.example/feed");
  assert_null(got.etag);
  assert_null(got.last_modified);
  assert_null(got.effective_url);
  assert_string_equal(got.title, "EA"); /* the feed's own title is still its title */
  store_feed_state_clear(&got);
}

static void unknown_feed_is_enoent_with_its_name(void **state) {
  struct fx *f = *state;
  struct store_feed_state got;
  assert_int_equal(store_feed_get_state(f->s, "nope", &got), -ENOENT);
  assert_non_null(strstr(store_errmsg(f->s), "nope"));
  struct store_feed_state st = {0};
  assert_int_equal(store_feed_set_state(f->s, "nope", &st), -ENOENT);
}

static void feeds_due_lists_soonest_first_without_retired(void **state) {
  struct fx *f = *state;
  int64_t id;
  assert_int_equal(store_feed_ensure(f->s, "gone", "https://gone.example/", &id), 0);
  struct store_feed_state a = {.next_due = 300}, b = {.next_due = 100},
                          gone = {.next_due = 50, .retired = true};
  assert_int_equal(store_feed_set_state(f->s, "ea-worldview", &a), 0);
  assert_int_equal(store_feed_set_state(f->s, "wire", &b), 0);
  assert_int_equal(store_feed_set_state(f->s, "gone", &gone), 0);
  struct store_name_list l;
  assert_int_equal(store_feeds_due(f->s, 300, 10, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.names[0], "wire");
  assert_string_equal(l.names[1], "ea-worldview");
  store_name_list_clear(&l);
  assert_int_equal(store_feeds_due(f->s, 299, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.names[0], "wire");
  store_name_list_clear(&l);
  /* a retired feed stays retired across restarts; a new url brings it back */
  assert_int_equal(store_feed_ensure(f->s, "gone", "https://gone.example/", &id), 0);
  assert_int_equal(store_feeds_due(f->s, 60, 10, &l), 0);
  assert_int_equal(l.n, 0);
  assert_int_equal(store_feed_ensure(f->s, "gone", "https://back.example/", &id), 0);
  assert_int_equal(store_feeds_due(f->s, 60, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.names[0], "gone");
  store_name_list_clear(&l);
}

/* ---- upserts ---------------------------------------------------------------------------- */

static void new_item_is_one_entry_with_its_fields(void **state) {
  struct fx *f = *state;
  int64_t pub = utc(2012, 2, 6, 12, 0);
  struct store_item it = plain_item("urn:a:1", "https://ea.example/2012/homs", "Homs massacre",
                                    "<p>Shelling</p>", pub);
  it.author = "Scott Lucas";
  it.text = "Shelling";
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, &st), 0);
  assert_int_equal(st.new_entries, 1);
  assert_int_equal(st.updated_entries + st.unchanged + st.merged_duplicates, 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 10, &l), 0);
  assert_int_equal(l.n, 1);
  struct stream_entry *e = &l.entries[0];
  assert_int_equal(strncmp(e->id, "tag:braid,2011:ea-worldview/", 28), 0);
  assert_int_equal(strlen(e->id), 28 + 16);
  assert_int_equal(e->time, pub);
  /* updated is the source's own (no updated date: its published date), not first seen. */
  assert_int_equal(e->updated, pub);
  assert_string_equal(e->title, "Homs massacre");
  assert_string_equal(e->link, "https://ea.example/2012/homs");
  assert_string_equal(e->author, "Scott Lucas");
  assert_string_equal(e->html, "<p>Shelling</p>");
  assert_string_equal(e->text, "Shelling");
  assert_null(e->stamp);
  assert_null(e->item_title);
  assert_string_equal(e->item_id, "urn:a:1");
  assert_int_equal(e->n_sources, 1);
  assert_string_equal(e->sources[0].feed, "ea-worldview");
  assert_string_equal(e->sources[0].feed_url, "https://ea.example/feed");
  assert_string_equal(e->sources[0].link, "https://ea.example/2012/homs");
  stream_list_clear(&l);
}

/* Within one write transaction the store remembers the last feed's name (put.c): items of
 * two feeds interleaved in a group, as the daemon writes polls, keep their own feed's id. */
static void feeds_interleaved_in_a_group_keep_their_names(void **state) {
  struct fx *f = *state;
  static const char *const guids[] = {"a1", "b1", "a2", "b2", "a3"};
  char bodies[5][64], links[5][64];
  assert_int_equal(store_group_begin(f->s), 0);
  for (int i = 0; i < 5; i++) {
    bool a = guids[i][0] == 'a';
    snprintf(links[i], sizeof links[i], "https://%s.example/%s", a ? "ea" : "wire", guids[i]);
    snprintf(bodies[i], sizeof bodies[i], "<p>story %s told once</p>", guids[i]);
    struct store_item it = plain_item(guids[i], links[i], guids[i], bodies[i], 1000 + 600 * i);
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(store_put_item(f->s, a ? f->feed_a : f->feed_b, &it, 5000, NULL), 0);
    assert_int_equal(store_commit(f->s), 0);
  }
  assert_int_equal(store_group_commit(f->s), 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 10, &l), 0);
  assert_int_equal(l.n, 5);
  for (size_t i = 0; i < l.n; i++) {
    const struct stream_entry *e = &l.entries[i];
    const char *feed = e->item_id[0] == 'a' ? "ea-worldview" : "wire";
    char segment[64]; /* tag:braid,YEAR:FEED/... */
    snprintf(segment, sizeof segment, ":%s/", feed);
    const char *colon = strrchr(e->id, ':');
    if (!colon || strncmp(colon, segment, strlen(segment)) != 0 ||
        strcmp(e->sources[0].feed, feed) != 0)
      fail_msg("entry %s: id %s, source %s; expected feed %s", e->item_id, e->id,
               e->sources[0].feed, feed);
  }
  stream_list_clear(&l);
}

static void unchanged_item_writes_nothing(void **state) {
  struct fx *f = *state;
  struct store_item it = plain_item("g1", "https://ea.example/a", "A", "<p>a</p>", 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  /* data_version on another connection moves only when this one commits a write */
  sqlite3 *other;
  assert_int_equal(sqlite3_open_v2(f->sc.db, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *dv;
  assert_int_equal(sqlite3_prepare_v2(other, "PRAGMA data_version", -1, &dv, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(dv), SQLITE_ROW);
  long long before = sqlite3_column_int64(dv, 0);
  sqlite3_reset(dv);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
  assert_int_equal(st.unchanged, 1);
  assert_int_equal(st.new_entries + st.updated_entries + st.merged_duplicates, 0);
  assert_int_equal(sqlite3_step(dv), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(dv, 0), before);
  sqlite3_finalize(dv);
  sqlite3_close(other);
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.entries[0].updated, 1000); /* the source's date, untouched by a re-poll */
  stream_list_clear(&l);
}

static void edited_item_keeps_id_and_seq_with_new_updated_time(void **state) {
  struct fx *f = *state;
  struct store_item it = plain_item("g1", "https://ea.example/a", "A", "<p>first</p>", 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  struct stream_list before;
  assert_int_equal(store_stream_newest(f->s, 10, &before), 0);
  it.html = it.text = "<p>corrected</p>";
  it.title = "A (updated)";
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 7000, &st), 0);
  assert_int_equal(st.updated_entries, 1);
  assert_int_equal(st.new_entries, 0);
  struct stream_list after;
  assert_int_equal(store_stream_newest(f->s, 10, &after), 0);
  assert_int_equal(after.n, 1);
  assert_string_equal(after.entries[0].id, before.entries[0].id);
  assert_int_equal(after.entries[0].seq, before.entries[0].seq);
  assert_int_equal(after.entries[0].updated, 7000);
  assert_string_equal(after.entries[0].html, "<p>corrected</p>");
  assert_string_equal(after.entries[0].title, "A (updated)");
  stream_list_clear(&before);
  stream_list_clear(&after);
}

static void item_without_guid_is_found_by_normalised_link(void **state) {
  struct fx *f = *state;
  struct store_item it = plain_item(NULL, "http://EA.example:80/a/?utm_source=rss&utm_medium=x",
                                    "A", "<p>a</p>", 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  struct stream_list l1;
  assert_int_equal(store_stream_newest(f->s, 10, &l1), 0);
  it.link = "https://ea.example/a#comments";
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
  assert_int_equal(st.new_entries, 0);
  assert_int_equal(st.updated_entries, 1); /* its link changed */
  struct stream_list l2;
  assert_int_equal(store_stream_newest(f->s, 10, &l2), 0);
  assert_int_equal(l2.n, 1);
  assert_string_equal(l2.entries[0].id, l1.entries[0].id);
  assert_string_equal(l2.entries[0].link, "https://ea.example/a#comments");
  stream_list_clear(&l1);
  stream_list_clear(&l2);
}

static void item_without_guid_or_link_is_found_by_title_and_date(void **state) {
  struct fx *f = *state;
  struct store_item it = plain_item(NULL, NULL, "Untitled bulletin", "<p>x</p>", 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
  assert_int_equal(st.unchanged, 1);
  it.html = it.text = "<p>y</p>"; /* same title and date, new body: the same item edited */
  memset(&st, 0, sizeof st);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 7000, &st), 0);
  assert_int_equal(st.updated_entries, 1);
  it.title = "Another bulletin";
  memset(&st, 0, sizeof st);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 8000, &st), 0);
  assert_int_equal(st.new_entries, 1);
  assert_int_equal(count_entries(f->s), 2);
}

static void entry_time_falls_back_to_updated_then_first_seen(void **state) {
  struct fx *f = *state;
  struct store_item upd = {.guid = "u", .title = "U", .updated = 2000, .has_updated = true};
  struct store_item none = {.guid = "n", .title = "N"};
  assert_int_equal(store_put_item(f->s, f->feed_a, &upd, 5000, NULL), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &none, 6000, NULL), 0);
  none.html = "<p>edited later</p>"; /* first seen stays the time */
  assert_int_equal(store_put_item(f->s, f->feed_a, &none, 9000, NULL), 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 10, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.entries[0].title, "N");
  assert_int_equal(l.entries[0].time, 6000);
  assert_string_equal(l.entries[1].title, "U");
  assert_int_equal(l.entries[1].time, 2000);
  stream_list_clear(&l);
}

static void same_link_in_one_feed_with_two_guids_is_two_entries(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("g1", "https://ea.example/x", "One", "<p>1</p>", 1000);
  struct store_item b = plain_item("g2", "https://ea.example/x", "Two", "<p>2</p>", 1001);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &b, 5000, NULL), 0);
  assert_int_equal(count_entries(f->s), 2);
}

static void same_link_from_another_feed_is_one_entry_with_two_sources(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("ea-1", "https://news.example/story?id=7&utm_source=ea",
                                   "Story", "<p>one</p>", 1000);
  struct store_item b = plain_item("wire-9", "HTTP://News.Example/story?fbclid=zz&id=7#top",
                                   "Story (wire)", "<p>other words</p>", 1200);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 5100, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  assert_int_equal(st.new_entries, 0);
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.entries[0].n_sources, 2);
  assert_string_equal(l.entries[0].sources[0].feed, "ea-worldview");
  assert_string_equal(l.entries[0].sources[1].feed, "wire");
  assert_string_equal(l.entries[0].sources[1].link, "HTTP://News.Example/story?fbclid=zz&id=7#top");
  assert_string_equal(l.entries[0].title, "Story"); /* the first source's content */
  stream_list_clear(&l);
  /* the second feed re-polling its copy changes nothing */
  memset(&st, 0, sizeof st);
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 5200, &st), 0);
  assert_int_equal(st.unchanged, 1);
  /* each feed's own stream lists the entry */
  assert_int_equal(store_stream_feed(f->s, "wire", 10, &l), 0);
  assert_int_equal(l.n, 1);
  stream_list_clear(&l);
}

static void site_root_links_do_not_merge(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("a", "https://news.example/", "One", "<p>1</p>", 1000);
  struct store_item b = plain_item("b", "https://news.example", "Two", "<p>2</p>", 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 5000, NULL), 0);
  assert_int_equal(count_entries(f->s), 2);
}

static void oversized_title_is_refused_naming_the_cap(void **state) {
  struct fx *f = *state;
  size_t n = BRAID_STORE_MAX_FIELD_BYTES + 1;
  char *title = malloc(n + 1);
  memset(title, 'x', n);
  title[n] = '\0';
  struct store_item it = plain_item("big", NULL, title, NULL, 1000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), -E2BIG);
  assert_non_null(strstr(store_errmsg(f->s), "BRAID_STORE_MAX_FIELD_BYTES"));
  assert_non_null(strstr(store_errmsg(f->s), "ea-worldview"));
  free(title);
  assert_int_equal(count_entries(f->s), 0);
}

/* ---- live blogs ------------------------------------------------------------------------- */

static const char *const stamps[] = {"0510 GMT", "0730 GMT", "1120 GMT", "1345 GMT",
                                     "1615 GMT", "1703 GMT", "1840 GMT", "2120 GMT"};
static const int stamp_hm[][2] = {{5, 10}, {7, 30}, {11, 20}, {13, 45},
                                  {16, 15}, {17, 3}, {18, 40}, {21, 20}};

static void liveblog_item(struct store_update *ups, size_t n, char texts[][64],
                          struct store_item *it) {
  for (size_t i = 0; i < n; i++) {
    snprintf(texts[i], 64, "Update %zu from Homs.", i);
    ups[i] = (struct store_update){.stamp = stamps[i],
                                   .time = utc(2011, 11, 8, stamp_hm[i][0], stamp_hm[i][1]),
                                   .html = texts[i], .text = texts[i], .anchor = NULL};
    if (i == 2)
      ups[i].anchor = "u1120";
  }
  *it = (struct store_item){.guid = "http://www.enduringamerica.com/home/2011/11/8/live",
                            .link = "http://www.enduringamerica.com/home/2011/11/8/live.html",
                            .title = "Syria LiveBlog: Noticing Homs",
                            .published = utc(2011, 11, 8, 21, 30), .has_published = true,
                            .is_liveblog = true, .updates = ups, .n_updates = n};
}

static void liveblog_repoll_adds_only_new_updates_and_edits_in_place(void **state) {
  struct fx *f = *state;
  struct store_update ups[8];
  char texts[8][64];
  struct store_item it;
  liveblog_item(ups, 5, texts, &it);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, &st), 0);
  assert_int_equal(st.new_entries, 5);
  struct stream_list first;
  assert_int_equal(store_stream_after(f->s, 0, 100, &first), 0);
  assert_int_equal(first.n, 5);

  liveblog_item(ups, 8, texts, &it);
  snprintf(texts[1], 64, "Update 1 from Homs, corrected.");
  memset(&st, 0, sizeof st);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 9000, &st), 0);
  assert_int_equal(st.new_entries, 3);
  assert_int_equal(st.updated_entries, 1);
  assert_int_equal(st.unchanged, 4);
  assert_int_equal(st.merged_duplicates, 0);

  struct stream_list all;
  assert_int_equal(store_stream_after(f->s, 0, 100, &all), 0);
  assert_int_equal(all.n, 8); /* no duplicates */
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(all.entries[i].id, first.entries[i].id);
    assert_int_equal(all.entries[i].seq, first.entries[i].seq);
  }
  assert_string_equal(all.entries[1].text, "Update 1 from Homs, corrected.");
  assert_int_equal(all.entries[1].updated, 9000); /* an edit braid detected: when it did */
  assert_int_equal(all.entries[0].updated, all.entries[0].time); /* an update's own stamp */
  assert_int_equal(all.entries[7].time, utc(2011, 11, 8, 21, 20));
  assert_string_equal(all.entries[7].title, "Syria LiveBlog: Noticing Homs \xe2\x80\x94 2120 GMT");
  assert_string_equal(all.entries[7].stamp, "2120 GMT");
  assert_string_equal(all.entries[7].item_title, "Syria LiveBlog: Noticing Homs");
  assert_string_equal(all.entries[2].link,
                      "http://www.enduringamerica.com/home/2011/11/8/live.html#u1120");
  char want[128];
  snprintf(want, sizeof want, "/t%lld", (long long)utc(2011, 11, 8, 5, 10));
  const char *id = all.entries[0].id;
  assert_string_equal(id + strlen(id) - strlen(want), want);
  stream_list_clear(&first);
  stream_list_clear(&all);

  /* newest first for readers: 2120 GMT, then 1840 GMT */
  struct stream_list newest;
  assert_int_equal(store_stream_newest(f->s, 2, &newest), 0);
  assert_string_equal(newest.entries[0].stamp, "2120 GMT");
  assert_string_equal(newest.entries[1].stamp, "1840 GMT");
  stream_list_clear(&newest);
}

/* When a live blog grows, the splitter may date its stamps a day later (a "2245 GMT" after a
 * post dated 21:30): the same updates come back moved, and stay the same entries. */
static void liveblog_updates_dated_anew_keep_their_entries(void **state) {
  struct fx *f = *state;
  struct store_update ups[8];
  char texts[8][64];
  struct store_item it;
  liveblog_item(ups, 5, texts, &it);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  struct stream_list before;
  assert_int_equal(store_stream_after(f->s, 0, 100, &before), 0);
  liveblog_item(ups, 6, texts, &it);
  for (size_t i = 0; i < 6; i++)
    ups[i].time += 86400;
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
  assert_int_equal(st.new_entries, 1);
  assert_int_equal(st.updated_entries, 5);
  struct stream_list after;
  assert_int_equal(store_stream_after(f->s, 0, 100, &after), 0);
  assert_int_equal(after.n, 6);
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(after.entries[i].id, before.entries[i].id);
    assert_int_equal(after.entries[i].time, before.entries[i].time + 86400);
  }
  stream_list_clear(&before);
  stream_list_clear(&after);
  /* a blog of two days: the next day's "0510 GMT" is a new update, the first one stays */
  liveblog_item(ups, 7, texts, &it);
  for (size_t i = 0; i < 6; i++)
    ups[i].time += 86400;
  ups[6] = (struct store_update){.stamp = "0510 GMT", .time = utc(2011, 11, 10, 5, 10),
                                 .html = "next day", .text = "next day"};
  memset(&st, 0, sizeof st);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 7000, &st), 0);
  assert_int_equal(st.new_entries, 1);
  assert_int_equal(st.updated_entries, 0);
  assert_int_equal(st.unchanged, 6);
  assert_int_equal(count_entries(f->s), 7);
}

static void item_that_becomes_a_liveblog_loses_its_whole_item_entry(void **state) {
  struct fx *f = *state;
  struct store_update ups[3];
  char texts[3][64];
  struct store_item it;
  liveblog_item(ups, 3, texts, &it);
  it.is_liveblog = false;
  it.html = it.text = "the whole body";
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  assert_int_equal(count_entries(f->s), 1);
  it.is_liveblog = true;
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, NULL), 0);
  struct stream_list l;
  assert_int_equal(store_stream_after(f->s, 0, 100, &l), 0);
  assert_int_equal(l.n, 3);
  for (size_t i = 0; i < l.n; i++)
    assert_non_null(l.entries[i].stamp);
  stream_list_clear(&l);
}

/* A publisher's main feed and its section feed carry the same live blog: its updates (too
 * short to fingerprint) are one entry each, with both feeds as sources. */
static void same_liveblog_from_two_feeds_is_one_entry_per_update(void **state) {
  struct fx *f = *state;
  struct store_update ups[5];
  char texts[5][64];
  struct store_item it;
  liveblog_item(ups, 5, texts, &it);
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
  it.guid = "urn:section-feed:live-8-nov";
  it.link = "https://www.enduringamerica.com/home/2011/11/8/live.html?utm_source=section";
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_b, &it, 5100, &st), 0);
  assert_int_equal(st.new_entries, 0);
  assert_int_equal(st.merged_duplicates, 5);
  struct stream_list l;
  assert_int_equal(store_stream_after(f->s, 0, 100, &l), 0);
  assert_int_equal(l.n, 5);
  assert_int_equal(l.entries[2].n_sources, 2);
  assert_string_equal(l.entries[2].sources[1].feed, "wire");
  assert_string_equal(l.entries[2].sources[1].link,
                      "https://www.enduringamerica.com/home/2011/11/8/live.html"
                      "?utm_source=section#u1120");
  stream_list_clear(&l);
}

static void updates_with_the_same_stamp_get_distinct_stable_ids(void **state) {
  struct fx *f = *state;
  struct store_update ups[2] = {{.stamp = "Update", .html = "a", .text = "a"},
                                {.stamp = "Update", .html = "b", .text = "b"}};
  struct store_item it = {.guid = "lb", .title = "LB", .is_liveblog = true, .updates = ups,
                          .n_updates = 2, .published = 1000, .has_published = true};
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, &st), 0);
  assert_int_equal(st.new_entries, 2);
  memset(&st, 0, sizeof st);
  ups[1].html = ups[1].text = "b edited";
  assert_int_equal(store_put_item(f->s, f->feed_a, &it, 6000, &st), 0);
  assert_int_equal(st.updated_entries, 1);
  assert_int_equal(st.unchanged, 1);
  assert_int_equal(count_entries(f->s), 2);
}

/* ---- queries ---------------------------------------------------------------------------- */

static void stream_after_follows_in_seq_order_and_feed_stream_filters(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("1", "https://a.example/1", "A1", "x", 3000);
  struct store_item b = plain_item("2", "https://b.example/2", "B2", "y", 1000);
  struct store_item c = plain_item("3", "https://a.example/3", "A3", "z", 2000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 5000, NULL), 0);
  int64_t mark;
  assert_int_equal(store_max_seq(f->s, &mark), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &c, 5000, NULL), 0);
  struct stream_list l;
  assert_int_equal(store_stream_after(f->s, mark, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.entries[0].title, "A3");
  stream_list_clear(&l);
  assert_int_equal(store_stream_feed(f->s, "ea-worldview", 10, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.entries[0].title, "A1"); /* newest first by time */
  assert_string_equal(l.entries[1].title, "A3");
  stream_list_clear(&l);
  assert_int_equal(store_stream_feed(f->s, "no-such-feed", 10, &l), 0);
  assert_int_equal(l.n, 0);
}

/* A group of polls: each poll a savepoint kept or undone whole, nothing visible to another
 * connection until the group commits. */
static void group_commit_keeps_whole_polls_and_shows_them_at_commit(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("g-a", "https://a.example/1", "A", "<p>a</p>", 1000);
  struct store_item b = plain_item("g-b", "https://b.example/1", "B", "<p>b</p>", 1000);
  assert_int_equal(store_group_begin(f->s), 0);
  assert_true(store_group_open(f->s));
  assert_int_equal(store_begin(f->s), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 2000, NULL), 0);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(store_begin(f->s), 0);
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 2000, NULL), 0);
  store_rollback(f->s); /* this poll failed: undone, the group goes on */
  assert_true(store_group_open(f->s));
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries"), 0); /* not yet */
  assert_int_equal(store_group_commit(f->s), 0);
  assert_false(store_group_open(f->s));
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries"), 1);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM items WHERE guid = 'g-b'"), 0);
  /* without a group, store_begin .. store_commit is a transaction of its own again */
  assert_int_equal(store_begin(f->s), 0);
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 2000, NULL), 0);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries"), 2);
  assert_int_equal(store_group_commit(f->s), -EINVAL);
}

/* Every query a poll or a reader runs must be answered from an index: no full scan of a
 * table and no sort of its rows. */
static void queries_use_indexes(void **state) {
  struct fx *f = *state;
  static const enum store_stmt checked[] = {
      STMT_STREAM_NEWEST, STMT_STREAM_AFTER,   STMT_STREAM_FEED,     STMT_FEED_GET,
      STMT_FEEDS_DUE,     STMT_ITEM_FIND,      STMT_SOURCE_FIND,     STMT_ENTRY_BY_LINK,
      STMT_BANDS_LOAD,    STMT_SOURCES_OF,   STMT_PRUNE_OLD,       STMT_PRUNE_FEED_EXCESS,
      STMT_ENTRY_HAS_FEED, STMT_PRUNE_TOMBSTONES, STMT_DELETE_ORPHAN_ENTRY,
      STMT_ENTRY_BY_TEXT, STMT_ENTRY_NEAR_TIME, STMT_PAGE_GET,     STMT_PAGES_LIVE};
  sqlite3 *db;
  assert_int_equal(sqlite3_open_v2(f->sc.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
    char sql[2048];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", store_stmt_sql(checked[i]));
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *detail = (const char *)sqlite3_column_text(st, 3);
      /* "is this entry carried by that feed" must not walk all of the feed's entries */
      if (strstr(detail, "entry_sources") && strstr(detail, "(feed_id=?)") &&
          checked[i] != STMT_STREAM_FEED && checked[i] != STMT_PRUNE_FEED_EXCESS)
        fail_msg("query %d looks up a feed's entries one by one: %s", (int)checked[i], detail);
      /* (pruning scans the oldest `batch` entries in stored order, LIMIT-bounded) */
      bool bad = (strncmp(detail, "SCAN ", 5) == 0 && !strstr(detail, "USING") &&
                  checked[i] != STMT_PRUNE_OLD) ||
                 strstr(detail, "TEMP B-TREE") != NULL;
      if (bad)
        fail_msg("query %d is not indexed: %s\n  %s", (int)checked[i], detail,
                 store_stmt_sql(checked[i]));
    }
    sqlite3_finalize(st);
  }
  /* the text key is looked up by its time bucket and key, both index columns (schema v10) */
  char sql[2048];
  snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", store_stmt_sql(STMT_ENTRY_BY_TEXT));
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  bool seeks = false;
  while (sqlite3_step(st) == SQLITE_ROW)
    seeks |= strstr((const char *)sqlite3_column_text(st, 3),
                    "USING INDEX entries_text_key (<expr>=? AND text_key=?)") != NULL;
  sqlite3_finalize(st);
  assert_true(seeks);
  sqlite3_close(db);
}

static void data_version_moves_when_another_connection_commits(void **state) {
  struct fx *f = *state;
  struct store *reader;
  char err[256];
  assert_int_equal(store_open(f->sc.db, STORE_OPEN_READONLY, &reader, err, sizeof err), 0);
  int64_t v1, v2, v3;
  assert_int_equal(store_data_version(reader, &v1), 0);
  assert_int_equal(store_data_version(reader, &v2), 0);
  assert_int_equal(v1, v2);
  struct store_item a = plain_item("1", "https://a.example/1", "A1", "x", 3000);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  assert_int_equal(store_data_version(reader, &v3), 0);
  assert_true(v3 != v2);
  struct stream_list l;
  assert_int_equal(store_stream_after(reader, 0, 10, &l), 0);
  assert_int_equal(l.n, 1);
  stream_list_clear(&l);
  store_close(reader);
}

/* A reader (braid tail, the HTTP server) sees the last committed state while the daemon is
 * in the middle of a poll, and the whole poll once it commits. */
static void readers_see_whole_polls_while_a_poll_is_written(void **state) {
  struct fx *f = *state;
  struct store *reader;
  char err[256];
  assert_int_equal(store_open(f->sc.db, STORE_OPEN_READONLY, &reader, err, sizeof err), 0);
  assert_int_equal(store_begin(f->s), 0);
  struct store_item a = plain_item("1", NULL, "A1", "x", 3000);
  struct store_item b = plain_item("2", NULL, "A2", "y", 3001);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 5000, NULL), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &b, 5000, NULL), 0);
  assert_int_equal(count_entries(reader), 0);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(count_entries(reader), 2);
  store_close(reader);
}

/* ---- retention -------------------------------------------------------------------------- */

static void prune_drops_old_entries_in_batches_and_keeps_items_known(void **state) {
  struct fx *f = *state;
  char guid[16];
  char *body = seed_text(3); /* long enough to be fingerprinted */
  for (int i = 0; i < 30; i++) { /* stories of 2011 read one a second from 5000 */
    snprintf(guid, sizeof guid, "g%d", i);
    struct store_item it = plain_item(guid, NULL, guid, body, 1320710400 - i);
    assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000 + i, NULL), 0);
  }
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries WHERE simhash IS NOT NULL"),
                   30);
  assert_int_equal(band_index_count(f->s->bands), 30);
  size_t deleted;
  assert_int_equal(store_prune(f->s, 5020, 0, 8, &deleted), 0);
  assert_int_equal(deleted, 8);
  assert_int_equal(store_prune(f->s, 5020, 0, 8, &deleted), 0);
  assert_int_equal(deleted, 8);
  assert_int_equal(store_prune(f->s, 5020, 0, 8, &deleted), 0);
  assert_int_equal(deleted, 4); /* g0..g19 gone: fewer than a batch means done */
  struct stream_list l;
  assert_int_equal(store_stream_newest(f->s, 100, &l), 0);
  assert_int_equal(l.n, 10);
  assert_string_equal(l.entries[0].title, "g20");
  assert_string_equal(l.entries[9].title, "g29");
  stream_list_clear(&l);
  /* the feed still carrying a pruned item does not bring it back */
  struct store_item again = plain_item("g3", NULL, "g3", body, 1320710400 - 3);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_a, &again, 6000, &st), 0);
  assert_int_equal(st.unchanged, 1);
  assert_int_equal(count_entries(f->s), 10);
  /* freed pages went back to the file system */
  assert_int_equal(sql_int(f->sc.db, "PRAGMA freelist_count"), 0);
  /* items whose entries are all gone are forgotten 90 days after the horizon passed them */
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM items"), 30);
  assert_int_equal(store_prune(f->s, 5030, 0, 100, &deleted), 0);
  assert_int_equal(deleted, 10);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM items"), 30);
  assert_int_equal(store_prune(f->s, 5030 + 90 * 86400, 0, 100, &deleted), 0);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM items"), 0);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entry_sources"), 0);
  assert_int_equal(band_index_count(f->s->bands), 0); /* the delete trigger forgot them */
  free(body);
}

static void prune_caps_entries_per_feed(void **state) {
  struct fx *f = *state;
  char guid[16];
  for (int i = 0; i < 10; i++) {
    snprintf(guid, sizeof guid, "a%d", i);
    struct store_item it = plain_item(guid, NULL, guid, "x", 1000 + i);
    assert_int_equal(store_put_item(f->s, f->feed_a, &it, 5000, NULL), 0);
    snprintf(guid, sizeof guid, "b%d", i);
    it = plain_item(guid, NULL, guid, "y", 1000 + i);
    if (i < 3)
      assert_int_equal(store_put_item(f->s, f->feed_b, &it, 5000, NULL), 0);
  }
  size_t deleted;
  assert_int_equal(store_prune(f->s, 0, 4, 100, &deleted), 0);
  assert_int_equal(deleted, 6);
  struct stream_list l;
  assert_int_equal(store_stream_feed(f->s, "ea-worldview", 100, &l), 0);
  assert_int_equal(l.n, 4);
  assert_string_equal(l.entries[3].title, "a6");
  stream_list_clear(&l);
  assert_int_equal(store_stream_feed(f->s, "wire", 100, &l), 0);
  assert_int_equal(l.n, 3);
  stream_list_clear(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(open_sets_up_wal_incremental_vacuum_and_schema),
      T(feed_ensure_is_idempotent_and_url_change_forgets_validators),
      T(unknown_feed_is_enoent_with_its_name),
      T(feeds_due_lists_soonest_first_without_retired),
      T(new_item_is_one_entry_with_its_fields),
      T(feeds_interleaved_in_a_group_keep_their_names),
      T(a_polls_savepoint_journal_stays_in_memory),
      T(unchanged_item_writes_nothing),
      T(edited_item_keeps_id_and_seq_with_new_updated_time),
      T(item_without_guid_is_found_by_normalised_link),
      T(item_without_guid_or_link_is_found_by_title_and_date),
      T(entry_time_falls_back_to_updated_then_first_seen),
      T(same_link_in_one_feed_with_two_guids_is_two_entries),
      T(same_link_from_another_feed_is_one_entry_with_two_sources),
      T(site_root_links_do_not_merge),
      T(oversized_title_is_refused_naming_the_cap),
      T(liveblog_repoll_adds_only_new_updates_and_edits_in_place),
      T(liveblog_updates_dated_anew_keep_their_entries),
      T(item_that_becomes_a_liveblog_loses_its_whole_item_entry),
      T(same_liveblog_from_two_feeds_is_one_entry_per_update),
      T(updates_with_the_same_stamp_get_distinct_stable_ids),
      T(stream_after_follows_in_seq_order_and_feed_stream_filters),
      T(group_commit_keeps_whole_polls_and_shows_them_at_commit),
      T(queries_use_indexes),
      T(data_version_moves_when_another_connection_commits),
      T(readers_see_whole_polls_while_a_poll_is_written),
      T(prune_drops_old_entries_in_batches_and_keeps_items_known),
      T(prune_caps_entries_per_feed),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
