/* h2k: the fixers' plan and changes (h2k-fix-linux, h2k-fix-windows).
 *
 * A fixer plans first: one item per change it would make, appended to
 * the manifest's plan (h2k_fixer_plan), decided from the guest as it is
 * now so that a second run plans nothing.  It logs the plan
 * (h2k_fixer_print_plan) and, unless --dry-run, applies each item: every
 * guest file it replaces is backed up first (h2k_fixer_backup, or
 * h2k_fixer_write and h2k_fixer_copy, which do it) and every change is
 * logged and recorded in the manifest's changes with the file's sha256
 * before and after (h2k_fixer_record).  --format table prints the plan
 * as a reviewer reads it (h2k_render_plan, change-report.c).
 *
 * The manifest fields are in h2k-manifest(5) (plan, changes) and in each
 * fixer's page.
 */
#ifndef H2K_CHANGE_H
#define H2K_CHANGE_H

#include <stddef.h>
#include <stdio.h>

#include <guestfs.h>
#include <json-c/json.h>

/* One fixer's run: where it plans, records and backs up.  Borrowed
 * pointers, all set by the tool.
 */
struct h2k_fixer {
  const char *tool;             /* plan[].tool, e.g. "h2k-fix-linux" */
  const char *backup_dir;       /* in the guest, e.g. "/var/lib/h2k/backup" */
  guestfs_h *g;                 /* the appliance, the guest mounted */
  json_object *plan;            /* m.plan */
  json_object *changes;         /* m.changes */
};

/* Append {id, tool, action, reason, files[], details} to x->plan (see
 * h2k_plan_add): FILE may be NULL; DETAILS (owned) NULL means the caller
 * ran out of memory building them, an error.  Returns the item, or NULL
 * reported.
 */
json_object *h2k_fixer_plan (struct h2k_fixer *x, const char *action,
                             const char *file, json_object *details,
                             const char *fs, ...)
  __attribute__((format (printf, 5, 6)));

/* Log each plan item from FIRST on ("plan ID: FILE: REASON"), or that
 * there is nothing to change.
 */
void h2k_fixer_print_plan (const struct h2k_fixer *x, size_t first);

/* Before PATH changes: *BEFORE (if BEFORE is not NULL) gets its sha256,
 * NULL when it does not exist; if it exists, *BACKUP gets the path of
 * its backup, backup_dir/PATH, copied there unless a backup is already
 * there (the first backup is the original), else NULL.  Caller frees
 * both.  -1 reported.
 */
int h2k_fixer_backup (struct h2k_fixer *x, const char *path, char **before,
                      char **backup);

/* Log and record the change {plan_id, action, path, before_sha256,
 * after_sha256, backup, command} that ITEM made; PATH, BEFORE, AFTER,
 * BACKUP and COMMAND (owned: the argv run) may be NULL.  Returns the
 * change (for details of the caller's), or NULL reported.
 */
json_object *h2k_fixer_record (struct h2k_fixer *x, json_object *item,
                               const char *action, const char *path,
                               const char *before, const char *after,
                               const char *backup, json_object *command);

/* Write PATH in the guest, creating its directory: from the local file
 * LOCAL, or else with TEXT.  What was there is backed up first; with
 * SHA256 the file must read back with that digest.  The change is
 * recorded as ACTION.  -1 reported.
 */
int h2k_fixer_write (struct h2k_fixer *x, json_object *item, const char *action,
                     const char *path, const char *local, const char *text,
                     const char *sha256);

/* Copy FROM to TO in the guest, creating TO's directory; what was at TO
 * is backed up first.  The change is recorded as ACTION.  -1 reported.
 */
int h2k_fixer_copy (struct h2k_fixer *x, json_object *item, const char *action,
                    const char *from, const char *to);

/* change-report.c: --format table, the items planned by this run
 * (plan[FIRST] on) as a numbered list: each item's action and id, why,
 * the guest files it touches and what exactly it does, for every action
 * of both fixers.  Rendered from the manifest alone.  An h2k_render_fn
 * whose OPAQUE is a struct h2k_plan_report.
 */
struct h2k_plan_report {
  size_t first;                 /* the first plan item of this run */
  int dry_run;
};
int h2k_render_plan (FILE *fp, json_object *m, const void *opaque);

#endif
