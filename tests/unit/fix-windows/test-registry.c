/* h2k-fix-windows: registry planning on real hives written by Windows
 * (registry.c): the Windows 8+ DriverDatabase boot binding on the
 * corpus' Windows 10 VMware guest's SYSTEM hive, checked against the
 * shape Windows itself gives the VMware pvscsi package in that same hive;
 * the first-boot Setup registration and its refusal; StartOverride;
 * other hypervisors' drivers (and the class-filter exception); DevicePath
 * on a real SOFTWARE hive; every plan applied, committed, reopened and
 * planned again, which must give nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

static char tmpdir[] = "/tmp/h2k-test-fixwin-reg.XXXXXX";

/* The corpus file REL, decompressed with xz when XZ, copied to NAME in
 * tmpdir.  NULL when the corpus is not here.
 */
static char *
corpus_file (const char *rel, int xz, const char *name)
{
  const char *corpus = getenv ("H2K_CORPUS");
  CLEANUP_FREE char *src = NULL;
  char *dst = NULL;
  const char *argv[4] = { xz ? "xz" : "cat", xz ? "-dc" : "--", NULL, NULL };
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  FILE *fp;

  if (corpus == NULL || *corpus == 0)
    corpus = "/work/shared/corpus";
  if (asprintf (&src, "%s/registry-hives/%s", corpus, rel) == -1 ||
      asprintf (&dst, "%s/%s", tmpdir, name) == -1)
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

static const char *
value_of (const char *path, const char *key, const char *name)
{
  static char buf[512];
  hive_h *h = hivex_open (path, 0);
  json_object *v = h ? reg_get (h, key, name) : NULL;

  snprintf (buf, sizeof buf, "%s",
            v ? json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE)
              : "null");
  json_object_put (v);
  if (h)
    hivex_close (h);
  return buf;
}

/* Apply VALUES to the hive at PATH in place (commit to PATH). */
static int
apply_to (const char *path, json_object *values)
{
  hive_h *h = hivex_open (path, HIVEX_OPEN_WRITE);
  CLEANUP_JSON json_object *before = json_object_new_array ();
  int r;

  if (h == NULL)
    return -1;
  r = reg_apply (h, values, before) == -1 || hivex_commit (h, NULL, 0) == -1 ? -1 : 0;
  hivex_close (h);
  return r;
}

/* The viostor INF's facts, as inf.c gives them for a virtio-win w10 amd64
 * package.
 */
static struct inf_model models[] = {
  { (char *) "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", (char *) "rhelscsi_inst",
    (char *) "Red Hat VirtIO SCSI controller" },
  { (char *) "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", (char *) "rhelscsi_inst",
    (char *) "Red Hat VirtIO SCSI controller" },
};
static const struct inf_info viostor_inf = {
  .class_name = (char *) "SCSIAdapter",
  .class_guid = (char *) "{4D36E97B-E325-11CE-BFC1-08002BE10318}",
  .provider = (char *) "Red Hat, Inc.",
  .catalog = (char *) "viostor.cat",
  .models = models, .n_models = 2,
  .service = (char *) "viostor",
};

static size_t
plan_driverdb (const char *path, json_object **out)
{
  hive_h *h = hivex_open (path, 0);
  json_object *v = json_object_new_array ();

  if (h == NULL || reg_plan_driverdb (h, "viostor", "amd64", &viostor_inf,
                                      "C:\\h2k\\drivers\\viostor", v) == -1)
    printf ("# planning failed: %s\n", h2k_first_error ());
  if (h)
    hivex_close (h);
  *out = v;
  return json_object_array_length (v);
}

#define PKG "DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0000000000000000"

TEST (driverdb_binding_on_windows10)
{
  CLEANUP_FREE char *path = corpus_file ("regipy/SYSTEM_WIN_10_1709.xz", 1, "W10");
  CLEANUP_JSON json_object *values = NULL, *again = NULL, *clean = NULL;

  if (path == NULL) {
    SKIP ("no corpus");
    return;
  }
  /* What Windows wrote for VMware's boot storage driver in this hive:
   * the shape we follow.
   */
  CHECK_STR (value_of (path, "DriverDatabase\\DeviceIds\\PCI\\VEN_15AD&DEV_07C0", "oem4.inf"),
             "{\"type\":\"binary\",\"value\":\"01ff0000\"}");
  CHECK_STR (value_of (path, "DriverDatabase\\DriverInfFiles\\oem4.inf", "Active"),
             "{\"type\":\"sz\",\"value\":\"pvscsi.inf_amd64_b0d59727d712523f\"}");

  /* 2 DriverInfFiles + 5 package + 3 configuration + 2x3 descriptors +
   * 2 DeviceIds.
   */
  CHECK_INT (plan_driverdb (path, &values), 18);
  CHECK_INT (apply_to (path, values), 0);
  CHECK_INT (plan_driverdb (path, &again), 0);
  CHECK_STR (value_of (path, "DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
                       "h2k-viostor.inf"),
             "{\"type\":\"binary\",\"value\":\"01ff0000\"}");
  CHECK_STR (value_of (path, "DriverDatabase\\DriverInfFiles\\h2k-viostor.inf", ""),
             "{\"type\":\"multi_sz\",\"value\":[\"h2k-viostor.inf_amd64_0000000000000000\"]}");
  CHECK_STR (value_of (path, "DriverDatabase\\DriverInfFiles\\h2k-viostor.inf", "Active"),
             "{\"type\":\"sz\",\"value\":\"h2k-viostor.inf_amd64_0000000000000000\"}");
  CHECK_STR (value_of (path, PKG, ""), "{\"type\":\"sz\",\"value\":\"h2k-viostor.inf\"}");
  CHECK_STR (value_of (path, PKG, "InfName"), "{\"type\":\"sz\",\"value\":\"viostor.inf\"}");
  /* The class GUID in Windows' binary layout, as in pvscsi's Version;
   * date and version zero.
   */
  CHECK_STR (value_of (path, PKG, "Version"),
             "{\"type\":\"binary\",\"value\":\"00ff0900000000007be9364d25e3ce11bfc108002be10318"
             "000000000000000000000000000000000000000000000000\"}");
  CHECK_STR (value_of (path, PKG "\\Configurations\\rhelscsi_inst", "Service"),
             "{\"type\":\"sz\",\"value\":\"viostor\"}");
  CHECK_STR (value_of (path, PKG "\\Configurations\\rhelscsi_inst", "ConfigScope"),
             "{\"type\":\"dword\",\"value\":7}");
  CHECK_STR (value_of (path, PKG "\\Descriptors\\PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
                       "Configuration"),
             "{\"type\":\"sz\",\"value\":\"rhelscsi_inst\"}");
  /* Windows' own entries are untouched. */
  CHECK_STR (value_of (path, "DriverDatabase\\DriverInfFiles\\oem4.inf", "Active"),
             "{\"type\":\"sz\",\"value\":\"pvscsi.inf_amd64_b0d59727d712523f\"}");

  /* What the first boot deletes: our names only. */
  clean = reg_driverdb_cleanup ("viostor", "amd64", &viostor_inf);
  CHECK (clean != NULL);
  CHECK_INT (json_object_array_length (clean), 4);
  CHECK_STR (json_object_to_json_string_ext (clean, JSON_C_TO_STRING_PLAIN),
             "[{\"key\":\"SYSTEM\\\\DriverDatabase\\\\DeviceIds\\\\PCI\\\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\","
             "\"name\":\"h2k-viostor.inf\"},"
             "{\"key\":\"SYSTEM\\\\DriverDatabase\\\\DeviceIds\\\\PCI\\\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\","
             "\"name\":\"h2k-viostor.inf\"},"
             "{\"key\":\"SYSTEM\\\\DriverDatabase\\\\DriverInfFiles\\\\h2k-viostor.inf\"},"
             "{\"key\":\"SYSTEM\\\\DriverDatabase\\\\DriverPackages\\\\h2k-viostor.inf_amd64_0000000000000000\"}]");
  unlink (path);
}

/* A values list of one {key, name, type, value} (VALUE owned). */
static json_object *
one_value (const char *key, const char *name, const char *type, json_object *value)
{
  json_object *a = json_object_new_array (), *o = json_object_new_object ();

  json_object_array_add (a, o);
  h2k_json_set_string (o, "key", key);
  h2k_json_set_string (o, "name", name);
  h2k_json_set_string (o, "type", type);
  h2k_json_set (o, "value", value);
  return a;
}

static size_t
plan_with (const char *path, int (*fn) (hive_h *, json_object *), json_object **out)
{
  hive_h *h = hivex_open (path, 0);
  json_object *v = json_object_new_array ();

  if (h == NULL || fn (h, v) == -1) {
    json_object_put (v);
    v = NULL;
  }
  if (h)
    hivex_close (h);
  *out = v;
  return v ? json_object_array_length (v) : (size_t) -1;
}

static char *cs1[] = { (char *) "ControlSet001", NULL };
#define CMD "C:\\Windows\\System32\\cmd.exe /c C:\\h2k\\firstboot\\firstboot.cmd"

static int setup_fn (hive_h *h, json_object *v) { return reg_plan_setup (h, CMD, v); }
static int leftovers_fn (hive_h *h, json_object *v) { return reg_plan_leftovers (h, cs1, v); }
static int override_fn (hive_h *h, json_object *v)
{
  return reg_plan_start_override (h, cs1, "viostor", v);
}
static int ahci_fn (hive_h *h, json_object *v) { return reg_plan_ahci (h, cs1, 16299, v); }

TEST (setup_leftovers_override_ahci)
{
  CLEANUP_FREE char *path = corpus_file ("regipy/SYSTEM_WIN_10_1709.xz", 1, "W10b");
  CLEANUP_JSON json_object *v = NULL, *w = NULL, *pend = NULL;

  if (path == NULL) {
    SKIP ("no corpus");
    return;
  }
  /* Setup: CmdLine and SetupType 2, once. */
  CHECK_INT (plan_with (path, setup_fn, &v), 2);
  CHECK_INT (apply_to (path, v), 0);
  CHECK_STR (value_of (path, "Setup", "SetupType"), "{\"type\":\"dword\",\"value\":2}");
  CHECK_STR (value_of (path, "Setup", "CmdLine"),
             "{\"type\":\"sz\",\"value\":\"" "C:\\\\Windows\\\\System32\\\\cmd.exe /c "
             "C:\\\\h2k\\\\firstboot\\\\firstboot.cmd\"}");
  json_object_put (v);
  CHECK_INT (plan_with (path, setup_fn, &v), 0);
  /* Someone else's setup pending: refused. */
  json_object_put (v);
  v = one_value ("Setup", "CmdLine", "sz", json_object_new_string ("oobe\\windeploy.exe"));
  CHECK_INT (apply_to (path, v), 0);
  CHECK_INT (plan_with (path, setup_fn, &pend), (size_t) -1);
  CHECK (strstr (h2k_first_error (), "Setup\\SetupType: 2 (CmdLine \"oobe\\windeploy.exe\"): "
                 "Windows setup is pending") != NULL);

  /* VMware's drivers in this real hive get Start=4. */
  json_object_put (v);
  CHECK (plan_with (path, leftovers_fn, &v) >= 5);
  CHECK_STR (json_object_to_json_string_ext (json_object_array_get_idx (v, 0), JSON_C_TO_STRING_PLAIN),
             "{\"key\":\"ControlSet001\\\\Services\\\\vmxnet3ndis6\",\"name\":\"Start\","
             "\"type\":\"dword\",\"value\":4}");
  CHECK_INT (apply_to (path, v), 0);
  json_object_put (v);
  CHECK_INT (plan_with (path, leftovers_fn, &v), 0);

  /* StartOverride values of our driver are deleted, and only those. */
  json_object_put (v);
  v = one_value ("ControlSet001\\Services\\viostor\\StartOverride", "0", "dword",
                 json_object_new_int (3));
  CHECK_INT (apply_to (path, v), 0);
  CHECK_INT (plan_with (path, override_fn, &w), 1);
  CHECK_STR (json_object_to_json_string_ext (json_object_array_get_idx (w, 0), JSON_C_TO_STRING_PLAIN),
             "{\"key\":\"ControlSet001\\\\Services\\\\viostor\\\\StartOverride\",\"name\":\"0\","
             "\"type\":\"delete\"}");
  CHECK_INT (apply_to (path, w), 0);
  CHECK_STR (value_of (path, "ControlSet001\\Services\\viostor\\StartOverride", "0"), "null");
  json_object_put (w);
  CHECK_INT (plan_with (path, override_fn, &w), 0);

  /* Two-phase: the inbox AHCI driver boot-start (this guest never booted
   * from AHCI: demand-start, as VMware guests on LSI or PVSCSI have it).
   */
  json_object_put (w);
  w = one_value ("ControlSet001\\Services\\storahci", "Start", "dword", json_object_new_int (3));
  CHECK_INT (apply_to (path, w), 0);
  json_object_put (w);
  CHECK_INT (plan_with (path, ahci_fn, &w), 1);
  CHECK_STR (h2k_json_get_string (json_object_array_get_idx (w, 0), "key"),
             "ControlSet001\\Services\\storahci");
  CHECK_INT (apply_to (path, w), 0);
  CHECK_STR (value_of (path, "ControlSet001\\Services\\storahci", "Start"),
             "{\"type\":\"dword\",\"value\":0}");
  unlink (path);
}

TEST (class_filter_left_enabled)
{
  CLEANUP_FREE char *path = corpus_file ("regipy/SYSTEM_WIN_10_1709.xz", 1, "W10c");
  CLEANUP_JSON json_object *v = json_object_new_array (), *w = NULL;
  json_object *o, *a;

  if (path == NULL) {
    SKIP ("no corpus");
    return;
  }
  /* A Xen filter listed by the System class, and xenbus not listed. */
  a = json_object_new_array ();
  json_object_array_add (a, json_object_new_string ("xenfilt"));
  o = json_object_new_object ();
  json_object_array_add (v, o);
  h2k_json_set_string (o, "key", "ControlSet001\\Control\\Class\\{4D36E97D-E325-11CE-BFC1-08002BE10318}");
  h2k_json_set_string (o, "name", "UpperFilters");
  h2k_json_set_string (o, "type", "multi_sz");
  h2k_json_set (o, "value", a);
  for (int i = 0; i < 2; ++i) {
    o = json_object_new_object ();
    json_object_array_add (v, o);
    h2k_json_set_string (o, "key", i ? "ControlSet001\\Services\\xenbus"
                                     : "ControlSet001\\Services\\xenfilt");
    h2k_json_set_string (o, "name", "Start");
    h2k_json_set_string (o, "type", "dword");
    h2k_json_set_int (o, "value", 0);
  }
  CHECK_INT (apply_to (path, v), 0);
  CHECK_STR (value_of (path, "ControlSet001\\Control\\Class\\{4D36E97D-E325-11CE-BFC1-08002BE10318}",
                       "UpperFilters"),
             "{\"type\":\"multi_sz\",\"value\":[\"xenfilt\"]}");
  plan_with (path, leftovers_fn, &w);
  CHECK (w != NULL);
  CHECK (strstr (json_object_to_json_string (w), "xenbus") != NULL);
  CHECK (strstr (json_object_to_json_string (w), "xenfilt") == NULL);
  unlink (path);
}

static int
device_path_fn (hive_h *h, json_object *v)
{
  char *dirs[] = { (char *) "C:\\h2k\\drivers\\viostor", (char *) "C:\\h2k\\drivers\\netkvm", NULL };
  return reg_plan_device_path (h, dirs, v);
}

TEST (device_path_on_a_real_software_hive)
{
  CLEANUP_FREE char *path = corpus_file ("aiowinreg-nt4/software.reg", 0, "SOFTWARE");
  CLEANUP_JSON json_object *v = NULL, *w = NULL;

  if (path == NULL) {
    SKIP ("no corpus");
    return;
  }
  CHECK_STR (value_of (path, "Microsoft\\Windows\\CurrentVersion", "DevicePath"),
             "{\"type\":\"expand_sz\",\"value\":\"%SystemRoot%\\\\inf\"}");
  CHECK_INT (plan_with (path, device_path_fn, &v), 1);
  CHECK_INT (apply_to (path, v), 0);
  CHECK_STR (value_of (path, "Microsoft\\Windows\\CurrentVersion", "DevicePath"),
             "{\"type\":\"expand_sz\",\"value\":\"%SystemRoot%\\\\inf;"
             "C:\\\\h2k\\\\drivers\\\\viostor;C:\\\\h2k\\\\drivers\\\\netkvm\"}");
  CHECK_INT (plan_with (path, device_path_fn, &w), 0);
  unlink (path);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  RUN (driverdb_binding_on_windows10);
  RUN (setup_leftovers_override_ahci);
  RUN (class_filter_left_enabled);
  RUN (device_path_on_a_real_software_hive);
  rmdir (tmpdir);
  return test_done ();
}
