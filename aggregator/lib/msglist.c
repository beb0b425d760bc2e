/* msglist.c — see msglist.h. */
#include "msglist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "grow.h"

int msg_list_addf(struct msg_list *l, const char *fmt, ...) {
  if (l->n == l->alloc) {
    char **v = grow_array(l->items, &l->alloc, sizeof *v, 8);
    if (!v)
      return -ENOMEM;
    l->items = v;
  }
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -ENOMEM;
  l->items[l->n++] = s;
  return 0;
}

void msg_list_clear(struct msg_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = l->alloc = 0;
}
