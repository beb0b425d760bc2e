/* listen.c — listen addresses and the base URL of links. See listen.h.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest base_url accepted, in bytes: links are built from it in every document. */
#define LISTEN_MAX_BASE_URL_BYTES 512

int listen_parse(const char *listen, struct sockaddr_storage *ret_addr, socklen_t *ret_len) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *colon;
  size_t hlen;
  bool bracketed = listen[0] == '[';
  if (bracketed) {
    const char *close = strchr(listen, ']');
    if (!close || close[1] != ':')
      return -EINVAL;
    hlen = (size_t)(close - listen - 1);
    listen++;
    colon = close + 1;
  } else {
    colon = strrchr(listen, ':');
    if (!colon)
      return -EINVAL;
    hlen = (size_t)(colon - listen);
  }
  if (hlen == 0 || hlen >= sizeof host)
    return -EINVAL;
  memcpy(host, listen, hlen);
  host[hlen] = '\0';
  const char *port_s = colon + 1;
  if (!*port_s || strlen(port_s) > 5 || strspn(port_s, "0123456789") != strlen(port_s))
    return -EINVAL;
  long port = strtol(port_s, NULL, 10);
  if (port > 65535)
    return -EINVAL;
  memset(ret_addr, 0, sizeof *ret_addr);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ret_addr;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret_addr;
  if (strcmp(host, "localhost") == 0)
    strcpy(host, "127.0.0.1");
  if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *ret_len = sizeof *in4;
    return 0;
  }
  if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    *ret_len = sizeof *in6;
    return 0;
  }
  return -EINVAL;
}

bool listen_is_loopback(const char *listen) {
  struct sockaddr_storage addr;
  socklen_t len;
  if (listen_parse(listen, &addr, &len) < 0)
    return false;
  if (addr.ss_family == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&addr)->sin6_addr);
  return (ntohl(((const struct sockaddr_in *)&addr)->sin_addr.s_addr) >> 24) == 127;
}

bool listen_base_url_valid(const char *url) {
  size_t len = strlen(url), scheme;
  if (strncmp(url, "http://", 7) == 0)
    scheme = 7;
  else if (strncmp(url, "https://", 8) == 0)
    scheme = 8;
  else
    return false;
  if (len > LISTEN_MAX_BASE_URL_BYTES || len == scheme || url[scheme] == '/')
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)url[i];
    /* These would break out of an attribute or a header, or end the URL early. */
    if (c <= ' ' || c >= 0x7f || strchr("\"'<>\\#`", c))
      return false;
  }
  return true;
}

int listen_base_url(const char *base_url, const char *listen, unsigned port, char *out,
                    size_t size) {
  int n;
  if (base_url && *base_url) {
    size_t len = strlen(base_url);
    n = snprintf(out, size, "%s%s", base_url, base_url[len - 1] == '/' ? "" : "/");
  } else {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (listen_parse(listen, &addr, &addr_len) < 0)
      return -EINVAL;
    char host[INET6_ADDRSTRLEN];
    /* The wildcard address is where the server listens, not an address anyone can link to. */
    if (addr.ss_family == AF_INET6) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
      if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
        in6->sin6_addr = in6addr_loopback;
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      n = snprintf(out, size, "http://[%s]:%u/", host, port ? port : ntohs(in6->sin6_port));
    } else {
      struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
      if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
        in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
      n = snprintf(out, size, "http://%s:%u/", host, port ? port : ntohs(in4->sin_port));
    }
  }
  return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
