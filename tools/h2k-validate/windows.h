/* h2k-validate: Windows guests.
 *
 * windows-hive.c reads the SYSTEM hive with hivex and checks that the
 * boot storage driver for the validation bus starts at boot and is bound
 * to the virtio controller (no appliance: the unit tests run it on real
 * hives); windows-setup.c reads and writes HKLM\SYSTEM\Setup (the first-
 * boot runner of h2k-fix-windows, or validate's own one-shot beacon) and
 * writes the beacon's .cmd scripts; windows.c does both in the libguestfs
 * launch on the throwaway overlays (offline.c calls it); windows-boot.c
 * plans the boot phases from the manifest's "windows_boot" and runs the
 * two-phase boot (run.c calls it).
 */
#ifndef H2K_VALIDATE_WINDOWS_H
#define H2K_VALIDATE_WINDOWS_H

#include <stdint.h>

#include <guestfs.h>
#include <hivex.h>
#include <json-c/json.h>

#define WIN_SCSI_ADAPTER_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
#define WIN_BUILD_WIN8 9200     /* from here on: DriverDatabase, no CDD */

/* windows-hive.c ---------------------------------------------------------- */

/* The boot storage driver for a validation bus: viostor, vioscsi, or
 * NULL (sata: Windows has its own AHCI driver).
 */
const char *win_storage_driver (const char *bus);

/* The guest path of ImagePath IMAGE (as Windows writes it:
 * system32\DRIVERS\x.sys, \SystemRoot\System32\drivers\x.sys,
 * %SystemRoot%\..., \??\C:\...), SYSTEM_ROOT being the guest path of
 * %SystemRoot% ("/Windows").  Caller frees; NULL on ENOMEM (not reported).
 */
char *win_image_path_to_guest (const char *image, const char *system_root);

struct win_check {
  const char *drv;              /* viostor or vioscsi */
  int64_t build;                /* < WIN_BUILD_WIN8: CriticalDeviceDatabase */
  const char *system_root;      /* guest path of %SystemRoot% */
  /* Does the guest path exist as a file?  1 or 0.  NULL: not checked. */
  int (*file_exists) (void *opaque, const char *path);
  void *opaque;
};

/* Check the SYSTEM hive H for the boot storage driver C->drv, in every
 * control set that Select names: Services\DRV with Type 1, Start 0, no
 * StartOverride value other than 0, an ImagePath naming a file present
 * in the guest; and the binding of the virtio PCI ids to it: the
 * CriticalDeviceDatabase of each control set before Windows 8, the
 * DriverDatabase (DeviceIds -> DriverInfFiles -> DriverPackages) from
 * Windows 8 on.  Returns the findings (caller owns):
 *   { "driver", "binding": "critical-device-database"|"driver-database",
 *     "control_sets": [ { "name", "selected_as": [...], "service": {...},
 *                         "critical_device": {...}, "status" } ],
 *     "driver_database": {...}, "errors": [ one line each ] }
 * "errors" is empty when every check passed.  NULL reported (ENOMEM).
 */
json_object *win_check_storage (hive_h *h, const struct win_check *c);

/* windows-setup.c --------------------------------------------------------- */

#define WIN_FB_DIR "\\h2k\\firstboot"           /* under the system drive */
#define WIN_FB_RUNNER WIN_FB_DIR "\\firstboot.cmd"
#define WIN_FB_STEP "99-h2k-validate.cmd"
#define WIN_OWN_DIR "\\h2k\\validate"
#define WIN_OWN_SCRIPT WIN_OWN_DIR "\\beacon.cmd"

/* What HKLM\SYSTEM\Setup holds: {cmdline, setup_type, runner} where
 * runner is true when SetupType is 2 and CmdLine starts the first-boot
 * runner of h2k-fix-windows (FB_RUNNER).  Caller owns; NULL reported.
 */
json_object *win_setup_state (hive_h *h);

/* Register CMDLINE as HKLM\SYSTEM\Setup CmdLine (REG_SZ) with SetupType 2
 * (REG_DWORD) in H, opened for writing (the caller commits).  -1
 * reported.
 */
int win_setup_register (hive_h *h, const char *cmdline);

/* The beacon as a .cmd script (ASCII, CRLF line ends; caller frees; NULL
 * reported): configure COM1, wait up to WAIT_S seconds for an IPv4
 * address (when WAIT_S > 0), and write to COM1 in one go
 *   H2K-BEACON <token> BEGIN waited=<s> format=ipconfig
 *   H2K-BEACON <token> | <each line of ipconfig /all>
 *   H2K-BEACON <token> END
 * then exit 0.  With ONE_SHOT (validate's own script), it first clears
 * Setup's CmdLine and SetupType so that it runs once.  DIR is where it
 * keeps its output file (a Windows path).
 */
char *win_beacon_script (const char *token, int wait_s, int one_shot,
                         const char *dir);

/* windows-ipconfig.c: the adapters of `ipconfig /all` (LINES,
 * NULL-terminated) appended to ARR as {name, state, mac, addresses}.
 * -1 on ENOMEM (not reported).
 */
int win_parse_ipconfig (char **lines, json_object *arr);

/* windows.c --------------------------------------------------------------- */

struct run;
/* The Windows guest checks and the beacon, in the launch on the throwaway
 * overlays: mount ROOT read-write, download the SYSTEM hive, record what
 * was found in GI.  CHECKS: the storage checks (recorded as GI.storage,
 * failures through offline_fail; skipped on sata and in two-phase mode,
 * with the reason); BEACON: inject it (must be set: Windows has no other
 * signal).  -1 reported.
 */
int windows_guest (struct run *r, guestfs_h *g, const char *root,
                   json_object *gi, int checks, int beacon);

/* Is the manifest's guest Windows (guest.type)? */
int windows_manifest (json_object *m);

/* windows-boot.c ---------------------------------------------------------- */

#define WIN_POWEROFF_WAIT 600   /* seconds phase 1 may take to power off
                                   after its beacon */
#define VALIDATE_TIMEOUT_TCG_WINDOWS 2400
#define VALIDATE_TIMEOUT_KVM_WINDOWS 900

/* One boot of the plan. */
struct win_phase {
  int number;
  const char *name;             /* install-drivers, final */
  const char *bus;              /* the system disk's bus */
  const char *nic;              /* virtio */
  const char *scratch_bus;      /* or NULL */
  int64_t scratch_mib;
  const char *ends;             /* poweroff, or NULL */
};

struct win_plan {
  const char *strategy;         /* single, two-phase */
  const char *storage;          /* windows_boot.storage, or NULL */
  struct win_phase phases[2];
  size_t n_phases;
};

/* Read M's "windows_boot" (absent: one final phase on BUS).  An explicit
 * --bus (BUS_SET) wins over the final phase's system_bus.  0, or -1
 * reported naming the JSON path.
 */
int win_plan_read (json_object *m, const char *bus, int bus_set,
                   struct win_plan *p);

/* When M's guest is Windows: refuse --signal login, read the plan
 * (R->win); after plan_vm, windows_configure sets the final bus, the
 * Windows default timeout, reboots allowed.  Nothing for other guests.
 * -1 reported.
 */
int windows_prepare (struct run *r);
int windows_configure (struct run *r);
/* Is R a two-phase Windows boot? */
int windows_two_phase (const struct run *r);
/* -n: print the phase-1 command line too.  -1 reported. */
int windows_dry_run (struct run *r);
/* Two-phase: boot phase 1 on its own overlays and, when it gave its
 * beacon and powered off, make R ready for the final phase (overlays
 * backed by phase 1's).  0 (also when not two-phase); -1 failed or could
 * not run (recorded in validation when phase 1 ran, reported).
 */
int windows_first_phase (struct run *r);
/* Add validation.phases[] (and windows_boot) to V.  -1 reported. */
int windows_record (struct run *r, json_object *v, const char *reason);
void windows_free (struct run *r);

#endif
