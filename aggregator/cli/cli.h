/* cli.h — what the one-shot commands (export, tail, feeds...) share: finding and reading
 * braid.conf the way the daemon does, and saying what was wrong on stderr.
 */
#ifndef BRAID_CLI_H
#define BRAID_CLI_H

#include "config.h"

/* Reads braid.conf from cli_path (--config), else $BRAID_CONFIG, else the default path (which
 * may be absent: defaults apply). Every problem is printed to stderr as "braid CMD: FILE:LINE:
 * ...". 0 with *ret (config_free it), or negative: the command should exit 2. */
int cli_load_config(const char *cmd, const char *cli_path, struct braid_config **ret);

#endif
