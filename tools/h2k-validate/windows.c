/* h2k-validate: a Windows guest in the libguestfs launch on the
 * throwaway overlays: download its SYSTEM hive, check the boot storage
 * driver (windows-hive.c), and inject the beacon (windows-setup.c): a
 * step of the first-boot runner when h2k-fix-windows registered one,
 * else validate's own one-shot script registered in the overlay's hive.
 * The images we boot are never written: the appliance only has the
 * overlays.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

#define HIVE_LOCAL "SYSTEM.hive"

int
windows_manifest (json_object *m)
{
  const char *type = h2k_json_get_string (h2k_json_get_object (m, "guest"), "type");

  return type && strcmp (type, "windows") == 0;
}

/* What we know of the guest, from the manifest, else from libguestfs. */
struct wguest {
  guestfs_h *g;
  char *root_path;              /* guest path of %SystemRoot%: /Windows */
  char *root_win;               /* C:\Windows */
  char drive[3];                /* C: */
  char *hive;                   /* guest path of the SYSTEM hive, as found */
  char *local;                  /* our copy */
  int64_t build;
};

static void
wguest_free (struct wguest *w)
{
  free (w->root_path);
  free (w->root_win);
  free (w->hive);
  if (w->local)
    unlink (w->local);
  free (w->local);
}

static int
file_exists (void *opaque, const char *path)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *p = h2k_guest_case_path (g, path);

  return p && h2k_guest_is_file (g, p);
}

static int64_t
build_of (guestfs_h *g, const char *root, json_object *win)
{
  int64_t b = h2k_json_get_int (win, "build", 0);
  int major, minor;

  if (b > 0)
    return b;
  /* Not inspected by h2k-inspect: Windows 8 is NT 6.2. */
  major = guestfs_inspect_get_major_version (g, root);
  minor = guestfs_inspect_get_minor_version (g, root);
  return major > 6 || (major == 6 && minor >= 2) ? WIN_BUILD_WIN8 : 7601;
}

static int
wguest_init (struct run *r, guestfs_h *g, const char *root, struct wguest *w)
{
  json_object *win = h2k_json_get_object (h2k_json_get_object (r->m, "guest"), "windows");
  const char *rp = h2k_json_get_string (win, "system_root_path");
  const char *rw = h2k_json_get_string (win, "system_root");
  const char *hive = h2k_json_get_string (win, "system_hive");
  CLEANUP_FREE char *hive_guess = NULL;

  w->g = g;
  w->root_path = rp ? strdup (rp) : guestfs_inspect_get_windows_systemroot (g, root);
  w->root_win = strdup (rw ? rw : "C:\\Windows");
  if (w->root_path == NULL || w->root_win == NULL)
    goto fail;
  snprintf (w->drive, sizeof w->drive, "%.2s",
            w->root_win[0] && w->root_win[1] == ':' ? w->root_win : "C:");
  if (hive == NULL &&
      (hive = hive_guess = guestfs_inspect_get_windows_system_hive (g, root)) == NULL)
    goto fail;
  if ((w->hive = h2k_guest_case_path (g, hive)) == NULL ||
      !h2k_guest_is_file (g, w->hive)) {
    h2k_error ("%s: the SYSTEM hive is not in the guest", hive);
    return -1;
  }
  w->build = build_of (g, root, win);
  if ((w->local = h2k_path_join (r->tmpdir, HIVE_LOCAL)) == NULL)
    return -1;
  if (guestfs_download (g, w->hive, w->local) == -1)
    return -1;
  return 0;
 fail:
  h2k_error ("the Windows system root or SYSTEM hive: %m");
  return -1;
}

/* The storage checks ------------------------------------------------------- */

/* Why the storage checks do not apply, or NULL. */
static const char *
skip_reason (struct run *r, const char *drv)
{
  if (windows_two_phase (r))
    return r->win_phase == 1
      ? "two-phase: the binding checks apply to the final phase only"
      : "two-phase: the phase-1 boot installs the binding; phase 2's disk is "
        "only known after phase 1";
  if (drv == NULL)
    return "no virtio driver needed on sata (Windows' own AHCI driver)";
  return NULL;
}

static int
check_storage (struct run *r, struct wguest *w, json_object *gi)
{
  const char *drv = win_storage_driver (r->cfg.bus);
  const char *why = skip_reason (r, drv);
  struct win_check c = { .drv = drv, .build = w->build,
                         .system_root = w->root_path,
                         .file_exists = file_exists, .opaque = w->g };
  CLEANUP_JSON json_object *found = NULL;
  hive_h *h;
  json_object *errors, *st;

  if (why) {
    if ((st = h2k_json_ensure_object (gi, "storage")) == NULL ||
        h2k_json_set_string (st, "status", "skipped") == -1 ||
        h2k_json_set_string (st, "why", why) == -1)
      return -1;
    h2k_info ("Windows storage checks skipped: %s", why);
    return 0;
  }
  if ((h = h2k_winreg_open (w->local, w->hive,
                            h2k_verbose > 1 ? HIVEX_OPEN_VERBOSE : 0)) == NULL)
    return -1;
  found = win_check_storage (h, &c);
  hivex_close (h);
  if (found == NULL)
    return -1;
  errors = h2k_json_get_array (found, "errors");
  if (h2k_json_set_string (found, "status", json_object_array_length (errors)
                           ? "failed" : "passed") == -1)
    return -1;
  for (size_t i = 0; i < json_object_array_length (errors); ++i)
    if (offline_fail (r, "%s", json_object_get_string (json_object_array_get_idx (errors, i))) == -1)
      return -1;
  if (h2k_json_set (gi, "storage", found) == -1)
    return -1;
  found = NULL;
  return 0;
}

/* The beacon ---------------------------------------------------------------- */

/* Write TEXT as the guest file DIR/NAME (DIR made if missing). */
static int
put_file (struct wguest *w, const char *dir, const char *name, const char *text,
          json_object *files)
{
  CLEANUP_FREE char *d = h2k_guest_case_path (w->g, dir);
  CLEANUP_FREE char *path = NULL;

  if (d == NULL) {
    /* A parent is missing: make it, then look again. */
    if (guestfs_mkdir_p (w->g, dir) == -1 ||
        (d = h2k_guest_case_path (w->g, dir)) == NULL)
      return -1;
  }
  if (guestfs_mkdir_p (w->g, d) == -1 || (path = h2k_path_join (d, name)) == NULL ||
      guestfs_write (w->g, path, text, strlen (text)) == -1)
    return -1;
  return h2k_json_array_add_string (files, path);
}

/* HKLM\SYSTEM\Setup: CmdLine runs our script, once. */
static int
register_own (struct wguest *w, const char *cmdline, json_object *b)
{
  hive_h *h = h2k_winreg_open (w->local, w->hive, HIVEX_OPEN_WRITE);
  json_object *reg;
  int ret = -1;

  if (h == NULL)
    return -1;
  if (win_setup_register (h, cmdline) == -1)
    goto out;
  if (hivex_commit (h, w->local, 0) == -1) {
    h2k_error ("%s: writing the registry hive: %m", w->local);
    goto out;
  }
  if (guestfs_upload (w->g, w->local, w->hive) == -1)
    goto out;
  if ((reg = h2k_json_ensure_object (b, "setup")) == NULL ||
      h2k_json_set_string (reg, "key", "HKLM\\SYSTEM\\Setup") == -1 ||
      h2k_json_set_string (reg, "cmdline", cmdline) == -1 ||
      h2k_json_set_int (reg, "setup_type", 2) == -1 ||
      h2k_json_set_string (reg, "hive", w->hive) == -1)
    goto out;
  ret = 0;
 out:
  hivex_close (h);
  return ret;
}

static int
inject (struct run *r, struct wguest *w)
{
  int wait_s = r->net.n_nics ? (int) r->o->net_timeout : 0;
  CLEANUP_FREE char *script = NULL, *dir = NULL, *cmdline = NULL, *runner = NULL;
  CLEANUP_JSON json_object *state = NULL;
  hive_h *h;
  json_object *b, *files;
  int use_runner;

  if (wait_s > BEACON_WAIT_MAX)
    wait_s = BEACON_WAIT_MAX;
  if ((h = h2k_winreg_open (w->local, w->hive, 0)) == NULL)
    return -1;
  state = win_setup_state (h);
  hivex_close (h);
  if (state == NULL || beacon_token (r->token) == -1)
    return -1;
  runner = h2k_guest_case_path (w->g, "/h2k/firstboot/firstboot.cmd");
  use_runner = h2k_json_get_bool (state, "runner", 0) && runner &&
    h2k_guest_is_file (w->g, runner);
  if (h2k_json_get_bool (state, "runner", 0) && !use_runner &&
      run_warn (r, "HKLM\\SYSTEM\\Setup names the first-boot runner, but %s%s is "
                "missing: validate's own beacon replaces it", w->drive,
                WIN_FB_RUNNER) == -1)
    return -1;
  if ((b = r->beacon_json = json_object_new_object ()) == NULL ||
      (files = h2k_json_ensure_array (b, "files")) == NULL ||
      h2k_json_set_string (b, "os", "windows") == -1 ||
      h2k_json_set_string (b, "method", use_runner ? "firstboot-step" : "setup-cmdline") == -1 ||
      h2k_json_set_int (b, "wait_s", wait_s) == -1 ||
      h2k_json_set (b, "setup_before", json_object_get (state)) == -1)
    return -1;
  if (asprintf (&dir, "%s%s", w->drive, use_runner ? WIN_FB_DIR : WIN_OWN_DIR) == -1) {
    dir = NULL;
    h2k_error ("%m");
    return -1;
  }
  if ((script = win_beacon_script (r->token, wait_s, !use_runner, dir)) == NULL)
    return -1;
  if (use_runner) {
    if (put_file (w, "/h2k/firstboot/steps", WIN_FB_STEP, script, files) == -1)
      return -1;
    h2k_info ("beacon injected as the first-boot runner's last step (%s%s\\steps\\%s)",
              w->drive, WIN_FB_DIR, WIN_FB_STEP);
    return 0;
  }
  if (asprintf (&cmdline, "%s\\System32\\cmd.exe /c %s%s", w->root_win, w->drive,
                WIN_OWN_SCRIPT) == -1) {
    cmdline = NULL;
    h2k_error ("%m");
    return -1;
  }
  if (put_file (w, "/h2k/validate", "beacon.cmd", script, files) == -1 ||
      register_own (w, cmdline, b) == -1)
    return -1;
  h2k_info ("beacon injected: %s, registered in HKLM\\SYSTEM\\Setup (overlay only)",
            cmdline);
  return 0;
}

int
windows_guest (struct run *r, guestfs_h *g, const char *root, json_object *gi,
               int checks, int beacon)
{
  struct wguest w = { 0 };
  int ret = -1;

  if (!beacon) {
    h2k_error ("the guest is Windows: --signal login cannot work (Windows prints "
               "no login prompt on the serial console); use the beacon");
    return -1;
  }
  if (h2k_guest_mount (g, root, H2K_GUEST_RW) == -1 || wguest_init (r, g, root, &w) == -1)
    goto out;
  if (h2k_json_set_string (gi, "system_hive", w.hive) == -1 ||
      h2k_json_set_int (gi, "build", w.build) == -1 ||
      h2k_json_set_string (gi, "system_root", w.root_win) == -1)
    goto out;
  if (checks && check_storage (r, &w, gi) == -1)
    goto out;
  if (checks && h2k_json_set_string (gi, "status", "checked") == -1)
    goto out;
  if (r->offline_failure == NULL && inject (r, &w) == -1)
    goto out;
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    goto out;
  ret = 0;
 out:
  wguest_free (&w);
  return ret;
}
