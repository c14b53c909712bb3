/* h2k-fix-windows: the INF parser (inf.c) on INF texts written to
 * temporary files: the fake virtio-win INFs' shape, a real-virtio-win
 * shape (OS-version decorations, decorated install sections), UTF-16LE,
 * continuation lines, comments and quotes, and the errors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

static char tmpdir[] = "/tmp/h2k-test-inf.XXXXXX";
static char path[256];

static void
write_bytes (const char *data, size_t len)
{
  FILE *fp;

  snprintf (path, sizeof path, "%s/test.inf", tmpdir);
  fp = fopen (path, "w");
  if (fp == NULL || fwrite (data, 1, len, fp) != len || fclose (fp) != 0)
    exit (1);
}

/* One line describing INF: "class|guid|provider|catalog|date|version|
 * service|models", models as "hwid>section>description" joined by ';'.
 */
static const char *
summary (const struct inf_info *inf)
{
  static char buf[4096];
  size_t l;

  snprintf (buf, sizeof buf, "%s|%s|%s|%s|%02d/%02d/%04d|%u.%u.%u.%u|%s|",
            inf->class_name ? inf->class_name : "-",
            inf->class_guid ? inf->class_guid : "-",
            inf->provider ? inf->provider : "-", inf->catalog ? inf->catalog : "-",
            inf->date_month, inf->date_day, inf->date_year,
            inf->version[0], inf->version[1], inf->version[2], inf->version[3],
            inf->service ? inf->service : "-");
  for (size_t i = 0; i < inf->n_models; ++i) {
    l = strlen (buf);
    snprintf (buf + l, sizeof buf - l, "%s%s>%s>%s", i ? ";" : "",
              inf->models[i].hwid, inf->models[i].section, inf->models[i].description);
  }
  return buf;
}

/* Parse TEXT for ARCH: the summary, or "error: MESSAGE" with the
 * temporary path replaced by "F".
 */
static const char *
parse_bytes (const char *text, size_t len, const char *arch)
{
  static char buf[4096];
  struct inf_info inf;
  const char *e, *p;

  write_bytes (text, len);
  h2k_clear_error ();
  if (inf_parse_file (path, arch, &inf) == 0) {
    snprintf (buf, sizeof buf, "%s", summary (&inf));
    inf_info_free (&inf);
    return buf;
  }
  /* A failed parse leaves INF empty. */
  CHECK (inf.models == NULL && inf.class_name == NULL && inf.n_models == 0);
  e = h2k_first_error () ? h2k_first_error () : "?";
  p = strstr (e, path);
  if (p)
    snprintf (buf, sizeof buf, "error: %.*sF%s", (int) (p - e), e, p + strlen (path));
  else
    snprintf (buf, sizeof buf, "error: %s", e);
  h2k_clear_error ();
  return buf;
}

static const char *
parse (const char *text, const char *arch)
{
  return parse_bytes (text, strlen (text), arch);
}

/* What phony-virtio-win.sh writes (viostor, w10, amd64). */
static const char fake_inf[] =
  "; viostor/w10/amd64/viostor.inf\r\n"
  "; Fake virtio-win driver package for h2k tests: not a driver.\r\n"
  ";\r\n"
  "[Version]\r\n"
  "Signature   = \"$WINDOWS NT$\"\r\n"
  "Class       = SCSIAdapter\r\n"
  "ClassGuid   = {4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n"
  "Provider    = %VENDOR%\r\n"
  "DriverVer   = 01/01/2025,100.99.0.0\r\n"
  "CatalogFile = viostor.cat\r\n"
  "PnpLockdown = 1\r\n\r\n"
  "[DestinationDirs]\r\nDefaultDestDir = 12\r\n\r\n"
  "[SourceDisksNames]\r\n1 = %DiskId1%,,,\"\"\r\n\r\n"
  "[SourceDisksFiles]\r\nviostor.sys = 1,,\r\n\r\n"
  "[Manufacturer]\r\n%VENDOR% = Standard,NTamd64\r\n\r\n"
  "[Standard.NTamd64]\r\n"
  "%viostor.DeviceDesc% = viostor_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\r\n"
  "%viostor.DeviceDesc% = viostor_inst, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\r\n"
  "\r\n[viostor_inst]\r\nCopyFiles = viostor.CopyFiles\r\n\r\n"
  "[viostor.CopyFiles]\r\nviostor.sys,,,2\r\n\r\n"
  "[viostor_inst.Services]\r\n"
  "AddService = viostor, 0x00000002, viostor_Service_Inst\r\n\r\n"
  "[viostor_Service_Inst]\r\n"
  "DisplayName    = %viostor.SVCDESC%\r\n"
  "ServiceType    = 1\r\nStartType      = 0\r\nErrorControl   = 1\r\n"
  "ServiceBinary  = %12%\\viostor.sys\r\n"
  "LoadOrderGroup = SCSI miniport\r\n"
  "\r\n[Strings]\r\n"
  "VENDOR = \"Red Hat, Inc.\"\r\n"
  "DiskId1 = \"Red Hat VirtIO SCSI controller (viostor/w10/amd64/viostor.inf)\"\r\n"
  "viostor.DeviceDesc = \"Red Hat VirtIO SCSI controller\"\r\n"
  "viostor.SVCDESC = \"Red Hat VirtIO SCSI controller Service\"\r\n";

#define FAKE_HEAD "SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|Red Hat, Inc.|" \
  "viostor.cat|01/01/2025|100.99.0.0|"

TEST (fake_virtio_win_shape)
{
  CHECK_STR (parse (fake_inf, "amd64"),
             FAKE_HEAD "viostor|"
             "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00>viostor_inst>Red Hat VirtIO SCSI controller;"
             "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01>viostor_inst>Red Hat VirtIO SCSI controller");
  /* No models for another architecture: not an error. */
  CHECK_STR (parse (fake_inf, "x86"), FAKE_HEAD "-|");
  CHECK_STR (parse (fake_inf, "ARM64"), FAKE_HEAD "-|");
  CHECK_STR (parse (fake_inf, "mips"), "error: F: no INF decoration for the architecture mips");
}

/* The generated INFs themselves, when the fake tree is there. */
TEST (fake_tree_infs)
{
  static const struct { const char *rel, *arch, *want; } t[] = {
    { "vioserial/w7/x86/vioser.inf", "x86", "System|VirtioSerial|2" },
    { "Balloon/w10/amd64/balloon.inf", "amd64", "System|BALLOON|2" },
    { "NetKVM/xp/x86/netkvm.inf", "x86", "Net|netkvm|1" },
    { "viorng/w11/ARM64/viorng.inf", "ARM64", "System|VirtRng|2" },
    { "amd64/2k22/vioscsi.inf", "amd64", "SCSIAdapter|vioscsi|2" },
    { "i386/w10/viostor.inf", "x86", "SCSIAdapter|viostor|2" },
  };
  const char *top = getenv ("H2K_TEST_IMAGES");
  char tree[512];

  snprintf (tree, sizeof tree, "%s/virtio-win-fake/tree",
            top && *top ? top : "/var/tmp/h2k-test-images");
  if (access (tree, R_OK) != 0) {
    SKIP ("no %s (make -C tests/images virtio-win-fake)", tree);
    return;
  }
  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    CLEANUP_FREE char *p = NULL;
    struct inf_info inf;
    char buf[256];

    if (asprintf (&p, "%s/%s", tree, t[i].rel) == -1)
      exit (1);
    CHECK_INT (inf_parse_file (p, t[i].arch, &inf), 0);
    snprintf (buf, sizeof buf, "%s|%s|%zu", inf.class_name, inf.service, inf.n_models);
    CHECK_STR (buf, t[i].want);
    inf_info_free (&inf);
  }
}

/* Shaped like a real virtio-win viostor.inf (0.1.2xx), plus what other
 * real INFs do: several OS-version decorations for one architecture,
 * decorated install sections, CatalogFile.NTamd64, an AddService without
 * flag 0x2 first.
 */
static const char real_inf[] =
  ";-------------------------------------------------------------------------------\n"
  "; VIOSTOR.INF\n"
  ";\n"
  "; VirtIO SCSI Adapter\n"
  ";\n"
  "; Copyright (c) 2007-2024 Red Hat, Inc.\n"
  ";\n"
  "[Version]\n"
  "Signature=\"$Windows NT$\"\n"
  "Class=SCSIAdapter\n"
  "ClassGUID={4d36e97b-e325-11ce-bfc1-08002be10318}\n"
  "Provider=%VENDOR%\n"
  "DriverVer = 01/30/2024,100.95.104.25200\n"
  "CatalogFile = viostor.cat\n"
  "CatalogFile.NTamd64 = viostor-amd64.cat\n"
  "DriverPackageType = PlugAndPlay\n"
  "DriverPackageDisplayName = %RHELScsi.DeviceDesc%\n"
  "PnpLockdown = 1\n"
  "\n"
  "[SourceDisksNames]\n"
  "1 = %DiskId1%,,,\"\"\n"
  "\n"
  "[SourceDisksFiles]\n"
  "viostor.sys = 1,,\n"
  "\n"
  "[ControlFlags]\n"
  ";ExcludeFromSelect = *\n"
  "\n"
  "[DestinationDirs]\n"
  "DefaultDestDir = 10\n"
  "viostor_Files_Driver = 12\n"
  "\n"
  "[Manufacturer]\n"
  "%VENDOR%   = RHEL,NTamd64.6.3,NTamd64.10.0...16299,NTx86.10.0\n"
  "\n"
  "[RHEL.NTamd64.10.0...16299]\n"
  "%RHELScsi.DeviceDesc% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\n"
  "%RHELScsi.DeviceDesc% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\n"
  "\n"
  "[RHEL.NTamd64.6.3]\n"
  "%RHELScsi.DeviceDesc% = rhelscsi_inst, pci\\ven_1af4&dev_1001&subsys_00021af4&rev_00\n"
  "%Old.DeviceDesc% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1001\n"
  "\n"
  "[RHEL.NTx86.10.0]\n"
  "%RHELScsi.DeviceDesc% = rhelscsi_inst, PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00, PCI\\VEN_1AF4&DEV_1001\n"
  "\n"
  "[viostor_Files_Driver]\n"
  "viostor.sys,,,0x00004000 ; COPYFLG_IN_PLACE\n"
  "\n"
  "[rhelscsi_inst]\n"
  "CopyFiles=viostor_Files_Driver\n"
  "\n"
  "[rhelscsi_inst.NTamd64]\n"
  "CopyFiles=viostor_Files_Driver\n"
  "\n"
  "[rhelscsi_inst.Services]\n"
  "AddService = viostor, 0x00000002 , rhelscsi_Service_Inst, rhelscsi_EventLog_Inst\n"
  "\n"
  "[rhelscsi_inst.NTamd64.Services]\n"
  "AddService = vioevent, 0 , rhelscsi_Service_Inst\n"
  "AddService = viostor64, 0x00000002 , rhelscsi_Service_Inst, rhelscsi_EventLog_Inst\n"
  "\n"
  "[Strings]\n"
  ";\n"
  "; Localizable Strings\n"
  ";\n"
  "diskId1 = \"Red Hat VirtIO SCSI controller Installation Disk\"\n"
  "RHELScsi.DeviceDesc = \"Red Hat VirtIO SCSI controller\"\n"
  "VENDOR = \"Red Hat, Inc.\"\n"
  "\n"
  "[Strings.0409]\n"
  "Old.DeviceDesc = \"Old VirtIO SCSI controller\"\n"
  "VENDOR = \"not this one\"\n";

TEST (real_virtio_win_shape)
{
  CHECK_STR (parse (real_inf, "amd64"),
             "SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|Red Hat, Inc.|"
             "viostor-amd64.cat|01/30/2024|100.95.104.25200|viostor64|"
             "pci\\ven_1af4&dev_1001&subsys_00021af4&rev_00>rhelscsi_inst>Red Hat VirtIO SCSI controller;"
             "PCI\\VEN_1AF4&DEV_1001>rhelscsi_inst>Old VirtIO SCSI controller;"
             "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01>rhelscsi_inst>Red Hat VirtIO SCSI controller");
  CHECK_STR (parse (real_inf, "x86"),
             "SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|Red Hat, Inc.|"
             "viostor.cat|01/30/2024|100.95.104.25200|viostor|"
             "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00>rhelscsi_inst>Red Hat VirtIO SCSI controller");
  CHECK_STR (parse (real_inf, "ARM64"),
             "SCSIAdapter|{4D36E97B-E325-11CE-BFC1-08002BE10318}|Red Hat, Inc.|"
             "viostor.cat|01/30/2024|100.95.104.25200|-|");
}

/* Case, undecorated and generic (NT) models sections, LF line ends, lines
 * before the first section, a section given twice.
 */
TEST (decorations_and_case)
{
  static const char undecorated[] =
    "stray line before any section = ignored\n"
    "[version]\nCLASS = Net\nclassguid = 4d36e972-e325-11ce-bfc1-08002be10318\n"
    "driverver = 1/2/2003\n"
    "[MANUFACTURER]\n%mfg% = Models\n"
    "[models]\n%DESC% = Inst, PCI\\VEN_1AF4&DEV_1000\n"
    "[INST.services]\naddservice = netkvm, 2, svc\n"
    "[strings]\nMFG = Red Hat\ndesc = \"NIC\"\n"
    "[Version]\nProvider = %Mfg%\n";
  static const char generic[] =
    "[Version]\nDriverVer = 12/31/2020,1\n"
    "[Manufacturer]\nRed Hat = Models, NT, NTamd64\nOther = More, NT.6.1\n"
    "[Models.NT]\nA = i, ID\\A\n[Models.NTamd64]\nB = i, ID\\B\n[More.NT.6.1]\nC = i, ID\\C\n"
    "[i.NT.Services]\nAddService = nt, 0x2\n[i.Services]\nAddService = plain, 0x2\n";

  CHECK_STR (parse (undecorated, "x86"),
             "Net|{4D36E972-E325-11CE-BFC1-08002BE10318}|Red Hat|-|01/02/2003|0.0.0.0|netkvm|"
             "PCI\\VEN_1AF4&DEV_1000>Inst>NIC");
  /* x64 and ARM64 Windows ignore undecorated models sections. */
  CHECK_STR (parse (undecorated, "amd64"),
             "Net|{4D36E972-E325-11CE-BFC1-08002BE10318}|Red Hat|-|01/02/2003|0.0.0.0|-|");
  /* NTamd64 beats NT on one line; NT.6.1 applies to any architecture. */
  CHECK_STR (parse (generic, "amd64"),
             "-|-|-|-|12/31/2020|1.0.0.0|nt|ID\\B>i>B;ID\\C>i>C");
  CHECK_STR (parse (generic, "x86"),
             "-|-|-|-|12/31/2020|1.0.0.0|nt|ID\\A>i>A;ID\\C>i>C");
}

/* Many models (the array grows), duplicates dropped; a string defined
 * twice: the first wins.
 */
TEST (many_models)
{
  char text[8192];
  size_t n = 0;
  struct inf_info inf;

  n += (size_t) snprintf (text, sizeof text, "[Version]\nDriverVer = 01/01/2025\n"
                          "[Manufacturer]\n%%M%% = m,NTarm64\n[m.NTarm64]\n");
  for (int i = 0; i < 40; ++i)
    n += (size_t) snprintf (text + n, sizeof text - n, "%%D%% = i, ID\\%d\n", i % 25);
  snprintf (text + n, sizeof text - n, "[Strings]\nD = first\nd = second\n");
  write_bytes (text, strlen (text));
  CHECK_INT (inf_parse_file (path, "arm64", &inf), 0);
  CHECK_INT (inf.n_models, 25);
  CHECK_STR (inf.models[24].hwid, "ID\\24");
  CHECK_STR (inf.models[24].description, "first");
  CHECK (inf.provider == NULL && inf.service == NULL);
  inf_info_free (&inf);
}

/* Comments in and out of quotes, "" inside quotes, continuation lines,
 * %% and unknown %keys%, a BOM-less UTF-8 text with a UTF-8 BOM.
 */
TEST (comments_quotes_continuations)
{
  static const char text[] =
    "\xef\xbb\xbf; a UTF-8 byte order mark first\r\n"
    "[Version] ; a comment after a header\r\n"
    "Class = \"Sys;tem\" ; not part of it\r\n"
    "Provider = \"He said \"\"hi\"\"; \"%Co%\r\n"
    "CatalogFile = \"100%% \" , ignored ; \"quotes in a comment\r\n"
    "DriverVer = \\\r\n"
    "  02/29/2024, \\ ; a comment after a continuation\r\n"
    "  1.2.3.4\r\n"
    "[Manufacturer]\r\n"
    "%Co% = M,NTamd64\r\n"
    "[M.NTamd64]\r\n"
    "\"%Desc%, with a comma\" = \\\r\n"
    "   inst, \\\r\n"
    "   PCI\\VEN_1AF4&DEV_1001 ; the ID\r\n"
    "%Unknown% = inst, %12%\\x\r\n"
    "[inst.Services]\r\n"
    "AddService = \"svc;1\", 0x00000002, s\r\n"
    "[Strings]\r\n"
    "Co = Red Hat, Inc.\r\n"
    "Desc = \"Disk \"\"A\"\"\" ; so\r\n";

  CHECK_STR (parse (text, "amd64"),
             "Sys;tem|-|He said \"hi\"; Red Hat, Inc.|100% |02/29/2024|1.2.3.4|svc;1|"
             "PCI\\VEN_1AF4&DEV_1001>inst>Disk \"A\", with a comma;"
             "%12%\\x>inst>%Unknown%");
}

/* The same INF in UTF-16LE with a byte order mark, with a non-ASCII
 * provider name.
 */
TEST (utf16le)
{
  static const char text[] =
    "[Version]\r\nClass = Net\r\nProvider = %P%\r\nDriverVer = 03/04/2022,5.6\r\n"
    "[Manufacturer]\r\n%P% = M,NTx86\r\n[M.NTx86]\r\nd = i, PCI\\VEN_1AF4&DEV_1000\r\n"
    "[i.Services]\r\nAddService = netkvm, 0x2, s\r\n"
    "[Strings]\r\nP = \"Soci\xc3\xa9t\xc3\xa9 \xe2\x82\xac\"\r\n";
  char buf[2 * sizeof text + 2];
  size_t n = 0;

  buf[n++] = (char) 0xff;
  buf[n++] = (char) 0xfe;
  /* ASCII, é (U+00E9) and € (U+20AC) as UTF-16LE. */
  for (const unsigned char *p = (const unsigned char *) text; *p; ) {
    unsigned cp;
    if (*p < 0x80)
      cp = *p++;
    else if ((*p & 0xe0) == 0xc0)
      cp = (unsigned) (p[0] & 0x1f) << 6 | (p[1] & 0x3f), p += 2;
    else
      cp = (unsigned) (p[0] & 0x0f) << 12 | (unsigned) (p[1] & 0x3f) << 6 | (p[2] & 0x3f), p += 3;
    buf[n++] = (char) (cp & 0xff);
    buf[n++] = (char) (cp >> 8);
  }
  CHECK_STR (parse_bytes (buf, n, "x86"),
             "Net|-|Soci\xc3\xa9t\xc3\xa9 \xe2\x82\xac|-|03/04/2022|5.6.0.0|netkvm|"
             "PCI\\VEN_1AF4&DEV_1000>i>d");
  /* An odd length cannot be UTF-16. */
  buf[n++] = 'x';
  CHECK (strncmp (parse_bytes (buf, n, "x86"), "error: F: not valid UTF-16LE text", 33) == 0);
  /* UTF-16 without a BOM has NUL bytes. */
  CHECK_STR (parse_bytes (buf + 2, n - 3, "x86"),
             "error: F: a NUL byte: not an INF file (UTF-16 without a byte order mark?)");
}

TEST (errors)
{
  CHECK_STR (parse ("; nothing\r\n[Strings]\r\nA = b\r\n", "amd64"),
             "error: F: no [Version] section: not an INF file");
  CHECK_STR (parse ("", "amd64"), "error: F: no [Version] section: not an INF file");
  CHECK_STR (parse ("; x\n\n[Version]\nClass = Net\n", "amd64"),
             "error: F: line 3: [Version] has no DriverVer");
  CHECK_STR (parse ("[Version]\nClass = Net\nDriverVer = 13/01/2025,1.2.3.4\n", "amd64"),
             "error: F: line 3: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 02/29/2023,1.2.3.4\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025,1.2.3.4.5\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025,1.65536\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025,1..2\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 2025-01-01,1.2\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025,1.2,3\n", "amd64"),
             "error: F: line 2: DriverVer: not mm/dd/yyyy,w.x.y.z");
  CHECK_STR (parse ("[Version]\r\nDriverVer = 01/01/2025\r\nClassGuid = {4D36E97B-E325}\r\n", "amd64"),
             "error: F: line 3: ClassGuid: \"{4D36E97B-E325}\" is not a GUID");
  CHECK_STR (parse ("[Version]\nProvider = \"Red Hat\n", "amd64"),
             "error: F: line 2: a quoted value without its closing quote");
  CHECK_STR (parse ("[Version\nDriverVer = 01/01/2025\n", "amd64"),
             "error: F: line 1: a section header without ']'");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n[ ]\n", "amd64"),
             "error: F: line 3: an empty section name");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n[Manufacturer]\n, NTamd64\n", "amd64"),
             "error: F: line 4: a manufacturer without a models section");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n[Manufacturer]\nM = m,NTamd64\n"
                    "[m.NTamd64]\ninst, PCI\\X\n", "amd64"),
             "error: F: line 6: not \"description = install section, hardware id\"");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n[Manufacturer]\nM = m,NTamd64\n"
                    "[m.NTamd64]\nd = i, PCI\\X\n[i.Services]\nAddService = s, 0x2z\n", "amd64"),
             "error: F: line 8: not \"AddService = name, flags, section...\"");
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n[Manufacturer]\nM = m,NTamd64\n"
                    "[m.NTamd64]\nd = i, PCI\\X\n[i.Services]\nAddService = s\n", "amd64"),
             "error: F: line 8: not \"AddService = name, flags, section...\"");
  static const char nul[] = "[Version]\nDriverVer = 01/01/2025\n\0\n";
  CHECK_STR (parse_bytes (nul, sizeof nul - 1, "amd64"),
             "error: F: a NUL byte: not an INF file (UTF-16 without a byte order mark?)");
  /* Bounds. */
  {
    size_t big = 70 << 10;
    char *t = malloc (big + 64);
    strcpy (t, "[Version]\nDriverVer = 01/01/2025\nA = ");
    memset (t + strlen (t), 'x', big);
    t[37 + big] = '\0';
    CHECK_STR (parse (t, "amd64"), "error: F: line 3: a line longer than 65536 bytes");
    free (t);
  }
  {
    /* %a% repeated, each of 60 KiB: bounded after substitution. */
    size_t n = 0;
    char *t = malloc (200 << 10);
    n += (size_t) sprintf (t, "[Version]\nDriverVer = 01/01/2025\nProvider = ");
    for (int i = 0; i < 10; ++i)
      n += (size_t) sprintf (t + n, "%%a%%");
    n += (size_t) sprintf (t + n, "\n[Strings]\na = ");
    memset (t + n, 'y', 60 << 10);
    t[n + (60 << 10)] = '\0';
    CHECK_STR (parse (t, "amd64"),
               "error: F: line 3: a value longer than 262144 bytes once its %strkey% are replaced");
    free (t);
  }
  CHECK_STR (parse ("[Version]\nDriverVer = 01/01/2025\n", "amd64"), "-|-|-|-|01/01/2025|0.0.0.0|-|");
  h2k_clear_error ();
  {
    struct inf_info inf;
    CHECK_INT (inf_parse_file ("/nonexistent.inf", "amd64", &inf), -1);
    CHECK_STR (h2k_first_error (), "/nonexistent.inf: No such file or directory");
    inf_info_free (&inf);
    inf_info_free (NULL);
    h2k_clear_error ();
  }
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  RUN (fake_virtio_win_shape);
  RUN (fake_tree_infs);
  RUN (real_virtio_win_shape);
  RUN (decorations_and_case);
  RUN (many_models);
  RUN (comments_quotes_continuations);
  RUN (utf16le);
  RUN (errors);
  unlink (path);
  rmdir (tmpdir);
  return test_done ();
}
