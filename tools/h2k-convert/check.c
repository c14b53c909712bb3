/* h2k-convert: qemu-img check, of the source before and the output after.
 *
 * qemu-img check exits 0 (clean), 1 (the check could not be completed),
 * 2 (corruptions), 3 (leaks) or 63 (the format has no check); with
 * --output=json its stdout is an object holding "corruptions" and "leaks"
 * only when they are not zero, and "check-errors".
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "qemu-img.h"
#include "run.h"

#include "convert.h"

const char *
check_status_name (enum check_status s)
{
  switch (s) {
  case CHECK_CLEAN: return "clean";
  case CHECK_LEAKS: return "leaks";
  case CHECK_CORRUPT: return "corrupt";
  case CHECK_NOT_SUPPORTED: return "not-supported";
  }
  return "?";
}

int
check_parse (int exit_status, const char *out, struct check_result *r,
             const char **why)
{
  CLEANUP_JSON json_object *j = NULL;
  int64_t errors;

  memset (r, 0, sizeof *r);
  if (exit_status == 63) {
    r->status = CHECK_NOT_SUPPORTED;
    return 0;
  }
  if (exit_status != 0 && exit_status != 2 && exit_status != 3) {
    *why = "the check could not be completed";
    return -1;
  }
  j = json_tokener_parse (out ? out : "");
  if (j == NULL || !json_object_is_type (j, json_type_object)) {
    *why = "unexpected output (not a JSON object)";
    return -1;
  }
  r->corruptions = h2k_json_get_int (j, "corruptions", 0);
  r->leaks = h2k_json_get_int (j, "leaks", 0);
  errors = h2k_json_get_int (j, "check-errors", 0);
  if (r->corruptions < 0 || r->leaks < 0 || errors < 0) {
    *why = "unexpected output (negative counts)";
    return -1;
  }
  if (errors > 0) {
    *why = "the check could not be completed (check-errors)";
    return -1;
  }
  if (r->corruptions > 0 || exit_status == 2)
    r->status = CHECK_CORRUPT;
  else if (r->leaks > 0 || exit_status == 3)
    r->status = CHECK_LEAKS;
  else
    r->status = CHECK_CLEAN;
  return 0;
}

int
check_image (const char *path, const char *format, struct check_result *r)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_FREE char *line = NULL;
  const char *qfmt = h2k_qemu_format (format);
  const char *why = NULL;
  const char *argv[] = {
    "qemu-img", "check", "--output=json", "-f", qfmt ? qfmt : format,
    "--", path, NULL
  };

  if (h2k_run (argv, H2K_RUN_OUT | H2K_RUN_ERR, &res) == -1)
    return -1;
  if (h2k_verbose && res.err_len > 0)
    fwrite (res.err, 1, res.err_len, stderr);
  if (check_parse (res.status, res.out, r, &why) == 0)
    return 0;
  line = h2k_run_err_line (&res);
  h2k_error ("%s: qemu-img check: %s (exit %d)%s%s", path, why, res.status,
             line ? ": " : "", line ? line : "");
  return -1;
}
