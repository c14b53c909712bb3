/* h2k-fetch: vmx_describe, pure: a parsed VMX (vmx.c) to the VM it
 * describes: disks and their controllers, NICs, CPUs, memory, firmware.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fetch.h"
#include "vmx.h"
#include "vmx-priv.h"

/* "NS.FIELD" */
static const char *
get_ns (const struct vmx *vmx, const char *ns, const char *field)
{
  char key[VMX_MAX_KEY + 1];

  if ((size_t) snprintf (key, sizeof key, "%s.%s", ns, field) >= sizeof key)
    return NULL;
  return vmx_get (vmx, key);
}

/* Booleans as VMware writes them: TRUE, true, True, FALSE... 1 or 0;
 * -1 if not a boolean.
 */
static int
parse_bool (const char *s)
{
  if (strcasecmp (s, "true") == 0 || strcasecmp (s, "yes") == 0 ||
      strcmp (s, "1") == 0)
    return 1;
  if (strcasecmp (s, "false") == 0 || strcasecmp (s, "no") == 0 ||
      strcmp (s, "0") == 0)
    return 0;
  return -1;
}

/* Is NS (e.g. "scsi0", "ethernet1") present?  Only an explicit FALSE
 * hides it, as in virt-v2v.
 */
static int
present (const struct vmx *vmx, const char *ns)
{
  const char *v = get_ns (vmx, ns, "present");

  return v == NULL || parse_bool (v) != 0;
}

/* A decimal integer in [MIN, MAX], or -1 reported as "NAME: KEY: ...". */
static int
get_int (const struct vmx *vmx, const char *name, const char *key,
         int64_t min, int64_t max, int64_t *out)
{
  const char *v = vmx_get (vmx, key);
  char *end;
  char buf[72];
  long long i;

  if (v == NULL)
    return 0;
  errno = 0;
  i = strtoll (v, &end, 10);
  while (*end == ' ' || *end == '\t')
    end++;
  if (errno || end == v || *end || i < min || i > max) {
    h2k_error ("%s: %s: \"%s\" is not an integer in [%" PRId64 ", %" PRId64 "]",
               name, key, vmx_printable (v, buf, sizeof buf), min, max);
    return -1;
  }
  *out = i;
  return 1;
}

static const char *const bus_names[] = { "scsi", "sata", "nvme", "ide" };

/* Parse "scsi0:1" (the namespace of KEY "scsi0:1.filename") into bus,
 * controller and unit.  0 if KEY is not a disk's fileName.
 */
static int
disk_address (const char *key, struct vmx_disk *d)
{
  for (size_t b = 0; b < sizeof bus_names / sizeof bus_names[0]; ++b) {
    size_t n = strlen (bus_names[b]);
    unsigned c, u;
    int end = 0;

    if (strncmp (key, bus_names[b], n) != 0 || !isdigit ((unsigned char) key[n]))
      continue;
    const char *colon = strchr (key + n, ':');
    if (colon == NULL || !isdigit ((unsigned char) colon[1]) ||
        sscanf (key + n, "%3u:%3u.filename%n", &c, &u, &end) != 2 ||
        end == 0 || key[n + end] != '\0')
      return 0;
    d->bus = (enum vmx_bus) b;
    d->bus_name = bus_names[b];
    d->controller = c;
    d->unit = u;
    snprintf (d->address, sizeof d->address, "%s%u:%u", bus_names[b], c, u);
    return 1;
  }
  return 0;
}

/* deviceType values that are hard disks.  Without a deviceType, a
 * fileName ending in .vmdk is a disk (VMware's default for hard disks).
 */
static int
is_hard_disk (const char *device_type, const char *file)
{
  static const char *const types[] = {
    "disk", "plaindisk", "rawdisk", "scsi-harddisk", "ata-harddisk",
    "sata-harddisk", "nvme-harddisk",
  };

  if (device_type == NULL)
    return h2k_ends_with_ci (file, ".vmdk");
  for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i)
    if (strcasecmp (device_type, types[i]) == 0)
      return 1;
  return 0;
}

static void
lowercase_copy (char *dst, size_t size, const char *src)
{
  size_t i;

  for (i = 0; src[i] && i + 1 < size; ++i)
    dst[i] = tolower ((unsigned char) src[i]);
  dst[i] = '\0';
}

static void
controller_model (const struct vmx *vmx, struct vmx_disk *d)
{
  char ns[32];
  const char *v;

  switch (d->bus) {
  case VMX_BUS_SCSI:
    snprintf (ns, sizeof ns, "scsi%u", d->controller);
    v = get_ns (vmx, ns, "virtualDev");
    lowercase_copy (d->controller_model, sizeof d->controller_model,
                    v && *v ? v : "lsilogic");
    break;
  case VMX_BUS_SATA:
    strcpy (d->controller_model, "ahci");
    break;
  case VMX_BUS_NVME:
    strcpy (d->controller_model, "nvme");
    break;
  case VMX_BUS_IDE:
    strcpy (d->controller_model, "ide");
    break;
  }
}

static int
compare_disks (const void *a, const void *b)
{
  const struct vmx_disk *x = a, *y = b;

  if (x->bus != y->bus)
    return x->bus < y->bus ? -1 : 1;
  if (x->controller != y->controller)
    return x->controller < y->controller ? -1 : 1;
  return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int
find_disks (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  for (size_t i = 0; i < vmx->n; ++i) {
    struct vmx_disk d = { 0 };
    char ctl[32];

    if (!disk_address (vmx->e[i].key, &d))
      continue;
    d.file = vmx->e[i].value;
    snprintf (ctl, sizeof ctl, "%s%u", d.bus_name, d.controller);
    if (!present (vmx, d.address) || !present (vmx, ctl)) {
      h2k_debug ("%s: %s not present, skipped", name, d.address);
      continue;
    }
    if (!is_hard_disk (get_ns (vmx, d.address, "deviceType"), d.file)) {
      h2k_debug ("%s: %s is not a hard disk, skipped", name, d.address);
      continue;
    }
    if (d.file[0] == '\0') {
      h2k_error ("%s: %s.fileName: empty file name", name, d.address);
      return -1;
    }
    if (vm->ndisks >= VMX_MAX_DISKS) {
      h2k_error ("%s: %s: too many disks (more than %d)",
                 name, d.address, VMX_MAX_DISKS);
      return -1;
    }
    controller_model (vmx, &d);
    vm->disks[vm->ndisks++] = d;
  }
  qsort (vm->disks, vm->ndisks, sizeof vm->disks[0], compare_disks);
  return 0;
}

/* "00:50:56:AB:cd:0f" -> lowercase into MAC; 0 if malformed or zero. */
static int
parse_mac (const char *s, char mac[18])
{
  unsigned b[6];
  int n = 0;

  if (strlen (s) != 17 ||
      sscanf (s, "%2x:%2x:%2x:%2x:%2x:%2x%n",
              &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 || n != 17)
    return 0;
  for (int i = 2; i < 17; i += 3)
    if (s[i] != ':')
      return 0;
  if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
    return 0;
  snprintf (mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
            b[0], b[1], b[2], b[3], b[4], b[5]);
  return 1;
}

/* Which ethernetN appear at all (any key "ethernetN.something")? */
static int
nic_index (const char *key, unsigned *index)
{
  int end = 0;

  if (strncmp (key, "ethernet", 8) != 0 || !isdigit ((unsigned char) key[8]))
    return 0;
  if (sscanf (key + 8, "%3u%n", index, &end) != 1 || key[8 + end] != '.')
    return 0;
  return 1;
}

static int
describe_nic (const struct vmx *vmx, const char *name, struct vmx_nic *nic)
{
  const char *type = get_ns (vmx, nic->id, "addressType");
  const char *addr = get_ns (vmx, nic->id, "address");
  const char *gen = get_ns (vmx, nic->id, "generatedAddress");
  const char *dev = get_ns (vmx, nic->id, "virtualDev");
  const char *sc = get_ns (vmx, nic->id, "startConnected");
  const char *mac;
  char buf[72];

  /* addressType static: "address"; generated or vpx: "generatedAddress". */
  if (type && strcasecmp (type, "static") == 0)
    mac = addr ? addr : gen;
  else
    mac = gen ? gen : addr;
  if (mac && !parse_mac (mac, nic->mac)) {
    /* 00:00:00:00:00:00: not assigned yet (NSX assigns it at power on). */
    if (strcmp (mac, "00:00:00:00:00:00") == 0)
      h2k_debug ("%s: %s: no MAC address assigned", name, nic->id);
    else
      h2k_warning ("%s: %s: MAC address \"%s\" ignored", name, nic->id,
                   vmx_printable (mac, buf, sizeof buf));
  }
  if (dev && *dev)
    lowercase_copy (nic->model, sizeof nic->model, dev);
  nic->network = get_ns (vmx, nic->id, "networkName");
  nic->connection_type = get_ns (vmx, nic->id, "connectionType");
  nic->connected = 1;
  if (sc && parse_bool (sc) == 0)
    nic->connected = 0;
  return 0;
}

static int
find_nics (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  unsigned last = UINT32_MAX;

  /* Keys are sorted, but "ethernet10." sorts before "ethernet2.": collect
   * the distinct indexes, then sort them.
   */
  for (size_t i = 0; i < vmx->n; ++i) {
    unsigned index;
    int seen = 0;

    if (!nic_index (vmx->e[i].key, &index) || index == last)
      continue;
    last = index;
    for (size_t j = 0; j < vm->nnics; ++j)
      seen |= vm->nics[j].index == index;
    if (seen)
      continue;
    if (vm->nnics >= VMX_MAX_NICS) {
      h2k_error ("%s: ethernet%u: too many network interfaces (more than %d)",
                 name, index, VMX_MAX_NICS);
      return -1;
    }
    struct vmx_nic *nic = &vm->nics[vm->nnics];
    memset (nic, 0, sizeof *nic);
    nic->index = index;
    snprintf (nic->id, sizeof nic->id, "ethernet%u", index);
    if (!present (vmx, nic->id))
      continue;
    if (describe_nic (vmx, name, nic) == -1)
      return -1;
    vm->nnics++;
  }
  for (size_t i = 1; i < vm->nnics; ++i)       /* few: insertion sort */
    for (size_t j = i; j > 0 && vm->nics[j - 1].index > vm->nics[j].index; --j) {
      struct vmx_nic t = vm->nics[j];
      vm->nics[j] = vm->nics[j - 1];
      vm->nics[j - 1] = t;
    }
  return 0;
}

static int
describe_cpu_memory (const struct vmx *vmx, const char *name,
                     struct vmx_vm *vm)
{
  int64_t i;
  int r;

  vm->memory_mb = 32;           /* VMware's default, as virt-v2v notes */
  vm->memory_default = 1;
  if ((r = get_int (vmx, name, "memsize", 1, INT64_C (1) << 32, &i)) == -1)
    return -1;
  if (r) {
    vm->memory_mb = i;
    vm->memory_default = 0;
  }
  vm->cpus = 1;
  if ((r = get_int (vmx, name, "numvcpus", 1, 4096, &i)) == -1)
    return -1;
  if (r)
    vm->cpus = (int) i;
  if ((r = get_int (vmx, name, "cpuid.coresPerSocket", 1, 4096, &i)) == -1)
    return -1;
  if (r)
    vm->cores_per_socket = (int) i;
  return 0;
}

static int
describe_firmware (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  const char *fw = vmx_get (vmx, "firmware");
  const char *sb = vmx_get (vmx, "uefi.secureBoot.enabled");
  char buf[72];

  vm->firmware = "bios";
  if (fw && strcasecmp (fw, "efi") == 0)
    vm->firmware = "uefi";
  else if (fw && *fw && strcasecmp (fw, "bios") != 0)
    h2k_warning ("%s: firmware: unknown value \"%s\", assuming BIOS",
                 name, vmx_printable (fw, buf, sizeof buf));
  vm->secure_boot = -1;
  if (sb) {
    vm->secure_boot = parse_bool (sb);
    if (vm->secure_boot == -1) {
      h2k_error ("%s: uefi.secureBoot.enabled: \"%s\" is not TRUE or FALSE",
                 name, vmx_printable (sb, buf, sizeof buf));
      return -1;
    }
  }
  return 0;
}

void
vmx_vm_free (struct vmx_vm *vm)
{
  free (vm->disks);
  free (vm->nics);
  vm->disks = NULL;
  vm->nics = NULL;
  vm->ndisks = vm->nnics = 0;
}

int
vmx_describe (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  memset (vm, 0, sizeof *vm);
  vm->disks = calloc (VMX_MAX_DISKS, sizeof vm->disks[0]);
  vm->nics = calloc (VMX_MAX_NICS, sizeof vm->nics[0]);
  if (vm->disks == NULL || vm->nics == NULL) {
    h2k_error ("%s: %m", name);
    goto fail;
  }
  vm->name = vmx_get (vmx, "displayName");
  if (vm->name && vm->name[0] == '\0')
    vm->name = NULL;
  vm->hardware_version = vmx_get (vmx, "virtualHW.version");
  vm->guest_os = vmx_get (vmx, "guestOS");
  if (describe_cpu_memory (vmx, name, vm) == -1 ||
      describe_firmware (vmx, name, vm) == -1 ||
      find_disks (vmx, name, vm) == -1 ||
      find_nics (vmx, name, vm) == -1)
    goto fail;
  return 0;
 fail:
  vmx_vm_free (vm);
  return -1;
}
