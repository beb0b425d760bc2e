/* feedurl.h — what counts as a feed URL: one rule for the configuration check (config/) and
 * the fetcher (net/), which must agree on it.
 */
#ifndef BRAID_FEEDURL_H
#define BRAID_FEEDURL_H

#include <stdbool.h>

/* true when url is an absolute http, https or file URL that curl can parse, at most
 * BRAID_FETCH_MAX_URL_BYTES long, without spaces or control bytes. */
bool feed_url_valid(const char *url);

#endif
