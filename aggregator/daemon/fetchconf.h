/* fetchconf.h — the fetcher's limits from braid.conf's [poll] section. Here, above both, so
 * that net/ knows nothing of the configuration file and config/ nothing of the fetcher.
 */
#ifndef BRAID_FETCHCONF_H
#define BRAID_FETCHCONF_H

#include "config.h"
#include "fetch.h"

/* The limits c's [poll] section asks for (timeouts, speed, size, redirects, concurrency as the
 * connection limits, user_agent, allow_private_redirects). user_agent is borrowed from c. */
void fetch_limits_from_config(struct fetch_limits *ret, const struct braid_config *c);

#endif
