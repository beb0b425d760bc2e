/* grow_array: doubling from the first size, nothing changed when the size would overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "grow.h"

static void doubles_from_the_first_size_and_keeps_contents(void **state) {
  (void)state;
  int *v = NULL;
  size_t alloc = 0;
  for (size_t n = 0; n < 1000; n++) {
    if (n == alloc) {
      size_t before = alloc;
      int *p = grow_array(v, &alloc, sizeof *p, 16);
      assert_non_null(p);
      assert_int_equal(alloc, before ? before * 2 : 16);
      v = p;
    }
    v[n] = (int)n;
  }
  for (size_t n = 0; n < 1000; n++)
    assert_int_equal(v[n], (int)n);
  assert_int_equal(alloc, 1024);
  free(v);
}

static void an_overflowing_size_changes_nothing(void **state) {
  (void)state;
  char *v = malloc(8);
  assert_non_null(v);
  size_t alloc = SIZE_MAX / 2 + 1; /* twice this does not fit in a size_t */
  assert_null(grow_array(v, &alloc, 1, 16));
  assert_int_equal(alloc, SIZE_MAX / 2 + 1);
  alloc = SIZE_MAX / 64; /* fits doubled as bytes, not as 64-byte elements */
  assert_null(grow_array(v, &alloc, 64, 16));
  assert_int_equal(alloc, SIZE_MAX / 64);
  free(v); /* still the caller's */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(doubles_from_the_first_size_and_keeps_contents),
      cmocka_unit_test(an_overflowing_size_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
