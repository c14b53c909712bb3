/* common/report.c: aligned tables, argv quoting, --format parsing. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "cleanup.h"
#include "error.h"
#include "report.h"

static char *
print_table (const struct h2k_table *t, const char *indent)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  h2k_table_print (t, fp, indent);
  fclose (fp);
  return buf;
}

TEST (table_aligns_columns)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (3);
  CLEANUP_FREE char *out = NULL;

  CHECK (t != NULL);
  CHECK_INT (h2k_table_add (t, (const char *[]) { "ID", "FORMAT", "PATH" }), 0);
  CHECK_INT (h2k_table_add (t, (const char *[]) { "disk10", "vmdk", "/a" }), 0);
  CHECK_INT (h2k_table_add (t, (const char *[]) { "d1", NULL, "/a long path" }), 0);
  CHECK_INT (h2k_table_rows (t), 3);
  out = print_table (t, "  ");
  /* Two spaces between columns, the last one not padded, NULL is "-". */
  CHECK_STR (out,
             "  ID      FORMAT  PATH\n"
             "  disk10  vmdk    /a\n"
             "  d1      -       /a long path\n");
}

TEST (table_empty_and_limits)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (1);
  CLEANUP_FREE char *out = print_table (t, "");
  struct h2k_table *none = h2k_table_new (0);
  struct h2k_table *wide = h2k_table_new (17);

  CHECK_STR (out, "");
  CHECK (none == NULL);
  CHECK (wide == NULL);
  h2k_clear_error ();
}

TEST (table_grows)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (2);
  CLEANUP_FREE char *out = NULL;
  char num[16];

  for (int i = 0; i < 100; ++i) {
    snprintf (num, sizeof num, "%d", i);
    CHECK_INT (h2k_table_add (t, (const char *[]) { num, "x" }), 0);
  }
  out = print_table (t, "");
  CHECK (out != NULL && strncmp (out, "0   x\n1   x\n", 12) == 0);
  CHECK (out != NULL && strstr (out, "\n99  x\n") != NULL);
}

static char *
print_argv (const char *json)
{
  CLEANUP_JSON json_object *argv = json_tokener_parse (json);
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  h2k_print_argv (fp, argv);
  fclose (fp);
  return buf;
}

TEST (argv_quoting)
{
  CLEANUP_FREE char *plain = print_argv ("[\"grub-mkconfig\",\"-o\",\"/boot/grub/grub.cfg\"]");
  CLEANUP_FREE char *spaces = print_argv ("[\"dracut\",\"--add-drivers\",\"virtio_blk virtio_pci\"]");
  CLEANUP_FREE char *quote = print_argv ("[\"echo\",\"it's\",\"\",\"a;b\",\"$HOME\"]");
  CLEANUP_FREE char *empty = print_argv ("[]");

  CHECK_STR (plain, "grub-mkconfig -o /boot/grub/grub.cfg");
  CHECK_STR (spaces, "dracut --add-drivers 'virtio_blk virtio_pci'");
  CHECK_STR (quote, "echo 'it'\\''s' '' 'a;b' '$HOME'");
  CHECK_STR (empty, "");
}

TEST (parse_format)
{
  enum h2k_format f = H2K_FORMAT_TABLE;

  CHECK_INT (h2k_parse_format ("manifest", &f), 0);
  CHECK_INT (f, H2K_FORMAT_MANIFEST);
  CHECK_INT (h2k_parse_format ("table", &f), 0);
  CHECK_INT (f, H2K_FORMAT_TABLE);
  h2k_clear_error ();
  CHECK_INT (h2k_parse_format ("Table", &f), -1);
  CHECK_STR (h2k_first_error (), "--format: \"Table\": expected manifest or table");
  CHECK_INT (f, H2K_FORMAT_TABLE);
  h2k_clear_error ();
}

int
main (void)
{
  RUN (table_aligns_columns);
  RUN (table_empty_and_limits);
  RUN (table_grows);
  RUN (argv_quoting);
  RUN (parse_format);
  return test_done ();
}
