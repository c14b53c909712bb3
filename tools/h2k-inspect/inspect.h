/* h2k-inspect: shared between its files.
 *
 * main.c reads the manifest, makes the overlays (overlay.c), launches one
 * libguestfs appliance with every disk (h2k_guest_launch), and fills "guest" with
 * what os.c, storage.c, boot.c, network.c and tools.c find;
 * risks.c then derives the list of risks from "guest" alone.
 */
#ifndef H2K_INSPECT_H
#define H2K_INSPECT_H

#include <stdio.h>

#include <guestfs.h>
#include <json-c/json.h>

#include "linuxcfg.h"

struct inspect_opts {
  int dry_run;                  /* no overlays: inspect current images */
};

/* overlay.c: give every disk a qcow2 overlay in the workdir backed by its
 * current image (kept if already there); record disks[].overlay.
 */
int make_overlays (json_object *m, const struct inspect_opts *o);

/* os.c: find the OS roots; fill type, distro, version... into guest.
 * Returns the root device (caller frees) of the one OS we migrate, or
 * NULL reported (no OS, or several).
 */
char *inspect_os (guestfs_h *g, json_object *guest);

int inspect_init (guestfs_h *g, json_object *guest);

/* storage.c: mountpoints with their identifiers, block layers, firmware. */
int inspect_storage (guestfs_h *g, json_object *m, const char *root,
                     json_object *guest);

/* boot.c: bootloader, kernels, initramfs. */
int inspect_boot (guestfs_h *g, json_object *guest);

/* network.c, tools.c: network configuration, hypervisor tools, SELinux. */
int inspect_network (guestfs_h *g, json_object *guest);
int inspect_tools (guestfs_h *g, const char *root, json_object *guest);

/* windows.c: guest.windows (registry, hibernation, BitLocker, boot
 * files).  ROOT's filesystems are mounted (read-only) before and after.
 * See windows.h.
 */
int inspect_windows (guestfs_h *g, const char *root, json_object *guest);

/* risks.c: derive guest.risks from the rest of guest (pure). */
int compute_risks (json_object *m, json_object *guest);

/* risks.c: append {code, severity, message, path?, line?} to RISKS. */
int add_risk (json_object *risks, const char *code, const char *severity,
              const char *path, int64_t line, const char *fs, ...)
  __attribute__((format (printf, 6, 7)));

/* report.c: --format table, a human summary of M (vm, disks, guest) on
 * FP instead of the manifest.  An h2k_render_fn: 0, or -1 reported.
 */
int inspect_render_table (FILE *fp, json_object *m, const void *opaque);

/* util.c */
/* A linuxcfg parser. */
typedef json_object *(*parser_fn) (const char *text, size_t len,
                                   const char *name);

/* Parse the guest file PATH with PARSE into guest[KEY].  A missing file
 * is fine (0); one that does not parse is an error.
 */
int guest_parse_file (guestfs_h *g, const char *path, parser_fn parse,
                      json_object *guest, const char *key);

#endif
