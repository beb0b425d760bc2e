/* feedsdir.h — writing and removing feed definition files in feeds.d.
 *
 * Promise: a new feeds.d/NAME.feed appears whole or not at all (written to a temporary file,
 * synced, then linked into place), and never replaces an existing file.
 */
#ifndef BRAID_FEEDSDIR_H
#define BRAID_FEEDSDIR_H

#include <stddef.h>

/* A feed name derived from a URL: host (without "www.") and the last meaningful path word,
 * lower-cased, other characters mapped to '-', e.g. https://www.example.org/news/live.rss ->
 * "example.org-live". Written into out (size bytes). 0, or -EINVAL if nothing usable. */
int feedsdir_name_from_url(const char *url, char *out, size_t size);

/* Writes dir/NAME.feed with url, title (NULL for none) and a categories line ("News/World,
 * Sport"; NULL or "" for none). Creates dir if missing (mode 0755). 0; -EEXIST if the file
 * exists; -EINVAL for a bad name, URL, a title holding a newline, or categories holding a
 * control character or a ';'; other -errno. */
int feedsdir_add_categories(const char *dir, const char *name, const char *url,
                            const char *title, const char *categories);

/* Removes dir/NAME.feed. 0, -ENOENT, -EINVAL for a bad name, other -errno. */
int feedsdir_remove(const char *dir, const char *name);

#endif
