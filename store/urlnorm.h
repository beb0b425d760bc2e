/* urlnorm.h — the normalised form of a link, for recognising one story under two URLs.
 *
 * Promise: two links a reader would call the same page normalise to the same string:
 * scheme and host in lower case, http and https alike (both become https), the default
 * port dropped, an empty path made "/", a trailing slash on a longer path dropped, the
 * fragment dropped, percent escapes in upper case, and tracking parameters (utm_*, mc_*,
 * fbclid, gclid and the others in urlnorm.c) removed from the query, the rest kept in
 * order. The result is a key for comparison only, never a link to follow or show. A link
 * that is not http(s) is kept as it is, with its scheme in lower case.
 */
#ifndef BRAID_URLNORM_H
#define BRAID_URLNORM_H

#include <stdbool.h>

/* *ret is a newly allocated normalised form of url (caller frees), or NULL for an empty
 * url. 0, -ENOMEM, or -E2BIG beyond BRAID_STORE_MAX_URL_BYTES. */
int url_normalise(const char *url, char **ret);

/* True if a normalised link names a whole site ("https://example.org/"), which many feeds
 * give as every item's link: such a link says nothing about which story it is. */
bool url_is_site_root(const char *normalised);

#endif
