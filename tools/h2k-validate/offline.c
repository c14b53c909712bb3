/* h2k-validate: the offline checks before the boot, and the one
 * libguestfs launch (on the throwaway overlays) that reads the guest and
 * injects the beacon.  The results go to r->offline ("validation.offline").
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

/* Note a failed check: the first one becomes r->offline_failure. */
int
offline_fail (struct run *r, const char *fs, ...)
{
  CLEANUP_FREE char *s = NULL;
  json_object *errors = h2k_json_ensure_array (r->offline, "errors");
  va_list ap;
  int n;

  va_start (ap, fs);
  n = vasprintf (&s, fs, ap);
  va_end (ap);
  if (n == -1)
    s = NULL;
  if (s == NULL || errors == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_json_array_add_string (errors, s) == -1)
    return -1;
  h2k_debug ("offline check failed: %s", s);
  if (r->offline_failure == NULL) {
    r->offline_failure = s;
    s = NULL;
  }
  return 0;
}

/* qemu-img check ---------------------------------------------------------- */

/* Exit codes of qemu-img check: 0 clean, 1 not completed, 2 corruptions,
 * 3 leaked clusters only (harmless), 63 no checks for this format.
 */
static int
check_image (struct run *r, size_t i, json_object *arr)
{
  const struct qemu_disk *d = &r->disks[i];
  const char *argv[] = {
    "qemu-img", "check", "--output=json", "-f", h2k_qemu_format (d->format),
    d->path, NULL
  };
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_JSON json_object *out = NULL;
  CLEANUP_FREE char *err = NULL;
  json_object *o = json_object_new_object ();
  const char *status;

  if (h2k_json_array_add (arr, o) == -1)
    return -1;
  if (h2k_run (argv, H2K_RUN_OUT | H2K_RUN_ERR, &res) == -1)
    return -1;
  if (res.out && res.status != 63)
    out = json_tokener_parse (res.out);
  err = h2k_run_err_line (&res);
  status = res.status == 0 ? "ok" : res.status == 3 ? "leaks"
    : res.status == 63 ? "unsupported" : res.status == 2 ? "corrupt" : "error";
  if (h2k_json_set_string (o, "id", d->id) == -1 ||
      h2k_json_set_string (o, "path", d->path) == -1 ||
      h2k_json_set_string (o, "format", d->format) == -1 ||
      h2k_json_set_string (o, "status", status) == -1 ||
      h2k_json_set_int (o, "exit_status", res.status) == -1)
    return -1;
  if (out) {
    static const char *const keys[] = {
      "corruptions", "leaks", "check-errors", "image-end-offset", NULL
    };
    for (size_t k = 0; keys[k]; ++k)
      if (h2k_json_get (out, keys[k]) &&
          h2k_json_set_int (o, keys[k], h2k_json_get_int (out, keys[k], 0)) == -1)
        return -1;
  }
  if (err && res.status != 0 && h2k_json_set_string (o, "message", err) == -1)
    return -1;
  if (res.status == 2)
    return offline_fail (r, "qemu-img check %s: corrupt (%" PRId64 " corruptions)",
                         d->path, h2k_json_get_int (out, "corruptions", 0));
  if (res.status != 0 && res.status != 3 && res.status != 63)
    return offline_fail (r, "qemu-img check %s: failed (exit %d)%s%s", d->path,
                         res.status, err ? ": " : "", err ? err : "");
  return 0;
}

static int
check_images (struct run *r)
{
  json_object *arr = h2k_json_ensure_array (r->offline, "images");

  if (arr == NULL)
    return -1;
  for (size_t i = 0; i < r->cfg.n_disks; ++i)
    if (check_image (r, i, arr) == -1)
      return -1;
  return 0;
}

/* The guest ------------------------------------------------------------------ */

/* The appliance on the throwaway overlays (tmpfiles.c), never on the
 * images themselves.
 */
static guestfs_h *
launch (struct run *r, int rw)
{
  CLEANUP_FREE struct h2k_guest_image *imgs =
    calloc (r->cfg.n_disks + 1, sizeof *imgs);

  if (imgs == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < r->cfg.n_disks; ++i)
    imgs[i] = (struct h2k_guest_image) { r->disks[i].overlay, "qcow2" };
  return h2k_guest_launch_images (imgs, r->cfg.n_disks,
                                  rw ? H2K_GUEST_RW : H2K_GUEST_RO,
                                  rw ? "throwaway overlays read-write"
                                     : "throwaway overlays read-only");
}

/* The Linux root, or NULL with *WHY (static) when there is none. */
static char *
find_root (guestfs_h *g, json_object *gi, const char **why)
{
  CLEANUP_FREE_STRV char **roots = guestfs_inspect_os (g);
  CLEANUP_FREE char *type = NULL, *distro = NULL;

  *why = NULL;
  if (roots == NULL)
    return NULL;
  if (roots[0] == NULL) {
    *why = "no operating system found on the disks";
    return NULL;
  }
  type = guestfs_inspect_get_type (g, roots[0]);
  distro = guestfs_inspect_get_distro (g, roots[0]);
  if (h2k_json_set_string (gi, "root", roots[0]) == -1 ||
      (type && h2k_json_set_string (gi, "type", type) == -1) ||
      (distro && h2k_json_set_string (gi, "distro", distro) == -1))
    return NULL;
  if (type == NULL || (strcmp (type, "linux") != 0 && strcmp (type, "windows") != 0)) {
    *why = "the guest is not Linux";
    return NULL;
  }
  return strdup (roots[0]);
}

/* guestfs_blkid's "KEY", or NULL. */
static char *
blkid_value (char **kv, const char *key)
{
  for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
    if (strcmp (kv[i], key) == 0 && kv[i + 1][0])
      return strdup (kv[i + 1]);
  return NULL;
}

static void
free_devs (struct fs_dev *devs, size_t n)
{
  for (size_t i = 0; devs && i < n; ++i) {
    free (devs[i].dev);
    free (devs[i].guest_dev);
    free (devs[i].uuid);
    free (devs[i].label);
    free (devs[i].partuuid);
    free (devs[i].partlabel);
    free (devs[i].type);
  }
  free (devs);
}

/* Every filesystem (and swap) the appliance sees, with its identifiers. */
static struct fs_dev *
list_devs (guestfs_h *g, const char *bus, size_t *np)
{
  CLEANUP_FREE_STRV char **fs = guestfs_list_filesystems (g);
  struct fs_dev *devs;
  size_t n = 0;

  if (fs == NULL)
    return NULL;
  while (fs[2 * n])
    n++;
  devs = calloc (n + 1, sizeof *devs);
  if (devs == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < n; ++i) {
    CLEANUP_FREE_STRV char **kv = NULL;

    guestfs_push_error_handler (g, NULL, NULL);
    kv = guestfs_blkid (g, fs[2 * i]);
    guestfs_pop_error_handler (g);
    devs[i].dev = strdup (fs[2 * i]);
    devs[i].guest_dev = fstab_guest_name (fs[2 * i], bus);
    devs[i].type = strdup (fs[2 * i + 1]);
    devs[i].uuid = blkid_value (kv, "UUID");
    devs[i].label = blkid_value (kv, "LABEL");
    devs[i].partuuid = blkid_value (kv, "PART_ENTRY_UUID");
    devs[i].partlabel = blkid_value (kv, "PART_ENTRY_NAME");
    if (!devs[i].dev || !devs[i].guest_dev || !devs[i].type) {
      free_devs (devs, n);
      h2k_error ("%m");
      return NULL;
    }
  }
  *np = n;
  return devs;
}

static int
check_fstab (struct run *r, guestfs_h *g, json_object *gi)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (g, "/etc/fstab", LINUXCFG_MAX_FILE);
  CLEANUP_JSON json_object *entries = NULL;
  json_object *arr = h2k_json_ensure_array (gi, "fstab");
  struct fs_dev *devs = NULL;
  size_t n = 0;
  int ret = -1;

  if (arr == NULL)
    return -1;
  if (text == NULL)
    return offline_fail (r, "/etc/fstab: missing or unreadable in the guest");
  entries = h2k_linuxcfg_fstab (text, strlen (text), "/etc/fstab");
  if (entries == NULL)
    return offline_fail (r, "/etc/fstab: cannot be parsed");
  if ((devs = list_devs (g, r->cfg.bus, &n)) == NULL)
    return -1;
  for (size_t i = 0; i < json_object_array_length (entries); ++i) {
    json_object *e = json_object_array_get_idx (entries, i);
    json_object *o = fstab_check_entry (devs, n, e, r->cfg.bus);
    const char *st, *spec;

    if (h2k_json_array_add (arr, o) == -1)
      goto out;
    st = h2k_json_get_string (o, "status");
    spec = h2k_json_get_string (o, "spec");
    if (strcmp (st, "file") == 0) {
      int exists = h2k_guest_is_file (g, spec);
      if (h2k_json_set_bool (o, "exists", exists) == -1)
        goto out;
      if (!exists &&
          offline_fail (r, "/etc/fstab line %" PRId64 ": swap file %s does not exist",
                        h2k_json_get_int (o, "line", 0), spec) == -1)
        goto out;
    }
    else if (strcmp (st, "missing") == 0 &&
             offline_fail (r, "/etc/fstab line %" PRId64 ": %s (%s) does not resolve: %s",
                           h2k_json_get_int (o, "line", 0), spec,
                           h2k_json_get_string (o, "mountpoint"),
                           h2k_json_get_string (o, "why")) == -1)
      goto out;
  }
  ret = 0;
 out:
  free_devs (devs, n);
  return ret;
}

/* The guest checks and the beacon in one launch.  *WHY (static) is set
 * when the beacon cannot be injected.
 */
static int
guest_checks (struct run *r, int checks, int beacon, const char **why)
{
  CLEANUP_GUESTFS guestfs_h *g = NULL;
  CLEANUP_FREE char *root = NULL;
  CLEANUP_JSON json_object *scratch = json_object_new_object ();
  json_object *gi = checks ? h2k_json_ensure_object (r->offline, "guest") : scratch;

  if (gi == NULL || scratch == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if ((g = launch (r, beacon)) == NULL)
    return -1;
  root = find_root (g, gi, why);
  if (root == NULL) {
    if (*why == NULL ||
        h2k_json_set_string (gi, "status", "skipped") == -1 ||
        h2k_json_set_string (gi, "why", *why) == -1)
      return -1;
    h2k_info ("guest checks skipped: %s", *why);
    return 0;
  }
  if (strcmp (h2k_json_get_string (gi, "type"), "windows") == 0)
    return windows_guest (r, g, root, gi, checks, beacon);
  if (h2k_guest_mount (g, root, beacon ? H2K_GUEST_RW : H2K_GUEST_RO) == -1)
    return -1;
  if (checks && (check_fstab (r, g, gi) == -1 || check_kernel (r, g, gi) == -1 ||
                 h2k_json_set_string (gi, "status", "checked") == -1))
    return -1;
  if (beacon && r->offline_failure == NULL &&
      inject_beacon (r, g, why) == -1)
    return -1;
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1)
    return -1;
  return 0;
}

int
run_offline (struct run *r)
{
  int checks = !r->o->no_offline;
  int beacon = strcmp (r->o->signal, "beacon") == 0;
  const char *why = NULL;

  if ((r->offline = json_object_new_object ()) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if (h2k_json_set_string (r->offline, "status", checks ? "passed" : "skipped") == -1 ||
      (checks && check_images (r) == -1))
    return -1;
  /* A broken image: no need to launch on it. */
  if ((checks || beacon) && r->offline_failure == NULL) {
    if (guest_checks (r, checks, beacon, &why) == -1)
      return -1;
  }
  if (r->offline_failure &&
      h2k_json_set_string (r->offline, "status", "failed") == -1)
    return -1;
  if (beacon && r->offline_failure == NULL && why) {
    r->signal = "login";
    if ((r->signal_reason = strdup (why)) == NULL) {
      h2k_error ("%m");
      return -1;
    }
    if (run_warn (r, "no beacon (%s): the login prompt is the signal", why) == -1)
      return -1;
  }
  return 0;
}
