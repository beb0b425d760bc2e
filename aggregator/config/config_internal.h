/* config_internal.h — what config.c shares with streamdef.c (the [stream "NAME"] sections).
 * Not part of the configuration's API: include config.h. */
#ifndef BRAID_CONFIG_INTERNAL_H
#define BRAID_CONFIG_INTERNAL_H

#include "config.h"
#include "ini_read.h"

/* When section is `stream "NAME"`: checks NAME, adds an empty stream to c (its index in
 * *ret_current, -1 when the header was wrong and reported) and returns 1. Any other section:
 * 0. -ENOMEM stops the read. */
int config__stream_section(struct ini_read *r, struct braid_config *c, const char *section,
                           int *ret_current);
/* One key of the stream at index current (-1: ignored, its header was already reported).
 * 0 or -ENOMEM. */
int config__stream_kv(struct ini_read *r, struct braid_config *c, int current, const char *key,
                      const char *value);
/* After the whole file: each stream must select something. */
void config__streams_finish(struct ini_read *r, struct braid_config *c);
/* Frees every stream of c. */
void config__streams_free(struct braid_config *c);

#endif
