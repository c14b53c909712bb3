/* h2k-fix-windows: shared between its files.
 *
 * drivers.c chooses the virtio-win folder for the guest (a pure function
 * of guest.windows) and extracts the driver from a virtio-win directory
 * or ISO (libarchive, never mounted); registry.c plans and makes the
 * registry changes on a local copy of the SYSTEM hive with hivex (no
 * appliance: the unit tests run it on real hives); main.c launches the
 * appliance, plans, and applies on the overlay.
 */
#ifndef H2K_FIX_WINDOWS_H
#define H2K_FIX_WINDOWS_H

#include <stdint.h>

#include <hivex.h>
#include <json-c/json.h>

#define BACKUP_DIR "/h2k/backup"        /* C:\h2k\backup */
#define BACKUP_DIR_WIN "C:\\h2k\\backup"

/* The facts the driver choice depends on (from guest.windows). */
struct win_id {
  int64_t build;                /* CurrentBuildNumber */
  int server;                   /* InstallationType is not "Client" */
  const char *arch;             /* x86_64, i386, aarch64 */
};

#define MAX_OS_FOLDERS 4

/* The virtio-win OS folders fitting W, best first, NULL-terminated into
 * OUT (at most MAX_OS_FOLDERS + 1 entries); *ARCH gets the arch folder
 * (x86, amd64, ARM64).  Returns the number of folders, or -1 (not
 * reported) when no driver fits (an unknown build or architecture).
 */
int win_os_folders (const struct win_id *w, const char **out,
                    const char **arch);

/* Find DRV.sys (viostor, vioscsi) for W in SRC (a virtio-win directory
 * or ISO), in either layout: DRV/OS/ARCH/DRV.sys or ARCH/OS/DRV.sys
 * (arch i386 for x86), folder names matched case-insensitively.  Copies
 * it to the new file *LOCAL (caller unlinks and frees) and sets *REL
 * (caller frees) to its path inside SRC.  -1 reported in one line.
 */
int win_find_driver (const char *src, const struct win_id *w, const char *drv,
                     char **local, char **rel);

/* registry.c.  Append to VALUES (a JSON array) every value the SYSTEM
 * hive H lacks or holds with another type or data, for: the boot-start
 * service DRV in each of CONTROL_SETS; CriticalDeviceDatabase entries
 * when CDD; Start=4 for the VMware drivers and services present when
 * VMWARE.  Each element: {key, name, type, value}.  Which list an element
 * goes to is chosen by the caller through SERVICE/CDD/VMW (may be NULL to
 * skip).  -1 reported.
 */
int reg_plan_service (hive_h *h, char **control_sets, const char *drv,
                      json_object *values);
int reg_plan_cdd (hive_h *h, char **control_sets, const char *drv,
                  json_object *values);
int reg_plan_vmware (hive_h *h, char **control_sets, json_object *values);

/* Set each value of VALUES ({key, name, type, value}) in H (opened for
 * writing), creating keys as needed; append to BEFORE one JSON value per
 * element: the old {type, value}, or null when it was absent.  -1
 * reported.
 */
int reg_apply (hive_h *h, json_object *values, json_object *before);

/* {type, value} of value NAME of key KEY, or NULL (json null) if absent. */
json_object *reg_get (hive_h *h, const char *key, const char *name);

/* The VMware drivers and services we disable. */
extern const char *const vmware_services[];

/* fix.c: the run on the guest (main.c parses options). */
struct fixwin_opts {
  int dry_run;
  int keep_tools;               /* --keep-hypervisor-tools */
  const char *virtio_win;       /* --virtio-win DIR|ISO */
  const char *storage;          /* viostor or vioscsi */
};

/* Check M, plan, and (unless dry-run) apply.  *FIRST gets the index of
 * the first plan item of this run.  -1 reported.
 */
int fixwin_run (json_object *m, const struct fixwin_opts *o, size_t *first);

#endif
