/* bounds.h — every limit braid puts on untrusted input, in one place, each with its unit.
 *
 * Feeds, HTML bodies, HTTP requests and config files come from outside and are hostile until
 * proven otherwise. Each cap here is checked where the input is read, and hitting one yields an
 * error that names the cap, so a log line can say which limit a feed hit. Sections belong to
 * the module that enforces them; keep each cap beside its siblings.
 */
#ifndef BRAID_BOUNDS_H
#define BRAID_BOUNDS_H

/* ---- feed parser (parse.c) ------------------------------------------------------------- */


/* ---- dates (civil.c, date.c) ----------------------------------------------------------- */

/* Dates outside [1970, 2200) are refused as impossible rather than clamped. */
#define BRAID_YEAR_MIN 1970
#define BRAID_YEAR_MAX 2199
/* Longest date string worth looking at, in bytes. */
#define BRAID_DATE_MAX_BYTES 128


/* ---- live-blog splitter (liveblog.c, stamp.c) ------------------------------------------ */


/* ---- store (store/) ------------------------------------------------------------------- */


/* ---- fetch and scheduler (fetch.c, sched.c) ------------------------------------------- */


/* ---- config (config.c) ----------------------------------------------------------------- */


/* ---- render and serve (render.c, serve.c) --------------------------------------------- */

/* Longest entry HTML the sanitiser parses, in bytes; longer bodies are refused (-E2BIG) and
 * the renderer falls back to the entry's plain text. */
#define BRAID_SANITIZE_MAX_INPUT_BYTES (4 * 1024 * 1024)
/* Deepest element nesting the sanitiser writes back, in elements; deeper tags are unwrapped
 * (their text kept) so output depth stays bounded whatever the feed sends. */
#define BRAID_SANITIZE_MAX_DEPTH 64
/* Largest document the server renders, in bytes (1000 entries of big live-blog updates). */
#define BRAID_RENDER_MAX_BYTES (64 * 1024 * 1024)
/* Most entries one request may ask for with ?n=, in entries. */
#define BRAID_SERVE_MAX_ENTRIES 1000
/* Longest request URI (path and query) the server answers, in bytes; longer gets 414. */
#define BRAID_SERVE_MAX_URI_BYTES 2048
/* Longest feed NAME in /feeds/NAME.atom, in bytes. */
#define BRAID_SERVE_MAX_FEED_NAME_BYTES 128
/* Simultaneous HTTP connections, in connections, overall and from one IP address. */
#define BRAID_SERVE_MAX_CONNECTIONS 512
#define BRAID_SERVE_MAX_CONNECTIONS_PER_IP 64
/* Idle time before a connection is closed, in seconds. */
#define BRAID_SERVE_CONNECTION_TIMEOUT_SECONDS 30
/* Memory libmicrohttpd may use per connection for the request and headers, in bytes. */
#define BRAID_SERVE_CONNECTION_MEMORY_BYTES (32 * 1024)
/* Rendered documents kept by the server's cache, in documents. */
#define BRAID_SERVE_CACHE_DOCUMENTS 32


#endif
