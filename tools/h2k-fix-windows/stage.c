/* h2k-fix-windows: staging the driver packages: copied out of
 * --virtio-win into the private directory (drivers.c), then planned for
 * upload to C:\h2k\drivers (with the guest agent's MSI) and, unless
 * two-phase, the storage driver planned into System32\drivers.  A file
 * the guest already holds with the same digest is not planned again.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "fix-windows.h"

/* Stage the packages, parse the storage INF, find the guest agent. */
int
stage_packages (struct fw *f)
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

/* ---- planning: files on C: */

int
plan_driver_file (struct fw *f)
{
  const char *root = h2k_json_get_string (f->win, "system_root_path");
  CLEANUP_FREE char *p = NULL, *to = NULL, *cur = NULL;
  json_object *d;

  if (asprintf (&p, "%s/System32/drivers/%s.sys", root ? root : "/Windows",
                f->o->storage) == -1 || (to = guestfs_case_sensitive_path (f->fx.g, p)) == NULL)
    return -1;
  cur = h2k_guest_sha256 (f->fx.g, to);
  if (cur && strcmp (cur, f->driver_sha) == 0)
    return 0;
  d = string_details ("source", f->storage->rel_dir, "path", to);
  if (d == NULL || h2k_json_set_string (d, "sha256", f->driver_sha) == -1) {
    json_object_put (d);
    return -1;
  }
  return h2k_fixer_plan (&f->fx, "upload-file", to, d,
                         "the boot-start virtio storage driver %s.sys (%s)",
                         f->o->storage, f->storage->rel_dir) ? 0 : -1;
}

/* Append {name, path, local, sha256} to FILES unless the guest has it. */
int
want_file (struct fw *f, json_object *files, const char *dir, const char *name,
           const char *local, const char *sha)
{
  CLEANUP_FREE char *path = NULL, *cur = NULL;
  json_object *o;

  if (asprintf (&path, "%s/%s", dir, name) == -1)
    return -1;
  cur = h2k_guest_sha256 (f->fx.g, path);
  if (cur && strcasecmp (cur, sha) == 0)
    return 0;
  o = string_details ("path", path, "local", local);
  if (o == NULL || h2k_json_set_string (o, "sha256", sha) == -1) {
    json_object_put (o);
    return -1;
  }
  if (h2k_json_array_add (files, o) == -1)
    return -1;
  return 0;
}

int
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

    if (h2k_json_array_add (pk, o) == -1 ||
        asprintf (&dir, DRIVERS_DIR "/%s", p->driver) == -1)
      goto fail;
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
  return h2k_fixer_plan (&f->fx, "stage-files", DRIVERS_DIR, d,
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
