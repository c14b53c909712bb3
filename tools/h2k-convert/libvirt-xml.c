/* h2k-convert: the libvirt domain XML document: values checked from the
 * manifest, an xmlTextWriter with one error flag, and the document's
 * parts (os, features, cpu, clock, disks, NICs, other devices).
 *
 * Written with libxml2's xmlTextWriter, which escapes every value; the
 * values taken from the manifest are also checked (UTF-8, no control
 * characters) so that the document is well-formed XML 1.0 and libvirt
 * accepts it.  See h2k-convert(1), "LIBVIRT DOMAIN XML", for the rules.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

#include "error.h"
#include "manifest.h"
#include "util.h"

#include "libvirt.h"
#include "libvirt-priv.h"

#define DEFAULT_NETWORK "default"

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


int
libvirt_mac (const char *s, char out[18])
{
  unsigned char b[6];
  int sep = 0;

  for (int k = 0; k < 6; ++k) {
    int hi = h2k_hexval (s[0]), lo = hi >= 0 ? h2k_hexval (s[1]) : -1;

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
  int64_t mem = h2k_json_get_int (vm, "memory_mb",
                                  LIBVIRT_DEFAULT_MEMORY_MB);
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
int
libvirt_build_doc (json_object *m, const struct libvirt_opts *o,
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
  return libvirt_build_doc (m, o, fw, name, 1, xml, len);
}
