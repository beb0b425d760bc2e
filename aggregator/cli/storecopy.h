/* storecopy.h — `braid store copy`: a single-node SQLite instance moved into the PostgreSQL
 * database several nodes share (cmd_store.c parses the command line). */
#ifndef BRAID_STORECOPY_H
#define BRAID_STORECOPY_H

#include "config.h"

/* Copies the store at from ("sqlite:PATH") into the database at to (a libpq URI or keyword
 * string; NULL: cfg's [store] url): its feeds' state into the feeds table, its items into
 * items_log, in one transaction; refused when the log holds rows or was pruned. Says what it did on
 * stdout, what went wrong on stderr. Returns the exit status: 0, 1 failure, 2 usage. */
int store_copy_run(const struct braid_config *cfg, const char *from, const char *to);

/* cmd_store.c: `braid store migrate` for the database at url alone. Exit status. */
int store_cli_migrate_pg(const char *url);

#endif
