/* h2k-convert: the libvirt domain XML for the converted VM.
 *
 * Written with libxml2's xmlTextWriter, which escapes every value; the
 * values taken from the manifest are also checked (UTF-8, no control
 * characters) so that the document is well-formed XML 1.0 and libvirt
 * accepts it.  See h2k-convert(1), "LIBVIRT DOMAIN XML", for the rules.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "publish.h"
#include "util.h"

#include "libvirt.h"

#define DEFAULT_MEMORY_MB 1024
#define DEFAULT_NETWORK "default"

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

int
libvirt_parse_bus (const char *s, enum libvirt_bus *bus)
{
  if (strcmp (s, "virtio-blk") == 0)
    *bus = LIBVIRT_BUS_VIRTIO_BLK;
  else if (strcmp (s, "virtio-scsi") == 0)
    *bus = LIBVIRT_BUS_VIRTIO_SCSI;
  else if (strcmp (s, "sata") == 0)
    *bus = LIBVIRT_BUS_SATA;
  else {
    h2k_error ("--bus %s: expected virtio-blk, virtio-scsi or sata", s);
    return -1;
  }
  return 0;
}

int
libvirt_windows_bus (json_object *m, struct libvirt_opts *o, int bus_given)
{
  static const char *const names[] = { "virtio-blk", "virtio-scsi", "sata" };
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
               "with 0x7B INACCESSIBLE_BOOT_DEVICE", names[o->bus], want, n - 1,
               names[o->bus]);
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

/* Values from the manifest -------------------------------------------------- */

/* S can go into XML 1.0 and libvirt: valid UTF-8, no control characters. */
static int
text_ok (const char *s)
{
  if (!xmlCheckUTF8 ((const xmlChar *) s))
    return 0;
  for (const unsigned char *p = (const unsigned char *) s; *p; ++p)
    if (*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

static int
check_text (const char *name, const char *path, const char *s)
{
  if (text_ok (s))
    return 0;
  h2k_error ("%s: %s: not valid UTF-8 text without control characters", name, path);
  return -1;
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int
libvirt_mac (const char *s, char out[18])
{
  unsigned char b[6];
  int sep = 0;

  for (int k = 0; k < 6; ++k) {
    int hi = hexval (s[0]), lo = hi >= 0 ? hexval (s[1]) : -1;

    if (lo < 0)
      return -1;
    b[k] = (unsigned char) (hi * 16 + lo);
    s += 2;
    if (k == 5)
      break;
    if (k == 0 && (*s == ':' || *s == '-'))
      sep = *s;
    if (sep) {
      if (*s != sep)
        return -1;
      s++;
    }
  }
  if (*s != '\0' || (b[0] & 1))
    return -1;
  snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
            b[0], b[1], b[2], b[3], b[4], b[5]);
  return 0;
}

/* The XML writer, with one error flag --------------------------------------- */

struct xw {
  xmlTextWriterPtr w;
  int err;
};

static void
x_start (struct xw *x, const char *name)
{
  if (!x->err && xmlTextWriterStartElement (x->w, BAD_CAST name) < 0)
    x->err = 1;
}

static void
x_end (struct xw *x)
{
  if (!x->err && xmlTextWriterEndElement (x->w) < 0)
    x->err = 1;
}

static void
x_attr (struct xw *x, const char *name, const char *val)
{
  if (!x->err && xmlTextWriterWriteAttribute (x->w, BAD_CAST name, BAD_CAST val) < 0)
    x->err = 1;
}

static void
x_attr_int (struct xw *x, const char *name, long long v)
{
  char buf[32];

  snprintf (buf, sizeof buf, "%lld", v);
  x_attr (x, name, buf);
}

static void
x_text (struct xw *x, const char *s)
{
  if (!x->err && xmlTextWriterWriteString (x->w, BAD_CAST s) < 0)
    x->err = 1;
}

/* <NAME>TEXT</NAME>, or <NAME/> when TEXT is NULL. */
static void
x_elem (struct xw *x, const char *name, const char *text)
{
  x_start (x, name);
  if (text)
    x_text (x, text);
  x_end (x);
}

/* <NAME A="V"/>, the most common shape. */
static void
x_elem_attr (struct xw *x, const char *name, const char *a, const char *v)
{
  x_start (x, name);
  x_attr (x, a, v);
  x_end (x);
}

/* The document ---------------------------------------------------------------- */

static int
is_windows (json_object *m)
{
  const char *type = h2k_json_get_string (h2k_json_get_object (m, "guest"), "type");

  return type && strcmp (type, "windows") == 0;
}

static const char *
guest_arch (json_object *m)
{
  const char *arch = h2k_json_get_string (h2k_json_get_object (m, "guest"), "arch");

  if (arch && (strcmp (arch, "i386") == 0 || strcmp (arch, "i686") == 0))
    return "i686";
  return "x86_64";
}

static void
write_os (struct xw *x, json_object *m, const struct libvirt_firmware *fw,
          const char *machine)
{
  x_start (x, "os");
  x_start (x, "type");
  x_attr (x, "arch", guest_arch (m));
  x_attr (x, "machine", machine);
  x_text (x, "hvm");
  x_end (x);
  if (fw->uefi) {
    x_start (x, "loader");
    x_attr (x, "readonly", "yes");
    x_attr (x, "secure", fw->secure ? "yes" : "no");
    x_attr (x, "type", "pflash");
    x_text (x, fw->loader);
    x_end (x);
    x_elem_attr (x, "nvram", "template", fw->vars);
  }
  x_elem_attr (x, "boot", "dev", "hd");
  x_end (x);
}

static void
write_features (struct xw *x, json_object *m, const struct libvirt_firmware *fw)
{
  static const char *const hv[] = {
    "relaxed", "vapic", "vpindex", "runtime", "synic", "stimer", "reset",
    "frequencies", NULL
  };

  x_start (x, "features");
  x_elem (x, "acpi", NULL);
  x_elem (x, "apic", NULL);
  if (is_windows (m)) {
    x_start (x, "hyperv");
    x_attr (x, "mode", "custom");
    for (size_t i = 0; hv[i]; ++i)
      x_elem_attr (x, hv[i], "state", "on");
    x_start (x, "spinlocks");
    x_attr (x, "state", "on");
    x_attr (x, "retries", "8191");
    x_end (x);
    x_end (x);
  }
  if (fw->secure)
    x_elem_attr (x, "smm", "state", "on");
  x_end (x);
}

static void
write_cpu (struct xw *x, json_object *vm, int64_t cpus)
{
  int64_t cores = h2k_json_get_int (vm, "cores_per_socket", 0);

  x_start (x, "cpu");
  x_attr (x, "mode", "host-passthrough");
  x_attr (x, "check", "none");
  x_attr (x, "migratable", "on");
  if (cores > 0 && cores <= cpus && cpus % cores == 0) {
    x_start (x, "topology");
    x_attr_int (x, "sockets", cpus / cores);
    x_attr (x, "dies", "1");
    x_attr_int (x, "cores", cores);
    x_attr (x, "threads", "1");
    x_end (x);
  }
  x_end (x);
}

static void
write_timer (struct xw *x, const char *name, const char *attr, const char *val)
{
  x_start (x, "timer");
  x_attr (x, "name", name);
  x_attr (x, attr, val);
  x_end (x);
}

static void
write_clock (struct xw *x, json_object *m)
{
  int win = is_windows (m);

  x_start (x, "clock");
  x_attr (x, "offset", win ? "localtime" : "utc");
  write_timer (x, "rtc", "tickpolicy", "catchup");
  write_timer (x, "pit", "tickpolicy", "delay");
  write_timer (x, "hpet", "present", "no");
  if (win)
    write_timer (x, "hypervclock", "present", "yes");
  x_end (x);
}

static void
write_head (struct xw *x, json_object *m, const struct libvirt_firmware *fw,
            const char *machine)
{
  json_object *vm = h2k_json_get_object (m, "vm");
  int64_t mem = h2k_json_get_int (vm, "memory_mb", DEFAULT_MEMORY_MB);
  int64_t cpus = h2k_json_get_int (vm, "cpus", 1);
  char buf[32];

  x_elem (x, "name", h2k_json_get_string (vm, "name"));
  snprintf (buf, sizeof buf, "%lld", (long long) mem);
  x_start (x, "memory");
  x_attr (x, "unit", "MiB");
  x_text (x, buf);
  x_end (x);
  x_start (x, "currentMemory");
  x_attr (x, "unit", "MiB");
  x_text (x, buf);
  x_end (x);
  snprintf (buf, sizeof buf, "%lld", (long long) cpus);
  x_start (x, "vcpu");
  x_attr (x, "placement", "static");
  x_text (x, buf);
  x_end (x);
  write_os (x, m, fw, machine);
  write_features (x, m, fw);
  write_cpu (x, vm, cpus);
  write_clock (x, m);
  x_elem (x, "on_poweroff", "destroy");
  x_elem (x, "on_reboot", "restart");
  x_elem (x, "on_crash", "destroy");
}

/* "vda", ..., "vdz", "vdaa", ...: libvirt's disk names. */
static void
disk_target (const char *prefix, size_t i, char *out, size_t len)
{
  char rev[8];
  size_t n = 0, k = i + 1;

  while (k > 0 && n < sizeof rev) {
    k--;
    rev[n++] = (char) ('a' + k % 26);
    k /= 26;
  }
  snprintf (out, len, "%s", prefix);
  for (size_t l = strlen (out); n > 0 && l + 1 < len; ++l) {
    out[l] = rev[--n];
    out[l + 1] = '\0';
  }
}

static int
write_disks (struct xw *x, json_object *m, const struct libvirt_opts *o,
             const char *name)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  const char *prefix = o->bus == LIBVIRT_BUS_VIRTIO_BLK ? "vd" : "sd";
  const char *bus = o->bus == LIBVIRT_BUS_VIRTIO_BLK ? "virtio" :
                    o->bus == LIBVIRT_BUS_VIRTIO_SCSI ? "scsi" : "sata";

  for (size_t i = 0; i < json_object_array_length (disks); ++i) {
    json_object *out = h2k_json_get_object (json_object_array_get_idx (disks, i), "output");
    const char *path = h2k_json_get_string (out, "path");
    char target[16], where[64];

    snprintf (where, sizeof where, "/disks/%zu/output/path", i);
    if (path == NULL) {
      h2k_error ("%s: %s: missing: the disk has not been converted", name, where);
      return -1;
    }
    if (check_text (name, where, path) == -1)
      return -1;
    disk_target (prefix, i, target, sizeof target);
    x_start (x, "disk");
    x_attr (x, "type", "file");
    x_attr (x, "device", "disk");
    x_start (x, "driver");
    x_attr (x, "name", "qemu");
    /* The schema allows only qcow2, raw and vdi, all libvirt names. */
    x_attr (x, "type", h2k_json_get_string (out, "format"));
    x_end (x);
    x_elem_attr (x, "source", "file", path);
    x_start (x, "target");
    x_attr (x, "dev", target);
    x_attr (x, "bus", bus);
    x_end (x);
    x_end (x);
  }
  if (o->bus == LIBVIRT_BUS_VIRTIO_SCSI) {
    x_start (x, "controller");
    x_attr (x, "type", "scsi");
    x_attr (x, "model", "virtio-scsi");
    x_end (x);
  }
  return 0;
}

static const struct libvirt_map *
find_map (const struct libvirt_opts *o, const char *network)
{
  for (size_t i = 0; network && i < o->nmaps; ++i)
    if (strcmp (o->maps[i].in, network) == 0)
      return &o->maps[i];
  return NULL;
}

static int
write_nic (struct xw *x, json_object *nic, size_t i,
           const struct libvirt_opts *o, const char *name)
{
  const struct libvirt_map *mp = find_map (o, h2k_json_get_string (nic, "network"));
  const char *mac = h2k_json_get_string (nic, "mac");
  char norm[18];

  if (mac && libvirt_mac (mac, norm) == -1) {
    h2k_error ("%s: /vm/nics/%zu/mac: \"%.64s\" is not a unicast MAC address",
               name, i, mac);
    return -1;
  }
  if (mp && !text_ok (mp->out)) {
    h2k_error ("--%s %s:...: not valid UTF-8 text without control characters",
               mp->bridge ? "bridge" : "network", mp->in);
    return -1;
  }
  x_start (x, "interface");
  x_attr (x, "type", mp && mp->bridge ? "bridge" : "network");
  if (mac)
    x_elem_attr (x, "mac", "address", norm);
  x_elem_attr (x, "source", mp && mp->bridge ? "bridge" : "network",
               mp ? mp->out : DEFAULT_NETWORK);
  x_elem_attr (x, "model", "type", "virtio");
  if (!h2k_json_get_bool (nic, "connected", 1))
    x_elem_attr (x, "link", "state", "down");
  x_end (x);
  return 0;
}

static int
write_nics (struct xw *x, json_object *m, const struct libvirt_opts *o,
            const char *name)
{
  json_object *nics = h2k_json_get_array (h2k_json_get_object (m, "vm"), "nics");

  for (size_t i = 0; nics && i < json_object_array_length (nics); ++i)
    if (write_nic (x, json_object_array_get_idx (nics, i), i, o, name) == -1)
      return -1;
  return 0;
}

static void
write_other_devices (struct xw *x)
{
  x_elem_attr (x, "controller", "type", "virtio-serial");
  x_start (x, "serial");
  x_attr (x, "type", "pty");
  x_elem_attr (x, "target", "port", "0");
  x_end (x);
  x_start (x, "console");
  x_attr (x, "type", "pty");
  x_start (x, "target");
  x_attr (x, "type", "serial");
  x_attr (x, "port", "0");
  x_end (x);
  x_end (x);
  x_start (x, "channel");
  x_attr (x, "type", "unix");
  x_start (x, "target");
  x_attr (x, "type", "virtio");
  x_attr (x, "name", "org.qemu.guest_agent.0");
  x_end (x);
  x_end (x);
  x_start (x, "graphics");
  x_attr (x, "type", "vnc");
  x_attr (x, "autoport", "yes");
  x_start (x, "listen");
  x_attr (x, "type", "address");
  x_attr (x, "address", "127.0.0.1");
  x_end (x);
  x_end (x);
  x_start (x, "video");
  x_elem_attr (x, "model", "type", "vga");
  x_end (x);
  x_elem_attr (x, "memballoon", "model", "virtio");
  x_start (x, "rng");
  x_attr (x, "model", "virtio");
  x_start (x, "backend");
  x_attr (x, "model", "random");
  x_text (x, "/dev/urandom");
  x_end (x);
  x_end (x);
}

static int
check_vm_name (json_object *m, const char *name)
{
  const char *vmname = h2k_json_get_string (h2k_json_get_object (m, "vm"), "name");

  if (vmname == NULL || vmname[0] == '\0' || strchr (vmname, '/')) {
    h2k_error ("%s: /vm/name: \"%.64s\" cannot be a libvirt domain name "
               "(empty or contains '/')", name, vmname ? vmname : "");
    return -1;
  }
  return check_text (name, "/vm/name", vmname);
}

/* The document; without WITH_DISKS the disks are left out (for
 * libvirt_check, before they exist).
 */
static int
build (json_object *m, const struct libvirt_opts *o,
       const struct libvirt_firmware *fw, const char *name, int with_disks,
       char **xml, size_t *len)
{
  xmlBufferPtr buf = NULL;
  struct xw x = { NULL, 0 };
  const char *why, *machine = libvirt_machine (m, &why);
  int r = -1;

  if (check_vm_name (m, name) == -1)
    goto out;
  buf = xmlBufferCreate ();
  x.w = buf ? xmlNewTextWriterMemory (buf, 0) : NULL;
  if (x.w == NULL) {
    h2k_error ("libxml2: cannot create the XML writer");
    goto out;
  }
  xmlTextWriterSetIndent (x.w, 1);
  xmlTextWriterSetIndentString (x.w, BAD_CAST "  ");
  x_start (&x, "domain");
  x_attr (&x, "type", "kvm");
  write_head (&x, m, fw, machine);
  x_start (&x, "devices");
  if ((with_disks && write_disks (&x, m, o, name) == -1) ||
      write_nics (&x, m, o, name) == -1)
    goto out;
  write_other_devices (&x);
  x_end (&x);
  x_end (&x);
  if (x.err || xmlTextWriterEndDocument (x.w) < 0) {
    h2k_error ("libxml2: writing the domain XML failed");
    goto out;
  }
  xmlFreeTextWriter (x.w);      /* flushes into buf */
  x.w = NULL;
  *len = (size_t) xmlBufferLength (buf);
  *xml = strndup ((const char *) xmlBufferContent (buf), *len);
  if (*xml == NULL) {
    h2k_error ("strndup: %m");
    goto out;
  }
  r = 0;
 out:
  if (x.w)
    xmlFreeTextWriter (x.w);
  if (buf)
    xmlBufferFree (buf);
  return r;
}

int
libvirt_build_xml (json_object *m, const struct libvirt_opts *o,
                   const struct libvirt_firmware *fw, const char *name,
                   char **xml, size_t *len)
{
  return build (m, o, fw, name, 1, xml, len);
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
  r = build (m, o, &fw, "<stdin>", 0, &xml, &len);
  if (r == 0) {
    warn_unused_maps (m, o);
    if (!json_object_object_get_ex (vm, "memory_mb", NULL))
      h2k_info ("%s: /vm/memory_mb not recorded: the domain gets %d MiB",
                "<stdin>", DEFAULT_MEMORY_MB);
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
