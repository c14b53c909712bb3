/* h2k-fix-linux: shared between its files.
 *
 * main.c launches one appliance on the overlays, mounts the guest, and
 * asks each planner (fstab.c, grub.c, initramfs.c, network.c, tools.c,
 * efi.c) what it would change, looking at the files as they are now, so
 * that a second run plans nothing.  The plan goes into the manifest; with
 * --dry-run that is all.  Otherwise each item is applied in order, every
 * edited file backed up first (edit.c) and every change recorded.
 */
#ifndef H2K_FIX_LINUX_H
#define H2K_FIX_LINUX_H

#include <stddef.h>
#include <stdio.h>

#include <guestfs.h>
#include <json-c/json.h>

#include "linuxcfg.h"

#define BACKUP_DIR "/var/lib/h2k/backup"

struct fix_opts {
  int dry_run;
  int keep_tools;               /* --keep-hypervisor-tools */
};

struct fix {
  guestfs_h *g;
  json_object *m;               /* the manifest */
  json_object *guest;           /* m.guest, from h2k-inspect */
  json_object *plan;            /* items planned by this run */
  json_object *changes;         /* changes made by this run */
  const struct fix_opts *o;
};

typedef json_object *(*parser_fn) (const char *text, size_t len,
                                   const char *name);

/* A planner appends items with plan_add; an applier performs one item. */
typedef int (*applier_fn) (struct fix *f, json_object *item);

/* Append {id, tool, action, reason, files[], details} to f->plan.  FILE
 * may be NULL; DETAILS (owned) NULL means the caller ran out of memory
 * building them: an error.  Returns the item or NULL reported.
 */
json_object *plan_add (struct fix *f, const char *action, const char *file,
                       json_object *details, const char *fs, ...)
  __attribute__((format (printf, 5, 6)));

/* report.c: --format table, the items planned by this run (plan[FIRST]
 * on) as a numbered list on FP instead of the manifest.  An
 * h2k_render_fn whose OPAQUE is a struct fix_report.
 */
struct fix_report {
  size_t first;                 /* the first plan item of this run */
  int dry_run;
};
int fix_render_plan (FILE *fp, json_object *m, const void *opaque);

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

/* edit.c: the only ways files change. */

/* Copy PATH to BACKUP_DIR/PATH unless a backup is already there (the
 * first backup is the original).  Sets *BACKUP (caller frees) to its path.
 */
int backup_file (struct fix *f, const char *path, char **backup);

/* Record a change {plan_id, action, path, before_sha256, after_sha256,
 * backup, command}.  BEFORE/AFTER are hex digests or NULL.
 */
int record_change (struct fix *f, json_object *item, const char *action,
                   const char *path, const char *before, const char *after,
                   const char *backup, json_object *command);

/* A command item's details: {argv, backups, outputs} (NULL-terminated
 * lists; BACKUPS and OUTPUTS may be NULL).  NULL reported.
 */
json_object *command_details (const char *const *argv, const char *const *backups,
                              const char *const *outputs);

/* sha256 of PATH in the guest, or NULL if it does not exist. */
char *guest_sha256 (guestfs_h *g, const char *path);

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
