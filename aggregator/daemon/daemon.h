/* daemon.h — `braid run` and `braid poll --once`: the one libuv loop that polls every feed.
 *
 * Promise: everything that waits — feed transfers (libcurl multi), the schedule, signals, the
 * HTTP server, the systemd watchdog — is driven by one libuv loop in one thread. Each poll
 * result is stored in one transaction; SIGHUP reloads braid.conf (all but [store] path and
 * [http] listen change live; a broken file keeps the old configuration) and feeds.d (a broken
 * file keeps the old definition of its feed), and feeds.d is watched between signals; SIGTERM/SIGINT stop cleanly within seconds: no new requests,
 * in-flight results dropped whole, store closed. One log line per event.
 */
#ifndef BRAID_DAEMON_H
#define BRAID_DAEMON_H

#include <stdbool.h>

#include "log.h"

struct daemon_options {
  const char *config_path; /* --config, or NULL for $BRAID_CONFIG / the default */
  bool once;               /* poll every feed once, then exit */
  bool log_level_set;      /* --log-level given: it wins over [log] level */
};

/* Runs until stopped (or, with once, until every feed was polled once). Returns the exit
 * status: 0 success (with once: every feed fetched), 1 runtime failure, 2 config error. */
int daemon_main(const struct daemon_options *opt, struct logger *lg);

#endif
