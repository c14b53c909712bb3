/* h2k-fix-windows: the run on the guest.
 *
 * Everything that can be refused is refused before the appliance starts:
 * not a Windows guest, no overlay, hibernated, no driver in --virtio-win
 * for this Windows.  The driver packages are staged in a private
 * directory, then one appliance runs on the overlays:
 *   - the boot partition first (BCD, the UEFI fallback loader), because
 *     Windows does not mount it anywhere under C:;
 *   - then C:: the SYSTEM and SOFTWARE hives are downloaded and the whole
 *     plan made from them and from the files' digests.
 * With --dry-run that is all.  Otherwise every file and hive is backed up
 * in the guest under C:\h2k\backup before it changes, hives are changed
 * with hivex on the local copies and uploaded back, and every registry
 * value set is recorded with its old and new value.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "fixwin.h"

#define FIRST_WIN8_BUILD 9200
#define H2K_DIR "/h2k"
#define DRIVERS_DIR H2K_DIR "/drivers"
#define FB_DIR H2K_DIR "/firstboot"
#define FB_STEPS FB_DIR "/steps"

/* A hive we plan on: its path in the guest and its local copies. */
struct hive {
  const char *name;             /* SYSTEM, SOFTWARE */
  const char *path;             /* in the mounted guest */
  char *local, *local_new;
};

struct fw {
  guestfs_h *g;
  json_object *m, *win, *plan, *changes;
  const struct fixwin_opts *o;
  char **csets;                 /* control sets Select refers to */
  struct win_id w;
  const char *arch;             /* package architecture: amd64, x86, arm64 */
  int win8, two_phase;
  char drive[3];                /* the system drive, "C:" */
  char *tmp;                    /* private directory, removed at the end */
  struct win_pkg *pkgs;
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

static void
fw_cleanup (struct fw *f)
{
  win_pkgs_free (f->pkgs, f->n_pkgs);
  inf_info_free (&f->inf);
  free (f->driver);
  free (f->qemu_ga);
  free (f->sys.local);
  free (f->sys.local_new);
  free (f->sw.local);
  free (f->sw.local_new);
  free (f->bcd_local);
  json_object_put (f->fb);
  if (f->tmp)
    h2k_remove_tree (f->tmp);
  free (f->tmp);
}

static json_object *
plan_add (struct fw *f, const char *action, const char *file,
          json_object *details, const char *fs, ...)
  __attribute__((format (printf, 5, 6)));

static json_object *
plan_add (struct fw *f, const char *action, const char *file,
          json_object *details, const char *fs, ...)
{
  json_object *item;
  va_list args;

  va_start (args, fs);
  item = h2k_plan_add (f->plan, "h2k-fix-windows", action, file, details, fs, args);
  va_end (args);
  return item;
}

static json_object *
add_change (struct fw *f, json_object *item, const char *action,
            const char *path, const char *before, const char *after,
            const char *backup)
{
  json_object *c = json_object_new_object ();

  if (c == NULL || json_object_array_add (f->changes, c) != 0) {
    json_object_put (c);
    h2k_error ("out of memory");
    return NULL;
  }
  if (h2k_json_set_string (c, "plan_id", h2k_json_get_string (item, "id")) == -1 ||
      h2k_json_set_string (c, "action", action) == -1 ||
      (path && h2k_json_set_string (c, "path", path) == -1) ||
      (before && h2k_json_set_string (c, "before_sha256", before) == -1) ||
      (after && h2k_json_set_string (c, "after_sha256", after) == -1) ||
      (backup && h2k_json_set_string (c, "backup", backup) == -1))
    return NULL;
  return c;
}

/* ---- checks before the appliance */

static int
check_hibernation (json_object *win, json_object *risks)
{
  int hib = h2k_json_get_bool (h2k_json_get_object (win, "hibernation"), "hibernated", 0);

  for (size_t i = 0; risks && i < json_object_array_length (risks); ++i) {
    const char *code = h2k_json_get_string (json_object_array_get_idx (risks, i), "code");
    if (code && strcmp (code, "windows-hibernated") == 0)
      hib = 1;
  }
  if (hib) {
    h2k_error ("<stdin>: /guest/windows/hibernation/hibernated: Windows is hibernated "
               "or was shut down with Fast Startup: its NTFS volumes must not be "
               "changed; boot it on the source and shut it down fully "
               "(shutdown /s /t 0), then fetch it again");
    return -1;
  }
  return 0;
}

static int
check_input (json_object *m, json_object **win_out)
{
  json_object *guest = h2k_json_get_object (m, "guest");
  json_object *disks = h2k_json_get_array (m, "disks");
  const char *type = h2k_json_get_string (guest, "type");
  json_object *win = h2k_json_get_object (guest, "windows");

  if (guest == NULL) {
    h2k_error ("<stdin>: /guest: missing: run h2k-inspect first");
    return -1;
  }
  if (type == NULL || strcmp (type, "windows") != 0 || win == NULL) {
    h2k_error ("<stdin>: /guest/type: \"%s\": h2k-fix-windows fixes Windows guests "
               "(see h2k-fix-linux)", type ? type : "");
    return -1;
  }
  for (size_t i = 0; disks && i < json_object_array_length (disks); ++i)
    if (h2k_json_get_object (json_object_array_get_idx (disks, i), "overlay") == NULL) {
      h2k_error ("<stdin>: /disks/%zu/overlay: missing: run h2k-inspect first "
                 "(the fixers only write overlays)", i);
      return -1;
    }
  if (check_hibernation (win, h2k_json_get_array (guest, "risks")) == -1)
    return -1;
  if (h2k_json_get_int (win, "build", 0) <= 0) {
    h2k_error ("<stdin>: /guest/windows/build: missing: run h2k-inspect first");
    return -1;
  }
  *win_out = win;
  return 0;
}

/* Say again the risks that may stop the first boot's driver install. */
static void
warn_risks (json_object *m)
{
  static const char *const codes[] = {
    "windows-bitlocker", "windows-device-install-policy", "windows-antivirus", NULL
  };
  json_object *risks = h2k_json_get_array (h2k_json_get_object (m, "guest"), "risks");

  for (size_t i = 0; risks && i < json_object_array_length (risks); ++i) {
    json_object *r = json_object_array_get_idx (risks, i);
    const char *code = h2k_json_get_string (r, "code");
    for (size_t j = 0; code && codes[j]; ++j)
      if (strcmp (code, codes[j]) == 0)
        h2k_warning ("%s: %s", code, h2k_json_get_string (r, "message"));
  }
}

/* The distinct control sets Select refers to. */
static char **
control_sets (json_object *win)
{
  static const char *const keys[] = { "current", "default", "last_known_good" };
  json_object *cs = h2k_json_get_object (win, "control_sets");
  char **v = calloc (4, sizeof *v);
  size_t n = 0;

  if (v == NULL) {
    h2k_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < 3; ++i) {
    const char *s = h2k_json_get_string (cs, keys[i]);
    int dup = 0;
    for (size_t j = 0; s && j < n; ++j)
      dup |= strcmp (v[j], s) == 0;
    if (s && !dup && strncmp (s, "ControlSet", 10) == 0 &&
        (v[n++] = strdup (s)) == NULL) {
      h2k_free_strv (v);
      h2k_error ("out of memory");
      return NULL;
    }
  }
  if (n == 0) {
    h2k_free_strv (v);
    h2k_error ("<stdin>: /guest/windows/control_sets/current: missing: "
               "run h2k-inspect first");
    return NULL;
  }
  return v;
}

static const char *
package_arch (const char *arch)
{
  if (arch && strcmp (arch, "i386") == 0)
    return "x86";
  if (arch && strcmp (arch, "aarch64") == 0)
    return "arm64";
  return "amd64";
}

/* Stage the packages, parse the storage INF, find the guest agent. */
static int
stage (struct fw *f)
{
  CLEANUP_FREE char *dest = NULL, *inf = NULL, *sys = NULL;
  const char *inf_arch = strcmp (f->arch, "x86") == 0 ? "x86"
                       : strcmp (f->arch, "arm64") == 0 ? "ARM64" : "amd64";

  if ((dest = h2k_path_join (f->tmp, "stage")) == NULL)
    return -1;
  if (mkdir (dest, 0700) == -1) {
    h2k_error ("%s: %m", dest);
    return -1;
  }
  if (win_stage_packages (f->o->virtio_win, &f->w, f->o->storage, dest,
                          &f->pkgs, &f->n_pkgs) == -1)
    return -1;
  for (size_t i = 0; i < f->n_pkgs; ++i)
    if (strcmp (f->pkgs[i].driver, f->o->storage) == 0)
      f->storage = &f->pkgs[i];
  if (f->storage == NULL || f->storage->inf == NULL) {
    h2k_error ("%s: no %s package with an INF for this Windows", f->o->virtio_win,
               f->o->storage);
    return -1;
  }
  if ((inf = h2k_path_join (f->storage->local_dir, f->storage->inf)) == NULL ||
      inf_parse_file (inf, inf_arch, &f->inf) == -1 ||
      asprintf (&sys, "%s/%s.sys", f->storage->local_dir, f->o->storage) == -1 ||
      access (sys, R_OK) == -1) {
    if (sys)
      h2k_error ("%s/%s: no %s.sys in the package", f->o->virtio_win,
                 f->storage->rel_dir, f->o->storage);
    return -1;
  }
  f->driver = sys;
  sys = NULL;
  if (h2k_sha256_file (f->driver, f->driver_sha) == -1)
    return -1;
  return win_find_qemu_ga (f->o->virtio_win, &f->w, dest, &f->qemu_ga) == -1 ? -1 : 0;
}

/* ---- the appliance: helpers */

static int
mount_root (struct fw *f, int mode)
{
  const char *root = h2k_json_get_string (h2k_json_get_object (f->m, "guest"), "root");
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (f->g);

  if (roots == NULL)
    return -1;
  for (size_t i = 0; root && roots[i]; ++i)
    if (strcmp (roots[i], root) == 0)
      return h2k_guest_mount (f->g, root, mode);
  h2k_error ("<stdin>: /guest/root: %s is not an OS root on these disks",
             root ? root : "(missing)");
  return -1;
}

static char *
guest_sha256 (guestfs_h *g, const char *path)
{
  if (!h2k_guest_is_file (g, path))
    return NULL;
  return guestfs_checksum (g, "sha256", path);
}

/* PATH in the case the guest has it (the last components may not exist). */
static char *
real_path (guestfs_h *g, const char *path)
{
  return guestfs_case_sensitive_path (g, path);
}

/* "C:\h2k\..." for a guest path "/h2k/...". */
static char *
win_path (struct fw *f, const char *path)
{
  char *s;

  if (asprintf (&s, "%s%s", f->drive, path) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  for (char *p = s; *p; ++p)
    if (*p == '/')
      *p = '\\';
  return s;
}

static json_object *
string_details (const char *k1, const char *v1, const char *k2, const char *v2)
{
  json_object *d = json_object_new_object ();

  if (d == NULL || h2k_json_set_string (d, k1, v1) == -1 ||
      (k2 && v2 && h2k_json_set_string (d, k2, v2) == -1)) {
    json_object_put (d);
    return NULL;
  }
  return d;
}

/* ---- planning: the boot partition */

/* Plan the BCD backup and, on UEFI, the fallback loader.  The boot
 * partition is mounted alone, read-only, at / for this.
 */
static int
plan_boot (struct fw *f)
{
  json_object *boot = h2k_json_get_object (f->win, "boot");
  const char *bcd = h2k_json_get_string (boot, "bcd");
  const char *fw = h2k_json_get_string (boot, "firmware");
  const char *root = h2k_json_get_string (h2k_json_get_object (f->m, "guest"), "root");
  CLEANUP_FREE char *loader = NULL, *fallback = NULL;

  f->boot_dev = h2k_json_get_string (boot, "bcd_device");
  if (bcd == NULL || f->boot_dev == NULL) {
    h2k_warning ("no BCD found by h2k-inspect: not backed up");
    return 0;
  }
  f->boot_is_root = root && strcmp (root, f->boot_dev) == 0;
  if (guestfs_mount_ro (f->g, f->boot_dev, "/") == -1 ||
      (f->bcd_local = h2k_path_join (f->tmp, "BCD")) == NULL ||
      guestfs_download (f->g, bcd, f->bcd_local) == -1 ||
      h2k_sha256_file (f->bcd_local, f->bcd_sha) == -1)
    return -1;
  if (fw && strcmp (fw, "uefi") == 0) {
    loader = real_path (f->g, "/EFI/Microsoft/Boot/bootmgfw.efi");
    fallback = real_path (f->g, "/EFI/Boot/bootx64.efi");
    if (loader == NULL || fallback == NULL || !h2k_guest_is_file (f->g, loader)) {
      h2k_error ("%s: /EFI/Microsoft/Boot/bootmgfw.efi: missing: this UEFI "
                 "Windows has no boot manager to start", f->boot_dev);
      return -1;
    }
    if (strcmp (f->arch, "amd64") == 0 && !h2k_guest_is_file (f->g, fallback) &&
        !plan_add (f, "copy-file", fallback,
                   string_details ("device", f->boot_dev, "from", loader),
                   "UEFI: the fallback loader %s on %s, a copy of the Windows boot "
                   "manager: a new VM's firmware has no boot entry and starts it",
                   fallback, f->boot_dev))
      return -1;
  }
  return guestfs_umount_all (f->g);
}

/* ---- planning: files on C: */

static int
plan_driver_file (struct fw *f)
{
  const char *root = h2k_json_get_string (f->win, "system_root_path");
  CLEANUP_FREE char *p = NULL, *to = NULL, *cur = NULL;
  json_object *d;

  if (asprintf (&p, "%s/System32/drivers/%s.sys", root ? root : "/Windows",
                f->o->storage) == -1 || (to = real_path (f->g, p)) == NULL)
    return -1;
  cur = guest_sha256 (f->g, to);
  if (cur && strcmp (cur, f->driver_sha) == 0)
    return 0;
  d = string_details ("source", f->storage->rel_dir, "path", to);
  if (d == NULL || h2k_json_set_string (d, "sha256", f->driver_sha) == -1) {
    json_object_put (d);
    return -1;
  }
  return plan_add (f, "upload-file", to, d,
                   "the boot-start virtio storage driver %s.sys (%s)",
                   f->o->storage, f->storage->rel_dir) ? 0 : -1;
}

/* Append {name, path, local, sha256} to FILES unless the guest has it. */
static int
want_file (struct fw *f, json_object *files, const char *dir, const char *name,
           const char *local, const char *sha)
{
  CLEANUP_FREE char *path = NULL, *cur = NULL;
  json_object *o;

  if (asprintf (&path, "%s/%s", dir, name) == -1)
    return -1;
  cur = guest_sha256 (f->g, path);
  if (cur && strcasecmp (cur, sha) == 0)
    return 0;
  o = string_details ("path", path, "local", local);
  if (o == NULL || h2k_json_set_string (o, "sha256", sha) == -1 ||
      json_object_array_add (files, o) != 0) {
    json_object_put (o);
    return -1;
  }
  return 0;
}

static int
plan_stage (struct fw *f)
{
  json_object *d = json_object_new_object ();
  json_object *files = json_object_new_array ();
  json_object *pk = json_object_new_array ();
  CLEANUP_FREE char *src = h2k_absolute_path (f->o->virtio_win);

  if (d == NULL || files == NULL || pk == NULL || src == NULL ||
      h2k_json_set (d, "files", files) == -1 || h2k_json_set (d, "packages", pk) == -1 ||
      h2k_json_set_string (d, "virtio_win", src) == -1)
    goto fail;
  for (size_t i = 0; i < f->n_pkgs; ++i) {
    struct win_pkg *p = &f->pkgs[i];
    CLEANUP_FREE char *dir = NULL;
    json_object *o = string_details ("driver", p->driver, "source", p->rel_dir);

    if (o == NULL || json_object_array_add (pk, o) != 0 ||
        asprintf (&dir, DRIVERS_DIR "/%s", p->driver) == -1) {
      json_object_put (o);
      goto fail;
    }
    for (size_t j = 0; p->files[j]; ++j) {
      CLEANUP_FREE char *local = h2k_path_join (p->local_dir, p->files[j]);
      if (local == NULL || want_file (f, files, dir, p->files[j], local, p->sha256[j]) == -1)
        goto fail;
    }
  }
  if (f->qemu_ga) {
    char sha[65];
    CLEANUP_FREE char *base = strdup (strrchr (f->qemu_ga, '/') + 1);
    if (base == NULL || h2k_sha256_file (f->qemu_ga, sha) == -1 ||
        want_file (f, files, DRIVERS_DIR "/qemu-ga", base, f->qemu_ga, sha) == -1)
      goto fail;
  }
  if (json_object_array_length (files) == 0) {
    json_object_put (d);
    return 0;
  }
  return plan_add (f, "stage-files", DRIVERS_DIR, d,
                   "stage the virtio-win driver packages%s in C:\\h2k\\drivers for "
                   "pnputil at first boot", f->qemu_ga ? " and the guest agent" : "")
    ? 0 : -1;
 fail:
  if (d == NULL) {
    json_object_put (files);
    json_object_put (pk);
  }
  json_object_put (d);
  return -1;
}

/* ---- planning: registry */

typedef int (*reg_planner) (struct fw *f, hive_h *h, json_object *values);

static int
plan_registry (struct fw *f, struct hive *hv, hive_h *h, reg_planner fn,
               const char *what)
{
  json_object *d = json_object_new_object ();
  json_object *values = json_object_new_array ();

  if (d == NULL || values == NULL || h2k_json_set (d, "values", values) == -1 ||
      h2k_json_set_string (d, "hive", hv->name) == -1 ||
      h2k_json_set_string (d, "path", hv->path) == -1 ||
      fn (f, h, values) == -1) {
    json_object_put (d);
    if (d == NULL)
      json_object_put (values);
    return -1;
  }
  if (json_object_array_length (values) == 0) {
    json_object_put (d);
    return 0;
  }
  return plan_add (f, "set-registry", hv->path, d, "%s", what) ? 0 : -1;
}

static int
p_service (struct fw *f, hive_h *h, json_object *v)
{
  return reg_plan_service (h, f->csets, f->o->storage, v) == -1 ||
         reg_plan_start_override (h, f->csets, f->o->storage, v) == -1 ? -1 : 0;
}

static int
p_cdd (struct fw *f, hive_h *h, json_object *v)
{
  return reg_plan_cdd (h, f->csets, f->o->storage, v);
}

static int
p_driverdb (struct fw *f, hive_h *h, json_object *v)
{
  CLEANUP_FREE char *oem = NULL, *dir = NULL;

  if (asprintf (&dir, DRIVERS_DIR "/%s", f->o->storage) == -1 ||
      (oem = win_path (f, dir)) == NULL)
    return -1;
  return reg_plan_driverdb (h, f->o->storage, f->arch, &f->inf, oem, v);
}

static int
p_ahci (struct fw *f, hive_h *h, json_object *v)
{
  return reg_plan_ahci (h, f->csets, f->w.build, v);
}

static int
p_leftovers (struct fw *f, hive_h *h, json_object *v)
{
  return reg_plan_leftovers (h, f->csets, v);
}

static char *
fb_cmdline (struct fw *f)
{
  const char *root = h2k_json_get_string (f->win, "system_root");
  char *s;

  if (asprintf (&s, "%s\\System32\\cmd.exe /c %s\\h2k\\firstboot\\firstboot.cmd",
                root ? root : "C:\\Windows", f->drive) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  return s;
}

static int
p_setup (struct fw *f, hive_h *h, json_object *v)
{
  CLEANUP_FREE char *cmd = fb_cmdline (f);

  return cmd ? reg_plan_setup (h, cmd, v) : -1;
}

static int
p_device_path (struct fw *f, hive_h *h, json_object *v)
{
  char **dirs = calloc (f->n_pkgs + 1, sizeof *dirs);
  int r = -1;

  if (dirs == NULL)
    return -1;
  for (size_t i = 0; i < f->n_pkgs; ++i) {
    CLEANUP_FREE char *d = NULL;
    if (asprintf (&d, DRIVERS_DIR "/%s", f->pkgs[i].driver) == -1 ||
        (dirs[i] = win_path (f, d)) == NULL)
      goto out;
  }
  r = reg_plan_device_path (h, dirs, v);
 out:
  h2k_free_strv (dirs);
  return r;
}

static int
fetch_hive (struct fw *f, struct hive *hv)
{
  if (asprintf (&hv->local, "%s/%s", f->tmp, hv->name) == -1 ||
      asprintf (&hv->local_new, "%s/%s.new", f->tmp, hv->name) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  return guestfs_download (f->g, hv->path, hv->local);
}

static hive_h *
open_hive (struct hive *hv, int flags)
{
  hive_h *h = hivex_open (hv->local, flags | (h2k_verbose ? HIVEX_OPEN_VERBOSE : 0));

  if (h == NULL)
    h2k_error ("%s: cannot open the registry hive%s: %m", hv->path,
               flags & HIVEX_OPEN_WRITE ? " for writing" : "");
  return h;
}

static int
plan_system (struct fw *f)
{
  CLEANUP_HIVEX hive_h *h = NULL;
  CLEANUP_FREE char *why = NULL;
  struct hive *s = &f->sys;

  if (fetch_hive (f, s) == -1 || (h = open_hive (s, 0)) == NULL ||
      asprintf (&why, "register %s as a boot-start SCSI miniport in %s",
                f->o->storage, f->csets[1] ? "every control set Select names"
                                           : "the control set Select names") == -1)
    return -1;
  if (f->two_phase) {
    if (plan_registry (f, s, h, p_ahci,
                       "two-phase, phase 1: make the inbox SATA AHCI driver start "
                       "at boot, so Windows boots from SATA and installs the virtio "
                       "drivers itself") == -1)
      return -1;
  }
  else if (plan_registry (f, s, h, p_service, why) == -1 ||
           plan_registry (f, s, h, f->win8 ? p_driverdb : p_cdd,
                          f->win8 ? "bind the virtio PCI storage devices to the driver "
                                    "at boot (DriverDatabase, Windows 8 and later; "
                                    "replaced by the real package at first boot)"
                                  : "bind the virtio PCI storage devices to the "
                                    "driver at boot (CriticalDeviceDatabase, "
                                    "Windows before 8)") == -1)
    return -1;
  if ((!f->o->keep_tools &&
       plan_registry (f, s, h, p_leftovers,
                      "disable the drivers and services of VMware, VirtualBox and "
                      "Xen that would fail or hang on KVM") == -1) ||
      plan_registry (f, s, h, p_setup,
                     "run the first-boot steps as LocalSystem before the logon "
                     "screen (Setup CmdLine, SetupType 2)") == -1)
    return -1;
  return 0;
}

static int
plan_software (struct fw *f)
{
  CLEANUP_HIVEX hive_h *h = NULL;

  f->sw.path = h2k_json_get_string (f->win, "software_hive");
  if (f->sw.path == NULL) {
    h2k_error ("<stdin>: /guest/windows/software_hive: missing: run h2k-inspect first");
    return -1;
  }
  if (fetch_hive (f, &f->sw) == -1 || (h = open_hive (&f->sw, 0)) == NULL)
    return -1;
  return plan_registry (f, &f->sw, h, p_device_path,
                        "let Plug and Play find the staged drivers (DevicePath)");
}

/* ---- planning: first boot */

static int
fb_add (struct fw *f, const char *path, char *text)
{
  json_object *o = text ? json_object_new_object () : NULL;

  if (o == NULL || json_object_array_add (f->fb, o) != 0 ||
      h2k_json_set_string (o, "path", path) == -1 ||
      h2k_json_set_string (o, "text", text) == -1) {
    json_object_put (o);
    free (text);
    return -1;
  }
  free (text);
  return 0;
}

/* The Windows paths of the staged INFs, storage first. */
static char **
staged_infs (struct fw *f)
{
  char **v = calloc (f->n_pkgs + 1, sizeof *v);
  size_t n = 0;

  for (size_t i = 0; v && i < f->n_pkgs; ++i) {
    CLEANUP_FREE char *p = NULL;
    if (f->pkgs[i].inf == NULL)
      continue;
    if (asprintf (&p, DRIVERS_DIR "/%s/%s", f->pkgs[i].driver, f->pkgs[i].inf) == -1 ||
        (v[n++] = win_path (f, p)) == NULL) {
      h2k_free_strv (v);
      return NULL;
    }
  }
  return v;
}

/* TO[KEY] = a reference to FROM[KEY], or [] when FROM has none. */
static int
copy_list (json_object *to, json_object *from, const char *key)
{
  json_object *a = h2k_json_get_array (from, key);

  return h2k_json_set (to, key, a ? json_object_get (a) : json_object_new_array ());
}

/* The static interfaces with the MAC of their adapter; the ones whose MAC
 * is unknown go to SKIPPED with the reason.
 */
static int
network_ifaces (struct fw *f, json_object *out, json_object *skipped)
{
  json_object *ifs = h2k_json_get_array (h2k_json_get_object (f->win, "network"), "interfaces");
  json_object *nics = h2k_json_get_array (h2k_json_get_object (f->m, "vm"), "nics");
  size_t n_static = 0;

  for (size_t i = 0; ifs && i < json_object_array_length (ifs); ++i)
    n_static += h2k_json_get_bool (json_object_array_get_idx (ifs, i), "static", 0);
  for (size_t i = 0; ifs && i < json_object_array_length (ifs); ++i) {
    json_object *it = json_object_array_get_idx (ifs, i);
    json_object *ip4 = h2k_json_get_object (it, "ipv4");
    const char *mac = h2k_json_get_string (it, "mac");
    const char *from = "registry";
    json_object *o;

    if (!h2k_json_get_bool (it, "static", 0))
      continue;
    if (mac == NULL && n_static == 1 && nics && json_object_array_length (nics) == 1) {
      mac = h2k_json_get_string (json_object_array_get_idx (nics, 0), "mac");
      from = "vm.nics (the only NIC)";
    }
    if (mac == NULL) {
      if (json_object_array_add (skipped, json_object_get (it)) != 0)
        return -1;
      h2k_warning ("%s: static address %s not carried over: the adapter's MAC is "
                   "unknown (not in the registry, and the VM has not exactly one NIC)",
                   h2k_json_get_string (it, "guid"),
                   json_object_get_string (json_object_array_get_idx (
                     h2k_json_get_array (ip4, "addresses"), 0)));
      continue;
    }
    o = string_details ("mac", mac, "mac_from", from);
    if (o == NULL || json_object_array_add (out, o) != 0 ||
        h2k_json_set_string (o, "old_guid", h2k_json_get_string (it, "guid")) == -1) {
      json_object_put (o);
      return -1;
    }
    if (copy_list (o, ip4, "addresses") == -1 || copy_list (o, ip4, "netmasks") == -1 ||
        copy_list (o, ip4, "gateways") == -1 || copy_list (o, it, "dns") == -1)
      return -1;
  }
  return 0;
}

static char *
step_path (const char *name)
{
  char *s;

  return asprintf (&s, FB_STEPS "/%s", name) == -1 ? NULL : s;
}

/* Generate every first-boot file into f->fb; DETAILS gets what they do. */
static int
make_firstboot (struct fw *f, json_object *d)
{
  CLEANUP_FREE_STRV char **infs = staged_infs (f);
  CLEANUP_FREE char *fbdir = win_path (f, FB_DIR);
  CLEANUP_FREE char *p1 = step_path ("10-drivers.cmd"), *p2 = step_path ("20-boot-binding.cmd");
  CLEANUP_FREE char *p3 = step_path ("30-uninstall-tools.cmd");
  CLEANUP_FREE char *p4 = step_path ("40-network.cmd"), *p5 = step_path ("50-qemu-ga.cmd");
  json_object *net = json_object_new_array (), *skipped = json_object_new_array ();
  json_object *tools = h2k_json_get_array (f->win, "tools_uninstall");

  if (h2k_json_set (d, "network", net) == -1 ||
      h2k_json_set (d, "network_skipped", skipped) == -1 ||
      infs == NULL || fbdir == NULL || !p1 || !p2 || !p3 || !p4 || !p5 ||
      fb_add (f, FB_DIR "/firstboot.cmd", fb_runner (fbdir, f->two_phase)) == -1 ||
      fb_add (f, p1, fb_step_pnputil (f->w.build, infs)) == -1)
    return -1;
  if (f->win8 && !f->two_phase) {
    CLEANUP_JSON json_object *keys = reg_driverdb_cleanup (f->o->storage, f->arch, &f->inf);
    if (keys == NULL || fb_add (f, p2, fb_step_reg_delete (keys, "10-drivers.cmd")) == -1)
      return -1;
  }
  for (size_t i = 0; !f->o->keep_tools && tools && i < json_object_array_length (tools); ++i) {
    json_object *t = json_object_array_get_idx (tools, i);
    CLEANUP_FREE char *log = win_path (f, FB_DIR "/uninstall-tools.log");
    const char *key = h2k_json_get_string (t, "key");
    if (key == NULL || *key != '{')
      continue;                 /* not an MSI product: nothing we can run quietly */
    /* One step: the first MSI product (h2k-inspect lists VMware Tools). */
    if (log == NULL ||
        fb_add (f, p3, fb_step_msi_uninstall (key, h2k_json_get_string (t, "name"), log)) == -1)
      return -1;
    break;
  }
  if (network_ifaces (f, net, skipped) == -1 ||
      (json_object_array_length (net) &&
       fb_add (f, p4, fb_step_network (net)) == -1))
    return -1;
  if (f->qemu_ga) {
    CLEANUP_FREE char *msi = NULL, *wmsi = NULL, *log = win_path (f, FB_DIR "/qemu-ga.log");
    if (asprintf (&msi, DRIVERS_DIR "/qemu-ga/%s", strrchr (f->qemu_ga, '/') + 1) == -1 ||
        (wmsi = win_path (f, msi)) == NULL || log == NULL ||
        fb_add (f, p5, fb_step_msi_install (wmsi, log)) == -1)
      return -1;
  }
  return 0;
}

static int
plan_firstboot (struct fw *f)
{
  json_object *d = json_object_new_object ();
  json_object *files = json_object_new_array ();
  CLEANUP_FREE char *cmd = fb_cmdline (f);

  f->fb = json_object_new_array ();
  if (d == NULL || files == NULL || f->fb == NULL || cmd == NULL ||
      h2k_json_set (d, "files", files) == -1 ||
      h2k_json_set_string (d, "cmdline", cmd) == -1 ||
      make_firstboot (f, d) == -1) {
    json_object_put (d);
    if (d == NULL)
      json_object_put (files);
    return -1;
  }
  for (size_t i = 0; i < json_object_array_length (f->fb); ++i) {
    json_object *fb = json_object_array_get_idx (f->fb, i);
    const char *text = h2k_json_get_string (fb, "text");
    char sha[65];
    CLEANUP_FREE char *dir = h2k_dirname (h2k_json_get_string (fb, "path"));
    const char *name = strrchr (h2k_json_get_string (fb, "path"), '/') + 1;

    if (dir == NULL || h2k_digest_buffer (text, strlen (text), "sha256", sha) == -1 ||
        want_file (f, files, dir, name, NULL, sha) == -1) {
      json_object_put (d);
      return -1;
    }
  }
  if (json_object_array_length (files) == 0) {
    json_object_put (d);
    return 0;
  }
  return plan_add (f, "write-firstboot", FB_DIR, d,
                   "first boot: install the staged drivers with pnputil%s%s%s, then "
                   "remove itself%s", f->win8 && !f->two_phase
                   ? ", drop the temporary boot binding" : "",
                   f->o->keep_tools ? "" : ", uninstall the hypervisor tools",
                   ", re-apply static addresses to the virtio NICs by MAC",
                   f->two_phase ? " and power off (end of phase 1)" : "") ? 0 : -1;
}

static int
plan_bcd_backup (struct fw *f)
{
  const char *bcd = h2k_json_get_string (h2k_json_get_object (f->win, "boot"), "bcd");
  CLEANUP_FREE char *backup = NULL;
  json_object *d;

  if (f->bcd_local == NULL)
    return 0;
  if (asprintf (&backup, BACKUP_DIR "/boot%s", bcd) == -1)
    return -1;
  if (h2k_guest_is_file (f->g, backup))
    return 0;
  d = string_details ("device", f->boot_dev, "path", bcd);
  if (d == NULL || h2k_json_set_string (d, "backup", backup) == -1 ||
      h2k_json_set_string (d, "sha256", f->bcd_sha) == -1) {
    json_object_put (d);
    return -1;
  }
  return plan_add (f, "backup-file", backup, d,
                   "back up the boot configuration (BCD on %s) before the first "
                   "boot on KVM", f->boot_dev) ? 0 : -1;
}

static int
plan (struct fw *f)
{
  f->sys.name = "SYSTEM";
  f->sw.name = "SOFTWARE";
  if ((!f->two_phase && plan_driver_file (f) == -1) ||
      plan_stage (f) == -1 || plan_system (f) == -1 || plan_software (f) == -1 ||
      plan_firstboot (f) == -1 || plan_bcd_backup (f) == -1)
    return -1;
  return 0;
}

/* ---- apply */

/* Back PATH up to BACKUP_DIR/PATH unless a backup is there already (the
 * first backup is the original).  *BACKUP gets the guest path.
 */
static int
backup_file (struct fw *f, const char *path, char **backup)
{
  CLEANUP_FREE char *dir = NULL;

  if (asprintf (backup, BACKUP_DIR "%s", path) == -1) {
    *backup = NULL;
    h2k_error ("out of memory");
    return -1;
  }
  if (h2k_guest_is_file (f->g, *backup))
    return 0;
  dir = h2k_dirname (*backup);
  if (dir == NULL || guestfs_mkdir_p (f->g, dir) == -1 ||
      guestfs_cp_a (f->g, path, *backup) == -1)
    return -1;
  h2k_debug ("backed up %s to %s", path, *backup);
  return 0;
}

/* Upload LOCAL (or TEXT) to PATH, check its digest, record the change. */
static int
put_file (struct fw *f, json_object *item, const char *path, const char *local,
          const char *text, const char *sha)
{
  CLEANUP_FREE char *before = guest_sha256 (f->g, path);
  CLEANUP_FREE char *after = NULL, *backup = NULL, *dir = h2k_dirname (path);
  int r;

  if (dir == NULL || (before && backup_file (f, path, &backup) == -1) ||
      guestfs_mkdir_p (f->g, dir) == -1)
    return -1;
  r = local ? guestfs_upload (f->g, local, path)
            : guestfs_write (f->g, path, text, strlen (text));
  if (r == -1 || (after = guest_sha256 (f->g, path)) == NULL)
    return -1;
  if (strcasecmp (after, sha) != 0) {
    h2k_error ("%s: the file written does not read back as %s", path, sha);
    return -1;
  }
  return add_change (f, item, "write-file", path, before, after, backup) ? 0 : -1;
}

static const char *
fb_text (struct fw *f, const char *path)
{
  for (size_t i = 0; i < json_object_array_length (f->fb); ++i) {
    json_object *o = json_object_array_get_idx (f->fb, i);
    if (strcmp (h2k_json_get_string (o, "path"), path) == 0)
      return h2k_json_get_string (o, "text");
  }
  return NULL;
}

static int
apply_files (struct fw *f, json_object *item)
{
  json_object *d = h2k_json_get_object (item, "details");
  const char *action = h2k_json_get_string (item, "action");
  json_object *files = h2k_json_get_array (d, "files");

  if (strcmp (action, "upload-file") == 0)
    return put_file (f, item, h2k_json_get_string (d, "path"), f->driver, NULL,
                     f->driver_sha);
  for (size_t i = 0; files && i < json_object_array_length (files); ++i) {
    json_object *o = json_object_array_get_idx (files, i);
    const char *path = h2k_json_get_string (o, "path");
    const char *local = h2k_json_get_string (o, "local");
    if (put_file (f, item, path, local, local ? NULL : fb_text (f, path),
                  h2k_json_get_string (o, "sha256")) == -1)
      return -1;
  }
  h2k_info ("%s: wrote %s", h2k_json_get_string (item, "id"),
            h2k_json_get_string (item, "reason"));
  return 0;
}

/* Record one change per value set, with its old and new {type, value}. */
static int
record_values (struct fw *f, json_object *item, const char *hive,
               json_object *values, json_object *before, const char *backup)
{
  for (size_t i = 0; i < json_object_array_length (values); ++i) {
    json_object *v = json_object_array_get_idx (values, i);
    json_object *b = json_object_array_get_idx (before, i);
    const char *type = h2k_json_get_string (v, "type");
    CLEANUP_FREE char *path = NULL;
    json_object *c, *d, *after;

    if (asprintf (&path, "HKLM\\%s\\%s", hive, h2k_json_get_string (v, "key")) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    c = add_change (f, item, strcmp (type, "delete") == 0 ? "delete-registry-value"
                                                          : "set-registry-value",
                    path, NULL, NULL, backup);
    d = c ? h2k_json_ensure_object (c, "details") : NULL;
    if (d == NULL ||
        h2k_json_set_string (d, "hive", hive) == -1 ||
        h2k_json_set_string (d, "key", h2k_json_get_string (v, "key")) == -1 ||
        h2k_json_set_string (d, "name", h2k_json_get_string (v, "name")) == -1 ||
        json_object_object_add (d, "before", json_object_get (b)) != 0)
      return -1;
    if (strcmp (type, "delete") == 0)
      continue;
    after = h2k_json_ensure_object (d, "after");
    if (after == NULL || h2k_json_set_string (after, "type", type) == -1 ||
        h2k_json_set (after, "value", json_object_get (h2k_json_get (v, "value"))) == -1)
      return -1;
  }
  return 0;
}

static int
apply_hive (struct fw *f, struct hive *hv, size_t first)
{
  CLEANUP_HIVEX hive_h *h = NULL;
  CLEANUP_FREE char *before = NULL, *after = NULL, *backup = NULL;
  json_object *last = NULL;
  size_t n = json_object_array_length (f->plan);

  for (size_t i = first; i < n; ++i) {
    json_object *item = json_object_array_get_idx (f->plan, i);
    json_object *d = h2k_json_get_object (item, "details");
    json_object *values = h2k_json_get_array (d, "values");
    CLEANUP_JSON json_object *old = json_object_new_array ();

    if (strcmp (h2k_json_get_string (item, "action"), "set-registry") != 0 ||
        strcmp (h2k_json_get_string (d, "hive"), hv->name) != 0)
      continue;
    if (h == NULL) {
      before = guest_sha256 (f->g, hv->path);
      if (before == NULL || backup_file (f, hv->path, &backup) == -1 ||
          (h = open_hive (hv, HIVEX_OPEN_WRITE)) == NULL)
        return -1;
    }
    if (old == NULL || values == NULL || reg_apply (h, values, old) == -1 ||
        record_values (f, item, hv->name, values, old, backup) == -1)
      return -1;
    last = item;
  }
  if (h == NULL)
    return 0;
  if (hivex_commit (h, hv->local_new, 0) == -1) {
    h2k_error ("%s: cannot write the changed hive: %m", hv->local_new);
    return -1;
  }
  if (guestfs_upload (f->g, hv->local_new, hv->path) == -1 ||
      (after = guest_sha256 (f->g, hv->path)) == NULL)
    return -1;
  h2k_info ("%s: wrote %s", h2k_json_get_string (last, "id"), hv->path);
  return add_change (f, last, "replace-hive", hv->path, before, after, backup)
         ? 0 : -1;
}

static int
apply_backup_bcd (struct fw *f, json_object *item)
{
  const char *backup = h2k_json_get_string (h2k_json_get_object (item, "details"), "backup");
  CLEANUP_FREE char *dir = h2k_dirname (backup);

  if (dir == NULL || guestfs_mkdir_p (f->g, dir) == -1 ||
      guestfs_upload (f->g, f->bcd_local, backup) == -1)
    return -1;
  return add_change (f, item, "backup-file", backup, NULL, f->bcd_sha, backup) ? 0 : -1;
}

/* The boot partition's items, with it mounted read-write alone. */
static int
apply_boot (struct fw *f, size_t first)
{
  int mounted = 0;

  for (size_t i = first; i < json_object_array_length (f->plan); ++i) {
    json_object *item = json_object_array_get_idx (f->plan, i);
    json_object *d = h2k_json_get_object (item, "details");
    const char *to = h2k_json_get_array (item, "files")
      ? json_object_get_string (json_object_array_get_idx (h2k_json_get_array (item, "files"), 0))
      : NULL;
    CLEANUP_FREE char *dir = NULL, *after = NULL;

    if (strcmp (h2k_json_get_string (item, "action"), "copy-file") != 0)
      continue;
    if (!mounted && guestfs_mount (f->g, f->boot_dev, "/") == -1)
      return -1;
    mounted = 1;
    if (to == NULL || (dir = h2k_dirname (to)) == NULL ||
        guestfs_mkdir_p (f->g, dir) == -1 ||
        guestfs_cp (f->g, h2k_json_get_string (d, "from"), to) == -1 ||
        (after = guest_sha256 (f->g, to)) == NULL ||
        !add_change (f, item, "copy-file", to, NULL, after, NULL))
      return -1;
    h2k_info ("%s: %s: copied %s", h2k_json_get_string (item, "id"), f->boot_dev, to);
  }
  return mounted ? guestfs_umount_all (f->g) : 0;
}

static int
apply (struct fw *f, size_t first)
{
  for (size_t i = first; i < json_object_array_length (f->plan); ++i) {
    json_object *it = json_object_array_get_idx (f->plan, i);
    const char *action = h2k_json_get_string (it, "action");
    if (strcmp (action, "upload-file") == 0 || strcmp (action, "stage-files") == 0 ||
        strcmp (action, "write-firstboot") == 0) {
      if (apply_files (f, it) == -1)
        return -1;
    }
    else if (strcmp (action, "backup-file") == 0 && apply_backup_bcd (f, it) == -1)
      return -1;
  }
  return apply_hive (f, &f->sys, first) == -1 || apply_hive (f, &f->sw, first) == -1
         ? -1 : 0;
}

static void
print_plan (json_object *plan, size_t first)
{
  size_t n = json_object_array_length (plan);

  if (n == first)
    h2k_info ("plan: nothing to change");
  for (size_t i = first; i < n; ++i) {
    json_object *it = json_object_array_get_idx (plan, i);
    h2k_info ("plan %s: %s", h2k_json_get_string (it, "id"),
              h2k_json_get_string (it, "reason"));
  }
}

/* ---- windows_boot: the layout each boot phase needs */

static json_object *
phase (int n, const char *name, const char *bus, const char *scratch_bus,
       const char *ends)
{
  json_object *p = json_object_new_object ();
  json_object *s = NULL;

  if (p == NULL || h2k_json_set_int (p, "phase", n) == -1 ||
      h2k_json_set_string (p, "name", name) == -1 ||
      h2k_json_set_string (p, "system_bus", bus) == -1 ||
      h2k_json_set_string (p, "nic", "virtio") == -1 ||
      (ends && h2k_json_set_string (p, "ends", ends) == -1))
    goto fail;
  if (scratch_bus) {
    s = h2k_json_ensure_object (p, "scratch_disk");
    if (s == NULL || h2k_json_set_string (s, "bus", scratch_bus) == -1 ||
        h2k_json_set_int (s, "size_mib", 64) == -1)
      goto fail;
  }
  return p;
 fail:
  json_object_put (p);
  return NULL;
}

static int
record_boot (struct fw *f)
{
  const char *bus = strcmp (f->o->storage, "vioscsi") == 0 ? "virtio-scsi" : "virtio-blk";
  json_object *wb = json_object_new_object ();
  json_object *ph = json_object_new_array ();

  if (wb == NULL || ph == NULL || h2k_json_set (wb, "phases", ph) == -1) {
    json_object_put (ph);
    json_object_put (wb);
    return -1;
  }
  if (h2k_json_set (f->m, "windows_boot", wb) == -1 ||
      h2k_json_set_string (wb, "strategy", f->two_phase ? "two-phase" : "single") == -1 ||
      h2k_json_set_string (wb, "storage", f->o->storage) == -1)
    return -1;
  if (f->two_phase &&
      json_object_array_add (ph, phase (1, "install-drivers", "sata", bus, "poweroff")) != 0)
    return -1;
  return json_object_array_add (ph, phase (f->two_phase ? 2 : 1, "final", bus, NULL, NULL))
         != 0 ? -1 : 0;
}

static int
run_guest (struct fw *f, size_t first)
{
  int mode = f->o->dry_run ? H2K_GUEST_RO : H2K_GUEST_RW;
  CLEANUP_GUESTFS guestfs_h *g = NULL;

  g = f->g = h2k_guest_launch (f->m, mode);
  if (g == NULL || plan_boot (f) == -1 || mount_root (f, mode) == -1 || plan (f) == -1)
    return -1;
  print_plan (f->plan, first);
  if (!f->o->dry_run &&
      (apply (f, first) == -1 || guestfs_umount_all (g) == -1 || apply_boot (f, first) == -1))
    return -1;
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    return -1;
  return 0;
}

static int
set_identity (struct fw *f)
{
  const char *it = h2k_json_get_string (f->win, "installation_type");
  const char *root = h2k_json_get_string (f->win, "system_root");

  f->w.build = h2k_json_get_int (f->win, "build", 0);
  f->w.server = it && strcasecmp (it, "Client") != 0;
  f->w.arch = h2k_json_get_string (f->win, "arch");
  f->arch = package_arch (f->w.arch);
  f->win8 = f->w.build >= FIRST_WIN8_BUILD;
  f->two_phase = f->o->two_phase;
  snprintf (f->drive, sizeof f->drive, "%c:", root && root[1] == ':' ? root[0] : 'C');
  f->sys.path = h2k_json_get_string (f->win, "system_hive");
  if (f->sys.path == NULL) {
    h2k_error ("<stdin>: /guest/windows/system_hive: missing: run h2k-inspect first");
    return -1;
  }
  return 0;
}

int
fixwin_run (json_object *m, const struct fixwin_opts *o, size_t *first)
{
  __attribute__((cleanup (fw_cleanup))) struct fw f = { .m = m, .o = o };
  CLEANUP_FREE_STRV char **csets = NULL;

  if (check_input (m, &f.win) == -1 || (csets = control_sets (f.win)) == NULL ||
      set_identity (&f) == -1 || (f.tmp = h2k_make_temp_dir ("h2k-fixwin")) == NULL ||
      stage (&f) == -1)
    return -1;
  warn_risks (m);
  f.csets = csets;
  f.plan = h2k_json_ensure_array (m, "plan");
  f.changes = h2k_json_ensure_array (m, "changes");
  if (f.plan == NULL || f.changes == NULL || record_boot (&f) == -1)
    return -1;
  *first = json_object_array_length (f.plan);
  return run_guest (&f, *first);
}
