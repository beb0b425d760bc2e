/* cmd_export.c — the `braid export` command. Placeholder until the module lands. */
#include <stdio.h>

#include "commands.h"

int cmd_export(int argc, char **argv) {
  (void)argc;
  fprintf(stderr, "braid %s: not available in this build yet\n", argv[0]);
  return 2;
}
