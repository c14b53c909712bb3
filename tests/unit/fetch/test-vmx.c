/* Unit tests for the VMX parser (tools/h2k-fetch/vmx.c): synthetic
 * files for each rule and each error, then every VMX of the corpus,
 * compared with virt-v2v's --print-source output where the corpus has
 * it, and with hand-checked facts for the libvirt ones.
 */

#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fetch/fetch.h"
#include "../../../tools/h2k-fetch/vmx.h"

static struct vmx *
parse (const char *text)
{
  h2k_clear_error ();
  return vmx_parse (text, strlen (text), "t.vmx");
}

/* Parsing TEXT fails with an error containing WANT. */
static int
parse_fails (const char *text, const char *want)
{
  struct vmx *v = parse (text);
  const char *e = h2k_first_error ();
  int ok = v == NULL && e && strstr (e, want);

  if (!ok)
    printf ("# expected an error with \"%s\", got \"%s\"\n", want,
            e ? e : "(none)");
  vmx_free (v);
  return ok;
}

TEST (syntax)
{
  struct vmx *v = parse (
    "#!/usr/bin/vmware\n"
    ".encoding = \"UTF-8\"\n"
    "\n"
    "   # an indented comment\n"
    "displayName = \"My |22quoted|22 VM |7C pipe\"\r\n"
    "memSize=\"1024\"\n"
    "  numvcpus   =   \"2\"   # trailing comment\n"
    "guestOS = other\n"
    "annotation = \"a|0Ab|zz|7\"\n"
    "DisplayNAME.x = \"first\"\n"
    "displayname.X = \"second\"\n"
    "empty = \"\"\n"
    "\t\n");

  CHECK (v != NULL);
  if (v == NULL)
    return;
  CHECK_STR (vmx_get (v, "displayname"), "My \"quoted\" VM | pipe");
  CHECK_STR (vmx_get (v, "DISPLAYNAME"), "My \"quoted\" VM | pipe");
  CHECK_STR (vmx_get (v, ".encoding"), "UTF-8");
  CHECK_STR (vmx_get (v, "memsize"), "1024");
  CHECK_STR (vmx_get (v, "numVCPUs"), "2");
  CHECK_STR (vmx_get (v, "guestOS"), "other");
  CHECK_STR (vmx_get (v, "annotation"), "a\nb|zz|7");
  CHECK_STR (vmx_get (v, "displayName.x"), "second");   /* last wins */
  CHECK_INT (vmx_line (v, "displayName.x"), 11);
  CHECK_STR (vmx_get (v, "empty"), "");
  CHECK (vmx_get (v, "missing") == NULL);
  CHECK_INT (vmx_count (v), 8);
  vmx_free (v);
}

TEST (syntax_errors)
{
  char *big, *many;
  size_t n = 1 << 20;

  CHECK (parse_fails ("a = \"1\"\nthis is not valid\n",
                      "t.vmx: line 2: expected 'key = \"value\"'"));
  CHECK (parse_fails ("a = \"1\n", "t.vmx: line 1: unterminated quoted value"));
  CHECK (parse_fails ("a = \"1\" junk\n",
                      "t.vmx: line 1: unexpected text after the quoted value"));
  CHECK (parse_fails ("= \"1\"\n", "t.vmx: line 1: expected"));
  CHECK (parse_fails ("a = b\"c\n", "t.vmx: line 1: stray"));
  CHECK (parse_fails ("x = \"a|00b\"\n", "t.vmx: line 1: value contains a NUL"));
  CHECK (parse_fails ("# Disk DescriptorFile\nversion=1\n", "VMDK disk image"));
  CHECK (parse_fails ("KDMV\001\000\000\000", "VMDK disk image"));

  /* A 1 MiB value. */
  big = malloc (n + 32);
  CHECK (big != NULL);
  if (big) {
    size_t h;
    strcpy (big, "\n\nguestinfo.x = \"");
    h = strlen (big);
    memset (big + h, 'a', n);
    strcpy (big + h + n, "\"\n");
    CHECK (parse_fails (big, "t.vmx: line 3: value too long"));
    /* Unterminated and huge: still "value too long", not a crash. */
    big[h + n] = '\0';
    CHECK (parse_fails (big, "t.vmx: line 3: value too long"));
    free (big);
  }

  /* A key of 300 bytes. */
  big = malloc (400);
  if (big) {
    memset (big, 'k', 300);
    strcpy (big + 300, " = \"1\"\n");
    CHECK (parse_fails (big, "t.vmx: line 1: key too long"));
    free (big);
  }

  /* VMX_MAX_KEYS + 1 keys. */
  many = malloc ((VMX_MAX_KEYS + 1) * 24);
  if (many) {
    char *p = many;
    for (int i = 0; i <= VMX_MAX_KEYS; ++i)
      p += sprintf (p, "k%d = \"v\"\n", i);
    CHECK (parse_fails (many, "too many keys"));
    free (many);
  }

  /* An embedded NUL byte. */
  h2k_clear_error ();
  CHECK (vmx_parse ("a = \"1\"\n\0b", 10, "t.vmx") == NULL);
  CHECK (h2k_first_error () && strstr (h2k_first_error (), "NUL"));
}

TEST (encoding)
{
  struct vmx *v;

  /* windows-1252: 0xe9 is e acute, 0x80 the euro sign. */
  v = parse (".encoding = \"windows-1252\"\ndisplayName = \"Caf\xe9 \x80\"\n");
  CHECK (v != NULL);
  if (v) {
    CHECK_STR (vmx_get (v, "displayName"), "Caf\xc3\xa9 \xe2\x82\xac");
    vmx_free (v);
  }
  /* No .encoding, not UTF-8: read as ISO-8859-1. */
  v = parse ("displayName = \"Caf\xe9\"\nguestOS = \"ok \xc3\xa9\"\n");
  CHECK (v != NULL);
  if (v) {
    CHECK_STR (vmx_get (v, "displayName"), "Caf\xc3\xa9");
    CHECK_STR (vmx_get (v, "guestOS"), "ok \xc3\x83\xc2\xa9");
    vmx_free (v);
  }
  /* UTF-8 stays as it is. */
  v = parse (".encoding = \"UTF-8\"\ndisplayName = \"Caf\xc3\xa9\"\n");
  CHECK (v != NULL);
  if (v) {
    CHECK_STR (vmx_get (v, "displayName"), "Caf\xc3\xa9");
    vmx_free (v);
  }
  CHECK (parse_fails (".encoding = \"klingon\"\n",
                      "t.vmx: .encoding: \"klingon\" is not an encoding"));
  CHECK (parse_fails (".encoding = \"UTF-16\"\nx = \"abc\"\n",
                      "not valid in the file's .encoding"));
}

static const char devices[] =
  "displayName = \"devices\"\n"
  "memsize = \"4096\"\n"
  "numvcpus = \"4\"\n"
  "cpuid.coresPerSocket = \"2\"\n"
  "firmware = \"efi\"\n"
  "uefi.secureBoot.enabled = \"TRUE\"\n"
  "virtualHW.version = \"19\"\n"
  "guestOS = \"windows2019srv-64\"\n"
  "scsi0.present = \"TRUE\"\n"
  "scsi0.virtualDev = \"PVSCSI\"\n"
  "scsi1.present = \"TRUE\"\n"
  "scsi0:2.fileName = \"c.vmdk\"\n"
  "scsi0:2.deviceType = \"scsi-hardDisk\"\n"
  "scsi0:10.fileName = \"d.vmdk\"\n"
  "scsi1:0.fileName = \"sub/e.vmdk\"\n"
  "scsi1:1.fileName = \"gone.vmdk\"\n"
  "scsi1:1.present = \"FALSE\"\n"
  "scsi2.present = \"FALSE\"\n"
  "scsi2:0.fileName = \"hidden.vmdk\"\n"
  "ide1:0.fileName = \"x.iso\"\n"
  "ide1:0.deviceType = \"cdrom-image\"\n"
  "ide0:0.fileName = \"/abs/i.vmdk\"\n"
  "ide0:0.deviceType = \"ata-hardDisk\"\n"
  "sata0:1.fileName = \"s.vmdk\"\n"
  "sata0:0.fileName = \"cd.iso\"\n"
  "sata0:0.deviceType = \"atapi-cdrom\"\n"
  "nvme0:0.fileName = \"n.vmdk\"\n"
  "scsi0:3.fileName = \"tape\"\n"
  "scsi0:-1.fileName = \"neg.vmdk\"\n"
  "scsi1234:0.fileName = \"far.vmdk\"\n"
  "scsi0:0.fileName.x = \"not.vmdk\"\n"
  "sched.scsi0:0.fileName = \"not.vmdk\"\n"
  "ethernet10.present = \"TRUE\"\n"
  "ethernet10.virtualDev = \"e1000e\"\n"
  "ethernet10.addressType = \"static\"\n"
  "ethernet10.address = \"00:50:56:AA:BB:CC\"\n"
  "ethernet10.generatedAddress = \"00:0c:29:00:00:01\"\n"
  "ethernet2.present = \"TRUE\"\n"
  "ethernet2.virtualDev = \"VMXNET3\"\n"
  "ethernet2.addressType = \"generated\"\n"
  "ethernet2.generatedAddress = \"00:0c:29:00:00:02\"\n"
  "ethernet2.networkName = \"VM Network\"\n"
  "ethernet2.startConnected = \"FALSE\"\n"
  "ethernet0.present = \"FALSE\"\n"
  "ethernet0.virtualDev = \"e1000\"\n"
  "ethernet1.connectionType = \"bridged\"\n"
  "ethernet1.addressType = \"vpx\"\n"
  "ethernet1.generatedAddress = \"bogus\"\n";

TEST (describe)
{
  struct vmx *v = parse (devices);
  struct vmx_vm vm;

  CHECK (v != NULL);
  if (v == NULL)
    return;
  CHECK_INT (vmx_describe (v, "t.vmx", &vm), 0);
  CHECK_STR (vm.name, "devices");
  CHECK_STR (vm.firmware, "uefi");
  CHECK_INT (vm.secure_boot, 1);
  CHECK_INT (vm.memory_mb, 4096);
  CHECK_INT (vm.memory_default, 0);
  CHECK_INT (vm.cpus, 4);
  CHECK_INT (vm.cores_per_socket, 2);
  CHECK_STR (vm.hardware_version, "19");
  {
    char hw[16];
    CHECK_INT (fetch_vmx_hw_version (vm.hardware_version, hw, sizeof hw), 0);
    CHECK_STR (hw, "vmx-19");
    CHECK_INT (fetch_vmx_hw_version ("4", hw, sizeof hw), 0);
    CHECK_STR (hw, "vmx-04");
    CHECK_INT (fetch_vmx_hw_version ("vmx-4", hw, sizeof hw), -1);
    CHECK_INT (fetch_vmx_hw_version ("0", hw, sizeof hw), -1);
    CHECK_INT (fetch_vmx_hw_version ("14a", hw, sizeof hw), -1);
    CHECK_INT (fetch_vmx_hw_version ("", hw, sizeof hw), -1);
  }
  CHECK_STR (vm.guest_os, "windows2019srv-64");

  /* scsi0:2 scsi0:10 scsi1:0 | sata0:1 | nvme0:0 | ide0:0 */
  CHECK_INT (vm.ndisks, 6);
  if (vm.ndisks == 6) {
    CHECK_STR (vm.disks[0].address, "scsi0:2");
    CHECK_STR (vm.disks[0].controller_model, "pvscsi");
    CHECK_STR (vm.disks[0].file, "c.vmdk");
    CHECK_STR (vm.disks[1].address, "scsi0:10");
    CHECK_STR (vm.disks[2].address, "scsi1:0");
    CHECK_STR (vm.disks[2].controller_model, "lsilogic");
    CHECK_STR (vm.disks[2].file, "sub/e.vmdk");
    CHECK_STR (vm.disks[3].address, "sata0:1");
    CHECK_STR (vm.disks[3].bus_name, "sata");
    CHECK_STR (vm.disks[3].controller_model, "ahci");
    CHECK_STR (vm.disks[4].address, "nvme0:0");
    CHECK_STR (vm.disks[4].controller_model, "nvme");
    CHECK_STR (vm.disks[5].address, "ide0:0");
    CHECK_STR (vm.disks[5].bus_name, "ide");
    CHECK_STR (vm.disks[5].file, "/abs/i.vmdk");
  }

  /* ethernet0 not present; ethernet1, 2, 10 in numeric order. */
  CHECK_INT (vm.nnics, 3);
  if (vm.nnics == 3) {
    CHECK_STR (vm.nics[0].id, "ethernet1");
    CHECK_STR (vm.nics[0].mac, "");              /* "bogus" dropped */
    CHECK_STR (vm.nics[0].model, "");
    CHECK_STR (vm.nics[0].connection_type, "bridged");
    CHECK (vm.nics[0].network == NULL);
    CHECK_INT (vm.nics[0].connected, 1);
    CHECK_STR (vm.nics[1].id, "ethernet2");
    CHECK_STR (vm.nics[1].mac, "00:0c:29:00:00:02");
    CHECK_STR (vm.nics[1].model, "vmxnet3");
    CHECK_STR (vm.nics[1].network, "VM Network");
    CHECK_INT (vm.nics[1].connected, 0);
    CHECK_STR (vm.nics[2].id, "ethernet10");
    CHECK_STR (vm.nics[2].mac, "00:50:56:aa:bb:cc");   /* static: address */
    CHECK_STR (vm.nics[2].model, "e1000e");
  }
  vmx_vm_free (&vm);
  vmx_free (v);
}

TEST (defaults)
{
  struct vmx *v = parse ("config.version = \"8\"\n");
  struct vmx_vm vm;

  CHECK (v != NULL);
  if (v == NULL)
    return;
  CHECK_INT (vmx_describe (v, "t.vmx", &vm), 0);
  CHECK (vm.name == NULL);
  CHECK_STR (vm.firmware, "bios");
  CHECK_INT (vm.secure_boot, -1);
  CHECK_INT (vm.memory_mb, 32);
  CHECK_INT (vm.memory_default, 1);
  CHECK_INT (vm.cpus, 1);
  CHECK_INT (vm.cores_per_socket, 0);
  CHECK_INT (vm.ndisks, 0);
  CHECK_INT (vm.nnics, 0);
  vmx_vm_free (&vm);
  vmx_free (v);
}

static int
describe_fails (const char *text, const char *want)
{
  struct vmx *v = parse (text);
  struct vmx_vm vm;
  const char *e;
  int ok;

  if (v == NULL)
    return 0;
  ok = vmx_describe (v, "t.vmx", &vm) == -1;
  e = h2k_first_error ();
  ok = ok && e && strstr (e, want);
  if (!ok)
    printf ("# expected an error with \"%s\", got \"%s\"\n", want,
            e ? e : "(none)");
  vmx_free (v);
  return ok;
}

TEST (describe_errors)
{
  CHECK (describe_fails ("memsize = \"lots\"\n",
                         "t.vmx: memsize: \"lots\" is not an integer"));
  CHECK (describe_fails ("memsize = \"0\"\n", "t.vmx: memsize:"));
  CHECK (describe_fails ("numvcpus = \"-1\"\n", "t.vmx: numvcpus:"));
  CHECK (describe_fails ("numvcpus = \"99999\"\n", "t.vmx: numvcpus:"));
  CHECK (describe_fails ("uefi.secureBoot.enabled = \"maybe\"\n",
                         "t.vmx: uefi.secureBoot.enabled:"));
  CHECK (describe_fails ("scsi0:0.fileName = \"\"\nscsi0:0.deviceType = \"disk\"\n",
                         "t.vmx: scsi0:0.fileName: empty file name"));
}

/* ---------------------------------------------------------------- */
/* The corpus. */

static const char *
corpus (void)
{
  const char *c = getenv ("H2K_CORPUS");
  return c ? c : SRCDIR "/../shared/corpus";
}

struct expected {
  char name[256];
  int64_t memory;
  int cpus;
  char firmware[16];
  char secureboot[16];
  int ndisks;
  char buses[64][8];
  int nnics;
  struct { char type[16]; char vnet[128]; char mac[32]; char model[32]; } nics[16];
};

/* Read virt-v2v's --print-source output. */
static int
read_expected (const char *path, struct expected *x)
{
  FILE *fp = fopen (path, "r");
  char line[512];
  enum { NONE, DISKS, NICS } section = NONE;

  memset (x, 0, sizeof *x);
  if (fp == NULL)
    return -1;
  while (fgets (line, sizeof line, fp)) {
    char *p;
    line[strcspn (line, "\n")] = '\0';
    if ((p = strstr (line, "source name: ")))
      snprintf (x->name, sizeof x->name, "%s", p + 13);
    else if ((p = strstr (line, "memory: ")))
      x->memory = strtoll (p + 8, NULL, 10);
    else if ((p = strstr (line, "nr vCPUs: ")))
      x->cpus = atoi (p + 10);
    else if ((p = strstr (line, "firmware: ")))
      snprintf (x->firmware, sizeof x->firmware, "%s", p + 10);
    else if ((p = strstr (line, "UEFI secureboot: ")))
      snprintf (x->secureboot, sizeof x->secureboot, "%s", p + 17);
    else if (strcmp (line, "disks:") == 0)
      section = DISKS;
    else if (strcmp (line, "removable media:") == 0)
      section = NONE;
    else if (strcmp (line, "NICs:") == 0)
      section = NICS;
    else if (section == DISKS && line[0] == '\t' && x->ndisks < 64) {
      char *b = strchr (line, '[');
      if (b)
        snprintf (x->buses[x->ndisks], sizeof x->buses[0], "%.*s",
                  (int) strcspn (b + 1, "]"), b + 1);
      x->ndisks++;
    }
    else if (section == NICS && line[0] == '\t' && x->nnics < 16) {
      typeof (x->nics[0]) *n = &x->nics[x->nnics++];
      char *q1 = strchr (line, '"'), *q2 = q1 ? strchr (q1 + 1, '"') : NULL;
      char *mac = strstr (line, "mac: "), *b = strrchr (line, '[');
      sscanf (line + 1, "%15s", n->type);
      if (q1 && q2)
        snprintf (n->vnet, sizeof n->vnet, "%.*s", (int) (q2 - q1 - 1), q1 + 1);
      if (mac)
        sscanf (mac + 5, "%31s", n->mac);
      if (b)
        snprintf (n->model, sizeof n->model, "%.*s",
                  (int) strcspn (b + 1, "]"), b + 1);
    }
  }
  fclose (fp);
  return 0;
}

/* Compare our description of VMX PATH with virt-v2v's. */
static void
compare_with_virt_v2v (const char *path, const struct vmx_vm *vm)
{
  CLEANUP_FREE char *exp = NULL;
  struct expected x;

  if (asprintf (&exp, "%.*s.expected", (int) strlen (path) - 4, path) == -1 ||
      read_expected (exp, &x) == -1)
    return;
  printf ("# comparing with %s\n", exp);
  CHECK_STR (vm->name, x.name);
  CHECK_INT (vm->memory_mb * 1024 * 1024, x.memory);
  CHECK_INT (vm->cpus, x.cpus);
  CHECK_STR (vm->firmware, x.firmware);
  CHECK_STR (vm->secure_boot == 1 ? "true" : "false", x.secureboot);
  CHECK_INT (vm->ndisks, x.ndisks);
  for (size_t i = 0; i < vm->ndisks && i < (size_t) x.ndisks; ++i)
    CHECK_STR (vm->disks[i].bus_name, x.buses[i]);
  CHECK_INT (vm->nnics, x.nnics);
  for (size_t i = 0; i < vm->nnics && i < (size_t) x.nnics; ++i) {
    const struct vmx_nic *n = &vm->nics[i];
    int bridged = n->connection_type &&
      strcasecmp (n->connection_type, "bridged") == 0;
    CHECK_STR (bridged ? "Bridge" : "Network", x.nics[i].type);
    CHECK_STR (n->network ? n->network : n->id, x.nics[i].vnet);
    CHECK_STR (n->mac, x.nics[i].mac);
    CHECK_STR (n->model, x.nics[i].model);
  }
}

/* Facts about the libvirt corpus files, checked by hand. */
static void
check_libvirt (const char *base, const struct vmx_vm *vm)
{
  if (strcmp (base, "esx-in-the-wild-12.vmx") == 0) {
    CHECK_STR (vm->firmware, "uefi");
    CHECK_INT (vm->secure_boot, 1);
    CHECK_INT (vm->memory_mb, 2048);
    CHECK_INT (vm->ndisks, 1);              /* the SATA CD-ROM is skipped */
    CHECK_STR (vm->disks[0].controller_model, "pvscsi");
    CHECK_INT (vm->nnics, 1);
    CHECK_STR (vm->nics[0].mac, "00:50:56:a0:cf:2f");
    CHECK_STR (vm->nics[0].model, "vmxnet3");
    CHECK_STR (vm->nics[0].network, "VM Network");
  }
  else if (strcmp (base, "esx-in-the-wild-13.vmx") == 0) {
    CHECK_INT (vm->ndisks, 1);
    CHECK_STR (vm->disks[0].controller_model, "lsilogic");
    CHECK_STR (vm->disks[0].file,
               "Test-Mig-VM-1 (01ce57d0-4e20-41a5-8b6c-bcbf49a032ec)_2.vmdk");
    CHECK_INT (vm->nnics, 1);
    CHECK_STR (vm->nics[0].mac, "fa:16:3e:bb:2c:4a");    /* static */
    CHECK_STR (vm->nics[0].network, "Test");
  }
  else if (strcmp (base, "esx-in-the-wild-14.vmx") == 0) {
    CHECK_INT (vm->cpus, 12);
    CHECK_INT (vm->memory_mb, 32768);
    CHECK_INT (vm->ndisks, 2);
    CHECK_STR (vm->disks[1].address, "scsi0:1");
    CHECK_STR (vm->disks[1].file, "wild2.vmdk");
    CHECK_INT (vm->nnics, 1);
    CHECK_STR (vm->nics[0].mac, "");                     /* 00:00:00:00:00:00 */
  }
  else if (strcmp (base, "esx-in-the-wild-15.vmx") == 0) {
    CHECK_INT (vm->cpus, 2);
    CHECK_INT (vm->ndisks, 2);
    CHECK_STR (vm->disks[0].address, "nvme0:0");
    CHECK_STR (vm->disks[0].file, "dokuwiki.vmdk");
    CHECK_STR (vm->disks[1].address, "nvme0:1");
    CHECK_STR (vm->nics[0].network, "inside");
  }
  else if (strcmp (base, "gsx-in-the-wild-4.vmx") == 0) {
    CHECK_STR (vm->name, "Client");
    CHECK_INT (vm->memory_mb, 264);
    CHECK_STR (vm->hardware_version, "4");
    CHECK_INT (vm->ndisks, 1);              /* ide1:0 is not present */
    CHECK_STR (vm->disks[0].address, "ide0:0");
    CHECK_STR (vm->disks[0].file, "Debian-System1-0-cl2.vmdk");
    CHECK_INT (vm->nnics, 1);
    CHECK_STR (vm->nics[0].mac, "00:0c:29:c5:e3:5d");
    CHECK_STR (vm->nics[0].network, "net2");
    CHECK_STR (vm->nics[0].connection_type, "custom");
    CHECK_STR (vm->nics[0].model, "");
  }
}

TEST (corpus)
{
  CLEANUP_FREE char *pattern = NULL;
  glob_t g;
  size_t compared = 0;

  if (asprintf (&pattern, "%s/vmx/*/*.vmx", corpus ()) == -1)
    return;
  if (glob (pattern, 0, NULL, &g) != 0) {
    SKIP ("no corpus VMX at %s", pattern);
    return;
  }
  for (size_t i = 0; i < g.gl_pathc; ++i) {
    const char *path = g.gl_pathv[i];
    const char *base = strrchr (path, '/') + 1;
    struct vmx *v;
    struct vmx_vm vm;

    h2k_clear_error ();
    v = vmx_parse_file (path);
    printf ("# %s: %s\n", path, v ? "parsed" : h2k_first_error ());
    CHECK (v != NULL);
    if (v == NULL)
      continue;
    CHECK_INT (vmx_describe (v, path, &vm), 0);
    if (vm.disks) {
      CHECK (vm.ndisks >= 1);
      CHECK (vm.name != NULL);
      compare_with_virt_v2v (path, &vm);
      if (strstr (path, "/libvirt/"))
        check_libvirt (base, &vm);
      compared++;
      vmx_vm_free (&vm);
    }
    vmx_free (v);
  }
  printf ("# %zu corpus VMX files described\n", compared);
  CHECK (compared == g.gl_pathc);
  CHECK (compared >= 10);
  globfree (&g);
}

int
main (void)
{
  RUN (syntax);
  RUN (syntax_errors);
  RUN (encoding);
  RUN (describe);
  RUN (defaults);
  RUN (describe_errors);
  RUN (corpus);
  return test_done ();
}
