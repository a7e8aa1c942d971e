#include "harness.h"

int h_failed;

int h_run(const h_test *tests, size_t count, const char *filter) {
  int passed = 0, failed = 0;
  size_t i;
  for (i = 0; i < count; i++) {
    if (filter && !strstr(tests[i].name, filter)) continue;
    h_failed = 0;
    tests[i].run();
    if (h_failed) {
      failed++;
      printf("FAILED %s\n", tests[i].name);
    } else {
      passed++;
      printf("ok     %s\n", tests[i].name);
    }
    fflush(stdout);
  }
  printf("c_tests: %d passed, %d failed\n", passed, failed);
  return passed == 0 ? 1 : failed;
}
