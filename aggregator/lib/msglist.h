/* msglist.h — a growable list of owned messages: how readers of configuration files (braid.conf,
 * feeds.d, OPML) hand back every problem they found, not just the first.
 *
 * Promise: a zero-initialised struct msg_list is an empty list; msg_list_addf never leaves it
 * invalid, even when it runs out of memory; msg_list_clear frees everything it holds.
 */
#ifndef BRAID_MSGLIST_H
#define BRAID_MSGLIST_H

#include <stddef.h>

struct msg_list {
  char **items;
  size_t n;
  size_t alloc;
};
/* 0 or -ENOMEM (the message is then lost, but the list stays valid). */
int msg_list_addf(struct msg_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the messages and leaves l empty (l itself is the caller's). */
void msg_list_clear(struct msg_list *l);

#endif
