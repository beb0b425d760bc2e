/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer.
 *
 * The normal build links every tests/fuzz/fuzz_NAME.c with this driver so that the seed
 * corpus and every past finding (tests/fuzz/regressions/NAME/) run in the ordinary test suite,
 * under gcc and under ASan/UBSan, as the regression tests of the fuzzers.
 * Usage: fuzz_NAME FILE_OR_DIR...  (directories are read one level deep, in name order).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, len = 0;
  unsigned char *data = malloc(cap);
  size_t got;
  while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      unsigned char *bigger = realloc(data, cap *= 2);
      if (!bigger)
        free(data);
      data = bigger;
    }
  }
  int failed = ferror(f) || !data;
  fclose(f);
  if (failed) {
    fprintf(stderr, "%s: cannot read\n", path);
    free(data);
    return -1;
  }
  /* An exact-size copy, so ASan sees a read one byte past the input as the overflow it is. */
  unsigned char *exact = malloc(len ? len : 1);
  if (!exact) {
    free(data);
    return -1;
  }
  memcpy(exact, data, len);
  free(data);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  size_t runs = 0;
  int errors = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) < 0) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      errors++;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      errors += run_file(argv[i]) < 0;
      runs++;
      continue;
    }
    struct dirent **names;
    int n = scandir(argv[i], &names, NULL, by_name);
    if (n < 0) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      errors++;
      continue;
    }
    for (int k = 0; k < n; k++) {
      if (names[k]->d_name[0] != '.') {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
        errors += run_file(path) < 0;
        runs++;
      }
      free(names[k]);
    }
    free(names);
  }
  printf("%zu inputs replayed, %d unreadable\n", runs, errors);
  return errors ? 1 : 0;
}
