/* h2k: working inside the guest through libguestfs. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <guestfs.h>

#include "accel.h"
#include "cleanup.h"
#include "confine.h"
#include "error.h"
#include "guest.h"
#include "manifest.h"
#include "qemu-img.h"
#include "run.h"

static const char *
image_of (json_object *disk, int mode)
{
  if (mode == H2K_GUEST_RW || h2k_json_get_object (disk, "overlay"))
    return "overlay";
  return "current";
}

guestfs_h *
h2k_guest_launch_images (const struct h2k_guest_image *imgs, size_t n,
                         int mode, const char *what)
{
  guestfs_h *g = h2k_guestfs_create ("libguestfs");

  if (g == NULL)
    return NULL;
  for (size_t i = 0; i < n; ++i)
    /* Discards reach the overlay (as zero clusters there), so that a
     * fixer's fstrim makes the converted image smaller.
     */
    if (guestfs_add_drive_opts (g, imgs[i].path,
                                GUESTFS_ADD_DRIVE_OPTS_FORMAT,
                                h2k_qemu_format (imgs[i].format),
                                GUESTFS_ADD_DRIVE_OPTS_READONLY, mode != H2K_GUEST_RW,
                                GUESTFS_ADD_DRIVE_OPTS_DISCARD,
                                mode == H2K_GUEST_RW ? "besteffort" : "disable",
                                -1) == -1)
      goto fail;
  h2k_info ("launching the appliance (%s, %zu disk%s, %s)", h2k_accel (), n,
            n == 1 ? "" : "s", what);
  if (guestfs_launch (g) == -1)
    goto fail;
  return g;
 fail:
  guestfs_close (g);
  return NULL;
}

guestfs_h *
h2k_guest_launch (json_object *m, int mode)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  size_t n = disks ? json_object_array_length (disks) : 0;
  CLEANUP_FREE struct h2k_guest_image *imgs = NULL;

  if (n == 0) {
    h2k_error ("<stdin>: /disks: the VM has no disks");
    return NULL;
  }
  if ((imgs = calloc (n, sizeof *imgs)) == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < n; ++i) {
    json_object *disk = json_object_array_get_idx (disks, i);
    const char *key = image_of (disk, mode);
    json_object *img = h2k_json_get_object (disk, key);

    if (img == NULL) {
      h2k_error ("<stdin>: /disks/%zu/overlay: missing: run h2k-inspect "
                 "first (the fixers write only overlays)", i);
      return NULL;
    }
    /* qemu follows the image's extents, backing and data files itself. */
    if (h2k_confine_disk (disk, i, key) == -1)
      return NULL;
    imgs[i].path = h2k_json_get_string (img, "path");
    imgs[i].format = h2k_json_get_string (img, "format");
  }
  return h2k_guest_launch_images (imgs, n, mode,
                                  mode == H2K_GUEST_RW ? "overlays read-write"
                                                       : "read-only");
}

const char *
h2k_guest_disk_id (guestfs_h *g, json_object *m, const char *dev)
{
  CLEANUP_FREE_STRV char **devices = NULL;
  CLEANUP_FREE char *whole = NULL;
  json_object *disks = h2k_json_get_array (m, "disks");

  guestfs_push_error_handler (g, NULL, NULL);
  whole = guestfs_part_to_dev (g, dev);
  devices = guestfs_list_devices (g);
  guestfs_pop_error_handler (g);
  if (whole == NULL)
    whole = strdup (dev);
  for (size_t i = 0; devices && whole && devices[i]; ++i)
    if (strcmp (devices[i], whole) == 0 && i < json_object_array_length (disks))
      return h2k_json_get_string (json_object_array_get_idx (disks, i), "id");
  return NULL;
}

/* Shorter mountpoints first, so that / is mounted before /boot. */
static int
by_length (const void *a, const void *b)
{
  const char *const *x = a, *const *y = b;
  size_t lx = strlen (x[0]), ly = strlen (y[0]);

  return lx < ly ? -1 : lx > ly;
}

int
h2k_guest_mount (guestfs_h *g, const char *root, int mode)
{
  CLEANUP_FREE_STRV char **mps = guestfs_inspect_get_mountpoints (g, root);
  size_t n = 0;

  if (mps == NULL)
    return -1;
  while (mps[n])
    n++;
  qsort (mps, n / 2, 2 * sizeof (char *), by_length);
  for (size_t i = 0; i + 1 < n; i += 2) {
    int r;

    guestfs_push_error_handler (g, NULL, NULL);
    r = mode == H2K_GUEST_RW ? guestfs_mount (g, mps[i + 1], mps[i])
                             : guestfs_mount_ro (g, mps[i + 1], mps[i]);
    guestfs_pop_error_handler (g);
    if (r == -1)
      h2k_warning ("%s: cannot mount %s%s; its files are left alone",
                   mps[i + 1], mps[i], mode == H2K_GUEST_RW ? "" : " read-only");
  }
  return 0;
}

const char *
h2k_guest_init_system (guestfs_h *g)
{
  CLEANUP_FREE char *link = NULL;

  guestfs_push_error_handler (g, NULL, NULL);
  link = guestfs_readlink (g, "/sbin/init");
  guestfs_pop_error_handler (g);
  if ((link && strstr (link, "systemd")) || h2k_guest_is_dir (g, "/run/systemd") ||
      h2k_guest_is_file (g, "/lib/systemd/systemd") ||
      h2k_guest_is_file (g, "/usr/lib/systemd/systemd"))
    return "systemd";
  if (h2k_guest_is_file (g, "/sbin/openrc"))
    return "openrc";
  if (h2k_guest_is_file (g, "/sbin/upstart") || h2k_guest_is_dir (g, "/etc/init"))
    return "upstart";
  if (h2k_guest_is_file (g, "/etc/inittab"))
    return "sysvinit";
  return "unknown";
}

int
h2k_guest_is_file (guestfs_h *g, const char *path)
{
  int r;

  guestfs_push_error_handler (g, NULL, NULL);
  r = guestfs_is_file_opts (g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1);
  guestfs_pop_error_handler (g);
  return r == 1;
}

int
h2k_guest_is_dir (guestfs_h *g, const char *path)
{
  int r;

  guestfs_push_error_handler (g, NULL, NULL);
  r = guestfs_is_dir_opts (g, path, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1);
  guestfs_pop_error_handler (g);
  return r == 1;
}

char *
h2k_guest_case_path (guestfs_h *g, const char *path)
{
  char *p;

  guestfs_push_error_handler (g, NULL, NULL);
  p = guestfs_case_sensitive_path (g, path);
  guestfs_pop_error_handler (g);
  return p;
}

char *
h2k_guest_sha256 (guestfs_h *g, const char *path)
{
  if (!h2k_guest_is_file (g, path))
    return NULL;
  return guestfs_checksum (g, "sha256", path);
}

char *
h2k_guest_read_text (guestfs_h *g, const char *path, size_t max)
{
  char *buf;
  size_t len;
  int64_t size;

  if (!h2k_guest_is_file (g, path))
    return NULL;
  guestfs_push_error_handler (g, NULL, NULL);
  size = guestfs_filesize (g, path);
  buf = size >= 0 && (uint64_t) size <= max ? guestfs_read_file (g, path, &len) : NULL;
  guestfs_pop_error_handler (g);
  if (buf == NULL) {
    h2k_debug ("%s: not read (missing, too large or unreadable)", path);
    return NULL;
  }
  if (strlen (buf) != len) {
    h2k_debug ("%s: holds a NUL byte, not text", path);
    free (buf);
    return NULL;
  }
  return buf;
}

char **
h2k_guest_glob (guestfs_h *g, const char *pattern)
{
  return guestfs_glob_expand_opts (g, pattern,
                                   GUESTFS_GLOB_EXPAND_OPTS_DIRECTORYSLASH, 0,
                                   -1);
}

char *
h2k_guest_find_initramfs (guestfs_h *g, const char *version)
{
  static const char *const fmts[] = {
    "/boot/initrd.img-%s",      /* Debian, Ubuntu */
    "/boot/initramfs-%s.img",   /* RHEL, Fedora, Arch */
    "/boot/initrd-%s",          /* SUSE */
    NULL
  };

  for (size_t i = 0; version && fmts[i]; ++i) {
    char *path;
    if (asprintf (&path, fmts[i], version) == -1)
      return NULL;
    if (h2k_guest_is_file (g, path))
      return path;
    free (path);
  }
  return NULL;
}

/* Which kernel modules an initramfs holds.  The image is copied out of
 * the guest and listed with lsinitramfs (initramfs-tools-core), which
 * understands the early-microcode cpio followed by a compressed one that
 * both initramfs-tools and dracut write.
 */

/* "kernel/drivers/block/virtio_blk.ko.zst" -> "virtio_blk". */
static char *
module_name (const char *line)
{
  const char *base = strrchr (line, '/');
  const char *ko;

  base = base ? base + 1 : line;
  ko = strstr (base, ".ko");
  if (ko == NULL || (ko[3] != '\0' && ko[3] != '.'))
    return NULL;
  return strndup (base, ko - base);
}

static char **
parse_listing (char *out)
{
  size_t n = 0, cap = 64;
  char **mods = calloc (cap, sizeof *mods);
  char *save = NULL;

  if (mods == NULL)
    return NULL;
  for (char *line = strtok_r (out, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    char *name = module_name (line);
    if (name == NULL)
      continue;
    if (n + 2 > cap) {
      char **p = realloc (mods, 2 * cap * sizeof *mods);
      if (p == NULL) {
        free (name);
        h2k_free_strv (mods);
        return NULL;
      }
      mods = p;
      cap *= 2;
    }
    mods[n++] = name;
    mods[n] = NULL;
  }
  return mods;
}

char **
h2k_guest_initramfs_modules (guestfs_h *g, const char *path)
{
  char tmp[] = "/tmp/h2k-initramfs-XXXXXX";
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[] = { "lsinitramfs", tmp, NULL };
  char **mods = NULL;
  int fd = mkstemp (tmp);

  if (fd == -1) {
    h2k_error ("%s: %m", tmp);
    return NULL;
  }
  close (fd);
  if (guestfs_download (g, path, tmp) == -1)
    goto out;
  if (h2k_run_ok (argv, H2K_RUN_OUT, &res) == -1)
    goto out;
  mods = parse_listing (res.out ? res.out : (char *) "");
  if (mods == NULL)
    h2k_error ("%s: listing the initramfs: %m", path);
 out:
  unlink (tmp);
  return mods;
}
