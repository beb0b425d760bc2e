/* grow.h — the one way braid grows an array it appends to: doubling, with the size checked
 * for overflow, and nothing changed when memory runs out.
 */
#ifndef BRAID_GROW_H
#define BRAID_GROW_H

#include <stddef.h>

/* items reallocated to hold twice *alloc elements of elem bytes (first elements when *alloc
 * is 0), with *alloc updated; or NULL, items still valid and *alloc untouched, when memory
 * runs out or the size would overflow. */
void *grow_array(void *items, size_t *alloc, size_t elem, size_t first);

#endif
