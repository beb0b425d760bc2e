#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *grow_array(void *items, size_t *alloc, size_t elem, size_t first) {
  size_t n = *alloc ? *alloc : first / 2;
  if (n == 0 || elem == 0 || n > SIZE_MAX / 2 / elem)
    return NULL;
  n *= 2;
  void *p = realloc(items, n * elem);
  if (p)
    *alloc = n;
  return p;
}
