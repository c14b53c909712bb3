/* h2k_run_lines (common/run.c), added for h2k-convert's progress: records
 * split at '\n' and '\r', the last unterminated one delivered at EOF.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cleanup.h"
#include "run.h"

struct seen {
  char text[512];
  int n;
};

static void
collect (const char *line, void *opaque)
{
  struct seen *s = opaque;

  size_t used = strlen (s->text);

  s->n++;
  if (used + strlen (line) + 2 <= sizeof s->text) {
    strcat (s->text, line);
    strcat (s->text, "|");
  }
}

TEST (records)
{
  const char *argv[] = {
    "printf", "    (0.00/100%%)\\r    (50.00/100%%)\\r\\r\\nok\\nlast", NULL
  };
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  struct seen s = { "", 0 };

  CHECK_INT (h2k_run_lines (argv, 0, collect, &s, &r), 0);
  CHECK_INT (r.status, 0);
  CHECK_INT (s.n, 4);
  CHECK_STR (s.text, "    (0.00/100%)|    (50.00/100%)|ok|last|");
  CHECK_INT (r.out_len, 0);
}

TEST (status_and_stderr)
{
  const char *argv[] = {
    "sh", "-c", "echo out; echo first >&2; echo 'the error' >&2; exit 3", NULL
  };
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  CLEANUP_FREE char *line = NULL;
  struct seen s = { "", 0 };

  CHECK_INT (h2k_run_lines (argv, H2K_RUN_ERR, collect, &s, &r), 0);
  CHECK_INT (r.status, 3);
  CHECK_STR (s.text, "out|");
  line = h2k_run_err_line (&r);
  CHECK_STR (line, "the error");
}

TEST (big_output)
{
  /* More than one read's worth, split across reads. */
  const char *argv[] = { "sh", "-c", "seq 1 100000", NULL };
  CLEANUP_RUN_RESULT struct h2k_run_result r = { 0 };
  struct seen s = { "", 0 };

  CHECK_INT (h2k_run_lines (argv, 0, collect, &s, &r), 0);
  CHECK_INT (s.n, 100000);
}

int
main (void)
{
  RUN (records);
  RUN (status_and_stderr);
  RUN (big_output);
  return test_done ();
}
