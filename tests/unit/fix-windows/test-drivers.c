/* h2k-fix-windows: the virtio-win folder for each Windows (drivers.c),
 * finding the driver in the fake virtio-win tree and ISO, and the
 * registry planning on a real SYSTEM hive from the corpus (registry.c):
 * plan, apply, commit, reopen, and a second plan is empty.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

/* "os1,os2 arch" for build B, SERVER, ARCH; "none" when nothing fits. */
static const char *
choice (int64_t b, int server, const char *arch)
{
  static char buf[128];
  const char *os[MAX_OS_FOLDERS + 1], *a;
  struct win_id w = { .build = b, .server = server, .arch = arch };

  if (win_os_folders (&w, os, &a) == -1)
    return "none";
  *buf = 0;
  for (size_t i = 0; os[i]; ++i)
    snprintf (buf + strlen (buf), sizeof buf - strlen (buf), "%s%s",
              i ? "," : "", os[i]);
  snprintf (buf + strlen (buf), sizeof buf - strlen (buf), " %s", a);
  return buf;
}

TEST (choice_table)
{
  CHECK_STR (choice (2600, 0, "i386"), "xp x86");
  CHECK_STR (choice (2600, 0, "x86_64"), "none");
  CHECK_STR (choice (3790, 1, "i386"), "2k3 x86");
  CHECK_STR (choice (3790, 0, "x86_64"), "2k3 amd64");   /* XP x64 */
  CHECK_STR (choice (6002, 1, "x86_64"), "2k8 amd64");
  CHECK_STR (choice (6002, 0, "i386"), "2k8 x86");       /* Vista */
  CHECK_STR (choice (7601, 0, "i386"), "w7 x86");
  CHECK_STR (choice (7600, 0, "x86_64"), "w7 amd64");
  CHECK_STR (choice (7601, 1, "x86_64"), "2k8r2 amd64");
  CHECK_STR (choice (9200, 0, "x86_64"), "w8 amd64");
  CHECK_STR (choice (9200, 1, "x86_64"), "2k12 amd64");
  CHECK_STR (choice (9600, 0, "i386"), "w8.1 x86");
  CHECK_STR (choice (9600, 1, "x86_64"), "2k12r2 amd64");
  CHECK_STR (choice (10240, 0, "x86_64"), "w10 amd64");
  CHECK_STR (choice (19045, 0, "i386"), "w10 x86");
  CHECK_STR (choice (19045, 0, "aarch64"), "w10 ARM64");
  CHECK_STR (choice (22000, 0, "x86_64"), "w11,w10 amd64");
  CHECK_STR (choice (26100, 0, "aarch64"), "w11,w10 ARM64");
  CHECK_STR (choice (14393, 1, "x86_64"), "2k16 amd64");
  CHECK_STR (choice (17763, 1, "x86_64"), "2k19,2k16 amd64");
  CHECK_STR (choice (19042, 1, "x86_64"), "2k19,2k16 amd64");
  CHECK_STR (choice (20348, 1, "x86_64"), "2k22,2k19,2k16 amd64");
  CHECK_STR (choice (25398, 1, "x86_64"), "2k22,2k19,2k16 amd64");
  CHECK_STR (choice (26100, 1, "x86_64"), "2k25,2k22,2k19,2k16 amd64");
  /* Nothing fits. */
  CHECK_STR (choice (7601, 0, "aarch64"), "none");
  CHECK_STR (choice (7601, 0, "ppc64"), "none");
  CHECK_STR (choice (7601, 0, NULL), "none");
  CHECK_STR (choice (0, 0, "x86_64"), "none");
  CHECK_STR (choice (1381, 1, "i386"), "none");           /* NT 4 */
  CHECK_STR (choice (8888, 0, "x86_64"), "none");
}

static const char *fake = "/var/tmp/h2k-test-images/virtio-win-fake";

/* "REL + content" of the driver found in SRC, or the error. */
static char *
found (const char *src, int64_t b, int server, const char *arch, const char *drv)
{
  struct win_id w = { .build = b, .server = server, .arch = arch };
  CLEANUP_UNLINK_FREE char *local = NULL;
  CLEANUP_FREE char *rel = NULL, *data = NULL;
  char *r;

  h2k_clear_error ();
  if (win_find_driver (src, &w, drv, &local, &rel) == -1) {
    r = strdup (h2k_first_error () ? h2k_first_error () : "?");
    h2k_clear_error ();
    return r;
  }
  data = h2k_read_file (local, 1 << 20, NULL);
  if (asprintf (&r, "%s: %s", rel, data ? h2k_trim (data) : "") == -1)
    exit (1);
  return r;
}

#define CHECK_FOUND(expr, want) do { char *s_ = (expr); CHECK_STR (s_, want); free (s_); } while (0)

TEST (find_in_tree_and_iso)
{
  CLEANUP_FREE char *tree = NULL, *iso = NULL, *err = NULL;

  if (asprintf (&tree, "%s/tree", fake) == -1 || asprintf (&iso, "%s/virtio-win.iso", fake) == -1)
    exit (1);
  if (access (iso, R_OK) != 0) {
    SKIP ("no %s (make -C tests/images virtio-win-fake)", iso);
    return;
  }
  for (int i = 0; i < 2; ++i) {
    const char *src = i ? iso : tree;
    CHECK_FOUND (found (src, 7601, 0, "i386", "viostor"),
                 "viostor/w7/x86/viostor.sys: fake virtio-win file viostor/w7/x86/viostor.sys");
    CHECK_FOUND (found (src, 7601, 1, "x86_64", "vioscsi"),
                 "vioscsi/2k8R2/amd64/vioscsi.sys: fake virtio-win file vioscsi/2k8R2/amd64/vioscsi.sys");
    CHECK_FOUND (found (src, 2600, 0, "i386", "viostor"),
                 "viostor/xp/x86/viostor.sys: fake virtio-win file viostor/xp/x86/viostor.sys");
  }
  if (asprintf (&err, "%s: --virtio-win: no vioscsi.sys for xp/x86 (nor its fallbacks) in it", tree) == -1)
    exit (1);
  CHECK_FOUND (found (tree, 2600, 0, "i386", "vioscsi"), err);
  CHECK_FOUND (found ("/nonexistent", 7601, 0, "i386", "viostor"),
               "/nonexistent: --virtio-win: No such file or directory");
  CHECK_FOUND (found ("/etc/hostname", 7601, 0, "i386", "viostor"),
               "/etc/hostname: --virtio-win: neither a directory nor a readable ISO: "
               "Unrecognized archive format");
  CHECK_FOUND (found (tree, 7601, 0, "aarch64", "viostor"),
               "<stdin>: /guest/windows: no virtio-win driver fits Windows build 7601 "
               "Client aarch64");
}

/* ---- registry planning on the corpus' Windows 7 SYSTEM hive */

static char tmpdir[] = "/tmp/h2k-test-fixwin.XXXXXX";

static char *
corpus_hive (void)
{
  const char *corpus = getenv ("H2K_CORPUS");
  CLEANUP_FREE char *src = NULL;
  char *dst = NULL;
  const char *argv[4] = { "xz", "-dc", NULL, NULL };
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  FILE *fp;

  if (corpus == NULL || *corpus == 0)
    corpus = "/work/shared/corpus";
  if (asprintf (&src, "%s/registry-hives/regipy/SYSTEM.xz", corpus) == -1 ||
      asprintf (&dst, "%s/SYSTEM", tmpdir) == -1)
    exit (1);
  if (access (src, R_OK) != 0) {
    free (dst);
    return NULL;
  }
  argv[2] = src;
  if (h2k_run_ok (argv, H2K_RUN_OUT, &res) == -1 || (fp = fopen (dst, "w")) == NULL ||
      fwrite (res.out, 1, res.out_len, fp) != res.out_len || fclose (fp) != 0)
    exit (1);
  return dst;
}

static size_t
plan_all (const char *path, char **csets, const char *drv, json_object **out)
{
  hive_h *h = hivex_open (path, 0);
  json_object *v = json_object_new_array ();

  if (h == NULL || reg_plan_service (h, csets, drv, v) == -1 ||
      reg_plan_cdd (h, csets, drv, v) == -1 || reg_plan_leftovers (h, csets, v) == -1)
    printf ("# planning failed: %s\n", h2k_first_error ());
  if (h)
    hivex_close (h);
  *out = v;
  return json_object_array_length (v);
}

static const char *
value_of (const char *path, const char *key, const char *name)
{
  static char buf[256];
  hive_h *h = hivex_open (path, 0);
  json_object *v = h ? reg_get (h, key, name) : NULL;

  snprintf (buf, sizeof buf, "%s", v ? json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN) : "null");
  json_object_put (v);
  if (h)
    hivex_close (h);
  return buf;
}

TEST (registry_plan_apply_replan)
{
  CLEANUP_FREE char *path = corpus_hive ();
  CLEANUP_FREE char *out = NULL;
  char *csets[] = { (char *) "ControlSet001", NULL };
  CLEANUP_JSON json_object *values = NULL, *again = NULL, *before = json_object_new_array ();
  hive_h *h;
  size_t n;

  if (path == NULL) {
    SKIP ("no corpus");
    return;
  }
  if (asprintf (&out, "%s.new", path) == -1)
    exit (1);
  n = plan_all (path, csets, "viostor", &values);
  /* 5 service values + 6 ids x 2 values, at least. */
  CHECK (n >= 17);
  CHECK_STR (json_object_get_string (json_object_array_get_idx (values, 0)),
             "{ \"key\": \"ControlSet001\\\\Services\\\\viostor\", \"name\": \"Type\", "
             "\"type\": \"dword\", \"value\": 1 }");
  h = hivex_open (path, HIVEX_OPEN_WRITE);
  CHECK (h != NULL);
  CHECK_INT (reg_apply (h, values, before), 0);
  CHECK_INT (json_object_array_length (before), n);
  CHECK (json_object_array_get_idx (before, 0) == NULL);    /* was absent */
  CHECK_INT (hivex_commit (h, out, 0), 0);
  hivex_close (h);
  CHECK_INT (plan_all (out, csets, "viostor", &again), 0);
  CHECK_STR (value_of (out, "ControlSet001\\Services\\viostor", "Start"),
             "{\"type\":\"dword\",\"value\":0}");
  CHECK_STR (value_of (out, "ControlSet001\\Services\\viostor", "ImagePath"),
             "{\"type\":\"expand_sz\",\"value\":\"system32\\\\drivers\\\\viostor.sys\"}");
  CHECK_STR (value_of (out, "ControlSet001\\Services\\VIOSTOR", "Group"),
             "{\"type\":\"sz\",\"value\":\"SCSI miniport\"}");
  CHECK_STR (value_of (out, "ControlSet001\\Control\\CriticalDeviceDatabase\\"
                       "pci#ven_1af4&dev_1042&subsys_11001af4&rev_01", "ClassGUID"),
             "{\"type\":\"sz\",\"value\":\"{4D36E97B-E325-11CE-BFC1-08002BE10318}\"}");
  CHECK_STR (value_of (out, "ControlSet001\\Control\\CriticalDeviceDatabase\\"
                       "PCI#VEN_1AF4&DEV_1001", "Service"),
             "{\"type\":\"sz\",\"value\":\"viostor\"}");
  /* vioscsi: its own service and its own PCI ids. */
  {
    CLEANUP_JSON json_object *scsi = NULL;
    size_t m = plan_all (out, csets, "vioscsi", &scsi);
    CHECK_INT (m, 5 + 12);
    CHECK_STR (h2k_json_get_string (json_object_array_get_idx (scsi, 5), "key"),
               "ControlSet001\\Control\\CriticalDeviceDatabase\\"
               "PCI#VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00");
    CHECK_STR (h2k_json_get_string (json_object_array_get_idx (scsi, 16), "key"),
               "ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1048");
    CHECK_STR (h2k_json_get_string (json_object_array_get_idx (scsi, 16), "value"),
               "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
  }
  unlink (out);
  unlink (path);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  RUN (choice_table);
  RUN (find_in_tree_and_iso);
  RUN (registry_plan_apply_replan);
  rmdir (tmpdir);
  return test_done ();
}
