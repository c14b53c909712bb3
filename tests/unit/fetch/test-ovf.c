/* Unit tests for the OVF parser (tools/h2k-fetch/ovf.c): every OVF of
 * the corpus, exact values for a few, virt-v2v's expected output, and
 * hostile or broken descriptors written here.
 */

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "../../../tools/h2k-fetch/ovf.h"
#include "test.h"
#include "util.h"

#define HEAD                                                            \
  "<?xml version=\"1.0\"?>\n"                                           \
  "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "         \
  "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "               \
  "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\" " \
  "xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n"

static char corpus[4096];

static int
have_corpus (void)
{
  const char *env = getenv ("H2K_CORPUS");

  if (env)
    snprintf (corpus, sizeof corpus, "%s/ovf", env);
  else
    snprintf (corpus, sizeof corpus, "%s/../shared/corpus/ovf", SRCDIR);
  if (access (corpus, R_OK) == 0)
    return 1;
  SKIP ("corpus not found at %s", corpus);
  return 0;
}

static struct ovf_vm *
parse_corpus (const char *rel)
{
  char *path;
  struct ovf_vm *vm;

  if (asprintf (&path, "%s/%s", corpus, rel) == -1)
    abort ();
  vm = ovf_parse_file (path);
  free (path);
  return vm;
}

/* The corpus OVFs h2k-fetch refuses, each for a stated reason:
 * tests/corpus-ovf-refusals (shared with tests/fetch-corpus-ovf.bats).
 * Every other OVF of the corpus must parse.
 */
struct refusal {
  char *path;                   /* relative to the corpus's ovf/ */
  char *fragment;               /* in the one line of error */
  int seen;
};

static struct refusal refusals[256];
static size_t nrefusals;

static int
load_refusals (void)
{
  FILE *fp = fopen (SRCDIR "/tests/corpus-ovf-refusals", "re");
  char line[2048];

  if (fp == NULL) {
    printf ("# %s/tests/corpus-ovf-refusals: %m\n", SRCDIR);
    return -1;
  }
  nrefusals = 0;
  while (fgets (line, sizeof line, fp)) {
    char *path = line, *frag, *reason;

    line[strcspn (line, "\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0')
      continue;
    frag = strchr (path, '\t');
    reason = frag ? strchr (frag + 1, '\t') : NULL;
    if (reason == NULL || reason[1] == '\0' || frag[1] == '\t' ||
        nrefusals >= sizeof refusals / sizeof refusals[0]) {
      printf ("# corpus-ovf-refusals: malformed or too many: %s\n", line);
      fclose (fp);
      return -1;
    }
    *frag++ = '\0';
    *reason = '\0';
    refusals[nrefusals].path = strdup (path);
    refusals[nrefusals].fragment = strdup (frag);
    refusals[nrefusals].seen = 0;
    if (refusals[nrefusals].path == NULL || refusals[nrefusals].fragment == NULL)
      abort ();
    nrefusals++;
  }
  fclose (fp);
  return 0;
}

static void
free_refusals (void)
{
  for (size_t i = 0; i < nrefusals; ++i) {
    free (refusals[i].path);
    free (refusals[i].fragment);
  }
  nrefusals = 0;
}

static struct refusal *
find_refusal (const char *rel)
{
  for (size_t i = 0; i < nrefusals; ++i)
    if (strcmp (refusals[i].path, rel) == 0)
      return &refusals[i];
  return NULL;
}

/* Run ovf_parse_file on PATH with stderr going to a file; *ERR gets
 * what was written there (caller frees).
 */
static struct ovf_vm *
parse_capturing (const char *path, char **err)
{
  FILE *tmp = tmpfile ();
  int saved;
  struct ovf_vm *vm;
  size_t len;

  if (tmp == NULL)
    abort ();
  fflush (stderr);
  saved = dup (2);
  dup2 (fileno (tmp), 2);
  vm = ovf_parse_file (path);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  rewind (tmp);
  *err = h2k_read_stream (tmp, "stderr", 1 << 20, &len);
  fclose (tmp);
  if (*err == NULL)
    abort ();
  return vm;
}

static size_t walk_total, walk_parsed, walk_bad;

static void
bad (const char *rel, const char *why, const char *err)
{
  walk_bad++;
  printf ("# %s: %s%s%s", rel, why, err[0] ? ": " : "\n", err);
}

static int
walk_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  CLEANUP_FREE char *err = NULL;
  const char *rel;
  struct refusal *r;
  struct ovf_vm *vm;

  (void) st; (void) ftw;
  if (flag != FTW_F || !h2k_ends_with_ci (path, ".ovf"))
    return 0;
  rel = path + strlen (corpus) + 1;
  r = find_refusal (rel);
  walk_total++;
  vm = parse_capturing (path, &err);
  if (r)
    r->seen = 1;
  if (vm) {
    int good = vm->ovf_version != NULL && err[0] == '\0';
    for (size_t i = 0; i < vm->ndisks; ++i)
      good &= vm->disks[i].bus != NULL &&
        (vm->disks[i].href == NULL || ovf_safe_href (vm->disks[i].href));
    walk_parsed++;
    if (r)
      bad (rel, "parses, but is listed as refused", err);
    else if (!good)
      bad (rel, "inconsistent result or messages", err);
    ovf_free (vm);
    return 0;
  }
  if (r == NULL)
    bad (rel, "refused, and not listed in tests/corpus-ovf-refusals", err);
  else if (strchr (err, '\n') != err + strlen (err) - 1)
    bad (rel, "not exactly one line of error", err);
  else if (strstr (err, path) == NULL || strstr (err, r->fragment) == NULL)
    bad (rel, "the error does not name the file or lacks the listed reason",
         err);
  return 0;
}

/* Every OVF of the corpus parses, except the listed refusals, each
 * refused in one line naming the file and the listed reason.
 */
TEST (corpus_all)
{
  if (!have_corpus ())
    return;
  CHECK_INT (load_refusals (), 0);
  walk_total = walk_parsed = walk_bad = 0;
  nftw (corpus, walk_one, 16, FTW_PHYS);
  for (size_t i = 0; i < nrefusals; ++i)
    if (!refusals[i].seen) {
      printf ("# %s: listed as refused, but not in the corpus\n",
              refusals[i].path);
      walk_bad++;
    }
  printf ("# %zu OVFs: %zu parse, %zu refused as listed, %zu bad\n",
          walk_total, walk_parsed, walk_total - walk_parsed, walk_bad);
  CHECK (walk_total >= 400);
  CHECK_INT (walk_bad, 0);
  CHECK_INT (walk_parsed + nrefusals, walk_total);
  free_refusals ();
}

/* vSphere/ovftool export, OVF 1.x. */
TEST (cot_vmware)
{
  struct ovf_vm *vm;

  if (!have_corpus () || (vm = parse_corpus ("cot/vmware.ovf")) == NULL) {
    CHECK (corpus[0] && access (corpus, R_OK) != 0);
    return;
  }
  CHECK_STR (vm->ovf_version, "1");
  CHECK_STR (vm->name, "vmw");
  CHECK_INT (vm->cpus, 2);
  CHECK_INT (vm->cores_per_socket, 2);
  CHECK_INT (vm->memory_mb, 1536);
  CHECK_STR (vm->firmware, "bios");
  CHECK_INT (vm->secure_boot, -1);
  CHECK_STR (vm->hardware_version, "vmx-08");
  CHECK_STR (vm->guest_os_hint, "rhel6_64Guest");
  CHECK_INT (vm->ndisks, 1);
  CHECK_STR (vm->disks[0].href, "input.vmdk");
  CHECK_STR (vm->disks[0].bus, "scsi");
  /* "virtio lsilogic": the VMware model wins. */
  CHECK_STR (vm->disks[0].controller, "lsilogic");
  CHECK_STR (vm->disks[0].address, "scsi0:0");
  CHECK_INT (vm->disks[0].capacity, UINT64_C (1) << 30);
  CHECK_INT (vm->nnics, 4);
  for (size_t i = 0; i < vm->nnics; ++i) {
    CHECK_STR (vm->nics[i].model, "e1000");
    CHECK_STR (vm->nics[i].network, "lanethernet0");
    CHECK (vm->nics[i].mac == NULL);
    CHECK_INT (vm->nics[i].connected, 1);
  }
  ovf_free (vm);
}

/* VirtualSystemType as one value: the highest vmx-N (two digits at
 * least), else the first value as it is.
 */
TEST (hardware_version)
{
  static const struct { const char *rel, *want; } cases[] = {
    { "cot/input.ovf", "vmx-08" },                      /* vmx-07 vmx-08 */
    { "cot/csr1000v_2017.ovf", "vmx-13" },              /* vmx-10 vmx-11 vmx-13 */
    { "govmomi/external/vcsa65.ovf", "vmx-10" },        /* vmx-08,vmx-09,vmx-10 */
    { "govmomi/external/standard_ovas/versionMultipleSameSection/"
      "versionMultipleSameSection.ovf", "vmx-10" },     /* foo vmx-09 bar vmx-08 ... */
    { "govmomi/external/OVFToolTemplates/OVF/xmltestfiles/LaxMode/Pos/"
      "vbox1_default_vm_0.9/vbox1_0.9.ovf", "vmx-06" }, /* vmx-6 */
    { "govmomi/external/standard_ovas/unsupportedHardwareVersion/"
      "unsupportedHardwareVersion.ovf", "fubar" },
    { "cot/ubuntu.2.0.ovf", "virtualbox-2.2" },
  };
  char buf[32];

  for (size_t i = 0; have_corpus () && i < sizeof cases / sizeof cases[0]; ++i) {
    struct ovf_vm *vm = parse_corpus (cases[i].rel);
    CHECK (vm != NULL);
    if (vm)
      CHECK_STR (vm->hardware_version, cases[i].want);
    ovf_free (vm);
  }
  CHECK_INT (fetch_hw_version ("vmx-7 vmx-19,vmx-100", buf, sizeof buf), 0);
  CHECK_STR (buf, "vmx-100");
  CHECK_INT (fetch_hw_version ("vmx-0 vmx-1000 vmx-x", buf, sizeof buf), 0);
  CHECK_STR (buf, "vmx-0");                     /* none valid: the first */
  CHECK_INT (fetch_hw_version ("  , ", buf, sizeof buf), -1);
  CHECK_INT (fetch_hw_version ("", buf, sizeof buf), -1);
  CHECK_INT (fetch_hw_version ("virtualbox-2.2", buf, 8), -1);
}

/* VirtualBox export, OVF 2.0 (StorageItem, EthernetPortItem, vbox:Machine). */
TEST (cot_ubuntu_2_0)
{
  struct ovf_vm *vm;

  if (!have_corpus () || (vm = parse_corpus ("cot/ubuntu.2.0.ovf")) == NULL) {
    CHECK (access (corpus, R_OK) != 0);
    return;
  }
  CHECK_STR (vm->ovf_version, "2");
  CHECK_STR (vm->name, "ubuntu");
  CHECK_INT (vm->cpus, 1);
  CHECK_INT (vm->memory_mb, 512);
  CHECK (vm->firmware == NULL);
  CHECK_STR (vm->hardware_version, "virtualbox-2.2");
  CHECK_STR (vm->guest_os_hint, "Ubuntu_64");
  CHECK_INT (vm->ndisks, 1);
  CHECK_STR (vm->disks[0].href, "ubuntu.2.0-disk1.vmdk");
  CHECK_STR (vm->disks[0].bus, "sata");
  CHECK_STR (vm->disks[0].controller, "ahci");
  CHECK_STR (vm->disks[0].address, "sata0:0");
  CHECK_INT (vm->disks[0].capacity, UINT64_C (8589934592));
  CHECK_INT (vm->nnics, 1);
  CHECK_STR (vm->nics[0].model, "e1000");
  CHECK_STR (vm->nics[0].network, "NAT");
  /* From vbox:Machine's first enabled adapter. */
  CHECK_STR (vm->nics[0].mac, "08:00:27:2a:fb:4e");
  ovf_free (vm);
}

/* Legacy OVF 0.9: xsi:type'd Section and Content. */
TEST (cot_v0_9)
{
  struct ovf_vm *vm;

  if (!have_corpus () || (vm = parse_corpus ("cot/v0.9.ovf")) == NULL) {
    CHECK (access (corpus, R_OK) != 0);
    return;
  }
  CHECK_STR (vm->ovf_version, "0.9");
  CHECK_STR (vm->name, "v0.9");
  CHECK_INT (vm->cpus, 1);
  CHECK_INT (vm->memory_mb, 8192);
  CHECK_STR (vm->hardware_version, "vmx-04");
  CHECK_STR (vm->guest_os_hint, "other26xLinux64Guest");
  CHECK_INT (vm->ndisks, 1);
  CHECK_STR (vm->disks[0].controller, "lsilogic");
  CHECK_STR (vm->disks[0].address, "scsi0:0");
  CHECK_INT (vm->nnics, 1);
  CHECK_STR (vm->nics[0].model, "pcnet32");
  CHECK_STR (vm->nics[0].network, "bridged");
  ovf_free (vm);
}

/* Two controllers of different kinds, from govmomi's fixtures. */
TEST (govmomi_multi_controller)
{
  struct ovf_vm *vm;

  if (!have_corpus ())
    return;
  vm = parse_corpus ("govmomi/external/DeleteHDTestdata/SasPvScsi/SasPvScsi.ovf");
  CHECK (vm != NULL);
  if (vm) {
    CHECK_INT (vm->ndisks, 2);
    CHECK_STR (vm->disks[0].controller, "pvscsi");
    CHECK_STR (vm->disks[0].address, "scsi0:1");
    CHECK_STR (vm->disks[1].controller, "lsisas1068");
    CHECK_STR (vm->disks[1].address, "scsi1:0");
    CHECK_INT (vm->memory_mb, 256);
    CHECK_INT (vm->nnics, 1);
    CHECK_STR (vm->nics[0].mac, "00:50:56:0e:00:fa");
    CHECK_STR (vm->nics[0].model, "pcnet32");
    ovf_free (vm);
  }
  vm = parse_corpus ("govmomi/external/DeleteHDTestdata/IdeSas/IdeSas.ovf");
  CHECK (vm != NULL);
  if (vm) {
    CHECK_INT (vm->ndisks, 2);
    CHECK_STR (vm->disks[0].bus, "ide");
    CHECK_STR (vm->disks[0].address, "ide1:1");
    CHECK_STR (vm->disks[1].bus, "scsi");
    CHECK_STR (vm->disks[1].controller, "lsisas1068");
    ovf_free (vm);
  }
  /* VirtualBox: IDE (ICH6) and SATA. */
  vm = parse_corpus ("govmomi/external/OVFToolTemplates/OVF/xmltestfiles/LaxMode/"
                     "Pos/vbox5_all_storage_controllers/vbox5.ovf");
  CHECK (vm != NULL);
  if (vm) {
    CHECK_INT (vm->ndisks, 2);
    CHECK_STR (vm->disks[0].bus, "ide");
    CHECK_STR (vm->disks[0].controller, "ich6");
    CHECK_STR (vm->disks[1].bus, "sata");
    CHECK_STR (vm->disks[1].controller, "ahci");
    CHECK_STR (vm->disks[1].address, "sata0:1");
    CHECK_INT (vm->memory_mb, 384);
    ovf_free (vm);
  }
}

/* The default DeploymentOption's items only. */
TEST (deployment_options)
{
  struct ovf_vm *vm;

  if (!have_corpus ())
    return;
  vm = parse_corpus ("govmomi/external/vcsa65.ovf");
  CHECK (vm != NULL);
  if (vm) {
    /* "tiny": 2 vCPUs, 8 GiB; the same empty 25 GB disk twice. */
    CHECK_INT (vm->cpus, 2);
    CHECK_INT (vm->memory_mb, 8192);
    size_t empty = 0;
    for (size_t i = 0; i < vm->ndisks; ++i)
      empty += vm->disks[i].href == NULL;
    CHECK (empty >= 2);
    ovf_free (vm);
  }
}

/* ovf:default="true" picks the configuration, not document order. */
TEST (deployment_default)
{
  const char *doc = HEAD
    "<References/><DeploymentOptionSection><Info>x</Info>"
    "<Configuration ovf:id=\"small\"><Label>s</Label></Configuration>"
    "<Configuration ovf:id=\"big\" ovf:default=\"true\"><Label>b</Label></Configuration>"
    "</DeploymentOptionSection>"
    "<VirtualSystem ovf:id=\"t\"><VirtualHardwareSection>"
    "<Item ovf:configuration=\"small\"><rasd:ResourceType>3</rasd:ResourceType>"
    "<rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>"
    "<Item ovf:configuration=\"big other\"><rasd:ResourceType>3</rasd:ResourceType>"
    "<rasd:VirtualQuantity>8</rasd:VirtualQuantity></Item>"
    "<Item><rasd:ResourceType>4</rasd:ResourceType>"
    "<rasd:VirtualQuantity>64</rasd:VirtualQuantity></Item>"
    "</VirtualHardwareSection></VirtualSystem></Envelope>";
  struct ovf_vm *vm = ovf_parse (doc, strlen (doc), "t.ovf");

  CHECK (vm != NULL);
  if (vm) {
    CHECK_INT (vm->cpus, 8);
    CHECK_INT (vm->memory_mb, 64);
    CHECK_INT (vm->ndisks, 0);
  }
  ovf_free (vm);
}

/* virt-v2v's --print-source output for its OVA tests: name, memory,
 * vCPUs, firmware, disk buses and NICs must agree.
 */
static void
compare_v2v (const char *base)
{
  char path[1024], line[1024];
  FILE *fp;
  struct ovf_vm *vm;
  int section = 0;
  size_t ndisk = 0, nnic = 0;

  char *exp;
  if (asprintf (&exp, "%s/virt-v2v/%s.expected", corpus, base) == -1)
    abort ();
  fp = fopen (exp, "r");
  free (exp);
  snprintf (path, sizeof path, "virt-v2v/%s.ovf", base);
  vm = parse_corpus (path);
  CHECK (fp != NULL && vm != NULL);
  if (fp == NULL || vm == NULL)
    goto out;
  while (fgets (line, sizeof line, fp)) {
    char *t = h2k_trim (line);
    char s[256];
    unsigned long long n;

    if (sscanf (t, "source name: %255[^\n]", s) == 1)
      CHECK_STR (vm->name, s);
    else if (sscanf (t, "memory: %llu (bytes)", &n) == 1)
      CHECK_INT (vm->memory_mb * 1024 * 1024, n);
    else if (sscanf (t, "nr vCPUs: %llu", &n) == 1)
      CHECK_INT (vm->cpus, n);
    else if (sscanf (t, "firmware: %255s", s) == 1)
      CHECK_STR (vm->firmware ? vm->firmware : "bios", s);
    else if (strcmp (t, "disks:") == 0)
      section = 1;
    else if (strcmp (t, "removable media:") == 0)
      section = 0;
    else if (strcmp (t, "NICs:") == 0)
      section = 2;
    else if (section == 1 && strrchr (t, '[')) {
      snprintf (s, sizeof s, "%s", strrchr (t, '[') + 1);
      s[strcspn (s, "]")] = '\0';
      CHECK (ndisk < vm->ndisks);
      if (ndisk < vm->ndisks)
        CHECK_STR (vm->disks[ndisk].bus, s);
      ndisk++;
    }
    else if (section == 2 && sscanf (t, "Bridge \"%255[^\"]\"", s) == 1) {
      CHECK (nnic < vm->nnics);
      if (nnic < vm->nnics) {
        CHECK_STR (vm->nics[nnic].network, s);
        CHECK (strstr (t, vm->nics[nnic].model) != NULL);
      }
      nnic++;
    }
  }
  CHECK_INT (ndisk, vm->ndisks);
  CHECK_INT (nnic, vm->nnics);
 out:
  if (fp)
    fclose (fp);
  ovf_free (vm);
}

TEST (virt_v2v_expected)
{
  static const char *const bases[] = {
    "test-i-ova-formats", "test-i-ova-gz", "test-i-ova-snapshots",
    "test-i-ova-subfolders", "test-i-ova-tar", "test-i-ova-two-disks",
  };

  if (!have_corpus ())
    return;
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; ++i)
    compare_v2v (bases[i]);
}

/* ---- descriptors written here ---- */

/* A one-disk VM; REFS, DISK and ITEMS fill the holes. */
static struct ovf_vm *
parse_doc (const char *refs, const char *disk, const char *items,
           const char **err)
{
  char *doc;
  struct ovf_vm *vm;

  if (asprintf (&doc, HEAD
                "<References>%s</References>\n"
                "<DiskSection><Info>x</Info>%s</DiskSection>\n"
                "<VirtualSystem ovf:id=\"t\"><Info>x</Info>\n"
                "<VirtualHardwareSection><Info>x</Info>\n%s\n"
                "</VirtualHardwareSection></VirtualSystem></Envelope>\n",
                refs, disk, items) == -1)
    abort ();
  h2k_clear_error ();
  vm = ovf_parse (doc, strlen (doc), "t.ovf");
  *err = h2k_first_error ();
  free (doc);
  return vm;
}

#define REF "<File ovf:href=\"d.vmdk\" ovf:id=\"f1\"/>"
#define DISK "<Disk ovf:diskId=\"d1\" ovf:fileRef=\"f1\" ovf:capacity=\"1\" " \
  "ovf:capacityAllocationUnits=\"byte * 2^30\"/>"
#define CTRL "<Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>6" \
  "</rasd:ResourceType><rasd:ResourceSubType>lsilogicsas</rasd:ResourceSubType></Item>"
#define HD "<Item><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>17" \
  "</rasd:ResourceType><rasd:HostResource>ovf:/disk/d1</rasd:HostResource>" \
  "<rasd:Parent>3</rasd:Parent><rasd:AddressOnParent>2</rasd:AddressOnParent></Item>"

static void
memory_case (const char *units, const char *qty, int64_t mb)
{
  char items[512];
  const char *err;
  struct ovf_vm *vm;

  snprintf (items, sizeof items, "<Item><rasd:ResourceType>4</rasd:ResourceType>"
            "%s%s%s<rasd:VirtualQuantity>%s</rasd:VirtualQuantity></Item>",
            units ? "<rasd:AllocationUnits>" : "", units ? units : "",
            units ? "</rasd:AllocationUnits>" : "", qty);
  vm = parse_doc (REF, DISK, items, &err);
  CHECK (vm != NULL);
  if (vm) {
    if (vm->memory_mb != mb)
      printf ("# memory %s %s\n", qty, units ? units : "(none)");
    CHECK_INT (vm->memory_mb, mb);
  }
  ovf_free (vm);
}

TEST (memory_units)
{
  memory_case ("byte * 2^20", "2048", 2048);
  memory_case ("byte*2^20", "512", 512);
  memory_case ("byte * 2^30", "4", 4096);
  memory_case ("byte*1024*1024", "768", 768);
  memory_case ("MegaBytes", "512", 512);
  memory_case ("GigaBytes", "2", 2048);
  memory_case ("MB", "1024", 1024);
  memory_case ("byte", "1073741824", 1024);
  memory_case ("byte * 2^10", "1048576", 1024);
  memory_case (NULL, "256", 256);         /* MB by default */
}

TEST (disk_attachment)
{
  const char *err;
  struct ovf_vm *vm = parse_doc (REF, DISK, CTRL HD, &err);

  CHECK (vm != NULL);
  if (vm) {
    CHECK_INT (vm->ndisks, 1);
    CHECK_STR (vm->disks[0].href, "d.vmdk");
    CHECK_STR (vm->disks[0].bus, "scsi");
    CHECK_STR (vm->disks[0].controller, "lsisas1068");
    CHECK_STR (vm->disks[0].address, "scsi0:2");
    CHECK_INT (vm->disks[0].capacity, UINT64_C (1) << 30);
  }
  ovf_free (vm);
}

static void
bad_case (const char *refs, const char *disk, const char *items,
          const char *want)
{
  const char *err;
  struct ovf_vm *vm = parse_doc (refs, disk, items, &err);

  CHECK (vm == NULL);
  if (err == NULL || strstr (err, want) == NULL || strstr (err, "t.ovf") == NULL)
    printf ("# wanted \"%s\", got \"%s\"\n", want, err ? err : "(none)");
  CHECK (err && strstr (err, want) && strstr (err, "t.ovf"));
  ovf_free (vm);
}

TEST (hostile)
{
  bad_case ("<File ovf:href=\"../d.vmdk\" ovf:id=\"f1\"/>", DISK, CTRL HD,
            "File/@ovf:href: '../d.vmdk' is not a file inside the package");
  bad_case ("<File ovf:href=\"/etc/passwd\" ovf:id=\"f1\"/>", DISK, CTRL HD,
            "File/@ovf:href: '/etc/passwd'");
  bad_case ("<File ovf:href=\"a/../../d\" ovf:id=\"f1\"/>", DISK, CTRL HD,
            "File/@ovf:href");
  bad_case ("<File ovf:href=\"http://example.com/d.vmdk\" ovf:id=\"f1\"/>",
            DISK, CTRL HD, "File/@ovf:href");
  bad_case (REF, "<Disk ovf:diskId=\"d1\" ovf:fileRef=\"f1\" "
            "ovf:capacity=\"99999999999999999999999\"/>", CTRL HD,
            "line 4: Disk/@ovf:capacity: '99999999999999999999999' is not a number");
  bad_case (REF, "<Disk ovf:diskId=\"d1\" ovf:fileRef=\"f1\" ovf:capacity=\"9\" "
            "ovf:capacityAllocationUnits=\"byte * 2^62\"/>", CTRL HD,
            "Disk/@ovf:capacity: 9 byte * 2^62 is too large");
  bad_case (REF, "<Disk ovf:diskId=\"d1\" ovf:fileRef=\"f1\" ovf:capacity=\"-1\"/>",
            CTRL HD, "Disk/@ovf:capacity");
  bad_case (REF, DISK, "<Item><rasd:ResourceType>4</rasd:ResourceType>"
            "<rasd:VirtualQuantity>99999999999999</rasd:VirtualQuantity></Item>",
            "line 7: rasd:VirtualQuantity (memory): 99999999999999  is too large");
  bad_case (REF, DISK, "<Item><rasd:ResourceType>3</rasd:ResourceType>"
            "<rasd:VirtualQuantity>0</rasd:VirtualQuantity></Item>",
            "CPUs: expected 1 to 4096");
  bad_case (REF, DISK, "<Item><rasd:ResourceType>4</rasd:ResourceType>"
            "<rasd:AllocationUnits>parsecs</rasd:AllocationUnits>"
            "<rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>",
            "rasd:AllocationUnits: unknown unit 'parsecs'");
  bad_case (REF, DISK, CTRL "<Item><rasd:ResourceType>17</rasd:ResourceType>"
            "<rasd:HostResource>ovf:/disk/nope</rasd:HostResource></Item>",
            "no Disk with ovf:diskId 'nope'");
  bad_case (REF, "<Disk ovf:diskId=\"d1\" ovf:fileRef=\"f9\"/>", CTRL HD,
            "Disk/@ovf:fileRef: no File with ovf:id 'f9'");
  bad_case (REF, DISK, CTRL HD HD, "attached twice");
  bad_case ("<File ovf:href=\"d.vmdk\" ovf:id=\"f1\" ovf:compression=\"bzip2\"/>",
            DISK, CTRL HD, "File/@ovf:compression: 'bzip2' is not supported");
}

TEST (huge_text)
{
  char *big = malloc (4000);
  char *items;
  const char *err;
  struct ovf_vm *vm;

  memset (big, 'x', 3999);
  big[3999] = '\0';
  if (asprintf (&items, "<Item><rasd:ResourceType>10</rasd:ResourceType>"
                "<rasd:Connection>%s</rasd:Connection></Item>", big) == -1)
    abort ();
  vm = parse_doc (REF, DISK, items, &err);
  CHECK (vm == NULL);
  CHECK (err && strstr (err, "rasd:Connection: value longer than 1024 bytes"));
  ovf_free (vm);
  free (items);
  free (big);
}

static void
doc_case (const char *doc, const char *want)
{
  struct ovf_vm *vm;
  const char *err;

  h2k_clear_error ();
  vm = ovf_parse (doc, strlen (doc), "t.ovf");
  err = h2k_first_error ();
  CHECK (vm == NULL);
  if (err == NULL || strstr (err, want) == NULL)
    printf ("# wanted \"%s\", got \"%s\"\n", want, err ? err : "(none)");
  CHECK (err && strstr (err, want));
  ovf_free (vm);
}

TEST (broken_documents)
{
  doc_case ("<?xml version=\"1.0\"?>\n<Envelope>\n<References>\n</Refs>\n",
            "t.ovf: line 4: XML error: Opening and ending tag mismatch");
  doc_case ("", "t.ovf: line 1: XML error: Document is empty");
  doc_case ("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n"
            "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&a;</Envelope>",
            "t.ovf: line 2: a DTD (<!DOCTYPE>) is not allowed");
  doc_case ("<?xml version=\"1.0\"?>\n<html/>", "not an OVF descriptor");
  doc_case ("<Envelope xmlns=\"urn:other\"/>", "not an OVF descriptor");
  doc_case (HEAD "</Envelope>", "t.ovf: no VirtualSystem");
  doc_case (HEAD "<VirtualSystemCollection ovf:id=\"c\">"
            "<VirtualSystem ovf:id=\"a\"/><VirtualSystem ovf:id=\"b\"/>"
            "</VirtualSystemCollection></Envelope>",
            "t.ovf: 2 VirtualSystems (a vApp)");
}

/* An early VMware export leaves its elements without a namespace. */
TEST (unqualified_elements)
{
  const char *doc =
    "<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
    "<References><File ovf:href=\"d.vmdk\" ovf:id=\"f1\"/></References>"
    "<Section xsi:type=\"ovf:DiskSection_Type\"><Disk ovf:diskId=\"d1\" ovf:fileRef=\"f1\"/></Section>"
    "<Content ovf:id=\"old\" xsi:type=\"ovf:VirtualSystem_Type\">"
    "<Section xsi:type=\"ovf:VirtualHardwareSection_Type\">"
    "<Item><rasd:InstanceId>1</rasd:InstanceId><rasd:ResourceType>5</rasd:ResourceType></Item>"
    "<Item><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>/disk/d1</rasd:HostResource>"
    "<rasd:Parent>1</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent></Item>"
    "</Section></Content></ovf:Envelope>";
  struct ovf_vm *vm = ovf_parse (doc, strlen (doc), "old.ovf");

  CHECK (vm != NULL);
  if (vm) {
    CHECK_STR (vm->name, "old");
    CHECK_INT (vm->ndisks, 1);
    CHECK_STR (vm->disks[0].href, "d.vmdk");
    CHECK_STR (vm->disks[0].address, "ide0:0");
  }
  ovf_free (vm);
}

/* VirtualBox's own section: firmware, and the MACs of the enabled
 * adapters given to the NICs in order.
 */
TEST (vbox_machine)
{
  const char *doc = HEAD
    "<References><File ovf:href=\"d.vmdk\" ovf:id=\"f1\" ovf:compression=\"identity\"/></References>"
    "<VirtualSystem ovf:id=\"vb\"><VirtualHardwareSection>"
    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>20</rasd:ResourceType>"
    "<rasd:ResourceSubType>AHCI</rasd:ResourceSubType></Item>"
    "<Item><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>ovf:/file/f1</rasd:HostResource>"
    "<rasd:Parent>1</rasd:Parent><rasd:AddressOnParent>3</rasd:AddressOnParent></Item>"
    "<Item><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>virtio</rasd:ResourceSubType>"
    "<rasd:AutomaticAllocation>false</rasd:AutomaticAllocation></Item>"
    "<Item><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>VMXNET3 virtio</rasd:ResourceSubType></Item>"
    "</VirtualHardwareSection>"
    "<vbox:Machine xmlns:vbox=\"http://www.virtualbox.org/ovf/machine\"><Hardware>"
    "<Platform><Firmware type=\"EFI64\"/></Platform><Network>"
    "<Adapter slot=\"0\" enabled=\"false\" MACAddress=\"080027000000\"/>"
    "<Adapter slot=\"1\" enabled=\"true\" MACAddress=\"0800271C8694\"/>"
    "<Adapter slot=\"2\" enabled=\"true\" MACAddress=\"08-00-27-CE-31-44\"/>"
    "</Network></Hardware></vbox:Machine>"
    "</VirtualSystem></Envelope>";
  struct ovf_vm *vm = ovf_parse (doc, strlen (doc), "vb.ovf");

  CHECK (vm != NULL);
  if (vm == NULL)
    return;
  CHECK_STR (vm->firmware, "uefi");
  CHECK_INT (vm->ndisks, 1);
  CHECK_STR (vm->disks[0].href, "d.vmdk");
  CHECK (vm->disks[0].compression == NULL);
  CHECK (vm->disks[0].disk_id == NULL);
  CHECK_STR (vm->disks[0].address, "sata0:3");
  CHECK_INT (vm->nnics, 2);
  CHECK_STR (vm->nics[0].model, "virtio");
  CHECK_INT (vm->nics[0].connected, 0);
  CHECK_STR (vm->nics[0].mac, "08:00:27:1c:86:94");
  CHECK_STR (vm->nics[1].model, "vmxnet3");
  CHECK_STR (vm->nics[1].mac, "08:00:27:ce:31:44");
  ovf_free (vm);
}

TEST (safe_href)
{
  CHECK (ovf_safe_href ("disk1.vmdk"));
  CHECK (ovf_safe_href ("disks/disk1.vmdk"));
  CHECK (ovf_safe_href ("special char.s-in_name-disk1.vmdk"));
  CHECK (!ovf_safe_href (""));
  CHECK (!ovf_safe_href ("/abs.vmdk"));
  CHECK (!ovf_safe_href (".."));
  CHECK (!ovf_safe_href ("a/../b"));
  CHECK (!ovf_safe_href ("a//b"));
  CHECK (!ovf_safe_href ("file:///etc/passwd"));
  CHECK (!ovf_safe_href ("a\\b"));
  CHECK (!ovf_safe_href ("a\nb"));
}

int
main (void)
{
  RUN (corpus_all);
  RUN (cot_vmware);
  RUN (hardware_version);
  RUN (cot_ubuntu_2_0);
  RUN (cot_v0_9);
  RUN (govmomi_multi_controller);
  RUN (deployment_options);
  RUN (deployment_default);
  RUN (virt_v2v_expected);
  RUN (memory_units);
  RUN (disk_attachment);
  RUN (hostile);
  RUN (huge_text);
  RUN (broken_documents);
  RUN (unqualified_elements);
  RUN (vbox_machine);
  RUN (safe_href);
  return test_done ();
}
