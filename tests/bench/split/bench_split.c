/* bench_split.c — the splitter alone, in-process: reads one HTML body, runs liveblog_split on
 * it `runs` times and prints the best CPU time (user+sys) of one split, with no JSON output,
 * so what `braid split` spends writing 20 MB of JSON is not counted. Built by run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "liveblog.h"

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_split BODY.html [RUNS]\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  rewind(f);
  char *body = malloc((size_t)len);
  if (!body || fread(body, 1, (size_t)len, f) != (size_t)len) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  fclose(f);
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  struct split_options opt = {.post_date = 1320787800, .has_post_date = true,
                              .mode = LIVEBLOG_AUTO};
  double best = 1e9;
  size_t n = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = cpu_seconds();
    struct liveblog *lb = NULL;
    char err[256];
    if (liveblog_split(body, (size_t)len, &opt, &lb, err, sizeof err) < 0) {
      fprintf(stderr, "split: %s\n", err);
      return 1;
    }
    n = lb->n;
    liveblog_free(lb);
    double t = cpu_seconds() - t0;
    best = t < best ? t : best;
  }
  printf("%zu updates; liveblog_split alone, best of %d: %.3f s CPU\n", n, runs, best);
  free(body);
  return 0;
}
