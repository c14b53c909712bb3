/* h2k-fix-linux: every installed kernel's initramfs holds the virtio
 * drivers, built by the guest's own tool.
 *
 * initramfs-tools: the modules are listed in /etc/initramfs-tools/modules
 * (always included, even with MODULES=dep) and every image is rebuilt with
 * update-initramfs.  dracut: a drop-in /etc/dracut.conf.d/ file adds them
 * and each image is rebuilt with dracut -f.  The previous images are kept
 * under /var/lib/h2k/backup.  Whether an image needs rebuilding is decided
 * by listing it now, so a second run does nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix.h"

static const char *const virtio[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

#define DRACUT_CONF "/etc/dracut.conf.d/90-h2k-virtio.conf"
#define ITOOLS_MODULES "/etc/initramfs-tools/modules"

static int
builtin_or_in (struct fix *f, const char *version, char **mods, const char *m)
{
  CLEANUP_FREE char *path = NULL, *text = NULL, *needle = NULL;

  for (size_t i = 0; mods && mods[i]; ++i)
    if (strcmp (mods[i], m) == 0)
      return 1;
  if (asprintf (&path, "/lib/modules/%s/modules.builtin", version) == -1 ||
      asprintf (&needle, "/%s.ko\n", m) == -1)
    return 0;
  text = h2k_guest_read_text (f->g, path, 4 << 20);
  return text && strstr (text, needle);
}

/* Kernels (from inspection) whose initramfs lacks a storage driver now. */
static int
kernels_needing (struct fix *f, json_object *need)
{
  json_object *ks = h2k_json_get_array (f->guest, "kernels");

  for (size_t i = 0; ks && i < json_object_array_length (ks); ++i) {
    json_object *k = json_object_array_get_idx (ks, i);
    const char *v = h2k_json_get_string (k, "version");
    const char *img = h2k_json_get_string (k, "initramfs");
    CLEANUP_FREE_STRV char **mods = NULL;
    int missing = 0;

    if (img == NULL || !h2k_guest_is_file (f->g, img))
      continue;
    mods = h2k_guest_initramfs_modules (f->g, img);
    if (mods == NULL)
      return -1;
    for (size_t j = 0; virtio[j]; ++j)
      if (strcmp (virtio[j], "virtio_net") && !builtin_or_in (f, v, mods, virtio[j]))
        missing = 1;
    if (missing && json_object_array_add (need, json_object_get (k)) != 0)
      return -1;
  }
  return 0;
}

/* "modules" file content with the missing virtio lines appended. */
static char *
with_modules (const char *old, int *added)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  *added = 0;
  if (fp == NULL)
    return NULL;
  fputs (old, fp);
  if (*old && old[strlen (old) - 1] != '\n')
    fputc ('\n', fp);
  for (size_t i = 0; virtio[i]; ++i) {
    CLEANUP_FREE char *line = NULL;
    if (asprintf (&line, "\n%s\n", virtio[i]) == -1)
      break;
    if (strstr (old, line + 1) == old || strstr (old, line))
      continue;
    if (*added == 0)
      fputs ("# Added by h2k-fix-linux: the disk and NIC are virtio on KVM.\n", fp);
    fprintf (fp, "%s\n", virtio[i]);
    (*added)++;
  }
  if (fclose (fp) != 0) {
    free (buf);
    return NULL;
  }
  return buf;
}

static int
plan_itools (struct fix *f, json_object *need)
{
  CLEANUP_FREE char *old = h2k_guest_read_text (f->g, ITOOLS_MODULES, 1 << 20);
  CLEANUP_FREE char *content = NULL;
  const char *argv[] = { "update-initramfs", "-u", "-k", "all", NULL };
  size_t n = json_object_array_length (need);
  CLEANUP_FREE const char **images = calloc (n + 1, sizeof *images);
  int added;
  json_object *d;

  content = with_modules (old ? old : "", &added);
  if (content == NULL || images == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (added) {
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", ITOOLS_MODULES) == -1 ||
        h2k_json_set_string (d, "content", content) == -1 ||
        !plan_add (f, "write-file", ITOOLS_MODULES, d,
                   "list the virtio drivers so that every initramfs holds them"))
      return -1;
  }
  for (size_t i = 0; i < n; ++i)
    images[i] = h2k_json_get_string (json_object_array_get_idx (need, i), "initramfs");
  return plan_add (f, "command", NULL, command_details (argv, images, images),
                   "rebuild the initramfs of %zu kernel%s with update-initramfs; "
                   "the previous images are kept in " BACKUP_DIR, n,
                   n == 1 ? "" : "s") ? 0 : -1;
}

static int
plan_dracut (struct fix *f, json_object *need)
{
  static const char content[] =
    "# Written by h2k-fix-linux: the disk and NIC are virtio on KVM.\n"
    "add_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n";
  CLEANUP_FREE char *old = h2k_guest_read_text (f->g, DRACUT_CONF, 1 << 20);
  json_object *d;

  if (old == NULL || strcmp (old, content) != 0) {
    d = json_object_new_object ();
    if (d == NULL || h2k_json_set_string (d, "path", DRACUT_CONF) == -1 ||
        h2k_json_set_string (d, "content", content) == -1 ||
        !plan_add (f, "write-file", DRACUT_CONF, d,
                   "have dracut add the virtio drivers to every initramfs"))
      return -1;
  }
  for (size_t i = 0; i < json_object_array_length (need); ++i) {
    json_object *k = json_object_array_get_idx (need, i);
    const char *img = h2k_json_get_string (k, "initramfs");
    const char *argv[] = { "dracut", "-f", img, h2k_json_get_string (k, "version"), NULL };
    const char *files[] = { img, NULL };

    if (!plan_add (f, "command", img, command_details (argv, files, files),
                   "rebuild %s with dracut; the previous image is kept in "
                   BACKUP_DIR, img))
      return -1;
  }
  return 0;
}

int
plan_initramfs (struct fix *f)
{
  CLEANUP_JSON json_object *need = json_object_new_array ();
  const char *tool = h2k_json_get_string (f->guest, "initramfs_tool");

  if (need == NULL || kernels_needing (f, need) == -1)
    return -1;
  if (json_object_array_length (need) == 0)
    return 0;
  if (tool && strcmp (tool, "initramfs-tools") == 0)
    return plan_itools (f, need);
  if (tool && strcmp (tool, "dracut") == 0)
    return plan_dracut (f, need);
  h2k_error ("the initramfs lacks virtio and this guest builds it with %s, "
             "which h2k-fix-linux does not drive yet", tool ? tool : "an unknown tool");
  return -1;
}
