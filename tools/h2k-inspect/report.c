/* h2k-inspect: --format table, the inventory as an admin reads it.
 *
 * Renders what the manifest already holds (vm, disks, guest): it never
 * looks at the guest itself, so it works as well on a manifest inspected
 * earlier.  Absent values print as "-".
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "report.h"
#include "inspect.h"

static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

static const char *
str (json_object *o, const char *key)
{
  return h2k_json_get_string (o, key);
}

/* Join the strings of ARR with SEP into a new string ("" when empty). */
static char *
join (json_object *arr, const char *sep)
{
  char *buf = NULL;
  size_t len = 0, n = arr ? json_object_array_length (arr) : 0;
  FILE *fp = open_memstream (&buf, &len);

  if (fp == NULL) {
    h2k_error ("open_memstream: %m");
    return NULL;
  }
  for (size_t i = 0; i < n; ++i)
    fprintf (fp, "%s%s", i ? sep : "",
             json_object_get_string (json_object_array_get_idx (arr, i)));
  if (fclose (fp) != 0) {
    free (buf);
    h2k_error ("%m");
    return NULL;
  }
  return buf;
}

/* "FILE:LINE", "FILE", or NULL. */
static char *
where (json_object *o, const char *file_key)
{
  const char *file = str (o, file_key);
  int64_t line = h2k_json_get_int (o, "line", 0);
  char *s = NULL;

  if (file == NULL)
    return NULL;
  if (line > 0 ? asprintf (&s, "%s:%" PRId64, file, line) == -1
               : (s = strdup (file)) == NULL)
    h2k_error ("%m");
  return s;
}

static int
print_os (FILE *fp, json_object *m, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (2);
  json_object *bl = h2k_json_get_object (guest, "bootloader");
  json_object *cmdline = h2k_json_get_object (bl, "cmdline");
  CLEANUP_FREE char *version = NULL, *os = NULL, *boot = NULL;
  int64_t major = h2k_json_get_int (guest, "major_version", -1);
  int64_t minor = h2k_json_get_int (guest, "minor_version", 0);
  const char *root = str (cmdline, "root");

  if (t == NULL ||
      (major >= 0 &&
       asprintf (&version, "%" PRId64 ".%" PRId64, major, minor) == -1) ||
      asprintf (&os, "%s %s %s (%s)", str (guest, "type") ?: "-",
                str (guest, "distro") ?: "-", version ?: "-",
                str (guest, "arch") ?: "-") == -1 ||
      asprintf (&boot, "%s%s%s", str (bl, "kind") ?: "-",
                root ? ", root=" : "", root ?: "") == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_table_add (t, (const char *[]) { "VM", str (h2k_json_get_object (m, "vm"), "name") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "OS", os }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Product", str (guest, "product") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Hostname", str (guest, "hostname") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Root", str (guest, "root") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Firmware", str (h2k_json_get_object (guest, "firmware"), "kind") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Bootloader", boot }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Init", str (guest, "init_system") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Initramfs", str (guest, "initramfs_tool") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "Packages", str (guest, "package_manager") }) == -1 ||
      h2k_table_add (t, (const char *[]) { "SELinux", str (guest, "selinux") }) == -1)
    return -1;
  h2k_table_print (t, fp, "");
  return 0;
}

/* Print a section: its title, then T (or "  none"). */
static void
section (FILE *fp, const char *title, const struct h2k_table *t)
{
  fprintf (fp, "\n%s\n", title);
  if (h2k_table_rows (t) > 1)
    h2k_table_print (t, fp, "  ");
  else
    fputs ("  none\n", fp);
}

static int
print_disks (FILE *fp, json_object *m)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (5);
  json_object *disks = h2k_json_get_array (m, "disks");
  size_t n = disks ? json_object_array_length (disks) : 0;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "ID", "BUS", "FORMAT", "SIZE", "SOURCE" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *d = json_object_array_get_idx (disks, i);
    json_object *src = h2k_json_get_object (d, "source");
    int64_t size = h2k_json_get_int (src, "virtual_size", -1);
    char hs[H2K_HUMAN_SIZE_LEN];

    if (h2k_table_add (t, (const char *[]) {
          str (d, "id"), str (d, "bus"), str (src, "format"),
          size >= 0 ? h2k_human_size (hs, (uint64_t) size) : NULL,
          str (src, "path") }) == -1)
      return -1;
  }
  section (fp, "Disks", t);
  return 0;
}

/* The mountpoint of DEVICE in guest.mountpoints, or NULL. */
static const char *
mountpoint_of (json_object *guest, const char *device)
{
  json_object *mps = h2k_json_get_array (guest, "mountpoints");
  size_t n = mps ? json_object_array_length (mps) : 0;

  for (size_t i = 0; device && i < n; ++i) {
    json_object *mp = json_object_array_get_idx (mps, i);
    const char *dev = str (mp, "device");
    if (dev && strcmp (dev, device) == 0)
      return str (mp, "mountpoint");
  }
  return NULL;
}

static int
print_filesystems (FILE *fp, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (6);
  json_object *fss = h2k_json_get_array (guest, "filesystems");
  size_t n = fss ? json_object_array_length (fss) : 0;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "DEVICE", "DISK", "TYPE", "MOUNTPOINT", "LABEL", "UUID" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *fs = json_object_array_get_idx (fss, i);
    const char *dev = str (fs, "device");

    if (h2k_table_add (t, (const char *[]) {
          dev, str (fs, "disk_id"), str (fs, "fstype"),
          mountpoint_of (guest, dev), str (fs, "label"), str (fs, "uuid") }) == -1)
      return -1;
  }
  section (fp, "Filesystems", t);
  return 0;
}

static int
print_kernels (FILE *fp, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (6);
  json_object *ks = h2k_json_get_array (guest, "kernels");
  size_t n = ks ? json_object_array_length (ks) : 0;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "KERNEL", "INITRAMFS", "VIRTIO_PCI", "VIRTIO_BLK", "VIRTIO_SCSI", "VIRTIO_NET" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *k = json_object_array_get_idx (ks, i);
    json_object *v = h2k_json_get_object (k, "virtio");
    const char *row[6] = { str (k, "version"), str (k, "initramfs") };

    for (size_t j = 0; virtio_modules[j]; ++j)
      row[2 + j] = str (v, virtio_modules[j]);
    if (h2k_table_add (t, row) == -1)
      return -1;
  }
  section (fp, "Kernels (virtio drivers: builtin, initramfs, module = installed but not in the initramfs, missing)", t);
  return 0;
}

static int
add_interface (struct h2k_table *t, json_object *nic)
{
  CLEANUP_FREE char *addrs = join (h2k_json_get_array (nic, "addresses"), ",");
  CLEANUP_FREE char *config = where (nic, "file");
  CLEANUP_FREE char *pin = NULL;
  const char *mac = str (nic, "mac_pin"), *src = str (nic, "mac_pin_source");

  if (addrs == NULL ||
      (mac && asprintf (&pin, "%s (%s)", mac, src ?: "?") == -1)) {
    h2k_error ("%m");
    return -1;
  }
  return h2k_table_add (t, (const char *[]) {
      str (nic, "name"), str (nic, "method"), addrs[0] ? addrs : NULL,
      str (nic, "gateway"), pin, str (nic, "backend"), config });
}

static int
print_network (FILE *fp, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (7);
  json_object *ifs = h2k_json_get_array (h2k_json_get_object (guest, "network"), "interfaces");
  size_t n = ifs ? json_object_array_length (ifs) : 0;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "NAME", "METHOD", "ADDRESSES", "GATEWAY", "MAC PIN", "BACKEND", "CONFIG" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (add_interface (t, json_object_array_get_idx (ifs, i)) == -1)
      return -1;
  section (fp, "Network interfaces", t);
  return 0;
}

static int
print_tools (FILE *fp, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (4);
  json_object *tools = h2k_json_get_array (guest, "hypervisor_tools");
  size_t n = tools ? json_object_array_length (tools) : 0;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "NAME", "HYPERVISOR", "KIND", "VERSION" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *x = json_object_array_get_idx (tools, i);
    if (h2k_table_add (t, (const char *[]) {
          str (x, "name"), str (x, "hypervisor"), str (x, "kind"), str (x, "version") }) == -1)
      return -1;
  }
  section (fp, "Hypervisor tools", t);
  return 0;
}

static int
print_risks (FILE *fp, json_object *guest)
{
  struct h2k_table *t CLEANUP_TABLE = h2k_table_new (4);
  json_object *risks = h2k_json_get_array (guest, "risks");
  size_t n = risks ? json_object_array_length (risks) : 0, errors = 0;
  CLEANUP_FREE char *title = NULL;

  if (t == NULL ||
      h2k_table_add (t, (const char *[]) { "SEVERITY", "CODE", "WHERE", "MESSAGE" }) == -1)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    json_object *r = json_object_array_get_idx (risks, i);
    CLEANUP_FREE char *w = where (r, "path");
    const char *sev = str (r, "severity");

    if (sev && strcmp (sev, "error") == 0)
      errors++;
    if (h2k_table_add (t, (const char *[]) {
          sev, str (r, "code"), w, str (r, "message") }) == -1)
      return -1;
  }
  if (asprintf (&title, "Risks (%zu: %zu error%s, %zu other)", n, errors,
                errors == 1 ? "" : "s", n - errors) == -1) {
    h2k_error ("%m");
    return -1;
  }
  section (fp, title, t);
  return 0;
}

int
inspect_render_table (FILE *fp, json_object *m, const void *opaque)
{
  json_object *guest = h2k_json_get_object (m, "guest");

  (void) opaque;
  if (guest == NULL) {
    h2k_error ("<stdin>: /guest: missing: nothing inspected to report");
    return -1;
  }
  if (print_os (fp, m, guest) == -1 || print_disks (fp, m) == -1 ||
      print_filesystems (fp, guest) == -1 || print_kernels (fp, guest) == -1 ||
      print_network (fp, guest) == -1 || print_tools (fp, guest) == -1 ||
      print_risks (fp, guest) == -1)
    return -1;
  return 0;
}
