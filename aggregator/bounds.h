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

/* Largest HTML body `braid split` / liveblog_split will look at, in bytes. */
#define BRAID_SPLIT_MAX_BODY_BYTES (16 * 1024 * 1024)
/* Most text blocks (paragraphs, list items, lines between <br>s) walked in one body. */
#define BRAID_SPLIT_MAX_BLOCKS 500000
/* Most updates one body may split into. */
#define BRAID_SPLIT_MAX_UPDATES 50000
/* Longest stamp recognised at the start of a block, in bytes ("Tue 8 Nov 2011 14.52 GMT"). */
#define BRAID_SPLIT_MAX_STAMP_BYTES 64
/* Deepest element nesting walked in a body, in levels (deeper content is not split). */
#define BRAID_SPLIT_MAX_DEPTH 256
/* Longest time-zone name (IANA or abbreviation), in bytes. */
#define BRAID_TZ_NAME_MAX_BYTES 64
/* Largest TZif zone file read, in bytes. */
#define BRAID_TZ_MAX_FILE_BYTES (64 * 1024)
/* Most zones one split loads, in zones. */
#define BRAID_TZ_MAX_ZONES 16


/* ---- store (store/) ------------------------------------------------------------------- */


/* ---- fetch and scheduler (fetch.c, sched.c) ------------------------------------------- */


/* ---- config (config.c) ----------------------------------------------------------------- */


/* ---- render and serve (render.c, serve.c) --------------------------------------------- */


#endif
