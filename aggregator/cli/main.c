/* main.c — braid's entry point: picks the subcommand and hands it the rest of argv. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
} commands[] = {
    {"run", cmd_run, "run     [--config FILE]          run the daemon in the foreground"},
    {"poll", cmd_run, "poll    --once [--config FILE]   poll every feed once, store, exit"},
    {"parse", cmd_parse, "parse   FILE|-                   parse one feed document, print JSON"},
    {"split", cmd_split, "split   [--date T] [--tz Z] FILE|-   split a live-blog body, print JSON"},
    {"tail", cmd_tail, "tail    [-f] [-n N]              print the merged stream"},
    {"export", cmd_export, "export  [--format atom|rss|json|html] [-n N]   write the stream"},
    {"feeds", cmd_feeds, "feeds   [list|add URL|remove NAME]   manage feeds.d"},
    {"import", cmd_feeds, "import  FILE.opml                write feeds.d files from OPML"},
    {"export-opml", cmd_feeds, "export-opml                     write feeds.d as OPML"},
    {"store", cmd_store, "store   migrate|check|copy       schema, health, copy into PostgreSQL"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: braid COMMAND [OPTIONS]\n\n"
               "braid polls RSS/Atom feeds, splits live blogs into their time-stamped updates\n"
               "and serves one merged chronological stream.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  braid %s\n", commands[i].usage);
  fprintf(out, "\n  braid --version, braid --help, braid COMMAND --help\n\n"
               "Commands that read the configuration take --config FILE (default: "
               "$BRAID_CONFIG,\nelse /etc/braid/braid.conf).\n"
               "Exit status: 0 success, 1 runtime failure, 2 usage or config error.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
    printf("braid %s\n", BRAID_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(name, commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "braid: unknown command '%s' (see braid --help)\n", name);
  return 2;
}
