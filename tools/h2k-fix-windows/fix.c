/* h2k-fix-windows: the run on the guest.
 *
 * Everything that can be refused is refused before the appliance starts:
 * not a Windows guest, no overlay, hibernated, Windows 8 and later, no
 * driver in --virtio-win.  Then one appliance on the overlays: the SYSTEM
 * hive is downloaded into a private directory and the plan made from it
 * and from the driver file's digest; with --dry-run that is all.
 * Otherwise the driver is uploaded, the hive backed up in the guest under
 * C:\h2k\backup, changed with hivex on the local copy, and uploaded back;
 * every registry value set is recorded with its old and new value.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "h2k.h"
#include "fixwin.h"

#define FIRST_WIN8_BUILD 9200

/* A private directory for the hive copies, removed with what it holds. */
struct workdir {
  char path[4096];
  char *files[3];
};

static void
workdir_cleanup (struct workdir *d)
{
  for (size_t i = 0; i < 3; ++i)
    if (d->files[i]) {
      unlink (d->files[i]);
      free (d->files[i]);
    }
  if (*d->path)
    rmdir (d->path);
}

static void
cleanup_hive (void *ptr)
{
  hive_h *h = *(hive_h **) ptr;

  if (h)
    hivex_close (h);
}
#define CLEANUP_HIVE __attribute__((cleanup (cleanup_hive)))

struct fw {
  guestfs_h *g;
  json_object *m, *win, *plan, *changes;
  const struct fixwin_opts *o;
  char **csets;                 /* control sets Select refers to */
  char *driver;                 /* local copy of the .sys */
  char *driver_rel;             /* its path inside --virtio-win */
  char driver_sha[65];
  const char *hive_path;        /* SYSTEM in the mounted guest */
  struct workdir wd;
};

static void
fw_cleanup (struct fw *f)
{
  workdir_cleanup (&f->wd);
}

/* Append {id, tool, action, reason, files[], details} to the plan. */
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
check_input (json_object *m, json_object **win_out)
{
  json_object *guest = h2k_json_get_object (m, "guest");
  json_object *disks = h2k_json_get_array (m, "disks");
  const char *type = h2k_json_get_string (guest, "type");
  json_object *win = h2k_json_get_object (guest, "windows");
  json_object *risks = h2k_json_get_array (guest, "risks");
  int64_t build = h2k_json_get_int (win, "build", 0);

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
  if (build <= 0) {
    h2k_error ("<stdin>: /guest/windows/build: missing: run h2k-inspect first");
    return -1;
  }
  if (build >= FIRST_WIN8_BUILD) {
    h2k_error ("<stdin>: /guest/windows/build: %" PRId64 ": Windows 8 and later: "
               "boot-critical virtio storage injection is not implemented yet; use "
               "a guest that has the virtio-win drivers installed before migration "
               "(virtio-win-guest-tools)", build);
    return -1;
  }
  *win_out = win;
  return 0;
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

/* ---- the appliance */

static int
mount_guest (guestfs_h *g, json_object *m, int mode)
{
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (g);
  const char *root = h2k_json_get_string (h2k_json_get_object (m, "guest"), "root");

  if (roots == NULL)
    return -1;
  for (size_t i = 0; root && roots[i]; ++i)
    if (strcmp (roots[i], root) == 0)
      return h2k_guest_mount (g, root, mode);
  h2k_error ("<stdin>: /guest/root: %s is not an OS root on these disks",
             root ? root : "(missing)");
  return -1;
}

/* PATH in the guest in the case it really has (the last component may
 * not exist yet).  NULL reported.
 */
static char *
real_path (guestfs_h *g, const char *path)
{
  return guestfs_case_sensitive_path (g, path);
}

static char *
guest_sha256 (guestfs_h *g, const char *path)
{
  if (!h2k_guest_is_file (g, path))
    return NULL;
  return guestfs_checksum (g, "sha256", path);
}

static char *
driver_target (struct fw *f)
{
  const char *root = h2k_json_get_string (f->win, "system_root_path");
  CLEANUP_FREE char *p = NULL;

  if (asprintf (&p, "%s/System32/drivers/%s.sys", root ? root : "/Windows",
                f->o->storage) == -1) {
    h2k_error ("out of memory");
    return NULL;
  }
  return real_path (f->g, p);
}

static int
plan_driver_file (struct fw *f)
{
  CLEANUP_FREE char *to = driver_target (f);
  CLEANUP_FREE char *cur = to ? guest_sha256 (f->g, to) : NULL;
  CLEANUP_FREE char *src = h2k_absolute_path (f->o->virtio_win);
  json_object *d;

  if (to == NULL || src == NULL)
    return -1;
  if (cur && strcmp (cur, f->driver_sha) == 0)
    return 0;
  d = json_object_new_object ();
  if (d == NULL || h2k_json_set_string (d, "virtio_win", src) == -1 ||
      h2k_json_set_string (d, "source", f->driver_rel) == -1 ||
      h2k_json_set_string (d, "path", to) == -1 ||
      h2k_json_set_string (d, "sha256", f->driver_sha) == -1) {
    json_object_put (d);
    return -1;
  }
  return plan_add (f, "upload-file", to, d,
                   "the boot-start virtio storage driver %s.sys (%s)",
                   f->o->storage, f->driver_rel) ? 0 : -1;
}

typedef int (*reg_planner) (hive_h *h, char **csets, const char *drv,
                            json_object *values);

static int
plan_vmware (hive_h *h, char **csets, const char *drv, json_object *values)
{
  (void) drv;
  return reg_plan_vmware (h, csets, values);
}

static int
plan_registry (struct fw *f, hive_h *h, reg_planner fn, const char *what)
{
  json_object *d = json_object_new_object ();
  json_object *values = json_object_new_array ();

  if (d == NULL || values == NULL || h2k_json_set (d, "values", values) == -1 ||
      h2k_json_set_string (d, "hive", "SYSTEM") == -1 ||
      h2k_json_set_string (d, "path", f->hive_path) == -1 ||
      fn (h, f->csets, f->o->storage, values) == -1) {
    json_object_put (d);
    if (d == NULL)
      json_object_put (values);
    return -1;
  }
  if (json_object_array_length (values) == 0) {
    json_object_put (d);
    return 0;
  }
  return plan_add (f, "set-registry", f->hive_path, d, "%s", what) ? 0 : -1;
}

static int
fetch_hive (struct fw *f)
{
  const char *tmp = getenv ("TMPDIR");

  if (snprintf (f->wd.path, sizeof f->wd.path, "%s/h2k-fixwin.XXXXXX",
                tmp && *tmp ? tmp : "/tmp") >= (int) sizeof f->wd.path ||
      mkdtemp (f->wd.path) == NULL) {
    h2k_error ("%s: cannot create a temporary directory: %m", f->wd.path);
    *f->wd.path = 0;
    return -1;
  }
  if (asprintf (&f->wd.files[0], "%s/SYSTEM", f->wd.path) == -1 ||
      asprintf (&f->wd.files[1], "%s/SYSTEM.new", f->wd.path) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  return guestfs_download (f->g, f->hive_path, f->wd.files[0]);
}

static int
plan (struct fw *f)
{
  CLEANUP_HIVE hive_h *h = NULL;
  CLEANUP_FREE char *why = NULL;

  if (fetch_hive (f) == -1)
    return -1;
  h = hivex_open (f->wd.files[0], h2k_verbose ? HIVEX_OPEN_VERBOSE : 0);
  if (h == NULL) {
    h2k_error ("%s: cannot open the registry hive: %m", f->hive_path);
    return -1;
  }
  if (asprintf (&why, "register %s as a boot-start SCSI miniport in %s",
                f->o->storage, f->csets[1] ? "every control set Select names"
                                            : "the control set Select names") == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  if (plan_driver_file (f) == -1 ||
      plan_registry (f, h, reg_plan_service, why) == -1 ||
      plan_registry (f, h, reg_plan_cdd,
                     "bind the virtio PCI storage devices to the driver at boot "
                     "(CriticalDeviceDatabase, Windows before 8)") == -1 ||
      (!f->o->keep_tools &&
       plan_registry (f, h, plan_vmware,
                      "disable the VMware drivers and services that would fail "
                      "or hang on KVM") == -1))
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

static int
apply_upload (struct fw *f, json_object *item)
{
  const char *to = h2k_json_get_string (h2k_json_get_object (item, "details"), "path");
  CLEANUP_FREE char *before = guest_sha256 (f->g, to);
  CLEANUP_FREE char *after = NULL, *backup = NULL;

  if ((before && backup_file (f, to, &backup) == -1) ||
      guestfs_upload (f->g, f->driver, to) == -1)
    return -1;
  after = guest_sha256 (f->g, to);
  if (after == NULL || strcmp (after, f->driver_sha) != 0) {
    h2k_error ("%s: the uploaded driver does not read back as %s", to, f->driver_sha);
    return -1;
  }
  h2k_info ("%s: uploaded %s", h2k_json_get_string (item, "id"), to);
  return add_change (f, item, "upload-file", to, before, after, backup) ? 0 : -1;
}

/* Record one change per value set, with its old and new {type, value}. */
static int
record_values (struct fw *f, json_object *item, json_object *values,
               json_object *before, const char *backup)
{
  for (size_t i = 0; i < json_object_array_length (values); ++i) {
    json_object *v = json_object_array_get_idx (values, i);
    json_object *b = json_object_array_get_idx (before, i);
    CLEANUP_FREE char *path = NULL;
    json_object *c, *d, *after;

    if (asprintf (&path, "HKLM\\SYSTEM\\%s", h2k_json_get_string (v, "key")) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    c = add_change (f, item, "set-registry-value", path, NULL, NULL, backup);
    d = c ? h2k_json_ensure_object (c, "details") : NULL;
    after = d ? h2k_json_ensure_object (d, "after") : NULL;
    if (after == NULL ||
        h2k_json_set_string (d, "hive", "SYSTEM") == -1 ||
        h2k_json_set_string (d, "key", h2k_json_get_string (v, "key")) == -1 ||
        h2k_json_set_string (d, "name", h2k_json_get_string (v, "name")) == -1 ||
        json_object_object_add (d, "before", json_object_get (b)) != 0 ||
        h2k_json_set_string (after, "type", h2k_json_get_string (v, "type")) == -1 ||
        h2k_json_set (after, "value", json_object_get (h2k_json_get (v, "value"))) == -1)
      return -1;
  }
  return 0;
}

static int
apply_registry (struct fw *f, size_t first)
{
  CLEANUP_HIVE hive_h *h = NULL;
  CLEANUP_FREE char *before = NULL, *after = NULL, *backup = NULL;
  json_object *last = NULL;
  size_t n = json_object_array_length (f->plan);

  for (size_t i = first; i < n; ++i) {
    json_object *item = json_object_array_get_idx (f->plan, i);
    json_object *values = h2k_json_get_array (h2k_json_get_object (item, "details"), "values");
    CLEANUP_JSON json_object *old = json_object_new_array ();

    if (strcmp (h2k_json_get_string (item, "action"), "set-registry") != 0)
      continue;
    if (h == NULL) {
      before = guest_sha256 (f->g, f->hive_path);
      if (before == NULL || backup_file (f, f->hive_path, &backup) == -1)
        return -1;
      h = hivex_open (f->wd.files[0], HIVEX_OPEN_WRITE | (h2k_verbose ? HIVEX_OPEN_VERBOSE : 0));
      if (h == NULL) {
        h2k_error ("%s: cannot open the registry hive for writing: %m", f->hive_path);
        return -1;
      }
    }
    if (old == NULL || values == NULL || reg_apply (h, values, old) == -1 ||
        record_values (f, item, values, old, backup) == -1)
      return -1;
    last = item;
  }
  if (h == NULL)
    return 0;
  if (hivex_commit (h, f->wd.files[1], 0) == -1) {
    h2k_error ("%s: cannot write the changed hive: %m", f->wd.files[1]);
    return -1;
  }
  if (guestfs_upload (f->g, f->wd.files[1], f->hive_path) == -1 ||
      (after = guest_sha256 (f->g, f->hive_path)) == NULL)
    return -1;
  h2k_info ("%s: wrote %s", h2k_json_get_string (last, "id"), f->hive_path);
  return add_change (f, last, "replace-hive", f->hive_path, before, after, backup)
         ? 0 : -1;
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

static int
run_guest (struct fw *f, size_t first)
{
  int mode = f->o->dry_run ? H2K_GUEST_RO : H2K_GUEST_RW;
  CLEANUP_GUESTFS guestfs_h *g = NULL;

  g = f->g = h2k_guest_launch (f->m, mode);
  if (g == NULL || mount_guest (g, f->m, mode) == -1 || plan (f) == -1)
    return -1;
  print_plan (f->plan, first);
  if (!f->o->dry_run) {
    for (size_t i = first; i < json_object_array_length (f->plan); ++i) {
      json_object *it = json_object_array_get_idx (f->plan, i);
      if (strcmp (h2k_json_get_string (it, "action"), "upload-file") == 0 &&
          apply_upload (f, it) == -1)
        return -1;
    }
    if (apply_registry (f, first) == -1)
      return -1;
  }
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    return -1;
  return 0;
}

int
fixwin_run (json_object *m, const struct fixwin_opts *o, size_t *first)
{
  __attribute__((cleanup (fw_cleanup))) struct fw f = { .m = m, .o = o };
  CLEANUP_FREE_STRV char **csets = NULL;
  CLEANUP_UNLINK_FREE char *driver = NULL;
  CLEANUP_FREE char *rel = NULL;
  const char *arch;
  struct win_id w;

  if (check_input (m, &f.win) == -1 || (csets = control_sets (f.win)) == NULL)
    return -1;
  arch = h2k_json_get_string (f.win, "arch");
  w.build = h2k_json_get_int (f.win, "build", 0);
  w.server = h2k_json_get_string (f.win, "installation_type") &&
             strcasecmp (h2k_json_get_string (f.win, "installation_type"), "Client") != 0;
  w.arch = arch;
  if (win_find_driver (o->virtio_win, &w, o->storage, &driver, &rel) == -1 ||
      h2k_sha256_file (driver, f.driver_sha) == -1)
    return -1;
  f.csets = csets;
  f.driver = driver;
  f.driver_rel = rel;
  f.hive_path = h2k_json_get_string (f.win, "system_hive");
  if (f.hive_path == NULL) {
    h2k_error ("<stdin>: /guest/windows/system_hive: missing: run h2k-inspect first");
    return -1;
  }
  f.plan = h2k_json_ensure_array (m, "plan");
  f.changes = h2k_json_ensure_array (m, "changes");
  if (f.plan == NULL || f.changes == NULL)
    return -1;
  *first = json_object_array_length (f.plan);
  return run_guest (&f, *first);
}
