/* h2k-convert: the libvirt domain XML, from hand-written manifests.
 *
 * Each test builds the XML and reads it back with libxml2 and XPath, so
 * that what is checked is what libvirt will parse (escaping included).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "test.h"
#include "cleanup.h"
#include "manifest.h"
#include "../../../tools/h2k-convert/libvirt.h"

static char ovmf_dir[] = "/tmp/h2k-test-ovmf-XXXXXX";

/* A manifest: VM (a JSON object), DISKS output formats ("qcow2 raw"),
 * GUEST (a JSON object or NULL).  Validated against the schema.
 */
static json_object *
manifest (const char *vm, const char *formats, const char *guest)
{
  CLEANUP_FREE char *disks = strdup ("[");
  CLEANUP_FREE char *text = NULL;
  CLEANUP_FREE char *fmts = strdup (formats);
  char *save = NULL;
  size_t i = 0;
  json_object *m;

  for (char *f = strtok_r (fmts, " ", &save); f; f = strtok_r (NULL, " ", &save), ++i) {
    char *d;
    if (asprintf (&d, "%s%s{\"id\": \"disk%zu\", "
                  "\"source\": {\"path\": \"/src/d%zu.vmdk\", \"format\": \"vmdk\"}, "
                  "\"current\": {\"path\": \"/src/d%zu.vmdk\", \"format\": \"vmdk\"}, "
                  "\"output\": {\"path\": \"/out/vm-disk%zu.%s\", \"format\": \"%s\"}}",
                  disks, i ? ", " : "", i, i, i, i, f, f) == -1)
      abort ();
    free (disks);
    disks = d;
  }
  if (asprintf (&text, "{\"h2k_manifest_version\": 1, \"vm\": %s, \"disks\": %s], "
                "%s%s%s \"stages\": []}", vm, disks,
                guest ? "\"guest\": " : "", guest ? guest : "",
                guest ? "," : "") == -1)
    abort ();
  m = h2k_manifest_parse (text, strlen (text), "test");
  if (m == NULL)
    printf ("# bad test manifest: %s\n", text);
  return m;
}

struct built {
  int r;
  char *xml;
  xmlDocPtr doc;
  xmlXPathContextPtr xp;
};

static void
built_free (struct built *b)
{
  if (b->xp)
    xmlXPathFreeContext (b->xp);
  if (b->doc)
    xmlFreeDoc (b->doc);
  free (b->xml);
}

#define CLEANUP_BUILT __attribute__((cleanup (built_free)))

/* Build the XML for M with O (bus, maps), firmware from ovmf_dir. */
static struct built
build_with (json_object *m, const struct libvirt_opts *o)
{
  struct built b = { -1, NULL, NULL, NULL };
  struct libvirt_firmware fw;
  size_t len = 0;

  if (m == NULL || libvirt_firmware (m, ovmf_dir, &fw) == -1) {
    json_object_put (m);
    return b;
  }
  b.r = libvirt_build_xml (m, o, &fw, "test", &b.xml, &len);
  libvirt_firmware_free (&fw);
  if (b.r == 0) {
    if (strlen (b.xml) != len)
      b.r = -2;
    b.doc = xmlReadMemory (b.xml, (int) len, "domain.xml", NULL, XML_PARSE_NONET);
    b.xp = b.doc ? xmlXPathNewContext (b.doc) : NULL;
    if (b.xp == NULL)
      b.r = -3;
  }
  json_object_put (m);
  return b;
}

static struct built
build_m (json_object *m)
{
  struct libvirt_opts o = LIBVIRT_OPTS_INIT;

  return build_with (m, &o);
}

/* The string value of XPath expression EXPR ("" when nothing). */
static char *
xp (struct built *b, const char *expr)
{
  xmlXPathObjectPtr r;
  char *s;

  if (b->xp == NULL)
    return strdup ("(no document)");
  r = xmlXPathEvalExpression (BAD_CAST expr, b->xp);
  s = r ? (char *) xmlXPathCastToString (r) : NULL;
  xmlXPathFreeObject (r);
  return s;
}

#define CHECK_XP(b, expr, want)                                         \
  do {                                                                  \
    char *s_ = xp (&(b), (expr));                                       \
    CHECK_STR (s_, (want));                                             \
    xmlFree (s_);                                                       \
  } while (0)

TEST (linux_bios_defaults)
{
  CLEANUP_BUILT struct built b =
    build_m (manifest ("{\"name\": \"web01\", \"firmware\": \"bios\"}", "qcow2",
                       "{\"type\": \"linux\", \"kernels\": [{\"version\": \"6.1.0-28-amd64\"}]}"));

  CHECK_INT (b.r, 0);
  CHECK_XP (b, "string(/domain/@type)", "kvm");
  CHECK_XP (b, "string(/domain/name)", "web01");
  CHECK_XP (b, "string(/domain/memory)", "1024");
  CHECK_XP (b, "string(/domain/memory/@unit)", "MiB");
  CHECK_XP (b, "string(/domain/vcpu)", "1");
  CHECK_XP (b, "string(/domain/os/type/@machine)", "q35");
  CHECK_XP (b, "string(/domain/os/type/@arch)", "x86_64");
  CHECK_XP (b, "string(/domain/os/type)", "hvm");
  CHECK_XP (b, "count(/domain/os/loader)", "0");
  CHECK_XP (b, "count(/domain/os/nvram)", "0");
  CHECK_XP (b, "string(/domain/clock/@offset)", "utc");
  CHECK_XP (b, "count(/domain/features/hyperv)", "0");
  CHECK_XP (b, "count(/domain/features/smm)", "0");
  CHECK_XP (b, "count(/domain/cpu/topology)", "0");
  CHECK_XP (b, "count(/domain/devices/disk)", "1");
  CHECK_XP (b, "string(/domain/devices/disk/source/@file)", "/out/vm-disk0.qcow2");
  CHECK_XP (b, "string(/domain/devices/disk/driver/@type)", "qcow2");
  CHECK_XP (b, "string(/domain/devices/disk/target/@dev)", "vda");
  CHECK_XP (b, "string(/domain/devices/disk/target/@bus)", "virtio");
  CHECK_XP (b, "count(/domain/devices/interface)", "0");
  CHECK_XP (b, "string(/domain/devices/rng/@model)", "virtio");
  CHECK_XP (b, "string(/domain/devices/rng/backend)", "/dev/urandom");
  CHECK_XP (b, "string(/domain/devices/memballoon/@model)", "virtio");
  CHECK_XP (b, "string(/domain/devices/serial/@type)", "pty");
  CHECK_XP (b, "string(/domain/devices/console/target/@type)", "serial");
  CHECK_XP (b, "string(/domain/devices/channel[@type='unix']/target/@name)",
            "org.qemu.guest_agent.0");
  CHECK_XP (b, "string(/domain/devices/channel/target/@type)", "virtio");
}

TEST (windows_uefi_secure_boot)
{
  CLEANUP_FREE char *code = NULL, *vars = NULL;
  CLEANUP_BUILT struct built b =
    build_m (manifest ("{\"name\": \"dc01\", \"firmware\": \"uefi\", \"secure_boot\": true, "
                       "\"cpus\": 4, \"cores_per_socket\": 2, \"memory_mb\": 4096}",
                       "qcow2 raw",
                       "{\"type\": \"windows\", \"major_version\": 10}"));

  if (asprintf (&code, "%s/OVMF_CODE_4M.ms.fd", ovmf_dir) == -1 ||
      asprintf (&vars, "%s/OVMF_VARS_4M.ms.fd", ovmf_dir) == -1)
    abort ();
  CHECK_INT (b.r, 0);
  CHECK_XP (b, "string(/domain/memory)", "4096");
  CHECK_XP (b, "string(/domain/vcpu)", "4");
  CHECK_XP (b, "string(/domain/cpu/topology/@sockets)", "2");
  CHECK_XP (b, "string(/domain/cpu/topology/@cores)", "2");
  CHECK_XP (b, "string(/domain/cpu/topology/@threads)", "1");
  CHECK_XP (b, "string(/domain/os/type/@machine)", "q35");
  CHECK_XP (b, "string(/domain/os/loader)", code);
  CHECK_XP (b, "string(/domain/os/loader/@secure)", "yes");
  CHECK_XP (b, "string(/domain/os/loader/@type)", "pflash");
  CHECK_XP (b, "string(/domain/os/loader/@readonly)", "yes");
  CHECK_XP (b, "string(/domain/os/nvram/@template)", vars);
  CHECK_XP (b, "string(/domain/features/smm/@state)", "on");
  CHECK_XP (b, "string(/domain/features/hyperv/relaxed/@state)", "on");
  CHECK_XP (b, "string(/domain/features/hyperv/vapic/@state)", "on");
  CHECK_XP (b, "string(/domain/features/hyperv/spinlocks/@retries)", "8191");
  CHECK_XP (b, "string(/domain/clock/@offset)", "localtime");
  CHECK_XP (b, "string(/domain/clock/timer[@name='hypervclock']/@present)", "yes");
  CHECK_XP (b, "string(/domain/devices/disk[2]/driver/@type)", "raw");
  CHECK_XP (b, "string(/domain/devices/disk[2]/target/@dev)", "vdb");
  CHECK_XP (b, "string(/domain/devices/disk[2]/source/@file)", "/out/vm-disk1.raw");
}

TEST (uefi_without_secure_boot)
{
  CLEANUP_FREE char *code = NULL;
  CLEANUP_BUILT struct built b =
    build_m (manifest ("{\"name\": \"u\", \"firmware\": \"uefi\", \"secure_boot\": false}",
                       "qcow2", NULL));

  if (asprintf (&code, "%s/OVMF_CODE_4M.fd", ovmf_dir) == -1)
    abort ();
  CHECK_INT (b.r, 0);
  CHECK_XP (b, "string(/domain/os/loader)", code);
  CHECK_XP (b, "string(/domain/os/loader/@secure)", "no");
  CHECK_XP (b, "count(/domain/features/smm)", "0");
}

/* vm.firmware unknown: the disks decide; "both" boots with SeaBIOS. */
TEST (firmware_from_guest)
{
  CLEANUP_BUILT struct built u =
    build_m (manifest ("{\"name\": \"u\", \"firmware\": \"unknown\"}", "qcow2",
                       "{\"type\": \"linux\", \"firmware\": {\"kind\": \"uefi\"}}"));
  CLEANUP_BUILT struct built both =
    build_m (manifest ("{\"name\": \"u\"}", "qcow2",
                       "{\"type\": \"linux\", \"firmware\": {\"kind\": \"both\"}}"));
  CLEANUP_BUILT struct built vmwins =
    build_m (manifest ("{\"name\": \"u\", \"firmware\": \"bios\"}", "qcow2",
                       "{\"type\": \"linux\", \"firmware\": {\"kind\": \"uefi\"}}"));

  CHECK_INT (u.r, 0);
  CHECK_XP (u, "count(/domain/os/loader)", "1");
  CHECK_INT (both.r, 0);
  CHECK_XP (both, "count(/domain/os/loader)", "0");
  CHECK_INT (vmwins.r, 0);
  CHECK_XP (vmwins, "count(/domain/os/loader)", "0");
}

TEST (machine_type)
{
  struct { const char *guest, *machine; } t[] = {
    { "{\"type\": \"windows\", \"major_version\": 5, \"minor_version\": 1}", "pc" },
    { "{\"type\": \"windows\", \"major_version\": 5, \"minor_version\": 2}", "pc" },
    { "{\"type\": \"windows\", \"major_version\": 6, \"minor_version\": 1}", "q35" },
    { "{\"type\": \"linux\", \"kernels\": [{\"version\": \"2.6.32-754.el6.x86_64\"}]}", "pc" },
    { "{\"type\": \"linux\", \"kernels\": [{\"version\": \"2.6.32\"}, {\"version\": \"3.10.0-1160.el7.x86_64\"}]}", "q35" },
    { "{\"type\": \"linux\", \"kernels\": []}", "q35" },
    { "{\"type\": \"linux\", \"kernels\": [{\"version\": \"garbage\"}]}", "q35" },
    { "{}", "q35" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    CLEANUP_BUILT struct built b =
      build_m (manifest ("{\"name\": \"old\"}", "qcow2", t[i].guest));
    CHECK_INT (b.r, 0);
    CHECK_XP (b, "string(/domain/os/type/@machine)", t[i].machine);
  }
  {
    /* Windows XP keeps localtime and the enlightenments on pc. */
    CLEANUP_BUILT struct built b =
      build_m (manifest ("{\"name\": \"xp\"}", "qcow2",
                         "{\"type\": \"windows\", \"major_version\": 5, \"arch\": \"i386\"}"));
    CHECK_XP (b, "string(/domain/clock/@offset)", "localtime");
    CHECK_XP (b, "string(/domain/os/type/@arch)", "i686");
  }
}

TEST (buses_and_targets)
{
  struct libvirt_opts sata = LIBVIRT_OPTS_INIT, scsi = LIBVIRT_OPTS_INIT;
  char many[28 * 6 + 1] = "";

  sata.bus = LIBVIRT_BUS_SATA;
  scsi.bus = LIBVIRT_BUS_VIRTIO_SCSI;
  for (int i = 0; i < 28; ++i)
    strcat (many, "qcow2 ");
  {
    CLEANUP_BUILT struct built b =
      build_with (manifest ("{\"name\": \"s\"}", "qcow2 qcow2", NULL), &sata);
    CHECK_INT (b.r, 0);
    CHECK_XP (b, "string(/domain/devices/disk[1]/target/@dev)", "sda");
    CHECK_XP (b, "string(/domain/devices/disk[2]/target/@dev)", "sdb");
    CHECK_XP (b, "string(/domain/devices/disk[2]/target/@bus)", "sata");
    CHECK_XP (b, "count(/domain/devices/controller[@type='scsi'])", "0");
  }
  {
    CLEANUP_BUILT struct built b =
      build_with (manifest ("{\"name\": \"s\"}", "qcow2", NULL), &scsi);
    CHECK_INT (b.r, 0);
    CHECK_XP (b, "string(/domain/devices/disk/target/@dev)", "sda");
    CHECK_XP (b, "string(/domain/devices/disk/target/@bus)", "scsi");
    CHECK_XP (b, "string(/domain/devices/controller[@type='scsi']/@model)", "virtio-scsi");
  }
  {
    CLEANUP_BUILT struct built b = build_m (manifest ("{\"name\": \"s\"}", many, NULL));
    CHECK_INT (b.r, 0);
    CHECK_XP (b, "count(/domain/devices/disk)", "28");
    CHECK_XP (b, "string(/domain/devices/disk[26]/target/@dev)", "vdz");
    CHECK_XP (b, "string(/domain/devices/disk[27]/target/@dev)", "vdaa");
    CHECK_XP (b, "string(/domain/devices/disk[28]/target/@dev)", "vdab");
  }
}

TEST (nics_and_mappings)
{
  struct libvirt_opts o = LIBVIRT_OPTS_INIT;

  CHECK_INT (libvirt_add_map (&o, "network", "VM Network:lan"), 0);
  CHECK_INT (libvirt_add_map (&o, "bridge", "DMZ:br0"), 0);
  {
    CLEANUP_BUILT struct built b =
      build_with (manifest ("{\"name\": \"n\", \"nics\": ["
                            "{\"id\": \"e0\", \"mac\": \"00:50:56:8A:01:02\", \"network\": \"VM Network\"},"
                            "{\"id\": \"e1\", \"mac\": null, \"network\": \"DMZ\", \"connected\": false},"
                            "{\"id\": \"e2\", \"mac\": \"00-15-5D-01-02-03\", \"network\": \"Other\"},"
                            "{\"id\": \"e3\", \"mac\": \"00155d010204\"}]}",
                            "qcow2", NULL), &o);
    CHECK_INT (b.r, 0);
    CHECK_XP (b, "count(/domain/devices/interface)", "4");
    CHECK_XP (b, "string(/domain/devices/interface[1]/@type)", "network");
    CHECK_XP (b, "string(/domain/devices/interface[1]/source/@network)", "lan");
    CHECK_XP (b, "string(/domain/devices/interface[1]/mac/@address)", "00:50:56:8a:01:02");
    CHECK_XP (b, "string(/domain/devices/interface[1]/model/@type)", "virtio");
    CHECK_XP (b, "count(/domain/devices/interface[1]/link)", "0");
    CHECK_XP (b, "string(/domain/devices/interface[2]/@type)", "bridge");
    CHECK_XP (b, "string(/domain/devices/interface[2]/source/@bridge)", "br0");
    CHECK_XP (b, "count(/domain/devices/interface[2]/mac)", "0");
    CHECK_XP (b, "string(/domain/devices/interface[2]/link/@state)", "down");
    CHECK_XP (b, "string(/domain/devices/interface[3]/source/@network)", "default");
    CHECK_XP (b, "string(/domain/devices/interface[3]/mac/@address)", "00:15:5d:01:02:03");
    CHECK_XP (b, "string(/domain/devices/interface[4]/source/@network)", "default");
    CHECK_XP (b, "string(/domain/devices/interface[4]/mac/@address)", "00:15:5d:01:02:04");
  }
  libvirt_opts_free (&o);
}

TEST (values_are_escaped)
{
  CLEANUP_BUILT struct built b =
    build_m (manifest ("{\"name\": \"a<b>&c'\\\"d \\u00e9\"}", "qcow2", NULL));

  CHECK_INT (b.r, 0);
  CHECK_XP (b, "string(/domain/name)", "a<b>&c'\"d \xc3\xa9");
  CHECK_XP (b, "count(/domain/*[local-name()='b'])", "0");
}

TEST (bad_values)
{
  const char *vms[] = {
    "{\"name\": \"a/b\"}",
    "{\"name\": \"\"}",
    "{\"name\": \"tab\\there\"}",
    "{\"name\": \"n\", \"nics\": [{\"id\": \"e0\", \"mac\": \"01:00:5e:00:00:01\"}]}",
    "{\"name\": \"n\", \"nics\": [{\"id\": \"e0\", \"mac\": \"00:50:56:8a:01\"}]}",
    "{\"name\": \"n\", \"nics\": [{\"id\": \"e0\", \"mac\": \"00:50:56:8a:01:0g\"}]}",
    "{\"name\": \"n\", \"nics\": [{\"id\": \"e0\", \"mac\": \"00:50-56:8a:01:02\"}]}",
    "{\"name\": \"n\", \"nics\": [{\"id\": \"e0\", \"mac\": \"00:50:56:8a:01:02:03\"}]}",
  };

  for (size_t i = 0; i < sizeof vms / sizeof vms[0]; ++i) {
    CLEANUP_BUILT struct built b = build_m (manifest (vms[i], "qcow2", NULL));
    CHECK_INT (b.r, -1);
    CHECK (b.xml == NULL);
  }
}

TEST (disk_without_output)
{
  const char *text =
    "{\"h2k_manifest_version\": 1, \"vm\": {\"name\": \"n\"}, \"disks\": ["
    "{\"id\": \"disk0\", \"source\": {\"path\": \"/a.vmdk\", \"format\": \"vmdk\"},"
    " \"current\": {\"path\": \"/a.vmdk\", \"format\": \"vmdk\"}}], \"stages\": []}";
  const char *ctl =
    "{\"h2k_manifest_version\": 1, \"vm\": {\"name\": \"n\"}, \"disks\": ["
    "{\"id\": \"disk0\", \"source\": {\"path\": \"/a.vmdk\", \"format\": \"vmdk\"},"
    " \"current\": {\"path\": \"/a.vmdk\", \"format\": \"vmdk\"},"
    " \"output\": {\"path\": \"/o/a\\u0001.qcow2\", \"format\": \"qcow2\"}}], \"stages\": []}";
  CLEANUP_BUILT struct built a = build_m (h2k_manifest_parse (text, strlen (text), "t"));
  CLEANUP_BUILT struct built b = build_m (h2k_manifest_parse (ctl, strlen (ctl), "t"));

  CHECK_INT (a.r, -1);
  CHECK_INT (b.r, -1);
}

TEST (mac)
{
  struct { const char *in, *out; } t[] = {
    { "00:50:56:8A:01:02", "00:50:56:8a:01:02" },
    { "00-15-5d-aa-bb-cc", "00:15:5d:aa:bb:cc" },
    { "525400123456", "52:54:00:12:34:56" },
    { "02:00:00:00:00:00", "02:00:00:00:00:00" },
    { "01:00:00:00:00:00", NULL },
    { "ff:ff:ff:ff:ff:ff", NULL },
    { "00:50:56:8a:01", NULL },
    { "00:50:56:8a:01:02 ", NULL },
    { "0:50:56:8a:01:02", NULL },
    { "", NULL },
    { "0050:568a:0102", NULL },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    char out[18] = "";
    int r = libvirt_mac (t[i].in, out);
    CHECK_INT (r, t[i].out ? 0 : -1);
    if (t[i].out)
      CHECK_STR (out, t[i].out);
  }
}

TEST (add_map)
{
  struct libvirt_opts o = LIBVIRT_OPTS_INIT;
  enum libvirt_bus bus;

  CHECK_INT (libvirt_add_map (&o, "network", "a:b:c"), 0);
  CHECK_STR (o.maps[0].in, "a:b");
  CHECK_STR (o.maps[0].out, "c");
  CHECK_INT (o.maps[0].bridge, 0);
  CHECK_INT (libvirt_add_map (&o, "bridge", "VM Network:br0"), 0);
  CHECK_INT (o.maps[1].bridge, 1);
  CHECK_INT (libvirt_add_map (&o, "network", "a:b:d"), -1);
  CHECK_INT (libvirt_add_map (&o, "bridge", "VM Network:br1"), -1);
  CHECK_INT (libvirt_add_map (&o, "network", ":x"), -1);
  CHECK_INT (libvirt_add_map (&o, "network", "x:"), -1);
  CHECK_INT (libvirt_add_map (&o, "network", "x"), -1);
  CHECK_INT (o.nmaps, 2);
  libvirt_opts_free (&o);
  CHECK_INT (libvirt_parse_bus ("sata", &bus), 0);
  CHECK_INT (bus, LIBVIRT_BUS_SATA);
  CHECK_INT (libvirt_parse_bus ("virtio-scsi", &bus), 0);
  CHECK_INT (bus, LIBVIRT_BUS_VIRTIO_SCSI);
  CHECK_INT (libvirt_parse_bus ("virtio-blk", &bus), 0);
  CHECK_INT (bus, LIBVIRT_BUS_VIRTIO_BLK);
  CHECK_INT (libvirt_parse_bus ("ide", &bus), -1);
}

/* OVMF lookup: the 2M pair when only it exists; none is an error. */
TEST (ovmf_lookup)
{
  char dir[] = "/tmp/h2k-test-ovmf2-XXXXXX";
  CLEANUP_FREE char *a = NULL, *b = NULL;
  json_object *m = manifest ("{\"name\": \"u\", \"firmware\": \"uefi\"}", "qcow2", NULL);
  json_object *s = manifest ("{\"name\": \"u\", \"firmware\": \"uefi\", \"secure_boot\": true}",
                             "qcow2", NULL);
  struct libvirt_firmware fw;

  if (mkdtemp (dir) == NULL || asprintf (&a, "%s/OVMF_CODE.fd", dir) == -1 ||
      asprintf (&b, "%s/OVMF_VARS.fd", dir) == -1)
    abort ();
  CHECK_INT (libvirt_firmware (m, dir, &fw), -1);
  fclose (fopen (a, "w"));
  CHECK_INT (libvirt_firmware (m, dir, &fw), -1);
  fclose (fopen (b, "w"));
  CHECK_INT (libvirt_firmware (m, dir, &fw), 0);
  CHECK_STR (fw.loader, a);
  CHECK_STR (fw.vars, b);
  CHECK_INT (fw.secure, 0);
  libvirt_firmware_free (&fw);
  CHECK_INT (libvirt_firmware (s, dir, &fw), -1);
  unlink (a);
  unlink (b);
  rmdir (dir);
  json_object_put (m);
  json_object_put (s);
}

static void
make_fake_ovmf (void)
{
  const char *files[] = {
    "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd", "OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd",
  };

  if (mkdtemp (ovmf_dir) == NULL)
    abort ();
  for (size_t i = 0; i < 4; ++i) {
    CLEANUP_FREE char *p = NULL;
    FILE *fp;
    if (asprintf (&p, "%s/%s", ovmf_dir, files[i]) == -1 || (fp = fopen (p, "w")) == NULL)
      abort ();
    fclose (fp);
  }
}

static void
remove_fake_ovmf (void)
{
  const char *files[] = {
    "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd", "OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd",
  };

  for (size_t i = 0; i < 4; ++i) {
    CLEANUP_FREE char *p = NULL;
    if (asprintf (&p, "%s/%s", ovmf_dir, files[i]) != -1)
      unlink (p);
  }
  rmdir (ovmf_dir);
}

int
main (void)
{
  int r;

  make_fake_ovmf ();
  RUN (linux_bios_defaults);
  RUN (windows_uefi_secure_boot);
  RUN (uefi_without_secure_boot);
  RUN (firmware_from_guest);
  RUN (machine_type);
  RUN (buses_and_targets);
  RUN (nics_and_mappings);
  RUN (values_are_escaped);
  RUN (bad_values);
  RUN (disk_without_output);
  RUN (mac);
  RUN (add_map);
  RUN (ovmf_lookup);
  r = test_done ();
  remove_fake_ovmf ();
  xmlCleanupParser ();
  return r;
}
