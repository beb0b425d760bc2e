/* listen.h — the one reader of `[http] listen` addresses and `[http] base_url` values.
 *
 * Promise: the config check, the server and the exporters all read a listen string with
 * listen_parse, so an address the config check accepts is one the server can bind, and
 * "example.org:8080" is refused at `braid check`, not when the daemon starts. Links in
 * documents come from listen_base_url: the configured base_url, else the listen address
 * (a wildcard address becomes its loopback twin). Never from a client's Host header.
 */
#ifndef BRAID_LISTEN_H
#define BRAID_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "HOST:PORT" or "[IPV6]:PORT" with a numeric host ("localhost" is 127.0.0.1); port
 * 0..65535. Fills *ret_addr and *ret_len; 0 or -EINVAL. */
int listen_parse(const char *listen, struct sockaddr_storage *ret_addr, socklen_t *ret_len);
/* Whether listen (readable by listen_parse) is a loopback address: 127.0.0.0/8 or [::1]. */
bool listen_is_loopback(const char *listen);
/* Whether a base_url value is usable in links: http:// or https://, a host, printable ASCII
 * without spaces, quotes, '<', '>', '\\' or '#', at most 512 bytes. */
bool listen_base_url_valid(const char *url);
/* The URL of "/" for links: base_url (with a '/' added when it lacks one) when set, else
 * "http://ADDR:PORT/" of listen (0.0.0.0 becomes 127.0.0.1, [::] becomes [::1]). port, when
 * non-zero, replaces the listen string's (for port 0). Writes at most size bytes. 0, or
 * -EINVAL for an unreadable listen string, -ENAMETOOLONG when out is too small. */
int listen_base_url(const char *base_url, const char *listen, unsigned port, char *out,
                    size_t size);

#endif
