/* h2k-convert: the libvirt domain XML for the converted VM: options,
 * decisions from the manifest (machine, firmware), and the checks before
 * and the publishing after converting.  The document itself is written
 * by libvirt-xml.c.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "manifest.h"
#include "publish.h"
#include "util.h"

#include "libvirt.h"
#include "libvirt-priv.h"

/* libvirt_add_map, libvirt_parse_bus -------------------------------------- */

void
libvirt_opts_free (struct libvirt_opts *o)
{
  for (size_t i = 0; i < o->nmaps; ++i) {
    free (o->maps[i].in);
    free (o->maps[i].out);
  }
  free (o->maps);
  o->maps = NULL;
  o->nmaps = 0;
}

int
libvirt_add_map (struct libvirt_opts *o, const char *opt, const char *arg)
{
  const char *colon = strrchr (arg, ':');
  struct libvirt_map *maps, *mp;

  if (colon == NULL || colon == arg || colon[1] == '\0') {
    h2k_error ("--%s %s: expected SOURCE-NETWORK:%s", opt, arg,
               strcmp (opt, "bridge") == 0 ? "BRIDGE" : "NETWORK");
    return -1;
  }
  for (size_t i = 0; i < o->nmaps; ++i) {
    if (strlen (o->maps[i].in) == (size_t) (colon - arg) &&
        strncmp (o->maps[i].in, arg, colon - arg) == 0) {
      h2k_error ("--%s %s: source network \"%s\" is already mapped", opt,
                 arg, o->maps[i].in);
      return -1;
    }
  }
  maps = realloc (o->maps, (o->nmaps + 1) * sizeof *maps);
  if (maps == NULL) {
    h2k_error ("realloc: %m");
    return -1;
  }
  o->maps = maps;
  mp = &maps[o->nmaps];
  mp->in = strndup (arg, colon - arg);
  mp->out = strdup (colon + 1);
  mp->bridge = strcmp (opt, "bridge") == 0;
  if (mp->in == NULL || mp->out == NULL) {
    free (mp->in);
    free (mp->out);
    h2k_error ("strdup: %m");
    return -1;
  }
  o->nmaps++;
  return 0;
}

/* Each bus's name, as --bus and config-schema.c's convert.bus spell it. */
static const char *const bus_names[] = {
  [LIBVIRT_BUS_VIRTIO_BLK] = "virtio-blk",
  [LIBVIRT_BUS_VIRTIO_SCSI] = "virtio-scsi",
  [LIBVIRT_BUS_SATA] = "sata",
};

int
libvirt_parse_bus (const char *s, enum libvirt_bus *bus)
{
  /* The accepted names are the schema's; each maps to its bus. */
  for (size_t i = 0; h2k_config_is_choice ("convert", "bus", s) &&
                     i < sizeof bus_names / sizeof bus_names[0]; ++i)
    if (strcmp (s, bus_names[i]) == 0) {
      *bus = (enum libvirt_bus) i;
      return 0;
    }
  h2k_error ("--bus %s: expected virtio-blk, virtio-scsi or sata", s);
  return -1;
}

int
libvirt_windows_bus (json_object *m, struct libvirt_opts *o, int bus_given)
{
  json_object *ph = h2k_json_get_array (h2k_json_get_object (m, "windows_boot"), "phases");
  size_t n = ph ? json_object_array_length (ph) : 0;
  const char *want = n ? h2k_json_get_string (json_object_array_get_idx (ph, n - 1),
                                              "system_bus") : NULL;
  enum libvirt_bus b;

  if (want == NULL)
    return 0;
  if (strcmp (want, "virtio-blk") == 0)
    b = LIBVIRT_BUS_VIRTIO_BLK;
  else if (strcmp (want, "virtio-scsi") == 0)
    b = LIBVIRT_BUS_VIRTIO_SCSI;
  else {
    h2k_error ("<stdin>: /windows_boot/phases/%zu/system_bus: \"%s\": expected "
               "virtio-blk or virtio-scsi", n - 1, want);
    return -1;
  }
  if (bus_given && b != o->bus) {
    h2k_error ("--bus %s: h2k-fix-windows made this Windows boot from %s "
               "(<stdin>: /windows_boot/phases/%zu/system_bus): on %s it would stop "
               "with 0x7B INACCESSIBLE_BOOT_DEVICE", bus_names[o->bus], want, n - 1,
               bus_names[o->bus]);
    return -1;
  }
  o->bus = b;
  return 0;
}

/* Decisions from the manifest --------------------------------------------- */

/* The major number of the newest kernel in guest.kernels[], or -1. */
static long
newest_kernel_major (json_object *guest)
{
  json_object *ks = h2k_json_get_array (guest, "kernels");
  long best = -1;

  for (size_t i = 0; ks && i < json_object_array_length (ks); ++i) {
    const char *v = h2k_json_get_string (json_object_array_get_idx (ks, i), "version");
    char *end;
    long major;

    if (v == NULL)
      continue;
    errno = 0;
    major = strtol (v, &end, 10);
    if (errno == 0 && end != v && *end == '.' && major > best)
      best = major;
  }
  return best;
}

const char *
libvirt_machine (json_object *m, const char **why)
{
  json_object *vm = h2k_json_get_object (m, "vm");
  json_object *guest = h2k_json_get_object (m, "guest");
  const char *type = h2k_json_get_string (guest, "type");
  int64_t major = h2k_json_get_int (guest, "major_version", -1);

  if (h2k_json_get_bool (vm, "secure_boot", 0)) {
    *why = "secure boot needs q35";
    return "q35";
  }
  if (type && strcmp (type, "windows") == 0 && major >= 0 && major < 6) {
    *why = "Windows NT 5.x (XP, 2003) is too old for q35";
    return "pc";
  }
  if (type && strcmp (type, "linux") == 0) {
    long k = newest_kernel_major (guest);

    if (k >= 0 && k < 3) {
      *why = "its newest Linux kernel is older than 3.0, too old for q35";
      return "pc";
    }
  }
  *why = "the default";
  return "q35";
}

/* vm.firmware when it says bios or uefi, else what the disks are set up
 * for (guest.firmware.kind: uefi; bios and both boot with SeaBIOS).
 */
static int
wants_uefi (json_object *m)
{
  const char *vmfw = h2k_json_get_string (h2k_json_get_object (m, "vm"), "firmware");
  const char *kind = h2k_json_get_string (h2k_json_get_object (h2k_json_get_object (m, "guest"),
                                                               "firmware"), "kind");

  if (vmfw && strcmp (vmfw, "uefi") == 0)
    return 1;
  if (vmfw && strcmp (vmfw, "bios") == 0)
    return 0;
  return kind && strcmp (kind, "uefi") == 0;
}

/* OVMF code and variables templates that belong together, best first
 * (Debian 12's names).
 */
static const struct {
  const char *code, *vars;
  int secure;
} ovmf_pairs[] = {
  { "OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd", 1 },
  { "OVMF_CODE_4M.secboot.fd", "OVMF_VARS_4M.ms.fd", 1 },
  { "OVMF_CODE.ms.fd", "OVMF_VARS.ms.fd", 1 },
  { "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd", 0 },
  { "OVMF_CODE.fd", "OVMF_VARS.fd", 0 },
};

void
libvirt_firmware_free (struct libvirt_firmware *fw)
{
  free (fw->loader);
  free (fw->vars);
  fw->loader = fw->vars = NULL;
}

static int
find_ovmf (const char *dir, struct libvirt_firmware *fw)
{
  for (size_t i = 0; i < sizeof ovmf_pairs / sizeof ovmf_pairs[0]; ++i) {
    CLEANUP_FREE char *code = NULL, *vars = NULL;

    if (ovmf_pairs[i].secure != fw->secure)
      continue;
    code = h2k_path_join (dir, ovmf_pairs[i].code);
    vars = h2k_path_join (dir, ovmf_pairs[i].vars);
    if (code == NULL || vars == NULL)
      return -1;
    if (access (code, R_OK) == 0 && access (vars, R_OK) == 0) {
      fw->loader = code;
      fw->vars = vars;
      code = vars = NULL;
      return 0;
    }
  }
  h2k_error ("%s: no OVMF firmware%s found (code and variables template, "
             "e.g. %s and %s): install the ovmf package", dir,
             fw->secure ? " with secure boot" : "",
             fw->secure ? ovmf_pairs[0].code : ovmf_pairs[3].code,
             fw->secure ? ovmf_pairs[0].vars : ovmf_pairs[3].vars);
  return -1;
}

int
libvirt_firmware (json_object *m, const char *dir, struct libvirt_firmware *fw)
{
  json_object *vm = h2k_json_get_object (m, "vm");

  fw->loader = fw->vars = NULL;
  fw->uefi = wants_uefi (m);
  fw->secure = fw->uefi && h2k_json_get_bool (vm, "secure_boot", 0);
  if (!fw->uefi)
    return 0;
  return find_ovmf (dir, fw);
}

/* Before and after converting ---------------------------------------------- */

/* An existing file is replaced only with --force, and only if regular. */
static int
check_dest (const char *dest, int force)
{
  struct stat st;

  if (lstat (dest, &st) == -1) {
    if (errno == ENOENT)
      return 0;
    h2k_error ("%s: %m", dest);
    return -1;
  }
  if (!force) {
    h2k_error ("%s: libvirt XML exists (use --force to overwrite it)", dest);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: libvirt XML exists and is not a regular file", dest);
    return -1;
  }
  return 0;
}

static void
warn_unused_maps (json_object *m, const struct libvirt_opts *o)
{
  json_object *nics = h2k_json_get_array (h2k_json_get_object (m, "vm"), "nics");

  for (size_t i = 0; i < o->nmaps; ++i) {
    int used = 0;

    for (size_t k = 0; nics && k < json_object_array_length (nics); ++k) {
      const char *net = h2k_json_get_string (json_object_array_get_idx (nics, k), "network");
      used |= net && strcmp (net, o->maps[i].in) == 0;
    }
    if (!used)
      h2k_warning ("--%s %s:%s: no NIC of the VM is on source network \"%s\"",
                   o->maps[i].bridge ? "bridge" : "network", o->maps[i].in,
                   o->maps[i].out, o->maps[i].in);
  }
}

int
libvirt_check (json_object *m, const struct libvirt_opts *o, int force,
               int dry_run)
{
  json_object *vm = h2k_json_get_object (m, "vm");
  CLEANUP_FREE char *dest = h2k_absolute_path (o->path);
  CLEANUP_FREE char *xml = NULL;
  struct libvirt_firmware fw;
  const char *why, *machine = libvirt_machine (m, &why);
  size_t len;
  int r;

  if (dest == NULL || check_dest (dest, force) == -1 ||
      libvirt_firmware (m, o->ovmf_dir, &fw) == -1)
    return -1;
  r = libvirt_build_doc (m, o, &fw, "<stdin>", 0, &xml, &len);
  if (r == 0) {
    warn_unused_maps (m, o);
    if (!json_object_object_get_ex (vm, "memory_mb", NULL))
      h2k_info ("%s: /vm/memory_mb not recorded: the domain gets %d MiB",
                "<stdin>", LIBVIRT_DEFAULT_MEMORY_MB);
    h2k_debug ("machine %s (%s), %s%s", machine, why,
               fw.uefi ? "OVMF " : "SeaBIOS", fw.uefi ? fw.loader : "");
    if (dry_run)
      h2k_info ("dry run: would write the libvirt domain XML to %s "
                "(machine %s, %s%s)", dest, machine,
                fw.uefi ? "UEFI" : "BIOS", fw.secure ? " with secure boot" : "");
  }
  libvirt_firmware_free (&fw);
  return r;
}

static int
append_published (char ***published, const char *path)
{
  size_t n = 0;
  char **v;

  while (*published && (*published)[n])
    n++;
  v = realloc (*published, (n + 2) * sizeof *v);
  if (v == NULL) {
    h2k_error ("realloc: %m");
    return -1;
  }
  *published = v;
  v[n] = strdup (path);
  v[n + 1] = NULL;
  if (v[n] == NULL) {
    h2k_error ("strdup: %m");
    return -1;
  }
  return 0;
}

static int
write_xml (json_object *m, const struct libvirt_opts *o, const char *dest,
           int force)
{
  CLEANUP_FREE char *xml = NULL, *dir = h2k_dirname (dest);
  struct libvirt_firmware fw;
  size_t len;
  int r = -1;

  if (dir == NULL || libvirt_firmware (m, o->ovmf_dir, &fw) == -1)
    return -1;
  if (libvirt_build_xml (m, o, &fw, "<stdin>", &xml, &len) == 0 &&
      h2k_mkdir_p (dir) == 0 && check_dest (dest, force) == 0 &&
      h2k_publish_buffer (dest, xml, len) == 0)
    r = 0;
  libvirt_firmware_free (&fw);
  return r;
}

int
libvirt_publish (json_object *m, const struct libvirt_opts *o, int force,
                 char ***published)
{
  CLEANUP_FREE char *dest = h2k_absolute_path (o->path);

  if (dest == NULL || write_xml (m, o, dest, force) == -1)
    return -1;
  if (h2k_json_set_string (m, "libvirt_xml", dest) == -1 ||
      append_published (published, dest) == -1) {
    if (unlink (dest) == -1)
      h2k_warning ("%s: could not remove it again: %m", dest);
    return -1;
  }
  h2k_info ("libvirt domain XML: %s", dest);
  return 0;
}
