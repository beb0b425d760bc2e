/* cmd_run.c — the `braid run, poll` command(s). Placeholder until the module lands. */
#include <stdio.h>

#include "commands.h"

int cmd_run(int argc, char **argv) {
  (void)argc;
  fprintf(stderr, "braid %s: not available in this build yet\n", argv[0]);
  return 2;
}
