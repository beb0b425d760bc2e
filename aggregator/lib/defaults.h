/* defaults.h — every default braid applies, in one table, each with its unit.
 *
 * Promise: a value the user may leave out has exactly one default, named here, and every
 * module that falls back on it (config.c filling struct braid_config, fetch.c for a zero
 * struct fetch_limits field, serve.c for a zero struct serve_options field, export.c, the
 * commands) uses this name, so `braid run` and a one-shot command behave alike for an unset
 * key. Limits on untrusted input are not defaults: they live in bounds.h.
 */
#ifndef BRAID_DEFAULTS_H
#define BRAID_DEFAULTS_H

/* ---- where things are ------------------------------------------------------------------ */

/* braid.conf when neither --config nor $BRAID_CONFIG names one (it may then be absent). */
#define BRAID_DEFAULT_CONFIG_PATH "/etc/braid/braid.conf"
/* [store] path; also `braid tail`'s store when no braid.conf says otherwise. */
#define BRAID_DEFAULT_STORE_PATH "/var/lib/braid/braid.db"
/* [store] lease: a node that dies holds its feeds this long; a live one renews at a third. */
#define BRAID_DEFAULT_STORE_LEASE_S 60
/* [feeds] dir, relative to braid.conf's directory. */
#define BRAID_DEFAULT_FEEDS_DIR "feeds.d"

/* ---- [http] ---------------------------------------------------------------------------- */

/* [http] listen: HOST:PORT with a numeric host (listen.h). */
#define BRAID_DEFAULT_LISTEN "127.0.0.1:8080"
/* Cache-Control max-age of served documents, in seconds (no key: the stream changes on each
 * poll round). */
#define BRAID_DEFAULT_HTTP_MAX_AGE_S 60

/* ---- [poll] ---------------------------------------------------------------------------- */

/* [poll] interval, in seconds, for feeds that set none. */
#define BRAID_DEFAULT_POLL_INTERVAL_S (15 * 60)
/* [poll] concurrency: transfers (and curl connections) at once, all hosts. */
#define BRAID_DEFAULT_POLL_CONCURRENCY 8
/* [poll] per_host: transfers (and curl connections) at once to one host. */
#define BRAID_DEFAULT_POLL_PER_HOST 2
/* [poll] timeout: one whole transfer, redirects included, in seconds. */
#define BRAID_DEFAULT_POLL_TIMEOUT_S 60
/* [poll] connect_timeout, in seconds. */
#define BRAID_DEFAULT_POLL_CONNECT_TIMEOUT_S 15
/* [poll] low_speed_limit, in bytes per second ... */
#define BRAID_DEFAULT_POLL_LOW_SPEED_LIMIT 64
/* ... and low_speed_time: how long below it aborts, in seconds. */
#define BRAID_DEFAULT_POLL_LOW_SPEED_TIME_S 30
/* [poll] max_bytes: decoded body bytes of one response. */
#define BRAID_DEFAULT_POLL_MAX_BYTES (10u * 1024 * 1024)
/* [poll] max_redirects (at most BRAID_FETCH_MAX_REDIRECTS_CAP, bounds.h). */
#define BRAID_DEFAULT_POLL_MAX_REDIRECTS 5
/* [poll] user_agent. BRAID_VERSION comes from the build. */
#define BRAID_PROJECT_URL "https://github.com/braid-feeds/braid"
#define BRAID_DEFAULT_USER_AGENT "braid/" BRAID_VERSION " (+" BRAID_PROJECT_URL ")"

/* ---- [stream] -------------------------------------------------------------------------- */

/* [stream] entries: how many the served and exported stream holds. */
#define BRAID_DEFAULT_STREAM_ENTRIES 200
/* [stream] retention: how long entries are kept after braid first saw them, in seconds. */
#define BRAID_DEFAULT_STREAM_RETENTION_S (30 * 86400)
/* [stream] per_feed: most entries kept per feed (0 = no cap). */
#define BRAID_DEFAULT_STREAM_PER_FEED 1000
/* [stream] title: the stream's title in every document. */
#define BRAID_DEFAULT_STREAM_TITLE "braid"

/* ---- commands -------------------------------------------------------------------------- */

/* `braid tail` without -n: how many entries it prints. */
#define BRAID_DEFAULT_TAIL_ENTRIES 20

/* [log] level, an enum log_level (include log.h where it is used). */
#define BRAID_DEFAULT_LOG_LEVEL LOG_LEVEL_INFO

#endif
