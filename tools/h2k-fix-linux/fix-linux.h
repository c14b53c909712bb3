/* h2k-fix-linux: shared between its files.
 *
 * main.c parses the options, launches one appliance on the overlays,
 * mounts the guest, and asks each planner what it would change, looking
 * at the files as they are now, so that a second run plans nothing:
 *   network.c    NIC names kept for their configuration (before any
 *                initramfs is rebuilt: initramfs-tools copies the rules)
 *   fstab.c      fstab by UUID
 *   grub.c       /etc/default/grub, BLS entries, grubenv, grub.cfg
 *   efi.c        the UEFI fallback loader
 *   tools.c      the old hypervisor's tools removed
 *   initramfs.c  virtio drivers in every initramfs (last)
 * and main.c itself plans the SELinux relabel and the final fstrim.  The
 * plan goes into the manifest (common/change.h: h2k_fixer_plan, the log,
 * --format table); with --dry-run that is all.  Otherwise apply.c
 * performs each item in order, every replaced file backed up first and
 * every change recorded (h2k_fixer_backup, h2k_fixer_record).  edit.c
 * holds the planners' text helpers: line edits, command items, device
 * names to filesystems.
 */
#ifndef H2K_FIX_LINUX_H
#define H2K_FIX_LINUX_H

#include <stddef.h>

#include <guestfs.h>
#include <json-c/json.h>

#include "change.h"
#include "linuxcfg.h"

#define BACKUP_DIR "/var/lib/h2k/backup"

struct fix_opts {
  int dry_run;
  int keep_tools;               /* --keep-hypervisor-tools */
};

struct fix {
  struct h2k_fixer fx;          /* the appliance, m.plan, m.changes */
  json_object *m;               /* the manifest */
  json_object *guest;           /* m.guest, from h2k-inspect */
  const struct fix_opts *o;
};

typedef json_object *(*parser_fn) (const char *text, size_t len,
                                   const char *name);

/* A planner appends items with h2k_fixer_plan; an applier performs one. */
typedef int (*applier_fn) (struct fix *f, json_object *item);

/* initramfs.c: LINE, a shell list assignment (NAME=(a b), NAME="a b"),
 * with the modules of ADD it lacks appended; *ADDED counts them (-1: not
 * such an assignment, NULL returned).  NULL reported otherwise.
 */
char *list_assignment_with (const char *line, const char *const *add,
                            int *added);

/* Planners. */
int plan_fstab (struct fix *f);
int plan_grub (struct fix *f);
int plan_initramfs (struct fix *f);
int plan_network (struct fix *f);
int plan_tools (struct fix *f);
int plan_efi (struct fix *f);

/* Appliers, by action name (see main.c). */
int apply_edit_lines (struct fix *f, json_object *item);
int apply_write_file (struct fix *f, json_object *item);
int apply_remove_file (struct fix *f, json_object *item);
int apply_command (struct fix *f, json_object *item);
int apply_copy_file (struct fix *f, json_object *item);
int apply_fstrim (struct fix *f, json_object *item);

/* edit.c: the planners' helpers. */

/* A command item's details: {argv, backups, outputs} (NULL-terminated
 * lists; BACKUPS and OUTPUTS may be NULL).  NULL reported.
 */
json_object *command_details (const char *const *argv, const char *const *backups,
                              const char *const *outputs);

/* Replace line LINE (1-based) of TEXT with REPLACEMENT (NULL deletes the
 * line).  Returns a new string, or NULL reported.
 */
char *text_replace_line (const char *text, int line, const char *replacement);

/* Line LINE of TEXT as a new string, or NULL. */
char *text_line (const char *text, int line);

/* Replace whitespace-delimited field FIELD (0-based) of LINE by NEW,
 * keeping the rest of the line as it is.  NULL reported.
 */
char *replace_field (const char *line, int field, const char *new_field);

/* An edit-lines item's details for PATH, and one edit appended to it
 * (NEW NULL deletes the line).
 */
json_object *edit_details (const char *path);
int edit_add (json_object *details, int line, const char *old, const char *new_line);

/* The filesystem record (guest.filesystems[]) for a spec as the guest's
 * fstab wrote it ("/dev/sda1", "/dev/hdb2", "/dev/nvme0n1p1"): mapped to
 * the appliance's name for it by disk order.  NULL if not found.
 */
json_object *filesystem_for_device (struct fix *f, const char *spec);

/* "UUID=..." (or PARTUUID=...) for FS, NULL if it has neither. */
char *stable_spec (json_object *fs);

#endif
