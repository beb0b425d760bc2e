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
/* WAL size, in pages (4 KiB), past which a checkpoint is due: 16 MB, the page cache's size.
 * The daemon runs it on libuv's thread pool; other writers in the commit that passes it. */
#define BRAID_STORE_WAL_CHECKPOINT_PAGES 4000
/* WAL size, in pages, past which the writer finishes in the commit (PASSIVE) what the daemon's
 * background checkpoints left: under a steady stream of commits each of those ends with the
 * frames committed while it ran, and the WAL starts over only after a checkpoint that copied
 * everything. The commit copies just that remainder (the background ones did the bulk), and
 * nothing can commit meanwhile. It is also the size a WAL file is cut back to when it starts
 * over (journal_size_limit). 32 MB. */
#define BRAID_STORE_WAL_FINISH_PAGES (2 * BRAID_STORE_WAL_CHECKPOINT_PAGES)
/* WAL size, in pages, past which the writer checkpoints (TRUNCATE) in the commit itself even
 * when the daemon checkpoints in the background: those checkpoints could not keep up (a
 * reader held an old snapshot), and the file must not grow without end. 256 MB. */
#define BRAID_STORE_WAL_MAX_PAGES 65536

/* ---- PostgreSQL connection and leases (store/pg/) -------------------------------------- */

/* Queries waiting on one connection, in queries; one more is refused (-ENOBUFS). */
#define BRAID_PG_MAX_QUEUED 256
/* Parameters of one query, in parameters. */
#define BRAID_PG_MAX_PARAMS 16
/* SQL text plus parameter values of one query, in bytes; longer is refused (-E2BIG). */
#define BRAID_PG_MAX_QUERY_BYTES (8 * 1024 * 1024)
/* Channels one connection LISTENs on, in channels, and bytes of a channel name (PostgreSQL's
 * identifier limit is 63). */
#define BRAID_PG_MAX_CHANNELS 8
#define BRAID_PG_MAX_CHANNEL_BYTES 63
/* Bytes of a server or libpq error message kept for the caller; the rest is cut. */
#define BRAID_PG_MAX_ERROR_BYTES 512
/* Longest connection string accepted, in bytes. */
#define BRAID_PG_MAX_CONNINFO_BYTES 4096
/* Longest the client waits for an answer beyond the session's statement_timeout before it
 * gives the connection up as dead, in milliseconds. */
#define BRAID_PG_ANSWER_GRACE_MS 5000
/* Most feeds one lease statement hands out, and lease lengths accepted, in seconds. */
#define BRAID_PG_MAX_LEASE_BATCH 1000
#define BRAID_PG_MIN_LEASE_S 1
#define BRAID_PG_MAX_LEASE_S 86400
/* Most parallel fetches one host may be given across all nodes, in slots. */
#define BRAID_PG_MAX_HOST_SLOTS 64
/* Most rows of the shared log one read answers: libpq buffers a result whole, and an item's
 * row is bounded by the store's caps (BRAID_STORE_MAX_BODY_BYTES and the updates), so a read
 * is bounded too; the replay of a batch is one local transaction on the loop. */
#define BRAID_PG_MAX_LOG_BATCH 1000
/* Log rows one prune statement deletes at most: one short transaction on the shared log. */
#define BRAID_PG_MAX_PRUNE_BATCH 10000


/* How far ahead of the clock an item's own date may be, in seconds: a date later than now
 * plus this is a feed's error (an item dated 2199 would sit on top of the stream for ever),
 * and ingest stores the item as if it had no date of its own (its first-seen time). */
#define BRAID_INGEST_FUTURE_SLACK_S 86400

/* ---- live-blog pages (page/, daemon/pagepoll.c) ---------------------------------------- */

/* Most <script type="application/ld+json"> blocks read from one page, in scripts. */
#define BRAID_PAGE_MAX_JSONLD_SCRIPTS 32
/* Largest single JSON-LD script parsed, in bytes. */
#define BRAID_PAGE_MAX_JSONLD_BYTES (4 * 1024 * 1024)
/* Deepest JSON nesting walked looking for liveBlogUpdate, in levels. */
#define BRAID_PAGE_MAX_JSON_DEPTH 16
/* Most updates taken from one page, in updates (the store keeps no more per item). */
#define BRAID_PAGE_MAX_UPDATES BRAID_STORE_MAX_UPDATES
/* Most live-blog pages one feed poll starts reading, in pages. */
#define BRAID_PAGE_MAX_PER_POLL 8
/* A feed body with fewer updates than this is a summary whose page is read (liveblog_page =
 * auto), in updates. */
#define BRAID_PAGE_FEW_UPDATES 3
/* How long a page without coverageEndTime stays live after its newest update, in seconds. */
#define BRAID_PAGE_LIVE_AFTER_S (24 * 3600)
/* Longest update title made from its first sentence, in characters (code points), "…" included. */
#define BRAID_UPTITLE_MAX_CHARS 100


/* ---- fetch and scheduler (fetch.c, sched.c) ------------------------------------------- */

/* Longest response header value braid keeps (ETag, Last-Modified, Content-Type...), in bytes;
 * a longer one is ignored as if absent. */
#define BRAID_FETCH_MAX_HEADER_BYTES 1024
/* Longest URL braid follows or stores, in bytes (redirect targets included). */
#define BRAID_FETCH_MAX_URL_BYTES 4096
/* Most redirects [poll] max_redirects may allow. */
#define BRAID_FETCH_MAX_REDIRECTS_CAP 20
/* Longest error backoff, in seconds (24 h). */
#define BRAID_SCHED_MAX_BACKOFF_S (24 * 3600)
/* Cache-Control max-age / Expires are honoured as a floor on the interval up to this, in seconds. */
#define BRAID_SCHED_MAX_FLOOR_S (24 * 3600)
/* Retry-After is honoured up to this far ahead, in seconds (7 days). */
#define BRAID_SCHED_MAX_RETRY_AFTER_S (7 * 24 * 3600)
/* First polls after start-up are spread over at most this many seconds... */
#define BRAID_SCHED_STARTUP_SPREAD_S 60
/* ...and over one second per this many feeds below that: a handful of feeds poll at once (the
 * queue's global and per-host limits still apply), thousands over the whole minute. */
#define BRAID_SCHED_STARTUP_FEEDS_PER_S 50


/* ---- feed discovery (cli/discover.c: braid feeds add SITE-URL) ------------------------- */

/* Bytes of a page read when looking for the feeds it advertises; a feed is recognised from
 * its root element long before this. */
#define BRAID_DISCOVER_MAX_PAGE_BYTES (2 * 1024 * 1024)
/* Advertised feeds kept from one page (a page with hundreds of <link>s is not a home page). */
#define BRAID_DISCOVER_MAX_LINKS 32
/* Fetches one discovery makes in all: the page, then candidates or common paths, one at a time. */
#define BRAID_DISCOVER_MAX_PROBES 10
/* Longest advertised feed title kept, in bytes. */
#define BRAID_DISCOVER_MAX_TITLE_BYTES 200


/* ---- config (config.c, opml.c) --------------------------------------------------------- */

/* Largest braid.conf or feeds.d/NAME.feed read, in bytes. */
#define BRAID_CONFIG_MAX_FILE_BYTES (64 * 1024)
/* Longest line in those files, in bytes. */
#define BRAID_CONFIG_MAX_LINE_BYTES 8192
/* Most feeds.d files read. */
#define BRAID_CONFIG_MAX_FEEDS 10000
/* Longest feed name, in bytes. */
#define BRAID_FEED_NAME_MAX_BYTES 128
/* Largest OPML file imported, in bytes, and deepest outline nesting. */
#define BRAID_OPML_MAX_FILE_BYTES (8 * 1024 * 1024)
#define BRAID_OPML_MAX_DEPTH 32
/* Longest poll interval, in seconds: [poll] interval and a feed's own interval share it. */
#define BRAID_POLL_INTERVAL_MAX_S (30 * 86400)


/* ---- render and serve (render.c, serve.c) --------------------------------------------- */

/* Longest entry HTML the sanitiser parses, in bytes; longer bodies are refused (-E2BIG) and
 * the renderer falls back to the entry's plain text. */
#define BRAID_SANITIZE_MAX_INPUT_BYTES (4 * 1024 * 1024)
/* Deepest element nesting the sanitiser writes back, in elements; deeper tags are unwrapped
 * (their text kept) so output depth stays bounded whatever the feed sends. */
#define BRAID_SANITIZE_MAX_DEPTH 64
/* Largest document the server renders, in bytes (1000 entries of big live-blog updates). */
#define BRAID_RENDER_MAX_BYTES (64 * 1024 * 1024)
/* Longest body (HTML or text) of one entry in a served or exported listing, in bytes; longer
 * bodies are cut there with an ellipsis (the entry's link has the rest). */
#define BRAID_SERVE_LISTING_ENTRY_BYTES (256 * 1024)
/* Most entries one request may ask for with ?n=, in entries. */
#define BRAID_SERVE_MAX_ENTRIES 1000
/* Longest request URI (path and query) the server answers, in bytes; longer gets 414. */
#define BRAID_SERVE_MAX_URI_BYTES 2048
/* Longest feed NAME in /feeds/NAME.atom, in bytes. */
#define BRAID_SERVE_MAX_FEED_NAME_BYTES 128
/* Simultaneous HTTP connections, in connections, overall (lowered to stay 128 below
 * RLIMIT_NOFILE) and from one IP address. */
#define BRAID_SERVE_MAX_CONNECTIONS 512
#define BRAID_SERVE_MAX_CONNECTIONS_PER_IP 64
/* Idle time before a connection is closed, in seconds. */
#define BRAID_SERVE_CONNECTION_TIMEOUT_SECONDS 30
/* Time a client has to send a request's headers, in seconds, from when it connected or got
 * its last response; a client that trickles bytes (slowloris) is cut off here, however
 * often it sends. */
#define BRAID_SERVE_HEADER_TIMEOUT_SECONDS 10
/* Memory libmicrohttpd may use per connection for the request and headers, in bytes. */
#define BRAID_SERVE_CONNECTION_MEMORY_BYTES (32 * 1024)
/* Rendered documents kept by the server's cache, in documents. */
#define BRAID_SERVE_CACHE_DOCUMENTS 32
/* Most feeds /status lists, in feeds (the total is given beside). */
#define BRAID_SERVE_STATUS_MAX_FEEDS 1000
/* Longest access token ([http] token_file), in bytes. */
#define BRAID_SERVE_TOKEN_MAX_BYTES 256
/* Largest document `braid export` or the [output] dir writes, in bytes. */
#define BRAID_EXPORT_MAX_DOC_BYTES (256u * 1024 * 1024)
/* Most entries `braid export -n` writes. */
#define BRAID_EXPORT_MAX_ENTRIES 100000


#endif
