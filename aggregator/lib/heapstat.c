/* heapstat.c — the allocator's count of bytes in use. See heapstat.h. */
#include "heapstat.h"

#include <malloc.h>

#if defined(__SANITIZE_ADDRESS__)
#define HEAPSTAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAPSTAT_ASAN 1
#endif
#endif

#ifdef HEAPSTAT_ASAN
/* From compiler-rt's sanitizer/allocator_interface.h, which gcc does not install. ASan
 * replaces malloc, so glibc's mallinfo2 would see none of the program's allocations. */
size_t __sanitizer_get_current_allocated_bytes(void);

size_t heap_bytes_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
size_t heap_bytes_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}
#endif
