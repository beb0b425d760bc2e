/* heapstat.h — how many bytes of heap the process holds, as the allocator counts them: what
 * /metrics reports as braid_heap_bytes, and what a leak makes grow.
 *
 * Promise: cheap enough to call on every /metrics request (glibc walks its few arenas under
 * their locks); never fails. The resident set (VmRSS) is the kernel's view and also holds
 * what the allocator keeps after free (and, under AddressSanitizer, its quarantine and
 * redzones): it swings with bursts of work, where this count follows only what is in use.
 */
#ifndef BRAID_HEAPSTAT_H
#define BRAID_HEAPSTAT_H

#include <stddef.h>

/* Bytes allocated and not yet freed: glibc's in-use chunks (mallinfo2: arena and mmapped),
 * or AddressSanitizer's own count in a sanitizer build. */
size_t heap_bytes_in_use(void);

#endif
