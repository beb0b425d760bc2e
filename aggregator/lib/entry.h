/* entry.h — the unit of the merged stream, as the store returns it and the renderer writes it.
 *
 * An ordinary feed item is one entry; a live blog is one entry per update (DESIGN.md, "The
 * merged stream"). Every string is UTF-8 and owned by the entry: stream_entry_clear frees
 * them all (and accepts a zeroed entry). `html` is the feed's own markup, untrusted: anything
 * that writes it out for a reader sanitises it first.
 */
#ifndef BRAID_ENTRY_H
#define BRAID_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* A feed that carried the entry. The same story from several feeds is one entry with
 * several sources, the first being the one that carried it first. */
struct stream_source {
  char *feed;     /* the feed's name in feeds.d (file name without .feed) */
  char *title;    /* the feed's title, NULL if unknown */
  char *site_url; /* the feed's own <link> (its web site), NULL if unknown */
  char *feed_url; /* the URL braid polls */
  char *link;     /* this feed's link for the story, NULL if none */
};

struct stream_entry {
  int64_t seq;        /* store's ascending sequence number: "entries after seq" follows */
  char *id;           /* stable tag: URI, unchanged when the entry is edited */
  int64_t time;       /* UTC seconds: the update's stamp, else published, else updated,
                         else first seen */
  int64_t updated;    /* UTC seconds of its last change as readers mean it: the source's
                         updated date, else its published date, else the update's stamp (else
                         first seen); when braid detects an edit, the detection time. First
                         seen stays in the store. */
  char *title;        /* plain text; for an update, the live blog's title and the stamp */
  char *link;         /* absolute URL (with the update's #anchor where there is one), or NULL */
  char *author;       /* plain text, or NULL */
  char *html;         /* the entry's HTML, untrusted, or NULL */
  char *text;         /* the entry's plain text, or NULL */
  char *stamp;        /* a live-blog update's stamp as written ("2120 GMT"), else NULL */
  char *item_title;   /* for a live-blog update, the live blog's own title, else NULL */
  char *item_id;      /* the feed item's id (guid), for grouping updates of one live blog */
  struct stream_source *sources;
  size_t n_sources;
};

struct stream_list {
  struct stream_entry *entries; /* newest first unless the call says otherwise */
  size_t n;
};

void stream_entry_clear(struct stream_entry *e);
/* Frees every entry and the array; leaves an empty list. NULL is a no-op. */
void stream_list_clear(struct stream_list *l);

#endif
