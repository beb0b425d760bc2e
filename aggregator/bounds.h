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

/* Total bytes of one feed document. XML is streamed, so this bounds work, not memory. */
#define BRAID_PARSE_MAX_DOC_BYTES (256u * 1024 * 1024)
/* A JSON Feed is parsed whole, so it is buffered: its own, smaller cap, in bytes. */
#define BRAID_PARSE_MAX_JSON_BYTES (16u * 1024 * 1024)
/* Items delivered from one feed; the parse stops with an error after this many. */
#define BRAID_PARSE_MAX_ITEMS 100000
/* Bytes of one text field of an item or of the feed (title, summary, content, ...). A longer
 * field is cut at the cap (the item is still delivered) and an error names the field. */
#define BRAID_PARSE_MAX_FIELD_BYTES (2u * 1024 * 1024)
/* Bytes of one CDATA section, comment or processing instruction, and bytes pushed while
 * libxml2 reports nothing: libxml2's push parser buffers such a run whole, so this is what
 * bounds its memory. The parse stops there with an error; the item being read is delivered
 * as far as it got. */
#define BRAID_PARSE_MAX_TEXT_BYTES (4u * 1024 * 1024)
/* Element nesting depth the parser follows; deeper elements are ignored (libxml2 itself stops
 * at 256 without XML_PARSE_HUGE, which braid never sets). */
#define BRAID_PARSE_MAX_DEPTH 64
/* Entities a document's DTD may declare that braid expands: only plain-text ones (no '&' or
 * '<' in the value, so they cannot nest: no billion laughs), this many, each this long, and
 * this many bytes of expansions per document in all. Others pass through as text. */
#define BRAID_PARSE_MAX_ENTITIES 32
#define BRAID_PARSE_MAX_ENTITY_BYTES 1024
#define BRAID_PARSE_MAX_EXPANSION_BYTES (1024 * 1024)
/* Categories and enclosures kept per item; more are dropped with an error. */
#define BRAID_PARSE_MAX_CATEGORIES 64
#define BRAID_PARSE_MAX_ENCLOSURES 32
/* Error messages kept per document (one bad feed can produce thousands), and bytes of each. */
#define BRAID_PARSE_MAX_ERRORS 50
#define BRAID_PARSE_MAX_ERROR_BYTES 256
/* Bytes looked at before the encoding is decided (BOM, XML declaration). */
#define BRAID_PARSE_SNIFF_BYTES 1024


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


#endif
