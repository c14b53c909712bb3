/* h2k-fetch: shared between the source kinds.
 *
 * main.c parses options, decides the source kind and calls one of the
 * fetch_* functions, which fill the manifest's "vm" and "disks".  Every
 * disk goes through fetch_add_disk (disk.c), so probing, read-only
 * referencing and --copy behave the same for every kind.
 */
#ifndef H2K_FETCH_H
#define H2K_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct fetch_opts {
  const char *workdir;          /* absolute; everything we make goes here */
  const char *name;             /* --name, overrides the source's name */
  int copy;                     /* --copy: copy disks into the workdir */
  int dry_run;                  /* -n: decide, but copy/extract nothing */
  uint64_t max_extract;         /* OVA: refuse archives expanding past this */
  const char *format;           /* --format: SOURCE is a disk image of this
                                   format (vmdk, vhd, ..., raw); or NULL */
  const char *firmware;         /* --firmware: bios or uefi; or NULL */
};

/* Where a disk is attached on the source VM (all may be NULL). */
struct fetch_disk_attach {
  const char *bus;              /* scsi, sata, ide, nvme, unknown */
  const char *controller;       /* pvscsi, lsilogic, lsisas1068, buslogic, ahci, ... */
  const char *address;          /* e.g. "scsi0:0" */
};

/* vmx.c, ovf.c, ova.c, disk.c: one source kind each.  Return 0, or -1
 * reported as "FILE: field: problem".
 */
int fetch_vmx (const char *path, const struct fetch_opts *o, json_object *m);
int fetch_ovf (const char *path, const struct fetch_opts *o, json_object *m);
int fetch_ova (const char *path, const struct fetch_opts *o, json_object *m);
int fetch_image (const char *path, const struct fetch_opts *o, json_object *m);

/* Probe the image PATH (absolute), optionally copy it into the workdir,
 * and append a disk to m's "disks" with a fresh id (disk0, disk1, ...),
 * its source, and current = source (or the copy).  FORMAT NULL: the
 * format is recognised by content (fetch_sniff), never by qemu's probing.
 */
int fetch_add_disk (json_object *m, const char *path, const char *format,
                    const struct fetch_disk_attach *at,
                    const struct fetch_opts *o);

/* image.c: what PATH is, by its content: sets *KIND to "vmx", "ovf",
 * "ova", or a disk format ("vmdk", "vhd", "vhdx", "qcow2", "vdi"), or
 * NULL if not recognised (raw images are never recognised).  Returns 0,
 * or -1 reported if PATH cannot be read.
 */
int fetch_sniff (const char *path, const char **kind);

/* hwversion.c: vm.hardware_version, one value whatever the source.
 * VMware's is "vmx-NN" (at least two digits: "vmx-07", "vmx-19").
 * fetch_hw_version takes an OVF VirtualSystemType, a list separated by
 * blanks or commas ("vmx-07 vmx-08", "virtualbox-2.2"): the highest
 * vmx-N in it, else its first value as it is.  fetch_vmx_hw_version
 * takes a VMX virtualHW.version ("8").  Both write BUF (SIZE bytes) and
 * return 0, or -1 (not reported) if there is no value, it is not a
 * version, or it does not fit.
 */
#define FETCH_MAX_VMX_HW 999
int fetch_hw_version (const char *list, char *buf, size_t size);
int fetch_vmx_hw_version (const char *version, char *buf, size_t size);

/* disk.c: every file or directory this run creates in the workdir is
 * noted here (-1 reported on ENOMEM), so that on failure main can call
 * fetch_undo to remove them (files unlinked, directories rmdir'ed, in
 * reverse order) and leave nothing behind.
 */
int fetch_note_created (const char *path);
void fetch_undo (void);

#endif
