/* entry.c — freeing stream entries. See entry.h. */
#include "entry.h"

#include <stdlib.h>
#include <string.h>

static void stream_source_clear(struct stream_source *s) {
  if (!s)
    return;
  free(s->feed);
  free(s->title);
  free(s->site_url);
  free(s->feed_url);
  free(s->link);
  memset(s, 0, sizeof *s);
}

void stream_entry_clear(struct stream_entry *e) {
  if (!e)
    return;
  free(e->id);
  free(e->title);
  free(e->link);
  free(e->author);
  free(e->html);
  free(e->text);
  free(e->stamp);
  free(e->item_title);
  free(e->item_id);
  for (size_t i = 0; i < e->n_sources; i++)
    stream_source_clear(&e->sources[i]);
  free(e->sources);
  memset(e, 0, sizeof *e);
}

void stream_list_clear(struct stream_list *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    stream_entry_clear(&l->entries[i]);
  free(l->entries);
  l->entries = NULL;
  l->n = 0;
}
