/* h2k-convert: interpreting qemu-img check --output=json. */

#include <stdio.h>
#include <string.h>

#include "test.h"
#include "../../../tools/h2k-convert/convert.h"

TEST (clean)
{
  struct check_result r;
  const char *why = NULL;

  CHECK_INT (check_parse (0, "{\"check-errors\": 0, \"filename\": \"a\", "
                             "\"format\": \"qcow2\"}", &r, &why), 0);
  CHECK_STR (check_status_name (r.status), "clean");
  CHECK_INT (r.corruptions, 0);
  CHECK_INT (r.leaks, 0);
}

TEST (corrupt)
{
  struct check_result r;
  const char *why = NULL;

  CHECK_INT (check_parse (2, "{\"corruptions\": 85, \"check-errors\": 0}", &r, &why), 0);
  CHECK_STR (check_status_name (r.status), "corrupt");
  CHECK_INT (r.corruptions, 85);
}

TEST (leaks)
{
  struct check_result r;
  const char *why = NULL;

  CHECK_INT (check_parse (3, "{\"leaks\": 7, \"check-errors\": 0}", &r, &why), 0);
  CHECK_STR (check_status_name (r.status), "leaks");
  CHECK_INT (r.leaks, 7);
  /* Corruption wins over leaks. */
  CHECK_INT (check_parse (2, "{\"leaks\": 7, \"corruptions\": 1}", &r, &why), 0);
  CHECK_STR (check_status_name (r.status), "corrupt");
}

TEST (not_supported)
{
  struct check_result r;
  const char *why = NULL;

  CHECK_INT (check_parse (63, "", &r, &why), 0);
  CHECK_STR (check_status_name (r.status), "not-supported");
}

TEST (failures)
{
  struct check_result r;
  const char *why = NULL;

  CHECK_INT (check_parse (1, "", &r, &why), -1);
  CHECK_STR (why, "the check could not be completed");
  CHECK_INT (check_parse (0, "garbage", &r, &why), -1);
  CHECK_STR (why, "unexpected output (not a JSON object)");
  CHECK_INT (check_parse (0, NULL, &r, &why), -1);
  CHECK_INT (check_parse (0, "[1]", &r, &why), -1);
  CHECK_INT (check_parse (0, "{\"check-errors\": 2}", &r, &why), -1);
  CHECK_STR (why, "the check could not be completed (check-errors)");
  CHECK_INT (check_parse (0, "{\"leaks\": -1}", &r, &why), -1);
  CHECK_INT (check_parse (139, "{}", &r, &why), -1);
}

int
main (void)
{
  RUN (clean);
  RUN (corrupt);
  RUN (leaks);
  RUN (not_supported);
  RUN (failures);
  return test_done ();
}
