/* net_tmpdir.h — a scratch directory per test program (config, OPML tests): created before the
 * group runs, removed after. */
#ifndef BRAID_TEST_NET_TMPDIR_H
#define BRAID_TEST_NET_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

static int make_tmp(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/braid-test-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmp(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

#endif
