/* fetch_addr.c — how private the address curl connected to is, for the redirect rule of
 * fetch.h: a redirect may not lead to a more private class than the feed's own address. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_internal.h"

static bool in_v4(uint32_t a, uint32_t net, unsigned bits) {
  uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;
  return (a & mask) == (net & mask);
}

static enum fetch_addr_class v4_class(uint32_t a, const struct fetch_public_nets *pub) {
  for (unsigned i = 0; pub && i < pub->n; i++)
    if (in_v4(a, pub->net[i], pub->bits[i]))
      return FETCH_ADDR_PUBLIC;
  if (in_v4(a, 0x7f000000u, 8))
    return FETCH_ADDR_LOOPBACK;
  if (in_v4(a, 0x00000000u, 8))
    return FETCH_ADDR_UNSPECIFIED;
  if (in_v4(a, 0xa9fe0000u, 16))
    return FETCH_ADDR_LINK_LOCAL;
  if (in_v4(a, 0x0a000000u, 8) || in_v4(a, 0xac100000u, 12) || in_v4(a, 0xc0a80000u, 16) ||
      in_v4(a, 0x64400000u, 10) /* shared address space, RFC 6598 */)
    return FETCH_ADDR_PRIVATE;
  return FETCH_ADDR_PUBLIC;
}

enum fetch_addr_class fetch_addr_classify(const char *ip, const struct fetch_public_nets *pub) {
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, ip, &a4) == 1)
    return v4_class(ntohl(a4.s_addr), pub);
  if (inet_pton(AF_INET6, ip, &a6) != 1)
    return FETCH_ADDR_UNSPECIFIED; /* not an address we can judge: treat as the worst */
  const uint8_t *b = a6.s6_addr;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped, 12) == 0)
    return v4_class((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15],
                    pub);
  static const uint8_t zero[16];
  if (memcmp(b, zero, 15) == 0)
    return b[15] == 1 ? FETCH_ADDR_LOOPBACK : FETCH_ADDR_UNSPECIFIED;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    return FETCH_ADDR_LINK_LOCAL;
  if ((b[0] & 0xfe) == 0xfc)
    return FETCH_ADDR_PRIVATE; /* unique local fc00::/7 */
  return FETCH_ADDR_PUBLIC;
}

const char *fetch_addr_class_name(enum fetch_addr_class c) {
  switch (c) {
  case FETCH_ADDR_PUBLIC:
    return "public";
  case FETCH_ADDR_PRIVATE:
    return "private";
  case FETCH_ADDR_LINK_LOCAL:
    return "link-local";
  case FETCH_ADDR_LOOPBACK:
    return "loopback";
  case FETCH_ADDR_UNSPECIFIED:
    return "unspecified";
  }
  return "unknown";
}

int fetch_public_nets_parse(const char *spec, struct fetch_public_nets *ret) {
  memset(ret, 0, sizeof *ret);
  if (!spec || !*spec)
    return 0;
  const char *p = spec;
  while (*p) {
    char item[64];
    size_t n = strcspn(p, ",");
    if (n == 0 || n >= sizeof item || ret->n == FETCH_PUBLIC_NETS_MAX)
      return -EINVAL;
    memcpy(item, p, n);
    item[n] = '\0';
    p += n + (p[n] == ',');
    char *slash = strchr(item, '/');
    unsigned long bits = 32;
    if (slash) {
      char *end;
      *slash = '\0';
      bits = strtoul(slash + 1, &end, 10);
      if (*end || bits > 32)
        return -EINVAL;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, item, &a) != 1)
      return -EINVAL;
    ret->net[ret->n] = ntohl(a.s_addr);
    ret->bits[ret->n] = (unsigned)bits;
    ret->n++;
  }
  return 0;
}
