/* commands.h — the braid subcommands (CLI contract in ../shared/DESIGN.md).
 *
 * Each takes the argv that starts at its own name (argv[0] is "parse", "split", ...) and
 * returns the process exit status: 0 success, 1 runtime failure, 2 usage or config error.
 * Each handles its own --help. Errors go to stderr and name the file, feed or line.
 */
#ifndef BRAID_COMMANDS_H
#define BRAID_COMMANDS_H

int cmd_run(int argc, char **argv);         /* run, poll --once (cmd_run.c) */
int cmd_parse(int argc, char **argv);       /* parse FILE|- (cmd_parse.c) */
int cmd_split(int argc, char **argv);       /* split [--date T] [--tz Z] FILE|- (cmd_split.c) */
int cmd_tail(int argc, char **argv);        /* tail [-f] [-n N] (cmd_tail.c) */
int cmd_export(int argc, char **argv);      /* export [--format F] [-n N] (cmd_export.c) */
int cmd_feeds(int argc, char **argv);
int cmd_store(int argc, char **argv);       /* store migrate|check|copy (cmd_store.c) */       /* feeds, import FILE.opml, export-opml (cmd_feeds.c) */

#endif
