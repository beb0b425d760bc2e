/* search.h — full-text search and filtered streams over the store (SQLite FTS5).
 *
 * Promise: a query is what a reader types into ?q= or an operator writes in a named stream's
 * `query =`, in a small, documented subset of FTS5's syntax — words, "quoted phrases", a
 * word* prefix, AND, OR, NOT (upper case) and parentheses — and nothing else reaches FTS5:
 * every word is quoted before it is handed on, so column filters, NEAR, ^ and FTS5's own
 * syntax errors cannot be reached from outside. A query is bounded in length, terms and
 * nesting and prefixes (the limits below), and a search is bounded in work (SQLite
 * virtual-machine steps); a query that breaks a rule or a limit is -EINVAL with a one-line message that says
 * which, never a store failure. Words match case-insensitively, accents aside (FTS5's
 * unicode61 tokenizer), in entries' titles and text; the index is kept by triggers in the
 * same transactions as the entries (schema.c, version 5).
 */
#ifndef BRAID_STORE_SEARCH_H
#define BRAID_STORE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Longest query accepted, in bytes. */
#define STORE_SEARCH_MAX_QUERY_BYTES 256
/* Most words and phrases in one query. */
#define STORE_SEARCH_MAX_TERMS 16
/* Deepest nesting of parentheses. */
#define STORE_SEARCH_MAX_DEPTH 8
/* Fewest bytes before a prefix's '*', and most prefixes in one query: FTS5 merges the lists
 * of every word a prefix stands for inside one call that nothing can interrupt, so these
 * are what bounds its work. On a 50,000-entry store, "co*" took 117 ms and sixteen two-letter
 * prefixes 0.9 s; four three-letter ones take 73 ms (README, Search). */
#define STORE_SEARCH_MIN_PREFIX_BYTES 3
#define STORE_SEARCH_MAX_PREFIXES 4
/* SQLite virtual-machine steps one filtered read may take (checked every 1000): bounds the
 * rows a read walks (FTS5's own merging is bounded by the prefix limits above). */
#define STORE_SEARCH_MAX_VM_STEPS 20000000
/* Most feed names a filter may list (a named stream's feeds and categories, resolved). */
#define STORE_SEARCH_MAX_FEEDS 10000

/* Checks query and writes the FTS5 expression it stands for into *ret_fts (caller frees).
 * 0; -EINVAL with the reason in err (e.g. "OR needs a term on each side"); -ENOMEM. An
 * empty or all-blank query is -EINVAL too. */
int store_search_compile(const char *query, char **ret_fts, char *err, size_t errlen);
/* store_search_compile without the result: 0 or -EINVAL/-ENOMEM with the reason in err. */
int store_search_check(const char *query, char *err, size_t errlen);

/* Which entries a filtered stream holds: those matching every given condition. */
struct store_filter {
  const char *query;       /* a query as above, or NULL */
  const char *query2;      /* another one, ANDed with the first (a named stream's own), or NULL */
  const char *const *feeds; /* when by_feeds: an entry must have a source among these feed
                               names (n_feeds of them; none = an empty stream) */
  size_t n_feeds;
  bool by_feeds;
  int64_t since;           /* UTC seconds: entries whose time is at or after it; 0 = all */
};

/* The newest n entries that pass f, newest first (by time, then seq). 0; -EINVAL for a bad
 * query, or a search over its work bound, with store_errmsg saying why (no "store PATH:"
 * prefix: the message is for the reader who typed it); other codes as store.h. */
int store_stream_filter(struct store *s, const struct store_filter *f, size_t n,
                        struct stream_list *ret);

#endif
