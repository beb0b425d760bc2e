/* schema.h — the store's SQL schema and its migrations.
 *
 * Promise: schema_migrate brings a store from any older version (0 = a new, empty file) to
 * SCHEMA_VERSION, one numbered step at a time, each step's SQL fixed forever once released
 * (a store in the field may be at any of them). The caller runs it inside one transaction,
 * so a failed or interrupted migration leaves the store at its old version.
 */
#ifndef BRAID_SCHEMA_H
#define BRAID_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

#include "store.h"

#define SCHEMA_VERSION STORE_SCHEMA_VERSION

/* Applies the steps after from_version and sets PRAGMA user_version. On failure returns
 * the SQLite result code and leaves its message in db; a from_version outside
 * 0 .. SCHEMA_VERSION is SQLITE_MISUSE, with nothing run. */
int schema_migrate(sqlite3 *db, int from_version);

#endif
