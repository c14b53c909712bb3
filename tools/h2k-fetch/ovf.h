/* h2k-fetch: the OVF parser, pure (it reads the descriptor and nothing
 * else), so that unit tests can run it on any .ovf.
 *
 * Accepted: DMTF OVF 1.x (namespace .../ovf/envelope/1) and 2.0
 * (.../envelope/2) as VMware (ovftool, vSphere, Studio), VirtualBox and
 * COT write them, and the pre-standard OVF 0.9 (VMware's
 * .../schema/ovf/1/envelope, with xsi:type'd Section and Content
 * elements).  One VirtualSystem: a vApp (VirtualSystemCollection) of
 * several is refused.  The default DeploymentOption's items are used.
 *
 * libxml2 parses with XML_PARSE_NONET and without entity substitution; a
 * document with a DTD is refused.
 */
#ifndef H2K_FETCH_OVF_H
#define H2K_FETCH_OVF_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "fetch.h"

/* Limits against hostile or broken input. */
#define OVF_MAX_FILE   (16u << 20)      /* bytes in a .ovf */
#define OVF_MAX_TEXT   1024             /* bytes in any value we take */
#define OVF_MAX_NAME   255              /* bytes in the VM name */
#define OVF_MAX_ITEMS  4096             /* hardware items */
#define OVF_MAX_DISKS  256
#define OVF_MAX_NICS   64

struct ovf_disk {
  char *href;                   /* References/File ovf:href, relative;
                                   NULL for a new, empty disk */
  char *file_id;                /* ovf:id of the File */
  char *disk_id;                /* ovf:diskId, or NULL for ovf:/file/ */
  char *compression;            /* "gzip", or NULL */
  char *format;                 /* ovf:format URI, or NULL */
  uint64_t capacity;            /* bytes; 0 if not stated */
  char *bus;                    /* scsi, sata, ide, nvme, unknown */
  char *controller;             /* pvscsi, lsilogic, ..., or NULL */
  char *address;                /* "scsi0:1", or NULL */
};

struct ovf_nic {
  char *model;                  /* vmxnet3, e1000, ..., or NULL */
  char *network;                /* Connection, or NULL */
  char *mac;                    /* "aa:bb:cc:dd:ee:ff", or NULL */
  int connected;
};

struct ovf_vm {
  char *ovf_version;            /* "0.9", "1", "2" (the namespace's) */
  char *name;                   /* Name, else VirtualSystem ovf:id; or NULL */
  int cpus;                     /* 0 if not stated */
  int cores_per_socket;         /* 0 if not stated */
  int64_t memory_mb;            /* 0 if not stated */
  const char *firmware;         /* "bios", "uefi" or NULL (static) */
  int secure_boot;              /* -1 if not stated */
  char *hardware_version;       /* VirtualSystemType as one value
                                   (fetch_hw_version): "vmx-13",
                                   "virtualbox-2.2"; or NULL */
  char *guest_os_hint;          /* vmw:osType, vbox:OSType, or "ovf-os:N" */
  struct ovf_disk *disks;       /* in VirtualHardwareSection order */
  size_t ndisks;
  struct ovf_nic *nics;
  size_t nnics;
  char **files;                 /* every References/File href (NULL-ended) */
  int64_t *file_sizes;          /* files[i]'s ovf:size, or -1 if not stated */
};

/* Parse BUF (LEN bytes); NAME prefixes every message ("NAME: line N:
 * XML error: ...", "NAME: line N: File/@ovf:href: '../x' is not a file
 * inside the package ...").
 * Caller frees with ovf_free.  NULL reported.
 */
struct ovf_vm *ovf_parse (const char *buf, size_t len, const char *name);

/* Read (at most OVF_MAX_FILE bytes) and parse the file PATH. */
struct ovf_vm *ovf_parse_file (const char *path);

void ovf_free (struct ovf_vm *vm);
H2K_DEFINE_CLEANUP (struct ovf_vm, ovf_free)

/* Is HREF safe to open below the OVF's directory (relative, no "..", no
 * URL scheme, no control characters)?
 */
int ovf_safe_href (const char *href);

/* The package around a parsed descriptor, shared by fetch_ovf and
 * fetch_ova.
 */

/* Check that every disk file of VM exists beside OVF_PATH and that each
 * referenced file there has the ovf:size it declares (ovf_check_size),
 * and verify the .mf beside it (same base name) if there is one; a .cert
 * is only warned about.  LABEL prefixes messages (the .ovf, or the .ova).
 * MEMBERS (NULL-ended, relative to the descriptor's directory, or NULL):
 * the package's files, warned about when the .mf does not list them.
 * *VERIFIED: the weakest algorithm used, or NULL without a .mf.
 * 0, or -1 reported.
 */
int ovf_check_package (const struct ovf_vm *vm, const char *ovf_path,
                       const char *label, const char *const *members,
                       const char **verified);

/* The file HREF (of VM's References) has SIZE bytes: shorter than its
 * ovf:size is refused (a truncated download or copy), longer is a
 * warning (the descriptor's size is wrong, or the file was replaced:
 * the .mf, when there is one, is what verifies the content).  LABEL
 * prefixes messages.  0, or -1 reported.
 */
int ovf_check_size (const struct ovf_vm *vm, const char *href, int64_t size,
                    const char *label);

/* Unless O->name overrides it, the VM's name must have no control
 * characters.  LABEL prefixes the message.  0, or -1 reported.
 */
int ovf_check_name (const struct ovf_vm *vm, const char *label,
                    const struct fetch_opts *o);

/* Decompress the gzip file SRC into DEST (published atomically), at most
 * MAX bytes (0: no limit).  0, or -1 reported.
 */
int ovf_gunzip (const char *src, const char *dest, uint64_t max);

/* Remove the tree PATH (made by us), not following links. */
void ovf_remove_tree (const char *path);

/* Note PATH and everything under it with fetch_note_created, so that
 * main's fetch_undo removes them if a later step fails.  -1 reported.
 */
int ovf_note_tree (const char *path);

struct ovf_fetch {
  const char *kind;             /* "ovf" or "ova" */
  const char *source_path;      /* absolute: the .ovf or .ova named */
  const char *extracted_dir;    /* OVA: where it was unpacked, or NULL */
  const char *manifest_verified;/* algorithm, or NULL */
};

/* Fill m's "vm" (name: O->name, else the OVF's, else the file's base
 * name; source {kind, path, extracted_dir, manifest_verified}; firmware,
 * BIOS if the OVF does not say; cpus, memory_mb, nics, ...) and add each
 * disk whose DISK_PATHS[i] is not NULL through fetch_add_disk (without
 * --copy for a disk already in the workdir: extracted or decompressed).
 * 0, or -1 reported.
 */
int ovf_fill_manifest (const struct ovf_vm *vm, const struct ovf_fetch *f,
                       char *const *disk_paths, const struct fetch_opts *o,
                       json_object *m);

#endif
