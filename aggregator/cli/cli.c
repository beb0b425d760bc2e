/* cli.c — configuration loading for the one-shot commands. See cli.h. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

int cli_load_config(const char *cmd, const char *cli_path, struct braid_config **ret) {
  char *path = NULL;
  bool explicit_path = false;
  struct msg_list errs = {0};
  int rc = config_choose_path(cli_path, &path, &explicit_path);
  if (rc == 0)
    rc = config_load(path, explicit_path, ret, &errs);
  else
    fprintf(stderr, "braid %s: out of memory\n", cmd);
  free(path);
  for (size_t i = 0; i < errs.n; i++)
    fprintf(stderr, "braid %s: %s\n", cmd, errs.items[i]);
  msg_list_clear(&errs);
  return rc;
}
