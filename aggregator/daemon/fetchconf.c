#include "fetchconf.h"

void fetch_limits_from_config(struct fetch_limits *ret, const struct braid_config *c) {
  *ret = (struct fetch_limits){
      .connect_timeout_ms = c->poll_connect_timeout_s * 1000,
      .total_timeout_ms = c->poll_timeout_s * 1000,
      .low_speed_limit = c->poll_low_speed_limit,
      .low_speed_time_s = c->poll_low_speed_time_s,
      .max_bytes = c->poll_max_bytes,
      .max_redirects = c->poll_max_redirects,
      .max_total_connections = c->poll_concurrency,
      .max_host_connections = c->poll_per_host,
      .user_agent = c->user_agent,
      .allow_private_redirects = c->poll_allow_private_redirects,
  };
}
