/* h2k-validate: the Windows checks (windows-hive.c), the Setup key and
 * the beacon script (windows-setup.c), and ipconfig (windows-ipconfig.c)
 * on the corpus' real hives: the Windows 7 SYSTEM hive (no virtio driver)
 * must fail; copies with the driver merged in by hivexregedit --merge
 * must pass, and each kind of damage must fail with its own line.
 *
 * The hives are xz-compressed in the corpus ($H2K_CORPUS, else
 * ../shared/corpus): each is decompressed once into a private temporary
 * directory.  Without the corpus or hivexregedit the hive tests are
 * skipped (TAP "# SKIP").
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"
#include "../../../tools/h2k-validate/windows.h"

#define SCSI_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
#define DISK_GUID "{4D36E967-E325-11CE-BFC1-08002BE10318}"
#define P "HKEY_LOCAL_MACHINE\\SYSTEM\\"

static char tmpdir[] = "/tmp/h2k-test-validate-windows.XXXXXX";
static char *win7, *win10;     /* decompressed corpus hives */
static int have_hives;
static int copies;

/* Decompress the corpus file REL (.xz) into the temporary directory. */
static char *
unxz (const char *rel)
{
  const char *corpus = getenv ("H2K_CORPUS");
  CLEANUP_FREE char *src = NULL;
  char *dst;
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  FILE *fp;

  if (asprintf (&src, "%s/%s", corpus ? corpus : SRCDIR "/../shared/corpus", rel) == -1 ||
      asprintf (&dst, "%s/%s", tmpdir, strrchr (rel, '/') + 1) == -1)
    exit (1);
  dst[strlen (dst) - 3] = '\0';
  if (access (src, R_OK) != 0) {
    free (dst);
    return NULL;
  }
  {
    const char *argv[] = { "xz", "-dc", src, NULL };
    if (h2k_run_ok (argv, H2K_RUN_OUT, &res) == -1 || (fp = fopen (dst, "w")) == NULL)
      exit (1);
  }
  if (fwrite (res.out, 1, res.out_len, fp) != res.out_len || fclose (fp) != 0)
    exit (1);
  return dst;
}

/* A fresh copy of HIVE with the .reg text REG merged in (NULL: none). */
static char *
hive_with (const char *hive, const char *reg)
{
  char *copy, *regfile;
  CLEANUP_RUN_RESULT struct h2k_run_result r1 = { 0 };
  CLEANUP_RUN_RESULT struct h2k_run_result r2 = { 0 };
  FILE *fp;
  int n = ++copies;

  if (asprintf (&copy, "%s/hive-%d", tmpdir, n) == -1 ||
      asprintf (&regfile, "%s/hive-%d.reg", tmpdir, n) == -1)
    exit (1);
  {
    const char *argv[] = { "cp", hive, copy, NULL };
    if (h2k_run_ok (argv, 0, &r1) == -1)
      exit (1);
  }
  if (reg) {
    const char *argv[] = {
      "hivexregedit", "--merge", "--prefix", "HKEY_LOCAL_MACHINE\\SYSTEM",
      copy, regfile, NULL
    };
    if ((fp = fopen (regfile, "w")) == NULL ||
        fprintf (fp, "Windows Registry Editor Version 5.00\n\n%s", reg) < 0 ||
        fclose (fp) != 0 || h2k_run_ok (argv, 0, &r2) == -1) {
      printf ("# hivexregedit --merge failed:\n%s\n", reg);
      exit (1);
    }
  }
  unlink (regfile);
  free (regfile);
  return copy;
}

/* .reg pieces --------------------------------------------------------------- */

static char *
cat (const char *a, const char *b)
{
  char *s;
  if (asprintf (&s, "%s%s", a ? a : "", b ? b : "") == -1)
    exit (1);
  return s;
}

/* Services\DRV in control set CS (1, 2), with START, TYPE and an extra
 * value line (or "").
 */
static char *
service (int cs, const char *drv, int type, int start, const char *extra)
{
  char *s;
  if (asprintf (&s, "[" P "ControlSet%03d\\Services\\%s]\n"
                "\"Type\"=dword:%08x\n\"Start\"=dword:%08x\n"
                "\"ErrorControl\"=dword:00000001\n\"Group\"=\"SCSI miniport\"\n"
                "\"ImagePath\"=\"system32\\\\drivers\\\\%s.sys\"\n%s\n",
                cs, drv, type, start, drv, extra) == -1)
    exit (1);
  return s;
}

static char *
cdd (int cs, const char *id, const char *svc, const char *guid)
{
  char *s;
  if (asprintf (&s, "[" P "ControlSet%03d\\Control\\CriticalDeviceDatabase\\%s]\n"
                "\"Service\"=\"%s\"\n\"ClassGUID\"=\"%s\"\n\n", cs, id, svc, guid) == -1)
    exit (1);
  return s;
}

#define ID_LEGACY "pci#ven_1af4&dev_1001&subsys_00021af4&rev_00"

/* The Windows 7 hive with viostor and its CDD entries in both sets. */
static char *
win7_fixed_reg (void)
{
  CLEANUP_FREE char *a = service (1, "viostor", 1, 0, "");
  CLEANUP_FREE char *b = service (2, "viostor", 1, 0, "");
  CLEANUP_FREE char *c = cdd (1, ID_LEGACY, "viostor", SCSI_GUID);
  CLEANUP_FREE char *d = cdd (2, ID_LEGACY, "viostor", SCSI_GUID);
  CLEANUP_FREE char *ab = cat (a, b), *cd = cat (c, d);
  return cat (ab, cd);
}

/* Checking ------------------------------------------------------------------- */

static const char *missing_file;        /* the file file_exists denies */

static int
fake_exists (void *opaque, const char *path)
{
  (void) opaque;
  return missing_file == NULL || strcasecmp (path, missing_file) != 0;
}

static json_object *
check (const char *hive, const char *drv, int64_t build)
{
  hive_h *h = hivex_open (hive, 0);
  struct win_check c = { .drv = drv, .build = build, .system_root = "/Windows",
                         .file_exists = fake_exists };
  json_object *o;

  if (h == NULL)
    exit (1);
  o = win_check_storage (h, &c);
  hivex_close (h);
  if (o == NULL)
    exit (1);
  return o;
}

static size_t
n_errors (json_object *o)
{
  return json_object_array_length (h2k_json_get_array (o, "errors"));
}

/* Is there an error line holding every one of FRAG1 and FRAG2 (or NULL)? */
static int
has_error (json_object *o, const char *frag1, const char *frag2)
{
  json_object *e = h2k_json_get_array (o, "errors");

  for (size_t i = 0; i < json_object_array_length (e); ++i) {
    const char *s = json_object_get_string (json_object_array_get_idx (e, i));
    if (strstr (s, frag1) && (frag2 == NULL || strstr (s, frag2)))
      return 1;
  }
  printf ("# no error with \"%s\"%s%s in %s\n", frag1, frag2 ? " and " : "",
          frag2 ? frag2 : "", json_object_to_json_string (e));
  return 0;
}

/* Check a copy of HIVE with REG merged in. */
static json_object *
check_reg (const char *hive, const char *reg, const char *drv, int64_t build)
{
  CLEANUP_FREE char *copy = hive_with (hive, reg);
  json_object *o = check (copy, drv, build);

  unlink (copy);
  return o;
}

#define SKIP_WITHOUT_HIVES                                  \
  do {                                                      \
    if (!have_hives) {                                      \
      SKIP ("no corpus hives or hivexregedit");  \
      return;                                               \
    }                                                       \
  } while (0)

/* Tests: pure functions ---------------------------------------------------- */

TEST (storage_driver)
{
  CHECK_STR (win_storage_driver ("virtio-blk"), "viostor");
  CHECK_STR (win_storage_driver ("virtio-scsi"), "vioscsi");
  CHECK (win_storage_driver ("sata") == NULL);
}

TEST (image_path)
{
  static const char *const cases[][2] = {
    { "system32\\DRIVERS\\viostor.sys", "/Windows/system32/DRIVERS/viostor.sys" },
    { "System32\\drivers\\viostor.sys", "/Windows/System32/drivers/viostor.sys" },
    { "\\SystemRoot\\System32\\drivers\\viostor.sys", "/Windows/System32/drivers/viostor.sys" },
    { "\\systemroot\\system32\\drivers\\x.sys", "/Windows/system32/drivers/x.sys" },
    { "%SystemRoot%\\system32\\drivers\\x.sys", "/Windows/system32/drivers/x.sys" },
    { "\\??\\C:\\Windows\\system32\\drivers\\x.sys", "/Windows/system32/drivers/x.sys" },
    { "C:\\Drivers\\x.sys", "/Drivers/x.sys" },
    { "\\Drivers\\x.sys", "/Drivers/x.sys" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    CLEANUP_FREE char *p = win_image_path_to_guest (cases[i][0], "/Windows");
    CHECK_STR (p, cases[i][1]);
  }
}

TEST (beacon_script)
{
  const char *tok = "0123456789abcdef0123456789abcdef";
  CLEANUP_FREE char *step = win_beacon_script (tok, 60, 0, "C:\\h2k\\firstboot");
  CLEANUP_FREE char *own = win_beacon_script (tok, 0, 1, "C:\\h2k\\validate");

  CHECK (step && own);
  if (!step || !own)
    return;
  /* ASCII, every line ending in CRLF. */
  for (const char *p = step; *p; ++p) {
    CHECK ((unsigned char) *p < 0x80);
    if (*p == '\n' && (p == step || p[-1] != '\r')) {
      CHECK (!"a bare LF");
      break;
    }
  }
  CHECK (step[strlen (step) - 1] == '\n' && step[strlen (step) - 2] == '\r');
  CHECK (strstr (step, "mode COM1: BAUD=115200 PARITY=N DATA=8 STOP=1") != NULL);
  CHECK (strstr (step, "set T=0123456789abcdef0123456789abcdef\r\n") != NULL);
  CHECK (strstr (step, "set W=60\r\n") != NULL);
  CHECK (strstr (step, "set O=C:\\h2k\\firstboot\\beacon.txt\r\n") != NULL);
  CHECK (strstr (step, "echo H2K-BEACON %T% BEGIN waited=%I% format=ipconfig") != NULL);
  CHECK (strstr (step, "for /f \"delims=\" %%L in ('ipconfig /all') do >> \"%O%\" echo H2K-BEACON %T% ^| %%L\r\n") != NULL);
  CHECK (strstr (step, "echo H2K-BEACON %T% END") != NULL);
  CHECK (strstr (step, "type \"%O%\" > COM1\r\n") != NULL);
  CHECK (strstr (step, "exit /b 0\r\n") != NULL);
  /* Only the own script clears Setup. */
  CHECK (strstr (step, "SetupType") == NULL);
  CHECK (strstr (own, "reg add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f") != NULL);
  CHECK (strstr (own, "reg add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f") != NULL);
  CHECK (strstr (own, "set W=0\r\n") != NULL);
}

/* What the script prints, read back as the watch loop does. */
TEST (ipconfig_beacon)
{
  static const char *const console[] = {
    "H2K-BEACON 0123456789abcdef0123456789abcdef BEGIN waited=3 format=ipconfig",
    "H2K-BEACON 0123456789abcdef0123456789abcdef | Windows IP Configuration",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Host Name . . . . . . . . . . . . : h2k-win7",
    "H2K-BEACON 0123456789abcdef0123456789abcdef | Ethernet adapter Local Area Connection 2:",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Description . . . . . . . . . . . : Red Hat VirtIO Ethernet Adapter",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Physical Address. . . . . . . . . : 52-54-00-12-34-56",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Link-local IPv6 Address . . . . . : fe80::5054:ff:fe12:3456%11(Preferred)",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    IPv4 Address. . . . . . . . . . . : 192.168.122.50(Preferred)",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Subnet Mask . . . . . . . . . . . : 255.255.255.0",
    "some other console output",
    "H2K-BEACON 0123456789abcdef0123456789abcdef | Tunnel adapter isatap.{698E50A9}:",
    "H2K-BEACON 0123456789abcdef0123456789abcdef |    Media State . . . . . . . . . . . : Media disconnected",
    "H2K-BEACON 0123456789abcdef0123456789abcdef END",
  };
  struct beacon b;
  CLEANUP_JSON json_object *rep = NULL;
  json_object *a0, *a1;

  beacon_init (&b, "0123456789abcdef0123456789abcdef");
  for (size_t i = 0; i < sizeof console / sizeof console[0]; ++i)
    beacon_feed_line (&b, console[i]);
  CHECK_INT (b.state, BEACON_ENDED);
  CHECK_INT (b.waited, 3);
  CHECK_STR (b.format, "ipconfig");
  rep = beacon_reported (&b);
  CHECK_INT (json_object_array_length (rep), 2);
  a0 = json_object_array_get_idx (rep, 0);
  a1 = json_object_array_get_idx (rep, 1);
  CHECK_STR (h2k_json_get_string (a0, "name"), "Local Area Connection 2");
  CHECK_STR (h2k_json_get_string (a0, "state"), "UP");
  CHECK_STR (h2k_json_get_string (a0, "mac"), "52:54:00:12:34:56");
  CHECK_STR (json_object_to_json_string_ext (h2k_json_get (a0, "addresses"), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
             "[\"fe80::5054:ff:fe12:3456\",\"192.168.122.50/24\"]");
  CHECK_STR (h2k_json_get_string (a1, "name"), "isatap.{698E50A9}");
  CHECK_STR (h2k_json_get_string (a1, "state"), "DOWN");
  beacon_free (&b);
}

/* Tests: the hives --------------------------------------------------------- */

TEST (win7_corpus_fails)
{
  CLEANUP_JSON json_object *o = NULL;

  SKIP_WITHOUT_HIVES;
  o = check (win7, "viostor", 7601);
  CHECK_STR (h2k_json_get_string (o, "binding"), "critical-device-database");
  /* Select: Current=Default=1, LastKnownGood=2: both sets. */
  CHECK_INT (json_object_array_length (h2k_json_get_array (o, "control_sets")), 2);
  CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\viostor: missing", "INACCESSIBLE_BOOT_DEVICE"));
  CHECK (has_error (o, "SYSTEM\\ControlSet002\\Services\\viostor: missing", NULL));
  CHECK (has_error (o, "SYSTEM\\ControlSet001\\Control\\CriticalDeviceDatabase: no entry for the virtio-blk PCI ids", NULL));
  CHECK_INT (n_errors (o), 4);
  /* vioscsi: the same, with its own ids. */
  json_object_put (o);
  o = check (win7, "vioscsi", 7601);
  CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\vioscsi: missing", NULL));
  CHECK (has_error (o, "virtio-scsi PCI ids (pci#VEN_1AF4&DEV_1004", NULL));
}

TEST (win7_fixed_passes)
{
  CLEANUP_FREE char *reg = NULL;
  CLEANUP_JSON json_object *o = NULL;
  json_object *cs0;

  SKIP_WITHOUT_HIVES;
  reg = win7_fixed_reg ();
  o = check_reg (win7, reg, "viostor", 7601);
  CHECK_INT (n_errors (o), 0);
  if (n_errors (o))
    printf ("# %s\n", json_object_to_json_string (o));
  cs0 = json_object_array_get_idx (h2k_json_get_array (o, "control_sets"), 0);
  CHECK_STR (h2k_json_get_string (cs0, "name"), "ControlSet001");
  CHECK_STR (h2k_json_get_string (cs0, "status"), "ok");
  CHECK_STR (json_object_to_json_string (h2k_json_get (cs0, "selected_as")),
             "[ \"current\", \"default\" ]");
  CHECK_INT (h2k_json_get_int (h2k_json_get_object (cs0, "service"), "start", -1), 0);
  CHECK_STR (h2k_json_get_string (h2k_json_get_object (cs0, "service"), "file"),
             "/Windows/system32/drivers/viostor.sys");
  CHECK_STR (h2k_json_get_string (h2k_json_get_object (cs0, "critical_device"), "key"),
             "ControlSet001\\Control\\CriticalDeviceDatabase\\" ID_LEGACY);
}

TEST (win7_failure_classes)
{
  CLEANUP_FREE char *s1 = service (1, "viostor", 1, 0, "");
  CLEANUP_FREE char *s2 = service (2, "viostor", 1, 0, "");
  CLEANUP_FREE char *c1 = cdd (1, ID_LEGACY, "viostor", SCSI_GUID);
  CLEANUP_FREE char *c2 = cdd (2, ID_LEGACY, "viostor", SCSI_GUID);
  CLEANUP_FREE char *cdds = cat (c1, c2);
  json_object *o;

  SKIP_WITHOUT_HIVES;

  /* The service missing in the LastKnownGood set only. */
  {
    CLEANUP_FREE char *reg = cat (s1, cdds);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet002\\Services\\viostor: missing", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* Start=3 (demand). */
  {
    CLEANUP_FREE char *s = service (2, "viostor", 1, 3, "");
    CLEANUP_FREE char *a = cat (s1, s), *reg = cat (a, cdds);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet002\\Services\\viostor\\Start: 3, expected 0 (boot start)", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* Type=2 (a file system driver). */
  {
    CLEANUP_FREE char *s = service (1, "viostor", 2, 0, "");
    CLEANUP_FREE char *a = cat (s, s2), *reg = cat (a, cdds);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\viostor\\Type: 2, expected 1", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* StartOverride\0 = 3 demotes it; 0 does not. */
  {
    CLEANUP_FREE char *so = NULL;
    CLEANUP_FREE char *a = NULL, *reg = NULL;
    if (asprintf (&so, "[" P "ControlSet001\\Services\\viostor\\StartOverride]\n"
                  "\"0\"=dword:00000003\n\"1\"=dword:00000000\n\n") == -1)
      exit (1);
    a = cat (s1, so);
    free (so);
    so = cat (a, s2);
    reg = cat (so, cdds);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\viostor\\StartOverride\\0: 3 demotes the boot driver", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* No binding. */
  {
    CLEANUP_FREE char *reg = cat (s1, s2);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet001\\Control\\CriticalDeviceDatabase: no entry", NULL));
    CHECK (has_error (o, "SYSTEM\\ControlSet002\\Control\\CriticalDeviceDatabase: no entry", NULL));
    CHECK_INT (n_errors (o), 2);
    json_object_put (o);
  }
  /* The DiskDrive class GUID instead of SCSIAdapter. */
  {
    CLEANUP_FREE char *bad = cdd (2, ID_LEGACY, "viostor", DISK_GUID);
    CLEANUP_FREE char *a = cat (s1, s2), *b = cat (a, c1), *reg = cat (b, bad);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "SYSTEM\\ControlSet002\\Control\\CriticalDeviceDatabase\\" ID_LEGACY "\\ClassGUID: " DISK_GUID ", expected " SCSI_GUID, NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* The most specific id names another service: Windows takes it, even
   * with a right entry for a less specific id.
   */
  {
    CLEANUP_FREE char *bad = cdd (1, ID_LEGACY, "pvscsi", SCSI_GUID);
    CLEANUP_FREE char *good = cdd (1, "pci#ven_1af4&dev_1001", "viostor", SCSI_GUID);
    CLEANUP_FREE char *a = cat (s1, s2), *b = cat (a, bad), *c = cat (b, good);
    CLEANUP_FREE char *reg = cat (c, c2);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK (has_error (o, "ControlSet001\\Control\\CriticalDeviceDatabase\\" ID_LEGACY "\\Service: \"pvscsi\", expected viostor", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* Only the modern device's id: enough. */
  {
    CLEANUP_FREE char *m1 = cdd (1, "PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", "viostor", SCSI_GUID);
    CLEANUP_FREE char *m2 = cdd (2, "pci#ven_1af4&dev_1042", "viostor", SCSI_GUID);
    CLEANUP_FREE char *a = cat (s1, s2), *b = cat (a, m1), *reg = cat (b, m2);
    o = check_reg (win7, reg, "viostor", 7601);
    CHECK_INT (n_errors (o), 0);
    json_object_put (o);
  }
  /* The driver file is not in the guest. */
  {
    CLEANUP_FREE char *a = cat (s1, s2), *reg = cat (a, cdds);
    missing_file = "/Windows/system32/drivers/viostor.sys";
    o = check_reg (win7, reg, "viostor", 7601);
    missing_file = NULL;
    CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\viostor\\ImagePath: system32\\drivers\\viostor.sys: /Windows/system32/drivers/viostor.sys does not exist in the guest", NULL));
    CHECK_INT (n_errors (o), 2);
    json_object_put (o);
  }
}

/* Windows 10: the DriverDatabase, as Windows writes it (see the corpus
 * hive's DeviceIds\PCI\VEN_15AD&DEV_07C0 and the vmci package).
 */
#define PKG "viostor.inf_amd64_0123456789abcdef"
#define HWID "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"

static char *
dd_reg (const char *service_name, const char *descriptor_cfg)
{
  char *s;
  if (asprintf (&s,
                "[" P "DriverDatabase\\DeviceIds\\PCI\\" HWID "]\n"
                "\"oem9.inf\"=hex:01,ff,00,00\n\n"
                "[" P "DriverDatabase\\DriverInfFiles\\oem9.inf]\n"
                "\"Active\"=\"" PKG "\"\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "]\n"
                "\"InfName\"=\"viostor.inf\"\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "\\Configurations]\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "\\Configurations\\rhelscsi_inst]\n"
                "\"Service\"=\"%s\"\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "\\Descriptors]\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "\\Descriptors\\PCI]\n\n"
                "[" P "DriverDatabase\\DriverPackages\\" PKG "\\Descriptors\\PCI\\" HWID "]\n"
                "\"Configuration\"=\"%s\"\n\n", service_name, descriptor_cfg) == -1)
    exit (1);
  return s;
}

TEST (win10_driver_database)
{
  CLEANUP_FREE char *s1 = service (1, "viostor", 1, 0, "");
  json_object *o, *db;

  SKIP_WITHOUT_HIVES;
  /* The corpus hive: no viostor, nothing bound. */
  o = check (win10, "viostor", 16299);
  CHECK_STR (h2k_json_get_string (o, "binding"), "driver-database");
  CHECK_INT (json_object_array_length (h2k_json_get_array (o, "control_sets")), 1);
  CHECK (has_error (o, "SYSTEM\\ControlSet001\\Services\\viostor: missing", NULL));
  CHECK (has_error (o, "SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\" HWID ": missing", NULL));
  CHECK (strstr (json_object_to_json_string (o), "CriticalDeviceDatabase") == NULL);
  CHECK_INT (n_errors (o), 2);
  json_object_put (o);
  /* Service and package: passes, the chain recorded. */
  {
    CLEANUP_FREE char *d = dd_reg ("viostor", "rhelscsi_inst"), *reg = cat (s1, d);
    o = check_reg (win10, reg, "viostor", 16299);
    CHECK_INT (n_errors (o), 0);
    db = h2k_json_get_object (o, "driver_database");
    CHECK_STR (h2k_json_get_string (db, "inf"), "oem9.inf");
    CHECK_STR (h2k_json_get_string (db, "package"), PKG);
    CHECK_STR (h2k_json_get_string (db, "configuration"), "rhelscsi_inst");
    CHECK_STR (h2k_json_get_string (db, "device_id"), "DeviceIds\\PCI\\" HWID);
    json_object_put (o);
  }
  /* The configuration installs another service. */
  {
    CLEANUP_FREE char *d = dd_reg ("vioscsi", "rhelscsi_inst"), *reg = cat (s1, d);
    o = check_reg (win10, reg, "viostor", 16299);
    CHECK (has_error (o, "SYSTEM\\DriverDatabase\\DriverPackages\\" PKG "\\Configurations\\rhelscsi_inst\\Service: \"vioscsi\", expected Service viostor", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* The descriptor names a configuration the package lacks. */
  {
    CLEANUP_FREE char *d = dd_reg ("viostor", "other_inst"), *reg = cat (s1, d);
    o = check_reg (win10, reg, "viostor", 16299);
    CHECK (has_error (o, "SYSTEM\\DriverDatabase\\DriverPackages\\" PKG "\\Configurations\\other_inst: missing, expected Service viostor", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
  /* The INF is bound but not installed (no Active package). */
  {
    CLEANUP_FREE char *reg = NULL;
    if (asprintf (&reg, "%s[" P "DriverDatabase\\DeviceIds\\PCI\\" HWID "]\n"
                  "\"oem9.inf\"=hex:01,ff,00,00\n\n", s1) == -1)
      exit (1);
    o = check_reg (win10, reg, "viostor", 16299);
    CHECK (has_error (o, "SYSTEM\\DriverDatabase\\DriverInfFiles\\oem9.inf: missing: the package bound to PCI\\" HWID " is not installed", NULL));
    CHECK_INT (n_errors (o), 1);
    json_object_put (o);
  }
}

TEST (setup_key)
{
  CLEANUP_FREE char *copy = NULL, *runner = NULL;
  CLEANUP_JSON json_object *st = NULL, *st2 = NULL, *st3 = NULL;
  hive_h *h;

  SKIP_WITHOUT_HIVES;
  copy = hive_with (win7, NULL);
  h = hivex_open (copy, HIVEX_OPEN_WRITE);
  CHECK (h != NULL);
  if (h == NULL)
    return;
  st = win_setup_state (h);
  CHECK (h2k_json_get_bool (st, "runner", 1) == 0);
  CHECK (win_setup_register (h, "C:\\Windows\\System32\\cmd.exe /c C:\\h2k\\validate\\beacon.cmd") == 0);
  CHECK (hivex_commit (h, copy, 0) == 0);
  hivex_close (h);
  /* Read back, by a fresh handle. */
  h = hivex_open (copy, 0);
  st2 = win_setup_state (h);
  hivex_close (h);
  CHECK_STR (h2k_json_get_string (st2, "cmdline"), "C:\\Windows\\System32\\cmd.exe /c C:\\h2k\\validate\\beacon.cmd");
  CHECK_INT (h2k_json_get_int (st2, "setup_type", -1), 2);
  CHECK (h2k_json_get_bool (st2, "runner", 1) == 0);
  /* The runner of h2k-fix-windows, any case. */
  unlink (copy);
  runner = hive_with (win7, "[" P "Setup]\n\"CmdLine\"=\"C:\\\\Windows\\\\System32\\\\cmd.exe /c "
                      "C:\\\\H2K\\\\FirstBoot\\\\firstboot.cmd\"\n\"SetupType\"=dword:00000002\n\n");
  h = hivex_open (runner, 0);
  st3 = win_setup_state (h);
  hivex_close (h);
  CHECK (h2k_json_get_bool (st3, "runner", 0) == 1);
  unlink (runner);
}

/* The QEMU command line of phase 1: SATA, a scratch disk that is not
 * booted, reboots allowed.
 */
TEST (qemu_scratch)
{
  struct qemu_disk d = { .id = "disk0", .path = "/x.img", .format = "raw",
                         .overlay = (char *) "/t/disk0.qcow2" };
  struct qemu_cfg c = { .accel = "tcg", .machine = "q35", .bus = "sata",
                        .firmware = "bios", .memory_mb = 1024, .cpus = 1,
                        .serial_log = "/t/serial-phase1.log", .disks = &d, .n_disks = 1,
                        .scratch = "/t/scratch.qcow2", .scratch_bus = "virtio-blk",
                        .allow_reboot = 1 };
  char **argv = qemu_build_argv (&c);
  CLEANUP_FREE char *s = argv ? h2k_argv_to_string ((const char *const *) argv) : NULL;

  CHECK (s != NULL);
  if (s == NULL)
    return;
  CHECK (strstr (s, "-no-reboot") == NULL);
  CHECK (strstr (s, " -device ich9-ahci,id=ahci0 -drive file=/t/disk0.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe -device ide-hd,drive=disk0,bus=ahci0.0,bootindex=1 -drive file=/t/scratch.qcow2,format=qcow2,if=none,id=scratch0,cache=unsafe -device virtio-blk-pci,drive=scratch0") != NULL);
  h2k_free_strv (argv);
  c.scratch_bus = "virtio-scsi";
  c.allow_reboot = 0;
  argv = qemu_build_argv (&c);
  free (s);
  s = argv ? h2k_argv_to_string ((const char *const *) argv) : NULL;
  CHECK (s && strstr (s, "-no-reboot") != NULL);
  CHECK (s && strstr (s, "-device virtio-scsi-pci,id=scsi1 -device scsi-hd,drive=scratch0,bus=scsi1.0,channel=0,scsi-id=0,lun=0") != NULL);
  h2k_free_strv (argv);
  /* No scratch disk: as before. */
  c.scratch = NULL;
  argv = qemu_build_argv (&c);
  free (s);
  s = argv ? h2k_argv_to_string ((const char *const *) argv) : NULL;
  CHECK (s && strstr (s, "scratch") == NULL);
  h2k_free_strv (argv);
}

TEST (plan_read)
{
  struct win_plan p;
  json_object *m;

  /* No windows_boot: one final phase on --bus. */
  m = json_tokener_parse ("{}");
  CHECK (win_plan_read (m, "virtio-scsi", 0, &p) == 0);
  CHECK_STR (p.strategy, "single");
  CHECK_INT (p.n_phases, 1);
  CHECK_STR (p.phases[0].bus, "virtio-scsi");
  json_object_put (m);
  m = json_tokener_parse (
    "{\"windows_boot\": {\"strategy\": \"two-phase\", \"storage\": \"viostor\", \"phases\": ["
    "{\"phase\": 1, \"name\": \"install-drivers\", \"system_bus\": \"sata\", \"nic\": \"virtio\","
    " \"scratch_disk\": {\"bus\": \"virtio-blk\", \"size_mib\": 64}, \"ends\": \"poweroff\"},"
    "{\"phase\": 2, \"name\": \"final\", \"system_bus\": \"virtio-blk\", \"nic\": \"virtio\"}]}}");
  CHECK (win_plan_read (m, "virtio-blk", 0, &p) == 0);
  CHECK_STR (p.strategy, "two-phase");
  CHECK_STR (p.storage, "viostor");
  CHECK_INT (p.n_phases, 2);
  CHECK_STR (p.phases[0].name, "install-drivers");
  CHECK_STR (p.phases[0].bus, "sata");
  CHECK_STR (p.phases[0].scratch_bus, "virtio-blk");
  CHECK_INT (p.phases[0].scratch_mib, 64);
  CHECK_STR (p.phases[0].ends, "poweroff");
  CHECK_STR (p.phases[1].bus, "virtio-blk");
  CHECK (p.phases[1].scratch_bus == NULL);
  /* An explicit --bus wins for the final phase, not for phase 1. */
  CHECK (win_plan_read (m, "virtio-scsi", 1, &p) == 0);
  CHECK_STR (p.phases[1].bus, "virtio-scsi");
  CHECK_STR (p.phases[0].bus, "sata");
  json_object_put (m);
  /* Errors name the JSON path (reported on stderr). */
  m = json_tokener_parse ("{\"windows_boot\": {\"strategy\": \"two-phase\", \"phases\": [{}]}}");
  CHECK (win_plan_read (m, "virtio-blk", 0, &p) == -1);
  json_object_put (m);
  m = json_tokener_parse ("{\"windows_boot\": {\"strategy\": \"single\", \"phases\": ["
                          "{\"scratch_disk\": {\"bus\": \"sata\"}}]}}");
  CHECK (win_plan_read (m, "virtio-blk", 0, &p) == -1);
  json_object_put (m);
}

int
main (void)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[] = { "rm", "-rf", tmpdir, NULL };

  if (mkdtemp (tmpdir) == NULL)
    return 1;
  if (h2k_have_program ("hivexregedit") && h2k_have_program ("xz")) {
    win7 = unxz ("registry-hives/regipy/SYSTEM.xz");
    win10 = unxz ("registry-hives/regipy/SYSTEM_WIN_10_1709.xz");
    have_hives = win7 && win10;
  }
  RUN (storage_driver);
  RUN (image_path);
  RUN (beacon_script);
  RUN (ipconfig_beacon);
  RUN (win7_corpus_fails);
  RUN (win7_fixed_passes);
  RUN (win7_failure_classes);
  RUN (win10_driver_database);
  RUN (setup_key);
  RUN (qemu_scratch);
  RUN (plan_read);
  free (win7);
  free (win10);
  h2k_run (argv, 0, &res);
  return test_done ();
}
