/* feedstate.h — `braid feeds list --state` and `--json`: each feed of feeds.d with what the
 * store says of its polls. Reads the store read-only and takes no lock, so it works while the
 * daemon polls (SQLite WAL). */
#ifndef BRAID_FEEDSTATE_H
#define BRAID_FEEDSTATE_H

#include <stdbool.h>

#include "config.h"

/* Prints the table (NAME STATE LAST-POLL NEXT ENTRIES LAST-ERROR) or, with json, one JSON
 * array. A store that does not exist yet shows every feed as new. Returns 0, or 1 when the
 * store cannot be read (reported on stderr). */
int feeds_print_state(const struct braid_config *c, const struct feed_list *defs, bool json);

#endif
