/* walckpt.c — WAL checkpoints off the loop. See loopctx.h and store/checkpoint.c.
 *
 * The one thread braid adds (aggregator/README.md, design notes): the worker opens a second
 * connection to the store file and copies committed WAL pages into it (store_checkpoint). It
 * writes no rows; the store keeps its one writer, on the loop. The worker touches only
 * d->ckpt_path (the store's own copy of its path, not the configuration's, which a reload
 * frees; it lives until store_close, after the loop has ended) and d->ckpt_result; the loop
 * reads the result in the after-work callback, once the worker is done.
 */
#include <stdio.h>

#include "loopctx.h"

/* A checkpoint that takes longer than this is logged (it ran off the loop: not a stall). */
#define WALCKPT_SLOW_NS (1000ull * 1000 * 1000)
/* How soon after a checkpoint another one copies what commits added while it ran
 * (store_checkpoint_unfinished). Under a steady stream of commits each such round may leave a
 * few frames again; at this pace that costs a connection and two fdatasync calls a second on
 * the thread pool, and the WAL starts over at the first lull. */
#define WALCKPT_CATCH_UP_MS 1000

static void ckpt_work(uv_work_t *w) {
  struct daemon *d = w->data;
  store_checkpoint(d->ckpt_path, &d->ckpt_result);
}

static void ckpt_after(uv_work_t *w, int status) {
  struct daemon *d = w->data;
  d->ckpt_running = false;
  if (status < 0) /* cancelled before it ran */
    return;
  const struct store_checkpoint_result *r = &d->ckpt_result;
  uint64_t ms = (uv_hrtime() - d->ckpt_started_ns) / 1000000;
  d->ckpt_ended_ms = uv_now(&d->loop);
  d->ckpt_failed = r->err[0] != '\0';
  if (d->ckpt_failed) {
    char why[300];
    log_event(d->log, LOG_LEVEL_WARNING, "checkpoint", "error=%s",
              log_value(why, sizeof why, r->err));
    return;
  }
  store_checkpoint_done(d->store, r);
  log_event(d->log, ms * 1000000 >= WALCKPT_SLOW_NS ? LOG_LEVEL_NOTICE : LOG_LEVEL_DEBUG,
            "checkpoint", "wal_pages=%d copied_pages=%d ms=%llu", r->wal_pages, r->copied_pages,
            (unsigned long long)ms);
}

static void on_ckpt_check(uv_check_t *h) {
  struct daemon *d = h->data;
  if (d->ckpt_running || !d->store)
    return;
  /* A catch-up, and any attempt after a failed one (still due: at once it would fail again
   * and log again at every loop turn), waits WALCKPT_CATCH_UP_MS after the last. */
  bool paced = uv_now(&d->loop) - d->ckpt_ended_ms >= WALCKPT_CATCH_UP_MS;
  bool due = store_checkpoint_due(d->store);
  if (!(due && (paced || !d->ckpt_failed)) && !(store_checkpoint_unfinished(d->store) && paced))
    return;
  d->ckpt_work.data = d;
  d->ckpt_path = store_path(d->store);
  d->ckpt_started_ns = uv_hrtime();
  if (uv_queue_work(&d->loop, &d->ckpt_work, ckpt_work, ckpt_after) == 0)
    d->ckpt_running = true;
}

int walckpt_start(struct daemon *d) {
  int rc = uv_check_init(&d->loop, &d->ckpt_check);
  if (rc < 0)
    return rc;
  d->ckpt_check.data = d;
  /* A check handle keeps the loop running only while it is active; it is closed at stop. */
  rc = uv_check_start(&d->ckpt_check, on_ckpt_check);
  if (rc == 0)
    store_checkpoint_elsewhere(d->store, true);
  return rc;
}
