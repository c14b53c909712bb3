/* h2k-fix-windows: shared between its files.
 *
 * main.c parses the options; run.c checks the manifest (everything that
 * can be refused is refused before the appliance starts), launches one
 * appliance on the overlays and plans, then, unless --dry-run, applies:
 *   stage.c           the driver packages staged from --virtio-win, their
 *                     upload to C:\h2k\drivers and the boot driver's to
 *                     System32\drivers planned
 *   boot.c            the boot partition: BCD backup, UEFI fallback loader
 *   hives.c           the SYSTEM and SOFTWARE hive edits, planned from
 *                     local copies with registry.c's planners and applied
 *                     with hivex
 *   firstboot-plan.c  the first-boot runner and steps for this guest
 *   apply.c           the changes, in order
 *   phases.c          windows_boot, the layout of each boot phase
 * and the pure parts, unit-tested without an appliance:
 *   drivers.c         the virtio-win folder for a Windows, the packages
 *   inf.c             a driver package's INF
 *   registry.c        registry planning and changes on an open hive
 *   firstboot.c       the text of the first-boot runner and its steps.
 * Plan items, backups, change records, the log and --format table are
 * common/change.h's.
 */
#ifndef H2K_FIX_WINDOWS_H
#define H2K_FIX_WINDOWS_H

#include <stdint.h>

#include <guestfs.h>
#include <hivex.h>
#include <json-c/json.h>

#include "change.h"

#define BACKUP_DIR "/h2k/backup"        /* C:\h2k\backup */
#define BACKUP_DIR_WIN "C:\\h2k\\backup"
#define H2K_DIR "/h2k"
#define DRIVERS_DIR H2K_DIR "/drivers"
#define FB_DIR H2K_DIR "/firstboot"
#define FB_STEPS FB_DIR "/steps"

/* ---- drivers.c: choosing the virtio-win folder, one driver file.
 *
 * The facts the driver choice depends on (from guest.windows). */
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

/* ---- inf.c: the facts of a driver package's INF that h2k needs.
 * Sections, keys and %strings% are matched case-insensitively; ';'
 * comments, quoted values and line continuations are handled; a UTF-16LE
 * file (with BOM) is read too.  Strings are UTF-8, %keys% resolved from
 * [Strings].
 */
struct inf_model {
  char *hwid;                   /* as written, e.g. PCI\VEN_1AF4&DEV_1001&... */
  char *section;                /* the install section it names */
  char *description;            /* the device description, resolved */
};

struct inf_info {               /* a string is NULL when the INF lacks it */
  char *class_name;             /* [Version] Class */
  char *class_guid;             /* [Version] ClassGuid, upper case, with braces */
  char *provider;               /* [Version] Provider, resolved */
  char *catalog;                /* CatalogFile (CatalogFile.NT<arch> first) */
  int date_month, date_day, date_year;  /* DriverVer date */
  uint16_t version[4];          /* DriverVer version a.b.c.d */
  struct inf_model *models;     /* the models sections for ARCH */
  size_t n_models;
  char *service;                /* the service the first model's section
                                   installs with flag 0x2 (its function
                                   driver), from [SECTION.Services] */
};

/* Parse the INF file PATH for ARCH (a virtio-win arch folder: x86, amd64,
 * ARM64; models sections decorated NTx86/NTamd64/NTarm64, with or without
 * an OS version suffix).  -1 reported in one line naming PATH (and the
 * line where it applies).
 *
 * Models: every [Manufacturer] line's sections decorated for ARCH (all
 * of them, e.g. NTamd64.6.3 and NTamd64.10.0...16299, hardware IDs
 * de-duplicated case-insensitively, first kept); if a line has none, its
 * NT or NT.<version> ones; if none either, on x86 only, the undecorated
 * section (x64 and ARM64 Windows ignore those).  No models for ARCH is
 * not an error (n_models 0, service NULL).  [Version] and its DriverVer
 * are required; a DriverVer without a version leaves 0.0.0.0.  OUT is
 * zeroed first and on error; inf_info_free accepts it either way.
 */
int inf_parse_file (const char *path, const char *arch, struct inf_info *out);
void inf_info_free (struct inf_info *inf);

/* ---- registry.c: planning and making registry changes on a local copy
 * of a hive (SYSTEM or SOFTWARE), with hivex.  Each planner appends to VALUES (a JSON array) every
 * value the hive H lacks or holds with another type or data, as
 * {key, name, type, value}: key relative to the hive root, name "" for
 * the default value, type dword, sz, expand_sz, multi_sz (value: array),
 * binary (value: hex string) or delete (no value).  -1 reported.
 */
/* SYSTEM: DRV a boot-start SCSI miniport in each of CONTROL_SETS. */
int reg_plan_service (hive_h *h, char **control_sets, const char *drv,
                      json_object *values);
/* SYSTEM: CriticalDeviceDatabase entries binding the virtio PCI ids to
 * DRV (Windows before 8).
 */
int reg_plan_cdd (hive_h *h, char **control_sets, const char *drv,
                  json_object *values);
/* SYSTEM: Start=4 for the drivers and services of other hypervisors
 * (hypervisor_services) that are present, except class filters (warned).
 */
int reg_plan_leftovers (hive_h *h, char **control_sets, json_object *values);
/* SYSTEM: delete the StartOverride values of service DRV. */
int reg_plan_start_override (hive_h *h, char **control_sets, const char *drv,
                             json_object *values);
/* SYSTEM: the inbox SATA AHCI driver (storahci, msahci before Windows 8)
 * boot-start, for phase 1 of the two-phase strategy.
 */
int reg_plan_ahci (hive_h *h, char **control_sets, int64_t build,
                   json_object *values);
/* SYSTEM (Windows 8 and later): a boot binding of the virtio PCI ids of
 * INF's models to DRV in the DriverDatabase, under names of our own
 * (reg_driverdb_inf, reg_driverdb_package) that the first boot deletes
 * once the real package is installed (reg_driverdb_cleanup gives the
 * keys and values, under HKLM).  ARCH is the package architecture
 * (amd64, x86, arm64); OEM_PATH the Windows folder the package is staged
 * in.
 */
int reg_plan_driverdb (hive_h *h, const char *drv, const char *arch,
                       const struct inf_info *inf, const char *oem_path,
                       json_object *values);
char *reg_driverdb_inf (const char *drv);
char *reg_driverdb_package (const char *drv, const char *arch);
json_object *reg_driverdb_cleanup (const char *drv, const char *arch,
                                   const struct inf_info *inf);
/* SYSTEM: Setup CmdLine = CMDLINE, SetupType = 2 (the first-boot runner).
 * Refused when Windows setup is already pending with another command.
 */
int reg_plan_setup (hive_h *h, const char *cmdline, json_object *values);
/* SOFTWARE: DevicePath with each of DIRS (NULL-terminated) appended. */
int reg_plan_device_path (hive_h *h, char *const *dirs, json_object *values);

/* Set each value of VALUES ({key, name, type, value}) in H (opened for
 * writing), creating keys as needed; append to BEFORE one JSON value per
 * element: the old {type, value}, or null when it was absent.  -1
 * reported.
 */
int reg_apply (hive_h *h, json_object *values, json_object *before);

/* {type, value} of value NAME of key KEY, or NULL (json null) if absent. */
json_object *reg_get (hive_h *h, const char *key, const char *name);

/* The drivers and services of other hypervisors we disable. */
extern const char *const hypervisor_services[];

/* ---- drivers.c: staging whole driver packages. */

/* The virtio-win driver packages h2k stages, in install order: viostor,
 * vioscsi, netkvm, balloon, vioser, viorng; NULL-terminated.  (Folder
 * names in virtio-win differ in case and spelling: NetKVM, Balloon,
 * vioserial.)
 */
extern const char *const win_packages[];

struct win_pkg {
  char *driver;                 /* "viostor", ... (win_packages) */
  char *rel_dir;                /* the folder inside SRC it came from */
  char *local_dir;              /* a local copy of the package's files */
  char **files;                 /* their names (no .pdb), NULL-terminated */
  char *inf;                    /* the .inf among them */
  char **sha256;                /* hex digest of each of FILES, same order */
};

/* Copy every package of win_packages that SRC (a virtio-win directory or
 * ISO) holds for W into a new directory under DEST (one subdirectory per
 * driver).  A package with no folder for W is left out with a warning,
 * except REQUIRED (the storage driver; NULL: none), which is an error.
 * *PKGS gets an array of *N packages (free with win_pkgs_free, which does
 * not remove the files; DEST is the caller's).  -1 reported.
 *
 * The folder is the best OS folder (win_os_folders order) holding the
 * driver's INF (DRIVER.inf, or a single .inf), in either layout, the
 * per-driver one preferred: DRV/OS/ARCH/ (every file but *.pdb) or
 * ARCH/OS/ (arch i386 for x86; this folder holds several drivers, so
 * only the files named DRIVER* and WdfCoInstaller*).  FILES are sorted
 * by name (bytes).  An ISO is read once, as a stream.
 */
int win_stage_packages (const char *src, const struct win_id *w,
                        const char *required, const char *dest,
                        struct win_pkg **pkgs, size_t *n);
void win_pkgs_free (struct win_pkg *pkgs, size_t n);

/* The qemu-guest-agent MSI for W's architecture in SRC
 * (guest-agent/qemu-ga-x86_64.msi, guest-agent/qemu-ga-i386.msi),
 * copied to DEST/NAME: 1 and *LOCAL set (caller frees), 0 when SRC has
 * none, -1 reported.
 */
int win_find_qemu_ga (const char *src, const struct win_id *w,
                      const char *dest, char **local);

/* ---- firstboot.c: the first-boot runner and its steps.
 *
 * The runner, FB_DIR\firstboot.cmd, is started by Windows before the
 * logon screen as LocalSystem through HKLM\SYSTEM\Setup (CmdLine,
 * SetupType=2).  It runs each FB_DIR\steps\*.cmd in name order, once
 * (a marker in FB_DIR\done), logging to FB_DIR\firstboot.log; exit 0 or
 * 3010 is success (3010: reboot needed); a step that fails is retried at
 * the next boot, at most FB_MAX_TRIES times; when a reboot is needed it
 * reboots and goes on at the next boot; when every step is done or has
 * given up it sets SetupType=0 and CmdLine="" and deletes itself.  With
 * POWEROFF (two-phase strategy, phase 1) it powers the guest off at the
 * end instead of going on to the logon screen.
 *
 * Every function returns a new ASCII text with CRLF line ends (caller
 * frees), or NULL reported (a value that cannot be written safely into a
 * .cmd file, such as one holding % " & | < > ^ or a non-ASCII byte, is
 * refused naming it).  DIR is the Windows path of FB_DIR, e.g.
 * C:\h2k\firstboot.
 */
#define FB_MAX_TRIES 3
char *fb_runner (const char *dir, int poweroff);

/* Install and bind each INF of INFS (Windows paths, NULL-terminated) with
 * pnputil: the syntax of the guest's build (BUILD).
 */
char *fb_step_pnputil (int64_t build, char *const *infs);

/* Delete registry keys and values: KEYS is a JSON array of {key, name}
 * (key under HKLM, e.g. SYSTEM\DriverDatabase\...; name absent: the whole
 * key).  Run only when the step ONLY_IF_DONE (a step file name) is done,
 * so that temporary boot bindings go once the real package is installed.
 */
char *fb_step_reg_delete (json_object *keys, const char *only_if_done);

/* Uninstall the MSI product PRODUCT_CODE ({GUID}) named NAME, quietly,
 * without reboot, logging to LOG (Windows path); 0, 3010 and 1605 (not
 * installed) are success.
 */
char *fb_step_msi_uninstall (const char *product_code, const char *name,
                             const char *log);

/* Install the MSI at MSI (Windows path) quietly, logging to LOG. */
char *fb_step_msi_install (const char *msi, const char *log);

/* Re-apply static network settings: IFACES is a JSON array of
 * {mac ("aa:bb:cc:dd:ee:ff"), addresses[], netmasks[], gateways[], dns[],
 * ipv6_addresses[] ("addr/prefix"), ipv6_gateways[], old_guid
 * ("{...}": the source adapter's Tcpip interface, whose static settings
 * are cleared so the ghost adapter does not hold the address)}.  For
 * each, wait for the adapter with that MAC to appear, then set its
 * addresses, gateways and DNS servers with netsh.
 */
char *fb_step_network (json_object *ifaces);

/* ---- the run on the guest (run.c and the files it calls). */
struct fixwin_opts {
  int dry_run;
  int keep_tools;               /* --keep-hypervisor-tools */
  const char *virtio_win;       /* --virtio-win DIR|ISO */
  const char *storage;          /* viostor or vioscsi */
  int two_phase;                /* --boot-strategy two-phase */
};

/* Check M, plan, and (unless dry-run) apply.  *FIRST gets the index of
 * the first plan item of this run.  -1 reported.
 */
int fixwin_run (json_object *m, const struct fixwin_opts *o, size_t *first);

/* A hive we plan on: its path in the guest and its local copies. */
struct hive {
  const char *name;             /* SYSTEM, SOFTWARE */
  const char *path;             /* in the mounted guest */
  char *local, *local_new;      /* downloaded; changed, to upload */
};

struct fw {
  struct h2k_fixer fx;          /* the appliance, m.plan, m.changes */
  json_object *m, *win;         /* the manifest, m.guest.windows */
  const struct fixwin_opts *o;
  char **csets;                 /* control sets Select refers to */
  struct win_id w;
  const char *arch;             /* package architecture: amd64, x86, arm64 */
  int win8, two_phase;
  char drive[3];                /* the system drive, "C:" */
  char *tmp;                    /* private directory, removed at the end */
  struct win_pkg *pkgs;         /* stage.c: the staged packages */
  size_t n_pkgs;
  struct win_pkg *storage;      /* the package of --storage */
  struct inf_info inf;          /* its INF */
  char *driver;                 /* its .sys, local */
  char driver_sha[65];
  char *qemu_ga;                /* the guest agent MSI, local, or NULL */
  struct hive sys, sw;
  json_object *fb;              /* generated first-boot files: [{path, text}] */
  /* The boot partition (BCD). */
  const char *boot_dev;
  int boot_is_root;
  char *bcd_local;              /* the BCD, downloaded */
  char bcd_sha[65];
};

/* run.c: helpers of the planners.  "C:\h2k\..." for a guest path
 * "/h2k/..." (NULL reported); a details object {K1: V1, K2: V2} (K2 or
 * V2 NULL: without it; NULL on ENOMEM).
 */
char *win_path (struct fw *f, const char *path);
json_object *string_details (const char *k1, const char *v1, const char *k2,
                             const char *v2);

/* The planners and appliers: 0, or -1 reported.  FIRST is the first
 * plan item of this run.
 */
int stage_packages (struct fw *f);      /* stage.c, before the appliance */
int plan_driver_file (struct fw *f);
int plan_stage (struct fw *f);
/* Append {name, path, local, sha256} to FILES unless the guest has
 * DIR/NAME with digest SHA already.
 */
int want_file (struct fw *f, json_object *files, const char *dir,
               const char *name, const char *local, const char *sha);
int plan_boot (struct fw *f);           /* boot.c */
int plan_bcd_backup (struct fw *f);
int apply_backup_bcd (struct fw *f, json_object *item);
int apply_boot (struct fw *f, size_t first);
int plan_system (struct fw *f);         /* hives.c */
int plan_software (struct fw *f);
int apply_hive (struct fw *f, struct hive *hv, size_t first);
int plan_firstboot (struct fw *f);      /* firstboot-plan.c */
/* The Setup CmdLine that starts the runner (caller frees), NULL reported. */
char *fb_cmdline (struct fw *f);
/* The text planned for first-boot file PATH, or NULL. */
const char *fb_text (struct fw *f, const char *path);
int apply_plan (struct fw *f, size_t first);    /* apply.c */
int record_boot (struct fw *f);         /* phases.c: m.windows_boot */

#endif
