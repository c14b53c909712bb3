/* h2k-convert: qemu-img progress records and the bar. */

#include <stdio.h>
#include <string.h>

#include "test.h"
#include "../../../tools/h2k-convert/convert.h"

TEST (parse_records)
{
  double p = -1;

  CHECK_INT (progress_parse ("    (0.00/100%)", &p), 0);
  CHECK (p == 0);
  CHECK_INT (progress_parse ("    (12.34/100%)", &p), 0);
  CHECK (p > 12.339 && p < 12.341);
  CHECK_INT (progress_parse ("(100.00/100%)", &p), 0);
  CHECK (p == 100);
}

TEST (parse_rejects)
{
  double p = 42;

  CHECK_INT (progress_parse ("Images are identical.", &p), -1);
  CHECK_INT (progress_parse ("", &p), -1);
  CHECK_INT (progress_parse ("    (12.34/100%) trailing", &p), -1);
  CHECK_INT (progress_parse ("    (101.00/100%)", &p), -1);
  CHECK_INT (progress_parse ("    (-1.00/100%)", &p), -1);
  CHECK_INT (progress_parse ("    (nan/100%)", &p), -1);
  CHECK_INT (progress_parse ("    (12.34/50%)", &p), -1);
  CHECK (p == 42);
}

TEST (format_bar)
{
  char buf[128];

  progress_format (buf, sizeof buf, "disk0: converting", 0, 10);
  CHECK_STR (buf, "disk0: converting [----------]   0%");
  progress_format (buf, sizeof buf, "d", 45.6, 10);
  CHECK_STR (buf, "d [#####-----]  45%");
  progress_format (buf, sizeof buf, "d", 100, 4);
  CHECK_STR (buf, "d [####] 100%");
  /* A small buffer is truncated, not overrun. */
  progress_format (buf, 5, "disk0", 50, 10);
  CHECK_STR (buf, "disk");
}

TEST (line_callback_split)
{
  /* Records as h2k_run_lines hands them over; non-progress is ignored. */
  struct progress p;

  progress_init (&p, "x", 0);
  progress_line ("    (50.00/100%)", &p);
  progress_line ("Images are identical.", &p);
  CHECK (p.drawn == 0);
  progress_end (&p);
  CHECK (p.last == -1);
}

int
main (void)
{
  RUN (parse_records);
  RUN (parse_rejects);
  RUN (format_bar);
  RUN (line_callback_split);
  return test_done ();
}
