/* cmd_feeds.c — the `braid feeds`, `braid import` and `braid export-opml` commands. Placeholder until the module lands. */
#include <stdio.h>

#include "commands.h"

int cmd_feeds(int argc, char **argv) {
  (void)argc;
  fprintf(stderr, "braid %s: not available in this build yet\n", argv[0]);
  return 2;
}
