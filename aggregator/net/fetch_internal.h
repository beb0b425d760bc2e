/* fetch_internal.h — the job record shared by fetch.c (life cycle, curl/uv plumbing) and
 * fetch_headers.c (what curl's header and write callbacks do). Not for other modules. */
#ifndef BRAID_FETCH_INTERNAL_H
#define BRAID_FETCH_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bounds.h"
#include "fetch.h"

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

/* A job's life. One state at a time, changed only by fetch_job_set_state, which asserts that
 * the move is one of these (curl's multi.c and SQLite's pager.c keep theirs the same way):
 *
 *   fetcher_start
 *        |
 *        v           file:// that is not a regular file
 *     JOB_NEW ------------------------------------------> JOB_REFUSED
 *        |  job_launch: easy handle added to the multi         |
 *        v                                                     | next loop turn (defer timer)
 *   JOB_IN_MULTI <---------------------------------+           |
 *     |   ^   |  a 3xx hop done: handle removed    |           |
 *     |   |   +------------------------------> JOB_HOP         |
 *     |   |        job_launch of the next URL -----+           |
 *     |   |                                         |          |
 *     v   | on_headers / on_data returned           |          |
 *   JOB_IN_CALLBACK                                 |          |
 *     (a cancel asked for here is kept in           |          |
 *      cancel_requested and acted on after)         |          |
 *                                                   |          |
 *   JOB_IN_MULTI, JOB_HOP (next launch failed) -----+----------+--> JOB_ENDING
 *                                  job_end: handle removed, on_done runs once, then freed
 *
 * Why a job ends (cancel_requested, aborted, cap_hit, addr_refused) is recorded beside the
 * state, since curl decides when the end is seen; the per-response fields below are reset for
 * every hop. */
enum fetch_job_state {
  JOB_NEW = 0,
  JOB_REFUSED,
  JOB_IN_MULTI,
  JOB_IN_CALLBACK,
  JOB_HOP,
  JOB_ENDING,
};

struct fetch_job {
  struct fetcher *f;
  struct fetch_job *next, *prev;
  CURL *easy;
  struct curl_slist *req_headers; /* conditional GET headers; must outlive the transfer */
  struct fetch_callbacks cb;
  void *userdata;
  uint64_t f_max_bytes;           /* the fetcher's max_bytes, copied for the write callback */
  uint64_t start_ms;              /* monotonic ms at start, for the total timeout across hops */
  char *url;                      /* the URL of the current hop */
  char **visited;                 /* every URL requested so far, for loop detection */
  unsigned nvisited;
  unsigned hops;
  bool all_permanent;             /* every hop so far was 301/308 */
  char *permanent_url;            /* target of the last hop of the leading permanent run */
  bool is_file;
  enum fetch_job_state state;     /* see the diagram above */
  bool cancel_requested;
  bool addr_refused;              /* a redirect hop connected to a more private address */
  int first_class;                /* enum fetch_addr_class of the first hop; -1 before it */
  char addr_msg[160];             /* why the hop was refused */
  bool aborted;                   /* a callback returned non-zero */
  bool cap_hit;                   /* max_bytes reached */
  /* The current response (reset per hop). */
  long status;
  bool headers_done;
  bool headers_delivered;
  bool is_redirect;
  bool has_location;
  uint64_t body_bytes;
  char content_type[BRAID_FETCH_MAX_HEADER_BYTES];
  char charset[BRAID_FETCH_MAX_HEADER_BYTES];
  char etag[BRAID_FETCH_MAX_HEADER_BYTES];
  char last_modified[BRAID_FETCH_MAX_HEADER_BYTES];
  int64_t max_age_s;
  int64_t expires_raw, date_raw, retry_after;
  int64_t received_at;            /* wall clock when the headers ended */
  struct fetch_headers h;
  char errbuf[CURL_ERROR_SIZE];
};

/* Address classes, least private first: a redirect may not connect to a class above the one
 * the job's first request connected to (unless allow_private_redirects). */
enum fetch_addr_class {
  FETCH_ADDR_PUBLIC = 0,
  FETCH_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
  FETCH_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
  FETCH_ADDR_LOOPBACK,    /* 127/8, ::1 */
  FETCH_ADDR_UNSPECIFIED, /* 0/8, ::, and anything that does not parse */
};

/* TEST ONLY: IPv4 ranges to count as public, from the environment variable
 * BRAID_TEST_PUBLIC_NETS ("127.0.0.2/32,..."), read once by fetcher_new. Every test runs on
 * 127.0.0.1 and a real public address is out of reach, so a test declares a loopback range
 * public to play the feed on the Internet. Operators have no reason to set it. */
#define FETCH_PUBLIC_NETS_MAX 4
struct fetch_public_nets {
  uint32_t net[FETCH_PUBLIC_NETS_MAX]; /* host byte order */
  unsigned bits[FETCH_PUBLIC_NETS_MAX];
  unsigned n;
};
int fetch_public_nets_parse(const char *spec, struct fetch_public_nets *ret);
enum fetch_addr_class fetch_addr_classify(const char *ip, const struct fetch_public_nets *pub);
const char *fetch_addr_class_name(enum fetch_addr_class c);

/* Moves j to state to; asserts the move is in the diagram. */
void fetch_job_set_state(struct fetch_job *j, enum fetch_job_state to);

size_t fetch_header_cb(char *data, size_t size, size_t n, void *userdata);
size_t fetch_write_cb(char *data, size_t size, size_t n, void *userdata);
void fetch_job_reset_response(struct fetch_job *j);
/* Points j->h at the current response's values. */
void fetch_job_fill_headers(struct fetch_job *j);
int fetch_job_deliver_headers(struct fetch_job *j);

/* Header value parsers (exposed for unit tests). now: seconds since the epoch. */
int64_t fetch_parse_retry_after(const char *value, int64_t now);
int64_t fetch_parse_max_age(const char *cache_control);
bool fetch_etag_valid(const char *value, size_t len);
int fetch_http_date_normalize(const char *value, size_t len, char *out, size_t size);
/* The time an HTTP-date names (seconds since the epoch), or -1: curl_getdate's answer, with
 * the IMF-fixdate every server sends read without it (curl_getdate's sscanf calls were 2.5% of
 * an unchanged re-poll's CPU: a Date, a Last-Modified and the If-Modified-Since sent). */
time_t fetch_http_date(const char *value);

#endif
