/* h2k-convert: the libvirt domain XML (--libvirt-xml).
 *
 * main.c collects the options (--libvirt-xml, --network, --bridge, --bus)
 * with libvirt_add_map and libvirt_parse_bus, calls libvirt_check before
 * converting (so that a bad MAC address or an existing XML file fails
 * before minutes of conversion) and libvirt_publish after the disks were
 * published.  libvirt_build_xml is the pure part: manifest in, XML out,
 * written with libxml2's xmlTextWriter (which escapes every value).
 */
#ifndef H2K_CONVERT_LIBVIRT_H
#define H2K_CONVERT_LIBVIRT_H

#include <stddef.h>

#include <json-c/json.h>

enum libvirt_bus {
  LIBVIRT_BUS_VIRTIO_BLK,       /* default */
  LIBVIRT_BUS_VIRTIO_SCSI,
  LIBVIRT_BUS_SATA,
};

/* --network IN:OUT or --bridge IN:OUT. */
struct libvirt_map {
  char *in;                     /* the source's network name */
  char *out;                    /* libvirt network or host bridge */
  int bridge;                   /* 1: --bridge, 0: --network */
};

struct libvirt_opts {
  const char *path;             /* --libvirt-xml, as given, or NULL */
  enum libvirt_bus bus;
  struct libvirt_map *maps;     /* owned */
  size_t nmaps;
  const char *ovmf_dir;         /* where OVMF is: /usr/share/OVMF */
};

#define LIBVIRT_OPTS_INIT { NULL, LIBVIRT_BUS_VIRTIO_BLK, NULL, 0, "/usr/share/OVMF" }

/* Parse ARG ("IN:OUT", split at the last ':') of option OPT ("network" or
 * "bridge") and add it.  Returns 0, or -1 reported as a usage error
 * (empty part, the same IN given twice, ENOMEM).
 */
int libvirt_add_map (struct libvirt_opts *o, const char *opt, const char *arg);

/* "virtio-blk", "virtio-scsi" or "sata".  0, or -1 reported. */
int libvirt_parse_bus (const char *s, enum libvirt_bus *bus);

/* A Windows guest that h2k-fix-windows prepared (windows_boot in M) boots
 * its final phase from one bus: take it when --bus was not given
 * (BUS_GIVEN 0), refuse another one.  0, or -1 reported.
 */
int libvirt_windows_bus (json_object *m, struct libvirt_opts *o, int bus_given);

void libvirt_opts_free (struct libvirt_opts *o);

/* A MAC address as "00:50:56:8A:01:02", "00-50-56-8a-01-02" or
 * "0050568a0102" written as "00:50:56:8a:01:02" into OUT.  0, or -1 when
 * S is not a unicast MAC address (libvirt refuses multicast ones).
 */
int libvirt_mac (const char *s, char out[18]);

/* The machine type for the guest M describes: "q35", or "pc" (i440fx)
 * for a guest too old for q35 (see h2k-convert(1)).  *WHY says why.
 */
const char *libvirt_machine (json_object *m, const char **why);

/* The firmware: SeaBIOS, or OVMF with its code and variables template. */
struct libvirt_firmware {
  int uefi;
  int secure;                   /* secure boot (needs SMM and q35) */
  char *loader;                 /* OVMF code, or NULL for SeaBIOS */
  char *vars;                   /* OVMF variables template */
};

/* Decide BIOS or UEFI (and secure boot) from M and, for UEFI, find a
 * matching OVMF code/variables pair in DIR.  0, or -1 reported (no OVMF
 * installed).  Free with libvirt_firmware_free.
 */
int libvirt_firmware (json_object *m, const char *dir,
                      struct libvirt_firmware *fw);
void libvirt_firmware_free (struct libvirt_firmware *fw);

/* Build the domain XML for M (which must have disks[].output).  NAME
 * prefixes messages ("<stdin>").  Returns 0 and a NUL-terminated buffer
 * in *XML (caller frees) of *LEN bytes, or -1 reported as
 * "NAME: /json/path: what is wrong".
 */
int libvirt_build_xml (json_object *m, const struct libvirt_opts *o,
                       const struct libvirt_firmware *fw, const char *name,
                       char **xml, size_t *len);

/* Before converting: check what the XML will be built from (VM name,
 * NIC MACs, mappings, firmware) and the output file (it must not exist
 * without FORCE).  With DRY_RUN, say what would be written.  0, or -1
 * reported.
 */
int libvirt_check (json_object *m, const struct libvirt_opts *o, int force,
                   int dry_run);

/* After the disks were published: build the XML, publish it atomically,
 * record its path in M ("libvirt_xml") and append it to *PUBLISHED (so
 * that the caller removes it with the disks if the manifest cannot be
 * written).  0, or -1 reported (nothing written).
 */
int libvirt_publish (json_object *m, const struct libvirt_opts *o, int force,
                     char ***published);

#endif
