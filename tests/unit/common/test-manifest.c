/* Unit tests: manifest parsing, validation and the stage record. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "h2k.h"
#include "test.h"

/* Capture what h2k_error reports (stderr) while parsing TEXT. */
static char errbuf[4096];

static json_object *
parse_capturing (const char *text)
{
  FILE *tmp = tmpfile ();
  int saved = dup (2);
  json_object *m;
  size_t n;

  fflush (stderr);
  dup2 (fileno (tmp), 2);
  m = h2k_manifest_parse (text, strlen (text), "in.json");
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  rewind (tmp);
  n = fread (errbuf, 1, sizeof errbuf - 1, tmp);
  errbuf[n] = '\0';
  fclose (tmp);
  h2k_clear_error ();
  return m;
}

#define GOOD_DISK                                                       \
  "{\"id\":\"disk0\",\"source\":{\"path\":\"/a.vmdk\",\"format\":\"vmdk\"},"   \
  "\"current\":{\"path\":\"/a.vmdk\",\"format\":\"vmdk\"}}"

TEST (minimal_ok)
{
  CLEANUP_JSON json_object *m = parse_capturing
    ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":[],\"stages\":[]}");
  CHECK (m != NULL);
  CHECK_STR (errbuf, "");
}

TEST (new_is_valid)
{
  CLEANUP_JSON json_object *m = h2k_manifest_new ("vm1");
  CHECK (m != NULL);
  CHECK_INT (h2k_manifest_validate (m, "new"), 0);
  CHECK_STR (h2k_json_get_string (h2k_json_get_object (m, "vm"), "name"), "vm1");
}

TEST (full_disk_ok)
{
  CLEANUP_JSON json_object *m = parse_capturing
    ("{\"h2k_manifest_version\":1,\"workdir\":\"/w\",\"vm\":{\"name\":\"x\","
     "\"firmware\":\"uefi\",\"cpus\":2,\"memory_mb\":2048,"
     "\"nics\":[{\"id\":\"ethernet0\",\"mac\":\"00:50:56:01:02:03\",\"model\":\"vmxnet3\"}]},"
     "\"disks\":[" GOOD_DISK "],\"stages\":[]}");
  CHECK (m != NULL);
  CHECK_STR (errbuf, "");
}

static void
expect_error (const char *text, const char *fragment)
{
  CLEANUP_JSON json_object *m = parse_capturing (text);

  CHECK (m == NULL);
  if (strstr (errbuf, fragment) == NULL) {
    printf ("# expected \"%s\" in: %s", fragment, errbuf);
    test_cur_failed = 1;
  }
  /* One line, prefixed by the program name. */
  CHECK (strchr (errbuf, '\n') == errbuf + strlen (errbuf) - 1);
}

TEST (errors_name_the_path)
{
  expect_error ("", "in.json: no manifest");
  expect_error ("{\"h2k_manifest_version\":1,", "in.json: line 1, column 27: not valid JSON: unexpected end of input");
  expect_error ("[1]", "in.json: /: expected an object, found array");
  expect_error ("{\"h2k_manifest_version\":2,\"vm\":{},\"disks\":[],\"stages\":[]}",
                "/h2k_manifest_version: version 2 is not supported");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":[],\"stages\":[],\"bogus\":1}",
                "in.json: /bogus: unknown key");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\",\"cpus\":\"2\"},\"disks\":[],\"stages\":[]}",
                "in.json: /vm/cpus: expected an integer, found string");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":["
                "{\"id\":\"d\",\"source\":{\"path\":\"rel.vmdk\",\"format\":\"vmdk\"},"
                "\"current\":{\"path\":\"/a\",\"format\":\"vmdk\"}}],\"stages\":[]}",
                "in.json: /disks/0/source/path: \"rel.vmdk\" is not an absolute path");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":["
                "{\"id\":\"d\",\"source\":{\"path\":\"/a\",\"format\":\"iso\"},"
                "\"current\":{\"path\":\"/a\",\"format\":\"vmdk\"}}],\"stages\":[]}",
                "/disks/0/source/format: \"iso\" is not one of vmdk, vhd");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"stages\":[]}",
                "in.json: /disks: required key missing");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":["
                GOOD_DISK "," GOOD_DISK "],\"stages\":[]}",
                "/disks/1/id: \"disk0\" is used twice");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":[],\"stages\":[]} x",
                "in.json: line 1, column 69: not valid JSON");
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\",\"memory_mb\":-5},\"disks\":[],\"stages\":[]}",
                "/vm/memory_mb: -5 out of range");
}

TEST (failed_last_stage_refused)
{
  expect_error ("{\"h2k_manifest_version\":1,\"vm\":{\"name\":\"x\"},\"disks\":[],\"stages\":["
                "{\"tool\":\"h2k-flatten\",\"version\":\"0\",\"started\":\"a\",\"ended\":\"b\","
                "\"duration_s\":1,\"status\":\"failed\",\"error\":\"boom\"}]}",
                "the last stage, h2k-flatten, failed: boom");
}

TEST (stage_record)
{
  CLEANUP_JSON json_object *m = h2k_manifest_new ("vm1");
  struct h2k_stage st = { 0 };
  json_object *rec;

  h2k_stage_begin (&st, "h2k-test");
  CHECK_INT (h2k_stage_end (m, &st, NULL), 0);
  st.dry_run = 1;
  CHECK_INT (h2k_stage_end (m, &st, "it broke"), 0);
  CHECK_INT (json_object_array_length (h2k_json_get_array (m, "stages")), 2);
  rec = json_object_array_get_idx (h2k_json_get_array (m, "stages"), 0);
  CHECK_STR (h2k_json_get_string (rec, "status"), "ok");
  CHECK (h2k_json_get (rec, "error") == NULL);
  rec = json_object_array_get_idx (h2k_json_get_array (m, "stages"), 1);
  CHECK_STR (h2k_json_get_string (rec, "status"), "failed");
  CHECK_STR (h2k_json_get_string (rec, "error"), "it broke");
  CHECK_INT (h2k_json_get_bool (rec, "dry_run", 0), 1);
  CHECK_INT (h2k_manifest_validate (m, "m"), 0);
}

TEST (write_roundtrip)
{
  CLEANUP_JSON json_object *m = h2k_manifest_new ("round/trip \"vm\"");
  CLEANUP_JSON json_object *back = NULL;
  char path[] = "/tmp/h2k-test-XXXXXX";
  int fd = mkstemp (path);
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  CHECK (fd >= 0);
  CHECK_INT (h2k_manifest_write_fd (m, fd, path), 0);
  close (fd);
  buf = h2k_read_file (path, 1 << 20, &len);
  unlink (path);
  CHECK (buf != NULL && len > 0 && buf[len - 1] == '\n');
  CHECK (strstr (buf, "round/trip") != NULL);   /* no escaped slashes */
  back = buf ? h2k_manifest_parse (buf, len, path) : NULL;
  CHECK (back != NULL);
  CHECK_STR (h2k_json_get_string (h2k_json_get_object (back, "vm"), "name"),
             "round/trip \"vm\"");
}

TEST (write_to_full_fails)
{
  CLEANUP_JSON json_object *m = h2k_manifest_new ("x");
  int fd = open ("/dev/full", O_WRONLY);
  int saved = dup (2), null = open ("/dev/null", O_WRONLY);

  CHECK (fd >= 0);
  dup2 (null, 2);
  CHECK_INT (h2k_manifest_write_fd (m, fd, "/dev/full"), -1);
  dup2 (saved, 2);
  close (saved);
  close (null);
  close (fd);
  h2k_clear_error ();
}

/* A variadic front, as the fixers have. */
static json_object *
add (json_object *plan, const char *action, const char *file,
     json_object *details, const char *fs, ...)
{
  json_object *item;
  va_list args;

  va_start (args, fs);
  item = h2k_plan_add (plan, "h2k-test", action, file, details, fs, args);
  va_end (args);
  return item;
}

TEST (plan_add)
{
  CLEANUP_JSON json_object *plan = json_object_new_array ();
  json_object *a, *b;

  a = add (plan, "write-file", "/etc/x", json_object_new_object (), "write %d", 1);
  b = add (plan, "command", NULL, json_object_new_object (), "run");
  CHECK (a != NULL && b != NULL);
  CHECK_STR (h2k_json_get_string (a, "id"), "write-file-1");
  CHECK_STR (h2k_json_get_string (b, "id"), "command-2");
  CHECK_STR (h2k_json_get_string (a, "tool"), "h2k-test");
  CHECK_STR (h2k_json_get_string (a, "reason"), "write 1");
  CHECK_STR (json_object_get_string (json_object_array_get_idx (h2k_json_get_array (a, "files"), 0)), "/etc/x");
  CHECK_INT ((int) json_object_array_length (h2k_json_get_array (b, "files")), 0);
  /* Details that could not be built: an error, nothing planned. */
  CHECK (add (plan, "command", NULL, NULL, "run") == NULL);
  CHECK_INT ((int) json_object_array_length (plan), 2);
}

TEST (array_helpers)
{
  static const char *const v[] = { "a", "b", NULL };
  CLEANUP_JSON json_object *a = h2k_json_strv (v);
  CLEANUP_JSON json_object *empty = h2k_json_strv (NULL);
  CLEANUP_JSON json_object *obj = json_object_new_object ();

  CHECK (a && empty && obj);
  CHECK_INT (h2k_json_array_len (a), 2);
  CHECK_INT (h2k_json_array_len (empty), 0);
  CHECK_INT (h2k_json_array_len (NULL), 0);
  CHECK_INT (h2k_json_array_len (obj), 0);
  CHECK (h2k_json_array_has_string (a, "b"));
  CHECK (!h2k_json_array_has_string (a, "c"));
  CHECK (!h2k_json_array_has_string (NULL, "a"));
  CHECK_INT (h2k_json_array_add_unique (a, "b"), 0);
  CHECK_INT (h2k_json_array_add_unique (a, NULL), 0);
  CHECK_INT (h2k_json_array_len (a), 2);
  CHECK_INT (h2k_json_array_add_unique (a, "c"), 0);
  CHECK_INT (h2k_json_array_add_string (a, "c"), 0);
  CHECK_INT (h2k_json_array_add (a, json_object_new_int (7)), 0);
  CHECK_INT (h2k_json_array_len (a), 5);
  CHECK_STR (json_object_get_string (json_object_array_get_idx (a, 3)), "c");
  /* A constructor that failed (NULL) is an error, reported once. */
  CHECK_INT (h2k_json_array_add (a, NULL), -1);
  CHECK (h2k_first_error () != NULL);
  h2k_clear_error ();
  CHECK_INT (h2k_json_array_len (a), 5);
}

int
main (void)
{
  h2k_set_progname ("test-manifest");
  RUN (minimal_ok);
  RUN (new_is_valid);
  RUN (full_disk_ok);
  RUN (errors_name_the_path);
  RUN (failed_last_stage_refused);
  RUN (stage_record);
  RUN (write_roundtrip);
  RUN (write_to_full_fails);
  RUN (plan_add);
  RUN (array_helpers);
  return test_done ();
}
