/* h2k unit tests: a tiny TAP producer.
 *
 *   TEST (name) { CHECK (x == 1); CHECK_STR (s, "abc"); }
 *   int main (void) { RUN (name); return test_done (); }
 *
 * Each RUN prints "ok N - name" or "not ok N - name" with the failed
 * checks as TAP comments.  A test that cannot run (its corpus file or
 * test image is missing) calls SKIP ("why", ...) and returns: RUN then
 * prints "ok N - name # SKIP why", which tests/run-tests.sh counts as
 * skipped, never as passed.  SRCDIR is the source tree (set by the
 * Makefile).  H2K_TEST=name in the environment runs that TEST alone
 * (H2K_TEST=ovf_corpus_all build/tests/unit/fetch/test-ovf).
 */
#ifndef H2K_TEST_H
#define H2K_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_n, test_failed, test_cur_failed, test_cur_skipped;
static char test_skip_reason[8192];

#define TEST(name) static void test_##name (void)

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      printf ("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      test_cur_failed = 1;                                              \
    }                                                                   \
  } while (0)

#define CHECK_STR(a, b)                                                 \
  do {                                                                  \
    const char *a_ = (a), *b_ = (b);                                    \
    if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0) {             \
      printf ("# %s:%d: \"%s\" != \"%s\" (%s)\n", __FILE__, __LINE__,    \
              a_ ? a_ : "(null)", b_ ? b_ : "(null)", #a);              \
      test_cur_failed = 1;                                              \
    }                                                                   \
  } while (0)

#define CHECK_INT(a, b)                                                 \
  do {                                                                  \
    long long a_ = (long long) (a), b_ = (long long) (b);               \
    if (a_ != b_) {                                                     \
      printf ("# %s:%d: %lld != %lld (%s)\n", __FILE__, __LINE__,        \
              a_, b_, #a);                                              \
      test_cur_failed = 1;                                              \
    }                                                                   \
  } while (0)

/* Mark the running test skipped, with the reason (printf format). */
#define SKIP(...)                                                       \
  do {                                                                  \
    test_cur_skipped = 1;                                               \
    snprintf (test_skip_reason, sizeof test_skip_reason, __VA_ARGS__);  \
  } while (0)

/* Whether TEST name runs: all of them, or the one H2K_TEST names. */
static inline int
test_selected (const char *name)
{
  const char *only = getenv ("H2K_TEST");

  return only == NULL || *only == '\0' || strcmp (only, name) == 0;
}

#define RUN(name)                                                       \
  do {                                                                  \
    if (!test_selected (#name))                                         \
      break;                                                            \
    test_cur_failed = test_cur_skipped = 0;                             \
    fflush (stdout);                                                    \
    test_##name ();                                                     \
    fflush (stderr);                                                    \
    if (test_cur_failed || !test_cur_skipped)                           \
      printf ("%sok %d - %s\n", test_cur_failed ? "not " : "", ++test_n, \
              #name);                                                   \
    else                                                                \
      printf ("ok %d - %s # SKIP %s\n", ++test_n, #name,                \
              test_skip_reason);                                        \
    fflush (stdout);                                                    \
    test_failed += test_cur_failed;                                     \
  } while (0)

static inline int
test_done (void)
{
  printf ("1..%d\n", test_n);
  return test_failed ? 1 : 0;
}

#endif
