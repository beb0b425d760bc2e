/* pollerlock.h — one poller per store.
 *
 * Promise: while a process holds the poller lock of a store, no other process that asks for
 * it gets it, so two `braid run` or `braid poll --once` on one store cannot both poll every
 * feed (duplicate requests to publishers). The lock is an flock(2) on STORE.lock beside the
 * store, which holds the holder's pid for the refusal message; the kernel drops it when the
 * holder exits, however it exits, so a stale file never blocks anyone. Readers (`braid tail`,
 * `braid export`, the server) take no lock: SQLite's WAL lets them read beside the poller.
 */
#ifndef BRAID_POLLERLOCK_H
#define BRAID_POLLERLOCK_H

#include <stddef.h>

/* Takes the poller lock of the store at store_path; *ret_fd holds it until
 * poller_lock_release. -EWOULDBLOCK if another process holds it (err then says which pid and
 * command, as far as they can be known); another negative errno if the lock file cannot be
 * opened (err says why, naming the file). */
int poller_lock_take(const char *store_path, int *ret_fd, char *err, size_t errlen);
/* Who holds the poller lock of the store at store_path, without touching the lock (a probe
 * with flock could make a starting daemon fail): 1 with *ret_pid when a process holds it, 0
 * when none does (or there is no lock file), negative when it cannot be told (no
 * /proc/locks). Linux only. */
int poller_lock_holder(const char *store_path, long *ret_pid);
/* Releases the lock; a negative fd is a no-op. */
void poller_lock_release(int fd);

#endif
