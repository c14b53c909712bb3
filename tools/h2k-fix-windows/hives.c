/* h2k-fix-windows: the hive edits.  The SYSTEM and SOFTWARE hives are
 * downloaded to the private directory; registry.c's planners give the
 * values each concern needs, one set-registry item per concern.  To
 * apply, each hive is backed up, changed with hivex on the local copy
 * and uploaded back, and every value set is recorded with its old and
 * new {type, value}.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"

/* hivex_open flags: its own messages with -v. */
#define HIVE_VERBOSE (h2k_verbose ? HIVEX_OPEN_VERBOSE : 0)

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
  return h2k_fixer_plan (&f->fx, "set-registry", hv->path, d, "%s", what) ? 0 : -1;
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
  return guestfs_download (f->fx.g, hv->path, hv->local);
}

int
plan_system (struct fw *f)
{
  CLEANUP_HIVEX hive_h *h = NULL;
  CLEANUP_FREE char *why = NULL;
  struct hive *s = &f->sys;

  if (fetch_hive (f, s) == -1 || (h = h2k_winreg_open (s->local, s->path, HIVE_VERBOSE)) == NULL ||
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

int
plan_software (struct fw *f)
{
  CLEANUP_HIVEX hive_h *h = NULL;

  f->sw.path = h2k_json_get_string (f->win, "software_hive");
  if (f->sw.path == NULL) {
    h2k_error ("<stdin>: /guest/windows/software_hive: missing: run h2k-inspect first");
    return -1;
  }
  if (fetch_hive (f, &f->sw) == -1 ||
      (h = h2k_winreg_open (f->sw.local, f->sw.path, HIVE_VERBOSE)) == NULL)
    return -1;
  return plan_registry (f, &f->sw, h, p_device_path,
                        "let Plug and Play find the staged drivers (DevicePath)");
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
    c = h2k_fixer_record (&f->fx, item,
                          strcmp (type, "delete") == 0 ? "delete-registry-value"
                                                       : "set-registry-value",
                          path, NULL, NULL, backup, NULL);
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

int
apply_hive (struct fw *f, struct hive *hv, size_t first)
{
  CLEANUP_HIVEX hive_h *h = NULL;
  CLEANUP_FREE char *before = NULL, *after = NULL, *backup = NULL;
  json_object *last = NULL;
  size_t n = json_object_array_length (f->fx.plan);

  for (size_t i = first; i < n; ++i) {
    json_object *item = json_object_array_get_idx (f->fx.plan, i);
    json_object *d = h2k_json_get_object (item, "details");
    json_object *values = h2k_json_get_array (d, "values");
    CLEANUP_JSON json_object *old = json_object_new_array ();

    if (strcmp (h2k_json_get_string (item, "action"), "set-registry") != 0 ||
        strcmp (h2k_json_get_string (d, "hive"), hv->name) != 0)
      continue;
    if (h == NULL) {
      if (h2k_fixer_backup (&f->fx, hv->path, &before, &backup) == -1)
        return -1;
      if (before == NULL) {
        h2k_error ("%s: the registry hive is gone", hv->path);
        return -1;
      }
      h = h2k_winreg_open (hv->local, hv->path, HIVEX_OPEN_WRITE | HIVE_VERBOSE);
      if (h == NULL)
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
  if (guestfs_upload (f->fx.g, hv->local_new, hv->path) == -1 ||
      (after = h2k_guest_sha256 (f->fx.g, hv->path)) == NULL)
    return -1;
  return h2k_fixer_record (&f->fx, last, "replace-hive", hv->path, before, after,
                           backup, NULL) ? 0 : -1;
}
