/* h2k-fix-windows: the checks and the orchestration of a run.
 *
 * Everything that can be refused is refused before the appliance starts:
 * not a Windows guest, no overlay, hibernated, no driver in --virtio-win
 * for this Windows.  The driver packages are staged in a private
 * directory (stage.c), then one appliance runs on the overlays:
 *   - the boot partition first (boot.c: BCD, the UEFI fallback loader),
 *     because Windows does not mount it anywhere under C:;
 *   - then C:: the SYSTEM and SOFTWARE hives are downloaded and the whole
 *     plan made from them and from the files' digests (stage.c, hives.c,
 *     firstboot-plan.c, boot.c).
 * With --dry-run that is all.  Otherwise apply.c makes the changes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fix-windows.h"

#define FIRST_WIN8_BUILD 9200

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

/* ---- the appliance: helpers */

static int
mount_root (struct fw *f, int mode)
{
  const char *root = h2k_json_get_string (h2k_json_get_object (f->m, "guest"), "root");
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (f->fx.g);

  if (roots == NULL)
    return -1;
  for (size_t i = 0; root && roots[i]; ++i)
    if (strcmp (roots[i], root) == 0)
      return h2k_guest_mount (f->fx.g, root, mode);
  h2k_error ("<stdin>: /guest/root: %s is not an OS root on these disks",
             root ? root : "(missing)");
  return -1;
}

/* "C:\h2k\..." for a guest path "/h2k/...". */
char *
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

json_object *
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

static int
run_guest (struct fw *f, size_t first)
{
  int mode = f->o->dry_run ? H2K_GUEST_RO : H2K_GUEST_RW;
  CLEANUP_GUESTFS guestfs_h *g = NULL;

  g = f->fx.g = h2k_guest_launch (f->m, mode);
  if (g == NULL || plan_boot (f) == -1 || mount_root (f, mode) == -1 || plan (f) == -1)
    return -1;
  h2k_fixer_print_plan (&f->fx, first);
  if (!f->o->dry_run && apply_plan (f, first) == -1)
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
  __attribute__((cleanup (fw_cleanup))) struct fw f = {
    .fx = { .tool = "h2k-fix-windows", .backup_dir = BACKUP_DIR },
    .m = m, .o = o,
  };
  CLEANUP_FREE_STRV char **csets = NULL;

  if (check_input (m, &f.win) == -1 || (csets = control_sets (f.win)) == NULL ||
      set_identity (&f) == -1 || (f.tmp = h2k_make_temp_dir ("h2k-fixwin")) == NULL ||
      stage_packages (&f) == -1)
    return -1;
  warn_risks (m);
  f.csets = csets;
  f.fx.plan = h2k_json_ensure_array (m, "plan");
  f.fx.changes = h2k_json_ensure_array (m, "changes");
  if (f.fx.plan == NULL || f.fx.changes == NULL || record_boot (&f) == -1)
    return -1;
  *first = json_object_array_length (f.fx.plan);
  return run_guest (&f, *first);
}
