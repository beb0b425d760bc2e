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

/* Longest link, guid, title or author the store keeps, in bytes; longer is refused (-E2BIG). */
#define BRAID_STORE_MAX_FIELD_BYTES (64 * 1024)
/* Longest link the store normalises for duplicate detection, in bytes. */
#define BRAID_STORE_MAX_URL_BYTES 8192
/* Largest body (HTML or text) of one item or update the store keeps, in bytes. */
#define BRAID_STORE_MAX_BODY_BYTES (4 * 1024 * 1024)
/* Most live-blog updates one item may carry, in updates. */
#define BRAID_STORE_MAX_UPDATES 5000
/* Candidate block starts (line or tag starts) examined when looking for a body that holds
 * its text twice, in positions: a repeat starts near the top (after a title or page chrome),
 * and each start costs one scan of the body, so this bounds the work on a hostile body. */
#define BRAID_STORE_REPEAT_MAX_STARTS 64


/* ---- fetch and scheduler (fetch.c, sched.c) ------------------------------------------- */


/* ---- config (config.c) ----------------------------------------------------------------- */


/* ---- render and serve (render.c, serve.c) --------------------------------------------- */


#endif
