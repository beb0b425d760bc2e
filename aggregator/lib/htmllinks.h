/* htmllinks.h — make the links inside an HTML fragment absolute.
 *
 * Promise: href, src, cite, action, poster, longdesc and background attribute values that are
 * relative are resolved against a base URL (RFC 3986, via libxml2's xmlBuildURI); nothing
 * else in the fragment changes, byte for byte. One forward pass, linear in the input. Feed
 * content is shown far from the feed it came from, where a relative link would point nowhere.
 */
#ifndef BRAID_HTMLLINKS_H
#define BRAID_HTMLLINKS_H

#include <stddef.h>

/* 0 and *ret_html = a new string (caller frees) when some link changed, else NULL;
 * -ENOMEM. base NULL or empty: nothing to do. */
int html_resolve_links(const char *html, size_t len, const char *base, char **ret_html);

/* ref resolved against base (RFC 3986, xmlBuildURI), also when either is an IRI (bytes above
 * 0x7F, which xmlBuildURI refuses: "À" against "http://any.test/" is "http://any.test/À").
 * A new string (caller frees), or NULL when it cannot be resolved or memory ran out. */
char *html_build_uri(const char *ref, const char *base);

#endif
