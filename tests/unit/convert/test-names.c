/* h2k-convert: output names from untrusted VM names and disk ids. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cleanup.h"
#include "../../../tools/h2k-convert/convert.h"

TEST (safe_name)
{
  struct { const char *in, *out; } t[] = {
    { "web01", "web01" },
    { "My VM", "My_VM" },
    { "../../etc/passwd", "_._.._etc_passwd" },
    { ".hidden", "_hidden" },
    { "-rf", "_rf" },
    { "a/b", "a_b" },
    { "caf\xc3\xa9", "caf__" },
    { "", "vm" },
    { "x.y_z-1", "x.y_z-1" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    CLEANUP_FREE char *s = convert_safe_name (t[i].in, "vm");
    CHECK_STR (s, t[i].out);
  }
}

TEST (long_name_is_cut)
{
  char big[300];
  CLEANUP_FREE char *s = NULL;

  memset (big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  s = convert_safe_name (big, "vm");
  CHECK (s && strlen (s) == CONVERT_NAME_MAX);
}

TEST (output_name)
{
  CLEANUP_FREE char *a = convert_output_name ("web 01", "disk0", "qcow2");
  CLEANUP_FREE char *b = convert_output_name ("", "", "raw");
  CLEANUP_FREE char *c = convert_output_name ("vm", "scsi0:1", "vdi");

  CHECK_STR (a, "web_01-disk0.qcow2");
  CHECK_STR (b, "vm-disk.raw");
  CHECK_STR (c, "vm-scsi0_1.vdi");
}

int
main (void)
{
  RUN (safe_name);
  RUN (long_name_is_cut);
  RUN (output_name);
  return test_done ();
}
