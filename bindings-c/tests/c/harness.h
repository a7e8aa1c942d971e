/* A tiny test harness: CHECK macros that record a failure and go on, a table of tests, and a
 * runner printing one line per test and the closing summary "c_tests: N passed, M failed". */
#ifndef XPAY_TEST_HARNESS_H
#define XPAY_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "xpay_auth.h"

/* Set by a failing CHECK; the runner resets it before each test. */
extern int h_failed;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stdout, "    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
      h_failed = 1;                                                                  \
    }                                                                                \
  } while (0)

/* Compares two C strings, either of which may be NULL. */
#define CHECK_STR(got, want)                                                         \
  do {                                                                               \
    const char *g_ = (got), *w_ = (want);                                            \
    if (!(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_)) {                              \
      fprintf(stdout, "    %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,        \
              __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");               \
      h_failed = 1;                                                                  \
    }                                                                                \
  } while (0)

/* Checks a string contains a part (NULL never does). */
#define CHECK_CONTAINS(got, part)                                                    \
  do {                                                                               \
    const char *g_ = (got);                                                          \
    if (!(g_ && strstr(g_, (part)))) {                                               \
      fprintf(stdout, "    %s:%d: %s is \"%s\", expected it to contain \"%s\"\n",    \
              __FILE__, __LINE__, #got, g_ ? g_ : "(null)", (part));                 \
      h_failed = 1;                                                                  \
    }                                                                                \
  } while (0)

/* Checks a status; on a mismatch prints the error's description. */
#define CHECK_STATUS(got, want, err)                                                 \
  do {                                                                               \
    xpay_status s_ = (got);                                                          \
    if (s_ != (want)) {                                                              \
      fprintf(stdout, "    %s:%d: status %d, expected %s (%s)\n", __FILE__, __LINE__,\
              (int)s_, #want, xpay_error_display(err) ? xpay_error_display(err) : "-"); \
      h_failed = 1;                                                                  \
    }                                                                                \
  } while (0)

typedef struct {
  const char *name;
  void (*run)(void);
} h_test;

/* Runs the tests whose name contains `filter` (NULL: all); returns the number that failed. */
int h_run(const h_test *tests, size_t count, const char *filter);

#endif
