/* cmd_run.c — `braid run` (the daemon, in the foreground) and `braid poll --once`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *out, const char *cmd) {
  if (strcmp(cmd, "poll") == 0)
    fprintf(out, "usage: braid poll --once [--config FILE] [--log-level LEVEL]\n\n"
                 "Polls every configured feed once, stores the results and exits:\n"
                 "0 when every feed was fetched, 1 when some could not be, 2 for a config error.\n"
                 "With [store] url it polls as one node of several: the feeds that are due and\n"
                 "that no other node holds, until none is due or leased anywhere; then it\n"
                 "replays the shared log into [store] path and exits (1 at once when the\n"
                 "database cannot be reached).\n");
  else
    fprintf(out, "usage: braid run [--config FILE] [--log-level LEVEL]\n\n"
                 "Runs the daemon in the foreground (what systemd starts): polls every feed on\n"
                 "its schedule and serves the merged stream over HTTP. SIGHUP reloads feeds.d,\n"
                 "SIGTERM or SIGINT stop it.\n");
  fprintf(out, "\n  --config FILE      braid.conf (default: $BRAID_CONFIG, else /etc/braid/braid.conf)\n"
               "  --log-level LEVEL  error, warning, notice, info or debug (default: [log] level)\n");
}

int cmd_run(int argc, char **argv) {
  const char *cmd = argv[0];
  static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                          {"log-level", required_argument, NULL, 'l'},
                                          {"once", no_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  struct logger lg;
  logger_init(&lg);
  struct daemon_options opt = {.once = strcmp(cmd, "poll") == 0};
  bool once_flag = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
    switch (c) {
    case 'c':
      opt.config_path = optarg;
      break;
    case 'l':
      if (log_level_parse(optarg, &lg.max_level) < 0) {
        fprintf(stderr, "braid %s: --log-level: unknown level '%s'\n", cmd, optarg);
        return 2;
      }
      opt.log_level_set = true;
      break;
    case 'o':
      once_flag = true;
      break;
    case 'h':
      usage(stdout, cmd);
      return 0;
    default:
      usage(stderr, cmd);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "braid %s: unexpected argument '%s'\n", cmd, argv[optind]);
    return 2;
  }
  if (opt.once && !once_flag) {
    fprintf(stderr, "braid poll: --once is required (braid run polls continuously)\n");
    return 2;
  }
  if (!opt.once && once_flag) {
    fprintf(stderr, "braid run: --once belongs to braid poll\n");
    return 2;
  }
  return daemon_main(&opt, &lg);
}
